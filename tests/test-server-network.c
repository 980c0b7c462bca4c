/* test-server-network.c — routes, the network as GeoJSON, shipment
 * events and re-routing over HTTP
 *
 * A real server on 127.0.0.1 over the test demo plus a small network of
 * our own (the one of test-route.c, on Wednesday 2026-12-02 in Berlin):
 *
 *   site ─road 1 h─▶ AMS ─LH1 07:00 / LH3 11:00─▶ FRA ─LH2 10:00 / LH4 13:00─▶ MUC ─road─▶ centre
 *                                                  └──────────── road 4 h ──────────────────▶ centre
 *
 * One shipment on it, planned road → LH1 → LH2 → road, for an order given
 * 14:00–16:00; the planning clock stands at 08:00.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-core.h"
#include "bq-test-server.h"

#define MINUTE G_GINT64_CONSTANT (60)
#define HOUR   G_GINT64_CONSTANT (3600)
#define ALL_DAYS 127

#define PRODUCT "product-lu177-psma"
#define LINE    "line-nl-pet-1"
#define SHIPMENT "rr-ship"

#define assert_status(response, expected)                                            \
  G_STMT_START {                                                                      \
    if ((response)->status != (expected))                                             \
      g_error ("expected %u, got %u: %.*s", (guint) (expected), (response)->status,   \
               (int) g_bytes_get_size ((response)->body),                             \
               (const char *) g_bytes_get_data ((response)->body, NULL));             \
  } G_STMT_END

#define assert_error(response, expected_status, expected_code)                        \
  G_STMT_START {                                                                      \
    assert_status (response, expected_status);                                        \
    g_assert_cmpstr (bq_test_response_error_code (response), ==, expected_code);      \
  } G_STMT_END

/* 2026-12-02 hh:mm in Berlin (CET, UTC+1). */
static gint64
ber (int h,
     int m)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier ("Europe/Berlin");
  g_autoptr(GDateTime) dt = g_date_time_new (tz, 2026, 12, 2, h, m, 0);

  return g_date_time_to_unix (dt);
}

static char *
ber_text (int h,
          int m)
{
  return bq_units_format_time (ber (h, m));
}

static void
put (BqStore  *store,
     gpointer  entity)
{
  g_autoptr(GError) error = NULL;

  bq_store_put (store, entity, &error);
  g_assert_no_error (error);
  bq_entity_free (entity);
}

static void
add_hub (BqStore    *store,
         const char *id,
         double      latitude,
         double      longitude)
{
  BqHub *hub = bq_hub_new ();

  bq_entity_set_id (hub, id);
  hub->code = g_strdup (id + 3);
  hub->name = g_strdup (id);
  hub->timezone = g_strdup ("Europe/Berlin");
  hub->latitude = latitude;
  hub->longitude = longitude;
  put (store, hub);
}

static void
add_lane (BqStore    *store,
          const char *id,
          const char *from,
          const char *to,
          gint64      weekdays,
          int         departure_minutes,
          gint64      duration_s,
          gint64      handling_s)
{
  BqLane *lane = bq_lane_new ();

  bq_entity_set_id (lane, id);
  lane->mode = weekdays == 0 ? BQ_LANE_GROUND : BQ_LANE_FLIGHT;
  lane->origin_id = g_strdup (from);
  lane->destination_id = g_strdup (to);
  lane->carrier = g_strdup ("Test");
  lane->service = weekdays == 0 ? NULL : g_strdup (id);
  lane->weekdays = weekdays;
  lane->departure_local = departure_minutes;
  lane->duration_s = duration_s;
  lane->handling_s = handling_s;
  lane->class7_accepted = TRUE;
  put (store, lane);
}

