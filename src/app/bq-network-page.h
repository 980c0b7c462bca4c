/* bq-network-page.h — the distribution network: the route map and its lists
 *
 * The map of sites, hubs, centres, lanes and shipments under way (see
 * bq-route-map.h) beside a pane with the places and the lanes with their
 * timetables, both searched by one entry.  Choosing a centre, on the map
 * or in the list, lists its routes from each site departing from now on,
 * with local times and the activity left at arrival.  Everything comes
 * from the client's cache, so it all works offline.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"
#include "bq-network-data.h"
#include "bq-route-map.h"
#include "bq-units.h"

G_BEGIN_DECLS

/* A row of the places or the lanes list. */
#define BQ_TYPE_NETWORK_ROW (bq_network_row_get_type ())
G_DECLARE_FINAL_TYPE (BqNetworkRow, bq_network_row, BQ, NETWORK_ROW, GObject)

const char           *bq_network_row_get_title    (BqNetworkRow *self);
const char           *bq_network_row_get_subtitle (BqNetworkRow *self);
/* One of these is set. */
const BqNetworkPlace *bq_network_row_get_place    (BqNetworkRow *self);
const BqLane         *bq_network_row_get_lane     (BqNetworkRow *self);

#define BQ_TYPE_NETWORK_PAGE (bq_network_page_get_type ())
G_DECLARE_FINAL_TYPE (BqNetworkPage, bq_network_page, BQ, NETWORK_PAGE, GtkWidget)

GtkWidget     *bq_network_page_new               (void);
/* Shows the network in @client's cache; NULL shows nothing. */
void           bq_network_page_set_client        (BqNetworkPage  *self,
                                                  BqClient       *client);
void           bq_network_page_set_activity_unit (BqNetworkPage  *self,
                                                  BqActivityUnit  unit);
/* Routes depart after this time (UTC seconds); 0 (the default) follows
 * the clock.  Reloads. */
void           bq_network_page_set_now           (BqNetworkPage  *self,
                                                  gint64          now);
void           bq_network_page_focus_search      (BqNetworkPage  *self);
BqRouteMap    *bq_network_page_get_map           (BqNetworkPage  *self);
/* The network shown, or NULL before the first read of the cache. */
BqNetworkData *bq_network_page_get_data          (BqNetworkPage  *self);
/* The rows the lists show now (searched): BqNetworkRow. */
GListModel    *bq_network_page_get_place_rows    (BqNetworkPage  *self);
GListModel    *bq_network_page_get_lane_rows     (BqNetworkPage  *self);
/* Lists the routes to centre @id (FALSE if it is not a centre of the
 * network); NULL goes back to the lists. */
gboolean       bq_network_page_show_centre       (BqNetworkPage  *self,
                                                  const char     *id);
const char    *bq_network_page_get_centre        (BqNetworkPage  *self);
/* The routes listed for the centre (BqRoute), best first per site. */
GPtrArray     *bq_network_page_get_routes        (BqNetworkPage  *self);

G_END_DECLS
