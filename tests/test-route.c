/* test-route.c — timetable expansion, the connection scan, good routes,
 * re-routing and GeoJSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-core.h"

#define MINUTE G_GINT64_CONSTANT (60)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define ALL_DAYS 0x7f

/* ------------------------------------------------------------- helpers */

static gint64
local (const char *tz_id,
       int         year,
       int         month,
       int         day,
       int         hour,
       int         minute)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (tz_id);
  g_autoptr(GDateTime) dt = g_date_time_new (tz, year, month, day, hour, minute, 0);

  return g_date_time_to_unix (dt);
}

static gint64
utc (int year, int month, int day, int hour, int minute)
{
  return local ("UTC", year, month, day, hour, minute);
}

typedef struct {
  GPtrArray *places;
  GPtrArray *lanes;
  GPtrArray *slas;
  GPtrArray *legs;
} Net;

static Net *
net_new (void)
{
  Net *net = g_new0 (Net, 1);

  net->places = g_ptr_array_new_with_free_func (bq_entity_free);
  net->lanes = g_ptr_array_new_with_free_func (bq_entity_free);
  net->slas = g_ptr_array_new_with_free_func (bq_entity_free);
  net->legs = g_ptr_array_new_with_free_func (bq_entity_free);
  return net;
}

static void
net_free (Net *net)
{
  g_ptr_array_unref (net->places);
  g_ptr_array_unref (net->lanes);
  g_ptr_array_unref (net->slas);
  g_ptr_array_unref (net->legs);
  g_free (net);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Net, net_free)

static void
add_hub (Net        *net,
         const char *id,
         const char *tz,
         double      lat,
         double      lon)
{
  BqHub *hub = bq_hub_new ();

  bq_entity_set_id (hub, id);
  hub->code = g_strdup (id);
  hub->name = g_strdup (id);
  hub->timezone = g_strdup (tz);
  hub->latitude = lat;
  hub->longitude = lon;
  g_ptr_array_add (net->places, hub);
}

static void
add_site (Net        *net,
          const char *id,
          const char *tz,
          double      lat,
          double      lon)
{
  BqSite *site = bq_site_new ();

  bq_entity_set_id (site, id);
  site->name = g_strdup (id);
  site->organisation = g_strdup ("Test CDMO");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup (tz);
  site->latitude = lat;
  site->longitude = lon;
  g_ptr_array_add (net->places, site);
}

static void
add_centre (Net        *net,
            const char *id,
            const char *tz,
            double      lat,
            double      lon)
{
  BqCentre *centre = bq_centre_new ();

  bq_entity_set_id (centre, id);
  centre->name = g_strdup (id);
  centre->country = g_strdup ("DE");
  centre->region = g_strdup ("europe");
  centre->timezone = g_strdup (tz);
  centre->latitude = lat;
  centre->longitude = lon;
  g_ptr_array_add (net->places, centre);
}

static BqLane *
add_lane (Net        *net,
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
  g_ptr_array_add (net->lanes, lane);
  return lane;
}

static BqRouter *
net_router (Net    *net,
            gint64  start,
            gint64  end)
{
  g_autoptr(GError) error = NULL;
  BqRouter *router = bq_router_new (net->places, net->lanes, net->slas, net->legs,
                                    start, end, &error);

  g_assert_no_error (error);
  g_assert_nonnull (router);
  return router;
}

static gint64
ea (BqRouter   *router,
    const char *from,
    const char *to,
    gint64      after)
{
  int f = bq_router_lookup_place (router, from);
  int t = bq_router_lookup_place (router, to);

  g_assert_cmpint (f, >=, 0);
  g_assert_cmpint (t, >=, 0);
  return bq_router_earliest_arrival (router, f, t, after, 0);
}

/* ----------------------------------------------------- hand-built tables */

static void
test_overnight (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  gint64 dep = local ("Europe/Berlin", 2026, 6, 10, 22, 30);

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Asia/Shanghai", 31, 121);
  add_lane (net, "night", "A", "B", ALL_DAYS, 22 * 60 + 30, 10 * HOUR, HOUR);
  router = net_router (net, utc (2026, 6, 8, 0, 0), utc (2026, 6, 15, 0, 0));

  /* Ready at 21:30 local: just in time for tonight's flight. */
  g_assert_cmpint (ea (router, "A", "B", dep - HOUR), ==, dep + 10 * HOUR);
  /* A second later: tomorrow night's. */
  g_assert_cmpint (ea (router, "A", "B", dep - HOUR + 1), ==, dep + DAY + 10 * HOUR);

  {
    BqRouteQuery q;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GError) error = NULL;
    const BqRouteLeg *leg;

    bq_route_query_init (&q);
    q.from_id = "A";
    q.to_id = "B";
    q.depart_after = dep - 3 * HOUR;
    q.window_s = HOUR;
    routes = bq_router_find_routes (router, &q, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (routes->len, ==, 1);
    leg = g_ptr_array_index (((BqRoute *) g_ptr_array_index (routes, 0))->legs, 0);
    g_assert_cmpstr (leg->departure_local, ==, "2026-06-10 22:30 CEST");
    /* 20:30 UTC + 10 h = 06:30 UTC = 14:30 in Shanghai, the next day. */
    g_assert_cmpstr (leg->arrival_local, ==, "2026-06-11 14:30 CST");
  }
}

