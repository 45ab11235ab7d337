/* test-time.c — sleep, timers, after_func and deadlines through select;
 * stop and reset racing each other and the timer's own firing. */
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

  t0 = weft_nanotime ();
  weft_sleep (1);
  weft_sleep (0);
  weft_sleep (-5);
  CHECK (weft_nanotime () - t0 < 200 * MS, "sleeps of 1 ns, 0 and < 0 return at once");
}

/* Many sleepers: all wake, none early, none very late (so in deadline
 * order, give or take the lateness). ThreadSanitizer counts each
 * goroutine as a thread and stops at 8128. */
#if defined(__SANITIZE_THREAD__)
#define SLEEPERS 4000
#else
#define SLEEPERS 10000
#endif
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
  /* Generous: a loaded CI machine or a sanitizer build is slow, but a
   * sleeper forgotten until some unrelated wakeup is seconds late. */
  CHECK (atomic_load (&late_max) < 1000 * MS, "no sleeper wakes very late");
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

  /* Reset of an armed timer: it fires once, at the new time. */
  t0 = weft_nanotime ();
  CHECK (!weft_timer_reset (t, 5 * MS), "reset of a fired timer reports it inactive");
  CHECK (weft_timer_reset (t, 40 * MS), "reset of an armed timer reports it active");
  CHECK (weft_chan_recv (weft_timer_chan (t), &v) && v >= t0 + 40 * MS, "a re-armed timer fires at its new time only");
  weft_sleep (20 * MS);
  CHECK (!weft_chan_try_recv (weft_timer_chan (t), &v, NULL), "and only once");

  /* A timer far in the future stays armed (no overflow into the past). */
  CHECK (!weft_timer_reset (t, INT64_MAX), "reset to the end of time");
  weft_sleep (2 * MS);
  CHECK (!weft_chan_try_recv (weft_timer_chan (t), &v, NULL), "a timer at INT64_MAX ns does not fire");
  CHECK (weft_timer_stop (t), "and can still be stopped");
  weft_timer_free (t);
}

/* Goroutines on every P stop and reset a shared set of timers at random
 * while they fire: the heaps must stay consistent (a timer in two heaps
 * or a half-removed one would crash or fire twice). Then every timer is
 * reset once more and must fire exactly once. */
#define SHARED_TIMERS 4
#define RACERS 8
static WeftTimer  *shared_timers[SHARED_TIMERS];
static _Atomic int racers_done;

static void
racer (void *arg)
{
  uint32_t seed = (uint32_t) (uintptr_t) arg;
  int64_t  v;

  for (int i = 0; i < 10000; i++)
    {
      seed = seed * 1103515245 + 12345;
      WeftTimer *t = shared_timers[(seed >> 8) % SHARED_TIMERS];
      switch ((seed >> 16) % 4)
        {
        case 0:
          weft_timer_stop (t);
          break;
        case 1:
        case 2:
          weft_timer_reset (t, (int64_t) ((seed >> 20) % 200) * 1000);
          break;
        default:
          weft_chan_try_recv (weft_timer_chan (t), &v, NULL);
          if (i % 64 == 0)
            weft_yield ();
        }
    }
  atomic_fetch_add (&racers_done, 1);
}

static void
test_concurrent_stop_reset (void)
{
  int64_t v;
  int     fired = 0, extra = 0;

  for (int i = 0; i < SHARED_TIMERS; i++)
    shared_timers[i] = weft_timer_new (SEC);
  for (int i = 0; i < RACERS; i++)
    weft_go (racer, (void *) (uintptr_t) (i * 7919 + 1));
  CHECK (wait_for (&racers_done, RACERS), "goroutines stopping and resetting shared timers finish");
  for (int i = 0; i < SHARED_TIMERS; i++)
    weft_timer_stop (shared_timers[i]);
  /* A firing that began before its stop may still deliver: let it, then
   * drain. */
  weft_sleep (5 * MS);
  for (int i = 0; i < SHARED_TIMERS; i++)
    {
      weft_chan_try_recv (weft_timer_chan (shared_timers[i]), &v, NULL);
      weft_timer_reset (shared_timers[i], 2 * MS);
    }
  weft_sleep (30 * MS);
  for (int i = 0; i < SHARED_TIMERS; i++)
    {
      fired += weft_chan_try_recv (weft_timer_chan (shared_timers[i]), &v, NULL);
      extra += weft_chan_try_recv (weft_timer_chan (shared_timers[i]), &v, NULL);
      weft_timer_free (shared_timers[i]);
    }
  CHECK_EQ (fired, SHARED_TIMERS, "after racing stops and resets, each timer fires once more when reset");
  CHECK_EQ (extra, 0, "and only once");
}

/* weft_timer_free right as the timer fires must not free it under its
 * firing (AddressSanitizer builds catch the use after free). */
static _Atomic int freers_done;

static void
freer (void *arg)
{
  (void) arg;
  for (int i = 0; i < 500; i++)
    {
      WeftTimer *t = weft_timer_new (i % 3 == 0 ? 0 : (int64_t) (i % 50) * 1000);
      if (i % 2)
        weft_yield ();
      weft_timer_free (t);
    }
  atomic_fetch_add (&freers_done, 1);
}

static void
test_free_while_firing (void)
{
  for (int i = 0; i < 4; i++)
    weft_go (freer, NULL);
  CHECK (wait_for (&freers_done, 4), "timers freed while they fire");
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

  atomic_store (&after_goid, 0);
  t = weft_after_func (10 * MS, after_body, NULL);
  CHECK (weft_timer_stop (t), "an after_func timer can be stopped before it fires");
  weft_sleep (30 * MS);
  CHECK (atomic_load (&after_goid) == 0, "and then fn never runs");
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
  test_concurrent_stop_reset ();
  test_free_while_firing ();
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
