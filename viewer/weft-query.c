/* weft-query.c — see weft-query.h.
 *
 * The query is one of the shared SQL files of schema/ (the same the `weft
 * report` commands print), so the viewer and the CLI cannot disagree.
 * Cells are formatted here, on the worker thread, as the reports format
 * them, so that binding a row to a widget is only setting text.
 */
#include "weft-query.h"

#include "weft-report.h"
#include "weft-store.h"

#include <math.h>
#include <string.h>

struct _WeftQueryRow
{
  GObject parent_instance;
  guint   n;
  char  **shown; /* formatted cells */
  char  **raw;   /* raw text of the cells ("" for NULL) */
  double *value; /* numeric value, NAN for text and NULL */
};

G_DEFINE_FINAL_TYPE (WeftQueryRow, weft_query_row, G_TYPE_OBJECT)

static void
weft_query_row_finalize (GObject *object)
{
  WeftQueryRow *self = WEFT_QUERY_ROW (object);

  g_strfreev (self->shown);
  g_strfreev (self->raw);
  g_free (self->value);
  G_OBJECT_CLASS (weft_query_row_parent_class)->finalize (object);
}

static void
weft_query_row_class_init (WeftQueryRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = weft_query_row_finalize;
}

static void
weft_query_row_init (WeftQueryRow *self)
{
}

const char *
weft_query_row_get_text (WeftQueryRow *self, guint column)
{
  g_return_val_if_fail (WEFT_IS_QUERY_ROW (self) && column < self->n, NULL);
  return self->shown[column];
}

const char *
weft_query_row_get_raw (WeftQueryRow *self, guint column)
{
  g_return_val_if_fail (WEFT_IS_QUERY_ROW (self) && column < self->n, NULL);
  return self->raw[column];
}

double
weft_query_row_get_value (WeftQueryRow *self, guint column)
{
  g_return_val_if_fail (WEFT_IS_QUERY_ROW (self) && column < self->n, NAN);
  return self->value[column];
}

/* ------------------------------------------------------------------ results */

void
weft_query_result_free (WeftQueryResult *result)
{
  if (result == NULL)
    return;
  g_strfreev (result->columns);
  g_ptr_array_unref (result->rows);
  g_free (result);
}

int
weft_query_result_column (const WeftQueryResult *result, const char *name)
{
  g_return_val_if_fail (result != NULL && name != NULL, -1);

  for (guint c = 0; c < result->n_columns; c++)
    if (strcmp (result->columns[c], name) == 0)
      return (int) c;
  return -1;
}

const char *
weft_query_result_item (const WeftQueryResult *result, const char *item)
{
  g_return_val_if_fail (result != NULL && item != NULL, NULL);

  if (result->n_columns < 2)
    return NULL;
  for (guint i = 0; i < result->rows->len; i++)
    {
      WeftQueryRow *row = g_ptr_array_index (result->rows, i);

      if (strcmp (row->raw[0], item) == 0)
        return row->raw[1];
    }
  return NULL;
}

GHashTable *
weft_query_params_new (void)
{
  return g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
}

void
weft_query_params_set (GHashTable *params, const char *name, gint64 value)
{
  g_return_if_fail (params != NULL && name != NULL && name[0] == ':');
  g_hash_table_insert (params, g_strdup (name), g_memdup2 (&value, sizeof value));
}

static GHashTable *
params_copy (GHashTable *params)
{
  GHashTable    *copy = weft_query_params_new ();
  GHashTableIter iter;
  gpointer       key, value;

  if (params == NULL)
    return copy;
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    weft_query_params_set (copy, key, *(gint64 *) value);
  return copy;
}

/* ------------------------------------------------------------------ running */

/* Interrupts the statement once its view has moved on. */
static int
progress_cancelled (void *data)
{
  return g_cancellable_is_cancelled (data);
}

