/* weft-gotrace.c — Go execution traces: file structure, tables, ordering.
 *
 * Owns the file and one generation at a time: its batch payloads (one
 * arena), its tables, one cursor per M. Invariants: every read is bounds
 * checked against the arena or the file and names its offset on failure;
 * the ordering state (per goroutine and P: status and sequence number; per
 * M: the P and goroutine it holds) is only changed by an event that is
 * handed out, so an event that cannot go yet leaves no trace.
 *
 * The format, as Go's runtime writes it (read from internal/trace):
 *   header   "go 1.NN trace\0\0\0"
 *   batch    EvEventBatch gen m time size payload[size]
 *            | EvExperimentalBatch exp gen m time size payload[size]
 *            | EvEndOfGeneration (Go 1.26; before, a new gen number starts one)
 *   payload  EvStrings {EvString id len bytes}... | EvStacks {EvStack id n {pc func file line}*n}...
 *            | EvCPUSamples {EvCPUSample time m p g stack}...
 *            | EvFrequency f (Go < 1.25) | EvSync {EvFrequency f | EvClockSnapshot dt mono sec nsec}...
 *            | timed events: type dt args... (ts = previous ts + dt, in ticks)
 * All integers are unsigned LEB128 varints.
 */
#include "weft-gotrace.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

G_DEFINE_QUARK (weft - go - trace - error - quark, weft_go_trace_error)

#define MAX_BATCH_SIZE (64 << 10)
#define MAX_STRING_SIZE (1 << 10)
#define MAX_FRAMES 128
#define MAX_P (1 << 16)
#define FIRST_VERSION 22
#define LAST_VERSION 26
#define HEADER_SIZE 16

/* Per event type: arguments including the timestamp delta, and the first
 * Go version that writes it (0: not a timed event of an event batch). */
static const struct
{
  const char *name;
  guint8      n_args;
  guint8      since;
} specs[WEFT_GO_EV_N] = {
  [WEFT_GO_EV_PROCS_CHANGE] = { "ProcsChange", 3, 22 },
  [WEFT_GO_EV_PROC_START] = { "ProcStart", 3, 22 },
  [WEFT_GO_EV_PROC_STOP] = { "ProcStop", 1, 22 },
  [WEFT_GO_EV_PROC_STEAL] = { "ProcSteal", 4, 22 },
  [WEFT_GO_EV_PROC_STATUS] = { "ProcStatus", 3, 22 },
  [WEFT_GO_EV_GO_CREATE] = { "GoCreate", 4, 22 },
  [WEFT_GO_EV_GO_CREATE_SYSCALL] = { "GoCreateSyscall", 2, 22 },
  [WEFT_GO_EV_GO_START] = { "GoStart", 3, 22 },
  [WEFT_GO_EV_GO_DESTROY] = { "GoDestroy", 1, 22 },
  [WEFT_GO_EV_GO_DESTROY_SYSCALL] = { "GoDestroySyscall", 1, 22 },
  [WEFT_GO_EV_GO_STOP] = { "GoStop", 3, 22 },
  [WEFT_GO_EV_GO_BLOCK] = { "GoBlock", 3, 22 },
  [WEFT_GO_EV_GO_UNBLOCK] = { "GoUnblock", 4, 22 },
  [WEFT_GO_EV_GO_SYSCALL_BEGIN] = { "GoSyscallBegin", 3, 22 },
  [WEFT_GO_EV_GO_SYSCALL_END] = { "GoSyscallEnd", 1, 22 },
  [WEFT_GO_EV_GO_SYSCALL_END_BLOCKED] = { "GoSyscallEndBlocked", 1, 22 },
  [WEFT_GO_EV_GO_STATUS] = { "GoStatus", 4, 22 },
  [WEFT_GO_EV_STW_BEGIN] = { "STWBegin", 3, 22 },
  [WEFT_GO_EV_STW_END] = { "STWEnd", 1, 22 },
  [WEFT_GO_EV_GC_ACTIVE] = { "GCActive", 2, 22 },
  [WEFT_GO_EV_GC_BEGIN] = { "GCBegin", 3, 22 },
  [WEFT_GO_EV_GC_END] = { "GCEnd", 2, 22 },
  [WEFT_GO_EV_GC_SWEEP_ACTIVE] = { "GCSweepActive", 2, 22 },
  [WEFT_GO_EV_GC_SWEEP_BEGIN] = { "GCSweepBegin", 2, 22 },
  [WEFT_GO_EV_GC_SWEEP_END] = { "GCSweepEnd", 3, 22 },
  [WEFT_GO_EV_GC_MARK_ASSIST_ACTIVE] = { "GCMarkAssistActive", 2, 22 },
  [WEFT_GO_EV_GC_MARK_ASSIST_BEGIN] = { "GCMarkAssistBegin", 2, 22 },
  [WEFT_GO_EV_GC_MARK_ASSIST_END] = { "GCMarkAssistEnd", 1, 22 },
  [WEFT_GO_EV_HEAP_ALLOC] = { "HeapAlloc", 2, 22 },
  [WEFT_GO_EV_HEAP_GOAL] = { "HeapGoal", 2, 22 },
  [WEFT_GO_EV_GO_LABEL] = { "GoLabel", 2, 22 },
  [WEFT_GO_EV_USER_TASK_BEGIN] = { "UserTaskBegin", 5, 22 },
  [WEFT_GO_EV_USER_TASK_END] = { "UserTaskEnd", 3, 22 },
  [WEFT_GO_EV_USER_REGION_BEGIN] = { "UserRegionBegin", 4, 22 },
  [WEFT_GO_EV_USER_REGION_END] = { "UserRegionEnd", 4, 22 },
  [WEFT_GO_EV_USER_LOG] = { "UserLog", 5, 22 },
  [WEFT_GO_EV_GO_SWITCH] = { "GoSwitch", 3, 23 },
  [WEFT_GO_EV_GO_SWITCH_DESTROY] = { "GoSwitchDestroy", 3, 23 },
  [WEFT_GO_EV_GO_CREATE_BLOCKED] = { "GoCreateBlocked", 4, 23 },
  [WEFT_GO_EV_GO_STATUS_STACK] = { "GoStatusStack", 5, 23 },
};

