/* weft-query-view.c — see weft-query-view.h.
 *
 * The query is one of the shared SQL files of schema/ (the same the `weft
 * report` commands print), so the viewer and the CLI cannot disagree. Its
 * columns become the view's: cells are formatted as the reports format
 * them (durations and sizes with units) and sort by their raw values.
 */
#include "weft-query-view.h"

#include "weft-report.h"
#include "weft-store.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

/* ------------------------------------------------------------------ rows */

#define WEFT_TYPE_QUERY_ROW (weft_query_row_get_type ())
G_DECLARE_FINAL_TYPE (WeftQueryRow, weft_query_row, WEFT, QUERY_ROW, GObject)

struct _WeftQueryRow
{
  GObject parent_instance;
  char  **shown; /* formatted cells */
  char  **raw;   /* raw text of the cells ("" for NULL) */
  double *value; /* numeric value, NAN for text and NULL */
};

G_DEFINE_FINAL_TYPE (WeftQueryRow, weft_query_row, G_TYPE_OBJECT)

static void
weft_query_row_finalize (GObject *object)
{
  WeftQueryRow *self = WEFT_QUERY_ROW (object);

  g_strfreev (self->shown);
  g_strfreev (self->raw);
  g_free (self->value);
  G_OBJECT_CLASS (weft_query_row_parent_class)->finalize (object);
}

static void
weft_query_row_class_init (WeftQueryRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = weft_query_row_finalize;
}

static void
weft_query_row_init (WeftQueryRow *self)
{
}

/* ------------------------------------------------------------------ the view */

typedef struct
{
  char     **columns;
  GPtrArray *rows; /* of WeftQueryRow */
} Result;

/* What a query thread needs. */
typedef struct
{
  char       *path, *query;
  GHashTable *params; /* ":name" -> gint64* */
} Job;

static void
job_free (Job *job)
{
  g_free (job->path);
  g_free (job->query);
  g_hash_table_unref (job->params);
  g_free (job);
}

