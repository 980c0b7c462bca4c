/* bq-window.c — the main window
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bq-account-dialog.h"
#include "bq-format.h"
#include "bq-network-page.h"
#include "bq-production-page.h"
#include "bq-slots-page.h"
#include "bq-window.h"

struct _BqWindow
{
  AdwApplicationWindow  parent_instance;

  /* template */
  AdwToastOverlay      *toast_overlay;
  AdwHeaderBar         *header_bar;
  BqSyncIndicator      *sync_indicator;
  AdwViewSwitcherTitle *switcher_title;
  GtkMenuButton        *primary_menu_button;
  GtkStack             *main_stack;
  AdwViewStack         *view_stack;
  BqOrdersPage         *orders_page;
  BqProductionPage     *production_page;
  BqSlotsPage          *slots_page;
  BqNetworkPage        *network_page;
  AdwViewSwitcherBar   *switcher_bar;

  BqApplication        *application;
  BqClient             *client;
  GSettings            *settings;
  GCancellable         *cancellable;
  BqAccountDialog      *account_dialog;   /* weak */
  guint                 narrow_id;
};

G_DEFINE_FINAL_TYPE (BqWindow, bq_window, ADW_TYPE_APPLICATION_WINDOW)

static gboolean
signed_in (BqWindow *self)
{
  return self->client != NULL && bq_client_get_user (self->client) != NULL;
}

/* The one place that says which window actions can run now. */
static void
update_actions (BqWindow *self)
{
  gboolean in = signed_in (self);

  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.sync", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.find", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.show-page", in);
  gtk_widget_action_set_enabled (GTK_WIDGET (self), "win.review-conflicts", self->client != NULL);
}

/* Narrow: the view switcher has given way to the title, so it moves to
 * the bottom, and the header and the table keep to what fits. */
static gboolean
update_narrow_cb (gpointer user_data)
{
  BqWindow *self = user_data;
  gboolean narrow = signed_in (self) &&
                    adw_view_switcher_title_get_title_visible (self->switcher_title);

  self->narrow_id = 0;
  adw_view_switcher_bar_set_reveal (self->switcher_bar, narrow);
  bq_sync_indicator_set_compact (self->sync_indicator, narrow);
  bq_orders_page_set_compact (self->orders_page, narrow);
  return G_SOURCE_REMOVE;
}

/* title-visible changes while the header bar is being allocated: what
 * follows from it (widgets shown and hidden) waits for that to end. */
static void
update_switcher_bar (BqWindow *self)
{
  if (self->narrow_id == 0)
    self->narrow_id = g_idle_add_full (G_PRIORITY_HIGH_IDLE, update_narrow_cb, self, NULL);
}

static void
update_signed_in (BqWindow *self)
{
  gboolean in = signed_in (self);

  gtk_stack_set_visible_child_name (self->main_stack, in ? "main" : "welcome");
  adw_view_switcher_title_set_view_switcher_enabled (self->switcher_title, in);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_indicator), self->client != NULL);
  update_switcher_bar (self);
  update_actions (self);
}

static void
on_switcher_title_visible_changed (BqWindow *self)
{
  update_switcher_bar (self);
}

static void
on_view_stack_visible_child_changed (BqWindow *self)
{
  update_actions (self);
}

/* ---------------------------------------------------------------- client */

static void
on_user_changed (BqWindow   *self,
                 GParamSpec *pspec,
                 BqClient   *client)
{
  update_signed_in (self);
}

static void
on_conflict (BqWindow *self,
             gint64    seq,
             BqClient *client)
{
  AdwToast *toast = adw_toast_new (_("The server refused one of your changes"));

  adw_toast_set_button_label (toast, _("_Review"));
  adw_toast_set_action_name (toast, "win.review-conflicts");
  adw_toast_set_priority (toast, ADW_TOAST_PRIORITY_HIGH);
  adw_toast_overlay_add_toast (self->toast_overlay, toast);
}

static void
set_client (BqWindow *self,
            BqClient *client)
{
  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_object (client, "notify::user", G_CALLBACK (on_user_changed), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "conflict", G_CALLBACK (on_conflict), self,
                               G_CONNECT_SWAPPED);
    }
  bq_sync_indicator_set_client (self->sync_indicator, client);
  bq_orders_page_set_client (self->orders_page, client);
  bq_production_page_set_client (self->production_page, client);
  bq_slots_page_set_client (self->slots_page, client);
  bq_network_page_set_client (self->network_page, client);
  update_signed_in (self);
}

static void
on_application_client_changed (BqWindow      *self,
                               GParamSpec    *pspec,
                               BqApplication *application)
{
  set_client (self, bq_application_get_client (application));
}

