/* bq-client-sync.c — the sync engine: rounds of push then pull, back-off,
 * and the events WebSocket
 *
 * A round pushes the outbox, then pulls the change feed until it is up to
 * date.  Rounds never overlap: one asked for while another runs follows
 * it.  Everything happens on the client's main context; the only work
 * done elsewhere is decoding a page of the feed (JSON to entities), in a
 * worker thread.  The cache is written on the main context because models
 * read the same connection there; a page is one transaction of at most
 * BQ_CLIENT_PAGE_LIMIT rows.
 *
 * Push.  Entries go one at a time, in seq order, each with its
 * Idempotency-Key and, for PATCH and DELETE, If-Match its base revision:
 *   2xx          accepted: the entry leaves the outbox and the cache takes
 *                the server's answer, in one transaction; later entries of
 *                the same entity now apply to the answer's revision.  A
 *                replay after a lost answer gets the stored answer (the
 *                server keeps it per key), so nothing is applied twice.
 *                DELETE answered 404 counts as accepted: it is gone.
 *   no answer    the round stops; OFFLINE, retried with back-off.  The
 *                entry stays, and goes again with the same key.
 *   408/429/5xx  the same: the server is there but cannot take it now.
 *   401          the token is refused: see bq-client.c.
 *   other 4xx    refused: the entry becomes a conflict with the status, the
 *                error and the server's current object (from the 409, or
 *                fetched), "conflict" is emitted, and the push goes on with
 *                the entries that do not depend on it — later entries of
 *                the same entity wait for the user's decision.
 *
 * Pull.  GET /api/v1/changes?since=REV&limit=500 until "more" is false.
 * Each page is applied in one cache transaction together with the new
 * revision in sync_state, so a crash between pages loses nothing and
 * applies nothing twice.  How a pulled change meets a queued one: see
 * bq-client-cache.c.  "changed" is emitted once per kind at the end of a
 * round.
 *
 * Events.  After a successful round the client listens on /api/v1/events;
 * every {"revision":N} above the cache's revision asks for a round.  When
 * the connection closes or cannot be made, a round follows after the
 * back-off delay, and a successful round connects again.  So while the
 * server is up and the WebSocket works, there is no polling at all.
 *
 * Back-off.  retry-delay-ms (1 s by default) after the first failed
 * round, doubling after each further one, up to 60 times it (1 min).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-json.h"
#include "bq-client-private.h"

static void push_next (BqClient *self);
static void pull_next (BqClient *self);
static void round_finish (BqClient *self,
                          GError   *error);
static void events_connect (BqClient *self);
static void events_close (BqClient *self);

static guint
backoff_delay (BqClient *self,
               guint     n_failures)
{
  guint64 delay = self->retry_delay_ms;
  guint64 limit = (guint64) self->retry_delay_ms * BQ_CLIENT_RETRY_MAX_FACTOR;

  for (guint i = 1; i < n_failures && delay < limit; i++)
    delay *= 2;
  return (guint) MIN (delay, limit);
}

static void
note_changed (BqClient           *self,
              const BqEntityType *type)
{
  /* Names are static: the set borrows them. */
  g_hash_table_add (self->changed_kinds, (gpointer) type->name);
}

/* ------------------------------------------------------------------ rounds */

static void
round_start (BqClient *self)
{
  g_assert (!self->in_round);

  self->in_round = TRUE;
  self->round_again = FALSE;
  g_ptr_array_extend_and_steal (self->round_tasks, g_steal_pointer (&self->next_tasks));
  self->next_tasks = g_ptr_array_new_with_free_func (g_object_unref);

  if (self->token == NULL)
    {
      round_finish (self, g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                                       self->needs_sign_in ? "the session has ended: sign in again"
                                                           : "not signed in"));
      return;
    }
  /* While offline, a retry is not news: the state stays OFFLINE until
   * the server answers. */
  if (self->state != BQ_CLIENT_STATE_OFFLINE)
    bq_client_set_state (self, BQ_CLIENT_STATE_SYNCING);
  push_next (self);
}

