/* weft-trace-gen.c — writes weft events without the runtime, for the
 * recorder's tests and benchmark.
 *
 * It carries its own copy of the "weft" provider (tracer/weft-tp.h, probes
 * and descriptors linked in statically) and emits scripted sequences that
 * follow tracer/README.md, so the recorder can be tested on real CTF
 * written by LTTng-UST with known answers, independently of libweft.
 *
 *   weft-trace-gen scenario     the scenario below (deterministic counts)
 *   weft-trace-gen gc           the GC scenario (see gc_scenario)
 *   weft-trace-gen bench N      about N events of channel ping-pong between
 *                               two goroutines on two Ps (plus creations)
 *
 * Scenario (goroutine 1 = main, on P0/M0; all goroutines on P0):
 *  - snapshot: main running;
 *  - main creates PRODUCERS producers (create site: site_go_producer) and
 *    SLEEPERS sleepers (site_go_sleeper);
 *  - each producer runs and blocks on "chan send" (site_chan_send); main
 *    receives from the first RELEASED, which run and exit: the other
 *    LEAKED stay blocked to the end — the leak suspects;
 *  - each sleeper blocks in "sleep", is woken by the runtime, runs, exits;
 *  - main makes a system call, logs, and wraps all of it in a task with a
 *    region.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "weft-tp.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

enum
{
  PRODUCERS = 10,
  RELEASED = 3,
  LEAKED = PRODUCERS - RELEASED,
  SLEEPERS = 5,
};

enum
{
  WAIT_CHAN_SEND = 1,
  WAIT_CHAN_RECV = 2,
  WAIT_SLEEP = 12
};
enum
{
  STOP_NONE,
  STOP_YIELD,
  STOP_PREEMPTED,
  STOP_BLOCKED,
  STOP_EXITED,
  STOP_SYSCALL
};
enum
{
  STACK_GO_PRODUCER = 1,
  STACK_GO_SLEEPER,
  STACK_CHAN_SEND,
  STACK_SLEEP,
  STACK_CHAN_RECV
};

/* Code addresses of this binary stand in for the program's functions, so
 * that symbolisation has something real to resolve. */
