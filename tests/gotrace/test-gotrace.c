/* test-gotrace.c — `weft import` of Go execution traces.
 *
 * Against the real thing: the Go programs of progs/ (a leaky pipeline, a
 * GC-heavy allocator, an HTTP server under load, user annotations) are
 * built and traced with the installed Go toolchain; oracle/ reads each
 * trace with Go's own reader (golang.org/x/exp/trace) and Weft's database
 * must agree with it: the same goroutines, each one's running, runnable,
 * blocked and syscall time within 1 µs, the same GC cycles and
 * stop-the-world pauses with the same total durations. (A coroutine
 * program covers goroutine switches outside the scheduler.) `weft report leaks`
 * must find the leaky program's ten goroutines at their `go` statement,
 * and `weft record --go` must take a trace from a running service.
 *
 * By hand-made traces (gotrace-writer.h): the formats of Go 1.22, 1.23,
 * 1.25 and 1.26 with known answers, ordering by sequence numbers across
 * Ms, and malformed input (a clear message naming the offset, exit 1, no
 * database left behind).
 *
 * Without `go`, or when the oracle's module cannot be fetched through the
 * module proxy, the test skips (exit 77) and says why.
 */
#include "../recorder/test-util.h"
#include "gotrace-writer.h"
#include "weft-store.h"

#include <gio/gio.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sqlite3.h>
#include <string.h>

static char *tmpdir;
static char *bindir; /* the built Go programs and oracle */

/* ------------------------------------------------------------------ helpers */

