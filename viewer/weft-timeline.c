/* weft-timeline.c — see weft-timeline.h.
 *
 * A frame is what one view [start, end) at one width shows: for every lane
 * at most one rectangle per pixel column, each column showing the state
 * that covers most of it (never a blur of overlapping slices, never a gap
 * where something ran), and the counters as one bar per column. Frames
 * are computed on a worker thread with a connection of its own; the
 * newest request cancels the one before, and until it arrives the last
 * frame is drawn stretched into the new view, so panning and zooming never
 * wait for the database.
 *
 * Level of detail is computed per query: each lane's intervals overlapping
 * the view are read through the (lane, start) indexes, bounded below by
 * the lane's longest interval, and folded into pixel columns. Precomputed
 * level-of-detail tables, which make a zoomed-out frame of a 10M-event
 * trace cost the same as a zoomed-in one, are still to come.
 */
#include "weft-timeline.h"

#include "weft-report.h"
#include "weft-store.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <math.h>
#include <string.h>

#define LABEL_WIDTH 96
#define AXIS_HEIGHT 24
#define LANE_HEIGHT 22
#define CHART_HEIGHT 40
#define LANE_GAP 2

typedef enum
{
  LANE_STW,
  LANE_GC,
  LANE_HEAP,
  LANE_GOROUTINES,
  LANE_P, /* LANE_P + n: P n */
} LaneId;

/* A lane's column: what covers most of it. */
typedef struct
{
  gint64 key; /* -1: nothing */
  gint64 cover;
} Column;

typedef struct
{
  int     lane;
  int     x0, x1; /* columns [x0, x1) */
  guint64 key;
} Run;

typedef struct
{
  int    lane;
  int    x;
  double value;  /* 0..1 of the chart's height */
  int    series; /* 0 main, 1 second (e.g. the heap goal) */
} Bar;

typedef struct
{
  gint64  start, end;
  int     width;
  GArray *runs; /* of Run */
  GArray *bars; /* of Bar */
  char   *heap_label, *goroutines_label;
} Frame;

/* A goroutine shown in a lane of its own (the search's result). */
typedef struct
{
  gint64 goid;
  gint64 start_pc;
  char  *label;
} GLane;

typedef struct
{
  char   *path;
  gint64  start, end;
  int     width;
  int     n_procs;
  gint64  longest[LANE_P]; /* per interval table: its longest interval */
  GArray *glanes;          /* of GLane (labels not copied) */
} Request;

struct _WeftTimeline
{
  GtkWidget     parent_instance;
  char         *path;
  gint64        trace_start, trace_end;
  gint64        start, end; /* the view */
  int           n_procs;
  gboolean      has_heap, has_goroutines;
  gint64        longest_stw, longest_gc;
  GArray       *glanes; /* of GLane */
  Frame        *frame;
  GCancellable *cancellable;
  guint         pending_width;
  double        drag_start_x;
  gint64        drag_view_start, drag_view_end;
  double        zoom_scale_start;
};

