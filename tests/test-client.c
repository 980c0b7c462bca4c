/* test-client.c — the API client against a real server: sign-in, first
 * and incremental sync, tombstones, scoping, an expired session, and the
 * store's mirror writes (put_as / delete_as) the cache is built on
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

static gboolean
sign_in (BqClient    *client,
         const char  *username,
         const char  *password,
         GError     **error)
{
  Wait wait = { FALSE, FALSE, NULL };

  bq_client_sign_in_async (client, username, password, NULL, on_signed_in, &wait);
  g_assert_true (bq_test_run_until (&wait.done, TIMEOUT_MS));
  if (wait.error != NULL)
    g_propagate_error (error, wait.error);
  return wait.ok;
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
client_new (BqTestServer *ts,
            const char   *cache_path)
{
  g_autoptr(GError) error = NULL;
  BqClient *client = bq_client_new (ts->base, cache_path, &error);

  g_assert_no_error (error);
  g_assert_nonnull (client);
  return client;
}

static BqClient *
client_signed_in (BqTestServer *ts,
                  const char   *username)
{
  g_autoptr(GError) error = NULL;
  BqClient *client = client_new (ts, ":memory:");

  g_assert_true (sign_in (client, username, BQ_TEST_PASSWORD, &error));
  g_assert_no_error (error);
  return client;
}

/* How many @plural the server shows @token, through its list endpoint;
 * -1 when it may not see them at all. */
static gint64
server_count (BqTestServer *ts,
              const char   *token,
              const char   *plural)
{
  gint64 count = 0;
  gint64 offset = 0;

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/%s?limit=1000&offset=%" G_GINT64_FORMAT,
                                               plural, offset);
      g_autoptr(BqTestResponse) response = bq_test_request (ts, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonNode *next;

      if (response->status == SOUP_STATUS_FORBIDDEN)
        return -1;
      g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
      object = bq_test_response_object (response);
      count += json_array_get_length (json_object_get_array_member (object, "items"));
      next = json_object_get_member (object, "next_offset");
      if (next == NULL || JSON_NODE_HOLDS_NULL (next))
        return count;
      offset = json_node_get_int (next);
    }
}

static gint64
cache_count (BqClient           *client,
             const BqEntityType *type)
{
  g_autoptr(GError) error = NULL;
  gint64 count = bq_store_count (bq_client_get_store (client), type, &error);

  g_assert_no_error (error);
  return count;
}

/* Rows of every type in the cache with a revision above @since. */
static gint64
cache_rows_after (BqClient *client,
                  gint64    since)
{
  sqlite3 *db = bq_store_get_db (bq_client_get_store (client));
  const BqEntityType * const *types;
  guint n_types;
  gint64 total = 0;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      g_autofree char *sql = g_strdup_printf ("SELECT count(*) FROM \"%s\" WHERE revision > ?1",
                                              types[i]->plural);
      sqlite3_stmt *stmt = NULL;

      g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
      sqlite3_bind_int64 (stmt, 1, since);
      g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
      total += sqlite3_column_int64 (stmt, 0);
      sqlite3_finalize (stmt);
    }
  return total;
}

static char *
cache_state (BqClient   *client,
             const char *key)
{
  sqlite3 *db = bq_store_get_db (bq_client_get_store (client));
  sqlite3_stmt *stmt = NULL;
  char *value = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT value FROM sync_state WHERE key = ?1", -1,
                                       &stmt, NULL), ==, SQLITE_OK);
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW && sqlite3_column_type (stmt, 0) != SQLITE_NULL)
    value = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  sqlite3_finalize (stmt);
  return value;
}

static void
on_changed (BqClient   *client,
            const char *kind,
            gpointer    user_data)
{
  GPtrArray *kinds = user_data;

  g_ptr_array_add (kinds, g_strdup (kind));
}

