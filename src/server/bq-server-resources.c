/* bq-server-resources.c — the entity collections: list, get, create,
 * update, delete
 *
 * One set of handlers for every entity type, driven by the type
 * descriptors; what differs per type is data: the time field lists filter
 * on, and the scoping the policy applies to account managers.
 *
 * Every write is one store transaction: policy, scope, If-Match,
 * lifecycle, the write itself, the audit entry and the idempotency record
 * commit together or not at all, and only then is the answer sent and
 * the event published.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-audit.h"
#include "bq-json.h"
#include "bq-lifecycle.h"
#include "bq-model.h"
#include "bq-policy.h"
#include "bq-server-private.h"
#include "bq-units.h"

#define LIST_LIMIT_DEFAULT 100
#define LIST_LIMIT_MAX     1000

/* ------------------------------------------------------------- visibility */

/* Account managers are scoped to their centres; every other role sees
 * every centre (bq_policy_serves_centre() says so for a NULL one). */
static gboolean
user_is_scoped (const BqUser *user)
{
  return !bq_policy_serves_centre (user, NULL);
}

static char *
string_field (gconstpointer  entity,
              const char    *name)
{
  const BqField *field = bq_entity_type_get_field (BQ_ENTITY (entity)->type, name);

  g_assert (field != NULL && field->type == BQ_FIELD_STRING);
  return g_strdup (*(char * const *) BQ_FIELD_PTR (entity, field));
}

/* The centre of the parent (a leg's shipment), through @cache. */
static char *
parent_centre (BqServer           *self,
               const BqEntityType *parent,
               const char         *parent_id,
               GHashTable         *cache)
{
  g_autoptr(GError) error = NULL;
  gpointer entity;
  char *centre;

  if (parent_id == NULL)
    return NULL;
  if (cache != NULL && g_hash_table_contains (cache, parent_id))
    return g_strdup (g_hash_table_lookup (cache, parent_id));

  entity = bq_store_get (self->store, parent, parent_id, &error);
  centre = entity != NULL ? string_field (entity, bq_policy_scope_field (parent)) : NULL;
  bq_entity_free (entity);
  if (error != NULL && !g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
    g_warning ("cannot read %s “%s”: %s", parent->name, parent_id, error->message);
  if (cache != NULL)
    g_hash_table_insert (cache, g_strdup (parent_id), g_strdup (centre));
  return centre;
}

char *
bq_server_entity_centre (BqServer      *self,
                         gconstpointer  entity,
                         GHashTable    *cache)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  const BqEntityType *parent;
  const char *field;

  field = bq_policy_scope_field (type);
  if (field != NULL)
    return string_field (entity, field);

  parent = bq_policy_scope_parent (type, &field);
  if (parent != NULL)
    {
      g_autofree char *parent_id = string_field (entity, field);
      return parent_centre (self, parent, parent_id, cache);
    }
  return NULL;
}

gboolean
bq_server_can_see_entity (BqServer      *self,
                          const BqUser  *user,
                          gconstpointer  entity,
                          GHashTable    *cache)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  g_autofree char *centre = NULL;

  if (!bq_policy_allows (user, BQ_ACTION_READ, type))
    return FALSE;
  if (!user_is_scoped (user) || !bq_policy_type_is_scoped (type))
    return TRUE;
  if (bq_policy_scope_parent (type, NULL) != NULL)
    centre = bq_server_entity_centre (self, entity, cache);
  return bq_policy_can_see (user, entity, centre);
}

/* An entity of @type standing for one of @centre_id, to ask the policy
 * about something that is gone. */
static gpointer
stand_in_entity (const BqEntityType *type,
                 const char         *id,
                 const char         *centre_id)
{
  gpointer entity = bq_entity_new (type);
  const char *name = bq_policy_scope_field (type);

  bq_entity_set_id (entity, id);
  if (name != NULL)
    {
      const BqField *field = bq_entity_type_get_field (type, name);
      char **value = BQ_FIELD_PTR (entity, field);

      g_free (*value);
      *value = g_strdup (centre_id);
    }
  return entity;
}

/* tombstone_scope.centre_id holds every centre a scoped row has left
 * (moved away from, or been deleted from), one per line; the empty line
 * (or SQL NULL, alone) is "no centre", a slot's regional pool. */
