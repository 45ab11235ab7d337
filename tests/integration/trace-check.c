/* trace-check.c — reads a Weft CTF trace with libbabeltrace2 and checks it
 * against the event vocabulary of tracer/README.md.
 *
 *   trace-check CTF_DIR [--expect KEY=N]... [--workload NAME]
 *
 * Graph: source.ctf.fs -> filter.utils.muxer -> a simple sink (here), so
 * events arrive in timestamp order across the per-CPU streams. The sink
 * replays them through a model of every goroutine, P and M and reports
 * each inconsistency with its timestamp; the exit status is 1 if there is
 * any, or if a count differs from an --expect, or if the tracer discarded
 * events. Keys: goroutines, exits, tasks, regions, logs, syscalls (exact);
 * min_sleeps, min_yields, min_chan_blocks, min_select_blocks,
 * min_mutex_blocks, min_waitgroup_blocks, min_stacks (distinct stack
 * ids announced) (lower bounds). With --workload,
 * creation stacks and the stacks of user-level blocking calls must have a
 * frame in the object whose path ends with NAME (lttng_ust_statedump:bin_info).
 *
 * The model assumes the session saw the process from its start (it checks
 * that the first snapshot lists no goroutine it did not see created), as
 * the integration test arranges; it is not a general reader.
 */
#include <babeltrace2/babeltrace.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Numbers of the trace format (weft-tp.h / README.md). */
enum
{
  ST_NONE,
  ST_YIELD,
  ST_PREEMPTED,
  ST_BLOCKED,
  ST_EXITED,
  ST_SYSCALL
};
enum
{
  W_CHAN_SEND = 1,
  W_CHAN_RECV = 2,
  W_SELECT = 3,
  W_MUTEX = 7,
  W_WAITGROUP = 11,
  W_SLEEP = 12,
  W_GOEXIT_MAIN = 17
};
enum
{
  G_UNSEEN,
  G_RUNNABLE,
  G_RUNNING,
  G_SYSCALL,
  G_WAITING,
  G_DEAD
};
static const char *const gstate_names[] = { "unseen", "runnable", "running", "in syscall", "waiting", "dead" };

#define MAX_P 1024
#define MAX_M 65536
#define MAX_ERRORS_SHOWN 40

typedef struct
{
  uint64_t goid; /* 0: free slot */
  int      state;
  int      p; /* P it runs on (or held when entering a syscall), -1 */
  bool     started;
  bool     created;
  uint32_t create_stack;
  uint64_t parent;
  int      region_depth;
  char     region_names[16][64];
  uint64_t region_tasks[16];
} Gor;

typedef struct
{
  bool     known; /* seen in proc_start: ownership is tracked */
  int32_t  m;     /* owner, -1 none */
  uint64_t cur;   /* goroutine on it, 0 none */
} Proc;

typedef struct
{
  bool started;
  bool parked;
} Thread;

typedef struct
{
  uint32_t id;
  uint8_t  n;
  uint64_t ips[32];
} Stack;

typedef struct
{
  uint64_t baddr, memsz;
  char     path[512];
} BinInfo;

typedef struct
{
  const char *key;
  long long   want;
  bool        min;
  long long   got;
  bool        given;
} Expect;

static Expect expects[] = {
  { "goroutines", 0, false, 0, false },
  { "exits", 0, false, 0, false },
  { "tasks", 0, false, 0, false },
  { "regions", 0, false, 0, false },
  { "logs", 0, false, 0, false },
  { "syscalls", 0, false, 0, false },
  { "min_sleeps", 0, true, 0, false },
  { "min_yields", 0, true, 0, false },
  { "min_chan_blocks", 0, true, 0, false },
  { "min_select_blocks", 0, true, 0, false },
  { "min_mutex_blocks", 0, true, 0, false },
  { "min_waitgroup_blocks", 0, true, 0, false },
  { "min_stacks", 0, true, 0, false },
};
#define NEXPECT (sizeof expects / sizeof expects[0])

static long long *
counter (const char *key)
{
  for (size_t i = 0; i < NEXPECT; i++)
    if (strcmp (expects[i].key, key) == 0)
      return &expects[i].got;
  abort ();
}

/* ------------------------------------------------------------------ state */

static Gor        *gs;
static size_t      gs_cap = 1024; /* power of two */
static size_t      gs_n;
static Proc        procs[MAX_P];
static Thread     *threads;
static Stack     **stacks; /* by id */
static size_t      stacks_cap;
static BinInfo    *bins;
static size_t      nbins, bins_cap;
static const char *workload_name;

/* Stacks to check against the workload's object once bin_info is known. */
typedef struct
{
  uint32_t    stack;
  uint64_t    goid;
  const char *what;
  uint64_t    ts;
} StackCheck;
static StackCheck *stack_checks;
static size_t      nstack_checks, stack_checks_cap;

