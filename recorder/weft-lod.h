/* weft-lod.h — the timeline's level-of-detail tables (schema/weft-lod.sql):
 * for every busy lane and power-of-two bucket size, the key that covers
 * most of each bucket.
 */
#pragma once

#include "weft-lod-input.h"
#include "weft-store.h"

G_BEGIN_DECLS

/* lod_lane.kind */
typedef enum
{
  WEFT_LOD_P = 0,
  WEFT_LOD_M = 1,
  WEFT_LOD_GOROUTINE = 2,
  WEFT_LOD_COUNTER = 3,
  /* GC work, one lane per gc_span kind (WeftLodGcLane), the spans of all
   * Ps merged where they overlap. */
  WEFT_LOD_GC = 4,
  WEFT_LOD_N_KINDS
} WeftLodKind;

/* lod_lane.lane of the WEFT_LOD_GC lanes. */
typedef enum
{
  WEFT_LOD_GC_WORKERS = 0,
  WEFT_LOD_GC_ASSISTS = 1,
  WEFT_LOD_GC_SWEEPS = 2,
} WeftLodGcLane;

/* Lanes with fewer intervals have no buckets: reading them whole is cheap. */
#define WEFT_LOD_MIN_INTERVALS 256
/* Intervals per bucket, on average over the lane, at its base level: the
 * most a frame reads per pixel column below it. 8 halves the tables but
 * made the frames just below the base level of a 10M-event trace take
 * twice as long (17 against 9 ms at p99, tests/timeline/bench-timeline). */
#define WEFT_LOD_PER_BUCKET 4

/* Levels stored: every WEFT_LOD_STRIDE-th from a lane's base level, and
 * its top one. A frame then reads buckets between a quarter of a pixel
 * column and a column wide (at most 4 per column), and the tables are a
 * third smaller than with every level. */
#define WEFT_LOD_STRIDE 2

/* The coarsest level stored for a lane of levels [@base, @top] whose
 * buckets are no wider than 2^@level ns (@level >= @base). */
int weft_lod_stored_level (int level, int base, int top);

/* A goroutine lane's key for a state interval, as queries/window-glane.sql
 * computes it: the start function while running, else the state in the
 * top byte, plus for blocked states the wait reason's category (1 chan,
 * 2 sync, 3 net, 4 sleep, 5 gc, 6 other). */
gint64 weft_lod_goroutine_key (int state, gint64 start_pc, const char *category);

/* Builds the tables of schema/weft-lod.sql in @store (a finished, writable
 * store), in one transaction, replacing any there were. Records the time
 * it took in meta 'lod_build_ms', and in 'lod_clipped' how many intervals
 * started before the previous one of their lane ended (0 in a consistent
 * trace). */
gboolean weft_lod_build (WeftStore *store, GError **error);

/* Ends a bulk load (weft-convert.c, weft-import.c): weft_store_finish()
 * with the level of detail built from the record of the load's
 * intervals the writer kept (@input, weft-lod-input.h) instead of the
 * tables, accumulated on two threads (P and M lanes; goroutine lanes),
 * which need no SQLite, while the store builds its indexes. The lanes are registered in the
 * load's transaction, the buckets written in one of their own after it;
 * 'lod_build_ms' is the time the build added to the load's end. */
gboolean weft_lod_finish_load (WeftStore *store, WeftLodInput *input, GError **error);

G_END_DECLS
