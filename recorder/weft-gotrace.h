/* weft-gotrace.h — a reader of Go's execution trace format (Go 1.22+).
 *
 * Go writes a trace as generations: each holds, per M (OS thread), batches
 * of events with delta-encoded timestamps, plus the generation's string,
 * stack and CPU sample tables and its clock frequency. Ids of strings and
 * stacks are local to a generation. WeftGoTrace reads one generation at a
 * time (memory stays bounded by the largest generation), merges the per-M
 * streams into one order that respects the sequence numbers Go puts on
 * goroutine and P transitions, and hands out events with their context: the
 * M that wrote them and the P and goroutine it held just before.
 *
 * Every byte read is checked: a malformed trace is a GError naming the
 * file offset and the reason (WEFT_GO_TRACE_ERROR), never a crash.
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define WEFT_GO_TRACE_ERROR (weft_go_trace_error_quark ())
GQuark weft_go_trace_error_quark (void);

typedef enum
{
  WEFT_GO_TRACE_ERROR_FORMAT,      /* not a Go trace, or an unsupported version */
  WEFT_GO_TRACE_ERROR_CORRUPT,     /* bad varint, size, id, event type... */
  WEFT_GO_TRACE_ERROR_TRUNCATED,   /* the file ends inside a generation */
  WEFT_GO_TRACE_ERROR_INCONSISTENT /* transitions that cannot be ordered */
} WeftGoTraceError;

/* Go's wire event types (internal/trace/tracev2), as numbered there. */
typedef enum
{
  WEFT_GO_EV_NONE,
  WEFT_GO_EV_EVENT_BATCH,
  WEFT_GO_EV_STACKS,
  WEFT_GO_EV_STACK,
  WEFT_GO_EV_STRINGS,
  WEFT_GO_EV_STRING,
  WEFT_GO_EV_CPU_SAMPLES,
  WEFT_GO_EV_CPU_SAMPLE,
  WEFT_GO_EV_FREQUENCY,
  WEFT_GO_EV_PROCS_CHANGE,
  WEFT_GO_EV_PROC_START,
  WEFT_GO_EV_PROC_STOP,
  WEFT_GO_EV_PROC_STEAL,
  WEFT_GO_EV_PROC_STATUS,
  WEFT_GO_EV_GO_CREATE,
  WEFT_GO_EV_GO_CREATE_SYSCALL,
  WEFT_GO_EV_GO_START,
  WEFT_GO_EV_GO_DESTROY,
  WEFT_GO_EV_GO_DESTROY_SYSCALL,
  WEFT_GO_EV_GO_STOP,
  WEFT_GO_EV_GO_BLOCK,
  WEFT_GO_EV_GO_UNBLOCK,
  WEFT_GO_EV_GO_SYSCALL_BEGIN,
  WEFT_GO_EV_GO_SYSCALL_END,
  WEFT_GO_EV_GO_SYSCALL_END_BLOCKED,
  WEFT_GO_EV_GO_STATUS,
  WEFT_GO_EV_STW_BEGIN,
  WEFT_GO_EV_STW_END,
  WEFT_GO_EV_GC_ACTIVE,
  WEFT_GO_EV_GC_BEGIN,
  WEFT_GO_EV_GC_END,
  WEFT_GO_EV_GC_SWEEP_ACTIVE,
  WEFT_GO_EV_GC_SWEEP_BEGIN,
  WEFT_GO_EV_GC_SWEEP_END,
  WEFT_GO_EV_GC_MARK_ASSIST_ACTIVE,
  WEFT_GO_EV_GC_MARK_ASSIST_BEGIN,
  WEFT_GO_EV_GC_MARK_ASSIST_END,
  WEFT_GO_EV_HEAP_ALLOC,
  WEFT_GO_EV_HEAP_GOAL,
  WEFT_GO_EV_GO_LABEL,
  WEFT_GO_EV_USER_TASK_BEGIN,
  WEFT_GO_EV_USER_TASK_END,
  WEFT_GO_EV_USER_REGION_BEGIN,
  WEFT_GO_EV_USER_REGION_END,
  WEFT_GO_EV_USER_LOG,
  WEFT_GO_EV_GO_SWITCH,         /* Go 1.23 */
  WEFT_GO_EV_GO_SWITCH_DESTROY, /* Go 1.23 */
  WEFT_GO_EV_GO_CREATE_BLOCKED, /* Go 1.23 */
  WEFT_GO_EV_GO_STATUS_STACK,   /* Go 1.23 */
  WEFT_GO_EV_EXPERIMENTAL_BATCH,
  WEFT_GO_EV_SYNC,              /* Go 1.25 */
  WEFT_GO_EV_CLOCK_SNAPSHOT,    /* Go 1.25 */
  WEFT_GO_EV_END_OF_GENERATION, /* Go 1.26 */
  WEFT_GO_EV_N
} WeftGoEventType;

