/* weft-details-pane.c — see weft-details-pane.h.
 *
 * Three shared queries answer it (schema/queries/goroutine-details.sql,
 * goroutine-stacks.sql, goroutine-related.sql), run one after the other
 * in one worker thread; the pane then fills its template's facts grid,
 * stack labels and list of links. Links emit "goroutine-activated": the
 * window shows that goroutine on the timeline.
 */
#include "weft-details-pane.h"

#include "weft-columns.h"
#include "weft-query.h"
#include "weft-report.h"

#include <adwaita.h>
#include <glib/gi18n.h>
#include <string.h>

typedef struct
{
  WeftQueryResult *details, *stacks, *related;
} Answer;

static void
answer_free (Answer *a)
{
  weft_query_result_free (a->details);
  weft_query_result_free (a->stacks);
  weft_query_result_free (a->related);
  g_free (a);
}

struct _WeftDetailsPane
{
  GtkWidget     parent_instance;
  GtkStack     *stack;
  GtkLabel     *title;
  GtkGrid      *facts;
  GtkWidget    *links_title;
  GtkListBox   *links;
  GtkWidget    *created_expander, *blocked_expander;
  GtkLabel     *created_stack, *blocked_stack;
  Answer       *answer; /* what is shown; NULL before the first */
  GCancellable *cancellable;
};

G_DEFINE_FINAL_TYPE (WeftDetailsPane, weft_details_pane, GTK_TYPE_WIDGET)

enum
{
  SIGNAL_GOROUTINE_ACTIVATED,
  SIGNAL_LOADED,
  N_SIGNALS
};
static guint signals[N_SIGNALS];

typedef struct
{
  char  *path;
  gint64 goid, ts;
} Job;

static void
job_free (Job *job)
{
  g_free (job->path);
  g_free (job);
}

static void
details_thread (GTask *task, gpointer source, gpointer data, GCancellable *cancellable)
{
  const Job *job = data;
  g_autoptr (GHashTable) params = weft_query_params_new ();
  GError *error = NULL;
  Answer *a = g_new0 (Answer, 1);

  weft_query_params_set (params, ":goid", job->goid);
  weft_query_params_set (params, ":ts", job->ts);
  if ((a->details = weft_query_run (job->path, "goroutine-details", params, cancellable, &error)) == NULL
      || (a->stacks = weft_query_run (job->path, "goroutine-stacks", params, cancellable, &error)) == NULL
      || (a->related = weft_query_run (job->path, "goroutine-related", params, cancellable, &error)) == NULL)
    {
      answer_free (a);
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, a, (GDestroyNotify) answer_free);
}

/* ------------------------------------------------------------------ filling */

static const char *
item (WeftDetailsPane *self, const char *name)
{
  const char *v = weft_query_result_item (self->answer->details, name);

  return v != NULL && v[0] != '\0' ? v : NULL;
}

static char *
format_time (const char *ns)
{
  return weft_format_duration (g_ascii_strtoll (ns, NULL, 10));
}

static void
add_fact (WeftDetailsPane *self, int row, const char *key, const char *value)
{
  GtkWidget *k = gtk_label_new (key), *v = gtk_label_new (value);

  gtk_label_set_xalign (GTK_LABEL (k), 1);
  gtk_label_set_yalign (GTK_LABEL (k), 0);
  gtk_widget_add_css_class (k, "dim-label");
  gtk_label_set_xalign (GTK_LABEL (v), 0);
  gtk_label_set_wrap (GTK_LABEL (v), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (v), PANGO_WRAP_WORD_CHAR);
  gtk_label_set_selectable (GTK_LABEL (v), TRUE);
  gtk_widget_set_hexpand (v, TRUE);
  gtk_grid_attach (self->facts, k, 0, row, 1, 1);
  gtk_grid_attach (self->facts, v, 1, row, 1, 1);
}

