/* bq-auth.c — passwords, sessions and the login attempt limit
 *
 * Threads: the store belongs to the thread that created the BqAuth (the
 * main thread).  A login reads the user and the stored hash there, runs
 * only the Argon2id verification in a GTask worker (it is slow on
 * purpose), and records the outcome — the failure, or the new session —
 * back on the main thread in the worker's completion callback.
 *
 * An unknown user name costs the same as a wrong password: the password is
 * verified against a dummy hash of the same cost, and both give
 * INVALID_CREDENTIALS.
 *
 * The attempt limit counts failures per user name as typed (so names that
 * do not exist lock too, and give nothing away): 5 within 15 minutes lock
 * the name until the oldest of those 5 is 15 minutes old.  Attempts during
 * a lock-out are refused without verifying and are not counted.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "bq-auth.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define DEFAULT_SESSION_LIFETIME (12 * 60 * 60)
#define FAILURE_WINDOW           (15 * 60)
#define MAX_FAILURES             5
#define MIN_PASSWORD_CHARS       10
/* Longer names are refused outright; nobody is called that, and the
 * failure table should not store megabytes for a name. */
#define MAX_USERNAME_BYTES       256
/* Argon2id pre-hashes any length, but there is no reason to accept more. */
#define MAX_PASSWORD_BYTES       4096
#define TOKEN_BYTES              32
#define TOKEN_CHARS              43      /* base64url of 32 bytes, no padding */
#define PRUNE_INTERVAL           (10 * 60)
/* Each interactive verification takes MEMLIMIT_INTERACTIVE (64 MiB): bound
 * how many run at once so a burst of logins cannot exhaust memory. */
#define MAX_CONCURRENT_VERIFIES  4

G_DEFINE_QUARK (bq-auth-error-quark, bq_auth_error)

struct _BqAuth
{
  GObject   parent_instance;

  BqStore  *store;
  gint64    session_lifetime;
  gboolean  fast_hashing;
  gint64    last_prune;
};

G_DEFINE_FINAL_TYPE (BqAuth, bq_auth, G_TYPE_OBJECT)

/* -------------------------------------------------------------- hashing */

static GMutex verify_mutex;
static GCond  verify_cond;
static guint  n_verifying;

/* Dummy hashes, one per cost, made once: what an unknown user's password
 * is checked against. */
static GMutex dummy_mutex;
static char   dummy_hash[2][crypto_pwhash_STRBYTES];

static void
cost (gboolean                 fast,
      unsigned long long      *opslimit,
      size_t                  *memlimit)
{
  *opslimit = fast ? crypto_pwhash_OPSLIMIT_MIN : crypto_pwhash_OPSLIMIT_INTERACTIVE;
  *memlimit = fast ? crypto_pwhash_MEMLIMIT_MIN : crypto_pwhash_MEMLIMIT_INTERACTIVE;
}

static gboolean
hash_password (gboolean     fast,
               const char  *password,
               char         out[crypto_pwhash_STRBYTES])
{
  unsigned long long opslimit;
  size_t memlimit;

  cost (fast, &opslimit, &memlimit);
  return crypto_pwhash_str (out, password, strlen (password), opslimit, memlimit) == 0;
}

static const char *
get_dummy_hash (gboolean fast)
{
  char *hash = dummy_hash[fast ? 1 : 0];

  g_mutex_lock (&dummy_mutex);
  if (hash[0] == '\0')
    {
      unsigned char secret[24];
      char text[sizeof secret * 2 + 1];

      randombytes_buf (secret, sizeof secret);
      sodium_bin2hex (text, sizeof text, secret, sizeof secret);
      if (!hash_password (fast, text, hash))
        g_error ("cannot make the dummy password hash (out of memory?)");
      sodium_memzero (text, sizeof text);
    }
  g_mutex_unlock (&dummy_mutex);
  return hash;
}

