/* bq-server-connections.c — the listening socket, and idle keep-alive
 * connections
 *
 * Two things libsoup 3.2 does not do for a server that runs for months:
 *
 * - soup_server_listen() makes its socket with GSocket's backlog of 10.
 *   A burst of new connections (a load balancer's pool, the bench's 64
 *   clients) overflows it and Linux drops handshakes, so clients wait a
 *   second for a retransmission.  We make the socket ourselves with a
 *   backlog of BQ_SERVER_LISTEN_BACKLOG and hand it to
 *   soup_server_listen_socket(), plain or TLS alike.
 *
 * - A keep-alive connection that the client abandons between requests
 *   (browsers and load balancers do it all day) is never closed: libsoup
 *   3.2.3 reads the end of the stream while waiting for the next request
 *   and just stops, leaving the socket in CLOSE_WAIT for ever (fixed
 *   upstream after 3.2, by libsoup commit d20c6601).  Each one costs a
 *   file descriptor, and the server stops answering when they run out.
 *
 *   So we follow every HTTP connection by its GSocket, from its first
 *   "request-started".  Between the end of one request and the headers
 *   of the next a connection is idle: we watch its socket and close it
 *   when the peer has hung up (a peek reads end-of-stream) or when it
 *   stays idle longer than the idle timeout (which also catches a client
 *   that sends half a request and stalls, and TLS peers whose
 *   close_notify alert hides the end of the stream from the peek).
 *   WebSocket connections (status 101) leave libsoup's HTTP machinery
 *   and our table: they are long-lived and ping themselves.
 *
 *   Closing a GSocket under libsoup is safe: libsoup finds it closed
 *   when it next reads, and g_socket_close() on a closed socket (as
 *   libsoup does when it disconnects) is a no-op.  Every callback here
 *   checks g_socket_is_closed() first, because libsoup may close a
 *   socket (Connection: close, errors) without telling us.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>

#include "bq-server-private.h"

#ifdef G_OS_UNIX
#include <sys/socket.h>
#endif

#define CONNECTION_KEY "bq-connection-socket"

typedef struct {
  BqServer *server;      /* unowned: it owns us */
  GSocket  *socket;
  GSource  *watch;       /* the peer's hang-up, while idle */
  guint     timeout_id;  /* the idle timeout */
  gboolean  busy;        /* from a request's headers to its end */
} Connection;

static void
connection_free (Connection *connection)
{
  if (connection->watch != NULL)
    {
      g_source_destroy (connection->watch);
      g_clear_pointer (&connection->watch, g_source_unref);
    }
  g_clear_handle_id (&connection->timeout_id, g_source_remove);
  g_clear_object (&connection->socket);
  g_free (connection);
}

static void
connection_stop_watch (Connection *connection)
{
  if (connection->watch != NULL)
    {
      g_source_destroy (connection->watch);
      g_clear_pointer (&connection->watch, g_source_unref);
    }
}

/* Closes the socket under libsoup and forgets the connection. */
static void
connection_close (Connection *connection,
                  const char *why)
{
  BqServer *self = connection->server;

  g_debug ("closing an idle connection: %s", why);
  g_socket_shutdown (connection->socket, TRUE, TRUE, NULL);
  g_socket_close (connection->socket, NULL);
  g_hash_table_remove (self->connections, connection->socket);
}

static gboolean
on_idle_timeout (gpointer user_data)
{
  Connection *connection = user_data;

  connection->timeout_id = 0;
  if (g_socket_is_closed (connection->socket))
    g_hash_table_remove (connection->server->connections, connection->socket);
  else if (!connection->busy)
    connection_close (connection, "idle for too long");
  return G_SOURCE_REMOVE;
}

/* Whether the peer has hung up: the next read would be the end of the
 * stream (or an error), not data. */
static gboolean
peer_has_hung_up (GSocket *socket)
{
#ifdef G_OS_UNIX
  char byte;
  gssize n;

  do
    n = recv (g_socket_get_fd (socket), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  while (n < 0 && errno == EINTR);
  if (n > 0)
    return FALSE;  /* the next request is on its way */
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
    return FALSE;
  return TRUE;
#else
  return FALSE;  /* the idle timeout will do */
#endif
}

static gboolean
on_socket_ready (GSocket      *socket,
                 GIOCondition  condition,
                 gpointer      user_data)
{
  Connection *connection = user_data;

  if (g_socket_is_closed (socket))
    {
      g_hash_table_remove (connection->server->connections, socket);
      return G_SOURCE_REMOVE;
    }
  if (peer_has_hung_up (socket))
    {
      connection_close (connection, "the client hung up");
      return G_SOURCE_REMOVE;
    }
  /* Data: a request is coming, and libsoup reads it.  The idle timeout
   * runs on until its headers are in. */
  g_clear_pointer (&connection->watch, g_source_unref);
  return G_SOURCE_REMOVE;
}

static void
connection_start_timeout (Connection *connection)
{
  guint seconds = connection->server->idle_timeout;

  if (connection->timeout_id != 0 || seconds == 0)
    return;
  connection->timeout_id = g_timeout_add_seconds (seconds, on_idle_timeout, connection);
  g_source_set_name_by_id (connection->timeout_id, "[becquerel] idle connection");
}

/* The end of a request: the connection waits for the next one. */
static void
connection_set_idle (Connection *connection)
{
  connection->busy = FALSE;
  connection_start_timeout (connection);
  if (connection->watch == NULL)
    {
      /* The same priority as libsoup's own reading, so that when both
       * are ready neither waits for the other. */
      connection->watch = g_socket_create_source (connection->socket,
                                                   G_IO_IN | G_IO_HUP | G_IO_ERR, NULL);
      g_source_set_callback (connection->watch, G_SOURCE_FUNC (on_socket_ready), connection,
                             NULL);
      g_source_set_name (connection->watch, "[becquerel] idle connection hang-up");
      g_source_attach (connection->watch, g_main_context_get_thread_default ());
    }
}

static Connection *
lookup (BqServer          *self,
        SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);

  return socket != NULL ? g_hash_table_lookup (self->connections, socket) : NULL;
}

