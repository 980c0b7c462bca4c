/* bq-model.c — entity descriptions and the generic operations on them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-model.h"
#include "bq-nuclide.h"

/* ------------------------------------------------------------------ errors */

typedef struct {
  char *field;
} BqModelErrorPrivate;

static void
bq_model_error_private_init (BqModelErrorPrivate *priv)
{
  priv->field = NULL;
}

static void
bq_model_error_private_copy (const BqModelErrorPrivate *src,
                             BqModelErrorPrivate       *dest)
{
  dest->field = g_strdup (src->field);
}

static void
bq_model_error_private_clear (BqModelErrorPrivate *priv)
{
  g_clear_pointer (&priv->field, g_free);
}

/* An extended error domain, so the field travels with the error to the
 * server's {"error":{"field":…}} without parsing the message. */
G_DEFINE_EXTENDED_ERROR (BqModelError, bq_model_error)

const char *
bq_model_error_get_field (const GError *error)
{
  BqModelErrorPrivate *priv;

  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != BQ_MODEL_ERROR)
    return NULL;
  priv = bq_model_error_get_private (error);
  return priv ? priv->field : NULL;
}

void
bq_model_set_error (GError      **error,
                    BqModelError  code,
                    const char   *field,
                    const char   *format,
                    ...)
{
  g_autofree char *message = NULL;
  GError *new_error;
  va_list args;

  if (error == NULL)
    return;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  if (field != NULL)
    new_error = g_error_new (BQ_MODEL_ERROR, code, "%s: %s", field, message);
  else
    new_error = g_error_new_literal (BQ_MODEL_ERROR, code, message);

  if (field != NULL)
    bq_model_error_get_private (new_error)->field = g_strdup (field);

  g_propagate_error (error, new_error);
}

/* ----------------------------------------------------------- descriptions */

#define BASE_FIELDS(S)                                                              \
  { "id", BQ_FIELD_STRING, BQ_FIELD_SERVER, G_STRUCT_OFFSET (S, base.id), NULL, NULL }, \
  { "revision", BQ_FIELD_INT, BQ_FIELD_SERVER | BQ_FIELD_NON_NEGATIVE,              \
    G_STRUCT_OFFSET (S, base.revision), NULL, NULL }

#define FIELD(S, member, type, flags) \
  { #member, type, flags, G_STRUCT_OFFSET (S, member), NULL, NULL }
#define REF(S, member, flags, target) \
  { #member, BQ_FIELD_STRING, flags, G_STRUCT_OFFSET (S, member), NULL, target }
#define ENUM(S, member, flags, nicks) \
  { #member, BQ_FIELD_ENUM, flags, G_STRUCT_OFFSET (S, member), nicks, NULL }

#define REQ BQ_FIELD_REQUIRED
#define NONNEG BQ_FIELD_NON_NEGATIVE
#define POS BQ_FIELD_POSITIVE

#define DEFINE_TYPE(var, tname, tplural, S, fields_array, validate_func) \
  const BqEntityType var = {                                             \
    tname, tplural, sizeof (S), fields_array,                            \
    G_N_ELEMENTS (fields_array), validate_func                           \
  }

static const char * const run_status_nicks[] = {
  "planned", "synthesis", "qc", "released", "failed", "shipped", "cancelled", NULL
};
static const char * const slot_status_nicks[] = {
  "open", "held", "claimed", "confirmed", "shipped", "released", NULL
};
static const char * const slot_offering_nicks[] = {
  "quota", "pool", NULL
};
static const char * const order_status_nicks[] = {
  "requested", "confirmed", "shipped", "administered", "cancelled", NULL
};
static const char * const lane_mode_nicks[] = {
  "ground", "flight", "charter", "handover", NULL
};
static const char * const shipment_status_nicks[] = {
  "planned", "in_transit", "delivered", "late", "cancelled", NULL
};
static const char * const leg_status_nicks[] = {
  "planned", "departed", "arrived", "late", "cancelled", NULL
};
static const char * const qc_status_nicks[] = {
  "pending", "pass", "fail", NULL
};
static const char * const role_nicks[] = {
  "admin", "planner", "account_manager", "qa", "logistics", "viewer", NULL
};

/* Rules across fields, shared by the types that have a place on the map. */
static gboolean
validate_place (const char *timezone,
                double      latitude,
                double      longitude,
                GError    **error)
{
  g_autoptr(GTimeZone) tz = NULL;

  if (latitude < -90.0 || latitude > 90.0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "latitude",
                          "%g is not between -90 and 90", latitude);
      return FALSE;
    }
  if (longitude < -180.0 || longitude > 180.0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "longitude",
                          "%g is not between -180 and 180", longitude);
      return FALSE;
    }

  /* GLib answers NULL for an identifier tzdata does not know.  Only the
   * characters of tzdata names reach it: GLib would open an absolute path
   * or "../…" from a client, and accept a POSIX rule such as
   * "CET-1CEST,M3.5.0,M10.5.0/3". */
  if (timezone[0] != '/' &&
      timezone[strspn (timezone, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                 "0123456789/_+-")] == '\0')
    tz = g_time_zone_new_identifier (timezone);
  if (tz == NULL || strchr (timezone, '/') == NULL)
    {
      if (g_strcmp0 (timezone, "UTC") != 0)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "timezone",
                              "“%s” is not an IANA time zone such as Europe/Berlin",
                              timezone);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
validate_interval (gint64      start,
                   gint64      end,
                   const char *end_field,
                   const char *what,
                   gboolean    strictly_after,
                   GError    **error)
{
  if (start == BQ_TIME_UNSET || end == BQ_TIME_UNSET)
    return TRUE;
  if (end < start || (strictly_after && end == start))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, end_field,
                          "%s", what);
      return FALSE;
    }
  return TRUE;
}