G_DEFINE_FINAL_TYPE (WeftTimeline, weft_timeline, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_SLICE_ACTIVATED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

static void
frame_free (Frame *f)
{
  if (f == NULL)
    return;
  g_array_unref (f->runs);
  g_array_unref (f->bars);
  g_free (f->heap_label);
  g_free (f->goroutines_label);
  g_free (f);
}

static void
request_free (Request *r)
{
  g_free (r->path);
  g_array_unref (r->glanes);
  g_free (r);
}

static void
glane_clear (gpointer data)
{
  g_free (((GLane *) data)->label);
}

/* ------------------------------------------------------------------ mapping */

double
weft_time_to_x (gint64 t, gint64 start_ns, gint64 end_ns, int width)
{
  if (end_ns <= start_ns)
    return 0;
  return (double) (t - start_ns) * width / (double) (end_ns - start_ns);
}

gint64
weft_x_to_time (double x, gint64 start_ns, gint64 end_ns, int width)
{
  if (width <= 0)
    return start_ns;
  return start_ns + (gint64) llround (x * (double) (end_ns - start_ns) / width);
}

gint64
weft_tick_step (gint64 span_ns, int width, int min_px)
{
  static const int mult[] = { 1, 2, 5 };
  double           min_ns = (double) span_ns * min_px / MAX (width, 1);

  for (gint64 p = 1; p <= G_GINT64_CONSTANT (1000000000000000); p *= 10)
    for (guint i = 0; i < G_N_ELEMENTS (mult); i++)
      if ((double) (p * mult[i]) >= min_ns)
        return p * mult[i];
  return G_GINT64_CONSTANT (1000000000000000);
}

int
weft_timeline_label_width (void)
{
  return LABEL_WIDTH;
}

/* ------------------------------------------------------------------ lanes */

static int
n_lanes (WeftTimeline *self)
{
  return LANE_P + self->n_procs + (int) self->glanes->len;
}

/* The goroutine lane @lane shows, or NULL for another lane. */
static const GLane *
glane (WeftTimeline *self, int lane)
{
  int i = lane - LANE_P - self->n_procs;

  return i >= 0 && i < (int) self->glanes->len ? &g_array_index (self->glanes, GLane, i) : NULL;
}

static gboolean
lane_visible (WeftTimeline *self, int lane)
{
  return (lane != LANE_HEAP || self->has_heap) && (lane != LANE_GOROUTINES || self->has_goroutines);
}

static int
lane_height (int lane)
{
  return lane == LANE_HEAP || lane == LANE_GOROUTINES ? CHART_HEIGHT : LANE_HEIGHT;
}

/* The lane's top, below the axis; -1 if hidden. */
static int
lane_y (WeftTimeline *self, int lane)
{
  int y = AXIS_HEIGHT;

  if (!lane_visible (self, lane))
    return -1;
  for (int l = 0; l < lane; l++)
    if (lane_visible (self, l))
      y += lane_height (l) + LANE_GAP;
  return y;
}

static char *
lane_name (WeftTimeline *self, int lane)
{
  if (glane (self, lane) != NULL)
    return g_strdup (glane (self, lane)->label);
  switch (lane)
    {
    case LANE_STW:
      return g_strdup (_ ("STW"));
    case LANE_GC:
      return g_strdup (_ ("GC"));
    case LANE_HEAP:
      return g_strdup (_ ("Heap"));
    case LANE_GOROUTINES:
      return g_strdup (_ ("Goroutines"));
    default:
      return g_strdup_printf ("P%d", lane - LANE_P);
    }
}

gboolean
weft_timeline_lane_geometry (WeftTimeline *self, const char *lane, int *y, int *height)
{
  g_return_val_if_fail (WEFT_IS_TIMELINE (self), FALSE);

  for (int l = 0; l < n_lanes (self); l++)
    {
      static const char *const fixed[] = { "STW", "GC", "Heap", "Goroutines" };
      g_autofree char         *name = l < LANE_P                ? g_strdup (fixed[l])
                                      : glane (self, l) != NULL ? g_strdup_printf ("G%" G_GINT64_FORMAT, glane (self, l)->goid)
                                                                : g_strdup_printf ("P%d", l - LANE_P);

      if (strcmp (name, lane) == 0 && lane_visible (self, l))
        {
          *y = lane_y (self, l);
          *height = lane_height (l);
          return TRUE;
        }
    }
  return FALSE;
}

/* ------------------------------------------------------------------ frames (worker thread) */

/* Appends the runs of equal keys of @cols to @runs. */
static void
emit_runs (const Column *cols, const Request *r, int lane, GArray *runs)
{
  int run_start = -1;

  for (int c = 0; c <= r->width; c++)
    {
      gboolean same = c < r->width && run_start >= 0 && cols[c].key == cols[run_start].key;

      if (run_start >= 0 && !same)
        {
          if (cols[run_start].key >= 0)
            {
              Run run = { lane, run_start, c, (guint64) cols[run_start].key };
              g_array_append_val (runs, run);
            }
          run_start = -1;
        }
      if (c < r->width && run_start < 0)
        run_start = c;
    }
}

/* Folds the intervals of @stmt (start, end, key) into columns and appends
 * the runs of equal keys to @runs. Gives up (FALSE, nothing appended) after
 * @budget intervals, when @budget > 0. */
static gboolean
fold_intervals (sqlite3_stmt *stmt, const Request *r, int lane, GArray *runs, gint64 budget)
{
  g_autofree Column *cols = g_new (Column, r->width);
  double             span = (double) (r->end - r->start);
  gint64             n = 0;

  for (int c = 0; c < r->width; c++)
    cols[c] = (Column){ -1, 0 };
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      if (budget > 0 && ++n > budget)
        return FALSE;
      {
        gint64 s = MAX (sqlite3_column_int64 (stmt, 0), r->start);
        gint64 e = MIN (sqlite3_column_int64 (stmt, 1), r->end);
        gint64 key = sqlite3_column_int64 (stmt, 2);
        int    c0, c1;

        if (e <= s)
          continue;
        c0 = (int) ((double) (s - r->start) * r->width / span);
        c1 = (int) ((double) (e - 1 - r->start) * r->width / span);
        c0 = CLAMP (c0, 0, r->width - 1);
        c1 = CLAMP (c1, 0, r->width - 1);
        for (int c = c0; c <= c1; c++)
          {
            gint64 cs = r->start + (gint64) (c * span / r->width);
            gint64 ce = r->start + (gint64) ((c + 1) * span / r->width);
            gint64 cover = MIN (e, ce) - MAX (s, cs);

            /* Anything at all beats nothing, so no slice disappears. */
            cover = MAX (cover, 1);
            if (cover > cols[c].cover)
              cols[c] = (Column){ key, cover };
          }
      }
    }
  emit_runs (cols, r, lane, runs);
  return TRUE;
}

/* Intervals read per lane before a frame switches to sampling. */
#define DETAIL_BUDGET 100000
/* Points looked up per pixel column when sampling. */
#define SAMPLES 3

/* Binds the parameters a schema/queries/ statement of the timeline uses:
 * the view (:t0, :t1), a lower bound for the index scan of lanes whose
 * intervals may overlap (:from = :t0 minus the longest interval), the lane
 * (:p, :goid, :start_pc, :counter). */
