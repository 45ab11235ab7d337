/* weft-ingest.c — events to rows. See weft-ingest.h and README.md. */
#include "weft-ingest.h"

#include <string.h>

/* Lane states, as in the schema's state table. */
enum
{
  ST_UNKNOWN = -1,
  ST_RUNNING = 0,
  ST_RUNNABLE = 1,
  ST_BLOCKED = 2,
  ST_SYSCALL = 3,
  ST_IDLE = 4,
  ST_PARKED = 5,
};

/* The schema's counter table. */
enum
{
  WEFT_COUNTER_HEAP_ALLOC = 1,
  WEFT_COUNTER_HEAP_GOAL = 2,
  WEFT_COUNTER_GOROUTINES = 3,
  WEFT_COUNTER_RUNNABLE = 4,
};

/* Bounds on P and M ids: beyond them an id is taken for garbage. */
#define MAX_P 4096
#define MAX_M 65536

#define INCONSISTENCIES(X)                                       \
  X (UNKNOWN_GOROUTINE, "unknown_goroutine")                     \
  X (DEAD_GOROUTINE_EVENT, "dead_goroutine_event")               \
  X (DUPLICATE_CREATE, "duplicate_create")                       \
  X (SWITCH_PREV_NOT_RUNNING, "switch_prev_not_running")         \
  X (SWITCH_PREV_ELSEWHERE, "switch_prev_elsewhere")             \
  X (SWITCH_NEXT_RUNNING, "switch_next_running")                 \
  X (SWITCH_NEXT_NOT_RUNNABLE, "switch_next_not_runnable")       \
  X (P_MISMATCH, "p_mismatch")                                   \
  X (UNBLOCK_BEFORE_BLOCK, "unblock_before_block")               \
  X (UNBLOCK_NOT_BLOCKED, "unblock_not_blocked")                 \
  X (SYSCALL_NOT_RUNNING, "syscall_enter_not_running")           \
  X (SYSCALL_EXIT_NOT_IN_SYSCALL, "syscall_exit_not_in_syscall") \
  X (SNAPSHOT_DISAGREES, "snapshot_disagrees")                   \
  X (VANISHED, "vanished")                                       \
  X (REGION_UNBALANCED, "region_unbalanced")                     \
  X (BAD_ID, "bad_p_or_m")                                       \
  X (TIME_BACKWARDS, "time_backwards")                           \
  X (MISSING_FIELD, "missing_field")                             \
  X (GC_UNBALANCED, "gc_unbalanced")

typedef enum
{
#define X(id, name) INC_##id,
  INCONSISTENCIES (X)
#undef X
      N_INC
} Inconsistency;

static const char *const inc_names[N_INC] = {
#define X(id, name) name,
  INCONSISTENCIES (X)
#undef X
};

typedef struct
{
  char    *name;
  guint64  task;
  gint64   start;
  gboolean open_start;
} Region;

typedef struct
{
  guint64  goid;
  int      state;
  gint64   since;
  gboolean open_start;
  gint32   p, m;
  guint8   wait_reason;
  guint64  wait_obj;
  guint32  wait_stack;
  /* go_unblock seen while still running: the block's go_switch is late. */
  gboolean pending_unblock;
  guint64  pending_by;
  gint64   pending_ts;
  /* The goroutine row. */
  guint64  parent, start_pc;
  guint32  create_stack;
  char    *name;
  gboolean created_known;
  gint64   created;
  /* Generations in which a transition / a go_status named it. */
  guint32 gen_event, gen_status;
  GArray *regions; /* of Region, innermost last; NULL if none yet */
} Gor;

typedef struct
{
  guint64  goid; /* 0: runs none */
  gint64   since;
  gint32   m;
  gboolean open_start;
} Proc;

typedef struct
{
  gboolean known;
  int      state;
  gint64   since;
  gint32   p;
  guint64  goid;
  gboolean open_start;
  /* Inputs the state is derived from. */
  gboolean parked, in_syscall;
  gint32   cur_p;
  guint64  cur_g;
} Thread;

typedef struct
{
  guint64  parent;
  char    *name;
  gboolean start_known;
  gint64   start;
  guint64  start_goid;
} Task;

typedef struct
{
  guint64  base, memsz;
  char    *path;
  gboolean is_pic;
  char    *build_id, *debug_link;
} Mapping;

/* A GC span begun and not yet ended (mark worker, assist, sweep). */
typedef struct
{
  gint64  start;
  guint32 cycle;
  guint8  mode;
  gint32  p;
  guint64 goid; /* sweeps: the goroutine that swept, 0 if none */
} GcOpen;

typedef struct
{
  gboolean    in_cycle;
  guint32     cycle, last_cycle;
  gint64      start;
  guint8      trigger;
  guint64     heap_live, trigger_goal;
  gboolean    in_stw;
  gint64      stw_start;
  guint8      stw_reason;
  guint32     stw_cycle;
  gboolean    in_mark;
  gint64      mark_start;
  guint32     mark_cycle;
  GHashTable *workers; /* p -> GcOpen */
  GHashTable *assists; /* goid -> GcOpen */
  GHashTable *sweeps;  /* p -> GcOpen */
} GcState;

#define GOR_CACHE 4096

struct _WeftIngest
{
  WeftWriter *w;
  gboolean    have_origin;
  gint64      origin; /* absolute ns of relative time 0 */
  gint64      last;   /* latest relative time seen */
  guint64     events, unknown_events;
  guint64     lost_events, lost_packets;
  guint64     inc[N_INC];
  GHashTable *gs; /* goid -> Gor */
  /* A direct-mapped cache in front of gs, by goid's low bits: live goids
   * are mostly dense, and a hash look-up per event was 5 % of the reading
   * thread, the conversion's critical path. A slot holds a Gor of gs or
   * NULL; gor_exit() clears the slot of the Gor it frees. */
  Gor        *gor_cache[GOR_CACHE];
  GHashTable *dead;   /* goids that exited */
  GHashTable *stacks; /* stack ids already written */
  GHashTable *tasks;  /* task id -> Task */
  GHashTable *maps;   /* base -> Mapping */
  GHashTable *meta;   /* key -> value (text) */
  Proc       *procs;
  guint       n_procs;
  Thread     *threads;
  guint       n_threads;
  guint32     gen;
  guint       n_snapshots;
  guint64     reasons_seen[4]; /* bitset of wait reason codes */
  /* Derived counters: goroutines in each state, and the sampling clock. */
  guint   n_runnable;
  gint64  next_sample;
  gint64  sampled[2]; /* last written goroutines, runnable; -1: none */
  GcState gc;
};

static void
gor_free (gpointer data)
{
  Gor *g = data;

  if (g->regions != NULL)
    {
      for (guint i = 0; i < g->regions->len; i++)
        g_free (g_array_index (g->regions, Region, i).name);
      g_array_free (g->regions, TRUE);
    }
  g_free (g->name);
  g_free (g);
}

static void
task_free (gpointer data)
{
  Task *t = data;

  g_free (t->name);
  g_free (t);
}

static void
mapping_free (gpointer data)
{
  Mapping *m = data;

  g_free (m->path);
  g_free (m->build_id);
  g_free (m->debug_link);
  g_free (m);
}

WeftIngest *
weft_ingest_new (WeftWriter *writer)
{
  WeftIngest *self;

  g_return_val_if_fail (writer != NULL, NULL);

  self = g_new0 (WeftIngest, 1);
  self->w = writer;
  /* goids and stack ids are 64/32-bit integers: on the 64-bit hosts Weft
   * supports they fit in a pointer, and direct hashing avoids a malloc
   * per key. */
  self->gs = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, gor_free);
  self->dead = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->stacks = g_hash_table_new (g_direct_hash, g_direct_equal);
  self->tasks = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, task_free);
  self->maps = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, mapping_free);
  self->meta = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  self->gc.workers = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->gc.assists = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->gc.sweeps = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->sampled[0] = self->sampled[1] = -1;
  return self;
}

