/* test-chan.c — channels: unbuffered rendezvous and ordering, buffered
 * FIFO with len/cap and a full buffer blocking, close semantics, nil
 * channels, zero-size and large elements, many producers and consumers
 * across Ps, and the unbuffered ping-pong round trip time.
 *
 * Only the public API is used. "Blocked" is observed from the outside: a
 * goroutine flags before and after the call, and the "after" flag must
 * stay clear while other goroutines yield many times. A broken channel
 * that does not block fails such a check within a few yields; a correct
 * one can never set the flag. Waits are bounded so that a lost wakeup
 * fails a check instead of hanging the test. */
#define _GNU_SOURCE
#include "test-util.h"

#include <weft/weft.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ------------------------------------------------------------------ unbuffered */

typedef struct
{
  WeftChan   *c;
  WeftChan   *done;
  long        n;
  _Atomic int before;
  _Atomic int after;
} SendJob;

static void
send_one (void *arg)
{
  SendJob *j = arg;
  long     v = 42;

  atomic_store (&j->before, 1);
  weft_chan_send (j->c, &v);
  atomic_store (&j->after, 1);
  weft_chan_send (j->done, NULL);
}

static void
send_seq (void *arg)
{
  SendJob *j = arg;

  for (long i = 0; i < j->n; i++)
    weft_chan_send (j->c, &i);
  weft_chan_send (j->done, NULL);
}

static void
test_unbuffered (void)
{
  WeftChan *c = weft_chan_new (sizeof (long), 0);
  WeftChan *done = weft_chan_new (0, 16);
  SendJob   j = { .c = c, .done = done };
  long      v = 0;
  bool      ok = false, in_order = true;

  CHECK_EQ (weft_chan_cap (c), 0, "unbuffered channel has cap 0");
  v = 7;
  CHECK (!weft_chan_try_send (c, &v), "try_send on unbuffered channel without receiver fails");
  CHECK (!weft_chan_try_recv (c, &v, &ok), "try_recv on unbuffered channel without sender fails");

  weft_go (send_one, &j);
  CHECK (wait_for (&j.before, 1), "sender started");
  yield_many ();
  CHECK_EQ (atomic_load (&j.after), 0, "unbuffered send blocks until a receiver comes");
  CHECK_EQ (weft_chan_len (c), 0, "unbuffered channel never holds a value");
  v = 0;
  CHECK (weft_chan_recv (c, &v), "receive from a blocked sender succeeds");
  CHECK_EQ (v, 42, "the blocked sender's value is received");
  CHECK (recv_within (done, NULL, NULL), "the sender is released by the receive");
  CHECK_EQ (atomic_load (&j.after), 1, "the sender returned from send");

  /* Receiver first: a value copied straight into its stack. */
  j.n = 1000;
  weft_go (send_seq, &j);
  for (long i = 0; i < j.n; i++)
    {
      if (!weft_chan_recv (c, &v) || v != i)
        in_order = false;
      if (i % 97 == 0)
        yield_many ();
    }
  CHECK (in_order, "1000 values over an unbuffered channel arrive in order");
  CHECK (recv_within (done, NULL, NULL), "the sequence sender finished");

  weft_chan_free (c);
  weft_chan_free (done);
}

/* A receiver blocks first; try_send then succeeds by handing over. */
typedef struct
{
  WeftChan   *c;
  WeftChan   *done;
  _Atomic int before;
  _Atomic int after;
  long        got;
  bool        ok;
} RecvJob;

static void
recv_one (void *arg)
{
  RecvJob *j = arg;
  long     v = -1;

  atomic_store (&j->before, 1);
  j->ok = weft_chan_recv (j->c, &v);
  j->got = v;
  atomic_store (&j->after, 1);
  weft_chan_send (j->done, NULL);
}

static void
test_try_send_to_waiter (void)
{
  WeftChan *c = weft_chan_new (sizeof (long), 0);
  WeftChan *done = weft_chan_new (0, 1);
  RecvJob   j = { .c = c, .done = done };
  long      v = 99;
  bool      sent = false;
  int64_t   deadline;

  weft_go (recv_one, &j);
  CHECK (wait_for (&j.before, 1), "receiver started");
  yield_many ();
  CHECK_EQ (atomic_load (&j.after), 0, "unbuffered receive blocks until a sender comes");
  /* The receiver may be just about to park: retry until it is queued. */
  deadline = now_ns () + WAIT_NS;
  while (!(sent = weft_chan_try_send (c, &v)) && now_ns () < deadline)
    weft_yield ();
  CHECK (sent, "try_send succeeds once a receiver waits");
  CHECK (recv_within (done, NULL, NULL), "the receiver is released");
  CHECK (j.ok && j.got == 99, "the receiver got the value from try_send");

  weft_chan_free (c);
  weft_chan_free (done);
}

