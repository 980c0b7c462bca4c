/* bq-cli-route.c — becquerel-cli route and network
 *
 * Same conventions as becquerel-cli.c: exit 0 on success, 2 for a wrong
 * command line, 1 when the command cannot be carried out; on failure one
 * line on stderr and nothing on stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-cli-common.h"
#include "bq-cli-route.h"

#define DAY          G_GINT64_CONSTANT (86400)

/* The product a site makes most often (by runs on its lines), ties by id. */
static BqProduct *
default_product (BqStore     *store,
                 const char  *site_id,
                 GError     **error)
{
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GHashTable) counts = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) site_lines = g_hash_table_new (g_str_hash, g_str_equal);
  const char *best = NULL;
  guint best_count = 0;

  lines = bq_store_list (store, &bq_line_type, error);
  if (lines == NULL)
    return NULL;
  runs = bq_store_list (store, &bq_run_type, error);
  if (runs == NULL)
    return NULL;
  for (guint i = 0; i < lines->len; i++)
    {
      const BqLine *line = g_ptr_array_index (lines, i);

      if (g_strcmp0 (line->site_id, site_id) == 0)
        g_hash_table_add (site_lines, line->base.id);
    }
  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      guint n;

      if (!g_hash_table_contains (site_lines, run->line_id))
        continue;
      n = GPOINTER_TO_UINT (g_hash_table_lookup (counts, run->product_id)) + 1;
      g_hash_table_insert (counts, run->product_id, GUINT_TO_POINTER (n));
      if (n > best_count || (n == best_count && strcmp (run->product_id, best) < 0))
        best = run->product_id, best_count = n;
    }
  if (best == NULL)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND,
                   _("Site “%s” has no runs to take a default product from; give --product"),
                   site_id);
      return NULL;
    }
  return bq_store_get (store, &bq_product_type, best, error);
}

