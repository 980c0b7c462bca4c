/* bq-slots-page.c — the slot calendar and booking
 *
 * The calendar and the offline ranking use a BqSlotEngine over the
 * client's cache, on the UI thread: a week of one centre's slots is a
 * handful of rows, and the engine must stay on the connection's thread.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "bq-json.h"
#include "bq-policy.h"
#include "bq-slots.h"
#include "bq-slots-page.h"
#include "bq-window.h"

#define DAY 86400

struct _BqSlotsPage
{
  GtkWidget        parent_instance;

  /* template */
  GtkWidget       *main_box;
  GtkDropDown     *centre_dropdown;
  GtkButton       *prev_button;
  GtkButton       *next_button;
  GtkLabel        *range_label;
  GtkGrid         *calendar_grid;
  GtkToggleButton *week_toggle;
  GtkToggleButton *month_toggle;
  AdwPreferencesGroup *booking_group;
  AdwActionRow    *product_row;
  AdwEntryRow     *patient_row;
  AdwEntryRow     *activity_row;
  AdwEntryRow     *admin_row;
  AdwEntryRow     *window_row;
  GtkLabel        *message_label;
  GtkLabel        *estimate_label;
  GtkListBox      *options_list;
  GtkLabel        *status_label;
  AdwPreferencesGroup *pending_group;
  GtkListBox      *pending_list;

  BqClient        *client;
  BqSlotEngine    *engine;
  GCancellable    *cancellable;
  GPtrArray       *centres;       /* BqCentre the user may book for */
  BqProduct       *product;       /* the product booked */
  gint64           now;           /* BQ_TIME_UNSET: the clock */
  gint64           week_from;
  gboolean         month_view;
  gint64           month_from;    /* 00:00 UTC of the month's first day */
  GHashTable      *day_totals;    /* day (gint64*) → remaining (gint64*), the view's */
  GHashTable      *day_cells;     /* day (gint64*) → GtkWidget, month view */
  guint            n_slots;
  GPtrArray       *options;       /* JsonObject (ref'd), best first */
  gboolean         offline_estimate;
  gboolean         busy;
  char            *order_id;      /* the booking made here */
  char            *order_patient; /* …for whom, to follow it to its server id */
  char            *status_text;
  char            *reschedule_id; /* reschedule mode: the order moved */
  guint            reload_id;
};

G_DEFINE_FINAL_TYPE (BqSlotsPage, bq_slots_page, GTK_TYPE_WIDGET)

static void reload (BqSlotsPage *self);

static gint64
page_now (BqSlotsPage *self)
{
  return self->now != BQ_TIME_UNSET ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

static void
show_toast (BqSlotsPage *self,
            const char  *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), BQ_TYPE_WINDOW);

  if (window != NULL)
    bq_window_show_toast (BQ_WINDOW (window), text);
}

static void
set_message (BqSlotsPage *self,
             const char  *text)
{
  gtk_label_set_text (self->message_label, text != NULL ? text : "");
  gtk_widget_set_visible (GTK_WIDGET (self->message_label), text != NULL);
}

static void
set_status (BqSlotsPage *self,
            const char  *text)
{
  g_free (self->status_text);
  self->status_text = g_strdup (text != NULL ? text : "");
  gtk_label_set_text (self->status_label, self->status_text);
}

static void
update_actions (BqSlotsPage *self)
{
  gboolean online, selected;

  if (self->options_list == NULL)   /* disposed */
    return;
  online = self->client != NULL && bq_client_get_state (self->client) >= BQ_CLIENT_STATE_SYNCING;
  selected = gtk_list_box_get_selected_row (self->options_list) != NULL;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "slots.find",
                                 self->client != NULL && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "slots.hold", online && selected);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "slots.book", selected && !self->busy);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "slots.confirm", self->order_id != NULL);
}

/* ---------------------------------------------------------------- calendar */

static const BqCentre *
selected_centre (BqSlotsPage *self)
{
  guint i = gtk_drop_down_get_selected (self->centre_dropdown);

  if (self->centres == NULL || i == GTK_INVALID_LIST_POSITION || i >= self->centres->len)
    return NULL;
  return g_ptr_array_index (self->centres, i);
}

static void
clear_grid (GtkGrid *grid)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (grid))) != NULL)
    gtk_grid_remove (grid, child);
}

static const char *
reason_text (BqSlotReason reason)
{
  switch (reason)
    {
    case BQ_SLOT_CLOSED:
      return _("Closed");
    case BQ_SLOT_AFTER_CUTOFF:
      return _("Ordering closed");
    case BQ_SLOT_SOLD_OUT:
      return _("Sold out");
    case BQ_SLOT_HELD_BY_OTHER:
      return _("Held by someone else");
    case BQ_SLOT_OK:
    case BQ_SLOT_TOO_FAR:
    case BQ_SLOT_TOO_LATE:
    case BQ_SLOT_TOO_LITTLE_ACTIVITY:
    default:
      return bq_slot_reason_to_nick (reason);
    }
}

static GtkWidget *
slot_card (BqSlotsPage        *self,
           const BqSlotOption *option,
           gint64              now)
{
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
  g_autofree char *title = NULL;
  g_autofree char *left = NULL;
  g_autofree char *cutoff = NULL;
  g_autofree char *tooltip = NULL;
  GtkWidget *label;
  const char *klass;

  gtk_widget_add_css_class (box, "card");
  gtk_widget_add_css_class (box, "slot-card");
  if (option->reason != BQ_SLOT_OK || option->remaining <= 0)
    klass = "slot-closed";
  else if (option->remaining <= 2)
    klass = "slot-low";
  else
    klass = "slot-open";
  gtk_widget_add_css_class (box, klass);

  title = g_strdup_printf ("%s%s", option->batch != NULL ? option->batch : option->run_id,
                           option->pool ? _(" · pool") : "");
  label = gtk_label_new (title);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  gtk_widget_add_css_class (label, "heading");
  gtk_box_append (GTK_BOX (box), label);

  left = g_strdup_printf (_("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " left"),
                          MAX (option->remaining, 0), option->slot->capacity);
  label = gtk_label_new (left);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_box_append (GTK_BOX (box), label);

  if (option->reason != BQ_SLOT_OK)
    cutoff = g_strdup (reason_text (option->reason));
  else if (option->cutoff != BQ_TIME_UNSET && option->cutoff > now)
    {
      g_autofree char *in = bq_units_format_duration ((double) (option->cutoff - now));

      cutoff = g_strdup_printf (_("cut-off in %s"), in);
    }
  else
    cutoff = g_strdup (_("no cut-off"));
  label = gtk_label_new (cutoff);
  gtk_label_set_xalign (GTK_LABEL (label), 0);
  gtk_widget_add_css_class (label, "caption");
  gtk_widget_add_css_class (label, "dim-label");
  gtk_box_append (GTK_BOX (box), label);

  tooltip = g_strdup_printf ("%s\n%s", bq_entity_get_id (option->slot),
                             option->summary != NULL ? option->summary : "");
  gtk_widget_set_tooltip_text (box, tooltip);
  return box;
}

/* What a day totals: the remaining doses of its open, feasible slots. */
static gboolean
option_counts (const BqSlotOption *option)
{
  return option->reason == BQ_SLOT_OK && option->remaining > 0;
}

static void
add_day_total (BqSlotsPage        *self,
               const BqSlotOption *option)
{
  gint64 *total = g_hash_table_lookup (self->day_totals, &option->slot->delivery_date);

  if (total == NULL)
    {
      gint64 *key = g_new (gint64, 1);

      *key = option->slot->delivery_date;
      total = g_new0 (gint64, 1);
      g_hash_table_insert (self->day_totals, key, total);
    }
  if (option_counts (option))
    *total += option->remaining;
}

static gint64
week_of (gint64 day)
{
  day -= ((day % DAY) + DAY) % DAY;
  return day - ((day / DAY + 3) % 7) * DAY;
}

static void
set_month_view (BqSlotsPage *self,
                gboolean     month_view);

static void
on_day_clicked (GtkButton *button,
                gpointer   user_data)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (user_data);
  gint64 day = *(gint64 *) g_object_get_data (G_OBJECT (button), "day");

  self->week_from = week_of (day);
  set_month_view (self, FALSE);
}

