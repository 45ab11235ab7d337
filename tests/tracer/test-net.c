/* test-net.c — sockets on the netpoller, client and server goroutines in
 * one process over 127.0.0.1. Runs with WEFT_MAXPROCS=1 so that a
 * goroutine blocking on I/O would stall everything if it held its thread. */
#include "test-util.h"

#include <weft/weft.h>

#include <errno.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- echo: 1 MB in pieces, checksummed */

static void
echo_conn (void *arg)
{
  int     fd = (int) (intptr_t) arg;
  char    buf[4096];
  ssize_t n;

  while ((n = weft_net_read (fd, buf, sizeof buf, 10 * SEC)) > 0)
    if (weft_net_write_all (fd, buf, (size_t) n, 10 * SEC) != n)
      break;
  weft_net_close (fd);
}

static void
echo_server (void *arg)
{
  int lfd = (int) (intptr_t) arg;
  for (;;)
    {
      int fd = weft_net_accept (lfd, -1);
      if (fd < 0)
        return; /* listener closed */
      weft_go (echo_conn, (void *) (intptr_t) fd);
    }
}

#define ECHO_BYTES (1 << 20)
static _Atomic uint64_t echo_sum_back;

static void
echo_reader (void *arg)
{
  int         fd = (int) (intptr_t) arg;
  static char buf[8192];
  size_t      got = 0;
  uint64_t    sum = 0;

  while (got < ECHO_BYTES)
    {
      ssize_t n = weft_net_read (fd, buf, sizeof buf, 10 * SEC);
      if (n <= 0)
        break;
      for (ssize_t i = 0; i < n; i++)
        sum = sum * 31 + (unsigned char) buf[i];
      got += (size_t) n;
    }
  atomic_store (&echo_sum_back, got == ECHO_BYTES ? sum : 1);
}

static void
test_echo (int port)
{
  int         fd = weft_net_dial_tcp ("127.0.0.1", (uint16_t) port, 5 * SEC);
  static char data[ECHO_BYTES];
  uint64_t    sum = 0;

  CHECK (fd >= 0, "dial connects to a listener in the same process");
  for (size_t i = 0; i < ECHO_BYTES; i++)
    {
      data[i] = (char) (i * 7 + i / 255);
      sum = sum * 31 + (unsigned char) data[i];
    }
  /* Read concurrently: the echo would fill both socket buffers otherwise. */
  weft_go (echo_reader, (void *) (intptr_t) fd);
  for (size_t off = 0; off < ECHO_BYTES; off += 10000)
    {
      size_t len = ECHO_BYTES - off < 10000 ? ECHO_BYTES - off : 10000;
      weft_net_write_all (fd, data + off, len, 10 * SEC);
    }
  int64_t start = weft_nanotime ();
  while (atomic_load (&echo_sum_back) == 0 && weft_nanotime () - start < 20 * SEC)
    weft_sleep (MS);
  CHECK (atomic_load (&echo_sum_back) == sum, "1 MB comes back intact through an echo server");
  weft_net_close (fd);
}

/* ---- many concurrent connections */

#define CONNS 200
static _Atomic int conns_ok;

static void
one_request (void *arg)
{
  int  port = (int) (intptr_t) arg;
  int  fd = weft_net_dial_tcp ("127.0.0.1", (uint16_t) port, 5 * SEC);
  char req[32], resp[32];
  int  len;

  if (fd < 0)
    return;
  len = snprintf (req, sizeof req, "hello %lu", (unsigned long) weft_goid ());
  if (weft_net_write_all (fd, req, (size_t) len, 5 * SEC) == len)
    {
      ssize_t got = 0;
      while (got < len)
        {
          ssize_t n = weft_net_read (fd, resp + got, (size_t) (len - got), 5 * SEC);
          if (n <= 0)
            break;
          got += n;
        }
      if (got == len && memcmp (req, resp, (size_t) len) == 0)
        atomic_fetch_add (&conns_ok, 1);
    }
  weft_net_close (fd);
}

static void
test_many_connections (int port)
{
  for (int i = 0; i < CONNS; i++)
    weft_go (one_request, (void *) (intptr_t) port);
  int64_t start = weft_nanotime ();
  while (atomic_load (&conns_ok) < CONNS && weft_nanotime () - start < 20 * SEC)
    weft_sleep (MS);
  CHECK_EQ (atomic_load (&conns_ok), CONNS, "200 concurrent connections each get their own answer");
}

/* ---- deadlines and errors */

