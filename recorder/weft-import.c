/* weft-import.c — Go execution traces into the Weft schema.
 *
 * Owns the translation from Go's events (with their M/P/G context, from
 * WeftGoTrace) to WeftEvents fed to WeftIngest, and the pipeline around
 * it (store, writer, temporary file renamed into place when complete).
 * Invariants: a goroutine is introduced to the state machine once, by its
 * creation or its first GoStatus; Go's per-generation stack ids are
 * translated to global ones by content, so one stack is one row however
 * many generations name it; each pc's symbol row is written once, from the
 * trace's own function/file/line.
 */
#include "weft-import.h"

#include "weft-event.h"
#include "weft-gotrace.h"
#include "weft-ingest.h"
#include "weft-lod.h"
#include "weft-store.h"
#include "weft-writer.h"

#include <errno.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

/* Codes for Go's wait reasons that the schema's list lacks: from here up. */
#define FIRST_GO_REASON 64
#define LAST_GO_REASON 255

typedef struct
{
  WeftGoTrace *t;
  WeftIngest  *ingest;
  WeftWriter  *w;
  WeftEvent    ev;

  guint64     generation; /* whose stack ids gen_stacks holds */
  GHashTable *gen_stacks; /* Go stack id -> global id, this generation */
  GHashTable *stacks;     /* GBytes of pcs -> global id */
  guint32     next_stack;
  GHashTable *symbols;    /* pcs whose symbol row is written */
  GHashTable *threads;    /* Go M (thread id) -> our M id + 1 */
  GHashTable *goroutines; /* goids introduced to the state machine */
  GHashTable *nameless;   /* of those, alive before the trace, start_pc unknown */
  GHashTable *reasons;    /* Go wait reason -> code */
  guint       next_reason;
  GArray     *p_owner;   /* per P: our M id + 1 holding it, 0 none */
  GHashTable *sweeping;  /* Ps in a sweep */
  GHashTable *assisting; /* goroutines in a mark assist */
  gboolean    in_gc;
  guint32     gc_cycles;
  guint64     heap_alloc, heap_goal;
  guint64     events;
  guint64     samples_generation; /* whose CPU samples are written */
  guint64     cpu_samples;        /* written */
} Import;

/* ------------------------------------------------------------------ helpers */

/* A fresh event; only the parts the handlers read are cleared (the
 * sequence buffer is 2 KiB). */
static WeftEvent *
ev_new (Import *imp, WeftEventType type, gint64 ts)
{
  WeftEvent *ev = &imp->ev;

  ev->type = type;
  ev->ts = ts;
  memset (ev->f, 0, sizeof ev->f);
  ev->s[0] = ev->s[1] = "";
  ev->n_seq = 0;
  ev->wait_since_valid = FALSE;
  ev->incomplete = FALSE;
  return ev;
}

static void
ev_emit (Import *imp)
{
  weft_ingest_event (imp->ingest, &imp->ev);
  imp->events++;
}

static const char *
go_string (Import *imp, const WeftGoEvent *gev, guint64 id, GError **error)
{
  const char *s = weft_go_trace_string (imp->t, id);

  if (s == NULL)
    g_set_error (error, WEFT_GO_TRACE_ERROR, WEFT_GO_TRACE_ERROR_CORRUPT,
                 "offset %" G_GUINT64_FORMAT ": string id %" G_GUINT64_FORMAT " is not in its generation's table", gev->offset, id);
  return s;
}

/* Where the analyses should look past a frame for the user's call site. */
static gboolean
is_runtime_function (const char *fn)
{
  return g_str_has_prefix (fn, "runtime.") || g_str_has_prefix (fn, "internal/") || g_str_has_prefix (fn, "sync.")
         || g_str_has_prefix (fn, "iter.");
}

static void
write_symbol (Import *imp, guint64 pc)
{
  const char *fn = NULL, *file = NULL;
  guint64     line = 0;
  WeftRow    *r;

  if (g_hash_table_contains (imp->symbols, GSIZE_TO_POINTER (pc)))
    return;
  g_hash_table_add (imp->symbols, GSIZE_TO_POINTER (pc));
  if (!weft_go_trace_frame (imp->t, pc, &fn, &file, &line))
    return;
  r = weft_writer_row (imp->w, WEFT_ROW_SYMBOL);
  r->v[0] = (gint64) pc;
  weft_writer_set_text (imp->w, r, 1, fn);
  weft_writer_set_text (imp->w, r, 2, file);
  r->v[3] = (gint64) line;
  weft_row_set_null (r, 4);
  weft_row_set_null (r, 5);
  r->v[6] = fn != NULL && is_runtime_function (fn);
}

/* Go's stack @id of the current generation -> our stack id (0 for none),
 * announcing the stack to the state machine and its symbols the first
 * time its frames are seen. */
