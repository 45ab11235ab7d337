/* chan.h — the channel structure and the helpers chan.c shares with
 * select.c. Internal: nothing here is public. See chan.c for the
 * invariants and the locking rules.
 */
#pragma once

#include "runtime.h"

#include <stddef.h>
#include <string.h>

/* A FIFO of sudogs. @first is atomic because the lock-free fast paths of
 * the non-blocking operations peek at it (is anybody waiting?); every other
 * access, and every write, is made under the channel's lock. Release
 * stores so that a reader that sees the queue empty also sees what the
 * critical section that emptied it did before (see chan_recv() in chan.c). */
typedef struct
{
  _Atomic (Sudog *) first;
  Sudog            *last;
} WeftWaitQ;

struct _WeftChan
{
  WeftLock         lock;      /* protects everything below but the immutables */
  _Atomic uint32_t closed;    /* 0 or 1; set once under lock, read lock-free */
  _Atomic size_t   qcount;    /* elements in buf; written under lock, read lock-free */
  size_t           dataqsiz;  /* buffer capacity; immutable */
  size_t           elem_size; /* immutable */
  size_t           sendx;     /* next slot to fill; lock */
  size_t           recvx;     /* next slot to drain; lock */
  WeftWaitQ        recvq;     /* blocked receivers; lock */
  WeftWaitQ        sendq;     /* blocked senders; lock */
  unsigned char   *buf;       /* dataqsiz * elem_size bytes after the header; immutable */
  WeftRoot         gcroot;    /* buf, scanned by the collector (elements may be heap pointers) */
};

/* ------------------------------------------------------------------ wait queues */

static inline Sudog *
weft_waitq_first (WeftWaitQ *q)
{
  return atomic_load_explicit (&q->first, memory_order_relaxed);
}

static inline void
weft_waitq_enqueue (WeftWaitQ *q, Sudog *sg)
{
  Sudog *x = q->last;

  sg->next = NULL;
  sg->prev = x;
  if (x == NULL)
    atomic_store_explicit (&q->first, sg, memory_order_release);
  else
    x->next = sg;
  q->last = sg;
}

/* Takes the first sudog whose goroutine can still be woken. A select's
 * sudog sits on several queues; only the waker that wins the CAS on its
 * G's select_done may complete it. Losers are unlinked here and left with
 * next == prev == NULL: the selecting goroutine removes its sudogs itself
 * (weft_waitq_remove) and recognises those already gone. */
static inline Sudog *
weft_waitq_dequeue (WeftWaitQ *q)
{
  for (;;)
    {
      Sudog *sg = atomic_load_explicit (&q->first, memory_order_relaxed);
      Sudog *y;

      if (sg == NULL)
        return NULL;
      y = sg->next;
      if (y == NULL)
        {
          atomic_store_explicit (&q->first, NULL, memory_order_release);
          q->last = NULL;
        }
      else
        {
          y->prev = NULL;
          atomic_store_explicit (&q->first, y, memory_order_release);
          sg->next = NULL;
        }

      if (sg->is_select)
        {
          uint32_t zero = 0;

          if (!atomic_compare_exchange_strong_explicit (&sg->g->select_done, &zero, 1,
                                                        memory_order_acq_rel,
                                                        memory_order_relaxed))
            continue; /* another case of that select already won */
        }
      return sg;
    }
}

/* Unlinks @sg from @q if it is still there (select's pass 3). */
static inline void
weft_waitq_remove (WeftWaitQ *q, Sudog *sg)
{
  Sudog *x = sg->prev;
  Sudog *y = sg->next;

  if (x != NULL)
    {
      x->next = y;
      if (y != NULL)
        y->prev = x;
      else
        q->last = x;
    }
  else if (y != NULL)
    {
      y->prev = NULL;
      atomic_store_explicit (&q->first, y, memory_order_release);
    }
  else if (weft_waitq_first (q) == sg)
    {
      /* Alone in the queue. (prev == next == NULL and not first: a
       * dequeue already took it out.) */
      atomic_store_explicit (&q->first, NULL, memory_order_release);
      q->last = NULL;
    }
  sg->next = NULL;
  sg->prev = NULL;
}

/* ------------------------------------------------------------------ elements */

static inline void *
weft_chan_slot (WeftChan *c, size_t i)
{
  return c->buf + i * c->elem_size;
}

/* Copies one element. A NULL @dst discards it (receive into NULL); a NULL
 * @src is the zero value (send of NULL). */
static inline void
weft_chan_elem_copy (WeftChan *c, void *dst, const void *src)
{
  if (dst == NULL || c->elem_size == 0)
    return;
  if (src == NULL)
    memset (dst, 0, c->elem_size);
  else
    memcpy (dst, src, c->elem_size);
}

static inline void
weft_chan_elem_clear (WeftChan *c, void *dst)
{
  if (dst != NULL && c->elem_size != 0)
    memset (dst, 0, c->elem_size);
}

/* ------------------------------------------------------------------ shared with select.c
 * All take @c locked and leave it locked: the caller unlocks (one channel,
 * or every channel of a select) and only then readies the returned
 * goroutine, since readying a G under a channel lock would nest the
 * scheduler's locks inside it. */

/* Hands @ep to the receiver @sg, already dequeued from c->recvq (so the
 * buffer is empty). Returns the goroutine to ready. */
WEFT_HIDDEN G *weft_chan_send_to (WeftChan *c, Sudog *sg, const void *ep);

/* Takes a value from the sender @sg, already dequeued from c->sendq:
 * directly for an unbuffered channel, otherwise the buffer's head, the
 * sender's value going to the tail (the buffer is full). Returns the
 * goroutine to ready. */
WEFT_HIDDEN G *weft_chan_recv_from (WeftChan *c, Sudog *sg, void *ep);

/* Buffer operations; the caller checked there is room / an element. */
WEFT_HIDDEN void weft_chan_buf_put (WeftChan *c, const void *ep);
WEFT_HIDDEN void weft_chan_buf_take (WeftChan *c, void *ep);

/* Clears the fields chan.c and select.c set and returns @sg to the cache. */
WEFT_HIDDEN void weft_chan_release_sudog (Sudog *sg);

/* The fatal error for a send on a closed channel (a user error: Go's
 * panic(plainError("send on closed channel"))). */
WEFT_HIDDEN _Noreturn void weft_chan_panic_send_closed (void);
