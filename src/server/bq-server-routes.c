/* bq-server-routes.c — the route table, the router, and the small
 * endpoints (health, session, me, audit)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-audit.h"
#include "bq-auth.h"
#include "bq-json.h"
#include "bq-model.h"
#include "bq-server-private.h"
#include "bq-units.h"

/* Literal segments never collide with a collection: no entity type is
 * called "session", "me", "changes", "events", "audit", "openapi.json",
 * "plan", "capacity", "routes" or "network.geojson".  Sub-resources of an
 * item ("/runs/{id}/check-move") have more segments than any
 * {collection} route. */
static const BqServerRoute routes[] = {
  { "GET",    "/healthz",                  BQ_SERVER_ROUTE_PUBLIC, bq_server_handle_healthz },
  { "GET",    "/api/v1/openapi.json",      BQ_SERVER_ROUTE_PUBLIC, bq_server_handle_openapi },
  { "POST",   "/api/v1/session",           BQ_SERVER_ROUTE_PUBLIC, bq_server_handle_session_create },
  { "DELETE", "/api/v1/session",           0, bq_server_handle_session_delete },
  { "GET",    "/api/v1/me",                0, bq_server_handle_me },
  { "GET",    "/api/v1/changes",           0, bq_server_handle_changes },
  { "GET",    "/api/v1/events",            BQ_SERVER_ROUTE_WEBSOCKET, bq_server_handle_events },
  { "GET",    "/api/v1/audit",             0, bq_server_handle_audit_list },
  { "GET",    "/api/v1/audit/verify",      0, bq_server_handle_audit_verify },
  { "GET",    "/api/v1/plan",              0, bq_server_handle_plan_get },
  { "POST",   "/api/v1/plan/apply",        0, bq_server_handle_plan_apply },
  { "GET",    "/api/v1/capacity",          0, bq_server_handle_capacity },
  { "GET",    "/api/v1/runs/{id}/check-move", 0, bq_server_handle_check_move },
  { "GET",    "/api/v1/routes",            0, bq_server_handle_routes },
  { "GET",    "/api/v1/network.geojson",   0, bq_server_handle_network },
  { "POST",   "/api/v1/shipments/{id}/events", 0, bq_server_handle_shipment_event },
  { "GET",    "/api/v1/shipments/{id}/reroute", 0, bq_server_handle_reroutes_list },
  { "POST",   "/api/v1/shipments/{id}/reroute/{proposal_id}/accept", 0,
    bq_server_handle_reroute_accept },
  { "POST",   "/api/v1/shipments/{id}/reroute/{proposal_id}/reject", 0,
    bq_server_handle_reroute_reject },
  { "GET",    "/api/v1/slots/calendar",    0, bq_server_handle_slots_calendar },
  { "POST",   "/api/v1/slots/match",       0, bq_server_handle_slots_match },
  { "POST",   "/api/v1/slots/{id}/hold",   0, bq_server_handle_slot_hold },
  { "DELETE", "/api/v1/slots/{id}/hold",   0, bq_server_handle_slot_release_hold },
  { "POST",   "/api/v1/slots/{id}/claim",  0, bq_server_handle_slot_claim },
  { "POST",   "/api/v1/orders/{id}/confirm", 0, bq_server_handle_order_confirm },
  { "POST",   "/api/v1/orders/{id}/cancel", 0, bq_server_handle_order_cancel },
  { "POST",   "/api/v1/orders/{id}/reschedule", 0, bq_server_handle_order_reschedule },
  { "GET",    "/api/v1/runs/{id}/affected-orders", 0, bq_server_handle_run_affected_orders },
  { "POST",   "/api/v1/runs/{id}/reallocate", 0, bq_server_handle_run_reallocate },
  { "GET",    "/api/v1/{collection}",      0, bq_server_handle_list },
  { "POST",   "/api/v1/{collection}",      0, bq_server_handle_create },
  { "GET",    "/api/v1/{collection}/{id}", 0, bq_server_handle_get },
  { "PATCH",  "/api/v1/{collection}/{id}", 0, bq_server_handle_update },
  { "DELETE", "/api/v1/{collection}/{id}", 0, bq_server_handle_delete },
};

const BqServerRoute *
bq_server_get_routes (guint *n_routes)
{
  if (n_routes != NULL)
    *n_routes = G_N_ELEMENTS (routes);
  return routes;
}

/* ------------------------------------------------------------------ router */

/* By plural only: "/api/v1/run" is not a collection. */
static const BqEntityType *
lookup_collection (const char *plural)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      if (strcmp (types[i]->plural, plural) == 0)
        return types[i];
    }
  return NULL;
}

