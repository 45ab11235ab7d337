/* weft-query-view.h — a sortable table of one of schema/queries/, run
 * off the main thread.
 */
#pragma once

#include "weft-query.h"

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WEFT_TYPE_QUERY_VIEW (weft_query_view_get_type ())
G_DECLARE_FINAL_TYPE (WeftQueryView, weft_query_view, WEFT, QUERY_VIEW, GtkWidget)

/* @query names schema/queries/@query.sql. */
GtkWidget *weft_query_view_new (const char *query);
/* Binds the query's parameter @name (":goid") from the next load on. */
void weft_query_view_set_param (WeftQueryView *self,
                                const char    *name,
                                gint64         value);
/* Runs the query on @path (a checked .weft file) in a thread; a load
 * still running is cancelled. "loaded" is emitted when it is shown. */
void weft_query_view_load (WeftQueryView *self,
                           const char    *path);
/* TRUE while a load runs. */
gboolean weft_query_view_is_loading (WeftQueryView *self);
/* Rows shown (after the query finished), in the view's order, and a
 * cell's raw text by column name: NULL if there is no such row or
 * column. */
guint       weft_query_view_get_n_rows (WeftQueryView *self);
const char *weft_query_view_get_value (WeftQueryView *self,
                                       guint          row,
                                       const char    *column);
/* The selected row, GTK_INVALID_LIST_POSITION if none. */
guint weft_query_view_get_selected (WeftQueryView *self);
/* Activates row @row as a double click or Enter would
 * ("row-activated"). */
void weft_query_view_activate_row (WeftQueryView *self,
                                   guint          row);

G_END_DECLS
