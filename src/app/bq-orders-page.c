/* bq-orders-page.c — the orders the user may see, with a detail pane
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "bq-format.h"
#include "bq-run-detail.h"
#include "bq-orders-page.h"
#include "bq-slots-page.h"
#include "bq-window.h"

typedef enum {
  COLUMN_PATIENT,
  COLUMN_CENTRE,
  COLUMN_PRODUCT,
  COLUMN_ACTIVITY,
  COLUMN_WINDOW,
  COLUMN_STATUS,
  N_COLUMNS
} Column;

struct _BqOrdersPage
{
  GtkWidget             parent_instance;

  /* template */
  AdwFlap              *flap;
  GtkSearchEntry       *search_entry;
  GtkLabel             *count_label;
  GtkStack             *content_stack;
  GtkSpinner           *loading_spinner;
  GtkColumnView        *column_view;
  AdwStatusPage        *empty_page;
  GtkLabel             *detail_title;
  GtkLabel             *detail_status;
  AdwActionRow         *product_row;
  AdwActionRow         *activity_row;
  AdwActionRow         *centre_row;
  AdwActionRow         *window_row;
  AdwActionRow         *window_utc_row;
  AdwActionRow         *slot_row;
  AdwActionRow         *run_row;
  AdwActionRow         *shipment_row;
  AdwPreferencesGroup  *route_group;
  GtkListBox           *route_list;
  AdwActionRow         *id_row;
  AdwActionRow         *revision_row;
  BqDecayPlot          *decay_plot;
  GtkLabel             *action_label;
  GtkWidget            *resolve_box;

  GtkColumnViewColumn  *columns[N_COLUMNS];

  BqClient             *client;
  BqOrderList          *orders;
  GtkFilterListModel   *filter_model;
  GtkCustomFilter      *filter;
  GtkSortListModel     *sort_model;
  GtkSingleSelection   *selection;
  char                 *search_text;   /* casefolded */
  char                **search_words;
  BqActivityUnit        unit;
  BqOrderItem          *detail_item;
  gint64                conflict_seq;   /* the refused action shown, or 0 */
};

G_DEFINE_FINAL_TYPE (BqOrdersPage, bq_orders_page, GTK_TYPE_WIDGET)

static void show_details (BqOrdersPage *self,
                          BqOrderItem  *item);

/* ----------------------------------------------------------------- state */

static void
update_state (BqOrdersPage *self)
{
  guint n_all = self->orders != NULL ? g_list_model_get_n_items (G_LIST_MODEL (self->orders)) : 0;
  guint n_shown = g_list_model_get_n_items (G_LIST_MODEL (self->filter_model));
  gboolean loading = self->orders != NULL && !bq_order_list_get_loaded (self->orders);
  const char *page;

  if (loading)
    page = "loading";
  else if (n_all == 0)
    page = "empty";
  else if (n_shown == 0)
    page = "no-results";
  else
    page = "list";
  gtk_stack_set_visible_child_name (self->content_stack, page);
  gtk_spinner_set_spinning (self->loading_spinner, loading);

  if (self->client == NULL)
    adw_status_page_set_description (self->empty_page,
                                     _("Sign in to see the orders of the centres you serve."));
  else if (bq_client_get_state (self->client) == BQ_CLIENT_STATE_OFFLINE)
    adw_status_page_set_description (self->empty_page,
                                     _("Nothing has been copied to this computer yet. Orders appear here once the server can be reached."));
  else
    adw_status_page_set_description (self->empty_page,
                                     _("Orders of the centres you serve appear here as soon as they are placed."));

  if (loading || n_all == 0)
    {
      gtk_label_set_label (self->count_label, "");
    }
  else if (self->search_words == NULL)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("%u order", "%u orders", n_all), n_all);

      gtk_label_set_label (self->count_label, text);
    }
  else
    {
      /* Translators: shown while searching: "12 of 340 orders". */
      g_autofree char *text = g_strdup_printf (ngettext ("%u of %u order", "%u of %u orders", n_all),
                                               n_shown, n_all);

      gtk_label_set_label (self->count_label, text);
    }
}

/* ----------------------------------------------------------------- cells */

static void
set_status_pill (GtkWidget     *label,
                 BqOrderStatus  status)
{
  const char *classes[] = { "order-status", bq_format_order_status_class (status), NULL };

  gtk_label_set_label (GTK_LABEL (label), bq_format_order_status (status));
  gtk_widget_set_css_classes (label, classes);
}

