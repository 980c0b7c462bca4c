/* bq-units.h — activities, durations and times as people type them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BQ_UNITS_ERROR (bq_units_error_quark ())

typedef enum {
  BQ_UNITS_ERROR_EMPTY,          /* nothing to parse */
  BQ_UNITS_ERROR_NUMBER,         /* not a number where one was expected */
  BQ_UNITS_ERROR_UNIT,           /* missing or unknown unit */
  BQ_UNITS_ERROR_RANGE,          /* negative, infinite, NaN or overflowing */
} BqUnitsError;

GQuark bq_units_error_quark (void);

typedef enum {
  BQ_ACTIVITY_UNIT_AUTO,   /* Bq with the SI prefix that reads best */
  BQ_ACTIVITY_UNIT_BQ,
  BQ_ACTIVITY_UNIT_KBQ,
  BQ_ACTIVITY_UNIT_MBQ,
  BQ_ACTIVITY_UNIT_GBQ,
  BQ_ACTIVITY_UNIT_TBQ,
  BQ_ACTIVITY_UNIT_MCI,
  BQ_ACTIVITY_UNIT_CI,
} BqActivityUnit;

#define BQ_BQ_PER_CI 3.7e10

/* "7.4GBq", "7.4 GBq", "200mCi", "1.5e7Bq", "370 MBq".  The SI prefix is
 * case-sensitive (MBq is not mBq); "Bq"/"Ci" themselves are not.
 * Non-negative and finite. */
gboolean bq_units_parse_activity   (const char     *text,
                                    double         *activity_bq,
                                    GError        **error);
/* "86400s", "90min", "2d18h", "3.5h", "1w", "574300.8s", ISO 8601 "P2DT6H",
 * "PT90M", "P1W".  Units s, min (or m), h, d, w; years and months are
 * refused (not a fixed length).  Non-negative and finite. */
gboolean bq_units_parse_duration   (const char     *text,
                                    double         *seconds,
                                    GError        **error);
/* "2026-12-01" (midnight UTC), "2026-12-01T08:00Z", "2026-12-01T09:00:00+01:00". */
gboolean bq_units_parse_time       (const char     *text,
                                    gint64         *unix_utc,
                                    GError        **error);
/* Parses a unit name alone ("GBq", "mCi"), for preferences and flags. */
gboolean bq_units_parse_activity_unit (const char     *text,
                                       BqActivityUnit *unit,
                                       GError        **error);

/* "7.40 GBq", "200 mCi"; three significant digits. */
char    *bq_units_format_activity  (double          activity_bq,
                                    BqActivityUnit  unit);
/* "2 d 18 h", "90 min", "4.2 µs" for sub-second values. */
char    *bq_units_format_duration  (double          seconds);
/* "2026-12-01T08:00:00Z" */
char    *bq_units_format_time      (gint64          unix_utc);

/* The time zone @identifier names; UTC when it is NULL or unknown. */
GTimeZone *bq_units_timezone_or_utc (const char    *identifier);
/* @unix_utc as wall-clock time in @tz, g_date_time_format() @format;
 * "?" when the time is out of range. */
char    *bq_units_format_local     (GTimeZone      *tz,
                                    gint64          unix_utc,
                                    const char     *format);

G_END_DECLS