typedef struct
{
  guint64 m;
  guint64 time;  /* ticks */
  gsize   start; /* payload in the generation's arena */
  gsize   len;
  guint64 offset; /* of the payload in the file */
} Batch;

typedef struct
{
  guint64 p; /* WEFT_GO_NO_P as guint64 when none */
  guint64 g;
} MState;

typedef struct
{
  guint8  status;
  guint64 seq_gen, seq;
} SeqState;

/* One M's events in the current generation. */
typedef struct
{
  guint64     m;
  guint       order;   /* first appearance: breaks timestamp ties */
  GArray     *batches; /* indices into WeftGoTrace.batches */
  guint       next_batch;
  gsize       pos; /* in the current batch */
  gboolean    have_ts;
  gint64      last_ts;
  WeftGoEvent ev; /* decoded, not yet handed out */
  MState     *ms;
} Cursor;

typedef struct
{
  guint64 func, file, line;
} Frame;

typedef struct
{
  gsize start; /* into stack_pcs */
  guint n;
} Stack;

struct _WeftGoTrace
{
  FILE    *f;
  char    *path;
  guint    version;
  guint64  offset; /* of the next byte in the file */
  gboolean done;

  /* A batch header read that belongs to the next generation (Go < 1.26). */
  gboolean spill;
  guint8   spill_type;
  guint64  spill_gen, spill_m, spill_time, spill_size;

  /* The current generation. */
  guint64       gen;
  GByteArray   *arena;
  GArray       *batches; /* Batch */
  GHashTable   *strings; /* id -> char*, in string_chunk */
  GStringChunk *string_chunk;
  GHashTable   *stacks; /* id -> Stack* */
  GArray       *stack_pcs;
  GHashTable   *frames;    /* pc -> Frame* */
  GArray       *samples;   /* WeftGoCpuSample, ts in ticks until the generation is read */
  double        freq;      /* ns per tick */
  GPtrArray    *cursors;   /* Cursor*, a min-heap on (ts, order) */
  GHashTable   *cursor_of; /* m -> Cursor*, while reading the generation */

  /* Ordering state across generations. */
  GHashTable *gs; /* goid -> SeqState* */
  GArray     *ps; /* SeqState by P */
  GHashTable *ms; /* m -> MState* */

  /* Go's reader's clock: every item it hands out (the events, the CPU
   * samples, the Sync that closes the trace) comes strictly after the one
   * before, moved to last_ts + 1 if its own time is not later. */
  gint64           last_ts;
  guint            clocked_samples; /* of the generation's, counted in last_ts */
  guint64          min_time;        /* ticks, of the generation's earliest batch */
  WeftGoEvent      out;
  WeftGoTraceStats stats;
};

/* ------------------------------------------------------------------ errors */

static gboolean G_GNUC_PRINTF (4, 5)
    fail (GError **error, WeftGoTraceError code, guint64 offset, const char *format, ...)
{
  g_autofree char *msg = NULL;
  va_list          ap;

  va_start (ap, format);
  msg = g_strdup_vprintf (format, ap);
  va_end (ap);
  g_set_error (error, WEFT_GO_TRACE_ERROR, code, "offset %" G_GUINT64_FORMAT ": %s", offset, msg);
  return FALSE;
}

/* ------------------------------------------------------------------ file reading */

/* 1 byte read, 0 end of file, -1 error. */
static int
file_byte (WeftGoTrace *self, guint8 *b, GError **error)
{
  int c = getc (self->f);

  if (c == EOF)
    {
      if (ferror (self->f))
        return fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, self->offset, "read error: %s", g_strerror (errno)) - 1;
      return 0;
    }
  *b = (guint8) c;
  self->offset++;
  return 1;
}

static gboolean
file_uvarint (WeftGoTrace *self, guint64 *v, const char *what, GError **error)
{
  guint64 at = self->offset, x = 0;
  guint   shift = 0;

  for (guint i = 0; i < 10; i++)
    {
      guint8 b = 0;
      int    r = file_byte (self, &b, error);

      if (r < 0)
        return FALSE;
      if (r == 0)
        return fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, at, "file ends inside the %s", what);
      if (i == 9 && b > 1)
        break;
      x |= (guint64) (b & 0x7f) << shift;
      if (b < 0x80)
        {
          *v = x;
          return TRUE;
        }
      shift += 7;
    }
  return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "the %s is not a valid varint (overflows 64 bits)", what);
}

/* ------------------------------------------------------------------ payload reading */

typedef struct
{
  const guint8 *p;
  gsize         pos, len;
  guint64       base; /* file offset of p[0] */
} Buf;

static gboolean
buf_uvarint (Buf *b, guint64 *v, const char *what, GError **error)
{
  guint64 x = 0;
  gsize   at = b->pos;

  for (guint i = 0; i < 10; i++)
    {
      guint8 c;

      if (b->pos >= b->len)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + at, "batch ends inside the %s", what);
      c = b->p[b->pos++];
      if (i == 9 && c > 1)
        break;
      x |= (guint64) (c & 0x7f) << (7 * i);
      if (c < 0x80)
        {
          *v = x;
          return TRUE;
        }
    }
  return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + at, "the %s is not a valid varint (overflows 64 bits)", what);
}

static gboolean
buf_type (Buf *b, guint8 want, const char *what, GError **error)
{
  if (b->pos >= b->len || b->p[b->pos] != want)
    return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + b->pos, "expected %s (event type %u), found %d", what, want,
                 b->pos < b->len ? b->p[b->pos] : -1);
  b->pos++;
  return TRUE;
}

/* ------------------------------------------------------------------ tables */

static gboolean
add_strings (WeftGoTrace *self, Buf *b, GError **error)
{
  b->pos = 1;
  while (b->pos < b->len)
    {
      guint64 id, len, at;
      char   *s;

      if (!buf_type (b, WEFT_GO_EV_STRING, "a String", error) || !buf_uvarint (b, &id, "string id", error)
          || !buf_uvarint (b, &len, "string length", error))
        return FALSE;
      at = b->base + b->pos;
      if (len > MAX_STRING_SIZE)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "string %" G_GUINT64_FORMAT " is %" G_GUINT64_FORMAT " bytes long, more than Go writes (%d)", id, len, MAX_STRING_SIZE);
      if (len > b->len - b->pos)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "string %" G_GUINT64_FORMAT " runs past its batch", id);
      if (g_hash_table_contains (self->strings, GSIZE_TO_POINTER (id)))
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "string id %" G_GUINT64_FORMAT " defined twice", id);
      s = g_string_chunk_insert_len (self->string_chunk, (const char *) b->p + b->pos, (gssize) len);
      g_hash_table_insert (self->strings, GSIZE_TO_POINTER (id), s);
      b->pos += len;
    }
  return TRUE;
}