#define SCOPE_SEPARATOR "\n"

static gboolean
read_tombstone_scope (BqServer            *self,
                      const BqEntityType  *type,
                      const char          *id,
                      char              ***centres,
                      GError             **error)
{
  sqlite3 *db = bq_store_get_db (self->store);
  g_autoptr(BqServerStmt) stmt = NULL;
  int rc;

  *centres = NULL;
  rc = sqlite3_prepare_v2 (db, "SELECT centre_id FROM tombstone_scope WHERE kind = ?1 AND id = ?2",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  if (rc == SQLITE_DONE)
    return TRUE;  /* nothing remembered */
  if (rc != SQLITE_ROW)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "cannot read tombstone_scope: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  if (sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    {
      *centres = g_new0 (char *, 2);
      (*centres)[0] = g_strdup ("");
    }
  else
    *centres = g_strsplit ((const char *) sqlite3_column_text (stmt, 0), SCOPE_SEPARATOR, -1);
  return TRUE;
}

gboolean
bq_server_can_see_tombstone (BqServer           *self,
                             const BqUser       *user,
                             const BqEntityType *type,
                             const char         *id)
{
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) centres = NULL;

  if (!bq_policy_allows (user, BQ_ACTION_READ, type))
    return FALSE;
  if (!user_is_scoped (user) || !bq_policy_type_is_scoped (type))
    return TRUE;

  if (!read_tombstone_scope (self, type, id, &centres, &error))
    {
      g_warning ("%s", error->message);
      return FALSE;
    }
  if (centres == NULL)
    return FALSE;  /* not remembered: private */

  for (guint i = 0; centres[i] != NULL; i++)
    {
      const char *centre = *centres[i] != '\0' ? centres[i] : NULL;
      gpointer entity = stand_in_entity (type, id, centre);
      gboolean visible = bq_policy_can_see (user, entity, centre);

      bq_entity_free (entity);
      if (visible)
        return TRUE;
    }
  return FALSE;
}

/* Adds @centre (NULL: none) to the centres remembered for @type/@id. */
static gboolean
add_tombstone_scope (BqServer           *self,
                     const BqEntityType *type,
                     const char         *id,
                     const char         *centre,
                     GError            **error)
{
  sqlite3 *db = bq_store_get_db (self->store);
  g_autoptr(BqServerStmt) stmt = NULL;
  g_auto(GStrv) centres = NULL;
  g_autoptr(GString) value = NULL;
  int rc;

  if (centre == NULL)
    centre = "";
  if (!read_tombstone_scope (self, type, id, &centres, error))
    return FALSE;
  if (centres != NULL && g_strv_contains ((const char * const *) centres, centre))
    return TRUE;

  value = g_string_new (NULL);
  for (guint i = 0; centres != NULL && centres[i] != NULL; i++)
    {
      g_string_append (value, centres[i]);
      g_string_append (value, SCOPE_SEPARATOR);
    }
  g_string_append (value, centre);

  rc = sqlite3_prepare_v2 (db, "INSERT OR REPLACE INTO tombstone_scope (kind, id, centre_id) "
                               "VALUES (?1, ?2, ?3)", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
      /* Only "no centre": NULL, as it always was. */
      if (value->len > 0)
        sqlite3_bind_text (stmt, 3, value->str, (int) value->len, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 3);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "cannot update tombstone_scope: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_server_remember_tombstone_scope (BqServer      *self,
                                    gconstpointer  entity,
                                    GError       **error)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  g_autofree char *centre = NULL;

  if (!bq_policy_type_is_scoped (type))
    return TRUE;
  centre = bq_server_entity_centre (self, entity, NULL);
  return add_tombstone_scope (self, type, BQ_ENTITY (entity)->id, centre, error);
}

gboolean
bq_server_remember_moved_scope (BqServer      *self,
                                gconstpointer  before,
                                gconstpointer  after,
                                GError       **error)
{
  const BqEntityType *type = BQ_ENTITY (before)->type;
  g_autofree char *old_centre = NULL;
  g_autofree char *new_centre = NULL;

  if (!bq_policy_type_is_scoped (type))
    return TRUE;
  old_centre = bq_server_entity_centre (self, before, NULL);
  new_centre = bq_server_entity_centre (self, after, NULL);
  if (g_strcmp0 (old_centre, new_centre) == 0)
    return TRUE;
  return add_tombstone_scope (self, type, BQ_ENTITY (before)->id, old_centre, error);
}

