/* weft-query-view.c — see weft-query-view.h.
 *
 * The query's columns become the view's: cells show what the reports show
 * (durations and sizes with units) and sort by their raw values; columns
 * and the schema's own names (states, GC phases, pause reasons) are shown
 * translated (weft-columns.h).
 */
#include "weft-query-view.h"

#include "weft-columns.h"

#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

struct _WeftQueryView
{
  GtkWidget           parent_instance;
  char               *query;
  GHashTable         *params;
  GtkWidget          *box;
  GtkWidget          *column_view;
  GtkWidget          *status;
  GListStore         *store;
  GtkSortListModel   *sorted;
  GtkSingleSelection *selection;
  WeftQueryResult    *result; /* the columns shown; its rows moved to store */
  GCancellable       *cancellable;
};

G_DEFINE_FINAL_TYPE (WeftQueryView, weft_query_view, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_QUERY,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LOADED,
  SIGNAL_ROW_ACTIVATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* Columns whose text cells hold names the schema defines. */
static gboolean
is_value_column (const char *column)
{
  static const char *const names[] = { "kind", "reason", "trigger", "category", "item", "state" };

  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    if (strcmp (names[i], column) == 0)
      return TRUE;
  return FALSE;
}

static int
compare_rows (gconstpointer a, gconstpointer b, gpointer data)
{
  WeftQueryRow *x = (WeftQueryRow *) a, *y = (WeftQueryRow *) b;
  guint         c = GPOINTER_TO_UINT (data);
  double        u = weft_query_row_get_value (x, c), v = weft_query_row_get_value (y, c);

  if (!isnan (u) && !isnan (v))
    return u < v ? -1 : u > v;
  if (isnan (u) != isnan (v))
    return isnan (u) ? 1 : -1; /* NULLs and text after numbers */
  return g_utf8_collate (weft_query_row_get_raw (x, c), weft_query_row_get_raw (y, c));
}

static void
setup_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  GtkWidget *label = gtk_label_new (NULL);

  gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_MIDDLE);
  gtk_label_set_max_width_chars (GTK_LABEL (label), 60);
  gtk_list_item_set_child (item, label);
}

static void
bind_cell (GtkSignalListItemFactory *factory, GtkListItem *item, gpointer data)
{
  WeftQueryRow *row = gtk_list_item_get_item (item);
  GtkLabel     *label = GTK_LABEL (gtk_list_item_get_child (item));
  guint         c = GPOINTER_TO_UINT (data) & 0xffff;
  gboolean      translate = GPOINTER_TO_UINT (data) >> 16;
  const char   *text = weft_query_row_get_text (row, c);
  gboolean      number = !isnan (weft_query_row_get_value (row, c));

  if (translate && !number)
    text = weft_value_name (text);
  gtk_label_set_text (label, text);
  gtk_widget_set_tooltip_text (GTK_WIDGET (label), text);
  /* An ellipsized label asks only for its ellipsis, and a column gets
   * little more than its cells ask: a creation or blocking site must stay
   * readable ("handle (leaky-pipeline.c:89)"), so text asks for up to 28
   * characters; the rest shows in the tooltip. */
  gtk_label_set_width_chars (label, number ? -1 : (int) MIN (g_utf8_strlen (text, -1), 28));
  /* Numbers right-aligned, as in a spreadsheet, so magnitudes compare. */
  gtk_label_set_xalign (label, number ? 1 : 0);
}

static void
set_columns (WeftQueryView *self, const WeftQueryResult *r)
{
  GtkColumnView *view = GTK_COLUMN_VIEW (self->column_view);
  GListModel    *columns = gtk_column_view_get_columns (view);

  while (g_list_model_get_n_items (columns) > 0)
    {
      g_autoptr (GtkColumnViewColumn) column = g_list_model_get_item (columns, 0);
      gtk_column_view_remove_column (view, column);
    }
  for (guint c = 0; c < r->n_columns; c++)
    {
      GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();
      g_autofree char    *title = weft_column_title (r->columns[c]);
      gpointer            data = GUINT_TO_POINTER (c | (guint) is_value_column (r->columns[c]) << 16);
      g_autoptr (GtkColumnViewColumn) column = NULL;

      g_signal_connect (factory, "setup", G_CALLBACK (setup_cell), NULL);
      g_signal_connect (factory, "bind", G_CALLBACK (bind_cell), data);
      column = gtk_column_view_column_new (title, factory);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_sorter (
          column, GTK_SORTER (gtk_custom_sorter_new (compare_rows, GUINT_TO_POINTER (c), NULL)));
      gtk_column_view_append_column (view, column);
    }
}

