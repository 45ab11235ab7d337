/* mgc.c — the garbage collector (Go's mgc.go, mgcmark.go, mgcsweep.go,
 * mgcpacer.go, mstats.go).
 *
 * A conservative, non-moving mark-sweep collector over the heap of
 * mheap.c/malloc.c, marking concurrently with the program. A cycle:
 *
 *   gc_begin                        (the last cycle's sweep is finished)
 *   stw_begin(sweep termination)    stop every P at a safepoint, choose
 *   stw_end                         the leak candidates
 *   gc_mark_begin                   the GC mark worker (a system goroutine;
 *     gc_worker_begin … end          weft_gc()'s caller itself) protects
 *                                    the scan arena, marks from the roots,
 *                                    rescans the cards written meanwhile;
 *                                    a slice per P it runs on, dedicated,
 *                                    fractional or idle ("mark workers")
 *   stw_begin(mark termination)     rescan stacks, globals, roots and
 *     gc_mark_end, gc_end            dirty cards; prove leaks; the pacer
 *   stw_end                          sets the next goal
 *   gc_sweep_begin … end            the worker sweeps, allocators sweep
 *                                    the spans they take
 *
 * "Write tracking" below says how writes made during the mark are found.
 * With WEFT_GCSTW=1, and under ASan or TSan (which own SIGSEGV), the
 * mark and the sweep run inside the first pause instead.
 *
 * Roots, all scanned conservatively (any aligned word that points into an
 * allocated object, interior pointers included, keeps the object):
 *  - every goroutine's stack from its saved stack pointer up, which holds
 *    the callee-saved registers pushed by the switch; for a goroutine in a
 *    syscall, from where it entered weft_syscall_enter, plus the registers
 *    saved there; for the collecting goroutine, from weft_spill_call's
 *    frame;
 *  - the writable segments (data, bss) of the program and every loaded
 *    library (dl_iterate_phdr);
 *  - roots registered with weft_gc_add_root, and the runtime's own
 *    (channel buffers, weft_after_func arguments, goroutine arguments).
 * Objects allocated with weft_alloc_noscan are marked but never scanned.
 *
 * Pacing as Go's: the next cycle starts when the heap reaches
 * marked * (1 + WEFT_GOGC/100), at least 4 MiB * WEFT_GOGC/100; with a
 * soft limit (WEFT_MEMLIMIT) the goal is also kept under the limit; and
 * sysmon starts one when none ran for two minutes. The mark worker takes
 * 25 % of the Ps as Go's pacer plans it: dedicated, or fractional on 1,
 * 2, 3 and 6 Ps, where the scheduler hands it a P only while the P is
 * under its share of the mark's time.
 *
 * Invariants: one cycle (or ReadMemStats) at a time, under worldsema,
 * held from the start of a cycle to the end of mark termination; markers
 * set mark bits with an atomic OR, and whoever sets one scans the object;
 * a cycle starts only once every span is swept (so the mark bits are all
 * clear); the scan arena is writable whenever `tracking` is false; the
 * mark worker is held (weft_gc_worker_held) only during the concurrent
 * mark, and only by itself.
 */
#define _GNU_SOURCE
#include "mheap.h"
#include "trace.h"

#include <ctype.h>
#include <errno.h>
#include <link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define HEAP_MINIMUM ((int64_t) 4 << 20)
#define PAUSE_HISTORY 256
/* Go's forcegcperiod: the longest time between two cycles. */
#define FORCEGC_PERIOD_NS ((int64_t) 120 * 1000 * 1000 * 1000)

enum
{
  TRIGGER_HEAP = 0,
  TRIGGER_FORCED = 1,
  TRIGGER_PERIODIC = 2,
  TRIGGER_MEMLIMIT = 3,
};

enum
{
  STW_SWEEP_TERM = 0,
  STW_MARK_TERM = 1,
  STW_READMEMSTATS = 2,
};

enum
{
  WORKER_DEDICATED = 0,
  WORKER_FRACTIONAL = 1,
  WORKER_IDLE = 2,
  WORKER_MODES
};

_Atomic int64_t weft_heap_live;

static _Atomic int32_t worldsema;                 /* 1 while a cycle or ReadMemStats runs */
static _Atomic int64_t gc_trigger = HEAP_MINIMUM; /* heap_live that starts a cycle; INT64_MAX: never */
static _Atomic int32_t gc_percent = 100;          /* < 0: off */
static _Atomic int64_t mem_limit = INT64_MAX;
static _Atomic int64_t heap_goal = HEAP_MINIMUM; /* written under worldsema, read by allocators */
static _Atomic int64_t heap_live_reported;       /* last heap_alloc event */

/* Statistics, written under worldsema with the world stopped. */
static uint32_t         num_gc;
static uint32_t         num_forced_gc;
static uint64_t         pause_total_ns;
static uint64_t         pause_ns[PAUSE_HISTORY];
static int64_t          last_gc_unix_ns;
static uint64_t         heap_marked;
static _Atomic uint64_t gc_cpu_ns; /* see WeftMemStats.gc_cpu_ns */
static int64_t          heap_start_ns;
/* Parts of gc_cpu_ns: the mark worker's time by mode, assists. */
static _Atomic uint64_t mark_mode_ns[WORKER_MODES];
static _Atomic uint64_t assist_ns;
/* The concurrent marks' wall time, and the last one's bounds. */
static uint64_t mark_total_ns;
static int64_t  last_mark_begin_ns, last_mark_end_ns;

/* The periodic trigger: when the last cycle ended (or the heap was first
 * used; 0 before), the period (WEFT_GCPERIOD_MS) and whether a cycle is
 * being started for it. */
static _Atomic int64_t last_gc_mono_ns;
static int64_t         forcegc_period_ns = FORCEGC_PERIOD_NS;
static atomic_bool     forcegc_pending;
static bool            periodic_due (int64_t now);

/* Marking concurrently needs panic.c's SIGSEGV handler (the sanitizers
 * own the signal) and can be turned off with WEFT_GCSTW=1. */
static bool stw_only;

/* ------------------------------------------------------------------ registered roots */

static WeftLock roots_lock; /* innermost: nothing is locked under it */
static WeftRoot roots = { &roots, &roots, NULL, 0 };

void
weft_gc_root_add (WeftRoot *r, const void *addr, size_t size)
{
  r->addr = addr;
  r->size = size;
  weft_lock (&roots_lock);
  r->next = roots.next;
  r->prev = &roots;
  roots.next->prev = r;
  roots.next = r;
  weft_unlock (&roots_lock);
}

void
weft_gc_root_del (WeftRoot *r)
{
  weft_lock (&roots_lock);
  if (r->next != NULL)
    {
      r->prev->next = r->next;
      r->next->prev = r->prev;
      r->next = r->prev = NULL;
    }
  weft_unlock (&roots_lock);
}

void
weft_gc_add_root (const void *addr, size_t size)
{
  WeftRoot *r = malloc (sizeof *r);

  if (r == NULL)
    weft_throw ("runtime: out of memory registering a root");
  weft_gc_root_add (r, addr, size);
}

void
weft_gc_remove_root (const void *addr)
{
  WeftRoot *found = NULL;

  weft_lock (&roots_lock);
  for (WeftRoot *r = roots.next; r != &roots; r = r->next)
    if (r->addr == addr && r->size != 0)
      {
        found = r;
        break;
      }
  weft_unlock (&roots_lock);
  if (found == NULL)
    weft_panic ("weft_gc_remove_root: %p was not registered", addr);
  weft_gc_root_del (found);
  free (found);
}

/* ------------------------------------------------------------------ mark */

typedef struct
{
  uintptr_t lo, hi;
} Range;

/* The grey objects (allocated, marked, not yet scanned) are shared by
 * the markers: the mark worker (or the goroutine marking inside a pause)
 * and, while the mark runs concurrently, allocating goroutines that
 * assist it. Each marker keeps a few in a GcWork of its own and trades
 * them with the global stack in batches (Go's gcWork and work.full). The
 * global stack is malloc'd, so never itself a root. */
#define GCW_LOCAL 128

typedef struct
{
  Range    local[GCW_LOCAL];
  size_t   n;
  uint64_t scanned;     /* bytes read */
  uint64_t marked;      /* bytes of the objects it marked */
  bool     preemptible; /* the concurrent mark worker: polls mark_preempted */
  uint64_t polled;      /* scanned when it last did */
} GcWork;

static WeftLock work_lock; /* innermost */
static Range   *work;
static size_t   work_n, work_cap;
/* The mark worker's, malloc'd: the data segments are roots, and its
 * stale entries must not keep objects alive. */
static GcWork *wwork;
/* Where the marking goroutine's own roots begin: the registers and frames
 * of the program's code that called into the collector (weft_gc(), or an
 * allocation under WEFT_GCSTW=1), not the collector's own frames, whose
 * uninitialised slots hold stale words of earlier cycles (wait objects of
 * leaked goroutines among them). */
static uintptr_t self_roots_sp;

/* Moves all but @keep of @gcw's grey objects (the oldest) to the global
 * stack. */
static void
gcw_spill (GcWork *gcw, size_t keep)
{
  size_t move = gcw->n - keep;

  weft_lock (&work_lock);
  if (work_n + move > work_cap)
    {
      size_t cap = work_cap != 0 ? work_cap : 4096;
      while (cap < work_n + move)
        cap *= 2;
      Range *w = realloc (work, cap * sizeof *w);
      if (w == NULL)
        weft_throw ("runtime: out of memory growing the mark stack");
      work = w;
      work_cap = cap;
    }
  memcpy (work + work_n, gcw->local, move * sizeof *work);
  work_n += move;
  weft_unlock (&work_lock);
  memmove (gcw->local, gcw->local + move, keep * sizeof *gcw->local);
  gcw->n = keep;
}

