/* test-server-slots.c — booking over HTTP: match, calendar, holds and
 * their expiry, claims, confirm, cancel, reschedule, account manager
 * scoping, cut-offs, re-allocation after a run is cancelled, and 64
 * clients racing for the last three doses of a slot
 *
 * A real server on 127.0.0.1 port 0 (bq-test-server.h) over the demo
 * network, with the domain clock fixed at Tuesday 2026-11-24 08:00 UTC.
 * The runs of Monday 2026-12-01 at Petten calibrate on Wednesday 11:00
 * and serve Munich (centre-de-muc-tum, am-europe's) that day; each test
 * adds the slots it books into to those runs.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-core.h"
#include "bq-test-server.h"

#define NOW         G_GINT64_CONSTANT (1795507200)   /* 2026-11-24T08:00:00Z */
#define CENTRE      "centre-de-muc-tum"
#define CENTRE_NA   "centre-us-nyc-mskcc"
#define PRODUCT     "product-lu177-psma"
#define RUN_A       "run-nl-pet-2-20261201-1"
#define RUN_B       "run-nl-pet-1-20261201-1"
#define RUN_C       "run-nl-pet-1-20261201-2"
#define RUN_FAILING "run-nl-pet-2-20261201-2"
/* A demo slot of those runs: its delivery day and cut-off are copied. */
#define TEMPLATE_SLOT "slot-run-nl-pet-2-20261201-2-centre-de-muc-tum"
#define N_RACERS    64

static const char order_window[] =
  "\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\","
  "\"prescribed_activity_bq\":7.4e9,"
  "\"admin_start\":\"2026-12-02T08:00:00Z\",\"admin_end\":\"2026-12-02T12:00:00Z\"";

/* ------------------------------------------------------------------ helpers */

static BqTestServer *
start (void)
{
  BqTestServer *ts = bq_test_server_new ();

  bq_server_set_fixed_now (ts->server, NOW);
  return ts;
}

/* A slot of @run for CENTRE (or, with @pool, the European pool) with
 * @capacity doses, the template's day, and @cutoff (0: the template's). */
static void
add_slot (BqTestServer *ts,
          const char   *id,
          const char   *run,
          gint64        capacity,
          gint64        cutoff)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSlot) template = bq_store_get (ts->store, &bq_slot_type, TEMPLATE_SLOT, &error);
  g_autoptr(BqSlot) slot = bq_slot_new ();

  g_assert_no_error (error);
  bq_entity_set_id (slot, id);
  slot->run_id = g_strdup (run);
  slot->centre_id = g_strdup (CENTRE);
  slot->region = g_strdup ("europe");
  slot->delivery_date = template->delivery_date;
  slot->capacity = capacity;
  slot->order_cutoff = cutoff != 0 ? cutoff : template->order_cutoff;
  slot->status = BQ_SLOT_OPEN;
  g_assert_true (bq_store_put (ts->store, slot, &error));
  g_assert_no_error (error);
}

static BqSlot *
get_slot (BqTestServer *ts,
          const char   *id)
{
  g_autoptr(GError) error = NULL;
  BqSlot *slot = bq_store_get (ts->store, &bq_slot_type, id, &error);

  g_assert_no_error (error);
  return slot;
}

static char *
claim_body (const char *patient_ref)
{
  return g_strdup_printf ("{\"patient_ref\":\"%s\",%s}", patient_ref, order_window);
}

static BqTestResponse *
claim (BqTestServer *ts,
       const char   *token,
       const char   *slot_id,
       const char   *patient_ref)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/slots/%s/claim", slot_id);
  g_autofree char *body = claim_body (patient_ref);

  return bq_test_request (ts, "POST", path, token, body, NULL);
}

/* Claims and returns the new order's id. */
static char *
claim_ok (BqTestServer *ts,
          const char   *token,
          const char   *slot_id,
          const char   *patient_ref)
{
  g_autoptr(BqTestResponse) response = claim (ts, token, slot_id, patient_ref);
  JsonObject *order;

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_CREATED);
  order = bq_test_response_object (response);
  g_assert_cmpstr (json_object_get_string_member (order, "slot_id"), ==, slot_id);
  g_assert_cmpstr (json_object_get_string_member (order, "status"), ==, "requested");
  return g_strdup (json_object_get_string_member (order, "id"));
}

