/* netpoll-epoll.c — the Linux netpoller backend (see netpoll.c for the
 * contract): one edge-triggered epoll set for every socket, and an
 * eventfd to interrupt a blocked weft_netpoll().
 *
 * Invariants: break_pending is 1 from a weft_netpoll_break() that wrote
 * the eventfd until the poller drains it, so concurrent breaks write once
 * (and a break while nobody polls costs one write, then none). Each
 * socket's epoll data is its pollDesc's index and incarnation (netpoll.c);
 * BREAK_TOKEN, which no pollDesc can have, marks the eventfd.
 */
#define _GNU_SOURCE
#include "netpoll.h"

#include <errno.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

static int         epfd = -1;
static int         break_fd = -1;
static _Atomic int break_pending;
#define BREAK_TOKEN UINT64_MAX /* marks the eventfd's events */
static _Atomic bool have_pwait2 = true;

void
weft_netpoll_backend_init (void)
{
  struct epoll_event ev = { .events = EPOLLIN, .data.u64 = BREAK_TOKEN };

  epfd = epoll_create1 (EPOLL_CLOEXEC);
  if (epfd < 0)
    weft_throw ("runtime: netpoll init failed: epoll_create1: %s", strerror (errno));
  break_fd = eventfd (0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (break_fd < 0)
    weft_throw ("runtime: netpoll init failed: eventfd: %s", strerror (errno));
  if (epoll_ctl (epfd, EPOLL_CTL_ADD, break_fd, &ev) != 0)
    weft_throw ("runtime: netpoll init failed: epoll_ctl: %s", strerror (errno));
}

int
weft_netpoll_backend_open (int fd, uint64_t data)
{
  struct epoll_event ev = { .events = EPOLLIN | EPOLLOUT | EPOLLRDHUP | EPOLLET, .data.u64 = data };
  return epoll_ctl (epfd, EPOLL_CTL_ADD, fd, &ev) == 0 ? 0 : errno;
}

void
weft_netpoll_backend_close (int fd)
{
  struct epoll_event ev = { 0 };
  epoll_ctl (epfd, EPOLL_CTL_DEL, fd, &ev);
}

void
weft_netpoll_break (void)
{
  uint64_t one = 1;
  int      zero = 0;

  if (!atomic_compare_exchange_strong (&break_pending, &zero, 1))
    return;
  if (write (break_fd, &one, sizeof one) < 0 && errno != EAGAIN)
    weft_throw ("runtime: netpoll break: %s", strerror (errno));
}

G *
weft_netpoll (int64_t delay_ns)
{
  struct epoll_event events[128];
  G                 *list = NULL;
  int                timeout, n;

  /* epoll_pwait2 takes nanoseconds: timers wake on time, not on the next
   * millisecond. Kernels before 5.11 lack it; fall back to epoll_wait. */
  if (delay_ns > 0 && atomic_load_explicit (&have_pwait2, memory_order_relaxed))
    {
      struct timespec ts = { delay_ns / 1000000000, delay_ns % 1000000000 };
      n = epoll_pwait2 (epfd, events, 128, &ts, NULL);
      if (n >= 0 || errno != ENOSYS)
        goto got;
      atomic_store_explicit (&have_pwait2, false, memory_order_relaxed);
    }
  if (delay_ns < 0)
    timeout = -1;
  else if (delay_ns == 0)
    timeout = 0;
  else if (delay_ns < 1000000)
    timeout = 1; /* epoll has ms resolution: never busy-loop below it */
  else if (delay_ns < 1000000000000LL)
    timeout = (int) (delay_ns / 1000000);
  else
    timeout = 1000000;

  n = epoll_wait (epfd, events, 128, timeout);
got:
  if (n < 0)
    {
      if (errno != EINTR)
        weft_throw ("runtime: netpoll: epoll_wait: %s", strerror (errno));
      return NULL;
    }
  for (int i = 0; i < n; i++)
    {
      uint32_t e = events[i].events;
      int      modes = 0;

      if (events[i].data.u64 == BREAK_TOKEN)
        {
          uint64_t v;
          if (read (break_fd, &v, sizeof v) < 0 && errno != EAGAIN)
            weft_throw ("runtime: netpoll: eventfd read: %s", strerror (errno));
          atomic_store (&break_pending, 0);
          continue;
        }
      if (e & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        modes |= 1;
      if (e & (EPOLLOUT | EPOLLHUP | EPOLLERR))
        modes |= 2;
      WeftPollDesc *pd = weft_poll_lookup_event (events[i].data.u64);
      if (modes != 0 && pd != NULL)
        weft_netpoll_ready (pd, (uint32_t) events[i].data.u64, modes, &list);
    }
  return list;
}
