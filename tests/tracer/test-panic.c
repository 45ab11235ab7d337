/* test-panic.c — failure behaviour as in Go: each case runs in a child
 * process (this program re-executed with the case name) and must exit with
 * status 2 and print the right message and goroutine dump on stderr. The
 * "ok" cases check that the deadlock detector does not fire when a
 * goroutine can still be woken (by a timer, or by a thread in a syscall).
 * The heap's misuse (weft_alloc inside a syscall) and bad settings
 * (WEFT_GOGC, WEFT_MEMLIMIT, WEFT_LEAKCHECK, WEFT_GCPERIOD_MS) exit with
 * status 2 and say what is wrong. */
#define _GNU_SOURCE
#include "tap.h"

#include <weft/weft.h>

#include <signal.h>
#include <spawn.h>
#include <stdint.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

/* ---------------------------------------------------------------- child cases */

static void
block_forever_on (void *arg)
{
  weft_chan_recv (arg, NULL);
}

static int
case_deadlock (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 0);
  int       v;
  weft_go (block_forever_on, ch);
  weft_chan_recv (ch, &v);
  return 0;
}

static int
case_mutex_deadlock (void)
{
  static WeftMutex m;
  weft_mutex_lock (&m);
  weft_mutex_lock (&m);
  return 0;
}

static int
case_panic (void)
{
  weft_panic ("boom %d", 42);
}

static int
case_closed_send (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 1);
  int       v = 1;
  weft_chan_close (ch);
  weft_chan_send (ch, &v);
  return 0;
}

static int
case_close_closed (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 0);
  weft_chan_close (ch);
  weft_chan_close (ch);
  return 0;
}

static int
case_unlock_unlocked (void)
{
  static WeftMutex m;
  weft_mutex_unlock (&m);
  return 0;
}

static int
case_wg_negative (void)
{
  static WeftWaitGroup wg;
  weft_waitgroup_done (&wg);
  return 0;
}

static int __attribute__ ((noinline))
recurse (volatile char *prev)
{
  volatile char frame[512];
  frame[0] = prev != NULL ? prev[0] + 1 : 0;
  return recurse (frame) + frame[1];
}

static int
case_stack_overflow (void)
{
  return recurse (NULL);
}

static int
case_sigquit (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 0);
  weft_go_named ("quit-waiter", block_forever_on, ch);
  weft_yield ();
  raise (SIGQUIT);
  weft_chan_recv (ch, NULL);
  return 0;
}

static int
case_goexit_main (void)
{
  weft_exit ();
}

static void
send_after_sleep (void *arg)
{
  int v = 7;
  weft_sleep (50 * 1000000LL);
  weft_chan_send (arg, &v);
}

static int
case_ok_timer_wakes (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 0);
  int       v = 0;
  weft_go (send_after_sleep, ch);
  weft_chan_recv (ch, &v);
  weft_chan_free (ch);
  return v == 7 ? 0 : 1;
}

static void
send_after_syscall (void *arg)
{
  int v = 9;
  weft_syscall_enter ();
  usleep (50 * 1000);
  weft_syscall_exit ();
  weft_chan_send (arg, &v);
}

static int
case_ok_syscall_wakes (void)
{
  WeftChan *ch = weft_chan_new (sizeof (int), 0);
  int       v = 0;
  weft_go (send_after_syscall, ch);
  weft_chan_recv (ch, &v);
  weft_chan_free (ch);
  return v == 9 ? 0 : 1;
}

static int
case_alloc_in_syscall (void)
{
  weft_syscall_enter ();
  weft_alloc (16);
  weft_syscall_exit ();
  return 0;
}

/* Run with a bad WEFT_GOGC / WEFT_MEMLIMIT / WEFT_LEAKCHECK /
 * WEFT_GCPERIOD_MS in the environment: the first allocation reads them. */
static int
case_alloc (void)
{
  weft_alloc (16);
  return 0;
}

