/* malloc.c — weft_alloc: size classes, per-P caches and central lists
 * (Go's malloc.go, mcache.go, mcentral.go, sizeclasses.go).
 *
 * Small objects (up to 32 KiB) are rounded up to one of ~55 size classes
 * (16-byte steps to 128, then steps of an eighth, so at most 12.5 % is
 * lost to rounding); each class has two span classes, scan and noscan, so
 * the marker never looks inside an object allocated noscan. A P allocates
 * from the span its cache holds for the span class, without a lock: only
 * the P's owner touches its cache, and a goroutine cannot lose its P
 * between two safepoints. When the span is full the cache gives it to the
 * central list (locked, per span class) and takes a span with free slots,
 * or a new one from the page heap. Large objects get a span of their own
 * straight from the page heap.
 *
 * Threads without a P (foreign threads, goroutines inside
 * weft_syscall_enter) allocate from one shared cache under nop_lock, which
 * the collector holds while it runs.
 *
 * Memory comes back zeroed: a span fresh from the kernel is, and a span
 * that has held objects (needzero) has each object cleared as it is
 * allocated. Under AddressSanitizer free slots are poisoned (see
 * mgcsweep in mgc.c and the page heap) and an object is unpoisoned for
 * exactly the size asked for, so overflows past it and uses after it was
 * collected are reported.
 *
 * Invariants: a span is in at most one cache or one central list; a
 * cached span's allocbits and nalloc are written only by the cache's
 * owner; spans in central lists are swept.
 */
#include "mheap.h"
#include "trace.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NUM_SPANCLASS (2 * WEFT_MAX_CLASSES)

struct WeftMCache
{
  Span    *alloc[NUM_SPANCLASS];
  uint64_t nmalloc;     /* objects allocated, small and large */
  uint64_t total_bytes; /* bytes allocated (size-class rounded) */
};

/* A span class's spans that no cache holds. After a mark the lists the
 * spans were on become the unswept lists, whole: spans leave them only
 * by their head, each taken by exactly one sweeper (the background
 * sweeper or an allocator needing a span), so their stale list fields
 * never matter. Large spans have a Central of their own. */
typedef struct
{
  WeftLock lock;
  Span    *partial; /* swept, with free slots */
  Span    *full;    /* swept, no free slot (large: every swept span) */
  Span    *unswept[2];
} Central;

static pthread_once_t   init_once = PTHREAD_ONCE_INIT;
static int32_t          nclasses; /* classes 1..nclasses-1; class 0 is "large" */
static uint32_t         class_size[WEFT_MAX_CLASSES];
static uint32_t         class_npages[WEFT_MAX_CLASSES];
static uint8_t          size_to_class8[1024 / 16 + 1];                       /* by (size + 15) / 16, sizes <= 1024 */
static uint8_t          size_to_class128[(WEFT_MAX_SMALL - 1024) / 128 + 1]; /* by (size - 1024 + 127) / 128 */
static Central          central[NUM_SPANCLASS];
static Central          large_central;
static _Atomic int32_t  sweeps_active; /* spans taken off an unswept list, not swept yet */
static _Atomic uint32_t sweep_cursor;  /* the Central the background sweeper is at: 1 large, 2… classes */

static WeftLock          nop_lock;
static struct WeftMCache nop_cache;

/* ------------------------------------------------------------------ size classes */

static void
init_classes (void)
{
  uint32_t size = 16;

  nclasses = 1;
  while (size <= WEFT_MAX_SMALL)
    {
      uint32_t step, npages;

      if (nclasses == WEFT_MAX_CLASSES)
        weft_throw ("runtime: too many size classes");
      /* The fewest pages that waste at most an eighth of the span. */
      for (npages = (size * 8 + WEFT_PAGE_SIZE - 1) / WEFT_PAGE_SIZE;; npages++)
        if ((npages * WEFT_PAGE_SIZE) % size <= npages * WEFT_PAGE_SIZE / 8)
          break;
      if (npages == 0)
        npages = 1;
      class_size[nclasses] = size;
      class_npages[nclasses] = npages;
      nclasses++;
      step = size < 128 ? 16 : ((size / 8 + 15) & ~15u);
      if (size < WEFT_MAX_SMALL && size + step > WEFT_MAX_SMALL)
        size = WEFT_MAX_SMALL;
      else
        size += step;
    }
  for (int32_t c = 1, s = 0; s <= 1024; s += 16)
    {
      while (class_size[c] < (uint32_t) s)
        c++;
      size_to_class8[s / 16] = (uint8_t) c;
    }
  for (int32_t c = 1, s = 1024; s <= WEFT_MAX_SMALL; s += 128)
    {
      while (class_size[c] < (uint32_t) s)
        c++;
      size_to_class128[(s - 1024) / 128] = (uint8_t) c;
    }
}

