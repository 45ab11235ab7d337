/* trace-workload.c — a small, deterministic program for the tracing
 * integration test (run-trace-test): it exercises every event the
 * runtime writes and prints, as "EXPECT key=value" lines, what the trace
 * must contain. Whatever the scheduling, it creates the same goroutines,
 * blocks at least as often as it says and annotates the same tasks,
 * regions and logs.
 *
 * Phases run one after the other, each waiting for its goroutines with a
 * WaitGroup, so that the program never has more than a dozen goroutines:
 *   ping-pong   two goroutines, an unbuffered channel       (chan send/receive)
 *   pipeline    producer -> buffered channel -> consumer     (chan, close)
 *   select      two producers -> one goroutine in select     (select)
 *   mutex       four workers sleeping inside a Mutex         (sync.Mutex.Lock)
 *   sleep/yield sleepers and yielders                        (sleep, yield)
 *   syscall     a goroutine in weft_syscall_enter/exit       (syscalls)
 *   fan-out     workers in a sub-task, with regions and logs (tasks, regions, logs)
 *   stacks      goroutines blocking under 1024 distinct call paths, from
 *               both Ps at once (the tracer's stack table grows meanwhile)
 */
#include <weft/weft.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define PINGPONG_ROUNDS 2000
#define PIPELINE_ITEMS 500
#define PIPELINE_CAP 8
#define SELECT_ITEMS 20
#define MUTEX_WORKERS 4
#define MUTEX_ROUNDS 10
#define SLEEPERS 2
#define SLEEPS_EACH 3
#define YIELDERS 2
#define YIELDS_EACH 50
#define FANOUT_WORKERS 8
#define STACK_BITS 10 /* 2^10 distinct call paths */
#define STACK_BATCH 64

#define MS 1000000LL

static int      goroutines; /* weft_go calls, main not included */
static int      tasks, regions, logs;
static int      sleeps, yields; /* blocking calls that surely park */
static int      chan_blocks_min, mutex_blocks_min, select_blocks_min, wg_blocks_min;
static int      stacks_min;
static uint64_t root_task;

static void
fail (const char *what)
{
  fprintf (stderr, "trace-workload: %s\n", what);
  exit (1);
}

static void
go (const char *name, WeftFunc fn, void *arg)
{
  goroutines++;
  if (name != NULL)
    weft_go_named (name, fn, arg);
  else
    weft_go (fn, arg);
}

/* Parks the caller until @wg's goroutines are done: main always waits
 * here at least once per phase, since every phase's goroutines block. */
static void
wait_phase (WeftWaitGroup *wg)
{
  weft_waitgroup_wait (wg);
  wg_blocks_min++;
}

static uint64_t
phase_begin (const char *name)
{
  uint64_t task = weft_task_begin (root_task, name);
  tasks++;
  weft_region_begin (task, "phase");
  regions++;
  return task;
}

static void
phase_end (uint64_t task)
{
  weft_region_end (task, "phase");
  weft_task_end (task);
}

/* ------------------------------------------------------------------ ping-pong */

typedef struct
{
  WeftChan      *in, *out;
  WeftWaitGroup *wg;
  bool           serve;
} PingPong;

static void
pingpong_fn (void *arg)
{
  PingPong *pp = arg;
  int       v = 0;

  for (int i = 0; i < PINGPONG_ROUNDS; i++)
    {
      if (pp->serve)
        {
          weft_chan_send (pp->out, &i);
          weft_chan_recv (pp->in, &v);
          if (v != i)
            fail ("ping-pong: wrong value");
        }
      else
        {
          weft_chan_recv (pp->in, &v);
          weft_chan_send (pp->out, &v);
        }
    }
  weft_waitgroup_done (pp->wg);
}

