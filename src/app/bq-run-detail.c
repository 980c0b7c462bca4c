/* bq-run-detail.c — the selected run: times in site time, activity,
 * doses, QC results and its decay curve
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>

#include "bq-format.h"
#include "bq-run-detail.h"

struct _BqRunDetail
{
  GtkWidget             parent_instance;

  /* template */
  GtkLabel             *title_label;
  GtkLabel             *status_label;
  GtkToggleButton      *daughters_button;
  GtkToggleButton      *log_button;
  BqDecayPlot          *decay_plot;
  AdwActionRow         *product_row;
  AdwActionRow         *line_row;
  AdwActionRow         *activity_row;
  AdwActionRow         *doses_row;
  AdwActionRow         *synthesis_row;
  AdwActionRow         *calibration_row;
  AdwActionRow         *qc_row;
  AdwActionRow         *dispatch_row;
  AdwPreferencesGroup  *qc_group;
  AdwActionRow         *qc_empty_row;
  AdwPreferencesGroup  *slots_group;
  AdwActionRow         *slots_empty_row;
  AdwActionRow         *id_row;
  AdwActionRow         *revision_row;

  BqGanttData          *data;
  char                 *run_id;
  BqActivityUnit        unit;
  GPtrArray            *qc_rows;
  GPtrArray            *slot_rows;
  BqStore              *store;
};

G_DEFINE_FINAL_TYPE (BqRunDetail, bq_run_detail, GTK_TYPE_WIDGET)

static void
set_value (AdwActionRow *row,
           const char   *value)
{
  adw_action_row_set_subtitle (row, value != NULL && *value != '\0' ? value : _("None"));
}

static char *
format_moment (gint64     t,
               GTimeZone *zone)
{
  g_autoptr(GDateTime) utc = NULL;
  g_autoptr(GDateTime) local = NULL;

  if (t == BQ_TIME_UNSET || (utc = g_date_time_new_from_unix_utc (t)) == NULL)
    return NULL;
  local = g_date_time_to_timezone (utc, zone);
  /* Translators: a moment in site time: "Tue 24 Nov, 14:00 CET". */
  return g_date_time_format (local, _("%a %-d %b, %H:%M %Z"));
}

gboolean
bq_run_detail_fill_plot (BqDecayPlot     *plot,
                         const BqRun     *run,
                         const BqProduct *product,
                         GTimeZone       *zone)
{
  gint64 eos, calibration, qc_end, dispatch, expiry, to;

  g_return_val_if_fail (BQ_IS_DECAY_PLOT (plot), FALSE);

  if (run == NULL || product == NULL || !(run->activity_eos_bq > 0))
    {
      bq_decay_plot_clear (plot);
      return FALSE;
    }
  eos = run->eos_time;
  calibration = run->calibration_time != BQ_TIME_UNSET ? run->calibration_time : BQ_TIME_UNSET;
  qc_end = eos + MAX (product->qc_duration_s, 0);
  dispatch = qc_end + BQ_GANTT_PACKING_S;
  expiry = calibration != BQ_TIME_UNSET && product->shelf_life_s > 0
           ? calibration + product->shelf_life_s : BQ_TIME_UNSET;
  to = MAX (dispatch, calibration != BQ_TIME_UNSET ? calibration : eos);
  if (expiry != BQ_TIME_UNSET)
    to = MAX (to, expiry + (expiry - eos) / 10);
  else
    to = MAX (to + 86400, eos + 5 * 86400);

  if (!bq_decay_plot_set_curve (plot, product->nuclide, run->activity_eos_bq, eos, eos, to))
    return FALSE;
  bq_decay_plot_set_time_zone (plot, zone);
  bq_decay_plot_add_marker (plot, eos, _("EOS"));
  if (product->qc_duration_s > 0)
    bq_decay_plot_add_marker (plot, qc_end, _("QC"));
  bq_decay_plot_add_marker (plot, dispatch, _("Dispatch"));
  if (calibration != BQ_TIME_UNSET)
    {
      bq_decay_plot_add_marker (plot, calibration, _("Calibration"));
      /* The nominal dose is what each one must hold at calibration. */
      if (product->dose_activity_bq > 0)
        bq_decay_plot_set_prescribed (plot, product->dose_activity_bq, product->tolerance);
    }
  if (expiry != BQ_TIME_UNSET)
    {
      bq_decay_plot_set_expiry (plot, expiry);
      bq_decay_plot_add_marker (plot, expiry, _("Expiry"));
    }
  return TRUE;
}

