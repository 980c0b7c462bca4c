/* bq-application.c — the Becquerel desktop application
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "bq-account-dialog.h"
#include "bq-application.h"
#include "bq-preferences-window.h"
#include "bq-secret.h"
#include "bq-window.h"

struct _BqApplication
{
  AdwApplication  parent_instance;

  GSettings      *settings;
  BqClient       *client;
  char           *cache_path;

  /* From the command line. */
  char           *opt_server;
  char           *opt_username;
  char           *opt_password;
  gboolean        opt_sign_in_done;

  gboolean        reauthenticating;
};

G_DEFINE_FINAL_TYPE (BqApplication, bq_application, ADW_TYPE_APPLICATION)

enum {
  PROP_0,
  PROP_CLIENT,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
clear_password (char **password)
{
  if (*password != NULL)
    {
      memset (*password, 0, strlen (*password));
      g_clear_pointer (password, g_free);
    }
}

static BqWindow *
active_window (BqApplication *self)
{
  GtkWindow *window = gtk_application_get_active_window (GTK_APPLICATION (self));

  /* A preferences or about window may be the active one. */
  if (window != NULL && !BQ_IS_WINDOW (window))
    window = gtk_window_get_transient_for (window);
  if (window == NULL || !BQ_IS_WINDOW (window))
    {
      for (GList *l = gtk_application_get_windows (GTK_APPLICATION (self)); l != NULL; l = l->next)
        if (BQ_IS_WINDOW (l->data))
          return l->data;
      return NULL;
    }
  return BQ_WINDOW (window);
}

/* ---------------------------------------------------------------- client */

static void
start_syncing (BqApplication *self)
{
  g_assert (self->client != NULL);

  bq_client_start (self->client);
}

static void on_reauth_password (GObject      *source,
                                GAsyncResult *result,
                                gpointer      user_data);

static void
on_client_needs_sign_in (BqApplication *self,
                         GParamSpec    *pspec,
                         BqClient      *client)
{
  const BqUser *user = bq_client_get_user (client);
  g_autofree char *username = NULL;

  /* The server refused the token (it expired, or was revoked): sign in
   * again with the kept password, else ask.  The cache and the outbox
   * wait meanwhile. */
  if (!bq_client_get_needs_sign_in (client) || self->reauthenticating)
    return;

  self->reauthenticating = TRUE;
  username = user != NULL ? g_strdup (user->username)
                          : g_settings_get_string (self->settings, "username");
  bq_secret_lookup_password_async (bq_client_get_base_url (client), username, NULL,
                                   on_reauth_password, g_object_ref (self));
}

static void
on_reauth_signed_in (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(BqApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  BqWindow *window;

  self->reauthenticating = FALSE;
  if (bq_application_sign_in_finish (self, result, &error))
    return;

  window = active_window (self);
  if (window != NULL)
    bq_window_show_account_dialog (window,
                                   _("Your session has ended. Sign in again to keep your data in sync."),
                                   error);
}

static void
on_reauth_password (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(BqApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  char *password = bq_secret_lookup_password_finish (result, &error);
  BqWindow *window;

  if (password != NULL && self->client != NULL)
    {
      g_autofree char *username = g_settings_get_string (self->settings, "username");
      const BqUser *user = bq_client_get_user (self->client);

      bq_application_sign_in_async (self, bq_client_get_base_url (self->client),
                                    user != NULL ? user->username : username, password,
                                    FALSE, NULL, on_reauth_signed_in, g_object_ref (self));
      bq_secret_password_free (password);
      return;
    }

  self->reauthenticating = FALSE;
  window = active_window (self);
  if (window != NULL)
    bq_window_show_account_dialog (window,
                                   _("Your session has ended. Sign in again to keep your data in sync."),
                                   NULL);
}

static char *
strip_trailing_slashes (const char *url)
{
  char *copy = g_strdup (url);
  gsize len = strlen (copy);

  while (len > 0 && copy[len - 1] == '/')
    copy[--len] = '\0';
  return copy;
}

static void
set_client (BqApplication *self,
            BqClient      *client)
{
  if (self->client == client)
    return;

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      bq_client_stop (self->client);
    }
  self->reauthenticating = FALSE;
  g_set_object (&self->client, client);
  if (client != NULL)
    g_signal_connect_object (client, "notify::needs-sign-in",
                             G_CALLBACK (on_client_needs_sign_in), self, G_CONNECT_SWAPPED);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_CLIENT]);
}

