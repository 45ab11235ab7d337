/* mheap.h — the garbage-collected heap's internal contracts (Go's
 * mheap.go, mcentral.go, mcache.go, mgc.go in one header).
 *
 *   mheap.c    the arena (one reservation, committed as it grows), the
 *              page table and the page heap of free spans
 *   malloc.c   size classes, per-P caches, central lists, weft_alloc
 *   mgc.c      the collector: stop the world, roots, mark, sweep, pacing,
 *              MemStats, GC events
 *
 * Memory is carved in 8 KiB pages. A span is a run of pages holding
 * either objects of one size class or one large object; every page of an
 * in-use span maps to it in the page table, so "is this word a pointer
 * into the heap, and to which object" is a subtraction, a load and a
 * division. Free spans map only their first and last page (enough to
 * coalesce neighbours).
 */
#pragma once

#include "runtime.h"

#include <stddef.h>

#define WEFT_PAGE_SHIFT 13
#define WEFT_PAGE_SIZE ((uintptr_t) 1 << WEFT_PAGE_SHIFT)
/* Objects above this get a span of their own. */
#define WEFT_MAX_SMALL 32768
/* The most objects a small span holds (16-byte class, one page). */
#define WEFT_SPAN_MAX_OBJECTS 512
#define WEFT_SPAN_BITMAP_WORDS (WEFT_SPAN_MAX_OBJECTS / 64)
/* Size classes, at most; mheap.h users index arrays with spanclass =
 * class << 1 | noscan. */
#define WEFT_MAX_CLASSES 80

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/asan_interface.h>
#define WEFT_POISON(p, n) ASAN_POISON_MEMORY_REGION ((void *) (p), (n))
#define WEFT_UNPOISON(p, n) ASAN_UNPOISON_MEMORY_REGION ((void *) (p), (n))
#else
#define WEFT_POISON(p, n) ((void) (p), (void) (n))
#define WEFT_UNPOISON(p, n) ((void) (p), (void) (n))
#endif

/* Code that reads memory it does not own in the sanitizers' sense: words
 * of stacks and heap objects read conservatively, possibly poisoned or
 * written concurrently by a goroutine in a syscall. */
#define WEFT_NO_SANITIZE __attribute__ ((no_sanitize ("address", "thread")))

typedef enum
{
  SPAN_FREE = 0,  /* in the page heap */
  SPAN_INUSE = 1, /* small objects or one large object */
} WeftSpanState;

typedef enum
{
  SPAN_LIST_NONE = 0,
  SPAN_LIST_PARTIAL = 1, /* central: has free slots */
  SPAN_LIST_FULL = 2,    /* central: no free slot */
  SPAN_LIST_CACHED = 3,  /* owned by a P's cache */
} WeftSpanList;

typedef struct WeftSpan Span;
struct WeftSpan
{
  uintptr_t base;
  uintptr_t npages;
  Span     *next; /* page heap free list or central list; its lock */
  Span     *prev;
  uintptr_t elemsize;  /* object size; the span's size for a large object */
  uint32_t  nelems;    /* 1 for a large object */
  uint32_t  nalloc;    /* allocated objects */
  uint32_t  freeindex; /* no free slot below it */
  uint16_t  spanclass; /* class << 1 | noscan; 0/1 for large */
  uint8_t   state;     /* WeftSpanState */
  uint8_t   list;      /* WeftSpanList */
  bool      noscan;
  bool      large;
  bool      needzero;  /* memory may hold old data (else it is fresh from the kernel) */
  bool      scavenged; /* free span whose pages went back to the kernel */
  uint64_t  allocbits[WEFT_SPAN_BITMAP_WORDS];
  uint64_t  markbits[WEFT_SPAN_BITMAP_WORDS];
};

/* ------------------------------------------------------------------ mheap.c */
/* The reservation is split in two arenas: spans of objects that may hold
 * pointers, and noscan spans. While marking runs concurrently the scan
 * arena is write-protected to find the objects the program changes
 * (mgc.c); noscan memory (byte buffers, often handed to read(2), which
 * would fail with EFAULT on a protected page) stays writable. */
