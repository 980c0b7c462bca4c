/* bq-route.h — time-validated routes from sites to treatment centres
 *
 * A BqRouter expands the lanes' weekly timetables over a horizon once
 * (local departure times through each origin's IANA zone, so DST is
 * right; validity dates; cancelled departures removed; lanes that refuse
 * Class 7 goods left out) into one array of connections sorted by
 * departure.  On-demand couriers (weekdays 0) are not expanded: they are
 * footpaths, usable at any time.  Every query is a Connection Scan over
 * that array; the router is immutable afterwards, so queries may run from
 * several threads at once.
 *
 * A lane's handling_s is the time goods must be at its origin before it
 * leaves: the connection time at a hub, the pick-up lead time of a
 * courier.  A dose "ready at T" can take a departure d of a lane when
 * T + handling_s <= d.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>

#include "bq-model.h"
#include "bq-store.h"

G_BEGIN_DECLS

#define BQ_ROUTE_ERROR (bq_route_error_quark ())

typedef enum {
  BQ_ROUTE_ERROR_INVALID,        /* a bad argument: horizon, window, activity */
  BQ_ROUTE_ERROR_UNKNOWN_PLACE,  /* an id that is not a site, hub or centre of the network */
  BQ_ROUTE_ERROR_NOT_FOUND,      /* a shipment leg or lane the router does not know */
} BqRouteError;

GQuark bq_route_error_quark (void);

/* Why a route cannot serve an order.  The nicks are stable API
 * (JSON "reason", CLI output): "ok", "leg_cancelled", "too_late",
 * "over_sla", "below_activity", "no_route".  When several apply, the
 * first in this order is given. */
typedef enum {
  BQ_ROUTE_OK,
  BQ_ROUTE_LEG_CANCELLED,   /* uses a departure that was cancelled */
  BQ_ROUTE_TOO_LATE,        /* arrives after the latest arrival before administration */
  BQ_ROUTE_OVER_SLA,        /* door to door takes longer than the SLA allows */
  BQ_ROUTE_BELOW_ACTIVITY,  /* less than the prescribed activity left at administration */
  BQ_ROUTE_NO_ROUTE,        /* nothing reaches the centre (re-routing) */
} BqRouteReason;

const char *bq_route_reason_to_nick (BqRouteReason reason);

/* ----------------------------------------------------------------- routes */

typedef struct {
  char      *lane_id;
  BqLaneMode mode;
  gboolean   on_demand;          /* a courier called when needed */
  char      *origin_id;
  char      *destination_id;
  char      *carrier;
  char      *service;            /* may be NULL */
  gint64     ready_by;           /* goods at the origin by then (departure - handling) */
  gint64     departure;
  gint64     arrival;
  char      *departure_local;    /* "2026-03-29 09:40 CEST", at the origin */
  char      *arrival_local;      /* at the destination */
  gboolean   cancelled;          /* only in routes built from shipment legs */
} BqRouteLeg;

/* A chain of legs and what it means for the dose.  Reference-counted and
 * read-only once returned. */
typedef struct {
  /*< private >*/
  gint          ref_count;
  /*< public >*/
  GPtrArray    *legs;            /* BqRouteLeg, in order */
  char         *from_id;
  char         *to_id;
  gint64        ready;           /* the dose must be ready at the origin by then */
  gint64        departure;       /* of the first leg */
  gint64        arrival;         /* of the last leg */
  gint64        door_to_door_s;  /* arrival - departure (or - the query's door_departure) */
  /* Activity (NAN without a product and an activity). */
  double        activity_departure_bq;
  double        activity_arrival_bq;
  gint64        administration;  /* when the dose can be given: BQ_TIME_UNSET without a window */
  double        activity_administration_bq;
  double        margin;          /* activity at administration / prescribed - 1; NAN if unknown */
  BqRouteReason reason;          /* BQ_ROUTE_OK when it serves the order */
  char         *message;         /* human text: why it does not, or a summary */
} BqRoute;

#define BQ_TYPE_ROUTE (bq_route_get_type ())
GType     bq_route_get_type  (void) G_GNUC_CONST;
BqRoute  *bq_route_ref       (BqRoute       *route);
void      bq_route_unref     (BqRoute       *route);
gboolean  bq_route_is_feasible (const BqRoute *route);
/* {"from":…, "to":…, "ready":…, "departure":…, "arrival":…, "n_legs":…,
 *  "door_to_door_s":…, "activity_departure_bq":…, …, "feasible":…,
 *  "reason":"ok", "message":…, "legs":[{…}]}; times ISO 8601 UTC,
 *  unknown activities null. */
