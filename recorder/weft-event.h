/* weft-event.h — the events the recorder understands, decoded.
 *
 * The contract is tracer/weft-tp.h (provider "weft") plus LTTng-UST's
 * statedump events. A WeftEventSpec lists the payload fields the recorder
 * reads, by name: a field a trace lacks (an older runtime) reads as 0 and a
 * field it adds is ignored, as weft-tp.h's append-only rule intends.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum
{
  WEFT_EV_UNKNOWN,
  WEFT_EV_RUNTIME_INFO,
  WEFT_EV_GO_CREATE,
  WEFT_EV_GO_SWITCH,
  WEFT_EV_GO_UNBLOCK,
  WEFT_EV_GO_STATUS,
  WEFT_EV_SNAPSHOT_BEGIN,
  WEFT_EV_SNAPSHOT_END,
  WEFT_EV_SYSCALL_ENTER,
  WEFT_EV_SYSCALL_EXIT,
  WEFT_EV_PROC_START,
  WEFT_EV_PROC_STOP,
  WEFT_EV_PROC_STEAL,
  WEFT_EV_THREAD_START,
  WEFT_EV_THREAD_PARK,
  WEFT_EV_THREAD_UNPARK,
  WEFT_EV_STACK,
  WEFT_EV_TASK_BEGIN,
  WEFT_EV_TASK_END,
  WEFT_EV_REGION_BEGIN,
  WEFT_EV_REGION_END,
  WEFT_EV_LOG,
  WEFT_EV_BIN_INFO,
  WEFT_EV_BUILD_ID,
  WEFT_EV_DEBUG_LINK,
  WEFT_EV_PROCNAME,
  WEFT_EV_GC_BEGIN,
  WEFT_EV_GC_END,
  WEFT_EV_STW_BEGIN,
  WEFT_EV_STW_END,
  WEFT_EV_GC_MARK_BEGIN,
  WEFT_EV_GC_MARK_END,
  WEFT_EV_GC_WORKER_BEGIN,
  WEFT_EV_GC_WORKER_END,
  WEFT_EV_GC_ASSIST_BEGIN,
  WEFT_EV_GC_ASSIST_END,
  WEFT_EV_GC_SWEEP_BEGIN,
  WEFT_EV_GC_SWEEP_END,
  WEFT_EV_HEAP_ALLOC,
  WEFT_EV_HEAP_GOAL,
  WEFT_EV_GO_LEAKED,
  WEFT_EV_N
} WeftEventType;

typedef enum
{
  WEFT_FIELD_INT,      /* signed or unsigned integer or enum -> f[] */
  WEFT_FIELD_STRING,   /* -> s[] */
  WEFT_FIELD_SEQUENCE, /* of integers -> seq[], n_seq */
} WeftFieldKind;

#define WEFT_EVENT_MAX_FIELDS 10
#define WEFT_EVENT_MAX_STRINGS 2
#define WEFT_EVENT_MAX_SEQ 256

typedef struct
{
  const char   *name;
  WeftFieldKind kind;
} WeftFieldSpec;

typedef struct
{
  const char          *name; /* "provider:event" */
  const WeftFieldSpec *fields;
  guint                n_fields;
} WeftEventSpec;

/* A decoded event. Integer fields are in f[] in the order of the spec's
 * integer fields (likewise strings in s[]); signed values are stored as
 * their two's complement. */
typedef struct
{
  WeftEventType type;
  gint64        ts; /* ns from the clock's origin */
  guint64       f[WEFT_EVENT_MAX_FIELDS];
  const char   *s[WEFT_EVENT_MAX_STRINGS]; /* borrowed, never NULL */
  guint         n_seq;
  guint64       seq[WEFT_EVENT_MAX_SEQ];
  /* go_status: wait_since converted to the event clock, if it could be. */
  gboolean wait_since_valid;
  gint64   wait_since_ns;
  /* Some field of the spec is absent from the trace's event (read as 0). */
  gboolean incomplete;
} WeftEvent;

WeftEventType        weft_event_type_from_name (const char *name);
const WeftEventSpec *weft_event_spec (WeftEventType type);