static void
reload_month (BqSlotsPage *self)
{
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GError) error = NULL;
  const BqCentre *centre = selected_centre (self);
  g_autoptr(GDateTime) first = g_date_time_new_from_unix_utc (self->month_from);
  g_autoptr(GDateTime) next = g_date_time_add_months (first, 1);
  g_autofree char *title = g_date_time_format (first, "%B %Y");
  gint64 month_to = g_date_time_to_unix (next);
  int offset = g_date_time_get_day_of_week (first) - 1;
  int n_days = (int) ((month_to - self->month_from) / DAY);
  gint64 now = page_now (self);

  gtk_label_set_text (self->range_label, title);
  clear_grid (self->calendar_grid);
  g_hash_table_remove_all (self->day_totals);
  g_hash_table_remove_all (self->day_cells);
  self->n_slots = 0;

  /* Weekday names, Monday first: 2001-01-01 was a Monday. */
  for (int d = 0; d < 7; d++)
    {
      g_autoptr(GDateTime) day = g_date_time_new_utc (2001, 1, 1 + d, 0, 0, 0);
      g_autofree char *text = g_date_time_format (day, "%a");
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "heading");
      gtk_grid_attach (self->calendar_grid, label, d, 0, 1, 1);
    }

  if (self->engine != NULL && centre != NULL)
    {
      slots = bq_slot_engine_calendar (self->engine, bq_entity_get_id (centre),
                                       self->month_from, month_to, now, &error);
      if (slots == NULL)
        g_debug ("slot calendar: %s", error->message);
    }
  for (guint i = 0; slots != NULL && i < slots->len; i++)
    {
      const BqSlotOption *option = g_ptr_array_index (slots, i);

      if (option->slot->delivery_date < self->month_from ||
          option->slot->delivery_date >= month_to)
        continue;
      add_day_total (self, option);
      self->n_slots++;
    }

  for (int d = 0; d < n_days; d++)
    {
      gint64 day = self->month_from + (gint64) d * DAY;
      gint64 *total = g_hash_table_lookup (self->day_totals, &day);
      GtkWidget *button = gtk_button_new ();
      GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 2);
      g_autofree char *number = g_strdup_printf ("%d", d + 1);
      g_autofree char *doses = NULL;
      GtkWidget *label;
      gint64 *key = g_new (gint64, 1);

      *key = day;
      gtk_widget_add_css_class (button, "card");
      gtk_widget_add_css_class (button, "slot-card");
      gtk_widget_add_css_class (button, "slot-day");
      if (total != NULL)
        gtk_widget_add_css_class (button, *total <= 0 ? "slot-closed"
                                          : *total <= 2 ? "slot-low" : "slot-open");
      else
        gtk_widget_add_css_class (button, "dim-label");
      label = gtk_label_new (number);
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "heading");
      if (day <= now && now < day + DAY)
        gtk_widget_add_css_class (label, "accent");
      gtk_box_append (GTK_BOX (box), label);
      if (total != NULL)
        /* Translators: the doses still free on a day of the month view. */
        doses = g_strdup_printf (ngettext ("%" G_GINT64_FORMAT " dose left",
                                           "%" G_GINT64_FORMAT " doses left",
                                           (gulong) MIN (*total, 1000)), *total);
      label = gtk_label_new (doses != NULL ? doses : "");
      gtk_label_set_xalign (GTK_LABEL (label), 0);
      gtk_widget_add_css_class (label, "caption");
      gtk_box_append (GTK_BOX (box), label);
      gtk_button_set_child (GTK_BUTTON (button), box);
      g_object_set_data_full (G_OBJECT (button), "day", g_memdup2 (&day, sizeof day), g_free);
      g_signal_connect (button, "clicked", G_CALLBACK (on_day_clicked), self);
      gtk_grid_attach (self->calendar_grid, button, (offset + d) % 7, 1 + (offset + d) / 7, 1, 1);
      g_hash_table_insert (self->day_cells, key, button);
    }
}

