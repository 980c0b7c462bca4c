/* test-cli-route.c — becquerel-cli route and network, run as a process
 *
 * $BECQUEREL_CLI names the binary under test; results are compared with
 * the core router called in-process.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-test-cli.h"

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = json_from_string (text, &error);

  g_assert_no_error (error);
  return node;
}

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliResult) r = NULL;

  f->dir = g_dir_make_tmp ("becquerel-cli-route-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "demo.db", NULL);
  r = bq_test_run_cli ("demo", "--out", f->db, "--seed", "7", "--start", "2026-01-07", "--weeks", "3");
  bq_test_cli_assert_success (r);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_autofree char *wal = g_strconcat (f->db, "-wal", NULL);
  g_autofree char *shm = g_strconcat (f->db, "-shm", NULL);

  g_unlink (wal);
  g_unlink (shm);
  g_unlink (f->db);
  g_rmdir (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

#define AFTER "2026-01-13T10:00:00Z"

static void
test_route_json (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                            "--to", "centre-de-muc-tum", "--after", AFTER, "--json");
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(BqProduct) product = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *o;
  JsonArray *list;
  BqRouteQuery q;
  gint64 after;

  bq_test_cli_assert_success (r);
  node = parse (r->out);
  o = json_node_get_object (node);
  g_assert_cmpstr (json_object_get_string_member (o, "product_id"), ==, "product-lu177-psma");
  list = json_object_get_array_member (o, "routes");
  g_assert_cmpuint (json_array_get_length (list), >, 0);

  /* The same as the core in-process. */
  store = bq_store_open (f->db, &error);
  g_assert_no_error (error);
  g_assert_true (bq_units_parse_time (AFTER, &after, NULL));
  router = bq_router_new_from_store (store, after - 86400, after + 8 * 86400, &error);
  g_assert_no_error (error);
  product = bq_store_get (store, &bq_product_type, "product-lu177-psma", &error);
  g_assert_no_error (error);
  bq_route_query_init (&q);
  q.from_id = "site-nl-pet";
  q.to_id = "centre-de-muc-tum";
  q.depart_after = after;
  q.product = product;
  q.activity_bq = product->dose_activity_bq;
  routes = bq_router_find_routes (router, &q, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (json_array_get_length (list), ==, routes->len);
  for (guint i = 0; i < routes->len; i++)
    {
      g_autoptr(JsonNode) expected = bq_route_to_json (g_ptr_array_index (routes, i));
      g_assert_true (json_node_equal (expected, json_array_get_element (list, i)));
    }
}

static void
test_route_human (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                            "--to", "centre-de-muc-tum", "--after", AFTER);

  bq_test_cli_assert_success (r);
  g_assert_nonnull (strstr (r->out, "routes from site-nl-pet to centre-de-muc-tum"));
  g_assert_nonnull (strstr (r->out, " CET"));
  g_assert_nonnull (strstr (r->out, "GBq at arrival"));
}

static void
test_route_geojson (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                            "--to", "centre-de-muc-tum", "--after", AFTER, "--geojson");
  g_autoptr(JsonNode) node = NULL;

  bq_test_cli_assert_success (r);
  node = parse (r->out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==,
                   "FeatureCollection");
}

static void
test_network (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CliResult) text = bq_test_run_cli ("network", "--db", f->db);
  g_autoptr(CliResult) r = bq_test_run_cli ("network", "--db", f->db, "--geojson");
  g_autoptr(JsonNode) node = NULL;
  JsonArray *features;
  guint n_points = 0, n_lines = 0;

  bq_test_cli_assert_success (text);
  g_assert_nonnull (strstr (text->out, "4 sites, 42 hubs, 60 centres; 179 lanes"));
  bq_test_cli_assert_success (r);
  node = parse (r->out);
  features = json_object_get_array_member (json_node_get_object (node), "features");
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      JsonObject *g = json_object_get_object_member (json_array_get_object_element (features, i),
                                                     "geometry");
      const char *type = json_object_get_string_member (g, "type");

      if (g_str_equal (type, "Point"))
        {
          JsonArray *c = json_object_get_array_member (g, "coordinates");
          double lon = json_array_get_double_element (c, 0);
          double lat = json_array_get_double_element (c, 1);

          g_assert_cmpfloat (lat, >=, -90);
          g_assert_cmpfloat (lat, <=, 90);
          g_assert_cmpfloat (lon, >=, -180);
          g_assert_cmpfloat (lon, <=, 180);
          n_points++;
        }
      else
        {
          g_assert_cmpstr (type, ==, "LineString");
          n_lines++;
        }
    }
  g_assert_cmpuint (n_points, ==, 4 + 42 + 60);
  g_assert_cmpuint (n_lines, ==, 179);
}

static void
test_bad_input (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(CliResult) missing = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet");
  g_autoptr(CliResult) bad_time = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                                   "--to", "centre-de-muc-tum", "--after", "soon");
  g_autoptr(CliResult) unknown = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                                  "--to", "centre-xx", "--after", AFTER);
  g_autoptr(CliResult) no_file = bq_test_run_cli ("network", "--db", "/nonexistent/x.db");
  g_autoptr(CliResult) both = bq_test_run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                               "--to", "centre-de-muc-tum", "--after", AFTER,
                                               "--json", "--geojson");

  bq_test_cli_assert_failure (missing, 2);
  bq_test_cli_assert_failure (bad_time, 2);
  bq_test_cli_assert_failure (unknown, 1);
  g_assert_nonnull (strstr (unknown->err, "centre-xx"));
  bq_test_cli_assert_failure (no_file, 1);
  bq_test_cli_assert_failure (both, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/cli/route/json", Fixture, NULL, fixture_set_up, test_route_json, fixture_tear_down);
  g_test_add ("/cli/route/human", Fixture, NULL, fixture_set_up, test_route_human,
              fixture_tear_down);
  g_test_add ("/cli/route/geojson", Fixture, NULL, fixture_set_up, test_route_geojson,
              fixture_tear_down);
  g_test_add ("/cli/network", Fixture, NULL, fixture_set_up, test_network, fixture_tear_down);
  g_test_add ("/cli/route/bad-input", Fixture, NULL, fixture_set_up, test_bad_input,
              fixture_tear_down);
  return g_test_run ();
}