static void
test_dst (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(GHashTable) departures = g_hash_table_new (g_int64_hash, g_int64_equal);
  static gint64 expected[] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
  guint n_expected = 0;
  guint n;

  add_hub (net, "BER", "Europe/Berlin", 52.4, 13.5);
  add_hub (net, "FRA", "Europe/Berlin", 50.0, 8.6);
  add_lane (net, "early", "BER", "FRA", ALL_DAYS, 2 * 60 + 30, HOUR, 0);
  add_lane (net, "ten", "BER", "FRA", ALL_DAYS, 10 * 60, HOUR, 0);

  /* Spring: 2026-03-29 has no 02:30 in Berlin (02:00 CET → 03:00 CEST). */
  router = net_router (net, utc (2026, 3, 28, 0, 0), utc (2026, 3, 31, 0, 0));
  expected[n_expected++] = utc (2026, 3, 28, 1, 30);   /* 02:30 CET */
  expected[n_expected++] = utc (2026, 3, 28, 9, 0);    /* 10:00 CET */
  expected[n_expected++] = utc (2026, 3, 29, 1, 30);   /* 02:30 → 03:30 CEST */
  expected[n_expected++] = utc (2026, 3, 29, 8, 0);    /* 10:00 CEST */
  expected[n_expected++] = utc (2026, 3, 30, 0, 30);   /* 02:30 CEST */
  expected[n_expected++] = utc (2026, 3, 30, 8, 0);
  n = bq_router_get_n_connections (router);
  g_assert_cmpuint (n, ==, n_expected);
  for (guint i = 0; i < n; i++)
    {
      BqConnection c;

      bq_router_get_connection (router, i, &c);
      g_assert_cmpint (c.departure, ==, expected[i]);
      g_assert_cmpint (c.arrival, ==, expected[i] + HOUR);
      if (i > 0)
        {
          BqConnection prev;
          bq_router_get_connection (router, i - 1, &prev);
          g_assert_cmpint (prev.ready_by, <=, c.ready_by);
        }
    }
  g_clear_object (&router);

  /* Autumn: 2026-10-25 has 02:30 twice; the first (CEST) one is taken. */
  router = net_router (net, utc (2026, 10, 24, 0, 0), utc (2026, 10, 27, 0, 0));
  n_expected = 0;
  expected[n_expected++] = utc (2026, 10, 24, 0, 30);  /* 02:30 CEST */
  expected[n_expected++] = utc (2026, 10, 24, 8, 0);   /* 10:00 CEST */
  expected[n_expected++] = utc (2026, 10, 25, 0, 30);  /* the first 02:30 */
  expected[n_expected++] = utc (2026, 10, 25, 9, 0);   /* 10:00 CET */
  expected[n_expected++] = utc (2026, 10, 26, 1, 30);  /* 02:30 CET */
  expected[n_expected++] = utc (2026, 10, 26, 9, 0);
  n = bq_router_get_n_connections (router);
  g_assert_cmpuint (n, ==, n_expected);
  for (guint i = 0; i < n; i++)
    {
      BqConnection c;

      bq_router_get_connection (router, i, &c);
      g_assert_cmpint (c.departure, ==, expected[i]);
    }

  /* Across the change: ready on Saturday evening, the Sunday 10:00 flight. */
  g_assert_cmpint (ea (router, "BER", "FRA", utc (2026, 10, 25, 1, 0)), ==,
                   utc (2026, 10, 25, 10, 0));
}

static void
test_just_misses (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  gint64 d = local ("Europe/Berlin", 2026, 6, 10, 0, 0);

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Europe/Berlin", 51, 9);
  add_hub (net, "C", "Europe/Berlin", 52, 10);
  add_hub (net, "D", "Europe/Berlin", 53, 11);
  /* A→B arrives 10:00; B→C leaves 11:00 with an hour's connection time. */
  add_lane (net, "ab", "A", "B", ALL_DAYS, 8 * 60, 2 * HOUR, 0);
  add_lane (net, "bc", "B", "C", ALL_DAYS, 11 * 60, HOUR, HOUR);
  /* A→D arrives 10:01: misses D→C by a minute. */
  add_lane (net, "ad", "A", "D", ALL_DAYS, 8 * 60, 2 * HOUR + MINUTE, 0);
  add_lane (net, "dc", "D", "C", ALL_DAYS, 11 * 60, HOUR, HOUR);
  router = net_router (net, d - DAY, d + 4 * DAY);

  g_assert_cmpint (ea (router, "A", "C", d + 7 * HOUR), ==, d + 12 * HOUR);
  g_assert_cmpint (ea (router, "A", "D", d + 7 * HOUR), ==, d + 10 * HOUR + MINUTE);
  {
    /* Only through D: then tomorrow. */
    g_autoptr(Net) net2 = net_new ();
    g_autoptr(BqRouter) r2 = NULL;

    add_hub (net2, "A", "Europe/Berlin", 50, 8);
    add_hub (net2, "C", "Europe/Berlin", 52, 10);
    add_hub (net2, "D", "Europe/Berlin", 53, 11);
    add_lane (net2, "ad", "A", "D", ALL_DAYS, 8 * 60, 2 * HOUR + MINUTE, 0);
    add_lane (net2, "dc", "D", "C", ALL_DAYS, 11 * 60, HOUR, HOUR);
    r2 = net_router (net2, d - DAY, d + 4 * DAY);
    g_assert_cmpint (ea (r2, "A", "C", d + 7 * HOUR), ==, d + DAY + 12 * HOUR);
  }
}

static void
test_cancelled (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(BqRouter) before = NULL;
  gint64 d = local ("Europe/Berlin", 2026, 6, 10, 0, 0);
  BqShipmentLeg *leg = bq_shipment_leg_new ();
  BqShipmentLeg *late = bq_shipment_leg_new ();

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Europe/Berlin", 51, 9);
  add_lane (net, "ab", "A", "B", ALL_DAYS, 8 * 60, 2 * HOUR, 0);
  before = net_router (net, d - DAY, d + 4 * DAY);

  bq_entity_set_id (leg, "leg-1");
  leg->shipment_id = g_strdup ("s-1");
  leg->lane_id = g_strdup ("ab");
  leg->planned_departure = d + 8 * HOUR;
  leg->planned_arrival = d + 10 * HOUR;
  leg->status = BQ_LEG_CANCELLED;
  g_ptr_array_add (net->legs, leg);
  /* Tomorrow's is late: two hours. */
  bq_entity_set_id (late, "leg-2");
  late->shipment_id = g_strdup ("s-2");
  late->lane_id = g_strdup ("ab");
  late->planned_departure = d + DAY + 8 * HOUR;
  late->planned_arrival = d + DAY + 10 * HOUR;
  late->actual_arrival = d + DAY + 12 * HOUR;
  late->status = BQ_LEG_LATE;
  g_ptr_array_add (net->legs, late);
  router = net_router (net, d - DAY, d + 4 * DAY);

  g_assert_cmpuint (bq_router_get_n_connections (router), ==,
                    bq_router_get_n_connections (before) - 1);
  g_assert_cmpint (ea (before, "A", "B", d), ==, d + 10 * HOUR);
  g_assert_cmpint (ea (router, "A", "B", d), ==, d + DAY + 12 * HOUR);
}