void
weft_ingest_free (WeftIngest *self)
{
  if (self == NULL)
    return;
  g_hash_table_destroy (self->gs);
  g_hash_table_destroy (self->dead);
  g_hash_table_destroy (self->stacks);
  g_hash_table_destroy (self->tasks);
  g_hash_table_destroy (self->maps);
  g_hash_table_destroy (self->meta);
  g_hash_table_destroy (self->gc.workers);
  g_hash_table_destroy (self->gc.assists);
  g_hash_table_destroy (self->gc.sweeps);
  g_free (self->procs);
  g_free (self->threads);
  g_free (self);
}

static inline void
inconsistent (WeftIngest *self, Inconsistency kind)
{
  self->inc[kind]++;
}

/* Absolute ns -> relative; the first time seen becomes the origin. */
static gint64
rel_time (WeftIngest *self, gint64 abs_ns)
{
  gint64 t;

  if (!self->have_origin)
    {
      self->have_origin = TRUE;
      self->origin = abs_ns;
    }
  t = abs_ns - self->origin;
  if (t < self->last)
    {
      /* The sink merges the streams in time order; equal times are fine,
       * earlier ones mean a broken clock. Clamp so that intervals stay
       * well formed. */
      inconsistent (self, INC_TIME_BACKWARDS);
      return self->last;
    }
  self->last = t;
  return t;
}

/* ------------------------------------------------------------------ rows */

#define SET_OPT(row, col, cond, value)  \
  G_STMT_START                          \
  {                                     \
    if (cond)                           \
      (row)->v[col] = (gint64) (value); \
    else                                \
      weft_row_set_null ((row), (col)); \
  }                                     \
  G_STMT_END

static void
emit_gstate (WeftIngest *self, Gor *g, gint64 end, int stop_reason, gboolean has_by, guint64 by, gboolean open_end)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_GSTATE);

  r->v[0] = (gint64) g->goid;
  r->v[1] = g->since;
  r->v[2] = end;
  r->v[3] = g->state;
  SET_OPT (r, 4, g->state == ST_BLOCKED, g->wait_reason);
  SET_OPT (r, 5, g->state == ST_BLOCKED && g->wait_obj != 0, g->wait_obj);
  SET_OPT (r, 6, g->state == ST_BLOCKED && g->wait_stack != 0, g->wait_stack);
  SET_OPT (r, 7, g->state == ST_RUNNING && stop_reason >= 0, stop_reason);
  SET_OPT (r, 8, (g->state == ST_RUNNING || g->state == ST_SYSCALL) && g->p >= 0, g->p);
  SET_OPT (r, 9, (g->state == ST_RUNNING || g->state == ST_SYSCALL) && g->m >= 0, g->m);
  SET_OPT (r, 10, g->state == ST_BLOCKED && has_by, by);
  r->v[11] = g->open_start;
  r->v[12] = open_end;
}

static void
emit_goroutine (WeftIngest *self, Gor *g, gboolean ended, gint64 ended_ns)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_GOROUTINE);

  r->v[0] = (gint64) g->goid;
  r->v[1] = (gint64) g->parent;
  r->v[2] = (gint64) g->start_pc;
  weft_writer_set_text (self->w, r, 3, g->name != NULL && g->name[0] != '\0' ? g->name : NULL);
  SET_OPT (r, 4, g->create_stack != 0, g->create_stack);
  SET_OPT (r, 5, g->created_known, g->created);
  SET_OPT (r, 6, ended, ended_ns);
  SET_OPT (r, 7, !ended && g->state != ST_UNKNOWN, g->state);
}

static void
emit_region (WeftIngest *self, Gor *g, const Region *rg, guint depth, gint64 end, gboolean open_end)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_REGION);

  r->v[0] = (gint64) g->goid;
  r->v[1] = (gint64) rg->task;
  weft_writer_set_text (self->w, r, 2, rg->name);
  r->v[3] = rg->start;
  r->v[4] = end;
  r->v[5] = depth;
  r->v[6] = rg->open_start;
  r->v[7] = open_end;
}

static void
emit_meta_int (WeftIngest *self, const char *key, gint64 value)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_META_INT);

  weft_writer_set_text (self->w, r, 0, key);
  r->v[1] = value;
}

static void
emit_meta_text (WeftIngest *self, const char *key, const char *value)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_META_TEXT);

  weft_writer_set_text (self->w, r, 0, key);
  weft_writer_set_text (self->w, r, 1, value);
}

/* ------------------------------------------------------------------ goroutines */

/* Every change of a goroutine's state goes through here, so that the
 * derived counters stay exact. */
static inline void
gor_enter (WeftIngest *self, Gor *g, int state)
{
  self->n_runnable += (state == ST_RUNNABLE) - (g->state == ST_RUNNABLE);
  g->state = state;
}

static Gor *
gor_new (WeftIngest *self, guint64 goid)
{
  Gor *g = g_new0 (Gor, 1);

  g->goid = goid;
  g->state = ST_UNKNOWN;
  g->p = g->m = -1;
  g_hash_table_insert (self->gs, GSIZE_TO_POINTER (goid), g);
  self->gor_cache[goid & (GOR_CACHE - 1)] = g;
  return g;
}

/* The live goroutine @goid, or NULL. */
static inline Gor *
gor_lookup (WeftIngest *self, guint64 goid)
{
  Gor **slot = &self->gor_cache[goid & (GOR_CACHE - 1)];
  Gor  *g = *slot;

  if (G_LIKELY (g != NULL && g->goid == goid))
    return g;
  if ((g = g_hash_table_lookup (self->gs, GSIZE_TO_POINTER (goid))) != NULL)
    *slot = g;
  return g;
}

/* The goroutine an event refers to. One never seen before gets @inferred
 * as its state since the trace began (the event implies it). NULL for a
 * goroutine that already exited, or goid 0. */
static Gor *
gor_get (WeftIngest *self, guint64 goid, int inferred)
{
  Gor *g;

  if (goid == 0)
    return NULL;
  g = gor_lookup (self, goid);
  if (G_LIKELY (g != NULL))
    {
      g->gen_event = self->gen;
      return g;
    }
  if (g_hash_table_contains (self->dead, GSIZE_TO_POINTER (goid)))
    {
      inconsistent (self, INC_DEAD_GOROUTINE_EVENT);
      return NULL;
    }
  inconsistent (self, INC_UNKNOWN_GOROUTINE);
  g = gor_new (self, goid);
  g->gen_event = self->gen;
  if (inferred != ST_UNKNOWN)
    {
      gor_enter (self, g, inferred);
      g->since = 0;
      g->open_start = TRUE;
    }
  return g;
}

/* Ends @g's current interval at @ts (if it has one) and enters @state. */
static void
gor_set (WeftIngest *self, Gor *g, int state, gint64 ts, int stop_reason, gboolean has_by, guint64 by)
{
  if (g->state != ST_UNKNOWN)
    emit_gstate (self, g, ts, stop_reason, has_by, by, FALSE);
  gor_enter (self, g, state);
  g->since = ts;
  g->open_start = FALSE;
  if (state != ST_RUNNING && state != ST_SYSCALL)
    g->p = g->m = -1;
}

static void
note_reason (WeftIngest *self, guint8 reason)
{
  self->reasons_seen[reason / 64] |= G_GUINT64_CONSTANT (1) << (reason % 64);
}

static void
gor_block (WeftIngest *self, Gor *g, guint8 reason, guint64 obj, guint32 stack)
{
  g->wait_reason = reason;
  g->wait_obj = obj;
  g->wait_stack = stack;
  note_reason (self, reason);
}

static void
gor_exit (WeftIngest *self, Gor *g, gint64 ts)
{
  if (g->regions != NULL)
    for (guint i = g->regions->len; i-- > 0;)
      {
        emit_region (self, g, &g_array_index (g->regions, Region, i), i, ts, FALSE);
        inconsistent (self, INC_REGION_UNBALANCED);
      }
  emit_goroutine (self, g, TRUE, ts);
  gor_enter (self, g, ST_UNKNOWN);
  g_hash_table_add (self->dead, GSIZE_TO_POINTER (g->goid));
  if (self->gor_cache[g->goid & (GOR_CACHE - 1)] == g)
    self->gor_cache[g->goid & (GOR_CACHE - 1)] = NULL;
  g_hash_table_remove (self->gs, GSIZE_TO_POINTER (g->goid));
}

