/* lock.c — runtime locks and notes on Linux futexes.
 *
 * WeftLock is the runtime's internal mutex (Go's lock_futex.go): a thread
 * that cannot take it spins briefly, then sleeps in the kernel. It protects
 * short sections of runtime state only; goroutines never park while
 * holding one, so sleeping here blocks a thread for microseconds at most.
 *
 * WeftNote is a one-shot wakeup for exactly one sleeping thread (an idle M):
 * wakeup may precede sleep, in which case sleep returns at once. A note is
 * reused only after weft_note_clear(), by its owner, when nobody can still
 * wake it.
 *
 * Invariants: key is 0 (unlocked), 1 (locked) or 2 (locked, maybe
 * sleepers). A note's key is 0 (clear) or 1 (woken).
 */
#include "runtime.h"

#include <errno.h>
#include <linux/futex.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

static void
futex_wait (_Atomic uint32_t *addr, uint32_t val, int64_t ns)
{
  struct timespec ts, *tsp = NULL;

  if (ns >= 0)
    {
      ts.tv_sec = ns / 1000000000;
      ts.tv_nsec = ns % 1000000000;
      tsp = &ts;
    }
  syscall (SYS_futex, addr, FUTEX_WAIT_PRIVATE, val, tsp, NULL, 0);
}

static void
futex_wake (_Atomic uint32_t *addr, int n)
{
  syscall (SYS_futex, addr, FUTEX_WAKE_PRIVATE, n, NULL, NULL, 0);
}

static inline void
cpu_relax (void)
{
#if defined(__x86_64__)
  __asm__ __volatile__("pause");
#elif defined(__aarch64__)
  __asm__ __volatile__("yield");
#endif
}

void
weft_lock (WeftLock *l)
{
  uint32_t v = 0;

  if (likely (atomic_compare_exchange_strong_explicit (&l->key, &v, 1, memory_order_acquire, memory_order_relaxed)))
    return;

  /* Spin a little: the holder is on another CPU for a few hundred ns. */
  for (int i = 0; i < 100; i++)
    {
      v = 0;
      if (atomic_load_explicit (&l->key, memory_order_relaxed) == 0
          && atomic_compare_exchange_weak_explicit (&l->key, &v, 1, memory_order_acquire, memory_order_relaxed))
        return;
      cpu_relax ();
    }

  /* Mark contended and sleep until released. */
  while (atomic_exchange_explicit (&l->key, 2, memory_order_acquire) != 0)
    futex_wait (&l->key, 2, -1);
}

void
weft_unlock (WeftLock *l)
{
  uint32_t v = atomic_exchange_explicit (&l->key, 0, memory_order_release);

  if (unlikely (v == 0))
    weft_throw ("unlock of unlocked runtime lock");
  if (v == 2)
    futex_wake (&l->key, 1);
}

void
weft_note_clear (WeftNote *n)
{
  atomic_store_explicit (&n->key, 0, memory_order_relaxed);
}

void
weft_note_wakeup (WeftNote *n)
{
  if (atomic_exchange_explicit (&n->key, 1, memory_order_release) != 0)
    weft_throw ("notewakeup: double wakeup");
  futex_wake (&n->key, 1);
}

void
weft_note_sleep (WeftNote *n)
{
  while (atomic_load_explicit (&n->key, memory_order_acquire) == 0)
    futex_wait (&n->key, 0, -1);
}

bool
weft_note_tsleep (WeftNote *n, int64_t ns)
{
  struct timespec now;
  int64_t         deadline;

  if (ns < 0)
    {
      weft_note_sleep (n);
      return true;
    }
  clock_gettime (CLOCK_MONOTONIC, &now);
  deadline = now.tv_sec * 1000000000LL + now.tv_nsec + ns;
  while (atomic_load_explicit (&n->key, memory_order_acquire) == 0)
    {
      clock_gettime (CLOCK_MONOTONIC, &now);
      int64_t left = deadline - (now.tv_sec * 1000000000LL + now.tv_nsec);
      if (left <= 0)
        return false;
      futex_wait (&n->key, 0, left);
    }
  return true;
}
