/* weft-window.c — see weft-window.h. The layout is weft-window.ui.
 *
 * The window has the timeline check the file (on the main thread: an open
 * and two PRAGMAs), then hands its path to every view, each of which
 * queries it from a worker thread on a connection of its own. The window
 * only routes: a clicked slice to the details pane, a selected range to
 * the totals,
 * an activated analysis row or details link back to the timeline.
 */
#include "weft-window.h"

#include "weft-application.h"
#include "weft-chart.h"
#include "weft-details-pane.h"
#include "weft-query-view.h"
#include "weft-report.h"
#include "weft-store.h"
#include "weft-timeline.h"

#include <glib/gi18n.h>
#include <string.h>

/* Recent traces listed on the empty page. */
#define MAX_RECENT 8

struct _WeftWindow
{
  AdwApplicationWindow  parent_instance;
  GtkStack             *main_stack;
  AdwStatusPage        *error_page;
  AdwViewSwitcherTitle *switcher_title;
  GtkWidget            *switcher_bar;
  AdwViewStack         *view_stack;
  AdwToastOverlay      *toast_overlay;
  GtkSearchEntry       *search_entry;
  GtkWidget            *recent_title;
  GtkListBox           *recent_list;
  GtkPaned             *timeline_paned;
  WeftTimeline         *timeline;
  GtkRevealer          *range_revealer;
  GtkLabel             *range_label;
  WeftQueryView        *range_totals;
  WeftDetailsPane      *details;
  WeftQueryView        *goroutines, *leaks, *pause_summary, *pauses, *gc;
  WeftChart            *histogram, *mmu;
  GSettings            *settings; /* NULL when the schema is not installed */
  char                 *path;
  gint64                end_ns; /* the trace's end (meta end_ns) */
};

G_DEFINE_FINAL_TYPE (WeftWindow, weft_window, ADW_TYPE_APPLICATION_WINDOW)

static void
set_actions_enabled (WeftWindow *self, gboolean enabled)
{
  static const char *const actions[] = { "win.zoom-fit", "win.zoom", "win.zoom-selection", "win.find",
                                         "win.range-totals", "win.export-png" };

  for (gsize i = 0; i < G_N_ELEMENTS (actions); i++)
    gtk_widget_action_set_enabled (GTK_WIDGET (self), actions[i], enabled);
  gtk_widget_set_sensitive (GTK_WIDGET (self->search_entry), enabled);
  /* The pages of a trace, switched to only when there is one. */
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, enabled);
  gtk_widget_set_visible (self->switcher_bar, enabled);
}

static void
show_error (WeftWindow *self, const char *base, const char *message)
{
  g_autofree char *title = g_strdup_printf (_ ("“%s” Cannot Be Opened"), base);

  adw_status_page_set_title (self->error_page, title);
  adw_status_page_set_description (self->error_page, message);
  gtk_stack_set_visible_child_name (self->main_stack, "error");
  set_actions_enabled (self, FALSE);
}

/* The reason in the user's language; SQLite's own words only as detail. */
static char *
describe_error (const GError *error)
{
  if (g_error_matches (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_NOT_WEFT))
    return g_strdup_printf (_ ("It is not a Weft trace database (%s)."), error->message);
  if (g_error_matches (error, WEFT_STORE_ERROR, WEFT_STORE_ERROR_TOO_NEW))
    return g_strdup_printf (_ ("It was written by a newer version of Weft (%s). Update Weft to open it."),
                            error->message);
  return g_strdup (error->message);
}

static void
load_leaks (WeftWindow *self)
{
  guint ms = self->settings != NULL ? g_settings_get_uint (self->settings, "leak-threshold-ms") : 0;

  weft_query_view_set_param (self->leaks, ":min_blocked_ns", (gint64) ms * 1000000);
  weft_query_view_load (self->leaks, self->path);
}

