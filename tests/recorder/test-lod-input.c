/* test-lod-input.c — the writer's record of a load's intervals
 * (recorder/weft-lod-input.c): what is read back is what was written,
 * extreme values included, and each lane's count is right, for
 * goroutines that exit and for those still alive at the end.
 */
#include "test-util.h"
#include "weft-lod-input.h"

static WeftRow
gstate_row (gint64 goid, gint64 start, gint64 end, int state, gint64 reason, gint64 p)
{
  WeftRow r = { .kind = WEFT_ROW_GSTATE };

  r.v[0] = goid;
  r.v[1] = start;
  r.v[2] = end;
  r.v[3] = state;
  if (reason < 0)
    weft_row_set_null (&r, 4);
  else
    r.v[4] = reason;
  if (p < 0)
    weft_row_set_null (&r, 8);
  else
    r.v[8] = p;
  return r;
}

static WeftRow
mstate_row (gint64 m, gint64 start, gint64 end, int state)
{
  WeftRow r = { .kind = WEFT_ROW_MSTATE };

  r.v[0] = m;
  r.v[1] = start;
  r.v[2] = end;
  r.v[3] = state;
  return r;
}

static WeftRow
goroutine_row (gint64 goid)
{
  WeftRow r = { .kind = WEFT_ROW_GOROUTINE };

  r.v[0] = goid;
  return r;
}

static void
expect (WeftLodInputReader *in, gboolean mstate, int state, gint64 lane, gint64 start, gint64 end, gint64 aux)
{
  g_autoptr (GError) error = NULL;
  WeftLodInterval iv;

  g_assert_true (weft_lod_input_reader_next (in, &iv, &error));
  g_assert_no_error (error);
  g_assert_cmpint (iv.mstate, ==, mstate);
  g_assert_cmpint (iv.state, ==, state);
  g_assert_cmpint (iv.lane, ==, lane);
  g_assert_cmpint (iv.start_ns, ==, start);
  g_assert_cmpint (iv.end_ns, ==, end);
  g_assert_cmpint (iv.aux, ==, aux);
}

/* Starts that go back (rows come in the order intervals end), negative
 * times (a wait that began before the trace), a negative length (an
 * inconsistent trace), the largest ids and times. */
static void
test_round_trip (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftLodInput) in = weft_lod_input_new (&error);
  const WeftRow rows[] = {
    gstate_row (2, 1000, 2000, 0, -1, 3),
    gstate_row (3, -500, 1500, 2, 7, -1),
    mstate_row (0, 0, 2000, 0),
    gstate_row (2, 2000, 1990, 1, -1, -1),
    gstate_row (G_MAXUINT32 + (gint64) 5, G_MAXINT64 / 2, G_MAXINT64 / 2 + 1, 0, -1, -1),
    gstate_row (-1, G_MININT64 / 4, 0, 2, -1, -1),
    gstate_row (5, G_MAXINT64, G_MININT64, 3, -1, -1),
    gstate_row (4, 10, 20, 2, 64, -1),
    mstate_row (65535, 5, 6, 5),
  };
  WeftLodInterval iv;

  g_assert_no_error (error);
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    weft_lod_input_add (in, &rows[i]);
  /* Two readers, interleaved: the level of detail reads it on two
   * threads. */
  {
    g_autoptr (WeftLodInputReader) r1 = weft_lod_input_read (in, &error);
    g_autoptr (WeftLodInputReader) r2 = weft_lod_input_read (in, &error);
    WeftLodInputReader *readers[] = { r1, r2 };

    g_assert_no_error (error);
    g_assert_nonnull (r1);
    g_assert_nonnull (r2);
    expect (r1, FALSE, 0, 2, 1000, 2000, 3);
    for (int i = 0; i < 2; i++)
      {
        WeftLodInputReader *r = readers[1 - i];

        if (r == r2)
          expect (r, FALSE, 0, 2, 1000, 2000, 3);
        expect (r, FALSE, 2, 3, -500, 1500, 7);
        expect (r, TRUE, 0, 0, 0, 2000, 0);
        expect (r, FALSE, 1, 2, 2000, 1990, 0);
        expect (r, FALSE, 0, G_MAXUINT32 + (gint64) 5, G_MAXINT64 / 2, G_MAXINT64 / 2 + 1, -1);
        expect (r, FALSE, 2, -1, G_MININT64 / 4, 0, 0);
        expect (r, FALSE, 3, 5, G_MAXINT64, G_MININT64, 0);
        expect (r, FALSE, 2, 4, 10, 20, 64);
        expect (r, TRUE, 5, 65535, 5, 6, 0);
        g_assert_false (weft_lod_input_reader_next (r, &iv, &error));
        g_assert_no_error (error);
      }
  }
}