static void
malloc_init (void)
{
  init_classes ();
  weft_heap_init ();
  weft_gc_init ();
}

void
weft_malloc_init (void)
{
  pthread_once (&init_once, malloc_init);
}

static inline int32_t
size_class (size_t size)
{
  if (size <= 1024)
    return size_to_class8[(size + 15) / 16];
  return size_to_class128[(size - 1024 + 127) / 128];
}

/* ------------------------------------------------------------------ span lists (their central's lock) */

static void
list_push (Span **head, Span *s)
{
  s->prev = NULL;
  s->next = *head;
  if (*head != NULL)
    (*head)->prev = s;
  *head = s;
}

static void
list_remove (Span **head, Span *s)
{
  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    *head = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->next = s->prev = NULL;
}

/* Puts @s on its central's partial or full list (lock held). */
static void
central_put (Central *c, Span *s)
{
  if (s->nalloc < s->nelems)
    {
      s->list = SPAN_LIST_PARTIAL;
      list_push (&c->partial, s);
    }
  else
    {
      s->list = SPAN_LIST_FULL;
      list_push (&c->full, s);
    }
}

/* The head of an unswept list, for the caller to sweep (lock held). */
static Span *
unswept_pop (Central *c)
{
  for (int i = 0; i < 2; i++)
    {
      Span *s = c->unswept[i];
      if (s == NULL)
        continue;
      c->unswept[i] = s->next;
      if (s->next != NULL)
        s->next->prev = NULL;
      s->next = s->prev = NULL;
      s->list = SPAN_LIST_NONE;
      atomic_fetch_add (&sweeps_active, 1);
      return s;
    }
  return NULL;
}

/* Sweeps @s, taken off @c's unswept lists, and puts it back where it
 * belongs; an empty span goes back to the page heap unless @keep. */
static void
sweep_taken (Central *c, Span *s, bool keep, WeftSweepStats *st)
{
  st->reclaimed += weft_sweep_span (s);
  st->swept++;
  if (keep)
    ;
  else if (s->nalloc == 0)
    weft_heap_free_span (s);
  else
    {
      weft_lock (&c->lock);
      if (s->large)
        {
          s->list = SPAN_LIST_FULL;
          list_push (&c->full, s);
        }
      else
        central_put (c, s);
      weft_unlock (&c->lock);
    }
  atomic_fetch_sub (&sweeps_active, 1);
}

void
weft_sweep_start (void)
{
  for (int32_t sc = 2; sc < 2 * nclasses; sc++)
    {
      Central *c = &central[sc];
      c->unswept[0] = c->partial;
      c->unswept[1] = c->full;
      c->partial = c->full = NULL;
    }
  large_central.unswept[0] = large_central.full;
  large_central.full = NULL;
  atomic_store (&sweep_cursor, 1);
}

bool
weft_sweep_next (WeftSweepStats *st)
{
  /* Central by central; sweepers share the cursor. */
  for (uint32_t i = atomic_load (&sweep_cursor); i < (uint32_t) (2 * nclasses); i = atomic_load (&sweep_cursor))
    {
      Central *c = i < 2 ? &large_central : &central[i];
      Span    *s;

      weft_lock (&c->lock);
      s = unswept_pop (c);
      weft_unlock (&c->lock);
      if (s != NULL)
        {
          sweep_taken (c, s, false, st);
          return true;
        }
      atomic_compare_exchange_strong (&sweep_cursor, &i, i + 1);
    }
  return false;
}

