/* test-sync.c — the sync engine against a real server: offline edits
 * replayed exactly once, lost answers, conflicts and their resolution, a
 * crash mid-push (with and without the server being killed), and pulls
 * started by the events WebSocket
 *
 * The network between client and server is a small TCP proxy in this
 * file, so a test can pull the cable (connections are refused and the
 * open ones cut) or lose answers (requests reach the server, whatever it
 * answers is thrown away and the connection cut) and put it back.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "bq-client.h"
#include "bq-core.h"
#include "bq-test-server.h"

#define TIMEOUT_MS (60 * 1000)
/* Back-off while offline, short for the tests (the app's is 1 s). */
#define RETRY_MS 20

/* ------------------------------------------------------------------ proxy */

typedef enum {
  PROXY_PASS,
  PROXY_UNPLUGGED,     /* connections refused, open ones cut */
  PROXY_LOSE_ANSWERS,  /* requests go through, answers never come back */
} ProxyMode;

typedef struct _Proxy Proxy;

typedef struct {
  gatomicrefcount  ref;
  Proxy           *proxy;
  GIOStream       *client;
  GIOStream       *server;
  GCancellable    *cancellable;
  gboolean         closed;
} Link;

struct _Proxy {
  GSocketService *service;
  GSocketClient  *connector;
  guint16         port;
  guint16         target_port;
  ProxyMode       mode;
  GPtrArray      *links;
  GPtrArray      *parked;   /* cut links whose server side is still open */
  guint           n_answers_lost;
  char           *base;
};

typedef struct {
  Link          *link;
  GInputStream  *in;
  GOutputStream *out;
  gboolean       to_client;
  GBytes        *bytes;
} Pump;

static Link *
link_ref (Link *link)
{
  g_atomic_ref_count_inc (&link->ref);
  return link;
}

static void
link_unref (Link *link)
{
  if (!g_atomic_ref_count_dec (&link->ref))
    return;
  g_clear_object (&link->client);
  g_clear_object (&link->server);
  g_clear_object (&link->cancellable);
  g_free (link);
}

/* Cuts the client's side.  The server's side stays open, idle, until the
 * proxy is freed after the server: libsoup 3.2 leaks a server connection
 * that the peer closes while idle, and the leak checker would see it. */
static void
link_close (Link *link)
{
  if (link->closed)
    return;
  link->closed = TRUE;
  g_cancellable_cancel (link->cancellable);
  if (link->client != NULL)
    g_io_stream_close (link->client, NULL, NULL);
  if (link->proxy != NULL)
    {
      g_ptr_array_add (link->proxy->parked, link_ref (link));
      g_ptr_array_remove (link->proxy->links, link);  /* drops the list's ref */
    }
}

static void pump_read (Pump *pump);

static void
pump_free (Pump *pump)
{
  g_clear_pointer (&pump->bytes, g_bytes_unref);
  link_unref (pump->link);
  g_free (pump);
}

static void
on_pump_written (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  Pump *pump = user_data;

  if (!g_output_stream_write_all_finish (G_OUTPUT_STREAM (source), result, NULL, NULL) ||
      pump->link->closed)
    {
      link_close (pump->link);
      pump_free (pump);
      return;
    }
  g_clear_pointer (&pump->bytes, g_bytes_unref);
  pump_read (pump);
}

static void
on_pump_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Pump *pump = user_data;
  Link *link = pump->link;
  GBytes *bytes;

  bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, NULL);
  if (bytes == NULL || g_bytes_get_size (bytes) == 0 || link->closed)
    {
      g_clear_pointer (&bytes, g_bytes_unref);
      link_close (link);
      pump_free (pump);
      return;
    }
  if (pump->to_client && link->proxy != NULL && link->proxy->mode == PROXY_LOSE_ANSWERS)
    {
      /* The server has answered; the client never hears it. */
      link->proxy->n_answers_lost++;
      g_bytes_unref (bytes);
      link_close (link);
      pump_free (pump);
      return;
    }
  pump->bytes = bytes;
  g_output_stream_write_all_async (pump->out, g_bytes_get_data (bytes, NULL),
                                   g_bytes_get_size (bytes), G_PRIORITY_DEFAULT,
                                   link->cancellable, on_pump_written, pump);
}

static void
pump_read (Pump *pump)
{
  g_input_stream_read_bytes_async (pump->in, 16384, G_PRIORITY_DEFAULT, pump->link->cancellable,
                                   on_pump_read, pump);
}

