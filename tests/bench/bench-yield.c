/* bench-yield.c — cost of a goroutine switch through weft_yield().
 *
 * Two goroutines yield to each other; run with WEFT_MAXPROCS=1 (run-bench
 * does) so that every yield is a switch to the other one on the same P.
 * ns/op is per yield, i.e. per switch. The Go twin is go/yield.go. */
#include "bench.h"

typedef struct
{
  long          yields;
  WeftWaitGroup wg;
} Yielders;

static void
yielder (void *data)
{
  Yielders *y = data;

  for (long i = 0; i < y->yields; i++)
    weft_yield ();
  weft_waitgroup_done (&y->wg);
}

static void
run (long ops)
{
  Yielders y = { .yields = ops / 2 };

  weft_waitgroup_add (&y.wg, 2);
  weft_go (yielder, &y);
  weft_go (yielder, &y);
  weft_waitgroup_wait (&y.wg);
}

static int
real_main (int argc, char **argv)
{
  long    ops = bench_ops (argc, argv, 1000000);
  int64_t start;

  run (ops / 10 + 2);

  start = weft_nanotime ();
  run (ops);
  bench_report ("yield", weft_nanotime () - start, ops / 2 * 2);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