/* A forecast of the demo, by position in id order. */
static BqForecast *
server_forecast (BqTestServer *ts,
                 guint         index)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) forecasts = bq_store_list (ts->store, &bq_forecast_type, &error);

  g_assert_no_error (error);
  g_assert_cmpuint (forecasts->len, >, index);
  return bq_entity_copy (g_ptr_array_index (forecasts, index));
}

static char *
make_temp_dir (void)
{
  g_autoptr(GError) error = NULL;
  char *dir = g_dir_make_tmp ("test-client-XXXXXX", &error);

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

/* ------------------------------------------------------- store mirror writes */

static BqSite *
sample_site (const char *id)
{
  BqSite *site = bq_site_new ();

  bq_entity_set_id (site, id);
  site->name = g_strdup ("Leiden hot lab");
  site->organisation = g_strdup ("Isotopia CDMO");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  site->latitude = 52.16;
  site->longitude = 4.50;
  return site;
}

static void
test_store_put_as (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (":memory:", &error);
  g_autoptr(BqSite) site = sample_site ("site-1");
  g_autoptr(BqSite) read = NULL;
  g_autoptr(BqSite) other = sample_site ("site-2");
  g_autoptr(GPtrArray) changes = NULL;
  const BqChange *change;

  g_assert_no_error (error);

  /* The source's revision, not a new one; the counter follows. */
  g_assert_true (bq_store_put_as (store, site, 42, &error));
  g_assert_no_error (error);
  g_assert_cmpint (site->base.revision, ==, 42);
  read = bq_store_get (store, &bq_site_type, "site-1", &error);
  g_assert_no_error (error);
  g_assert_cmpint (read->base.revision, ==, 42);
  g_assert_cmpint (bq_store_get_revision (store), ==, 42);

  /* An older revision mirrored later does not move the counter back. */
  g_assert_true (bq_store_put_as (store, other, 7, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_get_revision (store), ==, 42);

  /* Inside a transaction, and an update. */
  g_free (site->name);
  site->name = g_strdup ("Leiden hot lab 2");
  g_assert_true (bq_store_begin (store, &error));
  g_assert_true (bq_store_put_as (store, site, 50, &error));
  g_assert_true (bq_store_commit (store, &error));
  g_assert_no_error (error);
  g_clear_pointer (&read, bq_site_free);
  read = bq_store_get (store, &bq_site_type, "site-1", &error);
  g_assert_cmpstr (read->name, ==, "Leiden hot lab 2");
  g_assert_cmpint (read->base.revision, ==, 50);

  /* Deleted at the source's revision: a tombstone at 60. */
  g_assert_true (bq_store_delete_as (store, &bq_site_type, "site-1", 60, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_count (store, &bq_site_type, NULL), ==, 1);
  changes = bq_store_changes_since (store, 50, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 1);
  change = g_ptr_array_index (changes, 0);
  g_assert_cmpstr (change->id, ==, "site-1");
  g_assert_null (change->entity);
  g_assert_cmpint (change->revision, ==, 60);
  g_assert_cmpint (bq_store_get_revision (store), ==, 60);

  /* A mirror need not have had what is deleted. */
  g_assert_true (bq_store_delete_as (store, &bq_site_type, "never-seen", 61, &error));
  g_assert_no_error (error);

  /* Back again: the tombstone goes. */
  g_assert_true (bq_store_put_as (store, site, 70, &error));
  g_assert_no_error (error);
  g_clear_pointer (&changes, g_ptr_array_unref);
  changes = bq_store_changes_since (store, 60, 0, NULL, &error);
  g_assert_cmpuint (changes->len, ==, 2);   /* never-seen's tombstone, site-1 */
  change = g_ptr_array_index (changes, 1);
  g_assert_nonnull (change->entity);
  g_assert_cmpint (change->revision, ==, 70);

  /* A store that also writes on its own goes on above the mirrored. */
  g_assert_true (bq_store_put (store, other, &error));
  g_assert_no_error (error);
  g_assert_cmpint (other->base.revision, ==, 71);

  /* Still validated. */
  g_free (other->country);
  other->country = NULL;
  g_assert_false (bq_store_put_as (store, other, 80, &error));
  g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_MISSING_FIELD);
}

/* ----------------------------------------------------------------- sign-in */

static void
test_sign_in_ok (void)
{
  g_autoptr(GPtrArray) keep = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = make_temp_dir ();
  g_autofree char *path = g_build_filename (dir, "cache.db", NULL);
  BqClient *client = client_new (ts, path);

  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_SIGNED_OUT);
  g_assert_null (bq_client_get_user (client));
  g_assert_cmpstr (bq_client_get_base_url (client), ==, ts->base);

  g_assert_true (sign_in (client, "planner", BQ_TEST_PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_ONLINE);
  g_assert_nonnull (bq_client_get_user (client));
  g_assert_cmpstr (bq_client_get_user (client)->username, ==, "planner");
  g_assert_cmpint (bq_client_get_user (client)->role, ==, BQ_ROLE_PLANNER);
  g_assert_false (bq_client_get_needs_sign_in (client));
  /* Kept until the server is gone: libsoup 3.2 leaks server
   * connections a client closes while idle. */
  g_ptr_array_add (keep, client);

  /* The token and the user are in the cache: known after a restart,
   * before the server is asked anything. */
  client = client_new (ts, path);
  g_assert_nonnull (bq_client_get_user (client));
  g_assert_cmpstr (bq_client_get_user (client)->username, ==, "planner");
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_OFFLINE);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_ONLINE);
  g_ptr_array_add (keep, client);

  remove_dir (dir);
}

