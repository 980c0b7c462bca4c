/* bq-plan.h — production planning: from forecasts to runs
 *
 * The planner reads a snapshot of the store (lines with their calendars,
 * maintenance blocks, product recipes, forecasts, runs and the orders
 * booked on them) and proposes runs for a horizon of whole weeks.  The
 * proposal is a diff against the runs the store holds — added, moved,
 * resized and removed runs, each with a reason — plus capacity against
 * demand per ISO week, product and region.  Nothing is written until the
 * proposal is applied, in one transaction.
 *
 * Rules the planner and bq_planner_check_move() share:
 * - A line makes only its products, on working days, inside its shift
 *   (site time), never during maintenance, and one run at a time with the
 *   changeover between runs.
 * - Synthesis starts only after the isotope has arrived (the product's
 *   supply days, site time) and within its supply window.
 * - Runs that are not "planned", that started before "now" or that have
 *   orders booked are never changed; they count as capacity.
 * - A site serves the regions it has an SLA for (every region when it has
 *   none).  Doses reach their centres the region's lead time after
 *   dispatch (end of QC plus packing) and are calibrated for the first
 *   noon (site time, configurable) after that.
 * - Activity at EOS covers every dose at its administration time after
 *   decay, times (1 + activity margin).  Runs no longer needed are
 *   cancelled, not deleted, so history and references stay.
 *
 * The planner is deterministic: the same store and options give the same
 * proposal, and applying a proposal then planning again gives no changes.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bq-store.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define BQ_PLAN_ERROR (bq_plan_error_quark ())

/* Why a run may not go where it was asked to.  The nicks of
 * bq_plan_error_to_code() are stable: servers and clients match on them. */
typedef enum {
  BQ_PLAN_ERROR_LINE_BUSY,           /* "line_busy": another run is on the line then */
  BQ_PLAN_ERROR_CALENDAR_CLOSED,     /* "calendar_closed": not a working day or outside the shift */
  BQ_PLAN_ERROR_MAINTENANCE,         /* "maintenance": the line is out of service */
  BQ_PLAN_ERROR_NO_SUPPLY,           /* "no_isotope_supply": the isotope has not arrived */
  BQ_PLAN_ERROR_ORDERS_INFEASIBLE,   /* "orders_infeasible": booked doses would arrive
                                        late or below their prescribed activity */
  BQ_PLAN_ERROR_WRONG_PRODUCT,       /* "line_not_for_product" */
  BQ_PLAN_ERROR_NOT_MOVABLE,         /* "run_not_movable": not planned, or already started */
  BQ_PLAN_ERROR_NOT_FOUND,           /* "not_found": unknown line, product or site */
  BQ_PLAN_ERROR_STALE,               /* "stale_plan": the store changed since the proposal */
} BqPlanError;

GQuark      bq_plan_error_quark   (void);
/* The stable code of a BQ_PLAN_ERROR, e.g. "line_busy"; NULL for others. */
const char *bq_plan_error_to_code (const GError *error);

/* ----------------------------------------------------------------- options */

typedef struct {
  const char *region;        /* as BqCentre.region */
  gint64      lead_time_s;   /* dispatch to administration */
} BqPlanLeadTime;

typedef struct {
  gint64                from;             /* any time in the first week (Monday 00:00 UTC) */
  guint                 weeks;            /* 1–520 */
  gint64                now;              /* runs starting before it stay; BQ_TIME_UNSET = now */
  double                capacity_margin;  /* doses planned beyond the forecast: 0.15 */
  double                activity_margin;  /* for products without their own: 0.10 */
  gint64                packing_s;        /* from end of QC to dispatch: 30 min */
  gint64                lead_time_s;      /* default dispatch to administration: 18 h */
  const BqPlanLeadTime *lead_times;       /* per region, overriding lead_time_s; borrowed */
  guint                 n_lead_times;
  int                   calibration_local; /* doses are calibrated for this time of day,
                                              minutes after local midnight: 12:00 */
} BqPlanOptions;

/* The defaults above, from the Monday of the current week, 4 weeks. */
void       bq_plan_options_init         (BqPlanOptions   *options);

/* --------------------------------------------------------- activity budget */

typedef struct {
  gint64 admin_time;    /* when the dose is given */
  double activity_bq;   /* prescribed at admin_time; <= 0 or NAN: the product's dose */
} BqPlanDose;

/* The product's margin, or @default_margin when it has none. */
double     bq_plan_product_margin       (const BqProduct  *product,
                                         double            default_margin);
