/* bq-route-map.c — the distribution network on a map
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "bq-route-map.h"

/* How much a flight arches: the control point's distance from the
 * chord's middle, as a fraction of the chord. */
#define FLIGHT_BEND 0.18

/* ---------------------------------------------------------- drawn layer */

typedef enum {
  LAYER_GRATICULE,
  LAYER_LINES,
} LayerKind;

#define BQ_TYPE_MAP_LAYER (bq_map_layer_get_type ())
G_DECLARE_FINAL_TYPE (BqMapLayer, bq_map_layer, BQ, MAP_LAYER, ShumateLayer)

struct _BqMapLayer
{
  ShumateLayer  parent_instance;
  LayerKind     kind;
  BqRouteMap   *map;   /* weak: the map owns the layer */
};

G_DEFINE_FINAL_TYPE (BqMapLayer, bq_map_layer, SHUMATE_TYPE_LAYER)

struct _BqRouteMap
{
  GtkWidget           parent_instance;

  ShumateSimpleMap   *simple_map;
  ShumateMap         *map;
  ShumateViewport    *viewport;
  BqTileSource       *tile_source;
  ShumateMapSource   *map_source;
  BqMapLayer         *graticule;
  BqMapLayer         *lines;
  ShumateMarkerLayer *place_layer;
  ShumateMarkerLayer *transit_layer;

  BqNetworkData      *data;
  GHashTable         *place_buttons;   /* id → GtkButton (owned by the markers) */
  GPtrArray          *routes;          /* BqRoute */
  char               *selected_id;
  guint               n_transit_markers;
  guint               n_late_transits;
  guint               n_lines_drawn;
  gboolean            fit_pending;
  gboolean            fitted;         /* once, to the first places shown */
  guint               fit_id;
};

G_DEFINE_FINAL_TYPE (BqRouteMap, bq_route_map, GTK_TYPE_WIDGET)

