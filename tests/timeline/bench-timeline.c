/* bench-timeline.c — the timeline on a large trace: the time from opening
 * the file to the first frame, then a session of navigation (zooming in
 * from the whole trace to 1 µs in steps of 1.5×, panning both ways at each
 * zoom, zooming back out), every frame timed, and the resident memory.
 *
 *   bench-timeline FILE.weft [--width PX] [--filter QUERY] [--each]
 *
 * A frame here is weft_timeline_render_texture: the frame's queries (which
 * the widget runs on worker threads), the snapshot (the main thread's
 * part) and the software rasterisation of the texture, one after the
 * other: an upper bound of what the widget's workers and main thread each
 * spend. The session runs twice, side by side: the frame's lanes read on
 * one thread, then on the default (a thread per processor, up to 4). Each
 * frame's CPU time (of all threads) is shown too: on a machine shared
 * with other work it is the steadier figure. --filter adds goroutine
 * lanes as the search does.
 */
#include "weft-timeline.h"

#include <adwaita.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

/* The current resident set size, KiB (VmRSS). */
static long
rss_kib (void)
{
  g_autofree char *status = NULL;
  const char      *line;

  if (!g_file_get_contents ("/proc/self/status", &status, NULL, NULL) || (line = strstr (status, "VmRSS:")) == NULL)
    return -1;
  return strtol (line + strlen ("VmRSS:"), NULL, 10);
}

typedef struct
{
  double ms, cpu_ms;
  gint64 span;
} Frame;

/* The process's CPU time: a frame's parts run on threads of their own. */
static double
cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_PROCESS_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

static int
compare_cpu (const void *a, const void *b)
{
  return compare_double (&((const Frame *) a)->cpu_ms, &((const Frame *) b)->cpu_ms);
}

static int
compare_frame (const void *a, const void *b)
{
  return compare_double (&((const Frame *) a)->ms, &((const Frame *) b)->ms);
}

/* --each: every frame's view (start, span ns), wall and CPU time, ms. */
static gboolean each;

static void
frame (WeftTimeline *timeline, int width, GArray *frames)
{
  gint64 t0 = g_get_monotonic_time (), start, end;
  double cpu0 = cpu_ms ();
  g_autoptr (GdkTexture) texture = weft_timeline_render_texture (timeline, width, 600);
  Frame f = { (double) (g_get_monotonic_time () - t0) / 1e3, cpu_ms () - cpu0, 0 };

  weft_timeline_get_range (timeline, &start, &end);
  f.span = end - start;
  g_array_append_val (frames, f);
  if (each)
    g_print ("frame\t%" G_GINT64_FORMAT "\t%" G_GINT64_FORMAT "\t%.2f\t%.2f\n", start, f.span, f.ms, f.cpu_ms);
}

/* In to 1 µs, panning 5 × 20% right then 5 left at each zoom, and out,
 * each frame's lanes read on @threads threads (0: the default). */