BqClient *
bq_application_ensure_client (BqApplication  *self,
                              const char     *server_url,
                              GError        **error)
{
  g_autofree char *url = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *cache_server = NULL;
  g_autoptr(BqClient) client = NULL;

  g_return_val_if_fail (BQ_IS_APPLICATION (self), NULL);
  g_return_val_if_fail (server_url != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  url = strip_trailing_slashes (server_url);
  if (self->client != NULL)
    {
      g_autofree char *current = strip_trailing_slashes (bq_client_get_base_url (self->client));

      if (strcmp (current, url) == 0)
        return self->client;

      /* A cache holds one server's data. */
      bq_client_stop (self->client);
      if (bq_client_get_user (self->client) != NULL)
        bq_client_sign_out (self->client);
      set_client (self, NULL);
    }

  dir = g_path_get_dirname (bq_application_get_cache_path (self));
  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_IO_ERROR, g_io_error_from_errno (saved_errno),
                   _("Cannot create the folder for the local copy, %s: %s"), dir,
                   g_strerror (saved_errno));
      return NULL;
    }

  client = bq_client_new (url, bq_application_get_cache_path (self), error);
  if (client == NULL)
    return NULL;

  /* The cache was filled from the server of the last sign-in: from any
   * other, it is emptied rather than mixed. */
  cache_server = g_settings_get_string (self->settings, "server-url");
  if (bq_client_get_user (client) != NULL && *cache_server != '\0')
    {
      g_autofree char *cache_url = strip_trailing_slashes (cache_server);

      if (strcmp (cache_url, url) != 0)
        bq_client_sign_out (client);
    }

  set_client (self, client);
  return self->client;
}

BqClient *
bq_application_get_client (BqApplication *self)
{
  g_return_val_if_fail (BQ_IS_APPLICATION (self), NULL);
  return self->client;
}

/* --------------------------------------------------------------- sign in */

typedef struct {
  char     *server_url;
  char     *username;
  char     *password;
  gboolean  remember;
} SignIn;

static void
sign_in_free (SignIn *sign_in)
{
  g_free (sign_in->server_url);
  g_free (sign_in->username);
  clear_password (&sign_in->password);
  g_free (sign_in);
}

static void
on_client_signed_in (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BqApplication *self = g_task_get_source_object (task);
  SignIn *sign_in = g_task_get_task_data (task);
  BqClient *client = BQ_CLIENT (source);
  GError *error = NULL;

  if (!bq_client_sign_in_finish (client, result, &error))
    {
      g_task_return_error (task, error);
      return;
    }
  if (client != self->client)
    {
      /* Another sign-in replaced this client meanwhile. */
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_CANCELLED, "replaced");
      return;
    }

  g_settings_delay (self->settings);
  g_settings_set_string (self->settings, "server-url", bq_client_get_base_url (client));
  g_settings_set_string (self->settings, "username", sign_in->username);
  g_settings_apply (self->settings);
  if (sign_in->remember)
    bq_secret_store_password (bq_client_get_base_url (client), sign_in->username,
                              sign_in->password);

  start_syncing (self);
  g_task_return_boolean (task, TRUE);
}

void
bq_application_sign_in_async (BqApplication       *self,
                              const char          *server_url,
                              const char          *username,
                              const char          *password,
                              gboolean             remember,
                              GCancellable        *cancellable,
                              GAsyncReadyCallback  callback,
                              gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  GError *error = NULL;
  SignIn *sign_in;
  BqClient *client;

  g_return_if_fail (BQ_IS_APPLICATION (self));
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_application_sign_in_async);
  sign_in = g_new0 (SignIn, 1);
  sign_in->server_url = g_strdup (server_url);
  sign_in->username = g_strdup (username);
  sign_in->password = g_strdup (password);
  sign_in->remember = remember;
  g_task_set_task_data (task, sign_in, (GDestroyNotify) sign_in_free);

  client = bq_application_ensure_client (self, server_url, &error);
  if (client == NULL)
    {
      g_task_return_error (task, error);
      return;
    }
  bq_client_sign_in_async (client, username, password, cancellable, on_client_signed_in,
                           g_steal_pointer (&task));
}

