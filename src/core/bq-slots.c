/* bq-slots.c — the slot engine
 *
 * Capacity changes are conditional UPDATEs on the slots table, checked
 * with sqlite3_changes(), inside the store's write transaction (BEGIN
 * IMMEDIATE), so two connections racing for the last dose cannot both
 * win.  The row is then read back and written once more through
 * bq_store_put(), which stamps it with a revision for the change feed and
 * refreshes its summary status.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-decay.h"
#include "bq-json.h"
#include "bq-nuclide.h"
#include "bq-slots.h"
#include "bq-store-private.h"
#include "bq-units.h"

#define MINUTE            G_GINT64_CONSTANT (60)
#define HOUR              (60 * MINUTE)
#define DAY               (24 * HOUR)
#define DEFAULT_HOLD_S    (15 * MINUTE)
#define PACKING_S         (30 * MINUTE)   /* end of QC to dispatch, as the planner */
#define READY_WINDOW_S    DAY             /* a dose may wait this long at the site */
#define LATE_DELIVERY_LOCAL (17 * 60)     /* checked in after this: next day's slot */
#define ROUTER_MARGIN_S   (3 * DAY)
#define ROUTER_MAX_S      (400 * DAY)

G_DEFINE_QUARK (bq-slot-error-quark, bq_slot_error)

static const char * const error_codes[] = {
  [BQ_SLOT_ERROR_SOLD_OUT] = "sold_out",
  [BQ_SLOT_ERROR_HELD_BY_OTHER] = "held_by_other",
  [BQ_SLOT_ERROR_AFTER_CUTOFF] = "after_cutoff",
  [BQ_SLOT_ERROR_INFEASIBLE] = "infeasible",
  [BQ_SLOT_ERROR_CLOSED] = "slot_closed",
  [BQ_SLOT_ERROR_NOT_FOUND] = "not_found",
  [BQ_SLOT_ERROR_WRONG_STATE] = "wrong_state",
  [BQ_SLOT_ERROR_INVALID] = "invalid",
};

const char *
bq_slot_error_to_code (const GError *error)
{
  if (error == NULL || error->domain != BQ_SLOT_ERROR ||
      error->code < 0 || error->code >= (int) G_N_ELEMENTS (error_codes))
    return NULL;
  return error_codes[error->code];
}

static const char * const reason_nicks[] = {
  [BQ_SLOT_OK] = "ok",
  [BQ_SLOT_CLOSED] = "closed",
  [BQ_SLOT_AFTER_CUTOFF] = "after_cutoff",
  [BQ_SLOT_SOLD_OUT] = "sold_out",
  [BQ_SLOT_HELD_BY_OTHER] = "held_by_other",
  [BQ_SLOT_TOO_FAR] = "too_far",
  [BQ_SLOT_TOO_LATE] = "too_late",
  [BQ_SLOT_TOO_LITTLE_ACTIVITY] = "too_little_activity",
};

const char *
bq_slot_reason_to_nick (BqSlotReason reason)
{
  g_return_val_if_fail ((guint) reason < G_N_ELEMENTS (reason_nicks), NULL);
  return reason_nicks[reason];
}

static BqSlotError
reason_to_error (BqSlotReason reason)
{
  switch (reason)
    {
    case BQ_SLOT_CLOSED: return BQ_SLOT_ERROR_CLOSED;
    case BQ_SLOT_AFTER_CUTOFF: return BQ_SLOT_ERROR_AFTER_CUTOFF;
    case BQ_SLOT_SOLD_OUT: return BQ_SLOT_ERROR_SOLD_OUT;
    case BQ_SLOT_HELD_BY_OTHER: return BQ_SLOT_ERROR_HELD_BY_OTHER;
    case BQ_SLOT_OK:
    case BQ_SLOT_TOO_FAR:
    case BQ_SLOT_TOO_LATE:
    case BQ_SLOT_TOO_LITTLE_ACTIVITY:
    default:
      return BQ_SLOT_ERROR_INFEASIBLE;
    }
}

static gint64
clock_now (gint64 now)
{
  return now != BQ_TIME_UNSET ? now : g_get_real_time () / G_USEC_PER_SEC;
}

/* ------------------------------------------------------------ plain data */

void
bq_slot_request_init (BqSlotRequest *request)
{
  g_return_if_fail (request != NULL);

  memset (request, 0, sizeof *request);
  request->prescribed_bq = NAN;
  request->admin_start = BQ_TIME_UNSET;
  request->admin_end = BQ_TIME_UNSET;
  request->now = BQ_TIME_UNSET;
}

static BqSlotOption *
option_new (const BqSlot *slot)
{
  BqSlotOption *option = g_new0 (BqSlotOption, 1);

  option->slot = bq_entity_copy (slot);
  option->pool = slot->centre_id == NULL;
  option->cutoff = slot->order_cutoff;
  option->calibration = BQ_TIME_UNSET;
  option->arrival = BQ_TIME_UNSET;
  option->administration = BQ_TIME_UNSET;
  option->activity_bq = NAN;
  option->needed_bq = NAN;
  return option;
}

void
bq_slot_option_free (BqSlotOption *option)
{
  if (option == NULL)
    return;
  bq_entity_free (option->slot);
  g_free (option->run_id);
  g_free (option->batch);
  g_free (option->site_id);
  g_free (option->product_id);
  g_clear_pointer (&option->route, bq_route_unref);
  g_free (option->summary);
  g_free (option);
}

JsonNode *
bq_slot_option_to_json (const BqSlotOption *option)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  const BqSlot *slot;
  const BqField *status;

  g_return_val_if_fail (option != NULL, NULL);

  slot = option->slot;
  status = bq_entity_type_get_field (&bq_slot_type, "status");
  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "slot_id", slot->base.id);
  bq_json_add_string_member (builder, "run_id", option->run_id);
  bq_json_add_string_member (builder, "batch", option->batch);
  bq_json_add_string_member (builder, "site_id", option->site_id);
  bq_json_add_string_member (builder, "product_id", option->product_id);
  bq_json_add_string_member (builder, "centre_id", slot->centre_id);
  bq_json_add_string_member (builder, "region", slot->region);
  json_builder_set_member_name (builder, "pool");
  json_builder_add_boolean_value (builder, option->pool);
  bq_json_add_time_member (builder, "delivery_date", slot->delivery_date);
  bq_json_add_int_member (builder, "capacity", slot->capacity);
  bq_json_add_int_member (builder, "claimed", slot->claimed);
  bq_json_add_int_member (builder, "held", slot->held);
  bq_json_add_int_member (builder, "remaining", option->remaining);
  bq_json_add_string_member (builder, "status", bq_enum_to_nick (status, slot->status));
  bq_json_add_time_member (builder, "cutoff", option->cutoff);
  bq_json_add_time_member (builder, "calibration", option->calibration);
  json_builder_set_member_name (builder, "feasible");
  json_builder_add_boolean_value (builder, option->reason == BQ_SLOT_OK);
  bq_json_add_string_member (builder, "reason", bq_slot_reason_to_nick (option->reason));
  bq_json_add_string_member (builder, "summary", option->summary);
  bq_json_add_time_member (builder, "arrival", option->arrival);
  bq_json_add_time_member (builder, "administration", option->administration);
  bq_json_add_double_member (builder, "activity_bq", option->activity_bq);
  bq_json_add_double_member (builder, "needed_bq", option->needed_bq);
  json_builder_set_member_name (builder, "route");
  if (option->route != NULL)
    json_builder_add_value (builder, bq_route_to_json (option->route));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

void
bq_slot_match_free (BqSlotMatch *match)
{
  if (match == NULL)
    return;
  g_free (match->centre_id);
  g_free (match->product_id);
  g_clear_pointer (&match->feasible, g_ptr_array_unref);
  g_clear_pointer (&match->infeasible, g_ptr_array_unref);
  g_free (match);
}

const BqSlotOption *
bq_slot_match_best (const BqSlotMatch *match)
{
  g_return_val_if_fail (match != NULL, NULL);
  return match->feasible->len > 0 ? g_ptr_array_index (match->feasible, 0) : NULL;
}

static void
add_options (JsonBuilder *builder,
             const char  *name,
             GPtrArray   *options)
{
  json_builder_set_member_name (builder, name);
  json_builder_begin_array (builder);
  for (guint i = 0; options != NULL && i < options->len; i++)
    json_builder_add_value (builder, bq_slot_option_to_json (g_ptr_array_index (options, i)));
  json_builder_end_array (builder);
}

JsonNode *
bq_slot_match_to_json (const BqSlotMatch *match)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (match != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "centre_id", match->centre_id);
  bq_json_add_string_member (builder, "product_id", match->product_id);
  bq_json_add_double_member (builder, "prescribed_bq", match->prescribed_bq);
  bq_json_add_double_member (builder, "needed_bq", match->needed_bq);
  bq_json_add_time_member (builder, "admin_start", match->admin_start);
  bq_json_add_time_member (builder, "admin_end", match->admin_end);
  add_options (builder, "feasible", match->feasible);
  add_options (builder, "infeasible", match->infeasible);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
infeasible_order_free (BqSlotInfeasibleOrder *o)
{
  g_free (o->order_id);
  g_free (o->slot_id);
  g_free (o->run_id);
  g_free (o->message);
  g_free (o);
}

static BqSlotSync *
sync_new (void)
{
  BqSlotSync *sync = g_new0 (BqSlotSync, 1);

  sync->slots = g_ptr_array_new_with_free_func (bq_entity_free);
  sync->infeasible_orders = g_ptr_array_new_with_free_func ((GDestroyNotify) infeasible_order_free);
  return sync;
}

void
bq_slot_sync_free (BqSlotSync *sync)
{
  if (sync == NULL)
    return;
  g_clear_pointer (&sync->slots, g_ptr_array_unref);
  g_clear_pointer (&sync->infeasible_orders, g_ptr_array_unref);
  g_free (sync);
}

JsonNode *
bq_slot_sync_to_json (const BqSlotSync *sync)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (sync != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_int_member (builder, "added", sync->n_added);
  bq_json_add_int_member (builder, "updated", sync->n_updated);
  bq_json_add_int_member (builder, "released", sync->n_released);
  bq_json_add_int_member (builder, "unchanged", sync->n_unchanged);
  json_builder_set_member_name (builder, "slots");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sync->slots->len; i++)
    json_builder_add_value (builder, bq_entity_to_json (g_ptr_array_index (sync->slots, i)));
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "infeasible_orders");
  json_builder_begin_array (builder);
  for (guint i = 0; i < sync->infeasible_orders->len; i++)
    {
      const BqSlotInfeasibleOrder *o = g_ptr_array_index (sync->infeasible_orders, i);

      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "order_id", o->order_id);
      bq_json_add_string_member (builder, "slot_id", o->slot_id);
      bq_json_add_string_member (builder, "run_id", o->run_id);
      bq_json_add_string_member (builder, "reason", bq_slot_reason_to_nick (o->reason));
      bq_json_add_string_member (builder, "message", o->message);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

static void
affected_order_free (BqSlotAffectedOrder *a)
{
  bq_entity_free (a->order);
  g_clear_pointer (&a->alternatives, g_ptr_array_unref);
  g_free (a->new_slot_id);
  g_free (a->message);
  g_free (a);
}

void
bq_slot_reallocation_free (BqSlotReallocation *r)
{
  if (r == NULL)
    return;
  g_free (r->run_id);
  g_clear_pointer (&r->orders, g_ptr_array_unref);
  g_free (r);
}