/* ------------------------------------------------------------------ Ps and Ms */

static Proc *
proc_get (WeftIngest *self, gint64 p)
{
  if (p < 0)
    return NULL;
  if (p >= MAX_P)
    {
      inconsistent (self, INC_BAD_ID);
      return NULL;
    }
  if ((guint) p >= self->n_procs)
    {
      guint n = MAX ((guint) p + 1, self->n_procs * 2);

      self->procs = g_renew (Proc, self->procs, n);
      memset (self->procs + self->n_procs, 0, (n - self->n_procs) * sizeof (Proc));
      for (guint i = self->n_procs; i < n; i++)
        self->procs[i].m = -1;
      self->n_procs = n;
    }
  return &self->procs[p];
}

/* Ends what @p runs at @ts. */
static void
proc_close (WeftIngest *self, gint64 p, gint64 ts, gboolean open_end)
{
  Proc    *pp = proc_get (self, p);
  WeftRow *r;

  if (pp == NULL || pp->goid == 0)
    return;
  r = weft_writer_row (self->w, WEFT_ROW_PSTATE);
  r->v[0] = p;
  r->v[1] = pp->since;
  r->v[2] = ts;
  r->v[3] = (gint64) pp->goid;
  SET_OPT (r, 4, pp->m >= 0, pp->m);
  r->v[5] = pp->open_start;
  r->v[6] = open_end;
  pp->goid = 0;
  pp->open_start = FALSE;
}

static void
proc_run (WeftIngest *self, gint64 p, guint64 goid, gint32 m, gint64 ts)
{
  Proc *pp = proc_get (self, p);

  if (pp == NULL)
    return;
  proc_close (self, p, ts, FALSE);
  pp->goid = goid;
  pp->since = ts;
  pp->m = m;
}

static Thread *
thread_get (WeftIngest *self, gint64 m, gint64 ts)
{
  Thread *t;

  if (m < 0)
    return NULL;
  if (m >= MAX_M)
    {
      inconsistent (self, INC_BAD_ID);
      return NULL;
    }
  if ((guint) m >= self->n_threads)
    {
      guint n = MAX ((guint) m + 1, self->n_threads * 2);

      self->threads = g_renew (Thread, self->threads, n);
      memset (self->threads + self->n_threads, 0, (n - self->n_threads) * sizeof (Thread));
      self->n_threads = n;
    }
  t = &self->threads[m];
  if (!t->known)
    {
      /* First seen mid-trace: its lane starts here. */
      t->known = TRUE;
      t->state = ST_UNKNOWN;
      t->cur_p = t->p = -1;
      t->since = ts;
      t->open_start = TRUE;
    }
  return t;
}

static void
thread_emit (WeftIngest *self, gint64 m, Thread *t, gint64 end, gboolean open_end)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_MSTATE);

  r->v[0] = m;
  r->v[1] = t->since;
  r->v[2] = end;
  r->v[3] = t->state;
  SET_OPT (r, 4, t->p >= 0, t->p);
  SET_OPT (r, 5, t->goid != 0, t->goid);
  r->v[6] = t->open_start;
  r->v[7] = open_end;
}

/* Recomputes @m's lane state from its inputs; a change ends an interval. */
static void
thread_update (WeftIngest *self, gint64 m, Thread *t, gint64 ts)
{
  int state;

  if (t->parked)
    state = ST_PARKED;
  else if (t->cur_g != 0)
    state = t->in_syscall ? ST_SYSCALL : ST_RUNNING;
  else
    state = ST_IDLE;
  if (state == t->state && t->cur_p == t->p && t->cur_g == t->goid)
    return;
  if (t->state != ST_UNKNOWN && ts > t->since)
    thread_emit (self, m, t, ts, FALSE);
  if (t->state != ST_UNKNOWN || ts > t->since)
    t->open_start = FALSE;
  t->state = state;
  t->since = ts;
  t->p = t->cur_p;
  t->goid = t->cur_g;
}

/* ------------------------------------------------------------------ events */

static void
on_go_switch (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  gint64  p = (gint16) ev->f[GO_SWITCH_P];
  gint64  m = (gint32) ev->f[GO_SWITCH_M];
  guint64 prev = ev->f[GO_SWITCH_PREV];
  guint64 next = ev->f[GO_SWITCH_NEXT];
  int     stop = (int) ev->f[GO_SWITCH_STOP_REASON];
  Proc   *pp = proc_get (self, p);
  Thread *t = thread_get (self, m, ts);
  Gor    *g;

  if (prev != 0 && (g = gor_get (self, prev, ST_RUNNING)) != NULL)
    {
      if (g->state == ST_RUNNING && g->p >= 0 && p >= 0 && g->p != p)
        {
          /* Already running elsewhere: the next half of its next run was
           * written first. This stop is old news for the goroutine. */
          inconsistent (self, INC_SWITCH_PREV_ELSEWHERE);
        }
      else
        {
          gint64 at = ts;

          if (g->state != ST_RUNNING)
            {
              inconsistent (self, INC_SWITCH_PREV_NOT_RUNNING);
              if (g->state == ST_UNKNOWN)
                gor_enter (self, g, ST_RUNNING), g->since = 0, g->open_start = TRUE;
            }
          /* An unblock written before this block (the runtime writes the
           * block first since, but older traces and lost events exist)
           * dates the block, never before the current interval began. */
          if (g->pending_unblock && stop == WEFT_STOP_BLOCKED_ && g->pending_ts <= ts)
            at = MAX (g->pending_ts, g->since);
          switch (stop)
            {
            case WEFT_STOP_BLOCKED_:
              gor_set (self, g, ST_BLOCKED, at, stop, FALSE, 0);
              gor_block (self, g, (guint8) ev->f[GO_SWITCH_WAIT_REASON], ev->f[GO_SWITCH_WAIT_OBJ],
                         (guint32) ev->f[GO_SWITCH_WAIT_STACK]);
              if (g->pending_unblock)
                {
                  /* Woken before its block was written: a zero-length
                   * block, so that the wake-up stays on record. */
                  gor_set (self, g, ST_RUNNABLE, at, -1, TRUE, g->pending_by);
                }
              break;
            case WEFT_STOP_EXITED_:
              gor_set (self, g, ST_UNKNOWN, at, stop, FALSE, 0);
              break;
            case WEFT_STOP_SYSCALL_:
              {
                gint32 gp = g->p, gm = g->m;
                gor_set (self, g, ST_SYSCALL, at, stop, FALSE, 0);
                g->p = gp;
                g->m = gm;
              }
              break;
            default:
              gor_set (self, g, ST_RUNNABLE, at, stop, FALSE, 0);
              break;
            }
          g->pending_unblock = FALSE;
          if (stop == WEFT_STOP_EXITED_)
            gor_exit (self, g, ts);
        }
    }

  if (pp != NULL && pp->goid != 0)
    {
      if (pp->goid != prev)
        inconsistent (self, INC_P_MISMATCH);
      proc_close (self, p, ts, FALSE);
    }

  if (next != 0 && (g = gor_get (self, next, ST_RUNNABLE)) != NULL)
    {
      switch (g->state)
        {
        case ST_RUNNABLE:
          break;
        case ST_RUNNING:
          /* Its stop on another P has not been written yet. */
          inconsistent (self, INC_SWITCH_NEXT_RUNNING);
          if (g->p >= 0 && g->p != p)
            {
              Proc *old = proc_get (self, g->p);
              if (old != NULL && old->goid == g->goid)
                proc_close (self, g->p, ts, FALSE);
            }
          break;
        default:
          inconsistent (self, INC_SWITCH_NEXT_NOT_RUNNABLE);
          break;
        }
      gor_set (self, g, ST_RUNNING, ts, -1, FALSE, 0);
      g->p = (gint32) p;
      g->m = (gint32) m;
      g->pending_unblock = FALSE;
      proc_run (self, p, next, (gint32) m, ts);
    }

  if (t != NULL)
    {
      t->cur_g = next;
      t->cur_p = (gint32) p;
      t->in_syscall = FALSE;
      t->parked = FALSE;
      thread_update (self, m, t, ts);
    }
}

