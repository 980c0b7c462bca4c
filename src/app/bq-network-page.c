/* bq-network-page.c — the distribution network: the route map and its lists
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "bq-network-page.h"

/* A burst of changes (a sync pulls many) reloads once. */
#define RELOAD_DELAY_MS 250
/* Shipments move: their positions are worked out again this often. */
#define REFRESH_S 60
#define DAY (24 * 3600)

/* ------------------------------------------------------------------ rows */

struct _BqNetworkRow
{
  GObject               parent_instance;
  BqNetworkData        *data;
  const BqNetworkPlace *place;
  const BqLane         *lane;
  char                 *title;
  char                 *subtitle;
  char                 *tags;      /* "Class 7", "No Class 7" or NULL */
  char                 *search;    /* casefolded */
};

G_DEFINE_FINAL_TYPE (BqNetworkRow, bq_network_row, G_TYPE_OBJECT)

static void
bq_network_row_finalize (GObject *object)
{
  BqNetworkRow *self = BQ_NETWORK_ROW (object);

  g_clear_pointer (&self->data, bq_network_data_unref);
  g_free (self->title);
  g_free (self->subtitle);
  g_free (self->tags);
  g_free (self->search);

  G_OBJECT_CLASS (bq_network_row_parent_class)->finalize (object);
}

static void
bq_network_row_class_init (BqNetworkRowClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bq_network_row_finalize;
}

static void
bq_network_row_init (BqNetworkRow *self)
{
}

const char *
bq_network_row_get_title (BqNetworkRow *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_ROW (self), NULL);
  return self->title;
}

const char *
bq_network_row_get_subtitle (BqNetworkRow *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_ROW (self), NULL);
  return self->subtitle;
}

const BqNetworkPlace *
bq_network_row_get_place (BqNetworkRow *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_ROW (self), NULL);
  return self->place;
}

const BqLane *
bq_network_row_get_lane (BqNetworkRow *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_ROW (self), NULL);
  return self->lane;
}

static const char *
place_kind_name (BqPlaceKind kind)
{
  switch (kind)
    {
    case BQ_PLACE_SITE:
      return _("Manufacturing site");
    case BQ_PLACE_HUB:
      return _("Hub");
    case BQ_PLACE_CENTRE:
    default:
      return _("Treatment centre");
    }
}

static BqNetworkRow *
place_row_new (BqNetworkData        *data,
               const BqNetworkPlace *place)
{
  BqNetworkRow *self = g_object_new (BQ_TYPE_NETWORK_ROW, NULL);
  g_autofree char *search = NULL;

  self->data = bq_network_data_ref (data);
  self->place = place;
  self->title = g_strdup (place->name);
  if (place->detail != NULL && *place->detail != '\0')
    self->subtitle = g_strdup_printf ("%s · %s", place_kind_name (place->kind), place->detail);
  else
    self->subtitle = g_strdup (place_kind_name (place->kind));
  search = g_strjoin (" ", place->name, self->subtitle, place->id,
                      place->timezone != NULL ? place->timezone : "", NULL);
  self->search = g_utf8_casefold (search, -1);
  return self;
}

/* Hubs by their code (AMS), the rest by name. */
static const char *
short_place_name (BqNetworkData *data,
                  const char    *id)
{
  const BqNetworkPlace *place = bq_network_data_lookup_place (data, id);

  if (place == NULL)
    return id;
  if (place->kind == BQ_PLACE_HUB && place->detail != NULL && *place->detail != '\0')
    return place->detail;
  return place->name;
}

static BqNetworkRow *
lane_row_new (BqNetworkData *data,
              const BqLane  *lane)
{
  BqNetworkRow *self = g_object_new (BQ_TYPE_NETWORK_ROW, NULL);
  const BqNetworkPlace *origin = bq_network_data_lookup_place (data, lane->origin_id);
  const BqNetworkPlace *destination = bq_network_data_lookup_place (data, lane->destination_id);
  g_autofree char *weekdays = bq_network_format_weekdays (lane->weekdays);
  g_autofree char *duration = bq_units_format_duration ((double) lane->duration_s);
  g_autofree char *service = NULL;
  g_autofree char *when = NULL;
  g_autofree char *search = NULL;

  self->data = bq_network_data_ref (data);
  self->lane = lane;
  self->title = g_strdup_printf ("%s → %s", short_place_name (data, lane->origin_id),
                                 short_place_name (data, lane->destination_id));
  if (lane->service != NULL && *lane->service != '\0')
    service = g_strdup_printf ("%s · %s %s", bq_network_format_mode (lane->mode),
                               lane->carrier != NULL ? lane->carrier : "", lane->service);
  else
    service = g_strdup_printf ("%s · %s", bq_network_format_mode (lane->mode),
                               lane->carrier != NULL ? lane->carrier : "");
  if (lane->weekdays == 0)
    /* Translators: an on-demand courier: "On demand · 2 h 15 min". */
    when = g_strdup_printf (_("%s · %s"), weekdays, duration);
  else
    {
      g_autofree char *departure =
        bq_network_format_local_minutes (lane->departure_local,
                                         origin != NULL ? origin->timezone : NULL,
                                         bq_network_data_get_now (data));

      /* Translators: a timetable: "Mon Wed Fri · 09:40 CET · 1 h 25 min". */
      when = g_strdup_printf (_("%s · %s · %s"), weekdays, departure, duration);
    }
  self->subtitle = g_strdup_printf ("%s\n%s", service, when);
  self->tags = g_strdup (lane->class7_accepted ? _("Class 7") : _("No Class 7"));
  search = g_strjoin (" ", self->title, self->subtitle, self->tags,
                      origin != NULL ? origin->name : "", destination != NULL ? destination->name : "",
                      lane->base.id, NULL);
  self->search = g_utf8_casefold (search, -1);
  return self;
}