static void
pump_start (Link      *link,
            GIOStream *from,
            GIOStream *to,
            gboolean   to_client)
{
  Pump *pump = g_new0 (Pump, 1);

  pump->link = link_ref (link);
  pump->in = g_io_stream_get_input_stream (from);
  pump->out = g_io_stream_get_output_stream (to);
  pump->to_client = to_client;
  pump_read (pump);
}

static void
on_upstream_connected (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  Link *link = user_data;
  GSocketConnection *server;

  server = g_socket_client_connect_finish (G_SOCKET_CLIENT (source), result, NULL);
  if (server != NULL)
    link->server = G_IO_STREAM (server);  /* parked with the link if it was cut meanwhile */
  if (server == NULL || link->closed)
    {
      link_close (link);
      link_unref (link);
      return;
    }
  pump_start (link, link->client, link->server, FALSE);
  pump_start (link, link->server, link->client, TRUE);
  link_unref (link);
}

static gboolean
on_incoming (GSocketService    *service,
             GSocketConnection *connection,
             GObject           *source_object,
             gpointer           user_data)
{
  Proxy *proxy = user_data;
  g_autoptr(GSocketConnectable) address = NULL;
  Link *link;

  if (proxy->mode == PROXY_UNPLUGGED)
    {
      g_io_stream_close (G_IO_STREAM (connection), NULL, NULL);
      return TRUE;
    }

  link = g_new0 (Link, 1);
  g_atomic_ref_count_init (&link->ref);
  link->proxy = proxy;
  link->client = G_IO_STREAM (g_object_ref (connection));
  link->cancellable = g_cancellable_new ();
  g_ptr_array_add (proxy->links, link);  /* the list's ref */

  address = g_network_address_new ("127.0.0.1", proxy->target_port);
  g_socket_client_connect_async (proxy->connector, address, link->cancellable,
                                 on_upstream_connected, link_ref (link));
  return TRUE;
}

static void
proxy_cut_all (Proxy *proxy)
{
  while (proxy->links->len > 0)
    link_close (g_ptr_array_index (proxy->links, 0));
}

static void
proxy_set_mode (Proxy     *proxy,
                ProxyMode  mode)
{
  proxy->mode = mode;
  if (mode != PROXY_PASS)
    proxy_cut_all (proxy);
}

static guint16
port_of (const char *base)
{
  const char *colon = strrchr (base, ':');

  g_assert_nonnull (colon);
  return (guint16) g_ascii_strtoull (colon + 1, NULL, 10);
}

static Proxy *
proxy_new (const char *target_base)
{
  g_autoptr(GError) error = NULL;
  Proxy *proxy = g_new0 (Proxy, 1);
  g_autoptr(GInetAddress) loopback = g_inet_address_new_loopback (G_SOCKET_FAMILY_IPV4);
  g_autoptr(GSocketAddress) address = g_inet_socket_address_new (loopback, 0);
  g_autoptr(GSocketAddress) effective = NULL;

  proxy->links = g_ptr_array_new_with_free_func ((GDestroyNotify) link_unref);
  proxy->parked = g_ptr_array_new_with_free_func ((GDestroyNotify) link_unref);
  proxy->target_port = port_of (target_base);
  proxy->connector = g_socket_client_new ();
  proxy->service = g_socket_service_new ();
  g_socket_listener_add_address (G_SOCKET_LISTENER (proxy->service), address,
                                 G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP, NULL,
                                 &effective, &error);
  g_assert_no_error (error);
  proxy->port = g_inet_socket_address_get_port (G_INET_SOCKET_ADDRESS (effective));
  proxy->base = g_strdup_printf ("http://127.0.0.1:%u", proxy->port);
  g_signal_connect (proxy->service, "incoming", G_CALLBACK (on_incoming), proxy);
  g_socket_service_start (proxy->service);
  return proxy;
}

static void
proxy_free (Proxy *proxy)
{
  g_socket_service_stop (proxy->service);
  g_socket_listener_close (G_SOCKET_LISTENER (proxy->service));
  for (guint i = 0; i < proxy->links->len; i++)
    ((Link *) g_ptr_array_index (proxy->links, i))->proxy = NULL;
  while (proxy->links->len > 0)
    {
      Link *link = g_ptr_array_steal_index (proxy->links, 0);

      link_close (link);
      g_ptr_array_add (proxy->parked, link);
    }
  for (guint i = 0; i < proxy->parked->len; i++)
    {
      Link *link = g_ptr_array_index (proxy->parked, i);

      link->proxy = NULL;
      if (link->server != NULL)
        g_io_stream_close (link->server, NULL, NULL);
    }
  /* Let the cancelled reads and writes finish and drop their refs. */
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_ptr_array_unref (proxy->parked);
  g_ptr_array_unref (proxy->links);
  g_object_unref (proxy->service);
  g_object_unref (proxy->connector);
  g_free (proxy->base);
  g_free (proxy);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proxy, proxy_free)