enum {
  SIGNAL_PLACE_ACTIVATED,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

enum {
  PROP_0,
  PROP_TILE_URL,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------ geometry */

static void
to_mercator (double  latitude,
             double  longitude,
             double *x,
             double *y)
{
  double lat = CLAMP (latitude, -85.0511, 85.0511) * G_PI / 180.0;

  *x = (longitude + 180.0) / 360.0;
  *y = (1.0 - log (tan (lat) + 1.0 / cos (lat)) / G_PI) / 2.0;
}

static void
from_mercator (double  x,
               double  y,
               double *latitude,
               double *longitude)
{
  *longitude = x * 360.0 - 180.0;
  *latitude = atan (sinh (G_PI * (1.0 - 2.0 * y))) * 180.0 / G_PI;
}

/* The control point of a flight's arch from (x0, y0) to (x1, y1), in any
 * coordinates that are a scaled and shifted Mercator (map pixels too). */
static void
arch_control (double  x0,
              double  y0,
              double  x1,
              double  y1,
              double *cx,
              double *cy)
{
  /* Bending to the left of the direction of travel would put an arch and
   * its return flight on opposite sides; bending away from the equator,
   * whichever way the flight goes, keeps them together like a great
   * circle would. */
  double dx = x1 - x0, dy = y1 - y0;
  double px = -dy, py = dx;

  if (py > 0)
    {
      px = -px;
      py = -py;
    }
  *cx = (x0 + x1) / 2.0 + px * FLIGHT_BEND;
  *cy = (y0 + y1) / 2.0 + py * FLIGHT_BEND;
}

static gboolean
mode_arches (BqLaneMode mode)
{
  return mode == BQ_LANE_FLIGHT || mode == BQ_LANE_CHARTER;
}

void
bq_route_map_lane_point (double      from_latitude,
                         double      from_longitude,
                         double      to_latitude,
                         double      to_longitude,
                         BqLaneMode  mode,
                         double      t,
                         double     *latitude,
                         double     *longitude)
{
  double x0, y0, x1, y1, x, y;

  g_return_if_fail (latitude != NULL && longitude != NULL);

  t = CLAMP (t, 0.0, 1.0);
  to_mercator (from_latitude, from_longitude, &x0, &y0);
  to_mercator (to_latitude, to_longitude, &x1, &y1);
  if (mode_arches (mode))
    {
      double cx, cy;

      arch_control (x0, y0, x1, y1, &cx, &cy);
      x = (1 - t) * (1 - t) * x0 + 2 * (1 - t) * t * cx + t * t * x1;
      y = (1 - t) * (1 - t) * y0 + 2 * (1 - t) * t * cy + t * t * y1;
    }
  else
    {
      x = x0 + (x1 - x0) * t;
      y = y0 + (y1 - y0) * t;
    }
  from_mercator (x, y, latitude, longitude);
}

/* ------------------------------------------------------------- drawing */

typedef struct {
  double r, g, b, a;
} Colour;

/* The libadwaita palette, so lines read the same as the rest of the app. */
static const Colour ROAD_COLOUR = { 0x1c / 255.0, 0x71 / 255.0, 0xd8 / 255.0, 0.55 };      /* blue 4 */
static const Colour FLIGHT_COLOUR = { 0x81 / 255.0, 0x3d / 255.0, 0x9c / 255.0, 0.55 };    /* purple 4 */
static const Colour HANDOVER_COLOUR = { 0x5e / 255.0, 0x5c / 255.0, 0x64 / 255.0, 0.7 };   /* dark 2 */
static const Colour ROUTE_COLOUR = { 0x26 / 255.0, 0xa2 / 255.0, 0x69 / 255.0, 1.0 };      /* green 4 */
static const Colour TRANSIT_COLOUR = { 0x1a / 255.0, 0x5f / 255.0, 0xb4 / 255.0, 1.0 };    /* blue 5 */
static const Colour LATE_COLOUR = { 0xe6 / 255.0, 0x61 / 255.0, 0x00 / 255.0, 1.0 };       /* orange 4 */
static const Colour CASING_COLOUR = { 1.0, 1.0, 1.0, 0.85 };

static void
set_colour (cairo_t      *cr,
            const Colour *colour)
{
  cairo_set_source_rgba (cr, colour->r, colour->g, colour->b, colour->a);
}

static gboolean
place_point (BqRouteMap *self,
             GtkWidget  *layer,
             const char *id,
             double     *x,
             double     *y)
{
  const BqNetworkPlace *place = bq_network_data_lookup_place (self->data, id);

  if (place == NULL)
    return FALSE;
  shumate_viewport_location_to_widget_coords (self->viewport, layer, place->latitude,
                                              place->longitude, x, y);
  return TRUE;
}

static gboolean
lane_path (BqRouteMap *self,
           GtkWidget  *layer,
           cairo_t    *cr,
           const char *origin_id,
           const char *destination_id,
           BqLaneMode  mode,
           double      from_t)
{
  double x0, y0, x1, y1;

  if (!place_point (self, layer, origin_id, &x0, &y0) ||
      !place_point (self, layer, destination_id, &x1, &y1))
    return FALSE;

  if (mode_arches (mode))
    {
      double cx, cy;

      arch_control (x0, y0, x1, y1, &cx, &cy);
      if (from_t > 0.0)
        {
          /* The rest of the arch from t: de Casteljau split. */
          double ax = x0 + (cx - x0) * from_t, ay = y0 + (cy - y0) * from_t;
          double bx = cx + (x1 - cx) * from_t, by = cy + (y1 - cy) * from_t;

          x0 = ax + (bx - ax) * from_t;
          y0 = ay + (by - ay) * from_t;
          cx = bx;
          cy = by;
        }
      /* A quadratic Bézier as the cubic cairo draws. */
      cairo_move_to (cr, x0, y0);
      cairo_curve_to (cr, x0 + 2.0 / 3.0 * (cx - x0), y0 + 2.0 / 3.0 * (cy - y0),
                      x1 + 2.0 / 3.0 * (cx - x1), y1 + 2.0 / 3.0 * (cy - y1), x1, y1);
    }
  else
    {
      cairo_move_to (cr, x0 + (x1 - x0) * from_t, y0 + (y1 - y0) * from_t);
      cairo_line_to (cr, x1, y1);
    }
  return TRUE;
}

static void
stroke_cased (cairo_t      *cr,
              const Colour *colour,
              double        width)
{
  cairo_set_line_width (cr, width + 3.0);
  set_colour (cr, &CASING_COLOUR);
  cairo_stroke_preserve (cr);
  cairo_set_line_width (cr, width);
  set_colour (cr, colour);
  cairo_stroke (cr);
}

/* Names beside the markers: sites always (they are few, and with no
 * tiles they are what tells where one is), centres once zoomed in. */
static void
draw_labels (BqRouteMap *self,
             GtkWidget  *layer,
             cairo_t    *cr)
{
  double zoom = shumate_viewport_get_zoom_level (self->viewport);
  int width = gtk_widget_get_width (layer);
  int height = gtk_widget_get_height (layer);
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (layer, NULL);
  GdkRGBA fg;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (layer), &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  for (guint i = 0; i < bq_network_data_get_n_places (self->data); i++)
    {
      const BqNetworkPlace *place = bq_network_data_get_place (self->data, i);
      PangoRectangle extent;
      double x, y;

      if (place->kind == BQ_PLACE_HUB || (place->kind == BQ_PLACE_CENTRE && zoom < 6.0))
        continue;
      shumate_viewport_location_to_widget_coords (self->viewport, layer, place->latitude,
                                                  place->longitude, &x, &y);
      if (x < -200 || x > width + 20 || y < -20 || y > height + 20)
        continue;
      pango_layout_set_text (layout, place->name, -1);
      pango_layout_get_pixel_extents (layout, NULL, &extent);
      x += place->kind == BQ_PLACE_SITE ? 16 : 14;
      y -= extent.height / 2.0;

      /* A halo of the background, so lines do not cross the text. */
      cairo_move_to (cr, x, y);
      pango_cairo_layout_path (cr, layout);
      cairo_set_line_width (cr, 3.0);
      cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);
      cairo_set_source_rgba (cr, 1.0 - fg.red, 1.0 - fg.green, 1.0 - fg.blue, 0.8);
      cairo_stroke (cr);
      cairo_move_to (cr, x, y);
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, 0.9);
      pango_cairo_show_layout (cr, layout);
    }
}

