/* bq-client.c — the client object: properties, signals, sign-in, the
 * queue functions and conflict resolution
 *
 * Queued changes.  A queue function writes the change into the cache and
 * an outbox entry in one cache transaction, so the app shows it at once
 * and it survives a crash; the sync engine (bq-client-sync.c) sends it.
 * A create is sent whole (POST); an update sends only the fields that
 * differ from the cache's row (PATCH, If-Match the revision the caller's
 * copy was based on), so that "keep mine" after a conflict does not undo
 * what others changed in other fields; a delete is a DELETE with If-Match.
 *
 * Conflicts.  A refused entry stays in the outbox as a conflict, with the
 * server's status, error and current object (server_json, kept up to
 * date by later pulls; NULL when the server has no such entity), until
 * the user decides:
 *   KEEP_MINE    the entry goes again, If-Match the server's current
 *                revision, under a new idempotency key.  For an entity the
 *                server no longer has, an update cannot be kept (an error
 *                says so) and a delete has nothing left to do.
 *   TAKE_THEIRS  the entry and every later entry of the same entity (they
 *                were made on top of it) leave the outbox, and the cache
 *                shows the server's version, or nothing if it has none.
 *
 * The session.  A 401 from any request means the token is no good any
 * more: the client forgets it and goes to SIGNED_OUT with needs-sign-in
 * set, but keeps the user, the cache and the outbox, so signing in again
 * as the same user carries on where it stopped.  Signing in as another
 * user empties the cache and the outbox first: they were the previous
 * user's view and the previous user's changes.  Sign-out forgets it all.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-json.h"
#include "bq-client-private.h"

G_DEFINE_QUARK (bq-client-error-quark, bq_client_error)

G_DEFINE_FINAL_TYPE (BqClient, bq_client, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_BASE_URL,
  PROP_STATE,
  PROP_OFFLINE_SINCE,
  PROP_N_PENDING,
  PROP_N_CONFLICTS,
  PROP_USER,
  PROP_NEEDS_SIGN_IN,
  PROP_REVISION,
  PROP_RETRY_DELAY_MS,
  PROP_CRASH_AFTER_SEND,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

enum {
  SIGNAL_CHANGED,
  SIGNAL_CONFLICT,
  N_SIGNALS
};

static guint signals[N_SIGNALS];

void
bq_outbox_entry_free (BqOutboxEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->idempotency_key);
  g_free (entry->method);
  g_free (entry->kind);
  g_free (entry->entity_id);
  g_free (entry->body);
  g_free (entry->error_code);
  g_free (entry->error_message);
  g_free (entry->server_json);
  g_free (entry->path);
  g_free (entry);
}

/* ------------------------------------------------------------------ object */

static void
bq_client_dispose (GObject *object)
{
  BqClient *self = BQ_CLIENT (object);

  bq_client_sync_dispose (self);
  if (self->session != NULL)
    soup_session_abort (self->session);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (bq_client_parent_class)->dispose (object);
}

static void
bq_client_finalize (GObject *object)
{
  BqClient *self = BQ_CLIENT (object);

  if (self->store != NULL)
    bq_client_cache_close (self);
  g_clear_object (&self->store);
  g_free (self->base_url);
  g_free (self->token);
  bq_entity_free (self->user);

  G_OBJECT_CLASS (bq_client_parent_class)->finalize (object);
}

