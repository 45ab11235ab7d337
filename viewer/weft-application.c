/* weft-application.c — see weft-application.h. One window per trace:
 * opening a file shown already presents its window, another reuses a
 * window that has none. The style (light, dark,
 * as the system prefers) follows the color-scheme setting. */
#include "weft-application.h"

#include "weft-preferences-window.h"
#include "weft-window.h"

#include <glib/gi18n.h>

struct _WeftApplication
{
  AdwApplication parent_instance;
  GSettings     *settings; /* NULL when the schema is not installed */
};

G_DEFINE_FINAL_TYPE (WeftApplication, weft_application, ADW_TYPE_APPLICATION)

/* A window without a trace, or a new one. */
static WeftWindow *
empty_window (WeftApplication *self)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (WEFT_IS_WINDOW (l->data) && weft_window_is_empty (l->data))
      return l->data;
  return WEFT_WINDOW (weft_window_new (GTK_APPLICATION (self)));
}

GtkWindow *
weft_application_find_window (WeftApplication *self, GFile *file)
{
  g_return_val_if_fail (WEFT_IS_APPLICATION (self) && G_IS_FILE (file), NULL);

  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
    if (WEFT_IS_WINDOW (l->data) && weft_window_shows (l->data, file))
      return l->data;
  return NULL;
}

static void
weft_application_activate (GApplication *app)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (app));

  if (window == NULL)
    window = GTK_WINDOW (weft_window_new (GTK_APPLICATION (app)));
  gtk_window_present (window);
}

static void
weft_application_open (GApplication *app, GFile **files, int n_files, const char *hint)
{
  for (int i = 0; i < n_files; i++)
    {
      GtkWindow *window = weft_application_find_window (WEFT_APPLICATION (app), files[i]);

      if (window == NULL)
        {
          window = GTK_WINDOW (empty_window (WEFT_APPLICATION (app)));
          weft_window_open (WEFT_WINDOW (window), files[i]);
        }
      gtk_window_present (window);
    }
}

static void
on_open_response (GtkNativeDialog *dialog, int response, WeftApplication *self)
{
  if (response == GTK_RESPONSE_ACCEPT)
    {
      g_autoptr (GFile) file = gtk_file_chooser_get_file (GTK_FILE_CHOOSER (dialog));
      GFile *files[] = { file };

      weft_application_open (G_APPLICATION (self), files, 1, "");
    }
  g_object_unref (dialog);
}

static void
open_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  WeftApplication      *self = data;
  GtkFileChooserNative *dialog;
  g_autoptr (GtkFileFilter) traces = gtk_file_filter_new ();
  g_autoptr (GtkFileFilter) all = gtk_file_filter_new ();

  dialog = gtk_file_chooser_native_new (_ ("Open a Trace"), gtk_application_get_active_window (GTK_APPLICATION (self)),
                                        GTK_FILE_CHOOSER_ACTION_OPEN, _ ("_Open"), _ ("_Cancel"));
  gtk_file_filter_set_name (traces, _ ("Weft traces"));
  gtk_file_filter_add_pattern (traces, "*.weft");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), traces);
  gtk_file_filter_set_name (all, _ ("All files"));
  gtk_file_filter_add_pattern (all, "*");
  gtk_file_chooser_add_filter (GTK_FILE_CHOOSER (dialog), all);
  g_signal_connect (dialog, "response", G_CALLBACK (on_open_response), self);
  gtk_native_dialog_show (GTK_NATIVE_DIALOG (dialog));
}

static void
new_window_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  gtk_window_present (GTK_WINDOW (weft_window_new (GTK_APPLICATION (data))));
}

static void
about_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  static const char *developers[] = { "The Weft developers", NULL };

  adw_show_about_window (gtk_application_get_active_window (GTK_APPLICATION (data)),
                         "application-name", _ ("Weft"),
                         "application-icon", "org.weft.Viewer",
                         "version", WEFT_VERSION,
                         "comments", _ ("Execution traces of goroutine runtimes: timelines, leaks and pauses"),
                         "license-type", GTK_LICENSE_GPL_3_0,
                         "developers", developers,
                         /* Translators: your names, one per line. */
                         "translator-credits", _ ("translator-credits"),
                         NULL);
}