static void
draw_lines (BqRouteMap *self,
            GtkWidget  *layer,
            cairo_t    *cr)
{
  g_autoptr(GHashTable) drawn = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  GPtrArray *lanes;
  const double dots[] = { 1.0, 4.0 };

  self->n_lines_drawn = 0;
  if (self->data == NULL)
    return;

  cairo_set_line_cap (cr, CAIRO_LINE_CAP_ROUND);
  cairo_set_line_join (cr, CAIRO_LINE_JOIN_ROUND);

  /* Every lane once per pair of places and mode: a daily flight and its
   * weekend variant are one line. */
  lanes = bq_network_data_get_lanes (self->data);
  for (guint i = 0; i < lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);
      g_autofree char *key = g_strdup_printf ("%s|%s|%d", lane->origin_id, lane->destination_id,
                                              lane->mode);

      if (g_hash_table_contains (drawn, key))
        continue;
      if (!lane_path (self, layer, cr, lane->origin_id, lane->destination_id, lane->mode, 0.0))
        continue;
      g_hash_table_add (drawn, g_steal_pointer (&key));
      self->n_lines_drawn++;
      switch (lane->mode)
        {
        case BQ_LANE_FLIGHT:
        case BQ_LANE_CHARTER:
          set_colour (cr, &FLIGHT_COLOUR);
          cairo_set_line_width (cr, 1.5);
          cairo_set_dash (cr, NULL, 0, 0);
          break;
        case BQ_LANE_HANDOVER:
          set_colour (cr, &HANDOVER_COLOUR);
          cairo_set_line_width (cr, 2.0);
          cairo_set_dash (cr, dots, G_N_ELEMENTS (dots), 0);
          break;
        case BQ_LANE_GROUND:
        default:
          set_colour (cr, &ROAD_COLOUR);
          cairo_set_line_width (cr, 1.5);
          cairo_set_dash (cr, NULL, 0, 0);
          break;
        }
      cairo_stroke (cr);
    }
  cairo_set_dash (cr, NULL, 0, 0);

  /* The routes being looked at. */
  for (guint r = 0; self->routes != NULL && r < self->routes->len; r++)
    {
      const BqRoute *route = g_ptr_array_index (self->routes, r);

      for (guint i = 0; i < route->legs->len; i++)
        {
          const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);

          if (lane_path (self, layer, cr, leg->origin_id, leg->destination_id, leg->mode, 0.0))
            stroke_cased (cr, &ROUTE_COLOUR, 3.5);
        }
    }

  /* What is on its way now: the rest of each current leg. */
  for (guint i = 0; i < bq_network_data_get_n_transits (self->data); i++)
    {
      const BqNetworkTransit *transit = bq_network_data_get_transit (self->data, i);

      if (lane_path (self, layer, cr, transit->lane->origin_id, transit->lane->destination_id,
                     transit->lane->mode, 0.0))
        stroke_cased (cr, transit->late ? &LATE_COLOUR : &TRANSIT_COLOUR,
                      transit->late ? 4.0 : 3.0);
    }
  draw_labels (self, layer, cr);
}

/* Parallels and meridians: with no tiles they are what tells north from
 * south, and where the places are relative to each other. */
