/* bq-route-map.h — the distribution network on a map
 *
 * A ShumateSimpleMap with, from the bottom: a graticule over a plain
 * background (what shows where there are no tiles: offline, nothing
 * cached), the raster tiles, every lane as a line (one layer drawn with
 * GtkSnapshot: roads straight, flights arched, hand-overs dotted), the
 * routes being looked at, the legs shipments are on now (late ones in the
 * warning colour), then a button per site, hub and centre and one per
 * shipment under way, with tooltips and accessible names.
 *
 * Tiles come from a BqTileSource (see bq-tile-source.h); the map works
 * the same without any.
 *
 * Signals: "place-activated" (const char *id): a place's marker was
 * clicked.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-network-data.h"
#include "bq-tile-source.h"

G_BEGIN_DECLS

#define BQ_TYPE_ROUTE_MAP (bq_route_map_get_type ())
G_DECLARE_FINAL_TYPE (BqRouteMap, bq_route_map, BQ, ROUTE_MAP, GtkWidget)

GtkWidget     *bq_route_map_new               (void);
/* NULL shows an empty map.  The first data fits the view to the places. */
void           bq_route_map_set_data          (BqRouteMap    *self,
                                               BqNetworkData *data);
/* A URL template ({z}/{x}/{y}) or NULL for no tiles; see
 * bq_tile_source_default_url() for the initial one. */
void           bq_route_map_set_tile_url      (BqRouteMap    *self,
                                               const char    *url_template);
BqTileSource  *bq_route_map_get_tile_source   (BqRouteMap    *self);
/* Marks @id's marker as selected (NULL: none); @center pans to it. */
void           bq_route_map_select_place      (BqRouteMap    *self,
                                               const char    *id,
                                               gboolean       center);
/* Routes (BqRoute) drawn on top of the lanes; NULL or empty: none. */
void           bq_route_map_set_routes        (BqRouteMap    *self,
                                               GPtrArray     *routes);
void           bq_route_map_zoom_in           (BqRouteMap    *self);
void           bq_route_map_zoom_out          (BqRouteMap    *self);
/* Shows every place. */
void           bq_route_map_zoom_to_fit       (BqRouteMap    *self);
ShumateViewport *bq_route_map_get_viewport    (BqRouteMap    *self);

/* For tests: markers shown, the button of a place, lanes drawn. */
guint          bq_route_map_get_n_place_markers   (BqRouteMap  *self,
                                                   BqPlaceKind  kind);
guint          bq_route_map_get_n_transit_markers (BqRouteMap  *self);
guint          bq_route_map_get_n_late_transits   (BqRouteMap  *self);
GtkWidget     *bq_route_map_get_place_button      (BqRouteMap  *self,
                                                   const char  *id);
guint          bq_route_map_get_n_lines_drawn     (BqRouteMap  *self);

/* The point at @t (0…1) along the line the map draws for a lane of
 * @mode between two places: flights arch, the rest are straight (in the
 * map's Mercator projection). */
void           bq_route_map_lane_point        (double      from_latitude,
                                               double      from_longitude,
                                               double      to_latitude,
                                               double      to_longitude,
                                               BqLaneMode  mode,
                                               double      t,
                                               double     *latitude,
                                               double     *longitude);

G_END_DECLS
