/* bq-server-idempotency.c — Idempotency-Key on writes
 *
 * A client's outbox sends every mutation with a key; after a dropped
 * connection it sends it again.  The first answer of a successful write
 * is remembered per (user, key) for 24 hours, in the write's own
 * transaction, so the record exists exactly when the change does.  A
 * replay of the same request (method, path, SHA-256 of the body) gets that
 * answer again with "Idempotent-Replay: true" and changes nothing; the same
 * key on a different request is refused.  A write that failed leaves no
 * record: the client may retry it with the same key.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-server-private.h"

#define KEY_LIFETIME (24 * 60 * 60)
#define KEY_MAX_LENGTH 255

static char *
body_sha256 (SoupServerMessage *msg)
{
  g_autoptr(GBytes) bytes = soup_message_body_flatten (soup_server_message_get_request_body (msg));

  return g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, bytes);
}

static const char *
request_path (SoupServerMessage *msg)
{
  return g_uri_get_path (soup_server_message_get_uri (msg));
}

/* A key is printable ASCII without spaces: UUIDs, ULIDs, base64. */
static gboolean
key_is_valid (const char *key)
{
  gsize length = strlen (key);

  if (length == 0 || length > KEY_MAX_LENGTH)
    return FALSE;
  for (const char *p = key; *p != '\0'; p++)
    {
      if (*p <= ' ' || *p > '~')
        return FALSE;
    }
  return TRUE;
}

/* Sends the remembered answer again, with the headers a first answer had
 * (they follow from its body). */
static void
replay (BqServerRequest *request,
        guint            status,
        const char      *response)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);
  g_autoptr(JsonNode) node = NULL;

  soup_message_headers_replace (headers, "Idempotent-Replay", "true");
  if (response != NULL)
    node = json_from_string (response, NULL);
  if (node != NULL && JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);

      if (json_object_has_member (object, "revision"))
        {
          g_autofree char *etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"",
                                                   json_object_get_int_member (object, "revision"));

          soup_message_headers_replace (headers, "ETag", etag);
        }
      if (status == SOUP_STATUS_CREATED && request->type != NULL &&
          json_object_has_member (object, "id"))
        {
          const char *id = json_object_get_string_member (object, "id");
          g_autofree char *escaped = g_uri_escape_string (id != NULL ? id : "", NULL, FALSE);
          g_autofree char *location = g_strdup_printf ("/api/v1/%s/%s", request->type->plural,
                                                       escaped);

          soup_message_headers_replace (headers, "Location", location);
        }
    }
  bq_server_reply_text (request->msg, status, g_strdup (response));
}

gboolean
bq_server_idempotency_check (BqServerRequest *request)
{
  sqlite3 *db = bq_store_get_db (request->server->store);
  g_autoptr(BqStoreStmt) stmt = NULL;
  g_autofree char *sha256 = NULL;
  const char *key;
  gboolean bad;
  int rc;

  g_return_val_if_fail (request != NULL, TRUE);
  g_return_val_if_fail (request->user != NULL, TRUE);

  key = bq_server_request_get_header (request, "Idempotency-Key", &bad);
  if (bad)
    return TRUE;
  if (key == NULL)
    return FALSE;
  if (!key_is_valid (key))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             "Idempotency-Key must be 1–255 printable ASCII characters "
                             "without spaces", NULL);
      return TRUE;
    }

  sha256 = body_sha256 (request->msg);
  rc = bq_store_prepare_cached (request->server->store,
                                "SELECT method, path, body_sha256, status, response "
                                "FROM idempotency_keys "
                                "WHERE user_id = ?1 AND key = ?2 AND created_at > ?3",
                                &stmt);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, bq_entity_get_id (request->user), -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, key, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 3, request->now - KEY_LIFETIME);
      rc = sqlite3_step (stmt);
    }
  if (rc == SQLITE_ROW)
    {
      const char *method = (const char *) sqlite3_column_text (stmt, 0);
      const char *path = (const char *) sqlite3_column_text (stmt, 1);
      const char *stored_sha256 = (const char *) sqlite3_column_text (stmt, 2);
      guint status = (guint) sqlite3_column_int (stmt, 3);
      const char *response = (const char *) sqlite3_column_text (stmt, 4);

      if (g_strcmp0 (method, soup_server_message_get_method (request->msg)) == 0 &&
          g_strcmp0 (path, request_path (request->msg)) == 0 &&
          g_strcmp0 (stored_sha256, sha256) == 0)
        replay (request, status, response);
      else
        bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                               "idempotency_key_reused",
                               "this Idempotency-Key was used for a different request", NULL);
      return TRUE;
    }
  if (rc != SQLITE_DONE)
    {
      g_autoptr(GError) error = g_error_new (BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                                             "cannot read idempotency_keys: %s",
                                             sqlite3_errmsg (db));

      bq_server_reply_gerror (request->msg, error);
      return TRUE;
    }

  request->idempotency_key = g_strdup (key);
  request->body_sha256 = g_steal_pointer (&sha256);
  return FALSE;
}

static gboolean
exec_step (sqlite3       *db,
           sqlite3_stmt  *stmt,
           int            rc,
           const char    *what,
           GError       **error)
{
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED, "cannot %s: %s", what,
                   sqlite3_errmsg (db));
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_server_idempotency_record (BqServerRequest  *request,
                              guint             status,
                              const char       *response,
                              GError          **error)
{
  sqlite3 *db = bq_store_get_db (request->server->store);
  g_autoptr(BqStoreStmt) expire = NULL;
  g_autoptr(BqStoreStmt) insert = NULL;
  int rc;

  g_return_val_if_fail (request != NULL, FALSE);

  if (request->idempotency_key == NULL)
    return TRUE;

  /* Old keys go as new ones come: the index on created_at keeps it cheap. */
  rc = bq_store_prepare_cached (request->server->store,
                                "DELETE FROM idempotency_keys WHERE created_at <= ?1", &expire);
  if (rc == SQLITE_OK)
    sqlite3_bind_int64 (expire, 1, request->now - KEY_LIFETIME);
  if (!exec_step (db, expire, rc, "expire idempotency keys", error))
    return FALSE;

  rc = bq_store_prepare_cached (request->server->store,
                                "INSERT OR REPLACE INTO idempotency_keys "
                                "(user_id, key, method, path, body_sha256, status, response, "
                                "created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                                &insert);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (insert, 1, bq_entity_get_id (request->user), -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 2, request->idempotency_key, -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 3, soup_server_message_get_method (request->msg), -1,
                         SQLITE_STATIC);
      sqlite3_bind_text (insert, 4, request_path (request->msg), -1, SQLITE_STATIC);
      sqlite3_bind_text (insert, 5, request->body_sha256, -1, SQLITE_STATIC);
      sqlite3_bind_int (insert, 6, (int) status);
      if (response != NULL)
        sqlite3_bind_text (insert, 7, response, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (insert, 7);
      sqlite3_bind_int64 (insert, 8, request->now);
    }
  return exec_step (db, insert, rc, "remember the idempotency key", error);
}