static void
bq_client_get_property (GObject    *object,
                        guint       prop_id,
                        GValue     *value,
                        GParamSpec *pspec)
{
  BqClient *self = BQ_CLIENT (object);

  switch (prop_id)
    {
    case PROP_BASE_URL:
      g_value_set_string (value, self->base_url);
      break;
    case PROP_STATE:
      g_value_set_int (value, self->state);
      break;
    case PROP_OFFLINE_SINCE:
      g_value_set_int64 (value, self->offline_since);
      break;
    case PROP_N_PENDING:
      g_value_set_uint (value, self->n_pending);
      break;
    case PROP_N_CONFLICTS:
      g_value_set_uint (value, self->n_conflicts);
      break;
    case PROP_USER:
      g_value_set_pointer (value, self->user);
      break;
    case PROP_NEEDS_SIGN_IN:
      g_value_set_boolean (value, self->needs_sign_in);
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, self->revision);
      break;
    case PROP_RETRY_DELAY_MS:
      g_value_set_uint (value, self->retry_delay_ms);
      break;
    case PROP_CRASH_AFTER_SEND:
      g_value_set_boolean (value, self->crash_after_send);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_client_set_property (GObject      *object,
                        guint         prop_id,
                        const GValue *value,
                        GParamSpec   *pspec)
{
  BqClient *self = BQ_CLIENT (object);

  switch (prop_id)
    {
    case PROP_RETRY_DELAY_MS:
      self->retry_delay_ms = MAX (g_value_get_uint (value), 1);
      break;
    case PROP_CRASH_AFTER_SEND:
      self->crash_after_send = g_value_get_boolean (value);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_client_class_init (BqClientClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bq_client_dispose;
  object_class->finalize = bq_client_finalize;
  object_class->get_property = bq_client_get_property;
  object_class->set_property = bq_client_set_property;

  properties[PROP_BASE_URL] =
    g_param_spec_string ("base-url", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  /* An int rather than an enum type: the header declares no GType for
   * BqClientState, and the values are its enumeration. */
  properties[PROP_STATE] =
    g_param_spec_int ("state", NULL, NULL,
                      BQ_CLIENT_STATE_SIGNED_OUT, BQ_CLIENT_STATE_ONLINE,
                      BQ_CLIENT_STATE_SIGNED_OUT,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_OFFLINE_SINCE] =
    g_param_spec_int64 ("offline-since", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_PENDING] =
    g_param_spec_uint ("n-pending", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_CONFLICTS] =
    g_param_spec_uint ("n-conflicts", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* A const BqUser *, owned by the client. */
  properties[PROP_USER] =
    g_param_spec_pointer ("user", NULL, NULL,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_NEEDS_SIGN_IN] =
    g_param_spec_boolean ("needs-sign-in", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_REVISION] =
    g_param_spec_int64 ("revision", NULL, NULL, 0, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_RETRY_DELAY_MS] =
    g_param_spec_uint ("retry-delay-ms", NULL, NULL, 1, G_MAXUINT / BQ_CLIENT_RETRY_MAX_FACTOR,
                       1000, G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  properties[PROP_CRASH_AFTER_SEND] =
    g_param_spec_boolean ("crash-after-send", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_CHANGED] =
    g_signal_new ("changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_CONFLICT] =
    g_signal_new ("conflict", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
                  G_TYPE_NONE, 1, G_TYPE_INT64);
}

static void
bq_client_init (BqClient *self)
{
  const char *env = g_getenv ("BQ_CLIENT_RETRY_MS");
  guint64 delay;

  self->retry_delay_ms = 1000;
  if (env != NULL && g_ascii_string_to_unsigned (env, 10, 1,
                                                 G_MAXUINT / BQ_CLIENT_RETRY_MAX_FACTOR,
                                                 &delay, NULL))
    self->retry_delay_ms = (guint) delay;
  self->cancellable = g_cancellable_new ();
  self->round_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->next_tasks = g_ptr_array_new_with_free_func (g_object_unref);
  self->changed_kinds = g_hash_table_new (g_str_hash, g_str_equal);
}

BqClient *
bq_client_new (const char  *base_url,
               const char  *cache_path,
               GError     **error)
{
  g_autoptr(BqClient) self = NULL;
  g_autofree char *user_agent = NULL;
  gsize length;

  g_return_val_if_fail (base_url != NULL, NULL);
  g_return_val_if_fail (cache_path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (BQ_TYPE_CLIENT, NULL);
  self->base_url = g_strdup (base_url);
  length = strlen (self->base_url);
  while (length > 0 && self->base_url[length - 1] == '/')
    self->base_url[--length] = '\0';

  self->store = bq_store_open (cache_path, error);
  if (self->store == NULL || !bq_client_cache_init (self, error))
    return NULL;

  /* The I/O timeout bounds a request to a server that accepted the
   * connection and then went quiet; the back-off does the rest. */
  user_agent = g_strdup_printf ("becquerel/%s ", PACKAGE_VERSION);
  self->session = soup_session_new_with_options ("timeout", 60, "idle-timeout", 60,
                                                 "user-agent", user_agent, NULL);

  self->state = self->token != NULL ? BQ_CLIENT_STATE_OFFLINE : BQ_CLIENT_STATE_SIGNED_OUT;
  return g_steal_pointer (&self);
}

const char *
bq_client_get_base_url (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), NULL);
  return self->base_url;
}

BqStore *
bq_client_get_store (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), NULL);
  return self->store;
}

BqClientState
bq_client_get_state (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), BQ_CLIENT_STATE_SIGNED_OUT);
  return self->state;
}

gint64
bq_client_get_offline_since (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), 0);
  return self->offline_since;
}