static void
add_network (BqStore *store)
{
  BqSite *site = bq_site_new ();
  BqCentre *centre = bq_centre_new ();
  BqSla *sla = bq_sla_new ();
  BqRun *run = bq_run_new ();
  BqShipment *shipment = bq_shipment_new ();
  BqOrder *order = bq_order_new ();
  struct { const char *lane; gint64 dep, arr; } plan[] = {
    { "rr-road-site-ams", ber (3, 30), ber (4, 30) },
    { "rr-LH1", ber (7, 0), ber (8, 0) },
    { "rr-LH2", ber (10, 0), ber (11, 0) },
    { "rr-road-muc-centre", ber (11, 30), ber (12, 15) },
  };

  bq_entity_set_id (site, "rr-site");
  site->name = g_strdup ("Test site");
  site->organisation = g_strdup ("Test CDMO");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  site->latitude = 52.78;
  site->longitude = 4.67;
  put (store, site);
  add_hub (store, "rr-AMS", 52.31, 4.76);
  add_hub (store, "rr-FRA", 50.03, 8.56);
  add_hub (store, "rr-MUC", 48.35, 11.79);
  bq_entity_set_id (centre, "rr-centre");
  centre->name = g_strdup ("Test centre");
  centre->country = g_strdup ("DE");
  centre->region = g_strdup ("europe");
  centre->timezone = g_strdup ("Europe/Berlin");
  centre->latitude = 48.14;
  centre->longitude = 11.60;
  put (store, centre);

  add_lane (store, "rr-road-site-ams", "rr-site", "rr-AMS", 0, 0, HOUR, 30 * MINUTE);
  add_lane (store, "rr-LH1", "rr-AMS", "rr-FRA", ALL_DAYS, 7 * 60, HOUR, 2 * HOUR);
  add_lane (store, "rr-LH3", "rr-AMS", "rr-FRA", ALL_DAYS, 11 * 60, HOUR, 2 * HOUR);
  add_lane (store, "rr-LH2", "rr-FRA", "rr-MUC", ALL_DAYS, 10 * 60, HOUR, HOUR);
  add_lane (store, "rr-LH4", "rr-FRA", "rr-MUC", ALL_DAYS, 13 * 60, HOUR, HOUR);
  add_lane (store, "rr-road-muc-centre", "rr-MUC", "rr-centre", 0, 0, 45 * MINUTE, 30 * MINUTE);
  add_lane (store, "rr-road-fra-centre", "rr-FRA", "rr-centre", 0, 0, 4 * HOUR, 30 * MINUTE);

  bq_entity_set_id (sla, "rr-sla");
  sla->site_id = g_strdup ("rr-site");
  sla->region = g_strdup ("europe");
  sla->max_door_to_door_s = 24 * HOUR;
  sla->min_before_admin_s = 30 * MINUTE;
  put (store, sla);

  /* Ten doses of 8 GBq at the end of synthesis, 04:00. */
  bq_entity_set_id (run, "rr-run");
  run->line_id = g_strdup (LINE);
  run->product_id = g_strdup (PRODUCT);
  run->batch = g_strdup ("RR-0001");
  run->start_time = ber (1, 0);
  run->eos_time = ber (4, 0);
  run->calibration_time = ber (12, 0);
  run->activity_eos_bq = 10 * 8.0e9;
  run->dose_capacity = 10;
  run->status = BQ_RUN_RELEASED;
  put (store, run);

  bq_entity_set_id (shipment, SHIPMENT);
  shipment->run_id = g_strdup ("rr-run");
  shipment->centre_id = g_strdup ("rr-centre");
  shipment->planned_departure = ber (3, 30);
  shipment->planned_arrival = ber (12, 15);
  shipment->status = BQ_SHIPMENT_PLANNED;
  put (store, shipment);
  for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
    {
      BqShipmentLeg *leg = bq_shipment_leg_new ();

      leg->base.id = g_strdup_printf ("rr-leg-%u", i);
      leg->shipment_id = g_strdup (SHIPMENT);
      leg->seq = i;
      leg->lane_id = g_strdup (plan[i].lane);
      leg->planned_departure = plan[i].dep;
      leg->planned_arrival = plan[i].arr;
      leg->status = BQ_LEG_PLANNED;
      put (store, leg);
    }

  bq_entity_set_id (order, "rr-order");
  order->centre_id = g_strdup ("rr-centre");
  order->product_id = g_strdup (PRODUCT);
  order->patient_ref = g_strdup ("PT-RR-1");
  order->prescribed_activity_bq = 7.4e9;
  order->admin_start = ber (14, 0);
  order->admin_end = ber (16, 0);
  order->run_id = g_strdup ("rr-run");
  order->shipment_id = g_strdup (SHIPMENT);
  order->status = BQ_ORDER_CONFIRMED;
  put (store, order);
}