static void
bind (sqlite3_stmt *stmt, const Request *r, gint64 longest, gint64 p, gint64 goid, gint64 start_pc, gint64 counter)
{
  const struct
  {
    const char *name;
    gint64      value;
  } params[] = { { ":t0", r->start }, { ":t1", r->end }, { ":from", r->start - longest - 1 }, { ":p", p }, { ":goid", goid }, { ":start_pc", start_pc }, { ":counter", counter } };
  int i;

  sqlite3_reset (stmt);
  for (guint k = 0; k < G_N_ELEMENTS (params); k++)
    if ((i = sqlite3_bind_parameter_index (stmt, params[k].name)) > 0)
      sqlite3_bind_int64 (stmt, i, params[k].value);
}

/* The key at time @t of the lane @sampler is bound to (its :t left
 * unbound), or FALSE when nothing covers @t. */
static gboolean
sample_at (sqlite3_stmt *sampler, gint64 t, gint64 *key)
{
  gboolean found;

  sqlite3_reset (sampler);
  sqlite3_bind_int64 (sampler, sqlite3_bind_parameter_index (sampler, ":t"), t);
  found = sqlite3_step (sampler) == SQLITE_ROW && sqlite3_column_int64 (sampler, 0) > t;
  if (found)
    *key = sqlite3_column_int64 (sampler, 1);
  return found;
}

/* A lane too busy to read in full (intervals never overlap in it): each
 * column shows the key found at most of SAMPLES points across it, or, if
 * no point falls on an interval but one overlaps the column, that one, so
 * that nothing that ran leaves a gap. (SAMPLES + 1) index lookups per
 * column: the cost depends on the width, not on the trace. */
static void
sample_lane (sqlite3_stmt *sampler, const Request *r, int lane, GArray *runs)
{
  g_autofree Column *cols = g_new (Column, r->width);
  double             span = (double) (r->end - r->start);

  for (int c = 0; c < r->width; c++)
    {
      gint64 cs = r->start + (gint64) (c * span / r->width);
      gint64 ce = r->start + (gint64) ((c + 1) * span / r->width);
      gint64 keys[SAMPLES], key;
      int    n = 0, best = 0;

      cols[c] = (Column){ -1, 0 };
      for (int i = 0; i < SAMPLES; i++)
        if (sample_at (sampler, cs + (ce - cs) * (2 * i + 1) / (2 * SAMPLES), &key))
          keys[n++] = key;
      for (int i = 0; i < n; i++)
        {
          int votes = 0;

          for (int j = 0; j < n; j++)
            votes += keys[j] == keys[i];
          if (votes > best)
            best = votes, cols[c].key = keys[i];
        }
      /* No point fell on an interval: the last one starting before the
       * column's end still shows if it reaches into the column. */
      if (n == 0)
        {
          gint64 end;

          sqlite3_reset (sampler);
          sqlite3_bind_int64 (sampler, sqlite3_bind_parameter_index (sampler, ":t"), ce - 1);
          if (sqlite3_step (sampler) == SQLITE_ROW && (end = sqlite3_column_int64 (sampler, 0)) > cs)
            cols[c].key = sqlite3_column_int64 (sampler, 1);
        }
    }
  emit_runs (cols, r, lane, runs);
}

/* One lane of intervals: read in full through @window, or sampled through
 * @at (both already bound to the lane) when there are too many. */
static void
fold_lane (sqlite3_stmt *window, sqlite3_stmt *at, const Request *r, int lane, GArray *runs)
{
  if (!fold_intervals (window, r, lane, runs, at != NULL ? DETAIL_BUDGET : 0))
    sample_lane (at, r, lane, runs);
}

/* One bar per column: the counter's largest value in it (the sample in
 * force at the left edge counts from there). */
static double
fold_counter (sqlite3_stmt *stmt, const Request *r, int lane, int counter, int series, double scale, GArray *bars)
{
  g_autofree double *col_max = g_new0 (double, r->width);
  double             max = 0, value = -1;
  int                last_c = 0;

  bind (stmt, r, 0, 0, 0, 0, counter);
  for (int c = 0; c < r->width; c++)
    col_max[c] = -1;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 ts = MAX (sqlite3_column_int64 (stmt, 0), r->start);
      int    c = CLAMP ((int) weft_time_to_x (ts, r->start, r->end, r->width), 0, r->width - 1);

      /* The previous value holds until this sample. */
      for (int k = last_c; value >= 0 && k < c; k++)
        col_max[k] = MAX (col_max[k], value);
      value = (double) sqlite3_column_int64 (stmt, 1);
      col_max[c] = MAX (col_max[c], value);
      last_c = c;
    }
  for (int k = last_c; value >= 0 && k < r->width; k++)
    col_max[k] = MAX (col_max[k], value);
  for (int c = 0; c < r->width; c++)
    max = MAX (max, col_max[c]);
  if (scale <= 0)
    scale = max;
  for (int c = 0; c < r->width && scale > 0; c++)
    if (col_max[c] >= 0)
      {
        Bar bar = { lane, c, MIN (col_max[c] / scale, 1.0), series };
        g_array_append_val (bars, bar);
      }
  return max;
}

enum
{
  Q_STW,
  Q_GC,
  Q_PSTATE,
  Q_AT_PSTATE,
  Q_GLANE,
  Q_AT_GSTATE,
  Q_COUNTER,
  N_QUERIES
};

