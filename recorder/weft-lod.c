/* weft-lod.c — builds the level-of-detail tables of schema/weft-lod.sql.
 *
 * One pass over each state table, in the order it was written (or, at
 * the end of a load, over the writer's record of their rows,
 * weft-lod-input.h, on two threads beside the index build, one for the P
 * and M lanes and one for the goroutine lanes): an
 * accumulator per busy lane keeps, for every level, the bucket being
 * filled and how much of it each key covers so far. Intervals are added
 * to the base level only; when a bucket is complete its dominant key is
 * written and its shares are added to its parent in the next stored
 * level (two up), which is exact (a bucket's shares are the sum of its
 * quarters') and makes the cost per interval independent of the number
 * of levels. Levels that are not stored are not accumulated at all. The
 * levels run from the lane's base level (WEFT_LOD_PER_BUCKET intervals
 * per bucket on average over the trace) to the first that holds the whole
 * trace in a bucket, so each level has at most intervals /
 * WEFT_LOD_PER_BUCKET rows;
 * every WEFT_LOD_STRIDE-th is written, a lane about 4/3 of its base
 * level.
 *
 * Buckets complete in time order, interleaved across lanes and levels:
 * inserted so, each is a search from the root of lod_bucket's B-tree
 * (6.4M buckets of a 10M-event trace: 5 s). They are written in the
 * table's key order instead, through a WeftWriter, which packs them 64
 * to a row of lod_chunk in that order (weft-lanes.c): held in memory up
 * to PENDING_MAX, sorted by
 * (lane, level) — within one they come in bucket order already — and,
 * when there are more, spilled as sorted runs to a temporary file that
 * is merged at the end, so that memory stays bounded (the same trace:
 * 7 runs; the build took 6.7 s instead of 11.5 s). A run holds varints:
 * each bucket's differences from the one before in its slot (bucket,
 * key) and its cover, 3-6 bytes rather than 24: the file was 150 MB and
 * its writing a quarter of the accumulation's thread.
 *
 * Invariant: the intervals of one lane never overlap and are written in
 * time order (a state table's rows are written as their intervals end).
 * An interval that starts before the one before it ended (an inconsistent
 * trace, or rows no longer written in that order) is clipped to start
 * there; such intervals are counted in meta 'lod_clipped', so that a
 * change of the writer's order shows instead of silently thinning the
 * level of detail.
 */
#include "weft-lod.h"

#include "weft-lod-input.h"
#include "weft-varint.h"
#include "weft-writer.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

typedef struct
{
  gint64 key;
  gint64 cover;
} Share;

/* Keys a level's bucket holds without an allocation: a goroutine lane
 * has a few states, a counter one key. */
#define INLINE_SHARES 4

typedef struct
{
  gint64 bucket;
  /* What covers the bucket so far, in the order keys first came (the
   * first of equal covers wins): inline_shares until there are more. */
  Share *shares;
  guint  n_shares, cap;
  Share  inline_shares[INLINE_SHARES];
} Level;

/* Completed buckets held in memory before they are sorted and written
 * or spilled: 32 MiB, and 24 MiB more for the sort. */
#define PENDING_MAX (1 << 20)

typedef struct
{
  gint64 bucket, key, cover;
} Bucket;

typedef struct
{
  guint32 slot; /* Lane.slot + level - Lane.base */
  Bucket  v;
} Pending;

typedef struct
{
  gint64 lane; /* lod_lane.id */
  int    level;
} Slot;

#define LANE_CACHE 1024

typedef struct
{
  gint64   id;   /* lod_lane.id */
  gint64   key;  /* its goroutine, P, M, counter or GC lane number */
  guint32  slot; /* its first level's in Builder.slots */
  int      base, top;
  gboolean max; /* a counter: the largest key wins, not the longest */
  gint64   last_end;
  Level   *levels; /* [top - base + 1]: only the stored levels' are used */
} Lane;

typedef struct
{
  WeftWriter *writer;                  /* inline, on the caller's thread and connection */
  GHashTable *lanes[WEFT_LOD_N_KINDS]; /* lane id -> Lane */
  /* In front of lanes, direct-mapped by the id's low bits (lanes are
   * never removed during a build): a hash look-up per interval and lane
   * was a fifth of the accumulation, which runs after the load. */
  Lane    *lane_cache[WEFT_LOD_N_KINDS][LANE_CACHE];
  int      trace_bits; /* 2^trace_bits ns >= the trace */
  gint64   trace_ns;
  gint64   clipped; /* intervals that started before the one before ended */
  gboolean failed;
  /* Completed buckets not written yet: one slot per (lane, level), in
   * lod_bucket's key order. */
  GArray  *slots; /* of Slot */
  Pending *pending;
  Bucket  *sorted; /* [cap] each */
  guint    n_pending, cap;
  /* Sorted runs of PENDING_MAX buckets, spilled to a temporary file: for
   * each, the file offset of each slot's buckets (guint64 [n_slots + 1]). */
  FILE      *spill;
  guint8    *spill_buf; /* [SPILL_BUF]: what is written to it or read back */
  GPtrArray *runs;
  GError    *spill_error;
} Builder;

int
weft_lod_stored_level (int level, int base, int top)
{
  if (level >= top)
    return top;
  return base + (level - base) / WEFT_LOD_STRIDE * WEFT_LOD_STRIDE;
}

gint64
weft_lod_goroutine_key (int state, gint64 start_pc, const char *category)
{
  static const char *const categories[] = { "chan", "sync", "net", "sleep", "gc" };
  gint64                   c = 6;

  if (state == 0)
    return start_pc;
  if (state != 2)
    return (gint64) state << 56;
  for (guint i = 0; category != NULL && i < G_N_ELEMENTS (categories); i++)
    if (strcmp (category, categories[i]) == 0)
      c = i + 1;
  return ((gint64) 2 << 56) + c;
}

