/* weft-lod-input.c — see weft-lod-input.h.
 *
 * The writer hands over every gstate and mstate row as it takes a batch,
 * on its own thread (which, since it packs the lane rows rather than
 * inserting them, mostly waits for the reading thread). They go, in that
 * order — each table's rowid order — to an unlinked temporary file,
 * compactly: a byte for the table and the state, then varints: the lane,
 * the start as a difference from the previous record's start, the length
 * and, for gstate rows, aux (all zigzag-coded: rows come in the order
 * intervals end, so starts go back and forth, and an inconsistent trace
 * may have negative lengths). Ping-pong takes 6.5 bytes per interval,
 * not the 40 of a struct. The file
 * is read back in order by weft_lod_finish_load()'s threads, each with
 * a reader of its own (pread(), no shared file position).
 *
 * It also counts the intervals of each lane, so that the level of
 * detail knows its lanes without a pass over the tables
 * (weft_lod_finish_load() runs while the store builds its indexes). A goroutine's count is kept
 * while it lives — its row is written when it exits, after its last
 * interval — then only if it makes a lane: memory follows the live
 * goroutines and the busy lanes, not every goroutine of the trace.
 *
 * A write error is kept and reported by weft_lod_input_read().
 */
#include "weft-lod-input.h"

#include "weft-lod.h"
#include "weft-varint.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUF_SIZE (1 << 20)
/* The longest record: the header byte and four varints. */
#define MAX_RECORD (1 + 4 * WEFT_VARINT_MAX)

#define LIVE_CACHE 1024

struct _WeftLodInput
{
  FILE    *file;
  guint8  *buf;         /* [BUF_SIZE] */
  gsize    len;         /* bytes buffered */
  gint64   prev_start;  /* of the last record written */
  gboolean reading;     /* the recording has ended */
  int      write_errno; /* the first write error, 0 if none */
  /* Intervals per lane: running gstate rows per P, mstate rows per M (by
   * id), gstate rows per live goroutine and per busy exited one. */
  GArray     *p_counts, *m_counts; /* of gint64 */
  GHashTable *live;                /* goid -> Live, counted in place */
  GHashTable *busy;                /* goid -> count */
  /* In front of live, direct-mapped by the goid's low bits: a hash
   * look-up per interval was a tenth of the writer thread. A slot holds
   * a Live of live or NULL. */
  struct Live *live_cache[LIVE_CACHE];
};

typedef struct Live
{
  gint64 goid, n;
} Live;

struct _WeftLodInputReader
{
  int     fd;
  off_t   offset;     /* of buf[len] in the file */
  guint8 *buf;        /* [BUF_SIZE] */
  gsize   len, pos;   /* [pos, len) unread */
  gint64  prev_start; /* of the last record read */
};

/* Differences of any two times, in two's complement: no overflow. */
static inline gint64
wrapping_sub (gint64 a, gint64 b)
{
  return (gint64) ((guint64) a - (guint64) b);
}

static inline gint64
wrapping_add (gint64 a, gint64 b)
{
  return (gint64) ((guint64) a + (guint64) b);
}

static inline gboolean
get_varint (WeftLodInputReader *self, gint64 *out)
{
  const guint8 *p = self->buf + self->pos;
  guint64       v;

  if (!weft_get_varint (&p, self->buf + self->len, &v))
    return FALSE;
  self->pos = (gsize) (p - self->buf);
  *out = weft_unzigzag (v);
  return TRUE;
}

static void
write_out (WeftLodInput *self)
{
  if (self->len > 0 && self->write_errno == 0 && fwrite (self->buf, 1, self->len, self->file) != self->len)
    self->write_errno = errno != 0 ? errno : EIO;
  self->len = 0;
}

static gboolean
set_io_error (GError **error, int saved, const char *what)
{
  g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "level of detail: %s its temporary file: %s", what,
               g_strerror (saved));
  return FALSE;
}

WeftLodInput *
weft_lod_input_new (GError **error)
{
  g_autofree char *path = NULL;
  WeftLodInput    *self;
  int              fd = g_file_open_tmp ("weft-lod-input-XXXXXX", &path, error);
  FILE            *file;

  if (fd < 0)
    return NULL;
  g_unlink (path);
  if ((file = fdopen (fd, "w+b")) == NULL)
    {
      set_io_error (error, errno, "opening");
      close (fd);
      return NULL;
    }
  self = g_new0 (WeftLodInput, 1);
  self->file = file;
  self->buf = g_malloc (BUF_SIZE);
  self->p_counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->m_counts = g_array_new (FALSE, TRUE, sizeof (gint64));
  self->live = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  self->busy = g_hash_table_new (g_direct_hash, g_direct_equal);
  return self;
}

