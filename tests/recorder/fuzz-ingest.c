/* fuzz-ingest.c — the ingest state machine fed arbitrary bytes.
 *
 * weft_fuzz_ingest_one() decodes the bytes into WeftEvents (and the odd
 * unknown-event and lost-events record), feeds them to weft_ingest with a
 * real store in a temporary folder, then checks what test-ingest's random
 * test checks: no interval ends before it starts and a goroutine's
 * intervals never overlap. A broken invariant aborts.
 *
 * Built as a libFuzzer target with clang (-DWEFT_FUZZ_LIBFUZZER,
 * -fsanitize=fuzzer), and always as a replay driver: `fuzz-ingest [FILE|DIR]...`
 * runs every file given (folders: every file in them; default:
 * $G_TEST_SRCDIR/corpus/ingest).
 *
 * Input format, per event (missing bytes read as 0):
 *   op      u8: 0 unknown event, WEFT_EV_N lost events, else op % WEFT_EV_N
 *           is the WeftEventType (values above wrap)
 *   dt      u8: < 0xf0: time advances by dt ns; 0xf0..0xfe: goes back by
 *           (dt & 0xf) ns; 0xff: an i16 follows, added
 *   nf      u8: low 4 bits: how many of f[] are given (at most 10); bit 4:
 *           incomplete; bit 5: wait_since_valid (a u8 follows: ns before ts);
 *           bit 6: a sequence follows; bit 7: strings follow
 *   f[i]    u8 each: < 0xf0 → value % 8; 0xf0..0xf7 → G_MAXUINT64 - (v & 7);
 *           0xf8..0xfe → (v & 7) << 12 | 0xfff (past MAX_P); 0xff: a u64 follows
 *   seq     u8 n (> WEFT_EVENT_MAX_SEQ: wrapped), then n u8 values
 *   strings u8 each for s[0], s[1]: < 0xf0 → one of a few names; else a u8
 *           length and that many bytes (NUL-terminated copy)
 */
#include "test-util.h"
#include "weft-ingest.h"
#include "weft-report.h"
#include "weft-store.h"
#include "weft-writer.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int weft_fuzz_ingest_one (const uint8_t *data, size_t size);

typedef struct
{
  const uint8_t *p, *end;
} Reader;

static guint8
u8 (Reader *r)
{
  return r->p < r->end ? *r->p++ : 0;
}

static guint64
u64 (Reader *r)
{
  guint64 v = 0;

  for (int i = 0; i < 8; i++)
    v = v << 8 | u8 (r);
  return v;
}

static guint64
field (Reader *r)
{
  guint8 v = u8 (r);

  if (v < 0xf0)
    return v % 8;
  if (v < 0xf8)
    return G_MAXUINT64 - (v & 7);
  if (v < 0xff)
    return (guint64) (v & 7) << 12 | 0xfff;
  return u64 (r);
}

static const char *
string (Reader *r, GStringChunk *chunk)
{
  static const char *const names[] = { "", "a", "b", "main", "http-conn", "spawn" };
  guint8                   v = u8 (r);
  guint                    n;

  if (v < 0xf0)
    return names[v % G_N_ELEMENTS (names)];
  /* The bytes left, up to a length byte's worth. */
  n = u8 (r);
  n = MIN (n, (gsize) (r->end - r->p));
  r->p += n;
  return g_string_chunk_insert_len (chunk, (const char *) r->p - n, n);
}

static const char *const reports[] = { "summary", "goroutines", "leaks", "pauses", "gc", "blocking", "latency" };

static void
check (WeftStore *store, const char *what, const char *sql)
{
  gint64 n = test_scalar (store, sql);

  if (n != 0)
    {
      fprintf (stderr, "fuzz-ingest: invariant broken: %s (%" G_GINT64_FORMAT " rows)\n", what, n);
      abort ();
    }
}

static char *
work_dir (void)
{
  static char *dir;

  if (dir == NULL)
    {
      dir = g_dir_make_tmp ("weft-fuzz-ingest-XXXXXX", NULL);
      if (dir == NULL)
        abort ();
    }
  return dir;
}