/* Runs @argv in @cwd; returns its exit status (128 + signal if killed). */
static int
run (const char *cwd, const char *const *argv, char **out, char **err)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *cmd = g_strjoinv (" ", (char **) argv);
  int              status = -1;

  g_assert_true (g_spawn_sync (cwd, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, out, err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("%s: status %d\nstderr: %s", cmd, status, err != NULL ? *err : "");
  return WIFEXITED (status) ? WEXITSTATUS (status) : 128 + WTERMSIG (status);
}

static int
weft (char **out, char **err, const char *a, const char *b, const char *c, const char *d)
{
  const char *argv[] = { g_getenv ("WEFT_CLI"), a, b, c, d, NULL };

  return run (NULL, argv, out, err);
}

static gint64
scalar (WeftStore *store, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (store, sql, NULL);
  gint64        v = -1;

  g_assert_nonnull (s);
  if (sqlite3_step (s) == SQLITE_ROW)
    v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

static char *
text (WeftStore *store, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (store, sql, NULL);
  char         *v = NULL;

  g_assert_nonnull (s);
  if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_text (s, 0) != NULL)
    v = g_strdup ((const char *) sqlite3_column_text (s, 0));
  sqlite3_finalize (s);
  return v;
}

static void
assert_text (WeftStore *store, const char *sql, const char *want)
{
  g_autofree char *got = text (store, sql);

  g_assert_cmpstr (got, ==, want);
}

/* Imports @trace; asserts success and returns the open database. */
static WeftStore *
import (const char *trace)
{
  g_autofree char *db = g_strconcat (trace, ".weft", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  WeftStore *store;

  g_assert_cmpint (weft (&out, &err, "import", trace, "-o", db), ==, 0);
  test_lod_matches_tables (db);
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  return store;
}

/* Runs progs/NAME (built in @dir) with a trace file; returns its path. */
static char *
trace_program_in (const char *dir, const char *name)
{
  g_autofree char *prog = g_build_filename (dir, name, NULL);
  g_autofree char *base = g_path_get_basename (dir);
  char            *trace = g_strdup_printf ("%s/%s-%s.out", tmpdir, name, base);
  g_autofree char *out = NULL, *err = NULL;
  const char      *argv[] = { prog, trace, NULL };

  g_assert_cmpint (run (tmpdir, argv, &out, &err), ==, 0);
  return trace;
}

static char *
trace_program (const char *name)
{
  return trace_program_in (bindir, name);
}

/* ------------------------------------------------------------------ the oracle */

typedef struct
{
  gint64 exec, sched, blocked, syscall;
} GoTimes;

/* A failed test leaves its directory behind (main removes it only on
 * success): the trace that Weft read differently from Go is named, so that
 * a failure seen once, under load, can be replayed (corpus/, README.md). */
static void
within_1us (const char *trace, gint64 goid, const char *state, gint64 have, gint64 want)
{
  if (ABS (have - want) <= 1000)
    return;
  g_printerr ("%s: goroutine %" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT " ns in Weft's database, %" G_GINT64_FORMAT
              " ns by Go's reader; the trace is kept\n",
              trace, goid, state, have, want);
  g_assert_cmpint (ABS (have - want), <=, 1000);
}

static void
compare_with_oracle (const char *dir, const char *name)
{
  g_autofree char *trace = trace_program_in (dir, name);
  g_autofree char *oracle = g_build_filename (bindir, "oracle", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char      *argv[] = { oracle, trace, NULL };
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GHashTable) want = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  g_autoptr (GHashTable) sample_funcs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_auto (GStrv) lines = NULL;
  gint64        gc_n = -1, gc_ns = -1, stw_n = -1, stw_ns = -1, samples = -1;
  sqlite3_stmt *s;
  guint         seen = 0;

  /* On any failure below, the trace to replay. */
  g_test_message ("trace %s", trace);
  g_assert_cmpint (run (NULL, argv, &out, &err), ==, 0);
  lines = g_strsplit (out, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    {
      gint64    id;
      GoTimes   t;
      long long a, b;

      if (sscanf (lines[i], "goroutine %" G_GINT64_FORMAT " exec=%" G_GINT64_FORMAT " sched=%" G_GINT64_FORMAT " blocked=%" G_GINT64_FORMAT " syscall=%" G_GINT64_FORMAT,
                  &id, &t.exec, &t.sched, &t.blocked, &t.syscall)
          == 5)
        g_hash_table_insert (want, g_memdup2 (&id, sizeof id), g_memdup2 (&t, sizeof t));
      else if (sscanf (lines[i], "gc %lld %lld", &a, &b) == 2)
        gc_n = a, gc_ns = b;
      else if (sscanf (lines[i], "stw %lld %lld", &a, &b) == 2)
        stw_n = a, stw_ns = b;
      else if (sscanf (lines[i], "samples %lld", &a) == 1)
        samples = a;
      else if (g_str_has_prefix (lines[i], "sample ") && strrchr (lines[i], ' ') > lines[i] + 7)
        {
          char *space = strrchr (lines[i], ' ');
          g_hash_table_insert (sample_funcs, g_strndup (lines[i] + 7, space - lines[i] - 7),
                               GSIZE_TO_POINTER ((gsize) g_ascii_strtoll (space + 1, NULL, 10)));
        }
    }
  g_assert_cmpint (g_hash_table_size (want), >, 0);
  g_assert_cmpint (gc_n, >=, 0);
  g_assert_cmpint (stw_n, >=, 0);
  g_assert_cmpint (samples, >=, 0);

  store = import (trace);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM goroutine"), ==, g_hash_table_size (want));
  s = weft_store_prepare (store,
                          "SELECT g.goid, COALESCE(t.exec_ns, 0), COALESCE(t.sched_wait_ns, 0), "
                          "COALESCE(t.block_sync_ns + t.block_chan_ns + t.block_net_ns + t.block_sleep_ns + t.block_gc_ns + t.block_other_ns, 0), "
                          "COALESCE(t.syscall_ns, 0) FROM goroutine AS g LEFT JOIN _goroutine_time AS t ON t.goid = g.goid",
                          NULL);
  g_assert_nonnull (s);
  while (sqlite3_step (s) == SQLITE_ROW)
    {
      gint64   id = sqlite3_column_int64 (s, 0);
      GoTimes *t = g_hash_table_lookup (want, &id);

      if (t == NULL)
        g_error ("goroutine %" G_GINT64_FORMAT " is in the database but not in Go's reading", id);
      /* Within 1 µs of Go's own figures. */
      within_1us (trace, id, "running", sqlite3_column_int64 (s, 1), t->exec);
      within_1us (trace, id, "runnable", sqlite3_column_int64 (s, 2), t->sched);
      within_1us (trace, id, "blocked", sqlite3_column_int64 (s, 3), t->blocked);
      within_1us (trace, id, "syscall", sqlite3_column_int64 (s, 4), t->syscall);
      seen++;
    }
  sqlite3_finalize (s);
  g_assert_cmpuint (seen, ==, g_hash_table_size (want));

  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gc_cycle WHERE end_ns IS NOT NULL"), ==, gc_n);
  g_assert_cmpint (ABS (scalar (store, "SELECT COALESCE(SUM(end_ns - start_ns), 0) FROM gc_cycle WHERE end_ns IS NOT NULL") - gc_ns), <=, 1000 * (gc_n + 1));
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM stw"), ==, stw_n);
  g_assert_cmpint (ABS (scalar (store, "SELECT COALESCE(SUM(end_ns - start_ns), 0) FROM stw") - stw_ns), <=, 1000 * (stw_n + 1));
  /* Every CPU sample, attributed to the same innermost function. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM cpu_sample"), ==, samples);
  g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'go_cpu_samples_not_imported'"), ==, 0);
  {
    GHashTableIter iter;
    gpointer       fn, n;

    g_hash_table_iter_init (&iter, sample_funcs);
    while (g_hash_table_iter_next (&iter, &fn, &n))
      {
        char  *sql = sqlite3_mprintf ("SELECT COALESCE(SUM(self_samples), 0) FROM cpu_profile WHERE function = %Q",
                                      (const char *) fn);
        gint64 have = scalar (store, sql);

        sqlite3_free (sql);
        if (have != (gint64) GPOINTER_TO_SIZE (n))
          g_error ("%s: %" G_GINT64_FORMAT " samples in the database, %" G_GSIZE_FORMAT " by Go's reader", (const char *) fn,
                   have, GPOINTER_TO_SIZE (n));
      }
  }
  /* Go's transitions needed no repair, and came in an order its
   * sequence numbers accept. */
  g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'go_events_forced_order'"), ==, 0);
}

static void
test_oracle (gconstpointer name)
{
  compare_with_oracle (bindir, name);
}

/* The same programs built by an older Go (GOTOOLCHAIN, fetched through
 * the module proxy): "go1.22.12/leaky". Skipped if it could not be built. */
static GHashTable *toolchain_failures; /* toolchain -> why */

static void
test_oracle_toolchain (gconstpointer data)
{
  g_autofree char *toolchain = g_path_get_dirname (data);
  g_autofree char *name = g_path_get_basename (data);
  g_autofree char *dir = g_build_filename (bindir, toolchain, NULL);
  const char      *why = g_hash_table_lookup (toolchain_failures, toolchain);

  if (why != NULL)
    {
      g_test_skip (why);
      return;
    }
  compare_with_oracle (dir, name);
}

static void
build_toolchain (const char *toolchain)
{
  g_autofree char *progs = g_test_build_filename (G_TEST_DIST, "progs", NULL);
  g_autofree char *dir = g_build_filename (bindir, toolchain, NULL);
  g_autofree char *outdir = g_strconcat (dir, "/", NULL);
  g_autofree char *env = g_strconcat ("GOTOOLCHAIN=", toolchain, NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char      *argv[] = { "env", env, "go", "build", "-o", outdir, "./...", NULL };

  if (run (progs, argv, &out, &err) != 0)
    g_hash_table_insert (toolchain_failures, g_strdup (toolchain),
                         g_strdup_printf ("cannot build with %s (toolchain download through the proxy?): %s", toolchain, err));
}

/* ------------------------------------------------------------------ analyses on real traces */

static int
line_of (const char *file, const char *needle)
{
  g_autofree char *contents = NULL;
  g_auto (GStrv) lines = NULL;

  g_assert_true (g_file_get_contents (file, &contents, NULL, NULL));
  lines = g_strsplit (contents, "\n", -1);
  for (guint i = 0; lines[i] != NULL; i++)
    if (strstr (lines[i], needle) != NULL)
      return (int) i + 1;
  g_assert_not_reached ();
}

static void
test_leaks (void)
{
  g_autofree char *trace = trace_program ("leaky");
  g_autofree char *src = g_test_build_filename (G_TEST_DIST, "progs", "leaky", "main.go", NULL);
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *db = g_strconcat (trace, ".weft", NULL);
  g_autofree char *site = NULL, *block = NULL, *want_site = NULL;
  g_autoptr (WeftStore) store = import (trace);

  /* The ten goroutines of `go waitForever(never)`, blocked on a receive. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM leak_candidates WHERE start_function = 'main.waitForever'"), ==, 10);
  site = text (store, "SELECT DISTINCT create_site FROM leak_candidates WHERE start_function = 'main.waitForever'");
  want_site = g_strdup_printf ("main.main (%s:%d)", "", line_of (src, "go waitForever(never)"));
  g_assert_true (g_str_has_prefix (site, "main.main ("));
  g_assert_true (g_str_has_suffix (site, strchr (want_site, ':')));
  block = text (store, "SELECT DISTINCT block_site FROM leak_candidates WHERE start_function = 'main.waitForever'");
  g_assert_true (g_str_has_prefix (block, "main.waitForever ("));
  assert_text (store, "SELECT DISTINCT wait_reason_name FROM leak_candidates WHERE start_function = 'main.waitForever'", "chan receive");
  /* The workers of the pipeline finished: not suspects. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM leak_candidates WHERE start_function = 'main.work'"), ==, 0);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM goroutine_info WHERE start_function = 'main.work' AND ended_ns IS NOT NULL"), ==, 4);

  /* And the report says it. */
  g_assert_cmpint (weft (&out, &err, "report", "leaks", db, "--fail-on-leak"), ==, 1);
  g_assert_nonnull (strstr (out, "main.waitForever"));
}

static void
test_gc (void)
{
  g_autofree char *trace = trace_program ("gcheavy");
  g_autoptr (WeftStore) store = import (trace);

  /* Two forced collections at least, and the heap's counters. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gc_cycle"), >=, 2);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM stw WHERE reason = 'GC mark termination'"), >=, 2);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM stw WHERE reason = 'GC sweep termination'"), >=, 2);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gc_span WHERE kind = 'sweep'"), >, 0);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM counter_sample"), >, 0);
  /* Stacks are symbolised from the trace itself. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM symbol WHERE function = 'main.churn' AND file LIKE '%gcheavy/main.go' AND line > 0"), >, 0);
  /* The timeline's level of detail is built, as weft convert builds it. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM meta WHERE key = 'lod_build_ms'"), ==, 1);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM lod_lane WHERE kind = 3"), >, 0);
}

static void
test_annotations (void)
{
  g_autofree char *trace = trace_program ("annotate");
  g_autoptr (WeftStore) store = import (trace);

  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM task WHERE name = 'batch' AND end_ns IS NOT NULL"), ==, 1);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM task AS t JOIN task AS p ON p.id = t.parent "
                                  "WHERE t.name = 'item' AND p.name = 'batch'"),
                   ==, 3);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM region WHERE name = 'fetch' AND depth = 0"), ==, 3);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM region WHERE name = 'decode' AND depth = 1 AND end_ns - start_ns >= 2000000"), ==, 3);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM log WHERE category = 'item' AND message IN ('0', '1', '2')"), ==, 3);
}

/* Where the CPU went: spinHot does three times spinCold's work. */
static void
test_cpu (void)
{
  g_autofree char *trace = trace_program ("cpuheavy");
  g_autoptr (WeftStore) store = import (trace);
  g_autofree char *db = g_strconcat (trace, ".weft", NULL);
  g_autofree char *out = NULL, *err = NULL;
  gint64           hot = scalar (store, "SELECT self_samples FROM cpu_profile WHERE function = 'main.spinHot'");
  gint64           cold = scalar (store, "SELECT self_samples FROM cpu_profile WHERE function = 'main.spinCold'");

  /* Go samples at 100 Hz: about 0.8 s of CPU. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM cpu_sample"), >=, 20);
  g_assert_cmpint (hot, >, cold);
  g_assert_cmpint (cold, >, 0);
  /* The goroutines running them are known. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM cpu_sample AS c JOIN goroutine AS g ON g.goid = c.goid"), >, hot / 2);
  g_assert_cmpint (weft (&out, &err, "report", "cpu", db, NULL), ==, 0);
  g_test_message ("%s", out);
  g_assert_nonnull (strstr (out, "main.spinHot"));
  g_assert_true (strstr (out, "main.spinHot") < strstr (out, "main.spinCold"));
}

/* weft record --go: a service serving net/http/pprof. */
static void
test_record_go (void)
{
  g_autofree char *prog = g_build_filename (bindir, "httpload", NULL);
  g_autofree char *db = g_build_filename (tmpdir, "service.weft", NULL);
  g_autofree char *url = NULL, *line = NULL, *out = NULL, *err = NULL;
  g_autoptr (GSubprocess) server = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;
  int port = 0;

  server = g_subprocess_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE, &error, prog, "-serve", NULL);
  g_assert_no_error (error);
  in = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server));
  line = g_data_input_stream_read_line (in, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (sscanf (line, "listening on %d", &port), ==, 1);
  url = g_strdup_printf ("http://127.0.0.1:%d", port);

  {
    const char *argv[] = { g_getenv ("WEFT_CLI"), "record", "--go", url, "--duration", "1", "-o", db, NULL };
    g_assert_cmpint (run (NULL, argv, &out, &err), ==, 0);
  }
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  /* The load's goroutines ran, blocked on the network, and were named. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM goroutine"), >, 4);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 0"), >, 100);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate AS s JOIN wait_reason AS r ON r.reason = s.wait_reason "
                                  "WHERE r.name = 'network' AND r.category = 'net'"),
                   >, 0);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM goroutine_info WHERE start_function LIKE 'net/http.%'"), >, 0);

  /* Refusals: https, a closed port, a 404. */
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  g_assert_cmpint (weft (&out, &err, "record", "--go", "https://127.0.0.1:1", NULL), ==, 1);
  g_assert_nonnull (strstr (err, "https is not supported"));
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  {
    g_autofree char *bad = g_strdup_printf ("http://127.0.0.1:%d/no/such/path", port);
    g_assert_cmpint (weft (&out, &err, "record", "--go", bad, NULL), ==, 1);
    g_assert_nonnull (strstr (err, "HTTP 404"));
  }
  g_subprocess_send_signal (server, SIGKILL);
  g_subprocess_wait (server, NULL, NULL);
}

/* ------------------------------------------------------------------ hand-made traces */

static const char *const strings[] = { "main.worker", "/src/main.go", "chan receive", "sync", "preempted", NULL };
static const guint64     pcs[] = { 0x401000, 0x402000 };

static char *
write_trace (const char *name, GByteArray *bytes)
{
  char *path = g_build_filename (tmpdir, name, NULL);

  g_assert_true (g_file_set_contents (path, (const char *) bytes->data, bytes->len, NULL));
  return path;
}

/* Two generations of one M in the flavour of Go 1.@minor:
 *   gen 1: g1 running creates g2 (t 1100), blocks on a receive (1200);
 *          g2 runs (1300), wakes g1 (1400), exits (1500); g1 runs (1600)
 *   gen 2: g1, still running, blocks on a mutex (2500), the trace ends.
 * Go's reader hands out a Sync at the generation's earliest batch (1000)
 * and moves an event that shares its predecessor's timestamp 1 ns later:
 * P 0's status at 1001, g1's at 1002 (as Go's own reader reads it). */
static GByteArray *
craft (guint minor)
{
  GByteArray *out = g_byte_array_new ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  gw_header (out, minor);
  gw_tables (out, minor, 1, strings, pcs, 2);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_CREATE, 4, 100, 2, 1, 1);
  gw_ev (p, WEFT_GO_EV_GO_BLOCK, 3, 100, 3, 1);
  gw_ev (p, WEFT_GO_EV_GO_START, 3, 100, 2, 1);
  gw_ev (p, WEFT_GO_EV_GO_UNBLOCK, 4, 100, 1, 1, 0);
  gw_ev (p, WEFT_GO_EV_GO_DESTROY, 1, 100);
  gw_ev (p, WEFT_GO_EV_GO_START, 3, 100, 1, 2);
  gw_batch (out, 1, 100, 1000, p);
  gw_end_generation (out, minor);

  gw_tables (out, minor, 2, strings, pcs, 2);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_BLOCK, 3, 500, 4, 1);
  gw_batch (out, 2, 100, 2000, p);
  gw_end_generation (out, minor);
  return out;
}

static void
test_versions (void)
{
  static const guint minors[] = { 22, 23, 25, 26 };

  for (guint i = 0; i < G_N_ELEMENTS (minors); i++)
    {
      g_autoptr (GByteArray) bytes = craft (minors[i]);
      g_autofree char *name = g_strdup_printf ("crafted-1.%u.out", minors[i]);
      g_autofree char *trace = write_trace (name, bytes);
      g_autoptr (WeftStore) store = import (trace);
      g_autofree char *version = NULL;

      g_test_message ("Go 1.%u", minors[i]);
      version = text (store, "SELECT value FROM meta WHERE key = 'go_trace_format'");
      g_assert_cmpint (g_ascii_strtoll (version + 4, NULL, 10), ==, minors[i]);
      g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM goroutine"), ==, 2);
      /* g1: running 1002-1200 and 1600-2500, blocked 1200-1400 on a
       * receive, runnable 1400-1600; blocked on "sync" at the end. */
      g_assert_cmpint (scalar (store, "SELECT exec_ns FROM _goroutine_time WHERE goid = 1"), ==, 198 + 900);
      g_assert_cmpint (scalar (store, "SELECT sched_wait_ns FROM _goroutine_time WHERE goid = 1"), ==, 200);
      g_assert_cmpint (scalar (store, "SELECT block_chan_ns FROM _goroutine_time WHERE goid = 1"), ==, 200);
      assert_text (store, "SELECT r.name FROM gstate AS s JOIN wait_reason AS r ON r.reason = s.wait_reason "
                          "WHERE s.goid = 1 AND s.open_end = 1",
                   "sync");
      /* g2: created by g1 at 1100 from stack 1, ran 1300-1500. */
      g_assert_cmpint (scalar (store, "SELECT parent FROM goroutine WHERE goid = 2"), ==, 1);
      g_assert_cmpint (scalar (store, "SELECT ended_ns - created_ns FROM goroutine WHERE goid = 2"), ==, 400);
      g_assert_cmpint (scalar (store, "SELECT exec_ns FROM _goroutine_time WHERE goid = 2"), ==, 200);
      g_assert_cmpint (scalar (store, "SELECT start_pc FROM goroutine WHERE goid = 2"), ==, 0x401000);
      assert_text (store, "SELECT start_function FROM goroutine_info WHERE goid = 2", "main.worker");
      assert_text (store, "SELECT file || ':' || line FROM symbol WHERE pc = 4202496", "/src/main.go:11");
      /* Both generations' stack 1 are one stack. */
      g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM stack"), ==, 1);
      g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
    }
}

/* Where the trace ends: `go tool trace` ends the states still open at the
 * Sync its reader hands out last, 1 ns after the last event or CPU sample.
 * When tracing stops, the runtime writes a last generation that repeats
 * every goroutine's status; preempted before it (a loaded machine), it
 * writes them microseconds after the last real event: Weft once ended the
 * trace at that event, 10 µs short of Go for every goroutine blocked at
 * the end (the flaky oracle test). Here, in each format:
 *   gen 1: g1 runs from 1000, blocks on a receive at 1100
 *   gen 2: at 13000 the statuses again (g1 still waiting), a CPU sample
 *          at 20000; Go's reader ends the trace at 20001. */
static void
test_trace_end (void)
{
  static const guint minors[] = { 22, 23, 25, 26 };

  for (guint i = 0; i < G_N_ELEMENTS (minors); i++)
    {
      g_autoptr (GByteArray) out = g_byte_array_new ();
      g_autoptr (GByteArray) p = g_byte_array_new ();
      g_autofree char *name = g_strdup_printf ("end-1.%u.out", minors[i]);
      g_autofree char *trace = NULL;
      g_autoptr (WeftStore) store = NULL;

      g_test_message ("Go 1.%u", minors[i]);
      gw_header (out, minors[i]);
      gw_tables (out, minors[i], 1, strings, pcs, 2);
      gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
      gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_RUNNING);
      gw_ev (p, WEFT_GO_EV_GO_BLOCK, 3, 100, 3, 1);
      gw_batch (out, 1, 100, 1000, p);
      gw_end_generation (out, minors[i]);

      gw_tables (out, minors[i], 2, strings, pcs, 2);
      gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
      gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_WAITING);
      gw_batch (out, 2, 100, 13000, p);
      gw_byte (p, WEFT_GO_EV_CPU_SAMPLES);
      gw_ev (p, WEFT_GO_EV_CPU_SAMPLE, 5, 20000, 100, 0, 0, 1);
      gw_batch (out, 2, 0, 13000, p);
      gw_end_generation (out, minors[i]);
      trace = write_trace (name, out);
      store = import (trace);

      /* Running 1002-1100 (after the Sync opening the generation and the P's
       * status, at 1000 all three), blocked to the end. */
      g_assert_cmpint (scalar (store, "SELECT exec_ns FROM _goroutine_time WHERE goid = 1"), ==, 98);
      g_assert_cmpint (scalar (store, "SELECT block_chan_ns FROM _goroutine_time WHERE goid = 1"), ==, 20001 - 1100);
      g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM cpu_sample"), ==, 1);
      g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
    }
}

