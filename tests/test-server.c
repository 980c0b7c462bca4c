/* test-server.c — the HTTP API end to end, through a SoupSession
 *
 * Each test gets its own server over a fresh demo store
 * (bq-test-server.h).  Expected results are worked out from the store
 * directly, not through the server's code.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "bq-audit.h"
#include "bq-core.h"
#include "bq-test-server.h"

#define SITE     "site-nl-pet"
#define CENTRE   "centre-de-muc-tum"    /* served by am-europe */
#define PRODUCT  "product-lu177-psma"
#define EVENT_TIMEOUT_MS 10000

static const char new_forecast[] =
  "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
  "\"week_start\":\"2027-03-01T00:00:00Z\",\"doses\":5}";

static const char new_order[] =
  "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
  "\"patient_ref\":\"PT-2027-0001\",\"prescribed_activity_bq\":7.4e9,"
  "\"admin_start\":\"2027-03-02T09:00:00Z\",\"admin_end\":\"2027-03-02T12:00:00Z\"}";

/* ---------------------------------------------------------------- helpers */

static const char *
member_string (JsonObject *object,
               const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_string_member (object, name);
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_int_member (object, name);
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_array_member (object, name);
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

static gint64
audit_count (BqTestServer *ts)
{
  g_autoptr(GError) error = NULL;
  gint64 n = 0, bad = 0;

  g_assert_true (bq_audit_verify (ts->store, &n, &bad, &error));
  g_assert_no_error (error);
  return n;
}

/* POSTs @body to @collection as @token; the created entity's id. */
static char *
create (BqTestServer *ts,
        const char   *token,
        const char   *collection,
        const char   *body)
{
  g_autofree char *path = g_strconcat ("/api/v1/", collection, NULL);
  g_autoptr(BqTestResponse) response = bq_test_request (ts, "POST", path, token, body, NULL);

  assert_status (response, SOUP_STATUS_CREATED);
  return g_strdup (member_string (bq_test_response_object (response), "id"));
}

/* ------------------------------------------------------------------ basics */

static void
test_healthz (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(BqTestResponse) response = bq_test_request (ts, "GET", "/healthz", NULL, NULL, NULL);
  JsonObject *object;

  assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_content_type (response->headers, NULL), ==,
                   "application/json");
  object = bq_test_response_object (response);
  g_assert_cmpstr (member_string (object, "status"), ==, "ok");
  g_assert_cmpint (member_int (object, "revision"), ==, bq_store_get_revision (ts->store));
}

static void
test_not_found_and_method (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "viewer");
  g_autoptr(BqTestResponse) unknown = NULL;
  g_autoptr(BqTestResponse) singular = NULL;
  g_autoptr(BqTestResponse) wrong_method = NULL;
  g_autoptr(BqTestResponse) openapi = NULL;

  unknown = bq_test_request (ts, "GET", "/api/v1/nothing-here", token, NULL, NULL);
  assert_error (unknown, SOUP_STATUS_NOT_FOUND, "not_found");
  singular = bq_test_request (ts, "GET", "/api/v1/run", token, NULL, NULL);
  assert_error (singular, SOUP_STATUS_NOT_FOUND, "not_found");

  wrong_method = bq_test_request (ts, "PUT", "/api/v1/runs", token, "{}", NULL);
  assert_error (wrong_method, SOUP_STATUS_METHOD_NOT_ALLOWED, "method_not_allowed");
  g_assert_nonnull (strstr (soup_message_headers_get_one (wrong_method->headers, "Allow"), "POST"));

  openapi = bq_test_request (ts, "GET", "/api/v1/openapi.json", NULL, NULL, NULL);
  assert_status (openapi, SOUP_STATUS_OK);
  g_assert_cmpstr (member_string (bq_test_response_object (openapi), "openapi"), ==, "3.0.3");
}

static void
test_login (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autoptr(BqTestResponse) ok = NULL;
  g_autoptr(BqTestResponse) bad = NULL;
  g_autoptr(BqTestResponse) me = NULL;
  g_autoptr(BqTestResponse) anonymous = NULL;
  g_autoptr(BqTestResponse) logout = NULL;
  g_autoptr(BqTestResponse) after = NULL;
  g_autofree char *authorization = NULL;
  JsonObject *object;
  const char *token;

  ok = bq_test_request (ts, "POST", "/api/v1/session", NULL,
                        "{\"username\":\"planner\",\"password\":\"" BQ_TEST_PASSWORD "\"}", NULL);
  assert_status (ok, SOUP_STATUS_CREATED);
  object = bq_test_response_object (ok);
  token = member_string (object, "token");
  g_assert_cmpuint (strlen (token), >=, 32);
  g_assert_true (g_str_has_suffix (member_string (object, "expires_at"), "Z"));
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "user"),
                                                  "username"), ==, "planner");

  bad = bq_test_request (ts, "POST", "/api/v1/session", NULL,
                         "{\"username\":\"planner\",\"password\":\"wrong-password\"}", NULL);
  assert_error (bad, SOUP_STATUS_UNAUTHORIZED, "invalid_credentials");

  me = bq_test_request (ts, "GET", "/api/v1/me", token, NULL, NULL);
  assert_status (me, SOUP_STATUS_OK);
  g_assert_cmpstr (member_string (bq_test_response_object (me), "role"), ==, "planner");

  anonymous = bq_test_request (ts, "GET", "/api/v1/me", NULL, NULL, NULL);
  assert_error (anonymous, SOUP_STATUS_UNAUTHORIZED, "unauthorized");

  logout = bq_test_request (ts, "DELETE", "/api/v1/session", token, NULL, NULL);
  assert_status (logout, SOUP_STATUS_NO_CONTENT);
  after = bq_test_request (ts, "GET", "/api/v1/me", token, NULL, NULL);
  assert_error (after, SOUP_STATUS_UNAUTHORIZED, "unauthorized");
}