static void
phase_pingpong (void)
{
  WeftWaitGroup wg = { 0 };
  WeftChan     *a = weft_chan_new (sizeof (int), 0), *b = weft_chan_new (sizeof (int), 0);
  PingPong      ping = { b, a, &wg, true }, pong = { a, b, &wg, false };
  uint64_t      task = phase_begin ("ping-pong");

  weft_waitgroup_add (&wg, 2);
  go ("ping", pingpong_fn, &ping);
  go ("pong", pingpong_fn, &pong);
  wait_phase (&wg);
  /* Which side parks, and how often, depends on the scheduling; that
   * one does is certain: a receiver cannot find the first value. */
  chan_blocks_min += 1;
  weft_chan_free (a);
  weft_chan_free (b);
  phase_end (task);
}

/* ------------------------------------------------------------------ pipeline */

typedef struct
{
  WeftChan      *ch;
  WeftWaitGroup *wg;
  long           sum;
} Pipeline;

static void
producer_fn (void *arg)
{
  Pipeline *pl = arg;

  for (int i = 1; i <= PIPELINE_ITEMS; i++)
    weft_chan_send (pl->ch, &i);
  weft_chan_close (pl->ch);
  weft_waitgroup_done (pl->wg);
}

static void
consumer_fn (void *arg)
{
  Pipeline *pl = arg;
  int       v;

  while (weft_chan_recv (pl->ch, &v))
    pl->sum += v;
  weft_waitgroup_done (pl->wg);
}

static void
phase_pipeline (void)
{
  WeftWaitGroup wg = { 0 };
  Pipeline      pl = { weft_chan_new (sizeof (int), PIPELINE_CAP), &wg, 0 };
  uint64_t      task = phase_begin ("pipeline");

  weft_waitgroup_add (&wg, 2);
  go (NULL, consumer_fn, &pl);
  go (NULL, producer_fn, &pl);
  wait_phase (&wg);
  if (pl.sum != (long) PIPELINE_ITEMS * (PIPELINE_ITEMS + 1) / 2)
    fail ("pipeline: wrong sum");
  weft_chan_free (pl.ch);
  phase_end (task);
}

/* ------------------------------------------------------------------ select */

typedef struct
{
  WeftChan      *ch;
  WeftWaitGroup *wg;
} SelProducer;

static void
sel_producer_fn (void *arg)
{
  SelProducer *sp = arg;

  for (int i = 0; i < SELECT_ITEMS; i++)
    {
      /* The consumer is in select, with nothing ready, meanwhile. */
      weft_sleep (1 * MS);
      weft_chan_send (sp->ch, &i);
    }
  weft_chan_close (sp->ch);
  weft_waitgroup_done (sp->wg);
}

typedef struct
{
  WeftChan      *a, *b;
  WeftWaitGroup *wg;
  int            received;
} SelConsumer;

static void
sel_consumer_fn (void *arg)
{
  SelConsumer   *sc = arg;
  int            va, vb, open = 2;
  WeftSelectCase cases[2] = {
    { sc->a, WEFT_SELECT_RECV, &va, false },
    { sc->b, WEFT_SELECT_RECV, &vb, false },
  };

  while (open > 0)
    {
      int i = weft_select (cases, 2, true);
      if (!cases[i].ok)
        {
          cases[i].chan = NULL; /* closed: never ready again */
          open--;
        }
      else
        sc->received++;
    }
  weft_waitgroup_done (sc->wg);
}

static void
phase_select (void)
{
  WeftWaitGroup wg = { 0 };
  SelProducer   pa = { weft_chan_new (sizeof (int), 0), &wg }, pb = { weft_chan_new (sizeof (int), 0), &wg };
  SelConsumer   sc = { pa.ch, pb.ch, &wg, 0 };
  uint64_t      task = phase_begin ("select");

  weft_waitgroup_add (&wg, 3);
  go ("selector", sel_consumer_fn, &sc);
  go (NULL, sel_producer_fn, &pa);
  go (NULL, sel_producer_fn, &pb);
  sleeps += 2 * SELECT_ITEMS;
  wait_phase (&wg);
  if (sc.received != 2 * SELECT_ITEMS)
    fail ("select: wrong count");
  select_blocks_min += 1;
  weft_chan_free (pa.ch);
  weft_chan_free (pb.ch);
  phase_end (task);
}