static void
fill_facts (WeftDetailsPane *self)
{
  const char      *goid = item (self, "goroutine"), *name = item (self, "name");
  const char      *parent = item (self, "created by goroutine"), *site = item (self, "created at");
  const char      *created = item (self, "created_ns"), *ended = item (self, "ended_ns"), *state = item (self, "state");
  const char      *reason = item (self, "then blocked on"), *woken_by = item (self, "woken by goroutine");
  const char      *woken_at = item (self, "woken_at_ns");
  g_autofree char *title = NULL, *created_text = NULL, *ended_text = NULL;
  GtkWidget       *child;
  int              row = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->facts))) != NULL)
    gtk_grid_remove (self->facts, child);
  if (goid == NULL)
    {
      gtk_label_set_text (self->title, _ ("This goroutine is not in the trace"));
      return;
    }
  title = name != NULL ? g_strdup_printf (_ ("Goroutine %s “%s”"), goid, name)
                       : g_strdup_printf (_ ("Goroutine %s"), goid);
  gtk_label_set_text (self->title, title);
  add_fact (self, row++, _ ("Start function"), item (self, "start function"));
  if (created != NULL)
    {
      g_autofree char *when = format_time (created);

      if (parent != NULL && strcmp (parent, "0") != 0)
        created_text = g_strdup_printf (_ ("at %s by goroutine %s, in %s"), when, parent, site);
      else
        created_text = g_strdup_printf (_ ("at %s by the runtime, in %s"), when, site);
    }
  add_fact (self, row++, _ ("Created"), created_text != NULL ? created_text : _ ("before the trace began"));
  ended_text = ended != NULL ? format_time (ended) : NULL;
  add_fact (self, row++, _ ("Exited"), ended_text != NULL ? ended_text : _ ("alive when the trace ended"));
  if (state != NULL)
    {
      g_autofree char *since = format_time (item (self, "since_ns"));
      g_autofree char *len = format_time (item (self, "for_ns"));
      /* Translators: "running since 12.3ms, for 40.0µs". */
      g_autofree char *text = g_strdup_printf (_ ("%s since %s, for %s"), weft_value_name (state), since, len);

      add_fact (self, row++, _ ("State"), text);
    }
  if (reason != NULL)
    {
      g_autofree char *len = format_time (item (self, "blocked_for_ns"));
      /* Translators: "chan receive in consume (pipe.c:40), for 1.20ms". */
      g_autofree char *text = g_strdup_printf (_ ("%s in %s, for %s"), reason, item (self, "blocked at"), len);
      g_autofree char *woken = NULL;

      add_fact (self, row++, _ ("Blocked"), text);
      if (woken_by != NULL && woken_at != NULL)
        {
          g_autofree char *at = format_time (woken_at);

          woken = strcmp (woken_by, "0") == 0 ? g_strdup_printf (_ ("by the runtime at %s"), at)
                                              : g_strdup_printf (_ ("by goroutine %s at %s"), woken_by, at);
        }
      add_fact (self, row++, _ ("Woken"), woken != NULL ? woken : _ ("never: still blocked when the trace ended"));
    }
}

/* One frame per line: "function (file:line)", the runtime's own frames
 * dimmed, the address when it was not symbolised. FALSE if empty. */
static gboolean
fill_stack (WeftDetailsPane *self, GtkLabel *label, const char *kind)
{
  g_autoptr (GString) markup = g_string_new (NULL);
  const WeftQueryResult *r = self->answer->stacks;
  int                    c_kind = weft_query_result_column (r, "kind"), c_pc = weft_query_result_column (r, "pc");
  int                    c_fn = weft_query_result_column (r, "function"), c_file = weft_query_result_column (r, "file");
  int                    c_line = weft_query_result_column (r, "line"), c_rt = weft_query_result_column (r, "runtime");

  for (guint i = 0; i < r->rows->len; i++)
    {
      WeftQueryRow    *row = g_ptr_array_index (r->rows, i);
      const char      *fn = weft_query_row_get_raw (row, c_fn), *file = weft_query_row_get_raw (row, c_file);
      gboolean         runtime = strcmp (weft_query_row_get_raw (row, c_rt), "1") == 0;
      g_autofree char *text = NULL, *escaped = NULL;

      if (strcmp (weft_query_row_get_raw (row, c_kind), kind) != 0)
        continue;
      if (fn[0] == '\0')
        text = g_strdup (weft_query_row_get_raw (row, c_pc));
      else if (file[0] != '\0')
        text = g_strdup_printf ("%s (%s:%s)", fn, file, weft_query_row_get_raw (row, c_line));
      else
        text = g_strdup (fn);
      escaped = g_markup_escape_text (text, -1);
      if (markup->len > 0)
        g_string_append_c (markup, '\n');
      g_string_append_printf (markup, runtime ? "<span alpha=\"55%%\">%s</span>" : "%s", escaped);
    }
  gtk_label_set_markup (label, markup->str);
  return markup->len > 0;
}

