/* bq-format.h — how the app writes times, statuses and units
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

#include "bq-model.h"
#include "bq-units.h"

G_BEGIN_DECLS

/* The zone for an IANA identifier; UTC when it is unknown or NULL. */
GTimeZone      *bq_format_time_zone          (const char     *identifier);
/* "Tue 17 Nov, 09:00–11:00 CET" in @zone; both dates when the window
 * spans midnight, and both abbreviations when it spans a change of
 * daylight saving time. */
char           *bq_format_window             (gint64          start_utc,
                                              gint64          end_utc,
                                              GTimeZone      *zone);
/* "14:05" today, "Mon 14:05" within a week, "17 Nov 14:05" otherwise, in
 * the local time of this computer. */
char           *bq_format_clock_time         (gint64          unix_utc,
                                              gint64          now_utc);
const char     *bq_format_order_status       (BqOrderStatus   status);
/* The style class of a status pill ("requested", …). */
const char     *bq_format_order_status_class (BqOrderStatus   status);
/* The activity-unit setting ("auto", "MBq", "GBq", "mCi"); auto if
 * unknown. */
BqActivityUnit  bq_format_parse_unit_setting (const char     *setting);

G_END_DECLS
