/* test-slots.c — the slot engine: generation, feasibility, holds, claims,
 * re-allocation
 *
 * A small network: one site at Leiden with two lines, couriers on demand
 * to Berlin (8 h) and Munich (10 h); Lisbon is in the same region but no
 * lane reaches it.  Runs on Monday, calibrated Tuesday noon UTC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bq-core.h"

#define MINUTE G_GINT64_CONSTANT (60)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)

static gint64
utc (int year, int month, int day, int hour, int minute)
{
  g_autoptr(GDateTime) dt = g_date_time_new_utc (year, month, day, hour, minute, 0);
  return g_date_time_to_unix (dt);
}

/* Monday 2026-03-02. */
#define MONDAY utc (2026, 3, 2, 0, 0)

static void
put (BqStore *store, gpointer entity)
{
  g_autoptr(GError) error = NULL;

  if (!bq_store_put (store, entity, &error))
    g_error ("put %s: %s", bq_entity_get_id (entity), error->message);
  bq_entity_free (entity);
}

static BqCentre *
centre_new (const char *id, const char *name, const char *tz, double lat, double lon)
{
  BqCentre *c = bq_centre_new ();

  bq_entity_set_id (c, id);
  c->name = g_strdup (name);
  c->country = g_strdup ("DE");
  c->region = g_strdup ("europe");
  c->timezone = g_strdup (tz);
  c->latitude = lat;
  c->longitude = lon;
  return c;
}

static BqLane *
courier_new (const char *id, const char *to, gint64 duration)
{
  BqLane *lane = bq_lane_new ();

  bq_entity_set_id (lane, id);
  lane->mode = BQ_LANE_GROUND;
  lane->origin_id = g_strdup ("site-leiden");
  lane->destination_id = g_strdup (to);
  lane->carrier = g_strdup ("Courier");
  lane->duration_s = duration;
  lane->handling_s = 30 * MINUTE;
  lane->class7_accepted = TRUE;
  return lane;
}

static BqRun *
run_new (const char *id, const char *line, gint64 start, gint64 capacity)
{
  const BqNuclide *lu = bq_nuclide_lookup ("Lu-177", NULL);
  BqRun *run = bq_run_new ();

  bq_entity_set_id (run, id);
  run->line_id = g_strdup (line);
  run->product_id = g_strdup ("product-lu");
  run->batch = g_strdup_printf ("B-%s", id + 4);
  run->start_time = start;
  run->eos_time = start + 3 * HOUR;
  run->calibration_time = MONDAY + DAY + 12 * HOUR;
  run->dose_capacity = capacity;
  /* Each dose is 7.4 GBq at calibration, 10 % over. */
  run->activity_eos_bq = capacity * 7.4e9 * 1.1 /
                         bq_decay_activity_at (lu, 1.0,
                                               (double) (run->calibration_time - run->eos_time));
  run->status = BQ_RUN_PLANNED;
  return run;
}

static void
add_forecast (BqStore *store, const char *centre, gint64 doses)
{
  BqForecast *f = bq_forecast_new ();

  f->base.id = g_strdup_printf ("fc-%s", centre);
  f->centre_id = g_strdup (centre);
  f->product_id = g_strdup ("product-lu");
  f->week_start = MONDAY;
  f->doses = doses;
  put (store, f);
}

