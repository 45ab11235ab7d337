/* runtime.h — libweft's internal data structures and the contracts between
 * its files. See HACKING.md for the overview (G, M, P, locks, throw).
 *
 *   proc.c      G/M/P, run queues, schedule(), park/ready, sysmon, weft_main
 *   stack.c     goroutine stacks: mmap'd, guard pages, pooled per P
 *   lock.c      runtime locks and notes (futex)
 *   asm_*.S     the context switch
 *   chan.c      channels          select.c   select
 *   sema.c      semaphores and notify lists (sync's sleep/wakeup)
 *   sync.c      Mutex, RWMutex, WaitGroup, Once, Cond
 *   time.c      per-P timer heaps, sleep, timers
 *   netpoll.c   the poller contract; netpoll-epoll.c its Linux backend
 *   net.c       socket calls on top of the poller
 *   panic.c     fatal errors, goroutine dumps, signals
 *   mheap.c     the heap's arena and page heap; malloc.c weft_alloc;
 *   mgc.c       the garbage collector (mheap.h has their contracts)
 *   trace.c     runtime -> tracer API; the only file that sees LTTng
 *
 * Nothing here is public; everything has the weft_ prefix and hidden
 * visibility unless listed in include/weft/weft.h.
 */
#pragma once

#include "weft/weft.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define WEFT_HIDDEN __attribute__ ((visibility ("hidden")))

#define likely(x) __builtin_expect (!!(x), 1)
#define unlikely(x) __builtin_expect (!!(x), 0)

typedef struct WeftG         G;
typedef struct WeftM         M;
typedef struct WeftP         P;
typedef struct WeftSudog     Sudog;
typedef struct WeftStack     WeftStack;
typedef struct WeftTimerImpl Timer;

/* ------------------------------------------------------------------ locks
 * Runtime locks are futex-based and held only for short, non-blocking
 * sections: never park a goroutine while holding one (gopark's unlockf is
 * how a lock is released atomically with parking). Lock order, outermost
 * first: sched.lock > hchan.lock (ascending address in select) >
 * sema root lock > P timers lock > allg lock > stack table lock; and,
 * for the poller, pollDesc lock > Timer.mu > P timers lock > sched.lock
 * (a deadline is armed under its pollDesc lock and may wake a P; nothing
 * takes a pollDesc lock while holding sched.lock). */
typedef struct
{
  _Atomic uint32_t key; /* 0 unlocked, 1 locked, 2 locked with sleepers */
} WeftLock;

WEFT_HIDDEN void weft_lock (WeftLock *l);
WEFT_HIDDEN void weft_unlock (WeftLock *l);

/* A one-shot sleep/wakeup for one M: wakeup may come before sleep. */
typedef struct
{
  _Atomic uint32_t key;
} WeftNote;

WEFT_HIDDEN void weft_note_clear (WeftNote *n);
WEFT_HIDDEN void weft_note_sleep (WeftNote *n);
/* Returns true if woken, false on timeout. @ns < 0 means forever. */
WEFT_HIDDEN bool weft_note_tsleep (WeftNote *n, int64_t ns);
WEFT_HIDDEN void weft_note_wakeup (WeftNote *n);

/* ------------------------------------------------------------------ wait reasons
 * Why a goroutine is blocked. The numbering is part of the trace format
 * (the LTTng enum weft:wait_reason); append only. */