int
bq_cli_route (char **args)
{
  g_autofree char *db = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *after_text = NULL;
  g_autofree char *product_id = NULL;
  g_autofree char *activity_text = NULL;
  g_autofree char *window_text = NULL;
  int max_legs = 0;
  gboolean json = FALSE;
  gboolean geojson = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The database"), N_("FILE") },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from, N_("Site (or hub) id"), N_("SITE") },
    { "to", 0, 0, G_OPTION_ARG_STRING, &to, N_("Centre id"), N_("CENTRE") },
    { "after", 0, 0, G_OPTION_ARG_STRING, &after_text,
      N_("When the dose is ready, e.g. 2026-03-24T10:00Z"), N_("TIME") },
    { "product", 0, 0, G_OPTION_ARG_STRING, &product_id,
      N_("Product id (default: what the site makes most)"), N_("ID") },
    { "activity", 0, 0, G_OPTION_ARG_STRING, &activity_text,
      N_("Activity at departure (default: the product's dose)"), N_("ACTIVITY") },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window_text,
      N_("Consider doses ready up to this long after TIME (default 24h)"), N_("DURATION") },
    { "max-legs", 0, 0, G_OPTION_ARG_INT, &max_legs, N_("At most this many legs (default 6)"),
      N_("N") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { "geojson", 0, 0, G_OPTION_ARG_NONE, &geojson,
      N_("Print the best route as GeoJSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(BqProduct) product = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  BqRouteQuery query;
  gint64 after;
  double activity = NAN, window = 0;
  int status = EXIT_OK;

  if (!bq_cli_parse_options_only ("route",
                                  _("The good routes from a site to a centre for a dose ready after "
                                    "TIME: earliest arrival, latest departure and fewest legs, with "
                                    "local times and the activity left."),
                                  entries, &args, &status))
    return status;
  if (db == NULL || from == NULL || to == NULL || after_text == NULL)
    return bq_cli_fail_usage ("route", _("--db, --from, --to and --after are required"));
  if (json && geojson)
    return bq_cli_fail_usage ("route", _("--json and --geojson exclude each other"));
  if (!bq_units_parse_time (after_text, &after, &error))
    return bq_cli_fail (EXIT_USAGE, "--after: %s", error->message);
  if (activity_text != NULL && !bq_units_parse_activity (activity_text, &activity, &error))
    return bq_cli_fail (EXIT_USAGE, "--activity: %s", error->message);
  if (window_text != NULL && !bq_units_parse_duration (window_text, &window, &error))
    return bq_cli_fail (EXIT_USAGE, "--window: %s", error->message);
  if (max_legs < 0 || max_legs > 16)
    return bq_cli_fail (EXIT_USAGE, _("--max-legs: between 1 and 16"));

  store = bq_cli_open_existing (db, &status);
  if (store == NULL)
    return status;

  if (product_id != NULL)
    product = bq_store_get (store, &bq_product_type, product_id, &error);
  else
    product = default_product (store, from, &error);
  if (product == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  router = bq_router_new_from_store (store, after - DAY, after + 8 * DAY, &error);
  if (router == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  bq_route_query_init (&query);
  query.from_id = from;
  query.to_id = to;
  query.depart_after = after;
  query.window_s = (gint64) window;
  query.max_legs = (guint) max_legs;
  query.product = product;
  query.activity_bq = isnan (activity) ? product->dose_activity_bq : activity;
  routes = bq_router_find_routes (router, &query, &error);
  if (routes == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  if (routes->len == 0)
    return bq_cli_fail (EXIT_FAILED, _("No route from %s reaches %s after %s"), from, to, after_text);

  if (geojson)
    {
      g_autoptr(JsonNode) node = bq_geojson_route (router, g_ptr_array_index (routes, 0));
      bq_cli_print_json_node (node);
    }
  else if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *after_iso = bq_units_format_time (after);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to);
      json_builder_set_member_name (builder, "after");
      json_builder_add_string_value (builder, after_iso);
      json_builder_set_member_name (builder, "product_id");
      json_builder_add_string_value (builder, product->base.id);
      json_builder_set_member_name (builder, "routes");
      json_builder_begin_array (builder);
      for (guint i = 0; i < routes->len; i++)
        json_builder_add_value (builder, bq_route_to_json (g_ptr_array_index (routes, i)));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      bq_cli_print_json_node (root);
    }
  else
    {
      g_print (_("%u routes from %s to %s for %s:\n"), routes->len, from, to, product->name);
      for (guint i = 0; i < routes->len; i++)
        {
          const BqRoute *route = g_ptr_array_index (routes, i);
          g_autofree char *dep = bq_units_format_activity (route->activity_departure_bq,
                                                           BQ_ACTIVITY_UNIT_AUTO);
          g_autofree char *arr = bq_units_format_activity (route->activity_arrival_bq,
                                                           BQ_ACTIVITY_UNIT_AUTO);
          g_autofree char *d2d = bq_units_format_duration ((double) route->door_to_door_s);

          g_print ("\n%u. %s, %u legs, %s door to door; %s at departure, %s at arrival%s%s\n",
                   i + 1, bq_route_reason_to_nick (route->reason), route->legs->len, d2d,
                   dep, arr, route->reason == BQ_ROUTE_OK ? "" : " — ",
                   route->reason == BQ_ROUTE_OK ? "" : route->message);
          for (guint l = 0; l < route->legs->len; l++)
            {
              const BqRouteLeg *leg = g_ptr_array_index (route->legs, l);

              g_print ("   %-14s %s → %s  %s → %s  %s%s%s\n",
                       leg->on_demand ? _("courier") : (leg->service ? leg->service : leg->lane_id),
                       leg->origin_id, leg->destination_id,
                       leg->departure_local, leg->arrival_local, leg->carrier,
                       leg->on_demand ? _(" (on demand)") : "", "");
            }
        }
    }
  return EXIT_OK;
}

int
bq_cli_network (char **args)
{
  g_autofree char *db = NULL;
  gboolean geojson = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The database"), N_("FILE") },
    { "geojson", 0, 0, G_OPTION_ARG_NONE, &geojson,
      N_("Print sites, hubs, centres and lanes as GeoJSON"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(GPtrArray) lanes = NULL;
  const BqEntityType *types[] = { &bq_site_type, &bq_hub_type, &bq_centre_type };
  guint counts[G_N_ELEMENTS (types)];
  int status = EXIT_OK;

  if (!bq_cli_parse_options_only ("network", _("The distribution network: sites, hubs, centres and lanes."),
                                  entries, &args, &status))
    return status;
  if (db == NULL)
    return bq_cli_fail_usage ("network", _("--db is required"));

  store = bq_cli_open_existing (db, &status);
  if (store == NULL)
    return status;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GPtrArray) list = bq_store_list (store, types[i], &error);

      if (list == NULL)
        return bq_cli_fail (EXIT_FAILED, "%s", error->message);
      counts[i] = list->len;
      g_ptr_array_extend_and_steal (places, g_steal_pointer (&list));
    }
  lanes = bq_store_list (store, &bq_lane_type, &error);
  if (lanes == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (geojson)
    {
      g_autoptr(JsonNode) node = bq_geojson_network (places, lanes);
      bq_cli_print_json_node (node);
    }
  else
    {
      guint on_demand = 0;

      for (guint i = 0; i < lanes->len; i++)
        on_demand += ((BqLane *) g_ptr_array_index (lanes, i))->weekdays == 0;
      g_print (_("%u sites, %u hubs, %u centres; %u lanes (%u on demand)\n"),
               counts[0], counts[1], counts[2], lanes->len, on_demand);
    }
  return EXIT_OK;
}
