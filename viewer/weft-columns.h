/* weft-columns.h — translated titles of the shared queries' columns and
 * of the names stored in the database (states, GC phases, pause reasons).
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The title of column @column ("total_exec_ns" -> "Total Execution"), in
 * the user's language; for a column it does not know, the name without
 * its unit suffix. Free with g_free(). */
char *weft_column_title (const char *column);
/* @name (a state, GC phase, trigger, pause reason or leak kind as the
 * schema spells it) in the user's language, or @name itself. */
const char *weft_value_name (const char *name);

G_END_DECLS
