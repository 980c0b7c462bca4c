/* bq-network-data.c — the distribution network as the map shows it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>
#include <sqlite3.h>

#include "bq-network-data.h"
#include "bq-route-map.h"

#define DAY (24 * 3600)

struct _BqNetworkData
{
  gint64      now;
  GPtrArray  *entities;     /* everything read, owned */
  GArray     *places;       /* BqNetworkPlace */
  GHashTable *place_index;  /* id → index + 1 */
  GPtrArray  *lanes;        /* BqLane (borrowed from entities) */
  GHashTable *lane_by_id;
  GPtrArray  *products;
  GPtrArray  *lines;
  GArray     *transits;     /* BqNetworkTransit */
  BqRouter   *router;
  char       *router_error;
};

static void
network_data_clear (BqNetworkData *self)
{
  g_clear_pointer (&self->places, g_array_unref);
  g_clear_pointer (&self->place_index, g_hash_table_unref);
  g_clear_pointer (&self->lanes, g_ptr_array_unref);
  g_clear_pointer (&self->lane_by_id, g_hash_table_unref);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  g_clear_pointer (&self->lines, g_ptr_array_unref);
  g_clear_pointer (&self->transits, g_array_unref);
  g_clear_object (&self->router);
  g_clear_pointer (&self->router_error, g_free);
  /* Last: everything above borrows from it. */
  g_clear_pointer (&self->entities, g_ptr_array_unref);
}

BqNetworkData *
bq_network_data_ref (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return g_atomic_rc_box_acquire (self);
}

void
bq_network_data_unref (BqNetworkData *self)
{
  g_return_if_fail (self != NULL);
  g_atomic_rc_box_release_full (self, (GDestroyNotify) network_data_clear);
}

/* ------------------------------------------------------------------ read */

static GPtrArray *
keep (BqNetworkData *self,
      GPtrArray     *list)
{
  GPtrArray *borrowed = g_ptr_array_new ();

  /* The data owns every entity once; the lists borrow them. */
  for (guint i = 0; i < list->len; i++)
    {
      g_ptr_array_add (self->entities, g_ptr_array_index (list, i));
      g_ptr_array_add (borrowed, g_ptr_array_index (list, i));
    }
  g_ptr_array_set_free_func (list, NULL);
  g_ptr_array_unref (list);
  return borrowed;
}

static int
compare_places (gconstpointer a,
                gconstpointer b)
{
  const BqNetworkPlace *pa = a;
  const BqNetworkPlace *pb = b;

  /* Sites, then centres (what routes are asked for), then hubs. */
  static const int rank[] = { [BQ_PLACE_SITE] = 0, [BQ_PLACE_CENTRE] = 1, [BQ_PLACE_HUB] = 2 };

  if (pa->kind != pb->kind)
    return rank[pa->kind] - rank[pb->kind];
  return g_utf8_collate (pa->name, pb->name);
}

static int
compare_lanes (gconstpointer a,
               gconstpointer b)
{
  const BqLane *la = *(const BqLane * const *) a;
  const BqLane *lb = *(const BqLane * const *) b;
  int c = g_strcmp0 (la->origin_id, lb->origin_id);

  if (c != 0)
    return c;
  if (la->departure_local != lb->departure_local)
    return la->departure_local < lb->departure_local ? -1 : 1;
  return g_strcmp0 (la->base.id, lb->base.id);
}

static int
compare_products (gconstpointer a,
                  gconstpointer b)
{
  const BqProduct *pa = *(const BqProduct * const *) a;
  const BqProduct *pb = *(const BqProduct * const *) b;

  return g_utf8_collate (pa->name, pb->name);
}

static int
compare_legs (gconstpointer a,
              gconstpointer b)
{
  const BqShipmentLeg *la = *(const BqShipmentLeg * const *) a;
  const BqShipmentLeg *lb = *(const BqShipmentLeg * const *) b;

  return la->seq < lb->seq ? -1 : la->seq > lb->seq;
}

