/* test-viewer-app.c — weft-viewer's application under Xvfb: the window,
 * its analysis views, the details pane, range totals, pause charts,
 * preferences, error pages and the zh_CN translation, on a hand-built
 * database whose answers are known:
 *  - 100 ms, two Ps; goroutine 1 (main) created 2, 3, 4, 5; 2 created 6;
 *  - goroutine 6 (waiter) runs [8, 9) ms, blocks on a channel receive over
 *    [30, 45) ms until goroutine 3 wakes it, runs [45, 50) ms and exits;
 *  - goroutines 4 and 5 (leaker), created at spawn_leaker called from
 *    main, block in send_result (under the runtime's weft_chan_send) from
 *    2 and 3 ms to the end: the leak suspects;
 *  - stop-the-world pauses [20, 22) and [70, 75) ms, GC mark [22, 70) ms.
 * And, when LTTng can trace here, on a recording of
 * data/examples/leaky-pipeline (10 goroutines leaked from one site).
 * WEFT_TEST_PNG_DIR=DIR keeps screenshots of the window's pages.
 * Skipped (77) without a display.
 */
#include "weft-application.h"
#include "weft-chart.h"
#include "weft-columns.h"
#include "weft-convert.h"
#include "weft-details-pane.h"
#include "weft-preferences-window.h"
#include "weft-query-view.h"
#include "weft-query.h"
#include "weft-store.h"
#include "weft-timeline.h"
#include "weft-window.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <string.h>
#include <time.h>

#define MS G_GINT64_CONSTANT (1000000)

static char *tmpdir, *db_path;

static void
make_database (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;

  db_path = g_build_filename (tmpdir, "known.weft", NULL);
  store = weft_store_create (db_path, WEFT_STORE_CREATE_DEFAULT, &error);
  g_assert_no_error (error);
  weft_store_exec (
      store,
      "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 100000000), ('nprocs', 2);"
      "INSERT INTO symbol (pc, function, file, line, runtime) VALUES"
      " (4096, 'worker', 'w.c', 10, 0), (8192, 'leaker', 'l.c', 20, 0),"
      " (12288, 'spawn_leaker', 'l.c', 5, 0), (16384, 'send_result', 'l.c', 30, 0),"
      " (20480, 'main', 'm.c', 3, 0), (24576, 'weft_chan_send', 'chan.c', 99, 1), (28672, 'waiter', 'w.c', 40, 0);"
      "INSERT INTO stack (id, depth) VALUES (1, 2), (2, 2);"
      "INSERT INTO frame (stack, depth, pc) VALUES (1, 0, 12288), (1, 1, 20480), (2, 0, 24576), (2, 1, 16384);"
      "INSERT INTO goroutine (goid, parent, start_pc, create_stack, created_ns, ended_ns, final_state) VALUES"
      " (1, 0, 20480, NULL, NULL, NULL, NULL), (2, 1, 4096, NULL, 0, 30000000, NULL),"
      " (3, 1, 4096, NULL, 0, 60000000, NULL), (4, 1, 8192, 1, 1000000, NULL, 2),"
      " (5, 1, 8192, 1, 1000000, NULL, 2), (6, 2, 28672, NULL, 5000000, 50000000, NULL);"
      "INSERT INTO gstate (goid, start_ns, end_ns, state, p, m, open_start, open_end) VALUES"
      " (2, 10000000, 30000000, 0, 0, 0, 0, 0), (3, 40000000, 60000000, 0, 1, 1, 0, 0),"
      " (6, 8000000, 9000000, 0, NULL, NULL, 0, 0), (6, 45000000, 50000000, 0, NULL, NULL, 0, 0);"
      "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason, stack, unblocked_by, open_start, open_end)"
      " VALUES (4, 2000000, 100000000, 2, 1, 2, NULL, 0, 1), (5, 3000000, 100000000, 2, 1, 2, NULL, 0, 1),"
      " (6, 30000000, 45000000, 2, 2, NULL, 3, 0, 0);"
      "INSERT INTO pstate (p, start_ns, end_ns, goid, m, open_start, open_end) VALUES"
      " (0, 10000000, 30000000, 2, 0, 0, 0), (1, 40000000, 60000000, 3, 1, 0, 0);"
      "INSERT INTO gc_cycle (id, start_ns, end_ns, trigger) VALUES (1, 19000000, 80000000, 'heap');"
      "INSERT INTO gc_span (kind, start_ns, end_ns, gc_cycle) VALUES ('mark', 22000000, 70000000, 1);"
      "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES"
      " (20000000, 22000000, 'GC sweep termination', 1), (70000000, 75000000, 'GC mark termination', 1);",
      &error);
  g_assert_no_error (error);
  g_assert_true (weft_store_finish (store, &error));
  g_assert_no_error (error);
}

/* ------------------------------------------------------------------ helpers */

static void
on_signal (gpointer instance, gboolean *done)
{
  *done = TRUE;
}

/* Iterates the main loop until @instance emits @signal (a view's query
 * runs in a thread; its result arrives through the main loop). */
static void
wait_for (gpointer instance, const char *signal)
{
  gboolean done = FALSE;
  gint64   deadline = g_get_monotonic_time () + 20 * G_USEC_PER_SEC;
  gulong   id = g_signal_connect (instance, signal, G_CALLBACK (on_signal), &done);

  while (!done && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
  g_signal_handler_disconnect (instance, id);
  g_assert_true (done);
}

static void
pump (int ms)
{
  gint64 deadline = g_get_monotonic_time () + ms * 1000;

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, FALSE) || (g_usleep (1000), TRUE);
}

/* Saves what @window shows as DIR/@name.png when WEFT_TEST_PNG_DIR=DIR. */
static void
screenshot (GtkWidget *window, const char *name)
{
  const char      *dir = g_getenv ("WEFT_TEST_PNG_DIR");
  g_autofree char *file = NULL, *path = NULL;
  g_autoptr (GdkPaintable) paintable = NULL;
  g_autoptr (GdkTexture) texture = NULL;
  GtkSnapshot   *snapshot;
  GskRenderNode *node;
  int            w, h;

  if (dir == NULL)
    return;
  pump (300);
  /* A loaded machine may not have mapped and sized the window yet. */
  for (int i = 0; i < 100 && !(gtk_widget_get_mapped (window) && gtk_widget_get_width (window) > 0); i++)
    pump (50);
  w = gtk_widget_get_width (window);
  h = gtk_widget_get_height (window);
  paintable = gtk_widget_paintable_new (window);
  snapshot = gtk_snapshot_new ();
  gdk_paintable_snapshot (paintable, snapshot, w, h);
  node = gtk_snapshot_free_to_node (snapshot);
  if (node == NULL)
    {
      /* Screenshots are for a person to look at, not a check. */
      g_test_message ("no screenshot %s: the window drew nothing yet", name);
      return;
    }
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (GTK_NATIVE (window)), node,
                                         &GRAPHENE_RECT_INIT (0, 0, w, h));
  gsk_render_node_unref (node);
  file = g_strconcat (name, ".png", NULL);
  path = g_build_filename (dir, file, NULL);
  g_assert_true (gdk_texture_save_to_png (texture, path));
}

