/* netpoll.c — the network poller: goroutines wait for fd readiness
 * without holding a thread (Go's netpoll.go).
 *
 * Porting contract: a backend (netpoll-epoll.c here) provides
 *   weft_netpoll_backend_init()   create the poller and its break fd;
 *   weft_netpoll_backend_open()   register an fd, edge-triggered, for
 *                                 read and write readiness, with the
 *                                 pollDesc as user data;
 *   weft_netpoll_backend_close()  unregister it;
 *   weft_netpoll(delay)           wait up to @delay ns (< 0: forever,
 *                                 0: poll) and call weft_netpoll_ready()
 *                                 for each event; return the goroutines
 *                                 it readied;
 *   weft_netpoll_break()          make a blocked weft_netpoll() return.
 *
 * A pollDesc has one read and one write slot. Each is NULL (nothing
 * happened), PD_READY (readiness arrived with nobody waiting: the next
 * wait returns at once, as edge-triggered readiness must not be lost) or
 * the goroutine parked on it. Readiness, a deadline timer and close all
 * race to empty a slot under pd->lock; whoever takes the goroutine out
 * readies it, so it is readied exactly once and learns why from
 * gp->param.
 *
 * A pollDesc is reference counted: the socket table holds one reference
 * and every call in progress another, so closing a socket that another
 * goroutine is about to wait on cannot free it under that goroutine.
 *
 * Invariants: a goroutine is in a slot only while parked (it is stored
 * under pd->lock, which gopark's unlockf releases after it is parked).
 * netpoll_waiters counts goroutines in slots: deadlock detection must not
 * fire while I/O can still wake someone.
 */
#include "netpoll.h"

#include "trace.h"

#include <errno.h>
#include <stdlib.h>

#define PD_READY ((G *) 1)

/* Why a parked goroutine was woken, passed in gp->param. */
#define WAKE_READY ((void *) 1)
#define WAKE_TIMEOUT ((void *) 2)
#define WAKE_CLOSED ((void *) 3)

struct WeftPollDesc
{
  WeftLock lock;
  _Atomic int32_t refs; /* the socket table's, plus one per call in progress */
  int fd;
  bool closing;  /* lock */
  G *rg;         /* lock */
  G *wg;         /* lock */
  Timer *rt;     /* deadline timers: lock */
  Timer *wt;
};

static _Atomic int32_t netpoll_waiters;

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
  WeftPollDesc *pd = calloc (1, sizeof *pd);

  if (pd == NULL)
    {
      errno = ENOMEM;
      return NULL;
    }
  pd->fd = fd;
  atomic_store (&pd->refs, 1);
  if (weft_netpoll_backend_open (fd, pd) != 0)
    {
      int err = errno;
      free (pd);
      errno = err;
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
  if (deadline != NULL && why != WAKE_TIMEOUT)
    weft_timer_impl_del (deadline);
  gp->param = why;
  atomic_fetch_sub (&netpoll_waiters, 1);
  return gp;
}

void
weft_netpoll_ready (WeftPollDesc *pd, int modes, G **list)
{
  G *r = NULL, *w = NULL;

  weft_lock (&pd->lock);
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
  free (pd->rt);
  free (pd->wt);
  free (pd);
}

void
weft_poll_close (WeftPollDesc *pd)
{
  G *r, *w;

  weft_lock (&pd->lock);
  pd->closing = true;
  r = take_waiter (&pd->rg, pd->rt, WAKE_CLOSED, false);
  w = take_waiter (&pd->wg, pd->wt, WAKE_CLOSED, false);
  weft_unlock (&pd->lock);
  if (r != NULL)
    weft_goready (r);
  if (w != NULL)
    weft_goready (w);
  weft_netpoll_backend_close (pd->fd);
  weft_poll_unref (pd);
}

typedef struct
{
  WeftPollDesc *pd;
  G **slot;
} Waiting;

static void
deadline_fired (Timer *t, int64_t now)
{
  Waiting *w = weft_timer_impl_arg (t);
  G *gp;
  (void) now;

  weft_lock (&w->pd->lock);
  gp = take_waiter (w->slot, t, WAKE_TIMEOUT, false);
  weft_unlock (&w->pd->lock);
  if (gp != NULL)
    weft_goready (gp);
}

typedef struct
{
  WeftPollDesc *pd;
  G **slot;
  Timer *timer;
  int64_t deadline;
} ParkArgs;

/* On g0, goroutine parked: publish it in the slot unless readiness or
 * close came first, then arm the deadline. */
static bool
park_on_slot (G *gp, void *arg)
{
  ParkArgs *a = arg;

  if (*a->slot == PD_READY || a->pd->closing || (a->timer != NULL && a->deadline <= weft_nanotime ()))
    {
      if (a->pd->closing)
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
    weft_timer_impl_add (a->timer, a->deadline);
  weft_unlock (&a->pd->lock);
  return true;
}

int
weft_poll_wait (WeftPollDesc *pd, int mode, int64_t deadline, WeftWaitReason reason)
{
  G **slot = mode == 'r' ? &pd->rg : &pd->wg;
  Timer **tp = mode == 'r' ? &pd->rt : &pd->wt;
  Waiting *waiting;
  ParkArgs args = { pd, slot, NULL, deadline };
  G *gp = weft_getg ();
  void *why;

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