guint
bq_client_get_n_pending (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), 0);
  return self->n_pending;
}

guint
bq_client_get_n_conflicts (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), 0);
  return self->n_conflicts;
}

const BqUser *
bq_client_get_user (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), NULL);
  return self->user;
}

gboolean
bq_client_get_needs_sign_in (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  return self->needs_sign_in;
}

gint64
bq_client_get_revision (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), 0);
  return self->revision;
}

/* ------------------------------------------------------- shared with files */

void
bq_client_set_state (BqClient      *self,
                     BqClientState  state)
{
  if (self->state == state)
    return;
  self->state = state;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATE]);
}

void
bq_client_set_offline_since (BqClient *self,
                             gint64    offline_since)
{
  if (self->offline_since == offline_since)
    return;
  self->offline_since = offline_since;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_OFFLINE_SINCE]);
}

void
bq_client_set_revision (BqClient *self,
                        gint64    revision)
{
  if (self->revision == revision)
    return;
  self->revision = revision;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
}

void
bq_client_update_counts (BqClient *self)
{
  guint n_pending, n_conflicts;

  if (!bq_client_cache_count_outbox (self, &n_pending, &n_conflicts))
    return;
  g_object_freeze_notify (G_OBJECT (self));
  if (self->n_pending != n_pending)
    {
      self->n_pending = n_pending;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_PENDING]);
    }
  if (self->n_conflicts != n_conflicts)
    {
      self->n_conflicts = n_conflicts;
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_CONFLICTS]);
    }
  g_object_thaw_notify (G_OBJECT (self));
}

static void
set_needs_sign_in (BqClient *self,
                   gboolean  needs_sign_in)
{
  if (self->needs_sign_in == needs_sign_in)
    return;
  self->needs_sign_in = needs_sign_in;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_NEEDS_SIGN_IN]);
}

void
bq_client_set_user (BqClient *self,
                    BqUser   *user)
{
  bq_entity_free (self->user);
  self->user = user;
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_USER]);
}

void
bq_client_token_refused (BqClient *self)
{
  g_autoptr(GError) error = NULL;

  g_clear_pointer (&self->token, g_free);
  if (!bq_client_cache_set_state (self, "token", NULL, &error))
    g_warning ("%s", error->message);
  g_object_freeze_notify (G_OBJECT (self));
  set_needs_sign_in (self, self->user != NULL);
  bq_client_set_state (self, BQ_CLIENT_STATE_SIGNED_OUT);
  bq_client_set_offline_since (self, 0);
  g_object_thaw_notify (G_OBJECT (self));
}

void
bq_client_emit_changed (BqClient   *self,
                        const char *kind)
{
  g_signal_emit (self, signals[SIGNAL_CHANGED], 0, kind);
}

void
bq_client_emit_conflict (BqClient *self,
                         gint64    seq)
{
  g_signal_emit (self, signals[SIGNAL_CONFLICT], 0, seq);
}

static void
emit_changed_all (BqClient *self)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    bq_client_emit_changed (self, types[i]->name);
}

/* ------------------------------------------------------------------ session */

