/* chan.c — channels: weft_chan_*() (Go's chan.go).
 *
 * A channel is a WeftLock, an optional circular buffer and two FIFOs of
 * blocked goroutines (sudogs): senders waiting for room or a receiver,
 * receivers waiting for a value or a sender. The struct and the helpers
 * select.c needs are in chan.h. Overview of G, park and ready: runtime.h.
 *
 * Invariants:
 *  At least one of c->sendq and c->recvq is empty, except for an
 *  unbuffered channel on which one goroutine blocks in a select with both
 *  a send and a receive case: each queue then holds up to that select's
 *  size of sudogs that cannot match each other.
 *
 *  For buffered channels, also:
 *   c->qcount > 0 implies that c->recvq is empty.
 *   c->qcount < c->dataqsiz implies that c->sendq is empty.
 *
 *  A closed channel has both queues empty (close wakes everyone) and
 *  never gets a sender again (sending panics); receivers drain the
 *  buffer, then get zero values without blocking.
 *
 *  A sudog is on a queue only while its goroutine is parked (or about to
 *  park: it is enqueued under the lock that gopark's unlockf releases, so
 *  nobody can dequeue it before it is parked). Whoever dequeues it owns the
 *  wakeup: it copies the value, sets sg->success and g->param, and after
 *  dropping the channel lock calls weft_goready() exactly once.
 *
 * Locking: every field but the immutables is protected by c->lock. A few
 * words (closed, qcount, the queue heads) are also read without the lock
 * by the non-blocking fast paths, so they are atomics, stored with release
 * under the lock and loaded with acquire outside it. Goroutines are never
 * readied while a channel lock is held: the scheduler's own locks must
 * not nest inside channel locks.
 *
 * Element values are copied with memcpy, so a sudog's elem may point into
 * the blocked goroutine's stack: stacks never move.
 */
#include "chan.h"

#include <stdalign.h>
#include <stdlib.h>

/* The buffer follows the header, aligned for any element type. */
#define CHAN_HDR_SIZE ((sizeof (WeftChan) + alignof (max_align_t) - 1) & ~(alignof (max_align_t) - 1))

WeftChan *
weft_chan_new (size_t elem_size, size_t cap)
{
  WeftChan *c;

  if (cap != 0 && elem_size > (SIZE_MAX - CHAN_HDR_SIZE) / cap)
    weft_panic ("makechan: size out of range");

  c = calloc (1, CHAN_HDR_SIZE + elem_size * cap);
  if (c == NULL)
    weft_throw ("runtime: out of memory allocating a channel (%zu x %zu bytes)", cap, elem_size);
  c->elem_size = elem_size;
  c->dataqsiz = cap;
  c->buf = (unsigned char *) c + CHAN_HDR_SIZE;
  if (cap != 0 && elem_size >= sizeof (void *))
    weft_gc_root_add (&c->gcroot, c->buf, elem_size * cap);
  return c;
}

void
weft_chan_free (WeftChan *c)
{
  bool busy;

  if (c == NULL)
    return;
  /* A sudog still queued here belongs to a goroutine that will touch the
   * channel again (to be woken, or to dequeue itself after a select):
   * freeing now would be a use after free, so refuse loudly. */
  weft_lock (&c->lock);
  busy = weft_waitq_first (&c->recvq) != NULL || weft_waitq_first (&c->sendq) != NULL;
  weft_unlock (&c->lock);
  if (busy)
    weft_panic ("weft_chan_free: goroutines are still blocked on channel %p", (void *) c);
  weft_gc_root_del (&c->gcroot);
  free (c);
}

size_t
weft_chan_len (WeftChan *c)
{
  if (c == NULL)
    return 0;
  return atomic_load_explicit (&c->qcount, memory_order_relaxed);
}

size_t
weft_chan_cap (WeftChan *c)
{
  if (c == NULL)
    return 0;
  return c->dataqsiz;
}

/* ------------------------------------------------------------------ helpers */

void
weft_chan_buf_put (WeftChan *c, const void *ep)
{
  size_t n = atomic_load_explicit (&c->qcount, memory_order_relaxed);

  weft_chan_elem_copy (c, weft_chan_slot (c, c->sendx), ep);
  if (++c->sendx == c->dataqsiz)
    c->sendx = 0;
  atomic_store_explicit (&c->qcount, n + 1, memory_order_release);
}

void
weft_chan_buf_take (WeftChan *c, void *ep)
{
  size_t n = atomic_load_explicit (&c->qcount, memory_order_relaxed);

  /* The slot is not cleared: there is no collector to keep its contents
   * alive, and the next send overwrites it. */
  weft_chan_elem_copy (c, ep, weft_chan_slot (c, c->recvx));
  if (++c->recvx == c->dataqsiz)
    c->recvx = 0;
  atomic_store_explicit (&c->qcount, n - 1, memory_order_release);
}

