/* weft-lanes.c — packed lane tables: chunks of intervals, read through
 * eponymous virtual tables.
 *
 * A chunk row (schema/weft-schema.sql) holds its lane, the first and last
 * start_ns of its intervals, their largest end_ns and id, their count and
 * the BLOB. Invariants, which the readers rely on:
 *  - a chunk's intervals are in start_ns order;
 *  - the chunks of a lane, in start_ns order, do not interleave: every
 *    start of one is at or before every start of the next. So a lane's
 *    intervals in start order are its chunks' in turn, and the interval
 *    that meets an instant is in the last chunk starting before it.
 * The packer appends in order (a lane's intervals come in start order from
 * the state machine); an interval that does not (a hand-written INSERT, a
 * repaired trace) goes through insert_one(), which merges it into the
 * chunk where it belongs.
 *
 * The BLOB: per interval, a varint of its NULL columns (bit c: column c),
 * then each non-NULL column but the lane, zigzag varints: start_ns less
 * the previous interval's end_ns (0 for consecutive intervals), end_ns
 * less start_ns, any other column less its last value in the chunk.
 *
 * The virtual tables answer "lane = X" with start_ns bounds from the
 * chunks of lane X only (two index look-ups), in start_ns order either
 * way when asked (the window queries' ORDER BY start_ns DESC LIMIT 1),
 * and gstate's "state = 0 AND p = X" (the P lanes) from gstate_p_chunk,
 * the running intervals packed again by P. Every constraint is checked
 * again by SQLite: the plans only narrow what is read.
 */
#include "weft-lanes.h"

#include "weft-varint.h"

#include <string.h>

#define MAX_COLS 14

/* Columns 0 id, 1 lane, 2 start_ns, 3 end_ns for every table. */
enum
{
  COL_ID,
  COL_LANE,
  COL_START,
  COL_END
};

/* gstate's columns the P chunks are keyed by, and the range totals'. */
#define GSTATE_STATE 4
#define GSTATE_WAIT_REASON 5
#define GSTATE_P 9

typedef struct
{
  const char *name;
  const char *decl;
  guint       n_cols;
} TableInfo;

static const TableInfo tables[WEFT_LANE_N_TABLES] = {
  [WEFT_LANE_GSTATE] = { "gstate",
                         "CREATE TABLE x (id INTEGER PRIMARY KEY, goid INTEGER NOT NULL, start_ns INTEGER NOT NULL, "
                         "end_ns INTEGER NOT NULL, state INTEGER NOT NULL, wait_reason INTEGER, wait_obj INTEGER, "
                         "stack INTEGER, stop_reason INTEGER, p INTEGER, m INTEGER, unblocked_by INTEGER, "
                         "open_start INTEGER NOT NULL DEFAULT 0, open_end INTEGER NOT NULL DEFAULT 0)",
                         14 },
  [WEFT_LANE_PSTATE] = { "pstate",
                         "CREATE TABLE x (id INTEGER PRIMARY KEY, p INTEGER NOT NULL, start_ns INTEGER NOT NULL, "
                         "end_ns INTEGER NOT NULL, goid INTEGER NOT NULL, m INTEGER, "
                         "open_start INTEGER NOT NULL DEFAULT 0, open_end INTEGER NOT NULL DEFAULT 0)",
                         8 },
  [WEFT_LANE_MSTATE] = { "mstate",
                         "CREATE TABLE x (id INTEGER PRIMARY KEY, m INTEGER NOT NULL, start_ns INTEGER NOT NULL, "
                         "end_ns INTEGER NOT NULL, state INTEGER NOT NULL, p INTEGER, goid INTEGER, "
                         "open_start INTEGER NOT NULL DEFAULT 0, open_end INTEGER NOT NULL DEFAULT 0)",
                         9 },
};

typedef struct
{
  gint64  v[MAX_COLS];
  guint32 nulls;
} Ival;

/* ------------------------------------------------------------------ encoding */

/* A growable byte buffer, written a varint at a time. */
typedef struct
{
  guint8 *data;
  gsize   len, cap;
} Bytes;

static void
bytes_reserve (Bytes *b, gsize more)
{
  if (b->len + more > b->cap)
    {
      b->cap = MAX (b->len + more, 2 * b->cap);
      b->data = g_realloc (b->data, b->cap);
    }
}

/* The caller has reserved WEFT_VARINT_MAX bytes. */
static void
put_varint (Bytes *b, guint64 x)
{
  b->len = (gsize) (weft_put_varint (b->data + b->len, x) - b->data);
}

/* A chunk being written: its encoded intervals and what the next one is
 * encoded against. */
typedef struct
{
  gint64   lane;
  guint    n;
  gint64   first_start, last_start, max_end, max_id;
  gboolean open_end; /* one of its intervals has open_end = 1 */
  gint64   prev[MAX_COLS];
  Bytes    data;
} Chunk;

static void
chunk_reset (Chunk *c)
{
  c->n = 0;
  c->open_end = FALSE;
  memset (c->prev, 0, sizeof c->prev);
  c->data.len = 0;
}

static void
chunk_append (Chunk *c, guint n_cols, const Ival *iv)
{
  bytes_reserve (&c->data, (n_cols + 1) * WEFT_VARINT_MAX);
  put_varint (&c->data, iv->nulls);
  for (guint col = 0; col < n_cols; col++)
    {
      gint64 base;

      if (col == COL_LANE || (iv->nulls & (1u << col)))
        continue;
      base = col == COL_START ? c->prev[COL_END] : col == COL_END ? iv->v[COL_START]
                                                                  : c->prev[col];
      put_varint (&c->data, weft_zigzag ((gint64) ((guint64) iv->v[col] - (guint64) base)));
      c->prev[col] = iv->v[col];
    }
  if (c->n == 0)
    {
      c->first_start = iv->v[COL_START];
      c->max_end = iv->v[COL_END];
      c->max_id = iv->v[COL_ID];
    }
  c->last_start = iv->v[COL_START];
  c->open_end |= !(iv->nulls & (1u << (n_cols - 1))) && iv->v[n_cols - 1] == 1;
  c->max_end = MAX (c->max_end, iv->v[COL_END]);
  c->max_id = MAX (c->max_id, iv->v[COL_ID]);
  c->n++;
}

/* Decodes @n intervals of lane @lane into @out (room for @n). */
static gboolean
chunk_decode (const guint8 *p, gsize size, guint n, guint n_cols, gint64 lane, Ival *out)
{
  const guint8 *end = p + size;
  gint64        prev[MAX_COLS] = { 0 };

  for (guint i = 0; i < n; i++)
    {
      Ival   *iv = &out[i];
      guint64 x;

      if (!weft_get_varint (&p, end, &x))
        return FALSE;
      iv->nulls = (guint32) x;
      for (guint col = 0; col < n_cols; col++)
        {
          gint64 base;

          if (col == COL_LANE)
            {
              iv->v[col] = lane;
              continue;
            }
          if (iv->nulls & (1u << col))
            {
              iv->v[col] = 0;
              continue;
            }
          if (!weft_get_varint (&p, end, &x))
            return FALSE;
          base = col == COL_START ? prev[COL_END] : col == COL_END ? iv->v[COL_START]
                                                                   : prev[col];
          iv->v[col] = (gint64) ((guint64) base + (guint64) weft_unzigzag (x));
          prev[col] = iv->v[col];
        }
    }
  return p == end;
}

/* Decodes the chunk of the row @s holds, read as "lane, start_ns,
 * last_start, n, data" (its lane @lane, @n intervals), into *@ivs,
 * grown to hold them (*@cap long). */
static gboolean
decode_row (sqlite3_stmt *s, gint64 lane, guint n, guint n_cols, Ival **ivs, guint *cap)
{
  if (n > *cap)
    {
      *cap = MAX (n, 2 * *cap);
      *ivs = g_renew (Ival, *ivs, *cap);
    }
  return chunk_decode (sqlite3_column_blob (s, 4), (gsize) sqlite3_column_bytes (s, 4), n, n_cols, lane, *ivs);
}

/* A virtual table's error for a chunk that does not decode. */
static int
corrupt_chunk (sqlite3_vtab *vtab, const char *table, gint64 lane)
{
  sqlite3_free (vtab->zErrMsg);
  vtab->zErrMsg = sqlite3_mprintf ("%s: a corrupt chunk of lane %lld", table, (long long) lane);
  return SQLITE_CORRUPT;
}

