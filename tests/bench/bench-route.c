/* bench-route.c — earliest-arrival queries on a million connections
 *
 * A synthetic network of 2,000 hubs in five time zones and ~143,000 daily
 * lanes, expanded over 7 days to about 1,000,000 connections, plus some
 * on-demand couriers.  Prints the time to build the router, the median
 * and p95 of 1,000 random earliest-arrival queries, the time of one plain
 * pass over the connection array (the memory floor), and their ratio.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include "bq-core.h"

#define HOUR      G_GINT64_CONSTANT (3600)
#define DAY       (24 * HOUR)
#define N_HUBS    2000
#define N_LANES   143000
#define N_COURIER 2000
#define N_QUERIES 1000

static const char * const zones[] = {
  "UTC", "Europe/Berlin", "America/New_York", "Asia/Shanghai", "Australia/Sydney",
};

static int
compare_doubles (const void *a,
                 const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
now_us (void)
{
  return (double) g_get_monotonic_time ();
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GRand) rand = g_rand_new_with_seed (42);
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(GPtrArray) lanes = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(GError) error = NULL;
  gint64 start = 1781049600;   /* 2026-06-10 00:00 UTC */
  double queries[N_QUERIES], floors[21];
  double t0, build_ms;
  guint reached = 0;
  guint64 sink = 0;

  for (guint i = 0; i < N_HUBS; i++)
    {
      BqHub *hub = bq_hub_new ();

      hub->base.id = g_strdup_printf ("hub-%u", i);
      hub->code = g_strdup_printf ("H%u", i);
      hub->name = g_strdup (hub->code);
      hub->timezone = g_strdup (zones[i % G_N_ELEMENTS (zones)]);
      hub->latitude = g_rand_double_range (rand, -60, 60);
      hub->longitude = g_rand_double_range (rand, -170, 170);
      g_ptr_array_add (places, hub);
    }
  for (guint i = 0; i < N_LANES + N_COURIER; i++)
    {
      BqLane *lane = bq_lane_new ();
      guint from = g_rand_int_range (rand, 0, N_HUBS);
      /* Mostly to nearby hubs (by number), so journeys take several legs. */
      guint to = (from + g_rand_int_range (rand, 1, 50)) % N_HUBS;
      gboolean courier = i >= N_LANES;

      lane->base.id = g_strdup_printf ("lane-%u", i);
      lane->mode = courier ? BQ_LANE_GROUND : BQ_LANE_FLIGHT;
      lane->origin_id = g_strdup_printf ("hub-%u", from);
      lane->destination_id = g_strdup_printf ("hub-%u", to);
      lane->carrier = g_strdup ("Bench");
      lane->weekdays = courier ? 0 : 0x7f;
      lane->departure_local = g_rand_int_range (rand, 0, 24 * 60);
      lane->duration_s = g_rand_int_range (rand, 30, 8 * 60) * 60;
      lane->handling_s = g_rand_int_range (rand, 0, 120) * 60;
      lane->class7_accepted = TRUE;
      g_ptr_array_add (lanes, lane);
    }

  t0 = now_us ();
  router = bq_router_new (places, lanes, NULL, NULL, start, start + 7 * DAY, &error);
  if (router == NULL)
    g_error ("%s", error->message);
  build_ms = (now_us () - t0) / 1000.0;

  for (guint i = 0; i < G_N_ELEMENTS (floors); i++)
    {
      t0 = now_us ();
      sink += bq_router_touch_connections (router);
      floors[i] = now_us () - t0;
    }
  qsort (floors, G_N_ELEMENTS (floors), sizeof (double), compare_doubles);

  for (guint i = 0; i < N_QUERIES; i++)
    {
      guint from = g_rand_int_range (rand, 0, N_HUBS);
      guint to = g_rand_int_range (rand, 0, N_HUBS);
      gint64 after = start + g_rand_int_range (rand, 0, 2 * 24 * 60) * 60;
      gint64 arrival;

      t0 = now_us ();
      arrival = bq_router_earliest_arrival (router, from, to, after, 0);
      queries[i] = now_us () - t0;
      if (arrival != BQ_TIME_UNSET)
        reached++;
    }
  qsort (queries, N_QUERIES, sizeof (double), compare_doubles);

  printf ("connections:           %u (+ %u on-demand footpaths), %u places\n",
          bq_router_get_n_connections (router), bq_router_get_n_footpaths (router),
          bq_router_get_n_places (router));
  printf ("build (expand + sort): %.0f ms\n", build_ms);
  printf ("plain pass (floor):    %.2f ms (median of %u)\n",
          floors[G_N_ELEMENTS (floors) / 2] / 1000.0, (guint) G_N_ELEMENTS (floors));
  printf ("earliest arrival:      median %.2f ms, p95 %.2f ms (%u queries, %u reached)\n",
          queries[N_QUERIES / 2] / 1000.0, queries[N_QUERIES * 95 / 100] / 1000.0,
          N_QUERIES, reached);
  printf ("ratio to the floor:    median %.2f, p95 %.2f\n",
          queries[N_QUERIES / 2] / floors[G_N_ELEMENTS (floors) / 2],
          queries[N_QUERIES * 95 / 100] / floors[G_N_ELEMENTS (floors) / 2]);
  printf ("(checksum %" G_GUINT64_FORMAT ")\n", sink);
  return 0;
}
