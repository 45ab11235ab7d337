/* weft-record.c — see weft-record.h. */
#include "weft-record.h"

#include "weft-convert.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#define WEFT_RECORD_ERROR (weft_record_error_quark ())
static GQuark weft_record_error_quark (void);
G_DEFINE_QUARK (weft - record - error - quark, weft_record_error)

typedef enum
{
  WEFT_RECORD_ERROR_LTTNG,
  WEFT_RECORD_ERROR_ATTACH,
} WeftRecordError;

/* Runs `lttng ARGS...`; on failure @error carries lttng's own message. */
static gboolean
lttng (GError **error, ...)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *cmdline = NULL;
  int              status = 0;
  va_list          ap;
  const char      *arg;

  g_ptr_array_add (argv, (gpointer) "lttng");
  va_start (ap, error);
  while ((arg = va_arg (ap, const char *)) != NULL)
    g_ptr_array_add (argv, (gpointer) arg);
  va_end (ap);
  g_ptr_array_add (argv, NULL);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status, error))
    {
      g_prefix_error (error, "cannot run lttng (Debian: install lttng-tools): ");
      return FALSE;
    }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      cmdline = g_strjoinv (" ", (char **) argv->pdata);
      g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_LTTNG, "%s failed: %s", cmdline,
                   g_strstrip (err != NULL && *err != '\0' ? err : out != NULL ? out
                                                                               : ""));
      return FALSE;
    }
  return TRUE;
}

static char *
sessiond_pidfile (void)
{
  if (geteuid () == 0)
    return g_build_filename (g_getenv ("LTTNG_RUNDIR") ? g_getenv ("LTTNG_RUNDIR") : "/var/run/lttng",
                             "lttng-sessiond.pid", NULL);
  return g_build_filename (g_getenv ("LTTNG_HOME") ? g_getenv ("LTTNG_HOME") : g_get_home_dir (), ".lttng",
                           "lttng-sessiond.pid", NULL);
}

/* Returns the pid of a session daemon we started, 0 if one was running. */
static gboolean
ensure_sessiond (GPid *started, GError **error)
{
  const char      *argv[] = { "lttng-sessiond", "--daemonize", NULL };
  g_autofree char *pidfile = NULL;
  g_autofree char *text = NULL;
  int              status;

  *started = 0;
  if (lttng (NULL, "list", NULL))
    return TRUE;
  if (!g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                     NULL, NULL, NULL, NULL, &status, error)
      || !g_spawn_check_wait_status (status, error))
    {
      g_prefix_error (error, "no LTTng session daemon runs and lttng-sessiond failed to start: ");
      return FALSE;
    }
  pidfile = sessiond_pidfile ();
  if (g_file_get_contents (pidfile, &text, NULL, NULL))
    *started = (GPid) g_ascii_strtoll (text, NULL, 10);
  /* --daemonize returns once it accepts commands; be patient all the same. */
  for (int i = 0; i < 50; i++)
    {
      if (lttng (NULL, "list", NULL))
        return TRUE;
      g_usleep (100000);
    }
  g_set_error_literal (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_LTTNG, "lttng-sessiond started but does not answer");
  return FALSE;
}

static void
stop_sessiond (GPid pid)
{
  if (pid <= 0 || kill (pid, SIGTERM) != 0)
    return;
  for (int i = 0; i < 100 && kill (pid, 0) == 0; i++)
    g_usleep (100000);
}

typedef struct
{
  GMainLoop   *loop;
  GSubprocess *proc;
  gboolean     done, interrupted, timed_out;
  guint        kill_source;
} RunState;

static void
on_command_exit (GObject *source, GAsyncResult *res, gpointer data)
{
  RunState *rs = data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), res, NULL);
  rs->done = TRUE;
  g_main_loop_quit (rs->loop);
}