static void
on_go_unblock (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  Gor *g = gor_get (self, ev->f[GO_UNBLOCK_GOID], ST_BLOCKED);

  if (g == NULL)
    return;
  switch (g->state)
    {
    case ST_BLOCKED:
      gor_set (self, g, ST_RUNNABLE, ts, -1, TRUE, ev->f[GO_UNBLOCK_BY]);
      break;
    case ST_RUNNING:
      /* The waker saw it parked before its own M wrote the go_switch. */
      inconsistent (self, INC_UNBLOCK_BEFORE_BLOCK);
      g->pending_unblock = TRUE;
      g->pending_by = ev->f[GO_UNBLOCK_BY];
      g->pending_ts = ts;
      break;
    default:
      inconsistent (self, INC_UNBLOCK_NOT_BLOCKED);
      break;
    }
}

static void
on_go_create (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  guint64 goid = ev->f[GO_CREATE_GOID];
  Gor    *g;

  if (goid == 0)
    return;
  g = gor_lookup (self, goid);
  if (g != NULL || g_hash_table_contains (self->dead, GSIZE_TO_POINTER (goid)))
    {
      inconsistent (self, INC_DUPLICATE_CREATE);
      if (g == NULL)
        return;
    }
  else
    g = gor_new (self, goid);
  g->gen_event = self->gen;
  g->parent = ev->f[GO_CREATE_PARENT];
  g->start_pc = ev->f[GO_CREATE_START_PC];
  g->create_stack = (guint32) ev->f[GO_CREATE_CREATE_STACK];
  g_free (g->name);
  g->name = g_strdup (ev->s[0]);
  g->created_known = TRUE;
  g->created = ts;
  if (g->state == ST_UNKNOWN)
    {
      gor_enter (self, g, ST_RUNNABLE);
      g->since = ts;
      g->open_start = FALSE;
    }
}

static int
status_to_state (guint64 status)
{
  switch (status)
    {
    case WEFT_GS_RUNNABLE:
      return ST_RUNNABLE;
    case WEFT_GS_RUNNING:
      return ST_RUNNING;
    case WEFT_GS_SYSCALL:
      return ST_SYSCALL;
    case WEFT_GS_WAITING:
      return ST_BLOCKED;
    default:
      return ST_UNKNOWN;
    }
}

static void
on_go_status (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  guint64  goid = ev->f[GO_STATUS_GOID];
  int      state = status_to_state (ev->f[GO_STATUS_STATUS]);
  gboolean first_sight;
  Gor     *g;

  if (goid == 0 || state == ST_UNKNOWN || g_hash_table_contains (self->dead, GSIZE_TO_POINTER (goid)))
    return;
  g = gor_lookup (self, goid);
  if (g == NULL)
    g = gor_new (self, goid);
  g->gen_status = self->gen;
  if (g->start_pc == 0)
    {
      g->parent = ev->f[GO_STATUS_PARENT];
      g->start_pc = ev->f[GO_STATUS_START_PC];
      g->create_stack = (guint32) ev->f[GO_STATUS_CREATE_STACK];
      if (g->name == NULL && ev->s[0][0] != '\0')
        g->name = g_strdup (ev->s[0]);
    }
  /* A transition written since the snapshot began is newer than the
   * snapshot's unsynchronised read of the goroutine (README.md). */
  if (g->gen_event == self->gen && g->state != ST_UNKNOWN)
    return;
  if (g->state == state)
    return;
  if (g->state != ST_UNKNOWN)
    inconsistent (self, INC_SNAPSHOT_DISAGREES);
  first_sight = g->state == ST_UNKNOWN;
  gor_set (self, g, state, ts, -1, FALSE, 0);
  g->open_start = TRUE;
  if (state == ST_BLOCKED)
    {
      gor_block (self, g, (guint8) ev->f[GO_STATUS_WAIT_REASON], ev->f[GO_STATUS_WAIT_OBJ],
                 (guint32) ev->f[GO_STATUS_WAIT_STACK]);
      /* The runtime knows since when it waits: use it, even if before the
       * trace, so that a long-blocked goroutine's wait is not cut short. */
      if (first_sight && ev->wait_since_valid && ev->f[GO_STATUS_WAIT_SINCE] != 0 && self->have_origin)
        {
          gint64 since = ev->wait_since_ns - self->origin;
          if (since <= ts)
            g->since = since;
        }
    }
}

static void
on_snapshot_end (WeftIngest *self, gint64 ts)
{
  GHashTableIter iter;
  gpointer       value;
  GPtrArray     *gone;

  /* After the first snapshot, a goroutine our model holds that neither the
   * snapshot nor any event of this generation named has exited unseen
   * (while tracing was off, or in lost events). */
  if (self->n_snapshots++ == 0)
    return;
  gone = g_ptr_array_new ();
  g_hash_table_iter_init (&iter, self->gs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Gor *g = value;
      if (g->gen_event != self->gen && g->gen_status != self->gen)
        g_ptr_array_add (gone, g);
    }
  for (guint i = 0; i < gone->len; i++)
    {
      Gor *g = gone->pdata[i];
      inconsistent (self, INC_VANISHED);
      gor_set (self, g, ST_UNKNOWN, ts, -1, FALSE, 0);
      gor_exit (self, g, ts);
    }
  g_ptr_array_free (gone, TRUE);
}

static void
on_syscall_enter (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  Gor    *g = gor_get (self, ev->f[SYSCALL_GOID], ST_RUNNING);
  gint64  p = (gint16) ev->f[SYSCALL_P];
  gint32  m;
  Thread *t;

  if (g == NULL)
    return;
  if (g->state != ST_RUNNING)
    inconsistent (self, INC_SYSCALL_NOT_RUNNING);
  m = g->m;
  gor_set (self, g, ST_SYSCALL, ts, WEFT_STOP_SYSCALL_, FALSE, 0);
  g->p = (gint32) p;
  g->m = m;
  if ((t = thread_get (self, m, ts)) != NULL)
    {
      t->in_syscall = TRUE;
      t->cur_g = g->goid;
      thread_update (self, m, t, ts);
    }
}

static void
on_syscall_exit (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  Gor    *g = gor_get (self, ev->f[SYSCALL_GOID], ST_SYSCALL);
  gint64  p = (gint16) ev->f[SYSCALL_P];
  gint32  old_p, m;
  Thread *t;

  if (g == NULL)
    return;
  if (g->state != ST_SYSCALL)
    inconsistent (self, INC_SYSCALL_EXIT_NOT_IN_SYSCALL);
  old_p = g->p;
  m = g->m;
  /* Its P's lane shows it until the P is taken or it leaves the P. */
  if (old_p >= 0 && old_p != p)
    {
      Proc *old = proc_get (self, old_p);
      if (old != NULL && old->goid == g->goid)
        proc_close (self, old_p, ts, FALSE);
    }
  if (p >= 0)
    {
      Proc *pp = proc_get (self, p);

      gor_set (self, g, ST_RUNNING, ts, -1, FALSE, 0);
      g->p = (gint32) p;
      g->m = m;
      if (pp != NULL && pp->goid != g->goid)
        proc_run (self, p, g->goid, m, ts);
    }
  else
    gor_set (self, g, ST_RUNNABLE, ts, -1, FALSE, 0);
  if ((t = thread_get (self, m, ts)) != NULL)
    {
      t->in_syscall = FALSE;
      t->cur_g = p >= 0 ? g->goid : 0;
      t->cur_p = (gint32) p;
      thread_update (self, m, t, ts);
    }
}

static void
on_proc (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  gint64  p = (gint16) ev->f[PROC_P];
  gint64  m = (gint32) ev->f[PROC_M];
  Proc   *pp = proc_get (self, p);
  Thread *t = thread_get (self, m, ts);

  switch (ev->type)
    {
    case WEFT_EV_PROC_START:
      if (pp != NULL)
        pp->m = (gint32) m;
      if (t != NULL)
        t->cur_p = (gint32) p;
      break;
    case WEFT_EV_PROC_STOP:
      proc_close (self, p, ts, FALSE);
      if (pp != NULL)
        pp->m = -1;
      if (t != NULL)
        t->cur_p = -1;
      break;
    case WEFT_EV_PROC_STEAL:
      /* sysmon took the P of an M blocked in a system call. */
      proc_close (self, p, ts, FALSE);
      if (pp != NULL)
        pp->m = -1;
      if (t != NULL)
        t->cur_p = -1;
      break;
    default:
      g_assert_not_reached ();
    }
  if (t != NULL)
    thread_update (self, m, t, ts);
}

