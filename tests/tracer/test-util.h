/* test-util.h — what the runtime tests share: time units, bounded waits.
 *
 * Every wait in the tests is bounded, so that a lost wakeup fails a check
 * instead of hanging the test until meson's timeout. */
#pragma once

#include "tap.h"

#include <weft/weft.h>

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#define MS (1000LL * 1000)
#define SEC (1000 * MS)
#define WAIT_NS (10 * SEC)

static inline int64_t
now_ns (void)
{
  return weft_nanotime ();
}

/* Yields until *flag reaches @want or 10 s pass; returns whether it did. */
static inline bool
wait_for (_Atomic int *flag, int want)
{
  int64_t deadline = now_ns () + WAIT_NS;

  while (atomic_load (flag) < want)
    {
      if (now_ns () > deadline)
        return false;
      weft_yield ();
    }
  return true;
}

/* Lets other goroutines run for a while (they would make progress if
 * they could). */
static inline void
yield_many (void)
{
  for (int i = 0; i < 2000; i++)
    weft_yield ();
}

/* weft_chan_recv with a 10 s deadline, via try_recv: false on timeout. */
static inline bool
recv_within (WeftChan *c, void *elem, bool *ok)
{
  int64_t deadline = now_ns () + WAIT_NS;

  while (!weft_chan_try_recv (c, elem, ok))
    {
      if (now_ns () > deadline)
        return false;
      weft_yield ();
    }
  return true;
}