JsonNode *
bq_slot_reallocation_to_json (const BqSlotReallocation *r)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (r != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "run_id", r->run_id);
  json_builder_set_member_name (builder, "applied");
  json_builder_add_boolean_value (builder, r->applied);
  bq_json_add_int_member (builder, "moved", r->n_moved);
  bq_json_add_int_member (builder, "unplaced", r->n_unplaced);
  json_builder_set_member_name (builder, "orders");
  json_builder_begin_array (builder);
  for (guint i = 0; i < r->orders->len; i++)
    {
      const BqSlotAffectedOrder *a = g_ptr_array_index (r->orders, i);

      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "order_id", a->order->base.id);
      bq_json_add_string_member (builder, "centre_id", a->order->centre_id);
      bq_json_add_string_member (builder, "patient_ref", a->order->patient_ref);
      bq_json_add_time_member (builder, "admin_start", a->order->admin_start);
      bq_json_add_string_member (builder, "old_slot_id", a->order->slot_id);
      bq_json_add_string_member (builder, "new_slot_id", a->new_slot_id);
      bq_json_add_string_member (builder, "message", a->message);
      add_options (builder, "alternatives", a->alternatives);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* ----------------------------------------------------------------- engine */

struct _BqSlotEngine {
  GObject     parent_instance;

  BqStore    *store;

  gboolean    loaded;
  GHashTable *products;   /* id → BqProduct (owned) */
  GHashTable *centres;    /* id → BqCentre */
  GHashTable *sites;
  GHashTable *lines;
  GHashTable *zones;      /* IANA id → GTimeZone */
  GPtrArray  *centre_list;   /* borrowed from centres, by id */
  GPtrArray  *slas;
  GPtrArray  *forecasts;

  BqRouter   *router;
  gint64      router_from;
  gint64      router_to;

  /* check_serves(): verdict key → Evaluation, each computed from the
   * reference data and router above and one revision of a run, so it
   * goes whenever they do. */
  GHashTable *verdicts;
};

G_DEFINE_FINAL_TYPE (BqSlotEngine, bq_slot_engine, G_TYPE_OBJECT)

static void
clear_reference (BqSlotEngine *self)
{
  self->loaded = FALSE;
  g_clear_pointer (&self->centre_list, g_ptr_array_unref);
  g_clear_pointer (&self->products, g_hash_table_unref);
  g_clear_pointer (&self->centres, g_hash_table_unref);
  g_clear_pointer (&self->sites, g_hash_table_unref);
  g_clear_pointer (&self->lines, g_hash_table_unref);
  g_clear_pointer (&self->slas, g_ptr_array_unref);
  g_clear_pointer (&self->forecasts, g_ptr_array_unref);
  g_clear_object (&self->router);
  if (self->verdicts != NULL)
    g_hash_table_remove_all (self->verdicts);
}

static void
bq_slot_engine_finalize (GObject *object)
{
  BqSlotEngine *self = BQ_SLOT_ENGINE (object);

  clear_reference (self);
  g_clear_pointer (&self->verdicts, g_hash_table_unref);
  g_clear_pointer (&self->zones, g_hash_table_unref);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bq_slot_engine_parent_class)->finalize (object);
}

static void
bq_slot_engine_class_init (BqSlotEngineClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bq_slot_engine_finalize;
}

static void
bq_slot_engine_init (BqSlotEngine *self)
{
  self->zones = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                       (GDestroyNotify) g_time_zone_unref);
}

BqSlotEngine *
bq_slot_engine_new (BqStore *store)
{
  BqSlotEngine *self;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);

  self = g_object_new (BQ_TYPE_SLOT_ENGINE, NULL);
  self->store = g_object_ref (store);
  return self;
}

BqStore *
bq_slot_engine_get_store (BqSlotEngine *self)
{
  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  return self->store;
}

void
bq_slot_engine_invalidate (BqSlotEngine *self)
{
  g_return_if_fail (BQ_IS_SLOT_ENGINE (self));
  clear_reference (self);
}

static GHashTable *
index_by_id (GPtrArray *entities)
{
  GHashTable *table = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bq_entity_free);

  for (guint i = 0; i < entities->len; i++)
    {
      gpointer e = g_ptr_array_index (entities, i);
      g_hash_table_insert (table, BQ_ENTITY (e)->id, e);
    }
  g_ptr_array_set_free_func (entities, NULL);
  return table;
}

static gboolean
ensure_loaded (BqSlotEngine  *self,
               GError       **error)
{
  const BqEntityType *types[] = { &bq_product_type, &bq_centre_type, &bq_site_type,
                                  &bq_line_type };
  GHashTable **tables[] = { &self->products, &self->centres, &self->sites, &self->lines };

  if (self->loaded)
    return TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    {
      g_autoptr(GPtrArray) list = bq_store_list (self->store, types[i], error);

      if (list == NULL)
        {
          clear_reference (self);
          return FALSE;
        }
      if (types[i] == &bq_centre_type)
        {
          self->centre_list = g_ptr_array_new ();
          for (guint k = 0; k < list->len; k++)
            g_ptr_array_add (self->centre_list, g_ptr_array_index (list, k));
        }
      *tables[i] = index_by_id (list);
    }
  self->slas = bq_store_list (self->store, &bq_sla_type, error);
  if (self->slas == NULL)
    {
      clear_reference (self);
      return FALSE;
    }
  self->forecasts = bq_store_list (self->store, &bq_forecast_type, error);
  if (self->forecasts == NULL)
    {
      clear_reference (self);
      return FALSE;
    }
  self->loaded = TRUE;
  return TRUE;
}

/* The router must cover departures from @from to arrivals by @to. */
static gboolean
ensure_router (BqSlotEngine  *self,
               gint64         from,
               gint64         to,
               GError       **error)
{
  gint64 start, end;

  if (self->router != NULL && from >= self->router_from && to <= self->router_to)
    return TRUE;

  start = from - ROUTER_MARGIN_S;
  end = to + ROUTER_MARGIN_S;
  /* Grow the one we have when that stays within the router's limit, so a
   * sweep over many runs builds it once. */
  if (self->router != NULL)
    {
      gint64 s = MIN (start, self->router_from), e = MAX (end, self->router_to);

      if (e - s <= ROUTER_MAX_S)
        start = s, end = e;
    }
  if (end - start > ROUTER_MAX_S)
    end = start + ROUTER_MAX_S;
  g_clear_object (&self->router);
  if (self->verdicts != NULL)
    g_hash_table_remove_all (self->verdicts);  /* judged with the old one */
  self->router = bq_router_new_from_store (self->store, start, end, error);
  if (self->router == NULL)
    return FALSE;
  self->router_from = start;
  self->router_to = end;
  return TRUE;
}

static GTimeZone *
zone (BqSlotEngine *self,
      const char   *identifier)
{
  GTimeZone *tz;

  if (identifier == NULL)
    identifier = "UTC";
  tz = g_hash_table_lookup (self->zones, identifier);
  if (tz == NULL)
    {
      tz = bq_units_timezone_or_utc (identifier);
      g_hash_table_insert (self->zones, g_strdup (identifier), tz);
    }
  return tz;
}

static char *
format_local (BqSlotEngine *self,
              const char   *timezone,
              gint64        t,
              const char   *format)
{
  return bq_units_format_local (zone (self, timezone), t, format);
}

/* 00:00 UTC of the local calendar date of @t. */
static gint64
local_date (BqSlotEngine *self,
            const char   *timezone,
            gint64        t,
            int          *minutes)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, zone (self, timezone));
  g_autoptr(GDateTime) date = g_date_time_new_utc (g_date_time_get_year (local),
                                                   g_date_time_get_month (local),
                                                   g_date_time_get_day_of_month (local),
                                                   0, 0, 0);

  if (minutes != NULL)
    *minutes = g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local);
  return g_date_time_to_unix (date);
}

/* ----------------------------------------------------------- run context */

typedef struct {
  BqRun           *run;       /* owned */
  const BqProduct *product;
  const BqSite    *site;
  const BqNuclide *nuclide;
  gint64           dispatch;
  double           dose_eos_bq;
} RunCtx;

static void
run_ctx_free (RunCtx *ctx)
{
  if (ctx == NULL)
    return;
  bq_entity_free (ctx->run);
  g_free (ctx);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (RunCtx, run_ctx_free)

static RunCtx *
run_ctx_new (BqSlotEngine  *self,
             BqRun         *run,   /* taken */
             GError       **error)
{
  g_autoptr(RunCtx) ctx = g_new0 (RunCtx, 1);
  const BqLine *line;

  ctx->run = run;
  ctx->product = g_hash_table_lookup (self->products, run->product_id);
  line = g_hash_table_lookup (self->lines, run->line_id);
  ctx->site = line != NULL ? g_hash_table_lookup (self->sites, line->site_id) : NULL;
  if (ctx->product == NULL || ctx->site == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND,
                   "Run “%s”: its product or site is unknown", run->base.id);
      return NULL;
    }
  ctx->nuclide = bq_nuclide_lookup (ctx->product->nuclide, error);
  if (ctx->nuclide == NULL)
    return NULL;
  ctx->dispatch = run->eos_time + ctx->product->qc_duration_s + PACKING_S;
  if (run->activity_eos_bq > 0 && run->dose_capacity > 0)
    {
      ctx->dose_eos_bq = run->activity_eos_bq / (double) run->dose_capacity;
    }
  else
    {
      double f = bq_decay_activity_at (ctx->nuclide, 1.0,
                                       (double) (run->calibration_time - run->eos_time));
      ctx->dose_eos_bq = ctx->product->dose_activity_bq / f;
    }
  return g_steal_pointer (&ctx);
}

static RunCtx *
load_run_ctx (BqSlotEngine  *self,
              const char    *run_id,
              GError       **error)
{
  g_autoptr(GError) local_error = NULL;
  BqRun *run = bq_store_get (self->store, &bq_run_type, run_id, &local_error);

  if (run == NULL)
    {
      if (g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No run “%s”", run_id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return NULL;
    }
  return run_ctx_new (self, run, error);
}

static gboolean
run_is_dead (const BqRun *run)
{
  return run->status == BQ_RUN_FAILED || run->status == BQ_RUN_CANCELLED;
}

static const BqSla *
find_sla (BqSlotEngine *self,
          const char   *site_id,
          const char   *region)
{
  for (guint i = 0; i < self->slas->len; i++)
    {
      const BqSla *sla = g_ptr_array_index (self->slas, i);

      if (g_strcmp0 (sla->site_id, site_id) == 0 && g_strcmp0 (sla->region, region) == 0)
        return sla;
    }
  return NULL;
}

/* A site serves the regions it has an SLA for, every region when it has none. */
static gboolean
site_serves (BqSlotEngine *self,
             const char   *site_id,
             const char   *region)
{
  gboolean any = FALSE;

  for (guint i = 0; i < self->slas->len; i++)
    {
      const BqSla *sla = g_ptr_array_index (self->slas, i);

      if (g_strcmp0 (sla->site_id, site_id) != 0)
        continue;
      any = TRUE;
      if (g_strcmp0 (sla->region, region) == 0)
        return TRUE;
    }
  return !any;
}

/* ------------------------------------------------------------------ cut-off */

gint64
bq_slot_cutoff (const BqProduct *product,
                const BqCentre  *centre,
                const char      *site_timezone,
                gint64           calibration)
{
  gint64 rule_s, t;

  g_return_val_if_fail (product != NULL, BQ_TIME_UNSET);

  rule_s = centre != NULL && centre->order_cutoff_s > 0 ? centre->order_cutoff_s
                                                        : product->order_cutoff_s;
  if (rule_s == 0 && product->order_cutoff_weekday == 0)
    return BQ_TIME_UNSET;
  t = calibration - rule_s;
  if (product->order_cutoff_weekday > 0)
    {
      g_autoptr(GTimeZone) tz = bq_units_timezone_or_utc (site_timezone);
      g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
      g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
      /* Walk back to the last such weekday at that time, at or before t. */
      for (int back = 0; back <= 7; back++)
        {
          g_autoptr(GDateTime) day = g_date_time_add_days (local, -back);
          g_autoptr(GDateTime) at = NULL;

          if (g_date_time_get_day_of_week (day) != (int) product->order_cutoff_weekday)
            continue;
          at = g_date_time_new (tz, g_date_time_get_year (day), g_date_time_get_month (day),
                                g_date_time_get_day_of_month (day),
                                (int) (product->order_cutoff_local / 60),
                                (int) (product->order_cutoff_local % 60), 0);
          if (g_date_time_to_unix (at) <= t)
            return g_date_time_to_unix (at);
        }
      return t - 7 * DAY;
    }
  return t;
}

static gint64
cutoff_for (BqSlotEngine    *self,
            const RunCtx    *ctx,
            const BqCentre  *centre)
{
  return bq_slot_cutoff (ctx->product, centre, ctx->site->timezone,
                         ctx->run->calibration_time);
}

gint64
bq_slot_engine_cutoff_for (BqSlotEngine  *self,
                           const BqRun   *run,
                           const char    *centre_id,
                           GError       **error)
{
  g_autoptr(RunCtx) ctx = NULL;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), BQ_TIME_UNSET);
  g_return_val_if_fail (run != NULL, BQ_TIME_UNSET);

  if (!ensure_loaded (self, error))
    return BQ_TIME_UNSET;
  ctx = run_ctx_new (self, bq_entity_copy (run), error);
  if (ctx == NULL)
    return BQ_TIME_UNSET;
  return cutoff_for (self, ctx,
                     centre_id != NULL ? g_hash_table_lookup (self->centres, centre_id) : NULL);
}

