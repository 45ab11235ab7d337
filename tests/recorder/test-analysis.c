/* test-analysis.c — the analysis views and report queries on a hand-built
 * database whose answers are known. */
#include "test-util.h"
#include "weft-report.h"
#include "weft-store.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct
{
  char      *dir, *path;
  WeftStore *store;
} Fixture;

static void
row (Fixture *f, const char *sql, int n, const gint64 *v)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt = weft_store_prepare (f->store, sql, &error);

  g_assert_no_error (error);
  for (int i = 0; i < n; i++)
    {
      if (v[i] == G_MININT64)
        sqlite3_bind_null (stmt, i + 1);
      else
        sqlite3_bind_int64 (stmt, i + 1, v[i]);
    }
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

#define NUL G_MININT64
#define ROW(f, sql, ...)                     \
  G_STMT_START                               \
  {                                          \
    const gint64 v_[] = { __VA_ARGS__ };     \
    row ((f), (sql), G_N_ELEMENTS (v_), v_); \
  }                                          \
  G_STMT_END

static void
symbol (Fixture *f, gint64 pc, const char *function, int runtime)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt
      = weft_store_prepare (f->store, "INSERT INTO symbol (pc, function, file, line, runtime) VALUES (?, ?, ?, ?, ?)", &error);

  g_assert_no_error (error);
  sqlite3_bind_int64 (stmt, 1, pc);
  sqlite3_bind_text (stmt, 2, function, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, "x.c", -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, pc & 0xff);
  sqlite3_bind_int (stmt, 5, runtime);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
  sqlite3_finalize (stmt);
}

#define GOROUTINE "INSERT INTO goroutine (goid, parent, start_pc, create_stack, created_ns, ended_ns) VALUES (?, ?, ?, ?, ?, ?)"
#define GSTATE "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason, stack, open_end) VALUES (?, ?, ?, ?, ?, ?, ?)"
#define FRAME "INSERT INTO frame (stack, depth, pc) VALUES (?, ?, ?)"
#define STACK "INSERT INTO stack (id, depth) VALUES (?, ?)"
#define GC_SPAN "INSERT INTO gc_span (kind, goid, start_ns, end_ns) VALUES ('assist', ?, ?, ?)"
#define GC_SPAN_SWEEP "INSERT INTO gc_span (kind, goid, start_ns, end_ns) VALUES ('sweep', ?, ?, ?)"

/* main (1); workers 2-4 created at stack 10; leakers 5, 6 at stack 11 and
 * 7 at stack 12, all three blocked at the end on stack 20. */
static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  f->dir = g_dir_make_tmp ("weft-test-analysis-XXXXXX", NULL);
  f->path = g_build_filename (f->dir, "t.weft", NULL);
  f->store = weft_store_create (f->path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_assert_no_error (error);

  symbol (f, 0x100, "main", 0);
  symbol (f, 0x200, "worker", 0);
  symbol (f, 0x300, "leaker", 0);
  symbol (f, 0x1000, "weft_go", 1);
  symbol (f, 0x1100, "spawn_workers", 0);
  symbol (f, 0x1200, "spawn_leakers", 0);
  symbol (f, 0x1300, "other_site", 0);
  symbol (f, 0x2000, "weft_chan_send", 1);
  symbol (f, 0x2100, "send_result", 0);
  for (int s = 10; s <= 12; s++)
    {
      ROW (f, STACK, s, 2);
      ROW (f, FRAME, s, 0, 0x1000);
      ROW (f, FRAME, s, 1, 0x1100 + (s - 10) * 0x100);
    }
  ROW (f, STACK, 20, 2);
  ROW (f, FRAME, 20, 0, 0x2000);
  ROW (f, FRAME, 20, 1, 0x2100);

  ROW (f, GOROUTINE, 1, 0, 0x100, NUL, NUL, NUL);
  for (int g = 2; g <= 4; g++)
    ROW (f, GOROUTINE, g, 1, 0x200, 10, 0, 3000);
  ROW (f, GOROUTINE, 5, 1, 0x300, 11, 0, NUL);
  ROW (f, GOROUTINE, 6, 1, 0x300, 11, 0, NUL);
  ROW (f, GOROUTINE, 7, 1, 0x300, 12, 0, NUL);

  /* main runs throughout. */
  ROW (f, GSTATE, 1, 0, 3000, 0, NUL, NUL, 1);
  /* Workers: 500 ns running (2: 200, 3: 300), 10 runnable waits of
   * 10, 20 ... 100 ns, blocked 750 on a channel (2), 40 on a mutex (3),
   * 60 asleep and 25 in a syscall (4). */
  ROW (f, GSTATE, 2, 0, 100, 0, NUL, NUL, 0);
  ROW (f, GSTATE, 2, 150, 250, 0, NUL, NUL, 0);
  ROW (f, GSTATE, 3, 0, 300, 0, NUL, NUL, 0);
  for (int i = 1; i <= 10; i++)
    ROW (f, GSTATE, 2 + i % 3, 1000 + i * 100, 1000 + i * 100 + i * 10, 1, NUL, NUL, 0);
  ROW (f, GSTATE, 2, 250, 1000, 2, 2, 20, 0);
  ROW (f, GSTATE, 3, 300, 340, 2, 7, NUL, 0);
  ROW (f, GSTATE, 4, 0, 60, 2, 12, NUL, 0);
  ROW (f, GSTATE, 4, 60, 85, 3, NUL, NUL, 0);
  /* A runnable wait cut by the end of the trace is not a latency. */
  ROW (f, GSTATE, 4, 2900, 3000, 1, NUL, NUL, 1);
  /* Leakers: blocked since 1000 (5, 6) and since 2900 (7). */
  ROW (f, GSTATE, 5, 1000, 3000, 2, 1, 20, 1);
  ROW (f, GSTATE, 6, 1000, 3000, 2, 1, 20, 1);
  ROW (f, GSTATE, 7, 2900, 3000, 2, 1, 20, 1);
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  weft_store_free (f->store);
  g_remove (f->path);
  g_rmdir (f->dir);
  g_free (f->path);
  g_free (f->dir);
}

