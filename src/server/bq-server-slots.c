/* bq-server-slots.c — booking over HTTP: the slot calendar, matching an
 * order, holds, claims, confirming, cancelling and rescheduling orders,
 * and re-allocation after a failed run
 *
 * The slot engine (bq-slots.h) does the work and owns the rules; this file
 * decides who may ask, reads the parameters and keeps the write rules of
 * every other write: one transaction per request (the engine's own
 * transactions become savepoints in it), an audit entry per entity the
 * engine changed, the idempotency record, then the answer and the event.
 *
 * Slot bookings are written only through these endpoints: the generic
 * PATCH /slots/{id} may not change a slot's claimed, held, held_by,
 * hold_expires or status (bq_server_slots_check_generic_update()), so the
 * engine's counts and its transitions are the only ones there are.
 *
 * What the engine changed is found by revision: every row it wrote in the
 * request's transaction has a revision above the one the transaction
 * began at.  The rows it might change are read before (the slot, the
 * order, a run's slots), so each audit entry has its before and after.
 *
 * Holds expire lazily, before every slot request, and every
 * HOLD_SWEEP_S seconds from a timeout on the server's main context, in a
 * transaction of their own audited as the system ("expire_hold").
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-audit.h"
#include "bq-json.h"
#include "bq-model.h"
#include "bq-policy.h"
#include "bq-server-private.h"
#include "bq-slots.h"
#include "bq-units.h"

#define HOLD_SWEEP_S          30
#define ALTERNATIVES_MAX      5
#define CALENDAR_DAYS_DEFAULT 14
#define CALENDAR_DAYS_MAX     92
#define DAY                   G_GINT64_CONSTANT (86400)

/* ------------------------------------------------------------ the engine */

/* What the slot endpoints keep per server (object data of the server). */
typedef struct {
  BqSlotEngine *engine;
  gint64        reference_key;  /* of the reference data the engine read */
  GSource      *sweep;
} SlotState;

static void
slot_state_free (gpointer data)
{
  SlotState *state = data;

  if (state->sweep != NULL)
    {
      g_source_destroy (state->sweep);
      g_source_unref (state->sweep);
    }
  g_clear_object (&state->engine);
  g_free (state);
}

static gboolean on_sweep (gpointer user_data);

static SlotState *
get_state (BqServer *server)
{
  SlotState *state = g_object_get_data (G_OBJECT (server), "bq-server-slots");

  if (state != NULL)
    return state;
  state = g_new0 (SlotState, 1);
  state->engine = bq_slot_engine_new (server->store);
  state->reference_key = -1;
  /* Holds are only made through these endpoints: sweeping starts with
   * the first slot request, on the context the server runs in. */
  state->sweep = g_timeout_source_new_seconds (HOLD_SWEEP_S);
  g_source_set_callback (state->sweep, on_sweep, server, NULL);
  g_source_set_name (state->sweep, "[becquerel] slot hold sweep");
  g_source_attach (state->sweep, g_main_context_get_thread_default ());
  g_object_set_data_full (G_OBJECT (server), "bq-server-slots", state, slot_state_free);
  return state;
}

/* The highest revision among the reference data the engine caches
 * (deletions included): when it moves, the engine reads them again.
 * Shipment legs count too: the router the engine keeps (and the claim
 * verdicts judged with it) avoids disrupted ones. */
static gint64
reference_key (BqStore *store)
{
  static const char sql[] =
    "SELECT MAX(r) FROM ("
    "  SELECT MAX(revision) AS r FROM sites"
    "  UNION ALL SELECT MAX(revision) FROM lines"
    "  UNION ALL SELECT MAX(revision) FROM products"
    "  UNION ALL SELECT MAX(revision) FROM centres"
    "  UNION ALL SELECT MAX(revision) FROM hubs"
    "  UNION ALL SELECT MAX(revision) FROM lanes"
    "  UNION ALL SELECT MAX(revision) FROM slas"
    "  UNION ALL SELECT MAX(revision) FROM forecasts"
    "  UNION ALL SELECT MAX(revision) FROM shipment_legs"
    "  UNION ALL SELECT MAX(revision) FROM tombstones WHERE kind IN "
    "    ('site', 'line', 'product', 'centre', 'hub', 'lane', 'sla', 'forecast', "
    "     'shipment_leg'))";
  g_autoptr(BqStoreStmt) stmt = NULL;
  gint64 key = -2;

  if (bq_store_prepare_cached (store, sql, &stmt) == SQLITE_OK &&
      sqlite3_step (stmt) == SQLITE_ROW)
    key = sqlite3_column_int64 (stmt, 0);
  return key;
}

static BqSlotEngine *
get_engine (BqServer *server)
{
  SlotState *state = get_state (server);
  gint64 key = reference_key (server->store);

  if (key != state->reference_key || key == -2)
    {
      bq_slot_engine_invalidate (state->engine);
      state->reference_key = key;
    }
  return state->engine;
}

/* ---------------------------------------------------- what a write changed */

static void
set_sql_error (sqlite3    *db,
               GError    **error,
               const char *what)
{
  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED, "%s: %s", what,
               sqlite3_errmsg (db));
}

/* The rows an engine call may change, as they were, and the revision its
 * transaction began at. */
typedef struct {
  gint64      since;
  GHashTable *slots;    /* id → BqSlot */
  GHashTable *orders;   /* id → BqOrder */
  GPtrArray  *changed;  /* after, BqSlot or BqOrder, in revision order */
  GPtrArray  *befores;  /* the matching before, or NULL (not owned) */
} Changes;

static void
changes_init (Changes *changes,
              BqStore *store)
{
  changes->since = bq_store_get_revision (store);
  changes->slots = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bq_entity_free);
  changes->orders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bq_entity_free);
  changes->changed = g_ptr_array_new_with_free_func (bq_entity_free);
  changes->befores = g_ptr_array_new ();
}

static void
changes_clear (Changes *changes)
{
  g_clear_pointer (&changes->slots, g_hash_table_unref);
  g_clear_pointer (&changes->orders, g_hash_table_unref);
  g_clear_pointer (&changes->changed, g_ptr_array_unref);
  g_clear_pointer (&changes->befores, g_ptr_array_unref);
}