static void
query_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftQueryResult) r = weft_query_run_finish (result, &error);
  WeftQueryView *self;

  /* Cancelled: the view moved on, or is gone; touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = WEFT_QUERY_VIEW (data);
  g_clear_object (&self->cancellable);
  if (r == NULL)
    {
      gtk_label_set_text (GTK_LABEL (self->status), error->message);
      gtk_widget_set_visible (self->status, TRUE);
      g_signal_emit (self, signals[SIGNAL_LOADED], 0);
      return;
    }
  if (self->result == NULL
      || !g_strv_equal ((const char *const *) self->result->columns, (const char *const *) r->columns))
    set_columns (self, r);
  g_list_store_splice (self->store, 0, g_list_model_get_n_items (G_LIST_MODEL (self->store)), r->rows->pdata,
                       r->rows->len);
  gtk_label_set_text (GTK_LABEL (self->status), _ ("Nothing to show in this trace"));
  gtk_widget_set_visible (self->status, r->rows->len == 0);
  g_ptr_array_set_size (r->rows, 0);
  weft_query_result_free (self->result);
  self->result = g_steal_pointer (&r);
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

void
weft_query_view_load (WeftQueryView *self, const char *path)
{
  g_return_if_fail (WEFT_IS_QUERY_VIEW (self) && path != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  weft_query_run_async (path, self->query, self->params, self->cancellable, query_done, self);
}

gboolean
weft_query_view_is_loading (WeftQueryView *self)
{
  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self), FALSE);
  return self->cancellable != NULL;
}

void
weft_query_view_set_param (WeftQueryView *self, const char *name, gint64 value)
{
  g_return_if_fail (WEFT_IS_QUERY_VIEW (self) && name != NULL);
  weft_query_params_set (self->params, name, value);
}

guint
weft_query_view_get_n_rows (WeftQueryView *self)
{
  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self), 0);
  return g_list_model_get_n_items (G_LIST_MODEL (self->sorted));
}

const char *
weft_query_view_get_value (WeftQueryView *self, guint row, const char *column)
{
  g_autoptr (WeftQueryRow) r = NULL;
  int c;

  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self) && column != NULL, NULL);

  if (self->result == NULL || (c = weft_query_result_column (self->result, column)) < 0)
    return NULL;
  if ((r = g_list_model_get_item (G_LIST_MODEL (self->sorted), row)) == NULL)
    return NULL;
  /* The store keeps the row alive after this unref. */
  return weft_query_row_get_raw (r, (guint) c);
}

guint
weft_query_view_get_selected (WeftQueryView *self)
{
  g_return_val_if_fail (WEFT_IS_QUERY_VIEW (self), GTK_INVALID_LIST_POSITION);
  return gtk_single_selection_get_selected (self->selection);
}

void
weft_query_view_activate_row (WeftQueryView *self, guint row)
{
  g_return_if_fail (WEFT_IS_QUERY_VIEW (self));
  g_return_if_fail (row < weft_query_view_get_n_rows (self));
  g_signal_emit (self, signals[SIGNAL_ROW_ACTIVATED], 0, row);
}

static void
on_activate (GtkColumnView *view, guint position, WeftQueryView *self)
{
  weft_query_view_activate_row (self, position);
}

static void
weft_query_view_dispose (GObject *object)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->box, gtk_widget_unparent);
  g_clear_object (&self->selection);
  g_clear_object (&self->sorted);
  g_clear_object (&self->store);
  g_clear_pointer (&self->result, weft_query_result_free);
  G_OBJECT_CLASS (weft_query_view_parent_class)->dispose (object);
}

static void
weft_query_view_finalize (GObject *object)
{
  WeftQueryView *self = WEFT_QUERY_VIEW (object);

  g_free (self->query);
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
  /* A load finished: its rows, or its error, are shown. */
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 0);
  /* Row @position (in the view's order) was double-clicked or entered. */
  signals[SIGNAL_ROW_ACTIVATED] = g_signal_new ("row-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_UINT);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
weft_query_view_init (WeftQueryView *self)
{
  GtkWidget *scrolled = gtk_scrolled_window_new ();

  self->params = weft_query_params_new ();
  self->store = g_list_store_new (WEFT_TYPE_QUERY_ROW);
  self->column_view = gtk_column_view_new (NULL);
  self->sorted = gtk_sort_list_model_new (G_LIST_MODEL (g_object_ref (self->store)),
                                          g_object_ref (gtk_column_view_get_sorter (GTK_COLUMN_VIEW (self->column_view))));
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sorted)));
  /* Nothing is selected until the user picks a row. */
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (GTK_COLUMN_VIEW (self->column_view), g_object_ref (GTK_SELECTION_MODEL (self->selection)));
  gtk_column_view_set_show_column_separators (GTK_COLUMN_VIEW (self->column_view), TRUE);
  g_signal_connect (self->column_view, "activate", G_CALLBACK (on_activate), self);
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