gboolean
bq_run_detail_fill_dose_plot (BqDecayPlot   *plot,
                              BqStore       *store,
                              const BqOrder *order,
                              GTimeZone     *zone)
{
  g_autoptr(BqProduct) product = NULL;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqShipment) shipment = NULL;
  gint64 from, to, expiry = BQ_TIME_UNSET;

  g_return_val_if_fail (BQ_IS_DECAY_PLOT (plot), FALSE);
  g_return_val_if_fail (BQ_IS_STORE (store), FALSE);

  /* Single rows by id: cheap enough for the UI thread. */
  if (order == NULL || order->product_id == NULL ||
      (product = bq_store_get (store, &bq_product_type, order->product_id, NULL)) == NULL ||
      !(order->prescribed_activity_bq > 0))
    {
      bq_decay_plot_clear (plot);
      return FALSE;
    }
  if (order->run_id != NULL)
    run = bq_store_get (store, &bq_run_type, order->run_id, NULL);
  if (order->shipment_id != NULL)
    shipment = bq_store_get (store, &bq_shipment_type, order->shipment_id, NULL);

  from = run != NULL ? run->eos_time : order->admin_start - 3 * 86400;
  if (run != NULL && run->calibration_time != BQ_TIME_UNSET && product->shelf_life_s > 0)
    expiry = run->calibration_time + product->shelf_life_s;
  to = MAX (order->admin_end, order->admin_start) + 86400;
  if (expiry != BQ_TIME_UNSET)
    to = MAX (to, expiry + 6 * 3600);
  if (from >= order->admin_start)
    from = order->admin_start - 86400;

  if (!bq_decay_plot_set_curve (plot, product->nuclide, order->prescribed_activity_bq,
                                order->admin_start, from, to))
    return FALSE;
  bq_decay_plot_set_time_zone (plot, zone);
  bq_decay_plot_set_admin_window (plot, order->admin_start, order->admin_end);
  bq_decay_plot_set_prescribed (plot, order->prescribed_activity_bq, product->tolerance);
  if (run != NULL)
    {
      bq_decay_plot_add_marker (plot, run->eos_time, _("EOS"));
      bq_decay_plot_add_marker (plot, run->eos_time + MAX (product->qc_duration_s, 0) + BQ_GANTT_PACKING_S,
                                _("Dispatch"));
      if (run->calibration_time != BQ_TIME_UNSET)
        bq_decay_plot_add_marker (plot, run->calibration_time, _("Calibration"));
    }
  if (shipment != NULL && shipment->planned_arrival != BQ_TIME_UNSET)
    bq_decay_plot_add_marker (plot, shipment->actual_arrival != BQ_TIME_UNSET
                                    ? shipment->actual_arrival : shipment->planned_arrival,
                              _("Arrival"));
  if (expiry != BQ_TIME_UNSET)
    {
      bq_decay_plot_set_expiry (plot, expiry);
      bq_decay_plot_add_marker (plot, expiry, _("Expiry"));
    }
  return TRUE;
}

static void
clear_qc_rows (BqRunDetail *self)
{
  if (self->qc_rows == NULL)
    return;
  for (guint i = 0; i < self->qc_rows->len; i++)
    adw_preferences_group_remove (self->qc_group, g_ptr_array_index (self->qc_rows, i));
  g_ptr_array_set_size (self->qc_rows, 0);
}

static void
clear_slot_rows (BqRunDetail *self)
{
  if (self->slot_rows == NULL)
    return;
  for (guint i = 0; i < self->slot_rows->len; i++)
    adw_preferences_group_remove (self->slots_group, g_ptr_array_index (self->slot_rows, i));
  g_ptr_array_set_size (self->slot_rows, 0);
}

static GtkWidget *
status_pill (const char *text,
             const char *klass)
{
  GtkWidget *pill = gtk_label_new (text);

  gtk_widget_add_css_class (pill, "order-status");
  gtk_widget_add_css_class (pill, klass);
  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  return pill;
}