static void
draw_graticule (BqRouteMap *self,
                GtkWidget  *layer,
                cairo_t    *cr)
{
  GtkStyleContext *style = gtk_widget_get_style_context (layer);
  double zoom = shumate_viewport_get_zoom_level (self->viewport);
  double step = zoom < 3 ? 30.0 : zoom < 5 ? 10.0 : zoom < 7 ? 5.0 : 1.0;
  int width = gtk_widget_get_width (layer);
  int height = gtk_widget_get_height (layer);
  GdkRGBA fg;

  G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (style, &fg);
  G_GNUC_END_IGNORE_DEPRECATIONS

  cairo_set_line_width (cr, 1.0);
  for (double lat = -80.0; lat <= 80.0; lat += step)
    {
      double x0, y0, x1, y1;

      shumate_viewport_location_to_widget_coords (self->viewport, layer, lat, -180.0, &x0, &y0);
      shumate_viewport_location_to_widget_coords (self->viewport, layer, lat, 180.0, &x1, &y1);
      if (y0 < 0 || y0 > height)
        continue;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, lat == 0.0 ? 0.22 : 0.1);
      cairo_move_to (cr, MAX (x0, 0), round (y0) + 0.5);
      cairo_line_to (cr, MIN (x1, width), round (y1) + 0.5);
      cairo_stroke (cr);
    }
  for (double lon = -180.0; lon <= 180.0; lon += step)
    {
      double x0, y0, x1, y1;

      shumate_viewport_location_to_widget_coords (self->viewport, layer, 85.0, lon, &x0, &y0);
      shumate_viewport_location_to_widget_coords (self->viewport, layer, -85.0, lon, &x1, &y1);
      if (x0 < 0 || x0 > width)
        continue;
      cairo_set_source_rgba (cr, fg.red, fg.green, fg.blue, lon == 0.0 ? 0.22 : 0.1);
      cairo_move_to (cr, round (x0) + 0.5, MAX (y0, 0));
      cairo_line_to (cr, round (x1) + 0.5, MIN (y1, height));
      cairo_stroke (cr);
    }
}

static void
bq_map_layer_snapshot (GtkWidget   *widget,
                       GtkSnapshot *snapshot)
{
  BqMapLayer *self = BQ_MAP_LAYER (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->map == NULL || width <= 0 || height <= 0 ||
      shumate_viewport_get_reference_map_source (self->map->viewport) == NULL)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  if (self->kind == LAYER_GRATICULE)
    draw_graticule (self->map, widget, cr);
  else
    draw_lines (self->map, widget, cr);
  cairo_destroy (cr);
}

static void
bq_map_layer_class_init (BqMapLayerClass *klass)
{
  GTK_WIDGET_CLASS (klass)->snapshot = bq_map_layer_snapshot;
}

static void
bq_map_layer_init (BqMapLayer *self)
{
  /* Drags and clicks go through to the map and the markers. */
  gtk_widget_set_can_target (GTK_WIDGET (self), FALSE);
}

static BqMapLayer *
map_layer_new (BqRouteMap *map,
               LayerKind   kind)
{
  BqMapLayer *layer = g_object_new (BQ_TYPE_MAP_LAYER, "viewport", map->viewport, NULL);

  layer->kind = kind;
  layer->map = map;
  g_signal_connect_object (map->viewport, "notify", G_CALLBACK (gtk_widget_queue_draw), layer,
                           G_CONNECT_SWAPPED);
  return layer;
}

/* ------------------------------------------------------------- markers */

static const char *
place_icon (BqPlaceKind kind)
{
  switch (kind)
    {
    case BQ_PLACE_SITE:
      return "applications-science-symbolic";
    case BQ_PLACE_HUB:
      return "airplane-mode-symbolic";
    case BQ_PLACE_CENTRE:
    default:
      return "bq-centre-symbolic";
    }
}

static const char *
place_class (BqPlaceKind kind)
{
  switch (kind)
    {
    case BQ_PLACE_SITE:
      return "site";
    case BQ_PLACE_HUB:
      return "hub";
    case BQ_PLACE_CENTRE:
    default:
      return "centre";
    }
}

static char *
place_description (const BqNetworkPlace *place)
{
  const char *kind;

  switch (place->kind)
    {
    case BQ_PLACE_SITE:
      /* Translators: a marker's name: "Manufacturing site: Isotopia Petten, Petten". */
      kind = _("Manufacturing site");
      break;
    case BQ_PLACE_HUB:
      kind = _("Hub");
      break;
    case BQ_PLACE_CENTRE:
    default:
      kind = _("Treatment centre");
      break;
    }
  if (place->detail != NULL && *place->detail != '\0')
    return g_strdup_printf ("%s: %s, %s", kind, place->name, place->detail);
  return g_strdup_printf ("%s: %s", kind, place->name);
}

static void
on_place_button_clicked (BqRouteMap *self,
                         GtkButton  *button)
{
  const char *id = g_object_get_data (G_OBJECT (button), "bq-place-id");

  g_signal_emit (self, signals[SIGNAL_PLACE_ACTIVATED], 0, id);
}