static Frame *
frame_compute (const Request *r, GCancellable *cancellable, GError **error)
{
  static const char *const names[N_QUERIES] = { "window-stw", "window-gc", "window-pstate", "at-pstate",
                                                "window-glane", "at-gstate", "window-counter" };
  g_autoptr (WeftStore) store = weft_store_open (r->path, WEFT_STORE_OPEN_READ_ONLY, error);
  sqlite3_stmt *q[N_QUERIES] = { NULL };
  Frame        *f = NULL;
  double        heap_max, goal_max;

  if (store == NULL)
    return NULL;
  for (int i = 0; i < N_QUERIES; i++)
    if ((q[i] = weft_store_prepare_query (store, names[i], error)) == NULL)
      goto out;
  f = g_new0 (Frame, 1);
  f->start = r->start;
  f->end = r->end;
  f->width = r->width;
  f->runs = g_array_new (FALSE, FALSE, sizeof (Run));
  f->bars = g_array_new (FALSE, FALSE, sizeof (Bar));

  bind (q[Q_STW], r, r->longest[LANE_STW], 0, 0, 0, 0);
  fold_lane (q[Q_STW], NULL, r, LANE_STW, f->runs);
  bind (q[Q_GC], r, r->longest[LANE_GC], 0, 0, 0, 0);
  fold_lane (q[Q_GC], NULL, r, LANE_GC, f->runs);
  for (int p = 0; p < r->n_procs && !g_cancellable_is_cancelled (cancellable); p++)
    {
      bind (q[Q_PSTATE], r, 0, p, 0, 0, 0);
      bind (q[Q_AT_PSTATE], r, 0, p, 0, 0, 0);
      fold_lane (q[Q_PSTATE], q[Q_AT_PSTATE], r, LANE_P + p, f->runs);
    }
  for (guint i = 0; i < r->glanes->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      const GLane *g = &g_array_index (r->glanes, GLane, i);

      bind (q[Q_GLANE], r, 0, 0, g->goid, g->start_pc, 0);
      bind (q[Q_AT_GSTATE], r, 0, 0, g->goid, g->start_pc, 0);
      fold_lane (q[Q_GLANE], q[Q_AT_GSTATE], r, LANE_P + r->n_procs + (int) i, f->runs);
    }

  /* Heap in use against the goal, on the goal's scale when there is one. */
  goal_max = fold_counter (q[Q_COUNTER], r, LANE_HEAP, 2, 1, 0, f->bars);
  heap_max = fold_counter (q[Q_COUNTER], r, LANE_HEAP, 1, 0, goal_max, f->bars);
  if (heap_max > 0 || goal_max > 0)
    {
      g_autofree char *a = g_format_size_full ((guint64) heap_max, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *b = g_format_size_full ((guint64) goal_max, G_FORMAT_SIZE_IEC_UNITS);
      /* Translators: the heap chart's legend: largest heap in view / goal. */
      f->heap_label = g_strdup_printf (_ ("%s / goal %s"), a, b);
    }
  f->goroutines_label = g_strdup_printf ("%.0f", fold_counter (q[Q_COUNTER], r, LANE_GOROUTINES, 3, 0, 0, f->bars));
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    g_clear_pointer (&f, frame_free);

out:
  for (int i = 0; i < N_QUERIES; i++)
    if (q[i] != NULL)
      sqlite3_finalize (q[i]);
  return f;
}

static void
frame_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  Frame  *f = frame_compute (data, cancellable, &error);

  if (f == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, f, (GDestroyNotify) frame_free);
}

static Request *
request_new (WeftTimeline *self, int width)
{
  Request *r = g_new0 (Request, 1);

  r->path = g_strdup (self->path);
  r->start = self->start;
  r->end = self->end;
  r->width = MAX (width, 1);
  r->n_procs = self->n_procs;
  r->longest[LANE_STW] = self->longest_stw;
  r->longest[LANE_GC] = self->longest_gc;
  r->glanes = g_array_ref (self->glanes);
  return r;
}

static void
frame_ready (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  Frame        *f = g_task_propagate_pointer (G_TASK (result), &error);
  WeftTimeline *self;

  if (f == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("timeline: %s", error->message);
      return;
    }
  self = WEFT_TIMELINE (source);
  frame_free (self->frame);
  self->frame = f;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
request_frame (WeftTimeline *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH;
  g_autoptr (GTask) task = NULL;

  if (self->path == NULL || width <= 0)
    return;
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, frame_ready, NULL);
  g_task_set_task_data (task, request_new (self, width), (GDestroyNotify) request_free);
  g_task_run_in_thread (task, frame_thread);
}

/* ------------------------------------------------------------------ drawing */

static GdkRGBA
key_color (guint64 key, gboolean dark)
{
  /* Start functions get hues spread by the golden ratio of their address. */
  double h = fmod ((double) (key * G_GUINT64_CONSTANT (11400714819323198485) >> 40) / (double) (1 << 24), 1.0);
  float  r, g, b;

  gtk_hsv_to_rgb ((float) h, 0.55f, dark ? 0.75f : 0.85f, &r, &g, &b);
  return (GdkRGBA){ r, g, b, 1 };
}

