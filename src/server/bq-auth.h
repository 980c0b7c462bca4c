/* bq-auth.h — passwords, sessions and the login attempt limit
 *
 * Passwords are hashed with Argon2id (libsodium crypto_pwhash_str); session
 * tokens are 32 random bytes, base64url, of which only a SHA-256 hash is
 * stored; sessions expire.  Its tables live in the store's schema.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bq-store.h"

G_BEGIN_DECLS

#define BQ_AUTH_ERROR (bq_auth_error_quark ())

typedef enum {
  BQ_AUTH_ERROR_INVALID_CREDENTIALS,  /* unknown user or wrong password (never says which) */
  BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS,    /* locked out for a while after repeated failures */
  BQ_AUTH_ERROR_DISABLED,             /* the user is disabled */
  BQ_AUTH_ERROR_INVALID_TOKEN,        /* unknown, malformed or expired token */
  BQ_AUTH_ERROR_WEAK_PASSWORD,        /* shorter than 10 characters */
  BQ_AUTH_ERROR_FAILED,
} BqAuthError;

GQuark bq_auth_error_quark (void);

#define BQ_TYPE_AUTH (bq_auth_get_type ())
G_DECLARE_FINAL_TYPE (BqAuth, bq_auth, BQ, AUTH, GObject)

/* Default session lifetime: 12 h; failures allowed per user name in the
 * window before a lock-out: 5 in 15 min, locked for 15 min. */
BqAuth  *bq_auth_new                (BqStore        *store);
void     bq_auth_set_session_lifetime (BqAuth       *self,
                                       gint64        seconds);
/* Tests use a cheaper Argon2id cost; production keeps the interactive
 * limits (OPSLIMIT_INTERACTIVE, MEMLIMIT_INTERACTIVE). */
void     bq_auth_set_fast_hashing   (BqAuth         *self,
                                     gboolean        fast);

/* Stores an Argon2id hash for the user (who must exist in the store) and
 * ends the user's sessions.  Nests in the caller's store transaction. */
gboolean bq_auth_set_password       (BqAuth         *self,
                                     const char     *user_id,
                                     const char     *password,
                                     GError        **error);

/* Verifies the password off the main thread (Argon2id is slow on purpose)
 * and on success creates a session.  @now is UTC seconds. */
void     bq_auth_login_async        (BqAuth              *self,
                                     const char          *username,
                                     const char          *password,
                                     gint64               now,
                                     GCancellable        *cancellable,
                                     GAsyncReadyCallback  callback,
                                     gpointer             user_data);
/* Returns the token (only ever returned here); sets @user (owned by the
 * caller) and @expires_at. */
char    *bq_auth_login_finish       (BqAuth         *self,
                                     GAsyncResult   *result,
                                     BqUser        **user,
                                     gint64         *expires_at,
                                     GError        **error);
/* The same, blocking: for the CLI and tests. */
char    *bq_auth_login              (BqAuth         *self,
                                     const char     *username,
                                     const char     *password,
                                     gint64          now,
                                     BqUser        **user,
                                     gint64         *expires_at,
                                     GError        **error);

/* While @username is locked out after repeated failures: the time (UTC
 * seconds) the lock ends, for a Retry-After header; 0 when not locked. */
gint64   bq_auth_locked_until       (BqAuth         *self,
                                     const char     *username,
                                     gint64          now);

/* The user a bearer token belongs to, or NULL with INVALID_TOKEN. */
BqUser  *bq_auth_authenticate       (BqAuth         *self,
                                     const char     *token,
                                     gint64          now,
                                     GError        **error);
/* Ends the session (no error if it was already gone). */
void     bq_auth_logout             (BqAuth         *self,
                                     const char     *token);

G_END_DECLS
