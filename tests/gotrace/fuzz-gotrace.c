/* fuzz-gotrace.c — the Go trace reader and `weft import` fed arbitrary bytes.
 *
 * weft_fuzz_gotrace_one() reads the bytes as a Go execution trace with
 * WeftGoTrace, looking up every string and stack an event names, until the
 * end or the first error; then, if the header was accepted, imports the
 * same bytes into a database with weft_import(). Neither may crash, leak
 * (under ASan) or fail without an error message naming an offset (or the
 * header).
 *
 * Built as a libFuzzer target with clang (-DWEFT_FUZZ_LIBFUZZER,
 * -fsanitize=fuzzer), and always as a replay driver: `fuzz-gotrace
 * [FILE|DIR]...` runs every file given (default: $G_TEST_SRCDIR/corpus).
 * The corpus holds small real traces of Go 1.26 (tests/gotrace/progs) and
 * the hand-made ones of test-gotrace.c for Go 1.22 to 1.26.
 */
#include "weft-gotrace.h"
#include "weft-import.h"

#include <glib/gstdio.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int weft_fuzz_gotrace_one (const uint8_t *data, size_t size);

static const char *
work_dir (void)
{
  static char *dir;

  if (dir == NULL && (dir = g_dir_make_tmp ("weft-fuzz-gotrace-XXXXXX", NULL)) == NULL)
    abort ();
  return dir;
}

static void
check_message (const GError *error)
{
  if (error == NULL || error->message == NULL || error->message[0] == '\0')
    {
      fprintf (stderr, "fuzz-gotrace: failure without a message\n");
      abort ();
    }
  if (error->domain == WEFT_GO_TRACE_ERROR && strstr (error->message, "offset ") == NULL)
    {
      fprintf (stderr, "fuzz-gotrace: message without an offset: %s\n", error->message);
      abort ();
    }
}

int
weft_fuzz_gotrace_one (const uint8_t *data, size_t size)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftGoTrace) t = weft_go_trace_new_from_data (data, size, &error);
  g_autofree char   *trace = NULL, *db = NULL;
  const WeftGoEvent *ev;

  if (t == NULL)
    {
      check_message (error);
      return 0;
    }
  while (weft_go_trace_next (t, &ev, &error))
    {
      const guint64 *pcs;
      guint          n;

      /* What the importer looks up: every argument as a string and a
       * stack id, and every frame of the stacks found. */
      for (guint i = 0; i < G_N_ELEMENTS (ev->args); i++)
        {
          weft_go_trace_string (t, ev->args[i]);
          if (weft_go_trace_stack (t, ev->args[i], &pcs, &n))
            for (guint k = 0; k < n; k++)
              {
                const char *fn, *file;
                guint64     line;

                weft_go_trace_frame (t, pcs[k], &fn, &file, &line);
              }
        }
    }
  if (error != NULL)
    check_message (error);
  g_clear_error (&error);

  trace = g_build_filename (work_dir (), "t.out", NULL);
  db = g_build_filename (work_dir (), "t.weft", NULL);
  if (!g_file_set_contents (trace, (const char *) data, size, NULL))
    abort ();
  if (!weft_import (trace, db, NULL, NULL, &error))
    check_message (error);
  g_remove (db);
  g_remove (trace);
  return 0;
}

#ifdef WEFT_FUZZ_LIBFUZZER

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  return weft_fuzz_gotrace_one (data, size);
}

#else

static gint
compare_paths (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

static guint
replay (const char *path)
{
  g_autofree char *data = NULL;
  g_autoptr (GError) error = NULL;
  gsize len;

  if (g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_autoptr (GDir) dir = g_dir_open (path, 0, &error);
      g_autoptr (GPtrArray) names = g_ptr_array_new_with_free_func (g_free);
      const char *name;
      guint       n = 0;

      if (dir == NULL)
        g_error ("fuzz-gotrace: %s", error->message);
      while ((name = g_dir_read_name (dir)) != NULL)
        g_ptr_array_add (names, g_build_filename (path, name, NULL));
      g_ptr_array_sort (names, compare_paths);
      for (guint i = 0; i < names->len; i++)
        n += replay (names->pdata[i]);
      return n;
    }
  if (!g_file_get_contents (path, &data, &len, &error))
    g_error ("fuzz-gotrace: %s", error->message);
  fprintf (stderr, "fuzz-gotrace: %s (%zu bytes)\n", path, (size_t) len);
  weft_fuzz_gotrace_one ((const uint8_t *) data, len);
  return 1;
}

int
main (int argc, char **argv)
{
  guint n = 0;

  if (argc < 2)
    {
      const char      *srcdir = g_getenv ("G_TEST_SRCDIR");
      g_autofree char *corpus = g_build_filename (srcdir != NULL ? srcdir : ".", "corpus", NULL);

      n = replay (corpus);
    }
  for (int i = 1; i < argc; i++)
    n += replay (argv[i]);
  g_rmdir (work_dir ());
  printf ("fuzz-gotrace: %u inputs, no crash, every error explained\n", n);
  return n > 0 ? 0 : 1;
}

#endif
