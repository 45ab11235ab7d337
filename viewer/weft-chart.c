/* weft-chart.c — see weft-chart.h.
 *
 * The rows are few (a histogram's buckets, the MMU's window lengths), so
 * the chart keeps them and draws with cairo; the query runs through
 * weft-query.h like every other view. Labels are placed only where they
 * fit, never over each other.
 */
#include "weft-chart.h"

#include "weft-query.h"
#include "weft-report.h"

#include <glib/gi18n.h>
#include <math.h>

G_DEFINE_ENUM_TYPE (WeftChartStyle, weft_chart_style, G_DEFINE_ENUM_VALUE (WEFT_CHART_BARS, "bars"), G_DEFINE_ENUM_VALUE (WEFT_CHART_LINE, "line"))

struct _WeftChart
{
  GtkWidget      parent_instance;
  char          *query;
  WeftChartStyle style;
  GArray        *x, *y; /* of double */
  GCancellable  *cancellable;
  gboolean       loaded;
};

G_DEFINE_FINAL_TYPE (WeftChart, weft_chart, GTK_TYPE_WIDGET)

enum
{
  PROP_0,
  PROP_QUERY,
  PROP_STYLE,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

enum
{
  SIGNAL_LOADED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

/* Plot area margins, px: room for the y labels left, x labels below. */
enum
{
  MARGIN_LEFT = 56,
  MARGIN_RIGHT = 24,
  MARGIN_TOP = 10,
  MARGIN_BOTTOM = 26,
};

/* Adwaita's blue 3. */
static const GdkRGBA accent = { 0.208, 0.518, 0.894, 1 };

static void
load_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftQueryResult) r = weft_query_run_finish (result, &error);
  WeftChart *self;

  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = WEFT_CHART (data);
  g_clear_object (&self->cancellable);
  g_array_set_size (self->x, 0);
  g_array_set_size (self->y, 0);
  if (r == NULL)
    g_warning ("%s: %s", self->query, error->message);
  else if (r->n_columns >= 2)
    for (guint i = 0; i < r->rows->len; i++)
      {
        WeftQueryRow *row = g_ptr_array_index (r->rows, i);
        double        x = weft_query_row_get_value (row, 0), y = weft_query_row_get_value (row, r->n_columns - 1);

        if (isnan (x) || isnan (y))
          continue;
        g_array_append_val (self->x, x);
        g_array_append_val (self->y, y);
      }
  self->loaded = TRUE;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

void
weft_chart_load (WeftChart *self, const char *path)
{
  g_return_if_fail (WEFT_IS_CHART (self) && path != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loaded = FALSE;
  weft_query_run_async (path, self->query, NULL, self->cancellable, load_done, self);
}

guint
weft_chart_get_n_points (WeftChart *self)
{
  g_return_val_if_fail (WEFT_IS_CHART (self), 0);
  return self->x->len;
}

gboolean
weft_chart_get_point (WeftChart *self, guint i, double *x, double *y)
{
  g_return_val_if_fail (WEFT_IS_CHART (self), FALSE);

  if (i >= self->x->len)
    return FALSE;
  *x = g_array_index (self->x, double, i);
  *y = g_array_index (self->y, double, i);
  return TRUE;
}

/* ------------------------------------------------------------------ drawing */

/* Draws @text with its anchor (@ax, @ay in 0..1 of its extents) at (@x,
 * @y); returns its width. */
static double
draw_text (WeftChart *self, cairo_t *cr, const char *text, double x, double y, double ax, double ay)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, round (x - ax * w), round (y - ay * h));
  pango_cairo_show_layout (cr, layout);
  return w;
}

static double
text_width (WeftChart *self, const char *text)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  return w;
}

/* A horizontal grid line at @y with its label on the left. */
static void
draw_grid (WeftChart *self, cairo_t *cr, const GdkRGBA *fg, double x0, double x1, double y, const char *label)
{
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.15);
  cairo_rectangle (cr, x0, round (y), x1 - x0, 1);
  cairo_fill (cr);
  cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.7);
  draw_text (self, cr, label, x0 - 6, y, 1, 0.5);
}

static void
draw_bars (WeftChart *self, cairo_t *cr, const GdkRGBA *fg, double x0, double y0, double pw, double ph)
{
  guint  n = self->x->len;
  double max = 1, slot = pw / n, next_label = -1;

  for (guint i = 0; i < n; i++)
    max = MAX (max, g_array_index (self->y, double, i));
  for (int k = 0; k <= 2; k++)
    {
      g_autofree char *label = g_strdup_printf ("%.0f", max * k / 2);

      /* Only whole counts get a line. */
      if (k == 1 && fmod (max, 2) != 0)
        continue;
      draw_grid (self, cr, fg, x0, x0 + pw, y0 + ph - ph * k / 2, label);
    }
  for (guint i = 0; i < n; i++)
    {
      double           v = g_array_index (self->y, double, i);
      double           h = round (ph * v / max);
      double           bx = round (x0 + i * slot) + 1, bw = MAX (1, round (x0 + (i + 1) * slot) - bx - 1);
      g_autofree char *label = weft_format_duration ((gint64) g_array_index (self->x, double, i));

      gdk_cairo_set_source_rgba (cr, &accent);
      cairo_rectangle (cr, bx, y0 + ph - h, bw, h);
      cairo_fill (cr);
      /* Bucket lower bounds under the bars' left edges, where they fit. */
      if (bx >= next_label)
        {
          cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.7);
          next_label = bx + draw_text (self, cr, label, bx, y0 + ph + 4, 0, 0) + 8;
        }
    }
}