/* Whether @segments fit @template ("/api/v1/{collection}/{id}"). */
static gboolean
match_template (const char          *template,
                char               **segments,
                const BqEntityType **type,
                const char         **id)
{
  const char *t = template;
  guint i = 0;

  *type = NULL;
  *id = NULL;

  while (*t == '/')
    {
      const char *end;
      gsize length;

      t++;
      end = strchr (t, '/');
      if (end == NULL)
        end = t + strlen (t);
      length = end - t;

      if (segments[i] == NULL)
        return FALSE;
      if (length == strlen ("{collection}") && strncmp (t, "{collection}", length) == 0)
        {
          *type = lookup_collection (segments[i]);
          if (*type == NULL)
            return FALSE;
        }
      else if (length == strlen ("{id}") && strncmp (t, "{id}", length) == 0)
        {
          *id = segments[i];
        }
      else if (length > 2 && t[0] == '{' && t[length - 1] == '}')
        {
          /* Another parameter ("{proposal_id}"): any segment; the
           * handler reads it from the request's segments. */
        }
      else if (strlen (segments[i]) != length || strncmp (segments[i], t, length) != 0)
        {
          return FALSE;
        }
      i++;
      t = end;
    }
  return segments[i] == NULL;
}

/* Splits the raw (still escaped) path into unescaped segments, skipping
 * empty ones.  NULL when a segment is not valid %-escaped UTF-8. */
static char **
split_path (const char *path)
{
  g_auto(GStrv) parts = g_strsplit (path, "/", -1);
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autofree char *segment = NULL;

      if (parts[i][0] == '\0')
        continue;
      segment = g_uri_unescape_string (parts[i], NULL);
      if (segment == NULL || !g_utf8_validate (segment, -1, NULL))
        return NULL;
      g_strv_builder_add (builder, segment);
    }
  return g_strv_builder_end (builder);
}

static gboolean
query_is_utf8 (GHashTable *query)
{
  GHashTableIter iter;
  gpointer key, value;

  if (query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, query);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      if (!g_utf8_validate (key, -1, NULL) || (value != NULL && !g_utf8_validate (value, -1, NULL)))
        return FALSE;
    }
  return TRUE;
}

/* The bearer token of the Authorization header, or for the WebSocket
 * (browsers cannot set headers there) of ?access_token=. */
static char *
get_token (SoupServerMessage *msg,
           GHashTable        *query,
           gboolean           allow_query)
{
  const char *header;

  header = soup_message_headers_get_one (soup_server_message_get_request_headers (msg),
                                         "Authorization");
  if (header != NULL && g_ascii_strncasecmp (header, "Bearer ", strlen ("Bearer ")) == 0)
    {
      char *token = g_strstrip (g_strdup (header + strlen ("Bearer ")));

      if (*token != '\0')
        return token;
      g_free (token);
    }
  if (allow_query && query != NULL && g_hash_table_lookup (query, "access_token") != NULL)
    return g_strdup (g_hash_table_lookup (query, "access_token"));
  return NULL;
}

static void
reply_method_not_allowed (SoupServerMessage *msg,
                          char             **segments)
{
  g_autoptr(GString) allow = g_string_new (NULL);
  g_autofree char *message = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      const BqEntityType *type;
      const char *id;

      if (!match_template (routes[i].path, segments, &type, &id))
        continue;
      if (strstr (allow->str, routes[i].method) != NULL)
        continue;
      if (allow->len > 0)
        g_string_append (allow, ", ");
      g_string_append (allow, routes[i].method);
      if (strcmp (routes[i].method, "GET") == 0)
        g_string_append (allow, ", HEAD");
    }

  soup_message_headers_replace (soup_server_message_get_response_headers (msg), "Allow",
                                allow->str);
  message = g_strdup_printf ("%s is not allowed here (allowed: %s)",
                             soup_server_message_get_method (msg), allow->str);
  bq_server_reply_error (msg, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed",
                         message, NULL);
}

