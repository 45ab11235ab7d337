/* weft-report.c — see weft-report.h. */
#include "weft-report.h"

#include <string.h>

/* A report is one or more queries of schema/queries/, printed in order;
 * the last one is its main table (its rows are the report's count). */
typedef struct
{
  const char *name;
  const char *sections[4]; /* query names, NULL-terminated */
  const char *titles[4];   /* printed above each table when there are several */
} Report;

static const Report reports[] = {
  { "summary", { "summary" }, { NULL } },
  { "goroutines", { "goroutines" }, { NULL } },
  { "leaks", { "leaks" }, { NULL } },
  { "pauses",
    { "pause-summary", "mmu", "pauses" },
    { "Stop-the-world pauses", "Minimum mutator utilization (worst fraction of a window the program ran: mmu between pauses, "
                               "mmu_gc also without the Ps marking)",
      "Longest pauses" } },
  { "gc", { "gc" }, { NULL } },
  { "blocking", { "blocking" }, { NULL } },
  { "latency", { "latency" }, { NULL } },
  { "cpu", { "cpu" }, { NULL } },
};

static const Report *
report_lookup (const char *name)
{
  for (guint i = 0; name != NULL && i < G_N_ELEMENTS (reports); i++)
    if (strcmp (reports[i].name, name) == 0)
      return &reports[i];
  return NULL;
}

gboolean
weft_report_is_known (const char *name)
{
  return report_lookup (name) != NULL;
}

/* 3 significant digits, unit chosen by magnitude: "950ns", "1.25ms". */
char *
weft_format_duration (gint64 ns)
{
  static const struct
  {
    gint64      scale;
    const char *unit;
  } units[] = { { 1000000000, "s" }, { 1000000, "ms" }, { 1000, "µs" } };
  gint64 a = ns < 0 ? -ns : ns;

  for (guint i = 0; i < G_N_ELEMENTS (units); i++)
    if (a >= units[i].scale)
      {
        double v = (double) ns / (double) units[i].scale;
        double av = v < 0 ? -v : v;
        return g_strdup_printf (av >= 100 ? "%.0f%s" : av >= 10 ? "%.1f%s"
                                                                : "%.2f%s",
                                v, units[i].unit);
      }
  return g_strdup_printf ("%" G_GINT64_FORMAT "ns", ns);
}

static void
json_string (GString *out, const char *s)
{
  g_string_append_c (out, '"');
  for (const unsigned char *p = (const unsigned char *) s; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_printf (out, "\\%c", *p);
      else if (*p < 0x20)
        g_string_append_printf (out, "\\u%04x", *p);
      else
        g_string_append_c (out, (char) *p);
    }
  g_string_append_c (out, '"');
}

static gboolean
is_duration_column (const char *name)
{
  return g_str_has_suffix (name, "_ns");
}

static gboolean
is_bytes_column (const char *name)
{
  return g_str_has_suffix (name, "_bytes");
}

/* Binary units, 3 significant digits: "512 B", "1.50 MiB". */
static char *
format_bytes (gint64 bytes)
{
  static const char *const units[] = { "KiB", "MiB", "GiB", "TiB" };
  double                   v = (double) bytes;
  int                      u = -1;

  while ((v >= 1024 || v <= -1024) && u + 1 < (int) G_N_ELEMENTS (units))
    v /= 1024, u++;
  if (u < 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " B", bytes);
  return g_strdup_printf (v >= 100 || v <= -100 ? "%.0f %s" : v >= 10 || v <= -10 ? "%.1f %s"
                                                                                  : "%.2f %s",
                          v,
                          units[u]);
}