static gboolean
translate_stack (Import *imp, gint64 ts, guint64 offset, guint64 id, guint32 *out, GError **error)
{
  const guint64 *pcs;
  guint          n;
  gpointer       known;
  g_autoptr (GBytes) key = NULL;
  guint32 global;

  *out = 0;
  if (id == 0)
    return TRUE;
  if (imp->generation != weft_go_trace_get_stats (imp->t)->generations)
    {
      imp->generation = weft_go_trace_get_stats (imp->t)->generations;
      g_hash_table_remove_all (imp->gen_stacks);
    }
  if ((known = g_hash_table_lookup (imp->gen_stacks, GSIZE_TO_POINTER (id))) != NULL)
    {
      *out = GPOINTER_TO_UINT (known);
      return TRUE;
    }
  if (!weft_go_trace_stack (imp->t, id, &pcs, &n))
    {
      g_set_error (error, WEFT_GO_TRACE_ERROR, WEFT_GO_TRACE_ERROR_CORRUPT,
                   "offset %" G_GUINT64_FORMAT ": stack id %" G_GUINT64_FORMAT " is not in its generation's table", offset, id);
      return FALSE;
    }
  key = g_bytes_new (pcs, n * sizeof *pcs);
  global = GPOINTER_TO_UINT (g_hash_table_lookup (imp->stacks, key));
  if (global == 0)
    {
      WeftEvent *ev = ev_new (imp, WEFT_EV_STACK, ts);

      global = ++imp->next_stack;
      g_hash_table_insert (imp->stacks, g_steal_pointer (&key), GUINT_TO_POINTER (global));
      ev->f[STACK_ID] = global;
      ev->n_seq = MIN (n, WEFT_EVENT_MAX_SEQ);
      memcpy (ev->seq, pcs, ev->n_seq * sizeof *pcs);
      ev_emit (imp);
      for (guint i = 0; i < n; i++)
        write_symbol (imp, pcs[i]);
    }
  g_hash_table_insert (imp->gen_stacks, GSIZE_TO_POINTER (id), GUINT_TO_POINTER (global));
  *out = global;
  return TRUE;
}

/* A frame of Go's stack @id: 0 innermost, -1 outermost; 0 if none. */
static guint64
stack_pc (Import *imp, guint64 id, int which)
{
  const guint64 *pcs;
  guint          n;

  if (id == 0 || !weft_go_trace_stack (imp->t, id, &pcs, &n) || n == 0)
    return 0;
  if (which >= 0)
    return pcs[0];
  /* The goroutine's function, above the runtime's entry trampoline. */
  for (guint i = n; i-- > 0;)
    {
      const char *fn = NULL, *file;
      guint64     line;

      if (!weft_go_trace_frame (imp->t, pcs[i], &fn, &file, &line) || fn == NULL || strcmp (fn, "runtime.goexit") != 0)
        return pcs[i];
    }
  return pcs[n - 1];
}

/* A goroutine alive before the trace gets its function from the first
 * stack it shows: a GoStatus for a goroutine the state machine knows only
 * fills in start_pc (weft-ingest.c's on_go_status). */
static void
name_from_stack (Import *imp, gint64 ts, guint64 goid, guint64 go_stack)
{
  WeftEvent *ev;
  guint64    pc;

  if (go_stack == 0 || !g_hash_table_contains (imp->nameless, GSIZE_TO_POINTER (goid)))
    return;
  if ((pc = stack_pc (imp, go_stack, -1)) == 0)
    return;
  g_hash_table_remove (imp->nameless, GSIZE_TO_POINTER (goid));
  ev = ev_new (imp, WEFT_EV_GO_STATUS, ts);
  ev->f[GO_STATUS_GOID] = goid;
  ev->f[GO_STATUS_STATUS] = WEFT_GS_RUNNABLE;
  ev->f[GO_STATUS_START_PC] = pc;
  ev_emit (imp);
}

static gint64
our_m (Import *imp, guint64 go_m)
{
  gpointer v = g_hash_table_lookup (imp->threads, GSIZE_TO_POINTER (go_m));
  WeftRow *r;
  guint    id;

  if (v != NULL)
    return GPOINTER_TO_UINT (v) - 1;
  id = g_hash_table_size (imp->threads);
  g_hash_table_insert (imp->threads, GSIZE_TO_POINTER (go_m), GUINT_TO_POINTER (id + 1));
  /* Go's M ids are the threads' ids; they started before we know. */
  r = weft_writer_row (imp->w, WEFT_ROW_THREAD);
  r->v[0] = id;
  r->v[1] = (gint64) go_m;
  weft_row_set_null (r, 2);
  return id;
}

static const char *
reason_category (const char *reason)
{
  if (strstr (reason, "chan") != NULL || strstr (reason, "select") != NULL)
    return "chan";
  if (g_str_has_prefix (reason, "sync") || strstr (reason, "Cond") != NULL || strstr (reason, "Mutex") != NULL)
    return "sync";
  if (strstr (reason, "network") != NULL || strstr (reason, "IO wait") != NULL)
    return "net";
  if (strstr (reason, "sleep") != NULL)
    return "sleep";
  if (strstr (reason, "GC") != NULL)
    return "gc";
  return "other";
}

/* Go's wait reason string -> our code: the schema's own where Go's string
 * is the same, else a code of its own carrying Go's exact string. */
static guint8
reason_code (Import *imp, const char *reason)
{
  static const struct
  {
    const char *go;
    guint8      code;
  } same[] = { { "chan send", 1 }, { "chan receive", 2 }, { "select", 3 }, { "sleep", 12 } };
  gpointer v;
  WeftRow *r;
  guint    code;

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    if (strcmp (reason, same[i].go) == 0)
      return same[i].code;
  if ((v = g_hash_table_lookup (imp->reasons, reason)) != NULL)
    return (guint8) GPOINTER_TO_UINT (v);
  if (imp->next_reason > LAST_GO_REASON)
    return 0; /* hundreds of distinct reasons: not a real trace */
  code = imp->next_reason++;
  g_hash_table_insert (imp->reasons, g_strdup (reason), GUINT_TO_POINTER (code));
  /* Written before the state machine's placeholder rows, which are
   * INSERT OR IGNORE. */
  r = weft_writer_row (imp->w, WEFT_ROW_WAIT_REASON);
  r->v[0] = code;
  weft_writer_set_text (imp->w, r, 1, reason);
  weft_writer_set_text (imp->w, r, 2, reason_category (reason));
  return (guint8) code;
}