/* ------------------------------------------------------------------ chunk tables */

/* The SQL of one chunk table (gstate_chunk, gstate_p_chunk…) on one
 * connection. */
typedef struct
{
  sqlite3         *db;
  const TableInfo *info;
  char            *table;
  sqlite3_stmt    *insert, *find, *update;
  Chunk            tail;       /* the chunk insert_one() wrote last … */
  sqlite3_int64    tail_rowid; /* … as row tail_rowid; 0: none */
  guint64          rows;       /* chunk rows inserted */
} ChunkTable;

static void
chunk_table_init (ChunkTable *t, sqlite3 *db, WeftLaneTable which, gboolean by_p)
{
  memset (t, 0, sizeof *t);
  t->db = db;
  t->info = &tables[which];
  t->table = g_strdup_printf ("%s_%schunk", t->info->name, by_p ? "p_" : "");
}

static void
chunk_table_clear (ChunkTable *t)
{
  sqlite3_finalize (t->insert);
  sqlite3_finalize (t->find);
  sqlite3_finalize (t->update);
  g_clear_pointer (&t->tail.data.data, g_free);
  g_clear_pointer (&t->table, g_free);
}

static int
prepare (ChunkTable *t, sqlite3_stmt **stmt, const char *format)
{
  g_autofree char *sql = NULL;

  if (*stmt != NULL)
    return SQLITE_OK;
  sql = g_strdup_printf (format, t->table);
  return sqlite3_prepare_v3 (t->db, sql, -1, SQLITE_PREPARE_PERSISTENT, stmt, NULL);
}

static int
write_chunk (ChunkTable *t, const Chunk *c)
{
  int rc = prepare (t, &t->insert,
                    "INSERT INTO %s (lane, start_ns, last_start, end_ns, max_id, open_end, n, data) "
                    "VALUES (?, ?, ?, ?, ?, ?, ?, ?)");

  if (rc != SQLITE_OK || c->n == 0)
    return rc;
  sqlite3_bind_int64 (t->insert, 1, c->lane);
  sqlite3_bind_int64 (t->insert, 2, c->first_start);
  sqlite3_bind_int64 (t->insert, 3, c->last_start);
  sqlite3_bind_int64 (t->insert, 4, c->max_end);
  sqlite3_bind_int64 (t->insert, 5, c->max_id);
  sqlite3_bind_int (t->insert, 6, c->open_end);
  sqlite3_bind_int64 (t->insert, 7, c->n);
  sqlite3_bind_blob (t->insert, 8, c->data.data, (int) c->data.len, SQLITE_STATIC);
  rc = sqlite3_step (t->insert);
  sqlite3_reset (t->insert);
  if (rc != SQLITE_DONE)
    return rc;
  t->rows++;
  return SQLITE_OK;
}

/* Puts @iv where it belongs in its lane: into the last chunk starting at
 * or before it, if it starts inside that chunk or the chunk has room,
 * else into a chunk of its own (which then sits between its
 * neighbours). The chunk written last stays encoded in t->tail: rows
 * appended to it one by one (INSERT … SELECT of a lane in order) are
 * encoded once, not the whole chunk again for each. */
static int
insert_one (ChunkTable *t, const Ival *iv)
{
  Chunk           *c = &t->tail;
  g_autofree Ival *ivs = NULL;
  sqlite3_int64    rowid;
  gint64           last;
  guint            n, at;
  int              rc;

  if ((rc = prepare (t, &t->find,
                     "SELECT rowid, last_start, n, data FROM %s WHERE lane = ?1 AND start_ns <= ?2 "
                     "ORDER BY start_ns DESC LIMIT 1"))
      != SQLITE_OK)
    return rc;
  sqlite3_bind_int64 (t->find, 1, iv->v[COL_LANE]);
  sqlite3_bind_int64 (t->find, 2, iv->v[COL_START]);
  rc = sqlite3_step (t->find);
  if (rc != SQLITE_ROW
      || (iv->v[COL_START] >= sqlite3_column_int64 (t->find, 1) && sqlite3_column_int64 (t->find, 2) >= WEFT_LANE_CHUNK))
    {
      sqlite3_reset (t->find);
      if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return rc;
      chunk_reset (c);
      c->lane = iv->v[COL_LANE];
      chunk_append (c, t->info->n_cols, iv);
      rc = write_chunk (t, c);
      t->tail_rowid = rc == SQLITE_OK ? sqlite3_last_insert_rowid (t->db) : 0;
      return rc;
    }
  rowid = sqlite3_column_int64 (t->find, 0);
  last = sqlite3_column_int64 (t->find, 1);
  n = (guint) sqlite3_column_int64 (t->find, 2);
  /* The row as t->tail left it (a statement rolled back changes its
   * count or last start): append. */
  if (rowid == t->tail_rowid && c->lane == iv->v[COL_LANE] && n == c->n && last == c->last_start
      && iv->v[COL_START] >= last)
    {
      sqlite3_reset (t->find);
      chunk_append (c, t->info->n_cols, iv);
    }
  else
    {
      ivs = g_new (Ival, n + 1);
      if (!chunk_decode (sqlite3_column_blob (t->find, 3), (gsize) sqlite3_column_bytes (t->find, 3), n,
                         t->info->n_cols, iv->v[COL_LANE], ivs))
        {
          sqlite3_reset (t->find);
          return SQLITE_CORRUPT;
        }
      sqlite3_reset (t->find);
      for (at = n; at > 0 && ivs[at - 1].v[COL_START] > iv->v[COL_START]; at--)
        ;
      memmove (&ivs[at + 1], &ivs[at], (n - at) * sizeof (Ival));
      ivs[at] = *iv;
      chunk_reset (c);
      c->lane = iv->v[COL_LANE];
      for (guint i = 0; i <= n; i++)
        chunk_append (c, t->info->n_cols, &ivs[i]);
    }
  t->tail_rowid = 0;
  if ((rc = prepare (t, &t->update,
                     "UPDATE %s SET start_ns = ?2, last_start = ?3, end_ns = ?4, max_id = ?5, open_end = ?6, n = ?7, "
                     "data = ?8 WHERE rowid = ?1"))
      != SQLITE_OK)
    return rc;
  sqlite3_bind_int64 (t->update, 1, rowid);
  sqlite3_bind_int64 (t->update, 2, c->first_start);
  sqlite3_bind_int64 (t->update, 3, c->last_start);
  sqlite3_bind_int64 (t->update, 4, c->max_end);
  sqlite3_bind_int64 (t->update, 5, c->max_id);
  sqlite3_bind_int (t->update, 6, c->open_end);
  sqlite3_bind_int64 (t->update, 7, c->n);
  sqlite3_bind_blob (t->update, 8, c->data.data, (int) c->data.len, SQLITE_STATIC);
  rc = sqlite3_step (t->update);
  sqlite3_reset (t->update);
  if (rc != SQLITE_DONE)
    return rc;
  t->tail_rowid = rowid;
  return SQLITE_OK;
}

static gboolean
p_running (WeftLaneTable which, const Ival *iv)
{
  return which == WEFT_LANE_GSTATE && iv->v[GSTATE_STATE] == 0 && !(iv->nulls & (1u << GSTATE_P));
}

/* @iv keyed by its P instead of its goroutine. */
static Ival
by_p (const Ival *iv)
{
  Ival p = *iv;

  p.v[COL_LANE] = iv->v[GSTATE_P];
  p.v[GSTATE_P] = iv->v[COL_LANE];
  return p;
}

/* ------------------------------------------------------------------ the virtual tables */

/* The first column of @sql's first row, its parameters bound to @args;
 * *@out is left as it was when there is no row. */
static int
query_int64 (sqlite3 *db, const char *sql, const gint64 *args, int n_args, gint64 *out)
{
  sqlite3_stmt *s;
  int           rc;

  if ((rc = sqlite3_prepare_v2 (db, sql, -1, &s, NULL)) != SQLITE_OK)
    return rc;
  for (int i = 0; i < n_args; i++)
    sqlite3_bind_int64 (s, i + 1, args[i]);
  rc = sqlite3_step (s);
  if (rc == SQLITE_ROW)
    *out = sqlite3_column_int64 (s, 0);
  sqlite3_finalize (s);
  return rc == SQLITE_ROW || rc == SQLITE_DONE ? SQLITE_OK : rc;
}