static void
test_deadlines (void)
{
  int     lfd = weft_net_listen_tcp ("127.0.0.1", 0, 16);
  int64_t t0 = weft_nanotime ();
  int     fd = weft_net_accept (lfd, 20 * MS);

  CHECK (fd < 0 && errno == ETIMEDOUT, "accept with nobody connecting times out with ETIMEDOUT");
  CHECK (weft_nanotime () - t0 >= 20 * MS, "not before its deadline");

  int  c = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), SEC);
  int  s = weft_net_accept (lfd, SEC);
  char b;
  t0 = weft_nanotime ();
  CHECK (weft_net_read (s, &b, 1, 30 * MS) < 0 && errno == ETIMEDOUT, "a read with a deadline and no data times out");
  CHECK (weft_nanotime () - t0 >= 30 * MS, "not before its deadline");
  weft_net_close (c);
  CHECK_EQ (weft_net_read (s, &b, 1, SEC), 0, "a read after the peer closed returns end of file");
  weft_net_close (s);

  t0 = weft_nanotime ();
  fd = weft_net_accept (lfd, 0);
  CHECK (fd < 0 && errno == ETIMEDOUT, "accept with a zero timeout and nobody connecting fails at once");
  CHECK (weft_nanotime () - t0 < 100 * MS, "at once");

  int port = weft_net_local_port (lfd);
  CHECK_EQ (weft_net_close (lfd), 0, "closing a listener");
  CHECK (weft_net_close (lfd) < 0 && errno == EBADF, "closing it again fails with EBADF");
  CHECK (weft_net_read (lfd, &b, 1, 0) < 0 && errno == EBADF, "reading a closed socket fails with EBADF");
  fd = weft_net_dial_tcp ("127.0.0.1", (uint16_t) port, SEC);
  CHECK (fd < 0 && errno == ECONNREFUSED, "dialing a closed port fails with ECONNREFUSED");
}

/* ---- IPv6 loopback, when the machine has it */

static void
test_ipv6 (void)
{
  int lfd = weft_net_listen_tcp ("::1", 0, 16);

  if (lfd < 0)
    {
      printf ("# no IPv6 loopback (%s): skipped\n", strerror (errno));
      return;
    }
  int  c = weft_net_dial_tcp ("::1", (uint16_t) weft_net_local_port (lfd), SEC);
  int  s = weft_net_accept (lfd, SEC);
  char b = 0;
  CHECK (c >= 0 && s >= 0 && weft_net_write_all (c, "6", 1, SEC) == 1 && weft_net_read (s, &b, 1, SEC) == 1 && b == '6',
         "a byte crosses an IPv6 loopback connection");
  weft_net_close (c);
  weft_net_close (s);
  weft_net_close (lfd);
}

/* ---- deadlines racing readiness
 *
 * Pairs of goroutines: a writer sends a byte at random intervals, a
 * reader reads with random short deadlines and simply retries on
 * ETIMEDOUT. A timeout must never come before its deadline (a deadline
 * timer that lost the race to readiness must not time out the reader's
 * next wait), and no byte may be lost. */
#define STORM_PAIRS 8
#define STORM_BYTES 150
static _Atomic int storm_done;
static _Atomic int storm_early;
static _Atomic int storm_timeouts;
static _Atomic int storm_bad;

static void
storm_writer (void *arg)
{
  int      fd = (int) (intptr_t) arg;
  uint32_t seed = (uint32_t) fd * 2654435761u;

  for (int i = 0; i < STORM_BYTES; i++)
    {
      char b = (char) i;
      seed = seed * 1103515245 + 12345;
      weft_sleep ((int64_t) ((seed >> 16) % 2000) * 1000);
      if (weft_net_write_all (fd, &b, 1, 5 * SEC) != 1)
        atomic_fetch_add (&storm_bad, 1);
    }
}

static void
storm_reader (void *arg)
{
  int      fd = (int) (intptr_t) arg;
  uint32_t seed = (uint32_t) fd * 40503u;
  int      got = 0;

  while (got < STORM_BYTES)
    {
      char    b;
      int64_t timeout, t0 = weft_nanotime ();
      seed = seed * 1103515245 + 12345;
      timeout = (int64_t) (200 + (seed >> 16) % 1800) * 1000;
      ssize_t n = weft_net_read (fd, &b, 1, timeout);
      if (n == 1)
        {
          if (b != (char) got)
            atomic_fetch_add (&storm_bad, 1);
          got++;
        }
      else if (n < 0 && errno == ETIMEDOUT)
        {
          atomic_fetch_add (&storm_timeouts, 1);
          if (weft_nanotime () - t0 < timeout)
            atomic_fetch_add (&storm_early, 1);
        }
      else
        {
          atomic_fetch_add (&storm_bad, 1);
          break;
        }
    }
  atomic_fetch_add (&storm_done, 1);
}

static void
test_deadline_storm (void)
{
  int lfd = weft_net_listen_tcp ("127.0.0.1", 0, 64);
  int fds[2 * STORM_PAIRS];

  for (int i = 0; i < STORM_PAIRS; i++)
    {
      fds[2 * i] = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), SEC);
      fds[2 * i + 1] = weft_net_accept (lfd, SEC);
      weft_go (storm_writer, (void *) (intptr_t) fds[2 * i]);
      weft_go (storm_reader, (void *) (intptr_t) fds[2 * i + 1]);
    }
  int64_t start = weft_nanotime ();
  while (atomic_load (&storm_done) < STORM_PAIRS && weft_nanotime () - start < 20 * SEC)
    weft_sleep (MS);
  CHECK_EQ (atomic_load (&storm_done), STORM_PAIRS, "readers with short deadlines racing a trickle of data finish");
  CHECK_EQ (atomic_load (&storm_bad), 0, "every byte arrives, in order, and no call fails otherwise");
  CHECK_EQ (atomic_load (&storm_early), 0, "no read times out before its deadline");
  printf ("# %d timeouts\n", atomic_load (&storm_timeouts));
  for (int i = 0; i < 2 * STORM_PAIRS; i++)
    weft_net_close (fds[i]);
  weft_net_close (lfd);
}

