/* test-util.h — what the recorder's tests share. */
#pragma once

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