static sqlite3_stmt *
query (Fixture *f, const char *sql)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *stmt = weft_store_prepare (f->store, sql, &error);

  g_assert_no_error (error);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return stmt;
}

static void
test_latency (Fixture *f, gconstpointer data)
{
  sqlite3_stmt *s = query (f, "SELECT count, min_ns, mean_ns, p50_ns, p90_ns, p99_ns, max_ns FROM sched_latency_summary");

  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 10);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 10);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 55);
  /* Nearest rank: p50 = 5th of 10, p90 = 9th, p99 = 10th. */
  g_assert_cmpint (sqlite3_column_int64 (s, 3), ==, 50);
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 90);
  g_assert_cmpint (sqlite3_column_int64 (s, 5), ==, 100);
  g_assert_cmpint (sqlite3_column_int64 (s, 6), ==, 100);
  sqlite3_finalize (s);
}

/* Workers: 3 goroutines, 500 ns running (of which an assist of 30 ns by 2
 * and a sweep of 20 ns by 3), 650 ns waiting for a P, blocked 750 on a
 * channel, 40 on a mutex, 60 asleep, 5 for another reason, 25 in a
 * syscall: 2030 ns in all. */
static void
test_goroutine_analysis (Fixture *f, gconstpointer data)
{
  static const struct
  {
    const char *column;
    gint64      value;
  } expect[] = {
    { "goroutines", 3 },
    { "alive_at_end", 0 },
    { "total_ns", 2030 },
    { "total_exec_ns", 500 },
    { "avg_exec_ns", 166 },
    { "max_exec_ns", 300 },
    { "sched_wait_ns", 650 },
    { "block_sync_ns", 40 },
    { "block_chan_ns", 750 },
    { "block_net_ns", 0 },
    { "syscall_ns", 25 },
    { "block_sleep_ns", 60 },
    { "gc_assist_ns", 30 },
    { "gc_sweep_ns", 20 },
    { "block_other_ns", 5 },
    { "block_gc_ns", 0 },
  };
  sqlite3_stmt *s;

  ROW (f, GC_SPAN, 2, 0, 30);
  ROW (f, GC_SPAN_SWEEP, 3, 200, 220);
  /* 3 also waits 5 ns for a reason newer than the schema's list: other. */
  ROW (f, GSTATE, 3, 340, 345, 2, 99, NUL, 0);
  /* A sweep by no goroutine (the P was idle) is nobody's. */
  ROW (f, GC_SPAN_SWEEP, 0, 400, 500);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autofree char *sql
          = g_strdup_printf ("SELECT %s FROM goroutine_analysis WHERE start_function = 'worker'", expect[i].column);

      g_test_message ("%s", expect[i].column);
      g_assert_cmpint (test_scalar (f->store, sql), ==, expect[i].value);
    }
  /* One goroutine at a time: 2 ran 200 ns, waited 30 + 60 + 90 for a P,
   * 750 on a channel, assisted 30; 4 waited 20 + 50 + 80 + 100 (cut by
   * the end) for a P, slept 60, spent 25 in a syscall. */
  s = query (f, "SELECT total_ns, exec_ns, sched_wait_ns, block_chan_ns, gc_assist_ns, start_function, create_site "
                "FROM goroutine_stats WHERE goid = 2");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 1130);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 200);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 180);
  g_assert_cmpint (sqlite3_column_int64 (s, 3), ==, 750);
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 30);
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 5), ==, "worker");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 6), ==, "spawn_workers (x.c:0)");
  sqlite3_finalize (s);
  s = query (f, "SELECT total_ns, exec_ns, sched_wait_ns, block_sleep_ns, syscall_ns FROM goroutine_stats WHERE goid = 4");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 335);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 0);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 250);
  g_assert_cmpint (sqlite3_column_int64 (s, 3), ==, 60);
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 25);
  sqlite3_finalize (s);
  s = query (f, "SELECT COUNT(*), SUM(goroutines) FROM goroutine_analysis");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 3);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 7);
  sqlite3_finalize (s);
}