/* ------------------------------------------------------------------ buffered */

static void
test_buffered_fifo (void)
{
  WeftChan *c = weft_chan_new (sizeof (int), 8);
  bool      ok = true, fifo = true, len_ok = true;
  int       v, next_in = 0, next_out = 0;

  CHECK_EQ (weft_chan_cap (c), 8, "cap is the buffer size");
  CHECK_EQ (weft_chan_len (c), 0, "a new channel is empty");
  for (int i = 0; i < 8; i++)
    {
      v = next_in++;
      ok &= weft_chan_try_send (c, &v);
    }
  CHECK (ok, "8 sends fit in a buffer of 8 without blocking");
  CHECK_EQ (weft_chan_len (c), 8, "len counts buffered values");
  v = 1000;
  CHECK (!weft_chan_try_send (c, &v), "try_send on a full buffer fails");
  CHECK_EQ (weft_chan_len (c), 8, "the failed try_send changed nothing");

  for (int i = 0; i < 3; i++)
    {
      weft_chan_recv (c, &v);
      fifo &= v == next_out++;
    }
  CHECK_EQ (weft_chan_len (c), 5, "len drops with each receive");

  /* Walk the ring around several times at changing fill levels. */
  for (int round = 0; round < 200; round++)
    {
      int puts = round % 5, gets = (round * 7) % 5;

      for (int i = 0; i < puts && weft_chan_len (c) < 8; i++)
        {
          v = next_in++;
          weft_chan_send (c, &v);
        }
      for (int i = 0; i < gets && weft_chan_len (c) > 0; i++)
        {
          bool r = false;

          fifo &= weft_chan_try_recv (c, &v, &r) && r;
          fifo &= v == next_out++;
        }
      len_ok &= weft_chan_len (c) == (size_t) (next_in - next_out);
    }
  while (weft_chan_len (c) > 0)
    {
      weft_chan_recv (c, &v);
      fifo &= v == next_out++;
    }
  CHECK (fifo, "buffered values come out in FIFO order across wrap-around");
  CHECK (len_ok, "len tracks sends minus receives");
  CHECK_EQ (next_out, next_in, "every value sent was received");
  weft_chan_free (c);
}

typedef struct
{
  WeftChan   *c;
  WeftChan   *done;
  _Atomic int sent;
  int         n;
} FillJob;

static void
fill_body (void *arg)
{
  FillJob *j = arg;

  for (int i = 0; i < j->n; i++)
    {
      weft_chan_send (j->c, &i);
      atomic_fetch_add (&j->sent, 1);
    }
  weft_chan_send (j->done, NULL);
}

static void
test_full_buffer_blocks (void)
{
  WeftChan *c = weft_chan_new (sizeof (int), 2);
  WeftChan *done = weft_chan_new (0, 1);
  FillJob   j = { .c = c, .done = done, .n = 4 };
  bool      fifo = true;
  int       v;

  weft_go (fill_body, &j);
  CHECK (wait_for (&j.sent, 2), "two sends complete into a buffer of 2");
  yield_many ();
  CHECK_EQ (atomic_load (&j.sent), 2, "the third send blocks on the full buffer");
  CHECK_EQ (weft_chan_len (c), 2, "the full buffer holds 2");

  /* The receive takes the head and the blocked sender's value goes to the
   * tail: still FIFO. */
  weft_chan_recv (c, &v);
  fifo &= v == 0;
  CHECK (wait_for (&j.sent, 3), "a receive releases the blocked sender");
  for (int i = 1; i < 4; i++)
    {
      weft_chan_recv (c, &v);
      fifo &= v == i;
    }
  CHECK (fifo, "values from a blocked sender keep FIFO order");
  CHECK (recv_within (done, NULL, NULL), "the filler finished");
  CHECK_EQ (weft_chan_len (c), 0, "the buffer is drained");
  weft_chan_free (c);
  weft_chan_free (done);
}

/* ------------------------------------------------------------------ close */