static gboolean
on_kill (gpointer data)
{
  RunState *rs = data;

  rs->kill_source = 0;
  if (!rs->done)
    g_subprocess_force_exit (rs->proc);
  return G_SOURCE_REMOVE;
}

/* Asks the command to stop (SIGINT, like Ctrl-C), then kills it after 5 s. */
static void
stop_command (RunState *rs)
{
  if (rs->done)
    return;
  g_subprocess_send_signal (rs->proc, SIGINT);
  if (rs->kill_source == 0)
    rs->kill_source = g_timeout_add_seconds (5, on_kill, rs);
}

static gboolean
on_timeout (gpointer data)
{
  RunState *rs = data;

  rs->timed_out = TRUE;
  stop_command (rs);
  return G_SOURCE_REMOVE;
}

static gboolean
on_sigint (gpointer data)
{
  RunState *rs = data;

  /* The terminal sent SIGINT to the command too; forward it in case we
   * alone were signalled, then wait for the command to exit. */
  rs->interrupted = TRUE;
  stop_command (rs);
  return G_SOURCE_CONTINUE;
}

static void
rm_rf (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;

  if (d != NULL && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    while ((name = g_dir_read_name (d)) != NULL)
      {
        g_autofree char *sub = g_build_filename (path, name, NULL);
        rm_rf (sub);
      }
  g_remove (path);
}

/* Creates SESSION writing to OUT_OPT, our channel and events, limited to
 * PID if > 0, and starts it. *created tells whether it must be destroyed. */
static gboolean
create_session (const char *session, const char *out_opt, int pid, gboolean *created, GError **error)
{
  g_autofree char *vpid = pid > 0 ? g_strdup_printf ("--vpid=%d", pid) : NULL;

  *created = FALSE;
  if (!lttng (error, "create", session, out_opt, NULL))
    return FALSE;
  *created = TRUE;
  /* The default 4 x 512 KiB per CPU loses events when goroutines switch
   * at full speed. */
  if (!lttng (error, "enable-channel", "--userspace", "--session", session, "--subbuf-size=1M", "--num-subbuf=4",
              "weft", NULL)
      || !lttng (error, "enable-event", "--userspace", "--session", session, "--channel=weft", "weft:*", NULL)
      || !lttng (error, "enable-event", "--userspace", "--session", session, "--channel=weft",
                 "lttng_ust_statedump:*", NULL))
    return FALSE;
  /* A new session tracks every process: keep only this one. */
  if (vpid != NULL
      && (!lttng (error, "untrack", "--userspace", "--session", session, "--vpid", "--all", NULL)
          || !lttng (error, "track", "--userspace", "--session", session, vpid, NULL)))
    return FALSE;
  return lttng (error, "start", session, NULL);
}

/* Converts the recorded @ctf into *@output, removes @ctf unless asked to
 * keep it, and returns the database's path (stolen from *@output) or NULL. */
static char *
convert_recording (const char *ctf, char **output, const WeftConvertOptions *copts, gboolean keep_ctf, GError **error)
{
  gboolean ok = weft_convert (ctf, *output, copts, NULL, error);

  if (keep_ctf)
    g_printerr ("weft: CTF trace kept in %s\n", ctf);
  else
    rm_rf (ctf);
  return ok ? g_steal_pointer (output) : NULL;
}

/* After a failure: stops and destroys @session (if it was created),
 * stops a session daemon we started, removes the partial trace. */
static void
abandon_recording (const char *session, GPid sessiond, const char *ctf)
{
  if (session != NULL)
    {
      lttng (NULL, "stop", session, NULL);
      lttng (NULL, "destroy", session, NULL);
    }
  stop_sessiond (sessiond);
  rm_rf (ctf);
}

static char *
default_output (const char *cmd)
{
  g_autofree char *base = g_path_get_basename (cmd);
  g_autoptr (GDateTime) now = g_date_time_new_now_local ();
  g_autofree char *stamp = g_date_time_format (now, "%Y%m%d-%H%M%S");

  return g_strdup_printf ("weft-%s-%s.weft", base, stamp);
}

/* The command starts held at a gate, so that the session can be limited
 * to its pid before it runs: other programs using the provider on the
 * machine stay out of the trace, and nothing the command does is missed.
 * The gate is a shell that reads a line from fd 3, then execs the command
 * in its own process (same pid); GLib's spawn returns only once the child
 * has exec'd, so the wait cannot happen before exec. */
static const char gate_script[] = "read -r go <&3 && exec 3<&- && exec \"$@\"; exit 127";

/* Starts @argv held at the gate; *@gate_fd is the write end that releases
 * it. NULL (and @error) if it cannot be run. */
static GSubprocess *
spawn_held (char **argv, int *gate_fd, GError **error)
{
  g_autoptr (GSubprocessLauncher) launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_NONE);
  g_autoptr (GPtrArray) args = g_ptr_array_new ();
  g_autofree char *path = g_find_program_in_path (argv[0]);
  GSubprocess     *proc;
  int              fds[2];

  /* The shell would say "not found" only once released; say it now. */
  if (path == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND, "%s: no such program", argv[0]);
      return NULL;
    }
  if (!g_unix_open_pipe (fds, FD_CLOEXEC, error))
    return NULL;
  g_subprocess_launcher_take_fd (launcher, fds[0], 3);
  g_ptr_array_add (args, (gpointer) "/bin/sh");
  g_ptr_array_add (args, (gpointer) "-c");
  g_ptr_array_add (args, (gpointer) gate_script);
  g_ptr_array_add (args, (gpointer) "weft-gate");
  g_ptr_array_add (args, path);
  for (guint i = 1; argv[i] != NULL; i++)
    g_ptr_array_add (args, argv[i]);
  g_ptr_array_add (args, NULL);
  proc = g_subprocess_launcher_spawnv (launcher, (const char *const *) args->pdata, error);
  if (proc == NULL)
    close (fds[1]);
  else
    *gate_fd = fds[1];
  return proc;
}