static gboolean
on_round_idle (gpointer user_data)
{
  BqClient *self = BQ_CLIENT (user_data);

  self->round_idle_id = 0;
  if (self->in_round)
    self->round_again = TRUE;
  else
    round_start (self);
  return G_SOURCE_REMOVE;
}

void
bq_client_sync_request (BqClient *self)
{
  if (self->crashed)
    return;
  if (self->in_round)
    {
      self->round_again = TRUE;
      return;
    }
  if (self->round_idle_id == 0)
    self->round_idle_id = g_idle_add (on_round_idle, self);
}

static gboolean
on_retry (gpointer user_data)
{
  BqClient *self = BQ_CLIENT (user_data);

  self->retry_id = 0;
  bq_client_sync_request (self);
  return G_SOURCE_REMOVE;
}

static void
emit_changed_kinds (BqClient *self)
{
  g_autoptr(GPtrArray) kinds = g_ptr_array_new ();
  GHashTableIter iter;
  gpointer kind;

  g_hash_table_iter_init (&iter, self->changed_kinds);
  while (g_hash_table_iter_next (&iter, &kind, NULL))
    g_ptr_array_add (kinds, kind);
  g_hash_table_remove_all (self->changed_kinds);

  /* A handler may start anything, even another round: the list is ours. */
  for (guint i = 0; i < kinds->len; i++)
    bq_client_emit_changed (self, g_ptr_array_index (kinds, i));
}

/* Ends the round with @error (taken; NULL: success). */
static void
round_finish (BqClient *self,
              GError   *error)
{
  g_autoptr(GPtrArray) tasks = NULL;

  g_assert (self->in_round);
  self->in_round = FALSE;

  g_object_freeze_notify (G_OBJECT (self));
  if (error == NULL)
    {
      self->n_failures = 0;
      g_clear_handle_id (&self->retry_id, g_source_remove);
      bq_client_set_offline_since (self, 0);
      bq_client_set_state (self, BQ_CLIENT_STATE_ONLINE);
    }
  else if (g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      if (self->state == BQ_CLIENT_STATE_SYNCING)
        bq_client_set_state (self, BQ_CLIENT_STATE_ONLINE);
    }
  else if (g_error_matches (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED))
    {
      if (self->token != NULL)
        bq_client_token_refused (self);
      bq_client_set_state (self, BQ_CLIENT_STATE_SIGNED_OUT);
    }
  else
    {
      g_debug ("sync failed: %s", error->message);
      self->n_failures++;
      if (self->offline_since == 0)
        bq_client_set_offline_since (self, g_get_real_time () / G_USEC_PER_SEC);
      bq_client_set_state (self, BQ_CLIENT_STATE_OFFLINE);
      if (self->running && !self->crashed)
        {
          g_clear_handle_id (&self->retry_id, g_source_remove);
          self->retry_id = g_timeout_add (backoff_delay (self, self->n_failures), on_retry, self);
        }
    }
  g_object_thaw_notify (G_OBJECT (self));

  if (!self->crashed)
    emit_changed_kinds (self);
  else
    g_hash_table_remove_all (self->changed_kinds);

  tasks = g_steal_pointer (&self->round_tasks);
  self->round_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  for (guint i = 0; i < tasks->len; i++)
    {
      GTask *task = g_ptr_array_index (tasks, i);

      if (error != NULL)
        g_task_return_error (task, g_error_copy (error));
      else
        g_task_return_boolean (task, TRUE);
    }

  if (error == NULL && self->running && self->events == NULL && self->events_retry_id == 0)
    events_connect (self);

  if (!self->crashed && (self->round_again || self->next_tasks->len > 0))
    bq_client_sync_request (self);

  g_clear_error (&error);
}

/* ------------------------------------------------------------------- push */

typedef struct {
  BqOutboxEntry *entry;
  const BqEntityType *type;
  guint          status;     /* of the refusal, while fetching the current object */
  char          *code;
  char          *message;
} Push;

static void
push_free (Push *push)
{
  bq_outbox_entry_free (push->entry);
  g_free (push->code);
  g_free (push->message);
  g_free (push);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Push, push_free)