typedef enum
{
  ARENA_SCAN = 0,
  ARENA_NOSCAN = 1,
  ARENA_COUNT = 2,
} WeftArenaKind;

typedef struct
{
  uintptr_t start;
  uintptr_t end;
  uintptr_t used; /* committed up to here; readable without the lock during STW */
} WeftArena;

typedef struct
{
  WeftLock  lock;
  uintptr_t reserve_start; /* both arenas */
  uintptr_t reserve_end;
  WeftArena arena[ARENA_COUNT];
  Span    **spans; /* page table: one entry per page of the reservation */
  uint64_t  pages_inuse;
  uint64_t  pages_released; /* free pages returned to the kernel */
  /* Set by the collector (under lock) while the scan arena is
   * write-protected: grow() then commits new scan memory read-only too. */
  bool protect_scan;
} WeftHeap;

extern WEFT_HIDDEN WeftHeap weft_heap;

WEFT_HIDDEN void weft_heap_init (void);
/* An in-use span of @npages for @spanclass (class << 1 | noscan; class 0:
 * one large object) holding objects of @elemsize, with no object
 * allocated yet, in the scan or noscan arena (heap lock taken inside). Its
 * memory is zero unless span->needzero. Never NULL: out of memory is
 * fatal. */
WEFT_HIDDEN Span *weft_heap_alloc_span (uintptr_t npages, uint16_t spanclass, uintptr_t elemsize);
/* Returns @s's pages to the page heap, coalescing with free neighbours. */
WEFT_HIDDEN void weft_heap_free_span (Span *s);
/* Bytes of both arenas committed so far (in use, free or released). */
WEFT_HIDDEN uint64_t weft_heap_committed (void);
/* Gives free pages back to the kernel until at most @retain bytes of
 * committed memory are kept (in use or free). Returns bytes released. */
WEFT_HIDDEN uint64_t weft_heap_scavenge (uint64_t retain);

/* The span containing @addr if it is an in-use span, else NULL. */
static inline Span *
weft_spanof (uintptr_t addr)
{
  uintptr_t off = addr - weft_heap.reserve_start;
  Span     *s;

  /* Page-table entries of uncommitted pages are NULL. */
  if (off >= weft_heap.reserve_end - weft_heap.reserve_start)
    return NULL;
  s = __atomic_load_n (&weft_heap.spans[off >> WEFT_PAGE_SHIFT], __ATOMIC_ACQUIRE);
  return s != NULL && __atomic_load_n (&s->state, __ATOMIC_ACQUIRE) == SPAN_INUSE ? s : NULL;
}

/* ------------------------------------------------------------------ malloc.c */
/* Sets up the size classes, the arena and the pacer (WEFT_GOGC…), once. */
WEFT_HIDDEN void weft_malloc_init (void);
/* Called by the collector with the world stopped: blocks allocation by
 * threads without a P (they wait for weft_malloc_start) and returns every
 * cache's spans to the central lists, so that the sweeper owns them all. */
WEFT_HIDDEN void weft_malloc_stop (void);
WEFT_HIDDEN void weft_malloc_start (void);
/* Sweeping (Go's mgcsweep.go): after a mark, every span is unswept
 * until the background sweeper or an allocator that needs a span sweeps
 * it; the next cycle starts only once all are swept. */
typedef struct
{
  uint64_t swept;     /* spans */
  uint64_t reclaimed; /* bytes freed */
} WeftSweepStats;
/* World stopped, caches flushed: every span becomes unswept. */
WEFT_HIDDEN void weft_sweep_start (void);
/* Sweeps one unswept span; false when none is left to take. */
WEFT_HIDDEN bool weft_sweep_next (WeftSweepStats *st);
/* No span is being swept (with weft_sweep_next false: all are swept). */
WEFT_HIDDEN bool weft_sweep_done (void);
/* Objects and bytes allocated since start-up by every P and by threads
 * without one (world stopped). */
WEFT_HIDDEN void weft_mallocs_total (uint64_t *objects, uint64_t *bytes);