/* xOpen of every module: a zeroed cursor of @size bytes. */
static int
cursor_open (gsize size, sqlite3_vtab_cursor **cursor)
{
  sqlite3_vtab_cursor *c = sqlite3_malloc64 (size);

  if (c == NULL)
    return SQLITE_NOMEM;
  memset (c, 0, size);
  *cursor = c;
  return SQLITE_OK;
}

typedef struct
{
  sqlite3_vtab  base;
  WeftLaneTable which;
  ChunkTable    chunks, p_chunks;
  gint64        next_id; /* 0: not read yet */
} LaneVtab;

/* idxNum bits. */
enum
{
  PLAN_LANE = 1 << 0,    /* argv: the lane */
  PLAN_BY_P = 1 << 1,    /* gstate's P chunks (state = 0 AND p = X) */
  PLAN_LO = 1 << 2,      /* argv: a lower bound of start_ns */
  PLAN_HI = 1 << 3,      /* argv: an upper bound of start_ns */
  PLAN_DESC = 1 << 4,    /* rows in descending start_ns order */
  PLAN_OPEN = 1 << 5,    /* open_end = 1: only chunks holding such a row */
  PLAN_BY_LANE = 1 << 6, /* every row, in lane order (MAX(m) FROM mstate) */
  PLAN_NULL_P = 1 << 7,  /* then gstate's running rows with a NULL p */
};

typedef struct
{
  sqlite3_vtab_cursor base;
  sqlite3_stmt       *chunks;
  int                 plan;
  gint64              lo, hi;
  gboolean            null_p; /* reading the rows PLAN_NULL_P adds */
  Ival               *ivs;
  guint               n, cap, i;
  gboolean            eof;
} LaneCursor;

static int
lane_connect (sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vtab, char **err)
{
  WeftLaneTable which = (WeftLaneTable) GPOINTER_TO_INT (aux);
  LaneVtab     *t;
  int           rc;

  (void) argc, (void) argv, (void) err;
  if ((rc = sqlite3_declare_vtab (db, tables[which].decl)) != SQLITE_OK)
    return rc;
  t = sqlite3_malloc (sizeof *t);
  if (t == NULL)
    return SQLITE_NOMEM;
  memset (t, 0, sizeof *t);
  t->which = which;
  chunk_table_init (&t->chunks, db, which, FALSE);
  chunk_table_init (&t->p_chunks, db, which, TRUE);
  *vtab = &t->base;
  return SQLITE_OK;
}

static int
lane_disconnect (sqlite3_vtab *vtab)
{
  LaneVtab *t = (LaneVtab *) vtab;

  chunk_table_clear (&t->chunks);
  chunk_table_clear (&t->p_chunks);
  sqlite3_free (t);
  return SQLITE_OK;
}

/* The plan in EXPLAIN QUERY PLAN's words: which chunks, searched how. */
G_GNUC_PRINTF (2, 3)
static void
describe (sqlite3_index_info *info, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  info->idxStr = sqlite3_vmprintf (format, args);
  info->needToFreeIdxStr = 1;
  va_end (args);
}

static int
lane_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
  LaneVtab *t = (LaneVtab *) vtab;
  int       lane = -1, state0 = -1, p = -1, lo = -1, hi = -1, open = -1, plan = 0, argv = 0;
  int       open_col = (int) tables[t->which].n_cols - 1;

  for (int i = 0; i < info->nConstraint; i++)
    {
      const struct sqlite3_index_constraint *c = &info->aConstraint[i];
      sqlite3_value                         *v = NULL;

      if (!c->usable)
        continue;
      if (c->iColumn == COL_LANE && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
        lane = i;
      else if (c->iColumn == COL_START
               && (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE))
        lo = i;
      else if (c->iColumn == COL_START
               && (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE))
        hi = i;
      else if (t->which == WEFT_LANE_GSTATE && c->iColumn == GSTATE_P && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
        p = i;
      else if (t->which == WEFT_LANE_GSTATE && c->iColumn == GSTATE_STATE && c->op == SQLITE_INDEX_CONSTRAINT_EQ
               && sqlite3_vtab_rhs_value (info, i, &v) == SQLITE_OK && sqlite3_value_type (v) == SQLITE_INTEGER
               && sqlite3_value_int64 (v) == 0)
        state0 = i;
      else if (c->iColumn == open_col && c->op == SQLITE_INDEX_CONSTRAINT_EQ
               && sqlite3_vtab_rhs_value (info, i, &v) == SQLITE_OK && sqlite3_value_type (v) == SQLITE_INTEGER
               && sqlite3_value_int64 (v) == 1)
        open = i;
    }
  if (lane >= 0)
    {
      plan = PLAN_LANE;
      info->aConstraintUsage[lane].argvIndex = ++argv;
    }
  else if (p >= 0 && state0 >= 0)
    {
      plan = PLAN_LANE | PLAN_BY_P;
      info->aConstraintUsage[p].argvIndex = ++argv;
    }
  if (plan == 0 && open >= 0)
    {
      /* Intervals still going on at the end (the leak analysis): the
       * last chunk of some lanes. */
      info->estimatedCost = 1e4;
      info->estimatedRows = 1000;
      info->idxNum = PLAN_OPEN;
      describe (info, "%s_chunk (open_end=1)", tables[t->which].name);
      return SQLITE_OK;
    }
  if (plan == 0 && info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_LANE)
    {
      /* In lane order, which the chunks' index gives: the viewer's
       * MAX(m) FROM mstate, a first row. */
      info->orderByConsumed = 1;
      info->estimatedCost = 1e6;
      info->estimatedRows = 10000000;
      info->idxNum = PLAN_BY_LANE | (info->aOrderBy[0].desc ? PLAN_DESC : 0);
      describe (info, "%s_chunk (lane order)%s", tables[t->which].name, info->aOrderBy[0].desc ? " DESC" : "");
      return SQLITE_OK;
    }
  if (plan == 0 && state0 >= 0 && info->nOrderBy == 1 && info->aOrderBy[0].iColumn == GSTATE_P
      && info->aOrderBy[0].desc)
    {
      /* gstate's running rows by P, largest first, those without one
       * last (NULL is the smallest): the viewer's MAX(p) WHERE state = 0,
       * a first row. */
      info->orderByConsumed = 1;
      info->estimatedCost = 1e6;
      info->estimatedRows = 10000000;
      info->idxNum = PLAN_BY_LANE | PLAN_BY_P | PLAN_DESC | PLAN_NULL_P;
      describe (info, "gstate_p_chunk (lane order) DESC, then gstate_chunk (p IS NULL)");
      return SQLITE_OK;
    }
  if (plan == 0)
    {
      /* A scan of every interval: the analyses'. */
      info->estimatedCost = 1e7;
      info->estimatedRows = 10000000;
      info->idxNum = 0;
      return SQLITE_OK;
    }
  if (lo >= 0)
    {
      plan |= PLAN_LO;
      info->aConstraintUsage[lo].argvIndex = ++argv;
    }
  if (hi >= 0)
    {
      plan |= PLAN_HI;
      info->aConstraintUsage[hi].argvIndex = ++argv;
    }
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == COL_START)
    {
      info->orderByConsumed = 1;
      if (info->aOrderBy[0].desc)
        plan |= PLAN_DESC;
    }
  info->idxNum = plan;
  describe (info, "%s_%schunk (lane=?%s%s)%s", tables[t->which].name, (plan & PLAN_BY_P) ? "p_" : "",
            (plan & PLAN_LO) ? " AND start_ns>?" : "", (plan & PLAN_HI) ? " AND start_ns<?" : "",
            (plan & PLAN_DESC) ? " DESC" : "");
  info->estimatedCost = (plan & (PLAN_LO | PLAN_HI)) ? 20 : 1000;
  info->estimatedRows = (plan & (PLAN_LO | PLAN_HI)) ? 10 : 1000;
  return SQLITE_OK;
}

static int
lane_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
  (void) vtab;
  return cursor_open (sizeof (LaneCursor), cursor);
}