/* ------------------------------------------------------------------ lists */

static void
test_list_filters (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = bq_store_list (ts->store, &bq_line_type, &error);
  g_autoptr(GPtrArray) runs = bq_store_list (ts->store, &bq_run_type, &error);
  g_autoptr(GPtrArray) orders = bq_store_list (ts->store, &bq_order_type, &error);
  g_autoptr(GHashTable) site_lines = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) expected = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(BqTestResponse) week = NULL;
  g_autoptr(BqTestResponse) by_centre = NULL;
  g_autoptr(BqTestResponse) bad_filter = NULL;
  g_autoptr(BqTestResponse) bad_time = NULL;
  g_autoptr(BqTestResponse) bad_status = NULL;
  gint64 from = BQ_TEST_DEMO_START + 7 * 86400, to = from + 7 * 86400;
  guint expected_orders = 0;
  gint64 previous_start = G_MININT64;
  JsonArray *items;

  g_assert_no_error (error);
  for (guint i = 0; i < lines->len; i++)
    {
      const BqLine *line = g_ptr_array_index (lines, i);

      if (strcmp (line->site_id, SITE) == 0)
        g_hash_table_add (site_lines, line->base.id);
    }
  /* Runs whose [start, calibration] overlaps the week [from, to). */
  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);

      if (g_hash_table_contains (site_lines, run->line_id) &&
          run->start_time < to && run->calibration_time >= from)
        g_hash_table_add (expected, run->base.id);
    }
  g_assert_cmpuint (g_hash_table_size (expected), >, 0);

  week = bq_test_request (ts, "GET", "/api/v1/runs?from=2026-11-16&to=2026-11-23&site=" SITE
                          "&limit=1000", token, NULL, NULL);
  assert_status (week, SOUP_STATUS_OK);
  items = member_array (bq_test_response_object (week), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, g_hash_table_size (expected));
  for (guint i = 0; i < json_array_get_length (items); i++)
    {
      JsonObject *run = json_array_get_object_element (items, i);
      gint64 start = 0;

      g_assert_true (g_hash_table_contains (expected, member_string (run, "id")));
      /* Ordered by start time. */
      g_assert_true (bq_units_parse_time (member_string (run, "start_time"), &start, NULL));
      g_assert_cmpint (start, >=, previous_start);
      previous_start = start;
    }
  g_assert_cmpint (member_int (bq_test_response_object (week), "revision"), ==,
                   bq_store_get_revision (ts->store));
  g_assert_true (json_object_get_null_member (bq_test_response_object (week), "next_offset"));

  for (guint i = 0; i < orders->len; i++)
    expected_orders += strcmp (((BqOrder *) g_ptr_array_index (orders, i))->centre_id, CENTRE) == 0;
  g_assert_cmpuint (expected_orders, >, 0);
  by_centre = bq_test_request (ts, "GET", "/api/v1/orders?centre=" CENTRE "&limit=1000", token,
                               NULL, NULL);
  assert_status (by_centre, SOUP_STATUS_OK);
  items = member_array (bq_test_response_object (by_centre), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, expected_orders);
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_assert_cmpstr (member_string (json_array_get_object_element (items, i), "centre_id"), ==,
                     CENTRE);

  bad_filter = bq_test_request (ts, "GET", "/api/v1/sites?centre=x", token, NULL, NULL);
  assert_error (bad_filter, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_field");
  g_assert_cmpstr (bq_test_response_error_field (bad_filter), ==, "centre");
  bad_time = bq_test_request (ts, "GET", "/api/v1/sites?from=2026-11-16", token, NULL, NULL);
  assert_status (bad_time, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpstr (bq_test_response_error_field (bad_time), ==, "from");
  bad_status = bq_test_request (ts, "GET", "/api/v1/runs?status=bogus", token, NULL, NULL);
  assert_error (bad_status, SOUP_STATUS_UNPROCESSABLE_ENTITY, "bad_enum");
}

static void
test_list_paging (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "viewer");
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(BqTestResponse) too_many = NULL;
  g_autoptr(GError) error = NULL;
  gint64 offset = 0;
  guint pages = 0;
  gint64 n_runs = bq_store_count (ts->store, &bq_run_type, &error);

  g_assert_no_error (error);
  while (offset >= 0)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/runs?limit=37&offset=%" G_GINT64_FORMAT,
                                               offset);
      g_autoptr(BqTestResponse) page = bq_test_request (ts, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonArray *items;

      assert_status (page, SOUP_STATUS_OK);
      object = bq_test_response_object (page);
      items = member_array (object, "items");
      g_assert_cmpuint (json_array_get_length (items), <=, 37);
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          const char *id = member_string (json_array_get_object_element (items, i), "id");

          g_assert_false (g_hash_table_contains (seen, id));
          g_hash_table_add (seen, g_strdup (id));
        }
      offset = json_object_get_null_member (object, "next_offset") ? -1
               : member_int (object, "next_offset");
      pages++;
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, n_runs);
  g_assert_cmpuint (pages, ==, (n_runs + 36) / 37);

  too_many = bq_test_request (ts, "GET", "/api/v1/runs?limit=1001", token, NULL, NULL);
  assert_error (too_many, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range");
  g_assert_cmpstr (bq_test_response_error_field (too_many), ==, "limit");
}

