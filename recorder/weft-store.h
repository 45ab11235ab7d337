/* weft-store.h — opening and creating .weft trace databases.
 *
 * A WeftStore is one SQLite connection to a .weft file whose schema
 * version has been checked. The schema and the analysis queries are SQL
 * files in the weft-schema GResource (schema/), never C strings.
 */
#pragma once

#include <gio/gio.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* The schema version this Weft writes and the newest it reads. */
#define WEFT_SCHEMA_VERSION 3
/* PRAGMA application_id of every .weft file: "Weft" in ASCII. */
#define WEFT_APPLICATION_ID 0x57656674

#define WEFT_STORE_ERROR (weft_store_error_quark ())

typedef enum
{
  WEFT_STORE_ERROR_NOT_WEFT,  /* not an SQLite database, or not a Weft one */
  WEFT_STORE_ERROR_TOO_NEW,   /* written by a newer Weft */
  WEFT_STORE_ERROR_MIGRATION, /* an older schema that cannot be upgraded */
  WEFT_STORE_ERROR_SQLITE,    /* any other SQLite failure */
} WeftStoreError;

typedef enum
{
  /* Without a connection mutex: the store must not be used by two
   * threads at once (the viewer's readers are each one frame thread's
   * at a time; SQLite's mutex was ~10 % of a frame's CPU). */
  WEFT_STORE_OPEN_READ_ONLY = 0,
  /* Opens for writing; an older schema is migrated to the current one. */
  WEFT_STORE_OPEN_READ_WRITE = 1 << 0,
} WeftStoreOpenFlags;

typedef enum
{
  WEFT_STORE_CREATE_DEFAULT = 0,
  /* For a bulk load: no journal, no fsync, one transaction, views and
   * most indexes deferred until weft_store_finish(). The file is garbage
   * if the process dies before then, so write it under a temporary name.
   * The store must not be used by two threads at once. */
  WEFT_STORE_CREATE_BULK = 1 << 0,
} WeftStoreCreateFlags;

typedef struct _WeftStore WeftStore;

GQuark weft_store_error_quark (void);

WeftStore *weft_store_open (const char *path, WeftStoreOpenFlags flags, GError **error);
WeftStore *weft_store_create (const char *path, WeftStoreCreateFlags flags, GError **error);
gboolean   weft_store_finish (WeftStore *self, GError **error);
void       weft_store_free (WeftStore *self);

sqlite3    *weft_store_get_db (WeftStore *self);
const char *weft_store_get_path (WeftStore *self);

gboolean      weft_store_exec (WeftStore *self, const char *sql, GError **error);
gboolean      weft_store_exec_resource (WeftStore *self, const char *name, GError **error);
sqlite3_stmt *weft_store_prepare (WeftStore *self, const char *sql, GError **error);
sqlite3_stmt *weft_store_prepare_query (WeftStore *self, const char *name, GError **error);

gboolean weft_store_set_meta_int (WeftStore *self, const char *key, gint64 value, GError **error);
gboolean weft_store_set_meta_text (WeftStore *self, const char *key, const char *value, GError **error);
char    *weft_store_get_meta (WeftStore *self, const char *key);
gint64   weft_store_get_meta_int (WeftStore *self, const char *key, gint64 fallback);

char    *weft_schema_load (const char *name, GError **error);
gboolean weft_store_set_sqlite_error (GError **error, sqlite3 *db, const char *what);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftStore, weft_store_free)

G_END_DECLS