static void
fill_cell (BqOrdersPage *self,
           GtkLabel     *label,
           BqOrderItem  *item,
           Column        column)
{
  switch (column)
    {
    case COLUMN_PATIENT:
      gtk_label_set_label (label, bq_order_item_get_patient_ref (item));
      break;
    case COLUMN_CENTRE:
      gtk_label_set_label (label, bq_order_item_get_centre_name (item));
      gtk_widget_set_tooltip_text (GTK_WIDGET (label), bq_order_item_get_centre_place (item));
      break;
    case COLUMN_PRODUCT:
      gtk_label_set_label (label, bq_order_item_get_product_name (item));
      break;
    case COLUMN_ACTIVITY:
      {
        g_autofree char *text =
          bq_units_format_activity (bq_order_item_get_prescribed_activity (item), self->unit);

        gtk_label_set_label (label, text);
      }
      break;
    case COLUMN_WINDOW:
      {
        g_autofree char *text = bq_format_window (bq_order_item_get_admin_start (item),
                                                  bq_order_item_get_admin_end (item),
                                                  bq_order_item_get_time_zone (item));

        gtk_label_set_label (label, text);
      }
      break;
    case COLUMN_STATUS:
      set_status_pill (GTK_WIDGET (label), bq_order_item_get_status (item));
      break;
    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }
}

static void
on_cell_item_notify (GtkLabel    *label,
                     GParamSpec  *pspec,
                     BqOrderItem *item)
{
  BqOrdersPage *self = g_object_get_data (G_OBJECT (label), "bq-orders-page");
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (label), "bq-column"));

  fill_cell (self, label, item, column);
}

static void
on_cell_setup (GtkSignalListItemFactory *factory,
               GtkListItem              *list_item,
               BqOrdersPage             *self)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "bq-column"));
  GtkWidget *label = gtk_label_new (NULL);

  g_object_set_data (G_OBJECT (label), "bq-orders-page", self);
  g_object_set_data (G_OBJECT (label), "bq-column", GINT_TO_POINTER (column));

  switch (column)
    {
    case COLUMN_ACTIVITY:
      gtk_label_set_xalign (GTK_LABEL (label), 1.0f);
      gtk_widget_add_css_class (label, "numeric");
      break;
    case COLUMN_STATUS:
      gtk_widget_set_halign (label, GTK_ALIGN_START);
      break;
    case COLUMN_PATIENT:
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      gtk_widget_add_css_class (label, "patient-ref");
      break;
    case COLUMN_CENTRE:
    case COLUMN_PRODUCT:
      /* The columns that give way when the table is narrow; times,
       * activities and statuses are never cut. */
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      gtk_label_set_ellipsize (GTK_LABEL (label), PANGO_ELLIPSIZE_END);
      gtk_label_set_width_chars (GTK_LABEL (label), 10);
      break;
    case COLUMN_WINDOW:
      gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
      break;
    case N_COLUMNS:
    default:
      g_assert_not_reached ();
    }
  gtk_list_item_set_child (list_item, label);
}

static void
on_cell_bind (GtkSignalListItemFactory *factory,
              GtkListItem              *list_item,
              BqOrdersPage             *self)
{
  Column column = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (factory), "bq-column"));
  GtkWidget *label = gtk_list_item_get_child (list_item);
  BqOrderItem *item = gtk_list_item_get_item (list_item);

  fill_cell (self, GTK_LABEL (label), item, column);
  /* A live update changes the item in place; the row redraws itself. */
  g_signal_connect_object (item, "notify::revision", G_CALLBACK (on_cell_item_notify), label,
                           G_CONNECT_SWAPPED);
}

static void
on_cell_unbind (GtkSignalListItemFactory *factory,
                GtkListItem              *list_item,
                BqOrdersPage             *self)
{
  GtkWidget *label = gtk_list_item_get_child (list_item);
  BqOrderItem *item = gtk_list_item_get_item (list_item);

  if (item != NULL)
    g_signal_handlers_disconnect_by_func (item, on_cell_item_notify, label);
}

static GtkListItemFactory *
cell_factory_new (BqOrdersPage *self,
                  Column        column)
{
  GtkListItemFactory *factory = gtk_signal_list_item_factory_new ();

  g_object_set_data (G_OBJECT (factory), "bq-column", GINT_TO_POINTER (column));
  g_signal_connect (factory, "setup", G_CALLBACK (on_cell_setup), self);
  g_signal_connect (factory, "bind", G_CALLBACK (on_cell_bind), self);
  g_signal_connect (factory, "unbind", G_CALLBACK (on_cell_unbind), self);
  return factory;
}

static GtkSorter *
string_sorter (const char *property)
{
  return GTK_SORTER (gtk_string_sorter_new (gtk_property_expression_new (BQ_TYPE_ORDER_ITEM, NULL,
                                                                         property)));
}

static GtkSorter *
numeric_sorter (const char *property)
{
  return GTK_SORTER (gtk_numeric_sorter_new (gtk_property_expression_new (BQ_TYPE_ORDER_ITEM, NULL,
                                                                          property)));
}