/* Clock skew between Ms: M 200 wakes g1 at a time before M 100 wrote its
 * block. Go's sequence numbers put the block first; so must we. */
static void
test_order_across_ms (void)
{
  g_autoptr (GByteArray) out = g_byte_array_new ();
  g_autoptr (GByteArray) p = g_byte_array_new ();
  g_autofree char *trace = NULL;
  g_autoptr (WeftStore) store = NULL;

  gw_header (out, 26);
  gw_tables (out, 26, 1, strings, pcs, 2);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_BLOCK, 3, 100, 3, 1); /* 1100 */
  gw_batch (out, 1, 100, 1000, p);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 1, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 2, 200, WEFT_GO_G_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_UNBLOCK, 4, 50, 1, 1, 0); /* 1050: skewed */
  gw_ev (p, WEFT_GO_EV_GO_STOP, 3, 150, 5, 0);      /* 1200 */
  gw_ev (p, WEFT_GO_EV_GO_START, 3, 100, 1, 2);     /* 1300 */
  gw_batch (out, 1, 200, 1000, p);
  gw_end_generation (out, 26);
  trace = write_trace ("skew.out", out);
  store = import (trace);

  g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'go_events_forced_order'"), ==, 0);
  g_assert_cmpint (scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  /* Blocked, then woken (1 ns later, as Go's reader makes it), then run. */
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate WHERE goid = 1 AND state = 2"), ==, 1);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate WHERE goid = 1 AND state = 1 AND end_ns > start_ns"), ==, 1);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate WHERE goid = 1 AND state = 0 AND open_end = 1"), ==, 1);
  g_assert_cmpint (scalar (store, "SELECT COUNT(*) FROM gstate WHERE goid = 2 AND state = 1 AND open_end = 1"), ==, 1);
}

