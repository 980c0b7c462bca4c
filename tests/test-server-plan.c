/* test-server-plan.c — planning over HTTP: the proposal, applying it,
 * stale plans, capacity, and run moves checked by the planner
 *
 * A real server on 127.0.0.1 over the test demo, its planning clock set
 * to the demo's "now" (Tuesday 2026-11-24 07:00 UTC) so the answers do not
 * depend on the day the tests run.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-core.h"
#include "bq-test-server.h"

#define HOUR G_GINT64_CONSTANT (3600)
#define DAY  G_GINT64_CONSTANT (86400)
#define DEMO_NOW (BQ_TEST_DEMO_START + 15 * DAY + 7 * HOUR)

/* Lu-177, Tuesday 2026-12-08 04:00 UTC (05:00 in Petten), no orders. */
#define RUN        "run-nl-pet-1-20261208-1"
/* The other run of that day on the same line, 10:00–13:00 UTC. */
#define RUN_LATER  "run-nl-pet-1-20261208-2"
/* Lu-177 with seven orders booked, Tuesday 2026-12-01 10:00 UTC. */
#define RUN_BOOKED "run-nl-pet-1-20261201-2"

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

static BqTestServer *
new_server (void)
{
  BqTestServer *ts = bq_test_server_new ();

  bq_server_set_fixed_now (ts->server, DEMO_NOW);
  return ts;
}

static JsonArray *
member_array (JsonObject *object,
              const char *name)
{
  g_assert_true (json_object_has_member (object, name));
  return json_object_get_array_member (object, name);
}

/* ------------------------------------------------------------ proposals */

static void
test_plan_get (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autoptr(BqTestResponse) response = NULL;
  JsonObject *object;
  JsonArray *capacity;
  static const char * const refused[] = { "viewer", "qa", "logistics", "am-europe" };

  response = bq_test_request (ts, "GET", "/api/v1/plan?from=2026-11-23&weeks=4", planner,
                              NULL, NULL);
  assert_status (response, SOUP_STATUS_OK);
  object = bq_test_response_object (response);
  g_assert_cmpstr (json_object_get_string_member (object, "from"), ==, "2026-11-23T00:00:00Z");
  g_assert_cmpint (json_object_get_int_member (object, "weeks"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (object, "revision"), ==,
                   bq_store_get_revision (ts->store));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "digest")), ==, 64);
  member_array (object, "changes");
  capacity = member_array (object, "capacity");
  g_assert_cmpuint (json_array_get_length (capacity), >, 0);
  g_assert_true (json_object_has_member (json_array_get_object_element (capacity, 0), "gap"));

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *token = bq_test_server_login (ts, refused[i]);
      g_autoptr(BqTestResponse) no = bq_test_request (ts, "GET", "/api/v1/plan", token, NULL,
                                                      NULL);
      assert_error (no, SOUP_STATUS_FORBIDDEN, "forbidden");
    }

  {
    g_autoptr(BqTestResponse) bad = bq_test_request (ts, "GET", "/api/v1/plan?weeks=53", planner,
                                                     NULL, NULL);
    g_autoptr(BqTestResponse) bad_from = bq_test_request (ts, "GET", "/api/v1/plan?from=soon",
                                                          planner, NULL, NULL);
    g_autoptr(BqTestResponse) unknown = bq_test_request (ts, "GET", "/api/v1/plan?horizon=4",
                                                         planner, NULL, NULL);

    assert_error (bad, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range");
    assert_error (bad_from, SOUP_STATUS_BAD_REQUEST, "bad_request");
    assert_error (unknown, SOUP_STATUS_UNPROCESSABLE_ENTITY, "unknown_field");
  }
}

/* A planner's proposal for the demo's next weeks, made to differ from
 * the store by cancelling a planned run the forecasts need. */
static JsonNode *
propose (BqTestServer *ts,
         const char   *token)
{
  g_autoptr(BqTestResponse) response = NULL;

  response = bq_test_request (ts, "GET", "/api/v1/plan?from=2026-11-30&weeks=3", token,
                              NULL, NULL);
  assert_status (response, SOUP_STATUS_OK);
  return json_node_ref (response->json);
}