static void
add_columns (BqOrdersPage *self)
{
  static const struct {
    Column      column;
    const char *title;
    const char *property;
    gboolean    numeric;
    gboolean    expand;
    int         fixed_width;
  } specs[] = {
    { COLUMN_PATIENT, N_("Patient"), "patient-ref", FALSE, FALSE, -1 },
    { COLUMN_CENTRE, N_("Centre"), "centre-name", FALSE, TRUE, -1 },
    { COLUMN_PRODUCT, N_("Product"), "product-name", FALSE, FALSE, -1 },
    { COLUMN_ACTIVITY, N_("Activity"), "prescribed-activity", TRUE, FALSE, -1 },
    { COLUMN_WINDOW, N_("Administration"), "admin-start", TRUE, FALSE, -1 },
    { COLUMN_STATUS, N_("Status"), "status", TRUE, FALSE, -1 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (specs); i++)
    {
      g_autoptr(GtkListItemFactory) factory = cell_factory_new (self, specs[i].column);
      g_autoptr(GtkSorter) sorter = specs[i].numeric ? numeric_sorter (specs[i].property)
                                                     : string_sorter (specs[i].property);
      GtkColumnViewColumn *column = gtk_column_view_column_new (_(specs[i].title),
                                                                g_steal_pointer (&factory));

      gtk_column_view_column_set_sorter (column, sorter);
      gtk_column_view_column_set_resizable (column, TRUE);
      gtk_column_view_column_set_expand (column, specs[i].expand);
      if (specs[i].fixed_width > 0)
        gtk_column_view_column_set_fixed_width (column, specs[i].fixed_width);
      gtk_column_view_append_column (self->column_view, column);
      self->columns[specs[i].column] = column;
      g_object_unref (column);
    }
}

/* ---------------------------------------------------------------- search */

static gboolean
filter_order (gpointer item,
              gpointer user_data)
{
  BqOrdersPage *self = user_data;

  return bq_order_item_matches (item, (const char * const *) self->search_words);
}

static void
on_search_changed (BqOrdersPage   *self,
                   GtkSearchEntry *entry)
{
  g_autofree char *text = g_utf8_casefold (gtk_editable_get_text (GTK_EDITABLE (entry)), -1);
  g_autofree char *old = g_steal_pointer (&self->search_text);
  GtkFilterChange change;

  g_strstrip (text);
  if (g_strcmp0 (old ? old : "", text) == 0)
    {
      self->search_text = g_steal_pointer (&old);
      return;
    }

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

  /* Typing on narrows, deleting widens: the filter model then only looks
   * at the rows that can change. */
  if (old == NULL || *old == '\0' || strstr (text, old) != NULL)
    change = GTK_FILTER_CHANGE_MORE_STRICT;
  else if (strstr (old, text) != NULL)
    change = GTK_FILTER_CHANGE_LESS_STRICT;
  else
    change = GTK_FILTER_CHANGE_DIFFERENT;
  self->search_text = g_steal_pointer (&text);
  gtk_filter_changed (GTK_FILTER (self->filter), change);
}

static void
on_search_stopped (BqOrdersPage   *self,
                   GtkSearchEntry *entry)
{
  gtk_editable_set_text (GTK_EDITABLE (entry), "");
}

/* --------------------------------------------------------------- details */

static void
set_row_value (AdwActionRow *row,
               const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : _("None"));
}

/* What the queued cancel/reschedule/confirm of an order is waiting for, as
 * the Slots page shows it: not done until the server accepts it. */
static const char *
action_verb (const char *path)
{
  if (g_str_has_suffix (path, "/cancel"))
    return _("Cancellation");
  if (g_str_has_suffix (path, "/reschedule"))
    return _("Rescheduling");
  if (g_str_has_suffix (path, "/confirm"))
    return _("Confirmation");
  return _("Booking");
}