static void
on_got_headers (SoupServerMessage *msg,
                gpointer           user_data)
{
  Connection *connection = lookup (BQ_SERVER (user_data), msg);

  if (connection == NULL)
    return;
  connection->busy = TRUE;
  connection_stop_watch (connection);
  g_clear_handle_id (&connection->timeout_id, g_source_remove);
}

/* A WebSocket: no longer an HTTP connection of libsoup's, nor ours. */
static void
on_wrote_informational (SoupServerMessage *msg,
                        gpointer           user_data)
{
  BqServer *self = BQ_SERVER (user_data);
  GSocket *socket = soup_server_message_get_socket (msg);

  if (soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS && socket != NULL)
    g_hash_table_remove (self->connections, socket);
}

void
bq_server_connections_request_started (BqServer          *self,
                                       SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *connection;

  if (socket == NULL)
    return;
  connection = g_hash_table_lookup (self->connections, socket);
  if (connection == NULL)
    {
      connection = g_new0 (Connection, 1);
      connection->server = self;
      connection->socket = g_object_ref (socket);
      g_hash_table_insert (self->connections, socket, connection);
    }
  /* Bytes of a request have come: no need to watch for a hang-up, but a
   * request that never completes its headers still times out. */
  connection_stop_watch (connection);
  connection_start_timeout (connection);

  g_signal_connect_object (msg, "got-headers", G_CALLBACK (on_got_headers), self, 0);
  g_signal_connect_object (msg, "wrote-informational", G_CALLBACK (on_wrote_informational),
                           self, 0);
}

void
bq_server_connections_request_finished (BqServer          *self,
                                        SoupServerMessage *msg)
{
  GSocket *socket = soup_server_message_get_socket (msg);
  Connection *connection;

  if (socket == NULL)
    return;
  connection = g_hash_table_lookup (self->connections, socket);
  if (connection == NULL)
    return;
  if (g_socket_is_closed (socket) ||
      soup_server_message_get_status (msg) == SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      g_hash_table_remove (self->connections, socket);
      return;
    }
  /* libsoup may yet close it (Connection: close); the watch and the
   * timeout find out. */
  connection_set_idle (connection);
}

void
bq_server_connections_init (BqServer *self)
{
  self->connections = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL,
                                             (GDestroyNotify) connection_free);
  self->idle_timeout = BQ_SERVER_IDLE_TIMEOUT_DEFAULT;
}

void
bq_server_connections_clear (BqServer *self)
{
  if (self->connections != NULL)
    g_hash_table_remove_all (self->connections);
}

void
bq_server_connections_finalize (BqServer *self)
{
  g_clear_pointer (&self->connections, g_hash_table_unref);
}

/* -------------------------------------------------------------- listening */

gboolean
bq_server_connections_listen (BqServer                *self,
                              GSocketAddress          *address,
                              SoupServerListenOptions  options,
                              GError                 **error)
{
  g_autoptr(GSocket) socket = NULL;

  socket = g_socket_new (g_socket_address_get_family (address), G_SOCKET_TYPE_STREAM,
                         G_SOCKET_PROTOCOL_TCP, error);
  if (socket == NULL)
    return FALSE;
  /* Before listening: the kernel takes the backlog from listen(2). */
  g_socket_set_listen_backlog (socket, BQ_SERVER_LISTEN_BACKLOG);
  if (!g_socket_bind (socket, address, TRUE, error) ||
      !g_socket_listen (socket, error))
    return FALSE;
  return soup_server_listen_socket (self->soup, socket, options, error);
}

/* ------------------------------------------------------------------ public */

void
bq_server_set_idle_timeout (BqServer *self,
                            guint     seconds)
{
  GHashTableIter iter;
  Connection *connection;

  g_return_if_fail (BQ_IS_SERVER (self));

  self->idle_timeout = seconds;
  /* Idle connections wait the new time from now. */
  g_hash_table_iter_init (&iter, self->connections);
  while (g_hash_table_iter_next (&iter, NULL, (gpointer *) &connection))
    {
      g_clear_handle_id (&connection->timeout_id, g_source_remove);
      if (!connection->busy)
        connection_start_timeout (connection);
    }
}

guint
bq_server_get_idle_timeout (BqServer *self)
{
  g_return_val_if_fail (BQ_IS_SERVER (self), 0);
  return self->idle_timeout;
}

guint
bq_server_get_n_connections (BqServer *self)
{
  g_return_val_if_fail (BQ_IS_SERVER (self), 0);
  return g_hash_table_size (self->connections);
}
