/* sema.c — semaphores and notify lists: the sleep and wakeup under
 * sync.c (Go's sema.go). See runtime.h for park/ready and the sudog.
 *
 * What it is for: parking a goroutine in the contended case of the sync
 * primitives, and waking it later. It targets the same goal as a Linux
 * futex, with simpler semantics. Don't think of these as semaphores to
 * use directly: think of them as sleep and wakeup such that every sleep
 * is paired with exactly one wakeup, even if, because of races, the
 * wakeup comes before the sleep (the count remembers it). See Mullender
 * and Cox, "Semaphores in Plan 9", https://swtch.com/semaphore.pdf.
 *
 * What it is not: a public API, a general purpose counting semaphore
 * (there is no timeout and no try-acquire for callers), or a fair lock by
 * itself. Fairness policy (normal and starvation mode, writer preference)
 * is sync.c's business; this file only offers FIFO or LIFO queueing and
 * direct handoff.
 *
 * Semaphores. A semaphore is any uint32_t in user memory (the sema fields
 * of WeftMutex, WeftRWMutex and WeftWaitGroup); there is no per-semaphore
 * allocation. Waiters are kept in a fixed table of 251 roots (a prime, so
 * that the hash does not correlate with allocation patterns), chosen by
 * the semaphore's address. A root is a WeftLock, a count of waiters
 * readable without the lock and a two-level list of sudogs:
 *
 *   root->head -> [addr A] -next-> [addr B] -next-> NULL      one per address
 *                    |waitlink        |waitlink
 *                 [addr A]         [addr B]                   the same address,
 *                    |waitlink                                in wake-up order
 *                 [addr A]
 *
 * The top level holds the first waiter of each distinct address waiting
 * in the root, unordered; each of those heads a FIFO (waitlink) of the
 * others waiting on the same address. Go keeps the top level in a treap;
 * here it is a plain list, searched linearly. That costs O(distinct
 * addresses waiting in this root), not O(waiters): a thousand goroutines
 * blocked on one mutex do not slow down a release of another semaphore
 * that hashes to the same root (Go's issue 17953). With 251 roots and
 * the handful of objects that are contended at once in practice, the
 * lists stay a few entries long. Enqueue at either end and dequeue are
 * O(1) once the address is found.
 *
 * Sudog fields used for semaphores (runtime.h): g; addr (the semaphore);
 * next (top-level link, heads only); waitlink (same-address FIFO); elem,
 * in a head only, the tail of its FIFO (NULL when the head is alone; sema
 * waiters carry no data, so elem is free); ticket, 1 when the waker
 * handed the count over directly (handoff), else 0.
 *
 * Invariants:
 *  - root->nwait >= the number of sudogs in the root. It is incremented
 *    under the lock before the waiter's last try at the count and
 *    decremented under the lock when a waiter is dequeued or gives up.
 *  - A waiter is in a root's lists only while its goroutine is parked, or
 *    about to park with the root lock held: gopark's unlockf releases the
 *    lock, so a releaser that dequeues it always finds it fully parked.
 *  - Whoever dequeues a sudog owns its wakeup: it calls weft_goready()
 *    exactly once, after dropping the root lock (the scheduler's locks
 *    never nest inside a root lock). The sudog belongs to its goroutine
 *    again from then on; the waker must not touch it after goready.
 *  - A release always increments the count before looking for a waiter,
 *    and an acquirer always announces itself (nwait) before its last try:
 *    with both sequentially consistent, either the release sees nwait > 0
 *    and takes the lock, or the acquirer's last try sees the count. No
 *    wakeup is lost.
 *  - A woken waiter holds no count unless ticket == 1; otherwise it races
 *    for the count like any newcomer and queues again if it loses.
 *
 * Notify lists (Go's notifyList), for WeftCond. Two ticket counters:
 * c->wait, the next ticket to hand out (atomic add, no lock), and
 * c->notify, the next ticket to wake (written under the lock, read
 * without it). A waiter whose ticket is below notify has been notified
 * and must not sleep; one at or above parks in the FIFO c->head..c->tail
 * (linked by sudog.next, ticket in sudog.ticket). Tickets wrap around;
 * they are compared by signed difference, which is right while fewer
 * than 2^31 goroutines wait on one condition. The list's lock is the
 * semaphore root of &c->notify, a short non-nesting lock like the one
 * needed; WeftCond's own `lock` field is left unused (a WeftLock kept in
 * a void * would have to be accessed through a pointer of another type).
 * Notify list waiters are not counted in the root's nwait (no semaphore
 * release ever looks for them).
 *
 * Lock order: a root lock is a leaf for this file (nothing else is taken
 * while holding it, see runtime.h for its place among the runtime locks).
 */
