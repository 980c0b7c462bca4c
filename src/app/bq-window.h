/* bq-window.h — the main window
 *
 * A header bar with the sync indicator, the view switcher and the main
 * menu over the six views; a welcome page until someone signs in.  It
 * shows the application's client and follows it when it is replaced.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-application.h"
#include "bq-orders-page.h"
#include "bq-slots-page.h"
#include "bq-sync-indicator.h"

G_BEGIN_DECLS

#define BQ_TYPE_WINDOW (bq_window_get_type ())
G_DECLARE_FINAL_TYPE (BqWindow, bq_window, BQ, WINDOW, AdwApplicationWindow)

BqWindow        *bq_window_new                  (BqApplication *application);
/* The account dialog, filled in with what is known; @message (may be
 * NULL) replaces its introduction and @error (may be NULL) shows why the
 * last sign-in failed.  Only one at a time. */
void             bq_window_show_account_dialog  (BqWindow      *self,
                                                 const char    *message,
                                                 const GError  *error);
void             bq_window_show_toast           (BqWindow      *self,
                                                 const char    *text);
/* "control-tower", "production", "slots", "orders", "network", "quality" */
void             bq_window_set_page             (BqWindow      *self,
                                                 const char    *name);
const char      *bq_window_get_page             (BqWindow      *self);
BqOrdersPage    *bq_window_get_orders_page      (BqWindow      *self);
BqSlotsPage     *bq_window_get_slots_page       (BqWindow      *self);
BqSyncIndicator *bq_window_get_sync_indicator   (BqWindow      *self);

G_END_DECLS
