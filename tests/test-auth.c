/* test-auth.c — passwords, sessions and the login attempt limit
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-auth.h"

#define PASSWORD "correct horse battery"
#define NOW      ((gint64) 1800000000)

typedef struct {
  BqStore *store;
  BqAuth  *auth;
} Fixture;

static void
put_user (BqStore    *store,
          const char *id,
          const char *username,
          BqRole      role,
          gboolean    disabled)
{
  g_autoptr(BqUser) user = bq_user_new ();
  g_autoptr(GError) error = NULL;

  bq_entity_set_id (user, id);
  user->username = g_strdup (username);
  user->role = role;
  user->disabled = disabled;
  g_assert_true (bq_store_put (store, user, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);
  put_user (f->store, "user-alice", "alice", BQ_ROLE_PLANNER, FALSE);
  put_user (f->store, "user-bob", "bob", BQ_ROLE_VIEWER, TRUE);

  f->auth = bq_auth_new (f->store);
  bq_auth_set_fast_hashing (f->auth, TRUE);
  g_assert_true (bq_auth_set_password (f->auth, "user-alice", PASSWORD, &error));
  g_assert_no_error (error);
  g_assert_true (bq_auth_set_password (f->auth, "user-bob", PASSWORD, &error));
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->auth);
  g_clear_object (&f->store);
}

static char *
login_ok (Fixture    *f,
          const char *username,
          const char *password,
          gint64      now)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  gint64 expires_at = 0;
  char *token;

  token = bq_auth_login (f->auth, username, password, now, &user, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_nonnull (token);
  g_assert_cmpstr (user->username, ==, username);
  g_assert_cmpint (expires_at, ==, now + 12 * 60 * 60);
  return token;
}

static void
login_fails (Fixture     *f,
             const char  *username,
             const char  *password,
             gint64       now,
             BqAuthError  code)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  g_autofree char *token = NULL;

  token = bq_auth_login (f->auth, username, password, now, &user, NULL, &error);
  g_assert_error (error, BQ_AUTH_ERROR, (gint) code);
  g_assert_null (token);
  g_assert_null (user);
}

static gint64
count_rows (Fixture    *f,
            const char *sql)
{
  sqlite3_stmt *stmt = NULL;
  gint64 n;

  g_assert_cmpint (sqlite3_prepare_v2 (bq_store_get_db (f->store), sql, -1, &stmt, NULL), ==,
                   SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  n = sqlite3_column_int64 (stmt, 0);
  sqlite3_finalize (stmt);
  return n;
}

/* ------------------------------------------------------------ passwords */

