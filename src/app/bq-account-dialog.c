/* bq-account-dialog.c — sign in to a server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#include "bq-account-dialog.h"
#include "bq-secret.h"

struct _BqAccountDialog
{
  AdwWindow         parent_instance;

  /* template */
  GtkButton        *sign_in_button;
  GtkSpinner       *spinner;
  GtkLabel         *sign_in_label;
  GtkLabel         *intro_label;
  AdwEntryRow      *server_row;
  AdwEntryRow      *username_row;
  AdwEntryRow      *password_row;
  GtkRevealer      *error_revealer;
  GtkLabel         *error_label;
  GtkLabel         *keyring_label;

  BqApplication    *application;
  GCancellable     *cancellable;
};

G_DEFINE_FINAL_TYPE (BqAccountDialog, bq_account_dialog, ADW_TYPE_WINDOW)

char *
bq_account_dialog_normalize_url (const char  *text,
                                 GError     **error)
{
  g_autofree char *trimmed = g_strstrip (g_strdup (text != NULL ? text : ""));
  g_autofree char *with_scheme = NULL;
  g_autoptr(GUri) uri = NULL;
  const char *scheme;
  gsize len;

  if (*trimmed == '\0')
    {
      g_set_error_literal (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                           _("Enter the address of your Becquerel server."));
      return NULL;
    }

  /* People type host names; the server speaks HTTPS unless told. */
  with_scheme = strstr (trimmed, "://") != NULL ? g_strdup (trimmed)
                                                : g_strconcat ("https://", trimmed, NULL);
  uri = g_uri_parse (with_scheme, G_URI_FLAGS_NONE, NULL);
  scheme = uri != NULL ? g_uri_get_scheme (uri) : NULL;
  if (uri == NULL || g_uri_get_host (uri) == NULL || *g_uri_get_host (uri) == '\0' ||
      (g_ascii_strcasecmp (scheme, "http") != 0 && g_ascii_strcasecmp (scheme, "https") != 0))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   _("“%s” is not a server address. Enter one like https://becquerel.example.org."),
                   trimmed);
      return NULL;
    }

  len = strlen (with_scheme);
  while (len > 0 && with_scheme[len - 1] == '/')
    with_scheme[--len] = '\0';
  return g_steal_pointer (&with_scheme);
}

static gboolean
fields_complete (BqAccountDialog *self)
{
  return *gtk_editable_get_text (GTK_EDITABLE (self->server_row)) != '\0' &&
         *gtk_editable_get_text (GTK_EDITABLE (self->username_row)) != '\0' &&
         *gtk_editable_get_text (GTK_EDITABLE (self->password_row)) != '\0';
}

static void
set_busy (BqAccountDialog *self,
          gboolean         busy)
{
  gtk_widget_set_visible (GTK_WIDGET (self->spinner), busy);
  gtk_spinner_set_spinning (self->spinner, busy);
  gtk_label_set_text_with_mnemonic (self->sign_in_label, busy ? _("Signing In…") : _("_Sign In"));
  gtk_widget_set_sensitive (GTK_WIDGET (self->server_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->username_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->password_row), !busy);
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), !busy && fields_complete (self));
}

static void
show_error_text (BqAccountDialog *self,
                 const char      *text)
{
  gtk_label_set_label (self->error_label, text);
  gtk_revealer_set_reveal_child (self->error_revealer, text != NULL);
}

void
bq_account_dialog_show_error (BqAccountDialog *self,
                              const GError    *error)
{
  g_autofree char *text = NULL;

  g_return_if_fail (BQ_IS_ACCOUNT_DIALOG (self));
  g_return_if_fail (error != NULL);

  if (error->domain == BQ_CLIENT_ERROR)
    {
      switch ((BqClientError) error->code)
        {
        case BQ_CLIENT_ERROR_OFFLINE:
          text = g_strdup_printf (_("Cannot reach the server (%s). Check the address and your network connection."),
                                  error->message);
          break;
        case BQ_CLIENT_ERROR_UNAUTHORIZED:
          /* The server says which: a wrong password or a locked name. */
          text = g_strdup_printf (_("The server did not accept the user name and password: %s"),
                                  error->message);
          break;
        case BQ_CLIENT_ERROR_FORBIDDEN:
          text = g_strdup_printf (_("This account may not sign in: %s"), error->message);
          break;
        case BQ_CLIENT_ERROR_CONFLICT:
        case BQ_CLIENT_ERROR_PROTOCOL:
        case BQ_CLIENT_ERROR_FAILED:
        default:
          text = g_strdup (error->message);
          break;
        }
    }
  else
    {
      text = g_strdup (error->message);
    }
  show_error_text (self, text);
}

static void
on_signed_in (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(BqAccountDialog) self = user_data;
  g_autoptr(GError) error = NULL;

  if (bq_application_sign_in_finish (BQ_APPLICATION (source), result, &error))
    {
      gtk_window_destroy (GTK_WINDOW (self));
      return;
    }
  if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    return;

  set_busy (self, FALSE);
  bq_account_dialog_show_error (self, error);
  if (error->domain == BQ_CLIENT_ERROR && error->code == BQ_CLIENT_ERROR_UNAUTHORIZED)
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
}