static const struct
{
  const char *name;
  int (*run) (void);
} cases[] = {
  { "alloc-in-syscall", case_alloc_in_syscall },
  { "alloc", case_alloc },
  { "deadlock", case_deadlock },
  { "mutex-deadlock", case_mutex_deadlock },
  { "panic", case_panic },
  { "closed-send", case_closed_send },
  { "close-closed", case_close_closed },
  { "unlock-unlocked", case_unlock_unlocked },
  { "wg-negative", case_wg_negative },
  { "stack-overflow", case_stack_overflow },
  { "sigquit", case_sigquit },
  { "goexit-main", case_goexit_main },
  { "ok-timer-wakes", case_ok_timer_wakes },
  { "ok-syscall-wakes", case_ok_syscall_wakes },
};

static int
child_main (int argc, char **argv)
{
  for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++)
    if (strcmp (argv[1], cases[i].name) == 0)
      return cases[i].run ();
  (void) argc;
  return 99;
}

/* ---------------------------------------------------------------- parent */

typedef struct
{
  int  status;     /* exit status, or 128 + signal */
  char out[65536]; /* stderr */
} Result;

static void
run_case (const char *name, Result *r)
{
  char                      *argv[] = { "/proc/self/exe", (char *) name, NULL };
  posix_spawn_file_actions_t fa;
  int                        fds[2], wstatus;
  size_t                     len = 0;
  pid_t                      pid;

  if (pipe (fds) != 0)
    abort ();
  /* libweft leaves SIGSEGV to a handler installed before it (a
   * sanitizer's): in sanitizer builds, let the runtime report the overflow. */
  static const char *const sanitizer_vars[] = { "ASAN_OPTIONS", "TSAN_OPTIONS" };
  static const char       *saved_values[2];
  static bool              saved;
  for (int i = 0; i < 2; i++)
    {
      if (!saved)
        saved_values[i] = getenv (sanitizer_vars[i]);
      if (strcmp (name, "stack-overflow") == 0)
        setenv (sanitizer_vars[i], "handle_segv=0", 1);
      else if (saved_values[i] != NULL)
        setenv (sanitizer_vars[i], saved_values[i], 1);
      else
        unsetenv (sanitizer_vars[i]);
    }
  saved = true;

  posix_spawn_file_actions_init (&fa);
  posix_spawn_file_actions_adddup2 (&fa, fds[1], 2);
  posix_spawn_file_actions_addclose (&fa, fds[0]);
  if (posix_spawn (&pid, "/proc/self/exe", &fa, NULL, argv, environ) != 0)
    abort ();
  posix_spawn_file_actions_destroy (&fa);
  close (fds[1]);

  weft_syscall_enter ();
  for (;;)
    {
      ssize_t n = read (fds[0], r->out + len, sizeof r->out - 1 - len);
      if (n <= 0)
        break;
      len += (size_t) n;
      if (len == sizeof r->out - 1)
        len = 0; /* keep the tail of a huge dump */
    }
  waitpid (pid, &wstatus, 0);
  weft_syscall_exit ();
  close (fds[0]);
  r->out[len] = '\0';
  r->status = WIFEXITED (wstatus) ? WEXITSTATUS (wstatus) : 128 + WTERMSIG (wstatus);
}

static void
expect_fatal (const char *name, const char *message, const char *dump_line)
{
  static Result r;
  char          what[256];

  run_case (name, &r);
  snprintf (what, sizeof what, "%s: exits with status 2", name);
  CHECK_EQ (r.status, 2, what);
  snprintf (what, sizeof what, "%s: says \"%s\"", name, message);
  CHECK (strstr (r.out, message) != NULL, what);
  if (dump_line != NULL)
    {
      snprintf (what, sizeof what, "%s: dump shows \"%s\"", name, dump_line);
      CHECK (strstr (r.out, dump_line) != NULL, what);
    }
  if (r.status != 2 || strstr (r.out, message) == NULL)
    printf ("# stderr was:\n# %.2000s\n", r.out);
}

