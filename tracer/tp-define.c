/* tp-define.c — the "weft" tracepoint descriptors, compiled into libweft.
 *
 * With dynamic linkage libweft references no LTTng symbol: the
 * descriptors' constructor dlopen()s liblttng-ust-tracepoint.so.1 (a small
 * library with no threads) if it exists and registers them there; they
 * stay disabled, costing one load and branch per call site, until
 * libweft-lttng.so (the probes) is loaded and a session enables them.
 * trace.c is the only other file that includes weft-tp.h.
 */
#define LTTNG_UST_TRACEPOINT_DEFINE
#define LTTNG_UST_TRACEPOINT_PROBE_DYNAMIC_LINKAGE
#include "weft-tp.h"