void
weft_lod_input_free (WeftLodInput *self)
{
  if (self == NULL)
    return;
  fclose (self->file);
  g_free (self->buf);
  g_array_unref (self->p_counts);
  g_array_unref (self->m_counts);
  g_hash_table_unref (self->live);
  g_hash_table_unref (self->busy);
  g_free (self);
}

static void
count_id (GArray *counts, gint64 id)
{
  /* The state machine keeps P and M ids small (weft-ingest.c). */
  if (id < 0 || id > G_MAXUINT16)
    return;
  if ((guint) id >= counts->len)
    g_array_set_size (counts, (guint) id + 1);
  g_array_index (counts, gint64, id)++;
}

static void
count_goid (GHashTable *table, gint64 goid, gint64 n)
{
  gpointer key = GSIZE_TO_POINTER ((gsize) goid);

  g_hash_table_insert (table, key, GSIZE_TO_POINTER (GPOINTER_TO_SIZE (g_hash_table_lookup (table, key)) + (gsize) n));
}

/* Records @row, a WEFT_ROW_GSTATE, WEFT_ROW_MSTATE or WEFT_ROW_GOROUTINE
 * row (weft-writer.c has their columns), before any
 * weft_lod_input_rewind(). */
void
weft_lod_input_add (WeftLodInput *self, const WeftRow *row)
{
  gboolean mstate = row->kind == WEFT_ROW_MSTATE;
  guint8  *p;

  g_return_if_fail (!self->reading);
  g_return_if_fail (mstate || row->kind == WEFT_ROW_GSTATE || row->kind == WEFT_ROW_GOROUTINE);

  if (row->kind == WEFT_ROW_GOROUTINE)
    {
      gpointer key = GSIZE_TO_POINTER ((gsize) row->v[0]);
      Live    *live = g_hash_table_lookup (self->live, key);
      gint64   n = live != NULL ? live->n : 0;
      Live   **slot = &self->live_cache[(guint64) row->v[0] & (LIVE_CACHE - 1)];

      /* Exited, or the end: it will have no more intervals. */
      if (*slot == live)
        *slot = NULL;
      g_hash_table_remove (self->live, key);
      if (n >= WEFT_LOD_MIN_INTERVALS || g_hash_table_contains (self->busy, key))
        count_goid (self->busy, row->v[0], n);
      return;
    }
  if (mstate)
    count_id (self->m_counts, row->v[0]);
  else
    {
      Live **slot = &self->live_cache[(guint64) row->v[0] & (LIVE_CACHE - 1)];
      Live  *live = *slot;

      if (G_UNLIKELY (live == NULL || live->goid != row->v[0]))
        {
          gpointer key = GSIZE_TO_POINTER ((gsize) row->v[0]);

          if ((live = g_hash_table_lookup (self->live, key)) == NULL)
            {
              live = g_new0 (Live, 1);
              live->goid = row->v[0];
              g_hash_table_insert (self->live, key, live);
            }
          *slot = live;
        }
      live->n++;
      if (row->v[3] == 0 && !(row->nulls & (1u << 8)))
        count_id (self->p_counts, row->v[8]);
    }

  if (self->len > BUF_SIZE - MAX_RECORD)
    write_out (self);
  p = self->buf + self->len;
  *p++ = (guint8) ((mstate ? 0x80 : 0) | (row->v[3] & 0x7f));
  p = weft_put_varint (p, weft_zigzag (row->v[0]));
  p = weft_put_varint (p, weft_zigzag (wrapping_sub (row->v[1], self->prev_start)));
  p = weft_put_varint (p, weft_zigzag (wrapping_sub (row->v[2], row->v[1])));
  if (!mstate)
    {
      gint64 aux = 0;

      if (row->v[3] == 0)
        aux = (row->nulls & (1u << 8)) ? -1 : row->v[8];
      else if (row->v[3] == 2 && !(row->nulls & (1u << 4)))
        aux = row->v[4];
      p = weft_put_varint (p, weft_zigzag (aux));
    }
  self->prev_start = row->v[1];
  self->len = (gsize) (p - self->buf);
}

