/* weft-ctf-sink.c — babeltrace2 glue. See weft-ctf-sink.h. */
#include "weft-ctf-sink.h"

#include <babeltrace2/babeltrace.h>
#include <string.h>

G_DEFINE_QUARK (weft - ctf - error - quark, weft_ctf_error)

/* How one event class maps onto a WeftEventSpec, resolved on first sight. */
typedef struct
{
  WeftEventType        type;
  const WeftEventSpec *spec;
  int                  member[16]; /* payload member index per spec field, -1: absent */
  gboolean             is_signed[16];
  gboolean             incomplete;
  /* The stream's clock (NULL: its events have no time); also converts
   * go_status's wait_since. */
  const bt_clock_class *clock;
} ClassInfo;

#define CLASS_CACHE 64

/* One stream of the traces (an output port of a source.ctf.fs): its
 * iterator and the batch of messages it gave last. */
typedef struct
{
  bt_message_iterator   *iter;
  bt_message_array_const msgs;
  uint64_t               count, next; /* msgs[next..count) not handled yet */
  gint64                 head_ns;     /* msgs[next]'s time (message_time()) */
  guint                  index;       /* its port's: orders equal times */
} Upstream;

typedef struct
{
  WeftIngest *ingest;
  WeftWriter *writer;
  /* The streams, merged in time order here rather than by a
   * filter.utils.muxer: the muxer's queue of every message, and the extra
   * iterator between it and us, were a tenth of the reading thread. */
  Upstream   *upstreams; /* [n_upstreams] */
  guint       n_upstreams;
  Upstream  **heap; /* streams with messages in hand, a min-heap by head_ns */
  guint       heap_len;
  Upstream  **empty; /* streams whose batch is used up, to ask for more */
  guint       n_empty;
  GHashTable *classes; /* const bt_event_class * -> ClassInfo */
  /* In front of classes, direct-mapped by the class's address: events of
   * a few classes interleave (ping-pong: go_switch, go_unblock), and a
   * hash look-up per event was 3 % of the reading thread. */
  struct
  {
    const bt_event_class *ec;
    ClassInfo            *info;
  } class_cache[CLASS_CACHE];
  GHashTable *traces; /* const bt_trace * whose environment was read */
  guint64     weft_events;
  GError     *error;
  WeftEvent   ev; /* scratch: big (the stack sequence) */
} SinkData;

/* ------------------------------------------------------------------ finding traces */