/* The server's answer to an accepted entry. */
static void
push_accepted (BqClient         *self,
               Push             *push,
               BqClientResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) decode_error = NULL;
  gpointer answer = NULL;
  gboolean ok;

  /* The change is on the server whatever the answer says; an answer we
   * cannot read only means the pull will bring the row instead. */
  if (g_strcmp0 (push->entry->method, "DELETE") != 0 && g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonNode) node = bq_client_response_parse (response, &decode_error);

      if (node != NULL)
        answer = bq_client_decode_entity (push->type, node, &decode_error);
      if (answer == NULL)
        g_warning ("%s %s “%s”: %s", push->entry->method, push->type->name,
                   push->entry->entity_id, decode_error->message);
    }

  ok = bq_store_begin (self->store, &error);
  ok = ok && bq_client_cache_delete_entry (self, push->entry->seq, &error);
  if (answer != NULL)
    {
      gint64 revision = BQ_ENTITY (answer)->revision;

      ok = ok && bq_client_cache_rebase_after (self, push->entry, revision, &error);
      ok = ok && bq_client_cache_apply_server (self, push->type, push->entry->entity_id, revision,
                                               answer, FALSE, NULL, &error);
    }
  if (ok)
    ok = bq_store_commit (self->store, &error);
  else if (error != NULL)
    bq_store_rollback (self->store);
  bq_entity_free (answer);

  if (!ok)
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  note_changed (self, push->type);
  bq_client_update_counts (self);
  push_next (self);
}

/* Marks the entry refused, with the server's current object (may be
 * NULL: the server has none). */
static void
push_refused (BqClient *self,
              Push     *push,
              JsonNode *current)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) decode_error = NULL;
  g_autofree char *current_json = NULL;
  gpointer theirs = NULL;
  gboolean ok;

  if (current != NULL)
    {
      theirs = bq_client_decode_entity (push->type, current, &decode_error);
      if (theirs == NULL)
        g_warning ("%s", decode_error->message);
      else
        current_json = bq_entity_to_json_string (theirs, FALSE);
    }

  ok = bq_store_begin (self->store, &error);
  ok = ok && bq_client_cache_mark_conflict (self, push->entry->seq, push->status, push->code,
                                            push->message, current_json, &error);
  /* The row: their version with mine (still queued) on top. */
  if (theirs != NULL)
    ok = ok && bq_client_cache_apply_server (self, push->type, push->entry->entity_id,
                                             BQ_ENTITY (theirs)->revision, theirs, FALSE, NULL,
                                             &error);
  if (ok)
    ok = bq_store_commit (self->store, &error);
  else if (error != NULL)
    bq_store_rollback (self->store);
  bq_entity_free (theirs);

  if (!ok)
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  g_debug ("outbox entry %" G_GINT64_FORMAT " refused: %u %s", push->entry->seq, push->status,
           push->code);
  note_changed (self, push->type);
  bq_client_update_counts (self);
  bq_client_emit_conflict (self, push->entry->seq);
  push_next (self);
}

/* An action the server accepted: its answer is the entity it concerns,
 * perhaps under a new id (a claim creates the order). */
static void
action_accepted (BqClient         *self,
                 Push             *push,
                 BqClientResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) decode_error = NULL;
  const char *local_id = push->entry->entity_id;
  gpointer answer = NULL;
  gboolean ok;

  if (g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonNode) node = bq_client_response_parse (response, &decode_error);

      if (node != NULL && JSON_NODE_HOLDS_OBJECT (node) &&
          json_object_has_member (json_node_get_object (node), "id"))
        answer = bq_client_decode_entity (push->type, node, &decode_error);
      if (answer == NULL && decode_error != NULL)
        g_debug ("action %s: %s", push->entry->path, decode_error->message);
    }

  ok = bq_store_begin (self->store, &error);
  ok = ok && bq_client_cache_delete_entry (self, push->entry->seq, &error);
  if (answer != NULL)
    {
      const char *id = bq_entity_get_id (answer);
      gint64 revision = BQ_ENTITY (answer)->revision;

      if (g_strcmp0 (id, local_id) != 0)
        {
          /* The provisional row goes; what was queued on it follows the
           * server's id. */
          gint64 known = bq_client_cache_known_revision (self, push->type, local_id);

          ok = ok && bq_client_cache_rename_entity (self, push->type->name, local_id, id, &error);
          if (known == 0)
            ok = ok && bq_client_cache_apply_server (self, push->type, local_id, 0, NULL, TRUE,
                                                     NULL, &error);
        }
      ok = ok && bq_client_cache_apply_server (self, push->type, id, revision, answer, FALSE,
                                               NULL, &error);
    }
  if (ok)
    ok = bq_store_commit (self->store, &error);
  else if (error != NULL)
    bq_store_rollback (self->store);
  bq_entity_free (answer);

  if (!ok)
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  note_changed (self, push->type);
  bq_client_update_counts (self);
  push_next (self);
}

