/* weft-timeline.c — see weft-timeline.h.
 *
 * A frame is what one view [start, end) at one width shows: for every lane
 * at most one rectangle per pixel column, each column showing the key that
 * covers most of it (never a blur of overlapping slices, never a gap where
 * something ran), and the counters as one bar per column. Frames are
 * computed on worker threads (a frame's lanes dealt round a thread per
 * processor), each with a pooled connection of its own; the newest request
 * cancels the one before, and until it arrives the last frame is drawn
 * stretched into the new view, so panning and zooming never wait for the
 * database. Nor does anything else: what a file's lanes need, searches,
 * expanding a group and reveals are read on workers too (self->busy
 * counts them); the main thread's own connection only checks the file and
 * answers a click or a tooltip, one indexed lookup each.
 *
 * A busy lane zoomed out is read from its level-of-detail buckets
 * (schema/weft-lod.sql): at most two per pixel column at any zoom. Closer
 * in, and for lanes without buckets, the intervals meeting the view are
 * read through the (lane, start) indexes (lanes whose intervals overlap
 * bounded below by their longest interval) and folded into columns.
 *
 * Invariants: the lanes (self->glanes) are replaced, never changed, so a
 * frame being computed keeps the array it was asked for; a frame of older
 * lanes (self->generation) is dropped when it arrives, and so is a group
 * lookup of groups since replaced (self->groups_serial).
 */
#include "weft-timeline.h"

#include "weft-lod.h"
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

/* Lanes, top to bottom. A fixed lane without data is hidden. */
typedef enum
{
  LANE_STW,
  LANE_GC, /* cycles, and their mark phase over them */
  LANE_GC_WORKERS,
  LANE_GC_ASSISTS,
  LANE_GC_SWEEP,
  LANE_HEAP,
  LANE_GOROUTINES,
  LANE_RUNNABLE,
  LANE_TASKS,
  LANE_REGIONS,
  LANE_P, /* LANE_P + n: P n; then one per M; then the goroutine lanes */
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

/* Columns [x, x + n) of a chart at one value: a counter holds its value
 * over many columns, and each rectangle drawn costs the rasteriser. */
typedef struct
{
  int    lane;
  int    x, n;
  double value;  /* 0..1 of the chart's height */
  int    series; /* 0 main, 1 second (e.g. the heap goal) */
} Bar;

typedef struct
{
  gint64  start, end;
  int     width;
  int     top, bottom; /* the rows whose lanes it has (those above LANE_P always) */
  guint   generation;  /* of the lanes it was computed for */
  GArray *runs;        /* of Run */
  GArray *bars;        /* of Bar */
  char   *heap_label, *goroutines_label, *runnable_label;
} Frame;

/* A goroutine lane, or the header of a group of them. */
typedef struct
{
  gint64 goid; /* -1: the header of group @group */
  gint64 start_pc;
  char  *label;
  guint  group;
} GLane;

/* The goroutines of one start function: a header lane, and when expanded
 * a lane per goroutine (at most WEFT_TIMELINE_MAX_GOROUTINE_LANES). */
typedef struct
{
  gint64   start_pc;
  char    *function;
  gint64   count;   /* its goroutines (that match the search) */
  GArray  *members; /* of GLane, NULL until first expanded */
  gboolean expanded;
} Group;

/* The statements of schema/queries/ a frame runs. */
enum
{
  Q_STW,
  Q_GC,
  Q_PSTATE,
  Q_AT_PSTATE,
  Q_GLANE,
  Q_AT_GSTATE,
  Q_COUNTER,
  Q_GC_SPAN,
  Q_MSTATE,
  Q_TASK,
  Q_REGION,
  Q_START_PC,
  Q_LOD, /* the level-of-detail ones last: not in every file */
  Q_LOD_COUNTER,
  N_QUERIES
};

/* A worker's connection with the frame's statements prepared, kept for
 * the next frame: opening the file, reading its schema and preparing cost
 * more than the queries of a zoomed-in frame. */
typedef struct
{
  WeftStore    *store;
  sqlite3_stmt *q[N_QUERIES];
  /* goid -> start function of the goroutines the P lanes ran lately:
   * joined in the query, each row cost a lookup in the goroutine table
   * (80% of a busy P lane's time), though a P runs the same few
   * goroutines over and over. */
  GHashTable *start_pcs;
} Reader;

/* The idle readers of one file, shared by the widget and the frames being
 * computed (the last one to let go frees it). */
typedef struct
{
  gatomicrefcount ref;
  char           *path;
  gboolean        lod; /* the file has level-of-detail tables */
  GMutex          lock;
  GPtrArray      *idle; /* of Reader */
} Pool;

/* A lane with level-of-detail buckets (lod_lane). */
typedef struct
{
  gint64 id;
  int    base, top;
} LodLane;

typedef struct
{
  Pool       *pool;
  gint64      start, end;
  int         width;
  int         n_procs, n_threads;
  gint64      longest[LANE_P]; /* per fixed lane: its longest interval */
  GArray     *glanes;          /* of GLane (labels not copied) */
  GHashTable *lod;             /* lod_key () -> LodLane, or NULL; read only */
  GArray     *blocked_keys;    /* of gint64: per wait reason, a blocked goroutine's key; read only */
  int         top, bottom;     /* the rows in view (and a page around) */
  guint       generation;
  guint8     *wanted;  /* per lane from LANE_P: in those rows */
  int         threads; /* parts of the frame computed at once */
  gint64     *edges;   /* width + 1: column c is [edges[c], edges[c + 1]) */
} Request;

struct _WeftTimeline
{
  GtkWidget      parent_instance;
  char          *path;
  Pool          *pool;
  WeftStore     *store; /* the main thread's, for point lookups (a click, a tooltip) */
  gint64         trace_start, trace_end;
  gint64         start, end; /* the view */
  int            n_procs, n_threads;
  gboolean       shown[LANE_P]; /* the fixed lanes that have data */
  gint64         longest[LANE_P];
  GArray        *glanes;        /* of GLane: what the groups show, rebuilt when they change */
  GPtrArray     *groups;        /* of Group */
  GHashTable    *lod;           /* lod_key () -> LodLane; NULL if the file has none */
  GArray        *blocked_keys;  /* of gint64: per wait reason, a blocked goroutine's key */
  GPtrArray     *all_groups;    /* of Group: every start function, collapsed, as the file lists them */
  guint          groups_serial; /* counts replacements of self->groups */
  Frame         *frame;
  GCancellable  *cancellable;
  GCancellable  *loading;                  /* the file being read on a worker, NULL once its lanes are known */
  GCancellable  *search;                   /* the search being run, NULL if none */
  GCancellable  *reveal;                   /* the reveal being looked up, NULL if none */
  guint          busy;                     /* tasks on workers whose result changes the lanes */
  int            frame_threads;            /* a frame's parts computed at once */
  char          *pending_filter;           /* a search asked for while the file loads */
  gint64         pending_goid, pending_ts; /* a reveal asked for then (goid -1: none) */
  Frame          pending;                  /* the view, width and rows asked for last (no data) */
  guint          generation;               /* of the lanes: frames of older ones are dropped */
  GtkAdjustment *vadjustment;              /* of the scrolled window around, if any */
  GHashTable    *layouts;                  /* text -> PangoLayout, see draw_text () */
  GHashTable    *functions;                /* start pc -> name, see function_name () */
  double         drag_start_x;
  gint64         drag_view_start, drag_view_end;
  double         zoom_scale_start;
  gboolean       selecting;          /* this drag selects a range instead of panning */
  gint64         sel_start, sel_end; /* -1: none; a selection while -1 < start < end */
};

G_DEFINE_FINAL_TYPE (WeftTimeline, weft_timeline, GTK_TYPE_WIDGET)

static void group_toggle (WeftTimeline *self, guint index);

enum
{
  SIGNAL_SLICE_ACTIVATED,
  SIGNAL_RANGE_SELECTED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

enum
{
  PROP_0,
  PROP_START_NS,
  PROP_END_NS,
  PROP_SELECTION_START_NS,
  PROP_SELECTION_END_NS,
  N_PROPS
};
static GParamSpec *properties[N_PROPS];

static void
frame_free (Frame *f)
{
  if (f == NULL)
    return;
  g_array_unref (f->runs);
  g_array_unref (f->bars);
  g_free (f->heap_label);
  g_free (f->goroutines_label);
  g_free (f->runnable_label);
  g_free (f);
}

static void
reader_free (Reader *reader)
{
  for (int i = 0; i < N_QUERIES; i++)
    sqlite3_finalize (reader->q[i]);
  g_clear_pointer (&reader->start_pcs, g_hash_table_unref);
  weft_store_free (reader->store);
  g_free (reader);
}

static Pool *
pool_new (const char *path, gboolean lod)
{
  Pool *pool = g_new0 (Pool, 1);

  g_atomic_ref_count_init (&pool->ref);
  pool->path = g_strdup (path);
  pool->lod = lod;
  g_mutex_init (&pool->lock);
  pool->idle = g_ptr_array_new_with_free_func ((GDestroyNotify) reader_free);
  return pool;
}

static Pool *
pool_ref (Pool *pool)
{
  g_atomic_ref_count_inc (&pool->ref);
  return pool;
}

static void
pool_unref (Pool *pool)
{
  if (!g_atomic_ref_count_dec (&pool->ref))
    return;
  g_ptr_array_unref (pool->idle);
  g_mutex_clear (&pool->lock);
  g_free (pool->path);
  g_free (pool);
}

/* An idle reader of the pool's file, or a new one. */
static Reader *
pool_take (Pool *pool, GError **error)
{
  static const char *const names[N_QUERIES] = { "window-stw", "window-gc", "window-pstate", "at-pstate",
                                                "window-glane", "at-gstate", "window-counter", "window-gc-span",
                                                "window-mstate", "window-task", "window-region", "window-start-pc", "window-lod",
                                                "window-lod-counter" };
  Reader                  *reader = NULL;

  g_mutex_lock (&pool->lock);
  if (pool->idle->len > 0)
    reader = g_ptr_array_steal_index_fast (pool->idle, pool->idle->len - 1);
  g_mutex_unlock (&pool->lock);
  if (reader != NULL)
    return reader;
  reader = g_new0 (Reader, 1);
  reader->start_pcs = g_hash_table_new (NULL, NULL);
  if ((reader->store = weft_store_open (pool->path, WEFT_STORE_OPEN_READ_ONLY, error)) == NULL)
    {
      g_free (reader);
      return NULL;
    }
  /* A file without level of detail has no lod_bucket to prepare against. */
  for (int i = 0; i < (pool->lod ? N_QUERIES : Q_LOD); i++)
    if ((reader->q[i] = weft_store_prepare_query (reader->store, names[i], error)) == NULL)
      {
        reader_free (reader);
        return NULL;
      }
  return reader;
}

static void
pool_give (Pool *pool, Reader *reader)
{
  for (int i = 0; i < N_QUERIES; i++)
    if (reader->q[i] != NULL)
      sqlite3_reset (reader->q[i]);
  g_mutex_lock (&pool->lock);
  g_ptr_array_add (pool->idle, reader);
  g_mutex_unlock (&pool->lock);
}

static void
request_free (Request *r)
{
  g_clear_pointer (&r->lod, g_hash_table_unref);
  g_clear_pointer (&r->blocked_keys, g_array_unref);
  g_clear_pointer (&r->pool, pool_unref);
  g_free (r->wanted);
  g_free (r->edges);
  g_array_unref (r->glanes);
  g_free (r);
}

static void
glane_clear (gpointer data)
{
  g_free (((GLane *) data)->label);
}

static void
group_free (Group *g)
{
  g_free (g->function);
  g_clear_pointer (&g->members, g_array_unref);
  g_free (g);
}

static GLane
member_new (gint64 goid, gint64 start_pc, const char *name, guint group)
{
  GLane g = { goid, start_pc, NULL, group };

  g.label = name != NULL && *name != '\0' ? g_strdup_printf ("G%" G_GINT64_FORMAT " %s", goid, name)
                                          : g_strdup_printf ("G%" G_GINT64_FORMAT, goid);
  return g;
}

static Group *
group_new (gint64 start_pc, const char *function, gint64 count)
{
  Group *g = g_new0 (Group, 1);

  g->start_pc = start_pc;
  g->function = g_strdup (function != NULL ? function : "?");
  g->count = count;
  return g;
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

char *
weft_format_tick (gint64 t, gint64 step)
{
  static const struct
  {
    gint64      ns;
    const char *name;
  } units[] = { { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "µs" }, { 1, "ns" } };
  guint  u = 0;
  int    decimals = 0;
  gint64 a = ABS (t);

  if (t == 0)
    return g_strdup ("0");
  /* The unit of the time itself, and as many decimals as the step needs,
   * so that neighbouring ticks never read the same at any zoom. */
  while (u + 1 < G_N_ELEMENTS (units) && a < units[u].ns)
    u++;
  for (gint64 d = units[u].ns; d > MAX (step, 1) && decimals < 9; d /= 10)
    decimals++;
  return g_strdup_printf ("%.*f %s", decimals, (double) t / (double) units[u].ns, units[u].name);
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
  return LANE_P + self->n_procs + self->n_threads + (int) self->glanes->len;
}

/* The M whose lane @lane is, or -1. */
static int
m_lane (WeftTimeline *self, int lane)
{
  int m = lane - LANE_P - self->n_procs;

  return m >= 0 && m < self->n_threads ? m : -1;
}

/* The goroutine lane @lane shows, or NULL for another lane. */
static const GLane *
glane (WeftTimeline *self, int lane)
{
  int i = lane - LANE_P - self->n_procs - self->n_threads;

  return i >= 0 && i < (int) self->glanes->len ? &g_array_index (self->glanes, GLane, i) : NULL;
}

static gboolean
lane_visible (WeftTimeline *self, int lane)
{
  return lane >= LANE_P || self->shown[lane];
}

static int
lane_height (int lane)
{
  return lane == LANE_HEAP || lane == LANE_GOROUTINES || lane == LANE_RUNNABLE ? CHART_HEIGHT : LANE_HEIGHT;
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

/* The lane's label; @id: the name lane_geometry () knows it by. */
static char *
lane_name (WeftTimeline *self, int lane, gboolean id)
{
  /* Untranslated: the names lane_geometry () knows; N_: the labels. */
  static const char *const fixed[] = { N_ ("STW"), N_ ("GC"), N_ ("GC workers"), N_ ("Assists"), N_ ("Sweep"),
                                       N_ ("Heap"), N_ ("Goroutines"), N_ ("Runnable"), N_ ("Tasks"), N_ ("Regions") };

  G_STATIC_ASSERT (G_N_ELEMENTS (fixed) == LANE_P);
  if (glane (self, lane) != NULL && glane (self, lane)->goid < 0)
    return id ? g_strdup_printf ("group %" G_GINT64_FORMAT, glane (self, lane)->start_pc) : g_strdup (glane (self, lane)->label);
  if (glane (self, lane) != NULL)
    return id ? g_strdup_printf ("G%" G_GINT64_FORMAT, glane (self, lane)->goid) : g_strdup (glane (self, lane)->label);
  if (m_lane (self, lane) >= 0)
    return g_strdup_printf ("M%d", m_lane (self, lane));
  if (lane >= LANE_P)
    return g_strdup_printf ("P%d", lane - LANE_P);
  return g_strdup (id ? fixed[lane] : _ (fixed[lane]));
}

gboolean
weft_timeline_lane_geometry (WeftTimeline *self, const char *lane, int *y, int *height)
{
  g_return_val_if_fail (WEFT_IS_TIMELINE (self), FALSE);

  for (int l = 0; l < n_lanes (self); l++)
    {
      g_autofree char *name = lane_name (self, l, TRUE);

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

/* How fold_intervals () reads a row's key. */
typedef enum
{
  KEY_PLAIN,    /* (start, end, key) */
  KEY_WEIGHTED, /* (start, end, key, cover): level-of-detail buckets */
  KEY_GSTATE,   /* (start, end, state, wait_reason) of a goroutine lane */
  KEY_GOID,     /* (start, end, goid): keyed by the goroutine's start function */
} KeyMode;

/* Goroutines whose start function a reader keeps. */
#define START_PCS_MAX 65536

/* The start function of goroutine @goid (0 if unknown), from @reader's
 * cache or the goroutine table. */
static gint64
start_pc_of (Reader *reader, gint64 goid)
{
  sqlite3_stmt *stmt = reader->q[Q_START_PC];
  gpointer      value;
  gint64        start_pc = 0;

  if (g_hash_table_lookup_extended (reader->start_pcs, GSIZE_TO_POINTER ((gsize) goid), NULL, &value))
    return (gint64) GPOINTER_TO_SIZE (value);
  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":goid"), goid);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    start_pc = sqlite3_column_int64 (stmt, 0);
  /* Bounded: a search's worth of goroutines, a few MiB. */
  if (g_hash_table_size (reader->start_pcs) >= START_PCS_MAX)
    g_hash_table_remove_all (reader->start_pcs);
  g_hash_table_insert (reader->start_pcs, GSIZE_TO_POINTER ((gsize) goid), GSIZE_TO_POINTER ((gsize) start_pc));
  return start_pc;
}

/* Folds the intervals of @stmt into columns and appends the runs of equal
 * keys to @runs. A level-of-detail bucket counts in each column it meets
 * for the part of it its key covers. Gives up (FALSE, nothing appended)
 * after @budget intervals, when @budget > 0. @start_pc: a goroutine
 * lane's start function (KEY_GSTATE); @reader: the one @stmt belongs to
 * (KEY_GOID). */
static gboolean
fold_intervals (sqlite3_stmt *stmt, Reader *reader, const Request *r, int lane, GArray *runs, gint64 budget, KeyMode mode, gint64 start_pc)
{
  g_autofree Column *cols = g_new (Column, r->width);
  const gint64      *edge = r->edges;
  double             per_ns = r->width / (double) (r->end - r->start);
  gint64             n = 0;

  for (int c = 0; c < r->width; c++)
    cols[c] = (Column){ -1, 0 };
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      gint64 row_start = sqlite3_column_int64 (stmt, 0), row_end = sqlite3_column_int64 (stmt, 1);
      gint64 s = MAX (row_start, r->start), e = MIN (row_end, r->end);
      gint64 key = sqlite3_column_int64 (stmt, 2);
      double weight = 1;
      int    c;

      if (budget > 0 && ++n > budget)
        return FALSE;
      if (e <= s)
        continue;
      if (mode == KEY_WEIGHTED)
        weight = (double) sqlite3_column_int64 (stmt, 3) / (double) MAX (row_end - row_start, 1);
      else if (mode == KEY_GSTATE)
        {
          gint64 reason = sqlite3_column_int64 (stmt, 3);

          /* Per row: a table lookup, not a string comparison. */
          if (key == 2)
            key = reason >= 0 && reason < r->blocked_keys->len ? g_array_index (r->blocked_keys, gint64, reason)
                                                               : weft_lod_goroutine_key (2, 0, NULL);
          else
            key = weft_lod_goroutine_key ((int) key, start_pc, NULL);
        }
      else if (mode == KEY_GOID)
        key = start_pc_of (reader, key);

      /* The column holding @s: the estimate may be one off at the edges
       * of the columns ([edge[c], edge[c + 1]), weft_x_to_time ()). */
      c = CLAMP ((int) ((double) (s - r->start) * per_ns), 0, r->width - 1);
      while (c > 0 && edge[c] > s)
        c--;
      while (c < r->width - 1 && edge[c + 1] <= s)
        c++;
      /* Most rows of a busy view lie within one column. */
      for (; c < r->width && edge[c] < e; c++)
        {
          gint64 overlap = MIN (e, edge[c + 1]) - MAX (s, edge[c]), cover;

          /* Columns narrower than a ns are empty. */
          if (overlap <= 0)
            continue;
          /* Anything at all beats nothing, so no slice disappears. */
          cover = MAX ((gint64) ((double) overlap * weight), 1);
          if (cover > cols[c].cover)
            cols[c] = (Column){ key, cover };
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
  /* @p is the lane's P or M. */
  const struct
  {
    const char *name;
    gint64      value;
  } params[] = { { ":t0", r->start }, { ":t1", r->end }, { ":from", r->start - longest - 1 }, { ":p", p }, { ":m", p }, { ":goid", goid }, { ":start_pc", start_pc }, { ":counter", counter } };
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

static gpointer
lod_key (WeftLodKind kind, gint64 lane)
{
  return GSIZE_TO_POINTER (((gsize) kind << 56) | (gsize) lane);
}

/* The lane's level-of-detail buckets to read for this view (bound into
 * @stmt, a window-lod query), or FALSE when the intervals themselves are
 * few enough: the coarsest level stored whose buckets are no wider than a
 * pixel column, so that a frame reads at most four buckets per column. */
static gboolean
bind_lod (sqlite3_stmt *stmt, const Request *r, WeftLodKind kind, gint64 lane)
{
  const LodLane *l = r->lod != NULL ? g_hash_table_lookup (r->lod, lod_key (kind, lane)) : NULL;
  double         px = (double) (r->end - r->start) / r->width;
  int            level;

  if (l == NULL || stmt == NULL || px < 2)
    return FALSE;
  level = (int) floor (log2 (px));
  if (level < l->base)
    return FALSE;
  level = weft_lod_stored_level (level, l->base, l->top);
  sqlite3_reset (stmt);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":lane"), l->id);
  sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":level"), level);
  /* Floor division: times before the origin have negative buckets. */
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":b0"), r->start >> level);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":b1"), (r->end - 1) >> level);
  return TRUE;
}