bool
weft_sweep_done (void)
{
  return atomic_load (&sweeps_active) == 0;
}

/* ------------------------------------------------------------------ caches */

/* The span a cache gives back: its free slots no longer count as live. */
static void
uncache (struct WeftMCache *mc, int32_t sc)
{
  Span    *s = mc->alloc[sc];
  Central *c = &central[sc];

  if (s == NULL)
    return;
  mc->alloc[sc] = NULL;
  atomic_fetch_sub (&weft_heap_live, (int64_t) ((s->nelems - s->nalloc) * s->elemsize));
  weft_lock (&c->lock);
  central_put (c, s);
  weft_unlock (&c->lock);
}

static Span *
new_small_span (int32_t sc)
{
  int32_t cls = sc >> 1;

  return weft_heap_alloc_span (class_npages[cls], (uint16_t) sc, class_size[cls]);
}

/* Replaces the cache's full span for @sc with one that has a free slot. */
static Span *
refill (struct WeftMCache *mc, int32_t sc)
{
  Central *c = &central[sc];
  Span    *s;

  uncache (mc, sc);
  weft_lock (&c->lock);
  s = c->partial;
  if (s != NULL)
    list_remove (&c->partial, s);
  /* Sweeping lazily: a span not swept since the last mark may have free
   * slots again. */
  while (s == NULL && (s = unswept_pop (c)) != NULL)
    {
      WeftSweepStats st = { 0 };
      M             *mp = weft_getm ();
      P             *pp = mp != NULL ? mp->p : NULL;

      weft_unlock (&c->lock);
      if (pp != NULL)
        weft_trace_gc_sweep_begin (pp);
      sweep_taken (c, s, true, &st);
      if (pp != NULL)
        weft_trace_gc_sweep_end (pp, st.swept, st.reclaimed);
      weft_lock (&c->lock);
      if (s->nalloc == s->nelems)
        {
          central_put (c, s);
          s = NULL;
        }
    }
  weft_unlock (&c->lock);
  if (s == NULL)
    s = new_small_span (sc);
  s->list = SPAN_LIST_CACHED;
  atomic_fetch_add (&weft_heap_live, (int64_t) ((s->nelems - s->nalloc) * s->elemsize));
  mc->alloc[sc] = s;
  weft_gc_note_heap_change ();
  return s;
}

/* The index of a free slot at or above freeindex; the span has one. */
static inline uint32_t
next_free (Span *s)
{
  for (uint32_t w = s->freeindex >> 6; w < WEFT_SPAN_BITMAP_WORDS; w++)
    {
      uint64_t free = ~s->allocbits[w];
      if (w == s->freeindex >> 6)
        free &= ~(uint64_t) 0 << (s->freeindex & 63);
      if (free != 0)
        return w * 64 + (uint32_t) __builtin_ctzll (free);
    }
  weft_throw ("runtime: span %p of class %u has no free slot (nalloc %u of %u)", (void *) s->base, s->spanclass >> 1,
              s->nalloc, s->nelems);
}

static void *
small_alloc (struct WeftMCache *mc, size_t size, bool noscan)
{
  int32_t  sc = size_class (size) << 1 | noscan;
  Span    *s = mc->alloc[sc];
  uint32_t idx;
  void    *p;

  if (unlikely (s == NULL || s->nalloc == s->nelems))
    s = refill (mc, sc);
  idx = next_free (s);
  /* A concurrent marker reads the bits (mgc.c). */
  __atomic_store_n (&s->allocbits[idx >> 6], s->allocbits[idx >> 6] | (uint64_t) 1 << (idx & 63), __ATOMIC_RELAXED);
  s->nalloc++;
  s->freeindex = idx + 1;
  p = (void *) (s->base + idx * s->elemsize);
  WEFT_UNPOISON (p, s->elemsize);
  if (s->needzero)
    memset (p, 0, s->elemsize);
  WEFT_POISON ((char *) p + size, s->elemsize - size);
  mc->nmalloc++;
  mc->total_bytes += s->elemsize;
  return p;
}

