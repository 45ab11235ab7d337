/* weft-columns.c — see weft-columns.h.
 *
 * The schema names columns and values in English for SQL users and the
 * CLI; the viewer shows them through these tables so that every string a
 * user reads can be translated. A name missing here still shows, as SQL
 * spells it.
 */
#include "weft-columns.h"

#include "weft-report.h"

#include <glib/gi18n.h>
#include <string.h>

static const struct
{
  const char *column, *title;
} columns[] = {
  { "alive_at_end", N_ ("Alive at End") },
  { "assist_ns", N_ ("Assists") },
  { "avg_exec_ns", N_ ("Average Execution") },
  { "avg_ns", N_ ("Average") },
  { "block_chan_ns", N_ ("Blocked on Channels") },
  { "block_gc_ns", N_ ("Blocked on GC") },
  { "block_net_ns", N_ ("Blocked on Network") },
  { "block_other_ns", N_ ("Blocked, Other") },
  { "block_site", N_ ("Blocked At") },
  { "block_sleep_ns", N_ ("Sleeping") },
  { "block_sync_ns", N_ ("Blocked on Sync") },
  { "category", N_ ("Category") },
  { "count", N_ ("Count") },
  { "create_site", N_ ("Created At") },
  { "duration_ns", N_ ("Duration") },
  { "function", N_ ("Function") },
  { "gc_assist_ns", N_ ("GC Assists") },
  { "gc_cycle", N_ ("GC Cycle") },
  { "gc_sweep_ns", N_ ("GC Sweeping") },
  { "goids", N_ ("Goroutine IDs") },
  { "goroutines", N_ ("Goroutines") },
  { "growth_per_s", N_ ("Growth per Second") },
  { "heap_after_bytes", N_ ("Heap After") },
  { "heap_before_bytes", N_ ("Heap Before") },
  { "heap_goal_bytes", N_ ("Heap Goal") },
  { "hi_ns", N_ ("Up To") },
  { "id", N_ ("ID") },
  { "intervals", N_ ("Intervals") },
  { "item", N_ ("Item") },
  { "kind", N_ ("Kind") },
  { "lo_ns", N_ ("From") },
  { "mark_ns", N_ ("Mark") },
  { "max_blocked_ns", N_ ("Longest Blocked") },
  { "max_exec_ns", N_ ("Longest Execution") },
  { "max_ns", N_ ("Longest") },
  { "mean_ns", N_ ("Mean") },
  { "min_blocked_ns", N_ ("Shortest Blocked") },
  { "min_ns", N_ ("Shortest") },
  { "mmu", N_ ("Mutator Utilization") },
  { "mmu_gc", N_ ("Mutator Utilization with GC Work") },
  { "p50_ns", N_ ("Median") },
  { "p90_ns", N_ ("90th Percentile") },
  { "p999_ns", N_ ("99.9th Percentile") },
  { "p99_ns", N_ ("99th Percentile") },
  { "pauses", N_ ("Pauses") },
  { "reason", N_ ("Reason") },
  { "reclaimed_bytes", N_ ("Reclaimed") },
  { "sched_wait_ns", N_ ("Scheduler Wait") },
  { "scope", N_ ("Scope") },
  { "self_pct", N_ ("Self %") },
  { "self_samples", N_ ("Self Samples") },
  { "share", N_ ("Share") },
  { "stack", N_ ("Stack") },
  { "start_function", N_ ("Start Function") },
  { "start_ns", N_ ("Start") },
  { "still_blocked", N_ ("Still Blocked") },
  { "stw_ns", N_ ("Stopped") },
  { "sweep_ns", N_ ("Sweep") },
  { "syscall_ns", N_ ("System Calls") },
  { "total_exec_ns", N_ ("Total Execution") },
  { "total_ns", N_ ("Total") },
  { "total_pct", N_ ("Total %") },
  { "total_samples", N_ ("Total Samples") },
  { "trend_per_s", N_ ("Trend per Second") },
  { "trigger", N_ ("Trigger") },
  { "value", N_ ("Value") },
  { "wait_reason", N_ ("Wait Reason") },
  { "wait_reason_name", N_ ("Wait Reason") },
  { "window_ns", N_ ("Window") },
  { "worker_ns", N_ ("Mark Workers") },
};

/* The values the schema stores or its queries produce: state names
 * (table state), GC phases (gc_span.kind), GC triggers, pause reasons,
 * leak kinds, range-totals categories. Wait reasons are Go's own
 * strings, left as Go users know them. */
static const struct
{
  const char *name, *title;
} values[] = {
  { "all", N_ ("all") },
  { "assist", N_ ("assist") },
  { "blocked", N_ ("blocked") },
  { "blocked on", N_ ("blocked on") },
  { "forced", N_ ("forced") },
  { "GC", N_ ("GC") },
  { "GC mark termination", N_ ("GC mark termination") },
  { "GC sweep termination", N_ ("GC sweep termination") },
  { "heap", N_ ("heap") },
  { "idle", N_ ("idle") },
  { "leaked", N_ ("leaked") },
  { "mark", N_ ("mark") },
  { "memory limit", N_ ("memory limit") },
  { "other", N_ ("other") },
  { "parked", N_ ("parked") },
  { "periodic", N_ ("periodic") },
  { "running", N_ ("running") },
  { "runnable", N_ ("runnable") },
  { "state", N_ ("state") },
  { "STW", N_ ("STW") },
  { "suspect", N_ ("suspect") },
  { "sweep", N_ ("sweep") },
  { "syscall", N_ ("syscall") },
  { "unknown", N_ ("unknown") },
  { "worker", N_ ("worker") },
};

char *
weft_column_title (const char *column)
{
  g_return_val_if_fail (column != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (columns); i++)
    if (strcmp (columns[i].column, column) == 0)
      return g_strdup (_ (columns[i].title));
  return g_strdelimit (weft_report_header_text (column), "_", ' ');
}

const char *
weft_value_name (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    if (strcmp (values[i].name, name) == 0)
      return _ (values[i].title);
  return name;
}