int
weft_fuzz_ingest_one (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_build_filename (work_dir (), "t.weft", NULL);
  GStringChunk    *chunk = g_string_chunk_new (256);
  Reader           r = { data, data + size };
  WeftStore       *store;
  WeftWriter      *writer;
  WeftIngest      *ingest;
  WeftEvent       *e = g_new0 (WeftEvent, 1);
  gint64           now = 1000000;

  g_remove (path);
  store = weft_store_create (path, WEFT_STORE_CREATE_BULK, &error);
  if (store == NULL)
    g_error ("fuzz-ingest: %s", error->message);
  writer = weft_writer_new (store, FALSE, &error);
  if (writer == NULL)
    g_error ("fuzz-ingest: %s", error->message);
  ingest = weft_ingest_new (writer);

  while (r.p < r.end)
    {
      guint8 op = u8 (&r), dt = u8 (&r), nf;

      if (dt < 0xf0)
        now += dt;
      else if (dt < 0xff)
        now -= dt & 0xf;
      else
        {
          guint8 hi = u8 (&r), lo = u8 (&r);

          now += (gint16) (hi << 8 | lo);
        }
      if (op % (WEFT_EV_N + 1) == 0)
        {
          weft_ingest_unknown_event (ingest, now);
          continue;
        }
      if (op % (WEFT_EV_N + 1) == WEFT_EV_N)
        {
          guint8  flags = u8 (&r);
          gint64  start = now - u8 (&r);
          guint64 count = u8 (&r);

          weft_ingest_lost (ingest, flags & 1, flags >> 1 & 3, "chan_0", flags & 8, start, now, flags & 16, count);
          continue;
        }
      memset (e, 0, sizeof *e);
      e->type = (WeftEventType) (op % (WEFT_EV_N + 1));
      e->ts = now;
      e->s[0] = e->s[1] = "";
      nf = u8 (&r);
      for (guint k = 0; k < MIN ((guint) (nf & 0xf), WEFT_EVENT_MAX_FIELDS); k++)
        e->f[k] = field (&r);
      e->incomplete = (nf & 0x10) != 0;
      if (nf & 0x20)
        {
          e->wait_since_valid = TRUE;
          e->wait_since_ns = now - u8 (&r);
        }
      if (nf & 0x40)
        {
          e->n_seq = u8 (&r) % (WEFT_EVENT_MAX_SEQ + 1);
          for (guint k = 0; k < e->n_seq; k++)
            e->seq[k] = field (&r);
        }
      if (nf & 0x80)
        {
          e->s[0] = string (&r, chunk);
          e->s[1] = string (&r, chunk);
        }
      weft_ingest_event (ingest, e);
    }

  weft_ingest_finish (ingest);
  weft_ingest_free (ingest);
  if (!weft_writer_close (writer, NULL, &error) || !weft_store_finish (store, &error))
    g_error ("fuzz-ingest: %s", error->message);

  check (store, "gstate ends before it starts", "SELECT COUNT(*) FROM gstate WHERE end_ns < start_ns");
  check (store, "pstate ends before it starts", "SELECT COUNT(*) FROM pstate WHERE end_ns < start_ns");
  check (store, "mstate ends before it starts", "SELECT COUNT(*) FROM mstate WHERE end_ns < start_ns");
  check (store, "a pause ends before it starts", "SELECT COUNT(*) FROM stw WHERE end_ns < start_ns");
  check (store, "a GC span ends before it starts", "SELECT COUNT(*) FROM gc_span WHERE end_ns < start_ns");
  check (store, "a GC cycle ends before it starts", "SELECT COUNT(*) FROM gc_cycle WHERE end_ns < start_ns");
  check (store, "pauses overlap",
         "SELECT COUNT(*) FROM (SELECT start_ns, LAG(end_ns) OVER (ORDER BY start_ns, end_ns) AS prev_end FROM stw) "
         "WHERE start_ns < prev_end");
  check (store, "a goroutine's intervals overlap",
         "SELECT COUNT(*) FROM (SELECT start_ns, MAX(end_ns) OVER (PARTITION BY goid ORDER BY "
         "start_ns, id ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS prev_end FROM gstate) "
         "WHERE prev_end > start_ns");
  check (store, "a P's mark workers overlap",
         "SELECT COUNT(*) FROM (SELECT start_ns, LAG(end_ns) OVER (PARTITION BY p ORDER BY start_ns, id) AS prev_end "
         "FROM gc_span WHERE kind = 'worker') WHERE start_ns < prev_end");
  check (store, "a GC span on no valid P",
         "SELECT COUNT(*) FROM gc_span WHERE kind IN ('worker', 'sweep') AND (p IS NULL OR p < 0)");
  check (store, "the goroutine counter does not end on the goroutines alive",
         "SELECT (SELECT value FROM counter_sample WHERE counter = 3 ORDER BY ts DESC LIMIT 1) "
         "IS NOT (SELECT COUNT(*) FROM goroutine WHERE ended_ns IS NULL) "
         "AND EXISTS (SELECT 1 FROM counter_sample WHERE counter = 3)");
  check (store, "the runnable counter does not end on the goroutines runnable",
         "SELECT (SELECT value FROM counter_sample WHERE counter = 4 ORDER BY ts DESC LIMIT 1) "
         "IS NOT (SELECT COUNT(*) FROM gstate WHERE open_end = 1 AND state = 1) "
         "AND EXISTS (SELECT 1 FROM counter_sample WHERE counter = 4)");
  check (store, "an MMU outside [0, 1]", "SELECT COUNT(*) FROM mmu WHERE NOT mmu BETWEEN 0 AND 1");
  check (store, "a GC-aware MMU outside [0, mmu]",
         "SELECT COUNT(*) FROM mmu AS m JOIN mmu_gc AS g USING (window_ns) WHERE NOT g.mmu BETWEEN 0 AND m.mmu + 1e-9");
  /* Every report runs on whatever the state machine made of the input. */
  for (guint i = 0; i < G_N_ELEMENTS (reports); i++)
    {
      WeftReportOptions opts = { .json = i % 2 == 0, .limit = 5 };
      GString          *out = g_string_new (NULL);
      guint             n;

      if (!weft_report (store, reports[i], &opts, out, &n, &error))
        {
          fprintf (stderr, "fuzz-ingest: report %s failed: %s\n", reports[i], error->message);
          abort ();
        }
      g_string_free (out, TRUE);
    }

  weft_store_free (store);
  g_remove (path);
  g_string_chunk_free (chunk);
  g_free (e);
  return 0;
}

