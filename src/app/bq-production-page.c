/* bq-production-page.c — the Gantt of production lines, planning and
 * capacity against demand, with the selected run's details
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "bq-format.h"
#include "bq-production-page.h"
#include "bq-window.h"

struct _BqProductionPage
{
  GtkWidget         parent_instance;

  /* template */
  AdwFlap          *flap;
  GtkLabel         *range_label;
  GtkToggleButton  *capacity_button;
  GtkSpinButton    *weeks_spin;
  GtkButton        *plan_button;
  GtkStack         *content_stack;
  GtkSpinner       *loading_spinner;
  AdwStatusPage    *empty_page;
  BqGantt          *gantt;
  GtkRevealer      *capacity_revealer;
  GtkLabel         *capacity_summary;
  GtkGrid          *capacity_grid;
  BqRunDetail      *run_detail;

  BqClient         *client;
  BqPlanner        *planner;       /* over the cache, for moves */
  GCancellable     *cancellable;
  BqGanttData      *data;
  BqPlan           *capacity;
  BqPlan           *proposal;
  GtkWindow        *plan_dialog;   /* weak */
  BqActivityUnit    unit;
  guint             reload_id;
  gboolean          loading;
  gboolean          reload_pending;
  gboolean          loaded;
  gboolean          planning;
};

G_DEFINE_FINAL_TYPE (BqProductionPage, bq_production_page, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LOADED,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void load_start (BqProductionPage *self);

static void
show_toast (BqProductionPage *self,
            const char       *text)
{
  GtkWidget *window = gtk_widget_get_ancestor (GTK_WIDGET (self), BQ_TYPE_WINDOW);

  if (window != NULL)
    bq_window_show_toast (BQ_WINDOW (window), text);
  else
    g_message ("%s", text);
}

static guint
weeks (BqProductionPage *self)
{
  return (guint) gtk_spin_button_get_value_as_int (self->weeks_spin);
}

static void
update_actions (BqProductionPage *self)
{
  gboolean have = self->data != NULL && bq_gantt_data_get_n_rows (self->data) > 0;

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "production.plan",
                                 self->client != NULL && have && !self->planning);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "production.today", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "production.zoom-in", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "production.zoom-out", have);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "production.close-details",
                                 gtk_widget_get_visible (GTK_WIDGET (self->flap)) &&
                                 adw_flap_get_reveal_flap (self->flap));
}

static void
update_state (BqProductionPage *self)
{
  const char *page;

  if (self->data == NULL)
    page = self->client != NULL ? "loading" : "empty";
  else if (bq_gantt_data_get_n_rows (self->data) == 0)
    page = "empty";
  else
    page = "gantt";
  gtk_stack_set_visible_child_name (self->content_stack, page);
  gtk_spinner_set_spinning (self->loading_spinner, strcmp (page, "loading") == 0);
  update_actions (self);
}

static void
on_gantt_view_changed (BqProductionPage *self)
{
  gint64 from, to;
  g_autoptr(GDateTime) a = NULL;
  g_autoptr(GDateTime) b = NULL;
  g_autofree char *start = NULL;
  g_autofree char *end = NULL;
  g_autofree char *text = NULL;

  bq_gantt_get_time_range (self->gantt, &from, &to);
  a = g_date_time_new_from_unix_local (from);
  b = g_date_time_new_from_unix_local (to);
  if (a == NULL || b == NULL)
    return;
  /* Translators: the ends of the visible time range, "Mon 23 Nov 08:00". */
  start = g_date_time_format (a, _("%a %-d %b %H:%M"));
  end = g_date_time_format (b, _("%a %-d %b %Y %H:%M"));
  text = g_strdup_printf ("%s – %s", start, end);
  gtk_label_set_label (self->range_label, text);
}

/* --------------------------------------------------------------- details */

static void
show_details (BqProductionPage *self,
              const char       *run_id)
{
  bq_run_detail_set_run (self->run_detail, self->data, run_id);
  adw_flap_set_reveal_flap (self->flap, run_id != NULL);
  update_actions (self);
}

