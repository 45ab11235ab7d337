/* weft-preferences-window.c — see weft-preferences-window.h. Widgets are
 * bound to the keys, so a change applies at once (the application and the
 * windows watch the same keys) and nothing needs saving. */
#include "weft-preferences-window.h"

struct _WeftPreferencesWindow
{
  AdwPreferencesWindow parent_instance;
  AdwComboRow         *style_row;
  GtkSpinButton       *threshold;
};

G_DEFINE_FINAL_TYPE (WeftPreferencesWindow, weft_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* color-scheme is an enum key: its nick <-> the combo row's position. */
static const char *const schemes[] = { "default", "light", "dark" };

static gboolean
scheme_to_position (GValue *value, GVariant *variant, gpointer data)
{
  const char *nick = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (schemes); i++)
    if (g_str_equal (nick, schemes[i]))
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
position_to_scheme (const GValue *value, const GVariantType *type, gpointer data)
{
  guint i = g_value_get_uint (value);

  return i < G_N_ELEMENTS (schemes) ? g_variant_new_string (schemes[i]) : NULL;
}

static void
weft_preferences_window_class_init (WeftPreferencesWindowClass *klass)
{
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  gtk_widget_class_set_template_from_resource (widget_class, "/org/weft/Viewer/weft-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, WeftPreferencesWindow, style_row);
  gtk_widget_class_bind_template_child (widget_class, WeftPreferencesWindow, threshold);
}

static void
weft_preferences_window_init (WeftPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWidget *
weft_preferences_window_new (GtkWindow *parent, GSettings *settings)
{
  WeftPreferencesWindow *self;

  g_return_val_if_fail (G_IS_SETTINGS (settings), NULL);

  self = g_object_new (WEFT_TYPE_PREFERENCES_WINDOW, "transient-for", parent, NULL);
  g_settings_bind_with_mapping (settings, "color-scheme", self->style_row, "selected", G_SETTINGS_BIND_DEFAULT,
                                scheme_to_position, position_to_scheme, NULL, NULL);
  g_settings_bind (settings, "leak-threshold-ms", gtk_spin_button_get_adjustment (self->threshold), "value",
                   G_SETTINGS_BIND_DEFAULT);
  return GTK_WIDGET (self);
}
