/* bq-route.c — timetable expansion and the Connection Scan Algorithm
 *
 * The connections live in one array of 16-byte records, relative times in
 * 32 bits from the router's base, sorted by ready_by (departure minus
 * handling: the latest time goods may reach the origin).  Sorting by
 * ready_by rather than departure keeps the scan on that one array: a
 * connection c can feed c' only if arrival(c) <= ready_by(c'), and
 * ready_by(c) < departure(c) < arrival(c), so every feeder comes first,
 * the scan starts at the first ready_by >= T and stops at the first
 * ready_by >= the best arrival at the target.  What the scan does not
 * need (departure, lane) lives in a parallel array read only to build
 * routes.
 *
 * The good routes are found by repeated scans: for each bound k on the
 * number of legs, the earliest arrival a for a dose ready at t, then the
 * latest ready time t* that still arrives by a (a binary search, as the
 * earliest arrival never decreases with t), then again from t* + 1 s.
 * That walks every Pareto point of (arrival, ready time) for k legs; the
 * union over k, without dominated points, is the Pareto set in all three.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-decay.h"
#include "bq-json.h"
#include "bq-nuclide.h"
#include "bq-route.h"
#include "bq-units.h"

G_DEFINE_QUARK (bq-route-error-quark, bq_route_error)

#define DAY              G_GINT64_CONSTANT (86400)
#define MAX_HORIZON_S    (400 * DAY)
#define MAX_LANE_S       (30 * DAY)     /* handling + duration beyond this: a data error */
#define DEFAULT_WINDOW_S DAY
#define DEFAULT_MAX_LEGS 6
#define MAX_MAX_LEGS     16
#define INF              G_MAXINT32
#define NO_PTR           G_MAXUINT32
#define FOOT_BIT         0x80000000u

typedef struct {
  gint32  ready_by;   /* relative to base */
  gint32  arrival;
  guint32 from;
  guint32 to;
} Hot;

typedef struct {
  gint32  departure;
  guint32 lane;
} Cold;

typedef struct {
  guint32 from;
  guint32 to;
  guint32 lane;
  gint64  handling;
  gint64  duration;
  gint64  valid_from;   /* BQ_TIME_UNSET when open */
  gint64  valid_to;
} Footpath;

typedef enum {
  PLACE_SITE,
  PLACE_HUB,
  PLACE_CENTRE,
} PlaceKind;

typedef struct {
  char      *id;
  PlaceKind  kind;
  gpointer   entity;    /* a copy */
  GTimeZone *tz;
  guint      fp_first;  /* footpaths from here: [fp_first, fp_last) */
  guint      fp_last;
} Place;

struct _BqRouter {
  GObject     parent_instance;

  gint64      start;
  gint64      end;
  gint64      base;

  Place      *places;
  guint       n_places;
  GHashTable *place_index;   /* id → index + 1 */
  GPtrArray  *lanes;         /* BqLane copies */
  GHashTable *lane_index;    /* id → index + 1 */
  GPtrArray  *slas;          /* BqSla copies */

  Hot        *hot;
  Cold       *cold;
  guint       n_connections;
  Footpath   *footpaths;     /* sorted by from */
  guint       n_footpaths;
};

G_DEFINE_FINAL_TYPE (BqRouter, bq_router, G_TYPE_OBJECT)

/* ------------------------------------------------------------------ helpers */

static inline gint32
rel (BqRouter *self,
     gint64    t)
{
  gint64 r = t - self->base;

  return (gint32) CLAMP (r, -(gint64) G_MAXINT32 + 1, (gint64) G_MAXINT32 - 1);
}

static inline gint64
abs_time (BqRouter *self,
          gint32    r)
{
  return self->base + r;
}

static const char * const reason_nicks[] = {
  "ok", "leg_cancelled", "too_late", "over_sla", "below_activity", "no_route",
};

const char *
bq_route_reason_to_nick (BqRouteReason reason)
{
  g_return_val_if_fail ((guint) reason < G_N_ELEMENTS (reason_nicks), NULL);
  return reason_nicks[reason];
}

static const char * const outcome_nicks[] = {
  "on_plan", "proposal", "cannot_be_saved",
};

const char *
bq_reroute_outcome_to_nick (BqRerouteOutcome outcome)
{
  g_return_val_if_fail ((guint) outcome < G_N_ELEMENTS (outcome_nicks), NULL);
  return outcome_nicks[outcome];
}

/* The UTC instant of @local (seconds of wall-clock time since the epoch)
 * in @tz.  A time that occurs twice (autumn) is the first one; a time
 * that does not occur (the spring gap) moves forward by the gap, so a
 * 02:30 departure on the last Sunday of March in Berlin leaves at 03:30
 * CEST. */
static gint64
local_to_utc (GTimeZone *tz,
              gint64     local)
{
  gint64 before = g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL,
                                                                         local - DAY));
  gint64 after = g_time_zone_get_offset (tz, g_time_zone_find_interval (tz, G_TIME_TYPE_UNIVERSAL,
                                                                        local + DAY));
  gint64 best = G_MAXINT64;
  gint64 offsets[2] = { before, after };

  for (guint i = 0; i < 2; i++)
    {
      gint64 utc = local - offsets[i];
      gint64 actual = g_time_zone_get_offset (tz, g_time_zone_find_interval (tz,
                                                                             G_TIME_TYPE_UNIVERSAL,
                                                                             utc));
      if (actual == offsets[i] && utc < best)
        best = utc;
    }
  if (best == G_MAXINT64)
    best = local - before;   /* in the gap */
  return best;
}

static char *
format_local (GTimeZone *tz,
              gint64     t)
{
  return bq_units_format_local (tz, t, "%Y-%m-%d %H:%M %Z");
}

/* -------------------------------------------------------------- the router */

static void
bq_router_finalize (GObject *object)
{
  BqRouter *self = BQ_ROUTER (object);

  for (guint i = 0; i < self->n_places; i++)
    {
      g_free (self->places[i].id);
      bq_entity_free (self->places[i].entity);
      g_time_zone_unref (self->places[i].tz);
    }
  g_free (self->places);
  g_clear_pointer (&self->place_index, g_hash_table_unref);
  g_clear_pointer (&self->lane_index, g_hash_table_unref);
  g_clear_pointer (&self->lanes, g_ptr_array_unref);
  g_clear_pointer (&self->slas, g_ptr_array_unref);
  g_free (self->hot);
  g_free (self->cold);
  g_free (self->footpaths);

  G_OBJECT_CLASS (bq_router_parent_class)->finalize (object);
}

static void
bq_router_class_init (BqRouterClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bq_router_finalize;
}

static void
bq_router_init (BqRouter *self)
{
}

static int
compare_footpaths (gconstpointer a,
                   gconstpointer b)
{
  const Footpath *x = a, *y = b;

  if (x->from != y->from)
    return x->from < y->from ? -1 : 1;
  return x->lane < y->lane ? -1 : x->lane > y->lane;
}

typedef struct {
  Hot  hot;
  Cold cold;
} Connection;

static int
compare_connections (gconstpointer a,
                     gconstpointer b)
{
  const Connection *x = a, *y = b;

  if (x->hot.ready_by != y->hot.ready_by)
    return x->hot.ready_by < y->hot.ready_by ? -1 : 1;
  if (x->cold.departure != y->cold.departure)
    return x->cold.departure < y->cold.departure ? -1 : 1;
  return x->cold.lane < y->cold.lane ? -1 : x->cold.lane > y->cold.lane;
}

static guint
lane_index_of (BqRouter   *self,
               const char *lane_id)
{
  return GPOINTER_TO_UINT (g_hash_table_lookup (self->lane_index, lane_id));
}

