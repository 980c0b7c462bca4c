/* bq-server-network.c — the distribution network over HTTP: routes,
 * the network as GeoJSON, shipment events and re-routing proposals
 *
 * The router (bq-route.h) is built from the store for each request: the
 * timetable expanded over the days the question needs, with the legs the
 * store holds (a cancelled departure is gone, a late one arrives late).
 *
 * A shipment event (a leg departed, arrived, is late or cancelled) is one
 * write: the leg, the shipment and, when the dose needs another way, a
 * re-routing proposal, with their audit entries, in one transaction.
 * Proposals live in the reroute_proposals table beside the entities;
 * accepting one replaces the shipment's remaining legs, which reaches
 * clients through the change feed like any other change.
 *
 * Account managers may read routes to the centres they serve and the
 * proposals of their centres' shipments; they may not report events or
 * decide proposals (the policy's shipment_leg update right).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-audit.h"
#include "bq-geojson.h"
#include "bq-json.h"
#include "bq-lifecycle.h"
#include "bq-model.h"
#include "bq-policy.h"
#include "bq-route.h"
#include "bq-server-private.h"
#include "bq-units.h"

#define DAY            G_GINT64_CONSTANT (86400)
#define MAX_LEGS_LIMIT 16
#define GEOJSON_CONTENT_TYPE "application/geo+json"

/* ------------------------------------------------------------------ helpers */

static void
reply_forbidden (BqServerRequest *request,
                 const char      *message,
                 const char      *field)
{
  bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, field);
}

static void
reply_geojson (BqServerRequest *request,
               JsonNode        *node)
{
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);
  char *text = bq_server_json_to_string (node);

  soup_message_headers_replace (headers, "Cache-Control", "no-store");
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_server_message_set_response (request->msg, GEOJSON_CONTENT_TYPE, SOUP_MEMORY_TAKE,
                                    text, strlen (text));
}

static const char *
required_param (BqServerRequest *request,
                const char      *name)
{
  const char *value = bq_server_request_get_param (request, name);

  if (value == NULL || *value == '\0')
    {
      g_autofree char *message = g_strdup_printf ("“%s” is required", name);

      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             message, name);
      return NULL;
    }
  return value;
}

/* ------------------------------------------------------------------ routes */