static void
on_thread (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  gint64   m = (gint32) ev->f[THREAD_M];
  Thread  *t = thread_get (self, m, ts);
  WeftRow *r;

  if (t == NULL)
    return;
  switch (ev->type)
    {
    case WEFT_EV_THREAD_START:
      r = weft_writer_row (self->w, WEFT_ROW_THREAD);
      r->v[0] = m;
      r->v[1] = (gint32) ev->f[THREAD_TID];
      r->v[2] = ts;
      if (t->state == ST_UNKNOWN)
        t->open_start = FALSE;
      break;
    case WEFT_EV_THREAD_PARK:
      t->parked = TRUE;
      break;
    case WEFT_EV_THREAD_UNPARK:
      t->parked = FALSE;
      break;
    default:
      g_assert_not_reached ();
    }
  thread_update (self, m, t, ts);
}

static void
on_stack (WeftIngest *self, const WeftEvent *ev)
{
  guint64  id = ev->f[STACK_ID];
  WeftRow *r;

  if (id == 0 || g_hash_table_contains (self->stacks, GSIZE_TO_POINTER (id)))
    return;
  g_hash_table_add (self->stacks, GSIZE_TO_POINTER (id));
  r = weft_writer_row (self->w, WEFT_ROW_STACK);
  r->v[0] = (gint64) id;
  r->v[1] = ev->n_seq;
  for (guint i = 0; i < ev->n_seq; i++)
    {
      r = weft_writer_row (self->w, WEFT_ROW_FRAME);
      r->v[0] = (gint64) id;
      r->v[1] = i;
      r->v[2] = (gint64) ev->seq[i];
    }
}

static void
emit_task (WeftIngest *self, guint64 id, const Task *t, gboolean ended, gint64 end, guint64 end_goid)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_TASK);

  r->v[0] = (gint64) id;
  r->v[1] = t != NULL ? (gint64) t->parent : 0;
  weft_writer_set_text (self->w, r, 2, t != NULL ? t->name : NULL);
  SET_OPT (r, 3, t != NULL && t->start_known, t->start);
  SET_OPT (r, 4, ended, end);
  SET_OPT (r, 5, t != NULL && t->start_known, t->start_goid);
  SET_OPT (r, 6, ended, end_goid);
}

static void
on_task (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  guint64 id = ev->f[TASK_TASK];
  Task   *t;

  if (ev->type == WEFT_EV_TASK_BEGIN)
    {
      t = g_new0 (Task, 1);
      t->parent = ev->f[TASK_PARENT];
      t->name = g_strdup (ev->s[0]);
      t->start_known = TRUE;
      t->start = ts;
      t->start_goid = ev->f[TASK_GOID];
      g_hash_table_replace (self->tasks, GSIZE_TO_POINTER (id), t);
      return;
    }
  t = g_hash_table_lookup (self->tasks, GSIZE_TO_POINTER (id));
  emit_task (self, id, t, TRUE, ts, ev->f[TASK_GOID]);
  g_hash_table_remove (self->tasks, GSIZE_TO_POINTER (id));
}

static void
on_region (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  Gor   *g = gor_get (self, ev->f[REGION_GOID], ST_RUNNING);
  Region rg = { 0 };

  if (g == NULL)
    return;
  if (g->regions == NULL)
    g->regions = g_array_new (FALSE, FALSE, sizeof (Region));
  if (ev->type == WEFT_EV_REGION_BEGIN)
    {
      rg.name = g_strdup (ev->s[0]);
      rg.task = ev->f[REGION_TASK];
      rg.start = ts;
      g_array_append_val (g->regions, rg);
      return;
    }
  for (guint i = g->regions->len; i-- > 0;)
    {
      Region *open = &g_array_index (g->regions, Region, i);

      if (strcmp (open->name, ev->s[0]) != 0)
        continue;
      /* Regions inside it that were not ended end with it. */
      for (guint j = g->regions->len; j-- > i;)
        {
          Region *r = &g_array_index (g->regions, Region, j);
          emit_region (self, g, r, j, ts, FALSE);
          g_free (r->name);
          if (j > i)
            inconsistent (self, INC_REGION_UNBALANCED);
        }
      g_array_set_size (g->regions, i);
      return;
    }
  /* Begun before the trace. */
  rg.name = (char *) ev->s[0];
  rg.task = ev->f[REGION_TASK];
  rg.start = 0;
  rg.open_start = TRUE;
  emit_region (self, g, &rg, 0, ts, FALSE);
}

static void
on_log (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_LOG);

  r->v[0] = ts;
  r->v[1] = (gint64) ev->f[LOG_GOID];
  r->v[2] = (gint64) ev->f[LOG_TASK];
  weft_writer_set_text (self->w, r, 3, ev->s[0]);
  weft_writer_set_text (self->w, r, 4, ev->s[1]);
}

static Mapping *
mapping_get (WeftIngest *self, guint64 base)
{
  Mapping *m = g_hash_table_lookup (self->maps, GSIZE_TO_POINTER (base));

  if (m == NULL)
    {
      m = g_new0 (Mapping, 1);
      m->base = base;
      g_hash_table_insert (self->maps, GSIZE_TO_POINTER (base), m);
    }
  return m;
}

static void
on_statedump (WeftIngest *self, const WeftEvent *ev)
{
  Mapping *m = mapping_get (self, ev->f[0]);

  switch (ev->type)
    {
    case WEFT_EV_BIN_INFO:
      m->memsz = ev->f[BIN_INFO_MEMSZ];
      m->is_pic = ev->f[BIN_INFO_IS_PIC] != 0;
      g_free (m->path);
      m->path = g_strdup (ev->s[0]);
      break;
    case WEFT_EV_BUILD_ID:
      {
        GString *hex = g_string_sized_new (ev->n_seq * 2);
        for (guint i = 0; i < ev->n_seq; i++)
          g_string_append_printf (hex, "%02x", (guint) (ev->seq[i] & 0xff));
        g_free (m->build_id);
        m->build_id = g_string_free (hex, FALSE);
      }
      break;
    case WEFT_EV_DEBUG_LINK:
      g_free (m->debug_link);
      m->debug_link = g_strdup (ev->s[0]);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
on_runtime_info (WeftIngest *self, const WeftEvent *ev)
{
  weft_ingest_set_meta (self, "runtime_version", ev->s[0]);
#define SET_INT(key, v) g_hash_table_replace (self->meta, g_strdup (key), g_strdup_printf ("%" G_GINT64_FORMAT, (gint64) (v)))
  SET_INT ("pid", (gint32) ev->f[RUNTIME_INFO_PID]);
  SET_INT ("nprocs", ev->f[RUNTIME_INFO_NPROCS]);
  SET_INT ("stack_size", ev->f[RUNTIME_INFO_STACK_SIZE]);
  SET_INT ("trace_format", ev->f[RUNTIME_INFO_FORMAT]);
#undef SET_INT
}

/* ------------------------------------------------------------------ garbage collector
 *
 * tracer/README.md, "The garbage collector": a cycle is gc_begin .. gc_end
 * (end of marking), with its two stop-the-world pauses, its mark phase,
 * mark workers per P and assists per goroutine; sweeps follow the cycle.
 * Begin/end pairs that do not match (a session that attached mid-cycle,
 * lost events) are counted as gc_unbalanced; an end without its begin is
 * dropped, since its start is unknown, and a begin without its end ends
 * with the trace. */

static const char *
gc_trigger_name (guint8 trigger)
{
  static const char *const names[] = { "heap", "forced", "periodic", "memory limit" };

  return trigger < G_N_ELEMENTS (names) ? names[trigger] : "unknown";
}

static const char *
stw_reason_name (guint8 reason)
{
  static const char *const names[] = { "GC sweep termination", "GC mark termination", "ReadMemStats", "other" };

  return reason < G_N_ELEMENTS (names) ? names[reason] : "other";
}

static const char *
gc_worker_mode_name (guint8 mode)
{
  static const char *const names[] = { "dedicated", "fractional", "idle" };

  return mode < G_N_ELEMENTS (names) ? names[mode] : NULL;
}

static void
emit_gc_cycle (WeftIngest *self, gboolean ended, gint64 end, gboolean has_marked, guint64 marked, guint64 next_goal)
{
  GcState *gc = &self->gc;
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_GC_CYCLE);

  r->v[0] = gc->cycle;
  r->v[1] = gc->start;
  SET_OPT (r, 2, ended, end);
  weft_writer_set_text (self->w, r, 3, gc_trigger_name (gc->trigger));
  r->v[4] = (gint64) gc->heap_live;
  SET_OPT (r, 5, has_marked, marked);
  SET_OPT (r, 6, has_marked, next_goal);
  r->v[7] = (gint64) gc->trigger_goal;
}

/* @cycle 0: not part of a GC cycle. */
static void
emit_gc_span (WeftIngest *self, const char *kind, guint64 goid, gint32 p, gint64 start, gint64 end, guint32 cycle, const char *mode, gboolean has_bytes, guint64 bytes, gboolean has_reclaimed, guint64 reclaimed, gboolean open_end)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_GC_SPAN);

  weft_writer_set_text (self->w, r, 0, kind);
  r->v[1] = (gint64) goid;
  SET_OPT (r, 2, p >= 0, p);
  r->v[3] = start;
  r->v[4] = end;
  SET_OPT (r, 5, cycle != 0, cycle);
  weft_writer_set_text (self->w, r, 6, mode);
  SET_OPT (r, 7, has_bytes, bytes);
  SET_OPT (r, 8, has_reclaimed, reclaimed);
  r->v[9] = open_end;
}

