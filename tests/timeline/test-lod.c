/* test-lod.c — the level-of-detail tables (recorder/weft-lod.c) of a
 * hand-built database whose answer is known. The trace is [0, 2^20) ns:
 *  - P0 runs 513 slices: over [0, 2^19), in every 2048 ns, goroutine 2
 *    (start function 0x1000) for 1500 ns then goroutine 3 (0x2000) for
 *    250 ns; then goroutine 4 (0x3000) alone for 10 ns at 800,000 ns;
 *  - goroutine 5 alternates 300 times: running 1000 ns, blocked on a
 *    channel receive 2000 ns; goroutine 6 has one interval;
 *  - counter 3 (goroutines) takes the value i at i × 1000 ns, i < 300.
 * 513 intervals over 2^20 ns at 4 per bucket: P0's base level is 13
 * (8192 ns buckets).
 */
#include "test-util.h"
#include "weft-lod.h"

#include <glib/gstdio.h>

static char *tmpdir;

static WeftStore *
make_store (const char *name)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, name, NULL);
  WeftStore       *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 1048576);"
                                  "INSERT INTO goroutine (goid, start_pc) VALUES (2, 4096), (3, 8192), (4, 12288),"
                                  " (5, 16384), (6, 16384);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 255)"
                                  " INSERT INTO gstate (goid, start_ns, end_ns, state, p)"
                                  " SELECT goid, n * 2048 + off, n * 2048 + off + len, 0, 0 FROM i,"
                                  " (SELECT 2 AS goid, 0 AS off, 1500 AS len UNION ALL SELECT 3, 1500, 250)"
                                  " ORDER BY n, off;"
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state, p) VALUES (4, 800000, 800010, 0, 0);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 299)"
                                  " INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason)"
                                  " SELECT 5, n * 3000 + off, n * 3000 + off + len, st, wr FROM i,"
                                  " (SELECT 0 AS off, 1000 AS len, 0 AS st, NULL AS wr UNION ALL SELECT 1000, 2000, 2, 2)"
                                  " ORDER BY n, off;"
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state) VALUES (6, 0, 1048576, 1);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 299)"
                                  " INSERT INTO counter_sample (counter, ts, value) SELECT 3, n * 1000, n FROM i;",
                                  &error));
  g_assert_no_error (error);
  return store;
}

static gint64
lane_id (WeftStore *store, WeftLodKind kind, gint64 lane)
{
  g_autofree char *sql = g_strdup_printf ("SELECT id FROM lod_lane WHERE kind = %d AND lane = %" G_GINT64_FORMAT,
                                          kind, lane);

  return test_scalar (store, sql);
}

/* The key of bucket @bucket of level @level, -1 if it has no row; its
 * cover in *cover. */
static gint64
bucket_key (WeftStore *store, gint64 lane, int level, gint64 bucket, gint64 *cover)
{
  sqlite3_stmt *s = weft_store_prepare (store, "SELECT key, cover FROM lod_bucket WHERE lane = ? AND level = ? AND bucket = ?",
                                        NULL);
  gint64        key = -1;

  sqlite3_bind_int64 (s, 1, lane);
  sqlite3_bind_int (s, 2, level);
  sqlite3_bind_int64 (s, 3, bucket);
  if (sqlite3_step (s) == SQLITE_ROW)
    {
      key = sqlite3_column_int64 (s, 0);
      if (cover != NULL)
        *cover = sqlite3_column_int64 (s, 1);
    }
  sqlite3_finalize (s);
  return key;
}

/* P0's dominant start function per bucket, at every level, without a gap
 * where something ran and with nothing where nothing did. */
