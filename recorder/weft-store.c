/* weft-store.c — opening, creating, checking and migrating .weft files. */
#include "weft-store.h"

#include "weft-lanes.h"
#include "weft-schema-resources.h"

#include <glib/gstdio.h>
#include <string.h>

struct _WeftStore
{
  sqlite3 *db;
  char    *path;
  gboolean bulk; /* created with WEFT_STORE_CREATE_BULK, not finished yet */
};

G_DEFINE_QUARK (weft - store - error - quark, weft_store_error)

gboolean
weft_store_set_sqlite_error (GError **error, sqlite3 *db, const char *what)
{
  g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE, "%s: %s", what,
               db != NULL ? sqlite3_errmsg (db) : "out of memory");
  return FALSE;
}

/* Returns the text of schema/@name (e.g. "weft-views.sql",
 * "queries/leaks.sql") from the GResource. */
char *
weft_schema_load (const char *name, GError **error)
{
  g_autofree char *path = NULL;
  g_autoptr (GBytes) bytes = NULL;

  g_return_val_if_fail (name != NULL, NULL);

  path = g_strconcat ("/org/weft/schema/", name, NULL);
  bytes = g_resource_lookup_data (weft_schema_get_resource (), path, G_RESOURCE_LOOKUP_FLAGS_NONE, error);
  if (bytes == NULL)
    return NULL;
  return g_strndup (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes));
}

gboolean
weft_store_exec (WeftStore *self, const char *sql, GError **error)
{
  char *msg = NULL;

  g_return_val_if_fail (self != NULL, FALSE);

  if (sqlite3_exec (self->db, sql, NULL, NULL, &msg) != SQLITE_OK)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE, "%s: %s", self->path,
                   msg != NULL ? msg : "out of memory");
      sqlite3_free (msg);
      return FALSE;
    }
  return TRUE;
}

gboolean
weft_store_exec_resource (WeftStore *self, const char *name, GError **error)
{
  g_autofree char *sql = weft_schema_load (name, error);

  if (sql == NULL)
    return FALSE;
  if (!weft_store_exec (self, sql, error))
    {
      g_prefix_error (error, "%s: ", name);
      return FALSE;
    }
  return TRUE;
}

sqlite3_stmt *
weft_store_prepare (WeftStore *self, const char *sql, GError **error)
{
  sqlite3_stmt *stmt = NULL;

  g_return_val_if_fail (self != NULL, NULL);

  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    {
      weft_store_set_sqlite_error (error, self->db, "preparing a statement");
      return NULL;
    }
  return stmt;
}

/* Prepares schema/queries/@name.sql (one statement). */
sqlite3_stmt *
weft_store_prepare_query (WeftStore *self, const char *name, GError **error)
{
  g_autofree char *file = g_strconcat ("queries/", name, ".sql", NULL);
  g_autofree char *sql = weft_schema_load (file, error);
  sqlite3_stmt    *stmt;

  if (sql == NULL)
    return NULL;
  stmt = weft_store_prepare (self, sql, error);
  if (stmt == NULL)
    g_prefix_error (error, "%s: ", file);
  return stmt;
}

static void
store_close (WeftStore *self)
{
  if (self->db != NULL)
    sqlite3_close_v2 (self->db);
  self->db = NULL;
}

void
weft_store_free (WeftStore *self)
{
  if (self == NULL)
    return;
  store_close (self);
  g_free (self->path);
  g_free (self);
}

sqlite3 *
weft_store_get_db (WeftStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->db;
}

const char *
weft_store_get_path (WeftStore *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->path;
}

static gboolean
pragma_int (WeftStore *self, const char *pragma, gint64 *out, GError **error)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", pragma);
  sqlite3_stmt    *stmt;
  int              rc;

  /* SQLite reads the file lazily: this is where a file that is not a
   * database is found out (SQLITE_NOTADB). */
  if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
    rc = sqlite3_errcode (self->db);
  else
    {
      rc = sqlite3_step (stmt);
      if (rc == SQLITE_ROW)
        *out = sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
    }
  if (rc == SQLITE_ROW)
    return TRUE;
  if (rc == SQLITE_NOTADB || rc == SQLITE_CORRUPT)
    g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_NOT_WEFT,
                 "%s is not a Weft trace database (not an SQLite database)", self->path);
  else
    g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE, "%s: %s", self->path,
                 sqlite3_errmsg (self->db));
  return FALSE;
}

/* Applies migrations/NNN.sql for every version after @from. */
static gboolean
migrate (WeftStore *self, gint64 from, GError **error)
{
  if (!weft_store_exec (self, "BEGIN IMMEDIATE", error))
    return FALSE;
  for (gint64 v = from + 1; v <= WEFT_SCHEMA_VERSION; v++)
    {
      g_autofree char *name = g_strdup_printf ("migrations/%03" G_GINT64_FORMAT ".sql", v);
      g_autoptr (GError) local = NULL;
      g_autofree char *sql = weft_schema_load (name, &local);

      if (sql == NULL || !weft_store_exec (self, sql, &local))
        {
          weft_store_exec (self, "ROLLBACK", NULL);
          g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_MIGRATION,
                       "%s: cannot upgrade schema version %" G_GINT64_FORMAT " to %d: %s", self->path, v - 1,
                       WEFT_SCHEMA_VERSION, local->message);
          return FALSE;
        }
    }
  return weft_store_exec (self, "COMMIT", error);
}

