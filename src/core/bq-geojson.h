/* bq-geojson.h — the network and routes as GeoJSON (RFC 7946)
 *
 * Coordinates are [longitude, latitude] in WGS 84, as RFC 7946 orders
 * them.  Times in properties are ISO 8601 UTC.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bq-route.h"

G_BEGIN_DECLS

/* A FeatureCollection: every site, hub and centre of @places as a Point
 * (properties: id, kind "site"/"hub"/"centre", name, timezone and, by
 * kind, organisation, code or region), then every lane of @lanes whose
 * ends are among @places as a LineString from origin to destination
 * (properties: id, kind "lane", mode, carrier, service, on_demand,
 * weekdays, departure_local, duration_s, handling_s, class7_accepted). */
JsonNode *bq_geojson_network (GPtrArray     *places,
                              GPtrArray     *lanes);

/* A FeatureCollection for one route: a LineString per leg (properties:
 * kind "leg", seq, lane_id, mode, carrier, service, departure, arrival,
 * departure_local, arrival_local), then a Point per place along it
 * (kind "stop", seq, id, name).  Places come from @router. */
JsonNode *bq_geojson_route   (BqRouter      *router,
                              const BqRoute *route);

G_END_DECLS
