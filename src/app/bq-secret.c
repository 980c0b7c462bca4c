/* bq-secret.c — the password in the desktop keyring
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n.h>

#ifdef HAVE_LIBSECRET
#include <libsecret/secret.h>
#endif

#include "bq-secret.h"

#ifdef HAVE_LIBSECRET
static const SecretSchema *
password_schema (void)
{
  static const SecretSchema schema = {
    "org.becquerel.Becquerel.Password", SECRET_SCHEMA_NONE,
    {
      { "server", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { "username", SECRET_SCHEMA_ATTRIBUTE_STRING },
      { NULL, 0 },
    },
    0, NULL, NULL, NULL, NULL, NULL, NULL, NULL,
  };

  return &schema;
}

static void
on_password_stored (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* No keyring is not an error the user can act on: the password is
   * simply asked for again next time. */
  if (!secret_password_store_finish (result, &error))
    g_debug ("The password was not kept in the keyring: %s", error->message);
}

static void
on_password_cleared (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  if (!secret_password_clear_finish (result, &error) && error != NULL)
    g_debug ("The password was not removed from the keyring: %s", error->message);
}

static void
on_password_looked_up (GObject      *source,
                       GAsyncResult *result,
                       gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  char *password = secret_password_lookup_finish (result, &error);

  if (error != NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, password, (GDestroyNotify) secret_password_free);
}
#endif

gboolean
bq_secret_is_supported (void)
{
#ifdef HAVE_LIBSECRET
  return TRUE;
#else
  return FALSE;
#endif
}

void
bq_secret_store_password (const char *server_url,
                          const char *username,
                          const char *password)
{
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

#ifdef HAVE_LIBSECRET
  {
    /* Translators: the label of the password in the keyring. */
    g_autofree char *label = g_strdup_printf (_("Becquerel password for %s on %s"),
                                              username, server_url);

    secret_password_store (password_schema (), SECRET_COLLECTION_DEFAULT, label, password,
                           NULL, on_password_stored, NULL,
                           "server", server_url,
                           "username", username,
                           NULL);
  }
#endif
}

void
bq_secret_lookup_password_async (const char          *server_url,
                                 const char          *username,
                                 GCancellable        *cancellable,
                                 GAsyncReadyCallback  callback,
                                 gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);

  task = g_task_new (NULL, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_secret_lookup_password_async);

#ifdef HAVE_LIBSECRET
  secret_password_lookup (password_schema (), cancellable, on_password_looked_up,
                          g_steal_pointer (&task),
                          "server", server_url,
                          "username", username,
                          NULL);
#else
  g_task_return_pointer (task, NULL, NULL);
#endif
}

char *
bq_secret_lookup_password_finish (GAsyncResult  *result,
                                  GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, NULL), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

void
bq_secret_password_free (char *password)
{
  if (password == NULL)
    return;
#ifdef HAVE_LIBSECRET
  secret_password_free (password);
#else
  memset (password, 0, strlen (password));
  g_free (password);
#endif
}

void
bq_secret_clear_password (const char *server_url,
                          const char *username)
{
  g_return_if_fail (server_url != NULL);
  g_return_if_fail (username != NULL);

#ifdef HAVE_LIBSECRET
  secret_password_clear (password_schema (), NULL, on_password_cleared, NULL,
                         "server", server_url,
                         "username", username,
                         NULL);
#endif
}
