/* weft-query-view.h — a sortable table of one of schema/queries/, run
 * off the main thread.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WEFT_TYPE_QUERY_VIEW (weft_query_view_get_type ())
G_DECLARE_FINAL_TYPE (WeftQueryView, weft_query_view, WEFT, QUERY_VIEW, GtkWidget)

/* @query names schema/queries/@query.sql. */
GtkWidget *weft_query_view_new (const char *query);
/* Binds the query's parameter @name (":goid") from the next load on. */
void weft_query_view_set_param (WeftQueryView *self, const char *name, gint64 value);
/* Runs the query on @path (a checked .weft file) in a thread. */
void weft_query_view_load (WeftQueryView *self, const char *path);
/* Rows shown (after the query finished), and a cell's raw text by column
 * name: NULL if there is no such row or column. */
guint       weft_query_view_get_n_rows (WeftQueryView *self);
const char *weft_query_view_get_value (WeftQueryView *self, guint row, const char *column);

G_END_DECLS
