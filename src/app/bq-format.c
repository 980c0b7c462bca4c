/* bq-format.c — how the app writes times, statuses and units
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bq-format.h"

GTimeZone *
bq_format_time_zone (const char *identifier)
{
  GTimeZone *zone = NULL;

  if (identifier != NULL && *identifier != '\0')
    zone = g_time_zone_new_identifier (identifier);
  return zone != NULL ? zone : g_time_zone_new_utc ();
}

static gboolean
same_day (GDateTime *a,
          GDateTime *b)
{
  int ya, ma, da, yb, mb, db;

  g_date_time_get_ymd (a, &ya, &ma, &da);
  g_date_time_get_ymd (b, &yb, &mb, &db);
  return ya == yb && ma == mb && da == db;
}

char *
bq_format_window (gint64     start_utc,
                  gint64     end_utc,
                  GTimeZone *zone)
{
  g_autoptr(GDateTime) start_utc_dt = g_date_time_new_from_unix_utc (start_utc);
  g_autoptr(GDateTime) end_utc_dt = g_date_time_new_from_unix_utc (end_utc);
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) end = NULL;
  g_autofree char *day = NULL;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  const char *start_zone;
  const char *end_zone;

  g_return_val_if_fail (zone != NULL, NULL);

  if (start_utc_dt == NULL || end_utc_dt == NULL)
    return g_strdup ("—");

  start = g_date_time_to_timezone (start_utc_dt, zone);
  end = g_date_time_to_timezone (end_utc_dt, zone);
  start_zone = g_date_time_get_timezone_abbreviation (start);
  end_zone = g_date_time_get_timezone_abbreviation (end);

  /* Translators: a day in a time window, see g_date_time_format():
   * "Tue 17 Nov" (%-d: the day without padding). */
  day = g_date_time_format (start, _("%a %-d %b"));
  from = g_date_time_format (start, "%H:%M");
  to = g_date_time_format (end, "%H:%M");

  if (same_day (start, end) && g_strcmp0 (start_zone, end_zone) == 0)
    {
      /* Translators: day, start time, end time, time zone: "Tue 17 Nov, 09:00–11:00 CET". */
      return g_strdup_printf (_("%s, %s–%s %s"), day, from, to, start_zone);
    }
  else
    {
      g_autofree char *end_day = g_date_time_format (end, _("%a %-d %b"));

      /* Translators: start day and time and zone, end day and time and zone. */
      return g_strdup_printf (_("%s, %s %s – %s, %s %s"), day, from, start_zone,
                              end_day, to, end_zone);
    }
}

char *
bq_format_clock_time (gint64 unix_utc,
                      gint64 now_utc)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_utc);
  g_autoptr(GDateTime) now_dt = g_date_time_new_from_unix_utc (now_utc);
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) now_local = NULL;
  g_autofree char *text = NULL;

  if (utc == NULL || now_dt == NULL)
    return g_strdup ("—");

  local = g_date_time_to_local (utc);
  now_local = g_date_time_to_local (now_dt);

  if (same_day (local, now_local))
    text = g_date_time_format (local, "%H:%M");
  else if (now_utc - unix_utc < 6 * 24 * 3600 && now_utc >= unix_utc)
    /* Translators: a time this week, see g_date_time_format(): "Mon 14:05". */
    text = g_date_time_format (local, _("%a %H:%M"));
  else
    /* Translators: a time further back, see g_date_time_format(): "17 Nov 14:05". */
    text = g_date_time_format (local, _("%-d %b %H:%M"));

  return g_steal_pointer (&text);
}

const char *
bq_format_order_status (BqOrderStatus status)
{
  switch (status)
    {
    case BQ_ORDER_REQUESTED:
      return C_("order status", "Requested");
    case BQ_ORDER_CONFIRMED:
      return C_("order status", "Confirmed");
    case BQ_ORDER_SHIPPED:
      return C_("order status", "Shipped");
    case BQ_ORDER_ADMINISTERED:
      return C_("order status", "Administered");
    case BQ_ORDER_CANCELLED:
      return C_("order status", "Cancelled");
    default:
      return C_("order status", "Unknown");
    }
}

const char *
bq_format_order_status_class (BqOrderStatus status)
{
  switch (status)
    {
    case BQ_ORDER_REQUESTED:
      return "requested";
    case BQ_ORDER_CONFIRMED:
      return "confirmed";
    case BQ_ORDER_SHIPPED:
      return "shipped";
    case BQ_ORDER_ADMINISTERED:
      return "administered";
    case BQ_ORDER_CANCELLED:
      return "cancelled";
    default:
      return "unknown";
    }
}

BqActivityUnit
bq_format_parse_unit_setting (const char *setting)
{
  BqActivityUnit unit;

  if (g_strcmp0 (setting, "auto") == 0)
    return BQ_ACTIVITY_UNIT_AUTO;
  if (setting != NULL && bq_units_parse_activity_unit (setting, &unit, NULL))
    return unit;
  return BQ_ACTIVITY_UNIT_AUTO;
}
