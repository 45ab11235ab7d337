/* weft-window.h — one window per trace: the timeline and the analyses. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WEFT_TYPE_WINDOW (weft_window_get_type ())
G_DECLARE_FINAL_TYPE (WeftWindow, weft_window, WEFT, WINDOW, AdwApplicationWindow)

GtkWidget *weft_window_new (GtkApplication *app);
/* Shows @file, or the reason it cannot be shown (not a Weft database, a
 * newer schema…); FALSE in that case. */
gboolean weft_window_open (WeftWindow *self, GFile *file);
/* TRUE until a trace was opened in it. */
gboolean weft_window_is_empty (WeftWindow *self);
/* TRUE if it shows @file. */
gboolean weft_window_shows (WeftWindow *self, GFile *file);
/* Shows goroutine @goid in a lane of its own, the view centred on @ts_ns,
 * and its details. */
void weft_window_reveal_goroutine (WeftWindow *self,
                                   gint64      goid,
                                   gint64      ts_ns);
/* Shows what happened in [@start_ns, @end_ns) (range-totals.sql) under
 * the timeline. */
void weft_window_show_range_totals (WeftWindow *self,
                                    gint64      start_ns,
                                    gint64      end_ns);
/* Its parts, for tests: "timeline", "goroutines", "leaks", "pauses"… */
GtkWidget *weft_window_get_part (WeftWindow *self, const char *name);
/* What is shown: "empty", "error", or the trace's page ("timeline",
 * "goroutines", "leaks", "pauses"). */
const char *weft_window_get_page (WeftWindow *self);

G_END_DECLS