static void
on_selected_run_changed (BqProductionPage *self,
                         GParamSpec       *pspec,
                         BqGantt          *gantt)
{
  show_details (self, bq_gantt_get_selected_run (gantt));
}

static void
on_run_activated (BqProductionPage *self,
                  const char       *run_id,
                  BqGantt          *gantt)
{
  show_details (self, run_id);
}

/* ----------------------------------------------------------------- moves */

/* Calibration stays at the same time of day (the planner calibrates for
 * noon), as many whole days later as the run moved, and after EOS. */
static gint64
moved_calibration (const BqRun *run,
                   gint64       delta,
                   gint64       new_eos)
{
  gint64 days, calibration;

  if (run->calibration_time == BQ_TIME_UNSET)
    return BQ_TIME_UNSET;
  days = (delta >= 0 ? delta + 43200 : delta - 43200) / 86400;
  calibration = run->calibration_time + days * 86400;
  while (calibration <= new_eos)
    calibration += 86400;
  return calibration;
}

gboolean
bq_production_page_move_run (BqProductionPage *self,
                             const char       *run_id,
                             const char       *line_id,
                             gint64            start,
                             GError          **error)
{
  g_autoptr(BqRun) run = NULL;
  gint64 delta;

  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), FALSE);
  g_return_val_if_fail (run_id != NULL && line_id != NULL, FALSE);

  if (self->client == NULL)
    {
      g_set_error_literal (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Not signed in"));
      return FALSE;
    }
  /* The cache as it is now, not as the Gantt last read it. */
  run = bq_store_get (bq_client_get_store (self->client), &bq_run_type, run_id, error);
  if (run == NULL)
    return FALSE;
  if (!bq_planner_check_move (self->planner, run, line_id, start, error))
    return FALSE;

  delta = start - run->start_time;
  g_free (run->line_id);
  run->line_id = g_strdup (line_id);
  run->start_time += delta;
  run->eos_time += delta;
  run->calibration_time = moved_calibration (run, delta, run->eos_time);
  return bq_client_queue_update (self->client, run, error);
}

static void
on_run_moved (BqProductionPage *self,
              const char       *run_id,
              const char       *line_id,
              gint64            start,
              BqGantt          *gantt)
{
  g_autoptr(GError) error = NULL;

  if (!bq_production_page_move_run (self, run_id, line_id, start, &error))
    {
      g_autofree char *text = g_strdup_printf (_("Could not move the run: %s"), error->message);

      show_toast (self, text);
      return;
    }
  if (self->client != NULL && bq_client_get_state (self->client) != BQ_CLIENT_STATE_ONLINE)
    show_toast (self, _("Run moved; the change is sent when the server can be reached"));
}

/* ------------------------------------------------------------------ load */

typedef struct {
  char        *path;
  guint        weeks;
  gboolean     propose;
  BqGanttData *data;
  BqPlan      *capacity;
  BqPlan      *proposal;
} Load;

static void
load_free (gpointer data)
{
  Load *load = data;

  g_free (load->path);
  g_clear_pointer (&load->data, bq_gantt_data_unref);
  g_clear_pointer (&load->capacity, bq_plan_free);
  g_clear_pointer (&load->proposal, bq_plan_free);
  g_free (load);
}