static void
add_places (BqNetworkData *self,
            GPtrArray     *list,
            BqPlaceKind    kind)
{
  for (guint i = 0; i < list->len; i++)
    {
      gconstpointer entity = g_ptr_array_index (list, i);
      BqNetworkPlace place = { .kind = kind, .entity = entity };

      switch (kind)
        {
        case BQ_PLACE_SITE:
          {
            const BqSite *site = entity;

            place.id = site->base.id;
            place.name = site->name;
            place.detail = site->city;
            place.timezone = site->timezone;
            place.latitude = site->latitude;
            place.longitude = site->longitude;
          }
          break;
        case BQ_PLACE_HUB:
          {
            const BqHub *hub = entity;

            place.id = hub->base.id;
            place.name = hub->name;
            place.detail = hub->code;
            place.timezone = hub->timezone;
            place.latitude = hub->latitude;
            place.longitude = hub->longitude;
          }
          break;
        case BQ_PLACE_CENTRE:
        default:
          {
            const BqCentre *centre = entity;

            place.id = centre->base.id;
            place.name = centre->name;
            place.detail = centre->city;
            place.timezone = centre->timezone;
            place.latitude = centre->latitude;
            place.longitude = centre->longitude;
          }
          break;
        }
      if (place.name == NULL)
        place.name = place.id;
      g_array_append_val (self->places, place);
    }
}

/* Where each shipment under way is now: on its departed (or late) leg,
 * or waiting at a hub for the next one. */
static void
find_transits (BqNetworkData *self,
               GPtrArray     *shipments,
               GPtrArray     *legs)
{
  g_autoptr(GHashTable) legs_of = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);

  for (guint i = 0; i < legs->len; i++)
    {
      BqShipmentLeg *leg = g_ptr_array_index (legs, i);
      GPtrArray *list = g_hash_table_lookup (legs_of, leg->shipment_id);

      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (legs_of, leg->shipment_id, list);
        }
      g_ptr_array_add (list, leg);
    }

  for (guint s = 0; s < shipments->len; s++)
    {
      const BqShipment *shipment = g_ptr_array_index (shipments, s);
      GPtrArray *list = g_hash_table_lookup (legs_of, shipment->base.id);
      const BqShipmentLeg *current = NULL;
      BqNetworkTransit transit = { .shipment = shipment };
      const BqNetworkPlace *from, *to;
      gint64 departed, arrival;

      if (list == NULL)
        continue;
      g_ptr_array_sort (list, compare_legs);
      for (guint i = 0; i < list->len && current == NULL; i++)
        {
          const BqShipmentLeg *leg = g_ptr_array_index (list, i);

          if (leg->status == BQ_LEG_DEPARTED || leg->status == BQ_LEG_LATE)
            current = leg;
          else if (leg->status == BQ_LEG_PLANNED &&
                   (i == 0 || ((BqShipmentLeg *) g_ptr_array_index (list, i - 1))->status
                              == BQ_LEG_ARRIVED))
            current = leg;
        }
      if (current == NULL)
        continue;
      transit.leg = current;
      transit.lane = g_hash_table_lookup (self->lane_by_id, current->lane_id);
      if (transit.lane == NULL)
        continue;
      from = bq_network_data_lookup_place (self, transit.lane->origin_id);
      to = bq_network_data_lookup_place (self, transit.lane->destination_id);
      if (from == NULL || to == NULL)
        continue;
      transit.late = current->status == BQ_LEG_LATE || shipment->status == BQ_SHIPMENT_LATE;

      /* Not yet left (waiting, or held late): at the origin.  Under way:
       * by the clock, towards the planned arrival, or towards departure +
       * duration when it left late. */
      departed = current->actual_departure;
      if (departed == BQ_TIME_UNSET || current->status == BQ_LEG_PLANNED)
        {
          transit.progress = 0.0;
        }
      else
        {
          arrival = current->planned_arrival;
          if (current->status == BQ_LEG_LATE || arrival == BQ_TIME_UNSET || arrival <= departed)
            arrival = MAX (arrival, departed + transit.lane->duration_s);
          transit.progress = arrival > departed
                             ? CLAMP ((double) (self->now - departed) / (double) (arrival - departed),
                                      0.0, 1.0)
                             : 1.0;
        }
      bq_route_map_lane_point (from->latitude, from->longitude, to->latitude, to->longitude,
                               transit.lane->mode, transit.progress,
                               &transit.latitude, &transit.longitude);
      g_array_append_val (self->transits, transit);
    }
}

