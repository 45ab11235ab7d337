/* trace.c — the runtime -> tracer boundary: loads the LTTng provider,
 * follows sessions starting and stopping, writes every "weft" event, keeps
 * the stack table, and implements the public annotations (tasks, regions,
 * logs). The only file that includes weft-tp.h to emit.
 *
 * Invariants:
 *  - libweft never links liblttng-ust: the probes live in libweft-lttng.so,
 *    dlopen()ed once by weft_trace_init() and never closed. Without it
 *    every tracepoint stays disabled and weft_trace_on stays 0.
 *  - weft_trace_on is 1 only between a rising edge (some weft event became
 *    enabled and stayed so for SETTLE_NS) and the next falling edge, both
 *    seen by weft_trace_poll() in sysmon, or by weft_trace_init(). Every
 *    rising edge starts a new generation: runtime_info, snapshot_begin, one
 *    go_status per live goroutine, snapshot_end, and every stack id is
 *    announced again the first time an event of the generation refers to
 *    it. See README.md for what a reader may conclude from a snapshot.
 *  - Stack ids are dense, start at 1 (0 = no stack) and name one sequence
 *    of return addresses for the life of the process. Entries are immutable
 *    once published (but for the generation they were last announced in);
 *    lookups take no lock; inserts take stack_lock, the innermost runtime
 *    lock (it may be taken under the allg lock by the snapshot). A stack
 *    starts at the public libweft call the program made: the runtime's
 *    own frames above it are trimmed by address (see intern_stack).
 */
#define _GNU_SOURCE
#include "trace.h"

#include "weft-tp.h"

#include <dlfcn.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

/* The enums of weft-tp.h repeat runtime.h's numbers: keep them in step. */
_Static_assert(WEFT_WAIT_N == 21, "weft-tp.h: update the wait_reason enum");
_Static_assert(WEFT_WAIT_ONCE == 20 && WEFT_WAIT_GC_STW == 19 && WEFT_WAIT_GOEXIT_MAIN == 17
                   && WEFT_WAIT_SLEEP == 12 && WEFT_WAIT_MUTEX == 7,
               "weft-tp.h: wait_reason numbers");
_Static_assert(WEFT_STOP_SYSCALL == 5 && WEFT_STOP_EXITED == 4 && WEFT_STOP_BLOCKED == 3,
               "weft-tp.h: stop_reason numbers");
_Static_assert(G_DEAD == 5 && G_WAITING == 4 && G_SYSCALL == 3 && G_RUNNING == 2,
               "weft-tp.h: g_status numbers");
_Static_assert(sizeof (uintptr_t) == sizeof (uint64_t), "stack ips are written as uint64_t");

_Atomic int weft_trace_on;

/* A session that enables events is not active until a moment later
 * (LTTng-UST registers the probes, then marks the session active): a
 * snapshot written in between would be lost. sysmon therefore waits this
 * long after it first sees events enabled. At start-up it need not: the
 * LTTng-UST constructor returns only once the session daemon has set
 * everything up. */
#define SETTLE_NS (2 * 1000 * 1000)

static void   *provider;  /* libweft-lttng.so; never closed */
static int64_t rise_seen; /* sysmon: when events were first seen enabled, 0 if not pending */

/* Every event of the provider: tracing is on while any of them is. */
/* One event a line: clang-format reflows this list differently on every
 * pass. */
/* clang-format off */
#define WEFT_EVENTS(X) \
  X (runtime_info) \
  X (go_create) \
  X (go_switch) \
  X (go_unblock) \
  X (go_status) \
  X (snapshot_begin) \
  X (snapshot_end) \
  X (syscall_enter) \
  X (syscall_exit) \
  X (proc_start) \
  X (proc_stop) \
  X (proc_steal) \
  X (thread_start) \
  X (thread_park) \
  X (thread_unpark) \
  X (stack) \
  X (task_begin) \
  X (task_end) \
  X (region_begin) \
  X (region_end) \
  X (log) \
  X (gc_begin) \
  X (gc_end) \
  X (stw_begin) \
  X (stw_end) \
  X (gc_mark_begin) \
  X (gc_mark_end) \
  X (gc_worker_begin) \
  X (gc_worker_end) \
  X (gc_assist_begin) \
  X (gc_assist_end) \
  X (gc_sweep_begin) \
  X (gc_sweep_end) \
  X (heap_alloc) \
  X (heap_goal) \
  X (go_leaked)
