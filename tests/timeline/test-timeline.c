/* test-timeline.c — the timeline widget rendered to textures under Xvfb
 * and checked pixel by pixel:
 *  - on databases the recorder made from weft-trace-gen's traces (written
 *    under build-aux/weft-lttng, converted by weft convert, level of
 *    detail included): the STW lane is red exactly over the pauses of the
 *    GC scenario, and a zoomed-in frame of the scripted scenario shows a
 *    known goroutine slice at the right x-range. Skipped when LTTng cannot
 *    trace here;
 *  - on a hand-built database with a busy P lane, read through its level
 *    of detail and without it: no gap, no blur, the lone slice kept; and
 *    on one of more goroutines than a frame keeps the start functions of,
 *    each slice coloured by its own;
 *  - time ↔ pixel mapping and tick steps; the view and selection
 *    properties.
 * WEFT_TEST_PNG_DIR=DIR keeps the renderings as PNG files.
 */
#include "test-util.h"
#include "weft-lod.h"
#include "weft-store.h"
#include "weft-timeline.h"

#include <adwaita.h>
#include <glib/gstdio.h>
#include <string.h>

#define LABEL (weft_timeline_label_width ())
#define PLOT 1000

static char *tmpdir;

/* ------------------------------------------------------------------ pictures */

typedef struct
{
  GdkTexture *texture;
  guchar     *pixels; /* B8G8R8A8 premultiplied (opaque here) */
  gsize       stride;
} Picture;

static Picture
render (WeftTimeline *timeline, int height, const char *name)
{
  Picture p;
  int     width = LABEL + PLOT;

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

/* The colour of plot column @x at height @y, as 0xRRGGBB. */
static guint32
pixel (const Picture *p, int x, int y)
{
  const guchar *px = p->pixels + (gsize) y * p->stride + (gsize) (LABEL + x) * 4;

  return (guint32) px[2] << 16 | (guint32) px[1] << 8 | px[0];
}

static gboolean
near (guint32 a, guint32 b)
{
  for (int shift = 0; shift < 24; shift += 8)
    if (ABS ((int) ((a >> shift) & 0xff) - (int) ((b >> shift) & 0xff)) > 8)
      return FALSE;
  return TRUE;
}

/* The STW colour: 0.88, 0.11, 0.14. */
#define STW_RGB 0xe01c24
/* A thread in a system call: 0.85, 0.30, 0.60. */
#define SYSCALL_RGB 0xd94d99

static GtkWidget *
open_timeline (const char *path)
{
  GtkWidget *timeline = g_object_ref_sink (weft_timeline_new ());
  g_autoptr (GError) error = NULL;

  g_assert_true (weft_timeline_load (WEFT_TIMELINE (timeline), path, &error));
  g_assert_no_error (error);
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  return timeline;
}

/* ------------------------------------------------------------------ recorded traces */

/* weft-trace-gen @scenario, recorded and converted; NULL (the test is
 * skipped) when LTTng cannot trace here. */
static char *
record (const char *scenario)
{
  g_autofree char *out = g_build_filename (tmpdir, scenario, NULL);
  g_autofree char *db = g_strconcat (out, ".weft", NULL);
  g_autofree char *stdout_text = NULL, *stderr_text = NULL;
  g_autoptr (GError) error = NULL;
  const char *lttng = g_getenv ("WEFT_LTTNG"), *gen = g_getenv ("WEFT_TRACE_GEN"), *weft = g_getenv ("WEFT_CLI");
  int         status;

  if (g_file_test (db, G_FILE_TEST_EXISTS))
    return g_steal_pointer (&db);
  if (lttng == NULL || gen == NULL || weft == NULL)
    {
      g_test_skip ("WEFT_LTTNG, WEFT_TRACE_GEN or WEFT_CLI not set");
      return NULL;
    }
  {
    const char *argv[] = { lttng, "run", out, "--", gen, scenario, NULL };

    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, 0, NULL, NULL, &stdout_text, &stderr_text, &status, &error));
    g_assert_no_error (error);
  }
  if (!g_spawn_check_wait_status (status, NULL))
    {
      g_test_skip_printf ("weft-lttng cannot trace here: %s", stderr_text);
      return NULL;
    }
  {
    g_auto (GStrv) lines = g_strsplit (g_strstrip (stdout_text), "\n", -1);
    const char *argv[] = { weft, "convert", lines[g_strv_length (lines) - 1], "-o", db, "--no-symbols", NULL };

    g_clear_pointer (&stderr_text, g_free);
    /* Its summary line on our stdout would break the TAP stream. */
    g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL, &stderr_text,
                                 &status, &error));
    g_assert_no_error (error);
    if (!g_spawn_check_wait_status (status, NULL))
      g_error ("weft convert: %s", stderr_text);
  }
  return g_steal_pointer (&db);
}