static gboolean
read_store (BqNetworkData *self,
            BqStore       *store,
            gboolean       snapshot,
            GError       **error)
{
  const char * const moving[] = { "in_transit", "late", NULL };
  g_autoptr(GPtrArray) sites = NULL;
  g_autoptr(GPtrArray) hubs = NULL;
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GPtrArray) shipments = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  GPtrArray *list;
  sqlite3 *db = bq_store_get_db (store);
  GError *router_error = NULL;
  gboolean ok = FALSE;

  /* One deferred read transaction: places, lanes and shipments agree,
   * and the client's sync is not held up (no write lock). */
  if (snapshot && sqlite3_exec (db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "cannot read the cache: %s", sqlite3_errmsg (db));
      return FALSE;
    }

  if ((list = bq_store_list (store, &bq_site_type, error)) == NULL)
    goto out;
  sites = keep (self, list);
  if ((list = bq_store_list (store, &bq_hub_type, error)) == NULL)
    goto out;
  hubs = keep (self, list);
  if ((list = bq_store_list (store, &bq_centre_type, error)) == NULL)
    goto out;
  centres = keep (self, list);
  if ((list = bq_store_list (store, &bq_lane_type, error)) == NULL)
    goto out;
  self->lanes = keep (self, list);
  if ((list = bq_store_list (store, &bq_product_type, error)) == NULL)
    goto out;
  self->products = keep (self, list);
  if ((list = bq_store_list (store, &bq_line_type, error)) == NULL)
    goto out;
  self->lines = keep (self, list);
  {
    g_autoptr(BqQuery) query = bq_query_new (&bq_shipment_type);

    bq_query_where_in (query, "status", moving);
    if ((list = bq_store_query (store, query, error)) == NULL)
      goto out;
    shipments = keep (self, list);
  }
  if (shipments->len > 0)
    {
      g_autoptr(BqQuery) query = bq_query_new (&bq_shipment_leg_type);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();
      g_auto(GStrv) ids = NULL;

      for (guint i = 0; i < shipments->len; i++)
        g_strv_builder_add (builder, ((BqShipment *) g_ptr_array_index (shipments, i))->base.id);
      ids = g_strv_builder_end (builder);
      bq_query_where_in (query, "shipment_id", (const char * const *) ids);
      if ((list = bq_store_query (store, query, error)) == NULL)
        goto out;
      legs = keep (self, list);
    }
  else
    {
      legs = g_ptr_array_new ();
    }

  /* The router reads the same snapshot.  A network it cannot expand
   * still shows on the map. */
  self->router = bq_router_new_from_store (store, self->now - DAY, self->now + 8 * DAY,
                                           &router_error);
  if (self->router == NULL)
    {
      self->router_error = g_strdup (router_error->message);
      g_error_free (router_error);
    }
  ok = TRUE;