/* Remembers a copy of @entity (a slot or an order) as it is now. */
static void
changes_remember (Changes       *changes,
                  gconstpointer  entity)
{
  GHashTable *table = BQ_ENTITY (entity)->type == &bq_slot_type ? changes->slots
                                                                 : changes->orders;
  gpointer copy;

  if (g_hash_table_contains (table, bq_entity_get_id (entity)))
    return;
  copy = bq_entity_copy (entity);
  g_hash_table_insert (table, (gpointer) bq_entity_get_id (copy), copy);
}

/* Remembers every row of @table that @sql (one text parameter, @value)
 * selects the ids of. */
static gboolean
changes_remember_where (Changes            *changes,
                        BqStore            *store,
                        const BqEntityType *type,
                        const char         *sql,
                        const char         *value,
                        GError            **error)
{
  sqlite3 *db = bq_store_get_db (store);
  g_autoptr(BqStoreStmt) stmt = NULL;
  g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
  int rc;

  rc = bq_store_prepare_cached (store, sql, &stmt);
  if (rc == SQLITE_OK)
    {
      if (value != NULL)
        sqlite3_bind_text (stmt, 1, value, -1, SQLITE_TRANSIENT);
      while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
        g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
    }
  if (rc != SQLITE_DONE)
    {
      set_sql_error (db, error, "cannot read the rows a booking may change");
      return FALSE;
    }
  for (guint i = 0; i < ids->len; i++)
    {
      gpointer entity = bq_store_get (store, type, g_ptr_array_index (ids, i), error);

      if (entity == NULL)
        return FALSE;
      changes_remember (changes, entity);
      bq_entity_free (entity);
    }
  return TRUE;
}

static gboolean
same_but_revision (gconstpointer before,
                   gconstpointer after)
{
  BqEntity *b = BQ_ENTITY (before);
  gint64 revision = b->revision;
  gboolean equal;

  b->revision = BQ_ENTITY (after)->revision;
  equal = bq_entity_equal (before, after);
  b->revision = revision;
  return equal;
}

/* Finds the slots and orders written since changes->since and appends an
 * audit entry for each that really changed: @action, or "create" for an
 * order that did not exist. */
static gboolean
changes_audit (Changes    *changes,
               BqStore    *store,
               gint64      at,
               const char *user_id,
               const char *action,
               const char *reason,
               GError    **error)
{
  static const struct {
    const BqEntityType *type;
    const char         *sql;
  } tables[] = {
    { &bq_slot_type,  "SELECT id FROM slots WHERE revision > ?1 ORDER BY revision" },
    { &bq_order_type, "SELECT id FROM orders WHERE revision > ?1 ORDER BY revision" },
  };
  sqlite3 *db = bq_store_get_db (store);

  for (guint t = 0; t < G_N_ELEMENTS (tables); t++)
    {
      GHashTable *remembered = tables[t].type == &bq_slot_type ? changes->slots
                                                               : changes->orders;
      g_autoptr(BqStoreStmt) stmt = NULL;
      g_autoptr(GPtrArray) ids = g_ptr_array_new_with_free_func (g_free);
      int rc;

      rc = bq_store_prepare_cached (store, tables[t].sql, &stmt);
      if (rc == SQLITE_OK)
        {
          sqlite3_bind_int64 (stmt, 1, changes->since);
          while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
            g_ptr_array_add (ids, g_strdup ((const char *) sqlite3_column_text (stmt, 0)));
        }
      if (rc != SQLITE_DONE)
        {
          set_sql_error (db, error, "cannot read what the booking changed");
          return FALSE;
        }
      for (guint i = 0; i < ids->len; i++)
        {
          const char *id = g_ptr_array_index (ids, i);
          gpointer before = g_hash_table_lookup (remembered, id);
          gpointer after = bq_store_get (store, tables[t].type, id, error);
          const char *what = action;

          if (after == NULL)
            return FALSE;
          if (before != NULL && same_but_revision (before, after))
            {
              bq_entity_free (after);
              continue;
            }
          if (before == NULL)
            what = "create";
          if (!bq_audit_append (store, at, user_id, what, before, after, reason, error))
            {
              bq_entity_free (after);
              return FALSE;
            }
          g_ptr_array_add (changes->changed, after);
          g_ptr_array_add (changes->befores, before);
        }
    }
  return TRUE;
}

/* The changed entity of @type with @id, or NULL. */
static gconstpointer
changes_find (Changes            *changes,
              const BqEntityType *type,
              const char         *id)
{
  for (guint i = 0; i < changes->changed->len; i++)
    {
      gconstpointer entity = g_ptr_array_index (changes->changed, i);

      if (BQ_ENTITY (entity)->type == type &&
          (id == NULL || g_strcmp0 (bq_entity_get_id (entity), id) == 0))
        return entity;
    }
  return NULL;
}

/* ------------------------------------------------------------ hold expiry */

/* Clears expired holds in a transaction of its own, audited as the
 * system; tells event listeners.  Cheap when nothing expired. */
static gboolean
expire_holds (BqServer  *server,
              gint64     now,
              GError   **error)
{
  BqStore *store = server->store;
  Changes changes = { 0, };
  gboolean any = FALSE;
  gint64 revision;
  int rc;

  {
    g_autoptr(BqStoreStmt) stmt = NULL;

    /* Before every slot request: without INDEXED BY, SQLite scans every
     * slot for "IS NOT NULL"; with it, it reads only the held ones. */
    rc = bq_store_prepare_cached (store,
                                  "SELECT 1 FROM slots INDEXED BY slots_held_by "
                                  "WHERE held_by IS NOT NULL "
                                  "AND hold_expires <= ?1 LIMIT 1", &stmt);
    if (rc == SQLITE_OK)
      {
        sqlite3_bind_int64 (stmt, 1, now);
        rc = sqlite3_step (stmt);
        any = rc == SQLITE_ROW;
      }
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
      {
        set_sql_error (bq_store_get_db (store), error, "cannot look for holds");
        return FALSE;
      }
  }
  if (!any)
    return TRUE;

  if (!bq_store_begin (store, error))
    return FALSE;
  changes_init (&changes, store);
  {
    g_autofree char *at = g_strdup_printf ("%" G_GINT64_FORMAT, now);

    if (!changes_remember_where (&changes, store, &bq_slot_type,
                                 "SELECT id FROM slots WHERE held_by IS NOT NULL "
                                 "AND hold_expires <= CAST(?1 AS INTEGER)", at, error) ||
        !bq_slot_engine_expire_holds (get_engine (server), now, NULL, error) ||
        !changes_audit (&changes, store, g_get_real_time () / G_USEC_PER_SEC, NULL,
                        "expire_hold", "the hold expired", error))
      {
        bq_store_rollback (store);
        changes_clear (&changes);
        return FALSE;
      }
  }
  revision = bq_store_get_revision (store);
  if (!bq_store_commit (store, error))
    {
      changes_clear (&changes);
      return FALSE;
    }
  for (guint i = 0; i < changes.changed->len; i++)
    bq_server_events_publish (server, revision, g_ptr_array_index (changes.befores, i),
                              g_ptr_array_index (changes.changed, i));
  changes_clear (&changes);
  return TRUE;
}

