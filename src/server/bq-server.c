/* bq-server.c — the server object, its SoupServer, and JSON replies
 *
 * Every request comes in through one handler for "/" (and one for the
 * WebSocket path, which libsoup matches separately) and is routed by
 * bq-server-routes.c.  Bodies are limited to BQ_SERVER_MAX_BODY: an early
 * handler refuses a larger Content-Length before the body is read and
 * counts the chunks of a chunked one.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-auth.h"
#include "bq-json.h"
#include "bq-model.h"
#include "bq-plan.h"
#include "bq-route.h"
#include "bq-server-private.h"
#include "bq-store.h"
#include "bq-units.h"

G_DEFINE_FINAL_TYPE (BqServer, bq_server, G_TYPE_OBJECT)

#define JSON_CONTENT_TYPE "application/json; charset=utf-8"

/* ----------------------------------------------------------------- replies */

char *
bq_server_json_to_string (JsonNode *node)
{
  g_assert (node != NULL);
  return json_to_string (node, FALSE);
}

void
bq_server_reply_text (SoupServerMessage *msg,
                      guint              status,
                      char              *json_text)
{
  SoupMessageHeaders *headers;

  g_return_if_fail (SOUP_IS_SERVER_MESSAGE (msg));

  headers = soup_server_message_get_response_headers (msg);
  /* Answers depend on who asks: no shared cache may keep them. */
  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (msg, status, NULL);
  if (json_text == NULL || status == SOUP_STATUS_NO_CONTENT || status == SOUP_STATUS_NOT_MODIFIED)
    {
      g_free (json_text);
      soup_server_message_set_response (msg, NULL, SOUP_MEMORY_STATIC, NULL, 0);
      return;
    }
  soup_server_message_set_response (msg, JSON_CONTENT_TYPE, SOUP_MEMORY_TAKE,
                                    json_text, strlen (json_text));
}

void
bq_server_reply_json (SoupServerMessage *msg,
                      guint              status,
                      JsonNode          *node)
{
  g_return_if_fail (node != NULL);

  bq_server_reply_text (msg, status, bq_server_json_to_string (node));
}

void
bq_server_reply_error (SoupServerMessage *msg,
                       guint              status,
                       const char        *code,
                       const char        *message,
                       const char        *field)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *safe_message = NULL;
  g_autofree char *safe_field = NULL;

  g_return_if_fail (code != NULL);

  /* Messages and fields may quote what a client sent. */
  safe_message = g_utf8_make_valid (message != NULL ? message : code, -1);
  if (field != NULL)
    safe_field = g_utf8_make_valid (field, -1);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, code);
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, safe_message);
  json_builder_set_member_name (builder, "field");
  if (safe_field != NULL)
    json_builder_add_string_value (builder, safe_field);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);

  if (status == SOUP_STATUS_UNAUTHORIZED)
    soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                  "WWW-Authenticate", "Bearer realm=\"becquerel\"");
  bq_server_reply_json (msg, status, node);
}

/* Status and code of an error of any domain.  Messages of the model,
 * query and units errors are for the client; anything else is ours and is
 * logged instead of shown. */