out:
  if (snapshot)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  if (!ok)
    return FALSE;

  add_places (self, sites, BQ_PLACE_SITE);
  add_places (self, hubs, BQ_PLACE_HUB);
  add_places (self, centres, BQ_PLACE_CENTRE);
  g_array_sort (self->places, compare_places);
  for (guint i = 0; i < self->places->len; i++)
    g_hash_table_insert (self->place_index,
                         (gpointer) g_array_index (self->places, BqNetworkPlace, i).id,
                         GUINT_TO_POINTER (i + 1));
  g_ptr_array_sort (self->lanes, compare_lanes);
  for (guint i = 0; i < self->lanes->len; i++)
    {
      BqLane *lane = g_ptr_array_index (self->lanes, i);

      g_hash_table_insert (self->lane_by_id, lane->base.id, lane);
    }
  g_ptr_array_sort (self->products, compare_products);
  find_transits (self, shipments, legs);
  return TRUE;
}

static BqNetworkData *
network_data_new (gint64 now)
{
  BqNetworkData *self = g_atomic_rc_box_new0 (BqNetworkData);

  self->now = now;
  self->entities = g_ptr_array_new_with_free_func (bq_entity_free);
  self->places = g_array_new (FALSE, TRUE, sizeof (BqNetworkPlace));
  self->place_index = g_hash_table_new (g_str_hash, g_str_equal);
  self->lane_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  self->transits = g_array_new (FALSE, TRUE, sizeof (BqNetworkTransit));
  return self;
}

BqNetworkData *
bq_network_data_load (BqStore  *store,
                      gint64    now,
                      GError  **error)
{
  g_autoptr(BqNetworkData) self = NULL;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);

  self = network_data_new (now);
  if (!read_store (self, store, FALSE, error))
    return NULL;
  return g_steal_pointer (&self);
}

typedef struct {
  char    *path;
  gint64   now;
} Load;

static void
load_free (Load *load)
{
  g_free (load->path);
  g_free (load);
}

static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Load *load = task_data;
  g_autoptr(BqStore) reader = NULL;
  g_autoptr(BqNetworkData) data = NULL;
  GError *error = NULL;

  /* A connection of our own: the client's stays on its thread. */
  reader = bq_store_open (load->path, &error);
  if (reader == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  data = network_data_new (load->now);
  if (!read_store (data, reader, TRUE, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  g_task_return_pointer (task, g_steal_pointer (&data), (GDestroyNotify) bq_network_data_unref);
}

void
bq_network_data_load_async (BqStore             *store,
                            gint64               now,
                            GCancellable        *cancellable,
                            GAsyncReadyCallback  callback,
                            gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  const char *path;
  Load *load;

  g_return_if_fail (BQ_IS_STORE (store));

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_network_data_load_async);

  path = bq_store_get_path (store);
  if (path == NULL || *path == '\0' || strcmp (path, ":memory:") == 0)
    {
      /* A private in-memory store cannot be opened twice: tests only. */
      GError *error = NULL;
      BqNetworkData *data = bq_network_data_load (store, now, &error);

      if (data == NULL)
        g_task_return_error (task, error);
      else
        g_task_return_pointer (task, data, (GDestroyNotify) bq_network_data_unref);
      return;
    }

  load = g_new0 (Load, 1);
  load->path = g_strdup (path);
  load->now = now;
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);
  g_task_run_in_thread (task, load_in_thread);
}

BqNetworkData *
bq_network_data_load_finish (GAsyncResult  *result,
                             GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

/* -------------------------------------------------------------- accessors */

gint64
bq_network_data_get_now (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->now;
}

guint
bq_network_data_get_n_places (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->places->len;
}

const BqNetworkPlace *
bq_network_data_get_place (BqNetworkData *self,
                           guint          index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->places->len, NULL);
  return &g_array_index (self->places, BqNetworkPlace, index);
}

const BqNetworkPlace *
bq_network_data_lookup_place (BqNetworkData *self,
                              const char    *id)
{
  guint index;

  g_return_val_if_fail (self != NULL, NULL);

  if (id == NULL)
    return NULL;
  index = GPOINTER_TO_UINT (g_hash_table_lookup (self->place_index, id));
  return index > 0 ? &g_array_index (self->places, BqNetworkPlace, index - 1) : NULL;
}

