/* test-viewer.c — weft-viewer under Xvfb, on a hand-built database whose
 * contents are known:
 *  - 100 ms, two Ps; goroutine 2 runs on P0 over [10, 30) ms, goroutine 3
 *    on P1 over [40, 60) ms; stop-the-world pauses [20, 22) and [70, 75)
 *    ms inside a GC cycle [19, 80) ms;
 *  - goroutines 4 and 5, created at spawn_leaker, blocked on a channel to
 *    the end: the leak suspects.
 * And a busy trace (busy.weft) whose P0 is too busy to read in full: 200,000
 * slices of 150 ns alternating between goroutines 2 and 3 over [0, 40) ms,
 * then goroutine 4 alone over [50, 60) ms.
 * The timeline is rendered to textures and checked pixel by pixel; set
 * WEFT_TEST_PNG_DIR to keep them as PNG files to look at. Skipped (77)
 * without a display.
 */
#include "weft-query-view.h"
#include "weft-store.h"
#include "weft-timeline.h"
#include "weft-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>

#define MS G_GINT64_CONSTANT (1000000)

static char *tmpdir, *db_path;

static void
exec_sql (WeftStore *store, const char *sql)
{
  g_autoptr (GError) error = NULL;

  g_assert_true (weft_store_exec (store, sql, &error));
  g_assert_no_error (error);
}

