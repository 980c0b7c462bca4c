/* test-plan.c — the planner: budgets, proposals, capacity and moves
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-core.h"

#define HOUR G_GINT64_CONSTANT (3600)
#define DAY (24 * HOUR)
#define WEEK (7 * DAY)
/* 2027-01-04T00:00:00Z, a Monday; Amsterdam is UTC+1 all that month. */
#define W0 G_GINT64_CONSTANT (1799020800)
#define CET HOUR  /* local = UTC + 1 h */

/* ------------------------------------------------------- a small network */

typedef struct {
  BqStore *store;
} Fixture;

static void
put (BqStore *store,
     gpointer entity)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bq_store_put (store, entity, &error));
  g_assert_no_error (error);
  bq_entity_free (entity);
}

/* One site serving Europe with two Lu-177 lines (Mon–Fri 06:00–22:00,
 * 1 h changeover) and an Ac-225 isolator; Lu-177 arrives Mon and Wed at
 * 08:00 and is used within 36 h; at most 10 doses or 100 GBq a run. */
static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  const char *lu_only[] = { "product-lu", NULL };
  const char *ac_only[] = { "product-ac", NULL };
  BqSite *site = bq_site_new ();
  BqSla *sla = bq_sla_new ();
  BqCentre *centre = bq_centre_new ();
  BqProduct *lu = bq_product_new ();
  BqProduct *ac = bq_product_new ();

  f->store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);

  bq_entity_set_id (site, "site-t");
  site->name = g_strdup ("Test site");
  site->organisation = g_strdup ("Test CDMO");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  site->latitude = 52.8;
  site->longitude = 4.7;
  put (f->store, site);

  bq_entity_set_id (sla, "sla-t");
  sla->site_id = g_strdup ("site-t");
  sla->region = g_strdup ("europe");
  sla->max_door_to_door_s = 48 * HOUR;
  put (f->store, sla);

  for (guint i = 0; i < 3; i++)
    {
      static const char * const ids[] = { "line-a", "line-b", "line-c" };
      BqLine *line = bq_line_new ();

      bq_entity_set_id (line, ids[i]);
      line->site_id = g_strdup ("site-t");
      line->name = g_strdup_printf ("Line %c", 'A' + i);
      line->product_ids = g_strdupv ((char **) (i < 2 ? lu_only : ac_only));
      line->working_weekdays = 0x1f;
      line->shift_start_local = 6 * 60;
      line->shift_end_local = 22 * 60;
      line->changeover_s = HOUR;
      put (f->store, line);
    }

  bq_entity_set_id (lu, "product-lu");
  lu->name = g_strdup ("Lu-177 test");
  lu->nuclide = g_strdup ("Lu-177");
  lu->dose_activity_bq = 7.4e9;
  lu->tolerance = 0.1;
  lu->concentration_bq_per_ml = 1e9;
  lu->shelf_life_s = 120 * HOUR;
  lu->synthesis_duration_s = 3 * HOUR;
  lu->qc_duration_s = 2 * HOUR;
  lu->activity_margin = 0.10;
  lu->supply_weekdays = 0x05;
  lu->supply_arrival_local = 8 * 60;
  lu->supply_window_s = 36 * HOUR;
  lu->max_doses_per_run = 10;
  lu->max_activity_eos_bq = 100e9;
  put (f->store, lu);

  bq_entity_set_id (ac, "product-ac");
  ac->name = g_strdup ("Ac-225 test");
  ac->nuclide = g_strdup ("Ac-225");
  ac->dose_activity_bq = 8e6;
  ac->tolerance = 0.1;
  ac->concentration_bq_per_ml = 1e6;
  ac->shelf_life_s = 120 * HOUR;
  ac->synthesis_duration_s = 2 * HOUR;
  ac->qc_duration_s = 3 * HOUR;
  put (f->store, ac);

  bq_entity_set_id (centre, "centre-t");
  centre->name = g_strdup ("Test centre");
  centre->country = g_strdup ("DE");
  centre->region = g_strdup ("europe");
  centre->timezone = g_strdup ("Europe/Berlin");
  centre->latitude = 52.5;
  centre->longitude = 13.4;
  put (f->store, centre);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
}

