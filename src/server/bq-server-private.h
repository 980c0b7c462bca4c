/* bq-server-private.h — what the bq-server-*.c files share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bq-server.h"

G_BEGIN_DECLS

/* A statement prepared for one use, finalized when it goes out of scope. */
typedef sqlite3_stmt BqServerStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqServerStmt, sqlite3_finalize)

struct _BqServer {
  GObject       parent_instance;

  SoupServer   *soup;
  BqStore      *store;
  BqAuth       *auth;
  GCancellable *cancellable;   /* logins in flight; cancelled on dispose */
  GList        *event_clients; /* EventClient *, see bq-server-events.c */
  gboolean      https;         /* listening with TLS */
  GHashTable   *connections;   /* GSocket → Connection, bq-server-connections.c */
  guint         idle_timeout;  /* seconds; 0: never */
  gint64        fixed_now;     /* BQ_TIME_UNSET: the real time; see bq_server_set_fixed_now() */
};

/* One request being answered: what the router found out about it. */
struct _BqServerRequest {
  BqServer            *server;
  SoupServerMessage   *msg;
  const char          *method;     /* HEAD is answered as GET */
  char               **segments;   /* the path, split and unescaped */
  GHashTable          *query;      /* name → value, or NULL */
  const BqServerRoute *route;
  const BqEntityType  *type;       /* {collection} */
  const char          *id;         /* {id}, points into @segments */
  char                *token;      /* the bearer token, if any */
  BqUser              *user;       /* NULL on public routes */
  gint64               now;        /* UTC seconds */
  gboolean             websocket;  /* reached through the WebSocket handler */
  /* Idempotency-Key of a write, and the request it was first used with. */
  char                *idempotency_key;
  char                *body_sha256;
};

/* ------------------------------------------------------------- responses */

/* Sends @node (not taken) as the JSON response. */
void      bq_server_reply_json        (SoupServerMessage *msg,
                                       guint              status,
                                       JsonNode          *node);
/* The same, from JSON text (taken). */
void      bq_server_reply_text        (SoupServerMessage *msg,
                                       guint              status,
                                       char              *json_text);
/* {"error":{"code","message","field"}}; @field may be NULL. */
void      bq_server_reply_error       (SoupServerMessage *msg,
                                       guint              status,
                                       const char        *code,
                                       const char        *message,
                                       const char        *field);
/* The one place every GError domain becomes a status and a code. */
void      bq_server_reply_gerror      (SoupServerMessage *msg,
                                       const GError      *error);
/* The status bq_server_reply_gerror() would use. */
guint     bq_server_status_for_error  (const GError      *error);
char     *bq_server_json_to_string    (JsonNode          *node);

/* -------------------------------------------------------------- requests */

/* A query parameter, or NULL. */
const char *bq_server_request_get_param (BqServerRequest *request,
                                         const char      *name);
/* An unsigned integer parameter: @fallback when absent; replies 400 (not a
 * number) or 422 out_of_range (above @max) and returns FALSE. */
gboolean  bq_server_request_get_uint  (BqServerRequest *request,
                                       const char      *name,
                                       guint64          fallback,
                                       guint64          max,
                                       guint64         *value);
/* The request body parsed with bq_json_parse; replies 400/413 and returns
 * NULL when it is not a JSON object. */
JsonNode *bq_server_request_parse_body (BqServerRequest *request);
/* A request header, checked to be UTF-8; replies 400 and sets *@bad when
 * it is not. */
const char *bq_server_request_get_header (BqServerRequest *request,
                                          const char      *name,
                                          gboolean        *bad);
/* Refuses query parameters other than the NULL-terminated @allowed:
 * replies 422 unknown_field and returns FALSE. */
gboolean  bq_server_request_check_params (BqServerRequest    *request,
                                          const char * const *allowed);
/* Parses @text, the value of parameter or member @name, as a time
 * (bq_units_parse_time); replies 400 and returns FALSE when it is not one. */
gboolean  bq_server_request_parse_time (BqServerRequest *request,
                                        const char      *name,
                                        const char      *text,
                                        gint64          *value);
