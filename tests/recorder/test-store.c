/* test-store.c — opening and creating .weft files. */
#include "test-util.h"
#include "weft-lanes.h"
#include "weft-lod.h"
#include "weft-store.h"

#include <glib/gstdio.h>
#include <string.h>

static char *
tmp_path (const char *name)
{
  g_autofree char *dir = g_dir_make_tmp ("weft-test-store-XXXXXX", NULL);
  g_assert_nonnull (dir);
  return g_build_filename (dir, name, NULL);
}

static void
test_not_a_database (void)
{
  g_autofree char *path = tmp_path ("junk.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;

  g_assert_true (g_file_set_contents (path, "this is not a database at all, not even close......................"
                                            "................................................................",
                                      -1, NULL));
  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_null (store);
  g_assert_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_NOT_WEFT);
  g_assert_nonnull (strstr (error->message, "is not a Weft trace database"));
  g_remove (path);
}

static void
test_other_sqlite (void)
{
  g_autofree char *path = tmp_path ("other.db");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;
  sqlite3 *db;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, "CREATE TABLE t (x); PRAGMA user_version = 1", NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_null (store);
  g_assert_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_NOT_WEFT);
  g_assert_nonnull (strstr (error->message, "another application"));
  g_remove (path);
}

static void
test_newer_version (void)
{
  g_autofree char *path = tmp_path ("new.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_autoptr (WeftStore) reopened = NULL;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store, "PRAGMA user_version = 99", &error));
  g_clear_pointer (&store, weft_store_free);
  reopened = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_null (reopened);
  g_assert_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_TOO_NEW);
  g_assert_nonnull (strstr (error->message, "newer Weft (schema version 99"));
  g_remove (path);
}

static void
test_missing (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_open ("/nonexistent/x.weft", WEFT_STORE_OPEN_READ_ONLY, &error);

  g_assert_null (store);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND);
}

static void
test_create_reopen (void)
{
  g_autofree char *path = tmp_path ("ok.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_BULK, &error);
  g_autofree char *value = NULL;

  g_assert_no_error (error);
  g_assert_true (weft_store_set_meta_int (store, "events", 42, &error));
  g_assert_true (weft_store_finish (store, &error));
  g_assert_no_error (error);
  g_clear_pointer (&store, weft_store_free);
  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (weft_store_get_meta_int (store, "events", -1), ==, 42);
  value = weft_store_get_meta (store, "nothing");
  g_assert_null (value);
  /* Creating over an existing file is refused. */
  g_assert_null (weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS);
  g_remove (path);
}

/* A file of schema version 1 (before cpu_sample; its lane tables hold
 * rows, as up to version 2): read-only, it reads with the new table empty
 * and its own lane rows; writable, it is upgraded and keeps reading
 * them. */
static void
test_older_version (void)
{
  g_autofree char *path = tmp_path ("v1.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "DROP TABLE cpu_sample; DROP TABLE gstate_chunk; DROP TABLE gstate_p_chunk; "
                                  "DROP TABLE pstate_chunk; DROP TABLE mstate_chunk; "
                                  "CREATE TABLE gstate (id INTEGER PRIMARY KEY, goid INTEGER NOT NULL, "
                                  "start_ns INTEGER NOT NULL, end_ns INTEGER NOT NULL, state INTEGER NOT NULL, "
                                  "wait_reason INTEGER, wait_obj INTEGER, stack INTEGER, stop_reason INTEGER, "
                                  "p INTEGER, m INTEGER, unblocked_by INTEGER, open_start INTEGER NOT NULL DEFAULT 0, "
                                  "open_end INTEGER NOT NULL DEFAULT 0); "
                                  "CREATE INDEX gstate_goid_start ON gstate (goid, start_ns); "
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state, p) VALUES (7, 10, 20, 0, 1); "
                                  "PRAGMA user_version = 1",
                                  &error));
  g_clear_pointer (&store, weft_store_free);

  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  /* A reader has no connection mutex (weft-store.h), a writer has. */
  g_assert_null (sqlite3_db_mutex (weft_store_get_db (store)));
  g_assert_cmpint (test_scalar (store, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM cpu_profile"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT end_ns FROM gstate WHERE goid = 7 AND start_ns <= 15"), ==, 20);
  g_assert_cmpint (test_scalar (store, "SELECT ns FROM gstate_totals (0, 15) WHERE state = 0"), ==, 5);
  g_clear_pointer (&store, weft_store_free);

  store = weft_store_open (path, WEFT_STORE_OPEN_READ_WRITE, &error);
  g_assert_no_error (error);
  g_assert_nonnull (sqlite3_db_mutex (weft_store_get_db (store)));
  g_assert_cmpint (test_scalar (store, "PRAGMA user_version"), ==, WEFT_SCHEMA_VERSION);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'cpu_sample'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'gstate_chunk'"), ==, 1);
  /* Its rows stay in its own table, which SQLite finds first. */
  g_assert_cmpint (test_scalar (store, "SELECT SUM(end_ns) FROM gstate WHERE state = 0 AND p = 1"), ==, 20);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate_chunk"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT ns FROM gstate_totals (12, 100) WHERE state = 0"), ==, 8);
  g_remove (path);
}