static _Atomic int blocked_read_result = 1;
static _Atomic int blocked_read_errno;
static _Atomic int blocked_write_result = 1;
static _Atomic int blocked_write_errno;

static void
blocked_reader (void *arg)
{
  char    b;
  ssize_t n = weft_net_read ((int) (intptr_t) arg, &b, 1, -1);
  atomic_store (&blocked_read_errno, errno);
  atomic_store (&blocked_read_result, (int) n);
}

/* Writes until the peer's buffers are full (it never reads), then blocks. */
static void
blocked_writer (void *arg)
{
  static char chunk[64 * 1024];
  int         fd = (int) (intptr_t) arg;
  ssize_t     n;

  while ((n = weft_net_write_all (fd, chunk, sizeof chunk, -1)) > 0)
    ;
  atomic_store (&blocked_write_errno, errno);
  atomic_store (&blocked_write_result, (int) n);
}

static void
test_close_wakes_reader (void)
{
  int lfd = weft_net_listen_tcp ("127.0.0.1", 0, 16);
  int c = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), SEC);
  int s = weft_net_accept (lfd, SEC);

  weft_go (blocked_reader, (void *) (intptr_t) s);
  weft_sleep (10 * MS);
  weft_net_close (s);
  int64_t start = weft_nanotime ();
  while (atomic_load (&blocked_read_result) == 1 && weft_nanotime () - start < 5 * SEC)
    weft_sleep (MS);
  CHECK (atomic_load (&blocked_read_result) == -1 && atomic_load (&blocked_read_errno) == EBADF,
         "closing a socket wakes the goroutine blocked reading it with EBADF");

  /* The same for a writer blocked on a peer that does not read. */
  s = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), SEC);
  int s2 = weft_net_accept (lfd, SEC);
  weft_go (blocked_writer, (void *) (intptr_t) s);
  weft_sleep (50 * MS);
  CHECK (atomic_load (&blocked_write_result) == 1, "a writer to a peer that does not read blocks");
  weft_net_close (s);
  start = weft_nanotime ();
  while (atomic_load (&blocked_write_result) == 1 && weft_nanotime () - start < 5 * SEC)
    weft_sleep (MS);
  CHECK (atomic_load (&blocked_write_result) == -1 && atomic_load (&blocked_write_errno) == EBADF,
         "closing a socket wakes the goroutine blocked writing it with EBADF");
  weft_net_close (s2);
  weft_net_close (c);
  weft_net_close (lfd);
}

/* ---- a slow peer parks only its goroutine (one P) */

static _Atomic int  counter_ticks;
static _Atomic bool counter_stop;

static void
counter (void *arg)
{
  (void) arg;
  while (!atomic_load (&counter_stop))
    {
      atomic_fetch_add (&counter_ticks, 1);
      weft_yield ();
    }
}

static void
test_read_parks_goroutine_only (void)
{
  int  lfd = weft_net_listen_tcp ("127.0.0.1", 0, 16);
  int  c = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), SEC);
  int  s = weft_net_accept (lfd, SEC);
  char b;

  weft_go (counter, NULL);
  /* Blocks 50 ms on a silent peer: the counter must keep running on the
   * only P meanwhile. */
  weft_net_read (s, &b, 1, 50 * MS);
  int ticks = atomic_load (&counter_ticks);
  atomic_store (&counter_stop, true);
  CHECK (weft_maxprocs () == 1, "this test runs on one P");
  CHECK (ticks > 100, "a goroutine blocked on a socket does not hold its thread");
  printf ("# other goroutine ran %d times meanwhile\n", ticks);
  weft_net_close (c);
  weft_net_close (s);
  weft_net_close (lfd);
}

static int
real_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  int lfd = weft_net_listen_tcp ("127.0.0.1", 0, 128);
  CHECK (lfd >= 0 && weft_net_local_port (lfd) > 0, "listen on an ephemeral port");
  weft_go (echo_server, (void *) (intptr_t) lfd);
  test_echo (weft_net_local_port (lfd));
  test_many_connections (weft_net_local_port (lfd));
  test_deadlines ();
  test_ipv6 ();
  test_deadline_storm ();
  test_close_wakes_reader ();
  test_read_parks_goroutine_only ();
  weft_net_close (lfd);
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  setenv ("WEFT_MAXPROCS", "1", 1);
  return weft_main (real_main, argc, argv);
}