/* Lets the held command run (@go) or makes it exit with status 127
 * before it ran anything. */
static void
open_gate (int *gate_fd, gboolean go)
{
  struct sigaction ignore = { .sa_handler = SIG_IGN }, old;

  if (*gate_fd < 0)
    return;
  /* The gate may be gone (killed meanwhile): EPIPE, not death by SIGPIPE. */
  sigaction (SIGPIPE, &ignore, &old);
  if (go && write (*gate_fd, "go\n", 3) != 3)
    g_warning ("cannot release the traced command: %s", g_strerror (errno));
  sigaction (SIGPIPE, &old, NULL);
  close (*gate_fd);
  *gate_fd = -1;
}

char *
weft_record (char **argv, const WeftRecordOptions *options, int *cmd_status, GError **error)
{
  g_autofree char *session = NULL;
  g_autofree char *ctf = NULL;
  g_autofree char *output = NULL;
  g_autofree char *out_opt = NULL;
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  g_autoptr (GError) run_error = NULL;
  RunState           rs = { 0 };
  WeftConvertOptions copts = { 0 };
  GPid               sessiond = 0;
  gboolean           created = FALSE;
  guint              sig_source, timeout_source = 0;
  int                gate = -1;

  g_return_val_if_fail (argv != NULL && argv[0] != NULL && options != NULL, NULL);

  *cmd_status = -1;
  output = options->output != NULL ? g_strdup (options->output) : default_output (argv[0]);
  ctf = g_dir_make_tmp ("weft-record-XXXXXX", error);
  if (ctf == NULL)
    return NULL;
  session = g_strdup_printf ("weft-%d-%" G_GINT64_FORMAT, (int) getpid (), g_get_real_time ());
  out_opt = g_strconcat ("--output=", ctf, NULL);

  if (!ensure_sessiond (&sessiond, error))
    goto fail;
  proc = spawn_held (argv, &gate, &run_error);
  if (proc != NULL
      && !create_session (session, out_opt, atoi (g_subprocess_get_identifier (proc)), &created, error))
    {
      open_gate (&gate, FALSE);
      g_subprocess_wait (proc, NULL, NULL);
      goto fail;
    }
  open_gate (&gate, TRUE);
  if (proc != NULL)
    {
      loop = g_main_loop_new (NULL, FALSE);
      rs.loop = loop;
      rs.proc = proc;
      g_subprocess_wait_async (proc, NULL, on_command_exit, &rs);
      sig_source = g_unix_signal_add (SIGINT, on_sigint, &rs);
      if (options->duration > 0)
        timeout_source = g_timeout_add ((guint) (options->duration * 1000), on_timeout, &rs);
      g_main_loop_run (loop);
      g_source_remove (sig_source);
      if (timeout_source != 0 && !rs.timed_out)
        g_source_remove (timeout_source);
      if (rs.kill_source != 0)
        g_source_remove (rs.kill_source);
      if (g_subprocess_get_if_signaled (proc))
        *cmd_status = 128 + g_subprocess_get_term_sig (proc);
      else
        *cmd_status = g_subprocess_get_exit_status (proc);
    }

  /* stop waits until every buffer is flushed to the output. */
  lttng (NULL, "stop", session, NULL);
  lttng (NULL, "destroy", session, NULL);
  created = FALSE;
  stop_sessiond (sessiond);
  sessiond = 0;
  if (proc == NULL)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&run_error), "cannot run %s: ", argv[0]);
      goto fail;
    }

  copts.program = argv[0];
  return convert_recording (ctf, &output, &copts, options->keep_ctf, error);