static void
add_place (BqRouter      *self,
           GArray        *places,
           gconstpointer  entity)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  Place place = { 0, };
  const char *tz;

  if (type == &bq_site_type)
    place.kind = PLACE_SITE, tz = ((const BqSite *) entity)->timezone;
  else if (type == &bq_hub_type)
    place.kind = PLACE_HUB, tz = ((const BqHub *) entity)->timezone;
  else if (type == &bq_centre_type)
    place.kind = PLACE_CENTRE, tz = ((const BqCentre *) entity)->timezone;
  else
    return;

  if (bq_entity_get_id (entity) == NULL ||
      g_hash_table_contains (self->place_index, bq_entity_get_id (entity)))
    return;

  place.id = g_strdup (bq_entity_get_id (entity));
  place.entity = bq_entity_copy (entity);
  place.tz = bq_units_timezone_or_utc (tz);
  g_array_append_val (places, place);
  g_hash_table_insert (self->place_index, place.id, GUINT_TO_POINTER (places->len));
}

/* Every departure of @lane in the horizon, appended to @out. */
static void
expand_lane (BqRouter     *self,
             const BqLane *lane,
             guint         lane_no,
             guint         from,
             guint         to,
             GArray       *out)
{
  GTimeZone *tz = self->places[from].tz;
  gint64 first_day = (self->start - 2 * DAY) / DAY;
  gint64 last_day = (self->end + 2 * DAY) / DAY;

  for (gint64 day = first_day; day <= last_day; day++)
    {
      guint weekday = (guint) ((day + 3) % 7);   /* 1970-01-01 was a Thursday; 0 = Monday */
      gint64 departure;
      Connection c;

      if (!(lane->weekdays & (1 << weekday)))
        continue;
      departure = local_to_utc (tz, day * DAY + lane->departure_local * 60);
      if (departure < self->start || departure >= self->end)
        continue;
      if (lane->valid_from != BQ_TIME_UNSET && departure < lane->valid_from)
        continue;
      if (lane->valid_to != BQ_TIME_UNSET && departure >= lane->valid_to)
        continue;

      c.hot.ready_by = rel (self, departure - lane->handling_s);
      c.hot.arrival = rel (self, departure + lane->duration_s);
      c.hot.from = from;
      c.hot.to = to;
      c.cold.departure = rel (self, departure);
      c.cold.lane = lane_no;
      g_array_append_val (out, c);
    }
}

/* The connection of lane @lane_no leaving at @departure, or -1. */
static gssize
find_connection (BqRouter *self,
                 guint     lane_no,
                 gint64    departure)
{
  const BqLane *lane;
  gint32 ready_by;
  guint lo = 0, hi = self->n_connections;

  if (lane_no >= self->lanes->len)
    return -1;
  lane = g_ptr_array_index (self->lanes, lane_no);
  ready_by = rel (self, departure - lane->handling_s);
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (self->hot[mid].ready_by < ready_by)
        lo = mid + 1;
      else
        hi = mid;
    }
  for (guint i = lo; i < self->n_connections && self->hot[i].ready_by == ready_by; i++)
    if (self->cold[i].lane == lane_no && self->cold[i].departure == rel (self, departure))
      return i;
  return -1;
}

BqRouter *
bq_router_new (GPtrArray   *places,
               GPtrArray   *lanes,
               GPtrArray   *slas,
               GPtrArray   *legs,
               gint64       horizon_start,
               gint64       horizon_end,
               GError     **error)
{
  g_autoptr(BqRouter) self = NULL;
  g_autoptr(GArray) place_array = NULL;
  g_autoptr(GArray) connections = NULL;
  g_autoptr(GArray) footpaths = NULL;
  g_autofree gboolean *cancelled = NULL;
  guint n_kept;

  g_return_val_if_fail (places != NULL, NULL);
  g_return_val_if_fail (lanes != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (horizon_end <= horizon_start || horizon_end - horizon_start > MAX_HORIZON_S ||
      horizon_start < 0)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_INVALID,
                   "The horizon must end after it starts and span at most %d days",
                   (int) (MAX_HORIZON_S / DAY));
      return NULL;
    }

  self = g_object_new (BQ_TYPE_ROUTER, NULL);
  self->start = horizon_start;
  self->end = horizon_end;
  self->base = horizon_start - 2 * DAY;
  self->place_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->lane_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->lanes = g_ptr_array_new_with_free_func (bq_entity_free);
  self->slas = g_ptr_array_new_with_free_func (bq_entity_free);

  place_array = g_array_new (FALSE, TRUE, sizeof (Place));
  for (guint i = 0; i < places->len; i++)
    add_place (self, place_array, g_ptr_array_index (places, i));
  self->n_places = place_array->len;
  self->places = (Place *) g_array_free (g_steal_pointer (&place_array), FALSE);

  for (guint i = 0; slas != NULL && i < slas->len; i++)
    g_ptr_array_add (self->slas, bq_entity_copy (g_ptr_array_index (slas, i)));

  /* Lanes that may carry a dose: Class 7, both ends known, sane times. */
  for (guint i = 0; i < lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);
      BqLane *copy;

      if (!lane->class7_accepted || lane->base.id == NULL ||
          !g_hash_table_contains (self->place_index, lane->origin_id) ||
          !g_hash_table_contains (self->place_index, lane->destination_id) ||
          g_hash_table_contains (self->lane_index, lane->base.id) ||
          lane->duration_s <= 0 || lane->handling_s < 0 ||
          lane->duration_s + lane->handling_s > MAX_LANE_S ||
          lane->departure_local < 0 || lane->departure_local >= 24 * 60 ||
          strcmp (lane->origin_id, lane->destination_id) == 0)
        continue;
      copy = bq_entity_copy (lane);
      g_ptr_array_add (self->lanes, copy);
      g_hash_table_insert (self->lane_index, copy->base.id, GUINT_TO_POINTER (self->lanes->len));
    }

  connections = g_array_new (FALSE, FALSE, sizeof (Connection));
  footpaths = g_array_new (FALSE, TRUE, sizeof (Footpath));
  for (guint i = 0; i < self->lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (self->lanes, i);
      guint from = GPOINTER_TO_UINT (g_hash_table_lookup (self->place_index, lane->origin_id)) - 1;
      guint to = GPOINTER_TO_UINT (g_hash_table_lookup (self->place_index, lane->destination_id)) - 1;

      if (lane->weekdays == 0)
        {
          Footpath fp = { from, to, i, lane->handling_s, lane->duration_s,
                          lane->valid_from, lane->valid_to };
          g_array_append_val (footpaths, fp);
        }
      else
        {
          expand_lane (self, lane, i, from, to, connections);
        }
    }

  g_array_sort (connections, compare_connections);
  g_array_sort (footpaths, compare_footpaths);

  /* Departures known to be cancelled go; late ones arrive later. */
  cancelled = g_new0 (gboolean, connections->len + 1);
  self->n_connections = connections->len;
  self->hot = g_new (Hot, MAX (1, connections->len));
  self->cold = g_new (Cold, MAX (1, connections->len));
  for (guint i = 0; i < connections->len; i++)
    {
      self->hot[i] = g_array_index (connections, Connection, i).hot;
      self->cold[i] = g_array_index (connections, Connection, i).cold;
    }
  for (guint i = 0; legs != NULL && i < legs->len; i++)
    {
      const BqShipmentLeg *leg = g_ptr_array_index (legs, i);
      guint lane_no = lane_index_of (self, leg->lane_id);
      gssize c;

      if (lane_no == 0 || (leg->status != BQ_LEG_CANCELLED && leg->status != BQ_LEG_LATE))
        continue;
      c = find_connection (self, lane_no - 1, leg->planned_departure);
      if (c < 0)
        continue;
      if (leg->status == BQ_LEG_CANCELLED)
        cancelled[c] = TRUE;
      else if (leg->actual_arrival != BQ_TIME_UNSET &&
               rel (self, leg->actual_arrival) > self->hot[c].arrival)
        self->hot[c].arrival = rel (self, leg->actual_arrival);
    }
  n_kept = 0;
  for (guint i = 0; i < self->n_connections; i++)
    {
      if (cancelled[i])
        continue;
      self->hot[n_kept] = self->hot[i];
      self->cold[n_kept] = self->cold[i];
      n_kept++;
    }
  self->n_connections = n_kept;

  self->n_footpaths = footpaths->len;
  self->footpaths = (Footpath *) g_array_free (g_steal_pointer (&footpaths), FALSE);
  for (guint p = 0, f = 0; p < self->n_places; p++)
    {
      self->places[p].fp_first = f;
      while (f < self->n_footpaths && self->footpaths[f].from == p)
        f++;
      self->places[p].fp_last = f;
    }

  return g_steal_pointer (&self);
}

