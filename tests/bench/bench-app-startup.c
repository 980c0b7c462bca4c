/* bench-app-startup.c — how fast the app shows a big local copy
 *
 *   xvfb-run -a -s '-screen 0 1600x1200x24' bench-app-startup [N_ORDERS] [REPEATS]
 *
 * Builds a cache file like the one a planner's laptop has after a sync:
 * the demo network, topped up to N_ORDERS orders (default 100,000), with
 * a signed-in planner and a server that cannot be reached (offline, as on
 * a plane).  Then, REPEATS times (default 3, the best is shown):
 *
 *   - app, first frame: from creating the application (GTK and
 *     libadwaita initialised, the cache opened, the window built) to the
 *     first frame painted;
 *   - app, orders shown: to the first frame painted with the Orders table
 *     filled with all N_ORDERS rows (sorted, filter in place);
 *   - SQLite, rows: the same orders read straight from the file with
 *     sqlite3_step (every column the table shows);
 *   - SQLite, entities: the same read through bq_store_list (orders,
 *     centres, products decoded into structs), which is the order list's
 *     own reading work;
 *
 * with the ratios of "orders shown" to both.  The app runs in this
 * process (the GTK objects the real `becquerel` builds), so "launch"
 * here excludes exec and the dynamic loader: add ~20 ms for those.
 * With BQ_BENCH_TRACE=1 it prints a timestamp at each step (application
 * registered, window built, the rows arriving, every frame).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bq-application.h"
#include "bq-client-private.h"
#include "bq-core.h"
#include "bq-order-list.h"
#include "bq-orders-page.h"
#include "bq-window.h"

/* Port 9 (discard) on loopback: nothing listens, the app is offline. */
#define BENCH_SERVER_URL "http://127.0.0.1:9"

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-app-startup: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

/* ------------------------------------------------------------ the cache */

static void
build_cache (const char *path,
             guint       n_orders)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (path, &error);
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autoptr(GPtrArray) extra = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(BqClient) client = NULL;
  g_autofree char *user_json = NULL;
  BqDemoOptions options;
  guint n_demo;

  if (store == NULL)
    die ("cannot create the cache", error);
  bq_demo_options_init_default (&options);
  if (!bq_demo_generate (store, &options, &error))
    die ("cannot generate the demo network", error);

  /* Top up with copies of the demo's orders: real centres, products and
   * times, new ids and patients. */
  orders = bq_store_list (store, &bq_order_type, &error);
  if (orders == NULL || orders->len == 0)
    die ("the demo has no orders", error);
  n_demo = orders->len;
  for (guint i = n_demo; i < n_orders; i++)
    {
      BqOrder *order = bq_entity_copy (g_ptr_array_index (orders, i % n_demo));

      g_free (order->base.id);
      order->base.id = g_strdup_printf ("ord-bench-%07u", i);
      g_free (order->patient_ref);
      order->patient_ref = g_strdup_printf ("PT-B%06u", i);
      g_clear_pointer (&order->slot_id, g_free);
      g_clear_pointer (&order->run_id, g_free);
      g_clear_pointer (&order->shipment_id, g_free);
      g_ptr_array_add (extra, order);
    }
  if (extra->len > 0 && !bq_store_put_many (store, extra, &error))
    die ("cannot add the orders", error);

  users = bq_store_list (store, &bq_user_type, &error);
  if (users == NULL)
    die ("cannot list the users", error);
  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);

      if (g_strcmp0 (user->username, "planner") == 0)
        user_json = bq_entity_to_json_string (user, FALSE);
    }
  if (user_json == NULL)
    die ("the demo has no planner", NULL);
  g_clear_object (&store);

  /* The client's own tables, and a planner signed in to a server that is
   * not there. */
  client = bq_client_new (BENCH_SERVER_URL, path, &error);
  if (client == NULL)
    die ("cannot open the cache as a client", error);
  if (!bq_client_cache_set_state (client, "user", user_json, &error) ||
      !bq_client_cache_set_state (client, "token", "bench-token", &error) ||
      !bq_client_cache_set_revision (client, 1, &error))
    die ("cannot write the sync state", error);
}

/* --------------------------------------------------------- SQLite alone */