/* ---------------------------------------------------------------- helpers */

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
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

static gboolean
sync_now (BqClient  *client,
          GError   **error)
{
  Wait wait = { FALSE, FALSE, NULL };

  bq_client_sync_async (client, NULL, on_synced, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.ok;
}

static BqClient *
client_new (const char *base,
            const char *cache_path)
{
  g_autoptr(GError) error = NULL;
  BqClient *client = bq_client_new (base, cache_path, &error);

  g_assert_no_error (error);
  g_object_set (client, "retry-delay-ms", RETRY_MS, NULL);
  return client;
}

/* A client of @base signed in as @username and synced once. */
static BqClient *
client_ready (const char *base,
              const char *cache_path,
              const char *username)
{
  g_autoptr(GError) error = NULL;
  BqClient *client = client_new (base, cache_path);
  Wait wait = { FALSE, FALSE, NULL };

  bq_client_sign_in_async (client, username, BQ_TEST_PASSWORD, NULL, on_signed_in, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  g_assert_no_error (wait.error);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  return client;
}

typedef gboolean (*Condition) (BqClient *client, gpointer data);

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

/* Runs the main loop until @condition holds or @timeout_ms pass. */
static gboolean
wait_until (BqClient  *client,
            Condition  condition,
            gpointer   data,
            guint      timeout_ms)
{
  gint64 end = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
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
answers_lost (BqClient *client,
              gpointer  data)
{
  Proxy *proxy = data;

  return proxy->n_answers_lost >= 3;
}

static gpointer
cache_get (BqClient           *client,
           const BqEntityType *type,
           const char         *id)
{
  return bq_store_get (bq_client_get_store (client), type, id, NULL);
}

/* A forecast of the demo, by position in id order, as the server has it. */
static BqForecast *
server_forecast (BqStore *store,
                 guint    index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) forecasts = bq_store_list (store, &bq_forecast_type, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (forecasts->len, >, index);
  return bq_entity_copy (g_ptr_array_index (forecasts, index));
}

static char *
forecast_id (BqStore *store,
             guint    index)
{
  g_autoptr(BqForecast) forecast = server_forecast (store, index);

  return g_strdup (forecast->base.id);
}

/* A new forecast for a week nobody planned yet. */
static BqForecast *
new_forecast (BqStore *store)
{
  g_autoptr(BqForecast) model = server_forecast (store, 0);
  BqForecast *forecast = bq_forecast_new ();

  forecast->centre_id = g_strdup (model->centre_id);
  forecast->product_id = g_strdup (model->product_id);
  forecast->week_start = BQ_TEST_DEMO_START + 200 * 7 * 86400;
  forecast->doses = 17;
  return forecast;
}

/* Audit entries about @entity_id in an in-process server's store. */
static gint64
audit_count (BqStore    *store,
             const char *entity_id)
{
  sqlite3 *db = bq_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gint64 count;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT count(*) FROM audit_log WHERE entity_id = ?1",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, entity_id, -1, SQLITE_STATIC);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  count = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return count;
}

static gint64
forecasts_in_week (BqStore *store,
                   gint64   week_start)
{
  g_autoptr(BqQuery) query = bq_query_new (&bq_forecast_type);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  bq_query_where_range (query, "week_start", week_start, week_start + 1);
  found = bq_store_query (store, query, &error);
  g_assert_no_error (error);
  return found->len;
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-sync-XXXXXX", &error);

  g_assert_no_error (error);
  return dir;
}

static void
remove_dir (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

/* --------------------------------------------------------------- offline */

/* Edits made with the server out of reach are in the cache and the
 * outbox at once, and reach the server exactly once when it is back —
 * even though the first answers were lost on the way. */
static void
test_offline_replayed_once (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(Proxy) proxy = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) created = new_forecast (ts->store);
  g_autoptr(BqForecast) updated = NULL;
  g_autoptr(BqForecast) doomed = NULL;
  g_autoptr(BqForecast) check = NULL;
  g_autofree char *updated_id = forecast_id (ts->store, 4);
  g_autofree char *doomed_id = forecast_id (ts->store, 5);
  gint64 audit_updated, audit_doomed, n_forecasts;

  proxy = proxy_new (ts->base);
  client = client_ready (proxy->base, ":memory:", "planner");

  updated = cache_get (client, &bq_forecast_type, updated_id);
  doomed = cache_get (client, &bq_forecast_type, doomed_id);
  g_assert_nonnull (updated);
  g_assert_nonnull (doomed);
  n_forecasts = bq_store_count (ts->store, &bq_forecast_type, NULL);
  audit_updated = audit_count (ts->store, updated->base.id);
  audit_doomed = audit_count (ts->store, doomed->base.id);

  bq_client_start (client);
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE),
                             TIMEOUT_MS));

  /* The cable goes. */
  proxy_set_mode (proxy, PROXY_UNPLUGGED);

  g_assert_true (bq_client_queue_create (client, created, &error));
  g_assert_no_error (error);
  updated->doses += 11;
  g_assert_true (bq_client_queue_update (client, updated, &error));
  g_assert_no_error (error);
  g_assert_true (bq_client_queue_delete (client, &bq_forecast_type, doomed->base.id, &error));
  g_assert_no_error (error);

  /* Shown at once, counted, and the client knows it is offline. */
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 3);
  check = cache_get (client, &bq_forecast_type, created->base.id);
  g_assert_nonnull (check);
  g_assert_cmpint (check->doses, ==, 17);
  g_clear_pointer (&check, bq_forecast_free);
  check = cache_get (client, &bq_forecast_type, updated->base.id);
  g_assert_cmpint (check->doses, ==, updated->doses);
  g_clear_pointer (&check, bq_forecast_free);
  g_assert_null (cache_get (client, &bq_forecast_type, doomed->base.id));
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_OFFLINE),
                             TIMEOUT_MS));
  g_assert_cmpint (bq_client_get_offline_since (client), >, 0);
  g_assert_cmpint (bq_store_count (ts->store, &bq_forecast_type, NULL), ==, n_forecasts);

  /* A bad line: requests get through, answers do not.  The create is
   * applied on the server and sent again with its key, several times. */
  proxy_set_mode (proxy, PROXY_LOSE_ANSWERS);
  g_assert_true (wait_until (client, answers_lost, proxy, TIMEOUT_MS));
  g_assert_cmpint (forecasts_in_week (ts->store, created->week_start), ==, 1);
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_OFFLINE);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 3);

  /* Back to normal. */
  proxy_set_mode (proxy, PROXY_PASS);
  g_assert_true (wait_until (client, outbox_is_empty, NULL, TIMEOUT_MS));
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE),
                             TIMEOUT_MS));
  g_assert_cmpint (bq_client_get_offline_since (client), ==, 0);

  /* Exactly once each: one new row, one removed, one audit entry each. */
  g_assert_cmpint (forecasts_in_week (ts->store, created->week_start), ==, 1);
  g_assert_cmpint (bq_store_count (ts->store, &bq_forecast_type, NULL), ==, n_forecasts);
  g_assert_cmpint (audit_count (ts->store, created->base.id), ==, 1);
  g_assert_cmpint (audit_count (ts->store, updated->base.id), ==, audit_updated + 1);
  g_assert_cmpint (audit_count (ts->store, doomed->base.id), ==, audit_doomed + 1);
  check = bq_store_get (ts->store, &bq_forecast_type, updated->base.id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (check->doses, ==, updated->doses);
  g_clear_pointer (&check, bq_forecast_free);

  /* The cache has the server's rows, at the server's revisions. */
  {
    g_autoptr(BqForecast) theirs = bq_store_get (ts->store, &bq_forecast_type,
                                                 created->base.id, &error);
    g_autoptr(BqForecast) mine = cache_get (client, &bq_forecast_type, created->base.id);

    g_assert_no_error (error);
    g_assert_nonnull (mine);
    g_assert_true (bq_entity_equal (mine, theirs));
  }
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE),
                             TIMEOUT_MS));
  g_assert_true (sync_now (client, &error));
  g_assert_cmpint (bq_client_get_revision (client), ==, bq_store_get_revision (ts->store));

  bq_client_stop (client);
}