static int
lane_close (sqlite3_vtab_cursor *cursor)
{
  LaneCursor *c = (LaneCursor *) cursor;

  sqlite3_finalize (c->chunks);
  g_free (c->ivs);
  sqlite3_free (c);
  return SQLITE_OK;
}

/* Decodes the next chunk that may hold a wanted interval; at the end of
 * the chunks, sets eof. */
static int
next_chunk (LaneCursor *c)
{
  LaneVtab *t = (LaneVtab *) c->base.pVtab;
  int       rc;

  for (;;)
    {
      gint64 lane, first, last;
      guint  n;

      if ((rc = sqlite3_step (c->chunks)) == SQLITE_DONE && (c->plan & PLAN_NULL_P) && !c->null_p)
        {
          g_autofree char *sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s", t->chunks.table);

          c->null_p = TRUE;
          sqlite3_finalize (c->chunks);
          if ((rc = sqlite3_prepare_v2 (t->chunks.db, sql, -1, &c->chunks, NULL)) != SQLITE_OK)
            return rc;
          continue;
        }
      if (rc != SQLITE_ROW)
        {
          c->eof = TRUE;
          return rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
      lane = sqlite3_column_int64 (c->chunks, 0);
      first = sqlite3_column_int64 (c->chunks, 1);
      last = sqlite3_column_int64 (c->chunks, 2);
      n = (guint) sqlite3_column_int64 (c->chunks, 3);
      /* Chunks come in start order: past the bound, none is wanted. */
      if ((c->plan & PLAN_HI) && !(c->plan & PLAN_DESC) && first > c->hi)
        {
          c->eof = TRUE;
          return SQLITE_OK;
        }
      if ((c->plan & PLAN_LO) && (c->plan & PLAN_DESC) && last < c->lo)
        {
          c->eof = TRUE;
          return SQLITE_OK;
        }
      if (!decode_row (c->chunks, lane, n, tables[t->which].n_cols, &c->ivs, &c->cap))
        return corrupt_chunk (&t->base, tables[t->which].name, lane);
      if (c->null_p)
        {
          guint kept = 0;

          for (guint i = 0; i < n; i++)
            if (c->ivs[i].v[GSTATE_STATE] == 0 && (c->ivs[i].nulls & (1u << GSTATE_P)))
              c->ivs[kept++] = c->ivs[i];
          n = kept;
        }
      else if (c->plan & PLAN_BY_P)
        for (guint i = 0; i < n; i++)
          c->ivs[i] = by_p (&c->ivs[i]);
      c->n = n;
      c->i = 0;
      if (n > 0)
        return SQLITE_OK;
    }
}

static int
lane_filter (sqlite3_vtab_cursor *cursor, int plan, const char *idx_str, int argc, sqlite3_value **argv)
{
  LaneCursor      *c = (LaneCursor *) cursor;
  LaneVtab        *t = (LaneVtab *) cursor->pVtab;
  ChunkTable      *ct = (plan & PLAN_BY_P) ? &t->p_chunks : &t->chunks;
  g_autofree char *sql = NULL;
  gint64           lane = 0, from = G_MININT64;
  int              a = 0, rc;

  (void) idx_str, (void) argc;
  c->plan = plan;
  c->n = c->i = 0;
  c->eof = FALSE;
  c->null_p = FALSE;
  c->lo = G_MININT64;
  c->hi = G_MAXINT64;
  if (plan & PLAN_LANE)
    {
      if (sqlite3_value_type (argv[a]) != SQLITE_INTEGER)
        {
          c->eof = TRUE; /* lanes are integers: nothing equals NULL or text */
          return SQLITE_OK;
        }
      lane = sqlite3_value_int64 (argv[a++]);
    }
  /* A NULL bound matches nothing: SQLite's own check drops every row. */
  if (plan & PLAN_LO)
    {
      c->lo = sqlite3_value_type (argv[a]) == SQLITE_NULL ? G_MAXINT64 : sqlite3_value_int64 (argv[a]);
      a++;
    }
  if (plan & PLAN_HI)
    c->hi = sqlite3_value_type (argv[a]) == SQLITE_NULL ? G_MININT64 : sqlite3_value_int64 (argv[a]);
  sqlite3_finalize (c->chunks);
  c->chunks = NULL;
  if (plan & PLAN_BY_LANE)
    sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s ORDER BY lane %s, start_ns %s", ct->table,
                           (plan & PLAN_DESC) ? "DESC" : "", (plan & PLAN_DESC) ? "DESC" : "");
  else if (plan & PLAN_OPEN)
    sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s WHERE open_end = 1", ct->table);
  else if (!(plan & PLAN_LANE))
    sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s", ct->table);
  else if (plan & PLAN_DESC)
    sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s WHERE lane = ?1 AND start_ns <= ?2 "
                           "ORDER BY start_ns DESC",
                           ct->table);
  else
    {
      /* The chunks before the last one starting before lo end before it
       * (the invariants above). */
      if (plan & PLAN_LO)
        {
          g_autofree char *first = g_strdup_printf (
              "SELECT start_ns FROM %s WHERE lane = ?1 AND start_ns < ?2 ORDER BY start_ns DESC LIMIT 1", ct->table);

          if ((rc = query_int64 (t->chunks.db, first, (gint64[]){ lane, c->lo }, 2, &from)) != SQLITE_OK)
            return rc;
        }
      sql = g_strdup_printf ("SELECT lane, start_ns, last_start, n, data FROM %s WHERE lane = ?1 AND start_ns >= ?3 "
                             "ORDER BY start_ns",
                             ct->table);
    }
  if ((rc = sqlite3_prepare_v2 (t->chunks.db, sql, -1, &c->chunks, NULL)) != SQLITE_OK)
    return rc;
  if (plan & PLAN_LANE)
    {
      sqlite3_bind_int64 (c->chunks, 1, lane);
      sqlite3_bind_int64 (c->chunks, (plan & PLAN_DESC) ? 2 : 3, (plan & PLAN_DESC) ? c->hi : from);
    }
  return next_chunk (c);
}

static int
lane_next (sqlite3_vtab_cursor *cursor)
{
  LaneCursor *c = (LaneCursor *) cursor;

  if (++c->i < c->n)
    return SQLITE_OK;
  return next_chunk (c);
}

static int
lane_eof (sqlite3_vtab_cursor *cursor)
{
  return ((LaneCursor *) cursor)->eof;
}

static const Ival *
current (LaneCursor *c)
{
  return &c->ivs[(c->plan & PLAN_DESC) ? c->n - 1 - c->i : c->i];
}

static int
lane_column (sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int col)
{
  const Ival *iv = current ((LaneCursor *) cursor);

  if (iv->nulls & (1u << col))
    sqlite3_result_null (ctx);
  else
    sqlite3_result_int64 (ctx, iv->v[col]);
  return SQLITE_OK;
}

static int
lane_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
  *rowid = current ((LaneCursor *) cursor)->v[COL_ID];
  return SQLITE_OK;
}

/* The next id of a row inserted without one: after the largest. */
static int
next_id (LaneVtab *t, gint64 *id)
{
  if (t->next_id == 0)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT IFNULL (MAX (max_id), 0) + 1 FROM %s", t->chunks.table);
      int              rc = query_int64 (t->chunks.db, sql, NULL, 0, &t->next_id);

      if (rc != SQLITE_OK)
        return rc;
    }
  *id = t->next_id++;
  return SQLITE_OK;
}

