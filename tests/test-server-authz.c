/* test-server-authz.c — who may call what: every endpoint × every caller
 *
 * The expected answers are a table written out here, copied from the role
 * table in bq-policy.h's comment — not computed with bq_policy_allows() —
 * so a wrong bit in the policy's C table, or a handler that forgets to
 * ask it, shows up as a mismatch.  Each endpoint (every route of
 * bq_server_get_routes(), with {collection} expanded to every entity
 * type) is one test; in it every caller makes the same request: the six
 * demo roles, no token, a malformed token, a well-formed unknown one, a
 * signed-out one and an expired one.  Writes work on fresh ids or on
 * fresh copies of demo entities put in the store just before, so neither
 * the order of the callers nor the order of the tests matters, and a
 * refused write must leave the store's revision where it was.
 *
 * Then the account manager's scoping, one focused test each: another
 * centre's order by id, in lists, in the change feed (tombstones too), in
 * the event stream, and writes aimed at it.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-core.h"
#include "bq-test-server.h"

#define EVENT_TIMEOUT_MS 10000
/* How long a connection must stay silent to count as "sent nothing". */
#define QUIET_MS 1500

/* ----------------------------------------------------------------- callers */

typedef enum {
  CALLER_ADMIN,
  CALLER_PLANNER,
  CALLER_AM_EUROPE,
  CALLER_QA,
  CALLER_LOGISTICS,
  CALLER_VIEWER,
  N_ROLES,
  /* Not signed in, one way or another: 401 wherever a token is needed. */
  CALLER_NO_TOKEN = N_ROLES,
  CALLER_MALFORMED_TOKEN,
  CALLER_UNKNOWN_TOKEN,
  CALLER_SIGNED_OUT_TOKEN,
  CALLER_EXPIRED_TOKEN,
  N_CALLERS
} Caller;

/* The demo user names of the roles, then descriptions of the others. */
static const char * const caller_names[N_CALLERS] = {
  "admin", "planner", "am-europe", "qa", "logistics", "viewer",
  "no token", "malformed token", "unknown token", "signed-out token", "expired token",
};

/* ---------------------------------------------------- the table: collections */

typedef enum {
  ACTION_LIST,
  ACTION_GET,
  ACTION_CREATE,
  ACTION_UPDATE,
  ACTION_DELETE,
  N_ACTIONS
} Action;

static const struct {
  const char *name;
  const char *method;
  char        right;    /* the letter of the rights below */
  guint       status;   /* when the role may */
} actions[N_ACTIONS] = {
  { "list",   "GET",    'r', SOUP_STATUS_OK },
  { "get",    "GET",    'r', SOUP_STATUS_OK },
  { "create", "POST",   'c', SOUP_STATUS_CREATED },
  { "update", "PATCH",  'u', SOUP_STATUS_OK },
  { "delete", "DELETE", 'd', SOUP_STATUS_NO_CONTENT },
};

typedef struct {
  const char *plural;
  /* Per role, in the order of Caller: r read (list and get), c create,
   * u update, d delete.  Anything missing is 403. */
  const char *rights[N_ROLES];
  /* A change every role with "u" may make to a fresh copy of the sample
   * (logistics only touches an order's status). */
  const char *update;
} CollectionRow;

/* From bq-policy.h:
 *   admin            everything
 *   planner          read all but users; write sites, lines, products,
 *                    centres, runs, forecasts, slots
 *   account_manager  read reference data (sites, lines, products, centres,
 *                    hubs, lanes, runs, forecasts) and, of their own centres
 *                    only, orders, slots, shipments, shipment_legs; create
 *                    and update orders of their own centres
 *   qa               read all but users; write qc_results; update runs
 *   logistics        read all but users; write hubs, lanes, shipments,
 *                    shipment_legs; update orders (shipment_id, status)
 *   viewer           read all but users
 */