/* Runs in a worker thread: no store access here. */
static gboolean
verify_password (const char *hash,
                 const char *password)
{
  gboolean ok;

  g_mutex_lock (&verify_mutex);
  while (n_verifying >= MAX_CONCURRENT_VERIFIES)
    g_cond_wait (&verify_cond, &verify_mutex);
  n_verifying++;
  g_mutex_unlock (&verify_mutex);

  ok = crypto_pwhash_str_verify (hash, password, strlen (password)) == 0;

  g_mutex_lock (&verify_mutex);
  n_verifying--;
  g_cond_signal (&verify_cond);
  g_mutex_unlock (&verify_mutex);

  return ok;
}

/* ---------------------------------------------------------------- tokens */

static char *
new_token (void)
{
  guchar bytes[TOKEN_BYTES];
  char *token;

  randombytes_buf (bytes, sizeof bytes);
  token = g_base64_encode (bytes, sizeof bytes);
  sodium_memzero (bytes, sizeof bytes);

  g_strdelimit (token, "+", '-');
  g_strdelimit (token, "/", '_');
  *strchr (token, '=') = '\0';
  g_assert (strlen (token) == TOKEN_CHARS);
  return token;
}

static gboolean
token_is_well_formed (const char *token)
{
  static const char alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

  return strlen (token) == TOKEN_CHARS && strspn (token, alphabet) == TOKEN_CHARS;
}

/* Only this is stored: a stolen database gives no usable token. */
static char *
token_hash (const char *token)
{
  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
}

/* ------------------------------------------------------------------- SQL */

static void
set_sqlite_error (sqlite3     *db,
                  int          rc,
                  GError     **error,
                  const char  *context)
{
  int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
             ? BQ_STORE_ERROR_BUSY : BQ_STORE_ERROR_FAILED;

  g_set_error (error, BQ_STORE_ERROR, code, "%s: %s", context, sqlite3_errmsg (db));
}

static gboolean
exec_stmt (sqlite3_stmt  *stmt,
           sqlite3       *db,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, rc, error, sqlite3_sql (stmt));
      return FALSE;
    }
  return TRUE;
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error, sql);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* Runs @sql (a write) with text/int parameters inside the store's
 * transaction machinery so it nests in a caller's transaction. */