/* The run's slots from the cache, each with the orders holding it. */
static void
fill_slots (BqRunDetail *self,
            const BqRun *run,
            GTimeZone   *zone)
{
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(GError) error = NULL;

  clear_slot_rows (self);
  gtk_widget_set_visible (GTK_WIDGET (self->slots_group), self->store != NULL);
  if (self->store == NULL)
    return;
  query = bq_query_new (&bq_slot_type);
  bq_query_where_equals (query, "run_id", bq_entity_get_id (run));
  bq_query_order_by (query, "delivery_date", FALSE);
  slots = bq_store_query (self->store, query, &error);
  if (slots == NULL)
    {
      g_debug ("run slots: %s", error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->slots_empty_row), TRUE);
      return;
    }
  gtk_widget_set_visible (GTK_WIDGET (self->slots_empty_row), slots->len == 0);
  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlot *slot = g_ptr_array_index (slots, i);
      g_autoptr(BqQuery) order_query = bq_query_new (&bq_order_type);
      g_autoptr(GPtrArray) orders = NULL;
      g_autoptr(GDateTime) day = g_date_time_new_from_unix_utc (slot->delivery_date);
      g_autofree char *day_text = day != NULL ? g_date_time_format (day, _("%a %-d %b")) : NULL;
      g_autofree char *where = NULL;
      g_autofree char *title = NULL;
      g_autofree char *subtitle = NULL;
      GtkWidget *row = adw_expander_row_new ();
      guint n_orders = 0;

      if (slot->centre_id != NULL)
        {
          g_autoptr(BqCentre) centre = bq_store_get (self->store, &bq_centre_type,
                                                     slot->centre_id, NULL);

          where = g_strdup (centre != NULL ? centre->name : slot->centre_id);
        }
      else
        /* Translators: a slot shared by the centres of a region. */
        where = g_strdup_printf (_("Regional pool %s"), slot->region != NULL ? slot->region : "");
      title = g_strdup_printf ("%s · %s", day_text != NULL ? day_text : "", where);
      /* Translators: a slot's doses: "3 claimed · 1 held · 8 capacity". */
      subtitle = g_strdup_printf (_("%" G_GINT64_FORMAT " claimed · %" G_GINT64_FORMAT
                                    " held · %" G_GINT64_FORMAT " capacity"),
                                  slot->claimed, slot->held, slot->capacity);
      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
      adw_expander_row_set_subtitle (ADW_EXPANDER_ROW (row), subtitle);
      gtk_widget_set_tooltip_text (row, bq_entity_get_id (slot));

      bq_query_where_equals (order_query, "slot_id", bq_entity_get_id (slot));
      bq_query_order_by (order_query, "admin_start", FALSE);
      orders = bq_store_query (self->store, order_query, NULL);
      for (guint j = 0; orders != NULL && j < orders->len; j++)
        {
          const BqOrder *order = g_ptr_array_index (orders, j);
          g_autoptr(BqCentre) centre = NULL;
          g_autofree char *when = NULL;
          g_autofree char *order_subtitle = NULL;
          GtkWidget *order_row = adw_action_row_new ();

          if (order->centre_id != NULL)
            centre = bq_store_get (self->store, &bq_centre_type, order->centre_id, NULL);
          when = bq_format_window (order->admin_start, order->admin_end, zone);
          order_subtitle = g_strdup_printf ("%s\n%s", centre != NULL ? centre->name
                                                       : order->centre_id, when);
          adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (order_row), FALSE);
          adw_preferences_row_set_title (ADW_PREFERENCES_ROW (order_row), order->patient_ref);
          adw_action_row_set_subtitle (ADW_ACTION_ROW (order_row), order_subtitle);
          adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (order_row), 0);
          gtk_widget_add_css_class (order_row, "property-row");
          adw_action_row_add_suffix (ADW_ACTION_ROW (order_row),
                                     status_pill (bq_format_order_status (order->status),
                                                  bq_format_order_status_class (order->status)));
          adw_expander_row_add_row (ADW_EXPANDER_ROW (row), order_row);
          n_orders++;
        }
      {
        g_autofree char *count = g_strdup_printf (ngettext ("%u order", "%u orders", n_orders),
                                                  n_orders);
        GtkWidget *label = gtk_label_new (count);

        gtk_widget_add_css_class (label, "dim-label");
        gtk_widget_add_css_class (label, "numeric");
        gtk_widget_set_valign (label, GTK_ALIGN_CENTER);
        adw_expander_row_add_action (ADW_EXPANDER_ROW (row), label);
      }
      adw_expander_row_set_enable_expansion (ADW_EXPANDER_ROW (row), n_orders > 0);
      adw_expander_row_set_expanded (ADW_EXPANDER_ROW (row), n_orders > 0);
      g_object_set_data (G_OBJECT (row), "bq-n-orders", GUINT_TO_POINTER (n_orders));
      adw_preferences_group_add (self->slots_group, row);
      g_ptr_array_add (self->slot_rows, row);
    }
}

