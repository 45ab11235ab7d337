/* select.c — weft_select() (Go's select.go). Channels themselves are in
 * chan.c; read its invariants first.
 *
 * A select runs in three passes over its cases, with every channel
 * involved locked:
 *  1. In a random order (fairness), look for a case that can proceed now:
 *     a waiting counterpart, buffered data or room, or a closed channel.
 *  2. If none and the select blocks, put one sudog per case on its
 *     channel's queue (is_select set, case_index the case), chain them on
 *     G.waiting in lock order and park; selparkcommit() drops the locks.
 *  3. Once woken, lock everything again and take the sudogs of the other
 *     cases off their queues.
 *
 * Invariants:
 *  Channels are locked in ascending address order (runtime.h's lock
 *  order), each once even when several cases share it.
 *
 *  Between pass 2 and pass 3 exactly one case fires: a waker takes a
 *  select's sudog only after winning the CAS of G.select_done from 0 to 1
 *  (weft_waitq_dequeue); later wakers skip that G's sudogs. select_done
 *  goes back to 0 in pass 3, under all the locks, once none of the G's
 *  sudogs is reachable from a queue any more.
 *
 *  G.waiting lists the sudogs in lock order, so selparkcommit() can
 *  release each lock after the last sudog of that channel without
 *  touching the select's frame (the goroutine may already be running
 *  elsewhere once the first lock is dropped).
 */
#include "chan.h"

#include <stdlib.h>

/* Selects up to this many cases keep their poll and lock orders on the
 * stack; larger ones malloc them. */
#define SELECT_STACK_CASES 64

static inline uintptr_t
case_key (const WeftSelectCase *cases, int32_t i)
{
  return (uintptr_t) cases[i].chan;
}

/* Sorts the cases of @pollorder by channel address into @lockorder.
 * Heap sort: n log n whatever the input, no recursion and no extra
 * memory. Inserting in poll order means cases on the same channel end up
 * in a random relative order, so none is favoured when woken in pass 2. */
static void
sort_lockorder (const WeftSelectCase *cases, const int32_t *pollorder, int32_t *lockorder, int n)
{
  /* Build a max-heap, sifting each new case up. */
  for (int i = 0; i < n; i++)
    {
      int32_t   o = pollorder[i];
      uintptr_t key = case_key (cases, o);
      int       j = i;

      while (j > 0 && case_key (cases, lockorder[(j - 1) / 2]) < key)
        {
          lockorder[j] = lockorder[(j - 1) / 2];
          j = (j - 1) / 2;
        }
      lockorder[j] = o;
    }

  /* Repeatedly move the maximum to the end and sift the displaced last
   * element down from the root of the shrunk heap. */
  for (int i = n - 1; i > 0; i--)
    {
      int32_t   o = lockorder[i];
      uintptr_t key = case_key (cases, o);
      int       j = 0;

      lockorder[i] = lockorder[0];
      for (;;)
        {
          int k = 2 * j + 1;

          if (k >= i)
            break;
          if (k + 1 < i && case_key (cases, lockorder[k]) < case_key (cases, lockorder[k + 1]))
            k++;
          if (key >= case_key (cases, lockorder[k]))
            break;
          lockorder[j] = lockorder[k];
          j = k;
        }
      lockorder[j] = o;
    }
}

static void
sellock (const WeftSelectCase *cases, const int32_t *lockorder, int n)
{
  WeftChan *last = NULL;

  for (int i = 0; i < n; i++)
    {
      WeftChan *c = cases[lockorder[i]].chan;

      if (c != last)
        weft_lock (&c->lock);
      last = c;
    }
}

static void
selunlock (const WeftSelectCase *cases, const int32_t *lockorder, int n)
{
  for (int i = n - 1; i >= 0; i--)
    {
      WeftChan *c = cases[lockorder[i]].chan;

      if (i > 0 && c == cases[lockorder[i - 1]].chan)
        continue; /* unlocked with its first occurrence */
      weft_unlock (&c->lock);
    }
}

/* gopark's unlockf, on g0 once the goroutine is saved: drops every lock
 * taken by sellock(). Reads only G.waiting (in lock order) and each sudog
 * before its channel is unlocked, never the select's frame. */
static bool
selparkcommit (G *gp, void *arg)
{
  WeftChan *lastc = NULL;

  (void) arg;
  for (Sudog *sg = gp->waiting; sg != NULL; sg = sg->waitlink)
    {
      /* Unlock a channel only past its last sudog: once unlocked, its
       * sudogs may be taken by a waker. */
      if (sg->c != lastc && lastc != NULL)
        weft_unlock (&lastc->lock);
      lastc = sg->c;
    }
  if (lastc != NULL)
    weft_unlock (&lastc->lock);
  return true;
}