/* The GC scenario's five pauses, read back from the database: every plot
 * column that meets a pause is red in the STW lane, no other column is,
 * and no other lane is red. */
static void
test_recorded_stw (void)
{
  g_autofree char *db = record ("gc");
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget    *timeline;
  sqlite3_stmt *s;
  gint64        start, end, pauses[8][2];
  int           n = 0, y, h, red = 0;
  Picture       p;

  if (db == NULL)
    return;
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  s = weft_store_prepare (store, "SELECT start_ns, end_ns FROM stw ORDER BY start_ns", NULL);
  while (sqlite3_step (s) == SQLITE_ROW && n < 8)
    {
      pauses[n][0] = sqlite3_column_int64 (s, 0);
      pauses[n][1] = sqlite3_column_int64 (s, 1);
      n++;
    }
  sqlite3_finalize (s);
  g_assert_cmpint (n, ==, 5);

  timeline = open_timeline (db);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "STW", &y, &h));
  p = render (WEFT_TIMELINE (timeline), 400, "timeline-recorded-stw");
  for (int x = 0; x < PLOT; x++)
    {
      gint64   cs = weft_x_to_time (x, start, end, PLOT), ce = weft_x_to_time (x + 1, start, end, PLOT);
      gboolean meets = FALSE;

      for (int i = 0; i < n; i++)
        meets |= pauses[i][0] < ce && pauses[i][1] > cs;
      if (meets != near (pixel (&p, x, y + h / 2), STW_RGB))
        g_error ("column %d [%" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ") %s a pause but is %06x", x, cs, ce,
                 meets ? "meets" : "misses", pixel (&p, x, y + h / 2));
      red += meets;
    }
  /* At least as many red columns as the pauses' total time fills. */
  {
    gint64 paused = 0;

    for (int i = 0; i < n; i++)
      paused += pauses[i][1] - pauses[i][0];
    g_assert_cmpint (red, >=, paused * PLOT / (end - start));
    g_assert_cmpint (paused, >=, 3900000); /* the scenario sleeps 3.9 ms in pauses */
  }
  for (int x = 0; x < PLOT; x++)
    for (int ly = y + h + 4; ly < 400; ly += 7)
      g_assert_false (near (pixel (&p, x, ly), STW_RGB));
  picture_clear (&p);
  g_object_unref (timeline);
}

/* The scripted scenario's longest slice on P0, zoomed to twice its length
 * with a quarter before it (less if the trace ends too soon after): the
 * 500 columns it covers show one colour, and columns where the database
 * has nothing running on P0 do not. */