gboolean
bq_application_sign_in_finish (BqApplication  *self,
                               GAsyncResult   *result,
                               GError        **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);
  return g_task_propagate_boolean (G_TASK (result), error);
}

void
bq_application_sign_out (BqApplication *self)
{
  g_autofree char *username = NULL;

  g_return_if_fail (BQ_IS_APPLICATION (self));

  if (self->client == NULL)
    return;

  if (bq_client_get_user (self->client) != NULL)
    username = g_strdup (bq_client_get_user (self->client)->username);
  else
    username = g_settings_get_string (self->settings, "username");
  bq_client_stop (self->client);
  bq_client_sign_out (self->client);
  if (*username != '\0')
    bq_secret_clear_password (bq_client_get_base_url (self->client), username);
}

/* --------------------------------------------------------------- session */

static void
on_command_line_signed_in (GObject      *source,
                           GAsyncResult *result,
                           gpointer      user_data)
{
  g_autoptr(BqApplication) self = user_data;
  g_autoptr(GError) error = NULL;
  BqWindow *window;

  if (bq_application_sign_in_finish (self, result, &error))
    return;
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  window = active_window (self);
  if (g_error_matches (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_OFFLINE) &&
      self->client != NULL && bq_client_get_user (self->client) != NULL)
    {
      /* Offline with a copy: show it, and keep trying in the background. */
      start_syncing (self);
      return;
    }
  if (window != NULL)
    bq_window_show_account_dialog (window, NULL, error);
}

/* Syncing when someone is signed in (the cache knows them, offline too),
 * signing in from the command line when told to, else the dialog. */
static void
start_session (BqApplication *self,
               BqWindow      *window)
{
  gboolean have_user = self->client != NULL && bq_client_get_user (self->client) != NULL;

  if (self->opt_username != NULL && self->opt_password != NULL && !self->opt_sign_in_done)
    {
      const char *url = self->opt_server;
      g_autofree char *setting = g_settings_get_string (self->settings, "server-url");

      if (url == NULL)
        url = setting;
      self->opt_sign_in_done = TRUE;
      if (*url != '\0')
        {
          /* The copy is shown (and synced with the old token) while the
           * new sign-in runs. */
          if (have_user)
            start_syncing (self);
          bq_application_sign_in_async (self, url, self->opt_username, self->opt_password, FALSE,
                                        NULL, on_command_line_signed_in, g_object_ref (self));
          clear_password (&self->opt_password);
          return;
        }
    }

  if (have_user)
    start_syncing (self);
  else
    bq_window_show_account_dialog (window, NULL, NULL);
}

GtkWindow *
bq_application_open_window (BqApplication *self)
{
  BqWindow *window;
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (BQ_IS_APPLICATION (self), NULL);

  if (self->client == NULL)
    {
      g_autofree char *setting = g_settings_get_string (self->settings, "server-url");
      const char *url = self->opt_server != NULL ? self->opt_server : setting;

      if (*url != '\0')
        bq_application_ensure_client (self, url, &error);
    }

  window = bq_window_new (self);
  gtk_window_present (GTK_WINDOW (window));

  if (error != NULL)
    {
      bq_window_show_account_dialog (window, NULL, error);
      return GTK_WINDOW (window);
    }
  start_session (self, window);
  return GTK_WINDOW (window);
}

/* --------------------------------------------------------------- actions */

static void
preferences_action (GSimpleAction *action,
                    GVariant      *parameter,
                    gpointer       user_data)
{
  BqApplication *self = user_data;
  GtkWindow *window = bq_preferences_window_new (self, GTK_WINDOW (active_window (self)));

  gtk_window_present (window);
}