/* Indices into WeftEvent.f for each event, following weft-tp.h. */
enum
{
  RUNTIME_INFO_PID,
  RUNTIME_INFO_NPROCS,
  RUNTIME_INFO_STACK_SIZE,
  RUNTIME_INFO_FORMAT
};
enum
{
  GO_CREATE_GOID,
  GO_CREATE_PARENT,
  GO_CREATE_START_PC,
  GO_CREATE_CREATE_STACK
};
enum
{
  GO_SWITCH_P,
  GO_SWITCH_M,
  GO_SWITCH_PREV,
  GO_SWITCH_STOP_REASON,
  GO_SWITCH_WAIT_REASON,
  GO_SWITCH_WAIT_OBJ,
  GO_SWITCH_WAIT_STACK,
  GO_SWITCH_NEXT
};
enum
{
  GO_UNBLOCK_GOID,
  GO_UNBLOCK_BY,
  GO_UNBLOCK_P
};
enum
{
  GO_STATUS_GOID,
  GO_STATUS_STATUS,
  GO_STATUS_WAIT_REASON,
  GO_STATUS_WAIT_OBJ,
  GO_STATUS_WAIT_STACK,
  GO_STATUS_WAIT_SINCE,
  GO_STATUS_START_PC,
  GO_STATUS_PARENT,
  GO_STATUS_CREATE_STACK
};
enum
{
  SNAPSHOT_GENERATION,
  SNAPSHOT_GOROUTINES
};
enum
{
  SYSCALL_GOID,
  SYSCALL_P
};
enum
{
  PROC_P,
  PROC_M
};
enum
{
  THREAD_M,
  THREAD_TID
};
enum
{
  STACK_ID
};
enum
{
  TASK_GOID,
  TASK_TASK,
  TASK_PARENT
};
enum
{
  REGION_GOID,
  REGION_TASK
};
enum
{
  LOG_GOID,
  LOG_TASK
};
enum
{
  BIN_INFO_BADDR,
  BIN_INFO_MEMSZ,
  BIN_INFO_IS_PIC,
  BIN_INFO_HAS_BUILD_ID,
  BIN_INFO_HAS_DEBUG_LINK
};
enum
{
  BUILD_ID_BADDR
};
enum
{
  DEBUG_LINK_BADDR,
  DEBUG_LINK_CRC
};

enum
{
  GC_BEGIN_CYCLE,
  GC_BEGIN_TRIGGER,
  GC_BEGIN_HEAP_LIVE,
  GC_BEGIN_HEAP_GOAL
};
enum
{
  GC_END_CYCLE,
  GC_END_HEAP_MARKED,
  GC_END_NEXT_GOAL
};
enum
{
  STW_REASON,
  STW_CYCLE
};
enum
{
  GC_MARK_CYCLE
};
enum
{
  GC_WORKER_P,
  GC_WORKER_MODE_OR_SCANNED /* begin: mode; end: scanned bytes */
};
enum
{
  GC_ASSIST_GOID,
  GC_ASSIST_P,
  GC_ASSIST_SCANNED /* end only */
};
enum
{
  GC_SWEEP_P,
  GC_SWEEP_SWEPT,    /* end only */
  GC_SWEEP_RECLAIMED /* end only */
};
enum
{
  HEAP_BYTES
};
enum
{
  GO_LEAKED_CYCLE,
  GO_LEAKED_GOID,
  GO_LEAKED_WAIT_REASON,
  GO_LEAKED_WAIT_OBJ,
  GO_LEAKED_WAIT_STACK
};

/* weft-tp.h's enums. */
enum
{
  WEFT_STOP_NONE_,
  WEFT_STOP_YIELD_,
  WEFT_STOP_PREEMPTED_,
  WEFT_STOP_BLOCKED_,
  WEFT_STOP_EXITED_,
  WEFT_STOP_SYSCALL_
};
enum
{
  WEFT_GS_IDLE,
  WEFT_GS_RUNNABLE,
  WEFT_GS_RUNNING,
  WEFT_GS_SYSCALL,
  WEFT_GS_WAITING,
  WEFT_GS_DEAD
};
enum
{
  WEFT_GC_TRIGGER_HEAP,
  WEFT_GC_TRIGGER_FORCED,
  WEFT_GC_TRIGGER_PERIODIC,
  WEFT_GC_TRIGGER_MEMORY_LIMIT
};
enum
{
  WEFT_STW_GC_SWEEP_TERMINATION,
  WEFT_STW_GC_MARK_TERMINATION,
  WEFT_STW_READ_MEM_STATS,
  WEFT_STW_OTHER
};
enum
{
  WEFT_GC_WORKER_DEDICATED,
  WEFT_GC_WORKER_FRACTIONAL,
  WEFT_GC_WORKER_IDLE
};

G_END_DECLS