static void
test_recorded_zoomed_slice (void)
{
  g_autofree char *db = record ("scenario");
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget    *timeline;
  sqlite3_stmt *s, *busy;
  gint64        goid, start, end, span, v0, v1;
  guint32       color;
  int           y, h, n = 0;
  Picture       p;

  if (db == NULL)
    return;
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  s = weft_store_prepare (store,
                          "SELECT goid, start_ns, end_ns FROM gstate WHERE state = 0 AND p = 0 "
                          "ORDER BY end_ns - start_ns DESC LIMIT 1",
                          NULL);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  goid = sqlite3_column_int64 (s, 0);
  start = sqlite3_column_int64 (s, 1);
  end = sqlite3_column_int64 (s, 2);
  sqlite3_finalize (s);
  g_assert_cmpint (goid, >, 0);
  span = (end - start) * 2;

  timeline = open_timeline (db);
  weft_timeline_zoom_to (WEFT_TIMELINE (timeline), start - span / 4, start - span / 4 + span);
  /* The view stays inside the trace: a slice near its end is not centred. */
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &v0, &v1);
  g_assert_cmpint (v1 - v0, ==, span);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P0", &y, &h));
  p = render (WEFT_TIMELINE (timeline), 300, "timeline-recorded-slice");
  color = pixel (&p, 500, y + h / 2);
  busy = weft_store_prepare (store, "SELECT COUNT(*) FROM gstate WHERE state = 0 AND p = 0 AND start_ns < ? AND end_ns > ?",
                             NULL);
  for (int x = 0; x < PLOT; x++)
    {
      gint64 cs = weft_x_to_time (x, v0, v1, PLOT);
      gint64 ce = weft_x_to_time (x + 1, v0, v1, PLOT);
      gint64 running;

      sqlite3_reset (busy);
      sqlite3_bind_int64 (busy, 1, ce);
      sqlite3_bind_int64 (busy, 2, cs);
      g_assert_cmpint (sqlite3_step (busy), ==, SQLITE_ROW);
      running = sqlite3_column_int64 (busy, 0);
      if (cs >= start && ce <= end)
        g_assert_true (near (pixel (&p, x, y + h / 2), color));
      else if (running == 0)
        g_assert_false (near (pixel (&p, x, y + h / 2), color));
      n += near (pixel (&p, x, y + h / 2), color);
    }
  sqlite3_finalize (busy);
  /* Its own 500 columns, give or take an edge (others of its function may
   * follow it after a gap). */
  g_assert_cmpint (n, >=, 499);
  g_assert_cmpint (weft_time_to_x (start, v0, v1, PLOT), <=, 500);
  picture_clear (&p);
  g_object_unref (timeline);
}

/* The scripted scenario's thread lane: its system call (one interval of
 * mstate) in the syscall colour over exactly the columns it covers whole,
 * and nowhere it is not; its task and region get lanes. */
static void
test_recorded_threads (void)
{
  g_autofree char *db = record ("scenario");
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (GError) error = NULL;
  GtkWidget    *timeline;
  sqlite3_stmt *s;
  gint64        start, end, sys_start, sys_end;
  int           y, h, n = 0;
  Picture       p;

  if (db == NULL)
    return;
  store = weft_store_open (db, WEFT_STORE_OPEN_READ_ONLY, &error);
  g_assert_no_error (error);
  s = weft_store_prepare (store, "SELECT start_ns, end_ns FROM mstate WHERE m = 0 AND state = 3", NULL);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  sys_start = sqlite3_column_int64 (s, 0);
  sys_end = sqlite3_column_int64 (s, 1);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_DONE);
  sqlite3_finalize (s);

  timeline = open_timeline (db);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "Tasks", &y, &h));
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "Regions", &y, &h));
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "M0", &y, &h));
  p = render (WEFT_TIMELINE (timeline), 500, "timeline-recorded-threads");
  for (int x = 0; x < PLOT; x++)
    {
      gint64   cs = weft_x_to_time (x, start, end, PLOT), ce = weft_x_to_time (x + 1, start, end, PLOT);
      gboolean syscall = near (pixel (&p, x, y + h / 2), SYSCALL_RGB);

      if (cs >= sys_start && ce <= sys_end)
        g_assert_true (syscall);
      else if (ce <= sys_start || cs >= sys_end)
        g_assert_false (syscall);
      n += syscall;
    }
  g_assert_cmpint (n, >=, (sys_end - sys_start) * PLOT / (end - start) - 1);
  picture_clear (&p);
  g_object_unref (timeline);
}

/* ------------------------------------------------------------------ level of detail */

/* 100 ms; P0 runs goroutine 2 (0x1000) for 2000 ns and goroutine 3
 * (0x2000) for 300 ns in every 2500 ns over [0, 50) ms, then goroutine 4
 * (0x3000) alone for 100 ns at 80 ms: at 100 µs per column, the first half
 * is goroutine 2's without a gap, goroutine 3 never shows (never a blur of
 * both), and goroutine 4 keeps its column. */
static char *
make_busy (const char *name, gboolean lod)
{
  g_autoptr (GError) error = NULL;
  char      *path = g_build_filename (tmpdir, name, NULL);
  WeftStore *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 100000000), ('nprocs', 1);"
                                  "INSERT INTO goroutine (goid, start_pc) VALUES (2, 4096), (3, 8192), (4, 12288);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 19999)"
                                  " INSERT INTO gstate (goid, start_ns, end_ns, state, p)"
                                  " SELECT goid, n * 2500 + off, n * 2500 + off + len, 0, 0 FROM i,"
                                  " (SELECT 2 AS goid, 0 AS off, 2000 AS len UNION ALL SELECT 3, 2000, 300)"
                                  " ORDER BY n, off;"
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state, p) VALUES (4, 80000000, 80000100, 0, 0);",
                                  &error));
  g_assert_no_error (error);
  if (lod)
    {
      g_assert_true (weft_lod_build (store, &error));
      g_assert_no_error (error);
      /* 40,001 slices over 100 ms: 16384 ns buckets and up, so that a
       * frame at 100 µs per column reads them. */
      g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 0"), ==, 14);
    }
  weft_store_free (store);
  return path;
}

