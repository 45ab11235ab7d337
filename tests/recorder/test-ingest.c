/* test-ingest.c — the ingest state machine fed directly: a known sequence,
 * and random garbage that must never crash it nor produce a malformed
 * interval. */
#include "weft-ingest.h"
#include "weft-store.h"
#include "weft-writer.h"

#include <glib/gstdio.h>

typedef struct
{
  char       *dir, *path;
  WeftStore  *store;
  WeftWriter *writer;
  WeftIngest *ingest;
  gint64      now;
} Ctx;

static void
ctx_init (Ctx *c, gboolean threaded)
{
  g_autoptr (GError) error = NULL;

  c->dir = g_dir_make_tmp ("weft-test-ingest-XXXXXX", NULL);
  c->path = g_build_filename (c->dir, "t.weft", NULL);
  c->store = weft_store_create (c->path, WEFT_STORE_CREATE_BULK, &error);
  g_assert_no_error (error);
  c->writer = weft_writer_new (c->store, threaded, &error);
  g_assert_no_error (error);
  c->ingest = weft_ingest_new (c->writer);
  c->now = 1000000;
}

static void
ctx_finish (Ctx *c)
{
  g_autoptr (GError) error = NULL;

  weft_ingest_finish (c->ingest);
  g_clear_pointer (&c->ingest, weft_ingest_free);
  g_assert_true (weft_writer_close (c->writer, NULL, &error));
  g_assert_true (weft_store_finish (c->store, &error));
  g_assert_no_error (error);
}

static void
ctx_clear (Ctx *c)
{
  weft_store_free (c->store);
  g_remove (c->path);
  g_rmdir (c->dir);
  g_free (c->path);
  g_free (c->dir);
}

static void
ev (Ctx *c, WeftEventType type, int n, ...)
{
  WeftEvent e = { 0 };
  va_list   ap;

  e.type = type;
  e.ts = c->now;
  c->now += 10;
  e.s[0] = e.s[1] = "";
  va_start (ap, n);
  for (int i = 0; i < n; i++)
    e.f[i] = va_arg (ap, guint64);
  va_end (ap);
  weft_ingest_event (c->ingest, &e);
}

static gint64
scalar (Ctx *c, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (c->store, sql, NULL);
  gint64        v;

  g_assert_nonnull (s);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

#define U(x) ((guint64) (x))

static void
test_sequence (void)
{
  Ctx c = { 0 };

  ctx_init (&c, FALSE);
  /* main (1) starts 2 on P0; 1 blocks, 2 runs, wakes 1 and exits. */
  ev (&c, WEFT_EV_GO_CREATE, 4, U (1), U (0), U (0x100), U (0));
  ev (&c, WEFT_EV_PROC_START, 2, U (0), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (0), U (0), U (0), U (0), U (0), U (1));
  ev (&c, WEFT_EV_GO_CREATE, 4, U (2), U (1), U (0x200), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (1), U (3), U (2), U (0xabc), U (0), U (2));
  ev (&c, WEFT_EV_GO_UNBLOCK, 3, U (1), U (2), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (2), U (4), U (0), U (0), U (0), U (1));
  ctx_finish (&c);

  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM goroutine"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT ended_ns FROM goroutine WHERE goid = 2"), ==, 60);
  g_assert_cmpint (scalar (&c, "SELECT final_state FROM goroutine WHERE goid = 1"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT unblocked_by FROM gstate WHERE goid = 1 AND state = 2"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gstate WHERE goid = 1 AND state = 2"), ==, 10);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE goid = 2"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM pstate WHERE p = 0"), ==, 3);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);
  ctx_clear (&c);
}

/* Events with random types and small random ids: whatever the order, the
 * state machine must hold, every interval be well formed and each
 * goroutine's intervals never overlap. */
