/* test-select.c — weft_select(): the ready case is chosen, the default
 * (non-blocking) form, fairness between ready cases, send and receive
 * cases mixed, the same channel twice, wakeup by close, nil channels,
 * selects of more than 64 cases, and a single winner per select under
 * contention (every value delivered exactly once, no stale sudog left on
 * a channel after a select returns).
 *
 * Public API only; see test-chan.c for how "blocked" is observed. */
#define _GNU_SOURCE
#include "test-util.h"

#include <weft/weft.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* try_send until a receiver (maybe still on its way to park) takes it. */
static bool
send_within (WeftChan *c, const void *elem)
{
  int64_t deadline = now_ns () + WAIT_NS;

  while (!weft_chan_try_send (c, elem))
    {
      if (now_ns () > deadline)
        return false;
      weft_yield ();
    }
  return true;
}

static WeftSelectCase
recv_case (WeftChan *c, void *elem)
{
  return (WeftSelectCase){ .chan = c, .dir = WEFT_SELECT_RECV, .elem = elem };
}

static WeftSelectCase
send_case (WeftChan *c, void *elem)
{
  return (WeftSelectCase){ .chan = c, .dir = WEFT_SELECT_SEND, .elem = elem };
}

/* ------------------------------------------------------------------ ready case, default */

static void
test_ready_and_default (void)
{
  WeftChan      *a = weft_chan_new (sizeof (int), 1);
  WeftChan      *b = weft_chan_new (sizeof (int), 1);
  WeftChan      *full = weft_chan_new (sizeof (int), 1);
  int            va = -1, vb = -1, x = 5, one = 1;
  WeftSelectCase cs[3];
  int            r;
  bool           only_b = true;

  x = 5;
  weft_chan_send (b, &x);
  for (int i = 0; i < 100; i++)
    {
      cs[0] = recv_case (a, &va);
      cs[1] = recv_case (b, &vb);
      r = weft_select (cs, 2, true);
      only_b &= r == 1 && vb == 5 && cs[1].ok;
      weft_chan_send (b, &x);
    }
  CHECK (only_b, "the only ready receive case is always chosen, with its value and ok=true");
  weft_chan_recv (b, NULL);

  va = vb = -1;
  cs[0] = recv_case (a, &va);
  cs[1] = recv_case (b, &vb);
  CHECK_EQ (weft_select (cs, 2, false), -1, "nothing ready, non-blocking: -1 (default)");
  CHECK (va == -1 && vb == -1, "the default case touches no element");

  weft_chan_send (full, &one);
  x = 9;
  cs[0] = send_case (full, &x);
  cs[1] = send_case (a, &x);
  cs[2] = recv_case (b, &vb);
  CHECK_EQ (weft_select (cs, 3, false), 1, "the send case with buffer room is chosen");
  CHECK_EQ (weft_chan_len (a), 1, "and its value was buffered");
  weft_chan_recv (a, &va);
  CHECK_EQ (va, 9, "the value sent by select");
  CHECK_EQ (weft_chan_len (full), 1, "the full channel was not sent to");

  CHECK_EQ (weft_select (NULL, 0, false), -1, "no cases, non-blocking: -1");
  weft_chan_free (a);
  weft_chan_free (b);
  weft_chan_free (full);
}

/* ------------------------------------------------------------------ fairness */

/* Chi-square statistic of @counts against a uniform spread. */
static double
chi2_uniform (const int *counts, int k, int total)
{
  double e = (double) total / k, s = 0;

  for (int i = 0; i < k; i++)
    s += (counts[i] - e) * (counts[i] - e) / e;
  return s;
}