/* An action the server refused: a conflict holding the whole answer. */
static void
action_refused (BqClient         *self,
                Push             *push,
                BqClientResponse *response)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *answer = NULL;
  gsize size;
  const char *data = g_bytes_get_data (response->body, &size);

  if (size > 0)
    answer = g_strndup (data, size);
  if (!bq_client_cache_mark_conflict (self, push->entry->seq, push->status, push->code,
                                      push->message, answer, &error))
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  g_debug ("action %" G_GINT64_FORMAT " %s refused: %u %s", push->entry->seq,
           push->entry->path, push->status, push->code);
  note_changed (self, push->type);
  bq_client_update_counts (self);
  bq_client_emit_conflict (self, push->entry->seq);
  push_next (self);
}

static void
on_current_fetched (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BqClient *self = BQ_CLIENT (source);
  g_autoptr(Push) push = user_data;
  g_autoptr(BqClientResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  response = bq_client_api_request_finish (self, result, &error);
  if (response == NULL)
    {
      /* Not marked: the refused write left nothing on the server, so the
       * entry simply goes again next time. */
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  if (response->status == SOUP_STATUS_UNAUTHORIZED)
    {
      round_finish (self, g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                                       "the server refused the token"));
      return;
    }
  if (bq_client_response_is_transient (response))
    {
      bq_client_response_check (response, &error);
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  /* 404 or 403: the server has nothing this user may see. */
  if (SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      node = bq_client_response_parse (response, &error);
      if (node == NULL)
        g_warning ("%s", error->message);
    }
  push_refused (self, push, node);
}

static void
on_pushed (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BqClient *self = BQ_CLIENT (source);
  g_autoptr(Push) push = user_data;
  g_autoptr(BqClientResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) current = NULL;
  const char *method = push->entry->method;

  response = bq_client_api_request_finish (self, result, &error);

  if (response != NULL && self->crash_after_send)
    {
      /* Tests: the request went and was answered; "die" before anything
       * of the answer reaches the disk. */
      self->crashed = TRUE;
      self->running = FALSE;
      bq_client_sync_stop (self);
      round_finish (self, g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                                       "simulated crash after sending outbox entry %"
                                       G_GINT64_FORMAT, push->entry->seq));
      return;
    }

  if (response == NULL)
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  if (response->status == SOUP_STATUS_UNAUTHORIZED)
    {
      round_finish (self, g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                                       "the server refused the token"));
      return;
    }
  if (push->entry->path != NULL && SOUP_STATUS_IS_SUCCESSFUL (response->status))
    {
      action_accepted (self, push, response);
      return;
    }
  if (SOUP_STATUS_IS_SUCCESSFUL (response->status) ||
      (strcmp (method, "DELETE") == 0 && response->status == SOUP_STATUS_NOT_FOUND &&
       push->entry->path == NULL))
    {
      push_accepted (self, push, response);
      return;
    }
  if (bq_client_response_is_transient (response))
    {
      bq_client_response_check (response, &error);
      round_finish (self, g_steal_pointer (&error));
      return;
    }

  push->status = response->status;
  bq_client_response_get_error (response, &push->code, &push->message, &current);
  if (push->message == NULL)
    push->message = g_strdup_printf ("the server answered %u %s", response->status,
                                     soup_status_get_phrase (response->status));
  if (push->entry->path != NULL)
    {
      action_refused (self, push, response);
      return;
    }
  if (current != NULL)
    {
      push_refused (self, push, current);
      return;
    }

  /* No current object in the answer (only a stale revision carries one):
   * ask for it, so the user sees what the server has. */
  {
    g_autofree char *path = bq_client_api_path (push->type, push->entry->entity_id);

    bq_client_api_request_async (self, "GET", path, NULL, NULL, self->cancellable,
                                 on_current_fetched, g_steal_pointer (&push));
  }
}