static const BqField site_fields[] = {
  BASE_FIELDS (BqSite),
  FIELD (BqSite, name, BQ_FIELD_STRING, REQ),
  FIELD (BqSite, organisation, BQ_FIELD_STRING, REQ),
  FIELD (BqSite, city, BQ_FIELD_STRING, 0),
  FIELD (BqSite, country, BQ_FIELD_STRING, REQ),
  FIELD (BqSite, timezone, BQ_FIELD_STRING, REQ),
  FIELD (BqSite, latitude, BQ_FIELD_DOUBLE, REQ),
  FIELD (BqSite, longitude, BQ_FIELD_DOUBLE, REQ),
};

static gboolean
validate_site (gconstpointer entity,
               GError      **error)
{
  const BqSite *site = entity;
  return validate_place (site->timezone, site->latitude, site->longitude, error);
}

DEFINE_TYPE (bq_site_type, "site", "sites", BqSite, site_fields, validate_site);

static const BqField line_fields[] = {
  BASE_FIELDS (BqLine),
  REF (BqLine, site_id, REQ, "site"),
  FIELD (BqLine, name, BQ_FIELD_STRING, REQ),
  FIELD (BqLine, product_ids, BQ_FIELD_STRV, 0),
  FIELD (BqLine, working_weekdays, BQ_FIELD_INT, NONNEG),
  FIELD (BqLine, shift_start_local, BQ_FIELD_INT, NONNEG),
  FIELD (BqLine, shift_end_local, BQ_FIELD_INT, NONNEG),
  FIELD (BqLine, changeover_s, BQ_FIELD_INT, NONNEG),
};

/* Minutes of a day and weekday masks, shared by lines and products. */
static gboolean
validate_day_minutes (gint64      minutes,
                      gint64      max,
                      const char *field,
                      GError    **error)
{
  if (minutes > max)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field,
                          "%" G_GINT64_FORMAT " is not a time of day in minutes (0–%"
                          G_GINT64_FORMAT ")", minutes, max);
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_weekdays (gint64      weekdays,
                   const char *field,
                   GError    **error)
{
  if (weekdays > 127)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field,
                          "bit 0 is Monday and bit 6 Sunday: at most 127");
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_line (gconstpointer entity,
               GError      **error)
{
  const BqLine *line = entity;

  if (!validate_weekdays (line->working_weekdays, "working_weekdays", error) ||
      !validate_day_minutes (line->shift_start_local, 1439, "shift_start_local", error) ||
      !validate_day_minutes (line->shift_end_local, 1440, "shift_end_local", error))
    return FALSE;
  /* No shift across midnight: a night shift is two shifts, and lines have one. */
  if (line->shift_end_local != 0 && line->shift_end_local <= line->shift_start_local)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "shift_end_local",
                          "the shift ends before it starts");
      return FALSE;
    }
  return TRUE;
}

DEFINE_TYPE (bq_line_type, "line", "lines", BqLine, line_fields, validate_line);

static const BqField product_fields[] = {
  BASE_FIELDS (BqProduct),
  FIELD (BqProduct, name, BQ_FIELD_STRING, REQ),
  FIELD (BqProduct, nuclide, BQ_FIELD_STRING, REQ),
  FIELD (BqProduct, dose_activity_bq, BQ_FIELD_DOUBLE, REQ | POS),
  FIELD (BqProduct, tolerance, BQ_FIELD_DOUBLE, REQ | BQ_FIELD_FRACTION),
  FIELD (BqProduct, concentration_bq_per_ml, BQ_FIELD_DOUBLE, REQ | POS),
  FIELD (BqProduct, shelf_life_s, BQ_FIELD_INT, REQ | POS),
  FIELD (BqProduct, synthesis_duration_s, BQ_FIELD_INT, REQ | POS),
  FIELD (BqProduct, qc_duration_s, BQ_FIELD_INT, REQ | NONNEG),
  FIELD (BqProduct, qc_release_tests, BQ_FIELD_STRV, 0),
  FIELD (BqProduct, activity_margin, BQ_FIELD_DOUBLE, BQ_FIELD_FRACTION),
  FIELD (BqProduct, supply_weekdays, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, supply_arrival_local, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, supply_window_s, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, max_doses_per_run, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, max_activity_eos_bq, BQ_FIELD_DOUBLE, POS),
  FIELD (BqProduct, order_cutoff_s, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, order_cutoff_weekday, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, order_cutoff_local, BQ_FIELD_INT, NONNEG),
  FIELD (BqProduct, hold_duration_s, BQ_FIELD_INT, NONNEG),
  ENUM (BqProduct, slot_offering, 0, slot_offering_nicks),
};