/* ------------------------------------------------------------ evaluation */

typedef struct {
  BqSlotReason reason;
  BqRoute     *route;
  gint64       arrival;
  gint64       administration;
  double       activity_bq;
  char        *message;   /* for the infeasible */
} Evaluation;

static void
evaluation_free (Evaluation *e)
{
  if (e == NULL)
    return;
  g_clear_pointer (&e->route, bq_route_unref);
  g_free (e->message);
  g_free (e);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Evaluation, evaluation_free)

/* Whether a dose of the run reaches @centre for the window with enough
 * activity.  Without a window (generation): whether it arrives within
 * shelf life with at least the product's dose less tolerance. */
static Evaluation *
evaluate (BqSlotEngine    *self,
          const RunCtx    *ctx,
          const BqCentre  *centre,
          double           prescribed_bq,
          gint64           admin_start,
          gint64           admin_end,
          GError         **error)
{
  g_autoptr(Evaluation) e = g_new0 (Evaluation, 1);
  g_autoptr(GPtrArray) routes = NULL;
  const BqProduct *p = ctx->product;
  BqRouteQuery query;
  BqRoute *best;
  gint64 expiry = ctx->run->calibration_time + p->shelf_life_s;
  double needed;

  e->arrival = e->administration = BQ_TIME_UNSET;
  e->activity_bq = NAN;
  if (isnan (prescribed_bq))
    prescribed_bq = p->dose_activity_bq;
  needed = prescribed_bq * (1.0 - p->tolerance);

  if (!site_serves (self, ctx->site->base.id, centre->region))
    {
      e->reason = BQ_SLOT_TOO_FAR;
      e->message = g_strdup_printf ("too far: %s does not serve %s", ctx->site->name,
                                    centre->region);
      return g_steal_pointer (&e);
    }
  if (!ensure_router (self, ctx->dispatch - DAY,
                      MAX (expiry, admin_end != BQ_TIME_UNSET ? admin_end : expiry) + DAY,
                      error))
    return NULL;

  bq_route_query_init (&query);
  query.from_id = ctx->site->base.id;
  query.to_id = centre->base.id;
  query.depart_after = ctx->dispatch;
  query.window_s = READY_WINDOW_S;
  query.product = p;
  query.activity_bq = ctx->dose_eos_bq;
  query.activity_time = ctx->run->eos_time;
  query.prescribed_bq = prescribed_bq;
  query.admin_start = admin_start;
  query.admin_end = admin_end;
  routes = bq_router_find_routes (self->router, &query, error);
  if (routes == NULL)
    return NULL;
  if (routes->len == 0)
    {
      e->reason = BQ_SLOT_TOO_FAR;
      e->message = g_strdup_printf ("too far: no route from %s reaches %s",
                                    ctx->site->name, centre->name);
      return g_steal_pointer (&e);
    }

  best = bq_route_list_best (routes);
  if (best == NULL)
    {
      /* The infeasible ones come by arrival: the first says most. */
      BqRoute *r = g_ptr_array_index (routes, 0);

      e->route = bq_route_ref (r);
      e->arrival = r->arrival;
      e->administration = r->administration;
      e->activity_bq = r->activity_administration_bq;
      switch (r->reason)
        {
        case BQ_ROUTE_OVER_SLA:
        case BQ_ROUTE_NO_ROUTE:
          e->reason = BQ_SLOT_TOO_FAR;
          e->message = g_strdup_printf ("too far: %s", r->message);
          break;
        case BQ_ROUTE_BELOW_ACTIVITY:
          e->reason = BQ_SLOT_TOO_LITTLE_ACTIVITY;
          e->message = g_strdup_printf ("too little activity: %s", r->message);
          break;
        case BQ_ROUTE_OK:
        case BQ_ROUTE_LEG_CANCELLED:
        case BQ_ROUTE_TOO_LATE:
        default:
          e->reason = BQ_SLOT_TOO_LATE;
          e->message = g_strdup_printf ("too late: %s", r->message);
          break;
        }
      return g_steal_pointer (&e);
    }

  e->route = bq_route_ref (best);
  e->arrival = best->arrival;
  e->administration = best->administration;
  e->activity_bq = best->activity_administration_bq;

  if (admin_start == BQ_TIME_UNSET)
    {
      /* Generation: the dose must still be a dose when it arrives. */
      if (best->activity_arrival_bq < needed)
        {
          e->reason = BQ_SLOT_TOO_LITTLE_ACTIVITY;
          e->message = g_strdup ("too little activity left on arrival");
          return g_steal_pointer (&e);
        }
      if (best->arrival > expiry)
        {
          e->reason = BQ_SLOT_TOO_LATE;
          e->message = g_strdup ("too late: arrives past the shelf life");
          return g_steal_pointer (&e);
        }
    }
  else if (e->administration > expiry)
    {
      g_autofree char *when = format_local (self, centre->timezone, expiry, "%a %H:%M %Z");

      e->reason = BQ_SLOT_TOO_LATE;
      e->message = g_strdup_printf ("too late: the dose expires %s, before the window", when);
      return g_steal_pointer (&e);
    }
  e->reason = BQ_SLOT_OK;
  return g_steal_pointer (&e);
}

static char *
route_text (const BqRoute *route)
{
  GString *s = g_string_new (NULL);

  for (guint i = 0; i < route->legs->len; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);

      if (i > 0)
        g_string_append (s, " + ");
      if (leg->mode == BQ_LANE_FLIGHT || leg->mode == BQ_LANE_CHARTER)
        g_string_append (s, leg->service != NULL ? leg->service : leg->carrier);
      else if (leg->mode == BQ_LANE_HANDOVER)
        g_string_append (s, "handover");
      else
        g_string_append (s, "courier");
    }
  return g_string_free (s, FALSE);
}

/* "7.61 GBq" and "6.66": the needed activity in the same unit, bare. */
static char *
bare_number (const char *formatted,
             const char *reference)
{
  const char *unit = strrchr (formatted, ' ');
  const char *ref_unit = strrchr (reference, ' ');

  if (unit != NULL && ref_unit != NULL && strcmp (unit, ref_unit) == 0)
    return g_strndup (formatted, unit - formatted);
  return g_strdup (formatted);
}

static void
fill_summary (BqSlotEngine   *self,
              BqSlotOption   *option,
              const RunCtx   *ctx,
              const BqCentre *centre,
              const char     *message)
{
  g_autofree char *batch_day = format_local (self, ctx->site->timezone, ctx->run->start_time, "%a");

  if (option->reason != BQ_SLOT_OK)
    {
      option->summary = g_strdup_printf ("%s (run %s %s)", message, ctx->run->batch, batch_day);
      return;
    }
  {
    g_autofree char *activity = bq_units_format_activity (option->activity_bq,
                                                          BQ_ACTIVITY_UNIT_AUTO);
    g_autofree char *needed_full = bq_units_format_activity (option->needed_bq,
                                                             BQ_ACTIVITY_UNIT_AUTO);
    g_autofree char *needed = bare_number (needed_full, activity);
    g_autofree char *at = format_local (self, centre->timezone, option->administration,
                                        "%H:%M %Z %a");
    g_autofree char *legs = route_text (option->route);
    g_autofree char *arrives = NULL;
    int day_a = 0, day_b = 0;

    local_date (self, centre->timezone, option->arrival, &day_a);
    if (local_date (self, centre->timezone, option->arrival, NULL) ==
        local_date (self, centre->timezone, option->administration, &day_b))
      arrives = format_local (self, centre->timezone, option->arrival, "%H:%M");
    else
      arrives = format_local (self, centre->timezone, option->arrival, "%a %H:%M");
    option->summary = g_strdup_printf ("%s at %s (needs ≥ %s), run %s %s, route %s, arrives %s%s",
                                       activity, at, needed, ctx->run->batch, batch_day, legs,
                                       arrives, option->pool ? ", regional pool" : "");
  }
}

/* Others' live hold, and what is left to @user_id. */
static gint64
remaining_for (const BqSlot *slot,
               const char   *user_id,
               gint64        now,
               gint64       *others_held)
{
  gint64 held = 0;

  if (slot->held > 0 && slot->hold_expires > now && g_strcmp0 (slot->held_by, user_id) != 0)
    held = slot->held;
  if (others_held != NULL)
    *others_held = held;
  return MAX (0, slot->capacity - slot->claimed - held);
}

/* The booking rules that need no route: status, cut-off, capacity. */
static BqSlotReason
booking_reason (BqSlotEngine *self,
                const BqSlot *slot,
                const RunCtx *ctx,
                const char   *timezone,
                const char   *user_id,
                gint64        now,
                gint64       *remaining,
                char        **message)
{
  gint64 others_held;
  gint64 left = remaining_for (slot, user_id, now, &others_held);

  *remaining = left;
  if (slot->status == BQ_SLOT_RELEASED || slot->status == BQ_SLOT_SHIPPED ||
      (ctx != NULL && run_is_dead (ctx->run)))
    {
      if (message)
        *message = g_strdup_printf ("closed: %s",
                                    ctx != NULL && ctx->run->status == BQ_RUN_FAILED
                                      ? "the run failed"
                                      : ctx != NULL && ctx->run->status == BQ_RUN_CANCELLED
                                      ? "the run was cancelled"
                                      : slot->status == BQ_SLOT_SHIPPED ? "the doses have shipped"
                                                                        : "the slot was released");
      return BQ_SLOT_CLOSED;
    }
  if (slot->order_cutoff != BQ_TIME_UNSET && now >= slot->order_cutoff)
    {
      if (message)
        {
          g_autofree char *when = format_local (self, timezone, slot->order_cutoff,
                                                "%a %d %b %H:%M %Z");
          *message = g_strdup_printf ("after cut-off: ordering closed %s", when);
        }
      return BQ_SLOT_AFTER_CUTOFF;
    }
  if (left <= 0)
    {
      if (others_held > 0 && slot->claimed < slot->capacity)
        {
          if (message)
            {
              g_autofree char *until = format_local (self, timezone, slot->hold_expires,
                                                     "%H:%M %Z");
              *message = g_strdup_printf ("held by another user until %s", until);
            }
          return BQ_SLOT_HELD_BY_OTHER;
        }
      if (message)
        *message = g_strdup_printf ("sold out: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT
                                    " doses claimed", slot->claimed, slot->capacity);
      return BQ_SLOT_SOLD_OUT;
    }
  return BQ_SLOT_OK;
}

