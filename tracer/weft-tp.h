/* weft-tp.h — the LTTng-UST tracepoint provider "weft": every event and
 * enum libweft writes. tracer/README.md is the reference for their meaning;
 * this file only fixes their layout.
 *
 * Compiled three ways, as LTTng-UST expects:
 *  - weft-tp.c defines LTTNG_UST_TRACEPOINT_CREATE_PROBES: the probes,
 *    in libweft-lttng.so, the only object linked with liblttng-ust;
 *  - tp-define.c defines LTTNG_UST_TRACEPOINT_DEFINE (dynamic linkage):
 *    the tracepoint descriptors, in libweft;
 *  - trace.c includes it plainly to emit events.
 *
 * Invariants:
 *  - the format is append-only: new fields go at the end of an event, new
 *    enum labels take new numbers, and nothing is renamed, so that a
 *    recorder can read traces of older and newer runtimes alike;
 *  - the enum numbers equal runtime.h's (trace.c asserts it at compile
 *    time); this header must not include runtime.h, since the provider
 *    library is built without the runtime;
 *  - at most 10 arguments per event (LTTng-UST's limit), hence scalar
 *    arguments rather than runtime structures.
 */
#undef LTTNG_UST_TRACEPOINT_PROVIDER
#define LTTNG_UST_TRACEPOINT_PROVIDER weft

#undef LTTNG_UST_TRACEPOINT_INCLUDE
#define LTTNG_UST_TRACEPOINT_INCLUDE "./weft-tp.h"

#if !defined(WEFT_TP_H) || defined(LTTNG_UST_TRACEPOINT_HEADER_MULTI_READ)
#define WEFT_TP_H

#include <lttng/tracepoint.h>
#include <stdint.h>

/* Bumped when the meaning of an existing field changes (it should not). */
#define WEFT_TRACE_FORMAT 1
/* Frames kept per stack: deeper stacks are cut at the outermost end. */
#define WEFT_TRACE_MAX_FRAMES 32

/* ------------------------------------------------------------------ enums */

/* WeftWaitReason (runtime.h). Labels are Go's waitReason strings. */
/* clang-format off */
LTTNG_UST_TRACEPOINT_ENUM (weft, wait_reason,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("none", 0)
    lttng_ust_field_enum_value ("chan send", 1)
    lttng_ust_field_enum_value ("chan receive", 2)
    lttng_ust_field_enum_value ("select", 3)
    lttng_ust_field_enum_value ("select (no cases)", 4)
    lttng_ust_field_enum_value ("chan send (nil chan)", 5)
    lttng_ust_field_enum_value ("chan receive (nil chan)", 6)
    lttng_ust_field_enum_value ("sync.Mutex.Lock", 7)
    lttng_ust_field_enum_value ("sync.RWMutex.RLock", 8)
    lttng_ust_field_enum_value ("sync.RWMutex.Lock", 9)
    lttng_ust_field_enum_value ("sync.Cond.Wait", 10)
    lttng_ust_field_enum_value ("sync.WaitGroup.Wait", 11)
    lttng_ust_field_enum_value ("sleep", 12)
    lttng_ust_field_enum_value ("IO wait (read)", 13)
    lttng_ust_field_enum_value ("IO wait (write)", 14)
    lttng_ust_field_enum_value ("IO wait (accept)", 15)
    lttng_ust_field_enum_value ("IO wait (connect)", 16)
    lttng_ust_field_enum_value ("main exited", 17)
    lttng_ust_field_enum_value ("GC assist wait", 18)
    lttng_ust_field_enum_value ("GC stop the world", 19)
    lttng_ust_field_enum_value ("sync.Once.Do", 20)
  )
)

/* WeftStopReason: why the previous goroutine left its P in a go_switch. */
LTTNG_UST_TRACEPOINT_ENUM (weft, stop_reason,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("none", 0)
    lttng_ust_field_enum_value ("yield", 1)
    lttng_ust_field_enum_value ("preempted", 2)
    lttng_ust_field_enum_value ("blocked", 3)
    lttng_ust_field_enum_value ("exited", 4)
    lttng_ust_field_enum_value ("syscall", 5)
  )
)