void
bq_server_dispatch (BqServer          *self,
                    SoupServerMessage *msg,
                    const char        *path,
                    GHashTable        *query,
                    gboolean           websocket)
{
  g_auto(GStrv) segments = NULL;
  g_autofree char *token = NULL;
  g_autoptr(BqUser) user = NULL;
  BqServerRequest request = { 0, };
  const char *method;
  gboolean path_known = FALSE;

  g_return_if_fail (BQ_IS_SERVER (self));

  method = soup_server_message_get_method (msg);
  if (method == SOUP_METHOD_HEAD)
    method = SOUP_METHOD_GET;

  segments = split_path (path);
  if (segments == NULL || !query_is_utf8 (query))
    {
      bq_server_reply_error (msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             "the path or query is not valid %-escaped UTF-8", NULL);
      return;
    }

  request.server = self;
  request.msg = msg;
  request.method = method;
  request.segments = segments;
  request.query = query;
  request.now = g_get_real_time () / G_USEC_PER_SEC;
  request.websocket = websocket;

  for (guint i = 0; i < G_N_ELEMENTS (routes); i++)
    {
      if (!match_template (routes[i].path, segments, &request.type, &request.id))
        continue;
      path_known = TRUE;
      if (strcmp (routes[i].method, method) == 0)
        {
          request.route = &routes[i];
          break;
        }
    }

  if (request.route == NULL)
    {
      if (path_known)
        reply_method_not_allowed (msg, segments);
      else
        bq_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such resource", NULL);
      return;
    }

  /* Only the WebSocket handler can upgrade; the events route reached
   * another way (an escaped path) is not the events route. */
  if (((request.route->flags & BQ_SERVER_ROUTE_WEBSOCKET) != 0) != websocket)
    {
      bq_server_reply_error (msg, SOUP_STATUS_NOT_FOUND, "not_found", "no such resource", NULL);
      return;
    }

  if (soup_server_message_get_request_body (msg)->length > BQ_SERVER_MAX_BODY)
    {
      bq_server_reply_error (msg, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large",
                             "the request body is larger than 1 MiB", NULL);
      return;
    }

  if (!(request.route->flags & BQ_SERVER_ROUTE_PUBLIC))
    {
      g_autoptr(GError) error = NULL;

      token = get_token (msg, query, websocket);
      if (token == NULL)
        {
          bq_server_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                 "sign in first: this needs an “Authorization: Bearer” token",
                                 NULL);
          return;
        }
      user = bq_auth_authenticate (self->auth, token, request.now, &error);
      if (user == NULL)
        {
          if (g_error_matches (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_INVALID_TOKEN) ||
              g_error_matches (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_DISABLED))
            bq_server_reply_error (msg, SOUP_STATUS_UNAUTHORIZED, "unauthorized",
                                   "the token is invalid or has expired", NULL);
          else
            bq_server_reply_gerror (msg, error);
          return;
        }
      request.token = token;
      request.user = user;
    }

  request.route->handler (&request);

  g_free (request.idempotency_key);
  g_free (request.body_sha256);
}

/* --------------------------------------------------------------- endpoints */

void
bq_server_handle_healthz (BqServerRequest *request)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "status");
  json_builder_add_string_value (builder, "ok");
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, bq_store_get_revision (request->server->store));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
bq_server_handle_me (BqServerRequest *request)
{
  g_autoptr(JsonNode) node = bq_entity_to_json (request->user);

  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* ------------------------------------------------------------------ session */

typedef struct {
  BqServer          *server;
  SoupServerMessage *msg;
  char              *username;
  gint64             now;
  gulong             finished_id;
  gboolean           finished;   /* the client went away meanwhile */
} Login;

static void
login_free (Login *login)
{
  if (!login->finished)
    g_signal_handler_disconnect (login->msg, login->finished_id);
  g_object_unref (login->msg);
  g_object_unref (login->server);
  g_free (login->username);
  g_free (login);
}

static void
on_login_msg_finished (SoupServerMessage *msg,
                       gpointer           user_data)
{
  Login *login = user_data;

  login->finished = TRUE;
  g_signal_handler_disconnect (msg, login->finished_id);
}

static void
on_login_done (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  Login *login = user_data;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  g_autofree char *token = NULL;
  g_autofree char *expires = NULL;
  gint64 expires_at = 0;

  token = bq_auth_login_finish (BQ_AUTH (source), result, &user, &expires_at, &error);

  if (login->finished || g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      login_free (login);
      return;
    }

  if (token == NULL)
    {
      if (g_error_matches (error, BQ_AUTH_ERROR, BQ_AUTH_ERROR_TOO_MANY_ATTEMPTS))
        {
          gint64 until = bq_auth_locked_until (login->server->auth, login->username, login->now);
          g_autofree char *seconds = g_strdup_printf ("%" G_GINT64_FORMAT,
                                                      MAX (until - login->now, 1));

          soup_message_headers_replace (soup_server_message_get_response_headers (login->msg),
                                        "Retry-After", seconds);
        }
      bq_server_reply_gerror (login->msg, error);
    }
  else
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) node = NULL;

      expires = bq_units_format_time (expires_at);
      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "token");
      json_builder_add_string_value (builder, token);
      json_builder_set_member_name (builder, "expires_at");
      json_builder_add_string_value (builder, expires);
      json_builder_set_member_name (builder, "user");
      json_builder_add_value (builder, bq_entity_to_json (user));
      json_builder_end_object (builder);
      node = json_builder_get_root (builder);
      bq_server_reply_json (login->msg, SOUP_STATUS_CREATED, node);
    }

  soup_server_message_unpause (login->msg);
  login_free (login);
}