GPtrArray *
bq_router_list_places (BqStore  *store,
                       GError  **error)
{
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (bq_entity_free);
  const BqEntityType *place_types[] = { &bq_site_type, &bq_hub_type, &bq_centre_type };

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (place_types); i++)
    {
      g_autoptr(GPtrArray) list = bq_store_list (store, place_types[i], error);

      if (list == NULL)
        return NULL;
      g_ptr_array_extend_and_steal (places, g_steal_pointer (&list));
    }
  return g_steal_pointer (&places);
}

BqRouter *
bq_router_new_from_store (BqStore  *store,
                          gint64    horizon_start,
                          gint64    horizon_end,
                          GError  **error)
{
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(GPtrArray) lanes = NULL;
  g_autoptr(GPtrArray) slas = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  g_autoptr(BqQuery) query = NULL;
  const char * const disrupted[] = { "cancelled", "late", NULL };

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  places = bq_router_list_places (store, error);
  if (places == NULL)
    return NULL;
  lanes = bq_store_list (store, &bq_lane_type, error);
  if (lanes == NULL)
    return NULL;
  slas = bq_store_list (store, &bq_sla_type, error);
  if (slas == NULL)
    return NULL;

  query = bq_query_new (&bq_shipment_leg_type);
  bq_query_where_in (query, "status", disrupted);
  bq_query_where_range (query, "planned_departure", horizon_start - 2 * DAY, horizon_end);
  legs = bq_store_query (store, query, error);
  if (legs == NULL)
    return NULL;

  return bq_router_new (places, lanes, slas, legs, horizon_start, horizon_end, error);
}

gint64
bq_router_get_horizon_start (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);
  return self->start;
}

gint64
bq_router_get_horizon_end (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);
  return self->end;
}

guint
bq_router_get_n_places (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);
  return self->n_places;
}

int
bq_router_lookup_place (BqRouter   *self,
                        const char *id)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), -1);

  if (id == NULL)
    return -1;
  return (int) GPOINTER_TO_UINT (g_hash_table_lookup (self->place_index, id)) - 1;
}

const char *
bq_router_get_place_id (BqRouter *self,
                        guint     index)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);
  g_return_val_if_fail (index < self->n_places, NULL);
  return self->places[index].id;
}

gconstpointer
bq_router_get_place (BqRouter   *self,
                     const char *id)
{
  int i = bq_router_lookup_place (self, id);

  return i < 0 ? NULL : self->places[i].entity;
}

GPtrArray *
bq_router_get_lanes (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);
  return self->lanes;
}

const BqLane *
bq_router_get_lane (BqRouter   *self,
                    const char *lane_id)
{
  guint i;

  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);

  if (lane_id == NULL)
    return NULL;
  i = lane_index_of (self, lane_id);
  return i == 0 ? NULL : g_ptr_array_index (self->lanes, i - 1);
}

const BqSla *
bq_router_find_sla (BqRouter   *self,
                    const char *site_id,
                    const char *region)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);

  for (guint i = 0; i < self->slas->len; i++)
    {
      const BqSla *sla = g_ptr_array_index (self->slas, i);

      if (g_strcmp0 (sla->site_id, site_id) == 0 && g_strcmp0 (sla->region, region) == 0)
        return sla;
    }
  return NULL;
}

guint
bq_router_get_n_connections (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);
  return self->n_connections;
}

void
bq_router_get_connection (BqRouter     *self,
                          guint         index,
                          BqConnection *connection)
{
  g_return_if_fail (BQ_IS_ROUTER (self));
  g_return_if_fail (index < self->n_connections);

  connection->from = self->hot[index].from;
  connection->to = self->hot[index].to;
  connection->lane = self->cold[index].lane;
  connection->ready_by = abs_time (self, self->hot[index].ready_by);
  connection->departure = abs_time (self, self->cold[index].departure);
  connection->arrival = abs_time (self, self->hot[index].arrival);
}

guint
bq_router_get_n_footpaths (BqRouter *self)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);
  return self->n_footpaths;
}

void
bq_router_get_footpath (BqRouter     *self,
                        guint         index,
                        BqConnection *footpath)
{
  const Footpath *fp;

  g_return_if_fail (BQ_IS_ROUTER (self));
  g_return_if_fail (index < self->n_footpaths);

  fp = &self->footpaths[index];
  footpath->from = fp->from;
  footpath->to = fp->to;
  footpath->lane = fp->lane;
  footpath->ready_by = fp->handling;
  footpath->departure = 0;
  footpath->arrival = fp->handling + fp->duration;
}

guint64
bq_router_touch_connections (BqRouter *self)
{
  guint64 sum = 0;

  g_return_val_if_fail (BQ_IS_ROUTER (self), 0);

  for (guint c = 0; c < self->n_connections; c++)
    {
      const Hot *h = &self->hot[c];

      sum += (guint32) h->ready_by ^ (guint32) h->arrival ^ h->from ^ h->to;
    }
  return sum;
}

/* ----------------------------------------------------------------- scans */

/* When a courier called for goods at the origin at @t (relative) leaves;
 * INF when the lane is not valid then. */
static inline gint32
footpath_departure (BqRouter       *self,
                    const Footpath *fp,
                    gint32          t)
{
  gint64 departure = abs_time (self, t) + fp->handling;

  if (fp->valid_from != BQ_TIME_UNSET && departure < fp->valid_from)
    departure = fp->valid_from;
  if (fp->valid_to != BQ_TIME_UNSET && departure >= fp->valid_to)
    return INF;
  return rel (self, departure);
}

static inline gint32
footpath_arrival (BqRouter       *self,
                  const Footpath *fp,
                  gint32          t)
{
  gint32 departure = footpath_departure (self, fp, t);

  if (departure == INF)
    return INF;
  return rel (self, abs_time (self, departure) + fp->duration);
}