/* Audit entries with @action on @kind @id. */
static guint
count_audit (BqTestServer *ts,
             const char   *action,
             const char   *kind,
             const char   *id)
{
  g_autofree char *token = bq_test_server_login (ts, "admin");
  gint64 after = 0;
  guint n = 0;

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/audit?limit=1000&after=%" G_GINT64_FORMAT,
                                               after);
      g_autoptr(BqTestResponse) response = bq_test_request (ts, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonArray *entries;

      g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
      object = bq_test_response_object (response);
      entries = json_object_get_array_member (object, "entries");
      if (json_array_get_length (entries) == 0)
        break;
      for (guint i = 0; i < json_array_get_length (entries); i++)
        {
          JsonObject *entry = json_array_get_object_element (entries, i);

          if (g_strcmp0 (json_object_get_string_member_with_default (entry, "action", NULL),
                         action) == 0 &&
              g_strcmp0 (json_object_get_string_member_with_default (entry, "kind", NULL),
                         kind) == 0 &&
              g_strcmp0 (json_object_get_string_member_with_default (entry, "entity_id", NULL),
                         id) == 0)
            n++;
        }
      after = json_object_get_int_member (object, "next_after");
    }
  return n;
}

/* Whether /changes since @since lists @kind @id. */
static gboolean
changes_list (BqTestServer *ts,
              const char   *token,
              gint64        since,
              const char   *kind,
              const char   *id)
{
  g_autofree char *path = g_strdup_printf ("/api/v1/changes?since=%" G_GINT64_FORMAT
                                           "&limit=1000", since);
  g_autoptr(BqTestResponse) response = bq_test_request (ts, "GET", path, token, NULL, NULL);
  g_autofree char *text = NULL;
  g_autofree char *needle = NULL;

  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  text = g_strndup (g_bytes_get_data (response->body, NULL), g_bytes_get_size (response->body));
  needle = g_strdup_printf ("\"%s\"", id);
  return strstr (text, needle) != NULL && strstr (text, kind) != NULL;
}

static gboolean
has_alternatives (BqTestResponse *response)
{
  JsonObject *object = bq_test_response_object (response);

  return json_object_has_member (object, "alternatives") &&
         JSON_NODE_HOLDS_ARRAY (json_object_get_member (object, "alternatives"));
}

/* -------------------------------------------------------------------- tests */

static void
test_match (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *body = g_strdup_printf ("{%s}", order_window);
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(BqTestResponse) other = NULL;
  JsonObject *object;
  JsonArray *feasible;
  gboolean found = FALSE;

  add_slot (ts, "slot-test-match", RUN_A, 2, 0);
  response = bq_test_request (ts, "POST", "/api/v1/slots/match", am, body, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  object = bq_test_response_object (response);
  feasible = json_object_get_array_member (object, "feasible");
  g_assert_true (json_object_has_member (object, "infeasible"));
  g_assert_cmpuint (json_array_get_length (feasible), >, 0);
  for (guint i = 0; i < json_array_get_length (feasible); i++)
    {
      JsonObject *option = json_array_get_object_element (feasible, i);

      g_assert_true (json_object_get_boolean_member (option, "feasible"));
      g_assert_cmpstr (json_object_get_string_member (option, "summary"), !=, "");
      found |= g_strcmp0 (json_object_get_string_member (option, "slot_id"),
                          "slot-test-match") == 0;
    }
  g_assert_true (found);

  /* Another centre's patients are not theirs to book. */
  g_free (body);
  body = g_strdup_printf ("{\"centre_id\":\"" CENTRE_NA "\",\"product_id\":\"" PRODUCT "\","
                          "\"admin_start\":\"2026-12-02T08:00:00Z\","
                          "\"admin_end\":\"2026-12-02T12:00:00Z\"}");
  other = bq_test_request (ts, "POST", "/api/v1/slots/match", am, body, NULL);
  g_assert_cmpuint (other->status, ==, SOUP_STATUS_FORBIDDEN);
}

static void
test_calendar (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(BqTestResponse) region = NULL;
  g_autoptr(BqTestResponse) other = NULL;
  g_autoptr(BqTestResponse) neither = NULL;
  JsonArray *slots;
  gboolean found = FALSE;

  add_slot (ts, "slot-test-calendar", RUN_A, 3, 0);
  response = bq_test_request (ts, "GET", "/api/v1/slots/calendar?centre=" CENTRE
                              "&from=2026-12-01&days=3", am, NULL, NULL);
  g_assert_cmpuint (response->status, ==, SOUP_STATUS_OK);
  slots = json_object_get_array_member (bq_test_response_object (response), "slots");
  for (guint i = 0; i < json_array_get_length (slots); i++)
    {
      JsonObject *slot = json_array_get_object_element (slots, i);

      if (g_strcmp0 (json_object_get_string_member (slot, "slot_id"), "slot-test-calendar") != 0)
        continue;
      found = TRUE;
      g_assert_cmpint (json_object_get_int_member (slot, "remaining"), ==, 3);
      g_assert_cmpstr (json_object_get_string_member (slot, "reason"), ==, "ok");
      g_assert_nonnull (json_object_get_string_member (slot, "cutoff"));
    }
  g_assert_true (found);

  region = bq_test_request (ts, "GET", "/api/v1/slots/calendar?region=europe&from=2026-12-01"
                            "&days=3", planner, NULL, NULL);
  g_assert_cmpuint (region->status, ==, SOUP_STATUS_OK);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (
                      bq_test_response_object (region), "slots")), >=, json_array_get_length (slots));

  other = bq_test_request (ts, "GET", "/api/v1/slots/calendar?centre=" CENTRE_NA, am, NULL, NULL);
  g_assert_cmpuint (other->status, ==, SOUP_STATUS_FORBIDDEN);
  neither = bq_test_request (ts, "GET", "/api/v1/slots/calendar", am, NULL, NULL);
  g_assert_cmpuint (neither->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
}