static void
test_sign_in_wrong_password (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;

  client = client_new (ts, ":memory:");

  g_assert_false (sign_in (client, "planner", "not-the-password", &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED);
  g_assert_null (bq_client_get_user (client));
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_SIGNED_OUT);
  g_clear_error (&error);

  /* Without a session there is nothing to sync. */
  g_assert_false (sync_now (client, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED);
}

static void
test_sign_in_offline (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketListener) listener = g_socket_listener_new ();
  g_autofree char *base = NULL;
  g_autoptr(BqClient) client = NULL;
  guint16 port;

  /* A port that was free a moment ago and is closed now. */
  port = g_socket_listener_add_any_inet_port (listener, NULL, &error);
  g_assert_no_error (error);
  g_socket_listener_close (listener);
  base = g_strdup_printf ("http://127.0.0.1:%u", port);

  client = bq_client_new (base, ":memory:", &error);
  g_assert_no_error (error);
  g_assert_false (sign_in (client, "planner", BQ_TEST_PASSWORD, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_OFFLINE);
}

/* -------------------------------------------------------------------- sync */

static void
check_counts_match (BqTestServer *ts,
                    BqClient     *client,
                    const char   *username)
{
  g_autofree char *token = bq_test_server_login (ts, username);
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      gint64 expected = server_count (ts, token, types[i]->plural);

      if (expected < 0)
        expected = 0;  /* may not read them: none in the cache either */
      if (g_test_verbose ())
        g_test_message ("%s: %s %" G_GINT64_FORMAT, username, types[i]->plural, expected);
      g_assert_cmpint (cache_count (client, types[i]), ==, expected);
    }
}