static const CollectionRow collections[] = {
  /*                   admin   planner am-europe qa     logistics viewer */
  { "sites",         { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"name\":\"Authz site\"}" },
  { "lines",         { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"name\":\"Authz line\"}" },
  { "products",      { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"name\":\"Authz product\"}" },
  { "centres",       { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"name\":\"Authz centre\"}" },
  { "hubs",          { "rcud", "r",    "r",    "r",    "rcud", "r" }, "{\"name\":\"Authz hub\"}" },
  { "users",         { "rcud", "",     "",     "",     "",     ""  }, "{\"display_name\":\"Authz user\"}" },
  { "runs",          { "rcud", "rcud", "r",    "ru",   "r",    "r" }, "{\"batch\":\"AUTHZ-0001\"}" },
  { "forecasts",     { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"doses\":42}" },
  { "maintenance_blocks", { "rcud", "rcud", "r", "r",   "r",    "r" }, "{\"reason\":\"authz\"}" },
  { "qc_results",    { "rcud", "r",    "",     "rcud", "r",    "r" }, "{\"unit\":\"authz\"}" },
  { "slots",         { "rcud", "rcud", "r",    "r",    "r",    "r" }, "{\"capacity\":11}" },
  { "lanes",         { "rcud", "r",    "r",    "r",    "rcud", "r" }, "{\"carrier\":\"Authz Couriers\"}" },
  { "slas",          { "rcud", "r",    "r",    "r",    "rcud", "r" }, "{\"region\":\"authz\"}" },
  { "shipments",     { "rcud", "r",    "r",    "r",    "rcud", "r" }, "{\"status\":\"late\"}" },
  { "shipment_legs", { "rcud", "r",    "r",    "r",    "rcud", "r" }, "{\"seq\":7}" },
  { "orders",        { "rcud", "r",    "rcu",  "r",    "ru",   "r" }, "{\"status\":\"confirmed\"}" },
};

/* ---------------------------------------------- the table: the other routes */

typedef enum {
  FIXED_HEALTHZ,
  FIXED_OPENAPI,
  FIXED_SESSION_CREATE,
  FIXED_SESSION_DELETE,
  FIXED_ME,
  FIXED_CHANGES,
  FIXED_EVENTS,
  FIXED_AUDIT,
  FIXED_AUDIT_VERIFY,
  FIXED_PLAN,
  FIXED_PLAN_APPLY,
  FIXED_CAPACITY,
  FIXED_CHECK_MOVE,
  FIXED_ROUTES,
  FIXED_NETWORK,
  FIXED_SHIPMENT_EVENT,
  FIXED_REROUTE_LIST,
  FIXED_REROUTE_ACCEPT,
  FIXED_REROUTE_REJECT,
  FIXED_SLOTS_CALENDAR,
  FIXED_SLOTS_MATCH,
  FIXED_SLOT_HOLD,
  FIXED_SLOT_RELEASE_HOLD,
  FIXED_SLOT_CLAIM,
  FIXED_ORDER_CONFIRM,
  FIXED_ORDER_CANCEL,
  FIXED_ORDER_RESCHEDULE,
  FIXED_RUN_AFFECTED_ORDERS,
  FIXED_RUN_REALLOCATE,
  N_FIXED
} Fixed;

static const struct {
  const char *test;
  const char *method;
  const char *path;
  guint       roles[N_ROLES];   /* admin planner am-europe qa logistics viewer */
  guint       signed_out;       /* every caller without a valid token */
} fixed_routes[N_FIXED] = {
  { "healthz",        "GET",    "/healthz",             { 200, 200, 200, 200, 200, 200 }, 200 },
  { "openapi",        "GET",    "/api/v1/openapi.json", { 200, 200, 200, 200, 200, 200 }, 200 },
  { "session/create", "POST",   "/api/v1/session",      { 201, 201, 201, 201, 201, 201 }, 201 },
  { "session/delete", "DELETE", "/api/v1/session",      { 204, 204, 204, 204, 204, 204 }, 401 },
  { "me",             "GET",    "/api/v1/me",           { 200, 200, 200, 200, 200, 200 }, 401 },
  { "changes",        "GET",    "/api/v1/changes",      { 200, 200, 200, 200, 200, 200 }, 401 },
  { "events",         "GET",    "/api/v1/events",       { 101, 101, 101, 101, 101, 101 }, 401 },
  /* The audit trail is for administrators and QA. */
  { "audit/list",     "GET",    "/api/v1/audit",        { 200, 403, 403, 200, 403, 403 }, 401 },
  { "audit/verify",   "GET",    "/api/v1/audit/verify", { 200, 403, 403, 200, 403, 403 }, 401 },
  /* Proposals are for planners; capacity for everyone but account
   * managers; checking a move for whoever may update runs. */
  { "plan/get",       "GET",    "/api/v1/plan",         { 200, 200, 403, 403, 403, 403 }, 401 },
  { "plan/apply",     "POST",   "/api/v1/plan/apply",   { 200, 200, 403, 403, 403, 403 }, 401 },
  { "capacity",       "GET",    "/api/v1/capacity",     { 200, 200, 403, 200, 200, 200 }, 401 },
  { "runs/check-move", "GET",   "/api/v1/runs/{id}/check-move", { 200, 200, 403, 200, 403, 403 }, 401 },
  /* Routes to am-europe's own centre; the network is reference data. */
  { "routes",         "GET",    "/api/v1/routes",       { 200, 200, 200, 200, 200, 200 }, 401 },
  { "network",        "GET",    "/api/v1/network.geojson", { 200, 200, 200, 200, 200, 200 }, 401 },
  /* Events and decisions are logistics' (an unknown proposal: 404). */
  { "shipments/events", "POST", "/api/v1/shipments/{id}/events", { 200, 403, 403, 403, 200, 403 }, 401 },
  { "shipments/reroute", "GET", "/api/v1/shipments/{id}/reroute", { 200, 200, 200, 200, 200, 200 }, 401 },
  { "shipments/reroute/accept", "POST", "/api/v1/shipments/{id}/reroute/{proposal_id}/accept",
    { 404, 403, 403, 403, 404, 403 }, 401 },
  { "shipments/reroute/reject", "POST", "/api/v1/shipments/{id}/reroute/{proposal_id}/reject",
    { 404, 403, 403, 403, 404, 403 }, 401 },
  /* Booking: the calendar and matching for everyone (am-europe's own
   * centre); holds and claims for admin, planner and account managers;
   * order actions also for logistics; re-allocation for admin, planner
   * and logistics.  Writes go to ids that do not exist: 404 when the role
   * may, 403 when it may not, and nothing changes either way. */
  { "slots/calendar", "GET",    "/api/v1/slots/calendar", { 200, 200, 200, 200, 200, 200 }, 401 },
  { "slots/match",    "POST",   "/api/v1/slots/match",    { 200, 200, 200, 200, 200, 200 }, 401 },
  { "slots/hold",     "POST",   "/api/v1/slots/{id}/hold", { 404, 404, 404, 403, 403, 403 }, 401 },
  { "slots/release-hold", "DELETE", "/api/v1/slots/{id}/hold",
    { 404, 404, 404, 403, 403, 403 }, 401 },
  { "slots/claim",    "POST",   "/api/v1/slots/{id}/claim", { 404, 404, 404, 403, 403, 403 }, 401 },
  { "orders/confirm", "POST",   "/api/v1/orders/{id}/confirm",
    { 404, 404, 404, 403, 404, 403 }, 401 },
  { "orders/cancel",  "POST",   "/api/v1/orders/{id}/cancel",
    { 404, 404, 404, 403, 404, 403 }, 401 },
  { "orders/reschedule", "POST", "/api/v1/orders/{id}/reschedule",
    { 404, 404, 404, 403, 404, 403 }, 401 },
  { "runs/affected-orders", "GET", "/api/v1/runs/{id}/affected-orders",
    { 200, 200, 403, 403, 200, 403 }, 401 },
  { "runs/reallocate", "POST",  "/api/v1/runs/{id}/reallocate",
    { 404, 404, 403, 403, 404, 403 }, 401 },
};

/* The first entity of @type whose @field is @value, or NULL. */
static gpointer
first_where (BqStore            *store,
             const BqEntityType *type,
             const char         *field,
             const char         *value)
{
  g_autoptr(BqQuery) query = bq_query_new (type);
  g_autoptr(GPtrArray) found = NULL;
  g_autoptr(GError) error = NULL;

  bq_query_where_equals (query, field, value);
  bq_query_set_limit (query, 1, 0);
  found = bq_store_query (store, query, &error);
  g_assert_no_error (error);
  return found->len > 0 ? g_steal_pointer (&found->pdata[0]) : NULL;
}

/* ------------------------------------------------------------------- world */

/* A demo server, a token per caller, and the entities the cases use. */
typedef struct {
  BqTestServer *ts;
  char         *tokens[N_CALLERS];   /* NULL for no token; the expired one is made per use */
  BqUser       *am_europe;
  BqUser       *am_na;
  GHashTable   *samples;             /* BqEntityType * → entity of am-europe's world */
  guint         serial;              /* for fresh ids */
} World;

static World *table_world;

#define SLOT_EUROPE "slot-authz-europe"
#define SLOT_NA     "slot-authz-na"
#define SLOT_POOL   "slot-authz-pool"

static const BqEntityType * const scoped_types[] = {
  &bq_order_type, &bq_slot_type, &bq_shipment_type, &bq_shipment_leg_type,
};

static gboolean
serves (const BqUser *user,
        const char   *centre_id)
{
  return centre_id != NULL && user->centre_ids != NULL &&
         g_strv_contains ((const char * const *) user->centre_ids, centre_id);
}

/* The centre of a scoped entity, a leg's through its shipment; NULL for a
 * pool slot and for unscoped types.  Worked out here from the store, not
 * through the server's helpers. */
static char *
entity_centre (World         *w,
               gconstpointer  entity)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;

  if (type == &bq_order_type)
    return g_strdup (((const BqOrder *) entity)->centre_id);
  if (type == &bq_slot_type)
    return g_strdup (((const BqSlot *) entity)->centre_id);
  if (type == &bq_shipment_type)
    return g_strdup (((const BqShipment *) entity)->centre_id);
  if (type == &bq_shipment_leg_type)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BqShipment) shipment = bq_store_get (w->ts->store, &bq_shipment_type,
                                                     ((const BqShipmentLeg *) entity)->shipment_id,
                                                     &error);

      g_assert_no_error (error);
      return g_strdup (shipment->centre_id);
    }
  return NULL;
}

static gboolean
is_scoped (const BqEntityType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (scoped_types); i++)
    {
      if (scoped_types[i] == type)
        return TRUE;
    }
  return FALSE;
}

/* The first entity (in id order) of @type for @user's centres, or for
 * @user NULL of any; users: the viewer. */
static gpointer
find_entity (World              *w,
             const BqEntityType *type,
             const BqUser       *user)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;

  if (type == &bq_user_type)
    {
      gpointer viewer = bq_store_get (w->ts->store, &bq_user_type, "user-viewer", &error);

      g_assert_no_error (error);
      return viewer;
    }

  all = bq_store_list (w->ts->store, type, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < all->len; i++)
    {
      gpointer entity = g_ptr_array_index (all, i);
      g_autofree char *centre = NULL;

      if (user != NULL && is_scoped (type))
        {
          centre = entity_centre (w, entity);
          if (!serves (user, centre))
            continue;
        }
      return bq_entity_copy (entity);
    }
  g_error ("the demo has no %s for the test", type->name);
}

/* The entity of @type single-item cases use: real demo data, of one of
 * am-europe's centres for scoped types (so their role decides). */
static gconstpointer
sample (World              *w,
        const BqEntityType *type)
{
  gpointer entity = g_hash_table_lookup (w->samples, type);

  if (entity == NULL)
    {
      entity = find_entity (w, type, w->am_europe);
      g_hash_table_insert (w->samples, (gpointer) type, entity);
    }
  return entity;
}

/* A copy of the sample under a new id, in the first status of its
 * lifecycle (planned, requested, open, pending: the ones an entity may be
 * created in and move on from). */
static gpointer
fresh_copy (World              *w,
            const BqEntityType *type)
{
  gpointer copy = bq_entity_copy (sample (w, type));
  const BqField *status = bq_entity_type_get_field (type, "status");
  g_autofree char *id = g_strdup_printf ("authz-%s-%u", type->name, ++w->serial);

  bq_entity_set_id (copy, id);
  BQ_ENTITY (copy)->revision = 0;
  if (status != NULL && status->type == BQ_FIELD_ENUM)
    *(int *) BQ_FIELD_PTR (copy, status) = 0;
  if (type == &bq_user_type)
    {
      BqUser *user = copy;

      g_free (user->username);
      user->username = g_strdup (id);
    }
  if (type == &bq_order_type)
    {
      BqOrder *order = copy;

      /* A new order takes a slot only through a claim. */
      g_clear_pointer (&order->slot_id, g_free);
    }
  return copy;
}

static void
put (World    *w,
     gpointer  entity)
{
  g_autoptr(GError) error = NULL;

  bq_store_put (w->ts->store, entity, &error);
  g_assert_no_error (error);
}

static void
add_slot (World      *w,
          const char *id,
          const char *centre_id,
          const char *region)
{
  g_autoptr(BqSlot) slot = bq_slot_new ();
  g_autoptr(BqRun) run = find_entity (w, &bq_run_type, NULL);

  bq_entity_set_id (slot, id);
  slot->run_id = g_strdup (run->base.id);
  slot->centre_id = g_strdup (centre_id);
  slot->region = g_strdup (region);
  slot->delivery_date = run->calibration_time + 86400;
  slot->capacity = 10;
  put (w, slot);
}

static char *
expired_token (World *w)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) then = NULL;
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;
  char *token;

  /* Signed in 13 h ago: sessions last 12 h. */
  token = bq_auth_login (w->ts->auth, "viewer", BQ_TEST_PASSWORD, now - 13 * 3600, NULL, NULL,
                         &error);
  g_assert_no_error (error);
  /* A real session, only over: it worked an hour after it began. */
  then = bq_auth_authenticate (w->ts->auth, token, now - 12 * 3600, &error);
  g_assert_no_error (error);
  g_assert_nonnull (then);
  return token;
}