/* What started a GC cycle. */
LTTNG_UST_TRACEPOINT_ENUM (weft, gc_trigger,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("heap", 0)
    lttng_ust_field_enum_value ("forced", 1)
    lttng_ust_field_enum_value ("periodic", 2)
    lttng_ust_field_enum_value ("memory limit", 3)
  )
)

/* Why the world stopped. */
LTTNG_UST_TRACEPOINT_ENUM (weft, stw_reason,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("GC sweep termination", 0)
    lttng_ust_field_enum_value ("GC mark termination", 1)
    lttng_ust_field_enum_value ("ReadMemStats", 2)
    lttng_ust_field_enum_value ("other", 3)
  )
)

/* How a P runs a GC mark worker (Go's gcMarkWorkerMode). */
LTTNG_UST_TRACEPOINT_ENUM (weft, gc_worker_mode,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("dedicated", 0)
    lttng_ust_field_enum_value ("fractional", 1)
    lttng_ust_field_enum_value ("idle", 2)
  )
)

/* WeftGStatus, in snapshots. */
LTTNG_UST_TRACEPOINT_ENUM (weft, g_status,
  LTTNG_UST_TP_ENUM_VALUES (
    lttng_ust_field_enum_value ("idle", 0)
    lttng_ust_field_enum_value ("runnable", 1)
    lttng_ust_field_enum_value ("running", 2)
    lttng_ust_field_enum_value ("syscall", 3)
    lttng_ust_field_enum_value ("waiting", 4)
    lttng_ust_field_enum_value ("dead", 5)
  )
)

/* ------------------------------------------------------------------ process */

LTTNG_UST_TRACEPOINT_EVENT (weft, runtime_info,
  LTTNG_UST_TP_ARGS (int32_t, pid, int32_t, nprocs, uint64_t, stack_size, const char *, version),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int32_t, pid, pid)
    lttng_ust_field_integer (uint16_t, nprocs, nprocs)
    lttng_ust_field_integer (uint64_t, stack_size, stack_size)
    lttng_ust_field_string (version, version)
    lttng_ust_field_integer (uint16_t, format, WEFT_TRACE_FORMAT)
  )
)

/* ------------------------------------------------------------------ goroutines */

LTTNG_UST_TRACEPOINT_EVENT (weft, go_create,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, parent, uint64_t, start_pc, uint32_t, create_stack, const char *, name),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, parent, parent)
    lttng_ust_field_integer_hex (uint64_t, start_pc, start_pc)
    lttng_ust_field_integer (uint32_t, create_stack, create_stack)
    lttng_ust_field_string (name, name)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, go_switch,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m, uint64_t, prev, uint8_t, stop_reason, uint8_t, wait_reason,
                     uint64_t, wait_obj, uint32_t, wait_stack, uint64_t, next),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (int32_t, m, m)
    lttng_ust_field_integer (uint64_t, prev, prev)
    lttng_ust_field_enum (weft, stop_reason, uint8_t, stop_reason, stop_reason)
    lttng_ust_field_enum (weft, wait_reason, uint8_t, wait_reason, wait_reason)
    lttng_ust_field_integer_hex (uint64_t, wait_obj, wait_obj)
    lttng_ust_field_integer (uint32_t, wait_stack, wait_stack)
    lttng_ust_field_integer (uint64_t, next, next)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, go_unblock,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, by, int32_t, p),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, by, by)
    lttng_ust_field_integer (int16_t, p, p)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, go_status,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint8_t, status, uint8_t, wait_reason, uint64_t, wait_obj,
                     uint32_t, wait_stack, int64_t, wait_since, uint64_t, start_pc, uint64_t, parent,
                     uint32_t, create_stack, const char *, name),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_enum (weft, g_status, uint8_t, status, status)
    lttng_ust_field_enum (weft, wait_reason, uint8_t, wait_reason, wait_reason)
    lttng_ust_field_integer_hex (uint64_t, wait_obj, wait_obj)
    lttng_ust_field_integer (uint32_t, wait_stack, wait_stack)
    lttng_ust_field_integer (int64_t, wait_since, wait_since)
    lttng_ust_field_integer_hex (uint64_t, start_pc, start_pc)
    lttng_ust_field_integer (uint64_t, parent, parent)
    lttng_ust_field_integer (uint32_t, create_stack, create_stack)
    lttng_ust_field_string (name, name)
  )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, snapshot_class,
  LTTNG_UST_TP_ARGS (uint32_t, generation, uint32_t, goroutines),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, generation, generation)
    lttng_ust_field_integer (uint32_t, goroutines, goroutines)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, snapshot_class, weft, snapshot_begin,
  LTTNG_UST_TP_ARGS (uint32_t, generation, uint32_t, goroutines))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, snapshot_class, weft, snapshot_end,
  LTTNG_UST_TP_ARGS (uint32_t, generation, uint32_t, goroutines))