static void
test_p_lane (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("p.weft");
  gint64 p0, cover = 0;

  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  p0 = lane_id (store, WEFT_LOD_P, 0);
  g_assert_cmpint (p0, >, 0);
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 0 AND lane = 0"), ==, 13);
  g_assert_cmpint (test_scalar (store, "SELECT top_level FROM lod_lane WHERE kind = 0 AND lane = 0"), ==, 21);
  g_assert_cmpint (test_scalar (store, "SELECT intervals FROM lod_lane WHERE kind = 0 AND lane = 0"), ==, 513);

  /* Level 13: 4 periods per bucket, goroutine 2 covers 4 × 1500 ns. */
  for (gint64 b = 0; b < 64; b++)
    {
      g_assert_cmpint (bucket_key (store, p0, 13, b, &cover), ==, 4096);
      g_assert_cmpint (cover, ==, 6000);
    }
  /* The lone 10 ns slice keeps its bucket; the idle ones have none. */
  g_assert_cmpint (bucket_key (store, p0, 13, 800000 >> 13, &cover), ==, 12288);
  g_assert_cmpint (cover, ==, 10);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_bucket WHERE level = 13 AND lane = "
                                       "(SELECT id FROM lod_lane WHERE kind = 0 AND lane = 0)"),
                   ==, 65);
  /* Level 15, built from level 13's quarters: 16 periods. Level 14 is
   * not stored (WEFT_LOD_STRIDE). */
  g_assert_cmpint (bucket_key (store, p0, 15, 3, &cover), ==, 4096);
  g_assert_cmpint (cover, ==, 24000);
  g_assert_cmpint (bucket_key (store, p0, 14, 3, NULL), ==, -1);
  g_assert_cmpint (weft_lod_stored_level (14, 13, 21), ==, 13);
  g_assert_cmpint (weft_lod_stored_level (16, 13, 21), ==, 15);
  g_assert_cmpint (weft_lod_stored_level (25, 13, 21), ==, 21);
  /* Level 19: the busy half, then the lone slice; level 21: one bucket. */
  g_assert_cmpint (bucket_key (store, p0, 19, 0, &cover), ==, 4096);
  g_assert_cmpint (cover, ==, 256 * 1500);
  g_assert_cmpint (bucket_key (store, p0, 19, 1, NULL), ==, 12288);
  g_assert_cmpint (bucket_key (store, p0, 21, 0, NULL), ==, 4096);
  g_assert_cmpint (bucket_key (store, p0, 21, 1, NULL), ==, -1);
  g_assert_cmpint (bucket_key (store, p0, 12, 0, NULL), ==, -1);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lod_build_ms'"), >=, 0);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lod_clipped'"), ==, 0);
}

/* P1 runs seven goroutines in turn, 300 times: goroutine 10 + k (start
 * function 0x10000 × (k + 1)) for 100 + 10k ns. More keys than a level
 * holds without allocating: the longest, goroutine 16's, still covers
 * each coarse bucket, with its whole share. */
static void
test_many_keys (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "k.weft", NULL);
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  gint64 p1, cover = 0;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 1048576);"
                                  "WITH RECURSIVE k (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 6)"
                                  " INSERT INTO goroutine (goid, start_pc) SELECT 10 + n, 65536 * (n + 1) FROM k;"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 299),"
                                  " k (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM k WHERE n < 6)"
                                  " INSERT INTO gstate (goid, start_ns, end_ns, state, p)"
                                  " SELECT 10 + k.n, i.n * 910 + k.n * 100 + 5 * k.n * (k.n - 1),"
                                  " i.n * 910 + k.n * 100 + 5 * k.n * (k.n - 1) + 100 + 10 * k.n, 0, 1 FROM i, k"
                                  " ORDER BY i.n, k.n;",
                                  &error));
  g_assert_no_error (error);
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  p1 = lane_id (store, WEFT_LOD_P, 1);
  g_assert_cmpint (test_scalar (store, "SELECT intervals FROM lod_lane WHERE kind = 0 AND lane = 1"), ==, 2100);
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 0 AND lane = 1"), ==, 11);
  /* Level 17: the first 144 periods; level 21: all of them. */
  g_assert_cmpint (bucket_key (store, p1, 17, 0, &cover), ==, 7 * 65536);
  g_assert_cmpint (cover, ==, 144 * 160);
  g_assert_cmpint (bucket_key (store, p1, 21, 0, &cover), ==, 7 * 65536);
  g_assert_cmpint (cover, ==, 300 * 160);
}