/* One lane of intervals: read in full through @window, or sampled through
 * @at (both already bound to the lane) when there are too many. */
static void
fold_lane (sqlite3_stmt *window, sqlite3_stmt *at, Reader *reader, const Request *r, int lane, GArray *runs, KeyMode mode, gint64 start_pc)
{
  if (!fold_intervals (window, reader, r, lane, runs, at != NULL ? DETAIL_BUDGET : 0, mode, start_pc))
    sample_lane (at, r, lane, runs);
}

/* One bar per column: the counter's largest value in it (the sample in
 * force at the left edge counts from there), from its samples (@stmt) or,
 * when zoomed out, its level-of-detail buckets (@lod). */
static double
fold_counter (sqlite3_stmt *stmt, sqlite3_stmt *lod, const Request *r, int lane, int counter, int series, double scale, GArray *bars)
{
  g_autofree double *col_max = g_new0 (double, r->width);
  double             max = 0, value = -1;
  int                last_c = 0;

  if (bind_lod (lod, r, WEFT_LOD_COUNTER, counter))
    stmt = lod;
  else
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
  for (int c = 0, n; c < r->width && scale > 0; c += n)
    {
      for (n = 1; c + n < r->width && col_max[c + n] == col_max[c]; n++)
        ;
      if (col_max[c] >= 0)
        {
          Bar bar = { lane, c, n, MIN (col_max[c] / scale, 1.0), series };
          g_array_append_val (bars, bar);
        }
    }
  return max;
}