static gboolean
read_store (BqStore  *store,
            gboolean  snapshot,
            Load     *load,
            GError  **error)
{
  sqlite3 *db = bq_store_get_db (store);
  BqPlanOptions options;
  g_autoptr(BqPlanner) planner = NULL;
  gboolean ok = TRUE;

  bq_plan_options_init (&options);
  options.weeks = load->weeks;
  planner = bq_planner_new (store, &options);

  /* One read transaction, so runs and lines agree; deferred, so the
   * client's sync goes on writing meanwhile. */
  if (snapshot && sqlite3_exec (db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "cannot read the cache: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  if (load->propose)
    {
      load->proposal = bq_planner_propose (planner, error);
      ok = load->proposal != NULL;
    }
  else
    {
      load->data = bq_gantt_data_load (store, error);
      ok = load->data != NULL;
      if (ok)
        {
          /* Capacity is a summary: without forecasts it may fail; the
           * Gantt still shows. */
          load->capacity = bq_planner_capacity (planner, NULL);
        }
    }
  if (snapshot)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  return ok;
}

static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  Load *load = task_data;
  g_autoptr(BqStore) reader = NULL;
  GError *error = NULL;

  reader = bq_store_open (load->path, &error);
  if (reader == NULL || !read_store (reader, TRUE, load, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static void
run_load (BqProductionPage    *self,
          Load                *load,
          GAsyncReadyCallback  callback)
{
  g_autoptr(GTask) task = g_task_new (self, self->cancellable, callback, NULL);
  BqStore *store = bq_client_get_store (self->client);
  const char *path = bq_store_get_path (store);

  g_task_set_source_tag (task, run_load);
  g_task_set_task_data (task, load, load_free);
  if (path == NULL || *path == '\0' || strcmp (path, ":memory:") == 0)
    {
      /* A private in-memory cache (tests) has no file to open twice. */
      GError *error = NULL;

      if (!read_store (store, FALSE, load, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }
  load->path = g_strdup (path);
  g_task_run_in_thread (task, load_in_thread);
}

/* ------------------------------------------------------------- capacity */

typedef struct {
  gint64 demand;
  gint64 capacity;
} Cell;

static void
fill_capacity (BqProductionPage *self)
{
  GtkWidget *child;
  g_autoptr(GArray) week_list = g_array_new (FALSE, FALSE, sizeof (gint64));
  g_autoptr(GPtrArray) products = g_ptr_array_new ();
  g_autoptr(GHashTable) cells = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  gint64 gap;
  guint n;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (self->capacity_grid))) != NULL)
    gtk_grid_remove (self->capacity_grid, child);

  if (self->capacity == NULL || (n = bq_plan_get_n_capacity (self->capacity)) == 0)
    {
      gtk_label_set_label (self->capacity_summary, _("No forecasts for the coming weeks"));
      return;
    }

  /* Per week and product, over the regions. */
  for (guint i = 0; i < n; i++)
    {
      const BqPlanCapacity *row = bq_plan_get_capacity (self->capacity, i);
      g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%s", row->week_start, row->product_id);
      Cell *cell = g_hash_table_lookup (cells, key);
      gboolean known = FALSE;

      if (cell == NULL)
        {
          cell = g_new0 (Cell, 1);
          g_hash_table_insert (cells, g_steal_pointer (&key), cell);
        }
      cell->demand += row->demand;
      cell->capacity += row->capacity;
      for (guint w = 0; w < week_list->len; w++)
        known |= g_array_index (week_list, gint64, w) == row->week_start;
      if (!known)
        g_array_append_val (week_list, row->week_start);
      known = FALSE;
      for (guint p = 0; p < products->len; p++)
        known |= strcmp (g_ptr_array_index (products, p), row->product_id) == 0;
      if (!known)
        g_ptr_array_add (products, row->product_id);
    }

  for (guint w = 0; w < week_list->len; w++)
    {
      g_autoptr(GDateTime) monday = g_date_time_new_from_unix_utc (g_array_index (week_list, gint64, w));
      /* Translators: a week column: ISO week number and its Monday. */
      g_autofree char *text = g_date_time_format (monday, _("W%V · %-d %b"));
      GtkWidget *label = gtk_label_new (text);

      gtk_widget_add_css_class (label, "dim-label");
      gtk_widget_add_css_class (label, "caption-heading");
      gtk_grid_attach (self->capacity_grid, label, (int) w + 1, 0, 1, 1);
    }
  for (guint p = 0; p < products->len; p++)
    {
      const char *product_id = g_ptr_array_index (products, p);
      const BqProduct *product = self->data ? bq_gantt_data_lookup_product (self->data, product_id) : NULL;
      GtkWidget *name = gtk_label_new (product ? product->name : product_id);

      gtk_label_set_xalign (GTK_LABEL (name), 0);
      gtk_grid_attach (self->capacity_grid, name, 0, (int) p + 1, 1, 1);
      for (guint w = 0; w < week_list->len; w++)
        {
          g_autofree char *key = g_strdup_printf ("%" G_GINT64_FORMAT "/%s",
                                                  g_array_index (week_list, gint64, w), product_id);
          Cell *cell = g_hash_table_lookup (cells, key);
          g_autofree char *text = NULL;
          GtkWidget *label;

          if (cell == NULL)
            continue;
          if (cell->capacity < cell->demand)
            /* Translators: doses planned / forecast, and how many are missing. */
            text = g_strdup_printf (_("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT " (−%" G_GINT64_FORMAT ")"),
                                    cell->capacity, cell->demand, cell->demand - cell->capacity);
          else
            text = g_strdup_printf ("%" G_GINT64_FORMAT " / %" G_GINT64_FORMAT,
                                    cell->capacity, cell->demand);
          label = gtk_label_new (text);
          gtk_label_set_xalign (GTK_LABEL (label), 1);
          gtk_widget_add_css_class (label, "numeric");
          if (cell->capacity < cell->demand)
            gtk_widget_add_css_class (label, "capacity-gap");
          gtk_widget_set_tooltip_text (label, _("Doses planned / forecast"));
          gtk_grid_attach (self->capacity_grid, label, (int) w + 1, (int) p + 1, 1, 1);
        }
    }

  gap = bq_plan_get_total_gap (self->capacity);
  if (gap > 0)
    {
      g_autofree char *text = g_strdup_printf (ngettext ("Planned runs fall %" G_GINT64_FORMAT " dose short of the forecast",
                                                         "Planned runs fall %" G_GINT64_FORMAT " doses short of the forecast",
                                                         gap), gap);

      gtk_label_set_label (self->capacity_summary, text);
      gtk_widget_add_css_class (GTK_WIDGET (self->capacity_summary), "capacity-gap");
    }
  else
    {
      gtk_label_set_label (self->capacity_summary, _("Planned runs cover the forecast"));
      gtk_widget_remove_css_class (GTK_WIDGET (self->capacity_summary), "capacity-gap");
    }
}

/* ---------------------------------------------------------------- reload */

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (source);
  Load *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      g_warning ("Could not read production from the cache: %s", error->message);
    }
  else
    {
      g_clear_pointer (&self->data, bq_gantt_data_unref);
      self->data = g_steal_pointer (&load->data);
      g_clear_pointer (&self->capacity, bq_plan_free);
      self->capacity = g_steal_pointer (&load->capacity);
      bq_gantt_set_data (self->gantt, self->data);
      if (adw_flap_get_reveal_flap (self->flap))
        bq_run_detail_set_run (self->run_detail, self->data,
                               bq_run_detail_get_run_id (self->run_detail));
      fill_capacity (self);
    }
  self->loading = FALSE;
  if (self->reload_pending && self->client != NULL)
    {
      self->reload_pending = FALSE;
      load_start (self);
      return;
    }
  self->loaded = self->data != NULL;
  update_state (self);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
}

static void
load_start (BqProductionPage *self)
{
  Load *load;

  if (self->client == NULL)
    return;
  if (self->loading)
    {
      self->reload_pending = TRUE;
      return;
    }
  self->loading = TRUE;
  self->loaded = FALSE;
  load = g_new0 (Load, 1);
  load->weeks = weeks (self);
  run_load (self, load, on_load_done);
}

void
bq_production_page_reload (BqProductionPage *self)
{
  g_return_if_fail (BQ_IS_PRODUCTION_PAGE (self));
  load_start (self);
}

static gboolean
reload_cb (gpointer user_data)
{
  BqProductionPage *self = user_data;

  self->reload_id = 0;
  load_start (self);
  return G_SOURCE_REMOVE;
}

static void
on_client_changed (BqProductionPage *self,
                   const char       *kind,
                   BqClient         *client)
{
  static const BqEntityType * const watched[] = {
    &bq_run_type, &bq_line_type, &bq_site_type, &bq_product_type, &bq_maintenance_block_type,
    &bq_order_type, &bq_qc_result_type, &bq_forecast_type,
  };
  gboolean relevant = kind == NULL;

  for (guint i = 0; !relevant && i < G_N_ELEMENTS (watched); i++)
    relevant = strcmp (kind, watched[i]->name) == 0;
  if (!relevant)
    return;
  /* A sync brings many kinds one after another: read once for them. */
  self->loaded = FALSE;
  if (self->reload_id == 0)
    self->reload_id = g_timeout_add (50, reload_cb, self);
}

static void
on_client_user_changed (BqProductionPage *self,
                        GParamSpec       *pspec,
                        BqClient         *client)
{
  load_start (self);
}

void
bq_production_page_set_client (BqProductionPage *self,
                               BqClient         *client)
{
  g_return_if_fail (BQ_IS_PRODUCTION_PAGE (self));
  g_return_if_fail (client == NULL || BQ_IS_CLIENT (client));

  if (self->client == client)
    return;

  show_details (self, NULL);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  self->loading = FALSE;
  self->reload_pending = FALSE;
  self->loaded = FALSE;
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  g_clear_object (&self->planner);
  g_clear_pointer (&self->data, bq_gantt_data_unref);
  g_clear_pointer (&self->capacity, bq_plan_free);
  bq_gantt_set_data (self->gantt, NULL);
  bq_gantt_set_planner (self->gantt, NULL);
  bq_run_detail_set_store (self->run_detail, client != NULL ? bq_client_get_store (client) : NULL);

  if (client != NULL)
    {
      self->planner = bq_planner_new (bq_client_get_store (client), NULL);
      bq_gantt_set_planner (self->gantt, self->planner);
      g_signal_connect_object (client, "changed", G_CALLBACK (on_client_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::user", G_CALLBACK (on_client_user_changed), self,
                               G_CONNECT_SWAPPED);
      load_start (self);
    }
  update_state (self);
}

/* ------------------------------------------------------------------ plan */

static const char *
change_kind_label (BqPlanChangeKind kind)
{
  switch (kind)
    {
    case BQ_PLAN_CHANGE_ADD:
      return C_("plan change", "Add");
    case BQ_PLAN_CHANGE_MOVE:
      return C_("plan change", "Move");
    case BQ_PLAN_CHANGE_RESIZE:
      return C_("plan change", "Resize");
    case BQ_PLAN_CHANGE_REMOVE:
      return C_("plan change", "Cancel");
    default:
      return "?";
    }
}

static const char *
change_kind_class (BqPlanChangeKind kind)
{
  switch (kind)
    {
    case BQ_PLAN_CHANGE_ADD:
      return "released";
    case BQ_PLAN_CHANGE_MOVE:
      return "planned";
    case BQ_PLAN_CHANGE_RESIZE:
      return "qc";
    case BQ_PLAN_CHANGE_REMOVE:
    default:
      return "failed";
    }
}

static GtkWidget *
change_row (BqProductionPage   *self,
            const BqPlanChange *change)
{
  const BqRun *run = change->after != NULL ? change->after : change->before;
  const BqGanttRow *line = self->data ? bq_gantt_data_lookup_line (self->data, run->line_id) : NULL;
  const BqProduct *product = self->data ? bq_gantt_data_lookup_product (self->data, run->product_id) : NULL;
  GTimeZone *zone = line != NULL ? line->zone : NULL;
  g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
  g_autofree char *window = bq_format_window (run->start_time, run->eos_time, zone ? zone : utc);
  g_autofree char *title = g_strdup_printf ("%s · %s · %s", run->batch ? run->batch : run->base.id,
                                            product ? product->name : run->product_id,
                                            line ? line->label : run->line_id);
  g_autofree char *subtitle = g_strdup_printf ("%s\n%s", window, change->reason ? change->reason : "");
  GtkWidget *row = adw_action_row_new ();
  GtkWidget *pill = gtk_label_new (change_kind_label (change->kind));

  adw_preferences_row_set_use_markup (ADW_PREFERENCES_ROW (row), FALSE);
  adw_preferences_row_set_title (ADW_PREFERENCES_ROW (row), title);
  adw_action_row_set_subtitle (ADW_ACTION_ROW (row), subtitle);
  adw_action_row_set_subtitle_lines (ADW_ACTION_ROW (row), 0);
  gtk_widget_add_css_class (pill, "run-status");
  gtk_widget_add_css_class (pill, change_kind_class (change->kind));
  gtk_widget_set_valign (pill, GTK_ALIGN_CENTER);
  gtk_widget_set_size_request (pill, 64, -1);
  adw_action_row_add_prefix (ADW_ACTION_ROW (row), pill);
  return row;
}

gboolean
bq_production_page_apply_plan (BqProductionPage *self,
                               const BqPlan     *plan,
                               GError          **error)
{
  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);

  if (self->client == NULL)
    {
      g_set_error_literal (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED, _("Not signed in"));
      return FALSE;
    }
  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    {
      const BqPlanChange *change = bq_plan_get_change (plan, i);
      g_autoptr(BqRun) run = bq_entity_copy (change->after);
      gboolean ok;

      if (change->kind == BQ_PLAN_CHANGE_ADD)
        ok = bq_client_queue_create (self->client, run, error);
      else
        ok = bq_client_queue_update (self->client, run, error);
      if (!ok)
        return FALSE;
    }
  return TRUE;
}

static void
on_plan_response (AdwMessageDialog *dialog,
                  const char       *response,
                  BqProductionPage *self)
{
  g_autoptr(GError) error = NULL;

  if (strcmp (response, "apply") == 0 && self->proposal != NULL)
    {
      guint n = bq_plan_get_n_changes (self->proposal);

      if (!bq_production_page_apply_plan (self, self->proposal, &error))
        {
          g_autofree char *text = g_strdup_printf (_("Could not apply the plan: %s. Plan again."),
                                                   error->message);

          show_toast (self, text);
        }
      else
        {
          g_autofree char *text = g_strdup_printf (ngettext ("%u change queued", "%u changes queued", n), n);

          show_toast (self, text);
        }
    }
  g_clear_pointer (&self->proposal, bq_plan_free);
}

static void
show_proposal (BqProductionPage *self)
{
  GtkRoot *root = gtk_widget_get_root (GTK_WIDGET (self));
  const BqPlan *plan = self->proposal;
  guint n = bq_plan_get_n_changes (plan);
  guint counts[4] = { 0 };
  gint64 gap = bq_plan_get_total_gap (plan);
  g_autoptr(GString) body = g_string_new (NULL);
  GtkWidget *dialog;

  for (guint i = 0; i < n; i++)
    counts[MIN (bq_plan_get_change (plan, i)->kind, 3)]++;

  if (n == 0)
    g_string_append (body, _("The runs already planned cover the forecast: nothing to change."));
  else
    /* Translators: counts of proposed changes. */
    g_string_append_printf (body, _("%u added, %u moved, %u resized, %u cancelled."),
                            counts[BQ_PLAN_CHANGE_ADD], counts[BQ_PLAN_CHANGE_MOVE],
                            counts[BQ_PLAN_CHANGE_RESIZE], counts[BQ_PLAN_CHANGE_REMOVE]);
  if (gap > 0)
    {
      g_string_append_c (body, ' ');
      g_string_append_printf (body, ngettext ("Even so, %" G_GINT64_FORMAT " forecast dose cannot be made.",
                                              "Even so, %" G_GINT64_FORMAT " forecast doses cannot be made.",
                                              gap), gap);
    }

  dialog = adw_message_dialog_new (GTK_IS_WINDOW (root) ? GTK_WINDOW (root) : NULL,
                                   _("Proposed Plan"), body->str);
  gtk_window_set_default_size (GTK_WINDOW (dialog), 640, -1);
  if (n > 0)
    {
      GtkWidget *scrolled = gtk_scrolled_window_new ();
      GtkWidget *list = gtk_list_box_new ();

      gtk_scrolled_window_set_policy (GTK_SCROLLED_WINDOW (scrolled), GTK_POLICY_NEVER,
                                      GTK_POLICY_AUTOMATIC);
      gtk_scrolled_window_set_min_content_height (GTK_SCROLLED_WINDOW (scrolled), MIN (n, 5) * 70);
      gtk_scrolled_window_set_max_content_height (GTK_SCROLLED_WINDOW (scrolled), 420);
      gtk_scrolled_window_set_propagate_natural_height (GTK_SCROLLED_WINDOW (scrolled), TRUE);
      gtk_list_box_set_selection_mode (GTK_LIST_BOX (list), GTK_SELECTION_NONE);
      gtk_widget_add_css_class (list, "boxed-list");
      gtk_accessible_update_property (GTK_ACCESSIBLE (list), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                      _("Proposed changes"), -1);
      for (guint i = 0; i < n; i++)
        gtk_list_box_append (GTK_LIST_BOX (list), change_row (self, bq_plan_get_change (plan, i)));
      gtk_scrolled_window_set_child (GTK_SCROLLED_WINDOW (scrolled), list);
      adw_message_dialog_set_extra_child (ADW_MESSAGE_DIALOG (dialog), scrolled);
      adw_message_dialog_add_responses (ADW_MESSAGE_DIALOG (dialog),
                                        "cancel", _("_Cancel"),
                                        "apply", _("_Apply"),
                                        NULL);
      adw_message_dialog_set_response_appearance (ADW_MESSAGE_DIALOG (dialog), "apply",
                                                  ADW_RESPONSE_SUGGESTED);
      adw_message_dialog_set_default_response (ADW_MESSAGE_DIALOG (dialog), "apply");
      adw_message_dialog_set_close_response (ADW_MESSAGE_DIALOG (dialog), "cancel");
    }
  else
    {
      adw_message_dialog_add_response (ADW_MESSAGE_DIALOG (dialog), "close", _("_Close"));
    }
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_plan_response), self, 0);
  self->plan_dialog = GTK_WINDOW (dialog);
  g_object_add_weak_pointer (G_OBJECT (dialog), (gpointer *) &self->plan_dialog);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_propose_done (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (source);
  Load *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  self->planning = FALSE;
  update_actions (self);
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      g_autofree char *text = NULL;

      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        return;
      text = g_strdup_printf (_("Could not plan: %s"), error->message);
      show_toast (self, text);
      return;
    }
  g_clear_pointer (&self->proposal, bq_plan_free);
  self->proposal = g_steal_pointer (&load->proposal);
  show_proposal (self);
}

