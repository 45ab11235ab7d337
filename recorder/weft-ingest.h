/* weft-ingest.h — the state machine that turns weft events into rows.
 *
 * It follows every goroutine, P and M through the events, emits one row
 * per finished interval (gstate, pstate, mstate) and one per goroutine,
 * stack, task, region, log and lost-events record, in a WeftWriter.
 * Events arrive in time order (the CTF sink merges the streams). The runtime may write
 * the two halves of a hand-over on two threads in either order, and
 * events can be lost: such inconsistencies are repaired as described in
 * recorder/README.md and counted per kind into meta, never fatal.
 */
#pragma once

#include "weft-event.h"
#include "weft-writer.h"

G_BEGIN_DECLS

typedef struct _WeftIngest WeftIngest;

WeftIngest *weft_ingest_new (WeftWriter *writer);
void        weft_ingest_event (WeftIngest *self, const WeftEvent *ev);
void        weft_ingest_unknown_event (WeftIngest *self, gint64 ts);
void        weft_ingest_advance (WeftIngest *self, gint64 ts);
void        weft_ingest_lost (WeftIngest *self, gboolean packets, gint64 stream, const char *stream_name, gboolean has_range, gint64 start, gint64 end, gboolean has_count, guint64 count);
void        weft_ingest_set_meta (WeftIngest *self, const char *key, const char *value);
void        weft_ingest_finish (WeftIngest *self);
guint64     weft_ingest_get_events (WeftIngest *self);
/* The absolute time of relative time 0 (the first event's); FALSE before
 * any event. */
gboolean weft_ingest_get_origin (WeftIngest *self, gint64 *origin);
guint64  weft_ingest_get_inconsistencies (WeftIngest *self);
guint64  weft_ingest_get_lost_events (WeftIngest *self);
void     weft_ingest_free (WeftIngest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftIngest, weft_ingest_free)

G_END_DECLS