static void
add_forecast (Fixture    *f,
              const char *product_id,
              gint64      week_start,
              gint64      doses)
{
  BqForecast *forecast = bq_forecast_new ();

  forecast->base.id = g_strdup_printf ("forecast-%s-%" G_GINT64_FORMAT, product_id, week_start);
  forecast->centre_id = g_strdup ("centre-t");
  forecast->product_id = g_strdup (product_id);
  forecast->week_start = week_start;
  forecast->doses = doses;
  put (f->store, forecast);
}

static BqPlanner *
planner_for (Fixture *f,
             gint64   from,
             guint    weeks)
{
  BqPlanOptions options;

  bq_plan_options_init (&options);
  options.from = from;
  options.weeks = weeks;
  options.now = from - DAY;
  return bq_planner_new (f->store, &options);
}

static BqPlan *
propose (BqPlanner *planner)
{
  g_autoptr(GError) error = NULL;
  BqPlan *plan = bq_planner_propose (planner, &error);

  g_assert_no_error (error);
  g_assert_nonnull (plan);
  return plan;
}

static const BqPlanCapacity *
find_row (const BqPlan *plan,
          const char   *product_id,
          gint64        week_start)
{
  for (guint i = 0; i < bq_plan_get_n_capacity (plan); i++)
    {
      const BqPlanCapacity *row = bq_plan_get_capacity (plan, i);

      if (strcmp (row->product_id, product_id) == 0 && row->week_start == week_start)
        return row;
    }
  return NULL;
}

static GPtrArray *
live_runs (BqStore *store)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *runs = bq_store_list (store, &bq_run_type, &error);

  g_assert_no_error (error);
  for (guint i = runs->len; i > 0; i--)
    if (((BqRun *) g_ptr_array_index (runs, i - 1))->status == BQ_RUN_CANCELLED)
      g_ptr_array_remove_index (runs, i - 1);
  return runs;
}

/* --------------------------------------------------------------- budgets */

static void
test_budget_hand (void)
{
  g_autoptr(BqProduct) product = bq_product_new ();
  const BqNuclide *lu = bq_nuclide_lookup ("Lu-177", NULL);
  BqPlanDose doses[] = {
    { W0 + 24 * HOUR, 0 },           /* the product's 7.4 GBq, a day after EOS */
    { W0 + 48 * HOUR, 6.0e9 },       /* 6 GBq two days after */
  };
  double t_half = lu->half_life_s;
  double expected, budget;

  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->activity_margin = NAN;

  /* A = (1 + m) Σ A_i 2^{Δt_i / T½} */
  expected = 1.10 * (7.4e9 * pow (2, 24 * 3600.0 / t_half) + 6.0e9 * pow (2, 48 * 3600.0 / t_half));
  budget = bq_plan_activity_budget (product, W0, doses, 2, 0.10);
  g_assert_cmpfloat_with_epsilon (budget, expected, expected * 1e-12);
  /* With T½ = 6.647 d by hand: 1.1 × (7.4 × 1.10990 + 6.0 × 1.23187) GBq = 17.165 GBq */
  g_assert_cmpfloat_with_epsilon (budget, 17.165e9, 0.01e9);

  /* No margin, no decay: the doses themselves. */
  doses[0].admin_time = W0;
  doses[1].admin_time = W0;
  g_assert_cmpfloat_with_epsilon (bq_plan_activity_budget (product, W0, doses, 2, 0), 13.4e9, 1);
  /* Before EOS is not a plan. */
  g_assert_true (isnan (bq_plan_activity_budget (product, W0 + 1, doses, 1, 0)));

  g_assert_cmpfloat (bq_plan_product_margin (product, 0.2), ==, 0.2);
  product->activity_margin = 0.05;
  g_assert_cmpfloat (bq_plan_product_margin (product, 0.2), ==, 0.05);

  /* 10 doses a day after EOS need 10 × 7.4 × 1.1 × 1.10990 = 90.35 GBq:
   * 91 GBq covers 10, 90 GBq only 9. */
  g_assert_cmpint (bq_plan_doses_for_activity (product, 91e9, W0, W0 + DAY, 0.10), ==, 10);
  g_assert_cmpint (bq_plan_doses_for_activity (product, 90e9, W0, W0 + DAY, 0.10), ==, 9);
  {
    BqPlanDose ten = { W0 + DAY, 0 };
    double a10 = 10 * bq_plan_activity_budget (product, W0, &ten, 1, 0.10);

    g_assert_cmpfloat_with_epsilon (a10, 90.35e9, 0.01e9);
    g_assert_cmpint (bq_plan_doses_for_activity (product, a10, W0, W0 + DAY, 0.10), ==, 10);
  }
}