static void
push_next (BqClient *self)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(Push) push = g_new0 (Push, 1);
  g_autofree char *path = NULL;
  g_autofree char *if_match = NULL;
  const char *headers[5] = { NULL, };
  gboolean with_id;

  push->entry = bq_client_cache_next_to_push (self, &error);
  if (push->entry == NULL)
    {
      if (error != NULL)
        round_finish (self, g_steal_pointer (&error));
      else
        pull_next (self);
      return;
    }

  push->type = bq_entity_type_lookup (push->entry->kind);
  if (push->type == NULL)
    {
      /* Written by a newer version of the app: nothing this one can send. */
      push->status = 0;
      push->code = g_strdup ("unknown_kind");
      push->message = g_strdup_printf ("“%s” is not a kind this version knows",
                                       push->entry->kind);
      if (!bq_client_cache_mark_conflict (self, push->entry->seq, 0, push->code, push->message,
                                          NULL, &error))
        {
          round_finish (self, g_steal_pointer (&error));
          return;
        }
      bq_client_update_counts (self);
      bq_client_emit_conflict (self, push->entry->seq);
      push_next (self);
      return;
    }

  with_id = strcmp (push->entry->method, "POST") != 0;
  if (push->entry->path != NULL)
    path = g_strdup (push->entry->path);
  else
    path = bq_client_api_path (push->type, with_id ? push->entry->entity_id : NULL);
  headers[0] = "Idempotency-Key";
  headers[1] = push->entry->idempotency_key;
  if (with_id && push->entry->base_revision > 0 && push->entry->path == NULL)
    {
      if_match = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", push->entry->base_revision);
      headers[2] = "If-Match";
      headers[3] = if_match;
    }

  {
    /* Arguments are evaluated in any order: take the pointer first. */
    Push *sent = g_steal_pointer (&push);

    bq_client_api_request_async (self, sent->entry->method, path, sent->entry->body, headers,
                                 self->cancellable, on_pushed, sent);
  }
}

/* -------------------------------------------------------------------- pull */

typedef struct {
  const BqEntityType *type;
  char               *id;
  gint64              revision;
  gpointer            entity;    /* NULL: deleted */
} Pulled;

static void
pulled_free (Pulled *pulled)
{
  g_free (pulled->id);
  bq_entity_free (pulled->entity);
  g_free (pulled);
}

typedef struct {
  GBytes    *body;
  GPtrArray *changes;   /* Pulled */
  gint64     revision;
  gboolean   more;
} Page;

static void
page_free (Page *page)
{
  g_clear_pointer (&page->body, g_bytes_unref);
  g_clear_pointer (&page->changes, g_ptr_array_unref);
  g_free (page);
}