static void
emit_stw (WeftIngest *self, gint64 end)
{
  GcState *gc = &self->gc;
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_STW);

  r->v[0] = gc->stw_start;
  r->v[1] = end;
  weft_writer_set_text (self->w, r, 2, stw_reason_name (gc->stw_reason));
  SET_OPT (r, 3, gc->stw_cycle != 0, gc->stw_cycle);
  gc->in_stw = FALSE;
}

static void
emit_counter (WeftIngest *self, int counter, gint64 ts, gint64 value)
{
  WeftRow *r = weft_writer_row (self->w, WEFT_ROW_COUNTER_SAMPLE);

  r->v[0] = counter;
  r->v[1] = ts;
  r->v[2] = value;
}

/* Opens a span of @table keyed by @key, dropping (and counting) one that
 * was left open. */
static GcOpen *
gc_open (WeftIngest *self, GHashTable *table, guint64 key, gint64 ts, guint32 cycle, guint8 mode, gint32 p)
{
  GcOpen *o = g_new0 (GcOpen, 1);

  if (g_hash_table_contains (table, GSIZE_TO_POINTER (key)))
    inconsistent (self, INC_GC_UNBALANCED);
  o->start = ts;
  o->cycle = cycle;
  o->mode = mode;
  o->p = p;
  g_hash_table_replace (table, GSIZE_TO_POINTER (key), o);
  return o;
}

/* The open span of @table keyed by @key, removed from it (the caller
 * frees it), or NULL (counted) if none. */
static GcOpen *
gc_close (WeftIngest *self, GHashTable *table, guint64 key)
{
  gpointer stolen = NULL;

  if (!g_hash_table_steal_extended (table, GSIZE_TO_POINTER (key), NULL, &stolen))
    inconsistent (self, INC_GC_UNBALANCED);
  return stolen;
}

/* The P of a worker or sweep event, or -1 (counted) if it names none:
 * those spans are kept per P. */
static gint32
gc_p (WeftIngest *self, guint64 raw)
{
  gint32 p = (gint16) raw;

  if (p < 0 || p >= MAX_P)
    {
      inconsistent (self, INC_BAD_ID);
      return -1;
    }
  return p;
}

/* The goroutine @p runs, 0 if none: a sweep on a P running a goroutine is
 * that goroutine paying for its allocation (Go's "GC incremental sweep"
 * time of the goroutine analysis). */
static guint64
gc_p_goroutine (WeftIngest *self, gint32 p)
{
  return (guint) p < self->n_procs ? self->procs[p].goid : 0;
}

static void
on_gc (WeftIngest *self, const WeftEvent *ev, gint64 ts)
{
  GcState *gc = &self->gc;
  guint32  current = gc->in_cycle ? gc->cycle : 0;
  gint32   p;
  GcOpen  *o;

  switch (ev->type)
    {
    case WEFT_EV_GC_BEGIN:
      if (gc->in_cycle)
        {
          inconsistent (self, INC_GC_UNBALANCED);
          emit_gc_cycle (self, FALSE, 0, FALSE, 0, 0);
        }
      gc->in_cycle = TRUE;
      gc->cycle = (guint32) ev->f[GC_BEGIN_CYCLE];
      gc->start = ts;
      gc->trigger = (guint8) ev->f[GC_BEGIN_TRIGGER];
      gc->heap_live = ev->f[GC_BEGIN_HEAP_LIVE];
      gc->trigger_goal = ev->f[GC_BEGIN_HEAP_GOAL];
      break;
    case WEFT_EV_GC_END:
      if (!gc->in_cycle || gc->cycle != (guint32) ev->f[GC_END_CYCLE])
        {
          inconsistent (self, INC_GC_UNBALANCED);
          break;
        }
      emit_gc_cycle (self, TRUE, ts, TRUE, ev->f[GC_END_HEAP_MARKED], ev->f[GC_END_NEXT_GOAL]);
      gc->in_cycle = FALSE;
      gc->last_cycle = gc->cycle;
      break;
    case WEFT_EV_STW_BEGIN:
      if (gc->in_stw)
        {
          inconsistent (self, INC_GC_UNBALANCED);
          emit_stw (self, ts);
        }
      gc->in_stw = TRUE;
      gc->stw_start = ts;
      gc->stw_reason = (guint8) ev->f[STW_REASON];
      gc->stw_cycle = (guint32) ev->f[STW_CYCLE];
      break;
    case WEFT_EV_STW_END:
      if (!gc->in_stw)
        inconsistent (self, INC_GC_UNBALANCED);
      else
        emit_stw (self, ts);
      break;
    case WEFT_EV_GC_MARK_BEGIN:
      if (gc->in_mark)
        inconsistent (self, INC_GC_UNBALANCED);
      gc->in_mark = TRUE;
      gc->mark_start = ts;
      gc->mark_cycle = (guint32) ev->f[GC_MARK_CYCLE];
      break;
    case WEFT_EV_GC_MARK_END:
      if (!gc->in_mark)
        {
          inconsistent (self, INC_GC_UNBALANCED);
          break;
        }
      emit_gc_span (self, "mark", 0, -1, gc->mark_start, ts, gc->mark_cycle, NULL, FALSE, 0, FALSE, 0, FALSE);
      gc->in_mark = FALSE;
      break;
    case WEFT_EV_GC_WORKER_BEGIN:
      if ((p = gc_p (self, ev->f[GC_WORKER_P])) < 0)
        break;
      gc_open (self, gc->workers, (guint64) p, ts, current, (guint8) ev->f[GC_WORKER_MODE_OR_SCANNED], p);
      break;
    case WEFT_EV_GC_WORKER_END:
      if ((p = gc_p (self, ev->f[GC_WORKER_P])) < 0)
        break;
      if ((o = gc_close (self, gc->workers, (guint64) p)) != NULL)
        emit_gc_span (self, "worker", 0, p, o->start, ts, o->cycle, gc_worker_mode_name (o->mode), TRUE,
                      ev->f[GC_WORKER_MODE_OR_SCANNED], FALSE, 0, FALSE);
      g_free (o);
      break;
    case WEFT_EV_GC_ASSIST_BEGIN:
      gc_open (self, gc->assists, ev->f[GC_ASSIST_GOID], ts, current, 0, (gint16) ev->f[GC_ASSIST_P]);
      break;
    case WEFT_EV_GC_ASSIST_END:
      if ((o = gc_close (self, gc->assists, ev->f[GC_ASSIST_GOID])) != NULL)
        emit_gc_span (self, "assist", ev->f[GC_ASSIST_GOID], o->p, o->start, ts, o->cycle, NULL, TRUE,
                      ev->f[GC_ASSIST_SCANNED], FALSE, 0, FALSE);
      g_free (o);
      break;
    case WEFT_EV_GC_SWEEP_BEGIN:
      if ((p = gc_p (self, ev->f[GC_SWEEP_P])) < 0)
        break;
      /* Sweeping frees what the last finished cycle found dead. */
      gc_open (self, gc->sweeps, (guint64) p, ts, gc->last_cycle, 0, p)->goid = gc_p_goroutine (self, p);
      break;
    case WEFT_EV_GC_SWEEP_END:
      if ((p = gc_p (self, ev->f[GC_SWEEP_P])) < 0)
        break;
      if ((o = gc_close (self, gc->sweeps, (guint64) p)) != NULL)
        emit_gc_span (self, "sweep", o->goid, p, o->start, ts, o->cycle, NULL, TRUE, ev->f[GC_SWEEP_SWEPT], TRUE,
                      ev->f[GC_SWEEP_RECLAIMED], FALSE);
      g_free (o);
      break;
    case WEFT_EV_HEAP_ALLOC:
      emit_counter (self, WEFT_COUNTER_HEAP_ALLOC, ts, (gint64) ev->f[HEAP_BYTES]);
      break;
    case WEFT_EV_HEAP_GOAL:
      emit_counter (self, WEFT_COUNTER_HEAP_GOAL, ts, (gint64) ev->f[HEAP_BYTES]);
      break;
    case WEFT_EV_GO_LEAKED:
      {
        WeftRow *r = weft_writer_row (self->w, WEFT_ROW_LEAKED);

        r->v[0] = (gint64) ev->f[GO_LEAKED_GOID];
        r->v[1] = ts;
        SET_OPT (r, 2, ev->f[GO_LEAKED_CYCLE] != 0, ev->f[GO_LEAKED_CYCLE]);
        SET_OPT (r, 3, ev->f[GO_LEAKED_WAIT_STACK] != 0, ev->f[GO_LEAKED_WAIT_STACK]);
        r->v[4] = (gint64) ev->f[GO_LEAKED_WAIT_REASON];
        SET_OPT (r, 5, ev->f[GO_LEAKED_WAIT_OBJ] != 0, ev->f[GO_LEAKED_WAIT_OBJ]);
        note_reason (self, (guint8) ev->f[GO_LEAKED_WAIT_REASON]);
      }
      break;
    default:
      g_assert_not_reached ();
    }
}