/* An account manager sees only their centres' orders, and the others'
 * do not exist for them. */
static void
test_list_scoped (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "am-europe");
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) user = bq_store_get (ts->store, &bq_user_type, "user-am-europe", &error);
  g_autoptr(GPtrArray) orders = bq_store_list (ts->store, &bq_order_type, &error);
  g_autoptr(BqTestResponse) list = NULL;
  g_autoptr(BqTestResponse) other = NULL;
  g_autofree char *other_path = NULL;
  const char *other_id = NULL;
  guint expected = 0;
  JsonArray *items;

  g_assert_no_error (error);
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      if (g_strv_contains ((const char * const *) user->centre_ids, order->centre_id))
        expected++;
      else if (other_id == NULL)
        other_id = order->base.id;
    }
  g_assert_nonnull (other_id);

  list = bq_test_request (ts, "GET", "/api/v1/orders?limit=1000", token, NULL, NULL);
  assert_status (list, SOUP_STATUS_OK);
  items = member_array (bq_test_response_object (list), "items");
  g_assert_cmpuint (json_array_get_length (items), ==, expected);
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_assert_true (g_strv_contains ((const char * const *) user->centre_ids,
                                    member_string (json_array_get_object_element (items, i),
                                                   "centre_id")));

  other_path = g_strconcat ("/api/v1/orders/", other_id, NULL);
  other = bq_test_request (ts, "GET", other_path, token, NULL, NULL);
  assert_error (other, SOUP_STATUS_NOT_FOUND, "not_found");
}

/* ---------------------------------------------------------------- one item */

static void
test_get_etag (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "viewer");
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) runs = bq_store_list (ts->store, &bq_run_type, &error);
  const BqRun *run = g_ptr_array_index (runs, 0);
  g_autofree char *path = g_strconcat ("/api/v1/runs/", run->base.id, NULL);
  g_autofree char *etag = g_strdup_printf ("\"%" G_GINT64_FORMAT "\"", run->base.revision);
  g_autoptr(BqTestResponse) response = bq_test_request (ts, "GET", path, token, NULL, NULL);
  g_autoptr(BqTestResponse) missing = NULL;
  g_autoptr(BqTestResponse) not_modified = NULL;
  g_autoptr(BqRun) decoded = NULL;

  assert_status (response, SOUP_STATUS_OK);
  g_assert_cmpstr (soup_message_headers_get_one (response->headers, "ETag"), ==, etag);
  decoded = bq_entity_from_json (&bq_run_type, response->json, BQ_JSON_DEFAULT, &error);
  g_assert_no_error (error);
  g_assert_true (bq_entity_equal (decoded, run));

  not_modified = bq_test_request (ts, "GET", path, token, NULL, "If-None-Match", etag, NULL);
  assert_status (not_modified, SOUP_STATUS_NOT_MODIFIED);

  missing = bq_test_request (ts, "GET", "/api/v1/runs/no-such-run", token, NULL, NULL);
  assert_error (missing, SOUP_STATUS_NOT_FOUND, "not_found");
}

/* ------------------------------------------------------------------ writes */

static void
test_create (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *manager = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) created = NULL;
  g_autoptr(BqTestResponse) fetched = NULL;
  g_autoptr(BqTestResponse) duplicate = NULL;
  g_autoptr(BqTestResponse) order = NULL;
  g_autoptr(BqTestResponse) order_fetched = NULL;
  g_autoptr(BqTestResponse) forbidden = NULL;
  g_autofree char *duplicate_body = NULL;
  const char *location, *id;
  gint64 revision = bq_store_get_revision (ts->store);
  JsonObject *object;

  created = bq_test_request (ts, "POST", "/api/v1/forecasts", planner, new_forecast, NULL);
  assert_status (created, SOUP_STATUS_CREATED);
  object = bq_test_response_object (created);
  id = member_string (object, "id");
  g_assert_cmpint (member_int (object, "revision"), ==, revision + 1);
  g_assert_cmpint (member_int (object, "doses"), ==, 5);
  location = soup_message_headers_get_one (created->headers, "Location");
  g_assert_true (g_str_has_prefix (location, "/api/v1/forecasts/"));

  fetched = bq_test_request (ts, "GET", location, planner, NULL, NULL);
  assert_status (fetched, SOUP_STATUS_OK);
  g_assert_true (json_node_equal (fetched->json, created->json));

  duplicate_body = g_strdup_printf ("{\"id\":\"%s\",\"centre_id\":\"" CENTRE "\","
                                    "\"product_id\":\"" PRODUCT "\","
                                    "\"week_start\":\"2027-03-08T00:00:00Z\",\"doses\":1}", id);
  duplicate = bq_test_request (ts, "POST", "/api/v1/forecasts", planner, duplicate_body, NULL);
  assert_error (duplicate, SOUP_STATUS_CONFLICT, "duplicate_id");

  order = bq_test_request (ts, "POST", "/api/v1/orders", manager, new_order, NULL);
  assert_status (order, SOUP_STATUS_CREATED);
  g_assert_cmpstr (member_string (bq_test_response_object (order), "status"), ==, "requested");
  order_fetched = bq_test_request (ts, "GET", soup_message_headers_get_one (order->headers,
                                                                           "Location"),
                                   manager, NULL, NULL);
  assert_status (order_fetched, SOUP_STATUS_OK);
  g_assert_true (json_node_equal (order_fetched->json, order->json));

  /* A planner may read orders but not create them. */
  forbidden = bq_test_request (ts, "POST", "/api/v1/orders", planner, new_order, NULL);
  assert_error (forbidden, SOUP_STATUS_FORBIDDEN, "forbidden");
}