static void
on_session_created (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  BqClient *self = BQ_CLIENT (source);
  g_autoptr(GTask) task = user_data;
  g_autoptr(BqClientResponse) response = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = NULL;
  g_autofree char *user_json = NULL;
  JsonObject *object;
  JsonNode *member;
  const char *token;
  gboolean other_user;

  response = bq_client_api_request_finish (self, result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (response->status == SOUP_STATUS_UNAUTHORIZED)
    {
      g_task_return_new_error (task, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
                               "wrong user name or password");
      return;
    }
  if (!bq_client_response_check (response, &error) ||
      (node = bq_client_response_parse (response, &error)) == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  object = JSON_NODE_HOLDS_OBJECT (node) ? json_node_get_object (node) : NULL;
  token = object != NULL ? json_object_get_string_member_with_default (object, "token", NULL)
                         : NULL;
  member = object != NULL ? json_object_get_member (object, "user") : NULL;
  if (token == NULL || *token == '\0' || member == NULL ||
      (user = bq_client_decode_entity (&bq_user_type, member, &error)) == NULL)
    {
      if (error == NULL)
        g_set_error (&error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_PROTOCOL,
                     "the server’s answer to a sign-in has no token or user");
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  /* Another user's cache and outbox are not this one's. */
  other_user = self->user != NULL &&
               g_strcmp0 (bq_entity_get_id (self->user), bq_entity_get_id (user)) != 0;
  if (other_user)
    {
      if (!bq_client_cache_clear (self, &error))
        {
          g_task_return_error (task, g_steal_pointer (&error));
          return;
        }
      bq_client_set_revision (self, 0);
    }

  user_json = bq_entity_to_json_string (user, FALSE);
  if (!bq_store_begin (self->store, &error))
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (!bq_client_cache_set_state (self, "token", token, &error) ||
      !bq_client_cache_set_state (self, "user", user_json, &error) ||
      !bq_store_commit (self->store, &error))
    {
      bq_store_rollback (self->store);
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }

  g_free (self->token);
  self->token = g_strdup (token);
  g_object_freeze_notify (G_OBJECT (self));
  bq_client_set_user (self, g_steal_pointer (&user));
  set_needs_sign_in (self, FALSE);
  bq_client_set_offline_since (self, 0);
  bq_client_set_state (self, BQ_CLIENT_STATE_ONLINE);
  if (other_user)
    bq_client_update_counts (self);
  g_object_thaw_notify (G_OBJECT (self));
  if (other_user)
    emit_changed_all (self);

  if (self->running)
    bq_client_sync_start (self);
  g_task_return_boolean (task, TRUE);
}

void
bq_client_sign_in_async (BqClient            *self,
                         const char          *username,
                         const char          *password,
                         GCancellable        *cancellable,
                         GAsyncReadyCallback  callback,
                         gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *body = NULL;

  g_return_if_fail (BQ_IS_CLIENT (self));
  g_return_if_fail (username != NULL);
  g_return_if_fail (password != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_client_sign_in_async);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "username");
  json_builder_add_string_value (builder, username);
  json_builder_set_member_name (builder, "password");
  json_builder_add_string_value (builder, password);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  body = json_to_string (node, FALSE);

  /* Not under self->cancellable: a sign-in is the user's, not the
   * engine's, and stop() must not cancel it. */
  bq_client_api_request_async (self, "POST", "/api/v1/session", body, NULL, cancellable,
                               on_session_created, g_steal_pointer (&task));
}

gboolean
bq_client_sign_in_finish (BqClient      *self,
                          GAsyncResult  *result,
                          GError       **error)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (g_task_is_valid (result, self), FALSE);

  return g_task_propagate_boolean (G_TASK (result), error);
}

static void
on_session_deleted (GObject      *source,
                    GAsyncResult *result,
                    gpointer      user_data)
{
  g_autoptr(BqClientResponse) response = NULL;

  /* Best effort: the token is forgotten here whatever the server says. */
  response = bq_client_api_request_finish (BQ_CLIENT (source), result, NULL);
}

void
bq_client_sign_out (BqClient *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (BQ_IS_CLIENT (self));

  bq_client_sync_stop (self);

  /* End the session on the server too, if it can be reached; the
   * request carries the token, so it is sent before forgetting it. */
  if (self->token != NULL)
    bq_client_api_request_async (self, "DELETE", "/api/v1/session", NULL, NULL, NULL,
                                 on_session_deleted, NULL);
  g_clear_pointer (&self->token, g_free);

  if (!bq_client_cache_clear (self, &error) ||
      !bq_client_cache_set_state (self, "token", NULL, &error) ||
      !bq_client_cache_set_state (self, "user", NULL, &error))
    g_warning ("cannot empty the cache: %s", error->message);

  g_object_freeze_notify (G_OBJECT (self));
  if (self->user != NULL)
    bq_client_set_user (self, NULL);
  set_needs_sign_in (self, FALSE);
  bq_client_set_revision (self, 0);
  bq_client_set_offline_since (self, 0);
  bq_client_set_state (self, BQ_CLIENT_STATE_SIGNED_OUT);
  bq_client_update_counts (self);
  g_object_thaw_notify (G_OBJECT (self));
  emit_changed_all (self);
}

/* --------------------------------------------------------------- the engine */

void
bq_client_start (BqClient *self)
{
  g_return_if_fail (BQ_IS_CLIENT (self));

  if (self->running)
    return;
  self->running = TRUE;
  bq_client_sync_start (self);
}

void
bq_client_stop (BqClient *self)
{
  g_return_if_fail (BQ_IS_CLIENT (self));

  self->running = FALSE;
  bq_client_sync_stop (self);
}

/* ------------------------------------------------------------------- queue */

/* The JSON of the members of @after that differ from @before, leaving out
 * the id and the revision; NULL when nothing differs. */
static char *
diff_json (gconstpointer before,
           gconstpointer after)
{
  g_autoptr(JsonNode) before_node = bq_entity_to_json (before);
  g_autoptr(JsonNode) after_node = bq_entity_to_json (after);
  g_autoptr(JsonNode) diff = json_node_new (JSON_NODE_OBJECT);
  g_autoptr(JsonObject) diff_object = json_object_new ();
  JsonObject *before_object = json_node_get_object (before_node);
  JsonObject *after_object = json_node_get_object (after_node);
  g_autoptr(GList) members = json_object_get_members (after_object);

  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      JsonNode *value = json_object_get_member (after_object, name);
      JsonNode *old = json_object_get_member (before_object, name);

      if (strcmp (name, "id") == 0 || strcmp (name, "revision") == 0)
        continue;
      if (old != NULL && json_node_equal (old, value))
        continue;
      json_object_set_member (diff_object, name, json_node_copy (value));
    }
  if (json_object_get_size (diff_object) == 0)
    return NULL;
  json_node_set_object (diff, diff_object);
  return json_to_string (diff, FALSE);
}

