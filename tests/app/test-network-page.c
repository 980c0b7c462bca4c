/* test-network-page.c — the Network page: the route map and its lists
 *
 * Runs under xvfb-run (see meson.build), always without map tiles
 * ($BECQUEREL_TILE_URL is empty), as on a plane:
 *
 *  - offline: a cache filled with the demo network and no server at all;
 *    the map has a marker per site, hub and centre, a line per lane and
 *    the shipments under way (the late one marked), drawn over the plain
 *    background; a centre chosen on the map lists its routes from every
 *    site with the activity left at arrival; the lane list filters by a
 *    search; +/- zoom.
 *  - online: the app signed in to a becquerel-server; once synced the
 *    page shows exactly the sites, hubs and centres of the cache.
 *  - the tile source keeps what it loaded on disk and serves it again
 *    when the source is gone.
 *
 * With $BQ_SCREENSHOT_DIR set, PNGs of each step are written there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bq-app-test.h"
#include "bq-application.h"
#include "bq-demo.h"
#include "bq-network-page.h"
#include "bq-test-server.h"
#include "bq-window.h"

#define SYNC_TIMEOUT_MS (120 * 1000)
#define DAY (24 * 3600)
/* The demo's "now": the third week's Tuesday 07:00 UTC. */
#define DEMO_NOW (BQ_TEST_DEMO_START + 15 * DAY + 7 * 3600)

/* ---------------------------------------------------------------- helpers */

static gboolean
widget_has_size (gpointer data)
{
  return gtk_widget_get_mapped (data) && gtk_widget_get_width (data) > 0 &&
         gtk_widget_get_height (data) > 0;
}

static void
on_after_paint (GdkFrameClock *clock,
                gpointer       user_data)
{
  *(gboolean *) user_data = TRUE;
}

static gboolean
flag_is_set (gpointer data)
{
  return *(gboolean *) data;
}

/* Waits until @widget's window has painted what changed. */
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

/* Renders @widget as it is on screen now; saved as @name.png when
 * $BQ_SCREENSHOT_DIR is set. */
static GdkTexture *
render (GtkWidget  *widget,
        const char *name)
{
  const char *dir = g_getenv ("BQ_SCREENSHOT_DIR");
  g_autoptr(GskRenderNode) node = NULL;
  GdkTexture *texture;
  int width, height;

  g_assert_true (bq_app_test_run_until (widget_has_size, widget, 10000, 50));
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      g_autoptr(GdkPaintable) paintable = gtk_widget_paintable_new (widget);
      GtkSnapshot *snapshot = gtk_snapshot_new ();

      /* Transitions run a few hundred ms; then the frame with it all. */
      bq_app_test_settle (attempt == 0 ? 400 : 50);
      wait_for_frame (widget);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (snapshot);
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (dir != NULL)
    {
      g_autofree char *path = g_strdup_printf ("%s/%s.png", dir, name);

      g_mkdir_with_parents (dir, 0755);
      g_assert_true (gdk_texture_save_to_png (texture, path));
      g_test_message ("screenshot: %s", path);
    }
  return texture;
}

/* Pixels of @texture within a few steps of #rrggbb. */
static guint
count_colour (GdkTexture *texture,
              guint32     rgb)
{
  int width = gdk_texture_get_width (texture);
  int height = gdk_texture_get_height (texture);
  gsize stride = (gsize) width * 4;
  g_autofree guchar *pixels = g_malloc (stride * height);
  int r = (rgb >> 16) & 0xff, g = (rgb >> 8) & 0xff, b = rgb & 0xff;
  guint n = 0;

  /* B, G, R, A in memory (cairo's ARGB32 on little-endian). */
  gdk_texture_download (texture, pixels, stride);
  for (int y = 0; y < height; y++)
    for (int x = 0; x < width; x++)
      {
        const guchar *p = pixels + y * stride + x * 4;

        if (ABS (p[2] - r) <= 12 && ABS (p[1] - g) <= 12 && ABS (p[0] - b) <= 12)
          n++;
      }
  return n;
}