static void
update_order_actions (BqOrdersPage *self)
{
  g_autoptr(GPtrArray) actions = NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  const BqOrder *order;
  gboolean open, pending = FALSE;
  const char *klass = NULL;

  self->conflict_seq = 0;
  if (self->detail_item == NULL || self->client == NULL)
    {
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.cancel", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.reschedule", FALSE);
      gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.resolve", FALSE);
      gtk_widget_set_visible (GTK_WIDGET (self->action_label), FALSE);
      gtk_widget_set_visible (self->resolve_box, FALSE);
      return;
    }
  order = bq_order_item_get_order (self->detail_item);
  actions = bq_client_list_actions (self->client, &bq_order_type, bq_entity_get_id (order));
  for (guint i = 0; i < actions->len; i++)
    {
      const BqOutboxEntry *entry = g_ptr_array_index (actions, i);

      if (entry->path == NULL)
        continue;
      if (text->len > 0)
        g_string_append_c (text, '\n');
      if (entry->state == BQ_OUTBOX_PENDING)
        {
          /* Translators: "Cancellation not yet done — waiting for the server". */
          g_string_append_printf (text, _("%s not yet done — waiting for the server"),
                                  action_verb (entry->path));
          pending = TRUE;
          if (klass == NULL)
            klass = "warning";
        }
      else
        {
          /* Translators: "Cancellation refused: the order has shipped". */
          g_string_append_printf (text, _("%s refused: %s"), action_verb (entry->path),
                                  entry->error_message != NULL ? entry->error_message
                                                               : _("the server said no"));
          if (self->conflict_seq == 0)
            self->conflict_seq = entry->seq;
          klass = "error";
        }
    }
  gtk_label_set_text (self->action_label, text->str);
  gtk_widget_set_css_classes (GTK_WIDGET (self->action_label),
                              (const char *[]) { klass != NULL ? klass : "dim-label", NULL });
  gtk_widget_set_visible (GTK_WIDGET (self->action_label), text->len > 0);
  gtk_widget_set_visible (self->resolve_box, self->conflict_seq != 0);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.resolve", self->conflict_seq != 0);

  open = order->status == BQ_ORDER_REQUESTED || order->status == BQ_ORDER_CONFIRMED;
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.cancel", open && !pending);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.reschedule", open && !pending);
}

/* ----------------------------------------------------------------- route */

/* A site's, hub's or centre's name and zone. */
static char *
place_name (BqStore     *store,
            const char  *id,
            GTimeZone  **zone)
{
  g_autoptr(BqSite) site = NULL;
  g_autoptr(BqHub) hub = NULL;
  g_autoptr(BqCentre) centre = NULL;

  if (id == NULL)
    {
      *zone = g_time_zone_new_utc ();
      return g_strdup ("?");
    }
  if ((site = bq_store_get (store, &bq_site_type, id, NULL)) != NULL)
    {
      *zone = bq_units_timezone_or_utc (site->timezone);
      return g_strdup (site->name != NULL ? site->name : id);
    }
  if ((hub = bq_store_get (store, &bq_hub_type, id, NULL)) != NULL)
    {
      *zone = bq_units_timezone_or_utc (hub->timezone);
      return g_strdup (hub->name != NULL ? hub->name : id);
    }
  if ((centre = bq_store_get (store, &bq_centre_type, id, NULL)) != NULL)
    {
      *zone = bq_units_timezone_or_utc (centre->timezone);
      return g_strdup (centre->name != NULL ? centre->name : id);
    }
  *zone = g_time_zone_new_utc ();
  return g_strdup (id);
}

static const char *
lane_label (const BqLane *lane)
{
  if (lane->service != NULL && *lane->service != '\0')
    return lane->service;
  if (lane->carrier != NULL && *lane->carrier != '\0')
    return lane->carrier;
  switch (lane->mode)
    {
    case BQ_LANE_FLIGHT:
      return _("Flight");
    case BQ_LANE_CHARTER:
      return _("Charter");
    case BQ_LANE_HANDOVER:
      return _("Hand-over");
    case BQ_LANE_GROUND:
    default:
      return _("Courier");
    }
}

/* "LH 2301 · Amsterdam → Munich · Tue 20:10 → 21:45 CET", wall-clock
 * times at the origin and the destination. */
static char *
leg_text (BqStore             *store,
          const BqShipmentLeg *leg)
{
  g_autoptr(BqLane) lane = bq_store_get (store, &bq_lane_type, leg->lane_id, NULL);
  g_autoptr(GTimeZone) from_zone = NULL;
  g_autoptr(GTimeZone) to_zone = NULL;
  g_autofree char *from = place_name (store, lane != NULL ? lane->origin_id : NULL, &from_zone);
  g_autofree char *to = place_name (store, lane != NULL ? lane->destination_id : NULL, &to_zone);
  g_autofree char *dep_day = bq_units_format_local (from_zone, leg->planned_departure, "%a");
  g_autofree char *dep = bq_units_format_local (from_zone, leg->planned_departure, "%H:%M");
  g_autofree char *dep_zone = bq_units_format_local (from_zone, leg->planned_departure, "%Z");
  g_autofree char *arr_day = bq_units_format_local (to_zone, leg->planned_arrival, "%a");
  g_autofree char *arr = bq_units_format_local (to_zone, leg->planned_arrival, "%H:%M");
  g_autofree char *arr_zone = bq_units_format_local (to_zone, leg->planned_arrival, "%Z");
  g_autofree char *times = NULL;

  if (g_strcmp0 (dep_day, arr_day) == 0 && g_strcmp0 (dep_zone, arr_zone) == 0)
    times = g_strdup_printf ("%s %s → %s %s", dep_day, dep, arr, arr_zone);
  else
    times = g_strdup_printf ("%s %s %s → %s %s %s", dep_day, dep, dep_zone, arr_day, arr,
                             arr_zone);
  /* Translators: a shipment leg: service, origin → destination, times. */
  return g_strdup_printf (_("%s · %s → %s · %s"),
                          lane != NULL ? lane_label (lane) : leg->lane_id, from, to, times);
}