static void *
large_alloc (struct WeftMCache *mc, size_t size, bool noscan)
{
  uintptr_t npages = (size + WEFT_PAGE_SIZE - 1) >> WEFT_PAGE_SHIFT;
  Span     *s = weft_heap_alloc_span (npages, noscan, 0);

  s->nalloc = 1;
  s->freeindex = 1;
  __atomic_store_n (&s->allocbits[0], 1, __ATOMIC_RELAXED);
  weft_lock (&large_central.lock);
  s->list = SPAN_LIST_FULL;
  list_push (&large_central.full, s);
  weft_unlock (&large_central.lock);
  WEFT_UNPOISON (s->base, size);
  if (s->needzero)
    memset ((void *) s->base, 0, size);
  atomic_fetch_add (&weft_heap_live, (int64_t) s->elemsize);
  weft_gc_note_heap_change ();
  mc->nmalloc++;
  mc->total_bytes += s->elemsize;
  return (void *) s->base;
}

static struct WeftMCache *
p_cache (P *pp)
{
  if (unlikely (pp->mcache == NULL))
    {
      pp->mcache = calloc (1, sizeof *pp->mcache);
      if (pp->mcache == NULL)
        weft_throw ("runtime: out of memory allocating a P's cache");
    }
  return pp->mcache;
}

static void *
mallocgc (size_t size, bool noscan)
{
  M    *mp;
  P    *pp;
  void *p;

  if (unlikely (size > ((size_t) 1 << 40)))
    weft_throw ("runtime: out of memory: weft_alloc of %zu bytes", size);
  if (size == 0)
    size = 1;
  weft_malloc_init ();

  /* Allocation is a safepoint, and where the pacer starts a cycle. */
  mp = weft_getm ();
  if (mp != NULL && mp->p != NULL && mp->curg != NULL)
    {
      if (unlikely (weft_gc_should_start ()))
        weft_gc_maybe_start ();
      if (unlikely (__atomic_load_n (&weft_gc_assisting, __ATOMIC_RELAXED)))
        weft_gc_assist (size);
      weft_safepoint ();
      mp = weft_getm ();
    }
  pp = mp != NULL ? mp->p : NULL;
  if (likely (pp != NULL))
    {
      struct WeftMCache *mc = p_cache (pp);
      return size <= WEFT_MAX_SMALL ? small_alloc (mc, size, noscan) : large_alloc (mc, size, noscan);
    }
  /* Its registers were saved when it entered: the new object would be
   * invisible to a cycle while it stays in the syscall. */
  if (mp != NULL && mp->curg != NULL && mp->curg->syscall_depth > 0)
    weft_panic ("weft_alloc called between weft_syscall_enter and weft_syscall_exit");
  weft_lock (&nop_lock);
  p = size <= WEFT_MAX_SMALL ? small_alloc (&nop_cache, size, noscan) : large_alloc (&nop_cache, size, noscan);
  weft_unlock (&nop_lock);
  return p;
}

void *
weft_alloc (size_t size)
{
  return mallocgc (size, false);
}

void *
weft_alloc_noscan (size_t size)
{
  return mallocgc (size, true);
}

/* ------------------------------------------------------------------ the collector's side */

static void
flush_cache (struct WeftMCache *mc)
{
  for (int32_t sc = 2; sc < 2 * nclasses; sc++)
    uncache (mc, sc);
}

void
weft_malloc_stop (void)
{
  weft_malloc_init ();
  weft_lock (&nop_lock);
  flush_cache (&nop_cache);
  for (int32_t i = 0; i < weft_nprocs; i++)
    if (weft_allp[i]->mcache != NULL)
      flush_cache (weft_allp[i]->mcache);
}

void
weft_malloc_start (void)
{
  weft_unlock (&nop_lock);
}

void
weft_mallocs_total (uint64_t *objects, uint64_t *bytes)
{
  *objects = nop_cache.nmalloc;
  *bytes = nop_cache.total_bytes;
  for (int32_t i = 0; i < weft_nprocs; i++)
    if (weft_allp[i]->mcache != NULL)
      {
        *objects += weft_allp[i]->mcache->nmalloc;
        *bytes += weft_allp[i]->mcache->total_bytes;
      }
}