static void
test_random (void)
{
  Ctx    c = { 0 };
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  ctx_init (&c, TRUE);
  for (int i = 0; i < 200000; i++)
    {
      WeftEvent e = { 0 };

      e.type = (WeftEventType) g_rand_int_range (rand, 1, WEFT_EV_N);
      e.ts = c.now;
      c.now += g_rand_int_range (rand, 0, 3);
      e.s[0] = e.s[1] = g_rand_boolean (rand) ? "a" : "b";
      for (int k = 0; k < WEFT_EVENT_MAX_FIELDS; k++)
        e.f[k] = g_rand_int_range (rand, 0, 8) == 0 ? G_MAXUINT64 - g_rand_int_range (rand, 0, 3)
                                                    : (guint64) g_rand_int_range (rand, 0, 6);
      e.n_seq = g_rand_int_range (rand, 0, 4);
      for (guint k = 0; k < e.n_seq; k++)
        e.seq[k] = g_rand_int (rand);
      e.wait_since_valid = g_rand_boolean (rand);
      e.wait_since_ns = c.now - g_rand_int_range (rand, 0, 1000);
      weft_ingest_event (c.ingest, &e);
    }
  ctx_finish (&c);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM pstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM mstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM (SELECT start_ns, MAX(end_ns) OVER (PARTITION BY goid ORDER BY "
                               "start_ns, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end FROM gstate) "
                               "WHERE prev_end > start_ns"),
                   ==, 0);
  /* GC rows: well formed; pauses one at a time, one mark worker per P. */
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM stw WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gc_span WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gc_cycle WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM (SELECT start_ns, LAG(end_ns) OVER (ORDER BY start_ns, id) AS prev_end "
                               "FROM stw) WHERE prev_end > start_ns"),
                   ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM (SELECT start_ns, LAG(end_ns) OVER (PARTITION BY p ORDER BY start_ns, "
                               "id) AS prev_end FROM gc_span WHERE kind = 'worker') WHERE prev_end > start_ns"),
                   ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM stw"), >, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gc_span"), >, 0);
  /* Derived counters: bounded by the grain, and ending on the true values. */
  g_assert_cmpint (scalar (&c, "SELECT MAX(n) FROM (SELECT COUNT(*) AS n FROM counter_sample WHERE counter IN (3, 4) "
                               "GROUP BY counter)"),
                   <=, scalar (&c, "SELECT value / 50000 + 2 FROM meta WHERE key = 'end_ns'"));
  g_assert_cmpint (scalar (&c, "SELECT value FROM counter_sample WHERE counter = 3 ORDER BY ts DESC LIMIT 1"), ==,
                   scalar (&c, "SELECT COUNT(*) FROM goroutine WHERE ended_ns IS NULL"));
  g_assert_cmpint (scalar (&c, "SELECT value FROM counter_sample WHERE counter = 4 ORDER BY ts DESC LIMIT 1"), ==,
                   scalar (&c, "SELECT COUNT(*) FROM gstate WHERE open_end = 1 AND state = 1"));
  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistencies'"), >, 0);
  g_rand_free (rand);
  ctx_clear (&c);
}

/* The GC's events on a known sequence (ev() advances time by 10 ns per
 * event): a cycle with its pauses, a mark worker, an assist, a sweep by the
 * goroutine running on the P, a leak proven twice, and the mismatches the
 * state machine must count without failing. */
static void
test_gc (void)
{
  Ctx c = { 0 };

  ctx_init (&c, FALSE);
  ev (&c, WEFT_EV_GO_CREATE, 4, U (1), U (0), U (0x100), U (0));                         /* 0 */
  ev (&c, WEFT_EV_PROC_START, 2, U (0), U (0));                                          /* 10 */
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (0), U (0), U (0), U (0), U (0), U (1)); /* 20 */
  ev (&c, WEFT_EV_GC_END, 3, U (7), U (1), U (1));                                       /* 30: no begin */
  ev (&c, WEFT_EV_GC_BEGIN, 4, U (1), U (WEFT_GC_TRIGGER_HEAP), U (4096), U (4096));     /* 40 */
  ev (&c, WEFT_EV_STW_BEGIN, 2, U (WEFT_STW_GC_SWEEP_TERMINATION), U (1));               /* 50 */
  ev (&c, WEFT_EV_STW_END, 2, U (WEFT_STW_GC_SWEEP_TERMINATION), U (1));                 /* 60 */
  ev (&c, WEFT_EV_GC_MARK_BEGIN, 1, U (1));                                              /* 70 */
  ev (&c, WEFT_EV_GC_WORKER_BEGIN, 2, U (1), U (WEFT_GC_WORKER_DEDICATED));              /* 80 */
  ev (&c, WEFT_EV_GC_WORKER_BEGIN, 2, U (G_MAXUINT64), U (WEFT_GC_WORKER_IDLE));         /* 90: P -1 */
  ev (&c, WEFT_EV_GC_ASSIST_BEGIN, 2, U (1), U (0));                                     /* 100 */
  ev (&c, WEFT_EV_GC_ASSIST_END, 3, U (1), U (0), U (512));                              /* 110 */
  ev (&c, WEFT_EV_GC_WORKER_END, 2, U (1), U (8192));                                    /* 120 */
  ev (&c, WEFT_EV_GC_MARK_END, 1, U (1));                                                /* 130 */
  ev (&c, WEFT_EV_STW_BEGIN, 2, U (WEFT_STW_GC_MARK_TERMINATION), U (1));                /* 140 */
  ev (&c, WEFT_EV_GO_LEAKED, 5, U (1), U (9), U (1), U (0xbeef), U (0));                 /* 150 */
  ev (&c, WEFT_EV_GC_END, 3, U (1), U (1024), U (2048));                                 /* 160 */
  ev (&c, WEFT_EV_STW_BEGIN, 2, U (WEFT_STW_OTHER), U (0));                              /* 170: nested */
  ev (&c, WEFT_EV_STW_END, 2, U (WEFT_STW_OTHER), U (0));                                /* 180 */
  ev (&c, WEFT_EV_STW_END, 2, U (WEFT_STW_OTHER), U (0));                                /* 190: stray */
  ev (&c, WEFT_EV_GC_SWEEP_BEGIN, 1, U (0));                                             /* 200 */
  ev (&c, WEFT_EV_GC_SWEEP_END, 3, U (0), U (4096), U (3072));                           /* 210 */
  ev (&c, WEFT_EV_HEAP_ALLOC, 1, U (1024));                                              /* 220 */
  ev (&c, WEFT_EV_GO_LEAKED, 5, U (2), U (9), U (1), U (0xbeef), U (0));                 /* 230 */
  ev (&c, WEFT_EV_GC_SWEEP_BEGIN, 1, U (1));                                             /* 240: open */
  ctx_finish (&c);

  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistency.gc_unbalanced'"), ==, 3);
  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistency.bad_p_or_m'"), ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gc_cycle"), ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gc_cycle WHERE id = 1 AND heap_before = 4096 AND "
                               "heap_after = 1024 AND heap_goal = 2048 AND trigger = 'heap'"),
                   ==, 120);
  /* Sweep termination 10 ns; mark termination cut at 170 by the nested
   * begin, which ends at 180; the stray end is dropped. */
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM stw"), ==, 3);
  g_assert_cmpint (scalar (&c, "SELECT SUM(end_ns - start_ns) FROM stw"), ==, 10 + 30 + 10);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM stw WHERE gc_cycle IS NULL AND reason = 'other'"), ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gc_span WHERE kind = 'mark' AND gc_cycle = 1"), ==, 60);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gc_span WHERE kind = 'worker' AND p = 1 AND "
                               "mode = 'dedicated' AND bytes = 8192 AND gc_cycle = 1"),
                   ==, 40);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gc_span WHERE kind = 'worker'"), ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gc_span WHERE kind = 'assist' AND goid = 1 AND "
                               "bytes = 512"),
                   ==, 10);
  /* The sweep ran on P0, which ran goroutine 1: its cost. The sweep of
   * P1, still open, runs no goroutine and ends with the trace. */
  g_assert_cmpint (scalar (&c, "SELECT goid FROM gc_span WHERE kind = 'sweep' AND p = 0 AND gc_cycle = 1 AND "
                               "reclaimed = 3072 AND open_end = 0"),
                   ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT goid FROM gc_span WHERE kind = 'sweep' AND p = 1 AND open_end = 1"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT ts FROM leaked WHERE goid = 9 AND wait_reason = 1 AND wait_obj = 0xbeef"), ==, 150);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM leaked"), ==, 1);
  g_assert_cmpint (scalar (&c, "SELECT value FROM counter_sample WHERE counter = 1"), ==, 1024);
  ctx_clear (&c);
}