static void
lane_free (Lane *lane)
{
  for (int l = 0; l <= lane->top - lane->base; l++)
    if (lane->levels[l].shares != lane->levels[l].inline_shares)
      g_free (lane->levels[l].shares);
  g_free (lane->levels);
  g_free (lane);
}

static gboolean
insert_bucket (Builder *b, guint32 slot, const Bucket *v)
{
  const Slot *sl = &g_array_index (b->slots, Slot, slot);
  WeftRow    *r = weft_writer_row (b->writer, WEFT_ROW_LOD_BUCKET);

  r->v[0] = sl->lane;
  r->v[1] = sl->level;
  r->v[2] = v->bucket;
  r->v[3] = v->key;
  r->v[4] = v->cover;
  b->failed = weft_writer_failed (b->writer);
  return !b->failed;
}

static void
spill_fail (Builder *b, const char *what)
{
  int saved = errno;

  if (b->spill_error == NULL)
    g_set_error (&b->spill_error, G_IO_ERROR, g_io_error_from_errno (saved), "level of detail: %s a temporary file: %s",
                 what, g_strerror (saved));
  b->failed = TRUE;
}

/* The spilled runs go through a buffer of SPILL_BUF bytes, each bucket
 * as three varints (weft-varint.h). */
#define SPILL_BUF (64 << 10)
#define SPILL_RECORD (3 * WEFT_VARINT_MAX)

/* Writes, after the runs spilled, each slot's buckets from every run in
 * turn: lod_bucket's key order. */
static void
merge_runs (Builder *b)
{
  guint32 n_slots = b->slots->len;

  for (guint32 slot = 0; slot < n_slots && !b->failed; slot++)
    for (guint r = 0; r < b->runs->len && !b->failed; r++)
      {
        const guint64 *at = g_ptr_array_index (b->runs, r);
        guint8        *buf = b->spill_buf;
        Bucket         v = { 0, 0, 0 };
        guint64        left = at[slot + 1] - at[slot];
        gsize          len = 0, pos = 0;

        if (left == 0)
          continue;
        if (fseeko (b->spill, (off_t) at[slot], SEEK_SET) != 0)
          {
            spill_fail (b, "reading");
            return;
          }
        /* The run's part ends with a whole bucket. */
        while ((left > 0 || pos < len) && !b->failed)
          {
            const guint8 *p;
            guint64       bucket, key, cover;

            if (len - pos < SPILL_RECORD && left > 0)
              {
                gsize rest = len - pos, n = (gsize) MIN ((guint64) (SPILL_BUF - rest), left);

                memmove (buf, buf + pos, rest);
                if (fread (buf + rest, 1, n, b->spill) != n)
                  {
                    if (!ferror (b->spill))
                      errno = EIO; /* truncated: no errno of its own */
                    spill_fail (b, "reading");
                    return;
                  }
                left -= n;
                len = rest + n;
                pos = 0;
              }
            p = buf + pos;
            if (!weft_get_varint (&p, buf + len, &bucket) || !weft_get_varint (&p, buf + len, &key)
                || !weft_get_varint (&p, buf + len, &cover))
              {
                errno = EIO; /* malformed */
                spill_fail (b, "reading");
                return;
              }
            pos = (gsize) (p - buf);
            v.bucket = (gint64) ((guint64) v.bucket + (guint64) weft_unzigzag (bucket));
            v.key = (gint64) ((guint64) v.key + (guint64) weft_unzigzag (key));
            v.cover = (gint64) cover;
            insert_bucket (b, slot, &v);
          }
      }
}

/* Sorts the pending buckets by slot (a stable counting sort: each slot's
 * come in bucket order already), then writes them, or spills them as a
 * run when more will follow or have been spilled; the @last flush merges
 * the runs. */
