/* test-client-actions.c — outbox actions (bookings through the slot
 * endpoints) and online-only calls, against a real server: a claim queued
 * offline goes exactly once when the server is back and the order
 * appears; a refused claim becomes a conflict with the alternatives.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <gio/gio.h>
#include <sqlite3.h>

#include "bq-client.h"
#include "bq-core.h"
#include "bq-test-server.h"

#define TIMEOUT_MS (60 * 1000)
#define RETRY_MS   20

#define NOW        G_GINT64_CONSTANT (1795507200)   /* 2026-11-24T08:00:00Z */
#define CENTRE     "centre-de-muc-tum"
#define PRODUCT    "product-lu177-psma"
#define RUN_A      "run-nl-pet-2-20261201-1"
#define TEMPLATE_SLOT "slot-run-nl-pet-2-20261201-2-centre-de-muc-tum"

static const char order_window[] =
  "\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
  "\"prescribed_activity_bq\":7.4e9,"
  "\"admin_start\":\"2026-12-02T08:00:00Z\",\"admin_end\":\"2026-12-02T12:00:00Z\"";

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

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
  JsonNode *reply;
  guint     status;
} Wait;

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Wait *wait = user_data;

  wait->ok = bq_client_sign_in_finish (BQ_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
on_synced (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->ok = bq_client_sync_finish (BQ_CLIENT (source), result, &wait->error);
  wait->done = TRUE;
}

static void
on_called (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  Wait *wait = user_data;

  wait->reply = bq_client_call_finish (BQ_CLIENT (source), result, &wait->status, &wait->error);
  wait->ok = wait->reply != NULL;
  wait->done = TRUE;
}

static void
sync_now (BqClient *client)
{
  Wait wait = { 0, };

  bq_client_sync_async (client, NULL, on_synced, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  g_assert_no_error (wait.error);
}

static BqClient *
client_ready (const char *base,
              const char *username)
{
  g_autoptr(GError) error = NULL;
  BqClient *client = bq_client_new (base, ":memory:", &error);
  Wait wait = { 0, };

  g_assert_no_error (error);
  g_object_set (client, "retry-delay-ms", RETRY_MS, NULL);
  bq_client_sign_in_async (client, username, BQ_TEST_PASSWORD, NULL, on_signed_in, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  g_assert_no_error (wait.error);
  sync_now (client);
  return client;
}

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

typedef gboolean (*Condition) (BqClient *client, gpointer data);

static gboolean
wait_until (BqClient  *client,
            Condition  condition,
            gpointer   data)
{
  gint64 end = g_get_monotonic_time () + (gint64) TIMEOUT_MS * 1000;
  guint tick = g_timeout_add (10, on_tick, NULL);
  gboolean ok;

  while (!(ok = condition (client, data)) && g_get_monotonic_time () < end)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return ok;
}

static gboolean
is_state (BqClient *client,
          gpointer  data)
{
  return bq_client_get_state (client) == (BqClientState) GPOINTER_TO_INT (data);
}

static gboolean
outbox_is_empty (BqClient *client,
                 gpointer  data)
{
  return bq_client_get_n_pending (client) == 0;
}

static gboolean
has_conflict (BqClient *client,
              gpointer  data)
{
  return bq_client_get_n_conflicts (client) > 0;
}

static void
add_slot (BqTestServer *ts,
          const char   *id,
          gint64        capacity,
          gint64        claimed)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSlot) template = bq_store_get (ts->store, &bq_slot_type, TEMPLATE_SLOT, &error);
  g_autoptr(BqSlot) slot = bq_slot_new ();

  g_assert_no_error (error);
  bq_entity_set_id (slot, id);
  slot->run_id = g_strdup (RUN_A);
  slot->centre_id = g_strdup (CENTRE);
  slot->region = g_strdup ("europe");
  slot->delivery_date = template->delivery_date;
  slot->capacity = capacity;
  slot->claimed = claimed;
  slot->order_cutoff = template->order_cutoff;
  slot->status = claimed > 0 ? BQ_SLOT_CLAIMED : BQ_SLOT_OPEN;
  g_assert_true (bq_store_put (ts->store, slot, &error));
  g_assert_no_error (error);
}

/* Orders with @patient_ref in @store. */
static GPtrArray *
orders_of (BqStore    *store,
           const char *patient_ref)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) orders = bq_store_list (store, &bq_order_type, &error);
  GPtrArray *found = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_entity_free);

  g_assert_no_error (error);
  for (guint i = 0; i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);

      if (g_strcmp0 (order->patient_ref, patient_ref) == 0)
        g_ptr_array_add (found, bq_entity_copy (order));
    }
  return found;
}