/* ------------------------------------------------------------- proposals */

/* Checks every live run of the store against the rules, independently of
 * the planner: shift, working day, maintenance, supply, no overlap. */
static void
assert_runs_respect_rules (BqStore *store,
                           gint64   from,
                           gint64   to)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = live_runs (store);
  g_autoptr(GPtrArray) blocks = bq_store_list (store, &bq_maintenance_block_type, &error);
  guint n_checked = 0;

  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      g_autoptr(BqLine) line = bq_store_get (store, &bq_line_type, run->line_id, &error);
      g_autoptr(BqSite) site = bq_store_get (store, &bq_site_type, line->site_id, &error);
      g_autoptr(BqProduct) product = bq_store_get (store, &bq_product_type, run->product_id,
                                                   &error);
      g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (site->timezone);
      g_autoptr(GDateTime) start_utc = g_date_time_new_from_unix_utc (run->start_time);
      g_autoptr(GDateTime) eos_utc = g_date_time_new_from_unix_utc (run->eos_time);
      g_autoptr(GDateTime) start = g_date_time_to_timezone (start_utc, tz);
      g_autoptr(GDateTime) eos = g_date_time_to_timezone (eos_utc, tz);
      int start_min = g_date_time_get_hour (start) * 60 + g_date_time_get_minute (start);
      int eos_min = g_date_time_get_hour (eos) * 60 + g_date_time_get_minute (eos);
      int weekday = g_date_time_get_day_of_week (start) - 1;
      gboolean supplied = FALSE;

      g_assert_no_error (error);
      if (run->start_time < from || run->start_time >= to)
        continue;
      n_checked++;

      /* the same local day, inside the shift, on a working day */
      g_assert_cmpint (g_date_time_get_day_of_year (start), ==, g_date_time_get_day_of_year (eos));
      g_assert_cmpint (start_min, >=, line->shift_start_local);
      g_assert_cmpint (eos_min, <=, line->shift_end_local ? line->shift_end_local : 1440);
      g_assert_true (line->working_weekdays & (1 << weekday));
      g_assert_true (line->product_ids == NULL ||
                     g_strv_contains ((const char * const *) line->product_ids, product->base.id));

      /* after an arrival of the isotope, within its window */
      for (int back = 0; back < 8 && product->supply_weekdays != 0; back++)
        {
          g_autoptr(GDateTime) day = g_date_time_add_days (start, -back);
          g_autoptr(GDateTime) arrival = g_date_time_new (tz, g_date_time_get_year (day),
                                                          g_date_time_get_month (day),
                                                          g_date_time_get_day_of_month (day),
                                                          (int) product->supply_arrival_local / 60,
                                                          (int) product->supply_arrival_local % 60, 0);
          gint64 at = g_date_time_to_unix (arrival);

          if (!(product->supply_weekdays & (1 << (g_date_time_get_day_of_week (day) - 1))) ||
              at > run->start_time)
            continue;
          supplied = product->supply_window_s == 0 ||
                     run->start_time - at <= product->supply_window_s;
          break;
        }
      g_assert_true (supplied || product->supply_weekdays == 0);

      for (guint b = 0; b < blocks->len; b++)
        {
          const BqMaintenanceBlock *block = g_ptr_array_index (blocks, b);

          if (strcmp (block->line_id, run->line_id) == 0)
            g_assert_true (block->end_time <= run->start_time || block->start_time >= run->eos_time);
        }
      for (guint j = 0; j < runs->len; j++)
        {
          const BqRun *other = g_ptr_array_index (runs, j);

          if (j != i && strcmp (other->line_id, run->line_id) == 0)
            g_assert_true (other->eos_time + line->changeover_s <= run->start_time ||
                           run->eos_time + line->changeover_s <= other->start_time);
        }
    }
  g_assert_cmpuint (n_checked, >, 0);
}