/* In a worker thread: only JSON and entities, no cache. */
static gboolean
decode_page (Page    *page,
             GError **error)
{
  g_autoptr(JsonNode) root = NULL;
  g_autoptr(GError) local_error = NULL;
  JsonObject *object;
  JsonArray *changes;
  JsonNode *member;
  gsize size;
  const char *data = g_bytes_get_data (page->body, &size);

  root = bq_json_parse (data, (gssize) size, &local_error);
  if (root == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                   "the change feed is not JSON: %s", local_error->message);
      return FALSE;
    }
  object = JSON_NODE_HOLDS_OBJECT (root) ? json_node_get_object (root) : NULL;
  member = object != NULL ? json_object_get_member (object, "changes") : NULL;
  if (member == NULL || !JSON_NODE_HOLDS_ARRAY (member) ||
      !json_object_has_member (object, "revision"))
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                   "the change feed has no changes or revision");
      return FALSE;
    }
  page->revision = json_object_get_int_member (object, "revision");
  page->more = json_object_get_boolean_member_with_default (object, "more", FALSE);

  changes = json_node_get_array (member);
  page->changes = g_ptr_array_new_full (json_array_get_length (changes),
                                        (GDestroyNotify) pulled_free);
  for (guint i = 0; i < json_array_get_length (changes); i++)
    {
      JsonNode *node = json_array_get_element (changes, i);
      JsonObject *change = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
      const char *kind, *id;
      Pulled *pulled;

      kind = change != NULL ? json_object_get_string_member_with_default (change, "kind", NULL)
                            : NULL;
      id = change != NULL ? json_object_get_string_member_with_default (change, "id", NULL)
                          : NULL;
      if (kind == NULL || id == NULL)
        {
          g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                       "change %u of the feed has no kind or id", i);
          return FALSE;
        }

      pulled = g_new0 (Pulled, 1);
      pulled->type = bq_entity_type_lookup (kind);
      pulled->id = g_strdup (id);
      pulled->revision = json_object_get_int_member_with_default (change, "revision", 0);
      if (pulled->type == NULL)
        {
          /* A kind a newer server has and this app does not. */
          pulled_free (pulled);
          continue;
        }
      g_ptr_array_add (page->changes, pulled);
      if (json_object_get_boolean_member_with_default (change, "deleted", FALSE))
        continue;

      member = json_object_get_member (change, "entity");
      if (member == NULL)
        {
          g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                       "change %u of the feed has no entity", i);
          return FALSE;
        }
      pulled->entity = bq_client_decode_entity (pulled->type, member, error);
      if (pulled->entity == NULL)
        return FALSE;
    }
  return TRUE;
}

static void
decode_page_thread (GTask        *task,
                    gpointer      source_object,
                    gpointer      task_data,
                    GCancellable *cancellable)
{
  Page *page = task_data;
  GError *error = NULL;

  if (decode_page (page, &error))
    g_task_return_boolean (task, TRUE);
  else
    g_task_return_error (task, error);
}

static gboolean
apply_page (BqClient  *self,
            Page      *page,
            BqUser   **own_user,
            GError   **error)
{
  g_autoptr(GHashTable) outbox_ids = NULL;
  gint64 highest;

  if (!bq_store_begin (self->store, error))
    return FALSE;
  /* No row has a revision above the store's counter (mirrored writes
   * raise it) and the feed names an entity once: a change above it is
   * newer than anything the cache has, with no need to look. */
  highest = bq_store_get_revision (self->store);
  outbox_ids = bq_client_cache_outbox_ids (self, error);
  if (outbox_ids == NULL)
    goto failed;

  for (guint i = 0; i < page->changes->len; i++)
    {
      Pulled *pulled = g_ptr_array_index (page->changes, i);

      if (!bq_client_cache_apply_server (self, pulled->type, pulled->id, pulled->revision,
                                         pulled->entity, pulled->revision > highest,
                                         outbox_ids, error))
        goto failed;
      note_changed (self, pulled->type);

      /* Admins see users, themselves included: keep the user fresh. */
      if (pulled->type == &bq_user_type && pulled->entity != NULL && self->user != NULL &&
          g_strcmp0 (pulled->id, bq_entity_get_id (self->user)) == 0)
        {
          g_autofree char *json = bq_entity_to_json_string (pulled->entity, FALSE);

          if (!bq_client_cache_set_state (self, "user", json, error))
            goto failed;
          bq_entity_free (*own_user);
          *own_user = bq_entity_copy (pulled->entity);
        }
    }

  if (!bq_client_cache_set_revision (self, page->revision, error))
    goto failed;
  return bq_store_commit (self->store, error);

failed:
  bq_store_rollback (self->store);
  return FALSE;
}

