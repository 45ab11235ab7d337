/* test-ingest.c — the ingest state machine fed directly: a known sequence,
 * and random garbage that must never crash it nor produce a malformed
 * interval. */
#include "weft-ingest.h"
#include "weft-store.h"
#include "weft-writer.h"

#include <glib/gstdio.h>

typedef struct
{
  char       *dir, *path;
  WeftStore  *store;
  WeftWriter *writer;
  WeftIngest *ingest;
  gint64      now;
} Ctx;

static void
ctx_init (Ctx *c, gboolean threaded)
{
  g_autoptr (GError) error = NULL;

  c->dir = g_dir_make_tmp ("weft-test-ingest-XXXXXX", NULL);
  c->path = g_build_filename (c->dir, "t.weft", NULL);
  c->store = weft_store_create (c->path, WEFT_STORE_CREATE_BULK, &error);
  g_assert_no_error (error);
  c->writer = weft_writer_new (c->store, threaded, &error);
  g_assert_no_error (error);
  c->ingest = weft_ingest_new (c->writer);
  c->now = 1000000;
}

static void
ctx_finish (Ctx *c)
{
  g_autoptr (GError) error = NULL;

  weft_ingest_finish (c->ingest);
  g_clear_pointer (&c->ingest, weft_ingest_free);
  g_assert_true (weft_writer_close (c->writer, NULL, &error));
  g_assert_true (weft_store_finish (c->store, &error));
  g_assert_no_error (error);
}

static void
ctx_clear (Ctx *c)
{
  weft_store_free (c->store);
  g_remove (c->path);
  g_rmdir (c->dir);
  g_free (c->path);
  g_free (c->dir);
}

static void
ev (Ctx *c, WeftEventType type, int n, ...)
{
  WeftEvent e = { 0 };
  va_list   ap;

  e.type = type;
  e.ts = c->now;
  c->now += 10;
  e.s[0] = e.s[1] = "";
  va_start (ap, n);
  for (int i = 0; i < n; i++)
    e.f[i] = va_arg (ap, guint64);
  va_end (ap);
  weft_ingest_event (c->ingest, &e);
}

static gint64
scalar (Ctx *c, const char *sql)
{
  sqlite3_stmt *s = weft_store_prepare (c->store, sql, NULL);
  gint64        v;

  g_assert_nonnull (s);
  g_assert_cmpint (sqlite3_step (s), ==, SQLITE_ROW);
  v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

#define U(x) ((guint64) (x))

static void
test_sequence (void)
{
  Ctx c = { 0 };

  ctx_init (&c, FALSE);
  /* main (1) starts 2 on P0; 1 blocks, 2 runs, wakes 1 and exits. */
  ev (&c, WEFT_EV_GO_CREATE, 4, U (1), U (0), U (0x100), U (0));
  ev (&c, WEFT_EV_PROC_START, 2, U (0), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (0), U (0), U (0), U (0), U (0), U (1));
  ev (&c, WEFT_EV_GO_CREATE, 4, U (2), U (1), U (0x200), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (1), U (3), U (2), U (0xabc), U (0), U (2));
  ev (&c, WEFT_EV_GO_UNBLOCK, 3, U (1), U (2), U (0));
  ev (&c, WEFT_EV_GO_SWITCH, 8, U (0), U (0), U (2), U (4), U (0), U (0), U (0), U (1));
  ctx_finish (&c);

  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistencies'"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM goroutine"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT ended_ns FROM goroutine WHERE goid = 2"), ==, 60);
  g_assert_cmpint (scalar (&c, "SELECT final_state FROM goroutine WHERE goid = 1"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT unblocked_by FROM gstate WHERE goid = 1 AND state = 2"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT end_ns - start_ns FROM gstate WHERE goid = 1 AND state = 2"), ==, 10);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE goid = 2"), ==, 2);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM pstate WHERE p = 0"), ==, 3);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);
  ctx_clear (&c);
}

/* Events with random types and small random ids: whatever the order, the
 * state machine must hold, every interval be well formed and each
 * goroutine's intervals never overlap. */
static void
test_random (void)
{
  Ctx    c = { 0 };
  GRand *rand = g_rand_new_with_seed (g_test_rand_int ());

  ctx_init (&c, TRUE);
  for (int i = 0; i < 200000; i++)
    {
      WeftEvent e = { 0 };

      e.type = (WeftEventType) g_rand_int_range (rand, 1, WEFT_EV_N);
      e.ts = c.now;
      c.now += g_rand_int_range (rand, 0, 3);
      e.s[0] = e.s[1] = g_rand_boolean (rand) ? "a" : "b";
      for (int k = 0; k < WEFT_EVENT_MAX_FIELDS; k++)
        e.f[k] = g_rand_int_range (rand, 0, 8) == 0 ? G_MAXUINT64 - g_rand_int_range (rand, 0, 3)
                                                    : (guint64) g_rand_int_range (rand, 0, 6);
      e.n_seq = g_rand_int_range (rand, 0, 4);
      for (guint k = 0; k < e.n_seq; k++)
        e.seq[k] = g_rand_int (rand);
      e.wait_since_valid = g_rand_boolean (rand);
      e.wait_since_ns = c.now - g_rand_int_range (rand, 0, 1000);
      weft_ingest_event (c.ingest, &e);
    }
  ctx_finish (&c);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM pstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM mstate WHERE end_ns < start_ns"), ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT COUNT(*) FROM (SELECT start_ns, MAX(end_ns) OVER (PARTITION BY goid ORDER BY "
                               "start_ns, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end FROM gstate) "
                               "WHERE prev_end > start_ns"),
                   ==, 0);
  g_assert_cmpint (scalar (&c, "SELECT value FROM meta WHERE key = 'inconsistencies'"), >, 0);
  g_rand_free (rand);
  ctx_clear (&c);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/Weft/Ingest/sequence", test_sequence);
  g_test_add_func ("/Weft/Ingest/random-events", test_random);
  return g_test_run ();
}