static guint8
stw_reason (const char *kind)
{
  if (strstr (kind, "sweep termination") != NULL)
    return WEFT_STW_GC_SWEEP_TERMINATION;
  if (strstr (kind, "mark termination") != NULL)
    return WEFT_STW_GC_MARK_TERMINATION;
  if (strstr (kind, "MemStats") != NULL || strstr (kind, "mem stats") != NULL)
    return WEFT_STW_READ_MEM_STATS;
  return WEFT_STW_OTHER;
}

static void
go_switch (Import *imp, gint64 ts, gint64 p, gint64 m, guint64 prev, int stop, guint8 reason, guint32 stack, guint64 next)
{
  WeftEvent *ev = ev_new (imp, WEFT_EV_GO_SWITCH, ts);

  ev->f[GO_SWITCH_P] = (guint64) p;
  ev->f[GO_SWITCH_M] = (guint64) m;
  ev->f[GO_SWITCH_PREV] = prev;
  ev->f[GO_SWITCH_STOP_REASON] = (guint64) stop;
  ev->f[GO_SWITCH_WAIT_REASON] = reason;
  ev->f[GO_SWITCH_WAIT_STACK] = stack;
  ev->f[GO_SWITCH_NEXT] = next;
  ev_emit (imp);
}

static void
go_status (Import *imp, gint64 ts, guint64 goid, int status, guint8 reason, guint32 stack, guint64 start_pc)
{
  WeftEvent *ev = ev_new (imp, WEFT_EV_GO_STATUS, ts);

  ev->f[GO_STATUS_GOID] = goid;
  ev->f[GO_STATUS_STATUS] = (guint64) status;
  ev->f[GO_STATUS_WAIT_REASON] = reason;
  ev->f[GO_STATUS_WAIT_STACK] = stack;
  ev->f[GO_STATUS_START_PC] = start_pc;
  ev_emit (imp);
  g_hash_table_add (imp->goroutines, GSIZE_TO_POINTER (goid));
}

static void
two_fields (Import *imp, WeftEventType type, gint64 ts, guint64 a, guint64 b)
{
  WeftEvent *ev = ev_new (imp, type, ts);

  ev->f[0] = a;
  ev->f[1] = b;
  ev_emit (imp);
}

static void
p_owner_set (Import *imp, gint64 p, gint64 m)
{
  if (p < 0)
    return;
  if ((guint) p >= imp->p_owner->len)
    g_array_set_size (imp->p_owner, p + 1);
  g_array_index (imp->p_owner, gint64, p) = m + 1;
}

static gboolean
p_owned_by (Import *imp, gint64 p, gint64 m)
{
  return p >= 0 && (guint) p < imp->p_owner->len && g_array_index (imp->p_owner, gint64, p) == m + 1;
}

/* ------------------------------------------------------------------ translation */