guint
bq_network_data_count_places (BqNetworkData *self,
                              BqPlaceKind    kind)
{
  guint n = 0;

  g_return_val_if_fail (self != NULL, 0);
  for (guint i = 0; i < self->places->len; i++)
    if (g_array_index (self->places, BqNetworkPlace, i).kind == kind)
      n++;
  return n;
}

GPtrArray *
bq_network_data_get_lanes (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->lanes;
}

const BqLane *
bq_network_data_lookup_lane (BqNetworkData *self,
                             const char    *id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return id != NULL ? g_hash_table_lookup (self->lane_by_id, id) : NULL;
}

GPtrArray *
bq_network_data_get_products (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->products;
}

guint
bq_network_data_get_n_transits (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->transits->len;
}

const BqNetworkTransit *
bq_network_data_get_transit (BqNetworkData *self,
                             guint          index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->transits->len, NULL);
  return &g_array_index (self->transits, BqNetworkTransit, index);
}

BqRouter *
bq_network_data_get_router (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->router;
}

const char *
bq_network_data_get_router_error (BqNetworkData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  return self->router_error;
}

const BqProduct *
bq_network_data_get_main_product (BqNetworkData *self)
{
  const BqProduct *best = NULL;
  guint best_lines = 0;

  g_return_val_if_fail (self != NULL, NULL);

  /* Products are by name, so ties go to the first name. */
  for (guint p = 0; p < self->products->len; p++)
    {
      const BqProduct *product = g_ptr_array_index (self->products, p);
      guint n = 0;

      for (guint i = 0; i < self->lines->len; i++)
        {
          const BqLine *line = g_ptr_array_index (self->lines, i);

          if (line->product_ids != NULL &&
              g_strv_contains ((const char * const *) line->product_ids, product->base.id))
            n++;
        }
      if (best == NULL || n > best_lines)
        {
          best = product;
          best_lines = n;
        }
    }
  return best;
}

/* ----------------------------------------------------------------- format */

char *
bq_network_format_weekdays (gint64 weekdays)
{
  /* Translators: abbreviated weekdays of a timetable, Monday first. */
  const char *names[] = { N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"),
                          N_("Sun") };
  GString *text;

  if (weekdays == 0)
    return g_strdup (_("On demand"));
  if ((weekdays & 0x7f) == 0x7f)
    return g_strdup (_("Daily"));
  if ((weekdays & 0x7f) == 0x1f)
    return g_strdup (_("Mon–Fri"));
  text = g_string_new (NULL);
  for (guint i = 0; i < 7; i++)
    if (weekdays & (1 << i))
      {
        if (text->len > 0)
          g_string_append_c (text, ' ');
        g_string_append (text, _(names[i]));
      }
  return g_string_free (text, FALSE);
}

char *
bq_network_format_local_minutes (gint64      minutes,
                                 const char *zone,
                                 gint64      day)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone != NULL ? zone : "UTC");
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *abbreviation = NULL;

  if (tz == NULL)
    tz = g_time_zone_new_utc ();
  at = g_date_time_new_from_unix_utc (day);
  if (at != NULL)
    {
      g_autoptr(GDateTime) local = g_date_time_to_timezone (at, tz);

      abbreviation = g_date_time_format (local, "%Z");
    }
  return g_strdup_printf ("%02d:%02d %s", (int) (minutes / 60) % 24, (int) (minutes % 60),
                          abbreviation != NULL ? abbreviation : "");
}

const char *
bq_network_format_mode (BqLaneMode mode)
{
  switch (mode)
    {
    case BQ_LANE_GROUND:
      return _("Road");
    case BQ_LANE_FLIGHT:
      return _("Flight");
    case BQ_LANE_CHARTER:
      return _("Charter");
    case BQ_LANE_HANDOVER:
      return _("Hand-over");
    default:
      return _("Lane");
    }
}
