/* weft-writer.c — batched inserts on a writer thread.
 *
 * A batch is inserted one row kind at a time, each with a single
 * `INSERT INTO table SELECT … FROM weft_batch` over an eponymous virtual
 * table that reads the batch's rows of that kind, in batch order. One
 * statement per kind and batch, rather than a bind-step-reset round per
 * row, halves SQLite's work per row: a row costs the column reads and the
 * B-tree append, not the opening and closing of a statement and a cursor.
 * Rows of one kind keep their order (OR REPLACE keeps the last); the kinds
 * are independent, except the two that share meta, which are inserted row
 * by row, in order. The lane kinds (gstate, pstate, mstate: most of the
 * rows) are not inserted but packed, in batch order, into chunks of a
 * lane's intervals (weft-lanes.h): a few hundred thousand rows for 25
 * million intervals; their ids follow the order intervals end. So are
 * the level of detail's buckets, which weft-lod.c writes in key order.
 */
#include "weft-writer.h"

#include "weft-lanes.h"
#include "weft-lod-input.h"

#include <string.h>

#define BATCH_ROWS 8192
#define N_BATCHES 8

typedef struct
{
  WeftRow  rows[BATCH_ROWS];
  guint    n_rows;
  gboolean last; /* sentinel: the producer is done */
  GString *text;
  /* Filled by the writer: the rows of each kind, by index, in order. */
  guint16 by_kind[BATCH_ROWS];
  guint   kind_start[WEFT_ROW_N_KINDS + 1];
} Batch;

typedef struct
{
  const char *sql;
  guint       n_cols;
  guint16     text_cols; /* bit i: column i is text */
} RowInfo;

#define T(i) (1u << (i))

/* The one place that knows the column order of each row kind. Duplicates
 * are tolerated where a trace may legitimately repeat a fact (stacks are
 * re-announced every generation). */