static char *
apply_body (JsonNode   *proposal,
            gboolean    with_digest)
{
  JsonObject *object = json_node_get_object (proposal);

  if (with_digest)
    return g_strdup_printf ("{\"from\":\"2026-11-30\",\"weeks\":3,\"basis_revision\":%"
                            G_GINT64_FORMAT ",\"digest\":\"%s\"}",
                            json_object_get_int_member (object, "revision"),
                            json_object_get_string_member (object, "digest"));
  return g_strdup_printf ("{\"from\":\"2026-11-30\",\"weeks\":3,\"basis_revision\":%"
                          G_GINT64_FORMAT "}", json_object_get_int_member (object, "revision"));
}

/* Cancels a planned run of the horizon behind the server's back, so the
 * planner has something to propose. */
static void
cancel_run (BqTestServer *ts,
            const char   *id)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqRun) run = bq_store_get (ts->store, &bq_run_type, id, &error);

  g_assert_no_error (error);
  run->status = BQ_RUN_CANCELLED;
  bq_store_put (ts->store, run, &error);
  g_assert_no_error (error);
}

static void
test_plan_apply (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *admin = bq_test_server_login (ts, "admin");
  g_autoptr(JsonNode) proposal = NULL;
  g_autoptr(BqTestResponse) applied = NULL;
  g_autoptr(BqTestResponse) replay = NULL;
  g_autoptr(BqTestResponse) changes = NULL;
  g_autoptr(BqTestResponse) audit = NULL;
  g_autoptr(JsonNode) again = NULL;
  g_autofree char *body = NULL;
  g_autofree char *changes_path = NULL;
  JsonArray *proposed, *feed, *entries;
  gint64 before_revision;
  guint n_changes, n_runs = 0, n_audited = 0;

  cancel_run (ts, "run-nl-pet-1-20261208-1");
  cancel_run (ts, "run-nl-pet-2-20261208-1");
  proposal = propose (ts, planner);
  proposed = member_array (json_node_get_object (proposal), "changes");
  n_changes = json_array_get_length (proposed);
  g_assert_cmpuint (n_changes, >, 0);

  before_revision = bq_store_get_revision (ts->store);
  body = apply_body (proposal, TRUE);
  applied = bq_test_request (ts, "POST", "/api/v1/plan/apply", planner, body,
                             "Idempotency-Key", "plan-apply-1", "X-Reason", "weekly plan", NULL);
  assert_status (applied, SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (bq_test_response_object (applied), "applied"), ==,
                   n_changes);
  g_assert_cmpint (bq_store_get_revision (ts->store), >=, before_revision + n_changes);

  /* The same request again is the same answer, and nothing more. */
  {
    gint64 revision = bq_store_get_revision (ts->store);

    replay = bq_test_request (ts, "POST", "/api/v1/plan/apply", planner, body,
                              "Idempotency-Key", "plan-apply-1", "X-Reason", "weekly plan", NULL);
    assert_status (replay, SOUP_STATUS_OK);
    g_assert_cmpstr (soup_message_headers_get_one (replay->headers, "Idempotent-Replay"), ==,
                     "true");
    g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);
  }

  /* Planning again proposes nothing. */
  again = propose (ts, planner);
  g_assert_cmpuint (json_array_get_length (member_array (json_node_get_object (again),
                                                         "changes")), ==, 0);

  /* Every run is in the change feed … */
  changes_path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT, before_revision);
  changes = bq_test_request (ts, "GET", changes_path, planner, NULL, NULL);
  assert_status (changes, SOUP_STATUS_OK);
  feed = member_array (bq_test_response_object (changes), "changes");
  for (guint i = 0; i < json_array_get_length (feed); i++)
    if (g_strcmp0 (json_object_get_string_member (json_array_get_object_element (feed, i),
                                                  "kind"), "run") == 0)
      n_runs++;
  g_assert_cmpuint (n_runs, ==, n_changes);

  /* … and in the audit trail, with the reason. */
  audit = bq_test_request (ts, "GET", "/api/v1/audit?limit=1000", admin, NULL, NULL);
  assert_status (audit, SOUP_STATUS_OK);
  entries = member_array (bq_test_response_object (audit), "entries");
  for (guint i = 0; i < json_array_get_length (entries); i++)
    {
      JsonObject *entry = json_array_get_object_element (entries, i);

      if (json_object_get_int_member (entry, "revision") > before_revision &&
          g_strcmp0 (json_object_get_string_member (entry, "kind"), "run") == 0 &&
          g_strcmp0 (json_object_get_string_member (entry, "reason"), "weekly plan") == 0 &&
          g_strcmp0 (json_object_get_string_member (entry, "user_id"), "user-planner") == 0)
        n_audited++;
    }
  g_assert_cmpuint (n_audited, ==, n_changes);
}

