/* weft-window.c — see weft-window.h. The layout is weft-window.ui. */
#include "weft-window.h"

#include "weft-query-view.h"
#include "weft-store.h"
#include "weft-timeline.h"

#include <glib/gi18n.h>

#define SETTINGS_SCHEMA "org.weft.Viewer"

struct _WeftWindow
{
  AdwApplicationWindow  parent_instance;
  GtkStack             *main_stack;
  AdwStatusPage        *error_page;
  AdwViewSwitcherTitle *switcher_title;
  GtkSearchEntry       *search_entry;
  AdwViewStack         *view_stack;
  WeftTimeline         *timeline;
  WeftQueryView        *details, *goroutines, *leaks, *pause_summary, *mmu, *pauses, *gc;
  GSettings            *settings; /* NULL when the schema is not installed */
  char                 *path;
};

G_DEFINE_FINAL_TYPE (WeftWindow, weft_window, ADW_TYPE_APPLICATION_WINDOW)

gboolean
weft_window_open (WeftWindow *self, GFile *file)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (WeftStore) store = NULL;
  g_autofree char *path = g_file_get_path (file);
  g_autofree char *base = g_file_get_basename (file);
  g_autofree char *uri = g_file_get_uri (file);
  WeftQueryView   *views[] = { self->goroutines, self->leaks, self->pause_summary, self->mmu, self->pauses, self->gc };

  g_return_val_if_fail (WEFT_IS_WINDOW (self) && G_IS_FILE (file), FALSE);

  store = path != NULL ? weft_store_open (path, WEFT_STORE_OPEN_READ_ONLY, &error) : NULL;
  if (store == NULL)
    {
      g_autofree char *title = g_strdup_printf (_ ("%s Cannot Be Opened"), base);

      adw_status_page_set_title (self->error_page, title);
      adw_status_page_set_description (self->error_page,
                                       error != NULL ? error->message : _ ("Only local files can be opened."));
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return FALSE;
    }
  if (!weft_timeline_load (self->timeline, path, &error))
    {
      adw_status_page_set_description (self->error_page, error->message);
      gtk_stack_set_visible_child_name (self->main_stack, "error");
      return FALSE;
    }
  g_free (self->path);
  self->path = g_strdup (path);
  for (guint i = 0; i < G_N_ELEMENTS (views); i++)
    weft_query_view_load (views[i], path);
  gtk_window_set_title (GTK_WINDOW (self), base);
  adw_view_switcher_title_set_title (self->switcher_title, base);
  adw_view_switcher_title_set_subtitle (self->switcher_title, path);
  gtk_stack_set_visible_child_name (self->main_stack, "trace");
  gtk_recent_manager_add_item (gtk_recent_manager_get_default (), uri);
  gtk_widget_grab_focus (GTK_WIDGET (self->timeline));
  return TRUE;
}

gboolean
weft_window_is_empty (WeftWindow *self)
{
  return self->path == NULL;
}

const char *
weft_window_get_page (WeftWindow *self)
{
  return gtk_stack_get_visible_child_name (self->main_stack);
}

GtkWidget *
weft_window_get_part (WeftWindow *self, const char *name)
{
  return GTK_WIDGET (gtk_widget_get_template_child (GTK_WIDGET (self), WEFT_TYPE_WINDOW, name));
}

static void
on_slice_activated (WeftTimeline *timeline, gint64 goid, gint64 start_ns, gint64 end_ns, WeftWindow *self)
{
  weft_query_view_set_param (self->details, ":goid", goid);
  weft_query_view_set_param (self->details, ":ts", start_ns + (end_ns - start_ns) / 2);
  weft_query_view_load (self->details, self->path);
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
find (GtkWidget *widget, const char *action, GVariant *param)
{
  gtk_widget_grab_focus (GTK_WIDGET (WEFT_WINDOW (widget)->search_entry));
}

static gboolean
on_drop (GtkDropTarget *target, const GValue *value, double x, double y, WeftWindow *self)
{
  GSList *files = gdk_file_list_get_files (g_value_get_boxed (value));

  for (GSList *l = files; l != NULL; l = l->next)
    {
      GFile *file = l->data;

      /* The first file here if this window has none, the rest in windows
       * of their own. */
      if (weft_window_is_empty (self))
        weft_window_open (self, file);
      else
        g_application_open (G_APPLICATION (gtk_window_get_application (GTK_WINDOW (self))), &file, 1, "");
    }
  g_slist_free (files);
  return TRUE;
}

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
  gtk_widget_class_set_template_from_resource (widget_class, "/org/weft/Viewer/weft-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, error_page);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, search_entry);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, timeline);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, details);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, goroutines);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, leaks);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, pause_summary);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, mmu);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, pauses);
  gtk_widget_class_bind_template_child (widget_class, WeftWindow, gc);
  gtk_widget_class_bind_template_callback (widget_class, on_slice_activated);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);

  gtk_widget_class_install_action (widget_class, "win.zoom-fit", NULL, zoom_fit);
  gtk_widget_class_install_action (widget_class, "win.zoom", "d", zoom);
  gtk_widget_class_install_action (widget_class, "win.find", NULL, find);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK, "win.find", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK, "win.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_plus, GDK_CONTROL_MASK, "win.zoom", "d", 1.5);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_minus, GDK_CONTROL_MASK, "win.zoom", "d", 1 / 1.5);
}

static void
weft_window_init (WeftWindow *self)
{
  GSettingsSchema *schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (), SETTINGS_SCHEMA,
                                                             TRUE);
  GtkDropTarget   *drop = gtk_drop_target_new (GDK_TYPE_FILE_LIST, GDK_ACTION_COPY);

  gtk_widget_init_template (GTK_WIDGET (self));
  g_signal_connect (drop, "drop", G_CALLBACK (on_drop), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drop));
  gtk_stack_set_visible_child_name (self->main_stack, "empty");

  /* Window state survives restarts when the schema is installed; a
   * viewer run from the build tree simply starts at its default size. */
  if (schema != NULL)
    {
      int w, h;

      self->settings = g_settings_new (SETTINGS_SCHEMA);
      g_settings_get (self->settings, "window-size", "(ii)", &w, &h);
      gtk_window_set_default_size (GTK_WINDOW (self), w, h);
      if (g_settings_get_boolean (self->settings, "window-maximized"))
        gtk_window_maximize (GTK_WINDOW (self));
      g_settings_schema_unref (schema);
    }
}

GtkWidget *
weft_window_new (GtkApplication *app)
{
  return g_object_new (WEFT_TYPE_WINDOW, "application", app, NULL);
}
