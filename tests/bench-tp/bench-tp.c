/* bench-tp.c — probes and descriptors of the "weftbench" provider, linked
 * into the benchmark itself (static linkage, the plain LTTng-UST setup). */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#define LTTNG_UST_TRACEPOINT_DEFINE
#include "bench-tp.h"