static double
time_sqlite_rows (const char *path,
                  guint      *n_rows)
{
  double t0 = now ();
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  double sum = 0;
  guint n = 0;

  if (sqlite3_open_v2 (path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
    die ("sqlite3_open", NULL);
  if (sqlite3_prepare_v2 (db,
                          "SELECT o.id, o.patient_ref, c.name, p.name, o.prescribed_activity_bq,"
                          " o.admin_start, o.admin_end, o.status, c.timezone"
                          " FROM orders o JOIN centres c ON c.id = o.centre_id"
                          " JOIN products p ON p.id = o.product_id ORDER BY o.id",
                          -1, &stmt, NULL) != SQLITE_OK)
    die (sqlite3_errmsg (db), NULL);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      /* Touch what a row shows so nothing is optimised away. */
      for (int c = 0; c < 9; c++)
        if (sqlite3_column_type (stmt, c) == SQLITE_TEXT)
          sum += sqlite3_column_bytes (stmt, c);
      sum += sqlite3_column_double (stmt, 4);
      n++;
    }
  sqlite3_finalize (stmt);
  sqlite3_close (db);
  *n_rows = n;
  (void) sum;
  return now () - t0;
}

static double
time_sqlite_entities (const char *path,
                      guint      *n_rows)
{
  double t0 = now ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (path, &error);
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GPtrArray) products = NULL;

  if (store == NULL)
    die ("bq_store_open", error);
  orders = bq_store_list (store, &bq_order_type, &error);
  if (orders != NULL)
    centres = bq_store_list (store, &bq_centre_type, &error);
  if (centres != NULL)
    products = bq_store_list (store, &bq_product_type, &error);
  if (products == NULL)
    die ("bq_store_list", error);
  *n_rows = orders->len;
  g_clear_pointer (&orders, g_ptr_array_unref);
  g_clear_pointer (&centres, g_ptr_array_unref);
  g_clear_pointer (&products, g_ptr_array_unref);
  g_clear_object (&store);
  return now () - t0;
}

/* ------------------------------------------------------------- the app */

typedef struct {
  BqWindow *window;
  guint     expected;
  double    first_frame;
  double    orders_frame;
  gboolean  orders_ready;
} Run;

static gboolean
orders_ready (Run *run)
{
  BqOrdersPage *page = bq_window_get_orders_page (run->window);
  BqOrderList *orders = bq_orders_page_get_orders (page);
  GListModel *rows = bq_orders_page_get_rows (page);

  return orders != NULL && bq_order_list_get_loaded (orders) &&
         g_list_model_get_n_items (rows) == run->expected;
}

static void
on_after_paint (GdkFrameClock *clock,
                Run           *run)
{
  double t = now ();

  if (g_getenv ("BQ_BENCH_TRACE"))
    g_printerr ("  %.3f after-paint\n", t);
  if (run->first_frame == 0)
    run->first_frame = t;
  /* The first frame painted once the table has every row. */
  if (run->orders_ready && run->orders_frame == 0)
    run->orders_frame = t;
}

static gboolean
on_tick (gpointer user_data)
{
  Run *run = user_data;

  if (!run->orders_ready && orders_ready (run))
    {
      run->orders_ready = TRUE;
      gtk_widget_queue_draw (GTK_WIDGET (run->window));
    }
  return G_SOURCE_CONTINUE;
}

static void
on_items_changed (GListModel *rows,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Run        *run)
{
  if (g_getenv ("BQ_BENCH_TRACE"))
    g_printerr ("  %.3f items-changed %u -%u +%u\n", now (), position, removed, added);
  on_tick (run);
}