/* ------------------------------------------------------------------ helpers */

static void
reply_forbidden (BqServerRequest *request,
                 const char      *verb)
{
  g_autofree char *message = g_strdup_printf ("your role may not %s %s", verb,
                                              request->type->plural);

  bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, NULL);
}

static void
reply_not_found (BqServerRequest *request)
{
  g_autofree char *message = g_strdup_printf ("there is no %s “%s”", request->type->name,
                                              request->id);

  bq_server_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", message, NULL);
}

static void
set_etag (BqServerRequest *request,
          gconstpointer    entity)
{
  g_autofree char *etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"",
                                           BQ_ENTITY (entity)->revision);

  soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                "ETag", etag);
}

/* "12", 12 or W/"12"; "*" matches any revision.  FALSE when malformed. */
static gboolean
parse_revision_header (const char *value,
                       gint64     *revision,
                       gboolean   *any)
{
  g_autofree char *text = g_strstrip (g_strdup (value));
  char *p = text;
  gsize length;
  guint64 number;

  *any = FALSE;
  if (strcmp (p, "*") == 0)
    {
      *any = TRUE;
      return TRUE;
    }
  if (g_str_has_prefix (p, "W/"))
    p += 2;
  length = strlen (p);
  if (length >= 2 && p[0] == '"' && p[length - 1] == '"')
    {
      p[length - 1] = '\0';
      p++;
    }
  if (*p == '\0' || !g_ascii_isdigit (*p) ||
      !g_ascii_string_to_unsigned (p, 10, 0, G_MAXINT64, &number, NULL))
    return FALSE;
  *revision = (gint64) number;
  return TRUE;
}

/* If-Match against @current.  FALSE when answered (400, 409). */
static gboolean
check_if_match (BqServerRequest *request,
                gconstpointer    current)
{
  const char *value;
  gboolean bad, any;
  gint64 revision = 0;

  value = bq_server_request_get_header (request, "If-Match", &bad);
  if (bad)
    return FALSE;
  if (value == NULL)
    return TRUE;
  if (!parse_revision_header (value, &revision, &any))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request",
                             "If-Match must be a revision, like \"12\"", NULL);
      return FALSE;
    }
  if (any || revision == BQ_ENTITY (current)->revision)
    return TRUE;

  {
    g_autoptr(JsonBuilder) builder = json_builder_new ();
    g_autoptr(JsonNode) node = NULL;
    g_autofree char *message = NULL;

    message = g_strdup_printf ("%s “%s” is at revision %" G_GINT64_FORMAT ", not %"
                               G_GINT64_FORMAT, request->type->name, request->id,
                               BQ_ENTITY (current)->revision, revision);
    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "error");
    json_builder_begin_object (builder);
    json_builder_set_member_name (builder, "code");
    json_builder_add_string_value (builder, "stale_revision");
    json_builder_set_member_name (builder, "message");
    json_builder_add_string_value (builder, message);
    json_builder_set_member_name (builder, "field");
    json_builder_add_null_value (builder);
    json_builder_end_object (builder);
    json_builder_set_member_name (builder, "current");
    json_builder_add_value (builder, bq_entity_to_json (current));
    json_builder_end_object (builder);
    node = json_builder_get_root (builder);
    set_etag (request, current);
    bq_server_reply_json (request->msg, SOUP_STATUS_CONFLICT, node);
  }
  return FALSE;
}

/* Every reference of @entity that differs from @before (NULL: all of them)
 * must name something that exists and, for scoped types, that the user
 * may see: otherwise an invalid error about that field. */
