/* test-orders-actions.c — the Orders page's cancel and reschedule, and a
 * run's slots in its detail
 *
 * Runs under xvfb-run against an in-process server with the demo network
 * (its clock fixed to 2026-11-24).  The account manager for Europe books
 * two doses through the Slots page; the run that makes them lists its
 * slots with the orders on them; one order is cancelled from the Orders
 * page (through the confirmation dialog): the server shows it cancelled
 * and its slot has the dose back; the other is rescheduled to another
 * slot through the Slots page's reschedule mode.
 *
 * With $BQ_SCREENSHOT_DIR set, PNGs of each step are written there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "bq-app-test.h"
#include "bq-application.h"
#include "bq-gantt.h"
#include "bq-production-page.h"
#include "bq-run-detail.h"
#include "bq-slots-page.h"
#include "bq-test-server.h"
#include "bq-window.h"

#define TIMEOUT_MS (120 * 1000)
#define DAY 86400
#define NOW        G_GINT64_CONSTANT (1795507200)   /* 2026-11-24T08:00:00Z */
#define ADMIN      G_GINT64_CONSTANT (1796198400)   /* 2026-12-02T08:00Z */


static gboolean
orders_loaded (gpointer data)
{
  return bq_order_list_get_loaded (bq_orders_page_get_orders (data));
}

typedef struct {
  BqOrdersPage *page;
  const char   *id;
} Select;

static gboolean
order_selectable (gpointer data)
{
  Select *select = data;

  return bq_orders_page_select_order (select->page, select->id);
}

static BqOrder *
server_order (BqStore    *store,
              const char *patient_ref)
{
  g_autoptr(GPtrArray) orders = bq_store_list (store, &bq_order_type, NULL);

  for (guint i = 0; orders != NULL && i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);

      if (g_strcmp0 (order->patient_ref, patient_ref) == 0)
        return bq_entity_copy (order);
    }
  return NULL;
}

static gint64
slot_claimed (BqStore    *store,
              const char *slot_id)
{
  g_autoptr(BqSlot) slot = bq_store_get (store, &bq_slot_type, slot_id, NULL);

  g_assert_nonnull (slot);
  return slot->claimed;
}

typedef struct {
  BqStore    *store;
  const char *slot_id;
  gint64      claimed;
} Claimed;

static gboolean
slot_has_claimed (gpointer data)
{
  Claimed *c = data;

  return slot_claimed (c->store, c->slot_id) == c->claimed;
}

static gboolean
order_cancelled (gpointer data)
{
  BqAppTestOnServer *on = data;
  g_autoptr(BqOrder) order = server_order (on->store, on->patient_ref);

  return order != NULL && order->status == BQ_ORDER_CANCELLED;
}

typedef struct {
  BqStore    *store;
  const char *patient_ref;
  const char *slot_id;
} InSlot;

static gboolean
order_in_slot (gpointer data)
{
  InSlot *in = data;
  g_autoptr(BqOrder) order = server_order (in->store, in->patient_ref);

  return order != NULL && g_strcmp0 (order->slot_id, in->slot_id) == 0;
}

static AdwMessageDialog *
find_message_dialog (void)
{
  GListModel *toplevels = gtk_window_get_toplevels ();   /* transfer none */

  for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
    {
      g_autoptr(GObject) window = g_list_model_get_item (toplevels, i);

      if (ADW_IS_MESSAGE_DIALOG (window) && gtk_widget_get_visible (GTK_WIDGET (window)))
        return ADW_MESSAGE_DIALOG (window);
    }
  return NULL;
}

static gboolean
dialog_shown (gpointer data)
{
  return find_message_dialog () != NULL;
}

typedef struct {
  BqProductionPage *page;
  const char       *run_id;
} RunShown;

static gboolean
run_loaded (gpointer data)
{
  RunShown *shown = data;
  BqGanttData *gantt_data = bq_gantt_get_data (bq_production_page_get_gantt (shown->page));

  return bq_production_page_get_loaded (shown->page) && gantt_data != NULL &&
         bq_gantt_data_lookup_bar (gantt_data, shown->run_id) != NULL;
}

static void
book (BqSlotsPage *page,
      BqStore     *server_store,
      BqClient    *client,
      const char  *patient_ref)
{
  g_autoptr(GError) error = NULL;
  BqAppTestOnServer on = { server_store, patient_ref, BQ_ORDER_REQUESTED };

  bq_slots_page_new_booking (page);
  bq_slots_page_set_request (page, patient_ref, "7.4 GBq", ADMIN, 4 * 3600);
  g_assert_true (bq_slots_page_find (page, &error));
  g_assert_no_error (error);
  g_assert_true (bq_app_test_run_until (bq_app_test_page_idle, page, TIMEOUT_MS, 20));
  g_assert_cmpuint (bq_slots_page_get_n_options (page), >, 0);
  bq_slots_page_select_option (page, 0);
  g_assert_true (bq_slots_page_book (page, &error));
  g_assert_no_error (error);
  g_assert_true (bq_app_test_run_until (bq_app_test_server_has_order, &on, TIMEOUT_MS, 20));
  g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
}