static void
plan_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (widget);
  Load *load;

  if (self->client == NULL || self->planning)
    return;
  self->planning = TRUE;
  update_actions (self);
  load = g_new0 (Load, 1);
  load->weeks = weeks (self);
  load->propose = TRUE;
  run_load (self, load, on_propose_done);
}

/* --------------------------------------------------------------- actions */

static void
today_action (GtkWidget  *widget,
              const char *action_name,
              GVariant   *parameter)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (widget);

  bq_gantt_go_to_today (self->gantt);
  gtk_widget_grab_focus (GTK_WIDGET (self->gantt));
}

static void
zoom_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  bq_gantt_zoom (BQ_PRODUCTION_PAGE (widget)->gantt, 1.5);
}

static void
zoom_out_action (GtkWidget  *widget,
                 const char *action_name,
                 GVariant   *parameter)
{
  bq_gantt_zoom (BQ_PRODUCTION_PAGE (widget)->gantt, 1 / 1.5);
}

static void
close_details_action (GtkWidget  *widget,
                      const char *action_name,
                      GVariant   *parameter)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (widget);

  bq_gantt_select_run (self->gantt, NULL);
  show_details (self, NULL);
}

static void
on_weeks_changed (BqProductionPage *self)
{
  load_start (self);
}

/* ---------------------------------------------------------------- object */