static void
test_leaks (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  WeftReportOptions opts = { .json = TRUE, .limit = 0, .min_blocked_ns = 0 };
  g_autoptr (GString) out = g_string_new (NULL);
  guint         n = 0;
  sqlite3_stmt *s = weft_store_prepare_query (f->store, "leaks", &error);

  g_assert_no_error (error);
  sqlite3_bind_int64 (s, sqlite3_bind_parameter_index (s, ":min_blocked_ns"), 0);
  /* Two groups, by creation site; the user frames name them, not the
   * runtime's weft_go / weft_chan_send. */
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 0), ==, "suspect");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 1), ==, "spawn_leakers (x.c:0)");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 2), ==, "send_result (x.c:0)");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 3), ==, "chan send");
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 2);
  g_assert_cmpint (sqlite3_column_int64 (s, 5), ==, 2000);
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 7), ==, "5 6");
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 1), ==, "other_site (x.c:0)");
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 1);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);

  /* A threshold keeps only the long-blocked group. */
  opts.min_blocked_ns = 500;
  g_assert_true (weft_report (f->store, "leaks", &opts, out, &n, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (n, ==, 1);
  g_assert_nonnull (strstr (out->str, "\"goids\": \"5 6\""));

  /* A proven leak comes first, and is no longer a suspect. */
  ROW (f, "INSERT INTO leaked (goid, ts, stack) VALUES (?, ?, ?)", 7, 2950, 20);
  opts.min_blocked_ns = 0;
  g_string_truncate (out, 0);
  g_assert_true (weft_report (f->store, "leaks", &opts, out, &n, &error));
  g_assert_cmpuint (n, ==, 2);
  g_assert_true (g_str_has_prefix (out->str, "[\n  {\"kind\": \"leaked\", \"create_site\": \"other_site (x.c:0)\""));
  /* The summary counts it once, as a leak. */
  g_string_truncate (out, 0);
  g_assert_true (weft_report (f->store, "summary", &opts, out, &n, &error));
  g_assert_nonnull (strstr (out->str, "{\"item\": \"leak suspects\", \"value\": 2}"));
  g_assert_nonnull (strstr (out->str, "{\"item\": \"proven leaks\", \"value\": 1}"));
}

#define MS 1000000
#define STW "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES (?, ?, 'GC mark termination', 1)"

/* A 100 ms trace with pauses [10, 12), [50, 51) and [52, 53) ms. */
static void
add_pauses (Fixture *f)
{
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('start_ns', ?)", 0);
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('end_ns', ?)", 100 * MS);
  ROW (f, STW, 10 * MS, 12 * MS);
  ROW (f, STW, 50 * MS, 51 * MS);
  ROW (f, STW, 52 * MS, 53 * MS);
}

/* The MMU curve of a known pause pattern, worked out by hand: the worst
 * window of w ms holds 2 ms of pause up to w = 20 (the first pause, or the
 * two short ones together), 4 ms from w = 43 (all three); windows longer
 * than the trace are left out. */
static void
test_mmu (Fixture *f, gconstpointer data)
{
  static const struct
  {
    gint64 window_ms;
    double mmu;
  } expect[] = { { 1, 0 }, { 2, 0 }, { 5, 0.6 }, { 10, 0.8 }, { 20, 0.9 }, { 50, 0.92 }, { 100, 0.96 } };
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *s;
  guint         i = 0;

  /* No pause at all: utilization 1 in every window. */
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('end_ns', ?)", 100 * MS);
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('start_ns', ?)", 0);
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM mmu WHERE mmu = 1.0"), ==, 7);

  add_pauses (f);
  s = weft_store_prepare (f->store, "SELECT window_ns, mmu FROM mmu", &error);
  g_assert_no_error (error);
  while (sqlite3_step (s) == SQLITE_ROW)
    {
      g_assert_cmpuint (i, <, G_N_ELEMENTS (expect));
      g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, expect[i].window_ms * MS);
      g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 1), expect[i].mmu, 1e-9);
      i++;
    }
  sqlite3_finalize (s);
  g_assert_cmpuint (i, ==, G_N_ELEMENTS (expect));
}