static void
test_update_if_match (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autofree char *id = create (ts, token, "forecasts", new_forecast);
  g_autofree char *path = g_strconcat ("/api/v1/forecasts/", id, NULL);
  g_autoptr(BqTestResponse) before = bq_test_request (ts, "GET", path, token, NULL, NULL);
  g_autoptr(BqTestResponse) updated = NULL;
  g_autoptr(BqTestResponse) stale = NULL;
  g_autoptr(BqTestResponse) bare = NULL;
  const char *etag = soup_message_headers_get_one (before->headers, "ETag");
  gint64 old_revision = member_int (bq_test_response_object (before), "revision");
  gint64 new_revision;
  g_autofree char *bare_revision = NULL;
  JsonObject *current;

  updated = bq_test_request (ts, "PATCH", path, token, "{\"doses\":7}", "If-Match", etag, NULL);
  assert_status (updated, SOUP_STATUS_OK);
  new_revision = member_int (bq_test_response_object (updated), "revision");
  g_assert_cmpint (new_revision, >, old_revision);
  g_assert_cmpint (member_int (bq_test_response_object (updated), "doses"), ==, 7);

  /* The old ETag is stale now: 409 with what is there. */
  stale = bq_test_request (ts, "PATCH", path, token, "{\"doses\":9}", "If-Match", etag, NULL);
  assert_error (stale, SOUP_STATUS_CONFLICT, "stale_revision");
  current = json_object_get_object_member (bq_test_response_object (stale), "current");
  g_assert_nonnull (current);
  g_assert_cmpint (member_int (current, "revision"), ==, new_revision);
  g_assert_cmpint (member_int (current, "doses"), ==, 7);

  /* A bare revision works too. */
  bare_revision = g_strdup_printf ("%" G_GINT64_FORMAT, new_revision);
  bare = bq_test_request (ts, "PATCH", path, token, "{\"doses\":9}", "If-Match", bare_revision,
                          NULL);
  assert_status (bare, SOUP_STATUS_OK);
}

static void
test_update_illegal_transition (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autoptr(BqQuery) query = bq_query_new (&bq_run_type);
  g_autoptr(GPtrArray) released = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *path = NULL;
  gint64 revision = bq_store_get_revision (ts->store);

  bq_query_where_equals (query, "status", "released");
  released = bq_store_query (ts->store, query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (released->len, >, 0);

  path = g_strconcat ("/api/v1/runs/", bq_entity_get_id (g_ptr_array_index (released, 0)), NULL);
  response = bq_test_request (ts, "PATCH", path, token, "{\"status\":\"planned\"}", NULL);
  assert_error (response, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid");
  g_assert_cmpstr (bq_test_response_error_field (response), ==, "status");
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);
}

static void
test_delete (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autofree char *id = create (ts, token, "forecasts", new_forecast);
  g_autofree char *path = g_strconcat ("/api/v1/forecasts/", id, NULL);
  gint64 since = bq_store_get_revision (ts->store);
  g_autofree char *changes_path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT,
                                                   since);
  g_autoptr(BqTestResponse) deleted = NULL;
  g_autoptr(BqTestResponse) gone = NULL;
  g_autoptr(BqTestResponse) again = NULL;
  g_autoptr(BqTestResponse) changes = NULL;
  g_autoptr(BqTestResponse) in_use = NULL;
  JsonArray *list;
  JsonObject *tombstone;

  deleted = bq_test_request (ts, "DELETE", path, token, NULL, NULL);
  assert_status (deleted, SOUP_STATUS_NO_CONTENT);
  gone = bq_test_request (ts, "GET", path, token, NULL, NULL);
  assert_error (gone, SOUP_STATUS_NOT_FOUND, "not_found");
  again = bq_test_request (ts, "DELETE", path, token, NULL, NULL);
  assert_error (again, SOUP_STATUS_NOT_FOUND, "not_found");

  changes = bq_test_request (ts, "GET", changes_path, token, NULL, NULL);
  assert_status (changes, SOUP_STATUS_OK);
  list = member_array (bq_test_response_object (changes), "changes");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  tombstone = json_array_get_object_element (list, 0);
  g_assert_cmpstr (member_string (tombstone, "kind"), ==, "forecast");
  g_assert_cmpstr (member_string (tombstone, "id"), ==, id);
  g_assert_true (json_object_get_boolean_member (tombstone, "deleted"));
  g_assert_false (json_object_has_member (tombstone, "entity"));
  g_assert_cmpint (member_int (tombstone, "revision"), ==, since + 1);

  /* A site with lines is still referred to. */
  in_use = bq_test_request (ts, "DELETE", "/api/v1/sites/" SITE, token, NULL, NULL);
  assert_error (in_use, SOUP_STATUS_CONFLICT, "in_use");
}