static gboolean
translate (Import *imp, const WeftGoEvent *gev, GError **error)
{
  gint64      ts = gev->ts, p = gev->p, m = our_m (imp, gev->m);
  guint64     g = gev->g;
  const char *s, *s2;
  guint32     stack, stack2;
  WeftEvent  *ev;

  switch (gev->type)
    {
    case WEFT_GO_EV_PROC_STATUS:
      if ((gev->args[1] == WEFT_GO_P_RUNNING || gev->args[1] == WEFT_GO_P_SYSCALL) && !p_owned_by (imp, (gint64) gev->args[0], m))
        {
          two_fields (imp, WEFT_EV_PROC_START, ts, gev->args[0], (guint64) m);
          p_owner_set (imp, (gint64) gev->args[0], m);
        }
      break;
    case WEFT_GO_EV_PROC_START:
      two_fields (imp, WEFT_EV_PROC_START, ts, gev->args[0], (guint64) m);
      p_owner_set (imp, (gint64) gev->args[0], m);
      break;
    case WEFT_GO_EV_PROC_STOP:
      two_fields (imp, WEFT_EV_PROC_STOP, ts, (guint64) p, (guint64) m);
      p_owner_set (imp, p, -1);
      break;
    case WEFT_GO_EV_PROC_STEAL:
      two_fields (imp, WEFT_EV_PROC_STEAL, ts, gev->args[0], (guint64) our_m (imp, gev->args[2]));
      p_owner_set (imp, (gint64) gev->args[0], -1);
      break;
    case WEFT_GO_EV_PROCS_CHANGE:
      {
        g_autofree char *v = g_strdup_printf ("%" G_GUINT64_FORMAT, gev->args[0]);
        weft_ingest_set_meta (imp->ingest, "gomaxprocs", v);
      }
      break;

    case WEFT_GO_EV_GO_STATUS:
    case WEFT_GO_EV_GO_STATUS_STACK:
      {
        guint64 goid = gev->args[0];

        /* Later generations repeat what the state machine already has. */
        if (g_hash_table_contains (imp->goroutines, GSIZE_TO_POINTER (goid)))
          break;
        stack = 0;
        if (gev->type == WEFT_GO_EV_GO_STATUS_STACK && !translate_stack (imp, gev->ts, gev->offset, gev->args[3], &stack, error))
          return FALSE;
        /* Alive before the trace: its outermost frame is the best name. */
        if (stack_pc (imp, gev->args[3], -1) == 0 || gev->type != WEFT_GO_EV_GO_STATUS_STACK)
          g_hash_table_add (imp->nameless, GSIZE_TO_POINTER (goid));
        switch (gev->args[2])
          {
          case WEFT_GO_G_RUNNING:
            go_status (imp, ts, goid, WEFT_GS_RUNNABLE, 0, 0, stack_pc (imp, gev->args[3], -1));
            go_switch (imp, ts, p, m, 0, WEFT_STOP_NONE_, 0, 0, goid);
            break;
          case WEFT_GO_G_RUNNABLE:
            go_status (imp, ts, goid, WEFT_GS_RUNNABLE, 0, 0, stack_pc (imp, gev->args[3], -1));
            break;
          case WEFT_GO_G_SYSCALL:
            go_status (imp, ts, goid, WEFT_GS_SYSCALL, 0, 0, stack_pc (imp, gev->args[3], -1));
            break;
          default:
            go_status (imp, ts, goid, WEFT_GS_WAITING, reason_code (imp, "unknown (blocked before the trace)"), stack,
                       stack_pc (imp, gev->args[3], -1));
            break;
          }
      }
      break;
    case WEFT_GO_EV_GO_CREATE:
    case WEFT_GO_EV_GO_CREATE_BLOCKED:
      if (!translate_stack (imp, gev->ts, gev->offset, gev->args[1], &stack2, error) || !translate_stack (imp, gev->ts, gev->offset, gev->args[2], &stack, error))
        return FALSE;
      ev = ev_new (imp, WEFT_EV_GO_CREATE, ts);
      ev->f[GO_CREATE_GOID] = gev->args[0];
      ev->f[GO_CREATE_PARENT] = g;
      ev->f[GO_CREATE_START_PC] = stack_pc (imp, gev->args[1], 0);
      ev->f[GO_CREATE_CREATE_STACK] = stack;
      ev_emit (imp);
      g_hash_table_add (imp->goroutines, GSIZE_TO_POINTER (gev->args[0]));
      if (gev->type == WEFT_GO_EV_GO_CREATE_BLOCKED)
        {
          /* A coroutine (iter.Pull) starts blocked. The state machine
           * creates goroutines runnable: run and block it at once, on no
           * P (zero-length intervals, so no time is misplaced). */
          go_switch (imp, ts, -1, -1, 0, WEFT_STOP_NONE_, 0, 0, gev->args[0]);
          go_switch (imp, ts, -1, -1, gev->args[0], WEFT_STOP_BLOCKED_, reason_code (imp, "coroutine"), 0, 0);
        }
      break;
    case WEFT_GO_EV_GO_CREATE_SYSCALL:
      go_status (imp, ts, gev->args[0], WEFT_GS_SYSCALL, 0, 0, 0);
      break;
    case WEFT_GO_EV_GO_START:
      g_hash_table_add (imp->goroutines, GSIZE_TO_POINTER (gev->args[0]));
      go_switch (imp, ts, p, m, 0, WEFT_STOP_NONE_, 0, 0, gev->args[0]);
      break;
    case WEFT_GO_EV_GO_STOP:
      if ((s = go_string (imp, gev, gev->args[0], error)) == NULL)
        return FALSE;
      go_switch (imp, ts, p, m, g, strcmp (s, "runtime.Gosched") == 0 ? WEFT_STOP_YIELD_ : WEFT_STOP_PREEMPTED_, 0, 0, 0);
      name_from_stack (imp, ts, g, gev->args[1]);
      break;
    case WEFT_GO_EV_GO_BLOCK:
      if ((s = go_string (imp, gev, gev->args[0], error)) == NULL || !translate_stack (imp, gev->ts, gev->offset, gev->args[1], &stack, error))
        return FALSE;
      go_switch (imp, ts, p, m, g, WEFT_STOP_BLOCKED_, reason_code (imp, s), stack, 0);
      name_from_stack (imp, ts, g, gev->args[1]);
      break;
    case WEFT_GO_EV_GO_DESTROY:
      go_switch (imp, ts, p, m, g, WEFT_STOP_EXITED_, 0, 0, 0);
      g_hash_table_remove (imp->goroutines, GSIZE_TO_POINTER (g));
      break;
    case WEFT_GO_EV_GO_DESTROY_SYSCALL:
      /* A cgo callback's goroutine ends inside its system call. */
      two_fields (imp, WEFT_EV_SYSCALL_EXIT, ts, g, (guint64) (gint64) -1);
      go_switch (imp, ts, -1, m, g, WEFT_STOP_EXITED_, 0, 0, 0);
      g_hash_table_remove (imp->goroutines, GSIZE_TO_POINTER (g));
      if (p >= 0)
        {
          two_fields (imp, WEFT_EV_PROC_STEAL, ts, (guint64) p, (guint64) m);
          p_owner_set (imp, p, -1);
        }
      break;
    case WEFT_GO_EV_GO_UNBLOCK:
      ev = ev_new (imp, WEFT_EV_GO_UNBLOCK, ts);
      ev->f[GO_UNBLOCK_GOID] = gev->args[0];
      ev->f[GO_UNBLOCK_BY] = g;
      ev->f[GO_UNBLOCK_P] = (guint64) p;
      ev_emit (imp);
      break;
    case WEFT_GO_EV_GO_SWITCH:
    case WEFT_GO_EV_GO_SWITCH_DESTROY:
      /* A coroutine switch: the current goroutine blocks (or ends) and
       * hands its P to the next, which was blocked. */
      ev = ev_new (imp, WEFT_EV_GO_UNBLOCK, ts);
      ev->f[GO_UNBLOCK_GOID] = gev->args[0];
      ev->f[GO_UNBLOCK_BY] = g;
      ev->f[GO_UNBLOCK_P] = (guint64) p;
      ev_emit (imp);
      if (gev->type == WEFT_GO_EV_GO_SWITCH)
        go_switch (imp, ts, p, m, g, WEFT_STOP_BLOCKED_, reason_code (imp, "coroutine"), 0, gev->args[0]);
      else
        {
          go_switch (imp, ts, p, m, g, WEFT_STOP_EXITED_, 0, 0, gev->args[0]);
          g_hash_table_remove (imp->goroutines, GSIZE_TO_POINTER (g));
        }
      break;
    case WEFT_GO_EV_GO_SYSCALL_BEGIN:
      two_fields (imp, WEFT_EV_SYSCALL_ENTER, ts, g, (guint64) p);
      name_from_stack (imp, ts, g, gev->args[1]);
      break;
    case WEFT_GO_EV_GO_SYSCALL_END:
      two_fields (imp, WEFT_EV_SYSCALL_EXIT, ts, g, (guint64) p);
      break;
    case WEFT_GO_EV_GO_SYSCALL_END_BLOCKED:
      /* Its P was taken meanwhile: it must queue for one. */
      two_fields (imp, WEFT_EV_SYSCALL_EXIT, ts, g, (guint64) (gint64) -1);
      break;

    case WEFT_GO_EV_STW_BEGIN:
      if ((s = go_string (imp, gev, gev->args[0], error)) == NULL)
        return FALSE;
      two_fields (imp, WEFT_EV_STW_BEGIN, ts, stw_reason (s), imp->in_gc ? imp->gc_cycles : 0);
      break;
    case WEFT_GO_EV_STW_END:
      ev_new (imp, WEFT_EV_STW_END, ts);
      ev_emit (imp);
      break;
    case WEFT_GO_EV_GC_ACTIVE:
    case WEFT_GO_EV_GC_BEGIN:
      if (imp->in_gc)
        break; /* GCActive repeats a cycle in progress at a generation start */
      imp->in_gc = TRUE;
      ev = ev_new (imp, WEFT_EV_GC_BEGIN, ts);
      ev->f[GC_BEGIN_CYCLE] = ++imp->gc_cycles;
      ev->f[GC_BEGIN_TRIGGER] = WEFT_GC_TRIGGER_HEAP; /* Go's trace does not say */
      ev->f[GC_BEGIN_HEAP_LIVE] = imp->heap_alloc;
      ev->f[GC_BEGIN_HEAP_GOAL] = imp->heap_goal;
      ev_emit (imp);
      break;
    case WEFT_GO_EV_GC_END:
      if (!imp->in_gc)
        break;
      imp->in_gc = FALSE;
      ev = ev_new (imp, WEFT_EV_GC_END, ts);
      ev->f[GC_END_CYCLE] = imp->gc_cycles;
      ev->f[GC_END_HEAP_MARKED] = imp->heap_alloc;
      ev->f[GC_END_NEXT_GOAL] = imp->heap_goal;
      ev_emit (imp);
      break;
    case WEFT_GO_EV_GC_SWEEP_ACTIVE:
    case WEFT_GO_EV_GC_SWEEP_BEGIN:
      {
        gint64 sp = gev->type == WEFT_GO_EV_GC_SWEEP_ACTIVE ? (gint64) gev->args[0] : p;

        if (!g_hash_table_add (imp->sweeping, GSIZE_TO_POINTER (sp)))
          break;
        ev = ev_new (imp, WEFT_EV_GC_SWEEP_BEGIN, ts);
        ev->f[GC_SWEEP_P] = (guint64) sp;
        ev_emit (imp);
      }
      break;
    case WEFT_GO_EV_GC_SWEEP_END:
      g_hash_table_remove (imp->sweeping, GSIZE_TO_POINTER (p));
      ev = ev_new (imp, WEFT_EV_GC_SWEEP_END, ts);
      ev->f[GC_SWEEP_P] = (guint64) p;
      ev->f[GC_SWEEP_SWEPT] = gev->args[0];
      ev->f[GC_SWEEP_RECLAIMED] = gev->args[1];
      ev_emit (imp);
      break;
    case WEFT_GO_EV_GC_MARK_ASSIST_ACTIVE:
    case WEFT_GO_EV_GC_MARK_ASSIST_BEGIN:
      {
        guint64 ag = gev->type == WEFT_GO_EV_GC_MARK_ASSIST_ACTIVE ? gev->args[0] : g;

        if (!g_hash_table_add (imp->assisting, GSIZE_TO_POINTER (ag)))
          break;
        two_fields (imp, WEFT_EV_GC_ASSIST_BEGIN, ts, ag, gev->type == WEFT_GO_EV_GC_MARK_ASSIST_BEGIN ? (guint64) p : (guint64) (gint64) -1);
      }
      break;
    case WEFT_GO_EV_GC_MARK_ASSIST_END:
      g_hash_table_remove (imp->assisting, GSIZE_TO_POINTER (g));
      two_fields (imp, WEFT_EV_GC_ASSIST_END, ts, g, (guint64) p);
      break;
    case WEFT_GO_EV_HEAP_ALLOC:
      imp->heap_alloc = gev->args[0];
      ev = ev_new (imp, WEFT_EV_HEAP_ALLOC, ts);
      ev->f[HEAP_BYTES] = gev->args[0];
      ev_emit (imp);
      break;
    case WEFT_GO_EV_HEAP_GOAL:
      imp->heap_goal = gev->args[0];
      ev = ev_new (imp, WEFT_EV_HEAP_GOAL, ts);
      ev->f[HEAP_BYTES] = gev->args[0];
      ev_emit (imp);
      break;

    case WEFT_GO_EV_USER_TASK_BEGIN:
      if ((s = go_string (imp, gev, gev->args[2], error)) == NULL)
        return FALSE;
      ev = ev_new (imp, WEFT_EV_TASK_BEGIN, ts);
      ev->f[TASK_GOID] = g;
      ev->f[TASK_TASK] = gev->args[0];
      ev->f[TASK_PARENT] = gev->args[1];
      ev->s[0] = s;
      ev_emit (imp);
      break;
    case WEFT_GO_EV_USER_TASK_END:
      two_fields (imp, WEFT_EV_TASK_END, ts, g, gev->args[0]);
      break;
    case WEFT_GO_EV_USER_REGION_BEGIN:
    case WEFT_GO_EV_USER_REGION_END:
      if ((s = go_string (imp, gev, gev->args[1], error)) == NULL)
        return FALSE;
      ev = ev_new (imp, gev->type == WEFT_GO_EV_USER_REGION_BEGIN ? WEFT_EV_REGION_BEGIN : WEFT_EV_REGION_END, ts);
      ev->f[REGION_GOID] = g;
      ev->f[REGION_TASK] = gev->args[0];
      ev->s[0] = s;
      ev_emit (imp);
      break;
    case WEFT_GO_EV_USER_LOG:
      if ((s = go_string (imp, gev, gev->args[1], error)) == NULL || (s2 = go_string (imp, gev, gev->args[2], error)) == NULL)
        return FALSE;
      ev = ev_new (imp, WEFT_EV_LOG, ts);
      ev->f[LOG_GOID] = g;
      ev->f[LOG_TASK] = gev->args[0];
      ev->s[0] = s;
      ev->s[1] = s2;
      ev_emit (imp);
      break;
    default:
      /* GoLabel (GC worker labels) and clock events carry nothing the
       * schema holds. */
      break;
    }
  return TRUE;
}