/* Random spans on a 1 µs grid in [0, SPAN_US): gaps of 0 to @max_gap µs
 * (0: two spans touch), lengths of 1 to @max_len µs; the last may end with
 * the trace. Each µs covered gets @weight added in @lost. Returns the
 * spans as (start, end) pairs, µs. */
static GArray *
random_spans (GRand *rand, gint64 span_us, gint64 max_gap, gint64 max_len, gint64 *lost, gint64 weight)
{
  GArray *spans = g_array_new (FALSE, FALSE, sizeof (gint64));
  gint64  t = g_rand_int_range (rand, 0, (gint32) max_gap + 1);

  while (t < span_us)
    {
      gint64 len = g_rand_int_range (rand, 1, (gint32) max_len + 1);
      gint64 end = MIN (t + len, span_us);

      g_array_append_val (spans, t);
      g_array_append_val (spans, end);
      for (gint64 u = t; u < end; u++)
        lost[u] += weight;
      t = end + g_rand_int_range (rand, 0, (gint32) max_gap + 1);
    }
  return spans;
}

/* The worst window of @w µs by brute force: @lost per µs, as prefix sums
 * in @prefix. */
static gint64
worst_window (const gint64 *lost, gint64 *prefix, gint64 span_us, gint64 w)
{
  gint64 worst = 0;

  prefix[0] = 0;
  for (gint64 u = 0; u < span_us; u++)
    prefix[u + 1] = prefix[u] + lost[u];
  for (gint64 a = 0; a + w <= span_us; a++)
    worst = MAX (worst, prefix[a + w] - prefix[a]);
  return worst;
}

/* Both MMU views against brute force on random patterns: pauses, and
 * (for mmu_gc) mark workers on each P, some idle, and assists of three
 * goroutines, with 2 or 3 Ps so that GC work sometimes holds all of them.
 * Everything is on a 1 µs grid in a 60 ms trace, so the time lost in a
 * window is linear between grid positions and trying every grid position
 * is exact. A µs is worth nprocs units: all of them in a pause, one per
 * non-idle worker or assist, at most nprocs. */
