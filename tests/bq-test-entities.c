/* bq-test-entities.c — sample entities shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include "bq-test-entities.h"

char **
bq_test_strv_new (const char *first,
          ...)
{
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
  va_list args;

  va_start (args, first);
  for (const char *s = first; s != NULL; s = va_arg (args, const char *))
    g_strv_builder_add (builder, s);
  va_end (args);
  return g_strv_builder_end (builder);
}

/* A valid entity of @type with every optional field set (@full) or left
 * unset.  Written out by hand, independently of the field tables. */
gpointer
bq_test_make_entity (const BqEntityType *type,
             gboolean            full)
{
  gpointer entity = bq_entity_new (type);

  BQ_ENTITY (entity)->id = g_strdup_printf ("%s-1", type->name);
  BQ_ENTITY (entity)->revision = full ? 7 : 0;

  if (type == &bq_site_type)
    {
      BqSite *site = entity;
      site->name = g_strdup ("Leiden");
      site->organisation = g_strdup ("Isotopia CDMO");
      site->city = full ? g_strdup ("Leiden") : NULL;
      site->country = g_strdup ("NL");
      site->timezone = g_strdup ("Europe/Amsterdam");
      site->latitude = 52.16;
      site->longitude = 4.49;
    }
  else if (type == &bq_line_type)
    {
      BqLine *line = entity;
      line->site_id = g_strdup ("site-1");
      line->name = g_strdup ("Hot cell 2");
      if (full)
        {
          const char *products[] = { "product-1", NULL };
          line->product_ids = g_strdupv ((char **) products);
          line->working_weekdays = 0x1f;
          line->shift_start_local = 6 * 60;
          line->shift_end_local = 22 * 60;
          line->changeover_s = HOUR;
        }
    }
  else if (type == &bq_product_type)
    {
      BqProduct *product = entity;
      product->name = g_strdup ("Lu-177-PSMA");
      product->nuclide = g_strdup ("Lu-177");
      product->dose_activity_bq = 7.4e9;
      product->tolerance = 0.1;
      product->concentration_bq_per_ml = 1e9;
      product->shelf_life_s = 120 * HOUR;
      product->synthesis_duration_s = 4 * HOUR;
      product->qc_duration_s = full ? 3 * HOUR : 0;
      if (full)
        {
          const char *tests[] = { "radiochemical_purity", "endotoxin", NULL };
          product->qc_release_tests = g_strdupv ((char **) tests);
          product->activity_margin = 0.1;
          product->supply_weekdays = 0x5;
          product->supply_arrival_local = 8 * 60;
          product->supply_window_s = 36 * HOUR;
          product->max_doses_per_run = 10;
          product->max_activity_eos_bq = 1e11;
          product->order_cutoff_s = 48 * HOUR;
          product->order_cutoff_weekday = 2;
          product->order_cutoff_local = 12 * 60;
          product->hold_duration_s = 20 * 60;
          product->slot_offering = BQ_SLOT_OFFERING_POOL;
        }
    }
  else if (type == &bq_centre_type)
    {
      BqCentre *centre = entity;
      centre->name = g_strdup ("Charité Nuklearmedizin");
      centre->city = full ? g_strdup ("Berlin") : NULL;
      centre->country = g_strdup ("DE");
      centre->region = g_strdup ("europe");
      centre->timezone = g_strdup ("Europe/Berlin");
      centre->latitude = 52.526;
      centre->longitude = 13.376;
      centre->order_cutoff_s = full ? 72 * HOUR : 0;
    }
  else if (type == &bq_hub_type)
    {
      BqHub *hub = entity;
      hub->code = g_strdup ("AMS");
      hub->name = g_strdup ("Schiphol");
      hub->timezone = g_strdup ("Europe/Amsterdam");
      hub->latitude = 52.31;
      hub->longitude = 4.76;
    }
  else if (type == &bq_run_type)
    {
      BqRun *run = entity;
      run->line_id = g_strdup ("line-1");
      run->product_id = g_strdup ("product-1");
      run->batch = g_strdup ("LY2-2612-01");
      run->start_time = T0;
      run->eos_time = T0 + 4 * HOUR;
      run->calibration_time = T0 + 28 * HOUR;
      run->activity_eos_bq = 8e10;
      run->dose_capacity = 8;
      run->status = full ? BQ_RUN_RELEASED : BQ_RUN_PLANNED;
    }
  else if (type == &bq_maintenance_block_type)
    {
      BqMaintenanceBlock *block = entity;
      block->line_id = g_strdup ("line-1");
      block->start_time = MONDAY;
      block->end_time = MONDAY + 10 * HOUR;
      block->reason = full ? g_strdup ("Annual requalification") : NULL;
    }
  else if (type == &bq_forecast_type)
    {
      BqForecast *forecast = entity;
      forecast->centre_id = g_strdup ("centre-1");
      forecast->product_id = g_strdup ("product-1");
      forecast->week_start = MONDAY;
      forecast->doses = 12;
    }
  else if (type == &bq_slot_type)
    {
      BqSlot *slot = entity;
      slot->run_id = g_strdup ("run-1");
      slot->centre_id = full ? g_strdup ("centre-1") : NULL;
      slot->region = g_strdup ("europe");
      slot->delivery_date = T0 + DAY;
      slot->capacity = 4;
      slot->claimed = full ? 1 : 0;
      slot->status = full ? BQ_SLOT_HELD : BQ_SLOT_OPEN;
      slot->hold_expires = full ? T0 + 2 * HOUR : BQ_TIME_UNSET;
      slot->held_by = full ? g_strdup ("user-1") : NULL;
      /* Doses held stay 0: the model tests fill the slot to capacity. */
      slot->order_cutoff = full ? T0 - DAY : BQ_TIME_UNSET;
    }
  else if (type == &bq_order_type)
    {
      BqOrder *order = entity;
      order->centre_id = g_strdup ("centre-1");
      order->product_id = g_strdup ("product-1");
      order->patient_ref = g_strdup ("PT-00042");
      order->prescribed_activity_bq = 7.4e9;
      order->admin_start = T0 + 30 * HOUR;
      order->admin_end = T0 + 34 * HOUR;
      order->slot_id = full ? g_strdup ("slot-1") : NULL;
      order->run_id = full ? g_strdup ("run-1") : NULL;
      order->shipment_id = full ? g_strdup ("shipment-1") : NULL;
      order->status = full ? BQ_ORDER_CONFIRMED : BQ_ORDER_REQUESTED;
    }
  else if (type == &bq_lane_type)
    {
      BqLane *lane = entity;
      lane->mode = BQ_LANE_FLIGHT;
      lane->origin_id = g_strdup ("hub-ams");
      lane->destination_id = g_strdup ("hub-fra");
      lane->carrier = g_strdup ("KL");
      lane->service = full ? g_strdup ("KL1771") : NULL;
      lane->weekdays = full ? 0x1f : 0;
      lane->departure_local = full ? 10 * 60 : 0;
      lane->duration_s = 75 * 60;
      lane->handling_s = full ? HOUR : 0;
      lane->valid_from = full ? MONDAY : BQ_TIME_UNSET;
      lane->valid_to = full ? MONDAY + 365 * DAY : BQ_TIME_UNSET;
      lane->class7_accepted = full;
    }
  else if (type == &bq_sla_type)
    {
      BqSla *sla = entity;
      sla->site_id = g_strdup ("site-1");
      sla->region = g_strdup ("europe");
      sla->max_door_to_door_s = 36 * HOUR;
      sla->min_before_admin_s = full ? HOUR : 0;
    }
  else if (type == &bq_shipment_type)
    {
      BqShipment *shipment = entity;
      shipment->run_id = g_strdup ("run-1");
      shipment->centre_id = g_strdup ("centre-1");
      shipment->status = full ? BQ_SHIPMENT_DELIVERED : BQ_SHIPMENT_PLANNED;
      shipment->planned_departure = T0 + 6 * HOUR;
      shipment->planned_arrival = T0 + 12 * HOUR;
      shipment->actual_departure = full ? T0 + 6 * HOUR + 300 : BQ_TIME_UNSET;
      shipment->actual_arrival = full ? T0 + 12 * HOUR + 900 : BQ_TIME_UNSET;
    }
  else if (type == &bq_shipment_leg_type)
    {
      BqShipmentLeg *leg = entity;
      leg->shipment_id = g_strdup ("shipment-1");
      leg->seq = full ? 1 : 0;
      leg->lane_id = g_strdup ("lane-1");
      leg->planned_departure = T0 + 7 * HOUR;
      leg->planned_arrival = T0 + 9 * HOUR;
      leg->actual_departure = full ? T0 + 7 * HOUR : BQ_TIME_UNSET;
      leg->actual_arrival = full ? T0 + 9 * HOUR + 600 : BQ_TIME_UNSET;
      leg->status = full ? BQ_LEG_ARRIVED : BQ_LEG_PLANNED;
    }
  else if (type == &bq_qc_result_type)
    {
      BqQcResult *qc = entity;
      qc->run_id = g_strdup ("run-1");
      qc->test = g_strdup ("radiochemical_purity");
      qc->status = full ? BQ_QC_PASS : BQ_QC_PENDING;
      qc->value = full ? 0.987 : NAN;
      qc->unit = full ? g_strdup ("fraction") : NULL;
      qc->recorded_at = T0 + 5 * HOUR;
    }
  else if (type == &bq_user_type)
    {
      BqUser *user = entity;
      user->username = g_strdup ("a.smith");
      user->display_name = full ? g_strdup ("Alice Smith") : NULL;
      user->role = full ? BQ_ROLE_ACCOUNT_MANAGER : BQ_ROLE_ADMIN;
      user->centre_ids = full ? bq_test_strv_new ("centre-1", "centre-2", NULL) : NULL;
      user->disabled = full;
    }
  else
    {
      g_assert_not_reached ();
    }
  return entity;
}