/* ----------------------------------------------------------------- changes */

static void
test_changes (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "admin");
  g_autoptr(GHashTable) seen = g_hash_table_new (g_direct_hash, g_direct_equal);
  g_autoptr(BqTestResponse) after = NULL;
  g_autoptr(BqTestResponse) too_many = NULL;
  g_autofree char *after_path = NULL;
  g_autofree char *id = NULL;
  const BqEntityType * const *types;
  gint64 since = 0, n_entities = 0;
  gboolean more = TRUE;
  guint n_types;
  JsonArray *list;
  JsonObject *change;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    n_entities += bq_store_count (ts->store, types[i], NULL);

  while (more)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT
                                               "&limit=1000", since);
      g_autoptr(BqTestResponse) page = bq_test_request (ts, "GET", path, token, NULL, NULL);
      JsonObject *object;

      assert_status (page, SOUP_STATUS_OK);
      object = bq_test_response_object (page);
      list = member_array (object, "changes");
      for (guint i = 0; i < json_array_get_length (list); i++)
        {
          gint64 revision = member_int (json_array_get_object_element (list, i), "revision");

          g_assert_cmpint (revision, >, since);
          g_assert_false (g_hash_table_contains (seen, GSIZE_TO_POINTER (revision)));
          g_hash_table_add (seen, GSIZE_TO_POINTER (revision));
        }
      more = json_object_get_boolean_member (object, "more");
      g_assert_cmpint (member_int (object, "revision"), >=, since);
      since = member_int (object, "revision");
    }
  g_assert_cmpint (g_hash_table_size (seen), ==, n_entities);
  g_assert_cmpint (since, ==, bq_store_get_revision (ts->store));

  /* After a write, exactly that write. */
  id = create (ts, token, "forecasts", new_forecast);
  after_path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, since);
  after = bq_test_request (ts, "GET", after_path, token, NULL, NULL);
  assert_status (after, SOUP_STATUS_OK);
  list = member_array (bq_test_response_object (after), "changes");
  g_assert_cmpuint (json_array_get_length (list), ==, 1);
  change = json_array_get_object_element (list, 0);
  g_assert_cmpstr (member_string (change, "kind"), ==, "forecast");
  g_assert_cmpstr (member_string (change, "id"), ==, id);
  g_assert_false (json_object_get_boolean_member (change, "deleted"));
  g_assert_cmpstr (member_string (json_object_get_object_member (change, "entity"), "id"), ==, id);
  g_assert_cmpint (member_int (bq_test_response_object (after), "revision"), ==, since + 1);
  g_assert_false (json_object_get_boolean_member (bq_test_response_object (after), "more"));

  too_many = bq_test_request (ts, "GET", "/api/v1/changes?limit=5001", token, NULL, NULL);
  assert_error (too_many, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range");
}

/* An account manager's feed has none of the users and no other centre's
 * order, not even its tombstone. */
static void
test_changes_scoped (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *admin = bq_test_server_login (ts, "admin");
  g_autofree char *manager = bq_test_server_login (ts, "am-na");
  g_autofree char *order_id = create (ts, admin, "orders", new_order);   /* a European centre */
  g_autofree char *order_path = g_strconcat ("/api/v1/orders/", order_id, NULL);
  g_autoptr(BqTestResponse) deleted = NULL;
  g_autoptr(BqTestResponse) feed = NULL;
  gint64 before = bq_store_get_revision (ts->store) - 1;
  g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, before);
  JsonArray *list;

  deleted = bq_test_request (ts, "DELETE", order_path, admin, NULL, NULL);
  assert_status (deleted, SOUP_STATUS_NO_CONTENT);

  feed = bq_test_request (ts, "GET", path, manager, NULL, NULL);
  assert_status (feed, SOUP_STATUS_OK);
  list = member_array (bq_test_response_object (feed), "changes");
  g_assert_cmpuint (json_array_get_length (list), ==, 0);
  g_assert_cmpint (member_int (bq_test_response_object (feed), "revision"), ==,
                   bq_store_get_revision (ts->store));
}

/* ------------------------------------------------------------- idempotency */