static guint
describe_error (const GError  *error,
                const char   **code,
                gboolean      *internal)
{
  *internal = FALSE;

  if (error->domain == BQ_MODEL_ERROR)
    {
      switch ((BqModelError) error->code)
        {
        case BQ_MODEL_ERROR_MALFORMED:
          *code = "malformed_json";
          return SOUP_STATUS_BAD_REQUEST;
        case BQ_MODEL_ERROR_MISSING_FIELD:
          *code = "missing_field";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_MODEL_ERROR_WRONG_TYPE:
          *code = "wrong_type";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_MODEL_ERROR_UNKNOWN_FIELD:
          *code = "unknown_field";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_MODEL_ERROR_BAD_ENUM:
          *code = "bad_enum";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_MODEL_ERROR_OUT_OF_RANGE:
          *code = "out_of_range";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_MODEL_ERROR_INVALID:
        default:
          *code = "invalid";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        }
    }

  if (error->domain == BQ_STORE_ERROR)
    {
      switch ((BqStoreError) error->code)
        {
        case BQ_STORE_ERROR_NOT_FOUND:
          *code = "not_found";
          return SOUP_STATUS_NOT_FOUND;
        case BQ_STORE_ERROR_CONSTRAINT:
          *code = "conflict";
          return SOUP_STATUS_CONFLICT;
        case BQ_STORE_ERROR_QUERY:
          *code = "invalid";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_STORE_ERROR_BUSY:
          *code = "busy";
          *internal = TRUE;
          return SOUP_STATUS_SERVICE_UNAVAILABLE;
        case BQ_STORE_ERROR_OPEN:
        case BQ_STORE_ERROR_SCHEMA:
        case BQ_STORE_ERROR_FAILED:
        default:
          *code = "internal";
          *internal = TRUE;
          return SOUP_STATUS_INTERNAL_SERVER_ERROR;
        }
    }

  if (error->domain == BQ_AUTH_ERROR)
    {
      switch ((BqAuthError) error->code)
        {
        case BQ_AUTH_ERROR_INVALID_CREDENTIALS:
          *code = "invalid_credentials";
          return SOUP_STATUS_UNAUTHORIZED;
        case BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS:
          *code = "too_many_attempts";
          return 429;
        case BQ_AUTH_ERROR_DISABLED:
          *code = "forbidden";
          return SOUP_STATUS_FORBIDDEN;
        case BQ_AUTH_ERROR_INVALID_TOKEN:
          *code = "unauthorized";
          return SOUP_STATUS_UNAUTHORIZED;
        case BQ_AUTH_ERROR_WEAK_PASSWORD:
          *code = "invalid";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_AUTH_ERROR_FAILED:
        default:
          *code = "internal";
          *internal = TRUE;
          return SOUP_STATUS_INTERNAL_SERVER_ERROR;
        }
    }

  if (error->domain == BQ_PLAN_ERROR)
    {
      *code = bq_plan_error_to_code (error);
      if (*code == NULL)
        *code = "invalid";
      if (error->code == BQ_PLAN_ERROR_STALE)
        return SOUP_STATUS_CONFLICT;
      return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    }

  if (error->domain == BQ_ROUTE_ERROR)
    {
      switch ((BqRouteError) error->code)
        {
        case BQ_ROUTE_ERROR_UNKNOWN_PLACE:
          *code = "unknown_place";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_ROUTE_ERROR_NOT_FOUND:
          *code = "not_found";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        case BQ_ROUTE_ERROR_INVALID:
        default:
          *code = "invalid";
          return SOUP_STATUS_UNPROCESSABLE_ENTITY;
        }
    }

  if (error->domain == BQ_UNITS_ERROR)
    {
      *code = "bad_request";
      return SOUP_STATUS_BAD_REQUEST;
    }

  *code = "internal";
  *internal = TRUE;
  return SOUP_STATUS_INTERNAL_SERVER_ERROR;
}

guint
bq_server_status_for_error (const GError *error)
{
  const char *code;
  gboolean internal;

  g_return_val_if_fail (error != NULL, SOUP_STATUS_INTERNAL_SERVER_ERROR);
  return describe_error (error, &code, &internal);
}

void
bq_server_reply_gerror (SoupServerMessage *msg,
                        const GError      *error)
{
  const char *code = NULL;
  const char *field = NULL;
  gboolean internal;
  guint status;

  g_return_if_fail (error != NULL);

  status = describe_error (error, &code, &internal);
  if (error->domain == BQ_MODEL_ERROR)
    field = bq_model_error_get_field (error);
  else if (error->domain == BQ_AUTH_ERROR && error->code == BQ_AUTH_ERROR_WEAK_PASSWORD)
    field = "password";

  if (internal)
    {
      g_warning ("%s %s: %s", soup_server_message_get_method (msg),
                 g_uri_get_path (soup_server_message_get_uri (msg)), error->message);
      if (status == SOUP_STATUS_SERVICE_UNAVAILABLE)
        {
          soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                        "Retry-After", "1");
          bq_server_reply_error (msg, status, code, "the database is busy; try again", NULL);
        }
      else
        {
          bq_server_reply_error (msg, status, code, "internal error (logged)", NULL);
        }
      return;
    }
  bq_server_reply_error (msg, status, code, error->message, field);
}

