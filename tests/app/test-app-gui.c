/* test-app-gui.c — the app against a real server, then without one
 *
 * Runs under xvfb-run (see meson.build).  The app's objects are built in
 * this process so the test can look inside them: a BqApplication signs in
 * to a becquerel-server subprocess (the demo network), its window syncs
 * and the Orders page must list exactly the orders the planner may see;
 * a change made by someone else appears without a reload.  Then the
 * server stops and a second application on the same cache starts: the
 * same orders, and the sync indicator says offline.
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
#include "bq-account-dialog.h"
#include "bq-order-list.h"
#include "bq-orders-page.h"
#include "bq-preferences-window.h"
#include "bq-sync-indicator.h"
#include "bq-test-server.h"
#include "bq-window.h"

#define SYNC_TIMEOUT_MS (120 * 1000)

/* ---------------------------------------------------------------- helpers */

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  gboolean *painted = user_data;

  *painted = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Waits for the next frame of @widget's window to be painted. */
static void
wait_for_frame (GtkWidget *widget)
{
  gboolean painted = FALSE;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gulong handler;

  g_assert_nonnull (clock);
  handler = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gtk_widget_queue_draw (widget);
  g_assert_true (bq_app_test_run_until (flag_is_set, &painted, 10000, 50));
  g_signal_handler_disconnect (clock, handler);
}

static gboolean
widget_has_size (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0 &&
         gtk_widget_get_height (data) > 0;
}

static void
save_screenshot (GtkWidget  *widget,
                 const char *name)
{
  const char *dir = g_getenv ("BQ_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width, height;

  if (dir == NULL)
    return;

  g_assert_true (bq_app_test_run_until (widget_has_size, widget, 10000, 50));
  /* A new window has a render node once it has really been drawn, which
   * may take a frame or two after it is mapped. */
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      wait_for_frame (widget);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      g_clear_object (&paintable);
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

/* The ids of every order the server lets @username see, through the API
 * with its paging. */
static GHashTable *
server_order_ids (BqTestServer *server,
                  const char   *username)
{
  g_autofree char *token = bq_test_server_login (server, username);
  GHashTable *ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 offset = 0;

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/orders?limit=1000&offset=%" G_GINT64_FORMAT,
                                               offset);
      g_autoptr(BqTestResponse) response = bq_test_request (server, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonArray *items;

      g_assert_cmpuint (response->status, ==, 200);
      object = bq_test_response_object (response);
      items = json_object_get_array_member (object, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *order = json_array_get_object_element (items, i);

          g_hash_table_add (ids, g_strdup (json_object_get_string_member (order, "id")));
        }
      if (!json_object_has_member (object, "next_offset") ||
          json_object_get_null_member (object, "next_offset"))
        break;
      offset = json_object_get_int_member (object, "next_offset");
    }
  return ids;
}

typedef struct {
  BqWindow      *window;
  guint          expected;
  BqClientState  state;
} Synced;

static gboolean
window_shows_orders (gpointer data)
{
  Synced *synced = data;
  BqApplication *app = BQ_APPLICATION (gtk_window_get_application (GTK_WINDOW (synced->window)));
  BqClient *client = bq_application_get_client (app);
  BqOrderList *orders = bq_orders_page_get_orders (bq_window_get_orders_page (synced->window));

  /* Offline counts once a sync has failed, not the state a client
   * starts in before it tried. */
  return client != NULL && bq_client_get_state (client) == synced->state &&
         (synced->state != BQ_CLIENT_STATE_OFFLINE || bq_client_get_offline_since (client) > 0) &&
         orders != NULL && bq_order_list_get_loaded (orders) &&
         !bq_order_list_get_loading (orders) &&
         g_list_model_get_n_items (G_LIST_MODEL (orders)) == synced->expected;
}

static void
assert_same_orders (BqWindow   *window,
                    GHashTable *ids)
{
  BqOrdersPage *page = bq_window_get_orders_page (window);
  GListModel *orders = G_LIST_MODEL (bq_orders_page_get_orders (page));
  GListModel *rows = bq_orders_page_get_rows (page);

  g_assert_cmpuint (g_list_model_get_n_items (orders), ==, g_hash_table_size (ids));
  /* No search: the table shows every order. */
  g_assert_cmpuint (g_list_model_get_n_items (rows), ==, g_hash_table_size (ids));
  for (guint i = 0; i < g_list_model_get_n_items (orders); i++)
    {
      g_autoptr(BqOrderItem) item = g_list_model_get_item (orders, i);

      g_assert_true (g_hash_table_contains (ids, bq_order_item_get_id (item)));
    }
}

static BqApplication *
application_new (const char *cache_path)
{
  BqApplication *app = bq_application_new ();
  g_autoptr(GError) error = NULL;

  /* Two applications in turn in one process, and no session bus. */
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache_path);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  return app;
}