/* Each malformed input: exit 1, a message naming @expect, no database. */
static void
expect_refusal (const char *name, const guint8 *data, gsize len, const char *expect)
{
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  g_autofree char *db = g_strconcat (path, ".weft", NULL);
  g_autofree char *partial = g_strconcat (db, ".partial", NULL);
  g_autofree char *out = NULL, *err = NULL;

  g_test_message ("%s", name);
  g_assert_true (g_file_set_contents (path, (const char *) data, len, NULL));
  g_assert_cmpint (weft (&out, &err, "import", path, "-o", db), ==, 1);
  if (strstr (err, expect) == NULL)
    g_error ("%s: expected \"%s\" in: %s", name, expect, err);
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static void
test_malformed (void)
{
  g_autoptr (GByteArray) good = craft (26);
  g_autoptr (GByteArray) b = g_byte_array_new ();
  g_autoptr (GByteArray) p = g_byte_array_new ();

  expect_refusal ("empty.out", (const guint8 *) "", 0, "not a Go execution trace");
  expect_refusal ("text.out", (const guint8 *) "hello, world\n", 13, "not a Go execution trace");
  expect_refusal ("future.out", (const guint8 *) "go 1.99 trace\0\0\0", 16, "unknown Go trace version 1.99");
  expect_refusal ("old.out", (const guint8 *) "go 1.21 trace\0\0\0", 16, "only the format of Go 1.22 and later");

  /* Cut anywhere inside: the offset and "truncated" or "ends inside". */
  for (gsize cut = 17; cut < good->len; cut += 7)
    {
      g_autofree char *name = g_strdup_printf ("cut-%zu.out", cut);
      g_autofree char *path = g_build_filename (tmpdir, name, NULL);
      g_autofree char *out = NULL, *err = NULL;
      g_autofree char *db = g_strconcat (path, ".weft", NULL);

      g_assert_true (g_file_set_contents (path, (const char *) good->data, cut, NULL));
      g_assert_cmpint (weft (&out, &err, "import", path, "-o", db), ==, 1);
      g_assert_nonnull (strstr (err, "offset "));
      g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
    }

  /* A varint of eleven continuation bytes as a timestamp delta. */
  gw_header (b, 26);
  gw_tables (b, 26, 1, strings, pcs, 0);
  gw_byte (p, WEFT_GO_EV_GO_START);
  for (int i = 0; i < 11; i++)
    gw_byte (p, 0xff);
  gw_batch (b, 1, 100, 1000, p);
  gw_end_generation (b, 26);
  expect_refusal ("varint.out", b->data, b->len, "not a valid varint");

  /* An event type no Go writes. */
  g_byte_array_set_size (b, 0);
  gw_header (b, 26);
  gw_tables (b, 26, 1, strings, pcs, 0);
  gw_ev (p, 120, 1, 0);
  gw_batch (b, 1, 100, 1000, p);
  gw_end_generation (b, 26);
  expect_refusal ("type.out", b->data, b->len, "event type 120 is not a timed event");

  /* A Go 1.23 event in a Go 1.22 trace. */
  g_byte_array_set_size (b, 0);
  gw_header (b, 22);
  gw_tables (b, 22, 1, strings, pcs, 0);
  gw_ev (p, WEFT_GO_EV_GO_STATUS_STACK, 5, 0, 1, 100, WEFT_GO_G_RUNNING, 0);
  gw_batch (b, 1, 100, 1000, p);
  expect_refusal ("version.out", b->data, b->len, "not a timed event of Go 1.22 traces");

  /* A goroutine stops on an M that runs none. */
  g_byte_array_set_size (b, 0);
  gw_header (b, 26);
  gw_tables (b, 26, 1, strings, pcs, 0);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STOP, 3, 10, 5, 0);
  gw_batch (b, 1, 100, 1000, p);
  gw_end_generation (b, 26);
  expect_refusal ("nog.out", b->data, b->len, "GoStop on M 100, which runs no goroutine");

  /* A stack id the generation does not define. */
  g_byte_array_set_size (b, 0);
  gw_header (b, 26);
  gw_tables (b, 26, 1, strings, pcs, 0);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_STATUS, 4, 0, 1, 100, WEFT_GO_G_RUNNING);
  gw_ev (p, WEFT_GO_EV_GO_CREATE, 4, 10, 2, 7, 0);
  gw_batch (b, 1, 100, 1000, p);
  gw_end_generation (b, 26);
  expect_refusal ("stack.out", b->data, b->len, "stack id 7 is not in its generation's table");

  /* A generation without its frequency. */
  g_byte_array_set_size (b, 0);
  gw_header (b, 26);
  gw_ev (p, WEFT_GO_EV_PROC_STATUS, 3, 0, 0, WEFT_GO_P_RUNNING);
  gw_batch (b, 1, 100, 1000, p);
  gw_end_generation (b, 26);
  expect_refusal ("freq.out", b->data, b->len, "has no frequency");
}