static void
test_close_drain (void)
{
  WeftChan *c = weft_chan_new (sizeof (int), 4);
  int       v;
  bool      ok, all = true;

  for (int i = 1; i <= 3; i++)
    weft_chan_send (c, &i);
  weft_chan_close (c);
  CHECK_EQ (weft_chan_len (c), 3, "closing keeps buffered values");
  for (int i = 1; i <= 3; i++)
    {
      v = 0;
      all &= weft_chan_recv (c, &v) && v == i;
    }
  CHECK (all, "buffered values are still received after close, ok=true");
  v = 12345;
  CHECK (!weft_chan_recv (c, &v), "a drained closed channel receives ok=false");
  CHECK_EQ (v, 0, "and zeroes the element");
  v = 12345;
  ok = true;
  CHECK (weft_chan_try_recv (c, &v, &ok), "try_recv on a closed channel succeeds");
  CHECK (!ok, "with ok=false");
  CHECK_EQ (v, 0, "and a zeroed element");
  CHECK (!weft_chan_recv (c, NULL), "receive into NULL on a closed channel works");
  weft_chan_free (c);

  /* A NULL element sends the zero value. */
  c = weft_chan_new (sizeof (int), 1);
  weft_chan_send (c, NULL);
  v = 12345;
  CHECK (weft_chan_recv (c, &v) && v == 0, "sending NULL sends a zero value");
  weft_chan_free (c);

  /* Unbuffered, closed with nobody waiting. */
  c = weft_chan_new (sizeof (double), 0);
  weft_chan_close (c);
  double d = 3.5;
  CHECK (!weft_chan_recv (c, &d) && d == 0.0, "closed unbuffered channel: zero value, ok=false");
  weft_chan_free (c);
}

#define NRECV 16

typedef struct
{
  WeftChan   *c;
  WeftChan   *results;
  _Atomic int started;
} CloseJob;

typedef struct
{
  bool ok;
  long val;
} CloseResult;

static void
close_receiver (void *arg)
{
  CloseJob   *j = arg;
  CloseResult r;

  r.val = 777;
  atomic_fetch_add (&j->started, 1);
  r.ok = weft_chan_recv (j->c, &r.val);
  weft_chan_send (j->results, &r);
}

static void
test_close_wakes_receivers (void)
{
  CloseJob    j = { .c = weft_chan_new (sizeof (long), 0),
                    .results = weft_chan_new (sizeof (CloseResult), NRECV) };
  int         woken = 0;
  bool        all_false = true, all_zero = true;
  CloseResult r;

  for (int i = 0; i < NRECV; i++)
    weft_go (close_receiver, &j);
  CHECK (wait_for (&j.started, NRECV), "16 receivers started");
  yield_many ();
  CHECK_EQ (weft_chan_len (j.results), 0, "receivers on an open empty channel are blocked");
  weft_chan_close (j.c);
  for (int i = 0; i < NRECV; i++)
    {
      if (!recv_within (j.results, &r, NULL))
        break;
      woken++;
      all_false &= !r.ok;
      all_zero &= r.val == 0;
    }
  CHECK_EQ (woken, NRECV, "close wakes every blocked receiver");
  CHECK (all_false, "each woken receiver gets ok=false");
  CHECK (all_zero, "each woken receiver's element is zeroed");
  weft_chan_free (j.c);
  weft_chan_free (j.results);
}

/* ------------------------------------------------------------------ nil channels */

static _Atomic int nil_before, nil_after;

static void
nil_recv_body (void *arg)
{
  long v;

  (void) arg;
  atomic_fetch_add (&nil_before, 1);
  weft_chan_recv (NULL, &v);
  atomic_fetch_add (&nil_after, 1);
}

static void
nil_send_body (void *arg)
{
  long v = 1;

  (void) arg;
  atomic_fetch_add (&nil_before, 1);
  weft_chan_send (NULL, &v);
  atomic_fetch_add (&nil_after, 1);
}

static void
test_nil (void)
{
  long    v = 5;
  bool    ok = true;
  int64_t base = weft_num_goroutine ();

  CHECK (!weft_chan_try_send (NULL, &v), "try_send on a nil channel fails");
  CHECK (!weft_chan_try_recv (NULL, &v, &ok), "try_recv on a nil channel fails");
  CHECK (!ok, "try_recv on a nil channel leaves ok=false");
  CHECK_EQ (v, 5, "try_recv on a nil channel does not touch the element");
  CHECK_EQ (weft_chan_len (NULL), 0, "len of nil is 0");
  CHECK_EQ (weft_chan_cap (NULL), 0, "cap of nil is 0");

  weft_go (nil_recv_body, NULL);
  weft_go (nil_send_body, NULL);
  CHECK (wait_for (&nil_before, 2), "nil channel goroutines started");
  yield_many ();
  yield_many ();
  CHECK_EQ (atomic_load (&nil_after), 0, "send and receive on a nil channel block forever");
  CHECK_EQ (weft_num_goroutine (), base + 2, "the goroutines blocked on nil still exist");
}