/* INSERT only: the lane tables are written once, by a load. */
static int
lane_update (sqlite3_vtab *vtab, int argc, sqlite3_value **argv, sqlite3_int64 *rowid)
{
  LaneVtab *t = (LaneVtab *) vtab;
  Ival      iv = { 0 };
  int       rc;

  if (argc == 1 || sqlite3_value_type (argv[0]) != SQLITE_NULL)
    {
      sqlite3_free (vtab->zErrMsg);
      vtab->zErrMsg = sqlite3_mprintf ("%s: rows can be inserted, not changed or deleted", tables[t->which].name);
      return SQLITE_READONLY;
    }
  for (guint col = 0; col < tables[t->which].n_cols; col++)
    {
      sqlite3_value *v = argv[2 + col];

      /* open_start and open_end, the last two columns, default to 0 (a
       * virtual table's declared defaults are not applied). */
      if (sqlite3_value_type (v) == SQLITE_NULL && col + 2 < tables[t->which].n_cols)
        iv.nulls |= 1u << col;
      else if (sqlite3_value_type (v) == SQLITE_NULL)
        iv.v[col] = 0;
      else
        iv.v[col] = sqlite3_value_int64 (v);
    }
  if (sqlite3_value_type (argv[1]) != SQLITE_NULL)
    {
      iv.nulls &= ~1u;
      iv.v[COL_ID] = sqlite3_value_int64 (argv[1]);
    }
  if (iv.nulls & 1u)
    {
      if ((rc = next_id (t, &iv.v[COL_ID])) != SQLITE_OK)
        return rc;
      iv.nulls &= ~1u;
    }
  else if (t->next_id != 0)
    t->next_id = MAX (t->next_id, iv.v[COL_ID] + 1);
  if (iv.nulls & ((1u << COL_LANE) | (1u << COL_START) | (1u << COL_END)))
    {
      sqlite3_free (vtab->zErrMsg);
      vtab->zErrMsg = sqlite3_mprintf ("%s: NOT NULL constraint failed (lane, start_ns, end_ns)",
                                       tables[t->which].name);
      return SQLITE_CONSTRAINT;
    }
  *rowid = iv.v[COL_ID];
  if ((rc = insert_one (&t->chunks, &iv)) != SQLITE_OK)
    return rc;
  if (p_running (t->which, &iv))
    {
      Ival p = by_p (&iv);

      rc = insert_one (&t->p_chunks, &p);
    }
  return rc;
}

static const sqlite3_module lane_module = {
  .xConnect = lane_connect,
  .xBestIndex = lane_best_index,
  .xDisconnect = lane_disconnect,
  .xOpen = lane_open,
  .xClose = lane_close,
  .xFilter = lane_filter,
  .xNext = lane_next,
  .xEof = lane_eof,
  .xColumn = lane_column,
  .xRowid = lane_rowid,
  .xUpdate = lane_update,
};

static const sqlite3_module lod_module, totals_module;

/* Registers gstate, pstate, mstate, lod_bucket and gstate_totals on @db. */
int
weft_lanes_register (sqlite3 *db)
{
  int rc;

  for (int i = 0; i < WEFT_LANE_N_TABLES; i++)
    if ((rc = sqlite3_create_module_v2 (db, tables[i].name, &lane_module, GINT_TO_POINTER (i), NULL)) != SQLITE_OK)
      return rc;
  if ((rc = sqlite3_create_module_v2 (db, "lod_bucket", &lod_module, NULL, NULL)) != SQLITE_OK)
    return rc;
  return sqlite3_create_module_v2 (db, "gstate_totals", &totals_module, NULL, NULL);
}

/* ------------------------------------------------------------------ the packer */

/* Bytes of open chunks past which all are written out, whatever their
 * size: what bounds the packer's memory with many live lanes. */
#define PENDING_BUDGET (64 << 20)

#define OPEN_CACHE 1024

struct _WeftLanePacker
{
  WeftLaneTable which;
  ChunkTable    chunks, p_chunks;
  GHashTable   *open, *p_open; /* lane → Chunk */
  /* In front of open and p_open, direct-mapped by the lane's low bits: a
   * hash look-up per interval was a tenth of the writer thread. A slot
   * holds a chunk of its table or NULL. */
  Chunk *open_cache[OPEN_CACHE], *p_open_cache[OPEN_CACHE];
  /* lane → Seen: lanes whose open chunk the budget wrote out, and the
   * last start written, so that an interval before it is still merged
   * (the chunks of a lane must not interleave). */
  GHashTable *seen, *p_seen;
  gsize       pending;
  gint64      next_id;
  int         rc;
};

typedef struct
{
  gint64 lane, last_start;
} Seen;

static inline Chunk **
cache_slot (Chunk **cache, gint64 lane)
{
  return &cache[(guint64) lane & (OPEN_CACHE - 1)];
}

static void
chunk_free (gpointer data)
{
  Chunk *c = data;

  g_free (c->data.data);
  g_free (c);
}

WeftLanePacker *
weft_lane_packer_new (sqlite3 *db, WeftLaneTable which)
{
  WeftLanePacker *self = g_new0 (WeftLanePacker, 1);

  self->which = which;
  chunk_table_init (&self->chunks, db, which, FALSE);
  chunk_table_init (&self->p_chunks, db, which, TRUE);
  self->open = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, chunk_free);
  self->p_open = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, chunk_free);
  self->seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  self->p_seen = g_hash_table_new_full (g_int64_hash, g_int64_equal, NULL, g_free);
  self->next_id = 1;
  return self;
}

static void
fail (WeftLanePacker *self, int rc)
{
  if (self->rc == SQLITE_OK)
    self->rc = rc;
}

/* Writes every open chunk; with @seen, forgets them, keeping only their
 * lane's last start there. */
static void
flush_all (WeftLanePacker *self, GHashTable *open, Chunk **cache, GHashTable *seen, ChunkTable *t)
{
  GHashTableIter iter;
  gpointer       value;

  g_hash_table_iter_init (&iter, open);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    {
      Chunk *c = value;

      fail (self, write_chunk (t, c));
      chunk_reset (c);
      if (seen != NULL)
        {
          Seen *x = g_new (Seen, 1);

          *x = (Seen){ c->lane, c->last_start };
          g_hash_table_replace (seen, &x->lane, x);
        }
    }
  if (seen != NULL)
    {
      g_hash_table_remove_all (open);
      memset (cache, 0, OPEN_CACHE * sizeof *cache);
    }
}

static void
pack (WeftLanePacker *self, GHashTable *open, Chunk **cache, GHashTable *seen, ChunkTable *t, const Ival *iv)
{
  Chunk **slot = cache_slot (cache, iv->v[COL_LANE]);
  Chunk  *c = *slot;

  if (G_UNLIKELY (c == NULL || c->lane != iv->v[COL_LANE]))
    *slot = c = g_hash_table_lookup (open, &iv->v[COL_LANE]);
  if (c == NULL)
    {
      Seen *x = g_hash_table_lookup (seen, &iv->v[COL_LANE]);

      c = g_new0 (Chunk, 1);
      c->lane = iv->v[COL_LANE];
      c->last_start = x != NULL ? x->last_start : G_MININT64;
      g_hash_table_remove (seen, &iv->v[COL_LANE]);
      g_hash_table_insert (open, &c->lane, c);
      *slot = c;
      self->pending += 256;
    }
  if (iv->v[COL_START] < c->last_start)
    {
      /* Out of order: written where it belongs, among the written
       * chunks. */
      fail (self, write_chunk (t, c));
      self->pending -= c->data.len;
      chunk_reset (c);
      fail (self, insert_one (t, iv));
      return;
    }
  self->pending -= c->data.len;
  chunk_append (c, t->info->n_cols, iv);
  self->pending += c->data.len;
  if (c->n == WEFT_LANE_CHUNK)
    {
      fail (self, write_chunk (t, c));
      self->pending -= c->data.len;
      chunk_reset (c);
    }
}

/* Adds one interval: @v the table's columns after id, @nulls its NULL
 * columns (bit i: v[i]). Intervals of a lane come in start order (others
 * are merged in, slowly). FALSE once SQLite failed. */
gboolean
weft_lane_packer_add (WeftLanePacker *self, const gint64 *v, guint32 nulls)
{
  Ival iv;

  iv.v[COL_ID] = self->next_id++;
  memcpy (&iv.v[1], v, (tables[self->which].n_cols - 1) * sizeof (gint64));
  iv.nulls = nulls << 1;
  pack (self, self->open, self->open_cache, self->seen, &self->chunks, &iv);
  if (p_running (self->which, &iv))
    {
      Ival p = by_p (&iv);

      pack (self, self->p_open, self->p_open_cache, self->p_seen, &self->p_chunks, &p);
    }
  if (self->pending > PENDING_BUDGET)
    {
      flush_all (self, self->open, self->open_cache, self->seen, &self->chunks);
      flush_all (self, self->p_open, self->p_open_cache, self->p_seen, &self->p_chunks);
      self->pending = 0;
    }
  return self->rc == SQLITE_OK;
}

/* Lane @lane has ended (a goroutine exited): its open chunk is written
 * and forgotten. */
