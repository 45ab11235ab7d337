/* weft.c — the weft command: convert, import, record, report, query. */
#include "weft-convert.h"
#include "weft-import.h"
#include "weft-record.h"
#include "weft-report.h"
#include "weft-store.h"

#include <errno.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const usage_text = "Usage:\n"
                                      "  weft convert CTF_DIR -o OUT.weft [--no-symbols] [--single-thread]\n"
                                      "  weft record [-o OUT.weft] [--duration SECONDS] [--keep-ctf] -- CMD [ARGS...]\n"
                                      "  weft record --attach PID|NAME [-o OUT.weft] [--duration SECONDS] [--keep-ctf]\n"
                                      "  weft record --go http://HOST:PORT [-o OUT.weft] [--duration SECONDS]\n"
                                      "  weft import GO_TRACE [-o OUT.weft] [--single-thread]\n"
                                      "  weft report {summary|goroutines|leaks|pauses|gc|blocking|latency|cpu} FILE.weft\n"
                                      "              [--json] [--limit N] [--threshold DURATION] [--fail-on-leak]\n"
                                      "              [--fail-over DURATION]\n"
                                      "  weft query FILE.weft SQL [--json]\n"
                                      "  weft view FILE.weft...\n"
                                      "\n"
                                      "CTF_DIR is a folder holding a CTF `metadata` file, or any folder above such\n"
                                      "folders (an LTTng output root). DURATION is like 500ms, 2s, 1m or ns;\n"
                                      "record's SECONDS is a number of seconds or a DURATION.\n";

static int
usage (void)
{
  fputs (usage_text, stderr);
  return 2;
}

/* Parses "1.5s", "200ms", "10us", "3m", or plain nanoseconds. */
static gboolean
parse_duration (const char *text, gint64 *ns)
{
  static const struct
  {
    const char *suffix;
    double      scale;
  } units[] = { { "ns", 1 }, { "us", 1e3 }, { "µs", 1e3 }, { "ms", 1e6 }, { "s", 1e9 }, { "m", 60e9 }, { "", 1 } };
  char  *end = NULL;
  double v = g_ascii_strtod (text, &end);

  if (end == text || v < 0)
    return FALSE;
  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (strcmp (end, units[i].suffix) == 0)
      {
        *ns = (gint64) (v * units[i].scale);
        return TRUE;
      }
  return FALSE;
}

static int
cmd_convert (int argc, char **argv)
{
  g_autofree char   *output = NULL;
  gboolean           no_symbols = FALSE, single_thread = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Database to write", "OUT.weft" },
    { "no-symbols", 0, 0, G_OPTION_ARG_NONE, &no_symbols, "Do not symbolise addresses", NULL },
    { "single-thread", 0, 0, G_OPTION_ARG_NONE, &single_thread, "Insert on the reading thread", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("CTF_DIR - convert a CTF trace to a .weft database");
  g_autoptr (GError) error = NULL;
  WeftConvertOptions opts = { 0 };
  WeftConvertStats   stats;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("weft convert: %s\n", error->message);
      return 2;
    }
  if (argc != 2 || output == NULL)
    return usage ();
  opts.no_symbols = no_symbols;
  opts.single_thread = single_thread;
  if (!weft_convert (argv[1], output, &opts, &stats, &error))
    {
      g_printerr ("weft convert: %s\n", error->message);
      return 1;
    }
  g_print ("%s: %" G_GUINT64_FORMAT " events, %" G_GUINT64_FORMAT " rows in %.2f s "
           "(%.0f events/s reading+inserting, %.2f s in all); %.1f CTF bytes/event, %.1f database bytes/event\n",
           output, stats.events, stats.rows, stats.read_seconds,
           stats.read_seconds > 0 ? stats.events / stats.read_seconds : 0.0, stats.total_seconds,
           stats.events ? (double) stats.ctf_bytes / stats.events : 0.0,
           stats.events ? (double) stats.db_bytes / stats.events : 0.0);
  if (stats.lost_events > 0)
    g_printerr ("weft convert: warning: the tracer lost %" G_GUINT64_FORMAT " events: states around them are guessed\n",
                stats.lost_events);
  if (stats.inconsistencies > 0)
    g_printerr ("weft convert: note: %" G_GUINT64_FORMAT " inconsistencies repaired (meta 'inconsistency.*')\n",
                stats.inconsistencies);
  return 0;
}

