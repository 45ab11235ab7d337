/* test-sched.c — the scheduler: goroutine ids and lifetimes, 100k
 * goroutines alive at once, yield fairness, work stealing across Ps,
 * preemption at safepoints, syscalls handing off their P. */
#define _GNU_SOURCE
#include "test-util.h"

#include <weft/weft.h>

#include <stdatomic.h>
#include <stdint.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* ---- ids and counts */

static _Atomic uint64_t seen_id;

static void
record_id (void *arg)
{
  (void) arg;
  atomic_store (&seen_id, weft_goid ());
}

static void
test_ids (void)
{
  CHECK_EQ (weft_goid (), 1, "main runs as goroutine 1");
  uint64_t id = weft_go (record_id, NULL);
  while (atomic_load (&seen_id) == 0)
    weft_yield ();
  CHECK_EQ (atomic_load (&seen_id), id, "weft_go returns the id the goroutine sees");
  CHECK (id > 1, "new goroutines get ids above main's");
}

/* ---- 100k goroutines alive at once */

/* ThreadSanitizer counts every goroutine (fiber) as a thread and stops at
 * 8128 of them. */
#if defined(__SANITIZE_THREAD__)
#define MANY 5000
#else
#define MANY 100000
#endif
static _Atomic int  many_started;
static _Atomic int  many_done;
static _Atomic bool many_release;

static void
many_body (void *arg)
{
  (void) arg;
  atomic_fetch_add (&many_started, 1);
  while (!atomic_load (&many_release))
    weft_yield ();
  atomic_fetch_add (&many_done, 1);
}

static void
test_many (void)
{
  int64_t base = weft_num_goroutine ();

  for (int i = 0; i < MANY; i++)
    weft_go (many_body, NULL);
  while (atomic_load (&many_started) < MANY)
    weft_yield ();
  CHECK_EQ (weft_num_goroutine (), base + MANY, "100k goroutines are alive at once (5k under TSan)");
  atomic_store (&many_release, true);
  while (atomic_load (&many_done) < MANY)
    weft_yield ();
  /* Exits are counted when the goroutine has switched away. */
  for (int i = 0; i < 1000 && weft_num_goroutine () != base; i++)
    weft_yield ();
  CHECK_EQ (weft_num_goroutine (), base, "all of them ended and were counted out");
}

/* ---- yield: a yielding goroutine lets every other runnable one run */

static _Atomic int  turns[4];
static _Atomic bool yield_stop;

static void
yield_body (void *arg)
{
  int i = (int) (intptr_t) arg;
  while (!atomic_load (&yield_stop))
    {
      atomic_fetch_add (&turns[i], 1);
      weft_yield ();
    }
}

static void
test_yield_fairness (void)
{
  for (intptr_t i = 0; i < 4; i++)
    weft_go (yield_body, (void *) i);
  int64_t deadline = now_ns () + 200 * 1000000LL;
  while (now_ns () < deadline)
    weft_yield ();
  atomic_store (&yield_stop, true);
  int min = atomic_load (&turns[0]), max = min;
  for (int i = 1; i < 4; i++)
    {
      int t = atomic_load (&turns[i]);
      min = t < min ? t : min;
      max = t > max ? t : max;
    }
  CHECK (min > 100, "every yielding goroutine got turns");
  /* Within an order of magnitude: on emulated or loaded machines a thread
   * can be descheduled holding goroutines in its P's local queue. */
  CHECK (max < 10 * min, "turns are shared fairly among yielding goroutines");
  printf ("# yield turns: min %d max %d\n", min, max);
}

/* ---- work stealing: goroutines created on one P run on two at once */

static _Atomic int   inside;
static _Atomic int   max_inside;
static _Atomic int   spin_done;
static _Atomic pid_t tids[8];

static void
spin_body (void *arg)
{
  int     idx = (int) (intptr_t) arg;
  int64_t end = now_ns () + 50 * 1000000LL;

  tids[idx] = (pid_t) syscall (SYS_gettid);
  int n = atomic_fetch_add (&inside, 1) + 1;
  int m = atomic_load (&max_inside);
  while (n > m && !atomic_compare_exchange_weak (&max_inside, &m, n))
    ;
  /* No safepoints: a goroutine is only ever interleaved with another on
   * the same P at a safepoint, so two "inside" at once means two Ps. */
  while (now_ns () < end)
    {
      int k = atomic_load (&inside);
      m = atomic_load (&max_inside);
      while (k > m && !atomic_compare_exchange_weak (&max_inside, &m, k))
        ;
    }
  atomic_fetch_sub (&inside, 1);
  atomic_fetch_add (&spin_done, 1);
}