/* ------------------------------------------------------------------ mutex */

typedef struct
{
  WeftMutex      mu;
  WeftWaitGroup *wg;
  int            counter;
} Shared;

static void
mutex_worker_fn (void *arg)
{
  Shared *sh = arg;

  for (int i = 0; i < MUTEX_ROUNDS; i++)
    {
      weft_mutex_lock (&sh->mu);
      /* Sleeping with the lock held makes the others queue on it. */
      weft_sleep (MS / 2);
      sh->counter++;
      weft_mutex_unlock (&sh->mu);
    }
  weft_waitgroup_done (sh->wg);
}

static void
phase_mutex (void)
{
  WeftWaitGroup wg = { 0 };
  Shared        sh = { { 0, 0 }, &wg, 0 };
  uint64_t      task = phase_begin ("mutex");

  weft_waitgroup_add (&wg, MUTEX_WORKERS);
  for (int i = 0; i < MUTEX_WORKERS; i++)
    go (NULL, mutex_worker_fn, &sh);
  sleeps += MUTEX_WORKERS * MUTEX_ROUNDS;
  wait_phase (&wg);
  if (sh.counter != MUTEX_WORKERS * MUTEX_ROUNDS)
    fail ("mutex: wrong count");
  mutex_blocks_min += 1;
  phase_end (task);
}

/* ------------------------------------------------------------------ sleep, yield */

static void
sleeper_fn (void *arg)
{
  WeftWaitGroup *wg = arg;

  for (int i = 0; i < SLEEPS_EACH; i++)
    weft_sleep (2 * MS);
  weft_waitgroup_done (wg);
}

static void
yielder_fn (void *arg)
{
  WeftWaitGroup *wg = arg;

  for (int i = 0; i < YIELDS_EACH; i++)
    weft_yield ();
  weft_waitgroup_done (wg);
}

static void
phase_sleep_yield (void)
{
  WeftWaitGroup wg = { 0 };
  uint64_t      task = phase_begin ("sleep-yield");

  weft_waitgroup_add (&wg, SLEEPERS + YIELDERS);
  for (int i = 0; i < SLEEPERS; i++)
    go ("sleeper", sleeper_fn, &wg);
  for (int i = 0; i < YIELDERS; i++)
    go ("yielder", yielder_fn, &wg);
  sleeps += SLEEPERS * SLEEPS_EACH;
  yields += YIELDERS * YIELDS_EACH;
  wait_phase (&wg);
  phase_end (task);
}

/* ------------------------------------------------------------------ syscall */

static void
syscall_fn (void *arg)
{
  WeftWaitGroup *wg = arg;

  weft_syscall_enter ();
  usleep (30 * 1000); /* long enough for sysmon to hand the P over */
  weft_syscall_exit ();
  weft_waitgroup_done (wg);
}

static void
phase_syscall (void)
{
  WeftWaitGroup wg = { 0 };
  uint64_t      task = phase_begin ("syscall");

  weft_waitgroup_add (&wg, 1);
  go ("syscaller", syscall_fn, &wg);
  wait_phase (&wg);
  phase_end (task);
}

/* ------------------------------------------------------------------ fan-out */

typedef struct
{
  uint64_t       task;
  WeftWaitGroup *wg;
  int            index;
} FanArg;

static void
fan_worker_fn (void *arg)
{
  FanArg *fa = arg;
  char    msg[64];

  weft_region_begin (fa->task, "work");
  weft_sleep (MS);
  snprintf (msg, sizeof msg, "worker %d done", fa->index);
  weft_log (fa->task, "fan-out", msg);
  weft_region_end (fa->task, "work");
  weft_waitgroup_done (fa->wg);
}