static gboolean
row_matches (BqNetworkRow       *row,
             const char * const *words)
{
  if (words == NULL)
    return TRUE;
  for (guint i = 0; words[i] != NULL; i++)
    if (strstr (row->search, words[i]) == NULL)
      return FALSE;
  return TRUE;
}

/* ------------------------------------------------------------------ page */

struct _BqNetworkPage
{
  GtkWidget           parent_instance;

  /* template */
  AdwFlap            *flap;
  BqRouteMap         *map;
  GtkLabel           *tiles_label;
  GtkStack           *side_stack;
  GtkSearchEntry     *search_entry;
  GtkStack           *list_stack;
  GtkListView        *place_view;
  GtkListView        *lane_view;
  AdwStatusPage      *nothing_page;
  GtkLabel           *count_label;
  GtkLabel           *routes_title;
  GtkLabel           *routes_subtitle;
  GtkBox             *routes_box;
  GtkDropDown        *product_dropdown;

  BqClient           *client;
  BqNetworkData      *data;
  GCancellable       *cancellable;
  gboolean            loading;
  gboolean            reload_pending;
  guint               reload_id;
  guint               refresh_id;
  gint64              now;            /* 0: the clock */

  GListStore         *places;
  GListStore         *lanes;
  GtkCustomFilter    *filter;
  GtkFilterListModel *place_rows;
  GtkFilterListModel *lane_rows;
  char              **search_words;
  char               *last_list;      /* the list shown before a search found nothing */

  char               *centre_id;
  GPtrArray          *routes;         /* BqRoute */
  GPtrArray          *best_routes;    /* the first of each site's */
  BqActivityUnit      unit;
  gboolean            filling_products;
};

G_DEFINE_FINAL_TYPE (BqNetworkPage, bq_network_page, GTK_TYPE_WIDGET)

static void fill_routes (BqNetworkPage *self);

static gint64
page_now (BqNetworkPage *self)
{
  return self->now != 0 ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

/* ----------------------------------------------------------------- lists */

static void
update_lists_state (BqNetworkPage *self)
{
  guint n_places = g_list_model_get_n_items (G_LIST_MODEL (self->place_rows));
  guint n_lanes = g_list_model_get_n_items (G_LIST_MODEL (self->lane_rows));
  guint all_places = g_list_model_get_n_items (G_LIST_MODEL (self->places));
  guint all_lanes = g_list_model_get_n_items (G_LIST_MODEL (self->lanes));
  const char *visible = gtk_stack_get_visible_child_name (self->list_stack);
  gboolean showing_lanes;
  g_autofree char *text = NULL;

  if (g_strcmp0 (visible, "nothing") != 0)
    {
      g_free (self->last_list);
      self->last_list = g_strdup (visible);
    }
  showing_lanes = g_strcmp0 (self->last_list, "lanes") == 0;

  /* A search that empties the list shown says so; one that finds only
   * the other kind switches to it. */
  if ((showing_lanes ? n_lanes : n_places) > 0)
    gtk_stack_set_visible_child_name (self->list_stack, showing_lanes ? "lanes" : "places");
  else if ((showing_lanes ? n_places : n_lanes) > 0 && self->search_words != NULL)
    gtk_stack_set_visible_child_name (self->list_stack, showing_lanes ? "places" : "lanes");
  else if (self->search_words != NULL)
    gtk_stack_set_visible_child_name (self->list_stack, "nothing");
  else
    gtk_stack_set_visible_child_name (self->list_stack, showing_lanes ? "lanes" : "places");

  if (self->data == NULL)
    text = g_strdup ("");
  else if (self->search_words == NULL)
    /* Translators: under the lists: "64 places · 212 lanes". */
    text = g_strdup_printf (_("%u places · %u lanes"), all_places, all_lanes);
  else
    text = g_strdup_printf (_("%u of %u places · %u of %u lanes"), n_places, all_places, n_lanes,
                            all_lanes);
  gtk_label_set_label (self->count_label, text);
}

static void
on_list_stack_changed (BqNetworkPage *self)
{
  const char *visible = gtk_stack_get_visible_child_name (self->list_stack);

  if (g_strcmp0 (visible, "nothing") != 0 && g_strcmp0 (visible, self->last_list) != 0)
    {
      g_free (self->last_list);
      self->last_list = g_strdup (visible);
    }
}

static void
fill_lists (BqNetworkPage *self)
{
  g_autoptr(GPtrArray) places = g_ptr_array_new_with_free_func (g_object_unref);
  g_autoptr(GPtrArray) lanes = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->data != NULL)
    {
      GPtrArray *lane_list = bq_network_data_get_lanes (self->data);

      for (guint i = 0; i < bq_network_data_get_n_places (self->data); i++)
        g_ptr_array_add (places, place_row_new (self->data,
                                                bq_network_data_get_place (self->data, i)));
      for (guint i = 0; i < lane_list->len; i++)
        g_ptr_array_add (lanes, lane_row_new (self->data, g_ptr_array_index (lane_list, i)));
    }
  g_list_store_splice (self->places, 0, g_list_model_get_n_items (G_LIST_MODEL (self->places)),
                       places->pdata, places->len);
  g_list_store_splice (self->lanes, 0, g_list_model_get_n_items (G_LIST_MODEL (self->lanes)),
                       lanes->pdata, lanes->len);
  update_lists_state (self);
}