static BqTestServer *
new_server (void)
{
  BqTestServer *ts = bq_test_server_new ();

  add_network (ts->store);
  bq_server_set_fixed_now (ts->server, ber (8, 0));
  return ts;
}

/* The body parsed whatever its media type (GeoJSON is not
 * application/json). */
static JsonObject *
body_object (BqTestResponse *response)
{
  g_autoptr(GError) error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (response->body, &size);
  g_autofree char *text = g_strndup (data, size);

  if (response->json == NULL)
    response->json = json_from_string (text, &error);
  g_assert_no_error (error);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
  return json_node_get_object (response->json);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_array_member (object, name);
}

/* --------------------------------------------------------------- routes */

static void
test_routes (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *viewer = bq_test_server_login (ts, "viewer");
  g_autofree char *after = ber_text (3, 0);
  g_autofree char *admin_start = ber_text (14, 0);
  g_autofree char *admin_end = ber_text (16, 0);
  g_autofree char *path = NULL;
  g_autofree char *geo_path = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(BqTestResponse) geojson = NULL;
  JsonArray *routes, *features;
  JsonObject *best;

  path = g_strdup_printf ("/api/v1/routes?from=rr-site&to=rr-centre&depart_after=%s"
                          "&product=" PRODUCT "&activity=8GBq&admin_start=%s&admin_end=%s"
                          "&window_s=28800", after, admin_start, admin_end);
  response = bq_test_request (ts, "GET", path, viewer, NULL, NULL);
  assert_status (response, SOUP_STATUS_OK);
  routes = member_array (bq_test_response_object (response), "routes");
  g_assert_cmpuint (json_array_get_length (routes), >=, 2);
  best = json_array_get_object_element (routes, 0);
  g_assert_true (json_object_get_boolean_member (best, "feasible"));
  g_assert_cmpstr (json_object_get_string_member (best, "reason"), ==, "ok");
  g_assert_cmpuint (json_array_get_length (member_array (best, "legs")), >=, 3);

  geo_path = g_strconcat (path, "&format=geojson", NULL);
  geojson = bq_test_request (ts, "GET", geo_path, viewer, NULL, NULL);
  assert_status (geojson, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (geojson->headers, NULL),
                                   "application/geo+json"));
  g_assert_cmpstr (json_object_get_string_member (body_object (geojson), "type"),
                   ==, "FeatureCollection");
  features = member_array (body_object (geojson), "features");
  g_assert_cmpuint (json_array_get_length (features), >, 0);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (json_array_get_object_element (features, 0),
                                                    "geometry"), "type"), ==, "LineString");

  /* Bad questions. */
  {
    g_autoptr(BqTestResponse) missing = bq_test_request (ts, "GET", "/api/v1/routes?to=rr-centre",
                                                         viewer, NULL, NULL);
    g_autofree char *unknown_path = g_strdup_printf ("/api/v1/routes?from=nowhere&to=rr-centre"
                                                     "&depart_after=%s", after);
    g_autoptr(BqTestResponse) unknown = bq_test_request (ts, "GET", unknown_path, viewer, NULL,
                                                         NULL);
    g_autofree char *format_path = g_strconcat (path, "&format=kml", NULL);
    g_autoptr(BqTestResponse) format = bq_test_request (ts, "GET", format_path, viewer, NULL,
                                                        NULL);

    assert_error (missing, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field");
    g_assert_cmpstr (bq_test_response_error_field (missing), ==, "from");
    assert_error (unknown, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_place");
    g_assert_cmpstr (bq_test_response_error_field (unknown), ==, "from");
    assert_error (format, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad_enum");
  }
}

static void
test_routes_account_manager (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *manager = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) other = NULL;
  g_autoptr(BqTestResponse) own = NULL;

  /* Not one of theirs. */
  other = bq_test_request (ts, "GET", "/api/v1/routes?from=rr-site&to=rr-centre"
                           "&depart_after=2026-12-02T02:00:00Z", manager, NULL, NULL);
  assert_error (other, SOUP_STATUS_FORBIDDEN, "forbidden");
  g_assert_cmpstr (bq_test_response_error_field (other), ==, "to");

  own = bq_test_request (ts, "GET", "/api/v1/routes?from=site-nl-pet&to=centre-de-muc-tum"
                         "&depart_after=2026-12-02T08:00:00Z&product=" PRODUCT, manager, NULL,
                         NULL);
  assert_status (own, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (member_array (bq_test_response_object (own),
                                                         "routes")), >, 0);
}

static void
test_network (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *manager = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *features;
  guint n_points = 0, n_lines = 0;
  gint64 n_places, n_lanes;

  n_places = bq_store_count (ts->store, &bq_site_type, &error) +
             bq_store_count (ts->store, &bq_hub_type, &error) +
             bq_store_count (ts->store, &bq_centre_type, &error);
  n_lanes = bq_store_count (ts->store, &bq_lane_type, &error);
  g_assert_no_error (error);

  response = bq_test_request (ts, "GET", "/api/v1/network.geojson", manager, NULL, NULL);
  assert_status (response, SOUP_STATUS_OK);
  g_assert_true (g_str_has_prefix (soup_message_headers_get_content_type (response->headers, NULL),
                                   "application/geo+json"));
  features = member_array (body_object (response), "features");
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      JsonObject *geometry = json_object_get_object_member (
        json_array_get_object_element (features, i), "geometry");
      const char *type = json_object_get_string_member (geometry, "type");

      if (g_strcmp0 (type, "Point") == 0)
        n_points++;
      else if (g_strcmp0 (type, "LineString") == 0)
        n_lines++;
    }
  g_assert_cmpint (n_points, ==, n_places);
  g_assert_cmpint (n_lines, <=, n_lanes);
  g_assert_cmpint (n_lines, >, 0);
}