/* Spans still open at the end of the trace end with it. */
static void
gc_finish (WeftIngest *self, gint64 end)
{
  static const char *const kinds[] = { "worker", "assist", "sweep" };
  GcState                 *gc = &self->gc;
  GHashTable              *tables[] = { gc->workers, gc->assists, gc->sweeps };

  if (gc->in_cycle)
    emit_gc_cycle (self, FALSE, 0, FALSE, 0, 0);
  /* A pause the trace ended in (the program died stopped) is still time
   * the program did not run. */
  if (gc->in_stw)
    emit_stw (self, end);
  if (gc->in_mark)
    emit_gc_span (self, "mark", 0, -1, gc->mark_start, end, gc->mark_cycle, NULL, FALSE, 0, FALSE, 0, TRUE);
  for (guint k = 0; k < G_N_ELEMENTS (tables); k++)
    {
      GHashTableIter iter;
      gpointer       key, value;

      g_hash_table_iter_init (&iter, tables[k]);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          GcOpen *o = value;

          emit_gc_span (self, kinds[k], k == 1 ? GPOINTER_TO_SIZE (key) : o->goid, o->p, o->start, end, o->cycle,
                        k == 0 ? gc_worker_mode_name (o->mode) : NULL, FALSE, 0, FALSE, 0, TRUE);
        }
    }
}

/* ------------------------------------------------------------------ derived counters */

/* The goroutine counters (goroutines alive, runnable) are sampled at most
 * once per COUNTER_GRAIN_NS of trace time per counter: bounded rows
 * whatever the event rate. A change is written at once when the last
 * sample is a grain old; one made sooner waits for the end of the grain
 * and is written with that time, when the next event (or the end of the
 * trace) shows that nothing changed it since. Each sample is thus the
 * exact value at its time, reached at most a grain earlier; changes that
 * undo each other within a grain are not seen. */
#define COUNTER_GRAIN_NS 50000

static void
counters_write (WeftIngest *self, gint64 ts)
{
  gint64 values[2] = { g_hash_table_size (self->gs), self->n_runnable };
  int    ids[2] = { WEFT_COUNTER_GOROUTINES, WEFT_COUNTER_RUNNABLE };

  for (int i = 0; i < 2; i++)
    if (values[i] != self->sampled[i])
      {
        emit_counter (self, ids[i], ts, values[i]);
        self->sampled[i] = values[i];
      }
  self->next_sample = ts + COUNTER_GRAIN_NS;
}

static inline gboolean
counters_changed (WeftIngest *self)
{
  return g_hash_table_size (self->gs) != self->sampled[0] || self->n_runnable != self->sampled[1];
}

/* Before an event at @ts: a change waiting for the end of its grain is
 * written there if @ts is past it (the values still hold then). */
static inline void
counters_catch_up (WeftIngest *self, gint64 ts)
{
  if (ts >= self->next_sample && self->sampled[0] >= 0 && counters_changed (self))
    counters_write (self, self->next_sample);
}

/* After an event at @ts. */
static inline void
counters_sample (WeftIngest *self, gint64 ts)
{
  if (ts >= self->next_sample && counters_changed (self))
    counters_write (self, ts);
}

/* At the end of the trace, @end: the last change, written where its grain
 * ends (or at @end, if sooner). */
static void
counters_finish (WeftIngest *self, gint64 end)
{
  if (counters_changed (self))
    counters_write (self, MIN (self->next_sample, end));
}

void
weft_ingest_event (WeftIngest *self, const WeftEvent *ev)
{
  gint64 ts;

  g_return_if_fail (self != NULL && ev != NULL);

  ts = rel_time (self, ev->ts);
  counters_catch_up (self, ts);
  self->events++;
  if (G_UNLIKELY (ev->incomplete))
    inconsistent (self, INC_MISSING_FIELD);
  switch (ev->type)
    {
    case WEFT_EV_GO_SWITCH:
      on_go_switch (self, ev, ts);
      break;
    case WEFT_EV_GO_UNBLOCK:
      on_go_unblock (self, ev, ts);
      break;
    case WEFT_EV_GO_CREATE:
      on_go_create (self, ev, ts);
      break;
    case WEFT_EV_GO_STATUS:
      on_go_status (self, ev, ts);
      break;
    case WEFT_EV_SNAPSHOT_BEGIN:
      self->gen = (guint32) ev->f[SNAPSHOT_GENERATION];
      break;
    case WEFT_EV_SNAPSHOT_END:
      on_snapshot_end (self, ts);
      break;
    case WEFT_EV_SYSCALL_ENTER:
      on_syscall_enter (self, ev, ts);
      break;
    case WEFT_EV_SYSCALL_EXIT:
      on_syscall_exit (self, ev, ts);
      break;
    case WEFT_EV_PROC_START:
    case WEFT_EV_PROC_STOP:
    case WEFT_EV_PROC_STEAL:
      on_proc (self, ev, ts);
      break;
    case WEFT_EV_THREAD_START:
    case WEFT_EV_THREAD_PARK:
    case WEFT_EV_THREAD_UNPARK:
      on_thread (self, ev, ts);
      break;
    case WEFT_EV_STACK:
      on_stack (self, ev);
      break;
    case WEFT_EV_TASK_BEGIN:
    case WEFT_EV_TASK_END:
      on_task (self, ev, ts);
      break;
    case WEFT_EV_REGION_BEGIN:
    case WEFT_EV_REGION_END:
      on_region (self, ev, ts);
      break;
    case WEFT_EV_LOG:
      on_log (self, ev, ts);
      break;
    case WEFT_EV_BIN_INFO:
    case WEFT_EV_BUILD_ID:
    case WEFT_EV_DEBUG_LINK:
      on_statedump (self, ev);
      break;
    case WEFT_EV_RUNTIME_INFO:
      on_runtime_info (self, ev);
      break;
    case WEFT_EV_PROCNAME:
      /* The recorder's own idea of the program (weft record's CMD) wins. */
      if (!g_hash_table_contains (self->meta, "program") && ev->s[0][0] != '\0')
        weft_ingest_set_meta (self, "program", ev->s[0]);
      break;
    case WEFT_EV_GC_BEGIN:
    case WEFT_EV_GC_END:
    case WEFT_EV_STW_BEGIN:
    case WEFT_EV_STW_END:
    case WEFT_EV_GC_MARK_BEGIN:
    case WEFT_EV_GC_MARK_END:
    case WEFT_EV_GC_WORKER_BEGIN:
    case WEFT_EV_GC_WORKER_END:
    case WEFT_EV_GC_ASSIST_BEGIN:
    case WEFT_EV_GC_ASSIST_END:
    case WEFT_EV_GC_SWEEP_BEGIN:
    case WEFT_EV_GC_SWEEP_END:
    case WEFT_EV_HEAP_ALLOC:
    case WEFT_EV_HEAP_GOAL:
    case WEFT_EV_GO_LEAKED:
      on_gc (self, ev, ts);
      break;
    case WEFT_EV_UNKNOWN:
    case WEFT_EV_N:
    default:
      self->unknown_events++;
      break;
    }
  counters_sample (self, ts);
}