/* ------------------------------------------------------------------ element sizes */

typedef struct
{
  WeftChan *c;
  WeftChan *done;
  int       n;
} SignalJob;

static void
signal_body (void *arg)
{
  SignalJob *j = arg;

  for (int i = 0; i < j->n; i++)
    weft_chan_send (j->c, NULL);
  weft_chan_close (j->c);
  weft_chan_send (j->done, NULL);
}

static void
test_zero_size (void)
{
  WeftChan *c = weft_chan_new (0, 3);
  WeftChan *done = weft_chan_new (0, 1);
  SignalJob j = { .n = 500, .done = done };
  bool      ok = false;
  int       got = 0;
  char      canary = 'x';

  CHECK (weft_chan_try_send (c, NULL) && weft_chan_try_send (c, NULL) && weft_chan_try_send (c, NULL),
         "three zero-size sends fit in a buffer of 3");
  CHECK (!weft_chan_try_send (c, NULL), "the fourth does not");
  CHECK_EQ (weft_chan_len (c), 3, "len counts zero-size values");
  CHECK (weft_chan_try_recv (c, &canary, &ok) && ok, "zero-size receive succeeds");
  CHECK_EQ (canary, 'x', "a zero-size receive writes nothing");
  weft_chan_close (c);
  while (weft_chan_recv (c, NULL))
    got++;
  CHECK_EQ (got, 2, "the remaining zero-size values drain after close");
  weft_chan_free (c);

  /* chan struct{} signalling between goroutines. */
  j.c = weft_chan_new (0, 0);
  got = 0;
  weft_go (signal_body, &j);
  while (weft_chan_recv (j.c, NULL))
    got++;
  CHECK_EQ (got, 500, "500 signals over an unbuffered zero-size channel, then close");
  CHECK (recv_within (done, NULL, NULL), "the signaller finished");
  weft_chan_free (j.c);
  weft_chan_free (done);
}

typedef struct
{
  uint64_t words[64]; /* 512 bytes */
} Big;

static void
big_sender (void *arg)
{
  WeftChan *c = arg;
  Big       b;

  for (uint64_t k = 0; k < 100; k++)
    {
      for (int i = 0; i < 64; i++)
        b.words[i] = k * 1000 + i;
      weft_chan_send (c, &b);
    }
  weft_chan_close (c);
}

static void
test_big_elements (void)
{
  bool     intact = true;
  uint64_t k = 0;
  Big      b;

  for (size_t cap = 0; cap <= 3; cap += 3)
    {
      WeftChan *c = weft_chan_new (sizeof (Big), cap);

      k = 0;
      weft_go (big_sender, c);
      while (weft_chan_recv (c, &b))
        {
          for (int i = 0; i < 64; i++)
            intact &= b.words[i] == k * 1000 + i;
          k++;
        }
      CHECK_EQ (k, 100, cap ? "100 512-byte values through a buffer of 3" : "100 512-byte values unbuffered");
      weft_chan_free (c);
    }
  CHECK (intact, "large elements arrive intact");
}

/* ------------------------------------------------------------------ many producers and consumers */

#define NPROD 8
#define NCONS 8
#define PER_PROD 20000
#define NVALUES (NPROD * PER_PROD)

typedef struct
{
  WeftChan        *c;
  WeftChan        *prod_done;
  WeftChan        *cons_done;
  _Atomic uint8_t *seen;
  int              id;
} MPMC;

static MPMC mpmc_jobs[NPROD];

static void
producer (void *arg)
{
  MPMC *j = arg;

  for (int i = 0; i < PER_PROD; i++)
    {
      uint32_t v = (uint32_t) (j->id * PER_PROD + i);

      weft_chan_send (j->c, &v);
    }
  weft_chan_send (j->prod_done, NULL);
}

static void
consumer (void *arg)
{
  MPMC    *j = arg;
  uint64_t sum = 0;
  uint32_t v;

  while (weft_chan_recv (j->c, &v))
    {
      if (v < NVALUES)
        atomic_fetch_add (&j->seen[v], 1);
      sum += v;
    }
  weft_chan_send (j->cons_done, &sum);
}