/* --------------------------------------------------------------- matching */

static int
compare_feasible (gconstpointer a,
                  gconstpointer b)
{
  const BqSlotOption *x = *(BqSlotOption * const *) a;
  const BqSlotOption *y = *(BqSlotOption * const *) b;

  if (x->administration != y->administration)
    return x->administration < y->administration ? -1 : 1;
  if (x->pool != y->pool)
    return x->pool ? 1 : -1;
  if (x->activity_bq != y->activity_bq)
    return x->activity_bq > y->activity_bq ? -1 : 1;
  return strcmp (x->slot->base.id, y->slot->base.id);
}

static int
compare_by_date (gconstpointer a,
                 gconstpointer b)
{
  const BqSlotOption *x = *(BqSlotOption * const *) a;
  const BqSlotOption *y = *(BqSlotOption * const *) b;

  if (x->slot->delivery_date != y->slot->delivery_date)
    return x->slot->delivery_date < y->slot->delivery_date ? -1 : 1;
  return strcmp (x->slot->base.id, y->slot->base.id);
}

/* The centre's quotas and its region's pools delivered in [from, to). */
static GPtrArray *
candidate_slots (BqSlotEngine    *self,
                 const BqCentre  *centre,
                 gint64           from,
                 gint64           to,
                 GError         **error)
{
  g_autoptr(BqQuery) q1 = bq_query_new (&bq_slot_type);
  g_autoptr(BqQuery) q2 = bq_query_new (&bq_slot_type);
  g_autoptr(GPtrArray) own = NULL;
  g_autoptr(GPtrArray) region = NULL;

  bq_query_where_equals (q1, "centre_id", centre->base.id);
  bq_query_where_range (q1, "delivery_date", from, to);
  own = bq_store_query (self->store, q1, error);
  if (own == NULL)
    return NULL;
  bq_query_where_equals (q2, "region", centre->region);
  bq_query_where_range (q2, "delivery_date", from, to);
  region = bq_store_query (self->store, q2, error);
  if (region == NULL)
    return NULL;
  for (guint i = 0; i < region->len; i++)
    {
      BqSlot *slot = g_ptr_array_index (region, i);

      if (slot->centre_id == NULL)
        g_ptr_array_add (own, g_ptr_array_steal_index_fast (region, i--));
    }
  return g_steal_pointer (&own);
}

static RunCtx *
cached_run (BqSlotEngine  *self,
            GHashTable    *cache,
            const char    *run_id,
            GError       **error)
{
  RunCtx *ctx = g_hash_table_lookup (cache, run_id);

  if (ctx == NULL)
    {
      ctx = load_run_ctx (self, run_id, error);
      if (ctx == NULL)
        return NULL;
      g_hash_table_insert (cache, ctx->run->base.id, ctx);
    }
  return ctx;
}

static BqSlotOption *
judge (BqSlotEngine        *self,
       const BqSlot        *slot,
       const RunCtx        *ctx,
       const BqCentre      *centre,
       const BqSlotRequest *request,
       gint64               now,
       GHashTable          *evaluations,   /* run id → Evaluation, or NULL */
       GError             **error)
{
  g_autoptr(BqSlotOption) option = option_new (slot);
  g_autofree char *message = NULL;
  double prescribed = !isnan (request->prescribed_bq) ? request->prescribed_bq
                                                      : ctx->product->dose_activity_bq;

  option->run_id = g_strdup (ctx->run->base.id);
  option->batch = g_strdup (ctx->run->batch);
  option->site_id = g_strdup (ctx->site->base.id);
  option->product_id = g_strdup (ctx->product->base.id);
  option->calibration = ctx->run->calibration_time;
  option->needed_bq = prescribed * (1.0 - ctx->product->tolerance);
  option->reason = booking_reason (self, slot, ctx, centre->timezone, request->user_id, now,
                                   &option->remaining, &message);
  if (option->reason == BQ_SLOT_OK)
    {
      Evaluation *e = evaluations ? g_hash_table_lookup (evaluations, ctx->run->base.id) : NULL;
      g_autoptr(Evaluation) owned = NULL;

      if (e == NULL)
        {
          owned = evaluate (self, ctx, centre, prescribed, request->admin_start,
                            request->admin_end, error);
          if (owned == NULL)
            return NULL;
          e = owned;
          if (evaluations != NULL)
            g_hash_table_insert (evaluations, ctx->run->base.id, g_steal_pointer (&owned));
        }
      option->reason = e->reason;
      option->route = e->route ? bq_route_ref (e->route) : NULL;
      option->arrival = e->arrival;
      option->administration = e->administration;
      option->activity_bq = e->activity_bq;
      if (e->reason != BQ_SLOT_OK)
        message = g_strdup (e->message);
    }
  fill_summary (self, option, ctx, centre, message);
  return g_steal_pointer (&option);
}

static gboolean
check_request (const BqSlotRequest *request,
               GError             **error)
{
  if (request->centre_id == NULL || request->product_id == NULL ||
      request->admin_start == BQ_TIME_UNSET || request->admin_end == BQ_TIME_UNSET ||
      request->admin_end < request->admin_start ||
      (!isnan (request->prescribed_bq) && !(request->prescribed_bq > 0)))
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INVALID,
                   "An order request needs a centre, a product, a positive activity and an "
                   "administration window that ends after it starts");
      return FALSE;
    }
  return TRUE;
}

static BqSlotMatch *
match_internal (BqSlotEngine        *self,
                const BqSlotRequest *request,
                GError             **error)
{
  g_autoptr(BqSlotMatch) match = g_new0 (BqSlotMatch, 1);
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GHashTable) runs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      (GDestroyNotify) run_ctx_free);
  g_autoptr(GHashTable) evaluations = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                             (GDestroyNotify) evaluation_free);
  const BqCentre *centre;
  const BqProduct *product;
  gint64 now = clock_now (request->now);

  if (!check_request (request, error) || !ensure_loaded (self, error))
    return NULL;
  centre = g_hash_table_lookup (self->centres, request->centre_id);
  product = g_hash_table_lookup (self->products, request->product_id);
  if (centre == NULL || product == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No %s “%s”",
                   centre == NULL ? "centre" : "product",
                   centre == NULL ? request->centre_id : request->product_id);
      return NULL;
    }

  match->centre_id = g_strdup (centre->base.id);
  match->product_id = g_strdup (product->base.id);
  match->prescribed_bq = !isnan (request->prescribed_bq) ? request->prescribed_bq
                                                         : product->dose_activity_bq;
  match->needed_bq = match->prescribed_bq * (1.0 - product->tolerance);
  match->admin_start = request->admin_start;
  match->admin_end = request->admin_end;
  match->feasible = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_slot_option_free);
  match->infeasible = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_slot_option_free);

  /* Delivered at most a shelf life (and a day or two of transit) before
   * the window, and no later than its last day. */
  slots = candidate_slots (self, centre,
                           request->admin_start - product->shelf_life_s - 2 * DAY,
                           request->admin_end + DAY, error);
  if (slots == NULL)
    return NULL;

  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlot *slot = g_ptr_array_index (slots, i);
      RunCtx *ctx;
      BqSlotOption *option;

      if (g_strcmp0 (slot->run_id, request->exclude_run_id) == 0)
        continue;
      ctx = cached_run (self, runs, slot->run_id, error);
      if (ctx == NULL)
        return NULL;
      if (strcmp (ctx->run->product_id, product->base.id) != 0)
        continue;
      option = judge (self, slot, ctx, centre, request, now, evaluations, error);
      if (option == NULL)
        return NULL;
      g_ptr_array_add (option->reason == BQ_SLOT_OK ? match->feasible : match->infeasible,
                       option);
    }
  g_ptr_array_sort (match->feasible, compare_feasible);
  g_ptr_array_sort (match->infeasible, compare_by_date);
  if (request->max_options > 0 && match->feasible->len > request->max_options)
    g_ptr_array_set_size (match->feasible, request->max_options);
  return g_steal_pointer (&match);
}

BqSlotMatch *
bq_slot_engine_match (BqSlotEngine        *self,
                      const BqSlotRequest *request,
                      GError             **error)
{
  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return match_internal (self, request, error);
}

GPtrArray *
bq_slot_engine_calendar (BqSlotEngine  *self,
                         const char    *centre_id,
                         gint64         from,
                         gint64         to,
                         gint64         now,
                         GError       **error)
{
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GPtrArray) result = NULL;
  g_autoptr(GHashTable) runs = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                      (GDestroyNotify) run_ctx_free);
  const BqCentre *centre;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (centre_id != NULL, NULL);

  if (!ensure_loaded (self, error))
    return NULL;
  centre = g_hash_table_lookup (self->centres, centre_id);
  if (centre == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No centre “%s”", centre_id);
      return NULL;
    }
  now = clock_now (now);
  slots = candidate_slots (self, centre, from, to, error);
  if (slots == NULL)
    return NULL;
  result = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_slot_option_free);
  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlot *slot = g_ptr_array_index (slots, i);
      RunCtx *ctx = cached_run (self, runs, slot->run_id, error);
      BqSlotOption *option;
      g_autofree char *message = NULL;

      if (ctx == NULL)
        return NULL;
      option = option_new (slot);
      option->run_id = g_strdup (ctx->run->base.id);
      option->batch = g_strdup (ctx->run->batch);
      option->site_id = g_strdup (ctx->site->base.id);
      option->product_id = g_strdup (ctx->product->base.id);
      option->calibration = ctx->run->calibration_time;
      option->reason = booking_reason (self, slot, ctx, centre->timezone, NULL, now,
                                       &option->remaining, &message);
      option->summary = message != NULL ? g_steal_pointer (&message)
                                        : g_strdup_printf ("%" G_GINT64_FORMAT " of %"
                                                           G_GINT64_FORMAT " doses free",
                                                           option->remaining, slot->capacity);
      g_ptr_array_add (result, option);
    }
  g_ptr_array_sort (result, compare_by_date);
  return g_steal_pointer (&result);
}

/* -------------------------------------------------------- slot bookkeeping */

static gboolean
exec_update (BqSlotEngine  *self,
             const char    *sql,
             const char    *id,
             const char    *user_id,
             gint64         now,
             gint64         extra,
             int           *changes,
             GError       **error)
{
  sqlite3 *db = bq_store_get_db (self->store);
  g_autoptr(BqStoreStmt) stmt = NULL;
  int rc;

  /* @sql is one of the fixed statements above: prepared once. */
  rc = bq_store_prepare_cached (self->store, sql, &stmt);
  if (rc != SQLITE_OK)
    {
      bq_store_set_sqlite_error (db, rc, error, "cannot prepare a slot update");
      return FALSE;
    }
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_TRANSIENT);
  if (user_id != NULL)
    sqlite3_bind_text (stmt, 2, user_id, -1, SQLITE_TRANSIENT);
  else
    sqlite3_bind_null (stmt, 2);
  sqlite3_bind_int64 (stmt, 3, now);
  sqlite3_bind_int64 (stmt, 4, extra);
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (db, rc, error, "cannot update slot “%s”", id);
      return FALSE;
    }
  *changes = sqlite3_changes (db);
  return TRUE;
}

/* Whether @slot_id has an order in @status.  EXISTS, not count(*): a
 * busy slot has thousands of orders, and the first one found decides. */