static void
make_database (void)
{
  g_autoptr (GError) error = NULL;
  WeftStore *store;

  db_path = g_build_filename (tmpdir, "known.weft", NULL);
  store = weft_store_create (db_path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_assert_no_error (error);
  exec_sql (store, "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 100000000), ('nprocs', 2);"
                   "INSERT INTO symbol (pc, function, file, line, runtime) VALUES"
                   " (4096, 'worker', 'w.c', 10, 0), (8192, 'leaker', 'l.c', 20, 0),"
                   " (12288, 'spawn_leaker', 'l.c', 5, 0), (16384, 'send_result', 'l.c', 30, 0);"
                   "INSERT INTO stack (id, depth) VALUES (1, 1), (2, 1);"
                   "INSERT INTO frame (stack, depth, pc) VALUES (1, 0, 12288), (2, 0, 16384);"
                   "INSERT INTO goroutine (goid, parent, start_pc, create_stack, created_ns, ended_ns, final_state)"
                   " VALUES (2, 1, 4096, NULL, 0, 30000000, NULL), (3, 1, 4096, NULL, 0, 60000000, NULL),"
                   " (4, 1, 8192, 1, 1000000, NULL, 2), (5, 1, 8192, 1, 1000000, NULL, 2);"
                   "INSERT INTO gstate (goid, start_ns, end_ns, state, p, m, open_start, open_end) VALUES"
                   " (2, 10000000, 30000000, 0, 0, 0, 0, 0), (3, 40000000, 60000000, 0, 1, 1, 0, 0);"
                   "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason, stack, open_start, open_end) VALUES"
                   " (4, 2000000, 100000000, 2, 1, 2, 0, 1), (5, 3000000, 100000000, 2, 1, 2, 0, 1);"
                   "INSERT INTO pstate (p, start_ns, end_ns, goid, m, open_start, open_end) VALUES"
                   " (0, 10000000, 30000000, 2, 0, 0, 0), (1, 40000000, 60000000, 3, 1, 0, 0);"
                   "INSERT INTO gc_cycle (id, start_ns, end_ns, trigger) VALUES (1, 19000000, 80000000, 'heap');"
                   "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES"
                   " (20000000, 22000000, 'GC sweep termination', 1), (70000000, 75000000, 'GC mark termination', 1);");
  g_assert_true (weft_store_finish (store, &error));
  g_assert_no_error (error);
  weft_store_free (store);
}

static char *busy_path;

static void
make_busy_database (void)
{
  g_autoptr (GError) error = NULL;
  WeftStore *store;

  busy_path = g_build_filename (tmpdir, "busy.weft", NULL);
  store = weft_store_create (busy_path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_assert_no_error (error);
  exec_sql (store, "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 100000000), ('nprocs', 1);"
                   "INSERT INTO goroutine (goid, parent, start_pc) VALUES (2, 1, 4096), (3, 1, 4096), (4, 1, 20480);"
                   "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 199999)"
                   " INSERT INTO pstate (p, start_ns, end_ns, goid, m, open_start, open_end)"
                   " SELECT 0, n * 200, n * 200 + 150, 2 + n % 2, 0, 0, 0 FROM i;"
                   "INSERT INTO pstate (p, start_ns, end_ns, goid, m, open_start, open_end) VALUES"
                   " (0, 50000000, 60000000, 4, 0, 0, 0);"
                   /* The timeline reads P lanes from the running rows of gstate. */
                   "INSERT INTO gstate (goid, start_ns, end_ns, state, p, m)"
                   " SELECT goid, start_ns, end_ns, 0, p, m FROM pstate;");
  g_assert_true (weft_store_finish (store, &error));
  g_assert_no_error (error);
  weft_store_free (store);
}

/* ------------------------------------------------------------------ pixels */

typedef struct
{
  GdkTexture *texture;
  guchar     *pixels; /* RGBA, unpremultiplied enough for opaque checks */
  gsize       stride;
} Picture;

static Picture
render (WeftTimeline *timeline, int width, int height, const char *name)
{
  Picture p;

  p.texture = weft_timeline_render_texture (timeline, width, height);
  p.stride = (gsize) width * 4;
  p.pixels = g_malloc (p.stride * (gsize) height);
  gdk_texture_download (p.texture, p.pixels, p.stride);
  if (g_getenv ("WEFT_TEST_PNG_DIR") != NULL)
    {
      g_autofree char *file = g_strconcat (name, ".png", NULL);
      g_autofree char *path = g_build_filename (g_getenv ("WEFT_TEST_PNG_DIR"), file, NULL);

      gdk_texture_save_to_png (p.texture, path);
    }
  return p;
}

static void
picture_clear (Picture *p)
{
  g_object_unref (p->texture);
  g_free (p->pixels);
}

/* gdk_texture_download gives B8G8R8A8_PREMULTIPLIED on little endian. */
static gboolean
is_color (const Picture *p, int x, int y, guchar r, guchar g, guchar b)
{
  const guchar *px = p->pixels + (gsize) y * p->stride + (gsize) x * 4;

  return ABS (px[2] - r) <= 8 && ABS (px[1] - g) <= 8 && ABS (px[0] - b) <= 8;
}

/* The STW colour: 0.88, 0.11, 0.14. */
#define STW_RGB 224, 28, 36

static void
test_mapping (void)
{
  g_assert_cmpfloat (weft_time_to_x (50, 0, 100, 1000), ==, 500);
  g_assert_cmpfloat (weft_time_to_x (0, 0, 100, 1000), ==, 0);
  g_assert_cmpint (weft_x_to_time (500, 0, 100, 1000), ==, 50);
  for (gint64 t = 0; t <= 1000; t += 37)
    g_assert_cmpint (weft_x_to_time (weft_time_to_x (t, 0, 1000, 1000), 0, 1000, 1000), ==, t);
  /* Ticks 90 px apart at least, 1/2/5 steps. */
  g_assert_cmpint (weft_tick_step (100 * MS, 1000, 90), ==, 10 * MS);
  g_assert_cmpint (weft_tick_step (1000, 1000, 90), ==, 100);
  g_assert_cmpint (weft_tick_step (3 * MS, 1000, 90), ==, 500000);
  g_assert_cmpint (weft_tick_step (7, 1000, 90), ==, 1);
}

static void
on_result (GObject *source, GAsyncResult *result, gpointer data)
{
  *(GAsyncResult **) data = g_object_ref (result);
}

static void
test_stw_lane (void)
{
  GtkWidget *timeline = g_object_ref_sink (weft_timeline_new ());
  g_autoptr (GError) error = NULL;
  int     plot = 1000, x0 = weft_timeline_label_width (), y, h, n_red = 0, first_red = -1, last_red = -1;
  Picture p;

  g_assert_true (weft_timeline_load (WEFT_TIMELINE (timeline), db_path, &error));
  weft_timeline_wait (WEFT_TIMELINE (timeline));

  g_assert_no_error (error);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "STW", &y, &h));
  p = render (WEFT_TIMELINE (timeline), x0 + plot, 300, "timeline-all");
  /* 1 px = 100 µs: red exactly over [200, 220) and [700, 750). */
  for (int x = 0; x < plot; x++)
    {
      gboolean red = is_color (&p, x0 + x, y + h / 2, STW_RGB);

      g_assert_cmpint (red, ==, (x >= 200 && x < 220) || (x >= 700 && x < 750));
      if (red)
        {
          n_red++;
          last_red = x;
          if (first_red < 0)
            first_red = x;
        }
    }
  g_assert_cmpint (n_red, ==, 70);
  g_assert_cmpint (first_red, ==, 200);
  g_assert_cmpint (last_red, ==, 749);
  /* No other lane shows the pause colour. */
  for (int x = 0; x < plot; x++)
    g_assert_false (is_color (&p, x0 + x, y + h + 10, STW_RGB));

  /* Rendered with its data read on workers ("export PNG"): the same
   * pixels. */
  {
    g_autoptr (GAsyncResult) result = NULL;
    g_autoptr (GdkTexture) texture = NULL;
    g_autofree guchar *a = g_malloc ((gsize) (x0 + plot) * 4 * 300);
    g_autofree guchar *b = g_malloc ((gsize) (x0 + plot) * 4 * 300);

    weft_timeline_render_texture_async (WEFT_TIMELINE (timeline), x0 + plot, 300, NULL, on_result, &result);
    while (result == NULL)
      g_main_context_iteration (NULL, TRUE);
    texture = weft_timeline_render_texture_finish (WEFT_TIMELINE (timeline), result, &error);
    g_assert_no_error (error);
    gdk_texture_download (texture, a, (gsize) (x0 + plot) * 4);
    gdk_texture_download (p.texture, b, (gsize) (x0 + plot) * 4);
    g_assert_cmpmem (a, (gsize) (x0 + plot) * 4 * 300, b, (gsize) (x0 + plot) * 4 * 300);
  }
  picture_clear (&p);
  g_object_unref (timeline);
}