/* clang-format on */

static bool
any_event_enabled (void)
{
#define X(name)                                  \
  if (lttng_ust_tracepoint_enabled (weft, name)) \
    return true;
  WEFT_EVENTS (X)
#undef X
  return false;
}

static int64_t
monotonic_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ stack table
 *
 * Open addressing over published entry pointers. A reader probes the
 * current table without a lock; a miss (including one caused by a table
 * being replaced under it) is settled under stack_lock, so an id is never
 * made twice. Growing copies the entries into a table twice as large and
 * publishes it; the old one is leaked, since readers may still be in it
 * (the sizes add up to less than the final table's).
 *
 * Bounded: at most STACK_MAX distinct stacks per process. Past that new
 * stacks get id 0 ("unknown") and are counted in stacks_dropped; a program
 * with that many distinct call paths into blocking points is pathological
 * and the bound keeps the table under ~100 MiB in the worst case. */

#define STACK_CHUNK 4096u
#define STACK_NCHUNKS 64u
#define STACK_MAX (STACK_CHUNK * STACK_NCHUNKS) /* ids 1 .. STACK_MAX - 1 */
#define STACK_TABLE_MIN 1024u

typedef struct
{
  uint64_t         hash;
  uint32_t         id;
  _Atomic uint32_t gen; /* generation it was last announced in; 0: never */
  uint8_t          n;
  uintptr_t        pcs[];
} StackEntry;

typedef _Atomic (StackEntry *) StackSlot;

typedef struct StackTable StackTable;
struct StackTable
{
  StackTable *retired; /* the smaller table it replaced: lock-free readers
                        * may still be in it, so it is kept, not freed */
  uint32_t  mask;      /* slots - 1; slots is a power of two */
  StackSlot slots[];
};

static WeftLock               stack_lock;
static _Atomic (StackTable *) stack_table;
static _Atomic (StackSlot *)  stack_chunks[STACK_NCHUNKS]; /* id -> entry */
static uint32_t               stack_count;                 /* ids handed out; stack_lock */
static _Atomic uint32_t       stack_gen;                   /* current generation; 0 before the first */
static _Atomic uint64_t       stacks_dropped;

static uint64_t
hash_pcs (const uintptr_t *pcs, int n)
{
  uint64_t h = 0x9e3779b97f4a7c15ull ^ (uint64_t) n;

  for (int i = 0; i < n; i++)
    {
      h = (h ^ pcs[i]) * 0xff51afd7ed558ccdull;
      h ^= h >> 29;
    }
  return h;
}

static StackEntry *
table_find (StackTable *tab, uint64_t h, const uintptr_t *pcs, int n)
{
  for (uint32_t i = (uint32_t) h & tab->mask;; i = (i + 1) & tab->mask)
    {
      StackEntry *e = atomic_load_explicit (&tab->slots[i], memory_order_acquire);

      if (e == NULL)
        return NULL;
      if (e->hash == h && e->n == n && memcmp (e->pcs, pcs, (size_t) n * sizeof *pcs) == 0)
        return e;
    }
}

static void
table_put (StackTable *tab, StackEntry *e)
{
  uint32_t i = (uint32_t) e->hash & tab->mask;

  while (atomic_load_explicit (&tab->slots[i], memory_order_relaxed) != NULL)
    i = (i + 1) & tab->mask;
  atomic_store_explicit (&tab->slots[i], e, memory_order_release);
}

static StackTable *
table_new (uint32_t slots)
{
  StackTable *tab = calloc (1, sizeof *tab + slots * sizeof tab->slots[0]);

  if (tab != NULL)
    tab->mask = slots - 1;
  return tab;
}

/* Makes room for one more entry (load at most 1/2). stack_lock held. */
static StackTable *
table_reserve (StackTable *tab)
{
  StackTable *bigger;

  if (tab != NULL && (stack_count + 1) * 2 <= tab->mask + 1)
    return tab;
  bigger = table_new (tab == NULL ? STACK_TABLE_MIN : (tab->mask + 1) * 2);
  if (bigger == NULL)
    return NULL;
  bigger->retired = tab;
  if (tab != NULL)
    for (uint32_t i = 0; i <= tab->mask; i++)
      {
        StackEntry *e = atomic_load_explicit (&tab->slots[i], memory_order_relaxed);
        if (e != NULL)
          table_put (bigger, e);
      }
  atomic_store_explicit (&stack_table, bigger, memory_order_release);
  return bigger;
}

static StackEntry *
stack_insert (uint64_t h, const uintptr_t *pcs, int n)
{
  StackTable *tab;
  StackEntry *e = NULL;
  StackSlot  *chunk;
  uint32_t    id;

  weft_lock (&stack_lock);
  tab = atomic_load_explicit (&stack_table, memory_order_relaxed);
  if (tab != NULL && (e = table_find (tab, h, pcs, n)) != NULL)
    goto out;
  if (stack_count + 1 >= STACK_MAX || (tab = table_reserve (tab)) == NULL)
    goto out;
  id = stack_count + 1;
  chunk = atomic_load_explicit (&stack_chunks[id / STACK_CHUNK], memory_order_relaxed);
  if (chunk == NULL)
    {
      chunk = calloc (STACK_CHUNK, sizeof *chunk);
      if (chunk == NULL)
        goto out;
      atomic_store_explicit (&stack_chunks[id / STACK_CHUNK], chunk, memory_order_release);
    }
  e = malloc (sizeof *e + (size_t) n * sizeof *pcs);
  if (e == NULL)
    goto out;
  e->hash = h;
  e->id = id;
  atomic_init (&e->gen, 0);
  e->n = (uint8_t) n;
  memcpy (e->pcs, pcs, (size_t) n * sizeof *pcs);
  stack_count = id;
  /* The chunk slot first: an id is only handed out once the entry can be
   * found by id (announce_id) and by content. */
  atomic_store_explicit (&chunk[id % STACK_CHUNK], e, memory_order_release);
  table_put (tab, e);
out:
  weft_unlock (&stack_lock);
  if (e == NULL)
    atomic_fetch_add_explicit (&stacks_dropped, 1, memory_order_relaxed);
  return e;
}

static StackEntry *
stack_by_id (uint32_t id)
{
  StackSlot *chunk;

  if (id == 0 || id >= STACK_MAX)
    return NULL;
  chunk = atomic_load_explicit (&stack_chunks[id / STACK_CHUNK], memory_order_acquire);
  if (chunk == NULL)
    return NULL;
  return atomic_load_explicit (&chunk[id % STACK_CHUNK], memory_order_acquire);
}

/* Writes weft:stack for @e unless done in this generation. The event is
 * written before the entry is marked, so that any thread that finds it
 * marked writes its own referring event after the announcement. Two
 * threads may both announce it: the copies are identical. */
static void
announce (StackEntry *e)
{
  uint32_t gen = atomic_load_explicit (&stack_gen, memory_order_acquire);
  uint32_t seen = atomic_load_explicit (&e->gen, memory_order_acquire);

  if (likely (seen == gen) || !lttng_ust_tracepoint_enabled (weft, stack))
    return;
  lttng_ust_do_tracepoint (weft, stack, e->id, (const uint64_t *) e->pcs, e->n);
  atomic_compare_exchange_strong_explicit (&e->gen, &seen, gen, memory_order_release, memory_order_relaxed);
}

/* Announces the stack an event is about to refer to. */
static inline void
announce_id (uint32_t id)
{
  StackEntry *e;

  if (id != 0 && (e = stack_by_id (id)) != NULL)
    announce (e);
}

/* libweft's executable segments, to tell runtime frames from the
 * program's. Empty when libweft is linked into the main executable: then
 * the callers' skip counts are used instead. Set once by weft_trace_init,
 * before any stack is taken. */
#define SELF_TEXT_MAX 4
static uintptr_t self_text_lo[SELF_TEXT_MAX], self_text_hi[SELF_TEXT_MAX];
static int       self_text_n;

static int
find_self_text (struct dl_phdr_info *info, size_t size, void *data)
{
  const struct link_map *lm = data;

  (void) size;
  if (info->dlpi_addr != lm->l_addr || strcmp (info->dlpi_name, lm->l_name) != 0)
    return 0;
  for (int i = 0; i < info->dlpi_phnum && self_text_n < SELF_TEXT_MAX; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X) != 0)
        {
          self_text_lo[self_text_n] = info->dlpi_addr + ph->p_vaddr;
          self_text_hi[self_text_n] = info->dlpi_addr + ph->p_vaddr + ph->p_memsz;
          self_text_n++;
        }
    }
  return 1;
}