/* A frame's lanes, one after the other, are units of work dealt round
 * the parts of a frame: part @part of @n_parts computes every unit whose
 * index is @part modulo @n_parts. */
static gboolean
mine (int *unit, int part, int n_parts)
{
  return (*unit)++ % n_parts == part;
}

/* The runs and bars of one part of a frame, on a reader of its own. */
static Frame *
frame_compute_part (const Request *r, int part, int n_parts, GCancellable *cancellable, GError **error)
{
  Reader        *reader = pool_take (r->pool, error);
  sqlite3_stmt **q;
  Frame         *f;
  double         heap_max, goal_max;
  int            unit = 0;

  if (reader == NULL)
    return NULL;
  q = reader->q;
  f = g_new0 (Frame, 1);
  f->start = r->start;
  f->end = r->end;
  f->width = r->width;
  f->top = r->top;
  f->bottom = r->bottom;
  f->generation = r->generation;
  f->runs = g_array_new (FALSE, FALSE, sizeof (Run));
  f->bars = g_array_new (FALSE, FALSE, sizeof (Bar));

  if (mine (&unit, part, n_parts))
    {
      bind (q[Q_STW], r, r->longest[LANE_STW], 0, 0, 0, 0);
      fold_lane (q[Q_STW], NULL, reader, r, LANE_STW, f->runs, KEY_PLAIN, 0);
      bind (q[Q_GC], r, r->longest[LANE_GC], 0, 0, 0, 0);
      fold_lane (q[Q_GC], NULL, reader, r, LANE_GC, f->runs, KEY_PLAIN, 0);
      bind (q[Q_TASK], r, 0, 0, 0, 0, 0);
      fold_lane (q[Q_TASK], NULL, reader, r, LANE_TASKS, f->runs, KEY_PLAIN, 0);
      bind (q[Q_REGION], r, r->longest[LANE_REGIONS], 0, 0, 0, 0);
      fold_lane (q[Q_REGION], NULL, reader, r, LANE_REGIONS, f->runs, KEY_PLAIN, 0);
    }
  for (int l = LANE_GC_WORKERS; l <= LANE_GC_SWEEP; l++)
    {
      static const char *const kinds[] = { "worker", "assist", "sweep" };

      if (!mine (&unit, part, n_parts))
        continue;

      /* Zoomed out, their union's buckets (weft-lod.c): a Go trace has
       * hundreds of thousands of sweeps and assists. */
      if (bind_lod (q[Q_LOD], r, WEFT_LOD_GC, l - LANE_GC_WORKERS))
        {
          fold_intervals (q[Q_LOD], NULL, r, l, f->runs, 0, KEY_WEIGHTED, 0);
          continue;
        }
      bind (q[Q_GC_SPAN], r, r->longest[l], 0, 0, 0, 0);
      sqlite3_bind_text (q[Q_GC_SPAN], sqlite3_bind_parameter_index (q[Q_GC_SPAN], ":kind"), kinds[l - LANE_GC_WORKERS], -1,
                         SQLITE_STATIC);
      fold_lane (q[Q_GC_SPAN], NULL, reader, r, l, f->runs, KEY_PLAIN, 0);
    }
  for (int p = 0; p < r->n_procs && !g_cancellable_is_cancelled (cancellable); p++)
    {
      if (!r->wanted[p] || !mine (&unit, part, n_parts))
        continue;
      if (bind_lod (q[Q_LOD], r, WEFT_LOD_P, p))
        {
          fold_intervals (q[Q_LOD], NULL, r, LANE_P + p, f->runs, 0, KEY_WEIGHTED, 0);
          continue;
        }
      bind (q[Q_PSTATE], r, 0, p, 0, 0, 0);
      bind (q[Q_AT_PSTATE], r, 0, p, 0, 0, 0);
      fold_lane (q[Q_PSTATE], q[Q_AT_PSTATE], reader, r, LANE_P + p, f->runs, KEY_GOID, 0);
    }
  for (int m = 0; m < r->n_threads && !g_cancellable_is_cancelled (cancellable); m++)
    {
      int lane = LANE_P + r->n_procs + m;

      if (!r->wanted[lane - LANE_P] || !mine (&unit, part, n_parts))
        continue;
      if (bind_lod (q[Q_LOD], r, WEFT_LOD_M, m))
        fold_intervals (q[Q_LOD], NULL, r, lane, f->runs, 0, KEY_WEIGHTED, 0);
      else
        {
          bind (q[Q_MSTATE], r, 0, m, 0, 0, 0);
          fold_lane (q[Q_MSTATE], NULL, reader, r, lane, f->runs, KEY_PLAIN, 0);
        }
    }
  for (guint i = 0; i < r->glanes->len && !g_cancellable_is_cancelled (cancellable); i++)
    {
      const GLane *g = &g_array_index (r->glanes, GLane, i);

      /* A group's header: nothing to read. */
      if (g->goid < 0 || !r->wanted[r->n_procs + r->n_threads + i] || !mine (&unit, part, n_parts))
        continue;
      if (bind_lod (q[Q_LOD], r, WEFT_LOD_GOROUTINE, g->goid))
        {
          fold_intervals (q[Q_LOD], NULL, r, LANE_P + r->n_procs + r->n_threads + (int) i, f->runs, 0, KEY_WEIGHTED, 0);
          continue;
        }
      bind (q[Q_GLANE], r, 0, 0, g->goid, g->start_pc, 0);
      bind (q[Q_AT_GSTATE], r, 0, 0, g->goid, g->start_pc, 0);
      fold_lane (q[Q_GLANE], q[Q_AT_GSTATE], reader, r, LANE_P + r->n_procs + r->n_threads + (int) i, f->runs, KEY_GSTATE,
                 g->start_pc);
    }

  if (!mine (&unit, part, n_parts))
    goto done;
  /* Heap in use against the goal, on the goal's scale when there is one. */
  goal_max = fold_counter (q[Q_COUNTER], q[Q_LOD_COUNTER], r, LANE_HEAP, 2, 1, 0, f->bars);
  heap_max = fold_counter (q[Q_COUNTER], q[Q_LOD_COUNTER], r, LANE_HEAP, 1, 0, goal_max, f->bars);
  if (heap_max > 0 || goal_max > 0)
    {
      g_autofree char *a = g_format_size_full ((guint64) heap_max, G_FORMAT_SIZE_IEC_UNITS);
      g_autofree char *b = g_format_size_full ((guint64) goal_max, G_FORMAT_SIZE_IEC_UNITS);
      /* Translators: the heap chart's legend: largest heap in view / goal. */
      f->heap_label = g_strdup_printf (_ ("%s / goal %s"), a, b);
    }
  f->goroutines_label = g_strdup_printf ("%.0f", fold_counter (q[Q_COUNTER], q[Q_LOD_COUNTER], r, LANE_GOROUTINES, 3, 0, 0, f->bars));
  f->runnable_label = g_strdup_printf ("%.0f", fold_counter (q[Q_COUNTER], q[Q_LOD_COUNTER], r, LANE_RUNNABLE, 4, 0, 0, f->bars));
done:
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    g_clear_pointer (&f, frame_free);
  pool_give (r->pool, reader);
  return f;
}

/* Parts of a frame computed at once, each on a thread and a reader of
 * its own: a frame's latency is that of its slowest part (on a 13.6M-event
 * Go trace the 4 M lanes alone took 7-10 ms of a 14 ms frame). */
#define MAX_PARTS 4

typedef struct
{
  const Request *r;
  int            part, n_parts;
  GCancellable  *cancellable;
  Frame         *frame;
  GError        *error;
} Part;

static gpointer
part_thread (gpointer data)
{
  Part *p = data;

  p->frame = frame_compute_part (p->r, p->part, p->n_parts, p->cancellable, &p->error);
  return NULL;
}