typedef enum
{
  WEFT_WAIT_NONE = 0,
  WEFT_WAIT_CHAN_SEND = 1,
  WEFT_WAIT_CHAN_RECV = 2,
  WEFT_WAIT_SELECT = 3,
  WEFT_WAIT_SELECT_NO_CASES = 4,
  WEFT_WAIT_NIL_CHAN_SEND = 5,
  WEFT_WAIT_NIL_CHAN_RECV = 6,
  WEFT_WAIT_MUTEX = 7,
  WEFT_WAIT_RWMUTEX_R = 8,
  WEFT_WAIT_RWMUTEX_W = 9,
  WEFT_WAIT_COND = 10,
  WEFT_WAIT_WAITGROUP = 11,
  WEFT_WAIT_SLEEP = 12,
  WEFT_WAIT_NET_READ = 13,
  WEFT_WAIT_NET_WRITE = 14,
  WEFT_WAIT_NET_ACCEPT = 15,
  WEFT_WAIT_NET_CONNECT = 16,
  WEFT_WAIT_GOEXIT_MAIN = 17, /* main called weft_exit() */
  WEFT_WAIT_GC_ASSIST = 18,   /* reserved for the GC */
  WEFT_WAIT_GC_STW = 19,      /* reserved for the GC */
  WEFT_WAIT_ONCE = 20,
  WEFT_WAIT_N
} WeftWaitReason;

/* Go-style names ("chan receive", "sync.Mutex.Lock"…) for dumps. */
WEFT_HIDDEN const char *weft_wait_reason_string (WeftWaitReason r);

/* Why the previous goroutine left its P in a switch. Trace format enum
 * weft:stop_reason; append only. */
typedef enum
{
  WEFT_STOP_NONE = 0,      /* the P had no goroutine (it was idle) */
  WEFT_STOP_YIELD = 1,     /* weft_yield(): still runnable */
  WEFT_STOP_PREEMPTED = 2, /* preempted at a safepoint: still runnable */
  WEFT_STOP_BLOCKED = 3,   /* parked; see wait reason */
  WEFT_STOP_EXITED = 4,    /* the goroutine ended */
  WEFT_STOP_SYSCALL = 5,   /* its M went into a syscall and lost the P */
} WeftStopReason;

/* ------------------------------------------------------------------ G */
typedef enum
{
  G_IDLE = 0,     /* just allocated or in a free list */
  G_RUNNABLE = 1, /* in a run queue, not running */
  G_RUNNING = 2,  /* owns an M and a P */
  G_SYSCALL = 3,  /* in weft_syscall_enter(): owns an M, maybe not a P */
  G_WAITING = 4,  /* parked; wait_reason says why */
  G_DEAD = 5,     /* finished; may be reused */
} WeftGStatus;

/* Saved machine context. The callee-saved registers live on the
 * goroutine's own stack below sp (so a conservative stack scan sees them);
 * only sp is kept here. */
typedef struct
{
  void *sp;
} WeftCtx;

/* Words weft_spill_call (asm) pushes: the callee-saved general registers
 * and, on x86-64, an alignment word. */
#if defined(__aarch64__)
#define WEFT_SPILL_WORDS 12
#else
#define WEFT_SPILL_WORDS 7
#endif

struct WeftG
{
  WeftCtx          ctx;       /* written by the switch; read by whoever resumes it */
  WeftStack       *stack;     /* NULL for g0 (the M's thread stack) */
  uintptr_t        stack_lo;  /* lowest usable address (above the guard) */
  uintptr_t        stack_hi;  /* one past the highest */
  uint64_t         goid;      /* immutable while alive; 0 for g0 */
  _Atomic uint32_t status;    /* WeftGStatus; see transitions in proc.c */
  M               *m;         /* the M running it; NULL unless RUNNING/SYSCALL */
  G               *schedlink; /* run queue / free list link; owner of the list */
  G               *alllink;   /* allgs list; allg lock */

  WeftFunc  fn; /* set at creation */
  void     *arg;
  uintptr_t start_pc; /* fn's address, for the tracer and dumps */
  uint64_t  parent_goid;
  uintptr_t create_pc;    /* return address of the weft_go() call that made it */
  char     *name;         /* weft_go_named(), owned; NULL otherwise */
  uint64_t  task;         /* current user task (inherited at creation) */
  uint32_t  create_stack; /* trace stack id of the creation site, 0 if unknown */

