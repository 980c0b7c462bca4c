/* test-json.c — the JSON codecs
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-json.h"

#include "bq-test-entities.h"


/* ------------------------------------------------------------ helpers */

static JsonNode *
parse (const char *text)
{
  g_autoptr(GError) error = NULL;
  JsonNode *node = bq_json_parse (text, -1, &error);

  g_assert_no_error (error);
  g_assert_nonnull (node);
  return node;
}

static gpointer
decode (const BqEntityType *type,
        const char         *text)
{
  g_autoptr(GError) error = NULL;
  gpointer entity = bq_entity_from_json_string (type, text, -1, BQ_JSON_DEFAULT, &error);

  g_assert_no_error (error);
  g_assert_nonnull (entity);
  return entity;
}

static void
assert_model_error (const GError *error,
                    int           code,
                    const char   *field)
{
  g_assert_error (error, BQ_MODEL_ERROR, code);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, field);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  if (field != NULL)
    g_assert_true (g_str_has_prefix (error->message, field));
  g_test_message ("%s", error->message);
}

/* ---------------------------------------------------------- round trip */

static void
test_round_trip (gconstpointer data)
{
  const BqEntityType *type = data;

  for (int full = 0; full <= 1; full++)
    for (int pretty = 0; pretty <= 1; pretty++)
      {
        gpointer entity = bq_test_make_entity (type, full);
        g_autofree char *text = bq_entity_to_json_string (entity, pretty);
        g_autoptr(GError) error = NULL;
        gpointer back;

        g_test_message ("%s", text);
        back = bq_entity_from_json_string (type, text, -1, BQ_JSON_DEFAULT, &error);
        g_assert_no_error (error);
        g_assert_true (bq_entity_equal (entity, back));

        /* And as a node, without text between. */
        {
          g_autoptr(JsonNode) node = bq_entity_to_json (entity);
          gpointer again = bq_entity_from_json (type, node, BQ_JSON_DEFAULT, &error);

          g_assert_no_error (error);
          g_assert_true (bq_entity_equal (entity, again));
          bq_entity_free (again);
        }

        bq_entity_free (back);
        bq_entity_free (entity);
      }
}

static void
test_round_trip_list (void)
{
  g_autoptr(GPtrArray) entities = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(JsonNode) node = NULL;
  JsonArray *array;

  g_ptr_array_add (entities, bq_test_make_entity (&bq_order_type, TRUE));
  g_ptr_array_add (entities, bq_test_make_entity (&bq_order_type, FALSE));
  g_ptr_array_add (entities, bq_test_make_entity (&bq_order_type, TRUE));
  node = bq_entity_list_to_json (entities);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  array = json_node_get_array (node);
  g_assert_cmpuint (json_array_get_length (array), ==, 3);
  for (guint i = 0; i < 3; i++)
    {
      g_autoptr(GError) error = NULL;
      gpointer order = bq_entity_from_json (&bq_order_type, json_array_get_element (array, i),
                                            BQ_JSON_DEFAULT, &error);
      g_assert_no_error (error);
      g_assert_true (bq_entity_equal (order, g_ptr_array_index (entities, i)));
      bq_entity_free (order);
    }

  g_ptr_array_set_size (entities, 0);
  g_clear_pointer (&node, json_node_unref);
  node = bq_entity_list_to_json (entities);
  g_assert_cmpuint (json_array_get_length (json_node_get_array (node)), ==, 0);
}

/* ------------------------------------------------------------- encode */

static void
assert_json_equal (JsonNode   *node,
                   const char *expected_text)
{
  g_autoptr(JsonNode) expected = parse (expected_text);
  g_autofree char *got = json_to_string (node, TRUE);

  g_test_message ("got %s", got);
  g_assert_true (json_node_equal (node, expected));
}

static void
test_encode_shape (void)
{
  g_autoptr(BqRun) run = bq_test_make_entity (&bq_run_type, TRUE);
  g_autoptr(JsonNode) node = bq_entity_to_json (run);
  g_autofree char *text = bq_entity_to_json_string (run, FALSE);
  g_autoptr(JsonNode) reparsed = parse (text);
  g_autoptr(GList) members = NULL;
  JsonObject *object;
  guint i = 0;

  static const char expected[] =
    "{"
    "  \"id\": \"run-1\","
    "  \"revision\": 7,"
    "  \"line_id\": \"line-1\","
    "  \"product_id\": \"product-1\","
    "  \"batch\": \"LY2-2612-01\","
    "  \"start_time\": \"2026-12-01T08:00:00Z\","
    "  \"eos_time\": \"2026-12-01T12:00:00Z\","
    "  \"calibration_time\": \"2026-12-02T12:00:00Z\","
    "  \"activity_eos_bq\": 80000000000.0,"
    "  \"dose_capacity\": 8,"
    "  \"status\": \"released\""
    "}";

  assert_json_equal (node, expected);
  assert_json_equal (reparsed, expected);

  /* json_node_equal compares numbers by value: check the kinds too. */
  object = json_node_get_object (reparsed);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "revision")), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "dose_capacity")), ==, G_TYPE_INT64);
  g_assert_cmpint (json_node_get_value_type (json_object_get_member (object, "activity_eos_bq")), ==, G_TYPE_DOUBLE);

  /* Members come in field order. */
  members = json_object_get_members (object);
  g_assert_cmpuint (g_list_length (members), ==, bq_run_type.n_fields);
  for (GList *l = members; l != NULL; l = l->next, i++)
    g_assert_cmpstr (l->data, ==, bq_run_type.fields[i].name);

  /* Compact is one line, pretty is several. */
  g_assert_null (strchr (text, '\n'));
  {
    g_autofree char *pretty = bq_entity_to_json_string (run, TRUE);
    g_autoptr(JsonNode) pretty_node = parse (pretty);

    g_assert_nonnull (strchr (pretty, '\n'));
    g_assert_true (json_node_equal (pretty_node, reparsed));
  }
}