static void
reload_calendar (BqSlotsPage *self)
{
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GError) error = NULL;
  const BqCentre *centre = selected_centre (self);
  g_autoptr(GDateTime) from_dt = g_date_time_new_from_unix_utc (self->week_from);
  g_autoptr(GDateTime) to_dt = g_date_time_new_from_unix_utc (self->week_from + 6 * DAY);
  g_autofree char *from_text = g_date_time_format (from_dt, "%e %b");
  g_autofree char *to_text = g_date_time_format (to_dt, "%e %b %Y");
  g_autofree char *range = g_strdup_printf ("%s – %s", g_strstrip (from_text),
                                            g_strstrip (to_text));
  gint64 now = page_now (self);
  guint rows[7] = { 0, };

  if (self->month_view)
    {
      reload_month (self);
      return;
    }
  gtk_label_set_text (self->range_label, range);
  clear_grid (self->calendar_grid);
  g_hash_table_remove_all (self->day_totals);
  g_hash_table_remove_all (self->day_cells);
  self->n_slots = 0;

  for (guint d = 0; d < 7; d++)
    {
      g_autoptr(GDateTime) day = g_date_time_new_from_unix_utc (self->week_from + d * DAY);
      g_autofree char *text = g_date_time_format (day, "%a %e");
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "heading");
      if (self->week_from + d * DAY <= now && now < self->week_from + (d + 1) * DAY)
        gtk_widget_add_css_class (label, "accent");
      gtk_grid_attach (self->calendar_grid, label, (int) d, 0, 1, 1);
      rows[d] = 1;
    }
  if (self->engine == NULL || centre == NULL)
    return;

  slots = bq_slot_engine_calendar (self->engine, bq_entity_get_id (centre), self->week_from,
                                   self->week_from + 7 * DAY, now, &error);
  if (slots == NULL)
    {
      g_debug ("slot calendar: %s", error->message);
      return;
    }
  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlotOption *option = g_ptr_array_index (slots, i);
      gint64 day = (option->slot->delivery_date - self->week_from) / DAY;

      if (day < 0 || day > 6)
        continue;
      gtk_grid_attach (self->calendar_grid, slot_card (self, option, now), (int) day,
                       (int) rows[day]++, 1, 1);
      add_day_total (self, option);
      self->n_slots++;
    }
  if (self->n_slots == 0)
    {
      GtkWidget *empty = gtk_label_new (_("No slots this week"));

      gtk_widget_add_css_class (empty, "dim-label");
      gtk_widget_set_margin_top (empty, 24);
      gtk_grid_attach (self->calendar_grid, empty, 0, 1, 7, 1);
    }
}

/* ---------------------------------------------------------------- pending */

static void
on_resolve_clicked (GtkButton *button,
                    gpointer   user_data)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (user_data);
  gint64 seq = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (button), "seq"));
  BqResolution resolution = GPOINTER_TO_INT (g_object_get_data (G_OBJECT (button), "resolution"));
  g_autoptr(GError) error = NULL;

  if (!bq_client_resolve_conflict (self->client, seq, resolution, &error))
    show_toast (self, error->message);
  reload (self);
}

static GtkWidget *
resolve_button (BqSlotsPage  *self,
                const char   *label,
                gint64        seq,
                BqResolution  resolution)
{
  GtkWidget *button = gtk_button_new_with_label (label);

  gtk_widget_set_valign (button, GTK_ALIGN_CENTER);
  g_object_set_data (G_OBJECT (button), "seq", GSIZE_TO_POINTER ((gsize) seq));
  g_object_set_data (G_OBJECT (button), "resolution", GINT_TO_POINTER (resolution));
  g_signal_connect (button, "clicked", G_CALLBACK (on_resolve_clicked), self);
  return button;
}

/* The alternatives of a refused booking, one per line. */
static char *
alternatives_text (const char *server_json)
{
  g_autoptr(JsonNode) node = server_json != NULL ? bq_json_parse (server_json, -1, NULL) : NULL;
  g_autoptr(GString) text = g_string_new (NULL);
  JsonNode *member;
  JsonArray *array;

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return NULL;
  member = json_object_get_member (json_node_get_object (node), "alternatives");
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member))
    return NULL;
  array = json_node_get_array (member);
  for (guint i = 0; i < json_array_get_length (array) && i < 3; i++)
    {
      JsonObject *option = json_array_get_object_element (array, i);

      g_string_append_printf (text, "%s• %s", i > 0 ? "\n" : "",
                              json_object_get_string_member_with_default (option, "summary", ""));
    }
  return text->len > 0 ? g_string_free (g_steal_pointer (&text), FALSE) : NULL;
}

static void
reload_pending (BqSlotsPage *self)
{
  g_autoptr(GPtrArray) outbox = NULL;
  GtkWidget *child;
  guint n = 0;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->pending_list))) != NULL)
    gtk_list_box_remove (self->pending_list, child);
  if (self->client == NULL)
    {
      gtk_widget_set_visible (GTK_WIDGET (self->pending_group), FALSE);
      return;
    }

  outbox = bq_client_list_outbox (self->client);
  for (guint i = 0; i < outbox->len; i++)
    {
      const BqOutboxEntry *entry = g_ptr_array_index (outbox, i);
      g_autoptr(BqOrder) order = NULL;
      g_autofree char *title = NULL;
      g_autofree char *alternatives = NULL;
      GtkWidget *row;

      if (entry->path == NULL ||
          !(g_str_has_suffix (entry->path, "/claim") ||
            g_str_has_suffix (entry->path, "/reschedule") ||
            g_str_has_suffix (entry->path, "/cancel")))
        continue;
      order = bq_store_get (bq_client_get_store (self->client), &bq_order_type,
                            entry->entity_id, NULL);
      if (g_str_has_suffix (entry->path, "/reschedule"))
        title = g_strdup_printf (_("Rescheduling %s"),
                                 order != NULL ? order->patient_ref : entry->entity_id);
      else if (g_str_has_suffix (entry->path, "/cancel"))
        title = g_strdup_printf (_("Cancelling %s"),
                                 order != NULL ? order->patient_ref : entry->entity_id);
      else
        title = g_strdup_printf (_("Booking for %s"),
                                 order != NULL ? order->patient_ref : entry->entity_id);
      row = adw_action_row_new ();
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      if (entry->state == BQ_OUTBOX_PENDING)
        {
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row),
                                       _("Not yet guaranteed — waiting for the server"));
          gtk_widget_add_css_class (row, "slot-pending");
        }
      else
        {
          g_autofree char *subtitle = NULL;

          alternatives = alternatives_text (entry->server_json);
          subtitle = g_strdup_printf ("%s%s%s", entry->error_message != NULL
                                                ? entry->error_message : _("Refused"),
                                      alternatives != NULL ? _("\nAlternatives:\n") : "",
                                      alternatives != NULL ? alternatives : "");
          adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
          gtk_widget_add_css_class (row, "slot-refused");
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     resolve_button (self, _("Try Again"), entry->seq,
                                                     BQ_RESOLVE_KEEP_MINE));
          adw_action_row_add_suffix (ADW_ACTION_ROW (row),
                                     resolve_button (self, _("Drop"), entry->seq,
                                                     BQ_RESOLVE_TAKE_THEIRS));
        }
      gtk_list_box_append (self->pending_list, row);
      n++;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->pending_group), n > 0);
}