static inline void
gcw_put (GcWork *gcw, uintptr_t lo, uintptr_t hi)
{
  if (unlikely (gcw->n == GCW_LOCAL))
    gcw_spill (gcw, GCW_LOCAL / 2);
  gcw->local[gcw->n++] = (Range){ lo, hi };
}

static inline bool
gcw_get (GcWork *gcw, Range *r)
{
  if (unlikely (gcw->n == 0))
    {
      size_t take;

      if (__atomic_load_n (&work_n, __ATOMIC_RELAXED) == 0)
        return false;
      weft_lock (&work_lock);
      take = work_n < GCW_LOCAL / 2 ? work_n : GCW_LOCAL / 2;
      work_n -= take;
      memcpy (gcw->local, work + work_n, take * sizeof *work);
      weft_unlock (&work_lock);
      gcw->n = take;
      if (take == 0)
        return false;
    }
  *r = gcw->local[--gcw->n];
  return true;
}

/* Marks the object @w points into, if any, and queues it for scanning. */
static void note_chan (uintptr_t w);

/* Channels waited on by leak candidates lie in [~chan_lo_inv,
 * ~chan_lo_inv + chan_span] (none: chan_lo_inv = 0). Kept inverted: this
 * global is scanned, and must not look like a reference to the channel. */
static uintptr_t chan_lo_inv, chan_span;

/* Leak candidates' stacks lie in [~cstack_lo_inv, ~cstack_lo_inv +
 * cstack_span) (none: cstack_span = 0), inverted for the same reason. */
static uintptr_t cstack_lo_inv, cstack_span;

/* Notes a word that points into a leak candidate's stack. */
static void note_cstack (uintptr_t w);

static inline void
mark_word (GcWork *gcw, uintptr_t w)
{
  Span     *s;
  uintptr_t idx, base;
  uint64_t  bit;

  if (unlikely (w - ~chan_lo_inv <= chan_span))
    note_chan (w);
  s = weft_spanof (w);
  if (s == NULL)
    {
      if (unlikely (w - ~cstack_lo_inv < cstack_span))
        note_cstack (w);
      return;
    }
  idx = s->large ? 0 : (w - s->base) / s->elemsize;
  if (idx >= s->nelems)
    return;
  bit = (uint64_t) 1 << (idx & 63);
  /* Allocators set alloc bits while a concurrent mark reads them; markers
   * race for mark bits: whoever sets the bit scans the object. */
  if ((__atomic_load_n (&s->allocbits[idx >> 6], __ATOMIC_RELAXED) & bit) == 0
      || (__atomic_load_n (&s->markbits[idx >> 6], __ATOMIC_RELAXED) & bit) != 0
      || (__atomic_fetch_or (&s->markbits[idx >> 6], bit, __ATOMIC_RELAXED) & bit) != 0)
    return;
  gcw->marked += s->elemsize;
  if (s->noscan)
    return;
  base = s->base + idx * s->elemsize;
  gcw_put (gcw, base, base + s->elemsize);
}

/* Every aligned word of [lo, hi). Reads stacks below their sanitizer
 * bounds, poisoned redzones and words a goroutine in a syscall may be
 * writing: that is what conservative scanning is. */
static WEFT_NO_SANITIZE void
scan_range (GcWork *gcw, uintptr_t lo, uintptr_t hi)
{
  lo = (lo + sizeof (uintptr_t) - 1) & ~(sizeof (uintptr_t) - 1);
  for (uintptr_t p = lo; p + sizeof (uintptr_t) <= hi; p += sizeof (uintptr_t))
    mark_word (gcw, *(volatile uintptr_t *) p);
  gcw->scanned += hi > lo ? hi - lo : 0;
}

/* Grey objects are scanned through a small FIFO whose entries were
 * prefetched when they entered it: a scan then rarely waits for memory,
 * as long as there are other grey objects to load meanwhile (Boehm's
 * and Go's prefetching mark loops do the same). */
#define PREFETCH_DEPTH 16

static void mark_preempted (void);
static void worker_yield (void);
/* The mark's end (precleaning the dirty cards, then mark termination)
 * runs: a fractional worker no longer stops for its budget. */
static bool mark_finishing;

/* The worker asks whether to give its P up every POLL_BYTES it scans
 * (about 50 us), whatever scanned them: a drain, a stack, the marked
 * objects of a dirty card. */
#define POLL_BYTES (64 << 10)

static inline void
poll_preempt (GcWork *gcw)
{
  if (gcw->preemptible && gcw->scanned - gcw->polled >= POLL_BYTES)
    {
      gcw->polled = gcw->scanned;
      mark_preempted ();
    }
}

/* Scans grey objects until there are none, or (@budget > 0) until
 * @budget bytes were read; what it took and did not scan goes back. */
static void
drain_budget (GcWork *gcw, uint64_t budget)
{
  Range    fifo[PREFETCH_DEPTH];
  unsigned head = 0, n = 0, tick = 0;
  uint64_t start = gcw->scanned;
  Range    r;

  for (;;)
    {
      /* Others (assists) may be waiting for grey objects while this
       * marker holds them all (Go's gcWork.balance). */
      if ((++tick & 255) == 0 && gcw->n > 8 && __atomic_load_n (&work_n, __ATOMIC_RELAXED) == 0)
        gcw_spill (gcw, gcw->n / 2);
      poll_preempt (gcw);
      if (budget != 0 && gcw->scanned - start >= budget)
        break;
      while (n < PREFETCH_DEPTH && gcw_get (gcw, &r))
        {
          __builtin_prefetch ((const void *) r.lo);
          fifo[(head + n++) % PREFETCH_DEPTH] = r;
        }
      if (n == 0)
        break;
      r = fifo[head];
      head = (head + 1) % PREFETCH_DEPTH;
      n--;
      scan_range (gcw, r.lo, r.hi);
    }
  for (; n > 0; n--, head = (head + 1) % PREFETCH_DEPTH)
    gcw_put (gcw, fifo[head].lo, fifo[head].hi);
}

/* The worker's drain: until no grey object is left anywhere. */
static void
drain (void)
{
  drain_budget (wwork, 0);
}

/* The writable segments seen by the last scan: globals are roots. */
static Range *segs;
static size_t nsegs, segs_cap;

static void
seg_add (uintptr_t lo, uintptr_t hi)
{
  if (nsegs == segs_cap)
    {
      size_t cap = segs_cap != 0 ? segs_cap * 2 : 64;
      Range *r = realloc (segs, cap * sizeof *r);
      if (r == NULL)
        weft_throw ("runtime: out of memory listing data segments");
      segs = r;
      segs_cap = cap;
    }
  segs[nsegs++] = (Range){ lo, hi };
}

/* The sanitizers' runtimes keep allocator and shadow bookkeeping in
 * their globals, words that often equal a malloc'd channel's address:
 * they are no program data, and scanning them would only hide leaks. */
static bool
is_sanitizer_runtime (const char *name)
{
  static const char *const names[] = { "/libasan.so", "/libtsan.so", "/liblsan.so", "/libubsan.so" };

  for (size_t i = 0; name != NULL && i < sizeof names / sizeof names[0]; i++)
    if (strstr (name, names[i]) != NULL)
      return true;
  return false;
}

static int
scan_segments (struct dl_phdr_info *info, size_t size, void *data)
{
  (void) size;
  (void) data;
  if (is_sanitizer_runtime (info->dlpi_name))
    return 0;
  for (int i = 0; i < info->dlpi_phnum; i++)
    {
      const ElfW (Phdr) *ph = &info->dlpi_phdr[i];
      uintptr_t lo, hi, skip_lo, skip_hi;

      if (ph->p_type != PT_LOAD || (ph->p_flags & PF_W) == 0)
        continue;
      lo = info->dlpi_addr + ph->p_vaddr;
      hi = lo + ph->p_memsz;
      seg_add (lo, hi);
      /* The heap's own bounds are no reference to its first object. */
      skip_lo = (uintptr_t) &weft_heap;
      skip_hi = skip_lo + sizeof weft_heap;
      if (skip_lo >= lo && skip_hi <= hi)
        {
          scan_range (wwork, lo, skip_lo);
          scan_range (wwork, skip_hi, hi);
        }
      else
        scan_range (wwork, lo, hi);
    }
  return 0;
}

static void
scan_g (G *gp, void *data)
{
  G        *self = data;
  uintptr_t sp;

  if (gp == self || gp->stack == NULL || gp->leak_candidate)
    return;
  switch (atomic_load (&gp->status))
    {
    case G_SYSCALL:
      scan_range (wwork, (uintptr_t) gp->syscall_regs, (uintptr_t) (gp->syscall_regs + WEFT_SPILL_WORDS));
      sp = gp->syscall_sp;
      break;
    case G_RUNNABLE:
    case G_WAITING:
      sp = (uintptr_t) gp->ctx.sp;
      break;
    default:
      return;
    }
  scan_range (wwork, (uintptr_t) &gp->arg, (uintptr_t) (&gp->arg + 1));
  scan_range (wwork, (uintptr_t) &gp->param, (uintptr_t) (&gp->param + 1));
  if (sp < gp->stack_lo || sp > gp->stack_hi)
    weft_throw ("runtime: goroutine %llu: saved sp %p outside its stack [%p, %p)", (unsigned long long) gp->goid,
                (void *) sp, (void *) gp->stack_lo, (void *) gp->stack_hi);
  scan_range (wwork, sp, gp->stack_hi);
  drain ();
}