static void
test_on_demand (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  gint64 d = local ("Europe/Berlin", 2026, 6, 10, 0, 0);
  BqLane *late_courier;

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Europe/Berlin", 51, 9);
  add_hub (net, "C", "Europe/Berlin", 52, 10);
  add_hub (net, "D", "Europe/Berlin", 53, 11);
  add_lane (net, "ab", "A", "B", 0, 0, 2 * HOUR, 30 * MINUTE);
  add_lane (net, "bc", "B", "C", 0, 0, HOUR, 15 * MINUTE);
  late_courier = add_lane (net, "cd", "C", "D", 0, 0, HOUR, 0);
  late_courier->valid_from = d + DAY;
  router = net_router (net, d - DAY, d + 4 * DAY);

  g_assert_cmpuint (bq_router_get_n_connections (router), ==, 0);
  g_assert_cmpuint (bq_router_get_n_footpaths (router), ==, 3);
  /* Any time, chained. */
  g_assert_cmpint (ea (router, "A", "B", d + 3 * HOUR + 7), ==, d + 5 * HOUR + 30 * MINUTE + 7);
  g_assert_cmpint (ea (router, "A", "C", d + 3 * HOUR), ==, d + 6 * HOUR + 45 * MINUTE);
  /* Not before its validity: it waits for it. */
  g_assert_cmpint (ea (router, "A", "D", d + 3 * HOUR), ==, d + DAY + HOUR);

  {
    BqRouteQuery q;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(GError) error = NULL;
    const BqRoute *route;

    bq_route_query_init (&q);
    q.from_id = "A";
    q.to_id = "C";
    q.depart_after = d + 3 * HOUR;
    q.window_s = 2 * HOUR;
    routes = bq_router_find_routes (router, &q, &error);
    g_assert_no_error (error);
    /* Couriers alone can leave any second: one route, leaving at once. */
    g_assert_cmpuint (routes->len, ==, 1);
    route = g_ptr_array_index (routes, 0);
    g_assert_cmpuint (route->legs->len, ==, 2);
    g_assert_cmpint (route->ready, ==, d + 3 * HOUR);
    g_assert_cmpint (route->departure, ==, d + 3 * HOUR + 30 * MINUTE);
    g_assert_cmpint (route->arrival, ==, d + 6 * HOUR + 45 * MINUTE);
    g_assert_true (((BqRouteLeg *) g_ptr_array_index (route->legs, 0))->on_demand);
  }
}

static void
test_class7 (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  gint64 d = local ("Europe/Berlin", 2026, 6, 10, 0, 0);
  BqLane *refuses;

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Europe/Berlin", 51, 9);
  refuses = add_lane (net, "fast", "A", "B", ALL_DAYS, 8 * 60, HOUR, 0);
  refuses->class7_accepted = FALSE;
  add_lane (net, "slow", "A", "B", ALL_DAYS, 8 * 60, 3 * HOUR, 0);
  router = net_router (net, d - DAY, d + 4 * DAY);

  g_assert_cmpuint (bq_router_get_lanes (router)->len, ==, 1);
  g_assert_null (bq_router_get_lane (router, "fast"));
  g_assert_cmpint (ea (router, "A", "B", d), ==, d + 11 * HOUR);
}

static void
test_validity (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  gint64 d = local ("Europe/Berlin", 2026, 6, 10, 0, 0);
  BqLane *lane;

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_hub (net, "B", "Europe/Berlin", 51, 9);
  lane = add_lane (net, "ab", "A", "B", ALL_DAYS, 8 * 60, HOUR, 0);
  lane->valid_from = d + DAY;             /* from tomorrow */
  lane->valid_to = d + 3 * DAY;           /* until the day after */
  router = net_router (net, d - DAY, d + 6 * DAY);

  g_assert_cmpuint (bq_router_get_n_connections (router), ==, 2);
  g_assert_cmpint (ea (router, "A", "B", d), ==, d + DAY + 9 * HOUR);
  g_assert_cmpint (ea (router, "A", "B", d + 2 * DAY + 9 * HOUR), ==, BQ_TIME_UNSET);

  /* Weekdays: Monday only (2026-06-15 is a Monday). */
  lane->valid_from = BQ_TIME_UNSET;
  lane->valid_to = BQ_TIME_UNSET;
  lane->weekdays = 1;
  g_clear_object (&router);
  router = net_router (net, d - DAY, d + 7 * DAY);
  g_assert_cmpint (ea (router, "A", "B", d), ==, local ("Europe/Berlin", 2026, 6, 15, 9, 0));
}

static void
test_unknown_place (void)
{
  g_autoptr(Net) net = net_new ();
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  BqRouteQuery q;

  add_hub (net, "A", "Europe/Berlin", 50, 8);
  add_lane (net, "ax", "A", "X", ALL_DAYS, 0, HOUR, 0);
  router = net_router (net, 0, DAY * 10);
  g_assert_cmpuint (bq_router_get_lanes (router)->len, ==, 0);

  bq_route_query_init (&q);
  q.from_id = "A";
  q.to_id = "X";
  q.depart_after = 0;
  routes = bq_router_find_routes (router, &q, &error);
  g_assert_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_UNKNOWN_PLACE);
  g_assert_null (routes);
  g_clear_error (&error);

  g_assert_null (bq_router_new (net->places, net->lanes, NULL, NULL, DAY, DAY, &error));
  g_assert_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_INVALID);
}

/* ------------------------------------------------- random timetables */

static const char * const random_zones[] = {
  "UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney",
};

static Net *
random_net (GRand *rand,
            guint  n_places,
            guint  n_lanes,
            guint  n_couriers)
{
  Net *net = net_new ();

  for (guint i = 0; i < n_places; i++)
    {
      g_autofree char *id = g_strdup_printf ("P%u", i);

      add_hub (net, id, random_zones[g_rand_int_range (rand, 0, G_N_ELEMENTS (random_zones))],
               g_rand_double_range (rand, -60, 60), g_rand_double_range (rand, -170, 170));
    }
  for (guint i = 0; i < n_lanes + n_couriers; i++)
    {
      guint from = g_rand_int_range (rand, 0, n_places);
      guint to = (from + g_rand_int_range (rand, 1, n_places)) % n_places;
      g_autofree char *id = g_strdup_printf ("L%u", i);
      g_autofree char *a = g_strdup_printf ("P%u", from);
      g_autofree char *b = g_strdup_printf ("P%u", to);
      gboolean courier = i >= n_lanes;

      add_lane (net, id, a, b,
                courier ? 0 : g_rand_int_range (rand, 1, 128),
                g_rand_int_range (rand, 0, 24 * 12) * 5,
                g_rand_int_range (rand, 1, 12 * 6) * 10 * MINUTE,
                g_rand_int_range (rand, 0, 13) * 10 * MINUTE);
    }
  return net;
}

/* Time-dependent Dijkstra over the expanded connections and footpaths:
 * the reference for the unbounded scan. */