static void
fill_network (BqStore           *store,
              BqSlotOffering     offering,
              gint64             cutoff_s)
{
  BqSite *site = bq_site_new ();
  BqLine *line;
  BqProduct *p = bq_product_new ();
  BqSla *sla = bq_sla_new ();
  const char *users[] = { "user-am1", "user-am2" };

  bq_entity_set_id (site, "site-leiden");
  site->name = g_strdup ("Leiden");
  site->organisation = g_strdup ("Isotopia");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  site->latitude = 52.16;
  site->longitude = 4.49;
  put (store, site);
  for (guint i = 1; i <= 2; i++)
    {
      line = bq_line_new ();
      line->base.id = g_strdup_printf ("line-%u", i);
      line->site_id = g_strdup ("site-leiden");
      line->name = g_strdup_printf ("Hot cell %u", i);
      put (store, line);
    }

  bq_entity_set_id (p, "product-lu");
  p->name = g_strdup ("Lu-177 PSMA");
  p->nuclide = g_strdup ("Lu-177");
  p->dose_activity_bq = 7.4e9;
  p->tolerance = 0.10;
  p->concentration_bq_per_ml = 1e9;
  p->shelf_life_s = 120 * HOUR;
  p->synthesis_duration_s = 3 * HOUR;
  p->qc_duration_s = 2 * HOUR;
  p->slot_offering = offering;
  p->order_cutoff_s = cutoff_s;
  put (store, p);

  put (store, centre_new ("centre-berlin", "Berlin", "Europe/Berlin", 52.5, 13.4));
  put (store, centre_new ("centre-munich", "Munich", "Europe/Berlin", 48.1, 11.6));
  put (store, centre_new ("centre-lisbon", "Lisbon", "Europe/Lisbon", 38.7, -9.1));
  put (store, courier_new ("lane-ber", "centre-berlin", 8 * HOUR));
  put (store, courier_new ("lane-muc", "centre-munich", 10 * HOUR));

  bq_entity_set_id (sla, "sla-eu");
  sla->site_id = g_strdup ("site-leiden");
  sla->region = g_strdup ("europe");
  sla->max_door_to_door_s = 24 * HOUR;
  sla->min_before_admin_s = HOUR;
  put (store, sla);

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      BqUser *u = bq_user_new ();

      bq_entity_set_id (u, users[i]);
      u->username = g_strdup (users[i] + 5);
      u->role = BQ_ROLE_ACCOUNT_MANAGER;
      put (store, u);
    }
  add_forecast (store, "centre-berlin", 3);
  add_forecast (store, "centre-munich", 1);
  /* Synthesis 06:00–09:00 UTC Monday, out at 11:30. */
  put (store, run_new ("run-a", "line-1", MONDAY + 6 * HOUR, 4));
}

typedef struct {
  BqStore      *store;
  BqSlotEngine *engine;
} Fixture;

static void
fixture_setup (Fixture *f, BqSlotOffering offering, gint64 cutoff_s)
{
  g_autoptr(GError) error = NULL;

  f->store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);
  fill_network (f->store, offering, cutoff_s);
  f->engine = bq_slot_engine_new (f->store);
}

static void
fixture_teardown (Fixture *f)
{
  g_clear_object (&f->engine);
  g_clear_object (&f->store);
}

static BqSlotSync *
generate (Fixture *f)
{
  g_autoptr(GError) error = NULL;
  BqSlotSync *sync = bq_slot_engine_generate (f->engine, MONDAY, MONDAY + 7 * DAY, MONDAY,
                                              &error);
  g_assert_no_error (error);
  g_assert_nonnull (sync);
  return sync;
}

static BqSlot *
get_slot (Fixture *f, const char *id)
{
  g_autoptr(GError) error = NULL;
  BqSlot *slot = bq_store_get (f->store, &bq_slot_type, id, &error);

  g_assert_no_error (error);
  return slot;
}

static BqOrder *
order_new (const char *centre, const char *ref, double activity, gint64 start, gint64 end)
{
  BqOrder *order = bq_order_new ();

  order->centre_id = g_strdup (centre);
  order->product_id = g_strdup ("product-lu");
  order->patient_ref = g_strdup (ref);
  order->prescribed_activity_bq = activity;
  order->admin_start = start;
  order->admin_end = end;
  order->status = BQ_ORDER_REQUESTED;
  return order;
}

/* Tuesday 09:00–12:00 UTC: after the Monday 20:00 arrival in Berlin. */
#define TUE_START (MONDAY + DAY + 9 * HOUR)
#define TUE_END   (MONDAY + DAY + 12 * HOUR)

static BqSlotMatch *
match (Fixture *f, const char *centre, double activity, gint64 start, gint64 end, gint64 now)
{
  g_autoptr(GError) error = NULL;
  BqSlotRequest request;
  BqSlotMatch *m;

  bq_slot_request_init (&request);
  request.centre_id = centre;
  request.product_id = "product-lu";
  request.prescribed_bq = activity;
  request.admin_start = start;
  request.admin_end = end;
  request.now = now;
  m = bq_slot_engine_match (f->engine, &request, &error);
  g_assert_no_error (error);
  g_assert_nonnull (m);
  return m;
}

static gboolean
has_reason (GPtrArray *options, BqSlotReason reason)
{
  for (guint i = 0; i < options->len; i++)
    if (((BqSlotOption *) g_ptr_array_index (options, i))->reason == reason)
      return TRUE;
  return FALSE;
}

/* ----------------------------------------------------------------- tests */