static void
fill_route (BqOrdersPage  *self,
            const BqOrder *order)
{
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  g_autoptr(GError) error = NULL;
  GtkWidget *child;
  BqStore *store;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->route_list))) != NULL)
    gtk_list_box_remove (self->route_list, child);
  if (self->client == NULL || order->shipment_id == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->route_group), FALSE);
      return;
    }
  store = bq_client_get_store (self->client);
  query = bq_query_new (&bq_shipment_leg_type);
  bq_query_where_equals (query, "shipment_id", order->shipment_id);
  bq_query_order_by (query, "seq", FALSE);
  legs = bq_store_query (store, query, &error);
  if (legs == NULL)
    g_debug ("shipment legs: %s", error->message);
  for (guint i = 0; legs != NULL && i < legs->len; i++)
    {
      const BqShipmentLeg *leg = g_ptr_array_index (legs, i);
      g_autofree char *text = leg_text (store, leg);
      GtkWidget *row = adw_action_row_new ();
      const char *mark = NULL;
      const char *klass = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), text);
      if (leg->status == BQ_LEG_LATE)
        {
          mark = _("Late");
          klass = "warning";
        }
      else if (leg->status == BQ_LEG_CANCELLED)
        {
          mark = _("Cancelled");
          klass = "error";
        }
      if (mark != NULL)
        {
          GtkWidget *label = gtk_label_new (mark);

          gtk_widget_add_css_class (label, klass);
          gtk_widget_add_css_class (label, "heading");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row), label);
          gtk_widget_add_css_class (row, klass);
        }
      gtk_list_box_append (self->route_list, row);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->route_group), legs != NULL && legs->len > 0);
}

static void
fill_details (BqOrdersPage *self)
{
  BqOrderItem *item = self->detail_item;
  const BqOrder *order;
  g_autofree char *product = NULL;
  g_autofree char *activity = NULL;
  g_autofree char *centre = NULL;
  g_autofree char *local = NULL;
  g_autofree char *utc = NULL;
  g_autofree char *revision = NULL;
  g_autoptr(GTimeZone) utc_zone = g_time_zone_new_utc ();
  const char *zone_id;

  if (item == NULL)
    return;
  order = bq_order_item_get_order (item);

  gtk_label_set_label (self->detail_title, bq_order_item_get_patient_ref (item));
  set_status_pill (GTK_WIDGET (self->detail_status), order->status);

  if (bq_order_item_get_product_nuclide (item) != NULL)
    product = g_strdup_printf ("%s (%s)", bq_order_item_get_product_name (item),
                               bq_order_item_get_product_nuclide (item));
  else
    product = g_strdup (bq_order_item_get_product_name (item));
  set_row_value (self->product_row, product);

  activity = bq_units_format_activity (order->prescribed_activity_bq, self->unit);
  set_row_value (self->activity_row, activity);

  if (bq_order_item_get_centre_place (item) != NULL)
    centre = g_strdup_printf ("%s\n%s", bq_order_item_get_centre_name (item),
                              bq_order_item_get_centre_place (item));
  else
    centre = g_strdup (bq_order_item_get_centre_name (item));
  set_row_value (self->centre_row, centre);

  local = bq_format_window (order->admin_start, order->admin_end,
                            bq_order_item_get_time_zone (item));
  zone_id = g_time_zone_get_identifier (bq_order_item_get_time_zone (item));
  if (zone_id != NULL && strcmp (zone_id, "UTC") != 0)
    {
      g_autofree char *with_zone = g_strdup_printf ("%s\n%s", local, zone_id);

      set_row_value (self->window_row, with_zone);
    }
  else
    {
      set_row_value (self->window_row, local);
    }
  utc = bq_format_window (order->admin_start, order->admin_end, utc_zone);
  set_row_value (self->window_utc_row, utc);

  set_row_value (self->slot_row, order->slot_id);
  set_row_value (self->run_row, order->run_id);
  set_row_value (self->shipment_row, order->shipment_id);
  fill_route (self, order);
  set_row_value (self->id_row, order->base.id);
  revision = g_strdup_printf ("%" G_GINT64_FORMAT, order->base.revision);
  set_row_value (self->revision_row, revision);

  update_order_actions (self);

  /* The dose's activity from its run's EOS to expiry, in the centre's time. */
  if (self->client != NULL)
    bq_run_detail_fill_dose_plot (self->decay_plot, bq_client_get_store (self->client), order,
                                  bq_order_item_get_time_zone (item));
  bq_decay_plot_set_unit (self->decay_plot, self->unit);
}