static void
test_idempotency (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autoptr(BqTestResponse) first = NULL;
  g_autoptr(BqTestResponse) replay = NULL;
  g_autoptr(BqTestResponse) reused = NULL;
  g_autoptr(BqTestResponse) other_user = NULL;
  g_autofree char *admin = bq_test_server_login (ts, "admin");
  gint64 revision, audited;

  first = bq_test_request (ts, "POST", "/api/v1/forecasts", token, new_forecast,
                           "Idempotency-Key", "key-1", NULL);
  assert_status (first, SOUP_STATUS_CREATED);
  g_assert_null (soup_message_headers_get_one (first->headers, "Idempotent-Replay"));
  revision = bq_store_get_revision (ts->store);
  audited = audit_count (ts);

  replay = bq_test_request (ts, "POST", "/api/v1/forecasts", token, new_forecast,
                            "Idempotency-Key", "key-1", NULL);
  assert_status (replay, SOUP_STATUS_CREATED);
  g_assert_cmpstr (soup_message_headers_get_one (replay->headers, "Idempotent-Replay"), ==, "true");
  g_assert_true (g_bytes_equal (replay->body, first->body));
  g_assert_cmpstr (soup_message_headers_get_one (replay->headers, "Location"), ==,
                   soup_message_headers_get_one (first->headers, "Location"));
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);
  g_assert_cmpint (audit_count (ts), ==, audited);

  reused = bq_test_request (ts, "POST", "/api/v1/forecasts", token,
                            "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
                            "\"week_start\":\"2027-03-08T00:00:00Z\",\"doses\":2}",
                            "Idempotency-Key", "key-1", NULL);
  assert_error (reused, SOUP_STATUS_UNPROCESSABLE_ENTITY, "idempotency_key_reused");
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);

  /* Keys are per user. */
  other_user = bq_test_request (ts, "POST", "/api/v1/forecasts", admin, new_forecast,
                                "Idempotency-Key", "key-1", NULL);
  assert_status (other_user, SOUP_STATUS_CREATED);
  g_assert_null (soup_message_headers_get_one (other_user->headers, "Idempotent-Replay"));
}

/* ------------------------------------------------------------------ events */

static gint64
parse_revision_message (const char *text)
{
  g_autoptr(JsonNode) node = json_from_string (text, NULL);

  g_assert_nonnull (node);
  return json_object_get_int_member (json_node_get_object (node), "revision");
}