static uint64_t  now_ns;
static uint64_t  events, weft_events;
static uint64_t  discarded, discarded_unknown;
static unsigned  errors;
static unsigned  snapshots, snapshot_open;
static uint64_t  runtime_infos;
static long long tasks_begun_open;

static void
error_at (const char *fmt, ...)
{
  va_list ap;

  errors++;
  if (errors > MAX_ERRORS_SHOWN)
    return;
  fprintf (stderr, "trace-check: ERROR at %" PRIu64 ".%09" PRIu64 ": ", now_ns / 1000000000, now_ns % 1000000000);
  va_start (ap, fmt);
  vfprintf (stderr, fmt, ap);
  va_end (ap);
  fputc ('\n', stderr);
}

static void *
xcalloc (size_t n, size_t size)
{
  void *p = calloc (n, size);
  if (p == NULL)
    {
      fprintf (stderr, "trace-check: out of memory\n");
      exit (2);
    }
  return p;
}

static void *
xrealloc (void *p, size_t size)
{
  p = realloc (p, size);
  if (p == NULL)
    {
      fprintf (stderr, "trace-check: out of memory\n");
      exit (2);
    }
  return p;
}

static size_t
ghash (uint64_t goid)
{
  return (size_t) ((goid * 0x9e3779b97f4a7c15ull) >> 20);
}

static Gor *g_lookup (uint64_t goid, bool create);

static void
g_grow (void)
{
  Gor   *old = gs;
  size_t old_cap = gs_cap;

  gs_cap *= 2;
  gs = xcalloc (gs_cap, sizeof *gs);
  gs_n = 0;
  for (size_t i = 0; i < old_cap; i++)
    if (old[i].goid != 0)
      *g_lookup (old[i].goid, true) = old[i];
  free (old);
}

static Gor *
g_lookup (uint64_t goid, bool create)
{
  size_t i;

  if (goid == 0)
    return NULL;
  if (create && (gs_n + 1) * 2 > gs_cap)
    g_grow ();
  for (i = ghash (goid) & (gs_cap - 1); gs[i].goid != 0; i = (i + 1) & (gs_cap - 1))
    if (gs[i].goid == goid)
      return &gs[i];
  if (!create)
    return NULL;
  gs_n++;
  memset (&gs[i], 0, sizeof gs[i]);
  gs[i].goid = goid;
  gs[i].p = -1;
  return &gs[i];
}

/* A goroutine every event may name: unknown ones are errors here, since
 * the session saw the process start. */
static Gor *
g_known (uint64_t goid, const char *event)
{
  Gor *g = g_lookup (goid, false);

  if (g == NULL)
    {
      error_at ("%s names goroutine %" PRIu64 ", never created nor in a snapshot", event, goid);
      g = g_lookup (goid, true);
      g->state = G_RUNNABLE;
    }
  return g;
}

static Proc *
proc (int64_t p, const char *event)
{
  if (p < 0 || p >= MAX_P)
    {
      error_at ("%s: P %" PRId64 " out of range", event, p);
      return NULL;
    }
  return &procs[p];
}

static Stack *
stack_get (uint32_t id)
{
  return id < stacks_cap ? stacks[id] : NULL;
}

static void
stack_ref (uint32_t id, const char *event, uint64_t goid)
{
  if (id != 0 && stack_get (id) == NULL)
    error_at ("%s of goroutine %" PRIu64 " refers to stack %" PRIu32 " before any weft:stack announced it", event,
              goid, id);
}

static void
stack_check_later (uint32_t id, uint64_t goid, const char *what)
{
  if (workload_name == NULL)
    return;
  if (nstack_checks == stack_checks_cap)
    {
      stack_checks_cap = stack_checks_cap ? 2 * stack_checks_cap : 256;
      stack_checks = xrealloc (stack_checks, stack_checks_cap * sizeof *stack_checks);
    }
  stack_checks[nstack_checks++] = (StackCheck){ id, goid, what, now_ns };
}

/* ------------------------------------------------------------------ field access */

static const bt_field *
member (const bt_field *payload, const char *name)
{
  const bt_field *f = bt_field_structure_borrow_member_field_by_name_const (payload, name);

  if (f == NULL)
    {
      fprintf (stderr, "trace-check: event has no field \"%s\": trace format mismatch\n", name);
      exit (2);
    }
  return f;
}