static void
spawn_spinners (void *arg)
{
  (void) arg;
  /* All 8 land on this P's run queue; only stealing can spread them. */
  for (intptr_t i = 0; i < 8; i++)
    weft_go (spin_body, (void *) i);
}

static void
test_work_stealing (void)
{
  if (weft_maxprocs () < 2)
    {
      printf ("ok %d - # SKIP work stealing needs 2 Ps\n", atomic_fetch_add (&tap_count, 1) + 1);
      return;
    }
  weft_go (spawn_spinners, NULL);
  /* Wait without holding a P: main's P is handed off while it sleeps. */
  weft_syscall_enter ();
  while (atomic_load (&spin_done) < 8)
    usleep (1000);
  weft_syscall_exit ();

  int distinct = 0;
  for (int i = 0; i < 8; i++)
    {
      bool dup = false;
      for (int j = 0; j < i; j++)
        dup |= tids[j] == tids[i];
      distinct += !dup;
    }
  CHECK (atomic_load (&max_inside) >= 2, "goroutines created on one P ran on two Ps at once");
  CHECK (distinct >= 2, "goroutines created on one P ran on more than one thread");
}

/* ---- preemption: goroutines spinning at safepoints do not starve others */

static _Atomic bool    hog_stop;
static _Atomic int     hogs_running;
static _Atomic int64_t victim_ran;

static void
hog_body (void *arg)
{
  (void) arg;
  atomic_fetch_add (&hogs_running, 1);
  while (!atomic_load (&hog_stop))
    weft_safepoint ();
}

static void
victim_body (void *arg)
{
  (void) arg;
  atomic_store (&victim_ran, now_ns ());
}

static void
wait_in_syscall (_Atomic int *counter, int target)
{
  weft_syscall_enter ();
  while (atomic_load (counter) < target)
    usleep (1000);
  weft_syscall_exit ();
}

static void
test_preemption (void)
{
  int64_t start;

  /* Hogs take every P while main waits in a syscall. Getting a P back to
   * return from it, and then running the victim, both need sysmon to
   * preempt a hog at a safepoint. */
  for (int i = 0; i < weft_maxprocs (); i++)
    weft_go (hog_body, NULL);
  wait_in_syscall (&hogs_running, weft_maxprocs ());
  start = now_ns ();
  weft_go (victim_body, NULL);
  weft_syscall_enter ();
  while (atomic_load (&victim_ran) == 0 && now_ns () - start < 5000000000LL)
    usleep (1000);
  weft_syscall_exit ();
  atomic_store (&hog_stop, true);
  CHECK (atomic_load (&victim_ran) != 0, "a goroutine behind CPU hogs still runs (preemption at safepoints)");
  printf ("# victim ran %.1f ms after it was created\n", (atomic_load (&victim_ran) - start) / 1e6);
}

/* ---- syscalls: a goroutine blocked in a C call does not hold its P */

static _Atomic int  ticks;
static _Atomic bool ticker_stop;

static void
ticker_body (void *arg)
{
  (void) arg;
  while (!atomic_load (&ticker_stop))
    {
      atomic_fetch_add (&ticks, 1);
      weft_yield ();
    }
}

static void
sleeper_in_syscall (void *arg)
{
  (void) arg;
  weft_syscall_enter ();
  usleep (200 * 1000);
  weft_syscall_exit ();
  atomic_store (&ticker_stop, true);
}

static void
test_syscall_handoff (void)
{
  /* Main waits in a syscall too, so on one P only a hand-off lets the
   * ticker run. */
  weft_go (ticker_body, NULL);
  weft_go (sleeper_in_syscall, NULL);
  weft_syscall_enter ();
  usleep (100 * 1000);
  weft_syscall_exit ();
  int during = atomic_load (&ticks);
  while (!atomic_load (&ticker_stop))
    weft_yield ();
  CHECK (during > 100, "goroutines keep running while others block in syscalls");
  printf ("# ticks during syscalls: %d\n", during);
}

static int
real_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  test_ids ();
  test_many ();
  test_yield_fairness ();
  test_work_stealing ();
  test_preemption ();
  test_syscall_handoff ();
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  return weft_main (real_main, argc, argv);
}