static int
lane_cmp (gconstpointer a, gconstpointer b)
{
  const WeftLodLaneCount *x = a, *y = b;

  return x->id < y->id ? -1 : x->id > y->id;
}

/* The lanes of @kind (WEFT_LOD_P, WEFT_LOD_M or WEFT_LOD_GOROUTINE) with
 * at least WEFT_LOD_MIN_INTERVALS intervals, by id, as an array of
 * WeftLodLaneCount. */
GArray *
weft_lod_input_lanes (WeftLodInput *self, int kind)
{
  GArray *lanes = g_array_new (FALSE, FALSE, sizeof (WeftLodLaneCount));

  if (kind == WEFT_LOD_GOROUTINE)
    {
      GHashTableIter iter;
      gpointer       key, value;

      /* Goroutines alive at the end have had their row too; any left
       * (an unfinished recording) count as they are. */
      g_hash_table_iter_init (&iter, self->live);
      while (g_hash_table_iter_next (&iter, &key, &value))
        count_goid (self->busy, (gint64) GPOINTER_TO_SIZE (key), ((Live *) value)->n);
      g_hash_table_remove_all (self->live);
      memset (self->live_cache, 0, sizeof self->live_cache);
      g_hash_table_iter_init (&iter, self->busy);
      while (g_hash_table_iter_next (&iter, &key, &value))
        if ((gint64) GPOINTER_TO_SIZE (value) >= WEFT_LOD_MIN_INTERVALS)
          g_array_append_val (lanes, ((WeftLodLaneCount){ (gint64) GPOINTER_TO_SIZE (key), (gint64) GPOINTER_TO_SIZE (value) }));
      g_array_sort (lanes, lane_cmp);
    }
  else
    {
      GArray *counts = kind == WEFT_LOD_P ? self->p_counts : self->m_counts;

      for (guint id = 0; id < counts->len; id++)
        if (g_array_index (counts, gint64, id) >= WEFT_LOD_MIN_INTERVALS)
          g_array_append_val (lanes, ((WeftLodLaneCount){ id, g_array_index (counts, gint64, id) }));
    }
  return lanes;
}

WeftLodInputReader *
weft_lod_input_read (WeftLodInput *self, GError **error)
{
  WeftLodInputReader *r;

  if (!self->reading)
    {
      write_out (self);
      if (self->write_errno == 0 && fflush (self->file) != 0)
        self->write_errno = errno;
      if (self->write_errno != 0)
        {
          set_io_error (error, self->write_errno, "writing");
          return NULL;
        }
      self->reading = TRUE;
    }
  r = g_new0 (WeftLodInputReader, 1);
  r->fd = fileno (self->file);
  r->buf = g_malloc (BUF_SIZE);
  return r;
}

void
weft_lod_input_reader_free (WeftLodInputReader *self)
{
  if (self == NULL)
    return;
  g_free (self->buf);
  g_free (self);
}

gboolean
weft_lod_input_reader_next (WeftLodInputReader *self, WeftLodInterval *out, GError **error)
{
  gint64 header, lane, delta, length;

  if (self->len - self->pos < MAX_RECORD)
    {
      gsize   rest = self->len - self->pos;
      ssize_t n;

      memmove (self->buf, self->buf + self->pos, rest);
      do
        n = pread (self->fd, self->buf + rest, BUF_SIZE - rest, self->offset);
      while (n < 0 && errno == EINTR);
      if (n < 0)
        return set_io_error (error, errno, "reading");
      self->offset += n;
      self->len = rest + (gsize) n;
      self->pos = 0;
    }
  if (self->pos == self->len)
    return FALSE;
  header = self->buf[self->pos++];
  if (!get_varint (self, &lane) || !get_varint (self, &delta) || !get_varint (self, &length)
      || (!(header & 0x80) && !get_varint (self, &out->aux)))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "level of detail: its temporary file is truncated");
      return FALSE;
    }
  out->mstate = (header & 0x80) != 0;
  out->state = (int) (header & 0x7f);
  out->lane = lane;
  out->start_ns = wrapping_add (self->prev_start, delta);
  out->end_ns = wrapping_add (out->start_ns, length);
  if (out->mstate)
    out->aux = 0;
  self->prev_start = out->start_ns;
  return TRUE;
}
