/* bench.h — what the libweft benchmarks share with each other and, by
 * convention, with their Go twins in go/: each program takes the number
 * of operations as its only argument and prints one line
 *
 *   BENCH <name> <ns per op> <ops> <procs>
 *
 * which run-bench collects. Everything else a program prints is ignored,
 * so a benchmark can run under build-aux/weft-lttng, which prints too. */
#pragma once

#include <weft/weft.h>

#include <stdio.h>
#include <stdlib.h>

static inline long
bench_ops (int argc, char **argv, long fallback)
{
  long ops = argc > 1 ? strtol (argv[1], NULL, 10) : fallback;

  if (ops <= 0)
    {
      fprintf (stderr, "usage: %s [OPS]\n", argv[0]);
      exit (2);
    }
  return ops;
}

static inline void
bench_report (const char *name, int64_t elapsed_ns, long ops)
{
  printf ("BENCH %s %.2f %ld %d\n", name, (double) elapsed_ns / (double) ops, ops, weft_maxprocs ());
  fflush (stdout);
}