/* ------------------------------------------------------------------ pipeline */

static void
import_clear (Import *imp)
{
  g_clear_pointer (&imp->gen_stacks, g_hash_table_unref);
  g_clear_pointer (&imp->stacks, g_hash_table_unref);
  g_clear_pointer (&imp->symbols, g_hash_table_unref);
  g_clear_pointer (&imp->threads, g_hash_table_unref);
  g_clear_pointer (&imp->goroutines, g_hash_table_unref);
  g_clear_pointer (&imp->nameless, g_hash_table_unref);
  g_clear_pointer (&imp->reasons, g_hash_table_unref);
  g_clear_pointer (&imp->p_owner, g_array_unref);
  g_clear_pointer (&imp->sweeping, g_hash_table_unref);
  g_clear_pointer (&imp->assisting, g_hash_table_unref);
}

/* The current generation's CPU samples, once an event of it (at @now)
 * has gone to the state machine, which fixes the time origin. Their
 * stacks go the way of the events' (translate_stack), announced at @now:
 * the state machine's clock only moves forward. */
static gboolean
import_cpu_samples (Import *imp, gint64 now, GError **error)
{
  guint                  n;
  const WeftGoCpuSample *s = weft_go_trace_cpu_samples (imp->t, &n);
  gint64                 origin;

  if (!weft_ingest_get_origin (imp->ingest, &origin))
    return TRUE; /* at the next event */
  imp->samples_generation = weft_go_trace_get_stats (imp->t)->generations;
  for (guint i = 0; i < n; i++)
    {
      guint32  stack;
      WeftRow *r;

      if (!translate_stack (imp, now, s[i].offset, s[i].stack, &stack, error))
        return FALSE;
      r = weft_writer_row (imp->w, WEFT_ROW_CPU_SAMPLE);
      r->v[0] = s[i].ts - origin;
      r->v[1] = (gint64) s[i].g;
      r->v[2] = s[i].p;
      r->v[3] = our_m (imp, s[i].m);
      r->v[4] = stack;
      if (stack == 0)
        weft_row_set_null (r, 4);
    }
  imp->cpu_samples += n;
  return TRUE;
}

