/* workerpool.c — a fixed pool of workers fed through a buffered channel.
 *
 * The main goroutine queues job numbers on a buffered channel and closes
 * it; each worker drains the channel and files its results under a mutex;
 * a WaitGroup tells main when the last worker has gone. The trace shows
 * the three ways a goroutine waits here: on the channel (empty or full),
 * on the mutex and on the WaitGroup.
 *
 * A job is the number of Collatz steps of its number, and the checksum is
 * computed again serially so that a wrong result fails the program.
 *
 * Usage: workerpool [JOBS [WORKERS]]   (default 20000 jobs, 8 workers)
 */
#include <weft/weft.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  WeftChan     *jobs; /* of long, buffered */
  WeftWaitGroup wg;   /* one per worker */

  WeftMutex lock;       /* protects the fields below */
  uint32_t *results;    /* indexed by job; written once each */
  long     *per_worker; /* jobs done by each worker */
  long      done;
} Pool;

typedef struct
{
  Pool *pool;
  int   index;
} Worker;

static uint32_t
collatz_steps (uint64_t n)
{
  uint32_t steps = 0;

  while (n > 1)
    {
      n = (n & 1) ? 3 * n + 1 : n / 2;
      steps++;
    }
  return steps;
}

static void
worker (void *data)
{
  Worker *w = data;
  Pool   *pool = w->pool;
  long    job;

  while (weft_chan_recv (pool->jobs, &job))
    {
      uint32_t steps = collatz_steps ((uint64_t) job + 1);

      /* One short critical section per job: enough contention to show in
       * a trace, not enough to serialise the pool. */
      weft_mutex_lock (&pool->lock);
      pool->results[job] = steps;
      pool->per_worker[w->index]++;
      pool->done++;
      weft_mutex_unlock (&pool->lock);
    }

  weft_waitgroup_done (&pool->wg);
}

/* Order-sensitive, so that a result filed under the wrong job shows. */
static uint64_t
checksum (const uint32_t *results, long n)
{
  uint64_t sum = 0;

  for (long i = 0; i < n; i++)
    sum = sum * 31 + results[i];
  return sum;
}

static int
real_main (int argc, char **argv)
{
  long      n_jobs = argc > 1 ? strtol (argv[1], NULL, 10) : 20000;
  int       n_workers = argc > 2 ? atoi (argv[2]) : 8;
  Pool      pool = { 0 };
  Worker   *workers;
  uint32_t *expected;
  uint64_t  sum, want;

  if (n_jobs <= 0 || n_workers <= 0)
    {
      fprintf (stderr, "usage: %s [JOBS [WORKERS]]\n", argv[0]);
      return 2;
    }

  pool.jobs = weft_chan_new (sizeof (long), 64);
  pool.results = calloc ((size_t) n_jobs, sizeof *pool.results);
  pool.per_worker = calloc ((size_t) n_workers, sizeof *pool.per_worker);
  workers = calloc ((size_t) n_workers, sizeof *workers);
  expected = calloc ((size_t) n_jobs, sizeof *expected);
  if (!pool.results || !pool.per_worker || !workers || !expected)
    {
      fprintf (stderr, "workerpool: out of memory\n");
      return 1;
    }

  weft_waitgroup_add (&pool.wg, n_workers);
  for (int i = 0; i < n_workers; i++)
    {
      workers[i] = (Worker){ &pool, i };
      weft_go_named ("worker", worker, &workers[i]);
    }

  for (long job = 0; job < n_jobs; job++)
    weft_chan_send (pool.jobs, &job);
  weft_chan_close (pool.jobs);

  weft_waitgroup_wait (&pool.wg);
  weft_chan_free (pool.jobs);

  for (long i = 0; i < n_jobs; i++)
    expected[i] = collatz_steps ((uint64_t) i + 1);
  sum = checksum (pool.results, n_jobs);
  want = checksum (expected, n_jobs);

  printf ("%ld jobs on %d workers (%d Ps), checksum %016" PRIx64 "\n",
          pool.done, n_workers, weft_maxprocs (), sum);
  printf ("jobs per worker:");
  for (int i = 0; i < n_workers; i++)
    printf (" %ld", pool.per_worker[i]);
  printf ("\n");

  free (expected);
  free (workers);
  free (pool.per_worker);
  free (pool.results);

  if (pool.done != n_jobs || sum != want)
    {
      fprintf (stderr, "workerpool: checksum %016" PRIx64 " over %ld jobs, expected %016" PRIx64 " over %ld\n",
               sum, pool.done, want, n_jobs);
      return 1;
    }
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