static gboolean
any_orders (BqSlotEngine *self,
            const char   *slot_id,
            const char   *status)
{
  g_autoptr(BqStoreStmt) stmt = NULL;
  gboolean any = FALSE;

  if (bq_store_prepare_cached (self->store,
                               "SELECT EXISTS (SELECT 1 FROM orders "
                               "WHERE slot_id = ?1 AND status = ?2)", &stmt) != SQLITE_OK)
    return FALSE;
  sqlite3_bind_text (stmt, 1, slot_id, -1, SQLITE_TRANSIENT);
  sqlite3_bind_text (stmt, 2, status, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    any = sqlite3_column_int (stmt, 0) != 0;
  return any;
}

/* Clears an expired hold and sets the summary status; writes the slot
 * (a new revision) when @force or when anything changed. */
static gboolean
refresh_slot (BqSlotEngine  *self,
              const char    *slot_id,
              gint64         now,
              gboolean       force,
              GError       **error)
{
  g_autoptr(BqSlot) slot = bq_store_get (self->store, &bq_slot_type, slot_id, error);
  g_autoptr(BqSlot) before = NULL;

  if (slot == NULL)
    return FALSE;
  before = bq_entity_copy (slot);
  if (slot->held > 0 && slot->hold_expires <= now)
    slot->held = 0;
  if (slot->held == 0)
    {
      g_clear_pointer (&slot->held_by, g_free);
      slot->hold_expires = BQ_TIME_UNSET;
    }
  if (slot->status != BQ_SLOT_RELEASED && slot->status != BQ_SLOT_SHIPPED)
    {
      if (slot->held > 0)
        slot->status = BQ_SLOT_HELD;
      else if (slot->claimed == 0)
        slot->status = BQ_SLOT_OPEN;
      else if (any_orders (self, slot_id, "requested"))
        slot->status = BQ_SLOT_CLAIMED;
      else
        slot->status = BQ_SLOT_CONFIRMED;
    }
  if (!force && bq_entity_equal (slot, before))
    return TRUE;
  return bq_store_put (self->store, slot, error);
}

static BqSlotError
diagnose (BqSlotEngine *self,
          const char   *slot_id,
          const char   *user_id,
          gint64        now,
          char        **message)
{
  g_autoptr(BqSlot) slot = bq_store_get (self->store, &bq_slot_type, slot_id, NULL);
  BqSlotReason reason;
  gint64 remaining;

  if (slot == NULL)
    {
      *message = g_strdup_printf ("No slot “%s”", slot_id);
      return BQ_SLOT_ERROR_NOT_FOUND;
    }
  reason = booking_reason (self, slot, NULL, "UTC", user_id, now, &remaining, message);
  if (reason == BQ_SLOT_OK)
    {
      /* Nothing wrong any more: the last dose went in the meantime. */
      g_free (*message);
      *message = g_strdup ("sold out");
      return BQ_SLOT_ERROR_SOLD_OUT;
    }
  return reason_to_error (reason);
}

static void
set_slot_error (GError    **error,
                BqSlotError code,
                const char *slot_id,
                const char *message)
{
  g_set_error (error, BQ_SLOT_ERROR, code, "Slot “%s”: %s", slot_id, message);
}

/* ------------------------------------------------------------------- holds */

static const char hold_sql[] =
  "UPDATE slots SET held = 1, held_by = ?2, hold_expires = ?4, status = 'held' "
  "WHERE id = ?1 AND status IN ('open', 'held', 'claimed', 'confirmed') "
  "AND (order_cutoff IS NULL OR order_cutoff > ?3) "
  "AND (held = 0 OR hold_expires <= ?3 OR held_by = ?2) "
  "AND claimed < capacity";

gboolean
bq_slot_engine_hold (BqSlotEngine  *self,
                     const char    *slot_id,
                     const char    *user_id,
                     gint64         now,
                     gint64        *expires,
                     GError       **error)
{
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(BqRun) run = NULL;
  const BqProduct *product;
  gint64 until;
  int changes = 0;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (slot_id != NULL && user_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  now = clock_now (now);
  if (!ensure_loaded (self, error))
    return FALSE;
  slot = bq_store_get (self->store, &bq_slot_type, slot_id, NULL);
  run = slot != NULL ? bq_store_get (self->store, &bq_run_type, slot->run_id, NULL) : NULL;
  if (run == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No slot “%s”", slot_id);
      return FALSE;
    }
  product = g_hash_table_lookup (self->products, run->product_id);
  until = now + (product != NULL && product->hold_duration_s > 0 ? product->hold_duration_s
                                                                  : DEFAULT_HOLD_S);

  if (!bq_store_begin (self->store, error))
    return FALSE;
  if (!exec_update (self, hold_sql, slot_id, user_id, now, until, &changes, error))
    goto fail;
  if (changes == 0)
    {
      g_autofree char *message = NULL;
      BqSlotError code = diagnose (self, slot_id, user_id, now, &message);

      /* Free doses but someone else's live hold: one holder at a time. */
      if (code == BQ_SLOT_ERROR_SOLD_OUT && slot->claimed < slot->capacity)
        {
          g_autoptr(BqSlot) now_slot = bq_store_get (self->store, &bq_slot_type, slot_id, NULL);

          if (now_slot != NULL && now_slot->held > 0 && now_slot->hold_expires > now &&
              g_strcmp0 (now_slot->held_by, user_id) != 0)
            {
              code = BQ_SLOT_ERROR_HELD_BY_OTHER;
              g_free (message);
              message = g_strdup ("held by another user");
            }
        }
      set_slot_error (error, code, slot_id, message);
      goto fail;
    }
  if (!refresh_slot (self, slot_id, now, TRUE, error))
    goto fail;
  if (!bq_store_commit (self->store, error))
    return FALSE;
  if (expires != NULL)
    *expires = until;
  return TRUE;

fail:
  bq_store_rollback (self->store);
  return FALSE;
}

gboolean
bq_slot_engine_release_hold (BqSlotEngine  *self,
                             const char    *slot_id,
                             const char    *user_id,
                             GError       **error)
{
  static const char sql[] =
    "UPDATE slots SET held = 0, held_by = NULL, hold_expires = NULL "
    "WHERE id = ?1 AND held_by = ?2 AND held > 0 AND ?3 = ?3 AND ?4 = ?4";
  gint64 now = clock_now (BQ_TIME_UNSET);
  int changes = 0;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (slot_id != NULL && user_id != NULL, FALSE);

  if (!bq_store_begin (self->store, error))
    return FALSE;
  if (!exec_update (self, sql, slot_id, user_id, now, 0, &changes, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  if (changes == 0)
    {
      bq_store_rollback (self->store);
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE,
                   "Slot “%s” is not held by “%s”", slot_id, user_id);
      return FALSE;
    }
  if (!refresh_slot (self, slot_id, now, TRUE, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  return bq_store_commit (self->store, error);
}

gboolean
bq_slot_engine_expire_holds (BqSlotEngine  *self,
                             gint64         now,
                             guint         *n_expired,
                             GError       **error)
{
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);

  now = clock_now (now);
  if (n_expired != NULL)
    *n_expired = 0;
  if (!bq_store_begin (self->store, error))
    return FALSE;
  db = bq_store_get_db (self->store);
  rc = sqlite3_prepare_v2 (db, "SELECT id FROM slots WHERE held_by IS NOT NULL "
                               "AND hold_expires <= ?1 ORDER BY id", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_int64 (stmt, 1, now);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
    }
  if (rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (db, rc, error, "cannot list expired holds");
      bq_store_rollback (self->store);
      return FALSE;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      if (!refresh_slot (self, g_ptr_array_index (ids, i), now, FALSE, error))
        {
          bq_store_rollback (self->store);
          return FALSE;
        }
    }
  if (!bq_store_commit (self->store, error))
    return FALSE;
  if (n_expired != NULL)
    *n_expired = ids->len;
  return TRUE;
}

/* ------------------------------------------------------------------ claims */

/* One atomic conditional change: a dose is taken only while the slot is
 * open for booking, before its cut-off and with a dose that nobody else
 * claims or holds.  The caller's own live hold is converted. */
static const char claim_sql[] =
  "UPDATE slots SET claimed = claimed + 1, "
  "  held = CASE WHEN held > 0 AND held_by = ?2 AND hold_expires > ?3 THEN held - 1 ELSE held END "
  "WHERE id = ?1 AND status IN ('open', 'held', 'claimed', 'confirmed') "
  "AND (order_cutoff IS NULL OR order_cutoff > ?3) "
  "AND claimed + CASE WHEN held > 0 AND hold_expires > ?3 AND held_by IS NOT ?2 "
  "                   THEN held ELSE 0 END < capacity "
  "AND ?4 = ?4";

static const char unclaim_sql[] =
  "UPDATE slots SET claimed = claimed - 1 WHERE id = ?1 AND claimed > 0 "
  "AND ?2 IS ?2 AND ?3 = ?3 AND ?4 = ?4";

#define VERDICTS_MAX 4096

/* evaluate() for a claim, remembered: the same run (at the same
 * revision), centre, activity and window give the same answer for as
 * long as the reference data and the router it was judged with stay,
 * and clear_reference() and ensure_router() forget every verdict when
 * they go.  Many claims for one slot then route once.  Borrowed. */
static const Evaluation *
cached_verdict (BqSlotEngine   *self,
                const RunCtx   *ctx,
                const BqCentre *centre,
                const BqOrder  *order,
                GError        **error)
{
  g_autofree char *key = NULL;
  Evaluation *e;

  if (self->verdicts == NULL)
    self->verdicts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                            (GDestroyNotify) evaluation_free);
  /* Everything of the run evaluate() reads is in the key, not only its
   * revision (a rolled-back write may hand the same number out again);
   * %a: activities exactly, as evaluate() sees them. */
  key = g_strdup_printf ("%s\x1f%" G_GINT64_FORMAT "\x1f%s\x1f%s\x1f%" G_GINT64_FORMAT
                         "\x1f%" G_GINT64_FORMAT "\x1f%a\x1f%s\x1f%a\x1f%" G_GINT64_FORMAT
                         "\x1f%" G_GINT64_FORMAT,
                         ctx->run->base.id, ctx->run->base.revision, ctx->product->base.id,
                         ctx->site->base.id, ctx->dispatch, ctx->run->calibration_time,
                         ctx->dose_eos_bq, centre->base.id, order->prescribed_activity_bq,
                         order->admin_start, order->admin_end);
  e = g_hash_table_lookup (self->verdicts, key);
  if (e != NULL)
    return e;
  e = evaluate (self, ctx, centre, order->prescribed_activity_bq, order->admin_start,
                order->admin_end, error);
  if (e == NULL)
    return NULL;
  /* evaluate() may have built a new router, which cleared the table. */
  if (g_hash_table_size (self->verdicts) >= VERDICTS_MAX)
    g_hash_table_remove_all (self->verdicts);
  g_hash_table_insert (self->verdicts, g_steal_pointer (&key), e);
  return e;
}

/* Whether @slot can serve @order at all, and by route and activity. */
static gboolean
check_serves (BqSlotEngine  *self,
              const BqSlot  *slot,
              const RunCtx  *ctx,
              const BqOrder *order,
              GError       **error)
{
  const BqCentre *centre = g_hash_table_lookup (self->centres, order->centre_id);
  const Evaluation *e = NULL;

  if (centre == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No centre “%s”",
                   order->centre_id);
      return FALSE;
    }
  if (g_strcmp0 (order->product_id, ctx->run->product_id) != 0)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INFEASIBLE,
                   "Slot “%s” offers %s, not %s", slot->base.id, ctx->run->product_id,
                   order->product_id);
      return FALSE;
    }
  if (slot->centre_id != NULL ? strcmp (slot->centre_id, centre->base.id) != 0
                              : g_strcmp0 (slot->region, centre->region) != 0)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INFEASIBLE,
                   "Slot “%s” is not offered to %s", slot->base.id, centre->name);
      return FALSE;
    }
  if (run_is_dead (ctx->run))
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_CLOSED, "Slot “%s”: the run %s",
                   slot->base.id, ctx->run->status == BQ_RUN_FAILED ? "failed" : "was cancelled");
      return FALSE;
    }
  e = cached_verdict (self, ctx, centre, order, error);
  if (e == NULL)
    return FALSE;
  if (e->reason != BQ_SLOT_OK)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INFEASIBLE, "Slot “%s”: %s",
                   slot->base.id, e->message);
      return FALSE;
    }
  return TRUE;
}

