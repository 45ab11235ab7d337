/* bench-gc.c — the garbage-collected heap against glibc malloc and Go
 * (go/gc.go is the twin; run-bench-gc runs both side by side).
 *
 *   bench-gc binarytrees DEPTH   weft_alloc throughput: the Benchmarks Game's
 *                                binary-trees on one goroutine, a long-lived
 *                                tree of DEPTH plus short-lived trees
 *   bench-gc malloc DEPTH        the same with malloc and free (glibc)
 *   bench-gc heap MIB            stop-the-world pauses with MIB of live
 *                                64-byte objects while garbage is allocated
 *   bench-gc mark MIB            mutator utilization during one
 *                                heap-triggered cycle over MIB of live
 *                                64-byte objects, for a goroutine that
 *                                reads them and does not allocate
 *
 * Prints "BENCH <name> <ns per op> <ops> <procs>" (op: one node
 * allocated; for mark, one object read while the cycle runs), for heap
 * "PAUSE <name> <p50 ns> <p99 ns> <max ns> <cycles> <gc cpu fraction>",
 * for mark "MARK <name> <cycle ns> <mutator utilization>". The mark mode
 * uses only the API libweft had before its fractional worker, so that
 * the same file builds against an older libweft for a before/after
 * comparison (run-bench-gc --baseline). */
#include "bench.h"

#include <stdatomic.h>
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
#define HEADS 4096

static uintptr_t **
live_heap (long nobj)
{
  uintptr_t **lists = weft_alloc ((size_t) HEADS * sizeof *lists);

  for (long i = 0; i < nobj; i++)
    {
      uintptr_t *o = weft_alloc (OBJ_WORDS * 8);
      o[0] = (uintptr_t) lists[i % HEADS];
      o[1] = (uintptr_t) i;
      lists[i % HEADS] = o;
    }
  return lists;
}

static long
heap (long mib, uint64_t *pauses, int *npauses, double *gc_cpu, int64_t *elapsed)
{
  long         nobj = mib * 1024 * 1024 / (OBJ_WORDS * 8);
  uintptr_t  **lists = live_heap (nobj);
  WeftMemStats ms0, ms1;
  int64_t      t0;
  long         ops = 0;

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

/* ------------------------------------------------------------------ mark */

static _Atomic int  mark_started, mark_over;
static volatile int sink;

static void
wait_for_cycle_end (void *arg)
{
  WeftMemStats ms;

  (void) arg;
  while (!atomic_load (&mark_started))
    weft_yield ();
  /* Returns once the running cycle has ended (and swept). */
  weft_read_mem_stats (&ms);
  atomic_store (&mark_over, 1);
}

/* Reads the objects until @until or *@stop, a safepoint after each: a
 * computing goroutine that never allocates (so never assists). Returns
 * the objects read. */
static long
read_objects (uintptr_t **lists, int64_t until, _Atomic int *stop)
{
  long      n = 0;
  uintptr_t sum = 0;

  for (long h = 0;; h = (h + 1) % HEADS)
    for (const uintptr_t *o = lists[h]; o != NULL; o = (const uintptr_t *) o[0])
      {
        sum += o[1];
        if ((++n & 63) == 0 && (weft_nanotime () >= until || (stop != NULL && atomic_load (stop))))
          {
            sink = (int) sum;
            return n;
          }
        weft_safepoint ();
      }
}

/* The reading rate before and after the cycle (200 ms each, no cycle
 * runs) against the rate from the allocation that starts the cycle to
 * its end: the share of its speed the goroutine kept. */
static double
mark (long mib, int64_t *cycle_ns, long *ops)
{
  uintptr_t  **lists = live_heap (mib * 1024 * 1024 / (OBJ_WORDS * 8));
  WeftMemStats ms0;
  int64_t      t0, t1;
  double       before, after, during;

  weft_gc ();
  weft_read_mem_stats (&ms0);
  t0 = weft_nanotime ();
  before = (double) read_objects (lists, t0 + 200 * 1000 * 1000, NULL) / (double) (weft_nanotime () - t0);
  weft_go (wait_for_cycle_end, NULL);
  /* Past the goal in one object: the next allocation starts the cycle. */
  weft_alloc_noscan (ms0.next_gc - ms0.heap_alloc + (1 << 20));
  t0 = weft_nanotime ();
  weft_alloc_noscan (16);
  atomic_store (&mark_started, 1);
  *ops = read_objects (lists, t0 + 60LL * 1000 * 1000 * 1000, &mark_over);
  t1 = weft_nanotime ();
  during = (double) *ops / (double) (t1 - t0);
  *cycle_ns = t1 - t0;
  after = (double) read_objects (lists, t1 + 200 * 1000 * 1000, NULL) / (double) (weft_nanotime () - t1);
  return during / ((before + after) / 2);
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
  if (strcmp (mode, "mark") == 0)
    {
      int64_t cycle_ns;
      long    ops;
      double  mu = mark (n, &cycle_ns, &ops);
      char    name[32];

      snprintf (name, sizeof name, "mark-%ldMiB", n);
      bench_report (name, cycle_ns, ops);
      printf ("MARK %s %lld %.3f\n", name, (long long) cycle_ns, mu);
      return 0;
    }
  fprintf (stderr, "usage: bench-gc binarytrees|malloc DEPTH | heap MIB | mark MIB\n");
  return 2;
}

int
main (int argc, char **argv)
{
  return weft_main (bench_main, argc, argv);
}