static void
bind_params (sqlite3_stmt *stmt, GHashTable *params)
{
  GHashTableIter iter;
  gpointer       key, value;
  int            i;

  if ((i = sqlite3_bind_parameter_index (stmt, ":limit")) > 0)
    sqlite3_bind_int64 (stmt, i, -1);
  if ((i = sqlite3_bind_parameter_index (stmt, ":min_blocked_ns")) > 0)
    sqlite3_bind_int64 (stmt, i, 0);
  if (params == NULL)
    return;
  g_hash_table_iter_init (&iter, params);
  while (g_hash_table_iter_next (&iter, &key, &value))
    if ((i = sqlite3_bind_parameter_index (stmt, key)) > 0)
      sqlite3_bind_int64 (stmt, i, *(gint64 *) value);
}

WeftQueryResult *
weft_query_run (const char *path, const char *query, GHashTable *params, GCancellable *cancellable, GError **error)
{
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (WeftQueryResult) r = NULL;
  sqlite3_stmt *stmt;
  int           rc;

  g_return_val_if_fail (path != NULL && query != NULL, NULL);

  if ((store = weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, error)) == NULL)
    return NULL;
  if ((stmt = weft_store_prepare_query (store, query, error)) == NULL)
    return NULL;
  if (cancellable != NULL)
    sqlite3_progress_handler (weft_store_get_db (store), 10000, progress_cancelled, cancellable);
  bind_params (stmt, params);

  r = g_new0 (WeftQueryResult, 1);
  r->n_columns = (guint) sqlite3_column_count (stmt);
  r->columns = g_new0 (char *, r->n_columns + 1);
  for (guint c = 0; c < r->n_columns; c++)
    r->columns[c] = g_strdup (sqlite3_column_name (stmt, (int) c));
  r->rows = g_ptr_array_new_with_free_func (g_object_unref);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      WeftQueryRow *row = g_object_new (WEFT_TYPE_QUERY_ROW, NULL);
      /* Queries of (item, value) rows: the item says how to show the value. */
      const char *item = strcmp (r->columns[0], "item") == 0 ? (const char *) sqlite3_column_text (stmt, 0) : NULL;

      row->n = r->n_columns;
      row->shown = g_new0 (char *, row->n + 1);
      row->raw = g_new0 (char *, row->n + 1);
      row->value = g_new (double, row->n);
      for (guint c = 0; c < row->n; c++)
        {
          int type = sqlite3_column_type (stmt, (int) c);

          row->shown[c] = weft_report_cell_text (stmt, (int) c, r->columns[c], item);
          row->raw[c] = g_strdup (type == SQLITE_NULL ? "" : (const char *) sqlite3_column_text (stmt, (int) c));
          row->value[c] = type == SQLITE_INTEGER || type == SQLITE_FLOAT ? sqlite3_column_double (stmt, (int) c) : NAN;
        }
      g_ptr_array_add (r->rows, row);
    }
  if (rc != SQLITE_DONE)
    {
      if (!g_cancellable_set_error_if_cancelled (cancellable, error))
        weft_store_set_sqlite_error (error, weft_store_get_db (store), query);
      sqlite3_finalize (stmt);
      return NULL;
    }
  sqlite3_finalize (stmt);
  return g_steal_pointer (&r);
}

typedef struct
{
  char       *path, *query;
  GHashTable *params;
} Job;

static void
job_free (Job *job)
{
  g_free (job->path);
  g_free (job->query);
  g_hash_table_unref (job->params);
  g_free (job);
}

static void
run_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const Job       *job = data;
  GError          *error = NULL;
  WeftQueryResult *r = weft_query_run (job->path, job->query, job->params, cancellable, &error);

  if (r == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, r, (GDestroyNotify) weft_query_result_free);
}

void
weft_query_run_async (const char         *path,
                      const char         *query,
                      GHashTable         *params,
                      GCancellable       *cancellable,
                      GAsyncReadyCallback callback,
                      gpointer            user_data)
{
  g_autoptr (GTask) task = NULL;
  Job *job;

  g_return_if_fail (path != NULL && query != NULL);

  job = g_new0 (Job, 1);
  job->path = g_strdup (path);
  job->query = g_strdup (query);
  job->params = params_copy (params);
  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, weft_query_run_async);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, run_thread);
}

WeftQueryResult *
weft_query_run_finish (GAsyncResult *result, GError **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);

  /* The task checks its cancellable: a view that moved on gets
   * G_IO_ERROR_CANCELLED, never stale rows. */
  return g_task_propagate_pointer (G_TASK (result), error);
}