static guint
store_count (BqStore            *store,
             const BqEntityType *type)
{
  g_autoptr(GPtrArray) all = bq_store_list (store, type, NULL);

  g_assert_nonnull (all);
  return all->len;
}

static gboolean
store_has_late_shipment (BqStore *store)
{
  g_autoptr(GPtrArray) shipments = bq_store_list (store, &bq_shipment_type, NULL);

  for (guint i = 0; shipments != NULL && i < shipments->len; i++)
    if (((BqShipment *) g_ptr_array_index (shipments, i))->status == BQ_SHIPMENT_LATE)
      return TRUE;
  return FALSE;
}

static void
remove_cache (const char *path)
{
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
}

/* ------------------------------------------------------------- the page */

typedef struct {
  BqNetworkPage *page;
  BqStore       *store;
} Shown;

/* The page shows a marker for every site, hub and centre the cache
 * holds (and has read it since the last sync). */
static gboolean
page_shows_cache (gpointer data)
{
  Shown *shown = data;
  BqRouteMap *map = bq_network_page_get_map (shown->page);
  guint sites = store_count (shown->store, &bq_site_type);
  guint hubs = store_count (shown->store, &bq_hub_type);
  guint centres = store_count (shown->store, &bq_centre_type);

  return sites > 0 && centres > 0 &&
         bq_network_page_get_data (shown->page) != NULL &&
         bq_route_map_get_n_place_markers (map, BQ_PLACE_SITE) == sites &&
         bq_route_map_get_n_place_markers (map, BQ_PLACE_HUB) == hubs &&
         bq_route_map_get_n_place_markers (map, BQ_PLACE_CENTRE) == centres;
}

static gboolean
lane_rows_are (gpointer data)
{
  gpointer *args = data;

  return g_list_model_get_n_items (args[0]) == GPOINTER_TO_UINT (args[1]);
}

static guint
matching_lanes (BqNetworkData *data,
                const char    *service)
{
  GPtrArray *lanes = bq_network_data_get_lanes (data);
  guint n = 0;

  for (guint i = 0; i < lanes->len; i++)
    if (g_strcmp0 (((BqLane *) g_ptr_array_index (lanes, i))->service, service) == 0)
      n++;
  return n;
}

/* The lane list narrows to what a search names, and widens again. */
static void
check_lane_search (BqNetworkPage *page,
                   GtkWidget     *window)
{
  BqNetworkData *data = bq_network_page_get_data (page);
  GListModel *rows = bq_network_page_get_lane_rows (page);
  GPtrArray *lanes = bq_network_data_get_lanes (data);
  GtkWidget *entry = NULL;
  const BqLane *flight = NULL;
  guint all = g_list_model_get_n_items (rows);
  gpointer args[2];

  g_assert_cmpuint (all, ==, lanes->len);
  for (guint i = 0; i < lanes->len && flight == NULL; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);

      if (lane->mode == BQ_LANE_FLIGHT && lane->service != NULL)
        flight = lane;
    }
  g_assert_nonnull (flight);

  /* Ctrl+F's action puts the focus in the entry. */
  gtk_widget_activate_action (GTK_WIDGET (page), "network.search", NULL);
  entry = gtk_root_get_focus (GTK_ROOT (window));
  while (entry != NULL && !GTK_IS_SEARCH_ENTRY (entry))
    entry = gtk_widget_get_parent (entry);
  g_assert_nonnull (entry);

  gtk_editable_set_text (GTK_EDITABLE (entry), flight->service);
  args[0] = rows;
  args[1] = GUINT_TO_POINTER (matching_lanes (data, flight->service));
  g_assert_cmpuint (GPOINTER_TO_UINT (args[1]), <, all);
  g_assert_true (bq_app_test_run_until (lane_rows_are, args, 5000, 50));
  for (guint i = 0; i < g_list_model_get_n_items (rows); i++)
    {
      g_autoptr(BqNetworkRow) row = g_list_model_get_item (rows, i);

      g_assert_cmpstr (bq_network_row_get_lane (row)->service, ==, flight->service);
      g_assert_nonnull (strstr (bq_network_row_get_subtitle (row), flight->service));
    }
  render (window, "network-search");

  gtk_editable_set_text (GTK_EDITABLE (entry), "no such lane anywhere");
  args[1] = GUINT_TO_POINTER (0);
  g_assert_true (bq_app_test_run_until (lane_rows_are, args, 5000, 50));
  render (window, "network-search-nothing");

  gtk_editable_set_text (GTK_EDITABLE (entry), "");
  args[1] = GUINT_TO_POINTER (all);
  g_assert_true (bq_app_test_run_until (lane_rows_are, args, 5000, 50));
}

