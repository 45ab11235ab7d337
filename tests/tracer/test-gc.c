/* test-gc.c — the garbage-collected heap as a user sees it.
 *
 * Allocator: memory is zeroed, aligned, never shared by two live objects,
 * from many goroutines on every P at once; MemStats counts exactly what
 * was allocated. Collector: garbage is freed (counted exactly where
 * conservative scanning cannot retain it by chance) and reused; nothing
 * reachable is freed, whether it is reachable from a global, a registered
 * root, a parked goroutine's stack, a goroutine in a syscall, a channel
 * buffer, a weft_after_func argument, an interior pointer or another
 * object; noscan objects keep nothing alive; freed large objects go back
 * to the kernel. The stress case mutates random object graphs from many
 * goroutines on 2+ Ps while cycles run, and checks every reachable node's
 * checksum: a freed and reused node would fail it.
 *
 * Argument: a size factor for the stress case (default 1; the benchmark
 * run uses more).
 *
 * "Freed" is observed through weft_read_mem_stats (frees), and "not
 * freed" through contents: after a cycle the test allocates and scribbles
 * over enough memory to reuse anything that was wrongly freed. */
#define _GNU_SOURCE
#include "test-util.h"

#include <weft/weft.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>
#endif

static int scale = 1;

static uint64_t
frees_now (void)
{
  WeftMemStats ms;
  weft_read_mem_stats (&ms);
  return ms.frees;
}

/* Allocates and scribbles over @bytes in objects of @size: memory freed
 * by mistake would be handed out and overwritten. */
static void
churn (size_t size, size_t bytes)
{
  for (size_t done = 0; done < bytes; done += size)
    memset (weft_alloc (size), 0xA5, size);
}

/* Runs fn(arg) on a goroutine of its own and waits for it to end: what it
 * allocated is then reachable from nothing of the caller's stack, so
 * conservative scanning cannot keep it by accident. */
typedef struct
{
  WeftFunc  fn;
  void     *arg;
  WeftChan *done;
} Detached;

static void
detached_main (void *p)
{
  Detached *d = p;
  d->fn (d->arg);
  weft_chan_send (d->done, NULL);
}

/* Runs fn(arg) on a goroutine of its own that may leave @extra
 * goroutines running, and waits for it to exit. */
static void
run_detached_leaving (WeftFunc fn, void *arg, int extra)
{
  Detached d = { fn, arg, weft_chan_new (0, 0) }; /* nested calls each have their own */
  int64_t  n = weft_num_goroutine () + extra;
  int64_t  deadline = now_ns () + WAIT_NS;

  weft_go (detached_main, &d);
  weft_chan_recv (d.done, NULL);
  weft_chan_free (d.done);
  /* No heap pointer of @arg's left in the caller's frame. */
  explicit_bzero (&d, sizeof d);
  /* Until it has exited, its stack (where fn's frames were) is scanned. */
  while (weft_num_goroutine () > n && now_ns () < deadline)
    weft_yield ();
}

static void
run_detached (WeftFunc fn, void *arg)
{
  run_detached_leaving (fn, arg, 0);
}

/* ------------------------------------------------------------------ allocator */

static bool
all_zero (const unsigned char *p, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (p[i] != 0)
      return false;
  return true;
}

static void
test_zeroed_and_aligned (void)
{
  static const size_t sizes[] = { 1, 8, 16, 17, 100, 1000, 1024, 1025, 4000, 9000, 32768, 32769, 100000, 3 << 20 };
  bool                zero = true, aligned = true;

  for (int round = 0; round < 3; round++)
    for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
      {
        unsigned char *p = weft_alloc (sizes[i]);
        zero &= all_zero (p, sizes[i]);
        aligned &= ((uintptr_t) p & 15) == 0;
        /* Dirty it: later rounds reuse this memory after a cycle. */
        memset (p, 0xff, sizes[i]);
      }
  weft_gc ();
  for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++)
    {
      unsigned char *p = weft_alloc_noscan (sizes[i]);
      zero &= all_zero (p, sizes[i]);
      aligned &= ((uintptr_t) p & 15) == 0;
      memset (p, 0xff, sizes[i]);
    }
  CHECK (zero, "weft_alloc and weft_alloc_noscan return zeroed memory, also when reusing freed memory");
  CHECK (aligned, "objects are 16-byte aligned");
}

#define ALLOC_G 8
#define ALLOC_N 4000

static _Atomic int alloc_bad, alloc_finished;

/* Each object holds its own address and size in every word: two live
 * objects sharing memory would overwrite each other's. */