gboolean
weft_window_open (WeftWindow *self, GFile *file)
{
  g_autoptr (GError) error = NULL;
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *uri = g_file_get_uri (file);
  WeftQueryView   *views[] = { self->goroutines, self->pause_summary, self->pauses, self->gc };

  g_return_val_if_fail (WEFT_IS_WINDOW (self) && G_IS_FILE (file), FALSE);

  if (path == NULL)
    {
      show_error (self, base, _ ("Only local files can be opened."));
      return FALSE;
    }
  /* The timeline checks the file (an open and two PRAGMAs on the main
   * thread, the rest on workers). */
  if (!weft_timeline_load (self->timeline, path, &error))
    {
      g_autofree char *message = describe_error (error);

      show_error (self, base, message);
      return FALSE;
    }
  g_free (self->path);
  self->path = g_strdup (path);
  weft_timeline_get_trace (self->timeline, NULL, &self->end_ns);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    weft_query_view_load (views[i], path);
  load_leaks (self);
  weft_chart_load (self->histogram, path);
  weft_chart_load (self->mmu, path);
  weft_details_pane_clear (self->details);
  gtk_revealer_set_reveal_child (self->range_revealer, FALSE);
  gtk_window_set_title (GTK_WINDOW (self), base);
  adw_view_switcher_title_set_title (self->switcher_title, base);
  adw_view_switcher_title_set_subtitle (self->switcher_title, path);
  gtk_stack_set_visible_child_name (self->main_stack, "trace");
  set_actions_enabled (self, TRUE);
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
  gtk_widget_grab_focus (GTK_WIDGET (self->timeline));
  return TRUE;
}

gboolean
weft_window_is_empty (WeftWindow *self)
{
  return self->path == NULL;
}

gboolean
weft_window_shows (WeftWindow *self, GFile *file)
{
  g_autofree char *path = g_file_get_path (file);

  g_return_val_if_fail (WEFT_IS_WINDOW (self) && G_IS_FILE (file), FALSE);
  return self->path != NULL && path != NULL && strcmp (self->path, path) == 0;
}

const char *
weft_window_get_page (WeftWindow *self)
{
  const char *page = gtk_stack_get_visible_child_name (self->main_stack);

  return strcmp (page, "trace") == 0 ? adw_view_stack_get_visible_child_name (self->view_stack) : page;
}

GtkWidget *
weft_window_get_part (WeftWindow *self, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), WEFT_TYPE_WINDOW, name));
}

/* ------------------------------------------------------------------ the timeline and its panes */

static void
on_slice_activated (WeftTimeline *timeline, gint64 goid, gint64 start_ns, gint64 end_ns, int state, WeftWindow *self)
{
  weft_details_pane_show (self->details, self->path, goid, start_ns + (end_ns - start_ns) / 2);
}

void
weft_window_show_range_totals (WeftWindow *self, gint64 start_ns, gint64 end_ns)
{
  g_autofree char *from = weft_format_duration (start_ns);
  g_autofree char *to = weft_format_duration (end_ns);
  g_autofree char *len = weft_format_duration (end_ns - start_ns);
  /* Translators: the range whose totals are shown, "12.0ms – 40.0ms (28.0ms)". */
  g_autofree char *label = g_strdup_printf (_ ("Totals of %s – %s (%s)"), from, to, len);

  g_return_if_fail (WEFT_IS_WINDOW (self) && self->path != NULL);

  gtk_label_set_text (self->range_label, label);
  weft_query_view_set_param (self->range_totals, ":t0", start_ns);
  weft_query_view_set_param (self->range_totals, ":t1", end_ns);
  weft_query_view_load (self->range_totals, self->path);
  gtk_revealer_set_reveal_child (self->range_revealer, TRUE);
}

static void
on_range_selected (WeftTimeline *timeline, gint64 start_ns, gint64 end_ns, WeftWindow *self)
{
  weft_window_show_range_totals (self, start_ns, end_ns);
}

static void
zoom_selection (GtkWidget *widget, const char *action, GVariant *param)
{
  WeftWindow *self = WEFT_WINDOW (widget);
  gint64      start, end;

  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
  if (weft_timeline_get_selection (self->timeline, &start, &end))
    weft_timeline_zoom_to (self->timeline, start, end);
  else
    adw_toast_overlay_add_toast (self->toast_overlay,
                                 adw_toast_new (_ ("Select a range first: drag over the timeline with Shift held")));
}

static void
range_totals (GtkWidget *widget, const char *action, GVariant *param)
{
  WeftWindow *self = WEFT_WINDOW (widget);
  gint64      start, end;

  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
  weft_timeline_get_range (self->timeline, &start, &end);
  weft_window_show_range_totals (self, start, end);
}

static void
on_range_closed (GtkButton *button, WeftWindow *self)
{
  gtk_revealer_set_reveal_child (self->range_revealer, FALSE);
}

void
weft_window_reveal_goroutine (WeftWindow *self, gint64 goid, gint64 ts_ns)
{
  g_autofree char *query = g_strdup_printf ("%" G_GINT64_FORMAT, goid);
  gint64           start, end, half;

  g_return_if_fail (WEFT_IS_WINDOW (self) && self->path != NULL);

  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
  /* Its own lane (a search by id), centred on @ts_ns at the current zoom. */
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), query);
  weft_timeline_set_filter (self->timeline, query);
  weft_timeline_get_range (self->timeline, &start, &end);
  half = MAX ((end - start) / 2, 1);
  weft_timeline_zoom_to (self->timeline, ts_ns - half, ts_ns + half);
  weft_details_pane_show (self->details, self->path, goid, ts_ns);
}

