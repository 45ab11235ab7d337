/* time.c — timers, sleep and the monotonic clock (Go's time.go).
 *
 * Each P has a 4-ary min-heap of timers ordered by when, under
 * P.timers_lock; P.timer0_when publishes the earliest when (0: empty) so
 * that schedule() and the idle M deciding how long to block can look
 * without the lock. A timer is added to the heap of the P running the
 * caller (P 0 without one); the scheduler runs a P's expired timers in
 * schedule() and, when stealing, those of other Ps. The M that blocks in
 * the netpoller sleeps until the earliest when over all Ps
 * (weft_timers_earliest), and a timer that becomes its heap's earliest
 * wakes it (weft_wake_netpoller).
 *
 * Stop and reset find a timer wherever it is: a timer remembers the P
 * whose heap holds it and its index there, so removal is O(log n) under
 * that P's lock, with no lazy deletion (a stopped timer leaves no ghost
 * that would keep weft_timers_earliest, hence deadlock detection and the
 * poller's timeout, busy).
 *
 * Timer functions run on g0 or on a goroutine that holds the P, outside
 * every timer lock, and must not block: they ready a goroutine, try-send
 * on a channel or start a goroutine. A function may still be running
 * after its timer was stopped or re-armed (as in Go, stop then returns
 * false); weft_timer_free waits for it, since the function uses the
 * timer's memory.
 *
 * Locks, outermost first: Timer.mu (serialises add/del of one timer, so
 * concurrent stop/reset from several goroutines are safe) > P.timers_lock.
 * Neither is held while a timer function runs.
 *
 * Invariants: t->pp is the P whose heap holds t (NULL when t is in no
 * heap) and t->idx its index there; both change only under that P's
 * timers_lock, and t->pp goes from NULL to a P only under t->mu. A timer
 * is in at most one heap. t->running counts calls of t->fn in progress;
 * it is raised under the heap lock before t->pp is cleared, so whoever
 * sees t->pp == NULL and then running == 0 knows no call is pending.
 * A when is never 0 (0 means "no timer" in timer0_when).
 */
#include "runtime.h"
#include "trace.h"

#include <sched.h>
#include <stdlib.h>
#include <time.h>

struct WeftTimerImpl
{
  WeftLock mu;
  int64_t  when; /* set under mu while in no heap; read under the heap's lock */
  void (*fn) (Timer *t, int64_t now);
  void            *arg;
  WeftFunc         user_fn; /* weft_after_func */
  void            *user_arg;
  _Atomic (P *)    pp;
  int32_t          idx;
  _Atomic uint32_t running;
};

struct _WeftTimer
{
  Timer     t;
  WeftChan *c;
  WeftRoot  gcroot; /* c (the collector sees the timer hold it), or weft_after_func's user_arg */
};