static void
alloc_worker (void *arg)
{
  uintptr_t seed = (uintptr_t) arg;
  void    **objs = weft_alloc (ALLOC_N * sizeof *objs);
  size_t   *lens = weft_alloc_noscan (ALLOC_N * sizeof *lens);

  for (int i = 0; i < ALLOC_N; i++)
    {
      seed = seed * 6364136223846793005u + 1442695040888963407u;
      lens[i] = 8 + (seed >> 33) % (i % 50 == 0 ? 70000 : 600);
      objs[i] = (i & 1) ? weft_alloc (lens[i]) : weft_alloc_noscan (lens[i]);
      for (size_t w = 0; w < lens[i] / 8; w++)
        ((uintptr_t *) objs[i])[w] = (uintptr_t) objs[i] ^ lens[i];
      if (i % 64 == 0)
        weft_yield ();
    }
  for (int i = 0; i < ALLOC_N; i++)
    for (size_t w = 0; w < lens[i] / 8; w++)
      if (((uintptr_t *) objs[i])[w] != ((uintptr_t) objs[i] ^ lens[i]))
        {
          atomic_fetch_add (&alloc_bad, 1);
          break;
        }
  atomic_fetch_add (&alloc_finished, 1);
}

static void
test_concurrent_alloc (void)
{
  for (int g = 0; g < ALLOC_G; g++)
    weft_go (alloc_worker, (void *) (uintptr_t) (g + 1));
  CHECK (wait_for (&alloc_finished, ALLOC_G), "allocating goroutines finish");
  CHECK_EQ (atomic_load (&alloc_bad), 0, "objects allocated concurrently on every P never overlap");
}

static void
test_mem_stats_counts (void)
{
  WeftMemStats before, after;
  void       **keep = weft_alloc (1000 * sizeof *keep);

  weft_read_mem_stats (&before);
  for (int i = 0; i < 1000; i++)
    keep[i] = weft_alloc (48);
  weft_read_mem_stats (&after);
  CHECK_EQ (after.mallocs - before.mallocs, 1000, "MemStats.mallocs counts every allocation");
  CHECK_EQ (after.heap_objects - before.heap_objects, 1000, "MemStats.heap_objects counts live objects");
  CHECK_EQ (after.heap_alloc - before.heap_alloc, 48000, "MemStats.heap_alloc grows by the objects' size");
  CHECK (after.heap_inuse >= after.heap_alloc && after.heap_sys >= after.heap_inuse,
         "heap_alloc <= heap_inuse <= heap_sys");
  CHECK_EQ (after.heap_idle, after.heap_sys - after.heap_inuse, "heap_idle is heap_sys - heap_inuse");
  weft_gc ();
  weft_read_mem_stats (&after);
  CHECK (after.gc_cpu_ns > before.gc_cpu_ns && after.gc_cpu_ns - before.gc_cpu_ns >= after.last_pause_ns,
         "a cycle adds at least its pause to the collector's CPU time");
  CHECK (after.gc_cpu_fraction > 0 && after.gc_cpu_fraction <= 1, "gc_cpu_fraction is a share of the Ps' time");
}

/* ------------------------------------------------------------------ collector */

typedef struct Node Node;
struct Node
{
  Node    *next;
  uint64_t value;
};

static Node *global_list;

static void
build_garbage (void *arg)
{
  Node *head = NULL;

  for (intptr_t i = 0; i < (intptr_t) arg; i++)
    {
      Node *n = weft_alloc (sizeof *n);
      n->next = head;
      n->value = (uint64_t) i;
      head = n;
    }
  global_list = head;
}

static bool global_ok;

static void
check_global (void *arg)
{
  const Node *n = global_list;
  (void) arg;
  global_ok = true;
  for (int64_t i = 9999; i >= 0; i--, n = n->next)
    global_ok &= n != NULL && n->value == (uint64_t) i;
}

static void
drop_global (void *arg)
{
  (void) arg;
  global_list = NULL;
}

static void
test_garbage_freed (void)
{
  WeftMemStats ms0, ms1;
  uint64_t     f0;

  weft_gc (); /* the earlier tests' garbage */
  run_detached (build_garbage, (void *) (intptr_t) 10000);
  weft_read_mem_stats (&ms0);
  weft_gc ();
  CHECK_EQ (frees_now () - ms0.frees, 0, "a list reachable from a global is not freed");
  run_detached (check_global, NULL);
  CHECK (global_ok, "and it is intact");
  f0 = frees_now ();
  run_detached (drop_global, NULL);
  weft_gc ();
  weft_read_mem_stats (&ms1);
  CHECK_EQ (ms1.frees - f0, 10000, "once the global lets go, the cycle frees every node, exactly");
  CHECK (ms1.heap_alloc <= ms0.heap_alloc - 10000 * 16, "heap_alloc drops by the freed objects");
  CHECK_EQ (ms1.num_gc - ms0.num_gc, 2, "num_gc counts cycles");
  CHECK_EQ (ms1.num_forced_gc - ms0.num_forced_gc, 2, "num_forced_gc counts weft_gc calls");
  CHECK (ms1.last_pause_ns > 0 && ms1.pause_total_ns >= ms1.last_pause_ns, "pauses are accounted");
}

static Node *
make_list (int n, uint64_t salt)
{
  Node *head = NULL;
  for (int i = 0; i < n; i++)
    {
      Node *x = weft_alloc (sizeof *x);
      x->next = head;
      x->value = salt ^ (uint64_t) i;
      head = x;
    }
  return head;
}