#include "sema.h"

#include <time.h>
#include <unistd.h>

#define SEMTAB_SIZE 251
#define CACHE_LINE 64

/* Go's active_spin and active_spin_cnt. */
#define ACTIVE_SPIN 4
#define ACTIVE_SPIN_CNT 30

typedef struct
{
  WeftLock         lock;
  _Atomic uint32_t nwait; /* waiters; changed under lock, read without it */
  Sudog           *head;  /* one sudog per distinct address; lock */
} SemaRoot;

/* One root per cache line: releases of unrelated semaphores on different
 * CPUs must not fight over the same line. */
typedef union
{
  SemaRoot root;
  char     pad[CACHE_LINE];
} SemaRootSlot;

_Static_assert(sizeof (SemaRoot) <= CACHE_LINE, "SemaRoot must fit a cache line");

static SemaRootSlot semtable[SEMTAB_SIZE] __attribute__ ((aligned (CACHE_LINE)));

static inline SemaRoot *
sema_root (const void *addr)
{
  /* Semaphores are 4-byte fields inside 8-byte aligned structs: the low
   * three bits carry little information. */
  return &semtable[((uintptr_t) addr >> 3) % SEMTAB_SIZE].root;
}

static inline bool
cansemacquire (uint32_t *addr)
{
  uint32_t v = __atomic_load_n (addr, __ATOMIC_SEQ_CST);

  while (v != 0)
    {
      if (__atomic_compare_exchange_n (addr, &v, v - 1, true, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
        return true;
    }
  return false;
}

/* ------------------------------------------------------------------ root lists */

/* Adds @s, waiting on @addr, to @root; under root->lock. */
static void
sema_queue (SemaRoot *root, uint32_t *addr, Sudog *s, bool lifo)
{
  Sudog **pp, *t;

  s->addr = addr;
  s->next = NULL;
  s->waitlink = NULL;
  s->elem = NULL;
  s->ticket = 0;

  for (pp = &root->head; (t = *pp) != NULL; pp = &t->next)
    {
      if (t->addr != addr)
        continue;
      if (lifo)
        {
          /* @s takes t's place at the top level and t becomes the first
           * of s's FIFO. */
          *pp = s;
          s->next = t->next;
          s->waitlink = t;
          s->elem = t->elem != NULL ? t->elem : t;
          t->next = NULL;
          t->elem = NULL;
        }
      else
        {
          Sudog *tail = t->elem != NULL ? (Sudog *) t->elem : t;

          tail->waitlink = s;
          t->elem = s;
        }
      return;
    }

  /* First waiter on @addr in this root. */
  *pp = s;
}

/* Removes and returns the first waiter on @addr, or NULL; under
 * root->lock. */
static Sudog *
sema_dequeue (SemaRoot *root, uint32_t *addr)
{
  Sudog **pp, *s;

  for (pp = &root->head; (s = *pp) != NULL; pp = &s->next)
    {
      Sudog *t;

      if (s->addr != addr)
        continue;
      t = s->waitlink;
      if (t != NULL)
        {
          /* The next waiter on @addr heads the FIFO now. */
          *pp = t;
          t->next = s->next;
          t->elem = s->elem != t ? s->elem : NULL;
        }
      else
        *pp = s->next;
      s->next = NULL;
      s->waitlink = NULL;
      s->elem = NULL;
      s->addr = NULL;
      return s;
    }
  return NULL;
}

/* ------------------------------------------------------------------ acquire / release */

void
weft_semacquire (uint32_t *addr, bool lifo, WeftWaitReason reason, const void *wait_obj)
{
  SemaRoot *root;
  Sudog    *s;

  /* Easy case. */
  if (cansemacquire (addr))
    return;

  if (unlikely (weft_getg () == NULL))
    weft_throw ("sync: blocking on a contended lock outside a goroutine (%s)", weft_wait_reason_string (reason));

  /* Harder case: announce ourselves in nwait, try once more, queue, park.
   * The sudog is dequeued by the releaser that wakes us. */
  s = weft_acquire_sudog ();
  s->g = weft_getg ();
  root = sema_root (addr);
  for (;;)
    {
      weft_lock (&root->lock);
      /* From here on a release sees nwait > 0 and takes the lock. */
      atomic_fetch_add_explicit (&root->nwait, 1, memory_order_seq_cst);
      /* A release between our first try and the increment above did not
       * see us: look at the count again before sleeping. */
      if (cansemacquire (addr))
        {
          atomic_fetch_sub_explicit (&root->nwait, 1, memory_order_seq_cst);
          weft_unlock (&root->lock);
          break;
        }
      sema_queue (root, addr, s, lifo);
      weft_goparkunlock (&root->lock, reason, wait_obj);
      /* The releaser dequeued us and decremented nwait. Either it handed
       * us the count, or we compete for it with newcomers. */
      if (s->ticket != 0 || cansemacquire (addr))
        break;
      /* A newcomer took the count first: queue again, as asked. */
    }
  s->g = NULL;
  s->ticket = 0;
  weft_release_sudog (s);
}

void
weft_semrelease (uint32_t *addr, bool handoff)
{
  SemaRoot *root = sema_root (addr);
  bool      handed = false;
  Sudog    *s;
  G        *gp;

  __atomic_add_fetch (addr, 1, __ATOMIC_SEQ_CST);

  /* Easy case: nobody waits in this root. This load must follow the
   * increment (see the invariants). */
  if (atomic_load_explicit (&root->nwait, memory_order_seq_cst) == 0)
    return;

  weft_lock (&root->lock);
  if (atomic_load_explicit (&root->nwait, memory_order_relaxed) == 0)
    {
      /* A waiter consumed the count in its last try and left. */
      weft_unlock (&root->lock);
      return;
    }
  s = sema_dequeue (root, addr);
  if (s != NULL)
    atomic_fetch_sub_explicit (&root->nwait, 1, memory_order_seq_cst);
  weft_unlock (&root->lock);
  if (s == NULL)
    return;

  if (unlikely (s->ticket != 0))
    weft_throw ("corrupted semaphore ticket");
  /* Direct handoff: take the count on the waiter's behalf so that no
   * running goroutine can grab it before the waiter runs. */
  if (handoff && cansemacquire (addr))
    {
      s->ticket = 1;
      handed = true;
    }
  gp = s->g;
  /* From here on @s belongs to the woken goroutine again. */
  weft_goready (gp);
  if (handed && weft_getg () != NULL)
    {
      /* goready put the waiter in this P's runnext: yielding runs it now,
       * on our time slice, instead of letting the caller (which just
       * unlocked a starving mutex and may lock it again at once) keep the
       * P. Only under handoff: in normal mode another goroutine might
       * take the count while we yield, which would be wasted work (Go's
       * issue 33747). */
      weft_yield ();
    }
}

/* ------------------------------------------------------------------ notify lists */

static inline bool
ticket_less (uint32_t a, uint32_t b)
{
  return (int32_t) (a - b) < 0;
}

uint32_t
weft_notify_list_add (WeftCond *c)
{
  /* Lock-free: several goroutines may wait at once (each holding the
   * condition's lock only long enough to take its ticket). */
  return __atomic_fetch_add (&c->wait, 1, __ATOMIC_SEQ_CST);
}

void
weft_notify_list_wait (WeftCond *c, uint32_t t)
{
  SemaRoot *root = sema_root (&c->notify);
  Sudog    *s, *tail;

  if (unlikely (weft_getg () == NULL))
    weft_throw ("sync: weft_cond_wait called outside a goroutine");

  /* Taken before the lock: the sudog cache may fall back to malloc. */
  s = weft_acquire_sudog ();
  s->g = weft_getg ();
  s->ticket = t;
  s->next = NULL;

  weft_lock (&root->lock);
  if (ticket_less (t, __atomic_load_n (&c->notify, __ATOMIC_RELAXED)))
    {
      /* Notified between the ticket and now. */
      weft_unlock (&root->lock);
      weft_release_sudog (s);
      return;
    }
  tail = c->tail;
  if (tail == NULL)
    c->head = s;
  else
    tail->next = s;
  c->tail = s;
  weft_goparkunlock (&root->lock, WEFT_WAIT_COND, c);
  s->g = NULL;
  weft_release_sudog (s);
}

void
weft_notify_list_notify_one (WeftCond *c)
{
  SemaRoot *root;
  Sudog    *p, *s;
  uint32_t  t;

  /* Fast path: no ticket handed out since the last notification. A
   * ticket taken after this load belongs to a Wait that started after
   * this Signal, which need not wake it. */
  if (__atomic_load_n (&c->wait, __ATOMIC_SEQ_CST) == __atomic_load_n (&c->notify, __ATOMIC_SEQ_CST))
    return;

  root = sema_root (&c->notify);
  weft_lock (&root->lock);
  t = c->notify;
  if (t == __atomic_load_n (&c->wait, __ATOMIC_SEQ_CST))
    {
      weft_unlock (&root->lock);
      return;
    }
  __atomic_store_n (&c->notify, t + 1, __ATOMIC_SEQ_CST);

  /* Find the goroutine holding ticket t. If it has not queued yet, it
   * will see the new notify value and not park. Goroutines queue in
   * roughly ticket order, so the search stops near the head. */
  for (p = NULL, s = c->head; s != NULL; p = s, s = s->next)
    {
      if (s->ticket != t)
        continue;
      if (p != NULL)
        p->next = s->next;
      else
        c->head = s->next;
      if (s->next == NULL)
        c->tail = p;
      weft_unlock (&root->lock);
      s->next = NULL;
      weft_goready (s->g);
      return;
    }
  weft_unlock (&root->lock);
}

void
weft_notify_list_notify_all (WeftCond *c)
{
  SemaRoot *root;
  Sudog    *s;

  if (__atomic_load_n (&c->wait, __ATOMIC_SEQ_CST) == __atomic_load_n (&c->notify, __ATOMIC_SEQ_CST))
    return;

  /* Take the whole list and ready it outside the lock. Every ticket
   * handed out so far is notified: those not in the list yet will see
   * notify and not park. */
  root = sema_root (&c->notify);
  weft_lock (&root->lock);
  s = c->head;
  c->head = NULL;
  c->tail = NULL;
  __atomic_store_n (&c->notify, __atomic_load_n (&c->wait, __ATOMIC_SEQ_CST), __ATOMIC_SEQ_CST);
  weft_unlock (&root->lock);

  while (s != NULL)
    {
      Sudog *next = s->next;

      /* Read next first: once readied, the goroutine may free @s. */
      s->next = NULL;
      weft_goready (s->g);
      s = next;
    }
}

/* ------------------------------------------------------------------ spinning and time */

static int
ncpu (void)
{
  static _Atomic int n;
  int                v = atomic_load_explicit (&n, memory_order_relaxed);

  if (v == 0)
    {
      long r = sysconf (_SC_NPROCESSORS_ONLN);

      v = r > 0 ? (int) r : 1;
      atomic_store_explicit (&n, v, memory_order_relaxed);
    }
  return v;
}

bool
weft_sync_can_spin (int iter)
{
  M *mp;
  P *pp;

  /* Spinning only pays off when the holder is running on another CPU
   * and will unlock within the spin. So: a few rounds at most, several
   * CPUs, and at least one other P busy running goroutines (not idle,
   * not merely looking for work). */
  if (iter >= ACTIVE_SPIN || ncpu () <= 1
      || weft_nprocs <= atomic_load (&weft_sched.npidle) + atomic_load (&weft_sched.nmspinning) + 1)
    return false;
  mp = weft_getm ();
  pp = mp != NULL ? mp->p : NULL;
  if (pp == NULL || mp->curg == NULL)
    return false;
  /* Other goroutines are ready to run here: better park and let them. */
  if (atomic_load_explicit (&pp->runqhead, memory_order_relaxed) != atomic_load_explicit (&pp->runqtail, memory_order_relaxed)
      || atomic_load_explicit (&pp->runnext, memory_order_relaxed) != NULL)
    return false;
  return true;
}

static inline void
cpu_relax (void)
{
#if defined(__x86_64__)
  __asm__ __volatile__("pause" ::
                           : "memory");
#elif defined(__aarch64__)
  __asm__ __volatile__("yield" ::
                           : "memory");
#else
  __asm__ __volatile__("" ::
                           : "memory");
#endif
}

void
weft_sync_do_spin (void)
{
  for (int i = 0; i < ACTIVE_SPIN_CNT; i++)
    cpu_relax ();
}

int64_t
weft_sync_nanotime (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}