static void
init_self_text (void)
{
  struct link_map *lm = NULL;
  Dl_info          info;

  if (dladdr1 ((void *) &weft_trace_init, &info, (void **) &lm, RTLD_DL_LINKMAP) == 0 || lm == NULL
      || lm->l_name == NULL || lm->l_name[0] == '\0')
    return;
  dl_iterate_phdr (find_self_text, lm);
}

static inline bool
in_self (uintptr_t pc)
{
  for (int i = 0; i < self_text_n; i++)
    if (pc > self_text_lo[i] && pc <= self_text_hi[i]) /* return addresses: pc - 1 is in the call */
      return true;
  return false;
}

/* Room for the runtime frames that are trimmed off. */
#define CAPTURE_FRAMES (WEFT_TRACE_MAX_FRAMES + 16)

/* Drops the leading run of libweft frames but its outermost one, the
 * public entry point the program called (weft_chan_recv, weft_go…), and
 * returns the id of what remains, 0 if nothing. A stack made only of
 * libweft frames (the program's frame was a tail call, or the runtime
 * itself blocks) is kept whole: its runtime frames are all it says. */
static uint32_t
intern_stack (uintptr_t *pcs, int n)
{
  StackTable *tab;
  StackEntry *e = NULL;
  uint64_t    h;
  int         k = 0;

  while (k + 1 < n && in_self (pcs[k]) && in_self (pcs[k + 1]))
    k++;
  if (k + 1 >= n)
    k = 0;
  pcs += k;
  n -= k;
  if (n <= 0)
    return 0;
  if (n > WEFT_TRACE_MAX_FRAMES)
    n = WEFT_TRACE_MAX_FRAMES;
  h = hash_pcs (pcs, n);
  tab = atomic_load_explicit (&stack_table, memory_order_acquire);
  if (tab != NULL)
    e = table_find (tab, h, pcs, n);
  if (e == NULL)
    e = stack_insert (h, pcs, n);
  return e != NULL ? e->id : 0;
}