static gboolean
check_references (BqServerRequest  *request,
                  gconstpointer     entity,
                  gconstpointer     before,
                  GError          **error)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];
      const BqEntityType *target;
      g_autoptr(GError) local_error = NULL;
      const char *value;
      gpointer referenced;
      gboolean visible;

      if (field->references == NULL || field->type != BQ_FIELD_STRING)
        continue;
      value = *(char * const *) BQ_FIELD_PTR (entity, field);
      if (value == NULL)
        continue;
      if (before != NULL && g_strcmp0 (value, *(char * const *) BQ_FIELD_PTR (before, field)) == 0)
        continue;
      target = bq_entity_type_lookup (field->references);
      g_assert (target != NULL);

      referenced = bq_store_get (request->server->store, target, value, &local_error);
      if (referenced == NULL &&
          !g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      /* What an account manager may not see does not exist for them. */
      visible = referenced != NULL &&
                (!bq_policy_type_is_scoped (target) ||
                 bq_server_can_see_entity (request->server, request->user, referenced, NULL));
      bq_entity_free (referenced);
      if (!visible)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, field->name,
                              "there is no %s “%s”", target->name, value);
          return FALSE;
        }
    }
  return TRUE;
}

/* Audit, idempotency record, commit, answer, event: the end of every
 * write.  The transaction is open; it is closed here either way. */