static gboolean
check_signed_in (BqClient  *self,
                 GError   **error)
{
  if (self->user != NULL)
    return TRUE;
  g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_UNAUTHORIZED,
               "sign in before making changes");
  return FALSE;
}

/* After a queue function changed the outbox and the cache. */
static void
queued (BqClient   *self,
        const char *kind)
{
  bq_client_update_counts (self);
  bq_client_emit_changed (self, kind);
  if (self->running)
    bq_client_sync_request (self);
}

gboolean
bq_client_queue_create (BqClient  *self,
                        gpointer   entity,
                        GError   **error)
{
  const BqEntityType *type;
  g_autofree char *body = NULL;
  g_autofree char *id = NULL;
  gpointer copy;
  gint64 known;

  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (entity)->type;
  if (!check_signed_in (self, error) || !bq_entity_validate (entity, error))
    return FALSE;

  /* The id is made here, so later changes can name the entity before
   * the server has seen it. */
  if (bq_entity_get_id (entity) == NULL || *bq_entity_get_id (entity) == '\0')
    {
      id = g_uuid_string_random ();
      bq_entity_set_id (entity, id);
    }
  known = bq_client_cache_known_revision (self, type, bq_entity_get_id (entity));
  if (known >= 0)
    {
      gpointer existing = bq_store_get (self->store, type, bq_entity_get_id (entity), NULL);

      if (existing != NULL)
        {
          bq_entity_free (existing);
          g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_CONFLICT,
                       "there already is a %s “%s”", type->name, bq_entity_get_id (entity));
          return FALSE;
        }
    }

  BQ_ENTITY (entity)->revision = 0;
  body = bq_entity_to_json_string (entity, FALSE);
  copy = bq_entity_copy (entity);

  if (!bq_store_begin (self->store, error))
    {
      bq_entity_free (copy);
      return FALSE;
    }
  /* Not yet the server's: revision 0, or the tombstone's when the id was
   * deleted before, so a server version always wins over it. */
  if (!bq_client_cache_add_entry (self, "POST", type, bq_entity_get_id (entity), body, 0, NULL,
                                  error) ||
      !bq_store_put_as (self->store, copy, MAX (known, 0), error) ||
      !bq_store_commit (self->store, error))
    {
      bq_store_rollback (self->store);
      bq_entity_free (copy);
      return FALSE;
    }
  bq_entity_free (copy);

  queued (self, type->name);
  return TRUE;
}

gboolean
bq_client_queue_update (BqClient  *self,
                        gpointer   entity,
                        GError   **error)
{
  g_autoptr(GError) local_error = NULL;
  const BqEntityType *type;
  g_autofree char *body = NULL;
  gpointer current, copy;
  gint64 revision;

  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (bq_entity_get_id (entity) != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (entity)->type;
  if (!check_signed_in (self, error) || !bq_entity_validate (entity, error))
    return FALSE;

  current = bq_store_get (self->store, type, bq_entity_get_id (entity), &local_error);
  if (current == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  revision = BQ_ENTITY (current)->revision;

  /* A copy read before the cache moved on: the diff against the row
   * would undo what arrived since, so the user must look again. */
  if (BQ_ENTITY (entity)->revision != revision)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_CONFLICT,
                   "%s “%s” changed while it was being edited (revision %" G_GINT64_FORMAT
                   ", now %" G_GINT64_FORMAT ")", type->name, bq_entity_get_id (entity),
                   BQ_ENTITY (entity)->revision, revision);
      bq_entity_free (current);
      return FALSE;
    }

  body = diff_json (current, entity);
  bq_entity_free (current);
  if (body == NULL)
    return TRUE;  /* nothing changed: nothing to send */

  copy = bq_entity_copy (entity);
  if (!bq_store_begin (self->store, error))
    {
      bq_entity_free (copy);
      return FALSE;
    }
  if (!bq_client_cache_add_entry (self, "PATCH", type, bq_entity_get_id (entity), body, revision,
                                  NULL, error) ||
      !bq_store_put_as (self->store, copy, revision, error) ||
      !bq_store_commit (self->store, error))
    {
      bq_store_rollback (self->store);
      bq_entity_free (copy);
      return FALSE;
    }
  bq_entity_free (copy);

  queued (self, type->name);
  return TRUE;
}

