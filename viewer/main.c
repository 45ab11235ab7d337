/* main.c — weft-viewer [FILE.weft…] */
#include "weft-application.h"

#include <glib/gi18n.h>
#include <locale.h>

int
main (int argc, char **argv)
{
  g_autoptr (WeftApplication) app = NULL;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, g_getenv ("WEFT_LOCALEDIR") != NULL ? g_getenv ("WEFT_LOCALEDIR") : LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = weft_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