/* A bad setting of @var: a clear message and status 2 (not a goroutine
 * dump: nothing has gone wrong inside the program). */
static void
expect_bad_env (const char *var, const char *value, const char *message)
{
  static Result r;
  char          what[256];

  setenv (var, value, 1);
  run_case ("alloc", &r);
  unsetenv (var);
  snprintf (what, sizeof what, "%s=%s: exits with status 2", var, value);
  CHECK_EQ (r.status, 2, what);
  snprintf (what, sizeof what, "%s=%s: says what it wants", var, value);
  CHECK (strstr (r.out, message) != NULL, what);
  if (r.status != 2 || strstr (r.out, message) == NULL)
    printf ("# stderr was:\n# %.2000s\n", r.out);
}

static void
expect_ok (const char *name)
{
  static Result r;
  char          what[256];

  run_case (name, &r);
  snprintf (what, sizeof what, "%s: runs to completion without a false deadlock", name);
  CHECK_EQ (r.status, 0, what);
  if (r.status != 0)
    printf ("# stderr was:\n# %.2000s\n", r.out);
}

static int
parent_main (int argc, char **argv)
{
  (void) argc;
  (void) argv;
  expect_fatal ("deadlock", "fatal error: all goroutines are asleep - deadlock!", "goroutine 1 [chan receive]:");
  expect_fatal ("mutex-deadlock", "all goroutines are asleep - deadlock!", "[sync.Mutex.Lock]");
  expect_fatal ("panic", "panic: boom 42", "goroutine 1 [running]:");
  expect_fatal ("closed-send", "send on closed channel", "goroutine 1 [running]:");
  expect_fatal ("close-closed", "close of closed channel", NULL);
  expect_fatal ("unlock-unlocked", "sync: unlock of unlocked mutex", NULL);
  expect_fatal ("wg-negative", "sync: negative WaitGroup counter", NULL);
  expect_fatal ("stack-overflow", "stack overflow", "goroutine 1");
  expect_fatal ("sigquit", "SIGQUIT: quit", "named \"quit-waiter\"");
  expect_fatal ("goexit-main", "no goroutines (main called weft_exit) - deadlock!", NULL);
  expect_fatal ("alloc-in-syscall", "weft_alloc called between weft_syscall_enter and weft_syscall_exit", NULL);
  expect_bad_env ("WEFT_GOGC", "lots", "weft: WEFT_GOGC=lots: want a percentage (e.g. 100) or \"off\"");
  expect_bad_env ("WEFT_MEMLIMIT", "12XB", "weft: WEFT_MEMLIMIT=12XB: want a size such as 512MiB or \"off\"");
  expect_bad_env ("WEFT_LEAKCHECK", "yes", "weft: WEFT_LEAKCHECK=yes: want 0 or 1");
  expect_bad_env ("WEFT_GCPERIOD_MS", "2m", "weft: WEFT_GCPERIOD_MS=2m: want milliseconds between 1 and 86400000");
  expect_bad_env ("WEFT_GCPERIOD_MS", "0", "weft: WEFT_GCPERIOD_MS=0: want milliseconds between 1 and 86400000");
  setenv ("WEFT_GOGC", "off", 1);
  setenv ("WEFT_MEMLIMIT", "64MiB", 1);
  expect_ok ("alloc");
  unsetenv ("WEFT_GOGC");
  unsetenv ("WEFT_MEMLIMIT");
  expect_ok ("ok-timer-wakes");
  expect_ok ("ok-syscall-wakes");
  return tap_done ();
}

int
main (int argc, char **argv)
{
  setvbuf (stdout, NULL, _IOLBF, 0);
  if (argc > 1)
    return weft_main (child_main, argc, argv);
  return weft_main (parent_main, argc, argv);
}