static GtkWidget *
open_window (const char *path)
{
  GtkWidget *window = weft_window_new (NULL);
  g_autoptr (GFile) file = g_file_new_for_path (path);
  WeftQueryView *leaks = WEFT_QUERY_VIEW (weft_window_get_part (WEFT_WINDOW (window), "leaks"));

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_true (weft_window_open (WEFT_WINDOW (window), file));
  wait_for (leaks, "loaded");
  return window;
}

static int
find_row (WeftQueryView *view, const char *column, const char *value)
{
  for (guint i = 0; i < weft_query_view_get_n_rows (view); i++)
    if (g_strcmp0 (weft_query_view_get_value (view, i, column), value) == 0)
      return (int) i;
  return -1;
}

/* ------------------------------------------------------------------ tests */

/* The analysis pages list what the database holds, and each row leads
 * back to the timeline. */
static void
test_analyses (void)
{
  GtkWidget     *window = open_window (db_path);
  WeftWindow    *w = WEFT_WINDOW (window);
  WeftTimeline  *timeline = WEFT_TIMELINE (weft_window_get_part (w, "timeline"));
  WeftQueryView *leaks = WEFT_QUERY_VIEW (weft_window_get_part (w, "leaks"));
  WeftQueryView *goroutines = WEFT_QUERY_VIEW (weft_window_get_part (w, "goroutines"));
  WeftQueryView *pauses = WEFT_QUERY_VIEW (weft_window_get_part (w, "pauses"));
  GtkEditable   *search = GTK_EDITABLE (weft_window_get_part (w, "search_entry"));
  gint64         start, end;
  int            row;

  g_assert_cmpstr (weft_window_get_page (w), ==, "timeline");
  screenshot (window, "window-timeline");

  /* A clicked slice: its goroutine in the details pane. */
  g_signal_emit_by_name (timeline, "slice-activated", (gint64) 3, 40 * MS, 60 * MS);
  wait_for (weft_window_get_part (w, "details"), "loaded");
  g_assert_cmpstr (weft_details_pane_get_item (WEFT_DETAILS_PANE (weft_window_get_part (w, "details")), "goroutine"),
                   ==, "3");
  g_assert_cmpstr (weft_details_pane_get_item (WEFT_DETAILS_PANE (weft_window_get_part (w, "details")), "state"), ==,
                   "running");

  /* Leaks: one group of two suspects, at spawn_leaker, in send_result. */
  g_assert_cmpuint (weft_query_view_get_n_rows (leaks), ==, 1);
  g_assert_cmpstr (weft_query_view_get_value (leaks, 0, "kind"), ==, "suspect");
  g_assert_true (g_str_has_prefix (weft_query_view_get_value (leaks, 0, "create_site"), "spawn_leaker (l.c:5)"));
  g_assert_true (g_str_has_prefix (weft_query_view_get_value (leaks, 0, "block_site"), "send_result (l.c:30)"));
  g_assert_cmpstr (weft_query_view_get_value (leaks, 0, "goids"), ==, "4 5");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (weft_window_get_part (w, "view_stack")), "leaks");
  screenshot (window, "window-leaks");
  /* "Show on timeline": goroutine 4's own lane, the view on its end. */
  weft_query_view_activate_row (leaks, 0);
  g_assert_cmpstr (weft_window_get_page (w), ==, "timeline");
  g_assert_cmpstr (gtk_editable_get_text (search), ==, "4");
  weft_timeline_wait (timeline);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 1);
  weft_timeline_get_range (timeline, &start, &end);
  g_assert_cmpint (start, <, 100 * MS - 1);
  g_assert_cmpint (end, ==, 100 * MS);

  /* Goroutines: a row opens its group (by start function) on the timeline. */
  if (weft_query_view_is_loading (goroutines))
    wait_for (goroutines, "loaded");
  row = find_row (goroutines, "start_function", "leaker");
  g_assert_cmpint (row, >=, 0);
  g_assert_cmpstr (weft_query_view_get_value (goroutines, row, "goroutines"), ==, "2");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (weft_window_get_part (w, "view_stack")), "goroutines");
  screenshot (window, "window-goroutines");
  weft_query_view_activate_row (goroutines, row);
  g_assert_cmpstr (weft_window_get_page (w), ==, "timeline");
  g_assert_cmpstr (gtk_editable_get_text (search), ==, "leaker");
  weft_timeline_wait (timeline);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, 2);
  screenshot (window, "window-timeline-leakers");

  /* Pauses: longest first; a row zooms the timeline around it. */
  if (weft_query_view_is_loading (pauses))
    wait_for (pauses, "loaded");
  g_assert_cmpuint (weft_query_view_get_n_rows (pauses), ==, 2);
  g_assert_cmpstr (weft_query_view_get_value (pauses, 0, "duration_ns"), ==, "5000000");
  weft_query_view_activate_row (pauses, 0);
  weft_timeline_get_range (timeline, &start, &end);
  g_assert_cmpint (start, ==, 60 * MS);
  g_assert_cmpint (end, ==, 85 * MS);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The pause histogram and MMU curve: known buckets and utilizations. */