/* A goroutine lane's key: a start function (running) or a state. */
static GdkRGBA
state_color (guint64 key, gboolean dark)
{
  static const GdkRGBA blocked[] = {
    { 0.6f, 0.6f, 0.6f, 1 },    /* unknown */
    { 0.57f, 0.38f, 0.76f, 1 }, /* chan */
    { 0.90f, 0.51f, 0.13f, 1 }, /* sync */
    { 0.13f, 0.64f, 0.64f, 1 }, /* net */
    { 0.55f, 0.55f, 0.60f, 1 }, /* sleep */
    { 0.80f, 0.20f, 0.35f, 1 }, /* gc */
    { 0.60f, 0.45f, 0.33f, 1 }, /* other */
  };

  switch (key >> 56)
    {
    case 0:
      return key_color (key, dark);
    case 1: /* runnable: waiting for a P */
      return (GdkRGBA){ 0.75f, 0.85f, 0.95f, 1 };
    case 2:
      return blocked[MIN (key & 0xff, G_N_ELEMENTS (blocked) - 1)];
    case 3: /* syscall */
      return (GdkRGBA){ 0.85f, 0.75f, 0.2f, 1 };
    default:
      return (GdkRGBA){ 0.6f, 0.6f, 0.6f, 1 };
    }
}

static GdkRGBA
run_color (WeftTimeline *self, const Run *run, gboolean dark)
{
  if (glane (self, run->lane) != NULL)
    return state_color (run->key, dark);
  switch (run->lane)
    {
    case LANE_STW:
      return (GdkRGBA){ 0.88f, 0.11f, 0.14f, 1 }; /* pauses stand out */
    case LANE_GC:
      return run->key == 2 ? (GdkRGBA){ 0.96f, 0.47f, 0.0f, 1 } : (GdkRGBA){ 0.98f, 0.76f, 0.35f, 1 };
    default:
      return key_color (run->key, dark);
    }
}

static void
draw_text (GtkWidget *widget, GtkSnapshot *snapshot, const char *text, float x, float y, const GdkRGBA *color)
{
  g_autoptr (PangoLayout) layout = gtk_widget_create_pango_layout (widget, text);

  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

/* libadwaita's view colours: the widget's own CSS background is drawn by
 * GTK, but a texture rendered for a test or an export needs it too. */
static void
theme_colors (GdkRGBA *fg, GdkRGBA *bg, gboolean *dark)
{
  *dark = adw_style_manager_get_dark (adw_style_manager_get_default ());
  *fg = *dark ? (GdkRGBA){ 1, 1, 1, 0.9f } : (GdkRGBA){ 0, 0, 0, 0.8f };
  *bg = *dark ? (GdkRGBA){ 0.118f, 0.118f, 0.118f, 1 } : (GdkRGBA){ 1, 1, 1, 1 };
}

static void
draw (WeftTimeline *self, GtkSnapshot *snapshot, int width, int height)
{
  GtkWidget *widget = GTK_WIDGET (self);
  GdkRGBA    fg, bg, grid;
  gboolean   dark;
  int        plot = width - LABEL_WIDTH;
  gint64     step, first_tick;
  Frame     *f = self->frame;

  theme_colors (&fg, &bg, &dark);
  grid = fg;
  grid.alpha = 0.08f;
  if (plot <= 0 || self->end <= self->start)
    return;
  step = weft_tick_step (self->end - self->start, plot, 90);
  first_tick = (self->start / step) * step;

  /* Lane backgrounds and the tick lines, under the data. */
  for (int l = 0; l < n_lanes (self); l++)
    if (lane_y (self, l) >= 0)
      gtk_snapshot_append_color (snapshot, &grid,
                                 &GRAPHENE_RECT_INIT (LABEL_WIDTH, lane_y (self, l), plot, lane_height (l)));
  for (gint64 t = first_tick; t < self->end; t += step)
    {
      double x = LABEL_WIDTH + weft_time_to_x (t, self->start, self->end, plot);

      if (x >= LABEL_WIDTH)
        gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (x, AXIS_HEIGHT, 1, height - AXIS_HEIGHT));
    }

  /* The last frame, stretched from its view into the current one. */
  if (f != NULL)
    {
      double scale = (double) (f->end - f->start) / (double) (self->end - self->start) * plot / f->width;
      double shift = weft_time_to_x (f->start, self->start, self->end, plot);

      gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (LABEL_WIDTH, 0, plot, height));
      for (guint i = 0; i < f->runs->len; i++)
        {
          const Run *run = &g_array_index (f->runs, Run, i);
          GdkRGBA    c = run_color (self, run, dark);
          int        y = lane_y (self, run->lane);
          double     x0 = LABEL_WIDTH + shift + run->x0 * scale;
          double     w = MAX ((run->x1 - run->x0) * scale, 1.0);

          if (y >= 0)
            gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (x0, y + 1, w, LANE_HEIGHT - 2));
        }
      for (guint i = 0; i < f->bars->len; i++)
        {
          const Bar *bar = &g_array_index (f->bars, Bar, i);
          int        y = lane_y (self, bar->lane);
          double     x0 = LABEL_WIDTH + shift + bar->x * scale;
          double     h = bar->value * (CHART_HEIGHT - 4);
          GdkRGBA    c = bar->series == 0 ? (GdkRGBA){ 0.21f, 0.52f, 0.89f, 0.8f } : (GdkRGBA){ 0.18f, 0.76f, 0.49f, 1 };

          if (y < 0)
            continue;
          if (bar->series == 0)
            gtk_snapshot_append_color (snapshot, &c,
                                       &GRAPHENE_RECT_INIT (x0, y + CHART_HEIGHT - 2 - h, MAX (scale, 1.0), h));
          else /* the goal: a line */
            gtk_snapshot_append_color (snapshot, &c,
                                       &GRAPHENE_RECT_INIT (x0, y + CHART_HEIGHT - 3 - h, MAX (scale, 1.0), 2));
        }
      gtk_snapshot_pop (snapshot);
      if (f->heap_label != NULL && lane_y (self, LANE_HEAP) >= 0)
        draw_text (widget, snapshot, f->heap_label, LABEL_WIDTH + 4, lane_y (self, LANE_HEAP), &fg);
      if (f->goroutines_label != NULL && lane_y (self, LANE_GOROUTINES) >= 0)
        draw_text (widget, snapshot, f->goroutines_label, LABEL_WIDTH + 4, lane_y (self, LANE_GOROUTINES), &fg);
    }

  /* Lane names on the left, the time axis on top: ticks at a readable
   * step, labelled in time since the trace start. */
  gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, 0, LABEL_WIDTH, height));
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, LABEL_WIDTH - 4, height));
  for (int l = 0; l < n_lanes (self); l++)
    {
      g_autofree char *name = lane_name (self, l);

      if (lane_y (self, l) >= 0)
        draw_text (widget, snapshot, name, 6, lane_y (self, l) + 2, &fg);
    }
  gtk_snapshot_pop (snapshot);
  for (gint64 t = first_tick; t < self->end; t += step)
    {
      double           x = LABEL_WIDTH + weft_time_to_x (t, self->start, self->end, plot);
      g_autofree char *label = weft_format_duration (t);

      if (x < LABEL_WIDTH)
        continue;
      gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (x, AXIS_HEIGHT - 6, 1, 6));
      draw_text (widget, snapshot, label, (float) x + 3, 2, &fg);
    }
}