/* ------------------------------------------------------------- re-routing */

static BqTestResponse *
report (BqTestServer *ts,
        const char   *token,
        const char   *leg,
        const char   *kind,
        int           eta_h,
        int           eta_m)
{
  g_autofree char *eta = eta_h >= 0 ? ber_text (eta_h, eta_m) : NULL;
  g_autofree char *body = NULL;

  if (eta != NULL)
    body = g_strdup_printf ("{\"leg_id\":\"%s\",\"kind\":\"%s\",\"eta\":\"%s\"}", leg, kind, eta);
  else
    body = g_strdup_printf ("{\"leg_id\":\"%s\",\"kind\":\"%s\"}", leg, kind);
  return bq_test_request (ts, "POST", "/api/v1/shipments/" SHIPMENT "/events", token, body, NULL);
}

/* LH1 lands at 09:30: LH2 is gone, the courier from FRA still makes it. */
static void
test_late_proposal_accepted (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *logistics = bq_test_server_login (ts, "logistics");
  g_autofree char *admin = bq_test_server_login (ts, "admin");
  g_autoptr(BqTestResponse) late = NULL;
  g_autoptr(BqTestResponse) listed = NULL;
  g_autoptr(BqTestResponse) accepted = NULL;
  g_autoptr(BqTestResponse) again = NULL;
  g_autoptr(BqTestResponse) changes = NULL;
  g_autoptr(BqTestResponse) audit = NULL;
  g_autoptr(BqTestResponse) stale = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  g_autoptr(BqQuery) query = NULL;
  g_autofree char *accept_path = NULL;
  g_autofree char *changes_path = NULL;
  JsonObject *object, *proposal, *route, *first_leg;
  JsonArray *feed, *entries;
  gint64 revision, arrival, administration;
  gboolean saw_deleted = FALSE, saw_created = FALSE, saw_accept = FALSE;
  const char *proposal_id;

  revision = bq_store_get_revision (ts->store);
  late = report (ts, logistics, "rr-leg-1", "late", 9, 30);
  assert_status (late, SOUP_STATUS_OK);
  object = bq_test_response_object (late);
  g_assert_cmpstr (json_object_get_string_member (object, "outcome"), ==, "proposal");
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (object, "leg"), "status"), ==, "late");
  proposal = json_object_get_object_member (object, "proposal");
  g_assert_nonnull (proposal);
  g_assert_cmpstr (json_object_get_string_member (proposal, "status"), ==, "proposed");
  g_assert_cmpint (json_object_get_int_member (proposal, "from_seq"), ==, 2);
  proposal_id = json_object_get_string_member (proposal, "id");

  /* The new way still meets the administration window. */
  route = json_object_get_object_member (json_object_get_object_member (proposal, "reroute"),
                                         "route");
  g_assert_true (json_object_get_boolean_member (route, "feasible"));
  g_assert_true (bq_units_parse_time (json_object_get_string_member (route, "arrival"), &arrival,
                                      NULL));
  g_assert_true (bq_units_parse_time (json_object_get_string_member (route, "administration"),
                                      &administration, NULL));
  g_assert_cmpint (arrival, <=, ber (16, 0) - 30 * MINUTE);
  g_assert_cmpint (administration, >=, ber (14, 0));
  g_assert_cmpint (administration, <=, ber (16, 0));
  first_leg = json_array_get_object_element (member_array (route, "legs"), 0);
  g_assert_cmpstr (json_object_get_string_member (first_leg, "origin_id"), ==, "rr-FRA");

  /* It is kept with the shipment. */
  listed = bq_test_request (ts, "GET", "/api/v1/shipments/" SHIPMENT "/reroute", logistics,
                            NULL, NULL);
  assert_status (listed, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (member_array (bq_test_response_object (listed),
                                                         "items")), ==, 1);

  /* Accepting it replaces the legs after LH1. */
  accept_path = g_strdup_printf ("/api/v1/shipments/" SHIPMENT "/reroute/%s/accept", proposal_id);
  accepted = bq_test_request (ts, "POST", accept_path, logistics, NULL,
                              "Idempotency-Key", "accept-1", NULL);
  assert_status (accepted, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (
                     json_object_get_object_member (bq_test_response_object (accepted),
                                                    "proposal"), "status"), ==, "accepted");

  query = bq_query_new (&bq_shipment_leg_type);
  bq_query_where_equals (query, "shipment_id", SHIPMENT);
  bq_query_order_by (query, "seq", FALSE);
  legs = bq_store_query (ts->store, query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (legs->len, ==, 2 + json_array_get_length (member_array (route, "legs")));
  g_assert_cmpstr (((BqShipmentLeg *) g_ptr_array_index (legs, 0))->lane_id, ==,
                   "rr-road-site-ams");
  g_assert_cmpstr (((BqShipmentLeg *) g_ptr_array_index (legs, 1))->lane_id, ==, "rr-LH1");
  for (guint i = 2; i < legs->len; i++)
    {
      const BqShipmentLeg *leg = g_ptr_array_index (legs, i);

      g_assert_cmpint (leg->seq, ==, i);
      g_assert_cmpint (leg->status, ==, BQ_LEG_PLANNED);
      g_assert_cmpint (leg->planned_departure, >=, ber (9, 30));
    }
  g_assert_cmpstr (((BqShipmentLeg *) g_ptr_array_index (legs, 2))->lane_id, ==,
                   json_object_get_string_member (first_leg, "lane_id"));

  /* A decided proposal stays decided. */
  again = bq_test_request (ts, "POST", accept_path, logistics, NULL, NULL);
  assert_error (again, SOUP_STATUS_CONFLICT, "proposal_closed");

  /* The change feed has the old legs gone and the new ones. */
  changes_path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, revision);
  changes = bq_test_request (ts, "GET", changes_path, logistics, NULL, NULL);
  assert_status (changes, SOUP_STATUS_OK);
  feed = member_array (bq_test_response_object (changes), "changes");
  for (guint i = 0; i < json_array_get_length (feed); i++)
    {
      JsonObject *change = json_array_get_object_element (feed, i);

      if (g_strcmp0 (json_object_get_string_member (change, "id"), "rr-leg-2") == 0)
        saw_deleted |= json_object_get_boolean_member (change, "deleted");
      if (g_str_has_prefix (json_object_get_string_member (change, "id"), SHIPMENT "-rr"))
        saw_created = TRUE;
    }
  g_assert_true (saw_deleted);
  g_assert_true (saw_created);

  audit = bq_test_request (ts, "GET", "/api/v1/audit?limit=1000", admin, NULL, NULL);
  assert_status (audit, SOUP_STATUS_OK);
  entries = member_array (bq_test_response_object (audit), "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    saw_accept |= g_strcmp0 (json_object_get_string_member (json_array_get_object_element (entries, i),
                                                            "action"), "accept_reroute") == 0;
  g_assert_true (saw_accept);

  /* Later still (12:00) the courier from FRA is too slow, LH4 is not;
   * a proposal made before a newer event is superseded by it. */
  {
    g_autoptr(BqTestResponse) later = report (ts, logistics, "rr-leg-1", "late", 12, 0);
    g_autoptr(BqTestResponse) newer = NULL;
    g_autofree char *first_path = NULL;
    const char *first_id;

    assert_status (later, SOUP_STATUS_OK);
    first_id = json_object_get_string_member (
      json_object_get_object_member (bq_test_response_object (later), "proposal"), "id");
    first_path = g_strdup_printf ("/api/v1/shipments/" SHIPMENT "/reroute/%s/accept", first_id);
    newer = report (ts, logistics, "rr-leg-1", "late", 12, 0);
    assert_status (newer, SOUP_STATUS_OK);
    stale = bq_test_request (ts, "POST", first_path, logistics, NULL, NULL);
    assert_error (stale, SOUP_STATUS_CONFLICT, "proposal_closed");
  }
}

