/* netpoll.c — the network poller: goroutines wait for fd readiness
 * without holding a thread (Go's netpoll.go).
 *
 * Porting contract. A backend (netpoll-epoll.c here) defines:
 *
 *   weft_netpoll_backend_init()  once, from weft_netpoll_init() before any
 *       goroutine runs: create the poller and whatever weft_netpoll_break
 *       needs. Failure is fatal (weft_throw).
 *   weft_netpoll_backend_open(fd, data)  register @fd for read and write
 *       readiness, edge-triggered (an event when the fd becomes ready, not
 *       while it stays ready), hang-up and error counting as both. @data
 *       must come back verbatim with each of the fd's events. Returns 0
 *       or an errno.
 *   weft_netpoll_backend_close(fd)  unregister @fd; called before it is
 *       closed. An event already collected by another thread may still be
 *       delivered afterwards: @data's incarnation number lets
 *       weft_netpoll_ready() drop it.
 *   weft_netpoll(delay)  wait for events: @delay < 0 until one arrives or
 *       weft_netpoll_break(), 0 not at all, > 0 at most about @delay ns
 *       (timers rely on it: waking early is fine, late is not). For each
 *       event it calls weft_poll_lookup_event(data) and
 *       weft_netpoll_ready(); it returns the goroutines those made
 *       runnable (linked by schedlink). It may run on an M without a P,
 *       so it must not call weft_goready(); the scheduler queues the list.
 *       At most one M blocks in it at a time (sched.lastpoll), others may
 *       poll with delay 0 concurrently.
 *   weft_netpoll_break()  make a blocked weft_netpoll() return soon (with
 *       or without goroutines); if none is blocked, the next one returns
 *       at once. Callable from any thread, cheap when repeated.
 *
 * A pollDesc has one read and one write slot. Each is NULL (nothing
 * happened), PD_READY (readiness arrived with nobody waiting: the next
 * wait returns at once, as edge-triggered readiness must not be lost) or
 * the goroutine parked on it. Readiness, a deadline timer and close all
 * race to empty a slot under pd->lock; whoever takes the goroutine out
 * readies it, so it is readied exactly once and learns why from
 * gp->param.
 *
 * Deadlines: each slot has its own runtime timer, created on first use
 * and kept with the pollDesc; it is armed when its goroutine parks and
 * disarmed by whoever takes the goroutine out. A firing that lost that
 * race may still be on its way (its timer function started before the
 * disarm): it finds the slot's armed deadline cleared, or later than now
 * if the goroutine already parked again, and does nothing.
 *
 * A pollDesc is reference counted: the socket table holds one reference
 * and every call in progress another; close waits until the calls are
 * gone before closing the fd, so that a call that looked the socket up
 * never issues a system call on an fd number reused by another socket.
 *
 * Locks: pd->lock is outside every other runtime lock (arming a deadline
 * under it takes a timer's locks and may wake a P, under sched.lock).
 *
 * Invariants: a goroutine is in a slot only while parked (it is stored
 * under pd->lock, which gopark's unlockf releases after it is parked).
 * netpoll_waiters counts goroutines in slots: deadlock detection must not
 * fire while I/O can still wake someone. A slot's Waiting.when is nonzero
 * exactly while its goroutine is parked with a deadline.
 */
#include "netpoll.h"

#include "trace.h"

#include <errno.h>
#include <sched.h>
#include <stdlib.h>
#include <unistd.h>

#define PD_READY ((G *) 1)

/* Why a parked goroutine was woken, passed in gp->param. */
#define WAKE_READY ((void *) 1)
#define WAKE_TIMEOUT ((void *) 2)
#define WAKE_CLOSED ((void *) 3)

struct WeftPollDesc
{
  WeftLock        lock;
  _Atomic int32_t refs;      /* the socket table's, plus one per call in progress */
  uint32_t        index;     /* immutable: its slot in pd_chunks */
  uint32_t        seq;       /* incarnation, bumped at each open: lock */
  WeftPollDesc   *next_free; /* pd_lock */
  int             fd;
  _Atomic bool    closing; /* written under lock; read without by net.c */
  G              *rg;      /* lock */
  G              *wg;      /* lock */
  Timer          *rt;      /* deadline timers: lock */
  Timer          *wt;
};

/* What a deadline timer carries (its weft_timer_impl_arg). */
typedef struct
{
  WeftPollDesc *pd;
  G           **slot;
  uint32_t      seq;  /* the incarnation that armed it: lock */
  int64_t       when; /* the armed deadline, 0 if none: lock */
} Waiting;

static _Atomic int32_t netpoll_waiters;

/* ------------------------------------------------------------------ errno */

WEFT_NOIPA int
weft_errno_get (void)
{
  return errno;
}

WEFT_NOIPA int
weft_errno_fail (int err)
{
  errno = err;
  return -1;
}

