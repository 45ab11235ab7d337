/* mheap.c — the arenas, the page table and the page heap (Go's mheap.go).
 *
 * At start-up the heap reserves one large range of address space
 * (PROT_NONE, MAP_NORESERVE: 64 GiB, or less where the address space is
 * smaller, e.g. under qemu), splits it in two arenas, one for spans that
 * are scanned and one for noscan spans (the collector write-protects the
 * first while it marks), and commits each in 64 MiB steps as it grows:
 * every heap address is then in the reservation, which is what makes a
 * conservative pointer test one compare. The page table (spans[]) is
 * itself a lazily touched reservation, 8 bytes per 8 KiB page.
 *
 * Free spans live in per-arena free lists by size (exact lists below 128
 * pages, one best-fit list above), map their first and last pages in the
 * page table and are coalesced with free neighbours of the same arena
 * when freed. weft_heap_scavenge gives free pages back to the kernel
 * (MADV_DONTNEED) after a cycle, down to what the pacer expects the heap
 * to need.
 *
 * Invariants (heap lock): the spans of an arena tile [start, used)
 * exactly; no two free spans are adjacent; a span is on exactly one list
 * matching its state. Span structs are recycled, never freed.
 */
#define _GNU_SOURCE
#include "mheap.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/lsan_interface.h>
#endif

#define ARENA_RESERVE_MAX ((uintptr_t) 64 << 30)
#define ARENA_RESERVE_MIN ((uintptr_t) 1 << 30)
#define ARENA_COMMIT_STEP ((uintptr_t) 64 << 20)
#define FREE_EXACT 128 /* free[n] holds spans of exactly n pages, n < FREE_EXACT */

WeftHeap weft_heap;

typedef struct
{
  Span *exact[FREE_EXACT];
  Span *large; /* >= FREE_EXACT pages, unsorted: best fit by scan */
} FreeLists;

static FreeLists free_lists[ARENA_COUNT];
static Span     *span_pool; /* recycled Span structs, linked by next */

static Span *
span_new (void)
{
  Span *s = span_pool;

  if (s != NULL)
    span_pool = s->next;
  else if ((s = malloc (sizeof *s)) == NULL)
    weft_throw ("runtime: out of memory allocating a span");
  memset (s, 0, sizeof *s);
  return s;
}

static void
span_dispose (Span *s)
{
  s->next = span_pool;
  span_pool = s;
}

static WeftArenaKind
arena_of (const Span *s)
{
  return s->base >= weft_heap.arena[ARENA_NOSCAN].start ? ARENA_NOSCAN : ARENA_SCAN;
}

static uintptr_t
page_index (uintptr_t addr)
{
  return (addr - weft_heap.reserve_start) >> WEFT_PAGE_SHIFT;
}

static Span **
free_list_for (const Span *s)
{
  FreeLists *fl = &free_lists[arena_of (s)];
  return s->npages < FREE_EXACT ? &fl->exact[s->npages] : &fl->large;
}

static void
free_insert (Span *s)
{
  Span    **head = free_list_for (s);
  uintptr_t first = page_index (s->base);

  s->state = SPAN_FREE;
  s->prev = NULL;
  s->next = *head;
  if (*head != NULL)
    (*head)->prev = s;
  *head = s;
  weft_heap.spans[first] = s;
  weft_heap.spans[first + s->npages - 1] = s;
}

static void
free_remove (Span *s)
{
  Span    **head = free_list_for (s);
  uintptr_t first = page_index (s->base);

  if (s->prev != NULL)
    s->prev->next = s->next;
  else
    *head = s->next;
  if (s->next != NULL)
    s->next->prev = s->prev;
  s->next = s->prev = NULL;
  weft_heap.spans[first] = NULL;
  weft_heap.spans[first + s->npages - 1] = NULL;
}

/* @s absorbs its free neighbour @o. A merged span is scavenged only if
 * both were: pages_released then stays a lower bound of what the kernel
 * took back. */
static void
merge_flags (Span *s, Span *o)
{
  if (o->scavenged && !s->scavenged)
    weft_heap.pages_released -= o->npages;
  else if (s->scavenged && !o->scavenged)
    weft_heap.pages_released -= s->npages;
  s->scavenged = s->scavenged && o->scavenged;
  s->needzero |= o->needzero;
}