static bool
list_ok (const Node *head, int n, uint64_t salt)
{
  for (int i = n - 1; i >= 0; i--, head = head->next)
    if (head == NULL || head->value != (salt ^ (uint64_t) i))
      return false;
  return head == NULL;
}

/* A goroutine whose list is reachable only from its own stack, parked on
 * a channel while cycles run and memory is reused. */
static void
parked_holder (void *arg)
{
  WeftChan *c = arg;
  Node     *mine = make_list (5000, 0x1234);
  int       ok;

  weft_chan_recv (c, NULL);
  ok = list_ok (mine, 5000, 0x1234);
  weft_chan_send (c, &ok);
}

static void
test_parked_stack_root (void)
{
  WeftChan *c = weft_chan_new (sizeof (int), 0);
  int       ok = 0;

  weft_go (parked_holder, c);
  yield_many ();
  for (int i = 0; i < 3; i++)
    {
      weft_gc ();
      churn (16, 4 << 20);
    }
  weft_chan_send (c, NULL);
  weft_chan_recv (c, &ok);
  weft_chan_free (c);
  CHECK (ok, "objects reachable only from a parked goroutine's stack survive cycles");
}

/* A goroutine in a syscall (its P taken) holding a list in a local. */
static _Atomic int in_syscall, left_syscall;

static void
syscall_holder (void *arg)
{
  WeftChan       *c = arg;
  Node           *mine = make_list (5000, 0x5678);
  struct timespec ts = { 1, 0 };
  int             ok;

  weft_syscall_enter ();
  atomic_store (&in_syscall, 1);
  nanosleep (&ts, NULL);
  atomic_store (&left_syscall, 1);
  weft_syscall_exit ();
  ok = list_ok (mine, 5000, 0x5678);
  weft_chan_send (c, &ok);
}

static void
test_syscall_root (void)
{
  WeftChan *c = weft_chan_new (sizeof (int), 0);
  int       ok = 0;
  bool      waited;

  weft_go (syscall_holder, c);
  CHECK (wait_for (&in_syscall, 1), "the holder enters its syscall");
  weft_gc ();
  waited = atomic_load (&left_syscall);
  churn (16, 4 << 20);
  weft_gc ();
  weft_chan_recv (c, &ok);
  weft_chan_free (c);
  CHECK (!waited, "a cycle does not wait for a goroutine in a syscall");
  CHECK (ok, "objects held by a goroutine in a syscall survive cycles");
}

static Node **table;
static bool   table_ok;

static void
fill_table (void *arg)
{
  (void) arg;
  for (int i = 0; i < 64; i++)
    table[i] = make_list (10, (uint64_t) i);
}

static void
check_table (void *arg)
{
  (void) arg;
  table_ok = true;
  for (int i = 0; i < 64; i++)
    table_ok &= list_ok (table[i], 10, (uint64_t) i);
}

static void
test_registered_root (void)
{
  uint64_t f0;

  table = calloc (64, sizeof *table);
  weft_gc_add_root (table, 64 * sizeof *table);
  run_detached (fill_table, NULL);
  weft_gc ();
  churn (16, 2 << 20);
  weft_gc ();
  run_detached (check_table, NULL);
  CHECK (table_ok, "objects reachable from a registered root survive");
  weft_gc_remove_root (table);
  f0 = frees_now ();
  weft_gc ();
  /* At least: a cycle may also free ambient garbage an older stack slot
   * held on to. */
  CHECK (frees_now () - f0 >= 640, "after weft_gc_remove_root, malloc'd memory keeps nothing alive");
  free (table);
}

typedef struct
{
  void *slot;
} Holder;

static Holder *scan_holder, *noscan_holder;

static void
fill_holders (void *arg)
{
  (void) arg;
  scan_holder = weft_alloc (sizeof (Holder));
  noscan_holder = weft_alloc_noscan (sizeof (Holder));
  scan_holder->slot = make_list (100, 1);
  noscan_holder->slot = make_list (100, 2);
}

static void
test_noscan (void)
{
  uint64_t f0;

  run_detached (fill_holders, NULL);
  f0 = frees_now ();
  weft_gc ();
  CHECK_EQ (frees_now () - f0, 100, "a noscan object keeps nothing alive; a scanned one does");
  churn (16, 1 << 20);
  CHECK (list_ok (scan_holder->slot, 100, 1), "the list behind the scanned holder is intact");
}

static Node *interior;

static void
make_interior (void *arg)
{
  (void) arg;
  Node *n = weft_alloc (64 * sizeof (Node));
  for (int i = 0; i < 64; i++)
    n[i].value = 0xabc0 + (uint64_t) i;
  interior = &n[40]; /* only a pointer into the middle survives */
}

static void
test_interior_pointer (void)
{
  run_detached (make_interior, NULL);
  weft_gc ();
  churn (1024, 2 << 20);
  CHECK (interior->value == 0xabc0 + 40 && interior[-40].value == 0xabc0,
         "an interior pointer keeps the whole object alive");
  interior = NULL;
}

static WeftChan *buffered;