/* How many steps of @sql's plan name @index. */
static guint
uses_index (WeftStore *store, const char *sql, const char *index)
{
  g_autofree char *explain = g_strconcat ("EXPLAIN QUERY PLAN ", sql, NULL);
  sqlite3_stmt    *stmt = weft_store_prepare (store, explain, NULL);
  guint            n = 0;

  g_assert_nonnull (stmt);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    n += strstr ((const char *) sqlite3_column_text (stmt, 3), index) != NULL;
  sqlite3_finalize (stmt);
  return n;
}

/* The viewer's lane queries are searches of one lane's chunks, in both
 * halves of the window query (weft-indexes.sql); the P lanes read the
 * goroutines' running intervals packed by P; the leak analysis reads only
 * the chunks holding intervals open at the end. */
static void
test_lane_plans (void)
{
  g_autofree char *path = tmp_path ("plane.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_BULK, &error);
  static const struct
  {
    const char *query, *plan;
  } expect[] = {
    { "window-gstate", "gstate_chunk (lane=? AND start_ns<?) DESC" },
    { "window-gstate", "gstate_chunk (lane=? AND start_ns>? AND start_ns<?)" },
    { "window-pstate", "gstate_p_chunk (lane=? AND start_ns<?) DESC" },
    { "window-pstate", "gstate_p_chunk (lane=? AND start_ns>? AND start_ns<?)" },
    { "window-mstate", "mstate_chunk (lane=? AND start_ns<?) DESC" },
    { "window-mstate", "mstate_chunk (lane=? AND start_ns>? AND start_ns<?)" },
    { "at-pstate", "gstate_p_chunk (lane=? AND start_ns<?) DESC" },
    { "slice-at-thread", "mstate_chunk (lane=? AND start_ns<?) DESC" },
  };

  g_assert_no_error (error);
  g_assert_true (weft_store_finish (store, &error));
  g_clear_pointer (&store, weft_store_free);
  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (expect); i++)
    {
      g_autofree char *file = g_strconcat ("queries/", expect[i].query, ".sql", NULL);
      g_autofree char *sql = weft_schema_load (file, &error);

      g_assert_no_error (error);
      g_test_message ("%s: %s", expect[i].query, expect[i].plan);
      g_assert_cmpint (uses_index (store, sql, expect[i].plan), ==, 1);
    }
  g_assert_cmpint (uses_index (store, "SELECT * FROM leak_candidates", "gstate_chunk (open_end=1)"), ==, 1);
  g_remove (path);
}

/* The lane tables against plain tables of the same rows: intervals of a
 * few lanes inserted in random order (each merged into the chunk where it
 * belongs), every window, instant and scan query answering the same. */
