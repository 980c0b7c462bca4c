/* bq-slots.h — the slot engine: guaranteed capacity, booking, re-allocation
 *
 * Runs are planned from forecasts; their dose capacity is offered as
 * slots, per delivery day, to the centres a route reaches in time with
 * enough activity left: as centre quotas with the rest in a regional
 * pool, or as regional pools only (BqProduct.slot_offering).  An account
 * manager holds a slot while filling in an order, the order claims a dose
 * of it, the order is confirmed and the doses ship; a cancellation or a
 * reschedule gives the dose back.
 *
 * Never sold twice: a claim is one conditional UPDATE in SQLite
 * (claimed = claimed + 1 WHERE claimed + others' live holds < capacity AND
 * the slot is open for booking AND before its cut-off), checked with
 * changes(), in the same transaction as the order it is for.
 *
 * Slot fields as the engine keeps them:
 *  - delivery_date: 00:00 UTC of the local calendar date of delivery (the
 *    centre's for a quota; the site's calibration date for a pool).
 *  - held: doses held by held_by until hold_expires.  One holder at a
 *    time; a hold that has expired counts as free before
 *    bq_slot_engine_expire_holds() clears it.
 *  - status summarises the slot: open (nothing claimed or held), held (a
 *    live hold), claimed (claims, some orders not yet confirmed), confirmed
 *    (every claim confirmed), shipped, released (withdrawn: the run failed
 *    or was cancelled, or no centre can be served any more).  Booking is
 *    possible in the first four.
 *  - order_cutoff: from the product's rule (order_cutoff_s before
 *    calibration, then back to the last order_cutoff_weekday at
 *    order_cutoff_local, site time), a centre's order_cutoff_s overriding
 *    the product's; unset when neither has a rule.
 *
 * Activity: a run's activity at EOS is shared equally by its doses; a
 * dose can have at administration at most its share decayed to then, and
 * it serves an order when that is at least the prescribed activity less
 * the product's tolerance.
 *
 * One engine per store connection, used from one thread; the router it
 * builds is immutable and shared by nothing else.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "bq-model.h"
#include "bq-route.h"
#include "bq-store.h"

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define BQ_SLOT_ERROR (bq_slot_error_quark ())

/* The codes of bq_slot_error_to_code() are stable API: the server maps
 * them to HTTP statuses (409 for the first four) and clients match on them. */
typedef enum {
  BQ_SLOT_ERROR_SOLD_OUT,       /* "sold_out": every dose is claimed or held */
  BQ_SLOT_ERROR_HELD_BY_OTHER,  /* "held_by_other": the free doses are held by another user */
  BQ_SLOT_ERROR_AFTER_CUTOFF,   /* "after_cutoff": ordering for the slot has closed */
  BQ_SLOT_ERROR_INFEASIBLE,     /* "infeasible": the slot cannot serve the order
                                   (route, activity, centre or product) */
  BQ_SLOT_ERROR_CLOSED,         /* "slot_closed": released or shipped */
  BQ_SLOT_ERROR_NOT_FOUND,      /* "not_found": no such slot, order or run */
  BQ_SLOT_ERROR_WRONG_STATE,    /* "wrong_state": e.g. confirming a cancelled order */
  BQ_SLOT_ERROR_INVALID,        /* "invalid": a bad argument */
} BqSlotError;

GQuark      bq_slot_error_quark   (void);
/* The stable code of a BQ_SLOT_ERROR; NULL for errors of other domains. */
const char *bq_slot_error_to_code (const GError *error);

/* Why a slot does or does not serve a request.  Nicks (JSON "reason",
 * CLI): "ok", "closed", "after_cutoff", "sold_out", "held_by_other",
 * "too_far", "too_late", "too_little_activity".  When several apply, the
 * first in this order is given. */
typedef enum {
  BQ_SLOT_OK,
  BQ_SLOT_CLOSED,               /* released or shipped */
  BQ_SLOT_AFTER_CUTOFF,
  BQ_SLOT_SOLD_OUT,
  BQ_SLOT_HELD_BY_OTHER,
  BQ_SLOT_TOO_FAR,              /* no route reaches the centre, or not within the SLA */
  BQ_SLOT_TOO_LATE,             /* arrives after the window's check-in, or past shelf life */
  BQ_SLOT_TOO_LITTLE_ACTIVITY,  /* less than prescribed − tolerance at administration */
} BqSlotReason;