static void
test_encode_unset (void)
{
  g_autoptr(BqQcResult) qc = bq_test_make_entity (&bq_qc_result_type, FALSE);
  g_autoptr(BqUser) user = bq_test_make_entity (&bq_user_type, FALSE);
  g_autoptr(BqUser) user_full = bq_test_make_entity (&bq_user_type, TRUE);
  g_autoptr(BqSlot) slot = bq_test_make_entity (&bq_slot_type, FALSE);
  g_autoptr(BqRun) run = bq_run_new ();
  g_autoptr(JsonNode) qc_node = bq_entity_to_json (qc);
  g_autoptr(JsonNode) user_node = bq_entity_to_json (user);
  g_autoptr(JsonNode) user_full_node = bq_entity_to_json (user_full);
  g_autoptr(JsonNode) slot_node = bq_entity_to_json (slot);
  g_autoptr(JsonNode) run_node = NULL;

  assert_json_equal (qc_node,
                     "{\"id\": \"qc_result-1\", \"revision\": 0, \"run_id\": \"run-1\","
                     " \"test\": \"radiochemical_purity\", \"status\": \"pending\","
                     " \"value\": null, \"unit\": null, \"recorded_at\": \"2026-12-01T13:00:00Z\"}");
  assert_json_equal (user_node,
                     "{\"id\": \"user-1\", \"revision\": 0, \"username\": \"a.smith\","
                     " \"display_name\": null, \"role\": \"admin\", \"centre_ids\": [],"
                     " \"disabled\": false}");
  assert_json_equal (user_full_node,
                     "{\"id\": \"user-1\", \"revision\": 7, \"username\": \"a.smith\","
                     " \"display_name\": \"Alice Smith\", \"role\": \"account_manager\","
                     " \"centre_ids\": [\"centre-1\", \"centre-2\"], \"disabled\": true}");
  assert_json_equal (slot_node,
                     "{\"id\": \"slot-1\", \"revision\": 0, \"run_id\": \"run-1\","
                     " \"centre_id\": null, \"region\": \"europe\","
                     " \"delivery_date\": \"2026-12-02T08:00:00Z\", \"capacity\": 4,"
                     " \"claimed\": 0, \"status\": \"open\", \"hold_expires\": null,"
                     " \"held_by\": null, \"held\": 0, \"order_cutoff\": null}");

  /* Even an invalid entity encodes without a crash: a bad enum and an
   * unrepresentable time are null. */
  run->status = 42;
  run->start_time = G_MAXINT64;
  run->activity_eos_bq = INFINITY;
  run_node = bq_entity_to_json (run);
  assert_json_equal (run_node,
                     "{\"id\": null, \"revision\": 0, \"line_id\": null, \"product_id\": null,"
                     " \"batch\": null, \"start_time\": null,"
                     " \"eos_time\": \"1970-01-01T00:00:00Z\","
                     " \"calibration_time\": \"1970-01-01T00:00:00Z\","
                     " \"activity_eos_bq\": null, \"dose_capacity\": 0, \"status\": null}");
}

/* ------------------------------------------------------------- decode */

/* Valid documents, as member/value text pairs, that the bad cases edit. */
static const char * const run_members[] = {
  "line_id", "\"line-1\"",
  "product_id", "\"product-1\"",
  "batch", "\"LY2-2612-01\"",
  "start_time", "\"2026-12-01T08:00:00Z\"",
  "eos_time", "\"2026-12-01T12:00:00Z\"",
  "calibration_time", "\"2026-12-02T12:00:00Z\"",
  "activity_eos_bq", "8e10",
  "dose_capacity", "8",
  "status", "\"planned\"",
  NULL
};

static const char * const order_members[] = {
  "centre_id", "\"centre-1\"",
  "product_id", "\"product-1\"",
  "patient_ref", "\"PT-00042\"",
  "prescribed_activity_bq", "7.4e9",
  "admin_start", "\"2026-12-02T14:00:00Z\"",
  "admin_end", "\"2026-12-02T18:00:00Z\"",
  "slot_id", "\"slot-1\"",
  "status", "\"requested\"",
  NULL
};

static const char * const user_members[] = {
  "username", "\"a.smith\"",
  "role", "\"account_manager\"",
  "centre_ids", "[\"centre-1\"]",
  "disabled", "false",
  NULL
};

static const char * const lane_members[] = {
  "mode", "\"flight\"",
  "origin_id", "\"hub-ams\"",
  "destination_id", "\"hub-fra\"",
  "carrier", "\"KL\"",
  "weekdays", "31",
  "duration_s", "4500",
  "class7_accepted", "true",
  NULL
};

static const char * const product_members[] = {
  "name", "\"Lu-177-PSMA\"",
  "nuclide", "\"Lu-177\"",
  "dose_activity_bq", "7.4e9",
  "tolerance", "0.1",
  "concentration_bq_per_ml", "1e9",
  "shelf_life_s", "432000",
  "synthesis_duration_s", "14400",
  "qc_duration_s", "10800",
  NULL
};

static const char * const *
base_members (const char *type)
{
  if (strcmp (type, "run") == 0)
    return run_members;
  if (strcmp (type, "order") == 0)
    return order_members;
  if (strcmp (type, "user") == 0)
    return user_members;
  if (strcmp (type, "lane") == 0)
    return lane_members;
  if (strcmp (type, "product") == 0)
    return product_members;
  g_assert_not_reached ();
  return NULL;
}

/* The base document with @member's value replaced by @value (JSON text),
 * removed when @value is NULL, or added when the base lacks it.  Built as
 * text, so literals json-glib would misread reach the decoder intact. */
static char *
build_document (const char *type,
                const char *member,
                const char *value)
{
  const char * const *members = base_members (type);
  GString *text = g_string_new ("{");
  gboolean found = FALSE;

  for (guint i = 0; members[i] != NULL; i += 2)
    {
      const char *v = members[i + 1];

      if (strcmp (members[i], member) == 0)
        {
          found = TRUE;
          if (value == NULL)
            continue;
          v = value;
        }
      if (text->len > 1)
        g_string_append (text, ", ");
      g_string_append_printf (text, "\"%s\": %s", members[i], v);
    }
  if (!found)
    {
      g_assert_nonnull (value);
      g_string_append_printf (text, ", \"%s\": %s", member, value);
    }
  g_string_append (text, "}");
  return g_string_free (text, FALSE);
}

#define OK (-1)
#define REMOVE NULL

typedef struct {
  const char *path;
  const char *type;
  const char *member;        /* NULL: @value is the whole document */
  const char *value;         /* JSON text; REMOVE drops the member */
  int         code;          /* OK: decodes */
  const char *field;
  const char *message_part;  /* in the message, if not NULL */
} DecodeCase;