static void
test_forecast_fits (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(BqPlan) again = NULL;
  g_autoptr(GError) error = NULL;
  const BqPlanCapacity *row;
  gint64 doses = 0;

  add_forecast (f, "product-lu", W0, 30);
  planner = planner_for (f, W0, 1);
  plan = propose (planner);

  /* 30 doses + 15 % = 35, in runs of at most 10: four runs, 9 + 9 + 9 + 8. */
  g_assert_cmpuint (bq_plan_get_n_changes (plan), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      const BqPlanChange *change = bq_plan_get_change (plan, i);

      g_assert_cmpint (change->kind, ==, BQ_PLAN_CHANGE_ADD);
      g_assert_null (change->before);
      g_assert_cmpint (change->after->status, ==, BQ_RUN_PLANNED);
      g_assert_true (change->reason != NULL && change->reason[0] != '\0');
      g_assert_cmpint (change->after->dose_capacity, >=, 8);
      g_assert_cmpint (change->after->dose_capacity, <=, 9);
      g_assert_cmpfloat (change->after->activity_eos_bq, <=, 100e9);
      doses += change->after->dose_capacity;
    }
  g_assert_cmpint (doses, ==, 35);

  row = find_row (plan, "product-lu", W0);
  g_assert_nonnull (row);
  g_assert_cmpstr (row->region, ==, "europe");
  g_assert_cmpint (row->demand, ==, 30);
  g_assert_cmpint (row->target, ==, 35);
  g_assert_cmpint (row->capacity, ==, 35);
  g_assert_cmpint (row->gap, ==, 0);
  g_assert_cmpint (bq_plan_get_total_gap (plan), ==, 0);

  /* Apply, then plan again: nothing left to do. */
  g_assert_true (bq_planner_apply (planner, plan, &error));
  g_assert_no_error (error);
  assert_runs_respect_rules (f->store, W0, W0 + WEEK);
  again = propose (planner);
  g_assert_true (bq_plan_is_empty (again));
  g_assert_cmpint (find_row (again, "product-lu", W0)->capacity, ==, 35);

  /* Applying a plan twice is refused: its runs exist now. */
  g_assert_false (bq_planner_apply (planner, plan, &error));
  g_assert_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_STALE);
  g_assert_cmpstr (bq_plan_error_to_code (error), ==, "stale_plan");
}

static void
test_forecast_exceeds (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  const BqPlanCapacity *row;
  gint64 doses = 0;

  add_forecast (f, "product-lu", W0, 400);
  planner = planner_for (f, W0, 1);
  plan = propose (planner);

  /* Each Lu-177 line has 14 places a week in 06:00–22:00 at a 4 h step:
   * Mon 10/14/18 (after the 08:00 arrival), Tue 06–18 (within 36 h), Wed
   * 10/14/18, Thu 06–18; Friday is too late for Wednesday's isotope.  Two
   * lines × 14 runs × 10 doses = 280. */
  g_assert_cmpuint (bq_plan_get_n_changes (plan), ==, 28);
  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    doses += bq_plan_get_change (plan, i)->after->dose_capacity;
  g_assert_cmpint (doses, ==, 280);

  row = find_row (plan, "product-lu", W0);
  g_assert_cmpint (row->demand, ==, 400);
  g_assert_cmpint (row->target, ==, 460);
  g_assert_cmpint (row->capacity, ==, 280);
  g_assert_cmpint (row->max_capacity, ==, 280);
  g_assert_cmpint (row->gap, ==, 120);
  g_assert_cmpint (bq_plan_get_total_gap (plan), ==, 120);
}

static BqRun *
planned_run (const char *id,
             const char *line_id,
             gint64      start,
             gint64      doses)
{
  BqRun *run = bq_run_new ();

  run->base.id = g_strdup (id);
  run->line_id = g_strdup (line_id);
  run->product_id = g_strdup ("product-lu");
  run->batch = g_strdup (id);
  run->start_time = start;
  run->eos_time = start + 3 * HOUR;
  run->calibration_time = start + 30 * HOUR;
  run->activity_eos_bq = doses * 9.2e9;
  run->dose_capacity = doses;
  run->status = BQ_RUN_PLANNED;
  return run;
}