G *
weft_chan_send_to (WeftChan *c, Sudog *sg, const void *ep)
{
  G *gp = sg->g;

  /* The buffer is empty (a receiver was waiting), so handing the value
   * over directly keeps FIFO order. sg->elem may be in gp's stack. */
  if (sg->elem != NULL)
    {
      weft_chan_elem_copy (c, sg->elem, ep);
      sg->elem = NULL;
    }
  sg->success = true;
  gp->param = sg;
  return gp;
}

G *
weft_chan_recv_from (WeftChan *c, Sudog *sg, void *ep)
{
  G *gp = sg->g;

  if (c->dataqsiz == 0)
    weft_chan_elem_copy (c, ep, sg->elem);
  else
    {
      /* The buffer is full (a sender was waiting). Take its head and put
       * the sender's value at its tail: the same slot. */
      void *qp = weft_chan_slot (c, c->recvx);

      weft_chan_elem_copy (c, ep, qp);
      weft_chan_elem_copy (c, qp, sg->elem);
      if (++c->recvx == c->dataqsiz)
        c->recvx = 0;
      c->sendx = c->recvx;
    }
  sg->elem = NULL;
  sg->success = true;
  gp->param = sg;
  return gp;
}

void
weft_chan_release_sudog (Sudog *sg)
{
  sg->g = NULL;
  sg->next = NULL;
  sg->prev = NULL;
  sg->elem = NULL;
  sg->c = NULL;
  sg->waitlink = NULL;
  sg->is_select = false;
  sg->success = false;
  sg->case_index = 0;
  weft_release_sudog (sg);
}

void
weft_chan_panic_send_closed (void)
{
  weft_panic ("send on closed channel");
}

static G *
chan_blocking_g (void)
{
  G *gp = weft_getg ();

  if (unlikely (gp == NULL))
    weft_panic ("blocking channel operation outside a goroutine");
  return gp;
}

/* Fast-path predicates for the non-blocking operations, without the lock.
 * Each is a single load: true at the moment of the load, maybe no longer
 * by the time it is used; see chan_send() and chan_recv() for why that is
 * enough. */
static inline bool
chan_full (WeftChan *c)
{
  if (c->dataqsiz == 0)
    return atomic_load_explicit (&c->recvq.first, memory_order_acquire) == NULL;
  return atomic_load_explicit (&c->qcount, memory_order_acquire) == c->dataqsiz;
}

static inline bool
chan_empty (WeftChan *c)
{
  if (c->dataqsiz == 0)
    return atomic_load_explicit (&c->sendq.first, memory_order_acquire) == NULL;
  return atomic_load_explicit (&c->qcount, memory_order_acquire) == 0;
}

static inline bool
chan_closed (WeftChan *c)
{
  return atomic_load_explicit (&c->closed, memory_order_acquire) != 0;
}

/* ------------------------------------------------------------------ send */

static bool
chan_send (WeftChan *c, const void *ep, bool block)
{
  Sudog *sg;
  G     *gp;
  bool   closed;

  if (c == NULL)
    {
      if (!block)
        return false;
      weft_gopark (NULL, NULL, WEFT_WAIT_NIL_CHAN_SEND, NULL);
      weft_throw ("runtime: unreachable: woken from a send on a nil channel");
    }

  /* A failed non-blocking send needs no lock. "Not closed" then "full",
   * two separate loads: a closed channel cannot become full again (nobody
   * can send on it), so there was a moment between the loads when the
   * channel was both open and full, and we report what was true then. */
  if (!block && !chan_closed (c) && chan_full (c))
    return false;

  weft_lock (&c->lock);

  if (unlikely (atomic_load_explicit (&c->closed, memory_order_relaxed)))
    {
      weft_unlock (&c->lock);
      weft_chan_panic_send_closed ();
    }

  if ((sg = weft_waitq_dequeue (&c->recvq)) != NULL)
    {
      gp = weft_chan_send_to (c, sg, ep);
      weft_unlock (&c->lock);
      weft_goready (gp);
      return true;
    }

  if (atomic_load_explicit (&c->qcount, memory_order_relaxed) < c->dataqsiz)
    {
      weft_chan_buf_put (c, ep);
      weft_unlock (&c->lock);
      return true;
    }

  if (!block)
    {
      weft_unlock (&c->lock);
      return false;
    }

  /* Block: a receiver (or close) completes the operation for us. */
  gp = chan_blocking_g ();
  sg = weft_acquire_sudog ();
  sg->g = gp;
  sg->elem = (void *) ep; /* only read by the receiver */
  sg->c = c;
  sg->waitlink = NULL;
  sg->is_select = false;
  sg->success = false;
  gp->waiting = sg;
  gp->param = NULL;
  weft_waitq_enqueue (&c->sendq, sg);
  weft_goparkunlock (&c->lock, WEFT_WAIT_CHAN_SEND, c);

  if (unlikely (sg != gp->waiting || gp->param != sg))
    weft_throw ("runtime: chansend: G waiting list is corrupted");
  gp->waiting = NULL;
  gp->param = NULL;
  closed = !sg->success;
  weft_chan_release_sudog (sg);
  if (closed)
    {
      if (unlikely (!chan_closed (c)))
        weft_throw ("runtime: chansend: spurious wakeup");
      weft_chan_panic_send_closed ();
    }
  return true;
}