static World *
world_new (void)
{
  World *w = g_new0 (World, 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqTestResponse) signed_out = NULL;
  char *token;

  w->ts = bq_test_server_new ();
  w->samples = g_hash_table_new_full (g_direct_hash, g_direct_equal, NULL, bq_entity_free);
  w->am_europe = bq_store_get (w->ts->store, &bq_user_type, "user-am-europe", &error);
  g_assert_no_error (error);
  w->am_na = bq_store_get (w->ts->store, &bq_user_type, "user-am-na", &error);
  g_assert_no_error (error);
  g_assert_nonnull (w->am_europe->centre_ids);
  g_assert_nonnull (w->am_na->centre_ids);

  /* The demo has no slots: one for each account manager, and a pool. */
  add_slot (w, SLOT_EUROPE, w->am_europe->centre_ids[0], NULL);
  add_slot (w, SLOT_NA, w->am_na->centre_ids[0], NULL);
  add_slot (w, SLOT_POOL, NULL, "europe");

  for (guint i = 0; i < N_ROLES; i++)
    w->tokens[i] = bq_test_server_login (w->ts, caller_names[i]);
  w->tokens[CALLER_NO_TOKEN] = NULL;
  w->tokens[CALLER_MALFORMED_TOKEN] = g_strdup ("not-a-token");
  /* Well-formed (same length and alphabet as a real one), never issued. */
  token = g_strdup (w->tokens[CALLER_ADMIN]);
  token[0] = token[0] == 'A' ? 'B' : 'A';
  w->tokens[CALLER_UNKNOWN_TOKEN] = token;
  token = bq_test_server_login (w->ts, "viewer");
  signed_out = bq_test_request (w->ts, "DELETE", "/api/v1/session", token, NULL, NULL);
  g_assert_cmpuint (signed_out->status, ==, SOUP_STATUS_NO_CONTENT);
  w->tokens[CALLER_SIGNED_OUT_TOKEN] = token;
  w->tokens[CALLER_EXPIRED_TOKEN] = NULL;
  return w;
}

static void
world_free (World *w)
{
  if (w == NULL)
    return;
  for (guint i = 0; i < N_CALLERS; i++)
    g_free (w->tokens[i]);
  g_hash_table_unref (w->samples);
  bq_entity_free (w->am_europe);
  bq_entity_free (w->am_na);
  bq_test_server_free (w->ts);
  g_free (w);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (World, world_free)

/* The table tests share one world: their writes use fresh ids. */
static World *
get_table_world (void)
{
  if (table_world == NULL)
    table_world = world_new ();
  return table_world;
}

/* The token of @caller (owned by the caller of this; NULL for none).  An
 * expired token is made afresh for each use: a later sign-in sweeps
 * expired sessions away, and it must stay expired rather than unknown. */
static char *
caller_token (World  *w,
              Caller  caller)
{
  if (caller == CALLER_EXPIRED_TOKEN)
    return expired_token (w);
  return g_strdup (w->tokens[caller]);
}

/* ---------------------------------------------------------------- checking */

static char *
body_text (BqTestResponse *response)
{
  gsize size;
  const char *data = g_bytes_get_data (response->body, &size);

  return g_strndup (data != NULL ? data : "", MIN (size, 400));
}

static void
add_failure (GString    *failures,
             const char *format,
             ...) G_GNUC_PRINTF (2, 3);

static void
add_failure (GString    *failures,
             const char *format,
             ...)
{
  va_list args;

  va_start (args, format);
  g_string_append (failures, "\n  ");
  g_string_append_vprintf (failures, format, args);
  va_end (args);
}

static void
finish (GString *failures)
{
  if (failures->len > 0)
    g_test_fail_printf ("%s", failures->str);
}

static const char *
error_code_for (guint status)
{
  switch (status)
    {
    case SOUP_STATUS_UNAUTHORIZED:
      return "unauthorized";
    case SOUP_STATUS_FORBIDDEN:
      return "forbidden";
    case SOUP_STATUS_NOT_FOUND:
      return "not_found";
    default:
      return NULL;
    }
}

/* Whether @response has the @expected status; errors must also be the
 * JSON envelope with the code of the status, 401 with WWW-Authenticate. */
static gboolean
check_status (GString        *failures,
              const char     *what,
              BqTestResponse *response,
              guint           expected)
{
  g_autofree char *text = body_text (response);
  const char *code;

  if (response->status != expected)
    {
      add_failure (failures, "%s: expected %u, got %u: %s", what, expected, response->status,
                   text);
      return FALSE;
    }
  if (expected < 400)
    return TRUE;

  if (g_strcmp0 (soup_message_headers_get_content_type (response->headers, NULL),
                 "application/json") != 0)
    add_failure (failures, "%s: the %u is not application/json", what, expected);
  code = bq_test_response_error_code (response);
  if (code == NULL)
    add_failure (failures, "%s: the %u is not a JSON error: %s", what, expected, text);
  else if (error_code_for (expected) != NULL && strcmp (code, error_code_for (expected)) != 0)
    add_failure (failures, "%s: expected code %s, got %s", what, error_code_for (expected), code);
  if (expected == SOUP_STATUS_UNAUTHORIZED &&
      soup_message_headers_get_one (response->headers, "WWW-Authenticate") == NULL)
    add_failure (failures, "%s: a 401 without WWW-Authenticate", what);
  return TRUE;
}

static guint
expected_for_collection (const CollectionRow *row,
                         Action               action,
                         Caller               caller)
{
  if (caller >= N_ROLES)
    return SOUP_STATUS_UNAUTHORIZED;
  if (strchr (row->rights[caller], actions[action].right) != NULL)
    return actions[action].status;
  return SOUP_STATUS_FORBIDDEN;
}

static char *
item_path (const char *plural,
           const char *id)
{
  g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);

  return g_strdup_printf ("/api/v1/%s/%s", plural, escaped);
}

/* The JSON to create @entity with: everything but the revision. */
static char *
create_body (gconstpointer entity)
{
  g_autoptr(JsonNode) node = bq_entity_to_json (entity);

  json_object_remove_member (json_node_get_object (node), "revision");
  return json_to_string (node, FALSE);
}

static gpointer
store_get (World              *w,
           const BqEntityType *type,
           const char         *id)
{
  g_autoptr(GError) error = NULL;
  gpointer entity = bq_store_get (w->ts->store, type, id, &error);

  if (entity == NULL)
    g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND);
  return entity;
}

/* ------------------------------------------------------ collection endpoints */

typedef struct {
  guint  row;
  Action action;
} CollectionCase;

static CollectionCase collection_cases[G_N_ELEMENTS (collections) * N_ACTIONS];

/* What an allowed request must have done. */
static void
check_success (GString             *failures,
               const char          *what,
               World               *w,
               const CollectionRow *row,
               const BqEntityType  *type,
               Action               action,
               gconstpointer        target,
               BqTestResponse      *response)
{
  JsonObject *object = NULL;
  gpointer stored = NULL;
  const char *id = target != NULL ? bq_entity_get_id (target) : bq_entity_get_id (sample (w, type));

  if (action != ACTION_DELETE)
    {
      if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
        {
          add_failure (failures, "%s: the answer is not a JSON object", what);
          return;
        }
      object = json_node_get_object (response->json);
    }

  if (action == ACTION_LIST)
    {
      if (!json_object_has_member (object, "items") ||
          !JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "items")) ||
          json_array_get_length (json_object_get_array_member (object, "items")) == 0)
        add_failure (failures, "%s: no items", what);
      return;
    }

  if (action != ACTION_DELETE &&
      g_strcmp0 (json_object_get_string_member_with_default (object, "id", NULL), id) != 0)
    add_failure (failures, "%s: the answer is about another %s", what, type->name);

  stored = store_get (w, type, id);
  if (action == ACTION_GET)
    {
      if (soup_message_headers_get_one (response->headers, "ETag") == NULL)
        add_failure (failures, "%s: no ETag", what);
    }
  else if (action == ACTION_CREATE)
    {
      g_autofree char *location = item_path (row->plural, id);

      if (stored == NULL)
        add_failure (failures, "%s: 201 but nothing stored", what);
      if (g_strcmp0 (soup_message_headers_get_one (response->headers, "Location"), location) != 0)
        add_failure (failures, "%s: Location is not %s", what, location);
    }
  else if (action == ACTION_UPDATE)
    {
      g_autoptr(JsonNode) change = json_from_string (row->update, NULL);
      JsonObject *members = json_node_get_object (change);
      g_autoptr(GList) names = json_object_get_members (members);

      for (GList *l = names; l != NULL; l = l->next)
        {
          JsonNode *sent = json_object_get_member (members, l->data);
          JsonNode *got = json_object_get_member (object, l->data);

          if (got == NULL || !json_node_equal (sent, got))
            add_failure (failures, "%s: %s did not change", what, (const char *) l->data);
        }
      if (stored == NULL || BQ_ENTITY (stored)->revision <= BQ_ENTITY (target)->revision)
        add_failure (failures, "%s: 200 but the store has no new revision", what);
    }
  else if (action == ACTION_DELETE)
    {
      if (stored != NULL)
        add_failure (failures, "%s: 204 but it is still there", what);
    }
  bq_entity_free (stored);
}

