/* panic.c — fatal errors, goroutine dumps and the runtime's signals.
 *
 * As in Go there is no recovery: weft_throw() is for broken runtime
 * invariants, weft_panic() for program errors (send on a closed channel,
 * unlock of an unlocked mutex…). Both print the reason and a dump of every
 * goroutine — id, state, how long it has been blocked, its stack — to
 * stderr and exit with status 2, without running atexit handlers: other
 * threads are still running goroutines. Records already written to LTTng's
 * shared buffers survive the exit, so a trace keeps everything up to the
 * crash.
 *
 * Stacks are walked by frame pointers (libweft and programs built with
 * Meson here use -fno-omit-frame-pointer). A parked goroutine's walk starts
 * from the frame its context switch saved; a goroutine running on another
 * thread cannot be walked safely and is printed without a stack.
 *
 * Signals: SIGQUIT dumps all goroutines and exits (Go's behaviour);
 * SIGSEGV/SIGBUS in a stack guard page is reported as a stack overflow of
 * the running goroutine, any other one as a crash with its address. Each M
 * has an alternate signal stack so that this works on an overflowed stack.
 */
#define _GNU_SOURCE
#include "runtime.h"

#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_FRAMES 64
/* A dump prints this many goroutines in full, then a summary, so that a
 * program with 100k goroutines still gives a readable report. */
#define MAX_DUMPED 100
#define ALTSTACK_SIZE (64 * 1024)

static const char *const wait_reason_names[WEFT_WAIT_N] = {
  [WEFT_WAIT_NONE] = "",
  [WEFT_WAIT_CHAN_SEND] = "chan send",
  [WEFT_WAIT_CHAN_RECV] = "chan receive",
  [WEFT_WAIT_SELECT] = "select",
  [WEFT_WAIT_SELECT_NO_CASES] = "select (no cases)",
  [WEFT_WAIT_NIL_CHAN_SEND] = "chan send (nil chan)",
  [WEFT_WAIT_NIL_CHAN_RECV] = "chan receive (nil chan)",
  [WEFT_WAIT_MUTEX] = "sync.Mutex.Lock",
  [WEFT_WAIT_RWMUTEX_R] = "sync.RWMutex.RLock",
  [WEFT_WAIT_RWMUTEX_W] = "sync.RWMutex.Lock",
  [WEFT_WAIT_COND] = "sync.Cond.Wait",
  [WEFT_WAIT_WAITGROUP] = "sync.WaitGroup.Wait",
  [WEFT_WAIT_SLEEP] = "sleep",
  [WEFT_WAIT_NET_READ] = "IO wait (read)",
  [WEFT_WAIT_NET_WRITE] = "IO wait (write)",
  [WEFT_WAIT_NET_ACCEPT] = "IO wait (accept)",
  [WEFT_WAIT_NET_CONNECT] = "IO wait (connect)",
  [WEFT_WAIT_GOEXIT_MAIN] = "main exited",
  [WEFT_WAIT_GC_ASSIST] = "GC assist wait",
  [WEFT_WAIT_GC_STW] = "GC stop the world",
  [WEFT_WAIT_ONCE] = "sync.Once.Do",
};

const char *
weft_wait_reason_string (WeftWaitReason r)
{
  return (unsigned) r < WEFT_WAIT_N && wait_reason_names[r] != NULL ? wait_reason_names[r] : "unknown";
}

/* ------------------------------------------------------------------ stack walking */

/* Frames are [fp] = caller's fp, [fp + 8] = return address on both
 * x86-64 and AArch64. The walk stays inside [lo, hi) and requires frame
 * pointers to grow, so a corrupt chain stops it instead of faulting. */