static gboolean
add_stacks (WeftGoTrace *self, Buf *b, GError **error)
{
  b->pos = 1;
  while (b->pos < b->len)
    {
      guint64 id, n, at = b->base + b->pos;
      Stack  *st;

      if (!buf_type (b, WEFT_GO_EV_STACK, "a Stack", error) || !buf_uvarint (b, &id, "stack id", error)
          || !buf_uvarint (b, &n, "stack depth", error))
        return FALSE;
      if (n > MAX_FRAMES)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "stack %" G_GUINT64_FORMAT " has %" G_GUINT64_FORMAT " frames, more than Go writes (%d)", id, n, MAX_FRAMES);
      if (g_hash_table_contains (self->stacks, GSIZE_TO_POINTER (id)))
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "stack id %" G_GUINT64_FORMAT " defined twice", id);
      st = g_new (Stack, 1);
      st->start = self->stack_pcs->len;
      st->n = (guint) n;
      g_hash_table_insert (self->stacks, GSIZE_TO_POINTER (id), st);
      for (guint64 i = 0; i < n; i++)
        {
          guint64 pc;
          Frame   fr;

          if (!buf_uvarint (b, &pc, "frame pc", error) || !buf_uvarint (b, &fr.func, "frame function", error)
              || !buf_uvarint (b, &fr.file, "frame file", error) || !buf_uvarint (b, &fr.line, "frame line", error))
            return FALSE;
          g_array_append_val (self->stack_pcs, pc);
          if (!g_hash_table_contains (self->frames, GSIZE_TO_POINTER (pc)))
            g_hash_table_insert (self->frames, GSIZE_TO_POINTER (pc), g_memdup2 (&fr, sizeof fr));
        }
    }
  return TRUE;
}

static gboolean
add_cpu_samples (WeftGoTrace *self, Buf *b, GError **error)
{
  b->pos = 1;
  while (b->pos < b->len)
    {
      WeftGoCpuSample s = { .offset = b->base + b->pos };
      guint64         ticks, p;

      if (!buf_type (b, WEFT_GO_EV_CPU_SAMPLE, "a CPUSample", error) || !buf_uvarint (b, &ticks, "CPU sample time", error)
          || !buf_uvarint (b, &s.m, "CPU sample thread", error) || !buf_uvarint (b, &p, "CPU sample P", error)
          || !buf_uvarint (b, &s.g, "CPU sample goroutine", error)
          || !buf_uvarint (b, &s.stack, "CPU sample stack", error))
        return FALSE;
      /* The runtime writes "no P" as -1 in two's complement. */
      s.p = p < MAX_P ? (gint64) p : WEFT_GO_NO_P;
      s.ts = (gint64) MIN (ticks, (guint64) G_MAXINT64);
      g_array_append_val (self->samples, s);
      self->stats.cpu_samples++;
    }
  return TRUE;
}

static int
cmp_sample_ts (gconstpointer a, gconstpointer b)
{
  gint64 x = ((const WeftGoCpuSample *) a)->ts, y = ((const WeftGoCpuSample *) b)->ts;
  return x < y ? -1 : x > y;
}

static gboolean
set_sync (WeftGoTrace *self, Buf *b, GError **error)
{
  b->pos = self->version >= 25 ? 1 : 0;
  while (b->pos < b->len)
    {
      guint8  type = b->p[b->pos++];
      guint64 v, mono, sec, nsec;

      if (type == WEFT_GO_EV_FREQUENCY)
        {
          if (self->freq != 0)
            return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + b->pos - 1, "two frequencies in one generation");
          if (!buf_uvarint (b, &v, "frequency", error))
            return FALSE;
          if (v == 0)
            return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + b->pos - 1, "frequency 0");
          /* As Go's reader does: ns per tick, in floating point. */
          self->freq = 1.0 / ((double) v / 1e9);
        }
      else if (type == WEFT_GO_EV_CLOCK_SNAPSHOT && self->version >= 25)
        {
          if (!buf_uvarint (b, &v, "clock snapshot time", error) || !buf_uvarint (b, &mono, "monotonic clock", error)
              || !buf_uvarint (b, &sec, "wall clock seconds", error) || !buf_uvarint (b, &nsec, "wall clock ns", error))
            return FALSE;
          if (self->stats.wall_sec == 0)
            {
              self->stats.wall_sec = (gint64) sec;
              self->stats.wall_nsec = (gint64) nsec;
              self->stats.wall_mono_ns = (gint64) mono;
            }
        }
      else
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, b->base + b->pos - 1, "unexpected event type %u in a sync batch", type);
    }
  return TRUE;
}

/* ------------------------------------------------------------------ generations */

static void
generation_reset (WeftGoTrace *self)
{
  g_byte_array_set_size (self->arena, 0);
  g_array_set_size (self->batches, 0);
  g_hash_table_remove_all (self->strings);
  g_string_chunk_clear (self->string_chunk);
  g_hash_table_remove_all (self->stacks);
  g_array_set_size (self->stack_pcs, 0);
  g_hash_table_remove_all (self->frames);
  g_array_set_size (self->samples, 0);
  self->clocked_samples = 0;
  g_ptr_array_set_size (self->cursors, 0);
  g_hash_table_remove_all (self->cursor_of);
  self->freq = 0;
  self->gen = 0;
  self->min_time = 0;
}

static void
cursor_free (gpointer data)
{
  Cursor *c = data;

  g_array_unref (c->batches);
  g_free (c);
}

static void
cursor_free_cb (gpointer data, gpointer user_data)
{
  cursor_free (data);
}