fail:
  abandon_recording (created ? session : NULL, sessiond, ctf);
  return NULL;
}

/* --attach */

static gboolean
is_pid_text (const char *s)
{
  if (*s == '\0')
    return FALSE;
  for (; *s != '\0'; s++)
    if (!g_ascii_isdigit (*s))
      return FALSE;
  return TRUE;
}

static char *
proc_comm (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/comm", pid);
  char            *text = NULL;

  if (!g_file_get_contents (path, &text, NULL, NULL))
    return NULL;
  return g_strchomp (text);
}

static char *
proc_exe_base (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/exe", pid);
  g_autofree char *exe = g_file_read_link (path, NULL);

  if (exe == NULL)
    return NULL;
  if (g_str_has_suffix (exe, " (deleted)"))
    exe[strlen (exe) - strlen (" (deleted)")] = '\0';
  return g_path_get_basename (exe);
}

static char *
proc_cmdline (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/cmdline", pid);
  char            *text = NULL;
  gsize            len = 0;

  if (!g_file_get_contents (path, &text, &len, NULL))
    return g_strdup ("?");
  for (gsize i = 0; i + 1 < len; i++)
    if (text[i] == '\0')
      text[i] = ' ';
  return text;
}

/* A libweft program maps libweft (the runtime) or its LTTng provider. */
static gboolean
maps_libweft (int pid, GError **error)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/maps", pid);
  g_autofree char *maps = NULL;
  g_autoptr (GError) local = NULL;

  if (!g_file_get_contents (path, &maps, NULL, &local))
    {
      g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, "cannot read %s: %s", path, local->message);
      return FALSE;
    }
  for (char *line = strtok (maps, "\n"); line != NULL; line = strtok (NULL, "\n"))
    {
      const char *file = strrchr (line, '/');

      if (file != NULL && g_str_has_prefix (file, "/libweft"))
        return TRUE;
    }
  return FALSE;
}