static gboolean
validate_product (gconstpointer entity,
                  GError      **error)
{
  const BqProduct *product = entity;
  g_autoptr(GError) local_error = NULL;
  const BqNuclide *nuclide;

  if (!validate_weekdays (product->supply_weekdays, "supply_weekdays", error) ||
      !validate_day_minutes (product->supply_arrival_local, 1439, "supply_arrival_local",
                             error) ||
      !validate_day_minutes (product->order_cutoff_local, 1439, "order_cutoff_local", error))
    return FALSE;
  if (product->order_cutoff_weekday > 7)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "order_cutoff_weekday",
                          "1 is Monday and 7 Sunday (0: no weekday rule)");
      return FALSE;
    }

  nuclide = bq_nuclide_lookup (product->nuclide, &local_error);
  if (nuclide == NULL)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "nuclide",
                          "%s", local_error->message);
      return FALSE;
    }
  /* One spelling in the database, so filters and joins never miss. */
  if (strcmp (nuclide->name, product->nuclide) != 0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "nuclide",
                          "write “%s” as “%s”", product->nuclide, nuclide->name);
      return FALSE;
    }
  return TRUE;
}

DEFINE_TYPE (bq_product_type, "product", "products", BqProduct, product_fields,
             validate_product);

static const BqField centre_fields[] = {
  BASE_FIELDS (BqCentre),
  FIELD (BqCentre, name, BQ_FIELD_STRING, REQ),
  FIELD (BqCentre, city, BQ_FIELD_STRING, 0),
  FIELD (BqCentre, country, BQ_FIELD_STRING, REQ),
  FIELD (BqCentre, region, BQ_FIELD_STRING, REQ),
  FIELD (BqCentre, timezone, BQ_FIELD_STRING, REQ),
  FIELD (BqCentre, latitude, BQ_FIELD_DOUBLE, REQ),
  FIELD (BqCentre, longitude, BQ_FIELD_DOUBLE, REQ),
  FIELD (BqCentre, order_cutoff_s, BQ_FIELD_INT, NONNEG),
};

static gboolean
validate_centre (gconstpointer entity,
                 GError      **error)
{
  const BqCentre *centre = entity;
  return validate_place (centre->timezone, centre->latitude, centre->longitude, error);
}

DEFINE_TYPE (bq_centre_type, "centre", "centres", BqCentre, centre_fields,
             validate_centre);

static const BqField hub_fields[] = {
  BASE_FIELDS (BqHub),
  FIELD (BqHub, code, BQ_FIELD_STRING, REQ),
  FIELD (BqHub, name, BQ_FIELD_STRING, REQ),
  FIELD (BqHub, timezone, BQ_FIELD_STRING, REQ),
  FIELD (BqHub, latitude, BQ_FIELD_DOUBLE, REQ),
  FIELD (BqHub, longitude, BQ_FIELD_DOUBLE, REQ),
};

static gboolean
validate_hub (gconstpointer entity,
              GError      **error)
{
  const BqHub *hub = entity;
  return validate_place (hub->timezone, hub->latitude, hub->longitude, error);
}

DEFINE_TYPE (bq_hub_type, "hub", "hubs", BqHub, hub_fields, validate_hub);

static const BqField run_fields[] = {
  BASE_FIELDS (BqRun),
  REF (BqRun, line_id, REQ, "line"),
  REF (BqRun, product_id, REQ, "product"),
  FIELD (BqRun, batch, BQ_FIELD_STRING, REQ),
  FIELD (BqRun, start_time, BQ_FIELD_TIME, REQ),
  FIELD (BqRun, eos_time, BQ_FIELD_TIME, REQ),
  FIELD (BqRun, calibration_time, BQ_FIELD_TIME, REQ),
  FIELD (BqRun, activity_eos_bq, BQ_FIELD_DOUBLE, REQ | NONNEG),
  FIELD (BqRun, dose_capacity, BQ_FIELD_INT, REQ | NONNEG),
  ENUM (BqRun, status, 0, run_status_nicks),
};

static gboolean
validate_run (gconstpointer entity,
              GError      **error)
{
  const BqRun *run = entity;

  return validate_interval (run->start_time, run->eos_time, "eos_time",
                            "end of synthesis must come after the start", TRUE, error) &&
         validate_interval (run->eos_time, run->calibration_time, "calibration_time",
                            "calibration cannot come before the end of synthesis",
                            FALSE, error);
}