static void
send_list (void *arg)
{
  Node *l = make_list (1000, 0x77);
  (void) arg;
  weft_chan_send (buffered, &l);
}

static void
test_channel_buffer_root (void)
{
  Node *got = NULL;
  bool  ok;

  buffered = weft_chan_new (sizeof (Node *), 4);
  run_detached (send_list, NULL);
  weft_gc ();
  churn (16, 2 << 20);
  weft_chan_recv (buffered, &got);
  ok = list_ok (got, 1000, 0x77);
  CHECK (ok, "a pointer held only in a channel's buffer keeps its object alive");
  weft_chan_free (buffered);
  /* malloc may give a later test's leaked channel this address. */
  buffered = NULL;
}

static WeftChan *after_done;

static void
after_fn (void *arg)
{
  int ok = list_ok (arg, 1000, 0x99);
  weft_chan_send (after_done, &ok);
}

static WeftTimer *after_timer;

static void
arm_after (void *arg)
{
  (void) arg;
  after_timer = weft_after_func (100 * MS, after_fn, make_list (1000, 0x99));
}

static void
test_after_func_arg (void)
{
  int ok = 0;

  after_done = weft_chan_new (sizeof (int), 0);
  run_detached (arm_after, NULL);
  weft_gc ();
  churn (16, 2 << 20);
  weft_chan_recv (after_done, &ok);
  CHECK (ok, "a weft_after_func argument survives until the function runs");
  weft_timer_free (after_timer);
  weft_chan_free (after_done);
  after_done = NULL;
}

static void *big;

static void
alloc_big (void *arg)
{
  (void) arg;
  big = weft_alloc_noscan (64 << 20);
  memset (big, 1, 64 << 20);
}

static void
test_large_released (void)
{
  WeftMemStats a, b;

  run_detached (alloc_big, NULL);
  weft_read_mem_stats (&a);
  big = NULL;
  weft_gc ();
  weft_read_mem_stats (&b);
  CHECK (a.heap_inuse - b.heap_inuse >= (uint64_t) 64 << 20, "a freed 64 MiB object leaves heap_inuse");
  CHECK (b.heap_released - a.heap_released >= (uint64_t) 32 << 20, "and most of it goes back to the kernel");
}

/* ------------------------------------------------------------------ leak proof
 *
 * Each case starts its goroutines from a detached goroutine, so that no
 * frame of the test's own keeps a wait object reachable by accident; the
 * set of goroutines a cycle proves leaked is then checked exactly. */

#define MAX_LEAK 32

/* A channel the test leaks on purpose, with the goroutines blocked on it:
 * LeakSanitizer is told so. */
static WeftChan *
leaked_chan (size_t elem_size, size_t cap)
{
  WeftChan *c = weft_chan_new (elem_size, cap);
#ifdef __SANITIZE_ADDRESS__
  __lsan_ignore_object (c);
#endif
  return c;
}

static uint64_t    expect_leaked[MAX_LEAK];
static _Atomic int nexpect, nexpect_stored; /* spawners on several goroutines append */
static uint64_t    expect_live[MAX_LEAK];
static int         nlive;

static void
expect_leak (uint64_t goid)
{
  expect_leaked[atomic_fetch_add (&nexpect, 1)] = goid;
  atomic_fetch_add (&nexpect_stored, 1);
}

static void
recv_forever (void *c)
{
  weft_chan_recv (c, NULL);
}

static void
send_forever (void *c)
{
  int v = 1;
  weft_chan_send (c, &v);
}

/* The first send fills the buffer; the second blocks. */
static void
send_twice (void *c)
{
  int v = 1;
  weft_chan_send (c, &v);
  weft_chan_send (c, &v);
}

static void
select_forever (void *arg)
{
  WeftChan     **cs = arg;
  WeftSelectCase cases[2] = { { .chan = cs[0], .dir = WEFT_SELECT_RECV }, { .chan = cs[1], .dir = WEFT_SELECT_RECV } };
  weft_select (cases, 2, true);
}

typedef struct
{
  WeftMutex     mu;
  WeftWaitGroup wg;
  WeftCond      cond;
  WeftChan     *c;
} Shared;

static void
lock_forever (void *arg)
{
  weft_mutex_lock (&((Shared *) arg)->mu);
}

static void
wg_wait_forever (void *arg)
{
  weft_waitgroup_wait (&((Shared *) arg)->wg);
}

static void
cond_wait_forever (void *arg)
{
  Shared *sh = arg;
  weft_mutex_lock (&sh->mu);
  weft_cond_wait (&sh->cond, &sh->mu);
}

/* Waits on a WaitGroup on its own stack for a child that waits on a
 * channel nobody else has: both are leaked. */
static void
wg_parent (void *arg)
{
  WeftWaitGroup wg = { 0 };
  (void) arg;
  weft_waitgroup_add (&wg, 1);
  expect_leak (weft_go (recv_forever, leaked_chan (sizeof (int), 0)));
  weft_waitgroup_wait (&wg);
}

/* A and B each wait on the channel the other holds. */
typedef struct
{
  WeftChan *mine, *other;
} Pair;

