/* bq-app-test.h — helpers shared by the desktop app's GUI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "bq-application.h"
#include "bq-slots-page.h"
#include "bq-test-server.h"

G_BEGIN_DECLS

typedef gboolean (*BqAppTestPredicate) (gpointer data);

/* Runs the main context until @predicate holds, waking at least every
 * @tick_ms; FALSE on timeout. */
gboolean   bq_app_test_run_until       (BqAppTestPredicate  predicate,
                                        gpointer            data,
                                        guint               timeout_ms,
                                        guint               tick_ms);
/* Runs the main context for @ms (transitions, relayouts). */
void       bq_app_test_settle          (guint               ms);
/* The first widget of @type at or under @widget, depth first. */
GtkWidget *bq_app_test_find_descendant (GtkWidget          *widget,
                                        GType               type);
/* With $BQ_SCREENSHOT_DIR set, @widget as $BQ_SCREENSHOT_DIR/@name.png,
 * settling @settle_ms before each attempt at a render node. */
void       bq_app_test_save_screenshot (GtkWidget          *widget,
                                        const char         *name,
                                        guint               settle_ms);
/* A bq_application_sign_in() callback: asserts success and sets the
 * gboolean at @user_data. */
void       bq_app_test_on_signed_in    (GObject            *source,
                                        GAsyncResult       *result,
                                        gpointer            user_data);

/* Predicates for the Slots and Orders tests. */
/* The slots page has no request under way (@data: a BqSlotsPage). */
gboolean   bq_app_test_page_idle       (gpointer            data);
/* The client (@data) has nothing queued. */
gboolean   bq_app_test_outbox_empty    (gpointer            data);
/* The client (@data) is online with slots in its cache. */
gboolean   bq_app_test_cache_has_slots (gpointer            data);

typedef struct {
  BqStore    *store;
  const char *patient_ref;
  BqOrderStatus status;
} BqAppTestOnServer;

/* The server's store has an order for the patient in that status, with a
 * slot (@data: a BqAppTestOnServer). */
gboolean   bq_app_test_server_has_order (gpointer           data);

G_END_DECLS