static gboolean
write_sql (BqAuth      *self,
           const char  *sql,
           GError     **error,
           const char  *types,
           ...)
{
  sqlite3 *db = bq_store_get_db (self->store);
  g_autoptr(sqlite3_stmt) stmt = NULL;
  va_list args;

  if (!bq_store_begin (self->store, error))
    return FALSE;
  stmt = prepare (db, sql, error);
  if (stmt == NULL)
    {
      bq_store_rollback (self->store);
      return FALSE;
    }

  va_start (args, types);
  for (int i = 0; types[i] != '\0'; i++)
    {
      if (types[i] == 's')
        sqlite3_bind_text (stmt, i + 1, va_arg (args, const char *), -1, SQLITE_TRANSIENT);
      else if (types[i] == 'i')
        sqlite3_bind_int64 (stmt, i + 1, va_arg (args, gint64));
      else
        g_assert_not_reached ();
    }
  va_end (args);

  if (!exec_stmt (stmt, db, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  return bq_store_commit (self->store, error);
}

/* ---------------------------------------------------------------- object */

static void
bq_auth_dispose (GObject *object)
{
  BqAuth *self = BQ_AUTH (object);

  g_clear_object (&self->store);

  G_OBJECT_CLASS (bq_auth_parent_class)->dispose (object);
}

static void
bq_auth_class_init (BqAuthClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bq_auth_dispose;

  /* Thread-safe and idempotent; it seeds randombytes. */
  if (sodium_init () < 0)
    g_error ("libsodium cannot be initialised");
}

static void
bq_auth_init (BqAuth *self)
{
  self->session_lifetime = DEFAULT_SESSION_LIFETIME;
  self->last_prune = G_MININT64;
}

BqAuth *
bq_auth_new (BqStore *store)
{
  BqAuth *self;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);

  self = g_object_new (BQ_TYPE_AUTH, NULL);
  self->store = g_object_ref (store);
  return self;
}

void
bq_auth_set_session_lifetime (BqAuth *self,
                              gint64  seconds)
{
  g_return_if_fail (BQ_IS_AUTH (self));
  g_return_if_fail (seconds > 0);

  self->session_lifetime = seconds;
}

void
bq_auth_set_fast_hashing (BqAuth   *self,
                          gboolean  fast)
{
  g_return_if_fail (BQ_IS_AUTH (self));

  self->fast_hashing = !!fast;
}

/* ------------------------------------------------------------- passwords */

gboolean
bq_auth_set_password (BqAuth      *self,
                      const char  *user_id,
                      const char  *password,
                      GError     **error)
{
  g_autoptr(BqUser) user = NULL;
  g_autoptr(GError) local_error = NULL;
  char hash[crypto_pwhash_STRBYTES];
  gint64 now;
  gboolean ok;

  g_return_val_if_fail (BQ_IS_AUTH (self), FALSE);
  g_return_val_if_fail (user_id != NULL, FALSE);
  g_return_val_if_fail (password != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!g_utf8_validate (password, -1, NULL))
    {
      g_set_error_literal (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_WEAK_PASSWORD,
                           "the password is not valid UTF-8 text");
      return FALSE;
    }
  if (g_utf8_strlen (password, -1) < MIN_PASSWORD_CHARS)
    {
      g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_WEAK_PASSWORD,
                   "a password needs at least %d characters", MIN_PASSWORD_CHARS);
      return FALSE;
    }
  if (strlen (password) > MAX_PASSWORD_BYTES)
    {
      g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_FAILED,
                   "a password may have at most %d bytes", MAX_PASSWORD_BYTES);
      return FALSE;
    }

  user = bq_store_get (self->store, &bq_user_type, user_id, &local_error);
  if (user == NULL)
    {
      if (g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_FAILED,
                     "there is no user “%s”", user_id);
      else
        g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }

  if (!hash_password (self->fast_hashing, password, hash))
    {
      g_set_error_literal (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_FAILED,
                           "cannot hash the password (out of memory)");
      return FALSE;
    }

  now = g_get_real_time () / G_USEC_PER_SEC;
  if (!bq_store_begin (self->store, error))
    return FALSE;
  /* A new password ends every session the old one opened. */
  ok = write_sql (self,
                  "INSERT INTO credentials (user_id, hash, updated_at) VALUES (?1, ?2, ?3) "
                  "ON CONFLICT (user_id) DO UPDATE SET hash = excluded.hash, "
                  "updated_at = excluded.updated_at",
                  error, "ssi", user_id, hash, now) &&
       write_sql (self, "DELETE FROM sessions WHERE user_id = ?1", error, "s", user_id);
  sodium_memzero (hash, sizeof hash);
  if (!ok)
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  return bq_store_commit (self->store, error);
}

/* --------------------------------------------------------------- lockout */

gint64
bq_auth_locked_until (BqAuth     *self,
                      const char *username,
                      gint64      now)
{
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  gint64 until = 0;

  g_return_val_if_fail (BQ_IS_AUTH (self), 0);
  g_return_val_if_fail (username != NULL, 0);

  db = bq_store_get_db (self->store);
  /* The 5th most recent failure within the window: the lock lasts until
   * it leaves the window. */
  stmt = prepare (db,
                  "SELECT at FROM login_failures WHERE username = ?1 AND at > ?2 "
                  "ORDER BY at DESC LIMIT 1 OFFSET ?3",
                  NULL);
  if (stmt == NULL)
    return 0;
  sqlite3_bind_text (stmt, 1, username, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 2, now - FAILURE_WINDOW);
  sqlite3_bind_int (stmt, 3, MAX_FAILURES - 1);
  if (sqlite3_step (stmt) == SQLITE_ROW)
    until = sqlite3_column_int64 (stmt, 0) + FAILURE_WINDOW;
  return until > now ? until : 0;
}