  /* Blocking state: written by the goroutine before it parks and read by
   * others only while it is WAITING. */
  WeftWaitReason   wait_reason;
  const void      *wait_obj;    /* the channel, mutex… it waits on */
  uint32_t         wait_stack;  /* trace stack id of the blocking call, 0 if none */
  int64_t          wait_since;  /* weft_nanotime() at park */
  Sudog           *waiting;     /* sudogs it is queued with (chan, select) */
  _Atomic uint32_t select_done; /* select: first waker CASes 0 -> 1 */
  void            *param;       /* passed by the waker (e.g. the winning sudog) */

  Timer *sleep_timer;   /* weft_sleep()'s reusable timer; owned */
  int    syscall_depth; /* weft_syscall_enter() nesting */
  /* Where its frames began and its callee-saved registers when it entered
   * weft_syscall_enter: while it runs without a P, the collector scans
   * [syscall_sp, stack_hi) and these. Written by the goroutine before it
   * gives its P up. */
  uintptr_t syscall_sp;
  uintptr_t syscall_regs[WEFT_SPILL_WORDS];
  /* mgc.c, with the world stopped: blocked on objects not yet proven
   * reachable this cycle; its go_leaked event is written (once per life). */
  bool    leak_candidate;
  bool    leak_reported;
  bool    system;         /* the runtime's own (GC mark worker): not counted, not dumped */
  int64_t gc_assist_debt; /* mgc.c: bytes allocated during a mark not yet paid for by marking */
  void   *tsan_fiber;     /* ThreadSanitizer builds only: this G's fiber */
};

/* ------------------------------------------------------------------ P */
#define WEFT_RUNQ_SIZE 256

typedef enum
{
  P_IDLE = 0,    /* in the idle list, no M */
  P_RUNNING = 1, /* owned by an M */
  P_SYSCALL = 2, /* its M is in a syscall; sysmon may take it */
  P_GCSTOP = 3,  /* stopped for the world to stop; no M */
} WeftPStatus;

struct WeftP
{
  int32_t          id;
  _Atomic uint32_t status;      /* WeftPStatus */
  M               *m;           /* owning M, NULL if idle; changes under sched.lock or by CAS from P_SYSCALL */
  P               *link;        /* idle list; sched.lock */
  _Atomic uint32_t schedtick;   /* incremented on every execute(); sysmon reads it */
  _Atomic bool     preempt;     /* set by sysmon: the running G yields at its next safepoint */
  _Atomic uint32_t syscalltick; /* incremented on each syscall entry; sysmon reads */
  M               *syscall_m;   /* the M that entered the last syscall; for proc_steal */
  uint64_t         goid_next;   /* batch of goroutine ids reserved by this P; owner only */
  uint64_t         goid_end;

  /* sysmon's private observations (sysmon only). */
  uint32_t sysmon_schedtick;
  int64_t  sysmon_schedwhen;
  uint32_t sysmon_syscalltick;
  int64_t  syscall_when;

  /* Local run queue: lock-free, single producer (the owner), many
   * stealers. runnext, when set, runs before the queue (it is the
   * goroutine just readied by the running one: ping-pong stays on one P). */
  _Atomic uint32_t runqhead;
  _Atomic uint32_t runqtail;
  _Atomic (G *)    runq[WEFT_RUNQ_SIZE];
  _Atomic (G *)    runnext;

  /* Free dead Gs (with their stacks) for reuse: owner only. */
  G      *gfree;
  int32_t gfree_n;
  /* Free sudogs: owner only. */
  Sudog  *sudog_cache;
  int32_t sudog_n;

  /* Timers (time.c): heap under timers_lock; timer0_when is the earliest
   * when, 0 if none, readable without the lock. */
  WeftLock        timers_lock;
  Timer         **timers;
  int32_t         ntimers;
  int32_t         timers_cap;
  _Atomic int64_t timer0_when;

  struct WeftMCache *mcache; /* malloc.c: owner only */

  /* mgc.c: how long this P ran the fractional mark worker since the mark
   * began (Go's gcFractionalMarkTime); the scheduler compares it with the
   * time since then before handing the worker this P again. */
  _Atomic int64_t gc_fractional_ns;
};

