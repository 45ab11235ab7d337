/* weft-symbolize.c — addresses to function/file/line with addr2line.
 *
 * Each object is read from the best file that describes it: its separate
 * debug file if one is installed (by build id, then by debug link, where
 * GDB looks for them), else the object itself. A debug file keeps the
 * object's addresses, so the same offsets apply. An address in code that
 * the compiler inlined gets the innermost function, file and line (the
 * code the user wrote there), not the function it was inlined into.
 */
#include "weft-symbolize.h"

#include <stdlib.h>
#include <string.h>

typedef struct
{
  gint64   base, memsz;
  char    *path;
  gboolean is_pic;
  char    *debug_file; /* the file addr2line reads; NULL if none exists */
} Map;

typedef struct
{
  gint64   pc;
  gboolean is_return; /* a return address: look up pc - 1, the call */
  Map     *map;
} Pc;

static int
compare_map (gconstpointer a, gconstpointer b)
{
  const Map *x = a, *y = b;
  return x->base < y->base ? -1 : x->base > y->base;
}

static int
compare_pc_map (gconstpointer a, gconstpointer b)
{
  const Pc *x = a, *y = b;
  int       c = g_strcmp0 (x->map->path, y->map->path);
  return c != 0 ? c : (x->pc < y->pc ? -1 : x->pc > y->pc);
}

static Map *
find_map (GArray *maps, gint64 pc)
{
  guint lo = 0, hi = maps->len;

  /* The last mapping whose base is <= pc. */
  while (lo < hi)
    {
      guint mid = (lo + hi) / 2;
      if (g_array_index (maps, Map, mid).base <= pc)
        lo = mid + 1;
      else
        hi = mid;
    }
  if (lo == 0)
    return NULL;
  Map *m = &g_array_index (maps, Map, lo - 1);
  return pc < m->base + m->memsz ? m : NULL;
}

/* Where separate debug files are installed: GDB's debug-file-directory.
 * WEFT_DEBUG_FILE_DIRECTORY overrides it (tests install debug files in a
 * temporary folder). */
static const char *
debug_root (void)
{
  const char *dir = g_getenv ("WEFT_DEBUG_FILE_DIRECTORY");

  return dir != NULL && dir[0] != '\0' ? dir : "/usr/lib/debug";
}

/* The file to read @path's symbols from: ROOT/.build-id/xx/yyyy.debug for
 * its build id; its .gnu_debuglink name next to it, in .debug/ beside it,
 * or under ROOT/DIR; else @path itself. NULL if none of them exists.
 * (The debug link's CRC is not checked: a build id, when there is one,
 * is looked up first and is the stronger match.) */
static char *
find_debug_file (const char *path, const char *build_id, const char *debug_link)
{
  const char *root = debug_root ();

  if (build_id != NULL && strlen (build_id) > 2)
    {
      g_autofree char *name = g_strdup_printf ("%s.debug", build_id + 2);
      g_autofree char *head = g_strndup (build_id, 2);
      char            *file = g_build_filename (root, ".build-id", head, name, NULL);

      if (g_file_test (file, G_FILE_TEST_IS_REGULAR))
        return file;
      g_free (file);
    }
  if (debug_link != NULL && debug_link[0] != '\0' && strchr (debug_link, '/') == NULL)
    {
      g_autofree char *dir = g_path_get_dirname (path);
      char            *candidates[] = {
                   g_build_filename (dir, debug_link, NULL),
                   g_build_filename (dir, ".debug", debug_link, NULL),
                   g_build_filename (root, dir, debug_link, NULL),
      };
      char *found = NULL;

      for (guint i = 0; i < G_N_ELEMENTS (candidates); i++)
        {
          /* The object itself may carry its own name as link: skip it. */
          if (found == NULL && g_strcmp0 (candidates[i], path) != 0
              && g_file_test (candidates[i], G_FILE_TEST_IS_REGULAR))
            found = g_steal_pointer (&candidates[i]);
          g_free (candidates[i]);
        }
      if (found != NULL)
        return found;
    }
  return g_file_test (path, G_FILE_TEST_IS_REGULAR) ? g_strdup (path) : NULL;
}

static gboolean
is_runtime_object (const char *path)
{
  g_autofree char *base = g_path_get_basename (path);
  return g_str_has_prefix (base, "libweft.") || g_str_has_prefix (base, "libweft-lttng.");
}

/* Inserts the symbol row of @pc; @func, @loc: addr2line's two lines
 * ("??" and "??:0" when unknown). */
static gboolean
insert_symbol (sqlite3_stmt *insert, const Pc *pc, const char *func, const char *loc, GError **error)
{
  g_autofree char *file = g_strdup (loc);
  gint64           line = 0;
  char            *colon, *paren;

  if ((paren = strstr (file, " (discriminator")) != NULL)
    *paren = '\0';
  if ((colon = strrchr (file, ':')) != NULL)
    {
      *colon = '\0';
      line = g_ascii_strtoll (colon + 1, NULL, 10);
    }
  sqlite3_bind_int64 (insert, 1, pc->pc);
  if (strcmp (func, "??") == 0)
    sqlite3_bind_null (insert, 2);
  else
    sqlite3_bind_text (insert, 2, func, -1, SQLITE_TRANSIENT);
  if (strcmp (file, "??") == 0 || file[0] == '\0')
    sqlite3_bind_null (insert, 3);
  else
    sqlite3_bind_text (insert, 3, file, -1, SQLITE_TRANSIENT);
  if (line > 0)
    sqlite3_bind_int64 (insert, 4, line);
  else
    sqlite3_bind_null (insert, 4);
  sqlite3_bind_text (insert, 5, pc->map->path, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 6, pc->pc - pc->map->base);
  sqlite3_bind_int (insert, 7, is_runtime_object (pc->map->path));
  if (sqlite3_step (insert) != SQLITE_DONE)
    {
      weft_store_set_sqlite_error (error, sqlite3_db_handle (insert), "writing symbols");
      sqlite3_reset (insert);
      return FALSE;
    }
  sqlite3_reset (insert);
  return TRUE;
}