/* A read-only open of a file of an older version: the tables the
 * migrations after @from add, as empty TEMP tables (migrations only add
 * tables, migrations/README.md), so that this Weft's queries read it. */
static gboolean
shadow_tables (WeftStore *self, gint64 from, GError **error)
{
  for (gint64 v = from + 1; v <= WEFT_SCHEMA_VERSION; v++)
    {
      g_autofree char *name = g_strdup_printf ("migrations/%03" G_GINT64_FORMAT ".sql", v);
      g_autofree char *sql = weft_schema_load (name, error);
      g_auto (GStrv) lines = NULL;
      g_autoptr (GString) temp = g_string_new (NULL);

      if (sql == NULL)
        return FALSE;
      lines = g_strsplit (sql, "\n", -1);
      for (guint i = 0; lines[i] != NULL; i++)
        {
          if (g_str_has_prefix (lines[i], "PRAGMA "))
            continue;
          if (g_str_has_prefix (lines[i], "CREATE TABLE "))
            g_string_append_printf (temp, "CREATE TEMP TABLE %s\n", lines[i] + strlen ("CREATE TABLE "));
          else
            g_string_append_printf (temp, "%s\n", lines[i]);
        }
      if (!weft_store_exec (self, temp->str, error))
        return FALSE;
    }
  return TRUE;
}

/* A file keeps the views of the Weft that wrote it (for other SQLite
 * tools). This Weft's views are created again as TEMP views, which name
 * lookups find first, so that its queries read any file of this schema
 * version with the analyses they were written for. */
static gboolean
shadow_views (WeftStore *self, GError **error)
{
  g_autofree char *sql = weft_schema_load ("weft-views.sql", error);
  g_auto (GStrv) parts = NULL;
  g_autofree char *temp = NULL;

  if (sql == NULL)
    return FALSE;
  parts = g_strsplit (sql, "CREATE VIEW IF NOT EXISTS ", -1);
  temp = g_strjoinv ("CREATE TEMP VIEW IF NOT EXISTS ", parts);
  return weft_store_exec (self, temp, error);
}

/* gstate, pstate and mstate of schema version 3 (weft-lanes.h): on every
 * connection, before any statement reads them. */
static gboolean
register_lanes (WeftStore *self, GError **error)
{
  return weft_lanes_register (self->db) == SQLITE_OK
         || weft_store_set_sqlite_error (error, self->db, "registering the lane tables");
}

WeftStore *
weft_store_open (const char *path, WeftStoreOpenFlags flags, GError **error)
{
  g_autoptr (WeftStore) self = NULL;
  gint64 app_id = 0, version = 0;
  int    oflags;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* sqlite3_open_v2 would happily open (or, writable, create) anything. */
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    {
      gboolean exists = g_file_test (path, G_FILE_TEST_EXISTS);

      g_set_error (error, G_IO_ERROR, exists ? G_IO_ERROR_IS_DIRECTORY : G_IO_ERROR_NOT_FOUND, "%s: %s", path,
                   exists ? "not a regular file" : "no such file");
      return NULL;
    }
  self = g_new0 (WeftStore, 1);
  self->path = g_strdup (path);
  oflags = (flags & WEFT_STORE_OPEN_READ_WRITE) ? SQLITE_OPEN_READWRITE : SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX;
  if (sqlite3_open_v2 (path, &self->db, oflags, NULL) != SQLITE_OK)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE, "cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 0);
  if (!register_lanes (self, error))
    return NULL;
  if (!pragma_int (self, "application_id", &app_id, error) || !pragma_int (self, "user_version", &version, error))
    return NULL;
  if (app_id != WEFT_APPLICATION_ID || version < 1)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_NOT_WEFT,
                   "%s is not a Weft trace database (an SQLite database of another application)", path);
      return NULL;
    }
  if (version > WEFT_SCHEMA_VERSION)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_TOO_NEW,
                   "%s was written by a newer Weft (schema version %" G_GINT64_FORMAT
                   "; this Weft reads versions up to %d): upgrade Weft to read it",
                   path, version, WEFT_SCHEMA_VERSION);
      return NULL;
    }
  if (version < WEFT_SCHEMA_VERSION
      && !((flags & WEFT_STORE_OPEN_READ_WRITE) ? migrate (self, version, error) : shadow_tables (self, version, error)))
    return NULL;
  if (!shadow_views (self, error))
    return NULL;
  return g_steal_pointer (&self);
}

/* The indexes a bulk load keeps up to date as it inserts: those of
 * weft-indexes.sql above its "AFTER BULK LOAD" line (the file says why).
 * weft_store_finish() runs the whole file, whose IF NOT EXISTS skips
 * them. */