gboolean
bq_client_queue_delete (BqClient            *self,
                        const BqEntityType  *type,
                        const char          *id,
                        GError             **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer current;
  gint64 revision;

  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (type != NULL, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_signed_in (self, error))
    return FALSE;

  current = bq_store_get (self->store, type, id, &local_error);
  if (current == NULL)
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  revision = BQ_ENTITY (current)->revision;
  bq_entity_free (current);

  if (!bq_store_begin (self->store, error))
    return FALSE;
  if (!bq_client_cache_add_entry (self, "DELETE", type, id, NULL, revision, NULL, error) ||
      !bq_store_delete_as (self->store, type, id, revision, error) ||
      !bq_store_commit (self->store, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }

  queued (self, type->name);
  return TRUE;
}

/* ---------------------------------------------------------------- conflicts */

gboolean
bq_client_queue_action (BqClient            *self,
                        const char          *method,
                        const char          *path,
                        const char          *body,
                        const BqEntityType  *type,
                        const char          *entity_id,
                        char               **out_entity_id,
                        gint64              *out_seq,
                        GError             **error)
{
  g_autofree char *id = NULL;
  BqOutboxEntry probe = { 0, };
  gpointer existing, provisional = NULL;
  gint64 known, seq = 0;

  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (method != NULL && path != NULL && g_str_has_prefix (path, "/"), FALSE);
  g_return_val_if_fail (type != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (strcmp (method, "POST") != 0 && strcmp (method, "PATCH") != 0 &&
      strcmp (method, "DELETE") != 0)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   "%s cannot be queued", method);
      return FALSE;
    }
  if (!check_signed_in (self, error))
    return FALSE;
  if (body != NULL)
    {
      g_autoptr(JsonNode) node = bq_json_parse (body, -1, error);

      if (node == NULL)
        return FALSE;
    }
  id = entity_id != NULL ? g_strdup (entity_id) : g_uuid_string_random ();

  known = bq_client_cache_known_revision (self, type, id);
  existing = bq_store_get (self->store, type, id, NULL);
  probe.method = (char *) method;
  probe.kind = (char *) type->name;
  probe.entity_id = id;
  probe.body = (char *) body;
  probe.path = (char *) path;
  if (existing == NULL)
    provisional = bq_client_cache_apply_entry (&probe, type, NULL);
  bq_entity_free (existing);

  if (!bq_store_begin (self->store, error))
    {
      bq_entity_free (provisional);
      return FALSE;
    }
  if (!bq_client_cache_add_action (self, method, path, type, id, body, &seq, error) ||
      (provisional != NULL && !bq_store_put_as (self->store, provisional, MAX (known, 0), error)) ||
      !bq_store_commit (self->store, error))
    {
      bq_store_rollback (self->store);
      bq_entity_free (provisional);
      return FALSE;
    }
  bq_entity_free (provisional);

  if (out_entity_id != NULL)
    *out_entity_id = g_steal_pointer (&id);
  if (out_seq != NULL)
    *out_seq = seq;
  queued (self, type->name);
  return TRUE;
}

GPtrArray *
bq_client_list_actions (BqClient           *self,
                        const BqEntityType *type,
                        const char         *id)
{
  GPtrArray *entries;

  g_return_val_if_fail (BQ_IS_CLIENT (self), NULL);
  g_return_val_if_fail (type != NULL && id != NULL, NULL);

  entries = bq_client_cache_list_outbox (self, type->name, id);
  for (guint i = entries->len; i > 0; i--)
    {
      const BqOutboxEntry *entry = g_ptr_array_index (entries, i - 1);

      if (entry->path == NULL)
        g_ptr_array_remove_index (entries, i - 1);
    }
  return entries;
}