/* Inside a transaction: take a dose of @slot_id, give the order's old one
 * back, write the order. */
static gboolean
claim_in_transaction (BqSlotEngine  *self,
                      const BqSlot  *slot,
                      BqOrder       *order,
                      const char    *user_id,
                      gint64         now,
                      GError       **error)
{
  g_autofree char *old_slot = NULL;
  int changes = 0;

  if (!exec_update (self, claim_sql, slot->base.id, user_id, now, 0, &changes, error))
    return FALSE;
  if (changes == 0)
    {
      g_autofree char *message = NULL;
      BqSlotError code = diagnose (self, slot->base.id, user_id, now, &message);

      set_slot_error (error, code, slot->base.id, message);
      return FALSE;
    }
  if (order->slot_id != NULL && strcmp (order->slot_id, slot->base.id) != 0 &&
      order->status != BQ_ORDER_CANCELLED)
    {
      old_slot = g_strdup (order->slot_id);
      if (!exec_update (self, unclaim_sql, old_slot, NULL, now, 0, &changes, error))
        return FALSE;
    }
  g_free (order->slot_id);
  order->slot_id = g_strdup (slot->base.id);
  g_free (order->run_id);
  order->run_id = g_strdup (slot->run_id);
  order->status = BQ_ORDER_REQUESTED;
  if (!bq_store_put (self->store, order, error))
    return FALSE;
  if (!refresh_slot (self, slot->base.id, now, TRUE, error))
    return FALSE;
  if (old_slot != NULL && !refresh_slot (self, old_slot, now, TRUE, error))
    return FALSE;
  return TRUE;
}

static gboolean
claim_checked (BqSlotEngine  *self,
               const char    *slot_id,
               BqOrder       *order,
               const char    *user_id,
               gint64         now,
               GError       **error)
{
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(RunCtx) ctx = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autoptr(BqOrder) work = NULL;
  gint64 run_revision;

  if (!ensure_loaded (self, error))
    return FALSE;
  if (order->status != BQ_ORDER_REQUESTED && order->status != BQ_ORDER_CONFIRMED)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE,
                   "Only a requested or confirmed order can claim a slot");
      return FALSE;
    }
  if (!bq_entity_validate (order, error))
    return FALSE;
  slot = bq_store_get (self->store, &bq_slot_type, slot_id, &local_error);
  if (slot == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No slot “%s”", slot_id);
      return FALSE;
    }
  ctx = load_run_ctx (self, slot->run_id, error);
  if (ctx == NULL)
    return FALSE;
  run_revision = ctx->run->base.revision;
  /* Routes are judged before the write lock is taken, so claims wait on
   * each other only for the UPDATE itself; the run's revision, checked
   * under the lock, says whether the judgement still holds. */
  if (!check_serves (self, slot, ctx, order, error))
    return FALSE;

  work = bq_entity_copy (order);
  if (!bq_store_begin (self->store, error))
    return FALSE;
  {
    g_autoptr(BqRun) run = bq_store_get (self->store, &bq_run_type, slot->run_id, error);

    if (run == NULL)
      goto fail;
    if (run->base.revision != run_revision)
      {
        g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_INFEASIBLE,
                     "Slot “%s”: its run changed while booking; try again", slot_id);
        goto fail;
      }
  }
  if (!claim_in_transaction (self, slot, work, user_id, now, error))
    goto fail;
  if (!bq_store_commit (self->store, error))
    return FALSE;

  /* Only now does the caller's order change. */
  bq_entity_set_id (order, work->base.id);
  order->base.revision = work->base.revision;
  g_free (order->slot_id);
  order->slot_id = g_strdup (work->slot_id);
  g_free (order->run_id);
  order->run_id = g_strdup (work->run_id);
  order->status = work->status;
  return TRUE;

fail:
  bq_store_rollback (self->store);
  return FALSE;
}

gboolean
bq_slot_engine_claim (BqSlotEngine  *self,
                      const char    *slot_id,
                      BqOrder       *order,
                      const char    *user_id,
                      gint64         now,
                      GError       **error)
{
  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (slot_id != NULL, FALSE);
  g_return_val_if_fail (order != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  return claim_checked (self, slot_id, order, user_id, clock_now (now), error);
}

static BqOrder *
get_order (BqSlotEngine  *self,
           const char    *order_id,
           GError       **error)
{
  BqOrder *order = bq_store_get (self->store, &bq_order_type, order_id, NULL);

  if (order == NULL)
    g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No order “%s”", order_id);
  return order;
}

gboolean
bq_slot_engine_confirm (BqSlotEngine  *self,
                        const char    *order_id,
                        GError       **error)
{
  g_autoptr(BqOrder) order = NULL;
  gint64 now = clock_now (BQ_TIME_UNSET);

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);

  order = get_order (self, order_id, error);
  if (order == NULL)
    return FALSE;
  if (order->status == BQ_ORDER_CONFIRMED)
    return TRUE;
  if (order->status != BQ_ORDER_REQUESTED || order->slot_id == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE,
                   "Order “%s” has no claimed slot to confirm", order_id);
      return FALSE;
    }
  if (!bq_store_begin (self->store, error))
    return FALSE;
  order->status = BQ_ORDER_CONFIRMED;
  if (!bq_store_put (self->store, order, error) ||
      !refresh_slot (self, order->slot_id, now, FALSE, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  return bq_store_commit (self->store, error);
}

static GPtrArray *
orders_where (BqSlotEngine  *self,
              const char    *field,
              const char    *value,
              GError       **error)
{
  g_autoptr(BqQuery) q = bq_query_new (&bq_order_type);

  bq_query_where_equals (q, field, value);
  return bq_store_query (self->store, q, error);
}

gboolean
bq_slot_engine_ship (BqSlotEngine  *self,
                     const char    *slot_id,
                     GError       **error)
{
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GPtrArray) orders = NULL;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (slot_id != NULL, FALSE);

  if (!bq_store_begin (self->store, error))
    return FALSE;
  slot = bq_store_get (self->store, &bq_slot_type, slot_id, NULL);
  if (slot == NULL)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No slot “%s”", slot_id);
      goto fail;
    }
  if (slot->status == BQ_SLOT_RELEASED)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_CLOSED, "Slot “%s” was released", slot_id);
      goto fail;
    }
  orders = orders_where (self, "slot_id", slot_id, error);
  if (orders == NULL)
    goto fail;
  for (guint i = 0; i < orders->len; i++)
    if (((BqOrder *) g_ptr_array_index (orders, i))->status == BQ_ORDER_REQUESTED)
      {
        g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE,
                     "Slot “%s” has orders that are not confirmed yet", slot_id);
        goto fail;
      }
  for (guint i = 0; i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);

      if (order->status != BQ_ORDER_CONFIRMED)
        continue;
      order->status = BQ_ORDER_SHIPPED;
      if (!bq_store_put (self->store, order, error))
        goto fail;
    }
  slot->status = BQ_SLOT_SHIPPED;
  slot->held = 0;
  g_clear_pointer (&slot->held_by, g_free);
  slot->hold_expires = BQ_TIME_UNSET;
  if (!bq_store_put (self->store, slot, error))
    goto fail;
  return bq_store_commit (self->store, error);

fail:
  bq_store_rollback (self->store);
  return FALSE;
}

gboolean
bq_slot_engine_cancel (BqSlotEngine  *self,
                       const char    *order_id,
                       GError       **error)
{
  g_autoptr(BqOrder) order = NULL;
  gint64 now = clock_now (BQ_TIME_UNSET);
  int changes = 0;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);

  order = get_order (self, order_id, error);
  if (order == NULL)
    return FALSE;
  if (order->status == BQ_ORDER_CANCELLED)
    return TRUE;
  if (order->status != BQ_ORDER_REQUESTED && order->status != BQ_ORDER_CONFIRMED)
    {
      g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_WRONG_STATE,
                   "Order “%s” has shipped and cannot be cancelled", order_id);
      return FALSE;
    }
  if (!bq_store_begin (self->store, error))
    return FALSE;
  if (order->slot_id != NULL &&
      (!exec_update (self, unclaim_sql, order->slot_id, NULL, now, 0, &changes, error) ||
       !refresh_slot (self, order->slot_id, now, TRUE, error)))
    goto fail;
  order->status = BQ_ORDER_CANCELLED;
  if (!bq_store_put (self->store, order, error))
    goto fail;
  /* The slot's status counts requested orders: refresh after the order. */
  if (order->slot_id != NULL && !refresh_slot (self, order->slot_id, now, FALSE, error))
    goto fail;
  return bq_store_commit (self->store, error);

fail:
  bq_store_rollback (self->store);
  return FALSE;
}

gboolean
bq_slot_engine_reschedule (BqSlotEngine  *self,
                           const char    *order_id,
                           const char    *slot_id,
                           gint64         admin_start,
                           gint64         admin_end,
                           const char    *user_id,
                           gint64         now,
                           GError       **error)
{
  g_autoptr(BqOrder) order = NULL;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), FALSE);
  g_return_val_if_fail (order_id != NULL && slot_id != NULL, FALSE);

  order = get_order (self, order_id, error);
  if (order == NULL)
    return FALSE;
  if (admin_start != BQ_TIME_UNSET)
    order->admin_start = admin_start;
  if (admin_end != BQ_TIME_UNSET)
    order->admin_end = admin_end;
  now = clock_now (now);

  if (g_strcmp0 (order->slot_id, slot_id) == 0)
    {
      /* Same dose, another window: only the judgement is new. */
      g_autoptr(BqSlot) slot = bq_store_get (self->store, &bq_slot_type, slot_id, NULL);
      g_autoptr(RunCtx) ctx = NULL;

      if (!ensure_loaded (self, error))
        return FALSE;
      if (slot == NULL)
        {
          g_set_error (error, BQ_SLOT_ERROR, BQ_SLOT_ERROR_NOT_FOUND, "No slot “%s”", slot_id);
          return FALSE;
        }
      ctx = load_run_ctx (self, slot->run_id, error);
      if (ctx == NULL || !check_serves (self, slot, ctx, order, error))
        return FALSE;
      order->status = BQ_ORDER_REQUESTED;
      if (!bq_store_begin (self->store, error))
        return FALSE;
      if (!bq_store_put (self->store, order, error) ||
          !refresh_slot (self, slot_id, now, FALSE, error))
        {
          bq_store_rollback (self->store);
          return FALSE;
        }
      return bq_store_commit (self->store, error);
    }
  return claim_checked (self, slot_id, order, user_id, now, error);
}

/* ------------------------------------------------------------- generation */

typedef struct {
  char   *id;
  char   *centre_id;   /* NULL: pool */
  char   *region;
  gint64  delivery_date;
  gint64  capacity;
  gint64  cutoff;
} Wanted;

static void
wanted_free (Wanted *w)
{
  g_free (w->id);
  g_free (w->centre_id);
  g_free (w->region);
  g_free (w);
}

