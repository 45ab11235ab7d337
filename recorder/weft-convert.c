/* weft-convert.c — see weft-convert.h. */
#include "weft-convert.h"

#include "weft-ctf-sink.h"
#include "weft-ingest.h"
#include "weft-lod.h"
#include "weft-symbolize.h"
#include "weft-writer.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>

#ifndef WEFT_VERSION
#define WEFT_VERSION "0.1.0"
#endif

static guint64
tree_size (const char *path)
{
  g_autoptr (GDir) d = g_dir_open (path, 0, NULL);
  const char *name;
  guint64     total = 0;
  GStatBuf    st;

  if (d == NULL)
    return g_stat (path, &st) == 0 ? (guint64) st.st_size : 0;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (path, name, NULL);
      total += tree_size (sub);
    }
  return total;
}

gboolean
weft_convert (const char *ctf_path, const char *out_path, const WeftConvertOptions *options, WeftConvertStats *stats, GError **error)
{
  static const WeftConvertOptions defaults = { 0 };
  g_auto (GStrv) dirs = NULL;
  g_autofree char *tmp = NULL;
  g_autofree char *now = NULL;
  g_autoptr (WeftStore) store = NULL;
  g_autoptr (WeftLodInput) lod_input = NULL;
  g_autoptr (GDateTime) dt = NULL;
  g_autoptr (GError) read_error = NULL;
  WeftConvertStats local = { 0 };
  WeftWriter      *writer;
  WeftIngest      *ingest;
  gint64           t0 = g_get_monotonic_time ();
  gboolean         ok;
  GStatBuf         st;

  g_return_val_if_fail (ctf_path != NULL && out_path != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (options == NULL)
    options = &defaults;
  if (stats == NULL)
    stats = &local;
  memset (stats, 0, sizeof *stats);

  dirs = weft_ctf_find_traces (ctf_path, error);
  if (dirs == NULL)
    return FALSE;
  for (guint i = 0; dirs[i] != NULL; i++)
    stats->ctf_bytes += tree_size (dirs[i]);

  tmp = g_strconcat (out_path, ".partial", NULL);
  g_unlink (tmp);
  store = weft_store_create (tmp, WEFT_STORE_CREATE_BULK, error);
  if (store == NULL)
    return FALSE;
  /* The level of detail reads the state intervals from a record the
   * writer makes as it goes (weft-lod-input.h), not back from SQLite. */
  if ((lod_input = weft_lod_input_new (error)) == NULL)
    goto fail;
  writer = weft_writer_new (store, !options->single_thread, error);
  if (writer == NULL)
    goto fail;
  weft_writer_set_lod_input (writer, lod_input);
  ingest = weft_ingest_new (writer);
  weft_ingest_set_meta (ingest, "source", ctf_path);
  weft_ingest_set_meta (ingest, "program", options->program);
  weft_ingest_set_meta (ingest, "recorder_version", WEFT_VERSION);
  weft_ingest_set_meta (ingest, "clock", "monotonic");
  dt = g_date_time_new_now_local ();
  now = g_date_time_format_iso8601 (dt);
  weft_ingest_set_meta (ingest, "converted_at", now);

  ok = weft_ctf_read ((const char *const *) dirs, ingest, writer, &read_error);
  if (ok)
    weft_ingest_finish (ingest);
  stats->events = weft_ingest_get_events (ingest);
  stats->lost_events = weft_ingest_get_lost_events (ingest);
  stats->inconsistencies = weft_ingest_get_inconsistencies (ingest);
  weft_ingest_free (ingest);
  /* The writer's failure explains a cancelled read: report it first. */
  if (!weft_writer_close (writer, &stats->rows, error))
    goto fail;
  if (!ok)
    {
      g_propagate_error (error, g_steal_pointer (&read_error));
      goto fail;
    }
  stats->read_seconds = (g_get_monotonic_time () - t0) / 1e6;

  if (!options->no_symbols)
    {
      g_autoptr (GError) sym_error = NULL;

      /* Symbols are a convenience: a trace without them is still useful. */
      if (!weft_symbolize (store, &stats->symbols_resolved, &stats->symbols_unresolved, &sym_error))
        {
          g_warning ("symbolisation failed: %s", sym_error->message);
          weft_store_set_meta_text (store, "symbolizer_error", sym_error->message, NULL);
        }
      if (!weft_store_set_meta_text (store, "symbolizer", "addr2line (binutils), one batch per object", error)
          || !weft_store_set_meta_int (store, "symbolized_pcs", stats->symbols_resolved, error)
          || !weft_store_set_meta_int (store, "unsymbolized_pcs", stats->symbols_unresolved, error))
        goto fail;
    }
  /* The indexes, and the timeline's level of detail beside them. */
  if (!weft_lod_finish_load (store, lod_input, error))
    goto fail;
  g_clear_pointer (&store, weft_store_free);
  if (g_rename (tmp, out_path) != 0)
    {
      int saved = errno;
      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved), "cannot rename %s to %s: %s", tmp, out_path,
                   g_strerror (saved));
      g_unlink (tmp);
      return FALSE;
    }
  if (g_stat (out_path, &st) == 0)
    stats->db_bytes = (guint64) st.st_size;
  stats->total_seconds = (g_get_monotonic_time () - t0) / 1e6;
  return TRUE;

fail:
  g_clear_pointer (&store, weft_store_free);
  g_unlink (tmp);
  return FALSE;
}