static gint64
reference_dijkstra (BqRouter *router,
                    guint     from,
                    guint     to,
                    gint64    after)
{
  guint n = bq_router_get_n_places (router);
  g_autofree gint64 *dist = g_new (gint64, n);
  g_autofree gboolean *done = g_new0 (gboolean, n);
  guint nc = bq_router_get_n_connections (router);
  guint nf = bq_router_get_n_footpaths (router);

  for (guint i = 0; i < n; i++)
    dist[i] = G_MAXINT64;
  dist[from] = after;
  for (;;)
    {
      guint u = n;

      for (guint i = 0; i < n; i++)
        if (!done[i] && dist[i] != G_MAXINT64 && (u == n || dist[i] < dist[u]))
          u = i;
      if (u == n)
        break;
      done[u] = TRUE;
      for (guint c = 0; c < nc; c++)
        {
          BqConnection conn;

          bq_router_get_connection (router, c, &conn);
          if (conn.from == u && conn.ready_by >= dist[u] && conn.arrival < dist[conn.to])
            dist[conn.to] = conn.arrival;
        }
      for (guint f = 0; f < nf; f++)
        {
          BqConnection fp;

          bq_router_get_footpath (router, f, &fp);
          if (fp.from == u && dist[u] + fp.arrival < dist[fp.to])
            dist[fp.to] = dist[u] + fp.arrival;
        }
    }
  return dist[to] == G_MAXINT64 ? BQ_TIME_UNSET : dist[to];
}

typedef enum {
  ANY_JOURNEY,
  SCHEDULED_JOURNEY,   /* with at least one connection */
  COURIERS_ONLY,
} JourneyKind;

/* Rounds of relaxation over everything: earliest arrival with at most
 * @k legs, the reference for the bounded scans.  Two labels per place:
 * any journey, and journeys that took a connection. */
static gint64
reference_rounds_kind (BqRouter    *router,
                       guint        from,
                       guint        to,
                       gint64       after,
                       guint        k,
                       JourneyKind  kind)
{
  guint n = bq_router_get_n_places (router);
  g_autofree gint64 *prev = g_new (gint64, 2 * n);
  g_autofree gint64 *next = g_new (gint64, 2 * n);
  guint nc = kind == COURIERS_ONLY ? 0 : bq_router_get_n_connections (router);
  guint nf = bq_router_get_n_footpaths (router);
  gint64 result;

  for (guint i = 0; i < 2 * n; i++)
    prev[i] = G_MAXINT64;
  prev[from] = after;
  for (guint round = 0; round < k; round++)
    {
      memcpy (next, prev, 2 * n * sizeof (gint64));
      for (guint c = 0; c < nc; c++)
        {
          BqConnection conn;

          bq_router_get_connection (router, c, &conn);
          if (prev[conn.from] <= conn.ready_by)
            {
              next[conn.to] = MIN (next[conn.to], conn.arrival);
              next[n + conn.to] = MIN (next[n + conn.to], conn.arrival);
            }
        }
      for (guint f = 0; f < nf; f++)
        {
          BqConnection fp;

          bq_router_get_footpath (router, f, &fp);
          for (guint layer = 0; layer < 2; layer++)
            if (prev[layer * n + fp.from] != G_MAXINT64)
              next[layer * n + fp.to] = MIN (next[layer * n + fp.to],
                                             prev[layer * n + fp.from] + fp.arrival);
        }
      memcpy (prev, next, 2 * n * sizeof (gint64));
    }
  result = kind == SCHEDULED_JOURNEY ? prev[n + to] : prev[to];
  return result == G_MAXINT64 ? BQ_TIME_UNSET : result;
}

static gint64
reference_rounds (BqRouter *router,
                  guint     from,
                  guint     to,
                  gint64    after,
                  guint     k)
{
  return reference_rounds_kind (router, from, to, after, k, ANY_JOURNEY);
}

static void
test_property_earliest (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (20260610);
  gint64 start = utc (2026, 3, 27, 0, 0);   /* over the spring DST change */
  guint n_checked = 0, n_reached = 0;

  for (guint net_no = 0; net_no < 300; net_no++)
    {
      g_autoptr(Net) net = random_net (rand, g_rand_int_range (rand, 3, 15),
                                       g_rand_int_range (rand, 5, 40),
                                       g_rand_int_range (rand, 0, 4));
      g_autoptr(BqRouter) router = net_router (net, start, start + 4 * DAY);
      guint n = bq_router_get_n_places (router);

      for (guint q = 0; q < 10; q++)
        {
          guint from = g_rand_int_range (rand, 0, n);
          guint to = g_rand_int_range (rand, 0, n);
          gint64 after = start + g_rand_int_range (rand, 0, 3 * 24 * 60) * MINUTE;
          guint k = g_rand_int_range (rand, 1, 5);
          gint64 expected = reference_dijkstra (router, from, to, after);
          gint64 got = bq_router_earliest_arrival (router, from, to, after, 0);

          if (got != expected)
            g_error ("net %u: %u→%u after %" G_GINT64_FORMAT ": got %" G_GINT64_FORMAT
                     ", expected %" G_GINT64_FORMAT, net_no, from, to, after, got, expected);
          n_reached += expected != BQ_TIME_UNSET && from != to;

          expected = from == to ? after : reference_rounds (router, from, to, after, k);
          got = bq_router_earliest_arrival (router, from, to, after, k);
          if (got != expected)
            g_error ("net %u: %u→%u after %" G_GINT64_FORMAT " in %u legs: got %"
                     G_GINT64_FORMAT ", expected %" G_GINT64_FORMAT,
                     net_no, from, to, after, k, got, expected);
          n_checked++;
        }
    }
  g_test_message ("%u queries, %u reached", n_checked, n_reached);
  g_assert_cmpuint (n_reached, >, n_checked / 4);
}

typedef struct {
  gint64 ready;
  gint64 arrival;
  guint  legs;
} Triple;

static int
compare_triples (gconstpointer a,
                 gconstpointer b)
{
  const Triple *x = a, *y = b;

  if (x->ready != y->ready)
    return x->ready < y->ready ? -1 : 1;
  if (x->arrival != y->arrival)
    return x->arrival < y->arrival ? -1 : 1;
  return (int) x->legs - (int) y->legs;
}