/* 400,000 records, several of the reader's 1 MiB buffers: two readers
 * on two threads each read all of them, in order, across the refills. */
#define MANY 400000

static gpointer
read_many (gpointer data)
{
  g_autoptr (GError) error = NULL;
  WeftLodInputReader *r = data;
  WeftLodInterval     iv;
  gint64              n = 0;

  while (weft_lod_input_reader_next (r, &iv, &error))
    {
      if (iv.lane != n % 7 || iv.start_ns != n * 1000 - (n % 3) * 777 || iv.end_ns != iv.start_ns + n % 100000
          || iv.aux != (n % 2 ? 0 : n % 1000))
        return GINT_TO_POINTER (-1);
      n++;
    }
  return GSIZE_TO_POINTER (error == NULL ? (gsize) n : 0);
}

static void
test_readers (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftLodInput) in = weft_lod_input_new (&error);
  g_autoptr (WeftLodInputReader) r1 = NULL;
  g_autoptr (WeftLodInputReader) r2 = NULL;
  GThread *t1, *t2;

  g_assert_no_error (error);
  for (gint64 n = 0; n < MANY; n++)
    {
      gint64  start = n * 1000 - (n % 3) * 777;
      WeftRow r = gstate_row (n % 7, start, start + n % 100000, n % 2 ? 1 : 2, n % 2 ? -1 : n % 1000, -1);

      weft_lod_input_add (in, &r);
    }
  r1 = weft_lod_input_read (in, &error);
  r2 = weft_lod_input_read (in, &error);
  g_assert_no_error (error);
  t1 = g_thread_new ("r1", read_many, r1);
  t2 = g_thread_new ("r2", read_many, r2);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_thread_join (t1)), ==, MANY);
  g_assert_cmpint (GPOINTER_TO_SIZE (g_thread_join (t2)), ==, MANY);
}

static gint64
lane_count (GArray *lanes, gint64 id)
{
  for (guint i = 0; i < lanes->len; i++)
    if (g_array_index (lanes, WeftLodLaneCount, i).id == id)
      return g_array_index (lanes, WeftLodLaneCount, i).intervals;
  return 0;
}

/* Goroutine 10 exits with 300 intervals (a lane), 11 with 255 (none),
 * 12 is alive at the end with its row written (400), 13 has no row (a
 * recording cut short: 256); P 1 runs 300 of them, M 2 has 256 rows. */
static void
test_lanes (void)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftLodInput) in = weft_lod_input_new (&error);
  g_autoptr (GArray) gs = NULL;
  g_autoptr (GArray) ps = NULL;
  g_autoptr (GArray) ms = NULL;
  const struct
  {
    gint64   goid, n;
    gboolean row;
  } gor[] = { { 10, 300, TRUE }, { 11, 255, TRUE }, { 12, 400, TRUE }, { 13, 256, FALSE } };
  gint64 t = 0;

  g_assert_no_error (error);
  for (guint k = 0; k < G_N_ELEMENTS (gor); k++)
    {
      for (gint64 i = 0; i < gor[k].n; i++, t += 10)
        {
          WeftRow r = gstate_row (gor[k].goid, t, t + 10, k == 0 ? 0 : 1, -1, k == 0 ? 1 : -1);

          weft_lod_input_add (in, &r);
        }
      if (gor[k].row)
        {
          WeftRow r = goroutine_row (gor[k].goid);

          weft_lod_input_add (in, &r);
        }
    }
  for (gint64 i = 0; i < 256; i++)
    {
      WeftRow r = mstate_row (2, i, i + 1, 0);

      weft_lod_input_add (in, &r);
    }
  gs = weft_lod_input_lanes (in, WEFT_LOD_GOROUTINE);
  ps = weft_lod_input_lanes (in, WEFT_LOD_P);
  ms = weft_lod_input_lanes (in, WEFT_LOD_M);
  g_assert_cmpuint (gs->len, ==, 3);
  g_assert_cmpint (g_array_index (gs, WeftLodLaneCount, 0).id, ==, 10);
  g_assert_cmpint (lane_count (gs, 10), ==, 300);
  g_assert_cmpint (lane_count (gs, 12), ==, 400);
  g_assert_cmpint (lane_count (gs, 13), ==, 256);
  g_assert_cmpuint (ps->len, ==, 1);
  g_assert_cmpint (lane_count (ps, 1), ==, 300);
  g_assert_cmpuint (ms->len, ==, 1);
  g_assert_cmpint (lane_count (ms, 2), ==, 256);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Weft/LodInput/round-trip", test_round_trip);
  g_test_add_func ("/Weft/LodInput/lanes", test_lanes);
  g_test_add_func ("/Weft/LodInput/readers", test_readers);
  return g_test_run ();
}