static void
on_goroutine_activated (WeftDetailsPane *details, gint64 goid, gint64 ts_ns, WeftWindow *self)
{
  weft_window_reveal_goroutine (self, goid, ts_ns);
}

static void
on_search_changed (GtkSearchEntry *entry, WeftWindow *self)
{
  if (self->path == NULL)
    return;
  weft_timeline_set_filter (self->timeline, gtk_editable_get_text (GTK_EDITABLE (entry)));
  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
}

static void
on_stop_search (GtkSearchEntry *entry, WeftWindow *self)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  gtk_widget_grab_focus (GTK_WIDGET (self->timeline));
}

/* ------------------------------------------------------------------ the analyses, back to the timeline */

static gint64
view_int (WeftQueryView *view, guint row, const char *column)
{
  const char *v = weft_query_view_get_value (view, row, column);

  return v != NULL ? g_ascii_strtoll (v, NULL, 10) : 0;
}

/* A goroutine group: its goroutines in lanes of their own. */
static void
on_goroutine_group_activated (WeftQueryView *view, guint row, WeftWindow *self)
{
  const char *function = weft_query_view_get_value (view, row, "start_function");

  if (function == NULL)
    return;
  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
  gtk_editable_set_text (GTK_EDITABLE (self->search_entry), function);
  /* Not waiting for the entry's search delay. */
  weft_timeline_set_filter (self->timeline, function);
}

/* A leak group: its first goroutine, where it stays blocked, at the end. */
static void
on_leak_activated (WeftQueryView *view, guint row, WeftWindow *self)
{
  const char *goids = weft_query_view_get_value (view, row, "goids");

  if (goids == NULL || goids[0] == '\0')
    return;
  weft_window_reveal_goroutine (self, g_ascii_strtoll (goids, NULL, 10), MAX (self->end_ns - 1, 0));
}

static void
on_show_leak_clicked (GtkButton *button, WeftWindow *self)
{
  guint row = weft_query_view_get_selected (self->leaks);

  if (row == GTK_INVALID_LIST_POSITION && weft_query_view_get_n_rows (self->leaks) > 0)
    row = 0;
  if (row != GTK_INVALID_LIST_POSITION)
    on_leak_activated (self->leaks, row, self);
}

/* Shows [@start_ns, @end_ns) as the middle fifth of the timeline. */
static void
zoom_around (WeftWindow *self, gint64 start_ns, gint64 end_ns)
{
  gint64 pad = MAX (2 * (end_ns - start_ns), 1000);

  adw_view_stack_set_visible_child_name (self->view_stack, "timeline");
  weft_timeline_zoom_to (self->timeline, start_ns - pad, end_ns + pad);
}

/* A pause, or a GC cycle: zoomed to on the timeline. */
static void
on_span_activated (WeftQueryView *view, guint row, WeftWindow *self)
{
  gint64 start = view_int (view, row, "start_ns");

  zoom_around (self, start, start + view_int (view, row, "duration_ns"));
}

/* ------------------------------------------------------------------ recent traces */

static int
compare_recent (gconstpointer a, gconstpointer b)
{
  GtkRecentInfo *x = *(GtkRecentInfo **) a, *y = *(GtkRecentInfo **) b;

  return g_date_time_compare (gtk_recent_info_get_modified (y), gtk_recent_info_get_modified (x));
}

static void
fill_recent (WeftWindow *self)
{
  GList *items = gtk_recent_manager_get_items (gtk_recent_manager_get_default ());
  g_autoptr (GPtrArray) traces = g_ptr_array_new ();
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->recent_list))) != NULL)
    gtk_list_box_remove (self->recent_list, child);
  for (GList *l = items; l != NULL; l = l->next)
    if (g_str_has_suffix (gtk_recent_info_get_uri (l->data), ".weft") && gtk_recent_info_is_local (l->data)
        && gtk_recent_info_exists (l->data))
      g_ptr_array_add (traces, l->data);
  g_ptr_array_sort (traces, compare_recent);
  for (guint i = 0; i < traces->len && i < MAX_RECENT; i++)
    {
      GtkRecentInfo *info = g_ptr_array_index (traces, i);
      g_autoptr (GFile) file = g_file_new_for_uri (gtk_recent_info_get_uri (info));
      g_autoptr (GFile) parent = g_file_get_parent (file);
      g_autofree char *name = g_file_get_basename (file);
      g_autofree char *where = parent != NULL ? g_file_get_path (parent) : NULL;
      GtkWidget       *row = adw_action_row_new ();

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), name);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), where != NULL ? where : "");
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), gtk_image_new_from_icon_name ("go-next-symbolic"));
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      g_object_set_data_full (G_OBJECT (row), "weft-file", g_steal_pointer (&file), g_object_unref);
      gtk_list_box_append (self->recent_list, row);
    }
  gtk_widget_set_visible (self->recent_title, traces->len > 0);
  gtk_widget_set_visible (GTK_WIDGET (self->recent_list), traces->len > 0);
  g_list_free_full (items, (GDestroyNotify) gtk_recent_info_unref);
}