static void
on_detail_item_notify (BqOrdersPage *self,
                       GParamSpec   *pspec,
                       BqOrderItem  *item)
{
  fill_details (self);
}

static void
show_details (BqOrdersPage *self,
              BqOrderItem  *item)
{
  if (self->detail_item == item)
    {
      adw_flap_set_reveal_flap (self->flap, item != NULL);
      return;
    }

  if (self->detail_item != NULL)
    g_signal_handlers_disconnect_by_func (self->detail_item, on_detail_item_notify, self);
  g_set_object (&self->detail_item, item);
  if (item != NULL)
    {
      g_signal_connect_object (item, "notify::revision", G_CALLBACK (on_detail_item_notify), self,
                               G_CONNECT_SWAPPED);
      fill_details (self);
    }
  adw_flap_set_reveal_flap (self->flap, item != NULL);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.close-details", item != NULL);
  update_order_actions (self);
}

static void
on_selected_item_changed (BqOrdersPage       *self,
                          GParamSpec         *pspec,
                          GtkSingleSelection *selection)
{
  show_details (self, gtk_single_selection_get_selected_item (selection));
}

static void
close_details_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (widget);

  gtk_single_selection_set_selected (self->selection, GTK_INVALID_LIST_POSITION);
  show_details (self, NULL);
}

/* --------------------------------------------------------------- actions */

gboolean
bq_orders_page_cancel_order (BqOrdersPage  *self,
                             const char    *id,
                             GError       **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  if (self->client == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Sign in first"));
      return FALSE;
    }
  escaped = g_uri_escape_string (id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders/%s/cancel", escaped);
  /* Through the outbox: offline too, exactly once; a refusal is a conflict. */
  if (!bq_client_queue_action (self->client, "POST", path, NULL, &bq_order_type, id, NULL, NULL,
                               error))
    return FALSE;
  update_order_actions (self);
  return TRUE;
}

static void
show_toast (BqOrdersPage *self,
            const char   *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), BQ_TYPE_WINDOW);

  if (window != NULL)
    bq_window_show_toast (BQ_WINDOW (window), text);
}

static void
on_cancel_response (AdwMessageDialog *dialog,
                    const char       *response,
                    gpointer          user_data)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (user_data);
  const char *id = g_object_get_data (G_OBJECT (dialog), "bq-order-id");
  g_autoptr(GError) error = NULL;

  if (g_strcmp0 (response, "cancel-order") == 0 &&
      !bq_orders_page_cancel_order (self, id, &error))
    show_toast (self, error->message);
}

static void
cancel_action (GtkWidget  *widget,
               const char *action_name,
               GVariant   *parameter)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (widget);
  GtkWidget *dialog;
  GtkRoot *root;

  if (self->detail_item == NULL)
    return;
  root = gtk_widget_get_root (widget);
  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Cancel Order?"), NULL);
  /* Translators: %s is the pseudonymous patient reference. */
  adw_message_dialog_format_body (ADW_MESSAGE_DIALOG (dialog),
                                  _("The dose for %s is given back to its slot for other "
                                    "patients. This cannot be undone."),
                                  bq_order_item_get_patient_ref (self->detail_item));
  adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                    "keep", _("_Keep Order"),
                                    "cancel-order", _("_Cancel Order"),
                                    NULL);
  adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "cancel-order",
                                              ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "keep");
  g_object_set_data_full (G_OBJECT (dialog), "bq-order-id",
                          g_strdup (bq_order_item_get_id (self->detail_item)), g_free);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_cancel_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static BqSlotsPage *
show_slots_page (BqOrdersPage *self)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), BQ_TYPE_WINDOW);

  if (window == NULL)
    return NULL;
  bq_window_set_page (BQ_WINDOW (window), "slots");
  return bq_window_get_slots_page (BQ_WINDOW (window));
}

static void
reschedule_action (GtkWidget  *widget,
                   const char *action_name,
                   GVariant   *parameter)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (widget);
  BqSlotsPage *slots;

  if (self->detail_item == NULL || (slots = show_slots_page (self)) == NULL)
    return;
  bq_slots_page_reschedule_order (slots, bq_order_item_get_id (self->detail_item));
}

static void
new_order_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  BqSlotsPage *slots = show_slots_page (BQ_ORDERS_PAGE (widget));

  if (slots != NULL)
    bq_slots_page_new_booking (slots);
}