static void
weft_timeline_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);
  int           width = gtk_widget_get_width (widget);

  if (self->frame == NULL || self->frame->width != width - LABEL_WIDTH || self->frame->start != self->start
      || self->frame->end != self->end)
    {
      /* Ask once per view. */
      if (self->pending_width != (guint) width || self->frame == NULL || self->frame->start != self->start
          || self->frame->end != self->end)
        {
          self->pending_width = (guint) width;
          request_frame (self);
        }
    }
  draw (self, snapshot, width, gtk_widget_get_height (widget));
}

static void
weft_timeline_measure (GtkWidget *widget, GtkOrientation orientation, int for_size, int *minimum, int *natural, int *minimum_baseline, int *natural_baseline)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    *minimum = *natural = LABEL_WIDTH + 200;
  else
    {
      int bottom = AXIS_HEIGHT;

      for (int l = 0; l < n_lanes (self); l++)
        if (lane_visible (self, l))
          bottom = lane_y (self, l) + lane_height (l);
      *minimum = *natural = bottom + LANE_GAP;
    }
}

GdkTexture *
weft_timeline_render_texture (WeftTimeline *self, int width, int height)
{
  g_autoptr (GtkSnapshot) snapshot = NULL;
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) bytes = NULL;
  cairo_surface_t *surface;
  cairo_t         *cr;
  Request         *r;

  g_return_val_if_fail (WEFT_IS_TIMELINE (self), NULL);

  r = request_new (self, width - LABEL_WIDTH);
  frame_free (self->frame);
  self->frame = frame_compute (r, NULL, &error);
  request_free (r);
  if (self->frame == NULL)
    g_warning ("timeline: %s", error->message);

  snapshot = gtk_snapshot_new ();
  {
    GdkRGBA  fg, bg;
    gboolean dark;

    theme_colors (&fg, &bg, &dark);
    gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, 0, width, height));
  }
  draw (self, snapshot, width, height);
  node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
  surface = cairo_image_surface_create (CAIRO_FORMAT_ARGB32, width, height);
  cr = cairo_create (surface);
  if (node != NULL)
    gsk_render_node_draw (node, cr);
  cairo_destroy (cr);
  cairo_surface_flush (surface);
  bytes = g_bytes_new (cairo_image_surface_get_data (surface),
                       (gsize) cairo_image_surface_get_stride (surface) * (gsize) height);
  cairo_surface_destroy (surface);
  /* Cairo's ARGB32 is premultiplied BGRA in memory on little endian. */
  return gdk_memory_texture_new (width, height, GDK_MEMORY_B8G8R8A8_PREMULTIPLIED, bytes,
                                 (gsize) cairo_format_stride_for_width (CAIRO_FORMAT_ARGB32, width));
}

/* ------------------------------------------------------------------ navigation */

static void
set_view (WeftTimeline *self, gint64 start, gint64 end)
{
  gint64 span = self->trace_end - self->trace_start;
  /* Never narrower than 100 ns, never wider than the trace. */
  gint64 width = CLAMP (end - start, MIN (100, MAX (span, 1)), MAX (span, 1));

  start = CLAMP (start, self->trace_start, MAX (self->trace_end - width, self->trace_start));
  self->start = start;
  self->end = start + width;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
weft_timeline_zoom_to (WeftTimeline *self, gint64 start_ns, gint64 end_ns)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));
  set_view (self, start_ns, end_ns);
}

