/* weft-report.h — the `weft report` commands: run one of schema/queries
 * on a store and print the rows as an aligned table or as JSON.
 */
#pragma once

#include "weft-store.h"

G_BEGIN_DECLS

typedef struct
{
  gboolean json;
  gint64   limit;          /* :limit, rows per table */
  gint64   min_blocked_ns; /* :min_blocked_ns, the leak threshold */
} WeftReportOptions;

/* Prints report @name ("summary", "goroutines", "leaks", "pauses", "gc",
 * "blocking", "latency") of @store to @out. A report of several tables
 * ("pauses": distribution, MMU, longest pauses) prints each under a title,
 * or in JSON an object of arrays keyed by query name. *n_rows is set to
 * the number of rows of its last table (for leaks: leak and suspect
 * groups; for pauses: pauses). */
gboolean weft_report (WeftStore *store, const char *name, const WeftReportOptions *options, GString *out, guint *n_rows, GError **error);
gboolean weft_report_is_known (const char *name);
/* Prints the rows of @stmt (stepped to the end, not finalized) as an
 * aligned table or a JSON array, as the reports do; @name names it in
 * errors; @item_rows: rows are (item, value) pairs whose item's "_ns"
 * suffix says the value is a duration. */
gboolean weft_report_statement (WeftStore *store, sqlite3_stmt *stmt, const char *name, gboolean json, gboolean item_rows, GString *out, guint *n_rows, GError **error);
/* Prepares @sql for `weft query` (and the viewer's own questions): exactly
 * one statement that reads, else NULL and an error saying why (empty,
 * several statements, a statement that would write, or SQLite's own). */
sqlite3_stmt *weft_report_prepare_user_sql (WeftStore *store, const char *sql, GError **error);
char         *weft_format_duration (gint64 ns);
/* Column @c of @stmt's current row as the reports show it: NULL as "-",
 * "*_ns" columns (or rows whose @item ends in "_ns") as durations with
 * units, "*_bytes" in binary units, reals with 4 digits. */
char *weft_report_cell_text (sqlite3_stmt *stmt, int c, const char *col, const char *item);
/* A column's title: its name without the unit suffix. */
char *weft_report_header_text (const char *col);

G_END_DECLS