/* The same for query parameter @name: *@value stays when it is absent. */
gboolean  bq_server_request_get_time_param (BqServerRequest *request,
                                            const char      *name,
                                            gint64          *value);
/* The X-Reason header of a write (NULL when absent or empty): replies 400
 * and returns FALSE when it is not UTF-8 or longer than 2000 characters. */
gboolean  bq_server_request_get_reason (BqServerRequest  *request,
                                        const char      **reason);

/* -------------------------------------------------------------- handlers */

void      bq_server_handle_healthz       (BqServerRequest *request);
void      bq_server_handle_openapi       (BqServerRequest *request);
void      bq_server_handle_session_create (BqServerRequest *request);
void      bq_server_handle_session_delete (BqServerRequest *request);
void      bq_server_handle_me            (BqServerRequest *request);
void      bq_server_handle_audit_list    (BqServerRequest *request);
void      bq_server_handle_audit_verify  (BqServerRequest *request);
void      bq_server_handle_list          (BqServerRequest *request);
void      bq_server_handle_create        (BqServerRequest *request);
void      bq_server_handle_get           (BqServerRequest *request);
void      bq_server_handle_update        (BqServerRequest *request);
void      bq_server_handle_delete        (BqServerRequest *request);
void      bq_server_handle_changes       (BqServerRequest *request);
void      bq_server_handle_events        (BqServerRequest *request);
/* Planning (bq-server-plan.c). */
void      bq_server_handle_plan_get      (BqServerRequest *request);
void      bq_server_handle_plan_apply    (BqServerRequest *request);
void      bq_server_handle_capacity      (BqServerRequest *request);
void      bq_server_handle_check_move    (BqServerRequest *request);
/* The network (bq-server-network.c). */
void      bq_server_handle_routes        (BqServerRequest *request);
void      bq_server_handle_network       (BqServerRequest *request);
void      bq_server_handle_shipment_event (BqServerRequest *request);
void      bq_server_handle_reroutes_list (BqServerRequest *request);
void      bq_server_handle_reroute_accept (BqServerRequest *request);
void      bq_server_handle_reroute_reject (BqServerRequest *request);
/* Booking (bq-server-slots.c). */
void      bq_server_handle_slots_calendar (BqServerRequest *request);
void      bq_server_handle_slots_match   (BqServerRequest *request);
void      bq_server_handle_slot_hold     (BqServerRequest *request);
void      bq_server_handle_slot_release_hold (BqServerRequest *request);
void      bq_server_handle_slot_claim    (BqServerRequest *request);
void      bq_server_handle_order_confirm (BqServerRequest *request);
void      bq_server_handle_order_cancel  (BqServerRequest *request);
void      bq_server_handle_order_reschedule (BqServerRequest *request);
void      bq_server_handle_run_affected_orders (BqServerRequest *request);
void      bq_server_handle_run_reallocate (BqServerRequest *request);
/* In the open transaction of a PATCH of a run: when @after changes what
 * its slots depend on (status, line, times, doses, activity), reconciles
 * them with the slot engine and audits each slot changed.  FALSE with
 * @error on failure; the caller rolls back. */
gboolean  bq_server_slots_run_changed    (BqServerRequest *request,
                                          const BqRun     *before,
                                          const BqRun     *after,
                                          const char      *reason,
                                          GError         **error);
/* Generic writes of slots (@before NULL: a create) may not touch what
 * the engine keeps (claimed, held, held_by, hold_expires, status): FALSE
 * with the *@field changed.  TRUE for other types. */
gboolean  bq_server_slots_check_generic_update (gconstpointer   before,
                                                gconstpointer   after,
                                                const char    **field);

/* The time planning, moves and re-routing take as now. */
gint64    bq_server_request_domain_now   (BqServerRequest *request);
/* Before a PATCH @body is applied to the run @before: a start_time moved
 * without eos_time (or calibration_time) moves those by as much. */
void      bq_server_prepare_run_move     (const BqRun     *before,
                                          JsonObject      *body);
/* In the open transaction of a PATCH of a run: when @after moves @before
 * (another line or start), checks the move with the planner.  FALSE when
 * answered (422 with the planner's code); the caller rolls back. */
gboolean  bq_server_check_run_move       (BqServerRequest *request,
                                          const BqRun     *before,
                                          BqRun           *after,
                                          JsonObject      *body);