static void
test_hold (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *viewer = bq_test_server_login (ts, "viewer");
  g_autoptr(BqTestResponse) held = NULL;
  g_autoptr(BqTestResponse) taken = NULL;
  g_autoptr(BqTestResponse) refused = NULL;
  g_autoptr(BqTestResponse) forbidden = NULL;
  g_autoptr(BqTestResponse) calendar = NULL;
  g_autoptr(BqTestResponse) again = NULL;
  g_autoptr(BqTestResponse) released = NULL;
  g_autoptr(BqTestResponse) twice = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(BqSlot) expired = NULL;
  g_autofree char *order_id = NULL;

  add_slot (ts, "slot-test-hold", RUN_A, 1, 0);
  held = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-hold/hold", am, NULL, NULL);
  g_assert_cmpuint (held->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (held), "held_by"),
                   ==, "user-am-europe");
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (held), "status"),
                   ==, "held");
  slot = get_slot (ts, "slot-test-hold");
  g_assert_cmpint (slot->held, ==, 1);
  g_assert_cmpint (slot->hold_expires, >, NOW);

  /* Someone else can neither hold nor claim the held dose. */
  taken = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-hold/hold", planner, NULL, NULL);
  g_assert_cmpuint (taken->status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (bq_test_response_error_code (taken), ==, "held_by_other");
  refused = claim (ts, planner, "slot-test-hold", "PT-HOLD-1");
  g_assert_cmpuint (refused->status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (bq_test_response_error_code (refused), ==, "held_by_other");
  g_assert_true (has_alternatives (refused));
  forbidden = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-hold/hold", viewer, NULL,
                               NULL);
  g_assert_cmpuint (forbidden->status, ==, SOUP_STATUS_FORBIDDEN);

  /* Past its expiry the next slot request clears it, audited. */
  bq_server_set_fixed_now (ts->server, slot->hold_expires + 1);
  calendar = bq_test_request (ts, "GET", "/api/v1/slots/calendar?centre=" CENTRE
                              "&from=2026-12-01&days=3", am, NULL, NULL);
  g_assert_cmpuint (calendar->status, ==, SOUP_STATUS_OK);
  expired = get_slot (ts, "slot-test-hold");
  g_assert_cmpint (expired->held, ==, 0);
  g_assert_null (expired->held_by);
  g_assert_cmpint (expired->status, ==, BQ_SLOT_OPEN);
  g_assert_cmpuint (count_audit (ts, "expire_hold", "slot", "slot-test-hold"), ==, 1);

  /* Held again and given back; giving back twice is refused. */
  bq_server_set_fixed_now (ts->server, NOW);
  again = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-hold/hold", am, NULL, NULL);
  g_assert_cmpuint (again->status, ==, SOUP_STATUS_OK);
  released = bq_test_request (ts, "DELETE", "/api/v1/slots/slot-test-hold/hold", am, NULL, NULL);
  g_assert_cmpuint (released->status, ==, SOUP_STATUS_OK);
  g_assert_cmpint (json_object_get_int_member (bq_test_response_object (released), "held"), ==, 0);
  twice = bq_test_request (ts, "DELETE", "/api/v1/slots/slot-test-hold/hold", am, NULL, NULL);
  g_assert_cmpuint (twice->status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (bq_test_response_error_code (twice), ==, "wrong_state");

  /* The holder's own hold turns into the claim. */
  {
    g_autoptr(BqTestResponse) mine = bq_test_request (ts, "POST",
                                                      "/api/v1/slots/slot-test-hold/hold", am,
                                                      NULL, NULL);
    g_autoptr(BqSlot) claimed = NULL;

    g_assert_cmpuint (mine->status, ==, SOUP_STATUS_OK);
    order_id = claim_ok (ts, am, "slot-test-hold", "PT-HOLD-2");
    claimed = get_slot (ts, "slot-test-hold");
    g_assert_cmpint (claimed->claimed, ==, 1);
    g_assert_cmpint (claimed->held, ==, 0);
  }
  g_assert_cmpuint (count_audit (ts, "hold", "slot", "slot-test-hold"), ==, 3);
  g_assert_cmpuint (count_audit (ts, "release_hold", "slot", "slot-test-hold"), ==, 1);
}

static void
test_claim_confirm_cancel (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *logistics = bq_test_server_login (ts, "logistics");
  g_autofree char *body = claim_body ("PT-CLAIM-1");
  g_autofree char *named = claim_body ("Jane Doe");
  g_autoptr(BqTestResponse) first = NULL;
  g_autoptr(BqTestResponse) replay = NULL;
  g_autoptr(BqTestResponse) name = NULL;
  g_autoptr(BqTestResponse) confirmed = NULL;
  g_autoptr(BqTestResponse) cancelled = NULL;
  g_autoptr(BqTestResponse) calendar = NULL;
  g_autoptr(BqSlot) after_claim = NULL;
  g_autoptr(BqSlot) after_confirm = NULL;
  g_autoptr(BqSlot) after_cancel = NULL;
  g_autofree char *order_path = NULL;
  const char *order_id;
  gint64 since = bq_store_get_revision (ts->store);

  add_slot (ts, "slot-test-claim", RUN_A, 2, 0);

  /* A name is never a patient reference. */
  name = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-claim/claim", am, named, NULL);
  g_assert_cmpuint (name->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpstr (bq_test_response_error_field (name), ==, "patient_ref");

  first = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-claim/claim", am, body,
                           "Idempotency-Key", "claim-key-1", NULL);
  g_assert_cmpuint (first->status, ==, SOUP_STATUS_CREATED);
  order_id = json_object_get_string_member (bq_test_response_object (first), "id");
  g_assert_nonnull (soup_message_headers_get_one (first->headers, "Location"));
  replay = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-claim/claim", am, body,
                            "Idempotency-Key", "claim-key-1", NULL);
  g_assert_cmpuint (replay->status, ==, SOUP_STATUS_CREATED);
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (replay), "id"), ==,
                   order_id);
  after_claim = get_slot (ts, "slot-test-claim");
  g_assert_cmpint (after_claim->claimed, ==, 1);
  g_assert_cmpint (after_claim->status, ==, BQ_SLOT_CLAIMED);
  g_assert_cmpuint (count_audit (ts, "claim", "slot", "slot-test-claim"), ==, 1);
  g_assert_cmpuint (count_audit (ts, "create", "order", order_id), ==, 1);
  g_assert_true (changes_list (ts, am, since, "slot", "slot-test-claim"));
  g_assert_true (changes_list (ts, am, since, "order", order_id));

  order_path = g_strdup_printf ("/api/v1/orders/%s/confirm", order_id);
  confirmed = bq_test_request (ts, "POST", order_path, am, NULL, NULL);
  g_assert_cmpuint (confirmed->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (confirmed), "status"),
                   ==, "confirmed");
  after_confirm = get_slot (ts, "slot-test-claim");
  g_assert_cmpint (after_confirm->status, ==, BQ_SLOT_CONFIRMED);

  /* Cancelling gives the dose back. */
  g_free (order_path);
  order_path = g_strdup_printf ("/api/v1/orders/%s/cancel", order_id);
  cancelled = bq_test_request (ts, "POST", order_path, logistics, NULL, "X-Reason",
                               "the patient moved", NULL);
  g_assert_cmpuint (cancelled->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (cancelled), "status"),
                   ==, "cancelled");
  after_cancel = get_slot (ts, "slot-test-claim");
  g_assert_cmpint (after_cancel->claimed, ==, 0);
  g_assert_cmpint (after_cancel->status, ==, BQ_SLOT_OPEN);
  g_assert_cmpuint (count_audit (ts, "cancel", "order", order_id), ==, 1);
  g_assert_cmpuint (count_audit (ts, "cancel", "slot", "slot-test-claim"), ==, 1);

  calendar = bq_test_request (ts, "GET", "/api/v1/slots/calendar?centre=" CENTRE
                              "&from=2026-12-01&days=3", am, NULL, NULL);
  g_assert_cmpuint (calendar->status, ==, SOUP_STATUS_OK);
  {
    JsonArray *slots = json_object_get_array_member (bq_test_response_object (calendar), "slots");

    for (guint i = 0; i < json_array_get_length (slots); i++)
      {
        JsonObject *slot = json_array_get_object_element (slots, i);

        if (g_strcmp0 (json_object_get_string_member (slot, "slot_id"), "slot-test-claim") == 0)
          g_assert_cmpint (json_object_get_int_member (slot, "remaining"), ==, 2);
      }
  }

  /* Booking fields are not for the generic PATCH. */
  {
    g_autofree char *admin = bq_test_server_login (ts, "admin");
    g_autoptr(BqTestResponse) patch = bq_test_request (ts, "PATCH",
                                                       "/api/v1/slots/slot-test-claim", admin,
                                                       "{\"claimed\":2}", NULL);
    g_autoptr(BqTestResponse) capacity = bq_test_request (ts, "PATCH",
                                                          "/api/v1/slots/slot-test-claim", admin,
                                                          "{\"capacity\":5}", NULL);

    g_assert_cmpuint (patch->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    g_assert_cmpstr (bq_test_response_error_field (patch), ==, "claimed");
    g_assert_cmpuint (capacity->status, ==, SOUP_STATUS_OK);
  }

  /* Nor is an order's slot: a plain cancel would keep the dose claimed,
   * a plain move or create could sell it twice. */
  {
    g_autofree char *admin = bq_test_server_login (ts, "admin");
    g_autoptr(BqTestResponse) again = NULL;
    g_autoptr(BqTestResponse) cancel = NULL;
    g_autoptr(BqTestResponse) move = NULL;
    g_autoptr(BqSlot) still = NULL;
    g_autofree char *path = NULL;
    const char *second_id;

    again = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-claim/claim", am, body,
                             "Idempotency-Key", "claim-key-2", NULL);
    g_assert_cmpuint (again->status, ==, SOUP_STATUS_CREATED);
    second_id = json_object_get_string_member (bq_test_response_object (again), "id");
    path = g_strdup_printf ("/api/v1/orders/%s", second_id);
    cancel = bq_test_request (ts, "PATCH", path, admin, "{\"status\":\"cancelled\"}", NULL);
    g_assert_cmpuint (cancel->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    g_assert_cmpstr (bq_test_response_error_code (cancel), ==, "read_only");
    g_assert_cmpstr (bq_test_response_error_field (cancel), ==, "status");
    move = bq_test_request (ts, "PATCH", path, admin, "{\"slot_id\":null}", NULL);
    g_assert_cmpuint (move->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
    g_assert_cmpstr (bq_test_response_error_field (move), ==, "slot_id");
    still = get_slot (ts, "slot-test-claim");
    g_assert_cmpint (still->claimed, ==, 1);
  }
}

static void
test_reschedule (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *order_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(BqTestResponse) moved = NULL;
  g_autoptr(BqSlot) old_slot = NULL;
  g_autoptr(BqSlot) new_slot = NULL;

  add_slot (ts, "slot-test-from", RUN_A, 2, 0);
  add_slot (ts, "slot-test-to", RUN_B, 2, 0);
  order_id = claim_ok (ts, am, "slot-test-from", "PT-MOVE-1");
  path = g_strdup_printf ("/api/v1/orders/%s/reschedule", order_id);
  moved = bq_test_request (ts, "POST", path, am, "{\"slot_id\":\"slot-test-to\"}", NULL);
  g_assert_cmpuint (moved->status, ==, SOUP_STATUS_OK);
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (moved), "slot_id"), ==,
                   "slot-test-to");
  g_assert_cmpstr (json_object_get_string_member (bq_test_response_object (moved), "run_id"), ==,
                   RUN_B);
  old_slot = get_slot (ts, "slot-test-from");
  new_slot = get_slot (ts, "slot-test-to");
  g_assert_cmpint (old_slot->claimed, ==, 0);
  g_assert_cmpint (new_slot->claimed, ==, 1);
  g_assert_cmpuint (count_audit (ts, "reschedule", "order", order_id), ==, 1);
}