static void
preferences_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  WeftApplication *self = data;

  gtk_window_present (GTK_WINDOW (
      weft_preferences_window_new (gtk_application_get_active_window (GTK_APPLICATION (self)), self->settings)));
}

static void
apply_color_scheme (GSettings *settings, const char *key, WeftApplication *self)
{
  static const AdwColorScheme schemes[] = { ADW_COLOR_SCHEME_DEFAULT, ADW_COLOR_SCHEME_FORCE_LIGHT,
                                            ADW_COLOR_SCHEME_FORCE_DARK };
  guint                       i = (guint) g_settings_get_enum (settings, "color-scheme");

  adw_style_manager_set_color_scheme (adw_style_manager_get_default (), schemes[MIN (i, G_N_ELEMENTS (schemes) - 1)]);
}

static void
quit_action (GSimpleAction *action, GVariant *param, gpointer data)
{
  g_application_quit (G_APPLICATION (data));
}

static void
weft_application_startup (GApplication *app)
{
  static const GActionEntry actions[] = {
    { "new-window", new_window_action },
    { "open", open_action },
    { "about", about_action },
    { "preferences", preferences_action },
    { "quit", quit_action },
  };
  static const char *const open_accels[] = { "<Control>o", NULL };
  static const char *const quit_accels[] = { "<Control>q", NULL };
  static const char *const new_window_accels[] = { "<Control>n", NULL };
  static const char *const preferences_accels[] = { "<Control>comma", NULL };
  WeftApplication         *self = WEFT_APPLICATION (app);
  GSettingsSchema         *schema;

  G_APPLICATION_CLASS (weft_application_parent_class)->startup (app);
  g_action_map_add_action_entries (G_ACTION_MAP (app), actions, G_N_ELEMENTS (actions), app);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.open", open_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.quit", quit_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.new-window", new_window_accels);
  gtk_application_set_accels_for_action (GTK_APPLICATION (app), "app.preferences", preferences_accels);

  /* A viewer run from the build tree without its schema has no
   * preferences to keep: it starts with the defaults. */
  schema = g_settings_schema_source_lookup (g_settings_schema_source_get_default (), WEFT_VIEWER_APP_ID, TRUE);
  if (schema != NULL)
    {
      self->settings = g_settings_new (WEFT_VIEWER_APP_ID);
      g_signal_connect (self->settings, "changed::color-scheme", G_CALLBACK (apply_color_scheme), self);
      apply_color_scheme (self->settings, "color-scheme", self);
      g_settings_schema_unref (schema);
    }
  g_simple_action_set_enabled (G_SIMPLE_ACTION (g_action_map_lookup_action (G_ACTION_MAP (app), "preferences")),
                               self->settings != NULL);
}

static void
weft_application_dispose (GObject *object)
{
  g_clear_object (&WEFT_APPLICATION (object)->settings);
  G_OBJECT_CLASS (weft_application_parent_class)->dispose (object);
}

static void
weft_application_class_init (WeftApplicationClass *klass)
{
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  G_OBJECT_CLASS (klass)->dispose = weft_application_dispose;

  app_class->activate = weft_application_activate;
  app_class->open = weft_application_open;
  app_class->startup = weft_application_startup;
}

static void
weft_application_init (WeftApplication *self)
{
}

WeftApplication *
weft_application_new (void)
{
  WeftApplication *self = g_object_new (WEFT_TYPE_APPLICATION, "application-id", WEFT_VIEWER_APP_ID, "flags",
                                        G_APPLICATION_HANDLES_OPEN, NULL);

  /* Translators: what weft-viewer --help says it takes. */
  g_application_set_option_context_parameter_string (G_APPLICATION (self), _ ("[FILE.weft…]"));
  return self;
}
