/* bq-production-page.h — the Gantt of production lines, planning and
 * capacity against demand, with the selected run's details
 *
 * The page reads the client's cache on a worker thread into a
 * BqGanttData whenever runs, lines, sites, products, maintenance, orders
 * or QC results change.  Moving a run on the Gantt queues the change
 * through the client's outbox (so it works offline); "Plan…" runs the
 * planner over the cache for some weeks and shows its proposal as a list
 * of changes to accept (queued the same way) or not.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"
#include "bq-gantt.h"
#include "bq-plan.h"
#include "bq-run-detail.h"
#include "bq-units.h"

G_BEGIN_DECLS

#define BQ_TYPE_PRODUCTION_PAGE (bq_production_page_get_type ())
G_DECLARE_FINAL_TYPE (BqProductionPage, bq_production_page, BQ, PRODUCTION_PAGE, GtkWidget)

GtkWidget   *bq_production_page_new               (void);
/* Shows the runs of @client's cache; NULL shows nothing. */
void         bq_production_page_set_client        (BqProductionPage *self,
                                                   BqClient         *client);
void         bq_production_page_set_activity_unit (BqProductionPage *self,
                                                   BqActivityUnit    unit);
BqGantt     *bq_production_page_get_gantt         (BqProductionPage *self);
BqRunDetail *bq_production_page_get_run_detail    (BqProductionPage *self);
/* TRUE once the cache has been read and no reload is running or
 * waiting (property "loaded", notified on every load). */
gboolean     bq_production_page_get_loaded        (BqProductionPage *self);
void         bq_production_page_reload            (BqProductionPage *self);

/* Moves run @run_id to @line_id at @start through the outbox, as a drop
 * on the Gantt does: the planner checks it first against the cache. */
gboolean     bq_production_page_move_run          (BqProductionPage *self,
                                                   const char       *run_id,
                                                   const char       *line_id,
                                                   gint64            start,
                                                   GError          **error);
/* Queues every change of @plan through the outbox; FALSE at the first
 * one refused (those before it stay queued). */
gboolean     bq_production_page_apply_plan        (BqProductionPage *self,
                                                   const BqPlan     *plan,
                                                   GError          **error);
/* The proposal dialog of "Plan…", when one is open (tests). */
GtkWindow   *bq_production_page_get_plan_dialog   (BqProductionPage *self);

G_END_DECLS
