/* bench-timeline.c — the viewer's timeline on a large trace: the time to
 * open it (first frame) and the time to compute a frame at each zoom from
 * the whole trace down to 10 µs, with the process's peak RSS.
 *
 *   bench-timeline FILE.weft [WIDTH]
 *
 * Frames are computed as the widget's worker thread computes them
 * (weft_timeline_render_texture runs the same code synchronously) and
 * drawn to a texture; each zoom is measured 5 times, the median shown.
 */
#include "weft-timeline.h"

#include <adwaita.h>
#include <stdlib.h>
#include <sys/resource.h>

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

int
main (int argc, char **argv)
{
  GtkWidget *timeline;
  g_autoptr (GError) error = NULL;
  int           width = argc > 2 ? atoi (argv[2]) : 1200;
  gint64        start, end, t0;
  double        first;
  struct rusage ru;
  g_autoptr (GdkTexture) texture = NULL;

  if (argc < 2 || !gtk_init_check ())
    {
      g_printerr ("usage: bench-timeline FILE.weft [WIDTH] (needs a display)\n");
      return 2;
    }
  adw_init ();
  timeline = g_object_ref_sink (weft_timeline_new ());
  t0 = g_get_monotonic_time ();
  if (!weft_timeline_load (WEFT_TIMELINE (timeline), argv[1], &error))
    {
      g_printerr ("bench-timeline: %s\n", error->message);
      return 1;
    }
  texture = weft_timeline_render_texture (WEFT_TIMELINE (timeline), width, 400);
  first = (double) (g_get_monotonic_time () - t0) / 1e3;
  g_print ("open and first frame (whole trace): %.1f ms\n", first);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_print ("%16s  %12s\n", "view (ns)", "frame (ms)");
  for (gint64 span = end - start; span >= 10000; span /= 10)
    {
      double ms[5];

      weft_timeline_zoom_to (WEFT_TIMELINE (timeline), start + (end - start) / 2 - span / 2,
                             start + (end - start) / 2 + span / 2);
      for (int i = 0; i < 5; i++)
        {
          g_autoptr (GdkTexture) frame = NULL;

          t0 = g_get_monotonic_time ();
          frame = weft_timeline_render_texture (WEFT_TIMELINE (timeline), width, 400);
          ms[i] = (double) (g_get_monotonic_time () - t0) / 1e3;
        }
      qsort (ms, 5, sizeof ms[0], compare_double);
      g_print ("%16" G_GINT64_FORMAT "  %12.1f\n", span, ms[2]);
    }
  getrusage (RUSAGE_SELF, &ru);
  g_print ("peak RSS: %.0f MiB\n", ru.ru_maxrss / 1024.0);
  g_object_unref (timeline);
  return 0;
}