/* What a refused request must not have done. */
static void
check_refused (GString            *failures,
               const char         *what,
               World              *w,
               const BqEntityType *type,
               Action              action,
               gconstpointer       target,
               gint64              revision)
{
  gpointer stored;

  if (bq_store_get_revision (w->ts->store) != revision)
    add_failure (failures, "%s: refused, yet the store moved from revision %" G_GINT64_FORMAT
                 " to %" G_GINT64_FORMAT, what, revision, bq_store_get_revision (w->ts->store));
  if (target == NULL)
    return;

  stored = store_get (w, type, bq_entity_get_id (target));
  if (action == ACTION_CREATE && stored != NULL)
    add_failure (failures, "%s: refused, yet stored", what);
  if ((action == ACTION_UPDATE || action == ACTION_DELETE) &&
      (stored == NULL || !bq_entity_equal (stored, target)))
    add_failure (failures, "%s: refused, yet changed", what);
  bq_entity_free (stored);
}

static void
run_collection_case (World               *w,
                     const CollectionRow *row,
                     const BqEntityType  *type,
                     Action               action,
                     Caller               caller,
                     GString             *failures)
{
  g_autofree char *token = caller_token (w, caller);
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autofree char *what = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  gpointer target = NULL;
  guint expected = expected_for_collection (row, action, caller);
  gint64 revision;

  if (action == ACTION_LIST)
    {
      path = g_strdup_printf ("/api/v1/%s?limit=5", row->plural);
    }
  else if (action == ACTION_GET)
    {
      path = item_path (row->plural, bq_entity_get_id (sample (w, type)));
    }
  else if (action == ACTION_CREATE)
    {
      target = fresh_copy (w, type);
      body = create_body (target);
      path = g_strdup_printf ("/api/v1/%s", row->plural);
    }
  else
    {
      target = fresh_copy (w, type);
      put (w, target);
      path = item_path (row->plural, bq_entity_get_id (target));
      if (action == ACTION_UPDATE)
        body = g_strdup (row->update);
    }

  what = g_strdup_printf ("%s %s as %s", actions[action].method, path, caller_names[caller]);
  revision = bq_store_get_revision (w->ts->store);
  response = bq_test_request (w->ts, actions[action].method, path, token, body, NULL);
  if (check_status (failures, what, response, expected))
    {
      if (expected < 300)
        check_success (failures, what, w, row, type, action, target, response);
      else
        check_refused (failures, what, w, type, action, target, revision);
    }
  bq_entity_free (target);
}

static void
test_collection (gconstpointer data)
{
  const CollectionCase *c = data;
  const CollectionRow *row = &collections[c->row];
  const BqEntityType *type = bq_entity_type_lookup (row->plural);
  World *w = get_table_world ();
  g_autoptr(GString) failures = g_string_new (NULL);

  g_assert_nonnull (type);
  for (guint caller = 0; caller < N_CALLERS; caller++)
    run_collection_case (w, row, type, c->action, caller, failures);
  finish (failures);
}

/* ---------------------------------------------------------- other endpoints */

static const char *
username_of (JsonObject *object)
{
  return object != NULL ? json_object_get_string_member_with_default (object, "username", NULL)
                        : NULL;
}

static JsonObject *
object_of (BqTestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  return json_node_get_object (response->json);
}

static void
run_events_case (World      *w,
                 const char *token,
                 guint       expected,
                 const char *what,
                 GString    *failures)
{
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  guint status = 0;

  connection = bq_test_server_connect_events (w->ts, token, FALSE, &status, &error);
  if (status != expected)
    {
      add_failure (failures, "%s: expected %u, got %u", what, expected, status);
      return;
    }
  if (expected != SOUP_STATUS_SWITCHING_PROTOCOLS)
    {
      if (connection != NULL)
        add_failure (failures, "%s: refused but connected", what);
      return;
    }
  if (connection == NULL)
    {
      add_failure (failures, "%s: 101 but no connection: %s", what,
                   error != NULL ? error->message : "?");
      return;
    }
  hello = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  if (hello == NULL || !g_str_has_prefix (hello, "{\"revision\":"))
    add_failure (failures, "%s: no {\"revision\":N} on open", what);
  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

static void
run_fixed_case (World    *w,
                Fixed     route,
                Caller    caller,
                GString  *failures)
{
  g_autofree char *token = caller_token (w, caller);
  g_autofree char *what = NULL;
  g_autofree char *path = NULL;
  g_autofree char *body = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  guint expected = caller < N_ROLES ? fixed_routes[route].roles[caller]
                                    : fixed_routes[route].signed_out;
  const char *role = caller < N_ROLES ? caller_names[caller] : NULL;
  gint64 revision = bq_store_get_revision (w->ts->store);

  what = g_strdup_printf ("%s %s as %s", fixed_routes[route].method, fixed_routes[route].path,
                          caller_names[caller]);

  if (route == FIXED_EVENTS)
    {
      run_events_case (w, token, expected, what, failures);
      return;
    }

  if (route == FIXED_SESSION_DELETE && role != NULL)
    {
      /* Signs out a session of its own, not the one the other tests use. */
      g_autoptr(BqTestResponse) after = NULL;
      g_autoptr(BqTestResponse) others = NULL;

      g_free (token);
      token = bq_test_server_login (w->ts, role);
      response = bq_test_request (w->ts, "DELETE", "/api/v1/session", token, NULL, NULL);
      if (!check_status (failures, what, response, expected))
        return;
      after = bq_test_request (w->ts, "GET", "/api/v1/me", token, NULL, NULL);
      if (after->status != SOUP_STATUS_UNAUTHORIZED)
        add_failure (failures, "%s: the token still works (%u)", what, after->status);
      others = bq_test_request (w->ts, "GET", "/api/v1/me", w->tokens[caller], NULL, NULL);
      if (others->status != SOUP_STATUS_OK)
        add_failure (failures, "%s: another session of the user ended too (%u)", what,
                     others->status);
      return;
    }

  if (route == FIXED_SESSION_CREATE)
    body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}",
                            role != NULL ? role : "viewer", BQ_TEST_PASSWORD);
  if (route == FIXED_CHANGES)
    path = g_strdup ("/api/v1/changes?limit=50");
  else if (route == FIXED_AUDIT)
    path = g_strdup ("/api/v1/audit?limit=5");
  else if (route == FIXED_PLAN || route == FIXED_CAPACITY)
    path = g_strdup_printf ("%s?from=2026-11-30&weeks=1", fixed_routes[route].path);
  else if (route == FIXED_PLAN_APPLY)
    {
      /* A horizon without forecasts: nothing to change, for anyone. */
      path = g_strdup (fixed_routes[route].path);
      body = g_strdup_printf ("{\"from\":\"2030-06-03\",\"weeks\":1,\"basis_revision\":%"
                              G_GINT64_FORMAT "}", revision);
    }
  else if (route == FIXED_CHECK_MOVE)
    path = g_strdup ("/api/v1/runs/run-nl-pet-1-20261208-1/check-move?start=2026-12-08T15:00:00Z");
  else if (route == FIXED_ROUTES)
    path = g_strdup ("/api/v1/routes?from=site-nl-pet&to=centre-de-muc-tum"
                     "&depart_after=2026-12-02T08:00:00Z");
  else if (route == FIXED_SHIPMENT_EVENT)
    {
      g_autoptr(BqShipmentLeg) leg = first_where (w->ts->store, &bq_shipment_leg_type, "status",
                                                  "planned");

      g_assert_nonnull (leg);
      path = g_strdup_printf ("/api/v1/shipments/%s/events", leg->shipment_id);
      body = g_strdup_printf ("{\"leg_id\":\"%s\",\"kind\":\"departed\"}",
                              bq_entity_get_id (leg));
    }
  else if (route == FIXED_REROUTE_LIST || route == FIXED_REROUTE_ACCEPT ||
           route == FIXED_REROUTE_REJECT)
    {
      g_autoptr(BqShipment) shipment = first_where (w->ts->store, &bq_shipment_type, "centre_id",
                                                    "centre-de-muc-tum");

      g_assert_nonnull (shipment);
      if (route == FIXED_REROUTE_LIST)
        path = g_strdup_printf ("/api/v1/shipments/%s/reroute", bq_entity_get_id (shipment));
      else
        path = g_strdup_printf ("/api/v1/shipments/%s/reroute/no-such-proposal/%s",
                                bq_entity_get_id (shipment),
                                route == FIXED_REROUTE_ACCEPT ? "accept" : "reject");
    }
  else if (route == FIXED_SLOTS_CALENDAR)
    path = g_strdup ("/api/v1/slots/calendar?centre=centre-de-muc-tum&from=2026-12-01&days=3");
  else if (route == FIXED_SLOTS_MATCH || route == FIXED_SLOT_CLAIM)
    {
      path = route == FIXED_SLOTS_MATCH ? g_strdup (fixed_routes[route].path)
                                        : g_strdup ("/api/v1/slots/no-such-slot/claim");
      body = g_strdup_printf ("{%s\"centre_id\":\"centre-de-muc-tum\","
                              "\"product_id\":\"product-lu177-psma\","
                              "\"prescribed_activity_bq\":7.4e9,"
                              "\"admin_start\":\"2026-12-02T08:00:00Z\","
                              "\"admin_end\":\"2026-12-02T12:00:00Z\"}",
                              route == FIXED_SLOT_CLAIM ? "\"patient_ref\":\"PT-AUTHZ-1\"," : "");
    }
  else if (route == FIXED_SLOT_HOLD || route == FIXED_SLOT_RELEASE_HOLD)
    path = g_strdup ("/api/v1/slots/no-such-slot/hold");
  else if (route == FIXED_ORDER_CONFIRM || route == FIXED_ORDER_CANCEL ||
           route == FIXED_ORDER_RESCHEDULE)
    {
      path = g_strdup_printf ("/api/v1/orders/no-such-order/%s",
                              route == FIXED_ORDER_CONFIRM ? "confirm" :
                              route == FIXED_ORDER_CANCEL ? "cancel" : "reschedule");
      if (route == FIXED_ORDER_RESCHEDULE)
        body = g_strdup ("{\"slot_id\":\"no-such-slot\"}");
    }
  else if (route == FIXED_RUN_AFFECTED_ORDERS)
    path = g_strdup ("/api/v1/runs/run-nl-pet-1-20261208-1/affected-orders");
  else if (route == FIXED_RUN_REALLOCATE)
    path = g_strdup ("/api/v1/runs/no-such-run/reallocate");
  else
    path = g_strdup (fixed_routes[route].path);

  response = bq_test_request (w->ts, fixed_routes[route].method, path, token, body, NULL);
  if (!check_status (failures, what, response, expected))
    return;

  if (expected >= 300)
    {
      if (bq_store_get_revision (w->ts->store) != revision)
        add_failure (failures, "%s: refused, yet the store moved", what);
      return;
    }

  if (route == FIXED_ME && g_strcmp0 (username_of (object_of (response)), role) != 0)
    add_failure (failures, "%s: /me is %s", what, username_of (object_of (response)));
  if (route == FIXED_SESSION_CREATE)
    {
      JsonObject *object = object_of (response);
      JsonObject *user = object != NULL ? json_object_get_object_member (object, "user") : NULL;

      if (object == NULL || json_object_get_string_member_with_default (object, "token", NULL) == NULL)
        add_failure (failures, "%s: no token", what);
      if (g_strcmp0 (username_of (user), role != NULL ? role : "viewer") != 0)
        add_failure (failures, "%s: signed in as someone else", what);
    }
  if (route == FIXED_CHANGES &&
      (object_of (response) == NULL || !json_object_has_member (object_of (response), "changes")))
    add_failure (failures, "%s: no changes member", what);
  if (route == FIXED_AUDIT &&
      (object_of (response) == NULL || !json_object_has_member (object_of (response), "entries")))
    add_failure (failures, "%s: no entries member", what);
  if (route == FIXED_AUDIT_VERIFY &&
      (object_of (response) == NULL ||
       !json_object_get_boolean_member_with_default (object_of (response), "ok", FALSE)))
    add_failure (failures, "%s: the trail does not verify", what);
}