/* The booking made here, followed to the server's id once accepted. */
static void
update_booking_status (BqSlotsPage *self)
{
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(GPtrArray) actions = NULL;
  BqStore *store;

  if (self->client == NULL || self->order_id == NULL)
    return;
  store = bq_client_get_store (self->client);
  order = bq_store_get (store, &bq_order_type, self->order_id, NULL);
  if (order == NULL && self->order_patient != NULL)
    {
      g_autoptr(GPtrArray) orders = bq_store_list (store, &bq_order_type, NULL);

      for (guint i = 0; orders != NULL && i < orders->len; i++)
        {
          BqOrder *candidate = g_ptr_array_index (orders, i);

          if (g_strcmp0 (candidate->patient_ref, self->order_patient) == 0 &&
              candidate->status != BQ_ORDER_CANCELLED)
            {
              g_free (self->order_id);
              self->order_id = g_strdup (bq_entity_get_id (candidate));
              order = bq_entity_copy (candidate);
              break;
            }
        }
    }
  if (order == NULL)
    {
      set_status (self, _("The booking was dropped"));
      g_clear_pointer (&self->order_id, g_free);
      return;
    }
  actions = bq_client_list_actions (self->client, &bq_order_type, self->order_id);
  if (actions->len > 0)
    {
      const BqOutboxEntry *first = g_ptr_array_index (actions, 0);

      if (first->state == BQ_OUTBOX_CONFLICT)
        set_status (self, _("Refused by the server — see the alternatives below"));
      else
        set_status (self, _("Not yet guaranteed — waiting for the server"));
    }
  else if (order->status == BQ_ORDER_CONFIRMED)
    set_status (self, _("Confirmed: the dose is guaranteed"));
  else
    set_status (self, _("Booked: the dose is guaranteed; confirm the order"));
}

static void
reload (BqSlotsPage *self)
{
  reload_calendar (self);
  reload_pending (self);
  update_booking_status (self);
  update_actions (self);
}

static gboolean
reload_cb (gpointer user_data)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (user_data);

  self->reload_id = 0;
  if (self->engine != NULL)
    bq_slot_engine_invalidate (self->engine);
  reload (self);
  return G_SOURCE_REMOVE;
}

static void
queue_reload (BqSlotsPage *self)
{
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (50, reload_cb, self);
}

/* ------------------------------------------------------------ reference */

static void
load_reference (BqSlotsPage *self)
{
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(GtkStringList) names = gtk_string_list_new (NULL);
  g_autofree char *previous = NULL;
  const BqUser *user;
  BqStore *store;
  guint selected = 0;

  if (selected_centre (self) != NULL)
    previous = g_strdup (bq_entity_get_id (selected_centre (self)));
  g_clear_pointer (&self->centres, g_ptr_array_unref);
  g_clear_pointer (&self->product, bq_entity_free);
  self->centres = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_entity_free);
  if (self->client == NULL)
    {
      gtk_drop_down_set_model (self->centre_dropdown, G_LIST_MODEL (names));
      return;
    }
  store = bq_client_get_store (self->client);
  user = bq_client_get_user (self->client);
  centres = bq_store_list (store, &bq_centre_type, NULL);
  for (guint i = 0; centres != NULL && i < centres->len; i++)
    {
      BqCentre *centre = g_ptr_array_index (centres, i);

      /* An account manager books for the centres they serve only. */
      if (user != NULL && !bq_policy_serves_centre (user, bq_entity_get_id (centre)))
        continue;
      if (g_strcmp0 (bq_entity_get_id (centre), previous) == 0)
        selected = self->centres->len;
      g_ptr_array_add (self->centres, bq_entity_copy (centre));
      gtk_string_list_append (names, centre->name);
    }
  gtk_drop_down_set_model (self->centre_dropdown, G_LIST_MODEL (names));
  if (self->centres->len > 0)
    gtk_drop_down_set_selected (self->centre_dropdown, selected);

  products = bq_store_list (store, &bq_product_type, NULL);
  for (guint i = 0; products != NULL && i < products->len; i++)
    {
      BqProduct *product = g_ptr_array_index (products, i);

      /* The demo's main product first; any product otherwise. */
      if (self->product == NULL || g_strcmp0 (bq_entity_get_id (product),
                                              "product-lu177-psma") == 0)
        {
          g_clear_pointer (&self->product, bq_entity_free);
          self->product = bq_entity_copy (product);
        }
    }
  if (self->product != NULL)
    {
      g_autofree char *dose = bq_units_format_activity (self->product->dose_activity_bq,
                                                        BQ_ACTIVITY_UNIT_AUTO);
      g_autofree char *subtitle = g_strdup_printf (_("%s, dose %s"), self->product->nuclide, dose);

      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (self->product_row), self->product->name);
      adw_action_row_set_subtitle (self->product_row, subtitle);
      if (*gtk_editable_get_text (GTK_EDITABLE (self->activity_row)) == '\0')
        gtk_editable_set_text (GTK_EDITABLE (self->activity_row), dose);
    }
}

static void
on_client_changed (BqSlotsPage *self,
                   const char  *kind,
                   BqClient    *client)
{
  if (g_strcmp0 (kind, "centre") == 0 || g_strcmp0 (kind, "product") == 0)
    load_reference (self);
  queue_reload (self);
}

static void
on_client_notify (BqSlotsPage *self,
                  GParamSpec  *pspec,
                  BqClient    *client)
{
  if (g_strcmp0 (pspec->name, "user") == 0)
    load_reference (self);
  queue_reload (self);
}

/* -------------------------------------------------------------- booking */

static void
clear_options (BqSlotsPage *self)
{
  GtkWidget *child;

  g_ptr_array_set_size (self->options, 0);
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->options_list))) != NULL)
    gtk_list_box_remove (self->options_list, child);
  gtk_widget_set_visible (GTK_WIDGET (self->estimate_label), FALSE);
}

static void
show_options (BqSlotsPage *self,
              JsonNode    *match,
              gboolean     offline)
{
  JsonObject *object;
  JsonArray *feasible;

  clear_options (self);
  self->offline_estimate = offline;
  gtk_widget_set_visible (GTK_WIDGET (self->estimate_label), offline);
  if (match == NULL || !JSON_NODE_HOLDS_OBJECT (match))
    return;
  object = json_node_get_object (match);
  if (!json_object_has_member (object, "feasible"))
    return;
  feasible = json_object_get_array_member (object, "feasible");
  for (guint i = 0; i < json_array_get_length (feasible); i++)
    {
      JsonObject *option = json_array_get_object_element (feasible, i);
      GtkWidget *row = adw_action_row_new ();
      g_autofree char *title = NULL;
      g_autofree char *remaining = NULL;

      g_ptr_array_add (self->options, json_object_ref (option));
      title = g_strdup_printf ("%u. %s", i + 1,
                               json_object_get_string_member_with_default (option, "slot_id", ""));
      remaining = g_strdup_printf (_("%s (%" G_GINT64_FORMAT " left)"),
                                   json_object_get_string_member_with_default (option, "summary",
                                                                               ""),
                                   json_object_get_int_member_with_default (option, "remaining",
                                                                            0));
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_action_row_set_subtitle (ADW_ACTION_ROW (row), remaining);
      adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 3);
      gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), TRUE);
      gtk_list_box_append (self->options_list, row);
    }
  if (self->options->len > 0)
    gtk_list_box_select_row (self->options_list, gtk_list_box_get_row_at_index (self->options_list,
                                                                                 0));
  else
    set_message (self, _("No slot serves this order: try another window or activity"));
  update_actions (self);
}

