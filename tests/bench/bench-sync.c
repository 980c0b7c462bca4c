/* bench-sync.c — how fast a sync of many changed rows lands in the cache
 *
 *   bench-sync [N_ROWS] [REPEATS]
 *
 * Starts a server in this process on 127.0.0.1 over a demo network big
 * enough to have N_ROWS (default 10,000) forecasts and runs, signs a
 * client in as the planner and syncs it once (the first sync is timed
 * too).  Then, REPEATS times (default 3), the server's store gets those
 * N_ROWS rows changed (put_many, as a bulk import would) and the client
 * syncs them: the best time is shown next to
 *   - the change feed alone: the same pages fetched over HTTP and thrown
 *     away, i.e. the server's and the network's share;
 *   - the same rows written directly with bq_store_put_many into a fresh
 *     store that has only their parents (inserts), and into a store that
 *     already has them (updates, which is what the cache does);
 * with the ratios.  Server and client share this thread, so the client's
 * figure includes the server's work; "client share" subtracts the feed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <libsoup/soup.h>

#include "bq-auth.h"
#include "bq-client.h"
#include "bq-core.h"
#include "bq-server.h"

#define PASSWORD "bench-password-1"
#define PAGE 500

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-sync: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

typedef struct {
  gboolean  done;
  gboolean  ok;
  GError   *error;
  GBytes   *body;
} Wait;

static void
run_until (Wait *wait)
{
  while (!wait->done)
    g_main_context_iteration (NULL, TRUE);
}

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

static double
timed_sync (BqClient *client)
{
  Wait wait = { FALSE, FALSE, NULL, NULL };
  double started = now ();

  bq_client_sync_async (client, NULL, on_synced, &wait);
  run_until (&wait);
  if (!wait.ok)
    die ("sync", wait.error);
  return now () - started;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Wait *wait = user_data;

  wait->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &wait->error);
  wait->done = TRUE;
}

/* The feed from @since to the end over plain HTTP, read and dropped:
 * what the server and the network cost. */
static double
timed_feed (SoupSession *session,
            const char  *base,
            const char  *token,
            gint64       since)
{
  g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);
  double started = now ();
  gboolean more = TRUE;

  while (more)
    {
      g_autofree char *uri = g_strdup_printf ("%s/api/v1/changes?since=%" G_GINT64_FORMAT
                                              "&limit=%u", base, since, PAGE);
      g_autoptr(SoupMessage) msg = soup_message_new ("GET", uri);
      g_autoptr(JsonParser) parser = NULL;
      Wait wait = { FALSE, FALSE, NULL, NULL };
      const char *data;
      const char *p;
      gsize size;

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
      soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_read, &wait);
      run_until (&wait);
      if (wait.body == NULL)
        die ("changes", wait.error);
      /* Only where to go on from: "revision" and "more" end the object. */
      data = g_bytes_get_data (wait.body, &size);
      p = g_strrstr_len (data, (gssize) size, "\"revision\":");
      if (p == NULL)
        die ("changes: no revision", NULL);
      since = g_ascii_strtoll (p + strlen ("\"revision\":"), NULL, 10);
      more = g_strrstr_len (data, (gssize) size, "\"more\":true") != NULL;
      g_bytes_unref (wait.body);
    }
  return now () - started;
}

static void
remove_tree (const char *dir)
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

static BqStore *
fresh_store (const char *dir,
             const char *name)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  BqStore *store;

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  store = bq_store_open (path, &error);
  if (store == NULL)
    die ("open", error);
  return store;
}