int
weft_record_resolve_target (const char *target, char **name, GError **error)
{
  g_autoptr (GArray) found = g_array_new (FALSE, FALSE, sizeof (int));
  g_autoptr (GDir) proc = NULL;
  g_autofree char *comm = NULL;
  const char      *entry;
  int              pid = 0;

  g_return_val_if_fail (target != NULL && name != NULL, 0);
  *name = NULL;
  if (is_pid_text (target))
    {
      pid = (int) g_ascii_strtoll (target, NULL, 10);
      comm = pid > 0 ? proc_comm (pid) : NULL;
      if (comm == NULL)
        {
          g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, "no process %s", target);
          return 0;
        }
    }
  else
    {
      proc = g_dir_open ("/proc", 0, error);
      if (proc == NULL)
        return 0;
      while ((entry = g_dir_read_name (proc)) != NULL)
        {
          g_autofree char *c = NULL, *exe = NULL;
          int              p;

          if (!is_pid_text (entry) || (p = (int) g_ascii_strtoll (entry, NULL, 10)) == (int) getpid ())
            continue;
          c = proc_comm (p);
          exe = proc_exe_base (p);
          if ((c != NULL && strcmp (c, target) == 0) || (exe != NULL && strcmp (exe, target) == 0))
            g_array_append_val (found, p);
        }
      if (found->len == 0)
        {
          g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, "no process named \"%s\"", target);
          return 0;
        }
      if (found->len > 1)
        {
          g_autoptr (GString) msg = g_string_new (NULL);

          g_string_printf (msg, "%u processes are named \"%s\"; attach to one by pid:", found->len, target);
          for (guint i = 0; i < found->len; i++)
            {
              g_autofree char *cmd = proc_cmdline (g_array_index (found, int, i));
              g_string_append_printf (msg, "\n  %7d  %s", g_array_index (found, int, i), cmd);
            }
          g_set_error_literal (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, msg->str);
          return 0;
        }
      pid = g_array_index (found, int, 0);
      comm = proc_comm (pid);
      if (comm == NULL)
        {
          g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, "process %d (\"%s\") exited", pid, target);
          return 0;
        }
    }
  if (!maps_libweft (pid, error))
    {
      if (error == NULL || *error == NULL)
        g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH,
                     "process %d (%s) is not a libweft program: no libweft in /proc/%d/maps", pid, comm, pid);
      return 0;
    }
  *name = g_steal_pointer (&comm);
  return pid;
}

static gboolean
process_alive (int pid)
{
  g_autofree char *path = g_strdup_printf ("/proc/%d/stat", pid);
  g_autofree char *stat = NULL;
  const char      *p;

  if (!g_file_get_contents (path, &stat, NULL, NULL))
    return FALSE;
  /* "PID (comm) S ...": a zombie has exited. */
  p = strrchr (stat, ')');
  return p == NULL || p[1] == '\0' || (p[2] != 'Z' && p[2] != 'X');
}

/* Waits until the process registered with the session daemon (an
 * application registers when it starts, or within seconds when a daemon
 * appears later), so that the session reaches it. */
static gboolean
wait_registered (int pid, double seconds)
{
  g_autofree char *needle = g_strdup_printf ("PID: %d ", pid);
  const char      *argv[] = { "lttng", "list", "--userspace", NULL };

  for (gint64 end = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);;)
    {
      g_autofree char *out = NULL;

      if (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out,
                        NULL, NULL, NULL)
          && out != NULL && strstr (out, needle) != NULL)
        return TRUE;
      if (g_get_monotonic_time () >= end || !process_alive (pid))
        return FALSE;
      g_usleep (200000);
    }
}

typedef struct
{
  GMainLoop *loop;
  int        pid;
  gint64     min_end; /* monotonic µs before which we do not stop */
  gboolean   exited, stopping, timed_out;
  guint      defer_source;
} AttachState;

static gboolean
attach_stop_now (gpointer data)
{
  AttachState *as = data;

  as->defer_source = 0;
  g_main_loop_quit (as->loop);
  return G_SOURCE_REMOVE;
}