typedef struct {
  char   *centre_id;
  double  prescribed_bq;
  gint64  admin_start;
  gint64  admin_end;
  char   *patient_ref;
} Request;

static void
request_clear (Request *request)
{
  g_free (request->centre_id);
  g_free (request->patient_ref);
}

/* Reads and checks the booking pane. */
static gboolean
read_request (BqSlotsPage  *self,
              Request      *request,
              GError      **error)
{
  const BqCentre *centre = selected_centre (self);
  const char *patient = gtk_editable_get_text (GTK_EDITABLE (self->patient_row));
  const char *activity = gtk_editable_get_text (GTK_EDITABLE (self->activity_row));
  const char *admin = gtk_editable_get_text (GTK_EDITABLE (self->admin_row));
  const char *window = gtk_editable_get_text (GTK_EDITABLE (self->window_row));
  g_autoptr(BqOrder) probe = bq_order_new ();
  g_autoptr(GError) local_error = NULL;
  double window_s = 4 * 3600;

  memset (request, 0, sizeof *request);
  if (centre == NULL || self->product == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   _("Choose a centre first (nothing synced yet?)"));
      return FALSE;
    }
  request->prescribed_bq = self->product->dose_activity_bq;
  if (*activity != '\0' && !bq_units_parse_activity (activity, &request->prescribed_bq, &local_error))
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   _("Prescribed activity: %s (for example “7.4 GBq”)"), local_error->message);
      return FALSE;
    }
  if (!bq_units_parse_time (admin, &request->admin_start, &local_error))
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   _("Administration time: %s (for example “2026-12-02T08:00Z”)"),
                   local_error->message);
      return FALSE;
    }
  if (*window != '\0' && !bq_units_parse_duration (window, &window_s, &local_error))
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Window: %s"),
                   local_error->message);
      return FALSE;
    }
  request->admin_end = request->admin_start + (gint64) window_s;
  request->centre_id = g_strdup (bq_entity_get_id (centre));
  request->patient_ref = g_strstrip (g_strdup (patient));

  /* The order's own rules: a pseudonymous reference, never a name. */
  probe->centre_id = g_strdup (request->centre_id);
  probe->product_id = g_strdup (bq_entity_get_id (self->product));
  probe->patient_ref = g_strdup (*request->patient_ref != '\0' ? request->patient_ref : "?");
  probe->prescribed_activity_bq = request->prescribed_bq;
  probe->admin_start = request->admin_start;
  probe->admin_end = request->admin_end;
  if (*request->patient_ref == '\0')
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   _("Enter the patient reference the centre uses, like “PT-4821”"));
      request_clear (request);
      return FALSE;
    }
  if (!bq_entity_validate (probe, &local_error))
    {
      if (strstr (local_error->message, "patient_ref") != NULL)
        g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                     _("“%s” looks like a name. Use the pseudonymous reference the centre "
                       "gives the patient (like “PT-4821”): no names leave the hospital."),
                     request->patient_ref);
      else
        g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, "%s", local_error->message);
      request_clear (request);
      return FALSE;
    }
  return TRUE;
}

static char *
request_json (BqSlotsPage   *self,
              const Request *request,
              gboolean       with_patient)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *start = bq_units_format_time (request->admin_start);
  g_autofree char *end = bq_units_format_time (request->admin_end);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "centre_id");
  json_builder_add_string_value (builder, request->centre_id);
  json_builder_set_member_name (builder, "product_id");
  json_builder_add_string_value (builder, bq_entity_get_id (self->product));
  if (with_patient)
    {
      json_builder_set_member_name (builder, "patient_ref");
      json_builder_add_string_value (builder, request->patient_ref);
    }
  json_builder_set_member_name (builder, "prescribed_activity_bq");
  json_builder_add_double_value (builder, request->prescribed_bq);
  json_builder_set_member_name (builder, "admin_start");
  json_builder_add_string_value (builder, start);
  json_builder_set_member_name (builder, "admin_end");
  json_builder_add_string_value (builder, end);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  return json_to_string (node, FALSE);
}

static void
match_locally (BqSlotsPage   *self,
               const Request *request)
{
  g_autoptr(BqSlotMatch) match = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  BqSlotRequest slot_request;
  const BqUser *user = bq_client_get_user (self->client);

  bq_slot_request_init (&slot_request);
  slot_request.centre_id = request->centre_id;
  slot_request.product_id = bq_entity_get_id (self->product);
  slot_request.prescribed_bq = request->prescribed_bq;
  slot_request.admin_start = request->admin_start;
  slot_request.admin_end = request->admin_end;
  slot_request.now = page_now (self);
  slot_request.user_id = user != NULL ? bq_entity_get_id (user) : NULL;
  slot_request.max_options = 10;
  match = bq_slot_engine_match (self->engine, &slot_request, &error);
  if (match == NULL)
    {
      set_message (self, error->message);
      clear_options (self);
      return;
    }
  node = bq_slot_match_to_json (match);
  show_options (self, node, TRUE);
}

typedef struct {
  BqSlotsPage *self;
  Request      request;
} Find;

static void
find_free (Find *find)
{
  g_object_unref (find->self);
  request_clear (&find->request);
  g_free (find);
}

static void
on_match_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Find *find = user_data;
  BqSlotsPage *self = find->self;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  reply = bq_client_call_finish (BQ_CLIENT (source), result, &status, &error);
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      find_free (find);
      return;
    }
  self->busy = FALSE;
  if (reply == NULL)
    match_locally (self, &find->request);     /* the server is out of reach */
  else if (status != 200)
    {
      set_message (self, bq_client_reply_message (reply) != NULL
                         ? bq_client_reply_message (reply) : _("The server refused the search"));
      clear_options (self);
    }
  else
    show_options (self, reply, FALSE);
  update_actions (self);
  find_free (find);
}

