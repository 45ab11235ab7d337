/* gc-leaks.c — goroutine leaks the collector proves.
 *
 * The leaky pipeline of leaky-pipeline.c on the collected heap: each
 * request's rows are weft_alloc'd and sent by a producer goroutine on an
 * unbuffered channel; the handler stops reading at a corrupt row and
 * forgets the channel, so the producer is blocked on its next send
 * forever. Nothing but that producer refers to the channel any more: at
 * the next cycle the collector proves it can never be woken and writes a
 * go_leaked event for it (with its blocking stack). A second kind of
 * waiter looks the same but is not leaked: a "watcher" blocked on a
 * channel that a global still holds, which the program closes at the end.
 *
 * Every LEAK_EVERY-th request leaks, so the defaults leak exactly 10
 * producers; the program runs cycles until they have all blocked and
 * checks that weft_leaked_goroutines() lists exactly them (exit status 1
 * if not).
 *
 * Usage: gc-leaks [REQUESTS [LEAK_EVERY]]   (default 100 10)
 */
#include <weft/weft.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

enum
{
  ROWS = 8,
  CORRUPT_ROW = 3,
};

typedef struct
{
  int  request;
  int  index;
  bool corrupt;
  char payload[40];
} Row;

typedef struct
{
  WeftChan *rows;
  int       request;
  bool      corrupt;
} Job;

static WeftChan *shutdown; /* held by a global: its waiters are not leaked */

static void
produce_rows (void *arg)
{
  Job *job = arg;

  for (int i = 0; i < ROWS; i++)
    {
      Row *row = weft_alloc (sizeof *row);
      row->request = job->request;
      row->index = i;
      row->corrupt = job->corrupt && i == CORRUPT_ROW;
      weft_chan_send (job->rows, &row);
    }
  weft_chan_close (job->rows);
}

/* Returns false at a corrupt row, leaving the producer blocked. */
static bool
handle (int request, bool corrupt)
{
  Job *job = weft_alloc (sizeof *job);
  Row *row;

  job->rows = weft_chan_new (sizeof (Row *), 0);
  job->request = request;
  job->corrupt = corrupt;
  weft_go_named ("produce_rows", produce_rows, job);
  while (weft_chan_recv (job->rows, &row))
    if (row->corrupt)
      return false; /* the leak: the channel is simply forgotten */
  weft_chan_free (job->rows);
  return true;
}

static void
watcher (void *arg)
{
  (void) arg;
  weft_chan_recv (shutdown, NULL);
}

static long requests, every, failed;

/* The server: requests are handled here, not on main's stack, whose
 * stale words could otherwise still point at the last forgotten channel
 * (the collector scans stacks conservatively). */
static void
serve (void *done)
{
  for (long r = 1; r <= requests; r++)
    failed += !handle ((int) r, r % every == 0);
  weft_chan_close (done);
}

static int
leaks_main (int argc, char **argv)
{
  WeftChan *done = weft_chan_new (0, 0);
  uint64_t  ids[1024];
  size_t    n;

  requests = argc > 1 ? strtol (argv[1], NULL, 10) : 100;
  every = argc > 2 ? strtol (argv[2], NULL, 10) : 10;

  if (requests <= 0 || every <= 0)
    {
      fprintf (stderr, "usage: gc-leaks [REQUESTS [LEAK_EVERY]]\n");
      return 2;
    }
  shutdown = weft_chan_new (0, 0);
  for (int i = 0; i < 3; i++)
    weft_go_named ("watcher", watcher, NULL);
  weft_go_named ("serve", serve, done);
  weft_chan_recv (done, NULL);
  weft_chan_free (done);
  /* A producer is proven leaked once it has blocked: cycles run until
   * the last one has (or far longer than that takes). More than the
   * failed requests would be a false report. */
  for (int attempt = 0; attempt < 200; attempt++)
    {
      for (int i = 0; i < 100; i++)
        weft_yield ();
      weft_gc ();
      n = weft_leaked_goroutines (ids, sizeof ids / sizeof ids[0]);
      if (n >= (size_t) failed)
        break;
    }
  printf ("%ld requests, %ld failed; the collector proved %zu goroutines leaked:", requests, failed, n);
  for (size_t i = 0; i < n && i < 16; i++)
    printf (" %" PRIu64, ids[i]);
  printf ("%s\n", n > 16 ? " …" : "");
  weft_chan_close (shutdown);
  return n == (size_t) failed ? 0 : 1;
}

int
main (int argc, char **argv)
{
  return weft_main (leaks_main, argc, argv);
}