static void
finish_write (BqServerRequest *request,
              guint            status,
              const char      *action,
              const char      *reason,
              gconstpointer    before,
              gconstpointer    after)
{
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  g_autofree char *text = NULL;
  gboolean changed = before == NULL || after == NULL || !bq_entity_equal (before, after);
  gint64 revision;

  if (after != NULL)
    text = bq_entity_to_json_string (after, FALSE);

  if ((changed && !bq_audit_append (store, request->now, bq_entity_get_id (request->user),
                                    action, before, after, reason, &error)) ||
      !bq_server_idempotency_record (request, status, text, &error))
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  revision = bq_store_get_revision (store);
  if (!bq_store_commit (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  if (after != NULL)
    set_etag (request, after);
  if (status == SOUP_STATUS_CREATED)
    {
      g_autofree char *escaped = g_uri_escape_string (bq_entity_get_id (after), NULL, FALSE);
      g_autofree char *location = g_strdup_printf ("/api/v1/%s/%s", request->type->plural,
                                                   escaped);

      soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                    "Location", location);
    }
  bq_server_reply_text (request->msg, status, g_steal_pointer (&text));

  if (changed)
    bq_server_events_publish (request->server, revision, before, after);
}

void
bq_server_finish_custom_write (BqServerRequest *request,
                               guint            status,
                               char            *text,
                               gconstpointer    before,
                               gconstpointer    after)
{
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  g_autofree char *owned = text;
  gint64 revision;

  if (!bq_server_idempotency_record (request, status, owned, &error))
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  revision = bq_store_get_revision (store);
  if (!bq_store_commit (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  bq_server_reply_text (request->msg, status, g_steal_pointer (&owned));
  if (before != NULL || after != NULL)
    bq_server_events_publish (request->server, revision, before, after);
}

/* Fails the open transaction with @error. */
static void
abort_write (BqServerRequest *request,
             const GError    *error)
{
  bq_store_rollback (request->server->store);
  bq_server_reply_gerror (request->msg, error);
}

/* A slot's bookings, and which slot an order holds, change only through
 * the booking endpoints (bq-server-slots.c).  FALSE when answered (the transaction rolled back). */
static gboolean
check_booking_fields (BqServerRequest *request,
                      gconstpointer    before,
                      gconstpointer    after)
{
  g_autofree char *message = NULL;
  const char *field;

  if (bq_server_slots_check_generic_update (before, after, &field))
    return TRUE;
  if (BQ_ENTITY (after)->type == &bq_order_type)
    message = g_strdup_printf ("%s: an order takes, changes or gives back its slot only "
                               "through /api/v1/slots/{id}/claim and "
                               "/api/v1/orders/{id}/reschedule or /cancel", field);
  else
    message = g_strdup_printf ("%s: a slot's bookings change only through "
                               "/api/v1/slots/{id}/hold and /claim and the order actions",
                               field);
  bq_store_rollback (request->server->store);
  bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "read_only", message,
                         field);
  return FALSE;
}

/* --------------------------------------------------------------------- list */

typedef struct {
  const BqEntityType *type;
  const char         *start;   /* the time field lists are ordered and filtered by */
  const char         *end;     /* with @start, an interval that must overlap [from, to) */
} TimeField;

static const TimeField time_fields[] = {
  { &bq_run_type,          "start_time",        "calibration_time" },
  { &bq_order_type,        "admin_start",       NULL },
  { &bq_forecast_type,     "week_start",        NULL },
  { &bq_slot_type,         "delivery_date",     NULL },
  { &bq_shipment_type,     "planned_departure", NULL },
  { &bq_shipment_leg_type, "planned_departure", NULL },
  { &bq_qc_result_type,    "recorded_at",       NULL },
};

static const TimeField *
find_time_field (const BqEntityType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (time_fields); i++)
    {
      if (time_fields[i].type == type)
        return &time_fields[i];
    }
  return NULL;
}

/* The query parameters lists understand; each names a field (centre →
 * centre_id, status → status, …) if the type has it. */
static const char * const list_params[] = {
  "from", "to", "site", "line", "centre", "product", "run", "shipment", "status", "region",
  "limit", "offset", NULL,
};

/* The field @param filters on in @type, or NULL. */
static const BqField *
filter_field (const BqEntityType *type,
              const char         *param)
{
  g_autofree char *id_name = g_strconcat (param, "_id", NULL);
  g_autofree char *ids_name = g_strconcat (param, "_ids", NULL);
  const BqField *field;

  field = bq_entity_type_get_field (type, id_name);
  if (field == NULL)
    field = bq_entity_type_get_field (type, ids_name);
  if (field == NULL)
    field = bq_entity_type_get_field (type, param);
  return field;
}

/* The ids of @type whose @field is one of @values, for filters that go
 * through a parent (runs of a site: line_id IN the site's lines). */
static char **
ids_where_in (BqServerRequest     *request,
              const BqEntityType  *type,
              const char          *field,
              const char * const  *values,
              GError             **error)
{
  g_autoptr(BqQuery) query = bq_query_new (type);
  g_autoptr(GPtrArray) entities = NULL;
  g_autoptr(GStrvBuilder) builder = g_strv_builder_new ();

  bq_query_where_in (query, field, values);
  entities = bq_store_query (request->server->store, query, error);
  if (entities == NULL)
    return NULL;
  for (guint i = 0; i < entities->len; i++)
    g_strv_builder_add (builder, bq_entity_get_id (g_ptr_array_index (entities, i)));
  return g_strv_builder_end (builder);
}

/* Adds the filters of the query string to @query.  FALSE when answered. */
static gboolean
add_filters (BqServerRequest *request,
             BqQuery         *query)
{
  const BqEntityType *type = request->type;
  const TimeField *time_field = find_time_field (type);
  gint64 from = G_MININT64, to = G_MAXINT64;
  GHashTableIter iter;
  gpointer key, value;

  if (request->query != NULL)
    {
      g_hash_table_iter_init (&iter, request->query);
      while (g_hash_table_iter_next (&iter, &key, &value))
        {
          const char *param = key;
          g_auto(GStrv) values = NULL;
          g_autofree char *message = NULL;
          const BqField *field;

          if (!g_strv_contains (list_params, param))
            {
              message = g_strdup_printf ("%s cannot be filtered by “%s”", type->plural, param);
              bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                     "unknown_field", message, param);
              return FALSE;
            }
          if (strcmp (param, "limit") == 0 || strcmp (param, "offset") == 0)
            continue;
          if (strcmp (param, "from") == 0 || strcmp (param, "to") == 0)
            {
              if (time_field == NULL)
                {
                  message = g_strdup_printf ("%s are not filtered by time", type->plural);
                  bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                         "unknown_field", message, param);
                  return FALSE;
                }
              continue;
            }

          values = g_strsplit (value != NULL ? value : "", ",", -1);

          /* Runs have no site of their own: they are on the site's lines. */
          if (strcmp (param, "site") == 0 && type == &bq_run_type)
            {
              g_autoptr(GError) error = NULL;
              g_auto(GStrv) line_ids = ids_where_in (request, &bq_line_type, "site_id",
                                                     (const char * const *) values, &error);

              if (line_ids == NULL)
                {
                  bq_server_reply_gerror (request->msg, error);
                  return FALSE;
                }
              bq_query_where_in (query, "line_id", (const char * const *) line_ids);
              continue;
            }

          field = filter_field (type, param);
          if (field == NULL)
            {
              message = g_strdup_printf ("%s cannot be filtered by “%s”", type->plural, param);
              bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                     "unknown_field", message, param);
              return FALSE;
            }
          if (field->type == BQ_FIELD_ENUM)
            {
              for (guint i = 0; values[i] != NULL; i++)
                {
                  if (bq_enum_from_nick (field, values[i]) < 0)
                    {
                      message = g_strdup_printf ("“%s” is not a possible %s", values[i],
                                                 field->name);
                      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                             "bad_enum", message, param);
                      return FALSE;
                    }
                }
            }
          bq_query_where_in (query, field->name, (const char * const *) values);
        }
    }

  if (time_field != NULL)
    {
      if (!bq_server_request_get_time_param (request, "from", &from) || !bq_server_request_get_time_param (request, "to", &to))
        return FALSE;
      if (from != G_MININT64 && to != G_MAXINT64 && to < from)
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                                 "“to” is before “from”", "to");
          return FALSE;
        }
      if (from != G_MININT64 || to != G_MAXINT64)
        {
          if (time_field->end != NULL)
            bq_query_where_overlaps (query, time_field->start, time_field->end, from, to);
          else
            bq_query_where_range (query, time_field->start, from, to);
        }
      bq_query_order_by (query, time_field->start, FALSE);
    }
  return TRUE;
}

