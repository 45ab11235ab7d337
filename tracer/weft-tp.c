/* weft-tp.c — the probes of provider "weft", built alone as
 * libweft-lttng.so: the only object linked with liblttng-ust.
 *
 * libweft dlopen()s this library at start-up (trace.c) and never closes
 * it; loading it registers the probes with LTTng-UST, whose own
 * constructor connects to a session daemon if one runs. A program that
 * cannot load it (LTTng not installed) runs untraced at full speed.
 */
#define LTTNG_UST_TRACEPOINT_CREATE_PROBES
#include "weft-tp.h"