static gboolean
filter_row (gpointer item,
            gpointer user_data)
{
  BqNetworkPage *self = user_data;

  return row_matches (item, (const char * const *) self->search_words);
}

static void
on_search_changed (BqNetworkPage  *self,
                   GtkSearchEntry *entry)
{
  g_autofree char *text = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (entry)), -1);

  g_strstrip (text);
  g_clear_pointer (&self->search_words, g_strfreev);
  if (*text != '\0')
    {
      g_auto(GStrv) words = g_strsplit_set (text, " \t\n", -1);
      g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

      for (guint i = 0; words[i] != NULL; i++)
        if (*words[i] != '\0')
          g_strv_builder_add (builder, words[i]);
      self->search_words = g_strv_builder_end (builder);
    }
  gtk_filter_changed (GTK_FILTER (self->filter), GTK_FILTER_CHANGE_DIFFERENT);
  update_lists_state (self);
}

static void
on_search_stopped (BqNetworkPage  *self,
                   GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

static void
on_row_setup (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              BqNetworkPage            *self)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 10);
  GtkWidget *text = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  GtkWidget *icon = gtk_image_new ();
  GtkWidget *title = gtk_label_new (NULL);
  GtkWidget *subtitle = gtk_label_new (NULL);
  GtkWidget *tag = gtk_label_new (NULL);

  gtk_widget_add_css_class (box, "network-row");
  gtk_widget_set_valign (icon, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (icon, "row-icon");
  gtk_label_set_xalign (GTK_LABEL (title), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (title), PANGO_ELLIPSIZE_END);
  gtk_label_set_xalign (GTK_LABEL (subtitle), 0.0f);
  gtk_label_set_ellipsize (GTK_LABEL (subtitle), PANGO_ELLIPSIZE_END);
  gtk_widget_add_css_class (subtitle, "dim-label");
  gtk_widget_add_css_class (subtitle, "caption");
  gtk_widget_set_hexpand (text, TRUE);
  gtk_widget_set_valign (tag, GTK_ALIGN_CENTER);
  gtk_widget_add_css_class (tag, "class7-tag");
  gtk_box_append (GTK_BOX (text), title);
  gtk_box_append (GTK_BOX (text), subtitle);
  gtk_box_append (GTK_BOX (box), icon);
  gtk_box_append (GTK_BOX (box), text);
  gtk_box_append (GTK_BOX (box), tag);
  gtk_list_item_set_child (list_item, box);
}

static const char *
row_icon (BqNetworkRow *row)
{
  if (row->place != NULL)
    switch (row->place->kind)
      {
      case BQ_PLACE_SITE:
        return "applications-science-symbolic";
      case BQ_PLACE_HUB:
        return "airplane-mode-symbolic";
      case BQ_PLACE_CENTRE:
      default:
        return "bq-centre-symbolic";
      }
  switch (row->lane->mode)
    {
    case BQ_LANE_FLIGHT:
    case BQ_LANE_CHARTER:
      return "airplane-mode-symbolic";
    case BQ_LANE_HANDOVER:
      return "send-to-symbolic";
    case BQ_LANE_GROUND:
    default:
      return "bq-road-symbolic";
    }
}

static void
on_row_bind (GtkSignalListItemFactory *factory,
             GtkListItem              *list_item,
             BqNetworkPage            *self)
{
  BqNetworkRow *row = gtk_list_item_get_item (list_item);
  GtkWidget *box = gtk_list_item_get_child (list_item);
  GtkWidget *icon = gtk_widget_get_first_child (box);
  GtkWidget *text = gtk_widget_get_next_sibling (icon);
  GtkWidget *tag = gtk_widget_get_next_sibling (text);
  GtkWidget *title = gtk_widget_get_first_child (text);
  GtkWidget *subtitle = gtk_widget_get_next_sibling (title);
  const char *kind_class = NULL;

  gtk_image_set_from_icon_name (GTK_IMAGE (icon), row_icon (row));
  gtk_label_set_label (GTK_LABEL (title), row->title);
  gtk_label_set_label (GTK_LABEL (subtitle), row->subtitle);
  gtk_label_set_lines (GTK_LABEL (subtitle), row->lane != NULL ? 2 : 1);
  gtk_label_set_label (GTK_LABEL (tag), row->tags);
  gtk_widget_set_visible (tag, row->tags != NULL);
  gtk_widget_remove_css_class (tag, "refused");
  if (row->lane != NULL && !row->lane->class7_accepted)
    gtk_widget_add_css_class (tag, "refused");

  gtk_widget_remove_css_class (icon, "site");
  gtk_widget_remove_css_class (icon, "hub");
  gtk_widget_remove_css_class (icon, "centre");
  if (row->place != NULL)
    kind_class = row->place->kind == BQ_PLACE_SITE ? "site"
                 : row->place->kind == BQ_PLACE_HUB ? "hub" : "centre";
  if (kind_class != NULL)
    gtk_widget_add_css_class (icon, kind_class);

  {
    g_autofree char *label = g_strdup_printf ("%s, %s", row->title, row->subtitle);

    gtk_accessible_update_property (GTK_ACCESSIBLE (box), GTK_ACCESSIBLE_PROPERTY_LABEL, label, -1);
  }
}