void
weft_timeline_zoom_fit (WeftTimeline *self)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));
  set_view (self, self->trace_start, self->trace_end);
}

static void
zoom_around (WeftTimeline *self, gint64 pivot, double factor)
{
  double span = (double) (self->end - self->start) / factor;
  double left = (double) (pivot - self->start) / (double) MAX (self->end - self->start, 1);

  set_view (self, pivot - (gint64) (left * span), pivot - (gint64) (left * span) + (gint64) span);
}

void
weft_timeline_zoom (WeftTimeline *self, double factor)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self) && factor > 0);
  zoom_around (self, self->start + (self->end - self->start) / 2, factor);
}

void
weft_timeline_pan (WeftTimeline *self, double fraction)
{
  gint64 d;

  g_return_if_fail (WEFT_IS_TIMELINE (self));
  d = (gint64) (fraction * (double) (self->end - self->start));
  set_view (self, self->start + d, self->end + d);
}

void
weft_timeline_get_range (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));
  *start_ns = self->start;
  *end_ns = self->end;
}

static gint64
time_at (WeftTimeline *self, double x)
{
  return weft_x_to_time (x - LABEL_WIDTH, self->start, self->end, gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH);
}

static gboolean
on_scroll (GtkEventControllerScroll *controller, double dx, double dy, WeftTimeline *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  double          x = 0, y;

  if (mods & GDK_CONTROL_MASK)
    {
      GdkEvent *event = gtk_event_controller_get_current_event (GTK_EVENT_CONTROLLER (controller));

      gdk_event_get_position (event, &x, &y);
      zoom_around (self, time_at (self, x), dy < 0 ? 1.25 : 0.8);
      return TRUE;
    }
  if ((mods & GDK_SHIFT_MASK) || dx != 0)
    {
      weft_timeline_pan (self, 0.1 * (dx != 0 ? dx : dy));
      return TRUE;
    }
  return FALSE; /* vertical scrolling belongs to the scrolled window */
}

static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, WeftTimeline *self)
{
  self->drag_view_start = self->start;
  self->drag_view_end = self->end;
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, WeftTimeline *self)
{
  int    plot = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH;
  gint64 d = (gint64) (dx * (double) (self->drag_view_end - self->drag_view_start) / MAX (plot, 1));

  set_view (self, self->drag_view_start - d, self->drag_view_end - d);
}

static void
on_zoom_begin (GtkGesture *gesture, GdkEventSequence *sequence, WeftTimeline *self)
{
  self->zoom_scale_start = 1;
  self->drag_view_start = self->start;
  self->drag_view_end = self->end;
}

static void
on_zoom_changed (GtkGestureZoom *gesture, double scale, WeftTimeline *self)
{
  double x, y;
  gint64 pivot;
  double span = (double) (self->drag_view_end - self->drag_view_start) / MAX (scale, 0.01);

  gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &x, &y);
  pivot = weft_x_to_time (x - LABEL_WIDTH, self->drag_view_start, self->drag_view_end,
                          gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH);
  set_view (self, pivot - (gint64) (span / 2), pivot + (gint64) (span / 2));
}

static void
on_click (GtkGestureClick *gesture, int n_press, double x, double y, WeftTimeline *self)
{
  g_autoptr (WeftStore) store = NULL;
  sqlite3_stmt *stmt;
  gint64        t = time_at (self, x);
  int           lane = -1;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  for (int l = LANE_P; l < n_lanes (self); l++)
    if (y >= lane_y (self, l) && y < lane_y (self, l) + LANE_HEIGHT)
      lane = l;
  if (lane < 0 || x < LABEL_WIDTH)
    return;
  /* A goroutine lane names its goroutine; a P lane, whatever ran there. */
  if (glane (self, lane) != NULL)
    {
      g_signal_emit (self, signals[SIGNAL_SLICE_ACTIVATED], 0, glane (self, lane)->goid, t, t);
      return;
    }
  if ((store = weft_store_open (self->path, WEFT_STORE_OPEN_READ_ONLY, NULL)) == NULL
      || (stmt = weft_store_prepare_query (store, "slice-at", NULL)) == NULL)
    return;
  sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":p"), lane - LANE_P);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":t"), t);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    g_signal_emit (self, signals[SIGNAL_SLICE_ACTIVATED], 0, sqlite3_column_int64 (stmt, 0),
                   sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2));
  sqlite3_finalize (stmt);
}

