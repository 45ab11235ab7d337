/* pingpong.c — two goroutines bounce a value over unbuffered channels.
 *
 * Every round trip is two rendezvous on unbuffered channels, so each one
 * parks a goroutine and readies the other: the smallest program whose trace
 * is all scheduling. It prints the mean round-trip time.
 *
 * Usage: pingpong [ROUNDS]   (default 100000)
 */
#include <weft/weft.h>

#include <stdio.h>
#include <stdlib.h>

typedef struct
{
  WeftChan     *ping;
  WeftChan     *pong;
  long          rounds;
  int64_t       elapsed_ns;
  long          ball;
  WeftWaitGroup done;
} Table;

/* Serves @rounds times and then closes the ping channel so that the other
 * player stops, as a Go sender closes the channel it owns. */
static void
ping_player (void *data)
{
  Table  *t = data;
  long    ball = 0;
  int64_t start = weft_nanotime ();

  for (long i = 0; i < t->rounds; i++)
    {
      weft_chan_send (t->ping, &ball);
      weft_chan_recv (t->pong, &ball);
    }

  t->elapsed_ns = weft_nanotime () - start;
  t->ball = ball;
  weft_chan_close (t->ping);
  weft_waitgroup_done (&t->done);
}

static void
pong_player (void *data)
{
  Table *t = data;
  long   ball;

  while (weft_chan_recv (t->ping, &ball))
    {
      ball++;
      weft_chan_send (t->pong, &ball);
    }

  weft_waitgroup_done (&t->done);
}

static int
real_main (int argc, char **argv)
{
  Table t = { 0 };

  t.rounds = argc > 1 ? strtol (argv[1], NULL, 10) : 100000;
  if (t.rounds <= 0)
    {
      fprintf (stderr, "usage: %s [ROUNDS]\n", argv[0]);
      return 2;
    }

  t.ping = weft_chan_new (sizeof (long), 0);
  t.pong = weft_chan_new (sizeof (long), 0);

  weft_waitgroup_add (&t.done, 2);
  weft_go_named ("ping", ping_player, &t);
  weft_go_named ("pong", pong_player, &t);
  weft_waitgroup_wait (&t.done);

  /* Both players have returned: nobody can touch the channels any more. */
  weft_chan_free (t.ping);
  weft_chan_free (t.pong);

  if (t.ball != t.rounds)
    {
      fprintf (stderr, "pingpong: the ball came back %ld times, not %ld\n", t.ball, t.rounds);
      return 1;
    }

  printf ("%ld round trips on %d Ps: %.1f ns per round trip\n",
          t.rounds, weft_maxprocs (), (double) t.elapsed_ns / (double) t.rounds);
  return 0;
}

int
main (int argc, char **argv)
{
  return weft_main (real_main, argc, argv);
}