static void
test_fairness (void)
{
  WeftChan      *a = weft_chan_new (sizeof (int), 0);
  WeftChan      *b = weft_chan_new (sizeof (int), 0);
  WeftChan      *q[3];
  int            counts[3] = { 0 }, v;
  WeftSelectCase cs[3];
  double         chi;

  /* Two closed channels: always ready. */
  weft_chan_close (a);
  weft_chan_close (b);
  for (int i = 0; i < 10000; i++)
    {
      cs[0] = recv_case (a, &v);
      cs[1] = recv_case (b, &v);
      counts[weft_select (cs, 2, true)]++;
    }
  printf ("# closed channels: %d / %d\n", counts[0], counts[1]);
  /* sd = 50; |dev| > 400 has probability ~1e-15 for a fair coin. */
  CHECK (abs (counts[0] - 5000) < 400, "two always-ready cases are chosen about 50/50");

  /* Three buffered channels kept non-empty: chi-square, 2 degrees of
   * freedom; P(chi2 > 60) ~ 1e-13. */
  for (int i = 0; i < 3; i++)
    {
      q[i] = weft_chan_new (sizeof (int), 1);
      weft_chan_send (q[i], &i);
      counts[i] = 0;
    }
  for (int i = 0; i < 30000; i++)
    {
      int r;

      for (int k = 0; k < 3; k++)
        cs[k] = recv_case (q[k], &v);
      r = weft_select (cs, 3, true);
      counts[r]++;
      if (v != r)
        counts[0] = -100000; /* wrong value: fail below */
      weft_chan_send (q[r], &r);
    }
  chi = chi2_uniform (counts, 3, 30000);
  printf ("# buffered channels: %d / %d / %d, chi2 %.2f\n", counts[0], counts[1], counts[2], chi);
  CHECK (chi < 60, "three ready buffered cases are chosen uniformly");
  for (int i = 0; i < 3; i++)
    weft_chan_free (q[i]);
  weft_chan_free (a);
  weft_chan_free (b);
}

/* ------------------------------------------------------------------ blocking, mixed directions */

typedef struct
{
  WeftChan   *s; /* the select sends here */
  WeftChan   *r; /* and receives here */
  WeftChan   *done;
  _Atomic int started;
  int         chosen;
  int         got;
  bool        ok;
} MixJob;

static void
mix_selector (void *arg)
{
  MixJob        *j = arg;
  int            out = 111;
  WeftSelectCase cs[2];

  j->got = -1;
  cs[0] = send_case (j->s, &out);
  cs[1] = recv_case (j->r, &j->got);
  atomic_store (&j->started, 1);
  j->chosen = weft_select (cs, 2, true);
  j->ok = cs[1].ok;
  weft_chan_send (j->done, NULL);
}

static void
test_mixed (void)
{
  MixJob j = { .s = weft_chan_new (sizeof (int), 0), .r = weft_chan_new (sizeof (int), 0), .done = weft_chan_new (0, 1) };
  int    v = 222;
  bool   ok;

  /* Woken through the receive case. */
  weft_go (mix_selector, &j);
  CHECK (wait_for (&j.started, 1), "selector started");
  yield_many ();
  CHECK (!weft_chan_try_recv (j.done, NULL, NULL), "a select with nothing ready blocks");
  CHECK (send_within (j.r, &v), "a sender meets the blocked select's receive case");
  CHECK (recv_within (j.done, NULL, NULL), "the select returned");
  CHECK (j.chosen == 1 && j.got == 222 && j.ok, "it chose the receive case with the value");
  CHECK (!weft_chan_try_recv (j.s, &v, &ok), "its send case's sudog was taken off the other channel");

  /* Woken through the send case. */
  atomic_store (&j.started, 0);
  weft_go (mix_selector, &j);
  CHECK (wait_for (&j.started, 1), "selector started again");
  v = 0;
  CHECK (recv_within (j.s, &v, &ok), "a receiver meets the blocked select's send case");
  CHECK_EQ (v, 111, "and receives the select's value");
  CHECK (recv_within (j.done, NULL, NULL), "the select returned");
  CHECK_EQ (j.chosen, 0, "it chose the send case");
  v = 5;
  CHECK (!weft_chan_try_send (j.r, &v), "its receive case's sudog was taken off the other channel");

  weft_chan_free (j.s);
  weft_chan_free (j.r);
  weft_chan_free (j.done);
}

