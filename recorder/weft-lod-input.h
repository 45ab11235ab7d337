/* weft-lod-input.h — the state intervals of a load, kept on the side for
 * the level of detail (weft-lod.c), so that building it does not read
 * gstate and mstate back from the database.
 */
#pragma once

#include "weft-writer.h"

G_BEGIN_DECLS

typedef struct _WeftLodInput       WeftLodInput;
typedef struct _WeftLodInputReader WeftLodInputReader;

/* One gstate or mstate row, as the level of detail reads it. */
typedef struct
{
  gboolean mstate; /* an mstate row (else gstate) */
  int      state;
  gint64   lane; /* goid, or the M */
  gint64   start_ns, end_ns;
  /* gstate rows: running, the P (-1 if none); blocked, the wait reason
   * (0 if none); else 0. */
  gint64 aux;
} WeftLodInterval;

/* A lane and how many intervals it has. */
typedef struct
{
  gint64 id, intervals;
} WeftLodLaneCount;

WeftLodInput *weft_lod_input_new (GError **error);
void          weft_lod_input_add (WeftLodInput *self, const WeftRow *row);
GArray       *weft_lod_input_lanes (WeftLodInput *self, int kind);
void          weft_lod_input_free (WeftLodInput *self);

/* Ends the recording (reporting a write error, if any) and returns a
 * reader of the intervals from the first. Readers are independent: each
 * may be used on a thread of its own, while @self lives. */
WeftLodInputReader *weft_lod_input_read (WeftLodInput *self, GError **error);
/* Reads the next interval into @out. FALSE at the end (@error unset) or
 * on a failure. */
gboolean weft_lod_input_reader_next (WeftLodInputReader *self, WeftLodInterval *out, GError **error);
void     weft_lod_input_reader_free (WeftLodInputReader *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftLodInput, weft_lod_input_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftLodInputReader, weft_lod_input_reader_free)

G_END_DECLS