const char *bq_slot_reason_to_nick (BqSlotReason reason);

/* --------------------------------------------------------------- requests */

typedef struct {
  const char *centre_id;
  const char *product_id;
  double      prescribed_bq;   /* at administration; NAN: the product's dose */
  gint64      admin_start;     /* the administration window */
  gint64      admin_end;
  gint64      now;             /* BQ_TIME_UNSET: the clock */
  const char *user_id;         /* this user's own hold counts as free; may be NULL */
  const char *exclude_run_id;  /* leave this run's slots out (re-allocation); may be NULL */
  guint       max_options;     /* feasible options to keep; 0: all */
} BqSlotRequest;

/* Everything unset: times BQ_TIME_UNSET, prescribed NAN. */
void bq_slot_request_init (BqSlotRequest *request);

/* One slot judged for one request (or, in a calendar, for no request:
 * then only status, cut-off and capacity count). */
typedef struct {
  BqSlot      *slot;            /* as the store holds it */
  char        *run_id;
  char        *batch;           /* the run's batch number */
  char        *site_id;
  char        *product_id;
  gboolean     pool;            /* a regional pool, not a centre quota */
  BqSlotReason reason;          /* BQ_SLOT_OK: feasible */
  gint64       remaining;       /* doses free to this user: capacity − claimed − others' holds */
  gint64       cutoff;          /* slot->order_cutoff, or BQ_TIME_UNSET */
  gint64       calibration;     /* the run's calibration time */
  gint64       arrival;         /* at the centre; BQ_TIME_UNSET when not evaluated */
  gint64       administration;  /* first possible moment in the window; BQ_TIME_UNSET too */
  double       activity_bq;     /* most activity a dose has at administration; NAN too */
  double       needed_bq;       /* prescribed − tolerance; NAN in a calendar */
  BqRoute     *route;           /* the route judged, or NULL */
  char        *summary;         /* one line: why it serves, or why not */
} BqSlotOption;

void      bq_slot_option_free    (BqSlotOption *option);
/* {"slot_id", "run_id", "batch", "site_id", "product_id", "centre_id",
 *  "region", "pool", "delivery_date", "capacity", "claimed", "held",
 *  "remaining", "status", "cutoff", "calibration", "feasible", "reason",
 *  "summary", "arrival", "administration", "activity_bq", "needed_bq",
 *  "route"}; unknown times and activities null. */
JsonNode *bq_slot_option_to_json (const BqSlotOption *option);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqSlotOption, bq_slot_option_free)

typedef struct {
  char      *centre_id;
  char      *product_id;
  double     prescribed_bq;
  double     needed_bq;
  gint64     admin_start;
  gint64     admin_end;
  GPtrArray *feasible;    /* BqSlotOption, best first: earliest administration,
                             own quota before a pool, most activity, id */
  GPtrArray *infeasible;  /* BqSlotOption with their reasons, by delivery date */
} BqSlotMatch;

void      bq_slot_match_free     (BqSlotMatch *match);
/* The best option, or NULL. */
const BqSlotOption *bq_slot_match_best (const BqSlotMatch *match);
/* {"centre_id", "product_id", "prescribed_bq", "needed_bq", "admin_start",
 *  "admin_end", "feasible": [option…], "infeasible": [option…]} */
JsonNode *bq_slot_match_to_json  (const BqSlotMatch *match);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqSlotMatch, bq_slot_match_free)

/* ------------------------------------------------------------ generation */

/* An order that its slot no longer serves. */
typedef struct {
  char        *order_id;
  char        *slot_id;
  char        *run_id;
  BqSlotReason reason;    /* BQ_SLOT_CLOSED when the run failed or was cancelled */
  char        *message;
} BqSlotInfeasibleOrder;