static void
fill (BqRunDetail *self)
{
  const BqGanttBar *bar = self->data != NULL ? bq_gantt_data_lookup_bar (self->data, self->run_id) : NULL;
  const BqRun *run;
  const BqProduct *product;
  GTimeZone *zone;
  g_autofree char *text = NULL;
  const char *classes[3] = { "run-status", NULL, NULL };

  clear_qc_rows (self);
  if (bar == NULL)
    {
      clear_slot_rows (self);
      bq_decay_plot_clear (self->decay_plot);
      return;
    }
  run = bar->run;
  product = bar->product;
  zone = bar->row->zone;

  gtk_label_set_label (self->title_label, run->batch ? run->batch : run->base.id);
  gtk_label_set_label (self->status_label, bq_gantt_run_status_label (run->status));
  classes[1] = bq_gantt_run_status_nick (run->status);
  gtk_widget_set_css_classes (GTK_WIDGET (self->status_label), classes);

  if (product != NULL)
    text = g_strdup_printf ("%s (%s)", product->name, product->nuclide);
  set_value (self->product_row, text != NULL ? text : run->product_id);
  g_clear_pointer (&text, g_free);

  if (bar->row->site != NULL && bar->row->site->organisation != NULL)
    text = g_strdup_printf ("%s\n%s · %s", bar->row->label, bar->row->site->name,
                            bar->row->site->organisation);
  else
    text = g_strdup (bar->row->label);
  set_value (self->line_row, text);
  g_clear_pointer (&text, g_free);

  text = bq_units_format_activity (run->activity_eos_bq, self->unit);
  set_value (self->activity_row, text);
  g_clear_pointer (&text, g_free);

  text = g_strdup_printf (_("%" G_GINT64_FORMAT " of %" G_GINT64_FORMAT), bar->doses_booked,
                          run->dose_capacity);
  set_value (self->doses_row, text);
  g_clear_pointer (&text, g_free);

  {
    g_autofree char *window = bq_format_window (bar->start, bar->eos, zone);

    text = g_strdup_printf ("%s\n%s", window, g_time_zone_get_identifier (zone));
    set_value (self->synthesis_row, text);
    g_clear_pointer (&text, g_free);
    g_free (window);
    window = bq_format_window (bar->eos, bar->qc_end, zone);
    set_value (self->qc_row, window);
  }
  text = format_moment (run->calibration_time, zone);
  set_value (self->calibration_row, text);
  g_clear_pointer (&text, g_free);
  text = format_moment (bar->dispatch, zone);
  set_value (self->dispatch_row, text);
  g_clear_pointer (&text, g_free);

  gtk_widget_set_visible (GTK_WIDGET (self->qc_empty_row), bar->qc_results->len == 0);
  set_value (self->qc_empty_row, _("No results yet"));
  for (guint i = 0; i < bar->qc_results->len; i++)
    {
      const BqQcResult *qc = g_ptr_array_index (bar->qc_results, i);
      GtkWidget *row = adw_action_row_new ();
      GtkWidget *pill = gtk_label_new (qc->status == BQ_QC_PASS ? _("Pass")
                                       : qc->status == BQ_QC_FAIL ? _("Fail") : _("Pending"));
      g_autofree char *value = NULL;

      adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
      adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), qc->test);
      if (!isnan (qc->value))
        value = g_strdup_printf ("%g %s", qc->value, qc->unit ? qc->unit : "");
      if (value != NULL)
        adw_action_row_set_subtitle (ADW_ACTION_ROW (row), value);
      gtk_widget_add_css_class (pill, "run-status");
      gtk_widget_add_css_class (pill, qc->status == BQ_QC_PASS ? "released"
                                      : qc->status == BQ_QC_FAIL ? "failed" : "qc");
      gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
      adw_action_row_add_suffix (ADW_ACTION_ROW (row), pill);
      adw_preferences_group_add (self->qc_group, row);
      g_ptr_array_add (self->qc_rows, row);
    }

  fill_slots (self, run, zone);

  set_value (self->id_row, run->base.id);
  text = g_strdup_printf ("%" G_GINT64_FORMAT, run->base.revision);
  set_value (self->revision_row, text);

  bq_run_detail_fill_plot (self->decay_plot, run, product, zone);
  bq_decay_plot_set_unit (self->decay_plot, self->unit);
  gtk_widget_set_visible (GTK_WIDGET (self->daughters_button),
                          bq_decay_plot_has_daughters (self->decay_plot));
}