/* Go's goroutine and P statuses (GoStatus, ProcStatus). */
enum
{
  WEFT_GO_G_BAD,
  WEFT_GO_G_RUNNABLE,
  WEFT_GO_G_RUNNING,
  WEFT_GO_G_SYSCALL,
  WEFT_GO_G_WAITING
};
enum
{
  WEFT_GO_P_BAD,
  WEFT_GO_P_RUNNING,
  WEFT_GO_P_IDLE,
  WEFT_GO_P_SYSCALL,
  WEFT_GO_P_SYSCALL_ABANDONED
};

#define WEFT_GO_NO_P (-1)

/* One event, in merged order. args[] are the wire arguments after the
 * timestamp (Go's spec names them; e.g. GoCreate: new_g, new_stack, stack). */
typedef struct
{
  WeftGoEventType type;
  gint64          ts; /* ns, Go's clock (monotonic), strictly increasing */
  guint64         m;  /* the M (thread id) that wrote it */
  gint64          p;  /* the P the M held before the event, or WEFT_GO_NO_P */
  guint64         g;  /* the goroutine the M ran before the event, 0 if none */
  guint64         args[5];
  guint64         offset; /* of the event in the file */
} WeftGoEvent;

typedef struct _WeftGoTrace WeftGoTrace;

/* Reads the header. Go 1.22 to 1.26 formats are supported. */
WeftGoTrace *weft_go_trace_new (const char *path, GError **error);
/* The same over bytes in memory (kept by the caller until freed). */
WeftGoTrace *weft_go_trace_new_from_data (const guint8 *data, gsize size, GError **error);
void         weft_go_trace_free (WeftGoTrace *self);
guint        weft_go_trace_version (WeftGoTrace *self); /* 22 for Go 1.22... */

/* The next event. FALSE at the end (error unset) or on error. The event
 * and the tables below stay valid until the next call. */
gboolean weft_go_trace_next (WeftGoTrace *self, const WeftGoEvent **ev, GError **error);

/* The current generation's tables. A missing id reads as NULL / FALSE. */
const char *weft_go_trace_string (WeftGoTrace *self, guint64 id);
gboolean    weft_go_trace_stack (WeftGoTrace *self, guint64 id, const guint64 **pcs, guint *n_pcs);
gboolean    weft_go_trace_frame (WeftGoTrace *self, guint64 pc, const char **function, const char **file, guint64 *line);

/* A CPU profile sample (Go writes them when CPU profiling runs during
 * the trace). */
typedef struct
{
  gint64  ts;     /* ns, the events' clock */
  guint64 m;      /* the thread */
  gint64  p;      /* WEFT_GO_NO_P if none */
  guint64 g;      /* 0 if none */
  guint64 stack;  /* the generation's stack id */
  guint64 offset; /* of the sample in the file */
} WeftGoCpuSample;

/* The current generation's CPU samples, by time (valid as the tables). */
const WeftGoCpuSample *weft_go_trace_cpu_samples (WeftGoTrace *self, guint *n);

typedef struct
{
  guint64 bytes;        /* read so far */
  guint64 events;       /* timed events handed out */
  guint64 generations;  /* generations read */
  guint64 cpu_samples;  /* CPU profile samples read */
  guint64 forced_order; /* events taken although their sequence number did not fit */
  gint64  wall_sec;     /* the first clock snapshot (Go 1.25+), 0 if none */
  gint64  wall_nsec;
  gint64  wall_mono_ns;
} WeftGoTraceStats;

/* Once weft_go_trace_next() has returned FALSE without an error: the
 * time of the Sync event Go's reader hands out last, 1 ns after every
 * event and CPU sample, where `go tool trace` ends the goroutines' states
 * still open. G_MININT64 for a trace without events. */
gint64 weft_go_trace_end (WeftGoTrace *self);

const WeftGoTraceStats *weft_go_trace_get_stats (WeftGoTrace *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (WeftGoTrace, weft_go_trace_free)

G_END_DECLS
