/* alloc-service.c — an allocation-heavy service on the collected heap.
 *
 * WORKERS goroutines serve REQUESTS requests from a channel. Each request
 * builds a response tree of small objects with weft_alloc (garbage once
 * it is answered) and, one time in 16, replaces an entry of a shared
 * cache (a table of 4096 entries, each a list of 64-byte records: the
 * live heap). The pacer starts cycles as the garbage piles up; a trace
 * shows gc_begin/gc_end, the stop-the-world pauses, heap_alloc against
 * heap_goal and which goroutines were stopped. At the end the program
 * prints what weft_read_mem_stats says.
 *
 * Usage: alloc-service [REQUESTS [WORKERS]]   (default 200000 8)
 *        WEFT_GOGC / WEFT_MEMLIMIT tune the pacer.
 */
#include <weft/weft.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CACHE_SLOTS 4096

typedef struct Record Record;
struct Record
{
  Record  *next;
  uint64_t key;
  char     value[48];
};

typedef struct Resp Resp;
struct Resp
{
  Resp    *kids[3];
  uint64_t n;
};

static Record       *cache[CACHE_SLOTS]; /* a global: the live heap hangs here */
static WeftMutex     cache_mu;
static WeftChan     *requests;
static WeftWaitGroup done;

static Resp *
build (int depth, uint64_t n)
{
  Resp *r = weft_alloc (sizeof *r);
  r->n = n;
  if (depth > 0)
    for (int i = 0; i < 3; i++)
      r->kids[i] = build (depth - 1, n * 3 + (uint64_t) i);
  return r;
}

static uint64_t
sum (const Resp *r)
{
  uint64_t s = r->n;
  for (int i = 0; i < 3; i++)
    if (r->kids[i] != NULL)
      s += sum (r->kids[i]);
  return s;
}

static void
worker (void *arg)
{
  uint64_t req, checksum = 0;
  (void) arg;

  while (weft_chan_recv (requests, &req))
    {
      checksum += sum (build (4, req));
      if (req % 16 == 0)
        {
          Record *list = NULL;
          for (int i = 0; i < 8; i++)
            {
              Record *rec = weft_alloc (sizeof *rec);
              rec->key = req;
              snprintf (rec->value, sizeof rec->value, "entry %" PRIu64 "/%d", req, i);
              rec->next = list;
              list = rec;
            }
          weft_mutex_lock (&cache_mu);
          cache[req / 16 % CACHE_SLOTS] = list;
          weft_mutex_unlock (&cache_mu);
        }
    }
  if (checksum == 0)
    fprintf (stderr, "alloc-service: no request served\n");
  weft_waitgroup_done (&done);
}

static int
service_main (int argc, char **argv)
{
  long         n = argc > 1 ? strtol (argv[1], NULL, 10) : 200000;
  long         workers = argc > 2 ? strtol (argv[2], NULL, 10) : 8;
  WeftMemStats ms;
  int64_t      t0 = weft_nanotime ();

  if (n <= 0 || workers <= 0 || workers > 10000)
    {
      fprintf (stderr, "usage: alloc-service [REQUESTS [WORKERS]]\n");
      return 2;
    }
  requests = weft_chan_new (sizeof (uint64_t), 64);
  weft_waitgroup_add (&done, (int) workers);
  for (long i = 0; i < workers; i++)
    weft_go_named ("worker", worker, NULL);
  for (uint64_t i = 1; i <= (uint64_t) n; i++)
    weft_chan_send (requests, &i);
  weft_chan_close (requests);
  weft_waitgroup_wait (&done);
  weft_read_mem_stats (&ms);
  printf ("%ld requests in %.2f s; %" PRIu64 " objects allocated, %" PRIu64 " freed\n", n,
          (double) (weft_nanotime () - t0) / 1e9, ms.mallocs, ms.frees);
  printf ("heap: %.1f MiB live, %.1f MiB in use, %.1f MiB committed, next goal %.1f MiB\n", ms.heap_alloc / 1048576.0,
          ms.heap_inuse / 1048576.0, ms.heap_sys / 1048576.0, ms.next_gc / 1048576.0);
  printf ("%u cycles, %.2f ms paused in total, last pause %.2f ms\n", ms.num_gc, ms.pause_total_ns / 1e6,
          ms.last_pause_ns / 1e6);
  weft_chan_free (requests);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (service_main, argc, argv);
}