/* Reads @size payload bytes of a batch and files it. */
static gboolean
read_payload (WeftGoTrace *self, guint8 type, guint64 m, guint64 time, guint64 size, GError **error)
{
  guint64 at = self->offset;
  gsize   start = self->arena->len;
  Buf     b;

  /* Go's test, 0 included: the generation's Sync comes at its earliest batch. */
  if (self->min_time == 0 || time < self->min_time)
    self->min_time = time;

  g_byte_array_set_size (self->arena, start + size);
  if (size > 0 && fread (self->arena->data + start, 1, size, self->f) != size)
    {
      if (ferror (self->f))
        return fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, at, "read error: %s", g_strerror (errno));
      return fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, at, "file ends inside a batch of %" G_GUINT64_FORMAT " bytes", size);
    }
  self->offset += size;
  self->stats.bytes = self->offset;
  if (type == WEFT_GO_EV_EXPERIMENTAL_BATCH || size == 0)
    {
      /* Experiments (allocation events...) are not imported. */
      g_byte_array_set_size (self->arena, start);
      return TRUE;
    }
  b = (Buf){ self->arena->data + start, 0, size, at };
  switch (b.p[0])
    {
    case WEFT_GO_EV_STRINGS:
      return add_strings (self, &b, error);
    case WEFT_GO_EV_STACKS:
      return add_stacks (self, &b, error);
    case WEFT_GO_EV_CPU_SAMPLES:
      return add_cpu_samples (self, &b, error);
    case WEFT_GO_EV_FREQUENCY:
    case WEFT_GO_EV_SYNC:
      if ((b.p[0] == WEFT_GO_EV_SYNC) == (self->version >= 25))
        return set_sync (self, &b, error);
      break;
    default:
      break;
    }
  {
    Batch   batch = { m, time, start, size, at };
    Cursor *c = g_hash_table_lookup (self->cursor_of, GSIZE_TO_POINTER (m));

    if (c == NULL)
      {
        c = g_new0 (Cursor, 1);
        c->m = m;
        c->order = self->cursors->len;
        c->batches = g_array_new (FALSE, FALSE, sizeof (guint));
        g_hash_table_insert (self->cursor_of, GSIZE_TO_POINTER (m), c);
        g_ptr_array_add (self->cursors, c);
      }
    g_array_append_val (c->batches, self->batches->len);
    g_array_append_val (self->batches, batch);
  }
  return TRUE;
}

/* Reads the next generation into memory. FALSE with no error at the end. */
static gboolean
read_generation (WeftGoTrace *self, GError **error)
{
  gboolean any = FALSE;

  generation_reset (self);
  if (self->spill)
    {
      self->spill = FALSE;
      self->gen = self->spill_gen;
      any = TRUE;
      if (!read_payload (self, self->spill_type, self->spill_m, self->spill_time, self->spill_size, error))
        return FALSE;
    }
  for (;;)
    {
      guint64 at = self->offset, gen, m, time, size;
      guint8  type = 0, exp = 0;
      int     r = file_byte (self, &type, error);

      if (r < 0)
        return FALSE;
      if (r == 0)
        {
          if (any && self->version >= 26)
            return fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, at, "file ends inside generation %" G_GUINT64_FORMAT " (no EndOfGeneration): the trace is truncated", self->gen);
          self->done = TRUE;
          break;
        }
      if (type == WEFT_GO_EV_END_OF_GENERATION && self->version >= 26)
        {
          if (!any)
            return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "EndOfGeneration ends an empty generation");
          break;
        }
      if (type != WEFT_GO_EV_EVENT_BATCH && type != WEFT_GO_EV_EXPERIMENTAL_BATCH)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "expected a batch, found event type %u", type);
      if (type == WEFT_GO_EV_EXPERIMENTAL_BATCH)
        {
          if ((r = file_byte (self, &exp, error)) <= 0)
            return r == 0 ? fail (error, WEFT_GO_TRACE_ERROR_TRUNCATED, at, "file ends inside a batch header") : FALSE;
        }
      if (!file_uvarint (self, &gen, "batch generation", error) || !file_uvarint (self, &m, "batch M", error)
          || !file_uvarint (self, &time, "batch timestamp", error) || !file_uvarint (self, &size, "batch size", error))
        return FALSE;
      if (gen == 0)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "batch of generation 0");
      if (size > MAX_BATCH_SIZE)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "batch of %" G_GUINT64_FORMAT " bytes, more than Go writes (%d)", size, MAX_BATCH_SIZE);
      if (!any)
        self->gen = gen;
      any = TRUE;
      if (gen != self->gen)
        {
          if (self->version >= 26 || gen != self->gen + 1)
            return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, at, "batch of generation %" G_GUINT64_FORMAT " inside generation %" G_GUINT64_FORMAT, gen, self->gen);
          self->spill = TRUE;
          self->spill_type = type;
          self->spill_gen = gen;
          self->spill_m = m;
          self->spill_time = time;
          self->spill_size = size;
          break;
        }
      if (!read_payload (self, type, m, time, size, error))
        return FALSE;
    }
  if (!any)
    return FALSE;
  if (self->freq == 0)
    return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, self->offset, "generation %" G_GUINT64_FORMAT " has no frequency", self->gen);
  /* As Go's reader: sample times in ns once the frequency is known. */
  for (guint i = 0; i < self->samples->len; i++)
    {
      WeftGoCpuSample *smp = &g_array_index (self->samples, WeftGoCpuSample, i);
      smp->ts = (gint64) ((double) smp->ts * self->freq);
    }
  g_array_sort (self->samples, cmp_sample_ts);
  self->stats.generations++;
  return TRUE;
}

/* ------------------------------------------------------------------ cursors */

static inline gint64
clock_tick (WeftGoTrace *self, gint64 ts)
{
  if (ts <= self->last_ts)
    ts = self->last_ts + 1;
  self->last_ts = ts;
  return ts;
}

/* The generation's CPU samples before @ts (all of them with G_MAXINT64)
 * take their turn on the clock, as Go's reader hands them out between the
 * events. Their own times are not changed: the importer has them already. */
static void
clock_samples (WeftGoTrace *self, gint64 ts)
{
  for (; self->clocked_samples < self->samples->len; self->clocked_samples++)
    {
      const WeftGoCpuSample *smp = &g_array_index (self->samples, WeftGoCpuSample, self->clocked_samples);

      if (smp->ts >= ts)
        break;
      clock_tick (self, smp->ts);
    }
}

static inline gint64
ticks_to_ns (WeftGoTrace *self, guint64 ticks)
{
  return (gint64) ((double) ticks * self->freq);
}