static void
test_generate_quotas (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlotSync) again = NULL;
  g_autoptr(BqSlot) ber = NULL;
  g_autoptr(BqSlot) muc = NULL;
  g_autoptr(BqSlot) pool = NULL;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);
  /* 4 doses: a quarter in the pool, 3 by forecast 3:1. */
  g_assert_cmpuint (sync->n_added, ==, 3);
  ber = get_slot (&f, "slot-run-a-centre-berlin");
  muc = get_slot (&f, "slot-run-a-centre-munich");
  pool = get_slot (&f, "slot-run-a-pool-europe");
  g_assert_cmpint (ber->capacity, ==, 2);
  g_assert_cmpint (muc->capacity, ==, 1);
  g_assert_cmpint (pool->capacity, ==, 1);
  g_assert_null (pool->centre_id);
  /* Arrives Monday 22:00 CET: Tuesday's delivery. */
  g_assert_cmpint (ber->delivery_date, ==, MONDAY + DAY);
  g_assert_cmpint (ber->order_cutoff, ==, BQ_TIME_UNSET);

  again = generate (&f);
  g_assert_cmpuint (again->n_added + again->n_updated + again->n_released, ==, 0);
  g_assert_cmpuint (again->n_unchanged, ==, 3);
  fixture_teardown (&f);
}

static void
test_generate_pool (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlot) pool = NULL;

  fixture_setup (&f, BQ_SLOT_OFFERING_POOL, 0);
  sync = generate (&f);
  g_assert_cmpuint (sync->n_added, ==, 1);
  pool = get_slot (&f, "slot-run-a-pool-europe");
  g_assert_cmpint (pool->capacity, ==, 4);
  fixture_teardown (&f);
}

static void
test_feasibility (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlotMatch) ok = NULL;
  g_autoptr(BqSlotMatch) late = NULL;
  g_autoptr(BqSlotMatch) weak = NULL;
  g_autoptr(BqSlotMatch) far = NULL;
  const BqSlotOption *best;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);

  ok = match (&f, "centre-berlin", 7.4e9, TUE_START, TUE_END, MONDAY);
  g_assert_cmpuint (ok->feasible->len, ==, 2);
  best = bq_slot_match_best (ok);
  /* The centre's own quota before the pool. */
  g_assert_cmpstr (best->slot->base.id, ==, "slot-run-a-centre-berlin");
  g_assert_cmpint (best->administration, ==, TUE_START);
  g_assert_cmpfloat (best->activity_bq, >=, best->needed_bq);
  g_assert_cmpfloat_with_epsilon (best->needed_bq, 6.66e9, 1e3);
  g_assert_nonnull (strstr (best->summary, "(needs ≥ 6.66)"));
  g_assert_nonnull (strstr (best->summary, "CET Tue"));
  g_assert_nonnull (strstr (best->summary, "route courier"));
  g_assert_nonnull (strstr (best->summary, "arrives"));

  /* A window before the dose can arrive. */
  late = match (&f, "centre-berlin", 7.4e9, MONDAY + 14 * HOUR, MONDAY + 18 * HOUR, MONDAY);
  g_assert_cmpuint (late->feasible->len, ==, 0);
  g_assert_true (has_reason (late->infeasible, BQ_SLOT_TOO_LATE));

  /* More than a dose of this run can have. */
  weak = match (&f, "centre-berlin", 10e9, TUE_START, TUE_END, MONDAY);
  g_assert_cmpuint (weak->feasible->len, ==, 0);
  g_assert_true (has_reason (weak->infeasible, BQ_SLOT_TOO_LITTLE_ACTIVITY));

  /* Lisbon has no quota, and no lane reaches it from the pool's site. */
  far = match (&f, "centre-lisbon", 7.4e9, TUE_START, TUE_END, MONDAY);
  g_assert_cmpuint (far->feasible->len, ==, 0);
  g_assert_cmpuint (far->infeasible->len, ==, 1);
  g_assert_true (has_reason (far->infeasible, BQ_SLOT_TOO_FAR));
  {
    g_autoptr(JsonNode) node = bq_slot_match_to_json (far);
    g_autofree char *text = json_to_string (node, FALSE);

    g_assert_nonnull (strstr (text, "\"reason\":\"too_far\""));
  }
  fixture_teardown (&f);
}