void
weft_chan_send (WeftChan *c, const void *elem)
{
  chan_send (c, elem, true);
}

bool
weft_chan_try_send (WeftChan *c, const void *elem)
{
  return chan_send (c, elem, false);
}

/* ------------------------------------------------------------------ receive */

/* Returns whether the receive happened; *received is false when it
 * happened because the channel is closed (then *ep was zeroed). */
static bool
chan_recv (WeftChan *c, void *ep, bool block, bool *received)
{
  Sudog *sg;
  G     *gp;

  *received = false;
  if (c == NULL)
    {
      if (!block)
        return false;
      weft_gopark (NULL, NULL, WEFT_WAIT_NIL_CHAN_RECV, NULL);
      weft_throw ("runtime: unreachable: woken from a receive on a nil channel");
    }

  /* A failed non-blocking receive needs no lock. "Empty" then "not
   * closed": a closed channel cannot reopen, so it was open when it was
   * seen empty. If it is closed, look again: a value may have arrived
   * between the two loads (sent, then the channel closed). The acquire
   * load of closed synchronises with the close, which the send preceded,
   * so the second look sees it. */
  if (!block && chan_empty (c))
    {
      if (!chan_closed (c))
        return false;
      if (chan_empty (c))
        {
          weft_chan_elem_clear (c, ep);
          return true;
        }
    }

  weft_lock (&c->lock);

  if (atomic_load_explicit (&c->closed, memory_order_relaxed))
    {
      if (atomic_load_explicit (&c->qcount, memory_order_relaxed) == 0)
        {
          weft_unlock (&c->lock);
          weft_chan_elem_clear (c, ep);
          return true;
        }
      /* Closed but with buffered values: drain them first. */
    }
  else if ((sg = weft_waitq_dequeue (&c->sendq)) != NULL)
    {
      gp = weft_chan_recv_from (c, sg, ep);
      weft_unlock (&c->lock);
      weft_goready (gp);
      *received = true;
      return true;
    }

  if (atomic_load_explicit (&c->qcount, memory_order_relaxed) > 0)
    {
      weft_chan_buf_take (c, ep);
      weft_unlock (&c->lock);
      *received = true;
      return true;
    }

  if (!block)
    {
      weft_unlock (&c->lock);
      return false;
    }

  /* Block: a sender (or close) completes the operation for us, writing
   * straight into *ep. */
  gp = chan_blocking_g ();
  sg = weft_acquire_sudog ();
  sg->g = gp;
  sg->elem = ep;
  sg->c = c;
  sg->waitlink = NULL;
  sg->is_select = false;
  sg->success = false;
  gp->waiting = sg;
  gp->param = NULL;
  weft_waitq_enqueue (&c->recvq, sg);
  weft_goparkunlock (&c->lock, WEFT_WAIT_CHAN_RECV, c);

  if (unlikely (sg != gp->waiting || gp->param != sg))
    weft_throw ("runtime: chanrecv: G waiting list is corrupted");
  gp->waiting = NULL;
  gp->param = NULL;
  *received = sg->success;
  weft_chan_release_sudog (sg);
  return true;
}

bool
weft_chan_recv (WeftChan *c, void *elem)
{
  bool received;

  chan_recv (c, elem, true, &received);
  return received;
}

bool
weft_chan_try_recv (WeftChan *c, void *elem, bool *ok)
{
  bool received;
  bool selected = chan_recv (c, elem, false, &received);

  if (ok != NULL)
    *ok = received;
  return selected;
}

/* ------------------------------------------------------------------ close */

void
weft_chan_close (WeftChan *c)
{
  G     *head = NULL, **tail = &head;
  Sudog *sg;

  if (c == NULL)
    weft_panic ("close of nil channel");

  weft_lock (&c->lock);
  if (atomic_load_explicit (&c->closed, memory_order_relaxed))
    {
      weft_unlock (&c->lock);
      weft_panic ("close of closed channel");
    }
  atomic_store_explicit (&c->closed, 1, memory_order_release);

  /* Every receiver gets a zero value and ok == false; every sender wakes
   * to find success == false and panics. They are collected (linked by
   * schedlink, unused while a G is parked) and readied after unlocking. */
  while ((sg = weft_waitq_dequeue (&c->recvq)) != NULL)
    {
      weft_chan_elem_clear (c, sg->elem);
      sg->elem = NULL;
      sg->success = false;
      sg->g->param = sg;
      sg->g->schedlink = NULL;
      *tail = sg->g;
      tail = &sg->g->schedlink;
    }
  while ((sg = weft_waitq_dequeue (&c->sendq)) != NULL)
    {
      sg->elem = NULL;
      sg->success = false;
      sg->g->param = sg;
      sg->g->schedlink = NULL;
      *tail = sg->g;
      tail = &sg->g->schedlink;
    }
  weft_unlock (&c->lock);

  while (head != NULL)
    {
      G *gp = head;

      head = gp->schedlink;
      gp->schedlink = NULL;
      weft_goready (gp);
    }
}