/* The first connection with ready_by >= @t. */
static guint
first_connection (BqRouter *self,
                  gint32    t)
{
  guint lo = 0, hi = self->n_connections;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;

      if (self->hot[mid].ready_by < t)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

/* Couriers from @p, and on from where they go, while they improve. */
static void
relax_footpaths (BqRouter *self,
                 gint32   *ea,
                 guint     p,
                 guint    *stack)
{
  guint n = 0;

  stack[n++] = p;
  while (n > 0)
    {
      guint s = stack[--n];
      const Place *place = &self->places[s];

      for (guint f = place->fp_first; f < place->fp_last; f++)
        {
          const Footpath *fp = &self->footpaths[f];
          gint32 t = footpath_arrival (self, fp, ea[s]);

          if (t < ea[fp->to])
            {
              ea[fp->to] = t;
              if (self->places[fp->to].fp_first < self->places[fp->to].fp_last)
                stack[n++] = fp->to;
            }
        }
    }
}

static gint64 earliest_arrival_bounded (BqRouter *self,
                                        guint     from,
                                        guint     to,
                                        gint64    after,
                                        guint     max_legs);

gint64
bq_router_earliest_arrival (BqRouter *self,
                            guint     from,
                            guint     to,
                            gint64    after,
                            guint     max_legs)
{
  g_autofree gint32 *ea = NULL;
  g_autofree guint *stack = NULL;
  const Hot *hot, *end;
  gint32 t0;

  g_return_val_if_fail (BQ_IS_ROUTER (self), BQ_TIME_UNSET);
  g_return_val_if_fail (from < self->n_places && to < self->n_places, BQ_TIME_UNSET);

  if (max_legs > 0)
    return earliest_arrival_bounded (self, from, to, after, max_legs);
  if (from == to)
    return after;

  ea = g_new (gint32, self->n_places);
  for (guint i = 0; i < self->n_places; i++)
    ea[i] = INF;
  /* Every footpath push improves a label, so the stack never holds more
   * than one entry per footpath at once. */
  stack = g_new (guint, self->n_footpaths + 1);

  t0 = rel (self, after);
  ea[from] = t0;
  if (self->n_footpaths > 0)
    relax_footpaths (self, ea, from, stack);

  hot = self->hot + first_connection (self, t0);
  end = self->hot + self->n_connections;
  if (self->n_footpaths == 0)
    {
      for (; hot < end && hot->ready_by < ea[to]; hot++)
        if (ea[hot->from] <= hot->ready_by && hot->arrival < ea[hot->to])
          ea[hot->to] = hot->arrival;
    }
  else
    {
      for (; hot < end && hot->ready_by < ea[to]; hot++)
        if (ea[hot->from] <= hot->ready_by && hot->arrival < ea[hot->to])
          {
            ea[hot->to] = hot->arrival;
            relax_footpaths (self, ea, hot->to, stack);
          }
    }

  return ea[to] == INF ? BQ_TIME_UNSET : abs_time (self, ea[to]);
}

/* Labels per number of legs: ea[k][s] is the earliest arrival at s over at
 * most k legs, ptr[k][s] the last leg of such a journey (a connection, or
 * FOOT_BIT | footpath).  ea2/ptr2 are the same for journeys with at least
 * one scheduled connection: a chain of couriers alone can leave at any
 * second, so its (ready, arrival) pairs are a continuum, not Pareto
 * points; the good routes enumerate the scheduled journeys and add the
 * courier-only ones once.  One allocation per query, reused by its scans. */
typedef struct {
  guint    n;
  guint    k_max;
  gint32  *ea;
  guint32 *ptr;
  gint32  *ea2;
  guint32 *ptr2;
} Labels;

#define EA(L, k, s)   ((L)->ea[(gsize) (k) * (L)->n + (s)])
#define PTR(L, k, s)  ((L)->ptr[(gsize) (k) * (L)->n + (s)])
#define EA2(L, k, s)  ((L)->ea2[(gsize) (k) * (L)->n + (s)])
#define PTR2(L, k, s) ((L)->ptr2[(gsize) (k) * (L)->n + (s)])

static void
labels_init (Labels *labels,
             guint   n,
             guint   k_max)
{
  gsize size = (gsize) n * (k_max + 1);

  labels->n = n;
  labels->k_max = k_max;
  labels->ea = g_new (gint32, size);
  labels->ptr = g_new (guint32, size);
  labels->ea2 = g_new (gint32, size);
  labels->ptr2 = g_new (guint32, size);
}

static void
labels_clear (Labels *labels)
{
  g_free (labels->ea);
  g_free (labels->ptr);
  g_free (labels->ea2);
  g_free (labels->ptr2);
}

static void
labels_reset (Labels *labels,
              guint   k_max)
{
  gsize n = (gsize) labels->n * (k_max + 1);

  g_assert (k_max <= labels->k_max);
  for (gsize i = 0; i < n; i++)
    {
      labels->ea[i] = INF;
      labels->ptr[i] = NO_PTR;
      labels->ea2[i] = INF;
      labels->ptr2[i] = NO_PTR;
    }
}

/* Sets the label of @s for @k legs and more where @t is better, then
 * follows the couriers from @s.  @scheduled: the labels of journeys with
 * a connection. */
static void
improve (BqRouter *self,
         Labels   *L,
         guint     k_max,
         gboolean  scheduled,
         guint     k,
         guint     s,
         gint32    t,
         guint32   ptr)
{
  gint32 *ea = scheduled ? L->ea2 : L->ea;
  guint32 *ptrs = scheduled ? L->ptr2 : L->ptr;
  const Place *place = &self->places[s];
  gboolean improved = FALSE;

  for (guint j = k; j <= k_max && t < ea[(gsize) j * L->n + s]; j++)
    {
      ea[(gsize) j * L->n + s] = t;
      ptrs[(gsize) j * L->n + s] = ptr;
      improved = TRUE;
    }
  if (!improved || k >= k_max)
    return;
  for (guint f = place->fp_first; f < place->fp_last; f++)
    {
      const Footpath *fp = &self->footpaths[f];
      gint32 a = footpath_arrival (self, fp, t);

      if (a < ea[(gsize) (k + 1) * L->n + fp->to])
        improve (self, L, k_max, scheduled, k + 1, fp->to, a, FOOT_BIT | f);
    }
}

/* Connection indexes a query must not use, sorted. */
typedef struct {
  const guint *items;
  guint        n;
} Excluded;

/* @scheduled_target: stop at the best arrival at @to of a journey with a
 * connection (EA2) rather than of any journey (EA).  @with_connections
 * FALSE: couriers only. */
static void
scan_bounded (BqRouter       *self,
              Labels         *L,
              guint           k_max,
              guint           from,
              guint           to,
              gint32          t0,
              const Excluded *excluded,
              gboolean        scheduled_target,
              gboolean        with_connections)
{
  guint next_excluded = 0;
  guint c;
  gint32 *target = scheduled_target ? &EA2 (L, k_max, to) : &EA (L, k_max, to);

  labels_reset (L, k_max);
  improve (self, L, k_max, FALSE, 0, from, t0, NO_PTR);
  if (!with_connections)
    return;

  c = first_connection (self, t0);
  while (excluded != NULL && next_excluded < excluded->n && excluded->items[next_excluded] < c)
    next_excluded++;

  for (; c < self->n_connections; c++)
    {
      const Hot *h = &self->hot[c];

      if (h->ready_by >= *target)
        break;
      if (excluded != NULL && next_excluded < excluded->n && excluded->items[next_excluded] == c)
        {
          next_excluded++;
          continue;
        }
      if (EA (L, k_max - 1, h->from) > h->ready_by)
        continue;
      /* The fewest legs that reach the origin in time: labels fall with k. */
      for (guint j = 0; j < k_max; j++)
        {
          if (EA (L, j, h->from) <= h->ready_by)
            {
              if (h->arrival < EA (L, j + 1, h->to))
                improve (self, L, k_max, FALSE, j + 1, h->to, h->arrival, c);
              if (h->arrival < EA2 (L, j + 1, h->to))
                improve (self, L, k_max, TRUE, j + 1, h->to, h->arrival, c);
              break;
            }
        }
    }
}

static gint64
earliest_arrival_bounded (BqRouter *self,
                          guint     from,
                          guint     to,
                          gint64    after,
                          guint     max_legs)
{
  Labels labels;
  gint32 a;

  max_legs = MIN (max_legs, MAX_MAX_LEGS);
  if (from == to)
    return after;
  labels_init (&labels, self->n_places, max_legs);
  scan_bounded (self, &labels, max_legs, from, to, rel (self, after), NULL, FALSE, TRUE);
  a = EA (&labels, max_legs, to);
  labels_clear (&labels);
  return a == INF ? BQ_TIME_UNSET : abs_time (self, a);
}

/* ------------------------------------------------------------------ routes */

static void
route_leg_free (BqRouteLeg *leg)
{
  g_free (leg->lane_id);
  g_free (leg->origin_id);
  g_free (leg->destination_id);
  g_free (leg->carrier);
  g_free (leg->service);
  g_free (leg->departure_local);
  g_free (leg->arrival_local);
  g_free (leg);
}

static BqRoute *
route_new (void)
{
  BqRoute *route = g_new0 (BqRoute, 1);

  route->ref_count = 1;
  route->legs = g_ptr_array_new_with_free_func ((GDestroyNotify) route_leg_free);
  route->activity_departure_bq = NAN;
  route->activity_arrival_bq = NAN;
  route->activity_administration_bq = NAN;
  route->margin = NAN;
  route->administration = BQ_TIME_UNSET;
  return route;
}

BqRoute *
bq_route_ref (BqRoute *route)
{
  g_return_val_if_fail (route != NULL, NULL);
  g_atomic_int_inc (&route->ref_count);
  return route;
}

void
bq_route_unref (BqRoute *route)
{
  g_return_if_fail (route != NULL);

  if (!g_atomic_int_dec_and_test (&route->ref_count))
    return;
  g_ptr_array_unref (route->legs);
  g_free (route->from_id);
  g_free (route->to_id);
  g_free (route->message);
  g_free (route);
}

G_DEFINE_BOXED_TYPE (BqRoute, bq_route, bq_route_ref, bq_route_unref)

gboolean
bq_route_is_feasible (const BqRoute *route)
{
  g_return_val_if_fail (route != NULL, FALSE);
  return route->reason == BQ_ROUTE_OK;
}

static BqRouteLeg *
make_leg (BqRouter     *self,
          const BqLane *lane,
          gint64        departure,
          gint64        arrival)
{
  BqRouteLeg *leg = g_new0 (BqRouteLeg, 1);
  int from = bq_router_lookup_place (self, lane->origin_id);
  int to = bq_router_lookup_place (self, lane->destination_id);

  leg->lane_id = g_strdup (lane->base.id);
  leg->mode = lane->mode;
  leg->on_demand = lane->weekdays == 0;
  leg->origin_id = g_strdup (lane->origin_id);
  leg->destination_id = g_strdup (lane->destination_id);
  leg->carrier = g_strdup (lane->carrier);
  leg->service = g_strdup (lane->service);
  leg->ready_by = departure - lane->handling_s;
  leg->departure = departure;
  leg->arrival = arrival;
  leg->departure_local = from >= 0 ? format_local (self->places[from].tz, departure)
                                   : bq_units_format_time (departure);
  leg->arrival_local = to >= 0 ? format_local (self->places[to].tz, arrival)
                               : bq_units_format_time (arrival);
  return leg;
}

/* The journey that ends at @to with at most @k legs, walked back from the
 * labels and timed forward from @ready. */
static BqRoute *
build_route (BqRouter     *self,
             const Labels *L,
             guint         from,
             guint         to,
             guint         k,
             gboolean      scheduled,
             gint32        ready)
{
  g_autoptr(GArray) edges = g_array_new (FALSE, FALSE, sizeof (guint32));
  BqRoute *route = route_new ();
  guint s = to;
  gint64 t = abs_time (self, ready);

  /* A scheduled journey ends in a connection, or in couriers after one;
   * before its last connection it may be anything. */
  while (s != from || scheduled)
    {
      guint32 ptr = scheduled ? PTR2 (L, k, s) : PTR (L, k, s);

      g_assert (ptr != NO_PTR && k > 0);
      g_array_prepend_val (edges, ptr);
      if (ptr & FOOT_BIT)
        {
          s = self->footpaths[ptr & ~FOOT_BIT].from;
        }
      else
        {
          s = self->hot[ptr].from;
          scheduled = FALSE;
        }
      k--;
    }

  for (guint i = 0; i < edges->len; i++)
    {
      guint32 ptr = g_array_index (edges, guint32, i);

      if (ptr & FOOT_BIT)
        {
          const Footpath *fp = &self->footpaths[ptr & ~FOOT_BIT];
          gint64 departure = abs_time (self, footpath_departure (self, fp, rel (self, t)));
          gint64 arrival = departure + fp->duration;

          g_ptr_array_add (route->legs, make_leg (self, g_ptr_array_index (self->lanes, fp->lane),
                                                  departure, arrival));
          t = arrival;
        }
      else
        {
          gint64 departure = abs_time (self, self->cold[ptr].departure);
          gint64 arrival = abs_time (self, self->hot[ptr].arrival);

          g_assert (abs_time (self, self->hot[ptr].ready_by) >= t);
          g_ptr_array_add (route->legs, make_leg (self,
                                                  g_ptr_array_index (self->lanes,
                                                                     self->cold[ptr].lane),
                                                  departure, arrival));
          t = arrival;
        }
    }

  route->from_id = g_strdup (self->places[from].id);
  route->to_id = g_strdup (self->places[to].id);
  route->ready = abs_time (self, ready);
  if (route->legs->len > 0)
    {
      route->departure = ((BqRouteLeg *) g_ptr_array_index (route->legs, 0))->departure;
      route->arrival = t;
    }
  else
    {
      route->departure = route->arrival = route->ready;
    }
  return route;
}

static const char *
place_region (BqRouter   *self,
              const char *id)
{
  gconstpointer place = bq_router_get_place (self, id);

  if (place != NULL && BQ_ENTITY (place)->type == &bq_centre_type)
    return ((const BqCentre *) place)->region;
  return NULL;
}

static char *
local_text (BqRouter   *self,
            const char *place_id,
            gint64      t)
{
  int i = bq_router_lookup_place (self, place_id);

  return i >= 0 ? format_local (self->places[i].tz, t) : bq_units_format_time (t);
}

/* Fills in activity, administration and the verdict. */
static void
evaluate_route (BqRouter           *self,
                BqRoute            *route,
                const BqRouteQuery *query,
                const BqSla        *sla)
{
  const BqNuclide *nuclide = NULL;
  gint64 door_departure;
  gint64 min_before = sla != NULL ? sla->min_before_admin_s : 0;
  gint64 latest_arrival = BQ_TIME_UNSET;
  double required = NAN;
  double prescribed = NAN;

  door_departure = query != NULL && query->door_departure != BQ_TIME_UNSET
                   ? query->door_departure : route->departure;
  route->door_to_door_s = route->arrival - door_departure;

  if (query != NULL && query->product != NULL && !isnan (query->activity_bq))
    nuclide = bq_nuclide_lookup (query->product->nuclide, NULL);
  if (nuclide != NULL)
    {
      gint64 reference = query->activity_time != BQ_TIME_UNSET ? query->activity_time
                                                               : route->departure;

      route->activity_departure_bq = bq_decay_activity_at (nuclide, query->activity_bq,
                                                           (double) (route->departure - reference));
      route->activity_arrival_bq = bq_decay_activity_at (nuclide, query->activity_bq,
                                                         (double) (route->arrival - reference));
      prescribed = !isnan (query->prescribed_bq) ? query->prescribed_bq
                                                 : query->product->dose_activity_bq;
      required = prescribed * (1.0 - query->product->tolerance);
    }

  if (query != NULL && query->admin_start != BQ_TIME_UNSET)
    {
      gint64 admin_end = query->admin_end != BQ_TIME_UNSET ? query->admin_end : query->admin_start;

      latest_arrival = admin_end - min_before;
      route->administration = MAX (query->admin_start, route->arrival + min_before);
      if (nuclide != NULL)
        {
          gint64 reference = query->activity_time != BQ_TIME_UNSET ? query->activity_time
                                                                   : route->departure;

          route->activity_administration_bq =
            bq_decay_activity_at (nuclide, query->activity_bq,
                                  (double) (route->administration - reference));
          route->margin = route->activity_administration_bq / prescribed - 1.0;
        }
    }

  g_clear_pointer (&route->message, g_free);
  route->reason = BQ_ROUTE_OK;

  for (guint i = 0; i < route->legs->len; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);

      if (leg->cancelled)
        {
          route->reason = BQ_ROUTE_LEG_CANCELLED;
          route->message = g_strdup_printf ("leg %s%s%s leaving %s is cancelled",
                                            leg->lane_id,
                                            leg->service ? " " : "", leg->service ? leg->service : "",
                                            leg->departure_local);
          return;
        }
    }

  if (latest_arrival != BQ_TIME_UNSET && route->arrival > latest_arrival)
    {
      g_autofree char *arrival = local_text (self, route->to_id, route->arrival);
      g_autofree char *latest = local_text (self, route->to_id, latest_arrival);

      route->reason = BQ_ROUTE_TOO_LATE;
      route->message = g_strdup_printf ("arrives %s, after the latest arrival %s for "
                                        "administration", arrival, latest);
      return;
    }

  if (sla != NULL && route->door_to_door_s > sla->max_door_to_door_s)
    {
      g_autofree char *took = bq_units_format_duration ((double) route->door_to_door_s);
      g_autofree char *max = bq_units_format_duration ((double) sla->max_door_to_door_s);

      route->reason = BQ_ROUTE_OVER_SLA;
      route->message = g_strdup_printf ("door to door takes %s, over the SLA of %s", took, max);
      return;
    }

  if (!isnan (route->activity_administration_bq) && route->activity_administration_bq < required)
    {
      g_autofree char *left = bq_units_format_activity (route->activity_administration_bq,
                                                        BQ_ACTIVITY_UNIT_AUTO);
      g_autofree char *need = bq_units_format_activity (required, BQ_ACTIVITY_UNIT_AUTO);

      route->reason = BQ_ROUTE_BELOW_ACTIVITY;
      route->message = g_strdup_printf ("%s left at administration, below the %s needed",
                                        left, need);
      return;
    }

  {
    g_autofree char *arrival = local_text (self, route->to_id, route->arrival);

    if (!isnan (route->activity_administration_bq))
      {
        g_autofree char *left = bq_units_format_activity (route->activity_administration_bq,
                                                          BQ_ACTIVITY_UNIT_AUTO);
        route->message = g_strdup_printf ("arrives %s; %s at administration (%+.1f %%)",
                                          arrival, left, route->margin * 100.0);
      }
    else
      {
        route->message = g_strdup_printf ("arrives %s in %u legs", arrival, route->legs->len);
      }
  }
}