/* ------------------------------------------------------------------ setup */

/* Builds the Go programs and the oracle into bindir. FALSE (and why) if
 * Go is missing or the oracle's module cannot be fetched. */
static gboolean
build_go (char **why)
{
  g_autofree char *progs = g_test_build_filename (G_TEST_DIST, "progs", NULL);
  g_autofree char *oracle_dir = g_test_build_filename (G_TEST_DIST, "oracle", NULL);
  g_autofree char *go = g_find_program_in_path ("go");
  g_autofree char *outdir = g_strconcat (bindir, "/", NULL);
  g_autofree char *oracle = g_build_filename (bindir, "oracle", NULL);
  g_autofree char *out = NULL, *err = NULL;
  const char      *build_progs[] = { "go", "build", "-o", outdir, "./...", NULL };
  const char      *build_oracle[] = { "go", "build", "-o", oracle, ".", NULL };
  int              status;

  if (go == NULL)
    {
      *why = g_strdup ("`go` is not on PATH: the Go programs cannot be traced");
      return FALSE;
    }
  if (run (progs, build_progs, &out, &err) != 0)
    g_error ("building tests/gotrace/progs failed:\n%s", err);
  g_clear_pointer (&out, g_free);
  g_clear_pointer (&err, g_free);
  status = run (oracle_dir, build_oracle, &out, &err);
  if (status != 0)
    {
      *why = g_strdup_printf ("cannot build the oracle (golang.org/x/exp/trace through the module proxy?):\n%s", err);
      return FALSE;
    }
  return TRUE;
}