static void
shortcuts_action (GSimpleAction *action,
                  GVariant      *parameter,
                  gpointer       user_data)
{
  BqWindow *window = active_window (user_data);

  /* GtkApplication gave every window the shortcuts window of
   * gtk/help-overlay.ui as win.show-help-overlay. */
  if (window != NULL)
    gtk_widget_activate_action (GTK_WIDGET (window), "win.show-help-overlay", NULL);
}

static void
about_action (GSimpleAction *action,
              GVariant      *parameter,
              gpointer       user_data)
{
  BqApplication *self = user_data;
  static const char *developers[] = { "The Becquerel developers", NULL };
  GtkWidget *about;

  about = g_object_new (ADW_TYPE_ABOUT_WINDOW,
                        "transient-for", active_window (self),
                        "modal", TRUE,
                        "application-icon", BQ_APPLICATION_ID,
                        "application-name", _("Becquerel"),
                        "developer-name", _("The Becquerel developers"),
                        "version", PACKAGE_VERSION,
                        "comments", _("Plan radiopharmaceutical supply that decays by the hour: production runs from forecasts, guaranteed slots, orders and time-validated routes."),
                        "website", "https://becquerel.org/",
                        "issue-url", "https://becquerel.org/issues",
                        "license-type", GTK_LICENSE_GPL_3_0,
                        "developers", developers,
                        /* Translators: your names, one per line. */
                        "translator-credits", _("translator-credits"),
                        NULL);
  gtk_window_present (GTK_WINDOW (about));
}

static void
on_sign_out_response (AdwMessageDialog *dialog,
                      const char       *response,
                      BqApplication    *self)
{
  if (g_strcmp0 (response, "sign-out") == 0)
    bq_application_sign_out (self);
}

static void
sign_out_action (GSimpleAction *action,
                 GVariant      *parameter,
                 gpointer       user_data)
{
  BqApplication *self = user_data;
  GtkWindow *parent = gtk_application_get_active_window (GTK_APPLICATION (self));
  AdwMessageDialog *dialog;
  guint n_pending;

  if (self->client == NULL || bq_client_get_user (self->client) == NULL)
    return;

  n_pending = bq_client_get_n_pending (self->client);
  dialog = ADW_MESSAGE_DIALOG (adw_message_dialog_new (parent, _("Sign Out?"), NULL));
  if (n_pending > 0)
    adw_message_dialog_format_body (dialog,
                                    ngettext ("The copy of the data on this computer is deleted, with %u change that has not been sent to the server yet.",
                                              "The copy of the data on this computer is deleted, with %u changes that have not been sent to the server yet.",
                                              n_pending),
                                    n_pending);
  else
    adw_message_dialog_set_body (dialog,
                                 _("The copy of the data on this computer is deleted; it is copied again when you sign in."));
  adw_message_dialog_add_responses (dialog,
                                    "cancel", _("_Cancel"),
                                    "sign-out", _("_Sign Out"),
                                    NULL);
  adw_message_dialog_set_response_appearance (dialog, "sign-out", ADW_RESPONSE_DESTRUCTIVE);
  adw_message_dialog_set_default_response (dialog, "cancel");
  adw_message_dialog_set_close_response (dialog, "cancel");
  g_signal_connect_object (dialog, "response", G_CALLBACK (on_sign_out_response), self, 0);
  gtk_window_present (GTK_WINDOW (dialog));
}

static void
quit_action (GSimpleAction *action,
             GVariant      *parameter,
             gpointer       user_data)
{
  BqApplication *self = user_data;
  GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (self)));

  /* Closing (not destroying) lets each window save its size. */
  for (GList *l = windows; l != NULL; l = l->next)
    gtk_window_close (l->data);
  g_list_free (windows);
}

static void
update_app_actions (BqApplication *self)
{
  GAction *sign_out = g_action_map_lookup_action (G_ACTION_MAP (self), "sign-out");

  g_simple_action_set_enabled (G_SIMPLE_ACTION (sign_out),
                               self->client != NULL && bq_client_get_user (self->client) != NULL);
}

static void
on_user_changed (BqApplication *self)
{
  update_app_actions (self);
}

static void
on_client_replaced (BqApplication *self)
{
  if (self->client != NULL)
    g_signal_connect_object (self->client, "notify::user", G_CALLBACK (on_user_changed), self,
                             G_CONNECT_SWAPPED);
  update_app_actions (self);
}