static void
test_pause_charts (void)
{
  GtkWidget  *window = open_window (db_path);
  WeftWindow *w = WEFT_WINDOW (window);
  WeftChart  *histogram = WEFT_CHART (weft_window_get_part (w, "histogram"));
  WeftChart  *mmu = WEFT_CHART (weft_window_get_part (w, "mmu"));
  double      x, y, last = 0;

  if (weft_chart_get_n_points (histogram) == 0)
    wait_for (histogram, "loaded");
  if (weft_chart_get_n_points (mmu) == 0)
    wait_for (mmu, "loaded");
  /* 2 ms and 5 ms: one in [2, 5) ms, one in [5, 10) ms. */
  g_assert_cmpuint (weft_chart_get_n_points (histogram), ==, 2);
  g_assert_true (weft_chart_get_point (histogram, 0, &x, &y));
  g_assert_cmpfloat (x, ==, 2 * MS);
  g_assert_cmpfloat (y, ==, 1);
  g_assert_true (weft_chart_get_point (histogram, 1, &x, &y));
  g_assert_cmpfloat (x, ==, 5 * MS);
  g_assert_cmpfloat (y, ==, 1);
  /* MMU from 1 ms (inside a pause: 0) to 100 ms, never decreasing; a
   * 10 ms window holds at worst the whole 5 ms pause. */
  g_assert_cmpuint (weft_chart_get_n_points (mmu), ==, 7);
  for (guint i = 0; weft_chart_get_point (mmu, i, &x, &y); i++)
    {
      g_assert_cmpfloat (y, >=, last);
      last = y;
      if (x == 1 * MS)
        g_assert_cmpfloat (y, ==, 0);
      if (x == 10 * MS)
        g_assert_cmpfloat_with_epsilon (y, 0.5, 1e-9);
      if (x == 100 * MS)
        g_assert_cmpfloat_with_epsilon (y, 0.93, 1e-9);
    }
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (weft_window_get_part (w, "view_stack")), "pauses");
  screenshot (window, "window-pauses");
  gtk_window_destroy (GTK_WINDOW (window));
}

static const char *
totals (WeftQueryView *view, const char *category, const char *item, const char *column)
{
  for (guint i = 0; i < weft_query_view_get_n_rows (view); i++)
    if (g_strcmp0 (weft_query_view_get_value (view, i, "category"), category) == 0
        && g_strcmp0 (weft_query_view_get_value (view, i, "item"), item) == 0)
      return weft_query_view_get_value (view, i, column);
  return NULL;
}

/* Selecting [0, 50) ms on the timeline shows its totals, each interval
 * clipped to the range; the selection can then be zoomed to. */
static void
test_range_totals (void)
{
  GtkWidget     *window = open_window (db_path);
  WeftWindow    *w = WEFT_WINDOW (window);
  WeftTimeline  *timeline = WEFT_TIMELINE (weft_window_get_part (w, "timeline"));
  WeftQueryView *range = WEFT_QUERY_VIEW (weft_window_get_part (w, "range_totals"));
  gint64         start, end;

  g_assert_false (gtk_revealer_get_reveal_child (GTK_REVEALER (weft_window_get_part (w, "range_revealer"))));
  weft_timeline_set_selection (timeline, 50 * MS, 0);
  wait_for (range, "loaded");
  g_assert_true (gtk_revealer_get_reveal_child (GTK_REVEALER (weft_window_get_part (w, "range_revealer"))));
  /* Running: 2 [10, 30), 3 [40, 50), 6 [8, 9) and [45, 50). */
  g_assert_cmpstr (totals (range, "state", "running", "total_ns"), ==, "36000000");
  g_assert_cmpstr (totals (range, "state", "running", "intervals"), ==, "4");
  /* Blocked: 4 [2, 50), 5 [3, 50), 6 [30, 45). */
  g_assert_cmpstr (totals (range, "state", "blocked", "total_ns"), ==, "110000000");
  g_assert_cmpstr (totals (range, "blocked on", "chan send", "total_ns"), ==, "95000000");
  g_assert_cmpstr (totals (range, "blocked on", "chan receive", "total_ns"), ==, "15000000");
  g_assert_cmpstr (totals (range, "STW", "GC sweep termination", "total_ns"), ==, "2000000");
  g_assert_null (totals (range, "STW", "GC mark termination", "total_ns"));
  g_assert_cmpstr (totals (range, "GC", "mark", "total_ns"), ==, "28000000");
  screenshot (window, "window-range-totals");
  gtk_widget_activate_action (window, "win.zoom-selection", NULL);
  weft_timeline_get_range (timeline, &start, &end);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, 50 * MS);
  gtk_window_destroy (GTK_WINDOW (window));
}

static void
on_goroutine_activated (WeftDetailsPane *details, gint64 goid, gint64 ts_ns, gint64 *activated)
{
  activated[0] = goid;
  activated[1] = ts_ns;
}

/* The details of a slice: facts, stacks with file:line, links. */
static void
test_details (void)
{
  WeftDetailsPane *details = WEFT_DETAILS_PANE (g_object_ref_sink (weft_details_pane_new ()));
  g_autofree char *created = NULL, *blocked = NULL;
  const char      *relation;
  gint64           goid, ts, activated[2] = { -1, -1 };

  /* Goroutine 6 while blocked: woken by 3 at 45 ms, created by 2. */
  weft_details_pane_show (details, db_path, 6, 35 * MS);
  wait_for (details, "loaded");
  g_assert_cmpstr (weft_details_pane_get_item (details, "start function"), ==, "waiter");
  g_assert_cmpstr (weft_details_pane_get_item (details, "state"), ==, "blocked");
  g_assert_cmpstr (weft_details_pane_get_item (details, "since_ns"), ==, "30000000");
  g_assert_cmpstr (weft_details_pane_get_item (details, "then blocked on"), ==, "chan receive");
  g_assert_cmpstr (weft_details_pane_get_item (details, "woken by goroutine"), ==, "3");
  g_assert_cmpstr (weft_details_pane_get_item (details, "woken_at_ns"), ==, "45000000");
  g_assert_cmpuint (weft_details_pane_get_n_links (details), ==, 2);
  g_assert_true (weft_details_pane_get_link (details, 0, &relation, &goid, &ts));
  g_assert_cmpstr (relation, ==, "creator");
  g_assert_cmpint (goid, ==, 2);
  g_assert_cmpint (ts, ==, 5 * MS);
  g_assert_true (weft_details_pane_get_link (details, 1, &relation, &goid, &ts));
  g_assert_cmpstr (relation, ==, "woken by");
  g_assert_cmpint (goid, ==, 3);
  g_assert_cmpint (ts, ==, 45 * MS);

  /* Goroutine 4, a leak: both stacks, innermost first; never woken. */
  weft_details_pane_show (details, db_path, 4, 50 * MS);
  wait_for (details, "loaded");
  created = weft_details_pane_get_stack_text (details, "created");
  blocked = weft_details_pane_get_stack_text (details, "blocked");
  g_assert_cmpstr (created, ==, "spawn_leaker (l.c:5)\nmain (m.c:3)");
  g_assert_cmpstr (blocked, ==, "weft_chan_send (chan.c:99)\nsend_result (l.c:30)");
  g_assert_null (weft_details_pane_get_item (details, "woken by goroutine"));
  g_assert_cmpuint (weft_details_pane_get_n_links (details), ==, 1);
  /* Following the creator link asks for goroutine 1 at 4's creation. */
  g_signal_connect (details, "goroutine-activated", G_CALLBACK (on_goroutine_activated), activated);
  weft_details_pane_activate_link (details, 0);
  g_assert_cmpint (activated[0], ==, 1);
  g_assert_cmpint (activated[1], ==, 1 * MS);
  g_object_unref (details);
}

