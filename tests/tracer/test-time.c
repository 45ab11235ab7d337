/* test-time.c — sleep, timers, after_func and deadlines through select. */
#include "test-util.h"

#include <weft/weft.h>

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>

static void
test_sleep_duration (void)
{
  int64_t t0 = weft_nanotime ();
  weft_sleep (20 * MS);
  int64_t slept = weft_nanotime () - t0;
  CHECK (slept >= 20 * MS, "sleep lasts at least the requested time");
  CHECK (slept < 500 * MS, "sleep does not last absurdly longer");
  printf ("# slept %.2f ms for 20 ms\n", slept / 1e6);
}

/* Many sleepers: all wake, roughly in deadline order. */
#define SLEEPERS 10000
static _Atomic int     woke;
static _Atomic int64_t late_max;
static _Atomic int     order_violations;

static void
sleeper (void *arg)
{
  int64_t ns = (int64_t) (intptr_t) arg;
  int64_t deadline = weft_nanotime () + ns;
  weft_sleep (ns);
  int64_t now = weft_nanotime ();
  if (now < deadline)
    atomic_fetch_add (&order_violations, 1000000); /* woke early: a hard error */
  int64_t late = now - deadline, m = atomic_load (&late_max);
  while (late > m && !atomic_compare_exchange_weak (&late_max, &m, late))
    ;
  atomic_fetch_add (&woke, 1);
}

static void
test_many_sleepers (void)
{
  srand (1);
  for (int i = 0; i < SLEEPERS; i++)
    weft_go (sleeper, (void *) (intptr_t) ((rand () % 20) * MS));
  int64_t start = weft_nanotime ();
  while (atomic_load (&woke) < SLEEPERS && weft_nanotime () - start < 10000 * MS)
    weft_sleep (MS);
  CHECK_EQ (atomic_load (&woke), SLEEPERS, "10k concurrent sleepers all wake");
  CHECK (atomic_load (&order_violations) == 0, "no sleeper wakes before its deadline");
  printf ("# worst lateness %.2f ms\n", atomic_load (&late_max) / 1e6);
}

static void
test_timer_fires_once (void)
{
  /* Read the clock before arming: the deadline is creation time + 10 ms. */
  int64_t    t0 = weft_nanotime (), v = 0;
  WeftTimer *t = weft_timer_new (10 * MS);
  CHECK (weft_chan_recv (weft_timer_chan (t), &v), "timer channel delivers a value");
  CHECK (v >= t0 + 10 * MS, "the value is the firing time, after the deadline");
  CHECK (!weft_timer_stop (t), "stop after firing returns false");
  weft_sleep (20 * MS);
  CHECK (!weft_chan_try_recv (weft_timer_chan (t), &v, NULL), "a one-shot timer fires once");
  weft_timer_free (t);
}

static void
test_timer_stop_and_reset (void)
{
  WeftTimer *t = weft_timer_new (10 * MS);
  int64_t    v;
  CHECK (weft_timer_stop (t), "stop before firing returns true");
  weft_sleep (30 * MS);
  CHECK (!weft_chan_try_recv (weft_timer_chan (t), &v, NULL), "a stopped timer never fires");
  int64_t t0 = weft_nanotime ();
  CHECK (!weft_timer_reset (t, 5 * MS), "reset of a stopped timer reports it inactive");
  weft_chan_recv (weft_timer_chan (t), &v);
  CHECK (weft_nanotime () - t0 >= 5 * MS, "a reset timer fires after its new duration");
  weft_timer_free (t);
}

static _Atomic uint64_t after_goid;

static void
after_body (void *arg)
{
  (void) arg;
  atomic_store (&after_goid, weft_goid ());
}

static void
test_after_func (void)
{
  WeftTimer *t = weft_after_func (5 * MS, after_body, NULL);
  int64_t    start = weft_nanotime ();
  while (atomic_load (&after_goid) == 0 && weft_nanotime () - start < 2000 * MS)
    weft_sleep (MS);
  CHECK (atomic_load (&after_goid) > 1, "after_func runs fn in a goroutine of its own");
  weft_timer_free (t);
}

static void
test_deadline_select (void)
{
  WeftChan      *never = weft_chan_new (sizeof (int), 0);
  int64_t        t0 = weft_nanotime ();
  WeftTimer     *t = weft_timer_new (15 * MS);
  int            v;
  int64_t        when;
  WeftSelectCase cases[] = {
    { .chan = never, .dir = WEFT_SELECT_RECV, .elem = &v },
    { .chan = weft_timer_chan (t), .dir = WEFT_SELECT_RECV, .elem = &when },
  };
  int chosen = weft_select (cases, 2, true);
  CHECK_EQ (chosen, 1, "a channel receive with a deadline times out through select");
  CHECK (weft_nanotime () - t0 >= 15 * MS, "not before the deadline");
  weft_timer_free (t);
  weft_chan_free (never);
}

/* Timers armed on several Ps. */
static _Atomic int cross_done;

static void
cross_body (void *arg)
{
  (void) arg;
  WeftTimer *t = weft_timer_new (3 * MS);
  int64_t    v;
  weft_chan_recv (weft_timer_chan (t), &v);
  weft_timer_free (t);
  atomic_fetch_add (&cross_done, 1);
}

static void
test_timers_across_ps (void)
{
  for (int i = 0; i < 64; i++)
    weft_go (cross_body, NULL);
  int64_t start = weft_nanotime ();
  while (atomic_load (&cross_done) < 64 && weft_nanotime () - start < 5000 * MS)
    weft_sleep (MS);
  CHECK_EQ (atomic_load (&cross_done), 64, "timers created from goroutines on every P all fire");
}

static int
real_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  test_sleep_duration ();
  test_many_sleepers ();
  test_timer_fires_once ();
  test_timer_stop_and_reset ();
  test_after_func ();
  test_deadline_select ();
  test_timers_across_ps ();
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  return weft_main (real_main, argc, argv);
}