static void
on_page_decoded (GObject      *source,
                 GAsyncResult *result,
                 gpointer      user_data)
{
  BqClient *self = BQ_CLIENT (source);
  Page *page = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) own_user = NULL;

  if (!g_task_propagate_boolean (G_TASK (result), &error) ||
      !apply_page (self, page, &own_user, &error))
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }

  bq_client_set_revision (self, page->revision);
  if (own_user != NULL)
    bq_client_set_user (self, g_steal_pointer (&own_user));

  if (page->more)
    pull_next (self);
  else
    round_finish (self, NULL);
}

static void
on_pulled (GObject      *source,
           GAsyncResult *result,
           gpointer      user_data)
{
  BqClient *self = BQ_CLIENT (source);
  g_autoptr(BqClientResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GTask) task = NULL;
  Page *page;

  response = bq_client_api_request_finish (self, result, &error);
  if (response == NULL)
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }
  if (response->status == SOUP_STATUS_UNAUTHORIZED)
    {
      round_finish (self, g_error_new (BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                                       "the server refused the token"));
      return;
    }
  if (!bq_client_response_check (response, &error))
    {
      round_finish (self, g_steal_pointer (&error));
      return;
    }

  page = g_new0 (Page, 1);
  page->body = g_bytes_ref (response->body);
  task = g_task_new (self, self->cancellable, on_page_decoded, NULL);
  g_task_set_source_tag (task, on_pulled);
  g_task_set_task_data (task, page, (GDestroyNotify) page_free);
  g_task_run_in_thread (task, decode_page_thread);
}

static void
pull_next (BqClient *self)
{
  g_autofree char *path = NULL;

  path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT "&limit=%u",
                          self->revision, BQ_CLIENT_PAGE_LIMIT);
  bq_client_api_request_async (self, "GET", path, NULL, NULL, self->cancellable, on_pulled,
                               NULL);
}

/* ------------------------------------------------------------------ events */

static gboolean
on_events_retry (gpointer user_data)
{
  BqClient *self = BQ_CLIENT (user_data);

  self->events_retry_id = 0;
  /* A round first: it finds out whether the server is there, catches up
   * with what the closed connection missed, and connects again. */
  bq_client_sync_request (self);
  return G_SOURCE_REMOVE;
}

static void
events_lost (BqClient *self)
{
  events_close (self);
  if (!self->running || self->crashed)
    return;
  self->n_events_failures++;
  g_clear_handle_id (&self->events_retry_id, g_source_remove);
  self->events_retry_id = g_timeout_add (backoff_delay (self, self->n_events_failures),
                                         on_events_retry, self);
}

static void
on_events_message (SoupWebsocketConnection *connection,
                   gint                     type,
                   GBytes                  *message,
                   gpointer                 user_data)
{
  BqClient *self = BQ_CLIENT (user_data);
  g_autoptr(JsonNode) node = NULL;
  gsize size;
  const char *data = g_bytes_get_data (message, &size);
  gint64 revision;

  if (type != SOUP_WEBSOCKET_DATA_TEXT)
    return;
  node = bq_json_parse (data, (gssize) size, NULL);
  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    return;
  revision = json_object_get_int_member_with_default (json_node_get_object (node), "revision", 0);
  if (revision > self->revision)
    bq_client_sync_request (self);
}

static void
on_events_closed (SoupWebsocketConnection *connection,
                  gpointer                 user_data)
{
  BqClient *self = BQ_CLIENT (user_data);

  g_debug ("events: closed (%u)", soup_websocket_connection_get_close_code (connection));
  events_lost (self);
}

typedef struct {
  BqClient    *self;
  SoupMessage *msg;
} Connecting;

