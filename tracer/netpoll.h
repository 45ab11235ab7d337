/* netpoll.h — pollDesc and the contract between netpoll.c and net.c and
 * the platform backend (netpoll-epoll.c). See netpoll.c. */
#pragma once

#include "runtime.h"

typedef struct WeftPollDesc WeftPollDesc;

/* Registers @fd (non-blocking) with the poller; NULL with errno on failure. */
WEFT_HIDDEN WeftPollDesc *weft_poll_open (int fd);
/* References held by the socket table (from weft_poll_open) and by each
 * call using the pollDesc; the last unref recycles it. */
WEFT_HIDDEN void weft_poll_ref (WeftPollDesc *pd);
WEFT_HIDDEN void weft_poll_unref (WeftPollDesc *pd);
/* True once weft_poll_close() began: calls holding a reference must not
 * start another system call on the fd. */
WEFT_HIDDEN bool weft_poll_closing (WeftPollDesc *pd);
/* Go's pollDesc close and fd destroy: wakes goroutines blocked on @pd
 * with EBADF, waits (yielding) until no other call holds a reference,
 * unregisters and close(2)s the fd and drops the caller's reference (the
 * socket table's, which the caller took over). The fd is closed only once
 * nobody can issue a system call on it, so its number cannot be reused
 * under a late read. Returns 0 or close(2)'s errno. Goroutine only. */
WEFT_HIDDEN int weft_poll_close (WeftPollDesc *pd);
/* Parks until @fd is readable ('r') or writable ('w'), or @deadline
 * (absolute weft_nanotime, < 0: none) passes. Returns 0, or an errno:
 * ETIMEDOUT, EBADF (closed meanwhile). Does not touch errno. */
WEFT_HIDDEN int weft_poll_wait (WeftPollDesc *pd, int mode, int64_t deadline, WeftWaitReason reason);

/* errno is per thread, a goroutine may resume on another thread after any
 * park, and the compiler may compute errno's address once per function
 * (glibc declares __errno_location const) and keep it across the park:
 * code that can park touches errno only through these two, which are
 * never inlined nor analysed by the caller, so each call looks errno up
 * on the thread it runs on. */
#if defined(__clang__)
#define WEFT_NOIPA __attribute__ ((noinline))
#else
#define WEFT_NOIPA __attribute__ ((noinline, noipa))
#endif
/* The current thread's errno. */
WEFT_HIDDEN int weft_errno_get (void);
/* Sets the current thread's errno to @err; returns -1. */
WEFT_HIDDEN int weft_errno_fail (int err);

/* Backend (netpoll-epoll.c). */
WEFT_HIDDEN void weft_netpoll_backend_init (void);
/* @data (index and incarnation of the pollDesc) comes back with events.
 * Returns 0 or an errno. */
WEFT_HIDDEN int  weft_netpoll_backend_open (int fd, uint64_t data);
WEFT_HIDDEN void weft_netpoll_backend_close (int fd);
/* The pollDesc an event's data names (its incarnation may be over). */
WEFT_HIDDEN WeftPollDesc *weft_poll_lookup_event (uint64_t data);
/* Called by the backend for each readiness event, with @modes a bitmask
 * of 1 (readable) and 2 (writable). Ignores events of an incarnation @seq
 * that is over. Appends goroutines to ready to *list. */
WEFT_HIDDEN void weft_netpoll_ready (WeftPollDesc *pd, uint32_t seq, int modes, G **list);
