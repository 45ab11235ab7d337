/* stack.c — goroutine stacks.
 *
 * Stacks are mmap'd in slabs of STACKS_PER_SLAB, each stack with a
 * PROT_NONE guard page below it, so that an overflow faults instead of
 * corrupting a neighbour (panic.c turns the fault into "stack overflow").
 * A guard page splits the mapping, and the kernel caps the number of
 * mappings per process (vm.max_map_count, 65530 by default): with a guard
 * each, a program could not have more than ~30k live goroutines. So only
 * the first stacks, using up to a quarter of the mapping budget, get guard
 * pages; later slabs are single unguarded mappings. Every stack also
 * carries a canary word at its lowest address that the scheduler checks
 * each time a goroutine switches out (weft_stack_check), which catches an
 * overflow of an unguarded stack after the fact. Go itself has no guard
 * pages; it checks the stack bound in every function prologue.
 *
 * Stacks are never unmapped: a dead goroutine keeps its stack in the free
 * G lists (proc.c) and reuses it. Stacks beyond a small pool release their
 * memory to the kernel (weft_stack_release_memory) when they go to the
 * global free list.
 *
 * Invariants: a slab is immutable once published on the slab list (which
 * the signal handler walks without locks); free stacks are on stack_free
 * under stack_lock.
 */
#include "runtime.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define STACKS_PER_SLAB 64
#define STACK_CANARY 0x5745465453544b21ull /* "WEFTSTK!" */

struct WeftStack
{
  uintptr_t  lo; /* lowest usable address; holds the canary */
  uintptr_t  hi;
  bool       guarded;
  WeftStack *next; /* free list; stack_lock */
};

typedef struct Slab Slab;
struct Slab
{
  uintptr_t base; /* first guard page */
  uintptr_t end;
  Slab     *next;
  WeftStack stacks[STACKS_PER_SLAB];
};

static size_t           stack_size; /* usable bytes per stack; set once */
static size_t           page_size;
static WeftLock         stack_lock;
static WeftStack       *stack_free;
static _Atomic (Slab *) slabs;
static int64_t          guard_budget = -1; /* guard pages we may still add; stack_lock */

size_t
weft_stack_size (void)
{
  if (stack_size == 0)
    {
      const char *env = getenv ("WEFT_STACK_SIZE");
      size_t      want = 256 * 1024;

      page_size = (size_t) sysconf (_SC_PAGESIZE);
      if (env != NULL && *env != '\0')
        {
          char              *end;
          unsigned long long v = strtoull (env, &end, 0);
          if (*end == 'k' || *end == 'K')
            v *= 1024;
          else if (*end == 'm' || *end == 'M')
            v *= 1024 * 1024;
          if (v < 16 * 1024)
            v = 16 * 1024;
          want = (size_t) v;
        }
      stack_size = (want + page_size - 1) & ~(page_size - 1);
    }
  return stack_size;
}

static int64_t
read_guard_budget (void)
{
  FILE     *f = fopen ("/proc/sys/vm/max_map_count", "re");
  long long max = 65530;

  if (f != NULL)
    {
      if (fscanf (f, "%lld", &max) != 1)
        max = 65530;
      fclose (f);
    }
  /* Each guard page costs two mappings (it splits its slab). */
  return max / 4 / 2;
}

static void
new_slab (void)
{
  size_t size = weft_stack_size ();
  size_t stride = size + page_size;
  size_t len = stride * STACKS_PER_SLAB;
  Slab  *slab;
  void  *mem;

  mem = mmap (NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (mem == MAP_FAILED)
    weft_throw ("runtime: cannot allocate goroutine stacks (%zu bytes): %s", len, strerror (errno));
  if (guard_budget < 0)
    guard_budget = read_guard_budget ();
  slab = calloc (1, sizeof *slab);
  if (slab == NULL)
    weft_throw ("runtime: out of memory");
  slab->base = (uintptr_t) mem;
  slab->end = slab->base + len;

  for (int i = 0; i < STACKS_PER_SLAB; i++)
    {
      WeftStack *s = &slab->stacks[i];
      uintptr_t  guard = slab->base + (uintptr_t) i * stride;

      s->lo = guard + page_size;
      s->hi = s->lo + size;
      s->guarded = guard_budget > 0 && mprotect ((void *) guard, page_size, PROT_NONE) == 0;
      if (s->guarded)
        guard_budget--;
      *(uint64_t *) s->lo = STACK_CANARY;
      s->next = stack_free;
      stack_free = s;
    }

  /* Publish for the lock-free walk in weft_stack_is_guard(). */
  slab->next = atomic_load (&slabs);
  atomic_store_explicit (&slabs, slab, memory_order_release);
}

WeftStack *
weft_stack_alloc (uintptr_t *lo, uintptr_t *hi)
{
  WeftStack *s;

  weft_lock (&stack_lock);
  if (stack_free == NULL)
    new_slab ();
  s = stack_free;
  stack_free = s->next;
  weft_unlock (&stack_lock);

  s->next = NULL;
  *lo = s->lo;
  *hi = s->hi;
  return s;
}

void
weft_stack_release_memory (WeftStack *s)
{
  /* Keep the top page (where the next goroutine starts) and the bottom one
   * (the canary); give the rest back: a burst of 100k goroutines must not
   * pin 100k touched stacks once it is over. */
  if (s->hi - s->lo > 2 * page_size)
    madvise ((void *) (s->lo + page_size), s->hi - s->lo - 2 * page_size, MADV_DONTNEED);
}

void
weft_stack_check (G *gp)
{
  if (unlikely (gp->stack != NULL && *(uint64_t *) gp->stack_lo != STACK_CANARY))
    weft_throw ("runtime: goroutine %llu overflowed its %zu-byte stack (set WEFT_STACK_SIZE)",
                (unsigned long long) gp->goid, weft_stack_size ());
}

bool
weft_stack_is_guard (uintptr_t addr)
{
  size_t stride = stack_size + page_size;

  for (Slab *s = atomic_load_explicit (&slabs, memory_order_acquire); s != NULL; s = s->next)
    if (addr >= s->base && addr < s->end)
      return (addr - s->base) % stride < page_size;
  return false;
}
