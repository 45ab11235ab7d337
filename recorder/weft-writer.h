/* weft-writer.h — batched row insertion into a WeftStore, optionally on
 * a thread of its own.
 *
 * The producer (the ingest state machine, on the reading thread) fills
 * rows into fixed-size batches; a full batch goes to the writer thread,
 * which inserts it with one prepared statement per row kind inside the
 * store's single bulk transaction. A small pool of batches bounds the
 * memory in flight and makes the producer wait when SQLite falls behind.
 */
#pragma once

#include "weft-store.h"

G_BEGIN_DECLS

typedef enum
{
  WEFT_ROW_META_INT,
  WEFT_ROW_META_TEXT,
  WEFT_ROW_GOROUTINE,
  WEFT_ROW_GSTATE,
  WEFT_ROW_PSTATE,
  WEFT_ROW_MSTATE,
  WEFT_ROW_THREAD,
  WEFT_ROW_STACK,
  WEFT_ROW_FRAME,
  WEFT_ROW_MAPPING,
  WEFT_ROW_LOST,
  WEFT_ROW_TASK,
  WEFT_ROW_REGION,
  WEFT_ROW_LOG,
  WEFT_ROW_WAIT_REASON,
  WEFT_ROW_SYMBOL,
  WEFT_ROW_GC_CYCLE,
  WEFT_ROW_STW,
  WEFT_ROW_GC_SPAN,
  WEFT_ROW_COUNTER_SAMPLE,
  WEFT_ROW_LEAKED,
  WEFT_ROW_CPU_SAMPLE,
  WEFT_ROW_LOD_BUCKET,
  WEFT_ROW_N_KINDS
} WeftRowKind;

#define WEFT_ROW_MAX_COLS 13

/* One row: column values in the order of the kind's INSERT (see
 * weft-writer.c); text columns hold an offset into the batch's text. */
typedef struct
{
  guint16 kind;
  guint16 nulls; /* bit i: column i is NULL */
  gint64  v[WEFT_ROW_MAX_COLS];
} WeftRow;

typedef struct _WeftWriter   WeftWriter;
typedef struct _WeftLodInput WeftLodInput;

WeftWriter *weft_writer_new (WeftStore *store, gboolean threaded, GError **error);
WeftRow    *weft_writer_row (WeftWriter *self, WeftRowKind kind);
void        weft_writer_set_text (WeftWriter *self, WeftRow *row, guint col, const char *text);
void        weft_writer_set_lod_input (WeftWriter *self, WeftLodInput *input);
gboolean    weft_writer_failed (WeftWriter *self);
gboolean    weft_writer_close (WeftWriter *self, guint64 *rows, GError **error);

static inline void
weft_row_set_null (WeftRow *row, guint col)
{
  row->nulls |= (guint16) (1u << col);
}

G_END_DECLS