static void
test_first_sync (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);

  client = client_signed_in (ts, "planner");

  g_signal_connect (client, "changed", G_CALLBACK (on_changed), kinds);
  g_assert_cmpint (bq_client_get_revision (client), ==, 0);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);

  check_counts_match (ts, client, "planner");
  g_assert_cmpint (cache_count (client, &bq_run_type), >, 0);
  g_assert_cmpint (cache_count (client, &bq_user_type), ==, 0);  /* planners see no users */
  g_assert_cmpint (bq_client_get_revision (client), ==, bq_store_get_revision (ts->store));
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_ONLINE);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);

  /* Rows carry the server's revisions. */
  {
    g_autoptr(BqForecast) theirs = server_forecast (ts, 3);
    g_autoptr(BqForecast) mine = bq_store_get (bq_client_get_store (client), &bq_forecast_type,
                                               theirs->base.id, &error);

    g_assert_no_error (error);
    g_assert_true (bq_entity_equal (mine, theirs));
  }

  /* "changed" once per kind, not once per row or page. */
  for (guint i = 0; i < kinds->len; i++)
    for (guint j = i + 1; j < kinds->len; j++)
      g_assert_cmpstr (kinds->pdata[i], !=, kinds->pdata[j]);
  g_assert_true (g_ptr_array_find_with_equal_func (kinds, "run", g_str_equal, NULL));

  /* Up to date: nothing more comes. */
  g_ptr_array_set_size (kinds, 0);
  g_assert_true (sync_now (client, &error));
  g_assert_cmpuint (kinds->len, ==, 0);
}

static void
test_first_sync_scoped (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  const BqUser *user;

  client = client_signed_in (ts, "am-europe");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  check_counts_match (ts, client, "am-europe");

  /* Only their centres' orders, and fewer than there are. */
  user = bq_client_get_user (client);
  g_assert_nonnull (user->centre_ids);
  orders = bq_store_list (bq_client_get_store (client), &bq_order_type, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (orders->len, >, 0);
  g_assert_cmpint (orders->len, <, bq_store_count (ts->store, &bq_order_type, NULL));
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      g_assert_true (g_strv_contains ((const char * const *) user->centre_ids, order->centre_id));
    }
}

static void
test_incremental_sync (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) kinds = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(BqForecast) before = server_forecast (ts, 5);
  g_autoptr(BqForecast) cached = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *token = bq_test_server_login (ts, "admin");
  g_autofree char *path = g_strdup_printf ("/api/v1/forecasts/%s", before->base.id);
  g_autofree char *body = g_strdup_printf ("{\"doses\":%" G_GINT64_FORMAT "}", before->doses + 7);
  gint64 revision, new_revision;

  client = client_signed_in (ts, "planner");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  revision = bq_client_get_revision (client);

  /* Another user changes one forecast through the API. */
  response = bq_test_request (ts, "PATCH", path, token, body, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  new_revision = json_object_get_int_member (bq_test_response_object (response), "revision");
  g_assert_cmpint (new_revision, >, revision);

  g_signal_connect (client, "changed", G_CALLBACK (on_changed), kinds);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);

  /* Exactly that change: one row moved, one kind changed. */
  g_assert_cmpint (bq_client_get_revision (client), ==, new_revision);
  g_assert_cmpint (cache_rows_after (client, revision), ==, 1);
  g_assert_cmpuint (kinds->len, ==, 1);
  g_assert_cmpstr (kinds->pdata[0], ==, "forecast");
  cached = bq_store_get (bq_client_get_store (client), &bq_forecast_type, before->base.id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cached->doses, ==, before->doses + 7);
  g_assert_cmpint (cached->base.revision, ==, new_revision);
}

static void
test_tombstone (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) victim = server_forecast (ts, 2);
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autofree char *path = g_strdup_printf ("/api/v1/forecasts/%s", victim->base.id);
  g_autoptr(GPtrArray) changes = NULL;
  gpointer gone;
  gint64 before, count;

  client = client_signed_in (ts, "planner");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  before = bq_client_get_revision (client);
  count = cache_count (client, &bq_forecast_type);

  response = bq_test_request (ts, "DELETE", path, token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_NO_CONTENT);

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cache_count (client, &bq_forecast_type), ==, count - 1);
  gone = bq_store_get (bq_client_get_store (client), &bq_forecast_type, victim->base.id, &error);
  g_assert_null (gone);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);

  /* The cache keeps the tombstone at the server's revision. */
  changes = bq_store_changes_since (bq_client_get_store (client), before, 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (changes->len, ==, 1);
  g_assert_null (((BqChange *) changes->pdata[0])->entity);
  g_assert_cmpint (((BqChange *) changes->pdata[0])->revision, ==,
                   bq_store_get_revision (ts->store));
}