static int
walk_frames (uintptr_t fp, uintptr_t lo, uintptr_t hi, int skip, uintptr_t *pcs, int max)
{
  int n = 0;

  while (n < max && fp >= lo && fp + 16 <= hi && (fp & 7) == 0)
    {
      uintptr_t next = ((uintptr_t *) fp)[0];
      uintptr_t pc = ((uintptr_t *) fp)[1];

      if (pc == 0)
        break;
      if (skip > 0)
        skip--;
      else
        pcs[n++] = pc;
      if (next <= fp)
        break;
      fp = next;
    }
  return n;
}

int
weft_callers (int skip, uintptr_t *pcs, int max)
{
  M        *mp = weft_getm ();
  G        *gp = mp != NULL ? (mp->curg != NULL ? mp->curg : mp->g0) : NULL;
  uintptr_t fp = (uintptr_t) __builtin_frame_address (0);
  uintptr_t lo, hi;

  /* Running on g0 while a goroutine is current means we are in an mcall
   * function: walk g0's stack. */
  if (gp != NULL && (fp < gp->stack_lo || fp >= gp->stack_hi) && mp != NULL)
    gp = mp->g0;
  if (gp != NULL && gp->stack_hi != 0)
    {
      lo = gp->stack_lo;
      hi = gp->stack_hi;
    }
  else
    {
      /* A foreign thread: bound the walk loosely around the frame. */
      lo = fp;
      hi = fp + 1024 * 1024;
    }
  return walk_frames (fp, lo, hi, skip + 1, pcs, max);
}

int
weft_g_callers (G *gp, uintptr_t *pcs, int max)
{
  uintptr_t sp = (uintptr_t) gp->ctx.sp;
  uintptr_t fp, pc;

  if (sp < gp->stack_lo || sp >= gp->stack_hi)
    return 0;
#if defined(__x86_64__)
  /* mxcsr/fpucw, r15, r14, r13, r12, rbx, rbp, return address */
  fp = ((uintptr_t *) sp)[6];
  pc = ((uintptr_t *) sp)[7];
#elif defined(__aarch64__)
  fp = ((uintptr_t *) sp)[10]; /* x29 */
  pc = ((uintptr_t *) sp)[11]; /* x30 */
#endif
  if (max <= 0)
    return 0;
  pcs[0] = pc;
  return 1 + walk_frames (fp, gp->stack_lo, gp->stack_hi, 0, pcs + 1, max - 1);
}

/* ------------------------------------------------------------------ printing */

/* Unbuffered formatted write: stdio may be locked by the crashed thread. */
static void __attribute__ ((format (printf, 2, 3)))
fdprint (int fd, const char *fmt, ...)
{
  char    buf[1024];
  va_list ap;
  int     n;

  va_start (ap, fmt);
  n = vsnprintf (buf, sizeof buf, fmt, ap);
  va_end (ap);
  if (n > (int) sizeof buf - 1)
    n = sizeof buf - 1;
  for (int off = 0; off < n;)
    {
      ssize_t w = write (fd, buf + off, (size_t) (n - off));
      if (w <= 0)
        break;
      off += (int) w;
    }
}

static void
print_pc (int fd, uintptr_t pc, bool is_return_address)
{
  const char *func, *obj;
  uintptr_t   func_off, obj_off;
  /* A return address points after the call: look up the call itself. */
  uintptr_t lookup = is_return_address ? pc - 1 : pc;

  if (!weft_symbolize (lookup, &func, &func_off, &obj, &obj_off))
    fdprint (fd, "?()\n\tpc=0x%zx\n", (size_t) pc);
  else
    fdprint (fd, "%s(+0x%zx)\n\t%s +0x%zx\n", func != NULL ? func : "?", (size_t) func_off + (pc - lookup), obj,
             (size_t) obj_off + (pc - lookup));
}

