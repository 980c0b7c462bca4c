/* test-slots-gui.c — the Slots page against a real server
 *
 * Runs under xvfb-run.  The account manager for Europe signs in to an
 * in-process server with the demo network (its clock fixed to
 * 2026-11-24); the Slots page must show a week of slots for one of their
 * centres.  A booking through the page's API ranks the feasible slots
 * with their explanations and claims the best: the order reaches the
 * server and is confirmed.  Then the network goes (a proxy between the
 * app and the server is unplugged): the ranking is an offline estimate,
 * the booking is queued and marked not yet guaranteed, and it goes
 * through once the server is back.
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
#include "bq-slots-page.h"
#include "bq-test-server.h"
#include "bq-window.h"

#define TIMEOUT_MS (120 * 1000)
#define DAY 86400
#define NOW        G_GINT64_CONSTANT (1795507200)   /* 2026-11-24T08:00:00Z */
/* 2026-12-02T08:00Z, a Wednesday of the demo's slots. */
#define ADMIN      G_GINT64_CONSTANT (1796198400)

/* ------------------------------------------------------------------ proxy */

/* A TCP proxy that can be unplugged: connections refused and open ones
 * cut, so the client sees exactly what it sees when the network goes. */
typedef struct {
  GSocketService *service;
  GSocketClient  *connector;
  guint16         target_port;
  gboolean        unplugged;
  GPtrArray      *streams;   /* GIOStream, both ends of every link */
  char           *base;
} Proxy;

typedef struct {
  Proxy     *proxy;
  GIOStream *in;
} Pending;

static void
on_spliced (GObject      *source,
            GAsyncResult *result,
            gpointer      user_data)
{
  g_output_stream_splice_finish (G_OUTPUT_STREAM (source), result, NULL);
}

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pending *pending = user_data;
  g_autoptr(GSocketConnection) out = NULL;

  out = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);
  if (out == NULL || pending->proxy->unplugged)
    {
      g_io_stream_close (pending->in, NULL, NULL);
      g_object_unref (pending->in);
      g_free (pending);
      return;
    }
  g_ptr_array_add (pending->proxy->streams, g_object_ref (out));
  g_ptr_array_add (pending->proxy->streams, g_object_ref (pending->in));
  g_output_stream_splice_async (g_io_stream_get_output_stream (G_IO_STREAM (out)),
                                g_io_stream_get_input_stream (pending->in),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
                                on_spliced, NULL);
  g_output_stream_splice_async (g_io_stream_get_output_stream (pending->in),
                                g_io_stream_get_input_stream (G_IO_STREAM (out)),
                                G_OUTPUT_STREAM_SPLICE_CLOSE_TARGET, G_PRIORITY_DEFAULT, NULL,
                                on_spliced, NULL);
  g_object_unref (pending->in);
  g_free (pending);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Proxy *proxy = user_data;
  Pending *pending;

  if (proxy->unplugged)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }
  pending = g_new0 (Pending, 1);
  pending->proxy = proxy;
  pending->in = g_object_ref (G_IO_STREAM (connection));
  g_socket_client_connect_to_host_async (proxy->connector, "127.0.0.1", proxy->target_port,
                                         NULL, on_connected, pending);
  return TRUE;
}

static Proxy *
proxy_new (const char *target_base)
{
  g_autoptr(GError) error = NULL;
  Proxy *proxy = g_new0 (Proxy, 1);
  const char *port = strrchr (target_base, ':');
  guint16 listen_port;

  g_assert_nonnull (port);
  proxy->target_port = (guint16) g_ascii_strtoull (port + 1, NULL, 10);
  proxy->service = g_socket_service_new ();
  proxy->connector = g_socket_client_new ();
  proxy->streams = g_ptr_array_new_with_free_func (g_object_unref);
  listen_port = g_socket_listener_add_any_inet_port (G_SOCKET_LISTENER (proxy->service), NULL,
                                                     &error);
  g_assert_no_error (error);
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (on_incoming), proxy);
  g_socket_service_start (proxy->service);
  proxy->base = g_strdup_printf ("http://127.0.0.1:%u", listen_port);
  return proxy;
}

static void
proxy_set_unplugged (Proxy    *proxy,
                     gboolean  unplugged)
{
  proxy->unplugged = unplugged;
  if (unplugged)
    {
      for (guint i = 0; i < proxy->streams->len; i++)
        g_io_stream_close (g_ptr_array_index (proxy->streams, i), NULL, NULL);
      g_ptr_array_set_size (proxy->streams, 0);
    }
}