void
bq_server_handle_routes (BqServerRequest *request)
{
  static const char * const params[] = {
    "from", "to", "depart_after", "product", "activity", "admin_start", "admin_end",
    "max_legs", "window_s", "format", NULL,
  };
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqRouter) router = NULL;
  g_autoptr(BqProduct) product = NULL;
  g_autoptr(GPtrArray) routes = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  const char *from, *to, *after_text, *product_id, *activity_text, *format;
  gint64 after = 0, admin_start = BQ_TIME_UNSET, admin_end = BQ_TIME_UNSET;
  guint64 max_legs, window_s;
  double activity = NAN;
  gboolean geojson = FALSE;
  BqRouteQuery query;

  if (!bq_policy_allows (request->user, BQ_ACTION_READ, &bq_lane_type))
    {
      reply_forbidden (request, "your role may not read routes", NULL);
      return;
    }
  if (!bq_server_request_check_params (request, params))
    return;
  from = required_param (request, "from");
  if (from == NULL)
    return;
  to = required_param (request, "to");
  if (to == NULL)
    return;
  after_text = required_param (request, "depart_after");
  if (after_text == NULL || !bq_server_request_get_time_param (request, "depart_after", &after) ||
      !bq_server_request_get_time_param (request, "admin_start", &admin_start) ||
      !bq_server_request_get_time_param (request, "admin_end", &admin_end) ||
      !bq_server_request_get_uint (request, "max_legs", 0, MAX_LEGS_LIMIT, &max_legs) ||
      !bq_server_request_get_uint (request, "window_s", 0, 7 * DAY, &window_s))
    return;
  if ((admin_start == BQ_TIME_UNSET) != (admin_end == BQ_TIME_UNSET) ||
      (admin_start != BQ_TIME_UNSET && admin_end < admin_start))
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             "give both “admin_start” and “admin_end”, the end after the start",
                             "admin_end");
      return;
    }
  format = bq_server_request_get_param (request, "format");
  if (format != NULL)
    {
      if (strcmp (format, "geojson") == 0)
        geojson = TRUE;
      else if (strcmp (format, "json") != 0)
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad_enum",
                                 "“format” is json or geojson", "format");
          return;
        }
    }
  activity_text = bq_server_request_get_param (request, "activity");
  if (activity_text != NULL && !bq_units_parse_activity (activity_text, &activity, &error))
    {
      g_autofree char *message = g_strdup_printf ("“activity”: %s", error->message);

      bq_server_reply_error (request->msg, SOUP_STATUS_BAD_REQUEST, "bad_request", message,
                             "activity");
      return;
    }

  /* Account managers plan for their own centres only. */
  if (!bq_policy_serves_centre (request->user, to))
    {
      reply_forbidden (request, "you may only look for routes to your own centres", "to");
      return;
    }

  product_id = bq_server_request_get_param (request, "product");
  if (product_id != NULL)
    {
      product = bq_store_get (store, &bq_product_type, product_id, &error);
      if (product == NULL)
        {
          g_autofree char *message = g_strdup_printf ("there is no product “%s”", product_id);

          if (!g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
            {
              bq_server_reply_gerror (request->msg, error);
              return;
            }
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                                 message, "product");
          return;
        }
    }

  router = bq_router_new_from_store (store, after - DAY, after + 8 * DAY, &error);
  if (router == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  if (bq_router_lookup_place (router, from) < 0 || bq_router_lookup_place (router, to) < 0)
    {
      const char *which = bq_router_lookup_place (router, from) < 0 ? "from" : "to";
      g_autofree char *message = g_strdup_printf ("“%s” is not a site, hub or centre of "
                                                  "the network",
                                                  strcmp (which, "from") == 0 ? from : to);

      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_place",
                             message, which);
      return;
    }

  bq_route_query_init (&query);
  query.from_id = from;
  query.to_id = to;
  query.depart_after = after;
  query.window_s = (gint64) window_s;
  query.max_legs = (guint) max_legs;
  query.product = product;
  if (product != NULL)
    query.activity_bq = isnan (activity) ? product->dose_activity_bq : activity;
  query.admin_start = admin_start;
  query.admin_end = admin_end;
  routes = bq_router_find_routes (router, &query, &error);
  if (routes == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  if (geojson)
    {
      /* Every route's features in one collection, each tagged with the
       * index of its route (0 is the best). */
      g_autoptr(JsonNode) collection = json_node_new (JSON_NODE_OBJECT);
      JsonObject *object = json_object_new ();
      JsonArray *features = json_array_new ();

      json_object_set_string_member (object, "type", "FeatureCollection");
      for (guint i = 0; i < routes->len; i++)
        {
          g_autoptr(JsonNode) one = bq_geojson_route (router, g_ptr_array_index (routes, i));
          JsonArray *more = json_object_get_array_member (json_node_get_object (one), "features");

          for (guint f = 0; f < json_array_get_length (more); f++)
            {
              JsonObject *feature = json_array_get_object_element (more, f);
              JsonObject *properties = json_object_get_object_member (feature, "properties");

              if (properties != NULL)
                json_object_set_int_member (properties, "route", i);
              json_array_add_element (features, json_node_copy (json_array_get_element (more, f)));
            }
        }
      json_object_set_array_member (object, "features", features);
      json_node_take_object (collection, object);
      reply_geojson (request, collection);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "from", from);
  bq_json_add_string_member (builder, "to", to);
  bq_json_add_time_member (builder, "depart_after", after);
  bq_json_add_string_member (builder, "product_id", product != NULL ? bq_entity_get_id (product) : NULL);
  json_builder_set_member_name (builder, "routes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < routes->len; i++)
    json_builder_add_value (builder, bq_route_to_json (g_ptr_array_index (routes, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

void
bq_server_handle_network (BqServerRequest *request)
{
  BqStore *store = request->server->store;
  g_autoptr(GPtrArray) places = NULL;
  g_autoptr(GPtrArray) lanes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!bq_policy_allows (request->user, BQ_ACTION_READ, &bq_lane_type))
    {
      reply_forbidden (request, "your role may not read the network", NULL);
      return;
    }
  if (!bq_server_request_check_params (request, (const char * const []) { NULL }))
    return;

  places = bq_router_list_places (store, &error);
  if (places == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  lanes = bq_store_list (store, &bq_lane_type, &error);
  if (lanes == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  node = bq_geojson_network (places, lanes);
  reply_geojson (request, node);
}

/* --------------------------------------------------------------- proposals */

typedef struct {
  char   *id;
  char   *shipment_id;
  char   *leg_id;
  gint64  from_seq;
  gint64  created_at;
  char   *created_by;
  gint64  revision;
  char   *outcome;
  char   *reason;
  char   *message;
  char   *reroute;      /* JSON text */
  char   *status;
  gint64  decided_at;
  char   *decided_by;
} Proposal;

static void
proposal_free (Proposal *p)
{
  if (p == NULL)
    return;
  g_free (p->id);
  g_free (p->shipment_id);
  g_free (p->leg_id);
  g_free (p->created_by);
  g_free (p->outcome);
  g_free (p->reason);
  g_free (p->message);
  g_free (p->reroute);
  g_free (p->status);
  g_free (p->decided_by);
  g_free (p);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC (Proposal, proposal_free)

#define PROPOSAL_COLUMNS "id, shipment_id, leg_id, from_seq, created_at, created_by, revision, " \
                         "outcome, reason, message, reroute, status, decided_at, decided_by"

static char *
column_text (sqlite3_stmt *stmt,
             int           i)
{
  const unsigned char *text = sqlite3_column_text (stmt, i);
  return text != NULL ? g_strdup ((const char *) text) : NULL;
}

static Proposal *
proposal_from_row (sqlite3_stmt *stmt)
{
  Proposal *p = g_new0 (Proposal, 1);

  p->id = column_text (stmt, 0);
  p->shipment_id = column_text (stmt, 1);
  p->leg_id = column_text (stmt, 2);
  p->from_seq = sqlite3_column_int64 (stmt, 3);
  p->created_at = sqlite3_column_int64 (stmt, 4);
  p->created_by = column_text (stmt, 5);
  p->revision = sqlite3_column_int64 (stmt, 6);
  p->outcome = column_text (stmt, 7);
  p->reason = column_text (stmt, 8);
  p->message = column_text (stmt, 9);
  p->reroute = column_text (stmt, 10);
  p->status = column_text (stmt, 11);
  p->decided_at = sqlite3_column_type (stmt, 12) == SQLITE_NULL ? BQ_TIME_UNSET
                                                               : sqlite3_column_int64 (stmt, 12);
  p->decided_by = column_text (stmt, 13);
  return p;
}

static void
set_db_error (sqlite3  *db,
              GError  **error,
              const char *what)
{
  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED, "%s: %s", what, sqlite3_errmsg (db));
}

/* The proposals of @shipment_id, newest first; or the one @id (NULL: all). */
static GPtrArray *
load_proposals (BqStore     *store,
                const char  *shipment_id,
                const char  *id,
                GError     **error)
{
  sqlite3 *db = bq_store_get_db (store);
  g_autoptr(BqServerStmt) stmt = NULL;
  g_autoptr(GPtrArray) proposals = g_ptr_array_new_with_free_func ((GDestroyNotify) proposal_free);
  int rc;

  rc = sqlite3_prepare_v2 (db, "SELECT " PROPOSAL_COLUMNS " FROM reroute_proposals "
                               "WHERE shipment_id = ?1 AND (?2 IS NULL OR id = ?2) "
                               "ORDER BY created_at DESC, rowid DESC", -1, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      set_db_error (db, error, "cannot read reroute_proposals");
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, shipment_id, -1, SQLITE_STATIC);
  if (id != NULL)
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 2);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (proposals, proposal_from_row (stmt));
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "cannot read reroute_proposals");
      return NULL;
    }
  return g_steal_pointer (&proposals);
}

static gboolean
insert_proposal (BqStore         *store,
                 const Proposal  *p,
                 GError         **error)
{
  sqlite3 *db = bq_store_get_db (store);
  g_autoptr(BqServerStmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, "INSERT INTO reroute_proposals (" PROPOSAL_COLUMNS ") "
                               "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, "
                               "NULL, NULL)", -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, p->id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 2, p->shipment_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 3, p->leg_id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 4, p->from_seq);
      sqlite3_bind_int64 (stmt, 5, p->created_at);
      sqlite3_bind_text (stmt, 6, p->created_by, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 7, p->revision);
      sqlite3_bind_text (stmt, 8, p->outcome, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 9, p->reason, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 10, p->message, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 11, p->reroute, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 12, p->status, -1, SQLITE_STATIC);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "cannot store the re-routing proposal");
      return FALSE;
    }
  return TRUE;
}

/* Sets the status of @id, or of every open proposal of @shipment_id but
 * @id when @others. */
static gboolean
decide_proposals (BqStore     *store,
                  const char  *shipment_id,
                  const char  *id,
                  gboolean     others,
                  const char  *status,
                  gint64       at,
                  const char  *user_id,
                  GError     **error)
{
  sqlite3 *db = bq_store_get_db (store);
  g_autoptr(BqServerStmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, others
                           ? "UPDATE reroute_proposals SET status = ?1, decided_at = ?2, "
                             "decided_by = ?3 WHERE shipment_id = ?4 AND status = 'proposed' "
                             "AND (?5 IS NULL OR id != ?5)"
                           : "UPDATE reroute_proposals SET status = ?1, decided_at = ?2, "
                             "decided_by = ?3 WHERE shipment_id = ?4 AND id = ?5",
                           -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    {
      sqlite3_bind_text (stmt, 1, status, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, at);
      sqlite3_bind_text (stmt, 3, user_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, shipment_id, -1, SQLITE_STATIC);
      if (id != NULL)
        sqlite3_bind_text (stmt, 5, id, -1, SQLITE_STATIC);
      else
        sqlite3_bind_null (stmt, 5);
      rc = sqlite3_step (stmt);
    }
  if (rc != SQLITE_DONE)
    {
      set_db_error (db, error, "cannot update reroute_proposals");
      return FALSE;
    }
  return TRUE;
}

static JsonNode *
proposal_to_json (const Proposal *p)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(JsonNode) reroute = NULL;

  json_builder_begin_object (builder);
  bq_json_add_string_member (builder, "id", p->id);
  bq_json_add_string_member (builder, "shipment_id", p->shipment_id);
  bq_json_add_string_member (builder, "leg_id", p->leg_id);
  json_builder_set_member_name (builder, "from_seq");
  json_builder_add_int_value (builder, p->from_seq);
  bq_json_add_time_member (builder, "created_at", p->created_at);
  bq_json_add_string_member (builder, "created_by", p->created_by);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, p->revision);
  bq_json_add_string_member (builder, "outcome", p->outcome);
  bq_json_add_string_member (builder, "reason", p->reason);
  bq_json_add_string_member (builder, "message", p->message);
  bq_json_add_string_member (builder, "status", p->status);
  bq_json_add_time_member (builder, "decided_at", p->decided_at);
  bq_json_add_string_member (builder, "decided_by", p->decided_by);
  json_builder_set_member_name (builder, "reroute");
  reroute = p->reroute != NULL ? json_from_string (p->reroute, NULL) : NULL;
  if (reroute != NULL)
    json_builder_add_value (builder, g_steal_pointer (&reroute));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  return json_builder_get_root (builder);
}