gboolean
weft_lane_packer_end_lane (WeftLanePacker *self, gint64 lane)
{
  Chunk *c = g_hash_table_lookup (self->open, &lane);

  if (c != NULL)
    {
      fail (self, write_chunk (&self->chunks, c));
      self->pending -= MIN (self->pending, c->data.len + 256);
      if (*cache_slot (self->open_cache, lane) == c)
        *cache_slot (self->open_cache, lane) = NULL;
      g_hash_table_remove (self->open, &lane);
    }
  g_hash_table_remove (self->seen, &lane);
  return self->rc == SQLITE_OK;
}

/* Writes the open chunks and frees @self; FALSE if SQLite failed (the
 * error is the connection's). @rows, if not NULL, receives the number of
 * chunk rows inserted. */
gboolean
weft_lane_packer_close (WeftLanePacker *self, guint64 *rows)
{
  gboolean ok;

  flush_all (self, self->open, self->open_cache, NULL, &self->chunks);
  flush_all (self, self->p_open, self->p_open_cache, NULL, &self->p_chunks);
  ok = self->rc == SQLITE_OK;
  if (rows != NULL)
    *rows = self->chunks.rows + self->p_chunks.rows;
  g_hash_table_unref (self->open);
  g_hash_table_unref (self->p_open);
  g_hash_table_unref (self->seen);
  g_hash_table_unref (self->p_seen);
  chunk_table_clear (&self->chunks);
  chunk_table_clear (&self->p_chunks);
  g_free (self);
  return ok;
}

/* ------------------------------------------------------------------ lod_bucket */

/* The level of detail's buckets (schema/weft-lod.sql) are packed the same
 * way: up to WEFT_LANE_CHUNK buckets of one (lane, level) per row of
 * lod_chunk, in bucket order, as zigzag varints of bucket, key and cover
 * less the previous bucket's. weft-lod.c writes them in key order, so one
 * chunk is open at a time; the virtual table lod_bucket answers "lane = X
 * AND level = Y" with bucket bounds from that (lane, level)'s chunks in
 * the window, in bucket order. */

#define LOD_COLS 3 /* bucket, key, cover: the packed columns */

typedef struct
{
  gint64 lane, level, first, last;
  guint  n;
  gint64 prev[LOD_COLS];
  Bytes  data;
} LodChunk;

struct _WeftLodPacker
{
  sqlite3      *db;
  sqlite3_stmt *insert;
  LodChunk      c;
  int           rc;
  guint64       rows; /* lod_chunk rows inserted */
};

WeftLodPacker *
weft_lod_packer_new (sqlite3 *db)
{
  WeftLodPacker *self = g_new0 (WeftLodPacker, 1);

  self->db = db;
  return self;
}

static void
lod_write (WeftLodPacker *self)
{
  LodChunk *c = &self->c;
  int       rc = SQLITE_OK;

  if (c->n == 0 || self->rc != SQLITE_OK)
    return;
  if (self->insert == NULL)
    rc = sqlite3_prepare_v3 (self->db, "INSERT INTO lod_chunk (lane, level, first, last, n, data) VALUES (?, ?, ?, ?, ?, ?)",
                             -1, SQLITE_PREPARE_PERSISTENT, &self->insert, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (self->insert, 1, c->lane);
      sqlite3_bind_int64 (self->insert, 2, c->level);
      sqlite3_bind_int64 (self->insert, 3, c->first);
      sqlite3_bind_int64 (self->insert, 4, c->last);
      sqlite3_bind_int64 (self->insert, 5, c->n);
      sqlite3_bind_blob (self->insert, 6, c->data.data, (int) c->data.len, SQLITE_STATIC);
      rc = sqlite3_step (self->insert);
      sqlite3_reset (self->insert);
      if (rc == SQLITE_DONE)
        {
          self->rows++;
          rc = SQLITE_OK;
        }
    }
  self->rc = rc;
  c->n = 0;
  c->data.len = 0;
  memset (c->prev, 0, sizeof c->prev);
}

/* Adds one bucket; buckets come in (lane, level, bucket) order, anything
 * else is an error (FALSE, as when SQLite failed). */
gboolean
weft_lod_packer_add (WeftLodPacker *self, gint64 lane, gint64 level, gint64 bucket, gint64 key, gint64 cover)
{
  LodChunk    *c = &self->c;
  const gint64 v[LOD_COLS] = { bucket, key, cover };

  if (c->n > 0 && (lane != c->lane || level != c->level || c->n == WEFT_LANE_CHUNK))
    {
      if (lane < c->lane || (lane == c->lane && level < c->level))
        self->rc = SQLITE_MISUSE;
      lod_write (self);
    }
  else if (c->n > 0 && bucket <= c->last)
    self->rc = SQLITE_MISUSE;
  if (self->rc != SQLITE_OK)
    return FALSE;
  if (c->n == 0)
    {
      c->lane = lane;
      c->level = level;
      c->first = bucket;
    }
  bytes_reserve (&c->data, LOD_COLS * WEFT_VARINT_MAX);
  for (int i = 0; i < LOD_COLS; i++)
    {
      put_varint (&c->data, weft_zigzag ((gint64) ((guint64) v[i] - (guint64) c->prev[i])));
      c->prev[i] = v[i];
    }
  c->last = bucket;
  c->n++;
  return TRUE;
}

/* Writes the open chunk and frees @self; FALSE if a bucket came out of
 * order or SQLite failed. */
gboolean
weft_lod_packer_close (WeftLodPacker *self, guint64 *rows)
{
  gboolean ok;

  lod_write (self);
  ok = self->rc == SQLITE_OK;
  if (rows != NULL)
    *rows = self->rows;
  sqlite3_finalize (self->insert);
  g_free (self->c.data.data);
  g_free (self);
  return ok;
}

enum
{
  LOD_LANE,
  LOD_LEVEL,
  LOD_BUCKET,
  LOD_KEY,
  LOD_COVER
};

typedef struct
{
  sqlite3_vtab_cursor base;
  sqlite3_stmt       *chunks;
  gboolean            ranged, eof;
  gint64              hi;
  gint64              lane, level;
  gint64             *v; /* [cap][LOD_COLS] */
  guint               n, cap, i;
} LodCursor;

/* A virtual table that keeps only its connection (lod_bucket,
 * gstate_totals). */
typedef struct
{
  sqlite3_vtab base;
  sqlite3     *db;
} DbVtab;

/* xConnect of a DbVtab declared as @decl. */
static int
db_vtab_connect (sqlite3 *db, const char *decl, sqlite3_vtab **vtab)
{
  DbVtab *t;
  int     rc;

  if ((rc = sqlite3_declare_vtab (db, decl)) != SQLITE_OK)
    return rc;
  if ((t = sqlite3_malloc (sizeof *t)) == NULL)
    return SQLITE_NOMEM;
  memset (t, 0, sizeof *t);
  t->db = db;
  *vtab = &t->base;
  return SQLITE_OK;
}

static int
db_vtab_disconnect (sqlite3_vtab *vtab)
{
  sqlite3_free (vtab);
  return SQLITE_OK;
}

static int
lod_connect (sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vtab, char **err)
{
  (void) aux, (void) argc, (void) argv, (void) err;
  return db_vtab_connect (db,
                          "CREATE TABLE x (lane INTEGER NOT NULL, level INTEGER NOT NULL, bucket INTEGER NOT NULL, "
                          "key INTEGER NOT NULL, cover INTEGER NOT NULL)",
                          vtab);
}

/* idxNum: 1 lane and level (argv 1, 2), | 2 a lower bound of bucket, | 4
 * an upper bound (argv next); 0 every bucket. */