/* An interval overlapping the one before on its lane is clipped, and
 * counted. */
static void
test_overlap (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("o.weft");
  gint64 cover = 0;

  /* Goroutine 3 on P0 over [1000, 1600), written last: it overlaps what
   * P0 ran then and starts before the lane's last end, so it is clipped
   * away, counted, and bucket 0 keeps its key. */
  g_assert_true (weft_store_exec (store, "INSERT INTO gstate (goid, start_ns, end_ns, state, p) VALUES (3, 1000, 1600, 0, 0)",
                                  &error));
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lod_clipped'"), >, 0);
  g_assert_cmpint (bucket_key (store, lane_id (store, WEFT_LOD_P, 0), 13, 0, &cover), ==, 4096);
}

/* A goroutine lane keyed as window-glane.sql keys it: blocked on a channel
 * for two thirds of the time, running for one. A lane of one interval has
 * no buckets. */
static void
test_goroutine_lane (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("g.weft");
  gint64 g5, blocked = weft_lod_goroutine_key (2, 0, "chan"), cover = 0;

  g_assert_cmpint (blocked, ==, ((gint64) 2 << 56) + 1);
  g_assert_cmpint (weft_lod_goroutine_key (0, 16384, NULL), ==, 16384);
  g_assert_cmpint (weft_lod_goroutine_key (1, 16384, NULL), ==, (gint64) 1 << 56);
  g_assert_cmpint (weft_lod_goroutine_key (2, 0, "no such"), ==, ((gint64) 2 << 56) + 6);
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g5 = lane_id (store, WEFT_LOD_GOROUTINE, 5);
  g_assert_cmpint (g5, >, 0);
  g_assert_cmpint (lane_id (store, WEFT_LOD_GOROUTINE, 6), ==, -1);
  /* Base level: 600 intervals over 2^20 ns, 4 per bucket: 2^13. Bucket 0
   * [0, 8192): 2 periods and 2192 ns of the third (running 1000, blocked
   * 1192): blocked 5192, running 3000. */
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 2 AND lane = 5"), ==, 13);
  g_assert_cmpint (bucket_key (store, g5, 13, 0, &cover), ==, blocked);
  g_assert_cmpint (cover, ==, 5192);
  /* Level 15 [0, 32768): 10 periods and 2768 ns of the eleventh: blocked
   * 21768. */
  g_assert_cmpint (bucket_key (store, g5, 15, 0, &cover), ==, blocked);
  g_assert_cmpint (cover, ==, 21768);
  /* After 900,000 ns nothing: bucket 899999 >> 13 = 109 is the last. */
  g_assert_cmpint (bucket_key (store, g5, 13, 109, NULL), ==, blocked);
  g_assert_cmpint (bucket_key (store, g5, 13, 110, NULL), ==, -1);
}

/* A counter's bucket holds the largest value in force in it; the last
 * sample holds to the end of the trace. */
static void
test_counter (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("c.weft");
  gint64 c3;

  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  c3 = lane_id (store, WEFT_LOD_COUNTER, 3);
  g_assert_cmpint (c3, >, 0);
  /* 300 samples over 2^20 ns: base level 14 (16384 ns). */
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 3"), ==, 14);
  g_assert_cmpint (bucket_key (store, c3, 14, 0, NULL), ==, 16);
  g_assert_cmpint (bucket_key (store, c3, 14, 1, NULL), ==, 32);
  g_assert_cmpint (bucket_key (store, c3, 14, 63, NULL), ==, 299);
  g_assert_cmpint (bucket_key (store, c3, 16, 1, NULL), ==, 131);
  g_assert_cmpint (bucket_key (store, c3, 21, 0, NULL), ==, 299);
}