static void
test_plan_stale (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autoptr(JsonNode) proposal = NULL;
  g_autoptr(BqTestResponse) patch = NULL;
  g_autoptr(BqTestResponse) by_revision = NULL;
  g_autoptr(BqTestResponse) by_digest = NULL;
  g_autoptr(BqTestResponse) missing = NULL;
  g_autofree char *revision_body = NULL;
  g_autofree char *digest_body = NULL;
  gint64 revision;

  cancel_run (ts, "run-nl-pet-1-20261208-1");
  proposal = propose (ts, planner);
  revision_body = apply_body (proposal, FALSE);
  digest_body = apply_body (proposal, TRUE);

  /* A run the plan moves is cancelled meanwhile (a new forecast would do). */
  patch = bq_test_request (ts, "PATCH", "/api/v1/runs/run-nl-pet-2-20261208-1", planner,
                           "{\"status\":\"cancelled\"}", NULL);
  assert_status (patch, SOUP_STATUS_OK);

  revision = bq_store_get_revision (ts->store);
  by_revision = bq_test_request (ts, "POST", "/api/v1/plan/apply", planner, revision_body, NULL);
  assert_error (by_revision, SOUP_STATUS_CONFLICT, "stale_plan");
  g_assert_cmpstr (bq_test_response_error_field (by_revision), ==, "basis_revision");
  by_digest = bq_test_request (ts, "POST", "/api/v1/plan/apply", planner, digest_body, NULL);
  assert_error (by_digest, SOUP_STATUS_CONFLICT, "stale_plan");
  g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);

  missing = bq_test_request (ts, "POST", "/api/v1/plan/apply", planner, "{\"weeks\":3}", NULL);
  assert_error (missing, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field");
}

static void
test_plan_roles (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  static const char * const refused[] = { "viewer", "qa", "logistics", "am-europe" };
  g_autofree char *body = g_strdup_printf ("{\"basis_revision\":%" G_GINT64_FORMAT "}",
                                           bq_store_get_revision (ts->store));

  for (guint i = 0; i < G_N_ELEMENTS (refused); i++)
    {
      g_autofree char *token = bq_test_server_login (ts, refused[i]);
      g_autoptr(BqTestResponse) no = bq_test_request (ts, "POST", "/api/v1/plan/apply", token,
                                                      body, NULL);

      assert_error (no, SOUP_STATUS_FORBIDDEN, "forbidden");
    }
}

/* ------------------------------------------------------------- capacity */