/* Frees @s into the free lists, merging it with free neighbours. */
static void
free_coalesce (Span *s)
{
  WeftArena *arena = &weft_heap.arena[arena_of (s)];
  uintptr_t  first = page_index (s->base);
  uintptr_t  end = first + s->npages;

  if (first > page_index (arena->start))
    {
      Span *b = weft_heap.spans[first - 1];
      if (b != NULL && b->state == SPAN_FREE)
        {
          free_remove (b);
          merge_flags (s, b);
          s->base = b->base;
          s->npages += b->npages;
          span_dispose (b);
        }
    }
  if (end < page_index (arena->used))
    {
      Span *a = weft_heap.spans[end];
      if (a != NULL && a->state == SPAN_FREE)
        {
          free_remove (a);
          merge_flags (s, a);
          s->npages += a->npages;
          span_dispose (a);
        }
    }
  free_insert (s);
}

/* Commits at least @npages more pages at the end of arena @k. */
static void
grow (WeftArenaKind k, uintptr_t npages)
{
  WeftArena *a = &weft_heap.arena[k];
  uintptr_t  want = npages << WEFT_PAGE_SHIFT;
  uintptr_t  len = (want + ARENA_COMMIT_STEP - 1) & ~(ARENA_COMMIT_STEP - 1);
  int        prot = PROT_READ | PROT_WRITE;
  Span      *s;

  if (len > a->end - a->used)
    len = a->end - a->used;
  if (len < want)
    weft_throw ("runtime: out of memory: the heap's %zu MiB %s arena is exhausted", (size_t) ((a->end - a->start) >> 20),
                k == ARENA_SCAN ? "scan" : "noscan");
  /* Writes to new scan memory during a concurrent mark must fault like
   * writes to the old (mgc.c, weft_gc_write_fault). */
  if (k == ARENA_SCAN && weft_heap.protect_scan)
    prot = PROT_READ;
  if (mprotect ((void *) a->used, len, prot) != 0)
    weft_throw ("runtime: out of memory: cannot commit %zu MiB of heap", (size_t) (len >> 20));
  /* Marking chases pointers across the whole heap: with 2 MiB pages it
   * misses the TLB far less (the kernel may refuse; that is fine). */
  madvise ((void *) a->used, len, MADV_HUGEPAGE);
  s = span_new ();
  s->base = a->used;
  s->npages = len >> WEFT_PAGE_SHIFT;
  a->used += len;
  WEFT_POISON (s->base, len);
  free_coalesce (s);
}