static void
test_mmu_brute_force (Fixture *f, gconstpointer data)
{
  enum
  {
    US = 1000,
    SPAN_US = 60000
  };
  static const gint64 windows_ms[] = { 1, 2, 5, 10, 20, 50 };
  static const char  *modes[] = { "dedicated", "fractional", "idle" };
  g_autofree gint64  *prefix = g_new (gint64, SPAN_US + 1);
  GRand              *rand = g_rand_new_with_seed (g_test_rand_int ());

  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('start_ns', ?)", 0);
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('end_ns', ?)", (gint64) SPAN_US * US);
  for (int round = 0; round < 20; round++)
    {
      g_autofree gint64 *in_pause = g_new0 (gint64, SPAN_US);
      g_autofree gint64 *gc_work = g_new0 (gint64, SPAN_US);
      g_autofree gint64 *lost = g_new0 (gint64, SPAN_US);
      gint64             n = g_rand_int_range (rand, 2, 4);
      GArray            *pauses;

      /* One transaction per pattern: a commit per row is a sync per row. */
      g_assert_cmpint (sqlite3_exec (weft_store_get_db (f->store), "BEGIN", NULL, NULL, NULL), ==, SQLITE_OK);
      ROW (f, "DELETE FROM stw WHERE ? = ?", 0, 0);
      ROW (f, "DELETE FROM gc_span WHERE ? = ?", 0, 0);
      ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('nprocs', ?)", n);
      pauses = random_spans (rand, SPAN_US, 8000, 3000, in_pause, 1);
      for (guint k = 0; k < pauses->len; k += 2)
        ROW (f, STW, g_array_index (pauses, gint64, k) * US, g_array_index (pauses, gint64, k + 1) * US);
      g_array_free (pauses, TRUE);
      for (gint64 p = 0; p < n; p++)
        {
          g_autofree gint64 *mine = g_new0 (gint64, SPAN_US);
          GArray            *spans = random_spans (rand, SPAN_US, 6000, 4000, mine, 1);

          for (guint k = 0; k < spans->len; k += 2)
            {
              gint64      start = g_array_index (spans, gint64, k), end = g_array_index (spans, gint64, k + 1);
              const char *mode = modes[g_rand_int_range (rand, 0, 3)];
              g_autoptr (GError) error = NULL;
              sqlite3_stmt *stmt = weft_store_prepare (
                  f->store, "INSERT INTO gc_span (kind, p, start_ns, end_ns, mode) VALUES ('worker', ?, ?, ?, ?)", &error);

              g_assert_no_error (error);
              sqlite3_bind_int64 (stmt, 1, p);
              sqlite3_bind_int64 (stmt, 2, start * US);
              sqlite3_bind_int64 (stmt, 3, end * US);
              sqlite3_bind_text (stmt, 4, mode, -1, SQLITE_STATIC);
              g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
              sqlite3_finalize (stmt);
              if (strcmp (mode, "idle") != 0)
                for (gint64 u = start; u < end; u++)
                  gc_work[u]++;
            }
          g_array_free (spans, TRUE);
        }
      for (gint64 goid = 1; goid <= 3; goid++)
        {
          GArray *spans = random_spans (rand, SPAN_US, 9000, 2000, gc_work, 1);

          for (guint k = 0; k < spans->len; k += 2)
            ROW (f, GC_SPAN, goid, g_array_index (spans, gint64, k) * US, g_array_index (spans, gint64, k + 1) * US);
          g_array_free (spans, TRUE);
        }
      g_assert_cmpint (sqlite3_exec (weft_store_get_db (f->store), "COMMIT", NULL, NULL, NULL), ==, SQLITE_OK);
      for (gint64 u = 0; u < SPAN_US; u++)
        lost[u] = in_pause[u] ? n : MIN (gc_work[u], n);
      {
        g_autoptr (GError) error = NULL;
        sqlite3_stmt *s = weft_store_prepare (
            f->store, "SELECT window_ns, m.mmu, g.mmu FROM mmu AS m JOIN mmu_gc AS g USING (window_ns) ORDER BY window_ns",
            &error);
        guint i = 0;

        g_assert_no_error (error);
        while (sqlite3_step (s) == SQLITE_ROW && i < G_N_ELEMENTS (windows_ms))
          {
            gint64 w = windows_ms[i++] * 1000;

            g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, w * US);
            g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 1),
                                            1.0 - (double) worst_window (in_pause, prefix, SPAN_US, w) / (double) w, 1e-9);
            g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 2),
                                            1.0 - (double) worst_window (lost, prefix, SPAN_US, w) / (double) (w * n),
                                            1e-9);
          }
        sqlite3_finalize (s);
        g_assert_cmpuint (i, ==, G_N_ELEMENTS (windows_ms));
      }
    }
  g_rand_free (rand);
}

/* Per GC cycle: its pauses, mark phase, workers, assists, sweeps and what
 * they reclaimed; work of no cycle (a ReadMemStats pause) counts for none,
 * and a cycle without sweeps has reclaimed nothing known (NULL). */
static void
test_gc_summary (Fixture *f, gconstpointer data)
{
  sqlite3_stmt *s;

  ROW (f, "INSERT INTO gc_cycle (id, start_ns, end_ns, trigger, heap_before, heap_after, heap_goal) "
          "VALUES (?, ?, ?, 'heap', ?, ?, ?)",
       1, 0, 1000, 4096, 1024, 2048);
  ROW (f, "INSERT INTO gc_cycle (id, start_ns, end_ns, trigger) VALUES (?, ?, ?, 'forced')", 2, 5000, 5600);
  ROW (f, STW, 0, 100);
  ROW (f, STW, 900, 1000);
  ROW (f, "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES (?, ?, 'ReadMemStats', NULL)", 3000, 3070);
  ROW (f, "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES (?, ?, 'GC mark termination', ?)", 5500, 5600, 2);
  ROW (f, "INSERT INTO gc_span (kind, start_ns, end_ns, gc_cycle) VALUES ('mark', ?, ?, ?)", 100, 900, 1);
  ROW (f, "INSERT INTO gc_span (kind, p, start_ns, end_ns, gc_cycle) VALUES ('worker', ?, ?, ?, ?)", 0, 100, 600, 1);
  ROW (f, "INSERT INTO gc_span (kind, p, start_ns, end_ns, gc_cycle) VALUES ('worker', ?, ?, ?, ?)", 1, 200, 900, 1);
  ROW (f, "INSERT INTO gc_span (kind, goid, start_ns, end_ns, gc_cycle) VALUES ('assist', ?, ?, ?, ?)", 2, 300, 340, 1);
  ROW (f, "INSERT INTO gc_span (kind, p, start_ns, end_ns, gc_cycle, reclaimed) VALUES ('sweep', ?, ?, ?, ?, ?)", 0,
       1000, 1050, 1, 512);
  ROW (f, "INSERT INTO gc_span (kind, p, start_ns, end_ns, gc_cycle, reclaimed) VALUES ('sweep', ?, ?, ?, ?, ?)", 1,
       1000, 1020, 1, 256);
  ROW (f, "INSERT INTO gc_span (kind, p, start_ns, end_ns, gc_cycle) VALUES ('worker', ?, ?, ?, NULL)", 0, 3000, 3100);

  s = query (f, "SELECT gc_cycle, duration_ns, heap_before, heap_after, heap_goal, pauses, stw_ns, mark_ns, worker_ns, "
                "assist_ns, sweep_ns, reclaimed FROM gc_summary ORDER BY gc_cycle");
  {
    const gint64 want[] = { 1, 1000, 4096, 1024, 2048, 2, 200, 800, 1200, 40, 70, 768 };

    for (guint c = 0; c < G_N_ELEMENTS (want); c++)
      g_assert_cmpint (sqlite3_column_int64 (s, c), ==, want[c]);
  }
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 2);
  g_assert_cmpint (sqlite3_column_int64 (s, 5), ==, 1);
  g_assert_cmpint (sqlite3_column_int64 (s, 6), ==, 100);
  g_assert_cmpint (sqlite3_column_int64 (s, 8), ==, 0);
  g_assert_cmpint (sqlite3_column_type (s, 11), ==, SQLITE_NULL);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
}