static ShumateMarker *
marker_new (double      latitude,
            double      longitude,
            GtkWidget  *child)
{
  ShumateMarker *marker = shumate_marker_new ();

  shumate_location_set_location (SHUMATE_LOCATION (marker), latitude, longitude);
  shumate_marker_set_child (marker, child);
  shumate_marker_set_selectable (marker, FALSE);
  return marker;
}

static GtkWidget *
marker_button_new (const char *icon_name,
                   const char *label)
{
  GtkWidget *button = gtk_button_new_from_icon_name (icon_name);

  gtk_widget_add_css_class (button, "map-marker");
  gtk_widget_set_tooltip_text (button, label);
  gtk_accessible_update_property (GTK_ACCESSIBLE (button), GTK_ACCESSIBLE_PROPERTY_LABEL, label,
                                  -1);
  return button;
}

static void
add_place_markers (BqRouteMap *self)
{
  guint n = bq_network_data_get_n_places (self->data);

  /* Hubs at the bottom, then centres, sites on top: the few sites and
   * the centres being served matter more than the airports. */
  const BqPlaceKind order[] = { BQ_PLACE_HUB, BQ_PLACE_CENTRE, BQ_PLACE_SITE };

  for (guint j = 0; j < G_N_ELEMENTS (order) * n; j++)
    {
      const BqNetworkPlace *place = bq_network_data_get_place (self->data, j % n);
      g_autofree char *label = NULL;
      GtkWidget *button;

      if (place->kind != order[j / n])
        continue;
      label = place_description (place);
      button = marker_button_new (place_icon (place->kind), label);
      gtk_widget_add_css_class (button, place_class (place->kind));
      if (g_strcmp0 (place->id, self->selected_id) == 0)
        gtk_widget_add_css_class (button, "selected");
      g_object_set_data_full (G_OBJECT (button), "bq-place-id", g_strdup (place->id), g_free);
      g_object_set_data (G_OBJECT (button), "bq-place-kind", GINT_TO_POINTER (place->kind));
      g_signal_connect_object (button, "clicked", G_CALLBACK (on_place_button_clicked), self,
                               G_CONNECT_SWAPPED);
      g_hash_table_insert (self->place_buttons, (gpointer) g_object_get_data (G_OBJECT (button),
                                                                              "bq-place-id"),
                           button);
      shumate_marker_layer_add_marker (self->place_layer,
                                       marker_new (place->latitude, place->longitude, button));
    }
}

static void
add_transit_markers (BqRouteMap *self)
{
  self->n_transit_markers = 0;
  self->n_late_transits = 0;
  for (guint i = 0; i < bq_network_data_get_n_transits (self->data); i++)
    {
      const BqNetworkTransit *transit = bq_network_data_get_transit (self->data, i);
      const BqNetworkPlace *to = bq_network_data_lookup_place (self->data,
                                                               transit->shipment->centre_id);
      const BqNetworkPlace *next = bq_network_data_lookup_place (self->data,
                                                                 transit->lane->destination_id);
      g_autofree char *label = NULL;
      GtkWidget *button;

      if (transit->late)
        /* Translators: a shipment's marker: "Shipment to Charité, late: flight to Berlin". */
        label = g_strdup_printf (_("Shipment to %s, late: %s to %s"),
                                 to != NULL ? to->name : transit->shipment->centre_id,
                                 bq_network_format_mode (transit->lane->mode),
                                 next != NULL ? next->name : transit->lane->destination_id);
      else
        label = g_strdup_printf (_("Shipment to %s: %s to %s"),
                                 to != NULL ? to->name : transit->shipment->centre_id,
                                 bq_network_format_mode (transit->lane->mode),
                                 next != NULL ? next->name : transit->lane->destination_id);
      button = marker_button_new ("package-x-generic-symbolic", label);
      gtk_widget_add_css_class (button, "shipment");
      if (transit->late)
        {
          gtk_widget_add_css_class (button, "late");
          self->n_late_transits++;
        }
      shumate_marker_layer_add_marker (self->transit_layer,
                                       marker_new (transit->latitude, transit->longitude, button));
      self->n_transit_markers++;
    }
}

/* ----------------------------------------------------------------- view */

static gboolean
fit_cb (gpointer user_data)
{
  BqRouteMap *self = user_data;

  self->fit_id = 0;
  bq_route_map_zoom_to_fit (self);
  return G_SOURCE_REMOVE;
}

/* Zoomed out, markers shrink to dots so a region's centres stay apart. */
static void
on_zoom_changed (BqRouteMap *self)
{
  double zoom = shumate_viewport_get_zoom_level (self->viewport);

  if (zoom < 4.5)
    gtk_widget_add_css_class (GTK_WIDGET (self), "far");
  else
    gtk_widget_remove_css_class (GTK_WIDGET (self), "far");
}