/* Limits @query to what a scoped user may see, in SQL when the policy's
 * rule can be said as "centre IN (…)".  *@in_memory: it cannot (regional
 * pool slots have no centre and are open to all), so the caller filters
 * the rows with bq_server_can_see_entity(). */
static gboolean
add_scope (BqServerRequest *request,
           BqQuery         *query,
           gboolean        *in_memory)
{
  const BqEntityType *type = request->type;
  const char * const empty[] = { NULL };
  const char * const *centres;
  const BqEntityType *parent;
  const char *field;

  *in_memory = FALSE;
  if (!user_is_scoped (request->user) || !bq_policy_type_is_scoped (type))
    return TRUE;

  centres = request->user->centre_ids != NULL ?
            (const char * const *) request->user->centre_ids : empty;
  field = bq_policy_scope_field (type);
  if (field != NULL)
    {
      gpointer stand_in = stand_in_entity (type, "-", NULL);
      gboolean centreless_visible = bq_policy_can_see (request->user, stand_in, NULL);

      bq_entity_free (stand_in);
      if (centreless_visible)
        *in_memory = TRUE;
      else
        bq_query_where_in (query, field, centres);
      return TRUE;
    }

  parent = bq_policy_scope_parent (type, &field);
  if (parent != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_auto(GStrv) parent_ids = ids_where_in (request, parent, bq_policy_scope_field (parent),
                                               centres, &error);

      if (parent_ids == NULL)
        {
          bq_server_reply_gerror (request->msg, error);
          return FALSE;
        }
      bq_query_where_in (query, field, (const char * const *) parent_ids);
      return TRUE;
    }

  *in_memory = TRUE;
  return TRUE;
}

void
bq_server_handle_list (BqServerRequest *request)
{
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) entities = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint64 limit, offset;
  gboolean in_memory, more;
  gint64 revision;

  if (!bq_policy_allows (request->user, BQ_ACTION_READ, request->type))
    {
      reply_forbidden (request, "read");
      return;
    }
  if (!bq_server_request_get_uint (request, "limit", LIST_LIMIT_DEFAULT, LIST_LIMIT_MAX, &limit) ||
      !bq_server_request_get_uint (request, "offset", 0, G_MAXUINT - LIST_LIMIT_MAX - 1, &offset))
    return;
  if (limit == 0)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "“limit” must be at least 1", "limit");
      return;
    }

  query = bq_query_new (request->type);
  if (!add_filters (request, query) || !add_scope (request, query, &in_memory))
    return;

  /* The revision before the rows: a client that pulls changes from it
   * later sees anything that changed meanwhile. */
  revision = bq_store_get_revision (request->server->store);

  /* One row more than asked tells whether there is a next page. */
  if (!in_memory)
    bq_query_set_limit (query, (guint) limit + 1, (guint) offset);
  entities = bq_store_query (request->server->store, query, &error);
  if (entities == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  if (in_memory)
    {
      g_autoptr(GHashTable) cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
      g_autoptr(GPtrArray) visible = g_ptr_array_new_with_free_func (bq_entity_free);
      guint skipped = 0;

      for (guint i = 0; i < entities->len && visible->len <= limit; i++)
        {
          gpointer entity = g_ptr_array_index (entities, i);

          if (!bq_server_can_see_entity (request->server, request->user, entity, cache))
            continue;
          if (skipped < offset)
            {
              skipped++;
              continue;
            }
          g_ptr_array_add (visible, entity);
          entities->pdata[i] = NULL;  /* moved */
        }
      g_clear_pointer (&entities, g_ptr_array_unref);
      entities = g_steal_pointer (&visible);
    }

  more = entities->len > limit;
  if (more)
    g_ptr_array_set_size (entities, (guint) limit);

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_add_value (builder, bq_entity_list_to_json (entities));
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, revision);
  json_builder_set_member_name (builder, "next_offset");
  if (more)
    json_builder_add_int_value (builder, (gint64) (offset + limit));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* ---------------------------------------------------------------------- get */