static void
test_cutoff (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlotMatch) before = NULL;
  g_autoptr(BqSlotMatch) after = NULL;
  g_autoptr(BqSlot) ber = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  gint64 calibration = MONDAY + DAY + 12 * HOUR;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 48 * HOUR);
  sync = generate (&f);
  ber = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (ber->order_cutoff, ==, calibration - 48 * HOUR);

  before = match (&f, "centre-berlin", 7.4e9, TUE_START, TUE_END, calibration - 49 * HOUR);
  g_assert_cmpuint (before->feasible->len, ==, 2);
  after = match (&f, "centre-berlin", 7.4e9, TUE_START, TUE_END, calibration - 47 * HOUR);
  g_assert_cmpuint (after->feasible->len, ==, 0);
  g_assert_true (has_reason (after->infeasible, BQ_SLOT_AFTER_CUTOFF));

  order = order_new ("centre-berlin", "PT-1001", 7.4e9, TUE_START, TUE_END);
  g_assert_false (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", order, NULL,
                                        calibration - 47 * HOUR, &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_AFTER_CUTOFF);
  g_assert_cmpstr (bq_slot_error_to_code (error), ==, "after_cutoff");
  g_assert_null (order->base.id);
  fixture_teardown (&f);
}

static void
test_weekday_cutoff (void)
{
  Fixture f;
  g_autoptr(BqProduct) p = NULL;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(GError) error = NULL;
  gint64 cutoff;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 7 * DAY);
  p = bq_store_get (f.store, &bq_product_type, "product-lu", &error);
  p->order_cutoff_weekday = 3;              /* Wednesday */
  p->order_cutoff_local = 12 * 60;
  g_assert_true (bq_store_put (f.store, p, &error));
  bq_slot_engine_invalidate (f.engine);
  run = bq_store_get (f.store, &bq_run_type, "run-a", &error);
  /* Calibration Tue 3 March; a week before is Tue 24 Feb; the Wednesday
   * before that, 12:00 CET. */
  cutoff = bq_slot_engine_cutoff_for (f.engine, run, "centre-berlin", &error);
  g_assert_no_error (error);
  g_assert_cmpint (cutoff, ==, utc (2026, 2, 18, 11, 0));
  fixture_teardown (&f);
}

static void
test_hold_expiry (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = MONDAY - 3 * DAY, expires = 0;
  guint n = 0;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);
  /* Munich's quota has one dose: am1 holds it. */
  g_assert_true (bq_slot_engine_hold (f.engine, "slot-run-a-centre-munich", "user-am1", now,
                                      &expires, &error));
  g_assert_no_error (error);
  g_assert_cmpint (expires, ==, now + 15 * MINUTE);
  slot = get_slot (&f, "slot-run-a-centre-munich");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_HELD);
  g_assert_cmpint (slot->held, ==, 1);
  g_clear_pointer (&slot, bq_entity_free);

  g_assert_false (bq_slot_engine_hold (f.engine, "slot-run-a-centre-munich", "user-am2", now,
                                       NULL, &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_HELD_BY_OTHER);
  g_clear_error (&error);

  order = order_new ("centre-munich", "PT-2001", 7.4e9, TUE_START, TUE_END);
  g_assert_false (bq_slot_engine_claim (f.engine, "slot-run-a-centre-munich", order, "user-am2",
                                        now + 5 * MINUTE, &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_HELD_BY_OTHER);
  g_clear_error (&error);

  /* Nothing expires early. */
  g_assert_true (bq_slot_engine_expire_holds (f.engine, now + 14 * MINUTE, &n, &error));
  g_assert_cmpuint (n, ==, 0);
  g_assert_true (bq_slot_engine_expire_holds (f.engine, now + 16 * MINUTE, &n, &error));
  g_assert_cmpuint (n, ==, 1);
  slot = get_slot (&f, "slot-run-a-centre-munich");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_OPEN);
  g_assert_cmpint (slot->held, ==, 0);
  g_assert_null (slot->held_by);
  g_clear_pointer (&slot, bq_entity_free);

  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-munich", order, "user-am2",
                                       now + 17 * MINUTE, &error));
  g_assert_no_error (error);
  slot = get_slot (&f, "slot-run-a-centre-munich");
  g_assert_cmpint (slot->claimed, ==, 1);
  g_assert_cmpint (slot->status, ==, BQ_SLOT_CLAIMED);
  fixture_teardown (&f);
}