/* Decodes @c's next event into c->ev. FALSE with no error when it has none. */
static gboolean
cursor_next (WeftGoTrace *self, Cursor *c, gboolean *have, GError **error)
{
  const Batch *batch;
  Buf          b;
  guint8       type;
  guint64      dt;

  *have = FALSE;
  for (;;)
    {
      if (c->next_batch >= c->batches->len)
        return TRUE;
      batch = &g_array_index (self->batches, Batch, g_array_index (c->batches, guint, c->next_batch));
      if (c->pos < batch->len)
        break;
      c->next_batch++;
      c->pos = 0;
      c->have_ts = FALSE;
    }
  if (!c->have_ts)
    {
      c->last_ts = ticks_to_ns (self, batch->time);
      c->have_ts = TRUE;
    }
  b = (Buf){ self->arena->data + batch->start, c->pos, batch->len, batch->offset };
  type = b.p[b.pos++];
  if (type >= WEFT_GO_EV_N || specs[type].since == 0 || specs[type].since > self->version)
    return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, batch->offset + c->pos, "event type %u is not a timed event of Go 1.%u traces", type, self->version);
  if (!buf_uvarint (&b, &dt, "timestamp delta", error))
    return FALSE;
  memset (&c->ev, 0, sizeof c->ev);
  for (guint i = 0; i + 1 < specs[type].n_args; i++)
    if (!buf_uvarint (&b, &c->ev.args[i], "event argument", error))
      return FALSE;
  c->ev.type = type;
  c->ev.offset = batch->offset + c->pos;
  c->ev.m = c->m;
  c->last_ts += ticks_to_ns (self, dt);
  c->ev.ts = c->last_ts;
  c->pos = b.pos;
  *have = TRUE;
  return TRUE;
}

static inline gboolean
cursor_before (const Cursor *a, const Cursor *b)
{
  return a->ev.ts < b->ev.ts || (a->ev.ts == b->ev.ts && a->order < b->order);
}

static int
compare_cursors (gconstpointer a, gconstpointer b)
{
  const Cursor *x = *(Cursor *const *) a, *y = *(Cursor *const *) b;

  return cursor_before (x, y) ? -1 : cursor_before (y, x) ? 1
                                                          : 0;
}

static void
heap_down (GPtrArray *h, guint i)
{
  for (;;)
    {
      guint l = 2 * i + 1, r = l + 1, min = i;

      if (l < h->len && cursor_before (h->pdata[l], h->pdata[min]))
        min = l;
      if (r < h->len && cursor_before (h->pdata[r], h->pdata[min]))
        min = r;
      if (min == i)
        return;
      gpointer t = h->pdata[i];
      h->pdata[i] = h->pdata[min];
      h->pdata[min] = t;
      i = min;
    }
}

static void
heap_up (GPtrArray *h, guint i)
{
  while (i > 0)
    {
      guint p = (i - 1) / 2;

      if (!cursor_before (h->pdata[i], h->pdata[p]))
        return;
      gpointer t = h->pdata[i];
      h->pdata[i] = h->pdata[p];
      h->pdata[p] = t;
      i = p;
    }
}

/* Primes every cursor and makes the array a heap; drops empty ones. */
static gboolean
cursors_start (WeftGoTrace *self, GError **error)
{
  GPtrArray *h = self->cursors;
  guint      keep = 0;

  for (guint i = 0; i < h->len; i++)
    {
      Cursor  *c = h->pdata[i];
      gboolean have;

      if (!cursor_next (self, c, &have, error))
        return FALSE;
      if (!have)
        {
          cursor_free (c);
          continue;
        }
      c->ms = g_hash_table_lookup (self->ms, GSIZE_TO_POINTER (c->m));
      if (c->ms == NULL)
        {
          c->ms = g_new (MState, 1);
          c->ms->p = (guint64) WEFT_GO_NO_P;
          c->ms->g = 0;
          g_hash_table_insert (self->ms, GSIZE_TO_POINTER (c->m), c->ms);
        }
      h->pdata[keep++] = c;
    }
  h->len = keep;
  for (guint i = h->len / 2; i-- > 0;)
    heap_down (h, i);
  return TRUE;
}

/* ------------------------------------------------------------------ ordering */

static SeqState *
g_state (WeftGoTrace *self, guint64 goid)
{
  return g_hash_table_lookup (self->gs, GSIZE_TO_POINTER (goid));
}

static SeqState *
g_state_set (WeftGoTrace *self, guint64 goid, guint8 status)
{
  SeqState *s = g_state (self, goid);

  if (s == NULL)
    {
      s = g_new (SeqState, 1);
      g_hash_table_insert (self->gs, GSIZE_TO_POINTER (goid), s);
    }
  s->status = status;
  s->seq_gen = self->gen;
  s->seq = 0;
  return s;
}

static SeqState *
p_state (WeftGoTrace *self, guint64 p, guint64 offset, GError **error)
{
  if (p >= MAX_P)
    {
      fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, offset, "P id %" G_GUINT64_FORMAT " out of range", p);
      return NULL;
    }
  if (p >= self->ps->len)
    g_array_set_size (self->ps, p + 1);
  return &g_array_index (self->ps, SeqState, p);
}

static inline gboolean
seq_follows (WeftGoTrace *self, const SeqState *s, guint64 seq)
{
  return s->seq_gen == self->gen && seq == s->seq + 1;
}

enum
{
  ADV_ERROR = -1,
  ADV_WAIT,
  ADV_OK
};

static int
need_g (const Cursor *c, GError **error)
{
  if (c->ms->g != 0)
    return ADV_OK;
  fail (error, WEFT_GO_TRACE_ERROR_INCONSISTENT, c->ev.offset, "%s on M %" G_GUINT64_FORMAT ", which runs no goroutine", specs[c->ev.type].name, c->m);
  return ADV_ERROR;
}

static int
need_p (const Cursor *c, GError **error)
{
  if (c->ms->p != (guint64) WEFT_GO_NO_P)
    return ADV_OK;
  fail (error, WEFT_GO_TRACE_ERROR_INCONSISTENT, c->ev.offset, "%s on M %" G_GUINT64_FORMAT ", which holds no P", specs[c->ev.type].name, c->m);
  return ADV_ERROR;
}

/* Applies @c's event to the ordering state if its sequence numbers say it
 * is next (always if @force). The event's context is filled in first. */