/* An event of another provider: it counts for the time span only. */
void
weft_ingest_unknown_event (WeftIngest *self, gint64 ts)
{
  rel_time (self, ts);
  self->events++;
  self->unknown_events++;
}

/* The trace's clock reached @ts without an event (a Go trace's closing
 * Sync): what is still open at the end runs to it. */
void
weft_ingest_advance (WeftIngest *self, gint64 ts)
{
  if (self->have_origin)
    rel_time (self, ts);
}

void
weft_ingest_lost (WeftIngest *self, gboolean packets, gint64 stream, const char *stream_name, gboolean has_range, gint64 start, gint64 end, gboolean has_count, guint64 count)
{
  WeftRow *r;

  g_return_if_fail (self != NULL);

  if (packets)
    self->lost_packets += has_count ? count : 1;
  else
    self->lost_events += has_count ? count : 1;
  r = weft_writer_row (self->w, WEFT_ROW_LOST);
  weft_writer_set_text (self->w, r, 0, packets ? "packets" : "events");
  r->v[1] = stream;
  weft_writer_set_text (self->w, r, 2, stream_name);
  /* The window's start may precede the first event: do not let it move
   * the origin or the clock. */
  SET_OPT (r, 3, has_range && self->have_origin, start - self->origin);
  SET_OPT (r, 4, has_range && self->have_origin, end - self->origin);
  SET_OPT (r, 5, has_count, count);
}

/* Trace facts from outside the events (hostname, program...). */
void
weft_ingest_set_meta (WeftIngest *self, const char *key, const char *value)
{
  g_return_if_fail (self != NULL && key != NULL);

  if (value != NULL)
    g_hash_table_replace (self->meta, g_strdup (key), g_strdup (value));
}

static int
compare_goid (gconstpointer a, gconstpointer b)
{
  const Gor *x = *(Gor *const *) a, *y = *(Gor *const *) b;

  return x->goid < y->goid ? -1 : x->goid > y->goid;
}

/* Ends every interval still open at the end of the trace and writes the
 * remaining rows and the meta facts. */
void
weft_ingest_finish (WeftIngest *self)
{
  gint64         end = self->last;
  GHashTableIter iter;
  gpointer       key, value;
  g_autoptr (GPtrArray) alive = g_ptr_array_new ();
  guint64 total = 0;

  g_hash_table_iter_init (&iter, self->gs);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    g_ptr_array_add (alive, value);
  g_ptr_array_sort (alive, compare_goid);
  for (guint i = 0; i < alive->len; i++)
    {
      Gor *g = alive->pdata[i];

      if (g->state != ST_UNKNOWN)
        emit_gstate (self, g, end, -1, FALSE, 0, TRUE);
      if (g->regions != NULL)
        for (guint j = 0; j < g->regions->len; j++)
          emit_region (self, g, &g_array_index (g->regions, Region, j), j, end, TRUE);
      emit_goroutine (self, g, FALSE, 0);
    }
  for (guint p = 0; p < self->n_procs; p++)
    proc_close (self, p, end, TRUE);
  gc_finish (self, end);
  counters_finish (self, end);
  for (guint m = 0; m < self->n_threads; m++)
    {
      Thread *t = &self->threads[m];
      if (t->known && t->state != ST_UNKNOWN)
        thread_emit (self, m, t, end, TRUE);
    }
  g_hash_table_iter_init (&iter, self->tasks);
  while (g_hash_table_iter_next (&iter, &key, &value))
    emit_task (self, GPOINTER_TO_SIZE (key), value, FALSE, 0, 0);
  g_hash_table_iter_init (&iter, self->maps);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Mapping *m = value;
      WeftRow *r;

      if (m->path == NULL)
        continue;
      r = weft_writer_row (self->w, WEFT_ROW_MAPPING);
      r->v[0] = (gint64) m->base;
      r->v[1] = (gint64) m->memsz;
      weft_writer_set_text (self->w, r, 2, m->path);
      r->v[3] = m->is_pic;
      weft_writer_set_text (self->w, r, 4, m->build_id);
      weft_writer_set_text (self->w, r, 5, m->debug_link);
    }
  for (guint code = 0; code < 256; code++)
    if (self->reasons_seen[code / 64] & (G_GUINT64_CONSTANT (1) << (code % 64)))
      {
        /* INSERT OR IGNORE: only codes newer than the schema's list land. */
        WeftRow         *r = weft_writer_row (self->w, WEFT_ROW_WAIT_REASON);
        g_autofree char *name = g_strdup_printf ("reason %u", code);

        r->v[0] = code;
        weft_writer_set_text (self->w, r, 1, name);
        weft_writer_set_text (self->w, r, 2, "other");
      }

  g_hash_table_iter_init (&iter, self->meta);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      const char *text = value;
      char       *endp = NULL;
      gint64      v = g_ascii_strtoll (text, &endp, 10);

      if (*text != '\0' && *endp == '\0')
        emit_meta_int (self, key, v);
      else
        emit_meta_text (self, key, text);
    }
  emit_meta_int (self, "start_ns", 0);
  emit_meta_int (self, "end_ns", end);
  emit_meta_int (self, "clock_origin_ns", self->origin);
  emit_meta_int (self, "events", (gint64) self->events);
  emit_meta_int (self, "unknown_events", (gint64) self->unknown_events);
  emit_meta_int (self, "lost_events", (gint64) self->lost_events);
  emit_meta_int (self, "lost_packets", (gint64) self->lost_packets);
  for (int k = 0; k < N_INC; k++)
    {
      g_autofree char *name = g_strconcat ("inconsistency.", inc_names[k], NULL);

      total += self->inc[k];
      if (self->inc[k] != 0)
        emit_meta_int (self, name, (gint64) self->inc[k]);
    }
  emit_meta_int (self, "inconsistencies", (gint64) total);
}

gboolean
weft_ingest_get_origin (WeftIngest *self, gint64 *origin)
{
  *origin = self->origin;
  return self->have_origin;
}

guint64
weft_ingest_get_events (WeftIngest *self)
{
  return self->events;
}

guint64
weft_ingest_get_inconsistencies (WeftIngest *self)
{
  guint64 total = 0;

  for (int k = 0; k < N_INC; k++)
    total += self->inc[k];
  return total;
}

guint64
weft_ingest_get_lost_events (WeftIngest *self)
{
  return self->lost_events;
}