static void
flush_pending (Builder *b, gboolean last)
{
  guint32  n_slots = b->slots->len;
  guint32 *starts;

  if (b->failed || (b->n_pending == 0 && (b->runs == NULL || !last)))
    return;
  starts = g_new0 (guint32, n_slots + 1);
  b->sorted = g_renew (Bucket, b->sorted, b->cap);
  for (guint i = 0; i < b->n_pending; i++)
    starts[b->pending[i].slot + 1]++;
  for (guint32 k = 0; k < n_slots; k++)
    starts[k + 1] += starts[k];
  {
    g_autofree guint32 *next = g_memdup2 (starts, n_slots * sizeof *starts);

    for (guint i = 0; i < b->n_pending; i++)
      b->sorted[next[b->pending[i].slot]++] = b->pending[i].v;
  }
  if (last && b->runs == NULL)
    {
      for (guint32 slot = 0; slot < n_slots; slot++)
        for (guint32 i = starts[slot]; i < starts[slot + 1] && insert_bucket (b, slot, &b->sorted[i]); i++)
          ;
      g_free (starts);
      b->n_pending = 0;
      return;
    }
  if (b->runs == NULL)
    {
      g_autofree char *path = NULL;
      int              fd = g_file_open_tmp ("weft-lod-runs-XXXXXX", &path, NULL);

      b->runs = g_ptr_array_new_with_free_func (g_free);
      b->spill_buf = g_malloc (SPILL_BUF);
      if (fd < 0 || (b->spill = fdopen (fd, "w+b")) == NULL)
        {
          spill_fail (b, "creating");
          if (fd >= 0)
            close (fd);
        }
      if (path != NULL)
        g_unlink (path);
    }
  if (!b->failed && b->n_pending > 0)
    {
      guint64 *at = g_new (guint64, n_slots + 1);
      guint8  *buf = b->spill_buf;
      guint64  pos = 0; /* of buf[0] in the file */
      gsize    len = 0;
      off_t    end;

      if (fseeko (b->spill, 0, SEEK_END) != 0 || (end = ftello (b->spill)) < 0)
        spill_fail (b, "writing");
      else
        pos = (guint64) end;
      for (guint32 slot = 0; slot < n_slots && !b->failed; slot++)
        {
          Bucket prev = { 0, 0, 0 };

          at[slot] = pos + len;
          for (guint32 i = starts[slot]; i < starts[slot + 1] && !b->failed; i++)
            {
              const Bucket *v = &b->sorted[i];
              guint8       *p;

              if (len > SPILL_BUF - SPILL_RECORD)
                {
                  if (fwrite (buf, 1, len, b->spill) != len)
                    spill_fail (b, "writing");
                  pos += len;
                  len = 0;
                }
              p = weft_put_varint (buf + len, weft_zigzag ((gint64) ((guint64) v->bucket - (guint64) prev.bucket)));
              p = weft_put_varint (p, weft_zigzag ((gint64) ((guint64) v->key - (guint64) prev.key)));
              p = weft_put_varint (p, (guint64) v->cover);
              len = (gsize) (p - buf);
              prev = *v;
            }
        }
      if (!b->failed && fwrite (buf, 1, len, b->spill) != len)
        spill_fail (b, "writing");
      at[n_slots] = pos + len;
      g_ptr_array_add (b->runs, at);
    }
  g_free (starts);
  b->n_pending = 0;
  if (last && !b->failed)
    merge_runs (b);
}

static void
write_bucket (Builder *b, const Lane *lane, int level, gint64 bucket, gint64 key, gint64 cover)
{
  if (b->n_pending == PENDING_MAX)
    flush_pending (b, FALSE);
  else if (b->n_pending == b->cap)
    {
      b->cap = MAX (b->cap * 2, 4096);
      b->pending = g_renew (Pending, b->pending, b->cap);
    }
  b->pending[b->n_pending++] = (Pending){ lane->slot + (guint32) (level - lane->base), { bucket, key, cover } };
}

static void
share_add (const Lane *lane, Level *lv, gint64 key, gint64 cover)
{
  Share *shares = lv->shares;

  if (lane->max && lv->n_shares > 0)
    {
      shares[0].key = MAX (shares[0].key, key);
      shares[0].cover += cover;
      return;
    }
  for (guint i = 0; i < lv->n_shares; i++)
    if (shares[i].key == key)
      {
        shares[i].cover += cover;
        return;
      }
  if (lv->n_shares == lv->cap)
    {
      lv->cap *= 2;
      if (shares == lv->inline_shares)
        {
          lv->shares = g_new (Share, lv->cap);
          memcpy (lv->shares, shares, lv->n_shares * sizeof *shares);
        }
      else
        lv->shares = g_renew (Share, shares, lv->cap);
    }
  lv->shares[lv->n_shares++] = (Share){ key, cover };
}

/* The stored level above @level (a stored one below @lane's top), which
 * its complete buckets are added to: a bucket's shares are the sum of its
 * halves', so also of its quarters'; the levels between are not stored
 * and need not be accumulated. */
static inline int
parent_level (const Lane *lane, int level)
{
  return MIN (level + WEFT_LOD_STRIDE, lane->top);
}

/* Moves stored @level of @lane on to @bucket. The bucket it was filling
 * is complete: its dominant key is written and its shares are added to
 * the stored level above. */
static void
level_move (Builder *b, Lane *lane, int level, gint64 bucket)
{
  Level *lv = &lane->levels[level - lane->base];

  if (lv->bucket == bucket)
    return;
  if (lv->n_shares > 0)
    {
      const Share *best = &lv->shares[0];

      for (guint i = 1; i < lv->n_shares; i++)
        if (lv->shares[i].cover > best->cover)
          best = &lv->shares[i];
      write_bucket (b, lane, level, lv->bucket, best->key, best->cover);
      if (level < lane->top)
        {
          int    parent = parent_level (lane, level);
          Level *up = &lane->levels[parent - lane->base];

          /* Floor division (times before the origin have negative buckets). */
          level_move (b, lane, parent, lv->bucket >> (parent - level));
          for (guint i = 0; i < lv->n_shares; i++)
            share_add (lane, up, lv->shares[i].key, lv->shares[i].cover);
        }
      lv->n_shares = 0;
    }
  lv->bucket = bucket;
}

/* Adds [s, e) with @key to the base level of @lane; the levels above get
 * it as the buckets below them complete. */
static void
lane_add (Builder *b, Lane *lane, gint64 s, gint64 e, gint64 key)
{
  Level *lv = &lane->levels[0];
  gint64 size = (gint64) 1 << lane->base;
  gint64 b0, b1;

  if (s < lane->last_end)
    {
      b->clipped++;
      s = lane->last_end;
    }
  if (e <= s)
    return;
  lane->last_end = e;
  b0 = s >> lane->base;
  b1 = (e - 1) >> lane->base;
  level_move (b, lane, lane->base, b0);
  if (b0 == b1)
    {
      share_add (lane, lv, key, e - s);
      return;
    }
  share_add (lane, lv, key, (b0 + 1) * size - s);
  for (gint64 k = b0 + 1; k < b1; k++)
    {
      level_move (b, lane, lane->base, k);
      share_add (lane, lv, key, size);
    }
  level_move (b, lane, lane->base, b1);
  share_add (lane, lv, key, e - b1 * size);
}