static void
test_sign_out (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) forecast = server_forecast (ts, 0);

  client = client_signed_in (ts, "planner");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  forecast->doses++;
  g_assert_true (bq_client_queue_update (client, forecast, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);

  bq_client_sign_out (client);
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_SIGNED_OUT);
  g_assert_null (bq_client_get_user (client));
  g_assert_false (bq_client_get_needs_sign_in (client));
  g_assert_cmpint (cache_count (client, &bq_run_type), ==, 0);
  g_assert_cmpint (cache_count (client, &bq_forecast_type), ==, 0);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  g_assert_cmpint (bq_client_get_revision (client), ==, 0);
}

/* The session ends on the server: the client stops, keeps its cache and
 * its outbox, and carries on after signing in again. */
static void
test_session_expired (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqForecast) forecast = server_forecast (ts, 1);
  g_autoptr(BqForecast) on_server = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *token = NULL;
  gint64 n_runs;

  client = client_signed_in (ts, "planner");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  n_runs = cache_count (client, &bq_run_type);

  token = cache_state (client, "token");
  g_assert_nonnull (token);
  response = bq_test_request (ts, "DELETE", "/api/v1/session", token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_NO_CONTENT);

  forecast->doses += 3;
  g_assert_true (bq_client_queue_update (client, forecast, &error));
  g_assert_no_error (error);

  g_assert_false (sync_now (client, &error));
  g_assert_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED);
  g_clear_error (&error);
  g_assert_cmpint (bq_client_get_state (client), ==, BQ_CLIENT_STATE_SIGNED_OUT);
  g_assert_true (bq_client_get_needs_sign_in (client));
  g_assert_nonnull (bq_client_get_user (client));
  g_assert_cmpint (cache_count (client, &bq_run_type), ==, n_runs);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);
  g_assert_null (cache_state (client, "token"));

  g_assert_true (sign_in (client, "planner", BQ_TEST_PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_false (bq_client_get_needs_sign_in (client));
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 1);
  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpuint (bq_client_get_n_pending (client), ==, 0);
  on_server = bq_store_get (ts->store, &bq_forecast_type, forecast->base.id, &error);
  g_assert_cmpint (on_server->doses, ==, forecast->doses);
}

/* Another user's cache is not carried over. */
static void
test_sign_in_other_user (void)
{
  g_autoptr(BqClient) client = NULL;
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(GError) error = NULL;

  client = client_signed_in (ts, "planner");

  g_assert_true (sync_now (client, &error));
  g_assert_no_error (error);
  g_assert_cmpint (cache_count (client, &bq_order_type), >, 0);

  g_assert_true (sign_in (client, "am-europe", BQ_TEST_PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_client_get_revision (client), ==, 0);
  g_assert_cmpint (cache_count (client, &bq_order_type), ==, 0);
  g_assert_true (sync_now (client, &error));
  check_counts_match (ts, client, "am-europe");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/client/store/put-as-keeps-revisions", test_store_put_as);
  g_test_add_func ("/client/sign-in/ok", test_sign_in_ok);
  g_test_add_func ("/client/sign-in/wrong-password", test_sign_in_wrong_password);
  g_test_add_func ("/client/sign-in/offline", test_sign_in_offline);
  g_test_add_func ("/client/sign-in/other-user-empties-cache", test_sign_in_other_user);
  g_test_add_func ("/client/sync/first", test_first_sync);
  g_test_add_func ("/client/sync/first-scoped", test_first_sync_scoped);
  g_test_add_func ("/client/sync/incremental", test_incremental_sync);
  g_test_add_func ("/client/sync/tombstone", test_tombstone);
  g_test_add_func ("/client/sign-out/empties-cache", test_sign_out);
  g_test_add_func ("/client/session/expired-keeps-cache-and-outbox", test_session_expired);

  return g_test_run ();
}