static int
lod_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
  int lane = -1, level = -1, lo = -1, hi = -1, argv = 0;

  (void) vtab;
  for (int i = 0; i < info->nConstraint; i++)
    {
      const struct sqlite3_index_constraint *c = &info->aConstraint[i];

      if (!c->usable)
        continue;
      if (c->iColumn == LOD_LANE && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
        lane = i;
      else if (c->iColumn == LOD_LEVEL && c->op == SQLITE_INDEX_CONSTRAINT_EQ)
        level = i;
      else if (c->iColumn == LOD_BUCKET && (c->op == SQLITE_INDEX_CONSTRAINT_GT || c->op == SQLITE_INDEX_CONSTRAINT_GE))
        lo = i;
      else if (c->iColumn == LOD_BUCKET && (c->op == SQLITE_INDEX_CONSTRAINT_LT || c->op == SQLITE_INDEX_CONSTRAINT_LE))
        hi = i;
      else if (c->iColumn == LOD_BUCKET && c->op == SQLITE_INDEX_CONSTRAINT_EQ && lo < 0)
        lo = i;
    }
  if (lane < 0 || level < 0)
    {
      info->idxNum = 0;
      info->estimatedCost = 1e7;
      info->estimatedRows = 10000000;
      return SQLITE_OK;
    }
  info->idxNum = 1;
  info->aConstraintUsage[lane].argvIndex = ++argv;
  info->aConstraintUsage[level].argvIndex = ++argv;
  if (lo >= 0)
    {
      info->idxNum |= 2;
      info->aConstraintUsage[lo].argvIndex = ++argv;
    }
  if (hi >= 0)
    {
      info->idxNum |= 4;
      info->aConstraintUsage[hi].argvIndex = ++argv;
    }
  if (info->nOrderBy == 1 && info->aOrderBy[0].iColumn == LOD_BUCKET && !info->aOrderBy[0].desc)
    info->orderByConsumed = 1;
  describe (info, "lod_chunk (lane=? AND level=?%s%s)", lo >= 0 ? " AND bucket>?" : "", hi >= 0 ? " AND bucket<?" : "");
  info->estimatedCost = 20;
  info->estimatedRows = 100;
  return SQLITE_OK;
}

static int
lod_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
  (void) vtab;
  return cursor_open (sizeof (LodCursor), cursor);
}

static int
lod_close (sqlite3_vtab_cursor *cursor)
{
  LodCursor *c = (LodCursor *) cursor;

  sqlite3_finalize (c->chunks);
  g_free (c->v);
  sqlite3_free (c);
  return SQLITE_OK;
}

static int
lod_next_chunk (LodCursor *c)
{
  for (;;)
    {
      const guint8 *p, *end;
      gint64        prev[LOD_COLS] = { 0 };
      guint         n;
      int           rc;

      if ((rc = sqlite3_step (c->chunks)) != SQLITE_ROW)
        {
          c->eof = TRUE;
          return rc == SQLITE_DONE ? SQLITE_OK : rc;
        }
      if (c->ranged && sqlite3_column_int64 (c->chunks, 2) > c->hi)
        {
          c->eof = TRUE;
          return SQLITE_OK;
        }
      c->lane = sqlite3_column_int64 (c->chunks, 0);
      c->level = sqlite3_column_int64 (c->chunks, 1);
      n = (guint) sqlite3_column_int64 (c->chunks, 3);
      if (n > c->cap)
        {
          c->cap = MAX (n, 2 * c->cap);
          c->v = g_renew (gint64, c->v, (gsize) c->cap * LOD_COLS);
        }
      p = sqlite3_column_blob (c->chunks, 4);
      end = p + sqlite3_column_bytes (c->chunks, 4);
      for (guint i = 0; i < n * LOD_COLS; i++)
        {
          guint64 x;

          if (!weft_get_varint (&p, end, &x))
            return corrupt_chunk (c->base.pVtab, "lod_bucket", c->lane);
          c->v[i] = prev[i % LOD_COLS] = (gint64) ((guint64) prev[i % LOD_COLS] + (guint64) weft_unzigzag (x));
        }
      c->n = n;
      c->i = 0;
      if (n > 0)
        return SQLITE_OK;
    }
}

static int
lod_filter (sqlite3_vtab_cursor *cursor, int plan, const char *idx_str, int argc, sqlite3_value **argv)
{
  LodCursor *c = (LodCursor *) cursor;
  sqlite3   *db = ((DbVtab *) cursor->pVtab)->db;
  gint64     lane = 0, level = 0, lo = G_MININT64, from = G_MININT64;
  int        a = 0, rc;

  (void) idx_str, (void) argc;
  c->n = c->i = 0;
  c->eof = FALSE;
  c->ranged = (plan & 4) != 0;
  c->hi = G_MAXINT64;
  sqlite3_finalize (c->chunks);
  c->chunks = NULL;
  if (plan == 0)
    {
      if ((rc = sqlite3_prepare_v2 (db, "SELECT lane, level, first, n, data FROM lod_chunk", -1, &c->chunks, NULL))
          != SQLITE_OK)
        return rc;
      return lod_next_chunk (c);
    }
  for (int i = 0; i < 2 + ((plan & 2) != 0) + ((plan & 4) != 0); i++)
    if (sqlite3_value_type (argv[i]) == SQLITE_NULL)
      {
        c->eof = TRUE; /* nothing equals or compares with NULL */
        return SQLITE_OK;
      }
  lane = sqlite3_value_int64 (argv[a++]);
  level = sqlite3_value_int64 (argv[a++]);
  if (plan & 2)
    lo = sqlite3_value_int64 (argv[a++]);
  if (plan & 4)
    c->hi = sqlite3_value_int64 (argv[a]);
  if (plan & 2)
    {
      /* The chunk holding lo starts at or before it; those before end
       * before it. */
      if ((rc = query_int64 (db,
                             "SELECT first FROM lod_chunk WHERE lane = ?1 AND level = ?2 AND first <= ?3 "
                             "ORDER BY first DESC LIMIT 1",
                             (gint64[]){ lane, level, lo }, 3, &from))
          != SQLITE_OK)
        return rc;
    }
  if ((rc = sqlite3_prepare_v2 (db,
                                "SELECT lane, level, first, n, data FROM lod_chunk WHERE lane = ?1 AND level = ?2 "
                                "AND first >= ?3 ORDER BY first",
                                -1, &c->chunks, NULL))
      != SQLITE_OK)
    return rc;
  sqlite3_bind_int64 (c->chunks, 1, lane);
  sqlite3_bind_int64 (c->chunks, 2, level);
  sqlite3_bind_int64 (c->chunks, 3, from);
  return lod_next_chunk (c);
}

static int
lod_next (sqlite3_vtab_cursor *cursor)
{
  LodCursor *c = (LodCursor *) cursor;

  if (++c->i < c->n)
    return SQLITE_OK;
  return lod_next_chunk (c);
}

static int
lod_eof (sqlite3_vtab_cursor *cursor)
{
  return ((LodCursor *) cursor)->eof;
}

static int
lod_column (sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int col)
{
  LodCursor *c = (LodCursor *) cursor;

  sqlite3_result_int64 (ctx, col == LOD_LANE ? c->lane : col == LOD_LEVEL ? c->level
                                                                          : c->v[c->i * LOD_COLS + col - LOD_BUCKET]);
  return SQLITE_OK;
}

static int
lod_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
  LodCursor *c = (LodCursor *) cursor;

  *rowid = c->v[c->i * LOD_COLS];
  return SQLITE_OK;
}

static const sqlite3_module lod_module = {
  .xConnect = lod_connect,
  .xBestIndex = lod_best_index,
  .xDisconnect = db_vtab_disconnect,
  .xOpen = lod_open,
  .xClose = lod_close,
  .xFilter = lod_filter,
  .xNext = lod_next,
  .xEof = lod_eof,
  .xColumn = lod_column,
  .xRowid = lod_rowid,
};

/* ------------------------------------------------------------------ range totals */

/* gstate_totals(t0, t1): the goroutine intervals meeting [t0, t1) added
 * up by (state, wait_reason): how many, and their time clipped to the
 * range — queries/range-totals.sql's goroutine rows. The same as
 *   SELECT state, wait_reason, COUNT(*), SUM(MIN(end_ns, t1) - MAX(start_ns, t0))
 *   FROM gstate WHERE start_ns < t1 AND end_ns > t0 GROUP BY 1, 2
 * but added up as the chunks are decoded, with no row through SQLite per
 * interval: a whole 10M-event trace took 4.4 s through the virtual
 * table. Chunks that end before t0 or start after t1 are not decoded. A
 * file written before schema version 3 (its gstate a table of rows, also
 * once upgraded) gets that query. */

enum
{
  TOTALS_STATE,
  TOTALS_WAIT_REASON,
  TOTALS_N,
  TOTALS_NS,
  TOTALS_T0,
  TOTALS_T1
};