static void
pair_recv (void *arg)
{
  Pair *p = arg;
  weft_chan_recv (p->mine, NULL);
  weft_chan_send (p->other, NULL);
}

static void
spawn_leaks (void *arg)
{
  (void) arg;
  expect_leak (weft_go (recv_forever, leaked_chan (sizeof (int), 0)));
  expect_leak (weft_go (send_forever, leaked_chan (sizeof (int), 0)));
  expect_leak (weft_go (send_twice, leaked_chan (sizeof (int), 1)));
  WeftChan **two = weft_alloc (2 * sizeof *two);
  two[0] = leaked_chan (sizeof (int), 0);
  two[1] = leaked_chan (sizeof (int), 0);
  expect_leak (weft_go (select_forever, two));

  Shared *sh = weft_alloc (sizeof *sh);
  weft_mutex_lock (&sh->mu);
  expect_leak (weft_go (lock_forever, sh));
  Shared *sh2 = weft_alloc (sizeof *sh2);
  weft_waitgroup_add (&sh2->wg, 1);
  expect_leak (weft_go (wg_wait_forever, sh2));
  Shared *sh3 = weft_alloc (sizeof *sh3);
  expect_leak (weft_go (cond_wait_forever, sh3));

  expect_leak (weft_go (wg_parent, NULL));

  Pair *a = weft_alloc (sizeof *a), *b = weft_alloc (sizeof *b);
  a->mine = b->other = leaked_chan (0, 0);
  b->mine = a->other = leaked_chan (0, 0);
  expect_leak (weft_go (pair_recv, a));
  expect_leak (weft_go (pair_recv, b));
  /* wg_parent adds its child. */
  int64_t deadline = now_ns () + WAIT_NS;
  while (atomic_load (&nexpect_stored) < 11 && now_ns () < deadline)
    weft_yield ();
}

/* ---- goroutines that can still be woken */

static WeftChan   *global_chan;
static WeftMutex   global_mu;
static Shared     *global_shared;
static WeftTimer  *long_timer;
static _Atomic int holder_in_syscall;

static WeftChan *release;

/* Holds its channel on its stack while it waits on a global channel:
 * woken, it sends on it. */
static void
blocked_holder (void *c)
{
  weft_chan_recv (release, NULL);
  weft_chan_send (c, NULL);
}

static void
syscall_chan_holder (void *c)
{
  struct timespec ts = { 0, 400 * 1000 * 1000 };
  weft_syscall_enter ();
  atomic_store (&holder_in_syscall, 1);
  nanosleep (&ts, NULL);
  weft_syscall_exit ();
  weft_chan_send (c, NULL);
}

static void
recv_timer (void *arg)
{
  (void) arg;
  weft_chan_recv (weft_timer_chan (long_timer), NULL);
}

static void
lock_global (void *arg)
{
  (void) arg;
  weft_mutex_lock (&global_mu);
}

static void
recv_shared (void *arg)
{
  (void) arg;
  weft_chan_recv (global_shared->c, NULL);
}

/* A request handler's locals, which its workers get the address of. */
typedef struct
{
  WeftWaitGroup wg;
  WeftChan     *jobs; /* only in the handler's frame; NULL: no job */
} Handler;

/* Waits on a global channel holding the address of its parent's locals;
 * woken, it takes a job from the parent's channel and calls Done. */
static WeftChan        *release_workers;
static _Atomic uint64_t worker_goids[2];
static _Atomic int      nworkers;

static void
handler_worker (void *arg)
{
  Handler *h = arg;
  weft_chan_recv (release_workers, NULL);
  if (h->jobs != NULL)
    weft_chan_recv (h->jobs, NULL);
  weft_waitgroup_done (&h->wg);
}

/* Waits on a WaitGroup on its own stack (@arg = 0) or sends on a channel
 * only its own stack holds (@arg = 1) while its worker, which can be
 * woken, has the address of both. */
static void
handler (void *arg)
{
  Handler h = { .jobs = arg != NULL ? weft_chan_new (0, 0) : NULL };

  weft_waitgroup_add (&h.wg, 1);
  atomic_store (&worker_goids[arg != NULL], weft_go (handler_worker, &h));
  atomic_fetch_add (&nworkers, 1);
  if (h.jobs != NULL)
    weft_chan_send (h.jobs, NULL);
  weft_waitgroup_wait (&h.wg);
  if (h.jobs != NULL)
    weft_chan_free (h.jobs);
}

/* Kept as numbers: globals that held these channels would make the
 * goroutines' wait reachable for the wrong reason. */
static uintptr_t held_id, syscall_held_id;