uint32_t __attribute__ ((noinline))
_weft_trace_stack (int skip)
{
  uintptr_t pcs[CAPTURE_FRAMES];
  int       n;

  /* Pairs with the release store that raised weft_trace_on (which the
   * inline wrapper read): the generation read by announce() is the new
   * one. */
  atomic_thread_fence (memory_order_acquire);
  /* On a thread that is not an M (the main thread creating goroutine 1)
   * the walk has no known stack bounds: a libc frame without a frame
   * pointer could send it to unmapped memory. */
  if (weft_getm () == NULL)
    return 0;
  /* Frame counts are unreliable under inlining and tail calls, so when
   * libweft's frames can be told by address, skip counts are not used. */
  n = weft_callers (self_text_n > 0 ? 0 : skip, pcs, CAPTURE_FRAMES);
  return intern_stack (pcs, n);
}

/* ------------------------------------------------------------------ generations and snapshots */

typedef struct
{
  uint32_t count;
} SnapshotCtx;

/* Called under the allg lock for every G ever made. Fields of a goroutine
 * running elsewhere are read without synchronisation: see README.md,
 * "Snapshots", for why a reader can still rely on the result. */
static void
snapshot_one (G *gp, void *data)
{
  SnapshotCtx *ctx = data;
  uint32_t     status = atomic_load_explicit (&gp->status, memory_order_acquire);
  uint8_t      wait_reason = 0;
  uint64_t     wait_obj = 0;
  uint32_t     wait_stack = 0, create_stack;
  int64_t      wait_since = 0;
  const char  *name;

  if (gp->goid == 0 || status == G_IDLE || status == G_DEAD)
    return;
  if (status == G_WAITING)
    {
      wait_reason = (uint8_t) gp->wait_reason;
      wait_obj = (uintptr_t) gp->wait_obj;
      wait_stack = gp->wait_stack;
      wait_since = gp->wait_since;
      if (wait_stack == 0)
        {
          /* It blocked while nobody traced: walk its saved stack. Should
           * it be running again by now, the walk stays inside its stack
           * and yields a wrong stack at worst, which its next event
           * supersedes. */
          uintptr_t pcs[CAPTURE_FRAMES];
          wait_stack = intern_stack (pcs, weft_g_callers (gp, pcs, CAPTURE_FRAMES));
        }
      announce_id (wait_stack);
    }
  create_stack = gp->create_stack;
  if (create_stack == 0 && gp->create_pc != 0)
    {
      /* Created while nobody traced: its weft_go() call site at least. */
      uintptr_t pc = gp->create_pc;
      create_stack = intern_stack (&pc, 1);
    }
  announce_id (create_stack);
  name = gp->name;
  lttng_ust_tracepoint (weft, go_status, gp->goid, (uint8_t) status, wait_reason, wait_obj, wait_stack, wait_since,
                        gp->start_pc, gp->parent_goid, create_stack, name != NULL ? name : "");
  ctx->count++;
}