static gint64
claims_audited (BqStore    *store,
                const char *slot_id)
{
  sqlite3 *db = bq_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM audit_log WHERE "
                                           "entity_id = ?1 AND action = 'claim'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, slot_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return count;
}

/* ------------------------------------------------------------------ tests */

/* POST /slots/match answered online, JSON in and out. */
static void
test_call_match (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(BqClient) client = NULL;
  g_autofree char *body = g_strdup_printf ("{%s}", order_window);
  Wait wait = { 0, };
  JsonArray *feasible;

  bq_server_set_fixed_now (ts->server, NOW);
  add_slot (ts, "slot-test-call", 3, 0);
  client = client_ready (ts->base, "am-europe");

  bq_client_call_async (client, "POST", "/api/v1/slots/match", body, NULL, on_called, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  g_assert_no_error (wait.error);
  g_assert_cmpuint (wait.status, ==, 200);
  feasible = json_object_get_array_member (json_node_get_object (wait.reply), "feasible");
  g_assert_cmpuint (json_array_get_length (feasible), >, 0);
  g_clear_pointer (&wait.reply, json_node_unref);

  /* An error answer is still an answer. */
  wait = (Wait) { 0, };
  bq_client_call_async (client, "POST", "/api/v1/slots/match", "{}", NULL, on_called, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  g_assert_no_error (wait.error);
  g_assert_cmpuint (wait.status, >=, 400);
  g_assert_nonnull (bq_client_reply_message (wait.reply));
  g_clear_pointer (&wait.reply, json_node_unref);
}

/* A claim queued offline shows a provisional order at once, goes exactly
 * once when the server is back, and the server's order replaces it. */
static void
test_claim_queued_offline (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(Proxy) proxy = NULL;
  g_autoptr(BqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) on_server = NULL;
  g_autoptr(GPtrArray) in_cache = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(BqOrder) provisional = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autofree char *body = g_strdup_printf ("{\"patient_ref\":\"PT-OFF-1\",%s}", order_window);
  g_autofree char *local_id = NULL;
  gint64 seq = 0;

  bq_server_set_fixed_now (ts->server, NOW);
  add_slot (ts, "slot-test-offline", 3, 0);
  proxy = proxy_new (ts->base);
  client = client_ready (proxy->base, "am-europe");
  bq_client_start (client);
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE)));

  proxy_set_unplugged (proxy, TRUE);
  g_assert_true (bq_client_queue_action (client, "POST", "/api/v1/slots/slot-test-offline/claim",
                                         body, &bq_order_type, NULL, &local_id, &seq, &error));
  g_assert_no_error (error);
  g_assert_nonnull (local_id);
  g_assert_cmpint (seq, >, 0);

  /* Shown at once, provisional, and marked by its pending action. */
  provisional = bq_store_get (bq_client_get_store (client), &bq_order_type, local_id, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (provisional->patient_ref, ==, "PT-OFF-1");
  g_assert_cmpint (BQ_ENTITY (provisional)->revision, ==, 0);
  actions = bq_client_list_actions (client, &bq_order_type, local_id);
  g_assert_cmpuint (actions->len, ==, 1);
  g_assert_cmpstr (((BqOutboxEntry *) g_ptr_array_index (actions, 0))->path, ==,
                   "/api/v1/slots/slot-test-offline/claim");
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_OFFLINE)));
  on_server = orders_of (ts->store, "PT-OFF-1");
  g_assert_cmpuint (on_server->len, ==, 0);
  g_clear_pointer (&on_server, g_ptr_array_unref);

  proxy_set_unplugged (proxy, FALSE);
  g_assert_true (wait_until (client, outbox_is_empty, NULL));
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE)));

  /* Exactly one order and one claim on the server… */
  on_server = orders_of (ts->store, "PT-OFF-1");
  g_assert_cmpuint (on_server->len, ==, 1);
  g_assert_cmpstr (((BqOrder *) g_ptr_array_index (on_server, 0))->slot_id, ==,
                   "slot-test-offline");
  g_assert_cmpint (claims_audited (ts->store, "slot-test-offline"), ==, 1);
  slot = bq_store_get (ts->store, &bq_slot_type, "slot-test-offline", &error);
  g_assert_no_error (error);
  g_assert_cmpint (slot->claimed, ==, 1);

  /* …and the cache has it under the server's id, the provisional gone. */
  sync_now (client);
  in_cache = orders_of (bq_client_get_store (client), "PT-OFF-1");
  g_assert_cmpuint (in_cache->len, ==, 1);
  g_assert_cmpstr (bq_entity_get_id (g_ptr_array_index (in_cache, 0)), ==,
                   bq_entity_get_id (g_ptr_array_index (on_server, 0)));
  g_assert_cmpstr (bq_entity_get_id (g_ptr_array_index (in_cache, 0)), !=, local_id);

  bq_client_stop (client);
}