static Frame *
frame_compute (const Request *r, GCancellable *cancellable, GError **error)
{
  Part     parts[MAX_PARTS] = { { 0 } };
  GThread *threads[MAX_PARTS] = { NULL };
  int      n = r->threads;
  GError  *first_error = NULL;
  Frame   *f;

  for (int i = 0; i < n; i++)
    parts[i] = (Part){ r, i, n, cancellable, NULL, NULL };
  for (int i = 1; i < n; i++)
    threads[i] = g_thread_new ("weft-frame", part_thread, &parts[i]);
  part_thread (&parts[0]);
  for (int i = 1; i < n; i++)
    g_thread_join (threads[i]);
  f = parts[0].frame;
  for (int i = 0; i < n; i++)
    {
      /* The first part's error stands for the frame (all are cancelled
       * together). */
      if (parts[i].error != NULL)
        {
          g_clear_pointer (&f, frame_free);
          if (first_error == NULL)
            first_error = g_steal_pointer (&parts[i].error);
          g_clear_error (&parts[i].error);
        }
      if (i == 0 || parts[i].frame == NULL)
        continue;
      if (f != NULL)
        {
          Frame *g = parts[i].frame;

          g_array_append_vals (f->runs, g->runs->data, g->runs->len);
          g_array_append_vals (f->bars, g->bars->data, g->bars->len);
          if (g->heap_label != NULL)
            g_free (f->heap_label), f->heap_label = g_steal_pointer (&g->heap_label);
          if (g->goroutines_label != NULL)
            g_free (f->goroutines_label), f->goroutines_label = g_steal_pointer (&g->goroutines_label);
          if (g->runnable_label != NULL)
            g_free (f->runnable_label), f->runnable_label = g_steal_pointer (&g->runnable_label);
        }
      frame_free (parts[i].frame);
    }
  if (first_error != NULL)
    g_propagate_error (error, first_error);
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
request_new (WeftTimeline *self, int width, int top, int bottom)
{
  Request *r = g_new0 (Request, 1);

  r->pool = pool_ref (self->pool);
  r->start = self->start;
  r->end = self->end;
  r->width = MAX (width, 1);
  r->n_procs = self->n_procs;
  r->n_threads = self->n_threads;
  memcpy (r->longest, self->longest, sizeof r->longest);
  r->glanes = g_array_ref (self->glanes);
  r->lod = self->lod != NULL ? g_hash_table_ref (self->lod) : NULL;
  r->blocked_keys = g_array_ref (self->blocked_keys);
  r->top = top;
  r->bottom = bottom;
  r->generation = self->generation;
  r->threads = self->frame_threads;
  r->edges = g_new (gint64, r->width + 1);
  for (int c = 0; c <= r->width; c++)
    r->edges[c] = weft_x_to_time (c, r->start, r->end, r->width);
  r->wanted = g_new0 (guint8, n_lanes (self) - LANE_P + 1);
  for (int l = LANE_P; l < n_lanes (self); l++)
    r->wanted[l - LANE_P] = lane_y (self, l) < bottom && lane_y (self, l) + lane_height (l) > top;
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
  if (f->generation != self->generation)
    {
      frame_free (f);
      return;
    }
  frame_free (self->frame);
  self->frame = f;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* The rows of the widget in view, and a page above and below so that a
 * scroll finds its lanes ready; all of them outside a scrolled window. */
static void
rows_in_view (WeftTimeline *self, int *top, int *bottom)
{
  if (self->vadjustment == NULL)
    {
      *top = 0;
      *bottom = G_MAXINT / 2;
      return;
    }
  *top = (int) (gtk_adjustment_get_value (self->vadjustment) - gtk_adjustment_get_page_size (self->vadjustment));
  *bottom = (int) (gtk_adjustment_get_value (self->vadjustment) + 2 * gtk_adjustment_get_page_size (self->vadjustment));
}

/* Asks for the frame of the current view and rows, unless the frame shown
 * or the one being computed is that. */
static void
request_frame (WeftTimeline *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH, top, bottom;
  g_autoptr (GTask) task = NULL;
  Frame *f = self->frame;

  if (self->pool == NULL || width <= 0)
    return;
  rows_in_view (self, &top, &bottom);
  if (f != NULL && f->start == self->start && f->end == self->end && f->width == width && f->top <= MAX (top, 0)
      && f->bottom >= MIN (bottom, gtk_widget_get_height (GTK_WIDGET (self))))
    return;
  f = &self->pending;
  if (f->start == self->start && f->end == self->end && f->width == width && f->top <= MAX (top, 0)
      && f->bottom >= MIN (bottom, gtk_widget_get_height (GTK_WIDGET (self))))
    return;
  *f = (Frame){
    .start = self->start, .end = self->end, .width = width, .top = top, .bottom = bottom, .generation = self->generation
  };
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  task = g_task_new (self, self->cancellable, frame_ready, NULL);
  g_task_set_task_data (task, request_new (self, width, top, bottom), (GDestroyNotify) request_free);
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
  static const GdkRGBA workers[] = {
    { 0.96f, 0.47f, 0.0f, 1 },  /* dedicated */
    { 0.98f, 0.62f, 0.25f, 1 }, /* fractional */
    { 0.99f, 0.80f, 0.55f, 1 }, /* idle */
  };

  if (glane (self, run->lane) != NULL)
    return state_color (run->key, dark);
  if (m_lane (self, run->lane) >= 0)
    switch (run->key)
      {
      case 0: /* running a goroutine */
        return (GdkRGBA){ 0.35f, 0.55f, 0.80f, 1 };
      case 3: /* in a system call */
        return (GdkRGBA){ 0.85f, 0.30f, 0.60f, 1 };
      default: /* idle: scheduling or spinning */
        return (GdkRGBA){ 0.70f, 0.70f, 0.72f, 1 };
      }
  switch (run->lane)
    {
    case LANE_STW:
      return (GdkRGBA){ 0.88f, 0.11f, 0.14f, 1 }; /* pauses stand out */
    case LANE_GC:
      return run->key == 2 ? (GdkRGBA){ 0.96f, 0.47f, 0.0f, 1 } : (GdkRGBA){ 0.98f, 0.76f, 0.35f, 1 };
    case LANE_GC_WORKERS:
      return workers[CLAMP (run->key, 1, 3) - 1];
    case LANE_GC_ASSISTS:
      return (GdkRGBA){ 0.80f, 0.20f, 0.35f, 1 };
    case LANE_GC_SWEEP:
      return (GdkRGBA){ 0.13f, 0.64f, 0.64f, 1 };
    default:
      return key_color (run->key, dark);
    }
}

/* Text is laid out once per string and kept (lane names, tick labels,
 * chart legends recur frame after frame): shaping them anew took a few ms
 * of every frame with a hundred lanes. The cache is emptied when the
 * style changes, or when it grows past LAYOUT_CACHE_MAX. */
#define LAYOUT_CACHE_MAX 2048

static void
draw_text (WeftTimeline *self, GtkSnapshot *snapshot, const char *text, float x, float y, const GdkRGBA *color)
{
  PangoLayout *layout = g_hash_table_lookup (self->layouts, text);

  if (layout == NULL)
    {
      if (g_hash_table_size (self->layouts) >= LAYOUT_CACHE_MAX)
        g_hash_table_remove_all (self->layouts);
      layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
      g_hash_table_insert (self->layouts, g_strdup (text), layout);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, color);
  gtk_snapshot_restore (snapshot);
}

static void
weft_timeline_css_changed (GtkWidget *widget, GtkCssStyleChange *change)
{
  GTK_WIDGET_CLASS (weft_timeline_parent_class)->css_changed (widget, change);
  g_hash_table_remove_all (WEFT_TIMELINE (widget)->layouts);
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

/* Draws the rows [@top, @bottom) of the lanes (those in view: in a
 * scrolled window the rest is never seen), the axis and the labels. */
static void
draw (WeftTimeline *self, GtkSnapshot *snapshot, int width, int height, int top, int bottom)
{
  GdkRGBA            fg, bg, grid;
  gboolean           dark;
  int                plot = width - LABEL_WIDTH, n = n_lanes (self), y = AXIS_HEIGHT;
  gint64             step, first_tick;
  Frame             *f = self->frame;
  g_autofree int    *ys = g_new (int, n);
  g_autofree guint8 *shown = g_new0 (guint8, n);

  theme_colors (&fg, &bg, &dark);
  grid = fg;
  grid.alpha = 0.08f;
  if (plot <= 0 || self->end <= self->start)
    return;
  /* Every lane's top (lane_y () of all of them at once), and whether it
   * is in view. */
  for (int l = 0; l < n; l++)
    {
      ys[l] = lane_visible (self, l) ? y : -1;
      if (ys[l] >= 0)
        {
          shown[l] = y < bottom && y + lane_height (l) > top;
          y += lane_height (l) + LANE_GAP;
        }
    }
  step = weft_tick_step (self->end - self->start, plot, 90);
  first_tick = (self->start / step) * step;

  /* Lane backgrounds and the tick lines, under the data. */
  for (int l = 0; l < n; l++)
    if (shown[l])
      gtk_snapshot_append_color (snapshot, &grid, &GRAPHENE_RECT_INIT (LABEL_WIDTH, ys[l], plot, lane_height (l)));
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
          double     x0 = LABEL_WIDTH + shift + run->x0 * scale;
          double     w = MAX ((run->x1 - run->x0) * scale, 1.0);
          GdkRGBA    c;

          /* Out of view: nothing to draw. */
          if (run->lane >= n || !shown[run->lane])
            continue;
          c = run_color (self, run, dark);
          gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (x0, ys[run->lane] + 1, w, LANE_HEIGHT - 2));
        }
      for (guint i = 0; i < f->bars->len; i++)
        {
          const Bar *bar = &g_array_index (f->bars, Bar, i);
          int        by = bar->lane < n && shown[bar->lane] ? ys[bar->lane] : -1;
          double     x0 = LABEL_WIDTH + shift + bar->x * scale;
          double     h = bar->value * (CHART_HEIGHT - 4), w = MAX (bar->n * scale, 1.0);
          GdkRGBA    c = bar->series == 0 ? (GdkRGBA){ 0.21f, 0.52f, 0.89f, 0.8f } : (GdkRGBA){ 0.18f, 0.76f, 0.49f, 1 };

          if (by < 0)
            continue;
          if (bar->series == 0)
            gtk_snapshot_append_color (snapshot, &c,
                                       &GRAPHENE_RECT_INIT (x0, by + CHART_HEIGHT - 2 - h, w, h));
          else /* the goal: a line */
            gtk_snapshot_append_color (snapshot, &c,
                                       &GRAPHENE_RECT_INIT (x0, by + CHART_HEIGHT - 3 - h, w, 2));
        }
      gtk_snapshot_pop (snapshot);
      if (f->heap_label != NULL && shown[LANE_HEAP])
        draw_text (self, snapshot, f->heap_label, LABEL_WIDTH + 4, ys[LANE_HEAP], &fg);
      if (f->goroutines_label != NULL && shown[LANE_GOROUTINES])
        draw_text (self, snapshot, f->goroutines_label, LABEL_WIDTH + 4, ys[LANE_GOROUTINES], &fg);
      if (f->runnable_label != NULL && shown[LANE_RUNNABLE])
        draw_text (self, snapshot, f->runnable_label, LABEL_WIDTH + 4, ys[LANE_RUNNABLE], &fg);
    }

  /* The selected range, over every lane. */
  if (self->sel_start >= 0 && self->sel_end > self->sel_start)
    {
      GdkRGBA sel = { 0.21f, 0.52f, 0.89f, 0.18f };
      GdkRGBA edge = { 0.21f, 0.52f, 0.89f, 0.9f };
      double  x0 = LABEL_WIDTH + weft_time_to_x (self->sel_start, self->start, self->end, plot);
      double  x1 = LABEL_WIDTH + weft_time_to_x (self->sel_end, self->start, self->end, plot);

      x0 = CLAMP (x0, LABEL_WIDTH, width);
      x1 = CLAMP (x1, LABEL_WIDTH, width);
      gtk_snapshot_append_color (snapshot, &sel, &GRAPHENE_RECT_INIT (x0, 0, MAX (x1 - x0, 1), height));
      gtk_snapshot_append_color (snapshot, &edge, &GRAPHENE_RECT_INIT (x0, 0, 1, height));
      gtk_snapshot_append_color (snapshot, &edge, &GRAPHENE_RECT_INIT (x1, 0, 1, height));
    }

  /* Lane names on the left, the time axis on top: ticks at a readable
   * step, labelled in time since the trace start. */
  gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, 0, LABEL_WIDTH, height));
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, 0, LABEL_WIDTH - 4, height));
  for (int l = 0; l < n; l++)
    if (shown[l])
      {
        g_autofree char *name = lane_name (self, l, FALSE);

        draw_text (self, snapshot, name, 6, ys[l] + 2, &fg);
      }
  gtk_snapshot_pop (snapshot);
  for (gint64 t = first_tick; t < self->end; t += step)
    {
      double           x = LABEL_WIDTH + weft_time_to_x (t, self->start, self->end, plot);
      g_autofree char *label = weft_format_tick (t, step);

      if (x < LABEL_WIDTH)
        continue;
      gtk_snapshot_append_color (snapshot, &fg, &GRAPHENE_RECT_INIT (x, AXIS_HEIGHT - 6, 1, 6));
      draw_text (self, snapshot, label, (float) x + 3, 2, &fg);
    }
}

static void
weft_timeline_snapshot (GtkWidget *widget, GtkSnapshot *snapshot)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);
  int           width = gtk_widget_get_width (widget);
  int           top = 0, bottom = gtk_widget_get_height (widget);

  /* Only the rows in view: a scrolled window shows no more. */
  if (self->vadjustment != NULL)
    {
      top = (int) gtk_adjustment_get_value (self->vadjustment);
      bottom = top + (int) ceil (gtk_adjustment_get_page_size (self->vadjustment));
    }
  request_frame (self);
  draw (self, snapshot, width, gtk_widget_get_height (widget), top, bottom);
}

static void
on_vadjustment_changed (GtkAdjustment *adjustment, WeftTimeline *self)
{
  request_frame (self);
}

/* In a scrolled window, only the lanes in view (and a page around) are
 * read, and scrolling asks for the others. */
static void
weft_timeline_root (GtkWidget *widget)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);
  GtkWidget    *scrolled;

  GTK_WIDGET_CLASS (weft_timeline_parent_class)->root (widget);
  scrolled = gtk_widget_get_ancestor (widget, GTK_TYPE_SCROLLED_WINDOW);
  if (scrolled == NULL)
    return;
  self->vadjustment = g_object_ref (gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled)));
  g_signal_connect_object (self->vadjustment, "value-changed", G_CALLBACK (on_vadjustment_changed), self, 0);
  g_signal_connect_object (self->vadjustment, "changed", G_CALLBACK (on_vadjustment_changed), self, 0);
}

static void
weft_timeline_unroot (GtkWidget *widget)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);

  if (self->vadjustment != NULL)
    g_signal_handlers_disconnect_by_data (self->vadjustment, self);
  g_clear_object (&self->vadjustment);
  GTK_WIDGET_CLASS (weft_timeline_parent_class)->unroot (widget);
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