static void
test_property_pareto (void)
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  gint64 start = utc (2026, 10, 24, 0, 0);   /* over the autumn DST change */
  guint n_routes = 0;

  for (guint net_no = 0; net_no < 60; net_no++)
    {
      g_autoptr(Net) net = random_net (rand, g_rand_int_range (rand, 3, 8),
                                       g_rand_int_range (rand, 8, 30),
                                       g_rand_int_range (rand, 0, 3));
      g_autoptr(BqRouter) router = net_router (net, start, start + 3 * DAY);
      guint n = bq_router_get_n_places (router);

      for (guint q = 0; q < 3; q++)
        {
          guint from = g_rand_int_range (rand, 0, n);
          guint to = (from + g_rand_int_range (rand, 1, n)) % n;
          gint64 after = start + g_rand_int_range (rand, 0, 24 * 60) * MINUTE;
          gint64 window = 6 * HOUR;
          guint k_max = 4;
          g_autoptr(GArray) expected = g_array_new (FALSE, FALSE, sizeof (Triple));
          g_autoptr(GArray) all = g_array_new (FALSE, FALSE, sizeof (Triple));
          g_autoptr(GArray) got = g_array_new (FALSE, FALSE, sizeof (Triple));
          g_autoptr(GPtrArray) routes = NULL;
          g_autoptr(GError) error = NULL;
          BqRouteQuery query;
          gboolean same;

          /* Brute force: every minute of the window, every bound on legs,
           * for journeys with a scheduled connection; couriers alone leave
           * at once (they could at any second). */
          for (gint64 t = after; t <= after + window; t += MINUTE)
            for (guint k = 1; k <= k_max; k++)
              {
                Triple tr = { t, reference_rounds_kind (router, from, to, t, k,
                                                        SCHEDULED_JOURNEY), k };

                if (tr.arrival != BQ_TIME_UNSET)
                  g_array_append_val (all, tr);
              }
          for (guint k = 1; k <= k_max; k++)
            {
              Triple tr = { after, reference_rounds_kind (router, from, to, after, k,
                                                          COURIERS_ONLY), k };

              if (tr.arrival != BQ_TIME_UNSET)
                g_array_append_val (all, tr);
            }
          for (guint i = 0; i < all->len; i++)
            {
              const Triple *p = &g_array_index (all, Triple, i);
              gboolean dominated = FALSE;

              for (guint j = 0; j < all->len && !dominated; j++)
                {
                  const Triple *o = &g_array_index (all, Triple, j);

                  dominated = o->arrival <= p->arrival && o->ready >= p->ready &&
                              o->legs <= p->legs &&
                              (o->arrival < p->arrival || o->ready > p->ready ||
                               o->legs < p->legs);
                }
              if (!dominated)
                g_array_append_val (expected, *p);
            }

          bq_route_query_init (&query);
          query.from_id = bq_router_get_place_id (router, from);
          query.to_id = bq_router_get_place_id (router, to);
          query.depart_after = after;
          query.window_s = window;
          query.max_legs = k_max;
          routes = bq_router_find_routes (router, &query, &error);
          g_assert_no_error (error);
          for (guint i = 0; i < routes->len; i++)
            {
              const BqRoute *route = g_ptr_array_index (routes, i);
              Triple tr = { route->ready, route->arrival, route->legs->len };
              gint64 t = route->ready;

              /* Each route is a real journey: legs chained in time. */
              for (guint l = 0; l < route->legs->len; l++)
                {
                  const BqRouteLeg *leg = g_ptr_array_index (route->legs, l);

                  g_assert_cmpint (leg->ready_by, >=, t);
                  g_assert_cmpint (leg->arrival, >, leg->departure);
                  g_assert_cmpstr (leg->origin_id, ==,
                                   l == 0 ? query.from_id
                                          : ((BqRouteLeg *) g_ptr_array_index (route->legs,
                                                                               l - 1))->destination_id);
                  t = leg->arrival;
                }
              g_assert_cmpstr (((BqRouteLeg *) g_ptr_array_index (route->legs,
                                                                  route->legs->len - 1))->destination_id,
                               ==, query.to_id);
              g_array_append_val (got, tr);
            }

          g_array_sort (expected, compare_triples);
          g_array_sort (got, compare_triples);
          same = expected->len == got->len;
          for (guint i = 0; same && i < got->len; i++)
            same = compare_triples (&g_array_index (expected, Triple, i),
                                    &g_array_index (got, Triple, i)) == 0;
          if (!same)
            {
              for (guint i = 0; i < expected->len; i++)
                g_printerr ("expected %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u\n",
                            g_array_index (expected, Triple, i).ready - after,
                            g_array_index (expected, Triple, i).arrival - after,
                            g_array_index (expected, Triple, i).legs);
              for (guint i = 0; i < got->len; i++)
                g_printerr ("got      %" G_GINT64_FORMAT " %" G_GINT64_FORMAT " %u\n",
                            g_array_index (got, Triple, i).ready - after,
                            g_array_index (got, Triple, i).arrival - after,
                            g_array_index (got, Triple, i).legs);
              g_error ("net %u query %u: Pareto sets differ", net_no, q);
            }
          n_routes += got->len;
        }
    }
  g_test_message ("%u Pareto routes checked", n_routes);
  g_assert_cmpuint (n_routes, >, 20);
}

/* ------------------------------------------- decay, SLA and re-routing */

/* Petten → AMS by courier, AMS → FRA (LH1 07:00, LH3 11:00), FRA → MUC
 * (LH2 10:00, LH4 13:00), couriers MUC → centre and FRA → centre. */
static Net *
europe_net (void)
{
  Net *net = net_new ();
  BqSla *sla = bq_sla_new ();

  add_site (net, "site", "Europe/Amsterdam", 52.78, 4.67);
  add_hub (net, "AMS", "Europe/Amsterdam", 52.31, 4.76);
  add_hub (net, "FRA", "Europe/Berlin", 50.03, 8.56);
  add_hub (net, "MUC", "Europe/Berlin", 48.35, 11.79);
  add_centre (net, "centre", "Europe/Berlin", 48.14, 11.60);
  add_lane (net, "road-site-ams", "site", "AMS", 0, 0, HOUR, 30 * MINUTE);
  add_lane (net, "LH1", "AMS", "FRA", ALL_DAYS, 7 * 60, HOUR, 2 * HOUR);
  add_lane (net, "LH3", "AMS", "FRA", ALL_DAYS, 11 * 60, HOUR, 2 * HOUR);
  add_lane (net, "LH2", "FRA", "MUC", ALL_DAYS, 10 * 60, HOUR, HOUR);
  add_lane (net, "LH4", "FRA", "MUC", ALL_DAYS, 13 * 60, HOUR, HOUR);
  add_lane (net, "road-muc-centre", "MUC", "centre", 0, 0, 45 * MINUTE, 30 * MINUTE);
  add_lane (net, "road-fra-centre", "FRA", "centre", 0, 0, 4 * HOUR, 30 * MINUTE);

  bq_entity_set_id (sla, "sla-site-europe");
  sla->site_id = g_strdup ("site");
  sla->region = g_strdup ("europe");
  sla->max_door_to_door_s = 24 * HOUR;
  sla->min_before_admin_s = 30 * MINUTE;
  g_ptr_array_add (net->slas, sla);
  return net;
}