/* A select whose send case meets a blocked plain receiver in pass 1. */
static void
plain_receiver (void *arg)
{
  MixJob *j = arg;

  atomic_store (&j->started, 1);
  j->ok = weft_chan_recv (j->s, &j->got);
  weft_chan_send (j->done, NULL);
}

static void
test_send_to_waiting_receiver (void)
{
  MixJob         j = { .s = weft_chan_new (sizeof (int), 0), .r = weft_chan_new (sizeof (int), 0), .done = weft_chan_new (0, 1) };
  int            out = 31337, in = 0, r;
  WeftSelectCase cs[2];

  weft_go (plain_receiver, &j);
  CHECK (wait_for (&j.started, 1), "plain receiver started");
  yield_many ();
  cs[0] = recv_case (j.r, &in);
  cs[1] = send_case (j.s, &out);
  r = weft_select (cs, 2, true);
  CHECK_EQ (r, 1, "select's send case proceeds with a waiting receiver");
  CHECK (recv_within (j.done, NULL, NULL), "the receiver was woken");
  CHECK (j.ok && j.got == 31337, "and got the select's value");
  weft_chan_free (j.s);
  weft_chan_free (j.r);
  weft_chan_free (j.done);
}

/* ------------------------------------------------------------------ same channel twice */

typedef struct
{
  WeftChan   *c;
  WeftChan   *done;
  _Atomic int started;
  int         chosen;
  int         v0, v1;
} TwiceJob;

static void
twice_selector (void *arg)
{
  TwiceJob      *j = arg;
  WeftSelectCase cs[2];

  j->v0 = j->v1 = -1;
  cs[0] = recv_case (j->c, &j->v0);
  cs[1] = recv_case (j->c, &j->v1);
  atomic_store (&j->started, 1);
  j->chosen = weft_select (cs, 2, true);
  weft_chan_send (j->done, NULL);
}

static void
test_same_channel_twice (void)
{
  WeftChan      *c = weft_chan_new (sizeof (int), 1);
  WeftChan      *u;
  int            v0, v1, x = 7, hits[2] = { 0, 0 };
  bool           one_only = true;
  WeftSelectCase cs[2];

  /* Both cases are ready when the buffer has a value: one fires. */
  for (int i = 0; i < 2000; i++)
    {
      int r;

      weft_chan_send (c, &x);
      v0 = v1 = -1;
      cs[0] = recv_case (c, &v0);
      cs[1] = recv_case (c, &v1);
      r = weft_select (cs, 2, true);
      hits[r]++;
      one_only &= (r == 0 ? v0 == 7 && v1 == -1 : v1 == 7 && v0 == -1) && weft_chan_len (c) == 0;
    }
  CHECK (one_only, "same channel twice: exactly one case receives the value");
  CHECK (hits[0] > 700 && hits[1] > 700, "and either case may fire");

  /* Send and receive on the same buffered channel. */
  x = 3;
  cs[0] = recv_case (c, &v0);
  cs[1] = send_case (c, &x);
  CHECK_EQ (weft_select (cs, 2, false), 1, "empty buffer: the send case of the same channel fires");
  cs[0] = recv_case (c, &v0);
  cs[1] = send_case (c, &x);
  CHECK_EQ (weft_select (cs, 2, false), 0, "full buffer: the receive case of the same channel fires");
  CHECK_EQ (v0, 3, "receiving what the select sent");

  /* Send and receive on the same unbuffered channel cannot meet each
   * other. */
  u = weft_chan_new (sizeof (int), 0);
  cs[0] = recv_case (u, &v0);
  cs[1] = send_case (u, &x);
  CHECK_EQ (weft_select (cs, 2, false), -1, "a select does not rendezvous with itself");

  /* Blocked on two receive cases of one unbuffered channel: one sender,
   * one case fires, and no sudog is left behind. */
  TwiceJob j = { .c = u, .done = weft_chan_new (0, 1) };
  weft_go (twice_selector, &j);
  CHECK (wait_for (&j.started, 1), "selector on the same channel twice started");
  x = 8;
  CHECK (send_within (u, &x), "a sender meets it");
  CHECK (recv_within (j.done, NULL, NULL), "the select returned");
  CHECK ((j.chosen == 0 && j.v0 == 8 && j.v1 == -1) || (j.chosen == 1 && j.v1 == 8 && j.v0 == -1),
         "exactly one of the two cases got the value");
  CHECK (!weft_chan_try_send (u, &x), "no receiver is left queued on the channel");

  weft_chan_free (c);
  weft_chan_free (u);
  weft_chan_free (j.done);
}