static void
phase_fanout (void)
{
  WeftWaitGroup wg = { 0 };
  FanArg        args[FANOUT_WORKERS];
  uint64_t      task = phase_begin ("fan-out");
  uint64_t      sub = weft_task_begin (task, "fan-out workers");

  tasks++;
  weft_waitgroup_add (&wg, FANOUT_WORKERS);
  for (int i = 0; i < FANOUT_WORKERS; i++)
    {
      args[i] = (FanArg){ sub, &wg, i };
      go (NULL, fan_worker_fn, &args[i]);
    }
  regions += FANOUT_WORKERS;
  logs += FANOUT_WORKERS;
  sleeps += FANOUT_WORKERS;
  wait_phase (&wg);
  weft_task_end (sub);
  phase_end (task);
}

/* ------------------------------------------------------------------ stacks */

static volatile int stack_sink;
static void         path_a (unsigned path, int level);
static void         path_b (unsigned path, int level);

/* Descends STACK_BITS levels through path_a or path_b as the bits of
 * @path say, then parks: every path is a distinct blocking stack. Not
 * inlined, and work after each call keeps it from being a tail call. */
static void __attribute__ ((noinline))
path_next (unsigned path, int level)
{
  if (level == STACK_BITS)
    weft_sleep (1000);
  else if (path & (1u << level))
    path_b (path, level + 1);
  else
    path_a (path, level + 1);
  stack_sink++;
}

static void __attribute__ ((noinline))
path_a (unsigned path, int level)
{
  path_next (path, level);
  stack_sink++;
}

static void __attribute__ ((noinline))
path_b (unsigned path, int level)
{
  path_next (path, level);
  stack_sink += 2;
}

typedef struct
{
  unsigned       path;
  WeftWaitGroup *wg;
} PathArg;

static void
path_fn (void *arg)
{
  PathArg *pa = arg;

  path_next (pa->path, 0);
  weft_waitgroup_done (pa->wg);
}

static void
phase_stacks (void)
{
  static PathArg args[1u << STACK_BITS];
  uint64_t       task = phase_begin ("stacks");

  for (unsigned base = 0; base < (1u << STACK_BITS); base += STACK_BATCH)
    {
      WeftWaitGroup wg = { 0 };

      weft_waitgroup_add (&wg, STACK_BATCH);
      for (unsigned i = base; i < base + STACK_BATCH; i++)
        {
          args[i] = (PathArg){ i, &wg };
          go (NULL, path_fn, &args[i]);
        }
      weft_waitgroup_wait (&wg);
    }
  sleeps += 1 << STACK_BITS;
  stacks_min += 1 << STACK_BITS;
  phase_end (task);
}

/* ------------------------------------------------------------------ main */

static int
workload_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  root_task = weft_task_begin (0, "workload");
  tasks++;
  weft_log (root_task, "workload", "start");
  logs++;

  phase_pingpong ();
  phase_pipeline ();
  phase_select ();
  phase_mutex ();
  phase_sleep_yield ();
  phase_syscall ();
  phase_fanout ();
  phase_stacks ();

  weft_log (root_task, "workload", "done");
  logs++;
  weft_task_end (root_task);

  /* +1: main itself is created (goroutine 1) by the runtime. */
  printf ("EXPECT goroutines=%d\n", goroutines + 1);
  printf ("EXPECT exits=%d\n", goroutines);
  printf ("EXPECT tasks=%d\n", tasks);
  printf ("EXPECT regions=%d\n", regions);
  printf ("EXPECT logs=%d\n", logs);
  printf ("EXPECT syscalls=1\n");
  printf ("EXPECT min_sleeps=%d\n", sleeps);
  printf ("EXPECT min_yields=%d\n", yields);
  printf ("EXPECT min_chan_blocks=%d\n", chan_blocks_min);
  printf ("EXPECT min_select_blocks=%d\n", select_blocks_min);
  printf ("EXPECT min_mutex_blocks=%d\n", mutex_blocks_min);
  printf ("EXPECT min_waitgroup_blocks=%d\n", wg_blocks_min);
  printf ("EXPECT min_stacks=%d\n", stacks_min);
  fflush (stdout);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (workload_main, argc, argv);
}
