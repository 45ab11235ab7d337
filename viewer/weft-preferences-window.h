/* weft-preferences-window.h — the Preferences window: the org.weft.Viewer
 * settings a user changes (style, leak threshold).
 */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

#define WEFT_TYPE_PREFERENCES_WINDOW (weft_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (WeftPreferencesWindow, weft_preferences_window, WEFT, PREFERENCES_WINDOW, AdwPreferencesWindow)

/* Edits @settings (an org.weft.Viewer GSettings) directly. */
GtkWidget *weft_preferences_window_new (GtkWindow *parent,
                                        GSettings *settings);

G_END_DECLS