static void
test_scoping (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *am_na = bq_test_server_login (ts, "am-na");
  g_autofree char *viewer = bq_test_server_login (ts, "viewer");
  g_autofree char *qa = bq_test_server_login (ts, "qa");
  g_autofree char *order_id = NULL;
  g_autofree char *path = NULL;
  g_autoptr(BqTestResponse) other_slot = NULL;
  g_autoptr(BqTestResponse) other_order = NULL;
  g_autoptr(BqTestResponse) other_centre = NULL;
  g_autoptr(BqTestResponse) as_viewer = NULL;
  g_autoptr(BqTestResponse) realloc_am = NULL;
  g_autoptr(BqTestResponse) realloc_qa = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autofree char *body = NULL;

  add_slot (ts, "slot-test-scope", RUN_A, 2, 0);

  /* Another centre's slot does not exist for am-na. */
  other_slot = claim (ts, am_na, "slot-test-scope", "PT-SCOPE-1");
  g_assert_cmpuint (other_slot->status, ==, SOUP_STATUS_FORBIDDEN);
  body = g_strdup_printf ("{\"patient_ref\":\"PT-SCOPE-2\",\"centre_id\":\"" CENTRE_NA "\","
                          "\"product_id\":\"" PRODUCT "\",\"prescribed_activity_bq\":7.4e9,"
                          "\"admin_start\":\"2026-12-02T08:00:00Z\","
                          "\"admin_end\":\"2026-12-02T12:00:00Z\"}");
  {
    g_autoptr(BqTestResponse) hidden = bq_test_request (ts, "POST",
                                                        "/api/v1/slots/slot-test-scope/claim",
                                                        am_na, body, NULL);
    g_autoptr(BqTestResponse) hold = bq_test_request (ts, "POST",
                                                      "/api/v1/slots/slot-test-scope/hold",
                                                      am_na, NULL, NULL);

    g_assert_cmpuint (hidden->status, ==, SOUP_STATUS_NOT_FOUND);
    g_assert_cmpuint (hold->status, ==, SOUP_STATUS_NOT_FOUND);
  }

  /* An order for a centre they do not serve. */
  other_centre = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-scope/claim", am, body,
                                  NULL);
  g_assert_cmpuint (other_centre->status, ==, SOUP_STATUS_FORBIDDEN);

  order_id = claim_ok (ts, am, "slot-test-scope", "PT-SCOPE-3");
  path = g_strdup_printf ("/api/v1/orders/%s/cancel", order_id);
  other_order = bq_test_request (ts, "POST", path, am_na, NULL, NULL);
  g_assert_cmpuint (other_order->status, ==, SOUP_STATUS_NOT_FOUND);
  as_viewer = claim (ts, viewer, "slot-test-scope", "PT-SCOPE-4");
  g_assert_cmpuint (as_viewer->status, ==, SOUP_STATUS_FORBIDDEN);
  realloc_am = bq_test_request (ts, "POST", "/api/v1/runs/" RUN_A "/reallocate", am, NULL, NULL);
  g_assert_cmpuint (realloc_am->status, ==, SOUP_STATUS_FORBIDDEN);
  realloc_qa = bq_test_request (ts, "GET", "/api/v1/runs/" RUN_A "/affected-orders", qa, NULL,
                                NULL);
  g_assert_cmpuint (realloc_qa->status, ==, SOUP_STATUS_FORBIDDEN);

  slot = get_slot (ts, "slot-test-scope");
  g_assert_cmpint (slot->claimed, ==, 1);
}