static void
close_application (BqApplication *app)
{
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (windows);
  g_application_quit (G_APPLICATION (app));
  /* What the windows queued (the last reads, closing connections). */
  while (g_main_context_iteration (NULL, FALSE))
    ;
}

/* ---------------------------------------------------------- live update */

typedef struct {
  BqOrderItem *item;
  double       activity;
} Changed;

static gboolean
item_has_activity (gpointer data)
{
  Changed *changed = data;

  return bq_order_item_get_prescribed_activity (changed->item) == changed->activity;
}

/* Someone else changes an order the user has open: the same row (and its
 * selection) shows the new value, with no reload asked for. */
static void
check_live_update (BqTestServer *server,
                   BqWindow     *window)
{
  BqOrdersPage *page = bq_window_get_orders_page (window);
  GListModel *rows = bq_orders_page_get_rows (page);
  g_autoptr(BqOrderItem) item = g_list_model_get_item (rows, 0);
  g_autofree char *token = bq_test_server_login (server, "admin");
  g_autofree char *path = NULL;
  g_autofree char *if_match = NULL;
  g_autofree char *id = g_strdup (bq_order_item_get_id (item));
  g_autoptr(BqTestResponse) response = NULL;
  Changed changed;

  g_assert_true (bq_orders_page_select_order (page, id));
  g_assert_true (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (rows)) == (gpointer) item);

  changed.item = item;
  changed.activity = bq_order_item_get_prescribed_activity (item) + 1.0e8;
  path = g_strdup_printf ("/api/v1/orders/%s", id);
  if_match = g_strdup_printf ("%" G_GINT64_FORMAT, bq_order_item_get_order (item)->base.revision);
  {
    g_autofree char *body = g_strdup_printf ("{\"prescribed_activity_bq\": %.1f}", changed.activity);

    response = bq_test_request (server, "PATCH", path, token, body,
                                "If-Match", if_match, NULL);
  }
  g_assert_cmpuint (response->status, ==, 200);

  g_assert_true (bq_app_test_run_until (item_has_activity, &changed, SYNC_TIMEOUT_MS, 50));
  /* Updated in place: the selection still holds the very same item. */
  g_assert_true (gtk_single_selection_get_selected_item (GTK_SINGLE_SELECTION (rows)) == (gpointer) item);
}

/* -------------------------------------------------------------- conflict */

static GtkWidget *
find_button (GtkWidget  *widget,
             const char *label)
{
  if (GTK_IS_BUTTON (widget) && g_strcmp0 (gtk_button_get_label (GTK_BUTTON (widget)), label) == 0)
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = find_button (child, label);

      if (found != NULL)
        return found;
    }
  return NULL;
}

typedef struct {
  BqClient *client;
  guint     n_conflicts;
  guint     n_pending;
} Outbox;

static gboolean
outbox_is (gpointer data)
{
  Outbox *outbox = data;

  return bq_client_get_n_conflicts (outbox->client) == outbox->n_conflicts &&
         bq_client_get_n_pending (outbox->client) == outbox->n_pending &&
         bq_client_get_state (outbox->client) == BQ_CLIENT_STATE_ONLINE;
}

/* The planner changes an order that someone else changed first (and
 * that a planner may not change at all): the server refuses it, the
 * indicator and a toast say so, and the user decides in the indicator's
 * popover.  "Take Theirs" drops the change and shows the server's order.
 * (Keep Mine is the client tests' business: it needs a role that may
 * edit orders.) */