static void
on_activity_unit_changed (BqWindow   *self,
                          const char *key,
                          GSettings  *settings)
{
  g_autofree char *unit = g_settings_get_string (settings, "activity-unit");

  bq_orders_page_set_activity_unit (self->orders_page, bq_format_parse_unit_setting (unit));
  bq_production_page_set_activity_unit (self->production_page, bq_format_parse_unit_setting (unit));
  bq_network_page_set_activity_unit (self->network_page, bq_format_parse_unit_setting (unit));
}

/* --------------------------------------------------------------- actions */

static void
on_sync_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BqWindow) self = user_data;
  g_autoptr(GError) error = NULL;

  if (bq_client_sync_finish (BQ_CLIENT (source), result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;
  /* The indicator already says "offline"; a toast says why this time. */
  {
    g_autofree char *text = g_strdup_printf (_("Could not sync: %s"), error->message);

    bq_window_show_toast (self, text);
  }
}

static void
sync_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqWindow *self = BQ_WINDOW (widget);

  if (self->client == NULL)
    return;
  bq_client_sync_async (self->client, self->cancellable, on_sync_done, g_object_ref (self));
}

static void
find_action (GtkWidget  *widget,
             const char *action_name,
             GVariant   *parameter)
{
  BqWindow *self = BQ_WINDOW (widget);

  /* The Network page searches its places and lanes; elsewhere the
   * search is the orders'. */
  if (g_strcmp0 (bq_window_get_page (self), "network") == 0)
    {
      bq_network_page_focus_search (self->network_page);
      return;
    }
  bq_window_set_page (self, "orders");
  bq_orders_page_focus_search (self->orders_page);
}

static void
show_page_action (GtkWidget  *widget,
                  const char *action_name,
                  GVariant   *parameter)
{
  bq_window_set_page (BQ_WINDOW (widget), g_variant_get_string (parameter, NULL));
}

static void
sign_in_action (GtkWidget  *widget,
                const char *action_name,
                GVariant   *parameter)
{
  bq_window_show_account_dialog (BQ_WINDOW (widget), NULL, NULL);
}

static void
review_conflicts_action (GtkWidget  *widget,
                         const char *action_name,
                         GVariant   *parameter)
{
  bq_sync_indicator_popup (BQ_WINDOW (widget)->sync_indicator);
}

/* ---------------------------------------------------------------- object */

static gboolean
bq_window_close_request (GtkWindow *window)
{
  BqWindow *self = BQ_WINDOW (window);
  int width, height;

  gtk_window_get_default_size (window, &width, &height);
  g_settings_delay (self->settings);
  g_settings_set_boolean (self->settings, "window-maximized", gtk_window_is_maximized (window));
  if (!gtk_window_is_maximized (window) && width > 0 && height > 0)
    {
      g_settings_set_int (self->settings, "window-width", width);
      g_settings_set_int (self->settings, "window-height", height);
    }
  g_settings_apply (self->settings);

  return GTK_WINDOW_CLASS (bq_window_parent_class)->close_request (window);
}

static void
bq_window_dispose (GObject *object)
{
  BqWindow *self = BQ_WINDOW (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_handle_id (&self->narrow_id, g_source_remove);
  if (self->account_dialog != NULL)
    gtk_window_destroy (GTK_WINDOW (self->account_dialog));
  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->application);
  if (self->settings != NULL)
    g_signal_handlers_disconnect_by_data (self->settings, self);
  g_clear_object (&self->settings);
  g_clear_object (&self->cancellable);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_WINDOW);

  G_OBJECT_CLASS (bq_window_parent_class)->dispose (object);
}

static void
bq_window_class_init (BqWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bq_window_dispose;
  window_class->close_request = bq_window_close_request;

  g_type_ensure (BQ_TYPE_SYNC_INDICATOR);
  g_type_ensure (BQ_TYPE_ORDERS_PAGE);
  g_type_ensure (BQ_TYPE_NETWORK_PAGE);
  g_type_ensure (BQ_TYPE_PRODUCTION_PAGE);
  g_type_ensure (BQ_TYPE_SLOTS_PAGE);

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BqWindow, toast_overlay);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, header_bar);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, sync_indicator);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, switcher_title);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, primary_menu_button);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, main_stack);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, view_stack);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, orders_page);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, production_page);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, slots_page);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, network_page);
  gtk_widget_class_bind_template_child (widget_class, BqWindow, switcher_bar);
  gtk_widget_class_bind_template_callback (widget_class, on_switcher_title_visible_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_view_stack_visible_child_changed);

  gtk_widget_class_install_action (widget_class, "win.sync", NULL, sync_action);
  gtk_widget_class_install_action (widget_class, "win.find", NULL, find_action);
  gtk_widget_class_install_action (widget_class, "win.show-page", "s", show_page_action);
  gtk_widget_class_install_action (widget_class, "win.sign-in", NULL, sign_in_action);
  gtk_widget_class_install_action (widget_class, "win.review-conflicts", NULL,
                                   review_conflicts_action);
}

