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

typedef struct {
  int   status;
  char *out;
  char *err;
} CliResult;

static void
cli_result_free (CliResult *r)
{
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

static CliResult *
run_cli_argv (const char * const *args)
{
  const char *cli = g_getenv ("BECQUEREL_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  CliResult *result = g_new0 (CliResult, 1);
  int wait_status = 0;

  if (cli == NULL)
    g_error ("BECQUEREL_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &result->out, &result->err, &wait_status, &error))
    g_error ("Cannot run %s: %s", cli, error->message);
  if (g_spawn_check_wait_status (wait_status, &error))
    result->status = 0;
  else if (error->domain == G_SPAWN_EXIT_ERROR)
    result->status = error->code;
  else
    g_error ("%s did not exit normally: %s", cli, error->message);
  return result;
}

#define run_cli(...) run_cli_argv ((const char * const []) { __VA_ARGS__, NULL })

static void
assert_success (const CliResult *r)
{
  if (r->status != 0 || r->err[0] != '\0')
    g_error ("expected success: exit %d, stdout «%s», stderr «%s»", r->status, r->out, r->err);
}

static void
assert_failure (const CliResult *r,
                int              status)
{
  const char *nl = strchr (r->err, '\n');

  if (r->status != status || r->out[0] != '\0' || nl == NULL || nl[1] != '\0' ||
      !g_str_has_prefix (r->err, "becquerel-cli: "))
    g_error ("expected failure %d with one line: exit %d, stdout «%s», stderr «%s»",
             status, r->status, r->out, r->err);
}

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
  r = run_cli ("demo", "--out", f->db, "--seed", "7", "--start", "2026-01-07", "--weeks", "3");
  assert_success (r);
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
  g_autoptr(CliResult) r = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
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

  assert_success (r);
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
  g_autoptr(CliResult) r = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                    "--to", "centre-de-muc-tum", "--after", AFTER);

  assert_success (r);
  g_assert_nonnull (strstr (r->out, "routes from site-nl-pet to centre-de-muc-tum"));
  g_assert_nonnull (strstr (r->out, " CET"));
  g_assert_nonnull (strstr (r->out, "GBq at arrival"));
}

static void
test_route_geojson (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(CliResult) r = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                    "--to", "centre-de-muc-tum", "--after", AFTER, "--geojson");
  g_autoptr(JsonNode) node = NULL;

  assert_success (r);
  node = parse (r->out);
  g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "type"), ==,
                   "FeatureCollection");
}

static void
test_network (Fixture       *f,
              gconstpointer  data)
{
  g_autoptr(CliResult) text = run_cli ("network", "--db", f->db);
  g_autoptr(CliResult) r = run_cli ("network", "--db", f->db, "--geojson");
  g_autoptr(JsonNode) node = NULL;
  JsonArray *features;
  guint n_points = 0, n_lines = 0;

  assert_success (text);
  g_assert_nonnull (strstr (text->out, "4 sites, 42 hubs, 60 centres; 179 lanes"));
  assert_success (r);
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
  g_autoptr(CliResult) missing = run_cli ("route", "--db", f->db, "--from", "site-nl-pet");
  g_autoptr(CliResult) bad_time = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                           "--to", "centre-de-muc-tum", "--after", "soon");
  g_autoptr(CliResult) unknown = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                          "--to", "centre-xx", "--after", AFTER);
  g_autoptr(CliResult) no_file = run_cli ("network", "--db", "/nonexistent/x.db");
  g_autoptr(CliResult) both = run_cli ("route", "--db", f->db, "--from", "site-nl-pet",
                                       "--to", "centre-de-muc-tum", "--after", AFTER,
                                       "--json", "--geojson");

  assert_failure (missing, 2);
  assert_failure (bad_time, 2);
  assert_failure (unknown, 1);
  g_assert_nonnull (strstr (unknown->err, "centre-xx"));
  assert_failure (no_file, 1);
  assert_failure (both, 2);
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
