/* weft-chart.h — a small chart of one of schema/queries/: its first
 * column on x, its last on y, drawn as bars (a histogram) or as a line on
 * a logarithmic x axis (a curve such as the MMU).
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

typedef enum
{
  WEFT_CHART_BARS, /* one bar per row, labelled with column 0 as a duration */
  WEFT_CHART_LINE, /* x = column 0 (ns, log scale), y = last column in [0, 1] */
} WeftChartStyle;

#define WEFT_TYPE_CHART_STYLE (weft_chart_style_get_type ())
GType weft_chart_style_get_type (void);

#define WEFT_TYPE_CHART (weft_chart_get_type ())
G_DECLARE_FINAL_TYPE (WeftChart, weft_chart, WEFT, CHART, GtkWidget)

GtkWidget *weft_chart_new (const char    *query,
                           WeftChartStyle style);
/* Runs the query on @path in a thread, then redraws ("loaded"). */
void weft_chart_load (WeftChart  *self,
                      const char *path);
/* Points drawn (after the query finished) and point @i's coordinates. */
guint    weft_chart_get_n_points (WeftChart *self);
gboolean weft_chart_get_point (WeftChart *self,
                               guint      i,
                               double    *x,
                               double    *y);

G_END_DECLS