static void
on_call_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  g_autoptr(BqClientResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  JsonNode *node;

  response = bq_client_api_request_finish (BQ_CLIENT (source), result, &error);
  if (response == NULL)
    {
      g_task_return_error (task, g_steal_pointer (&error));
      return;
    }
  if (response->status == SOUP_STATUS_UNAUTHORIZED && BQ_CLIENT (source)->token != NULL)
    bq_client_token_refused (BQ_CLIENT (source));
  g_task_set_task_data (task, GUINT_TO_POINTER (response->status), NULL);
  if (g_bytes_get_size (response->body) == 0)
    node = json_node_new (JSON_NODE_NULL);
  else
    node = bq_client_response_parse (response, &error);
  if (node == NULL)
    g_task_return_error (task, g_steal_pointer (&error));
  else
    g_task_return_pointer (task, node, (GDestroyNotify) json_node_unref);
}

void
bq_client_call_async (BqClient            *self,
                      const char          *method,
                      const char          *path,
                      const char          *body,
                      GCancellable        *cancellable,
                      GAsyncReadyCallback  callback,
                      gpointer             user_data)
{
  g_autoptr(GTask) task = NULL;

  g_return_if_fail (BQ_IS_CLIENT (self));
  g_return_if_fail (method != NULL && path != NULL);

  task = g_task_new (self, cancellable, callback, user_data);
  g_task_set_source_tag (task, bq_client_call_async);
  bq_client_api_request_async (self, method, path, body, NULL, cancellable, on_call_done,
                               g_steal_pointer (&task));
}

JsonNode *
bq_client_call_finish (BqClient      *self,
                       GAsyncResult  *result,
                       guint         *status,
                       GError       **error)
{
  g_return_val_if_fail (g_task_is_valid (result, self), NULL);
  g_return_val_if_fail (g_task_get_source_tag (G_TASK (result)) == bq_client_call_async, NULL);

  if (status != NULL)
    *status = GPOINTER_TO_UINT (g_task_get_task_data (G_TASK (result)));
  return g_task_propagate_pointer (G_TASK (result), error);
}

const char *
bq_client_reply_message (JsonNode *reply)
{
  JsonNode *member;

  if (reply == NULL || !JSON_NODE_HOLDS_OBJECT (reply))
    return NULL;
  member = json_object_get_member (json_node_get_object (reply), "error");
  if (member == NULL || !JSON_NODE_HOLDS_OBJECT (member))
    return NULL;
  return json_object_get_string_member_with_default (json_node_get_object (member), "message",
                                                     NULL);
}

GPtrArray *
bq_client_list_outbox (BqClient *self)
{
  g_return_val_if_fail (BQ_IS_CLIENT (self), NULL);

  return bq_client_cache_list_outbox (self, NULL, NULL);
}

/* The server's current object of a refused entry: TRUE with *@entity
 * NULL when the server has none. */
static gboolean
decode_server_json (const BqOutboxEntry  *entry,
                    const BqEntityType   *type,
                    gpointer             *entity,
                    GError              **error)
{
  g_autoptr(JsonNode) node = NULL;

  *entity = NULL;
  if (entry->server_json == NULL)
    return TRUE;
  node = bq_json_parse (entry->server_json, -1, error);
  if (node == NULL)
    return FALSE;
  *entity = bq_client_decode_entity (type, node, error);
  return *entity != NULL;
}

/* A refused action changed nothing on the server, and nothing in the cache
 * but a provisional row: drop it, what was queued on top of it, and the
 * row. */
static gboolean
drop_action (BqClient            *self,
             const BqOutboxEntry *entry,
             const BqEntityType  *type,
             GError             **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  gboolean ok;

  if (!bq_store_begin (self->store, error))
    return FALSE;
  entries = bq_client_cache_list_outbox (self, entry->kind, entry->entity_id);
  ok = TRUE;
  for (guint i = 0; i < entries->len && ok; i++)
    {
      const BqOutboxEntry *other = g_ptr_array_index (entries, i);

      if (other->seq >= entry->seq)
        ok = bq_client_cache_delete_entry (self, other->seq, error);
    }
  if (ok && bq_client_cache_known_revision (self, type, entry->entity_id) == 0)
    ok = bq_client_cache_apply_server (self, type, entry->entity_id, 0, NULL, TRUE, NULL, error);
  ok = ok && bq_store_commit (self->store, error);
  if (!ok)
    bq_store_rollback (self->store);
  return ok;
}