static const BqSla *
query_sla (BqRouter           *self,
           const BqRouteQuery *query,
           const char         *site_id)
{
  if (query == NULL || query->ignore_sla)
    return NULL;
  if (query->sla != NULL)
    return query->sla;
  return bq_router_find_sla (self, site_id, place_region (self, query->to_id));
}

static int
compare_routes (gconstpointer a,
                gconstpointer b)
{
  const BqRoute *x = *(BqRoute * const *) a;
  const BqRoute *y = *(BqRoute * const *) b;
  gboolean fx = x->reason == BQ_ROUTE_OK, fy = y->reason == BQ_ROUTE_OK;

  if (fx != fy)
    return fx ? -1 : 1;
  if (fx && !isnan (x->margin) && !isnan (y->margin) && x->margin != y->margin)
    return x->margin > y->margin ? -1 : 1;
  if (x->arrival != y->arrival)
    return x->arrival < y->arrival ? -1 : 1;
  if (x->legs->len != y->legs->len)
    return x->legs->len < y->legs->len ? -1 : 1;
  if (x->ready != y->ready)
    return x->ready > y->ready ? -1 : 1;
  return 0;
}

typedef struct {
  gint32   ready;
  gint32   arrival;
  guint    legs;
  guint    k;
  gboolean scheduled;
} Point;

