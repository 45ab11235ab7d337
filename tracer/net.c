/* net.c — TCP sockets on the netpoller: weft_net_*().
 *
 * Every socket is non-blocking and registered with the poller; a call
 * that would block parks the goroutine on the socket's pollDesc until it
 * is ready, its deadline passes (ETIMEDOUT) or another goroutine closes it
 * (EBADF). Name resolution blocks its thread, so it runs between
 * weft_syscall_enter/exit and the P goes on without it.
 *
 * A goroutine may come back from a park on another thread, so errno is
 * set only after the last park of a call.
 *
 * Invariants: pds[fd] is the pollDesc of a socket made here, NULL
 * otherwise; it is set before the fd is returned to the caller and
 * cleared before the fd is closed, under pds_lock.
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

static int
track (int fd)
{
  WeftPollDesc *pd;

  if (fd < 0)
    return -1;
  pd = weft_poll_open (fd);
  if (pd == NULL)
    {
      int err = errno;
      close (fd);
      errno = err;
      return -1;
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
  return timeout_ns < 0 ? -1 : weft_nanotime () + timeout_ns;
}

static struct addrinfo *
resolve (const char *host, uint16_t port, bool passive)
{
  struct addrinfo  hints = { .ai_socktype = SOCK_STREAM, .ai_family = AF_UNSPEC };
  struct addrinfo *res = NULL;
  char             service[8];
  int              err;

  hints.ai_flags = passive ? AI_PASSIVE : 0;
  snprintf (service, sizeof service, "%u", port);
  weft_syscall_enter ();
  err = getaddrinfo (host, service, &hints, &res);
  weft_syscall_exit ();
  if (err != 0)
    {
      errno = err == EAI_SYSTEM ? errno : EHOSTUNREACH;
      return NULL;
    }
  return res;
}

int
weft_net_listen_tcp (const char *host, uint16_t port, int backlog)
{
  struct addrinfo *res = resolve (host, port, true);
  int              fd = -1, err = EADDRNOTAVAIL, one = 1;

  if (res == NULL)
    return -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      fd = socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol);
      if (fd < 0)
        {
          err = errno;
          continue;
        }
      setsockopt (fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
      if (bind (fd, ai->ai_addr, ai->ai_addrlen) == 0 && listen (fd, backlog > 0 ? backlog : SOMAXCONN) == 0)
        break;
      err = errno;
      close (fd);
      fd = -1;
    }
  freeaddrinfo (res);
  if (fd < 0)
    {
      errno = err;
      return -1;
    }
  return track (fd);
}

static int
accept_on (WeftPollDesc *pd, int lfd, int64_t deadline)
{
  for (;;)
    {
      int fd = accept4 (lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
      if (fd >= 0)
        {
          int one = 1;
          setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
          return track (fd);
        }
      if (errno == EINTR || errno == ECONNABORTED)
        continue;
      if (errno != EAGAIN)
        return -1;
      int err = weft_poll_wait (pd, 'r', deadline, WEFT_WAIT_NET_ACCEPT);
      if (err != 0)
        {
          errno = err;
          return -1;
        }
    }
}

int
weft_net_dial_tcp (const char *host, uint16_t port, int64_t timeout_ns)
{
  int64_t          deadline = deadline_of (timeout_ns);
  struct addrinfo *res = resolve (host, port, false);
  int              err = ECONNREFUSED;

  if (res == NULL)
    return -1;
  for (struct addrinfo *ai = res; ai != NULL; ai = ai->ai_next)
    {
      int       fd = track (socket (ai->ai_family, ai->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, ai->ai_protocol));
      socklen_t len = sizeof err;
      int       one = 1;

      if (fd < 0)
        {
          err = errno;
          continue;
        }
      setsockopt (fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
      if (connect (fd, ai->ai_addr, ai->ai_addrlen) == 0)
        {
          freeaddrinfo (res);
          return fd;
        }
      err = errno;
      if (err == EINPROGRESS)
        {
          WeftPollDesc *pd = lookup (fd);
          err = weft_poll_wait (pd, 'w', deadline, WEFT_WAIT_NET_CONNECT);
          weft_poll_unref (pd);
          if (err == 0 && getsockopt (fd, SOL_SOCKET, SO_ERROR, &err, &len) != 0)
            err = errno;
          if (err == 0)
            {
              freeaddrinfo (res);
              return fd;
            }
        }
      weft_net_close (fd);
      if (err == ETIMEDOUT)
        break;
    }
  freeaddrinfo (res);
  errno = err;
  return -1;
}

static ssize_t
read_on (WeftPollDesc *pd, int fd, void *buf, size_t len, int64_t deadline)
{
  for (;;)
    {
      ssize_t n = read (fd, buf, len);
      if (n >= 0)
        return n;
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN)
        return -1;
      int err = weft_poll_wait (pd, 'r', deadline, WEFT_WAIT_NET_READ);
      if (err != 0)
        {
          errno = err;
          return -1;
        }
    }
}

static ssize_t
write_on (WeftPollDesc *pd, int fd, const void *buf, size_t len, int64_t deadline)
{
  size_t done = 0;

  while (done < len)
    {
      ssize_t n = send (fd, (const char *) buf + done, len - done, MSG_NOSIGNAL);
      if (n > 0)
        {
          done += (size_t) n;
          continue;
        }
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0 && errno != EAGAIN)
        return -1;
      int err = weft_poll_wait (pd, 'w', deadline, WEFT_WAIT_NET_WRITE);
      if (err != 0)
        {
          errno = err;
          return -1;
        }
    }
  return (ssize_t) done;
}

/* Calls @op with a referenced pollDesc for @fd. */
#define WITH_PD(fd, ret_type, call)   \
  do                                  \
    {                                 \
      WeftPollDesc *pd = lookup (fd); \
      ret_type      ret;              \
      int           err;              \
      if (pd == NULL)                 \
        {                             \
          errno = EBADF;              \
          return -1;                  \
        }                             \
      ret = call;                     \
      err = errno;                    \
      weft_poll_unref (pd);           \
      errno = err;                    \
      return ret;                     \
    }                                 \
  while (0)

int
weft_net_accept (int lfd, int64_t timeout_ns)
{
  WITH_PD (lfd, int, accept_on (pd, lfd, deadline_of (timeout_ns)));
}

ssize_t
weft_net_read (int fd, void *buf, size_t len, int64_t timeout_ns)
{
  WITH_PD (fd, ssize_t, read_on (pd, fd, buf, len, deadline_of (timeout_ns)));
}

ssize_t
weft_net_write_all (int fd, const void *buf, size_t len, int64_t timeout_ns)
{
  WITH_PD (fd, ssize_t, write_on (pd, fd, buf, len, deadline_of (timeout_ns)));
}

int
weft_net_close (int fd)
{
  WeftPollDesc *pd = NULL;

  weft_lock (&pds_lock);
  if (fd >= 0 && fd < npds)
    {
      pd = pds[fd];
      pds[fd] = NULL;
    }
  weft_unlock (&pds_lock);
  if (pd == NULL)
    {
      errno = EBADF;
      return -1;
    }
  weft_poll_close (pd);
  return close (fd);
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
  errno = EAFNOSUPPORT;
  return -1;
}
