/* leaky-pipeline.c — the classic Go goroutine leak, on purpose.
 *
 * Each request is a two-stage pipeline: a producer goroutine sends the
 * request's rows one by one on an unbuffered channel and the request's
 * handler consumes them. When the handler meets a corrupt row it returns
 * its error at once, without draining the channel or telling the producer,
 * so the producer stays blocked on its next send forever. In Go:
 *
 *   func handle(req *Request) error {
 *           rows := make(chan Row)
 *           go produceRows(req, rows) // leaks when handle returns early
 *           for row := range rows {
 *                   if !row.Valid() {
 *                           return errCorrupt
 *                   }
 *                   …
 *           }
 *           return nil
 *   }
 *
 * Every LEAK_EVERY-th request has a corrupt row, so by default 100 requests
 * leak exactly 10 goroutines, all created at one site (produce_rows), while
 * the other 90 complete. Nothing here depends on timing: the leak count is
 * the same on every run, which is what a leak detector should be tested on.
 *
 * Usage: leaky-pipeline [REQUESTS [LEAK_EVERY]]   (default 100 10)
 */
#include <weft/weft.h>

#include <inttypes.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

enum
{
  ROWS_PER_REQUEST = 8,
  CORRUPT_ROW = 3,
};

typedef struct
{
  long request;
  int  index;
  bool valid;
} Row;

typedef struct
{
  long      id;
  bool      corrupt; /* one of its rows is invalid */
  uint64_t  task;    /* the request's trace task */
  WeftChan *rows;    /* of Row, unbuffered */
} Request;

static _Atomic long  served;
static _Atomic long  failed;
static _Atomic long  rows_read;
static WeftWaitGroup handlers;

/* The upstream stage: sends every row, then closes the channel. */
static void
produce_rows (void *data)
{
  Request *req = data;

  for (int i = 0; i < ROWS_PER_REQUEST; i++)
    {
      Row row = {
        .request = req->id,
        .index = i,
        .valid = !(req->corrupt && i == CORRUPT_ROW),
      };

      /* For a corrupt request, the send after the corrupt row is where the
       * producer blocks forever: nobody will ever receive again. */
      weft_chan_send (req->rows, &row);
    }
  weft_chan_close (req->rows);
}

/* The downstream stage. Returns early on a corrupt row: the bug. */
static bool
handle (Request *req)
{
  Row row;

  req->rows = weft_chan_new (sizeof (Row), 0);
  weft_go_named ("row-producer", produce_rows, req);

  while (weft_chan_recv (req->rows, &row))
    {
      if (!row.valid)
        {
          weft_log (req->task, "error", "corrupt row, giving up on the request");
          return false;
        }
      atomic_fetch_add (&rows_read, 1);
    }
  return true;
}

static void
handler (void *data)
{
  Request *req = data;

  req->task = weft_task_begin (0, "request");
  weft_region_begin (req->task, "handle");
  if (handle (req))
    atomic_fetch_add (&served, 1);
  else
    atomic_fetch_add (&failed, 1);
  weft_region_end (req->task, "handle");
  weft_task_end (req->task);

  weft_waitgroup_done (&handlers);
}

/* Leaked producers may not be parked yet when the last handler returns:
 * give the others time to exit so that the count printed is the leak. */
static int64_t
settle_goroutines (int64_t want)
{
  int64_t deadline = weft_nanotime () + 2000000000;

  while (weft_num_goroutine () > want && weft_nanotime () < deadline)
    weft_sleep (1000000);
  return weft_num_goroutine ();
}

static int
real_main (int argc, char **argv)
{
  long    n_requests = argc > 1 ? strtol (argv[1], NULL, 10) : 100;
  long    leak_every = argc > 2 ? strtol (argv[2], NULL, 10) : 10;
  long    expect_leaks;
  int64_t alive;

  if (n_requests <= 0 || leak_every <= 0)
    {
      fprintf (stderr, "usage: %s [REQUESTS [LEAK_EVERY]]\n", argv[0]);
      return 2;
    }
  expect_leaks = n_requests / leak_every;

  /* Requests are never freed: a leaked producer holds its request and
   * channel forever, as a leaked goroutine pins its memory in Go. */
  for (long i = 1; i <= n_requests; i++)
    {
      Request *req = calloc (1, sizeof *req);

      if (!req)
        {
          fprintf (stderr, "leaky-pipeline: out of memory\n");
          return 1;
        }
      req->id = i;
      req->corrupt = i % leak_every == 0;
      weft_waitgroup_add (&handlers, 1);
      weft_go_named ("handler", handler, req);

      /* Requests arrive over time, as they would at a server. */
      weft_sleep (100000);
    }
  weft_waitgroup_wait (&handlers);

  alive = settle_goroutines (1 + expect_leaks);
  printf ("served %ld of %ld requests (%ld rows); %ld failed on a corrupt row\n",
          atomic_load (&served), n_requests, atomic_load (&rows_read), atomic_load (&failed));
  printf ("goroutines still alive: %" PRId64 " (main and %" PRId64 " row producers blocked on send: the leak)\n",
          alive, alive - 1);

  return atomic_load (&served) == n_requests - expect_leaks ? 0 : 1;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
