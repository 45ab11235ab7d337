/* tap.h — a minimal TAP producer for the runtime tests.
 *
 * The runtime tests run inside goroutines, on small stacks and on any
 * thread, so they use this instead of GTest. Each check prints one TAP
 * line; a failed check also prints the expression and where it is.
 * tap_done() prints the plan and returns the exit status. */
#pragma once

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

static _Atomic int tap_count;
static _Atomic int tap_failed;

static inline void
tap_check (int ok, const char *expr, const char *file, int line, const char *name)
{
  int n = atomic_fetch_add (&tap_count, 1) + 1;
  if (!ok)
    atomic_fetch_add (&tap_failed, 1);
  printf ("%sok %d - %s\n", ok ? "" : "not ", n, name);
  if (!ok)
    printf ("#   failed: %s at %s:%d\n", expr, file, line);
  fflush (stdout);
}

/* CHECK (expr, "what it shows") */
#define CHECK(expr, name) tap_check (!!(expr), #expr, __FILE__, __LINE__, name)

/* CHECK_EQ for integers, printing both sides on failure. */
#define CHECK_EQ(a, b, name)                                        \
  do                                                                \
    {                                                               \
      long long _a = (long long) (a), _b = (long long) (b);         \
      tap_check (_a == _b, #a " == " #b, __FILE__, __LINE__, name); \
      if (_a != _b)                                                 \
        printf ("#   left: %lld right: %lld\n", _a, _b);            \
    }                                                               \
  while (0)

static inline int
tap_done (void)
{
  printf ("1..%d\n", atomic_load (&tap_count));
  fflush (stdout);
  return atomic_load (&tap_failed) ? 1 : 0;
}
