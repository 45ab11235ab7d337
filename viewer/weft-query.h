/* weft-query.h — one of the shared schema/queries/ run on a worker
 * thread, and its rows as list items.
 *
 * Every view of the viewer reads the database through here: a query opens
 * its own read-only connection in a GTask thread, binds the parameters it
 * names, and can be cancelled in the middle of a long statement (SQLite's
 * progress handler watches the GCancellable), so a view that moves on
 * never waits for the query it replaced.
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define WEFT_TYPE_QUERY_ROW (weft_query_row_get_type ())
G_DECLARE_FINAL_TYPE (WeftQueryRow, weft_query_row, WEFT, QUERY_ROW, GObject)

typedef struct
{
  char     **columns; /* column names, NULL-terminated */
  guint      n_columns;
  GPtrArray *rows; /* of WeftQueryRow */
} WeftQueryResult;

/* @params: ":name" -> gint64 * (copied; NULL for none). The reports'
 * own parameters default to everything: :limit -1, :min_blocked_ns 0. */
void             weft_query_run_async (const char         *path,
                                       const char         *query,
                                       GHashTable         *params,
                                       GCancellable       *cancellable,
                                       GAsyncReadyCallback callback,
                                       gpointer            user_data);
WeftQueryResult *weft_query_run_finish (GAsyncResult *result,
                                        GError      **error);
/* The same, on the calling thread (for workers that run several). */
WeftQueryResult *weft_query_run (const char   *path,
                                 const char   *query,
                                 GHashTable   *params,
                                 GCancellable *cancellable,
                                 GError      **error);
void             weft_query_result_free (WeftQueryResult *result);
/* The index of column @name, -1 if there is none. */
int weft_query_result_column (const WeftQueryResult *result,
                              const char            *name);
/* Of a result of (item, value) rows: the value of @item's row, raw. */
const char *weft_query_result_item (const WeftQueryResult *result,
                                    const char            *item);

/* A new parameter table for weft_query_run*(). */
GHashTable *weft_query_params_new (void);
void        weft_query_params_set (GHashTable *params,
                                   const char *name,
                                   gint64      value);

/* A cell as the reports show it (durations and sizes with units, "-" for
 * NULL), its raw text ("" for NULL) and its number (NAN for text and
 * NULL). */
const char *weft_query_row_get_text (WeftQueryRow *self,
                                     guint         column);
const char *weft_query_row_get_raw (WeftQueryRow *self,
                                    guint         column);
double      weft_query_row_get_value (WeftQueryRow *self,
                                      guint         column);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftQueryResult, weft_query_result_free)

G_END_DECLS