/* --------------------------------------------------------------- shipments */

/* The shipment of the path, if the caller may see it: otherwise answered
 * (404 in the words of a missing one) and NULL. */
static BqShipment *
get_visible_shipment (BqServerRequest *request)
{
  g_autoptr(GError) error = NULL;
  BqShipment *shipment;

  shipment = bq_store_get (request->server->store, &bq_shipment_type, request->id, &error);
  if (shipment == NULL && !g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
    {
      bq_server_reply_gerror (request->msg, error);
      return NULL;
    }
  if (shipment == NULL ||
      !bq_server_can_see_entity (request->server, request->user, shipment, NULL))
    {
      g_autofree char *message = g_strdup_printf ("there is no shipment “%s”", request->id);

      bq_entity_free (shipment);
      bq_server_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", message, NULL);
      return NULL;
    }
  return shipment;
}

static GPtrArray *
load_legs (BqStore     *store,
           const char  *shipment_id,
           GError     **error)
{
  g_autoptr(BqQuery) query = bq_query_new (&bq_shipment_leg_type);

  bq_query_where_equals (query, "shipment_id", shipment_id);
  bq_query_order_by (query, "seq", FALSE);
  return bq_store_query (store, query, error);
}

/* What the dose needs: its product, its activity, the tightest
 * administration window of the orders it carries. */
static gboolean
shipment_requirements (BqStore           *store,
                       const BqShipment  *shipment,
                       BqRouteQuery      *q,
                       BqProduct        **product_out,
                       GError           **error)
{
  g_autoptr(BqRun) run = NULL;
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) local_error = NULL;
  BqProduct *product;

  bq_route_query_init (q);
  *product_out = NULL;
  run = bq_store_get (store, &bq_run_type, shipment->run_id, &local_error);
  if (run == NULL)
    {
      /* A shipment always has its run (a foreign key); but a store error
       * is an error. */
      g_propagate_error (error, g_steal_pointer (&local_error));
      return FALSE;
    }
  product = bq_store_get (store, &bq_product_type, run->product_id, error);
  if (product == NULL)
    return FALSE;
  *product_out = product;
  q->product = product;
  /* Each dose is its share of the batch at the end of synthesis. */
  if (run->dose_capacity > 0 && isfinite (run->activity_eos_bq) && run->activity_eos_bq > 0)
    {
      q->activity_bq = run->activity_eos_bq / (double) run->dose_capacity;
      q->activity_time = run->eos_time;
    }
  else
    {
      q->activity_bq = product->dose_activity_bq;
      q->activity_time = run->calibration_time != BQ_TIME_UNSET ? run->calibration_time
                                                                : run->eos_time;
    }

  query = bq_query_new (&bq_order_type);
  bq_query_where_equals (query, "shipment_id", bq_entity_get_id (shipment));
  orders = bq_store_query (store, query, error);
  if (orders == NULL)
    return FALSE;
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      if (order->status == BQ_ORDER_CANCELLED)
        continue;
      if (q->admin_end == BQ_TIME_UNSET || order->admin_end < q->admin_end)
        {
          q->admin_start = order->admin_start;
          q->admin_end = order->admin_end;
        }
      if (isfinite (order->prescribed_activity_bq) && order->prescribed_activity_bq > 0 &&
          (isnan (q->prescribed_bq) || order->prescribed_activity_bq > q->prescribed_bq))
        q->prescribed_bq = order->prescribed_activity_bq;
    }
  return TRUE;
}