static gint64
week_start (gint64 t)
{
  /* 1970-01-01 was a Thursday: Monday is 3 days before. */
  gint64 days = t >= 0 ? t / DAY : (t - DAY + 1) / DAY;
  gint64 monday = days - ((days + 3) % 7);

  return monday * DAY;
}

typedef struct {
  const BqCentre *centre;
  gint64          delivery_date;
  gint64          forecast;
  gint64          quota;
  double          rest;
} Reach;

static int
compare_rest (gconstpointer a,
              gconstpointer b)
{
  const Reach *x = *(Reach * const *) a;
  const Reach *y = *(Reach * const *) b;

  if (x->rest != y->rest)
    return x->rest > y->rest ? -1 : 1;
  return strcmp (x->centre->base.id, y->centre->base.id);
}

/* Largest remainder: @total split by weights, into Reach.quota. */
static void
split (GPtrArray *reach,
       gint64     total,
       gboolean   by_forecast)
{
  g_autoptr(GPtrArray) order = g_ptr_array_new ();
  double sum = 0;
  gint64 given = 0;

  for (guint i = 0; i < reach->len; i++)
    {
      Reach *r = g_ptr_array_index (reach, i);
      sum += by_forecast ? (double) r->forecast : 1.0;
    }
  if (sum <= 0)
    return;
  for (guint i = 0; i < reach->len; i++)
    {
      Reach *r = g_ptr_array_index (reach, i);
      double share = total * (by_forecast ? (double) r->forecast : 1.0) / sum;

      r->quota = (gint64) floor (share);
      r->rest = share - (double) r->quota;
      given += r->quota;
      g_ptr_array_add (order, r);
    }
  g_ptr_array_sort (order, compare_rest);
  for (guint i = 0; given < total && i < order->len; i++, given++)
    ((Reach *) g_ptr_array_index (order, i))->quota++;
}

/* The slots @ctx's run should have now: id → Wanted. */
static GHashTable *
wanted_slots (BqSlotEngine  *self,
              const RunCtx  *ctx,
              GError       **error)
{
  g_autoptr(GHashTable) wanted = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) wanted_free);
  g_autoptr(GPtrArray) reach = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) regions = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) region_list = g_ptr_array_new_with_free_func (g_free);
  const BqRun *run = ctx->run;
  gint64 week = week_start (run->calibration_time);
  gint64 capacity = run->dose_capacity, pool, forecast_total = 0;
  gint64 pool_date = local_date (self, ctx->site->timezone, run->calibration_time, NULL);

  if (run_is_dead (run) || capacity <= 0)
    return g_steal_pointer (&wanted);

  for (guint i = 0; i < self->centre_list->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (self->centre_list, i);
      g_autoptr(Evaluation) e = NULL;
      const BqSla *sla;
      Reach *r;
      int minutes = 0;
      gint64 date;

      if (!site_serves (self, ctx->site->base.id, centre->region))
        continue;
      e = evaluate (self, ctx, centre, NAN, BQ_TIME_UNSET, BQ_TIME_UNSET, error);
      if (e == NULL)
        return NULL;
      if (e->reason != BQ_SLOT_OK)
        continue;
      sla = find_sla (self, ctx->site->base.id, centre->region);
      date = local_date (self, centre->timezone,
                         e->arrival + (sla != NULL ? sla->min_before_admin_s : 0), &minutes);
      if (minutes >= LATE_DELIVERY_LOCAL)
        date += DAY;
      r = g_new0 (Reach, 1);
      r->centre = centre;
      r->delivery_date = date;
      for (guint f = 0; f < self->forecasts->len; f++)
        {
          const BqForecast *fc = g_ptr_array_index (self->forecasts, f);

          if (fc->week_start == week && strcmp (fc->centre_id, centre->base.id) == 0 &&
              strcmp (fc->product_id, run->product_id) == 0)
            r->forecast += fc->doses;
        }
      forecast_total += r->forecast;
      g_ptr_array_add (reach, r);
    }
  if (reach->len == 0)
    return g_steal_pointer (&wanted);

  /* Quotas: three quarters of the doses by forecast, a quarter (and all
   * of it without forecasts) in the pool for the unforeseen patient. */
  pool = capacity;
  if (ctx->product->slot_offering == BQ_SLOT_OFFERING_QUOTA && forecast_total > 0)
    {
      g_autoptr(GPtrArray) with = g_ptr_array_new ();

      pool = capacity / 4;
      for (guint i = 0; i < reach->len; i++)
        if (((Reach *) g_ptr_array_index (reach, i))->forecast > 0)
          g_ptr_array_add (with, g_ptr_array_index (reach, i));
      split (with, capacity - pool, TRUE);
      for (guint i = 0; i < with->len; i++)
        {
          const Reach *r = g_ptr_array_index (with, i);
          Wanted *w;

          if (r->quota == 0)
            continue;
          w = g_new0 (Wanted, 1);
          w->id = g_strdup_printf ("slot-%s-%s", run->base.id, r->centre->base.id);
          w->centre_id = g_strdup (r->centre->base.id);
          w->region = g_strdup (r->centre->region);
          w->delivery_date = r->delivery_date;
          w->capacity = r->quota;
          w->cutoff = cutoff_for (self, ctx, r->centre);
          g_hash_table_insert (wanted, w->id, w);
        }
    }
  if (pool > 0)
    {
      /* The pool, split over the regions reached by how many centres each has. */
      g_autoptr(GPtrArray) per_region = g_ptr_array_new_with_free_func (g_free);

      for (guint i = 0; i < reach->len; i++)
        {
          const Reach *r = g_ptr_array_index (reach, i);
          Reach *pr = g_hash_table_lookup (regions, r->centre->region);

          if (pr == NULL)
            {
              pr = g_new0 (Reach, 1);
              pr->centre = r->centre;   /* names the region */
              g_hash_table_insert (regions, r->centre->region, pr);
              g_ptr_array_add (per_region, pr);
            }
          pr->forecast++;
        }
      split (per_region, pool, TRUE);
      for (guint i = 0; i < per_region->len; i++)
        {
          const Reach *pr = g_ptr_array_index (per_region, i);
          Wanted *w;

          if (pr->quota == 0)
            continue;
          w = g_new0 (Wanted, 1);
          w->id = g_strdup_printf ("slot-%s-pool-%s", run->base.id, pr->centre->region);
          w->region = g_strdup (pr->centre->region);
          w->delivery_date = pool_date;
          w->capacity = pr->quota;
          w->cutoff = cutoff_for (self, ctx, NULL);
          g_hash_table_insert (wanted, w->id, w);
        }
    }
  return g_steal_pointer (&wanted);
}

static int
compare_slot_free (gconstpointer a,
                   gconstpointer b)
{
  const BqSlot *x = *(BqSlot * const *) a;
  const BqSlot *y = *(BqSlot * const *) b;

  /* Pools give up doses first, then the quotas with most free. */
  if ((x->centre_id == NULL) != (y->centre_id == NULL))
    return x->centre_id == NULL ? -1 : 1;
  if (x->capacity - x->claimed - x->held != y->capacity - y->claimed - y->held)
    return (y->capacity - y->claimed - y->held) > (x->capacity - x->claimed - x->held) ? 1 : -1;
  return strcmp (x->base.id, y->base.id);
}

static void
report_order (BqSlotSync   *sync,
              const BqOrder *order,
              BqSlotReason  reason,
              const char   *message)
{
  BqSlotInfeasibleOrder *o = g_new0 (BqSlotInfeasibleOrder, 1);

  o->order_id = g_strdup (order->base.id);
  o->slot_id = g_strdup (order->slot_id);
  o->run_id = g_strdup (order->run_id);
  o->reason = reason;
  o->message = g_strdup (message);
  g_ptr_array_add (sync->infeasible_orders, o);
}

static gboolean
reconcile_one (BqSlotEngine  *self,
               RunCtx        *ctx,
               gint64         now,
               BqSlotSync    *sync,
               GError       **error)
{
  g_autoptr(GHashTable) wanted = NULL;
  g_autoptr(GPtrArray) existing = NULL;
  g_autoptr(GPtrArray) after = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) changed = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(BqQuery) q = bq_query_new (&bq_slot_type);
  const BqRun *run = ctx->run;
  gint64 total = 0;
  GHashTableIter iter;
  Wanted *w;

  wanted = wanted_slots (self, ctx, error);
  if (wanted == NULL)
    return FALSE;
  bq_query_where_equals (q, "run_id", run->base.id);
  existing = bq_store_query (self->store, q, error);
  if (existing == NULL)
    return FALSE;

  for (guint i = 0; i < existing->len; i++)
    {
      BqSlot *slot = g_ptr_array_index (existing, i);
      g_autoptr(BqSlot) before = bq_entity_copy (slot);
      gint64 taken = slot->claimed + slot->held;

      w = g_hash_table_lookup (wanted, slot->base.id);
      g_hash_table_add (seen, slot->base.id);
      if (run->status == BQ_RUN_SHIPPED && slot->status != BQ_SLOT_RELEASED)
        {
          slot->status = BQ_SLOT_SHIPPED;
        }
      else if (w == NULL || slot->status == BQ_SLOT_RELEASED)
        {
          /* Not offered any more (or never again): keep what is claimed
           * so the orders can be moved, take nothing new. */
          if (slot->status != BQ_SLOT_SHIPPED)
            slot->status = BQ_SLOT_RELEASED;
          slot->held = 0;
          g_clear_pointer (&slot->held_by, g_free);
          slot->hold_expires = BQ_TIME_UNSET;
        }
      else
        {
          slot->capacity = MAX (w->capacity, MAX (taken, 1));
          slot->delivery_date = w->delivery_date;
          slot->order_cutoff = w->cutoff;
          g_free (slot->region);
          slot->region = g_strdup (w->region);
        }
      if (slot->status != BQ_SLOT_RELEASED && slot->status != BQ_SLOT_SHIPPED)
        total += slot->capacity;
      if (!bq_entity_equal (slot, before))
        {
          g_hash_table_add (changed, slot->base.id);
          if (slot->status == BQ_SLOT_RELEASED && before->status != BQ_SLOT_RELEASED)
            sync->n_released++;
          else
            sync->n_updated++;
        }
      else
        sync->n_unchanged++;
    }

  g_hash_table_iter_init (&iter, wanted);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &w))
    {
      BqSlot *slot;

      if (g_hash_table_contains (seen, w->id))
        continue;
      slot = bq_slot_new ();
      slot->base.id = g_strdup (w->id);
      slot->run_id = g_strdup (run->base.id);
      slot->centre_id = g_strdup (w->centre_id);
      slot->region = g_strdup (w->region);
      slot->delivery_date = w->delivery_date;
      slot->capacity = w->capacity;
      slot->order_cutoff = w->cutoff;
      slot->status = BQ_SLOT_OPEN;
      total += slot->capacity;
      g_ptr_array_add (existing, slot);
      g_hash_table_add (changed, slot->base.id);
      sync->n_added++;
    }

  /* Claims that could not be lowered may push the total over the run's
   * capacity: take the difference from free doses, pools first. */
  if (total > run->dose_capacity)
    {
      g_autoptr(GPtrArray) by_free = g_ptr_array_new ();
      gint64 excess = total - run->dose_capacity;

      for (guint i = 0; i < existing->len; i++)
        {
          BqSlot *slot = g_ptr_array_index (existing, i);

          if (slot->status != BQ_SLOT_RELEASED && slot->status != BQ_SLOT_SHIPPED)
            g_ptr_array_add (by_free, slot);
        }
      g_ptr_array_sort (by_free, compare_slot_free);
      for (guint i = 0; i < by_free->len && excess > 0; i++)
        {
          BqSlot *slot = g_ptr_array_index (by_free, i);
          gint64 floor_ = MAX (slot->claimed + slot->held, 1);
          gint64 take = MIN (excess, slot->capacity - floor_);

          if (take <= 0)
            continue;
          slot->capacity -= take;
          excess -= take;
          if (!g_hash_table_contains (changed, slot->base.id))
            {
              g_hash_table_add (changed, slot->base.id);
              sync->n_unchanged--;
              sync->n_updated++;
            }
        }
    }

  for (guint i = 0; i < existing->len; i++)
    {
      BqSlot *slot = g_ptr_array_index (existing, i);

      if (g_hash_table_contains (changed, slot->base.id) && !bq_store_put (self->store, slot, error))
        return FALSE;
      g_ptr_array_add (after, bq_entity_copy (slot));
    }

  /* The orders the run, as it is now, no longer serves. */
  orders = orders_where (self, "run_id", run->base.id, error);
  if (orders == NULL)
    return FALSE;
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);
      const BqSlot *slot = NULL;
      const BqCentre *centre;
      g_autoptr(Evaluation) e = NULL;

      if (order->status != BQ_ORDER_REQUESTED && order->status != BQ_ORDER_CONFIRMED)
        continue;
      if (run_is_dead (run))
        {
          report_order (sync, order, BQ_SLOT_CLOSED,
                        run->status == BQ_RUN_FAILED ? "the run failed" : "the run was cancelled");
          continue;
        }
      for (guint k = 0; k < existing->len && order->slot_id != NULL; k++)
        if (strcmp (((BqSlot *) g_ptr_array_index (existing, k))->base.id, order->slot_id) == 0)
          slot = g_ptr_array_index (existing, k);
      centre = g_hash_table_lookup (self->centres, order->centre_id);
      if (centre == NULL)
        continue;
      e = evaluate (self, ctx, centre, order->prescribed_activity_bq, order->admin_start,
                    order->admin_end, error);
      if (e == NULL)
        return FALSE;
      if (e->reason != BQ_SLOT_OK)
        report_order (sync, order, e->reason, e->message);
      else if (slot != NULL && slot->status == BQ_SLOT_RELEASED)
        report_order (sync, order, BQ_SLOT_CLOSED, "its slot is no longer offered");
    }

  g_ptr_array_extend_and_steal (sync->slots, g_steal_pointer (&after));
  return TRUE;
}