/* A run under a new maintenance block moves; one on a closed day too. */
static void
test_maintenance_moves_run (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(BqPlan) again = NULL;
  g_autoptr(GError) error = NULL;
  BqMaintenanceBlock *block = bq_maintenance_block_new ();
  guint n_moves = 0;

  add_forecast (f, "product-lu", W0, 8);   /* target 10: one run */
  /* Tuesday 10:00 local on line A, then line A is out all Tuesday. */
  put (f->store, planned_run ("run-x", "line-a", W0 + DAY + 10 * HOUR - CET, 10));
  bq_entity_set_id (block, "maint-a");
  block->line_id = g_strdup ("line-a");
  block->start_time = W0 + DAY - CET;
  block->end_time = W0 + 2 * DAY - CET;
  block->reason = g_strdup ("Requalification");
  put (f->store, block);

  planner = planner_for (f, W0, 1);
  plan = propose (planner);
  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    {
      const BqPlanChange *change = bq_plan_get_change (plan, i);

      g_assert_cmpint (change->kind, ==, BQ_PLAN_CHANGE_MOVE);
      g_assert_cmpstr (change->before->base.id, ==, "run-x");
      g_assert_cmpstr (change->after->base.id, ==, "run-x");
      g_assert_nonnull (strstr (change->reason, "Requalification"));
      /* the nearest free place: line B at the same time */
      g_assert_cmpstr (change->after->line_id, ==, "line-b");
      g_assert_cmpint (change->after->start_time, ==, change->before->start_time);
      n_moves++;
    }
  g_assert_cmpuint (n_moves, ==, 1);
  g_assert_true (bq_planner_apply (planner, plan, &error));
  g_assert_no_error (error);
  again = propose (planner);
  g_assert_true (bq_plan_is_empty (again));
}

/* Runs no longer needed are cancelled; runs with booked orders stay. */
static void
test_removes_unneeded (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  BqOrder *order = bq_order_new ();

  add_forecast (f, "product-lu", W0, 5);   /* target 6: one run */
  put (f->store, planned_run ("run-1", "line-a", W0 + DAY + 6 * HOUR - CET, 8));
  put (f->store, planned_run ("run-2", "line-a", W0 + 3 * DAY + 6 * HOUR - CET, 8));
  put (f->store, planned_run ("run-3", "line-b", W0 + 3 * DAY + 6 * HOUR - CET, 8));
  bq_entity_set_id (order, "order-1");
  order->centre_id = g_strdup ("centre-t");
  order->product_id = g_strdup ("product-lu");
  order->patient_ref = g_strdup ("PT-0001");
  order->prescribed_activity_bq = 7.4e9;
  order->admin_start = W0 + 4 * DAY + 11 * HOUR;
  order->admin_end = order->admin_start + 2 * HOUR;
  order->run_id = g_strdup ("run-3");
  order->status = BQ_ORDER_CONFIRMED;
  put (f->store, order);

  planner = planner_for (f, W0, 1);
  plan = propose (planner);
  /* run-3 is booked and makes 8 ≥ 6: both others go. */
  g_assert_cmpuint (bq_plan_get_n_changes (plan), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const BqPlanChange *change = bq_plan_get_change (plan, i);

      g_assert_cmpint (change->kind, ==, BQ_PLAN_CHANGE_REMOVE);
      g_assert_cmpstr (change->before->base.id, !=, "run-3");
      g_assert_cmpint (change->after->status, ==, BQ_RUN_CANCELLED);
      g_assert_nonnull (strstr (change->reason, "not needed"));
    }
}

/* --------------------------------------------------------------- moves */

static void
assert_refused (BqPlanner   *planner,
                const BqRun *run,
                const char  *line_id,
                gint64       start,
                BqPlanError  code,
                const char  *nick,
                const char  *words)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_planner_check_move (planner, run, line_id, start, &error));
  g_assert_error (error, BQ_PLAN_ERROR, (gint) code);
  g_assert_cmpstr (bq_plan_error_to_code (error), ==, nick);
  if (strstr (error->message, words) == NULL)
    g_error ("“%s” does not say “%s”", error->message, words);
}

