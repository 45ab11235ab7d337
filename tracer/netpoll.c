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
  WeftLock        lock;
  _Atomic int32_t refs;      /* the socket table's, plus one per call in progress */
  uint32_t        index;     /* immutable: its slot in pd_chunks */
  uint32_t        seq;       /* incarnation, bumped at each open: lock */
  WeftPollDesc   *next_free; /* pd_lock */
  int             fd;
  bool            closing; /* lock */
  G              *rg;      /* lock */
  G              *wg;      /* lock */
  Timer          *rt;      /* deadline timers: lock */
  Timer          *wt;
};

static _Atomic int32_t netpoll_waiters;

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

  if (pd == NULL)
    {
      errno = ENOMEM;
      return NULL;
    }
  weft_lock (&pd->lock);
  seq = ++pd->seq;
  pd->fd = fd;
  pd->closing = false;
  pd->rg = NULL;
  pd->wg = NULL;
  weft_unlock (&pd->lock);
  atomic_store (&pd->refs, 1);
  if (weft_netpoll_backend_open (fd, (uint64_t) pd->index << 32 | seq) != 0)
    {
      int err = errno;
      weft_poll_unref (pd);
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
weft_netpoll_ready (WeftPollDesc *pd, uint32_t seq, int modes, G **list)
{
  G *r = NULL, *w = NULL;

  weft_lock (&pd->lock);
  if (pd->seq != seq || pd->closing)
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
  G           **slot;
  uint32_t      seq; /* the incarnation that armed it: lock */
} Waiting;

static void
deadline_fired (Timer *t, int64_t now)
{
  Waiting *w = weft_timer_impl_arg (t);
  G       *gp;
  (void) now;

  weft_lock (&w->pd->lock);
  gp = w->seq == w->pd->seq ? take_waiter (w->slot, t, WAKE_TIMEOUT, false) : NULL;
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