/* Runs addr2line on @pcs[from..to), all in @map's object, and inserts the
 * answers. Returns how many resolved.
 *
 * With -a each answer starts with the address ("0x…", which no function
 * name does), then, with -i, one function/location pair per level of
 * inlining, innermost first: the first pair after the address is the one
 * kept. */
static guint
resolve_object (sqlite3_stmt *insert, Pc *pcs, guint from, guint to, GError **error)
{
  Map        *map = pcs[from].map;
  const char *argv[] = { "addr2line", "-a", "-i", "-f", "-C", "-e", map->debug_file, NULL };
  g_autoptr (GSubprocess) proc = NULL;
  g_autoptr (GString) input = g_string_new (NULL);
  g_autofree char *output = NULL;
  g_auto (GStrv) lines = NULL;
  guint resolved = 0, i = from;

  for (guint k = from; k < to; k++)
    {
      gint64 addr = (map->is_pic ? pcs[k].pc - map->base : pcs[k].pc) - (pcs[k].is_return ? 1 : 0);
      g_string_append_printf (input, "%" G_GINT64_MODIFIER "x\n", addr);
    }
  proc = g_subprocess_newv (argv, G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_SILENCE, error);
  if (proc == NULL)
    return 0;
  /* communicate writes and reads at once: addr2line answers as it reads. */
  if (!g_subprocess_communicate_utf8 (proc, input->str, NULL, &output, NULL, error))
    return 0;
  lines = g_strsplit (output != NULL ? output : "", "\n", -1);
  for (guint n = 0; lines[n] != NULL && i < to; n++)
    {
      if (!g_str_has_prefix (lines[n], "0x"))
        continue;
      /* The answer for pcs[i]: its innermost pair follows. */
      if (lines[n + 1] == NULL || lines[n + 2] == NULL)
        break;
      if (!insert_symbol (insert, &pcs[i], lines[n + 1], lines[n + 2], error))
        return resolved;
      if (strcmp (lines[n + 1], "??") != 0)
        resolved++;
      i++;
      n += 2;
    }
  return resolved;
}

gboolean
weft_symbolize (WeftStore *store, guint *n_resolved, guint *n_unresolved, GError **error)
{
  g_autoptr (GArray) maps = g_array_new (FALSE, FALSE, sizeof (Map));
  g_autoptr (GArray) pcs = g_array_new (FALSE, FALSE, sizeof (Pc));
  sqlite3_stmt *stmt;
  sqlite3_stmt *insert;
  guint         resolved = 0, total = 0;
  gboolean      ok = TRUE;

  g_return_val_if_fail (store != NULL, FALSE);

  stmt = weft_store_prepare (store, "SELECT base, memsz, path, is_pic, build_id, debug_link FROM mapping ORDER BY base",
                             error);
  if (stmt == NULL)
    return FALSE;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      const char *path = (const char *) sqlite3_column_text (stmt, 2);
      Map         m = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int64 (stmt, 1), g_strdup (path),
                        sqlite3_column_int (stmt, 3),
                        find_debug_file (path, (const char *) sqlite3_column_text (stmt, 4),
                                         (const char *) sqlite3_column_text (stmt, 5)) };
      g_array_append_val (maps, m);
    }
  sqlite3_finalize (stmt);
  g_array_sort (maps, compare_map);

  /* A pc both a return address and a start pc cannot happen in practice;
   * if it did, the return-address reading wins (MAX). */
  stmt = weft_store_prepare (store,
                             "SELECT pc, MAX(r) FROM (SELECT pc, 1 AS r FROM frame UNION ALL SELECT start_pc, 0 FROM goroutine WHERE start_pc != 0) GROUP BY pc",
                             error);
  if (stmt == NULL)
    goto out;
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      Pc pc = { sqlite3_column_int64 (stmt, 0), sqlite3_column_int (stmt, 1), NULL };

      total++;
      pc.map = find_map (maps, pc.pc);
      if (pc.map != NULL && pc.map->debug_file != NULL)
        g_array_append_val (pcs, pc);
    }
  sqlite3_finalize (stmt);
  g_array_sort (pcs, compare_pc_map);

  insert = weft_store_prepare (store,
                               "INSERT OR REPLACE INTO symbol (pc, function, file, line, object, offset, runtime) VALUES (?, ?, ?, ?, ?, ?, ?)",
                               error);
  if (insert == NULL)
    {
      ok = FALSE;
      goto out;
    }
  for (guint i = 0; i < pcs->len && ok;)
    {
      guint j = i + 1;

      while (j < pcs->len && g_array_index (pcs, Pc, j).map == g_array_index (pcs, Pc, i).map)
        j++;
      resolved += resolve_object (insert, (Pc *) pcs->data, i, j, error);
      if (error != NULL && *error != NULL)
        ok = FALSE;
      i = j;
    }
  sqlite3_finalize (insert);

out:
  for (guint i = 0; i < maps->len; i++)
    {
      g_free (g_array_index (maps, Map, i).path);
      g_free (g_array_index (maps, Map, i).debug_file);
    }
  if (n_resolved != NULL)
    *n_resolved = resolved;
  if (n_unresolved != NULL)
    *n_unresolved = total - resolved;
  return ok && stmt != NULL;
}