sqlite3_stmt *
weft_report_prepare_user_sql (WeftStore *store, const char *sql, GError **error)
{
  sqlite3      *db;
  sqlite3_stmt *stmt = NULL;
  const char   *tail = NULL;

  g_return_val_if_fail (store != NULL && sql != NULL, NULL);

  db = weft_store_get_db (store);
  if (sqlite3_prepare_v2 (db, sql, -1, &stmt, &tail) != SQLITE_OK)
    {
      weft_store_set_sqlite_error (error, db, "preparing the query");
      return NULL;
    }
  /* SQLite prepares nothing for blanks and comments, and stops at the
   * first statement: a second one would silently not run. */
  if (stmt == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT, "the query is empty");
      return NULL;
    }
  while (tail != NULL && g_ascii_isspace (*tail))
    tail++;
  if (tail != NULL && *tail != '\0')
    {
      sqlite3_stmt *next = NULL;

      /* A trailing comment or ';' prepares to nothing and is fine. */
      if (sqlite3_prepare_v2 (db, tail, -1, &next, NULL) != SQLITE_OK || next != NULL)
        {
          sqlite3_finalize (next);
          sqlite3_finalize (stmt);
          g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                       "one statement at a time: \"%.40s\" would not run", tail);
          return NULL;
        }
    }
  /* The database is opened read-only anyway; this names the reason
   * before SQLite's "attempt to write a readonly database". */
  if (!sqlite3_stmt_readonly (stmt))
    {
      sqlite3_finalize (stmt);
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_PERMISSION_DENIED,
                   "queries only read: use SELECT (or WITH ... SELECT) over the tables and views");
      return NULL;
    }
  return stmt;
}

/* Bind the named parameters a query uses; others are left unbound. */
static void
bind_params (sqlite3_stmt *stmt, const WeftReportOptions *options)
{
  int i;

  if ((i = sqlite3_bind_parameter_index (stmt, ":limit")) > 0)
    sqlite3_bind_int64 (stmt, i, options->limit > 0 ? options->limit : -1);
  if ((i = sqlite3_bind_parameter_index (stmt, ":min_blocked_ns")) > 0)
    sqlite3_bind_int64 (stmt, i, options->min_blocked_ns);
}

char *
weft_report_cell_text (sqlite3_stmt *stmt, int c, const char *col, const char *item)
{
  int type = sqlite3_column_type (stmt, c);

  if (type == SQLITE_NULL)
    return g_strdup ("-");
  /* summary rows are (item, value): the item says whether it is a time. */
  if (type == SQLITE_INTEGER && (is_duration_column (col) || (item != NULL && is_duration_column (item))))
    return weft_format_duration (sqlite3_column_int64 (stmt, c));
  if (type == SQLITE_INTEGER && is_bytes_column (col))
    return format_bytes (sqlite3_column_int64 (stmt, c));
  if (type == SQLITE_FLOAT)
    return g_strdup_printf ("%.4g", sqlite3_column_double (stmt, c));
  return g_strdup ((const char *) sqlite3_column_text (stmt, c));
}

char *
weft_report_header_text (const char *col)
{
  /* Times and sizes are shown with units: the suffix would mislead. */
  if (is_duration_column (col))
    return g_strndup (col, strlen (col) - 3);
  if (is_bytes_column (col))
    return g_strndup (col, strlen (col) - 6);
  return g_strdup (col);
}

