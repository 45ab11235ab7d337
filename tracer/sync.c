/* sync.c — weft_mutex_*, weft_rwmutex_*, weft_waitgroup_*, weft_once_do
 * and weft_cond_* (Go's sync package: mutex.go, rwmutex.go,
 * waitgroup.go, once.go, cond.go). The sleeping and waking is sema.c's;
 * this file holds the state machines on top of it. The structs are
 * public (weft.h) so that they can be embedded and zero-initialised; the
 * fields are plain integers accessed only with __atomic builtins.
 *
 * None of these is tied to a goroutine: a mutex locked by one goroutine
 * may be unlocked by another, as in Go. Misuse is fatal (see each
 * function) and nothing is recursive: locking a mutex twice from the same
 * goroutine deadlocks it.
 *
 * Mutex (m->state, Go's layout): bit 0 locked, bit 1 woken (a goroutine
 * was woken or is spinning: unlock need not wake another), bit 2
 * starving, bits 3.. the number of goroutines blocked in the semaphore.
 * Two modes:
 *  - Normal: waiters queue FIFO, but a woken waiter does not own the
 *    mutex; it competes with newcomers, which usually win (they are
 *    already on a CPU). A waiter that loses goes back to the *front* of
 *    the queue (LIFO re-queue). Newcomers may spin a little (sema.c's
 *    weft_sync_can_spin) when other Ps are running.
 *  - Starvation: entered by a waiter that has waited more than 1 ms.
 *    Unlock hands ownership straight to the first waiter (semaphore
 *    handoff, and the unlocker yields its P to it); newcomers neither
 *    spin nor grab the mutex, they queue at the tail. The mode ends when
 *    the waiter that receives the mutex is the last one, or waited less
 *    than 1 ms.
 *  Normal mode is much faster (a goroutine can relock many times in a
 *  row); starvation mode bounds the tail latency of a waiter.
 *
 * Invariants (mutex):
 *  - The locked bit is set iff some goroutine owns the mutex, except
 *    during a starvation handoff: then the new owner holds it with the
 *    bit clear (and is still counted as a waiter) until it fixes the
 *    state, and the starving bit keeps everyone else out.
 *  - The starving bit is only set while the mutex is locked (or being
 *    handed over) and has waiters; hence unlock in starvation mode always
 *    has someone to hand the mutex to.
 *  - The woken bit is held by at most one goroutine (a spinner or the
 *    waiter just woken), which clears it in its next state update.
 *
 * RWMutex (writer-preferring, Go's): readers count themselves in
 * reader_count; a writer first takes rw->w (excluding other writers),
 * then subtracts RWMUTEX_MAX_READERS from reader_count so that it goes
 * negative and new readers block on reader_sem, and waits on writer_sem
 * for the readers already inside, whose number it records in
 * reader_wait. The last of those departing readers releases writer_sem.
 * Unlock adds RWMUTEX_MAX_READERS back and releases reader_sem once per
 * reader that blocked meanwhile. A stream of readers thus cannot starve a
 * writer, and a writer's unlock lets the waiting readers in before the
 * next writer.
 *
 * WaitGroup (wg->state, one 64-bit word so that counter and waiters
 * change together): high 32 bits the counter, low 32 bits the number of
 * goroutines blocked in Wait. When Add brings the counter to zero with
 * waiters, it resets the whole word to 0 and releases wg->sema once per
 * waiter. A new Add while those waiters have not all returned is misuse
 * (reuse before Wait has returned), detected on the waiter side.
 *
 * Once: done is 0 until fn has returned, then 1 (release store, so that
 * callers that see 1 on the lock-free fast path see fn's effects). The
 * slow path runs under once->m so that concurrent callers wait for fn.
 *
 * Cond: a ticket-based notify list (sema.c) stored in the WeftCond. A
 * waiter takes its ticket while still holding the mutex, so a Signal
 * between its unlock and its park is not lost; Wait never returns without
 * a Signal or Broadcast (no spurious wakeups).
 *
 * Wait reasons: WEFT_WAIT_MUTEX (wait_obj: the mutex) for lock and for the
 * relock in cond wait; WEFT_WAIT_RWMUTEX_R / _W (the RWMutex, also while a
 * writer waits for rw->w); WEFT_WAIT_WAITGROUP (the WaitGroup);
 * WEFT_WAIT_ONCE (the Once, while another goroutine runs fn);
 * WEFT_WAIT_COND (the Cond).
 */
#include "sema.h"

#define MUTEX_LOCKED 1
#define MUTEX_WOKEN 2
#define MUTEX_STARVING 4
#define MUTEX_WAITER_SHIFT 3

/* A waiter that has waited this long switches the mutex to starvation
 * mode. */
