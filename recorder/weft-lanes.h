/* weft-lanes.h — the lane tables gstate, pstate and mstate, stored packed.
 *
 * Schema version 3 stores a lane's intervals (a goroutine's, a P's, an
 * M's) in chunks: up to WEFT_LANE_CHUNK consecutive intervals of one lane
 * per row of gstate_chunk, pstate_chunk or mstate_chunk, as varint deltas
 * in a BLOB (weft-lanes.c says how). The tables the analyses and the
 * viewer read, gstate, pstate and mstate, are eponymous virtual tables
 * over those chunks, registered on every connection of a WeftStore: their
 * columns and rows are those of the row tables of schema version 2, and
 * an INSERT into them packs (tests build databases that way). A file of
 * version 2 keeps its row tables, which SQLite finds before a module of
 * the same name.
 *
 * A bulk load packs with a WeftLanePacker, which keeps each lane's open
 * chunk in memory (bounded: all are written out past a budget) and writes
 * a chunk when it is full. The level of detail's lod_bucket is packed the
 * same way (WeftLodPacker, lod_chunk), from buckets written in key order.
 */
#pragma once

#include <glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/* Intervals per chunk: a window query decodes at most two chunks more
 * than it returns; 64 makes 15 M intervals 240 k rows. */
#define WEFT_LANE_CHUNK 64

typedef enum
{
  WEFT_LANE_GSTATE,
  WEFT_LANE_PSTATE,
  WEFT_LANE_MSTATE,
  WEFT_LANE_N_TABLES
} WeftLaneTable;

typedef struct _WeftLanePacker WeftLanePacker;
typedef struct _WeftLodPacker  WeftLodPacker;

int weft_lanes_register (sqlite3 *db);

WeftLanePacker *weft_lane_packer_new (sqlite3 *db, WeftLaneTable table);
gboolean        weft_lane_packer_add (WeftLanePacker *self, const gint64 *v, guint32 nulls);
gboolean        weft_lane_packer_end_lane (WeftLanePacker *self, gint64 lane);
gboolean        weft_lane_packer_close (WeftLanePacker *self, guint64 *rows);

WeftLodPacker *weft_lod_packer_new (sqlite3 *db);
gboolean       weft_lod_packer_add (WeftLodPacker *self, gint64 lane, gint64 level, gint64 bucket, gint64 key, gint64 cover);
gboolean       weft_lod_packer_close (WeftLodPacker *self, guint64 *rows);

G_END_DECLS