static gboolean
on_sweep (gpointer user_data)
{
  BqServer *server = user_data;
  g_autoptr(GError) error = NULL;
  gint64 now;

  if (server->store == NULL)
    return G_SOURCE_CONTINUE;  /* stopping */
  now = server->fixed_now != BQ_TIME_UNSET ? server->fixed_now
                                           : g_get_real_time () / G_USEC_PER_SEC;
  /* A write in progress elsewhere (busy): the next sweep or request does it. */
  if (!expire_holds (server, now, &error))
    g_debug ("cannot expire slot holds: %s", error->message);
  return G_SOURCE_CONTINUE;
}

/* Before every slot request.  FALSE when answered. */
static gboolean
expire_before (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;

  if (expire_holds (request->server, bq_server_request_domain_now (request), &error))
    return TRUE;
  bq_server_reply_gerror (request->msg, error);
  return FALSE;
}

/* ------------------------------------------------------------------ helpers */

static gboolean
role_in (const BqUser *user,
         guint         roles)
{
  return !user->disabled && (roles & (1u << user->role)) != 0;
}

#define ROLE(r) (1u << (r))
/* Who books: holds and claims. */
#define BOOKERS (ROLE (BQ_ROLE_ADMIN) | ROLE (BQ_ROLE_PLANNER) | ROLE (BQ_ROLE_ACCOUNT_MANAGER))
/* Who confirms, cancels and reschedules orders. */
#define ORDER_HANDLERS (BOOKERS | ROLE (BQ_ROLE_LOGISTICS))
/* Who re-allocates the orders of a failed run. */
#define REALLOCATORS (ROLE (BQ_ROLE_ADMIN) | ROLE (BQ_ROLE_PLANNER) | ROLE (BQ_ROLE_LOGISTICS))

static gboolean
check_role (BqServerRequest *request,
            guint            roles,
            const char      *message)
{
  if (role_in (request->user, roles))
    return TRUE;
  bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, NULL);
  return FALSE;
}

static void
reply_not_found (BqServerRequest *request,
                 const char      *what,
                 const char      *id)
{
  g_autofree char *message = g_strdup_printf ("there is no %s “%s”", what, id);

  bq_server_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", message, NULL);
}

/* Refuses query parameters other than @allowed (422 unknown_field). */
static gboolean
check_params (BqServerRequest    *request,
              const char * const *allowed)
{
  GHashTableIter iter;
  gpointer key;

  if (request->query == NULL)
    return TRUE;
  g_hash_table_iter_init (&iter, request->query);
  while (g_hash_table_iter_next (&iter, &key, NULL))
    {
      if (!g_strv_contains (allowed, key))
        {
          g_autofree char *list = g_strjoinv ("”, “", (char **) allowed);
          g_autofree char *message = *allowed != NULL
                                     ? g_strdup_printf ("this takes only “%s”", list)
                                     : g_strdup ("this takes no query parameters");

          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                 "unknown_field", message, key);
          return FALSE;
        }
    }
  return TRUE;
}

/* The body of a write whose body is optional: NULL (and *@answered FALSE)
 * when there is none; otherwise as bq_server_request_parse_body(). */
static JsonNode *
optional_body (BqServerRequest *request,
               gboolean        *answered)
{
  SoupMessageBody *body = soup_server_message_get_request_body (request->msg);
  JsonNode *node;

  *answered = FALSE;
  if (body->length == 0)
    return NULL;
  node = bq_server_request_parse_body (request);
  *answered = node == NULL;
  return node;
}

/* Refuses members of @object other than @allowed.  FALSE when answered. */
static gboolean
check_members (BqServerRequest    *request,
               JsonObject         *object,
               const char * const *allowed)
{
  g_autoptr(GList) names = json_object_get_members (object);

  for (GList *l = names; l != NULL; l = l->next)
    {
      if (!g_strv_contains (allowed, l->data))
        {
          g_autofree char *list = g_strjoinv ("”, “", (char **) allowed);
          g_autofree char *message = *allowed != NULL
                                     ? g_strdup_printf ("this takes only “%s”", list)
                                     : g_strdup ("this takes an empty object");

          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                 "unknown_field", message, l->data);
          return FALSE;
        }
    }
  return TRUE;
}

/* A string member: NULL and TRUE when absent (or null) and not
 * @required.  FALSE when answered. */
static gboolean
string_member (BqServerRequest  *request,
               JsonObject       *object,
               const char       *name,
               gboolean          required,
               const char      **value)
{
  JsonNode *member = json_object_get_member (object, name);
  g_autofree char *message = NULL;

  *value = NULL;
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    {
      if (!required)
        return TRUE;
      message = g_strdup_printf ("%s: is required", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             message, name);
      return FALSE;
    }
  if (!JSON_NODE_HOLDS_VALUE (member) || json_node_get_value_type (member) != G_TYPE_STRING)
    {
      message = g_strdup_printf ("%s: must be a string", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "wrong_type",
                             message, name);
      return FALSE;
    }
  *value = json_node_get_string (member);
  return TRUE;
}

/* A time member (ISO 8601); BQ_TIME_UNSET when absent and not required. */
static gboolean
time_member (BqServerRequest *request,
             JsonObject      *object,
             const char      *name,
             gboolean         required,
             gint64          *value)
{
  g_autoptr(GError) error = NULL;
  const char *text;

  *value = BQ_TIME_UNSET;
  if (!string_member (request, object, name, required, &text))
    return FALSE;
  if (text == NULL)
    return TRUE;
  if (!bq_units_parse_time (text, value, &error))
    {
      g_autofree char *message = g_strdup_printf ("%s: %s", name, error->message);

      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             message, name);
      return FALSE;
    }
  return TRUE;
}