static void
spawn_live (void *arg)
{
  WeftChan *held, *syscall_held;
  (void) arg;

  global_chan = weft_chan_new (sizeof (int), 0);
  expect_live[nlive++] = weft_go (recv_forever, global_chan);

  release = weft_chan_new (0, 0);
  held = weft_chan_new (0, 0);
  expect_live[nlive++] = weft_go (recv_forever, held);
  expect_live[nlive++] = weft_go (blocked_holder, held);

  long_timer = weft_timer_new (3600 * SEC);
  expect_live[nlive++] = weft_go (recv_timer, NULL);

  weft_mutex_lock (&global_mu);
  expect_live[nlive++] = weft_go (lock_global, NULL);

  global_shared = weft_alloc (sizeof *global_shared);
  global_shared->c = weft_chan_new (0, 0);
  expect_live[nlive++] = weft_go (recv_shared, NULL);

  syscall_held = weft_chan_new (0, 0);
  expect_live[nlive++] = weft_go (recv_forever, syscall_held);
  expect_live[nlive++] = weft_go (syscall_chan_holder, syscall_held);
  release_workers = weft_chan_new (0, 0);
  expect_live[nlive++] = weft_go (handler, NULL);
  expect_live[nlive++] = weft_go (handler, (void *) 1);
  held_id = ~(uintptr_t) held;
  syscall_held_id = ~(uintptr_t) syscall_held;
}

static bool
contains (const uint64_t *ids, size_t n, uint64_t id)
{
  for (size_t i = 0; i < n; i++)
    if (ids[i] == id)
      return true;
  return false;
}

static uint64_t proven[64];
static size_t   proven_n;

/* A goroutine is proven leaked once it has blocked: cycles run until every
 * expected one has (a bounded wait); more would be false reports. On a
 * goroutine of its own, whose frames never held the earlier tests'
 * channels: the collecting goroutine's frames are roots, and a stale
 * address there of a freed channel that malloc handed to a leaked one
 * (seen under TSan, whose frames are larger) keeps that leak unproven. */
static void
prove_leaks_loop (void *arg)
{
  (void) arg;
  for (int attempt = 0; attempt < 200; attempt++)
    {
      yield_many ();
      weft_gc ();
      proven_n = weft_leaked_goroutines (proven, 64);
      if (proven_n >= (size_t) nexpect)
        break;
    }
}

static void
test_leaks (void)
{
  uint64_t found[64];
  size_t   n;
  bool     all_expected = true, no_live = true;

  run_detached_leaving (spawn_leaks, NULL, 11);
  run_detached_leaving (spawn_live, NULL, 12);
  CHECK (wait_for (&holder_in_syscall, 1), "the syscall holder is in its syscall");
  CHECK (wait_for (&nworkers, 2), "the handlers have started their workers");
  expect_live[nlive++] = worker_goids[0];
  expect_live[nlive++] = worker_goids[1];
  run_detached (prove_leaks_loop, NULL);
  n = proven_n;
  memcpy (found, proven, sizeof found);
  for (int i = 0; i < nexpect; i++)
    all_expected &= contains (found, n, expect_leaked[i]);
  for (int i = 0; i < nlive; i++)
    no_live &= !contains (found, n, expect_live[i]);
  CHECK (all_expected, "goroutines blocked on unreachable channels, selects, mutexes, WaitGroups and Conds are leaked");
  CHECK (no_live, "goroutines whose channel a global, a live goroutine, a timer or a syscall holds, or whose "
                  "wait object on their own stack a live goroutine can reach, are not");
  CHECK_EQ (n, (size_t) nexpect, "exactly the leaked goroutines are reported");
  if (n != (size_t) nexpect || !all_expected || !no_live)
    {
      for (size_t i = 0; i < n; i++)
        printf ("# reported leaked: goroutine %llu\n", (unsigned long long) found[i]);
      for (int i = 0; i < nlive; i++)
        printf ("# live case: goroutine %llu\n", (unsigned long long) expect_live[i]);
      weft_dump_goroutines (1);
    }
  /* The proof is repeated every cycle, with the same result. */
  weft_gc ();
  CHECK_EQ (weft_leaked_goroutines (found, 64), (size_t) nexpect, "the next cycle finds the same leaks");
  /* What was not reported can indeed be woken. */
  int64_t before = weft_num_goroutine ();
  weft_chan_send (global_chan, &(int){ 1 });
  weft_mutex_unlock (&global_mu);
  weft_chan_send (global_shared->c, NULL);
  weft_chan_send (release, NULL);
  weft_chan_send (release_workers, NULL);
  weft_chan_send (release_workers, NULL);
  weft_timer_reset (long_timer, 0);
  int64_t deadline = now_ns () + WAIT_NS;
  while (weft_num_goroutine () > before - nlive && now_ns () < deadline)
    weft_yield ();
  CHECK_EQ (weft_num_goroutine (), before - nlive, "every goroutine kept off the list can indeed be woken");
  weft_chan_free (global_chan);
  weft_chan_free (global_shared->c);
  weft_chan_free (release);
  weft_chan_free (release_workers);
  weft_chan_free ((WeftChan *) ~held_id);
  weft_chan_free ((WeftChan *) ~syscall_held_id);
  weft_timer_free (long_timer);
}

/* ------------------------------------------------------------------ stress */

#define STRESS_G 8
#define STRESS_SLOTS 256
#define NODE_KIDS 4