static void
test_hold_converts (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  gint64 now = MONDAY - 3 * DAY;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);
  g_assert_true (bq_slot_engine_hold (f.engine, "slot-run-a-centre-munich", "user-am1", now,
                                      NULL, &error));
  order = order_new ("centre-munich", "PT-2002", 7.4e9, TUE_START, TUE_END);
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-munich", order, "user-am1",
                                       now + MINUTE, &error));
  g_assert_no_error (error);
  slot = get_slot (&f, "slot-run-a-centre-munich");
  g_assert_cmpint (slot->claimed, ==, 1);
  g_assert_cmpint (slot->held, ==, 0);
  g_assert_null (slot->held_by);
  g_assert_cmpint (slot->status, ==, BQ_SLOT_CLAIMED);
  fixture_teardown (&f);
}

static void
test_claim_cycle (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqOrder) a = order_new ("centre-berlin", "PT-3001", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) b = order_new ("centre-berlin", "PT-3002", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) c = order_new ("centre-berlin", "PT-3003", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) wrong = order_new ("centre-munich", "PT-3004", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) stored = NULL;
  gint64 now = MONDAY - 3 * DAY;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", a, NULL, now, &error));
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", b, NULL, now, &error));
  g_assert_no_error (error);
  g_assert_nonnull (a->base.id);
  g_assert_cmpstr (a->slot_id, ==, "slot-run-a-centre-berlin");
  g_assert_cmpstr (a->run_id, ==, "run-a");

  g_assert_false (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", c, NULL, now,
                                        &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_SOLD_OUT);
  g_assert_cmpstr (bq_slot_error_to_code (error), ==, "sold_out");
  g_clear_error (&error);

  /* Munich's order is not Berlin's to take. */
  g_assert_false (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", wrong, NULL, now,
                                        &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INFEASIBLE);
  g_clear_error (&error);

  /* Confirming both confirms the slot; cancelling one gives its dose back. */
  g_assert_true (bq_slot_engine_confirm (f.engine, a->base.id, &error));
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_CLAIMED);
  g_clear_pointer (&slot, bq_entity_free);
  g_assert_true (bq_slot_engine_confirm (f.engine, b->base.id, &error));
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_CONFIRMED);
  g_clear_pointer (&slot, bq_entity_free);

  g_assert_true (bq_slot_engine_cancel (f.engine, b->base.id, &error));
  g_assert_no_error (error);
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->claimed, ==, 1);
  g_clear_pointer (&slot, bq_entity_free);
  stored = bq_store_get (f.store, &bq_order_type, b->base.id, &error);
  g_assert_cmpint (stored->status, ==, BQ_ORDER_CANCELLED);

  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", c, NULL, now, &error));
  g_assert_no_error (error);

  /* Reschedule a to the pool: Berlin's quota gets a dose back. */
  g_assert_true (bq_slot_engine_reschedule (f.engine, a->base.id, "slot-run-a-pool-europe",
                                            BQ_TIME_UNSET, BQ_TIME_UNSET, NULL, now, &error));
  g_assert_no_error (error);
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->claimed, ==, 1);
  g_clear_pointer (&slot, bq_entity_free);
  slot = get_slot (&f, "slot-run-a-pool-europe");
  g_assert_cmpint (slot->claimed, ==, 1);
  g_clear_pointer (&slot, bq_entity_free);

  /* Shipping needs every claim confirmed. */
  g_assert_false (bq_slot_engine_ship (f.engine, "slot-run-a-pool-europe", &error));
  g_assert_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE);
  g_clear_error (&error);
  g_assert_true (bq_slot_engine_confirm (f.engine, a->base.id, &error));
  g_assert_true (bq_slot_engine_ship (f.engine, "slot-run-a-pool-europe", &error));
  slot = get_slot (&f, "slot-run-a-pool-europe");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_SHIPPED);
  fixture_teardown (&f);
}

/* Two connections to one file, each in its own thread, race for the
 * Berlin quota's two doses and the pool's one. */
typedef struct {
  const char *path;
  const char *slot_id;
  guint       attempts;
  guint       won;
  guint       sold_out;
  guint       thread;
  GError     *error;
} Racer;