static void
time_app (const char *cache,
          guint       expected,
          double     *first_frame,
          double     *orders_frame)
{
  double t0 = now ();
  g_autoptr(GError) error = NULL;
  BqApplication *app;
  GdkFrameClock *clock;
  GList *windows;
  guint tick;
  Run run = { 0 };

  if (g_getenv ("BQ_BENCH_TRACE"))
    g_printerr ("  %.3f start\n", t0);
  app = bq_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache);
  if (!g_application_register (G_APPLICATION (app), NULL, &error))
    die ("cannot register the application", error);

  if (g_getenv ("BQ_BENCH_TRACE"))
    g_printerr ("  %.3f registered\n", now ());
  /* What the last sign-in left in the settings. */
  g_settings_set_string (bq_application_get_settings (app), "server-url", BENCH_SERVER_URL);
  g_settings_set_string (bq_application_get_settings (app), "username", "planner");

  run.expected = expected;
  run.window = BQ_WINDOW (bq_application_open_window (app));
  if (g_getenv ("BQ_BENCH_TRACE"))
    g_printerr ("  %.3f window opened\n", now ());
  g_signal_connect (bq_orders_page_get_rows (bq_window_get_orders_page (run.window)),
                    "items-changed", G_CALLBACK (on_items_changed), &run);
  gtk_widget_realize (GTK_WIDGET (run.window));
  clock = gtk_widget_get_frame_clock (GTK_WIDGET (run.window));
  g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &run);
  tick = g_timeout_add (5, on_tick, &run);

  while (run.orders_frame == 0 && now () - t0 < 120)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  if (run.orders_frame == 0)
    {
      BqOrderList *orders = bq_orders_page_get_orders (bq_window_get_orders_page (run.window));

      g_printerr ("bench-app-startup: after 120 s: first frame %s, %u orders loaded, %u rows\n",
                  run.first_frame > 0 ? "painted" : "not painted",
                  orders != NULL ? g_list_model_get_n_items (G_LIST_MODEL (orders)) : 0,
                  g_list_model_get_n_items (bq_orders_page_get_rows (bq_window_get_orders_page (run.window))));
      die ("the orders never showed", NULL);
    }

  *first_frame = run.first_frame - t0;
  *orders_frame = run.orders_frame - t0;

  g_signal_handlers_disconnect_by_data (clock, &run);
  g_signal_handlers_disconnect_by_data (bq_orders_page_get_rows (bq_window_get_orders_page (run.window)),
                                        &run);
  windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_destroy (l->data);
  g_list_free (windows);
  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (app);
}

int
main (int   argc,
      char *argv[])
{
  guint n_orders = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  guint repeats = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  g_autofree char *dir = g_dir_make_tmp ("bq-bench-app-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  double best_first = G_MAXDOUBLE, best_shown = G_MAXDOUBLE;
  double best_rows = G_MAXDOUBLE, best_entities = G_MAXDOUBLE;
  guint n_rows = 0, n_entities = 0;
  double t;

  g_setenv ("GSETTINGS_SCHEMA_DIR", BQ_SCHEMA_DIR, TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  g_setenv ("NO_AT_BRIDGE", "1", TRUE);
  g_setenv ("GTK_A11Y", "none", TRUE);
  if (n_orders == 0 || repeats == 0)
    {
      g_printerr ("usage: bench-app-startup [N_ORDERS] [REPEATS]\n");
      return 2;
    }
  if (g_getenv ("DISPLAY") == NULL && g_getenv ("WAYLAND_DISPLAY") == NULL)
    {
      g_printerr ("bench-app-startup: no display; run it under xvfb-run\n");
      return 2;
    }

  t = now ();
  build_cache (cache, n_orders);
  g_print ("cache: %u orders, built in %.2f s (%s)\n", n_orders, now () - t, cache);

  for (guint i = 0; i < repeats; i++)
    {
      best_rows = MIN (best_rows, time_sqlite_rows (cache, &n_rows));
      best_entities = MIN (best_entities, time_sqlite_entities (cache, &n_entities));
    }
  if (n_rows != n_orders || n_entities != n_orders)
    g_printerr ("bench-app-startup: expected %u orders, read %u and %u\n",
                n_orders, n_rows, n_entities);

  for (guint i = 0; i < repeats; i++)
    {
      double first, shown;

      time_app (cache, n_orders, &first, &shown);
      g_print ("  run %u: first frame %.0f ms, orders shown %.0f ms\n", i + 1,
               first * 1000, shown * 1000);
      best_first = MIN (best_first, first);
      best_shown = MIN (best_shown, shown);
    }

  g_print ("best of %u, %u orders:\n", repeats, n_orders);
  g_print ("  app, first frame          %8.0f ms\n", best_first * 1000);
  g_print ("  app, orders shown         %8.0f ms\n", best_shown * 1000);
  g_print ("  SQLite, rows (sqlite3_step) %6.0f ms   ratio app/SQLite %.1f\n",
           best_rows * 1000, best_shown / best_rows);
  g_print ("  SQLite, entities (bq_store_list) %.0f ms   ratio app/entities %.1f\n",
           best_entities * 1000, best_shown / best_entities);

  {
    g_autofree char *wal = g_strconcat (cache, "-wal", NULL);
    g_autofree char *shm = g_strconcat (cache, "-shm", NULL);

    g_unlink (cache);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }
  return 0;
}