static gboolean
import_events (Import *imp, GError **error)
{
  const WeftGoEvent *gev;

  while (weft_go_trace_next (imp->t, &gev, error))
    {
      if (!translate (imp, gev, error))
        return FALSE;
      if (imp->samples_generation != weft_go_trace_get_stats (imp->t)->generations && !import_cpu_samples (imp, gev->ts, error))
        return FALSE;
      if (G_UNLIKELY ((imp->events & 0xffff) == 0) && weft_writer_failed (imp->w))
        return TRUE; /* the writer's error is reported when it closes */
    }
  return error == NULL || *error == NULL;
}

gboolean
weft_import (const char *trace_path, const char *out_path, const WeftImportOptions *options, WeftImportStats *stats, GError **error)
{
  static const WeftImportOptions defaults = { 0 };
  g_autoptr (WeftGoTrace) t = NULL;
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (WeftLodInput) lod_input = NULL;
  g_autoptr (GError) read_error = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autofree char        *tmp = NULL;
  g_autofree char        *now = NULL;
  g_autofree char        *version = NULL;
  WeftImportStats         local = { 0 };
  const WeftGoTraceStats *ts;
  Import                  imp = { 0 };
  gint64                  t0 = g_get_monotonic_time ();
  gboolean                ok;
  GStatBuf                st;

  g_return_val_if_fail (trace_path != NULL && out_path != NULL, FALSE);
  if (options == NULL)
    options = &defaults;
  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);

  t = weft_go_trace_new (trace_path, error);
  if (t == NULL)
    return FALSE;
  stats->go_version = weft_go_trace_version (t);

  tmp = g_strconcat (out_path, ".partial", NULL);
  g_unlink (tmp);
  store = weft_store_create (tmp, WEFT_STORE_CREATE_BULK, error);
  if (store == NULL)
    return FALSE;
  if ((lod_input = weft_lod_input_new (error)) == NULL)
    goto fail;
  imp.w = weft_writer_new (store, !options->single_thread, error);
  if (imp.w == NULL)
    goto fail;
  weft_writer_set_lod_input (imp.w, lod_input);
  imp.t = t;
  imp.ingest = weft_ingest_new (imp.w);
  imp.gen_stacks = g_hash_table_new (NULL, NULL);
  imp.stacks = g_hash_table_new_full (g_bytes_hash, g_bytes_equal, (GDestroyNotify) g_bytes_unref, NULL);
  imp.symbols = g_hash_table_new (NULL, NULL);
  imp.threads = g_hash_table_new (NULL, NULL);
  imp.goroutines = g_hash_table_new (NULL, NULL);
  imp.nameless = g_hash_table_new (NULL, NULL);
  imp.reasons = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  imp.next_reason = FIRST_GO_REASON;
  imp.p_owner = g_array_new (FALSE, TRUE, sizeof (gint64));
  imp.sweeping = g_hash_table_new (NULL, NULL);
  imp.assisting = g_hash_table_new (NULL, NULL);

  version = g_strdup_printf ("go1.%u", stats->go_version);
  weft_ingest_set_meta (imp.ingest, "source", trace_path);
  weft_ingest_set_meta (imp.ingest, "program", "Go program");
  weft_ingest_set_meta (imp.ingest, "runtime", "go");
  weft_ingest_set_meta (imp.ingest, "go_trace_format", version);
  weft_ingest_set_meta (imp.ingest, "recorder_version", WEFT_VERSION);
  weft_ingest_set_meta (imp.ingest, "clock", "go nanotime");
  weft_ingest_set_meta (imp.ingest, "symbolizer", "the Go trace's own stack tables");
  dt = g_date_time_new_now_local ();
  now = g_date_time_format_iso8601 (dt);
  weft_ingest_set_meta (imp.ingest, "converted_at", now);

  ok = import_events (&imp, &read_error);
  ts = weft_go_trace_get_stats (t);
  if (ok)
    {
      g_autofree char *cpu = g_strdup_printf ("%" G_GUINT64_FORMAT, imp.cpu_samples);
      g_autofree char *lost = g_strdup_printf ("%" G_GUINT64_FORMAT, ts->cpu_samples - imp.cpu_samples);
      g_autofree char *forced = g_strdup_printf ("%" G_GUINT64_FORMAT, ts->forced_order);

      weft_ingest_set_meta (imp.ingest, "go_cpu_samples", cpu);
      /* Samples of a generation without a single event: nothing to place
       * them against. Said, not hidden. */
      weft_ingest_set_meta (imp.ingest, "go_cpu_samples_not_imported", lost);
      weft_ingest_set_meta (imp.ingest, "go_events_forced_order", forced);
      if (ts->wall_sec != 0)
        {
          g_autoptr (GDateTime) wall = g_date_time_new_from_unix_utc (ts->wall_sec);
          g_autofree char *text = wall != NULL ? g_date_time_format_iso8601 (wall) : NULL;

          if (text != NULL)
            weft_ingest_set_meta (imp.ingest, "go_wall_clock_at_snapshot", text);
        }
      /* Go ends the states still open at its closing Sync, after every
       * event and sample: also after the statuses the last generation
       * repeats, which the state machine does not need, and which a
       * preempted runtime can write microseconds after the last event. */
      weft_ingest_advance (imp.ingest, weft_go_trace_end (t));
      weft_ingest_finish (imp.ingest);
    }
  stats->bytes = ts->bytes;
  stats->go_events = ts->events;
  stats->generations = ts->generations;
  stats->cpu_samples = ts->cpu_samples;
  stats->forced_order = ts->forced_order;
  stats->events = weft_ingest_get_events (imp.ingest);
  stats->inconsistencies = weft_ingest_get_inconsistencies (imp.ingest);
  weft_ingest_free (imp.ingest);
  import_clear (&imp);
  if (!weft_writer_close (imp.w, &stats->rows, error))
    goto fail;
  if (!ok)
    {
      g_propagate_prefixed_error (error, g_steal_pointer (&read_error), "%s: ", trace_path);
      goto fail;
    }
  stats->read_seconds = (g_get_monotonic_time () - t0) / 1e6;
  /* The timeline's level of detail, as weft convert builds it: without
   * it a big Go trace opens slowly in the viewer. */
  if (!weft_lod_finish_load (store, lod_input, error))
    goto fail;
  g_clear_pointer (&store, weft_store_free);
  if (g_rename (tmp, out_path) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot rename %s to %s: %s", tmp, out_path, g_strerror (saved));
      g_unlink (tmp);
      return FALSE;
    }
  if (g_stat (out_path, &st) == 0)
    stats->db_bytes = (guint64) st.st_size;
  stats->total_seconds = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;

