/* weft-timeline.h — the timeline of a trace: STW, GC, counters and one
 * lane per P, drawn from the database at any zoom.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WEFT_TYPE_TIMELINE (weft_timeline_get_type ())
G_DECLARE_FINAL_TYPE (WeftTimeline, weft_timeline, WEFT, TIMELINE, GtkWidget)

GtkWidget *weft_timeline_new (void);
/* Opens its own read-only connections to @path (a checked .weft file). */
gboolean weft_timeline_load (WeftTimeline *self, const char *path, GError **error);
void     weft_timeline_zoom_to (WeftTimeline *self, gint64 start_ns, gint64 end_ns);
void     weft_timeline_zoom_fit (WeftTimeline *self);
/* Adds a lane per goroutine matching @query (an id, part of a start
 * function or name, or a state at the end: "blocked"), at most
 * WEFT_TIMELINE_MAX_GOROUTINE_LANES, grouped by start function, each
 * showing running (by start function), runnable, blocked (by reason) and
 * syscall; NULL or "" removes them. Lanes are named "G<goid>". */
#define WEFT_TIMELINE_MAX_GOROUTINE_LANES 200
void  weft_timeline_set_filter (WeftTimeline *self, const char *query);
guint weft_timeline_get_n_goroutine_lanes (WeftTimeline *self);
/* Zooms by @factor (> 1: in) around the middle; pans by @fraction of the view. */
void weft_timeline_zoom (WeftTimeline *self, double factor);
void weft_timeline_pan (WeftTimeline *self, double fraction);
void weft_timeline_get_range (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns);
/* The current view drawn at @width x @height, its data read synchronously
 * (for tests and export). */
GdkTexture *weft_timeline_render_texture (WeftTimeline *self, int width, int height);
/* Vertical position and height of a lane ("STW", "GC", "Heap",
 * "Goroutines", "P0"...) in a rendering; FALSE if there is no such lane. */
gboolean weft_timeline_lane_geometry (WeftTimeline *self, const char *lane, int *y, int *height);
/* The width of the lane labels on the left. */
int weft_timeline_label_width (void);

/* Time ↔ pixel mapping of a view [@start_ns, @end_ns) over @width pixels. */
double weft_time_to_x (gint64 t, gint64 start_ns, gint64 end_ns, int width);
gint64 weft_x_to_time (double x, gint64 start_ns, gint64 end_ns, int width);
/* The tick step (1, 2 or 5 × 10^k ns) that puts ticks at least @min_px apart. */
gint64 weft_tick_step (gint64 span_ns, int width, int min_px);

G_END_DECLS