/* Puts @after (a changed copy of @before) with its audit entry. */
static gboolean
write_entity (BqServerRequest  *request,
              const char       *reason,
              gconstpointer     before,
              gpointer          after,
              GError          **error)
{
  if (before != NULL && bq_entity_equal (before, after))
    return TRUE;
  if ((before != NULL ? !bq_lifecycle_check_update (before, after, error)
                      : !bq_lifecycle_check_create (after, error)) ||
      !bq_store_put (request->server->store, after, error))
    return FALSE;
  return bq_audit_append (request->server->store, request->now,
                          bq_entity_get_id (request->user), before != NULL ? "update" : "create",
                          before, after, reason, error);
}

static gboolean
may_report (BqServerRequest *request)
{
  if (bq_policy_allows (request->user, BQ_ACTION_UPDATE, &bq_shipment_leg_type) &&
      bq_policy_allows (request->user, BQ_ACTION_UPDATE, &bq_shipment_type))
    return TRUE;
  reply_forbidden (request, "only logistics and administrators may report shipment events "
                            "and decide re-routing", NULL);
  return FALSE;
}

typedef enum {
  EVENT_DEPARTED,
  EVENT_ARRIVED,
  EVENT_LATE,
  EVENT_CANCELLED,
} EventKind;

static const char * const event_kinds[] = { "departed", "arrived", "late", "cancelled", NULL };