/* ------------------------------------------------------------------ syscalls */

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, syscall_class,
  LTTNG_UST_TP_ARGS (uint64_t, goid, int32_t, p),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (int16_t, p, p)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, syscall_class, weft, syscall_enter,
  LTTNG_UST_TP_ARGS (uint64_t, goid, int32_t, p))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, syscall_class, weft, syscall_exit,
  LTTNG_UST_TP_ARGS (uint64_t, goid, int32_t, p))

/* ------------------------------------------------------------------ Ps */

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, proc_class,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (int32_t, m, m)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, proc_class, weft, proc_start,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, proc_class, weft, proc_stop,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, proc_class, weft, proc_steal,
  LTTNG_UST_TP_ARGS (int32_t, p, int32_t, m))

/* ------------------------------------------------------------------ Ms */

LTTNG_UST_TRACEPOINT_EVENT (weft, thread_start,
  LTTNG_UST_TP_ARGS (int32_t, m, int32_t, tid),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int32_t, m, m)
    lttng_ust_field_integer (int32_t, tid, tid)
  )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, thread_class,
  LTTNG_UST_TP_ARGS (int32_t, m),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int32_t, m, m)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, thread_class, weft, thread_park,
  LTTNG_UST_TP_ARGS (int32_t, m))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, thread_class, weft, thread_unpark,
  LTTNG_UST_TP_ARGS (int32_t, m))

/* ------------------------------------------------------------------ stacks */

LTTNG_UST_TRACEPOINT_EVENT (weft, stack,
  LTTNG_UST_TP_ARGS (uint32_t, id, const uint64_t *, ips, uint8_t, n),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, id, id)
    lttng_ust_field_sequence_hex (uint64_t, ips, ips, uint8_t, n)
  )
)

/* ------------------------------------------------------------------ user annotations
 * Each carries the goroutine that made the call: events are not otherwise
 * tied to a goroutine (a thread runs many), and regions are per goroutine. */

LTTNG_UST_TRACEPOINT_EVENT (weft, task_begin,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task, uint64_t, parent, const char *, name),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, task, task)
    lttng_ust_field_integer (uint64_t, parent, parent)
    lttng_ust_field_string (name, name)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, task_end,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, task, task)
  )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, region_class,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task, const char *, name),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, task, task)
    lttng_ust_field_string (name, name)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, region_class, weft, region_begin,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task, const char *, name))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, region_class, weft, region_end,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task, const char *, name))

LTTNG_UST_TRACEPOINT_EVENT (weft, log,
  LTTNG_UST_TP_ARGS (uint64_t, goid, uint64_t, task, const char *, category, const char *, message),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (uint64_t, task, task)
    lttng_ust_field_string (category, category)
    lttng_ust_field_string (message, message)
  )
)