/* A positive number member; NAN when absent. */
static gboolean
activity_member (BqServerRequest *request,
                 JsonObject      *object,
                 const char      *name,
                 double          *value)
{
  JsonNode *member = json_object_get_member (object, name);
  g_autofree char *message = NULL;
  GType type;

  *value = NAN;
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    return TRUE;
  type = JSON_NODE_HOLDS_VALUE (member) ? json_node_get_value_type (member) : G_TYPE_INVALID;
  if (type != G_TYPE_DOUBLE && type != G_TYPE_INT64)
    {
      message = g_strdup_printf ("%s: must be a number", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "wrong_type",
                             message, name);
      return FALSE;
    }
  *value = json_node_get_double (member);
  if (!(*value > 0) || !isfinite (*value))
    {
      message = g_strdup_printf ("%s: must be more than 0", name);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             message, name);
      return FALSE;
    }
  return TRUE;
}

/* Whether @id names an entity of @type; FALSE with @error on failure. */
static gboolean
exists (BqStore            *store,
        const BqEntityType *type,
        const char         *id,
        gboolean           *found,
        GError            **error)
{
  g_autoptr(GError) local_error = NULL;
  gpointer entity = bq_store_get (store, type, id, &local_error);

  *found = entity != NULL;
  bq_entity_free (entity);
  if (entity == NULL && !g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
    {
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  return TRUE;
}

/* The centre and product of a request must exist (422 naming the field),
 * and an account manager must serve the centre (403).  FALSE when
 * answered. */
static gboolean
check_centre_product (BqServerRequest *request,
                      const char      *centre_id,
                      const char      *product_id)
{
  const char *names[] = { "centre_id", "product_id" };
  const char *ids[] = { centre_id, product_id };
  const BqEntityType *types[] = { &bq_centre_type, &bq_product_type };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(GError) error = NULL;
      gboolean found;

      if (ids[i] == NULL)
        continue;
      if (!exists (request->server->store, types[i], ids[i], &found, &error))
        {
          bq_server_reply_gerror (request->msg, error);
          return FALSE;
        }
      if (!found)
        {
          g_autofree char *message = g_strdup_printf ("%s: there is no %s “%s”", names[i],
                                                      types[i]->name, ids[i]);

          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                                 message, names[i]);
          return FALSE;
        }
    }
  if (centre_id != NULL && !bq_policy_serves_centre (request->user, centre_id))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                             "you may only book for your own centres", "centre_id");
      return FALSE;
    }
  return TRUE;
}

/* The status of a slot engine error. */
static guint
slot_error_status (const GError *error)
{
  switch ((BqSlotError) error->code)
    {
    case BQ_SLOT_ERROR_NOT_FOUND:
      return SOUP_STATUS_NOT_FOUND;
    case BQ_SLOT_ERROR_INFEASIBLE:
    case BQ_SLOT_ERROR_INVALID:
      return SOUP_STATUS_UNPROCESSABLE_ENTITY;
    case BQ_SLOT_ERROR_SOLD_OUT:
    case BQ_SLOT_ERROR_HELD_BY_OTHER:
    case BQ_SLOT_ERROR_AFTER_CUTOFF:
    case BQ_SLOT_ERROR_CLOSED:
    case BQ_SLOT_ERROR_WRONG_STATE:
    default:
      return SOUP_STATUS_CONFLICT;
    }
}

/* {"error":{…}} for @error of any domain, with "alternatives" when given
 * (taken). */
static void
reply_error_with (BqServerRequest *request,
                  const GError    *error,
                  const char      *field,
                  JsonNode        *alternatives)
{
  g_autoptr(JsonNode) owned = alternatives;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (error->domain != BQ_SLOT_ERROR)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "error");
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "code");
  json_builder_add_string_value (builder, bq_slot_error_to_code (error));
  json_builder_set_member_name (builder, "message");
  json_builder_add_string_value (builder, error->message);
  json_builder_set_member_name (builder, "field");
  if (field != NULL)
    json_builder_add_string_value (builder, field);
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  if (owned != NULL)
    {
      json_builder_set_member_name (builder, "alternatives");
      json_builder_add_value (builder, g_steal_pointer (&owned));
    }
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, slot_error_status (error), node);
}

/* Whether a refused booking comes with alternatives. */
static gboolean
wants_alternatives (const GError *error)
{
  return error->domain == BQ_SLOT_ERROR &&
         (error->code == BQ_SLOT_ERROR_SOLD_OUT || error->code == BQ_SLOT_ERROR_HELD_BY_OTHER ||
          error->code == BQ_SLOT_ERROR_AFTER_CUTOFF || error->code == BQ_SLOT_ERROR_CLOSED);
}

/* The next best feasible slots for @order other than @except_slot, as a
 * JSON array: what a refused claim offers instead.  Empty when they
 * cannot be worked out. */
static JsonNode *
alternatives_for (BqServerRequest *request,
                  const BqOrder   *order,
                  const char      *except_slot)
{
  g_autoptr(BqSlotMatch) match = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *array = json_array_new ();
  JsonNode *node = json_node_new (JSON_NODE_ARRAY);
  BqSlotRequest slot_request;

  json_node_take_array (node, array);
  bq_slot_request_init (&slot_request);
  slot_request.centre_id = order->centre_id;
  slot_request.product_id = order->product_id;
  slot_request.prescribed_bq = order->prescribed_activity_bq;
  slot_request.admin_start = order->admin_start;
  slot_request.admin_end = order->admin_end;
  slot_request.now = bq_server_request_domain_now (request);
  slot_request.user_id = bq_entity_get_id (request->user);
  slot_request.max_options = ALTERNATIVES_MAX + 1;

  match = bq_slot_engine_match (get_engine (request->server), &slot_request, &error);
  if (match == NULL)
    {
      g_debug ("no alternatives: %s", error->message);
      return node;
    }
  for (guint i = 0; i < match->feasible->len && json_array_get_length (array) < ALTERNATIVES_MAX;
       i++)
    {
      const BqSlotOption *option = g_ptr_array_index (match->feasible, i);

      if (g_strcmp0 (bq_entity_get_id (option->slot), except_slot) == 0 ||
          !bq_server_can_see_entity (request->server, request->user, option->slot, NULL))
        continue;
      json_array_add_element (array, bq_slot_option_to_json (option));
    }
  return node;
}

