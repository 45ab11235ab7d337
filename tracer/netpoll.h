/* netpoll.h — pollDesc and the contract between netpoll.c and net.c and
 * the platform backend (netpoll-epoll.c). See netpoll.c. */
#pragma once

#include "runtime.h"

typedef struct WeftPollDesc WeftPollDesc;

/* Registers @fd (non-blocking) with the poller; NULL with errno on failure. */
WEFT_HIDDEN WeftPollDesc *weft_poll_open (int fd);
/* References held by the socket table (from weft_poll_open) and by each
 * call using the pollDesc; the last unref frees it. */
WEFT_HIDDEN void weft_poll_ref (WeftPollDesc *pd);
WEFT_HIDDEN void weft_poll_unref (WeftPollDesc *pd);
/* Wakes goroutines blocked on @pd with EBADF, unregisters it and drops
 * the table's reference. The caller closes the fd afterwards. */
WEFT_HIDDEN void weft_poll_close (WeftPollDesc *pd);
/* Parks until @fd is readable ('r') or writable ('w'), or @deadline
 * (absolute weft_nanotime, < 0: none) passes. Returns 0, or an errno:
 * ETIMEDOUT, EBADF (closed meanwhile). */
WEFT_HIDDEN int weft_poll_wait (WeftPollDesc *pd, int mode, int64_t deadline, WeftWaitReason reason);

/* Backend (netpoll-epoll.c). */
WEFT_HIDDEN void weft_netpoll_backend_init (void);
/* @data (index and incarnation of the pollDesc) comes back with events. */
WEFT_HIDDEN int  weft_netpoll_backend_open (int fd, uint64_t data);
WEFT_HIDDEN void weft_netpoll_backend_close (int fd);
/* The pollDesc an event's data names (its incarnation may be over). */
WEFT_HIDDEN WeftPollDesc *weft_poll_lookup_event (uint64_t data);
/* Called by the backend for each readiness event, with @modes a bitmask
 * of 1 (readable) and 2 (writable). Ignores events of an incarnation @seq
 * that is over. Appends goroutines to ready to *list. */
WEFT_HIDDEN void weft_netpoll_ready (WeftPollDesc *pd, uint32_t seq, int modes, G **list);