typedef struct {
  guint      n_added;
  guint      n_updated;
  guint      n_released;
  guint      n_unchanged;
  GPtrArray *slots;               /* BqSlot: the slots of the runs as they are now */
  GPtrArray *infeasible_orders;   /* BqSlotInfeasibleOrder */
} BqSlotSync;

void      bq_slot_sync_free      (BqSlotSync *sync);
/* {"added", "updated", "released", "unchanged", "slots": [slot…],
 *  "infeasible_orders": [{"order_id", "slot_id", "run_id", "reason", "message"}]} */
JsonNode *bq_slot_sync_to_json   (const BqSlotSync *sync);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqSlotSync, bq_slot_sync_free)

/* ----------------------------------------------------------- re-allocation */

typedef struct {
  BqOrder   *order;          /* as it was */
  GPtrArray *alternatives;   /* BqSlotOption, feasible, best first */
  char      *new_slot_id;    /* where bq_slot_engine_reallocate() put it; NULL if nowhere */
  char      *message;        /* one line */
} BqSlotAffectedOrder;

typedef struct {
  char      *run_id;
  gboolean   applied;        /* written (bq_slot_engine_reallocate) or only proposed */
  guint      n_moved;
  guint      n_unplaced;
  GPtrArray *orders;         /* BqSlotAffectedOrder, by administration time */
} BqSlotReallocation;

void      bq_slot_reallocation_free    (BqSlotReallocation *reallocation);
/* {"run_id", "applied", "moved", "unplaced", "orders": [{"order_id",
 *  "centre_id", "patient_ref", "admin_start", "old_slot_id", "new_slot_id",
 *  "message", "alternatives": [option…]}]} */
JsonNode *bq_slot_reallocation_to_json (const BqSlotReallocation *reallocation);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqSlotReallocation, bq_slot_reallocation_free)

/* The ordering cut-off for doses of @product calibrated at @calibration
 * at a site in @site_timezone, for @centre (NULL: a pool), as described
 * above; BQ_TIME_UNSET when there is no rule.  Pure: the demo and the
 * engine share it. */
gint64 bq_slot_cutoff (const BqProduct *product,
                       const BqCentre  *centre,
                       const char      *site_timezone,
                       gint64           calibration);

/* ----------------------------------------------------------------- engine */

#define BQ_TYPE_SLOT_ENGINE (bq_slot_engine_get_type ())
G_DECLARE_FINAL_TYPE (BqSlotEngine, bq_slot_engine, BQ, SLOT_ENGINE, GObject)

BqSlotEngine *bq_slot_engine_new            (BqStore        *store);
BqStore      *bq_slot_engine_get_store      (BqSlotEngine   *self);
/* Forgets the reference data and router it read (after sites, centres,
 * products, lanes, SLAs or forecasts changed).  Runs, slots and orders
 * are always read afresh. */
void          bq_slot_engine_invalidate     (BqSlotEngine   *self);

/* The order cut-off of a slot of @run for @centre (NULL: a pool), as
 * described above; BQ_TIME_UNSET when there is no rule. */
gint64        bq_slot_engine_cutoff_for     (BqSlotEngine   *self,
                                             const BqRun    *run,
                                             const char     *centre_id,
                                             GError        **error);

/* Makes the slots of @run_id match the run as it is now, in one
 * transaction: offers new capacity, moves delivery days, releases the
 * slots of a failed or cancelled run.  Never lowers a slot below what is
 * claimed and held.  Idempotent: a second call changes nothing.  Lists
 * the orders that the run, as it is now, no longer serves. */
BqSlotSync   *bq_slot_engine_reconcile_run  (BqSlotEngine   *self,
                                             const char     *run_id,
                                             gint64          now,
                                             GError        **error);
/* The same for every run calibrated in [@from, @to), in one transaction. */
BqSlotSync   *bq_slot_engine_generate       (BqSlotEngine   *self,
                                             gint64          from,
                                             gint64          to,
                                             gint64          now,
                                             GError        **error);

/* Slots of @centre_id (its quotas and its region's pools) delivered in
 * [@from, @to), with remaining capacity and cut-off; reason tells whether
 * each can still be booked (ok, closed, after_cutoff, sold_out,
 * held_by_other), without judging routes.  By delivery date, then id. */