/* Several edits of one entity while offline go in order, each on top of
 * the one before. */
static void
test_offline_edits_stack (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(Proxy) proxy = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) created = new_forecast (ts->store);
  g_autoptr(BqForecast) edit = NULL;
  g_autoptr(BqForecast) theirs = NULL;

  proxy = proxy_new (ts->base);
  client = client_ready (proxy->base, ":memory:", "planner");

  proxy_set_mode (proxy, PROXY_UNPLUGGED);
  g_assert_true (bq_client_queue_create (client, created, &error));
  g_assert_no_error (error);
  for (guint i = 0; i < 3; i++)
    {
      edit = cache_get (client, &bq_forecast_type, created->base.id);
      edit->doses += 1;
      g_assert_true (bq_client_queue_update (client, edit, &error));
      g_assert_no_error (error);
      g_clear_pointer (&edit, bq_forecast_free);
    }
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 4);
  g_assert_false (sync_now (client, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_OFFLINE);
  g_clear_error (&error);

  proxy_set_mode (proxy, PROXY_PASS);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
  theirs = bq_store_get (ts->store, &bq_forecast_type, created->base.id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (theirs->doses, ==, 20);
  edit = cache_get (client, &bq_forecast_type, created->base.id);
  g_assert_true (bq_entity_equal (edit, theirs));
}

/* -------------------------------------------------------------- conflicts */

static void
on_conflict (BqClient *client,
             gint64    seq,
             gpointer  user_data)
{
  GArray *seqs = user_data;

  g_array_append_val (seqs, seq);
}

typedef struct {
  BqTestServer *ts;
  BqClient     *first;
  BqClient     *second;
  char         *id;
  gint64        seq;
  gint64        their_revision;
} Conflict;

/* Two planners edit the same forecast: the first wins, the second's push
 * is refused with the server's current object. */
static void
conflict_set_up (Conflict *c)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) seqs = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(BqForecast) a = NULL;
  g_autoptr(BqForecast) b = NULL;
  g_autoptr(BqForecast) shown = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  g_autoptr(JsonNode) current = NULL;
  const BqOutboxEntry *entry;

  c->ts = bq_test_server_new ();
  c->first = client_ready (c->ts->base, ":memory:", "planner");
  c->second = client_ready (c->ts->base, ":memory:", "admin");
  c->id = forecast_id (c->ts->store, 7);

  a = cache_get (c->first, &bq_forecast_type, c->id);
  b = cache_get (c->second, &bq_forecast_type, c->id);
  g_assert_cmpint (a->base.revision, ==, b->base.revision);

  a->doses = 101;
  g_assert_true (bq_client_queue_update (c->first, a, &error));
  g_assert_true (sync_now (c->first, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (c->first), ==, 0);

  b->doses = 202;
  g_assert_true (bq_client_queue_update (c->second, b, &error));
  g_assert_no_error (error);
  g_signal_connect (c->second, "conflict", G_CALLBACK (on_conflict), seqs);
  g_assert_true (sync_now (c->second, &error));  /* a refusal is not a failed sync */
  g_assert_no_error (error);

  g_assert_cmpuint (seqs->len, ==, 1);
  c->seq = g_array_index (seqs, gint64, 0);
  g_assert_cmpuint (bq_client_get_n_pending (c->second), ==, 1);
  g_assert_cmpuint (bq_client_get_n_conflicts (c->second), ==, 1);
  outbox = bq_client_list_outbox (c->second);
  g_assert_cmpuint (outbox->len, ==, 1);
  entry = g_ptr_array_index (outbox, 0);
  g_assert_cmpint (entry->seq, ==, c->seq);
  g_assert_cmpint (entry->state, ==, BQ_OUTBOX_CONFLICT);
  g_assert_cmpuint (entry->status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (entry->error_code, ==, "stale_revision");
  g_assert_nonnull (entry->error_message);
  g_assert_cmpstr (entry->method, ==, "PATCH");
  g_assert_cmpstr (entry->entity_id, ==, c->id);

  /* The server's current object: the first planner's. */
  g_assert_nonnull (entry->server_json);
  current = json_from_string (entry->server_json, &error);
  g_assert_no_error (error);
  g_assert_cmpint (json_object_get_int_member (json_node_get_object (current), "doses"), ==, 101);
  c->their_revision = json_object_get_int_member (json_node_get_object (current), "revision");

  /* Until the user decides, the cache shows theirs with mine on top. */
  shown = cache_get (c->second, &bq_forecast_type, c->id);
  g_assert_cmpint (shown->doses, ==, 202);
  g_assert_cmpint (shown->base.revision, ==, c->their_revision);
}

static void
conflict_tear_down (Conflict *c)
{
  /* The server first: libsoup 3.2 leaks server connections that a
   * client closes while idle. */
  bq_test_server_free (c->ts);
  g_clear_object (&c->first);
  g_clear_object (&c->second);
  g_free (c->id);
}

static void
test_conflict_keep_mine (void)
{
  Conflict c = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) theirs = NULL;
  g_autoptr(BqForecast) shown = NULL;

  conflict_set_up (&c);

  g_assert_true (bq_client_resolve_conflict (c.second, c.seq, BQ_RESOLVE_KEEP_MINE, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_conflicts (c.second), ==, 0);
  g_assert_cmpuint (bq_client_get_n_pending (c.second), ==, 1);
  g_assert_true (sync_now (c.second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (c.second), ==, 0);

  theirs = bq_store_get (c.ts->store, &bq_forecast_type, c.id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (theirs->doses, ==, 202);
  g_assert_cmpint (theirs->base.revision, >, c.their_revision);
  shown = cache_get (c.second, &bq_forecast_type, c.id);
  g_assert_true (bq_entity_equal (shown, theirs));

  /* And the first planner gets it too. */
  g_assert_true (sync_now (c.first, &error));
  g_clear_pointer (&shown, bq_forecast_free);
  shown = cache_get (c.first, &bq_forecast_type, c.id);
  g_assert_cmpint (shown->doses, ==, 202);

  conflict_tear_down (&c);
}

static void
test_conflict_take_theirs (void)
{
  Conflict c = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) theirs = NULL;
  g_autoptr(BqForecast) shown = NULL;
  gint64 revision;

  conflict_set_up (&c);
  revision = bq_store_get_revision (c.ts->store);

  g_assert_true (bq_client_resolve_conflict (c.second, c.seq, BQ_RESOLVE_TAKE_THEIRS, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (c.second), ==, 0);
  g_assert_cmpuint (bq_client_get_n_conflicts (c.second), ==, 0);

  theirs = bq_store_get (c.ts->store, &bq_forecast_type, c.id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (theirs->doses, ==, 101);
  shown = cache_get (c.second, &bq_forecast_type, c.id);
  g_assert_true (bq_entity_equal (shown, theirs));

  /* Nothing went to the server. */
  g_assert_true (sync_now (c.second, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_get_revision (c.ts->store), ==, revision);

  /* Not a conflict any more. */
  g_assert_false (bq_client_resolve_conflict (c.second, c.seq, BQ_RESOLVE_KEEP_MINE, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED);

  conflict_tear_down (&c);
}

/* A refusal holds back later changes of the same entity, not others. */
static void
test_conflict_blocks_only_its_entity (void)
{
  Conflict c = { NULL, };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) same = NULL;
  g_autoptr(BqForecast) other = NULL;
  g_autoptr(BqForecast) theirs = NULL;
  g_autofree char *other_id = NULL;

  conflict_set_up (&c);
  other_id = forecast_id (c.ts->store, 9);

  same = cache_get (c.second, &bq_forecast_type, c.id);
  same->doses = 303;
  g_assert_true (bq_client_queue_update (c.second, same, &error));
  g_assert_no_error (error);
  other = cache_get (c.second, &bq_forecast_type, other_id);
  other->doses = 404;
  g_assert_true (bq_client_queue_update (c.second, other, &error));
  g_assert_no_error (error);

  g_assert_true (sync_now (c.second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (c.second), ==, 2);  /* the conflict and 303 */
  theirs = bq_store_get (c.ts->store, &bq_forecast_type, other->base.id, &error);
  g_assert_cmpint (theirs->doses, ==, 404);
  g_clear_pointer (&theirs, bq_forecast_free);
  theirs = bq_store_get (c.ts->store, &bq_forecast_type, c.id, &error);
  g_assert_cmpint (theirs->doses, ==, 101);
  g_clear_pointer (&theirs, bq_forecast_free);

  /* Keeping mine sends both, in order, the second on top of the first. */
  g_assert_true (bq_client_resolve_conflict (c.second, c.seq, BQ_RESOLVE_KEEP_MINE, &error));
  g_assert_true (sync_now (c.second, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (c.second), ==, 0);
  theirs = bq_store_get (c.ts->store, &bq_forecast_type, c.id, &error);
  g_assert_cmpint (theirs->doses, ==, 303);

  conflict_tear_down (&c);
}

/* ------------------------------------------------------------------ crash */

static void
test_crash_mid_push (void)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(BqForecast) created = new_forecast (ts->store);
  g_autoptr(BqForecast) theirs = NULL;
  g_autoptr(BqForecast) mine = NULL;
  g_autoptr(GPtrArray) outbox = NULL;
  BqClient *client;
  gint64 n_forecasts = bq_store_count (ts->store, &bq_forecast_type, NULL);
  g_autofree char *key = NULL;

  client = client_ready (ts->base, path, "planner");
  g_assert_true (bq_client_queue_create (client, created, &error));
  g_assert_no_error (error);
  outbox = bq_client_list_outbox (client);
  key = g_strdup (((BqOutboxEntry *) outbox->pdata[0])->idempotency_key);
  g_clear_pointer (&outbox, g_ptr_array_unref);

  /* The POST reaches the server and is applied; the client dies before
   * it learns so. */
  g_object_set (client, "crash-after-send", TRUE, NULL);
  g_assert_false (sync_now (client, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED);
  g_clear_error (&error);
  g_assert_cmpint (bq_store_count (ts->store, &bq_forecast_type, NULL), ==, n_forecasts + 1);
  /* Kept until the server is gone: libsoup 3.2 leaks server
   * connections a client closes while idle. */
  g_ptr_array_add (keep, client);

  /* Restarted on the same cache: the entry is still there, with its key,
   * and goes again. */
  client = client_new (ts->base, path);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);
  outbox = bq_client_list_outbox (client);
  g_assert_cmpstr (((BqOutboxEntry *) outbox->pdata[0])->idempotency_key, ==, key);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);

  /* Applied once: one row, one audit entry, an empty outbox. */
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  g_assert_cmpint (bq_store_count (ts->store, &bq_forecast_type, NULL), ==, n_forecasts + 1);
  g_assert_cmpint (forecasts_in_week (ts->store, created->week_start), ==, 1);
  g_assert_cmpint (audit_count (ts->store, created->base.id), ==, 1);
  theirs = bq_store_get (ts->store, &bq_forecast_type, created->base.id, &error);
  g_assert_no_error (error);
  mine = cache_get (client, &bq_forecast_type, created->base.id);
  g_assert_true (bq_entity_equal (mine, theirs));
  g_assert_cmpint (bq_store_count (bq_client_get_store (client), &bq_forecast_type, NULL), ==,
                   n_forecasts + 1);

  g_ptr_array_add (keep, client);
  remove_dir (dir);
}

/* The same with the real server binary killed (-9) after it committed:
 * its idempotency record survives with the row. */
static void
test_crash_mid_push_server_killed (void)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(BqTestServer) ts = bq_test_server_new_subprocess (NULL);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *token = NULL;
  g_autofree char *get_path = NULL;
  g_autoptr(BqForecast) created = NULL;
  g_autoptr(BqForecast) model = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(GPtrArray) forecasts = NULL;
  BqClient *client;
  gint64 n_forecasts, n_entries = 0;

  client = client_ready (ts->base, path, "planner");
  forecasts = bq_store_list (bq_client_get_store (client), &bq_forecast_type, &error);
  g_assert_no_error (error);
  n_forecasts = forecasts->len;
  model = bq_entity_copy (g_ptr_array_index (forecasts, 0));
  created = bq_forecast_new ();
  created->centre_id = g_strdup (model->centre_id);
  created->product_id = g_strdup (model->product_id);
  created->week_start = model->week_start + 300 * 7 * 86400;
  created->doses = 9;
  g_assert_true (bq_client_queue_create (client, created, &error));
  g_assert_no_error (error);

  g_object_set (client, "crash-after-send", TRUE, NULL);
  g_assert_false (sync_now (client, &error));
  g_clear_error (&error);
  /* Kept until the server is gone: libsoup 3.2 leaks server
   * connections a client closes while idle. */
  g_ptr_array_add (keep, client);

  /* No chance to clean up; it comes back on another port. */
  bq_test_server_respawn_subprocess (ts, NULL);

  client = client_new (ts->base, path);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  g_assert_cmpint (bq_store_count (bq_client_get_store (client), &bq_forecast_type, NULL), ==,
                   n_forecasts + 1);

  /* Ask the server: the row once, and one audit entry for it. */
  token = bq_test_server_login (ts, "admin");
  get_path = g_strdup_printf ("/api/v1/forecasts?from=%s&to=%s",
                              "2032-01-01T00:00:00Z", "2040-01-01T00:00:00Z");
  response = bq_test_request (ts, "GET", get_path, token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      bq_test_response_object (response), "items")), ==, 1);
  for (gint64 after = 0;;)
    {
      g_autofree char *audit_path = g_strdup_printf ("/api/v1/audit?after=%" G_GINT64_FORMAT
                                                     "&limit=1000", after);
      g_autoptr(BqTestResponse) page = bq_test_request (ts, "GET", audit_path, token, NULL, NULL);
      JsonArray *entries;

      g_assert_cmpuint (page->status, ==, SOUP_STATUS_OK);
      entries = json_object_get_array_member (bq_test_response_object (page), "entries");
      if (json_array_get_length (entries) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (entry, "entity_id", NULL),
                         created->base.id) == 0)
            n_entries++;
        }
      after = json_object_get_int_member (bq_test_response_object (page), "next_after");
    }
  g_assert_cmpint (n_entries, ==, 1);

  g_ptr_array_add (keep, client);
  remove_dir (dir);
}