/* A string member: NULL when absent; FALSE when answered (wrong type). */
static gboolean
string_member (BqServerRequest  *request,
               JsonObject       *object,
               const char       *name,
               const char      **value)
{
  JsonNode *member = json_object_get_member (object, name);

  *value = NULL;
  if (member == NULL || JSON_NODE_HOLDS_NULL (member))
    return TRUE;
  if (JSON_NODE_HOLDS_VALUE (member) && json_node_get_value_type (member) == G_TYPE_STRING)
    {
      *value = json_node_get_string (member);
      return TRUE;
    }
  {
    g_autofree char *message = g_strdup_printf ("%s: must be a string", name);

    bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "wrong_type",
                           message, name);
  }
  return FALSE;
}

static gboolean
time_member (BqServerRequest *request,
             JsonObject      *object,
             const char      *name,
             gint64          *value)
{
  g_autoptr(GError) error = NULL;
  const char *text;

  if (!string_member (request, object, name, &text))
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

static void
abort_write (BqServerRequest *request,
             const GError    *error)
{
  bq_store_rollback (request->server->store);
  bq_server_reply_gerror (request->msg, error);
}

void
bq_server_handle_shipment_event (BqServerRequest *request)
{
  static const char * const members[] = { "leg_id", "kind", "eta", "at", NULL };
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(GList) names = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqShipment) shipment = NULL;
  g_autoptr(BqShipment) shipment_after = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  g_autoptr(BqShipmentLeg) leg_after = NULL;
  g_autoptr(BqReroute) reroute = NULL;
  g_autoptr(Proposal) proposal = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) reply = NULL;
  const BqShipmentLeg *leg = NULL;
  const char *leg_id, *kind_text, *reason;
  JsonObject *object;
  EventKind kind;
  gint64 now = bq_server_request_domain_now (request);
  gint64 at = now, eta = BQ_TIME_UNSET;
  gint64 first_seq = G_MAXINT64, last_seq = G_MININT64;
  int k;

  if (!may_report (request))
    return;
  if (bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;
  body = bq_server_request_parse_body (request);
  if (body == NULL)
    return;
  object = json_node_get_object (body);
  names = json_object_get_members (object);
  for (GList *l = names; l != NULL; l = l->next)
    {
      if (!g_strv_contains (members, l->data))
        {
          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_field",
                                 "an event takes “leg_id”, “kind”, “eta” and “at”", l->data);
          return;
        }
    }
  if (!string_member (request, object, "leg_id", &leg_id) ||
      !string_member (request, object, "kind", &kind_text) ||
      !time_member (request, object, "eta", &eta) ||
      !time_member (request, object, "at", &at))
    return;
  if (leg_id == NULL || kind_text == NULL)
    {
      const char *name = leg_id == NULL ? "leg_id" : "kind";
      g_autofree char *message = g_strdup_printf ("%s: is required", name);

      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             message, name);
      return;
    }
  for (k = 0; event_kinds[k] != NULL && strcmp (event_kinds[k], kind_text) != 0; k++)
    ;
  if (event_kinds[k] == NULL)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad_enum",
                             "kind: one of departed, arrived, late, cancelled", "kind");
      return;
    }
  kind = (EventKind) k;
  if (kind == EVENT_LATE && eta == BQ_TIME_UNSET)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             "eta: a late leg needs its expected arrival", "eta");
      return;
    }

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  shipment = get_visible_shipment (request);
  if (shipment == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  legs = load_legs (store, request->id, &error);
  if (legs == NULL)
    {
      abort_write (request, error);
      return;
    }
  for (guint i = 0; i < legs->len; i++)
    {
      const BqShipmentLeg *l = g_ptr_array_index (legs, i);

      first_seq = MIN (first_seq, l->seq);
      last_seq = MAX (last_seq, l->seq);
      if (g_strcmp0 (bq_entity_get_id (l), leg_id) == 0)
        leg = l;
    }
  if (leg == NULL)
    {
      g_autofree char *message = g_strdup_printf ("shipment %s has no leg “%s”", request->id,
                                                  leg_id);

      bq_store_rollback (store);
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             message, "leg_id");
      return;
    }

  /* The leg. */
  leg_after = bq_entity_copy (leg);
  shipment_after = bq_entity_copy (shipment);
  switch (kind)
    {
    case EVENT_DEPARTED:
      leg_after->status = BQ_LEG_DEPARTED;
      leg_after->actual_departure = at;
      if (shipment_after->status == BQ_SHIPMENT_PLANNED || shipment_after->status == BQ_SHIPMENT_LATE)
        shipment_after->status = BQ_SHIPMENT_IN_TRANSIT;
      if (leg->seq == first_seq && shipment_after->actual_departure == BQ_TIME_UNSET)
        shipment_after->actual_departure = at;
      break;
    case EVENT_ARRIVED:
      leg_after->status = BQ_LEG_ARRIVED;
      leg_after->actual_arrival = at;
      if (leg->seq == last_seq)
        {
          if (shipment_after->status == BQ_SHIPMENT_PLANNED)
            shipment_after->status = BQ_SHIPMENT_IN_TRANSIT;
          else if (shipment_after->status == BQ_SHIPMENT_IN_TRANSIT ||
                   shipment_after->status == BQ_SHIPMENT_LATE)
            shipment_after->status = BQ_SHIPMENT_DELIVERED;
          shipment_after->actual_arrival = at;
        }
      break;
    case EVENT_LATE:
      /* The router reads a late leg's actual_arrival as its new arrival. */
      leg_after->status = BQ_LEG_LATE;
      leg_after->actual_arrival = eta;
      break;
    case EVENT_CANCELLED:
    default:
      leg_after->status = BQ_LEG_CANCELLED;
      break;
    }
  if (!write_entity (request, reason, leg, leg_after, &error))
    {
      abort_write (request, error);
      return;
    }
  for (guint i = 0; i < legs->len; i++)
    {
      if (g_ptr_array_index (legs, i) == leg)
        {
          bq_entity_free (legs->pdata[i]);
          legs->pdata[i] = bq_entity_copy (leg_after);
          leg = legs->pdata[i];
        }
    }

  /* Late or cancelled: where can the dose still go? */
  if (kind == EVENT_LATE || kind == EVENT_CANCELLED)
    {
      g_autoptr(BqRouter) router = NULL;
      g_autoptr(BqProduct) product = NULL;
      BqRouteQuery requirements;
      gint64 start = MIN (now, shipment->planned_departure) - DAY;
      gint64 end = MAX (start + 10 * DAY, (eta != BQ_TIME_UNSET ? eta : now) + 4 * DAY);

      if (!shipment_requirements (store, shipment, &requirements, &product, &error))
        {
          abort_write (request, error);
          return;
        }
      router = bq_router_new_from_store (store, start, MIN (end, start + 399 * DAY), &error);
      if (router != NULL)
        reroute = bq_router_reroute (router, shipment, legs, leg_id,
                                     kind == EVENT_LATE ? eta : BQ_TIME_UNSET, now,
                                     &requirements, &error);
      if (reroute == NULL)
        {
          abort_write (request, error);
          return;
        }

      if (reroute->outcome == BQ_REROUTE_CANNOT_BE_SAVED)
        shipment_after->status = BQ_SHIPMENT_LATE;
      else if (reroute->outcome == BQ_REROUTE_PROPOSAL)
        {
          g_autoptr(JsonNode) reroute_json = bq_reroute_to_json (reroute);

          proposal = g_new0 (Proposal, 1);
          proposal->id = g_uuid_string_random ();
          proposal->shipment_id = g_strdup (request->id);
          proposal->leg_id = g_strdup (leg_id);
          proposal->from_seq = kind == EVENT_LATE ? leg->seq + 1 : leg->seq;
          proposal->created_at = request->now;
          proposal->created_by = g_strdup (bq_entity_get_id (request->user));
          proposal->outcome = g_strdup (bq_reroute_outcome_to_nick (reroute->outcome));
          proposal->reason = g_strdup (bq_route_reason_to_nick (reroute->reason));
          proposal->message = g_strdup (reroute->message);
          proposal->reroute = bq_server_json_to_string (reroute_json);
          proposal->status = g_strdup ("proposed");
        }
    }

  if (!write_entity (request, reason, shipment, shipment_after, &error))
    {
      abort_write (request, error);
      return;
    }

  if (proposal != NULL)
    {
      g_autoptr(JsonNode) proposal_json = NULL;
      g_autofree char *proposal_text = NULL;

      /* A newer event makes older proposals moot. */
      proposal->revision = bq_store_get_revision (store);
      if (!decide_proposals (store, request->id, NULL, TRUE, "superseded", request->now,
                             bq_entity_get_id (request->user), &error) ||
          !insert_proposal (store, proposal, &error))
        {
          abort_write (request, error);
          return;
        }
      proposal_json = proposal_to_json (proposal);
      proposal_text = bq_server_json_to_string (proposal_json);
      if (!bq_audit_append_record (store, request->now, bq_entity_get_id (request->user),
                                   "propose_reroute", "reroute_proposal", proposal->id,
                                   proposal->revision, NULL, proposal_text, reason, &error))
        {
          abort_write (request, error);
          return;
        }
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "shipment");
  json_builder_add_value (builder, bq_entity_to_json (shipment_after));
  json_builder_set_member_name (builder, "leg");
  json_builder_add_value (builder, bq_entity_to_json (leg_after));
  bq_json_add_string_member (builder, "outcome",
                             reroute != NULL ? bq_reroute_outcome_to_nick (reroute->outcome) : NULL);
  bq_json_add_string_member (builder, "reason",
                             reroute != NULL ? bq_route_reason_to_nick (reroute->reason) : NULL);
  bq_json_add_string_member (builder, "message", reroute != NULL ? reroute->message : NULL);
  json_builder_set_member_name (builder, "reroute");
  if (reroute != NULL)
    json_builder_add_value (builder, bq_reroute_to_json (reroute));
  else
    json_builder_add_null_value (builder);
  json_builder_set_member_name (builder, "proposal");
  if (proposal != NULL)
    json_builder_add_value (builder, proposal_to_json (proposal));
  else
    json_builder_add_null_value (builder);
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);

  bq_server_finish_custom_write (request, SOUP_STATUS_OK, bq_server_json_to_string (reply),
                                 NULL, shipment_after);
}