static const char *
status_string (G *gp, char *buf, size_t len)
{
  switch (atomic_load (&gp->status))
    {
    case G_RUNNABLE:
      return "runnable";
    case G_RUNNING:
      return "running";
    case G_SYSCALL:
      return "syscall";
    case G_WAITING:
      {
        int64_t         mins = 0;
        struct timespec ts;
        clock_gettime (CLOCK_MONOTONIC_COARSE, &ts);
        if (gp->wait_since > 0)
          mins = (ts.tv_sec * 1000000000LL + ts.tv_nsec - gp->wait_since) / (60LL * 1000000000LL);
        if (mins > 0)
          snprintf (buf, len, "%s, %lld minutes", weft_wait_reason_string (gp->wait_reason), (long long) mins);
        else
          snprintf (buf, len, "%s", weft_wait_reason_string (gp->wait_reason));
        return buf;
      }
    default:
      return "dead";
    }
}

static bool
is_entry_frame (uintptr_t pc)
{
  const char *func, *obj;
  uintptr_t   func_off, obj_off;

  return weft_symbolize (pc - 1, &func, &func_off, &obj, &obj_off) && func != NULL
         && (strcmp (func, "weft_goroutine_main") == 0 || strcmp (func, "main_goroutine") == 0);
}

typedef struct
{
  int     fd;
  G      *self;
  int     printed;
  int64_t omitted[G_DEAD + 1]; /* by status, beyond MAX_DUMPED */
} DumpCtx;

static void
dump_one (G *gp, void *data)
{
  DumpCtx  *ctx = data;
  uint32_t  status = atomic_load (&gp->status);
  uintptr_t pcs[MAX_FRAMES];
  char      buf[128];
  int       n = 0;

  if (status == G_IDLE || status == G_DEAD)
    return;
  if (ctx->printed++ >= MAX_DUMPED)
    {
      ctx->omitted[status]++;
      return;
    }
  fdprint (ctx->fd, "goroutine %llu [%s]:\n", (unsigned long long) gp->goid, status_string (gp, buf, sizeof buf));
  if (gp == ctx->self)
    n = weft_callers (3, pcs, MAX_FRAMES);
  else if (status == G_WAITING || status == G_RUNNABLE)
    n = weft_g_callers (gp, pcs, MAX_FRAMES);
  else
    fdprint (ctx->fd, "\t(running on another thread; no stack)\n");
  for (int i = 0; i < n; i++)
    {
      /* The runtime's entry frames below the goroutine's function are noise. */
      if (is_entry_frame (pcs[i]))
        break;
      print_pc (ctx->fd, pcs[i], true);
    }
  if (gp->create_pc != 0)
    {
      const char *func, *obj;
      uintptr_t   func_off, obj_off;
      if (weft_symbolize (gp->create_pc - 1, &func, &func_off, &obj, &obj_off))
        fdprint (ctx->fd, "created by %s in goroutine %llu\n\t%s +0x%zx\n", func != NULL ? func : "?",
                 (unsigned long long) gp->parent_goid, obj, (size_t) obj_off + 1);
      else
        fdprint (ctx->fd, "created in goroutine %llu\n", (unsigned long long) gp->parent_goid);
    }
  if (gp->name != NULL)
    fdprint (ctx->fd, "\tnamed \"%s\"\n", gp->name);
  fdprint (ctx->fd, "\n");
}

void
weft_dump_goroutines (int fd)
{
  DumpCtx ctx = { .fd = fd, .self = weft_getg () };
  int64_t omitted = 0;

  /* The current goroutine first, as Go prints it. The walk takes no lock:
   * the fatal error may have struck while the allg lock was held. */
  if (ctx.self != NULL)
    dump_one (ctx.self, &ctx);
  for (G *gp = weft_allgs_racy (); gp != NULL; gp = gp->alllink)
    if (gp != ctx.self && !gp->system)
      dump_one (gp, &ctx);
  for (int i = 0; i <= G_DEAD; i++)
    omitted += ctx.omitted[i];
  if (omitted > 0)
    fdprint (fd, "...and %lld more goroutines (%lld runnable, %lld running, %lld in syscalls, %lld waiting)\n\n",
             (long long) omitted, (long long) ctx.omitted[G_RUNNABLE], (long long) ctx.omitted[G_RUNNING],
             (long long) ctx.omitted[G_SYSCALL], (long long) ctx.omitted[G_WAITING]);
}