static int
ceil_log2 (gint64 v)
{
  int bits = 0;

  while (bits < 62 && ((gint64) 1 << bits) < v)
    bits++;
  return bits;
}

/* Registers a lane of @kind with @n intervals in lod_lane, with @insert. */
static gboolean
add_lane (Builder *b, WeftStore *store, sqlite3_stmt *insert, WeftLodKind kind, gint64 id, gint64 n)
{
  Lane *lane;

  if (n < WEFT_LOD_MIN_INTERVALS)
    return TRUE;
  lane = g_new0 (Lane, 1);
  lane->key = id;
  lane->max = kind == WEFT_LOD_COUNTER;
  lane->last_end = G_MININT64;
  lane->top = MAX (b->trace_bits, 1);
  lane->base = CLAMP (ceil_log2 (b->trace_ns * WEFT_LOD_PER_BUCKET / n), 0, lane->top);
  lane->levels = g_new (Level, lane->top - lane->base + 1);
  for (int l = 0; l <= lane->top - lane->base; l++)
    {
      Level *lv = &lane->levels[l];

      lv->bucket = G_MININT64;
      lv->shares = lv->inline_shares;
      lv->n_shares = 0;
      lv->cap = INLINE_SHARES;
    }
  sqlite3_bind_int (insert, 1, kind);
  sqlite3_bind_int64 (insert, 2, id);
  sqlite3_bind_int64 (insert, 3, n);
  sqlite3_bind_int (insert, 4, lane->base);
  sqlite3_bind_int (insert, 5, lane->top);
  if (sqlite3_step (insert) != SQLITE_DONE)
    {
      sqlite3_reset (insert);
      lane_free (lane);
      return FALSE;
    }
  sqlite3_reset (insert);
  lane->id = sqlite3_last_insert_rowid (weft_store_get_db (store));
  lane->slot = b->slots->len;
  for (int l = lane->base; l <= lane->top; l++)
    g_array_append_val (b->slots, ((Slot){ lane->id, l }));
  g_hash_table_insert (b->lanes[kind], GSIZE_TO_POINTER ((gsize) id), lane);
  return TRUE;
}

static sqlite3_stmt *
prepare_lane_insert (WeftStore *store, GError **error)
{
  return weft_store_prepare (store,
                             "INSERT INTO lod_lane (kind, lane, intervals, base_level, top_level) VALUES (?, ?, ?, ?, ?)",
                             error);
}

/* Registers the lanes of @kind that @sql (lane, count) lists with enough
 * intervals. */
static gboolean
add_lanes (Builder *b, WeftStore *store, WeftLodKind kind, const char *sql, GError **error)
{
  sqlite3_stmt *list = weft_store_prepare (store, sql, error);
  sqlite3_stmt *insert = prepare_lane_insert (store, error);
  int           rc;

  if (list == NULL || insert == NULL)
    {
      sqlite3_finalize (list);
      sqlite3_finalize (insert);
      return FALSE;
    }
  while ((rc = sqlite3_step (list)) == SQLITE_ROW)
    if (!add_lane (b, store, insert, kind, sqlite3_column_int64 (list, 0), sqlite3_column_int64 (list, 1)))
      {
        rc = SQLITE_ERROR;
        break;
      }
  sqlite3_finalize (list);
  sqlite3_finalize (insert);
  return rc == SQLITE_DONE || weft_store_set_sqlite_error (error, weft_store_get_db (store), "listing lanes");
}

/* The same from the counts a load's record keeps. */
static gboolean
add_input_lanes (Builder *b, WeftStore *store, WeftLodKind kind, WeftLodInput *input, GError **error)
{
  g_autoptr (GArray) lanes = weft_lod_input_lanes (input, kind);
  sqlite3_stmt *insert = prepare_lane_insert (store, error);
  gboolean      ok = insert != NULL;

  for (guint i = 0; ok && i < lanes->len; i++)
    {
      const WeftLodLaneCount *l = &g_array_index (lanes, WeftLodLaneCount, i);

      ok = add_lane (b, store, insert, kind, l->id, l->intervals);
    }
  sqlite3_finalize (insert);
  return ok || weft_store_set_sqlite_error (error, weft_store_get_db (store), "writing lod_lane");
}

/* Writes the buckets still being filled. */
static void
flush_all (Builder *b)
{
  for (int kind = 0; kind < WEFT_LOD_N_KINDS; kind++)
    {
      GHashTableIter iter;
      Lane          *lane;

      g_hash_table_iter_init (&iter, b->lanes[kind]);
      while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &lane))
        for (int level = lane->base;; level = parent_level (lane, level))
          {
            level_move (b, lane, level, G_MAXINT64);
            if (level == lane->top)
              break;
          }
    }
}

static inline Lane *
lane_lookup (Builder *b, WeftLodKind kind, gint64 id)
{
  Lane **slot = &b->lane_cache[kind][(guint64) id & (LANE_CACHE - 1)];
  Lane  *lane = *slot;

  if (G_LIKELY (lane != NULL && lane->key == id))
    return lane;
  if ((lane = g_hash_table_lookup (b->lanes[kind], GSIZE_TO_POINTER ((gsize) id))) != NULL)
    *slot = lane;
  return lane;
}

#define KEY_CACHE 256

/* A direct-mapped cache slot: @id's value. */
typedef struct
{
  gint64 id, value;
} KeySlot;

/* What the keys of the goroutine and P lanes are made of: loaded before
 * the accumulation, read only after. */
typedef struct
{
  GHashTable *start_pc; /* goid -> goroutine.start_pc */
  GHashTable *category; /* wait_reason.reason -> category */
} Keys;