static void
test_lane_tables (void)
{
  g_autofree char *path = tmp_path ("lanes.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_autoptr (GRand) rand = g_rand_new_with_seed (4);
  sqlite3_stmt *ins, *ref;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "CREATE TEMP TABLE ref (id INTEGER PRIMARY KEY, goid, start_ns, end_ns, state, "
                                  "wait_reason, wait_obj, stack, stop_reason, p, m, unblocked_by, open_start, open_end)",
                                  &error));
  ins = weft_store_prepare (store,
                            "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_obj, p, open_end) "
                            "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                            &error);
  g_assert_no_error (error);
  ref = weft_store_prepare (store,
                            "INSERT INTO ref (id, goid, start_ns, end_ns, state, wait_obj, p, open_start, open_end) "
                            "VALUES (?8, ?1, ?2, ?3, ?4, ?5, ?6, 0, ?7)",
                            &error);
  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store, "BEGIN", &error));
  /* Lane g tiles [0, 1000 * 64) with intervals of 64 ns; 5000 of them,
   * in random order, with a NULL or a huge or negative object. */
  for (int k = 0; k < 5000; k++)
    {
      gint64 g = g_rand_int_range (rand, 1, 6), slot = g_rand_int_range (rand, 0, 1000);
      gint64 state = g_rand_int_range (rand, 0, 3), obj = g_rand_int_range (rand, -2, 3) * G_GINT64_CONSTANT (0x7fff12345678);

      for (int b = 1; b <= 7; b++)
        sqlite3_bind_int64 (ins, b, (gint64[]){ g, slot * 64, slot * 64 + 64, state, obj, g % 2, slot == 999 }[b - 1]);
      if (obj == 0)
        sqlite3_bind_null (ins, 5);
      g_assert_cmpint (sqlite3_step (ins), ==, SQLITE_DONE);
      sqlite3_bind_int64 (ref, 8, sqlite3_last_insert_rowid (weft_store_get_db (store)));
      sqlite3_reset (ins);
      for (int b = 1; b <= 7; b++)
        sqlite3_bind_int64 (ref, b, (gint64[]){ g, slot * 64, slot * 64 + 64, state, obj, g % 2, slot == 999 }[b - 1]);
      if (obj == 0)
        sqlite3_bind_null (ref, 5);
      g_assert_cmpint (sqlite3_step (ref), ==, SQLITE_DONE);
      sqlite3_reset (ref);
    }
  sqlite3_finalize (ins);
  sqlite3_finalize (ref);
  g_assert_true (weft_store_exec (store, "COMMIT", &error));
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate_chunk"), <, 5000 / 8);
  /* Whole scans, as sets. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM (SELECT * FROM gstate EXCEPT SELECT * FROM ref)"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM (SELECT * FROM ref EXCEPT SELECT * FROM gstate)"), ==, 0);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT COUNT(*) FROM gstate) = (SELECT COUNT(*) FROM ref)"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(id) FROM (SELECT id FROM gstate WHERE open_end = 1"
                                       " ORDER BY id)) IS (SELECT group_concat(id) FROM (SELECT id FROM ref"
                                       " WHERE open_end = 1 ORDER BY id))"),
                   ==, 1);
  /* In lane order; the largest P running something (some running rows
   * have none: the rows without one come last), the largest goroutine. */
  g_assert_true (weft_store_exec (store, "INSERT INTO gstate (goid, start_ns, end_ns, state) VALUES (3, 5, 6, 0)", &error));
  g_assert_true (weft_store_exec (store, "INSERT INTO ref (id, goid, start_ns, end_ns, state, open_start, open_end) "
                                         "VALUES (last_insert_rowid (), 3, 5, 6, 0, 0, 0)",
                                  &error));
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(p) FROM (SELECT p FROM gstate WHERE state = 0"
                                       " ORDER BY p DESC)) IS (SELECT group_concat(p) FROM (SELECT p FROM ref"
                                       " WHERE state = 0 ORDER BY p DESC))"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate WHERE state = 0 AND p IS NULL"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT MAX(p) FROM gstate WHERE state = 0"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(goid) FROM (SELECT goid FROM gstate ORDER BY goid DESC))"
                                       " IS (SELECT group_concat(goid) FROM (SELECT goid FROM ref ORDER BY goid DESC))"),
                   ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT MAX(goid) FROM gstate"), ==, 5);
  g_assert_cmpint (uses_index (store, "SELECT MAX(p) FROM gstate WHERE state = 0", "gstate_p_chunk (lane order) DESC"),
                   ==, 1);
  /* Windows and instants of every lane, by goroutine and by P, in order. */
  for (int k = 0; k < 300; k++)
    {
      gint64           g = g_rand_int_range (rand, 0, 7), t0 = g_rand_int_range (rand, -100, 66000);
      gint64           t1 = t0 + g_rand_int_range (rand, 0, 3000);
      g_autofree char *sql = g_strdup_printf (
          "SELECT (SELECT group_concat(x, ' ') FROM (SELECT id || ':' || start_ns AS x FROM gstate WHERE goid = %1$" G_GINT64_FORMAT
          " AND start_ns >= %2$" G_GINT64_FORMAT " AND start_ns < %3$" G_GINT64_FORMAT " ORDER BY start_ns, id))"
          " IS (SELECT group_concat(x, ' ') FROM (SELECT id || ':' || start_ns AS x FROM ref WHERE goid = %1$" G_GINT64_FORMAT
          " AND start_ns >= %2$" G_GINT64_FORMAT " AND start_ns < %3$" G_GINT64_FORMAT " ORDER BY start_ns, id))"
          " AND (SELECT start_ns FROM gstate WHERE goid = %1$" G_GINT64_FORMAT " AND start_ns < %2$" G_GINT64_FORMAT
          " ORDER BY start_ns DESC LIMIT 1) IS (SELECT MAX(start_ns) FROM ref WHERE goid = %1$" G_GINT64_FORMAT
          " AND start_ns < %2$" G_GINT64_FORMAT ")"
          " AND (SELECT group_concat(start_ns) FROM (SELECT start_ns FROM gstate WHERE state = 0 AND p = %4$" G_GINT64_FORMAT
          " AND start_ns <= %3$" G_GINT64_FORMAT " ORDER BY start_ns DESC)) IS (SELECT group_concat(start_ns)"
          " FROM (SELECT start_ns FROM ref WHERE state = 0 AND p = %4$" G_GINT64_FORMAT " AND start_ns <= %3$" G_GINT64_FORMAT
          " ORDER BY start_ns DESC))",
          g, t0, t1, g % 2);

      g_assert_cmpint (test_scalar (store, sql), ==, 1);
    }
  /* The range totals (gstate_totals, decoding the chunks) against the
   * same sums over the plain table, with wait reasons, NULL included. */
  g_assert_true (weft_store_exec (store,
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason) VALUES "
                                  "(6, 100, 5000, 2, 7), (6, 5000, 9000, 2, 9), (6, 9000, 9500, 2, NULL), "
                                  "(6, 9500, 70000, 2, 7);"
                                  "INSERT INTO ref (id, goid, start_ns, end_ns, state, wait_reason, open_start, open_end) "
                                  "SELECT id, goid, start_ns, end_ns, state, wait_reason, 0, 0 FROM gstate WHERE goid = 6",
                                  &error));
  g_assert_no_error (error);
  for (int k = 0; k < 200; k++)
    {
      gint64           t0 = g_rand_int_range (rand, -100, 66000), t1 = t0 + g_rand_int_range (rand, 0, 70000);
      g_autofree char *sql = g_strdup_printf (
          "SELECT (SELECT group_concat(x, ' ') FROM (SELECT state || '/' || IFNULL(wait_reason, '-') || '/' || n || '/' || ns"
          " AS x FROM gstate_totals (%1$" G_GINT64_FORMAT ", %2$" G_GINT64_FORMAT ") ORDER BY state, wait_reason))"
          " IS (SELECT group_concat(x, ' ') FROM (SELECT state || '/' || IFNULL(wait_reason, '-') || '/' || COUNT(*) || '/'"
          " || SUM(MIN(end_ns, %2$" G_GINT64_FORMAT ") - MAX(start_ns, %1$" G_GINT64_FORMAT ")) AS x FROM ref"
          " WHERE start_ns < %2$" G_GINT64_FORMAT " AND end_ns > %1$" G_GINT64_FORMAT
          " GROUP BY state, wait_reason ORDER BY state, wait_reason))",
          t0, t1);

      g_assert_cmpint (test_scalar (store, sql), ==, 1);
    }
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate_totals (0, 66000) WHERE state = 2"), ==, 3);
  g_assert_false (weft_store_exec (store, "SELECT * FROM gstate_totals", &error));
  g_assert_nonnull (strstr (error->message, "two arguments"));
  g_clear_error (&error);

  /* Only inserts. */
  g_assert_false (weft_store_exec (store, "DELETE FROM gstate WHERE goid = 1", &error));
  g_assert_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE);
  g_assert_nonnull (strstr (error->message, "not changed or deleted"));
  g_remove (path);
}