/* The slot @id if the caller may see it; otherwise answers 404 (or the
 * store's error) and returns NULL. */
static BqSlot *
visible_slot (BqServerRequest *request,
              const char      *id)
{
  g_autoptr(GError) error = NULL;
  BqSlot *slot = bq_store_get (request->server->store, &bq_slot_type, id, &error);

  if (slot == NULL)
    {
      if (g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        reply_not_found (request, "slot", id);
      else
        bq_server_reply_gerror (request->msg, error);
      return NULL;
    }
  if (!bq_server_can_see_entity (request->server, request->user, slot, NULL))
    {
      bq_entity_free (slot);
      reply_not_found (request, "slot", id);
      return NULL;
    }
  return slot;
}

static BqOrder *
visible_order (BqServerRequest *request,
               const char      *id)
{
  g_autoptr(GError) error = NULL;
  BqOrder *order = bq_store_get (request->server->store, &bq_order_type, id, &error);

  if (order == NULL)
    {
      if (g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        reply_not_found (request, "order", id);
      else
        bq_server_reply_gerror (request->msg, error);
      return NULL;
    }
  if (!bq_server_can_see_entity (request->server, request->user, order, NULL))
    {
      bq_entity_free (order);
      reply_not_found (request, "order", id);
      return NULL;
    }
  return order;
}

/* Audits what the engine changed in the open transaction and finishes
 * the write: idempotency record, commit, answer @status with @text
 * (taken; NULL: the entity of @reply_type and @reply_id as it is now),
 * event.  Rolls back and answers the error on failure. */
static void
finish (BqServerRequest    *request,
        Changes            *changes,
        const char         *action,
        const char         *reason,
        guint               status,
        char               *text,
        const BqEntityType *reply_type,
        const char         *reply_id,
        gconstpointer       event_entity)
{
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  g_autofree char *owned = text;
  gconstpointer slot, order;

  if (!changes_audit (changes, store, request->now, bq_entity_get_id (request->user), action,
                      reason, &error))
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  if (owned == NULL)
    {
      g_autoptr(GError) get_error = NULL;
      gpointer entity = bq_store_get (store, reply_type, reply_id, &get_error);

      if (entity == NULL)
        {
          bq_store_rollback (store);
          bq_server_reply_gerror (request->msg, get_error);
          return;
        }
      owned = bq_entity_to_json_string (entity, FALSE);
      bq_entity_free (entity);
    }

  /* One event: the order (its centre's account managers and everyone
   * else) and the slot (a pool: every account manager). */
  slot = changes_find (changes, &bq_slot_type, NULL);
  order = changes_find (changes, &bq_order_type, NULL);
  if (event_entity != NULL)
    bq_server_finish_custom_write (request, status, g_steal_pointer (&owned), NULL,
                                   event_entity);
  else
    bq_server_finish_custom_write (request, status, g_steal_pointer (&owned), slot, order);
}

/* Answers a failed engine call in the open transaction: rolls back. */
static void
abort_with (BqServerRequest *request,
            const GError    *error,
            const char      *field,
            const BqOrder   *order_for_alternatives,
            const char      *except_slot)
{
  bq_store_rollback (request->server->store);
  if (order_for_alternatives != NULL && wants_alternatives (error))
    reply_error_with (request, error, field,
                      alternatives_for (request, order_for_alternatives, except_slot));
  else
    reply_error_with (request, error, field, NULL);
}

/* ----------------------------------------------------------------- calendar */

static int
compare_options (gconstpointer a,
                 gconstpointer b)
{
  const BqSlotOption *x = *(BqSlotOption * const *) a;
  const BqSlotOption *y = *(BqSlotOption * const *) b;

  if (x->slot->delivery_date != y->slot->delivery_date)
    return x->slot->delivery_date < y->slot->delivery_date ? -1 : 1;
  return g_strcmp0 (bq_entity_get_id (x->slot), bq_entity_get_id (y->slot));
}

void
bq_server_handle_slots_calendar (BqServerRequest *request)
{
  static const char * const params[] = { "centre", "region", "from", "days", NULL };
  BqStore *store = request->server->store;
  const char *centre_id, *region, *from_text;
  g_autoptr(GPtrArray) centres = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GPtrArray) options = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_slot_option_free);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *from_iso = NULL;
  g_autofree char *to_iso = NULL;
  guint64 days;
  gint64 now, from, to;

  if (!check_params (request, params))
    return;
  centre_id = bq_server_request_get_param (request, "centre");
  region = bq_server_request_get_param (request, "region");
  if ((centre_id == NULL) == (region == NULL))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             "give either “centre” or “region”", "centre");
      return;
    }
  if (!bq_server_request_get_uint (request, "days", CALENDAR_DAYS_DEFAULT, CALENDAR_DAYS_MAX,
                                   &days))
    return;
  if (days == 0)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "“days” must be at least 1", "days");
      return;
    }
  now = bq_server_request_domain_now (request);
  from = now - (now % DAY + DAY) % DAY;
  from_text = bq_server_request_get_param (request, "from");
  if (from_text != NULL && !bq_units_parse_time (from_text, &from, &error))
    {
      g_autofree char *message = g_strdup_printf ("“from” must be an ISO 8601 date or "
                                                  "date-time: %s", error->message);

      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message,
                             "from");
      return;
    }
  to = from + (gint64) days * DAY;

  if (centre_id != NULL)
    {
      if (!check_centre_product (request, centre_id, NULL))
        return;
      g_ptr_array_add (centres, g_strdup (centre_id));
    }
  else
    {
      g_autoptr(BqQuery) query = bq_query_new (&bq_centre_type);
      g_autoptr(GPtrArray) found = NULL;

      bq_query_where_equals (query, "region", region);
      found = bq_store_query (store, query, &error);
      if (found == NULL)
        {
          bq_server_reply_gerror (request->msg, error);
          return;
        }
      for (guint i = 0; i < found->len; i++)
        {
          const char *id = bq_entity_get_id (g_ptr_array_index (found, i));

          if (bq_policy_serves_centre (request->user, id))
            g_ptr_array_add (centres, g_strdup (id));
        }
      if (found->len > 0 && centres->len == 0)
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden",
                                 "you serve no centre of this region", "region");
          return;
        }
    }

  if (!expire_before (request))
    return;

  for (guint c = 0; c < centres->len; c++)
    {
      g_autoptr(GPtrArray) slots = bq_slot_engine_calendar (get_engine (request->server),
                                                            g_ptr_array_index (centres, c),
                                                            from, to, now, &error);

      if (slots == NULL)
        {
          reply_error_with (request, error, NULL, NULL);
          return;
        }
      for (guint i = 0; i < slots->len; i++)
        {
          BqSlotOption *option = g_ptr_array_index (slots, i);
          const char *id = bq_entity_get_id (option->slot);

          if (g_hash_table_contains (seen, id))
            continue;
          g_hash_table_add (seen, (gpointer) id);
          g_ptr_array_add (options, option);
          slots->pdata[i] = NULL;  /* moved */
        }
      g_ptr_array_set_free_func (slots, NULL);
    }

  /* By delivery date, then id, as the engine gives one centre's. */
  if (centres->len > 1)
    g_ptr_array_sort (options, compare_options);

  from_iso = bq_units_format_time (from);
  to_iso = bq_units_format_time (to);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "centre_id");
  if (centre_id != NULL)
    json_builder_add_string_value (builder, centre_id);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "region");
  if (region != NULL)
    json_builder_add_string_value (builder, region);
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from_iso);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to_iso);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, bq_store_get_revision (store));
  json_builder_set_member_name (builder, "slots");
  json_builder_begin_array (builder);
  for (guint i = 0; i < options->len; i++)
    json_builder_add_value (builder, bq_slot_option_to_json (g_ptr_array_index (options, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* -------------------------------------------------------------------- match */

void
bq_server_handle_slots_match (BqServerRequest *request)
{
  static const char * const members[] = {
    "centre_id", "product_id", "prescribed_activity_bq", "admin_start", "admin_end",
    "max_options", NULL,
  };
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(BqSlotMatch) match = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  BqSlotRequest slot_request;
  JsonObject *object;
  JsonNode *max_node;
  const char *centre_id, *product_id;

  if (!check_params (request, (const char * const []) { NULL }))
    return;
  body = bq_server_request_parse_body (request);
  if (body == NULL)
    return;
  object = json_node_get_object (body);

  bq_slot_request_init (&slot_request);
  if (!check_members (request, object, members) ||
      !string_member (request, object, "centre_id", TRUE, &centre_id) ||
      !string_member (request, object, "product_id", TRUE, &product_id) ||
      !activity_member (request, object, "prescribed_activity_bq", &slot_request.prescribed_bq) ||
      !time_member (request, object, "admin_start", TRUE, &slot_request.admin_start) ||
      !time_member (request, object, "admin_end", TRUE, &slot_request.admin_end))
    return;
  if (slot_request.admin_end < slot_request.admin_start)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             "admin_end: the administration window ends before it starts",
                             "admin_end");
      return;
    }
  max_node = json_object_get_member (object, "max_options");
  if (max_node != NULL && !JSON_NODE_HOLDS_NULL (max_node))
    {
      if (!JSON_NODE_HOLDS_VALUE (max_node) || json_node_get_value_type (max_node) != G_TYPE_INT64 ||
          json_node_get_int (max_node) < 0 || json_node_get_int (max_node) > 1000)
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                                 "max_options: an integer from 0 (all) to 1000", "max_options");
          return;
        }
      slot_request.max_options = (guint) json_node_get_int (max_node);
    }
  if (!check_centre_product (request, centre_id, product_id) || !expire_before (request))
    return;

  slot_request.centre_id = centre_id;
  slot_request.product_id = product_id;
  slot_request.now = bq_server_request_domain_now (request);
  slot_request.user_id = bq_entity_get_id (request->user);
  match = bq_slot_engine_match (get_engine (request->server), &slot_request, &error);
  if (match == NULL)
    {
      reply_error_with (request, error, NULL, NULL);
      return;
    }
  node = bq_slot_match_to_json (match);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* --------------------------------------------------------------------- holds */

