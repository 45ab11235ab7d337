/* weft-record.h — `weft record`: run a command under a private LTTng
 * session, then convert the trace.
 *
 * Uses the lttng command-line tool (lttng-tools): starts a session daemon
 * if none answers (and stops it afterwards), creates a uniquely named
 * session with a user-space channel of 4 x 1 MiB sub-buffers per CPU,
 * enables weft:* and lttng_ust_statedump:*, runs the command, and stops on
 * its exit, after --duration, or on Ctrl-C. A command that crashes is
 * converted all the same.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  const char *output;   /* database path; NULL: weft-CMD-DATE.weft */
  gdouble     duration; /* seconds, <= 0: until the command exits */
  gboolean    keep_ctf; /* keep the CTF trace (its folder is printed) */
} WeftRecordOptions;

/* Returns the database written (free it), NULL on error. *cmd_status is
 * the command's exit status (128 + N if killed by signal N), -1 if it
 * could not be started. */
char *weft_record (char **argv, const WeftRecordOptions *options, int *cmd_status, GError **error);

G_END_DECLS
