/* sema.h — sleep and wakeup for sync.c: semaphores keyed by address,
 * the notify lists behind WeftCond, and the spinning policy of
 * WeftMutex. Internal: nothing here is public. See sema.c for the
 * algorithms, the invariants and how Sudog fields are used.
 */
#pragma once

#include "runtime.h"

/* ------------------------------------------------------------------ semaphores */

/* Waits until *@addr > 0, then decrements it. Blocks only the calling
 * goroutine (parked with @reason and @wait_obj, which the goroutine dump
 * and the tracer show). Waiters on one address are woken in FIFO order;
 * @lifo queues the caller at the head instead (a mutex waiter that was
 * woken and lost the race goes back to the front). Must be called from a
 * goroutine unless it cannot block. */
WEFT_HIDDEN void weft_semacquire (uint32_t      *addr,
                                  bool           lifo,
                                  WeftWaitReason reason,
                                  const void    *wait_obj);

/* Increments *@addr and wakes the first waiter, if any. With @handoff the
 * count goes straight to that waiter, which then runs at once on this P
 * in place of the caller (the caller yields): nobody else can take the
 * semaphore in between. That is the mutex's starvation mode. */
WEFT_HIDDEN void weft_semrelease (uint32_t *addr,
                                  bool      handoff);

/* ------------------------------------------------------------------ notify lists
 * A ticket-based wait list stored in a WeftCond (its wait, notify, head
 * and tail fields). A waiter takes a ticket with weft_notify_list_add()
 * while it still holds the condition's lock, drops that lock, then
 * weft_notify_list_wait()s: a notification sent in between is not lost. */

WEFT_HIDDEN uint32_t weft_notify_list_add (WeftCond *c);
/* Returns at once if ticket @t was notified already; parks otherwise
 * (WEFT_WAIT_COND, wait_obj @c) until it is. */
WEFT_HIDDEN void weft_notify_list_wait (WeftCond *c,
                                        uint32_t  t);
/* Notifies the oldest ticket not yet notified, if any. */
WEFT_HIDDEN void weft_notify_list_notify_one (WeftCond *c);
/* Notifies every ticket handed out so far. */
WEFT_HIDDEN void weft_notify_list_notify_all (WeftCond *c);

/* ------------------------------------------------------------------ spinning and time */

/* Whether a goroutine that found a mutex locked may busy-wait for it a
 * little instead of parking (Go's sync_runtime_canSpin): only for the
 * first few @iter rounds, on a multicore machine, when some other P is
 * running goroutines (the holder may be one of them and about to unlock)
 * and this P has no other work queued. */
WEFT_HIDDEN bool weft_sync_can_spin (int iter);
/* One round of busy-waiting: a few dozen pause instructions. */
WEFT_HIDDEN void weft_sync_do_spin (void);

/* CLOCK_MONOTONIC in ns, for the mutex's starvation threshold. */
WEFT_HIDDEN int64_t weft_sync_nanotime (void);