/* A centre clicked on the map lists its routes, each with local times
 * and the activity left at arrival. */
static void
check_centre_routes (BqNetworkPage *page,
                     GtkWidget     *window)
{
  BqNetworkData *data = bq_network_page_get_data (page);
  BqRouteMap *map = bq_network_page_get_map (page);
  const BqNetworkPlace *centre = NULL;
  GPtrArray *routes;
  guint with_activity = 0;

  /* The first centre (by name) that some site reaches. */
  for (guint i = 0; i < bq_network_data_get_n_places (data) && centre == NULL; i++)
    {
      const BqNetworkPlace *place = bq_network_data_get_place (data, i);

      if (place->kind == BQ_PLACE_CENTRE)
        centre = place;
    }
  g_assert_nonnull (centre);
  g_assert_nonnull (bq_route_map_get_place_button (map, centre->id));
  g_assert_cmpstr (gtk_widget_get_tooltip_text (bq_route_map_get_place_button (map, centre->id)),
                   !=, NULL);
  /* A click (gtk_widget_activate() would only click after its press
   * animation). */
  g_signal_emit_by_name (bq_route_map_get_place_button (map, centre->id), "clicked");
  g_assert_cmpstr (bq_network_page_get_centre (page), ==, centre->id);

  routes = bq_network_page_get_routes (page);
  g_assert_nonnull (routes);
  g_assert_cmpuint (routes->len, >, 0);
  for (guint i = 0; i < routes->len; i++)
    {
      const BqRoute *route = g_ptr_array_index (routes, i);
      const BqRouteLeg *first = g_ptr_array_index (route->legs, 0);

      g_assert_cmpstr (route->to_id, ==, centre->id);
      g_assert_cmpint (route->departure, >=, bq_network_data_get_now (data));
      g_assert_cmpint (route->arrival, >, route->departure);
      /* Local times carry their zone. */
      g_assert_nonnull (first->departure_local);
      g_assert_true (g_ascii_isalpha (first->departure_local[strlen (first->departure_local) - 1]) ||
                     strchr (first->departure_local, '+') != NULL);
      if (isfinite (route->activity_arrival_bq))
        {
          g_assert_cmpfloat (route->activity_arrival_bq, >, 0.0);
          g_assert_cmpfloat (route->activity_arrival_bq, <, route->activity_departure_bq);
          with_activity++;
        }
    }
  g_assert_cmpuint (with_activity, ==, routes->len);
  render (window, "network-routes");

  /* Escape (network.back) returns to the lists. */
  gtk_widget_activate_action (GTK_WIDGET (page), "network.back", NULL);
  g_assert_null (bq_network_page_get_centre (page));
  g_assert_null (bq_network_page_get_routes (page));
}

static void
check_zoom (BqNetworkPage *page)
{
  ShumateViewport *viewport = bq_route_map_get_viewport (bq_network_page_get_map (page));
  double before = shumate_viewport_get_zoom_level (viewport);

  gtk_widget_activate_action (GTK_WIDGET (page), "network.zoom-in", NULL);
  bq_app_test_settle (600);
  g_assert_cmpfloat (shumate_viewport_get_zoom_level (viewport), >, before);
  gtk_widget_activate_action (GTK_WIDGET (page), "network.zoom-fit", NULL);
  bq_app_test_settle (100);
  g_assert_cmpfloat (fabs (shumate_viewport_get_zoom_level (viewport) - before), <, 0.01);
}

