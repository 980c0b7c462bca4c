/* bq-client.h — the app's only way to the server
 *
 * A BqClient owns the local cache (a BqStore in the user's data directory,
 * the core schema plus sync state and an outbox), a SoupSession to the
 * server and the sync engine: it pulls `changes since` into the cache,
 * listens to /api/v1/events to pull at once, and pushes queued changes
 * from the outbox, each with its idempotency key, once each, in order.
 * Offline it backs off and retries; after a crash it resumes from the
 * outbox on disk with nothing lost or doubled.
 *
 * Everything runs on the thread-default main context of the thread that
 * made the client; nothing blocks on the network.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "bq-store.h"

G_BEGIN_DECLS

#define BQ_CLIENT_ERROR (bq_client_error_quark ())

typedef enum {
  BQ_CLIENT_ERROR_OFFLINE,        /* the server cannot be reached */
  BQ_CLIENT_ERROR_UNAUTHORIZED,   /* bad credentials or expired token */
  BQ_CLIENT_ERROR_FORBIDDEN,
  BQ_CLIENT_ERROR_CONFLICT,       /* the server refused a change (409/422) */
  BQ_CLIENT_ERROR_PROTOCOL,       /* an answer we cannot read */
  BQ_CLIENT_ERROR_FAILED,
} BqClientError;

GQuark bq_client_error_quark (void);

typedef enum {
  BQ_CLIENT_STATE_SIGNED_OUT,
  BQ_CLIENT_STATE_OFFLINE,     /* see offline-since */
  BQ_CLIENT_STATE_SYNCING,
  BQ_CLIENT_STATE_ONLINE,      /* up to date, listening for events */
} BqClientState;

/* One change waiting in, or refused from, the outbox. */
typedef enum {
  BQ_OUTBOX_PENDING,
  BQ_OUTBOX_CONFLICT,          /* refused by the server: the user decides */
} BqOutboxState;

typedef struct {
  gint64         seq;
  char          *idempotency_key;
  char          *method;          /* POST, PATCH, DELETE */
  char          *kind;            /* entity type name */
  char          *entity_id;
  char          *body;            /* JSON sent, or NULL */
  gint64         base_revision;   /* If-Match; 0 for none */
  gint64         created_at;
  BqOutboxState  state;
  guint          status;          /* HTTP status of the refusal */
  char          *error_code;      /* the server's error.code */
  char          *error_message;
  char          *server_json;     /* the server's current object on 409, or NULL;
                                   for an action, the server's whole refusal
                                   (with "alternatives" for a booking) */
  char          *path;            /* an action's request path; NULL for an entity change */
} BqOutboxEntry;

void bq_outbox_entry_free (BqOutboxEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqOutboxEntry, bq_outbox_entry_free)

typedef enum {
  BQ_RESOLVE_KEEP_MINE,     /* send mine again on top of the server's revision */
  BQ_RESOLVE_TAKE_THEIRS,   /* drop mine; the cache takes the server's object */
} BqResolution;

#define BQ_TYPE_CLIENT (bq_client_get_type ())
G_DECLARE_FINAL_TYPE (BqClient, bq_client, BQ, CLIENT, GObject)

/* Opens (creating) the cache at @cache_path (":memory:" for tests).
 * @base_url like "http://127.0.0.1:8470". */
BqClient     *bq_client_new               (const char          *base_url,
                                           const char          *cache_path,
                                           GError             **error);
const char   *bq_client_get_base_url      (BqClient            *self);
/* The cache, for models and views (read it; change it only through the
 * queue functions below). */
BqStore      *bq_client_get_store         (BqClient            *self);
/* A client made over a cache that holds a session starts OFFLINE (with
 * offline-since 0) until a round reaches the server; a 401 ends in
 * SIGNED_OUT with needs-sign-in set. */
BqClientState bq_client_get_state         (BqClient            *self);
/* UTC seconds when the client last lost the server, or 0. */
gint64        bq_client_get_offline_since (BqClient            *self);
guint         bq_client_get_n_pending     (BqClient            *self);
/* The signed-in user (kept in the cache, so known offline), or NULL. */
const BqUser *bq_client_get_user          (BqClient            *self);
/* Outbox entries the server refused, waiting for the user's decision
 * (they are also counted in n-pending, which is everything not yet
 * accepted by the server). */
guint         bq_client_get_n_conflicts   (BqClient            *self);
/* TRUE when the server refused the token (expired, signed out elsewhere):
 * state is SIGNED_OUT but the user, the cache and the outbox are kept;
 * bq_client_sign_in_async() as the same user carries on where it was. */
gboolean      bq_client_get_needs_sign_in (BqClient            *self);
/* The server revision the cache is up to date with (0: never synced). */
gint64        bq_client_get_revision      (BqClient            *self);

/* POST /api/v1/session; on success the token is kept (in memory and in
 * the cache's sync state) and the user stored. */