gboolean
weft_report_statement (WeftStore *store, sqlite3_stmt *stmt, const char *name, gboolean json, gboolean item_rows, GString *out, guint *n_rows, GError **error)
{
  g_autoptr (GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
  g_autofree gboolean *numeric = NULL;
  g_autofree gsize    *width = NULL;
  int                  n_cols, rc;
  guint                count = 0;
  g_return_val_if_fail (store != NULL && stmt != NULL && out != NULL, FALSE);

  n_cols = sqlite3_column_count (stmt);
  numeric = g_new0 (gboolean, n_cols);

  if (json)
    g_string_append (out, "[");
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      const char *item = item_rows ? (const char *) sqlite3_column_text (stmt, 0) : NULL;

      count++;
      if (json)
        {
          g_string_append (out, count == 1 ? "\n  {" : ",\n  {");
          for (int c = 0; c < n_cols; c++)
            {
              const char *col = sqlite3_column_name (stmt, c);

              if (c > 0)
                g_string_append (out, ", ");
              json_string (out, col);
              g_string_append (out, ": ");
              switch (sqlite3_column_type (stmt, c))
                {
                case SQLITE_NULL:
                  g_string_append (out, "null");
                  break;
                case SQLITE_INTEGER:
                  g_string_append_printf (out, "%" G_GINT64_FORMAT, (gint64) sqlite3_column_int64 (stmt, c));
                  break;
                case SQLITE_FLOAT:
                  g_string_append_printf (out, "%.17g", sqlite3_column_double (stmt, c));
                  break;
                default:
                  json_string (out, (const char *) sqlite3_column_text (stmt, c));
                  break;
                }
            }
          g_string_append (out, "}");
          continue;
        }
      {
        char **cells = g_new0 (char *, n_cols + 1);

        for (int c = 0; c < n_cols; c++)
          {
            int type = sqlite3_column_type (stmt, c);

            /* An item row's first cell names its value, as a header does. */
            cells[c] = item != NULL && c == 0 ? weft_report_header_text (item)
                                              : weft_report_cell_text (stmt, c, sqlite3_column_name (stmt, c), item);
            if (type == SQLITE_INTEGER || type == SQLITE_FLOAT)
              numeric[c] = TRUE;
          }
        g_ptr_array_add (rows, cells);
      }
    }
  if (rc != SQLITE_DONE)
    {
      weft_store_set_sqlite_error (error, weft_store_get_db (store), name);
      return FALSE;
    }
  if (n_rows != NULL)
    *n_rows = count;

  if (json)
    {
      g_string_append (out, count > 0 ? "\n]" : "]");
      return TRUE;
    }

  /* Aligned text: numbers right-aligned, the rest left-aligned; widths
   * counted in characters, since names may be UTF-8. */
  width = g_new0 (gsize, n_cols);
  for (int c = 0; c < n_cols; c++)
    {
      g_autofree char *h = weft_report_header_text (sqlite3_column_name (stmt, c));
      width[c] = g_utf8_strlen (h, -1);
    }
  for (guint r = 0; r < rows->len; r++)
    {
      char **cells = rows->pdata[r];
      for (int c = 0; c < n_cols; c++)
        width[c] = MAX (width[c], (gsize) g_utf8_strlen (cells[c], -1));
    }
  for (int row = -1; row < (int) rows->len; row++)
    {
      for (int c = 0; c < n_cols; c++)
        {
          g_autofree char *h = row < 0 ? weft_report_header_text (sqlite3_column_name (stmt, c)) : NULL;
          const char      *text = row < 0 ? h : ((char **) rows->pdata[row])[c];
          gsize            pad = width[c] - (gsize) g_utf8_strlen (text, -1);
          gboolean         right = numeric[c] && row >= 0;

          if (c > 0)
            g_string_append (out, "  ");
          if (right)
            for (gsize i = 0; i < pad; i++)
              g_string_append_c (out, ' ');
          g_string_append (out, text);
          if (!right && c < n_cols - 1)
            for (gsize i = 0; i < pad; i++)
              g_string_append_c (out, ' ');
        }
      g_string_append_c (out, '\n');
    }
  if (rows->len == 0)
    g_string_append (out, "(no rows)\n");
  return TRUE;
}

gboolean
weft_report (WeftStore *store, const char *name, const WeftReportOptions *options, GString *out, guint *n_rows, GError **error)
{
  const Report *report = report_lookup (name);
  gboolean      several;

  g_return_val_if_fail (store != NULL && report != NULL && options != NULL && out != NULL, FALSE);

  several = report->sections[1] != NULL;
  if (options->json && several)
    g_string_append (out, "{");
  for (guint i = 0; report->sections[i] != NULL; i++)
    {
      const char   *query = report->sections[i];
      sqlite3_stmt *stmt = weft_store_prepare_query (store, query, error);
      gboolean      ok;
      guint         count = 0;

      if (stmt == NULL)
        return FALSE;
      bind_params (stmt, options);
      if (several && options->json)
        {
          g_autofree char *key = g_strdelimit (g_strdup (query), "-", '_');

          g_string_append (out, i == 0 ? "\n  " : ",\n  ");
          json_string (out, key);
          g_string_append (out, ": ");
        }
      else if (several)
        g_string_append_printf (out, "%s%s\n", i == 0 ? "" : "\n", report->titles[i]);
      ok = weft_report_statement (store, stmt, query, options->json, strcmp (query, "summary") == 0, out, &count, error);
      sqlite3_finalize (stmt);
      if (!ok)
        return FALSE;
      if (n_rows != NULL)
        *n_rows = count;
    }
  if (options->json)
    g_string_append (out, several ? "\n}\n" : "\n");
  return TRUE;
}