static void
check_conflict (BqTestServer *server,
                BqWindow     *window)
{
  BqApplication *app = BQ_APPLICATION (gtk_window_get_application (GTK_WINDOW (window)));
  BqClient *client = bq_application_get_client (app);
  BqSyncIndicator *indicator = bq_window_get_sync_indicator (window);
  BqOrdersPage *page = bq_window_get_orders_page (window);
  GListModel *rows = bq_orders_page_get_rows (page);
  g_autoptr(BqOrderItem) item = g_list_model_get_item (rows, 1);
  g_autofree char *token = bq_test_server_login (server, "admin");
  g_autofree char *path = g_strdup_printf ("/api/v1/orders/%s", bq_order_item_get_id (item));
  g_autofree char *if_match = g_strdup_printf ("%" G_GINT64_FORMAT,
                                               bq_order_item_get_order (item)->base.revision);
  g_autoptr(BqOrder) mine = bq_entity_copy (bq_order_item_get_order (item));
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(BqTestResponse) after = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *popover, *take_theirs;
  Changed changed;
  Outbox outbox = { client, 0, 0 };

  /* Not syncing, so the cache keeps the revision the planner edits. */
  bq_client_stop (client);
  {
    g_autofree char *body = g_strdup_printf ("{\"prescribed_activity_bq\": %.1f}",
                                             mine->prescribed_activity_bq + 2.0e8);

    response = bq_test_request (server, "PATCH", path, token, body, "If-Match", if_match, NULL);
  }
  g_assert_cmpuint (response->status, ==, 200);

  mine->prescribed_activity_bq += 5.0e8;
  g_assert_true (bq_client_queue_update (client, mine, &error));
  g_assert_no_error (error);
  g_assert_cmpstr (bq_sync_indicator_get_text (indicator), ==, "1 change waiting");

  bq_client_start (client);
  outbox = (Outbox) { client, 1, 1 };
  g_assert_true (bq_app_test_run_until (outbox_is, &outbox, SYNC_TIMEOUT_MS, 50));
  g_assert_cmpstr (bq_sync_indicator_get_text (indicator), ==, "1 conflict");

  /* The toast's Review button opens the indicator's popover. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.review-conflicts", NULL);
  popover = bq_app_test_find_descendant (GTK_WIDGET (indicator), GTK_TYPE_POPOVER);
  g_assert_nonnull (popover);
  bq_app_test_settle (700);
  g_assert_true (gtk_widget_get_visible (popover));
  save_screenshot (popover, "02-conflict");
  g_assert_nonnull (find_button (popover, "_Keep Mine"));
  take_theirs = find_button (popover, "_Take Theirs");
  g_assert_nonnull (take_theirs);
  g_signal_emit_by_name (take_theirs, "clicked");

  outbox = (Outbox) { client, 0, 0 };
  g_assert_true (bq_app_test_run_until (outbox_is, &outbox, SYNC_TIMEOUT_MS, 50));
  g_assert_cmpstr (bq_sync_indicator_get_text (indicator), ==, "Online");
  gtk_popover_popdown (GTK_POPOVER (popover));

  /* Theirs stands on the server, and the row shows it again. */
  after = bq_test_request (server, "GET", path, token, NULL, NULL);
  g_assert_cmpuint (after->status, ==, 200);
  changed.item = item;
  changed.activity = json_object_get_double_member (bq_test_response_object (after),
                                                    "prescribed_activity_bq");
  g_assert_cmpfloat (changed.activity, !=, mine->prescribed_activity_bq);
  g_assert_true (bq_app_test_run_until (item_has_activity, &changed, SYNC_TIMEOUT_MS, 50));
}

/* ------------------------------------------------------------ screenshots */

static gboolean
screenshots_wanted (void)
{
  return g_getenv ("BQ_SCREENSHOT_DIR") != NULL;
}

