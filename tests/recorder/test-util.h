/* test-util.h — what the recorder's tests share. */
#pragma once

#include "weft-lod.h"
#include "weft-store.h"

#include <glib.h>
#include <sqlite3.h>

/* The first column of the first row of @sql, -1 if there is no row. */
static inline gint64
test_scalar (WeftStore *store, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (store, sql, NULL);
  gint64        v = -1;

  g_assert_nonnull (s);
  if (sqlite3_step (s) == SQLITE_ROW)
    v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

/* A digest of the level-of-detail tables, the same for the same rows. */
static inline gint64
test_lod_digest (WeftStore *store)
{
  return test_scalar (store, "SELECT (SELECT COUNT(*) FROM lod_bucket) * 1000003"
                             " + (SELECT TOTAL ((lane * 131 + level) * 8191 + bucket * 31 + key % 1000003 + cover) % 999983"
                             " FROM lod_bucket)"
                             " + (SELECT TOTAL (id * kind * lane + intervals * base_level + top_level) FROM lod_lane)");
}

/* Asserts that the level of detail of the .weft file at @path, built
 * at the end of its load from the writer's record of the intervals
 * (weft-lod-input.h), is the one its tables give (weft_lod_build(),
 * which rewrites it). Returns the number of lanes. */
static inline gint64
test_lod_matches_tables (const char *path)
{
  g_autoptr (GError) error = NULL;
  WeftStore *store = weft_store_open (path, WEFT_STORE_OPEN_READ_WRITE, &error);
  gint64     digest, lanes;

  g_assert_no_error (error);
  digest = test_lod_digest (store);
  lanes = test_scalar (store, "SELECT COUNT(*) FROM lod_lane");
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_lod_digest (store), ==, digest);
  weft_store_free (store);
  return lanes;
}