static void
resolve_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (widget);
  g_autoptr(GError) error = NULL;

  if (self->client == NULL || self->conflict_seq == 0)
    return;
  if (!bq_client_resolve_conflict (self->client, self->conflict_seq,
                                   g_variant_get_boolean (parameter) ? BQ_RESOLVE_KEEP_MINE
                                                                     : BQ_RESOLVE_TAKE_THEIRS,
                                   &error))
    show_toast (self, error->message);
  update_order_actions (self);
}

const char *
bq_orders_page_get_action_text (BqOrdersPage *self)
{
  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), NULL);
  update_order_actions (self);
  return gtk_widget_get_visible (GTK_WIDGET (self->action_label))
         ? gtk_label_get_text (self->action_label) : "";
}

/* ----------------------------------------------------------------- model */

static void
on_model_changed (BqOrdersPage *self)
{
  update_state (self);
}

static void
on_client_state_changed (BqOrdersPage *self,
                         GParamSpec   *pspec,
                         BqClient     *client)
{
  update_state (self);
}

static void
on_client_outbox_changed (BqOrdersPage *self,
                          GParamSpec   *pspec,
                          BqClient     *client)
{
  update_order_actions (self);
}

void
bq_orders_page_set_client (BqOrdersPage *self,
                           BqClient     *client)
{
  g_return_if_fail (BQ_IS_ORDERS_PAGE (self));
  g_return_if_fail (client == NULL || BQ_IS_CLIENT (client));

  if (self->client == client)
    return;

  show_details (self, NULL);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  if (self->orders != NULL)
    g_signal_handlers_disconnect_by_data (self->orders, self);
  g_set_object (&self->client, client);
  g_clear_object (&self->orders);

  if (client != NULL)
    {
      self->orders = bq_order_list_new (client);
      g_signal_connect_object (self->orders, "notify::loaded", G_CALLBACK (on_model_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_state_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::n-pending", G_CALLBACK (on_client_outbox_changed),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::n-conflicts",
                               G_CALLBACK (on_client_outbox_changed), self, G_CONNECT_SWAPPED);
      bq_order_list_reload (self->orders);
    }
  gtk_filter_list_model_set_model (self->filter_model, G_LIST_MODEL (self->orders));
  update_state (self);
}

/* ---------------------------------------------------------------- object */

static void
bq_orders_page_dispose (GObject *object)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (object);

  bq_orders_page_set_client (self, NULL);
  if (self->column_view != NULL)
    gtk_column_view_set_model (self->column_view, NULL);
  g_clear_object (&self->selection);
  g_clear_object (&self->sort_model);
  g_clear_object (&self->filter_model);
  g_clear_object (&self->filter);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_ORDERS_PAGE);

  G_OBJECT_CLASS (bq_orders_page_parent_class)->dispose (object);
}

static void
bq_orders_page_finalize (GObject *object)
{
  BqOrdersPage *self = BQ_ORDERS_PAGE (object);

  g_free (self->search_text);
  g_strfreev (self->search_words);

  G_OBJECT_CLASS (bq_orders_page_parent_class)->finalize (object);
}

static void
bq_orders_page_class_init (BqOrdersPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_orders_page_dispose;
  object_class->finalize = bq_orders_page_finalize;

  g_type_ensure (BQ_TYPE_DECAY_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-orders-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, flap);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, search_entry);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, count_label);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, column_view);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, detail_title);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, detail_status);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, product_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, activity_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, centre_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, window_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, window_utc_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, slot_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, run_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, shipment_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, route_group);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, route_list);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, id_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, revision_row);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, decay_plot);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, action_label);
  gtk_widget_class_bind_template_child (widget_class, BqOrdersPage, resolve_box);
  gtk_widget_class_bind_template_callback (widget_class, on_search_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_search_stopped);

  gtk_widget_class_install_action (widget_class, "orders.close-details", NULL,
                                   close_details_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0,
                                       "orders.close-details", NULL);
  gtk_widget_class_install_action (widget_class, "orders.cancel", NULL, cancel_action);
  gtk_widget_class_install_action (widget_class, "orders.reschedule", NULL, reschedule_action);
  gtk_widget_class_install_action (widget_class, "orders.new", NULL, new_order_action);
  gtk_widget_class_install_action (widget_class, "orders.resolve", "b", resolve_action);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "orderspage");
}