/* Starts a generation: the caller saw events enabled. sysmon or init only. */
static void
start_generation (void)
{
  SnapshotCtx ctx = { 0 };
  uint32_t    gen = atomic_fetch_add (&stack_gen, 1) + 1;

  lttng_ust_tracepoint (weft, runtime_info, (int32_t) getpid (), weft_nprocs, (uint64_t) weft_stack_size (),
                        WEFT_VERSION);
  /* snapshot_begin precedes every transition event of the generation:
   * they are written only once weft_trace_on is raised, just below. */
  lttng_ust_tracepoint (weft, snapshot_begin, gen, (uint32_t) atomic_load (&weft_sched.ngoroutines));
  atomic_store_explicit (&weft_trace_on, 1, memory_order_release);
  weft_forall_g (snapshot_one, &ctx);
  lttng_ust_tracepoint (weft, snapshot_end, gen, ctx.count);
}

static void *
try_dlopen (const char *dir, const char *file)
{
  char path[4096];

  if (dir == NULL)
    return dlopen (file, RTLD_NOW);
  if (snprintf (path, sizeof path, "%s/%s", dir, file) >= (int) sizeof path)
    return NULL;
  return dlopen (path, RTLD_NOW);
}

/* Looks next to libweft first, so that a build tree or a relocated
 * install uses its own provider, then in the loader's search path. */
static void *
load_provider (void)
{
  static const char *const names[] = { "libweft-lttng.so.0", "libweft-lttng.so" };
  char                     dir[4096];
  Dl_info                  info;
  void                    *h = NULL;

  if (dladdr ((void *) &weft_trace_init, &info) != 0 && info.dli_fname != NULL
      && strchr (info.dli_fname, '/') != NULL && strlen (info.dli_fname) < sizeof dir)
    {
      strcpy (dir, info.dli_fname);
      *strrchr (dir, '/') = '\0';
      for (size_t i = 0; h == NULL && i < sizeof names / sizeof names[0]; i++)
        h = try_dlopen (dir[0] != '\0' ? dir : "/", names[i]);
    }
  for (size_t i = 0; h == NULL && i < sizeof names / sizeof names[0]; i++)
    h = try_dlopen (NULL, names[i]);
  return h;
}