static void
run_mpmc (size_t cap)
{
  WeftChan        *c = weft_chan_new (sizeof (uint32_t), cap);
  WeftChan        *prod_done = weft_chan_new (0, NPROD);
  WeftChan        *cons_done = weft_chan_new (sizeof (uint64_t), NCONS);
  _Atomic uint8_t *seen = calloc (NVALUES, sizeof *seen);
  uint64_t         total = 0, sum, expect = (uint64_t) NVALUES * (NVALUES - 1) / 2;
  int              once = 0, finished = 0;
  char             name[128];

  for (int i = 0; i < NPROD; i++)
    {
      mpmc_jobs[i] = (MPMC){ c, prod_done, cons_done, seen, i };
      weft_go (producer, &mpmc_jobs[i]);
    }
  for (int i = 0; i < NCONS; i++)
    weft_go (consumer, &mpmc_jobs[0]);
  for (int i = 0; i < NPROD; i++)
    weft_chan_recv (prod_done, NULL);
  weft_chan_close (c);
  for (int i = 0; i < NCONS; i++)
    if (recv_within (cons_done, &sum, NULL))
      {
        total += sum;
        finished++;
      }
  for (int i = 0; i < NVALUES; i++)
    once += atomic_load (&seen[i]) == 1;

  snprintf (name, sizeof name, "cap %zu: all %d consumers see the close", cap, NCONS);
  CHECK_EQ (finished, NCONS, name);
  snprintf (name, sizeof name, "cap %zu: each of %d values received exactly once", cap, NVALUES);
  CHECK_EQ (once, NVALUES, name);
  snprintf (name, sizeof name, "cap %zu: checksum of received values", cap);
  CHECK_EQ (total, expect, name);
  free ((void *) seen);
  weft_chan_free (c);
  weft_chan_free (prod_done);
  weft_chan_free (cons_done);
}

static void
test_mpmc (void)
{
  printf ("# %d Ps\n", weft_maxprocs ());
  run_mpmc (0);
  run_mpmc (1);
  run_mpmc (64);
}

/* ------------------------------------------------------------------ ping-pong */

typedef struct
{
  WeftChan *ping;
  WeftChan *pong;
  long      rounds;
} PingPong;

static void
ponger (void *arg)
{
  PingPong *pp = arg;
  long      ball;

  while (weft_chan_recv (pp->ping, &ball))
    {
      ball++;
      weft_chan_send (pp->pong, &ball);
    }
  weft_chan_close (pp->pong);
}

static void
test_pingpong (void)
{
  PingPong pp = { weft_chan_new (sizeof (long), 0), weft_chan_new (sizeof (long), 0), 200000 };
  long     ball = 0;
  bool     ok = true;
  int64_t  t0, ns;

  weft_go (ponger, &pp);
  /* Warm up the sudog caches and the threads. */
  for (int i = 0; i < 1000; i++)
    {
      weft_chan_send (pp.ping, &ball);
      weft_chan_recv (pp.pong, &ball);
    }
  t0 = now_ns ();
  for (long i = 0; i < pp.rounds; i++)
    {
      long before = ball;

      weft_chan_send (pp.ping, &ball);
      ok &= weft_chan_recv (pp.pong, &ball) && ball == before + 1;
    }
  ns = now_ns () - t0;
  weft_chan_close (pp.ping);
  CHECK (!weft_chan_recv (pp.pong, NULL), "the ponger closes pong after ping is closed");
  CHECK (ok, "every round trip increments the ball once");
  printf ("# unbuffered ping-pong: %.0f ns per round trip (%d Ps)\n",
          (double) ns / pp.rounds, weft_maxprocs ());
  /* Not a benchmark gate (CI machines vary), but a round trip costing
   * tens of microseconds means a thread sleeps or a lock is contended on
   * every hand-off. */
  CHECK (ns / pp.rounds < 20000, "a round trip takes less than 20 us");
  weft_chan_free (pp.ping);
  weft_chan_free (pp.pong);
}

/* ------------------------------------------------------------------ main */

static int
real_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  test_unbuffered ();
  test_try_send_to_waiter ();
  test_buffered_fifo ();
  test_full_buffer_blocks ();
  test_close_drain ();
  test_close_wakes_receivers ();
  test_zero_size ();
  test_big_elements ();
  test_mpmc ();
  test_pingpong ();
  test_nil (); /* last: leaves two goroutines blocked forever */
  return tap_done ();
}

int
main (int argc, char **argv)
{
  /* Several Ps even on a small machine, so that producers, consumers and
   * wakeups really race across threads. */
  setenv ("WEFT_MAXPROCS", "4", 0);
  return weft_main (real_main, argc, argv);
}