/* An opened trace is listed on the empty page of a new window, and
 * opens from there. */
static void
test_recent (void)
{
  GtkWidget *window = open_window (db_path), *empty = weft_window_new (NULL);
  GtkWidget *list = weft_window_get_part (WEFT_WINDOW (empty), "recent_list");
  GtkWidget *row = NULL;
  gint64     deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_window_set_default_size (GTK_WINDOW (empty), 1000, 700);
  gtk_window_present (GTK_WINDOW (empty));
  /* GtkRecentManager records the file asynchronously, then says so. */
  while ((row = gtk_widget_get_first_child (list)) == NULL && g_get_monotonic_time () < deadline)
    pump (20);
  g_assert_nonnull (row);
  g_assert_cmpstr (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row)), ==, "known.weft");
  screenshot (empty, "window-empty");
  /* The list is refilled whenever the recent files change. */
  row = gtk_widget_get_first_child (list);
  g_signal_emit_by_name (list, "row-activated", row);
  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (empty)), ==, "timeline");
  gtk_window_destroy (GTK_WINDOW (empty));
  gtk_window_destroy (GTK_WINDOW (window));
}

/* A query whose view moved on stops in the middle of its statement. */
static void
test_cancel (void)
{
  g_autofree char *path = g_build_filename (tmpdir, "many.weft", NULL);
  g_autoptr (GError) error = NULL;
  g_autoptr (GCancellable) cancellable = g_cancellable_new ();
  g_autoptr (GHashTable) params = weft_query_params_new ();
  g_autoptr (WeftQueryResult) r = NULL;

  {
    g_autoptr (WeftStore) store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

    g_assert_no_error (error);
    weft_store_exec (store,
                     "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 199999)"
                     " INSERT INTO gstate (goid, start_ns, end_ns, state) SELECT n % 100, n * 10, n * 10 + 10, n % 3"
                     " FROM i",
                     &error);
    g_assert_no_error (error);
    g_assert_true (weft_store_finish (store, &error));
  }
  weft_query_params_set (params, ":t0", 0);
  weft_query_params_set (params, ":t1", 2000000);
  r = weft_query_run (path, "range-totals", params, cancellable, &error);
  g_assert_no_error (error);
  /* Three states, and blocked for no known reason. */
  g_assert_cmpuint (r->rows->len, ==, 4);
  g_assert_cmpstr (weft_query_row_get_raw (g_ptr_array_index (r->rows, 3), 1), ==, "unknown");
  g_clear_pointer (&r, weft_query_result_free);
  g_cancellable_cancel (cancellable);
  r = weft_query_run (path, "range-totals", params, cancellable, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (r);
  g_remove (path);
}

/* Not a Weft database, or one from a newer Weft: the error page says so. */
static void
test_bad_files (void)
{
  g_autofree char *junk = g_build_filename (tmpdir, "junk.weft", NULL);
  g_autofree char *newer = g_build_filename (tmpdir, "newer.weft", NULL);
  g_autoptr (GFile) junk_file = g_file_new_for_path (junk);
  g_autoptr (GFile) newer_file = g_file_new_for_path (newer);
  g_autoptr (GError) error = NULL;
  GtkWidget *window;

  g_assert_true (g_file_set_contents (junk, "not a database at all", -1, NULL));
  window = weft_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_false (weft_window_open (WEFT_WINDOW (window), junk_file));
  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (window)), ==, "error");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (weft_window_get_part (
                                WEFT_WINDOW (window), "error_page"))),
                            "not a Weft trace database"));
  screenshot (window, "window-error");
  gtk_window_destroy (GTK_WINDOW (window));

  {
    g_autoptr (WeftStore) store = weft_store_create (newer, WEFT_STORE_CREATE_DEFAULT, &error);

    g_assert_no_error (error);
    g_assert_true (weft_store_finish (store, &error));
    g_assert_true (weft_store_exec (store, "PRAGMA user_version = 99", &error));
  }
  window = weft_window_new (NULL);
  g_assert_false (weft_window_open (WEFT_WINDOW (window), newer_file));
  g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (window)), ==, "error");
  g_assert_nonnull (strstr (adw_status_page_get_description (ADW_STATUS_PAGE (weft_window_get_part (
                                WEFT_WINDOW (window), "error_page"))),
                            "newer version of Weft"));
  gtk_window_destroy (GTK_WINDOW (window));
  g_remove (junk);
  g_remove (newer);
}