#define STARVATION_THRESHOLD_NS 1000000

#define RWMUTEX_MAX_READERS (1 << 30)

/* ------------------------------------------------------------------ Mutex */

static void mutex_lock_slow (WeftMutex     *m,
                             WeftWaitReason reason,
                             const void    *wait_obj);
static void mutex_unlock_slow (WeftMutex *m,
                               int32_t    state);

/* Lock with the wait reason and object a parked waiter reports: the
 * mutexes inside RWMutex and Once say what the user is waiting for. */
static inline void
mutex_lock (WeftMutex *m, WeftWaitReason reason, const void *wait_obj)
{
  int32_t old = 0;

  /* Fast path: grab an unlocked mutex. */
  if (likely (__atomic_compare_exchange_n (&m->state, &old, MUTEX_LOCKED, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED)))
    return;
  mutex_lock_slow (m, reason, wait_obj);
}

void
weft_mutex_lock (WeftMutex *m)
{
  mutex_lock (m, WEFT_WAIT_MUTEX, m);
}

bool
weft_mutex_trylock (WeftMutex *m)
{
  int32_t old = __atomic_load_n (&m->state, __ATOMIC_RELAXED);

  /* Fails on a starving mutex even if it looks unlocked: it belongs to
   * the waiter it is being handed to. */
  if (old & (MUTEX_LOCKED | MUTEX_STARVING))
    return false;
  /* There may be waiters, but we are running and can take the mutex
   * before a woken one gets to it, as a newcomer in lock would. */
  return __atomic_compare_exchange_n (&m->state, &old, old | MUTEX_LOCKED, false, __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static void
mutex_lock_slow (WeftMutex *m, WeftWaitReason reason, const void *wait_obj)
{
  int64_t wait_start = 0;
  bool    starving = false;
  bool    awoke = false;
  int     iter = 0;
  int32_t old = __atomic_load_n (&m->state, __ATOMIC_RELAXED);

  for (;;)
    {
      int32_t next;
      bool    lifo;

      /* Spin while the mutex is locked in normal mode and spinning may
       * pay off. In starvation mode the mutex goes to a waiter anyway. */
      if ((old & (MUTEX_LOCKED | MUTEX_STARVING)) == MUTEX_LOCKED && weft_sync_can_spin (iter))
        {
          /* Set the woken bit so that unlock does not wake a waiter
           * that would only compete with us. */
          if (!awoke && !(old & MUTEX_WOKEN) && (old >> MUTEX_WAITER_SHIFT) != 0
              && __atomic_compare_exchange_n (&m->state, &old, old | MUTEX_WOKEN, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
            awoke = true;
          weft_sync_do_spin ();
          iter++;
          old = __atomic_load_n (&m->state, __ATOMIC_RELAXED);
          continue;
        }

      next = old;
      /* Newcomers do not take a starving mutex: they queue. */
      if (!(old & MUTEX_STARVING))
        next |= MUTEX_LOCKED;
      if (old & (MUTEX_LOCKED | MUTEX_STARVING))
        next += 1 << MUTEX_WAITER_SHIFT;
      /* Switch to starvation mode, but only if the mutex is locked: an
       * unlocked starving mutex would have nobody to hand it over, and
       * unlock expects waiters in that mode. */
      if (starving && (old & MUTEX_LOCKED))
        next |= MUTEX_STARVING;
      if (awoke)
        {
          /* We own the woken bit (set by our spin or by the unlock that
           * woke us): clear it whatever happens next. */
          if (unlikely (!(next & MUTEX_WOKEN)))
            weft_throw ("sync: inconsistent mutex state");
          next &= ~MUTEX_WOKEN;
        }
      if (!__atomic_compare_exchange_n (&m->state, &old, next, false, __ATOMIC_ACQ_REL, __ATOMIC_RELAXED))
        continue; /* old was reloaded */
      if (!(old & (MUTEX_LOCKED | MUTEX_STARVING)))
        break; /* locked it with the CAS */

      /* Queued as a waiter: sleep. A goroutine that has waited before
       * goes back to the front of the queue. */
      lifo = wait_start != 0;
      if (wait_start == 0)
        wait_start = weft_sync_nanotime ();
      weft_semacquire (&m->sema, lifo, reason, wait_obj);
      starving = starving || weft_sync_nanotime () - wait_start > STARVATION_THRESHOLD_NS;
      old = __atomic_load_n (&m->state, __ATOMIC_ACQUIRE);
      if (old & MUTEX_STARVING)
        {
          /* Handed over in starvation mode: we own the mutex, but the
           * locked bit is clear and we still count as a waiter. Fix
           * that, and leave starvation mode if we are the last waiter
           * or did not wait long: two goroutines could otherwise go
           * lock-step in this slow mode forever. */
          int32_t delta = MUTEX_LOCKED - (1 << MUTEX_WAITER_SHIFT);

          if (unlikely ((old & (MUTEX_LOCKED | MUTEX_WOKEN)) || (old >> MUTEX_WAITER_SHIFT) == 0))
            weft_throw ("sync: inconsistent mutex state");
          if (!starving || (old >> MUTEX_WAITER_SHIFT) == 1)
            delta -= MUTEX_STARVING;
          __atomic_add_fetch (&m->state, delta, __ATOMIC_ACQ_REL);
          break;
        }
      /* Normal mode: woken, but the mutex is up for grabs. */
      awoke = true;
      iter = 0;
    }
}

void
weft_mutex_unlock (WeftMutex *m)
{
  /* Fast path: drop the locked bit. */
  int32_t state = __atomic_add_fetch (&m->state, -MUTEX_LOCKED, __ATOMIC_RELEASE);

  if (unlikely (state != 0))
    mutex_unlock_slow (m, state);
}

static void
mutex_unlock_slow (WeftMutex *m, int32_t state)
{
  if (unlikely (((state + MUTEX_LOCKED) & MUTEX_LOCKED) == 0))
    weft_throw ("sync: unlock of unlocked mutex");

  if (!(state & MUTEX_STARVING))
    {
      int32_t old = state, next;

      for (;;)
        {
          /* Nobody to wake, or someone is already woken or spinning, or
           * the mutex was grabbed already: done. A starving bit here was
           * set after our unlock; the handoff chain is not ours. */
          if ((old >> MUTEX_WAITER_SHIFT) == 0 || (old & (MUTEX_LOCKED | MUTEX_WOKEN | MUTEX_STARVING)))
            return;
          /* Take the right to wake one waiter. */
          next = (old - (1 << MUTEX_WAITER_SHIFT)) | MUTEX_WOKEN;
          if (__atomic_compare_exchange_n (&m->state, &old, next, false, __ATOMIC_RELEASE, __ATOMIC_RELAXED))
            {
              weft_semrelease (&m->sema, false);
              return;
            }
        }
    }
  else
    {
      /* Starvation mode: hand the mutex to the first waiter and let it
       * run now. The locked bit stays clear until it wakes, but the
       * starving bit keeps newcomers out meanwhile. */
      weft_semrelease (&m->sema, true);
    }
}

/* ------------------------------------------------------------------ RWMutex */

void
weft_rwmutex_rlock (WeftRWMutex *rw)
{
  if (__atomic_add_fetch (&rw->reader_count, 1, __ATOMIC_ACQ_REL) < 0)
    {
      /* A writer holds or waits for the lock: wait for its unlock. */
      weft_semacquire (&rw->reader_sem, false, WEFT_WAIT_RWMUTEX_R, rw);
    }
}

void
weft_rwmutex_runlock (WeftRWMutex *rw)
{
  int32_t r = __atomic_sub_fetch (&rw->reader_count, 1, __ATOMIC_ACQ_REL);

  if (r < 0)
    {
      if (unlikely (r + 1 == 0 || r + 1 == -RWMUTEX_MAX_READERS))
        weft_throw ("sync: RUnlock of unlocked RWMutex");
      /* A writer is waiting for the readers inside: the last one lets
       * it in. */
      if (__atomic_sub_fetch (&rw->reader_wait, 1, __ATOMIC_ACQ_REL) == 0)
        weft_semrelease (&rw->writer_sem, false);
    }
}

void
weft_rwmutex_lock (WeftRWMutex *rw)
{
  int32_t r;

  /* First exclude other writers. */
  mutex_lock (&rw->w, WEFT_WAIT_RWMUTEX_W, rw);
  /* Announce a pending writer: new readers block from now on. */
  r = __atomic_add_fetch (&rw->reader_count, -RWMUTEX_MAX_READERS, __ATOMIC_ACQ_REL) + RWMUTEX_MAX_READERS;
  /* Wait for the @r readers already inside (some may have left between
   * the two atomics: reader_wait then reaches 0 here, not in runlock). */
  if (r != 0 && __atomic_add_fetch (&rw->reader_wait, r, __ATOMIC_ACQ_REL) != 0)
    weft_semacquire (&rw->writer_sem, false, WEFT_WAIT_RWMUTEX_W, rw);
}

void
weft_rwmutex_unlock (WeftRWMutex *rw)
{
  /* Announce that no writer is active. */
  int32_t r = __atomic_add_fetch (&rw->reader_count, RWMUTEX_MAX_READERS, __ATOMIC_ACQ_REL);

  if (unlikely (r >= RWMUTEX_MAX_READERS))
    weft_throw ("sync: Unlock of unlocked RWMutex");
  /* Let in the readers that blocked while we held the lock, before the
   * next writer can take rw->w. */
  for (int32_t i = 0; i < r; i++)
    weft_semrelease (&rw->reader_sem, false);
  weft_mutex_unlock (&rw->w);
}

/* ------------------------------------------------------------------ WaitGroup */

void
weft_waitgroup_add (WeftWaitGroup *wg, int delta)
{
  /* The conversion of a negative delta wraps, and so does the sum: the
   * high half gains delta, the low half is untouched. */
  uint64_t state = __atomic_add_fetch (&wg->state, (uint64_t) (int64_t) delta << 32, __ATOMIC_ACQ_REL);
  int32_t  v = (int32_t) (state >> 32);
  uint32_t w = (uint32_t) state;

  if (unlikely (v < 0))
    weft_panic ("sync: negative WaitGroup counter");
  /* The first Add of a round (counter 0 -> delta) must happen before any
   * Wait; waiters present then belong to the previous round. */
  if (unlikely (w != 0 && delta > 0 && v == delta))
    weft_panic ("sync: WaitGroup misuse: Add called concurrently with Wait");
  if (v > 0 || w == 0)
    return;

  /* We brought the counter to 0 with waiters. Nobody may change the
   * state now: Adds must not race with Wait, and Wait does not add a
   * waiter once it sees a zero counter. A cheap check for misuse: */
  if (unlikely (__atomic_load_n (&wg->state, __ATOMIC_ACQUIRE) != state))
    weft_panic ("sync: WaitGroup misuse: Add called concurrently with Wait");
  /* Reset the waiter count, then wake them all. */
  __atomic_store_n (&wg->state, 0, __ATOMIC_RELEASE);
  for (; w != 0; w--)
    weft_semrelease (&wg->sema, false);
}

void
weft_waitgroup_done (WeftWaitGroup *wg)
{
  weft_waitgroup_add (wg, -1);
}

void
weft_waitgroup_wait (WeftWaitGroup *wg)
{
  uint64_t state = __atomic_load_n (&wg->state, __ATOMIC_ACQUIRE);

  for (;;)
    {
      if ((int32_t) (state >> 32) == 0)
        return; /* counter is 0: nothing to wait for */
      /* Count ourselves as a waiter; on failure state is reloaded. */
      if (__atomic_compare_exchange_n (&wg->state, &state, state + 1, false, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
        {
          weft_semacquire (&wg->sema, false, WEFT_WAIT_WAITGROUP, wg);
          /* The Add that woke us reset the state to 0; anything else
           * means the next round started before this Wait returned. */
          if (unlikely (__atomic_load_n (&wg->state, __ATOMIC_ACQUIRE) != 0))
            weft_panic ("sync: WaitGroup is reused before previous Wait has returned");
          return;
        }
    }
}

/* ------------------------------------------------------------------ Once */

static void
once_do_slow (WeftOnce *once, WeftFunc fn, void *arg)
{
  mutex_lock (&once->m, WEFT_WAIT_ONCE, once);
  /* Under the mutex: a plain re-check is enough, and only we write. */
  if (__atomic_load_n (&once->done, __ATOMIC_RELAXED) == 0)
    {
      /* There is no recover: if fn panics the process dies, and done
       * never needs to be set for that case. fn must return (a
       * weft_exit() inside it would leave once->m locked for good). */
      fn (arg);
      __atomic_store_n (&once->done, 1, __ATOMIC_RELEASE);
    }
  weft_mutex_unlock (&once->m);
}

void
weft_once_do (WeftOnce *once, WeftFunc fn, void *arg)
{
  /* Fast path. done is set only after fn returns, so a caller that sees
   * it also sees fn's effects (acquire pairs with the release above).
   * A CAS 0 -> 1 before calling fn would be wrong: a second caller would
   * return before fn has finished. */
  if (likely (__atomic_load_n (&once->done, __ATOMIC_ACQUIRE) != 0))
    return;
  once_do_slow (once, fn, arg);
}

/* ------------------------------------------------------------------ Cond */

void
weft_cond_wait (WeftCond *c, WeftMutex *m)
{
  /* The ticket is taken while @m is held: a Signal issued after we drop
   * @m, even before we park, is ours to receive. */
  uint32_t t = weft_notify_list_add (c);

  weft_mutex_unlock (m);
  weft_notify_list_wait (c, t);
  weft_mutex_lock (m);
}

void
weft_cond_signal (WeftCond *c)
{
  weft_notify_list_notify_one (c);
}

void
weft_cond_broadcast (WeftCond *c)
{
  weft_notify_list_notify_all (c);
}