/* @slack: columns at the edges of what ran that may show it (a level-of-
 * detail bucket, narrower than a column, may straddle two). */
static void
check_busy (const char *path, const char *png, int slack)
{
  GtkWidget *timeline = open_timeline (path);
  int        y, h;
  guint32    two, four, idle;
  Picture    p;

  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P0", &y, &h));
  p = render (WEFT_TIMELINE (timeline), 200, png);
  two = pixel (&p, 10, y + h / 2);
  four = pixel (&p, 800, y + h / 2);
  idle = pixel (&p, 650, y + h / 2);
  g_assert_false (near (two, four));
  g_assert_false (near (two, idle));
  g_assert_false (near (four, idle));
  for (int x = 0; x < PLOT; x++)
    {
      guint32 c = pixel (&p, x, y + h / 2);

      if (x < 500)
        g_assert_true (near (c, two));
      else if (x == 800)
        g_assert_true (near (c, four));
      /* Idle columns are not all alike (tick lines cross them): they
       * only must not show a goroutine. */
      else if ((x >= 500 + slack) && (x < 800 - slack || x > 800 + slack) && (near (c, two) || near (c, four)))
        g_error ("%s: column %d is %06x", png, x, c);
    }
  picture_clear (&p);

  /* Zoomed in to 250 ns per column, the slices themselves: in every ten
   * columns, eight of goroutine 2, then goroutine 3's 250 ns and its last
   * 50 ns (something beats nothing). */
  weft_timeline_zoom_to (WEFT_TIMELINE (timeline), 0, 250000);
  p = render (WEFT_TIMELINE (timeline), 200, "timeline-busy-zoomed");
  {
    guint32 three = pixel (&p, 8, y + h / 2);

    g_assert_false (near (three, two));
    g_assert_false (near (three, idle));
    for (int x = 0; x < PLOT; x++)
      g_assert_true (near (pixel (&p, x, y + h / 2), x % 10 < 8 ? two : three));
  }
  picture_clear (&p);
  g_object_unref (timeline);
}

static void
test_lod_lane (void)
{
  g_autofree char *with = make_busy ("busy-lod.weft", TRUE);
  g_autofree char *without = make_busy ("busy.weft", FALSE);

  check_busy (with, "timeline-busy-lod", 1);
  check_busy (without, "timeline-busy-detail", 0);
}

/* A P lane of more goroutines than a frame's reader keeps the start
 * functions of (65,536): P0 runs 90,000 goroutines one after the other
 * for 1 µs each, the first 45,000 started by 0x1000, the others by 0x2000,
 * and no level of detail, so that every frame reads each goroutine's
 * slice. Each half of what ran shows its own start function, in the
 * first frame (the readers' cache filled, emptied and filled again) and
 * in the next ones (goroutines looked up before). */
static void
test_many_goroutines (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "many.weft", NULL);
  WeftStore       *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  GtkWidget       *timeline;
  guint32          first = 0, second = 0;
  int              y, h;

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 100000000), ('nprocs', 1);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 89999)"
                                  " INSERT INTO goroutine (goid, start_pc) SELECT n + 2, CASE WHEN n < 45000 THEN 4096 ELSE 8192 END FROM i;"
                                  "INSERT INTO gstate (goid, start_ns, end_ns, state, p)"
                                  " SELECT goid, (goid - 2) * 1000, (goid - 1) * 1000, 0, 0 FROM goroutine ORDER BY goid;",
                                  &error));
  g_assert_no_error (error);
  weft_store_free (store);

  timeline = open_timeline (path);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "P0", &y, &h));
  for (int frame = 0; frame < 3; frame++)
    {
      g_autofree char *png = g_strdup_printf ("timeline-many-goroutines-%d", frame);
      Picture          p = render (WEFT_TIMELINE (timeline), 200, png);

      /* 100 µs per column: columns [0, 450) ran 0x1000's goroutines,
       * [450, 900) 0x2000's, and nothing ran after. */
      if (frame == 0)
        {
          first = pixel (&p, 0, y + h / 2);
          second = pixel (&p, 899, y + h / 2);
          g_assert_false (near (first, second));
        }
      for (int x = 0; x < 900; x++)
        if (!near (pixel (&p, x, y + h / 2), x < 450 ? first : second))
          g_error ("frame %d: column %d is %06x", frame, x, pixel (&p, x, y + h / 2));
      for (int x = 900; x < PLOT; x++)
        g_assert_false (near (pixel (&p, x, y + h / 2), first) || near (pixel (&p, x, y + h / 2), second));
      picture_clear (&p);
    }
  g_object_unref (timeline);
}