/* ------------------------------------------------------------------ garbage collector
 * tracer/README.md, "The garbage collector", gives the phases' order. */

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_begin,
  LTTNG_UST_TP_ARGS (uint32_t, cycle, uint8_t, trigger, uint64_t, heap_live, uint64_t, heap_goal),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, cycle, cycle)
    lttng_ust_field_enum (weft, gc_trigger, uint8_t, trigger, trigger)
    lttng_ust_field_integer (uint64_t, heap_live, heap_live)
    lttng_ust_field_integer (uint64_t, heap_goal, heap_goal)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_end,
  LTTNG_UST_TP_ARGS (uint32_t, cycle, uint64_t, heap_marked, uint64_t, next_goal),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, cycle, cycle)
    lttng_ust_field_integer (uint64_t, heap_marked, heap_marked)
    lttng_ust_field_integer (uint64_t, next_goal, next_goal)
  )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, stw_class,
  LTTNG_UST_TP_ARGS (uint8_t, reason, uint32_t, cycle),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_enum (weft, stw_reason, uint8_t, reason, reason)
    lttng_ust_field_integer (uint32_t, cycle, cycle)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, stw_class, weft, stw_begin,
  LTTNG_UST_TP_ARGS (uint8_t, reason, uint32_t, cycle))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, stw_class, weft, stw_end,
  LTTNG_UST_TP_ARGS (uint8_t, reason, uint32_t, cycle))

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, gc_mark_class,
  LTTNG_UST_TP_ARGS (uint32_t, cycle),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, cycle, cycle)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, gc_mark_class, weft, gc_mark_begin,
  LTTNG_UST_TP_ARGS (uint32_t, cycle))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, gc_mark_class, weft, gc_mark_end,
  LTTNG_UST_TP_ARGS (uint32_t, cycle))

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_worker_begin,
  LTTNG_UST_TP_ARGS (int32_t, p, uint8_t, mode),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_enum (weft, gc_worker_mode, uint8_t, mode, mode)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_worker_end,
  LTTNG_UST_TP_ARGS (int32_t, p, uint64_t, scanned),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (uint64_t, scanned, scanned)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_assist_begin,
  LTTNG_UST_TP_ARGS (uint64_t, goid, int32_t, p),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (int16_t, p, p)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_assist_end,
  LTTNG_UST_TP_ARGS (uint64_t, goid, int32_t, p, uint64_t, scanned),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (uint64_t, scanned, scanned)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_sweep_begin,
  LTTNG_UST_TP_ARGS (int32_t, p),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
  )
)

LTTNG_UST_TRACEPOINT_EVENT (weft, gc_sweep_end,
  LTTNG_UST_TP_ARGS (int32_t, p, uint64_t, swept, uint64_t, reclaimed),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (int16_t, p, p)
    lttng_ust_field_integer (uint64_t, swept, swept)
    lttng_ust_field_integer (uint64_t, reclaimed, reclaimed)
  )
)

LTTNG_UST_TRACEPOINT_EVENT_CLASS (weft, heap_counter_class,
  LTTNG_UST_TP_ARGS (uint64_t, bytes),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint64_t, bytes, bytes)
  )
)
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, heap_counter_class, weft, heap_alloc,
  LTTNG_UST_TP_ARGS (uint64_t, bytes))
LTTNG_UST_TRACEPOINT_EVENT_INSTANCE (weft, heap_counter_class, weft, heap_goal,
  LTTNG_UST_TP_ARGS (uint64_t, bytes))

LTTNG_UST_TRACEPOINT_EVENT (weft, go_leaked,
  LTTNG_UST_TP_ARGS (uint32_t, cycle, uint64_t, goid, uint8_t, wait_reason, uint64_t, wait_obj, uint32_t, wait_stack),
  LTTNG_UST_TP_FIELDS (
    lttng_ust_field_integer (uint32_t, cycle, cycle)
    lttng_ust_field_integer (uint64_t, goid, goid)
    lttng_ust_field_enum (weft, wait_reason, uint8_t, wait_reason, wait_reason)
    lttng_ust_field_integer_hex (uint64_t, wait_obj, wait_obj)
    lttng_ust_field_integer (uint32_t, wait_stack, wait_stack)
  )
)

/* clang-format on */

#endif /* WEFT_TP_H */

#include <lttng/tracepoint-event.h>