DEFINE_TYPE (bq_run_type, "run", "runs", BqRun, run_fields, validate_run);

static const BqField forecast_fields[] = {
  BASE_FIELDS (BqForecast),
  REF (BqForecast, centre_id, REQ, "centre"),
  REF (BqForecast, product_id, REQ, "product"),
  FIELD (BqForecast, week_start, BQ_FIELD_TIME, REQ),
  FIELD (BqForecast, doses, BQ_FIELD_INT, REQ | NONNEG),
};

/* 1970-01-05 was the first Monday of the Unix epoch. */
#define FIRST_MONDAY (4 * 86400)

static gboolean
validate_forecast (gconstpointer entity,
                   GError      **error)
{
  const BqForecast *forecast = entity;
  gint64 offset = (forecast->week_start - FIRST_MONDAY) % (7 * 86400);

  if (offset != 0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "week_start",
                          "a forecast week starts on a Monday at 00:00 UTC");
      return FALSE;
    }
  return TRUE;
}

DEFINE_TYPE (bq_forecast_type, "forecast", "forecasts", BqForecast, forecast_fields,
             validate_forecast);

static const BqField maintenance_block_fields[] = {
  BASE_FIELDS (BqMaintenanceBlock),
  REF (BqMaintenanceBlock, line_id, REQ, "line"),
  FIELD (BqMaintenanceBlock, start_time, BQ_FIELD_TIME, REQ),
  FIELD (BqMaintenanceBlock, end_time, BQ_FIELD_TIME, REQ),
  FIELD (BqMaintenanceBlock, reason, BQ_FIELD_STRING, 0),
};

static gboolean
validate_maintenance_block (gconstpointer entity,
                            GError      **error)
{
  const BqMaintenanceBlock *block = entity;

  return validate_interval (block->start_time, block->end_time, "end_time",
                            "maintenance must end after it starts", TRUE, error);
}

DEFINE_TYPE (bq_maintenance_block_type, "maintenance_block", "maintenance_blocks",
             BqMaintenanceBlock, maintenance_block_fields, validate_maintenance_block);

static const BqField slot_fields[] = {
  BASE_FIELDS (BqSlot),
  REF (BqSlot, run_id, REQ, "run"),
  REF (BqSlot, centre_id, 0, "centre"),
  FIELD (BqSlot, region, BQ_FIELD_STRING, 0),
  FIELD (BqSlot, delivery_date, BQ_FIELD_TIME, REQ),
  FIELD (BqSlot, capacity, BQ_FIELD_INT, REQ | POS),
  FIELD (BqSlot, claimed, BQ_FIELD_INT, NONNEG),
  ENUM (BqSlot, status, 0, slot_status_nicks),
  FIELD (BqSlot, hold_expires, BQ_FIELD_TIME, 0),
  REF (BqSlot, held_by, 0, "user"),
  FIELD (BqSlot, held, BQ_FIELD_INT, NONNEG),
  FIELD (BqSlot, order_cutoff, BQ_FIELD_TIME, 0),
};

static gboolean
validate_slot (gconstpointer entity,
               GError      **error)
{
  const BqSlot *slot = entity;

  if (slot->claimed > slot->capacity)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "claimed",
                          "%" G_GINT64_FORMAT " doses claimed but the slot has only %"
                          G_GINT64_FORMAT, slot->claimed, slot->capacity);
      return FALSE;
    }
  if (slot->claimed + slot->held > slot->capacity)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "held",
                          "%" G_GINT64_FORMAT " doses claimed and %" G_GINT64_FORMAT
                          " held but the slot has only %" G_GINT64_FORMAT,
                          slot->claimed, slot->held, slot->capacity);
      return FALSE;
    }
  if (slot->held > 0 && (slot->held_by == NULL || slot->hold_expires == BQ_TIME_UNSET))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, "held_by",
                          "held doses need the user holding them and when the hold expires");
      return FALSE;
    }
  if (slot->centre_id == NULL && slot->region == NULL)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, "centre_id",
                          "a slot is for a centre or, as a pool, for a region");
      return FALSE;
    }
  if (slot->status == BQ_SLOT_HELD && slot->hold_expires == BQ_TIME_UNSET)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, "hold_expires",
                          "a held slot needs the time its hold expires");
      return FALSE;
    }
  return TRUE;
}

DEFINE_TYPE (bq_slot_type, "slot", "slots", BqSlot, slot_fields, validate_slot);

static const BqField order_fields[] = {
  BASE_FIELDS (BqOrder),
  REF (BqOrder, centre_id, REQ, "centre"),
  REF (BqOrder, product_id, REQ, "product"),
  FIELD (BqOrder, patient_ref, BQ_FIELD_STRING, REQ),
  FIELD (BqOrder, prescribed_activity_bq, BQ_FIELD_DOUBLE, REQ | POS),
  FIELD (BqOrder, admin_start, BQ_FIELD_TIME, REQ),
  FIELD (BqOrder, admin_end, BQ_FIELD_TIME, REQ),
  REF (BqOrder, slot_id, 0, "slot"),
  REF (BqOrder, run_id, 0, "run"),
  REF (BqOrder, shipment_id, 0, "shipment"),
  ENUM (BqOrder, status, 0, order_status_nicks),
};