/* 10 s; the goroutine count is 100 until 5 s, then 50, but 500 for the
 * 1 ms from 7.5 s: at 10 ms per column (level of detail, or the samples)
 * the chart's bars are a fifth of its height, then a tenth, and the spike
 * keeps its column at full height. */
static char *
make_counter (const char *name, gboolean lod)
{
  g_autoptr (GError) error = NULL;
  char      *path = g_build_filename (tmpdir, name, NULL);
  WeftStore *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_true (weft_store_exec (store,
                                  "INSERT OR REPLACE INTO meta VALUES ('start_ns', 0), ('end_ns', 10000000000);"
                                  "WITH RECURSIVE i (n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM i WHERE n < 9999)"
                                  " INSERT INTO counter_sample (counter, ts, value)"
                                  " SELECT 3, n * 1000000, CASE WHEN n < 5000 THEN 100 WHEN n = 7500 THEN 500 ELSE 50 END FROM i;",
                                  &error));
  g_assert_no_error (error);
  if (lod)
    {
      g_assert_true (weft_lod_build (store, &error));
      g_assert_no_error (error);
      /* 10,000 samples over 10 s: 4 ms buckets and up, read at 10 ms per
       * column. */
      g_assert_cmpint (test_scalar (store, "SELECT base_level FROM lod_lane WHERE kind = 3"), ==, 22);
    }
  weft_store_free (store);
  return path;
}

static void
check_counter (const char *path, const char *png)
{
  GtkWidget *timeline = open_timeline (path);
  int        y, h, full = 0;
  guint32    bar, empty;
  Picture    p;

  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "Goroutines", &y, &h));
  p = render (WEFT_TIMELINE (timeline), 200, png);
  /* Bars stand on the chart's bottom, 36 px for the largest value. */
  bar = pixel (&p, 200, y + h - 4);
  empty = pixel (&p, 200, y + 5);
  g_assert_false (near (bar, empty));
  for (int x = 40; x < PLOT; x++)
    {
      /* A bucket, narrower than a column, may put the spike in the column
       * before its own. */
      gboolean spike = x >= 749 && x <= 750;

      g_assert_true (near (pixel (&p, x, y + h - 4), bar));
      /* 7 px high before 5 s, 3.6 px after. */
      if (!spike)
        g_assert_cmpint (near (pixel (&p, x, y + h - 8), bar), ==, x < 500);
      if (!spike)
        g_assert_false (near (pixel (&p, x, y + 5), bar));
      else
        full += near (pixel (&p, x, y + 5), bar);
    }
  g_assert_cmpint (full, >=, 1);
  picture_clear (&p);
  g_object_unref (timeline);
}

static void
test_counter_chart (void)
{
  g_autofree char *with = make_counter ("counter-lod.weft", TRUE);
  g_autofree char *without = make_counter ("counter.weft", FALSE);

  check_counter (with, "timeline-counter-lod");
  check_counter (without, "timeline-counter-detail");
}

/* A trace with nothing in it (an empty recording): level of detail with
 * no lanes, a frame with the axis and empty lanes, navigation clamped. */