static int
cmd_import (int argc, char **argv)
{
  g_autofree char   *output = NULL;
  gboolean           single_thread = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Database to write (default: TRACE with .weft)", "OUT.weft" },
    { "single-thread", 0, 0, G_OPTION_ARG_NONE, &single_thread, "Insert on the reading thread", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("GO_TRACE - import a Go execution trace into a .weft database");
  g_autoptr (GError) error = NULL;
  WeftImportOptions opts = { 0 };
  WeftImportStats   stats;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("weft import: %s\n", error->message);
      return 2;
    }
  if (argc != 2)
    return usage ();
  if (output == NULL)
    {
      g_autofree char *base = g_str_has_suffix (argv[1], ".out") ? g_strndup (argv[1], strlen (argv[1]) - 4) : g_strdup (argv[1]);
      output = g_strconcat (base, ".weft", NULL);
    }
  opts.single_thread = single_thread;
  if (!weft_import (argv[1], output, &opts, &stats, &error))
    {
      g_printerr ("weft import: %s\n", error->message);
      return 1;
    }
  g_print ("%s: Go 1.%u trace, %.1f MB, %" G_GUINT64_FORMAT " Go events -> %" G_GUINT64_FORMAT " rows in %.2f s "
           "(%.1f MB/s, %.0f Go events/s; %.2f s in all)\n",
           output, stats.go_version, stats.bytes / 1e6, stats.go_events, stats.rows, stats.read_seconds,
           stats.read_seconds > 0 ? stats.bytes / 1e6 / stats.read_seconds : 0.0,
           stats.read_seconds > 0 ? stats.go_events / stats.read_seconds : 0.0, stats.total_seconds);
  if (stats.forced_order > 0)
    g_printerr ("weft import: warning: %" G_GUINT64_FORMAT " events did not fit Go's sequence numbers and were ordered by time\n",
                stats.forced_order);
  if (stats.inconsistencies > 0)
    g_printerr ("weft import: note: %" G_GUINT64_FORMAT " inconsistencies repaired (meta 'inconsistency.*')\n", stats.inconsistencies);
  return 0;
}

static int
print_report (const char *path, const char *name, const WeftReportOptions *opts, guint *n_rows)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_autoptr (GString) out = g_string_new (NULL);

  if (store == NULL || !weft_report (store, name, opts, out, n_rows, &error))
    {
      g_printerr ("weft report: %s\n", error->message);
      return 1;
    }
  if (!opts->json && *n_rows == 0 && strcmp (name, "gc") == 0)
    g_string_assign (out, "(no GC cycle in this trace)\n");
  fputs (out->str, stdout);
  return 0;
}

/* The CI gate of `report pauses --fail-over`: 1 (and the offenders on
 * stderr) if a pause is longer than @max_ns, 0 if none, -1 on error. */
static int
pauses_over (const char *path, gint64 max_ns)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_autoptr (GString) out = g_string_new (NULL);
  g_autofree char *limit = weft_format_duration (max_ns);
  sqlite3_stmt    *stmt = store != NULL ? weft_store_prepare_query (store, "pauses-over", &error) : NULL;
  guint            n = 0;
  gboolean         ok;

  if (stmt == NULL)
    {
      g_printerr ("weft report: %s\n", error->message);
      return -1;
    }
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":max_pause_ns"), max_ns);
  ok = weft_report_statement (store, stmt, "pauses-over", FALSE, FALSE, out, &n, &error);
  sqlite3_finalize (stmt);
  if (!ok)
    {
      g_printerr ("weft report: %s\n", error->message);
      return -1;
    }
  if (n == 0)
    return 0;
  g_printerr ("weft report: %u pause%s longer than %s:\n%s", n, n == 1 ? "" : "s", limit, out->str);
  return 1;
}

