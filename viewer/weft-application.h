/* weft-application.h — weft-viewer's application: windows, actions. */
#pragma once

#include <adwaita.h>

G_BEGIN_DECLS

/* The application id: also the GSettings schema, the icon, the desktop
 * file and the resource path (/org/weft/Viewer). */
#define WEFT_VIEWER_APP_ID "org.weft.Viewer"

#define WEFT_TYPE_APPLICATION (weft_application_get_type ())
G_DECLARE_FINAL_TYPE (WeftApplication, weft_application, WEFT, APPLICATION, AdwApplication)

WeftApplication *weft_application_new (void);
/* The window that shows @file, or NULL: opening a file shown already
 * presents its window (one window per trace). */
GtkWindow *weft_application_find_window (WeftApplication *self, GFile *file);

G_END_DECLS