/* With the world started: what a goroutine's stack held when it last
 * switched out (a running one's is rescanned at mark termination, like
 * every stack; this pass only gets most objects marked before the pause).
 * Stacks are never unmapped and a G keeps its stack for life, so the
 * range stays readable whatever the goroutine does meanwhile. */
static void
scan_g_concurrent (G *gp, G *self)
{
  uint32_t  status = atomic_load (&gp->status);
  uintptr_t sp;

  if (gp == self || gp->stack == NULL || gp->leak_candidate || status == G_IDLE || status == G_DEAD)
    return;
  sp = status == G_SYSCALL ? gp->syscall_sp : (uintptr_t) gp->ctx.sp;
  if (sp < gp->stack_lo || sp >= gp->stack_hi)
    return;
  scan_range (wwork, (uintptr_t) &gp->arg, (uintptr_t) (&gp->arg + 1));
  scan_range (wwork, (uintptr_t) &gp->param, (uintptr_t) (&gp->param + 1));
  scan_range (wwork, sp, gp->stack_hi);
  drain ();
}

/* ------------------------------------------------------------------ leak proof
 *
 * Go 1.26's goroutine leak detection. Goroutines blocked on a channel,
 * select, mutex, RWMutex, WaitGroup, Cond or Once are leak candidates:
 * their stacks are not roots. After the roots are marked, a candidate
 * whose wait object is reachable could still be woken: its stack is
 * scanned, which may make more objects reachable, until nothing changes.
 * The candidates left wait on objects that nothing outside such
 * goroutines refers to: no one can ever wake them.
 *
 * A wait object is reachable when it is a marked heap object (or inside
 * one), a global, or on the stack of a goroutine that is not (or no
 * longer) a candidate. A candidate whose stack a scanned word points
 * into can be woken, whatever it waits on: C code hands the address of a
 * local (a WaitGroup, a struct holding the channel) to the goroutines
 * that will wake it, where Go's escape analysis would have moved it to
 * the heap. Channels live outside the heap: one is reachable
 * when a scanned word holds its address (users only ever hold the
 * WeftChan pointer; a timer's channel is a registered root while the
 * timer exists). A sync object anywhere else (malloc'd memory) cannot be
 * proven unreachable and keeps its waiter. The leaked goroutines' stacks
 * are scanned at the end, so nothing they refer to is freed. */

static G        **cands;
static int64_t   *cands_since; /* their wait_since when chosen: a new park is a wake-up */
static size_t     ncands, cands_cap;
static uintptr_t *chans; /* sorted; chan_found[i] for chans[i] */
static bool      *chan_found;
static size_t     nchans, chans_cap;
typedef struct
{
  uintptr_t lo, hi;
  bool      referenced;
} CandStack;
static CandStack *cstacks; /* the candidates', sorted by lo */
static size_t     ncstacks, cstacks_cap;
static G        **leaked;       /* this cycle's, for the events */
static uint64_t  *leaked_goids; /* the last cycle's, for weft_leaked_goroutines */
static size_t     nleaked, leaked_cap;
static bool       leak_check = true; /* WEFT_LEAKCHECK=0 turns the proof off */

static bool
is_chan_wait (WeftWaitReason r)
{
  return r == WEFT_WAIT_CHAN_SEND || r == WEFT_WAIT_CHAN_RECV || r == WEFT_WAIT_SELECT;
}

static bool
is_sync_wait (WeftWaitReason r)
{
  return r == WEFT_WAIT_MUTEX || r == WEFT_WAIT_RWMUTEX_R || r == WEFT_WAIT_RWMUTEX_W || r == WEFT_WAIT_WAITGROUP
         || r == WEFT_WAIT_COND || r == WEFT_WAIT_ONCE;
}

static void *
grow_array (void *p, size_t *cap, size_t elem)
{
  size_t n = *cap != 0 ? *cap * 2 : 64;
  void  *q = realloc (p, n * elem);
  if (q == NULL)
    weft_throw ("runtime: out of memory in the leak proof");
  *cap = n;
  return q;
}

static void
chan_add (const void *c)
{
  if (nchans == chans_cap)
    {
      size_t cap = chans_cap;
      chans = grow_array (chans, &cap, sizeof *chans);
      chan_found = grow_array (chan_found, &chans_cap, sizeof *chan_found);
    }
  chans[nchans++] = (uintptr_t) c;
}

static int
cmp_uintptr (const void *a, const void *b)
{
  uintptr_t x = *(const uintptr_t *) a, y = *(const uintptr_t *) b;
  return x < y ? -1 : x > y;
}

static ptrdiff_t
chan_index (uintptr_t w)
{
  size_t lo = 0, hi = nchans;
  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      if (chans[mid] == w)
        return (ptrdiff_t) mid;
      if (chans[mid] < w)
        lo = mid + 1;
      else
        hi = mid;
    }
  return -1;
}

static void
note_chan (uintptr_t w)
{
  ptrdiff_t i = chan_index (w);
  if (i >= 0)
    __atomic_store_n (&chan_found[i], true, __ATOMIC_RELAXED);
}

static void
find_candidate (G *gp, void *data)
{
  WeftWaitReason r = gp->wait_reason;

  (void) data;
  gp->leak_candidate = false;
  if (gp->stack == NULL || atomic_load (&gp->status) != G_WAITING)
    return;
  if (is_chan_wait (r))
    {
      if (gp->waiting != NULL)
        for (Sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink)
          chan_add (sg->c);
      else
        chan_add (gp->wait_obj);
    }
  else if (!is_sync_wait (r))
    return;
  if (ncands == cands_cap)
    {
      size_t cap = cands_cap;
      cands_since = grow_array (cands_since, &cap, sizeof *cands_since);
      cands = grow_array (cands, &cands_cap, sizeof *cands);
    }
  cands_since[ncands] = gp->wait_since;
  cands[ncands++] = gp;
  gp->leak_candidate = true;
  if (ncstacks == cstacks_cap)
    cstacks = grow_array (cstacks, &cstacks_cap, sizeof *cstacks);
  cstacks[ncstacks++] = (CandStack){ gp->stack_lo, gp->stack_hi, false };
}

static int
cmp_cstack (const void *a, const void *b)
{
  uintptr_t x = ((const CandStack *) a)->lo, y = ((const CandStack *) b)->lo;
  return x < y ? -1 : x > y;
}

/* The candidate stack holding @a, or NULL. */
static CandStack *
cstack_of (uintptr_t a)
{
  size_t lo = 0, hi = ncstacks;
  while (lo < hi)
    {
      size_t mid = (lo + hi) / 2;
      if (a < cstacks[mid].lo)
        hi = mid;
      else if (a >= cstacks[mid].hi)
        lo = mid + 1;
      else
        return &cstacks[mid];
    }
  return NULL;
}

static void
note_cstack (uintptr_t w)
{
  CandStack *cs = cstack_of (w);
  if (cs != NULL)
    __atomic_store_n (&cs->referenced, true, __ATOMIC_RELAXED);
}

static void
collect_candidates (void)
{
  ncands = nchans = ncstacks = 0;
  weft_forall_g (find_candidate, NULL);
  if (ncstacks != 0)
    {
      uintptr_t top = 0;
      qsort (cstacks, ncstacks, sizeof *cstacks, cmp_cstack);
      for (size_t i = 0; i < ncstacks; i++)
        top = cstacks[i].hi > top ? cstacks[i].hi : top;
      cstack_lo_inv = ~cstacks[0].lo;
      cstack_span = top - cstacks[0].lo;
    }
  if (nchans == 0)
    return;
  qsort (chans, nchans, sizeof *chans, cmp_uintptr);
  memset (chan_found, 0, nchans * sizeof *chan_found);
  chan_lo_inv = ~chans[0];
  chan_span = chans[nchans - 1] - chans[0];
}

/* Candidates are chosen when the cycle starts, so that the concurrent
 * mark leaves their stacks alone and notes references to their channels
 * and stacks; at mark termination, one that was woken since (it ran, or
 * parked again) is a root like any running goroutine. */
static void
drop_woken_candidates (void)
{
  for (size_t i = 0; i < ncands; i++)
    {
      G *gp = cands[i];
      if (gp->leak_candidate && (atomic_load (&gp->status) != G_WAITING || gp->wait_since != cands_since[i]))
        gp->leak_candidate = false;
    }
}

static bool
in_segments (uintptr_t a)
{
  for (size_t i = 0; i < nsegs; i++)
    if (a >= segs[i].lo && a < segs[i].hi)
      return true;
  return false;
}

static G *
stack_owner (uintptr_t a)
{
  for (G *gp = weft_allgs_racy (); gp != NULL; gp = gp->alllink)
    if (gp->stack != NULL && a >= gp->stack_lo && a < gp->stack_hi)
      return gp;
  return NULL;
}

static bool
sync_obj_live (uintptr_t a)
{
  Span *s = weft_spanof (a);
  G    *owner;

  if (s != NULL)
    {
      uintptr_t idx = s->large ? 0 : (a - s->base) / s->elemsize;
      return idx < s->nelems && (s->markbits[idx >> 6] >> (idx & 63) & 1) != 0;
    }
  if (in_segments (a))
    return true;
  owner = stack_owner (a);
  if (owner != NULL && owner->leak_candidate)
    {
      CandStack *cs = cstack_of (a);
      return cs != NULL && cs->referenced;
    }
  return true;
}