static void
test_after_cutoff (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autoptr(BqTestResponse) late = NULL;
  g_autoptr(BqTestResponse) infeasible = NULL;
  g_autofree char *body = NULL;

  add_slot (ts, "slot-test-late", RUN_A, 2, NOW - 3600);
  add_slot (ts, "slot-test-open", RUN_B, 2, 0);
  late = claim (ts, am, "slot-test-late", "PT-LATE-1");
  g_assert_cmpuint (late->status, ==, SOUP_STATUS_CONFLICT);
  g_assert_cmpstr (bq_test_response_error_code (late), ==, "after_cutoff");
  g_assert_true (has_alternatives (late));
  {
    JsonArray *alternatives = json_object_get_array_member (bq_test_response_object (late),
                                                            "alternatives");
    gboolean found = FALSE;

    for (guint i = 0; i < json_array_get_length (alternatives); i++)
      {
        JsonObject *option = json_array_get_object_element (alternatives, i);

        g_assert_cmpstr (json_object_get_string_member (option, "slot_id"), !=, "slot-test-late");
        found |= g_strcmp0 (json_object_get_string_member (option, "slot_id"),
                            "slot-test-open") == 0;
      }
    g_assert_true (found);
  }

  /* A window the run cannot reach: 422, not 409. */
  body = g_strdup_printf ("{\"patient_ref\":\"PT-LATE-2\",\"centre_id\":\"" CENTRE "\","
                          "\"product_id\":\"" PRODUCT "\",\"prescribed_activity_bq\":7.4e9,"
                          "\"admin_start\":\"2026-11-25T08:00:00Z\","
                          "\"admin_end\":\"2026-11-25T12:00:00Z\"}");
  infeasible = bq_test_request (ts, "POST", "/api/v1/slots/slot-test-open/claim", am, body, NULL);
  g_assert_cmpuint (infeasible->status, ==, SOUP_STATUS_UNPROCESSABLE_ENTITY);
  g_assert_cmpstr (bq_test_response_error_code (infeasible), ==, "infeasible");
}