/* The current frame, drawn over the view's background into a texture. */
static GdkTexture *
paint_texture (WeftTimeline *self, int width, int height)
{
  g_autoptr (GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr (GskRenderNode) node = NULL;
  g_autoptr (GBytes) bytes = NULL;
  cairo_surface_t *surface;
  cairo_t         *cr;
  GdkRGBA          fg, bg;
  gboolean         dark;

  theme_colors (&fg, &bg, &dark);
  gtk_snapshot_append_color (snapshot, &bg, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw (self, snapshot, width, height, 0, height);
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

GdkTexture *
weft_timeline_render_texture (WeftTimeline *self, int width, int height)
{
  g_autoptr (GError) error = NULL;
  Request *r;

  g_return_val_if_fail (WEFT_IS_TIMELINE (self), NULL);

  frame_free (self->frame);
  self->frame = NULL;
  if (self->pool != NULL)
    {
      r = request_new (self, width - LABEL_WIDTH, 0, height);
      self->frame = frame_compute (r, NULL, &error);
      request_free (r);
      if (self->frame == NULL)
        g_warning ("timeline: %s", error->message);
    }
  return paint_texture (self, width, height);
}

void
weft_timeline_render_texture_async (WeftTimeline       *self,
                                    int                 width,
                                    int                 height,
                                    GCancellable       *cancellable,
                                    GAsyncReadyCallback callback,
                                    gpointer            data)
{
  g_autoptr (GTask) task = NULL;

  g_return_if_fail (WEFT_IS_TIMELINE (self) && width > LABEL_WIDTH && height > 0);

  task = g_task_new (self, cancellable, callback, data);
  g_task_set_source_tag (task, weft_timeline_render_texture_async);
  if (self->pool == NULL)
    {
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_INITIALIZED, "no trace loaded");
      return;
    }
  /* Every lane, whatever is in view: the texture shows them all. */
  g_task_set_task_data (task, request_new (self, width - LABEL_WIDTH, 0, height), (GDestroyNotify) request_free);
  g_task_run_in_thread (task, frame_thread);
}

GdkTexture *
weft_timeline_render_texture_finish (WeftTimeline *self, GAsyncResult *result, GError **error)
{
  const Request *r;
  Frame         *f;

  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  r = g_task_get_task_data (G_TASK (result));
  if ((f = g_task_propagate_pointer (G_TASK (result), error)) == NULL)
    return NULL;
  if (f->generation != self->generation)
    {
      frame_free (f);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED, "the lanes changed while the texture was rendered");
      return NULL;
    }
  frame_free (self->frame);
  self->frame = f;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return paint_texture (self, r->width + LABEL_WIDTH, r->bottom);
}

/* ------------------------------------------------------------------ navigation */

static void
set_view (WeftTimeline *self, gint64 start, gint64 end)
{
  gint64 span = self->trace_end - self->trace_start;
  /* Never narrower than 100 ns, never wider than the trace. */
  gint64 width = CLAMP (end - start, MIN (100, MAX (span, 1)), MAX (span, 1));

  start = CLAMP (start, self->trace_start, MAX (self->trace_end - width, self->trace_start));
  if (start == self->start && start + width == self->end)
    return;
  self->start = start;
  self->end = start + width;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_START_NS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_END_NS]);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
set_selection (WeftTimeline *self, gint64 start, gint64 end)
{
  /* As given: the properties are set one at a time, so there is a
   * selection only while -1 < start < end. */
  start = MAX (start, -1);
  end = MAX (end, -1);
  if (start == self->sel_start && end == self->sel_end)
    return;
  self->sel_start = start;
  self->sel_end = end;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTION_START_NS]);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTION_END_NS]);
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
weft_timeline_get_trace (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));
  if (start_ns != NULL)
    *start_ns = self->trace_start;
  if (end_ns != NULL)
    *end_ns = self->trace_end;
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

gboolean
weft_timeline_get_selection (WeftTimeline *self, gint64 *start_ns, gint64 *end_ns)
{
  g_return_val_if_fail (WEFT_IS_TIMELINE (self), FALSE);
  *start_ns = self->sel_start;
  *end_ns = self->sel_end;
  return self->sel_start >= 0 && self->sel_end > self->sel_start;
}

void
weft_timeline_set_selection (WeftTimeline *self, gint64 start_ns, gint64 end_ns)
{
  gint64 start, end;

  g_return_if_fail (WEFT_IS_TIMELINE (self));
  start = MAX (MIN (start_ns, end_ns), self->trace_start);
  end = MIN (MAX (start_ns, end_ns), self->trace_end);
  if (end > start)
    set_selection (self, start, end);
  else
    set_selection (self, -1, -1);
  if (end > start)
    g_signal_emit (self, signals[SIGNAL_RANGE_SELECTED], 0, start, end);
}

/* A drag pans, except with Shift or on the time axis, where it selects a
 * range (as in Perfetto). */
static void
on_drag_begin (GtkGestureDrag *gesture, double x, double y, WeftTimeline *self)
{
  GdkModifierType mods = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (gesture));

  self->drag_view_start = self->start;
  self->drag_view_end = self->end;
  self->drag_start_x = x;
  self->selecting = x >= LABEL_WIDTH && ((mods & GDK_SHIFT_MASK) || y < AXIS_HEIGHT);
}

static void
on_drag_update (GtkGestureDrag *gesture, double dx, double dy, WeftTimeline *self)
{
  int    plot = gtk_widget_get_width (GTK_WIDGET (self)) - LABEL_WIDTH;
  gint64 d = (gint64) (dx * (double) (self->drag_view_end - self->drag_view_start) / MAX (plot, 1));

  if (self->selecting)
    set_selection (self, time_at (self, self->drag_start_x + MIN (dx, 0)), time_at (self, self->drag_start_x + MAX (dx, 0)));
  else
    set_view (self, self->drag_view_start - d, self->drag_view_end - d);
}

static void
on_drag_end (GtkGestureDrag *gesture, double dx, double dy, WeftTimeline *self)
{
  if (!self->selecting)
    return;
  self->selecting = FALSE;
  weft_timeline_set_selection (self, self->sel_start, self->sel_end);
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
  sqlite3_stmt *stmt;
  gint64        t = time_at (self, x);
  int           lane = -1;

  gtk_widget_grab_focus (GTK_WIDGET (self));
  for (int l = LANE_P; l < n_lanes (self); l++)
    if (y >= lane_y (self, l) && y < lane_y (self, l) + LANE_HEIGHT)
      lane = l;
  /* A group's header expands or collapses it. */
  if (lane >= 0 && glane (self, lane) != NULL && glane (self, lane)->goid < 0)
    {
      group_toggle (self, glane (self, lane)->group);
      return;
    }
  if (lane < 0 || x < LABEL_WIDTH)
    return;
  /* A goroutine lane's state at @t, or whatever ran on a P or M lane: one
   * index lookup. */
  if (self->store == NULL
      || (stmt = weft_store_prepare_query (self->store,
                                           glane (self, lane) != NULL ? "slice-at-goroutine"
                                           : m_lane (self, lane) >= 0 ? "slice-at-thread"
                                                                      : "slice-at",
                                           NULL))
             == NULL)
    return;
  if (glane (self, lane) != NULL)
    sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":goid"), glane (self, lane)->goid);
  else if (m_lane (self, lane) >= 0)
    sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":m"), m_lane (self, lane));
  else
    sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":p"), lane - LANE_P);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":t"), t);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    g_signal_emit (self, signals[SIGNAL_SLICE_ACTIVATED], 0, sqlite3_column_int64 (stmt, 0),
                   sqlite3_column_int64 (stmt, 1), sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3));
  sqlite3_finalize (stmt);
}

/* A start function's name, or its address when the trace has no symbols:
 * looked up once per function (a tooltip asks at every pointer motion),
 * then kept until the next file. */
static char *
function_name (WeftTimeline *self, gint64 pc)
{
  const char   *known = g_hash_table_lookup (self->functions, &pc);
  sqlite3_stmt *stmt;
  char         *name = NULL;
  gint64       *key;

  if (known != NULL)
    return g_strdup (known);
  if ((stmt = weft_store_prepare (self->store, "SELECT function FROM symbol WHERE pc = ?", NULL)) == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, pc);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_text (stmt, 0) != NULL)
    name = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  if (name == NULL)
    name = g_strdup_printf ("0x%" G_GINT64_MODIFIER "x", pc);
  key = g_memdup2 (&pc, sizeof pc);
  g_hash_table_insert (self->functions, key, g_strdup (name));
  return name;
}

/* What a run of @lane with @key shows, in words. */
static char *
describe (WeftTimeline *self, int lane, gint64 key)
{
  static const char *const categories[] = { N_ ("other"), N_ ("channel"), N_ ("sync"), N_ ("network"),
                                            N_ ("sleep"), N_ ("GC"), N_ ("other") };

  if (glane (self, lane) != NULL)
    switch (key >> 56)
      {
      case 0:
        {
          g_autofree char *f = function_name (self, key);
          /* Translators: a goroutine lane's state; %s is its function. */
          return g_strdup_printf (_ ("running %s"), f);
        }
      case 1:
        return g_strdup (_ ("runnable"));
      case 2:
        /* Translators: a goroutine blocked on a channel, a mutex... */
        return g_strdup_printf (_ ("blocked (%s)"), _ (categories[MIN (key & 0xff, G_N_ELEMENTS (categories) - 1)]));
      default:
        return g_strdup (_ ("in a system call"));
      }
  if (m_lane (self, lane) >= 0)
    return g_strdup (key == 0 ? _ ("running a goroutine") : key == 3 ? _ ("in a system call")
                                                                     : _ ("idle"));
  if (lane >= LANE_P)
    return function_name (self, key);
  switch (lane)
    {
    case LANE_STW:
      return g_strdup (_ ("the world stopped"));
    case LANE_GC:
      return g_strdup (key == 2 ? _ ("GC cycle, marking") : _ ("GC cycle"));
    case LANE_GC_WORKERS:
      return g_strdup (key == 1 ? _ ("dedicated mark worker") : key == 2 ? _ ("fractional mark worker")
                                                                         : _ ("idle mark worker"));
    case LANE_GC_ASSISTS:
      return g_strdup (_ ("mark assist"));
    case LANE_GC_SWEEP:
      return g_strdup (_ ("sweeping"));
    case LANE_TASKS:
    case LANE_REGIONS:
      {
        g_autofree char *id = g_strdup_printf ("%" G_GINT64_FORMAT, key);

        /* Translators: %s is a task id. */
        return g_strdup_printf (lane == LANE_TASKS ? _ ("task %s") : _ ("regions of task %s"), id);
      }
    default:
      return NULL;
    }
}

/* Hovering a lane tells what the frame shows there and when. */
static gboolean
on_query_tooltip (GtkWidget *widget, int x, int y, gboolean keyboard, GtkTooltip *tooltip, gpointer data)
{
  WeftTimeline    *self = WEFT_TIMELINE (widget);
  Frame           *f = self->frame;
  int              plot = gtk_widget_get_width (widget) - LABEL_WIDTH, lane = -1;
  g_autofree char *what = NULL, *name = NULL, *when = NULL;
  gint64           t;

  for (int l = 0; l < n_lanes (self); l++)
    if (lane_y (self, l) >= 0 && y >= lane_y (self, l) && y < lane_y (self, l) + lane_height (l))
      lane = l;
  if (lane < 0 || plot <= 0 || self->store == NULL)
    return FALSE;
  name = lane_name (self, lane, FALSE);
  if (x < LABEL_WIDTH)
    {
      gtk_tooltip_set_text (tooltip, name);
      return TRUE;
    }
  t = time_at (self, x);
  /* The frame may be one drawn stretched from an older view. */
  if (f != NULL && t >= f->start && t < f->end)
    {
      int col = (int) weft_time_to_x (t, f->start, f->end, f->width);

      for (guint i = 0; i < f->runs->len && what == NULL; i++)
        {
          const Run *run = &g_array_index (f->runs, Run, i);

          if (run->lane == lane && col >= run->x0 && col < run->x1)
            what = describe (self, lane, (gint64) run->key);
        }
    }
  when = weft_format_tick (t, MAX (weft_tick_step (self->end - self->start, plot, 90) / 100, 1));
  if (what != NULL)
    {
      g_autofree char *text = g_strdup_printf ("%s: %s\n%s", name, what, when);

      gtk_tooltip_set_text (tooltip, text);
    }
  else
    gtk_tooltip_set_text (tooltip, name);
  return TRUE;
}