/* A patient reference is a pseudonym: letters, digits and - _ . with at
 * least one digit and no spaces, so "Jane Doe" or "JaneDoe" never pass. */
static gboolean
patient_ref_is_pseudonymous (const char *ref)
{
  gboolean has_digit = FALSE;
  gsize len = strlen (ref);

  if (len < 3 || len > 64)
    return FALSE;
  for (const char *p = ref; *p; p++)
    {
      if (g_ascii_isdigit (*p))
        has_digit = TRUE;
      else if (!g_ascii_isalpha (*p) && *p != '-' && *p != '_' && *p != '.')
        return FALSE;
    }
  return has_digit;
}

static gboolean
validate_order (gconstpointer entity,
                GError      **error)
{
  const BqOrder *order = entity;

  if (!patient_ref_is_pseudonymous (order->patient_ref))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "patient_ref",
                          "must be a pseudonymous reference of 3–64 letters, digits, "
                          "“-”, “_” or “.” with at least one digit — never a name");
      return FALSE;
    }
  return validate_interval (order->admin_start, order->admin_end, "admin_end",
                            "the administration window ends before it starts",
                            TRUE, error);
}

DEFINE_TYPE (bq_order_type, "order", "orders", BqOrder, order_fields, validate_order);

static const BqField lane_fields[] = {
  BASE_FIELDS (BqLane),
  ENUM (BqLane, mode, REQ, lane_mode_nicks),
  FIELD (BqLane, origin_id, BQ_FIELD_STRING, REQ),
  FIELD (BqLane, destination_id, BQ_FIELD_STRING, REQ),
  FIELD (BqLane, carrier, BQ_FIELD_STRING, REQ),
  FIELD (BqLane, service, BQ_FIELD_STRING, 0),
  FIELD (BqLane, weekdays, BQ_FIELD_INT, NONNEG),
  FIELD (BqLane, departure_local, BQ_FIELD_INT, NONNEG),
  FIELD (BqLane, duration_s, BQ_FIELD_INT, REQ | POS),
  FIELD (BqLane, handling_s, BQ_FIELD_INT, NONNEG),
  FIELD (BqLane, valid_from, BQ_FIELD_TIME, 0),
  FIELD (BqLane, valid_to, BQ_FIELD_TIME, 0),
  FIELD (BqLane, class7_accepted, BQ_FIELD_BOOL, 0),
};

static gboolean
validate_lane (gconstpointer entity,
               GError      **error)
{
  const BqLane *lane = entity;

  if (lane->weekdays > 0x7f)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "weekdays",
                          "a mask of seven days (0–127), bit 0 for Monday");
      return FALSE;
    }
  if (lane->departure_local >= 24 * 60)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "departure_local",
                          "minutes after local midnight, 0–1439");
      return FALSE;
    }
  if (strcmp (lane->origin_id, lane->destination_id) == 0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "destination_id",
                          "a lane goes somewhere else than where it starts");
      return FALSE;
    }
  return validate_interval (lane->valid_from, lane->valid_to, "valid_to",
                            "the lane stops being valid before it starts", TRUE, error);
}

DEFINE_TYPE (bq_lane_type, "lane", "lanes", BqLane, lane_fields, validate_lane);

static const BqField sla_fields[] = {
  BASE_FIELDS (BqSla),
  REF (BqSla, site_id, REQ, "site"),
  FIELD (BqSla, region, BQ_FIELD_STRING, REQ),
  FIELD (BqSla, max_door_to_door_s, BQ_FIELD_INT, REQ | POS),
  FIELD (BqSla, min_before_admin_s, BQ_FIELD_INT, NONNEG),
};

DEFINE_TYPE (bq_sla_type, "sla", "slas", BqSla, sla_fields, NULL);

static const BqField shipment_fields[] = {
  BASE_FIELDS (BqShipment),
  REF (BqShipment, run_id, REQ, "run"),
  REF (BqShipment, centre_id, REQ, "centre"),
  ENUM (BqShipment, status, 0, shipment_status_nicks),
  FIELD (BqShipment, planned_departure, BQ_FIELD_TIME, REQ),
  FIELD (BqShipment, planned_arrival, BQ_FIELD_TIME, REQ),
  FIELD (BqShipment, actual_departure, BQ_FIELD_TIME, 0),
  FIELD (BqShipment, actual_arrival, BQ_FIELD_TIME, 0),
};

static gboolean
validate_shipment (gconstpointer entity,
                   GError      **error)
{
  const BqShipment *shipment = entity;

  return validate_interval (shipment->planned_departure, shipment->planned_arrival,
                            "planned_arrival", "planned to arrive before it leaves",
                            FALSE, error) &&
         validate_interval (shipment->actual_departure, shipment->actual_arrival,
                            "actual_arrival", "arrived before it left", FALSE, error);
}