/* ------------------------------------------------------------------ M */
struct WeftM
{
  int32_t  id;
  pid_t    tid;
  G       *g0;        /* scheduling context on the thread's own stack */
  G       *curg;      /* the goroutine it runs, or NULL */
  P       *p;         /* attached P, NULL if none */
  P       *nextp;     /* P handed over before waking it */
  P       *oldp;      /* P it held when entering a syscall */
  bool     spinning;  /* looking for work with a P and none found yet */
  WeftNote park;      /* sleeps here when idle */
  M       *schedlink; /* idle list; sched.lock */
  uint64_t rand;      /* per-M random state */

  /* mcall: what the g0 loop runs on behalf of the goroutine that just
   * switched to it. */
  G *(*mcall_fn) (G *gp);
  G *mcall_g;
  /* gopark's arguments, consumed by park_m on g0. */
  bool (*park_unlockf) (G *gp, void *arg);
  void *park_arg;

  /* The last goroutine that left this M and why, for the switch event. */
  G             *prev_g;
  WeftStopReason prev_reason;
  bool           switch_written; /* the switch to the next G is already in the trace */

  void *altstack; /* signal stack */
};

/* ------------------------------------------------------------------ sched */
struct WeftSched
{
  WeftLock        lock;
  M              *midle;  /* idle Ms; lock */
  int32_t         nmidle; /* lock */
  int32_t         mcount; /* Ms created (not counting sysmon); lock */
  _Atomic int32_t nmspinning;
  P              *pidle; /* idle Ps; lock */
  _Atomic int32_t npidle;
  G              *runq_head; /* global run queue; lock */
  G              *runq_tail;
  _Atomic int32_t runq_size;   /* written under lock; read without it as a hint */
  _Atomic int64_t lastpoll;    /* 0 while an M blocks in netpoll, else time of last poll */
  _Atomic int64_t poll_until;  /* when the blocked netpoll wakes up, 0 if not blocked */
  _Atomic int32_t ngsys;       /* goroutines in syscalls */
  _Atomic int64_t ngoroutines; /* live goroutines */
  _Atomic bool    exiting;     /* main returned */

  /* Stopping the world (weft_stop_the_world in proc.c). gcwaiting is
   * read at every scheduling point and written twice a cycle: a line of
   * its own, away from ngoroutines and the lock that every goroutine
   * creation writes (sharing theirs made create+exit 2x slower). */
  _Alignas(64) _Atomic bool gcwaiting; /* Ps must stop at their next safepoint */
  _Alignas(64) int32_t stopwait;       /* Ps still to stop; lock */
  WeftNote stopnote;                   /* the last P to stop wakes the stopper */
};

extern WEFT_HIDDEN struct WeftSched weft_sched;
extern WEFT_HIDDEN P              **weft_allp;
extern WEFT_HIDDEN int32_t          weft_nprocs;

/* ------------------------------------------------------------------ current G/M
 * A goroutine may resume on another thread after any switch, so the current
 * M is read through a non-inlined call every time: never cache it (or a
 * pointer to a __thread variable) across a call that can park. */
WEFT_HIDDEN M *weft_getm (void);
WEFT_HIDDEN G *weft_getg (void); /* the running goroutine; NULL on g0 / foreign threads */

/* ------------------------------------------------------------------ park/ready */

/* Parks the current goroutine with @reason. On g0, after the goroutine's
 * state is saved, unlockf(gp, arg) runs (it typically releases the lock
 * that protects the queue the goroutine was put on); if it returns false
 * the goroutine is resumed at once. @unlockf may be NULL. */
WEFT_HIDDEN void weft_gopark (bool (*unlockf) (G *gp, void *arg), void *arg, WeftWaitReason reason, const void *wait_obj);

/* gopark with unlockf releasing the runtime lock @l. */
WEFT_HIDDEN void weft_goparkunlock (WeftLock *l, WeftWaitReason reason, const void *wait_obj);

/* Makes a WAITING goroutine runnable: it goes to the current P's runnext
 * (or the global queue when called without a P) and an idle P is woken if
 * needed. Callable from goroutines and from g0 (timers, netpoll). */