struct _WeftQueryView
{
  GtkWidget     parent_instance;
  char         *query;
  GHashTable   *params;
  GtkWidget    *box;
  GtkWidget    *column_view;
  GtkWidget    *status;
  GListStore   *store;
  char        **columns;
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (WeftQueryView, weft_query_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_QUERY,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void
result_free (Result *r)
{
  g_strfreev (r->columns);
  g_ptr_array_unref (r->rows);
  g_free (r);
}

static void
query_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const Job *job = data;
  g_autoptr (WeftStore) store = NULL;
  GHashTableIter iter;
  gpointer       key, value;
  GError        *error = NULL;
  sqlite3_stmt  *stmt;
  Result        *r;
  int            n, i, rc;

  store = weft_store_open (job->path, WEFT_STORE_OPEN_READ_ONLY, &error);
  stmt = store != NULL ? weft_store_prepare_query (store, job->query, &error) : NULL;
  if (stmt == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  /* The reports' parameters: every row, every suspect. */
  if ((i = sqlite3_bind_parameter_index (stmt, ":limit")) > 0)
    sqlite3_bind_int64 (stmt, i, -1);
  if ((i = sqlite3_bind_parameter_index (stmt, ":min_blocked_ns")) > 0)
    sqlite3_bind_int64 (stmt, i, 0);
  g_hash_table_iter_init (&iter, job->params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if ((i = sqlite3_bind_parameter_index (stmt, key)) > 0)
      sqlite3_bind_int64 (stmt, i, *(gint64 *) value);
  n = sqlite3_column_count (stmt);
  r = g_new0 (Result, 1);
  r->columns = g_new0 (char *, n + 1);
  for (int c = 0; c < n; c++)
    r->columns[c] = g_strdup (sqlite3_column_name (stmt, c));
  r->rows = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW && !g_cancellable_is_cancelled (cancellable))
    {
      WeftQueryRow *row = g_object_new (WEFT_TYPE_QUERY_ROW, NULL);
      /* Queries of (item, value) rows: the item says how to show the value. */
      const char *item = strcmp (r->columns[0], "item") == 0 ? (const char *) sqlite3_column_text (stmt, 0) : NULL;

      row->shown = g_new0 (char *, n + 1);
      row->raw = g_new0 (char *, n + 1);
      row->value = g_new (double, n);
      for (int c = 0; c < n; c++)
        {
          int type = sqlite3_column_type (stmt, c);

          row->shown[c] = weft_report_cell_text (stmt, c, r->columns[c], item);
          row->raw[c] = g_strdup (type == SQLITE_NULL ? "" : (const char *) sqlite3_column_text (stmt, c));
          row->value[c] = type == SQLITE_INTEGER || type == SQLITE_FLOAT ? sqlite3_column_double (stmt, c) : NAN;
        }
      g_ptr_array_add (r->rows, row);
    }
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      weft_store_set_sqlite_error (&error, weft_store_get_db (store), job->query);
      sqlite3_finalize (stmt);
      result_free (r);
      g_task_return_error (task, error);
      return;
    }
  sqlite3_finalize (stmt);
  g_task_return_pointer (task, r, (GDestroyNotify) result_free);
}

static int
compare_rows (gconstpointer a, gconstpointer b, gpointer data)
{
  const WeftQueryRow *x = a, *y = b;
  int                 c = GPOINTER_TO_INT (data);

  if (!isnan (x->value[c]) && !isnan (y->value[c]))
    return x->value[c] < y->value[c] ? -1 : x->value[c] > y->value[c];
  if (isnan (x->value[c]) != isnan (y->value[c]))
    return isnan (x->value[c]) ? 1 : -1; /* NULLs last */
  return g_utf8_collate (x->raw[c], y->raw[c]);
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_label_set_selectable (GTK_LABEL (label), FALSE);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  WeftQueryRow *row = gtk_list_item_get_item (item);
  GtkLabel     *label = GTK_LABEL (gtk_list_item_get_child (item));
  int           c = GPOINTER_TO_INT (data);

  gtk_label_set_text (label, row->shown[c]);
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), row->shown[c]);
  gtk_label_set_xalign (label, isnan (row->value[c]) ? 0 : 1);
}

static void
query_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  Result        *r = g_task_propagate_pointer (G_TASK (result), &error);
  WeftQueryView *self;
  GtkColumnView *view;
  GListModel    *columns;

  if (r == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      self = WEFT_QUERY_VIEW (source);
      gtk_label_set_text (GTK_LABEL (self->status), error->message);
      gtk_widget_set_visible (self->status, TRUE);
      return;
    }
  self = WEFT_QUERY_VIEW (source);
  view = GTK_COLUMN_VIEW (self->column_view);
  columns = gtk_column_view_get_columns (view);
  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (view, column);
    }
  for (int c = 0; r->columns[c] != NULL; c++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autofree char    *title = weft_report_header_text (r->columns[c]);
      g_autoptr (GtkColumnViewColumn) column = NULL;

      g_strdelimit (title, "_", ' ');
      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), GINT_TO_POINTER (c));
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), GINT_TO_POINTER (c));
      column = gtk_column_view_column_new (title, factory);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_sorter (
          column, GTK_SORTER (gtk_custom_sorter_new (compare_rows, GINT_TO_POINTER (c), NULL)));
      gtk_column_view_append_column (view, column);
    }
  g_strfreev (self->columns);
  self->columns = g_strdupv (r->columns);
  g_list_store_remove_all (self->store);
  g_list_store_splice (self->store, 0, 0, r->rows->pdata, r->rows->len);
  gtk_label_set_text (GTK_LABEL (self->status), _ ("Nothing to show in this trace"));
  gtk_widget_set_visible (self->status, r->rows->len == 0);
  result_free (r);
}

