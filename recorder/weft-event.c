/* weft-event.c — the field lists of the events the recorder reads. */
#include "weft-event.h"

#include <string.h>

#define I(n)          \
  {                   \
    n, WEFT_FIELD_INT \
  }
#define S(n)             \
  {                      \
    n, WEFT_FIELD_STRING \
  }
#define Q(n)               \
  {                        \
    n, WEFT_FIELD_SEQUENCE \
  }

/* Integer fields must be listed in the order of the enums in weft-event.h. */
static const WeftFieldSpec runtime_info[] = { I ("pid"), I ("nprocs"), I ("stack_size"), I ("format"), S ("version") };
static const WeftFieldSpec go_create[] = { I ("goid"), I ("parent"), I ("start_pc"), I ("create_stack"), S ("name") };
static const WeftFieldSpec go_switch[] = { I ("p"), I ("m"), I ("prev"), I ("stop_reason"),
                                           I ("wait_reason"), I ("wait_obj"), I ("wait_stack"), I ("next") };
static const WeftFieldSpec go_unblock[] = { I ("goid"), I ("by"), I ("p") };
static const WeftFieldSpec go_status[] = { I ("goid"), I ("status"), I ("wait_reason"), I ("wait_obj"),
                                           I ("wait_stack"), I ("wait_since"), I ("start_pc"), I ("parent"),
                                           I ("create_stack"), S ("name") };
static const WeftFieldSpec snapshot[] = { I ("generation"), I ("goroutines") };
static const WeftFieldSpec syscall[] = { I ("goid"), I ("p") };
static const WeftFieldSpec proc[] = { I ("p"), I ("m") };
static const WeftFieldSpec thread_start[] = { I ("m"), I ("tid") };
static const WeftFieldSpec thread[] = { I ("m") };
static const WeftFieldSpec stack[] = { I ("id"), Q ("ips") };
static const WeftFieldSpec task_begin[] = { I ("goid"), I ("task"), I ("parent"), S ("name") };
static const WeftFieldSpec task_end[] = { I ("goid"), I ("task") };
static const WeftFieldSpec region[] = { I ("goid"), I ("task"), S ("name") };
static const WeftFieldSpec log_[] = { I ("goid"), I ("task"), S ("category"), S ("message") };
static const WeftFieldSpec bin_info[] = { I ("baddr"), I ("memsz"), S ("path"), I ("is_pic"),
                                          I ("has_build_id"), I ("has_debug_link") };
static const WeftFieldSpec build_id[] = { I ("baddr"), Q ("build_id") };
static const WeftFieldSpec procname[] = { S ("procname") };
static const WeftFieldSpec debug_link[] = { I ("baddr"), I ("crc"), S ("filename") };
static const WeftFieldSpec gc_begin[] = { I ("cycle"), I ("trigger"), I ("heap_live"), I ("heap_goal") };
static const WeftFieldSpec gc_end[] = { I ("cycle"), I ("heap_marked"), I ("next_goal") };
static const WeftFieldSpec stw[] = { I ("reason"), I ("cycle") };
static const WeftFieldSpec gc_mark[] = { I ("cycle") };
static const WeftFieldSpec gc_worker_begin[] = { I ("p"), I ("mode") };
static const WeftFieldSpec gc_worker_end[] = { I ("p"), I ("scanned") };
static const WeftFieldSpec gc_assist_begin[] = { I ("goid"), I ("p") };
static const WeftFieldSpec gc_assist_end[] = { I ("goid"), I ("p"), I ("scanned") };
static const WeftFieldSpec gc_sweep_begin[] = { I ("p") };
static const WeftFieldSpec gc_sweep_end[] = { I ("p"), I ("swept"), I ("reclaimed") };
static const WeftFieldSpec heap_counter[] = { I ("bytes") };
static const WeftFieldSpec go_leaked[] = { I ("cycle"), I ("goid"), I ("wait_reason"), I ("wait_obj"),
                                           I ("wait_stack") };

#define SPEC(type, name, fields) [type] = { name, fields, G_N_ELEMENTS (fields) }