static void
bq_route_map_size_allocate (GtkWidget *widget,
                            int        width,
                            int        height,
                            int        baseline)
{
  BqRouteMap *self = BQ_ROUTE_MAP (widget);

  gtk_widget_allocate (GTK_WIDGET (self->simple_map), width, height, baseline, NULL);
  /* The first fit needs a size; the view changes after allocation. */
  if (self->fit_pending && width > 0 && height > 0 && self->fit_id == 0)
    self->fit_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, fit_cb, self, NULL);
}

void
bq_route_map_zoom_to_fit (BqRouteMap *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  int height = gtk_widget_get_height (GTK_WIDGET (self));
  double min_x = G_MAXDOUBLE, min_y = G_MAXDOUBLE, max_x = -G_MAXDOUBLE, max_y = -G_MAXDOUBLE;
  double latitude, longitude, zoom, span;
  guint tile_size;

  g_return_if_fail (BQ_IS_ROUTE_MAP (self));

  if (self->data == NULL || bq_network_data_get_n_places (self->data) == 0)
    return;
  if (width <= 0 || height <= 0)
    {
      self->fit_pending = TRUE;
      return;
    }
  self->fit_pending = FALSE;
  self->fitted = TRUE;

  for (guint i = 0; i < bq_network_data_get_n_places (self->data); i++)
    {
      const BqNetworkPlace *place = bq_network_data_get_place (self->data, i);
      double x, y;

      to_mercator (place->latitude, place->longitude, &x, &y);
      min_x = MIN (min_x, x);
      max_x = MAX (max_x, x);
      min_y = MIN (min_y, y);
      max_y = MAX (max_y, y);
    }

  /* World pixels at zoom z are tile_size·2^z; leave room for the
   * markers, the sites' names beside them and the map's buttons. */
  tile_size = shumate_map_source_get_tile_size (self->map_source);
  span = MAX ((max_x - min_x) * tile_size / MAX (width - 320, 64),
              (max_y - min_y) * tile_size / MAX (height - 160, 64));
  zoom = span > 0 ? -log2 (span) : 8.0;
  zoom = CLAMP (zoom, shumate_viewport_get_min_zoom_level (self->viewport),
                MIN (10.0, shumate_viewport_get_max_zoom_level (self->viewport)));
  from_mercator ((min_x + max_x) / 2.0, (min_y + max_y) / 2.0, &latitude, &longitude);
  g_debug ("fit: %d×%d px, zoom %.2f at %.2f, %.2f", width, height, zoom, latitude, longitude);
  shumate_viewport_set_zoom_level (self->viewport, zoom);
  shumate_map_center_on (self->map, latitude, longitude);
}

void
bq_route_map_zoom_in (BqRouteMap *self)
{
  g_return_if_fail (BQ_IS_ROUTE_MAP (self));
  shumate_map_zoom_in (self->map);
}

void
bq_route_map_zoom_out (BqRouteMap *self)
{
  g_return_if_fail (BQ_IS_ROUTE_MAP (self));
  shumate_map_zoom_out (self->map);
}

/* ------------------------------------------------------------------ api */

void
bq_route_map_set_tile_url (BqRouteMap *self,
                           const char *url_template)
{
  g_autoptr(BqTileSource) source = NULL;
  ShumateRasterRenderer *renderer;
  gboolean osm;

  g_return_if_fail (BQ_IS_ROUTE_MAP (self));

  if (url_template != NULL && (*url_template == '\0' || g_str_equal (url_template, "none")))
    url_template = NULL;
  if (self->tile_source != NULL &&
      g_strcmp0 (bq_tile_source_get_url_template (self->tile_source), url_template) == 0)
    return;

  source = bq_tile_source_new (url_template, NULL);
  osm = url_template != NULL && strstr (url_template, "openstreetmap.org") != NULL;
  /* Without tiles the renderer is still the viewport's reference: it
   * says how degrees become pixels. */
  renderer = shumate_raster_renderer_new_full ("becquerel-tiles",
                                               url_template != NULL ? _("Map tiles") : _("No map tiles"),
                                               osm ? "© OpenStreetMap contributors" : NULL,
                                               osm ? "https://www.openstreetmap.org/copyright" : NULL,
                                               0, 19, 256, SHUMATE_MAP_PROJECTION_MERCATOR,
                                               SHUMATE_DATA_SOURCE (source));
  g_set_object (&self->tile_source, source);
  g_clear_object (&self->map_source);
  self->map_source = SHUMATE_MAP_SOURCE (renderer);
  shumate_simple_map_set_map_source (self->simple_map, self->map_source);
  gtk_widget_set_visible (GTK_WIDGET (shumate_simple_map_get_license (self->simple_map)), osm);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_TILE_URL]);
}