static double
line_x (WeftChart *self, guint i, double x0, double pw, double lo, double span)
{
  return x0 + pw * (log10 (MAX (1, g_array_index (self->x, double, i))) - lo) / span;
}

static void
draw_line (WeftChart *self, cairo_t *cr, const GdkRGBA *fg, double x0, double y0, double pw, double ph)
{
  guint  n = self->x->len;
  double lo = log10 (MAX (1, g_array_index (self->x, double, 0)));
  double hi = log10 (MAX (1, g_array_index (self->x, double, n - 1)));
  double span = hi > lo ? hi - lo : 1, next_label = -1;

  for (int k = 0; k <= 4; k++)
    {
      g_autofree char *label = g_strdup_printf ("%d %%", k * 25);
      draw_grid (self, cr, fg, x0, x0 + pw, y0 + ph - ph * k / 4, label);
    }
  gdk_cairo_set_source_rgba (cr, &accent);
  cairo_set_line_width (cr, 2);
  for (guint i = 0; i < n; i++)
    {
      double py = y0 + ph * (1 - CLAMP (g_array_index (self->y, double, i), 0, 1));

      if (i == 0)
        cairo_move_to (cr, line_x (self, i, x0, pw, lo, span), py);
      else
        cairo_line_to (cr, line_x (self, i, x0, pw, lo, span), py);
    }
  cairo_stroke (cr);
  for (guint i = 0; i < n; i++)
    {
      double           px = line_x (self, i, x0, pw, lo, span);
      double           py = y0 + ph * (1 - CLAMP (g_array_index (self->y, double, i), 0, 1));
      g_autofree char *label = weft_format_duration ((gint64) g_array_index (self->x, double, i));
      double           w = text_width (self, label);

      gdk_cairo_set_source_rgba (cr, &accent);
      cairo_arc (cr, px, py, 3.5, 0, 2 * G_PI);
      cairo_fill (cr);
      /* Window lengths under their points, where they fit. */
      if (px - w / 2 >= next_label && px + w / 2 <= x0 + pw + MARGIN_RIGHT)
        {
          cairo_set_source_rgba (cr, fg->red, fg->green, fg->blue, fg->alpha * 0.7);
          draw_text (self, cr, label, px, y0 + ph + 4, 0.5, 0);
          next_label = px + w / 2 + 8;
        }
    }
}

static void
weft_chart_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  WeftChart *self = WEFT_CHART (widget);
  int        width = gtk_widget_get_width (widget), height = gtk_widget_get_height (widget);
  double     pw = width - MARGIN_LEFT - MARGIN_RIGHT, ph = height - MARGIN_TOP - MARGIN_BOTTOM;
  GdkRGBA    fg;
  cairo_t   *cr;

  if (pw < 20 || ph < 20)
    return;
  gtk_style_context_get_color (gtk_widget_get_style_context (widget), &fg);
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->x->len == 0)
    {
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, fg.alpha * 0.55);
      draw_text (self, cr, self->loaded ? _ ("Nothing to show in this trace") : _ ("Loading…"), width / 2.0,
                 height / 2.0, 0.5, 0.5);
    }
  else if (self->style == WEFT_CHART_BARS)
    draw_bars (self, cr, &fg, MARGIN_LEFT, MARGIN_TOP, pw, ph);
  else
    draw_line (self, cr, &fg, MARGIN_LEFT, MARGIN_TOP, pw, ph);
  cairo_destroy (cr);
}

static void
weft_chart_measure (GtkWidget     *widget,
                    GtkOrientation orientation,
                    int            for_size,
                    int           *minimum,
                    int           *natural,
                    int           *minimum_baseline,
                    int           *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 200 : 120;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 480 : 180;
}

static void
weft_chart_dispose (GObject *object)
{
  WeftChart *self = WEFT_CHART (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (weft_chart_parent_class)->dispose (object);
}

static void
weft_chart_finalize (GObject *object)
{
  WeftChart *self = WEFT_CHART (object);

  g_free (self->query);
  g_array_unref (self->x);
  g_array_unref (self->y);
  G_OBJECT_CLASS (weft_chart_parent_class)->finalize (object);
}

static void
weft_chart_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  WeftChart *self = WEFT_CHART (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_free (self->query);
      self->query = g_value_dup_string (value);
      break;
    case PROP_STYLE:
      self->style = g_value_get_enum (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_chart_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  WeftChart *self = WEFT_CHART (object);

  switch (prop_id)
    {
    case PROP_QUERY:
      g_value_set_string (value, self->query);
      break;
    case PROP_STYLE:
      g_value_set_enum (value, self->style);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_chart_class_init (WeftChartClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_chart_dispose;
  object_class->finalize = weft_chart_finalize;
  object_class->set_property = weft_chart_set_property;
  object_class->get_property = weft_chart_get_property;
  widget_class->snapshot = weft_chart_snapshot;
  widget_class->measure = weft_chart_measure;
  /* The name of a file of schema/queries/, without ".sql". */
  properties[PROP_QUERY] = g_param_spec_string ("query", NULL, NULL, NULL,
                                                G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  properties[PROP_STYLE] = g_param_spec_enum ("style", NULL, NULL, WEFT_TYPE_CHART_STYLE, WEFT_CHART_BARS,
                                              G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  /* A load finished and the chart shows its points. */
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_css_name (widget_class, "chart");
}

static void
weft_chart_init (WeftChart *self)
{
  self->x = g_array_new (FALSE, FALSE, sizeof (double));
  self->y = g_array_new (FALSE, FALSE, sizeof (double));
}

GtkWidget *
weft_chart_new (const char *query, WeftChartStyle style)
{
  return g_object_new (WEFT_TYPE_CHART, "query", query, "style", style, NULL);
}