void
bq_server_handle_reroutes_list (BqServerRequest *request)
{
  g_autoptr(BqShipment) shipment = NULL;
  g_autoptr(GPtrArray) proposals = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (!bq_policy_allows (request->user, BQ_ACTION_READ, &bq_shipment_type))
    {
      reply_forbidden (request, "your role may not read shipments", NULL);
      return;
    }
  if (!bq_server_request_check_params (request, (const char * const []) { NULL }))
    return;
  shipment = get_visible_shipment (request);
  if (shipment == NULL)
    return;
  proposals = load_proposals (request->server->store, request->id, NULL, &error);
  if (proposals == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "items");
  json_builder_begin_array (builder);
  for (guint i = 0; i < proposals->len; i++)
    json_builder_add_value (builder, proposal_to_json (g_ptr_array_index (proposals, i)));
  json_builder_end_array (builder);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* The open proposal of the path, in the open transaction; answered and
 * NULL when there is none (404) or it is decided already (409). */
static Proposal *
get_open_proposal (BqServerRequest *request)
{
  const char *proposal_id = request->segments[5];
  g_autoptr(GPtrArray) proposals = NULL;
  g_autoptr(GError) error = NULL;
  Proposal *p;

  proposals = load_proposals (request->server->store, request->id, proposal_id, &error);
  if (proposals == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return NULL;
    }
  if (proposals->len == 0)
    {
      g_autofree char *message = g_strdup_printf ("shipment %s has no re-routing proposal “%s”",
                                                  request->id, proposal_id);

      bq_server_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", message, NULL);
      return NULL;
    }
  p = g_steal_pointer (&proposals->pdata[0]);
  if (strcmp (p->status, "proposed") != 0)
    {
      g_autofree char *message = g_strdup_printf ("the proposal is %s already", p->status);

      proposal_free (p);
      bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "proposal_closed", message,
                             NULL);
      return NULL;
    }
  return p;
}