/* ------------------------------------------------------------------ mgc.c
 * Bytes in allocated objects that the last cycle has not proven free:
 * Go's heapLive, counted at span granularity (a span's free slots count
 * when a cache takes it, and are given back when it returns it). */
extern WEFT_HIDDEN _Atomic int64_t weft_heap_live;
/* Allocation crossed the pacer's trigger; called by malloc.c from a
 * goroutine that holds a P, at a point where it may be stopped. */
WEFT_HIDDEN void weft_gc_maybe_start (void);
WEFT_HIDDEN bool weft_gc_should_start (void);
/* Set while a concurrent mark takes assists: allocating goroutines then
 * call weft_gc_assist with the bytes they allocate (at a safepoint). */
extern WEFT_HIDDEN bool weft_gc_assisting;
WEFT_HIDDEN void        weft_gc_assist (size_t bytes);
/* From the scheduler, for a P that found nothing to run: marks while the
 * mark has grey objects and weft_p_has_work(pp) says nothing waits; false
 * if it did not mark. */
WEFT_HIDDEN bool weft_gc_idle_mark (P *pp);
/* The GC mark worker, runnable but held out of the run queues while it
 * waits for a P the pacer gives it (Go's gcBgMarkWorkerPool); NULL if it
 * is not held. Set by weft_gc_worker_hold (proc.c), taken by
 * weft_gc_find_worker. */
extern WEFT_HIDDEN _Atomic (G *) weft_gc_worker_held;
/* From the mark worker: stops it (a yield in the trace) and holds it. */
WEFT_HIDDEN void weft_gc_worker_hold (void);
/* From the scheduler, on @pp, with weft_gc_worker_held set: the held
 * worker if @pp should run it now, as a fractional worker while the P is
 * under its share of the mark (Go's findRunnableGCWorker), or with @idle
 * (the P found nothing else to run) as an idle worker; NULL otherwise. */
WEFT_HIDDEN G *weft_gc_find_worker (P *pp, bool idle);
/* A goroutine waits to run on @pp (its queue, the global one, an expired
 * timer): an idle-mode mark worker gives the P back. */
WEFT_HIDDEN bool weft_p_has_work (P *pp);
/* From sysmon: starts a cycle (trigger "periodic") when none ran for two
 * minutes (WEFT_GCPERIOD_MS) and WEFT_GOGC is not off (Go's forcegc). */
WEFT_HIDDEN void weft_gc_sysmon (int64_t now);
/* heap_live moved: writes a heap_alloc event if it moved by more than
 * 1/64 of the goal since the last one. */
WEFT_HIDDEN void weft_gc_note_heap_change (void);
/* Reads WEFT_GOGC and WEFT_MEMLIMIT (once, with the heap). */
WEFT_HIDDEN void weft_gc_init (void);

/* Frees @s's unmarked objects (its mark bits become its alloc bits and
 * are cleared); returns the bytes freed. The caller owns the span. */
WEFT_HIDDEN uint64_t weft_sweep_span (Span *s);

/* Clears the deepest frames an exited goroutine used: the next goroutine
 * on its stack would otherwise carry its stale pointers in uninitialised
 * slots, keeping garbage alive and blocked goroutines "reachable". */
WEFT_HIDDEN void weft_gc_clear_dead_stack (G *gp);

/* ------------------------------------------------------------------ stop the world (proc.c)
 * Stops every P but the caller's at a safepoint (scheduling point,
 * weft_safepoint(), allocation); Ps in syscalls count as stopped and
 * their goroutines' registers were saved at weft_syscall_enter. Must be
 * called from a goroutine holding a P, serialised by the caller. */
WEFT_HIDDEN void weft_stop_the_world (void);
WEFT_HIDDEN void weft_start_the_world (void);

/* asm_*.S: pushes the callee-saved registers, calls fn(arg, sp) with sp
 * pointing at them (so [sp, stack_hi) holds every pointer the caller's
 * frames may keep), and returns. */
WEFT_HIDDEN void weft_spill_call (void (*fn) (void *arg, void *sp), void *arg);