/* The packer as a load uses it: 300 000 live lanes, more open chunks than
 * its memory budget holds (all are written out midway), a lane ended and
 * continued, intervals out of order (merged where they belong), every
 * lane read back whole, in order, and by window. */
static void
test_lane_packer (void)
{
  g_autofree char *path = tmp_path ("packer.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  const gint64    lanes = 300000;
  WeftLanePacker *packer;
  guint64         rows = 0;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store, "BEGIN", &error));
  packer = weft_lane_packer_new (weft_store_get_db (store), WEFT_LANE_MSTATE);
  /* mstate: m, start_ns, end_ns, state, p, goid, open_start, open_end. */
  for (gint64 round = 0; round < 3; round++)
    for (gint64 m = 1; m <= lanes; m++)
      g_assert_true (
          weft_lane_packer_add (packer, (gint64[8]){ m, round * 10, round * 10 + 10, round, m % 7, 0, 0, 0 }, 1u << 5));
  /* Then, for every lane, one interval before its last (many lanes'
   * open chunks were written out by the budget since) and one after. */
  for (gint64 m = 1; m <= lanes; m++)
    if (m != 1 && m != 5)
      {
        g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ m, 15, 16, 1, 0, 0, 0, 0 }, 1u << 5));
        g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ m, 30, 31, 3, 0, 0, 0, 0 }, 1u << 5));
      }
  g_assert_true (weft_lane_packer_end_lane (packer, 5));
  /* Lane 5 again, then lane 1 out of order: 35 before 40, 5 inside its
   * first interval's start order. */
  g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ 5, 30, 40, 4, 0, 0, 0, 1 }, 1u << 5));
  g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ 1, 40, 50, 4, 0, 0, 0, 0 }, 1u << 5));
  g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ 1, 35, 36, 3, 0, 0, 0, 0 }, 1u << 5));
  g_assert_true (weft_lane_packer_add (packer, (gint64[8]){ 1, 5, 6, 3, 0, 0, 0, 0 }, 1u << 5));
  g_assert_true (weft_lane_packer_close (packer, &rows));
  g_assert_true (weft_store_exec (store, "COMMIT", &error));

  /* More chunks than lanes: the budget wrote the open ones midway. The
   * count the packer gives (what `weft convert` prints) is the table's:
   * the intervals merged into written chunks made no row. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mstate_chunk"), >, lanes);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mstate_chunk"), ==, rows);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mstate"), ==, 5 * lanes);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM mstate WHERE goid IS NULL"), ==, 5 * lanes);
  /* A lane in start order, whatever the budget did (1 lane in 97). */
  g_assert_cmpint (test_scalar (store, "WITH RECURSIVE l (m) AS (SELECT 2 UNION ALL SELECT m + 97 FROM l WHERE m < 299900)"
                                       " SELECT COUNT(*) FROM l WHERE (SELECT group_concat(start_ns) FROM (SELECT start_ns"
                                       " FROM mstate WHERE mstate.m = l.m ORDER BY start_ns)) IS NOT '0,10,15,20,30'"),
                   ==, 0);
  /* Every lane in order, ids in the order rows came. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM (SELECT m, start_ns, state, id, LAG(start_ns) OVER w AS prev,"
                                       " LAG(id) OVER w AS prev_id FROM (SELECT * FROM mstate WHERE m IN (1, 5) OR start_ns NOT IN (15, 30))"
                                       " WINDOW w AS (PARTITION BY m ORDER BY start_ns))"
                                       " WHERE start_ns <> IFNULL(prev, -10) + 10 OR id <= IFNULL(prev_id, 0)"
                                       " OR state <> start_ns / 10 OR id <> state * 300000 + m"),
                   ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(start_ns || '/' || state, ' ') FROM (SELECT start_ns, state FROM mstate WHERE m = 1 ORDER BY start_ns)) IS '0/0 5/3 10/1 20/2 35/3 40/4'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(start_ns, ' ') FROM (SELECT start_ns FROM mstate WHERE m = 1 AND start_ns < 38 ORDER BY start_ns DESC)) IS '35 20 10 5 0'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(start_ns, ' ') FROM (SELECT start_ns FROM mstate WHERE m = 1 AND start_ns >= 6 AND start_ns < 40 ORDER BY start_ns)) IS '10 20 35'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT (SELECT group_concat(start_ns || '/' || open_end, ' ') FROM (SELECT start_ns, open_end FROM mstate WHERE m = 5 ORDER BY start_ns)) IS '0/0 10/0 20/0 30/1'"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT m FROM mstate WHERE open_end = 1"), ==, 5);
  g_assert_cmpint (test_scalar (store, "SELECT MAX(m) FROM mstate"), ==, lanes);
  g_remove (path);
}

/* A level-of-detail build with more buckets than weft-lod.c holds in
 * memory (PENDING_MAX, 2^20): sorted runs spill to a temporary file and
 * are merged. Goroutine 2 is runnable over 2^22 intervals of 128 ns that
 * tile the trace, so that every bucket of every stored level (9, 11, …,
 * 29 and the top one, 30) is covered whole by one key: 1.4M buckets. */
