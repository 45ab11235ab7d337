/* proc.c — goroutine scheduler. See HACKING.md for the overview.
 *
 * The model is Go's: G (goroutine), M (OS thread), P (processor: the right
 * to run goroutines, with a local run queue). An M must hold a P to run a
 * G. There are exactly weft_nprocs Ps; Ms are created on demand and never
 * exit. Each M has a g0, its scheduling context on the thread's own stack:
 * a goroutine that stops switches to g0 (mcall), g0 runs the stop action
 * (park_m, gosched_m, goexit0…) and then schedule() picks the next one.
 *
 * Run queues: each P has a 256-slot lock-free ring (owner puts and gets,
 * others steal half) and a runnext slot for the goroutine the running one
 * just readied, so a ping-pong stays on one P. The global queue, under
 * sched.lock, takes overflow, yields and goroutines readied without a P;
 * every 61st schedule() looks there first so it cannot starve.
 *
 * Spinning Ms (Go's "worker thread parking/unparking"): an M that has a P
 * but no work "spins" looking for work to steal. At most half the busy Ps'
 * worth of Ms spin. Readying a goroutine wakes an idle P only if no M is
 * spinning (wakep); an M that stops spinning after finding work wakes
 * another in its place. The last spinning M re-checks every run queue after
 * dropping its P, so a goroutine readied concurrently is never stranded.
 *
 * Idle Ms park on their note. At most one M at a time blocks in the
 * netpoller instead (sched.lastpoll == 0), with a timeout at the next
 * timer: it is what wakes sleepers and I/O waiters. When the last M goes
 * idle with no goroutine in a syscall, no timer and no I/O waiter, every
 * goroutine is blocked forever: checkdead() reports the deadlock.
 *
 * sysmon, a thread without a P, retakes Ps from Ms stuck in syscalls,
 * requests preemption of goroutines running for more than 10 ms, polls the
 * network when nobody has for 10 ms, notices tracing sessions and starts
 * the periodic GC cycle (mgc.c).
 *
 * The GC mark worker may be held out of the run queues (mgc.c decides
 * when it should run); while it is, every switch goes through schedule(),
 * which asks mgc.c whether this P should mark now, and a P that finds
 * nothing else to run takes it as an idle worker before it goes idle.
 *
 * Invariants:
 *  - A G is in at most one run queue, and only when G_RUNNABLE.
 *  - An M holds at most one P and a P is held by at most one M; P.m and
 *    M.p change together under sched.lock, or by the owner (acquirep and
 *    releasep), or by CAS on P.status from P_SYSCALL.
 *  - G.status changes: IDLE->RUNNABLE (newproc), RUNNABLE->RUNNING
 *    (execute), RUNNING->RUNNABLE (yield, preempt), RUNNING->WAITING
 *    (park_m), WAITING->RUNNABLE (goready, netpoll), RUNNING<->SYSCALL,
 *    SYSCALL->RUNNABLE (exitsyscall0), RUNNING->DEAD (goexit0),
 *    DEAD->RUNNABLE (reuse).
 */
#define _GNU_SOURCE
#include "mheap.h"
#include "runtime.h"
#include "trace.h"

#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#include <sanitizer/lsan_interface.h>
#define WEFT_ASAN 1
#endif
#if defined(__SANITIZE_THREAD__)
#include <sanitizer/tsan_interface.h>
#define WEFT_TSAN 1
#endif

#define GFREE_LOCAL_MAX 64
/* Dead goroutines kept with their stack memory for reuse; beyond this the
 * stacks of newly freed ones go back to the kernel (an madvise each, too
 * slow to pay on every exit of a busy program). */
#define GFREE_GLOBAL_KEEP 4096
#define SUDOG_CACHE_MAX 128
#define GOID_BATCH 16
#define FORCE_PREEMPT_NS (10 * 1000 * 1000)
#define FORCE_POLL_NS (10 * 1000 * 1000)

struct WeftSched weft_sched;
P              **weft_allp;
int32_t          weft_nprocs;

/* initial-exec: libweft is linked, not dlopen()ed, so its TLS sits in the
 * static block and needs no __tls_get_addr call on every weft_getm(). */
static __thread M *tls_m __attribute__ ((tls_model ("initial-exec")));

static WeftLock         allg_lock;
static _Atomic (G *)    allgs; /* every G ever made, newest first; written under allg_lock */
static _Atomic uint64_t goid_gen;
static _Atomic int32_t  mnext;

static WeftLock      gfree_lock;
static _Atomic (G *) gfree_global; /* dead Gs with stacks; written under gfree_lock */
static int32_t       gfree_global_n;

/* The main goroutine and the thread waiting in weft_main() for it. */
static G           *main_g;
static WeftMainFunc main_fn;
static int          main_argc;
static char       **main_argv;
static int          main_status;
static WeftNote     main_done;
static _Atomic bool main_called;
static _Atomic bool runtime_started; /* Ms may be started: M0 exists */

static void schedule_loop (M *mp) __attribute__ ((noreturn));
static G   *goexit0 (G *gp);
static void wakep (void);
static void startm (P *pp, bool spinning);

/* ------------------------------------------------------------------ current */

M *__attribute__ ((noinline))
weft_getm (void)
{
  /* The empty asm keeps the compiler from treating this as pure. */
  __asm__ __volatile__("" ::
                           : "memory");
  return tls_m;
}

G *
weft_getg (void)
{
  M *mp = weft_getm ();
  return mp != NULL ? mp->curg : NULL;
}

uint64_t
weft_goid (void)
{
  G *gp = weft_getg ();
  return gp != NULL ? gp->goid : 0;
}

int
weft_maxprocs (void)
{
  return weft_nprocs;
}

int64_t
weft_num_goroutine (void)
{
  return atomic_load (&weft_sched.ngoroutines);
}