/* Stops at once, or once the minimum recording time has passed. */
static void
attach_stop (AttachState *as)
{
  gint64 left = as->min_end - g_get_monotonic_time ();

  if (as->stopping)
    return;
  as->stopping = TRUE;
  if (left > 0 && !as->exited)
    as->defer_source = g_timeout_add ((guint) (left / 1000 + 1), attach_stop_now, as);
  else
    g_main_loop_quit (as->loop);
}

static gboolean
attach_on_timeout (gpointer data)
{
  AttachState *as = data;

  as->timed_out = TRUE;
  attach_stop (as);
  return G_SOURCE_REMOVE;
}

static gboolean
attach_on_sigint (gpointer data)
{
  attach_stop (data);
  return G_SOURCE_CONTINUE;
}

static gboolean
attach_on_poll (gpointer data)
{
  AttachState *as = data;

  if (process_alive (as->pid))
    return G_SOURCE_CONTINUE;
  as->exited = TRUE;
  as->stopping = FALSE;
  attach_stop (as);
  return G_SOURCE_CONTINUE;
}

char *
weft_record_attach (int pid, const char *name, const WeftRecordOptions *options, GError **error)
{
  g_autofree char *session = NULL;
  g_autofree char *ctf = NULL;
  g_autofree char *output = NULL;
  g_autofree char *out_opt = NULL;
  g_autoptr (GMainLoop) loop = NULL;
  AttachState        as = { 0 };
  WeftConvertOptions copts = { 0 };
  GPid               sessiond = 0;
  gboolean           created = FALSE;
  guint              sig_source, poll_source, timeout_source = 0;

  g_return_val_if_fail (pid > 0 && name != NULL && options != NULL, NULL);

  output = options->output != NULL ? g_strdup (options->output) : default_output (name);
  ctf = g_dir_make_tmp ("weft-record-XXXXXX", error);
  if (ctf == NULL)
    return NULL;
  session = g_strdup_printf ("weft-%d-%" G_GINT64_FORMAT, (int) getpid (), g_get_real_time ());
  out_opt = g_strconcat ("--output=", ctf, NULL);

  if (!ensure_sessiond (&sessiond, error))
    goto fail;
  if (!wait_registered (pid, 10.0))
    {
      if (!process_alive (pid))
        g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH, "process %d exited", pid);
      else
        g_set_error (error, WEFT_RECORD_ERROR, WEFT_RECORD_ERROR_ATTACH,
                     "process %d (%s) is not registered with LTTng after 10 s: was it started with WEFT_TRACE=0, "
                     "without LTTng-UST, or by another user?",
                     pid, name);
      goto fail;
    }
  if (!create_session (session, out_opt, pid, &created, error))
    goto fail;

  loop = g_main_loop_new (NULL, FALSE);
  as.loop = loop;
  as.pid = pid;
  as.min_end = g_get_monotonic_time () + (gint64) (WEFT_ATTACH_MIN_SECONDS * G_USEC_PER_SEC);
  sig_source = g_unix_signal_add (SIGINT, attach_on_sigint, &as);
  poll_source = g_timeout_add (100, attach_on_poll, &as);
  if (options->duration > 0)
    timeout_source = g_timeout_add ((guint) (options->duration * 1000), attach_on_timeout, &as);
  g_main_loop_run (loop);
  g_source_remove (sig_source);
  g_source_remove (poll_source);
  if (timeout_source != 0 && !as.timed_out)
    g_source_remove (timeout_source);
  if (as.defer_source != 0)
    g_source_remove (as.defer_source);
  if (as.exited)
    g_printerr ("weft: process %d exited\n", pid);

  /* stop waits until every buffer is flushed to the output. */
  lttng (NULL, "stop", session, NULL);
  lttng (NULL, "destroy", session, NULL);
  created = FALSE;
  stop_sessiond (sessiond);
  sessiond = 0;

  copts.program = name;
  return convert_recording (ctf, &output, &copts, options->keep_ctf, error);

fail:
  abandon_recording (created ? session : NULL, sessiond, ctf);
  return NULL;
}
