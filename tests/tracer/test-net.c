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

  int port = weft_net_local_port (lfd);
  weft_net_close (lfd);
  fd = weft_net_dial_tcp ("127.0.0.1", (uint16_t) port, SEC);
  CHECK (fd < 0 && errno == ECONNREFUSED, "dialing a closed port fails with ECONNREFUSED");
}

static _Atomic int blocked_read_result = 1;
static _Atomic int blocked_read_errno;

static void
blocked_reader (void *arg)
{
  char    b;
  ssize_t n = weft_net_read ((int) (intptr_t) arg, &b, 1, -1);
  atomic_store (&blocked_read_errno, errno);
  atomic_store (&blocked_read_result, (int) n);
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
