/* test-convert.c — conversion of real LTTng traces (integration).
 *
 * Traces are written by build-aux/weft-lttng around weft-trace-gen (the
 * scenario's answers are known: see weft-trace-gen.c) and, when they are
 * built, around data/examples/leaky-pipeline and pingpong. Tests skip when
 * LTTng cannot trace here (weft-lttng exits 125).
 */
#include "test-util.h"
#include "weft-convert.h"
#include "weft-store.h"
#include "weft-symbolize.h"

#include <glib/gstdio.h>
#include <string.h>

static char *tmpdir;
static char *scenario_ctf; /* shared by several tests */
static char *leaky_ctf;

/* Runs CMD under weft-lttng; returns the CTF folder, NULL if LTTng cannot
 * be used (the test is then skipped). */
static char *
record (const char *name, const char *const *cmd)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *out = NULL, *err = NULL;
  g_autofree char *outdir = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  int   status;
  guint n;

  if (g_getenv ("WEFT_LTTNG") == NULL || !g_file_test (g_getenv ("WEFT_LTTNG"), G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_message ("no build-aux/weft-lttng");
      return NULL;
    }
  g_ptr_array_add (argv, (gpointer) g_getenv ("WEFT_LTTNG"));
  g_ptr_array_add (argv, (gpointer) "run");
  g_ptr_array_add (argv, outdir);
  g_ptr_array_add (argv, (gpointer) "--");
  for (guint i = 0; cmd[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) cmd[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, 0, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 125)
    {
      g_test_message ("weft-lttng: %s", err);
      return NULL;
    }
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  if (n == 0 || !g_file_test (lines[n - 1], G_FILE_TEST_IS_DIR))
    {
      g_test_message ("no CTF folder; stdout: %s; stderr: %s", out, err);
      return NULL;
    }
  return g_strdup (lines[n - 1]);
}

static const char *
scenario (void)
{
  if (scenario_ctf == NULL)
    {
      const char *cmd[] = { g_getenv ("WEFT_TRACE_GEN"), "scenario", NULL };
      scenario_ctf = record ("scenario", cmd);
    }
  return scenario_ctf;
}

static WeftStore *
convert (const char *ctf, const char *name)
{
  g_autofree char *db = g_build_filename (tmpdir, name, NULL);
  g_autoptr (GError) error = NULL;
  WeftConvertStats stats;
  WeftStore       *store;

  g_assert_true (weft_convert (ctf, db, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.events, >, 0);
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  return store;
}

static char *
text (WeftStore *store, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (store, sql, NULL);
  char         *v = NULL;

  g_assert_nonnull (s);
  if (sqlite3_step (s) == SQLITE_ROW && sqlite3_column_type (s, 0) != SQLITE_NULL)
    v = g_strdup ((const char *) sqlite3_column_text (s, 0));
  sqlite3_finalize (s);
  return v;
}

static void
test_scenario (void)
{
  const char *ctf = scenario ();
  g_autoptr (WeftStore) store = NULL;
  g_autofree char *create_site = NULL, *block_site = NULL, *program = NULL;

  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  store = convert (ctf, "scenario.weft");
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lost_events'"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM goroutine"), ==, 16);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM goroutine WHERE ended_ns IS NULL"), ==, 8);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 2 AND wait_reason = 1"), ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 2 AND wait_reason = 12"), ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 2 AND wait_reason = 12 AND unblocked_by = 0"), ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 3"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM task WHERE name = 'scenario' AND end_ns IS NOT NULL"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM region WHERE name = 'spawn'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM log"), ==, 1);
  /* The leak suspects: the 7 producers never released, one group. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leak_candidates"), ==, 7);
  create_site = text (store, "SELECT DISTINCT create_site FROM leak_candidates");
  block_site = text (store, "SELECT DISTINCT block_site FROM leak_candidates");
  g_assert_true (g_str_has_prefix (create_site, "site_go_producer"));
  g_assert_true (g_str_has_prefix (block_site, "site_chan_send"));
  g_assert_cmpint (test_scalar (store, "SELECT goroutines FROM goroutine_analysis WHERE start_function = 'producer'"), ==, 10);
  program = text (store, "SELECT value FROM meta WHERE key = 'program'");
  g_assert_cmpstr (program, ==, "weft-trace-gen");
}

/* Runs the weft CLI; returns its exit status, stdout in *out. */
static int
run_cli (const char *const *args, char **out)
{
  g_autoptr (GPtrArray) argv = g_ptr_array_new ();
  g_autofree char *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_ptr_array_add (argv, (gpointer) g_getenv ("WEFT_CLI"));
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  g_assert_true (g_spawn_sync (NULL, (char **) argv->pdata, NULL, 0, NULL, NULL, out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  return WEXITSTATUS (status);
}

/* weft-trace-gen's GC scenario (see gc_scenario there): two cycles, five
 * pauses, workers, an assist, a sweep, one proven leak. */
static void
test_gc (void)
{
  const char      *cmd[] = { g_getenv ("WEFT_TRACE_GEN"), "gc", NULL };
  g_autofree char *ctf = record ("gc", cmd);
  g_autofree char *db = g_build_filename (tmpdir, "gc.weft", NULL);
  g_autofree char *out = NULL, *trigger = NULL, *leak_site = NULL;
  g_autoptr (WeftStore) store = NULL;

  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  store = convert (ctf, "gc.weft");
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'inconsistency.gc_unbalanced'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_cycle WHERE end_ns > start_ns"), ==, 2);
  trigger = text (store, "SELECT group_concat(trigger, ',') FROM (SELECT trigger FROM gc_cycle ORDER BY id)");
  g_assert_cmpstr (trigger, ==, "heap,forced");
  g_assert_cmpint (test_scalar (store, "SELECT heap_before FROM gc_cycle WHERE id = 1"), ==, 4 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT heap_after FROM gc_cycle WHERE id = 1"), ==, 3 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT heap_goal FROM gc_cycle WHERE id = 1"), ==, 6 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT trigger_goal FROM gc_cycle WHERE id = 2"), ==, 6 << 20);
  /* Pauses: 4 of cycles, 1 ReadMemStats; each at least its sleep. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM stw"), ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM stw WHERE gc_cycle IS NULL AND reason = 'ReadMemStats'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM stw WHERE gc_cycle = 1 AND reason = 'GC mark termination' "
                                       "AND end_ns - start_ns >= 2000000"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT MIN(end_ns - start_ns) FROM stw"), >=, 100000);
  g_assert_cmpint (test_scalar (store, "SELECT count FROM gc_pause_summary WHERE reason = 'all'"), ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT max_ns FROM gc_pause_summary WHERE reason = 'all'"), ==,
                   test_scalar (store, "SELECT MAX(end_ns - start_ns) FROM stw"));
  /* Counting the Ps that mark can only lower the utilization. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mmu AS m JOIN mmu_gc AS g USING (window_ns)"), ==,
                   test_scalar (store, "SELECT COUNT(*) FROM mmu"));
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mmu AS m JOIN mmu_gc AS g USING (window_ns) WHERE g.mmu > m.mmu"),
                   ==, 0);
  /* Work spans. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_span WHERE kind = 'mark'"), ==, 2);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_span WHERE kind = 'worker' AND p = 1 AND mode = "
                                       "'dedicated' AND bytes = 1048576 AND gc_cycle = 1 AND open_end = 0"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_span WHERE kind = 'worker' AND p = 0 AND mode = 'idle' "
                                       "AND gc_cycle = 2 AND open_end = 1"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_span WHERE kind = 'assist' AND goid = 1 AND "
                                       "end_ns - start_ns >= 200000"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT reclaimed FROM gc_span WHERE kind = 'sweep' AND gc_cycle = 1 AND goid = 1"),
                   ==, 1 << 19);
  g_assert_cmpint (test_scalar (store, "SELECT gc_assist_ns > 0 FROM goroutine_analysis WHERE start_function = 'main'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT gc_sweep_ns > 0 FROM goroutine_analysis WHERE start_function = 'main'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 1);
  /* Counters. */
  g_assert_cmpint (test_scalar (store, "SELECT value FROM counter_sample WHERE counter = 1"), ==, 3 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM counter_sample WHERE counter = 2"), ==, 6 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM counter_sample WHERE counter = 3 ORDER BY ts DESC"), ==, 3);
  /* The proof: goroutine 2, at its blocking site, reported first. */
  g_assert_cmpint (test_scalar (store, "SELECT goid FROM leaked"), ==, 2);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leaked"), ==, 1);
  leak_site = text (store, "SELECT block_site FROM leaked_goroutines");
  g_assert_true (g_str_has_prefix (leak_site, "site_chan_recv"));

  /* The CI gates. */
  {
    const char      *over[] = { "report", "pauses", db, "--fail-over", "1500us", NULL };
    const char      *under[] = { "report", "pauses", db, "--fail-over", "1s", NULL };
    const char      *leaks[] = { "report", "leaks", db, "--fail-on-leak", "--json", NULL };
    const char      *query[] = { "query", db, "SELECT COUNT(*) AS n FROM gc_pauses WHERE reason LIKE 'GC%'", NULL };
    g_autofree char *o1 = NULL, *o2 = NULL, *o3 = NULL;

    g_assert_cmpint (run_cli (over, &out), ==, 1);
    g_assert_nonnull (strstr (out, "Minimum mutator utilization"));
    g_assert_cmpint (run_cli (under, &o1), ==, 0);
    g_assert_cmpint (run_cli (leaks, &o2), ==, 1);
    g_assert_nonnull (strstr (o2, "\"kind\": \"leaked\""));
    g_assert_cmpint (run_cli (query, &o3), ==, 0);
    g_assert_nonnull (strstr (o3, "4"));
  }
  /* Misuse: a gate on the wrong report is a usage error (2); a query that
   * is empty or writes fails (1), and the database is unchanged. */
  {
    const char *const *bad[] = {
      (const char *[]){ "report", "summary", db, "--fail-on-leak", NULL },
      (const char *[]){ "report", "leaks", db, "--fail-over", "1ms", NULL },
      (const char *[]){ "report", "pauses", db, "--fail-over", "soon", NULL },
      (const char *[]){ "query", db, "", NULL },
      (const char *[]){ "query", db, "DELETE FROM stw", NULL },
      (const char *[]){ "query", db, "SELECT 1; DELETE FROM stw", NULL },
    };
    const int expect[] = { 2, 2, 2, 1, 1, 1 };

    for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
      {
        g_autofree char *o = NULL;

        g_assert_cmpint (run_cli (bad[i], &o), ==, expect[i]);
      }
  }
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM stw"), ==, 5);
}

/* The CLI on broken input: a clear message and exit status 1, never a
 * crash, and no database left behind. */
static void
check_cli_fails (const char *ctf, const char *expect)
{
  g_autofree char *db = g_build_filename (tmpdir, "broken.weft", NULL);
  g_autofree char *partial = g_strconcat (db, ".partial", NULL);
  const char      *argv[] = { g_getenv ("WEFT_CLI"), "convert", ctf, "-o", db, NULL };
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
  g_test_message ("stderr: %s", err);
  g_assert_true (WIFEXITED (status));
  g_assert_cmpint (WEXITSTATUS (status), ==, 1);
  g_assert_true (g_str_has_prefix (err, "weft convert: "));
  if (expect != NULL)
    g_assert_nonnull (strstr (err, expect));
  g_assert_false (g_file_test (db, G_FILE_TEST_EXISTS));
  g_assert_false (g_file_test (partial, G_FILE_TEST_EXISTS));
}

static char *
copy_tree (const char *src, const char *name)
{
  g_autofree char *dst = g_build_filename (tmpdir, name, NULL);
  const char      *argv[] = { "cp", "-r", src, dst, NULL };
  int              status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, NULL));
  g_assert_true (g_spawn_check_wait_status (status, NULL));
  return g_steal_pointer (&dst);
}

static void
test_corrupt (void)
{
  const char      *ctf = scenario ();
  g_autofree char *bad_meta = NULL, *truncated = NULL, *meta = NULL, *empty = NULL;
  g_autoptr (GDir) d = NULL;
  const char *name;

  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  /* Garbage metadata. */
  bad_meta = copy_tree (ctf, "bad-metadata");
  meta = g_build_filename (bad_meta, "metadata", NULL);
  g_assert_true (g_file_set_contents (meta, "/* CTF 1.8 */\ntrace { major = ; }}}}\n", -1, NULL));
  check_cli_fails (bad_meta, "cannot read the CTF trace");

  /* Every stream cut in the middle of a packet. */
  truncated = copy_tree (ctf, "truncated");
  d = g_dir_open (truncated, 0, NULL);
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (truncated, name, NULL);
      GStatBuf         st;

      if (strcmp (name, "metadata") == 0 || g_file_test (path, G_FILE_TEST_IS_DIR) || g_stat (path, &st) != 0)
        continue;
      g_assert_cmpint (truncate (path, st.st_size / 2 + 7), ==, 0);
    }
  check_cli_fails (truncated, NULL);

  /* No trace at all. */
  empty = g_build_filename (tmpdir, "empty", NULL);
  g_mkdir (empty, 0755);
  check_cli_fails (empty, "no CTF trace");
}

static void
test_leaky_pipeline (void)
{
  const char      *exe = g_getenv ("WEFT_EXAMPLE_LEAKY_PIPELINE");
  const char      *cmd[] = { exe, NULL };
  g_autofree char *ctf = NULL;
  g_autoptr (WeftStore) store = NULL;

  if (exe == NULL || !g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("data/examples/leaky-pipeline is not built");
      return;
    }
  ctf = record ("leaky", cmd);
  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  leaky_ctf = g_strdup (ctf);
  store = convert (ctf, "leaky.weft");
  /* 100 requests, every 10th leaks its producer; all from one site. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM goroutine WHERE name = 'row-producer'"), ==, 100);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM goroutine WHERE name = 'handler'"), ==, 100);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leak_candidates AS l JOIN goroutine AS g USING (goid) "
                                       "WHERE g.name = 'row-producer' AND l.wait_reason = 1"),
                   ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(DISTINCT create_site) FROM leak_candidates AS l JOIN goroutine AS g "
                                       "USING (goid) WHERE g.name = 'row-producer'"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leak_candidates WHERE create_site LIKE 'handle %'"), ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leak_candidates WHERE block_site LIKE 'produce_rows %'"), ==, 10);
  /* ... and nothing else is a suspect, and the suspects' site grows. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leak_candidates"), ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT alive_at_end - alive_at_start FROM site_growth WHERE create_site LIKE 'handle %'"),
                   ==, 10);
  /* The leaking site trends up; the site whose handlers all end does not. */
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT trend_per_s FROM site_growth WHERE create_site LIKE 'handle %') > 10 * "
                                       "(SELECT ABS(trend_per_s) FROM site_growth WHERE create_site LIKE 'real_main %')"),
                   ==, 1);
}