static void
bq_run_detail_dispose (GObject *object)
{
  BqRunDetail *self = BQ_RUN_DETAIL (object);
  GtkWidget *child;

  g_clear_pointer (&self->data, bq_gantt_data_unref);
  g_clear_pointer (&self->qc_rows, g_ptr_array_unref);
  g_clear_pointer (&self->slot_rows, g_ptr_array_unref);
  g_clear_object (&self->store);

  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_RUN_DETAIL);
  /* The scrolled window at the top has no id, so the template leaves it. */
  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self))) != NULL)
    gtk_widget_unparent (child);

  G_OBJECT_CLASS (bq_run_detail_parent_class)->dispose (object);
}

static void
bq_run_detail_finalize (GObject *object)
{
  BqRunDetail *self = BQ_RUN_DETAIL (object);

  g_free (self->run_id);

  G_OBJECT_CLASS (bq_run_detail_parent_class)->finalize (object);
}

static void
bq_run_detail_class_init (BqRunDetailClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_run_detail_dispose;
  object_class->finalize = bq_run_detail_finalize;

  g_type_ensure (BQ_TYPE_DECAY_PLOT);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-run-detail.ui");
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, title_label);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, status_label);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, daughters_button);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, log_button);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, decay_plot);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, product_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, line_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, activity_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, doses_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, synthesis_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, calibration_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, qc_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, dispatch_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, qc_group);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, qc_empty_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, slots_group);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, slots_empty_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, id_row);
  gtk_widget_class_bind_template_child (widget_class, BqRunDetail, revision_row);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "rundetail");
}

static void
bq_run_detail_init (BqRunDetail *self)
{
  self->unit = BQ_ACTIVITY_UNIT_AUTO;
  self->qc_rows = g_ptr_array_new ();
  self->slot_rows = g_ptr_array_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  g_object_bind_property (self->log_button, "active", self->decay_plot, "log-scale",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
  g_object_bind_property (self->daughters_button, "active", self->decay_plot, "show-daughters",
                          G_BINDING_BIDIRECTIONAL | G_BINDING_SYNC_CREATE);
}

GtkWidget *
bq_run_detail_new (void)
{
  return g_object_new (BQ_TYPE_RUN_DETAIL, NULL);
}

void
bq_run_detail_set_run (BqRunDetail *self,
                       BqGanttData *data,
                       const char  *run_id)
{
  g_return_if_fail (BQ_IS_RUN_DETAIL (self));

  if (data != self->data)
    {
      if (data != NULL)
        bq_gantt_data_ref (data);
      g_clear_pointer (&self->data, bq_gantt_data_unref);
      self->data = data;
    }
  if (run_id != self->run_id)
    {
      g_free (self->run_id);
      self->run_id = g_strdup (run_id);
    }
  fill (self);
}

const char *
bq_run_detail_get_run_id (BqRunDetail *self)
{
  g_return_val_if_fail (BQ_IS_RUN_DETAIL (self), NULL);
  return self->run_id;
}

void
bq_run_detail_set_unit (BqRunDetail    *self,
                        BqActivityUnit  unit)
{
  g_return_if_fail (BQ_IS_RUN_DETAIL (self));

  self->unit = unit;
  fill (self);
}

BqDecayPlot *
bq_run_detail_get_decay_plot (BqRunDetail *self)
{
  g_return_val_if_fail (BQ_IS_RUN_DETAIL (self), NULL);
  return self->decay_plot;
}

void
bq_run_detail_set_store (BqRunDetail *self,
                         BqStore     *store)
{
  g_return_if_fail (BQ_IS_RUN_DETAIL (self));
  g_return_if_fail (store == NULL || BQ_IS_STORE (store));

  if (g_set_object (&self->store, store))
    fill (self);
}

guint
bq_run_detail_get_n_slots (BqRunDetail *self)
{
  g_return_val_if_fail (BQ_IS_RUN_DETAIL (self), 0);
  return self->slot_rows->len;
}

guint
bq_run_detail_get_n_slot_orders (BqRunDetail *self)
{
  guint n = 0;

  g_return_val_if_fail (BQ_IS_RUN_DETAIL (self), 0);
  for (guint i = 0; i < self->slot_rows->len; i++)
    n += GPOINTER_TO_UINT (g_object_get_data (g_ptr_array_index (self->slot_rows, i),
                                              "bq-n-orders"));
  return n;
}
