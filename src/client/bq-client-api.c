/* bq-client-api.c — HTTP requests to the server and its JSON errors
 *
 * Every request goes through bq_client_api_request_async() on the
 * client's SoupSession: the bearer token, JSON in and out, and one rule
 * for failures: no answer at all is BQ_CLIENT_ERROR_OFFLINE; an answer
 * with an error status is still an answer, for the caller to read
 * (bq_client_response_check() turns it into a GError when that is all
 * the caller needs).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-json.h"
#include "bq-client-private.h"

void
bq_client_response_free (BqClientResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_free (response);
}

char *
bq_client_api_path (const BqEntityType *type,
                    const char         *id)
{
  g_autofree char *escaped = NULL;

  if (id == NULL)
    return g_strconcat ("/api/v1/", type->plural, NULL);
  escaped = g_uri_escape_string (id, NULL, FALSE);
  return g_strconcat ("/api/v1/", type->plural, "/", escaped, NULL);
}

/* ----------------------------------------------------------------- request */

typedef struct {
  SoupMessage *msg;
} Request;

static void
request_free (Request *request)
{
  g_clear_object (&request->msg);
  g_free (request);
}

static void
on_send_and_read (GObject      *source,
                  GAsyncResult *result,
                  gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Request *request = g_task_get_task_data (task);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = NULL;
  BqClientResponse *response;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  if (body == NULL)
    {
      if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_task_return_error (task, g_steal_pointer (&error));
      else
        g_task_return_new_error (task, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_OFFLINE,
                                 "cannot reach the server: %s", error->message);
      return;
    }

  response = g_new0 (BqClientResponse, 1);
  response->status = soup_message_get_status (request->msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (request->msg));
  response->body = g_steal_pointer (&body);
  g_task_return_pointer (task, response, (GDestroyNotify) bq_client_response_free);
}

void
bq_client_api_request_async (BqClient            *self,
                             const char          *method,
                             const char          *path,
                             const char          *body,
                             const char * const  *headers,
                             GCancellable        *cancellable,
                             GAsyncReadyCallback  callback,
                             gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autofree char *uri = NULL;
  SoupMessageHeaders *request_headers;
  Request *request;

  g_assert (BQ_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_client_api_request_async);

  uri = g_strconcat (self->base_url, path, NULL);
  request = g_new0 (Request, 1);
  request->msg = soup_message_new (method, uri);
  g_task_set_task_data (task, request, (GDestroyNotify) request_free);
  if (request->msg == NULL)
    {
      g_task_return_new_error (task, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                               "“%s” is not a server address", self->base_url);
      return;
    }

  request_headers = soup_message_get_request_headers (request->msg);
  soup_message_headers_replace (request_headers, "Accept", "application/json");
  if (self->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", self->token, NULL);

      soup_message_headers_replace (request_headers, "Authorization", authorization);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (request_headers, headers[i], headers[i + 1]);
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (request->msg, "application/json", bytes);
    }

  soup_session_send_and_read_async (self->session, request->msg, G_PRIORITY_DEFAULT,
                                    cancellable, on_send_and_read, g_steal_pointer (&task));
}

BqClientResponse *
bq_client_api_request_finish (BqClient      *self,
                              GAsyncResult  *result,
                              GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);

  return g_task_propagate_pointer (G_TASK (result), error);
}

/* ---------------------------------------------------------------- answers */

JsonNode *
bq_client_response_parse (BqClientResponse  *response,
                          GError           **error)
{
  g_autoptr(GError) local_error = NULL;
  gsize size;
  const char *data = g_bytes_get_data (response->body, &size);
  JsonNode *node;

  node = bq_json_parse (data, (gssize) size, &local_error);
  if (node == NULL)
    g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                 "the server’s answer (%u) is not JSON: %s", response->status,
                 local_error->message);
  return node;
}

void
bq_client_response_get_error (BqClientResponse  *response,
                              char             **code,
                              char             **message,
                              JsonNode         **current)
{
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object, *error_object;
  JsonNode *member;

  if (code != NULL)
    *code = NULL;
  if (message != NULL)
    *message = NULL;
  if (current != NULL)
    *current = NULL;

  if (g_bytes_get_size (response->body) == 0)
    return;
  node = bq_client_response_parse (response, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  object = json_node_get_object (node);

  member = json_object_get_member (object, "error");
  if (member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    {
      error_object = json_node_get_object (member);
      if (code != NULL)
        *code = g_strdup (json_object_get_string_member_with_default (error_object, "code", NULL));
      if (message != NULL)
        *message = g_strdup (json_object_get_string_member_with_default (error_object, "message",
                                                                         NULL));
    }
  member = json_object_get_member (object, "current");
  if (current != NULL && member != NULL && JSON_NODE_HOLDS_OBJECT (member))
    *current = json_node_copy (member);
}

gboolean
bq_client_response_check (BqClientResponse  *response,
                          GError           **error)
{
  g_autofree char *code = NULL;
  g_autofree char *message = NULL;
  BqClientError error_code;

  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    return TRUE;

  switch (response->status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      error_code = BQ_CLIENT_ERROR_UNAUTHORIZED;
      break;
    case SOUP_STATUS_FORBIDDEN:
      error_code = BQ_CLIENT_ERROR_FORBIDDEN;
      break;
    case SOUP_STATUS_CONFLICT:
    case SOUP_STATUS_UNPROCESSABLE_ENTITY:
      error_code = BQ_CLIENT_ERROR_CONFLICT;
      break;
    case SOUP_STATUS_BAD_GATEWAY:
    case SOUP_STATUS_SERVICE_UNAVAILABLE:
    case SOUP_STATUS_GATEWAY_TIMEOUT:
      /* A proxy in front of a server that is not there. */
      error_code = BQ_CLIENT_ERROR_OFFLINE;
      break;
    default:
      error_code = BQ_CLIENT_ERROR_FAILED;
      break;
    }

  bq_client_response_get_error (response, &code, &message, NULL);
  if (message != NULL)
    g_set_error (error, BQ_CLIENT_ERROR, error_code, "%s", message);
  else
    g_set_error (error, BQ_CLIENT_ERROR, error_code, "the server answered %u %s",
                 response->status, soup_status_get_phrase (response->status));
  return FALSE;
}

/* 408, 429 and 5xx say "later", not "never". */
static gboolean
status_is_transient (guint status)
{
  return status == SOUP_STATUS_REQUEST_TIMEOUT || status == 429 || status >= 500;
}

/* Everything but "you may not" and "this is wrong": a broken answer or a
 * failing server may well be better next time. */
gboolean
bq_client_error_is_transient (const GError *error)
{
  return error != NULL && error->domain == BQ_CLIENT_ERROR &&
         error->code != BQ_CLIENT_ERROR_UNAUTHORIZED &&
         error->code != BQ_CLIENT_ERROR_FORBIDDEN &&
         error->code != BQ_CLIENT_ERROR_CONFLICT;
}

gboolean
bq_client_response_is_transient (BqClientResponse *response)
{
  return status_is_transient (response->status);
}

gpointer
bq_client_decode_entity (const BqEntityType  *type,
                         JsonNode            *node,
                         GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer entity;

  entity = bq_entity_from_json (type, node, BQ_JSON_ALLOW_UNKNOWN, &local_error);
  if (entity == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                   "the server sent a %s we cannot read: %s", type->name, local_error->message);
      return NULL;
    }
  if (bq_entity_get_id (entity) == NULL || *bq_entity_get_id (entity) == '\0')
    {
      bq_entity_free (entity);
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                   "the server sent a %s without an id", type->name);
      return NULL;
    }
  return entity;
}