/* The same with caches in front, one per thread (a hash look-up per
 * interval, and a category's strcmp() per blocked one, were a sixth of
 * the accumulation). */
typedef struct
{
  const Keys *keys;
  KeySlot     pc_cache[KEY_CACHE], blocked_cache[KEY_CACHE];
} KeyCache;

static void
keys_clear (Keys *k)
{
  g_clear_pointer (&k->start_pc, g_hash_table_unref);
  g_clear_pointer (&k->category, g_hash_table_unref);
}

static gboolean
keys_load (Keys *k, WeftStore *store, GError **error)
{
  sqlite3_stmt *s;

  k->start_pc = g_hash_table_new (g_direct_hash, g_direct_equal);
  k->category = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, g_free);
  if ((s = weft_store_prepare (store, "SELECT goid, start_pc FROM goroutine", error)) == NULL)
    return FALSE;
  while (sqlite3_step (s) == SQLITE_ROW)
    g_hash_table_insert (k->start_pc, GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (s, 0)),
                         GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (s, 1)));
  sqlite3_finalize (s);
  if ((s = weft_store_prepare (store, "SELECT reason, category FROM wait_reason", error)) == NULL)
    return FALSE;
  while (sqlite3_step (s) == SQLITE_ROW)
    g_hash_table_insert (k->category, GSIZE_TO_POINTER ((gsize) sqlite3_column_int64 (s, 0)),
                         g_strdup ((const char *) sqlite3_column_text (s, 1)));
  sqlite3_finalize (s);
  return TRUE;
}

static void
key_cache_init (KeyCache *c, const Keys *keys)
{
  c->keys = keys;
  for (guint i = 0; i < KEY_CACHE; i++)
    c->pc_cache[i] = c->blocked_cache[i] = (KeySlot){ G_MININT64, 0 };
}

/* Goroutine @goid's start function. */
static gint64
start_pc (KeyCache *c, gint64 goid)
{
  KeySlot *slot = &c->pc_cache[(guint64) goid & (KEY_CACHE - 1)];

  if (slot->id != goid)
    *slot = (KeySlot){ goid, (gint64) GPOINTER_TO_SIZE (
                                 g_hash_table_lookup (c->keys->start_pc, GSIZE_TO_POINTER ((gsize) goid))) };
  return slot->value;
}

/* The key of a goroutine blocked for @reason. */
static gint64
blocked_key (KeyCache *c, gint64 reason)
{
  KeySlot *slot = &c->blocked_cache[(guint64) reason & (KEY_CACHE - 1)];

  if (slot->id != reason)
    *slot = (KeySlot){ reason, weft_lod_goroutine_key (
                                   2, 0, g_hash_table_lookup (c->keys->category, GSIZE_TO_POINTER ((gsize) reason))) };
  return slot->value;
}

/* A gstate row feeds its goroutine's lane in @g and, running, its P's in
 * @pm (keyed by start function); either may be NULL (a thread
 * accumulating the other part). @reason: the wait reason (0 if none);
 * @p: -1 if none. */
static void
add_gstate (Builder *g, Builder *pm, KeyCache *c, gint64 goid, gint64 start, gint64 end, int state, gint64 reason, gint64 p)
{
  Lane *lane;

  /* The start function keys running intervals only, the category
   * blocked ones (weft_lod_goroutine_key). */
  if (g != NULL && (lane = lane_lookup (g, WEFT_LOD_GOROUTINE, goid)) != NULL)
    lane_add (g, lane, start, end,
              state == 2 ? blocked_key (c, reason)
                         : weft_lod_goroutine_key (state, state == 0 ? start_pc (c, goid) : 0, NULL));
  if (pm != NULL && state == 0 && p >= 0 && (lane = lane_lookup (pm, WEFT_LOD_P, p)) != NULL)
    lane_add (pm, lane, start, end, start_pc (c, goid));
}

/* An mstate row feeds its M's lane; a parked thread shows nothing
 * (queries/window-mstate.sql). */
static void
add_mstate (Builder *pm, gint64 m, gint64 start, gint64 end, int state)
{
  Lane *lane = lane_lookup (pm, WEFT_LOD_M, m);

  if (lane != NULL && state != 5)
    lane_add (pm, lane, start, end, state);
}

static gboolean
scan_gstate (Builder *g, Builder *pm, KeyCache *c, WeftStore *store, GError **error)
{
  sqlite3_stmt *s = weft_store_prepare (store,
                                        "SELECT goid, start_ns, end_ns, state, wait_reason, IFNULL (p, -1) FROM gstate "
                                        "ORDER BY rowid",
                                        error);
  int           rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW && !g->failed && !pm->failed)
    add_gstate (g, pm, c, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1), sqlite3_column_int64 (s, 2),
                sqlite3_column_int (s, 3), sqlite3_column_int64 (s, 4), sqlite3_column_int64 (s, 5));
  sqlite3_finalize (s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW
         || weft_store_set_sqlite_error (error, weft_store_get_db (store), "reading gstate");
}

static gboolean
scan_mstate (Builder *pm, WeftStore *store, GError **error)
{
  sqlite3_stmt *s = weft_store_prepare (store, "SELECT m, start_ns, end_ns, state FROM mstate ORDER BY rowid", error);
  int           rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW && !pm->failed)
    add_mstate (pm, sqlite3_column_int64 (s, 0), sqlite3_column_int64 (s, 1), sqlite3_column_int64 (s, 2),
                sqlite3_column_int (s, 3));
  sqlite3_finalize (s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW
         || weft_store_set_sqlite_error (error, weft_store_get_db (store), "reading mstate");
}