/* ------------------------------------------------------------------ close */

typedef struct
{
  WeftChan   *a, *b;
  WeftChan   *done;
  _Atomic int started;
  int         chosen;
  long        va, vb;
  bool        ok;
} CloseSel;

static void
close_selector (void *arg)
{
  CloseSel      *j = arg;
  WeftSelectCase cs[2];

  j->va = j->vb = 99;
  cs[0] = recv_case (j->a, &j->va);
  cs[1] = recv_case (j->b, &j->vb);
  atomic_store (&j->started, 1);
  j->chosen = weft_select (cs, 2, true);
  j->ok = cs[j->chosen].ok;
  weft_chan_send (j->done, NULL);
}

static void
test_woken_by_close (void)
{
  CloseSel j = { .a = weft_chan_new (sizeof (long), 0), .b = weft_chan_new (sizeof (long), 4), .done = weft_chan_new (0, 1) };
  long     v = 1;

  weft_go (close_selector, &j);
  CHECK (wait_for (&j.started, 1), "selector started");
  yield_many ();
  CHECK (!weft_chan_try_recv (j.done, NULL, NULL), "the select blocks on two empty channels");
  weft_chan_close (j.b);
  CHECK (recv_within (j.done, NULL, NULL), "closing one channel wakes the select");
  CHECK_EQ (j.chosen, 1, "the closed channel's case fires");
  CHECK (!j.ok, "with ok=false");
  CHECK_EQ (j.vb, 0, "and a zeroed element");
  CHECK_EQ (j.va, 99, "the other case's element is untouched");
  CHECK (!weft_chan_try_send (j.a, &v), "the select left no receiver on the open channel");
  weft_chan_free (j.a);
  weft_chan_free (j.b);
  weft_chan_free (j.done);
}

/* ------------------------------------------------------------------ nil channels */

static _Atomic int nocase_before, nocase_after;

static void
nocase_body (void *arg)
{
  WeftSelectCase cs[2] = { recv_case (NULL, NULL), send_case (NULL, NULL) };

  atomic_fetch_add (&nocase_before, 1);
  if (arg != NULL)
    weft_select (cs, 2, true);
  else
    weft_select (NULL, 0, true);
  atomic_fetch_add (&nocase_after, 1);
}

static void
test_nil_cases (void)
{
  WeftChan      *c = weft_chan_new (sizeof (int), 1);
  int            v = 4, got = -1;
  bool           always = true;
  WeftSelectCase cs[3];
  int64_t        base = weft_num_goroutine ();

  cs[0] = recv_case (NULL, &got);
  cs[1] = send_case (NULL, &v);
  CHECK_EQ (weft_select (cs, 2, false), -1, "only nil channels with default: -1");
  CHECK_EQ (got, -1, "and nothing is received");

  weft_chan_send (c, &v);
  for (int i = 0; i < 200; i++)
    {
      cs[0] = recv_case (NULL, &got);
      cs[1] = recv_case (c, &got);
      cs[2] = send_case (NULL, &v);
      always &= weft_select (cs, 3, true) == 1 && got == 4;
      weft_chan_send (c, &v);
    }
  CHECK (always, "nil cases are never chosen over a ready one");

  weft_go (nocase_body, NULL);
  weft_go (nocase_body, (void *) &nocase_after); /* any non-NULL: the all-nil form */
  CHECK (wait_for (&nocase_before, 2), "no-case selectors started");
  yield_many ();
  yield_many ();
  CHECK_EQ (atomic_load (&nocase_after), 0, "a blocking select with no cases or only nil ones never returns");
  CHECK_EQ (weft_num_goroutine (), base + 2, "and its goroutine stays alive");
  weft_chan_free (c);
}

