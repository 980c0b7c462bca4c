/* bq-secret.h — the password in the desktop keyring
 *
 * With libsecret at build time the password is kept in the keyring (the
 * Secret Service), keyed by server and user name; without it nothing is
 * stored and lookups find nothing.  Failures (no keyring running, a
 * locked one the user would not unlock) only mean there is no password.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* Whether this build can keep passwords at all. */
gboolean bq_secret_is_supported         (void);
void     bq_secret_store_password       (const char          *server_url,
                                         const char          *username,
                                         const char          *password);
void     bq_secret_lookup_password_async (const char         *server_url,
                                          const char         *username,
                                          GCancellable       *cancellable,
                                          GAsyncReadyCallback callback,
                                          gpointer            user_data);
/* The password (free with bq_secret_password_free), or NULL. */
char    *bq_secret_lookup_password_finish (GAsyncResult      *result,
                                           GError           **error);
void     bq_secret_password_free        (char                *password);
void     bq_secret_clear_password       (const char          *server_url,
                                         const char          *username);

G_END_DECLS