/* ---------------------------------------------------------------- requests */

const char *
bq_server_request_get_param (BqServerRequest *request,
                             const char      *name)
{
  g_return_val_if_fail (request != NULL, NULL);

  if (request->query == NULL)
    return NULL;
  return g_hash_table_lookup (request->query, name);
}

gboolean
bq_server_request_get_uint (BqServerRequest *request,
                            const char      *name,
                            guint64          fallback,
                            guint64          max,
                            guint64         *value)
{
  const char *text = bq_server_request_get_param (request, name);
  g_autofree char *message = NULL;
  guint64 number;

  g_return_val_if_fail (value != NULL, FALSE);

  if (text == NULL)
    {
      *value = fallback;
      return TRUE;
    }
  /* Digits only: no sign, no spaces, no hex. */
  for (const char *p = text; *p != '\0'; p++)
    {
      if (!g_ascii_isdigit (*p))
        {
          message = g_strdup_printf ("“%s” must be a non-negative integer", name);
          bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 message, name);
          return FALSE;
        }
    }
  if (*text == '\0' ||
      !g_ascii_string_to_unsigned (text, 10, 0, G_MAXUINT64, &number, NULL) ||
      number > max)
    {
      if (*text == '\0')
        {
          message = g_strdup_printf ("“%s” must be a non-negative integer", name);
          bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                                 message, name);
          return FALSE;
        }
      message = g_strdup_printf ("“%s” may be at most %" G_GUINT64_FORMAT, name, max);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             message, name);
      return FALSE;
    }
  *value = number;
  return TRUE;
}

JsonNode *
bq_server_request_parse_body (BqServerRequest *request)
{
  SoupMessageBody *body;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;
  gsize size;
  const char *data;

  g_return_val_if_fail (request != NULL, NULL);

  body = soup_server_message_get_request_body (request->msg);
  if (body->length > BQ_SERVER_MAX_BODY)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE,
                             "payload_too_large", "the request body is larger than 1 MiB",
                             NULL);
      return NULL;
    }
  bytes = soup_message_body_flatten (body);
  data = g_bytes_get_data (bytes, &size);

  node = bq_json_parse (size > 0 ? data : "", (gssize) size, &error);
  if (node == NULL)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "malformed_json",
                             error->message, NULL);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      json_node_unref (node);
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "malformed_json",
                             "the request body must be a JSON object", NULL);
      return NULL;
    }
  return node;
}

const char *
bq_server_request_get_header (BqServerRequest *request,
                              const char      *name,
                              gboolean        *bad)
{
  SoupMessageHeaders *headers;
  const char *value;

  g_return_val_if_fail (request != NULL, NULL);
  g_return_val_if_fail (bad != NULL, NULL);

  *bad = FALSE;
  headers = soup_server_message_get_request_headers (request->msg);
  value = soup_message_headers_get_one (headers, name);
  if (value != NULL && !g_utf8_validate (value, -1, NULL))
    {
      g_autofree char *message = g_strdup_printf ("the %s header is not UTF-8", name);

      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             message, NULL);
      *bad = TRUE;
      return NULL;
    }
  return value;
}