/* A claim the server refuses (sold out) becomes a conflict holding the
 * alternatives; taking theirs drops it and the provisional order. */
static void
test_claim_refused (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(BqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(JsonNode) answer = NULL;
  g_autoptr(GPtrArray) in_cache = NULL;
  g_autofree char *body = g_strdup_printf ("{\"patient_ref\":\"PT-FULL-1\",%s}", order_window);
  g_autofree char *local_id = NULL;
  const BqOutboxEntry *entry;
  JsonObject *object;
  gint64 seq = 0;

  bq_server_set_fixed_now (ts->server, NOW);
  add_slot (ts, "slot-test-full", 1, 1);
  add_slot (ts, "slot-test-spare", 3, 0);
  client = client_ready (ts->base, "am-europe");
  bq_client_start (client);

  g_assert_true (bq_client_queue_action (client, "POST", "/api/v1/slots/slot-test-full/claim",
                                         body, &bq_order_type, NULL, &local_id, &seq, &error));
  g_assert_no_error (error);
  g_assert_true (wait_until (client, has_conflict, NULL));

  outbox = bq_client_list_outbox (client);
  g_assert_cmpuint (outbox->len, ==, 1);
  entry = g_ptr_array_index (outbox, 0);
  g_assert_cmpint (entry->state, ==, BQ_OUTBOX_CONFLICT);
  g_assert_cmpuint (entry->status, ==, 409);
  g_assert_cmpstr (entry->error_code, ==, "sold_out");
  answer = bq_json_parse (entry->server_json, -1, &error);
  g_assert_no_error (error);
  object = json_node_get_object (answer);
  g_assert_true (json_object_has_member (object, "alternatives"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (object,
                                                                          "alternatives")), >, 0);

  /* Keep mine: sent again, refused again. */
  g_assert_true (bq_client_resolve_conflict (client, seq, BQ_RESOLVE_KEEP_MINE, &error));
  g_assert_no_error (error);
  g_assert_true (wait_until (client, has_conflict, NULL));

  /* Take theirs: nothing of it stays. */
  g_assert_true (bq_client_resolve_conflict (client, seq, BQ_RESOLVE_TAKE_THEIRS, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  in_cache = orders_of (bq_client_get_store (client), "PT-FULL-1");
  g_assert_cmpuint (in_cache->len, ==, 0);

  bq_client_stop (client);
}

/* A queued claim then a queued confirm of the provisional order: the
 * confirm follows the server's id. */
static void
test_claim_then_confirm (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(BqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) on_server = NULL;
  g_autofree char *body = g_strdup_printf ("{\"patient_ref\":\"PT-CONF-1\",%s}", order_window);
  g_autofree char *local_id = NULL;
  g_autofree char *confirm = NULL;

  bq_server_set_fixed_now (ts->server, NOW);
  add_slot (ts, "slot-test-confirm", 3, 0);
  client = client_ready (ts->base, "am-europe");

  g_assert_true (bq_client_queue_action (client, "POST", "/api/v1/slots/slot-test-confirm/claim",
                                         body, &bq_order_type, NULL, &local_id, NULL, &error));
  g_assert_no_error (error);
  confirm = g_strdup_printf ("/api/v1/orders/%s/confirm", local_id);
  g_assert_true (bq_client_queue_action (client, "POST", confirm, NULL, &bq_order_type, local_id,
                                         NULL, NULL, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 2);

  bq_client_start (client);
  g_assert_true (wait_until (client, outbox_is_empty, NULL));
  g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
  on_server = orders_of (ts->store, "PT-CONF-1");
  g_assert_cmpuint (on_server->len, ==, 1);
  g_assert_cmpint (((BqOrder *) g_ptr_array_index (on_server, 0))->status, ==,
                   BQ_ORDER_CONFIRMED);
  bq_client_stop (client);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client-actions/call/match", test_call_match);
  g_test_add_func ("/client-actions/claim/queued-offline-replayed-once",
                   test_claim_queued_offline);
  g_test_add_func ("/client-actions/claim/refused-is-a-conflict", test_claim_refused);
  g_test_add_func ("/client-actions/claim/then-confirm-follows-server-id",
                   test_claim_then_confirm);

  return g_test_run ();
}