static gboolean
on_key (GtkEventControllerKey *controller, guint keyval, guint keycode, GdkModifierType state, WeftTimeline *self)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    return FALSE;
  switch (gdk_keyval_to_lower (keyval))
    {
    case GDK_KEY_w:
      weft_timeline_zoom (self, 1.5);
      return TRUE;
    case GDK_KEY_s:
      weft_timeline_zoom (self, 1 / 1.5);
      return TRUE;
    case GDK_KEY_a:
      weft_timeline_pan (self, -0.2);
      return TRUE;
    case GDK_KEY_d:
      weft_timeline_pan (self, 0.2);
      return TRUE;
    case GDK_KEY_0:
    case GDK_KEY_f:
      weft_timeline_zoom_fit (self);
      return TRUE;
    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------------ loading */

static gint64
scalar (WeftStore *store, const char *sql)
{
  sqlite3_stmt *stmt = weft_store_prepare (store, sql, NULL);
  gint64        v = 0;

  if (stmt != NULL && sqlite3_step (stmt) == SQLITE_ROW)
    v = sqlite3_column_int64 (stmt, 0);
  if (stmt != NULL)
    sqlite3_finalize (stmt);
  return v;
}

gboolean
weft_timeline_load (WeftTimeline *self, const char *path, GError **error)
{
  g_autoptr (WeftStore) store = NULL;

  g_return_val_if_fail (WEFT_IS_TIMELINE (self) && path != NULL, FALSE);

  store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, error);
  if (store == NULL)
    return FALSE;
  g_free (self->path);
  self->path = g_strdup (path);
  self->trace_start = weft_store_get_meta_int (store, "start_ns", 0);
  self->trace_end = MAX (weft_store_get_meta_int (store, "end_ns", 0), self->trace_start + 1);
  self->n_procs = (int) MAX (scalar (store, "SELECT MAX(p) + 1 FROM pstate"),
                             weft_store_get_meta_int (store, "nprocs", 0));
  self->has_heap = scalar (store, "SELECT EXISTS (SELECT 1 FROM counter_sample WHERE counter IN (1, 2))");
  self->has_goroutines = scalar (store, "SELECT EXISTS (SELECT 1 FROM counter_sample WHERE counter = 3)");
  self->longest_stw = scalar (store, "SELECT MAX(end_ns - start_ns) FROM stw");
  self->longest_gc = scalar (store, "SELECT MAX(COALESCE(end_ns, (SELECT value FROM meta WHERE key = 'end_ns')) "
                                    "- start_ns) FROM gc_cycle");
  self->longest_gc = MAX (self->longest_gc, scalar (store, "SELECT MAX(end_ns - start_ns) FROM gc_span"));
  frame_free (self->frame);
  self->frame = NULL;
  weft_timeline_zoom_fit (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
  return TRUE;
}

void
weft_timeline_set_filter (WeftTimeline *self, const char *query)
{
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GArray) lanes = g_array_new (FALSE, FALSE, sizeof (GLane));
  sqlite3_stmt *stmt;

  g_return_if_fail (WEFT_IS_TIMELINE (self));

  g_array_set_clear_func (lanes, glane_clear);
  if (query != NULL && *query != '\0' && self->path != NULL
      && (store = weft_store_open (self->path, WEFT_STORE_OPEN_READ_ONLY, NULL)) != NULL
      && (stmt = weft_store_prepare_query (store, "goroutine-search", NULL)) != NULL)
    {
      sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":query"), query, -1, SQLITE_TRANSIENT);
      sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), WEFT_TIMELINE_MAX_GOROUTINE_LANES);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          GLane g = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 2), NULL };

          g.label = g_strdup_printf ("G%" G_GINT64_FORMAT " %s", g.goid, (const char *) sqlite3_column_text (stmt, 1));
          g_array_append_val (lanes, g);
        }
      sqlite3_finalize (stmt);
    }
  /* A new array: a frame being computed keeps the one it was asked for. */
  g_array_unref (self->glanes);
  self->glanes = g_steal_pointer (&lanes);
  frame_free (self->frame);
  self->frame = NULL;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

guint
weft_timeline_get_n_goroutine_lanes (WeftTimeline *self)
{
  g_return_val_if_fail (WEFT_IS_TIMELINE (self), 0);
  return self->glanes->len;
}

/* ------------------------------------------------------------------ GObject */

static void
weft_timeline_dispose (GObject *object)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  G_OBJECT_CLASS (weft_timeline_parent_class)->dispose (object);
}

static void
weft_timeline_finalize (GObject *object)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  frame_free (self->frame);
  g_array_unref (self->glanes);
  g_free (self->path);
  G_OBJECT_CLASS (weft_timeline_parent_class)->finalize (object);
}

static void
weft_timeline_class_init (WeftTimelineClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_timeline_dispose;
  object_class->finalize = weft_timeline_finalize;
  widget_class->snapshot = weft_timeline_snapshot;
  widget_class->measure = weft_timeline_measure;
  gtk_widget_class_set_css_name (widget_class, "timeline");

  /* A P lane's slice was clicked: its goroutine and interval. */
  signals[SIGNAL_SLICE_ACTIVATED] = g_signal_new ("slice-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_INT64, G_TYPE_INT64,
                                                  G_TYPE_INT64);
}

static void
weft_timeline_init (WeftTimeline *self)
{
  GtkWidget          *widget = GTK_WIDGET (self);
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkGesture         *drag = gtk_gesture_drag_new ();
  GtkGesture         *zoom = gtk_gesture_zoom_new ();
  GtkGesture         *click = gtk_gesture_click_new ();
  GtkEventController *key = gtk_event_controller_key_new ();

  self->glanes = g_array_new (FALSE, FALSE, sizeof (GLane));
  g_array_set_clear_func (self->glanes, glane_clear);
  gtk_widget_set_focusable (widget, TRUE);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_changed), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (zoom));
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));
  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key), self);
  gtk_widget_add_controller (widget, key);
}

GtkWidget *
weft_timeline_new (void)
{
  return g_object_new (WEFT_TYPE_TIMELINE, NULL);
}
