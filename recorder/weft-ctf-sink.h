/* weft-ctf-sink.h — reading CTF traces with babeltrace2, in process.
 *
 * Builds the graph source.ctf.fs (one per CTF folder) -> a sink component
 * class of our own with an input port per stream, which merges the
 * streams in time order itself (a heap of their next messages) and feeds
 * every event to a WeftIngest. Event classes are resolved once (which event of
 * weft-event.h, which payload member is which field); DISCARDED_EVENTS and
 * DISCARDED_PACKETS messages become lost rows.
 */
#pragma once

#include "weft-ingest.h"

G_BEGIN_DECLS

#define WEFT_CTF_ERROR (weft_ctf_error_quark ())

typedef enum
{
  WEFT_CTF_ERROR_NO_TRACE,  /* no CTF metadata under the path */
  WEFT_CTF_ERROR_PLUGIN,    /* babeltrace2 plugins missing */
  WEFT_CTF_ERROR_READ,      /* the trace could not be read (corrupt...) */
  WEFT_CTF_ERROR_NOT_WEFT,  /* a readable trace without a single weft event */
  WEFT_CTF_ERROR_CANCELLED, /* the consumer gave up (writer failure) */
} WeftCtfError;

GQuark weft_ctf_error_quark (void);

GStrv    weft_ctf_find_traces (const char *path, GError **error);
gboolean weft_ctf_read (const char *const *trace_dirs, WeftIngest *ingest, WeftWriter *writer, GError **error);

G_END_DECLS