typedef struct
{
  int      state;
  gboolean has_reason;
  gint64   reason, n, ns;
} Total;

typedef struct
{
  sqlite3_vtab_cursor base;
  GArray             *totals; /* of Total */
  guint               i;
} TotalsCursor;

static int
totals_connect (sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vtab, char **err)
{
  (void) aux, (void) argc, (void) argv, (void) err;
  return db_vtab_connect (
      db, "CREATE TABLE x (state INTEGER, wait_reason INTEGER, n INTEGER, ns INTEGER, t0 HIDDEN, t1 HIDDEN)", vtab);
}

/* Only as a table-valued function: both arguments given. */
static int
totals_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
  int args[2] = { -1, -1 };

  (void) vtab;
  for (int i = 0; i < info->nConstraint; i++)
    {
      const struct sqlite3_index_constraint *c = &info->aConstraint[i];

      if (c->op != SQLITE_INDEX_CONSTRAINT_EQ || (c->iColumn != TOTALS_T0 && c->iColumn != TOTALS_T1))
        continue;
      if (!c->usable)
        return SQLITE_CONSTRAINT;
      args[c->iColumn - TOTALS_T0] = i;
    }
  if (args[0] < 0 || args[1] < 0)
    {
      sqlite3_free (vtab->zErrMsg);
      vtab->zErrMsg = sqlite3_mprintf ("gstate_totals takes two arguments: t0 and t1");
      return SQLITE_ERROR;
    }
  for (int k = 0; k < 2; k++)
    {
      info->aConstraintUsage[args[k]].argvIndex = k + 1;
      info->aConstraintUsage[args[k]].omit = 1;
    }
  info->estimatedCost = 1e6;
  return SQLITE_OK;
}

static int
totals_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
  (void) vtab;
  return cursor_open (sizeof (TotalsCursor), cursor);
}

static int
totals_close (sqlite3_vtab_cursor *cursor)
{
  TotalsCursor *c = (TotalsCursor *) cursor;

  if (c->totals != NULL)
    g_array_unref (c->totals);
  sqlite3_free (c);
  return SQLITE_OK;
}

/* Adds an interval of @state (@reason, if @has_reason) that covers @ns of
 * the range. */
static void
total_add (GArray *totals, int state, gboolean has_reason, gint64 reason, gint64 ns)
{
  Total *t;

  for (guint i = 0; i < totals->len; i++)
    {
      t = &g_array_index (totals, Total, i);
      if (t->state == state && t->has_reason == has_reason && (!has_reason || t->reason == reason))
        {
          t->n++;
          t->ns += ns;
          return;
        }
    }
  g_array_append_val (totals, ((Total){ state, has_reason, has_reason ? reason : 0, 1, ns }));
}

/* From a file of schema version 2: its row table. */
static int
totals_from_rows (sqlite3 *db, GArray *totals, gint64 t0, gint64 t1)
{
  sqlite3_stmt *s;
  int           rc;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT state, wait_reason, COUNT(*), SUM(MIN(end_ns, ?2) - MAX(start_ns, ?1)) FROM main.gstate "
                           "WHERE start_ns < ?2 AND end_ns > ?1 GROUP BY 1, 2",
                           -1, &s, NULL);
  if (rc != SQLITE_OK)
    return rc;
  sqlite3_bind_int64 (s, 1, t0);
  sqlite3_bind_int64 (s, 2, t1);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    g_array_append_val (totals, ((Total){ sqlite3_column_int (s, 0), sqlite3_column_type (s, 1) != SQLITE_NULL,
                                          sqlite3_column_int64 (s, 1), sqlite3_column_int64 (s, 2),
                                          sqlite3_column_int64 (s, 3) }));
  sqlite3_finalize (s);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
totals_from_chunks (sqlite3_vtab *vtab, sqlite3 *db, GArray *totals, gint64 t0, gint64 t1)
{
  g_autofree Ival *ivs = NULL;
  guint            cap = 0;
  sqlite3_stmt    *s;
  int              rc;

  rc = sqlite3_prepare_v2 (db,
                           "SELECT lane, start_ns, last_start, n, data FROM main.gstate_chunk "
                           "WHERE start_ns < ?2 AND end_ns > ?1",
                           -1, &s, NULL);
  if (rc != SQLITE_OK)
    return rc;
  sqlite3_bind_int64 (s, 1, t0);
  sqlite3_bind_int64 (s, 2, t1);
  while ((rc = sqlite3_step (s)) == SQLITE_ROW)
    {
      gint64 lane = sqlite3_column_int64 (s, 0);
      guint  n = (guint) sqlite3_column_int64 (s, 3);

      if (!decode_row (s, lane, n, tables[WEFT_LANE_GSTATE].n_cols, &ivs, &cap))
        {
          rc = corrupt_chunk (vtab, "gstate_totals", lane);
          break;
        }
      for (guint i = 0; i < n; i++)
        {
          const Ival *iv = &ivs[i];

          if (iv->v[COL_START] < t1 && iv->v[COL_END] > t0)
            total_add (totals, (int) iv->v[GSTATE_STATE], !(iv->nulls & (1u << GSTATE_WAIT_REASON)),
                       iv->v[GSTATE_WAIT_REASON], MIN (iv->v[COL_END], t1) - MAX (iv->v[COL_START], t0));
        }
    }
  sqlite3_finalize (s);
  return rc == SQLITE_DONE ? SQLITE_OK : rc;
}

static int
totals_filter (sqlite3_vtab_cursor *cursor, int plan, const char *idx_str, int argc, sqlite3_value **argv)
{
  TotalsCursor *c = (TotalsCursor *) cursor;
  sqlite3      *db = ((DbVtab *) cursor->pVtab)->db;
  gint64        has_rows = 0;
  int           rc;

  (void) plan, (void) idx_str;
  if (c->totals == NULL)
    c->totals = g_array_new (FALSE, FALSE, sizeof (Total));
  g_array_set_size (c->totals, 0);
  c->i = 0;
  if (argc < 2 || sqlite3_value_type (argv[0]) == SQLITE_NULL || sqlite3_value_type (argv[1]) == SQLITE_NULL)
    return SQLITE_OK;
  rc = query_int64 (db, "SELECT 1 FROM main.sqlite_master WHERE type = 'table' AND name = 'gstate'", NULL, 0,
                    &has_rows);
  if (rc == SQLITE_OK && has_rows)
    rc = totals_from_rows (db, c->totals, sqlite3_value_int64 (argv[0]), sqlite3_value_int64 (argv[1]));
  else if (rc == SQLITE_OK)
    rc = totals_from_chunks (cursor->pVtab, db, c->totals, sqlite3_value_int64 (argv[0]), sqlite3_value_int64 (argv[1]));
  return rc;
}

static int
totals_next (sqlite3_vtab_cursor *cursor)
{
  ((TotalsCursor *) cursor)->i++;
  return SQLITE_OK;
}

static int
totals_eof (sqlite3_vtab_cursor *cursor)
{
  TotalsCursor *c = (TotalsCursor *) cursor;

  return c->totals == NULL || c->i >= c->totals->len;
}

static int
totals_column (sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int col)
{
  TotalsCursor *c = (TotalsCursor *) cursor;
  const Total  *t = &g_array_index (c->totals, Total, c->i);

  switch (col)
    {
    case TOTALS_STATE:
      sqlite3_result_int (ctx, t->state);
      break;
    case TOTALS_WAIT_REASON:
      if (t->has_reason)
        sqlite3_result_int64 (ctx, t->reason);
      else
        sqlite3_result_null (ctx);
      break;
    case TOTALS_N:
      sqlite3_result_int64 (ctx, t->n);
      break;
    case TOTALS_NS:
      sqlite3_result_int64 (ctx, t->ns);
      break;
    default:
      sqlite3_result_null (ctx);
    }
  return SQLITE_OK;
}

static int
totals_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
  *rowid = ((TotalsCursor *) cursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module totals_module = {
  .xConnect = totals_connect,
  .xBestIndex = totals_best_index,
  .xDisconnect = db_vtab_disconnect,
  .xOpen = totals_open,
  .xClose = totals_close,
  .xFilter = totals_filter,
  .xNext = totals_next,
  .xEof = totals_eof,
  .xColumn = totals_column,
  .xRowid = totals_rowid,
};