static BqProduct *
lu177 (void)
{
  BqProduct *product = bq_product_new ();

  bq_entity_set_id (product, "lu177");
  product->name = g_strdup ("Lu-177 PSMA");
  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->tolerance = 0.10;
  product->concentration_bq_per_ml = 1e9;
  product->shelf_life_s = 120 * HOUR;
  product->synthesis_duration_s = 3 * HOUR;
  product->qc_duration_s = 2 * HOUR;
  return product;
}

#define BER(h, m) local ("Europe/Berlin", 2026, 6, 10, (h), (m))

static void
test_decay_choice (void)
{
  g_autoptr(Net) net = europe_net ();
  g_autoptr(BqRouter) router = net_router (net, BER (0, 0) - DAY, BER (0, 0) + 3 * DAY);
  g_autoptr(BqProduct) product = lu177 ();
  g_autoptr(GPtrArray) routes = NULL;
  g_autoptr(GError) error = NULL;
  const BqNuclide *nuclide = bq_nuclide_lookup ("Lu-177", NULL);
  BqRouteQuery q;
  BqRoute *best;

  bq_route_query_init (&q);
  q.from_id = "site";
  q.to_id = "centre";
  q.depart_after = BER (3, 0);
  q.window_s = 8 * HOUR;
  q.product = product;
  q.activity_bq = 8.0e9;             /* dispensed as it leaves */
  q.admin_start = BER (14, 0);
  q.admin_end = BER (16, 0);
  routes = bq_router_find_routes (router, &q, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (routes->len, >=, 2);

  /* The fresher dose on the later flights wins: leaves the site at 08:00
   * (ready 07:30), LH3 11:00, LH4 13:00, courier at 14:30, given 15:45. */
  best = bq_route_list_best (routes);
  g_assert_true (best == g_ptr_array_index (routes, 0));
  g_assert_cmpint (best->ready, ==, BER (7, 30));
  g_assert_cmpuint (best->legs->len, ==, 4);
  g_assert_cmpint (best->arrival, ==, BER (15, 15));
  g_assert_cmpint (best->administration, ==, BER (15, 45));
  g_assert_cmpfloat_with_epsilon (best->activity_administration_bq,
                                  bq_decay_activity_at (nuclide, 8.0e9, (double) (BER (15, 45) - BER (8, 0))),
                                  1.0);
  g_assert_cmpfloat (best->margin, >, 0);
  g_assert_cmpint (best->reason, ==, BQ_ROUTE_OK);
  for (guint i = 1; i < routes->len; i++)
    {
      const BqRoute *r = g_ptr_array_index (routes, i);

      if (bq_route_is_feasible (r))
        g_assert_cmpfloat (r->margin, <=, best->margin);
    }

  /* Too late: the window closes before anything gets there. */
  q.admin_start = BER (9, 0);
  q.admin_end = BER (10, 0);
  g_clear_pointer (&routes, g_ptr_array_unref);
  routes = bq_router_find_routes (router, &q, &error);
  g_assert_no_error (error);
  g_assert_null (bq_route_list_best (routes));
  g_assert_cmpint (((BqRoute *) g_ptr_array_index (routes, 0))->reason, ==, BQ_ROUTE_TOO_LATE);
  g_assert_cmpstr (bq_route_reason_to_nick (BQ_ROUTE_TOO_LATE), ==, "too_late");
  g_assert_nonnull (strstr (((BqRoute *) g_ptr_array_index (routes, 0))->message, "latest arrival"));

  /* Below activity: far too little dispensed. */
  q.admin_start = BER (14, 0);
  q.admin_end = BER (16, 0);
  q.activity_bq = 6.0e9;
  g_clear_pointer (&routes, g_ptr_array_unref);
  routes = bq_router_find_routes (router, &q, &error);
  g_assert_no_error (error);
  g_assert_null (bq_route_list_best (routes));
  g_assert_cmpint (((BqRoute *) g_ptr_array_index (routes, 0))->reason, ==,
                   BQ_ROUTE_BELOW_ACTIVITY);
  for (guint i = 0; i < routes->len; i++)
    g_assert_cmpint (((BqRoute *) g_ptr_array_index (routes, i))->reason, !=, BQ_ROUTE_OK);

  /* Over the SLA: door to door at most 5 hours. */
  {
    g_autoptr(BqSla) tight = bq_entity_copy (g_ptr_array_index (net->slas, 0));

    tight->max_door_to_door_s = 5 * HOUR;
    q.activity_bq = 8.0e9;
    q.sla = tight;
    g_clear_pointer (&routes, g_ptr_array_unref);
    routes = bq_router_find_routes (router, &q, &error);
    g_assert_no_error (error);
    g_assert_null (bq_route_list_best (routes));
    g_assert_cmpint (((BqRoute *) g_ptr_array_index (routes, 0))->reason, ==, BQ_ROUTE_OVER_SLA);
  }

  /* JSON carries it all. */
  {
    g_autoptr(JsonNode) node = bq_route_to_json (g_ptr_array_index (routes, 0));
    JsonObject *o = json_node_get_object (node);

    g_assert_cmpstr (json_object_get_string_member (o, "reason"), ==, "over_sla");
    g_assert_false (json_object_get_boolean_member (o, "feasible"));
    g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "legs")), >, 0);
  }
}

/* The planned shipment: courier 03:30, LH1 07:00, LH2 10:00, courier
 * 11:00 → 11:45 at the centre. */
static GPtrArray *
planned_legs (BqShipment **shipment_out)
{
  GPtrArray *legs = g_ptr_array_new_with_free_func (bq_entity_free);
  BqShipment *shipment = bq_shipment_new ();
  struct { const char *lane; gint64 dep, arr; } plan[] = {
    { "road-site-ams", BER (3, 30), BER (4, 30) },
    { "LH1", BER (7, 0), BER (8, 0) },
    { "LH2", BER (10, 0), BER (11, 0) },
    { "road-muc-centre", BER (11, 30), BER (12, 15) },
  };

  bq_entity_set_id (shipment, "ship-1");
  shipment->run_id = g_strdup ("run-1");
  shipment->centre_id = g_strdup ("centre");
  shipment->planned_departure = BER (3, 30);
  shipment->planned_arrival = BER (12, 15);
  for (guint i = 0; i < G_N_ELEMENTS (plan); i++)
    {
      BqShipmentLeg *leg = bq_shipment_leg_new ();

      leg->base.id = g_strdup_printf ("leg-%u", i);
      leg->shipment_id = g_strdup ("ship-1");
      leg->seq = i;
      leg->lane_id = g_strdup (plan[i].lane);
      leg->planned_departure = plan[i].dep;
      leg->planned_arrival = plan[i].arr;
      g_ptr_array_add (legs, leg);
    }
  *shipment_out = shipment;
  return legs;
}