static gpointer
race (gpointer data)
{
  Racer *r = data;
  g_autoptr(BqStore) store = bq_store_open (r->path, &r->error);
  g_autoptr(BqSlotEngine) engine = NULL;

  if (store == NULL)
    return NULL;
  engine = bq_slot_engine_new (store);
  for (guint i = 0; i < r->attempts; i++)
    {
      g_autofree char *ref = g_strdup_printf ("PT-%u%03u", r->thread, i);
      g_autoptr(BqOrder) order = order_new ("centre-berlin", ref, 7.4e9, TUE_START, TUE_END);
      g_autoptr(GError) error = NULL;

      if (bq_slot_engine_claim (engine, r->slot_id, order, NULL, MONDAY - DAY, &error))
        r->won++;
      else if (g_error_matches (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_SOLD_OUT))
        r->sold_out++;
      else if (r->error == NULL)
        r->error = g_steal_pointer (&error);
    }
  return NULL;
}

static void
test_claim_race (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bq-slots-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "race.db", NULL);
  g_autoptr(GError) error = NULL;
  Racer racers[4];
  GThread *threads[G_N_ELEMENTS (racers)];
  guint won = 0, sold_out = 0;

  {
    g_autoptr(BqStore) store = bq_store_open (path, &error);
    g_autoptr(BqSlotEngine) engine = NULL;
    g_autoptr(BqSlotSync) sync = NULL;

    g_assert_no_error (error);
    fill_network (store, BQ_SLOT_OFFERING_POOL, 0);
    engine = bq_slot_engine_new (store);
    sync = bq_slot_engine_generate (engine, MONDAY, MONDAY + 7 * DAY, MONDAY, &error);
    g_assert_no_error (error);
  }

  for (guint i = 0; i < G_N_ELEMENTS (racers); i++)
    {
      racers[i] = (Racer) { path, "slot-run-a-pool-europe", 6, 0, 0, i, NULL };
      threads[i] = g_thread_new ("racer", race, &racers[i]);
    }
  for (guint i = 0; i < G_N_ELEMENTS (racers); i++)
    {
      g_thread_join (threads[i]);
      g_assert_no_error (racers[i].error);
      won += racers[i].won;
      sold_out += racers[i].sold_out;
    }
  /* Exactly the pool's 4 doses were sold, once each. */
  g_assert_cmpuint (won, ==, 4);
  g_assert_cmpuint (sold_out, ==, 4 * 6 - 4);
  {
    g_autoptr(BqStore) store = bq_store_open (path, &error);
    g_autoptr(BqSlot) slot = bq_store_get (store, &bq_slot_type, "slot-run-a-pool-europe", &error);
    g_autoptr(BqQuery) q = bq_query_new (&bq_order_type);
    g_autoptr(GPtrArray) orders = NULL;

    bq_query_where_equals (q, "slot_id", "slot-run-a-pool-europe");
    orders = bq_store_query (store, q, &error);
    g_assert_cmpint (slot->claimed, ==, 4);
    g_assert_cmpuint (orders->len, ==, 4);
  }
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);

    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }
}

static void
test_reallocate_failed_run (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlotSync) after_fail = NULL;
  g_autoptr(BqSlotReallocation) plan = NULL;
  g_autoptr(BqSlotReallocation) done = NULL;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqOrder) a = order_new ("centre-berlin", "PT-4001", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) b = order_new ("centre-munich", "PT-4002", 7.4e9, TUE_START, TUE_END);
  g_autoptr(BqOrder) moved = NULL;
  gint64 now = MONDAY - DAY;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  /* A second run on the other line, two hours later. */
  put (f.store, run_new ("run-b", "line-2", MONDAY + 8 * HOUR, 4));
  sync = generate (&f);
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", a, NULL, now, &error));
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-munich", b, NULL, now, &error));
  g_assert_no_error (error);

  run = bq_store_get (f.store, &bq_run_type, "run-a", &error);
  run->status = BQ_RUN_FAILED;
  g_assert_true (bq_store_put (f.store, run, &error));

  after_fail = bq_slot_engine_reconcile_run (f.engine, "run-a", now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (after_fail->n_released, ==, 3);
  g_assert_cmpuint (after_fail->infeasible_orders->len, ==, 2);

  plan = bq_slot_engine_affected_orders (f.engine, "run-a", now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (plan->orders->len, ==, 2);
  for (guint i = 0; i < plan->orders->len; i++)
    {
      const BqSlotAffectedOrder *o = g_ptr_array_index (plan->orders, i);
      const BqSlotOption *best;

      g_assert_cmpuint (o->alternatives->len, >, 0);
      best = g_ptr_array_index (o->alternatives, 0);
      g_assert_cmpstr (best->run_id, ==, "run-b");
    }

  done = bq_slot_engine_reallocate (f.engine, "run-a", now, &error);
  g_assert_no_error (error);
  g_assert_true (done->applied);
  g_assert_cmpuint (done->n_moved, ==, 2);
  g_assert_cmpuint (done->n_unplaced, ==, 0);
  moved = bq_store_get (f.store, &bq_order_type, a->base.id, &error);
  g_assert_cmpstr (moved->run_id, ==, "run-b");
  g_assert_cmpstr (moved->slot_id, ==, "slot-run-b-centre-berlin");
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->status, ==, BQ_SLOT_RELEASED);
  g_assert_cmpint (slot->claimed, ==, 0);
  g_clear_pointer (&slot, bq_entity_free);
  slot = get_slot (&f, "slot-run-b-centre-munich");
  g_assert_cmpint (slot->claimed, ==, 1);
  {
    g_autoptr(JsonNode) node = bq_slot_reallocation_to_json (done);
    g_autofree char *text = json_to_string (node, FALSE);

    g_assert_nonnull (strstr (text, "\"moved\":2"));
  }
  fixture_teardown (&f);
}