/* data/examples/gc-leaks on the real collector: every 10th of 100
 * requests leaves its producer blocked on a channel nothing else holds;
 * the collector proves those 10 leaked, not the watchers blocked on a
 * channel a global holds. */
static void
test_gc_leaks (void)
{
  const char      *exe = g_getenv ("WEFT_EXAMPLE_GC_LEAKS");
  const char      *cmd[] = { exe, NULL };
  g_autofree char *ctf = NULL, *db = NULL, *out = NULL;
  g_autoptr (WeftStore) store = NULL;

  if (exe == NULL || !g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("data/examples/gc-leaks is not built");
      return;
    }
  ctf = record ("gc-leaks", cmd);
  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  store = convert (ctf, "gc-leaks.weft");
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leaked_goroutines"), ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leaked_goroutines WHERE start_function = 'produce_rows' "
                                       "AND create_site LIKE 'handle (gc-leaks.c:%' AND block_site LIKE 'produce_rows (gc-leaks.c:%' "
                                       "AND wait_reason = 1"),
                   ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM leaked AS l JOIN goroutine AS g USING (goid) WHERE g.name = 'watcher'"),
                   ==, 0);
  /* Cycles with their heap figures, each with its two pauses. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_cycle WHERE end_ns > start_ns AND heap_after > 0"), >=, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gc_cycle AS c WHERE end_ns IS NOT NULL AND "
                                       "(SELECT COUNT(*) FROM stw WHERE gc_cycle = c.id AND reason IN "
                                       "('GC sweep termination', 'GC mark termination')) <> 2"),
                   ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM counter_sample WHERE counter = 1"), >, 0);
  /* A CI job gates on them. */
  db = g_build_filename (tmpdir, "gc-leaks.weft", NULL);
  g_assert_cmpint (run_cli ((const char *[]){ "report", "leaks", db, "--fail-on-leak", NULL }, &out), ==, 1);
  g_assert_nonnull (strstr (out, "handle (gc-leaks.c:"));
}