/* The leak threshold preference filters the suspects at once. */
static void
test_threshold (void)
{
  g_autoptr (GSettings) settings = NULL;
  GtkWidget     *window;
  WeftQueryView *leaks;

  if (g_settings_schema_source_lookup (g_settings_schema_source_get_default (), "org.weft.Viewer", TRUE) == NULL)
    {
      g_test_skip ("the org.weft.Viewer schema is not compiled here (GSETTINGS_SCHEMA_DIR)");
      return;
    }
  settings = g_settings_new ("org.weft.Viewer");
  window = open_window (db_path);
  leaks = WEFT_QUERY_VIEW (weft_window_get_part (WEFT_WINDOW (window), "leaks"));
  /* 4 blocked 98 ms, 5 97 ms. */
  g_settings_set_uint (settings, "leak-threshold-ms", 98);
  wait_for (leaks, "loaded");
  g_assert_cmpuint (weft_query_view_get_n_rows (leaks), ==, 1);
  g_assert_cmpstr (weft_query_view_get_value (leaks, 0, "goids"), ==, "4");
  g_settings_set_uint (settings, "leak-threshold-ms", 99);
  wait_for (leaks, "loaded");
  g_assert_cmpuint (weft_query_view_get_n_rows (leaks), ==, 0);
  g_settings_reset (settings, "leak-threshold-ms");
  wait_for (leaks, "loaded");
  g_assert_cmpuint (weft_query_view_get_n_rows (leaks), ==, 1);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Preferences edit the settings the windows and the application watch. */
static void
test_preferences (void)
{
  g_autoptr (GSettings) settings = NULL;
  g_autofree char *scheme = NULL;
  GtkWidget       *prefs;

  if (g_settings_schema_source_lookup (g_settings_schema_source_get_default (), "org.weft.Viewer", TRUE) == NULL)
    {
      g_test_skip ("the org.weft.Viewer schema is not compiled here (GSETTINGS_SCHEMA_DIR)");
      return;
    }
  settings = g_settings_new ("org.weft.Viewer");
  prefs = weft_preferences_window_new (NULL, settings);
  gtk_window_present (GTK_WINDOW (prefs));
  screenshot (prefs, "preferences");
  g_assert_cmpint (g_settings_get_enum (settings, "color-scheme"), ==, 0);
  g_settings_set_enum (settings, "color-scheme", 2);
  /* The style row follows the key, and the key the row. */
  g_assert_cmpuint (adw_combo_row_get_selected (ADW_COMBO_ROW (
                        gtk_widget_get_template_child (prefs, WEFT_TYPE_PREFERENCES_WINDOW, "style_row"))),
                    ==, 2);
  adw_combo_row_set_selected (
      ADW_COMBO_ROW (gtk_widget_get_template_child (prefs, WEFT_TYPE_PREFERENCES_WINDOW, "style_row")), 1);
  scheme = g_settings_get_string (settings, "color-scheme");
  g_assert_cmpstr (scheme, ==, "light");
  g_settings_reset (settings, "color-scheme");
  gtk_window_destroy (GTK_WINDOW (prefs));
}

/* Records @example (data/examples/NAME, its path in @env) with LTTng and
 * converts it into tmpdir/NAME.weft; NULL (test skipped) if it cannot. */
/* ------------------------------------------------------------------ the main thread never waits */

/* A frame, the longest the main thread may be away from its loop; under
 * AddressSanitizer, which makes the code it instruments 2-3 times slower,
 * three. */
#ifdef __SANITIZE_ADDRESS__
#define FRAME_MS 48.0
#else
#define FRAME_MS 16.0
#endif

/* The main thread's CPU time, ms. */
static double
main_cpu_ms (void)
{
  struct timespec ts;

  clock_gettime (CLOCK_THREAD_CPUTIME_ID, &ts);
  return (double) ts.tv_sec * 1e3 + (double) ts.tv_nsec / 1e6;
}

/* A timeout source of the test's main context, ticking every
 * millisecond: the longest gap between two ticks is the longest the main
 * thread was kept from its loop, counted in its own CPU time (what it
 * spent on the work, whatever else the machine runs) and in wall time. */
typedef struct
{
  double last_cpu, max_cpu;
  gint64 last_wall, max_wall;
  guint  source;
} Watchdog;

static gboolean
watchdog_tick (gpointer data)
{
  Watchdog *w = data;
  double    cpu = main_cpu_ms ();
  gint64    wall = g_get_monotonic_time ();

  w->max_cpu = MAX (w->max_cpu, cpu - w->last_cpu);
  w->max_wall = MAX (w->max_wall, wall - w->last_wall);
  w->last_cpu = cpu;
  w->last_wall = wall;
  return G_SOURCE_CONTINUE;
}

static void
watchdog_start (Watchdog *w)
{
  *w = (Watchdog){ main_cpu_ms (), 0, g_get_monotonic_time (), 0, 0 };
  w->source = g_timeout_add_full (G_PRIORITY_HIGH, 1, watchdog_tick, w, NULL);
}

/* The longest CPU gap so far, ms, and starts over. */
static double
watchdog_take (Watchdog *w, const char *what)
{
  double max;

  watchdog_tick (w);
  max = w->max_cpu;
  g_test_message ("%s: the main thread was away from its loop at most %.1f ms of CPU time (%.1f ms of wall time)", what,
                  max, (double) w->max_wall / 1e3);
  w->max_cpu = 0;
  w->max_wall = 0;
  return max;
}

/* A database big enough that anything reading many of its rows on the
 * main thread misses frames: 600,000 goroutines of four start functions,
 * each running then blocked, 1.2M intervals over 60 ms. */
static char *
make_big_database (void)
{
  g_autoptr (GError) error = NULL;
  char      *path = g_build_filename (tmpdir, "big.weft", NULL);
  WeftStore *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  weft_store_exec (store,
                   "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 60100000), ('nprocs', 4);"
                   "INSERT INTO symbol (pc, function, file, line, runtime) VALUES"
                   " (4096, 'accept_loop', 's.c', 10, 0), (8192, 'serve', 's.c', 20, 0),"
                   " (12288, 'flush', 's.c', 30, 0), (16384, 'tick', 's.c', 40, 0);"
                   "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 599999)"
                   " INSERT INTO goroutine (goid, parent, start_pc, created_ns, ended_ns)"
                   " SELECT n + 2, 1, 4096 * (1 + n % 4), n * 100, n * 100 + 100000 FROM i;"
                   "INSERT INTO gstate (goid, start_ns, end_ns, state, p, m, open_start, open_end)"
                   " SELECT goid, created_ns, created_ns + 50000, 0, goid % 4, goid % 4, 0, 0 FROM goroutine;"
                   "INSERT INTO gstate (goid, start_ns, end_ns, state, wait_reason, open_start, open_end)"
                   " SELECT goid, created_ns + 50000, ended_ns, 2, 1, 0, 0 FROM goroutine;",
                   &error);
  g_assert_no_error (error);
  g_assert_true (weft_store_finish (store, &error));
  g_assert_no_error (error);
  weft_store_free (store);
  return path;
}

/* Opening a big trace, expanding a group, searching, revealing a
 * goroutine, the totals of the whole range, a slice's details, zooming
 * and panning: the main thread never spends more than a frame (16 ms)
 * away from its loop. */
static void
test_never_blocks (void)
{
  g_autofree char *path = make_big_database ();
  g_autoptr (GFile) file = g_file_new_for_path (path);
  g_autoptr (GFile) known = g_file_new_for_path (db_path);
  g_autoptr (GHashTable) params = weft_query_params_new ();
  g_autoptr (WeftQueryResult) groups = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget     *window = weft_window_new (NULL);
  WeftWindow    *w = WEFT_WINDOW (window);
  WeftTimeline  *timeline = WEFT_TIMELINE (weft_window_get_part (w, "timeline"));
  WeftQueryView *range = WEFT_QUERY_VIEW (weft_window_get_part (w, "range_totals"));
  Watchdog       dog;
  double         before;

  /* The database is big enough for this test to fail: listing its groups
   * alone, as the timeline did on the main thread, takes more than a
   * frame. */
  before = main_cpu_ms ();
  groups = weft_query_run (path, "goroutine-groups", params, NULL, &error);
  g_assert_no_error (error);
  before = main_cpu_ms () - before;
  g_test_message ("listing the groups of 600,000 goroutines: %.1f ms", before);
  g_assert_cmpuint (groups->rows->len, ==, 4);
  g_assert_cmpfloat (before, >, 16.0);

  gtk_window_set_default_size (GTK_WINDOW (window), 1280, 800);
  gtk_window_present (GTK_WINDOW (window));
  /* The first frame of a trace's pages lays out and renders every widget
   * (25–45 ms of GTK's own work here, whatever the trace): done on the
   * small trace first, so that the watchdog measures what the big one
   * costs. */
  g_assert_true (weft_window_open (w, known));
  weft_timeline_wait (timeline);
  pump (300);
  watchdog_start (&dog);
  g_assert_true (weft_window_open (w, file));
  weft_timeline_wait (timeline);
  pump (100);
  g_assert_cmpfloat (watchdog_take (&dog, "open"), <, FRAME_MS);
  g_assert_true (weft_timeline_lane_geometry (timeline, "group 8192", &(int){ 0 }, &(int){ 0 }));

  weft_timeline_reveal_goroutine (timeline, 300001, 30000000);
  weft_timeline_wait (timeline);
  pump (100);
  g_assert_cmpfloat (watchdog_take (&dog, "reveal"), <, FRAME_MS);
  g_assert_true (weft_timeline_lane_geometry (timeline, "G300001", &(int){ 0 }, &(int){ 0 }));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, WEFT_TIMELINE_MAX_GOROUTINE_LANES + 1);

  weft_timeline_set_filter (timeline, "flush");
  weft_timeline_wait (timeline);
  pump (100);
  g_assert_cmpfloat (watchdog_take (&dog, "search"), <, FRAME_MS);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (timeline), ==, WEFT_TIMELINE_MAX_GOROUTINE_LANES);

  weft_timeline_set_selection (timeline, 0, 60100000);
  wait_for (range, "loaded");
  pump (100);
  g_assert_cmpfloat (watchdog_take (&dog, "range totals"), <, FRAME_MS);
  g_assert_cmpstr (totals (range, "state", "running", "intervals"), ==, "600000");

  g_signal_emit_by_name (timeline, "slice-activated", (gint64) 300001, 29999900 * G_GINT64_CONSTANT (1),
                         30049900 * G_GINT64_CONSTANT (1), 0);
  wait_for (weft_window_get_part (w, "details"), "loaded");
  for (int i = 0; i < 20; i++)
    {
      weft_timeline_zoom (timeline, i < 10 ? 2 : 0.5);
      weft_timeline_pan (timeline, 0.3);
      pump (20);
    }
  g_assert_cmpfloat (watchdog_take (&dog, "details, zoom and pan"), <, FRAME_MS);
  /* A file without level of detail: its sampled lanes take a while. */
  if (g_getenv ("WEFT_TEST_PNG_DIR") != NULL)
    pump (3000);
  screenshot (window, "window-big");
  g_source_remove (dog.source);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* ------------------------------------------------------------------ shortcuts, windows, drops */

