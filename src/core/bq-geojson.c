/* bq-geojson.c — the network and routes as GeoJSON
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-geojson.h"
#include "bq-json.h"
#include "bq-units.h"

typedef struct {
  const char *kind;
  const char *name;
  const char *timezone;
  double      latitude;
  double      longitude;
} PlaceInfo;

static gboolean
place_info (gconstpointer  entity,
            PlaceInfo     *info)
{
  const BqEntityType *type;

  if (entity == NULL)
    return FALSE;
  type = BQ_ENTITY (entity)->type;
  if (type == &bq_site_type)
    {
      const BqSite *site = entity;
      *info = (PlaceInfo) { "site", site->name, site->timezone, site->latitude, site->longitude };
    }
  else if (type == &bq_hub_type)
    {
      const BqHub *hub = entity;
      *info = (PlaceInfo) { "hub", hub->name, hub->timezone, hub->latitude, hub->longitude };
    }
  else if (type == &bq_centre_type)
    {
      const BqCentre *centre = entity;
      *info = (PlaceInfo) { "centre", centre->name, centre->timezone, centre->latitude,
                            centre->longitude };
    }
  else
    {
      return FALSE;
    }
  return TRUE;
}

static void
add_position (JsonBuilder *builder,
              double       longitude,
              double       latitude)
{
  json_builder_begin_array (builder);
  json_builder_add_double_value (builder, longitude);
  json_builder_add_double_value (builder, latitude);
  json_builder_end_array (builder);
}

static void
add_time (JsonBuilder *builder,
          const char  *name,
          gint64       t)
{
  g_autofree char *text = bq_units_format_time (t);

  bq_json_add_string_member (builder, name, text);
}

static void
begin_feature (JsonBuilder *builder)
{
  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "type", "Feature");
}

static void
add_point_geometry (JsonBuilder     *builder,
                    const PlaceInfo *info)
{
  json_builder_set_member_name (builder, "geometry");
  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "type", "Point");
  json_builder_set_member_name (builder, "coordinates");
  add_position (builder, info->longitude, info->latitude);
  json_builder_end_object (builder);
}

static void
add_line_geometry (JsonBuilder     *builder,
                   const PlaceInfo *from,
                   const PlaceInfo *to)
{
  json_builder_set_member_name (builder, "geometry");
  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "type", "LineString");
  json_builder_set_member_name (builder, "coordinates");
  json_builder_begin_array (builder);
  add_position (builder, from->longitude, from->latitude);
  add_position (builder, to->longitude, to->latitude);
  json_builder_end_array (builder);
  json_builder_end_object (builder);
}

static const char * const mode_nicks[] = { "ground", "flight", "charter", "handover" };

static const char *
mode_nick (BqLaneMode mode)
{
  return (guint) mode < G_N_ELEMENTS (mode_nicks) ? mode_nicks[mode] : NULL;
}

JsonNode *
bq_geojson_network (GPtrArray *places,
                    GPtrArray *lanes)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GHashTable) by_id = g_hash_table_new (g_str_hash, g_str_equal);

  g_return_val_if_fail (places != NULL, NULL);
  g_return_val_if_fail (lanes != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "type", "FeatureCollection");
  json_builder_set_member_name (builder, "features");
  json_builder_begin_array (builder);

  for (guint i = 0; i < places->len; i++)
    {
      gconstpointer entity = g_ptr_array_index (places, i);
      const BqEntityType *type = BQ_ENTITY (entity)->type;
      PlaceInfo info;

      if (!place_info (entity, &info) || bq_entity_get_id (entity) == NULL)
        continue;
      g_hash_table_insert (by_id, (gpointer) bq_entity_get_id (entity), (gpointer) entity);

      begin_feature (builder);
      bq_json_add_string_member (builder, "id", bq_entity_get_id (entity));
      add_point_geometry (builder, &info);
      json_builder_set_member_name (builder, "properties");
      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "id", bq_entity_get_id (entity));
      bq_json_add_string_member (builder, "kind", info.kind);
      bq_json_add_string_member (builder, "name", info.name);
      bq_json_add_string_member (builder, "timezone", info.timezone);
      if (type == &bq_site_type)
        bq_json_add_string_member (builder, "organisation", ((const BqSite *) entity)->organisation);
      else if (type == &bq_hub_type)
        bq_json_add_string_member (builder, "code", ((const BqHub *) entity)->code);
      else
        bq_json_add_string_member (builder, "region", ((const BqCentre *) entity)->region);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  for (guint i = 0; i < lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);
      PlaceInfo from, to;

      if (!place_info (g_hash_table_lookup (by_id, lane->origin_id), &from) ||
          !place_info (g_hash_table_lookup (by_id, lane->destination_id), &to))
        continue;

      begin_feature (builder);
      bq_json_add_string_member (builder, "id", lane->base.id);
      add_line_geometry (builder, &from, &to);
      json_builder_set_member_name (builder, "properties");
      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "id", lane->base.id);
      bq_json_add_string_member (builder, "kind", "lane");
      bq_json_add_string_member (builder, "mode", mode_nick (lane->mode));
      bq_json_add_string_member (builder, "origin_id", lane->origin_id);
      bq_json_add_string_member (builder, "destination_id", lane->destination_id);
      bq_json_add_string_member (builder, "carrier", lane->carrier);
      bq_json_add_string_member (builder, "service", lane->service);
      json_builder_set_member_name (builder, "on_demand");
      json_builder_add_boolean_value (builder, lane->weekdays == 0);
      bq_json_add_int_member (builder, "weekdays", lane->weekdays);
      bq_json_add_int_member (builder, "departure_local", lane->departure_local);
      bq_json_add_int_member (builder, "duration_s", lane->duration_s);
      bq_json_add_int_member (builder, "handling_s", lane->handling_s);
      json_builder_set_member_name (builder, "class7_accepted");
      json_builder_add_boolean_value (builder, lane->class7_accepted);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

JsonNode *
bq_geojson_route (BqRouter      *router,
                  const BqRoute *route)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();

  g_return_val_if_fail (BQ_IS_ROUTER (router), NULL);
  g_return_val_if_fail (route != NULL, NULL);

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "type", "FeatureCollection");
  json_builder_set_member_name (builder, "features");
  json_builder_begin_array (builder);

  for (guint i = 0; i < route->legs->len; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);
      PlaceInfo from, to;

      if (!place_info (bq_router_get_place (router, leg->origin_id), &from) ||
          !place_info (bq_router_get_place (router, leg->destination_id), &to))
        continue;
      begin_feature (builder);
      add_line_geometry (builder, &from, &to);
      json_builder_set_member_name (builder, "properties");
      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "kind", "leg");
      bq_json_add_int_member (builder, "seq", i);
      bq_json_add_string_member (builder, "lane_id", leg->lane_id);
      bq_json_add_string_member (builder, "mode", mode_nick (leg->mode));
      bq_json_add_string_member (builder, "origin_id", leg->origin_id);
      bq_json_add_string_member (builder, "destination_id", leg->destination_id);
      bq_json_add_string_member (builder, "carrier", leg->carrier);
      bq_json_add_string_member (builder, "service", leg->service);
      add_time (builder, "departure", leg->departure);
      add_time (builder, "arrival", leg->arrival);
      bq_json_add_string_member (builder, "departure_local", leg->departure_local);
      bq_json_add_string_member (builder, "arrival_local", leg->arrival_local);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  for (guint i = 0; i <= route->legs->len && route->legs->len > 0; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, MIN (i, route->legs->len - 1));
      const char *id = i < route->legs->len ? leg->origin_id : leg->destination_id;
      PlaceInfo info;

      if (!place_info (bq_router_get_place (router, id), &info))
        continue;
      begin_feature (builder);
      add_point_geometry (builder, &info);
      json_builder_set_member_name (builder, "properties");
      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "kind", "stop");
      bq_json_add_int_member (builder, "seq", i);
      bq_json_add_string_member (builder, "id", id);
      bq_json_add_string_member (builder, "name", info.name);
      bq_json_add_string_member (builder, "place_kind", info.kind);
      json_builder_end_object (builder);
      json_builder_end_object (builder);
    }

  json_builder_end_array (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}