static void
run_ok (const char *const *argv)
{
  g_autoptr (GError) error = NULL;
  int status;

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, &status, &error));
  g_assert_no_error (error);
  g_assert_true (g_spawn_check_wait_status (status, NULL));
}

/* Symbolises @store again; returns the leak candidates whose creation
 * site is `handle` in leaky-pipeline.c with a line number. */
static gint64
handle_sites (WeftStore *store)
{
  g_autoptr (GError) error = NULL;
  guint resolved, unresolved;

  g_assert_true (weft_store_exec (store, "DELETE FROM symbol", &error));
  g_assert_true (weft_symbolize (store, &resolved, &unresolved, &error));
  g_assert_no_error (error);
  return test_scalar (store, "SELECT COUNT(*) FROM leak_candidates WHERE create_site LIKE 'handle (leaky-pipeline.c:%'"
                             " AND create_site NOT LIKE '%:?)'");
}

/* leaky-pipeline stripped of its debug info, which is installed apart:
 * found by build id under the debug-file directory, or by debug link
 * next to the object; without either, `handle` (inlined in release
 * builds) and the lines are lost. */
static void
test_debug_files (void)
{
  const char      *exe = g_getenv ("WEFT_EXAMPLE_LEAKY_PIPELINE");
  g_autofree char *db = g_build_filename (tmpdir, "debug.weft", NULL);
  g_autofree char *bin = g_build_filename (tmpdir, "bin", NULL);
  g_autofree char *stripped = g_build_filename (bin, "leaky-pipeline", NULL);
  g_autofree char *root = g_build_filename (tmpdir, "debug-root", NULL);
  g_autofree char *build_id = NULL, *by_id_dir = NULL, *by_id = NULL, *by_link_dir = NULL, *by_link = NULL;
  char            *update;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;
  WeftConvertOptions options = { .no_symbols = TRUE };
  g_autofree char   *objcopy = g_find_program_in_path ("objcopy");

  if (leaky_ctf == NULL || objcopy == NULL)
    {
      g_test_skip ("no leaky-pipeline trace (see /Weft/Convert/leaky-pipeline) or no objcopy");
      return;
    }
  g_assert_true (weft_convert (leaky_ctf, db, &options, NULL, &error));
  g_assert_no_error (error);
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_WRITE, &error);
  g_assert_no_error (error);
  build_id = text (store, "SELECT build_id FROM mapping WHERE path LIKE '%/leaky-pipeline'");
  g_assert_nonnull (build_id);

  /* The object without its debug info; the debug info in two places. */
  g_mkdir_with_parents (bin, 0755);
  run_ok ((const char *[]){ objcopy, "--strip-debug", exe, stripped, NULL });
  by_id_dir = g_strdup_printf ("%s/.build-id/%.2s", root, build_id);
  by_id = g_strdup_printf ("%s/%s.debug", by_id_dir, build_id + 2);
  g_mkdir_with_parents (by_id_dir, 0755);
  run_ok ((const char *[]){ objcopy, "--only-keep-debug", exe, by_id, NULL });
  by_link_dir = g_build_filename (bin, ".debug", NULL);
  by_link = g_build_filename (by_link_dir, "leaky-pipeline.debug", NULL);
  g_mkdir_with_parents (by_link_dir, 0755);
  run_ok ((const char *[]){ objcopy, "--only-keep-debug", exe, by_link, NULL });
  update = sqlite3_mprintf ("UPDATE mapping SET path = %Q WHERE path LIKE '%%/leaky-pipeline'", stripped);
  g_assert_true (weft_store_exec (store, update, &error));
  g_assert_no_error (error);
  sqlite3_free (update);

  g_setenv ("WEFT_DEBUG_FILE_DIRECTORY", root, TRUE);
  g_assert_cmpint (handle_sites (store), ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM symbol WHERE object = '' OR object IS NULL"), ==, 0);
  g_setenv ("WEFT_DEBUG_FILE_DIRECTORY", tmpdir, TRUE); /* no .build-id there */
  g_assert_true (weft_store_exec (store,
                                  "UPDATE mapping SET build_id = NULL, debug_link = 'leaky-pipeline.debug' "
                                  "WHERE path LIKE '%/leaky-pipeline'",
                                  &error));
  g_assert_cmpint (handle_sites (store), ==, 10);
  g_assert_true (weft_store_exec (store, "UPDATE mapping SET debug_link = NULL WHERE path LIKE '%/leaky-pipeline'", &error));
  g_assert_cmpint (handle_sites (store), ==, 0);
  g_unsetenv ("WEFT_DEBUG_FILE_DIRECTORY");
}

