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
 * "blocking", "latency") of @store to @out. *n_rows is set to the number
 * of data rows (for leaks: leak and suspect groups). */
gboolean weft_report (WeftStore *store, const char *name, const WeftReportOptions *options, GString *out, guint *n_rows, GError **error);
gboolean weft_report_is_known (const char *name);
char    *weft_format_duration (gint64 ns);

G_END_DECLS