void
weft_trace_init (void)
{
  const char *env = getenv ("WEFT_TRACE");

  if (env != NULL && strcmp (env, "0") == 0)
    return;
  init_self_text ();
  provider = load_provider ();
  if (provider == NULL)
    {
      /* Not having LTTng is normal; say so only when asked to trace. */
      if (env != NULL && strcmp (env, "1") == 0)
        fprintf (stderr, "weft: tracing unavailable: %s\n", dlerror ());
      return;
    }
  if (any_event_enabled ())
    start_generation ();
}

void
weft_trace_poll (void)
{
  int64_t now;

  if (provider == NULL || atomic_load (&weft_sched.exiting))
    return;
  if (!any_event_enabled ())
    {
      rise_seen = 0;
      if (atomic_load_explicit (&weft_trace_on, memory_order_relaxed))
        atomic_store_explicit (&weft_trace_on, 0, memory_order_relaxed);
      return;
    }
  if (atomic_load_explicit (&weft_trace_on, memory_order_relaxed))
    return;
  now = monotonic_ns ();
  if (rise_seen == 0)
    rise_seen = now;
  else if (now - rise_seen >= SETTLE_NS)
    {
      rise_seen = 0;
      start_generation ();
    }
}

/* ------------------------------------------------------------------ events */

static inline int32_t
p_id (P *pp)
{
  return pp != NULL ? pp->id : -1;
}

void
_weft_trace_go_create (G *newg)
{
  announce_id (newg->create_stack);
  lttng_ust_tracepoint (weft, go_create, newg->goid, newg->parent_goid, newg->start_pc, newg->create_stack,
                        newg->name != NULL ? newg->name : "");
}

void
_weft_trace_go_switch (P *pp, M *mp, G *prev, WeftStopReason reason, G *next)
{
  uint8_t  wait_reason = 0;
  uint64_t wait_obj = 0;
  uint32_t wait_stack = 0;

  if (prev != NULL && reason == WEFT_STOP_BLOCKED)
    {
      wait_reason = (uint8_t) prev->wait_reason;
      wait_obj = (uintptr_t) prev->wait_obj;
      wait_stack = prev->wait_stack;
      announce_id (wait_stack);
    }
  lttng_ust_tracepoint (weft, go_switch, p_id (pp), mp != NULL ? mp->id : -1, prev != NULL ? prev->goid : 0,
                        (uint8_t) reason, wait_reason, wait_obj, wait_stack, next != NULL ? next->goid : 0);
}

void
_weft_trace_go_unblock (G *gp)
{
  M *mp = weft_getm ();
  G *by = mp != NULL ? mp->curg : NULL;

  lttng_ust_tracepoint (weft, go_unblock, gp->goid, by != NULL ? by->goid : 0, mp != NULL ? p_id (mp->p) : -1);
}

void
_weft_trace_syscall_enter (G *gp, P *pp)
{
  lttng_ust_tracepoint (weft, syscall_enter, gp->goid, p_id (pp));
}

void
_weft_trace_syscall_exit (G *gp, P *pp)
{
  lttng_ust_tracepoint (weft, syscall_exit, gp->goid, p_id (pp));
}

void
_weft_trace_proc_steal (P *pp, M *mp)
{
  lttng_ust_tracepoint (weft, proc_steal, p_id (pp), mp != NULL ? mp->id : -1);
}

void
_weft_trace_proc_start (P *pp, M *mp)
{
  lttng_ust_tracepoint (weft, proc_start, p_id (pp), mp->id);
}

void
_weft_trace_proc_stop (P *pp, M *mp)
{
  lttng_ust_tracepoint (weft, proc_stop, p_id (pp), mp->id);
}

void
_weft_trace_thread_start (M *mp)
{
  lttng_ust_tracepoint (weft, thread_start, mp->id, (int32_t) mp->tid);
}

void
_weft_trace_thread_park (M *mp)
{
  lttng_ust_tracepoint (weft, thread_park, mp->id);
}

void
_weft_trace_thread_unpark (M *mp)
{
  lttng_ust_tracepoint (weft, thread_unpark, mp->id);
}

static inline const char *
str_or_empty (const char *s)
{
  return s != NULL ? s : "";
}