static GtkListItemFactory *
row_factory_new (BqNetworkPage *self)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_signal_connect (factory, "setup", G_CALLBACK (on_row_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_row_bind), self);
  return factory;
}

static void
on_place_view_activate (BqNetworkPage *self,
                        guint          position,
                        GtkListView   *view)
{
  g_autoptr(BqNetworkRow) row = g_list_model_get_item (G_LIST_MODEL (self->place_rows), position);

  if (row == NULL)
    return;
  if (row->place->kind == BQ_PLACE_CENTRE)
    bq_network_page_show_centre (self, row->place->id);
  bq_route_map_select_place (self->map, row->place->id, TRUE);
}

/* ---------------------------------------------------------------- routes */

static char *
format_local (gint64      utc,
              const char *zone)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (zone != NULL ? zone : "UTC");
  g_autoptr(GDateTime) at = g_date_time_new_from_unix_utc (utc);
  g_autoptr(GDateTime) local = NULL;

  if (at == NULL)
    return g_strdup ("?");
  if (tz == NULL)
    tz = g_time_zone_new_utc ();
  local = g_date_time_to_timezone (at, tz);
  /* Translators: a local time with its zone, strftime format: "Tue 24 Nov, 09:40 CET". */
  return g_date_time_format (local, _("%a %-d %b, %H:%M %Z"));
}

static const char *
place_zone (BqNetworkData *data,
            const char    *id)
{
  const BqNetworkPlace *place = bq_network_data_lookup_place (data, id);

  return place != NULL ? place->timezone : NULL;
}

static char *
route_summary (BqNetworkPage *self,
               const BqRoute *route)
{
  g_autofree char *arrival = format_local (route->arrival, place_zone (self->data, route->to_id));
  g_autofree char *duration = bq_units_format_duration ((double) route->door_to_door_s);
  GString *text = g_string_new (NULL);

  /* Translators: "Arrives Tue 24 Nov, 15:10 CET". */
  g_string_append_printf (text, _("Arrives %s"), arrival);
  g_string_append_c (text, '\n');
  /* Translators: "3 legs · 5 h 30 min door to door". */
  g_string_append_printf (text, ngettext ("%u leg · %s door to door", "%u legs · %s door to door",
                                          route->legs->len),
                          route->legs->len, duration);
  if (isfinite (route->activity_arrival_bq))
    {
      g_autofree char *activity = bq_units_format_activity (route->activity_arrival_bq, self->unit);

      g_string_append_c (text, '\n');
      if (isfinite (route->activity_departure_bq) && route->activity_departure_bq > 0)
        /* Translators: "7.13 GBq at arrival (96.4 % of the dose)". */
        g_string_append_printf (text, _("%s at arrival (%.1f %% of the dose)"), activity,
                                100.0 * route->activity_arrival_bq / route->activity_departure_bq);
      else
        g_string_append_printf (text, _("%s at arrival"), activity);
    }
  if (!bq_route_is_feasible (route) && route->message != NULL)
    {
      g_string_append_c (text, '\n');
      g_string_append (text, route->message);
    }
  return g_string_free (text, FALSE);
}

static void
on_route_expanded (BqNetworkPage  *self,
                   GParamSpec     *pspec,
                   AdwExpanderRow *row)
{
  BqRoute *route = g_object_get_data (G_OBJECT (row), "bq-route");

  /* The open route alone on the map; closed, the best ones again. */
  if (adw_expander_row_get_expanded (row))
    {
      g_autoptr(GPtrArray) shown = g_ptr_array_new ();

      g_ptr_array_add (shown, route);
      bq_route_map_set_routes (self->map, shown);
    }
  else
    {
      bq_route_map_set_routes (self->map, self->best_routes);
    }
}

static GtkWidget *
route_row_new (BqNetworkPage *self,
               BqRoute       *route)
{
  GtkWidget *row = adw_expander_row_new ();
  g_autofree char *departure = format_local (route->departure,
                                             place_zone (self->data, route->from_id));
  g_autofree char *title = g_strdup_printf (_("Departs %s"), departure);
  g_autofree char *summary = route_summary (self, route);
  g_autofree char *title_markup = g_markup_escape_text (title, -1);
  g_autofree char *summary_markup = g_markup_escape_text (summary, -1);

  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title_markup);
  adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), summary_markup);
  gtk_widget_add_css_class (row, "route-row");
  if (!bq_route_is_feasible (route))
    gtk_widget_add_css_class (row, "infeasible");
  g_object_set_data_full (G_OBJECT (row), "bq-route", bq_route_ref (route),
                          (GDestroyNotify) bq_route_unref);

  for (guint i = 0; i < route->legs->len; i++)
    {
      const BqRouteLeg *leg = g_ptr_array_index (route->legs, i);
      GtkWidget *leg_row = adw_action_row_new ();
      g_autofree char *leg_title = NULL;
      g_autofree char *leg_times = NULL;
      g_autofree char *escaped = NULL;

      if (leg->service != NULL)
        leg_title = g_strdup_printf ("%s %s · %s → %s", bq_network_format_mode (leg->mode),
                                     leg->service, short_place_name (self->data, leg->origin_id),
                                     short_place_name (self->data, leg->destination_id));
      else
        leg_title = g_strdup_printf ("%s · %s → %s", bq_network_format_mode (leg->mode),
                                     short_place_name (self->data, leg->origin_id),
                                     short_place_name (self->data, leg->destination_id));
      leg_times = g_strdup_printf ("%s → %s%s%s", leg->departure_local, leg->arrival_local,
                                   leg->carrier != NULL ? " · " : "",
                                   leg->carrier != NULL ? leg->carrier : "");
      escaped = g_markup_escape_text (leg_title, -1);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (leg_row), escaped);
      g_free (escaped);
      escaped = g_markup_escape_text (leg_times, -1);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (leg_row), escaped);
      adw_expander_row_add_row (ADW_EXPANDER_ROW (row), leg_row);
    }
  g_signal_connect_object (row, "notify::expanded", G_CALLBACK (on_route_expanded), self,
                           G_CONNECT_SWAPPED);
  return row;
}