static int64_t
sfield (const bt_field *payload, const char *name)
{
  const bt_field *f = member (payload, name);

  if (bt_field_class_type_is (bt_field_get_class_type (f), BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
    return bt_field_integer_signed_get_value (f);
  return (int64_t) bt_field_integer_unsigned_get_value (f);
}

static uint64_t
ufield (const bt_field *payload, const char *name)
{
  const bt_field *f = member (payload, name);

  if (bt_field_class_type_is (bt_field_get_class_type (f), BT_FIELD_CLASS_TYPE_SIGNED_INTEGER))
    return (uint64_t) bt_field_integer_signed_get_value (f);
  return bt_field_integer_unsigned_get_value (f);
}

static const char *
strfield (const bt_field *payload, const char *name)
{
  return bt_field_string_get_value (member (payload, name));
}

/* ------------------------------------------------------------------ events */

static void
on_go_create (const bt_field *pl)
{
  uint64_t goid = ufield (pl, "goid"), parent = ufield (pl, "parent");
  uint32_t stack = (uint32_t) ufield (pl, "create_stack");
  Gor     *g = g_lookup (goid, false);

  (*counter ("goroutines"))++;
  if (g != NULL && g->state != G_DEAD)
    error_at ("go_create of goroutine %" PRIu64 ", which exists (%s)", goid, gstate_names[g->state]);
  if (parent != 0 && g_lookup (parent, false) == NULL)
    error_at ("go_create of %" PRIu64 " by unknown parent %" PRIu64, goid, parent);
  stack_ref (stack, "go_create", goid);
  if (g == NULL)
    g = g_lookup (goid, true);
  else
    memset ((char *) g + sizeof g->goid, 0, sizeof *g - sizeof g->goid), g->p = -1;
  g->state = G_RUNNABLE;
  g->created = true;
  g->create_stack = stack;
  g->parent = parent;
  if (parent != 0)
    {
      if (stack == 0)
        error_at ("goroutine %" PRIu64 " was created by goroutine %" PRIu64 " without a creation stack", goid, parent);
      else
        stack_check_later (stack, goid, "creation stack");
    }
}

static void
on_go_switch (const bt_field *pl)
{
  int64_t  p = sfield (pl, "p");
  int32_t  m = (int32_t) sfield (pl, "m");
  uint64_t prev = ufield (pl, "prev"), next = ufield (pl, "next");
  int      reason = (int) ufield (pl, "stop_reason");
  int      wait = (int) ufield (pl, "wait_reason");
  uint32_t wait_stack = (uint32_t) ufield (pl, "wait_stack");
  Proc    *pp = proc (p, "go_switch");

  if (pp == NULL)
    return;
  if (pp->known && pp->m != m)
    error_at ("go_switch on P %" PRId64 " by M %d, but M %d owns it", p, m, pp->m);
  if (pp->cur != prev)
    error_at ("go_switch on P %" PRId64 " stops goroutine %" PRIu64 " but the P runs %" PRIu64, p, prev, pp->cur);

  if (prev != 0)
    {
      Gor *g = g_known (prev, "go_switch (prev)");
      if (g->state != G_RUNNING || g->p != p)
        error_at ("go_switch stops goroutine %" PRIu64 " on P %" PRId64 " but it is %s on P %d", prev, p,
                  gstate_names[g->state], g->p);
      switch (reason)
        {
        case ST_YIELD:
          (*counter ("min_yields"))++;
          /* fall through */
        case ST_PREEMPTED:
          g->state = G_RUNNABLE;
          break;
        case ST_BLOCKED:
          g->state = G_WAITING;
          stack_ref (wait_stack, "go_switch (blocked)", prev);
          switch (wait)
            {
            case W_CHAN_SEND:
            case W_CHAN_RECV:
              (*counter ("min_chan_blocks"))++;
              break;
            case W_SELECT:
              (*counter ("min_select_blocks"))++;
              break;
            case W_MUTEX:
              (*counter ("min_mutex_blocks"))++;
              break;
            case W_WAITGROUP:
              (*counter ("min_waitgroup_blocks"))++;
              break;
            case W_SLEEP:
              (*counter ("min_sleeps"))++;
              break;
            default:
              break;
            }
          if (wait == 0)
            error_at ("goroutine %" PRIu64 " blocked with wait reason none", prev);
          if (wait != W_GOEXIT_MAIN)
            {
              if (wait_stack == 0)
                error_at ("goroutine %" PRIu64 " blocked (reason %d) without a stack", prev, wait);
              else
                stack_check_later (wait_stack, prev, "blocking stack");
            }
          break;
        case ST_EXITED:
          (*counter ("exits"))++;
          g->state = G_DEAD;
          if (g->region_depth != 0)
            error_at ("goroutine %" PRIu64 " exited inside region \"%s\"", prev,
                      g->region_names[g->region_depth - 1]);
          break;
        case ST_SYSCALL:
          g->state = G_SYSCALL;
          break;
        default:
          error_at ("go_switch stops goroutine %" PRIu64 " with stop reason %d", prev, reason);
        }
      g->p = -1;
    }
  else if (reason != ST_NONE)
    error_at ("go_switch with no previous goroutine but stop reason %d", reason);

  pp->cur = 0;
  if (next != 0)
    {
      Gor *g = g_known (next, "go_switch (next)");
      if (g->state == G_WAITING)
        error_at ("goroutine %" PRIu64 " starts on P %" PRId64 " while blocked: no go_unblock since it blocked", next,
                  p);
      else if (g->state == G_RUNNING)
        error_at ("goroutine %" PRIu64 " starts on P %" PRId64 " while running on P %d", next, p, g->p);
      else if (g->state != G_RUNNABLE)
        error_at ("goroutine %" PRIu64 " starts on P %" PRId64 " but it is %s", next, p, gstate_names[g->state]);
      g->state = G_RUNNING;
      g->p = (int) p;
      g->started = true;
      pp->cur = next;
    }
}

static void
on_go_unblock (const bt_field *pl)
{
  uint64_t goid = ufield (pl, "goid"), by = ufield (pl, "by");
  Gor     *g = g_known (goid, "go_unblock");

  if (g->state != G_WAITING)
    error_at ("go_unblock of goroutine %" PRIu64 " (by %" PRIu64 ") which is %s, not waiting", goid, by,
              gstate_names[g->state]);
  if (by != 0)
    {
      Gor *w = g_known (by, "go_unblock (by)");
      if (w->state != G_RUNNING && w->state != G_SYSCALL)
        error_at ("goroutine %" PRIu64 " unblocks %" PRIu64 " while %s", by, goid, gstate_names[w->state]);
    }
  g->state = G_RUNNABLE;
}

static void
on_syscall_enter (const bt_field *pl)
{
  uint64_t goid = ufield (pl, "goid");
  int64_t  p = sfield (pl, "p");
  Gor     *g = g_known (goid, "syscall_enter");

  (*counter ("syscalls"))++;
  if (g->state != G_RUNNING || g->p != p)
    error_at ("syscall_enter of goroutine %" PRIu64 " on P %" PRId64 " but it is %s on P %d", goid, p,
              gstate_names[g->state], g->p);
  g->state = G_SYSCALL;
}

static void
on_syscall_exit (const bt_field *pl)
{
  uint64_t goid = ufield (pl, "goid");
  int64_t  p = sfield (pl, "p");
  Gor     *g = g_known (goid, "syscall_exit");
  int      held = g->p;

  if (g->state != G_SYSCALL)
    error_at ("syscall_exit of goroutine %" PRIu64 " which is %s", goid, gstate_names[g->state]);
  if (held >= 0 && procs[held].cur == goid && held != p)
    procs[held].cur = 0;
  if (p < 0)
    {
      g->state = G_RUNNABLE;
      g->p = -1;
      return;
    }
  Proc *pp = proc (p, "syscall_exit");
  if (pp == NULL)
    return;
  if (pp->cur != 0 && pp->cur != goid)
    error_at ("goroutine %" PRIu64 " leaves its syscall on P %" PRId64 ", which runs %" PRIu64, goid, p, pp->cur);
  g->state = G_RUNNING;
  g->p = (int) p;
  pp->cur = goid;
}

static void
on_proc (const bt_field *pl, const char *which)
{
  int64_t p = sfield (pl, "p");
  int32_t m = (int32_t) sfield (pl, "m");
  Proc   *pp = proc (p, which);

  if (pp == NULL)
    return;
  if (strcmp (which, "proc_start") == 0)
    {
      if (pp->known && pp->m >= 0)
        error_at ("proc_start of P %" PRId64 " by M %d, but M %d owns it", p, m, pp->m);
      pp->known = true;
      pp->m = m;
      return;
    }
  if (pp->known && pp->m != m)
    error_at ("%s of P %" PRId64 " by M %d, but M %d owns it", which, p, m, pp->m);
  if (strcmp (which, "proc_stop") == 0 && pp->cur != 0)
    error_at ("proc_stop of P %" PRId64 " while it runs goroutine %" PRIu64, p, pp->cur);
  if (strcmp (which, "proc_steal") == 0 && pp->cur != 0)
    {
      Gor *g = g_lookup (pp->cur, false);
      if (g == NULL || g->state != G_SYSCALL)
        error_at ("proc_steal of P %" PRId64 " whose goroutine %" PRIu64 " is not in a syscall", p, pp->cur);
    }
  pp->known = true;
  pp->m = -1;
  pp->cur = 0;
}

static Thread *
thread (int64_t m, const char *event)
{
  if (m < 0 || m >= MAX_M)
    {
      error_at ("%s: M %" PRId64 " out of range", event, m);
      return NULL;
    }
  return &threads[m];
}

static void
on_thread (const bt_field *pl, const char *which)
{
  int64_t m = sfield (pl, "m");
  Thread *t = thread (m, which);

  if (t == NULL)
    return;
  if (strcmp (which, "thread_start") == 0)
    {
      if (t->started)
        error_at ("thread_start of M %" PRId64 " twice", m);
      t->started = true;
      return;
    }
  if (!t->started)
    error_at ("%s of M %" PRId64 " before its thread_start", which, m);
  bool park = strcmp (which, "thread_park") == 0;
  if (park == t->parked)
    error_at ("%s of M %" PRId64 " which is %s", which, m, t->parked ? "parked" : "not parked");
  t->parked = park;
}

static void
on_stack (const bt_field *pl)
{
  uint32_t        id = (uint32_t) ufield (pl, "id");
  const bt_field *ips = member (pl, "ips");
  uint64_t        n = bt_field_array_get_length (ips);
  Stack          *s;

  if (id == 0 || n == 0 || n > 32)
    {
      error_at ("weft:stack with id %" PRIu32 " and %" PRIu64 " frames", id, n);
      return;
    }
  if (id >= stacks_cap)
    {
      size_t cap = stacks_cap ? stacks_cap : 1024;
      while (cap <= id)
        cap *= 2;
      stacks = xrealloc (stacks, cap * sizeof *stacks);
      memset (stacks + stacks_cap, 0, (cap - stacks_cap) * sizeof *stacks);
      stacks_cap = cap;
    }
  s = xcalloc (1, sizeof *s);
  s->id = id;
  s->n = (uint8_t) n;
  for (uint64_t i = 0; i < n; i++)
    s->ips[i] = bt_field_integer_unsigned_get_value (bt_field_array_borrow_element_field_by_index_const (ips, i));
  if (stacks[id] != NULL)
    {
      /* A re-announcement (new generation, or two threads racing): it must
       * be the same stack. */
      if (stacks[id]->n != s->n || memcmp (stacks[id]->ips, s->ips, n * sizeof s->ips[0]) != 0)
        error_at ("stack %" PRIu32 " announced twice with different frames", id);
      free (s);
      return;
    }
  stacks[id] = s;
  (*counter ("min_stacks"))++;
}

static void
on_go_status (const bt_field *pl)
{
  uint64_t goid = ufield (pl, "goid");
  int      status = (int) ufield (pl, "status");
  Gor     *g = g_lookup (goid, false);

  if (!snapshot_open)
    error_at ("go_status of goroutine %" PRIu64 " outside snapshot_begin/snapshot_end", goid);
  stack_ref ((uint32_t) ufield (pl, "create_stack"), "go_status (create_stack)", goid);
  stack_ref ((uint32_t) ufield (pl, "wait_stack"), "go_status (wait_stack)", goid);
  if (status < G_RUNNABLE || status > G_WAITING)
    error_at ("go_status of goroutine %" PRIu64 " with status %d", goid, status);
  /* This session saw every creation: a snapshot can only confirm. */
  if (g == NULL)
    error_at ("snapshot lists goroutine %" PRIu64 ", never created in this trace", goid);
}

static void
on_task (const bt_field *pl, bool begin)
{
  if (begin)
    {
      (*counter ("tasks"))++;
      tasks_begun_open++;
      if (strfield (pl, "name")[0] == '\0')
        error_at ("task_begin without a name");
    }
  else
    tasks_begun_open--;
  g_known (ufield (pl, "goid"), begin ? "task_begin" : "task_end");
}

static void
on_region (const bt_field *pl, bool begin)
{
  uint64_t    goid = ufield (pl, "goid"), task = ufield (pl, "task");
  const char *name = strfield (pl, "name");
  Gor        *g = g_known (goid, begin ? "region_begin" : "region_end");

  if (g->state != G_RUNNING)
    error_at ("region event from goroutine %" PRIu64 ", which is %s", goid, gstate_names[g->state]);
  if (begin)
    {
      (*counter ("regions"))++;
      if (g->region_depth == 16)
        {
          error_at ("regions nested too deep in goroutine %" PRIu64, goid);
          return;
        }
      snprintf (g->region_names[g->region_depth], sizeof g->region_names[0], "%s", name);
      g->region_tasks[g->region_depth++] = task;
      return;
    }
  if (g->region_depth == 0)
    error_at ("region_end \"%s\" in goroutine %" PRIu64 " without region_begin", name, goid);
  else
    {
      g->region_depth--;
      if (strcmp (g->region_names[g->region_depth], name) != 0 || g->region_tasks[g->region_depth] != task)
        error_at ("region_end \"%s\" in goroutine %" PRIu64 " closes \"%s\"", name, goid,
                  g->region_names[g->region_depth]);
    }
}

static void
on_bin_info (const bt_field *pl)
{
  if (nbins == bins_cap)
    {
      bins_cap = bins_cap ? 2 * bins_cap : 64;
      bins = xrealloc (bins, bins_cap * sizeof *bins);
    }
  bins[nbins].baddr = ufield (pl, "baddr");
  bins[nbins].memsz = ufield (pl, "memsz");
  snprintf (bins[nbins].path, sizeof bins[nbins].path, "%s", strfield (pl, "path"));
  nbins++;
}

static void
on_event (const bt_message *msg)
{
  const bt_event          *ev = bt_message_event_borrow_event_const (msg);
  const char              *name = bt_event_class_get_name (bt_event_borrow_class_const (ev));
  const bt_field          *pl = bt_event_borrow_payload_field_const (ev);
  const bt_clock_snapshot *cs = bt_message_event_borrow_default_clock_snapshot_const (msg);
  int64_t                  ns;

  if (bt_clock_snapshot_get_ns_from_origin (cs, &ns) == BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK)
    {
      if ((uint64_t) ns < now_ns)
        error_at ("timestamps go backwards (muxer output)");
      now_ns = (uint64_t) ns;
    }
  events++;

  if (strcmp (name, "lttng_ust_statedump:bin_info") == 0)
    {
      on_bin_info (pl);
      return;
    }
  if (strncmp (name, "weft:", 5) != 0)
    return;
  weft_events++;
  name += 5;
  if (strcmp (name, "go_switch") == 0)
    on_go_switch (pl);
  else if (strcmp (name, "go_unblock") == 0)
    on_go_unblock (pl);
  else if (strcmp (name, "go_create") == 0)
    on_go_create (pl);
  else if (strcmp (name, "stack") == 0)
    on_stack (pl);
  else if (strcmp (name, "syscall_enter") == 0)
    on_syscall_enter (pl);
  else if (strcmp (name, "syscall_exit") == 0)
    on_syscall_exit (pl);
  else if (strncmp (name, "proc_", 5) == 0)
    on_proc (pl, name);
  else if (strncmp (name, "thread_", 7) == 0)
    on_thread (pl, name);
  else if (strcmp (name, "task_begin") == 0)
    on_task (pl, true);
  else if (strcmp (name, "task_end") == 0)
    on_task (pl, false);
  else if (strcmp (name, "region_begin") == 0)
    on_region (pl, true);
  else if (strcmp (name, "region_end") == 0)
    on_region (pl, false);
  else if (strcmp (name, "log") == 0)
    {
      (*counter ("logs"))++;
      g_known (ufield (pl, "goid"), "log");
    }
  else if (strcmp (name, "go_status") == 0)
    on_go_status (pl);
  else if (strcmp (name, "snapshot_begin") == 0)
    {
      if (snapshot_open)
        error_at ("snapshot_begin inside a snapshot");
      snapshot_open = 1;
      snapshots++;
    }
  else if (strcmp (name, "snapshot_end") == 0)
    {
      if (!snapshot_open)
        error_at ("snapshot_end without snapshot_begin");
      snapshot_open = 0;
    }
  else if (strcmp (name, "runtime_info") == 0)
    {
      runtime_infos++;
      if (ufield (pl, "format") != 1)
        error_at ("runtime_info: trace format %" PRIu64 ", this checker knows 1", ufield (pl, "format"));
      if (ufield (pl, "nprocs") == 0 || ufield (pl, "stack_size") == 0)
        error_at ("runtime_info with nprocs or stack_size 0");
    }
  else
    error_at ("unknown event weft:%s", name);
}

/* ------------------------------------------------------------------ the sink */

static bt_graph_simple_sink_component_initialize_func_status
sink_init (bt_message_iterator *it, void *data)
{
  *(bt_message_iterator **) data = it;
  return BT_GRAPH_SIMPLE_SINK_COMPONENT_INITIALIZE_FUNC_STATUS_OK;
}

static bt_graph_simple_sink_component_consume_func_status
sink_consume (bt_message_iterator *it, void *data)
{
  bt_message_array_const msgs;
  uint64_t               count;
  (void) data;

  switch (bt_message_iterator_next (it, &msgs, &count))
    {
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
      break;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_END;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_AGAIN;
    case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_MEMORY_ERROR;
    default:
      return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_ERROR;
    }
  for (uint64_t i = 0; i < count; i++)
    {
      const bt_message *msg = msgs[i];
      uint64_t          n;

      switch (bt_message_get_type (msg))
        {
        case BT_MESSAGE_TYPE_EVENT:
          on_event (msg);
          break;
        case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
          if (bt_message_discarded_events_get_count (msg, &n) == BT_PROPERTY_AVAILABILITY_AVAILABLE)
            discarded += n;
          else
            discarded_unknown++;
          break;
        case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
          discarded_unknown++;
          break;
        default:
          break;
        }
      bt_message_put_ref (msg);
    }
  return BT_GRAPH_SIMPLE_SINK_COMPONENT_CONSUME_FUNC_STATUS_OK;
}

static int
run_graph (const char *dir)
{
  const bt_plugin           *ctf = NULL, *utils = NULL;
  const bt_component_source *src;
  const bt_component_filter *mux;
  const bt_component_sink   *sink;
  bt_message_iterator       *it = NULL;
  bt_graph                  *graph = bt_graph_create (0);
  bt_value                  *params = bt_value_map_create ();
  bt_value                  *inputs = NULL;
  bt_graph_run_status        st;
  int                        ret = -1;

  if (graph == NULL || params == NULL)
    goto out;
  if (bt_plugin_find ("ctf", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &ctf) != BT_PLUGIN_FIND_STATUS_OK
      || bt_plugin_find ("utils", BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, &utils) != BT_PLUGIN_FIND_STATUS_OK)
    {
      fprintf (stderr, "trace-check: babeltrace2 plugins ctf/utils not found\n");
      goto out;
    }
  if (bt_value_map_insert_empty_array_entry (params, "inputs", &inputs) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK
      || bt_value_array_append_string_element (inputs, dir) != BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK)
    goto out;
  if (bt_graph_add_source_component (graph, bt_plugin_borrow_source_component_class_by_name_const (ctf, "fs"),
                                     "src", params, BT_LOGGING_LEVEL_WARNING, &src)
          != BT_GRAPH_ADD_COMPONENT_STATUS_OK
      || bt_graph_add_filter_component (graph, bt_plugin_borrow_filter_component_class_by_name_const (utils, "muxer"),
                                        "mux", NULL, BT_LOGGING_LEVEL_WARNING, &mux)
             != BT_GRAPH_ADD_COMPONENT_STATUS_OK
      || bt_graph_add_simple_sink_component (graph, "check", sink_init, sink_consume, NULL, &it, &sink)
             != BT_GRAPH_ADD_COMPONENT_STATUS_OK)
    {
      fprintf (stderr, "trace-check: cannot build the graph for %s (not a CTF folder?)\n", dir);
      goto out;
    }
  /* The muxer adds an input port each time one is connected. */
  for (uint64_t i = 0; i < bt_component_source_get_output_port_count (src); i++)
    if (bt_graph_connect_ports (graph, bt_component_source_borrow_output_port_by_index_const (src, i),
                                bt_component_filter_borrow_input_port_by_index_const (mux, i), NULL)
        != BT_GRAPH_CONNECT_PORTS_STATUS_OK)
      goto out;
  if (bt_graph_connect_ports (graph, bt_component_filter_borrow_output_port_by_index_const (mux, 0),
                              bt_component_sink_borrow_input_port_by_index_const (sink, 0), NULL)
      != BT_GRAPH_CONNECT_PORTS_STATUS_OK)
    goto out;
  do
    st = bt_graph_run (graph);
  while (st == BT_GRAPH_RUN_STATUS_AGAIN);
  if (st != BT_GRAPH_RUN_STATUS_OK)
    {
      fprintf (stderr, "trace-check: reading the trace failed (status %d)\n", (int) st);
      goto out;
    }
  ret = 0;
out:
  bt_value_put_ref (params);
  bt_graph_put_ref (graph);
  bt_plugin_put_ref (ctf);
  bt_plugin_put_ref (utils);
  return ret;
}

/* ------------------------------------------------------------------ end of trace */

static const BinInfo *
workload_bin (void)
{
  size_t len = strlen (workload_name);

  for (size_t i = 0; i < nbins; i++)
    {
      size_t pl = strlen (bins[i].path);
      if (pl >= len && strcmp (bins[i].path + pl - len, workload_name) == 0)
        return &bins[i];
    }
  return NULL;
}

static int
cmp_stack (const void *a, const void *b)
{
  const Stack *x = *(Stack *const *) a, *y = *(Stack *const *) b;

  if (x->n != y->n)
    return x->n < y->n ? -1 : 1;
  return memcmp (x->ips, y->ips, x->n * sizeof x->ips[0]);
}

/* The stack table deduplicates: two ids never name the same frames. */
static void
check_stacks_distinct (void)
{
  Stack **v = xcalloc (stacks_cap + 1, sizeof *v);
  size_t  n = 0;

  for (size_t i = 0; i < stacks_cap; i++)
    if (stacks[i] != NULL)
      v[n++] = stacks[i];
  qsort (v, n, sizeof *v, cmp_stack);
  for (size_t i = 1; i < n; i++)
    if (cmp_stack (&v[i - 1], &v[i]) == 0)
      error_at ("stacks %" PRIu32 " and %" PRIu32 " have the same frames", v[i - 1]->id, v[i]->id);
  free (v);
}

static void
final_checks (void)
{
  unsigned unstarted = 0, blocked = 0;

  now_ns = UINT64_MAX;
  if (runtime_infos == 0)
    error_at ("no weft:runtime_info: did the provider load?");
  if (snapshots == 0)
    error_at ("no snapshot (snapshot_begin/snapshot_end)");
  if (snapshot_open)
    error_at ("the last snapshot has no snapshot_end");
  for (size_t i = 0; i < gs_cap; i++)
    {
      Gor *g = &gs[i];
      if (g->goid == 0)
        continue;
      if (g->created && !g->started && g->state != G_DEAD)
        {
          unstarted++;
          error_at ("goroutine %" PRIu64 " was created but never ran", g->goid);
        }
      if (g->state == G_WAITING)
        blocked++;
    }
  if (tasks_begun_open != 0)
    error_at ("%lld tasks begun but not ended", tasks_begun_open);
  check_stacks_distinct ();

  if (workload_name != NULL)
    {
      const BinInfo *b = workload_bin ();
      if (b == NULL)
        error_at ("no lttng_ust_statedump:bin_info for an object named *%s", workload_name);
      else
        for (size_t i = 0; i < nstack_checks; i++)
          {
            Stack *s = stack_get (stack_checks[i].stack);
            bool   hit = false;
            for (unsigned k = 0; s != NULL && k < s->n && !hit; k++)
              hit = s->ips[k] >= b->baddr && s->ips[k] < b->baddr + b->memsz;
            if (s != NULL && !hit)
              {
                now_ns = stack_checks[i].ts;
                error_at ("%s %" PRIu32 " of goroutine %" PRIu64 " has no frame in %s", stack_checks[i].what,
                          stack_checks[i].stack, stack_checks[i].goid, b->path);
              }
          }
    }

  fprintf (stderr, "trace-check: %" PRIu64 " events (%" PRIu64 " weft), %zu goroutines, %u still blocked at the end\n",
           events, weft_events, gs_n, blocked);
  for (size_t i = 0; i < NEXPECT; i++)
    {
      Expect *e = &expects[i];
      bool    ok = !e->given || (e->min ? e->got >= e->want : e->got == e->want);
      fprintf (stderr, "trace-check: %-22s %8lld", e->key, e->got);
      if (e->given)
        fprintf (stderr, "  (expected %s%lld)%s", e->min ? ">= " : "", e->want, ok ? "" : "  MISMATCH");
      fputc ('\n', stderr);
      if (!ok)
        errors++;
    }
  if (discarded != 0 || discarded_unknown != 0)
    {
      fprintf (stderr, "trace-check: ERROR: the tracer discarded %" PRIu64 " events (%" PRIu64 " records of unknown size)\n",
               discarded, discarded_unknown);
      errors++;
    }
  else
    fprintf (stderr, "trace-check: lost events: 0\n");
}

int
main (int argc, char **argv)
{
  const char *dir = NULL;

  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--expect") == 0 && i + 1 < argc)
        {
          const char *kv = argv[++i], *eq = strchr (kv, '=');
          bool        found = false;
          for (size_t k = 0; eq != NULL && k < NEXPECT; k++)
            if (strncmp (expects[k].key, kv, (size_t) (eq - kv)) == 0 && expects[k].key[eq - kv] == '\0')
              {
                expects[k].want = atoll (eq + 1);
                expects[k].given = true;
                found = true;
              }
          if (!found)
            {
              fprintf (stderr, "trace-check: unknown expectation %s\n", kv);
              return 2;
            }
        }
      else if (strcmp (argv[i], "--workload") == 0 && i + 1 < argc)
        workload_name = argv[++i];
      else if (dir == NULL && argv[i][0] != '-')
        dir = argv[i];
      else
        {
          fprintf (stderr, "usage: trace-check CTF_DIR [--expect KEY=N]... [--workload NAME]\n");
          return 2;
        }
    }
  if (dir == NULL)
    {
      fprintf (stderr, "usage: trace-check CTF_DIR [--expect KEY=N]... [--workload NAME]\n");
      return 2;
    }

  gs = xcalloc (gs_cap, sizeof *gs);
  threads = xcalloc (MAX_M, sizeof *threads);
  for (int i = 0; i < MAX_P; i++)
    procs[i] = (Proc){ false, -1, 0 };

  if (run_graph (dir) != 0)
    return 2;
  final_checks ();
  if (errors > MAX_ERRORS_SHOWN)
    fprintf (stderr, "trace-check: (%u more errors not shown)\n", errors - MAX_ERRORS_SHOWN);
  if (errors != 0)
    {
      fprintf (stderr, "trace-check: FAILED: %u errors\n", errors);
      return 1;
    }
  fprintf (stderr, "trace-check: OK\n");
  return 0;
}