gboolean
bq_server_request_check_params (BqServerRequest    *request,
                                const char * const *allowed)
{
  GHashTableIter iter;
  gpointer key;

  if (request->query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, request->query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (!g_strv_contains (allowed, key))
        {
          g_autofree char *list = g_strjoinv ("”, “", (char **) allowed);
          g_autofree char *message = g_strdup_printf ("this takes only “%s”", list);

          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                 "unknown_field", message, key);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
bq_server_request_parse_time (BqServerRequest *request,
                              const char      *name,
                              const char      *text,
                              gint64          *value)
{
  g_autoptr(GError) error = NULL;

  if (!bq_units_parse_time (text, value, &error))
    {
      g_autofree char *message = g_strdup_printf ("“%s” must be an ISO 8601 date or "
                                                  "date-time: %s", name, error->message);

      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message,
                             name);
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_server_request_get_time_param (BqServerRequest *request,
                                  const char      *name,
                                  gint64          *value)
{
  const char *text = bq_server_request_get_param (request, name);

  if (text == NULL)
    return TRUE;
  return bq_server_request_parse_time (request, name, text, value);
}

#define REASON_MAX 2000

gboolean
bq_server_request_get_reason (BqServerRequest  *request,
                              const char      **reason)
{
  gboolean bad;

  *reason = bq_server_request_get_header (request, "X-Reason", &bad);
  if (bad)
    return FALSE;
  if (*reason != NULL && g_utf8_strlen (*reason, -1) > REASON_MAX)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             "X-Reason is longer than 2000 characters", NULL);
      return FALSE;
    }
  if (*reason != NULL && **reason == '\0')
    *reason = NULL;
  return TRUE;
}

/* ------------------------------------------------------------ body limits */

#define BODY_SIZE_KEY "bq-body-size"

static void
refuse_body (SoupServerMessage *msg)
{
  soup_message_body_set_accumulate (soup_server_message_get_request_body (msg), FALSE);
  soup_message_body_truncate (soup_server_message_get_request_body (msg));
  /* The rest of the body is read and dropped; the connection is not
   * worth keeping for a client that sends this much. */
  soup_message_headers_replace (soup_server_message_get_response_headers (msg),
                                "Connection", "close");
  bq_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                         "the request body is larger than 1 MiB", NULL);
}

static void
on_got_chunk (SoupServerMessage *msg,
              GBytes            *chunk,
              gpointer           user_data)
{
  gsize size = GPOINTER_TO_SIZE (g_object_get_data (G_OBJECT (msg), BODY_SIZE_KEY));

  if (size > BQ_SERVER_MAX_BODY)
    return;  /* refused already */
  size += g_bytes_get_size (chunk);
  g_object_set_data (G_OBJECT (msg), BODY_SIZE_KEY, GSIZE_TO_POINTER (size));
  if (size > BQ_SERVER_MAX_BODY)
    refuse_body (msg);
}

static void
on_early_request (SoupServer        *soup,
                  SoupServerMessage *msg,
                  const char        *path,
                  GHashTable        *query,
                  gpointer           user_data)
{
  SoupMessageHeaders *headers = soup_server_message_get_request_headers (msg);

  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_CONTENT_LENGTH:
      if (soup_message_headers_get_content_length (headers) > BQ_SERVER_MAX_BODY)
        refuse_body (msg);
      break;

    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_EOF:
    case SOUP_ENCODING_BYTERANGES:
      g_signal_connect (msg, "got-chunk", G_CALLBACK (on_got_chunk), NULL);
      break;

    case SOUP_ENCODING_UNRECOGNIZED:
    case SOUP_ENCODING_NONE:
    default:
      break;
    }
}

/* -------------------------------------------------------------- handlers */

static void
on_request (SoupServer        *soup,
            SoupServerMessage *msg,
            const char        *path,
            GHashTable        *query,
            gpointer           user_data)
{
  bq_server_dispatch (BQ_SERVER (user_data), msg, path, query, FALSE);
}

static void
on_events_request (SoupServer        *soup,
                   SoupServerMessage *msg,
                   const char        *path,
                   GHashTable        *query,
                   gpointer           user_data)
{
  bq_server_dispatch (BQ_SERVER (user_data), msg, path, query, TRUE);
}

