/* weft-convert.h — CTF trace -> .weft database, the whole pipeline:
 * babeltrace2 reading and the ingest state machine on the calling thread,
 * SQLite inserts on a writer thread, then symbolisation, indexes and views.
 * The database is written under a temporary name and renamed into place
 * only when complete, so a failed conversion leaves nothing behind.
 */
#pragma once

#include "weft-store.h"

G_BEGIN_DECLS

typedef struct
{
  guint64 events;          /* events read */
  guint64 rows;            /* rows stored (a chunk of packed intervals is one) */
  guint64 lost_events;     /* events the tracer discarded */
  guint64 inconsistencies; /* repaired inconsistencies */
  guint   symbols_resolved, symbols_unresolved;
  gdouble read_seconds;  /* reading + inserting, until the writer is done */
  gdouble total_seconds; /* including symbols, indexes and views */
  guint64 ctf_bytes;     /* size of the CTF input */
  guint64 db_bytes;      /* size of the database */
} WeftConvertStats;

typedef struct
{
  const char *program;       /* meta 'program' if the trace does not say; may be NULL */
  gboolean    no_symbols;    /* skip symbolisation */
  gboolean    single_thread; /* insert on the reading thread (for comparison) */
} WeftConvertOptions;

gboolean weft_convert (const char *ctf_path, const char *out_path, const WeftConvertOptions *options, WeftConvertStats *stats, GError **error);

G_END_DECLS