/* One thread's accumulation of the load's own record of the rows, into
 * @g's goroutine lanes or @pm's P and M lanes (one of them NULL): each
 * lane gets its rows in the same order as from the tables (their rowid
 * order), so the buckets are the same. */
typedef struct
{
  Builder            *g, *pm;
  WeftLodInputReader *reader;
  KeyCache            cache;
  GThread            *thread;
  GError             *error; /* set if reading the record failed */
} Scan;

static gpointer
scan_thread (gpointer data)
{
  Scan           *sc = data;
  Builder        *b = sc->g != NULL ? sc->g : sc->pm;
  WeftLodInterval iv;

  while (!b->failed && weft_lod_input_reader_next (sc->reader, &iv, &sc->error))
    if (!iv.mstate)
      add_gstate (sc->g, sc->pm, &sc->cache, iv.lane, iv.start_ns, iv.end_ns, iv.state, iv.state == 2 ? iv.aux : 0,
                  iv.state == 0 ? iv.aux : -1);
    else if (sc->pm != NULL)
      add_mstate (sc->pm, iv.lane, iv.start_ns, iv.end_ns, iv.state);
  return NULL;
}

/* The GC work lanes: mark workers keyed by mode as
 * queries/window-gc-span.sql keys them, assists and sweeps 1. Spans of
 * several Ps overlap; a lane gets their union, each run of overlapping
 * spans keyed by its first, in start order (index gc_span_start). */
static gboolean
scan_gc_spans (Builder *b, WeftStore *store, GError **error)
{
  sqlite3_stmt *s = weft_store_prepare (store,
                                        "SELECT CASE kind WHEN 'worker' THEN 0 WHEN 'assist' THEN 1 ELSE 2 END, "
                                        "start_ns, end_ns, CASE mode WHEN 'fractional' THEN 2 WHEN 'idle' THEN 3 ELSE 1 END "
                                        "FROM gc_span WHERE kind IN ('worker', 'assist', 'sweep') ORDER BY start_ns",
                                        error);
  struct
  {
    Lane  *lane;
    gint64 start, end, key;
  } run[3] = { { 0 } };
  int rc;

  if (s == NULL)
    return FALSE;
  for (int l = 0; l < 3; l++)
    run[l].lane = lane_lookup (b, WEFT_LOD_GC, l);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW && !b->failed)
    {
      int    l = sqlite3_column_int (s, 0);
      gint64 start = sqlite3_column_int64 (s, 1), end = sqlite3_column_int64 (s, 2);

      if (run[l].lane == NULL)
        continue;
      if (run[l].end > run[l].start && start < run[l].end)
        {
          run[l].end = MAX (run[l].end, end);
          continue;
        }
      if (run[l].end > run[l].start)
        lane_add (b, run[l].lane, run[l].start, run[l].end, run[l].key);
      run[l].start = start;
      run[l].end = end;
      run[l].key = sqlite3_column_int64 (s, 3);
    }
  for (int l = 0; l < 3; l++)
    if (run[l].lane != NULL && run[l].end > run[l].start)
      lane_add (b, run[l].lane, run[l].start, run[l].end, run[l].key);
  sqlite3_finalize (s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW
         || weft_store_set_sqlite_error (error, weft_store_get_db (store), "reading gc_span");
}

/* A counter's value holds from its sample to the next (the last one to
 * the end of the trace). */
static gboolean
scan_counters (Builder *b, WeftStore *store, gint64 trace_end, GError **error)
{
  sqlite3_stmt *s = weft_store_prepare (store, "SELECT counter, ts, value FROM counter_sample ORDER BY counter, ts", error);
  Lane         *lane = NULL;
  gint64        ts = 0, value = 0;
  int           rc;

  if (s == NULL)
    return FALSE;
  while ((rc = sqlite3_step (s)) == SQLITE_ROW && !b->failed)
    {
      Lane  *next = lane_lookup (b, WEFT_LOD_COUNTER, sqlite3_column_int64 (s, 0));
      gint64 next_ts = sqlite3_column_int64 (s, 1);

      if (lane != NULL)
        lane_add (b, lane, ts, next == lane ? next_ts : MAX (trace_end, ts + 1), value);
      lane = next;
      ts = next_ts;
      value = sqlite3_column_int64 (s, 2);
    }
  if (lane != NULL)
    lane_add (b, lane, ts, MAX (trace_end, ts + 1), value);
  sqlite3_finalize (s);
  return rc == SQLITE_DONE || rc == SQLITE_ROW
         || weft_store_set_sqlite_error (error, weft_store_get_db (store), "reading counter_sample");
}

static gint64
pragma_int (WeftStore *store, const char *name)
{
  g_autofree char *sql = g_strdup_printf ("PRAGMA %s", name);
  sqlite3_stmt    *s = weft_store_prepare (store, sql, NULL);
  gint64           v = 0;

  if (s != NULL && sqlite3_step (s) == SQLITE_ROW)
    v = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return v;
}

/* Whether the file has a table @name (not a virtual table of the
 * connection). */