static void
test_fixed (gconstpointer data)
{
  Fixed route = GPOINTER_TO_UINT (data);
  World *w = get_table_world ();
  g_autoptr(GString) failures = g_string_new (NULL);

  for (guint caller = 0; caller < N_CALLERS; caller++)
    run_fixed_case (w, route, caller, failures);
  finish (failures);
}

/* Every route the server has is in the table, and nothing else is. */
static void
test_coverage (void)
{
  const BqServerRoute *routes;
  const BqEntityType * const *types;
  guint n_routes, n_types;
  gboolean fixed_seen[N_FIXED] = { FALSE, };
  g_autoptr(GString) failures = g_string_new (NULL);

  routes = bq_server_get_routes (&n_routes);
  for (guint i = 0; i < n_routes; i++)
    {
      gboolean found = FALSE;

      if (strstr (routes[i].path, "{collection}") != NULL)
        {
          gboolean item = strstr (routes[i].path, "{id}") != NULL;

          for (guint a = 0; a < N_ACTIONS; a++)
            found |= strcmp (actions[a].method, routes[i].method) == 0 &&
                     (a == ACTION_LIST || a == ACTION_CREATE) == !item;
          if (!found)
            add_failure (failures, "%s %s: no action of the table", routes[i].method,
                         routes[i].path);
          continue;
        }
      for (guint f = 0; f < N_FIXED; f++)
        {
          if (strcmp (fixed_routes[f].method, routes[i].method) == 0 &&
              strcmp (fixed_routes[f].path, routes[i].path) == 0)
            {
              found = TRUE;
              fixed_seen[f] = TRUE;
            }
        }
      if (!found)
        add_failure (failures, "%s %s: not in the table", routes[i].method, routes[i].path);
    }
  for (guint f = 0; f < N_FIXED; f++)
    {
      if (!fixed_seen[f])
        add_failure (failures, "%s %s: in the table but not a route", fixed_routes[f].method,
                     fixed_routes[f].path);
    }

  types = bq_entity_types (&n_types);
  for (guint t = 0; t < n_types; t++)
    {
      gboolean found = FALSE;

      for (guint r = 0; r < G_N_ELEMENTS (collections); r++)
        found |= strcmp (collections[r].plural, types[t]->plural) == 0;
      if (!found)
        add_failure (failures, "%s: not in the table", types[t]->plural);
    }
  g_assert_cmpuint (G_N_ELEMENTS (collections), ==, n_types);
  finish (failures);
}

/* ------------------------------------------------------- account managers */

/* The first entity of @type of one of am-na's centres. */
static gpointer
north_american (World              *w,
                const BqEntityType *type)
{
  return find_entity (w, type, w->am_na);
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_int_member (object, name);
}

#define assert_status(response, expected)                                            \
  G_STMT_START {                                                                      \
    if ((response)->status != (expected))                                             \
      g_error ("expected %u, got %u: %.*s", (guint) (expected), (response)->status,   \
               (int) g_bytes_get_size ((response)->body),                             \
               (const char *) g_bytes_get_data ((response)->body, NULL));             \
  } G_STMT_END

#define assert_error(response, expected_status, expected_code)                        \
  G_STMT_START {                                                                      \
    assert_status (response, expected_status);                                        \
    g_assert_cmpstr (bq_test_response_error_code (response), ==, expected_code);      \
  } G_STMT_END

/* The error message of @response with @id written as "ID": a hidden
 * entity must be refused in the very words of a missing one. */
static char *
message_without (BqTestResponse *response,
                 const char     *id)
{
  JsonObject *error = json_object_get_object_member (bq_test_response_object (response), "error");
  GString *message = g_string_new (json_object_get_string_member (error, "message"));

  g_string_replace (message, id, "ID", 0);
  return g_string_free (message, FALSE);
}

/* Every item of every page of @path (which has no query yet). */
static GPtrArray *
list_all (World      *w,
          const char *token,
          const char *path)
{
  GPtrArray *items = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gint64 offset = 0;

  while (offset >= 0)
    {
      g_autofree char *page_path = g_strdup_printf ("%s%slimit=1000&offset=%" G_GINT64_FORMAT,
                                                    path, strchr (path, '?') ? "&" : "?",
                                                    offset);
      g_autoptr(BqTestResponse) page = bq_test_request (w->ts, "GET", page_path, token, NULL,
                                                        NULL);
      JsonObject *object;
      JsonArray *array;

      assert_status (page, SOUP_STATUS_OK);
      object = bq_test_response_object (page);
      array = json_object_get_array_member (object, "items");
      for (guint i = 0; i < json_array_get_length (array); i++)
        g_ptr_array_add (items, json_object_ref (json_array_get_object_element (array, i)));
      offset = json_object_get_null_member (object, "next_offset") ? -1
               : member_int (object, "next_offset");
    }
  return items;
}

/* The centre of an entity in its JSON form. */
static char *
json_centre (World              *w,
             const BqEntityType *type,
             JsonObject         *object)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
  gpointer entity;
  char *centre;

  json_node_set_object (node, object);
  entity = bq_entity_from_json (type, node, BQ_JSON_DEFAULT, &error);
  g_assert_no_error (error);
  centre = entity_centre (w, entity);
  bq_entity_free (entity);
  return centre;
}