DEFINE_TYPE (bq_shipment_type, "shipment", "shipments", BqShipment, shipment_fields,
             validate_shipment);

static const BqField shipment_leg_fields[] = {
  BASE_FIELDS (BqShipmentLeg),
  REF (BqShipmentLeg, shipment_id, REQ, "shipment"),
  FIELD (BqShipmentLeg, seq, BQ_FIELD_INT, REQ | NONNEG),
  REF (BqShipmentLeg, lane_id, REQ, "lane"),
  FIELD (BqShipmentLeg, planned_departure, BQ_FIELD_TIME, REQ),
  FIELD (BqShipmentLeg, planned_arrival, BQ_FIELD_TIME, REQ),
  FIELD (BqShipmentLeg, actual_departure, BQ_FIELD_TIME, 0),
  FIELD (BqShipmentLeg, actual_arrival, BQ_FIELD_TIME, 0),
  ENUM (BqShipmentLeg, status, 0, leg_status_nicks),
};

static gboolean
validate_shipment_leg (gconstpointer entity,
                       GError      **error)
{
  const BqShipmentLeg *leg = entity;

  return validate_interval (leg->planned_departure, leg->planned_arrival,
                            "planned_arrival", "planned to arrive before it leaves",
                            FALSE, error) &&
         validate_interval (leg->actual_departure, leg->actual_arrival,
                            "actual_arrival", "arrived before it left", FALSE, error);
}

DEFINE_TYPE (bq_shipment_leg_type, "shipment_leg", "shipment_legs", BqShipmentLeg,
             shipment_leg_fields, validate_shipment_leg);

static const BqField qc_result_fields[] = {
  BASE_FIELDS (BqQcResult),
  REF (BqQcResult, run_id, REQ, "run"),
  FIELD (BqQcResult, test, BQ_FIELD_STRING, REQ),
  ENUM (BqQcResult, status, 0, qc_status_nicks),
  FIELD (BqQcResult, value, BQ_FIELD_DOUBLE, 0),
  FIELD (BqQcResult, unit, BQ_FIELD_STRING, 0),
  FIELD (BqQcResult, recorded_at, BQ_FIELD_TIME, REQ),
};

DEFINE_TYPE (bq_qc_result_type, "qc_result", "qc_results", BqQcResult, qc_result_fields,
             NULL);

static const BqField user_fields[] = {
  BASE_FIELDS (BqUser),
  FIELD (BqUser, username, BQ_FIELD_STRING, REQ),
  FIELD (BqUser, display_name, BQ_FIELD_STRING, 0),
  ENUM (BqUser, role, REQ, role_nicks),
  FIELD (BqUser, centre_ids, BQ_FIELD_STRV, 0),
  FIELD (BqUser, disabled, BQ_FIELD_BOOL, 0),
};

static gboolean
validate_user (gconstpointer entity,
               GError      **error)
{
  const BqUser *user = entity;
  gsize len = strlen (user->username);

  if (len > 64)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "username",
                          "at most 64 characters");
      return FALSE;
    }
  for (const char *p = user->username; *p; p++)
    {
      if (!g_ascii_islower (*p) && !g_ascii_isdigit (*p) && *p != '.' && *p != '_' && *p != '-')
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "username",
                              "use lower-case letters, digits, “.”, “_” and “-”");
          return FALSE;
        }
    }
  return TRUE;
}

DEFINE_TYPE (bq_user_type, "user", "users", BqUser, user_fields, validate_user);

static const BqEntityType * const all_types[] = {
  &bq_site_type,
  &bq_line_type,
  &bq_product_type,
  &bq_centre_type,
  &bq_hub_type,
  &bq_user_type,
  &bq_run_type,
  &bq_forecast_type,
  &bq_maintenance_block_type,
  &bq_qc_result_type,
  &bq_slot_type,
  &bq_lane_type,
  &bq_sla_type,
  &bq_shipment_type,
  &bq_shipment_leg_type,
  &bq_order_type,
};

const BqEntityType * const *
bq_entity_types (guint *n_types)
{
  if (n_types != NULL)
    *n_types = G_N_ELEMENTS (all_types);
  return all_types;
}

const BqEntityType *
bq_entity_type_lookup (const char *name)
{
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (all_types); i++)
    {
      if (strcmp (all_types[i]->name, name) == 0 ||
          strcmp (all_types[i]->plural, name) == 0)
        return all_types[i];
    }
  return NULL;
}

const BqField *
bq_entity_type_get_field (const BqEntityType *type,
                          const char         *name)
{
  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (name != NULL, NULL);

  for (guint i = 0; i < type->n_fields; i++)
    {
      if (strcmp (type->fields[i].name, name) == 0)
        return &type->fields[i];
    }
  return NULL;
}

