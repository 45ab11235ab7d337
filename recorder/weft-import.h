/* weft-import.h — Go execution trace -> .weft database.
 *
 * The trace (runtime/trace, `go test -trace`, /debug/pprof/trace) is read
 * by WeftGoTrace and translated into the recorder's own events
 * (WeftEvent), fed to the same ingest state machine as LTTng traces, so
 * that every table, analysis and the viewer work unchanged. What Go's
 * model has beyond Weft's is stored beside it: stacks come symbolised from
 * the trace's own tables (symbol rows, no addr2line), Go's wait reason
 * strings become wait_reason rows of their own, Ms get small ids (their
 * thread ids go to thread.tid).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct
{
  guint   go_version;      /* the trace format, e.g. 26 for Go 1.26 */
  guint64 bytes;           /* size of the trace */
  guint64 go_events;       /* Go events read */
  guint64 events;          /* events fed to the state machine */
  guint64 rows;            /* rows stored (a chunk of packed intervals is one) */
  guint64 generations;     /* Go trace generations */
  guint64 inconsistencies; /* repaired by the state machine */
  guint64 forced_order;    /* Go events whose sequence numbers did not fit */
  guint64 cpu_samples;     /* CPU profile samples in the trace */
  gdouble read_seconds;    /* parsing, translating and inserting */
  gdouble total_seconds;   /* including indexes and views */
  guint64 db_bytes;
} WeftImportStats;

typedef struct
{
  gboolean single_thread; /* insert on the reading thread */
} WeftImportOptions;

gboolean weft_import (const char *trace_path, const char *out_path, const WeftImportOptions *options, WeftImportStats *stats, GError **error);

/* Downloads `http://HOST:PORT/debug/pprof/trace?seconds=S` (the URL may
 * also name the path) to @dest. Plain HTTP only. */
gboolean weft_import_fetch (const char *url, double seconds, const char *dest, GError **error);

/* `weft record --go`: fetches @seconds of trace from a Go service's pprof
 * endpoint and imports it into @output (NULL: weft-go-DATE.weft). Returns
 * the database's path. */
char *weft_import_record_go (const char *url, double seconds, const char *output, WeftImportStats *stats, GError **error);

G_END_DECLS