static void
test_capacity (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  static const char * const readers[] = { "admin", "planner", "qa", "logistics", "viewer" };
  g_autofree char *manager = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) refused = NULL;

  for (guint i = 0; i < G_N_ELEMENTS (readers); i++)
    {
      g_autofree char *token = bq_test_server_login (ts, readers[i]);
      g_autoptr(BqTestResponse) response = NULL;
      JsonObject *object;
      JsonArray *rows;
      gint64 demand = 0, capacity = 0;

      response = bq_test_request (ts, "GET", "/api/v1/capacity?from=2026-11-30&weeks=2", token,
                                  NULL, NULL);
      assert_status (response, SOUP_STATUS_OK);
      object = bq_test_response_object (response);
      g_assert_false (json_object_has_member (object, "changes"));
      rows = member_array (object, "capacity");
      g_assert_cmpuint (json_array_get_length (rows), >, 0);
      for (guint r = 0; r < json_array_get_length (rows); r++)
        {
          JsonObject *row = json_array_get_object_element (rows, r);

          demand += json_object_get_int_member (row, "demand");
          capacity += json_object_get_int_member (row, "capacity");
          g_assert_cmpint (json_object_get_int_member (row, "gap"), ==,
                           MAX (0, json_object_get_int_member (row, "demand") -
                                   json_object_get_int_member (row, "capacity")));
        }
      g_assert_cmpint (demand, >, 0);
      g_assert_cmpint (capacity, >, 0);
    }

  refused = bq_test_request (ts, "GET", "/api/v1/capacity", manager, NULL, NULL);
  assert_error (refused, SOUP_STATUS_FORBIDDEN, "forbidden");
}

/* ---------------------------------------------------------------- moves */

typedef struct {
  const char *name;
  const char *run;
  const char *line;       /* NULL: the run's own */
  const char *start;
  const char *code;       /* NULL: accepted */
  const char *field;
} Move;

static const Move moves[] = {
  { "busy",          RUN, "line-nl-pet-1", "2026-12-08T10:00:00Z", "line_busy", "start_time" },
  { "night",         RUN, NULL, "2026-12-08T01:00:00Z", "calendar_closed", "start_time" },
  { "saturday",      RUN, NULL, "2026-12-12T08:00:00Z", "calendar_closed", "start_time" },
  { "maintenance",   RUN, "line-nl-pet-2", "2026-12-09T06:00:00Z", "maintenance", "start_time" },
  { "friday",        RUN, NULL, "2026-12-11T10:00:00Z", "no_isotope_supply", "start_time" },
  { "wrong-product", RUN, "line-nl-pet-3", "2026-12-08T08:00:00Z", "line_not_for_product", "line_id" },
  { "booked-later",  RUN_BOOKED, NULL, "2026-12-02T10:00:00Z", "orders_infeasible", "start_time" },
  { "shipped",       "run-nl-pet-1-20261110-1", NULL, "2026-12-04T10:00:00Z", "run_not_movable", NULL },
  { "past",          RUN, NULL, "2026-11-23T10:00:00Z", "run_not_movable", NULL },
  { "afternoon",     RUN, NULL, "2026-12-08T15:00:00Z", NULL, NULL },
};