static void
test_pingpong (void)
{
  const char      *exe = g_getenv ("WEFT_EXAMPLE_PINGPONG");
  const char      *cmd[] = { exe, NULL };
  g_autofree char *ctf = NULL;
  g_autoptr (WeftStore) store = NULL;

  if (exe == NULL || !g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("data/examples/pingpong is not built");
      return;
    }
  ctf = record ("pingpong", cmd);
  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  store = convert (ctf, "pingpong.weft");
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM goroutine"), >=, 3);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 2 AND wait_reason IN (1, 2, 3)"), >, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);

  /* The level of detail the conversion built from the writer's record of
   * the intervals is the one the tables give: P, M and goroutine lanes. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_lane WHERE kind IN (0, 1, 2)"), >=, 3);
  g_assert_cmpint (test_lod_matches_tables (weft_store_get_path (store)), >=, 3);
}

/* A channel of two 4 KiB sub-buffers per CPU cannot keep up with
 * ping-pong at full speed: LTTng discards events, and the conversion
 * counts them, stores each window in which they were lost (placed in
 * time among the events), and still rebuilds well-formed intervals from
 * what was kept. */
static void
test_lost_events (void)
{
  const char      *cmd[] = { g_getenv ("WEFT_TRACE_GEN"), "bench", "400000", NULL };
  g_autofree char *ctf = NULL, *db = g_build_filename (tmpdir, "lost.weft", NULL);
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GError) error = NULL;
  WeftConvertStats stats;

  g_setenv ("WEFT_LTTNG_SUBBUF_SIZE", "4k", TRUE);
  g_setenv ("WEFT_LTTNG_NUM_SUBBUF", "2", TRUE);
  ctf = record ("lost", cmd);
  g_unsetenv ("WEFT_LTTNG_SUBBUF_SIZE");
  g_unsetenv ("WEFT_LTTNG_NUM_SUBBUF");
  if (ctf == NULL)
    {
      g_test_skip ("LTTng cannot trace here");
      return;
    }
  g_assert_true (weft_convert (ctf, db, NULL, &stats, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (stats.events, >, 0);
  g_assert_cmpuint (stats.lost_events, >, 0);
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lost_events'"), ==, stats.lost_events);
  g_assert_cmpint (test_scalar (store, "SELECT SUM(count) FROM lost WHERE kind = 'events'"), ==, stats.lost_events);
  /* Every window has its times, after the trace's start (a window may
   * end after the last event kept: the last packet closes when the
   * session stops). */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lost WHERE kind = 'events' AND (start_ns IS NULL "
                                       "OR end_ns < start_ns OR start_ns < 0)"),
                   ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate"), >, 0);
}

int
main (int argc, char **argv)
{
  int         rc;
  const char *rm[] = { "rm", "-rf", NULL, NULL };

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("weft-test-convert-XXXXXX", NULL);
  g_test_add_func ("/Weft/Convert/scenario", test_scenario);
  g_test_add_func ("/Weft/Convert/gc", test_gc);
  g_test_add_func ("/Weft/Convert/corrupt-input", test_corrupt);
  g_test_add_func ("/Weft/Convert/leaky-pipeline", test_leaky_pipeline);
  g_test_add_func ("/Weft/Convert/gc-leaks", test_gc_leaks);
  g_test_add_func ("/Weft/Convert/debug-files", test_debug_files);
  g_test_add_func ("/Weft/Convert/pingpong", test_pingpong);
  g_test_add_func ("/Weft/Convert/lost-events", test_lost_events);
  rc = g_test_run ();
  rm[2] = tmpdir;
  g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  g_free (tmpdir);
  g_free (scenario_ctf);
  g_free (leaky_ctf);
  return rc;
}
