/* bq-client-private.h — what the bq-client-*.c files share
 *
 * bq-client.c        the object: properties, signals, sign-in, the queue
 *                    functions and conflict resolution
 * bq-client-api.c    HTTP requests to the server and its JSON errors
 * bq-client-sync.c   the sync engine: rounds of push then pull, back-off,
 *                    the events WebSocket
 * bq-client-cache.c  the cache's own tables (sync_state, outbox) and how
 *                    server versions and queued changes meet in the cache
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "bq-client.h"

G_BEGIN_DECLS

/* Changes asked for per page of the feed. */
#define BQ_CLIENT_PAGE_LIMIT 500
/* The back-off grows from retry-delay-ms up to this many times it. */
#define BQ_CLIENT_RETRY_MAX_FACTOR 60

struct _BqClient
{
  GObject        parent_instance;

  char          *base_url;      /* no trailing slash */
  BqStore       *store;
  GHashTable    *stmts;         /* SQL → sqlite3_stmt *, see bq-client-cache.c */
  SoupSession   *session;

  char          *token;         /* NULL: signed out or needs sign-in */
  BqUser        *user;          /* NULL: nobody ever signed in to this cache */
  gint64         revision;      /* the server revision the cache has, as in sync_state */

  BqClientState  state;
  gint64         offline_since;
  guint          n_pending;
  guint          n_conflicts;
  gboolean       needs_sign_in;

  /* The engine (bq-client-sync.c). */
  gboolean       running;       /* between start() and stop() */
  GCancellable  *cancellable;   /* for everything in flight; renewed by stop() */
  gboolean       in_round;
  gboolean       round_again;   /* asked for while one was running */
  guint          round_idle_id;
  GPtrArray     *round_tasks;   /* GTask: answered when the running round ends */
  GPtrArray     *next_tasks;    /* GTask: wait for the next round */
  GHashTable    *changed_kinds; /* kinds changed in this round, emitted at its end */
  guint          retry_delay_ms;   /* the first delay of the back-off */
  guint          n_failures;       /* rounds failed in a row */
  guint          retry_id;
  SoupWebsocketConnection *events;
  gboolean       events_connecting;
  guint          n_events_failures;
  guint          events_retry_id;

  gboolean       crash_after_send;
  gboolean       crashed;
};

/* ------------------------------------------------------ bq-client.c */

void      bq_client_set_state          (BqClient       *self,
                                        BqClientState   state);
void      bq_client_set_offline_since  (BqClient       *self,
                                        gint64          offline_since);
void      bq_client_set_revision       (BqClient       *self,
                                        gint64          revision);
/* Recounts the outbox and notifies n-pending / n-conflicts if they moved. */
void      bq_client_update_counts      (BqClient       *self);
/* The token was refused: forget it, keep everything else. */
void      bq_client_token_refused      (BqClient       *self);
/* Takes @user as the signed-in user (NULL: none) and notifies. */
void      bq_client_set_user           (BqClient       *self,
                                        BqUser         *user);
void      bq_client_emit_changed       (BqClient       *self,
                                        const char     *kind);
void      bq_client_emit_conflict      (BqClient       *self,
                                        gint64          seq);

/* -------------------------------------------------- bq-client-api.c */

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;      /* never NULL */
} BqClientResponse;

void      bq_client_response_free      (BqClientResponse *response);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqClientResponse, bq_client_response_free)

/* @path like "/api/v1/changes?since=3" (escaped already).  @body (may be
 * NULL) goes as application/json; @headers is a NULL-terminated list of
 * name/value pairs (may be NULL).  The token, if any, goes as a bearer
 * token. */
void      bq_client_api_request_async  (BqClient            *self,
                                        const char          *method,
                                        const char          *path,
                                        const char          *body,
                                        const char * const  *headers,
                                        GCancellable        *cancellable,
                                        GAsyncReadyCallback  callback,
                                        gpointer             user_data);
/* Any answer at all, whatever its status; NULL only when there was none:
 * BQ_CLIENT_ERROR_OFFLINE (the server cannot be reached) or
 * G_IO_ERROR_CANCELLED. */
BqClientResponse *bq_client_api_request_finish (BqClient        *self,
                                                GAsyncResult    *result,
                                                GError         **error);
/* The body as JSON (bq_json_parse), or NULL with BQ_CLIENT_ERROR_PROTOCOL. */
JsonNode *bq_client_response_parse     (BqClientResponse  *response,
                                        GError           **error);
/* FALSE with a BQ_CLIENT_ERROR saying why for anything but 2xx: the
 * server's error.message, the code from the status. */
gboolean  bq_client_response_check     (BqClientResponse  *response,
                                        GError           **error);
/* error.code and error.message of a JSON error answer (either may be
 * NULL), and its "current" object, if any. */
void      bq_client_response_get_error (BqClientResponse  *response,
                                        char             **code,
                                        char             **message,
                                        JsonNode         **current);
/* Whether a failure means "try again later" (the network, the server
 * being busy or broken) rather than "this request is wrong". */
gboolean  bq_client_error_is_transient (const GError      *error);
/* 408, 429, 5xx: the same for an answer. */
gboolean  bq_client_response_is_transient (BqClientResponse *response);
/* "/api/v1/runs" or "/api/v1/runs/ID" with ID escaped. */
char     *bq_client_api_path           (const BqEntityType *type,
                                        const char         *id);