static void
test_login_ok (Fixture       *f,
               gconstpointer  data)
{
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autoptr(BqUser) user = NULL;
  g_autoptr(GError) error = NULL;

  g_assert_cmpuint (strlen (token), ==, 43);
  user = bq_auth_authenticate (f->auth, token, NOW + 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (bq_entity_get_id (user), ==, "user-alice");
}

static void
test_password_is_hashed (Fixture       *f,
                         gconstpointer  data)
{
  sqlite3_stmt *stmt = NULL;
  const char *hash;

  g_assert_cmpint (sqlite3_prepare_v2 (bq_store_get_db (f->store),
                                       "SELECT hash FROM credentials WHERE user_id = 'user-alice'",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  hash = (const char *) sqlite3_column_text (stmt, 0);
  g_assert_true (g_str_has_prefix (hash, "$argon2id$"));
  g_assert_null (strstr (hash, PASSWORD));
  sqlite3_finalize (stmt);
}

static void
test_wrong_password_and_unknown_user (Fixture       *f,
                                      gconstpointer  data)
{
  g_autoptr(GError) wrong = NULL;
  g_autoptr(GError) unknown = NULL;
  g_autoptr(GError) no_password = NULL;
  g_autofree char *t1 = NULL, *t2 = NULL, *t3 = NULL;

  put_user (f->store, "user-carol", "carol", BQ_ROLE_QA, FALSE);  /* never given a password */

  t1 = bq_auth_login (f->auth, "alice", "not the password", NOW, NULL, NULL, &wrong);
  t2 = bq_auth_login (f->auth, "mallory", PASSWORD, NOW, NULL, NULL, &unknown);
  t3 = bq_auth_login (f->auth, "carol", PASSWORD, NOW, NULL, NULL, &no_password);
  g_assert_null (t1);
  g_assert_null (t2);
  g_assert_null (t3);
  g_assert_error (wrong, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  g_assert_error (unknown, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  g_assert_error (no_password, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  /* Word for word the same: the message must not tell them apart either. */
  g_assert_cmpstr (wrong->message, ==, unknown->message);
  g_assert_cmpstr (wrong->message, ==, no_password->message);
}

static double
time_login (BqAuth     *auth,
            const char *username,
            gint64      now)
{
  double best = G_MAXDOUBLE;

  for (int i = 0; i < 2; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autofree char *token = NULL;
      gint64 start = g_get_monotonic_time ();

      token = bq_auth_login (auth, username, "not the password", now + i, NULL, NULL, &error);
      g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
      best = MIN (best, (g_get_monotonic_time () - start) / 1e6);
    }
  return best;
}

/* With the production cost, so the Argon2id work dominates. */
static void
test_unknown_user_takes_as_long (Fixture       *f,
                                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  double wrong, unknown;

  if (g_getenv ("BQ_UNDER_VALGRIND") != NULL)
    {
      g_test_skip ("timings mean nothing under valgrind");
      return;
    }

  bq_auth_set_fast_hashing (f->auth, FALSE);
  g_assert_true (bq_auth_set_password (f->auth, "user-alice", PASSWORD, &error));
  g_assert_no_error (error);

  time_login (f->auth, "warm-up", NOW);  /* makes the dummy hash once */
  wrong = time_login (f->auth, "alice", NOW);
  unknown = time_login (f->auth, "mallory", NOW);
  g_test_message ("wrong password %.3f s, unknown user %.3f s", wrong, unknown);
  g_assert_cmpfloat (unknown, >, wrong / 3);
  g_assert_cmpfloat (unknown, <, wrong * 3);
}

static void
test_weak_password (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_auth_set_password (f->auth, "user-alice", "123456789", &error));
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_WEAK_PASSWORD);
  g_clear_error (&error);

  /* Characters count, not bytes: 9 of them in 18 bytes is still weak. */
  g_assert_false (bq_auth_set_password (f->auth, "user-alice", "ééééééééé", &error));
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_WEAK_PASSWORD);
  g_clear_error (&error);

  g_assert_true (bq_auth_set_password (f->auth, "user-alice", "éééééééééé", &error));
  g_assert_no_error (error);
  g_free (login_ok (f, "alice", "éééééééééé", NOW));

  /* The old password no longer works. */
  login_fails (f, "alice", PASSWORD, NOW, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
}

static void
test_password_for_unknown_user (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_auth_set_password (f->auth, "user-nobody", PASSWORD, &error));
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_FAILED);
}

static void
test_new_password_ends_sessions (Fixture       *f,
                                 gconstpointer  data)
{
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;

  g_assert_true (bq_auth_set_password (f->auth, "user-alice", "another long one", &error));
  g_assert_no_error (error);
  user = bq_auth_authenticate (f->auth, token, NOW + 1, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
  g_assert_null (user);
}

/* -------------------------------------------------------------- lockout */

static void
test_lock_out_after_five_failures (Fixture       *f,
                                   gconstpointer  data)
{
  g_autofree char *token = NULL;

  for (int i = 0; i < 5; i++)
    {
      g_assert_cmpint (bq_auth_locked_until (f->auth, "alice", NOW + i), ==, 0);
      login_fails (f, "alice", "guess", NOW + i, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
    }

  /* Now even the right password is refused, without a new failure. */
  login_fails (f, "alice", PASSWORD, NOW + 10, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS);
  login_fails (f, "alice", "guess", NOW + 11, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS);
  g_assert_cmpint (bq_auth_locked_until (f->auth, "alice", NOW + 10), ==, NOW + 15 * 60);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures"), ==, 5);

  /* Only that name is locked. */
  put_user (f->store, "user-dave", "dave", BQ_ROLE_QA, FALSE);
  g_assert_true (bq_auth_set_password (f->auth, "user-dave", PASSWORD, NULL));
  g_free (login_ok (f, "dave", PASSWORD, NOW + 12));

  /* 15 minutes after the first failure, four remain in the window. */
  login_fails (f, "alice", PASSWORD, NOW + 15 * 60 - 1, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS);
  token = login_ok (f, "alice", PASSWORD, NOW + 15 * 60);
}

static void
test_four_failures_do_not_lock (Fixture       *f,
                                gconstpointer  data)
{
  for (int round = 0; round < 2; round++)
    {
      for (int i = 0; i < 4; i++)
        login_fails (f, "alice", "guess", NOW + i, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
      /* Success clears the count, or the second round would lock. */
      g_free (login_ok (f, "alice", PASSWORD, NOW + 5));
      g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures "
                                      "WHERE username = 'alice'"), ==, 0);
    }
}

static void
test_unknown_names_lock_too (Fixture       *f,
                             gconstpointer  data)
{
  for (int i = 0; i < 5; i++)
    login_fails (f, "mallory", "guess", NOW + i, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  login_fails (f, "mallory", "guess", NOW + 6, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS);
}

static void
test_old_failures_do_not_count (Fixture       *f,
                                gconstpointer  data)
{
  /* Five failures, but spread over more than 15 minutes. */
  for (int i = 0; i < 5; i++)
    login_fails (f, "alice", "guess", NOW + i * 4 * 60, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  g_free (login_ok (f, "alice", PASSWORD, NOW + 16 * 60 + 1));
}

/* ------------------------------------------------------------- sessions */

static void
test_token_expires (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  g_autofree char *token = NULL;
  gint64 expires_at = 0;

  bq_auth_set_session_lifetime (f->auth, 1);
  token = bq_auth_login (f->auth, "alice", PASSWORD, NOW, NULL, &expires_at, &error);
  g_assert_no_error (error);
  g_assert_cmpint (expires_at, ==, NOW + 1);

  user = bq_auth_authenticate (f->auth, token, NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
  g_clear_pointer (&user, bq_entity_free);

  user = bq_auth_authenticate (f->auth, token, NOW + 2, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
  g_assert_null (user);
}

static void
test_logout (Fixture       *f,
             gconstpointer  data)
{
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autofree char *other = login_ok (f, "alice", PASSWORD, NOW);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;

  bq_auth_logout (f->auth, token);
  user = bq_auth_authenticate (f->auth, token, NOW, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
  g_clear_error (&error);

  /* Only that session ended; ending it again is no error. */
  bq_auth_logout (f->auth, token);
  bq_auth_logout (f->auth, "not a token");
  user = bq_auth_authenticate (f->auth, other, NOW, &error);
  g_assert_no_error (error);
  g_assert_nonnull (user);
}

static void
test_bad_tokens (Fixture       *f,
                 gconstpointer  data)
{
  static const char * const tokens[] = {
    "",
    "short",
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",   /* well formed, unknown */
    "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=",   /* padding */
    "' OR 1=1 --AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
  };
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autofree char *hash = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);

  for (guint i = 0; i < G_N_ELEMENTS (tokens) + 2; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BqUser) user = NULL;
      /* The stored hash itself is not a token either. */
      const char *candidate = i < G_N_ELEMENTS (tokens) ? tokens[i]
                              : i == G_N_ELEMENTS (tokens) ? hash : NULL;

      user = bq_auth_authenticate (f->auth, candidate, NOW, &error);
      g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
      g_assert_null (user);
    }
}

static void
test_stored_token_is_a_hash (Fixture       *f,
                             gconstpointer  data)
{
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autofree char *expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, token, -1);
  sqlite3_stmt *stmt = NULL;
  guint n_rows = 0;

  g_assert_cmpint (sqlite3_prepare_v2 (bq_store_get_db (f->store), "SELECT * FROM sessions",
                                       -1, &stmt, NULL), ==, SQLITE_OK);
  while (sqlite3_step (stmt) == SQLITE_ROW)
    {
      for (int i = 0; i < sqlite3_column_count (stmt); i++)
        {
          const char *value = (const char *) sqlite3_column_text (stmt, i);

          g_assert_true (value == NULL || strstr (value, token) == NULL);
          if (strcmp (sqlite3_column_name (stmt, i), "token_hash") == 0)
            g_assert_cmpstr (value, ==, expected);
        }
      n_rows++;
    }
  sqlite3_finalize (stmt);
  g_assert_cmpuint (n_rows, ==, 1);
}

static void
test_tokens_are_unique (Fixture       *f,
                        gconstpointer  data)
{
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (int i = 0; i < 50; i++)
    {
      char *token = login_ok (f, "alice", PASSWORD, NOW);

      /* base64url without padding */
      g_assert_cmpuint (strspn (token, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                       "0123456789-_"), ==, 43);
      g_assert_true (g_hash_table_add (seen, token));
    }
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 50);
}

static void
test_disabled_user (Fixture       *f,
                    gconstpointer  data)
{
  g_autofree char *token = login_ok (f, "alice", PASSWORD, NOW);
  g_autoptr(BqUser) alice = NULL;
  g_autoptr(BqUser) user = NULL;
  g_autoptr(GError) error = NULL;

  /* Right password, disabled: said so; wrong password: nothing said. */
  login_fails (f, "bob", PASSWORD, NOW, BQ_AUTH_ERROR_DISABLED);
  login_fails (f, "bob", "not the password", NOW, BQ_AUTH_ERROR_INVALID_CREDENTIALS);

  /* A session ends when its user is disabled… */
  alice = bq_store_get (f->store, &bq_user_type, "user-alice", &error);
  g_assert_no_error (error);
  alice->disabled = TRUE;
  g_assert_true (bq_store_put (f->store, alice, &error));
  g_assert_no_error (error);
  user = bq_auth_authenticate (f->auth, token, NOW, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
  g_assert_null (user);
  g_clear_error (&error);

  /* …or deleted (its sessions go with it). */
  alice->disabled = FALSE;
  g_assert_true (bq_store_put (f->store, alice, &error));
  g_assert_no_error (error);
  g_assert_true (bq_store_delete (f->store, &bq_user_type, "user-alice", &error));
  g_assert_no_error (error);
  user = bq_auth_authenticate (f->auth, token, NOW, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 0);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM credentials "
                                  "WHERE user_id = 'user-alice'"), ==, 0);
}

static void
test_expired_sessions_are_pruned (Fixture       *f,
                                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;

  bq_auth_set_session_lifetime (f->auth, 60);
  first = bq_auth_login (f->auth, "alice", PASSWORD, NOW, NULL, NULL, &error);
  g_assert_no_error (error);
  login_fails (f, "mallory", "guess", NOW, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures"), ==, 1);

  /* Twenty minutes on: the first session and the old failure are gone. */
  second = bq_auth_login (f->auth, "alice", PASSWORD, NOW + 20 * 60, NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures"), ==, 0);
}

/* ----------------------------------------------------------------- async */

typedef struct {
  Fixture   *f;
  GMainLoop *loop;
  guint      pending;
  guint      n_ok;
  guint      n_refused;
  char      *token;
} AsyncState;

static void
on_login (GObject      *source,
          GAsyncResult *result,
          gpointer      user_data)
{
  AsyncState *state = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  gint64 expires_at = 0;
  char *token;

  /* Completion comes back on the thread that owns the store. */
  g_assert_true (g_main_context_is_owner (g_main_context_default ()));

  token = bq_auth_login_finish (BQ_AUTH (source), result, &user, &expires_at, &error);
  if (token != NULL)
    {
      g_assert_no_error (error);
      g_assert_cmpstr (user->username, ==, "alice");
      g_assert_cmpint (expires_at, >, NOW);
      state->n_ok++;
      g_free (state->token);
      state->token = token;
    }
  else
    {
      g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
      g_assert_null (user);
      state->n_refused++;
    }

  if (--state->pending == 0)
    g_main_loop_quit (state->loop);
}

static void
test_login_async (Fixture       *f,
                  gconstpointer  data)
{
  AsyncState state = { f, g_main_loop_new (NULL, FALSE), 0, 0, 0, NULL };
  g_autoptr(BqUser) user = NULL;
  g_autoptr(GError) error = NULL;

  for (int i = 0; i < 6; i++)
    {
      state.pending++;
      bq_auth_login_async (f->auth, i % 2 == 0 ? "alice" : "mallory", PASSWORD, NOW, NULL,
                           on_login, &state);
    }
  g_main_loop_run (state.loop);

  g_assert_cmpuint (state.n_ok, ==, 3);
  g_assert_cmpuint (state.n_refused, ==, 3);
  user = bq_auth_authenticate (f->auth, state.token, NOW, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (user->username, ==, "alice");
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 3);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures"), ==, 3);

  g_free (state.token);
  g_main_loop_unref (state.loop);
}

static void
on_login_locked (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  GMainLoop *loop = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = bq_auth_login_finish (BQ_AUTH (source), result, NULL, NULL, &error);
  g_assert_error (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS);
  g_assert_null (token);
  g_main_loop_quit (loop);
}

static void
test_login_async_locked (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GMainLoop) loop = g_main_loop_new (NULL, FALSE);

  for (int i = 0; i < 5; i++)
    login_fails (f, "alice", "guess", NOW, BQ_AUTH_ERROR_INVALID_CREDENTIALS);
  bq_auth_login_async (f->auth, "alice", PASSWORD, NOW, NULL, on_login_locked, loop);
  g_main_loop_run (loop);
}

static void
on_login_cancelled (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  guint *pending = user_data;
  g_autoptr(GError) error = NULL;
  g_autofree char *token = NULL;

  token = bq_auth_login_finish (BQ_AUTH (source), result, NULL, NULL, &error);
  g_assert_error (error, G_IO_ERROR, G_IO_ERROR_CANCELLED);
  g_assert_null (token);
  (*pending)--;
}

/* Hanging up mid-login opens no session, and still counts a wrong guess. */
static void
test_login_async_cancelled (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GCancellable) cancellable = g_cancellable_new ();
  guint pending = 2;

  bq_auth_login_async (f->auth, "alice", "guess", NOW, cancellable, on_login_cancelled,
                       &pending);
  bq_auth_login_async (f->auth, "alice", PASSWORD, NOW, cancellable, on_login_cancelled,
                       &pending);
  g_cancellable_cancel (cancellable);
  while (pending > 0)
    g_main_context_iteration (NULL, TRUE);

  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM login_failures"), ==, 1);
  g_assert_cmpint (count_rows (f, "SELECT count(*) FROM sessions"), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/auth/login/right-password-opens-a-session", test_login_ok);
  ADD ("/auth/password/stored-as-argon2id-hash", test_password_is_hashed);
  ADD ("/auth/login/wrong-password-and-unknown-user-look-the-same",
       test_wrong_password_and_unknown_user);
  ADD ("/auth/login/unknown-user-takes-as-long-as-wrong-password",
       test_unknown_user_takes_as_long);
  ADD ("/auth/password/weak-is-refused", test_weak_password);
  ADD ("/auth/password/unknown-user-is-refused", test_password_for_unknown_user);
  ADD ("/auth/password/new-password-ends-sessions", test_new_password_ends_sessions);
  ADD ("/auth/lockout/five-failures-lock-the-name", test_lock_out_after_five_failures);
  ADD ("/auth/lockout/four-failures-and-success-clears", test_four_failures_do_not_lock);
  ADD ("/auth/lockout/unknown-names-lock-too", test_unknown_names_lock_too);
  ADD ("/auth/lockout/old-failures-do-not-count", test_old_failures_do_not_count);
  ADD ("/auth/token/expires", test_token_expires);
  ADD ("/auth/token/logout-ends-one-session", test_logout);
  ADD ("/auth/token/malformed-and-unknown-are-refused", test_bad_tokens);
  ADD ("/auth/token/only-a-hash-is-stored", test_stored_token_is_a_hash);
  ADD ("/auth/token/unique", test_tokens_are_unique);
  ADD ("/auth/user/disabled-or-deleted-is-refused", test_disabled_user);
  ADD ("/auth/token/expired-sessions-are-pruned", test_expired_sessions_are_pruned);
  ADD ("/auth/login/async-from-a-main-loop", test_login_async);
  ADD ("/auth/login/async-locked-out", test_login_async_locked);
  ADD ("/auth/login/async-cancelled-still-counts-failure", test_login_async_cancelled);

#undef ADD

  return g_test_run ();
}
