/* bench-tp.h — provider "weftbench": one event with exactly the payload of
 * weft:go_switch, emitted directly with lttng_ust_tracepoint() as a plain
 * LTTng-UST user would, to compare against the runtime's wrapper. */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER weftbench

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./bench-tp.h"

#if !defined(WEFT_BENCH_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define WEFT_BENCH_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

/* clang-format off */
LTTNG_UST_TRACEPOINT_ENUM (weftbench, reason,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("none", 0)
    lttng_ust_field_enum_value ("blocked", 3)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weftbench, go_switch,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m, uint64_t, prev, uint8_t, stop_reason, uint8_t, wait_reason,
                     uint64_t, wait_obj, uint32_t, wait_stack, uint64_t, next),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (int32_t, m, m)
    lttng_ust_field_integer (uint64_t, prev, prev)
    lttng_ust_field_enum (weftbench, reason, uint8_t, stop_reason, stop_reason)
    lttng_ust_field_enum (weftbench, reason, uint8_t, wait_reason, wait_reason)
    lttng_ust_field_integer_hex (uint64_t, wait_obj, wait_obj)
    lttng_ust_field_integer (uint32_t, wait_stack, wait_stack)
    lttng_ust_field_integer (uint64_t, next, next)
  )
)

/* clang-format on */

#endif /* WEFT_BENCH_TP_H */

#include <lttng/tracepoint-event.h>