static gboolean
is_table (WeftStore *store, const char *name)
{
  sqlite3_stmt *s
      = weft_store_prepare (store, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = ?", NULL);
  gboolean found;

  if (s == NULL)
    return FALSE;
  sqlite3_bind_text (s, 1, name, -1, SQLITE_STATIC);
  found = sqlite3_step (s) == SQLITE_ROW;
  sqlite3_finalize (s);
  return found;
}

/* A build's lanes in three parts, each its own Builder, in lod_lane's id
 * order (lanes are registered part by part), so that the buckets,
 * written one part after another, come in lod_bucket's key order: the P
 * and M lanes, the goroutine lanes, and the lanes read from the tables
 * (counters, GC work). After a load the first two are accumulated on
 * two threads at once; the third, small, on the caller's. */
enum
{
  PART_PM,
  PART_G,
  PART_TABLES,
  N_PARTS
};

/* One build: its Builders and what feeds them. */
typedef struct
{
  WeftStore    *store;
  WeftLodInput *input; /* NULL: the tables are read */
  Builder       parts[N_PARTS];
  Keys          keys;
  gint64        start_ns, end_ns;
  /* The accumulation from @input after build_begin(): of PART_PM and of
   * PART_G. */
  Scan scans[2];
  /* The time the build has taken on the caller's thread, µs. */
  gint64 spent_us;
} Build;

static void
builder_clear (Builder *b)
{
  for (int kind = 0; kind < WEFT_LOD_N_KINDS; kind++)
    g_clear_pointer (&b->lanes[kind], g_hash_table_unref);
  g_free (b->pending);
  g_free (b->sorted);
  g_clear_pointer (&b->runs, g_ptr_array_unref);
  g_clear_pointer (&b->spill, fclose);
  g_free (b->spill_buf);
  g_clear_pointer (&b->slots, g_array_unref);
  g_clear_error (&b->spill_error);
}

static void
build_free (Build *lb)
{
  for (guint i = 0; i < G_N_ELEMENTS (lb->scans); i++)
    {
      Scan *sc = &lb->scans[i];

      if (sc->thread != NULL)
        g_thread_join (g_steal_pointer (&sc->thread));
      g_clear_pointer (&sc->reader, weft_lod_input_reader_free);
      g_clear_error (&sc->error);
    }
  for (int i = 0; i < N_PARTS; i++)
    builder_clear (&lb->parts[i]);
  keys_clear (&lb->keys);
  g_free (lb);
}

/* Creates the tables and registers the lanes, in the caller's
 * transaction, and loads what the keys are made of. */
static Build *
build_prepare (WeftStore *store, WeftLodInput *input, GError **error)
{
  Build   *lb = g_new0 (Build, 1);
  Builder *pm = &lb->parts[PART_PM], *g = &lb->parts[PART_G], *t = &lb->parts[PART_TABLES];
  gint64   trace_ns;
  gboolean ok;

  lb->store = store;
  lb->input = input;
  lb->start_ns = weft_store_get_meta_int (store, "start_ns", 0);
  lb->end_ns = weft_store_get_meta_int (store, "end_ns", 0);
  /* Buckets are aligned on 0, so the levels must reach a bucket holding
   * [min (start, 0), end). */
  trace_ns = MAX (lb->end_ns - MIN (lb->start_ns, 0), 1);
  for (int i = 0; i < N_PARTS; i++)
    {
      Builder *b = &lb->parts[i];

      b->trace_ns = trace_ns;
      b->trace_bits = ceil_log2 (trace_ns) + 1;
      b->slots = g_array_new (FALSE, FALSE, sizeof (Slot));
      for (int kind = 0; kind < WEFT_LOD_N_KINDS; kind++)
        b->lanes[kind] = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, (GDestroyNotify) lane_free);
    }
  /* lod_bucket is a table only in files written before schema version
   * 3 (else a virtual table over lod_chunk, which cannot be dropped). */
  ok = (!is_table (store, "lod_bucket") || weft_store_exec (store, "DROP TABLE lod_bucket", error))
       && weft_store_exec (store, "DROP TABLE IF EXISTS lod_chunk; DROP TABLE IF EXISTS lod_lane;", error)
       && weft_store_exec_resource (store, "weft-lod.sql", error);
  if (ok && input != NULL)
    ok = add_input_lanes (pm, store, WEFT_LOD_P, input, error) && add_input_lanes (pm, store, WEFT_LOD_M, input, error)
         && add_input_lanes (g, store, WEFT_LOD_GOROUTINE, input, error);
  else if (ok)
    ok = add_lanes (pm, store, WEFT_LOD_P, "SELECT p, COUNT(*) FROM gstate WHERE state = 0 AND p IS NOT NULL GROUP BY p",
                    error)
         && add_lanes (pm, store, WEFT_LOD_M, "SELECT m, COUNT(*) FROM mstate GROUP BY m", error)
         && add_lanes (g, store, WEFT_LOD_GOROUTINE, "SELECT goid, COUNT(*) FROM gstate GROUP BY goid", error);
  ok = ok && add_lanes (t, store, WEFT_LOD_COUNTER, "SELECT counter, COUNT(*) FROM counter_sample GROUP BY counter", error)
       && add_lanes (t, store, WEFT_LOD_GC,
                     "SELECT CASE kind WHEN 'worker' THEN 0 WHEN 'assist' THEN 1 ELSE 2 END, COUNT(*) FROM gc_span "
                     "WHERE kind IN ('worker', 'assist', 'sweep') GROUP BY 1",
                     error)
       && keys_load (&lb->keys, store, error);
  if (!ok)
    g_clear_pointer (&lb, build_free);
  return lb;
}

static gint64
since (gint64 t0)
{
  return g_get_monotonic_time () - t0;
}

/* Writes what @b has accumulated through @writer, after what was written
 * before. */
static void
write_part (Builder *b, WeftWriter *writer)
{
  b->writer = writer;
  flush_all (b);
  flush_pending (b, TRUE);
  b->writer = NULL;
}

/* Waits for the accumulation, reads what is left from the tables and
 * writes the buckets, in the caller's transaction; meta 'lod_build_ms'
 * is lb->spent_us and the time since @t0. Frees @lb. */