static void
test_zoomed_slice (void)
{
  GtkWidget *timeline = g_object_ref_sink (weft_timeline_new ());
  g_autoptr (GError) error = NULL;
  int     plot = 1000, x0 = weft_timeline_label_width (), y, h, first = -1, last = -1;
  gint64  start, end;
  Picture p;
  guchar  slice[3];

  g_assert_true (weft_timeline_load (WEFT_TIMELINE (timeline), db_path, &error));
  weft_timeline_wait (WEFT_TIMELINE (timeline));

  /* [35, 45) ms: goroutine 3 starts on P1 at 40 ms, the middle. */
  weft_timeline_zoom_to (WEFT_TIMELINE (timeline), 35 * MS, 45 * MS);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_cmpint (start, ==, 35 * MS);
  g_assert_cmpint (end, ==, 45 * MS);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P1", &y, &h));
  p = render (WEFT_TIMELINE (timeline), x0 + plot, 300, "timeline-zoomed");
  memcpy (slice, p.pixels + (gsize) (y + h / 2) * p.stride + (gsize) (x0 + 900) * 4, 3);
  for (int x = 0; x < plot; x++)
    if (is_color (&p, x0 + x, y + h / 2, slice[2], slice[1], slice[0]))
      {
        if (first < 0)
          first = x;
        last = x;
      }
  g_assert_cmpint (first, ==, 500);
  g_assert_cmpint (last, ==, plot - 1);
  /* P0 ran nothing then. */
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P0", &y, &h));
  g_assert_false (is_color (&p, x0 + 700, y + h / 2, slice[2], slice[1], slice[0]));
  picture_clear (&p);

  /* Navigation keeps the view inside the trace. */
  weft_timeline_pan (WEFT_TIMELINE (timeline), -100);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, 10 * MS);
  weft_timeline_zoom (WEFT_TIMELINE (timeline), 1e-6);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_cmpint (end - start, ==, 100 * MS);
  g_object_unref (timeline);
}

/* Too many slices to read: sampled, still without a gap where something
 * ran, and the lone goroutine exactly where it ran. */