static void
on_recent_activated (GtkListBox *box, GtkListBoxRow *row, WeftWindow *self)
{
  weft_window_open (self, g_object_get_data (G_OBJECT (row), "weft-file"));
}

/* ------------------------------------------------------------------ drag and drop */

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, WeftWindow *self)
{
  GSList         *files = gdk_file_list_get_files (g_value_get_boxed (value));
  GtkApplication *app = gtk_window_get_application (GTK_WINDOW (self));

  for (GSList *l = files; l != NULL; l = l->next)
    {
      GFile *file = l->data;

      /* The first file here if this window has none (and no other window
       * shows it), the rest through the application: a window of their
       * own, or the one that shows them already. */
      if (weft_window_is_empty (self) && (app == NULL || weft_application_find_window (WEFT_APPLICATION (app), file) == NULL))
        weft_window_open (self, file);
      else if (app != NULL)
        g_application_open (G_APPLICATION (app), &file, 1, "");
    }
  g_slist_free (files);
  return TRUE;
}

/* ------------------------------------------------------------------ actions */

static void
zoom_fit (GtkWidget *widget, const char *action, GVariant *param)
{
  weft_timeline_zoom_fit (WEFT_WINDOW (widget)->timeline);
}

static void
zoom (GtkWidget *widget, const char *action, GVariant *param)
{
  weft_timeline_zoom (WEFT_WINDOW (widget)->timeline, g_variant_get_double (param));
}

static void
find (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (WEFT_WINDOW (widget)->search_entry));
}

static void
export_done (GObject *source, GAsyncResult *result, gpointer data)
{
  g_autofree char *path = data;
  g_autoptr (GError) error = NULL;
  g_autoptr (GdkTexture) texture = weft_timeline_render_texture_finish (WEFT_TIMELINE (source), result, &error);
  GtkRoot         *root = gtk_widget_get_root (GTK_WIDGET (source));
  g_autofree char *message = NULL;

  if (!WEFT_IS_WINDOW (root))
    return;
  if (texture != NULL && gdk_texture_save_to_png (texture, path))
    message = g_strdup_printf (_ ("Saved %s"), path);
  else
    message = g_strdup_printf (_ ("Could not save %s"), path);
  adw_toast_overlay_add_toast (WEFT_WINDOW (root)->toast_overlay, adw_toast_new (message));
}

/* The timeline's lanes are read on workers, then drawn and saved. */
static void
on_export_response (GtkNativeDialog *dialog, int response, WeftWindow *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      char *path = g_file_get_path (file);
      int   width = MAX (gtk_widget_get_width (GTK_WIDGET (self->timeline)), 800);
      int   height = MAX (gtk_widget_get_height (GTK_WIDGET (self->timeline)), 400);

      if (path == NULL)
        {
          g_autofree char *uri = g_file_get_uri (file);
          g_autofree char *message = g_strdup_printf (_ ("Could not save %s"), uri);

          adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (message));
        }
      else
        weft_timeline_render_texture_async (self->timeline, width, height, NULL, export_done, path);
    }
  g_object_unref (dialog);
}

static void
export_png (GtkWidget *widget, const char *action, GVariant *param)
{
  WeftWindow           *self = WEFT_WINDOW (widget);
  g_autofree char      *base = g_path_get_basename (self->path);
  g_autofree char      *name = NULL;
  GtkFileChooserNative *dialog;

  if (g_str_has_suffix (base, ".weft"))
    base[strlen (base) - strlen (".weft")] = '\0';
  name = g_strconcat (base, ".png", NULL);
  dialog = gtk_file_chooser_native_new (_ ("Export the Timeline"), GTK_WINDOW (self), GTK_FILE_CHOOSER_ACTION_SAVE,
                                        _ ("_Export"), _ ("_Cancel"));
  gtk_file_chooser_set_current_name (GTK_FILE_CHOOSER (dialog), name);
  g_signal_connect (dialog, "response", G_CALLBACK (on_export_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

/* ------------------------------------------------------------------ settings */

static void
on_threshold_changed (GSettings *settings, const char *key, WeftWindow *self)
{
  if (self->path != NULL)
    load_leaks (self);
}

static void
weft_window_dispose (GObject *object)
{
  WeftWindow *self = WEFT_WINDOW (object);

  if (self->settings != NULL)
    {
      int w, h;

      gtk_window_get_default_size (GTK_WINDOW (self), &w, &h);
      g_settings_set (self->settings, "window-size", "(ii)", w, h);
      g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (GTK_WINDOW (self)));
    }
  g_signal_handlers_disconnect_by_data (gtk_recent_manager_get_default (), self);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), WEFT_TYPE_WINDOW);
  G_OBJECT_CLASS (weft_window_parent_class)->dispose (object);
}