typedef struct {
  const BqNetworkPlace *site;
  GPtrArray            *routes;
  gint64                best_arrival;
} SiteRoutes;

static void
site_routes_clear (SiteRoutes *routes)
{
  g_clear_pointer (&routes->routes, g_ptr_array_unref);
}

static int
compare_site_routes (gconstpointer a,
                     gconstpointer b)
{
  const SiteRoutes *ra = a;
  const SiteRoutes *rb = b;

  if (ra->best_arrival != rb->best_arrival)
    return ra->best_arrival < rb->best_arrival ? -1 : 1;
  return g_utf8_collate (ra->site->name, rb->site->name);
}

static void
clear_routes_box (BqNetworkPage *self)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->routes_box))) != NULL)
    gtk_box_remove (self->routes_box, child);
}

static GtkWidget *
heading_new (const char *text)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_widget_add_css_class (label, "heading");
  gtk_widget_set_margin_top (label, 12);
  return label;
}

static const BqProduct *
selected_product (BqNetworkPage *self)
{
  GPtrArray *products = bq_network_data_get_products (self->data);
  guint selected = gtk_drop_down_get_selected (self->product_dropdown);

  if (selected < products->len)
    return g_ptr_array_index (products, selected);
  return bq_network_data_get_main_product (self->data);
}

/* The product list follows the data; the choice stays when it can. */
static void
fill_products (BqNetworkPage *self)
{
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  GtkStringList *old = GTK_STRING_LIST (gtk_drop_down_get_model (self->product_dropdown));
  g_autofree char *kept = NULL;
  GPtrArray *products = bq_network_data_get_products (self->data);
  const BqProduct *main_product = bq_network_data_get_main_product (self->data);
  guint selected = GTK_INVALID_LIST_POSITION;

  if (old != NULL && gtk_drop_down_get_selected (self->product_dropdown) != GTK_INVALID_LIST_POSITION)
    kept = g_strdup (gtk_string_list_get_string (old, gtk_drop_down_get_selected (self->product_dropdown)));
  for (guint i = 0; i < products->len; i++)
    {
      const BqProduct *product = g_ptr_array_index (products, i);
      const char *name = product->name;

      gtk_string_list_append (names, name);
      if (g_strcmp0 (name, kept) == 0 || (kept == NULL && product == main_product))
        selected = i;
    }
  self->filling_products = TRUE;
  gtk_drop_down_set_model (self->product_dropdown, G_LIST_MODEL (names));
  gtk_drop_down_set_selected (self->product_dropdown, selected != GTK_INVALID_LIST_POSITION ? selected : 0);
  self->filling_products = FALSE;
}

static void
on_product_selected (BqNetworkPage *self)
{
  if (!self->filling_products && self->centre_id != NULL)
    fill_routes (self);
}

/* The routes to the chosen centre from every site, departing from the
 * page's now on, for a nominal dose of the chosen product; sites that
 * deliver soonest first. */