static void
test_moves (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqRun) run = planned_run ("run-m", "line-a", W0 + DAY + 10 * HOUR - CET, 4);
  g_autoptr(BqRun) other = planned_run ("run-o", "line-b", W0 + DAY + 10 * HOUR - CET, 4);
  g_autoptr(BqRun) started = NULL;
  BqMaintenanceBlock *block = bq_maintenance_block_new ();
  BqOrder *order = bq_order_new ();
  gint64 tuesday_10 = W0 + DAY + 10 * HOUR - CET;

  put (f->store, bq_entity_copy (run));
  put (f->store, bq_entity_copy (other));
  bq_entity_set_id (block, "maint-b");
  block->line_id = g_strdup ("line-b");
  block->start_time = W0 + 3 * DAY - CET;      /* Thursday, all day */
  block->end_time = W0 + 4 * DAY - CET;
  block->reason = g_strdup ("Filter change");
  put (f->store, block);
  planner = planner_for (f, W0, 1);

  /* Allowed: Tuesday 14:00 on its own line. */
  g_assert_true (bq_planner_check_move (planner, run, "line-a", tuesday_10 + 4 * HOUR, &error));
  g_assert_no_error (error);

  assert_refused (planner, run, "line-b", tuesday_10 + 2 * HOUR, BQ_PLAN_ERROR_LINE_BUSY,
                  "line_busy", "run-o");
  assert_refused (planner, run, "line-a", W0 + 5 * DAY + 10 * HOUR - CET,
                  BQ_PLAN_ERROR_CALENDAR_CLOSED, "calendar_closed", "closed");
  assert_refused (planner, run, "line-a", tuesday_10 + 10 * HOUR,   /* 20:00–23:00 */
                  BQ_PLAN_ERROR_CALENDAR_CLOSED, "calendar_closed", "shift");
  assert_refused (planner, run, "line-b", W0 + 3 * DAY + 10 * HOUR - CET,
                  BQ_PLAN_ERROR_MAINTENANCE, "maintenance", "Filter change");
  /* Friday 06:00 is 46 h after Wednesday's isotope; Monday 07:00 before
   * Monday's. */
  assert_refused (planner, run, "line-a", W0 + 4 * DAY + 6 * HOUR - CET,
                  BQ_PLAN_ERROR_NO_SUPPLY, "no_isotope_supply", "Lu-177");
  assert_refused (planner, run, "line-a", W0 + 7 * HOUR - CET,
                  BQ_PLAN_ERROR_NO_SUPPLY, "no_isotope_supply", "Mon, Wed");
  assert_refused (planner, run, "line-c", tuesday_10 + 4 * HOUR,
                  BQ_PLAN_ERROR_WRONG_PRODUCT, "line_not_for_product", "Line C");

  /* 4 doses of 7.4 GBq booked for Wednesday noon: 4 × 7.4 × 2^{23h/T½}
   * = 32.7 GBq at Tuesday 13:00 EOS; the run makes 34 GBq.  From Monday
   * 10:00 (EOS 13:00) the doses decay 24 h more: 36.3 GBq. */
  run->activity_eos_bq = 34e9;
  order->base.id = g_strdup ("order-m");
  order->centre_id = g_strdup ("centre-t");
  order->product_id = g_strdup ("product-lu");
  order->patient_ref = g_strdup ("PT-0002");
  order->prescribed_activity_bq = 4 * 7.4e9;
  order->admin_start = W0 + 2 * DAY + 12 * HOUR - CET;
  order->admin_end = order->admin_start + 2 * HOUR;
  order->run_id = g_strdup ("run-m");
  order->status = BQ_ORDER_CONFIRMED;
  put (f->store, order);
  g_assert_true (bq_planner_check_move (planner, run, "line-a", tuesday_10 + 4 * HOUR, &error));
  g_assert_no_error (error);
  assert_refused (planner, run, "line-a", W0 + 10 * HOUR - CET,
                  BQ_PLAN_ERROR_ORDERS_INFEASIBLE, "orders_infeasible", "less than prescribed");
  /* Thursday: the doses would arrive after Wednesday's window. */
  assert_refused (planner, run, "line-a", W0 + 3 * DAY + 10 * HOUR - CET,
                  BQ_PLAN_ERROR_ORDERS_INFEASIBLE, "orders_infeasible", "after its administration");

  started = bq_entity_copy (run);
  started->status = BQ_RUN_SYNTHESIS;
  assert_refused (planner, started, "line-a", tuesday_10 + 4 * HOUR,
                  BQ_PLAN_ERROR_NOT_MOVABLE, "run_not_movable", "synthesis");
}