static void
weft_window_finalize (GObject *object)
{
  g_free (WEFT_WINDOW (object)->path);
  G_OBJECT_CLASS (weft_window_parent_class)->finalize (object);
}

static void
weft_window_class_init (WeftWindowClass *klass)
{
  GObjectClass   *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = weft_window_dispose;
  object_class->finalize = weft_window_finalize;

  g_type_ensure (WEFT_TYPE_TIMELINE);
  g_type_ensure (WEFT_TYPE_QUERY_VIEW);
  g_type_ensure (WEFT_TYPE_CHART);
  g_type_ensure (WEFT_TYPE_DETAILS_PANE);
  gtk_widget_class_set_template_from_resource (widget_class, "/org/weft/Viewer/weft-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, switcher_bar);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, recent_title);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, recent_list);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, timeline_paned);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, range_revealer);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, range_label);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, range_totals);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, details);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, goroutines);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, leaks);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, pause_summary);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, pauses);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, gc);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, histogram);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, mmu);
  gtk_widget_class_bind_template_callback (widget_class, on_slice_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_range_closed);
  gtk_widget_class_bind_template_callback (widget_class, on_range_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_goroutine_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_stop_search);
  gtk_widget_class_bind_template_callback (widget_class, on_goroutine_group_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_leak_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_show_leak_clicked);
  gtk_widget_class_bind_template_callback_full (widget_class, "on_pause_activated", G_CALLBACK (on_span_activated));
  gtk_widget_class_bind_template_callback_full (widget_class, "on_gc_activated", G_CALLBACK (on_span_activated));
  gtk_widget_class_bind_template_callback (widget_class, on_recent_activated);

  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, zoom_fit);
  gtk_widget_class_install_action (widget_class, "win.zoom", "d", zoom);
  gtk_widget_class_install_action (widget_class, "win.find", NULL, find);
  gtk_widget_class_install_action (widget_class, "win.range-totals", NULL, range_totals);
  gtk_widget_class_install_action (widget_class, "win.zoom-selection", NULL, zoom_selection);
  gtk_widget_class_install_action (widget_class, "win.export-png", NULL, export_png);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.find", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom", "d", 1.5);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_equal, GDK_CONTROL_MASK, "win.zoom", "d", 1.5);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom", "d", 1 / 1.5);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_t, GDK_CONTROL_MASK, "win.range-totals", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_e, GDK_CONTROL_MASK, "win.export-png", NULL);
}

static void
weft_window_init (WeftWindow *self)
{
  GSettingsSchema *schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (),
                                                             WEFT_VIEWER_APP_ID, TRUE);
  GtkDropTarget   *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  gtk_stack_set_visible_child_name (self->main_stack, "empty");
  set_actions_enabled (self, FALSE);
  fill_recent (self);
  g_signal_connect_swapped (gtk_recent_manager_get_default (), "changed", G_CALLBACK (fill_recent), self);

  /* Window state survives restarts when the schema is installed; a
   * viewer run from the build tree simply starts at its default size. */
  if (schema != NULL)
    {
      int w, h;

      self->settings = g_settings_new (WEFT_VIEWER_APP_ID);
      g_settings_get (self->settings, "window-size", "(ii)", &w, &h);
      gtk_window_set_default_size (GTK_WINDOW (self), w, h);
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_settings_bind (self->settings, "details-position", self->timeline_paned, "position", G_SETTINGS_BIND_DEFAULT);
      g_signal_connect (self->settings, "changed::leak-threshold-ms", G_CALLBACK (on_threshold_changed), self);
      g_settings_schema_unref (schema);
    }
  else
    gtk_paned_set_position (self->timeline_paned, 820);
}

GtkWidget *
weft_window_new (GtkApplication *app)
{
  return g_object_new (WEFT_TYPE_WINDOW, "application", app, NULL);
}