static gboolean
dominates (const Point *p,
           const Point *q)
{
  return p->arrival <= q->arrival && p->ready >= q->ready && p->legs <= q->legs &&
         (p->arrival < q->arrival || p->ready > q->ready || p->legs < q->legs);
}

static GPtrArray *
find_routes (BqRouter           *self,
             const BqRouteQuery *query,
             const Excluded     *excluded,
             GError            **error)
{
  g_autoptr(GPtrArray) routes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_route_unref);
  g_autoptr(GArray) points = g_array_new (FALSE, FALSE, sizeof (Point));
  Labels labels;
  int from, to;
  guint k_max;
  gint32 t_first, t_last;
  const BqSla *sla;

  from = bq_router_lookup_place (self, query->from_id);
  to = bq_router_lookup_place (self, query->to_id);
  if (from < 0 || to < 0)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_UNKNOWN_PLACE,
                   "“%s” is not a site, hub or centre of the network",
                   from < 0 ? query->from_id : query->to_id);
      return NULL;
    }
  if (query->depart_after == BQ_TIME_UNSET || query->window_s < 0)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_INVALID,
                   "A route query needs a time to leave after and a window that is not negative");
      return NULL;
    }
  if (from == to)
    return g_steal_pointer (&routes);

  k_max = query->max_legs > 0 ? MIN (query->max_legs, MAX_MAX_LEGS) : DEFAULT_MAX_LEGS;
  t_first = rel (self, query->depart_after);
  t_last = rel (self, query->depart_after + (query->window_s > 0 ? query->window_s
                                                                  : DEFAULT_WINDOW_S));
  labels_init (&labels, self->n_places, k_max);

  /* Couriers alone: once, leaving as soon as the dose is ready. */
  scan_bounded (self, &labels, k_max, from, to, t_first, excluded, FALSE, FALSE);
  for (guint k = 1; k <= k_max; k++)
    {
      Point point = { t_first, EA (&labels, k, to), k, k, FALSE };

      if (point.arrival != INF && (k == 1 || point.arrival < EA (&labels, k - 1, to)))
        g_array_append_val (points, point);
    }

  /* Journeys with a scheduled connection: their Pareto points. */
  for (guint k = 1; k <= k_max; k++)
    {
      gint32 t = t_first;

      while (t <= t_last)
        {
          gint32 a, lo, hi;
          Point point;

          scan_bounded (self, &labels, k, from, to, t, excluded, TRUE, TRUE);
          a = EA2 (&labels, k, to);
          if (a == INF)
            break;

          /* The latest ready time that still arrives by a. */
          lo = t;
          hi = MIN (a, t_last + 1);
          while (hi - lo > 1)
            {
              gint32 mid = lo + (hi - lo) / 2;

              scan_bounded (self, &labels, k, from, to, mid, excluded, TRUE, TRUE);
              if (EA2 (&labels, k, to) <= a)
                lo = mid;
              else
                hi = mid;
            }

          point.ready = lo;
          point.arrival = a;
          point.k = k;
          point.legs = k;
          point.scheduled = TRUE;
          g_array_append_val (points, point);
          t = lo + 1;
        }
    }

  /* Keep what nothing dominates; the same (ready, arrival) with fewer
   * legs was found at a smaller k. */
  for (guint i = 0; i < points->len; i++)
    {
      Point *p = &g_array_index (points, Point, i);
      gboolean dominated = FALSE;

      for (guint j = 0; j < points->len && !dominated; j++)
        {
          const Point *q = &g_array_index (points, Point, j);

          dominated = j != i && (dominates (q, p) ||
                                 (j < i && q->ready == p->ready && q->arrival == p->arrival &&
                                  q->legs == p->legs));
        }
      if (dominated)
        continue;

      scan_bounded (self, &labels, p->k, from, to, p->ready, excluded, p->scheduled,
                    p->scheduled);
      g_ptr_array_add (routes, build_route (self, &labels, from, to, p->k, p->scheduled,
                                            p->ready));
    }
  labels_clear (&labels);

  sla = query_sla (self, query, query->from_id);
  for (guint i = 0; i < routes->len; i++)
    evaluate_route (self, g_ptr_array_index (routes, i), query, sla);
  g_ptr_array_sort (routes, compare_routes);
  if (query->max_routes > 0 && routes->len > query->max_routes)
    g_ptr_array_set_size (routes, query->max_routes);

  return g_steal_pointer (&routes);
}