static void
test_lod_spilled (void)
{
  g_autofree char *path = tmp_path ("lod.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  const gint64 n = (gint64) 1 << 22, trace = n * 128;
  gint64       buckets = 0;
  guint64      rows = 0;

  WeftLanePacker *packer;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 536870912);"
                                  "INSERT INTO goroutine (goid, start_pc) VALUES (2, 4096);",
                                  &error));
  /* Packed as a load packs them: 4M INSERTs would take most of the
   * test's time. */
  g_assert_true (weft_store_exec (store, "BEGIN", &error));
  packer = weft_lane_packer_new (weft_store_get_db (store), WEFT_LANE_GSTATE);
  for (gint64 i = 0; i < n; i++)
    g_assert_true (weft_lane_packer_add (packer, (gint64[13]){ 2, i * 128, i * 128 + 128, 1 }, 0x7fu << 4));
  g_assert_true (weft_lane_packer_close (packer, &rows));
  g_assert_true (weft_store_exec (store, "COMMIT", &error));
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM gstate_chunk"), ==, n / WEFT_LANE_CHUNK);
  g_assert_cmpint (rows, ==, n / WEFT_LANE_CHUNK);
  g_assert_cmpint (test_scalar (store, "SELECT SUM(end_ns - start_ns) FROM gstate WHERE wait_obj IS NULL"), ==, trace);
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 2 AND lane = 2"), ==, 9);
  g_assert_cmpint (test_scalar (store, "SELECT top_level FROM lod_lane WHERE kind = 2 AND lane = 2"), ==, 30);
  for (int level = 9; level <= 30; level += level == 29 ? 1 : 2)
    {
      gint64           count = (trace + ((gint64) 1 << level) - 1) >> level;
      g_autofree char *sql = g_strdup_printf ("SELECT COUNT(*) = %" G_GINT64_FORMAT " AND SUM(cover) = %" G_GINT64_FORMAT
                                              " AND MIN(bucket) = 0 AND MAX(bucket) = COUNT(*) - 1"
                                              " AND MIN(key) = MAX(key) AND MIN(key) = %" G_GINT64_FORMAT
                                              " FROM lod_bucket WHERE level = %d",
                                              count, trace, (gint64) 1 << 56, level);

      g_test_message ("level %d", level);
      g_assert_cmpint (test_scalar (store, sql), ==, 1);
      buckets += count;
    }
  g_assert_cmpint (buckets, >, 1 << 20);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_bucket"), ==, buckets);
  /* Packed 64 to a row; the viewer's windows against a plain copy. */
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_chunk"), <, buckets / 60);
  g_assert_true (weft_store_exec (store, "CREATE TEMP TABLE ref AS SELECT * FROM lod_bucket", &error));
  for (int level = 9; level <= 30; level += level == 29 ? 1 : 2)
    for (gint64 b0 = -3; b0 < (trace >> level) + 3; b0 += MAX ((trace >> level) / 7, 1))
      {
        g_autofree char *sql = g_strdup_printf (
            "SELECT (SELECT group_concat(bucket || ':' || key || ':' || cover) FROM (SELECT * FROM lod_bucket"
            " WHERE lane = l.id AND level = %1$d AND bucket >= %2$" G_GINT64_FORMAT " AND bucket <= %3$" G_GINT64_FORMAT
            " ORDER BY bucket)) IS (SELECT group_concat(bucket || ':' || key || ':' || cover) FROM (SELECT * FROM ref"
            " WHERE lane = l.id AND level = %1$d AND bucket >= %2$" G_GINT64_FORMAT " AND bucket <= %3$" G_GINT64_FORMAT
            " ORDER BY bucket)) FROM lod_lane AS l",
            level, b0, b0 + 100);

        g_assert_cmpint (test_scalar (store, sql), ==, 1);
      }
  g_remove (path);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Weft/Store/not-a-database", test_not_a_database);
  g_test_add_func ("/Weft/Store/other-sqlite-database", test_other_sqlite);
  g_test_add_func ("/Weft/Store/newer-version", test_newer_version);
  g_test_add_func ("/Weft/Store/older-version", test_older_version);
  g_test_add_func ("/Weft/Store/missing-file", test_missing);
  g_test_add_func ("/Weft/Store/create-reopen", test_create_reopen);
  g_test_add_func ("/Weft/Store/lane-plans", test_lane_plans);
  g_test_add_func ("/Weft/Store/lane-tables", test_lane_tables);
  g_test_add_func ("/Weft/Store/lane-packer", test_lane_packer);
  g_test_add_func ("/Weft/Store/lod-spilled", test_lod_spilled);
  return g_test_run ();
}