static bool
chan_live (const void *c)
{
  ptrdiff_t i = chan_index ((uintptr_t) c);
  return i < 0 || chan_found[i];
}

static bool
can_be_woken (G *gp)
{
  /* Something reachable points into its stack: what the stack holds is
   * reachable, its wait object among it. */
  CandStack *own = cstack_of (gp->stack_lo);

  if (own != NULL && own->referenced)
    return true;
  if (!is_chan_wait (gp->wait_reason))
    return sync_obj_live ((uintptr_t) gp->wait_obj);
  if (gp->waiting == NULL)
    return chan_live (gp->wait_obj);
  for (Sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink)
    if (chan_live (sg->c))
      return true;
  return false;
}

static void
prove_leaks (void)
{
  bool changed = true;

  while (changed)
    {
      changed = false;
      for (size_t i = 0; i < ncands; i++)
        if (cands[i]->leak_candidate && can_be_woken (cands[i]))
          {
            cands[i]->leak_candidate = false;
            scan_g (cands[i], NULL);
            changed = true;
          }
    }
  nleaked = 0;
  for (size_t i = 0; i < ncands; i++)
    if (cands[i]->leak_candidate)
      {
        if (nleaked == leaked_cap)
          {
            size_t cap = leaked_cap;
            leaked = grow_array (leaked, &cap, sizeof *leaked);
            leaked_goids = grow_array (leaked_goids, &leaked_cap, sizeof *leaked_goids);
          }
        leaked_goids[nleaked] = cands[i]->goid;
        leaked[nleaked++] = cands[i];
        cands[i]->leak_candidate = false;
        scan_g (cands[i], NULL);
      }
  chan_lo_inv = 0;
  chan_span = 0;
  cstack_span = 0;
}

/* A dead goroutine's stack goes back to the pool all zero, so that the
 * next goroutine's uninitialised slots hold no stale pointers for the
 * conservative scan to keep objects (or a leaked goroutine's wait object)
 * alive with. Its frames are zeroed down to the exit sp; below it, where
 * its deeper calls were, 64-byte lines are zeroed while they hold
 * anything, down to a run of DEAD_STACK_ZERO_RUN zero bytes: further
 * down, the stack is still zero from the previous clear (or the mmap),
 * unless a call skipped that many bytes without writing them, up to
 * DEAD_STACK_CLEAR below the exit sp at most. Zeroing a fixed 8 KiB
 * instead made goroutine create+exit 2x slower (530 ns against 270 ns):
 * the cache lines touched, not the stores. */
#define DEAD_STACK_CLEAR 8192

/* Set once the heap exists or a cycle runs: until then nothing is scanned
 * and nothing can be kept alive, and a program that never collects (the
 * scheduler's benchmarks) does not pay for the clearing (11 ns per
 * goroutine on one P, more on two, where slower exits make idle Ps steal
 * more: create+exit 240 -> 325 ns). */
static atomic_bool clear_dead_stacks;
#define DEAD_STACK_ZERO_RUN 256
#define LINE_WORDS (64 / sizeof (uintptr_t))

/* Zeroes the line at @p; false if it was zero already. Under ASan, word
 * stores the compiler cannot turn into an (intercepted) memset: ASan may
 * still have the old frames' redzones poisoned. Otherwise plain accesses,
 * which the compiler makes a few vector instructions. */
#if defined(__SANITIZE_ADDRESS__)
typedef volatile uintptr_t StackWord;
#else
typedef uintptr_t StackWord;
#endif

static inline WEFT_NO_SANITIZE bool
clear_line (StackWord *p)
{
  uintptr_t any = 0;

  for (size_t i = 0; i < LINE_WORDS; i++)
    any |= p[i];
  if (any == 0)
    return false;
  for (size_t i = 0; i < LINE_WORDS; i++)
    p[i] = 0;
  return true;
}

WEFT_NO_SANITIZE void
weft_gc_clear_dead_stack (G *gp)
{
  uintptr_t sp = (uintptr_t) gp->ctx.sp & ~(uintptr_t) 63, lo = sp - DEAD_STACK_CLEAR, zero_run = 0;

  if (gp->stack == NULL || !atomic_load_explicit (&clear_dead_stacks, memory_order_relaxed))
    return;
  /* The lowest line holds the stack's canary (weft_stack_check). */
  if (lo < gp->stack_lo + 64)
    lo = gp->stack_lo + 64;
  /* The lines below are mostly cold: load them while the frames above,
   * just used, are cleared. */
  for (uintptr_t p = sp - DEAD_STACK_ZERO_RUN; p < sp; p += 64)
    if (p >= lo)
      __builtin_prefetch ((const void *) p, 1);
  for (uintptr_t p = sp; p < gp->stack_hi; p += 64)
    clear_line ((StackWord *) p);
  for (uintptr_t p = sp - 64; p >= lo && zero_run < DEAD_STACK_ZERO_RUN; p -= 64)
    zero_run = clear_line ((StackWord *) p) ? 0 : zero_run + 64;
}

/* ------------------------------------------------------------------ write tracking
 *
 * While marking runs with the world started, the scan arena is
 * write-protected (the noscan arena holds no pointers and stays
 * writable). The first write to a card faults; panic.c's handler calls
 * weft_gc_write_fault, which makes the card writable again and sets its
 * dirty bit. Every write the program makes to the scan arena after the
 * mark began thus lies in a dirty card, and rescanning the marked objects
 * of the dirty cards at mark termination (with the stacks and globals)
 * finds every pointer the concurrent mark may have missed: Boehm, Demers
 * and Shenker's "mostly parallel" collection. Before stopping the world
 * the worker rescans the dirty cards with the world running, protecting
 * each again first, so that the pause sees only the cards written during
 * the last round. New objects are allocated white: one the program still
 * holds at termination is reached from a stack, a global or a dirty card.
 *
 * A card is 64 KiB, larger on big heaps: every card made writable may
 * split a kernel mapping, and a process gets vm.max_map_count (65530) of
 * them. The kernel does not fault on protected pages, it fails the system
 * call (EFAULT): weft_gc_prepare_kernel_write opens a buffer before a
 * read(2). */

#define CARD_SHIFT_MIN 16
#define CARDS_MAX 8192
#define PRECLEAN_ROUNDS 3
#define PRECLEAN_ENOUGH ((uint64_t) 1 << 20) /* dirty bytes worth another round */

static atomic_bool         tracking; /* the scan arena is (being) protected */
static int                 card_shift = CARD_SHIFT_MIN;
static _Atomic (uint64_t) *card_bits; /* one bit per card */
static size_t              card_words;

static bool
unprotect_card (size_t card)
{
  uintptr_t lo = weft_heap.arena[ARENA_SCAN].start + ((uintptr_t) card << card_shift);

  if (mprotect ((void *) lo, (size_t) 1 << card_shift, PROT_READ | PROT_WRITE) != 0)
    return false;
  /* After the mprotect: a rescan that protected the card again in
   * between finds the bit set and visits the card once more. */
  atomic_fetch_or (&card_bits[card / 64], (uint64_t) 1 << (card % 64));
  return true;
}

bool
weft_gc_write_fault (uintptr_t addr)
{
  WeftArena *a = &weft_heap.arena[ARENA_SCAN];
  int        saved = errno;
  bool       ok;

  /* Not only while tracking: a write that faulted just before the arena
   * was made writable again may reach this handler after `tracking` was
   * cleared (the thread was descheduled in between). Unprotecting the
   * card again is then harmless, and the write is retried. */
  if (addr - a->start >= a->used - a->start)
    return false;
  ok = unprotect_card ((addr - a->start) >> card_shift);
  errno = saved;
  return ok;
}

bool
weft_gc_prepare_kernel_write (void *p, size_t n)
{
  WeftArena *a = &weft_heap.arena[ARENA_SCAN];
  uintptr_t  lo = (uintptr_t) p, hi = lo + n;

  if (likely (!atomic_load_explicit (&tracking, memory_order_relaxed)))
    return false;
  lo = lo > a->start ? lo : a->start;
  hi = hi < a->used ? hi : a->used;
  if (lo >= hi)
    return false;
  for (size_t c = (lo - a->start) >> card_shift; c <= (hi - 1 - a->start) >> card_shift; c++)
    if (!unprotect_card (c))
      weft_throw ("runtime: cannot make the heap writable for a read: %s", strerror (errno));
  return true;
}

static void
protect_scan_arena (void)
{
  WeftArena *a = &weft_heap.arena[ARENA_SCAN];
  size_t     len;

  weft_lock (&weft_heap.lock);
  len = a->used - a->start;
  for (card_shift = CARD_SHIFT_MIN; (len >> card_shift) > CARDS_MAX; card_shift++)
    ;
  if (card_bits == NULL)
    {
      card_words = ((a->end - a->start) >> CARD_SHIFT_MIN) / 64 + 1;
      card_bits = calloc (card_words, sizeof *card_bits);
      if (card_bits == NULL)
        weft_throw ("runtime: out of memory allocating the card table");
    }
  else
    for (size_t i = 0; i < card_words; i++)
      atomic_store_explicit (&card_bits[i], 0, memory_order_relaxed);
  weft_heap.protect_scan = true;
  atomic_store (&tracking, true);
  if (len != 0 && mprotect ((void *) a->start, len, PROT_READ) != 0)
    weft_throw ("runtime: cannot write-protect the heap: %s", strerror (errno));
  weft_unlock (&weft_heap.lock);
}