/* Forecasts and runs of @store, at most @n, changed a little. */
static GPtrArray *
changed_rows (BqStore *store,
              guint    n,
              guint    round,
              guint   *n_forecasts)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) forecasts = bq_store_list (store, &bq_forecast_type, &error);
  g_autoptr(GPtrArray) runs = NULL;
  GPtrArray *rows = g_ptr_array_new_with_free_func (bq_entity_free);

  if (forecasts == NULL)
    die ("forecasts", error);
  runs = bq_store_list (store, &bq_run_type, &error);
  if (runs == NULL)
    die ("runs", error);

  for (guint i = 0; i < forecasts->len && rows->len < n; i++)
    {
      BqForecast *forecast = bq_entity_copy (g_ptr_array_index (forecasts, i));

      forecast->doses += 1 + round;
      g_ptr_array_add (rows, forecast);
    }
  *n_forecasts = rows->len;
  for (guint i = 0; i < runs->len && rows->len < n; i++)
    {
      BqRun *run = bq_entity_copy (g_ptr_array_index (runs, i));

      run->activity_eos_bq *= 1.001;
      g_ptr_array_add (rows, run);
    }
  if (rows->len < n)
    {
      g_printerr ("bench-sync: the demo has only %u forecasts and runs\n", rows->len);
      exit (1);
    }
  return rows;
}

/* The parents of forecasts and runs: sites, lines, products, centres. */
static GPtrArray *
parents_of (BqStore *store)
{
  const BqEntityType *types[] = { &bq_site_type, &bq_line_type, &bq_product_type,
                                  &bq_centre_type };
  GPtrArray *parents = g_ptr_array_new_with_free_func (bq_entity_free);

  for (guint t = 0; t < G_N_ELEMENTS (types); t++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) rows = bq_store_list (store, types[t], &error);

      if (rows == NULL)
        die ("parents", error);
      for (guint i = 0; i < rows->len; i++)
        g_ptr_array_add (parents, bq_entity_copy (g_ptr_array_index (rows, i)));
    }
  return parents;
}

static GPtrArray *
copy_rows (GPtrArray *rows)
{
  GPtrArray *copy = g_ptr_array_new_full (rows->len, bq_entity_free);

  for (guint i = 0; i < rows->len; i++)
    g_ptr_array_add (copy, bq_entity_copy (g_ptr_array_index (rows, i)));
  return copy;
}

