/* bench-create.c — cost of starting a goroutine and seeing it exit.
 *
 * Goroutines are started in batches and each batch is waited for with a
 * WaitGroup, as Go's benchmarks of `go f()` do: waiting for every op at
 * once would measure how many stacks fit in memory instead. The Go twin
 * is go/create.go. */
#include "bench.h"

enum
{
  BATCH = 1000,
};

static void
empty (void *data)
{
  weft_waitgroup_done (data);
}

static void
run (long ops)
{
  WeftWaitGroup wg = { 0 };

  for (long done = 0; done < ops; done += BATCH)
    {
      long n = ops - done < BATCH ? ops - done : BATCH;

      weft_waitgroup_add (&wg, (int) n);
      for (long i = 0; i < n; i++)
        weft_go (empty, &wg);
      weft_waitgroup_wait (&wg);
    }
}

static int
real_main (int argc, char **argv)
{
  long    ops = bench_ops (argc, argv, 200000);
  int64_t start;

  /* Warm up: fill the stack pools and start every M. */
  run (ops / 10 + 1);

  start = weft_nanotime ();
  run (ops);
  bench_report ("create", weft_nanotime () - start, ops);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