gboolean
bq_slots_page_find (BqSlotsPage  *self,
                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *body = NULL;
  Find *find;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);

  if (self->client == NULL)
    return FALSE;
  set_message (self, NULL);
  find = g_new0 (Find, 1);
  if (!read_request (self, &find->request, &local_error))
    {
      g_free (find);
      set_message (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  find->self = g_object_ref (self);
  if (bq_client_get_state (self->client) == BQ_CLIENT_STATE_OFFLINE)
    {
      match_locally (self, &find->request);
      find_free (find);
      return TRUE;
    }
  body = request_json (self, &find->request, FALSE);
  self->busy = TRUE;
  update_actions (self);
  bq_client_call_async (self->client, "POST", "/api/v1/slots/match", body, self->cancellable,
                        on_match_done, find);
  return TRUE;
}

static JsonObject *
selected_option (BqSlotsPage *self)
{
  GtkListBoxRow *row = gtk_list_box_get_selected_row (self->options_list);
  int index = row != NULL ? gtk_list_box_row_get_index (row) : -1;

  if (index < 0 || (guint) index >= self->options->len)
    return NULL;
  return g_ptr_array_index (self->options, index);
}

static void
on_hold_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BqSlotsPage) self = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  guint status = 0;

  reply = bq_client_call_finish (BQ_CLIENT (source), result, &status, &error);
  if (reply == NULL)
    set_status (self, error->message);
  else if (status != 200)
    set_status (self, bq_client_reply_message (reply));
  else
    set_status (self, _("Held for you while you fill in the order"));
}

static void
hold_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (widget);
  JsonObject *option = selected_option (self);
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  if (option == NULL)
    return;
  escaped = g_uri_escape_string (json_object_get_string_member (option, "slot_id"), NULL, FALSE);
  path = g_strdup_printf ("/api/v1/slots/%s/hold", escaped);
  bq_client_call_async (self->client, "POST", path, NULL, self->cancellable, on_hold_done,
                        g_object_ref (self));
}

gboolean
bq_slots_page_book (BqSlotsPage  *self,
                    GError      **error)
{
  g_autoptr(GError) local_error = NULL;
  g_autofree char *body = NULL;
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;
  g_autofree char *order_id = NULL;
  Request request;
  JsonObject *option;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);

  option = selected_option (self);
  if (option == NULL || self->client == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Choose a slot first"));
      return FALSE;
    }
  if (!read_request (self, &request, &local_error))
    {
      set_message (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  if (self->reschedule_id != NULL)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;
      g_autofree char *start = bq_units_format_time (request.admin_start);
      g_autofree char *end = bq_units_format_time (request.admin_end);

      /* The order moves to the chosen slot (and window); the old slot
       * gets its dose back, on the server, atomically. */
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "slot_id");
      json_builder_add_string_value (builder, json_object_get_string_member (option, "slot_id"));
      json_builder_set_member_name (builder, "admin_start");
      json_builder_add_string_value (builder, start);
      json_builder_set_member_name (builder, "admin_end");
      json_builder_add_string_value (builder, end);
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      body = json_to_string (node, FALSE);
      escaped = g_uri_escape_string (self->reschedule_id, NULL, FALSE);
      path = g_strdup_printf ("/api/v1/orders/%s/reschedule", escaped);
      if (!bq_client_queue_action (self->client, "POST", path, body, &bq_order_type,
                                   self->reschedule_id, NULL, NULL, &local_error))
        {
          set_message (self, local_error->message);
          g_propagate_error (error, g_steal_pointer (&local_error));
          request_clear (&request);
          return FALSE;
        }
      g_free (self->order_id);
      self->order_id = g_strdup (self->reschedule_id);
      g_free (self->order_patient);
      self->order_patient = g_strdup (request.patient_ref);
      request_clear (&request);
      set_message (self, NULL);
      reload_pending (self);
      update_booking_status (self);
      update_actions (self);
      return TRUE;
    }
  body = request_json (self, &request, TRUE);
  escaped = g_uri_escape_string (json_object_get_string_member (option, "slot_id"), NULL, FALSE);
  path = g_strdup_printf ("/api/v1/slots/%s/claim", escaped);
  /* Through the outbox: offline too, exactly once, refused as a conflict. */
  if (!bq_client_queue_action (self->client, "POST", path, body, &bq_order_type, NULL, &order_id,
                               NULL, &local_error))
    {
      set_message (self, local_error->message);
      g_propagate_error (error, g_steal_pointer (&local_error));
      request_clear (&request);
      return FALSE;
    }
  g_free (self->order_id);
  self->order_id = g_steal_pointer (&order_id);
  g_free (self->order_patient);
  self->order_patient = g_strdup (request.patient_ref);
  request_clear (&request);
  set_message (self, NULL);
  reload_pending (self);
  update_booking_status (self);
  update_actions (self);
  return TRUE;
}

gboolean
bq_slots_page_confirm (BqSlotsPage  *self,
                       GError      **error)
{
  g_autofree char *escaped = NULL;
  g_autofree char *path = NULL;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);

  if (self->order_id == NULL || self->client == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Book a slot first"));
      return FALSE;
    }
  escaped = g_uri_escape_string (self->order_id, NULL, FALSE);
  path = g_strdup_printf ("/api/v1/orders/%s/confirm", escaped);
  if (!bq_client_queue_action (self->client, "POST", path, NULL, &bq_order_type, self->order_id,
                               NULL, NULL, error))
    return FALSE;
  set_status (self, _("Confirming…"));
  return TRUE;
}

static void
book_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  bq_slots_page_book (BQ_SLOTS_PAGE (widget), NULL);
}

static void
confirm_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  g_autoptr(GError) error = NULL;

  if (!bq_slots_page_confirm (BQ_SLOTS_PAGE (widget), &error))
    show_toast (BQ_SLOTS_PAGE (widget), error->message);
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  bq_slots_page_find (BQ_SLOTS_PAGE (widget), NULL);
}

static void
new_booking_action (GtkWidget  *widget,
                    const char *action_name,
                    GVariant   *parameter)
{
  bq_slots_page_new_booking (BQ_SLOTS_PAGE (widget));
}

static void
week_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (widget);

  bq_slots_page_set_week (self, self->week_from + g_variant_get_int32 (parameter) * 7 * DAY);
}

static void
on_option_activated (BqSlotsPage   *self,
                     GtkListBoxRow *row,
                     GtkListBox    *list)
{
  /* Enter on a ranked option books it. */
  bq_slots_page_book (self, NULL);
}

static void
on_selection_changed (BqSlotsPage *self)
{
  update_actions (self);
}

static void
on_centre_selected (BqSlotsPage *self)
{
  clear_options (self);
  reload_calendar (self);
}

static void
move_month (BqSlotsPage *self,
            int          months)
{
  g_autoptr(GDateTime) first = g_date_time_new_from_unix_utc (self->month_from);
  g_autoptr(GDateTime) moved = g_date_time_add_months (first, months);

  self->month_from = g_date_time_to_unix (moved);
  reload_calendar (self);
}