static void
prune (BqAuth *self,
       gint64  now)
{
  g_autoptr(GError) error = NULL;

  if (self->last_prune != G_MININT64 && now - self->last_prune < PRUNE_INTERVAL &&
      now >= self->last_prune)
    return;
  self->last_prune = now;

  if (!write_sql (self, "DELETE FROM sessions WHERE expires_at <= ?1", &error, "i", now) ||
      !write_sql (self, "DELETE FROM login_failures WHERE at <= ?1", &error, "i",
                  now - FAILURE_WINDOW))
    g_warning ("cannot prune expired sessions: %s", error->message);
}

/* ----------------------------------------------------------------- login */

typedef struct {
  char    *username;
  char    *password;   /* wiped when freed */
  gint64   now;
  BqUser  *user;       /* NULL: unknown, or no password set */
  char    *hash;       /* the user's, or a dummy */
  gboolean fast;
  gboolean verified;
} Login;

static void
login_free (Login *login)
{
  g_free (login->username);
  if (login->password != NULL)
    {
      sodium_memzero (login->password, strlen (login->password));
      g_free (login->password);
    }
  g_clear_pointer (&login->user, bq_entity_free);
  g_free (login->hash);
  g_free (login);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Login, login_free)

typedef struct {
  char   *token;
  BqUser *user;
  gint64  expires_at;
} LoginResult;

static void
login_result_free (LoginResult *result)
{
  g_free (result->token);
  g_clear_pointer (&result->user, bq_entity_free);
  g_free (result);
}

static void
set_invalid_credentials (GError **error)
{
  g_set_error_literal (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS,
                       "wrong user name or password");
}

static gboolean
refuse_locked (BqAuth      *self,
               const char  *username,
               gint64       now,
               GError     **error)
{
  gint64 until = bq_auth_locked_until (self, username, now);

  if (until == 0)
    return FALSE;
  g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS,
               "too many failed sign-ins; try again in %" G_GINT64_FORMAT " s",
               until - now);
  return TRUE;
}

/* Main thread: everything that reads the store before the slow part.
 * NULL with an error when the attempt is refused without verifying. */
static Login *
login_prepare (BqAuth      *self,
               const char  *username,
               const char  *password,
               gint64       now,
               GError     **error)
{
  g_autoptr(Login) login = NULL;
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) users = NULL;
  sqlite3 *db = bq_store_get_db (self->store);

  if (strlen (username) > MAX_USERNAME_BYTES || strlen (password) > MAX_PASSWORD_BYTES ||
      !g_utf8_validate (username, -1, NULL))
    {
      set_invalid_credentials (error);
      return NULL;
    }
  if (refuse_locked (self, username, now, error))
    return NULL;

  login = g_new0 (Login, 1);
  login->username = g_strdup (username);
  login->password = g_strdup (password);
  login->now = now;
  login->fast = self->fast_hashing;

  query = bq_query_new (&bq_user_type);
  bq_query_where_equals (query, "username", username);
  users = bq_store_query (self->store, query, error);
  if (users == NULL)
    return NULL;

  if (users->len == 1)
    {
      const BqUser *user = g_ptr_array_index (users, 0);
      g_autoptr(sqlite3_stmt) stmt = NULL;

      stmt = prepare (db, "SELECT hash FROM credentials WHERE user_id = ?1", error);
      if (stmt == NULL)
        return NULL;
      sqlite3_bind_text (stmt, 1, bq_entity_get_id (user), -1, SQLITE_STATIC);
      if (sqlite3_step (stmt) == SQLITE_ROW)
        {
          login->hash = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
          login->user = bq_entity_copy (user);
        }
    }
  return g_steal_pointer (&login);
}

/* Any thread. */
static void
login_verify (Login *login)
{
  const char *hash = login->hash;

  if (hash == NULL)
    hash = get_dummy_hash (login->fast);
  login->verified = verify_password (hash, login->password) && login->user != NULL;
}

static char *
create_session (BqAuth      *self,
                const char  *user_id,
                gint64       now,
                gint64      *expires_at,
                GError     **error)
{
  g_autofree char *token = new_token ();
  g_autofree char *hash = token_hash (token);

  *expires_at = now + self->session_lifetime;
  if (!write_sql (self,
                  "INSERT INTO sessions (token_hash, user_id, created_at, expires_at) "
                  "VALUES (?1, ?2, ?3, ?4)",
                  error, "ssii", hash, user_id, now, *expires_at))
    return NULL;
  return g_steal_pointer (&token);
}