/* LH1 lands at 12:01: nothing reaches the centre by 15:30 any more. */
static void
test_late_cannot_be_saved (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *logistics = bq_test_server_login (ts, "logistics");
  g_autoptr(BqTestResponse) late = NULL;
  g_autoptr(BqTestResponse) listed = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqShipment) shipment = NULL;
  JsonObject *object;

  late = report (ts, logistics, "rr-leg-1", "late", 12, 1);
  assert_status (late, SOUP_STATUS_OK);
  object = bq_test_response_object (late);
  g_assert_cmpstr (json_object_get_string_member (object, "outcome"), ==, "cannot_be_saved");
  g_assert_cmpstr (json_object_get_string_member (object, "reason"), ==, "too_late");
  g_assert_nonnull (strstr (json_object_get_string_member (object, "message"), "cannot be saved"));
  g_assert_true (json_node_is_null (json_object_get_member (object, "proposal")));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object,
                                                                                 "shipment"),
                                                  "status"), ==, "late");

  shipment = bq_store_get (ts->store, &bq_shipment_type, SHIPMENT, &error);
  g_assert_no_error (error);
  g_assert_cmpint (shipment->status, ==, BQ_SHIPMENT_LATE);
  listed = bq_test_request (ts, "GET", "/api/v1/shipments/" SHIPMENT "/reroute", logistics,
                            NULL, NULL);
  assert_status (listed, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (member_array (bq_test_response_object (listed),
                                                         "items")), ==, 0);
}