static void
on_prev_clicked (BqSlotsPage *self)
{
  if (self->month_view)
    move_month (self, -1);
  else
    bq_slots_page_set_week (self, self->week_from - 7 * DAY);
}

static void
on_next_clicked (BqSlotsPage *self)
{
  if (self->month_view)
    move_month (self, 1);
  else
    bq_slots_page_set_week (self, self->week_from + 7 * DAY);
}

static void
set_month_view (BqSlotsPage *self,
                gboolean     month_view)
{
  month_view = !!month_view;
  if (month_view && !self->month_view)
    {
      /* The month holding most of the week shown: its Thursday's. */
      g_autoptr(GDateTime) thursday = g_date_time_new_from_unix_utc (self->week_from + 3 * DAY);
      g_autoptr(GDateTime) first = g_date_time_new_utc (g_date_time_get_year (thursday),
                                                        g_date_time_get_month (thursday),
                                                        1, 0, 0, 0);

      self->month_from = g_date_time_to_unix (first);
    }
  self->month_view = month_view;
  /* Keeps the toggles in step when switched from code; re-entry is a no-op. */
  gtk_toggle_button_set_active (self->month_toggle, month_view);
  gtk_toggle_button_set_active (self->week_toggle, !month_view);
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->prev_button),
                               month_view ? _("Previous Month") : _("Previous Week"));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->next_button),
                               month_view ? _("Next Month") : _("Next Week"));
  reload_calendar (self);
}

static void
on_view_toggled (BqSlotsPage *self)
{
  gboolean month = gtk_toggle_button_get_active (self->month_toggle);

  if (month != self->month_view)
    set_month_view (self, month);
}

static void
on_entry_activated (BqSlotsPage *self)
{
  bq_slots_page_find (self, NULL);
}

/* ----------------------------------------------------------------- object */

static void
bq_slots_page_dispose (GObject *object)
{
  BqSlotsPage *self = BQ_SLOTS_PAGE (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->engine);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->centres, g_ptr_array_unref);
  g_clear_pointer (&self->product, bq_entity_free);
  g_clear_pointer (&self->options, g_ptr_array_unref);
  g_clear_pointer (&self->order_id, g_free);
  g_clear_pointer (&self->order_patient, g_free);
  g_clear_pointer (&self->status_text, g_free);
  g_clear_pointer (&self->reschedule_id, g_free);
  g_clear_pointer (&self->day_totals, g_hash_table_unref);
  g_clear_pointer (&self->day_cells, g_hash_table_unref);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_SLOTS_PAGE);

  G_OBJECT_CLASS (bq_slots_page_parent_class)->dispose (object);
}

static void
bq_slots_page_class_init (BqSlotsPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_slots_page_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-slots-page.ui");
  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "bqslotspage");
#define CHILD(name) gtk_widget_class_bind_template_child (widget_class, BqSlotsPage, name)
  CHILD (main_box);
  CHILD (centre_dropdown);
  CHILD (prev_button);
  CHILD (next_button);
  CHILD (range_label);
  CHILD (calendar_grid);
  CHILD (week_toggle);
  CHILD (month_toggle);
  CHILD (booking_group);
  CHILD (product_row);
  CHILD (patient_row);
  CHILD (activity_row);
  CHILD (admin_row);
  CHILD (window_row);
  CHILD (message_label);
  CHILD (estimate_label);
  CHILD (options_list);
  CHILD (status_label);
  CHILD (pending_group);
  CHILD (pending_list);
#undef CHILD

  gtk_widget_class_install_action (widget_class, "slots.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "slots.hold", NULL, hold_action);
  gtk_widget_class_install_action (widget_class, "slots.book", NULL, book_action);
  gtk_widget_class_install_action (widget_class, "slots.confirm", NULL, confirm_action);
  gtk_widget_class_install_action (widget_class, "slots.new-booking", NULL, new_booking_action);
  gtk_widget_class_install_action (widget_class, "slots.week", "i", week_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_n, GDK_CONTROL_MASK,
                                       "slots.new-booking", NULL);
}

static void
bq_slots_page_init (BqSlotsPage *self)
{
  self->day_totals = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  self->day_cells = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, NULL);
  gtk_widget_init_template (GTK_WIDGET (self));

  self->now = BQ_TIME_UNSET;
  self->cancellable = g_cancellable_new ();
  self->options = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  {
    gint64 today = g_get_real_time () / G_USEC_PER_SEC;
    g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (today);

    today -= today % DAY;
    self->week_from = today - (g_date_time_get_day_of_week (dt) - 1) * DAY;
  }
  g_signal_connect_swapped (self->centre_dropdown, "notify::selected",
                            G_CALLBACK (on_centre_selected), self);
  g_signal_connect_swapped (self->prev_button, "clicked", G_CALLBACK (on_prev_clicked), self);
  g_signal_connect_swapped (self->month_toggle, "toggled", G_CALLBACK (on_view_toggled), self);
  g_signal_connect_swapped (self->next_button, "clicked", G_CALLBACK (on_next_clicked), self);
  g_signal_connect_swapped (self->options_list, "row-activated",
                            G_CALLBACK (on_option_activated), self);
  g_signal_connect_swapped (self->options_list, "selected-rows-changed",
                            G_CALLBACK (on_selection_changed), self);
  g_signal_connect_swapped (self->admin_row, "entry-activated", G_CALLBACK (on_entry_activated),
                            self);
  g_signal_connect_swapped (self->window_row, "entry-activated", G_CALLBACK (on_entry_activated),
                            self);
  g_signal_connect_swapped (self->activity_row, "entry-activated",
                            G_CALLBACK (on_entry_activated), self);
  g_signal_connect_swapped (self->patient_row, "entry-activated",
                            G_CALLBACK (on_entry_activated), self);
  reload (self);
}

GtkWidget *
bq_slots_page_new (void)
{
  return g_object_new (BQ_TYPE_SLOTS_PAGE, NULL);
}

void
bq_slots_page_set_client (BqSlotsPage *self,
                          BqClient    *client)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));
  g_return_if_fail (client == NULL || BQ_IS_CLIENT (client));

  if (self->client == client)
    return;
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->busy = FALSE;
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  g_clear_object (&self->engine);
  g_clear_pointer (&self->order_id, g_free);
  clear_options (self);
  if (client != NULL)
    {
      self->engine = bq_slot_engine_new (bq_client_get_store (client));
      g_signal_connect_object (client, "changed", G_CALLBACK (on_client_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::user", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::n-pending", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
    }
  load_reference (self);
  reload (self);
}

void
bq_slots_page_set_now (BqSlotsPage *self,
                       gint64       now)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));

  self->now = now;
  reload (self);
}

