/* bq-preferences-window.c — activity unit and server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bq-account-dialog.h"
#include "bq-preferences-window.h"
#include "bq-window.h"

struct _BqPreferencesWindow
{
  AdwPreferencesWindow  parent_instance;

  /* template */
  AdwComboRow          *unit_row;
  AdwEntryRow          *server_row;
  AdwActionRow         *account_row;
  GtkButton            *sign_out_button;

  BqApplication        *application;
  BqClient             *client;        /* followed for its user */
  GSettings            *settings;
  char                 *pending_url;   /* asked to switch to, awaiting an answer */
};

G_DEFINE_FINAL_TYPE (BqPreferencesWindow, bq_preferences_window, ADW_TYPE_PREFERENCES_WINDOW)

/* The combo row's items, in the order of the schema's choices. */
static const char * const unit_choices[] = { "auto", "MBq", "GBq", "mCi" };

static gboolean
unit_to_position (GValue   *value,
                  GVariant *variant,
                  gpointer  user_data)
{
  const char *unit = g_variant_get_string (variant, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (unit_choices); i++)
    if (g_strcmp0 (unit, unit_choices[i]) == 0)
      {
        g_value_set_uint (value, i);
        return TRUE;
      }
  return FALSE;
}

static GVariant *
position_to_unit (const GValue       *value,
                  const GVariantType *expected_type,
                  gpointer            user_data)
{
  guint position = g_value_get_uint (value);

  if (position >= G_N_ELEMENTS (unit_choices))
    return NULL;
  return g_variant_new_string (unit_choices[position]);
}

static void
update_account (BqPreferencesWindow *self)
{
  BqClient *client = bq_application_get_client (self->application);
  const BqUser *user = client != NULL ? bq_client_get_user (client) : NULL;

  if (user != NULL)
    {
      g_autofree char *subtitle = NULL;

      if (user->display_name != NULL && *user->display_name != '\0')
        /* Translators: user name, then the person: "planner, Priya Raman". */
        subtitle = g_strdup_printf (_("Signed in as %s, %s"), user->username, user->display_name);
      else
        subtitle = g_strdup_printf (_("Signed in as %s"), user->username);

      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->account_row), subtitle);
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), bq_client_get_base_url (client));
    }
  else
    {
      g_autofree char *url = g_settings_get_string (self->settings, "server-url");

      adw_action_row_set_subtitle (ADW_ACTION_ROW (self->account_row), _("Not signed in"));
      gtk_editable_set_text (GTK_EDITABLE (self->server_row), url);
    }
  gtk_widget_set_visible (GTK_WIDGET (self->sign_out_button), user != NULL);
}

static void
switch_server (BqPreferencesWindow *self,
               const char          *url)
{
  GtkWindow *main_window = gtk_application_get_active_window (GTK_APPLICATION (self->application));

  bq_application_sign_out (self->application);
  g_settings_set_string (self->settings, "server-url", url);
  gtk_window_destroy (GTK_WINDOW (self));
  if (BQ_IS_WINDOW (main_window))
    bq_window_show_account_dialog (BQ_WINDOW (main_window), NULL, NULL);
}

static void
on_switch_response (AdwMessageDialog    *dialog,
                    const char          *response,
                    BqPreferencesWindow *self)
{
  g_autofree char *url = g_steal_pointer (&self->pending_url);

  if (g_strcmp0 (response, "switch") == 0 && url != NULL)
    switch_server (self, url);
  else
    update_account (self);
}

