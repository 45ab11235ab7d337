/* bench-pingpong.c — round trip of a value over two unbuffered channels.
 *
 * One op is a send and a receive by each side, so two park/ready pairs.
 * The Go twin is go/pingpong.go. */
#include "bench.h"

typedef struct
{
  WeftChan     *ping;
  WeftChan     *pong;
  WeftWaitGroup wg;
} Table;

static void
ponger (void *data)
{
  Table *t = data;
  long   v;

  while (weft_chan_recv (t->ping, &v))
    weft_chan_send (t->pong, &v);
  weft_waitgroup_done (&t->wg);
}

static void
run (long ops)
{
  Table t = { 0 };
  long  v = 0;

  t.ping = weft_chan_new (sizeof (long), 0);
  t.pong = weft_chan_new (sizeof (long), 0);
  weft_waitgroup_add (&t.wg, 1);
  weft_go (ponger, &t);

  for (long i = 0; i < ops; i++)
    {
      weft_chan_send (t.ping, &i);
      weft_chan_recv (t.pong, &v);
    }

  weft_chan_close (t.ping);
  weft_waitgroup_wait (&t.wg);
  weft_chan_free (t.ping);
  weft_chan_free (t.pong);
}

static int
real_main (int argc, char **argv)
{
  long    ops = bench_ops (argc, argv, 200000);
  int64_t start;

  run (ops / 10 + 1);

  start = weft_nanotime ();
  run (ops);
  bench_report ("pingpong", weft_nanotime () - start, ops);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