/* pollDescs are never freed: an event that epoll returned just before the
 * fd was closed may still be in flight on another thread. Each carries an
 * index (its place here) and a sequence number; epoll's user data holds
 * both, and an event from an earlier incarnation is ignored. */
#define PD_CHUNK 256
#define PD_MAX_CHUNKS 4096
static _Atomic (WeftPollDesc *) pd_chunks[PD_MAX_CHUNKS];
static uint32_t                 pd_count; /* pd_lock */
static WeftPollDesc            *pd_free;  /* pd_lock */
static WeftLock                 pd_lock;

static WeftPollDesc *
pd_alloc (void)
{
  WeftPollDesc *pd;

  weft_lock (&pd_lock);
  pd = pd_free;
  if (pd != NULL)
    pd_free = pd->next_free;
  else
    {
      uint32_t chunk = pd_count / PD_CHUNK;
      if (chunk >= PD_MAX_CHUNKS)
        {
          weft_unlock (&pd_lock);
          return NULL;
        }
      if (pd_count % PD_CHUNK == 0)
        {
          WeftPollDesc *c = calloc (PD_CHUNK, sizeof *c);
          if (c == NULL)
            {
              weft_unlock (&pd_lock);
              return NULL;
            }
          for (uint32_t i = 0; i < PD_CHUNK; i++)
            c[i].index = chunk * PD_CHUNK + i;
          atomic_store (&pd_chunks[chunk], c);
        }
      pd = &atomic_load (&pd_chunks[chunk])[pd_count % PD_CHUNK];
      pd_count++;
    }
  weft_unlock (&pd_lock);
  return pd;
}

WeftPollDesc *
weft_poll_lookup_event (uint64_t data)
{
  uint32_t      index = (uint32_t) (data >> 32);
  WeftPollDesc *chunk = index / PD_CHUNK < PD_MAX_CHUNKS ? atomic_load (&pd_chunks[index / PD_CHUNK]) : NULL;

  return chunk != NULL ? &chunk[index % PD_CHUNK] : NULL;
}

int32_t
weft_netpoll_waiters (void)
{
  return atomic_load (&netpoll_waiters);
}

void
weft_netpoll_init (void)
{
  weft_netpoll_backend_init ();
}

WeftPollDesc *
weft_poll_open (int fd)
{
  WeftPollDesc *pd = pd_alloc ();
  uint32_t      seq;
  int           err;

  if (pd == NULL)
    {
      weft_errno_fail (ENOMEM);
      return NULL;
    }
  weft_lock (&pd->lock);
  seq = ++pd->seq;
  pd->fd = fd;
  atomic_store (&pd->closing, false);
  pd->rg = NULL;
  pd->wg = NULL;
  weft_unlock (&pd->lock);
  atomic_store (&pd->refs, 1);
  err = weft_netpoll_backend_open (fd, (uint64_t) pd->index << 32 | seq);
  if (err != 0)
    {
      weft_poll_unref (pd);
      weft_errno_fail (err);
      return NULL;
    }
  return pd;
}

/* pd->lock held. Takes the goroutine out of a slot (NULL if none waits),
 * telling it why, and disarms its deadline: once woken it touches neither
 * the pollDesc nor its timer again. With @set_ready, readiness that finds
 * nobody waiting is remembered for the next wait. */
static G *
take_waiter (G **slot, Timer *deadline, void *why, bool set_ready)
{
  G *gp = *slot;

  if (gp == PD_READY || gp == NULL)
    {
      if (set_ready)
        *slot = PD_READY;
      return NULL;
    }
  *slot = NULL;
  if (deadline != NULL)
    {
      ((Waiting *) weft_timer_impl_arg (deadline))->when = 0;
      if (why != WAKE_TIMEOUT)
        weft_timer_impl_del (deadline);
    }
  gp->param = why;
  atomic_fetch_sub (&netpoll_waiters, 1);
  return gp;
}

void
weft_netpoll_ready (WeftPollDesc *pd, uint32_t seq, int modes, G **list)
{
  G *r = NULL, *w = NULL;

  weft_lock (&pd->lock);
  if (pd->seq != seq || atomic_load (&pd->closing))
    modes = 0; /* an event for a socket closed since */
  if (modes & 1)
    r = take_waiter (&pd->rg, pd->rt, WAKE_READY, true);
  if (modes & 2)
    w = take_waiter (&pd->wg, pd->wt, WAKE_READY, true);
  weft_unlock (&pd->lock);

  /* The poller may run without a P: hand the goroutines back as a list
   * for the scheduler to queue. */
  if (r != NULL)
    {
      weft_g_make_runnable (r);
      r->schedlink = *list;
      *list = r;
    }
  if (w != NULL)
    {
      weft_g_make_runnable (w);
      w->schedlink = *list;
      *list = w;
    }
}

