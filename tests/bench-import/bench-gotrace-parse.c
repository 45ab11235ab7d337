/* bench-gotrace-parse.c — Weft's Go trace reader alone (recorder/
 * weft-gotrace.c: tables, per-M cursors, ordering by sequence numbers)
 * reading every event of a trace, timed: the counterpart of go/goparse,
 * which does the same with Go's own reader. Prints "events N seconds S".
 */
#include "weft-gotrace.h"

#include <stdio.h>

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftGoTrace) t = NULL;
  const WeftGoEvent *ev;
  gint64             t0 = g_get_monotonic_time ();
  guint64            n = 0;

  if (argc != 2)
    {
      fprintf (stderr, "usage: bench-gotrace-parse TRACE\n");
      return 2;
    }
  t = weft_go_trace_new (argv[1], &error);
  while (t != NULL && weft_go_trace_next (t, &ev, &error))
    n++;
  if (error != NULL)
    {
      fprintf (stderr, "bench-gotrace-parse: %s\n", error->message);
      return 1;
    }
  printf ("events %" G_GUINT64_FORMAT " seconds %.3f\n", n, (g_get_monotonic_time () - t0) / 1e6);
  return 0;
}