static void
test_empty (void)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (tmpdir, "empty.weft", NULL);
  WeftStore       *store = weft_store_create (path, WEFT_STORE_CREATE_DEFAULT, &error);
  GtkWidget       *timeline;
  gint64           start, end;
  Picture          p;

  g_assert_no_error (error);
  g_assert_true (weft_lod_build (store, &error));
  g_assert_no_error (error);
  g_assert_cmpint (test_scalar (store, "SELECT COUNT(*) FROM lod_lane"), ==, 0);
  weft_store_free (store);

  timeline = open_timeline (path);
  weft_timeline_zoom (WEFT_TIMELINE (timeline), 10);
  weft_timeline_pan (WEFT_TIMELINE (timeline), 3);
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_cmpint (start, >=, 0);
  g_assert_cmpint (end, >, start);
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 0);
  weft_timeline_reveal_goroutine (WEFT_TIMELINE (timeline), 42, 0);
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 0);
  p = render (WEFT_TIMELINE (timeline), 100, "timeline-empty");
  picture_clear (&p);
  g_object_unref (timeline);
}

/* ------------------------------------------------------------------ mapping, properties */

static void
test_mapping (void)
{
  static const gint64 spans[] = { 7, 100, 3000, 999999, 100000000, 7000000000, G_GINT64_CONSTANT (600000000000) };

  for (gint64 t = 0; t <= 1000; t += 37)
    g_assert_cmpint (weft_x_to_time (weft_time_to_x (t, 0, 1000, 1000), 0, 1000, 1000), ==, t);
  g_assert_cmpfloat (weft_time_to_x (1500, 1000, 2000, 1000), ==, 500);
  g_assert_cmpint (weft_x_to_time (250, 1000, 2000, 1000), ==, 1250);
  /* At every zoom, ns to minutes: a 1, 2 or 5 × 10^k step, ticks at least
   * 90 px apart, and the next smaller step would put them closer. */
  for (guint i = 0; i < G_N_ELEMENTS (spans); i++)
    {
      gint64 step = weft_tick_step (spans[i], 1000, 90), mantissa = step, smaller;

      while (mantissa % 10 == 0)
        mantissa /= 10;
      g_assert_true (mantissa == 1 || mantissa == 2 || mantissa == 5);
      g_assert_cmpfloat ((double) step * 1000 / spans[i], >=, 90);
      smaller = mantissa == 1 ? step / 2 : mantissa == 2 ? step / 2
                                                         : step * 2 / 5;
      if (smaller > 0)
        g_assert_cmpfloat ((double) smaller * 1000 / spans[i], <, 90);
      /* Neighbouring ticks read differently, even far from the origin. */
      for (gint64 base = 0; base < G_GINT64_CONSTANT (1000000000000); base = base * 1000 + 3710000)
        {
          gint64           t = (base / step) * step;
          g_autofree char *a = weft_format_tick (t, step);
          g_autofree char *b = weft_format_tick (t + step, step);

          g_assert_cmpstr (a, !=, b);
        }
    }
  {
    static const struct
    {
      gint64      t, step;
      const char *label;
    } labels[] = { { 0, 100, "0" }, { 3710000, 1000, "3.710 ms" }, { 3710500, 500, "3.7105 ms" }, { 1500000000, 500000000, "1.5 s" }, { 250, 50, "250 ns" }, { 12000, 2000, "12 µs" }, { 7000000000, 1000000000, "7 s" } };

    for (guint i = 0; i < G_N_ELEMENTS (labels); i++)
      {
        g_autofree char *label = weft_format_tick (labels[i].t, labels[i].step);

        g_assert_cmpstr (label, ==, labels[i].label);
      }
  }
}

static void
on_notify (GObject *object, GParamSpec *pspec, int *count)
{
  (*count)++;
}