__attribute__ ((noinline)) void producer (void);
__attribute__ ((noinline)) void sleeper (void);
__attribute__ ((noinline)) void site_go_producer (void);
__attribute__ ((noinline)) void site_go_sleeper (void);
__attribute__ ((noinline)) void site_chan_send (void);
__attribute__ ((noinline)) void site_sleep (void);
__attribute__ ((noinline)) void site_chan_recv (void);
void
producer (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
sleeper (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
site_go_producer (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
site_go_sleeper (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
site_chan_send (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
site_sleep (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}
void
site_chan_recv (void)
{
  __asm__ volatile("nop; nop; nop; nop");
}

int main (int argc, char **argv);

/* A "return address" inside @fn: two bytes past its first. */
#define RET(fn) ((uint64_t) (uintptr_t) (fn) + 2)

static void
announce (uint32_t id, void (*site) (void))
{
  uint64_t ips[2] = { RET (site), RET (main) };
  lttng_ust_tracepoint (weft, stack, id, ips, 2);
}

static void
sw (int p, uint64_t prev, int stop, int reason, uint64_t obj, uint32_t stack, uint64_t next)
{
  lttng_ust_tracepoint (weft, go_switch, p, 0, prev, (uint8_t) stop, (uint8_t) reason, obj, stack, next);
}

static int
scenario (void)
{
  uint64_t next_goid = 2;
  uint64_t producers[PRODUCERS], sleepers[SLEEPERS];
  uint64_t chan = 0x1000;

  lttng_ust_tracepoint (weft, runtime_info, (int32_t) getpid (), 1, 65536, "trace-gen");
  lttng_ust_tracepoint (weft, snapshot_begin, 1, 1);
  lttng_ust_tracepoint (weft, go_status, 1, 2, 0, 0, 0, 0, RET (main), 0, 0, "");
  lttng_ust_tracepoint (weft, snapshot_end, 1, 1);
  lttng_ust_tracepoint (weft, thread_start, 0, (int32_t) syscall (SYS_gettid));
  lttng_ust_tracepoint (weft, proc_start, 0, 0);
  lttng_ust_tracepoint (weft, task_begin, 1, 1, 0, "scenario");
  lttng_ust_tracepoint (weft, region_begin, 1, 1, "spawn");

  announce (STACK_GO_PRODUCER, site_go_producer);
  announce (STACK_GO_SLEEPER, site_go_sleeper);
  announce (STACK_CHAN_SEND, site_chan_send);
  announce (STACK_SLEEP, site_sleep);
  announce (STACK_CHAN_RECV, site_chan_recv);
  for (int i = 0; i < PRODUCERS; i++)
    {
      producers[i] = next_goid++;
      lttng_ust_tracepoint (weft, go_create, producers[i], 1, (uint64_t) (uintptr_t) producer, STACK_GO_PRODUCER,
                            "producer");
    }
  for (int i = 0; i < SLEEPERS; i++)
    {
      sleepers[i] = next_goid++;
      lttng_ust_tracepoint (weft, go_create, sleepers[i], 1, (uint64_t) (uintptr_t) sleeper, STACK_GO_SLEEPER, "");
    }
  lttng_ust_tracepoint (weft, region_end, 1, 1, "spawn");

  /* main yields; every producer runs and blocks on its send. */
  sw (0, 1, STOP_YIELD, 0, 0, 0, producers[0]);
  for (int i = 0; i < PRODUCERS; i++)
    sw (0, producers[i], STOP_BLOCKED, WAIT_CHAN_SEND, chan + (uint64_t) i, STACK_CHAN_SEND,
        i + 1 < PRODUCERS ? producers[i + 1] : sleepers[0]);
  /* Sleepers block in sleep. */
  for (int i = 0; i < SLEEPERS; i++)
    sw (0, sleepers[i], STOP_BLOCKED, WAIT_SLEEP, 0, STACK_SLEEP, i + 1 < SLEEPERS ? sleepers[i + 1] : 1);
  /* main: a system call, then receives from RELEASED producers. */
  lttng_ust_tracepoint (weft, syscall_enter, 1, 0);
  usleep (1000);
  lttng_ust_tracepoint (weft, syscall_exit, 1, 0);
  lttng_ust_tracepoint (weft, log, 1, 1, "info", "receiving");
  for (int i = 0; i < RELEASED; i++)
    lttng_ust_tracepoint (weft, go_unblock, producers[i], 1, 0);
  /* The timer wakes the sleepers. */
  for (int i = 0; i < SLEEPERS; i++)
    lttng_ust_tracepoint (weft, go_unblock, sleepers[i], 0, 0);
  /* main blocks receiving; the released producers and sleepers run, exit. */
  sw (0, 1, STOP_BLOCKED, WAIT_CHAN_RECV, chan + 100, STACK_CHAN_RECV, producers[0]);
  for (int i = 0; i < RELEASED; i++)
    sw (0, producers[i], STOP_EXITED, 0, 0, 0, i + 1 < RELEASED ? producers[i + 1] : sleepers[0]);
  for (int i = 0; i < SLEEPERS; i++)
    sw (0, sleepers[i], STOP_EXITED, 0, 0, 0, i + 1 < SLEEPERS ? sleepers[i + 1] : 0);
  lttng_ust_tracepoint (weft, go_unblock, 1, 0, 0);
  sw (0, 0, STOP_NONE, 0, 0, 0, 1);
  lttng_ust_tracepoint (weft, task_end, 1, 1);
  return 0;
}

/* Times of the GC scenario, µs: each phase sleeps at least this long. */
enum
{
  GC_STW1_US = 300,  /* cycle 1, sweep termination */
  GC_STW2_US = 2000, /* cycle 1, mark termination */
  GC_STW3_US = 500,  /* cycle 2, sweep termination */
  GC_STW4_US = 1000, /* cycle 2, mark termination */
  GC_STW5_US = 100,  /* ReadMemStats, no cycle */
  GC_ASSIST_US = 200,
};

/* Two cycles on two Ps, following tracer/README.md "The garbage
 * collector"; main (1) runs on P0 (it yields and is scheduled there again,
 * so that the trace says where it runs), goroutine 2 is blocked on a
 * channel that cycle 1 proves unreachable, goroutine 3 is not.
 *  - cycle 1 (trigger heap, 4 MiB live, goal 4 MiB): STW sweep termination
 *    (GC_STW1_US), mark: a dedicated worker on P1 (scans 1 MiB), main
 *    assists on P0 (GC_ASSIST_US, 64 KiB); STW mark termination
 *    (GC_STW2_US) finds goroutine 2 leaked; ends with 3 MiB marked, next
 *    goal 6 MiB; heap_alloc 3 MiB, heap_goal 6 MiB; main sweeps on P0
 *    (1 MiB swept, 512 KiB reclaimed);
 *  - a ReadMemStats pause (GC_STW5_US) outside any cycle, then a stray
 *    stw_end (one gc_unbalanced inconsistency);
 *  - cycle 2 (forced, 5 MiB live, goal 6 MiB): STW (GC_STW3_US), mark with
 *    an idle worker on P0 that is still running when the trace ends (open),
 *    STW (GC_STW4_US), 2 MiB marked, next goal 4 MiB. */
static int
gc_scenario (void)
{
  const uint64_t MiB = 1024 * 1024;

  lttng_ust_tracepoint (weft, runtime_info, (int32_t) getpid (), 2, 65536, "trace-gen");
  lttng_ust_tracepoint (weft, snapshot_begin, 1, 3);
  lttng_ust_tracepoint (weft, go_status, 1, 2, 0, 0, 0, 0, RET (main), 0, 0, "");
  lttng_ust_tracepoint (weft, go_status, 2, 4, WAIT_CHAN_RECV, 0x4000, STACK_CHAN_RECV, 0, RET (producer), 1,
                        STACK_GO_PRODUCER, "");
  lttng_ust_tracepoint (weft, go_status, 3, 4, WAIT_CHAN_RECV, 0x5000, STACK_CHAN_RECV, 0, RET (producer), 1,
                        STACK_GO_PRODUCER, "");
  lttng_ust_tracepoint (weft, snapshot_end, 1, 3);
  announce (STACK_GO_PRODUCER, site_go_producer);
  announce (STACK_CHAN_RECV, site_chan_recv);
  sw (0, 1, STOP_YIELD, 0, 0, 0, 1);

  lttng_ust_tracepoint (weft, gc_begin, 1, 0, 4 * MiB, 4 * MiB);
  lttng_ust_tracepoint (weft, stw_begin, 0, 1);
  usleep (GC_STW1_US);
  lttng_ust_tracepoint (weft, stw_end, 0, 1);
  lttng_ust_tracepoint (weft, gc_mark_begin, 1);
  lttng_ust_tracepoint (weft, gc_worker_begin, 1, 0);
  lttng_ust_tracepoint (weft, gc_assist_begin, 1, 0);
  usleep (GC_ASSIST_US);
  lttng_ust_tracepoint (weft, gc_assist_end, 1, 0, 64 * 1024);
  lttng_ust_tracepoint (weft, gc_worker_end, 1, MiB);
  lttng_ust_tracepoint (weft, gc_mark_end, 1);
  lttng_ust_tracepoint (weft, stw_begin, 1, 1);
  usleep (GC_STW2_US);
  lttng_ust_tracepoint (weft, go_leaked, 1, 2, WAIT_CHAN_RECV, 0x4000, STACK_CHAN_RECV);
  lttng_ust_tracepoint (weft, gc_end, 1, 3 * MiB, 6 * MiB);
  lttng_ust_tracepoint (weft, stw_end, 1, 1);
  lttng_ust_tracepoint (weft, heap_alloc, 3 * MiB);
  lttng_ust_tracepoint (weft, heap_goal, 6 * MiB);
  lttng_ust_tracepoint (weft, gc_sweep_begin, 0);
  lttng_ust_tracepoint (weft, gc_sweep_end, 0, MiB, MiB / 2);

  lttng_ust_tracepoint (weft, stw_begin, 2, 0);
  usleep (GC_STW5_US);
  lttng_ust_tracepoint (weft, stw_end, 2, 0);
  lttng_ust_tracepoint (weft, stw_end, 2, 0);

  lttng_ust_tracepoint (weft, gc_begin, 2, 1, 5 * MiB, 6 * MiB);
  lttng_ust_tracepoint (weft, stw_begin, 0, 2);
  usleep (GC_STW3_US);
  lttng_ust_tracepoint (weft, stw_end, 0, 2);
  lttng_ust_tracepoint (weft, gc_mark_begin, 2);
  lttng_ust_tracepoint (weft, gc_worker_begin, 0, 2);
  lttng_ust_tracepoint (weft, gc_mark_end, 2);
  lttng_ust_tracepoint (weft, stw_begin, 1, 2);
  usleep (GC_STW4_US);
  lttng_ust_tracepoint (weft, gc_end, 2, 2 * MiB, 4 * MiB);
  lttng_ust_tracepoint (weft, stw_end, 1, 2);
  return 0;
}

/* Two goroutines passing a value back and forth on P0 and P1, as
 * pingpong does: per round trip 2 switches and 2 unblocks. */
static int
bench (long n)
{
  uint64_t a = 2, b = 3;

  lttng_ust_tracepoint (weft, runtime_info, (int32_t) getpid (), 2, 65536, "trace-gen");
  lttng_ust_tracepoint (weft, snapshot_begin, 1, 1);
  lttng_ust_tracepoint (weft, go_status, 1, 2, 0, 0, 0, 0, RET (main), 0, 0, "");
  lttng_ust_tracepoint (weft, snapshot_end, 1, 1);
  announce (STACK_CHAN_RECV, site_chan_recv);
  announce (STACK_GO_PRODUCER, site_go_producer);
  lttng_ust_tracepoint (weft, go_create, a, 1, (uint64_t) (uintptr_t) producer, STACK_GO_PRODUCER, "ping");
  lttng_ust_tracepoint (weft, go_create, b, 1, (uint64_t) (uintptr_t) producer, STACK_GO_PRODUCER, "pong");
  /* main blocks; b runs and blocks; a runs: the loop starts from there. */
  sw (0, 1, STOP_BLOCKED, WAIT_CHAN_RECV, 0x3000, STACK_CHAN_RECV, b);
  sw (0, b, STOP_BLOCKED, WAIT_CHAN_RECV, 0x2008, STACK_CHAN_RECV, a);
  for (long i = 0; i < n; i += 4)
    {
      /* a sends to b: b unblocked; a blocks on receive; b runs. */
      lttng_ust_tracepoint (weft, go_unblock, b, a, 0);
      lttng_ust_tracepoint (weft, go_switch, 0, 0, a, STOP_BLOCKED, WAIT_CHAN_RECV, 0x2000, STACK_CHAN_RECV, b);
      lttng_ust_tracepoint (weft, go_unblock, a, b, 0);
      lttng_ust_tracepoint (weft, go_switch, 0, 0, b, STOP_BLOCKED, WAIT_CHAN_RECV, 0x2008, STACK_CHAN_RECV, a);
      /* Let the consumer daemon keep up rather than lose events. */
      if ((i & 0xffff) == 0)
        usleep (200);
    }
  return 0;
}

int
main (int argc, char **argv)
{
  if (argc == 2 && strcmp (argv[1], "scenario") == 0)
    return scenario ();
  if (argc == 2 && strcmp (argv[1], "gc") == 0)
    return gc_scenario ();
  if (argc == 3 && strcmp (argv[1], "bench") == 0)
    return bench (strtol (argv[2], NULL, 10));
  fprintf (stderr, "usage: %s scenario | gc | bench N\n", argv[0]);
  return 2;
}