static void
test_busy_lane (void)
{
  GtkWidget *timeline = g_object_ref_sink (weft_timeline_new ());
  g_autoptr (GError) error = NULL;
  int     plot = 1000, x0 = weft_timeline_label_width (), y, h;
  Picture p;
  guchar  busy[3], lone[3];

  g_assert_true (weft_timeline_load (WEFT_TIMELINE (timeline), busy_path, &error));
  weft_timeline_wait (WEFT_TIMELINE (timeline));

  g_assert_no_error (error);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P0", &y, &h));
  p = render (WEFT_TIMELINE (timeline), x0 + plot, 200, "timeline-busy");
  memcpy (busy, p.pixels + (gsize) (y + h / 2) * p.stride + (gsize) (x0 + 150) * 4, 3);
  memcpy (lone, p.pixels + (gsize) (y + h / 2) * p.stride + (gsize) (x0 + 550) * 4, 3);
  g_assert_false (memcmp (busy, lone, 3) == 0);
  for (int x = 0; x < plot; x++)
    {
      gboolean is_busy = is_color (&p, x0 + x, y + h / 2, busy[2], busy[1], busy[0]);
      gboolean is_lone = is_color (&p, x0 + x, y + h / 2, lone[2], lone[1], lone[0]);

      /* Goroutines 2 and 3 (one start function) over [0, 400) without a
       * gap, goroutine 4 over [500, 600), nothing else. */
      g_assert_cmpint (is_busy, ==, x < 400);
      g_assert_cmpint (is_lone, ==, x >= 500 && x < 600);
    }
  picture_clear (&p);
  g_object_unref (timeline);
}

/* The chan-blocked colour of goroutine lanes: 0.57, 0.38, 0.76. */
#define CHAN_BLOCKED_RGB 145, 97, 194

/* The search adds goroutine lanes: by function, by id, by final state. */
static void
test_goroutine_lanes (void)
{
  WeftTimeline *timeline = WEFT_TIMELINE (g_object_ref_sink (weft_timeline_new ()));
  g_autoptr (GError) error = NULL;
  int     plot = 1000, x0 = weft_timeline_label_width (), y, h, py, ph;
  Picture p;

  g_assert_true (weft_timeline_load (timeline, db_path, &error));
  weft_timeline_wait (timeline);

  weft_timeline_set_filter (timeline, "leaker");
  weft_timeline_wait (timeline);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 2);
  g_assert_true (weft_timeline_lane_geometry (timeline, "G4", &y, &h));
  g_assert_true (weft_timeline_lane_geometry (timeline, "G5", &py, &ph));
  g_assert_cmpint (py, >, y);
  p = render (timeline, x0 + plot, 300, "timeline-goroutines");
  /* Goroutine 4 blocked on a channel from 2 ms to the end, 5 from 3 ms. */
  for (int x = 0; x < plot; x++)
    {
      g_assert_cmpint (is_color (&p, x0 + x, y + h / 2, CHAN_BLOCKED_RGB), ==, x >= 20);
      g_assert_cmpint (is_color (&p, x0 + x, py + ph / 2, CHAN_BLOCKED_RGB), ==, x >= 30);
    }
  picture_clear (&p);

  /* By id: goroutine 2's lane runs exactly when P0 shows it, in its colour. */
  weft_timeline_set_filter (timeline, "2");
  weft_timeline_wait (timeline);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 1);
  g_assert_true (weft_timeline_lane_geometry (timeline, "G2", &y, &h));
  g_assert_true (weft_timeline_lane_geometry (timeline, "P0", &py, &ph));
  p = render (timeline, x0 + plot, 300, "timeline-goroutine-2");
  {
    const guchar *run = p.pixels + (gsize) (y + h / 2) * p.stride + (gsize) (x0 + 200) * 4;

    g_assert_true (is_color (&p, x0 + 200, py + ph / 2, run[2], run[1], run[0]));
    for (int x = 0; x < plot; x++)
      g_assert_cmpint (is_color (&p, x0 + x, y + h / 2, run[2], run[1], run[0]), ==, x >= 100 && x < 300);
  }
  picture_clear (&p);

  weft_timeline_set_filter (timeline, "blocked");
  weft_timeline_wait (timeline);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 2);
  weft_timeline_set_filter (timeline, NULL);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 0);
  g_assert_false (weft_timeline_lane_geometry (timeline, "G4", &y, &h));
  g_object_unref (timeline);
}

