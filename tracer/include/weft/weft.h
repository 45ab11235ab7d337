/* weft.h — the public API of libweft, Weft's goroutine runtime.
 *
 * libweft runs goroutines (stackful coroutines) on an M:N scheduler and
 * reports every scheduling and blocking event through LTTng-UST (provider
 * "weft"); see tracer/README.md for the event vocabulary.
 *
 * Conventions, as in Go:
 *  - Every blocking call parks only the calling goroutine, never its thread.
 *  - Misuse (send on a closed channel, unlock of an unlocked mutex…) is a
 *    fatal error: the runtime prints the reason and a dump of every goroutine
 *    to stderr and exits with status 2. Nothing here returns an error code
 *    for programming errors.
 *  - Calls that block must be made from a goroutine, i.e. below weft_main().
 *
 * POSIX and C11 only; no GLib.
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C"
{
#endif

  /* ---------------------------------------------------------------- runtime */

  /* A goroutine body. */
  typedef void (*WeftFunc) (void *arg);

  /* The program's main goroutine. Its return value is weft_main()'s. */
  typedef int (*WeftMainFunc) (int argc, char **argv);

  /* Starts the runtime with WEFT_MAXPROCS Ps (default: the number of online
   * CPUs), runs @main as goroutine 1 and, when it returns, ends the process
   * with its status, as a Go program ends when main returns: other
   * goroutines are not waited for, stdio is flushed, atexit handlers and
   * library destructors do not run (they would race with goroutines still
   * running on other threads). Write `return weft_main (…);` in main().
   *
   * Environment: WEFT_MAXPROCS, WEFT_STACK_SIZE (bytes, default 256 KiB),
   * WEFT_TRACE=0 (do not load the LTTng provider at all). */
  int weft_main (WeftMainFunc main, int argc, char **argv);

  /* Starts a goroutine running fn(arg); returns its id. The new goroutine
   * inherits nothing from its creator but the current user task. */
  uint64_t weft_go (WeftFunc fn, void *arg);

  /* Same with a name shown by the tracer and the viewer instead of the start
   * function's symbol. @name is copied. */
  uint64_t weft_go_named (const char *name, WeftFunc fn, void *arg);

  /* The calling goroutine's id (1 is main); 0 outside any goroutine. */
  uint64_t weft_goid (void);

  /* Yields the processor, like runtime.Gosched(): the goroutine stays
   * runnable and goes to the global run queue. */
  void weft_yield (void);

  /* Ends the calling goroutine, like runtime.Goexit(). From main, the
   * program waits for the other goroutines and then dies of a deadlock
   * unless one of them exits the process, as in Go. */
  _Noreturn void weft_exit (void);

  /* A point where the runtime may preempt the goroutine or stop it for the
   * garbage collector. Loops that never block should call it now and then. */
  void weft_safepoint (void);

  /* Number of Ps (WEFT_MAXPROCS). */
  int weft_maxprocs (void);

  /* Number of goroutines that currently exist. */
  int64_t weft_num_goroutine (void);

  /* Prints a fatal error and every goroutine's state and stack to stderr,
   * then exits with status 2. Does not return. */
  _Noreturn void weft_panic (const char *fmt, ...) __attribute__ ((format (printf, 1, 2)));

  /* Writes the goroutine dump (as on SIGQUIT) to @fd. */
  void weft_dump_goroutines (int fd);

  /* Around a C call that may block its thread for long (read(2) on a pipe,
   * a DNS lookup…). While inside, the goroutine's P may be handed to another
   * thread so that other goroutines keep running, as Go's sysmon does.
   * Calls must nest properly and not block on weft primitives in between. */
  void weft_syscall_enter (void);
  void weft_syscall_exit (void);

  /* ---------------------------------------------------------------- channels */

  typedef struct _WeftChan WeftChan;

  /* A channel of elements of @elem_size bytes (0 allowed) with a buffer of
   * @cap elements (0: unbuffered). Free with weft_chan_free() once no
   * goroutine can use it any more. */
  WeftChan *weft_chan_new (size_t elem_size, size_t cap);
  void      weft_chan_free (WeftChan *ch);

  /* Blocking send/receive. Sending on a closed channel is fatal. A NULL
   * channel blocks forever, as a nil channel does in Go. A NULL @elem sends
   * the zero value. weft_chan_recv()
   * copies into @elem (may be NULL to discard) and returns false once the
   * channel is closed and drained, after zeroing @elem. */
  void weft_chan_send (WeftChan *ch, const void *elem);
  bool weft_chan_recv (WeftChan *ch, void *elem);

  /* Non-blocking forms: return whether the operation happened. For
   * weft_chan_try_recv(), *@ok (may be NULL) is false when it happened
   * because the channel is closed. */
  bool weft_chan_try_send (WeftChan *ch, const void *elem);
  bool weft_chan_try_recv (WeftChan *ch, void *elem, bool *ok);

  /* Closing a closed or NULL channel is fatal. */
  void   weft_chan_close (WeftChan *ch);
  size_t weft_chan_len (WeftChan *ch);
  size_t weft_chan_cap (WeftChan *ch);

  typedef enum
  {
    WEFT_SELECT_SEND = 1,
    WEFT_SELECT_RECV = 2,
  } WeftSelectDir;

  typedef struct
  {
    WeftChan     *chan; /* NULL: the case is never ready */
    WeftSelectDir dir;
    void         *elem; /* value to send, or where to receive (may be NULL) */
    bool          ok;   /* out, the chosen receive case only: false if received
                           because the channel is closed */
  } WeftSelectCase;

  /* Waits until one of the @n cases can proceed, performs it and returns its
   * index. When several are ready, one is chosen uniformly at random. With
   * @block false, returns -1 at once if none is ready (a "default" case).
   * With no cases (or only NULL channels) and @block, blocks forever. */
  int weft_select (WeftSelectCase *cases, int n, bool block);

  /* ---------------------------------------------------------------- sync */

  /* Zero-initialised values are ready to use; they must not be copied after
   * first use. They never spin forever: contended goroutines park. */
  typedef struct
  {
    int32_t  state;
    uint32_t sema;
  } WeftMutex;

  void weft_mutex_lock (WeftMutex *m);
  bool weft_mutex_trylock (WeftMutex *m);
  void weft_mutex_unlock (WeftMutex *m); /* fatal if not locked */

  typedef struct
  {
    WeftMutex w;
    uint32_t  writer_sem;
    uint32_t  reader_sem;
    int32_t   reader_count;
    int32_t   reader_wait;
  } WeftRWMutex;

  void weft_rwmutex_lock (WeftRWMutex *rw);
  void weft_rwmutex_unlock (WeftRWMutex *rw);
  void weft_rwmutex_rlock (WeftRWMutex *rw);
  void weft_rwmutex_runlock (WeftRWMutex *rw);

  typedef struct
  {
    uint64_t state; /* high 32 bits: counter, low 32: waiters */
    uint32_t sema;
  } WeftWaitGroup;

  void weft_waitgroup_add (WeftWaitGroup *wg, int delta); /* negative counter is fatal */
  void weft_waitgroup_done (WeftWaitGroup *wg);
  void weft_waitgroup_wait (WeftWaitGroup *wg);

  typedef struct
  {
    uint32_t  done;
    WeftMutex m;
  } WeftOnce;

  void weft_once_do (WeftOnce *once, WeftFunc fn, void *arg);

  typedef struct
  {
    uint32_t wait;   /* next ticket to hand out */
    uint32_t notify; /* next ticket to wake */
    void    *head;   /* internal waiter list */
    void    *tail;
  } WeftCond;

  /* @m must be held; it is released while waiting and held again on return. */
  void weft_cond_wait (WeftCond *c, WeftMutex *m);
  void weft_cond_signal (WeftCond *c);
  void weft_cond_broadcast (WeftCond *c);

  /* ---------------------------------------------------------------- time */

  /* Monotonic clock, nanoseconds. */
  int64_t weft_nanotime (void);

  /* Parks the goroutine for at least @ns nanoseconds. */
  void weft_sleep (int64_t ns);

  typedef struct _WeftTimer WeftTimer;

  /* A one-shot timer: after @ns, the current time (int64_t, ns) is sent on
   * the timer's channel (capacity 1). */
  WeftTimer *weft_timer_new (int64_t ns);
  WeftChan  *weft_timer_chan (WeftTimer *t);
  /* Returns true if the call stopped the timer, false if it had fired or
   * been stopped already. */
  bool weft_timer_stop (WeftTimer *t);
  /* Re-arms the timer to fire @ns from now; returns whether it was active. */
  bool weft_timer_reset (WeftTimer *t, int64_t ns);
  void weft_timer_free (WeftTimer *t); /* stops it first */

  /* Runs fn(arg) in its own goroutine after @ns; returns the timer so that it
   * can be stopped (its channel is unused). */
  WeftTimer *weft_after_func (int64_t ns, WeftFunc fn, void *arg);

  /* ---------------------------------------------------------------- network */

  /* Sockets in non-blocking mode registered with the netpoller: these calls
   * park only the goroutine. They return -1 with errno set on failure, like
   * the system calls they wrap. @timeout_ns < 0 waits forever; otherwise
   * the call fails with errno ETIMEDOUT when the deadline passes.
   *
   * A goroutine may resume on another thread after any of them, and errno
   * is per thread: read it right after the failing call, in a function
   * that has not used errno before the call (glibc lets the compiler keep
   * errno's address across calls). */
  int     weft_net_listen_tcp (const char *host, uint16_t port, int backlog);
  int     weft_net_accept (int lfd, int64_t timeout_ns);
  int     weft_net_dial_tcp (const char *host, uint16_t port, int64_t timeout_ns);
  ssize_t weft_net_read (int fd, void *buf, size_t len, int64_t timeout_ns);
  ssize_t weft_net_write_all (int fd, const void *buf, size_t len, int64_t timeout_ns);
  int     weft_net_close (int fd);
  /* The port a listening socket is bound to (for port 0 listeners). */
  int weft_net_local_port (int fd);

  /* ---------------------------------------------------------------- annotations */

  /* User annotations, as in Go's runtime/trace: free when not tracing.
   * Task 0 is "no task". Names and messages are copied into the trace. */
  uint64_t weft_task_begin (uint64_t parent, const char *name);
  void     weft_task_end (uint64_t task);
  void     weft_region_begin (uint64_t task, const char *name);
  void     weft_region_end (uint64_t task, const char *name);
  void     weft_log (uint64_t task, const char *category, const char *message);

  /* ---------------------------------------------------------------- garbage-collected heap
   *
   * weft_alloc returns zeroed memory that lives as long as something
   * points to it: a word anywhere inside it (interior pointers count) held
   * in a goroutine's stack or registers, the program's or a library's
   * data/bss, a registered root, a channel's buffer, a weft_go or
   * weft_after_func argument, or another live object allocated with
   * weft_alloc. Memory from malloc, thread-local variables and the stacks
   * of threads that are not goroutines are not looked at: register such
   * places with weft_gc_add_root. Objects never move. There is no free.
   *
   * The collector stops every goroutine at a safepoint (a blocking call,
   * weft_yield, weft_safepoint, an allocation); a goroutine inside
   * weft_syscall_enter counts as stopped, and must not store heap
   * pointers into heap objects, nor call weft_alloc (a fatal error),
   * until weft_syscall_exit. A goroutine that
   * loops without reaching a safepoint holds every collection up.
   *
   * A collection also starts when none ran for two minutes (Go's
   * periodic GC), unless WEFT_GOGC is off. While it marks, the collector
   * takes about a quarter of the Ps' time (Go's pacer): on 1 to 3 Ps a
   * fractional worker that gives a P back once it had 25 % of it since
   * the mark began, and Ps with nothing else to run.
   *
   * Environment: WEFT_GOGC (percent heap growth between collections,
   * default 100; "off" disables automatic collection), WEFT_MEMLIMIT (a
   * soft limit in bytes, with an optional KiB, MiB, GiB suffix; "off"),
   * WEFT_GCPERIOD_MS (the periodic collection's period in ms, 120000 by
   * default: for tests). */

  /* Zeroed memory for @size bytes that may hold pointers (it is scanned). */
  void *weft_alloc (size_t size);
  /* Zeroed memory the collector never scans: pointers stored in it do not
   * keep anything alive. For bytes, numbers, strings. */
  void *weft_alloc_noscan (size_t size);

  /* Runs a full collection now, from a goroutine; returns when it is done. */
  void weft_gc (void);

  /* [addr, addr + size) is scanned for pointers at every collection until
   * weft_gc_remove_root(addr). For heap pointers kept in malloc'd memory. */
  void weft_gc_add_root (const void *addr, size_t size);
  void weft_gc_remove_root (const void *addr); /* fatal if not registered */

  /* Sets WEFT_GOGC (< 0: off) and returns the previous setting. */
  int weft_set_gc_percent (int percent);
  /* Sets the soft memory limit in bytes (INT64_MAX: none) and returns the
   * previous one; a negative @bytes only returns it. */
  int64_t weft_set_memory_limit (int64_t bytes);

  /* Go's runtime.MemStats, for the fields the heap has. */
  typedef struct
  {
    uint64_t heap_alloc;      /* bytes of allocated objects (size-class rounded) */
    uint64_t heap_objects;    /* allocated objects */
    uint64_t total_alloc;     /* bytes allocated since start-up, freed or not */
    uint64_t mallocs;         /* objects allocated since start-up */
    uint64_t frees;           /* objects freed since start-up */
    uint64_t heap_sys;        /* bytes of heap address space committed */
    uint64_t heap_inuse;      /* bytes in spans holding objects */
    uint64_t heap_idle;       /* bytes in free spans */
    uint64_t heap_released;   /* bytes of free spans given back to the OS (at least) */
    uint64_t next_gc;         /* heap_alloc at which the next cycle starts; 0: never */
    uint32_t num_gc;          /* completed cycles */
    uint32_t num_forced_gc;   /* of which by weft_gc() */
    uint64_t pause_total_ns;  /* stop-the-world time of all cycles */
    uint64_t last_pause_ns;   /* of the last cycle */
    int64_t  last_gc_unix_ns; /* when the last cycle ended (CLOCK_REALTIME) */
    /* Recent pauses: cycle n's is pause_ns[(n - 1) % 256]. */
    uint64_t pause_ns[256];
    /* CPU time the collector took since the heap was first used: pauses
     * (times every P), mark worker, assists, idle marking and background
     * sweeping; and its share of the time the Ps had (Go's GCCPUFraction). */
    uint64_t gc_cpu_ns;
    double   gc_cpu_fraction;
    /* Parts of gc_cpu_ns (Go's /cpu/classes/gc/mark/… metrics): the mark
     * worker's time as a dedicated, fractional (25 % of a P, when
     * WEFT_MAXPROCS is 1, 2, 3 or 6) or idle worker (on Ps with nothing
     * else to run, idle-P marking included), and mark assists. */
    uint64_t gc_mark_dedicated_ns;
    uint64_t gc_mark_fractional_ns;
    uint64_t gc_mark_idle_ns;
    uint64_t gc_mark_assist_ns;
    /* Wall time of the concurrent marks (between each cycle's two pauses),
     * and the last one's bounds on weft_nanotime()'s clock (0 if none:
     * under WEFT_GCSTW=1 the mark runs inside the pause). */
    uint64_t gc_mark_ns;
    int64_t  last_mark_begin_ns;
    int64_t  last_mark_end_ns;
  } WeftMemStats;

  /* Fills @ms; stops the world for a moment (as Go's ReadMemStats does).
   * From a goroutine. */
  void weft_read_mem_stats (WeftMemStats *ms);

  /* Goroutine leaks, as Go 1.26's goroutineleak profile finds them: at
   * every cycle, a goroutine blocked on a channel, select, mutex,
   * RWMutex, WaitGroup, Cond or Once that nothing outside other such
   * goroutines refers to can never be woken; the trace gets a go_leaked
   * event for it. The proof sees what the collector sees: a channel whose
   * only reference is in malloc'd memory that is not a registered root
   * looks unreachable. WEFT_LEAKCHECK=0 turns the proof off.
   *
   * Fills @goids with up to @max ids of the goroutines found leaked by
   * the last cycle and returns how many there were. */
  size_t weft_leaked_goroutines (uint64_t *goids, size_t max);

#ifdef __cplusplus
}
#endif