int64_t
weft_nanotime (void)
{
  struct timespec ts;
  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

/* ------------------------------------------------------------------ the heap (timers_lock held) */

static void
heap_set (P *pp, int32_t i, Timer *t)
{
  pp->timers[i] = t;
  t->idx = i;
}

static void
sift_up (P *pp, int32_t i)
{
  Timer *t = pp->timers[i];
  while (i > 0)
    {
      int32_t parent = (i - 1) / 4;
      if (pp->timers[parent]->when <= t->when)
        break;
      heap_set (pp, i, pp->timers[parent]);
      i = parent;
    }
  heap_set (pp, i, t);
}

static void
sift_down (P *pp, int32_t i)
{
  Timer  *t = pp->timers[i];
  int32_t n = pp->ntimers;
  for (;;)
    {
      int32_t c = i * 4 + 1, best = -1;
      for (int32_t k = c; k < c + 4 && k < n; k++)
        if (pp->timers[k]->when < (best < 0 ? t->when : pp->timers[best]->when))
          best = k;
      if (best < 0)
        break;
      heap_set (pp, i, pp->timers[best]);
      i = best;
    }
  heap_set (pp, i, t);
}

static void
publish_timer0 (P *pp)
{
  atomic_store (&pp->timer0_when, pp->ntimers > 0 ? pp->timers[0]->when : 0);
}

static void
heap_push (P *pp, Timer *t)
{
  if (pp->ntimers == pp->timers_cap)
    {
      int32_t cap = pp->timers_cap ? pp->timers_cap * 2 : 64;
      Timer **a = realloc (pp->timers, (size_t) cap * sizeof *a);
      if (a == NULL)
        weft_throw ("runtime: out of memory growing a timer heap");
      pp->timers = a;
      pp->timers_cap = cap;
    }
  heap_set (pp, pp->ntimers++, t);
  atomic_store (&t->pp, pp);
  sift_up (pp, t->idx);
  publish_timer0 (pp);
}

static void
heap_remove (P *pp, Timer *t)
{
  int32_t i = t->idx, last = --pp->ntimers;

  atomic_store (&t->pp, NULL);
  if (i != last)
    {
      heap_set (pp, i, pp->timers[last]);
      sift_down (pp, i);
      sift_up (pp, pp->timers[i]->idx);
    }
  publish_timer0 (pp);
}

/* ------------------------------------------------------------------ add / remove */

/* The when of a timer @ns from now, saturated (a huge @ns must not wrap
 * into the past) and never 0. */
static int64_t
when_after (int64_t ns)
{
  int64_t now = weft_nanotime ();

  if (ns <= 0)
    return now > 0 ? now : 1;
  return ns > INT64_MAX - now ? INT64_MAX : now + ns;
}

/* t->mu held. Removes @t from whatever heap holds it; true if it was in
 * one. Under t->mu, t->pp can only go from a P to NULL (its P's
 * weft_timers_check taking it out), so one look suffices. */
static bool
timer_del_locked (Timer *t)
{
  P   *pp = atomic_load (&t->pp);
  bool removed = false;

  if (pp == NULL)
    return false;
  weft_lock (&pp->timers_lock);
  if (atomic_load (&t->pp) == pp)
    {
      heap_remove (pp, t);
      removed = true;
    }
  weft_unlock (&pp->timers_lock);
  return removed;
}

/* (Re-)arms @t at @when on the current P; returns whether it was armed. */
static bool
timer_add (Timer *t, int64_t when)
{
  M   *mp = weft_getm ();
  P   *pp = mp != NULL && mp->p != NULL ? mp->p : weft_allp[0];
  bool was_armed, first;

  if (when <= 0)
    when = 1;
  weft_lock (&t->mu);
  was_armed = timer_del_locked (t);
  t->when = when;
  weft_lock (&pp->timers_lock);
  heap_push (pp, t);
  first = pp->timers[0] == t;
  weft_unlock (&pp->timers_lock);
  weft_unlock (&t->mu);
  /* An M blocked in the poller, or an idle P, may be sleeping past it. */
  if (first)
    weft_wake_netpoller (when);
  return was_armed;
}

static bool
timer_del (Timer *t)
{
  bool removed;

  weft_lock (&t->mu);
  removed = timer_del_locked (t);
  weft_unlock (&t->mu);
  return removed;
}

int64_t
weft_timers_check (P *pp, int64_t now)
{
  int64_t next = atomic_load (&pp->timer0_when);

  if (next == 0 || next > now)
    return next;
  weft_lock (&pp->timers_lock);
  while (pp->ntimers > 0 && pp->timers[0]->when <= now)
    {
      Timer *t = pp->timers[0];
      /* Raised before heap_remove publishes t->pp == NULL: see the
       * invariants above. */
      atomic_fetch_add (&t->running, 1);
      heap_remove (pp, t);
      /* Run it unlocked: it may take a channel lock, ready a goroutine
       * (which may re-arm this very timer at once) or start one. */
      weft_unlock (&pp->timers_lock);
      t->fn (t, now);
      atomic_fetch_sub (&t->running, 1);
      weft_lock (&pp->timers_lock);
    }
  next = pp->ntimers > 0 ? pp->timers[0]->when : 0;
  weft_unlock (&pp->timers_lock);
  return next;
}

int64_t
weft_timers_earliest (void)
{
  int64_t best = 0;

  for (int32_t i = 0; i < weft_nprocs; i++)
    {
      int64_t w = atomic_load (&weft_allp[i]->timer0_when);
      if (w != 0 && (best == 0 || w < best))
        best = w;
    }
  return best;
}

/* ------------------------------------------------------------------ sleep */

static void
ready_sleeper (Timer *t, int64_t now)
{
  (void) now;
  weft_goready (t->arg);
}

/* Runs on g0 once the goroutine is parked, so the timer cannot fire
 * (and ready it) before it is. */
static bool
arm_sleep_timer (G *gp, void *arg)
{
  timer_add (gp->sleep_timer, *(int64_t *) arg);
  return true;
}

void
weft_sleep (int64_t ns)
{
  G      *gp = weft_getg ();
  int64_t when;

  if (gp == NULL)
    weft_throw ("weft_sleep called outside a goroutine");
  if (ns <= 0)
    {
      weft_yield ();
      return;
    }
  /* Allocated on first use and kept with the G, which proc.c reuses and
   * never frees. */
  if (gp->sleep_timer == NULL)
    {
      gp->sleep_timer = calloc (1, sizeof (Timer));
      if (gp->sleep_timer == NULL)
        weft_throw ("runtime: out of memory allocating a timer");
      gp->sleep_timer->fn = ready_sleeper;
    }
  gp->sleep_timer->arg = gp;
  when = when_after (ns);
  weft_gopark (arm_sleep_timer, &when, WEFT_WAIT_SLEEP, gp->sleep_timer);
}

/* ------------------------------------------------------------------ runtime timers */

Timer *
weft_timer_impl_new (void (*fn) (Timer *t, int64_t now), size_t arg_size)
{
  Timer *t = calloc (1, sizeof *t + arg_size);

  if (t == NULL)
    weft_throw ("runtime: out of memory allocating a timer");
  t->fn = fn;
  t->arg = t + 1;
  return t;
}

void *
weft_timer_impl_arg (Timer *t)
{
  return t->arg;
}

void
weft_timer_impl_add (Timer *t, int64_t when)
{
  (void) timer_add (t, when);
}

bool
weft_timer_impl_del (Timer *t)
{
  return timer_del (t);
}

/* ------------------------------------------------------------------ public timers */

static void
send_time (Timer *t, int64_t now)
{
  WeftTimer *pt = (WeftTimer *) t;
  weft_chan_try_send (pt->c, &now);
}

static void
start_func (Timer *t, int64_t now)
{
  (void) now;
  weft_newproc (NULL, t->user_fn, t->user_arg);
}

WeftTimer *
weft_timer_new (int64_t ns)
{
  WeftTimer *pt = calloc (1, sizeof *pt);

  if (pt == NULL)
    weft_throw ("runtime: out of memory allocating a timer");
  pt->c = weft_chan_new (sizeof (int64_t), 1);
  /* The timer will send on its channel: for the leak proof (mgc.c) a
   * goroutine waiting on it can be woken while the timer exists. */
  weft_gc_root_add (&pt->gcroot, &pt->c, sizeof pt->c);
  pt->t.fn = send_time;
  timer_add (&pt->t, when_after (ns));
  return pt;
}

WeftChan *
weft_timer_chan (WeftTimer *t)
{
  return t->c;
}

bool
weft_timer_stop (WeftTimer *t)
{
  return timer_del (&t->t);
}

bool
weft_timer_reset (WeftTimer *t, int64_t ns)
{
  return timer_add (&t->t, when_after (ns));
}

void
weft_timer_free (WeftTimer *t)
{
  if (t == NULL)
    return;
  timer_del (&t->t);
  /* A firing that began before the stop still uses the timer (and its
   * channel); it is a try-send or a goroutine start, so it ends soon. */
  while (atomic_load (&t->t.running) != 0)
    {
      if (weft_getg () != NULL)
        weft_yield ();
      else
        sched_yield ();
    }
  weft_chan_free (t->c);
  weft_gc_root_del (&t->gcroot);
  free (t);
}

WeftTimer *
weft_after_func (int64_t ns, WeftFunc fn, void *arg)
{
  WeftTimer *pt = calloc (1, sizeof *pt);

  if (pt == NULL)
    weft_throw ("runtime: out of memory allocating a timer");
  pt->t.fn = start_func;
  pt->t.user_fn = fn;
  pt->t.user_arg = arg;
  weft_gc_root_add (&pt->gcroot, &pt->t.user_arg, sizeof pt->t.user_arg);
  timer_add (&pt->t, when_after (ns));
  return pt;
}
