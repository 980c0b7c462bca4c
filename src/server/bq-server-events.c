/* bq-server-events.c — GET /api/v1/events, the WebSocket that says
 * "pull now"
 *
 * The token is checked before the upgrade (by the router: a refused
 * handshake gets a JSON 401 like any request).  Each connection remembers
 * its token and user; on every committed change it gets {"revision":N} if
 * its user may see what changed.  The session is checked again before
 * each message, so signing out or expiry ends the stream.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-policy.h"
#include "bq-server-private.h"

#define EVENTS_USER_KEY  "bq-events-user"
#define EVENTS_TOKEN_KEY "bq-events-token"

/* Clients only listen: anything they send is read and dropped. */
#define MAX_INCOMING_PAYLOAD 4096
#define KEEPALIVE_SECONDS    30

typedef struct {
  BqServer                *server;   /* unowned: it owns us */
  SoupWebsocketConnection *connection;
  char                    *token;
  BqUser                  *user;
  gulong                   closed_id;
} EventClient;

static void
event_client_free (EventClient *client)
{
  g_clear_signal_handler (&client->closed_id, client->connection);
  g_clear_object (&client->connection);
  g_free (client->token);
  bq_entity_free (client->user);
  g_free (client);
}

static char *
revision_message (gint64 revision)
{
  return g_strdup_printf ("{\"revision\":%" G_GINT64_FORMAT "}", revision);
}

static void
on_connection_closed (SoupWebsocketConnection *connection,
                      gpointer                 user_data)
{
  EventClient *client = user_data;
  BqServer *self = client->server;

  g_debug ("events: %s disconnected", client->user->username);
  self->event_clients = g_list_remove (self->event_clients, client);
  event_client_free (client);
}

/* The route handler: runs before libsoup answers the handshake, and
 * leaves the status unset to let it. */
void
bq_server_handle_events (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;

  if (!soup_websocket_server_check_handshake (request->msg, NULL, NULL, NULL, &error))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             error->message, NULL);
      return;
    }
  g_object_set_data_full (G_OBJECT (request->msg), EVENTS_USER_KEY,
                          bq_entity_copy (request->user), bq_entity_free);
  g_object_set_data_full (G_OBJECT (request->msg), EVENTS_TOKEN_KEY,
                          g_strdup (request->token), g_free);
}

static void
on_websocket (SoupServer              *soup,
              SoupServerMessage       *msg,
              const char              *path,
              SoupWebsocketConnection *connection,
              gpointer                 user_data)
{
  BqServer *self = BQ_SERVER (user_data);
  const BqUser *user = g_object_get_data (G_OBJECT (msg), EVENTS_USER_KEY);
  const char *token = g_object_get_data (G_OBJECT (msg), EVENTS_TOKEN_KEY);
  g_autofree char *hello = NULL;
  EventClient *client;

  if (user == NULL || token == NULL)
    {
      /* Cannot happen: the route handler ran and checked the token. */
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                       "unauthorized");
      return;
    }

  client = g_new0 (EventClient, 1);
  client->server = self;
  client->connection = g_object_ref (connection);
  client->token = g_strdup (token);
  client->user = bq_entity_copy (user);
  client->closed_id = g_signal_connect (connection, "closed",
                                        G_CALLBACK (on_connection_closed), client);
  soup_websocket_connection_set_max_incoming_payload_size (connection, MAX_INCOMING_PAYLOAD);
  soup_websocket_connection_set_keepalive_interval (connection, KEEPALIVE_SECONDS);
  self->event_clients = g_list_prepend (self->event_clients, client);

  g_debug ("events: %s connected", user->username);
  hello = revision_message (bq_store_get_revision (self->store));
  soup_websocket_connection_send_text (connection, hello);
}

void
bq_server_events_init (BqServer *self)
{
  soup_server_add_websocket_handler (self->soup, "/api/v1/events", NULL, NULL,
                                     on_websocket, self, NULL);
}

void
bq_server_events_publish (BqServer      *self,
                          gint64         revision,
                          gconstpointer  before,
                          gconstpointer  after)
{
  g_autofree char *message = NULL;
  g_autoptr(GHashTable) cache = NULL;
  gint64 now;
  GList *l, *next;

  g_return_if_fail (BQ_IS_SERVER (self));
  g_return_if_fail (before != NULL || after != NULL);

  if (self->event_clients == NULL)
    return;

  message = revision_message (revision);
  cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  now = g_get_real_time () / G_USEC_PER_SEC;

  for (l = self->event_clients; l != NULL; l = next)
    {
      EventClient *client = l->data;
      g_autoptr(GError) error = NULL;
      BqUser *user;

      next = l->next;
      if (soup_websocket_connection_get_state (client->connection) != SOUP_WEBSOCKET_STATE_OPEN)
        continue;

      /* The session may have ended, the user's role or centres changed. */
      user = bq_auth_authenticate (self->auth, client->token, now, &error);
      if (user == NULL)
        {
          soup_websocket_connection_close (client->connection,
                                           SOUP_WEBSOCKET_CLOSE_POLICY_VIOLATION,
                                           "the session has ended");
          continue;
        }
      bq_entity_free (client->user);
      client->user = user;

      if ((before != NULL && bq_server_can_see_entity (self, user, before, cache)) ||
          (after != NULL && bq_server_can_see_entity (self, user, after, cache)))
        soup_websocket_connection_send_text (client->connection, message);
    }
}

void
bq_server_events_close_all (BqServer *self)
{
  GList *clients = g_steal_pointer (&self->event_clients);

  for (GList *l = clients; l != NULL; l = l->next)
    {
      EventClient *client = l->data;

      g_clear_signal_handler (&client->closed_id, client->connection);
      if (soup_websocket_connection_get_state (client->connection) == SOUP_WEBSOCKET_STATE_OPEN)
        soup_websocket_connection_close (client->connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY,
                                         "the server is shutting down");
      event_client_free (client);
    }
  g_list_free (clients);
}