static void
handle_hold (BqServerRequest *request,
             gboolean         hold)
{
  BqStore *store = request->server->store;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GError) error = NULL;
  Changes changes = { 0, };
  const char *reason;
  gboolean answered, ok;

  if (!check_role (request, BOOKERS, "only administrators, planners and account managers "
                                     "may hold slots") ||
      !check_params (request, (const char * const []) { NULL }) ||
      bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  body = optional_body (request, &answered);
  if (answered || (body != NULL &&
                   !check_members (request, json_node_get_object (body),
                                   (const char * const []) { NULL })))
    return;
  if (!expire_before (request))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  slot = visible_slot (request, request->id);
  if (slot == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  changes_init (&changes, store);
  changes_remember (&changes, slot);
  if (hold)
    ok = bq_slot_engine_hold (get_engine (request->server), request->id,
                              bq_entity_get_id (request->user),
                              bq_server_request_domain_now (request), NULL, &error);
  else
    ok = bq_slot_engine_release_hold (get_engine (request->server), request->id,
                                      bq_entity_get_id (request->user), &error);
  if (!ok)
    abort_with (request, error, NULL, NULL, NULL);
  else
    finish (request, &changes, hold ? "hold" : "release_hold", reason, SOUP_STATUS_OK, NULL,
            &bq_slot_type, request->id, NULL);
  changes_clear (&changes);
}

void
bq_server_handle_slot_hold (BqServerRequest *request)
{
  handle_hold (request, TRUE);
}

void
bq_server_handle_slot_release_hold (BqServerRequest *request)
{
  handle_hold (request, FALSE);
}

/* -------------------------------------------------------------------- claim */

void
bq_server_handle_slot_claim (BqServerRequest *request)
{
  static const char * const members[] = {
    "centre_id", "product_id", "patient_ref", "prescribed_activity_bq", "admin_start",
    "admin_end", NULL,
  };
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  Changes changes = { 0, };
  const char *reason;

  if (!check_role (request, BOOKERS, "only administrators, planners and account managers "
                                     "may book slots") ||
      !check_params (request, (const char * const []) { NULL }) ||
      bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  body = bq_server_request_parse_body (request);
  if (body == NULL || !check_members (request, json_node_get_object (body), members))
    return;
  /* The order codec checks what the orders endpoint checks: required
   * fields, a pseudonymous patient reference (never a name), the window. */
  order = bq_entity_from_json (&bq_order_type, body, BQ_JSON_DEFAULT, &error);
  if (order == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  BQ_ENTITY (order)->revision = 0;
  if (!check_centre_product (request, order->centre_id, order->product_id) ||
      !expire_before (request))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  slot = visible_slot (request, request->id);
  if (slot == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  changes_init (&changes, store);
  changes_remember (&changes, slot);
  if (!bq_slot_engine_claim (get_engine (request->server), request->id, order,
                             bq_entity_get_id (request->user),
                             bq_server_request_domain_now (request), &error))
    abort_with (request, error, NULL, order, request->id);
  else
    {
      g_autofree char *escaped = g_uri_escape_string (bq_entity_get_id (order), NULL, FALSE);
      g_autofree char *location = g_strdup_printf ("/api/v1/orders/%s", escaped);

      soup_message_headers_replace (soup_server_message_get_response_headers (request->msg),
                                    "Location", location);
      finish (request, &changes, "claim", reason, SOUP_STATUS_CREATED, NULL, &bq_order_type,
              bq_entity_get_id (order), NULL);
    }
  changes_clear (&changes);
}

/* ------------------------------------------------------------------- orders */

typedef enum {
  ORDER_CONFIRM,
  ORDER_CANCEL,
  ORDER_RESCHEDULE,
} OrderAction;

static void
handle_order (BqServerRequest *request,
              OrderAction      action)
{
  static const char * const none[] = { NULL };
  static const char * const reschedule_members[] = {
    "slot_id", "admin_start", "admin_end", NULL,
  };
  static const char * const names[] = { "confirm", "cancel", "reschedule" };
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(BqSlot) new_slot = NULL;
  g_autoptr(GError) error = NULL;
  Changes changes = { 0, };
  const char *reason, *slot_id = NULL;
  gint64 admin_start = BQ_TIME_UNSET, admin_end = BQ_TIME_UNSET;
  gboolean answered, ok;

  if (!check_role (request, ORDER_HANDLERS, "your role may not confirm, cancel or "
                                            "reschedule orders") ||
      !check_params (request, none) ||
      bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  if (action == ORDER_RESCHEDULE)
    {
      JsonObject *object;

      body = bq_server_request_parse_body (request);
      if (body == NULL)
        return;
      object = json_node_get_object (body);
      if (!check_members (request, object, reschedule_members) ||
          !string_member (request, object, "slot_id", TRUE, &slot_id) ||
          !time_member (request, object, "admin_start", FALSE, &admin_start) ||
          !time_member (request, object, "admin_end", FALSE, &admin_end))
        return;
    }
  else
    {
      body = optional_body (request, &answered);
      if (answered || (body != NULL && !check_members (request, json_node_get_object (body), none)))
        return;
    }
  if (!expire_before (request))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  order = visible_order (request, request->id);
  if (order == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  changes_init (&changes, store);
  changes_remember (&changes, order);
  if (order->slot_id != NULL)
    {
      g_autoptr(BqSlot) old_slot = bq_store_get (store, &bq_slot_type, order->slot_id, NULL);

      if (old_slot != NULL)
        changes_remember (&changes, old_slot);
    }

  switch (action)
    {
    case ORDER_CONFIRM:
      ok = bq_slot_engine_confirm (get_engine (request->server), request->id, &error);
      break;
    case ORDER_CANCEL:
      ok = bq_slot_engine_cancel (get_engine (request->server), request->id, &error);
      break;
    case ORDER_RESCHEDULE:
    default:
      {
        g_autoptr(GError) get_error = NULL;

        new_slot = bq_store_get (store, &bq_slot_type, slot_id, &get_error);
        if (new_slot == NULL ||
            !bq_server_can_see_entity (request->server, request->user, new_slot, NULL))
          {
            g_autofree char *message = g_strdup_printf ("slot_id: there is no slot “%s”",
                                                        slot_id);

            bq_store_rollback (store);
            if (new_slot == NULL &&
                !g_error_matches (get_error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
              bq_server_reply_gerror (request->msg, get_error);
            else
              bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                                     message, "slot_id");
            changes_clear (&changes);
            return;
          }
        changes_remember (&changes, new_slot);
        ok = bq_slot_engine_reschedule (get_engine (request->server), request->id, slot_id,
                                        admin_start, admin_end,
                                        bq_entity_get_id (request->user),
                                        bq_server_request_domain_now (request), &error);
      }
      break;
    }

  if (!ok)
    {
      if (action == ORDER_RESCHEDULE)
        {
          /* The alternatives are for the order in its new window. */
          if (admin_start != BQ_TIME_UNSET)
            order->admin_start = admin_start;
          if (admin_end != BQ_TIME_UNSET)
            order->admin_end = admin_end;
          abort_with (request, error, "slot_id", order, slot_id);
        }
      else
        abort_with (request, error, NULL, NULL, NULL);
    }
  else
    finish (request, &changes, names[action], reason, SOUP_STATUS_OK, NULL, &bq_order_type,
            request->id, NULL);
  changes_clear (&changes);
}

void
bq_server_handle_order_confirm (BqServerRequest *request)
{
  handle_order (request, ORDER_CONFIRM);
}

void
bq_server_handle_order_cancel (BqServerRequest *request)
{
  handle_order (request, ORDER_CANCEL);
}

void
bq_server_handle_order_reschedule (BqServerRequest *request)
{
  handle_order (request, ORDER_RESCHEDULE);
}

/* ------------------------------------------------------------ re-allocation */

static BqRun *
get_run (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;
  BqRun *run = bq_store_get (request->server->store, &bq_run_type, request->id, &error);

  if (run == NULL)
    {
      if (g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        reply_not_found (request, "run", request->id);
      else
        bq_server_reply_gerror (request->msg, error);
    }
  return run;
}

void
bq_server_handle_run_affected_orders (BqServerRequest *request)
{
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqSlotReallocation) proposal = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!check_role (request, REALLOCATORS, "only administrators, planners and logistics may "
                                          "re-allocate orders") ||
      !check_params (request, (const char * const []) { NULL }))
    return;
  run = get_run (request);
  if (run == NULL || !expire_before (request))
    return;
  proposal = bq_slot_engine_affected_orders (get_engine (request->server), request->id,
                                             bq_server_request_domain_now (request), &error);
  if (proposal == NULL)
    {
      reply_error_with (request, error, NULL, NULL);
      return;
    }
  node = bq_slot_reallocation_to_json (proposal);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
bq_server_handle_run_reallocate (BqServerRequest *request)
{
  BqStore *store = request->server->store;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqSlotReallocation) result = NULL;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autoptr(GError) error = NULL;
  Changes changes = { 0, };
  const char *reason;
  gboolean answered;

  if (!check_role (request, REALLOCATORS, "only administrators, planners and logistics may "
                                          "re-allocate orders") ||
      !check_params (request, (const char * const []) { NULL }) ||
      bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  body = optional_body (request, &answered);
  if (answered || (body != NULL && !check_members (request, json_node_get_object (body),
                                                   (const char * const []) { NULL })))
    return;
  if (!expire_before (request))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  run = get_run (request);
  if (run == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  changes_init (&changes, store);
  /* Everything it may touch: the run's slots and orders, and the open
   * slots of the product the orders may move to. */
  if (!changes_remember_where (&changes, store, &bq_slot_type,
                               "SELECT s.id FROM slots s JOIN runs r ON r.id = s.run_id "
                               "WHERE r.product_id = ?1 AND s.status IN "
                               "('open', 'held', 'claimed', 'confirmed')",
                               run->product_id, &error) ||
      !changes_remember_where (&changes, store, &bq_slot_type,
                               "SELECT id FROM slots WHERE run_id = ?1", request->id, &error) ||
      !changes_remember_where (&changes, store, &bq_order_type,
                               "SELECT id FROM orders WHERE run_id = ?1", request->id, &error))
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      changes_clear (&changes);
      return;
    }
  result = bq_slot_engine_reallocate (get_engine (request->server), request->id,
                                      bq_server_request_domain_now (request), &error);
  if (result == NULL)
    abort_with (request, error, NULL, NULL, NULL);
  else
    {
      node = bq_slot_reallocation_to_json (result);
      /* Orders of many centres may move: runs are seen by everyone. */
      finish (request, &changes, "reallocate", reason, SOUP_STATUS_OK,
              bq_server_json_to_string (node), NULL, NULL, run);
    }
  changes_clear (&changes);
}

/* ----------------------------------------------------------- run changes */

gboolean
bq_server_slots_run_changed (BqServerRequest  *request,
                             const BqRun      *before,
                             const BqRun      *after,
                             const char       *reason,
                             GError          **error)
{
  BqStore *store;
  Changes changes = { 0, };
  g_autoptr(BqSlotSync) sync = NULL;
  gboolean ok;

  g_return_val_if_fail (request != NULL, FALSE);
  g_return_val_if_fail (before != NULL && after != NULL, FALSE);

  /* What the slots depend on: where and when the run is, how much it
   * makes, and whether it still will. */
  if (before->status == after->status && g_strcmp0 (before->line_id, after->line_id) == 0 &&
      g_strcmp0 (before->product_id, after->product_id) == 0 &&
      before->start_time == after->start_time && before->eos_time == after->eos_time &&
      before->calibration_time == after->calibration_time &&
      before->dose_capacity == after->dose_capacity &&
      (before->activity_eos_bq == after->activity_eos_bq ||
       (isnan (before->activity_eos_bq) && isnan (after->activity_eos_bq))))
    return TRUE;

  store = request->server->store;
  changes_init (&changes, store);
  ok = changes_remember_where (&changes, store, &bq_slot_type,
                               "SELECT id FROM slots WHERE run_id = ?1",
                               bq_entity_get_id (after), error);
  if (ok)
    {
      sync = bq_slot_engine_reconcile_run (get_engine (request->server),
                                           bq_entity_get_id (after),
                                           bq_server_request_domain_now (request), error);
      ok = sync != NULL &&
           changes_audit (&changes, store, request->now, bq_entity_get_id (request->user),
                          "reconcile", reason, error);
    }
  changes_clear (&changes);
  return ok;
}

/* ----------------------------------------------------- generic slot writes */

gboolean
bq_server_slots_check_generic_update (gconstpointer   before,
                                      gconstpointer   after,
                                      const char    **field)
{
  static const char * const booking_fields[] = {
    "claimed", "held", "held_by", "hold_expires", "status", NULL,
  };
  const BqEntityType *type;

  g_return_val_if_fail (after != NULL, FALSE);

  *field = NULL;
  type = BQ_ENTITY (after)->type;
  if (type == &bq_order_type)
    {
      const BqOrder *a = after;
      const BqOrder *b = before;

      /* An order gets, changes and gives back its slot only through the
       * engine (claim, reschedule, cancel), which keeps the slot's count
       * of claimed doses true; a plain write could sell a dose twice or
       * never give it back. */
      if (b == NULL)
        {
          if (a->slot_id != NULL)
            *field = "slot_id";
        }
      else if (g_strcmp0 (a->slot_id, b->slot_id) != 0)
        *field = "slot_id";
      else if (b->slot_id != NULL && a->status != b->status &&
               a->status == BQ_ORDER_CANCELLED)
        *field = "status";
      return *field == NULL;
    }
  if (type != &bq_slot_type)
    return TRUE;
  if (before == NULL)
    {
      const BqSlot *slot = after;

      /* A new slot is open and unbooked; bookings come through claims. */
      if (slot->claimed != 0)
        *field = "claimed";
      else if (slot->held != 0 || slot->held_by != NULL || slot->hold_expires != BQ_TIME_UNSET)
        *field = "held";
      return *field == NULL;
    }
  for (guint i = 0; booking_fields[i] != NULL; i++)
    {
      const BqField *f = bq_entity_type_get_field (type, booking_fields[i]);
      gconstpointer pa = BQ_FIELD_PTR (before, f);
      gconstpointer pb = BQ_FIELD_PTR (after, f);
      gboolean same;

      if (f->type == BQ_FIELD_STRING)
        same = g_strcmp0 (*(char * const *) pa, *(char * const *) pb) == 0;
      else if (f->type == BQ_FIELD_ENUM)
        same = *(const int *) pa == *(const int *) pb;
      else
        same = *(const gint64 *) pa == *(const gint64 *) pb;  /* int and time */
      if (!same)
        {
          *field = booking_fields[i];
          return FALSE;
        }
    }
  return TRUE;
}