WEFT_HIDDEN void weft_goready (G *gp);

/* WAITING -> RUNNABLE without queueing it, for pollers that hand back a
 * list of goroutines (writes the go_unblock event). */
WEFT_HIDDEN void weft_g_make_runnable (G *gp);

/* Puts a list of runnable goroutines (linked by schedlink, status already
 * RUNNABLE) on run queues and wakes idle Ps for them. */
WEFT_HIDDEN void weft_injectglist (G *list);

/* Creates a goroutine; callable from g0 as well (weft_after_func). */
WEFT_HIDDEN G *weft_newproc (const char *name, WeftFunc fn, void *arg);
/* A goroutine of the runtime itself (the GC's mark worker): traced like
 * any other, but not counted by weft_num_goroutine or the deadlock check. */
WEFT_HIDDEN G *weft_newproc_system (const char *name, WeftFunc fn, void *arg);

/* ------------------------------------------------------------------ sudog
 * A goroutine waiting in a channel's queue (or a sema's). One goroutine
 * can be on several queues at once (select). Allocated from a per-P cache. */
struct WeftSudog
{
  G                *g;
  Sudog            *next; /* queue links; owner of the queue's lock */
  Sudog            *prev;
  void             *elem;       /* data to send / where to receive; may point into a stack */
  struct _WeftChan *c;          /* the channel (chan.c, select.c) */
  Sudog            *waitlink;   /* G's list of sudogs (G.waiting) */
  uint32_t          ticket;     /* sema.c */
  int32_t           case_index; /* select: which case this sudog is */
  bool              is_select;
  bool              success; /* true: woken by a value; false: by close */
  void             *addr;    /* sema.c: the semaphore's address */
};

WEFT_HIDDEN Sudog *weft_acquire_sudog (void);
WEFT_HIDDEN void   weft_release_sudog (Sudog *s);

/* ------------------------------------------------------------------ GC roots (mgc.c)
 * Memory outside the collected heap that may hold heap pointers and that
 * the runtime owns (channel buffers, timer arguments): scanned at every
 * collection while registered. The node is the caller's. */
typedef struct WeftRoot WeftRoot;
struct WeftRoot
{
  WeftRoot   *next;
  WeftRoot   *prev;
  const void *addr;
  size_t      size;
};

WEFT_HIDDEN void weft_gc_root_add (WeftRoot *r, const void *addr, size_t size);
/* Unregisters @r if it is registered (a zeroed node is not). */
WEFT_HIDDEN void weft_gc_root_del (WeftRoot *r);

/* ------------------------------------------------------------------ random */
WEFT_HIDDEN uint32_t weft_rand32 (void);
WEFT_HIDDEN uint32_t weft_randn (uint32_t n); /* uniform in [0, n) */

/* ------------------------------------------------------------------ stacks */
WEFT_HIDDEN size_t weft_stack_size (void);
/* A usable stack of weft_stack_size() bytes, bounded by [*lo, *hi). */
WEFT_HIDDEN WeftStack *weft_stack_alloc (uintptr_t *lo, uintptr_t *hi);
/* Returns the stack's pages to the kernel; it stays mapped and usable. */
WEFT_HIDDEN void weft_stack_release_memory (WeftStack *s);
/* Fatal error if the stack's overflow canary was overwritten. */
WEFT_HIDDEN void weft_stack_check (G *gp);
/* True if @addr is in a stack guard page; fills the owning G if known. */
WEFT_HIDDEN bool weft_stack_is_guard (uintptr_t addr);

/* ------------------------------------------------------------------ context switch (asm) */
/* Saves the current context into *from and resumes *to. */
WEFT_HIDDEN void weft_ctx_switch (WeftCtx *from, WeftCtx *to);
/* Prepares @ctx so that switching to it calls weft_goroutine_main() on the
 * stack [lo, hi). */
WEFT_HIDDEN void weft_ctx_init (WeftCtx *ctx, uintptr_t lo, uintptr_t hi);
/* Entered on a fresh goroutine stack; never returns. */
WEFT_HIDDEN _Noreturn void weft_goroutine_main (void);