static void
test_reconcile_after_move (void)
{
  Fixture f;
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(BqSlotSync) moved = NULL;
  g_autoptr(BqSlotSync) again = NULL;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqOrder) a = order_new ("centre-berlin", "PT-5001", 7.4e9, TUE_START, TUE_END);
  gint64 now = MONDAY - DAY;

  fixture_setup (&f, BQ_SLOT_OFFERING_QUOTA, 0);
  sync = generate (&f);
  g_assert_true (bq_slot_engine_claim (f.engine, "slot-run-a-centre-berlin", a, NULL, now, &error));
  g_assert_no_error (error);

  /* The run moves a day later and shrinks to 2 doses. */
  run = bq_store_get (f.store, &bq_run_type, "run-a", &error);
  run->start_time += DAY;
  run->eos_time += DAY;
  run->calibration_time += DAY;
  run->dose_capacity = 2;
  g_assert_true (bq_store_put (f.store, run, &error));

  moved = bq_slot_engine_reconcile_run (f.engine, "run-a", now, &error);
  g_assert_no_error (error);
  slot = get_slot (&f, "slot-run-a-centre-berlin");
  g_assert_cmpint (slot->delivery_date, ==, MONDAY + 2 * DAY);
  /* Never below what is claimed. */
  g_assert_cmpint (slot->claimed, ==, 1);
  g_assert_cmpint (slot->capacity, >=, 1);
  /* The Tuesday order now comes too late. */
  g_assert_cmpuint (moved->infeasible_orders->len, ==, 1);
  g_assert_cmpint (((BqSlotInfeasibleOrder *) g_ptr_array_index (moved->infeasible_orders, 0))->reason,
                   ==, BQ_SLOT_TOO_LATE);
  {
    gint64 total = 0;

    for (guint i = 0; i < moved->slots->len; i++)
      {
        const BqSlot *s = g_ptr_array_index (moved->slots, i);

        if (s->status != BQ_SLOT_RELEASED)
          total += s->capacity;
      }
    g_assert_cmpint (total, ==, 2);
  }

  again = bq_slot_engine_reconcile_run (f.engine, "run-a", now, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (again->n_added + again->n_updated + again->n_released, ==, 0);
  fixture_teardown (&f);
}

int
main (int argc, char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/slot-engine/generate/quotas", test_generate_quotas);
  g_test_add_func ("/slot-engine/generate/pool", test_generate_pool);
  g_test_add_func ("/slot-engine/generate/reconcile-after-move", test_reconcile_after_move);
  g_test_add_func ("/slot-engine/match/feasibility", test_feasibility);
  g_test_add_func ("/slot-engine/match/after-cutoff", test_cutoff);
  g_test_add_func ("/slot-engine/cutoff/weekday", test_weekday_cutoff);
  g_test_add_func ("/slot-engine/hold/expiry", test_hold_expiry);
  g_test_add_func ("/slot-engine/hold/converts-to-claim", test_hold_converts);
  g_test_add_func ("/slot-engine/claim/cycle", test_claim_cycle);
  g_test_add_func ("/slot-engine/claim/race", test_claim_race);
  g_test_add_func ("/slot-engine/reallocate/failed-run", test_reallocate_failed_run);
  return g_test_run ();
}