static void
unprotect_scan_arena (void)
{
  WeftArena *a = &weft_heap.arena[ARENA_SCAN];

  weft_lock (&weft_heap.lock);
  weft_heap.protect_scan = false;
  if (a->used != a->start && mprotect ((void *) a->start, a->used - a->start, PROT_READ | PROT_WRITE) != 0)
    weft_throw ("runtime: cannot unprotect the heap: %s", strerror (errno));
  weft_unlock (&weft_heap.lock);
  atomic_store (&tracking, false);
}

/* Scans the marked objects of [lo, hi) of the scan arena (their parts in
 * it: a write to the rest of an object dirtied another card). */
static void
scan_marked_in (uintptr_t lo, uintptr_t hi)
{
  for (uintptr_t p = lo; p < hi;)
    {
      Span     *s = weft_spanof (p);
      uintptr_t end;

      if (s == NULL)
        {
          p = (p & ~(WEFT_PAGE_SIZE - 1)) + WEFT_PAGE_SIZE;
          continue;
        }
      end = s->base + (s->npages << WEFT_PAGE_SHIFT);
      end = end < hi ? end : hi;
      for (uintptr_t i = (p - s->base) / s->elemsize; i < s->nelems && s->base + i * s->elemsize < end; i++)
        if (s->markbits[i >> 6] >> (i & 63) & 1)
          {
            uintptr_t olo = s->base + i * s->elemsize, ohi = olo + s->elemsize;
            scan_range (wwork, olo > p ? olo : p, ohi < end ? ohi : end);
          }
      p = end;
      drain ();
    }
}

/* Rescans the dirty cards, clearing their bits; with @reprotect (the
 * world runs) each is made read-only again before it is read, so that a
 * write after the read faults again. Returns the bytes of cards visited. */
static uint64_t
rescan_dirty_cards (bool reprotect)
{
  WeftArena *a = &weft_heap.arena[ARENA_SCAN];
  size_t     ncards = ((a->used - a->start) >> card_shift) + 1;
  uintptr_t  card_size = (uintptr_t) 1 << card_shift;
  uint64_t   bytes = 0;

  for (size_t w = 0; w * 64 < ncards && w < card_words; w++)
    {
      uint64_t bits = atomic_exchange (&card_bits[w], 0);
      while (bits != 0)
        {
          uintptr_t lo = a->start + ((w * 64 + (size_t) __builtin_ctzll (bits)) << card_shift);
          bits &= bits - 1;
          if (reprotect && mprotect ((void *) lo, card_size, PROT_READ) != 0)
            weft_throw ("runtime: cannot write-protect the heap: %s", strerror (errno));
          scan_marked_in (lo, lo + card_size);
          bytes += card_size;
        }
    }
  return bytes;
}

/* ------------------------------------------------------------------ mark phases */

static void
scan_registered_roots (void)
{
  weft_lock (&roots_lock);
  for (WeftRoot *r = roots.next; r != &roots; r = r->next)
    scan_range (wwork, (uintptr_t) r->addr, (uintptr_t) r->addr + r->size);
  weft_unlock (&roots_lock);
  drain ();
}

/* ------------------------------------------------------------------ mark assists
 *
 * While the mark runs, a goroutine that allocates pays for it by marking
 * (Go's gcAssistAlloc): every ASSIST_GRAIN bytes it allocates, it scans
 * assist_ratio times as many bytes of grey objects, the ratio chosen when
 * the mark starts so that the last cycle's live heap is scanned by the
 * time the heap reaches its goal. An assist that finds no grey object
 * leaves its debt (Go would park it until the worker makes some). A P
 * with no goroutine to run marks too (Go's idle mark worker), on its
 * M's own stack, until goroutines show up. */

#define ASSIST_GRAIN ((int64_t) 64 << 10)
/* An idle P marks for at most this long before it looks for goroutines. */
#define IDLE_MARK_NS (1000 * 1000)

static atomic_bool      assists_on;
static double           assist_ratio; /* bytes to scan per byte allocated */
static _Atomic uint64_t assist_marked;
static int32_t          markers_active; /* assists running; work_lock */

bool weft_gc_assisting;

static void
assists_start (void)
{
  int64_t live = atomic_load (&weft_heap_live);
  int64_t room = heap_goal != INT64_MAX ? heap_goal - live : 0;

  if (room < (int64_t) 4 << 20)
    room = (int64_t) 4 << 20;
  assist_ratio = (double) (heap_marked != 0 ? heap_marked : (uint64_t) live) / (double) room;
  atomic_store (&assists_on, true);
  __atomic_store_n (&weft_gc_assisting, true, __ATOMIC_RELAXED);
}

void
weft_gc_assist (size_t bytes)
{
  G      *gp = weft_getg ();
  GcWork *gcw;
  P      *pp;
  int64_t budget, t0;

  gp->gc_assist_debt += (int64_t) bytes;
  if (gp->gc_assist_debt < ASSIST_GRAIN)
    return;
  if (!atomic_load (&assists_on))
    {
      gp->gc_assist_debt = 0;
      return;
    }
  weft_lock (&work_lock);
  if (work_n == 0 || !atomic_load (&assists_on))
    {
      weft_unlock (&work_lock);
      return;
    }
  markers_active++;
  weft_unlock (&work_lock);

  budget = (int64_t) ((double) gp->gc_assist_debt * assist_ratio);
  gp->gc_assist_debt = 0;
  pp = weft_getm ()->p;
  gcw = calloc (1, sizeof *gcw);
  if (gcw == NULL)
    weft_throw ("runtime: out of memory assisting the collector");
  weft_trace_gc_assist_begin (gp, pp);
  t0 = weft_nanotime ();
  drain_budget (gcw, budget > 0 ? (uint64_t) budget : 1);
  if (gcw->n != 0)
    gcw_spill (gcw, 0);
  atomic_fetch_add (&assist_marked, gcw->marked);
  weft_trace_gc_assist_end (gp, pp, gcw->scanned);
  t0 = weft_nanotime () - t0;
  atomic_fetch_add (&gc_cpu_ns, (uint64_t) t0);
  atomic_fetch_add (&assist_ns, (uint64_t) t0);
  free (gcw);
  weft_lock (&work_lock);
  markers_active--;
  weft_unlock (&work_lock);
}

bool
weft_gc_idle_mark (P *pp)
{
  GcWork *gcw;
  int64_t t0 = weft_nanotime (), end = t0 + IDLE_MARK_NS;

  weft_lock (&work_lock);
  if (work_n == 0 || !atomic_load (&assists_on))
    {
      weft_unlock (&work_lock);
      return false;
    }
  markers_active++;
  weft_unlock (&work_lock);
  gcw = calloc (1, sizeof *gcw);
  if (gcw == NULL)
    weft_throw ("runtime: out of memory in an idle mark worker");
  weft_trace_gc_worker_begin (pp, WORKER_IDLE);
  do
    drain_budget (gcw, 64 << 10);
  while (gcw->n != 0 && weft_nanotime () < end && !weft_p_has_work (pp));
  if (gcw->n != 0)
    gcw_spill (gcw, 0);
  atomic_fetch_add (&assist_marked, gcw->marked);
  weft_trace_gc_worker_end (pp, gcw->scanned);
  t0 = weft_nanotime () - t0;
  atomic_fetch_add (&gc_cpu_ns, (uint64_t) t0);
  atomic_fetch_add (&mark_mode_ns[WORKER_IDLE], (uint64_t) t0);
  free (gcw);
  weft_lock (&work_lock);
  markers_active--;
  weft_unlock (&work_lock);
  return true;
}

/* Drains until no grey object is left and no assist runs: an assist may
 * hand back objects it took. */
static void
drain_all (void)
{
  for (;;)
    {
      bool done;

      drain ();
      weft_lock (&work_lock);
      done = work_n == 0 && markers_active == 0;
      weft_unlock (&work_lock);
      if (done)
        return;
      worker_yield ();
    }
}

/* The concurrent mark, with the world started: everything reachable from
 * the roots as they are now, then the cards written meanwhile. */
static void
mark_concurrent (G *self)
{
  scan_range (wwork, self_roots_sp, self->stack_hi);
  drain ();
  scan_registered_roots ();
  dl_iterate_phdr (scan_segments, NULL);
  drain ();
  for (G *gp = weft_allgs_racy (); gp != NULL; gp = gp->alllink)
    scan_g_concurrent (gp, self);
  drain_all ();
  for (int round = 0; round < PRECLEAN_ROUNDS; round++)
    {
      uint64_t dirty = rescan_dirty_cards (true);
      drain_all ();
      if (dirty <= PRECLEAN_ENOUGH)
        break;
    }
  /* While a fractional worker waits for its share, the program dirties
   * more cards for the pause to rescan: one more round, unbroken (as Go's
   * gcMarkDone is), leaves the pause only what is written during it. */
  mark_finishing = true;
  rescan_dirty_cards (true);
  drain_all ();
  /* No assist from here on: mark termination finishes alone. */
  __atomic_store_n (&weft_gc_assisting, false, __ATOMIC_RELAXED);
  atomic_store (&assists_on, false);
  drain_all ();
}

/* Mark termination, world stopped. Without a concurrent mark before it,
 * this is the whole mark. */