/* ------------------------------------------------------------------ many cases */

#define NBIG 100

typedef struct
{
  WeftChan   *chans[NBIG];
  WeftChan   *done;
  _Atomic int started;
  int         chosen;
  int         vals[NBIG];
} BigSel;

static void
big_selector (void *arg)
{
  BigSel        *j = arg;
  WeftSelectCase cs[NBIG];

  for (int i = 0; i < NBIG; i++)
    cs[i] = recv_case (j->chans[i], &j->vals[i]);
  atomic_store (&j->started, 1);
  j->chosen = weft_select (cs, NBIG, true);
  weft_chan_send (j->done, NULL);
}

static void
test_many_cases (void)
{
  BigSel         j = { .done = weft_chan_new (0, 1) };
  WeftSelectCase cs[NBIG];
  int            v = 77, none_left = 1;

  for (int i = 0; i < NBIG; i++)
    j.chans[i] = weft_chan_new (sizeof (int), 1);
  weft_chan_send (j.chans[77], &v);
  for (int i = 0; i < NBIG; i++)
    cs[i] = recv_case (j.chans[i], &j.vals[i]);
  CHECK_EQ (weft_select (cs, NBIG, false), 77, "100 cases: the one ready case is found");
  CHECK_EQ (j.vals[77], 77, "with its value");
  CHECK_EQ (weft_select (cs, NBIG, false), -1, "100 cases, none ready: -1");

  weft_go (big_selector, &j);
  CHECK (wait_for (&j.started, 1), "100-case selector started");
  yield_many ();
  v = 50;
  weft_chan_send (j.chans[50], &v);
  CHECK (recv_within (j.done, NULL, NULL), "a send on one of 100 channels wakes the select");
  CHECK_EQ (j.chosen, 50, "the right case fires");
  CHECK_EQ (j.vals[50], 50, "with the value");
  /* The buffered send found the select's sudog and handed over directly;
   * every other channel must be left with no waiting receiver, which a
   * buffered channel shows as: a send buffers, len 1. */
  for (int i = 0; i < NBIG; i++)
    {
      v = i;
      weft_chan_send (j.chans[i], &v);
      none_left &= weft_chan_len (j.chans[i]) == 1;
    }
  CHECK (none_left, "no stale receivers on the other 99 channels");
  for (int i = 0; i < NBIG; i++)
    weft_chan_free (j.chans[i]);
  weft_chan_free (j.done);
}

/* ------------------------------------------------------------------ contention */

#define NCHAN 3
#define NSEND 6
#define NRECV 6
#define PER_SENDER 20000
#define NVALS (NSEND * PER_SENDER)

typedef struct
{
  WeftChan        *chans[NCHAN];
  WeftChan        *senders_done;
  WeftChan        *receivers_done;
  _Atomic uint8_t *seen;
  _Atomic long     dup;
} Arena;

typedef struct
{
  Arena *a;
  int    id;
} ArenaJob;

static ArenaJob recv_jobs[NRECV];
static ArenaJob send_jobs[NSEND];

/* Sends each of its values through a select over every channel (odd ids)
 * or a plain send on one channel (even ids): selects meet selects and
 * plain operations on both sides. */