static void
find_metadata (const char *dir, GPtrArray *out, int depth)
{
  g_autoptr (GDir) d = NULL;
  g_autofree char *meta = g_build_filename (dir, "metadata", NULL);
  const char      *name;

  if (g_file_test (meta, G_FILE_TEST_IS_REGULAR))
    {
      g_ptr_array_add (out, g_strdup (dir));
      return;
    }
  /* LTTng output roots are a few levels deep (ust/uid/0/64-bit); the bound
   * keeps a wrong argument like / from walking the whole disk. */
  if (depth > 8 || (d = g_dir_open (dir, 0, NULL)) == NULL)
    return;
  while ((name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *sub = g_build_filename (dir, name, NULL);

      if (g_file_test (sub, G_FILE_TEST_IS_DIR) && !g_file_test (sub, G_FILE_TEST_IS_SYMLINK))
        find_metadata (sub, out, depth + 1);
    }
}

static int
compare_str (gconstpointer a, gconstpointer b)
{
  return strcmp (*(char *const *) a, *(char *const *) b);
}

/* Returns the CTF folders (those holding a `metadata` file) at or under
 * @path, sorted. */
GStrv
weft_ctf_find_traces (const char *path, GError **error)
{
  g_autoptr (GPtrArray) out = g_ptr_array_new_with_free_func (g_free);

  g_return_val_if_fail (path != NULL, NULL);

  if (!g_file_test (path, G_FILE_TEST_IS_DIR))
    {
      g_set_error (error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_NO_TRACE, "%s: %s", path,
                   g_file_test (path, G_FILE_TEST_EXISTS) ? "not a directory (give the CTF trace's folder)"
                                                          : "no such directory");
      return NULL;
    }
  find_metadata (path, out, 0);
  if (out->len == 0)
    {
      g_set_error (error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_NO_TRACE, "%s: no CTF trace (no `metadata` file) in it",
                   path);
      return NULL;
    }
  g_ptr_array_sort (out, compare_str);
  g_ptr_array_add (out, NULL);
  return (GStrv) g_ptr_array_free (g_steal_pointer (&out), FALSE);
}

/* ------------------------------------------------------------------ errors */

/* Turns babeltrace2's error causes of this thread into @error. */
static void
take_bt_error (GError **error, WeftCtfError code, const char *what)
{
  const bt_error *err = bt_current_thread_take_error ();
  g_autoptr (GString) msg = g_string_new (what);

  if (err != NULL)
    {
      guint64 n = bt_error_get_cause_count (err);
      guint   shown = 0;

      /* The most recent cause comes first; the oldest is the root. Keep a
       * few, the root cause last, as babeltrace2's CLI does. */
      for (guint64 i = 0; i < n && shown < 4; i++)
        {
          const bt_error_cause *cause = bt_error_borrow_cause_by_index (err, i);
          g_autofree char      *text = g_strstrip (g_strdup (bt_error_cause_get_message (cause)));

          /* The graph's generic causes repeat component addresses and
           * class descriptions: noise for a user. */
          if (strstr (text, "comp-addr=") != NULL || strstr (text, "status=ERROR") != NULL)
            continue;
          g_string_append_printf (msg, "%s%s", shown++ == 0 ? ": " : "; caused by: ", text);
        }
      bt_error_release (err);
    }
  g_set_error_literal (error, WEFT_CTF_ERROR, code, msg->str);
}

/* ------------------------------------------------------------------ event classes */

static void
class_info_free (gpointer data)
{
  g_free (data);
}

static ClassInfo *
resolve_class (SinkData *data, const bt_event_class *ec)
{
  ClassInfo             *info = g_new0 (ClassInfo, 1);
  const char            *name = bt_event_class_get_name (ec);
  const bt_field_class  *payload = bt_event_class_borrow_payload_field_class_const (ec);
  const bt_stream_class *sc = bt_event_class_borrow_stream_class_const (ec);

  info->type = name != NULL ? weft_event_type_from_name (name) : WEFT_EV_UNKNOWN;
  info->clock = bt_stream_class_borrow_default_clock_class_const (sc);
  if (info->type != WEFT_EV_UNKNOWN)
    {
      guint64 n = payload != NULL ? bt_field_class_structure_get_member_count (payload) : 0;

      info->spec = weft_event_spec (info->type);
      for (guint k = 0; k < info->spec->n_fields; k++)
        {
          const WeftFieldSpec *fs = &info->spec->fields[k];

          info->member[k] = -1;
          for (guint64 i = 0; i < n; i++)
            {
              const bt_field_class_structure_member *mem
                  = bt_field_class_structure_borrow_member_by_index_const (payload, i);
              const bt_field_class *fc = bt_field_class_structure_member_borrow_field_class_const (mem);
              bt_field_class_type   t = bt_field_class_get_type (fc);
              gboolean              ok;

              if (strcmp (bt_field_class_structure_member_get_name (mem), fs->name) != 0)
                continue;
              switch (fs->kind)
                {
                case WEFT_FIELD_INT:
                  ok = bt_field_class_type_is (t, BT_FIELD_CLASS_TYPE_INTEGER);
                  info->is_signed[k] = bt_field_class_type_is (t, BT_FIELD_CLASS_TYPE_SIGNED_INTEGER);
                  break;
                case WEFT_FIELD_STRING:
                  ok = bt_field_class_type_is (t, BT_FIELD_CLASS_TYPE_STRING);
                  break;
                case WEFT_FIELD_SEQUENCE:
                  ok = bt_field_class_type_is (t, BT_FIELD_CLASS_TYPE_ARRAY)
                       && bt_field_class_type_is (
                           bt_field_class_get_type (bt_field_class_array_borrow_element_field_class_const (fc)),
                           BT_FIELD_CLASS_TYPE_UNSIGNED_INTEGER);
                  break;
                default:
                  ok = FALSE;
                }
              /* A field of an unexpected type is treated as absent rather
               * than read wrongly. */
              if (ok)
                info->member[k] = (int) i;
              break;
            }
          if (info->member[k] < 0)
            info->incomplete = TRUE;
        }
    }
  g_hash_table_insert (data->classes, (gpointer) ec, info);
  return info;
}

/* ------------------------------------------------------------------ messages */

static void
read_environment (SinkData *data, const bt_stream *stream)
{
  const bt_trace *trace = bt_stream_borrow_trace_const (stream);
  static const struct
  {
    const char *env, *meta;
  } keys[] = {
    { "hostname", "hostname" },
    { "procname", "program" },
    { "tracer_name", "tracer" },
    { "domain", "domain" },
  };

  if (g_hash_table_contains (data->traces, trace))
    return;
  g_hash_table_add (data->traces, (gpointer) trace);
  for (guint i = 0; i < G_N_ELEMENTS (keys); i++)
    {
      const bt_value *v = bt_trace_borrow_environment_entry_value_by_name_const (trace, keys[i].env);

      if (v != NULL && bt_value_get_type (v) == BT_VALUE_TYPE_STRING)
        weft_ingest_set_meta (data->ingest, keys[i].meta, bt_value_string_get (v));
    }
}

/* @time_ns: message_time (@msg). */
static void
on_event (SinkData *data, const bt_message *msg, gint64 time_ns)
{
  const bt_event       *event = bt_message_event_borrow_event_const (msg);
  const bt_event_class *ec = bt_event_borrow_class_const (event);
  guint                 slot = (guint) (GPOINTER_TO_SIZE (ec) >> 6) & (CLASS_CACHE - 1);
  ClassInfo            *info;
  WeftEvent            *ev = &data->ev;
  const bt_field       *payload;
  gint64                ts = 0;
  guint                 ni = 0, ns = 0;

  if (G_LIKELY (data->class_cache[slot].ec == ec))
    info = data->class_cache[slot].info;
  else
    {
      info = g_hash_table_lookup (data->classes, ec);
      if (info == NULL)
        info = resolve_class (data, ec);
      data->class_cache[slot].ec = ec;
      data->class_cache[slot].info = info;
    }
  if (info->clock != NULL)
    ts = time_ns;
  if (info->type == WEFT_EV_UNKNOWN)
    {
      weft_ingest_unknown_event (data->ingest, ts);
      return;
    }
  ev->type = info->type;
  ev->ts = ts;
  ev->n_seq = 0;
  ev->incomplete = info->incomplete;
  ev->wait_since_valid = FALSE;
  payload = bt_event_borrow_payload_field_const (event);
  for (guint k = 0; k < info->spec->n_fields; k++)
    {
      const bt_field *f = info->member[k] >= 0 && payload != NULL
                              ? bt_field_structure_borrow_member_field_by_index_const (payload, info->member[k])
                              : NULL;

      switch (info->spec->fields[k].kind)
        {
        case WEFT_FIELD_INT:
          if (f == NULL)
            ev->f[ni] = 0;
          else if (info->is_signed[k])
            ev->f[ni] = (guint64) bt_field_integer_signed_get_value (f);
          else
            ev->f[ni] = bt_field_integer_unsigned_get_value (f);
          ni++;
          break;
        case WEFT_FIELD_STRING:
          ev->s[ns++] = f != NULL ? bt_field_string_get_value (f) : "";
          break;
        case WEFT_FIELD_SEQUENCE:
          if (f != NULL)
            {
              guint64 n = MIN (bt_field_array_get_length (f), (guint64) WEFT_EVENT_MAX_SEQ);

              for (guint64 i = 0; i < n; i++)
                ev->seq[i] = bt_field_integer_unsigned_get_value (bt_field_array_borrow_element_field_by_index_const (f, i));
              ev->n_seq = (guint) n;
            }
          break;
        default:
          break;
        }
    }
  if (info->type == WEFT_EV_GO_STATUS && info->clock != NULL
      && bt_clock_class_get_frequency (info->clock) == G_GUINT64_CONSTANT (1000000000))
    {
      /* wait_since is CLOCK_MONOTONIC ns, as LTTng's clock counts: convert
       * it like one of the clock's own values. */
      int64_t ns_from_origin;

      if (bt_clock_class_cycles_to_ns_from_origin (info->clock, ev->f[GO_STATUS_WAIT_SINCE], &ns_from_origin)
          == BT_CLOCK_CLASS_CYCLES_TO_NS_FROM_ORIGIN_STATUS_OK)
        {
          ev->wait_since_valid = TRUE;
          ev->wait_since_ns = ns_from_origin;
        }
    }
  data->weft_events++;
  weft_ingest_event (data->ingest, ev);
}

static void
on_discarded (SinkData *data, const bt_message *msg, gboolean packets)
{
  const bt_stream         *stream = packets ? bt_message_discarded_packets_borrow_stream_const (msg)
                                            : bt_message_discarded_events_borrow_stream_const (msg);
  const bt_stream_class   *sc = bt_stream_borrow_class_const (stream);
  const bt_clock_snapshot *begin = NULL, *end = NULL;
  int64_t                  b = 0, e = 0;
  uint64_t                 count = 0;
  gboolean                 has_range = FALSE, has_count;

  if (packets ? bt_stream_class_discarded_packets_have_default_clock_snapshots (sc)
              : bt_stream_class_discarded_events_have_default_clock_snapshots (sc))
    {
      begin = packets ? bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const (msg)
                      : bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const (msg);
      end = packets ? bt_message_discarded_packets_borrow_end_default_clock_snapshot_const (msg)
                    : bt_message_discarded_events_borrow_end_default_clock_snapshot_const (msg);
      has_range = bt_clock_snapshot_get_ns_from_origin (begin, &b) == BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK
                  && bt_clock_snapshot_get_ns_from_origin (end, &e) == BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK;
    }
  has_count = (packets ? bt_message_discarded_packets_get_count (msg, &count)
                       : bt_message_discarded_events_get_count (msg, &count))
              == BT_PROPERTY_AVAILABILITY_AVAILABLE;
  weft_ingest_lost (data->ingest, packets, (gint64) bt_stream_get_id (stream), bt_stream_get_name (stream), has_range,
                    b, e, has_count, count);
}

/* ------------------------------------------------------------------ the sink component class */

/* When @msg happened, in ns from its clock's origin, for the merge of the
 * streams: the time of an event, or of the start of a discarded range
 * (as filter.utils.muxer orders them). Other messages, and messages
 * without a clock, go first (G_MININT64): nothing in them depends on the
 * events around them. */
static gint64
message_time (const bt_message *msg)
{
  const bt_clock_snapshot *snapshot;
  const bt_stream         *stream;
  int64_t                  ns = 0;

  switch (bt_message_get_type (msg))
    {
    case BT_MESSAGE_TYPE_EVENT:
      if (bt_message_event_borrow_stream_class_default_clock_class_const (msg) == NULL)
        return G_MININT64;
      snapshot = bt_message_event_borrow_default_clock_snapshot_const (msg);
      break;
    case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
      stream = bt_message_discarded_events_borrow_stream_const (msg);
      if (!bt_stream_class_discarded_events_have_default_clock_snapshots (bt_stream_borrow_class_const (stream)))
        return G_MININT64;
      snapshot = bt_message_discarded_events_borrow_beginning_default_clock_snapshot_const (msg);
      break;
    case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
      stream = bt_message_discarded_packets_borrow_stream_const (msg);
      if (!bt_stream_class_discarded_packets_have_default_clock_snapshots (bt_stream_borrow_class_const (stream)))
        return G_MININT64;
      snapshot = bt_message_discarded_packets_borrow_beginning_default_clock_snapshot_const (msg);
      break;
    default:
      return G_MININT64;
    }
  /* Out of range (a clock offset far from its origin): as babeltrace2
   * would show it, at 0. */
  if (bt_clock_snapshot_get_ns_from_origin (snapshot, &ns) != BT_CLOCK_SNAPSHOT_GET_NS_FROM_ORIGIN_STATUS_OK)
    ns = 0;
  return ns;
}

static void
handle_message (SinkData *data, const bt_message *msg, gint64 ns)
{
  switch (bt_message_get_type (msg))
    {
    case BT_MESSAGE_TYPE_EVENT:
      on_event (data, msg, ns);
      break;
    case BT_MESSAGE_TYPE_DISCARDED_EVENTS:
      on_discarded (data, msg, FALSE);
      break;
    case BT_MESSAGE_TYPE_DISCARDED_PACKETS:
      on_discarded (data, msg, TRUE);
      break;
    case BT_MESSAGE_TYPE_STREAM_BEGINNING:
      read_environment (data, bt_message_stream_beginning_borrow_stream_const (msg));
      break;
    default:
      break;
    }
}

/* The heap's order: by time, then by port, so that a trace always reads
 * the same. */
static inline gboolean
earlier (const Upstream *a, const Upstream *b)
{
  return a->head_ns < b->head_ns || (a->head_ns == b->head_ns && a->index < b->index);
}

/* Moves heap[i] down to its place. */
static void
heap_sift_down (SinkData *data, guint i)
{
  Upstream **h = data->heap;
  Upstream  *u = h[i];

  for (;;)
    {
      guint c = 2 * i + 1;

      if (c >= data->heap_len)
        break;
      if (c + 1 < data->heap_len && earlier (h[c + 1], h[c]))
        c++;
      if (!earlier (h[c], u))
        break;
      h[i] = h[c];
      i = c;
    }
  h[i] = u;
}

static void
heap_push (SinkData *data, Upstream *u)
{
  Upstream **h = data->heap;
  guint      i = data->heap_len++;

  for (; i > 0 && earlier (u, h[(i - 1) / 2]); i = (i - 1) / 2)
    h[i] = h[(i - 1) / 2];
  h[i] = u;
}

/* Asks the streams whose batch is used up for their next one, which puts
 * them back in the heap (or drops them at their end). Every stream must
 * have messages in hand, or have ended, before the next message can be
 * chosen. */
static bt_component_class_sink_consume_method_status
refill (SinkData *data)
{
  while (data->n_empty > 0)
    {
      Upstream *u = data->empty[data->n_empty - 1];

      switch (bt_message_iterator_next (u->iter, &u->msgs, &u->count))
        {
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_OK:
          u->next = 0;
          u->head_ns = message_time (u->msgs[0]);
          heap_push (data, u);
          break;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_END:
          g_clear_pointer (&u->iter, bt_message_iterator_put_ref);
          break;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_AGAIN:
          return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_AGAIN;
        case BT_MESSAGE_ITERATOR_NEXT_STATUS_MEMORY_ERROR:
          return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_MEMORY_ERROR;
        default:
          return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
        }
      data->n_empty--;
    }
  return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK;
}

/* Messages handled per call, between two looks at the writer. */
#define CONSUME_BATCH 4096

static bt_component_class_sink_consume_method_status
sink_consume (bt_self_component_sink *self)
{
  SinkData                                     *data = bt_self_component_get_data (bt_self_component_sink_as_self_component (self));
  bt_component_class_sink_consume_method_status st = refill (data);

  if (st != BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK)
    return st;
  if (data->heap_len == 0)
    return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_END;
  /* The earliest message of all streams, until one stream's batch is
   * used up (it must be refilled before the next choice). */
  for (guint n = 0; n < CONSUME_BATCH; n++)
    {
      Upstream         *u = data->heap[0];
      const bt_message *msg = u->msgs[u->next++];

      handle_message (data, msg, u->head_ns);
      bt_message_put_ref (msg);
      if (u->next == u->count)
        {
          data->heap[0] = data->heap[--data->heap_len];
          if (data->heap_len > 0)
            heap_sift_down (data, 0);
          data->empty[data->n_empty++] = u;
          break;
        }
      u->head_ns = message_time (u->msgs[u->next]);
      heap_sift_down (data, 0);
    }
  if (data->writer != NULL && weft_writer_failed (data->writer))
    {
      /* Stop reading; the writer's own error is what the caller reports. */
      if (data->error == NULL)
        g_set_error_literal (&data->error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_CANCELLED, "the database writer failed");
      return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_ERROR;
    }
  return BT_COMPONENT_CLASS_SINK_CONSUME_METHOD_STATUS_OK;
}

static bt_component_class_initialize_method_status
sink_initialize (bt_self_component_sink *self, bt_self_component_sink_configuration *config, const bt_value *params, void *init_data)
{
  SinkData *data = init_data;

  bt_self_component_set_data (bt_self_component_sink_as_self_component (self), data);
  /* A port per stream, named after it as babeltrace2 names ports. */
  for (guint i = 0; i < data->n_upstreams; i++)
    {
      char name[32];

      g_snprintf (name, sizeof name, "in%u", i);
      if (bt_self_component_sink_add_input_port (self, name, NULL, NULL) != BT_SELF_COMPONENT_ADD_PORT_STATUS_OK)
        return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_MEMORY_ERROR;
    }
  return BT_COMPONENT_CLASS_INITIALIZE_METHOD_STATUS_OK;
}

static bt_component_class_sink_graph_is_configured_method_status
sink_graph_is_configured (bt_self_component_sink *self)
{
  SinkData *data = bt_self_component_get_data (bt_self_component_sink_as_self_component (self));

  for (guint i = 0; i < data->n_upstreams; i++)
    {
      bt_self_component_port_input *port = bt_self_component_sink_borrow_input_port_by_index (self, i);
      Upstream                     *u = &data->upstreams[i];

      if (bt_message_iterator_create_from_sink_component (self, port, &u->iter)
          != BT_MESSAGE_ITERATOR_CREATE_FROM_SINK_COMPONENT_STATUS_OK)
        return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_ERROR;
      u->index = i;
      data->empty[data->n_empty++] = u;
    }
  return BT_COMPONENT_CLASS_SINK_GRAPH_IS_CONFIGURED_METHOD_STATUS_OK;
}

static void
sink_finalize (bt_self_component_sink *self)
{
  SinkData *data = bt_self_component_get_data (bt_self_component_sink_as_self_component (self));

  /* Messages still in hand (a failed read) belong to their iterator's
   * batch: released first. */
  for (guint i = 0; data != NULL && i < data->n_upstreams; i++)
    {
      Upstream *u = &data->upstreams[i];

      for (; u->next < u->count; u->next++)
        bt_message_put_ref (u->msgs[u->next]);
      g_clear_pointer (&u->iter, bt_message_iterator_put_ref);
    }
}

/* ------------------------------------------------------------------ the graph */

static const bt_plugin *
find_plugin (const char *name, GError **error)
{
  const bt_plugin *plugin = NULL;

  /* Not failing on load errors: a broken unrelated plugin (Python ones)
   * must not stop us. */
  if (bt_plugin_find (name, BT_TRUE, BT_TRUE, BT_TRUE, BT_TRUE, BT_FALSE, &plugin) != BT_PLUGIN_FIND_STATUS_OK)
    {
      bt_current_thread_clear_error ();
      g_set_error (error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_PLUGIN,
                   "babeltrace2 plugin \"%s\" not found (Debian: install babeltrace2)", name);
      return NULL;
    }
  return plugin;
}

/* Adds a source.ctf.fs per folder of @dirs to @graph, their output
 * ports to @outs. */
static gboolean
add_sources (bt_graph *graph, const bt_component_class_source *fs_cls, const char *const *dirs, GPtrArray *outs, GError **error)
{
  for (guint i = 0; dirs[i] != NULL; i++)
    {
      g_autofree char              *name = g_strdup_printf ("ctf%u", i);
      const bt_component_source    *src = NULL;
      bt_value                     *params = bt_value_map_create ();
      bt_value                     *inputs = NULL;
      bt_graph_add_component_status st;

      if (params == NULL || bt_value_map_insert_empty_array_entry (params, "inputs", &inputs) != BT_VALUE_MAP_INSERT_ENTRY_STATUS_OK
          || bt_value_array_append_string_element (inputs, dirs[i]) != BT_VALUE_ARRAY_APPEND_ELEMENT_STATUS_OK)
        {
          bt_value_put_ref (params);
          take_bt_error (error, WEFT_CTF_ERROR_READ, "cannot set up the babeltrace2 graph");
          return FALSE;
        }
      /* Source initialisation reads the metadata: a broken one fails here. */
      st = bt_graph_add_source_component (graph, fs_cls, name, params, BT_LOGGING_LEVEL_NONE, &src);
      bt_value_put_ref (params);
      if (st != BT_GRAPH_ADD_COMPONENT_STATUS_OK)
        {
          g_autofree char *what = g_strdup_printf ("cannot read the CTF trace %s", dirs[i]);
          take_bt_error (error, WEFT_CTF_ERROR_READ, what);
          return FALSE;
        }
      for (guint64 p = 0; p < bt_component_source_get_output_port_count (src); p++)
        g_ptr_array_add (outs, (gpointer) bt_component_source_borrow_output_port_by_index_const (src, p));
    }
  return TRUE;
}

static bt_graph *
build_graph (const char *const *dirs, SinkData *data, GError **error)
{
  g_autoptr (GPtrArray) plugins = g_ptr_array_new_with_free_func ((GDestroyNotify) bt_plugin_put_ref);
  g_autoptr (GPtrArray) outs = g_ptr_array_new ();
  const bt_plugin                 *ctf;
  const bt_component_class_source *fs_cls;
  bt_component_class_sink         *sink_cls = NULL;
  const bt_component_sink         *sink = NULL;
  bt_graph                        *graph;

  if ((ctf = find_plugin ("ctf", error)) == NULL)
    return NULL;
  g_ptr_array_add (plugins, (gpointer) ctf);
  fs_cls = bt_plugin_borrow_source_component_class_by_name_const (ctf, "fs");
  if (fs_cls == NULL)
    {
      g_set_error_literal (error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_PLUGIN, "babeltrace2 lacks source.ctf.fs");
      return NULL;
    }

  graph = bt_graph_create (0);
  if (graph == NULL)
    {
      take_bt_error (error, WEFT_CTF_ERROR_READ, "cannot create a babeltrace2 graph");
      return NULL;
    }
  if (!add_sources (graph, fs_cls, dirs, outs, error))
    {
      bt_graph_put_ref (graph);
      return NULL;
    }
  data->n_upstreams = outs->len;
  data->upstreams = g_new0 (Upstream, outs->len);
  data->heap = g_new (Upstream *, outs->len);
  data->empty = g_new (Upstream *, outs->len);

  sink_cls = bt_component_class_sink_create ("weft", sink_consume);
  if (sink_cls == NULL
      || bt_component_class_sink_set_initialize_method (sink_cls, sink_initialize) != BT_COMPONENT_CLASS_SET_METHOD_STATUS_OK
      || bt_component_class_sink_set_graph_is_configured_method (sink_cls, sink_graph_is_configured)
             != BT_COMPONENT_CLASS_SET_METHOD_STATUS_OK
      || bt_component_class_sink_set_finalize_method (sink_cls, sink_finalize) != BT_COMPONENT_CLASS_SET_METHOD_STATUS_OK)
    goto bt_fail;
  if (bt_graph_add_sink_component_with_initialize_method_data (graph, sink_cls, "weft", NULL, data,
                                                               BT_LOGGING_LEVEL_NONE, &sink)
      != BT_GRAPH_ADD_COMPONENT_STATUS_OK)
    goto bt_fail;
  bt_component_class_sink_put_ref (sink_cls);
  sink_cls = NULL;
  for (guint i = 0; i < outs->len; i++)
    if (bt_graph_connect_ports (graph, g_ptr_array_index (outs, i), bt_component_sink_borrow_input_port_by_index_const (sink, i), NULL)
        != BT_GRAPH_CONNECT_PORTS_STATUS_OK)
      goto bt_fail;
  return graph;

bt_fail:
  take_bt_error (error, WEFT_CTF_ERROR_READ, "cannot set up the babeltrace2 graph");
  if (sink_cls != NULL)
    bt_component_class_sink_put_ref (sink_cls);
  bt_graph_put_ref (graph);
  return NULL;
}

/* Reads the CTF traces in @trace_dirs (folders holding `metadata`) into
 * @ingest. @writer, if not NULL, is polled to stop early when it fails. */
gboolean
weft_ctf_read (const char *const *trace_dirs, WeftIngest *ingest, WeftWriter *writer, GError **error)
{
  SinkData           *data;
  bt_graph           *graph;
  bt_graph_run_status st;
  gboolean            ok = TRUE;

  g_return_val_if_fail (trace_dirs != NULL && trace_dirs[0] != NULL, FALSE);
  g_return_val_if_fail (ingest != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  data = g_new0 (SinkData, 1);
  data->ingest = ingest;
  data->writer = writer;
  data->classes = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, class_info_free);
  data->traces = g_hash_table_new (g_direct_hash, g_direct_equal);

  graph = build_graph (trace_dirs, data, error);
  if (graph == NULL)
    ok = FALSE;
  else
    {
      do
        {
          st = bt_graph_run (graph);
          if (st == BT_GRAPH_RUN_STATUS_AGAIN)
            g_usleep (1000);
        }
      while (st == BT_GRAPH_RUN_STATUS_AGAIN);
      if (st != BT_GRAPH_RUN_STATUS_OK)
        {
          ok = FALSE;
          if (data->error != NULL)
            {
              bt_current_thread_clear_error ();
              g_propagate_error (error, g_steal_pointer (&data->error));
            }
          else
            take_bt_error (error, WEFT_CTF_ERROR_READ, "reading the trace failed");
        }
      /* Destroying the graph finalises the sink, which uses data. */
      bt_graph_put_ref (graph);
    }
  if (ok && data->weft_events == 0)
    {
      g_set_error (error, WEFT_CTF_ERROR, WEFT_CTF_ERROR_NOT_WEFT,
                   "%s: no weft events in the trace (was the program linked with libweft, and weft:* enabled?)",
                   trace_dirs[0]);
      ok = FALSE;
    }
  g_clear_error (&data->error);
  g_free (data->upstreams);
  g_free (data->heap);
  g_free (data->empty);
  g_hash_table_destroy (data->classes);
  g_hash_table_destroy (data->traces);
  g_free (data);
  return ok;
}