JsonNode *bq_route_to_json   (const BqRoute *route);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqRoute, bq_route_unref)

/* ---------------------------------------------------------------- queries */

typedef struct {
  const char      *from_id;         /* a site (or any place, for re-routing) */
  const char      *to_id;           /* a centre (or any place) */
  gint64           depart_after;    /* the dose is ready at from_id at this time */
  gint64           window_s;        /* routes whose dose is ready up to this long after
                                       depart_after; 0: 24 h */
  guint            max_legs;        /* 0: 6 */
  guint            max_routes;      /* 0: no limit */

  /* Decay: the dose's activity is activity_bq at activity_time, or at each
   * route's own departure when activity_time is BQ_TIME_UNSET (a dose
   * dispensed as it leaves).  No product or a NAN activity_bq: activities
   * are not computed and never make a route infeasible. */
  const BqProduct *product;
  double           activity_bq;
  gint64           activity_time;
  double           prescribed_bq;   /* at administration; NAN: the product's nominal dose */

  /* The order: a route must arrive by admin_end - the SLA's
   * min_before_admin_s; the dose is given at the first moment in the
   * window after that check-in.  BQ_TIME_UNSET: no window. */
  gint64           admin_start;
  gint64           admin_end;

  /* NULL: the router's SLA for the origin site and the centre's region,
   * if it has one (see bq_router_find_sla()). */
  const BqSla     *sla;
  gboolean         ignore_sla;
  /* Door to door counts from here instead of each route's departure
   * (re-routing: from when the dose left the site).  BQ_TIME_UNSET: the
   * route's own departure. */
  gint64           door_departure;
} BqRouteQuery;

/* Everything unset or default: times BQ_TIME_UNSET, activities NAN. */
void bq_route_query_init (BqRouteQuery *query);

/* ----------------------------------------------------------------- router */

#define BQ_TYPE_ROUTER (bq_router_get_type ())
G_DECLARE_FINAL_TYPE (BqRouter, bq_router, BQ, ROUTER, GObject)

/* @places holds BqSite, BqHub and BqCentre entities (any mix); @lanes
 * BqLane; @slas BqSla or NULL; @legs BqShipmentLeg or NULL: a cancelled
 * leg removes its lane's departure at planned_departure, a late one with
 * an actual_arrival delays that departure's arrival to it.  Lanes whose
 * ends are not among @places are left out.  Everything is copied.
 * Departures in [@horizon_start, @horizon_end) are expanded (at most 400
 * days). */
BqRouter   *bq_router_new              (GPtrArray   *places,
                                        GPtrArray   *lanes,
                                        GPtrArray   *slas,
                                        GPtrArray   *legs,
                                        gint64       horizon_start,
                                        gint64       horizon_end,
                                        GError     **error);
/* The same from what a store holds. */
BqRouter   *bq_router_new_from_store   (BqStore     *store,
                                        gint64       horizon_start,
                                        gint64       horizon_end,
                                        GError     **error);
/* Every BqSite, BqHub and BqCentre a store holds, in that order: the
 * places of a network. */
GPtrArray  *bq_router_list_places      (BqStore     *store,
                                        GError     **error);

gint64      bq_router_get_horizon_start (BqRouter   *self);
gint64      bq_router_get_horizon_end   (BqRouter   *self);
guint       bq_router_get_n_places      (BqRouter   *self);
/* The place's index, or -1 when the network does not have it. */
int         bq_router_lookup_place      (BqRouter   *self,
                                         const char *id);
const char *bq_router_get_place_id      (BqRouter   *self,
                                         guint       index);
/* The entity (BqSite, BqHub or BqCentre) the router copied, or NULL. */
gconstpointer bq_router_get_place       (BqRouter   *self,
                                         const char *id);
/* Lanes that became connections or footpaths (Class 7 only, both ends known). */
GPtrArray  *bq_router_get_lanes         (BqRouter   *self);
const BqLane *bq_router_get_lane        (BqRouter   *self,
                                         const char *lane_id);
/* The SLA of @site_id for @region, or NULL. */
const BqSla *bq_router_find_sla         (BqRouter   *self,
                                         const char *site_id,
                                         const char *region);

/* The expanded timetable, for tests, the map and benchmarks. */
typedef struct {
  guint  from;        /* place indexes */
  guint  to;
  guint  lane;        /* index into bq_router_get_lanes() */
  gint64 ready_by;    /* departure - handling */
  gint64 departure;
  gint64 arrival;
} BqConnection;