static void
bq_production_page_get_property (GObject    *object,
                                 guint       prop_id,
                                 GValue     *value,
                                 GParamSpec *pspec)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, bq_production_page_get_loaded (self));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_production_page_dispose (GObject *object)
{
  BqProductionPage *self = BQ_PRODUCTION_PAGE (object);

  if (self->plan_dialog != NULL)
    gtk_window_destroy (self->plan_dialog);
  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->reload_id, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->planner);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->data, bq_gantt_data_unref);
  g_clear_pointer (&self->capacity, bq_plan_free);
  g_clear_pointer (&self->proposal, bq_plan_free);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_PRODUCTION_PAGE);

  G_OBJECT_CLASS (bq_production_page_parent_class)->dispose (object);
}

static void
bq_production_page_class_init (BqProductionPageClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = bq_production_page_get_property;
  object_class->dispose = bq_production_page_dispose;

  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  g_type_ensure (BQ_TYPE_GANTT);
  g_type_ensure (BQ_TYPE_RUN_DETAIL);
  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-production-page.ui");
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, flap);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, range_label);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, capacity_button);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, weeks_spin);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, plan_button);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, content_stack);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, loading_spinner);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, empty_page);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, gantt);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, capacity_revealer);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, capacity_summary);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, capacity_grid);
  gtk_widget_class_bind_template_child (widget_class, BqProductionPage, run_detail);

  gtk_widget_class_install_action (widget_class, "production.plan", NULL, plan_action);
  gtk_widget_class_install_action (widget_class, "production.today", NULL, today_action);
  gtk_widget_class_install_action (widget_class, "production.zoom-in", NULL, zoom_in_action);
  gtk_widget_class_install_action (widget_class, "production.zoom-out", NULL, zoom_out_action);
  gtk_widget_class_install_action (widget_class, "production.close-details", NULL,
                                   close_details_action);
  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0,
                                       "production.close-details", NULL);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "productionpage");
}