/* Activity needed at EOS so each of @doses has its activity at its
 * administration time:  (1 + margin) × Σ A_i e^{λ (t_i − t_eos)}.
 * Doses given before EOS are an error of the caller (returns NAN). */
double     bq_plan_activity_budget      (const BqProduct  *product,
                                         gint64            eos_time,
                                         const BqPlanDose *doses,
                                         guint             n_doses,
                                         double            margin);
/* How many of the product's nominal doses, all given at @admin_time, an
 * activity of @activity_eos_bq at @eos_time covers (with the margin). */
gint64     bq_plan_doses_for_activity   (const BqProduct  *product,
                                         double            activity_eos_bq,
                                         gint64            eos_time,
                                         gint64            admin_time,
                                         double            margin);

/* -------------------------------------------------------------- proposals */

typedef enum {
  BQ_PLAN_CHANGE_ADD,      /* a new run */
  BQ_PLAN_CHANGE_MOVE,     /* same run, another line or start (and size) */
  BQ_PLAN_CHANGE_RESIZE,   /* same place, another dose capacity and activity */
  BQ_PLAN_CHANGE_REMOVE,   /* cancelled */
} BqPlanChangeKind;

typedef struct {
  BqPlanChangeKind kind;
  BqRun           *before;   /* as the store holds it; NULL for ADD */
  BqRun           *after;    /* as proposed; for REMOVE, @before cancelled */
  char            *reason;   /* one human sentence */
} BqPlanChange;

/* Capacity against demand for one ISO week, product and region. */
typedef struct {
  gint64  week_start;     /* Monday 00:00 UTC */
  char   *product_id;
  char   *region;
  gint64  demand;         /* forecast doses */
  gint64  target;         /* demand with the capacity margin */
  gint64  capacity;       /* doses of the runs (as proposed, or as they are) */
  gint64  max_capacity;   /* if every free place on the lines ran at full size */
  gint64  gap;            /* doses short of the forecast: max (0, demand − capacity) */
} BqPlanCapacity;

typedef struct _BqPlan BqPlan;

void                  bq_plan_free            (BqPlan       *plan);
gint64                bq_plan_get_from        (const BqPlan *plan);
gint64                bq_plan_get_to          (const BqPlan *plan);
/* No change proposed. */
gboolean              bq_plan_is_empty        (const BqPlan *plan);
guint                 bq_plan_get_n_changes   (const BqPlan *plan);
const BqPlanChange   *bq_plan_get_change      (const BqPlan *plan,
                                               guint         index);
guint                 bq_plan_get_n_capacity  (const BqPlan *plan);
/* Ordered by week, product, region. */
const BqPlanCapacity *bq_plan_get_capacity    (const BqPlan *plan,
                                               guint         index);
/* Doses short of the forecast over the horizon, summed over the rows. */
gint64                bq_plan_get_total_gap   (const BqPlan *plan);
const char           *bq_plan_change_kind_to_string (BqPlanChangeKind kind);
/* {"from", "to", "changes": [{"kind", "run_id", "reason", "before", "after"}],
 *  "capacity": [{"week_start", "product_id", "region", "demand", "target",
 *  "capacity", "max_capacity", "gap"}]} */
JsonNode             *bq_plan_to_json         (const BqPlan *plan);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqPlan, bq_plan_free)

/* ---------------------------------------------------------------- planner */

#define BQ_TYPE_PLANNER (bq_planner_get_type ())
G_DECLARE_FINAL_TYPE (BqPlanner, bq_planner, BQ, PLANNER, GObject)

/* @options is copied (the lead time table too); NULL for the defaults. */
BqPlanner *bq_planner_new          (BqStore             *store,
                                    const BqPlanOptions *options);
/* Reads the store and proposes runs for the horizon. */
BqPlan    *bq_planner_propose      (BqPlanner           *self,
                                    GError             **error);
/* Capacity against demand of the runs as they are: a plan with no changes. */
BqPlan    *bq_planner_capacity     (BqPlanner           *self,
                                    GError             **error);
/* Writes @plan in one transaction; BQ_PLAN_ERROR_STALE (and nothing
 * written) when a run it changes has changed in the store since. */
gboolean   bq_planner_apply        (BqPlanner           *self,
                                    const BqPlan        *plan,
                                    GError             **error);
/* Whether @run may move to @line_id at @start_time (same product, same
 * synthesis duration).  FALSE with a BQ_PLAN_ERROR saying why, its message
 * a sentence for the planner. */
gboolean   bq_planner_check_move   (BqPlanner           *self,
                                    const BqRun         *run,
                                    const char          *line_id,
                                    gint64               start_time,
                                    GError             **error);

G_END_DECLS
