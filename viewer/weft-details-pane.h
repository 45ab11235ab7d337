/* weft-details-pane.h — what the viewer shows for a clicked slice: the
 * goroutine, where it was created and where it blocked (stacks with
 * file:line), who woke it and when, and links to related goroutines.
 */
#pragma once

#include <gtk/gtk.h>

G_BEGIN_DECLS

#define WEFT_TYPE_DETAILS_PANE (weft_details_pane_get_type ())
G_DECLARE_FINAL_TYPE (WeftDetailsPane, weft_details_pane, WEFT, DETAILS_PANE, GtkWidget)

GtkWidget *weft_details_pane_new (void);
/* Shows goroutine @goid around @ts_ns of the trace at @path; its queries
 * run in a thread ("loaded" when shown), and a newer call cancels them. */
void weft_details_pane_show (WeftDetailsPane *self,
                             const char      *path,
                             gint64           goid,
                             gint64           ts_ns);
/* Back to the hint shown before any slice was clicked. */
void weft_details_pane_clear (WeftDetailsPane *self);

/* What is shown, for tests: an item of schema/queries/goroutine-details.sql
 * (raw), the frames of the "created" or "blocked" stack as shown, one per
 * line, and the related goroutines in the order listed. */
const char *weft_details_pane_get_item (WeftDetailsPane *self,
                                        const char      *item);
char       *weft_details_pane_get_stack_text (WeftDetailsPane *self,
                                              const char      *kind);
guint       weft_details_pane_get_n_links (WeftDetailsPane *self);
gboolean    weft_details_pane_get_link (WeftDetailsPane *self,
                                        guint            i,
                                        const char     **relation,
                                        gint64          *goid,
                                        gint64          *ts_ns);
/* Follows link @i as a click would ("goroutine-activated"). */
void weft_details_pane_activate_link (WeftDetailsPane *self,
                                      guint            i);

G_END_DECLS
