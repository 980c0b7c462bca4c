/* bq-run-detail.h — the selected run: times in site time, activity,
 * doses, QC results and its decay curve
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-decay-plot.h"
#include "bq-gantt-model.h"
#include "bq-units.h"

G_BEGIN_DECLS

#define BQ_TYPE_RUN_DETAIL (bq_run_detail_get_type ())
G_DECLARE_FINAL_TYPE (BqRunDetail, bq_run_detail, BQ, RUN_DETAIL, GtkWidget)

GtkWidget   *bq_run_detail_new            (void);
/* Shows run @run_id of @data (NULL: nothing). */
void         bq_run_detail_set_run        (BqRunDetail    *self,
                                           BqGanttData    *data,
                                           const char     *run_id);
const char  *bq_run_detail_get_run_id     (BqRunDetail    *self);
void         bq_run_detail_set_unit       (BqRunDetail    *self,
                                           BqActivityUnit  unit);
BqDecayPlot *bq_run_detail_get_decay_plot (BqRunDetail    *self);
/* The cache the Slots group reads the run's slots and their orders from
 * (NULL: no Slots group). */
void         bq_run_detail_set_store      (BqRunDetail    *self,
                                           BqStore        *store);
/* Slots listed, and orders listed under them. */
guint        bq_run_detail_get_n_slots       (BqRunDetail *self);
guint        bq_run_detail_get_n_slot_orders (BqRunDetail *self);

/* Fills @plot with the decay of @run of @product from EOS to the end of
 * shelf life: EOS, calibration, QC and dispatch marked, the nominal dose
 * and its tolerance.  FALSE when the product or nuclide is unknown. */
gboolean     bq_run_detail_fill_plot      (BqDecayPlot     *plot,
                                           const BqRun     *run,
                                           const BqProduct *product,
                                           GTimeZone       *zone);

/* Fills @plot with the dose of @order: its prescribed activity at the
 * start of its administration window, decayed back to its run's EOS and
 * on to expiry, with EOS, calibration, dispatch and arrival (from the run
 * and shipment in @store, when known), the window and the tolerance band.
 * FALSE when the product or nuclide is unknown. */
gboolean     bq_run_detail_fill_dose_plot (BqDecayPlot     *plot,
                                           BqStore         *store,
                                           const BqOrder   *order,
                                           GTimeZone       *zone);

G_END_DECLS