static void
test_reallocate (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  g_autofree char *planner = bq_test_server_login (ts, "planner");
  g_autofree char *logistics = bq_test_server_login (ts, "logistics");
  g_autofree char *first = NULL;
  g_autofree char *second = NULL;
  g_autoptr(BqTestResponse) cancelled = NULL;
  g_autoptr(BqTestResponse) affected = NULL;
  g_autoptr(BqTestResponse) moved = NULL;
  g_autoptr(BqSlot) released = NULL;
  g_autoptr(BqOrder) order = NULL;
  g_autoptr(GError) error = NULL;
  JsonArray *orders;
  gboolean listed = FALSE;

  add_slot (ts, "slot-test-doomed", RUN_FAILING, 2, 0);
  add_slot (ts, "slot-test-rescue", RUN_C, 4, 0);
  first = claim_ok (ts, am, "slot-test-doomed", "PT-REALLOC-1");
  second = claim_ok (ts, am, "slot-test-doomed", "PT-REALLOC-2");

  /* Cancelling the run releases its slots in the same change. */
  cancelled = bq_test_request (ts, "PATCH", "/api/v1/runs/" RUN_FAILING, planner,
                               "{\"status\":\"cancelled\"}", NULL);
  g_assert_cmpuint (cancelled->status, ==, SOUP_STATUS_OK);
  released = get_slot (ts, "slot-test-doomed");
  g_assert_cmpint (released->status, ==, BQ_SLOT_RELEASED);
  g_assert_cmpuint (count_audit (ts, "reconcile", "slot", "slot-test-doomed"), ==, 1);

  affected = bq_test_request (ts, "GET", "/api/v1/runs/" RUN_FAILING "/affected-orders",
                              logistics, NULL, NULL);
  g_assert_cmpuint (affected->status, ==, SOUP_STATUS_OK);
  orders = json_object_get_array_member (bq_test_response_object (affected), "orders");
  for (guint i = 0; i < json_array_get_length (orders); i++)
    {
      JsonObject *o = json_array_get_object_element (orders, i);

      if (g_strcmp0 (json_object_get_string_member (o, "order_id"), first) == 0)
        {
          listed = TRUE;
          g_assert_cmpuint (json_array_get_length (json_object_get_array_member (o, "alternatives")),
                            >, 0);
        }
    }
  g_assert_true (listed);

  moved = bq_test_request (ts, "POST", "/api/v1/runs/" RUN_FAILING "/reallocate", logistics,
                           NULL, "Idempotency-Key", "realloc-1", NULL);
  g_assert_cmpuint (moved->status, ==, SOUP_STATUS_OK);
  g_assert_true (json_object_get_boolean_member (bq_test_response_object (moved), "applied"));
  g_assert_cmpint (json_object_get_int_member (bq_test_response_object (moved), "moved"), >=, 2);
  order = bq_store_get (ts->store, &bq_order_type, first, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (order->run_id, !=, RUN_FAILING);
  g_assert_cmpuint (count_audit (ts, "reallocate", "order", first), ==, 1);
  g_assert_cmpuint (count_audit (ts, "reallocate", "order", second), ==, 1);
}

/* --------------------------------------------------------------- the race */

typedef struct {
  const char *base;
  const char *token;
  const char *slot_id;
  guint       index;
  GMutex     *lock;
  GCond      *cond;
  gboolean   *go;
  gint       *ready;
  gint       *done;
  guint       status;
  char       *code;
  gboolean    alternatives;
} Racer;

static gpointer
racer_thread (gpointer data)
{
  Racer *racer = data;
  GMainContext *context = g_main_context_new ();
  SoupSession *session;
  SoupMessage *msg;
  g_autofree char *uri = NULL;
  g_autofree char *patient = NULL;
  g_autofree char *body = NULL;
  g_autofree char *key = NULL;
  g_autofree char *auth = NULL;
  g_autoptr(GBytes) bytes = NULL;
  g_autoptr(GBytes) reply = NULL;
  g_autoptr(GError) error = NULL;
  gsize length;

  g_main_context_push_thread_default (context);
  session = soup_session_new_with_options ("timeout", 120, NULL);
  uri = g_strdup_printf ("%s/api/v1/slots/%s/claim", racer->base, racer->slot_id);
  patient = g_strdup_printf ("PT-RACE-%02u", racer->index);
  body = claim_body (patient);
  length = strlen (body);
  key = g_strdup_printf ("race-%u", racer->index);
  auth = g_strdup_printf ("Bearer %s", racer->token);
  msg = soup_message_new ("POST", uri);
  bytes = g_bytes_new_take (g_steal_pointer (&body), length);
  soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization", auth);
  soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key", key);

  /* Everyone starts at once. */
  g_mutex_lock (racer->lock);
  g_atomic_int_inc (racer->ready);
  while (!*racer->go)
    g_cond_wait (racer->cond, racer->lock);
  g_mutex_unlock (racer->lock);

  reply = soup_session_send_and_read (session, msg, NULL, &error);
  racer->status = reply != NULL ? soup_message_get_status (msg) : 0;
  if (reply != NULL)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();

      if (json_parser_load_from_data (parser, g_bytes_get_data (reply, NULL),
                                      g_bytes_get_size (reply), NULL) &&
          JSON_NODE_HOLDS_OBJECT (json_parser_get_root (parser)))
        {
          JsonObject *object = json_node_get_object (json_parser_get_root (parser));

          if (json_object_has_member (object, "error"))
            racer->code = g_strdup (json_object_get_string_member (
                                      json_object_get_object_member (object, "error"), "code"));
          racer->alternatives = json_object_has_member (object, "alternatives") &&
                                JSON_NODE_HOLDS_ARRAY (json_object_get_member (object,
                                                                               "alternatives"));
        }
    }
  else
    g_printerr ("racer %u: %s\n", racer->index, error->message);

  g_object_unref (msg);
  g_object_unref (session);
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  g_atomic_int_inc (racer->done);
  g_main_context_wakeup (NULL);
  return NULL;
}