guint       bq_router_get_n_connections (BqRouter     *self);
void        bq_router_get_connection    (BqRouter     *self,
                                         guint         index,
                                         BqConnection *connection);
/* On-demand lanes: ready_by/departure/arrival hold handling_s, 0 and
 * handling_s + duration_s (relative, usable any time within validity). */
guint       bq_router_get_n_footpaths   (BqRouter     *self);
void        bq_router_get_footpath      (BqRouter     *self,
                                         guint         index,
                                         BqConnection *footpath);

/* One plain pass over the whole connection array, reading every field
 * the scan reads; returns a checksum so it is not optimised away.  For
 * benchmarks: the memory floor a query is measured against. */
guint64     bq_router_touch_connections (BqRouter   *self);

/* Earliest arrival at @to for a dose ready at @from at @after, over at
 * most @max_legs legs (0: no limit).  BQ_TIME_UNSET when @to cannot be
 * reached within the horizon.  The fast path: no route is built. */
gint64      bq_router_earliest_arrival  (BqRouter   *self,
                                         guint       from,
                                         guint       to,
                                         gint64      after,
                                         guint       max_legs);

/* The good routes: every route that is Pareto-optimal in (earliest
 * arrival, latest ready time, fewest legs) among doses ready between
 * depart_after and depart_after + window_s, each evaluated against the
 * query (activity, SLA, administration window).  Sorted best first:
 * feasible routes by most activity margin (then earlier arrival, fewer
 * legs), then the infeasible ones by arrival.  Empty when nothing
 * reaches the centre. */
GPtrArray  *bq_router_find_routes       (BqRouter           *self,
                                         const BqRouteQuery *query,
                                         GError            **error);
/* The first feasible route of a list from bq_router_find_routes(), or NULL. */
BqRoute    *bq_route_list_best          (GPtrArray          *routes);

/* A shipment's planned legs (BqShipmentLeg, any order) as a route,
 * evaluated against @query (which may be NULL): cancelled legs give
 * BQ_ROUTE_LEG_CANCELLED, late ones count with their actual_arrival. */
BqRoute    *bq_router_route_from_legs   (BqRouter           *self,
                                         GPtrArray          *legs,
                                         const BqRouteQuery *query,
                                         GError            **error);

/* ---------------------------------------------------------------- re-routing */

typedef enum {
  BQ_REROUTE_ON_PLAN,         /* the rest of the planned legs still work */
  BQ_REROUTE_PROPOSAL,        /* a new route from where the dose is */
  BQ_REROUTE_CANNOT_BE_SAVED, /* no route serves the order any more */
} BqRerouteOutcome;

const char *bq_reroute_outcome_to_nick (BqRerouteOutcome outcome);

typedef struct {
  BqRerouteOutcome outcome;
  char            *location_id;    /* where the dose is, or will be */
  gint64           location_time;  /* from when */
  BqRoute         *route;          /* ON_PLAN: the remaining legs; PROPOSAL: the new
                                      legs; CANNOT_BE_SAVED: the best infeasible route,
                                      or NULL when nothing reaches the centre */
  BqRouteReason    reason;         /* BQ_ROUTE_OK unless CANNOT_BE_SAVED */
  char            *message;        /* human text */
} BqReroute;

void bq_reroute_free (BqReroute *reroute);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqReroute, bq_reroute_free)
JsonNode *bq_reroute_to_json (const BqReroute *reroute);

/* Re-plans @shipment when its leg @leg_id is late (@estimated_arrival is
 * its new arrival) or cancelled (@estimated_arrival BQ_TIME_UNSET, or the
 * leg's status is cancelled).  @legs are the shipment's legs.  A late
 * leg leaves the dose at its destination at @estimated_arrival; a
 * cancelled one leaves it at its origin, from the later of @now and the
 * time it got there.  @requirements carries the product, activity,
 * prescribed activity, administration window and SLA (its from/to and
 * depart_after are ignored); door to door counts from the shipment's
 * departure unless it sets door_departure. */
BqReroute  *bq_router_reroute           (BqRouter            *self,
                                         const BqShipment    *shipment,
                                         GPtrArray           *legs,
                                         const char          *leg_id,
                                         gint64               estimated_arrival,
                                         gint64               now,
                                         const BqRouteQuery  *requirements,
                                         GError             **error);

G_END_DECLS