/* The value of derived counter @counter at @ts (the last sample at or
 * before it). */
static gint64
counter_at (Ctx *c, int counter, gint64 ts)
{
  g_autofree char *sql = g_strdup_printf ("SELECT value FROM counter_sample WHERE counter = %d AND ts <= %" G_GINT64_FORMAT
                                          " ORDER BY ts DESC LIMIT 1",
                                          counter, ts);

  return scalar (c, sql);
}

/* Goroutines counted over time: three created within 20 ns, then nothing
 * for a second. The count of three must show within a grain (50 µs), not
 * when the next event comes a second later. */
static void
test_counters (void)
{
  Ctx c = { 0 };

  ctx_init (&c, FALSE);
  for (int g = 1; g <= 3; g++)
    ev (&c, WEFT_EV_GO_CREATE, 4, U (g), U (0), U (0x100), U (0));
  c.now += 1000000000;
  ev (&c, WEFT_EV_GO_CREATE, 4, U (4), U (0), U (0x100), U (0));
  c.now += 10000;
  ev (&c, WEFT_EV_GO_CREATE, 4, U (5), U (0), U (0x100), U (0));
  ctx_finish (&c);

  g_assert_cmpint (counter_at (&c, 3, 0), ==, 1);
  g_assert_cmpint (counter_at (&c, 3, 50000), ==, 3);
  g_assert_cmpint (counter_at (&c, 4, 50000), ==, 3);
  g_assert_cmpint (counter_at (&c, 3, 1000000029), ==, 3);
  g_assert_cmpint (counter_at (&c, 3, 1000000030), ==, 4);
  /* The last change, 10 µs later, is in the same grain: written at the
   * end of the trace, which comes first. */
  g_assert_cmpint (counter_at (&c, 3, 1000010039), ==, 4);
  g_assert_cmpint (counter_at (&c, 3, 1000010040), ==, 5);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM counter_sample WHERE counter = 3"), ==, 4);
  ctx_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Weft/Ingest/sequence", test_sequence);
  g_test_add_func ("/Weft/Ingest/random-events", test_random);
  g_test_add_func ("/Weft/Ingest/counters", test_counters);
  g_test_add_func ("/Weft/Ingest/gc", test_gc);
  return g_test_run ();
}
