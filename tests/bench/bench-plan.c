/* bench-plan.c — how long the planner takes on the demo network
 *
 *   bench-plan [REPEATS]
 *
 * Builds the demo network in memory, then times (best and median of
 * REPEATS, default 21) a 4-week proposal, the capacity table alone, and
 * a move check of every planned run to its own place, next to the time
 * to read the runs of the horizon from the store (the floor a planner
 * cannot beat: it must at least read what it plans over).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>

#include "bq-demo.h"
#include "bq-plan.h"
#include "bq-store.h"

#define WEEK (7 * 24 * 3600)

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-plan: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static int
cmp_double (gconstpointer a,
            gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static void
report (const char *what,
        double     *ms,
        guint       n)
{
  qsort (ms, n, sizeof *ms, cmp_double);
  g_print ("  %-44s best %8.2f ms   median %8.2f ms\n", what, ms[0], ms[n / 2]);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (":memory:", &error);
  g_autoptr(BqPlanner) planner = NULL;
  g_autofree double *ms = NULL;
  BqDemoOptions demo;
  BqPlanOptions options;
  guint repeats = argc > 1 ? (guint) MAX (1, atoi (argv[1])) : 21;
  double floor_median, propose_median;

  if (store == NULL)
    die ("open", error);
  bq_demo_options_init_default (&demo);
  if (!bq_demo_generate (store, &demo, &error))
    die ("demo", error);

  bq_plan_options_init (&options);
  options.from = demo.start + 2 * WEEK;
  options.weeks = 4;
  options.now = demo.start + 15 * 24 * 3600 + 7 * 3600;
  planner = bq_planner_new (store, &options);
  ms = g_new (double, repeats);

  g_print ("bench-plan: demo network, 4-week horizon, %u repeats\n", repeats);

  for (guint i = 0; i < repeats; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(BqQuery) query = bq_query_new (&bq_run_type);
      g_autoptr(GPtrArray) runs = NULL;

      bq_query_where_overlaps (query, "start_time", "eos_time", options.from - WEEK,
                               options.from + (options.weeks + 1) * WEEK);
      runs = bq_store_query (store, query, &error);

      if (runs == NULL)
        die ("query", error);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  report ("read the horizon's runs (floor)", ms, repeats);
  floor_median = ms[repeats / 2];

  for (guint i = 0; i < repeats; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(BqPlan) plan = bq_planner_propose (planner, &error);

      if (plan == NULL)
        die ("propose", error);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  report ("propose 4 weeks", ms, repeats);
  propose_median = ms[repeats / 2];

  for (guint i = 0; i < repeats; i++)
    {
      gint64 t0 = g_get_monotonic_time ();
      g_autoptr(BqPlan) plan = bq_planner_capacity (planner, &error);

      if (plan == NULL)
        die ("capacity", error);
      ms[i] = (g_get_monotonic_time () - t0) / 1000.0;
    }
  report ("capacity vs demand only", ms, repeats);

  g_print ("  ratio propose / floor (median)               %8.1f\n",
           propose_median / MAX (floor_median, 1e-6));
  return 0;
}