static void
fill_routes (BqNetworkPage *self)
{
  const BqNetworkPlace *centre;
  BqRouter *router;
  g_autoptr(GArray) per_site = g_array_new (FALSE, TRUE, sizeof (SiteRoutes));
  g_autofree char *subtitle = NULL;

  g_array_set_clear_func (per_site, (GDestroyNotify) site_routes_clear);
  clear_routes_box (self);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->best_routes, g_ptr_array_unref);
  self->routes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_route_unref);
  self->best_routes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_route_unref);

  if (self->data == NULL || self->centre_id == NULL)
    return;
  centre = bq_network_data_lookup_place (self->data, self->centre_id);
  if (centre == NULL)
    return;

  gtk_label_set_label (self->routes_title, centre->name);
  {
    g_autofree char *now = format_local (bq_network_data_get_now (self->data), centre->timezone);

    /* Translators: "Munich · routes departing after Tue 24 Nov, 09:40 CET". */
    subtitle = g_strdup_printf (_("%s · routes departing after %s"),
                                centre->detail != NULL ? centre->detail : "", now);
    gtk_label_set_label (self->routes_subtitle, subtitle);
  }

  router = bq_network_data_get_router (self->data);
  if (router == NULL)
    {
      GtkWidget *label = gtk_label_new (bq_network_data_get_router_error (self->data));

      gtk_label_set_wrap (GTK_LABEL (label), TRUE);
      gtk_widget_add_css_class (label, "dim-label");
      gtk_box_append (self->routes_box, label);
      return;
    }

  for (guint i = 0; i < bq_network_data_get_n_places (self->data); i++)
    {
      const BqNetworkPlace *site = bq_network_data_get_place (self->data, i);
      const BqProduct *product;
      BqRouteQuery query;
      SiteRoutes entry = { site, NULL, G_MAXINT64 };
      g_autoptr(GError) error = NULL;

      if (site->kind != BQ_PLACE_SITE)
        continue;
      product = selected_product (self);
      bq_route_query_init (&query);
      query.from_id = site->id;
      query.to_id = centre->id;
      query.depart_after = bq_network_data_get_now (self->data);
      query.window_s = DAY;
      query.max_routes = 3;
      query.product = product;
      query.activity_bq = product != NULL ? product->dose_activity_bq : NAN;
      entry.routes = bq_router_find_routes (router, &query, &error);
      if (entry.routes == NULL)
        {
          g_debug ("no routes from %s to %s: %s", site->id, centre->id, error->message);
          entry.routes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_route_unref);
        }
      if (entry.routes->len > 0)
        entry.best_arrival = ((BqRoute *) g_ptr_array_index (entry.routes, 0))->arrival;
      g_array_append_val (per_site, entry);
    }
  g_array_sort (per_site, compare_site_routes);

  for (guint s = 0; s < per_site->len; s++)
    {
      SiteRoutes *entry = &g_array_index (per_site, SiteRoutes, s);
      g_autofree char *heading = g_strdup_printf (_("From %s"), entry->site->name);
      GtkWidget *list = gtk_list_box_new ();

      gtk_box_append (self->routes_box, heading_new (heading));
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (list, "boxed-list");
      gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL, heading,
                                      -1);
      if (entry->routes->len == 0)
        {
          GtkWidget *row = adw_action_row_new ();

          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row),
                                         _("No route within the next day"));
          gtk_widget_add_css_class (row, "dim-label");
          gtk_list_box_append (GTK_LIST_BOX (list), row);
        }
      for (guint i = 0; i < entry->routes->len; i++)
        {
          BqRoute *route = g_ptr_array_index (entry->routes, i);
          GtkWidget *row = route_row_new (self, route);

          if (i == 0)
            g_ptr_array_add (self->best_routes, bq_route_ref (route));
          gtk_list_box_append (GTK_LIST_BOX (list), row);
          g_ptr_array_add (self->routes, bq_route_ref (route));
        }
      gtk_box_append (self->routes_box, list);
    }

  if (per_site->len == 0)
    gtk_box_append (self->routes_box, heading_new (_("The network has no manufacturing sites.")));
  bq_route_map_set_routes (self->map, self->best_routes);
}

gboolean
bq_network_page_show_centre (BqNetworkPage *self,
                             const char    *id)
{
  const BqNetworkPlace *place = NULL;

  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), FALSE);

  if (id != NULL)
    {
      if (self->data == NULL)
        return FALSE;
      place = bq_network_data_lookup_place (self->data, id);
      if (place == NULL || place->kind != BQ_PLACE_CENTRE)
        return FALSE;
    }

  g_free (self->centre_id);
  self->centre_id = g_strdup (id);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.back", id != NULL);
  bq_route_map_select_place (self->map, id, FALSE);
  if (id == NULL)
    {
      g_clear_pointer (&self->routes, g_ptr_array_unref);
      g_clear_pointer (&self->best_routes, g_ptr_array_unref);
      clear_routes_box (self);
      bq_route_map_set_routes (self->map, NULL);
      gtk_stack_set_visible_child_name (self->side_stack, "browse");
      return TRUE;
    }
  fill_routes (self);
  gtk_stack_set_visible_child_name (self->side_stack, "routes");
  adw_flap_set_reveal_flap (self->flap, TRUE);
  return TRUE;
}

static void
on_map_place_activated (BqNetworkPage *self,
                        const char    *id,
                        BqRouteMap    *map)
{
  const BqNetworkPlace *place = self->data != NULL ? bq_network_data_lookup_place (self->data, id)
                                                   : NULL;

  if (place == NULL)
    return;
  if (place->kind == BQ_PLACE_CENTRE)
    {
      bq_network_page_show_centre (self, id);
    }
  else
    {
      /* A site or hub: find it, and its lanes, in the lists. */
      bq_route_map_select_place (self->map, id, FALSE);
      bq_network_page_show_centre (self, NULL);
      gtk_editable_set_text (GTK_EDITABLE (self->search_entry),
                             place->kind == BQ_PLACE_HUB && place->detail != NULL ? place->detail
                                                                                  : place->name);
    }
}

/* ------------------------------------------------------------------ load */

static void load_start (BqNetworkPage *self);

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BqNetworkPage *self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqNetworkData) data = bq_network_data_load_finish (result, &error);

  if (data == NULL && g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  self->loading = FALSE;
  if (data == NULL)
    {
      g_warning ("could not read the network from the cache: %s", error->message);
    }
  else
    {
      g_clear_pointer (&self->data, bq_network_data_unref);
      self->data = g_steal_pointer (&data);
      bq_route_map_set_data (self->map, self->data);
      fill_lists (self);
      fill_products (self);
      if (self->centre_id != NULL)
        {
          if (bq_network_data_lookup_place (self->data, self->centre_id) != NULL)
            {
              bq_route_map_select_place (self->map, self->centre_id, FALSE);
              fill_routes (self);
            }
          else
            {
              bq_network_page_show_centre (self, NULL);
            }
        }
    }
  if (self->reload_pending)
    {
      self->reload_pending = FALSE;
      load_start (self);
    }
}

