/* bench-tp-main.c — what one traced event costs: weft:go_switch through the
 * runtime's wrapper (trace.h) with tracing off and with a live session,
 * against a bare LTTng-UST event with the same payload (weftbench:go_switch),
 * measured side by side in one run. Run it under build-aux/weft-lttng with
 * WEFT_LTTNG_EXTRA_EVENTS='weftbench:*' (run-bench-tp does).
 *
 * Linked with libweft's objects, so it calls the hidden wrappers the
 * scheduler calls, on made-up G/M/P structures, outside weft_main() (no
 * goroutine is needed to write an event and sysmon's polling would only
 * add noise).
 *
 * Batches of BATCH events alternate between the variants, with a pause
 * after each so that the consumer daemon empties the buffers: a full
 * buffer discards events, which is cheaper than writing them and would
 * flatter the numbers. The medians of the batches are reported.
 */
#define _GNU_SOURCE
#include "bench-tp.h"
#include "trace.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BATCH 8000 /* ~450 KiB of events: well inside 4 x 1 MiB per CPU */
#define ROUNDS 120
#define PAUSE_US 3000
#define GOAL 1.5

static int64_t
now_ns (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1000000000LL + ts.tv_nsec;
}

static int
cmp_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return (x > y) - (x < y);
}

static double
median (double *v, int n)
{
  qsort (v, (size_t) n, sizeof *v, cmp_double);
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Kept out of line and opaque so that the loops below load the fields
 * every time, as the scheduler does. */
static P   bp;
static M   bm;
static G   g_prev, g_next;
static int wait_target;

static double __attribute__ ((noinline))
batch_weft (void)
{
  int64_t t0 = now_ns ();

  for (int i = 0; i < BATCH; i++)
    {
      weft_trace_go_switch (&bp, &bm, &g_prev, WEFT_STOP_BLOCKED, &g_next);
      __asm__ __volatile__("" ::
                               : "memory");
    }
  return (double) (now_ns () - t0) / BATCH;
}

static double __attribute__ ((noinline))
batch_bare (void)
{
  int64_t t0 = now_ns ();

  for (int i = 0; i < BATCH; i++)
    {
      lttng_ust_tracepoint (weftbench, go_switch, bp.id, bm.id, g_prev.goid, (uint8_t) WEFT_STOP_BLOCKED,
                            (uint8_t) g_prev.wait_reason, (uintptr_t) g_prev.wait_obj, g_prev.wait_stack,
                            g_next.goid);
      __asm__ __volatile__("" ::
                               : "memory");
    }
  return (double) (now_ns () - t0) / BATCH;
}

int
main (void)
{
  static double off[ROUNDS], weft[ROUNDS], bare[ROUNDS];
  double        m_off, m_weft, m_bare;
  cpu_set_t     cpus;

  /* One CPU: one ring buffer, no migration in the middle of a batch. */
  CPU_ZERO (&cpus);
  CPU_SET (0, &cpus);
  sched_setaffinity (0, sizeof cpus, &cpus);

  weft_nprocs = 1;
  weft_trace_init ();
  if (!weft_tracing ())
    {
      fprintf (stderr, "bench-tp: weft events are not enabled: run me under build-aux/weft-lttng\n");
      return 1;
    }
  if (!lttng_ust_tracepoint_enabled (weftbench, go_switch))
    {
      fprintf (stderr, "bench-tp: weftbench:go_switch is not enabled (WEFT_LTTNG_EXTRA_EVENTS='weftbench:*')\n");
      return 1;
    }

  bp.id = 1;
  bm.id = 2;
  g_prev.goid = 1234;
  g_prev.wait_reason = WEFT_WAIT_CHAN_RECV;
  g_prev.wait_obj = &wait_target;
  /* 0: libweft takes no stack outside an M, so the wrapper skips the
   * announcement check (two loads and a compare in the scheduler). */
  g_prev.wait_stack = weft_trace_stack (0);
  g_next.goid = 5678;

  /* Warm up caches, the stack announcement and the ring buffers. */
  batch_weft ();
  batch_bare ();
  usleep (PAUSE_US);

  for (int r = 0; r < ROUNDS; r++)
    {
      /* Alternate the order so that neither variant always runs right
       * after a pause. */
      if (r % 2 == 0)
        {
          weft[r] = batch_weft ();
          usleep (PAUSE_US);
          bare[r] = batch_bare ();
        }
      else
        {
          bare[r] = batch_bare ();
          usleep (PAUSE_US);
          weft[r] = batch_weft ();
        }
      usleep (PAUSE_US);
      /* Tracing off: what every event site costs an untraced program. */
      atomic_store (&weft_trace_on, 0);
      off[r] = batch_weft ();
      atomic_store (&weft_trace_on, 1);
    }

  m_off = median (off, ROUNDS);
  m_weft = median (weft, ROUNDS);
  m_bare = median (bare, ROUNDS);
  printf ("bench-tp: median of %d batches of %d events, ns/event\n", ROUNDS, BATCH);
  printf ("  (a) weft wrapper, tracing off    %8.2f\n", m_off);
  printf ("  (b) weft wrapper, live session   %8.2f\n", m_weft);
  printf ("  (c) bare LTTng-UST event         %8.2f\n", m_bare);
  printf ("  ratio (b)/(c)                    %8.2fx  (goal <= %.1fx): %s\n", m_weft / m_bare, GOAL,
          m_weft <= GOAL * m_bare ? "met" : "MISSED");
  /* median() sorted the arrays: [0] is the minimum. */
  printf ("  batches min/max (b) %.2f/%.2f  (c) %.2f/%.2f\n", weft[0], weft[ROUNDS - 1], bare[0], bare[ROUNDS - 1]);
  return m_weft <= GOAL * m_bare ? 0 : 1;
}