/* Iterates the main loop until @view has rows (its query runs in a thread). */
static void
wait_rows (WeftQueryView *view)
{
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  while (weft_query_view_get_n_rows (view) == 0 && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
}

static void
test_window (void)
{
  GtkWidget *window = weft_window_new (NULL);
  g_autoptr (GFile) file = g_file_new_for_path (db_path);
  g_autofree char *junk = g_build_filename (tmpdir, "junk.weft", NULL);
  g_autoptr (GFile) junk_file = g_file_new_for_path (junk);
  GtkWidget     *other;
  WeftQueryView *leaks, *pauses;
  const char    *site;

  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (window)), ==, "empty");
  g_assert_true (weft_window_open (WEFT_WINDOW (window), file));
  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (window)), ==, "timeline");
  leaks = WEFT_QUERY_VIEW (weft_window_get_part (WEFT_WINDOW (window), "leaks"));
  wait_rows (leaks);
  /* One group of two suspects, at spawn_leaker, blocked in send_result. */
  g_assert_cmpuint (weft_query_view_get_n_rows (leaks), ==, 1);
  site = weft_query_view_get_value (leaks, 0, "create_site");
  g_assert_true (g_str_has_prefix (site, "spawn_leaker (l.c:5)"));
  g_assert_true (g_str_has_prefix (weft_query_view_get_value (leaks, 0, "block_site"), "send_result"));
  g_assert_cmpstr (weft_query_view_get_value (leaks, 0, "goids"), ==, "4 5");
  pauses = WEFT_QUERY_VIEW (weft_window_get_part (WEFT_WINDOW (window), "pauses"));
  wait_rows (pauses);
  g_assert_cmpuint (weft_query_view_get_n_rows (pauses), ==, 2);
  g_assert_cmpstr (weft_query_view_get_value (pauses, 0, "duration_ns"), ==, "5000000");

  /* Not a Weft database: the error page says why. */
  g_assert_true (g_file_set_contents (junk, "not a database at all", -1, NULL));
  other = weft_window_new (NULL);
  g_assert_false (weft_window_open (WEFT_WINDOW (other), junk_file));
  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (other)), ==, "error");
  gtk_window_destroy (GTK_WINDOW (other));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The zh_CN catalogue is complete and used. */
static void
test_translation (void)
{
  const char *localedir = g_getenv ("WEFT_LOCALEDIR");

  if (localedir == NULL)
    {
      g_test_skip ("WEFT_LOCALEDIR is not set");
      return;
    }
  bindtextdomain ("weft", localedir);
  bind_textdomain_codeset ("weft", "UTF-8");
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  /* Make gettext notice the change of LANGUAGE. */
  setlocale (LC_MESSAGES, "");
  g_assert_cmpstr (g_dgettext ("weft", "Timeline"), ==, "时间线");
  g_assert_cmpstr (g_dgettext ("weft", "Leaks"), ==, "泄漏");
  g_unsetenv ("LANGUAGE");
}

int
main (int argc, char **argv)
{
  int rc;

  setlocale (LC_ALL, "C.UTF-8");
  g_setenv ("GSK_RENDERER", "cairo", FALSE);
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }
  adw_init ();
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("weft-test-viewer-XXXXXX", NULL);
  make_database ();
  make_busy_database ();
  g_test_add_func ("/Weft/Viewer/time-pixel-mapping", test_mapping);
  g_test_add_func ("/Weft/Viewer/stw-lane", test_stw_lane);
  g_test_add_func ("/Weft/Viewer/zoomed-slice", test_zoomed_slice);
  g_test_add_func ("/Weft/Viewer/busy-lane", test_busy_lane);
  g_test_add_func ("/Weft/Viewer/goroutine-lanes", test_goroutine_lanes);
  g_test_add_func ("/Weft/Viewer/window", test_window);
  g_test_add_func ("/Weft/Viewer/zh_CN", test_translation);
  rc = g_test_run ();
  {
    g_autofree char *junk = g_build_filename (tmpdir, "junk.weft", NULL);

    g_remove (junk);
  }
  g_remove (db_path);
  g_remove (busy_path);
  g_rmdir (tmpdir);
  g_free (db_path);
  g_free (busy_path);
  g_free (tmpdir);
  return rc;
}