static int
cmd_report (int argc, char **argv)
{
  gboolean           json = FALSE, fail_on_leak = FALSE;
  gint               limit = 50;
  g_autofree char   *threshold = NULL;
  g_autofree char   *fail_over = NULL;
  gint64             max_pause_ns = 0;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { "limit", 0, 0, G_OPTION_ARG_INT, &limit, "Rows per table (0: all; default 50)", "N" },
    { "threshold", 0, 0, G_OPTION_ARG_STRING, &threshold,
      "leaks: only goroutines blocked at least this long at the end (default 0)", "DURATION" },
    { "fail-on-leak", 0, 0, G_OPTION_ARG_NONE, &fail_on_leak, "leaks: exit 1 if there are leaks or suspects", NULL },
    { "fail-over", 0, 0, G_OPTION_ARG_STRING, &fail_over, "pauses: exit 1 if a pause is longer than this", "DURATION" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("KIND FILE - print a report of a .weft database");
  g_autoptr (GError) error = NULL;
  WeftReportOptions opts = { 0 };
  guint             n_rows = 0;
  int               rc;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("weft report: %s\n", error->message);
      return 2;
    }
  if (argc != 3 || !weft_report_is_known (argv[1]))
    return usage ();
  opts.json = json;
  opts.limit = limit;
  if (threshold != NULL && !parse_duration (threshold, &opts.min_blocked_ns))
    {
      g_printerr ("weft report: bad duration \"%s\"\n", threshold);
      return 2;
    }
  if (fail_on_leak && strcmp (argv[1], "leaks") != 0)
    {
      g_printerr ("weft report: --fail-on-leak applies to \"leaks\"\n");
      return 2;
    }
  if (fail_over != NULL && (strcmp (argv[1], "pauses") != 0 || !parse_duration (fail_over, &max_pause_ns)))
    {
      g_printerr ("weft report: --fail-over takes a DURATION and applies to \"pauses\"\n");
      return 2;
    }
  rc = print_report (argv[2], argv[1], &opts, &n_rows);
  if (rc == 0 && fail_on_leak && strcmp (argv[1], "leaks") == 0 && n_rows > 0)
    return 1;
  if (rc == 0 && fail_over != NULL)
    {
      fflush (stdout);
      return pauses_over (argv[2], max_pause_ns) == 0 ? 0 : 1;
    }
  return rc;
}

/* Read-only SQL over a database, with the analysis views (schema/README.md
 * lists them): questions in goroutine terms. */
static int
cmd_query (int argc, char **argv)
{
  gboolean           json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 0, 0, G_OPTION_ARG_NONE, &json, "Print JSON", NULL },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("FILE SQL - run a read-only SQL query on a .weft database");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GString) out = g_string_new (NULL);
  sqlite3_stmt *stmt;
  guint         n_rows = 0;
  gboolean      ok;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("weft query: %s\n", error->message);
      return 2;
    }
  if (argc != 3)
    return usage ();
  store = weft_store_open (argv[1], WEFT_STORE_OPEN_READ_ONLY, &error);
  stmt = store != NULL ? weft_report_prepare_user_sql (store, argv[2], &error) : NULL;
  if (stmt == NULL)
    {
      g_printerr ("weft query: %s\n", error->message);
      return 1;
    }
  ok = weft_report_statement (store, stmt, "query", json, FALSE, out, &n_rows, &error);
  sqlite3_finalize (stmt);
  if (!ok)
    {
      g_printerr ("weft query: %s\n", error->message);
      return 1;
    }
  if (json)
    g_string_append_c (out, '\n');
  fputs (out->str, stdout);
  return 0;
}