static void
requirements (BqRouteQuery *q,
              BqProduct    *product)
{
  bq_route_query_init (q);
  q->product = product;
  q->activity_bq = 8.0e9;
  q->activity_time = BER (4, 0);     /* the dose exists: its activity at a known time */
  q->admin_start = BER (14, 0);
  q->admin_end = BER (16, 0);
}

static void
test_reroute (void)
{
  g_autoptr(Net) net = europe_net ();
  g_autoptr(BqRouter) router = net_router (net, BER (0, 0) - DAY, BER (0, 0) + 3 * DAY);
  g_autoptr(BqProduct) product = lu177 ();
  g_autoptr(BqShipment) shipment = NULL;
  g_autoptr(GPtrArray) legs = planned_legs (&shipment);
  g_autoptr(GError) error = NULL;
  BqRouteQuery q;

  requirements (&q, product);

  /* The plan itself is fine. */
  {
    g_autoptr(BqRoute) route = bq_router_route_from_legs (router, legs, &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (route->reason, ==, BQ_ROUTE_OK);
    g_assert_cmpint (route->door_to_door_s, ==, BER (12, 15) - BER (3, 30));
  }

  /* LH1 20 minutes late: still makes LH2 (ready by 09:00). */
  {
    g_autoptr(BqReroute) r = bq_router_reroute (router, shipment, legs, "leg-1", BER (8, 20),
                                                BER (7, 30), &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_ON_PLAN);
    g_assert_cmpstr (r->location_id, ==, "FRA");
  }

  /* LH1 lands 09:30: LH2 is gone, the courier from FRA gets there 14:00. */
  {
    g_autoptr(BqReroute) r = bq_router_reroute (router, shipment, legs, "leg-1", BER (9, 30),
                                                BER (8, 0), &q, &error);
    const BqRouteLeg *leg;

    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_PROPOSAL);
    g_assert_cmpint (r->reason, ==, BQ_ROUTE_OK);
    g_assert_cmpstr (r->location_id, ==, "FRA");
    g_assert_cmpint (r->location_time, ==, BER (9, 30));
    g_assert_nonnull (r->route);
    g_assert_true (bq_route_is_feasible (r->route));
    g_assert_cmpint (r->route->arrival, <=, BER (16, 0) - 30 * MINUTE);
    leg = g_ptr_array_index (r->route->legs, 0);
    g_assert_cmpstr (leg->origin_id, ==, "FRA");
    /* Door to door still counts from the site. */
    g_assert_cmpint (r->route->door_to_door_s, ==, r->route->arrival - BER (3, 30));
    {
      g_autoptr(JsonNode) node = bq_reroute_to_json (r);
      g_assert_cmpstr (json_object_get_string_member (json_node_get_object (node), "outcome"), ==,
                       "proposal");
    }
  }

  /* LH1 lands 12:00: just in time for LH4 at 13:00 (ready by 12:00). */
  {
    g_autoptr(BqReroute) r = bq_router_reroute (router, shipment, legs, "leg-1", BER (12, 0),
                                                BER (9, 0), &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_PROPOSAL);
    g_assert_cmpstr (((BqRouteLeg *) g_ptr_array_index (r->route->legs, 0))->lane_id, ==, "LH4");
  }

  /* A minute later LH4 is gone and the courier would arrive 16:31, after
   * the latest arrival at 15:30. */
  {
    g_autoptr(BqReroute) r = bq_router_reroute (router, shipment, legs, "leg-1", BER (12, 1),
                                                BER (9, 0), &q, &error);

    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_CANNOT_BE_SAVED);
    g_assert_cmpint (r->reason, ==, BQ_ROUTE_TOO_LATE);
    g_assert_nonnull (strstr (r->message, "cannot be saved"));
  }

  /* LH1 cancelled at 06:00, the dose at AMS: LH3 at 11:00, LH4 13:00,
   * courier to the centre by 14:45. */
  {
    BqShipmentLeg *lh1 = g_ptr_array_index (legs, 1);
    g_autoptr(BqReroute) r = NULL;

    lh1->status = BQ_LEG_CANCELLED;
    r = bq_router_reroute (router, shipment, legs, "leg-1", BQ_TIME_UNSET, BER (6, 0), &q, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_PROPOSAL);
    g_assert_cmpstr (r->location_id, ==, "AMS");
    g_assert_cmpint (r->location_time, ==, BER (6, 0));
    g_assert_cmpstr (((BqRouteLeg *) g_ptr_array_index (r->route->legs, 0))->lane_id, ==, "LH3");

    /* The plan with a cancelled leg says so. */
    {
      g_autoptr(BqRoute) route = bq_router_route_from_legs (router, legs, &q, &error);
      g_assert_no_error (error);
      g_assert_cmpint (route->reason, ==, BQ_ROUTE_LEG_CANCELLED);
    }

    /* With the window at noon nothing can make it. */
    q.admin_start = BER (12, 0);
    q.admin_end = BER (13, 0);
    g_clear_pointer (&r, bq_reroute_free);
    r = bq_router_reroute (router, shipment, legs, "leg-1", BQ_TIME_UNSET, BER (6, 0), &q, &error);
    g_assert_no_error (error);
    g_assert_cmpint (r->outcome, ==, BQ_REROUTE_CANNOT_BE_SAVED);
    g_assert_cmpint (r->reason, ==, BQ_ROUTE_TOO_LATE);
    lh1->status = BQ_LEG_PLANNED;
  }

  /* An unknown leg is an error. */
  g_assert_null (bq_router_reroute (router, shipment, legs, "leg-9", BER (9, 0), BER (8, 0),
                                    &q, &error));
  g_assert_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_NOT_FOUND);
}

/* --------------------------------------------------------------- GeoJSON */

static void
assert_position (JsonArray *position)
{
  double lon = json_array_get_double_element (position, 0);
  double lat = json_array_get_double_element (position, 1);

  g_assert_cmpuint (json_array_get_length (position), ==, 2);
  g_assert_cmpfloat (lon, >=, -180);
  g_assert_cmpfloat (lon, <=, 180);
  g_assert_cmpfloat (lat, >=, -90);
  g_assert_cmpfloat (lat, <=, 90);
}