/* One debug line per request, with the time it took. */
#define STARTED_KEY "bq-started"

static void
on_request_started (SoupServer        *soup,
                    SoupServerMessage *msg,
                    gpointer           user_data)
{
  gint64 *started = g_new (gint64, 1);

  *started = g_get_monotonic_time ();
  g_object_set_data_full (G_OBJECT (msg), STARTED_KEY, started, g_free);
  bq_server_connections_request_started (BQ_SERVER (user_data), msg);
}

static void
on_request_finished (SoupServer        *soup,
                     SoupServerMessage *msg,
                     gpointer           user_data)
{
  const gint64 *started = g_object_get_data (G_OBJECT (msg), STARTED_KEY);
  GUri *uri = soup_server_message_get_uri (msg);
  double ms = started != NULL ? (g_get_monotonic_time () - *started) / 1000.0 : 0;

  g_debug ("%s %s %u %.1f ms",
           soup_server_message_get_method (msg) ? soup_server_message_get_method (msg) : "-",
           uri != NULL ? g_uri_get_path (uri) : "-",
           soup_server_message_get_status (msg), ms);
  bq_server_connections_request_finished (BQ_SERVER (user_data), msg);
}

/* ------------------------------------------------------------------ object */

static void
bq_server_dispose (GObject *object)
{
  BqServer *self = BQ_SERVER (object);

  g_cancellable_cancel (self->cancellable);
  bq_server_events_close_all (self);
  bq_server_connections_clear (self);
  if (self->soup != NULL)
    soup_server_disconnect (self->soup);
  g_clear_object (&self->soup);
  g_clear_object (&self->auth);
  g_clear_object (&self->store);
  g_clear_object (&self->cancellable);

  G_OBJECT_CLASS (bq_server_parent_class)->dispose (object);
}

static void
bq_server_finalize (GObject *object)
{
  bq_server_connections_finalize (BQ_SERVER (object));

  G_OBJECT_CLASS (bq_server_parent_class)->finalize (object);
}

static void
bq_server_class_init (BqServerClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bq_server_dispose;
  object_class->finalize = bq_server_finalize;
}

static void
bq_server_init (BqServer *self)
{
  self->cancellable = g_cancellable_new ();
  self->fixed_now = BQ_TIME_UNSET;
  bq_server_connections_init (self);
}

BqServer *
bq_server_new (BqStore *store,
               BqAuth  *auth)
{
  BqServer *self;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);
  g_return_val_if_fail (BQ_IS_AUTH (auth), NULL);

  self = g_object_new (BQ_TYPE_SERVER, NULL);
  self->store = g_object_ref (store);
  self->auth = g_object_ref (auth);

  /* raw-paths: the router unescapes each segment itself, so an id
   * holding "%2F" stays one segment. */
  self->soup = soup_server_new ("server-header", PACKAGE_NAME "/" PACKAGE_VERSION " ",
                                "raw-paths", TRUE,
                                NULL);
  soup_server_add_early_handler (self->soup, NULL, on_early_request, NULL, NULL);
  soup_server_add_handler (self->soup, NULL, on_request, self, NULL);
  soup_server_add_early_handler (self->soup, "/api/v1/events", on_early_request, NULL, NULL);
  soup_server_add_handler (self->soup, "/api/v1/events", on_events_request, self, NULL);
  bq_server_events_init (self);

  g_signal_connect (self->soup, "request-started", G_CALLBACK (on_request_started), self);
  g_signal_connect (self->soup, "request-finished", G_CALLBACK (on_request_finished), self);
  g_signal_connect (self->soup, "request-aborted", G_CALLBACK (on_request_finished), self);

  return self;
}