static const RowInfo row_info[WEFT_ROW_N_KINDS] = {
  [WEFT_ROW_META_INT] = { "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", 2, T (0) },
  [WEFT_ROW_META_TEXT] = { "INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)", 2, T (0) | T (1) },
  [WEFT_ROW_GOROUTINE] = { "INSERT OR REPLACE INTO goroutine (goid, parent, start_pc, name, create_stack, created_ns, "
                           "ended_ns, final_state) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                           8, T (3) },
  /* Packed (weft-lanes.c), in these columns' order, after id. */
  [WEFT_ROW_GSTATE] = { "gstate (goid, start_ns, end_ns, state, wait_reason, wait_obj, stack, stop_reason, p, m, "
                        "unblocked_by, open_start, open_end)",
                        13, 0 },
  [WEFT_ROW_PSTATE] = { "pstate (p, start_ns, end_ns, goid, m, open_start, open_end)", 7, 0 },
  [WEFT_ROW_MSTATE] = { "mstate (m, start_ns, end_ns, state, p, goid, open_start, open_end)", 8, 0 },
  [WEFT_ROW_THREAD] = { "INSERT OR REPLACE INTO thread (m, tid, started_ns) VALUES (?, ?, ?)", 3, 0 },
  [WEFT_ROW_STACK] = { "INSERT OR IGNORE INTO stack (id, depth) VALUES (?, ?)", 2, 0 },
  [WEFT_ROW_FRAME] = { "INSERT OR IGNORE INTO frame (stack, depth, pc) VALUES (?, ?, ?)", 3, 0 },
  [WEFT_ROW_MAPPING] = { "INSERT OR REPLACE INTO mapping (base, memsz, path, is_pic, build_id, debug_link) "
                         "VALUES (?, ?, ?, ?, ?, ?)",
                         6, T (2) | T (4) | T (5) },
  [WEFT_ROW_LOST] = { "INSERT INTO lost (kind, stream, stream_name, start_ns, end_ns, count) VALUES (?, ?, ?, ?, ?, ?)",
                      6, T (0) | T (2) },
  [WEFT_ROW_TASK] = { "INSERT OR REPLACE INTO task (id, parent, name, start_ns, end_ns, start_goid, end_goid) "
                      "VALUES (?, ?, ?, ?, ?, ?, ?)",
                      7, T (2) },
  [WEFT_ROW_REGION] = { "INSERT INTO region (goid, task, name, start_ns, end_ns, depth, open_start, open_end) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                        8, T (2) },
  [WEFT_ROW_LOG] = { "INSERT INTO log (ts, goid, task, category, message) VALUES (?, ?, ?, ?, ?)", 5, T (3) | T (4) },
  [WEFT_ROW_WAIT_REASON] = { "INSERT OR IGNORE INTO wait_reason (reason, name, category) VALUES (?, ?, ?)", 3,
                             T (1) | T (2) },
  [WEFT_ROW_SYMBOL] = { "INSERT OR REPLACE INTO symbol (pc, function, file, line, object, offset, runtime) "
                        "VALUES (?, ?, ?, ?, ?, ?, ?)",
                        7, T (1) | T (2) | T (4) },
  [WEFT_ROW_GC_CYCLE] = { "INSERT OR REPLACE INTO gc_cycle (id, start_ns, end_ns, trigger, heap_before, heap_after, "
                          "heap_goal, trigger_goal) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                          8, T (3) },
  [WEFT_ROW_STW] = { "INSERT INTO stw (start_ns, end_ns, reason, gc_cycle) VALUES (?, ?, ?, ?)", 4, T (2) },
  [WEFT_ROW_GC_SPAN] = { "INSERT INTO gc_span (kind, goid, p, start_ns, end_ns, gc_cycle, mode, bytes, reclaimed, "
                         "open_end) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         10, T (0) | T (6) },
  /* Two samples of a counter at the same instant: the later one holds. */
  [WEFT_ROW_COUNTER_SAMPLE] = { "INSERT OR REPLACE INTO counter_sample (counter, ts, value) VALUES (?, ?, ?)", 3, 0 },
  /* A goroutine found again by a later cycle keeps its first proof. */
  [WEFT_ROW_LEAKED] = { "INSERT OR IGNORE INTO leaked (goid, ts, gc_cycle, stack, wait_reason, wait_obj) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        6, 0 },
  [WEFT_ROW_CPU_SAMPLE] = { "INSERT INTO cpu_sample (ts, goid, p, m, stack) VALUES (?, ?, ?, ?, ?)", 5, 0 },
  /* weft-lod.c, after the load, in key order: packed (weft-lanes.c). */
  [WEFT_ROW_LOD_BUCKET] = { "lod_bucket (lane, level, bucket, key, cover)", 5, 0 },
};

struct _WeftWriter
{
  WeftStore *store; /* not owned */
  /* Per kind: INSERT … SELECT FROM weft_batch, or for the meta kinds
   * (row_by_row) INSERT … VALUES; then what weft_batch reads while one
   * runs. */
  sqlite3_stmt *stmts[WEFT_ROW_N_KINDS];
  const Batch  *scan_batch;
  WeftRowKind   scan_kind;
  WeftLodInput *lod_input; /* not owned; NULL if none */
  /* The lane kinds and the level of detail's buckets are packed
   * (weft-lanes.h), on first use. */
  WeftLanePacker *packers[WEFT_LANE_N_TABLES];
  WeftLodPacker  *lod_packer;
  GThread        *thread;
  GAsyncQueue    *full;  /* batches to insert */
  GAsyncQueue    *empty; /* batches to fill */
  Batch          *cur;
  Batch          *pool[N_BATCHES];
  /* Set by the writer thread, read by the producer: the first error. */
  GMutex  lock;
  GError *error;
  gint    failed; /* atomic */
  guint64 rows;
};

static Batch *
batch_new (void)
{
  Batch *b = g_new (Batch, 1);

  b->n_rows = 0;
  b->last = FALSE;
  b->text = g_string_sized_new (64 * 1024);
  return b;
}

static void
batch_free (Batch *b)
{
  g_string_free (b->text, TRUE);
  g_free (b);
}

static void
writer_fail (WeftWriter *self, GError *error)
{
  g_mutex_lock (&self->lock);
  if (self->error == NULL)
    self->error = error;
  else
    g_error_free (error);
  g_mutex_unlock (&self->lock);
  g_atomic_int_set (&self->failed, 1);
}

/* ------------------------------------------------------------------ weft_batch */

/* The virtual table: columns c0 … c12 of the rows of kind
 * writer->scan_kind in writer->scan_batch. Only the writer's own
 * statements read it, while the writer steps them. */
typedef struct
{
  sqlite3_vtab base;
  WeftWriter  *writer;
} BatchVtab;

typedef struct
{
  sqlite3_vtab_cursor base;
  const Batch        *batch;
  const RowInfo      *info;
  guint               i, end; /* into batch->by_kind */
} BatchCursor;

static int
batch_connect (sqlite3 *db, void *aux, int argc, const char *const *argv, sqlite3_vtab **vtab, char **err)
{
  BatchVtab *t;
  int        rc;

  (void) argc, (void) argv, (void) err;
  rc = sqlite3_declare_vtab (db, "CREATE TABLE x (c0, c1, c2, c3, c4, c5, c6, c7, c8, c9, c10, c11, c12)");
  if (rc != SQLITE_OK)
    return rc;
  G_STATIC_ASSERT (WEFT_ROW_MAX_COLS == 13);
  t = sqlite3_malloc (sizeof *t);
  if (t == NULL)
    return SQLITE_NOMEM;
  memset (t, 0, sizeof *t);
  t->writer = aux;
  *vtab = &t->base;
  return SQLITE_OK;
}

static int
batch_disconnect (sqlite3_vtab *vtab)
{
  sqlite3_free (vtab);
  return SQLITE_OK;
}

static int
batch_best_index (sqlite3_vtab *vtab, sqlite3_index_info *info)
{
  (void) vtab;
  info->estimatedCost = BATCH_ROWS;
  info->estimatedRows = BATCH_ROWS;
  return SQLITE_OK;
}

static int
batch_open (sqlite3_vtab *vtab, sqlite3_vtab_cursor **cursor)
{
  BatchCursor *c = sqlite3_malloc (sizeof *c);

  (void) vtab;
  if (c == NULL)
    return SQLITE_NOMEM;
  memset (c, 0, sizeof *c);
  *cursor = &c->base;
  return SQLITE_OK;
}

static int
batch_close (sqlite3_vtab_cursor *cursor)
{
  sqlite3_free (cursor);
  return SQLITE_OK;
}

static int
batch_filter (sqlite3_vtab_cursor *cursor, int idx_num, const char *idx_str, int argc, sqlite3_value **argv)
{
  BatchCursor *c = (BatchCursor *) cursor;
  WeftWriter  *w = ((BatchVtab *) cursor->pVtab)->writer;

  (void) idx_num, (void) idx_str, (void) argc, (void) argv;
  c->batch = w->scan_batch;
  c->info = &row_info[w->scan_kind];
  c->i = c->batch->kind_start[w->scan_kind];
  c->end = c->batch->kind_start[w->scan_kind + 1];
  return SQLITE_OK;
}

static int
batch_next (sqlite3_vtab_cursor *cursor)
{
  ((BatchCursor *) cursor)->i++;
  return SQLITE_OK;
}

static int
batch_eof (sqlite3_vtab_cursor *cursor)
{
  BatchCursor *c = (BatchCursor *) cursor;

  return c->i >= c->end;
}

static int
batch_column (sqlite3_vtab_cursor *cursor, sqlite3_context *ctx, int col)
{
  BatchCursor   *c = (BatchCursor *) cursor;
  const WeftRow *row = &c->batch->rows[c->batch->by_kind[c->i]];

  if (row->nulls & (1u << col))
    sqlite3_result_null (ctx);
  else if (c->info->text_cols & (1u << col))
    sqlite3_result_text (ctx, c->batch->text->str + row->v[col], -1, SQLITE_STATIC);
  else
    sqlite3_result_int64 (ctx, row->v[col]);
  return SQLITE_OK;
}

static int
batch_rowid (sqlite3_vtab_cursor *cursor, sqlite3_int64 *rowid)
{
  *rowid = ((BatchCursor *) cursor)->i;
  return SQLITE_OK;
}

static const sqlite3_module batch_module = {
  .xConnect = batch_connect,
  .xBestIndex = batch_best_index,
  .xDisconnect = batch_disconnect,
  .xOpen = batch_open,
  .xClose = batch_close,
  .xFilter = batch_filter,
  .xNext = batch_next,
  .xEof = batch_eof,
  .xColumn = batch_column,
  .xRowid = batch_rowid,
};

/* "INSERT … (a, b) VALUES (?, ?)" → "INSERT … (a, b) SELECT c0, c1 FROM
 * weft_batch": the same columns in the same order. */
static char *
bulk_sql (const RowInfo *info)
{
  const char *values = strstr (info->sql, " VALUES ");
  GString    *sql = g_string_new_len (info->sql, values - info->sql);

  g_string_append (sql, " SELECT c0");
  for (guint c = 1; c < info->n_cols; c++)
    g_string_append_printf (sql, ", c%u", c);
  g_string_append (sql, " FROM weft_batch");
  return g_string_free (sql, FALSE);
}

/* ------------------------------------------------------------------ inserting */

/* The two meta kinds share a table, where the last of two rows of a key
 * wins: they are inserted row by row, in batch order. */
static gboolean
row_by_row (guint kind)
{
  return kind == WEFT_ROW_META_INT || kind == WEFT_ROW_META_TEXT;
}

/* The statement of @kind, prepared on first use: a table may exist only
 * for some uses of a writer (lod_bucket, weft-lod.c's). */
static sqlite3_stmt *
kind_stmt (WeftWriter *self, guint kind)
{
  g_autofree char *sql = NULL;
  GError          *error = NULL;

  if (self->stmts[kind] != NULL)
    return self->stmts[kind];
  sql = row_by_row (kind) ? g_strdup (row_info[kind].sql) : bulk_sql (&row_info[kind]);
  self->stmts[kind] = weft_store_prepare (self->store, sql, &error);
  if (self->stmts[kind] == NULL)
    {
      g_prefix_error (&error, "%s: ", sql);
      writer_fail (self, error);
    }
  return self->stmts[kind];
}

static gboolean
step_or_fail (WeftWriter *self, sqlite3_stmt *stmt)
{
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);

  sqlite3_reset (stmt);
  if (rc != SQLITE_DONE)
    {
      GError *error = NULL;

      weft_store_set_sqlite_error (&error, weft_store_get_db (self->store), "inserting rows");
      writer_fail (self, error);
      return FALSE;
    }
  return TRUE;
}

static WeftLaneTable
lane_table (guint kind)
{
  switch (kind)
    {
    case WEFT_ROW_GSTATE:
      return WEFT_LANE_GSTATE;
    case WEFT_ROW_PSTATE:
      return WEFT_LANE_PSTATE;
    case WEFT_ROW_MSTATE:
      return WEFT_LANE_MSTATE;
    default:
      return WEFT_LANE_N_TABLES;
    }
}

/* The kinds that are packed (weft-lanes.h), not inserted: the lane
 * tables' and the level of detail's buckets. */
static gboolean
packed (guint kind)
{
  return lane_table (kind) != WEFT_LANE_N_TABLES || kind == WEFT_ROW_LOD_BUCKET;
}

static gboolean
packer_failed (WeftWriter *self)
{
  GError *error = NULL;

  weft_store_set_sqlite_error (&error, weft_store_get_db (self->store), "packing lane intervals");
  writer_fail (self, error);
  return FALSE;
}

/* The lane rows of @b, in batch order (a lane's intervals come in start
 * order), then the goroutines that exited, whose open chunks are written
 * and forgotten: what bounds the packer's memory by the live goroutines. */
static gboolean
pack_batch (WeftWriter *self, const Batch *b)
{
  for (guint i = 0; i < b->n_rows; i++)
    {
      const WeftRow *row = &b->rows[i];
      WeftLaneTable  t = lane_table (row->kind);

      if (row->kind == WEFT_ROW_LOD_BUCKET)
        {
          if (self->lod_packer == NULL)
            self->lod_packer = weft_lod_packer_new (weft_store_get_db (self->store));
          if (!weft_lod_packer_add (self->lod_packer, row->v[0], row->v[1], row->v[2], row->v[3], row->v[4]))
            return packer_failed (self);
          continue;
        }
      if (t == WEFT_LANE_N_TABLES)
        continue;
      if (self->packers[t] == NULL)
        self->packers[t] = weft_lane_packer_new (weft_store_get_db (self->store), t);
      if (!weft_lane_packer_add (self->packers[t], row->v, row->nulls))
        return packer_failed (self);
    }
  if (self->packers[WEFT_LANE_GSTATE] != NULL)
    for (guint i = 0; i < b->n_rows; i++)
      {
        const WeftRow *row = &b->rows[i];

        if (row->kind == WEFT_ROW_GOROUTINE && !(row->nulls & (1u << 6)) /* ended_ns */
            && !weft_lane_packer_end_lane (self->packers[WEFT_LANE_GSTATE], row->v[0]))
          return packer_failed (self);
      }
  return TRUE;
}

/* Sorts the batch's rows by kind (stably) into b->by_kind. */
static void
index_by_kind (Batch *b)
{
  guint next[WEFT_ROW_N_KINDS];

  memset (b->kind_start, 0, sizeof b->kind_start);
  for (guint i = 0; i < b->n_rows; i++)
    b->kind_start[b->rows[i].kind + 1]++;
  for (guint k = 0; k < WEFT_ROW_N_KINDS; k++)
    {
      b->kind_start[k + 1] += b->kind_start[k];
      next[k] = b->kind_start[k];
    }
  for (guint i = 0; i < b->n_rows; i++)
    b->by_kind[next[b->rows[i].kind]++] = (guint16) i;
}

static void
insert_batch (WeftWriter *self, Batch *b)
{
  /* Here rather than on the producer's thread, the load's bottleneck
   * (reading), now that the lane rows are packed rather than inserted. */
  if (self->lod_input != NULL)
    for (guint i = 0; i < b->n_rows; i++)
      if (b->rows[i].kind == WEFT_ROW_GSTATE || b->rows[i].kind == WEFT_ROW_MSTATE || b->rows[i].kind == WEFT_ROW_GOROUTINE)
        weft_lod_input_add (self->lod_input, &b->rows[i]);
  if (g_atomic_int_get (&self->failed))
    return;
  for (guint i = 0; i < b->n_rows; i++)
    {
      const WeftRow *row = &b->rows[i];
      const RowInfo *info = &row_info[row->kind];
      sqlite3_stmt  *stmt;

      if (!row_by_row (row->kind))
        continue;
      if ((stmt = kind_stmt (self, row->kind)) == NULL)
        return;
      for (guint c = 0; c < info->n_cols; c++)
        {
          if (row->nulls & (1u << c))
            sqlite3_bind_null (stmt, (int) c + 1);
          else if (info->text_cols & (1u << c))
            sqlite3_bind_text (stmt, (int) c + 1, b->text->str + row->v[c], -1, SQLITE_STATIC);
          else
            sqlite3_bind_int64 (stmt, (int) c + 1, row->v[c]);
        }
      if (!step_or_fail (self, stmt))
        return;
    }
  if (!pack_batch (self, b))
    return;
  index_by_kind (b);
  self->scan_batch = b;
  for (guint k = 0; k < WEFT_ROW_N_KINDS; k++)
    if (!row_by_row (k) && !packed (k) && b->kind_start[k + 1] > b->kind_start[k])
      {
        self->scan_kind = (WeftRowKind) k;
        if (!step_or_fail (self, kind_stmt (self, k)))
          return;
      }
  self->scan_batch = NULL;
  /* The packed kinds' rows are counted as chunks, by the packers. */
  self->rows += b->n_rows;
  for (guint k = 0; k < WEFT_ROW_N_KINDS; k++)
    if (packed (k))
      self->rows -= b->kind_start[k + 1] - b->kind_start[k];
}

static gpointer
writer_thread (gpointer data)
{
  WeftWriter *self = data;

  for (;;)
    {
      Batch   *b = g_async_queue_pop (self->full);
      gboolean last = b->last;

      insert_batch (self, b);
      b->n_rows = 0;
      b->last = FALSE;
      g_string_truncate (b->text, 0);
      g_async_queue_push (self->empty, b);
      if (last)
        return NULL;
    }
}

/* Hands the current batch to the writer and takes an empty one. */
static void
flush (WeftWriter *self, gboolean last)
{
  Batch *b = self->cur;

  b->last = last;
  if (self->thread != NULL)
    {
      g_async_queue_push (self->full, b);
      self->cur = last ? NULL : g_async_queue_pop (self->empty);
    }
  else
    {
      insert_batch (self, b);
      b->n_rows = 0;
      b->last = FALSE;
      g_string_truncate (b->text, 0);
    }
}

/* @threaded: insert on a thread of its own; otherwise inline, when a batch
 * is full (for tests and small jobs). */
WeftWriter *
weft_writer_new (WeftStore *store, gboolean threaded, GError **error)
{
  WeftWriter *self;

  g_return_val_if_fail (store != NULL, NULL);

  self = g_new0 (WeftWriter, 1);
  self->store = store;
  g_mutex_init (&self->lock);
  if (sqlite3_create_module_v2 (weft_store_get_db (store), "weft_batch", &batch_module, self, NULL) != SQLITE_OK)
    {
      weft_store_set_sqlite_error (error, weft_store_get_db (store), "registering weft_batch");
      g_mutex_clear (&self->lock);
      g_free (self);
      return NULL;
    }
  self->full = g_async_queue_new ();
  self->empty = g_async_queue_new ();
  for (int i = 0; i < N_BATCHES; i++)
    self->pool[i] = batch_new ();
  for (int i = 1; i < N_BATCHES; i++)
    g_async_queue_push (self->empty, self->pool[i]);
  self->cur = self->pool[0];
  if (threaded)
    self->thread = g_thread_new ("weft-writer", writer_thread, self);
  return self;
}

/* Returns a zeroed row of @kind in the current batch (all columns 0, not
 * NULL). Valid until the next call. */
WeftRow *
weft_writer_row (WeftWriter *self, WeftRowKind kind)
{
  /* Copied rather than memset(): gcc makes a memset of a row a `rep
   * stos`, whose start-up cost made this 8 % of the reading thread (25M
   * rows for 10M events); a copy is a few vector stores. */
  static const WeftRow zero;
  WeftRow             *row;

  if (self->cur->n_rows == BATCH_ROWS)
    flush (self, FALSE);
  row = &self->cur->rows[self->cur->n_rows++];
  *row = zero;
  row->kind = (guint16) kind;
  return row;
}

/* Sets text column @col of @row, the row last returned; NULL text makes
 * the column NULL. */
void
weft_writer_set_text (WeftWriter *self, WeftRow *row, guint col, const char *text)
{
  GString *s = self->cur->text;

  if (text == NULL)
    {
      weft_row_set_null (row, col);
      return;
    }
  row->v[col] = (gint64) s->len;
  g_string_append_len (s, text, (gssize) strlen (text) + 1);
}

/* Hands every gstate, mstate and goroutine row written from now on to @input too,
 * on the writer's thread (weft-lod-input.h); @input is the writer's until
 * weft_writer_close(). */
void
weft_writer_set_lod_input (WeftWriter *self, WeftLodInput *input)
{
  self->lod_input = input;
}

gboolean
weft_writer_failed (WeftWriter *self)
{
  return g_atomic_int_get (&self->failed) != 0;
}

/* Inserts what is left, stops the thread and frees @self. @rows, if not
 * NULL, receives the number of rows stored: a chunk of packed intervals
 * or buckets is one (10M events of ping-pong: 25M rows given, 0.5M
 * stored). */
gboolean
weft_writer_close (WeftWriter *self, guint64 *rows, GError **error)
{
  gboolean ok;
  guint64  chunks;

  flush (self, TRUE);
  if (self->thread != NULL)
    g_thread_join (self->thread);
  for (int t = 0; t < WEFT_LANE_N_TABLES; t++)
    if (self->packers[t] != NULL)
      {
        if (!weft_lane_packer_close (self->packers[t], &chunks) && !g_atomic_int_get (&self->failed))
          packer_failed (self);
        self->rows += chunks;
      }
  if (self->lod_packer != NULL)
    {
      if (!weft_lod_packer_close (self->lod_packer, &chunks) && !g_atomic_int_get (&self->failed))
        packer_failed (self);
      self->rows += chunks;
    }
  if (rows != NULL)
    *rows = self->rows;
  for (int k = 0; k < WEFT_ROW_N_KINDS; k++)
    sqlite3_finalize (self->stmts[k]);
  sqlite3_create_module_v2 (weft_store_get_db (self->store), "weft_batch", NULL, NULL, NULL);
  for (int i = 0; i < N_BATCHES; i++)
    batch_free (self->pool[i]);
  g_async_queue_unref (self->full);
  g_async_queue_unref (self->empty);
  ok = self->error == NULL;
  if (!ok)
    g_propagate_error (error, self->error);
  g_mutex_clear (&self->lock);
  g_free (self);
  return ok;
}
