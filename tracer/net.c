/* net.c — TCP sockets on the netpoller: weft_net_*().
 *
 * Every socket is non-blocking and registered with the poller; a call
 * that would block parks the goroutine on the socket's pollDesc until it
 * is ready, its deadline passes (ETIMEDOUT) or another goroutine closes it
 * (EBADF). Name resolution blocks its thread, so it runs between
 * weft_syscall_enter/exit and the P goes on without it.
 *
 * errno: a goroutine may come back from a park on another thread, and the
 * compiler may keep errno's address from before the park (see
 * netpoll.h). So the helpers below return -errno instead of touching it,
 * system call results are read through sysret() (an out-of-line errno
 * read on the current thread), and each public call sets errno once,
 * through weft_errno_fail(), after its last park. getaddrinfo failures
 * map to errno values: EAI_SYSTEM to its errno, EAI_AGAIN to EAGAIN,
 * EAI_MEMORY to ENOMEM, bad arguments (EAI_SERVICE, EAI_FAMILY,
 * EAI_SOCKTYPE, EAI_BADFLAGS) to EINVAL, any other (no such host…) to
 * EHOSTUNREACH.
 *
 * Closing: weft_net_close takes the socket out of the table (no new call
 * can find it), wakes the calls parked on it and waits for the calls in
 * progress to leave before close(2), as Go's fd close does: a call never
 * issues a system call on an fd number the kernel has handed to a newer
 * socket.
 *
 * Invariants: pds[fd] is the pollDesc of a socket made here, NULL
 * otherwise; it is set before the fd is returned to the caller and
 * cleared before the fd is closed, under pds_lock. A call holds a
 * reference on the pollDesc (lookup) for its whole duration and checks
 * weft_poll_closing() before each system call.
 */
#define _GNU_SOURCE
#include "netpoll.h"

#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static WeftLock       pds_lock;
static WeftPollDesc **pds;
static int            npds;

/* A system call's result, or -errno read on the current thread. */
static inline long
sysret (long r)
{
  return r < 0 ? -weft_errno_get () : r;
}

/* Registers the new socket @fd; returns it, or -errno after closing it. */
static int
track (int fd)
{
  WeftPollDesc *pd = weft_poll_open (fd);

  if (pd == NULL)
    {
      int err = weft_errno_get ();
      close (fd);
      return -err;
    }
  weft_lock (&pds_lock);
  if (fd >= npds)
    {
      int n = npds ? npds : 64;
      while (n <= fd)
        n *= 2;
      WeftPollDesc **a = realloc (pds, (size_t) n * sizeof *a);
      if (a == NULL)
        weft_throw ("runtime: out of memory tracking sockets");
      memset (a + npds, 0, (size_t) (n - npds) * sizeof *a);
      pds = a;
      npds = n;
    }
  pds[fd] = pd;
  weft_unlock (&pds_lock);
  return fd;
}

/* The pollDesc of @fd with a reference for the caller (weft_poll_unref
 * when done), or NULL. */
static WeftPollDesc *
lookup (int fd)
{
  WeftPollDesc *pd = NULL;

  weft_lock (&pds_lock);
  if (fd >= 0 && fd < npds)
    pd = pds[fd];
  if (pd != NULL)
    weft_poll_ref (pd);
  weft_unlock (&pds_lock);
  return pd;
}

static int64_t
deadline_of (int64_t timeout_ns)
{
  int64_t now;

  if (timeout_ns < 0)
    return -1;
  now = weft_nanotime ();
  return timeout_ns > INT64_MAX - now ? INT64_MAX : now + timeout_ns;
}

