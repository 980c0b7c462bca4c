/* bq-network-data.h — the distribution network as the map shows it
 *
 * One consistent read of the cache: sites, hubs and centres (with
 * coordinates and zones), lanes, the shipments under way with their
 * legs, products and lines, and a BqRouter over them for a horizon
 * around a given time.  Read in a worker thread (the router's timetable
 * is expanded there too); immutable and reference-counted afterwards, so
 * the page, the map and the lists share one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bq-route.h"
#include "bq-store.h"

G_BEGIN_DECLS

typedef enum {
  BQ_PLACE_SITE,
  BQ_PLACE_HUB,
  BQ_PLACE_CENTRE,
} BqPlaceKind;

typedef struct {
  const char   *id;
  BqPlaceKind   kind;
  const char   *name;
  const char   *detail;     /* "Munich, DE", "AMS", … */
  const char   *timezone;   /* IANA */
  double        latitude;
  double        longitude;
  gconstpointer entity;     /* the BqSite, BqHub or BqCentre */
} BqNetworkPlace;

/* A shipment under way: the leg it is on now and where it is. */
typedef struct {
  const BqShipment    *shipment;
  const BqShipmentLeg *leg;       /* departed, or late (maybe still waiting) */
  const BqLane        *lane;
  gboolean             late;
  double               progress;  /* 0 at the origin … 1 at the destination */
  double               latitude;
  double               longitude;
} BqNetworkTransit;

typedef struct _BqNetworkData BqNetworkData;

BqNetworkData *bq_network_data_ref          (BqNetworkData *self);
void           bq_network_data_unref        (BqNetworkData *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqNetworkData, bq_network_data_unref)

/* Reads @store (in a thread when it is a file; a private in-memory
 * store is read at once) and builds the router for [@now - 1 d,
 * @now + 8 d). */
void           bq_network_data_load_async   (BqStore             *store,
                                             gint64               now,
                                             GCancellable        *cancellable,
                                             GAsyncReadyCallback  callback,
                                             gpointer             user_data);
BqNetworkData *bq_network_data_load_finish  (GAsyncResult        *result,
                                             GError             **error);
/* The same, blocking (tests, the CLI). */
BqNetworkData *bq_network_data_load         (BqStore             *store,
                                             gint64               now,
                                             GError             **error);

gint64               bq_network_data_get_now        (BqNetworkData *self);
/* Sites, then centres, then hubs, each by name. */
guint                bq_network_data_get_n_places   (BqNetworkData *self);
const BqNetworkPlace *bq_network_data_get_place     (BqNetworkData *self,
                                                     guint          index);
const BqNetworkPlace *bq_network_data_lookup_place  (BqNetworkData *self,
                                                     const char    *id);
guint                bq_network_data_count_places   (BqNetworkData *self,
                                                     BqPlaceKind    kind);
/* BqLane, by origin then departure. */
GPtrArray           *bq_network_data_get_lanes      (BqNetworkData *self);
const BqLane        *bq_network_data_lookup_lane    (BqNetworkData *self,
                                                     const char    *id);
/* BqProduct, by name. */
GPtrArray           *bq_network_data_get_products   (BqNetworkData *self);
guint                bq_network_data_get_n_transits (BqNetworkData *self);
const BqNetworkTransit *bq_network_data_get_transit (BqNetworkData *self,
                                                     guint          index);
/* NULL when the timetable could not be expanded (see get_router_error). */
BqRouter            *bq_network_data_get_router     (BqNetworkData *self);
const char          *bq_network_data_get_router_error (BqNetworkData *self);

/* The product the most lines make (the one to show routes for first),
 * or NULL without products. */
const BqProduct     *bq_network_data_get_main_product (BqNetworkData *self);

/* "Mon Wed Fri", "Daily", "On demand" */
char                *bq_network_format_weekdays     (gint64         weekdays);
/* "09:40 CET" for minutes after local midnight in @zone, with the zone's
 * abbreviation on @day (UTC seconds). */
char                *bq_network_format_local_minutes (gint64        minutes,
                                                      const char   *zone,
                                                      gint64        day);
const char          *bq_network_format_mode         (BqLaneMode     mode);

G_END_DECLS