void
bq_slots_page_set_week (BqSlotsPage *self,
                        gint64       from)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));

  self->week_from = from - ((from % DAY) + DAY) % DAY;
  if (self->month_view)
    set_month_view (self, FALSE);
  else
    reload_calendar (self);
}

void
bq_slots_page_set_month_view (BqSlotsPage *self,
                              gboolean     month_view)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));
  set_month_view (self, month_view);
}

gboolean
bq_slots_page_get_month_view (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);
  return self->month_view;
}

gint64
bq_slots_page_get_week (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), 0);
  return self->week_from;
}

gint64
bq_slots_page_get_day_remaining (BqSlotsPage *self,
                                 gint64       day)
{
  gint64 *total;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), -1);
  total = g_hash_table_lookup (self->day_totals, &day);
  return total != NULL ? *total : -1;
}

GtkWidget *
bq_slots_page_get_day_cell (BqSlotsPage *self,
                            gint64       day)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  return g_hash_table_lookup (self->day_cells, &day);
}

gboolean
bq_slots_page_set_centre (BqSlotsPage *self,
                          const char  *centre_id)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);

  for (guint i = 0; self->centres != NULL && i < self->centres->len; i++)
    if (g_strcmp0 (bq_entity_get_id (g_ptr_array_index (self->centres, i)), centre_id) == 0)
      {
        gtk_drop_down_set_selected (self->centre_dropdown, i);
        return TRUE;
      }
  return FALSE;
}

const char *
bq_slots_page_get_centre (BqSlotsPage *self)
{
  const BqCentre *centre;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  centre = selected_centre (self);
  return centre != NULL ? bq_entity_get_id (centre) : NULL;
}

guint
bq_slots_page_get_n_slots (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), 0);
  return self->n_slots;
}

void
bq_slots_page_new_booking (BqSlotsPage *self)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->patient_row), "");
  gtk_editable_set_editable (GTK_EDITABLE (self->patient_row), TRUE);
  adw_preferences_group_set_title (self->booking_group, _("Booking"));
  g_clear_pointer (&self->reschedule_id, g_free);
  g_clear_pointer (&self->order_id, g_free);
  g_clear_pointer (&self->order_patient, g_free);
  clear_options (self);
  set_message (self, NULL);
  set_status (self, NULL);
  update_actions (self);
  gtk_widget_grab_focus (GTK_WIDGET (self->patient_row));
}

void
bq_slots_page_set_request (BqSlotsPage *self,
                           const char  *patient_ref,
                           const char  *activity,
                           gint64       admin_start,
                           gint64       window_s)
{
  g_autofree char *start = bq_units_format_time (admin_start);
  g_autofree char *window = window_s % 3600 == 0
                            ? g_strdup_printf ("%" G_GINT64_FORMAT "h", window_s / 3600)
                            : g_strdup_printf ("%" G_GINT64_FORMAT "min", window_s / 60);

  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));

  gtk_editable_set_text (GTK_EDITABLE (self->patient_row), patient_ref != NULL ? patient_ref : "");
  if (activity != NULL)
    gtk_editable_set_text (GTK_EDITABLE (self->activity_row), activity);
  else if (self->product != NULL)
    {
      g_autofree char *dose = bq_units_format_activity (self->product->dose_activity_bq,
                                                        BQ_ACTIVITY_UNIT_AUTO);

      gtk_editable_set_text (GTK_EDITABLE (self->activity_row), dose);
    }
  gtk_editable_set_text (GTK_EDITABLE (self->admin_row), start);
  gtk_editable_set_text (GTK_EDITABLE (self->window_row), window);
}

gboolean
bq_slots_page_is_busy (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);
  return self->busy;
}

guint
bq_slots_page_get_n_options (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), 0);
  return self->options->len;
}

const char *
bq_slots_page_get_option_slot (BqSlotsPage *self,
                               guint        index)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  g_return_val_if_fail (index < self->options->len, NULL);
  return json_object_get_string_member (g_ptr_array_index (self->options, index), "slot_id");
}

const char *
bq_slots_page_get_option_summary (BqSlotsPage *self,
                                  guint        index)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  g_return_val_if_fail (index < self->options->len, NULL);
  return json_object_get_string_member_with_default (g_ptr_array_index (self->options, index),
                                                     "summary", NULL);
}

gboolean
bq_slots_page_is_offline_estimate (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);
  return self->offline_estimate;
}

void
bq_slots_page_select_option (BqSlotsPage *self,
                             guint        index)
{
  g_return_if_fail (BQ_IS_SLOTS_PAGE (self));
  gtk_list_box_select_row (self->options_list,
                           gtk_list_box_get_row_at_index (self->options_list, (int) index));
}

const char *
bq_slots_page_get_order_id (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  update_booking_status (self);
  return self->order_id;
}

const char *
bq_slots_page_get_status_text (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  return self->status_text != NULL ? self->status_text : "";
}

gboolean
bq_slots_page_reschedule_order (BqSlotsPage *self,
                                const char  *order_id)
{
  g_autoptr(BqOrder) order = NULL;
  g_autofree char *activity = NULL;
  g_autofree char *title = NULL;

  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), FALSE);
  g_return_val_if_fail (order_id != NULL, FALSE);

  if (self->client == NULL ||
      (order = bq_store_get (bq_client_get_store (self->client), &bq_order_type, order_id,
                             NULL)) == NULL)
    return FALSE;
  bq_slots_page_new_booking (self);
  self->reschedule_id = g_strdup (order_id);
  bq_slots_page_set_centre (self, order->centre_id);
  /* The week of the current administration, where the alternatives are. */
  bq_slots_page_set_week (self, order->admin_start -
                                ((order->admin_start / DAY + 3) % 7) * DAY);
  activity = bq_units_format_activity (order->prescribed_activity_bq, BQ_ACTIVITY_UNIT_AUTO);
  bq_slots_page_set_request (self, order->patient_ref, activity, order->admin_start,
                             MAX (order->admin_end - order->admin_start, 3600));
  /* The patient stays; the slot and the window may change. */
  gtk_editable_set_editable (GTK_EDITABLE (self->patient_row), FALSE);
  /* Translators: the booking pane's title while moving an order. */
  title = g_strdup_printf (_("Reschedule %s"), order->patient_ref);
  adw_preferences_group_set_title (self->booking_group, title);
  set_status (self, _("Pick the new slot, then Book: the old slot gets its dose back"));
  bq_slots_page_find (self, NULL);
  return TRUE;
}

const char *
bq_slots_page_get_reschedule_id (BqSlotsPage *self)
{
  g_return_val_if_fail (BQ_IS_SLOTS_PAGE (self), NULL);
  return self->reschedule_id;
}