static inline int64_t
nanotime (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static inline int64_t
coarse_nanotime (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC_COARSE, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ random */

static _Atomic uint64_t rand_seed_global = 0x9e3779b97f4a7c15ull;

uint32_t
weft_rand32 (void)
{
  M        *mp = weft_getm ();
  uint64_t *state, local;

  if (mp != NULL)
    state = &mp->rand;
  else
    {
      local = atomic_fetch_add (&rand_seed_global, 0x9e3779b97f4a7c15ull);
      state = &local;
    }
  /* wyrand */
  *state += 0xa0761d6478bd642full;
  __uint128_t t = (__uint128_t) *state * (*state ^ 0xe7037ed1a0b428dbull);
  return (uint32_t) ((t >> 64) ^ t);
}

uint32_t
weft_randn (uint32_t n)
{
  return (uint32_t) (((uint64_t) weft_rand32 () * n) >> 32);
}

/* ------------------------------------------------------------------ G status */

static inline void
casgstatus (G *gp, uint32_t from, uint32_t to)
{
  uint32_t old = from;
  if (unlikely (!atomic_compare_exchange_strong (&gp->status, &old, to)))
    weft_throw ("runtime: goroutine %llu: bad status transition %u -> %u (is %u)",
                (unsigned long long) gp->goid, from, to, old);
}

/* ------------------------------------------------------------------ context switch */

/* Sanitizers must be told about stack switches: ASan to track which stack
 * is live, TSan to give each goroutine its own fiber (and a happens-before
 * edge at each switch, which is what a handoff between goroutines is). */
static inline void
switch_to (G *from, G *to, bool from_dies)
{
#ifdef WEFT_ASAN
  void *fake = NULL;
  __sanitizer_start_switch_fiber (from_dies ? NULL : &fake, (void *) to->stack_lo, to->stack_hi - to->stack_lo);
#endif
#ifdef WEFT_TSAN
  __tsan_switch_to_fiber (to->tsan_fiber, 0);
#endif
  (void) from_dies;
  weft_ctx_switch (&from->ctx, &to->ctx);
#ifdef WEFT_ASAN
  __sanitizer_finish_switch_fiber (fake, NULL, NULL);
#endif
}

void
weft_ctx_init (WeftCtx *ctx, uintptr_t lo, uintptr_t hi)
{
  extern void weft_goroutine_trampoline (void) WEFT_HIDDEN;
  uintptr_t   top = hi & ~(uintptr_t) 15;
  (void) lo;

#if defined(__x86_64__)
  /* mxcsr/fpucw, r15 r14 r13 r12 rbx rbp, return address: see asm. */
  uint64_t *sp = (uint64_t *) (top - 64);
  memset (sp, 0, 64);
  ((uint32_t *) sp)[0] = 0x1f80; /* default MXCSR */
  ((uint32_t *) sp)[1] = 0x037f; /* default x87 control word */
  sp[7] = (uint64_t) (uintptr_t) weft_goroutine_trampoline;
#elif defined(__aarch64__)
  uint64_t *sp = (uint64_t *) (top - 176);
  memset (sp, 0, 176);
  sp[11] = (uint64_t) (uintptr_t) weft_goroutine_trampoline; /* x30 */
#endif
  ctx->sp = sp;
}

/* Runs fn on g0; the goroutine resumes (maybe on another M) when scheduled.
 * fn returns the goroutine to run next on this M, or NULL to schedule. */
static void
mcall (G *(*fn) (G *gp))
{
  M *mp = weft_getm ();
  G *gp = mp->curg;

  mp->mcall_fn = fn;
  mp->mcall_g = gp;
  switch_to (gp, mp->g0, fn == goexit0);
}

/* ------------------------------------------------------------------ allgs / G reuse */

static void
allgadd (G *gp)
{
  weft_lock (&allg_lock);
  gp->alllink = atomic_load_explicit (&allgs, memory_order_relaxed);
  atomic_store_explicit (&allgs, gp, memory_order_release);
  weft_unlock (&allg_lock);
}

G *
weft_allgs_racy (void)
{
  return atomic_load_explicit (&allgs, memory_order_acquire);
}

void
weft_forall_g (void (*fn) (G *gp, void *data), void *data)
{
  weft_lock (&allg_lock);
  for (G *gp = atomic_load (&allgs); gp != NULL; gp = gp->alllink)
    fn (gp, data);
  weft_unlock (&allg_lock);
}

static G *
malg (void)
{
  G *gp = calloc (1, sizeof *gp);
  if (gp == NULL)
    weft_throw ("runtime: out of memory allocating a goroutine");
  gp->stack = weft_stack_alloc (&gp->stack_lo, &gp->stack_hi);
#ifdef WEFT_TSAN
  gp->tsan_fiber = __tsan_create_fiber (0);
#endif
  atomic_store (&gp->status, G_IDLE);
  allgadd (gp);
  return gp;
}

/* A dead G from @pp's free list, the global one, or NULL. */
static G *
gfget (P *pp)
{
  G *gp;

  if (pp != NULL && pp->gfree == NULL && atomic_load_explicit (&gfree_global, memory_order_relaxed) != NULL)
    {
      /* Refill half the local cache in one lock acquisition. */
      weft_lock (&gfree_lock);
      while (pp->gfree_n < GFREE_LOCAL_MAX / 2 && gfree_global != NULL)
        {
          gp = gfree_global;
          gfree_global = gp->schedlink;
          gfree_global_n--;
          gp->schedlink = pp->gfree;
          pp->gfree = gp;
          pp->gfree_n++;
        }
      weft_unlock (&gfree_lock);
    }
  if (pp == NULL)
    {
      weft_lock (&gfree_lock);
      gp = gfree_global;
      if (gp != NULL)
        {
          gfree_global = gp->schedlink;
          gfree_global_n--;
        }
      weft_unlock (&gfree_lock);
      return gp;
    }
  gp = pp->gfree;
  if (gp != NULL)
    {
      pp->gfree = gp->schedlink;
      pp->gfree_n--;
    }
  return gp;
}

static void
gfput (P *pp, G *gp)
{
  gp->schedlink = pp->gfree;
  pp->gfree = gp;
  pp->gfree_n++;
  if (pp->gfree_n < GFREE_LOCAL_MAX)
    return;

  /* Move half to the global list; those stacks give their memory back. */
  weft_lock (&gfree_lock);
  while (pp->gfree_n > GFREE_LOCAL_MAX / 2)
    {
      G *g = pp->gfree;
      pp->gfree = g->schedlink;
      pp->gfree_n--;
      if (gfree_global_n >= GFREE_GLOBAL_KEEP)
        weft_stack_release_memory (g->stack);
      g->schedlink = gfree_global;
      gfree_global = g;
      gfree_global_n++;
    }
  weft_unlock (&gfree_lock);
}

/* ------------------------------------------------------------------ sudogs */

Sudog *
weft_acquire_sudog (void)
{
  M     *mp = weft_getm ();
  P     *pp = mp != NULL ? mp->p : NULL;
  Sudog *s;

  if (pp != NULL && pp->sudog_cache != NULL)
    {
      s = pp->sudog_cache;
      pp->sudog_cache = s->next;
      pp->sudog_n--;
    }
  else
    {
      s = malloc (sizeof *s);
      if (s == NULL)
        weft_throw ("runtime: out of memory allocating a sudog");
    }
  memset (s, 0, sizeof *s);
  return s;
}

void
weft_release_sudog (Sudog *s)
{
  M *mp = weft_getm ();
  P *pp = mp != NULL ? mp->p : NULL;

  if (pp == NULL || pp->sudog_n >= SUDOG_CACHE_MAX)
    {
      free (s);
      return;
    }
  s->next = pp->sudog_cache;
  pp->sudog_cache = s;
  pp->sudog_n++;
}

/* ------------------------------------------------------------------ run queues */

static inline bool
runqempty (P *pp)
{
  /* Go's runqempty: read head, tail, runnext, then tail again so that a
   * goroutine moving from runnext to the ring is not missed. */
  for (;;)
    {
      uint32_t head = atomic_load (&pp->runqhead);
      uint32_t tail = atomic_load (&pp->runqtail);
      G       *next = atomic_load (&pp->runnext);
      if (tail == atomic_load (&pp->runqtail))
        return head == tail && next == NULL;
    }
}

/* sched.lock held. */
static void
globrunqput (G *gp)
{
  gp->schedlink = NULL;
  if (weft_sched.runq_tail != NULL)
    weft_sched.runq_tail->schedlink = gp;
  else
    weft_sched.runq_head = gp;
  weft_sched.runq_tail = gp;
  weft_sched.runq_size++;
}

/* sched.lock held. @head..@tail linked by schedlink. */
static void
globrunqputbatch (G *head, G *tail, int32_t n)
{
  tail->schedlink = NULL;
  if (weft_sched.runq_tail != NULL)
    weft_sched.runq_tail->schedlink = head;
  else
    weft_sched.runq_head = head;
  weft_sched.runq_tail = tail;
  weft_sched.runq_size += n;
}

static bool
runqputslow (P *pp, G *gp, uint32_t head, uint32_t tail)
{
  G       *batch[WEFT_RUNQ_SIZE / 2 + 1];
  uint32_t n = (tail - head) / 2;

  if (n != WEFT_RUNQ_SIZE / 2)
    weft_throw ("runqputslow: queue is not full");
  for (uint32_t i = 0; i < n; i++)
    batch[i] = atomic_load_explicit (&pp->runq[(head + i) % WEFT_RUNQ_SIZE], memory_order_relaxed);
  if (!atomic_compare_exchange_strong_explicit (&pp->runqhead, &head, head + n, memory_order_release, memory_order_relaxed))
    return false;
  batch[n] = gp;
  for (uint32_t i = 0; i < n; i++)
    batch[i]->schedlink = batch[i + 1];

  weft_lock (&weft_sched.lock);
  globrunqputbatch (batch[0], batch[n], (int32_t) n + 1);
  weft_unlock (&weft_sched.lock);
  return true;
}

/* Puts gp on pp's local queue (pp must be owned by the caller); with
 * @next, in the runnext slot, kicking its old occupant to the queue. */
static void
runqput (P *pp, G *gp, bool next)
{
  if (next)
    {
      G *old = atomic_exchange (&pp->runnext, gp);
      if (old == NULL)
        return;
      gp = old;
    }
  for (;;)
    {
      uint32_t head = atomic_load_explicit (&pp->runqhead, memory_order_acquire);
      uint32_t tail = atomic_load_explicit (&pp->runqtail, memory_order_relaxed);
      if (tail - head < WEFT_RUNQ_SIZE)
        {
          atomic_store_explicit (&pp->runq[tail % WEFT_RUNQ_SIZE], gp, memory_order_relaxed);
          atomic_store_explicit (&pp->runqtail, tail + 1, memory_order_release);
          return;
        }
      if (runqputslow (pp, gp, head, tail))
        return;
    }
}

static G *
runqget (P *pp)
{
  G *next = atomic_load (&pp->runnext);
  if (next != NULL && atomic_compare_exchange_strong (&pp->runnext, &next, NULL))
    return next;

  for (;;)
    {
      uint32_t head = atomic_load_explicit (&pp->runqhead, memory_order_acquire);
      uint32_t tail = atomic_load_explicit (&pp->runqtail, memory_order_relaxed);
      if (tail == head)
        return NULL;
      G *gp = atomic_load_explicit (&pp->runq[head % WEFT_RUNQ_SIZE], memory_order_relaxed);
      if (atomic_compare_exchange_weak_explicit (&pp->runqhead, &head, head + 1, memory_order_release, memory_order_relaxed))
        return gp;
    }
}

/* Grabs half of p2's queue into @batch (a ring indexed from @batch_head).
 * Returns how many. */
static uint32_t
runqgrab (P *p2, _Atomic (G *) *batch, uint32_t batch_head, bool steal_runnext)
{
  for (;;)
    {
      uint32_t head = atomic_load_explicit (&p2->runqhead, memory_order_acquire);
      uint32_t tail = atomic_load_explicit (&p2->runqtail, memory_order_acquire);
      uint32_t n = tail - head;
      n -= n / 2;
      if (n == 0)
        {
          if (steal_runnext)
            {
              G *next = atomic_load (&p2->runnext);
              if (next != NULL)
                {
                  /* The owner is probably about to run it (it was just
                   * readied by the running goroutine, which is likely to
                   * block soon): give it a moment, as Go does. */
                  if (atomic_load (&p2->status) == P_RUNNING)
                    usleep (3);
                  if (!atomic_compare_exchange_strong (&p2->runnext, &next, NULL))
                    continue;
                  atomic_store_explicit (&batch[batch_head % WEFT_RUNQ_SIZE], next, memory_order_relaxed);
                  return 1;
                }
            }
          return 0;
        }
      if (n > WEFT_RUNQ_SIZE / 2)
        continue; /* inconsistent head/tail read */
      for (uint32_t i = 0; i < n; i++)
        {
          G *g = atomic_load_explicit (&p2->runq[(head + i) % WEFT_RUNQ_SIZE], memory_order_relaxed);
          atomic_store_explicit (&batch[(batch_head + i) % WEFT_RUNQ_SIZE], g, memory_order_relaxed);
        }
      if (atomic_compare_exchange_strong_explicit (&p2->runqhead, &head, head + n, memory_order_release, memory_order_relaxed))
        return n;
    }
}

/* Steals half of p2's goroutines into pp's queue; returns one to run. */
static G *
runqsteal (P *pp, P *p2, bool steal_runnext)
{
  uint32_t tail = atomic_load_explicit (&pp->runqtail, memory_order_relaxed);
  uint32_t n = runqgrab (p2, pp->runq, tail, steal_runnext);

  if (n == 0)
    return NULL;
  n--;
  G *gp = atomic_load_explicit (&pp->runq[(tail + n) % WEFT_RUNQ_SIZE], memory_order_relaxed);
  if (n == 0)
    return gp;
  atomic_store_explicit (&pp->runqtail, tail + n, memory_order_release);
  return gp;
}

/* sched.lock held. Takes a fair share of the global queue into pp's local
 * queue and returns one goroutine. @max 0 means no limit. */
static G *
globrunqget (P *pp, int32_t max)
{
  int32_t n;

  if (weft_sched.runq_size == 0)
    return NULL;
  n = weft_sched.runq_size / weft_nprocs + 1;
  if (n > weft_sched.runq_size)
    n = weft_sched.runq_size;
  if (max > 0 && n > max)
    n = max;
  if (n > WEFT_RUNQ_SIZE / 2)
    n = WEFT_RUNQ_SIZE / 2;
  weft_sched.runq_size -= n;

  G *gp = weft_sched.runq_head;
  weft_sched.runq_head = gp->schedlink;
  n--;
  while (n-- > 0)
    {
      G *g = weft_sched.runq_head;
      weft_sched.runq_head = g->schedlink;
      runqput (pp, g, false);
    }
  if (weft_sched.runq_head == NULL)
    weft_sched.runq_tail = NULL;
  return gp;
}

/* Queues runnable @gp to run next on @pp, the caller's P; without one, on
 * the global queue. */
static void
put_next (P *pp, G *gp)
{
  if (pp != NULL)
    {
      runqput (pp, gp, true);
      return;
    }
  weft_lock (&weft_sched.lock);
  globrunqput (gp);
  weft_unlock (&weft_sched.lock);
}

/* ------------------------------------------------------------------ idle Ps and Ms (sched.lock held) */

static void
pidleput (P *pp)
{
  if (!runqempty (pp))
    weft_throw ("pidleput: P has non-empty run queue");
  atomic_store (&pp->status, P_IDLE);
  pp->m = NULL;
  pp->link = weft_sched.pidle;
  weft_sched.pidle = pp;
  atomic_fetch_add (&weft_sched.npidle, 1);
}

static P *
pidleget (void)
{
  P *pp = weft_sched.pidle;
  if (pp != NULL)
    {
      weft_sched.pidle = pp->link;
      atomic_fetch_sub (&weft_sched.npidle, 1);
    }
  return pp;
}

static void checkdead (void);

static void
mput (M *mp)
{
  mp->schedlink = weft_sched.midle;
  weft_sched.midle = mp;
  weft_sched.nmidle++;
  checkdead ();
}

static M *
mget (void)
{
  M *mp = weft_sched.midle;
  if (mp != NULL)
    {
      weft_sched.midle = mp->schedlink;
      weft_sched.nmidle--;
    }
  return mp;
}

/* ------------------------------------------------------------------ P ownership */

static void
acquirep (M *mp, P *pp)
{
  if (mp->p != NULL || pp->m != NULL)
    weft_throw ("acquirep: M %d already has P or P %d is owned", mp->id, pp->id);
  mp->p = pp;
  pp->m = mp;
  atomic_store (&pp->status, P_RUNNING);
  weft_trace_proc_start (pp, mp);
}

static P *
releasep (M *mp)
{
  P *pp = mp->p;
  if (pp == NULL || pp->m != mp)
    weft_throw ("releasep: M %d does not own its P", mp->id);
  weft_trace_proc_stop (pp, mp);
  mp->p = NULL;
  pp->m = NULL;
  return pp;
}

/* ------------------------------------------------------------------ Ms */

static void *mstart (void *arg);

static void
newm (P *pp, bool spinning)
{
  M             *mp = calloc (1, sizeof *mp);
  G             *g0 = calloc (1, sizeof *g0);
  pthread_attr_t attr;
  pthread_t      thread;
  sigset_t       all, old;
  int            err;

  if (mp == NULL || g0 == NULL)
    weft_throw ("runtime: out of memory creating a thread");
  mp->id = atomic_fetch_add (&mnext, 1);
  mp->g0 = g0;
  mp->nextp = pp;
  mp->spinning = spinning;
  mp->rand = (uint64_t) nanotime () ^ ((uint64_t) mp->id << 32) ^ (uintptr_t) mp;
  atomic_store (&g0->status, G_RUNNING);

  weft_lock (&weft_sched.lock);
  weft_sched.mcount++;
  weft_unlock (&weft_sched.lock);

  /* New threads start with every signal blocked; mstart unblocks the ones
   * the runtime handles, so no signal lands before the thread is ready. */
  sigfillset (&all);
  pthread_sigmask (SIG_SETMASK, &all, &old);
  pthread_attr_init (&attr);
  pthread_attr_setstacksize (&attr, 8 * 1024 * 1024);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  err = pthread_create (&thread, &attr, mstart, mp);
  pthread_attr_destroy (&attr);
  pthread_sigmask (SIG_SETMASK, &old, NULL);
  if (err != 0)
    weft_throw ("runtime: failed to create new OS thread: %s", strerror (err));
}

static void *
mstart (void *arg)
{
  M             *mp = arg;
  pthread_attr_t attr;
  void          *addr;
  size_t         size;
  sigset_t       none;

  tls_m = mp;
  mp->tid = (pid_t) syscall (SYS_gettid);
#ifdef WEFT_TSAN
  mp->g0->tsan_fiber = __tsan_get_current_fiber ();
#endif
  if (pthread_getattr_np (pthread_self (), &attr) == 0)
    {
      pthread_attr_getstack (&attr, &addr, &size);
      mp->g0->stack_lo = (uintptr_t) addr;
      mp->g0->stack_hi = (uintptr_t) addr + size;
      pthread_attr_destroy (&attr);
    }
  weft_signals_init_thread (mp);
  sigemptyset (&none);
  pthread_sigmask (SIG_SETMASK, &none, NULL);

  weft_trace_thread_start (mp);
  if (mp->nextp != NULL)
    {
      P *pp = mp->nextp;
      mp->nextp = NULL;
      acquirep (mp, pp);
    }
  schedule_loop (mp);
}

/* Parks the current M until startm() hands it a P. */
static void
stopm (M *mp)
{
  if (mp->p != NULL)
    weft_throw ("stopm: M holds a P");
  if (mp->spinning)
    weft_throw ("stopm: M is spinning");

  weft_lock (&weft_sched.lock);
  mput (mp);
  weft_unlock (&weft_sched.lock);

  weft_trace_thread_park (mp);
  weft_note_sleep (&mp->park);
  weft_note_clear (&mp->park);
  weft_trace_thread_unpark (mp);

  P *pp = mp->nextp;
  mp->nextp = NULL;
  acquirep (mp, pp);
}

/* Schedules some M to run @pp (or an idle P if NULL). With @spinning, the
 * caller has already counted the M in nmspinning. */
static void
startm (P *pp, bool spinning)
{
  M *nmp;

  weft_lock (&weft_sched.lock);
  if (pp == NULL)
    {
      pp = pidleget ();
      if (pp == NULL)
        {
          weft_unlock (&weft_sched.lock);
          if (spinning && atomic_fetch_sub (&weft_sched.nmspinning, 1) - 1 < 0)
            weft_throw ("startm: negative nmspinning");
          return;
        }
    }
  nmp = mget ();
  weft_unlock (&weft_sched.lock);

  if (nmp == NULL)
    {
      newm (pp, spinning);
      return;
    }
  nmp->spinning = spinning;
  nmp->nextp = pp;
  weft_note_wakeup (&nmp->park);
}

/* Hands off @pp from an M that stops running goroutines (syscall, exit
 * of a locked M): starts an M for it if there is work, else idles it. */
static void
handoffp (P *pp)
{
  int64_t when;

  if (!runqempty (pp) || weft_sched.runq_size != 0)
    {
      startm (pp, false);
      return;
    }
  if (atomic_load (&weft_sched.nmspinning) + atomic_load (&weft_sched.npidle) == 0)
    {
      int32_t zero = 0;
      if (atomic_compare_exchange_strong (&weft_sched.nmspinning, &zero, 1))
        {
          startm (pp, true);
          return;
        }
    }
  weft_lock (&weft_sched.lock);
  if (weft_sched.runq_size != 0)
    {
      weft_unlock (&weft_sched.lock);
      startm (pp, false);
      return;
    }
  /* The last running P must not go idle while nobody polls the network. */
  if (atomic_load (&weft_sched.npidle) == weft_nprocs - 1 && atomic_load (&weft_sched.lastpoll) != 0)
    {
      weft_unlock (&weft_sched.lock);
      startm (pp, false);
      return;
    }
  when = atomic_load (&pp->timer0_when);
  pidleput (pp);
  weft_unlock (&weft_sched.lock);
  if (when != 0)
    weft_wake_netpoller (when);
}

/* Tries to get one more P running goroutines: called when work appears. */
static void
wakep (void)
{
  int32_t zero = 0;

  if (atomic_load (&weft_sched.npidle) == 0)
    return;
  /* Only one spinning M at a time is woken: it wakes the next if it finds
   * work (resetspinning), so Ms ramp up with the work, not all at once. */
  if (atomic_load (&weft_sched.nmspinning) != 0
      || !atomic_compare_exchange_strong (&weft_sched.nmspinning, &zero, 1))
    return;
  startm (NULL, true);
}

static void
resetspinning (M *mp)
{
  mp->spinning = false;
  if (atomic_fetch_sub (&weft_sched.nmspinning, 1) - 1 < 0)
    weft_throw ("resetspinning: negative nmspinning");
  wakep ();
}

void
weft_wake_netpoller (int64_t when)
{
  if (atomic_load (&weft_sched.lastpoll) == 0)
    {
      /* An M is blocked in netpoll: wake it if it would sleep past @when. */
      int64_t until = atomic_load (&weft_sched.poll_until);
      if (until == 0 || until > when)
        weft_netpoll_break ();
    }
  else
    wakep ();
}

/* ------------------------------------------------------------------ ready / inject */

void
weft_goready (G *gp)
{
  M *mp = weft_getm ();
  P *pp = mp != NULL ? mp->p : NULL;

  weft_trace_go_unblock (gp);
  casgstatus (gp, G_WAITING, G_RUNNABLE);
  put_next (pp, gp);
  wakep ();
}

void
weft_g_make_runnable (G *gp)
{
  weft_trace_go_unblock (gp);
  casgstatus (gp, G_WAITING, G_RUNNABLE);
}

void
weft_injectglist (G *list)
{
  M      *mp = weft_getm ();
  P      *pp = mp != NULL ? mp->p : NULL;
  int32_t n = 0, npidle;
  G      *tail = NULL;

  if (list == NULL)
    return;
  for (G *g = list; g != NULL; g = g->schedlink)
    {
      tail = g;
      n++;
    }

  if (pp == NULL)
    {
      weft_lock (&weft_sched.lock);
      globrunqputbatch (list, tail, n);
      weft_unlock (&weft_sched.lock);
      for (npidle = atomic_load (&weft_sched.npidle); n > 0 && npidle > 0; n--, npidle--)
        startm (NULL, false);
      return;
    }

  /* Give idle Ps a share through the global queue, keep the rest. */
  npidle = atomic_load (&weft_sched.npidle);
  if (npidle > n)
    npidle = n;
  if (npidle > 0)
    {
      G *head = list, *last = list;
      for (int32_t i = 1; i < npidle; i++)
        last = last->schedlink;
      list = last->schedlink;
      weft_lock (&weft_sched.lock);
      globrunqputbatch (head, last, npidle);
      weft_unlock (&weft_sched.lock);
      for (int32_t i = 0; i < npidle; i++)
        startm (NULL, false);
    }
  while (list != NULL)
    {
      G *g = list;
      list = g->schedlink;
      runqput (pp, g, false);
    }
}

/* ------------------------------------------------------------------ goroutine creation and exit */

static G *
newproc1 (const char *name, bool system, WeftFunc fn, void *arg, uintptr_t start_pc, uintptr_t create_pc)
{
  M *mp = weft_getm ();
  P *pp = mp != NULL ? mp->p : NULL;
  G *curg = mp != NULL ? mp->curg : NULL;
  G *newg = gfget (pp);

  if (newg == NULL)
    newg = malg ();
#ifdef WEFT_ASAN
  /* Frames still live when the previous goroutine switched away for the
   * last time left their redzones poisoned; deeper frames had returned and
   * cleaned up after themselves. */
  if (newg->ctx.sp != NULL)
    {
      uintptr_t from = (uintptr_t) newg->ctx.sp - 1024;
      from = from < newg->stack_lo ? newg->stack_lo : from;
      ASAN_UNPOISON_MEMORY_REGION ((void *) from, newg->stack_hi - from);
    }
#endif

  if (pp != NULL)
    {
      if (pp->goid_next == pp->goid_end)
        {
          pp->goid_next = atomic_fetch_add (&goid_gen, GOID_BATCH) + 1;
          pp->goid_end = pp->goid_next + GOID_BATCH;
        }
      newg->goid = pp->goid_next++;
    }
  else
    newg->goid = atomic_fetch_add (&goid_gen, 1) + 1;

  newg->fn = fn;
  newg->arg = arg;
  newg->start_pc = start_pc;
  newg->create_pc = create_pc;
  newg->parent_goid = curg != NULL ? curg->goid : 0;
  newg->task = curg != NULL ? curg->task : 0;
  newg->name = name != NULL ? strdup (name) : NULL;
  newg->wait_reason = WEFT_WAIT_NONE;
  newg->leak_reported = false;
  newg->wait_obj = NULL;
  newg->waiting = NULL;
  newg->param = NULL;
  newg->syscall_depth = 0;
  weft_ctx_init (&newg->ctx, newg->stack_lo, newg->stack_hi);
  newg->create_stack = weft_trace_stack (0);

  newg->system = system;
  newg->gc_assist_debt = 0;
  if (!system)
    atomic_fetch_add (&weft_sched.ngoroutines, 1);
  casgstatus (newg, atomic_load (&newg->status) == G_DEAD ? G_DEAD : G_IDLE, G_RUNNABLE);
  weft_trace_go_create (newg);

  put_next (pp, newg);
  if (atomic_load (&runtime_started))
    wakep ();
  return newg;
}

G *
weft_newproc (const char *name, WeftFunc fn, void *arg)
{
  return newproc1 (name, false, fn, arg, (uintptr_t) fn, (uintptr_t) __builtin_return_address (0));
}

G *
weft_newproc_system (const char *name, WeftFunc fn, void *arg)
{
  return newproc1 (name, true, fn, arg, (uintptr_t) fn, (uintptr_t) __builtin_return_address (0));
}

uint64_t
weft_go (WeftFunc fn, void *arg)
{
  return newproc1 (NULL, false, fn, arg, (uintptr_t) fn, (uintptr_t) __builtin_return_address (0))->goid;
}

uint64_t
weft_go_named (const char *name, WeftFunc fn, void *arg)
{
  return newproc1 (name, false, fn, arg, (uintptr_t) fn, (uintptr_t) __builtin_return_address (0))->goid;
}

static G *
goexit0 (G *gp)
{
  M *mp = weft_getm ();

  casgstatus (gp, G_RUNNING, G_DEAD);
  mp->curg = NULL;
  gp->m = NULL;
  mp->prev_g = gp;
  mp->prev_reason = WEFT_STOP_EXITED;
  if (!gp->system)
    atomic_fetch_sub (&weft_sched.ngoroutines, 1);
  weft_stack_check (gp);
  weft_gc_clear_dead_stack (gp);
  return NULL;
}

static void
gfree_dead (P *pp, G *gp)
{
  if (gp->name != NULL)
    {
      /* Snapshots read names under the allg lock. */
      weft_lock (&allg_lock);
      free (gp->name);
      gp->name = NULL;
      weft_unlock (&allg_lock);
    }
  gp->fn = NULL;
  gp->arg = NULL;
  gp->task = 0;
  gfput (pp, gp);
}

_Noreturn void
weft_exit (void)
{
  G *gp = weft_getg ();

  if (gp == NULL)
    weft_throw ("weft_exit called outside a goroutine");
  if (gp == main_g)
    {
      /* As Go's Goexit in main: the program continues until the other
       * goroutines end, then dies of a deadlock. */
      for (;;)
        weft_gopark (NULL, NULL, WEFT_WAIT_GOEXIT_MAIN, NULL);
    }
  mcall (goexit0);
  __builtin_unreachable ();
}

_Noreturn void
weft_goroutine_main (void)
{
  G *gp;

#ifdef WEFT_ASAN
  __sanitizer_finish_switch_fiber (NULL, NULL, NULL);
#endif
  gp = weft_getg ();
  gp->fn (gp->arg);
  mcall (goexit0);
  __builtin_unreachable ();
}

/* ------------------------------------------------------------------ park, yield, preempt */

/* The goroutine @gp stopped for @reason. Writes its switch event before
 * anything can publish it (unlockf, a run queue): once published another
 * M may ready and run it, and its stop must already be in the trace. To
 * keep that one event in the common case, the next goroutine is taken
 * from the local queue first and named in the same event. Returns it (the
 * switch is then fully written) or NULL (the P went idle in the trace;
 * schedule() finds the next one). Every 61st tick it leaves the choice to
 * schedule(), whose fairness check looks at the global queue. */
static G *
stop_and_pick_next (M *mp, G *gp, WeftStopReason reason)
{
  P *pp = mp->p;
  G *next = NULL;

  /* While the world stops, go through schedule(), which stops this P;
   * while the GC mark worker is held, through schedule() too, which
   * decides whether this P marks now. */
  if (atomic_load_explicit (&pp->schedtick, memory_order_relaxed) % 61 != 0
      && !atomic_load_explicit (&weft_sched.gcwaiting, memory_order_relaxed)
      && atomic_load_explicit (&weft_gc_worker_held, memory_order_relaxed) == NULL)
    next = runqget (pp);
  weft_trace_go_switch (pp, mp, gp, reason, next);
  mp->switch_written = next != NULL;
  return next;
}

static G *
park_m (G *gp)
{
  M *mp = weft_getm ();
  bool (*unlockf) (G *, void *) = mp->park_unlockf;
  void *arg = mp->park_arg;
  G    *next;

  casgstatus (gp, G_RUNNING, G_WAITING);
  mp->curg = NULL;
  gp->m = NULL;
  mp->park_unlockf = NULL;
  mp->park_arg = NULL;
  weft_stack_check (gp);
  next = stop_and_pick_next (mp, gp, WEFT_STOP_BLOCKED);

  if (unlockf != NULL && !unlockf (gp, arg))
    {
      /* Nothing to wait for after all: it is runnable again at once. */
      weft_trace_go_unblock (gp);
      casgstatus (gp, G_WAITING, G_RUNNABLE);
      if (next == NULL)
        return gp;
      runqput (mp->p, gp, true);
    }
  return next;
}

void
weft_gopark (bool (*unlockf) (G *gp, void *arg), void *arg, WeftWaitReason reason, const void *wait_obj)
{
  M *mp = weft_getm ();
  G *gp = mp->curg;

  if (gp == NULL)
    weft_throw ("a blocking weft call was made outside a goroutine");
  gp->wait_reason = reason;
  gp->wait_obj = wait_obj;
  gp->wait_since = coarse_nanotime ();
  gp->wait_stack = weft_trace_stack (1);
  mp->park_unlockf = unlockf;
  mp->park_arg = arg;
  mcall (park_m);
}

static bool
unlock_on_park (G *gp, void *arg)
{
  (void) gp;
  weft_unlock (arg);
  return true;
}

void
weft_goparkunlock (WeftLock *l, WeftWaitReason reason, const void *wait_obj)
{
  weft_gopark (unlock_on_park, l, reason, wait_obj);
}

/* @gp, running, leaves its M runnable; returns what the M runs next. The
 * caller puts @gp where it will be found again. */
static G *
stop_runnable (G *gp, WeftStopReason reason)
{
  M *mp = weft_getm ();

  casgstatus (gp, G_RUNNING, G_RUNNABLE);
  mp->curg = NULL;
  gp->m = NULL;
  weft_stack_check (gp);
  return stop_and_pick_next (mp, gp, reason);
}

static G *
gosched_common (G *gp, WeftStopReason reason)
{
  G *next = stop_runnable (gp, reason);

  weft_lock (&weft_sched.lock);
  globrunqput (gp);
  weft_unlock (&weft_sched.lock);
  return next;
}

static G *
gosched_m (G *gp)
{
  return gosched_common (gp, WEFT_STOP_YIELD);
}

static G *
gopreempt_m (G *gp)
{
  return gosched_common (gp, WEFT_STOP_PREEMPTED);
}

_Atomic (G *) weft_gc_worker_held;

/* Like a yield, but the worker goes to no run queue: it is published in
 * weft_gc_worker_held once its context is saved, and only
 * weft_gc_find_worker hands it to a P again. */
static G *
gc_worker_hold_m (G *gp)
{
  G *next = stop_runnable (gp, WEFT_STOP_YIELD);

  atomic_store_explicit (&weft_gc_worker_held, gp, memory_order_release);
  return next;
}

void
weft_gc_worker_hold (void)
{
  mcall (gc_worker_hold_m);
}

void
weft_yield (void)
{
  if (weft_getg () == NULL)
    weft_throw ("weft_yield called outside a goroutine");
  mcall (gosched_m);
}

void
weft_safepoint (void)
{
  M *mp = weft_getm ();
  P *pp = mp != NULL ? mp->p : NULL;

  if (pp != NULL && mp->curg != NULL
      && unlikely (atomic_load_explicit (&pp->preempt, memory_order_relaxed)
                   || atomic_load_explicit (&weft_sched.gcwaiting, memory_order_relaxed)))
    mcall (gopreempt_m);
}

/* ------------------------------------------------------------------ syscalls */

/* weft_syscall_enter is in asm_*.S: it pushes the caller's callee-saved
 * registers and calls this with @sp pointing at them, so that the
 * collector can scan the goroutine while it runs without a P. */
WEFT_HIDDEN void weft_syscall_enter_spilled (void *arg, void *sp);

void
weft_syscall_enter_spilled (void *arg, void *sp)
{
  M *mp = weft_getm ();
  G *gp = mp != NULL ? mp->curg : NULL;
  P *pp;

  (void) arg;
  if (gp == NULL || gp->syscall_depth++ > 0)
    return;
  memcpy (gp->syscall_regs, sp, sizeof gp->syscall_regs);
  gp->syscall_sp = (uintptr_t) sp + sizeof gp->syscall_regs;
  pp = mp->p;
  casgstatus (gp, G_RUNNING, G_SYSCALL);
  atomic_fetch_add (&weft_sched.ngsys, 1);
  weft_trace_syscall_enter (gp, pp);
  atomic_fetch_add (&pp->syscalltick, 1);
  pp->syscall_m = mp;
  mp->oldp = pp;
  mp->p = NULL;
  pp->m = NULL;
  atomic_store (&pp->status, P_SYSCALL);
}

static G *
exitsyscall0 (G *gp)
{
  M *mp = weft_getm ();
  P *pp;

  casgstatus (gp, G_SYSCALL, G_RUNNABLE);
  atomic_fetch_sub (&weft_sched.ngsys, 1);
  mp->curg = NULL;
  gp->m = NULL;
  weft_trace_syscall_exit (gp, NULL);

  weft_lock (&weft_sched.lock);
  pp = pidleget ();
  if (pp == NULL)
    globrunqput (gp);
  weft_unlock (&weft_sched.lock);
  if (pp != NULL)
    {
      acquirep (mp, pp);
      return gp;
    }
  stopm (mp);
  return NULL;
}

void
weft_syscall_exit (void)
{
  M       *mp = weft_getm ();
  G       *gp = mp != NULL ? mp->curg : NULL;
  P       *oldp;
  uint32_t status = P_SYSCALL;

  if (gp == NULL || --gp->syscall_depth > 0)
    return;

  /* Fast path: the P is still ours (sysmon did not take it). */
  oldp = mp->oldp;
  mp->oldp = NULL;
  if (oldp != NULL && atomic_compare_exchange_strong (&oldp->status, &status, P_RUNNING))
    {
      mp->p = oldp;
      oldp->m = mp;
      casgstatus (gp, G_SYSCALL, G_RUNNING);
      atomic_fetch_sub (&weft_sched.ngsys, 1);
      weft_trace_syscall_exit (gp, oldp);
      return;
    }

  /* Try an idle P. */
  if (atomic_load (&weft_sched.npidle) > 0)
    {
      P *pp;
      weft_lock (&weft_sched.lock);
      pp = pidleget ();
      weft_unlock (&weft_sched.lock);
      if (pp != NULL)
        {
          acquirep (mp, pp);
          casgstatus (gp, G_SYSCALL, G_RUNNING);
          atomic_fetch_sub (&weft_sched.ngsys, 1);
          weft_trace_syscall_exit (gp, pp);
          return;
        }
    }

  /* No P: queue the goroutine and park this M. */
  mcall (exitsyscall0);
}

/* ------------------------------------------------------------------ the scheduler */

/* Forgets the previous goroutine once its switch event is written; a dead
 * one may only be reused from then on, so that its id in the event is
 * still its own. */
static void
finish_prev (M *mp)
{
  if (mp->prev_reason == WEFT_STOP_EXITED)
    gfree_dead (mp->p, mp->prev_g);
  mp->prev_g = NULL;
  mp->prev_reason = WEFT_STOP_NONE;
}

static void
execute (M *mp, G *gp)
{
  P *pp = mp->p;

  casgstatus (gp, G_RUNNABLE, G_RUNNING);
  gp->m = mp;
  mp->curg = gp;
  atomic_store_explicit (&pp->schedtick, atomic_load_explicit (&pp->schedtick, memory_order_relaxed) + 1,
                         memory_order_relaxed);
  atomic_store_explicit (&pp->preempt, false, memory_order_relaxed);
  if (mp->switch_written)
    mp->switch_written = false;
  else
    {
      weft_trace_go_switch (pp, mp, mp->prev_g, mp->prev_reason, gp);
      finish_prev (mp);
    }
  switch_to (mp->g0, gp, false);
}

/* Writes the stop half of a switch now, before looking for work elsewhere
 * takes time, so the previous goroutine's end is stamped when it ended. */
static void
flush_prev (M *mp)
{
  if (mp->prev_g != NULL)
    {
      weft_trace_go_switch (mp->p, mp, mp->prev_g, mp->prev_reason, NULL);
      finish_prev (mp);
    }
}

static void gcstopm (M *mp);

static G *
steal_work (M *mp, int64_t now)
{
  P *pp = mp->p;

  for (int i = 0; i < 4; i++)
    {
      bool     last = i == 3;
      uint32_t start = weft_randn ((uint32_t) weft_nprocs);

      for (int32_t k = 0; k < weft_nprocs; k++)
        {
          P *p2 = weft_allp[(start + (uint32_t) k) % (uint32_t) weft_nprocs];
          G *gp;

          if (p2 == pp)
            continue;
          /* On the last pass, run p2's expired timers too: they may ready
           * goroutines (onto our P) that p2's busy M would leave waiting. */
          if (last)
            {
              int64_t when = atomic_load (&p2->timer0_when);
              if (when != 0 && when <= now)
                {
                  weft_timers_check (p2, now);
                  if ((gp = runqget (pp)) != NULL)
                    return gp;
                }
            }
          if (atomic_load (&p2->status) != P_IDLE && (gp = runqsteal (pp, p2, last)) != NULL)
            return gp;
        }
    }
  return NULL;
}

bool
weft_p_has_work (P *pp)
{
  int64_t when = atomic_load_explicit (&pp->timer0_when, memory_order_relaxed);

  return !runqempty (pp) || weft_sched.runq_size != 0 || (when != 0 && when <= nanotime ());
}

/* Finds a runnable goroutine, blocking the M (and releasing its P) until
 * there is one. On return mp holds a P. */
static G *
findrunnable (M *mp)
{
  G      *gp;
  int64_t now, poll_until;
  bool    was_spinning;

top:
  if (unlikely (atomic_load_explicit (&weft_sched.gcwaiting, memory_order_relaxed)))
    gcstopm (mp);
  P *pp = mp->p;
  now = nanotime ();
  if (atomic_load (&pp->timer0_when) != 0)
    weft_timers_check (pp, now);

  if ((gp = runqget (pp)) != NULL)
    return gp;

  if (weft_sched.runq_size != 0)
    {
      weft_lock (&weft_sched.lock);
      gp = globrunqget (pp, 0);
      weft_unlock (&weft_sched.lock);
      if (gp != NULL)
        return gp;
    }

  /* Non-blocking network poll, if someone waits for I/O. */
  if (weft_netpoll_waiters () > 0 && atomic_load (&weft_sched.lastpoll) != 0)
    {
      G *list = weft_netpoll (0);
      if (list != NULL)
        {
          gp = list;
          weft_injectglist (gp->schedlink);
          gp->schedlink = NULL;
          return gp;
        }
    }

  /* Steal, unless too many Ms already spin for too little work. */
  if (mp->spinning
      || 2 * atomic_load (&weft_sched.nmspinning) < weft_nprocs - atomic_load (&weft_sched.npidle))
    {
      if (!mp->spinning)
        {
          mp->spinning = true;
          atomic_fetch_add (&weft_sched.nmspinning, 1);
        }
      if ((gp = steal_work (mp, now)) != NULL)
        return gp;
    }

  /* Nothing to run while the collector marks: mark (Go's idle worker).
   * The held mark worker first: it is what moves the mark on; a P that
   * holds no worker helps drain the grey objects. The held worker is
   * checked whatever the mark's phase: it must not be stranded. */
  if (unlikely (atomic_load_explicit (&weft_gc_worker_held, memory_order_relaxed) != NULL
                || __atomic_load_n (&weft_gc_assisting, __ATOMIC_RELAXED)))
    {
      if (mp->spinning)
        {
          mp->spinning = false;
          if (atomic_fetch_sub (&weft_sched.nmspinning, 1) - 1 < 0)
            weft_throw ("findrunnable: negative nmspinning");
        }
      if ((gp = weft_gc_find_worker (pp, true)) != NULL)
        return gp;
      if (weft_gc_idle_mark (pp))
        goto top;
    }

  /* Nothing: give up the P. */
  weft_lock (&weft_sched.lock);
  if (weft_sched.runq_size != 0)
    {
      gp = globrunqget (pp, 0);
      weft_unlock (&weft_sched.lock);
      return gp;
    }
  releasep (mp);
  pidleput (pp);
  weft_unlock (&weft_sched.lock);

  /* Go's "delicate dance": a goroutine readied after we checked but before
   * we went idle may have seen us spinning and not woken anyone. Now that
   * we are no longer spinning, look again. */
  was_spinning = mp->spinning;
  if (mp->spinning)
    {
      mp->spinning = false;
      if (atomic_fetch_sub (&weft_sched.nmspinning, 1) - 1 < 0)
        weft_throw ("findrunnable: negative nmspinning");
      for (int32_t i = 0; i < weft_nprocs; i++)
        {
          if (!runqempty (weft_allp[i]))
            {
              weft_lock (&weft_sched.lock);
              P *p2 = pidleget ();
              weft_unlock (&weft_sched.lock);
              if (p2 != NULL)
                {
                  acquirep (mp, p2);
                  mp->spinning = true;
                  atomic_fetch_add (&weft_sched.nmspinning, 1);
                  goto top;
                }
              break;
            }
        }
    }

  /* Block in the netpoller until I/O or the next timer, if anyone waits
   * for either and no other M already does. */
  poll_until = weft_timers_earliest ();
  if (weft_netpoll_waiters () > 0 || poll_until != 0)
    {
      int64_t last = atomic_load (&weft_sched.lastpoll);
      if (last != 0 && atomic_compare_exchange_strong (&weft_sched.lastpoll, &last, 0))
        {
          int64_t delay = -1;
          G      *list;
          P      *p2;

          if (poll_until != 0)
            {
              now = nanotime ();
              delay = poll_until > now ? poll_until - now : 0;
            }
          atomic_store (&weft_sched.poll_until, poll_until);
          list = weft_netpoll (delay);
          atomic_store (&weft_sched.poll_until, 0);
          atomic_store (&weft_sched.lastpoll, nanotime ());

          weft_lock (&weft_sched.lock);
          p2 = pidleget ();
          weft_unlock (&weft_sched.lock);
          if (p2 == NULL)
            weft_injectglist (list);
          else
            {
              acquirep (mp, p2);
              if (list != NULL)
                {
                  gp = list;
                  weft_injectglist (gp->schedlink);
                  gp->schedlink = NULL;
                  if (was_spinning)
                    {
                      mp->spinning = true;
                      atomic_fetch_add (&weft_sched.nmspinning, 1);
                    }
                  return gp;
                }
              if (was_spinning)
                {
                  mp->spinning = true;
                  atomic_fetch_add (&weft_sched.nmspinning, 1);
                }
              goto top;
            }
        }
      else if (poll_until != 0)
        {
          int64_t until = atomic_load (&weft_sched.poll_until);
          if (until == 0 || until > poll_until)
            weft_netpoll_break ();
        }
    }

  stopm (mp);
  goto top;
}

/* ------------------------------------------------------------------ stopping the world
 *
 * The stopper (a goroutine, holding its P) sets gcwaiting and counts the
 * other Ps in stopwait. Idle Ps and Ps whose M is in a syscall are taken
 * at once (P_GCSTOP); a running P stops at its goroutine's next safepoint:
 * the goroutine is preempted, schedule() sees gcwaiting, and gcstopm
 * parks the M, the last one waking the stopper. Ps that go idle or into a
 * syscall meanwhile are taken by the stopper's polling loop. Nothing
 * hands a P out while gcwaiting is set: the idle list is empty, and an M
 * that gets a P back from a syscall stops at its next scheduling point. */

static void
gcstopm (M *mp)
{
  P *pp;

  flush_prev (mp);
  if (mp->spinning)
    {
      mp->spinning = false;
      if (atomic_fetch_sub (&weft_sched.nmspinning, 1) - 1 < 0)
        weft_throw ("gcstopm: negative nmspinning");
    }
  pp = releasep (mp);
  weft_lock (&weft_sched.lock);
  atomic_store (&pp->status, P_GCSTOP);
  if (--weft_sched.stopwait == 0)
    weft_note_wakeup (&weft_sched.stopnote);
  weft_unlock (&weft_sched.lock);
  stopm (mp);
}

/* sched.lock held: takes the Ps that need no cooperation. */
static void
stop_idle_and_syscall_ps (P *self)
{
  P *pp;

  while ((pp = pidleget ()) != NULL)
    {
      atomic_store (&pp->status, P_GCSTOP);
      weft_sched.stopwait--;
    }
  for (int32_t i = 0; i < weft_nprocs; i++)
    {
      uint32_t status = P_SYSCALL;
      pp = weft_allp[i];
      if (pp == self)
        continue;
      if (atomic_compare_exchange_strong (&pp->status, &status, P_GCSTOP))
        {
          weft_trace_proc_steal (pp, pp->syscall_m);
          weft_sched.stopwait--;
        }
      else if (status == P_RUNNING)
        atomic_store_explicit (&pp->preempt, true, memory_order_relaxed);
    }
}

void
weft_stop_the_world (void)
{
  P *self = weft_getm ()->p;

  weft_lock (&weft_sched.lock);
  weft_note_clear (&weft_sched.stopnote);
  weft_sched.stopwait = weft_nprocs - 1;
  atomic_store (&weft_sched.gcwaiting, true);
  stop_idle_and_syscall_ps (self);
  while (weft_sched.stopwait > 0)
    {
      weft_unlock (&weft_sched.lock);
      weft_note_tsleep (&weft_sched.stopnote, 100 * 1000);
      weft_note_clear (&weft_sched.stopnote);
      weft_lock (&weft_sched.lock);
      stop_idle_and_syscall_ps (self);
    }
  if (weft_sched.stopwait < 0)
    weft_throw ("stopTheWorld: stopwait %d", weft_sched.stopwait);
  weft_unlock (&weft_sched.lock);
}

void
weft_start_the_world (void)
{
  P *self = weft_getm ()->p;
  P *busy = NULL;

  weft_lock (&weft_sched.lock);
  atomic_store (&weft_sched.gcwaiting, false);
  for (int32_t i = 0; i < weft_nprocs; i++)
    {
      P *pp = weft_allp[i];
      if (pp == self || atomic_load (&pp->status) != P_GCSTOP)
        continue;
      if (runqempty (pp))
        pidleput (pp);
      else
        {
          atomic_store (&pp->status, P_IDLE);
          pp->link = busy;
          busy = pp;
        }
    }
  weft_unlock (&weft_sched.lock);
  while (busy != NULL)
    {
      P *pp = busy;
      busy = pp->link;
      pp->link = NULL;
      startm (pp, false);
    }
  /* The goroutines preempted for the stop are in the global queue. */
  wakep ();
}

static G *
schedule (M *mp)
{
  P *pp;
  G *gp = NULL;

  if (unlikely (atomic_load_explicit (&weft_sched.gcwaiting, memory_order_relaxed)))
    gcstopm (mp);
  pp = mp->p;

  /* The GC mark worker first, if this P is behind its share of the mark
   * (Go's findRunnableGCWorker comes before the run queues too). */
  if (unlikely (atomic_load_explicit (&weft_gc_worker_held, memory_order_relaxed) != NULL))
    gp = weft_gc_find_worker (pp, false);

  /* Every 61st tick, the global queue first, so it cannot starve behind
   * two goroutines readying each other. */
  if (gp == NULL && atomic_load_explicit (&pp->schedtick, memory_order_relaxed) % 61 == 0
      && weft_sched.runq_size > 0)
    {
      weft_lock (&weft_sched.lock);
      gp = globrunqget (pp, 1);
      weft_unlock (&weft_sched.lock);
    }
  if (gp == NULL)
    {
      int64_t when = atomic_load_explicit (&pp->timer0_when, memory_order_relaxed);
      if (when != 0 && when <= nanotime ())
        weft_timers_check (pp, nanotime ());
      gp = runqget (pp);
    }
  if (gp == NULL)
    {
      flush_prev (mp);
      gp = findrunnable (mp);
    }
  /* A spinning M that found work wakes another to keep looking. */
  if (mp->spinning)
    resetspinning (mp);
  return gp;
}

/* main has returned and exit() is tearing the process down (its
 * destructors unload LTTng's libraries): like Go, where exit ends every
 * goroutine at once, no goroutine is started any more. @next is dropped. */
static _Atomic int32_t exit_parked; /* Ms parked by park_for_exit */

static void __attribute__ ((noreturn))
park_for_exit (M *mp, G *next)
{
  WeftNote never = { 0 };

  (void) next;
  /* The last goroutine's stop (often its exit) is still to be written. */
  flush_prev (mp);
  atomic_fetch_add (&exit_parked, 1);
  for (;;)
    weft_note_sleep (&never);
}

/* Gives Ms running goroutines up to 50 ms to reach a scheduling point, so
 * that the trace records where every goroutine stood when main returned.
 * A goroutine that never yields does not hold the exit up longer. */
static void
wait_for_ms_to_park (void)
{
  for (int i = 0; i < 500; i++)
    {
      int32_t idle, total;

      weft_lock (&weft_sched.lock);
      idle = weft_sched.nmidle;
      total = weft_sched.mcount;
      weft_unlock (&weft_sched.lock);
      /* An M blocked in the netpoller runs nothing either. */
      if (atomic_load (&weft_sched.lastpoll) == 0)
        idle++;
      if (idle + atomic_load (&exit_parked) >= total)
        return;
      usleep (100);
    }
}

static void
schedule_loop (M *mp)
{
  for (;;)
    {
      G *next = NULL;

      if (mp->mcall_fn != NULL)
        {
          G *(*fn) (G *) = mp->mcall_fn;
          G *gp = mp->mcall_g;
          mp->mcall_fn = NULL;
          mp->mcall_g = NULL;
          next = fn (gp);
        }
      if (next == NULL)
        next = schedule (mp);
      if (unlikely (atomic_load_explicit (&weft_sched.exiting, memory_order_relaxed)))
        park_for_exit (mp, next);
      execute (mp, next);
    }
}

/* ------------------------------------------------------------------ deadlock detection */

/* sched.lock held; called when an M goes idle. */
static void
checkdead (void)
{
  int32_t run = weft_sched.mcount - weft_sched.nmidle;

  if (run > 0 || atomic_load (&weft_sched.exiting))
    return;
  if (run < 0)
    weft_throw ("checkdead: inconsistent M counts: mcount=%d nmidle=%d", weft_sched.mcount, weft_sched.nmidle);
  if (atomic_load (&weft_sched.ngsys) > 0 || weft_netpoll_waiters () > 0)
    return;
  /* Timers will ready something; an M must be waiting for them. */
  if (weft_timers_earliest () != 0)
    return;
  if (weft_sched.runq_size > 0)
    return;
  for (int32_t i = 0; i < weft_nprocs; i++)
    if (!runqempty (weft_allp[i]))
      return;

  weft_unlock (&weft_sched.lock);
  if (main_g != NULL && atomic_load (&main_g->status) == G_WAITING && main_g->wait_reason == WEFT_WAIT_GOEXIT_MAIN
      && atomic_load (&weft_sched.ngoroutines) == 1)
    weft_throw ("no goroutines (main called weft_exit) - deadlock!");
  weft_throw ("all goroutines are asleep - deadlock!");
}

/* ------------------------------------------------------------------ sysmon */

static void
retake (int64_t now)
{
  for (int32_t i = 0; i < weft_nprocs; i++)
    {
      P       *pp = weft_allp[i];
      uint32_t status = atomic_load (&pp->status);

      if (status == P_SYSCALL)
        {
          uint32_t t = atomic_load (&pp->syscalltick);
          if (pp->sysmon_syscalltick != t || pp->syscall_when == 0)
            {
              pp->sysmon_syscalltick = t;
              pp->syscall_when = now;
              continue;
            }
          /* Leave it alone if there is nothing else to run and it has not
           * been long: retaking costs a thread wakeup. */
          if (runqempty (pp) && atomic_load (&weft_sched.nmspinning) + atomic_load (&weft_sched.npidle) > 0
              && pp->syscall_when + FORCE_PREEMPT_NS > now)
            continue;
          if (atomic_compare_exchange_strong (&pp->status, &status, P_IDLE))
            {
              weft_trace_proc_steal (pp, pp->syscall_m);
              handoffp (pp);
            }
        }
      else if (status == P_RUNNING)
        {
          uint32_t t = atomic_load_explicit (&pp->schedtick, memory_order_relaxed);
          if (pp->sysmon_schedtick != t)
            {
              pp->sysmon_schedtick = t;
              pp->sysmon_schedwhen = now;
            }
          else if (pp->sysmon_schedwhen + FORCE_PREEMPT_NS <= now)
            atomic_store_explicit (&pp->preempt, true, memory_order_relaxed);
        }
    }
}

static void *
sysmon (void *arg)
{
  int64_t delay = 20;
  int     idle = 0;
  (void) arg;

  for (;;)
    {
      int64_t now;

      usleep ((useconds_t) delay);
      /* The process is going away under exit(): touch nothing. */
      if (atomic_load (&weft_sched.exiting))
        continue;
      if (idle > 50)
        delay = delay * 2 > 10000 ? 10000 : delay * 2;
      else
        delay = 20;

      now = nanotime ();
      weft_trace_poll ();

      int64_t last = atomic_load (&weft_sched.lastpoll);
      if (weft_netpoll_waiters () > 0 && last != 0 && last + FORCE_POLL_NS < now
          && atomic_compare_exchange_strong (&weft_sched.lastpoll, &last, now))
        {
          G *list = weft_netpoll (0);
          if (list != NULL)
            weft_injectglist (list);
        }

      /* A timer is overdue and every P is idle: nobody is waiting for it
       * (should not happen, but a missed timer would hang the program). */
      int64_t when = weft_timers_earliest ();
      if (when != 0 && when + FORCE_POLL_NS < now && atomic_load (&weft_sched.npidle) == weft_nprocs)
        startm (NULL, false);

      retake (now);
      weft_gc_sysmon (now);
      idle = atomic_load (&weft_sched.npidle) == weft_nprocs ? idle + 1 : 0;
    }
  return NULL;
}

/* ------------------------------------------------------------------ start-up */

static int32_t
default_procs (void)
{
  const char *env = getenv ("WEFT_MAXPROCS");
  cpu_set_t   set;

  if (env != NULL && *env != '\0')
    {
      long n = strtol (env, NULL, 10);
      if (n > 0 && n <= 1024)
        return (int32_t) n;
    }
  if (sched_getaffinity (0, sizeof set, &set) == 0 && CPU_COUNT (&set) > 0)
    return CPU_COUNT (&set);
  return (int32_t) sysconf (_SC_NPROCESSORS_ONLN);
}

static void
main_goroutine (void *arg)
{
  (void) arg;
  main_status = main_fn (main_argc, main_argv);
  atomic_store (&weft_sched.exiting, true);
  weft_note_wakeup (&main_done);
  /* Like Go, the program ends with main: keep this goroutine from exiting
   * (and other goroutines from seeing a deadlock) while the caller returns. */
  for (;;)
    weft_gopark (NULL, NULL, WEFT_WAIT_GOEXIT_MAIN, NULL);
}

int
weft_main (WeftMainFunc fn, int argc, char **argv)
{
  pthread_t      sysmon_thread;
  pthread_attr_t attr;
  P             *pp;

  if (atomic_exchange (&main_called, true))
    weft_throw ("weft_main called twice");

  weft_nprocs = default_procs ();
  weft_allp = calloc ((size_t) weft_nprocs, sizeof *weft_allp);
  if (weft_allp == NULL)
    weft_throw ("runtime: out of memory");
  for (int32_t i = weft_nprocs - 1; i >= 0; i--)
    {
      P *p = calloc (1, sizeof *p);
      if (p == NULL)
        weft_throw ("runtime: out of memory");
      p->id = i;
      weft_allp[i] = p;
      pidleput (p);
    }
  atomic_store (&weft_sched.lastpoll, nanotime ());

  weft_signals_init ();
  weft_netpoll_init ();
  weft_trace_init ();

  main_fn = fn;
  main_argc = argc;
  main_argv = argv;
  main_g = newproc1 (NULL, false, main_goroutine, NULL, (uintptr_t) fn, 0);

  weft_lock (&weft_sched.lock);
  pp = pidleget ();
  weft_unlock (&weft_sched.lock);
  newm (pp, false);
  atomic_store (&runtime_started, true);

  pthread_attr_init (&attr);
  pthread_attr_setdetachstate (&attr, PTHREAD_CREATE_DETACHED);
  if (pthread_create (&sysmon_thread, &attr, sysmon, NULL) != 0)
    weft_throw ("runtime: failed to create sysmon thread");
  pthread_attr_destroy (&attr);

  weft_note_sleep (&main_done);
  /* End the process here, as Go does when main returns: exit() would run
   * destructors (LTTng-UST's unload its tracepoint library) while other
   * threads still run goroutines, and did crash a traced program now and
   * then. LTTng's buffers live in its consumer daemon and survive this
   * as they survive a crash. */
  wait_for_ms_to_park ();
  weft_trace_exit ();
  fflush (NULL);
#ifdef WEFT_ASAN
  /* LeakSanitizer normally checks from atexit, which _exit skips. */
  __lsan_do_leak_check ();
#endif
  _exit (main_status);
}
