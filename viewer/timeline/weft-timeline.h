/* weft-timeline.h — the timeline of a trace: a time axis, STW, GC, the
 * counters, one lane per P and per M, and per-goroutine lanes grouped by
 * start function, drawn from the database at any zoom.
 *
 * The widget is GtkScrollable (vertically): put it in a GtkScrolledWindow
 * and only the lanes in view are queried; the time axis stays on top.
 *
 * Properties: start-ns, end-ns (the visible range), selection-start-ns,
 * selection-end-ns (-1: no selection).
 * Signals:
 *   slice-activated (gint64 goid, gint64 start_ns, gint64 end_ns, int state)
 *     a slice of a P or goroutine lane was clicked (state: table state);
 *   range-selected (gint64 start_ns, gint64 end_ns)
 *     a range was selected (Shift+drag, or a drag on the time axis).
 * Keys: W/S zoom, A/D pan, Z zoom to the selection, F or 0 fit all,
 * Escape clears the selection; Ctrl+wheel and pinch zoom, drag pans.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WEFT_TYPE_TIMELINE (weft_timeline_get_type ())
G_DECLARE_FINAL_TYPE (WeftTimeline, weft_timeline, WEFT, TIMELINE, GtkWidget)

GtkWidget *weft_timeline_new (void);
/* Checks @path is a Weft database it can read (FALSE and @error if not),
 * then reads what its lanes need on a worker thread: the timeline is
 * empty until then (weft_timeline_is_busy). Frames and searches run on
 * worker threads too, cancelled when the view or the search moves on: the
 * main thread never waits for a scan of the database. */
gboolean weft_timeline_load (WeftTimeline *self, const char *path, GError **error);
void     weft_timeline_zoom_to (WeftTimeline *self, gint64 start_ns, gint64 end_ns);
void     weft_timeline_zoom_fit (WeftTimeline *self);
/* Scrolls to the goroutine's lane (expanding its group) and selects its
 * slice at @ts_ns, once they are looked up on a worker thread. */
void weft_timeline_reveal_goroutine (WeftTimeline *self, gint64 goid, gint64 ts_ns);
/* Shows only goroutine lanes matching @query (id, start function
 * substring, or state name; the first WEFT_TIMELINE_MAX_GOROUTINE_LANES),
 * their groups expanded, once the search (on a worker thread, cancelled
 * by the next call) ends; NULL or "": every group (one per start
 * function), collapsed until its header is clicked, at once. Lanes are
 * named "G<goid>", group headers "group <start_pc>". */
void weft_timeline_set_filter (WeftTimeline *self, const char *query);
/* TRUE while the lanes wait for a worker: loading the file, a search of
 * weft_timeline_set_filter (), expanding a group or a reveal. */
gboolean weft_timeline_is_busy (WeftTimeline *self);
/* Runs the default main context until none of those is left (for tests
 * and benchmarks that need the lanes at once). */
void weft_timeline_wait (WeftTimeline *self);
/* The threads a frame's lanes are read on at once, each with its own
 * connection (at most 4; 0: one per processor, the default). */
void weft_timeline_set_frame_threads (WeftTimeline *self, int n);
/* Renders the current view at @width x @height into a texture, its data
 * read synchronously (for tests and benchmarks). */
GdkTexture *weft_timeline_render_texture (WeftTimeline *self, int width, int height);
/* The same, its data read on worker threads ("export PNG": the main
 * thread only draws it). Fails with G_IO_ERROR_CANCELLED if the lanes
 * changed meanwhile. */
void        weft_timeline_render_texture_async (WeftTimeline       *self,
                                                int                 width,
                                                int                 height,
                                                GCancellable       *cancellable,
                                                GAsyncReadyCallback callback,
                                                gpointer            data);
GdkTexture *weft_timeline_render_texture_finish (WeftTimeline *self, GAsyncResult *result, GError **error);

/* Beyond the contract: zooms by @factor (> 1: in) around the middle; pans
 * by @fraction of the view; the visible range. */
void weft_timeline_zoom (WeftTimeline *self, double factor);
void weft_timeline_pan (WeftTimeline *self, double fraction);
void weft_timeline_get_range (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns);
/* The trace's span (meta start_ns, end_ns), known as soon as
 * weft_timeline_load () returns; either pointer may be NULL. */
void weft_timeline_get_trace (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns);
/* The selected range; FALSE if there is none. Setting one (clamped to the
 * trace; empty: none) shades it and emits "range-selected" (start, end). */
gboolean weft_timeline_get_selection (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns);
void     weft_timeline_set_selection (WeftTimeline *self, gint64 start_ns, gint64 end_ns);
/* Vertical position and height of a lane ("STW", "GC", "Heap",
 * "Goroutines", "P0", "M1", "G42"...) in a rendering; FALSE if there is no
 * such lane shown. */
gboolean weft_timeline_lane_geometry (WeftTimeline *self, const char *lane, int *y, int *height);
/* The goroutine lanes shown (group headers not counted); at most this
 * many per search or expanded group. */
#define WEFT_TIMELINE_MAX_GOROUTINE_LANES 200
guint weft_timeline_get_n_goroutine_lanes (WeftTimeline *self);
/* The width of the lane labels on the left. */
int weft_timeline_label_width (void);

/* Time ↔ pixel mapping of a view [@start_ns, @end_ns) over @width pixels. */
double weft_time_to_x (gint64 t, gint64 start_ns, gint64 end_ns, int width);
gint64 weft_x_to_time (double x, gint64 start_ns, gint64 end_ns, int width);
/* The tick step (1, 2 or 5 × 10^k ns) that puts ticks at least @min_px apart. */
gint64 weft_tick_step (gint64 span_ns, int width, int min_px);
/* A tick's label: @t in the unit of its magnitude, with the decimals that
 * a step of @step ns needs ("3.7105 ms"). */
char *weft_format_tick (gint64 t, gint64 step);

G_END_DECLS