GPtrArray *
bq_router_find_routes (BqRouter           *self,
                       const BqRouteQuery *query,
                       GError            **error)
{
  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (query->from_id != NULL && query->to_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return find_routes (self, query, NULL, error);
}

BqRoute *
bq_route_list_best (GPtrArray *routes)
{
  g_return_val_if_fail (routes != NULL, NULL);

  for (guint i = 0; i < routes->len; i++)
    if (bq_route_is_feasible (g_ptr_array_index (routes, i)))
      return g_ptr_array_index (routes, i);
  return NULL;
}

void
bq_route_query_init (BqRouteQuery *query)
{
  g_return_if_fail (query != NULL);

  memset (query, 0, sizeof *query);
  query->depart_after = BQ_TIME_UNSET;
  query->activity_bq = NAN;
  query->activity_time = BQ_TIME_UNSET;
  query->prescribed_bq = NAN;
  query->admin_start = BQ_TIME_UNSET;
  query->admin_end = BQ_TIME_UNSET;
  query->door_departure = BQ_TIME_UNSET;
}

static int
compare_legs_by_seq (gconstpointer a,
                     gconstpointer b)
{
  const BqShipmentLeg *x = *(BqShipmentLeg * const *) a;
  const BqShipmentLeg *y = *(BqShipmentLeg * const *) b;

  return x->seq < y->seq ? -1 : x->seq > y->seq;
}

/* @legs sorted by seq; @late_leg (or NULL) arrives at @eta instead. */
static BqRoute *
route_from_sorted_legs (BqRouter            *self,
                        GPtrArray           *legs,
                        guint                first,
                        const BqShipmentLeg *late_leg,
                        gint64               eta,
                        const BqRouteQuery  *query,
                        GError             **error)
{
  g_autoptr(BqRoute) route = route_new ();
  const BqSla *sla;
  const char *site_id = NULL;

  for (guint i = first; i < legs->len; i++)
    {
      const BqShipmentLeg *leg = g_ptr_array_index (legs, i);
      const BqLane *lane = bq_router_get_lane (self, leg->lane_id);
      gint64 departure, arrival;
      BqRouteLeg *route_leg;

      if (lane == NULL)
        {
          g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_NOT_FOUND,
                       "Lane “%s” of leg %" G_GINT64_FORMAT " is not in the network",
                       leg->lane_id, leg->seq);
          return NULL;
        }
      departure = leg->actual_departure != BQ_TIME_UNSET ? leg->actual_departure
                                                         : leg->planned_departure;
      arrival = leg == late_leg ? eta
                : leg->actual_arrival != BQ_TIME_UNSET ? leg->actual_arrival
                : leg->planned_arrival;
      route_leg = make_leg (self, lane, departure, arrival);
      route_leg->cancelled = leg->status == BQ_LEG_CANCELLED;
      g_ptr_array_add (route->legs, route_leg);
    }
  if (route->legs->len == 0)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_NOT_FOUND, "No legs to make a route of");
      return NULL;
    }

  {
    const BqRouteLeg *head = g_ptr_array_index (route->legs, 0);
    const BqRouteLeg *tail = g_ptr_array_index (route->legs, route->legs->len - 1);

    route->from_id = g_strdup (head->origin_id);
    route->to_id = g_strdup (tail->destination_id);
    route->ready = head->ready_by;
    route->departure = head->departure;
    route->arrival = tail->arrival;
    site_id = ((const BqRouteLeg *) g_ptr_array_index (route->legs, 0))->origin_id;
  }

  /* A leg that cannot be caught after the one before it is as good as
   * cancelled for this dose. */
  for (guint i = 1; i < route->legs->len; i++)
    {
      BqRouteLeg *prev = g_ptr_array_index (route->legs, i - 1);
      BqRouteLeg *leg = g_ptr_array_index (route->legs, i);

      if (prev->arrival > leg->ready_by && !leg->on_demand)
        {
          g_autofree char *msg = NULL;

          evaluate_route (self, route, query, NULL);
          route->reason = BQ_ROUTE_TOO_LATE;
          msg = g_strdup_printf ("arrives %s, too late for leg %s%s%s leaving %s",
                                 prev->arrival_local, leg->lane_id,
                                 leg->service ? " " : "", leg->service ? leg->service : "",
                                 leg->departure_local);
          g_free (route->message);
          route->message = g_steal_pointer (&msg);
          return g_steal_pointer (&route);
        }
      if (leg->on_demand && prev->arrival > leg->ready_by)
        {
          gint64 shift = prev->arrival - leg->ready_by;

          /* A courier simply comes later. */
          leg->ready_by += shift;
          leg->departure += shift;
          leg->arrival += shift;
          g_free (leg->departure_local);
          g_free (leg->arrival_local);
          leg->departure_local = local_text (self, leg->origin_id, leg->departure);
          leg->arrival_local = local_text (self, leg->destination_id, leg->arrival);
          route->arrival = ((BqRouteLeg *) g_ptr_array_index (route->legs,
                                                              route->legs->len - 1))->arrival;
        }
    }

  if (query != NULL)
    {
      BqRouteQuery q = *query;

      q.to_id = route->to_id;
      sla = query_sla (self, &q, site_id);
      evaluate_route (self, route, &q, sla);
    }
  else
    {
      evaluate_route (self, route, NULL, NULL);
    }
  return g_steal_pointer (&route);
}

/* A sorted view of @legs that does not own them (g_ptr_array_copy would
 * take over the free function). */
static GPtrArray *
sorted_legs (GPtrArray *legs)
{
  GPtrArray *sorted = g_ptr_array_sized_new (legs->len);

  for (guint i = 0; i < legs->len; i++)
    g_ptr_array_add (sorted, g_ptr_array_index (legs, i));
  g_ptr_array_sort (sorted, compare_legs_by_seq);
  return sorted;
}

BqRoute *
bq_router_route_from_legs (BqRouter           *self,
                           GPtrArray          *legs,
                           const BqRouteQuery *query,
                           GError            **error)
{
  g_autoptr(GPtrArray) sorted = NULL;

  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);
  g_return_val_if_fail (legs != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sorted = sorted_legs (legs);
  return route_from_sorted_legs (self, sorted, 0, NULL, 0, query, error);
}

/* -------------------------------------------------------------- re-routing */

void
bq_reroute_free (BqReroute *reroute)
{
  if (reroute == NULL)
    return;
  g_free (reroute->location_id);
  g_clear_pointer (&reroute->route, bq_route_unref);
  g_free (reroute->message);
  g_free (reroute);
}