static const WeftEventSpec specs[WEFT_EV_N] = {
  SPEC (WEFT_EV_RUNTIME_INFO, "weft:runtime_info", runtime_info),
  SPEC (WEFT_EV_GO_CREATE, "weft:go_create", go_create),
  SPEC (WEFT_EV_GO_SWITCH, "weft:go_switch", go_switch),
  SPEC (WEFT_EV_GO_UNBLOCK, "weft:go_unblock", go_unblock),
  SPEC (WEFT_EV_GO_STATUS, "weft:go_status", go_status),
  SPEC (WEFT_EV_SNAPSHOT_BEGIN, "weft:snapshot_begin", snapshot),
  SPEC (WEFT_EV_SNAPSHOT_END, "weft:snapshot_end", snapshot),
  SPEC (WEFT_EV_SYSCALL_ENTER, "weft:syscall_enter", syscall),
  SPEC (WEFT_EV_SYSCALL_EXIT, "weft:syscall_exit", syscall),
  SPEC (WEFT_EV_PROC_START, "weft:proc_start", proc),
  SPEC (WEFT_EV_PROC_STOP, "weft:proc_stop", proc),
  SPEC (WEFT_EV_PROC_STEAL, "weft:proc_steal", proc),
  SPEC (WEFT_EV_THREAD_START, "weft:thread_start", thread_start),
  SPEC (WEFT_EV_THREAD_PARK, "weft:thread_park", thread),
  SPEC (WEFT_EV_THREAD_UNPARK, "weft:thread_unpark", thread),
  SPEC (WEFT_EV_STACK, "weft:stack", stack),
  SPEC (WEFT_EV_TASK_BEGIN, "weft:task_begin", task_begin),
  SPEC (WEFT_EV_TASK_END, "weft:task_end", task_end),
  SPEC (WEFT_EV_REGION_BEGIN, "weft:region_begin", region),
  SPEC (WEFT_EV_REGION_END, "weft:region_end", region),
  SPEC (WEFT_EV_LOG, "weft:log", log_),
  SPEC (WEFT_EV_BIN_INFO, "lttng_ust_statedump:bin_info", bin_info),
  SPEC (WEFT_EV_BUILD_ID, "lttng_ust_statedump:build_id", build_id),
  SPEC (WEFT_EV_DEBUG_LINK, "lttng_ust_statedump:debug_link", debug_link),
  SPEC (WEFT_EV_PROCNAME, "lttng_ust_statedump:procname", procname),
  SPEC (WEFT_EV_GC_BEGIN, "weft:gc_begin", gc_begin),
  SPEC (WEFT_EV_GC_END, "weft:gc_end", gc_end),
  SPEC (WEFT_EV_STW_BEGIN, "weft:stw_begin", stw),
  SPEC (WEFT_EV_STW_END, "weft:stw_end", stw),
  SPEC (WEFT_EV_GC_MARK_BEGIN, "weft:gc_mark_begin", gc_mark),
  SPEC (WEFT_EV_GC_MARK_END, "weft:gc_mark_end", gc_mark),
  SPEC (WEFT_EV_GC_WORKER_BEGIN, "weft:gc_worker_begin", gc_worker_begin),
  SPEC (WEFT_EV_GC_WORKER_END, "weft:gc_worker_end", gc_worker_end),
  SPEC (WEFT_EV_GC_ASSIST_BEGIN, "weft:gc_assist_begin", gc_assist_begin),
  SPEC (WEFT_EV_GC_ASSIST_END, "weft:gc_assist_end", gc_assist_end),
  SPEC (WEFT_EV_GC_SWEEP_BEGIN, "weft:gc_sweep_begin", gc_sweep_begin),
  SPEC (WEFT_EV_GC_SWEEP_END, "weft:gc_sweep_end", gc_sweep_end),
  SPEC (WEFT_EV_HEAP_ALLOC, "weft:heap_alloc", heap_counter),
  SPEC (WEFT_EV_HEAP_GOAL, "weft:heap_goal", heap_counter),
  SPEC (WEFT_EV_GO_LEAKED, "weft:go_leaked", go_leaked),
};

WeftEventType
weft_event_type_from_name (const char *name)
{
  g_return_val_if_fail (name != NULL, WEFT_EV_UNKNOWN);

  for (int t = 1; t < WEFT_EV_N; t++)
    if (strcmp (specs[t].name, name) == 0)
      return (WeftEventType) t;
  return WEFT_EV_UNKNOWN;
}

const WeftEventSpec *
weft_event_spec (WeftEventType type)
{
  g_return_val_if_fail (type > WEFT_EV_UNKNOWN && type < WEFT_EV_N, NULL);
  return &specs[type];
}