static void
bq_orders_page_init (BqOrdersPage *self)
{
  GtkSorter *sorter;

  self->unit = BQ_ACTIVITY_UNIT_AUTO;

  gtk_widget_init_template (GTK_WIDGET (self));
  add_columns (self);

  /* cache → search → the order the user clicked → one selected row */
  self->filter = gtk_custom_filter_new (filter_order, self, NULL);
  self->filter_model = gtk_filter_list_model_new (NULL, g_object_ref (GTK_FILTER (self->filter)));
  sorter = gtk_column_view_get_sorter (self->column_view);
  self->sort_model = gtk_sort_list_model_new (g_object_ref (G_LIST_MODEL (self->filter_model)),
                                              sorter != NULL ? g_object_ref (sorter) : NULL);
  self->selection = gtk_single_selection_new (g_object_ref (G_LIST_MODEL (self->sort_model)));
  gtk_single_selection_set_autoselect (self->selection, FALSE);
  gtk_single_selection_set_can_unselect (self->selection, TRUE);
  gtk_column_view_set_model (self->column_view, GTK_SELECTION_MODEL (self->selection));

  /* Open orders first (requested, then confirmed, …), each soonest
   * first: what needs attention now.  The column view sorter breaks
   * ties by the columns sorted before. */
  gtk_column_view_sort_by_column (self->column_view, self->columns[COLUMN_WINDOW],
                                  GTK_SORT_ASCENDING);
  gtk_column_view_sort_by_column (self->column_view, self->columns[COLUMN_STATUS],
                                  GTK_SORT_ASCENDING);

  g_signal_connect_object (self->selection, "notify::selected-item",
                           G_CALLBACK (on_selected_item_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->filter_model, "items-changed",
                           G_CALLBACK (on_model_changed), self, G_CONNECT_SWAPPED);

  gtk_search_entry_set_key_capture_widget (self->search_entry, GTK_WIDGET (self));
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "orders.close-details", FALSE);
  update_order_actions (self);
  update_state (self);
}

GtkWidget *
bq_orders_page_new (void)
{
  return g_object_new (BQ_TYPE_ORDERS_PAGE, NULL);
}

void
bq_orders_page_set_activity_unit (BqOrdersPage   *self,
                                  BqActivityUnit  unit)
{
  GtkListItemFactory *factory;

  g_return_if_fail (BQ_IS_ORDERS_PAGE (self));

  if (self->unit == unit)
    return;
  self->unit = unit;

  /* A new factory rebinds every visible activity cell; nothing else
   * depends on the unit. */
  factory = cell_factory_new (self, COLUMN_ACTIVITY);
  gtk_column_view_column_set_factory (self->columns[COLUMN_ACTIVITY], factory);
  g_object_unref (factory);
  fill_details (self);
}

BqOrderList *
bq_orders_page_get_orders (BqOrdersPage *self)
{
  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), NULL);
  return self->orders;
}

GListModel *
bq_orders_page_get_rows (BqOrdersPage *self)
{
  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), NULL);
  return G_LIST_MODEL (self->selection);
}

gboolean
bq_orders_page_select_order (BqOrdersPage *self,
                             const char   *id)
{
  guint n;

  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), FALSE);
  g_return_val_if_fail (id != NULL, FALSE);

  n = g_list_model_get_n_items (G_LIST_MODEL (self->selection));
  for (guint i = 0; i < n; i++)
    {
      g_autoptr(BqOrderItem) item = g_list_model_get_item (G_LIST_MODEL (self->selection), i);

      if (g_strcmp0 (bq_order_item_get_id (item), id) == 0)
        {
          gtk_single_selection_set_selected (self->selection, i);
          return TRUE;
        }
    }
  return FALSE;
}

void
bq_orders_page_focus_search (BqOrdersPage *self)
{
  g_return_if_fail (BQ_IS_ORDERS_PAGE (self));

  gtk_widget_grab_focus (GTK_WIDGET (self->search_entry));
}

void
bq_orders_page_set_compact (BqOrdersPage *self,
                            gboolean      compact)
{
  g_return_if_fail (BQ_IS_ORDERS_PAGE (self));

  gtk_column_view_column_set_visible (self->columns[COLUMN_PRODUCT], !compact);
  gtk_column_view_column_set_visible (self->columns[COLUMN_ACTIVITY], !compact);
  gtk_column_view_column_set_visible (self->columns[COLUMN_WINDOW], !compact);
}

char **
bq_orders_page_dup_route (BqOrdersPage *self)
{
  GPtrArray *lines = g_ptr_array_new ();

  g_return_val_if_fail (BQ_IS_ORDERS_PAGE (self), NULL);
  if (gtk_widget_get_visible (GTK_WIDGET (self->route_group)))
    for (GtkWidget *row = gtk_widget_get_first_child (GTK_WIDGET (self->route_list));
         row != NULL; row = gtk_widget_get_next_sibling (row))
      if (ADW_IS_PREFERENCES_ROW (row))
        g_ptr_array_add (lines,
                         g_strdup (adw_preferences_row_get_title (ADW_PREFERENCES_ROW (row))));
  g_ptr_array_add (lines, NULL);
  return (char **) g_ptr_array_free (lines, FALSE);
}