static int
cmd_record (int argc, char **argv)
{
  g_autofree char   *output = NULL;
  g_autofree char   *duration = NULL;
  g_autofree char   *attach = NULL;
  g_autofree char   *go_url = NULL;
  g_autofree char   *db = NULL;
  gboolean           keep_ctf = FALSE;
  const GOptionEntry entries[] = {
    { "output", 'o', 0, G_OPTION_ARG_FILENAME, &output, "Database to write (default weft-CMD-DATE.weft)", "OUT.weft" },
    { "duration", 0, 0, G_OPTION_ARG_STRING, &duration, "Stop after this long (seconds, or e.g. 500ms, 1m)", "SECONDS" },
    { "keep-ctf", 0, 0, G_OPTION_ARG_NONE, &keep_ctf, "Keep the CTF trace", NULL },
    { "attach", 0, 0, G_OPTION_ARG_STRING, &attach,
      "Trace a running libweft program (pid, or name as in /proc/PID/comm) until --duration, Ctrl-C or its exit",
      "PID|NAME" },
    { "go", 0, 0, G_OPTION_ARG_STRING, &go_url,
      "Take a trace from a Go service's /debug/pprof/trace (default 5 s) and import it", "http://HOST:PORT" },
    { NULL },
  };
  g_autoptr (GOptionContext) ctx = g_option_context_new ("-- CMD [ARGS...] - trace a command");
  g_autoptr (GError) error = NULL;
  WeftRecordOptions opts = { 0 };
  WeftReportOptions ropts = { .limit = 50 };
  gint64            ns = 0;
  int               status;
  guint             n_rows;

  g_option_context_add_main_entries (ctx, entries, NULL);
  if (!g_option_context_parse (ctx, &argc, &argv, &error))
    {
      g_printerr ("weft record: %s\n", error->message);
      return 2;
    }
  /* GOption leaves "--" in argv when it is not the first argument. */
  if (argc >= 2 && strcmp (argv[1], "--") == 0)
    argv++, argc--;
  if ((attach != NULL && go_url != NULL) || (attach != NULL || go_url != NULL ? argc != 1 : argc < 2))
    return usage ();
  /* A bare number is seconds here (the usage says SECONDS), not ns. */
  if (duration != NULL && g_ascii_isdigit (duration[strlen (duration) > 0 ? strlen (duration) - 1 : 0]))
    {
      g_autofree char *with_unit = g_strconcat (duration, "s", NULL);

      if (!parse_duration (with_unit, &ns))
        ns = -1;
    }
  else if (duration != NULL && !parse_duration (duration, &ns))
    ns = -1;
  if (ns < 0)
    {
      g_printerr ("weft record: bad duration \"%s\"\n", duration);
      return 2;
    }
  if (go_url != NULL)
    {
      WeftImportStats stats;

      g_printerr ("weft: taking a %g s trace from %s\n", ns > 0 ? ns / 1e9 : 5.0, go_url);
      db = weft_import_record_go (go_url, ns > 0 ? ns / 1e9 : 5.0, output, &stats, &error);
      if (db == NULL)
        {
          g_printerr ("weft record: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", db);
      return print_report (db, "summary", &ropts, &n_rows);
    }
  opts.output = output;
  opts.duration = ns / 1e9;
  opts.keep_ctf = keep_ctf;
  if (attach != NULL)
    {
      g_autofree char *name = NULL;
      int              pid = weft_record_resolve_target (attach, &name, &error);

      if (pid > 0)
        {
          g_printerr ("weft: attaching to process %d (%s)%s\n", pid, name,
                      ns > 0 ? "" : "; Ctrl-C to stop");
          db = weft_record_attach (pid, name, &opts, &error);
        }
      if (db == NULL)
        {
          g_printerr ("weft record: %s\n", error->message);
          return 1;
        }
      g_print ("%s\n", db);
      return print_report (db, "summary", &ropts, &n_rows);
    }
  db = weft_record (argv + 1, &opts, &status, &error);
  if (status >= 0 && status != 0)
    g_printerr ("weft record: %s exited with status %d\n", argv[1], status);
  if (db == NULL)
    {
      g_printerr ("weft record: %s\n", error->message);
      return 1;
    }
  g_print ("%s\n", db);
  return print_report (db, "summary", &ropts, &n_rows);
}

/* weft view: hands the files to weft-viewer, looked up next to this
 * program in the build tree (../viewer/) or installed (same folder, PATH). */
static int
cmd_view (int argc, char **argv)
{
  g_autofree char *self = g_file_read_link ("/proc/self/exe", NULL);
  g_autofree char *dir = self != NULL ? g_path_get_dirname (self) : g_strdup (".");
  g_autofree char *built = g_build_filename (dir, "..", "viewer", "weft-viewer", NULL);
  g_autofree char *beside = g_build_filename (dir, "weft-viewer", NULL);
  g_autofree char *found = g_find_program_in_path ("weft-viewer");
  const char      *viewer = g_file_test (built, G_FILE_TEST_IS_EXECUTABLE)    ? built
                            : g_file_test (beside, G_FILE_TEST_IS_EXECUTABLE) ? beside
                                                                              : found;

  if (argc < 2)
    return usage ();
  if (viewer == NULL)
    {
      g_printerr ("weft view: weft-viewer is not installed (build with GTK 4 and libadwaita)\n");
      return 1;
    }
  argv[0] = (char *) viewer;
  execv (viewer, argv);
  g_printerr ("weft view: cannot run %s: %s\n", viewer, g_strerror (errno));
  return 1;
}

int
main (int argc, char **argv)
{
  setlocale (LC_ALL, "");
  if (argc < 2)
    return usage ();
  if (strcmp (argv[1], "convert") == 0)
    return cmd_convert (argc - 1, argv + 1);
  if (strcmp (argv[1], "import") == 0)
    return cmd_import (argc - 1, argv + 1);
  if (strcmp (argv[1], "record") == 0)
    return cmd_record (argc - 1, argv + 1);
  if (strcmp (argv[1], "report") == 0)
    return cmd_report (argc - 1, argv + 1);
  if (strcmp (argv[1], "query") == 0)
    return cmd_query (argc - 1, argv + 1);
  if (strcmp (argv[1], "view") == 0)
    return cmd_view (argc - 1, argv + 1);
  if (strcmp (argv[1], "--help") == 0 || strcmp (argv[1], "-h") == 0)
    {
      fputs (usage_text, stdout);
      return 0;
    }
  return usage ();
}