static void
record_failure (BqAuth *self,
                Login  *login)
{
  g_autoptr(GError) error = NULL;

  if (!write_sql (self, "INSERT INTO login_failures (username, at) VALUES (?1, ?2)",
                  &error, "si", login->username, login->now))
    g_warning ("cannot record a failed sign-in: %s", error->message);
}

/* Main thread: records the outcome. */
static LoginResult *
login_complete (BqAuth      *self,
                Login       *login,
                GError     **error)
{
  LoginResult *result;
  g_autofree char *token = NULL;
  gint64 expires_at;

  prune (self, login->now);

  /* A login verified in parallel may have been the 5th failure. */
  if (refuse_locked (self, login->username, login->now, error))
    return NULL;

  if (!login->verified)
    {
      record_failure (self, login);
      set_invalid_credentials (error);
      return NULL;
    }

  if (login->user->disabled)
    {
      g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_DISABLED,
                   "the user “%s” is disabled", login->username);
      return NULL;
    }

  if (!bq_store_begin (self->store, error))
    return NULL;
  token = create_session (self, bq_entity_get_id (login->user), login->now, &expires_at,
                          error);
  if (token == NULL ||
      !write_sql (self, "DELETE FROM login_failures WHERE username = ?1", error, "s",
                  login->username))
    {
      bq_store_rollback (self->store);
      return NULL;
    }
  if (!bq_store_commit (self->store, error))
    return NULL;

  result = g_new0 (LoginResult, 1);
  result->token = g_steal_pointer (&token);
  result->user = g_steal_pointer (&login->user);
  result->expires_at = expires_at;
  return result;
}

static char *
login_result_steal (LoginResult  *result,
                    BqUser      **user,
                    gint64       *expires_at)
{
  char *token = g_steal_pointer (&result->token);

  if (user != NULL)
    *user = g_steal_pointer (&result->user);
  if (expires_at != NULL)
    *expires_at = result->expires_at;
  login_result_free (result);
  return token;
}

char *
bq_auth_login (BqAuth      *self,
               const char  *username,
               const char  *password,
               gint64       now,
               BqUser     **user,
               gint64      *expires_at,
               GError     **error)
{
  g_autoptr(Login) login = NULL;
  LoginResult *result;

  g_return_val_if_fail (BQ_IS_AUTH (self), NULL);
  g_return_val_if_fail (username != NULL, NULL);
  g_return_val_if_fail (password != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  login = login_prepare (self, username, password, now, error);
  if (login == NULL)
    return NULL;
  login_verify (login);
  result = login_complete (self, login, error);
  if (result == NULL)
    return NULL;
  return login_result_steal (result, user, expires_at);
}

static void
login_thread (GTask        *task,
              gpointer      source_object,
              gpointer      task_data,
              GCancellable *cancellable)
{
  login_verify (task_data);
  g_task_return_boolean (task, TRUE);
}

/* Back on the caller's thread and main context. */
static void
on_login_verified (GObject      *source,
                   GAsyncResult *res,
                   gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  BqAuth *self = g_task_get_source_object (task);
  Login *login = g_task_get_task_data (G_TASK (res));
  GError *error = NULL;
  LoginResult *result;

  /* The worker only ever returns TRUE; its outcome is in @login. */
  g_task_propagate_boolean (G_TASK (res), NULL);

  /* Cancelled while verifying: no session, but a wrong guess still
   * counts, or dropping the connection would dodge the attempt limit. */
  if (g_cancellable_is_cancelled (g_task_get_cancellable (task)))
    {
      if (!login->verified)
        record_failure (self, login);
      g_task_return_error_if_cancelled (task);
      return;
    }

  result = login_complete (self, login, &error);
  if (result == NULL)
    g_task_return_error (task, error);
  else
    g_task_return_pointer (task, result, (GDestroyNotify) login_result_free);
}

void
bq_auth_login_async (BqAuth              *self,
                     const char          *username,
                     const char          *password,
                     gint64               now,
                     GCancellable        *cancellable,
                     GAsyncReadyCallback  callback,
                     gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(GTask) worker = NULL;
  GError *error = NULL;
  Login *login;

  g_return_if_fail (BQ_IS_AUTH (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);
  g_return_if_fail (cancellable == NULL || G_IS_CANCELLABLE (cancellable));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_auth_login_async);

  login = login_prepare (self, username, password, now, &error);
  if (login == NULL)
    {
      g_task_return_error (task, error);
      return;
    }

  /* The worker is not cancellable: a verification that started is
   * finished, and the outer task reports the cancellation. */
  worker = g_task_new (self, NULL, on_login_verified, g_steal_pointer (&task));
  g_task_set_source_tag (worker, login_thread);
  g_task_set_task_data (worker, login, (GDestroyNotify) login_free);
  g_task_run_in_thread (worker, login_thread);
}

char *
bq_auth_login_finish (BqAuth        *self,
                      GAsyncResult  *result,
                      BqUser       **user,
                      gint64        *expires_at,
                      GError       **error)
{
  LoginResult *login_result;

  g_return_val_if_fail (BQ_IS_AUTH (self), NULL);
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bq_auth_login_async, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  login_result = g_task_propagate_pointer (G_TASK (result), error);
  if (login_result == NULL)
    return NULL;
  return login_result_steal (login_result, user, expires_at);
}

/* -------------------------------------------------------------- sessions */

static void
set_invalid_token (GError     **error,
                   const char  *why)
{
  g_set_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN,
               "the session token is %s", why);
}