static void
test_race (void)
{
  g_autoptr(BqTestServer) ts = start ();
  g_autofree char *am = bq_test_server_login (ts, "am-europe");
  Racer racers[N_RACERS];
  GThread *threads[N_RACERS];
  GMutex lock;
  GCond cond;
  gboolean go = FALSE;
  gint ready = 0, done = 0;
  guint n_created = 0, n_conflict = 0;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GError) error = NULL;

  /* Three doses left; another slot for the alternatives. */
  add_slot (ts, "slot-test-race", RUN_C, 3, 0);
  add_slot (ts, "slot-test-spare", RUN_B, 5, 0);

  g_mutex_init (&lock);
  g_cond_init (&cond);
  for (guint i = 0; i < N_RACERS; i++)
    {
      racers[i] = (Racer) {
        .base = ts->base, .token = am, .slot_id = "slot-test-race", .index = i,
        .lock = &lock, .cond = &cond, .go = &go, .ready = &ready, .done = &done,
      };
      threads[i] = g_thread_new ("racer", racer_thread, &racers[i]);
    }
  while (g_atomic_int_get (&ready) < N_RACERS)
    g_usleep (1000);
  g_mutex_lock (&lock);
  go = TRUE;
  g_cond_broadcast (&cond);
  g_mutex_unlock (&lock);

  /* The server runs here, on the test's main context. */
  while (g_atomic_int_get (&done) < N_RACERS)
    g_main_context_iteration (NULL, TRUE);
  for (guint i = 0; i < N_RACERS; i++)
    g_thread_join (threads[i]);

  for (guint i = 0; i < N_RACERS; i++)
    {
      if (racers[i].status == SOUP_STATUS_CREATED)
        n_created++;
      else
        {
          g_assert_cmpuint (racers[i].status, ==, SOUP_STATUS_CONFLICT);
          g_assert_cmpstr (racers[i].code, ==, "sold_out");
          g_assert_true (racers[i].alternatives);
          n_conflict++;
        }
      g_free (racers[i].code);
    }
  g_mutex_clear (&lock);
  g_cond_clear (&cond);
  g_assert_cmpuint (n_created, ==, 3);
  g_assert_cmpuint (n_conflict, ==, N_RACERS - 3);

  slot = get_slot (ts, "slot-test-race");
  g_assert_cmpint (slot->claimed, ==, 3);
  query = bq_query_new (&bq_order_type);
  bq_query_where_equals (query, "slot_id", "slot-test-race");
  orders = bq_store_query (ts->store, query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (orders->len, ==, 3);
  g_assert_cmpuint (count_audit (ts, "claim", "slot", "slot-test-race"), ==, 3);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/server-slots/match", test_match);
  g_test_add_func ("/server-slots/calendar", test_calendar);
  g_test_add_func ("/server-slots/hold/expiry", test_hold);
  g_test_add_func ("/server-slots/claim/confirm-cancel", test_claim_confirm_cancel);
  g_test_add_func ("/server-slots/reschedule", test_reschedule);
  g_test_add_func ("/server-slots/account-manager/scoping", test_scoping);
  g_test_add_func ("/server-slots/claim/after-cutoff", test_after_cutoff);
  g_test_add_func ("/server-slots/reallocate/after-cancelled-run", test_reallocate);
  g_test_add_func ("/server-slots/claim/race-64-for-3", test_race);
  return g_test_run ();
}