/* LH1 cancelled at 08:00 with the dose at AMS: LH3 then LH4. */
static void
test_cancelled_and_departed (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *logistics = bq_test_server_login (ts, "logistics");
  g_autoptr(BqTestResponse) departed = NULL;
  g_autoptr(BqTestResponse) cancelled = NULL;
  g_autoptr(BqTestResponse) accepted = NULL;
  g_autoptr(BqTestResponse) bad = NULL;
  g_autoptr(BqTestResponse) missing_eta = NULL;
  g_autofree char *accept_path = NULL;
  JsonObject *object, *proposal;

  departed = report (ts, logistics, "rr-leg-0", "departed", -1, 0);
  assert_status (departed, SOUP_STATUS_OK);
  object = bq_test_response_object (departed);
  g_assert_true (json_node_is_null (json_object_get_member (object, "outcome")));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object,
                                                                                 "shipment"),
                                                  "status"), ==, "in_transit");

  cancelled = report (ts, logistics, "rr-leg-1", "cancelled", -1, 0);
  assert_status (cancelled, SOUP_STATUS_OK);
  object = bq_test_response_object (cancelled);
  g_assert_cmpstr (json_object_get_string_member (object, "outcome"), ==, "proposal");
  proposal = json_object_get_object_member (object, "proposal");
  g_assert_cmpint (json_object_get_int_member (proposal, "from_seq"), ==, 1);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (
                       member_array (json_object_get_object_member (
                                       json_object_get_object_member (proposal, "reroute"),
                                       "route"), "legs"), 0), "lane_id"), ==, "rr-LH3");

  accept_path = g_strdup_printf ("/api/v1/shipments/" SHIPMENT "/reroute/%s/accept",
                                 json_object_get_string_member (proposal, "id"));
  accepted = bq_test_request (ts, "POST", accept_path, logistics, NULL, NULL);
  assert_status (accepted, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (
                     json_array_get_object_element (
                       member_array (bq_test_response_object (accepted), "legs"), 1),
                     "lane_id"), ==, "rr-LH3");

  bad = report (ts, logistics, "no-such-leg", "late", 9, 0);
  assert_error (bad, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid");
  g_assert_cmpstr (bq_test_response_error_field (bad), ==, "leg_id");
  missing_eta = report (ts, logistics, "rr-leg-0", "late", -1, 0);
  assert_error (missing_eta, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field");
  g_assert_cmpstr (bq_test_response_error_field (missing_eta), ==, "eta");
}

static void
test_event_roles (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  static const char * const refused[] = { "planner", "qa", "viewer", "am-europe" };
  g_autofree char *manager = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) hidden = NULL;
  gint64 revision = bq_store_get_revision (ts->store);

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *token = bq_test_server_login (ts, refused[i]);
      g_autoptr(BqTestResponse) no = report (ts, token, "rr-leg-1", "late", 9, 30);
      g_autoptr(BqTestResponse) accept = NULL;

      assert_error (no, SOUP_STATUS_FORBIDDEN, "forbidden");
      accept = bq_test_request (ts, "POST", "/api/v1/shipments/" SHIPMENT "/reroute/x/accept",
                                token, NULL, NULL);
      assert_error (accept, SOUP_STATUS_FORBIDDEN, "forbidden");
    }
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);

  /* Another centre's shipment does not exist for an account manager. */
  hidden = bq_test_request (ts, "GET", "/api/v1/shipments/" SHIPMENT "/reroute", manager, NULL,
                            NULL);
  assert_error (hidden, SOUP_STATUS_NOT_FOUND, "not_found");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-network/routes/json-and-geojson", test_routes);
  g_test_add_func ("/server-network/routes/account-manager", test_routes_account_manager);
  g_test_add_func ("/server-network/network-geojson", test_network);
  g_test_add_func ("/server-network/reroute/late-proposal-accepted", test_late_proposal_accepted);
  g_test_add_func ("/server-network/reroute/late-cannot-be-saved", test_late_cannot_be_saved);
  g_test_add_func ("/server-network/reroute/cancelled-and-departed", test_cancelled_and_departed);
  g_test_add_func ("/server-network/reroute/roles", test_event_roles);
  return g_test_run ();
}