static void
session (WeftTimeline *timeline, int width, int threads)
{
  g_autoptr (GArray) frames = g_array_new (FALSE, FALSE, sizeof (Frame));
  gint64 start, end, span;
  double over = 0;
  Frame *f;
  guint  n;

  weft_timeline_set_frame_threads (timeline, threads);
  weft_timeline_zoom_fit (timeline);
  weft_timeline_get_range (timeline, &start, &end);
  span = end - start;
  for (int dir = 0; dir < 2; dir++)
    for (gint64 s = span; s >= 1000; s = (gint64) (s / 1.5))
      {
        weft_timeline_zoom (timeline, dir == 0 ? 1.5 : 1 / 1.5);
        frame (timeline, width, frames);
        for (int i = 0; i < 10; i++)
          {
            weft_timeline_pan (timeline, i < 5 ? 0.2 : -0.2);
            frame (timeline, width, frames);
          }
      }

  f = (Frame *) frames->data;
  n = frames->len;
  qsort (f, n, sizeof f[0], compare_frame);
  for (guint i = 0; i < n; i++)
    over += f[i].ms > 16.0;
  if (threads > 0)
    g_print ("frames on %d thread%s:\n", threads, threads > 1 ? "s" : "");
  else
    g_print ("frames on the default threads (%d processors):\n", g_get_num_processors ());
  g_print ("  frames: %u (zoom 1.5x from the whole trace to 1 us and back, 10 pans at each zoom)\n", n);
  g_print ("  frame time: p50 %.1f ms, p99 %.1f ms, max %.1f ms; over 16 ms: %.0f\n", f[n / 2].ms, f[(n * 99) / 100].ms,
           f[n - 1].ms, over);
  qsort (f, n, sizeof f[0], compare_cpu);
  g_print ("  frame CPU time (all threads): p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", f[n / 2].cpu_ms,
           f[(n * 99) / 100].cpu_ms, f[n - 1].cpu_ms);
  qsort (f, n, sizeof f[0], compare_frame);
  g_print ("  slowest:");
  for (guint i = n - MIN (n, 5); i < n; i++)
    g_print (" %.1f ms (view %" G_GINT64_FORMAT " ns)", f[i].ms, f[i].span);
  g_print ("\n");
}

int
main (int argc, char **argv)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *filter = NULL;
  int              width = 1200;
  GOptionEntry     entries[] = {
        { "width", 0, 0, G_OPTION_ARG_INT, &width, "Width of the frames (px)", "PX" },
        { "filter", 0, 0, G_OPTION_ARG_STRING, &filter, "Goroutine lanes to add, as the search does", "QUERY" },
        { "each", 0, 0, G_OPTION_ARG_NONE, &each, "Print every frame: view start and span (ns), wall and CPU time (ms)", NULL },
        { NULL },
  };
  g_autoptr (GOptionContext) options = g_option_context_new ("FILE.weft");
  WeftTimeline *timeline;
  gint64        t0;
  double        opened, first;
  struct rusage ru;

  g_option_context_add_main_entries (options, entries, NULL);
  if (!g_option_context_parse (options, &argc, &argv, &error) || argc != 2 || width < 200)
    {
      g_printerr ("usage: bench-timeline FILE.weft [--width PX] [--filter QUERY] [--each]%s%s\n", error ? ": " : "",
                  error ? error->message : "");
      return 2;
    }
  if (!gtk_init_check ())
    {
      g_printerr ("bench-timeline: no display\n");
      return 77;
    }
  adw_init ();
  timeline = WEFT_TIMELINE (g_object_ref_sink (weft_timeline_new ()));

  t0 = g_get_monotonic_time ();
  if (!weft_timeline_load (timeline, argv[1], &error))
    {
      g_printerr ("bench-timeline: %s\n", error->message);
      return 1;
    }
  opened = (double) (g_get_monotonic_time () - t0) / 1e3;
  if (filter != NULL)
    weft_timeline_set_filter (timeline, filter);
  weft_timeline_wait (timeline);
  g_object_unref (weft_timeline_render_texture (timeline, width, 600));
  first = (double) (g_get_monotonic_time () - t0) / 1e3;

  g_print ("file: %s, %d px wide%s%s\n", argv[1], width, filter ? ", goroutine lanes: " : "", filter ? filter : "");
  g_print ("open: %.1f ms on the main thread (the rest on workers); open and first frame: %.1f ms\n", opened, first);
  /* One thread per frame, then the default (a thread per processor, up
   * to 4), side by side. */
  session (timeline, width, 1);
  if (g_get_num_processors () > 1)
    session (timeline, width, 0);
  getrusage (RUSAGE_SELF, &ru);
  g_print ("resident memory: %.0f MiB now, %.0f MiB peak\n", rss_kib () / 1024.0, ru.ru_maxrss / 1024.0);
  g_object_unref (timeline);
  return 0;
}