/* Nearest-rank percentiles over pauses of 2, 1 and 1 ms. */
static void
test_pause_summary (Fixture *f, gconstpointer data)
{
  sqlite3_stmt *s;

  s = query (f, "SELECT reason, count, total_ns FROM gc_pause_summary");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 0), ==, "all");
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 0);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 0);
  sqlite3_finalize (s);

  add_pauses (f);
  s = query (f, "SELECT count, total_ns, mean_ns, p50_ns, p90_ns, p99_ns, max_ns FROM gc_pause_summary "
                "WHERE reason = 'all'");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 3);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 4 * MS);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 4 * MS / 3);
  g_assert_cmpint (sqlite3_column_int64 (s, 3), ==, 1 * MS);
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 2 * MS);
  g_assert_cmpint (sqlite3_column_int64 (s, 5), ==, 2 * MS);
  g_assert_cmpint (sqlite3_column_int64 (s, 6), ==, 2 * MS);
  sqlite3_finalize (s);
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM gc_pause_summary"), ==, 2);
  /* The one-screen summary names them too. */
  {
    g_autoptr (GError) error = NULL;
    g_autoptr (GString) out = g_string_new (NULL);
    WeftReportOptions opts = { .json = TRUE };
    guint             n;

    g_assert_true (weft_report (f->store, "summary", &opts, out, &n, &error));
    g_assert_nonnull (strstr (out->str, "{\"item\": \"stw pauses\", \"value\": 3}"));
    g_assert_nonnull (strstr (out->str, "{\"item\": \"longest pause_ns\", \"value\": 2000000}"));
    /* On a terminal the time has its unit, so the item loses its suffix. */
    g_string_truncate (out, 0);
    opts.json = FALSE;
    g_assert_true (weft_report (f->store, "summary", &opts, out, &n, &error));
    g_assert_true (g_regex_match_simple ("^longest pause +2\\.00ms$", out->str, G_REGEX_MULTILINE, 0));
    g_assert_null (strstr (out->str, "pause_ns"));
  }
}

/* Live goroutines per creation site: spawn_leakers had none alive when
 * the 3000 ns trace began and two at its end. */