/* ------------------------------------------------------------ the demo */

static void
test_demo_plan (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (":memory:", &error);
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(BqPlan) again = NULL;
  g_autoptr(BqPlan) capacity = NULL;
  BqDemoOptions demo;
  BqPlanOptions options;

  bq_demo_options_init_default (&demo);
  demo.start = W0;
  g_assert_true (bq_demo_generate (store, &demo, &error));
  g_assert_no_error (error);

  /* The demo's own runs keep to the calendars, maintenance and supply. */
  assert_runs_respect_rules (store, W0, W0 + 12 * WEEK);

  bq_plan_options_init (&options);
  options.from = W0 + 2 * WEEK;
  options.weeks = 4;
  options.now = W0 + 15 * DAY + 7 * HOUR;   /* the demo's "now" */
  planner = bq_planner_new (store, &options);

  plan = propose (planner);
  g_assert_false (bq_plan_is_empty (plan));
  g_assert_cmpuint (bq_plan_get_n_capacity (plan), >=, 4 * 3);
  for (guint i = 0; i < bq_plan_get_n_capacity (plan); i++)
    {
      const BqPlanCapacity *row = bq_plan_get_capacity (plan, i);

      g_assert_cmpint (row->gap, ==, MAX (0, row->demand - row->capacity));
      g_assert_cmpint (row->capacity, <=, row->max_capacity);
    }

  /* Deterministic: the same proposal twice, as JSON. */
  {
    g_autoptr(BqPlan) twin = propose (planner);
    g_autoptr(JsonNode) a = bq_plan_to_json (plan);
    g_autoptr(JsonNode) b = bq_plan_to_json (twin);

    g_assert_true (json_node_equal (a, b));
  }

  g_assert_true (bq_planner_apply (planner, plan, &error));
  g_assert_no_error (error);
  assert_runs_respect_rules (store, options.from, options.from + 4 * WEEK);
  again = propose (planner);
  if (!bq_plan_is_empty (again))
    g_error ("planning again changes %s: %s", bq_plan_get_change (again, 0)->after->base.id,
             bq_plan_get_change (again, 0)->reason);

  capacity = bq_planner_capacity (planner, &error);
  g_assert_no_error (error);
  g_assert_true (bq_plan_is_empty (capacity));
  for (guint i = 0; i < bq_plan_get_n_capacity (capacity); i++)
    g_assert_cmpint (bq_plan_get_capacity (capacity, i)->capacity, ==,
                     bq_plan_get_capacity (plan, i)->capacity);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/plan/budget/hand-calculation", test_budget_hand);
  g_test_add ("/plan/propose/fits", Fixture, NULL, fixture_set_up, test_forecast_fits,
              fixture_tear_down);
  g_test_add ("/plan/propose/exceeds-capacity", Fixture, NULL, fixture_set_up,
              test_forecast_exceeds, fixture_tear_down);
  g_test_add ("/plan/propose/maintenance-moves-run", Fixture, NULL, fixture_set_up,
              test_maintenance_moves_run, fixture_tear_down);
  g_test_add ("/plan/propose/removes-unneeded", Fixture, NULL, fixture_set_up,
              test_removes_unneeded, fixture_tear_down);
  g_test_add ("/plan/move/refusals", Fixture, NULL, fixture_set_up, test_moves,
              fixture_tear_down);
  g_test_add_func ("/plan/demo/rules-idempotence-speed", test_demo_plan);

  return g_test_run ();
}