void          bq_client_sign_in_async     (BqClient            *self,
                                           const char          *username,
                                           const char          *password,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      bq_client_sign_in_finish    (BqClient            *self,
                                           GAsyncResult        *result,
                                           GError             **error);
/* Forgets the token, empties the cache and the outbox. */
void          bq_client_sign_out          (BqClient            *self);

/* Starts syncing in the background: push, pull, listen to events; retries
 * with back-off while offline.  Idempotent. */
void          bq_client_start             (BqClient            *self);
void          bq_client_stop              (BqClient            *self);
/* One round now: push the outbox, then pull until up to date. */
void          bq_client_sync_async        (BqClient            *self,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
gboolean      bq_client_sync_finish       (BqClient            *self,
                                           GAsyncResult        *result,
                                           GError             **error);

/* Queue a change: applied to the cache at once (so the app shows it
 * offline) and added to the outbox with a new idempotency key, in one
 * cache transaction.  Updates carry the revision they were based on.
 *
 * A create without an id gets a random UUID, written into @entity.  An
 * update sends only the fields that differ from the cache's row; @entity
 * must carry the revision of the row it was read from: a copy read before
 * the cache moved on is refused with BQ_CLIENT_ERROR_CONFLICT (read it
 * again), since sending it would undo what arrived meanwhile.  An update
 * that changes nothing queues nothing.  A delete names a row of the cache.
 * Until its outbox entries settle, a row shows the newest server version
 * with the queued changes on top. */
gboolean      bq_client_queue_create      (BqClient            *self,
                                           gpointer             entity,
                                           GError             **error);
gboolean      bq_client_queue_update      (BqClient            *self,
                                           gpointer             entity,
                                           GError             **error);
gboolean      bq_client_queue_delete      (BqClient            *self,
                                           const BqEntityType  *type,
                                           const char          *id,
                                           GError             **error);

/* Queue an action: a request to an endpoint that is not the entity's
 * own (POST /api/v1/slots/ID/claim, /orders/ID/cancel…), @body JSON or
 * NULL, concerning the entity @type/@entity_id.  It waits in the outbox
 * with an idempotency key and goes in order with the other entries; the
 * entity the server answers with goes into the cache (under the server's
 * id: a claim answered with a new order replaces the provisional one, and
 * later entries naming the provisional id are renamed).  A refusal (4xx)
 * becomes a conflict whose server_json is the server's answer; KEEP_MINE
 * sends it again, TAKE_THEIRS drops it.
 *
 * An action that names an entity the cache does not have and whose @body
 * reads as one (a claim's body is an order) shows it in the cache at once,
 * at revision 0: a provisional row, "not yet guaranteed", until the server
 * answers.  Other actions change nothing in the cache before they are
 * accepted.  @entity_id NULL: a new UUID (returned in @out_entity_id). */
gboolean      bq_client_queue_action      (BqClient            *self,
                                           const char          *method,
                                           const char          *path,
                                           const char          *body,
                                           const BqEntityType  *type,
                                           const char          *entity_id,
                                           char               **out_entity_id,
                                           gint64              *out_seq,
                                           GError             **error);
/* The pending or refused action entries that concern @type/@id, oldest
 * first; the array owns them. */
GPtrArray    *bq_client_list_actions      (BqClient            *self,
                                           const BqEntityType  *type,
                                           const char          *id);

/* A request the outbox must not carry: online only, answered now
 * (matching, holds).  @body may be NULL.  The answer, whatever its status,
 * is returned as JSON (JSON null for an empty body) with *@status; NULL
 * with BQ_CLIENT_ERROR_OFFLINE when the server cannot be reached, or
 * BQ_CLIENT_ERROR_PROTOCOL when the answer is not JSON. */
void          bq_client_call_async        (BqClient            *self,
                                           const char          *method,
                                           const char          *path,
                                           const char          *body,
                                           GCancellable        *cancellable,
                                           GAsyncReadyCallback  callback,
                                           gpointer             user_data);
JsonNode     *bq_client_call_finish       (BqClient            *self,
                                           GAsyncResult        *result,
                                           guint               *status,
                                           GError             **error);
/* The error.message of a JSON error answer, or NULL. */
const char   *bq_client_reply_message     (JsonNode            *reply);

/* Outbox entries, oldest first (pending and in conflict); the array owns
 * them.  Later entries of an entity with a refused one wait behind it;
 * other entries go on. */
GPtrArray    *bq_client_list_outbox       (BqClient            *self);
/* KEEP_MINE sends the entry again on the server's current revision (an
 * update of something the server no longer has cannot be kept: an error
 * says so; a delete of it is simply done).  TAKE_THEIRS drops the entry
 * and the later entries of the same entity, which were made on top of it,
 * and the cache shows the server's version (or nothing, if it has none). */
gboolean      bq_client_resolve_conflict  (BqClient            *self,
                                           gint64               seq,
                                           BqResolution         resolution,
                                           GError             **error);

/* Signals:
 *   "changed" (const char *kind): rows of that entity type changed in the
 *     cache (pulled or queued); models reload what they show.
 *   "conflict" (gint64 seq): the server refused a queued change.
 * Properties (notify): "state", "offline-since", "n-pending", "user",
 *   "n-conflicts", "needs-sign-in", "revision" (read-only; "state" is an
 *   int holding a BqClientState, "user" a pointer to the const BqUser);
 *   "retry-delay-ms" (read-write): the first back-off delay while offline,
 *   doubled after each failure up to 60 times itself (default 1000, or
 *   $BQ_CLIENT_RETRY_MS);
 *   "crash-after-send" (read-write, tests only): after the next push
 *   request has been answered, drop the answer and stop as if the process
 *   had died there, leaving the outbox as it was on disk. */

G_END_DECLS
