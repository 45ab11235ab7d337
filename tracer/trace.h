/* trace.h — Runtime -> tracer API (Go's traceruntime.go boundary).
 *
 * The runtime calls these wrappers at every scheduling and blocking point;
 * only trace.c knows about LTTng. Each wrapper is an inline test of one
 * global flag, so a program that is not being traced pays a predictable
 * load and branch per event site and nothing else.
 *
 * weft_trace_on follows whether any "weft" tracepoint is enabled: it is
 * set at start-up and then polled by sysmon (weft_trace_poll). On each
 * rising edge trace.c writes a fresh snapshot (runtime info, one go_status
 * per goroutine, stacks are re-announced) so that a session attached to a
 * running process can rebuild every goroutine's state.
 */
#pragma once

#include "runtime.h"

#if WEFT_TRACING
extern WEFT_HIDDEN _Atomic int weft_trace_on;

static inline bool
weft_tracing (void)
{
  return unlikely (atomic_load_explicit (&weft_trace_on, memory_order_relaxed));
}

/* Loads the LTTng provider (unless WEFT_TRACE=0) and reads its state. */
WEFT_HIDDEN void weft_trace_init (void);
/* From sysmon: notices sessions starting and stopping. */
WEFT_HIDDEN void weft_trace_poll (void);
/* The program is exiting: no event from now on. */
WEFT_HIDDEN void weft_trace_exit (void);
#else
/* Built without LTTng-UST (-Dtracing=disabled): every event site is
 * compiled out. */
#define weft_tracing() false
static inline void
weft_trace_init (void)
{
}
static inline void
weft_trace_poll (void)
{
}
static inline void
weft_trace_exit (void)
{
}
#endif

/* Stack ids: the calling goroutine's stack is named by a small id (ids
 * start at 1; 0 = no stack) and announced (weft:stack) by the first event
 * of a session that refers to it. When libweft is a shared object, the
 * stack starts at the outermost libweft frame of the leading run of them
 * (the public call the program made: weft_chan_recv, weft_go…), found by
 * address, and @skip is ignored; when libweft is linked into the
 * executable, the frame calling weft_trace_stack() and @skip more are
 * dropped instead. */
WEFT_HIDDEN uint32_t _weft_trace_stack (int skip);

#define WEFT_TRACE_WRAP(name, params, args)   \
  WEFT_HIDDEN void _weft_trace_##name params; \
  static inline void weft_trace_##name params \
  {                                           \
    if (weft_tracing ())                      \
      _weft_trace_##name args;                \
  }

/* @newg was created by the current goroutine (or by the runtime when
 * none runs); its creation stack is newg->create_stack. */
WEFT_TRACE_WRAP (go_create, (G * newg), (newg))
/* On @pp/@mp, prev (may be NULL: the P was idle) stopped for @reason and
 * next (may be NULL: the P goes idle) starts. One event for both sides.
 * For WEFT_STOP_BLOCKED, prev's wait_reason/wait_obj/wait_stack apply. */
WEFT_TRACE_WRAP (go_switch, (P * pp, M *mp, G *prev, WeftStopReason reason, G *next), (pp, mp, prev, reason, next))
/* @gp became runnable because of the current goroutine (or the runtime). */
WEFT_TRACE_WRAP (go_unblock, (G * gp), (gp))
WEFT_TRACE_WRAP (syscall_enter, (G * gp, P *pp), (gp, pp))
/* @pp is the P it continues on (NULL: it lost its P and waits for one). */
WEFT_TRACE_WRAP (syscall_exit, (G * gp, P *pp), (gp, pp))
/* sysmon took @pp from @mp, which is blocked in a syscall. */
WEFT_TRACE_WRAP (proc_steal, (P * pp, M *mp), (pp, mp))
WEFT_TRACE_WRAP (proc_start, (P * pp, M *mp), (pp, mp))
WEFT_TRACE_WRAP (proc_stop, (P * pp, M *mp), (pp, mp))
WEFT_TRACE_WRAP (thread_start, (M * mp), (mp))
WEFT_TRACE_WRAP (thread_park, (M * mp), (mp))
WEFT_TRACE_WRAP (thread_unpark, (M * mp), (mp))
WEFT_TRACE_WRAP (task_begin, (uint64_t task, uint64_t parent, const char *name), (task, parent, name))
WEFT_TRACE_WRAP (task_end, (uint64_t task), (task))
WEFT_TRACE_WRAP (region_begin, (uint64_t task, const char *name), (task, name))
WEFT_TRACE_WRAP (region_end, (uint64_t task, const char *name), (task, name))
WEFT_TRACE_WRAP (log, (uint64_t task, const char *category, const char *message), (task, category, message))

/* The collector (mgc.c); README.md, "The garbage collector". Enum values
 * are the weft:gc_trigger, weft:stw_reason and weft:gc_worker_mode ones. */
WEFT_TRACE_WRAP (gc_begin, (uint32_t cycle, uint8_t trigger, uint64_t heap_live, uint64_t heap_goal), (cycle, trigger, heap_live, heap_goal))
WEFT_TRACE_WRAP (gc_end, (uint32_t cycle, uint64_t heap_marked, uint64_t next_goal), (cycle, heap_marked, next_goal))
WEFT_TRACE_WRAP (stw_begin, (uint8_t reason, uint32_t cycle), (reason, cycle))
WEFT_TRACE_WRAP (stw_end, (uint8_t reason, uint32_t cycle), (reason, cycle))
WEFT_TRACE_WRAP (gc_mark_begin, (uint32_t cycle), (cycle))
WEFT_TRACE_WRAP (gc_mark_end, (uint32_t cycle), (cycle))
WEFT_TRACE_WRAP (gc_worker_begin, (P * pp, uint8_t mode), (pp, mode))
WEFT_TRACE_WRAP (gc_worker_end, (P * pp, uint64_t scanned), (pp, scanned))
WEFT_TRACE_WRAP (gc_assist_begin, (G * gp, P *pp), (gp, pp))
WEFT_TRACE_WRAP (gc_assist_end, (G * gp, P *pp, uint64_t scanned), (gp, pp, scanned))
WEFT_TRACE_WRAP (gc_sweep_begin, (P * pp), (pp))
WEFT_TRACE_WRAP (gc_sweep_end, (P * pp, uint64_t swept, uint64_t reclaimed), (pp, swept, reclaimed))
WEFT_TRACE_WRAP (heap_alloc, (uint64_t bytes), (bytes))
WEFT_TRACE_WRAP (heap_goal, (uint64_t bytes), (bytes))
/* @gp is blocked for good (mark termination of @cycle); its wait_reason,
 * wait_obj and wait_stack say on what. */
WEFT_TRACE_WRAP (go_leaked, (uint32_t cycle, G *gp), (cycle, gp))

/* Stack id for the current goroutine's call site (0 when not tracing). */
static inline uint32_t
weft_trace_stack (int skip)
{
  return weft_tracing () ? _weft_trace_stack (skip + 1) : 0;
}