static void
load_start (BqNetworkPage *self)
{
  if (self->client == NULL)
    return;
  if (self->loading)
    {
      self->reload_pending = TRUE;
      return;
    }
  self->loading = TRUE;
  bq_network_data_load_async (bq_client_get_store (self->client), page_now (self),
                              self->cancellable, on_load_done, self);
}

static gboolean
reload_cb (gpointer user_data)
{
  BqNetworkPage *self = user_data;

  self->reload_id = 0;
  load_start (self);
  return G_SOURCE_REMOVE;
}

static void
queue_reload (BqNetworkPage *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (RELOAD_DELAY_MS, reload_cb, self);
}

static gboolean
refresh_cb (gpointer user_data)
{
  BqNetworkPage *self = user_data;

  /* Only the clock moves shipments; a fixed time never needs it. */
  if (self->now == 0 && gtk_widget_get_mapped (GTK_WIDGET (self)))
    load_start (self);
  return G_SOURCE_CONTINUE;
}

static void
on_client_changed (BqNetworkPage *self,
                   const char    *kind,
                   BqClient      *client)
{
  static const BqEntityType *types[] = {
    &bq_site_type, &bq_hub_type, &bq_centre_type, &bq_lane_type, &bq_sla_type,
    &bq_shipment_type, &bq_shipment_leg_type, &bq_product_type, &bq_line_type,
  };

  for (guint i = 0; i < G_N_ELEMENTS (types); i++)
    if (kind == NULL || strcmp (kind, types[i]->name) == 0)
      {
        queue_reload (self);
        return;
      }
}

static void
on_client_user_changed (BqNetworkPage *self,
                        GParamSpec    *pspec,
                        BqClient      *client)
{
  queue_reload (self);
}

void
bq_network_page_set_client (BqNetworkPage *self,
                            BqClient      *client)
{
  g_return_if_fail (BQ_IS_NETWORK_PAGE (self));
  g_return_if_fail (client == NULL || BQ_IS_CLIENT (client));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loading = FALSE;
  self->reload_pending = FALSE;
  g_clear_handle_id (&self->reload_id, g_source_remove);

  g_set_object (&self->client, client);
  bq_network_page_show_centre (self, NULL);
  g_clear_pointer (&self->data, bq_network_data_unref);
  bq_route_map_set_data (self->map, NULL);
  fill_lists (self);

  if (client != NULL)
    {
      g_signal_connect_object (client, "changed", G_CALLBACK (on_client_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::user", G_CALLBACK (on_client_user_changed), self,
                               G_CONNECT_SWAPPED);
      load_start (self);
    }
}

/* Without tiles, say so: a plain map is not a broken one. */
static void
on_tile_url_changed (BqNetworkPage *self)
{
  BqTileSource *source = bq_route_map_get_tile_source (self->map);

  gtk_widget_set_visible (GTK_WIDGET (self->tiles_label),
                          source == NULL || bq_tile_source_get_url_template (source) == NULL);
}

/* --------------------------------------------------------------- actions */

static void
zoom_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqNetworkPage *self = BQ_NETWORK_PAGE (widget);

  if (g_str_equal (action_name, "network.zoom-in"))
    bq_route_map_zoom_in (self->map);
  else if (g_str_equal (action_name, "network.zoom-out"))
    bq_route_map_zoom_out (self->map);
  else
    bq_route_map_zoom_to_fit (self->map);
}

static void
back_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  bq_network_page_show_centre (BQ_NETWORK_PAGE (widget), NULL);
}

static void
search_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  bq_network_page_focus_search (BQ_NETWORK_PAGE (widget));
}

/* ---------------------------------------------------------------- object */

static void
bq_network_page_dispose (GObject *object)
{
  BqNetworkPage *self = BQ_NETWORK_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->place_view != NULL)
    gtk_list_view_set_model (self->place_view, NULL);
  if (self->lane_view != NULL)
    gtk_list_view_set_model (self->lane_view, NULL);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_NETWORK_PAGE);
  g_clear_object (&self->place_rows);
  g_clear_object (&self->lane_rows);
  g_clear_object (&self->filter);
  g_clear_object (&self->places);
  g_clear_object (&self->lanes);
  g_clear_pointer (&self->routes, g_ptr_array_unref);
  g_clear_pointer (&self->best_routes, g_ptr_array_unref);
  g_clear_pointer (&self->data, bq_network_data_unref);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (bq_network_page_parent_class)->dispose (object);
}

static void
bq_network_page_finalize (GObject *object)
{
  BqNetworkPage *self = BQ_NETWORK_PAGE (object);

  g_strfreev (self->search_words);
  g_free (self->last_list);
  g_free (self->centre_id);

  G_OBJECT_CLASS (bq_network_page_parent_class)->finalize (object);
}