/* No server, no tiles: a cache filled with the demo network, as a
 * laptop has it after the last sync. */
static void
test_offline (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bq-network-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autoptr(BqClient) client = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  BqDemoOptions options;
  BqNetworkPage *page;
  BqRouteMap *map;
  GtkWidget *window;
  Shown shown;

  {
    g_autoptr(BqStore) store = bq_store_open (cache, &error);

    g_assert_no_error (error);
    bq_demo_options_init_default (&options);
    options.start = BQ_TEST_DEMO_START;
    g_assert_true (bq_demo_generate (store, &options, &error));
    g_assert_no_error (error);
  }
  /* Port 9 (discard): nothing answers. */
  client = bq_client_new ("http://127.0.0.1:9", cache, &error);
  g_assert_no_error (error);

  window = gtk_window_new ();
  gtk_window_set_default_size (GTK_WINDOW (window), 1400, 860);
  page = BQ_NETWORK_PAGE (bq_network_page_new ());
  gtk_window_set_child (GTK_WINDOW (window), GTK_WIDGET (page));
  map = bq_network_page_get_map (page);
  g_assert_null (bq_tile_source_get_url_template (bq_route_map_get_tile_source (map)));

  bq_network_page_set_now (page, DEMO_NOW);
  bq_network_page_set_client (page, client);
  gtk_window_present (GTK_WINDOW (window));

  shown = (Shown) { page, bq_client_get_store (client) };
  g_assert_true (bq_app_test_run_until (page_shows_cache, &shown, 20000, 50));
  g_assert_cmpint (bq_network_data_get_now (bq_network_page_get_data (page)), ==, DEMO_NOW);

  /* Shipments under way at the demo's now, the late one marked. */
  g_assert_cmpuint (bq_route_map_get_n_transit_markers (map), >, 0);
  if (store_has_late_shipment (shown.store))
    g_assert_cmpuint (bq_route_map_get_n_late_transits (map), ==, 1);

  /* Without a tile: the markers and lanes still draw. */
  texture = render (window, "network-offline");
  g_assert_cmpuint (bq_route_map_get_n_lines_drawn (map), >, 0);
  g_assert_cmpuint (bq_tile_source_get_n_loaded (bq_route_map_get_tile_source (map)), ==, 0);
  g_assert_cmpuint (count_colour (texture, 0xc01c28), >, 100);   /* centres */
  g_assert_cmpuint (count_colour (texture, 0x813d9c), >, 50);    /* sites */

  check_centre_routes (page, window);
  check_lane_search (page, window);
  check_zoom (page);

  gtk_window_destroy (GTK_WINDOW (window));
  client = NULL;
  while (g_main_context_iteration (NULL, FALSE))
    ;
  remove_cache (cache);
  g_rmdir (dir);
}

/* ---------------------------------------------------------------- online */

static gboolean
client_is_online (gpointer data)
{
  BqClient *client = bq_application_get_client (data);

  return client != NULL && bq_client_get_state (client) == BQ_CLIENT_STATE_ONLINE &&
         bq_client_get_revision (client) > 0;
}