static void
on_events_connected (GObject      *source,
                     GAsyncResult *result,
                     gpointer      user_data)
{
  Connecting *connecting = user_data;
  BqClient *self = connecting->self;
  g_autoptr(GError) error = NULL;
  SoupWebsocketConnection *connection;

  connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result, &error);
  self->events_connecting = FALSE;

  if (connection == NULL)
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        {
          g_debug ("events: cannot connect: %s", error->message);
          if (soup_message_get_status (connecting->msg) == SOUP_STATUS_UNAUTHORIZED)
            bq_client_token_refused (self);
          else
            events_lost (self);
        }
    }
  else if (!self->running || self->crashed || self->token == NULL)
    {
      soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
      g_object_unref (connection);
    }
  else
    {
      self->events = connection;
      self->n_events_failures = 0;
      soup_websocket_connection_set_keepalive_interval (connection, 30);
      g_signal_connect (connection, "message", G_CALLBACK (on_events_message), self);
      g_signal_connect (connection, "closed", G_CALLBACK (on_events_closed), self);
      /* The server's hello carries its revision: a change made between
       * our last pull and now asks for a round. */
    }

  g_object_unref (connecting->msg);
  g_object_unref (connecting->self);
  g_free (connecting);
}

static void
events_connect (BqClient *self)
{
  g_autofree char *uri = NULL;
  g_autofree char *authorization = NULL;
  Connecting *connecting;

  if (!self->running || self->crashed || self->token == NULL || self->events != NULL ||
      self->events_connecting)
    return;

  uri = g_strconcat (self->base_url, "/api/v1/events", NULL);
  connecting = g_new0 (Connecting, 1);
  connecting->self = g_object_ref (self);
  connecting->msg = soup_message_new ("GET", uri);
  if (connecting->msg == NULL)
    {
      g_object_unref (connecting->self);
      g_free (connecting);
      return;
    }
  authorization = g_strconcat ("Bearer ", self->token, NULL);
  soup_message_headers_replace (soup_message_get_request_headers (connecting->msg),
                                "Authorization", authorization);

  self->events_connecting = TRUE;
  soup_session_websocket_connect_async (self->session, connecting->msg, NULL, NULL,
                                        G_PRIORITY_DEFAULT, self->cancellable,
                                        on_events_connected, connecting);
}

static void
events_close (BqClient *self)
{
  SoupWebsocketConnection *connection = g_steal_pointer (&self->events);

  if (connection == NULL)
    return;
  g_signal_handlers_disconnect_by_data (connection, self);
  if (soup_websocket_connection_get_state (connection) == SOUP_WEBSOCKET_STATE_OPEN)
    soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_GOING_AWAY, NULL);
  g_object_unref (connection);
}

/* ------------------------------------------------------------------ engine */

void
bq_client_sync_start (BqClient *self)
{
  if (self->token == NULL || self->crashed)
    return;
  g_clear_handle_id (&self->retry_id, g_source_remove);
  bq_client_sync_request (self);
}

void
bq_client_sync_stop (BqClient *self)
{
  /* What is in flight ends as cancelled; a push cut off here may have
   * reached the server, and goes again with its key. */
  g_cancellable_cancel (self->cancellable);
  g_clear_object (&self->cancellable);
  self->cancellable = g_cancellable_new ();

  g_clear_handle_id (&self->retry_id, g_source_remove);
  g_clear_handle_id (&self->events_retry_id, g_source_remove);
  g_clear_handle_id (&self->round_idle_id, g_source_remove);
  self->n_failures = 0;
  self->n_events_failures = 0;
  events_close (self);
}

void
bq_client_sync_dispose (BqClient *self)
{
  if (self->cancellable != NULL)
    {
      bq_client_sync_stop (self);
      g_clear_object (&self->cancellable);
    }
  g_clear_pointer (&self->round_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->next_tasks, g_ptr_array_unref);
  g_clear_pointer (&self->changed_kinds, g_hash_table_unref);
}

/* ---------------------------------------------------------------- the API */

void
bq_client_sync_async (BqClient            *self,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  GTask *task;

  g_return_if_fail (BQ_IS_CLIENT (self));

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_client_sync_async);
  if (self->crashed)
    {
      g_task_return_new_error (task, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                               "the client stopped after a simulated crash");
      g_object_unref (task);
      return;
    }
  g_ptr_array_add (self->next_tasks, task);
  bq_client_sync_request (self);
}

gboolean
bq_client_sync_finish (BqClient      *self,
                       GAsyncResult  *result,
                       GError       **error)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}