static void
set_nodelay (int fd)
{
  int one = 1;
  setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

/* Resolves @host (NULL or "" with @passive: the wildcard addresses);
 * returns 0 or an errno. */
static int
resolve (const char *host, uint16_t port, bool passive, struct addrinfo **res)
{
  struct addrinfo hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
  char            service[8];
  int             gai, sys_err = 0;

  hints.ai_flags = AI_NUMERICSERV | (passive ? AI_PASSIVE : 0);
  if (host != NULL && host[0] == '\0')
    host = NULL;
  snprintf (service, sizeof service, "%u", port);
  *res = NULL;
  weft_syscall_enter ();
  gai = getaddrinfo (host, service, &hints, res);
  /* Before weft_syscall_exit, which may resume us on another thread. */
  if (gai == EAI_SYSTEM)
    sys_err = weft_errno_get ();
  weft_syscall_exit ();
  switch (gai)
    {
    case 0:
      return 0;
    case EAI_SYSTEM:
      return sys_err != 0 ? sys_err : EIO;
    case EAI_AGAIN:
      return EAGAIN;
    case EAI_MEMORY:
      return ENOMEM;
    case EAI_SERVICE:
    case EAI_FAMILY:
    case EAI_SOCKTYPE:
    case EAI_BADFLAGS:
      return EINVAL;
    default:
      return EHOSTUNREACH;
    }
}

/* ------------------------------------------------------------------ listen */

/* A listening socket on @ai, or -errno. */
static int
listen_on (const struct addrinfo *ai, bool wildcard, int backlog)
{
  int fd = (int) sysret (socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
  int one = 1, zero = 0;

  if (fd < 0)
    return fd;
  setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  /* The IPv6 wildcard also takes IPv4 connections, as Go's ":port". */
  if (wildcard && ai->ai_family == AF_INET6)
    setsockopt (fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof zero);
  if (bind (fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen (fd, backlog > 0 ? backlog : SOMAXCONN) != 0)
    {
      int err = weft_errno_get ();
      close (fd);
      return -err;
    }
  return track (fd);
}

int
weft_net_listen_tcp (const char *host, uint16_t port, int backlog)
{
  struct addrinfo *res;
  bool             wildcard = host == NULL || host[0] == '\0';
  int              fd = -EADDRNOTAVAIL;
  int              err = resolve (host, port, true, &res);

  if (err != 0)
    return weft_errno_fail (err);
  /* Without a host, the dual-stack IPv6 wildcard first; IPv4's if the
   * machine has no IPv6. With a host, its addresses in resolver order. */
  for (int pass = wildcard ? 0 : 1; pass < 2 && fd < 0; pass++)
    for (struct addrinfo *ai = res; ai != NULL && fd < 0; ai = ai->ai_next)
      {
        if (pass == 0 && ai->ai_family != AF_INET6)
          continue;
        if (pass == 1 && wildcard && ai->ai_family == AF_INET6)
          continue;
        fd = listen_on (ai, wildcard, backlog);
      }
  freeaddrinfo (res);
  return fd < 0 ? weft_errno_fail (-fd) : fd;
}

/* ------------------------------------------------------------------ accept, read, write */

static int
accept_on (WeftPollDesc *pd, int lfd, int64_t deadline)
{
  for (;;)
    {
      int fd, err;

      if (weft_poll_closing (pd))
        return -EBADF;
      fd = (int) sysret (accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC));
      if (fd >= 0)
        {
          set_nodelay (fd);
          return track (fd);
        }
      /* A connection reset before we took it is not the listener's error. */
      if (fd == -EINTR || fd == -ECONNABORTED)
        continue;
      if (fd != -EAGAIN)
        return fd;
      err = weft_poll_wait (pd, 'r', deadline, WEFT_WAIT_NET_ACCEPT);
      if (err != 0)
        return -err;
    }
}

static ssize_t
read_on (WeftPollDesc *pd, int fd, void *buf, size_t len, int64_t deadline)
{
  for (;;)
    {
      ssize_t n;
      int     err;

      if (weft_poll_closing (pd))
        return -EBADF;
      weft_gc_prepare_kernel_write (buf, len);
      n = sysret (read (fd, buf, len));
      if (n >= 0)
        return n;
      /* The collector protected the buffer again in between. */
      if (n == -EINTR || (n == -EFAULT && weft_gc_prepare_kernel_write (buf, len)))
        continue;
      if (n != -EAGAIN)
        return n;
      err = weft_poll_wait (pd, 'r', deadline, WEFT_WAIT_NET_READ);
      if (err != 0)
        return -err;
    }
}

static ssize_t
write_on (WeftPollDesc *pd, int fd, const void *buf, size_t len, int64_t deadline)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n;
      int     err;

      if (weft_poll_closing (pd))
        return -EBADF;
      n = sysret (send (fd, (const char *) buf + done, len - done, MSG_NOSIGNAL));
      if (n > 0)
        {
          done += (size_t) n;
          continue;
        }
      if (n == -EINTR)
        continue;
      if (n < 0 && n != -EAGAIN)
        return n;
      err = weft_poll_wait (pd, 'w', deadline, WEFT_WAIT_NET_WRITE);
      if (err != 0)
        return -err;
    }
  return (ssize_t) done;
}

int
weft_net_accept (int lfd, int64_t timeout_ns)
{
  WeftPollDesc *pd = lookup (lfd);
  int           fd;

  if (pd == NULL)
    return weft_errno_fail (EBADF);
  fd = accept_on (pd, lfd, deadline_of (timeout_ns));
  weft_poll_unref (pd);
  return fd < 0 ? weft_errno_fail (-fd) : fd;
}