static void
test_properties (void)
{
  g_autofree char *path = make_busy ("props.weft", FALSE);
  GtkWidget       *timeline = open_timeline (path);
  gint64           start, end;
  int              notified = 0, y, h, gy;

  g_object_get (timeline, "start-ns", &start, "end-ns", &end, NULL);
  g_assert_cmpint (start, ==, 0);
  g_assert_cmpint (end, ==, 100000000);
  g_signal_connect (timeline, "notify::start-ns", G_CALLBACK (on_notify), &notified);
  weft_timeline_zoom_to (WEFT_TIMELINE (timeline), 20000000, 30000000);
  g_object_get (timeline, "start-ns", &start, "end-ns", &end, NULL);
  g_assert_cmpint (start, ==, 20000000);
  g_assert_cmpint (end, ==, 30000000);
  g_assert_cmpint (notified, ==, 1);
  /* Every start function has a group, collapsed: no goroutine lane yet. */
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "group 4096", &gy, &h));
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "group 8192", &y, &h));
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "group 12288", &y, &h));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 0);
  g_assert_false (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "G2", &y, &h));
  /* Revealing a time outside the view centres it, keeping the zoom. */
  weft_timeline_reveal_goroutine (WEFT_TIMELINE (timeline), 2, 70000000);
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  weft_timeline_get_range (WEFT_TIMELINE (timeline), &start, &end);
  g_assert_cmpint (start, ==, 65000000);
  g_assert_cmpint (end, ==, 75000000);

  g_object_get (timeline, "selection-start-ns", &start, "selection-end-ns", &end, NULL);
  g_assert_cmpint (start, ==, -1);
  g_assert_cmpint (end, ==, -1);
  /* Revealing a slice gives its goroutine a lane and selects the slice. */
  weft_timeline_reveal_goroutine (WEFT_TIMELINE (timeline), 2, 20000100);
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "G2", &y, &h));
  g_assert_cmpint (y, ==, gy + h + 2); /* right under its group's header, which expanded */
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 1);
  g_object_get (timeline, "selection-start-ns", &start, "selection-end-ns", &end, NULL);
  g_assert_cmpint (start, ==, 20000000);
  g_assert_cmpint (end, ==, 20002000);
  weft_timeline_reveal_goroutine (WEFT_TIMELINE (timeline), 2, 30000100);
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 1);
  g_object_get (timeline, "selection-start-ns", &start, "selection-end-ns", &end, NULL);
  g_assert_cmpint (start, ==, 30000000);
  /* A search keeps only matching goroutines, their groups expanded; an
   * empty one brings every group back, collapsed. */
  weft_timeline_set_filter (WEFT_TIMELINE (timeline), "0x2000");
  g_assert_true (weft_timeline_is_busy (WEFT_TIMELINE (timeline)));
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 1);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "G3", &y, &h));
  g_assert_false (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "group 4096", &y, &h));
  /* A search replaced before it ends leaves nothing behind. */
  weft_timeline_set_filter (WEFT_TIMELINE (timeline), "0x1000");
  weft_timeline_set_filter (WEFT_TIMELINE (timeline), "no such goroutine");
  weft_timeline_wait (WEFT_TIMELINE (timeline));
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 0);
  weft_timeline_set_filter (WEFT_TIMELINE (timeline), "");
  g_assert_cmpuint (weft_timeline_get_n_goroutine_lanes (WEFT_TIMELINE (timeline)), ==, 0);
  g_assert_true (weft_timeline_lane_geometry (WEFT_TIMELINE (timeline), "group 4096", &y, &h));
  g_object_set (timeline, "selection-start-ns", (gint64) 10000000, "selection-end-ns", (gint64) 40000000, NULL);
  g_object_get (timeline, "selection-start-ns", &start, "selection-end-ns", &end, NULL);
  g_assert_cmpint (start, ==, 10000000);
  g_assert_cmpint (end, ==, 40000000);
  g_object_unref (timeline);
}

int
main (int argc, char **argv)
{
  int ret;

  g_test_init (&argc, &argv, NULL);
  if (!gtk_init_check ())
    {
      g_printerr ("no display\n");
      return 77;
    }
  adw_init ();
  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), ADW_COLOR_SCHEME_FORCE_LIGHT);
  tmpdir = g_dir_make_tmp ("weft-timeline-XXXXXX", NULL);
  g_test_add_func ("/Weft/Timeline/mapping", test_mapping);
  g_test_add_func ("/Weft/Timeline/properties", test_properties);
  g_test_add_func ("/Weft/Timeline/lod-lane", test_lod_lane);
  g_test_add_func ("/Weft/Timeline/many-goroutines", test_many_goroutines);
  g_test_add_func ("/Weft/Timeline/counter-chart", test_counter_chart);
  g_test_add_func ("/Weft/Timeline/empty", test_empty);
  g_test_add_func ("/Weft/Timeline/recorded-stw", test_recorded_stw);
  g_test_add_func ("/Weft/Timeline/recorded-zoomed-slice", test_recorded_zoomed_slice);
  g_test_add_func ("/Weft/Timeline/recorded-threads", test_recorded_threads);
  ret = g_test_run ();
  {
    const char *rm[] = { "rm", "-rf", tmpdir, NULL };

    g_spawn_sync (NULL, (char **) rm, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, NULL, NULL, NULL, NULL);
  }
  g_free (tmpdir);
  return ret;
}