static void
bq_window_init (BqWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  self->cancellable = g_cancellable_new ();

  /* Orders is the one view with content so far: open on it. */
  adw_view_stack_set_visible_child_name (self->view_stack, "orders");
}

BqWindow *
bq_window_new (BqApplication *application)
{
  BqWindow *self;

  g_return_val_if_fail (BQ_IS_APPLICATION (application), NULL);

  self = g_object_new (BQ_TYPE_WINDOW,
                       "application", application,
                       NULL);
  self->application = g_object_ref (application);
  self->settings = g_object_ref (bq_application_get_settings (application));

  gtk_window_set_default_size (GTK_WINDOW (self),
                               g_settings_get_int (self->settings, "window-width"),
                               g_settings_get_int (self->settings, "window-height"));
  if (g_settings_get_boolean (self->settings, "window-maximized"))
    gtk_window_maximize (GTK_WINDOW (self));

  g_signal_connect_object (self->settings, "changed::activity-unit",
                           G_CALLBACK (on_activity_unit_changed), self, G_CONNECT_SWAPPED);
  on_activity_unit_changed (self, "activity-unit", self->settings);

  g_signal_connect_object (application, "notify::client",
                           G_CALLBACK (on_application_client_changed), self, G_CONNECT_SWAPPED);
  set_client (self, bq_application_get_client (application));
  update_signed_in (self);
  return self;
}

void
bq_window_show_account_dialog (BqWindow     *self,
                               const char   *message,
                               const GError *error)
{
  g_autofree char *url = NULL;
  g_autofree char *username = NULL;

  g_return_if_fail (BQ_IS_WINDOW (self));

  if (self->account_dialog == NULL)
    {
      self->account_dialog = bq_account_dialog_new (self->application, GTK_WINDOW (self));
      g_object_add_weak_pointer (G_OBJECT (self->account_dialog),
                                 (gpointer *) &self->account_dialog);

      /* What we know: the server in use, else the one last used; the
       * signed-in user, else the last one. */
      if (self->client != NULL)
        url = g_strdup (bq_client_get_base_url (self->client));
      else
        url = g_settings_get_string (self->settings, "server-url");
      if (self->client != NULL && bq_client_get_user (self->client) != NULL)
        username = g_strdup (bq_client_get_user (self->client)->username);
      else
        username = g_settings_get_string (self->settings, "username");
      bq_account_dialog_set_server_url (self->account_dialog, url);
      bq_account_dialog_set_username (self->account_dialog, username);
    }
  if (message != NULL)
    bq_account_dialog_set_message (self->account_dialog, message);
  if (error != NULL)
    bq_account_dialog_show_error (self->account_dialog, error);
  gtk_window_present (GTK_WINDOW (self->account_dialog));
}

void
bq_window_show_toast (BqWindow   *self,
                      const char *text)
{
  g_return_if_fail (BQ_IS_WINDOW (self));
  g_return_if_fail (text != NULL);

  adw_toast_overlay_add_toast (self->toast_overlay, adw_toast_new (text));
}

void
bq_window_set_page (BqWindow   *self,
                    const char *name)
{
  g_return_if_fail (BQ_IS_WINDOW (self));
  g_return_if_fail (name != NULL);

  if (adw_view_stack_get_child_by_name (self->view_stack, name) != NULL)
    adw_view_stack_set_visible_child_name (self->view_stack, name);
}

const char *
bq_window_get_page (BqWindow *self)
{
  g_return_val_if_fail (BQ_IS_WINDOW (self), NULL);
  return adw_view_stack_get_visible_child_name (self->view_stack);
}

BqOrdersPage *
bq_window_get_orders_page (BqWindow *self)
{
  g_return_val_if_fail (BQ_IS_WINDOW (self), NULL);
  return self->orders_page;
}

BqSlotsPage *
bq_window_get_slots_page (BqWindow *self)
{
  g_return_val_if_fail (BQ_IS_WINDOW (self), NULL);
  return self->slots_page;
}

BqSyncIndicator *
bq_window_get_sync_indicator (BqWindow *self)
{
  g_return_val_if_fail (BQ_IS_WINDOW (self), NULL);
  return self->sync_indicator;
}