static void
decide (BqServerRequest *request,
        gboolean         accept)
{
  BqStore *store = request->server->store;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqShipment) shipment = NULL;
  g_autoptr(BqShipment) shipment_after = NULL;
  g_autoptr(Proposal) proposal = NULL;
  g_autoptr(GPtrArray) legs = NULL;
  g_autoptr(GPtrArray) kept = g_ptr_array_new ();
  g_autoptr(JsonNode) reroute = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autofree char *before_text = NULL;
  g_autofree char *after_text = NULL;
  const char *reason;
  const char *user_id = bq_entity_get_id (request->user);
  gint64 now = bq_server_request_domain_now (request);
  gboolean moved = FALSE;

  if (!may_report (request))
    return;
  if (bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
    return;

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  shipment = get_visible_shipment (request);
  if (shipment == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  proposal = get_open_proposal (request);
  if (proposal == NULL)
    {
      bq_store_rollback (store);
      return;
    }
  legs = load_legs (store, request->id, &error);
  if (legs == NULL)
    {
      abort_write (request, error);
      return;
    }
  {
    g_autoptr(JsonNode) before_json = proposal_to_json (proposal);

    before_text = bq_server_json_to_string (before_json);
  }

  shipment_after = bq_entity_copy (shipment);
  if (accept)
    {
      JsonObject *route;
      JsonArray *new_legs;
      gint64 last_arrival = BQ_TIME_UNSET;

      /* Accepted on what it was made from: the legs and the shipment
       * as they were, the first new departure still ahead. */
      gboolean stale = BQ_ENTITY (shipment)->revision > proposal->revision;

      for (guint i = 0; i < legs->len; i++)
        stale |= BQ_ENTITY (g_ptr_array_index (legs, i))->revision > proposal->revision;
      reroute = json_from_string (proposal->reroute, NULL);
      route = reroute != NULL ? json_object_get_object_member (json_node_get_object (reroute),
                                                               "route") : NULL;
      new_legs = route != NULL ? json_object_get_array_member (route, "legs") : NULL;
      if (new_legs == NULL || json_array_get_length (new_legs) == 0)
        {
          bq_store_rollback (store);
          bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "proposal_closed",
                                 "the proposal has no legs to accept", NULL);
          return;
        }
      {
        JsonObject *first = json_array_get_object_element (new_legs, 0);
        gint64 departure = BQ_TIME_UNSET;

        if (bq_units_parse_time (json_object_get_string_member_with_default (first, "departure",
                                                                             ""),
                                 &departure, NULL) &&
            departure < now)
          stale = TRUE;
      }
      if (stale)
        {
          bq_store_rollback (store);
          bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "stale_proposal",
                                 "the shipment changed or the first new leg has left since "
                                 "the proposal was made; report the event again", NULL);
          return;
        }

      /* The remaining legs go … */
      for (guint i = 0; i < legs->len; i++)
        {
          const BqShipmentLeg *leg = g_ptr_array_index (legs, i);

          if (leg->seq < proposal->from_seq)
            {
              g_ptr_array_add (kept, (gpointer) leg);
              continue;
            }
          if (!bq_server_remember_tombstone_scope (request->server, leg, &error) ||
              !bq_store_delete (store, &bq_shipment_leg_type, bq_entity_get_id (leg), &error) ||
              !bq_audit_append (store, request->now, user_id, "delete", leg, NULL, reason, &error))
            {
              abort_write (request, error);
              return;
            }
        }
      /* … and the proposal's take their place. */
      for (guint i = 0; i < json_array_get_length (new_legs); i++)
        {
          JsonObject *l = json_array_get_object_element (new_legs, i);
          g_autoptr(BqShipmentLeg) leg = bq_shipment_leg_new ();
          g_autofree char *short_id = g_strndup (proposal->id, 8);

          leg->base.id = g_strdup_printf ("%s-rr%s-%u", request->id, short_id, i);
          leg->shipment_id = g_strdup (request->id);
          leg->seq = proposal->from_seq + i;
          leg->lane_id = g_strdup (json_object_get_string_member_with_default (l, "lane_id", ""));
          leg->planned_departure = BQ_TIME_UNSET;
          leg->planned_arrival = BQ_TIME_UNSET;
          bq_units_parse_time (json_object_get_string_member_with_default (l, "departure", ""),
                               &leg->planned_departure, NULL);
          bq_units_parse_time (json_object_get_string_member_with_default (l, "arrival", ""),
                               &leg->planned_arrival, NULL);
          leg->status = BQ_LEG_PLANNED;
          last_arrival = leg->planned_arrival;
          if (!write_entity (request, reason, NULL, leg, &error))
            {
              abort_write (request, error);
              return;
            }
        }

      for (guint i = 0; i < kept->len; i++)
        {
          const BqShipmentLeg *leg = g_ptr_array_index (kept, i);

          moved |= leg->status == BQ_LEG_DEPARTED || leg->status == BQ_LEG_ARRIVED ||
                   leg->actual_departure != BQ_TIME_UNSET;
        }
      if (last_arrival != BQ_TIME_UNSET)
        shipment_after->planned_arrival = last_arrival;
      if (shipment_after->status == BQ_SHIPMENT_LATE && moved)
        shipment_after->status = BQ_SHIPMENT_IN_TRANSIT;
      if (!write_entity (request, reason, shipment, shipment_after, &error))
        {
          abort_write (request, error);
          return;
        }
    }

  g_free (proposal->status);
  proposal->status = g_strdup (accept ? "accepted" : "rejected");
  proposal->decided_at = request->now;
  g_free (proposal->decided_by);
  proposal->decided_by = g_strdup (user_id);
  if (!decide_proposals (store, request->id, proposal->id, FALSE, proposal->status,
                         request->now, user_id, &error) ||
      (accept && !decide_proposals (store, request->id, proposal->id, TRUE, "superseded",
                                    request->now, user_id, &error)))
    {
      abort_write (request, error);
      return;
    }
  {
    g_autoptr(JsonNode) after_json = proposal_to_json (proposal);

    after_text = bq_server_json_to_string (after_json);
  }
  if (!bq_audit_append_record (store, request->now, user_id,
                               accept ? "accept_reroute" : "reject_reroute", "reroute_proposal",
                               proposal->id, bq_store_get_revision (store), before_text,
                               after_text, reason, &error))
    {
      abort_write (request, error);
      return;
    }

  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "proposal");
  json_builder_add_value (builder, proposal_to_json (proposal));
  json_builder_set_member_name (builder, "shipment");
  json_builder_add_value (builder, bq_entity_to_json (shipment_after));
  json_builder_set_member_name (builder, "legs");
  {
    g_autoptr(GPtrArray) now_legs = load_legs (store, request->id, &error);

    if (now_legs == NULL)
      {
        abort_write (request, error);
        return;
      }
    json_builder_add_value (builder, bq_entity_list_to_json (now_legs));
  }
  json_builder_end_object (builder);
  reply = json_builder_get_root (builder);

  bq_server_finish_custom_write (request, SOUP_STATUS_OK, bq_server_json_to_string (reply),
                                 NULL, accept ? shipment_after : NULL);
}

void
bq_server_handle_reroute_accept (BqServerRequest *request)
{
  decide (request, TRUE);
}

void
bq_server_handle_reroute_reject (BqServerRequest *request)
{
  decide (request, FALSE);
}