static gboolean
build_finish (Build *lb, gint64 t0, GError **error)
{
  WeftStore  *store = lb->store;
  Builder    *pm = &lb->parts[PART_PM], *g = &lb->parts[PART_G], *t = &lb->parts[PART_TABLES];
  WeftWriter *writer = NULL;
  KeyCache    cache;
  gint64      clipped = 0;
  gboolean    ok;

  key_cache_init (&cache, &lb->keys);
  /* The small part first, while the threads (if any) run. */
  ok = (lb->input != NULL || (scan_gstate (g, pm, &cache, store, error) && scan_mstate (pm, store, error)))
       && scan_counters (t, store, lb->end_ns, error) && scan_gc_spans (t, store, error)
       && (writer = weft_writer_new (store, FALSE, error)) != NULL;
  /* Each part as soon as it is complete: the goroutine lanes' thread
   * usually runs on while the P and M lanes' buckets are written. */
  for (int i = 0; i < N_PARTS; i++)
    {
      Scan *sc = i < (int) G_N_ELEMENTS (lb->scans) ? &lb->scans[i] : NULL;

      if (sc != NULL && sc->thread != NULL)
        {
          g_thread_join (g_steal_pointer (&sc->thread));
          if (ok && sc->error != NULL)
            {
              g_propagate_error (error, g_steal_pointer (&sc->error));
              ok = FALSE;
            }
        }
      if (ok)
        write_part (&lb->parts[i], writer);
      /* A failed spill stops the inserts: it explains the failure. */
      if (lb->parts[i].spill_error != NULL)
        {
          if (ok)
            g_propagate_error (error, g_steal_pointer (&lb->parts[i].spill_error));
          ok = FALSE;
        }
      clipped += lb->parts[i].clipped;
    }
  if (writer != NULL && !weft_writer_close (writer, NULL, ok ? error : NULL))
    ok = FALSE;
  ok = ok && weft_store_set_meta_int (store, "lod_build_ms", (lb->spent_us + since (t0)) / 1000, error)
       && weft_store_set_meta_int (store, "lod_clipped", clipped, error);
  build_free (lb);
  return ok;
}

gboolean
weft_lod_build (WeftStore *store, GError **error)
{
  g_autofree char *restore = NULL;
  gint64           cache_size, mmap_size;
  gint64           t0 = g_get_monotonic_time ();
  Build           *lb;
  gboolean         ok;

  g_return_val_if_fail (store != NULL, FALSE);

  /* The state tables are read through a memory map rather than copied page
   * by page (on a 10M-event trace, read() and write() took about 40% of
   * the build before), and the buckets' pages stay in the cache until
   * the commit. */
  cache_size = pragma_int (store, "cache_size");
  mmap_size = pragma_int (store, "mmap_size");
  restore = g_strdup_printf ("PRAGMA cache_size = %" G_GINT64_FORMAT "; PRAGMA mmap_size = %" G_GINT64_FORMAT,
                             cache_size, mmap_size);
  /* 256 MiB of map: mapped pages count in the resident set, and a bigger
   * map (4 GiB before) made the conversion's RSS grow with the database
   * (+800 MB for 10M events) without making the build faster. */
  ok = weft_store_exec (store, "PRAGMA mmap_size = 268435456", error)
       /* At least 256 MiB (negative: KiB), as a bulk store has already. */
       && (cache_size <= -262144 || weft_store_exec (store, "PRAGMA cache_size = -262144", error))
       && weft_store_exec (store, "BEGIN", error);
  if (ok)
    {
      lb = build_prepare (store, NULL, error);
      ok = lb != NULL && build_finish (lb, t0, error) && weft_store_exec (store, "COMMIT", error);
      if (!ok)
        weft_store_exec (store, "ROLLBACK", NULL);
    }
  weft_store_exec (store, restore, NULL);
  return ok;
}

/* Registers the lanes in the load's transaction and starts accumulating
 * the intervals of @input on two threads: the P and M lanes on one, the
 * goroutine lanes on the other, each reading @input for itself. */
static Build *
build_begin (WeftStore *store, WeftLodInput *input, GError **error)
{
  gint64 t0 = g_get_monotonic_time ();
  Build *lb = build_prepare (store, input, error);

  if (lb == NULL)
    return NULL;
  lb->scans[0].pm = &lb->parts[PART_PM];
  lb->scans[1].g = &lb->parts[PART_G];
  for (guint i = 0; i < G_N_ELEMENTS (lb->scans); i++)
    if ((lb->scans[i].reader = weft_lod_input_read (input, error)) == NULL)
      {
        build_free (lb);
        return NULL;
      }
  for (guint i = 0; i < G_N_ELEMENTS (lb->scans); i++)
    {
      key_cache_init (&lb->scans[i].cache, &lb->keys);
      lb->scans[i].thread = g_thread_new (i == 0 ? "weft-lod-pm" : "weft-lod-g", scan_thread, &lb->scans[i]);
    }
  lb->spent_us = since (t0);
  return lb;
}

gboolean
weft_lod_finish_load (WeftStore *store, WeftLodInput *input, GError **error)
{
  Build   *lb;
  gint64   t0;
  gboolean ok;

  g_return_val_if_fail (store != NULL && input != NULL, FALSE);

  if ((lb = build_begin (store, input, error)) == NULL)
    return FALSE;
  if (!weft_store_finish (store, error))
    {
      build_free (lb);
      return FALSE;
    }
  t0 = g_get_monotonic_time ();
  ok = weft_store_exec (store, "BEGIN", error) && build_finish (lb, t0, error)
       && weft_store_exec (store, "COMMIT", error);
  if (!ok)
    weft_store_exec (store, "ROLLBACK", NULL);
  return ok;
}