/* The keys: widget class bindings, so that the shortcuts window's test
 * finds them (@param: the zoom factor or the pan fraction). */
static gboolean
key_zoom (GtkWidget *widget, GVariant *param, gpointer data)
{
  weft_timeline_zoom (WEFT_TIMELINE (widget), g_variant_get_double (param));
  return TRUE;
}

static gboolean
key_pan (GtkWidget *widget, GVariant *param, gpointer data)
{
  weft_timeline_pan (WEFT_TIMELINE (widget), g_variant_get_double (param));
  return TRUE;
}

static gboolean
key_fit (GtkWidget *widget, GVariant *param, gpointer data)
{
  weft_timeline_zoom_fit (WEFT_TIMELINE (widget));
  return TRUE;
}

static gboolean
key_zoom_selection (GtkWidget *widget, GVariant *param, gpointer data)
{
  WeftTimeline *self = WEFT_TIMELINE (widget);

  if (self->sel_start >= 0 && self->sel_end > self->sel_start)
    weft_timeline_zoom_to (self, self->sel_start, self->sel_end);
  return TRUE;
}

static gboolean
key_clear_selection (GtkWidget *widget, GVariant *param, gpointer data)
{
  set_selection (WEFT_TIMELINE (widget), -1, -1);
  return TRUE;
}

static void
add_keys (GtkWidgetClass *widget_class)
{
  gtk_widget_class_add_binding (widget_class, GDK_KEY_w, 0, key_zoom, "d", 1.5);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_s, 0, key_zoom, "d", 1 / 1.5);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_a, 0, key_pan, "d", -0.2);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_d, 0, key_pan, "d", 0.2);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_f, 0, key_fit, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_0, 0, key_fit, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_z, 0, key_zoom_selection, NULL);
  gtk_widget_class_add_binding (widget_class, GDK_KEY_Escape, 0, key_clear_selection, NULL);
}

/* ------------------------------------------------------------------ loading
 *
 * What the lanes need to know of a file (its span, Ps and Ms, which fixed
 * lanes have data, the longest intervals, the level-of-detail lanes, every
 * goroutine group) is read on a worker when it opens: listing the groups
 * of a 9M-goroutine trace alone takes 0.4–1 s. Until it arrives the
 * timeline is empty. */

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

typedef struct
{
  int         n_procs, n_threads;
  gboolean    shown[LANE_P];
  gint64      longest[LANE_P];
  GArray     *blocked_keys; /* of gint64 */
  GHashTable *lod;          /* NULL: the file has no level of detail */
  GPtrArray  *groups;       /* of Group, collapsed */
} FileInfo;

static void
file_info_free (FileInfo *info)
{
  g_clear_pointer (&info->blocked_keys, g_array_unref);
  g_clear_pointer (&info->lod, g_hash_table_unref);
  g_clear_pointer (&info->groups, g_ptr_array_unref);
  g_free (info);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (FileInfo, file_info_free)

static void
cancel_task (GCancellable **cancellable)
{
  if (*cancellable == NULL)
    return;
  g_cancellable_cancel (*cancellable);
  g_clear_object (cancellable);
}

static int
interrupted (void *cancellable)
{
  return g_cancellable_is_cancelled (cancellable);
}

static FileInfo *
file_info_read (WeftStore *store, GCancellable *cancellable, GError **error)
{
  g_autoptr (FileInfo) info = g_new0 (FileInfo, 1);
  sqlite3_stmt *stmt;

  sqlite3_progress_handler (weft_store_get_db (store), 10000, interrupted, cancellable);
  info->n_procs = (int) MAX (scalar (store, "SELECT MAX(p) + 1 FROM gstate WHERE state = 0"),
                             weft_store_get_meta_int (store, "nprocs", 0));
  info->blocked_keys = g_array_new (FALSE, TRUE, sizeof (gint64));
  if ((stmt = weft_store_prepare (store, "SELECT reason, category FROM wait_reason WHERE reason BETWEEN 0 AND 4095", error))
      == NULL)
    return NULL;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      guint reason = (guint) sqlite3_column_int (stmt, 0);

      if (reason >= info->blocked_keys->len)
        {
          guint from = info->blocked_keys->len;

          g_array_set_size (info->blocked_keys, reason + 1);
          for (guint i = from; i < reason; i++)
            g_array_index (info->blocked_keys, gint64, i) = weft_lod_goroutine_key (2, 0, NULL);
        }
      g_array_index (info->blocked_keys, gint64, reason)
          = weft_lod_goroutine_key (2, 0, (const char *) sqlite3_column_text (stmt, 1));
    }
  sqlite3_finalize (stmt);
  if (scalar (store, "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE name = 'lod_lane')"))
    {
      if ((stmt = weft_store_prepare (store, "SELECT kind, lane, id, base_level, top_level FROM lod_lane", error)) == NULL)
        return NULL;
      info->lod = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
      while (sqlite3_step (stmt) == SQLITE_ROW)
        {
          LodLane *l = g_new (LodLane, 1);

          *l = (LodLane){ sqlite3_column_int64 (stmt, 2), sqlite3_column_int (stmt, 3), sqlite3_column_int (stmt, 4) };
          g_hash_table_insert (info->lod, lod_key (sqlite3_column_int (stmt, 0), sqlite3_column_int64 (stmt, 1)), l);
        }
      sqlite3_finalize (stmt);
    }
  info->n_threads = (int) scalar (store, "SELECT MAX(m) + 1 FROM mstate");
  /* STW and GC always show (an empty lane says there was none); the
   * others only when the trace has something for them. */
  info->shown[LANE_STW] = info->shown[LANE_GC] = TRUE;
  info->shown[LANE_GC_WORKERS] = scalar (store, "SELECT EXISTS (SELECT 1 FROM gc_span WHERE kind = 'worker')");
  info->shown[LANE_GC_ASSISTS] = scalar (store, "SELECT EXISTS (SELECT 1 FROM gc_span WHERE kind = 'assist')");
  info->shown[LANE_GC_SWEEP] = scalar (store, "SELECT EXISTS (SELECT 1 FROM gc_span WHERE kind = 'sweep')");
  info->shown[LANE_HEAP] = scalar (store, "SELECT EXISTS (SELECT 1 FROM counter_sample WHERE counter IN (1, 2))");
  info->shown[LANE_GOROUTINES] = scalar (store, "SELECT EXISTS (SELECT 1 FROM counter_sample WHERE counter = 3)");
  info->shown[LANE_RUNNABLE] = scalar (store, "SELECT EXISTS (SELECT 1 FROM counter_sample WHERE counter = 4)");
  info->shown[LANE_TASKS] = scalar (store, "SELECT EXISTS (SELECT 1 FROM task)");
  info->shown[LANE_REGIONS] = scalar (store, "SELECT EXISTS (SELECT 1 FROM region)");
  /* Lanes whose intervals overlap are read from :t0 minus their longest:
   * each GC lane its own kind's, through the (kind, start) index (a Go
   * trace's assists last up to 160 ms, its sweeps 4 ms: with the longest
   * of all, a sweep lane 16 ms wide read 10 times its rows). */
  info->longest[LANE_STW] = scalar (store, "SELECT MAX(end_ns - start_ns) FROM stw");
  info->longest[LANE_GC] = MAX (scalar (store, "SELECT MAX(COALESCE(end_ns, (SELECT value FROM meta WHERE key = 'end_ns')) "
                                               "- start_ns) FROM gc_cycle"),
                                scalar (store, "SELECT MAX(end_ns - start_ns) FROM gc_span WHERE kind = 'mark'"));
  info->longest[LANE_GC_WORKERS] = scalar (store, "SELECT MAX(end_ns - start_ns) FROM gc_span WHERE kind = 'worker'");
  info->longest[LANE_GC_ASSISTS] = scalar (store, "SELECT MAX(end_ns - start_ns) FROM gc_span WHERE kind = 'assist'");
  info->longest[LANE_GC_SWEEP] = scalar (store, "SELECT MAX(end_ns - start_ns) FROM gc_span WHERE kind = 'sweep'");
  info->longest[LANE_REGIONS] = scalar (store, "SELECT MAX(end_ns - start_ns) FROM region");
  /* Every start function, collapsed: expanding one reads its goroutines
   * (both through the index on start_pc). */
  if ((stmt = weft_store_prepare_query (store, "goroutine-groups", error)) == NULL)
    return NULL;
  info->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    g_ptr_array_add (info->groups, group_new (sqlite3_column_int64 (stmt, 0), (const char *) sqlite3_column_text (stmt, 1),
                                              sqlite3_column_int64 (stmt, 2)));
  sqlite3_finalize (stmt);
  sqlite3_progress_handler (weft_store_get_db (store), 0, NULL, NULL);
  if (g_cancellable_set_error_if_cancelled (cancellable, error))
    return NULL;
  return g_steal_pointer (&info);
}

static void
load_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  GError *error = NULL;
  g_autoptr (WeftStore) store = weft_store_open (data, WEFT_STORE_OPEN_READ_ONLY, &error);
  FileInfo *info = store != NULL ? file_info_read (store, cancellable, &error) : NULL;

  if (info == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, info, (GDestroyNotify) file_info_free);
}

/* A copy of every group, collapsed. */
static GPtrArray *
all_groups (WeftTimeline *self)
{
  GPtrArray *groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);

  for (guint i = 0; self->all_groups != NULL && i < self->all_groups->len; i++)
    {
      const Group *g = g_ptr_array_index (self->all_groups, i);

      g_ptr_array_add (groups, group_new (g->start_pc, g->function, g->count));
    }
  return groups;
}

static void set_groups (WeftTimeline *self, GPtrArray *groups);