static void
on_sign_in_clicked (BqAccountDialog *self,
                    GtkButton       *button)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *url = NULL;

  if (!fields_complete (self) || gtk_spinner_get_spinning (self->spinner))
    return;

  url = bq_account_dialog_normalize_url (gtk_editable_get_text (GTK_EDITABLE (self->server_row)),
                                         &error);
  if (url == NULL)
    {
      show_error_text (self, error->message);
      gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
      return;
    }

  show_error_text (self, NULL);
  set_busy (self, TRUE);
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();
  bq_application_sign_in_async (self->application, url,
                                gtk_editable_get_text (GTK_EDITABLE (self->username_row)),
                                gtk_editable_get_text (GTK_EDITABLE (self->password_row)),
                                TRUE, self->cancellable, on_signed_in, g_object_ref (self));
}

static void
on_entry_changed (BqAccountDialog *self,
                  GtkEditable     *editable)
{
  gtk_widget_set_sensitive (GTK_WIDGET (self->sign_in_button), fields_complete (self));
}

static void
on_entry_activated (BqAccountDialog *self,
                    AdwEntryRow     *row)
{
  /* Enter moves on to the next empty field, and signs in from the last. */
  if (*gtk_editable_get_text (GTK_EDITABLE (self->server_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->server_row));
  else if (*gtk_editable_get_text (GTK_EDITABLE (self->username_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->username_row));
  else if (*gtk_editable_get_text (GTK_EDITABLE (self->password_row)) == '\0')
    gtk_widget_grab_focus (GTK_WIDGET (self->password_row));
  else if (gtk_widget_get_sensitive (GTK_WIDGET (self->sign_in_button)))
    on_sign_in_clicked (self, self->sign_in_button);
}

static gboolean
bq_account_dialog_close_request (GtkWindow *window)
{
  BqAccountDialog *self = BQ_ACCOUNT_DIALOG (window);

  g_cancellable_cancel (self->cancellable);
  return GTK_WINDOW_CLASS (bq_account_dialog_parent_class)->close_request (window);
}

static void
bq_account_dialog_dispose (GObject *object)
{
  BqAccountDialog *self = BQ_ACCOUNT_DIALOG (object);

  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  g_clear_object (&self->application);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_ACCOUNT_DIALOG);

  G_OBJECT_CLASS (bq_account_dialog_parent_class)->dispose (object);
}

static void
bq_account_dialog_map (GtkWidget *widget)
{
  BqAccountDialog *self = BQ_ACCOUNT_DIALOG (widget);
  AdwEntryRow *rows[] = { self->server_row, self->username_row, self->password_row };

  GTK_WIDGET_CLASS (bq_account_dialog_parent_class)->map (widget);

  /* Start where there is something to type. */
  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    if (*gtk_editable_get_text (GTK_EDITABLE (rows[i])) == '\0')
      {
        gtk_widget_grab_focus (GTK_WIDGET (rows[i]));
        return;
      }
}

static void
bq_account_dialog_class_init (BqAccountDialogClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);
  GtkWindowClass *window_class = GTK_WINDOW_CLASS (klass);

  object_class->dispose = bq_account_dialog_dispose;
  widget_class->map = bq_account_dialog_map;
  window_class->close_request = bq_account_dialog_close_request;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-account-dialog.ui");
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, sign_in_button);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, spinner);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, sign_in_label);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, intro_label);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, server_row);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, username_row);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, password_row);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, error_revealer);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, error_label);
  gtk_widget_class_bind_template_child (widget_class, BqAccountDialog, keyring_label);
  gtk_widget_class_bind_template_callback (widget_class, on_sign_in_clicked);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_changed);
  gtk_widget_class_bind_template_callback (widget_class, on_entry_activated);

  gtk_widget_class_add_binding_action (widget_class, GDK_KEY_Escape, 0, "window.close", NULL);
}

static void
bq_account_dialog_init (BqAccountDialog *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));

  gtk_label_set_label (self->keyring_label,
                       bq_secret_is_supported ()
                       ? _("Your password is kept in your desktop’s keyring, so Becquerel can sign in again by itself when a session ends.")
                       : _("Your password is not stored; Becquerel asks for it again when a session ends."));
}

BqAccountDialog *
bq_account_dialog_new (BqApplication *application,
                       GtkWindow     *parent)
{
  BqAccountDialog *self;

  g_return_val_if_fail (BQ_IS_APPLICATION (application), NULL);
  g_return_val_if_fail (parent == NULL || GTK_IS_WINDOW (parent), NULL);

  self = g_object_new (BQ_TYPE_ACCOUNT_DIALOG,
                       "application", application,
                       "transient-for", parent,
                       NULL);
  self->application = g_object_ref (application);
  return self;
}

void
bq_account_dialog_set_server_url (BqAccountDialog *self,
                                  const char      *server_url)
{
  g_return_if_fail (BQ_IS_ACCOUNT_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->server_row), server_url != NULL ? server_url : "");
}

void
bq_account_dialog_set_username (BqAccountDialog *self,
                                const char      *username)
{
  g_return_if_fail (BQ_IS_ACCOUNT_DIALOG (self));
  gtk_editable_set_text (GTK_EDITABLE (self->username_row), username != NULL ? username : "");
}

void
bq_account_dialog_set_message (BqAccountDialog *self,
                               const char      *message)
{
  g_return_if_fail (BQ_IS_ACCOUNT_DIALOG (self));
  g_return_if_fail (message != NULL);
  gtk_label_set_label (self->intro_label, message);
}