static void
test_events (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autofree char *writer = bq_test_server_login (ts, "planner");
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(SoupWebsocketConnection) refused = NULL;
  g_autoptr(BqTestResponse) logout = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *event = NULL;
  g_autofree char *after_logout = NULL;
  g_autofree char *id = NULL;
  g_autofree char *id2 = NULL;
  guint status = 0;

  connection = bq_test_server_connect_events (ts, token, FALSE, &status, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (status, ==, SOUP_STATUS_SWITCHING_PROTOCOLS);
  hello = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (hello);
  g_assert_cmpint (parse_revision_message (hello), ==, bq_store_get_revision (ts->store));
  g_assert_cmpuint (bq_server_get_n_event_clients (ts->server), ==, 1);

  id = create (ts, writer, "forecasts", new_forecast);
  event = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (event);
  g_assert_cmpint (parse_revision_message (event), ==, bq_store_get_revision (ts->store));

  refused = bq_test_server_connect_events (ts, NULL, FALSE, &status, &error);
  g_assert_null (refused);
  g_assert_nonnull (error);
  g_assert_cmpuint (status, ==, SOUP_STATUS_UNAUTHORIZED);
  g_clear_error (&error);

  refused = bq_test_server_connect_events (ts, "not-a-token", TRUE, &status, &error);
  g_assert_null (refused);
  g_assert_cmpuint (status, ==, SOUP_STATUS_UNAUTHORIZED);
  g_clear_error (&error);

  /* Signing out ends the stream at the next change. */
  logout = bq_test_request (ts, "DELETE", "/api/v1/session", token, NULL, NULL);
  assert_status (logout, SOUP_STATUS_NO_CONTENT);
  id2 = create (ts, writer, "forecasts",
                "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
                "\"week_start\":\"2027-03-08T00:00:00Z\",\"doses\":1}");
  after_logout = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_null (after_logout);
  g_assert_cmpint (soup_websocket_connection_get_state (connection), ==,
                   SOUP_WEBSOCKET_STATE_CLOSED);
  g_assert_cmpuint (bq_server_get_n_event_clients (ts->server), ==, 0);
}

/* The idle timeout closes HTTP connections that wait for nothing, never
 * a WebSocket: it is not the server's to follow once upgraded. */
static void
test_events_outlive_idle_timeout (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *quiet = NULL;
  g_autofree char *event = NULL;
  g_autofree char *id = NULL;

  bq_server_set_idle_timeout (ts->server, 1);
  connection = bq_test_server_connect_events (ts, token, FALSE, NULL, &error);
  g_assert_no_error (error);
  hello = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (hello);

  /* Three idle timeouts of silence. */
  quiet = bq_test_events_next (connection, 3000);
  g_assert_null (quiet);
  g_assert_cmpint (soup_websocket_connection_get_state (connection), ==,
                   SOUP_WEBSOCKET_STATE_OPEN);

  id = create (ts, token, "forecasts", new_forecast);
  event = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (event);
  g_assert_cmpint (parse_revision_message (event), ==, bq_store_get_revision (ts->store));
  g_assert_cmpuint (bq_server_get_n_event_clients (ts->server), ==, 1);
  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

/* An account manager hears nothing of another centre's order. */
static void
test_events_scoped (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *admin = bq_test_server_login (ts, "admin");
  g_autofree char *manager = bq_test_server_login (ts, "am-na");
  g_autoptr(SoupWebsocketConnection) connection = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *hello = NULL;
  g_autofree char *event = NULL;
  g_autofree char *order = NULL;
  g_autofree char *forecast = NULL;

  connection = bq_test_server_connect_events (ts, manager, TRUE, NULL, &error);
  g_assert_no_error (error);
  hello = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (hello);

  order = create (ts, admin, "orders", new_order);          /* Europe: not theirs */
  forecast = create (ts, admin, "forecasts", new_forecast); /* reference data: theirs to see */
  event = bq_test_events_next (connection, EVENT_TIMEOUT_MS);
  g_assert_nonnull (event);
  g_assert_cmpint (parse_revision_message (event), ==, bq_store_get_revision (ts->store));

  soup_websocket_connection_close (connection, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
}

/* ------------------------------------------------------------------- audit */

static void
test_audit (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *qa = bq_test_server_login (ts, "qa");
  g_autofree char *id = create (ts, planner, "forecasts", new_forecast);
  g_autofree char *path = g_strconcat ("/api/v1/forecasts/", id, NULL);
  g_autoptr(BqTestResponse) updated = NULL;
  g_autoptr(BqTestResponse) entries = NULL;
  g_autoptr(BqTestResponse) verify = NULL;
  g_autoptr(BqTestResponse) forbidden = NULL;
  JsonArray *list;
  JsonObject *last;

  updated = bq_test_request (ts, "PATCH", path, planner, "{\"doses\":8}",
                             "X-Reason", "the centre called", NULL);
  assert_status (updated, SOUP_STATUS_OK);

  entries = bq_test_request (ts, "GET", "/api/v1/audit?after=0", qa, NULL, NULL);
  assert_status (entries, SOUP_STATUS_OK);
  list = member_array (bq_test_response_object (entries), "entries");
  g_assert_cmpuint (json_array_get_length (list), >=, 2);
  last = json_array_get_object_element (list, json_array_get_length (list) - 1);
  g_assert_cmpstr (member_string (last, "action"), ==, "update");
  g_assert_cmpstr (member_string (last, "entity_id"), ==, id);
  g_assert_cmpstr (member_string (last, "user_id"), ==, "user-planner");
  g_assert_cmpstr (member_string (last, "reason"), ==, "the centre called");
  g_assert_cmpint (member_int (bq_test_response_object (entries), "next_after"), ==,
                   member_int (last, "seq"));

  verify = bq_test_request (ts, "GET", "/api/v1/audit/verify", qa, NULL, NULL);
  assert_status (verify, SOUP_STATUS_OK);
  g_assert_true (json_object_get_boolean_member (bq_test_response_object (verify), "ok"));
  g_assert_cmpint (member_int (bq_test_response_object (verify), "entries"), ==, audit_count (ts));

  forbidden = bq_test_request (ts, "GET", "/api/v1/audit", planner, NULL, NULL);
  assert_error (forbidden, SOUP_STATUS_FORBIDDEN, "forbidden");
}

/* ------------------------------------------------------------ bad requests */

static void
test_body_too_large (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new ();
  g_autofree char *token = bq_test_server_login (ts, "planner");
  gsize size = 2 * 1024 * 1024;
  char *data = g_malloc (size);
  g_autoptr(GBytes) body = NULL;
  g_autoptr(BqTestResponse) refused = NULL;
  g_autoptr(BqTestResponse) health = NULL;
  g_autoptr(BqTestResponse) malformed = NULL;
  gint64 revision = bq_store_get_revision (ts->store);

  /* A JSON string of 2 MiB: valid, just too big. */
  memset (data, 'a', size);
  data[0] = '"';
  data[size - 1] = '"';
  body = g_bytes_new_take (data, size);

  refused = bq_test_request_full (ts, "POST", "/api/v1/forecasts", token, body, NULL);
  assert_error (refused, SOUP_STATUS_REQUEST_ENTITY_TOO_LARGE, "payload_too_large");
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);

  health = bq_test_request (ts, "GET", "/healthz", NULL, NULL, NULL);
  assert_status (health, SOUP_STATUS_OK);

  malformed = bq_test_request (ts, "POST", "/api/v1/forecasts", token, "{\"doses\":", NULL);
  assert_error (malformed, SOUP_STATUS_BAD_REQUEST, "malformed_json");
}

/* --------------------------------------------------------------- the binary */

static void
test_binary (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new_subprocess (NULL);
  g_autoptr(BqTestResponse) health = bq_test_request (ts, "GET", "/healthz", NULL, NULL, NULL);
  g_autofree char *token = NULL;
  g_autoptr(BqTestResponse) runs = NULL;

  assert_status (health, SOUP_STATUS_OK);
  g_assert_cmpint (member_int (bq_test_response_object (health), "revision"), >, 0);

  /* The demo users have $BECQUEREL_DEMO_PASSWORD. */
  token = bq_test_server_login (ts, "viewer");
  runs = bq_test_request (ts, "GET", "/api/v1/runs?limit=5", token, NULL, NULL);
  assert_status (runs, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (member_array (bq_test_response_object (runs),
                                                         "items")), ==, 5);

  g_assert_cmpint (bq_test_server_stop_subprocess (ts), ==, 0);
}

/* What a 2xx promised survives a kill -9: the write was committed (WAL,
 * synchronous=FULL) before the answer went out. */
static void
test_binary_killed_keeps_acknowledged_writes (void)
{
  g_autoptr(BqTestServer) ts = bq_test_server_new_subprocess (NULL);
  g_autofree char *token = bq_test_server_login (ts, "planner");
  g_autofree char *again = NULL;
  g_autofree char *admin = NULL;
  g_autoptr(BqTestResponse) created = NULL;
  g_autoptr(BqTestResponse) fetched = NULL;
  g_autoptr(BqTestResponse) verify = NULL;
  g_autofree char *location = NULL;

  created = bq_test_request (ts, "POST", "/api/v1/forecasts", token, new_forecast, NULL);
  assert_status (created, SOUP_STATUS_CREATED);
  location = g_strdup (soup_message_headers_get_one (created->headers, "Location"));

  bq_test_server_respawn_subprocess (ts, NULL);

  again = bq_test_server_login (ts, "planner");
  fetched = bq_test_request (ts, "GET", location, again, NULL, NULL);
  assert_status (fetched, SOUP_STATUS_OK);
  g_assert_true (json_node_equal (fetched->json, created->json));

  admin = bq_test_server_login (ts, "admin");
  verify = bq_test_request (ts, "GET", "/api/v1/audit/verify", admin, NULL, NULL);
  assert_status (verify, SOUP_STATUS_OK);
  g_assert_true (json_object_get_boolean_member (bq_test_response_object (verify), "ok"));
  g_assert_cmpint (bq_test_server_stop_subprocess (ts), ==, 0);
}

/* --tls-cert/--tls-key serve HTTPS with that certificate. */
static void
test_binary_tls (void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp ("bq-test-tls-XXXXXX", &error);
  g_autofree char *cert = NULL;
  g_autofree char *key = NULL;
  g_autofree char *subject_alt = g_strdup ("subjectAltName=IP:127.0.0.1");
  g_autoptr(BqTestServer) ts = NULL;
  g_autoptr(BqTestResponse) health = NULL;
  int wait_status = 0;

  g_assert_no_error (error);
  cert = g_build_filename (dir, "cert.pem", NULL);
  key = g_build_filename (dir, "key.pem", NULL);

  {
    const char *argv[] = {
      "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
      "-subj", "/CN=127.0.0.1", "-addext", subject_alt, "-keyout", key, "-out", cert, NULL
    };
    g_spawn_sync (NULL, (char **) argv, NULL,
                  G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                  NULL, NULL, NULL, NULL, &wait_status, &error);
    g_assert_no_error (error);
    g_spawn_check_wait_status (wait_status, &error);
    g_assert_no_error (error);
  }

  {
    const char *args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
    ts = bq_test_server_new_subprocess (args);
  }
  g_assert_true (g_str_has_prefix (ts->base, "https://127.0.0.1:"));
  ts->trusted_certificate = g_tls_certificate_new_from_file (cert, &error);
  g_assert_no_error (error);

  health = bq_test_request (ts, "GET", "/healthz", NULL, NULL, NULL);
  assert_status (health, SOUP_STATUS_OK);
  g_assert_cmpint (bq_test_server_stop_subprocess (ts), ==, 0);

  g_unlink (cert);
  g_unlink (key);
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server/healthz", test_healthz);
  g_test_add_func ("/server/routes/not-found-and-method", test_not_found_and_method);
  g_test_add_func ("/server/session/login", test_login);
  g_test_add_func ("/server/list/filters", test_list_filters);
  g_test_add_func ("/server/list/paging", test_list_paging);
  g_test_add_func ("/server/list/scoped", test_list_scoped);
  g_test_add_func ("/server/get/etag", test_get_etag);
  g_test_add_func ("/server/create", test_create);
  g_test_add_func ("/server/update/if-match", test_update_if_match);
  g_test_add_func ("/server/update/illegal-transition", test_update_illegal_transition);
  g_test_add_func ("/server/delete", test_delete);
  g_test_add_func ("/server/changes/paging", test_changes);
  g_test_add_func ("/server/changes/scoped", test_changes_scoped);
  g_test_add_func ("/server/idempotency", test_idempotency);
  g_test_add_func ("/server/events", test_events);
  g_test_add_func ("/server/events/scoped", test_events_scoped);
  g_test_add_func ("/server/events/outlive-idle-timeout", test_events_outlive_idle_timeout);
  g_test_add_func ("/server/audit", test_audit);
  g_test_add_func ("/server/body-too-large", test_body_too_large);
  g_test_add_func ("/server/binary/demo-listen-healthz", test_binary);
  g_test_add_func ("/server/binary/killed-keeps-acknowledged-writes",
                   test_binary_killed_keeps_acknowledged_writes);
  g_test_add_func ("/server/binary/tls", test_binary_tls);

  return g_test_run ();
}