static int
advance (WeftGoTrace *self, Cursor *c, gboolean force, GError **error)
{
  WeftGoEvent *ev = &c->ev;
  MState      *ms = c->ms;
  SeqState    *s, *ps;
  int          r;

  ev->p = (gint64) ms->p;
  ev->g = ms->g;
  switch (ev->type)
    {
    case WEFT_GO_EV_PROC_STATUS:
      if ((ps = p_state (self, ev->args[0], ev->offset, error)) == NULL)
        return ADV_ERROR;
      if (ev->args[1] == WEFT_GO_P_BAD || ev->args[1] > WEFT_GO_P_SYSCALL_ABANDONED)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, ev->offset, "bad status %" G_GUINT64_FORMAT " for P %" G_GUINT64_FORMAT, ev->args[1], ev->args[0]) - 1;
      ps->status = (guint8) ev->args[1];
      ps->seq_gen = self->gen;
      ps->seq = 0;
      if (ps->status == WEFT_GO_P_RUNNING || ps->status == WEFT_GO_P_SYSCALL)
        ms->p = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_PROC_START:
      if ((ps = p_state (self, ev->args[0], ev->offset, error)) == NULL)
        return ADV_ERROR;
      if (!force && (ps->status != WEFT_GO_P_IDLE || !seq_follows (self, ps, ev->args[1]) || ms->p != (guint64) WEFT_GO_NO_P))
        return ADV_WAIT;
      ps->status = WEFT_GO_P_RUNNING;
      ps->seq_gen = self->gen;
      ps->seq = ev->args[1];
      ms->p = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_PROC_STOP:
      if ((r = need_p (c, error)) != ADV_OK)
        return r;
      if ((ps = p_state (self, ms->p, ev->offset, error)) == NULL)
        return ADV_ERROR;
      ps->status = WEFT_GO_P_IDLE;
      ms->p = (guint64) WEFT_GO_NO_P;
      return ADV_OK;
    case WEFT_GO_EV_PROC_STEAL:
      {
        MState *victim;

        if ((ps = p_state (self, ev->args[0], ev->offset, error)) == NULL)
          return ADV_ERROR;
        if (!force && ((ps->status != WEFT_GO_P_SYSCALL && ps->status != WEFT_GO_P_SYSCALL_ABANDONED) || !seq_follows (self, ps, ev->args[1])))
          return ADV_WAIT;
        ps->status = WEFT_GO_P_IDLE;
        ps->seq_gen = self->gen;
        ps->seq = ev->args[1];
        victim = ev->args[2] == c->m ? ms : g_hash_table_lookup (self->ms, GSIZE_TO_POINTER (ev->args[2]));
        if (victim != NULL && victim->p == ev->args[0])
          victim->p = (guint64) WEFT_GO_NO_P;
        return ADV_OK;
      }
    case WEFT_GO_EV_GO_STATUS:
    case WEFT_GO_EV_GO_STATUS_STACK:
      if (ev->args[2] == WEFT_GO_G_BAD || ev->args[2] > WEFT_GO_G_WAITING)
        return fail (error, WEFT_GO_TRACE_ERROR_CORRUPT, ev->offset, "bad status %" G_GUINT64_FORMAT " for goroutine %" G_GUINT64_FORMAT, ev->args[2], ev->args[0]) - 1;
      g_state_set (self, ev->args[0], (guint8) ev->args[2]);
      if (ev->args[2] == WEFT_GO_G_RUNNING)
        ms->g = ev->args[0];
      else if (ev->args[2] == WEFT_GO_G_SYSCALL)
        {
          MState *owner = ev->args[1] == c->m ? ms : g_hash_table_lookup (self->ms, GSIZE_TO_POINTER (ev->args[1]));

          if (owner == NULL)
            {
              owner = g_new (MState, 1);
              owner->p = (guint64) WEFT_GO_NO_P;
              g_hash_table_insert (self->ms, GSIZE_TO_POINTER (ev->args[1]), owner);
            }
          owner->g = ev->args[0];
        }
      return ADV_OK;
    case WEFT_GO_EV_GO_CREATE:
    case WEFT_GO_EV_GO_CREATE_BLOCKED:
      g_state_set (self, ev->args[0], ev->type == WEFT_GO_EV_GO_CREATE ? WEFT_GO_G_RUNNABLE : WEFT_GO_G_WAITING);
      return ADV_OK;
    case WEFT_GO_EV_GO_CREATE_SYSCALL:
      g_state_set (self, ev->args[0], WEFT_GO_G_SYSCALL);
      ms->g = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_GO_START:
      s = g_state (self, ev->args[0]);
      if (!force && (s == NULL || s->status != WEFT_GO_G_RUNNABLE || !seq_follows (self, s, ev->args[1])))
        return ADV_WAIT;
      if ((r = need_p (c, error)) != ADV_OK)
        return r;
      if (s == NULL)
        s = g_state_set (self, ev->args[0], WEFT_GO_G_RUNNING);
      s->status = WEFT_GO_G_RUNNING;
      s->seq_gen = self->gen;
      s->seq = ev->args[1];
      ms->g = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_GO_UNBLOCK:
      s = g_state (self, ev->args[0]);
      if (!force && (s == NULL || s->status != WEFT_GO_G_WAITING || !seq_follows (self, s, ev->args[1])))
        return ADV_WAIT;
      if (s == NULL)
        s = g_state_set (self, ev->args[0], WEFT_GO_G_RUNNABLE);
      s->status = WEFT_GO_G_RUNNABLE;
      s->seq_gen = self->gen;
      s->seq = ev->args[1];
      return ADV_OK;
    case WEFT_GO_EV_GO_SWITCH:
    case WEFT_GO_EV_GO_SWITCH_DESTROY:
      s = g_state (self, ev->args[0]);
      if (!force && (s == NULL || s->status != WEFT_GO_G_WAITING || !seq_follows (self, s, ev->args[1])))
        return ADV_WAIT;
      if ((r = need_g (c, error)) != ADV_OK)
        return r;
      if (ev->type == WEFT_GO_EV_GO_SWITCH)
        {
          /* Blocks, keeping its sequence number: its wake-up follows it. */
          SeqState *cur = g_state (self, ms->g);

          if (cur != NULL)
            cur->status = WEFT_GO_G_WAITING;
        }
      else
        g_hash_table_remove (self->gs, GSIZE_TO_POINTER (ms->g));
      if (s == NULL)
        s = g_state_set (self, ev->args[0], WEFT_GO_G_RUNNING);
      s->status = WEFT_GO_G_RUNNING;
      s->seq_gen = self->gen;
      s->seq = ev->args[1];
      ms->g = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_GO_STOP:
    case WEFT_GO_EV_GO_BLOCK:
    case WEFT_GO_EV_GO_DESTROY:
      if ((r = need_g (c, error)) != ADV_OK)
        return r;
      if (ev->type == WEFT_GO_EV_GO_DESTROY)
        g_hash_table_remove (self->gs, GSIZE_TO_POINTER (ms->g));
      else if ((s = g_state (self, ms->g)) != NULL)
        s->status = ev->type == WEFT_GO_EV_GO_STOP ? WEFT_GO_G_RUNNABLE : WEFT_GO_G_WAITING;
      ms->g = 0;
      return ADV_OK;
    case WEFT_GO_EV_GO_SYSCALL_BEGIN:
      if ((r = need_g (c, error)) != ADV_OK || (r = need_p (c, error)) != ADV_OK)
        return r;
      if ((s = g_state (self, ms->g)) != NULL)
        s->status = WEFT_GO_G_SYSCALL;
      if ((ps = p_state (self, ms->p, ev->offset, error)) == NULL)
        return ADV_ERROR;
      ps->status = WEFT_GO_P_SYSCALL;
      ps->seq_gen = self->gen;
      ps->seq = ev->args[0];
      return ADV_OK;
    case WEFT_GO_EV_GO_SYSCALL_END:
      if ((r = need_g (c, error)) != ADV_OK || (r = need_p (c, error)) != ADV_OK)
        return r;
      if ((s = g_state (self, ms->g)) != NULL)
        s->status = WEFT_GO_G_RUNNING;
      if ((ps = p_state (self, ms->p, ev->offset, error)) == NULL)
        return ADV_ERROR;
      ps->status = WEFT_GO_P_RUNNING;
      return ADV_OK;
    case WEFT_GO_EV_GO_SYSCALL_END_BLOCKED:
      /* Its P must be seen stolen first. */
      if (!force && ms->p != (guint64) WEFT_GO_NO_P && (ps = p_state (self, ms->p, ev->offset, error)) != NULL
          && ps->status == WEFT_GO_P_SYSCALL)
        return ADV_WAIT;
      if ((r = need_g (c, error)) != ADV_OK)
        return r;
      if ((s = g_state (self, ms->g)) != NULL)
        s->status = WEFT_GO_G_RUNNABLE;
      ms->g = 0;
      return ADV_OK;
    case WEFT_GO_EV_GO_DESTROY_SYSCALL:
      if ((r = need_g (c, error)) != ADV_OK)
        return r;
      g_hash_table_remove (self->gs, GSIZE_TO_POINTER (ms->g));
      ms->g = 0;
      if (ms->p != (guint64) WEFT_GO_NO_P)
        {
          if ((ps = p_state (self, ms->p, ev->offset, error)) == NULL)
            return ADV_ERROR;
          ps->status = WEFT_GO_P_SYSCALL_ABANDONED;
          ms->p = (guint64) WEFT_GO_NO_P;
        }
      return ADV_OK;
    default:
      return ADV_OK;
    }
}