static _Atomic int dying;

static _Noreturn void
die (const char *prefix, const char *fmt, va_list ap)
{
  char msg[512];

  /* A second fatal error while dumping (another thread, or the dump
   * itself faulting) must not interleave or loop. */
  if (atomic_exchange (&dying, 1))
    {
      sleep (5);
      _exit (2);
    }
  vsnprintf (msg, sizeof msg, fmt, ap);
  fdprint (2, "%s%s\n\n", prefix, msg);
  weft_dump_goroutines (2);
  _exit (2);
}

_Noreturn void
weft_throw (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  die ("fatal error: ", fmt, ap);
}

_Noreturn void
weft_panic (const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  die ("panic: ", fmt, ap);
}

/* ------------------------------------------------------------------ signals */

static void
fatal_signal (int sig, siginfo_t *info, void *uctx)
{
  uintptr_t addr = (uintptr_t) info->si_addr;
  G        *gp = weft_getg ();
  (void) uctx;

  /* A write to the heap the collector protects while it marks. */
  if (sig == SIGSEGV && info->si_code == SEGV_ACCERR && weft_gc_write_fault (addr))
    return;
  if (sig == SIGQUIT)
    {
      fdprint (2, "SIGQUIT: quit\n\n");
      atomic_store (&dying, 1);
      weft_dump_goroutines (2);
      _exit (2);
    }
  if ((sig == SIGSEGV || sig == SIGBUS) && weft_stack_is_guard (addr))
    {
      fdprint (2, "runtime: goroutine stack exceeds %zu-byte limit\n", weft_stack_size ());
      if (gp != NULL)
        fdprint (2, "runtime: goroutine %llu overflowed its stack at 0x%zx\n", (unsigned long long) gp->goid,
                 (size_t) addr);
      atomic_store (&dying, 1);
      fdprint (2, "fatal error: stack overflow (set WEFT_STACK_SIZE)\n\n");
      weft_dump_goroutines (2);
      _exit (2);
    }
  fdprint (2, "%s: %s addr=0x%zx\n", sig == SIGSEGV ? "SIGSEGV" : sig == SIGBUS ? "SIGBUS"
                                                              : sig == SIGFPE   ? "SIGFPE"
                                                                                : "SIGILL",
           sig == SIGSEGV ? "segmentation violation" : "fatal signal", (size_t) addr);
  if (gp != NULL)
    fdprint (2, "in goroutine %llu\n", (unsigned long long) gp->goid);
  atomic_store (&dying, 1);
  fdprint (2, "\n");
  weft_dump_goroutines (2);
  _exit (2);
}

bool weft_segv_handled;

void
weft_signals_init (void)
{
  struct sigaction sa;
  const int        sigs[] = { SIGQUIT, SIGSEGV, SIGBUS, SIGFPE, SIGILL };

  memset (&sa, 0, sizeof sa);
  sa.sa_sigaction = fatal_signal;
  sa.sa_flags = SA_SIGINFO | SA_ONSTACK;
  sigfillset (&sa.sa_mask);
  for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
    {
      struct sigaction old;
      /* Leave alone handlers the program (or a sanitizer) installed. */
      if (sigaction (sigs[i], NULL, &old) == 0 && old.sa_handler != SIG_DFL && sigs[i] != SIGQUIT)
        continue;
      if (sigaction (sigs[i], &sa, NULL) == 0 && sigs[i] == SIGSEGV)
        weft_segv_handled = true;
    }
}

void
weft_signals_init_thread (M *mp)
{
  stack_t ss;

  mp->altstack = malloc (ALTSTACK_SIZE);
  if (mp->altstack == NULL)
    return;
  ss.ss_sp = mp->altstack;
  ss.ss_size = ALTSTACK_SIZE;
  ss.ss_flags = 0;
  sigaltstack (&ss, NULL);
}