BqSlotSync *
bq_slot_engine_reconcile_run (BqSlotEngine  *self,
                              const char    *run_id,
                              gint64         now,
                              GError       **error)
{
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(RunCtx) ctx = NULL;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (run_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  now = clock_now (now);
  if (!ensure_loaded (self, error))
    return NULL;
  if (!bq_store_begin (self->store, error))
    return NULL;
  ctx = load_run_ctx (self, run_id, error);
  sync = sync_new ();
  if (ctx == NULL || !reconcile_one (self, ctx, now, sync, error) ||
      !bq_store_commit (self->store, error))
    {
      if (!sqlite3_get_autocommit (bq_store_get_db (self->store)))
        bq_store_rollback (self->store);
      return NULL;
    }
  return g_steal_pointer (&sync);
}

BqSlotSync *
bq_slot_engine_generate (BqSlotEngine  *self,
                         gint64         from,
                         gint64         to,
                         gint64         now,
                         GError       **error)
{
  g_autoptr(BqSlotSync) sync = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(BqQuery) q = bq_query_new (&bq_run_type);

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  now = clock_now (now);
  if (!ensure_loaded (self, error))
    return NULL;
  bq_query_where_range (q, "calibration_time", from, to);
  bq_query_order_by (q, "calibration_time", FALSE);
  runs = bq_store_query (self->store, q, error);
  if (runs == NULL)
    return NULL;
  if (runs->len > 0)
    {
      const BqRun *first = g_ptr_array_index (runs, 0);
      const BqRun *last = g_ptr_array_index (runs, runs->len - 1);

      if (!ensure_router (self, first->eos_time - DAY, last->calibration_time + 7 * DAY, error))
        return NULL;
    }
  if (!bq_store_begin (self->store, error))
    return NULL;
  sync = sync_new ();
  for (guint i = 0; i < runs->len; i++)
    {
      g_autoptr(RunCtx) ctx = run_ctx_new (self, bq_entity_copy (g_ptr_array_index (runs, i)),
                                           error);

      if (ctx == NULL || !reconcile_one (self, ctx, now, sync, error))
        {
          bq_store_rollback (self->store);
          return NULL;
        }
    }
  if (!bq_store_commit (self->store, error))
    return NULL;
  return g_steal_pointer (&sync);
}

/* ------------------------------------------------------------ re-allocation */

static int
compare_affected (gconstpointer a,
                  gconstpointer b)
{
  const BqSlotAffectedOrder *x = *(BqSlotAffectedOrder * const *) a;
  const BqSlotAffectedOrder *y = *(BqSlotAffectedOrder * const *) b;

  if (x->order->admin_start != y->order->admin_start)
    return x->order->admin_start < y->order->admin_start ? -1 : 1;
  return strcmp (x->order->base.id, y->order->base.id);
}

static void
request_for_order (BqSlotRequest *request,
                   const BqOrder *order,
                   const char    *exclude_run_id,
                   gint64         now)
{
  bq_slot_request_init (request);
  request->centre_id = order->centre_id;
  request->product_id = order->product_id;
  request->prescribed_bq = order->prescribed_activity_bq;
  request->admin_start = order->admin_start;
  request->admin_end = order->admin_end;
  request->now = now;
  request->exclude_run_id = exclude_run_id;
}

/* Affected orders of @run_id: all active ones when it failed or was
 * cancelled, else those it no longer serves. */
static BqSlotReallocation *
affected (BqSlotEngine  *self,
          const char    *run_id,
          gint64         now,
          gboolean       with_alternatives,
          GError       **error)
{
  g_autoptr(BqSlotReallocation) r = g_new0 (BqSlotReallocation, 1);
  g_autoptr(RunCtx) ctx = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GHashTable) infeasible = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(BqSlotSync) sync = NULL;

  r->run_id = g_strdup (run_id);
  r->orders = g_ptr_array_new_with_free_func ((GDestroyNotify) affected_order_free);
  if (!ensure_loaded (self, error))
    return NULL;
  ctx = load_run_ctx (self, run_id, error);
  if (ctx == NULL)
    return NULL;
  orders = orders_where (self, "run_id", run_id, error);
  if (orders == NULL)
    return NULL;

  if (!run_is_dead (ctx->run))
    {
      /* A moved run: judge each order against the run as it is. */
      sync = sync_new ();
      for (guint i = 0; i < orders->len; i++)
        {
          const BqOrder *order = g_ptr_array_index (orders, i);
          const BqCentre *centre = g_hash_table_lookup (self->centres, order->centre_id);
          g_autoptr(Evaluation) e = NULL;

          if ((order->status != BQ_ORDER_REQUESTED && order->status != BQ_ORDER_CONFIRMED) ||
              centre == NULL)
            continue;
          e = evaluate (self, ctx, centre, order->prescribed_activity_bq, order->admin_start,
                        order->admin_end, error);
          if (e == NULL)
            return NULL;
          if (e->reason != BQ_SLOT_OK)
            g_hash_table_add (infeasible, order->base.id);
        }
    }

  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);
      BqSlotAffectedOrder *a;

      if (order->status != BQ_ORDER_REQUESTED && order->status != BQ_ORDER_CONFIRMED)
        continue;
      if (!run_is_dead (ctx->run) && !g_hash_table_contains (infeasible, order->base.id))
        continue;
      a = g_new0 (BqSlotAffectedOrder, 1);
      a->order = bq_entity_copy (order);
      g_ptr_array_add (r->orders, a);
    }
  g_ptr_array_sort (r->orders, compare_affected);

  for (guint i = 0; with_alternatives && i < r->orders->len; i++)
    {
      BqSlotAffectedOrder *a = g_ptr_array_index (r->orders, i);
      g_autoptr(BqSlotMatch) match = NULL;
      BqSlotRequest request;

      request_for_order (&request, a->order, run_id, now);
      request.max_options = 5;
      match = match_internal (self, &request, error);
      if (match == NULL)
        return NULL;
      a->alternatives = g_steal_pointer (&match->feasible);
      a->message = a->alternatives->len > 0
                   ? g_strdup_printf ("%u alternatives; best: %s", a->alternatives->len,
                                      ((BqSlotOption *) g_ptr_array_index (a->alternatives, 0))->summary)
                   : g_strdup ("no alternative slot serves this order");
    }
  return g_steal_pointer (&r);
}

BqSlotReallocation *
bq_slot_engine_affected_orders (BqSlotEngine  *self,
                                const char    *run_id,
                                gint64         now,
                                GError       **error)
{
  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (run_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return affected (self, run_id, clock_now (now), TRUE, error);
}

BqSlotReallocation *
bq_slot_engine_reallocate (BqSlotEngine  *self,
                           const char    *run_id,
                           gint64         now,
                           GError       **error)
{
  g_autoptr(BqSlotReallocation) r = NULL;
  g_autoptr(RunCtx) ctx = NULL;
  g_autoptr(BqSlotSync) sync = NULL;

  g_return_val_if_fail (BQ_IS_SLOT_ENGINE (self), NULL);
  g_return_val_if_fail (run_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  now = clock_now (now);
  if (!ensure_loaded (self, error) || !bq_store_begin (self->store, error))
    return NULL;
  r = affected (self, run_id, now, FALSE, error);
  if (r == NULL)
    goto fail;
  /* Release what the run no longer offers before moving anyone. */
  ctx = load_run_ctx (self, run_id, error);
  sync = sync_new ();
  if (ctx == NULL || !reconcile_one (self, ctx, now, sync, error))
    goto fail;

  for (guint i = 0; i < r->orders->len; i++)
    {
      BqSlotAffectedOrder *a = g_ptr_array_index (r->orders, i);
      g_autoptr(BqSlotMatch) match = NULL;
      BqSlotRequest request;

      /* Matched afresh inside the transaction: earlier moves took doses. */
      request_for_order (&request, a->order, run_id, now);
      match = match_internal (self, &request, error);
      if (match == NULL)
        goto fail;
      for (guint k = 0; k < match->feasible->len && a->new_slot_id == NULL; k++)
        {
          const BqSlotOption *option = g_ptr_array_index (match->feasible, k);
          g_autoptr(BqOrder) order = bq_entity_copy (a->order);
          g_autoptr(GError) claim_error = NULL;

          if (!bq_store_begin (self->store, error))
            goto fail;
          if (claim_in_transaction (self, option->slot, order, NULL, now, &claim_error))
            {
              if (!bq_store_commit (self->store, error))
                goto fail;
              a->new_slot_id = g_strdup (option->slot->base.id);
              a->message = g_strdup_printf ("moved to %s: %s", option->slot->base.id,
                                            option->summary);
            }
          else
            {
              bq_store_rollback (self->store);
              if (claim_error->domain != BQ_SLOT_ERROR)
                {
                  g_propagate_error (error, g_steal_pointer (&claim_error));
                  goto fail;
                }
            }
        }
      a->alternatives = g_steal_pointer (&match->feasible);
      if (a->new_slot_id != NULL)
        r->n_moved++;
      else
        {
          r->n_unplaced++;
          a->message = g_strdup ("no alternative slot serves this order; it keeps its slot");
        }
    }
  if (!bq_store_commit (self->store, error))
    return NULL;
  r->applied = TRUE;
  return g_steal_pointer (&r);

fail:
  if (!sqlite3_get_autocommit (bq_store_get_db (self->store)))
    bq_store_rollback (self->store);
  return NULL;
}