/* Hands out the earliest event whose sequence numbers allow it, as Go's
 * reader does: by timestamp, except that a transition numbered after one
 * still pending on another M waits for it. */
static gboolean
next_in_generation (WeftGoTrace *self, gboolean *have, GError **error)
{
  GPtrArray *h = self->cursors;
  Cursor    *c = NULL;
  guint      i;
  gboolean   more;
  int        r;

  *have = FALSE;
  if (h->len == 0)
    {
      clock_samples (self, G_MAXINT64);
      return TRUE;
    }
  r = advance (self, h->pdata[0], FALSE, error);
  if (r == ADV_ERROR)
    return FALSE;
  i = 0;
  if (r == ADV_WAIT)
    {
      /* Rare: try the others in timestamp order. */
      g_autoptr (GPtrArray) rest = g_ptr_array_sized_new (h->len);

      for (guint j = 1; j < h->len; j++)
        g_ptr_array_add (rest, h->pdata[j]);
      g_ptr_array_sort (rest, compare_cursors);
      for (guint j = 0; j < rest->len && r != ADV_OK; j++)
        {
          r = advance (self, rest->pdata[j], FALSE, error);
          if (r == ADV_ERROR)
            return FALSE;
          if (r == ADV_OK)
            for (i = 1; h->pdata[i] != rest->pdata[j]; i++)
              ;
        }
      if (r != ADV_OK)
        {
          /* Nothing fits: the trace's numbering is off (a lost batch, or a
           * corner of Go's model not followed here). Go on by time. */
          self->stats.forced_order++;
          if (advance (self, h->pdata[0], TRUE, error) == ADV_ERROR)
            return FALSE;
          i = 0;
        }
    }
  c = h->pdata[i];
  self->out = c->ev;
  clock_samples (self, self->out.ts);
  self->out.ts = clock_tick (self, self->out.ts);
  if (!cursor_next (self, c, &more, error))
    return FALSE;
  if (more)
    {
      heap_up (h, i);
      heap_down (h, i);
    }
  else
    {
      h->pdata[i] = h->pdata[h->len - 1];
      g_ptr_array_set_size (h, h->len - 1);
      cursor_free (c);
      if (i < h->len)
        {
          heap_up (h, i);
          heap_down (h, i);
        }
    }
  self->stats.events++;
  *have = TRUE;
  return TRUE;
}

/* ------------------------------------------------------------------ API */