/* ----------------------------------------------------------------- events */

static void
on_changed (BqClient   *client,
            const char *kind,
            gpointer    user_data)
{
  GPtrArray *kinds = user_data;

  g_ptr_array_add (kinds, g_strdup (kind));
}

static gboolean
saw_forecast_change (BqClient *client,
                     gpointer  data)
{
  GPtrArray *kinds = data;

  return g_ptr_array_find_with_equal_func (kinds, "forecast", g_str_equal, NULL);
}

static gboolean
events_connected (BqClient *client,
                  gpointer  data)
{
  return bq_server_get_n_event_clients (data) == 1;
}

static void
test_event_triggers_pull (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(BqForecast) forecast = server_forecast (ts->store, 11);
  g_autoptr(BqForecast) shown = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *token = bq_test_server_login (ts, "admin");
  g_autofree char *path = g_strdup_printf ("/api/v1/forecasts/%s", forecast->base.id);
  gint64 started;

  client = client_ready (ts->base, ":memory:", "planner");

  /* Back-off long enough that only an event can explain a pull. */
  g_object_set (client, "retry-delay-ms", 60 * 1000, NULL);
  bq_client_start (client);
  g_assert_true (wait_until (client, events_connected, ts->server, TIMEOUT_MS));
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_ONLINE),
                             TIMEOUT_MS));
  g_signal_connect (client, "changed", G_CALLBACK (on_changed), kinds);

  started = g_get_monotonic_time ();
  response = bq_test_request (ts, "PATCH", path, token, "{\"doses\":77}", NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  g_assert_true (wait_until (client, saw_forecast_change, kinds, 5000));
  if (g_test_verbose ())
    g_test_message ("pulled %.1f ms after the write",
                    (g_get_monotonic_time () - started) / 1000.0);

  shown = cache_get (client, &bq_forecast_type, forecast->base.id);
  g_assert_cmpint (shown->doses, ==, 77);
  g_assert_cmpint (bq_client_get_revision (client), ==, bq_store_get_revision (ts->store));

  bq_client_stop (client);
}