fail:
  if (imp.ingest != NULL && imp.gen_stacks != NULL)
    import_clear (&imp);
  g_clear_pointer (&store, weft_store_free);
  g_unlink (tmp);
  return FALSE;
}

/* ------------------------------------------------------------------ fetching */

/* One plain HTTP/1.0 GET: the server closes the connection after the body,
 * so no chunked decoding is needed. */
gboolean
weft_import_fetch (const char *url, double seconds, const char *dest, GError **error)
{
  g_autoptr (GSocketClient) client = NULL;
  g_autoptr (GSocketConnection) conn = NULL;
  g_autoptr (GDataInputStream) in = NULL;
  g_autoptr (GFileOutputStream) out = NULL;
  g_autoptr (GFile) file = NULL;
  g_autoptr (GString) request = g_string_new (NULL);
  g_autofree char *host = NULL;
  g_autofree char *path = NULL;
  g_autofree char *status = NULL;
  g_autofree char *hostport = NULL;
  const char      *rest;
  int              port = 80, code = 0;
  gssize           n;

  if (g_str_has_prefix (url, "https://"))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "%s: https is not supported; expose the pprof endpoint on plain http (e.g. on localhost)", url);
      return FALSE;
    }
  rest = g_str_has_prefix (url, "http://") ? url + 7 : url;
  {
    const char *slash = strchr (rest, '/');
    const char *colon;

    hostport = slash != NULL ? g_strndup (rest, slash - rest) : g_strdup (rest);
    colon = strrchr (hostport, ':');
    if (colon != NULL)
      {
        char  *end = NULL;
        gint64 v = g_ascii_strtoll (colon + 1, &end, 10);

        if (end == colon + 1 || *end != '\0' || v <= 0 || v > 65535)
          {
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: bad port", url);
            return FALSE;
          }
        port = (int) v;
        host = g_strndup (hostport, colon - hostport);
      }
    else
      host = g_strdup (hostport);
    if (*host == '\0')
      {
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "%s: no host", url);
        return FALSE;
      }
    if (slash == NULL || strcmp (slash, "/") == 0)
      path = g_strdup_printf ("/debug/pprof/trace?seconds=%g", seconds);
    else if (strchr (slash, '?') == NULL && seconds > 0)
      path = g_strdup_printf ("%s?seconds=%g", slash, seconds);
    else
      path = g_strdup (slash);
  }

  client = g_socket_client_new ();
  /* The server answers after the whole trace is taken. */
  g_socket_client_set_timeout (client, (guint) (seconds + 60));
  conn = g_socket_client_connect_to_host (client, hostport, (guint16) port, NULL, error);
  if (conn == NULL)
    {
      g_prefix_error (error, "cannot connect to %s: ", hostport);
      return FALSE;
    }
  g_string_printf (request, "GET %s HTTP/1.0\r\nHost: %s\r\nUser-Agent: weft/" WEFT_VERSION "\r\nConnection: close\r\n\r\n", path, hostport);
  if (!g_output_stream_write_all (g_io_stream_get_output_stream (G_IO_STREAM (conn)), request->str, request->len, NULL, NULL, error))
    return FALSE;
  in = g_data_input_stream_new (g_io_stream_get_input_stream (G_IO_STREAM (conn)));
  g_data_input_stream_set_newline_type (in, G_DATA_STREAM_NEWLINE_TYPE_CR_LF);
  status = g_data_input_stream_read_line (in, NULL, NULL, error);
  if (status == NULL)
    {
      if (error != NULL && *error == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: the server closed the connection without answering", url);
      return FALSE;
    }
  if (sscanf (status, "HTTP/%*d.%*d %d", &code) != 1)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "%s: not an HTTP answer: \"%.80s\"", url, status);
      return FALSE;
    }
  for (;;)
    {
      g_autofree char *line = g_data_input_stream_read_line (in, NULL, NULL, error);

      if (line == NULL)
        {
          if (error != NULL && *error == NULL)
            g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: the answer ends inside its headers", url);
          return FALSE;
        }
      if (*line == '\0')
        break;
    }
  if (code != 200)
    {
      char  body[512] = { 0 };
      gsize got = 0;

      g_input_stream_read_all (G_INPUT_STREAM (in), body, sizeof body - 1, &got, NULL, NULL);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_FAILED, "%s: HTTP %d: %s", url, code, g_strstrip (body));
      return FALSE;
    }
  file = g_file_new_for_path (dest);
  out = g_file_replace (file, NULL, FALSE, G_FILE_CREATE_NONE, NULL, error);
  if (out == NULL)
    return FALSE;
  n = g_output_stream_splice (G_OUTPUT_STREAM (out), G_INPUT_STREAM (in), G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, NULL, error);
  return n >= 0;
}

char *
weft_import_record_go (const char *url, double seconds, const char *output, WeftImportStats *stats, GError **error)
{
  g_autofree char *dir = g_dir_make_tmp ("weft-go-XXXXXX", error);
  g_autofree char *trace = NULL;
  g_autofree char *db = NULL;
  gboolean         ok;

  if (dir == NULL)
    return NULL;
  trace = g_build_filename (dir, "trace.out", NULL);
  if (output != NULL)
    db = g_strdup (output);
  else
    {
      g_autoptr (GDateTime) now = g_date_time_new_now_local ();
      db = g_date_time_format (now, "weft-go-%Y%m%d-%H%M%S.weft");
    }
  ok = weft_import_fetch (url, seconds, trace, error) && weft_import (trace, db, NULL, stats, error);
  g_unlink (trace);
  g_rmdir (dir);
  return ok ? g_steal_pointer (&db) : NULL;
}