/* Another centre's entities by id: 404, in the words of a missing one. */
static void
test_am_get_other_centre (void)
{
  g_autoptr(World) w = world_new ();
  const char *europe = w->tokens[CALLER_AM_EUROPE];
  g_autofree char *na = bq_test_server_login (w->ts, "am-na");

  for (guint i = 0; i < G_N_ELEMENTS (scoped_types); i++)
    {
      const BqEntityType *type = scoped_types[i];
      gpointer other = north_american (w, type);
      g_autofree char *path = item_path (type->plural, bq_entity_get_id (other));
      g_autofree char *missing_path = item_path (type->plural, "authz-no-such-thing");
      g_autoptr(BqTestResponse) hidden = bq_test_request (w->ts, "GET", path, europe, NULL, NULL);
      g_autoptr(BqTestResponse) missing = bq_test_request (w->ts, "GET", missing_path, europe,
                                                           NULL, NULL);
      g_autoptr(BqTestResponse) theirs = bq_test_request (w->ts, "GET", path, na, NULL, NULL);
      g_autofree char *hidden_message = NULL;
      g_autofree char *missing_message = NULL;

      g_test_message ("%s", path);
      assert_error (hidden, SOUP_STATUS_NOT_FOUND, "not_found");
      assert_error (missing, SOUP_STATUS_NOT_FOUND, "not_found");
      hidden_message = message_without (hidden, bq_entity_get_id (other));
      missing_message = message_without (missing, "authz-no-such-thing");
      g_assert_cmpstr (hidden_message, ==, missing_message);
      g_assert_null (soup_message_headers_get_one (hidden->headers, "ETag"));
      /* It is there, for the account manager of its centre. */
      assert_status (theirs, SOUP_STATUS_OK);
      bq_entity_free (other);
    }
}

/* Lists hold exactly the entities of their centres (and the pools). */
static void
test_am_list (void)
{
  g_autoptr(World) w = world_new ();
  const char *token = w->tokens[CALLER_AM_EUROPE];
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (scoped_types); i++)
    {
      const BqEntityType *type = scoped_types[i];
      g_autofree char *path = g_strconcat ("/api/v1/", type->plural, NULL);
      g_autoptr(GPtrArray) all = bq_store_list (w->ts->store, type, &error);
      g_autoptr(GPtrArray) items = NULL;
      g_autoptr(GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);

      g_assert_no_error (error);
      for (guint e = 0; e < all->len; e++)
        {
          gpointer entity = g_ptr_array_index (all, e);
          g_autofree char *centre = entity_centre (w, entity);

          if (serves (w->am_europe, centre) || (type == &bq_slot_type && centre == NULL))
            g_hash_table_add (expected, (gpointer) bq_entity_get_id (entity));
        }
      g_assert_cmpuint (g_hash_table_size (expected), >, 0);
      g_assert_cmpuint (g_hash_table_size (expected), <, all->len);

      items = list_all (w, token, path);
      g_test_message ("%s: %u of %u", type->plural, items->len, all->len);
      for (guint e = 0; e < items->len; e++)
        {
          JsonObject *item = g_ptr_array_index (items, e);
          const char *id = json_object_get_string_member (item, "id");
          g_autofree char *centre = json_centre (w, type, item);

          if (!g_hash_table_contains (expected, id))
            g_error ("%s %s of %s is in am-europe's list", type->name, id, centre);
        }
      g_assert_cmpuint (items->len, ==, g_hash_table_size (expected));
    }

  /* Asking for another centre by filter gives nothing, not its rows. */
  {
    g_autofree char *centre = g_uri_escape_string (w->am_na->centre_ids[0], NULL, FALSE);
    g_autoptr(BqShipment) shipment = north_american (w, &bq_shipment_type);
    const char * const filters[] = { "orders?centre=", "slots?centre=", "shipments?centre=" };

    for (guint i = 0; i < G_N_ELEMENTS (filters); i++)
      {
        g_autofree char *path = g_strconcat ("/api/v1/", filters[i], centre, NULL);
        g_autoptr(GPtrArray) items = list_all (w, token, path);

        g_assert_cmpuint (items->len, ==, 0);
      }
    {
      g_autofree char *path = g_strconcat ("/api/v1/shipment_legs?shipment=", shipment->base.id,
                                           NULL);
      g_autoptr(GPtrArray) items = list_all (w, token, path);

      g_assert_cmpuint (items->len, ==, 0);
    }
  }
}

/* The whole feed of @token after @since: change objects, referenced. */
static GPtrArray *
feed (World      *w,
      const char *token,
      gint64      since)
{
  GPtrArray *changes = g_ptr_array_new_with_free_func ((GDestroyNotify) json_object_unref);
  gboolean more = TRUE;

  while (more)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT
                                               "&limit=5000", since);
      g_autoptr(BqTestResponse) page = bq_test_request (w->ts, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonArray *list;

      assert_status (page, SOUP_STATUS_OK);
      object = bq_test_response_object (page);
      list = json_object_get_array_member (object, "changes");
      for (guint i = 0; i < json_array_get_length (list); i++)
        g_ptr_array_add (changes, json_object_ref (json_array_get_object_element (list, i)));
      more = json_object_get_boolean_member (object, "more");
      since = member_int (object, "revision");
    }
  return changes;
}

static const BqEntityType *
kind_type (const char *kind)
{
  const BqEntityType *type = bq_entity_type_lookup (kind);

  g_assert_nonnull (type);
  return type;
}

/* The change feed from 0 has none of the users, and of the scoped types
 * only their centres' (and pools); every one of theirs is there. */
static void
test_am_changes (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(GPtrArray) changes = feed (w, w->tokens[CALLER_AM_EUROPE], 0);
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(GError) error = NULL;

  for (guint i = 0; i < changes->len; i++)
    {
      JsonObject *change = g_ptr_array_index (changes, i);
      const char *kind = json_object_get_string_member (change, "kind");
      const BqEntityType *type = kind_type (kind);
      g_autofree char *centre = NULL;

      if (type == &bq_user_type)
        g_error ("user %s is in am-europe's feed", json_object_get_string_member (change, "id"));
      if (!is_scoped (type))
        continue;
      g_assert_false (json_object_get_boolean_member (change, "deleted"));
      centre = json_centre (w, type, json_object_get_object_member (change, "entity"));
      if (!serves (w->am_europe, centre) && !(type == &bq_slot_type && centre == NULL))
        g_error ("%s %s of %s is in am-europe's feed", kind,
                 json_object_get_string_member (change, "id"), centre);
      g_hash_table_add (seen, g_strconcat (kind, "/", json_object_get_string_member (change, "id"),
                                           NULL));
    }

  /* And nothing of theirs is missing. */
  for (guint i = 0; i < G_N_ELEMENTS (scoped_types); i++)
    {
      g_autoptr(GPtrArray) all = bq_store_list (w->ts->store, scoped_types[i], &error);
      guint expected = 0;

      g_assert_no_error (error);
      for (guint e = 0; e < all->len; e++)
        {
          gpointer entity = g_ptr_array_index (all, e);
          g_autofree char *centre = entity_centre (w, entity);
          g_autofree char *key = NULL;

          if (!serves (w->am_europe, centre) && !(scoped_types[i] == &bq_slot_type && centre == NULL))
            continue;
          key = g_strconcat (scoped_types[i]->name, "/", bq_entity_get_id (entity), NULL);
          g_assert_true (g_hash_table_contains (seen, key));
          expected++;
        }
      g_assert_cmpuint (expected, >, 0);
    }
}

static gboolean
has_change (GPtrArray  *changes,
            const char *kind,
            const char *id,
            gboolean    deleted)
{
  for (guint i = 0; i < changes->len; i++)
    {
      JsonObject *change = g_ptr_array_index (changes, i);

      if (strcmp (json_object_get_string_member (change, "kind"), kind) == 0 &&
          strcmp (json_object_get_string_member (change, "id"), id) == 0 &&
          json_object_get_boolean_member (change, "deleted") == deleted)
        return TRUE;
    }
  return FALSE;
}

static void
admin_delete (World         *w,
              gconstpointer  entity)
{
  g_autofree char *path = item_path (BQ_ENTITY (entity)->type->plural, bq_entity_get_id (entity));
  g_autoptr(BqTestResponse) response = bq_test_request (w->ts, "DELETE", path,
                                                        w->tokens[CALLER_ADMIN], NULL, NULL);

  assert_status (response, SOUP_STATUS_NO_CONTENT);
}

/* Tombstones of another centre's order, leg and slot do not leak; the
 * ones of their own do come, and the other centre's manager gets theirs. */
static void
test_am_changes_tombstones (void)
{
  g_autoptr(World) w = world_new ();
  g_autofree char *na_token = bq_test_server_login (w->ts, "am-na");
  g_autoptr(BqOrder) na_order = north_american (w, &bq_order_type);
  g_autoptr(BqShipmentLeg) na_leg = north_american (w, &bq_shipment_leg_type);
  g_autoptr(BqSlot) na_slot = store_get (w, &bq_slot_type, SLOT_NA);
  g_autoptr(BqOrder) own_order = find_entity (w, &bq_order_type, w->am_europe);
  g_autoptr(GPtrArray) europe = NULL;
  g_autoptr(GPtrArray) na = NULL;
  gint64 since = bq_store_get_revision (w->ts->store);

  admin_delete (w, na_order);
  admin_delete (w, na_leg);
  admin_delete (w, na_slot);
  admin_delete (w, own_order);

  europe = feed (w, w->tokens[CALLER_AM_EUROPE], since);
  g_assert_true (has_change (europe, "order", own_order->base.id, TRUE));
  g_assert_false (has_change (europe, "order", na_order->base.id, TRUE));
  g_assert_false (has_change (europe, "shipment_leg", na_leg->base.id, TRUE));
  g_assert_false (has_change (europe, "slot", SLOT_NA, TRUE));
  g_assert_cmpuint (europe->len, ==, 1);
  g_assert_false (json_object_has_member (g_ptr_array_index (europe, 0), "entity"));

  na = feed (w, na_token, since);
  g_assert_true (has_change (na, "order", na_order->base.id, TRUE));
  g_assert_true (has_change (na, "shipment_leg", na_leg->base.id, TRUE));
  g_assert_true (has_change (na, "slot", SLOT_NA, TRUE));
  g_assert_false (has_change (na, "order", own_order->base.id, TRUE));
  g_assert_cmpuint (na->len, ==, 3);
}

