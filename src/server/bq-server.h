/* bq-server.h — the HTTP server: REST /api/v1, the change feed, events
 *
 * A BqServer owns a SoupServer and serves the store through the public
 * API of DESIGN.md.  Everything runs on the thread of the main context it
 * was created in; the store is only touched there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bq-auth.h"
#include "bq-store.h"

G_BEGIN_DECLS

#define BQ_TYPE_SERVER (bq_server_get_type ())
G_DECLARE_FINAL_TYPE (BqServer, bq_server, BQ, SERVER, GObject)

/* Request bodies larger than this are refused with 413. */
#define BQ_SERVER_MAX_BODY (1024 * 1024)
/* Connections not yet accepted that the listening socket queues. */
#define BQ_SERVER_LISTEN_BACKLOG 512
/* Seconds a keep-alive connection may sit between requests. */
#define BQ_SERVER_IDLE_TIMEOUT_DEFAULT 60

BqServer   *bq_server_new         (BqStore          *store,
                                   BqAuth           *auth);
/* Listens on @address (NULL: 127.0.0.1) and @port (0: a free one); with
 * @tls_certificate, https only. */
gboolean    bq_server_listen      (BqServer         *self,
                                   const char       *address,
                                   guint             port,
                                   GTlsCertificate  *tls_certificate,
                                   GError          **error);
/* Stops listening and closes every connection, WebSockets included. */
void        bq_server_stop        (BqServer         *self);
/* The port listened on, 0 before bq_server_listen(). */
guint       bq_server_get_port    (BqServer         *self);
/* "http://127.0.0.1:8470/" (https with TLS); NULL before listening. */
char       *bq_server_get_uri     (BqServer         *self);
BqStore    *bq_server_get_store   (BqServer         *self);
BqAuth     *bq_server_get_auth    (BqServer         *self);
/* The number of open WebSocket event connections (for tests). */
guint       bq_server_get_n_event_clients (BqServer *self);
/* How long (seconds; 0: for ever) an HTTP connection may stay idle
 * between requests, or sit in the middle of a request's headers, before
 * the server closes it; BQ_SERVER_IDLE_TIMEOUT_DEFAULT to start with.
 * A client that hangs up is let go at once, whatever this says.
 * WebSocket connections are not affected. */
void        bq_server_set_idle_timeout    (BqServer *self,
                                           guint     seconds);
guint       bq_server_get_idle_timeout    (BqServer *self);
/* The number of HTTP connections followed (for tests). */
guint       bq_server_get_n_connections   (BqServer *self);
/* The time the planner (proposals, moves) and the router (re-routing)
 * take as now, so tests and demos can replay a fixed moment; G_MININT64
 * (BQ_TIME_UNSET, the default) is the real time.  Sessions, idempotency
 * keys and the audit trail always use the real time. */
void        bq_server_set_fixed_now       (BqServer *self,
                                           gint64    now_utc);

/* ------------------------------------------------------------ the routes */

typedef struct _BqServerRequest BqServerRequest;
typedef void (*BqServerRouteFunc) (BqServerRequest *request);

typedef enum {
  BQ_SERVER_ROUTE_PUBLIC    = 1 << 0,  /* no bearer token needed */
  BQ_SERVER_ROUTE_WEBSOCKET = 1 << 1,  /* a WebSocket upgrade */
} BqServerRouteFlags;

/* One row of the route table.  {collection} stands for the plural of any
 * entity type ("runs", "orders", …; bq_entity_types()); {id} for any
 * entity id; any other {name} for any segment (the handler reads it).
 * Literal segments win over {collection}. */
typedef struct {
  const char         *method;   /* "GET", "POST", "PATCH", "DELETE" */
  const char         *path;     /* "/api/v1/{collection}/{id}" */
  BqServerRouteFlags  flags;
  BqServerRouteFunc   handler;  /* private to the server */
} BqServerRoute;

/* Every route the server answers, for the OpenAPI test and the docs. */
const BqServerRoute *bq_server_get_routes (guint *n_routes);

/* The OpenAPI 3 document served at /api/v1/openapi.json. */
GBytes     *bq_server_get_openapi (void);

G_END_DECLS