gboolean
bq_server_listen (BqServer         *self,
                  const char       *address,
                  guint             port,
                  GTlsCertificate  *tls_certificate,
                  GError          **error)
{
  g_autoptr(GInetAddress) inet = NULL;
  g_autoptr(GSocketAddress) socket_address = NULL;
  SoupServerListenOptions options = 0;

  g_return_val_if_fail (BQ_IS_SERVER (self), FALSE);
  g_return_val_if_fail (port <= G_MAXUINT16, FALSE);
  g_return_val_if_fail (tls_certificate == NULL || G_IS_TLS_CERTIFICATE (tls_certificate), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (address == NULL || g_ascii_strcasecmp (address, "localhost") == 0)
    address = "127.0.0.1";
  inet = g_inet_address_new_from_string (address);
  if (inet == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                   "“%s” is not an IP address", address);
      return FALSE;
    }
  socket_address = g_inet_socket_address_new (inet, (guint16) port);

  if (tls_certificate != NULL)
    {
      soup_server_set_tls_certificate (self->soup, tls_certificate);
      options |= SOUP_SERVER_LISTEN_HTTPS;
    }
  if (!bq_server_connections_listen (self, socket_address, options, error))
    return FALSE;
  self->https = tls_certificate != NULL;
  return TRUE;
}

void
bq_server_stop (BqServer *self)
{
  g_return_if_fail (BQ_IS_SERVER (self));

  g_cancellable_cancel (self->cancellable);
  bq_server_events_close_all (self);
  bq_server_connections_clear (self);
  soup_server_disconnect (self->soup);
}

/* The address of the first listening socket.  (Not soup_server_get_uris():
 * libsoup 3.2 leaks the addresses it builds those from.) */
static GInetSocketAddress *
first_address (BqServer *self)
{
  GSList *listeners = soup_server_get_listeners (self->soup);
  GSocketAddress *address = NULL;

  if (listeners != NULL)
    address = g_socket_get_local_address (listeners->data, NULL);
  g_slist_free (listeners);
  if (address != NULL && !G_IS_INET_SOCKET_ADDRESS (address))
    g_clear_object (&address);
  return (GInetSocketAddress *) address;
}

guint
bq_server_get_port (BqServer *self)
{
  g_autoptr(GInetSocketAddress) address = NULL;

  g_return_val_if_fail (BQ_IS_SERVER (self), 0);

  address = first_address (self);
  return address != NULL ? g_inet_socket_address_get_port (address) : 0;
}

char *
bq_server_get_uri (BqServer *self)
{
  g_autoptr(GInetSocketAddress) address = NULL;
  g_autofree char *host = NULL;
  g_autoptr(GUri) uri = NULL;

  g_return_val_if_fail (BQ_IS_SERVER (self), NULL);

  address = first_address (self);
  if (address == NULL)
    return NULL;
  host = g_inet_address_to_string (g_inet_socket_address_get_address (address));
  uri = g_uri_build (G_URI_FLAGS_NONE, self->https ? "https" : "http", NULL, host,
                     g_inet_socket_address_get_port (address), "/", NULL, NULL);
  return g_uri_to_string (uri);
}

BqStore *
bq_server_get_store (BqServer *self)
{
  g_return_val_if_fail (BQ_IS_SERVER (self), NULL);
  return self->store;
}

BqAuth *
bq_server_get_auth (BqServer *self)
{
  g_return_val_if_fail (BQ_IS_SERVER (self), NULL);
  return self->auth;
}

void
bq_server_set_fixed_now (BqServer *self,
                         gint64    now_utc)
{
  g_return_if_fail (BQ_IS_SERVER (self));
  self->fixed_now = now_utc;
}

gint64
bq_server_request_domain_now (BqServerRequest *request)
{
  g_return_val_if_fail (request != NULL, 0);

  if (request->server->fixed_now != BQ_TIME_UNSET)
    return request->server->fixed_now;
  return request->now;
}

guint
bq_server_get_n_event_clients (BqServer *self)
{
  g_return_val_if_fail (BQ_IS_SERVER (self), 0);
  return g_list_length (self->event_clients);
}