static void
arena_sender (void *arg)
{
  ArenaJob      *j = arg;
  WeftSelectCase cs[NCHAN];

  for (int i = 0; i < PER_SENDER; i++)
    {
      uint32_t v = (uint32_t) (j->id * PER_SENDER + i);

      if (j->id % 2)
        {
          for (int k = 0; k < NCHAN; k++)
            cs[k] = send_case (j->a->chans[k], &v);
          weft_select (cs, NCHAN, true);
        }
      else
        weft_chan_send (j->a->chans[i % NCHAN], &v);
    }
  weft_chan_send (j->a->senders_done, NULL);
}

/* Receives through a select over every channel until all are closed,
 * dropping closed ones from the select as a Go loop sets them to nil. */
static void
arena_receiver (void *arg)
{
  ArenaJob      *j = arg;
  WeftSelectCase cs[NCHAN];
  uint32_t       v;
  int            open = NCHAN;
  long           n = 0;

  for (int k = 0; k < NCHAN; k++)
    cs[k] = recv_case (j->a->chans[k], &v);
  while (open > 0)
    {
      int r = weft_select (cs, NCHAN, true);

      if (!cs[r].ok)
        {
          cs[r].chan = NULL;
          open--;
          continue;
        }
      if (v >= NVALS || atomic_fetch_add (&j->a->seen[v], 1) != 0)
        atomic_fetch_add (&j->a->dup, 1);
      n++;
    }
  weft_chan_send (j->a->receivers_done, &n);
}

static void
run_arena (size_t cap)
{
  Arena a = { .senders_done = weft_chan_new (0, NSEND),
              .receivers_done = weft_chan_new (sizeof (long), NRECV) };
  long  total = 0, n;
  int   finished = 0, once = 0;
  char  name[128];

  a.seen = calloc (NVALS, sizeof *a.seen);
  for (int k = 0; k < NCHAN; k++)
    a.chans[k] = weft_chan_new (sizeof (uint32_t), cap);
  for (int i = 0; i < NRECV; i++)
    {
      recv_jobs[i] = (ArenaJob){ &a, i };
      weft_go (arena_receiver, &recv_jobs[i]);
    }
  for (int i = 0; i < NSEND; i++)
    {
      send_jobs[i] = (ArenaJob){ &a, i };
      weft_go (arena_sender, &send_jobs[i]);
    }
  for (int i = 0; i < NSEND; i++)
    weft_chan_recv (a.senders_done, NULL);
  for (int k = 0; k < NCHAN; k++)
    weft_chan_close (a.chans[k]);
  for (int i = 0; i < NRECV; i++)
    if (recv_within (a.receivers_done, &n, NULL))
      {
        total += n;
        finished++;
      }
  for (int i = 0; i < NVALS; i++)
    once += atomic_load (&a.seen[i]) == 1;

  snprintf (name, sizeof name, "cap %zu: every selecting receiver sees all channels close", cap);
  CHECK_EQ (finished, NRECV, name);
  snprintf (name, sizeof name, "cap %zu: %d values delivered, none twice", cap, NVALS);
  CHECK_EQ (total, NVALS, name);
  snprintf (name, sizeof name, "cap %zu: no duplicate deliveries", cap);
  CHECK_EQ (atomic_load (&a.dup), 0, name);
  snprintf (name, sizeof name, "cap %zu: every value received exactly once", cap);
  CHECK_EQ (once, NVALS, name);

  free ((void *) a.seen);
  for (int k = 0; k < NCHAN; k++)
    weft_chan_free (a.chans[k]);
  weft_chan_free (a.senders_done);
  weft_chan_free (a.receivers_done);
}

static void
test_contention (void)
{
  printf ("# %d Ps\n", weft_maxprocs ());
  run_arena (0);
  run_arena (2);
}

/* ------------------------------------------------------------------ main */

static int
real_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  test_ready_and_default ();
  test_fairness ();
  test_mixed ();
  test_send_to_waiting_receiver ();
  test_same_channel_twice ();
  test_woken_by_close ();
  test_many_cases ();
  test_contention ();
  test_nil_cases (); /* last: leaves two goroutines blocked forever */
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setenv ("WEFT_MAXPROCS", "4", 0);
  return weft_main (real_main, argc, argv);
}