void
_weft_trace_task_begin (uint64_t task, uint64_t parent, const char *name)
{
  lttng_ust_tracepoint (weft, task_begin, weft_goid (), task, parent, str_or_empty (name));
}

void
_weft_trace_task_end (uint64_t task)
{
  lttng_ust_tracepoint (weft, task_end, weft_goid (), task);
}

void
_weft_trace_region_begin (uint64_t task, const char *name)
{
  lttng_ust_tracepoint (weft, region_begin, weft_goid (), task, str_or_empty (name));
}

void
_weft_trace_region_end (uint64_t task, const char *name)
{
  lttng_ust_tracepoint (weft, region_end, weft_goid (), task, str_or_empty (name));
}

void
_weft_trace_log (uint64_t task, const char *category, const char *message)
{
  lttng_ust_tracepoint (weft, log, weft_goid (), task, str_or_empty (category), str_or_empty (message));
}

void
_weft_trace_gc_begin (uint32_t cycle, uint8_t trigger, uint64_t heap_live, uint64_t heap_goal)
{
  lttng_ust_tracepoint (weft, gc_begin, cycle, trigger, heap_live, heap_goal);
}

void
_weft_trace_gc_end (uint32_t cycle, uint64_t heap_marked, uint64_t next_goal)
{
  lttng_ust_tracepoint (weft, gc_end, cycle, heap_marked, next_goal);
}

void
_weft_trace_stw_begin (uint8_t reason, uint32_t cycle)
{
  lttng_ust_tracepoint (weft, stw_begin, reason, cycle);
}

void
_weft_trace_stw_end (uint8_t reason, uint32_t cycle)
{
  lttng_ust_tracepoint (weft, stw_end, reason, cycle);
}

void
_weft_trace_gc_mark_begin (uint32_t cycle)
{
  lttng_ust_tracepoint (weft, gc_mark_begin, cycle);
}

void
_weft_trace_gc_mark_end (uint32_t cycle)
{
  lttng_ust_tracepoint (weft, gc_mark_end, cycle);
}

void
_weft_trace_gc_worker_begin (P *pp, uint8_t mode)
{
  lttng_ust_tracepoint (weft, gc_worker_begin, p_id (pp), mode);
}

void
_weft_trace_gc_worker_end (P *pp, uint64_t scanned)
{
  lttng_ust_tracepoint (weft, gc_worker_end, p_id (pp), scanned);
}

void
_weft_trace_gc_assist_begin (G *gp, P *pp)
{
  lttng_ust_tracepoint (weft, gc_assist_begin, gp->goid, p_id (pp));
}

void
_weft_trace_gc_assist_end (G *gp, P *pp, uint64_t scanned)
{
  lttng_ust_tracepoint (weft, gc_assist_end, gp->goid, p_id (pp), scanned);
}

void
_weft_trace_gc_sweep_begin (P *pp)
{
  lttng_ust_tracepoint (weft, gc_sweep_begin, p_id (pp));
}

void
_weft_trace_gc_sweep_end (P *pp, uint64_t swept, uint64_t reclaimed)
{
  lttng_ust_tracepoint (weft, gc_sweep_end, p_id (pp), swept, reclaimed);
}

void
_weft_trace_heap_alloc (uint64_t bytes)
{
  lttng_ust_tracepoint (weft, heap_alloc, bytes);
}

void
_weft_trace_heap_goal (uint64_t bytes)
{
  lttng_ust_tracepoint (weft, heap_goal, bytes);
}

void
_weft_trace_go_leaked (uint32_t cycle, G *gp)
{
  announce_id (gp->wait_stack);
  lttng_ust_tracepoint (weft, go_leaked, cycle, gp->goid, (uint8_t) gp->wait_reason, (uint64_t) (uintptr_t) gp->wait_obj,
                        gp->wait_stack);
}

void
weft_trace_exit (void)
{
  /* exit() runs LTTng-UST's destructors, which unload the tracepoint
   * library: no event may start after this. weft_trace_poll() sees
   * sched.exiting and never turns tracing back on. */
  atomic_store (&weft_trace_on, 0);
}