static void
test_online (void)
{
  g_autoptr(BqTestServer) server = bq_test_server_new_subprocess (NULL);
  g_autofree char *dir = g_dir_make_tmp ("bq-network-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  BqApplication *app = bq_application_new ();
  g_autoptr(GError) error = NULL;
  gboolean signed_in = FALSE;
  BqNetworkPage *page;
  BqWindow *window;
  Shown shown;

  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  bq_application_sign_in_async (app, server->base, "logistics", BQ_TEST_PASSWORD, FALSE, NULL,
                                bq_app_test_on_signed_in, &signed_in);
  g_assert_true (bq_test_run_until (&signed_in, SYNC_TIMEOUT_MS));
  window = BQ_WINDOW (bq_application_open_window (app));
  bq_window_set_page (window, "network");
  g_assert_cmpstr (bq_window_get_page (window), ==, "network");
  page = BQ_NETWORK_PAGE (bq_app_test_find_descendant (GTK_WIDGET (window), BQ_TYPE_NETWORK_PAGE));
  g_assert_nonnull (page);
  bq_network_page_set_now (page, DEMO_NOW);

  g_assert_true (bq_app_test_run_until (client_is_online, app, SYNC_TIMEOUT_MS, 50));
  shown = (Shown) { page, bq_client_get_store (bq_application_get_client (app)) };
  g_assert_true (bq_app_test_run_until (page_shows_cache, &shown, SYNC_TIMEOUT_MS, 50));
  g_assert_cmpuint (bq_network_data_get_n_places (bq_network_page_get_data (page)), ==,
                    store_count (shown.store, &bq_site_type) +
                    store_count (shown.store, &bq_hub_type) +
                    store_count (shown.store, &bq_centre_type));
  g_object_unref (render (GTK_WIDGET (window), "network-online"));
  /* Fitted to the places, even though the cache was empty at first. */
  g_assert_cmpfloat (shumate_viewport_get_zoom_level (bq_route_map_get_viewport (bq_network_page_get_map (page))),
                     >, 1.0);

  /* Ctrl+F on this page searches the network, not the orders. */
  gtk_widget_activate_action (GTK_WIDGET (window), "win.find", NULL);
  g_assert_cmpstr (bq_window_get_page (window), ==, "network");

  gtk_window_destroy (GTK_WINDOW (window));
  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (app);
  remove_cache (cache);
  g_rmdir (dir);
}

/* ------------------------------------------------------------ tile cache */

typedef struct {
  GBytes  *bytes;
  GError  *error;
  gboolean done;
} TileResult;

static void
on_tile (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  TileResult *tile = user_data;

  tile->bytes = shumate_data_source_get_tile_data_finish (SHUMATE_DATA_SOURCE (source), result,
                                                          &tile->error);
  tile->done = TRUE;
}

static GBytes *
get_tile (BqTileSource *source,
          int           x,
          int           y,
          int           z,
          GError      **error)
{
  TileResult tile = { 0 };

  shumate_data_source_get_tile_data_async (SHUMATE_DATA_SOURCE (source), x, y, z, NULL, on_tile,
                                           &tile);
  g_assert_true (bq_test_run_until (&tile.done, 10000));
  if (tile.error != NULL)
    g_propagate_error (error, tile.error);
  return tile.bytes;
}

typedef struct {
  guint  requests;
  char  *user_agent;
} TileServer;

static const char TILE[] = "\x89PNG not really, but bytes all the same";

static void
on_tile_request (SoupServer        *server,
                 SoupServerMessage *message,
                 const char        *path,
                 GHashTable        *query,
                 gpointer           user_data)
{
  TileServer *tiles = user_data;
  const char *agent = soup_message_headers_get_one (soup_server_message_get_request_headers (message),
                                                    "User-Agent");

  tiles->requests++;
  g_free (tiles->user_agent);
  tiles->user_agent = g_strdup (agent);
  if (g_strcmp0 (path, "/3/4/2.png") != 0)
    {
      soup_server_message_set_status (message, SOUP_STATUS_NOT_FOUND, NULL);
      return;
    }
  soup_server_message_set_status (message, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (message, "image/png", SOUP_MEMORY_STATIC, TILE, sizeof TILE);
}

/* A tile seen once stays on disk: with the tile server gone (offline) it
 * still comes, in a later session too. */
static void
test_tile_cache (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bq-tiles-XXXXXX", NULL);
  g_autofree char *cache_dir = g_build_filename (dir, "cache", NULL);
  g_autofree char *template = NULL;
  g_autoptr(SoupServer) server = soup_server_new (NULL, NULL);
  g_autoptr(BqTileSource) source = NULL;
  g_autoptr(BqTileSource) again = NULL;
  g_autoptr(BqTileSource) none = bq_tile_source_new (NULL, NULL);
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) cached = NULL;
  g_autoptr(GError) error = NULL;
  TileServer tiles = { 0 };
  GSList *uris;

  /* No template: every tile fails at once. */
  g_assert_null (get_tile (none, 0, 0, 0, &error));
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED);
  g_clear_error (&error);
  g_assert_cmpuint (bq_tile_source_get_n_failed (none), ==, 1);

  soup_server_add_handler (server, NULL, on_tile_request, &tiles, NULL);
  g_assert_true (soup_server_listen_local (server, 0, SOUP_SERVER_LISTEN_IPV4_ONLY, &error));
  g_assert_no_error (error);
  uris = soup_server_get_uris (server);
  template = g_strdup_printf ("http://127.0.0.1:%d/{z}/{x}/{y}.png", g_uri_get_port (uris->data));
  g_slist_free_full (uris, (GDestroyNotify) g_uri_unref);

  source = bq_tile_source_new (template, cache_dir);
  bytes = get_tile (source, 4, 2, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpmem (g_bytes_get_data (bytes, NULL), g_bytes_get_size (bytes), TILE, sizeof TILE);
  g_assert_cmpuint (bq_tile_source_get_n_loaded (source), ==, 1);
  /* The tile policy of OpenStreetMap: say who is asking. */
  g_assert_true (g_str_has_prefix (tiles.user_agent, "Becquerel/"));
  /* A tile the server does not have: an error, and nothing breaks. */
  g_assert_null (get_tile (source, 5, 2, 3, &error));
  g_assert_nonnull (error);
  g_clear_error (&error);

  /* Offline: the server is gone.  A new session has the tile from the
   * cache; the cache writes in the background, so ask until it is in. */
  soup_server_disconnect (server);
  for (guint attempt = 0; attempt < 50 && cached == NULL; attempt++)
    {
      g_clear_object (&again);
      g_clear_error (&error);
      again = bq_tile_source_new (template, cache_dir);
      cached = get_tile (again, 4, 2, 3, &error);
      if (cached == NULL)
        bq_app_test_settle (100);
    }
  g_assert_no_error (error);
  g_assert_nonnull (cached);
  g_assert_true (g_bytes_equal (cached, bytes));
  g_assert_cmpuint (bq_tile_source_get_n_cached (again), ==, 1);
  g_assert_cmpuint (bq_tile_source_get_n_loaded (again), ==, 0);
  /* And one never seen fails, offline, without a hang. */
  g_assert_null (get_tile (again, 6, 2, 3, &error));
  g_assert_nonnull (error);

  g_free (tiles.user_agent);
  {
    g_autofree char *rm = g_strdup_printf ("rm -rf '%s'", dir);

    g_assert_true (g_spawn_command_line_sync (rm, NULL, NULL, NULL, NULL));
  }
}

int
main (int   argc,
      char *argv[])
{
  g_autofree char *cache_home = g_dir_make_tmp ("bq-network-cache-XXXXXX", NULL);

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  /* As on a plane: no tiles; and nothing written to the user's cache. */
  g_setenv ("BECQUEREL_TILE_URL", "", TRUE);
  g_setenv ("XDG_CACHE_HOME", cache_home, TRUE);
  g_test_init (&argc, &argv, NULL);
  gtk_init ();
  adw_init ();
  /* Screenshots of what is, not of a slide half-way. */
  g_object_set (gtk_settings_get_default (), "gtk-enable-animations", FALSE, NULL);
  {
    /* What BqApplication does for its windows: the style sheet and icons. */
    g_autoptr(GtkCssProvider) css = gtk_css_provider_new ();

    gtk_css_provider_load_from_resource (css, "/org/becquerel/Becquerel/style.css");
    gtk_style_context_add_provider_for_display (gdk_display_get_default (), GTK_STYLE_PROVIDER (css),
                                                GTK_STYLE_PROVIDER_PRIORITY_APPLICATION);
    gtk_icon_theme_add_resource_path (gtk_icon_theme_get_for_display (gdk_display_get_default ()),
                                      "/org/becquerel/Becquerel/icons");
  }

  g_test_add_func ("/network-page/tile-cache", test_tile_cache);
  g_test_add_func ("/network-page/offline-no-tiles", test_offline);
  g_test_add_func ("/network-page/online", test_online);

  {
    int status = g_test_run ();

    g_rmdir (cache_home);
    return status;
  }
}
