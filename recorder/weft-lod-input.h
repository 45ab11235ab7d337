/* weft-lod-input.h — the state intervals of a load, kept on the side for
 * the level of detail (weft-lod.c), so that building it does not read
 * gstate and mstate back from the database.
 */
#pragma once

#include "weft-writer.h"

G_BEGIN_DECLS

typedef struct _WeftLodInput WeftLodInput;

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
gboolean      weft_lod_input_rewind (WeftLodInput *self, GError **error);
gboolean      weft_lod_input_next (WeftLodInput *self, WeftLodInterval *out, GError **error);
void          weft_lod_input_free (WeftLodInput *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftLodInput, weft_lod_input_free)

G_END_DECLS