const char *
bq_enum_to_nick (const BqField *field,
                 int            value)
{
  g_return_val_if_fail (field != NULL && field->type == BQ_FIELD_ENUM, NULL);

  for (int i = 0; field->enum_nicks[i] != NULL; i++)
    {
      if (i == value)
        return field->enum_nicks[i];
    }
  return NULL;
}

int
bq_enum_from_nick (const BqField *field,
                   const char    *nick)
{
  g_return_val_if_fail (field != NULL && field->type == BQ_FIELD_ENUM, -1);

  if (nick == NULL)
    return -1;
  for (int i = 0; field->enum_nicks[i] != NULL; i++)
    {
      if (strcmp (field->enum_nicks[i], nick) == 0)
        return i;
    }
  return -1;
}

/* ------------------------------------------------------------- operations */

void
bq_field_reset (gpointer       entity,
                const BqField *field)
{
  gpointer p;

  g_return_if_fail (entity != NULL);
  g_return_if_fail (field != NULL);

  p = BQ_FIELD_PTR (entity, field);
  switch (field->type)
    {
    case BQ_FIELD_STRING:
      g_clear_pointer ((char **) p, g_free);
      break;
    case BQ_FIELD_INT:
      *(gint64 *) p = 0;
      break;
    case BQ_FIELD_DOUBLE:
      *(double *) p = NAN;
      break;
    case BQ_FIELD_BOOL:
      *(gboolean *) p = FALSE;
      break;
    case BQ_FIELD_TIME:
      *(gint64 *) p = BQ_TIME_UNSET;
      break;
    case BQ_FIELD_ENUM:
      *(int *) p = 0;
      break;
    case BQ_FIELD_STRV:
      g_clear_pointer ((char ***) p, g_strfreev);
      break;
    default:
      g_assert_not_reached ();
    }
}

gpointer
bq_entity_new (const BqEntityType *type)
{
  BqEntity *entity;

  g_return_val_if_fail (type != NULL, NULL);

  entity = g_malloc0 (type->size);
  entity->type = type;

  /* Required fields stay zero until set; optional ones start unset. */
  for (guint i = 0; i < type->n_fields; i++)
    {
      if (!(type->fields[i].flags & BQ_FIELD_REQUIRED))
        bq_field_reset (entity, &type->fields[i]);
    }
  return entity;
}

gpointer
bq_entity_copy (gconstpointer entity)
{
  const BqEntityType *type;
  gpointer copy;

  g_return_val_if_fail (entity != NULL, NULL);

  type = BQ_ENTITY (entity)->type;
  copy = g_memdup2 (entity, type->size);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];

      if (field->type == BQ_FIELD_STRING)
        {
          char **p = BQ_FIELD_PTR (copy, field);
          *p = g_strdup (*p);
        }
      else if (field->type == BQ_FIELD_STRV)
        {
          char ***p = BQ_FIELD_PTR (copy, field);
          *p = g_strdupv (*p);
        }
    }
  return copy;
}

void
bq_entity_free (gpointer entity)
{
  const BqEntityType *type;

  if (entity == NULL)
    return;

  type = BQ_ENTITY (entity)->type;
  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];

      if (field->type == BQ_FIELD_STRING)
        g_free (*(char **) BQ_FIELD_PTR (entity, field));
      else if (field->type == BQ_FIELD_STRV)
        g_strfreev (*(char ***) BQ_FIELD_PTR (entity, field));
    }
  g_free (entity);
}

static gboolean
doubles_equal (double a,
               double b)
{
  /* Unset optional doubles are NAN on both sides. */
  return (isnan (a) && isnan (b)) || a == b;
}

gboolean
bq_entity_equal (gconstpointer a,
                 gconstpointer b)
{
  const BqEntityType *type;

  g_return_val_if_fail (a != NULL && b != NULL, FALSE);

  type = BQ_ENTITY (a)->type;
  if (type != BQ_ENTITY (b)->type)
    return FALSE;

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];
      gconstpointer pa = BQ_FIELD_PTR (a, field);
      gconstpointer pb = BQ_FIELD_PTR (b, field);

      switch (field->type)
        {
        case BQ_FIELD_STRING:
          if (g_strcmp0 (*(char * const *) pa, *(char * const *) pb) != 0)
            return FALSE;
          break;
        case BQ_FIELD_INT:
        case BQ_FIELD_TIME:
          if (*(const gint64 *) pa != *(const gint64 *) pb)
            return FALSE;
          break;
        case BQ_FIELD_DOUBLE:
          if (!doubles_equal (*(const double *) pa, *(const double *) pb))
            return FALSE;
          break;
        case BQ_FIELD_BOOL:
          if (!*(const gboolean *) pa != !*(const gboolean *) pb)
            return FALSE;
          break;
        case BQ_FIELD_ENUM:
          if (*(const int *) pa != *(const int *) pb)
            return FALSE;
          break;
        case BQ_FIELD_STRV:
          {
            char * const *va = *(char ** const *) pa;
            char * const *vb = *(char ** const *) pb;
            guint la = va ? g_strv_length ((char **) va) : 0;
            guint lb = vb ? g_strv_length ((char **) vb) : 0;

            if (la != lb)
              return FALSE;
            for (guint j = 0; j < la; j++)
              if (strcmp (va[j], vb[j]) != 0)
                return FALSE;
          }
          break;
        default:
          g_assert_not_reached ();
        }
    }
  return TRUE;
}