typedef struct SNode SNode;
struct SNode
{
  uint64_t id;
  uint64_t sum; /* of id and payload: a reused node fails it */
  SNode   *kid[NODE_KIDS];
  uint32_t len;
  uint8_t  payload[];
};

static SNode      *stress_roots[STRESS_G][STRESS_SLOTS];
static _Atomic int stress_bad, stress_done;
static _Atomic int stress_checked;

static uint64_t
node_sum (const SNode *n)
{
  uint64_t s = n->id * 0x9e3779b97f4a7c15u;
  for (uint32_t i = 0; i < n->len; i++)
    s = (s ^ n->payload[i]) * 0x100000001b3u;
  return s;
}

static SNode *
new_node (uint64_t *seed, uint64_t id)
{
  uint32_t len;
  SNode   *n;

  *seed = *seed * 6364136223846793005u + 1442695040888963407u;
  len = (uint32_t) ((*seed >> 33) % 200);
  n = weft_alloc (sizeof *n + len);
  n->id = id;
  n->len = len;
  for (uint32_t i = 0; i < len; i++)
    n->payload[i] = (uint8_t) (id + i);
  n->sum = node_sum (n);
  return n;
}

/* Checks every node reachable from @n (depth-bounded: the graph may have
 * cycles). */
static int
check_graph (const SNode *n, int depth)
{
  int bad = 0;

  if (n == NULL || depth == 0)
    return 0;
  if (n->sum != node_sum (n))
    return 1;
  atomic_fetch_add_explicit (&stress_checked, 1, memory_order_relaxed);
  for (int k = 0; k < NODE_KIDS; k++)
    bad += check_graph (n->kid[k], depth - 1);
  return bad;
}

static void
stress_worker (void *arg)
{
  int      g = (int) (intptr_t) arg;
  uint64_t seed = (uint64_t) g * 7919 + 1, id = (uint64_t) g << 40;
  int      iters = 20000 * scale;

  for (int it = 0; it < iters; it++)
    {
      SNode *n = new_node (&seed, id++);
      int    slot = (int) ((seed >> 20) % STRESS_SLOTS);
      int    other = (int) ((seed >> 30) % STRESS_SLOTS);
      int    og = (int) ((seed >> 40) % STRESS_G);

      /* Link to nodes of this goroutine and of others (published with
       * release stores: any value a slot held is a complete node). */
      n->kid[0] = stress_roots[g][other];
      n->kid[1] = __atomic_load_n (&stress_roots[og][slot], __ATOMIC_ACQUIRE);
      if (stress_roots[g][slot] != NULL)
        n->kid[2] = stress_roots[g][slot]->kid[0];
      __atomic_store_n (&stress_roots[g][slot], n, __ATOMIC_RELEASE);
      if (it % 1000 == 0)
        {
          for (int s = 0; s < STRESS_SLOTS; s++)
            atomic_fetch_add (&stress_bad, check_graph (stress_roots[g][s], 3));
          weft_yield ();
        }
    }
  atomic_fetch_add (&stress_done, 1);
}

/* Cycles back to back while the graphs mutate: most of each one's mark
 * runs concurrently with the workers, whatever the pacer does. */
static void
stress_collector (void *arg)
{
  _Atomic int *cycles = arg;

  while (atomic_load (&stress_done) < STRESS_G)
    {
      weft_gc ();
      atomic_fetch_add (cycles, 1);
      /* Back to back, the stops would preempt the workers before they
       * ever ran. */
      weft_sleep (2 * 1000 * 1000);
    }
}

static void
test_stress (void)
{
  static _Atomic int forced;
  WeftMemStats       ms0, ms1;
  int                old = weft_set_gc_percent (25);
  int                bad = 0;

  weft_read_mem_stats (&ms0);
  for (int g = 0; g < STRESS_G; g++)
    weft_go (stress_worker, (void *) (intptr_t) g);
  weft_go (stress_collector, &forced);
  int64_t deadline = now_ns () + 60 * SEC;
  while (atomic_load (&stress_done) < STRESS_G && now_ns () < deadline)
    {
      weft_yield ();
    }
  weft_gc ();
  for (int g = 0; g < STRESS_G; g++)
    for (int s = 0; s < STRESS_SLOTS; s++)
      bad += check_graph (stress_roots[g][s], 6);
  weft_read_mem_stats (&ms1);
  weft_set_gc_percent (old);
  CHECK_EQ (atomic_load (&stress_done), STRESS_G, "stress goroutines finish");
  CHECK_EQ (atomic_load (&stress_bad) + bad, 0, "no reachable node is freed or corrupted while graphs mutate on 2+ Ps");
  CHECK (atomic_load (&stress_checked) > 1000, "the checks visited nodes");
  CHECK (ms1.num_gc - ms0.num_gc >= 2 && atomic_load (&forced) >= 1, "cycles ran during the stress");
  printf ("# stress: %u cycles, %llu frees, heap %llu KiB, total pause %.1f ms\n", ms1.num_gc - ms0.num_gc,
          (unsigned long long) (ms1.frees - ms0.frees), (unsigned long long) (ms1.heap_alloc >> 10),
          (double) (ms1.pause_total_ns - ms0.pause_total_ns) / 1e6);
}

