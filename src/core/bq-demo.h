/* bq-demo.h — a deterministic demo network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-store.h"

G_BEGIN_DECLS

typedef struct {
  guint32 seed;        /* same seed + same start = the same network, row for row */
  gint64  start;       /* Monday 00:00 UTC of the first week planned */
  guint   weeks;       /* weeks of forecasts and runs (default 12) */
  gint64  now;         /* runs before this are done (released/shipped/failed with QC);
                          BQ_TIME_UNSET = start + 15 days + 7 h: the third week's
                          Tuesday, 07:00 UTC, when Lu-177 runs are under way */
} BqDemoOptions;

/* seed 1, the Monday of the current week minus two weeks, 12 weeks, now unset. */
void      bq_demo_options_init_default (BqDemoOptions       *options);
/* The Monday 00:00 UTC on or before @unix_utc. */
gint64    bq_demo_week_start           (gint64               unix_utc);
/* Fills an empty store: two CDMOs with four sites, their lines, the Lu-177
 * and Ac-225 products, ~60 treatment centres with real coordinates and time
 * zones, hubs, ground and air lanes, forecasts, runs, QC results, a few
 * orders and shipments, and one demo user per role. */
gboolean  bq_demo_generate             (BqStore             *store,
                                        const BqDemoOptions *options,
                                        GError             **error);
/* The same entities without a store, in load order (parents first). */
GPtrArray *bq_demo_build               (const BqDemoOptions *options);

G_END_DECLS