BqReroute *
bq_router_reroute (BqRouter            *self,
                   const BqShipment    *shipment,
                   GPtrArray           *legs,
                   const char          *leg_id,
                   gint64               estimated_arrival,
                   gint64               now,
                   const BqRouteQuery  *requirements,
                   GError             **error)
{
  g_autoptr(GPtrArray) sorted = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  g_autoptr(BqReroute) result = NULL;
  const BqShipmentLeg *leg = NULL;
  const BqLane *lane, *first_lane;
  BqRouteQuery q;
  gboolean cancelled;
  guint index = 0;
  guint excluded_item = 0;
  Excluded excluded = { NULL, 0 };
  const BqRoute *best;

  g_return_val_if_fail (BQ_IS_ROUTER (self), NULL);
  g_return_val_if_fail (shipment != NULL, NULL);
  g_return_val_if_fail (legs != NULL, NULL);
  g_return_val_if_fail (leg_id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  sorted = sorted_legs (legs);
  for (guint i = 0; i < sorted->len; i++)
    {
      const BqShipmentLeg *l = g_ptr_array_index (sorted, i);

      if (g_strcmp0 (l->base.id, leg_id) == 0)
        leg = l, index = i;
    }
  if (leg == NULL)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_NOT_FOUND,
                   "Shipment %s has no leg “%s”", shipment->base.id, leg_id);
      return NULL;
    }
  lane = bq_router_get_lane (self, leg->lane_id);
  first_lane = bq_router_get_lane (self, ((BqShipmentLeg *) g_ptr_array_index (sorted, 0))->lane_id);
  if (lane == NULL || first_lane == NULL)
    {
      g_set_error (error, BQ_ROUTE_ERROR, BQ_ROUTE_ERROR_NOT_FOUND,
                   "The lanes of shipment %s are not in the network", shipment->base.id);
      return NULL;
    }

  if (requirements != NULL)
    q = *requirements;
  else
    bq_route_query_init (&q);
  q.to_id = shipment->centre_id;
  if (q.door_departure == BQ_TIME_UNSET)
    q.door_departure = shipment->actual_departure != BQ_TIME_UNSET ? shipment->actual_departure
                                                                   : shipment->planned_departure;
  if (q.sla == NULL && !q.ignore_sla)
    q.sla = bq_router_find_sla (self, first_lane->origin_id,
                                place_region (self, shipment->centre_id));

  result = g_new0 (BqReroute, 1);
  cancelled = estimated_arrival == BQ_TIME_UNSET || leg->status == BQ_LEG_CANCELLED;

  if (cancelled)
    {
      gint64 there = now;
      gssize c;

      if (index > 0)
        {
          const BqShipmentLeg *prev = g_ptr_array_index (sorted, index - 1);
          gint64 arrived = prev->actual_arrival != BQ_TIME_UNSET ? prev->actual_arrival
                                                                 : prev->planned_arrival;
          there = MAX (now, arrived);
        }
      result->location_id = g_strdup (lane->origin_id);
      result->location_time = there;

      c = find_connection (self, lane_index_of (self, leg->lane_id) - 1, leg->planned_departure);
      if (c >= 0)
        {
          excluded_item = (guint) c;
          excluded.items = &excluded_item;
          excluded.n = 1;
        }
    }
  else
    {
      g_autoptr(BqRoute) plan = NULL;

      result->location_id = g_strdup (lane->destination_id);
      result->location_time = estimated_arrival;

      /* Perhaps the rest of the plan still works. */
      plan = route_from_sorted_legs (self, sorted, index, leg, estimated_arrival, &q, NULL);
      if (plan != NULL && plan->reason == BQ_ROUTE_OK)
        {
          g_autofree char *where = local_text (self, result->location_id, estimated_arrival);

          result->outcome = BQ_REROUTE_ON_PLAN;
          result->reason = BQ_ROUTE_OK;
          result->message = g_strdup_printf ("still on plan: at %s %s, %s",
                                             result->location_id, where, plan->message);
          result->route = g_steal_pointer (&plan);
          return g_steal_pointer (&result);
        }
    }

  q.from_id = result->location_id;
  q.depart_after = result->location_time;
  if (strcmp (q.from_id, q.to_id) == 0)
    {
      result->outcome = BQ_REROUTE_ON_PLAN;
      result->message = g_strdup ("the dose is at the centre");
      return g_steal_pointer (&result);
    }
  routes = find_routes (self, &q, excluded.n > 0 ? &excluded : NULL, error);
  if (routes == NULL)
    return NULL;

  best = bq_route_list_best (routes);
  if (best != NULL)
    {
      result->outcome = BQ_REROUTE_PROPOSAL;
      result->reason = BQ_ROUTE_OK;
      result->route = bq_route_ref ((BqRoute *) best);
      result->message = g_strdup_printf ("new route from %s: %s", result->location_id,
                                         best->message);
    }
  else if (routes->len == 0)
    {
      g_autofree char *when = local_text (self, result->location_id, result->location_time);

      result->outcome = BQ_REROUTE_CANNOT_BE_SAVED;
      result->reason = BQ_ROUTE_NO_ROUTE;
      result->message = g_strdup_printf ("cannot be saved: nothing reaches %s from %s after %s",
                                         q.to_id, result->location_id, when);
    }
  else
    {
      BqRoute *first = g_ptr_array_index (routes, 0);

      result->outcome = BQ_REROUTE_CANNOT_BE_SAVED;
      result->reason = first->reason;
      result->route = bq_route_ref (first);
      result->message = g_strdup_printf ("cannot be saved: the best route %s", first->message);
    }
  return g_steal_pointer (&result);
}

/* -------------------------------------------------------------------- JSON */

static const char * const mode_nicks[] = { "ground", "flight", "charter", "handover" };

JsonNode *
bq_route_to_json (const BqRoute *route)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (route != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "from", route->from_id);
  bq_json_add_string_member (builder, "to", route->to_id);
  bq_json_add_time_member (builder, "ready", route->ready);
  bq_json_add_time_member (builder, "departure", route->departure);
  bq_json_add_time_member (builder, "arrival", route->arrival);
  json_builder_set_member_name (builder, "n_legs");
  json_builder_add_int_value (builder, route->legs->len);
  json_builder_set_member_name (builder, "door_to_door_s");
  json_builder_add_int_value (builder, route->door_to_door_s);
  bq_json_add_double_member (builder, "activity_departure_bq", route->activity_departure_bq);
  bq_json_add_double_member (builder, "activity_arrival_bq", route->activity_arrival_bq);
  bq_json_add_time_member (builder, "administration", route->administration);
  bq_json_add_double_member (builder, "activity_administration_bq", route->activity_administration_bq);
  bq_json_add_double_member (builder, "margin", route->margin);
  json_builder_set_member_name (builder, "feasible");
  json_builder_add_boolean_value (builder, route->reason == BQ_ROUTE_OK);
  bq_json_add_string_member (builder, "reason", bq_route_reason_to_nick (route->reason));
  bq_json_add_string_member (builder, "message", route->message);
  json_builder_set_member_name (builder, "legs");
  json_builder_begin_array (builder);
  for (guint i = 0; i < route->legs->len; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);

      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "lane_id", leg->lane_id);
      bq_json_add_string_member (builder, "mode", (guint) leg->mode < G_N_ELEMENTS (mode_nicks)
                                                  ? mode_nicks[leg->mode] : NULL);
      json_builder_set_member_name (builder, "on_demand");
      json_builder_add_boolean_value (builder, leg->on_demand);
      bq_json_add_string_member (builder, "origin_id", leg->origin_id);
      bq_json_add_string_member (builder, "destination_id", leg->destination_id);
      bq_json_add_string_member (builder, "carrier", leg->carrier);
      bq_json_add_string_member (builder, "service", leg->service);
      bq_json_add_time_member (builder, "ready_by", leg->ready_by);
      bq_json_add_time_member (builder, "departure", leg->departure);
      bq_json_add_time_member (builder, "arrival", leg->arrival);
      bq_json_add_string_member (builder, "departure_local", leg->departure_local);
      bq_json_add_string_member (builder, "arrival_local", leg->arrival_local);
      json_builder_set_member_name (builder, "cancelled");
      json_builder_add_boolean_value (builder, leg->cancelled);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
bq_reroute_to_json (const BqReroute *reroute)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (reroute != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "outcome", bq_reroute_outcome_to_nick (reroute->outcome));
  bq_json_add_string_member (builder, "location_id", reroute->location_id);
  bq_json_add_time_member (builder, "location_time", reroute->location_time);
  bq_json_add_string_member (builder, "reason", bq_route_reason_to_nick (reroute->reason));
  bq_json_add_string_member (builder, "message", reroute->message);
  json_builder_set_member_name (builder, "route");
  if (reroute->route != NULL)
    json_builder_add_value (builder, bq_route_to_json (reroute->route));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