static void
bq_production_page_init (BqProductionPage *self)
{
  self->unit = BQ_ACTIVITY_UNIT_AUTO;
  self->cancellable = g_cancellable_new ();
  gtk_widget_init_template (GTK_WIDGET (self));

  g_object_bind_property (self->capacity_button, "active", self->capacity_revealer, "reveal-child",
                          G_BINDING_SYNC_CREATE);
  g_signal_connect_object (self->gantt, "notify::selected-run",
                           G_CALLBACK (on_selected_run_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gantt, "run-activated",
                           G_CALLBACK (on_run_activated), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gantt, "run-moved",
                           G_CALLBACK (on_run_moved), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->gantt, "view-changed",
                           G_CALLBACK (on_gantt_view_changed), self, G_CONNECT_SWAPPED);
  g_signal_connect_object (self->weeks_spin, "value-changed",
                           G_CALLBACK (on_weeks_changed), self, G_CONNECT_SWAPPED);
  on_gantt_view_changed (self);
  update_state (self);
}

GtkWidget *
bq_production_page_new (void)
{
  return g_object_new (BQ_TYPE_PRODUCTION_PAGE, NULL);
}

void
bq_production_page_set_activity_unit (BqProductionPage *self,
                                      BqActivityUnit    unit)
{
  g_return_if_fail (BQ_IS_PRODUCTION_PAGE (self));

  if (self->unit == unit)
    return;
  self->unit = unit;
  bq_run_detail_set_unit (self->run_detail, unit);
}

BqGantt *
bq_production_page_get_gantt (BqProductionPage *self)
{
  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), NULL);
  return self->gantt;
}

BqRunDetail *
bq_production_page_get_run_detail (BqProductionPage *self)
{
  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), NULL);
  return self->run_detail;
}

gboolean
bq_production_page_get_loaded (BqProductionPage *self)
{
  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), FALSE);
  return self->loaded && !self->loading && self->reload_id == 0;
}

GtkWindow *
bq_production_page_get_plan_dialog (BqProductionPage *self)
{
  g_return_val_if_fail (BQ_IS_PRODUCTION_PAGE (self), NULL);
  return self->plan_dialog;
}