static gboolean
take_theirs (BqClient            *self,
             const BqOutboxEntry *entry,
             const BqEntityType  *type,
             GError             **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  gpointer theirs = NULL;
  gint64 revision;
  gboolean ok;

  if (entry->path != NULL)
    return drop_action (self, entry, type, error);
  if (!decode_server_json (entry, type, &theirs, error))
    return FALSE;
  /* Gone on the server: the tombstone keeps the revision the row had. */
  revision = theirs != NULL ? BQ_ENTITY (theirs)->revision
                            : MAX (bq_client_cache_known_revision (self, type, entry->entity_id), 0);

  if (!bq_store_begin (self->store, error))
    {
      bq_entity_free (theirs);
      return FALSE;
    }
  entries = bq_client_cache_list_outbox (self, entry->kind, entry->entity_id);
  ok = TRUE;
  for (guint i = 0; i < entries->len && ok; i++)
    {
      const BqOutboxEntry *other = g_ptr_array_index (entries, i);

      if (other->seq >= entry->seq)
        ok = bq_client_cache_delete_entry (self, other->seq, error);
    }
  ok = ok && bq_client_cache_apply_server (self, type, entry->entity_id, revision, theirs, TRUE,
                                           NULL, error);
  ok = ok && bq_store_commit (self->store, error);
  if (!ok)
    bq_store_rollback (self->store);
  bq_entity_free (theirs);
  return ok;
}

static gboolean
keep_mine (BqClient            *self,
           const BqOutboxEntry *entry,
           const BqEntityType  *type,
           GError             **error)
{
  gpointer theirs = NULL;
  gint64 revision;
  gboolean ok;

  if (entry->path != NULL)
    {
      /* The same request again, as a new one. */
      if (!bq_store_begin (self->store, error))
        return FALSE;
      ok = bq_client_cache_requeue_entry (self, entry->seq, 0, error) &&
           bq_store_commit (self->store, error);
      if (!ok)
        bq_store_rollback (self->store);
      return ok;
    }
  if (!decode_server_json (entry, type, &theirs, error))
    return FALSE;

  if (theirs == NULL && g_strcmp0 (entry->method, "PATCH") == 0)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_CONFLICT,
                   "%s “%s” no longer exists on the server: the change cannot be kept",
                   type->name, entry->entity_id);
      return FALSE;
    }
  if (theirs == NULL && g_strcmp0 (entry->method, "DELETE") == 0)
    {
      /* Already gone: what the delete wanted. */
      if (!bq_client_cache_delete_entry (self, entry->seq, error))
        return FALSE;
      return TRUE;
    }

  revision = theirs != NULL ? BQ_ENTITY (theirs)->revision : 0;
  bq_entity_free (theirs);

  if (!bq_store_begin (self->store, error))
    return FALSE;
  ok = bq_client_cache_requeue_entry (self, entry->seq,
                                      g_strcmp0 (entry->method, "POST") == 0 ? 0 : revision,
                                      error);
  ok = ok && bq_store_commit (self->store, error);
  if (!ok)
    bq_store_rollback (self->store);
  return ok;
}

gboolean
bq_client_resolve_conflict (BqClient      *self,
                            gint64         seq,
                            BqResolution   resolution,
                            GError       **error)
{
  g_autoptr(BqOutboxEntry) entry = NULL;
  const BqEntityType *type;
  gboolean ok;

  g_return_val_if_fail (BQ_IS_CLIENT (self), FALSE);
  g_return_val_if_fail (resolution == BQ_RESOLVE_KEEP_MINE ||
                        resolution == BQ_RESOLVE_TAKE_THEIRS, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  entry = bq_client_cache_get_entry (self, seq);
  if (entry == NULL || entry->state != BQ_OUTBOX_CONFLICT)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   "outbox entry %" G_GINT64_FORMAT " is not a conflict", seq);
      return FALSE;
    }
  type = bq_entity_type_lookup (entry->kind);
  if (type == NULL)
    {
      g_set_error (error, BQ_CLIENT_ERROR, BQ_CLIENT_ERROR_FAILED,
                   "outbox entry %" G_GINT64_FORMAT " is of an unknown kind “%s”", seq,
                   entry->kind);
      return FALSE;
    }

  if (resolution == BQ_RESOLVE_TAKE_THEIRS)
    ok = take_theirs (self, entry, type, error);
  else
    ok = keep_mine (self, entry, type, error);
  if (!ok)
    return FALSE;

  bq_client_update_counts (self);
  if (resolution == BQ_RESOLVE_TAKE_THEIRS)
    bq_client_emit_changed (self, type->name);
  if (self->running)
    bq_client_sync_request (self);
  return TRUE;
}