static void
load_done (GObject *source, GAsyncResult *result, gpointer data)
{
  WeftTimeline *self = WEFT_TIMELINE (source);
  g_autoptr (GError) error = NULL;
  FileInfo *info = g_task_propagate_pointer (G_TASK (result), &error);

  self->busy--;
  /* Cancelled: a newer load owns self->loading. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->loading);
  if (info == NULL)
    {
      g_warning ("timeline: %s", error->message);
      return;
    }
  self->n_procs = info->n_procs;
  self->n_threads = info->n_threads;
  memcpy (self->shown, info->shown, sizeof self->shown);
  memcpy (self->longest, info->longest, sizeof self->longest);
  /* New arrays: frames being computed keep the ones they were asked for. */
  g_array_unref (self->blocked_keys);
  self->blocked_keys = g_steal_pointer (&info->blocked_keys);
  g_clear_pointer (&self->lod, g_hash_table_unref);
  self->lod = g_steal_pointer (&info->lod);
  g_clear_pointer (&self->all_groups, g_ptr_array_unref);
  self->all_groups = g_steal_pointer (&info->groups);
  g_clear_pointer (&self->pool, pool_unref);
  self->pool = pool_new (self->path, self->lod != NULL);
  file_info_free (info);
  /* Every goroutine group, collapsed; then what was asked for while the
   * file loaded. */
  set_groups (self, all_groups (self));
  if (self->pending_filter != NULL)
    {
      g_autofree char *query = g_steal_pointer (&self->pending_filter);

      weft_timeline_set_filter (self, query);
    }
  else if (self->pending_goid >= 0)
    weft_timeline_reveal_goroutine (self, self->pending_goid, self->pending_ts);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

gboolean
weft_timeline_load (WeftTimeline *self, const char *path, GError **error)
{
  WeftStore *store;
  g_autoptr (GTask) task = NULL;

  g_return_val_if_fail (WEFT_IS_TIMELINE (self) && path != NULL, FALSE);

  /* The main thread's connection (a click, a tooltip); opening checks
   * the file is a Weft database it can read. */
  if ((store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, error)) == NULL)
    return FALSE;
  g_clear_pointer (&self->store, weft_store_free);
  self->store = store;
  g_hash_table_remove_all (self->functions);
  cancel_task (&self->loading);
  cancel_task (&self->search);
  cancel_task (&self->reveal);
  g_clear_pointer (&self->pending_filter, g_free);
  self->pending_goid = -1;
  g_clear_pointer (&self->pool, pool_unref);
  g_clear_pointer (&self->all_groups, g_ptr_array_unref);
  g_free (self->path);
  self->path = g_strdup (path);
  /* The span at once (two point lookups): a view or a selection set
   * while the rest loads is clamped to it. */
  self->trace_start = weft_store_get_meta_int (store, "start_ns", 0);
  self->trace_end = MAX (weft_store_get_meta_int (store, "end_ns", 0), self->trace_start + 1);
  weft_timeline_zoom_fit (self);
  set_groups (self, g_ptr_array_new_with_free_func ((GDestroyNotify) group_free));
  self->loading = g_cancellable_new ();
  self->busy++;
  task = g_task_new (self, self->loading, load_done, NULL);
  g_task_set_task_data (task, g_strdup (path), g_free);
  g_task_run_in_thread (task, load_thread);
  return TRUE;
}

/* The lanes changed: frames of the old ones are of no use. */
static void
invalidate (WeftTimeline *self)
{
  self->generation++;
  self->pending = (Frame){ 0 };
  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  frame_free (self->frame);
  self->frame = NULL;
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

/* The goroutine lanes of the groups as they are now. A new array: a
 * frame being computed keeps the one it was asked for. */
static void
rebuild_lanes (WeftTimeline *self)
{
  GArray *lanes = g_array_new (FALSE, FALSE, sizeof (GLane));

  g_array_set_clear_func (lanes, glane_clear);
  for (guint i = 0; i < self->groups->len; i++)
    {
      Group *group = g_ptr_array_index (self->groups, i);
      GLane  header = { -1, group->start_pc, NULL, i };

      header.label = g_strdup_printf ("%s %s (%" G_GINT64_FORMAT ")", group->expanded ? "▾" : "▸", group->function,
                                      group->count);
      g_array_append_val (lanes, header);
      for (guint k = 0; group->expanded && group->members != NULL && k < group->members->len; k++)
        {
          GLane member = g_array_index (group->members, GLane, k);

          member.label = g_strdup (member.label);
          g_array_append_val (lanes, member);
        }
    }
  g_array_unref (self->glanes);
  self->glanes = lanes;
  invalidate (self);
}

/* Replaces the groups shown (taking @groups): lookups of the old ones
 * that are still running are dropped when they end. */
static void
set_groups (WeftTimeline *self, GPtrArray *groups)
{
  g_ptr_array_unref (self->groups);
  self->groups = groups;
  self->groups_serial++;
  rebuild_lanes (self);
}

/* ------------------------------------------------------------------ lookups
 *
 * Expanding a group reads its first goroutines (up to 6 ms on a 9M-
 * goroutine trace), and a reveal also looks its goroutine and slice up:
 * both on a worker with a reader of the pool. Their result applies to the
 * groups they were asked for (groups_serial); a reveal is cancelled by
 * the next one, a search or a load. */

typedef struct
{
  Pool  *pool;
  gint64 goid; /* a reveal's goroutine, -1 to expand the group of start_pc */
  gint64 start_pc;
  gint64 ts;
  guint  serial;
} LookupJob;

typedef struct
{
  gint64   start_pc;
  char    *function, *name; /* the revealed goroutine's */
  gboolean found;           /* the goroutine exists */
  GArray  *members;         /* of GLane, group index 0 */
  gboolean has_slice;
  gint64   slice_start, slice_end;
} Lookup;

static void
lookup_job_free (LookupJob *job)
{
  pool_unref (job->pool);
  g_free (job);
}

static void
lookup_free (Lookup *l)
{
  g_free (l->function);
  g_free (l->name);
  g_clear_pointer (&l->members, g_array_unref);
  g_free (l);
}

static GArray *
read_members (sqlite3_stmt *stmt, gint64 start_pc)
{
  GArray *members = g_array_new (FALSE, FALSE, sizeof (GLane));

  g_array_set_clear_func (members, glane_clear);
  sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":start_pc"), start_pc);
  sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), WEFT_TIMELINE_MAX_GOROUTINE_LANES);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      GLane g = member_new (sqlite3_column_int64 (stmt, 0), start_pc, (const char *) sqlite3_column_text (stmt, 1), 0);

      g_array_append_val (members, g);
    }
  return members;
}

static void
lookup_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  LookupJob    *job = data;
  GError       *error = NULL;
  Reader       *reader = pool_take (job->pool, &error);
  Lookup       *l;
  sqlite3_stmt *stmt = NULL;

  if (reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  l = g_new0 (Lookup, 1);
  l->start_pc = job->start_pc;
  l->found = job->goid < 0;
  if (job->goid >= 0 && (stmt = weft_store_prepare_query (reader->store, "goroutine-lane", &error)) != NULL)
    {
      sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":goid"), job->goid);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          l->found = TRUE;
          l->function = g_strdup ((const char *) sqlite3_column_text (stmt, 1));
          l->start_pc = sqlite3_column_int64 (stmt, 2);
          l->name = g_strdup ((const char *) sqlite3_column_text (stmt, 3));
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  if (error == NULL && l->found && (stmt = weft_store_prepare_query (reader->store, "goroutine-group", &error)) != NULL)
    {
      l->members = read_members (stmt, l->start_pc);
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  if (error == NULL && job->goid >= 0
      && (stmt = weft_store_prepare_query (reader->store, "slice-at-goroutine", &error)) != NULL)
    {
      sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":goid"), job->goid);
      sqlite3_bind_int64 (stmt, sqlite3_bind_parameter_index (stmt, ":t"), job->ts);
      if ((l->has_slice = sqlite3_step (stmt) == SQLITE_ROW))
        {
          l->slice_start = sqlite3_column_int64 (stmt, 1);
          l->slice_end = sqlite3_column_int64 (stmt, 2);
        }
      g_clear_pointer (&stmt, sqlite3_finalize);
    }
  pool_give (job->pool, reader);
  if (error != NULL)
    {
      lookup_free (l);
      g_task_return_error (task, error);
    }
  else
    g_task_return_pointer (task, l, (GDestroyNotify) lookup_free);
}

static void
lookup_start (WeftTimeline *self, gint64 goid, gint64 start_pc, gint64 ts, GCancellable *cancellable, GAsyncReadyCallback done)
{
  LookupJob *job = g_new0 (LookupJob, 1);
  g_autoptr (GTask) task = NULL;

  job->pool = pool_ref (self->pool);
  job->goid = goid;
  job->start_pc = start_pc;
  job->ts = ts;
  job->serial = self->groups_serial;
  self->busy++;
  task = g_task_new (self, cancellable, done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) lookup_job_free);
  g_task_run_in_thread (task, lookup_thread);
}

/* The group of @start_pc, or -1. */
static int
group_index (WeftTimeline *self, gint64 start_pc)
{
  for (guint i = 0; i < self->groups->len; i++)
    if (((Group *) g_ptr_array_index (self->groups, i))->start_pc == start_pc)
      return (int) i;
  return -1;
}

/* Gives group @index the members @l read, unless it has some already. */
static void
group_set_members (WeftTimeline *self, guint index, Lookup *l)
{
  Group *group = g_ptr_array_index (self->groups, index);

  if (group->members != NULL || l->members == NULL)
    return;
  group->members = g_steal_pointer (&l->members);
  for (guint k = 0; k < group->members->len; k++)
    g_array_index (group->members, GLane, k).group = index;
}

/* Propagates a lookup, or NULL when it is of no use any more. */
static Lookup *
lookup_finish (WeftTimeline *self, GAsyncResult *result)
{
  g_autoptr (GError) error = NULL;
  Lookup          *l = g_task_propagate_pointer (G_TASK (result), &error);
  const LookupJob *job = g_task_get_task_data (G_TASK (result));

  self->busy--;
  if (l == NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    g_warning ("timeline: %s", error->message);
  if (l != NULL && job->serial != self->groups_serial)
    g_clear_pointer (&l, lookup_free);
  return l;
}

static void
expand_done (GObject *source, GAsyncResult *result, gpointer data)
{
  WeftTimeline *self = WEFT_TIMELINE (source);
  Lookup       *l = lookup_finish (self, result);
  int           index;

  if (l == NULL)
    return;
  if ((index = group_index (self, l->start_pc)) >= 0)
    {
      group_set_members (self, (guint) index, l);
      rebuild_lanes (self);
    }
  lookup_free (l);
}

/* Expands or collapses a group, reading its goroutines the first time
 * (the header shows it expanded at once, its lanes come with them). */
static void
group_toggle (WeftTimeline *self, guint index)
{
  Group *group = g_ptr_array_index (self->groups, index);

  group->expanded = !group->expanded;
  if (group->expanded && group->members == NULL && self->pool != NULL)
    lookup_start (self, -1, group->start_pc, 0, NULL, expand_done);
  rebuild_lanes (self);
}

/* ------------------------------------------------------------------ search
 *
 * A search reads every goroutine (id, start function, name, state: 2 s
 * for the 9M goroutines of a 315 MB Go trace), so it runs on a worker
 * with a reader of the pool, cancelled by the next search, a listing of
 * the groups or a reveal; its groups replace the shown ones when it ends. */

typedef struct
{
  Pool *pool;
  char *query;
} SearchJob;

static void
search_job_free (SearchJob *job)
{
  pool_unref (job->pool);
  g_free (job->query);
  g_free (job);
}

/* The matches, grouped (the query orders them by start function),
 * expanded. */
static void
search_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  SearchJob    *job = data;
  GError       *error = NULL;
  Reader       *reader = pool_take (job->pool, &error);
  GPtrArray    *groups;
  sqlite3_stmt *stmt;
  sqlite3      *db;

  if (reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  if ((stmt = weft_store_prepare_query (reader->store, "goroutine-search", &error)) == NULL)
    {
      pool_give (job->pool, reader);
      g_task_return_error (task, error);
      return;
    }
  groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  db = weft_store_get_db (reader->store);
  sqlite3_progress_handler (db, 10000, interrupted, cancellable);
  sqlite3_bind_text (stmt, sqlite3_bind_parameter_index (stmt, ":query"), job->query, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int (stmt, sqlite3_bind_parameter_index (stmt, ":limit"), WEFT_TIMELINE_MAX_GOROUTINE_LANES);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Group *group = groups->len > 0 ? g_ptr_array_index (groups, groups->len - 1) : NULL;
      gint64 pc = sqlite3_column_int64 (stmt, 2);
      GLane  g;

      if (group == NULL || group->start_pc != pc)
        {
          group = group_new (pc, (const char *) sqlite3_column_text (stmt, 1), 0);
          group->members = g_array_new (FALSE, FALSE, sizeof (GLane));
          g_array_set_clear_func (group->members, glane_clear);
          group->expanded = TRUE;
          g_ptr_array_add (groups, group);
        }
      g = member_new (sqlite3_column_int64 (stmt, 0), pc, (const char *) sqlite3_column_text (stmt, 3), groups->len - 1);
      g_array_append_val (group->members, g);
      group->count++;
    }
  sqlite3_finalize (stmt);
  sqlite3_progress_handler (db, 0, NULL, NULL);
  pool_give (job->pool, reader);
  if (g_task_return_error_if_cancelled (task))
    g_ptr_array_unref (groups);
  else
    g_task_return_pointer (task, groups, (GDestroyNotify) g_ptr_array_unref);
}

static void
search_done (GObject *source, GAsyncResult *result, gpointer data)
{
  WeftTimeline *self = WEFT_TIMELINE (source);
  g_autoptr (GError) error = NULL;
  GPtrArray *groups = g_task_propagate_pointer (G_TASK (result), &error);

  self->busy--;
  /* Cancelled: the search that replaced it owns self->search. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  g_clear_object (&self->search);
  if (groups == NULL)
    {
      g_warning ("search: %s", error->message);
      return;
    }
  set_groups (self, groups);
}

/* A search (weft_timeline_set_filter) needs the pool, which the load
 * makes: one asked for while the file loads starts when it is loaded. */
static void
search_start (WeftTimeline *self, const char *query)
{
  SearchJob *job = g_new0 (SearchJob, 1);
  g_autoptr (GTask) task = NULL;

  job->pool = pool_ref (self->pool);
  job->query = g_strdup (query);
  self->search = g_cancellable_new ();
  self->busy++;
  task = g_task_new (self, self->search, search_done, NULL);
  g_task_set_task_data (task, job, (GDestroyNotify) search_job_free);
  g_task_run_in_thread (task, search_thread);
}

void
weft_timeline_set_filter (WeftTimeline *self, const char *query)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));

  cancel_task (&self->search);
  cancel_task (&self->reveal);
  g_clear_pointer (&self->pending_filter, g_free);
  if (query != NULL && *query != '\0')
    {
      /* While the file loads, it starts once the pool is there. */
      if (self->pool != NULL)
        search_start (self, query);
      else
        self->pending_filter = g_strdup (query);
      return;
    }
  set_groups (self, all_groups (self));
}

