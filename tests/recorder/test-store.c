/* test-store.c — opening and creating .weft files. */
#include "test-util.h"
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

/* A file of schema version 1 (before cpu_sample): read-only, it reads
 * with the new table empty; writable, it is upgraded. */
static void
test_older_version (void)
{
  g_autofree char *path = tmp_path ("v1.weft");
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store, "DROP TABLE cpu_sample; PRAGMA user_version = 1", &error));
  g_clear_pointer (&store, weft_store_free);

  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM cpu_profile"), ==, 0);
  g_clear_pointer (&store, weft_store_free);

  store = weft_store_open (path, WEFT_STORE_OPEN_READ_WRITE, &error);
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "PRAGMA user_version"), ==, WEFT_SCHEMA_VERSION);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM main.sqlite_master WHERE name = 'cpu_sample'"), ==, 1);
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

/* The viewer's P lanes (queries/window-pstate.sql) read the goroutines'
 * running intervals: both halves of the window query are searches of
 * gstate_p_running, which a bulk load creates before its rows. */
static void
test_p_lane_index (void)
{
  g_autofree char *path = tmp_path ("plane.weft");
  g_autofree char *sql = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_BULK, &error);

  g_assert_no_error (error);
  g_assert_cmpint (uses_index (store, "SELECT 1 FROM gstate WHERE state = 0 AND p = 1 AND start_ns < 5",
                               "gstate_p_running (p=? AND start_ns<?)"),
                   ==, 1);
  g_assert_true (weft_store_finish (store, &error));
  g_clear_pointer (&store, weft_store_free);
  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  sql = weft_schema_load ("queries/window-pstate.sql", &error);
  g_assert_no_error (error);
  g_assert_cmpint (uses_index (store, sql, "gstate_p_running (p=? AND start_ns<?)"), ==, 1);
  g_assert_cmpint (uses_index (store, sql, "gstate_p_running (p=? AND start_ns>? AND start_ns<?)"), ==, 1);
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

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 536870912);"
                                  "INSERT INTO goroutine (goid, start_pc) VALUES (2, 4096);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 4194303)"
                                  " INSERT INTO gstate (goid, start_ns, end_ns, state) SELECT 2, n * 128, n * 128 + 128, 1 FROM i;",
                                  &error));
  g_assert_no_error (error);
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
  g_test_add_func ("/Weft/Store/p-lane-index", test_p_lane_index);
  g_test_add_func ("/Weft/Store/lod-spilled", test_lod_spilled);
  return g_test_run ();
}
