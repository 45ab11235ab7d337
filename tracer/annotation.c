/* annotation.c — user annotations, as in Go's runtime/trace: tasks,
 * regions and log messages. They cost an id and a flag test when no
 * session traces the program; trace.c writes the events. */
#include "runtime.h"
#include "trace.h"

/* Task ids are handed out whether or not a session runs, so that ids stay
 * unique across sessions of one process. */
static _Atomic uint64_t task_next;

uint64_t
weft_task_begin (uint64_t parent, const char *name)
{
  uint64_t task = atomic_fetch_add_explicit (&task_next, 1, memory_order_relaxed) + 1;
  G       *gp = weft_getg ();

  /* Goroutines the caller creates from now on inherit the task. */
  if (gp != NULL)
    gp->task = task;
  weft_trace_task_begin (task, parent, name);
  return task;
}

void
weft_task_end (uint64_t task)
{
  G *gp = weft_getg ();

  if (gp != NULL && gp->task == task)
    gp->task = 0;
  weft_trace_task_end (task);
}

void
weft_region_begin (uint64_t task, const char *name)
{
  weft_trace_region_begin (task, name);
}

void
weft_region_end (uint64_t task, const char *name)
{
  weft_trace_region_end (task, name);
}

void
weft_log (uint64_t task, const char *category, const char *message)
{
  weft_trace_log (task, category, message);
}