gboolean
weft_timeline_is_busy (WeftTimeline *self)
{
  g_return_val_if_fail (WEFT_IS_TIMELINE (self), FALSE);

  return self->busy > 0;
}

void
weft_timeline_wait (WeftTimeline *self)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));

  while (self->busy > 0)
    g_main_context_iteration (NULL, TRUE);
}

void
weft_timeline_set_frame_threads (WeftTimeline *self, int n)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));

  self->frame_threads = n > 0 ? MIN (n, MAX_PARTS) : CLAMP ((int) g_get_num_processors (), 1, MAX_PARTS);
}

guint
weft_timeline_get_n_goroutine_lanes (WeftTimeline *self)
{
  guint n = 0;

  g_return_val_if_fail (WEFT_IS_TIMELINE (self), 0);
  for (guint i = 0; i < self->glanes->len; i++)
    n += g_array_index (self->glanes, GLane, i).goid >= 0;
  return n;
}

/* The lane of goroutine @goid, or -1. */
static int
goroutine_lane (WeftTimeline *self, gint64 goid)
{
  for (guint i = 0; i < self->glanes->len; i++)
    if (g_array_index (self->glanes, GLane, i).goid == goid)
      return LANE_P + self->n_procs + self->n_threads + (int) i;
  return -1;
}

static void
reveal_done (GObject *source, GAsyncResult *result, gpointer data)
{
  WeftTimeline    *self = WEFT_TIMELINE (source);
  Lookup          *l = lookup_finish (self, result);
  const LookupJob *job = g_task_get_task_data (G_TASK (result));
  GtkWidget       *scrolled;
  gint64           span;
  int              lane;

  if (l == NULL)
    return;
  g_clear_object (&self->reveal);
  /* Not shown: into its group (added if the search left it out),
   * expanded. */
  if (l->found && goroutine_lane (self, job->goid) < 0)
    {
      int    index = group_index (self, l->start_pc);
      Group *group;

      if (index < 0)
        {
          g_ptr_array_add (self->groups, group_new (l->start_pc, l->function, 1));
          index = (int) self->groups->len - 1;
        }
      group = g_ptr_array_index (self->groups, index);
      group_set_members (self, (guint) index, l);
      group->expanded = TRUE;
      rebuild_lanes (self);
      if (goroutine_lane (self, job->goid) < 0)
        {
          GLane g = member_new (job->goid, l->start_pc, l->name, (guint) index);

          if (group->members == NULL)
            {
              group->members = g_array_new (FALSE, FALSE, sizeof (GLane));
              g_array_set_clear_func (group->members, glane_clear);
            }
          g_array_append_val (group->members, g);
          rebuild_lanes (self);
        }
    }
  lane = goroutine_lane (self, job->goid);

  /* The slice at the time asked for becomes the selection, in view. */
  if (l->has_slice)
    set_selection (self, l->slice_start, l->slice_end);
  span = self->end - self->start;
  if (job->ts < self->start || job->ts >= self->end)
    set_view (self, job->ts - span / 2, job->ts + span / 2);

  /* And the lane scrolled to, when a scrolled window holds the timeline. */
  scrolled = gtk_widget_get_ancestor (GTK_WIDGET (self), GTK_TYPE_SCROLLED_WINDOW);
  if (lane >= 0 && scrolled != NULL)
    {
      GtkAdjustment *adj = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));

      gtk_adjustment_clamp_page (adj, lane_y (self, lane) - AXIS_HEIGHT, lane_y (self, lane) + LANE_HEIGHT);
    }
  lookup_free (l);
}

void
weft_timeline_reveal_goroutine (WeftTimeline *self, gint64 goid, gint64 ts_ns)
{
  g_return_if_fail (WEFT_IS_TIMELINE (self));

  /* A search still running would replace the lanes this sets up. */
  cancel_task (&self->search);
  cancel_task (&self->reveal);
  g_clear_pointer (&self->pending_filter, g_free);
  self->pending_goid = -1;
  /* While the file loads, it starts once the pool is there. */
  if (self->pool == NULL)
    {
      self->pending_goid = goid;
      self->pending_ts = ts_ns;
      return;
    }
  self->reveal = g_cancellable_new ();
  lookup_start (self, goid, -1, ts_ns, self->reveal, reveal_done);
}

/* ------------------------------------------------------------------ GObject */

static void
weft_timeline_dispose (GObject *object)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  cancel_task (&self->loading);
  cancel_task (&self->search);
  cancel_task (&self->reveal);
  G_OBJECT_CLASS (weft_timeline_parent_class)->dispose (object);
}

static void
weft_timeline_finalize (GObject *object)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  frame_free (self->frame);
  g_array_unref (self->glanes);
  g_ptr_array_unref (self->groups);
  g_clear_pointer (&self->all_groups, g_ptr_array_unref);
  g_free (self->pending_filter);
  g_hash_table_unref (self->layouts);
  g_hash_table_unref (self->functions);
  g_clear_pointer (&self->lod, g_hash_table_unref);
  g_array_unref (self->blocked_keys);
  g_clear_pointer (&self->pool, pool_unref);
  g_clear_pointer (&self->store, weft_store_free);
  g_free (self->path);
  G_OBJECT_CLASS (weft_timeline_parent_class)->finalize (object);
}

static void
weft_timeline_get_property (GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_START_NS:
      g_value_set_int64 (value, self->start);
      break;
    case PROP_END_NS:
      g_value_set_int64 (value, self->end);
      break;
    case PROP_SELECTION_START_NS:
      g_value_set_int64 (value, self->sel_start);
      break;
    case PROP_SELECTION_END_NS:
      g_value_set_int64 (value, self->sel_end);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_timeline_set_property (GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
  WeftTimeline *self = WEFT_TIMELINE (object);

  switch (prop_id)
    {
    case PROP_START_NS:
      set_view (self, g_value_get_int64 (value), self->end);
      break;
    case PROP_END_NS:
      set_view (self, self->start, g_value_get_int64 (value));
      break;
    case PROP_SELECTION_START_NS:
      set_selection (self, g_value_get_int64 (value), self->sel_end);
      break;
    case PROP_SELECTION_END_NS:
      set_selection (self, self->sel_start, g_value_get_int64 (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
weft_timeline_class_init (WeftTimelineClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_timeline_dispose;
  object_class->finalize = weft_timeline_finalize;
  widget_class->snapshot = weft_timeline_snapshot;
  widget_class->css_changed = weft_timeline_css_changed;
  add_keys (widget_class);
  widget_class->measure = weft_timeline_measure;
  widget_class->root = weft_timeline_root;
  widget_class->unroot = weft_timeline_unroot;
  gtk_widget_class_set_css_name (widget_class, "timeline");

  object_class->get_property = weft_timeline_get_property;
  object_class->set_property = weft_timeline_set_property;

  properties[PROP_START_NS] = g_param_spec_int64 ("start-ns", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                                  G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_END_NS] = g_param_spec_int64 ("end-ns", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                                                G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTION_START_NS] = g_param_spec_int64 ("selection-start-ns", NULL, NULL, -1, G_MAXINT64, -1,
                                                            G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                                | G_PARAM_STATIC_STRINGS);
  properties[PROP_SELECTION_END_NS] = g_param_spec_int64 ("selection-end-ns", NULL, NULL, -1, G_MAXINT64, -1,
                                                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY
                                                              | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  /* A slice was clicked: its goroutine, interval and state (table state). */
  signals[SIGNAL_SLICE_ACTIVATED] = g_signal_new ("slice-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                  NULL, NULL, NULL, G_TYPE_NONE, 4, G_TYPE_INT64, G_TYPE_INT64,
                                                  G_TYPE_INT64, G_TYPE_INT);
  /* A range [start, end) was selected (a drag, or set_selection): the app
   * shows its totals. */
  signals[SIGNAL_RANGE_SELECTED] = g_signal_new ("range-selected", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                                                 NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_INT64, G_TYPE_INT64);
}

static void
weft_timeline_init (WeftTimeline *self)
{
  GtkWidget          *widget = GTK_WIDGET (self);
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkGesture         *drag = gtk_gesture_drag_new ();
  GtkGesture         *zoom = gtk_gesture_zoom_new ();
  GtkGesture         *click = gtk_gesture_click_new ();

  self->sel_start = self->sel_end = -1;
  self->pending_goid = -1;
  self->frame_threads = CLAMP ((int) g_get_num_processors (), 1, MAX_PARTS);
  self->blocked_keys = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->glanes = g_array_new (FALSE, FALSE, sizeof (GLane));
  g_array_set_clear_func (self->glanes, glane_clear);
  self->groups = g_ptr_array_new_with_free_func ((GDestroyNotify) group_free);
  self->layouts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_object_unref);
  self->functions = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  gtk_widget_set_focusable (widget, TRUE);
  gtk_widget_set_has_tooltip (widget, TRUE);
  g_signal_connect (widget, "query-tooltip", G_CALLBACK (on_query_tooltip), NULL);
  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (widget, scroll);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (drag));
  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_changed), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (zoom));
  g_signal_connect (click, "released", G_CALLBACK (on_click), self);
  gtk_widget_add_controller (widget, GTK_EVENT_CONTROLLER (click));
}

GtkWidget *
weft_timeline_new (void)
{
  return g_object_new (WEFT_TYPE_TIMELINE, NULL);
}