static void
bq_network_page_class_init (BqNetworkPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  const guint zoom_in_keys[] = { GDK_KEY_plus, GDK_KEY_KP_Add, GDK_KEY_equal };
  const guint zoom_out_keys[] = { GDK_KEY_minus, GDK_KEY_KP_Subtract };

  object_class->dispose = bq_network_page_dispose;
  object_class->finalize = bq_network_page_finalize;

  g_type_ensure (BQ_TYPE_ROUTE_MAP);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-network-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, flap);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, map);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, tiles_label);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, side_stack);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, list_stack);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, place_view);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, lane_view);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, nothing_page);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, routes_title);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, routes_subtitle);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, routes_box);
  gtk_widget_class_bind_template_child (widget_class, BqNetworkPage, product_dropdown);
  gtk_widget_class_bind_template_callback (widget_class, on_product_selected);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_stopped);
  gtk_widget_class_bind_template_callback (widget_class, on_list_stack_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_place_view_activate);
  gtk_widget_class_bind_template_callback (widget_class, on_map_place_activated);

  gtk_widget_class_install_action (widget_class, "network.zoom-in", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "network.zoom-out", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "network.zoom-fit", NULL, zoom_action);
  gtk_widget_class_install_action (widget_class, "network.back", NULL, back_action);
  gtk_widget_class_install_action (widget_class, "network.search", NULL, search_action);

  /* +/- zoom wherever the focus is on the page but in the search entry,
   * which takes the characters first. */
  for (guint i = 0; i < G_N_ELEMENTS (zoom_in_keys); i++)
    {
      gtk_widget_class_add_binding_action (widget_class, zoom_in_keys[i], 0, "network.zoom-in", NULL);
      gtk_widget_class_add_binding_action (widget_class, zoom_in_keys[i], GDK_CONTROL_MASK,
                                           "network.zoom-in", NULL);
    }
  for (guint i = 0; i < G_N_ELEMENTS (zoom_out_keys); i++)
    {
      gtk_widget_class_add_binding_action (widget_class, zoom_out_keys[i], 0, "network.zoom-out", NULL);
      gtk_widget_class_add_binding_action (widget_class, zoom_out_keys[i], GDK_CONTROL_MASK,
                                           "network.zoom-out", NULL);
    }
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_0, GDK_CONTROL_MASK,
                                       "network.zoom-fit", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_f, GDK_CONTROL_MASK,
                                       "network.search", NULL);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "network.back", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "networkpage");
}

static void
bq_network_page_init (BqNetworkPage *self)
{
  g_autoptr(GtkListItemFactory) place_factory = NULL;
  g_autoptr(GtkListItemFactory) lane_factory = NULL;

  self->unit = BQ_ACTIVITY_UNIT_AUTO;
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  /* rows → search → view (no selection: a click opens) */
  self->places = g_list_store_new (BQ_TYPE_NETWORK_ROW);
  self->lanes = g_list_store_new (BQ_TYPE_NETWORK_ROW);
  self->filter = gtk_custom_filter_new (filter_row, self, NULL);
  self->place_rows = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->places)),
                                                g_object_ref (GTK_FILTER (self->filter)));
  self->lane_rows = gtk_filter_list_model_new (g_object_ref (G_LIST_MODEL (self->lanes)),
                                               g_object_ref (GTK_FILTER (self->filter)));
  gtk_list_view_set_model (self->place_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->place_rows)))));
  gtk_list_view_set_model (self->lane_view,
                           GTK_SELECTION_MODEL (gtk_no_selection_new (g_object_ref (G_LIST_MODEL (self->lane_rows)))));
  g_object_unref (gtk_list_view_get_model (self->place_view));
  g_object_unref (gtk_list_view_get_model (self->lane_view));
  place_factory = row_factory_new (self);
  lane_factory = row_factory_new (self);
  gtk_list_view_set_factory (self->place_view, place_factory);
  gtk_list_view_set_factory (self->lane_view, lane_factory);

  g_signal_connect_object (self->map, "notify::tile-url", G_CALLBACK (on_tile_url_changed), self,
                           G_CONNECT_SWAPPED);
  on_tile_url_changed (self);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "network.back", FALSE);
  self->refresh_id = g_timeout_add_seconds (REFRESH_S, refresh_cb, self);
  update_lists_state (self);
}

GtkWidget *
bq_network_page_new (void)
{
  return g_object_new (BQ_TYPE_NETWORK_PAGE, NULL);
}

void
bq_network_page_set_activity_unit (BqNetworkPage  *self,
                                   BqActivityUnit  unit)
{
  g_return_if_fail (BQ_IS_NETWORK_PAGE (self));

  if (self->unit == unit)
    return;
  self->unit = unit;
  if (self->centre_id != NULL)
    fill_routes (self);
}

void
bq_network_page_set_now (BqNetworkPage *self,
                         gint64         now)
{
  g_return_if_fail (BQ_IS_NETWORK_PAGE (self));

  if (self->now == now)
    return;
  self->now = now;
  load_start (self);
}

void
bq_network_page_focus_search (BqNetworkPage *self)
{
  g_return_if_fail (BQ_IS_NETWORK_PAGE (self));

  bq_network_page_show_centre (self, NULL);
  adw_flap_set_reveal_flap (self->flap, TRUE);
  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

BqRouteMap *
bq_network_page_get_map (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return self->map;
}

BqNetworkData *
bq_network_page_get_data (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return self->data;
}

GListModel *
bq_network_page_get_place_rows (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return G_LIST_MODEL (self->place_rows);
}

GListModel *
bq_network_page_get_lane_rows (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return G_LIST_MODEL (self->lane_rows);
}

const char *
bq_network_page_get_centre (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return self->centre_id;
}

GPtrArray *
bq_network_page_get_routes (BqNetworkPage *self)
{
  g_return_val_if_fail (BQ_IS_NETWORK_PAGE (self), NULL);
  return self->routes;
}