static void
test_site_growth (Fixture *f, gconstpointer data)
{
  sqlite3_stmt *s;

  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('start_ns', ?)", 0);
  ROW (f, "INSERT OR REPLACE INTO meta (key, value) VALUES ('end_ns', ?)", 3000);
  s = query (f, "SELECT goroutines, alive_at_start, alive_at_end, growth_per_s FROM site_growth "
                "WHERE create_site = 'spawn_leakers (x.c:0)'");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 2);
  g_assert_cmpint (sqlite3_column_int64 (s, 1), ==, 0);
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 2);
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 3), 2e9 / 3000, 1e-3);
  sqlite3_finalize (s);

  /* A steady site: one goroutine every 100 ns from 50 ns, two of which end
   * at 500 and 2500 ns; a pool: 30 goroutines started at 1 ns that stay.
   * Both grow by about 30 in 3 µs, but only the steady one has a trend:
   * the least-squares slope of its live count, 9.45 M/s (worked out as a
   * sum of steps and checked against a numeric fit on a 10 ps grid). */
  symbol (f, 0x1400, "spawn_steady", 0);
  symbol (f, 0x1500, "start_pool", 0);
  for (int st = 13; st <= 14; st++)
    {
      ROW (f, STACK, st, 1);
      ROW (f, FRAME, st, 0, 0x1400 + (st - 13) * 0x100);
    }
  for (int i = 0; i < 30; i++)
    {
      gint64 created = 50 + 100 * i;

      ROW (f, GOROUTINE, 100 + i, 1, 0x200, 13, created, created == 550 ? 2500 : created == 150 ? 500
                                                                                                : NUL);
      ROW (f, GOROUTINE, 200 + i, 1, 0x200, 14, 1, NUL);
    }
  s = query (f, "SELECT alive_at_end, growth_per_s, trend_per_s FROM site_growth WHERE create_site = 'spawn_steady (x.c:0)'");
  g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 28);
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 1), 28e9 / 3000, 1e-3);
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 2), 9.45e6, 1e-3);
  sqlite3_finalize (s);
  s = query (f, "SELECT growth_per_s, trend_per_s FROM site_growth WHERE create_site = 'start_pool (x.c:0)'");
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 0), 1e7, 1e-3);
  g_assert_cmpfloat_with_epsilon (sqlite3_column_double (s, 1), 6e9 * 30 * 2999 / (3000.0 * 3000 * 3000), 1e-6);
  sqlite3_finalize (s);
}

/* Blocked on chan send at stack 20: 5 and 6 for 2000 ns and 7 for 100 ns,
 * all three still at the end; 8, found blocked by a snapshot 500 ns before
 * the trace began, for the 300 ns of the trace until it is woken. */
static void
test_blocking (Fixture *f, gconstpointer data)
{
  sqlite3_stmt *s;

  ROW (f, GOROUTINE, 8, 1, 0x300, 12, NUL, NUL);
  ROW (f, "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason, stack, open_start) VALUES (?, ?, ?, ?, ?, ?, ?)",
       8, -500, 300, 2, 1, 20, 1);
  s = query (f, "SELECT wait_reason_name, block_site, count, still_blocked, total_ns, max_ns FROM blocking_profile "
                "ORDER BY total_ns DESC");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 0), ==, "chan send");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 1), ==, "send_result (x.c:0)");
  g_assert_cmpint (sqlite3_column_int64 (s, 2), ==, 4);
  g_assert_cmpint (sqlite3_column_int64 (s, 3), ==, 3);
  g_assert_cmpint (sqlite3_column_int64 (s, 4), ==, 4400);
  g_assert_cmpint (sqlite3_column_int64 (s, 5), ==, 2000);
  sqlite3_finalize (s);
  g_assert_cmpint (test_scalar (f->store, "SELECT block_chan_ns FROM goroutine_stats WHERE goid = 8"), ==, 300);
}

static void
test_reports_run (Fixture *f, gconstpointer data)
{
  static const char *const names[] = { "summary", "goroutines", "leaks", "pauses", "gc", "blocking", "latency" };
  WeftReportOptions        opts = { .limit = 10 };

  for (guint j = 0; j < 2; j++)
    for (guint i = 0; i < G_N_ELEMENTS (names); i++)
      {
        g_autoptr (GError) error = NULL;
        g_autoptr (GString) out = g_string_new (NULL);
        guint n;

        opts.json = j == 1;
        g_assert_true (weft_report (f->store, names[i], &opts, out, &n, &error));
        g_assert_no_error (error);
        g_assert_cmpuint (out->len, >, 0);
      }
}

static void
test_window (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt *s = weft_store_prepare_query (f->store, "window-gstate", &error);
  int           n = 0;

  g_assert_no_error (error);
  /* Goroutine 2: [0,100) [150,250) [250,1000) ... ; the window [120, 300)
   * meets [150,250) and [250,1000), not [0,100). */
  sqlite3_bind_int64 (s, sqlite3_bind_parameter_index (s, ":goid"), 2);
  sqlite3_bind_int64 (s, sqlite3_bind_parameter_index (s, ":t0"), 120);
  sqlite3_bind_int64 (s, sqlite3_bind_parameter_index (s, ":t1"), 300);
  while (sqlite3_step (s) == SQLITE_ROW)
    n++;
  g_assert_cmpint (n, ==, 2);
  sqlite3_reset (s);
  sqlite3_bind_int64 (s, sqlite3_bind_parameter_index (s, ":t0"), 200);
  n = 0;
  while (sqlite3_step (s) == SQLITE_ROW)
    n++;
  g_assert_cmpint (n, ==, 2);
  sqlite3_finalize (s);
}

/* weft query takes one reading statement; anything else is refused with a
 * reason, never half-run or crashed on. */