static void
on_server_row_apply (BqPreferencesWindow *self,
                     AdwEntryRow         *row)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = bq_account_dialog_normalize_url (gtk_editable_get_text (GTK_EDITABLE (row)),
                                                          &error);
  BqClient *client = bq_application_get_client (self->application);
  AdwMessageDialog *dialog;
  guint n_pending;

  if (url == NULL)
    {
      adw_preferences_window_add_toast (ADW_PREFERENCES_WINDOW (self),
                                        adw_toast_new (error->message));
      update_account (self);
      return;
    }

  if (client == NULL || bq_client_get_user (client) == NULL)
    {
      g_settings_set_string (self->settings, "server-url", url);
      update_account (self);
      return;
    }
  if (g_strcmp0 (bq_client_get_base_url (client), url) == 0)
    return;

  /* Another server means another set of data: ask before the local copy
   * (and whatever waits to be sent) goes. */
  n_pending = bq_client_get_n_pending (client);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (GTK_WINDOW (self), _("Switch Server?"), NULL));
  if (n_pending > 0)
    adw_message_dialog_format_body (dialog,
                                    ngettext ("You will be signed out of %s and the copy of its data on this computer is deleted, with %u change that has not been sent yet.",
                                              "You will be signed out of %s and the copy of its data on this computer is deleted, with %u changes that have not been sent yet.",
                                              n_pending),
                                    bq_client_get_base_url (client), n_pending);
  else
    adw_message_dialog_format_body (dialog,
                                    _("You will be signed out of %s and the copy of its data on this computer is deleted."),
                                    bq_client_get_base_url (client));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "switch", _("_Switch Server"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "switch", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_free (self->pending_url);
  self->pending_url = g_steal_pointer (&url);
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_switch_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
on_user_changed (BqPreferencesWindow *self)
{
  update_account (self);
}

static void
on_client_changed (BqPreferencesWindow *self)
{
  BqClient *client = bq_application_get_client (self->application);

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    g_signal_connect_object (client, "notify::user", G_CALLBACK (on_user_changed), self,
                             G_CONNECT_SWAPPED);
  update_account (self);
}

static void
bq_preferences_window_dispose (GObject *object)
{
  BqPreferencesWindow *self = BQ_PREFERENCES_WINDOW (object);

  if (self->application != NULL)
    g_signal_handlers_disconnect_by_data (self->application, self);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  g_clear_object (&self->application);
  g_clear_object (&self->settings);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_PREFERENCES_WINDOW);

  G_OBJECT_CLASS (bq_preferences_window_parent_class)->dispose (object);
}

static void
bq_preferences_window_finalize (GObject *object)
{
  BqPreferencesWindow *self = BQ_PREFERENCES_WINDOW (object);

  g_free (self->pending_url);

  G_OBJECT_CLASS (bq_preferences_window_parent_class)->finalize (object);
}

static void
bq_preferences_window_class_init (BqPreferencesWindowClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_preferences_window_dispose;
  object_class->finalize = bq_preferences_window_finalize;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-preferences-window.ui");
  gtk_widget_class_bind_template_child (widget_class, BqPreferencesWindow, unit_row);
  gtk_widget_class_bind_template_child (widget_class, BqPreferencesWindow, server_row);
  gtk_widget_class_bind_template_child (widget_class, BqPreferencesWindow, account_row);
  gtk_widget_class_bind_template_child (widget_class, BqPreferencesWindow, sign_out_button);
  gtk_widget_class_bind_template_callback (widget_class, on_server_row_apply);
}

static void
bq_preferences_window_init (BqPreferencesWindow *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
}

GtkWindow *
bq_preferences_window_new (BqApplication *application,
                           GtkWindow     *parent)
{
  BqPreferencesWindow *self;

  g_return_val_if_fail (BQ_IS_APPLICATION (application), NULL);

  self = g_object_new (BQ_TYPE_PREFERENCES_WINDOW,
                       "application", application,
                       "transient-for", parent,
                       "modal", parent != NULL,
                       NULL);
  self->application = g_object_ref (application);
  self->settings = g_object_ref (bq_application_get_settings (application));

  g_settings_bind_with_mapping (self->settings, "activity-unit",
                                self->unit_row, "selected",
                                G_SETTINGS_BIND_DEFAULT,
                                unit_to_position, position_to_unit, NULL, NULL);
  g_signal_connect_object (application, "notify::client", G_CALLBACK (on_client_changed), self,
                           G_CONNECT_SWAPPED);
  on_client_changed (self);
  return GTK_WINDOW (self);
}