/* The events connection drops with the server; the client notices,
 * backs off, and once the server is back catches up and listens again. */
static void
test_events_reconnect (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(Proxy) proxy = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(BqForecast) forecast = server_forecast (ts->store, 12);
  g_autoptr(BqForecast) shown = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *token = bq_test_server_login (ts, "admin");
  g_autofree char *path = g_strdup_printf ("/api/v1/forecasts/%s", forecast->base.id);

  proxy = proxy_new (ts->base);
  client = client_ready (proxy->base, ":memory:", "planner");

  bq_client_start (client);
  g_assert_true (wait_until (client, events_connected, ts->server, TIMEOUT_MS));

  proxy_set_mode (proxy, PROXY_UNPLUGGED);
  g_assert_true (wait_until (client, is_state, GINT_TO_POINTER (BQ_CLIENT_STATE_OFFLINE),
                             TIMEOUT_MS));

  /* Changed while the client could not hear about it. */
  response = bq_test_request (ts, "PATCH", path, token, "{\"doses\":55}", NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);

  g_signal_connect (client, "changed", G_CALLBACK (on_changed), kinds);
  proxy_set_mode (proxy, PROXY_PASS);
  g_assert_true (wait_until (client, saw_forecast_change, kinds, TIMEOUT_MS));
  shown = cache_get (client, &bq_forecast_type, forecast->base.id);
  g_assert_cmpint (shown->doses, ==, 55);
  g_assert_true (wait_until (client, events_connected, ts->server, TIMEOUT_MS));
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_ONLINE);

  bq_client_stop (client);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/sync/offline/replayed-exactly-once", test_offline_replayed_once);
  g_test_add_func ("/sync/offline/edits-stack", test_offline_edits_stack);
  g_test_add_func ("/sync/conflict/keep-mine", test_conflict_keep_mine);
  g_test_add_func ("/sync/conflict/take-theirs", test_conflict_take_theirs);
  g_test_add_func ("/sync/conflict/blocks-only-its-entity", test_conflict_blocks_only_its_entity);
  g_test_add_func ("/sync/crash/lost-answer-replayed-once", test_crash_mid_push);
  g_test_add_func ("/sync/crash/server-killed-after-commit", test_crash_mid_push_server_killed);
  g_test_add_func ("/sync/events/change-triggers-pull", test_event_triggers_pull);
  g_test_add_func ("/sync/events/reconnect-after-outage", test_events_reconnect);

  return g_test_run ();
}