static int
selectgo (WeftSelectCase *cases, int32_t *pollorder, int32_t *lockorder, int ncases, bool block)
{
  WeftChan *c;
  WeftChan *wait_obj = NULL;
  Sudog    *sg, *won, **nextp;
  G        *gp;
  int       n = 0;
  int       casi;
  bool      success;

  /* The poll order: a uniform random permutation of the cases that have
   * a channel (inside-out Fisher-Yates). */
  for (int i = 0; i < ncases; i++)
    {
      uint32_t j;

      if (cases[i].chan == NULL)
        continue;
      if (unlikely (cases[i].dir != WEFT_SELECT_SEND && cases[i].dir != WEFT_SELECT_RECV))
        weft_panic ("weft_select: case %d has an invalid direction %d", i, (int) cases[i].dir);
      if (wait_obj == NULL)
        wait_obj = cases[i].chan;
      j = weft_randn ((uint32_t) n + 1);
      pollorder[n] = pollorder[j];
      pollorder[j] = i;
      n++;
    }

  if (n == 0)
    {
      if (!block)
        return -1;
      weft_gopark (NULL, NULL, WEFT_WAIT_SELECT_NO_CASES, NULL);
      weft_throw ("runtime: unreachable: woken from a select with no cases");
    }

  sort_lockorder (cases, pollorder, lockorder, n);
  sellock (cases, lockorder, n);

  /* Pass 1: is a case ready now? */
  for (int k = 0; k < n; k++)
    {
      WeftSelectCase *cas;

      casi = pollorder[k];
      cas = &cases[casi];
      c = cas->chan;

      if (cas->dir == WEFT_SELECT_RECV)
        {
          if ((sg = weft_waitq_dequeue (&c->sendq)) != NULL)
            {
              gp = weft_chan_recv_from (c, sg, cas->elem);
              selunlock (cases, lockorder, n);
              weft_goready (gp);
              cas->ok = true;
              return casi;
            }
          if (atomic_load_explicit (&c->qcount, memory_order_relaxed) > 0)
            {
              weft_chan_buf_take (c, cas->elem);
              selunlock (cases, lockorder, n);
              cas->ok = true;
              return casi;
            }
          if (atomic_load_explicit (&c->closed, memory_order_relaxed))
            {
              selunlock (cases, lockorder, n);
              weft_chan_elem_clear (c, cas->elem);
              cas->ok = false;
              return casi;
            }
        }
      else
        {
          if (atomic_load_explicit (&c->closed, memory_order_relaxed))
            {
              selunlock (cases, lockorder, n);
              weft_chan_panic_send_closed ();
            }
          if ((sg = weft_waitq_dequeue (&c->recvq)) != NULL)
            {
              gp = weft_chan_send_to (c, sg, cas->elem);
              selunlock (cases, lockorder, n);
              weft_goready (gp);
              return casi;
            }
          if (atomic_load_explicit (&c->qcount, memory_order_relaxed) < c->dataqsiz)
            {
              weft_chan_buf_put (c, cas->elem);
              selunlock (cases, lockorder, n);
              return casi;
            }
        }
    }

  if (!block)
    {
      selunlock (cases, lockorder, n);
      return -1;
    }

  /* Pass 2: queue on every channel, in lock order, and park. */
  gp = weft_getg ();
  if (unlikely (gp == NULL))
    weft_panic ("blocking select outside a goroutine");
  if (unlikely (gp->waiting != NULL))
    weft_throw ("runtime: select: gp->waiting != NULL");
  nextp = &gp->waiting;
  for (int k = 0; k < n; k++)
    {
      casi = lockorder[k];
      c = cases[casi].chan;
      sg = weft_acquire_sudog ();
      sg->g = gp;
      sg->is_select = true;
      sg->case_index = casi;
      sg->elem = cases[casi].elem;
      sg->c = c;
      sg->success = false;
      sg->waitlink = NULL;
      *nextp = sg;
      nextp = &sg->waitlink;
      if (cases[casi].dir == WEFT_SELECT_SEND)
        weft_waitq_enqueue (&c->sendq, sg);
      else
        weft_waitq_enqueue (&c->recvq, sg);
    }
  gp->param = NULL;
  weft_gopark (selparkcommit, NULL, WEFT_WAIT_SELECT, wait_obj);

  /* Pass 3: the waker left the winning sudog in param. Take the others
   * off their queues (they would pile up on quiet channels), under the
   * locks since other goroutines may be walking those queues. */
  sellock (cases, lockorder, n);
  atomic_store_explicit (&gp->select_done, 0, memory_order_relaxed);
  won = gp->param;
  gp->param = NULL;
  casi = -1;
  success = false;
  sg = gp->waiting;
  gp->waiting = NULL;
  for (int k = 0; k < n; k++)
    {
      Sudog  *next = sg->waitlink;
      int32_t i = lockorder[k];

      if (sg == won)
        {
          /* The waker already dequeued it. */
          casi = i;
          success = sg->success;
        }
      else if (cases[i].dir == WEFT_SELECT_SEND)
        weft_waitq_remove (&cases[i].chan->sendq, sg);
      else
        weft_waitq_remove (&cases[i].chan->recvq, sg);
      weft_chan_release_sudog (sg);
      sg = next;
    }
  selunlock (cases, lockorder, n);

  if (unlikely (casi < 0))
    weft_throw ("runtime: selectgo: bad wakeup");
  if (cases[casi].dir == WEFT_SELECT_SEND)
    {
      if (!success)
        weft_chan_panic_send_closed ();
    }
  else
    cases[casi].ok = success;
  return casi;
}

int
weft_select (WeftSelectCase *cases, int n, bool block)
{
  int32_t  stack_order[2 * SELECT_STACK_CASES];
  int32_t *order = stack_order;
  int      r;

  if (unlikely (n < 0))
    weft_panic ("weft_select: negative number of cases %d", n);
  if (n > SELECT_STACK_CASES)
    {
      order = malloc (2 * (size_t) n * sizeof *order);
      if (order == NULL)
        weft_throw ("runtime: out of memory in select (%d cases)", n);
    }
  r = selectgo (cases, order, order + n, n, block);
  if (order != stack_order)
    free (order);
  return r;
}