static void
test_user_sql (Fixture *f, gconstpointer data)
{
  static const char *const refused[] = {
    "",
    "  -- nothing\n",
    "DELETE FROM goroutine",
    "SELECT 1; DELETE FROM goroutine",
    "SELECT 1; SELECT 2",
    "SELEC 1",
  };

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autoptr (GError) error = NULL;

      g_assert_null (weft_report_prepare_user_sql (f->store, refused[i], &error));
      g_assert_nonnull (error);
    }
  for (guint i = 0; i < 2; i++)
    {
      g_autoptr (GError) error = NULL;
      sqlite3_stmt *s = weft_report_prepare_user_sql (
          f->store, i == 0 ? "SELECT goroutines FROM goroutine_analysis WHERE start_function = 'worker'" : "WITH x AS (SELECT goid FROM leak_candidates) SELECT COUNT(*) FROM x; -- done\n",
          &error);

      g_assert_no_error (error);
      g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
      g_assert_cmpint (sqlite3_column_int64 (s, 0), ==, 3);
      sqlite3_finalize (s);
    }
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM goroutine"), ==, 7);
}

/* Sites name the file without its folder; the frames keep the path. */
static void
test_site_label (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;
  sqlite3_stmt    *s = weft_store_prepare (f->store, "UPDATE symbol SET file = ? WHERE function = 'send_result'", &error);
  g_autofree char *site = NULL;

  g_assert_no_error (error);
  sqlite3_bind_text (s, 1, "/home/u/src/../app/pipeline/send.c", -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);
  s = query (f, "SELECT block_site FROM leak_candidates WHERE goid = 5");
  g_assert_cmpstr ((const char *) sqlite3_column_text (s, 0), ==, "send_result (send.c:0)");
  sqlite3_finalize (s);
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM stack_frame WHERE file = '/home/u/src/../app/pipeline/send.c'"),
                   ==, 1);
}

/* A file written by an older Weft of the same schema version keeps its
 * views: opened, it is read with this Weft's (an older goroutine_stats, a
 * view the writer did not have). */
static void
test_views_of_the_reader (Fixture *f, gconstpointer data)
{
  g_autoptr (GError) error = NULL;

  g_assert_cmpint (sqlite3_exec (weft_store_get_db (f->store),
                                 "DROP VIEW goroutine_analysis; DROP VIEW goroutine_stats; DROP VIEW mmu_gc; "
                                 "CREATE VIEW goroutine_stats AS SELECT 'stale' AS goid",
                                 NULL, NULL, NULL),
                   ==, SQLITE_OK);
  weft_store_free (f->store);
  f->store = weft_store_open (f->path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM goroutine_stats WHERE goid > 0"), ==, 7);
  g_assert_cmpint (test_scalar (f->store, "SELECT SUM(goroutines) FROM goroutine_analysis"), ==, 7);
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM mmu_gc"), ==, 0);
  /* The file's own, for other tools, is left as it was. */
  g_assert_cmpint (test_scalar (f->store, "SELECT COUNT(*) FROM main.goroutine_stats WHERE goid = 'stale'"), ==, 1);
}

static void
test_format_duration (void)
{
  g_autofree char *a = weft_format_duration (950);
  g_autofree char *b = weft_format_duration (1250000);
  g_autofree char *c = weft_format_duration (12300000000);

  g_assert_cmpstr (a, ==, "950ns");
  g_assert_cmpstr (b, ==, "1.25ms");
  g_assert_cmpstr (c, ==, "12.3s");
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
#define ADD(path, fn) g_test_add (path, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD ("/Weft/Analysis/latency-percentiles", test_latency);
  ADD ("/Weft/Analysis/goroutine-analysis", test_goroutine_analysis);
  ADD ("/Weft/Analysis/leak-suspects", test_leaks);
  ADD ("/Weft/Analysis/blocking-profile", test_blocking);
  ADD ("/Weft/Analysis/mmu", test_mmu);
  ADD ("/Weft/Analysis/mmu-brute-force", test_mmu_brute_force);
  ADD ("/Weft/Analysis/pause-percentiles", test_pause_summary);
  ADD ("/Weft/Analysis/gc-summary", test_gc_summary);
  ADD ("/Weft/Analysis/site-growth", test_site_growth);
  ADD ("/Weft/Analysis/reports-run", test_reports_run);
  ADD ("/Weft/Analysis/window-query", test_window);
  ADD ("/Weft/Analysis/user-sql", test_user_sql);
  ADD ("/Weft/Analysis/site-label", test_site_label);
  ADD ("/Weft/Analysis/views-of-the-reader", test_views_of_the_reader);
  g_test_add_func ("/Weft/Analysis/format-duration", test_format_duration);
  return g_test_run ();
}