/* Adds the accelerator (normalised) of every key trigger of @widget's
 * shortcut controllers (its class's bindings and actions) to @keys. */
static void
add_widget_shortcuts (GtkWidget *widget, GHashTable *keys)
{
  g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (widget);

  for (guint i = 0; i < g_list_model_get_n_items (controllers); i++)
    {
      g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

      if (!GTK_IS_SHORTCUT_CONTROLLER (controller))
        continue;
      for (guint k = 0; k < g_list_model_get_n_items (G_LIST_MODEL (controller)); k++)
        {
          g_autoptr (GtkShortcut) shortcut = g_list_model_get_item (G_LIST_MODEL (controller), k);
          GtkShortcutTrigger *trigger = gtk_shortcut_get_trigger (shortcut);

          if (GTK_IS_KEYVAL_TRIGGER (trigger))
            g_hash_table_add (keys,
                              gtk_accelerator_name (gtk_keyval_trigger_get_keyval (GTK_KEYVAL_TRIGGER (trigger)),
                                                    gtk_keyval_trigger_get_modifiers (GTK_KEYVAL_TRIGGER (trigger))));
        }
    }
}

/* Every accelerator the application, a window and its timeline answer
 * to is in the keyboard shortcuts window. */
static void
test_shortcuts (void)
{
  g_autoptr (WeftApplication) app = weft_application_new ();
  g_autoptr (GtkBuilder) builder = gtk_builder_new_from_resource ("/org/weft/Viewer/gtk/help-overlay.ui");
  g_autoptr (GHashTable) keys = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GHashTable) listed = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) actions = NULL;
  GSList        *objects = gtk_builder_get_objects (builder);
  GtkWidget     *window;
  GHashTableIter iter;
  gpointer       key;
  guint          missing = 0;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  window = weft_window_new (GTK_APPLICATION (app));
  add_widget_shortcuts (window, keys);
  /* Not those every window has (GtkWindow's focus keys, the
   * application's accelerators, counted below). */
  {
    g_autoptr (GHashTable) base = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
    GtkWidget *plain = adw_application_window_new (GTK_APPLICATION (app));

    add_widget_shortcuts (plain, base);
    g_hash_table_iter_init (&iter, base);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_hash_table_remove (keys, key);
    gtk_window_destroy (GTK_WINDOW (plain));
  }
  actions = gtk_application_list_action_descriptions (GTK_APPLICATION (app));
  for (guint i = 0; actions[i] != NULL; i++)
    {
      g_auto (GStrv) accels = gtk_application_get_accels_for_action (GTK_APPLICATION (app), actions[i]);

      for (guint k = 0; accels[k] != NULL; k++)
        {
          guint           keyval;
          GdkModifierType mods;

          g_assert_true (gtk_accelerator_parse (accels[k], &keyval, &mods));
          g_hash_table_add (keys, gtk_accelerator_name (keyval, mods));
        }
    }
  add_widget_shortcuts (weft_window_get_part (WEFT_WINDOW (window), "timeline"), keys);
  /* The collection sees all three: the application's, the window's and
   * the timeline's. */
  g_assert_true (g_hash_table_contains (keys, "<Control>o"));
  g_assert_true (g_hash_table_contains (keys, "<Control>t"));
  g_assert_true (g_hash_table_contains (keys, "w"));

  for (GSList *l = objects; l != NULL; l = l->next)
    if (GTK_IS_SHORTCUTS_SHORTCUT (l->data))
      {
        g_autofree char *accelerator = NULL;
        g_auto (GStrv) each = NULL;

        g_object_get (l->data, "accelerator", &accelerator, NULL);
        each = g_strsplit (accelerator != NULL ? accelerator : "", " ", -1);
        for (guint k = 0; each[k] != NULL; k++)
          {
            guint           keyval;
            GdkModifierType mods;

            if (gtk_accelerator_parse (each[k], &keyval, &mods) && keyval != 0)
              g_hash_table_add (listed, gtk_accelerator_name (keyval, mods));
          }
      }
  g_slist_free (objects);
  g_hash_table_iter_init (&iter, keys);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    if (!g_hash_table_contains (listed, key))
      {
        g_test_message ("not in the shortcuts window: %s", (const char *) key);
        missing++;
      }
  g_assert_cmpuint (missing, ==, 0);
  gtk_window_destroy (GTK_WINDOW (window));
}