/* Large enough for any name or reference, small enough that a hostile
 * client cannot store megabytes in a field. */
#define MAX_STRING_BYTES 1024

/* Times from 1970 to the end of 9999 — what ISO 8601 can write with four digits. */
#define MAX_TIME G_GINT64_CONSTANT (253402300799)

static gboolean
validate_string (const BqField *field,
                 const char    *value,
                 GError       **error)
{
  if (strlen (value) > MAX_STRING_BYTES)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                          "longer than %d bytes", MAX_STRING_BYTES);
      return FALSE;
    }
  if (!g_utf8_validate (value, -1, NULL))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_WRONG_TYPE, field->name,
                          "not valid UTF-8");
      return FALSE;
    }
  for (const char *p = value; *p; p++)
    {
      if ((guchar) *p < 0x20)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, field->name,
                              "contains a control character");
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
validate_number (const BqField *field,
                 double         value,
                 GError       **error)
{
  if ((field->flags & BQ_FIELD_POSITIVE) && !(value > 0))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                          "must be greater than zero");
      return FALSE;
    }
  if ((field->flags & BQ_FIELD_NON_NEGATIVE) && value < 0)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                          "must not be negative");
      return FALSE;
    }
  if ((field->flags & BQ_FIELD_FRACTION) && (value < 0 || value > 1))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                          "must be a fraction between 0 and 1");
      return FALSE;
    }
  return TRUE;
}

static gboolean
validate_field (gconstpointer  entity,
                const BqField *field,
                GError       **error)
{
  gconstpointer p = BQ_FIELD_PTR (entity, field);
  gboolean required = (field->flags & BQ_FIELD_REQUIRED) != 0;

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      {
        const char *value = *(char * const *) p;

        if (value == NULL || (required && value[0] == '\0'))
          {
            if (!required)
              return TRUE;
            bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, field->name,
                                "is required");
            return FALSE;
          }
        if (value[0] == '\0' && field->references != NULL)
          {
            bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, field->name,
                                "an empty reference; leave it out instead");
            return FALSE;
          }
        return validate_string (field, value, error);
      }

    case BQ_FIELD_INT:
      return validate_number (field, (double) *(const gint64 *) p, error);

    case BQ_FIELD_DOUBLE:
      {
        double value = *(const double *) p;

        if (isnan (value) && !required)
          return TRUE;
        if (!isfinite (value))
          {
            bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                                "must be a finite number");
            return FALSE;
          }
        return validate_number (field, value, error);
      }

    case BQ_FIELD_TIME:
      {
        gint64 value = *(const gint64 *) p;

        if (value == BQ_TIME_UNSET)
          {
            if (!required)
              return TRUE;
            bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, field->name,
                                "is required");
            return FALSE;
          }
        if (value < 0 || value > MAX_TIME)
          {
            bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                                "must be a time between 1970 and 9999");
            return FALSE;
          }
        return TRUE;
      }

    case BQ_FIELD_ENUM:
      if (bq_enum_to_nick (field, *(const int *) p) == NULL)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_BAD_ENUM, field->name,
                              "%d is not a known value", *(const int *) p);
          return FALSE;
        }
      return TRUE;

    case BQ_FIELD_BOOL:
      return TRUE;

    case BQ_FIELD_STRV:
      {
        char * const *values = *(char ** const *) p;

        for (guint i = 0; values != NULL && values[i] != NULL; i++)
          {
            if (values[i][0] == '\0')
              {
                bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, field->name,
                                    "contains an empty entry");
                return FALSE;
              }
            if (!validate_string (field, values[i], error))
              return FALSE;
          }
        return TRUE;
      }

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

gboolean
bq_entity_validate (gconstpointer   entity,
                    GError        **error)
{
  const BqEntityType *type;

  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (entity)->type;
  for (guint i = 0; i < type->n_fields; i++)
    {
      if (!validate_field (entity, &type->fields[i], error))
        return FALSE;
    }
  if (type->validate != NULL)
    return type->validate (entity, error);
  return TRUE;
}

const char *
bq_entity_get_id (gconstpointer entity)
{
  g_return_val_if_fail (entity != NULL, NULL);
  return BQ_ENTITY (entity)->id;
}

void
bq_entity_set_id (gpointer    entity,
                  const char *id)
{
  g_return_if_fail (entity != NULL);

  if (BQ_ENTITY (entity)->id == id)
    return;
  g_free (BQ_ENTITY (entity)->id);
  BQ_ENTITY (entity)->id = g_strdup (id);
}