/* The common end of a write whose changes are already in the open
 * transaction and audited: records the idempotent answer @text (taken),
 * commits, replies @status, and tells event listeners about @before /
 * @after (either may be NULL; both NULL: nobody).  Rolls back and
 * replies the error on failure. */
void      bq_server_finish_custom_write  (BqServerRequest *request,
                                          guint            status,
                                          char            *text,
                                          gconstpointer    before,
                                          gconstpointer    after);

/* Routes @msg (bq-server-routes.c).  @websocket: it came through the
 * handler that can upgrade to a WebSocket. */
void      bq_server_dispatch             (BqServer          *self,
                                          SoupServerMessage *msg,
                                          const char        *path,
                                          GHashTable        *query,
                                          gboolean           websocket);

/* ------------------------------------------------------------ visibility */

/* Whether @user may see @entity: the role may read the type and, for an
 * account manager, the entity belongs to their centres (shipment legs
 * through their shipment).  @cache (may be NULL) remembers parents'
 * centres across calls. */
gboolean  bq_server_can_see_entity    (BqServer          *self,
                                       const BqUser      *user,
                                       gconstpointer      entity,
                                       GHashTable        *cache);
/* The same for a deleted entity, or one that left the caller's centres,
 * from the centres remembered in tombstone_scope. */
gboolean  bq_server_can_see_tombstone (BqServer          *self,
                                       const BqUser      *user,
                                       const BqEntityType *type,
                                       const char        *id);
/* The centre a scoped entity belongs to (for legs, its shipment's), or
 * NULL. */
char     *bq_server_entity_centre     (BqServer          *self,
                                       gconstpointer      entity,
                                       GHashTable        *cache);
/* In the current transaction: remember the centre of a scoped entity
 * about to be deleted (nothing for unscoped types), or the centre an
 * updated one leaves (nothing when it stays).  tombstone_scope keeps
 * every centre a row has left, so that whoever saw it there gets a
 * tombstone in the change feed; it is kept when the id is used again
 * (a recreated row elsewhere is still gone for them). */
gboolean  bq_server_remember_tombstone_scope (BqServer      *self,
                                              gconstpointer  entity,
                                              GError       **error);
gboolean  bq_server_remember_moved_scope     (BqServer      *self,
                                              gconstpointer  before,
                                              gconstpointer  after,
                                              GError       **error);

/* ---------------------------------------------------------------- events */

void      bq_server_events_init       (BqServer          *self);
/* Tells every connection that may see @before or @after (either may be
 * NULL) that the store is now at @revision. */
void      bq_server_events_publish    (BqServer          *self,
                                       gint64             revision,
                                       gconstpointer      before,
                                       gconstpointer      after);
void      bq_server_events_close_all  (BqServer          *self);

/* ----------------------------------------------------------- connections */

void      bq_server_connections_init     (BqServer          *self);
/* Forgets every connection (the server is stopping). */
void      bq_server_connections_clear    (BqServer          *self);
void      bq_server_connections_finalize (BqServer          *self);
/* From the SoupServer's "request-started" and "request-finished" /
 * "request-aborted". */
void      bq_server_connections_request_started  (BqServer          *self,
                                                  SoupServerMessage *msg);
void      bq_server_connections_request_finished (BqServer          *self,
                                                  SoupServerMessage *msg);
/* Listens on @address with our own socket and its longer backlog. */
gboolean  bq_server_connections_listen   (BqServer                *self,
                                          GSocketAddress          *address,
                                          SoupServerListenOptions  options,
                                          GError                 **error);

/* ----------------------------------------------------------- idempotency */

/* Reads the Idempotency-Key of a write.  TRUE when the request has been
 * answered already (a replay, a reused key, a bad header): the caller
 * returns.  Otherwise the key, if any, is remembered in @request. */
gboolean  bq_server_idempotency_check  (BqServerRequest *request);
/* Inside the write's transaction: remembers the answer for the key, if
 * the request had one. */
gboolean  bq_server_idempotency_record (BqServerRequest *request,
                                        guint            status,
                                        const char      *response,
                                        GError         **error);

G_END_DECLS