static void
fill_links (WeftDetailsPane *self)
{
  const WeftQueryResult *r = self->answer->related;
  GtkWidget             *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->links))) != NULL)
    gtk_list_box_remove (self->links, child);
  for (guint i = 0; i < r->rows->len; i++)
    {
      WeftQueryRow    *row = g_ptr_array_index (r->rows, i);
      const char      *relation = weft_query_row_get_raw (row, 0), *function = weft_query_row_get_raw (row, 2);
      const char      *ts = weft_query_row_get_raw (row, 3);
      g_autofree char *title = g_strdup_printf (_ ("Goroutine %s"), weft_query_row_get_raw (row, 1));
      g_autofree char *when = ts[0] != '\0' ? format_time (ts) : NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget       *link = adw_action_row_new ();

      if (strcmp (relation, "creator") == 0)
        subtitle = g_strdup_printf (_ ("%s — created this goroutine"), function);
      else if (strcmp (relation, "woken by") == 0)
        subtitle = g_strdup_printf (_ ("%s — woke it at %s"), function, when);
      else if (when != NULL)
        subtitle = g_strdup_printf (_ ("%s — created by it at %s"), function, when);
      else
        subtitle = g_strdup_printf (_ ("%s — created by it"), function);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (link), title);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (link), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (link), subtitle);
      adw_action_row_add_suffix (ADW_ACTION_ROW (link), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (link), TRUE);
      gtk_list_box_append (self->links, link);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->links), r->rows->len > 0);
  gtk_widget_set_visible (self->links_title, r->rows->len > 0);
}

static void
details_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autoptr (GError) error = NULL;
  Answer          *a = g_task_propagate_pointer (G_TASK (result), &error);
  WeftDetailsPane *self;

  /* Cancelled: a newer show(), or the pane is gone; touch nothing. */
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  self = WEFT_DETAILS_PANE (data);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->answer, answer_free);
  if (a == NULL)
    {
      gtk_label_set_text (self->title, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->facts), FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->links), FALSE);
      gtk_widget_set_visible (self->links_title, FALSE);
      gtk_widget_set_visible (self->created_expander, FALSE);
      gtk_widget_set_visible (self->blocked_expander, FALSE);
    }
  else
    {
      self->answer = a;
      gtk_widget_set_visible (GTK_WIDGET (self->facts), TRUE);
      fill_facts (self);
      gtk_widget_set_visible (self->created_expander, fill_stack (self, self->created_stack, "created"));
      gtk_widget_set_visible (self->blocked_expander, fill_stack (self, self->blocked_stack, "blocked"));
      fill_links (self);
    }
  gtk_stack_set_visible_child_name (self->stack, "details");
  g_signal_emit (self, signals[SIGNAL_LOADED], 0);
}

void
weft_details_pane_show (WeftDetailsPane *self, const char *path, gint64 goid, gint64 ts_ns)
{
  g_autoptr (GTask) task = NULL;
  Job *job;

  g_return_if_fail (WEFT_IS_DETAILS_PANE (self) && path != NULL);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  job = g_new0 (Job, 1);
  job->path = g_strdup (path);
  job->goid = goid;
  job->ts = ts_ns;
  task = g_task_new (NULL, self->cancellable, details_done, self);
  g_task_set_task_data (task, job, (GDestroyNotify) job_free);
  g_task_run_in_thread (task, details_thread);
}

void
weft_details_pane_clear (WeftDetailsPane *self)
{
  g_return_if_fail (WEFT_IS_DETAILS_PANE (self));

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->answer, answer_free);
  gtk_stack_set_visible_child_name (self->stack, "hint");
}