static GtkWindow *
find_window (BqApplication *app,
             GType          type)
{
  for (GList *l = gtk_application_get_windows (GTK_APPLICATION (app)); l != NULL; l = l->next)
    if (G_TYPE_CHECK_INSTANCE_TYPE (l->data, type))
      return l->data;
  return NULL;
}

/* What the test does not need but a reviewer wants to see: a search, the
 * sync popover, the preferences. */
static void
online_screenshots (BqApplication *app,
                    BqWindow      *window)
{
  BqOrdersPage *page = bq_window_get_orders_page (window);
  GtkWidget *entry = bq_app_test_find_descendant (GTK_WIDGET (page), GTK_TYPE_SEARCH_ENTRY);
  GtkWidget *button = bq_app_test_find_descendant (GTK_WIDGET (bq_window_get_sync_indicator (window)),
                                       GTK_TYPE_MENU_BUTTON);
  GtkWindow *preferences;

  if (!screenshots_wanted ())
    return;

  gtk_editable_set_text (GTK_EDITABLE (entry), "lu-177 requested");
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (window), "01-search");
  gtk_editable_set_text (GTK_EDITABLE (entry), "no such order");
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (window), "01-search-nothing");
  gtk_editable_set_text (GTK_EDITABLE (entry), "");

  gtk_menu_button_popup (GTK_MENU_BUTTON (button));
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (gtk_menu_button_get_popover (GTK_MENU_BUTTON (button))),
                   "01-sync-popover");
  gtk_menu_button_popdown (GTK_MENU_BUTTON (button));

  g_action_group_activate_action (G_ACTION_GROUP (app), "shortcuts", NULL);
  {
    GtkShortcutsWindow *shortcuts = gtk_application_window_get_help_overlay (GTK_APPLICATION_WINDOW (window));

    g_assert_nonnull (shortcuts);
    bq_app_test_settle (700);
    save_screenshot (GTK_WIDGET (shortcuts), "01-shortcuts");
    gtk_window_close (GTK_WINDOW (shortcuts));
  }

  g_action_group_activate_action (G_ACTION_GROUP (app), "about", NULL);
  {
    GListModel *toplevels = gtk_window_get_toplevels ();
    GtkWindow *about = NULL;

    for (guint i = 0; i < g_list_model_get_n_items (toplevels); i++)
      {
        g_autoptr(GtkWindow) toplevel = g_list_model_get_item (toplevels, i);

        if (ADW_IS_ABOUT_WINDOW (toplevel))
          about = toplevel;
      }
    g_assert_nonnull (about);
    bq_app_test_settle (700);
    save_screenshot (GTK_WIDGET (about), "01-about");
    gtk_window_destroy (about);
  }

  g_action_group_activate_action (G_ACTION_GROUP (app), "preferences", NULL);
  preferences = find_window (app, BQ_TYPE_PREFERENCES_WINDOW);
  g_assert_nonnull (preferences);
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (preferences), "01-preferences");
  gtk_window_destroy (preferences);
}

static void
offline_screenshots (BqApplication *app)
{
  GSettings *settings = bq_application_get_settings (app);
  GtkWindow *narrow;

  if (!screenshots_wanted ())
    return;

  /* A phone-sized window: the view switcher moves to the bottom. */
  g_settings_set_int (settings, "window-width", 400);
  g_settings_set_int (settings, "window-height", 760);
  narrow = bq_application_open_window (app);
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (narrow), "03-offline-narrow");
  gtk_window_destroy (narrow);
  g_settings_reset (settings, "window-width");
  g_settings_reset (settings, "window-height");
}