/* ------------------------------------------------------------------ time (time.c) */
/* Runs the expired timers of @pp (on g0 or a goroutine holding @pp);
 * returns the earliest remaining when, 0 if none. */
WEFT_HIDDEN int64_t weft_timers_check (P *pp, int64_t now);
/* Earliest when over all Ps, 0 if none. */
WEFT_HIDDEN int64_t weft_timers_earliest (void);
/* Runtime-internal timers: @fn runs on g0 (or a goroutine holding the P)
 * when the timer fires and must not block. @arg_size bytes of zeroed
 * storage come with the timer (weft_timer_impl_arg). A timer is in at
 * most one heap; add re-arms, del returns whether it was armed. */
WEFT_HIDDEN Timer *weft_timer_impl_new (void (*fn) (Timer *t, int64_t now), size_t arg_size);
WEFT_HIDDEN void  *weft_timer_impl_arg (Timer *t);
WEFT_HIDDEN void   weft_timer_impl_add (Timer *t, int64_t when);
WEFT_HIDDEN bool   weft_timer_impl_del (Timer *t);
/* proc.c: a timer at @when was added; makes sure some M will wake up by
 * then (breaks a blocked netpoll or wakes an idle P). */
WEFT_HIDDEN void weft_wake_netpoller (int64_t when);

/* ------------------------------------------------------------------ netpoll (netpoll.c) */
WEFT_HIDDEN void weft_netpoll_init (void);
/* Returns goroutines made ready by I/O (schedlink list, status RUNNABLE).
 * @delay_ns < 0 blocks until an event or weft_netpoll_break(), 0 polls,
 * > 0 waits at most that long. */
WEFT_HIDDEN G   *weft_netpoll (int64_t delay_ns);
WEFT_HIDDEN void weft_netpoll_break (void);
/* Goroutines parked on I/O (for deadlock detection). */
WEFT_HIDDEN int32_t weft_netpoll_waiters (void);

/* ------------------------------------------------------------------ fatal errors (panic.c) */
/* Go's throw: a runtime invariant or a program error; never returns. */
WEFT_HIDDEN _Noreturn void weft_throw (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));
WEFT_HIDDEN void           weft_signals_init (void);
/* panic.c's handler got SIGSEGV (no sanitizer or program handler had it):
 * the collector may then mark concurrently. */
extern WEFT_HIDDEN bool weft_segv_handled;
/* mgc.c, from the SIGSEGV handler: true if @addr is in the heap the
 * collector write-protected; the page is then writable again. */
WEFT_HIDDEN bool weft_gc_write_fault (uintptr_t addr);
/* mgc.c: the kernel is about to write [p, p + n) (read(2) into a buffer):
 * a write-protected heap page would make it fail with EFAULT. True if
 * some of it was protected (a call failing with EFAULT may be retried). */
WEFT_HIDDEN bool weft_gc_prepare_kernel_write (void *p, size_t n);
WEFT_HIDDEN void weft_signals_init_thread (M *mp);
/* The list of every G (linked by alllink) without locking: entries are
 * only ever prepended, so a walk is safe but may miss new ones. */
WEFT_HIDDEN G *weft_allgs_racy (void);
/* Iterates every goroutine under the allg lock. */
WEFT_HIDDEN void weft_forall_g (void (*fn) (G *gp, void *data), void *data);
/* Walks @gp's frame pointers (it must not be running) or, for the
 * current goroutine, the caller's; fills at most @max return addresses. */
WEFT_HIDDEN int weft_g_callers (G *gp, uintptr_t *pcs, int max);
WEFT_HIDDEN int weft_callers (int skip, uintptr_t *pcs, int max);
/* symtab.c: the function containing @pc (from the object's ELF symbol
 * table) and the object's path and offset. False if no object maps @pc. */
WEFT_HIDDEN bool weft_symbolize (uintptr_t pc, const char **func, uintptr_t *func_off, const char **obj, uintptr_t *obj_off);