/* ------------------------------------------------------------ GApplication */

static const GOptionEntry option_entries[] = {
  { "server", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in to the server at URL"), N_("URL") },
  { "username", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Sign in as NAME"), N_("NAME") },
  { "password-env", 0, 0, G_OPTION_ARG_STRING, NULL,
    N_("Read the password from the environment variable VAR"), N_("VAR") },
  { "cache", 0, 0, G_OPTION_ARG_FILENAME, NULL,
    N_("Keep the local copy of the data in PATH"), N_("PATH") },
  { "version", 0, 0, G_OPTION_ARG_NONE, NULL,
    N_("Show the version and exit"), NULL },
  { NULL }
};

static int
bq_application_handle_local_options (GApplication *application,
                                     GVariantDict *options)
{
  BqApplication *self = BQ_APPLICATION (application);
  const char *server = NULL;
  const char *username = NULL;
  const char *password_env = NULL;
  const char *cache = NULL;

  if (g_variant_dict_contains (options, "version"))
    {
      g_print ("becquerel %s\n", PACKAGE_VERSION);
      return 0;
    }

  if (g_variant_dict_lookup (options, "server", "&s", &server))
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *url = bq_account_dialog_normalize_url (server, &error);

      if (url == NULL)
        {
          g_printerr ("becquerel: --server: %s\n", error->message);
          return 1;
        }
      g_free (self->opt_server);
      self->opt_server = g_steal_pointer (&url);
    }
  if (g_variant_dict_lookup (options, "username", "&s", &username))
    {
      g_free (self->opt_username);
      self->opt_username = g_strdup (username);
    }
  if (g_variant_dict_lookup (options, "password-env", "&s", &password_env))
    {
      const char *password = g_getenv (password_env);

      if (password == NULL)
        {
          /* Translators: %s is the name of an environment variable. */
          g_printerr (_("becquerel: --password-env: %s is not set\n"), password_env);
          return 1;
        }
      clear_password (&self->opt_password);
      self->opt_password = g_strdup (password);
    }
  if (g_variant_dict_lookup (options, "cache", "^&ay", &cache))
    bq_application_set_cache_path (self, cache);

  return -1;
}

static void
bq_application_startup (GApplication *application)
{
  static const GActionEntry actions[] = {
    { "preferences", preferences_action, NULL, NULL, NULL, { 0 } },
    { "shortcuts", shortcuts_action, NULL, NULL, NULL, { 0 } },
    { "about", about_action, NULL, NULL, NULL, { 0 } },
    { "sign-out", sign_out_action, NULL, NULL, NULL, { 0 } },
    { "quit", quit_action, NULL, NULL, NULL, { 0 } },
  };
  static const struct {
    const char *action;
    const char *accels[3];
  } accels[] = {
    { "app.preferences", { "<Control>comma", NULL } },
    { "app.shortcuts", { "<Control>question", NULL } },
    { "app.quit", { "<Control>q", NULL } },
    { "win.review-conflicts", { "<Control><Shift>r", NULL } },
    { "win.show-help-overlay", { NULL } },
    { "win.sync", { "<Control>r", "F5", NULL } },
    { "win.find", { "<Control>f", NULL } },
    { "win.show-page::control-tower", { "<Alt>1", NULL } },
    { "win.show-page::production", { "<Alt>2", NULL } },
    { "win.show-page::slots", { "<Alt>3", NULL } },
    { "win.show-page::orders", { "<Alt>4", NULL } },
    { "win.show-page::network", { "<Alt>5", NULL } },
    { "win.show-page::quality", { "<Alt>6", NULL } },
  };
  BqApplication *self = BQ_APPLICATION (application);

  G_APPLICATION_CLASS (bq_application_parent_class)->startup (application);

  bq_application_get_settings (self);

  g_action_map_add_action_entries (G_ACTION_MAP (self), actions, G_N_ELEMENTS (actions), self);
  /* app.shortcuts owns Ctrl+? (GtkApplication gave it to
   * win.show-help-overlay, which app.shortcuts opens). */
  for (guint i = 0; i < G_N_ELEMENTS (accels); i++)
    gtk_application_set_accels_for_action (GTK_APPLICATION (self), accels[i].action,
                                           accels[i].accels);

  g_signal_connect (self, "notify::client", G_CALLBACK (on_client_replaced), NULL);
  update_app_actions (self);
}

static void
bq_application_activate (GApplication *application)
{
  BqApplication *self = BQ_APPLICATION (application);
  GtkWindow *window = GTK_WINDOW (active_window (self));

  if (window != NULL)
    {
      gtk_window_present (window);
      return;
    }
  bq_application_open_window (self);
}

static void
bq_application_shutdown (GApplication *application)
{
  BqApplication *self = BQ_APPLICATION (application);

  if (self->client != NULL)
    bq_client_stop (self->client);

  G_APPLICATION_CLASS (bq_application_parent_class)->shutdown (application);
}

static void
bq_application_dispose (GObject *object)
{
  BqApplication *self = BQ_APPLICATION (object);

  if (self->client != NULL)
    {
      g_signal_handlers_disconnect_by_data (self->client, self);
      bq_client_stop (self->client);
    }
  g_clear_object (&self->client);
  g_clear_object (&self->settings);

  G_OBJECT_CLASS (bq_application_parent_class)->dispose (object);
}

static void
bq_application_finalize (GObject *object)
{
  BqApplication *self = BQ_APPLICATION (object);

  g_free (self->cache_path);
  g_free (self->opt_server);
  g_free (self->opt_username);
  clear_password (&self->opt_password);

  G_OBJECT_CLASS (bq_application_parent_class)->finalize (object);
}

static void
bq_application_get_property (GObject    *object,
                             guint       prop_id,
                             GValue     *value,
                             GParamSpec *pspec)
{
  BqApplication *self = BQ_APPLICATION (object);

  switch (prop_id)
    {
    case PROP_CLIENT:
      g_value_set_object (value, self->client);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_application_class_init (BqApplicationClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GApplicationClass *app_class = G_APPLICATION_CLASS (klass);

  object_class->dispose = bq_application_dispose;
  object_class->finalize = bq_application_finalize;
  object_class->get_property = bq_application_get_property;

  app_class->handle_local_options = bq_application_handle_local_options;
  app_class->startup = bq_application_startup;
  app_class->activate = bq_application_activate;
  app_class->shutdown = bq_application_shutdown;

  properties[PROP_CLIENT] =
    g_param_spec_object ("client", NULL, NULL, BQ_TYPE_CLIENT,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bq_application_init (BqApplication *self)
{
  g_application_add_main_option_entries (G_APPLICATION (self), option_entries);
  g_application_set_option_context_parameter_string (G_APPLICATION (self), NULL);
  g_application_set_option_context_summary (G_APPLICATION (self),
                                            _("Plan radiopharmaceutical supply. With --server, "
                                              "--username and --password-env it signs in without asking."));
}

BqApplication *
bq_application_new (void)
{
  return g_object_new (BQ_TYPE_APPLICATION,
                       "application-id", BQ_APPLICATION_ID,
                       "flags", G_APPLICATION_DEFAULT_FLAGS,
                       "resource-base-path", "/org/becquerel/Becquerel",
                       NULL);
}

GSettings *
bq_application_get_settings (BqApplication *self)
{
  g_return_val_if_fail (BQ_IS_APPLICATION (self), NULL);

  /* Before startup too (tests build windows by hand). */
  if (self->settings == NULL)
    self->settings = g_settings_new (BQ_APPLICATION_ID);
  return self->settings;
}

const char *
bq_application_get_cache_path (BqApplication *self)
{
  g_return_val_if_fail (BQ_IS_APPLICATION (self), NULL);

  if (self->cache_path == NULL)
    self->cache_path = g_build_filename (g_get_user_data_dir (), "becquerel", "cache.db", NULL);
  return self->cache_path;
}

void
bq_application_set_cache_path (BqApplication *self,
                               const char    *cache_path)
{
  g_return_if_fail (BQ_IS_APPLICATION (self));
  g_return_if_fail (cache_path != NULL);

  g_free (self->cache_path);
  self->cache_path = g_strdup (cache_path);
}