static WeftGoTrace *
trace_open (FILE *f, const char *path, GError **error)
{
  g_autoptr (WeftGoTrace) self = g_new0 (WeftGoTrace, 1);
  char     header[HEADER_SIZE + 1] = { 0 };
  unsigned minor = 0;
  int      n = 0;
  size_t   got;

  self->path = g_strdup (path);
  self->f = f;
  got = fread (header, 1, HEADER_SIZE, self->f);
  if (got < 5 || memcmp (header, "go 1.", 5) != 0 || sscanf (header, "go 1.%u trace%n", &minor, &n) != 1 || n == 0)
    {
      fail (error, WEFT_GO_TRACE_ERROR_FORMAT, 0, "%s is not a Go execution trace (no \"go 1.N trace\" header)", path);
      return NULL;
    }
  if (minor < FIRST_VERSION)
    {
      fail (error, WEFT_GO_TRACE_ERROR_FORMAT, 0, "%s is a Go 1.%u trace; only the format of Go 1.%d and later is supported", path, minor, FIRST_VERSION);
      return NULL;
    }
  if (minor > LAST_VERSION || minor == 24)
    {
      fail (error, WEFT_GO_TRACE_ERROR_FORMAT, 0, "%s: unknown Go trace version 1.%u (known: 1.22, 1.23, 1.25, 1.26)", path, minor);
      return NULL;
    }
  if (got != HEADER_SIZE || n != 13 || memcmp (header + 13, "\0\0\0", 3) != 0)
    {
      fail (error, WEFT_GO_TRACE_ERROR_FORMAT, 0, "%s: malformed Go trace header", path);
      return NULL;
    }
  self->version = minor;
  self->offset = HEADER_SIZE;
  self->arena = g_byte_array_sized_new (1 << 20);
  self->batches = g_array_new (FALSE, FALSE, sizeof (Batch));
  self->strings = g_hash_table_new (NULL, NULL);
  self->string_chunk = g_string_chunk_new (64 << 10);
  self->stacks = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->stack_pcs = g_array_new (FALSE, FALSE, sizeof (guint64));
  self->frames = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->samples = g_array_new (FALSE, FALSE, sizeof (WeftGoCpuSample));
  self->cursors = g_ptr_array_new ();
  self->cursor_of = g_hash_table_new (NULL, NULL);
  self->gs = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->ps = g_array_new (FALSE, TRUE, sizeof (SeqState));
  self->ms = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  self->last_ts = G_MININT64;
  return g_steal_pointer (&self);
}

WeftGoTrace *
weft_go_trace_new (const char *path, GError **error)
{
  FILE *f = fopen (path, "rb");

  if (f == NULL)
    {
      int saved = errno;
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved), "cannot open %s: %s", path, g_strerror (saved));
      return NULL;
    }
  return trace_open (f, path, error);
}

WeftGoTrace *
weft_go_trace_new_from_data (const guint8 *data, gsize size, GError **error)
{
  static const guint8 none[1];
  /* fmemopen refuses an empty buffer: give it one byte, read none. */
  FILE *f = fmemopen ((void *) (size > 0 ? data : none), size > 0 ? size : 1, "rb");

  if (f == NULL)
    {
      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (errno), "fmemopen: %s", g_strerror (errno));
      return NULL;
    }
  if (size == 0)
    fseek (f, 0, SEEK_END);
  return trace_open (f, "(memory)", error);
}

void
weft_go_trace_free (WeftGoTrace *self)
{
  if (self == NULL)
    return;
  if (self->f != NULL)
    fclose (self->f);
  if (self->cursors != NULL)
    {
      g_ptr_array_foreach (self->cursors, cursor_free_cb, NULL);
      g_ptr_array_unref (self->cursors);
    }
  g_clear_pointer (&self->arena, g_byte_array_unref);
  g_clear_pointer (&self->batches, g_array_unref);
  g_clear_pointer (&self->strings, g_hash_table_unref);
  if (self->string_chunk != NULL)
    g_string_chunk_free (self->string_chunk);
  g_clear_pointer (&self->stacks, g_hash_table_unref);
  g_clear_pointer (&self->stack_pcs, g_array_unref);
  g_clear_pointer (&self->frames, g_hash_table_unref);
  g_clear_pointer (&self->samples, g_array_unref);
  g_clear_pointer (&self->cursor_of, g_hash_table_unref);
  g_clear_pointer (&self->gs, g_hash_table_unref);
  g_clear_pointer (&self->ps, g_array_unref);
  g_clear_pointer (&self->ms, g_hash_table_unref);
  g_free (self->path);
  g_free (self);
}

guint
weft_go_trace_version (WeftGoTrace *self)
{
  return self->version;
}

gboolean
weft_go_trace_next (WeftGoTrace *self, const WeftGoEvent **ev, GError **error)
{
  for (;;)
    {
      gboolean have;

      if (!next_in_generation (self, &have, error))
        return FALSE;
      if (have)
        {
          *ev = &self->out;
          return TRUE;
        }
      if (self->done && !self->spill)
        return FALSE;
      g_ptr_array_foreach (self->cursors, cursor_free_cb, NULL);
      g_ptr_array_set_size (self->cursors, 0);
      if (!read_generation (self, error))
        return FALSE;
      if (!cursors_start (self, error))
        return FALSE;
      /* The Sync that opens the generation. */
      clock_tick (self, ticks_to_ns (self, self->min_time));
    }
}

const char *
weft_go_trace_string (WeftGoTrace *self, guint64 id)
{
  return g_hash_table_lookup (self->strings, GSIZE_TO_POINTER (id));
}

const WeftGoCpuSample *
weft_go_trace_cpu_samples (WeftGoTrace *self, guint *n)
{
  *n = self->samples->len;
  return (const WeftGoCpuSample *) (gpointer) self->samples->data;
}

gboolean
weft_go_trace_stack (WeftGoTrace *self, guint64 id, const guint64 **pcs, guint *n_pcs)
{
  Stack *st = g_hash_table_lookup (self->stacks, GSIZE_TO_POINTER (id));

  if (st == NULL)
    return FALSE;
  *pcs = &g_array_index (self->stack_pcs, guint64, st->start);
  *n_pcs = st->n;
  return TRUE;
}

gboolean
weft_go_trace_frame (WeftGoTrace *self, guint64 pc, const char **function, const char **file, guint64 *line)
{
  Frame *fr = g_hash_table_lookup (self->frames, GSIZE_TO_POINTER (pc));

  if (fr == NULL)
    return FALSE;
  *function = weft_go_trace_string (self, fr->func);
  *file = weft_go_trace_string (self, fr->file);
  *line = fr->line;
  return TRUE;
}

gint64
weft_go_trace_end (WeftGoTrace *self)
{
  return self->last_ts == G_MININT64 ? G_MININT64 : self->last_ts + 1;
}

const WeftGoTraceStats *
weft_go_trace_get_stats (WeftGoTrace *self)
{
  return &self->stats;
}