static gint64
total_rows (BqStore *store)
{
  const BqEntityType * const *types;
  guint n_types;
  gint64 total = 0;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    total += bq_store_count (store, types[i], NULL);
  return total;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) server_store = NULL;
  g_autoptr(BqAuth) auth = NULL;
  g_autoptr(BqServer) server = NULL;
  g_autoptr(BqClient) client = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(GPtrArray) parents = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *server_path = NULL;
  g_autofree char *cache_path = NULL;
  g_autofree char *uri = NULL;
  g_autofree char *base = NULL;
  g_autofree char *token = NULL;
  BqDemoOptions options;
  guint n_rows = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 10000;
  guint repeats = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  double first_sync, best_sync = G_MAXDOUBLE, best_feed = G_MAXDOUBLE;
  double best_fresh = G_MAXDOUBLE, best_update = G_MAXDOUBLE;
  guint n_forecasts = 0;
  gint64 first_rows;

  if (n_rows == 0 || repeats == 0)
    {
      g_printerr ("usage: bench-sync [N_ROWS] [REPEATS]\n");
      return 2;
    }

  dir = g_dir_make_tmp ("bench-sync-XXXXXX", &error);
  if (dir == NULL)
    die ("temporary directory", error);

  /* The server: a demo network with enough weeks of forecasts and runs
   * (about 108 a week). */
  server_path = g_build_filename (dir, "server.db", NULL);
  server_store = bq_store_open (server_path, &error);
  if (server_store == NULL)
    die ("server store", error);
  bq_demo_options_init_default (&options);
  options.seed = 1;
  options.start = G_GINT64_CONSTANT (1794182400);  /* Monday 2026-11-09 */
  options.weeks = MAX (12, n_rows / 90 + 2);
  if (!bq_demo_generate (server_store, &options, &error))
    die ("demo", error);
  auth = bq_auth_new (server_store);
  bq_auth_set_fast_hashing (auth, TRUE);
  if (!bq_auth_set_password (auth, "user-planner", PASSWORD, &error))
    die ("password", error);
  server = bq_server_new (server_store, auth);
  if (!bq_server_listen (server, "127.0.0.1", 0, NULL, &error))
    die ("listen", error);
  uri = bq_server_get_uri (server);
  base = g_strndup (uri, strlen (uri) - 1);

  /* The client, signed in and synced once. */
  cache_path = g_build_filename (dir, "cache.db", NULL);
  client = bq_client_new (base, cache_path, &error);
  if (client == NULL)
    die ("client", error);
  {
    Wait wait = { FALSE, FALSE, NULL, NULL };

    bq_client_sign_in_async (client, "planner", PASSWORD, NULL, on_signed_in, &wait);
    run_until (&wait);
    if (!wait.ok)
      die ("sign in", wait.error);
  }
  first_sync = timed_sync (client);
  first_rows = total_rows (bq_client_get_store (client));

  session = soup_session_new ();
  {
    g_autofree char *login = NULL;

    login = bq_auth_login (auth, "planner", PASSWORD, g_get_real_time () / G_USEC_PER_SEC,
                           NULL, NULL, &error);
    if (login == NULL)
      die ("token", error);
    token = g_steal_pointer (&login);
  }

  parents = parents_of (server_store);

  for (guint r = 0; r < repeats; r++)
    {
      g_autoptr(GPtrArray) rows = changed_rows (server_store, n_rows, r, &n_forecasts);
      g_autoptr(GPtrArray) direct = NULL;
      gint64 since = bq_client_get_revision (client);
      double took;

      if (!bq_store_put_many (server_store, rows, &error))
        die ("server put_many", error);

      /* MIN() evaluates its arguments twice: time first, then compare. */
      took = timed_feed (session, base, token, since);
      best_feed = MIN (best_feed, took);
      /* All of the work inside the timed window, none of it before. */
      if (bq_client_get_revision (client) != since)
        die ("the client synced before it was asked to", NULL);
      took = timed_sync (client);
      best_sync = MIN (best_sync, took);
      if (bq_client_get_revision (client) != bq_store_get_revision (server_store))
        die ("the client did not catch up", NULL);

      /* The same rows straight into a fresh store with only their parents. */
      {
        g_autoptr(BqStore) fresh = fresh_store (dir, "fresh.db");

        if (!bq_store_put_many (fresh, parents, &error))
          die ("fresh parents", error);
        direct = copy_rows (rows);
        took = now ();
        if (!bq_store_put_many (fresh, direct, &error))
          die ("fresh put_many", error);
        took = now () - took;
        best_fresh = MIN (best_fresh, took);

        /* And again: now every row is an update, as in the cache. */
        g_clear_pointer (&direct, g_ptr_array_unref);
        direct = copy_rows (rows);
        took = now ();
        if (!bq_store_put_many (fresh, direct, &error))
          die ("fresh put_many (updates)", error);
        took = now () - took;
        best_update = MIN (best_update, took);
      }
    }

  g_print ("bench-sync: %u changed rows (%u forecasts, %u runs), pages of %u, best of %u\n",
           n_rows, n_forecasts, n_rows - n_forecasts, PAGE, repeats);
  g_print ("  first sync, whole network as the planner (%" G_GINT64_FORMAT " rows)   %8.3f s\n",
           first_rows, first_sync);
  g_print ("  change feed alone (server + HTTP, read and dropped)    %8.3f s\n", best_feed);
  g_print ("  sync through the client (feed, decode, cache)          %8.3f s  %6.1f us/row\n",
           best_sync, best_sync * 1e6 / n_rows);
  g_print ("    client share (sync - feed)                             %8.3f s  %6.1f us/row\n",
           best_sync - best_feed, (best_sync - best_feed) * 1e6 / n_rows);
  g_print ("  put_many into a fresh store (inserts)                  %8.3f s  %6.1f us/row\n",
           best_fresh, best_fresh * 1e6 / n_rows);
  g_print ("  put_many into a store that has them (updates)          %8.3f s  %6.1f us/row\n",
           best_update, best_update * 1e6 / n_rows);
  g_print ("  ratio sync / put_many fresh                            %8.1f\n",
           best_sync / best_fresh);
  g_print ("  ratio sync / put_many updates                          %8.1f\n",
           best_sync / best_update);
  g_print ("  ratio client share / put_many updates                  %8.1f\n",
           (best_sync - best_feed) / best_update);

  g_clear_object (&client);
  bq_server_stop (server);
  g_clear_object (&session);
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_clear_object (&server);
  g_clear_object (&auth);
  g_clear_object (&server_store);
  remove_tree (dir);
  return 0;
}