static const DecodeCase decode_cases[] = {
  /* the document as a whole */
  { "run/not-json", "run", NULL, "{batch: 1}", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/bare-word", "run", NULL, "LY2-2612-01", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/truncated", "run", NULL, "{\"batch\": \"LY2", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/trailing-garbage", "run", NULL, "{\"batch\": \"LY2\"} {", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/array", "run", NULL, "[{\"batch\": \"LY2\"}]", BQ_MODEL_ERROR_MALFORMED, NULL, "array" },
  { "run/empty-array", "run", NULL, "[]", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/string", "run", NULL, "\"run\"", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/null", "run", NULL, "null", BQ_MODEL_ERROR_MALFORMED, NULL, NULL },
  { "run/empty", "run", NULL, "", BQ_MODEL_ERROR_MALFORMED, NULL, "empty" },
  { "run/blank", "run", NULL, " \n\t ", BQ_MODEL_ERROR_MALFORMED, NULL, "empty" },
  { "run/empty-object", "run", NULL, "{}", BQ_MODEL_ERROR_MISSING_FIELD, "line_id", NULL },
  /* missing and null */
  { "run/missing-field", "run", "line_id", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "line_id", NULL },
  { "run/missing-time", "run", "start_time", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "start_time", NULL },
  { "run/missing-number", "run", "activity_eos_bq", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "activity_eos_bq", NULL },
  { "run/missing-optional", "run", "status", REMOVE, OK, NULL, NULL },
  { "run/null-required", "run", "batch", "null", BQ_MODEL_ERROR_MISSING_FIELD, "batch", NULL },
  { "run/null-required-time", "run", "start_time", "null", BQ_MODEL_ERROR_MISSING_FIELD, "start_time", NULL },
  { "run/null-required-number", "run", "dose_capacity", "null", BQ_MODEL_ERROR_MISSING_FIELD, "dose_capacity", NULL },
  { "run/null-optional", "run", "status", "null", OK, NULL, NULL },
  { "run/empty-required", "run", "batch", "\"\"", BQ_MODEL_ERROR_MISSING_FIELD, "batch", NULL },
  /* wrong types */
  { "run/string-for-number", "run", "activity_eos_bq", "\"8e10\"", BQ_MODEL_ERROR_WRONG_TYPE, "activity_eos_bq", "a number" },
  { "run/bool-for-number", "run", "activity_eos_bq", "true", BQ_MODEL_ERROR_WRONG_TYPE, "activity_eos_bq", NULL },
  { "run/number-for-string", "run", "batch", "42", BQ_MODEL_ERROR_WRONG_TYPE, "batch", "a string" },
  { "run/object-for-string", "run", "batch", "{\"a\": 1}", BQ_MODEL_ERROR_WRONG_TYPE, "batch", "an object" },
  { "run/array-for-string", "run", "batch", "[\"LY2\"]", BQ_MODEL_ERROR_WRONG_TYPE, "batch", "an array" },
  { "run/fraction-for-integer", "run", "dose_capacity", "1.5", BQ_MODEL_ERROR_WRONG_TYPE, "dose_capacity", "an integer" },
  { "run/string-for-integer", "run", "dose_capacity", "\"3\"", BQ_MODEL_ERROR_WRONG_TYPE, "dose_capacity", "“3”" },
  { "run/bool-for-integer", "run", "dose_capacity", "true", BQ_MODEL_ERROR_WRONG_TYPE, "dose_capacity", NULL },
  { "run/integral-double-for-integer", "run", "dose_capacity", "3.0", OK, NULL, NULL },
  { "run/exponent-for-integer", "run", "dose_capacity", "3e1", OK, NULL, NULL },
  { "run/huge-double-for-integer", "run", "dose_capacity", "1e300", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  { "run/huge-integer", "run", "dose_capacity", "99999999999999999999", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  /* json-glib alone reads this as 8 */
  { "run/wrapping-integer", "run", "dose_capacity", "18446744073709551624", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  { "run/huge-negative-integer", "run", "dose_capacity", "-99999999999999999999", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  { "run/infinite-number", "run", "activity_eos_bq", "1e400", BQ_MODEL_ERROR_OUT_OF_RANGE, "activity_eos_bq", NULL },
  { "run/integer-for-number", "run", "activity_eos_bq", "80000000000", OK, NULL, NULL },
  { "run/huge-integer-for-number", "run", "activity_eos_bq", "100000000000000000000", OK, NULL, NULL },
  { "run/number-for-enum", "run", "status", "2", BQ_MODEL_ERROR_WRONG_TYPE, "status", "planned" },
  { "run/number-for-id", "run", "id", "42", BQ_MODEL_ERROR_WRONG_TYPE, "id", NULL },
  { "run/string-for-revision", "run", "revision", "\"7\"", BQ_MODEL_ERROR_WRONG_TYPE, "revision", NULL },
  /* unknown */
  { "run/unknown-field", "run", "colour", "\"blue\"", BQ_MODEL_ERROR_UNKNOWN_FIELD, "colour", NULL },
  { "run/unknown-field-case", "run", "Batch", "\"LY2\"", BQ_MODEL_ERROR_UNKNOWN_FIELD, "Batch", "did you mean “batch”" },
  { "run/unknown-enum", "run", "status", "\"baking\"", BQ_MODEL_ERROR_BAD_ENUM, "status", "planned, synthesis, qc" },
  { "run/enum-wrong-case", "run", "status", "\"Planned\"", BQ_MODEL_ERROR_BAD_ENUM, "status", NULL },
  /* values and rules */
  { "run/negative-activity", "run", "activity_eos_bq", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "activity_eos_bq", NULL },
  { "run/negative-dose-capacity", "run", "dose_capacity", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  { "run/negative-revision", "run", "revision", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "revision", NULL },
  { "run/end-before-start", "run", "eos_time", "\"2026-12-01T07:00:00Z\"", BQ_MODEL_ERROR_INVALID, "eos_time", NULL },
  { "run/calibration-before-eos", "run", "calibration_time", "\"2026-12-01T11:00:00Z\"", BQ_MODEL_ERROR_INVALID, "calibration_time", NULL },
  { "run/control-character", "run", "batch", "\"LY2\\n01\"", BQ_MODEL_ERROR_INVALID, "batch", NULL },
  { "run/nul-character", "run", "batch", "\"LY2\\u0000Jane Doe\"", BQ_MODEL_ERROR_MALFORMED, NULL, "U+0000" },
  /* times */
  { "run/time-without-zone", "run", "start_time", "\"2026-12-01T08:00:00\"", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", "zone" },
  { "run/malformed-time", "run", "start_time", "\"2026-13-45T08:00:00Z\"", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", "ISO 8601" },
  { "run/malformed-date", "run", "start_time", "\"2026-02-30\"", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", NULL },
  { "run/time-in-words", "run", "start_time", "\"tomorrow\"", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", "“tomorrow”" },
  { "run/time-as-number", "run", "start_time", "1796112000", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", NULL },
  { "run/time-before-1970", "run", "start_time", "\"1969-12-31T23:00:00Z\"", BQ_MODEL_ERROR_OUT_OF_RANGE, "start_time", NULL },
  { "run/time-year-10000", "run", "start_time", "\"10000-01-01T00:00:00Z\"", BQ_MODEL_ERROR_WRONG_TYPE, "start_time", NULL },
  { "run/time-with-offset", "run", "start_time", "\"2026-12-01T09:00:00+01:00\"", OK, NULL, NULL },
  { "run/date-only", "run", "start_time", "\"2026-12-01\"", OK, NULL, NULL },

  { "order/missing-field", "order", "patient_ref", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "patient_ref", NULL },
  { "order/missing-time", "order", "admin_end", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "admin_end", NULL },
  { "order/patient-name", "order", "patient_ref", "\"Jane Doe\"", BQ_MODEL_ERROR_INVALID, "patient_ref", NULL },
  { "order/end-before-start", "order", "admin_end", "\"2026-12-02T13:00:00Z\"", BQ_MODEL_ERROR_INVALID, "admin_end", NULL },
  { "order/string-for-number", "order", "prescribed_activity_bq", "\"7.4 GBq\"", BQ_MODEL_ERROR_WRONG_TYPE, "prescribed_activity_bq", NULL },
  { "order/zero-activity", "order", "prescribed_activity_bq", "0", BQ_MODEL_ERROR_OUT_OF_RANGE, "prescribed_activity_bq", NULL },
  { "order/negative-activity", "order", "prescribed_activity_bq", "-7.4e9", BQ_MODEL_ERROR_OUT_OF_RANGE, "prescribed_activity_bq", NULL },
  { "order/number-for-string", "order", "run_id", "17", BQ_MODEL_ERROR_WRONG_TYPE, "run_id", NULL },
  { "order/empty-reference", "order", "slot_id", "\"\"", BQ_MODEL_ERROR_INVALID, "slot_id", NULL },
  { "order/null-optional", "order", "slot_id", "null", OK, NULL, NULL },
  { "order/unknown-enum", "order", "status", "\"lost\"", BQ_MODEL_ERROR_BAD_ENUM, "status", "requested" },
  { "order/unknown-field", "order", "patient_name", "\"Jane Doe\"", BQ_MODEL_ERROR_UNKNOWN_FIELD, "patient_name", NULL },
  { "order/time-without-zone", "order", "admin_start", "\"2026-12-02T14:00\"", BQ_MODEL_ERROR_WRONG_TYPE, "admin_start", "zone" },
  { "order/time-without-seconds", "order", "admin_start", "\"2026-12-02T14:00Z\"", OK, NULL, NULL },
  { "order/date-only", "order", "admin_start", "\"2026-12-02\"", OK, NULL, NULL },

  { "user/string-for-bool", "user", "disabled", "\"true\"", BQ_MODEL_ERROR_WRONG_TYPE, "disabled", "true or false" },
  { "user/number-for-bool", "user", "disabled", "1", BQ_MODEL_ERROR_WRONG_TYPE, "disabled", NULL },
  { "user/null-optional-bool", "user", "disabled", "null", OK, NULL, NULL },
  { "user/string-for-list", "user", "centre_ids", "\"centre-1\"", BQ_MODEL_ERROR_WRONG_TYPE, "centre_ids", NULL },
  { "user/number-in-list", "user", "centre_ids", "[\"centre-1\", 2]", BQ_MODEL_ERROR_WRONG_TYPE, "centre_ids", "element 1" },
  { "user/null-in-list", "user", "centre_ids", "[null]", BQ_MODEL_ERROR_WRONG_TYPE, "centre_ids", NULL },
  { "user/list-in-list", "user", "centre_ids", "[[\"centre-1\"]]", BQ_MODEL_ERROR_WRONG_TYPE, "centre_ids", NULL },
  { "user/empty-in-list", "user", "centre_ids", "[\"\"]", BQ_MODEL_ERROR_INVALID, "centre_ids", NULL },
  { "user/empty-list", "user", "centre_ids", "[]", OK, NULL, NULL },
  { "user/null-list", "user", "centre_ids", "null", OK, NULL, NULL },
  { "user/missing-role", "user", "role", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "role", NULL },
  { "user/upper-case", "user", "username", "\"A.Smith\"", BQ_MODEL_ERROR_INVALID, "username", NULL },

  { "lane/weekdays-200", "lane", "weekdays", "200", BQ_MODEL_ERROR_OUT_OF_RANGE, "weekdays", NULL },
  { "lane/origin-is-destination", "lane", "destination_id", "\"hub-ams\"", BQ_MODEL_ERROR_INVALID, "destination_id", NULL },
  { "lane/missing-enum", "lane", "mode", REMOVE, BQ_MODEL_ERROR_MISSING_FIELD, "mode", NULL },
  { "lane/null-required-enum", "lane", "mode", "null", BQ_MODEL_ERROR_MISSING_FIELD, "mode", NULL },
  { "lane/string-for-bool", "lane", "class7_accepted", "\"yes\"", BQ_MODEL_ERROR_WRONG_TYPE, "class7_accepted", NULL },

  { "product/nuclide-not-canonical", "product", "nuclide", "\"Lu177\"", BQ_MODEL_ERROR_INVALID, "nuclide", "Lu-177" },
  { "product/nuclide-unknown", "product", "nuclide", "\"Xx-1\"", BQ_MODEL_ERROR_INVALID, "nuclide", NULL },
  { "product/tolerance-1.5", "product", "tolerance", "1.5", BQ_MODEL_ERROR_OUT_OF_RANGE, "tolerance", NULL },
  { "product/fraction-for-integer", "product", "shelf_life_s", "432000.5", BQ_MODEL_ERROR_WRONG_TYPE, "shelf_life_s", "432000.5" },
};

static void
test_decode_case (gconstpointer data)
{
  const DecodeCase *c = data;
  const BqEntityType *type = bq_entity_type_lookup (c->type);
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  gpointer entity;

  text = c->member != NULL ? build_document (c->type, c->member, c->value) : g_strdup (c->value);
  g_test_message ("%s", text);
  entity = bq_entity_from_json_string (type, text, -1, BQ_JSON_DEFAULT, &error);

  if (c->code == OK)
    {
      g_assert_no_error (error);
      g_assert_nonnull (entity);
      bq_entity_free (entity);
      return;
    }

  g_assert_null (entity);
  assert_model_error (error, c->code, c->field);
  if (c->message_part != NULL)
    g_assert_nonnull (strstr (error->message, c->message_part));
}

static void
test_decode_values (void)
{
  g_autoptr(BqRun) run = decode (&bq_run_type,
                                 "{\"id\": \"run-9\", \"revision\": 12, \"line_id\": \"line-1\","
                                 " \"product_id\": \"product-1\", \"batch\": \"LY2\","
                                 " \"start_time\": \"2026-12-01T09:00:00+01:00\","
                                 " \"eos_time\": \"2026-12-01T12:00:00.999Z\","
                                 " \"calibration_time\": \"2026-12-02\","
                                 " \"activity_eos_bq\": 80000000000,"
                                 " \"dose_capacity\": 8.0, \"status\": \"qc\"}");
  g_autoptr(BqRun) minimal = decode (&bq_run_type, "{\"line_id\": \"line-1\","
                                     " \"product_id\": \"product-1\", \"batch\": \"LY2\","
                                     " \"start_time\": \"2026-12-01T08:00:00Z\","
                                     " \"eos_time\": \"2026-12-01T12:00:00Z\","
                                     " \"calibration_time\": \"2026-12-02T12:00:00Z\","
                                     " \"activity_eos_bq\": 1e20, \"dose_capacity\": 0}");
  g_autoptr(BqRun) huge = decode (&bq_run_type, "{\"line_id\": \"line-1\","
                                  " \"product_id\": \"product-1\", \"batch\": \"LY2\","
                                  " \"start_time\": \"2026-12-01T08:00:00Z\","
                                  " \"eos_time\": \"2026-12-01T12:00:00Z\","
                                  " \"calibration_time\": \"2026-12-02T12:00:00Z\","
                                  " \"activity_eos_bq\": 100000000000000000000,"
                                  " \"dose_capacity\": 9007199254740992}");
  g_autoptr(BqQcResult) qc = decode (&bq_qc_result_type,
                                     "{\"run_id\": \"run-1\", \"test\": \"sterility\","
                                     " \"value\": null, \"unit\": null,"
                                     " \"recorded_at\": \"2026-12-01T13:00:00Z\"}");
  g_autoptr(BqSlot) slot = decode (&bq_slot_type,
                                   "{\"run_id\": \"run-1\", \"region\": \"europe\","
                                   " \"delivery_date\": \"2026-12-02\", \"capacity\": 4,"
                                   " \"hold_expires\": null, \"claimed\": null}");
  g_autoptr(BqUser) user = decode (&bq_user_type,
                                   "{\"username\": \"q\", \"role\": \"qa\", \"centre_ids\": [],"
                                   " \"disabled\": true}");

  g_assert_cmpstr (run->base.id, ==, "run-9");
  g_assert_cmpint (run->base.revision, ==, 12);
  g_assert_cmpint (run->start_time, ==, T0);
  /* Fractions of a second are dropped. */
  g_assert_cmpint (run->eos_time, ==, T0 + 4 * HOUR);
  g_assert_cmpint (run->calibration_time, ==, T0 - 8 * HOUR + DAY);
  g_assert_cmpfloat (run->activity_eos_bq, ==, 8e10);
  g_assert_cmpint (run->dose_capacity, ==, 8);
  g_assert_cmpint (run->status, ==, BQ_RUN_QC);

  /* Server fields may be left out; optional ones take their defaults. */
  g_assert_null (minimal->base.id);
  g_assert_cmpint (minimal->base.revision, ==, 0);
  g_assert_cmpint (minimal->status, ==, BQ_RUN_PLANNED);
  g_assert_cmpint (minimal->dose_capacity, ==, 0);
  g_assert_cmpfloat (minimal->activity_eos_bq, ==, 1e20);

  g_assert_cmpfloat (huge->activity_eos_bq, ==, 1e20);
  g_assert_cmpint (huge->dose_capacity, ==, G_GINT64_CONSTANT (9007199254740992));

  g_assert_true (isnan (qc->value));
  g_assert_null (qc->unit);
  g_assert_cmpint (qc->status, ==, BQ_QC_PENDING);

  g_assert_cmpint (slot->hold_expires, ==, BQ_TIME_UNSET);
  g_assert_cmpint (slot->delivery_date, ==, T0 - 8 * HOUR + DAY);
  g_assert_cmpint (slot->claimed, ==, 0);
  g_assert_null (slot->centre_id);

  /* An empty list is stored as no list. */
  g_assert_null (user->centre_ids);
  g_assert_true (user->disabled);
}

static void
test_decode_times (void)
{
  static const char * const same[] = {
    "2026-12-01T08:00:00Z",
    "2026-12-01T09:00:00+01:00",
    "2026-12-01T03:00:00-05:00",
    "2026-12-01T08:00:00.5Z",
    "2026-12-01 08:00:00Z",
    "2026-12-01T08:00Z",
    "2026-12-01T09:00+01:00",
    "20261201T080000Z",
  };

  for (guint i = 0; i < G_N_ELEMENTS (same); i++)
    {
      g_autofree char *text = g_strdup_printf ("{\"run_id\": \"run-1\", \"test\": \"t\","
                                               " \"recorded_at\": \"%s\"}", same[i]);
      g_autoptr(BqQcResult) qc = decode (&bq_qc_result_type, text);

      g_test_message ("%s", same[i]);
      g_assert_cmpint (qc->recorded_at, ==, T0);
    }
}

static void
test_decode_invalid_utf8 (void)
{
  g_autoptr(GString) text = g_string_new (NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *valid = build_document ("run", "batch", "\"LY2\"");
  const char *quote;
  gpointer run;

  /* "batch": "LY2<0xC3><0x28>" — a lead byte followed by a non-continuation. */
  quote = strstr (valid, "LY2\"");
  g_assert_nonnull (quote);
  g_string_append_len (text, valid, quote + 3 - valid);
  g_string_append_c (text, (char) 0xc3);
  g_string_append_c (text, (char) 0x28);
  g_string_append (text, quote + 3);
  g_assert_false (g_utf8_validate (text->str, text->len, NULL));

  run = bq_entity_from_json_string (&bq_run_type, text->str, text->len, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
  g_assert_nonnull (strstr (error->message, "UTF-8"));
  g_clear_error (&error);

  /* A lone continuation byte. */
  text->str[quote + 3 - valid] = (char) 0x80;
  run = bq_entity_from_json_string (&bq_run_type, text->str, -1, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
  g_clear_error (&error);

  /* A node built in code bypasses the parser: the field check catches it. */
  node = parse (valid);
  json_object_set_string_member (json_node_get_object (node), "batch", "LY2\xc3\x28");
  run = bq_entity_from_json (&bq_run_type, node, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_WRONG_TYPE, "batch");
  g_clear_error (&error);

  /* …and a bad enum nick, without putting bad UTF-8 into the message. */
  json_object_set_string_member (json_node_get_object (node), "batch", "LY2");
  json_object_set_string_member (json_node_get_object (node), "status", "\xff");
  run = bq_entity_from_json (&bq_run_type, node, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_BAD_ENUM, "status");
}

static void
test_decode_length (void)
{
  g_autofree char *valid = build_document ("run", "batch", "\"LY2\"");
  g_autofree char *padded = g_strconcat (valid, "GARBAGE", NULL);
  g_autofree char *with_nul = NULL;
  g_autoptr(GError) error = NULL;
  gsize len = strlen (valid);
  gpointer run;

  /* @length stops before the garbage; -1 reads to the NUL. */
  run = bq_entity_from_json_string (&bq_run_type, padded, len, BQ_JSON_DEFAULT, &error);
  g_assert_no_error (error);
  bq_entity_free (run);

  run = bq_entity_from_json_string (&bq_run_type, padded, -1, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
  g_clear_error (&error);

  /* A NUL byte within @length is not JSON. */
  with_nul = g_strdup (padded);
  with_nul[len] = '\0';
  run = bq_entity_from_json_string (&bq_run_type, with_nul, len + 3, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
  g_clear_error (&error);

  /* No text at all. */
  run = bq_entity_from_json_string (&bq_run_type, NULL, 0, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
}

static void
test_decode_deep_nesting (void)
{
  const guint depth = 200000;
  g_autoptr(GString) text = g_string_new ("{\"batch\": ");
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) shallow = NULL;
  gpointer run;

  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, '[');
  for (guint i = 0; i < depth; i++)
    g_string_append_c (text, ']');
  g_string_append_c (text, '}');

  /* json-glib alone overflows the stack on this. */
  run = bq_entity_from_json_string (&bq_run_type, text->str, text->len, BQ_JSON_DEFAULT, &error);
  g_assert_null (run);
  assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
  g_assert_nonnull (strstr (error->message, "deep"));

  /* Brackets inside strings do not count. */
  g_string_assign (text, "[\"");
  for (guint i = 0; i < 1000; i++)
    g_string_append (text, "[{");
  g_string_append (text, "\"]");
  shallow = parse (text->str);
  g_assert_true (JSON_NODE_HOLDS_ARRAY (shallow));
}

static void
test_parse (void)
{
  g_autoptr(JsonNode) array = parse ("[1, \"a\\\"[\", {\"b\": [99999999999999999999]}]");
  g_autoptr(JsonNode) escaped = parse ("[\"\\\\u0000\"]");
  JsonNode *big;

  /* Any shape is fine at this level. */
  g_assert_true (JSON_NODE_HOLDS_ARRAY (array));
  big = json_array_get_element (json_object_get_array_member (
                                  json_array_get_object_element (json_node_get_array (array), 2),
                                  "b"), 0);
  /* An overflowing integer is read as the double it is, not wrapped. */
  g_assert_cmpint (json_node_get_value_type (big), ==, G_TYPE_DOUBLE);
  g_assert_cmpfloat (json_node_get_double (big), ==, 1e20);

  /* An escaped backslash before "u0000" is text, not U+0000. */
  g_assert_cmpstr (json_array_get_string_element (json_node_get_array (escaped), 0), ==,
                   "\\u0000");
}

/* RFC 8259 and nothing more: what json-glib 1.6 would take but the
 * standard does not is refused, as a whole document and deep inside. */
static const struct {
  const char *text;
  const char *message_part;  /* in the message, if not NULL */
} not_json[] = {
  { "{'a': 1}", "double quotes" },
  { "{\"a\": 'b'}", "double quotes" },
  { "{\"a\": 1} // note", "more text" },
  { "{\"a\": /* note */ 1}", "comments" },
  { "/* note */ {\"a\": 1}", "comments" },
  { "{\"a\": 0x10}", NULL },
  { "{\"a\": 05}", "leading zeros" },
  { "{\"a\": -05}", "leading zeros" },
  { "{\"a\": 00}", "leading zeros" },
  { "{\"a\": .5e10}", NULL },
  { "{\"a\": 5.}", NULL },
  { "{\"a\": 5.e3}", NULL },
  { "{\"a\": 1e}", NULL },
  { "{\"a\": 1e+}", NULL },
  { "{\"a\": +1}", NULL },
  { "{\"a\": -}", NULL },
  { "{\"a\": Infinity}", NULL },
  { "{\"a\": NaN}", NULL },
  { "{\"a\": 1}{\"b\": 2}", "more text" },
  { "{\"a\": 1} {\"b\": 2}", "more text" },
  { "[1] [2]", "more text" },
  { "1 2", "more text" },
  { "{\"a\": 1,}", NULL },
  { "[1,]", NULL },
  { "[,1]", NULL },
  { "{,}", NULL },
  { "{\"a\" 1}", NULL },
  { "{\"a\": 1 \"b\": 2}", NULL },
  { "{a: 1}", NULL },
  { "{\"a\": True}", NULL },
  { "{\"a\": nul}", NULL },
  { "{\"a\": truex}", NULL },
  { "{\"a\": \"tab\there\"}", "control" },
  { "{\"a\": \"line\nbreak\"}", "control" },
  { "{\"a\": \"\\x41\"}", "escape" },
  { "{\"a\": \"\\u12\"}", "hex" },
  { "{\"a\": 1", "not closed" },
  { "[1, 2", "not closed" },
  { "{\"a\": \"open", "not closed" },
  { "\f{\"a\": 1}", NULL },
  { "\xc2\xa0{\"a\": 1}", NULL },  /* NO-BREAK SPACE is not JSON whitespace */
  { "]", NULL },
  { "}", NULL },
};

static void
test_parse_strict (void)
{
  static const char *const json[] = {
    "{}", "[]", "0", "-0", "0.5", "-0.5e-3", "1E+2", "1e2", "true", "false", "null",
    "\"\"", " \t\r\n{ \"a\" : [ 1 , 2 ] , \"b\" : { } } \n",
    "{\"a\": \"\\\"\\\\\\/\\b\\f\\n\\r\\t\\u00e9\\ud83d\\ude00\"}",
    "{\"a\": \"\xe2\x98\xa2 ok\"}", "[[[[[]]]]]", "[{\"a\": [{}]}]",
    "123456789012345678", "-9223372036854775808", "9223372036854775807",
  };

  for (guint i = 0; i < G_N_ELEMENTS (json); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(JsonNode) node = bq_json_parse (json[i], -1, &error);

      g_assert_no_error (error);
      g_assert_nonnull (node);
    }

  for (guint i = 0; i < G_N_ELEMENTS (not_json); i++)
    {
      g_autoptr(GError) error = NULL;
      JsonNode *node = bq_json_parse (not_json[i].text, -1, &error);

      g_test_message ("%s", not_json[i].text);
      if (node != NULL)
        {
          g_autofree char *seen = json_to_string (node, FALSE);

          json_node_unref (node);
          g_error ("accepted “%s” as %s", not_json[i].text, seen);
        }
      assert_model_error (error, BQ_MODEL_ERROR_MALFORMED, NULL);
      if (not_json[i].message_part != NULL && strstr (error->message, not_json[i].message_part) == NULL)
        g_error ("“%s”: “%s” does not say “%s”", not_json[i].text, error->message,
                 not_json[i].message_part);
    }

  /* The edges of gint64: the smallest and largest stay integers, one
   * beyond is read as a double. */
  {
    g_autoptr(JsonNode) small = parse ("[-9223372036854775808, 9223372036854775807, 9223372036854775808]");
    JsonArray *array = json_node_get_array (small);

    g_assert_cmpint (json_node_get_value_type (json_array_get_element (array, 0)), ==, G_TYPE_INT64);
    g_assert_cmpint (json_array_get_int_element (array, 0), ==, G_MININT64);
    g_assert_cmpint (json_array_get_int_element (array, 1), ==, G_MAXINT64);
    g_assert_cmpint (json_node_get_value_type (json_array_get_element (array, 2)), ==, G_TYPE_DOUBLE);
  }

  /* Nesting exactly at the limit is fine; one more is not. */
  {
    g_autoptr(GString) text = g_string_new (NULL);
    g_autoptr(GError) error = NULL;
    g_autoptr(JsonNode) node = NULL;

    for (guint i = 0; i < 64; i++)
      g_string_append_c (text, '[');
    for (guint i = 0; i < 64; i++)
      g_string_append_c (text, ']');
    node = bq_json_parse (text->str, text->len, &error);
    g_assert_no_error (error);
    g_assert_nonnull (node);
    g_string_prepend_c (text, '[');
    g_string_append_c (text, ']');
    g_assert_null (bq_json_parse (text->str, text->len, &error));
    g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_MALFORMED);
  }
}

static void
test_decode_allow_unknown (void)
{
  g_autofree char *text = build_document ("order", "extension", "{\"crm\": [1, 2]}");
  g_autofree char *plain = build_document ("order", "status", "\"requested\"");
  g_autoptr(GError) error = NULL;
  gpointer order;
  gpointer expected;

  order = bq_entity_from_json_string (&bq_order_type, text, -1, BQ_JSON_DEFAULT, &error);
  g_assert_null (order);
  assert_model_error (error, BQ_MODEL_ERROR_UNKNOWN_FIELD, "extension");
  g_clear_error (&error);

  order = bq_entity_from_json_string (&bq_order_type, text, -1, BQ_JSON_ALLOW_UNKNOWN, &error);
  g_assert_no_error (error);
  expected = decode (&bq_order_type, plain);
  g_assert_true (bq_entity_equal (order, expected));
  bq_entity_free (order);
  bq_entity_free (expected);

  /* Known members are still checked. */
  g_clear_pointer (&text, g_free);
  text = build_document ("order", "status", "\"lost\"");
  order = bq_entity_from_json_string (&bq_order_type, text, -1, BQ_JSON_ALLOW_UNKNOWN, &error);
  g_assert_null (order);
  assert_model_error (error, BQ_MODEL_ERROR_BAD_ENUM, "status");
}

static void
test_decode_duplicate_member (void)
{
  g_autoptr(BqRun) run = decode (&bq_run_type,
                                 "{\"line_id\": \"line-1\", \"product_id\": \"product-1\","
                                 " \"batch\": \"first\", \"batch\": \"last\","
                                 " \"start_time\": \"2026-12-01T08:00:00Z\","
                                 " \"eos_time\": \"2026-12-01T12:00:00Z\","
                                 " \"calibration_time\": \"2026-12-02T12:00:00Z\","
                                 " \"activity_eos_bq\": 8e10, \"dose_capacity\": 8}");

  /* json-glib keeps the last. */
  g_assert_cmpstr (run->batch, ==, "last");
}

/* ------------------------------------------------------------- update */

static gboolean
update (gpointer     entity,
        const char  *patch,
        GError     **error)
{
  g_autoptr(JsonNode) node = parse (patch);
  return bq_entity_update_from_json (entity, node, BQ_JSON_DEFAULT, error);
}

static void
test_update_partial (void)
{
  g_autoptr(BqRun) run = bq_test_make_entity (&bq_run_type, TRUE);
  g_autoptr(BqRun) expected = bq_entity_copy (run);
  g_autoptr(BqOrder) order = bq_test_make_entity (&bq_order_type, TRUE);
  g_autoptr(BqUser) user = bq_test_make_entity (&bq_user_type, TRUE);
  g_autoptr(GError) error = NULL;
  BqRun *before = run;

  g_assert_true (update (run, "{\"status\": \"qc\", \"activity_eos_bq\": 7e10}", &error));
  g_assert_no_error (error);
  expected->status = BQ_RUN_QC;
  expected->activity_eos_bq = 7e10;
  g_assert_true (bq_entity_equal (run, expected));
  /* Same struct, so pointers to it stay good. */
  g_assert_true (run == before);
  g_assert_cmpstr (run->batch, ==, "LY2-2612-01");

  /* Moving both ends of an interval at once is checked as a whole. */
  g_assert_true (update (run, "{\"start_time\": \"2026-12-03T08:00:00Z\","
                              " \"eos_time\": \"2026-12-03T12:00:00Z\","
                              " \"calibration_time\": \"2026-12-04T00:00:00Z\"}", &error));
  g_assert_no_error (error);
  g_assert_cmpint (run->start_time, ==, T0 + 2 * DAY);

  /* Null unsets an optional field. */
  g_assert_true (update (order, "{\"slot_id\": null, \"run_id\": null}", &error));
  g_assert_no_error (error);
  g_assert_null (order->slot_id);
  g_assert_null (order->run_id);
  g_assert_cmpstr (order->shipment_id, ==, "shipment-1");

  g_assert_true (update (user, "{\"centre_ids\": [\"centre-9\"]}", &error));
  g_assert_no_error (error);
  g_assert_cmpuint (g_strv_length (user->centre_ids), ==, 1);
  g_assert_cmpstr (user->centre_ids[0], ==, "centre-9");
  g_assert_true (update (user, "{\"centre_ids\": []}", &error));
  g_assert_no_error (error);
  g_assert_null (user->centre_ids);

  /* An empty patch changes nothing. */
  g_clear_pointer (&expected, bq_run_free);
  expected = bq_entity_copy (run);
  g_assert_true (update (run, "{}", &error));
  g_assert_no_error (error);
  g_assert_true (bq_entity_equal (run, expected));
}

typedef struct {
  const char *patch;
  int         code;
  const char *field;
} BadPatch;

static void
test_update_unchanged_on_error (void)
{
  static const BadPatch patches[] = {
    { "{\"eos_time\": \"2026-12-01T07:00:00Z\"}", BQ_MODEL_ERROR_INVALID, "eos_time" },
    { "{\"status\": \"baking\"}", BQ_MODEL_ERROR_BAD_ENUM, "status" },
    /* the first member is applied to the copy before the second fails */
    { "{\"batch\": \"LY2-NEW\", \"dose_capacity\": 1.5}", BQ_MODEL_ERROR_WRONG_TYPE, "dose_capacity" },
    { "{\"batch\": \"LY2-NEW\", \"activity_eos_bq\": -1}", BQ_MODEL_ERROR_OUT_OF_RANGE, "activity_eos_bq" },
    { "{\"batch\": null}", BQ_MODEL_ERROR_MISSING_FIELD, "batch" },
    { "{\"batch\": \"\"}", BQ_MODEL_ERROR_MISSING_FIELD, "batch" },
    { "{\"start_time\": null}", BQ_MODEL_ERROR_MISSING_FIELD, "start_time" },
    { "{\"start_time\": \"2026-12-01T08:00:00\"}", BQ_MODEL_ERROR_WRONG_TYPE, "start_time" },
    { "{\"colour\": \"blue\"}", BQ_MODEL_ERROR_UNKNOWN_FIELD, "colour" },
    { "{\"id\": \"run-2\"}", BQ_MODEL_ERROR_INVALID, "id" },
    { "[]", BQ_MODEL_ERROR_MALFORMED, NULL },
    { "\"status\"", BQ_MODEL_ERROR_MALFORMED, NULL },
  };
  g_autoptr(BqRun) run = bq_test_make_entity (&bq_run_type, TRUE);
  g_autoptr(BqRun) saved = bq_entity_copy (run);

  for (guint i = 0; i < G_N_ELEMENTS (patches); i++)
    {
      g_autoptr(GError) error = NULL;

      g_test_message ("%s", patches[i].patch);
      g_assert_false (update (run, patches[i].patch, &error));
      assert_model_error (error, patches[i].code, patches[i].field);
      g_assert_true (bq_entity_equal (run, saved));
    }
}

static void
test_update_id_revision (void)
{
  g_autoptr(BqRun) run = bq_test_make_entity (&bq_run_type, TRUE);
  g_autoptr(BqRun) saved = bq_entity_copy (run);
  g_autoptr(BqRun) unstored = bq_run_new ();
  g_autoptr(GError) error = NULL;

  /* Repeating the id is fine; the revision is the server's business. */
  g_assert_true (update (run, "{\"id\": \"run-1\", \"revision\": 99}", &error));
  g_assert_no_error (error);
  g_assert_true (bq_entity_equal (run, saved));
  g_assert_cmpint (run->base.revision, ==, 7);

  g_assert_false (update (run, "{\"id\": \"run-2\"}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_INVALID, "id");
  g_clear_error (&error);

  g_assert_false (update (run, "{\"id\": null}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_INVALID, "id");
  g_clear_error (&error);

  g_assert_false (update (run, "{\"id\": 1}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_WRONG_TYPE, "id");
  g_clear_error (&error);

  /* Ignored, but still a number. */
  g_assert_false (update (run, "{\"revision\": \"7\"}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_WRONG_TYPE, "revision");
  g_clear_error (&error);
  g_assert_true (bq_entity_equal (run, saved));

  /* An entity without an id cannot be given one by a patch. */
  g_assert_false (update (unstored, "{\"id\": \"run-1\"}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_INVALID, "id");
}

static void
test_update_rules (void)
{
  g_autoptr(BqSlot) slot = bq_test_make_entity (&bq_slot_type, TRUE);
  g_autoptr(BqSlot) saved = bq_entity_copy (slot);
  g_autoptr(BqSlot) pool = bq_test_make_entity (&bq_slot_type, FALSE);
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = parse ("{\"claimed\": 2, \"note\": \"x\"}");

  /* Rules across fields see the patched whole. */
  g_assert_false (update (slot, "{\"hold_expires\": null}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_MISSING_FIELD, "hold_expires");
  g_clear_error (&error);
  g_assert_false (update (slot, "{\"capacity\": 0}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, "capacity");
  g_clear_error (&error);
  g_assert_false (update (slot, "{\"claimed\": 5}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_INVALID, "claimed");
  g_clear_error (&error);
  g_assert_true (bq_entity_equal (slot, saved));

  g_assert_true (update (slot, "{\"status\": \"claimed\", \"hold_expires\": null,"
                               " \"held_by\": null, \"claimed\": 4}", &error));
  g_assert_no_error (error);
  g_assert_cmpint (slot->claimed, ==, 4);
  g_assert_cmpint (slot->hold_expires, ==, BQ_TIME_UNSET);

  /* A pool cannot lose its region without gaining a centre. */
  g_assert_false (update (pool, "{\"region\": null}", &error));
  assert_model_error (error, BQ_MODEL_ERROR_MISSING_FIELD, "centre_id");
  g_clear_error (&error);

  /* ALLOW_UNKNOWN works for patches too. */
  g_assert_false (bq_entity_update_from_json (pool, node, BQ_JSON_DEFAULT, &error));
  assert_model_error (error, BQ_MODEL_ERROR_UNKNOWN_FIELD, "note");
  g_clear_error (&error);
  g_assert_true (bq_entity_update_from_json (pool, node, BQ_JSON_ALLOW_UNKNOWN, &error));
  g_assert_no_error (error);
  g_assert_cmpint (pool->claimed, ==, 2);
}

int
main (int   argc,
      char *argv[])
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < n_types; i++)
    {
      g_autofree char *path = g_strconcat ("/json/round-trip/", types[i]->name, NULL);
      g_test_add_data_func (path, types[i], test_round_trip);
    }
  g_test_add_func ("/json/round-trip/list", test_round_trip_list);

  g_test_add_func ("/json/encode/shape", test_encode_shape);
  g_test_add_func ("/json/encode/unset", test_encode_unset);

  g_test_add_func ("/json/parse/any-shape", test_parse);
  g_test_add_func ("/json/parse/strict", test_parse_strict);
  g_test_add_func ("/json/decode/values", test_decode_values);
  g_test_add_func ("/json/decode/times", test_decode_times);
  g_test_add_func ("/json/decode/invalid-utf8", test_decode_invalid_utf8);
  g_test_add_func ("/json/decode/length", test_decode_length);
  g_test_add_func ("/json/decode/deep-nesting", test_decode_deep_nesting);
  g_test_add_func ("/json/decode/allow-unknown", test_decode_allow_unknown);
  g_test_add_func ("/json/decode/duplicate-member", test_decode_duplicate_member);
  for (guint i = 0; i < G_N_ELEMENTS (decode_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/json/decode/", decode_cases[i].path, NULL);
      g_test_add_data_func (path, &decode_cases[i], test_decode_case);
    }

  g_test_add_func ("/json/update/partial", test_update_partial);
  g_test_add_func ("/json/update/unchanged-on-error", test_update_unchanged_on_error);
  g_test_add_func ("/json/update/id-and-revision", test_update_id_revision);
  g_test_add_func ("/json/update/rules", test_update_rules);

  return g_test_run ();
}