static gboolean
create_load_indexes (WeftStore *self, GError **error)
{
  g_autofree char *sql = weft_schema_load ("weft-indexes.sql", error);
  char            *after;

  if (sql == NULL)
    return FALSE;
  if ((after = strstr (sql, "\n-- AFTER BULK LOAD\n")) == NULL)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE,
                   "weft-indexes.sql: no \"-- AFTER BULK LOAD\" line");
      return FALSE;
    }
  *after = '\0';
  if (!weft_store_exec (self, sql, error))
    {
      g_prefix_error (error, "weft-indexes.sql: ");
      return FALSE;
    }
  return TRUE;
}

WeftStore *
weft_store_create (const char *path, WeftStoreCreateFlags flags, GError **error)
{
  g_autoptr (WeftStore) self = NULL;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (g_file_test (path, G_FILE_TEST_EXISTS))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_EXISTS, "%s already exists", path);
      return NULL;
    }
  self = g_new0 (WeftStore, 1);
  self->path = g_strdup (path);
  self->bulk = (flags & WEFT_STORE_CREATE_BULK) != 0;
  /* A bulk load uses its store from one thread at a time (the writer
   * thread, then the caller): SQLite's connection mutex, locked for every
   * bind and step, would cost a sixth of the load's CPU time. */
  if (sqlite3_open_v2 (path, &self->db,
                       SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | (self->bulk ? SQLITE_OPEN_NOMUTEX : 0), NULL)
      != SQLITE_OK)
    {
      g_set_error (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_SQLITE, "cannot create %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : "out of memory");
      return NULL;
    }
  if (!register_lanes (self, error))
    return NULL;
  if (self->bulk)
    {
      /* The file is written once, under a temporary name: crash safety
       * buys nothing, and the journal would double the I/O. */
      if (!weft_store_exec (self,
                            "PRAGMA page_size = 65536; "
                            "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; "
                            "PRAGMA locking_mode = EXCLUSIVE; PRAGMA temp_store = MEMORY; "
                            "PRAGMA cache_size = -262144",
                            error))
        return NULL;
    }
  if (!weft_store_exec (self, "BEGIN", error) || !weft_store_exec_resource (self, "weft-schema.sql", error))
    return NULL;
  if (self->bulk && !create_load_indexes (self, error))
    return NULL;
  if (!self->bulk
      && (!weft_store_exec_resource (self, "weft-indexes.sql", error)
          || !weft_store_exec_resource (self, "weft-views.sql", error) || !weft_store_exec (self, "COMMIT", error)))
    return NULL;
  return g_steal_pointer (&self);
}

/* Ends a bulk load: builds the other indexes and the views, commits. */
gboolean
weft_store_finish (WeftStore *self, GError **error)
{
  g_return_val_if_fail (self != NULL, FALSE);

  if (!self->bulk)
    return TRUE;
  self->bulk = FALSE;
  /* The writer thread is done: let SQLite's sorter use a helper thread
   * to build the indexes (a no-op where SQLite was built without them).
   * Memory stays bounded whatever the trace's size: each of the sorter's
   * tasks holds at most cache_size bytes before it spills to a temporary
   * file (temp_store = MEMORY would keep the spills in memory too: 980 MB
   * of anonymous memory for 10M events, growing with the trace). */
  return weft_store_exec (self, "PRAGMA threads = 2; PRAGMA temp_store = FILE; PRAGMA cache_size = -65536", error)
         && weft_store_exec_resource (self, "weft-indexes.sql", error)
         && weft_store_exec_resource (self, "weft-views.sql", error) && weft_store_exec (self, "COMMIT", error)
         && weft_store_exec (self, "PRAGMA optimize", error);
}

gboolean
weft_store_set_meta_int (WeftStore *self, const char *key, gint64 value, GError **error)
{
  sqlite3_stmt *stmt = weft_store_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, value);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || weft_store_set_sqlite_error (error, self->db, "writing meta");
}

gboolean
weft_store_set_meta_text (WeftStore *self, const char *key, const char *value, GError **error)
{
  sqlite3_stmt *stmt = weft_store_prepare (self, "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", error);
  int           rc;

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  sqlite3_finalize (stmt);
  return rc == SQLITE_DONE || weft_store_set_sqlite_error (error, self->db, "writing meta");
}

/* Returns the value of meta @key as text, NULL if absent. */
char *
weft_store_get_meta (WeftStore *self, const char *key)
{
  sqlite3_stmt *stmt = weft_store_prepare (self, "SELECT value FROM meta WHERE key = ?", NULL);
  char         *value = NULL;

  if (stmt == NULL)
    return NULL;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

gint64
weft_store_get_meta_int (WeftStore *self, const char *key, gint64 fallback)
{
  g_autofree char *text = weft_store_get_meta (self, key);
  char            *end = NULL;
  gint64           v;

  if (text == NULL)
    return fallback;
  v = g_ascii_strtoll (text, &end, 10);
  return end != text ? v : fallback;
}