void
weft_poll_ref (WeftPollDesc *pd)
{
  atomic_fetch_add (&pd->refs, 1);
}

void
weft_poll_unref (WeftPollDesc *pd)
{
  if (atomic_fetch_sub (&pd->refs, 1) != 1)
    return;
  /* Its deadline timers stay with it for the next incarnation. */
  weft_lock (&pd_lock);
  pd->next_free = pd_free;
  pd_free = pd;
  weft_unlock (&pd_lock);
}

bool
weft_poll_closing (WeftPollDesc *pd)
{
  return atomic_load (&pd->closing);
}

int
weft_poll_close (WeftPollDesc *pd)
{
  G  *r, *w;
  int err = 0;

  weft_lock (&pd->lock);
  atomic_store (&pd->closing, true);
  r = take_waiter (&pd->rg, pd->rt, WAKE_CLOSED, false);
  w = take_waiter (&pd->wg, pd->wt, WAKE_CLOSED, false);
  weft_unlock (&pd->lock);
  if (r != NULL)
    weft_goready (r);
  if (w != NULL)
    weft_goready (w);

  /* The other holders are calls that will not park on @pd again (closing
   * is set, under the lock park_on_slot checks it under) and will not
   * start another system call: they are leaving. Go waits on a semaphore;
   * yielding is enough for calls that end within a scheduling round. */
  while (atomic_load (&pd->refs) > 1)
    {
      if (weft_getg () != NULL)
        weft_yield ();
      else
        sched_yield ();
    }
  weft_netpoll_backend_close (pd->fd);
  if (close (pd->fd) != 0)
    err = weft_errno_get ();
  weft_poll_unref (pd);
  return err;
}

static void
deadline_fired (Timer *t, int64_t now)
{
  Waiting *w = weft_timer_impl_arg (t);
  G       *gp = NULL;
  (void) now;

  weft_lock (&w->pd->lock);
  /* A stale firing (see the top of the file) finds when cleared or in
   * the future. */
  if (w->seq == w->pd->seq && w->when != 0 && w->when <= weft_nanotime ())
    gp = take_waiter (w->slot, t, WAKE_TIMEOUT, false);
  weft_unlock (&w->pd->lock);
  if (gp != NULL)
    weft_goready (gp);
}

typedef struct
{
  WeftPollDesc *pd;
  G           **slot;
  Timer        *timer;
  int64_t       deadline;
} ParkArgs;

/* On g0, goroutine parked: publish it in the slot unless readiness or
 * close came first, then arm the deadline. */
static bool
park_on_slot (G *gp, void *arg)
{
  ParkArgs *a = arg;

  if (*a->slot == PD_READY || atomic_load (&a->pd->closing)
      || (a->timer != NULL && a->deadline <= weft_nanotime ()))
    {
      if (atomic_load (&a->pd->closing))
        gp->param = WAKE_CLOSED;
      else if (*a->slot == PD_READY)
        {
          *a->slot = NULL;
          gp->param = WAKE_READY;
        }
      else
        gp->param = WAKE_TIMEOUT;
      weft_unlock (&a->pd->lock);
      return false;
    }
  *a->slot = gp;
  atomic_fetch_add (&netpoll_waiters, 1);
  if (a->timer != NULL)
    {
      ((Waiting *) weft_timer_impl_arg (a->timer))->when = a->deadline;
      weft_timer_impl_add (a->timer, a->deadline);
    }
  weft_unlock (&a->pd->lock);
  return true;
}

int
weft_poll_wait (WeftPollDesc *pd, int mode, int64_t deadline, WeftWaitReason reason)
{
  G      **slot = mode == 'r' ? &pd->rg : &pd->wg;
  Timer  **tp = mode == 'r' ? &pd->rt : &pd->wt;
  Waiting *waiting;
  ParkArgs args = { pd, slot, NULL, deadline };
  G       *gp = weft_getg ();
  void    *why;

  if (gp == NULL)
    weft_throw ("network I/O outside a goroutine");
  if (deadline >= 0 && deadline <= weft_nanotime ())
    return ETIMEDOUT;

  weft_lock (&pd->lock);
  if (deadline >= 0)
    {
      if (*tp == NULL)
        {
          *tp = weft_timer_impl_new (deadline_fired, sizeof (Waiting));
          waiting = weft_timer_impl_arg (*tp);
          waiting->pd = pd;
          waiting->slot = slot;
        }
      waiting = weft_timer_impl_arg (*tp);
      waiting->seq = pd->seq;
      args.timer = *tp;
    }
  gp->param = NULL;
  weft_gopark (park_on_slot, &args, reason, pd);

  why = weft_getg ()->param;
  weft_getg ()->param = NULL;
  if (why == WAKE_TIMEOUT)
    return ETIMEDOUT;
  if (why == WAKE_CLOSED)
    return EBADF;
  return 0;
}