/* Opening a trace shown already presents its window: one per trace. */
static void
test_one_window_per_trace (void)
{
  g_autoptr (WeftApplication) app = weft_application_new ();
  g_autoptr (GFile) file = g_file_new_for_path (db_path);
  g_autoptr (GFile) same = g_file_new_for_commandline_arg (db_path);
  g_autofree char *other_path = g_build_filename (tmpdir, "other.weft", NULL);
  g_autoptr (GFile) other = NULL;
  g_autoptr (GError) error = NULL;
  GtkWindow *window;

  g_assert_true (g_file_copy (file, (other = g_file_new_for_path (other_path)), G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_HANDLES_OPEN | G_APPLICATION_NON_UNIQUE);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_application_open (G_APPLICATION (app), &file, 1, "");
  window = weft_application_find_window (app, file);
  g_assert_nonnull (window);
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 1);
  g_application_open (G_APPLICATION (app), &same, 1, "");
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 1);
  g_assert_true (gtk_application_get_active_window (GTK_APPLICATION (app)) == window);
  g_application_open (G_APPLICATION (app), &other, 1, "");
  g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 2);
  g_assert_true (weft_application_find_window (app, other) != window);

  /* Dropping a trace shown already on another window presents that one;
   * a new one on an empty window opens there. */
  {
    GtkWidget *empty = weft_window_new (GTK_APPLICATION (app));
    g_autoptr (GListModel) controllers = gtk_widget_observe_controllers (empty);
    g_autofree char *third_path = g_build_filename (tmpdir, "third.weft", NULL);
    g_autoptr (GFile) third = g_file_new_for_path (third_path);
    GtkDropTarget *target = NULL;
    GValue         value = G_VALUE_INIT;
    gboolean       dropped = FALSE;
    GSList        *list;

    g_assert_true (g_file_copy (file, third, G_FILE_COPY_NONE, NULL, NULL, NULL, &error));
    for (guint i = 0; i < g_list_model_get_n_items (controllers) && target == NULL; i++)
      {
        g_autoptr (GObject) controller = g_list_model_get_item (controllers, i);

        if (GTK_IS_DROP_TARGET (controller))
          target = GTK_DROP_TARGET (controller);
      }
    g_assert_nonnull (target);
    g_value_init (&value, GDK_TYPE_FILE_LIST);
    list = g_slist_prepend (NULL, file);
    g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
    g_slist_free (list);
    g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &dropped);
    g_value_unset (&value);
    g_assert_true (dropped);
    g_assert_true (weft_window_is_empty (WEFT_WINDOW (empty)));
    g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 3);

    g_value_init (&value, GDK_TYPE_FILE_LIST);
    list = g_slist_prepend (NULL, third);
    g_value_take_boxed (&value, gdk_file_list_new_from_list (list));
    g_slist_free (list);
    g_signal_emit_by_name (target, "drop", &value, 10.0, 10.0, &dropped);
    g_value_unset (&value);
    g_assert_true (weft_window_shows (WEFT_WINDOW (empty), third));
    g_assert_cmpstr (weft_window_get_page (WEFT_WINDOW (empty)), ==, "timeline");
    g_assert_cmpuint (g_list_length (gtk_application_get_windows (GTK_APPLICATION (app))), ==, 3);
    /* Its lanes load on a worker, which must not find the file gone. */
    weft_timeline_wait (WEFT_TIMELINE (weft_window_get_part (WEFT_WINDOW (empty), "timeline")));
    g_file_delete (third, NULL, NULL);
  }
  while (gtk_application_get_windows (GTK_APPLICATION (app)) != NULL)
    gtk_window_destroy (gtk_application_get_windows (GTK_APPLICATION (app))->data);
  g_file_delete (other, NULL, NULL);
}

static char *
record_example (const char *name, const char *env)
{
  const char      *lttng = g_getenv ("WEFT_LTTNG"), *exe = g_getenv (env);
  g_autofree char *outdir = g_strdup_printf ("%s/ctf-%s", tmpdir, name);
  g_autofree char *db = g_strdup_printf ("%s/%s.weft", tmpdir, name);
  g_autofree char *out = NULL, *err = NULL;
  g_autoptr (GError) error = NULL;
  g_auto (GStrv) lines = NULL;
  const char      *argv[] = { lttng, "run", outdir, "--", exe, NULL };
  WeftConvertStats stats;
  int              status;
  guint            n;

  if (lttng == NULL || exe == NULL || !g_file_test (exe, G_FILE_TEST_IS_EXECUTABLE))
    {
      g_test_skip ("no weft-lttng or the example");
      return NULL;
    }
  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &out, &err, &status, &error));
  g_assert_no_error (error);
  if (WIFEXITED (status) && WEXITSTATUS (status) == 125)
    {
      g_test_skip ("LTTng cannot trace here");
      return NULL;
    }
  lines = g_strsplit (g_strstrip (out), "\n", -1);
  n = g_strv_length (lines);
  g_assert_cmpuint (n, >, 0);
  g_assert_true (weft_convert (lines[n - 1], db, NULL, &stats, &error));
  g_assert_no_error (error);
  return g_steal_pointer (&db);
}

/* The leaks view's row of @kind created in handle in @file: the only one,
 * of 10 goroutines blocked in produce_rows (both examples' leak). */
static int
handle_row (WeftQueryView *leaks, const char *kind, const char *file)
{
  int row = -1;

  for (guint i = 0; i < weft_query_view_get_n_rows (leaks); i++)
    if (g_str_has_prefix (weft_query_view_get_value (leaks, i, "create_site"), "handle (")
        && strcmp (weft_query_view_get_value (leaks, i, "kind"), kind) == 0)
      {
        g_assert_cmpint (row, ==, -1);
        g_assert_nonnull (strstr (weft_query_view_get_value (leaks, i, "create_site"), file));
        row = (int) i;
      }
  g_assert_cmpint (row, >=, 0);
  g_assert_cmpstr (weft_query_view_get_value (leaks, row, "goroutines"), ==, "10");
  g_assert_true (g_str_has_prefix (weft_query_view_get_value (leaks, row, "block_site"), "produce_rows ("));
  return row;
}

/* A window on a recording of data/examples/@name (see record_example),
 * its leaks view in *@leaks and the row of its leak of @kind in *@row;
 * NULL (test skipped) if it could not be recorded. */