/* The GC sweep lane: the sweeps of two Ps overlap, and the lane gets
 * their union, [n × 3000, n × 3000 + 1500) for n < 300, unclipped. A kind
 * with few spans (10 assists) has no lane. */
static void
test_gc_lanes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("gc.weft");
  gint64 sweeps, cover = 0;

  g_assert_true (weft_store_exec (store,
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 299)"
                                  " INSERT INTO gc_span (kind, goid, p, start_ns, end_ns)"
                                  " SELECT 'sweep', 0, p, n * 3000 + p * 500, n * 3000 + p * 500 + 1000 FROM i,"
                                  " (SELECT 0 AS p UNION ALL SELECT 1) ORDER BY n, p;"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 9)"
                                  " INSERT INTO gc_span (kind, goid, p, start_ns, end_ns)"
                                  " SELECT 'assist', 5, 0, n * 10000, n * 10000 + 100 FROM i;",
                                  &error));
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  sweeps = lane_id (store, WEFT_LOD_GC, WEFT_LOD_GC_SWEEPS);
  g_assert_cmpint (sweeps, >, 0);
  g_assert_cmpint (lane_id (store, WEFT_LOD_GC, WEFT_LOD_GC_ASSISTS), ==, -1);
  g_assert_cmpint (test_scalar (store, "SELECT value FROM meta WHERE key = 'lod_clipped'"), ==, 0);
  /* 600 spans over 2^20 ns at 4 per bucket: base level 13 (8192 ns). */
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 4"), ==, 13);
  g_assert_cmpint (bucket_key (store, sweeps, 13, 0, &cover), ==, 1);
  g_assert_cmpint (cover, ==, 3 * 1500);
  /* The last run, [897000, 898500), is in bucket 109; nothing after. */
  g_assert_cmpint (bucket_key (store, sweeps, 13, 109, NULL), ==, 1);
  g_assert_cmpint (bucket_key (store, sweeps, 13, 110, NULL), ==, -1);
}

/* Building twice replaces the tables; a read-only store is refused with a
 * message, not a crash. */
static void
test_rebuild_and_read_only (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = make_store ("r.weft");
  g_autoptr (WeftStore) ro = NULL;
  gint64 rows;

  g_assert_true (weft_lod_build (store, &error));
  rows = test_scalar (store, "SELECT COUNT(*) FROM lod_bucket");
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_bucket"), ==, rows);

  ro = weft_store_open (weft_store_get_path (store), WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_false (weft_lod_build (ro, &error));
  g_assert_nonnull (error);
  g_assert_cmpint (test_scalar (ro, "SELECT COUNT(*) FROM lod_bucket"), ==, rows);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("weft-lod-XXXXXX", NULL);
  g_test_add_func ("/Weft/Lod/p-lane", test_p_lane);
  g_test_add_func ("/Weft/Lod/goroutine-lane", test_goroutine_lane);
  g_test_add_func ("/Weft/Lod/counter", test_counter);
  g_test_add_func ("/Weft/Lod/gc-lanes", test_gc_lanes);
  g_test_add_func ("/Weft/Lod/many-keys", test_many_keys);
  g_test_add_func ("/Weft/Lod/overlap", test_overlap);
  g_test_add_func ("/Weft/Lod/rebuild-and-read-only", test_rebuild_and_read_only);
  ret = g_test_run ();
  {
    g_autoptr (GDir) dir = g_dir_open (tmpdir, 0, NULL);
    const char *name;

    while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
      {
        g_autofree char *path = g_build_filename (tmpdir, name, NULL);
        g_unlink (path);
      }
    g_rmdir (tmpdir);
    g_free (tmpdir);
  }
  return ret;
}
