/* weft-symbolize.h — offline symbolisation of a store's addresses.
 *
 * Uses the mapping table (from lttng_ust_statedump:bin_info) to find the
 * object and offset of every address in frame.pc and goroutine.start_pc,
 * then asks binutils' addr2line, one process per object with all of its
 * addresses in one batch, for function, file and line. The results go to
 * the symbol table. Objects that are gone or stripped leave addresses
 * unresolved, which is not an error.
 */
#pragma once

#include "weft-store.h"

G_BEGIN_DECLS

gboolean weft_symbolize (WeftStore *store, guint *n_resolved, guint *n_unresolved, GError **error);

G_END_DECLS