static GtkWidget *
open_recorded (const char *name, const char *env, const char *kind, WeftQueryView **leaks, int *row)
{
  g_autofree char *db = record_example (name, env);
  g_autofree char *file = g_strconcat (name, ".c:", NULL);
  GtkWidget       *window;

  if (db == NULL)
    return NULL;
  window = open_window (db);
  *leaks = WEFT_QUERY_VIEW (weft_window_get_part (WEFT_WINDOW (window), "leaks"));
  *row = handle_row (*leaks, kind, file);
  return window;
}

/* A real recording: data/examples/leaky-pipeline leaks 10 row-producers,
 * all created in handle, all blocked sending in produce_rows. */
static void
test_recorded_leaks (void)
{
  WeftQueryView *leaks;
  int            row;
  GtkWidget     *window = open_recorded ("leaky-pipeline", "WEFT_EXAMPLE_LEAKY_PIPELINE", "suspect", &leaks, &row);

  if (window == NULL)
    return;
  g_assert_true (g_str_has_suffix (weft_query_view_get_value (leaks, row, "create_site"), ")"));
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (weft_window_get_part (WEFT_WINDOW (window), "view_stack")),
                                         "leaks");
  screenshot (window, "recorded-leaks");
  /* Its first goroutine on the timeline, with its stacks beside it. */
  weft_query_view_activate_row (leaks, (guint) row);
  wait_for (weft_window_get_part (WEFT_WINDOW (window), "details"), "loaded");
  screenshot (window, "recorded-leak-details");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* The real collector: data/examples/gc-leaks's 10 producers proven leaked
 * (kind "leaked", first in the view), its cycles on the timeline. */
static void
test_recorded_gc (void)
{
  WeftQueryView *leaks;
  int            row;
  GtkWidget     *window = open_recorded ("gc-leaks", "WEFT_EXAMPLE_GC_LEAKS", "leaked", &leaks, &row);

  if (window == NULL)
    return;
  g_assert_cmpint (row, ==, 0);
  screenshot (window, "recorded-gc-timeline");
  adw_view_stack_set_visible_child_name (ADW_VIEW_STACK (weft_window_get_part (WEFT_WINDOW (window), "view_stack")),
                                         "leaks");
  screenshot (window, "recorded-gc-leaks");
  gtk_window_destroy (GTK_WINDOW (window));
}

/* zh_CN: the catalogue is used by the window and by the column titles. */
static void
test_zh_cn (void)
{
  g_autofree char *junk = g_build_filename (tmpdir, "坏.weft", NULL);
  g_autoptr (GFile) junk_file = g_file_new_for_path (junk);
  g_autofree char *title = NULL;
  GtkWidget       *window;

  if (g_getenv ("WEFT_LOCALEDIR") == NULL)
    {
      g_test_skip ("WEFT_LOCALEDIR is not set");
      return;
    }
  g_setenv ("LANGUAGE", "zh_CN", TRUE);
  setlocale (LC_MESSAGES, "");
  title = weft_column_title ("total_exec_ns");
  g_assert_cmpstr (title, ==, "总执行时间");
  g_assert_cmpstr (weft_value_name ("blocked"), ==, "阻塞");
  g_assert_true (g_file_set_contents (junk, "not a database", -1, NULL));
  window = weft_window_new (NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1000, 700);
  gtk_window_present (GTK_WINDOW (window));
  g_assert_false (weft_window_open (WEFT_WINDOW (window), junk_file));
  g_assert_cmpstr (adw_status_page_get_title (ADW_STATUS_PAGE (weft_window_get_part (WEFT_WINDOW (window),
                                                                                     "error_page"))),
                   ==, "无法打开“坏.weft”");
  screenshot (window, "window-zh_CN-error");
  gtk_window_destroy (GTK_WINDOW (window));
  window = open_window (db_path);
  screenshot (window, "window-zh_CN");
  gtk_window_destroy (GTK_WINDOW (window));
  g_unsetenv ("LANGUAGE");
  setlocale (LC_MESSAGES, "");
  g_remove (junk);
}

/* Removes @file and, for a folder, everything in it (the recording's CTF). */
static void
remove_tree (GFile *file)
{
  g_autoptr (GFileEnumerator) children
      = g_file_enumerate_children (file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL, NULL);
  GFileInfo *info;
  GFile     *child;

  while (children != NULL && g_file_enumerator_iterate (children, &info, &child, NULL, NULL) && info != NULL)
    remove_tree (child);
  g_file_delete (file, NULL, NULL);
}

int
main (int argc, char **argv)
{
  int rc;

  setlocale (LC_ALL, "C.UTF-8");
  if (!gtk_init_check ())
    {
      g_print ("1..0 # SKIP no display\n");
      return 77;
    }
  adw_init ();
  if (g_getenv ("WEFT_LOCALEDIR") != NULL)
    bindtextdomain ("weft", g_getenv ("WEFT_LOCALEDIR"));
  bind_textdomain_codeset ("weft", "UTF-8");
  textdomain ("weft");
  g_test_init (&argc, &argv, NULL);
  tmpdir = g_dir_make_tmp ("weft-test-viewer-app-XXXXXX", NULL);
  make_database ();
  g_test_add_func ("/Weft/ViewerApp/analyses", test_analyses);
  g_test_add_func ("/Weft/ViewerApp/pause-charts", test_pause_charts);
  g_test_add_func ("/Weft/ViewerApp/range-totals", test_range_totals);
  g_test_add_func ("/Weft/ViewerApp/details", test_details);
  g_test_add_func ("/Weft/ViewerApp/recent", test_recent);
  g_test_add_func ("/Weft/ViewerApp/cancel", test_cancel);
  g_test_add_func ("/Weft/ViewerApp/bad-files", test_bad_files);
  g_test_add_func ("/Weft/ViewerApp/threshold", test_threshold);
  g_test_add_func ("/Weft/ViewerApp/preferences", test_preferences);
  g_test_add_func ("/Weft/ViewerApp/never-blocks", test_never_blocks);
  g_test_add_func ("/Weft/ViewerApp/shortcuts", test_shortcuts);
  g_test_add_func ("/Weft/ViewerApp/one-window-per-trace", test_one_window_per_trace);
  g_test_add_func ("/Weft/ViewerApp/recorded-leaks", test_recorded_leaks);
  g_test_add_func ("/Weft/ViewerApp/recorded-gc", test_recorded_gc);
  g_test_add_func ("/Weft/ViewerApp/zh_CN", test_zh_cn);
  rc = g_test_run ();
  {
    g_autoptr (GFile) dir = g_file_new_for_path (tmpdir);

    remove_tree (dir);
  }
  g_free (db_path);
  g_free (tmpdir);
  return rc;
}