ssize_t
weft_net_read (int fd, void *buf, size_t len, int64_t timeout_ns)
{
  WeftPollDesc *pd = lookup (fd);
  ssize_t       n;

  if (pd == NULL)
    return weft_errno_fail (EBADF);
  n = read_on (pd, fd, buf, len, deadline_of (timeout_ns));
  weft_poll_unref (pd);
  return n < 0 ? weft_errno_fail ((int) -n) : n;
}

ssize_t
weft_net_write_all (int fd, const void *buf, size_t len, int64_t timeout_ns)
{
  WeftPollDesc *pd = lookup (fd);
  ssize_t       n;

  if (pd == NULL)
    return weft_errno_fail (EBADF);
  n = write_on (pd, fd, buf, len, deadline_of (timeout_ns));
  weft_poll_unref (pd);
  return n < 0 ? weft_errno_fail ((int) -n) : n;
}

/* ------------------------------------------------------------------ dial */

/* Waits for the non-blocking connect on @fd to finish; 0 or an errno. */
static int
connect_wait (int fd, int64_t deadline)
{
  WeftPollDesc *pd = lookup (fd);
  int           err;

  if (pd == NULL)
    return EBADF;
  for (;;)
    {
      struct sockaddr_storage peer;
      socklen_t               len = sizeof err, plen = sizeof peer;

      err = weft_poll_wait (pd, 'w', deadline, WEFT_WAIT_NET_CONNECT);
      if (err != 0)
        break;
      if (getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
        err = weft_errno_get ();
      if (err == EINPROGRESS || err == EALREADY || err == EINTR)
        continue;
      if (err != 0)
        break;
      /* Writability can be stale (a fresh socket is writable before it
       * connects, and that edge may be what woke us): connected only if
       * it has a peer. As Go's netFD.connect. */
      if (getpeername (fd, (struct sockaddr *) &peer, &plen) == 0)
        break;
      err = weft_errno_get ();
      if (err != ENOTCONN)
        break;
    }
  weft_poll_unref (pd);
  return err;
}

/* A connected socket to @ai, or -errno. */
static int
dial_one (const struct addrinfo *ai, int64_t deadline)
{
  int fd = (int) sysret (socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
  int err;

  if (fd < 0)
    return fd;
  fd = track (fd);
  if (fd < 0)
    return fd;
  set_nodelay (fd);
  err = -(int) sysret (connect (fd, ai->ai_addr, ai->ai_addrlen));
  /* After EINTR the connect goes on asynchronously, as after EINPROGRESS. */
  if (err == EINPROGRESS || err == EINTR)
    err = connect_wait (fd, deadline);
  if (err == 0)
    return fd;
  weft_net_close (fd);
  return -err;
}

int
weft_net_dial_tcp (const char *host, uint16_t port, int64_t timeout_ns)
{
  int64_t          deadline = deadline_of (timeout_ns);
  struct addrinfo *res;
  int              fd = -ECONNREFUSED;
  int              err = resolve (host, port, false, &res);

  if (err != 0)
    return weft_errno_fail (err);
  /* Each address in turn, within one deadline for them all. */
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      fd = dial_one (ai, deadline);
      if (fd >= 0 || fd == -ETIMEDOUT)
        break;
    }
  freeaddrinfo (res);
  return fd < 0 ? weft_errno_fail (-fd) : fd;
}

/* ------------------------------------------------------------------ close, port */

int
weft_net_close (int fd)
{
  WeftPollDesc *pd = NULL;
  int           err;

  weft_lock (&pds_lock);
  if (fd >= 0 && fd < npds)
    {
      pd = pds[fd];
      pds[fd] = NULL;
    }
  weft_unlock (&pds_lock);
  if (pd == NULL)
    return weft_errno_fail (EBADF);
  /* The table's reference is ours now; weft_poll_close drops it. */
  err = weft_poll_close (pd);
  return err != 0 ? weft_errno_fail (err) : 0;
}

int
weft_net_local_port (int fd)
{
  struct sockaddr_storage ss;
  socklen_t               len = sizeof ss;

  if (getsockname (fd, (struct sockaddr *) &ss, &len) != 0)
    return -1;
  if (ss.ss_family == AF_INET)
    return ntohs (((struct sockaddr_in *) &ss)->sin_port);
  if (ss.ss_family == AF_INET6)
    return ntohs (((struct sockaddr_in6 *) &ss)->sin6_port);
  return weft_errno_fail (EAFNOSUPPORT);
}