/* Decodes an entity the server sent, tolerating members it does not know
 * (a newer server); errors are BQ_CLIENT_ERROR_PROTOCOL. */
gpointer  bq_client_decode_entity      (const BqEntityType *type,
                                        JsonNode           *node,
                                        GError            **error);

/* ------------------------------------------------- bq-client-sync.c */

/* Asks for a round soon (coalesced with one that is running). */
void      bq_client_sync_request       (BqClient       *self);
void      bq_client_sync_start         (BqClient       *self);
void      bq_client_sync_stop          (BqClient       *self);
void      bq_client_sync_dispose       (BqClient       *self);

/* ------------------------------------------------ bq-client-cache.c */

/* Creates the client's tables if needed, turns off foreign keys, reads
 * the sync state into @self. */
gboolean  bq_client_cache_init         (BqClient       *self,
                                        GError        **error);
void      bq_client_cache_close        (BqClient       *self);

char     *bq_client_cache_get_state    (BqClient       *self,
                                        const char     *key);
gboolean  bq_client_cache_set_state    (BqClient       *self,
                                        const char     *key,
                                        const char     *value,
                                        GError        **error);
gboolean  bq_client_cache_set_revision (BqClient       *self,
                                        gint64          revision,
                                        GError        **error);
/* Every entity row, tombstone and outbox entry, and the revision: a cache
 * that belongs to nobody. */
gboolean  bq_client_cache_clear        (BqClient       *self,
                                        GError        **error);

/* Outbox. */
gboolean  bq_client_cache_count_outbox (BqClient       *self,
                                        guint          *n_pending,
                                        guint          *n_conflicts);
GPtrArray *bq_client_cache_list_outbox (BqClient       *self,
                                        const char     *kind,
                                        const char     *entity_id);
BqOutboxEntry *bq_client_cache_get_entry (BqClient     *self,
                                          gint64        seq);
/* The first pending entry that no refused entry of the same entity holds
 * back, or NULL. */
BqOutboxEntry *bq_client_cache_next_to_push (BqClient  *self,
                                             GError   **error);
gboolean  bq_client_cache_add_entry    (BqClient       *self,
                                        const char     *method,
                                        const BqEntityType *type,
                                        const char     *entity_id,
                                        const char     *body,
                                        gint64          base_revision,
                                        gint64         *seq,
                                        GError        **error);
/* An action entry (see bq_client_queue_action). */
gboolean  bq_client_cache_add_action   (BqClient       *self,
                                        const char     *method,
                                        const char     *path,
                                        const BqEntityType *type,
                                        const char     *entity_id,
                                        const char     *body,
                                        gint64         *seq,
                                        GError        **error);
/* Entries naming @old_id (and their paths) now name @new_id. */
gboolean  bq_client_cache_rename_entity (BqClient      *self,
                                         const char    *kind,
                                         const char    *old_id,
                                         const char    *new_id,
                                         GError       **error);
gboolean  bq_client_cache_delete_entry (BqClient       *self,
                                        gint64          seq,
                                        GError        **error);
gboolean  bq_client_cache_mark_conflict (BqClient      *self,
                                         gint64         seq,
                                         guint          status,
                                         const char    *code,
                                         const char    *message,
                                         const char    *server_json,
                                         GError       **error);
/* Back to pending with @base_revision and a new idempotency key. */
gboolean  bq_client_cache_requeue_entry (BqClient      *self,
                                         gint64         seq,
                                         gint64         base_revision,
                                         GError       **error);
/* Later pending entries of the same entity were made on top of @seq:
 * they now apply to @revision. */
gboolean  bq_client_cache_rebase_after (BqClient       *self,
                                        const BqOutboxEntry *entry,
                                        gint64          revision,
                                        GError        **error);

/* The revision the cache holds for an entity (row or tombstone), or -1. */
gint64    bq_client_cache_known_revision (BqClient     *self,
                                          const BqEntityType *type,
                                          const char   *id);
/* The state of a change, applied on top of @entity (NULL: none); returns
 * the new state (NULL: deleted).  Takes @entity. */
gpointer  bq_client_cache_apply_entry  (const BqOutboxEntry *entry,
                                        const BqEntityType  *type,
                                        gpointer             entity);
/* The server's version of an entity (@server_entity, or NULL when the
 * server deleted it) at @revision arrives: the cache shows it with every
 * outbox entry of that entity re-applied on top, at the server's
 * revision, and refused entries learn it as the server's current object.
 * Skipped when the cache already has a newer server version, unless
 * @force (the caller knows it has not, or wants it anyway).  @outbox_ids: the "kind\nid" of every entity with outbox
 * entries, or NULL to look.  Run inside a cache transaction. */
gboolean  bq_client_cache_apply_server (BqClient       *self,
                                        const BqEntityType *type,
                                        const char     *id,
                                        gint64          revision,
                                        gconstpointer   server_entity,
                                        gboolean        force,
                                        GHashTable     *outbox_ids,
                                        GError        **error);
/* "kind\nid" of every entity with outbox entries. */
GHashTable *bq_client_cache_outbox_ids (BqClient       *self,
                                        GError        **error);

G_END_DECLS