GPtrArray    *bq_slot_engine_calendar       (BqSlotEngine   *self,
                                             const char     *centre_id,
                                             gint64          from,
                                             gint64          to,
                                             gint64          now,
                                             GError        **error);

/* Every slot that might serve @request (its centre's quotas and its
 * region's pools for the product around the window), judged. */
BqSlotMatch  *bq_slot_engine_match          (BqSlotEngine        *self,
                                             const BqSlotRequest *request,
                                             GError             **error);

/* Holds one dose of @slot_id for @user_id until the returned expiry
 * (now + the product's hold duration).  The same user holding again
 * extends the hold.  BQ_SLOT_ERROR_HELD_BY_OTHER when another user's hold
 * is live; SOLD_OUT, AFTER_CUTOFF, CLOSED as for a claim. */
gboolean      bq_slot_engine_hold           (BqSlotEngine   *self,
                                             const char     *slot_id,
                                             const char     *user_id,
                                             gint64          now,
                                             gint64         *expires,
                                             GError        **error);
/* Gives a hold back before it expires. */
gboolean      bq_slot_engine_release_hold   (BqSlotEngine   *self,
                                             const char     *slot_id,
                                             const char     *user_id,
                                             GError        **error);
/* Clears every hold that expired at or before @now; *@n_expired (may be
 * NULL) says how many. */
gboolean      bq_slot_engine_expire_holds   (BqSlotEngine   *self,
                                             gint64          now,
                                             guint          *n_expired,
                                             GError        **error);

/* Claims one dose of @slot_id for @order, atomically, and writes the
 * order (slot_id, run_id, status requested) in the same transaction; a
 * new order (no id) is created.  An order that had another slot gives
 * that dose back (a reschedule).  @user_id's own hold on the slot is
 * converted.  Checks first that the slot serves the order (centre or its
 * region, product, route and activity): BQ_SLOT_ERROR_INFEASIBLE if not.
 * @order is updated in place (id, revision, slot). */
gboolean      bq_slot_engine_claim          (BqSlotEngine   *self,
                                             const char     *slot_id,
                                             BqOrder        *order,
                                             const char     *user_id,
                                             gint64          now,
                                             GError        **error);
/* requested → confirmed; the slot becomes confirmed once all its claims are. */
gboolean      bq_slot_engine_confirm        (BqSlotEngine   *self,
                                             const char     *order_id,
                                             GError        **error);
/* The doses of the slot left: the slot and its confirmed orders become
 * shipped.  WRONG_STATE while an order on it is still unconfirmed. */
gboolean      bq_slot_engine_ship           (BqSlotEngine   *self,
                                             const char     *slot_id,
                                             GError        **error);
/* Cancels @order_id and gives its dose back. */
gboolean      bq_slot_engine_cancel         (BqSlotEngine   *self,
                                             const char     *order_id,
                                             GError        **error);
/* Moves @order_id to @slot_id with a new administration window (unset
 * times keep the old one), in one transaction; the old dose is given back. */
gboolean      bq_slot_engine_reschedule     (BqSlotEngine   *self,
                                             const char     *order_id,
                                             const char     *slot_id,
                                             gint64          admin_start,
                                             gint64          admin_end,
                                             const char     *user_id,
                                             gint64          now,
                                             GError        **error);

/* The active orders (requested or confirmed) on @run_id's slots or on
 * the run, each with its ranked alternatives on other runs (other lines,
 * other sites, other routes).  Nothing is written. */
BqSlotReallocation *bq_slot_engine_affected_orders (BqSlotEngine *self,
                                                    const char   *run_id,
                                                    gint64        now,
                                                    GError      **error);
/* Releases @run_id's slots and moves every affected order to its best
 * alternative, earliest administration first, in one transaction.
 * Orders with no alternative keep their old slot and are reported. */
BqSlotReallocation *bq_slot_engine_reallocate      (BqSlotEngine *self,
                                                    const char   *run_id,
                                                    gint64        now,
                                                    GError      **error);

G_END_DECLS