#ifdef WEFT_FUZZ_LIBFUZZER

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return weft_fuzz_ingest_one (data, size);
}

#else

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static guint
replay (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      guint       n = 0;

      if (dir == NULL)
        g_error ("fuzz-ingest: %s", error->message);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      g_ptr_array_sort (names, compare_paths);
      for (guint i = 0; i < names->len; i++)
        n += replay (names->pdata[i]);
      return n;
    }
  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("fuzz-ingest: %s", error->message);
  fprintf (stderr, "fuzz-ingest: %s (%zu bytes)\n", path, (size_t) len);
  weft_fuzz_ingest_one ((const uint8_t *) data, len);
  return 1;
}

int
main (int argc, char **argv)
{
  g_autofree char *corpus = NULL;
  guint            n = 0;

  if (argc < 2)
    {
      const char *srcdir = g_getenv ("G_TEST_SRCDIR");

      corpus = g_build_filename (srcdir != NULL ? srcdir : ".", "corpus", "ingest", NULL);
      n = replay (corpus);
    }
  for (int i = 1; i < argc; i++)
    n += replay (argv[i]);
  g_rmdir (work_dir ());
  printf ("fuzz-ingest: %u inputs, all invariants hold\n", n);
  return n > 0 ? 0 : 1;
}

#endif