/* An order moved from one of their centres to another centre has left
 * their world: their feed must say so (as a deletion), or their copy
 * keeps it for ever. */
static void
test_am_changes_moved_away (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqOrder) own_order = find_entity (w, &bq_order_type, w->am_europe);
  g_autofree char *path = item_path ("orders", own_order->base.id);
  g_autofree char *body = g_strdup_printf ("{\"centre_id\":\"%s\"}", w->am_na->centre_ids[0]);
  g_autoptr(BqTestResponse) moved = NULL;
  g_autoptr(GPtrArray) europe = NULL;
  gint64 since = bq_store_get_revision (w->ts->store);

  moved = bq_test_request (w->ts, "PATCH", path, w->tokens[CALLER_ADMIN], body, NULL);
  assert_status (moved, SOUP_STATUS_OK);

  europe = feed (w, w->tokens[CALLER_AM_EUROPE], since);
  /* What it says must not be the order as it is now (another centre's). */
  g_assert_false (has_change (europe, "order", own_order->base.id, FALSE));
  g_assert_true (has_change (europe, "order", own_order->base.id, TRUE));
}

static gint64
revision_message (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);
  JsonObject *object;

  g_assert_nonnull (node);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (node));
  object = json_node_get_object (node);
  g_assert_cmpuint (json_object_get_size (object), ==, 1);
  return member_int (object, "revision");
}

static void
admin_patch (World         *w,
             gconstpointer  entity,
             const char    *body)
{
  g_autofree char *path = item_path (BQ_ENTITY (entity)->type->plural, bq_entity_get_id (entity));
  g_autoptr(BqTestResponse) response = bq_test_request (w->ts, "PATCH", path,
                                                        w->tokens[CALLER_ADMIN], body, NULL);

  assert_status (response, SOUP_STATUS_OK);
}

/* A PATCH that really changes @order: its activity, a little higher. */
static char *
activity_change (const BqOrder *order)
{
  return g_strdup_printf ("{\"prescribed_activity_bq\":%.1f}",
                          order->prescribed_activity_bq + 1e6);
}

/* Another centre's change sends am-europe nothing; their own centre's
 * sends {"revision":N}. */
static void
test_am_events (void)
{
  g_autoptr(World) w = world_new ();
  g_autofree char *na_token = bq_test_server_login (w->ts, "am-na");
  g_autoptr(BqOrder) na_order = north_american (w, &bq_order_type);
  g_autoptr(BqShipmentLeg) na_leg = north_american (w, &bq_shipment_leg_type);
  g_autoptr(BqOrder) own_order = find_entity (w, &bq_order_type, w->am_europe);
  g_autoptr(SoupWebsocketConnection) europe = NULL;
  g_autoptr(SoupWebsocketConnection) na = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *na_hello = NULL;
  g_autofree char *na_event = NULL;
  g_autofree char *quiet = NULL;
  g_autofree char *event = NULL;
  g_autofree char *na_body = activity_change (na_order);
  g_autofree char *own_body = activity_change (own_order);
  g_autofree char *leg_body = NULL;
  g_autofree char *expected = NULL;
  gint64 na_revision;

  europe = bq_test_server_connect_events (w->ts, w->tokens[CALLER_AM_EUROPE], FALSE, NULL,
                                          &error);
  g_assert_no_error (error);
  na = bq_test_server_connect_events (w->ts, na_token, TRUE, NULL, &error);
  g_assert_no_error (error);
  hello = bq_test_events_next (europe, EVENT_TIMEOUT_MS);
  g_assert_nonnull (hello);
  g_assert_cmpint (revision_message (hello), ==, bq_store_get_revision (w->ts->store));
  na_hello = bq_test_events_next (na, EVENT_TIMEOUT_MS);
  g_assert_nonnull (na_hello);

  /* Another centre's order and shipment leg. */
  admin_patch (w, na_order, na_body);
  na_revision = bq_store_get_revision (w->ts->store);
  leg_body = g_strdup_printf ("{\"seq\":%" G_GINT64_FORMAT "}", na_leg->seq + 100);
  admin_patch (w, na_leg, leg_body);

  na_event = bq_test_events_next (na, EVENT_TIMEOUT_MS);
  g_assert_nonnull (na_event);
  g_assert_cmpint (revision_message (na_event), ==, na_revision);
  quiet = bq_test_events_next (europe, QUIET_MS);
  if (quiet != NULL)
    g_error ("am-europe heard of another centre's change: %s", quiet);

  /* Their own. */
  admin_patch (w, own_order, own_body);
  event = bq_test_events_next (europe, EVENT_TIMEOUT_MS);
  g_assert_nonnull (event);
  expected = g_strdup_printf ("{\"revision\":%" G_GINT64_FORMAT "}",
                              bq_store_get_revision (w->ts->store));
  g_assert_cmpstr (event, ==, expected);

  soup_websocket_connection_close (europe, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
  soup_websocket_connection_close (na, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

static char *
order_body (const char *centre_id,
            const char *extra)
{
  return g_strdup_printf ("{\"centre_id\":\"%s\",\"product_id\":\"product-lu177-psma\","
                          "\"patient_ref\":\"PT-AUTHZ-0001\",\"prescribed_activity_bq\":7.4e9,"
                          "\"admin_start\":\"2027-03-02T09:00:00Z\","
                          "\"admin_end\":\"2027-03-02T12:00:00Z\"%s}", centre_id, extra);
}

/* Creating an order for another centre: 403, nothing stored. */
static void
test_am_create_other_centre (void)
{
  g_autoptr(World) w = world_new ();
  const char *token = w->tokens[CALLER_AM_EUROPE];
  g_autofree char *other = order_body (w->am_na->centre_ids[0], ",\"id\":\"authz-order-other\"");
  g_autofree char *own = order_body (w->am_europe->centre_ids[0], ",\"id\":\"authz-order-own\"");
  g_autoptr(BqTestResponse) refused = NULL;
  g_autoptr(BqTestResponse) created = NULL;
  gpointer stored;
  gint64 revision = bq_store_get_revision (w->ts->store);

  refused = bq_test_request (w->ts, "POST", "/api/v1/orders", token, other, NULL);
  assert_error (refused, SOUP_STATUS_FORBIDDEN, "forbidden");
  g_assert_cmpint (bq_store_get_revision (w->ts->store), ==, revision);
  stored = store_get (w, &bq_order_type, "authz-order-other");
  g_assert_null (stored);

  /* The same body for their own centre is fine. */
  created = bq_test_request (w->ts, "POST", "/api/v1/orders", token, own, NULL);
  assert_status (created, SOUP_STATUS_CREATED);
}

/* PATCHing another centre's order: 404 like a missing one, unchanged;
 * DELETE is not theirs at all: 403. */
static void
test_am_patch_other_centre (void)
{
  g_autoptr(World) w = world_new ();
  const char *token = w->tokens[CALLER_AM_EUROPE];
  g_autoptr(BqOrder) na_order = north_american (w, &bq_order_type);
  g_autoptr(BqOrder) own_order = find_entity (w, &bq_order_type, w->am_europe);
  g_autoptr(BqOrder) after = NULL;
  g_autofree char *path = item_path ("orders", na_order->base.id);
  g_autofree char *own_path = item_path ("orders", own_order->base.id);
  g_autofree char *missing_path = item_path ("orders", "authz-no-such-order");
  g_autofree char *body = activity_change (na_order);
  g_autoptr(BqTestResponse) hidden = NULL;
  g_autoptr(BqTestResponse) missing = NULL;
  g_autoptr(BqTestResponse) deleted = NULL;
  g_autoptr(BqTestResponse) own = NULL;
  g_autofree char *hidden_message = NULL;
  g_autofree char *missing_message = NULL;
  gint64 revision = bq_store_get_revision (w->ts->store);

  hidden = bq_test_request (w->ts, "PATCH", path, token, body, NULL);
  assert_error (hidden, SOUP_STATUS_NOT_FOUND, "not_found");
  missing = bq_test_request (w->ts, "PATCH", missing_path, token, body, NULL);
  assert_error (missing, SOUP_STATUS_NOT_FOUND, "not_found");
  hidden_message = message_without (hidden, na_order->base.id);
  missing_message = message_without (missing, "authz-no-such-order");
  g_assert_cmpstr (hidden_message, ==, missing_message);

  deleted = bq_test_request (w->ts, "DELETE", path, token, NULL, NULL);
  assert_error (deleted, SOUP_STATUS_FORBIDDEN, "forbidden");

  g_assert_cmpint (bq_store_get_revision (w->ts->store), ==, revision);
  after = store_get (w, &bq_order_type, na_order->base.id);
  g_assert_nonnull (after);
  g_assert_true (bq_entity_equal (after, na_order));

  /* The same change to their own order is fine. */
  own = bq_test_request (w->ts, "PATCH", own_path, token, body, NULL);
  assert_status (own, SOUP_STATUS_OK);
}

/* Moving their own order to another centre is creating one there: 403. */
static void
test_am_move_to_other_centre (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqOrder) own_order = find_entity (w, &bq_order_type, w->am_europe);
  g_autoptr(BqOrder) after = NULL;
  g_autofree char *path = item_path ("orders", own_order->base.id);
  g_autofree char *body = g_strdup_printf ("{\"centre_id\":\"%s\"}", w->am_na->centre_ids[0]);
  g_autoptr(BqTestResponse) refused = NULL;
  gint64 revision = bq_store_get_revision (w->ts->store);

  refused = bq_test_request (w->ts, "PATCH", path, w->tokens[CALLER_AM_EUROPE], body, NULL);
  assert_error (refused, SOUP_STATUS_FORBIDDEN, "forbidden");
  g_assert_cmpint (bq_store_get_revision (w->ts->store), ==, revision);
  after = store_get (w, &bq_order_type, own_order->base.id);
  g_assert_true (bq_entity_equal (after, own_order));
}

/* An order of their own centre may not point at another centre's slot or
 * shipment: it is refused as if that did not exist. */
static void
test_am_reference_other_centre (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqShipment) na_shipment = north_american (w, &bq_shipment_type);
  const struct {
    const char *field;
    const char *hidden;
  } cases[] = {
    { "slot_id", SLOT_NA },
    { "shipment_id", na_shipment->base.id },
  };
  gint64 revision = bq_store_get_revision (w->ts->store);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *hidden_extra = g_strdup_printf (",\"%s\":\"%s\"", cases[i].field,
                                                       cases[i].hidden);
      g_autofree char *missing_extra = g_strdup_printf (",\"%s\":\"authz-nothing\"",
                                                        cases[i].field);
      g_autofree char *hidden_body = order_body (w->am_europe->centre_ids[0], hidden_extra);
      g_autofree char *missing_body = order_body (w->am_europe->centre_ids[0], missing_extra);
      g_autoptr(BqTestResponse) hidden = NULL;
      g_autoptr(BqTestResponse) missing = NULL;
      g_autofree char *hidden_message = NULL;
      g_autofree char *missing_message = NULL;

      hidden = bq_test_request (w->ts, "POST", "/api/v1/orders", w->tokens[CALLER_AM_EUROPE],
                                hidden_body, NULL);
      missing = bq_test_request (w->ts, "POST", "/api/v1/orders", w->tokens[CALLER_AM_EUROPE],
                                 missing_body, NULL);
      assert_status (hidden, missing->status);
      g_assert_cmpuint (hidden->status, >=, 400);
      g_assert_cmpstr (bq_test_response_error_code (hidden), ==,
                       bq_test_response_error_code (missing));
      g_assert_cmpstr (bq_test_response_error_field (hidden), ==, cases[i].field);
      hidden_message = message_without (hidden, cases[i].hidden);
      missing_message = message_without (missing, "authz-nothing");
      g_assert_cmpstr (hidden_message, ==, missing_message);
    }
  g_assert_cmpint (bq_store_get_revision (w->ts->store), ==, revision);
}