void
bq_server_handle_get (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  gpointer entity;
  const char *if_none_match;
  gboolean bad;

  if (!bq_policy_allows (request->user, BQ_ACTION_READ, request->type))
    {
      reply_forbidden (request, "read");
      return;
    }

  entity = bq_store_get (request->server->store, request->type, request->id, &error);
  if (entity == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  if (!bq_server_can_see_entity (request->server, request->user, entity, NULL))
    {
      bq_entity_free (entity);
      reply_not_found (request);
      return;
    }

  set_etag (request, entity);
  if_none_match = bq_server_request_get_header (request, "If-None-Match", &bad);
  if (bad)
    {
      bq_entity_free (entity);
      return;
    }
  if (if_none_match != NULL)
    {
      gint64 revision = -1;
      gboolean any;

      if (parse_revision_header (if_none_match, &revision, &any) &&
          (any || revision == BQ_ENTITY (entity)->revision))
        {
          bq_entity_free (entity);
          bq_server_reply_text (request->msg, SOUP_STATUS_NOT_MODIFIED, NULL);
          return;
        }
    }

  node = bq_entity_to_json (entity);
  bq_entity_free (entity);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* ------------------------------------------------------------------- create */

void
bq_server_handle_create (BqServerRequest *request)
{
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  const char *reason;
  gpointer entity = NULL;

  if (!bq_policy_allows (request->user, BQ_ACTION_CREATE, request->type))
    {
      reply_forbidden (request, "create");
      return;
    }
  if (bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  node = bq_server_request_parse_body (request);
  if (node == NULL)
    return;

  entity = bq_entity_from_json (request->type, node, BQ_JSON_DEFAULT, &error);
  if (entity == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  BQ_ENTITY (entity)->revision = 0;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      goto out;
    }

  if (bq_entity_get_id (entity) != NULL && *bq_entity_get_id (entity) != '\0')
    {
      gpointer existing = bq_store_get (store, request->type, bq_entity_get_id (entity), &error);

      if (existing != NULL)
        {
          g_autofree char *message = g_strdup_printf ("there already is a %s “%s”",
                                                      request->type->name,
                                                      bq_entity_get_id (entity));

          bq_entity_free (existing);
          bq_store_rollback (store);
          bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "duplicate_id", message, "id");
          goto out;
        }
      if (!g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        {
          abort_write (request, error);
          goto out;
        }
      g_clear_error (&error);
    }

  if (!check_references (request, entity, NULL, &error))
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_server_can_see_entity (request->server, request->user, entity, NULL))
    {
      g_autofree char *message = g_strdup_printf ("you may only create %s for your own centres",
                                                  request->type->plural);

      bq_store_rollback (store);
      bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message,
                             bq_policy_scope_field (request->type));
      goto out;
    }
  if (!check_booking_fields (request, NULL, entity))
    goto out;
  if (!bq_lifecycle_check_create (entity, &error) ||
      !bq_store_put (store, entity, &error))
    {
      abort_write (request, error);
      goto out;
    }

  finish_write (request, SOUP_STATUS_CREATED, "create", reason, NULL, entity);

out:
  bq_entity_free (entity);
}

/* ------------------------------------------------------------------- update */

void
bq_server_handle_update (BqServerRequest *request)
{
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  gpointer before = NULL, after = NULL;
  const char *reason;
  const char *field = NULL;

  if (!bq_policy_allows (request->user, BQ_ACTION_UPDATE, request->type))
    {
      reply_forbidden (request, "change");
      return;
    }
  if (bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  node = bq_server_request_parse_body (request);
  if (node == NULL)
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  before = bq_store_get (store, request->type, request->id, &error);
  if (before == NULL)
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_server_can_see_entity (request->server, request->user, before, NULL))
    {
      bq_store_rollback (store);
      reply_not_found (request);
      goto out;
    }
  if (!check_if_match (request, before))
    {
      bq_store_rollback (store);
      goto out;
    }

  after = bq_entity_copy (before);
  if (request->type == &bq_run_type)
    bq_server_prepare_run_move (before, json_node_get_object (node));
  if (!bq_entity_update_from_json (after, node, BQ_JSON_DEFAULT, &error))
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_policy_check_update (request->user, before, after, &field))
    {
      g_autofree char *message = NULL;

      if (field != NULL)
        message = g_strdup_printf ("your role may not change the %s of %s", field,
                                   request->type->plural);
      else
        message = g_strdup_printf ("your role may not change %s", request->type->plural);
      bq_store_rollback (store);
      bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, field);
      goto out;
    }
  if (!check_references (request, after, before, &error))
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_server_can_see_entity (request->server, request->user, after, NULL))
    {
      g_autofree char *message = g_strdup_printf ("you may only move %s to your own centres",
                                                  request->type->plural);

      bq_store_rollback (store);
      bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message,
                             bq_policy_scope_field (request->type));
      goto out;
    }
  /* A run that moves must fit where it goes (bq-server-plan.c). */
  if (request->type == &bq_run_type &&
      !bq_server_check_run_move (request, before, after, json_node_get_object (node)))
    {
      bq_store_rollback (store);
      goto out;
    }
  if (!check_booking_fields (request, before, after))
    goto out;
  if (!bq_lifecycle_check_update (before, after, &error))
    {
      abort_write (request, error);
      goto out;
    }
  /* Nothing changed: no new revision, no audit entry, no event.  A row
   * that leaves a centre is a deletion for whoever sees only that one.
   * A run that fails, is cancelled or moves takes its slots along
   * (bq-server-slots.c), in this transaction. */
  if (!bq_entity_equal (before, after) &&
      (!bq_store_put (store, after, &error) ||
       !bq_server_remember_moved_scope (request->server, before, after, &error) ||
       (request->type == &bq_run_type &&
        !bq_server_slots_run_changed (request, before, after, reason, &error))))
    {
      abort_write (request, error);
      goto out;
    }

  finish_write (request, SOUP_STATUS_OK, "update", reason, before, after);

out:
  bq_entity_free (before);
  bq_entity_free (after);
}

/* ------------------------------------------------------------------- delete */

void
bq_server_handle_delete (BqServerRequest *request)
{
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  gpointer before = NULL;
  const char *reason;

  if (!bq_policy_allows (request->user, BQ_ACTION_DELETE, request->type))
    {
      reply_forbidden (request, "delete");
      return;
    }
  if (bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  before = bq_store_get (store, request->type, request->id, &error);
  if (before == NULL)
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_server_can_see_entity (request->server, request->user, before, NULL))
    {
      bq_store_rollback (store);
      reply_not_found (request);
      goto out;
    }
  if (!check_if_match (request, before))
    {
      bq_store_rollback (store);
      goto out;
    }
  if (!bq_server_remember_tombstone_scope (request->server, before, &error))
    {
      abort_write (request, error);
      goto out;
    }
  if (!bq_store_delete (store, request->type, request->id, &error))
    {
      bq_store_rollback (store);
      if (g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT))
        bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "in_use", error->message, NULL);
      else
        bq_server_reply_gerror (request->msg, error);
      goto out;
    }

  finish_write (request, SOUP_STATUS_NO_CONTENT, "delete", reason, before, NULL);

out:
  bq_entity_free (before);
}