/* ------------------------------------------------------------------ what is shown */

const char *
weft_details_pane_get_item (WeftDetailsPane *self, const char *name)
{
  g_return_val_if_fail (WEFT_IS_DETAILS_PANE (self) && name != NULL, NULL);
  return self->answer != NULL ? item (self, name) : NULL;
}

char *
weft_details_pane_get_stack_text (WeftDetailsPane *self, const char *kind)
{
  GtkLabel *label;

  g_return_val_if_fail (WEFT_IS_DETAILS_PANE (self) && kind != NULL, NULL);

  label = strcmp (kind, "created") == 0 ? self->created_stack : self->blocked_stack;
  return g_strdup (gtk_label_get_text (label));
}

guint
weft_details_pane_get_n_links (WeftDetailsPane *self)
{
  g_return_val_if_fail (WEFT_IS_DETAILS_PANE (self), 0);
  return self->answer != NULL ? self->answer->related->rows->len : 0;
}

gboolean
weft_details_pane_get_link (WeftDetailsPane *self, guint i, const char **relation, gint64 *goid, gint64 *ts_ns)
{
  WeftQueryRow *row;

  g_return_val_if_fail (WEFT_IS_DETAILS_PANE (self), FALSE);

  if (i >= weft_details_pane_get_n_links (self))
    return FALSE;
  row = g_ptr_array_index (self->answer->related->rows, i);
  *relation = weft_query_row_get_raw (row, 0);
  *goid = g_ascii_strtoll (weft_query_row_get_raw (row, 1), NULL, 10);
  /* No time (created before the trace): 0, the trace's start. */
  *ts_ns = g_ascii_strtoll (weft_query_row_get_raw (row, 3), NULL, 10);
  return TRUE;
}

void
weft_details_pane_activate_link (WeftDetailsPane *self, guint i)
{
  const char *relation;
  gint64      goid, ts;

  g_return_if_fail (WEFT_IS_DETAILS_PANE (self));

  if (weft_details_pane_get_link (self, i, &relation, &goid, &ts))
    g_signal_emit (self, signals[SIGNAL_GOROUTINE_ACTIVATED], 0, goid, ts);
}

static void
on_link_activated (GtkListBox *box, GtkListBoxRow *row, WeftDetailsPane *self)
{
  weft_details_pane_activate_link (self, (guint) gtk_list_box_row_get_index (row));
}

static void
weft_details_pane_dispose (GObject *object)
{
  WeftDetailsPane *self = WEFT_DETAILS_PANE (object);

  if (self->cancellable != NULL)
    g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->answer, answer_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), WEFT_TYPE_DETAILS_PANE);
  G_OBJECT_CLASS (weft_details_pane_parent_class)->dispose (object);
}

static void
weft_details_pane_class_init (WeftDetailsPaneClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_details_pane_dispose;
  /* A related goroutine was clicked: show @goid at @ts_ns. */
  signals[SIGNAL_GOROUTINE_ACTIVATED] = g_signal_new ("goroutine-activated", G_TYPE_FROM_CLASS (klass),
                                                      G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL, G_TYPE_NONE, 2,
                                                      G_TYPE_INT64, G_TYPE_INT64);
  /* What the last weft_details_pane_show() asked for is shown. */
  signals[SIGNAL_LOADED] = g_signal_new ("loaded", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                                         NULL, G_TYPE_NONE, 0);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/weft/Viewer/weft-details-pane.ui");
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, stack);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, title);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, facts);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, links_title);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, links);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, created_expander);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, blocked_expander);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, created_stack);
  gtk_widget_class_bind_template_child (widget_class, WeftDetailsPane, blocked_stack);
  gtk_widget_class_bind_template_callback (widget_class, on_link_activated);
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
}

static void
weft_details_pane_init (WeftDetailsPane *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_stack_set_visible_child_name (self->stack, "hint");
}

GtkWidget *
weft_details_pane_new (void)
{
  return g_object_new (WEFT_TYPE_DETAILS_PANE, NULL);
}