/* First start: no server known, nothing cached. */
static void
first_start_screenshots (const char *dir)
{
  g_autofree char *cache = g_build_filename (dir, "first-start.db", NULL);
  g_autoptr(GError) error = g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                                         "wrong user name or password");
  BqApplication *app;
  BqWindow *window;
  GtkWindow *dialog;
  GSettings *settings;

  if (!screenshots_wanted ())
    return;

  app = application_new (cache);
  settings = bq_application_get_settings (app);
  g_settings_reset (settings, "server-url");
  g_settings_reset (settings, "username");
  window = BQ_WINDOW (bq_application_open_window (app));
  bq_app_test_settle (700);
  dialog = find_window (app, BQ_TYPE_ACCOUNT_DIALOG);
  g_assert_nonnull (dialog);
  gtk_window_destroy (dialog);
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (window), "04-welcome");

  bq_window_show_account_dialog (window, NULL, NULL);
  dialog = find_window (app, BQ_TYPE_ACCOUNT_DIALOG);
  bq_account_dialog_set_server_url (BQ_ACCOUNT_DIALOG (dialog), "https://becquerel.example.org");
  bq_account_dialog_set_username (BQ_ACCOUNT_DIALOG (dialog), "planner");
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (dialog), "04-sign-in");
  bq_account_dialog_show_error (BQ_ACCOUNT_DIALOG (dialog), error);
  bq_app_test_settle (700);
  save_screenshot (GTK_WIDGET (dialog), "04-sign-in-refused");

  close_application (app);
  g_object_unref (app);
  g_unlink (cache);
}

/* ------------------------------------------------------------------ test */

static void
test_online_then_offline (void)
{
  g_autoptr(BqTestServer) server = bq_test_server_new_subprocess (NULL);
  g_autofree char *dir = g_dir_make_tmp ("bq-app-gui-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(GHashTable) ids = server_order_ids (server, "planner");
  g_autofree char *base = g_strdup (server->base);
  BqApplication *app;
  BqWindow *window;
  Synced synced;
  gboolean signed_in = FALSE;
  const char *text;

  g_assert_nonnull (dir);
  g_assert_cmpuint (g_hash_table_size (ids), >, 0);

  /* Online: sign in (as the command line would), open a window, sync. */
  app = application_new (cache);
  bq_application_sign_in_async (app, base, "planner", BQ_TEST_PASSWORD, FALSE, NULL,
                                bq_app_test_on_signed_in, &signed_in);
  g_assert_true (bq_test_run_until (&signed_in, SYNC_TIMEOUT_MS));
  window = BQ_WINDOW (bq_application_open_window (app));
  g_assert_cmpstr (bq_window_get_page (window), ==, "orders");

  synced = (Synced) { window, g_hash_table_size (ids), BQ_CLIENT_STATE_ONLINE };
  g_assert_true (bq_app_test_run_until (window_shows_orders, &synced, SYNC_TIMEOUT_MS, 50));
  assert_same_orders (window, ids);
  text = bq_sync_indicator_get_text (bq_window_get_sync_indicator (window));
  g_assert_cmpstr (text, ==, "Online");
  wait_for_frame (GTK_WIDGET (window));
  save_screenshot (GTK_WIDGET (window), "01-online");
  online_screenshots (app, window);

  check_live_update (server, window);
  save_screenshot (GTK_WIDGET (window), "02-details");
  check_conflict (server, window);

  close_application (app);
  g_object_unref (app);

  /* The server goes away; the app starts again on the same cache. */
  g_assert_cmpint (bq_test_server_stop_subprocess (server), ==, 0);

  app = application_new (cache);
  window = BQ_WINDOW (bq_application_open_window (app));
  synced = (Synced) { window, g_hash_table_size (ids), BQ_CLIENT_STATE_OFFLINE };
  g_assert_true (bq_app_test_run_until (window_shows_orders, &synced, SYNC_TIMEOUT_MS, 50));
  assert_same_orders (window, ids);
  g_assert_cmpstr (bq_client_get_base_url (bq_application_get_client (app)), ==, base);
  text = bq_sync_indicator_get_text (bq_window_get_sync_indicator (window));
  g_assert_true (g_str_has_prefix (text, "Offline since "));
  save_screenshot (GTK_WIDGET (window), "03-offline");
  offline_screenshots (app);

  close_application (app);
  g_object_unref (app);

  first_start_screenshots (dir);

  g_unlink (cache);
  {
    g_autofree char *wal = g_strconcat (cache, "-wal", NULL);
    g_autofree char *shm = g_strconcat (cache, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  /* The strings asserted on are the untranslated ones. */
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/gui/online-then-offline", test_online_then_offline);

  return g_test_run ();
}