void
weft_heap_init (void)
{
  uintptr_t size, half;
  void     *mem = MAP_FAILED;

  for (size = ARENA_RESERVE_MAX; size >= ARENA_RESERVE_MIN; size /= 2)
    {
      mem = mmap (NULL, size, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
      if (mem != MAP_FAILED)
        break;
    }
  if (mem == MAP_FAILED)
    weft_throw ("runtime: cannot reserve address space for the heap");
  weft_heap.spans = mmap (NULL, (size >> WEFT_PAGE_SHIFT) * sizeof (Span *), PROT_READ | PROT_WRITE,
                          MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (weft_heap.spans == MAP_FAILED)
    weft_throw ("runtime: cannot reserve the heap's page table");
  /* Page-align the arenas on WEFT_PAGE_SIZE (mmap gives the system page). */
  weft_heap.reserve_start = ((uintptr_t) mem + WEFT_PAGE_SIZE - 1) & ~(WEFT_PAGE_SIZE - 1);
  weft_heap.reserve_end = ((uintptr_t) mem + size) & ~(WEFT_PAGE_SIZE - 1);
  half = ((weft_heap.reserve_end - weft_heap.reserve_start) / 2) & ~(WEFT_PAGE_SIZE - 1);
  weft_heap.arena[ARENA_SCAN] = (WeftArena){ weft_heap.reserve_start, weft_heap.reserve_start + half,
                                             weft_heap.reserve_start };
  weft_heap.arena[ARENA_NOSCAN] = (WeftArena){ weft_heap.reserve_start + half, weft_heap.reserve_end,
                                               weft_heap.reserve_start + half };
#if defined(__SANITIZE_ADDRESS__)
  /* malloc'd memory referenced from collected objects (a Cond's waiters
   * in a weft_alloc'd struct…) is not leaked: LeakSanitizer scans the
   * committed part of the arena too. */
  __lsan_register_root_region (mem, size);
#endif
}

Span *
weft_heap_alloc_span (uintptr_t npages, uint16_t spanclass, uintptr_t elemsize)
{
  bool          noscan = (spanclass & 1) != 0;
  WeftArenaKind k = noscan ? ARENA_NOSCAN : ARENA_SCAN;
  FreeLists    *fl = &free_lists[k];
  Span         *s = NULL;

  weft_lock (&weft_heap.lock);
  for (;;)
    {
      for (uintptr_t n = npages; n < FREE_EXACT && s == NULL; n++)
        s = fl->exact[n];
      if (s == NULL)
        for (Span *t = fl->large; t != NULL; t = t->next)
          if (t->npages >= npages && (s == NULL || t->npages < s->npages))
            s = t;
      if (s != NULL)
        break;
      grow (k, npages);
    }
  free_remove (s);
  if (s->npages > npages)
    {
      Span *rest = span_new ();
      rest->base = s->base + (npages << WEFT_PAGE_SHIFT);
      rest->npages = s->npages - npages;
      rest->needzero = s->needzero;
      rest->scavenged = s->scavenged;
      s->npages = npages;
      free_insert (rest);
    }
  if (s->scavenged)
    {
      weft_heap.pages_released -= npages;
      /* MADV_DONTNEED'd pages read back as zeros. */
      s->needzero = false;
      s->scavenged = false;
    }
  /* A concurrent marker may find this struct through the page table
   * (its first page mapped it while it was free): it must see the span
   * whole once the state says in use. */
  s->large = spanclass < 2;
  s->elemsize = s->large ? npages << WEFT_PAGE_SHIFT : elemsize;
  s->nelems = s->large ? 1 : (uint32_t) ((npages << WEFT_PAGE_SHIFT) / elemsize);
  s->nalloc = 0;
  s->freeindex = 0;
  s->spanclass = spanclass;
  s->noscan = noscan;
  s->list = SPAN_LIST_NONE;
  memset (s->allocbits, 0, sizeof s->allocbits);
  memset (s->markbits, 0, sizeof s->markbits);
  __atomic_store_n (&s->state, SPAN_INUSE, __ATOMIC_RELEASE);
  uintptr_t first = page_index (s->base);
  for (uintptr_t i = 0; i < npages; i++)
    __atomic_store_n (&weft_heap.spans[first + i], s, __ATOMIC_RELEASE);
  weft_heap.pages_inuse += npages;
  weft_unlock (&weft_heap.lock);
  return s;
}

void
weft_heap_free_span (Span *s)
{
  uintptr_t first = page_index (s->base);

  WEFT_POISON (s->base, s->npages << WEFT_PAGE_SHIFT);
  weft_lock (&weft_heap.lock);
  for (uintptr_t i = 0; i < s->npages; i++)
    weft_heap.spans[first + i] = NULL;
  weft_heap.pages_inuse -= s->npages;
  s->state = SPAN_FREE;
  s->needzero = true;
  s->scavenged = false;
  s->list = SPAN_LIST_NONE;
  free_coalesce (s);
  weft_unlock (&weft_heap.lock);
}

static uint64_t
scavenge_list (Span *head, uint64_t *excess)
{
  uint64_t released = 0;

  for (Span *s = head; s != NULL && *excess > 0; s = s->next)
    {
      uint64_t bytes = s->npages << WEFT_PAGE_SHIFT;
      if (s->scavenged)
        continue;
      madvise ((void *) s->base, bytes, MADV_DONTNEED);
      s->scavenged = true;
      s->needzero = false;
      weft_heap.pages_released += s->npages;
      released += bytes;
      *excess = bytes >= *excess ? 0 : *excess - bytes;
    }
  return released;
}

uint64_t
weft_heap_committed (void)
{
  uint64_t bytes = 0;

  for (int k = 0; k < ARENA_COUNT; k++)
    bytes += weft_heap.arena[k].used - weft_heap.arena[k].start;
  return bytes;
}

uint64_t
weft_heap_scavenge (uint64_t retain)
{
  uint64_t released = 0, committed, excess;

  weft_lock (&weft_heap.lock);
  committed = weft_heap_committed () - (weft_heap.pages_released << WEFT_PAGE_SHIFT);
  excess = committed > retain ? committed - retain : 0;
  /* Largest spans first: fewest system calls for the most memory. */
  for (int k = 0; k < ARENA_COUNT; k++)
    released += scavenge_list (free_lists[k].large, &excess);
  for (int n = FREE_EXACT - 1; n > 0 && excess > 0; n--)
    for (int k = 0; k < ARENA_COUNT; k++)
      released += scavenge_list (free_lists[k].exact[n], &excess);
  weft_unlock (&weft_heap.lock);
  return released;
}