static JsonObject *
reparse (JsonNode   *node,
         JsonParser *parser)
{
  g_autofree char *text = json_to_string (node, FALSE);
  g_autoptr(GError) error = NULL;

  g_assert_true (json_parser_load_from_data (parser, text, -1, &error));
  g_assert_no_error (error);
  return json_node_get_object (json_parser_get_root (parser));
}

static void
test_geojson (void)
{
  g_autoptr(Net) net = europe_net ();
  g_autoptr(BqRouter) router = net_router (net, BER (0, 0) - DAY, BER (0, 0) + 3 * DAY);
  g_autoptr(JsonNode) node = bq_geojson_network (net->places, net->lanes);
  g_autoptr(JsonParser) parser = json_parser_new ();
  JsonObject *root = reparse (node, parser);
  JsonArray *features;
  guint n_points = 0, n_lines = 0;

  g_assert_cmpstr (json_object_get_string_member (root, "type"), ==, "FeatureCollection");
  features = json_object_get_array_member (root, "features");
  for (guint i = 0; i < json_array_get_length (features); i++)
    {
      JsonObject *f = json_array_get_object_element (features, i);
      JsonObject *geometry = json_object_get_object_member (f, "geometry");
      JsonObject *properties = json_object_get_object_member (f, "properties");
      const char *type = json_object_get_string_member (geometry, "type");

      g_assert_cmpstr (json_object_get_string_member (f, "type"), ==, "Feature");
      if (g_str_equal (type, "Point"))
        {
          JsonArray *c = json_object_get_array_member (geometry, "coordinates");

          assert_position (c);
          if (g_str_equal (json_object_get_string_member (properties, "id"), "site"))
            {
              /* Petten: [lon, lat], as RFC 7946 orders them. */
              g_assert_cmpfloat (json_array_get_double_element (c, 0), ==, 4.67);
              g_assert_cmpfloat (json_array_get_double_element (c, 1), ==, 52.78);
              g_assert_cmpstr (json_object_get_string_member (properties, "kind"), ==, "site");
            }
          n_points++;
        }
      else
        {
          JsonArray *c = json_object_get_array_member (geometry, "coordinates");

          g_assert_cmpstr (type, ==, "LineString");
          g_assert_cmpuint (json_array_get_length (c), ==, 2);
          assert_position (json_array_get_array_element (c, 0));
          assert_position (json_array_get_array_element (c, 1));
          g_assert_cmpstr (json_object_get_string_member (properties, "kind"), ==, "lane");
          n_lines++;
        }
    }
  g_assert_cmpuint (n_points, ==, net->places->len);
  g_assert_cmpuint (n_lines, ==, net->lanes->len);

  /* A route: one line per leg, one point per stop. */
  {
    BqRouteQuery q;
    g_autoptr(GPtrArray) routes = NULL;
    g_autoptr(JsonNode) rnode = NULL;
    g_autoptr(JsonParser) rparser = json_parser_new ();
    const BqRoute *route;
    JsonArray *rf;

    bq_route_query_init (&q);
    q.from_id = "site";
    q.to_id = "centre";
    q.depart_after = BER (3, 0);
    routes = bq_router_find_routes (router, &q, NULL);
    route = g_ptr_array_index (routes, 0);
    rnode = bq_geojson_route (router, route);
    rf = json_object_get_array_member (reparse (rnode, rparser), "features");
    g_assert_cmpuint (json_array_get_length (rf), ==, 2 * route->legs->len + 1);
    {
      JsonObject *first = json_array_get_object_element (rf, 0);
      JsonArray *c = json_object_get_array_member (json_object_get_object_member (first, "geometry"),
                                                   "coordinates");
      JsonArray *p0 = json_array_get_array_element (c, 0);

      g_assert_cmpfloat (json_array_get_double_element (p0, 0), ==, 4.67);
      g_assert_cmpfloat (json_array_get_double_element (p0, 1), ==, 52.78);
    }
  }
}

/* ------------------------------------------------------------ the demo */

static void
test_demo (void)
{
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(GError) error = NULL;
  BqDemoOptions options;
  g_autoptr(GPtrArray) centres = NULL;
  guint n_routed = 0;

  bq_demo_options_init_default (&options);
  options.start = bq_demo_week_start (utc (2026, 3, 23, 0, 0));
  options.weeks = 2;
  store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);
  g_assert_true (bq_demo_generate (store, &options, &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_count (store, &bq_sla_type, NULL), ==, 4);

  router = bq_router_new_from_store (store, options.start, options.start + 14 * DAY, &error);
  g_assert_no_error (error);
  g_assert_nonnull (bq_router_find_sla (router, "site-nl-pet", "europe"));
  g_assert_cmpuint (bq_router_get_n_connections (router), >, 0);

  centres = bq_store_list (store, &bq_centre_type, &error);
  for (guint i = 0; i < centres->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, i);
      const char *site = g_str_equal (centre->region, "europe") ? "site-nl-pet"
                         : g_str_equal (centre->region, "north_america") ? "site-us-fis"
                         : "site-cn-sha";
      BqRouteQuery q;
      g_autoptr(GPtrArray) routes = NULL;

      bq_route_query_init (&q);
      q.from_id = site;
      q.to_id = centre->base.id;
      q.depart_after = options.start + DAY + 10 * HOUR;
      routes = bq_router_find_routes (router, &q, &error);
      g_assert_no_error (error);
      if (routes->len > 0)
        n_routed++;
    }
  g_assert_cmpuint (n_routed, ==, centres->len);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/route/expand/overnight", test_overnight);
  g_test_add_func ("/route/expand/dst", test_dst);
  g_test_add_func ("/route/expand/validity", test_validity);
  g_test_add_func ("/route/scan/just-misses", test_just_misses);
  g_test_add_func ("/route/scan/cancelled-and-late", test_cancelled);
  g_test_add_func ("/route/scan/on-demand", test_on_demand);
  g_test_add_func ("/route/scan/class7-refused", test_class7);
  g_test_add_func ("/route/scan/unknown-place", test_unknown_place);
  g_test_add_func ("/route/property/earliest-arrival", test_property_earliest);
  g_test_add_func ("/route/property/pareto", test_property_pareto);
  g_test_add_func ("/route/decay/choice-and-reasons", test_decay_choice);
  g_test_add_func ("/route/reroute/late-and-cancelled", test_reroute);
  g_test_add_func ("/route/geojson/network-and-route", test_geojson);
  g_test_add_func ("/route/demo/every-centre", test_demo);

  return g_test_run ();
}