static void
proxy_free (Proxy *proxy)
{
  proxy_set_unplugged (proxy, TRUE);
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  g_clear_object (&proxy->service);
  g_clear_object (&proxy->connector);
  g_ptr_array_unref (proxy->streams);
  g_free (proxy->base);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proxy, proxy_free)

/* ---------------------------------------------------------------- helpers */

static gboolean
page_has_slots (gpointer data)
{
  return bq_slots_page_get_n_slots (data) > 0;
}

static gboolean
client_offline (gpointer data)
{
  return bq_client_get_state (data) == BQ_CLIENT_STATE_OFFLINE;
}

static gboolean
status_guaranteed (gpointer data)
{
  return strstr (bq_slots_page_get_status_text (data), "guaranteed;") != NULL ||
         strstr (bq_slots_page_get_status_text (data), "Confirmed") != NULL;
}

/* ------------------------------------------------------------------ test */

static void
test_slots_page (void)
{
  g_autoptr(BqTestServer) server = bq_test_server_new ();
  g_autoptr(Proxy) proxy = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bq-slots-gui-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(GError) error = NULL;
  BqApplication *app;
  BqClient *client;
  BqWindow *window;
  BqSlotsPage *page;
  gboolean signed_in = FALSE;
  BqAppTestOnServer on;

  bq_server_set_fixed_now (server->server, NOW);
  proxy = proxy_new (server->base);

  app = bq_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  bq_application_sign_in_async (app, proxy->base, "am-europe", BQ_TEST_PASSWORD, FALSE, NULL,
                                bq_app_test_on_signed_in, &signed_in);
  g_assert_true (bq_test_run_until (&signed_in, TIMEOUT_MS));
  client = bq_application_get_client (app);
  g_object_set (client, "retry-delay-ms", 50, NULL);
  window = BQ_WINDOW (bq_application_open_window (app));
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 900);
  bq_window_set_page (window, "slots");
  page = BQ_SLOTS_PAGE (bq_app_test_find_descendant (GTK_WIDGET (window), BQ_TYPE_SLOTS_PAGE));
  g_assert_nonnull (page);
  g_assert_true (bq_app_test_run_until (bq_app_test_cache_has_slots, client, TIMEOUT_MS, 20));
  bq_app_test_settle (500);

  /* The week of the administration date, for one of the AM's centres. */
  bq_slots_page_set_now (page, NOW);
  bq_slots_page_set_week (page, ADMIN - 2 * DAY);
  /* A centre the AM does not serve is not offered; theirs are. */
  g_assert_false (bq_slots_page_set_centre (page, "centre-us-nyc-mskcc"));
  {
    const BqUser *user = bq_client_get_user (client);
    gboolean found = FALSE;

    g_assert_nonnull (user->centre_ids);
    g_test_message ("cache centres %u, page centre %s, user centre %s",
                    (guint) bq_store_count (bq_client_get_store (client), &bq_centre_type, NULL),
                    bq_slots_page_get_centre (page), user->centre_ids[0]);
    for (guint i = 0; !found && user->centre_ids[i] != NULL; i++)
      {
        g_assert_true (bq_slots_page_set_centre (page, user->centre_ids[i]));
        found = bq_slots_page_get_n_slots (page) > 0;
      }
    g_assert_true (found);
  }
  g_test_message ("centre %s", bq_slots_page_get_centre (page));
  g_assert_true (bq_app_test_run_until (page_has_slots, page, TIMEOUT_MS, 20));
  g_test_message ("%u slots in the week", bq_slots_page_get_n_slots (page));

  /* The month view: each day the same remaining doses as in the week,
   * and a day clicked shows its week. */
  {
    gint64 week = bq_slots_page_get_week (page);
    gint64 totals[7];
    guint shared = 0;
    GtkWidget *cell;

    for (guint d = 0; d < 7; d++)
      totals[d] = bq_slots_page_get_day_remaining (page, week + d * DAY);
    bq_slots_page_set_month_view (page, TRUE);
    g_assert_true (bq_slots_page_get_month_view (page));
    bq_app_test_settle (500);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "slots-00-month", 500);
    for (guint d = 0; d < 7; d++)
      if (bq_slots_page_get_day_cell (page, week + d * DAY) != NULL)
        {
          g_assert_cmpint (bq_slots_page_get_day_remaining (page, week + d * DAY), ==,
                           totals[d]);
          if (totals[d] >= 0)
            shared++;
        }
    g_assert_cmpuint (shared, >, 0);
    /* A day of the week after the one shown, clicked: its week. */
    cell = bq_slots_page_get_day_cell (page, week + 7 * DAY);
    g_assert_nonnull (cell);
    g_signal_emit_by_name (cell, "clicked");
    g_assert_false (bq_slots_page_get_month_view (page));
    g_assert_cmpint (bq_slots_page_get_week (page), ==, week + 7 * DAY);
    bq_slots_page_set_week (page, ADMIN - 2 * DAY);
    g_assert_true (bq_app_test_run_until (page_has_slots, page, TIMEOUT_MS, 20));
  }

  /* A name is refused with a clear message. */
  bq_slots_page_set_request (page, "Jane Doe", NULL, ADMIN, 4 * 3600);
  g_assert_false (bq_slots_page_find (page, &error));
  g_test_message ("refused: %s", error->message);
  g_assert_nonnull (strstr (error->message, "name"));
  g_clear_error (&error);

  /* Online: the server ranks, the best is booked and confirmed. */
  bq_slots_page_set_request (page, "PT-GUI-1", "7.4 GBq", ADMIN, 4 * 3600);
  g_assert_true (bq_slots_page_find (page, &error));
  g_assert_no_error (error);
  g_assert_true (bq_app_test_run_until (bq_app_test_page_idle, page, TIMEOUT_MS, 20));
  g_assert_cmpuint (bq_slots_page_get_n_options (page), >, 0);
  g_assert_false (bq_slots_page_is_offline_estimate (page));
  g_test_message ("best: %s — %s", bq_slots_page_get_option_slot (page, 0),
                  bq_slots_page_get_option_summary (page, 0));
  bq_app_test_save_screenshot (GTK_WIDGET (window), "slots-01-ranked", 500);
  bq_slots_page_select_option (page, 0);
  g_assert_true (bq_slots_page_book (page, &error));
  g_assert_no_error (error);
  on = (BqAppTestOnServer) { server->store, "PT-GUI-1", BQ_ORDER_REQUESTED };
  g_assert_true (bq_app_test_run_until (bq_app_test_server_has_order, &on, TIMEOUT_MS, 20));
  g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
  g_assert_true (bq_app_test_run_until (status_guaranteed, page, TIMEOUT_MS, 20));
  g_assert_true (bq_slots_page_confirm (page, &error));
  g_assert_no_error (error);
  on.status = BQ_ORDER_CONFIRMED;
  g_assert_true (bq_app_test_run_until (bq_app_test_server_has_order, &on, TIMEOUT_MS, 20));
  g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
  g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
  bq_app_test_save_screenshot (GTK_WIDGET (window), "slots-02-booked", 500);

  /* Offline: an estimate, and a booking queued, not yet guaranteed. */
  proxy_set_unplugged (proxy, TRUE);
  bq_client_sync_async (client, NULL, NULL, NULL);
  g_assert_true (bq_app_test_run_until (client_offline, client, TIMEOUT_MS, 20));
  bq_slots_page_new_booking (page);
  bq_slots_page_set_request (page, "PT-GUI-2", "7.4 GBq", ADMIN, 4 * 3600);
  g_assert_true (bq_slots_page_find (page, &error));
  g_assert_no_error (error);
  g_assert_true (bq_app_test_run_until (bq_app_test_page_idle, page, TIMEOUT_MS, 20));
  g_assert_true (bq_slots_page_is_offline_estimate (page));
  g_assert_cmpuint (bq_slots_page_get_n_options (page), >, 0);
  bq_slots_page_select_option (page, 0);
  g_assert_true (bq_slots_page_book (page, &error));
  g_assert_no_error (error);
  g_assert_nonnull (strstr (bq_slots_page_get_status_text (page), "Not yet guaranteed"));
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);
  on = (BqAppTestOnServer) { server->store, "PT-GUI-2", BQ_ORDER_REQUESTED };
  g_assert_false (bq_app_test_server_has_order (&on));
  bq_app_test_save_screenshot (GTK_WIDGET (window), "slots-03-offline-queued", 500);

  /* The server is back: the claim goes through, once. */
  proxy_set_unplugged (proxy, FALSE);
  g_assert_true (bq_app_test_run_until (bq_app_test_outbox_empty, client, TIMEOUT_MS, 20));
  g_assert_true (bq_app_test_server_has_order (&on));
  g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
  g_assert_true (bq_app_test_run_until (status_guaranteed, page, TIMEOUT_MS, 20));
  bq_app_test_save_screenshot (GTK_WIDGET (window), "slots-04-back-online", 500);

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

  g_test_add_func ("/app/slots/book-online-and-offline", test_slots_page);

  return g_test_run ();
}