static void
mark_termination_roots (G *self)
{
  nsegs = 0;
  if (leak_check)
    drop_woken_candidates ();
  scan_range (wwork, self_roots_sp, self->stack_hi);
  drain ();
  weft_forall_g (scan_g, self);
  scan_registered_roots ();
  dl_iterate_phdr (scan_segments, NULL);
  drain ();
  if (atomic_load (&tracking))
    rescan_dirty_cards (false);
  if (leak_check)
    prove_leaks ();
}

/* ------------------------------------------------------------------ sweep */

static WEFT_NO_SANITIZE void
poison_freed (Span *s, uint32_t w, uint64_t freed)
{
  while (freed != 0)
    {
      uint32_t idx = w * 64 + (uint32_t) __builtin_ctzll (freed);
      WEFT_POISON (s->base + idx * s->elemsize, s->elemsize);
      freed &= freed - 1;
    }
}

/* The span at page @*page of @a (pages counted from a->start), moving
 * @*page past it; NULL at the end. World stopped: the spans tile it. */
static Span *
next_span (const WeftArena *a, uintptr_t *page)
{
  Span *s;

  if (*page >= (a->used - a->start) >> WEFT_PAGE_SHIFT)
    return NULL;
  s = weft_heap.spans[((a->start - weft_heap.reserve_start) >> WEFT_PAGE_SHIFT) + *page];
  if (s == NULL)
    weft_throw ("runtime: heap page %p belongs to no span", (void *) (a->start + (*page << WEFT_PAGE_SHIFT)));
  *page += s->npages;
  return s;
}

uint64_t
weft_sweep_span (Span *s)
{
  uint32_t nalloc = 0;
  uint64_t reclaimed;

  for (uint32_t w = 0; w < WEFT_SPAN_BITMAP_WORDS; w++)
    {
      uint64_t freed = s->allocbits[w] & ~s->markbits[w];
      if (freed != 0)
        poison_freed (s, w, freed);
      s->allocbits[w] = s->markbits[w];
      s->markbits[w] = 0;
      nalloc += (uint32_t) __builtin_popcountll (s->allocbits[w]);
    }
  reclaimed = (uint64_t) (s->nalloc - nalloc) * s->elemsize;
  if (nalloc != s->nalloc)
    s->needzero = true;
  s->nalloc = nalloc;
  s->freeindex = 0;
  return reclaimed;
}

/* Sweeps every span still unswept, with allocators sweeping alongside,
 * and waits for theirs. @background: the mark worker after the pause,
 * which lets the scheduler preempt it. */
static void
sweep_remaining (bool background)
{
  WeftSweepStats st = { 0 };
  P             *pp = weft_getm ()->p;
  int64_t        t0 = weft_nanotime ();

  weft_trace_gc_sweep_begin (pp);
  while (weft_sweep_next (&st))
    if (background && (st.swept & 63) == 0 && atomic_load_explicit (&pp->preempt, memory_order_relaxed))
      {
        weft_trace_gc_sweep_end (pp, st.swept, st.reclaimed);
        st = (WeftSweepStats){ 0 };
        weft_yield ();
        pp = weft_getm ()->p;
        weft_trace_gc_sweep_begin (pp);
      }
  while (!weft_sweep_done ())
    weft_yield ();
  weft_trace_gc_sweep_end (pp, st.swept, st.reclaimed);
  atomic_fetch_add (&gc_cpu_ns, (uint64_t) (weft_nanotime () - t0));
}

/* ------------------------------------------------------------------ pacing */

static void
set_trigger (void)
{
  int32_t pct = atomic_load (&gc_percent);
  int64_t limit = atomic_load (&mem_limit);
  int64_t goal = INT64_MAX;

  if (pct >= 0)
    {
      int64_t min = HEAP_MINIMUM * pct / 100;
      goal = (int64_t) heap_marked + (int64_t) heap_marked * pct / 100;
      if (goal < min)
        goal = min;
    }
  if (limit != INT64_MAX && goal > limit)
    {
      /* Under the limit, but not so close to the live heap that cycles
       * would run back to back (Go caps that spiral at 50 % CPU). */
      int64_t floor = (int64_t) heap_marked + (int64_t) heap_marked / 16 + (1 << 20);
      goal = limit > floor ? limit : floor;
    }
  heap_goal = goal;
  atomic_store (&gc_trigger, goal);
}

/* Committed memory to keep after a cycle, free spans included: 10 %
 * above the next goal (Go's scavenger keeps the same margin), or above
 * twice the live heap when GOGC is off. */
static uint64_t
scavenge_goal (void)
{
  uint64_t goal = heap_goal != INT64_MAX ? (uint64_t) heap_goal : 2 * heap_marked + (uint64_t) HEAP_MINIMUM;
  return goal + goal / 10;
}

static int
trigger_reason (void)
{
  int64_t limit = atomic_load (&mem_limit);
  return limit != INT64_MAX && heap_goal >= limit - limit / 16 ? TRIGGER_MEMLIMIT : TRIGGER_HEAP;
}

bool
weft_gc_should_start (void)
{
  return atomic_load_explicit (&weft_heap_live, memory_order_relaxed)
         >= atomic_load_explicit (&gc_trigger, memory_order_relaxed);
}

void
weft_gc_note_heap_change (void)
{
  int64_t live, last, grain;

  if (!weft_tracing ())
    return;
  live = atomic_load_explicit (&weft_heap_live, memory_order_relaxed);
  last = atomic_load_explicit (&heap_live_reported, memory_order_relaxed);
  grain = heap_goal != INT64_MAX ? heap_goal / 64 : HEAP_MINIMUM / 64;
  if ((live > last ? live - last : last - live) >= grain
      && atomic_compare_exchange_strong (&heap_live_reported, &last, live))
    weft_trace_heap_alloc ((uint64_t) live);
}

static void
report_heap (void)
{
  int64_t live = atomic_load (&weft_heap_live);

  atomic_store (&heap_live_reported, live);
  weft_trace_heap_alloc ((uint64_t) live);
  weft_trace_heap_goal (heap_goal != INT64_MAX ? (uint64_t) heap_goal : 0);
}

/* Bad configuration is a clear message and exit status 2, like a bad
 * GODEBUG: the program must not run with a setting it did not ask for. */
static _Noreturn void
bad_env (const char *name, const char *value, const char *want)
{
  fprintf (stderr, "weft: %s=%s: want %s\n", name, value, want);
  _exit (2);
}

/* Go's GOMEMLIMIT syntax: a byte count with an optional B, KiB, MiB, GiB
 * or TiB suffix, or "off". */
static int64_t
parse_memlimit (const char *s)
{
  static const struct
  {
    const char *suffix;
    int         shift;
  } units[] = { { "", 0 }, { "B", 0 }, { "KiB", 10 }, { "MiB", 20 }, { "GiB", 30 }, { "TiB", 40 } };
  char              *end;
  unsigned long long v;

  if (strcmp (s, "off") == 0)
    return INT64_MAX;
  if (!isdigit ((unsigned char) *s))
    return -1;
  v = strtoull (s, &end, 10);
  for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
    if (strcmp (end, units[i].suffix) == 0)
      return v > (unsigned long long) (INT64_MAX >> units[i].shift) ? -1 : (int64_t) (v << units[i].shift);
  return -1;
}

void
weft_gc_init (void)
{
  const char *gogc = getenv ("WEFT_GOGC");
  const char *limit = getenv ("WEFT_MEMLIMIT");
  const char *leakcheck = getenv ("WEFT_LEAKCHECK");
  const char *stw = getenv ("WEFT_GCSTW");
  const char *period = getenv ("WEFT_GCPERIOD_MS");

  atomic_store (&clear_dead_stacks, true);
  heap_start_ns = weft_nanotime ();

  if (gogc != NULL && *gogc != '\0')
    {
      char *end;
      long  v;

      if (strcmp (gogc, "off") == 0)
        atomic_store (&gc_percent, -1);
      else if (isdigit ((unsigned char) *gogc) && (v = strtol (gogc, &end, 10)) <= 1000000 && *end == '\0')
        atomic_store (&gc_percent, (int32_t) v);
      else
        bad_env ("WEFT_GOGC", gogc, "a percentage (e.g. 100) or \"off\"");
    }
  if (leakcheck != NULL && *leakcheck != '\0')
    {
      if (strcmp (leakcheck, "0") != 0 && strcmp (leakcheck, "1") != 0)
        bad_env ("WEFT_LEAKCHECK", leakcheck, "0 or 1");
      leak_check = strcmp (leakcheck, "1") == 0;
    }
  if (stw != NULL && *stw != '\0')
    {
      if (strcmp (stw, "0") != 0 && strcmp (stw, "1") != 0)
        bad_env ("WEFT_GCSTW", stw, "0 or 1");
      stw_only = strcmp (stw, "1") == 0;
    }
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  stw_only = true;
#endif
  if (period != NULL && *period != '\0')
    {
      char *end;
      long  v;

      if (!isdigit ((unsigned char) *period) || (v = strtol (period, &end, 10)) <= 0 || v > 86400000 || *end != '\0')
        bad_env ("WEFT_GCPERIOD_MS", period, "milliseconds between 1 and 86400000");
      forcegc_period_ns = (int64_t) v * 1000 * 1000;
    }
  if (limit != NULL && *limit != '\0')
    {
      int64_t v = parse_memlimit (limit);
      if (v < 0)
        bad_env ("WEFT_MEMLIMIT", limit, "a size such as 512MiB or \"off\"");
      atomic_store (&mem_limit, v);
    }
  set_trigger ();
  /* Last: sysmon reads the period once this is set. */
  atomic_store (&last_gc_mono_ns, heap_start_ns);
}

