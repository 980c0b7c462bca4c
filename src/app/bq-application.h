/* bq-application.h — the Becquerel desktop application
 *
 * Owns the one BqClient (and so the cache) that every window shows, the
 * settings, and the sign-in flow: from the command line, from the account
 * dialog, or again from the keyring when a session has expired.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"

G_BEGIN_DECLS

#define BQ_APPLICATION_ID "org.becquerel.Becquerel"

#define BQ_TYPE_APPLICATION (bq_application_get_type ())
G_DECLARE_FINAL_TYPE (BqApplication, bq_application, BQ, APPLICATION, AdwApplication)

BqApplication *bq_application_new               (void);

GSettings     *bq_application_get_settings      (BqApplication       *self);
/* Where the cache lives: --cache, or $XDG_DATA_HOME/becquerel/cache.db. */
const char    *bq_application_get_cache_path    (BqApplication       *self);
void           bq_application_set_cache_path    (BqApplication       *self,
                                                 const char          *cache_path);

/* The client every window shows, or NULL before a server is known.
 * Property "client" notifies when it is replaced. */
BqClient      *bq_application_get_client        (BqApplication       *self);
/* The client for @server_url: the current one if it talks to that server,
 * otherwise a new one on the same cache (a cache holds one server's data,
 * so the previous session is signed out first).  It becomes the client of
 * every window. */
BqClient      *bq_application_ensure_client     (BqApplication       *self,
                                                 const char          *server_url,
                                                 GError             **error);

/* Signs in to @server_url and, on success, remembers the server and user
 * name, keeps the password in the keyring when @remember is set (and the
 * build has libsecret), and starts syncing. */
void           bq_application_sign_in_async     (BqApplication       *self,
                                                 const char          *server_url,
                                                 const char          *username,
                                                 const char          *password,
                                                 gboolean             remember,
                                                 GCancellable        *cancellable,
                                                 GAsyncReadyCallback  callback,
                                                 gpointer             user_data);
gboolean       bq_application_sign_in_finish    (BqApplication       *self,
                                                 GAsyncResult        *result,
                                                 GError             **error);

/* A new window on the current client, presented; starts the session:
 * syncing when a user is signed in (from the cache), the account dialog
 * otherwise. */
GtkWindow     *bq_application_open_window       (BqApplication       *self);

/* Forgets the token, the cache, the outbox and the kept password. */
void           bq_application_sign_out          (BqApplication       *self);

G_END_DECLS