void
weft_query_view_load (WeftQueryView *self, const char *path)
{
  g_autoptr (GTask) task = NULL;
  Job           *job;
  GHashTableIter iter;
  gpointer       key, value;

  g_return_if_fail (WEFT_IS_QUERY_VIEW (self) && path != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  job = g_new0 (Job, 1);
  job->path = g_strdup (path);
  job->query = g_strdup (self->query);
  job->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_hash_table_iter_init (&iter, self->params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    g_hash_table_insert (job->params, g_strdup (key), g_memdup2 (value, sizeof (gint64)));
  task = g_task_new (self, self->cancellable, query_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, query_thread);
}

void
weft_query_view_set_param (WeftQueryView *self, const char *name, gint64 value)
{
  g_return_if_fail (WEFT_IS_QUERY_VIEW (self) && name != NULL);
  g_hash_table_insert (self->params, g_strdup (name), g_memdup2 (&value, sizeof value));
}

guint
weft_query_view_get_n_rows (WeftQueryView *self)
{
  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->store));
}

const char *
weft_query_view_get_value (WeftQueryView *self, guint row, const char *column)
{
  g_autoptr (WeftQueryRow) r = NULL;

  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self), NULL);

  if (self->columns == NULL || (r = g_list_model_get_item (G_LIST_MODEL (self->store), row)) == NULL)
    return NULL;
  for (int c = 0; self->columns[c] != NULL; c++)
    if (strcmp (self->columns[c], column) == 0)
      return r->raw[c];
  return NULL;
}

static void
weft_query_view_dispose (GObject *object)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (weft_query_view_parent_class)->dispose (object);
}

static void
weft_query_view_finalize (GObject *object)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  g_free (self->query);
  g_strfreev (self->columns);
  g_hash_table_unref (self->params);
  G_OBJECT_CLASS (weft_query_view_parent_class)->finalize (object);
}

static void
weft_query_view_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_free (self->query);
      self->query = g_value_dup_string (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_query_view_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_query_view_class_init (WeftQueryViewClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_query_view_dispose;
  object_class->finalize = weft_query_view_finalize;
  object_class->set_property = weft_query_view_set_property;
  object_class->get_property = weft_query_view_get_property;
  /* The name of a file of schema/queries/, without ".sql". */
  properties[PROP_QUERY] = g_param_spec_string ("query", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
weft_query_view_init (WeftQueryView *self)
{
  GtkWidget        *scrolled = gtk_scrolled_window_new ();
  GtkSortListModel *sorted;

  self->params = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->store = g_list_store_new (WEFT_TYPE_QUERY_ROW);
  self->column_view = gtk_column_view_new (NULL);
  sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                    g_object_ref (gtk_column_view_get_sorter (GTK_COLUMN_VIEW (self->column_view))));
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view),
                             GTK_SELECTION_MODEL (gtk_single_selection_new (G_LIST_MODEL (sorted))));
  gtk_column_view_set_show_column_separators (GTK_COLUMN_VIEW (self->column_view), TRUE);
  gtk_widget_add_css_class (self->column_view, "data-table");
  gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), self->column_view);
  gtk_widget_set_vexpand (scrolled, TRUE);

  self->status = gtk_label_new (NULL);
  gtk_widget_add_css_class (self->status, "dim-label");
  gtk_widget_set_visible (self->status, FALSE);
  gtk_widget_set_margin_top (self->status, 12);
  gtk_widget_set_margin_bottom (self->status, 12);

  self->box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 0);
  gtk_box_append (GTK_BOX (self->box), self->status);
  gtk_box_append (GTK_BOX (self->box), scrolled);
  gtk_widget_set_parent (self->box, GTK_WIDGET (self));
}

GtkWidget *
weft_query_view_new (const char *query)
{
  return g_object_new (WEFT_TYPE_QUERY_VIEW, "query", query, NULL);
}