/* ---- reads into the heap while it is write-protected for a mark */

#define READ_TOTAL (8 << 20)
#define READ_CHUNK 65536

static _Atomic int reads_done, read_cycles;

static unsigned char
read_byte (size_t off)
{
  return (unsigned char) (off * 7 + 3);
}

/* Sends its pattern until the reader is done. */
static void
read_server (void *arg)
{
  int            lfd = (int) (intptr_t) arg;
  int            fd = weft_net_accept (lfd, 10 * SEC);
  unsigned char *chunk = weft_alloc_noscan (READ_CHUNK);

  for (size_t off = 0; fd >= 0 && !atomic_load (&reads_done); off += READ_CHUNK)
    {
      for (size_t i = 0; i < READ_CHUNK; i++)
        chunk[i] = read_byte (off + i);
      if (weft_net_write_all (fd, chunk, READ_CHUNK, 10 * SEC) != READ_CHUNK)
        break;
    }
  weft_net_close (fd);
  weft_net_close (lfd);
}

static void
read_collector (void *arg)
{
  (void) arg;
  while (!atomic_load (&reads_done))
    {
      weft_gc ();
      atomic_fetch_add (&read_cycles, 1);
      weft_sleep (1000 * 1000);
    }
}

/* The kernel fails read(2) into a write-protected page (EFAULT) instead
 * of faulting: weft_net_read must work on a buffer allocated with
 * weft_alloc (scanned, so protected while a cycle marks) whenever cycles
 * run. A live heap of 16 MiB makes each mark last long enough that most
 * reads overlap one. */
static void
test_read_during_mark (void)
{
  void         **live = weft_alloc (4096 * sizeof *live);
  int            lfd = weft_net_listen_tcp ("127.0.0.1", 0, 1);
  int            fd;
  size_t         got = 0, bad = 0;
  ssize_t        n = 0;
  int64_t        deadline = now_ns () + 60 * SEC;
  unsigned char *buf;

  for (int i = 0; i < 4096; i++)
    live[i] = weft_alloc (4096);
  weft_go (read_server, (void *) (intptr_t) lfd);
  fd = weft_net_dial_tcp ("127.0.0.1", (uint16_t) weft_net_local_port (lfd), 10 * SEC);
  weft_go (read_collector, NULL);
  while (fd >= 0 && (got < READ_TOTAL || atomic_load (&read_cycles) < 3) && now_ns () < deadline)
    {
      buf = weft_alloc (READ_CHUNK);
      n = weft_net_read (fd, buf, READ_CHUNK, 10 * SEC);
      if (n <= 0)
        break;
      for (ssize_t i = 0; i < n; i++)
        bad += buf[i] != read_byte (got + (size_t) i);
      got += (size_t) n;
    }
  atomic_store (&reads_done, 1);
  weft_net_close (fd);
  CHECK (n > 0 && got >= READ_TOTAL, "every read into a collected buffer succeeds while cycles mark");
  CHECK_EQ (bad, 0, "and the bytes are the ones sent");
  CHECK (atomic_load (&read_cycles) >= 3, "cycles ran during the reads");
  if (live[4095] == NULL)
    abort ();
}

/* Cycles run when the tests ask, except in the stress case. */
static void
gc_off (void)
{
  weft_set_gc_percent (-1);
}

typedef struct
{
  void (*run) (void);
  int leaves; /* goroutines it leaves blocked for good */
} Test;

static void
run_test (void *arg)
{
  ((const Test *) arg)->run ();
}

static int
test_main (int argc, char **argv)
{
  /* In this order, each on a goroutine of its own: a conservative
   * collector keeps what any stale word on a scanned stack points to, and
   * a test run on this goroutine (or inlined into this frame) would leave
   * in its slots addresses of objects it freed, which the allocator then
   * gives to the next test's garbage or leaked channels (once 1 run in 100:
   * one node of test_garbage_freed's list kept). A goroutine's stack is
   * cleared when it exits. */
  static const Test tests[] = {
    { gc_off, 0 },
    /* First: no channel has been freed yet whose address a leaked one could get. */
    { test_leaks, 11 },
    { test_zeroed_and_aligned, 0 },
    { test_concurrent_alloc, 0 },
    { test_mem_stats_counts, 0 },
    { test_garbage_freed, 0 },
    { test_parked_stack_root, 0 },
    { test_syscall_root, 0 },
    { test_registered_root, 0 },
    { test_noscan, 0 },
    { test_interior_pointer, 0 },
    { test_channel_buffer_root, 0 },
    { test_after_func_arg, 0 },
    { test_large_released, 0 },
    { test_read_during_mark, 0 },
    { test_stress, 0 },
  };

  if (argc > 1)
    scale = atoi (argv[1]) > 0 ? atoi (argv[1]) : 1;
  for (size_t i = 0; i < sizeof tests / sizeof tests[0]; i++)
    run_detached_leaving (run_test, (void *) &tests[i], tests[i].leaves);
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  return weft_main (test_main, argc, argv);
}