/* A string member that must be there. */
static const char *
get_credential (BqServerRequest *request,
                JsonObject      *object,
                const char      *name)
{
  JsonNode *member = json_object_get_member (object, name);
  g_autofree char *message = NULL;

  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      message = g_strdup_printf ("%s: is required", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             message, name);
      return NULL;
    }
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      message = g_strdup_printf ("%s: must be a string", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "wrong_type",
                             message, name);
      return NULL;
    }
  return json_node_get_string (member);
}

void
bq_server_handle_session_create (BqServerRequest *request)
{
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  const char *username, *password;
  Login *login;

  node = bq_server_request_parse_body (request);
  if (node == NULL)
    return;
  object = json_node_get_object (node);

  members = json_object_get_members (object);
  for (GList *l = members; l != NULL; l = l->next)
    {
      if (strcmp (l->data, "username") != 0 && strcmp (l->data, "password") != 0)
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_field",
                                 "a sign-in takes only “username” and “password”", l->data);
          return;
        }
    }

  username = get_credential (request, object, "username");
  if (username == NULL)
    return;
  password = get_credential (request, object, "password");
  if (password == NULL)
    return;

  /* Argon2id takes a while on purpose: verify off the main thread and
   * answer when it is done. */
  login = g_new0 (Login, 1);
  login->server = g_object_ref (request->server);
  login->msg = g_object_ref (request->msg);
  login->username = g_strdup (username);
  login->now = request->now;
  login->finished_id = g_signal_connect (request->msg, "finished",
                                         G_CALLBACK (on_login_msg_finished), login);
  soup_server_message_pause (request->msg);
  bq_auth_login_async (request->server->auth, username, password, request->now,
                       request->server->cancellable, on_login_done, login);
}

void
bq_server_handle_session_delete (BqServerRequest *request)
{
  bq_auth_logout (request->server->auth, request->token);
  bq_server_reply_text (request->msg, SOUP_STATUS_NO_CONTENT, NULL);
}

/* -------------------------------------------------------------------- audit */

/* The audit trail is for administrators and qualified persons. */
static gboolean
check_audit_reader (BqServerRequest *request)
{
  const BqUser *user = request->user;

  if (!user->disabled && (user->role == BQ_ROLE_ADMIN || user->role == BQ_ROLE_QA))
    return TRUE;
  bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                         "only administrators and QA may read the audit trail", NULL);
  return FALSE;
}

void
bq_server_handle_audit_list (BqServerRequest *request)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint64 after, limit;
  gint64 next_after;

  if (!check_audit_reader (request))
    return;
  if (!bq_server_request_get_uint (request, "after", 0, G_MAXINT64, &after) ||
      !bq_server_request_get_uint (request, "limit", 100, 1000, &limit))
    return;
  if (limit == 0)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "“limit” must be at least 1", "limit");
      return;
    }

  entries = bq_audit_list (request->server->store, (gint64) after, (guint) limit, &error);
  if (entries == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  next_after = (gint64) after;
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "entries");
  json_builder_begin_array (builder);
  for (guint i = 0; i < entries->len; i++)
    {
      const BqAuditEntry *entry = g_ptr_array_index (entries, i);

      json_builder_add_value (builder, bq_audit_entry_to_json (entry));
      next_after = MAX (next_after, entry->seq);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "next_after");
  json_builder_add_int_value (builder, next_after);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
bq_server_handle_audit_verify (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  gint64 n_entries = 0, first_bad_seq = 0;
  gboolean ok;

  if (!check_audit_reader (request))
    return;

  ok = bq_audit_verify (request->server->store, &n_entries, &first_bad_seq, &error);
  if (!ok && error != NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, ok);
  if (ok)
    {
      json_builder_set_member_name (builder, "entries");
      json_builder_add_int_value (builder, n_entries);
    }
  else
    {
      json_builder_set_member_name (builder, "first_bad_seq");
      json_builder_add_int_value (builder, first_bad_seq);
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}