static void
test_move (gconstpointer data)
{
  const Move *move = data;
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *check_path = NULL;
  g_autofree char *path = g_strconcat ("/api/v1/runs/", move->run, NULL);
  g_autofree char *body = NULL;
  g_autoptr(BqTestResponse) check = NULL;
  g_autoptr(BqTestResponse) patch = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqRun) before = bq_store_get (ts->store, &bq_run_type, move->run, &error);
  JsonObject *object;
  gint64 revision, start;

  g_assert_no_error (error);
  g_assert_true (bq_units_parse_time (move->start, &start, NULL));

  /* The live check first … */
  check_path = g_strdup_printf ("/api/v1/runs/%s/check-move?start=%s%s%s", move->run, move->start,
                                move->line != NULL ? "&line=" : "",
                                move->line != NULL ? move->line : "");
  check = bq_test_request (ts, "GET", check_path, planner, NULL, NULL);
  assert_status (check, SOUP_STATUS_OK);
  object = bq_test_response_object (check);
  g_test_message ("%s: %s", move->name, json_object_get_string_member (object, "message"));
  g_assert_cmpint (json_object_get_boolean_member (object, "ok"), ==, move->code == NULL);
  g_assert_cmpstr (json_object_get_string_member (object, "code"), ==, move->code);
  g_assert_cmpstr (json_object_get_string_member (object, "field"), ==, move->field);

  /* … then the PATCH, which says the same. */
  revision = bq_store_get_revision (ts->store);
  if (move->line != NULL)
    body = g_strdup_printf ("{\"line_id\":\"%s\",\"start_time\":\"%s\"}", move->line, move->start);
  else
    body = g_strdup_printf ("{\"start_time\":\"%s\"}", move->start);
  patch = bq_test_request (ts, "PATCH", path, planner, body, NULL);
  if (move->code != NULL)
    {
      assert_error (patch, SOUP_STATUS_UNPROCESSABLE_ENTITY, move->code);
      g_assert_cmpstr (bq_test_response_error_field (patch), ==, move->field);
      g_assert_cmpint (bq_store_get_revision (ts->store), ==, revision);
    }
  else
    {
      g_autoptr(BqRun) after = bq_store_get (ts->store, &bq_run_type, move->run, &error);

      assert_status (patch, SOUP_STATUS_OK);
      g_assert_no_error (error);
      /* The end and the calibration moved with the start. */
      g_assert_cmpint (after->start_time, ==, start);
      g_assert_cmpint (after->eos_time - after->start_time, ==,
                       before->eos_time - before->start_time);
      g_assert_cmpint (after->calibration_time - after->start_time, ==,
                       before->calibration_time - before->start_time);
    }
}

static void
test_move_duration (void)
{
  g_autoptr(BqTestServer) ts = new_server ();
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *viewer = bq_test_server_login (ts, "viewer");
  g_autoptr(BqTestResponse) stretched = NULL;
  g_autoptr(BqTestResponse) batch = NULL;
  g_autoptr(BqTestResponse) refused = NULL;
  g_autoptr(BqTestResponse) unknown_line = NULL;
  g_autoptr(BqTestResponse) unknown_run = NULL;

  /* A move keeps the synthesis duration. */
  stretched = bq_test_request (ts, "PATCH", "/api/v1/runs/" RUN, planner,
                               "{\"start_time\":\"2026-12-08T15:00:00Z\","
                               "\"eos_time\":\"2026-12-08T20:00:00Z\"}", NULL);
  assert_error (stretched, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid");
  g_assert_cmpstr (bq_test_response_error_field (stretched), ==, "eos_time");

  /* What is not a move is not checked. */
  batch = bq_test_request (ts, "PATCH", "/api/v1/runs/run-nl-pet-1-20261110-1", planner,
                           "{\"batch\":\"LY1-RENAMED\"}", NULL);
  assert_status (batch, SOUP_STATUS_OK);

  refused = bq_test_request (ts, "GET", "/api/v1/runs/" RUN "/check-move", viewer, NULL, NULL);
  assert_error (refused, SOUP_STATUS_FORBIDDEN, "forbidden");
  unknown_line = bq_test_request (ts, "GET", "/api/v1/runs/" RUN "/check-move?line=nope",
                                  planner, NULL, NULL);
  assert_error (unknown_line, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid");
  unknown_run = bq_test_request (ts, "GET", "/api/v1/runs/nope/check-move", planner, NULL, NULL);
  assert_error (unknown_run, SOUP_STATUS_NOT_FOUND, "not_found");
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-plan/proposal/get", test_plan_get);
  g_test_add_func ("/server-plan/proposal/apply", test_plan_apply);
  g_test_add_func ("/server-plan/proposal/stale", test_plan_stale);
  g_test_add_func ("/server-plan/proposal/roles", test_plan_roles);
  g_test_add_func ("/server-plan/capacity", test_capacity);
  for (guint i = 0; i < G_N_ELEMENTS (moves); i++)
    {
      g_autofree char *path = g_strdup_printf ("/server-plan/move/%s", moves[i].name);
      g_test_add_data_func (path, &moves[i], test_move);
    }
  g_test_add_func ("/server-plan/move/duration-and-roles", test_move_duration);
  return g_test_run ();
}