/* Pools are open to every account manager (bq-policy.c). */
static void
test_am_pool_slot (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqTestResponse) pool = NULL;
  g_autoptr(BqTestResponse) other = NULL;

  pool = bq_test_request (w->ts, "GET", "/api/v1/slots/" SLOT_POOL, w->tokens[CALLER_AM_EUROPE],
                          NULL, NULL);
  assert_status (pool, SOUP_STATUS_OK);
  other = bq_test_request (w->ts, "GET", "/api/v1/slots/" SLOT_NA, w->tokens[CALLER_AM_EUROPE],
                           NULL, NULL);
  assert_error (other, SOUP_STATUS_NOT_FOUND, "not_found");
}

/* Logistics may update an order's status and shipment, nothing else. */
static void
test_logistics_order_fields (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqOrder) order = find_entity (w, &bq_order_type, NULL);
  g_autofree char *path = item_path ("orders", order->base.id);
  g_autofree char *body = activity_change (order);
  g_autoptr(BqTestResponse) refused = NULL;
  gint64 revision = bq_store_get_revision (w->ts->store);

  refused = bq_test_request (w->ts, "PATCH", path, w->tokens[CALLER_LOGISTICS], body, NULL);
  assert_error (refused, SOUP_STATUS_FORBIDDEN, "forbidden");
  g_assert_cmpstr (bq_test_response_error_field (refused), ==, "prescribed_activity_bq");
  g_assert_cmpint (bq_store_get_revision (w->ts->store), ==, revision);
}

/* A disabled user's token stops working at once. */
static void
test_disabled_user (void)
{
  g_autoptr(World) w = world_new ();
  g_autoptr(BqTestResponse) before = NULL;
  g_autoptr(BqTestResponse) after = NULL;
  g_autoptr(BqTestResponse) sign_in = NULL;
  g_autoptr(BqUser) viewer = store_get (w, &bq_user_type, "user-viewer");

  before = bq_test_request (w->ts, "GET", "/api/v1/runs?limit=1", w->tokens[CALLER_VIEWER], NULL,
                            NULL);
  assert_status (before, SOUP_STATUS_OK);
  admin_patch (w, viewer, "{\"disabled\":true}");
  after = bq_test_request (w->ts, "GET", "/api/v1/runs?limit=1", w->tokens[CALLER_VIEWER], NULL,
                           NULL);
  assert_error (after, SOUP_STATUS_UNAUTHORIZED, "unauthorized");
  sign_in = bq_test_request (w->ts, "POST", "/api/v1/session", NULL,
                             "{\"username\":\"viewer\",\"password\":\"" BQ_TEST_PASSWORD "\"}",
                             NULL);
  g_assert_cmpuint (sign_in->status, >=, 400);
  g_assert_nonnull (bq_test_response_error_code (sign_in));
}

/* Tests that stop at the first failed assertion run in a subprocess of
 * their own, so that one bug fails one test, not all that follow. */
typedef struct {
  const char *path;
  GTestFunc   func;
} IsolatedTest;

static const IsolatedTest isolated_tests[] = {
  { "/server-authz/account-manager/get-other-centre", test_am_get_other_centre },
  { "/server-authz/account-manager/list", test_am_list },
  { "/server-authz/account-manager/changes/visible", test_am_changes },
  { "/server-authz/account-manager/changes/tombstones", test_am_changes_tombstones },
  { "/server-authz/account-manager/changes/moved-away", test_am_changes_moved_away },
  { "/server-authz/account-manager/events", test_am_events },
  { "/server-authz/account-manager/create-other-centre", test_am_create_other_centre },
  { "/server-authz/account-manager/patch-other-centre", test_am_patch_other_centre },
  { "/server-authz/account-manager/move-to-other-centre", test_am_move_to_other_centre },
  { "/server-authz/account-manager/reference-other-centre", test_am_reference_other_centre },
  { "/server-authz/account-manager/pool-slot", test_am_pool_slot },
  { "/server-authz/logistics/order-fields", test_logistics_order_fields },
  { "/server-authz/disabled-user", test_disabled_user },
};

static void
run_isolated (gconstpointer data)
{
  const IsolatedTest *test = data;

  if (g_test_subprocess ())
    {
      test->func ();
      return;
    }
  g_test_trap_subprocess (NULL, 120 * G_USEC_PER_SEC, G_TEST_SUBPROCESS_INHERIT_STDERR);
  if (!g_test_trap_has_passed ())
    g_test_fail_printf ("%s failed (its messages are above)", test->path);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Report every mismatch of the table rather than bail out at the
   * first; isolated tests still stop at their first failed assertion. */
  if (!g_test_subprocess ())
    g_test_set_nonfatal_assertions ();

  g_test_add_func ("/server-authz/coverage", test_coverage);

  for (guint f = 0; f < N_FIXED; f++)
    {
      g_autofree char *path = g_strdup_printf ("/server-authz/%s", fixed_routes[f].test);

      g_test_add_data_func (path, GUINT_TO_POINTER (f), test_fixed);
    }
  for (guint r = 0; r < G_N_ELEMENTS (collections); r++)
    {
      for (guint a = 0; a < N_ACTIONS; a++)
        {
          CollectionCase *c = &collection_cases[r * N_ACTIONS + a];
          g_autofree char *path = g_strdup_printf ("/server-authz/%s/%s", collections[r].plural,
                                                   actions[a].name);

          c->row = r;
          c->action = a;
          g_test_add_data_func (path, c, test_collection);
        }
    }
  for (guint i = 0; i < G_N_ELEMENTS (isolated_tests); i++)
    g_test_add_data_func (isolated_tests[i].path, &isolated_tests[i], run_isolated);

  status = g_test_run ();
  g_clear_pointer (&table_world, world_free);
  return status;
}