/* ------------------------------------------------------------------ cycles */

static void
acquire_world (void)
{
  int32_t free = 0;

  while (!atomic_compare_exchange_strong (&worldsema, &free, 1))
    {
      free = 0;
      /* Another cycle runs: let it stop this goroutine. */
      weft_yield ();
    }
}

static bool
try_acquire_world (void)
{
  int32_t free = 0;
  return atomic_compare_exchange_strong (&worldsema, &free, 1);
}

static void
release_world (void)
{
  atomic_store (&worldsema, 0);
}

static G *
collecting_g (const char *what)
{
  M *mp = weft_getm ();
  G *gp = weft_getg ();

  if (gp == NULL || mp->p == NULL)
    weft_panic ("%s must be called from a goroutine, outside weft_syscall_enter", what);
  return gp;
}

static int64_t
unix_ns (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_REALTIME, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* The running cycle; worldsema's holder owns them. */
static uint32_t cycle_no;
static int64_t  cycle_pause; /* sweep termination's pause, when the mark ran between the two */

/* ------------------------------------------------------------------ mark workers
 *
 * Go's pacer (startCycle) gives the background mark 25 % of the Ps:
 * round(GOMAXPROCS / 4) dedicated workers, which mark without a break;
 * when rounding misses 25 % by more than 30 % (GOMAXPROCS 1, 2, 3 and 6),
 * one dedicated worker fewer if rounding went up, and the rest as a
 * fractional goal per P: a fractional worker marks only while its P's
 * fractional time since the mark began is under that share of the time
 * (findRunnableGCWorker), and gives the P back once it is over 1.2 times
 * the share (pollFractionalWorkerExit).
 *
 * libweft has one background worker, the goroutine that takes the mark
 * from the roots to mark termination. It runs dedicated when the plan has
 * a dedicated worker, fractional otherwise; the caller of weft_gc(), which
 * waits for the cycle anyway, marks dedicated. A fractional worker over
 * its share (or asked to yield) is held out of the run queues
 * (weft_gc_worker_hold): every P's scheduler gives it the P while the P
 * is under its share (weft_gc_find_worker), and a P with nothing else to
 * run takes it as an idle worker, which gives the P back as soon as a
 * goroutine waits there. The last round of rescanning dirty cards before
 * mark termination runs unbroken (mark_finishing): cards dirtied while
 * the worker waited for its share would lengthen the pause. Each slice
 * on a P is one gc_worker_begin(mode) … gc_worker_end. Not done: Go's
 * second and further dedicated workers (GOMAXPROCS >= 8) and, with
 * GOMAXPROCS 6, the fractional share next to the dedicated worker: idle
 * Ps and assists mark alongside instead. */

#define BACKGROUND_UTILIZATION 0.25
#define MAX_UTIL_ERROR 0.3
/* Slack over the fractional goal before a fractional worker stops, so
 * that it is not behind again at once (Go's). */
#define FRACTIONAL_EXIT_SLACK 1.2

/* The plan of the running mark, set before the worker exists. */
static int32_t dedicated_workers;
static double  fractional_goal; /* share of each P's time; 0: none */
static int64_t mark_start_ns;

/* The worker's slice. worker_mode is also written by weft_gc_find_worker,
 * on the M that then runs the worker. */
static int      worker_mode;
static P       *worker_p;
static uint64_t worker_scanned;
static int64_t  worker_since;

static void
plan_workers (void)
{
  double  total = (double) weft_nprocs * BACKGROUND_UTILIZATION;
  int32_t dedicated = (int32_t) (total + 0.5);
  double  error = (double) dedicated / total - 1;

  fractional_goal = 0;
  if (error < -MAX_UTIL_ERROR || error > MAX_UTIL_ERROR)
    {
      if ((double) dedicated > total)
        dedicated--;
      fractional_goal = (total - (double) dedicated) / (double) weft_nprocs;
    }
  dedicated_workers = dedicated;
  mark_finishing = false;
  for (int32_t i = 0; i < weft_nprocs; i++)
    atomic_store_explicit (&weft_allp[i]->gc_fractional_ns, 0, memory_order_relaxed);
  mark_start_ns = weft_nanotime ();
}

static void
worker_begin (int mode)
{
  worker_mode = mode;
  worker_p = weft_getm ()->p;
  worker_scanned = wwork->scanned;
  /* A slice scans POLL_BYTES before it asks whether to stop: a P whose
   * goroutine yields in a loop (waiting for this cycle) would otherwise
   * take the worker and give it back every few hundred ns. */
  wwork->polled = wwork->scanned;
  worker_since = weft_nanotime ();
  weft_trace_gc_worker_begin (worker_p, (uint8_t) mode);
}

static void
worker_end (void)
{
  int64_t d = weft_nanotime () - worker_since;

  weft_trace_gc_worker_end (worker_p, wwork->scanned - worker_scanned);
  atomic_fetch_add (&gc_cpu_ns, (uint64_t) d);
  atomic_fetch_add (&mark_mode_ns[worker_mode], (uint64_t) d);
  if (worker_mode == WORKER_FRACTIONAL)
    atomic_fetch_add_explicit (&worker_p->gc_fractional_ns, d, memory_order_relaxed);
}

static void
worker_yield (void)
{
  worker_end ();
  weft_yield ();
  worker_begin (worker_mode);
}

/* Until a scheduler hands the worker a P again, in the mode it chose. */
static void
worker_hold (void)
{
  worker_end ();
  weft_gc_worker_hold ();
  worker_begin (worker_mode);
}

static bool
fractional_over (int64_t now)
{
  int64_t delta = now - mark_start_ns;
  int64_t self = atomic_load_explicit (&worker_p->gc_fractional_ns, memory_order_relaxed) + (now - worker_since);

  return delta <= 0 || (double) self / (double) delta > FRACTIONAL_EXIT_SLACK * fractional_goal;
}

G *
weft_gc_find_worker (P *pp, bool idle)
{
  G  *gp = atomic_load_explicit (&weft_gc_worker_held, memory_order_acquire);
  int mode = WORKER_IDLE;

  if (gp == NULL)
    return NULL;
  if (!idle)
    {
      int64_t delta = weft_nanotime () - mark_start_ns;
      int64_t done = atomic_load_explicit (&pp->gc_fractional_ns, memory_order_relaxed);

      if (fractional_goal == 0 || (delta > 0 && (double) done / (double) delta > fractional_goal))
        return NULL;
      mode = WORKER_FRACTIONAL;
    }
  if (!atomic_compare_exchange_strong (&weft_gc_worker_held, &gp, NULL))
    return NULL;
  worker_mode = mode;
  return gp;
}

/* Polled by the worker's drain between objects. */
static void
mark_preempted (void)
{
  P   *pp = weft_getm ()->p;
  bool preempt = atomic_load_explicit (&pp->preempt, memory_order_relaxed);

  switch (worker_mode)
    {
    case WORKER_DEDICATED:
      if (preempt || atomic_load_explicit (&weft_sched.runq_size, memory_order_relaxed))
        worker_yield ();
      break;
    case WORKER_FRACTIONAL:
      if (mark_finishing)
        {
          if (preempt)
            worker_yield ();
        }
      else if (preempt || fractional_over (weft_nanotime ()))
        worker_hold ();
      break;
    case WORKER_IDLE:
      if (preempt || weft_p_has_work (pp))
        worker_hold ();
      break;
    default:
      weft_throw ("runtime: GC mark worker in mode %d", worker_mode);
    }
}

/* With the world stopped (since @t0): finishes the mark, proves leaks,
 * sweeps, sets the next goal, starts the world and ends the cycle. */
static void
mark_termination (G *self, int64_t t0, bool concurrent)
{
  uint32_t cycle = cycle_no;
  int64_t  t1, pause;

  weft_malloc_stop ();
  if (!concurrent)
    {
      weft_trace_gc_mark_begin (cycle);
      worker_begin (WORKER_DEDICATED);
    }
  mark_termination_roots (self);
  if (!concurrent)
    {
      worker_end ();
      weft_trace_gc_mark_end (cycle);
      weft_trace_stw_end (STW_SWEEP_TERM, cycle);
      weft_trace_stw_begin (STW_MARK_TERM, cycle);
    }
  else
    weft_trace_gc_mark_end (cycle);
  for (size_t i = 0; i < nleaked; i++)
    if (!leaked[i]->leak_reported && weft_tracing ())
      {
        weft_trace_go_leaked (cycle, leaked[i]);
        leaked[i]->leak_reported = true;
      }

  heap_marked = wwork->marked + atomic_load (&assist_marked);
  atomic_store (&weft_heap_live, (int64_t) heap_marked);
  weft_sweep_start ();
  if (!concurrent)
    {
      sweep_remaining (false);
      weft_heap_scavenge (scavenge_goal ());
    }
  set_trigger ();
  weft_trace_gc_end (cycle, heap_marked, heap_goal != INT64_MAX ? (uint64_t) heap_goal : 0);
  report_heap ();

  num_gc = cycle;
  last_gc_unix_ns = unix_ns ();
  atomic_store (&last_gc_mono_ns, weft_nanotime ());
  weft_malloc_start ();
  weft_start_the_world ();
  t1 = weft_nanotime ();
  weft_trace_stw_end (STW_MARK_TERM, cycle);
  pause = (t1 - t0) + (concurrent ? cycle_pause : 0);
  pause_ns[(cycle - 1) % PAUSE_HISTORY] = (uint64_t) pause;
  pause_total_ns += (uint64_t) pause;
  atomic_fetch_add (&gc_cpu_ns, (uint64_t) pause * (uint64_t) weft_nprocs);
  if (!concurrent)
    {
      release_world ();
      return;
    }
  unprotect_scan_arena ();
  release_world ();
  sweep_remaining (true);
  weft_heap_scavenge (scavenge_goal ());
}

/* The mark between the two pauses, on the goroutine @self: the
 * background worker, or (@forced) weft_gc()'s caller, dedicated. */
static void
mark_worker (G *self, bool forced)
{
  int64_t t0;

  plan_workers ();
  weft_trace_gc_mark_begin (cycle_no);
  worker_begin (forced || dedicated_workers > 0 ? WORKER_DEDICATED : WORKER_FRACTIONAL);
  protect_scan_arena ();
  assists_start ();
  wwork->preemptible = true;
  mark_concurrent (self);
  wwork->preemptible = false;
  worker_end ();
  last_mark_begin_ns = mark_start_ns;
  last_mark_end_ns = weft_nanotime ();
  mark_total_ns += (uint64_t) (last_mark_end_ns - mark_start_ns);
  weft_trace_stw_begin (STW_MARK_TERM, cycle_no);
  t0 = weft_nanotime ();
  weft_stop_the_world ();
  mark_termination (self, t0, true);
}

static void
gc_bg_mark_worker (void *arg)
{
  G *self = weft_getg ();

  (void) arg;
  self_roots_sp = self->stack_hi;
  mark_worker (self, false);
}

/* In weft_spill_call: @sp is where the caller's registers and frames
 * begin. */
static void
gc_cycle (void *arg, void *sp)
{
  int     trigger = (int) (intptr_t) arg;
  G      *self = collecting_g ("weft_gc");
  bool    concurrent;
  int64_t t0;

  atomic_store (&clear_dead_stacks, true);

  if (trigger == TRIGGER_FORCED)
    acquire_world ();
  else if (!try_acquire_world ())
    return; /* a cycle runs */
  if ((trigger == TRIGGER_HEAP && !weft_gc_should_start ())
      || (trigger == TRIGGER_PERIODIC && !periodic_due (weft_nanotime ())))
    {
      /* Another goroutine ran the cycle this one was waiting for. */
      release_world ();
      return;
    }
  /* Sweep termination: the last cycle's spans must all be swept. */
  sweep_remaining (false);
  if (trigger == TRIGGER_HEAP)
    trigger = trigger_reason ();
  if (trigger == TRIGGER_FORCED)
    num_forced_gc++;
  if (wwork == NULL && (wwork = calloc (1, sizeof *wwork)) == NULL)
    weft_throw ("runtime: out of memory allocating the mark worker's queue");
  wwork->marked = 0;
  atomic_store (&assist_marked, 0);
  self_roots_sp = (uintptr_t) sp;
  cycle_no = num_gc + 1;
  concurrent = !stw_only && weft_segv_handled;
  /* Allocations go on until the cycle ends without starting another. */
  atomic_store (&gc_trigger, INT64_MAX);
  weft_trace_gc_begin (cycle_no, (uint8_t) trigger, (uint64_t) atomic_load (&weft_heap_live),
                       heap_goal != INT64_MAX ? (uint64_t) heap_goal : 0);
  weft_trace_stw_begin (STW_SWEEP_TERM, cycle_no);
  t0 = weft_nanotime ();
  weft_stop_the_world ();
  if (leak_check)
    collect_candidates ();
  if (!concurrent)
    {
      mark_termination (self, t0, false);
      return;
    }
  weft_start_the_world ();
  cycle_pause = weft_nanotime () - t0;
  weft_trace_stw_end (STW_SWEEP_TERM, cycle_no);
  /* weft_gc() waits for the cycle: it marks itself. */
  if (trigger == TRIGGER_FORCED)
    mark_worker (self, true);
  else
    weft_newproc_system ("GC mark worker", gc_bg_mark_worker, NULL);
}

void
weft_gc_maybe_start (void)
{
  weft_spill_call (gc_cycle, (void *) (intptr_t) TRIGGER_HEAP);
}

void
weft_gc (void)
{
  weft_spill_call (gc_cycle, (void *) (intptr_t) TRIGGER_FORCED);
}

/* ------------------------------------------------------------------ periodic trigger
 *
 * Go's forcegc: sysmon starts a cycle when none ran for two minutes, so
 * that a program whose heap stays under its goal still returns memory
 * and gets its leaks proven. Unlike Go, whose clock starts at the first
 * cycle, the clock starts when the heap is first used. Sysmon has no P:
 * a system goroutine starts the cycle (the mark worker then marks as
 * the pacer plans, like a heap-triggered cycle's). */

static void
forcegc_helper (void *arg)
{
  (void) arg;
  weft_spill_call (gc_cycle, (void *) (intptr_t) TRIGGER_PERIODIC);
  atomic_store (&forcegc_pending, false);
}

static bool
periodic_due (int64_t now)
{
  int64_t last = atomic_load (&last_gc_mono_ns);

  return last != 0 && now - last > forcegc_period_ns && atomic_load (&gc_percent) >= 0;
}

void
weft_gc_sysmon (int64_t now)
{
  if (!periodic_due (now) || atomic_exchange (&forcegc_pending, true))
    return;
  weft_newproc_system ("GC periodic trigger", forcegc_helper, NULL);
}

/* ------------------------------------------------------------------ settings */

int
weft_set_gc_percent (int percent)
{
  int old;

  weft_malloc_init (); /* WEFT_GOGC is read first, so that this wins */
  acquire_world ();
  old = atomic_exchange (&gc_percent, percent < 0 ? -1 : percent);
  set_trigger ();
  release_world ();
  return old;
}

int64_t
weft_set_memory_limit (int64_t bytes)
{
  int64_t old;

  weft_malloc_init (); /* WEFT_MEMLIMIT is read first, so that this wins */
  old = atomic_load (&mem_limit);
  if (bytes < 0)
    return old;
  acquire_world ();
  old = atomic_exchange (&mem_limit, bytes);
  set_trigger ();
  release_world ();
  return old;
}

/* ------------------------------------------------------------------ MemStats */

void
weft_read_mem_stats (WeftMemStats *ms)
{
  uint64_t mallocs, total_bytes;

  collecting_g ("weft_read_mem_stats");
  acquire_world ();
  sweep_remaining (false);
  weft_trace_stw_begin (STW_READMEMSTATS, 0);
  weft_stop_the_world ();
  weft_malloc_stop ();

  memset (ms, 0, sizeof *ms);
  for (uintptr_t page = 0, a = 0; a < ARENA_COUNT; page = 0, a++)
    for (Span *s; (s = next_span (&weft_heap.arena[a], &page)) != NULL;)
      {
        if (s->state != SPAN_INUSE)
          continue;
        ms->heap_alloc += (uint64_t) s->nalloc * s->elemsize;
        ms->heap_objects += s->nalloc;
      }
  weft_mallocs_total (&mallocs, &total_bytes);
  ms->total_alloc = total_bytes;
  ms->mallocs = mallocs;
  ms->frees = mallocs - ms->heap_objects;
  ms->heap_sys = weft_heap_committed ();
  ms->heap_inuse = weft_heap.pages_inuse << WEFT_PAGE_SHIFT;
  ms->heap_idle = ms->heap_sys - ms->heap_inuse;
  ms->heap_released = weft_heap.pages_released << WEFT_PAGE_SHIFT;
  ms->next_gc = heap_goal != INT64_MAX ? (uint64_t) heap_goal : 0;
  ms->num_gc = num_gc;
  ms->num_forced_gc = num_forced_gc;
  ms->pause_total_ns = pause_total_ns;
  ms->last_pause_ns = num_gc > 0 ? pause_ns[(num_gc - 1) % PAUSE_HISTORY] : 0;
  ms->last_gc_unix_ns = last_gc_unix_ns;
  memcpy (ms->pause_ns, pause_ns, sizeof ms->pause_ns);
  ms->gc_cpu_ns = atomic_load (&gc_cpu_ns);
  ms->gc_cpu_fraction
      = (double) ms->gc_cpu_ns / ((double) (weft_nanotime () - heap_start_ns) * (double) weft_nprocs + 1.0);
  ms->gc_mark_dedicated_ns = atomic_load (&mark_mode_ns[WORKER_DEDICATED]);
  ms->gc_mark_fractional_ns = atomic_load (&mark_mode_ns[WORKER_FRACTIONAL]);
  ms->gc_mark_idle_ns = atomic_load (&mark_mode_ns[WORKER_IDLE]);
  ms->gc_mark_assist_ns = atomic_load (&assist_ns);
  ms->gc_mark_ns = mark_total_ns;
  ms->last_mark_begin_ns = last_mark_begin_ns;
  ms->last_mark_end_ns = last_mark_end_ns;

  weft_malloc_start ();
  weft_start_the_world ();
  weft_trace_stw_end (STW_READMEMSTATS, 0);
  release_world ();
}

/* ------------------------------------------------------------------ leaks */

size_t
weft_leaked_goroutines (uint64_t *goids, size_t max)
{
  size_t n;

  collecting_g ("weft_leaked_goroutines");
  acquire_world ();
  n = nleaked;
  for (size_t i = 0; i < n && i < max; i++)
    goids[i] = leaked_goids[i];
  release_world ();
  return n;
}