/* ------------------------------------------------------------------ test */

static void
test_orders_actions (void)
{
  g_autoptr(BqTestServer) server = bq_test_server_new ();
  g_autofree char *dir = g_dir_make_tmp ("bq-orders-actions-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqOrder) first = NULL;
  g_autoptr(BqOrder) second = NULL;
  BqApplication *app;
  BqClient *client;
  BqWindow *window;
  BqSlotsPage *slots;
  BqOrdersPage *orders;
  gboolean signed_in = FALSE;

  bq_server_set_fixed_now (server->server, NOW);

  app = bq_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  bq_application_sign_in_async (app, server->base, "am-europe", BQ_TEST_PASSWORD, FALSE, NULL,
                                bq_app_test_on_signed_in, &signed_in);
  g_assert_true (bq_test_run_until (&signed_in, TIMEOUT_MS));
  client = bq_application_get_client (app);
  window = BQ_WINDOW (bq_application_open_window (app));
  /* AdwFlap 1.2 can measure min > natural for a frame mid-animation on a
   * loaded machine (a fatal warning here); the test is about the data. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 1000);
  bq_window_set_page (window, "slots");
  slots = bq_window_get_slots_page (window);
  orders = bq_window_get_orders_page (window);
  g_assert_true (bq_app_test_run_until (bq_app_test_cache_has_slots, client, TIMEOUT_MS, 20));
  bq_app_test_settle (500);

  /* Two doses booked for one of the AM's centres. */
  bq_slots_page_set_now (slots, NOW);
  bq_slots_page_set_week (slots, ADMIN - 2 * DAY);
  {
    const BqUser *user = bq_client_get_user (client);
    gboolean found = FALSE;

    for (guint i = 0; !found && user->centre_ids[i] != NULL; i++)
      {
        g_assert_true (bq_slots_page_set_centre (slots, user->centre_ids[i]));
        found = bq_slots_page_get_n_slots (slots) > 0;
      }
    g_assert_true (found);
  }
  book (slots, server->store, client, "PT-ORD-1");
  book (slots, server->store, client, "PT-ORD-2");
  first = server_order (server->store, "PT-ORD-1");
  second = server_order (server->store, "PT-ORD-2");
  g_assert_nonnull (first->slot_id);
  g_assert_nonnull (first->run_id);

  /* The run that makes the first dose lists its slots and their orders. */
  {
    BqProductionPage *production;
    RunShown shown;

    bq_window_set_page (window, "production");
    production = BQ_PRODUCTION_PAGE (bq_app_test_find_descendant (GTK_WIDGET (window),
                                                      BQ_TYPE_PRODUCTION_PAGE));
    g_assert_nonnull (production);
    shown = (RunShown) { production, first->run_id };
    bq_production_page_reload (production);
    g_assert_true (bq_app_test_run_until (run_loaded, &shown, TIMEOUT_MS, 20));
    g_assert_true (bq_gantt_select_run (bq_production_page_get_gantt (production),
                                        first->run_id));
    bq_app_test_settle (500);
    g_test_message ("run %s: %u slots, %u orders on them", first->run_id,
                    bq_run_detail_get_n_slots (bq_production_page_get_run_detail (production)),
                    bq_run_detail_get_n_slot_orders (bq_production_page_get_run_detail (production)));
    g_assert_cmpuint (bq_run_detail_get_n_slots (bq_production_page_get_run_detail (production)),
                      >, 0);
    g_assert_cmpuint (bq_run_detail_get_n_slot_orders (bq_production_page_get_run_detail (production)),
                      >=, 1);
    {
      /* Scroll the detail to its Slots group for the picture. */
      GtkWidget *detail = GTK_WIDGET (bq_production_page_get_run_detail (production));
      GtkWidget *scrolled = bq_app_test_find_descendant (detail, GTK_TYPE_SCROLLED_WINDOW);
      GtkAdjustment *adjustment;

      g_assert_nonnull (scrolled);
      adjustment = gtk_scrolled_window_get_vadjustment (GTK_SCROLLED_WINDOW (scrolled));
      bq_app_test_settle (500);
      gtk_adjustment_set_value (adjustment, gtk_adjustment_get_upper (adjustment) * 0.55);
      bq_app_test_save_screenshot (detail, "orders-01-run-slots", 500);
    }
  }

  /* A demo order with a shipment: the detail lists its legs, in order. */
  {
    BqStore *store = bq_client_get_store (client);
    g_autoptr(GPtrArray) cached = bq_store_list (store, &bq_order_type, NULL);
    const BqOrder *shipped = NULL;
    guint n_legs = 0;

    for (guint i = 0; shipped == NULL && i < cached->len; i++)
      {
        const BqOrder *order = g_ptr_array_index (cached, i);
        g_autoptr(BqQuery) query = NULL;
        g_autoptr(GPtrArray) legs = NULL;

        if (order->shipment_id == NULL)
          continue;
        query = bq_query_new (&bq_shipment_leg_type);
        bq_query_where_equals (query, "shipment_id", order->shipment_id);
        legs = bq_store_query (store, query, NULL);
        if (legs != NULL && legs->len > 0)
          {
            shipped = order;
            n_legs = legs->len;
          }
      }
    g_assert_nonnull (shipped);
    {
      Select select = { orders, shipped->base.id };
      g_auto(GStrv) route = NULL;

      bq_window_set_page (window, "orders");
      g_assert_true (bq_app_test_run_until (orders_loaded, orders, TIMEOUT_MS, 20));
      g_assert_true (bq_app_test_run_until (order_selectable, &select, TIMEOUT_MS, 20));
      bq_app_test_settle (500);
      route = bq_orders_page_dup_route (orders);
      g_assert_cmpuint (g_strv_length (route), ==, n_legs);
      for (guint i = 0; route[i] != NULL; i++)
        {
          g_test_message ("leg %u: %s", i, route[i]);
          g_assert_nonnull (strstr (route[i], " → "));
          g_assert_nonnull (strstr (route[i], ":"));
        }
      bq_app_test_save_screenshot (GTK_WIDGET (window), "orders-01b-route", 500);
    }
  }

  /* Cancel the first from the Orders page, through the dialog. */
  {
    Select select = { orders, first->base.id };
    BqAppTestOnServer on = { server->store, "PT-ORD-1", BQ_ORDER_CANCELLED };
    gint64 claimed = slot_claimed (server->store, first->slot_id);
    Claimed back = { server->store, first->slot_id, claimed - 1 };
    AdwMessageDialog *dialog;

    bq_window_set_page (window, "orders");
    g_assert_true (bq_app_test_run_until (orders_loaded, orders, TIMEOUT_MS, 20));
    g_assert_true (bq_app_test_run_until (order_selectable, &select, TIMEOUT_MS, 20));
    bq_app_test_settle (500);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "orders-02-detail-actions", 500);
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (orders), "orders.cancel", NULL));
    g_assert_true (bq_app_test_run_until (dialog_shown, NULL, TIMEOUT_MS, 20));
    dialog = find_message_dialog ();
    bq_app_test_save_screenshot (GTK_WIDGET (dialog), "orders-03-cancel-dialog", 500);
    adw_message_dialog_response (dialog, "cancel-order");
    g_assert_true (bq_app_test_run_until (order_cancelled, &on, TIMEOUT_MS, 20));
    g_assert_true (bq_app_test_run_until (slot_has_claimed, &back, TIMEOUT_MS, 20));
    g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
    g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
    g_assert_cmpstr (bq_orders_page_get_action_text (orders), ==, "");
  }

  /* Reschedule the second: the Slots page in reschedule mode. */
  {
    Select select = { orders, second->base.id };
    InSlot in = { server->store, "PT-ORD-2", NULL };
    gint64 old_claimed = slot_claimed (server->store, second->slot_id);
    Claimed back = { server->store, second->slot_id, old_claimed - 1 };
    guint pick = G_MAXUINT;

    g_assert_true (bq_app_test_run_until (order_selectable, &select, TIMEOUT_MS, 20));
    g_assert_true (gtk_widget_activate_action (GTK_WIDGET (orders), "orders.reschedule", NULL));
    g_assert_cmpstr (bq_window_get_page (window), ==, "slots");
    g_assert_cmpstr (bq_slots_page_get_reschedule_id (slots), ==, second->base.id);
    g_assert_true (bq_app_test_run_until (bq_app_test_page_idle, slots, TIMEOUT_MS, 20));
    for (guint i = 0; pick == G_MAXUINT && i < bq_slots_page_get_n_options (slots); i++)
      if (g_strcmp0 (bq_slots_page_get_option_slot (slots, i), second->slot_id) != 0)
        pick = i;
    /* The demo always offers the order another feasible slot. */
    g_assert_cmpuint (pick, !=, G_MAXUINT);
    in.slot_id = bq_slots_page_get_option_slot (slots, pick);
    g_test_message ("reschedule %s → %s", second->slot_id, in.slot_id);
    bq_slots_page_select_option (slots, pick);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "orders-04-reschedule", 500);
    g_assert_true (bq_slots_page_book (slots, &error));
    g_assert_no_error (error);
    g_assert_true (bq_app_test_run_until (order_in_slot, &in, TIMEOUT_MS, 20));
    g_assert_true (bq_app_test_run_until (slot_has_claimed, &back, TIMEOUT_MS, 20));
    g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
    g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
  }

  {
    GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

    for (GList *l = windows; l != NULL; l = l->next)
      gtk_window_destroy (l->data);
    g_list_free (windows);
  }
  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (app);
  {
    g_autofree char *wal = g_strconcat (cache, "-wal", NULL);
    g_autofree char *shm = g_strconcat (cache, "-shm", NULL);

    g_unlink (cache);
    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/orders/cancel-reschedule-run-slots", test_orders_actions);

  return g_test_run ();
}