int
main (int argc, char **argv)
{
  g_autofree char *why = NULL;
  g_auto (GStrv) toolchains = NULL;
  int rc;

  g_test_init (&argc, &argv, NULL);
  if (g_getenv ("WEFT_CLI") == NULL)
    {
      g_printerr ("WEFT_CLI is not set: run through meson test\n");
      return 77;
    }
  g_setenv ("GOTOOLCHAIN", "local", TRUE);
  g_setenv ("GOFLAGS", "-mod=readonly", TRUE);
  tmpdir = g_dir_make_tmp ("weft-gotrace-XXXXXX", NULL);
  bindir = g_build_filename (tmpdir, "bin", NULL);
  g_mkdir (bindir, 0755);

  g_test_add_func ("/gotrace/versions", test_versions);
  g_test_add_func ("/gotrace/order-across-ms", test_order_across_ms);
  g_test_add_func ("/gotrace/trace-end", test_trace_end);
  g_test_add_func ("/gotrace/malformed", test_malformed);
  if (build_go (&why))
    {
      g_test_add_data_func ("/gotrace/oracle/leaky", "leaky", test_oracle);
      g_test_add_data_func ("/gotrace/oracle/gcheavy", "gcheavy", test_oracle);
      g_test_add_data_func ("/gotrace/oracle/annotate", "annotate", test_oracle);
      g_test_add_data_func ("/gotrace/oracle/httpload", "httpload", test_oracle);
      g_test_add_data_func ("/gotrace/oracle/coro", "coro", test_oracle);
      g_test_add_data_func ("/gotrace/oracle/cpuheavy", "cpuheavy", test_oracle);
      g_test_add_func ("/gotrace/leaks", test_leaks);
      g_test_add_func ("/gotrace/gc", test_gc);
      g_test_add_func ("/gotrace/cpu", test_cpu);
      g_test_add_func ("/gotrace/annotations", test_annotations);
      g_test_add_func ("/gotrace/record-go", test_record_go);

      /* Earlier trace formats, from the Go releases that wrote them
       * (1.24 writes 1.23's). WEFT_GOTRACE_TOOLCHAINS="" skips them. */
      toolchain_failures = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      toolchains = g_strsplit (g_getenv ("WEFT_GOTRACE_TOOLCHAINS") != NULL ? g_getenv ("WEFT_GOTRACE_TOOLCHAINS")
                                                                            : "go1.22.12 go1.23.12 go1.24.13 go1.25.0",
                               " ", -1);
      for (guint i = 0; toolchains[i] != NULL; i++)
        {
          static const char *const progs[] = { "leaky", "gcheavy", "annotate", "httpload", "coro", "cpuheavy" };

          if (toolchains[i][0] == '\0')
            continue;
          build_toolchain (toolchains[i]);
          for (guint k = 0; k < G_N_ELEMENTS (progs); k++)
            {
              /* iter.Pull came with Go 1.23. */
              if (strcmp (progs[k], "coro") == 0 && g_str_has_prefix (toolchains[i], "go1.22"))
                continue;
              char            *data = g_strdup_printf ("%s/%s", toolchains[i], progs[k]);
              g_autofree char *path = g_strdup_printf ("/gotrace/%s/oracle/%s", toolchains[i], progs[k]);

              g_test_add_data_func_full (path, data, test_oracle_toolchain, g_free);
            }
        }
    }
  rc = g_test_run ();
  if (why != NULL)
    {
      /* The hand-made traces passed; the real ones could not be made. */
      g_printerr ("SKIP the tests against Go's reader: %s\n", why);
      if (rc == 0)
        rc = 77;
    }
  /* WEFT_GOTRACE_KEEP=1 keeps the traces (e.g. to seed the fuzz corpus). */
  if (rc == 0 && g_getenv ("WEFT_GOTRACE_KEEP") == NULL)
    {
      const char *rm[] = { "rm", "-rf", tmpdir, NULL };
      run (NULL, rm, NULL, NULL);
    }
  return rc;
}