BqUser *
bq_auth_authenticate (BqAuth      *self,
                      const char  *token,
                      gint64       now,
                      GError     **error)
{
  sqlite3 *db;
  g_autoptr(BqStoreStmt) stmt = NULL;
  g_autoptr(GError) local_error = NULL;
  g_autofree char *hash = NULL;
  g_autofree char *user_id = NULL;
  g_autoptr(BqUser) user = NULL;
  gint64 expires_at;
  int rc;

  g_return_val_if_fail (BQ_IS_AUTH (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (token == NULL || !token_is_well_formed (token))
    {
      set_invalid_token (error, "malformed");
      return NULL;
    }

  db = bq_store_get_db (self->store);
  hash = token_hash (token);
  /* Every authenticated request asks this: prepared once. */
  rc = bq_store_prepare_cached (self->store,
                                "SELECT user_id, expires_at FROM sessions WHERE token_hash = ?1",
                                &stmt);
  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error, "cannot look up the session");
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE)
    {
      set_invalid_token (error, "unknown or ended");
      return NULL;
    }
  if (rc != SQLITE_ROW)
    {
      set_sqlite_error (db, rc, error, "cannot look up the session");
      return NULL;
    }
  user_id = g_strdup ((const char *) sqlite3_column_text (stmt, 0));
  expires_at = sqlite3_column_int64 (stmt, 1);
  g_clear_pointer (&stmt, bq_store_stmt_release);

  if (expires_at <= now)
    {
      set_invalid_token (error, "expired");
      return NULL;
    }

  user = bq_store_get (self->store, &bq_user_type, user_id, &local_error);
  if (user == NULL)
    {
      if (!g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return NULL;
        }
      set_invalid_token (error, "of a user who no longer exists");
      return NULL;
    }
  if (user->disabled)
    {
      set_invalid_token (error, "of a disabled user");
      return NULL;
    }
  return g_steal_pointer (&user);
}

void
bq_auth_logout (BqAuth     *self,
                const char *token)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = NULL;

  g_return_if_fail (BQ_IS_AUTH (self));

  if (token == NULL || !token_is_well_formed (token))
    return;
  hash = token_hash (token);
  if (!write_sql (self, "DELETE FROM sessions WHERE token_hash = ?1", &error, "s", hash))
    g_warning ("cannot end a session: %s", error->message);
}