BqTileSource *
bq_route_map_get_tile_source (BqRouteMap *self)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), NULL);
  return self->tile_source;
}

ShumateViewport *
bq_route_map_get_viewport (BqRouteMap *self)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), NULL);
  return self->viewport;
}

void
bq_route_map_set_data (BqRouteMap    *self,
                       BqNetworkData *data)
{
  g_return_if_fail (BQ_IS_ROUTE_MAP (self));

  if (self->data == data)
    return;

  shumate_marker_layer_remove_all (self->place_layer);
  shumate_marker_layer_remove_all (self->transit_layer);
  g_hash_table_remove_all (self->place_buttons);
  self->n_transit_markers = 0;
  self->n_late_transits = 0;
  g_clear_pointer (&self->data, bq_network_data_unref);

  if (data != NULL)
    {
      self->data = bq_network_data_ref (data);
      add_place_markers (self);
      add_transit_markers (self);
      /* The first data with places (a new cache is empty until the
       * first sync) sets the view; later ones leave the user's. */
      if (!self->fitted && bq_network_data_get_n_places (data) > 0)
        bq_route_map_zoom_to_fit (self);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->lines));
}

void
bq_route_map_select_place (BqRouteMap *self,
                           const char *id,
                           gboolean    center)
{
  GtkWidget *button;

  g_return_if_fail (BQ_IS_ROUTE_MAP (self));

  if (self->selected_id != NULL &&
      (button = g_hash_table_lookup (self->place_buttons, self->selected_id)) != NULL)
    gtk_widget_remove_css_class (button, "selected");
  g_free (self->selected_id);
  self->selected_id = g_strdup (id);
  if (id == NULL)
    return;
  if ((button = g_hash_table_lookup (self->place_buttons, id)) != NULL)
    gtk_widget_add_css_class (button, "selected");
  if (center && self->data != NULL)
    {
      const BqNetworkPlace *place = bq_network_data_lookup_place (self->data, id);

      if (place != NULL)
        shumate_map_go_to (self->map, place->latitude, place->longitude);
    }
}

void
bq_route_map_set_routes (BqRouteMap *self,
                         GPtrArray  *routes)
{
  g_return_if_fail (BQ_IS_ROUTE_MAP (self));

  g_clear_pointer (&self->routes, g_ptr_array_unref);
  if (routes != NULL && routes->len > 0)
    {
      self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_route_unref);
      for (guint i = 0; i < routes->len; i++)
        g_ptr_array_add (self->routes, bq_route_ref (g_ptr_array_index (routes, i)));
    }
  gtk_widget_queue_draw (GTK_WIDGET (self->lines));
}

guint
bq_route_map_get_n_place_markers (BqRouteMap  *self,
                                  BqPlaceKind  kind)
{
  GHashTableIter iter;
  gpointer button;
  guint n = 0;

  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), 0);

  g_hash_table_iter_init (&iter, self->place_buttons);
  while (g_hash_table_iter_next (&iter, NULL, &button))
    if (GPOINTER_TO_INT (g_object_get_data (button, "bq-place-kind")) == (int) kind &&
        gtk_widget_get_parent (button) != NULL)
      n++;
  return n;
}

guint
bq_route_map_get_n_transit_markers (BqRouteMap *self)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), 0);
  return self->n_transit_markers;
}

guint
bq_route_map_get_n_late_transits (BqRouteMap *self)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), 0);
  return self->n_late_transits;
}

GtkWidget *
bq_route_map_get_place_button (BqRouteMap *self,
                               const char *id)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), NULL);
  return g_hash_table_lookup (self->place_buttons, id);
}

guint
bq_route_map_get_n_lines_drawn (BqRouteMap *self)
{
  g_return_val_if_fail (BQ_IS_ROUTE_MAP (self), 0);
  return self->n_lines_drawn;
}

/* --------------------------------------------------------------- object */

static void
bq_route_map_measure (GtkWidget      *widget,
                      GtkOrientation  orientation,
                      int             for_size,
                      int            *minimum,
                      int            *natural,
                      int            *minimum_baseline,
                      int            *natural_baseline)
{
  BqRouteMap *self = BQ_ROUTE_MAP (widget);

  gtk_widget_measure (GTK_WIDGET (self->simple_map), orientation, for_size, minimum, natural,
                      minimum_baseline, natural_baseline);
}

