/* weft-record.h — `weft record`: run a command under a private LTTng
 * session, then convert the trace.
 *
 * Uses the lttng command-line tool (lttng-tools): starts a session daemon
 * if none answers (and stops it afterwards), creates a uniquely named
 * session with a user-space channel of 4 x 1 MiB sub-buffers per CPU,
 * enables weft:* and lttng_ust_statedump:*, runs the command, and stops on
 * its exit, after --duration, or on Ctrl-C. A command that crashes is
 * converted all the same.
 *
 * weft_record_attach() traces a libweft program that already runs: the
 * same session, limited to that process (`lttng track --vpid`); libweft
 * notices the session within ~10 ms and writes a snapshot of every
 * goroutine. It stops after --duration (at least WEFT_ATTACH_MIN_SECONDS,
 * so that the snapshot is in), on Ctrl-C or when the process exits; the
 * process itself is never signalled.
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

#define WEFT_ATTACH_MIN_SECONDS 0.5

/* TARGET is a pid or a process name (/proc/PID/comm or the basename of
 * /proc/PID/exe). Fails if no process or several match (the message lists
 * them), or if it is not a libweft program (no libweft in its maps).
 * Returns the pid, 0 on error; *name is set to its command name. */
int weft_record_resolve_target (const char *target, char **name, GError **error);

/* Returns the database written (free it), NULL on error. */
char *weft_record_attach (int pid, const char *name, const WeftRecordOptions *options, GError **error);

G_END_DECLS
