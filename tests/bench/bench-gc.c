/* bench-gc.c — the garbage-collected heap against glibc malloc and Go
 * (go/gc.go is the twin; run-bench-gc runs both side by side).
 *
 *   bench-gc binarytrees DEPTH   weft_alloc throughput: the Benchmarks Game's
 *                                binary-trees on one goroutine, a long-lived
 *                                tree of DEPTH plus short-lived trees
 *   bench-gc malloc DEPTH        the same with malloc and free (glibc)
 *   bench-gc heap MIB            stop-the-world pauses with MIB of live
 *                                64-byte objects while garbage is allocated
 *
 * Prints "BENCH <name> <ns per op> <ops> <procs>" (op: one node
 * allocated) and, for heap, "PAUSE <name> <p50 ns> <p99 ns> <max ns>
 * <cycles> <gc cpu fraction>". */
#include "bench.h"

#include <stdint.h>
#include <string.h>

typedef struct Node Node;
struct Node
{
  Node *left, *right;
};

static Node *
tree_gc (int depth)
{
  Node *n = weft_alloc (sizeof *n);
  if (depth > 0)
    {
      n->left = tree_gc (depth - 1);
      n->right = tree_gc (depth - 1);
    }
  return n;
}

static Node *
tree_malloc (int depth)
{
  Node *n = malloc (sizeof *n);
  if (n == NULL)
    abort ();
  n->left = n->right = NULL;
  if (depth > 0)
    {
      n->left = tree_malloc (depth - 1);
      n->right = tree_malloc (depth - 1);
    }
  return n;
}

static void
tree_free (Node *n)
{
  if (n->left != NULL)
    {
      tree_free (n->left);
      tree_free (n->right);
    }
  free (n);
}

static long
check (const Node *n)
{
  return n->left == NULL ? 1 : 1 + check (n->left) + check (n->right);
}

static long
binarytrees (int max_depth, bool use_malloc)
{
  long  nodes = 0;
  Node *long_lived = use_malloc ? tree_malloc (max_depth) : tree_gc (max_depth);

  nodes += check (long_lived);
  for (int d = 4; d <= max_depth; d += 2)
    for (long i = 0, iters = 1L << (max_depth - d + 4); i < iters; i++)
      {
        Node *t = use_malloc ? tree_malloc (d) : tree_gc (d);
        nodes += check (t);
        if (use_malloc)
          tree_free (t);
      }
  nodes += check (long_lived);
  if (use_malloc)
    tree_free (long_lived);
  return nodes;
}

/* ------------------------------------------------------------------ heap */

#define OBJ_WORDS 8 /* 64-byte objects, as in go/gc.go */

static int
cmp_u64 (const void *a, const void *b)
{
  uint64_t x = *(const uint64_t *) a, y = *(const uint64_t *) b;
  return x < y ? -1 : x > y;
}

static uint64_t
percentile (const uint64_t *sorted, int n, int pct)
{
  int i = (n * pct + 99) / 100 - 1;
  return sorted[i < 0 ? 0 : i];
}

/* A live heap of @mib MiB in lists of 64-byte objects hanging off one
 * pointer array, then six times as much garbage; the pauses of the
 * cycles the garbage triggers. */
static long
heap (long mib, uint64_t *pauses, int *npauses, double *gc_cpu, int64_t *elapsed)
{
  long         nobj = mib * 1024 * 1024 / (OBJ_WORDS * 8), heads = 4096;
  uintptr_t  **lists = weft_alloc ((size_t) heads * sizeof *lists);
  WeftMemStats ms0, ms1;
  int64_t      t0;
  long         ops = 0;

  for (long i = 0; i < nobj; i++)
    {
      uintptr_t *o = weft_alloc (OBJ_WORDS * 8);
      o[0] = (uintptr_t) lists[i % heads];
      o[1] = (uintptr_t) i;
      lists[i % heads] = o;
    }
  weft_gc ();
  weft_read_mem_stats (&ms0);
  t0 = weft_nanotime ();
  for (long i = 0; i < 6 * nobj; i++, ops++)
    {
      uintptr_t *o = weft_alloc (OBJ_WORDS * 8);
      o[1] = (uintptr_t) i;
    }
  *elapsed = weft_nanotime () - t0;
  weft_read_mem_stats (&ms1);
  *npauses = 0;
  for (uint32_t c = ms0.num_gc + 1; c <= ms1.num_gc && *npauses < 256; c++)
    pauses[(*npauses)++] = ms1.pause_ns[(c - 1) % 256];
  *gc_cpu = ms1.gc_cpu_fraction;
  /* Keep the live heap live to the end. */
  if (lists[0] == NULL)
    abort ();
  return ops;
}

static int
bench_main (int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";
  long        n = bench_ops (argc - 1, argv + 1, 16);
  int64_t     t0, elapsed;

  if (strcmp (mode, "binarytrees") == 0 || strcmp (mode, "malloc") == 0)
    {
      bool use_malloc = strcmp (mode, "malloc") == 0;
      long nodes;

      binarytrees (10, use_malloc); /* warm up */
      t0 = weft_nanotime ();
      nodes = binarytrees ((int) n, use_malloc);
      bench_report (use_malloc ? "binarytrees-malloc" : "binarytrees", weft_nanotime () - t0, nodes);
      return 0;
    }
  if (strcmp (mode, "heap") == 0)
    {
      static uint64_t pauses[256];
      int             np;
      double          gc_cpu;
      long            ops = heap (n, pauses, &np, &gc_cpu, &elapsed);
      char            name[32];

      snprintf (name, sizeof name, "heap-%ldMiB", n);
      bench_report (name, elapsed, ops);
      if (np == 0)
        {
          fprintf (stderr, "bench-gc: no cycle ran\n");
          return 1;
        }
      qsort (pauses, (size_t) np, sizeof *pauses, cmp_u64);
      printf ("PAUSE %s %llu %llu %llu %d %.4f\n", name, (unsigned long long) percentile (pauses, np, 50),
              (unsigned long long) percentile (pauses, np, 99), (unsigned long long) pauses[np - 1], np, gc_cpu);
      return 0;
    }
  fprintf (stderr, "usage: bench-gc binarytrees|malloc DEPTH | heap MIB\n");
  return 2;
}

int
main (int argc, char **argv)
{
  return weft_main (bench_main, argc, argv);
}