static void
bq_route_map_dispose (GObject *object)
{
  BqRouteMap *self = BQ_ROUTE_MAP (object);

  g_clear_handle_id (&self->fit_id, g_source_remove);
  if (self->graticule != NULL)
    self->graticule->map = NULL;
  if (self->lines != NULL)
    self->lines->map = NULL;
  g_clear_pointer ((GtkWidget **) &self->simple_map, gtk_widget_unparent);
  g_clear_pointer (&self->data, bq_network_data_unref);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->place_buttons, g_hash_table_unref);
  g_clear_object (&self->map_source);
  g_clear_object (&self->tile_source);

  G_OBJECT_CLASS (bq_route_map_parent_class)->dispose (object);
}

static void
bq_route_map_finalize (GObject *object)
{
  BqRouteMap *self = BQ_ROUTE_MAP (object);

  g_free (self->selected_id);

  G_OBJECT_CLASS (bq_route_map_parent_class)->finalize (object);
}

static void
bq_route_map_get_property (GObject    *object,
                           guint       prop_id,
                           GValue     *value,
                           GParamSpec *pspec)
{
  BqRouteMap *self = BQ_ROUTE_MAP (object);

  switch (prop_id)
    {
    case PROP_TILE_URL:
      g_value_set_string (value, self->tile_source != NULL
                                 ? bq_tile_source_get_url_template (self->tile_source) : NULL);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_route_map_set_property (GObject      *object,
                           guint         prop_id,
                           const GValue *value,
                           GParamSpec   *pspec)
{
  switch (prop_id)
    {
    case PROP_TILE_URL:
      bq_route_map_set_tile_url (BQ_ROUTE_MAP (object), g_value_get_string (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_route_map_class_init (BqRouteMapClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_route_map_dispose;
  object_class->finalize = bq_route_map_finalize;
  object_class->get_property = bq_route_map_get_property;
  object_class->set_property = bq_route_map_set_property;

  /* The tile URL template, NULL when the map has no tiles. */
  properties[PROP_TILE_URL] =
    g_param_spec_string ("tile-url", NULL, NULL, NULL,
                         G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
  widget_class->measure = bq_route_map_measure;
  widget_class->size_allocate = bq_route_map_size_allocate;

  signals[SIGNAL_PLACE_ACTIVATED] =
    g_signal_new ("place-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
                  NULL, G_TYPE_NONE, 1, G_TYPE_STRING);

  gtk_widget_class_set_css_name (widget_class, "routemap");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_GROUP);
}

static void
bq_route_map_init (BqRouteMap *self)
{
  GtkWidget *first;

  self->place_buttons = g_hash_table_new (g_str_hash, g_str_equal);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  self->simple_map = shumate_simple_map_new ();
  gtk_widget_set_parent (GTK_WIDGET (self->simple_map), GTK_WIDGET (self));
  self->map = shumate_simple_map_get_map (self->simple_map);
  self->viewport = shumate_simple_map_get_viewport (self->simple_map);
  shumate_map_set_zoom_on_double_click (self->map, TRUE);
  gtk_widget_set_visible (GTK_WIDGET (shumate_simple_map_get_compass (self->simple_map)), FALSE);

  bq_route_map_set_tile_url (self, bq_tile_source_default_url ());

  /* Under the tiles: the graticule. */
  self->graticule = map_layer_new (self, LAYER_GRATICULE);
  first = gtk_widget_get_first_child (GTK_WIDGET (self->map));
  if (first != NULL && SHUMATE_IS_LAYER (first))
    shumate_map_insert_layer_behind (self->map, SHUMATE_LAYER (self->graticule),
                                     SHUMATE_LAYER (first));
  else
    shumate_map_add_layer (self->map, SHUMATE_LAYER (self->graticule));

  self->lines = map_layer_new (self, LAYER_LINES);
  shumate_simple_map_add_overlay_layer (self->simple_map, SHUMATE_LAYER (self->lines));

  g_signal_connect_object (self->viewport, "notify::zoom-level", G_CALLBACK (on_zoom_changed), self,
                           G_CONNECT_SWAPPED);
  on_zoom_changed (self);

  self->place_layer = shumate_marker_layer_new_full (self->viewport, GTK_SELECTION_NONE);
  shumate_simple_map_add_overlay_layer (self->simple_map, SHUMATE_LAYER (self->place_layer));
  self->transit_layer = shumate_marker_layer_new_full (self->viewport, GTK_SELECTION_NONE);
  shumate_simple_map_add_overlay_layer (self->simple_map, SHUMATE_LAYER (self->transit_layer));
}

GtkWidget *
bq_route_map_new (void)
{
  return g_object_new (BQ_TYPE_ROUTE_MAP, NULL);
}
