/* test-server-bad-requests.c — a table of bad requests, and a server that
 * shrugs them off
 *
 * Each row is one request that is wrong in one way (broken or hostile
 * JSON, wrong types, unknown members, huge bodies and headers, deep
 * nesting, invalid UTF-8, SQL-looking strings, bad query parameters,
 * wrong methods and paths, bad If-Match and Authorization headers) with
 * the status, error code and field it must get, as the JSON error
 * envelope.  After every row the server must still answer GET /healthz;
 * a refused write must leave the store's revision and the audit trail
 * where they were.  A few rows are meant to succeed (a SQL-looking value
 * is data: stored and returned verbatim) and are counted.  The last test
 * checks that, after all of it, the audit trail verifies and holds
 * exactly the accepted writes, and that the entities the refused writes
 * aimed at are as they were.
 *
 * All rows share one server: that it survives all of them in a row is
 * part of the point.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>
#ifdef __linux__
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>
#endif

#include "bq-audit.h"
#include "bq-core.h"
#include "bq-test-server.h"

#define REQUEST_TIMEOUT_MS (120 * 1000)

/* Valid bodies to spoil one member of.  The demo is deterministic (seed
 * 1): these ids exist. */
#define CENTRE  "centre-de-muc-tum"
#define PRODUCT "product-lu177-psma"
#define LINE    "line-nl-pet-1"
#define FORECAST_FIELDS \
  "\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\",\"week_start\":\"2027-03-01T00:00:00Z\""
#define ORDER_FIELDS_BUT_REF \
  "\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\",\"prescribed_activity_bq\":7.4e9," \
  "\"admin_start\":\"2027-03-02T09:00:00Z\",\"admin_end\":\"2027-03-02T12:00:00Z\""
#define ORDER_FIELDS ORDER_FIELDS_BUT_REF ",\"patient_ref\":\"PT-2027-0001\""
#define RUN_FIELDS \
  "\"line_id\":\"" LINE "\",\"product_id\":\"" PRODUCT "\",\"start_time\":\"2027-03-01T06:00:00Z\"," \
  "\"eos_time\":\"2027-03-01T09:00:00Z\",\"calibration_time\":\"2027-03-01T12:00:00Z\"," \
  "\"activity_eos_bq\":8e10,\"dose_capacity\":9"

#define SQL_OR   "x' OR '1'='1"
#define SQL_DROP "1; DROP TABLE runs"
/* The same, %-escaped for a path or query. */
#define SQL_OR_ESCAPED   "x'%20OR%20'1'%3D'1"
#define SQL_DROP_ESCAPED "1%3B%20DROP%20TABLE%20runs"

typedef enum {
  ROW_REFUSED  = 0,       /* the default: refused, and nothing changes */
  ROW_WRITES   = 1 << 0,  /* accepted and stored (data that only looks hostile) */
  ROW_READS    = 1 << 1,  /* accepted, changes nothing */
  ROW_NO_ITEMS = 1 << 2,  /* a list that must come back empty */
  ROW_CHUNKED  = 1 << 3,  /* the body goes chunked, without Content-Length */
  /* libsoup answers before any handler runs (an unparsable request
   * line), with its own empty body: the server cannot make it JSON. */
  ROW_LIBSOUP  = 1 << 4,
  /* Headers over libsoup's 64 KiB limit: it closes the connection
   * without an answer.  Either that or a 4xx is fine. */
  ROW_MAY_DROP = 1 << 5,
} RowFlags;

typedef GBytes *(*BodyFunc) (void);

typedef struct {
  const char *name;
  const char *method;
  /* Path, body and header values may hold @forecast@, @run@, @order@,
   * @forecast2@ (demo ids), @token@ (the planner's) and @xN@ (N times
   * "x"). */
  const char *path;
  const char *caller;        /* whose token goes along, or NULL */
  const char *body;          /* NULL: none */
  gsize       length;        /* of @body when it holds NUL bytes (not expanded), else 0 */
  BodyFunc    make_body;     /* a generated body instead */
  const char *headers[5];    /* name, value, …, NULL */
  guint       status;
  const char *code;          /* error.code */
  const char *field;         /* error.field; NULL: null or absent */
  const char *allow;         /* 405: the Allow header */
  const char *stored_member; /* ROW_WRITES: a member of the answer … */
  const char *stored_json;   /* … that must be this JSON, and stay so */
  RowFlags    flags;
} BadRequest;

/* ---------------------------------------------------------- generated bodies */

/* A valid JSON string of 2 MiB: well-formed, only too big. */
static GBytes *
body_2mib_string (void)
{
  gsize size = 2 * 1024 * 1024;
  char *data = g_malloc (size);

  memset (data, 'a', size);
  data[0] = '"';
  data[size - 1] = '"';
  return g_bytes_new_take (data, size);
}

/* A forecast object of exactly @size bytes: valid but for an unknown
 * member "padding" that makes it up. */
static GBytes *
forecast_of_size (gsize size)
{
  static const char head[] = "{" FORECAST_FIELDS ",\"doses\":5,\"padding\":\"";
  static const char tail[] = "\"}";
  char *data = g_malloc (size);

  g_assert (size > sizeof head + sizeof tail);
  memcpy (data, head, sizeof head - 1);
  memset (data + sizeof head - 1, 'p', size - (sizeof head - 1) - (sizeof tail - 1));
  memcpy (data + size - (sizeof tail - 1), tail, sizeof tail - 1);
  return g_bytes_new_take (data, size);
}

static GBytes *
body_2mib_object (void)
{
  return forecast_of_size (2 * 1024 * 1024);
}

static GBytes *
body_1mib_plus_one (void)
{
  return forecast_of_size (BQ_SERVER_MAX_BODY + 1);
}

static GBytes *
body_1mib_exactly (void)
{
  return forecast_of_size (BQ_SERVER_MAX_BODY);
}

static GBytes *
repeat (const char *prefix,
        const char *unit,
        guint       n,
        const char *middle,
        const char *closing,
        const char *suffix)
{
  GString *text = g_string_new (prefix);

  for (guint i = 0; i < n; i++)
    g_string_append (text, unit);
  g_string_append (text, middle);
  for (guint i = 0; closing != NULL && i < n; i++)
    g_string_append (text, closing);
  g_string_append (text, suffix);
  return g_string_free_to_bytes (text);
}

static GBytes *
body_deep_arrays (void)
{
  return repeat ("", "[", 100000, "", NULL, "");
}

static GBytes *
body_deep_arrays_closed (void)
{
  return repeat ("", "[", 100000, "", "]", "");
}

static GBytes *
body_deep_objects (void)
{
  return repeat ("", "{\"a\":", 100000, "1", "}", "");
}

static GBytes *
body_deep_member (void)
{
  return repeat ("{\"doses\":", "[", 100000, "5", "]", "}");
}

/* ------------------------------------------------------------------ the table */

#define POST_FORECAST "POST", "/api/v1/forecasts", "planner"
#define PATCH_FORECAST "PATCH", "/api/v1/forecasts/@forecast@", "planner"
#define PATCH_ORDER "PATCH", "/api/v1/orders/@order@", "admin"
#define GET_ME "GET", "/api/v1/me", NULL

static const BadRequest rows[] = {
  /* Not JSON, or not an object. */
  { "json/broken", POST_FORECAST, "{\"doses\":", .status = 400, .code = "malformed_json" },
  { "json/trailing-comma", PATCH_FORECAST, "{\"doses\":5,}", .status = 400, .code = "malformed_json" },
  { "json/trailing-garbage", PATCH_FORECAST, "{\"doses\":5} x", .status = 400, .code = "malformed_json" },
  { "json/two-objects", PATCH_FORECAST, "{\"doses\":5}{\"doses\":6}", .status = 400, .code = "malformed_json" },
  { "json/single-quotes", PATCH_FORECAST, "{'doses':5}", .status = 400, .code = "malformed_json" },
  { "json/unquoted-name", PATCH_FORECAST, "{doses:5}", .status = 400, .code = "malformed_json" },
  { "json/comment", PATCH_FORECAST, "{\"doses\":5 /* five */}", .status = 400, .code = "malformed_json" },
  { "json/broken-sign-in", "POST", "/api/v1/session", NULL, "{\"username\":\"planner\"", .status = 400, .code = "malformed_json" },
  { "json/empty-body", POST_FORECAST, "", .status = 400, .code = "malformed_json" },
  { "json/no-body", POST_FORECAST, NULL, .status = 400, .code = "malformed_json" },
  { "json/empty-patch", PATCH_FORECAST, "", .status = 400, .code = "malformed_json" },
  { "json/whitespace", POST_FORECAST, "  \n\t ", .status = 400, .code = "malformed_json" },
  { "json/array", POST_FORECAST, "[]", .status = 400, .code = "malformed_json" },
  { "json/array-of-object", POST_FORECAST, "[{" FORECAST_FIELDS ",\"doses\":5}]", .status = 400, .code = "malformed_json" },
  { "json/string", POST_FORECAST, "\"forecast\"", .status = 400, .code = "malformed_json" },
  { "json/number", POST_FORECAST, "42", .status = 400, .code = "malformed_json" },
  { "json/null", POST_FORECAST, "null", .status = 400, .code = "malformed_json" },
  { "json/true", POST_FORECAST, "true", .status = 400, .code = "malformed_json" },
  { "json/array-sign-in", "POST", "/api/v1/session", NULL, "[\"planner\",\"" BQ_TEST_PASSWORD "\"]", .status = 400, .code = "malformed_json" },
  { "json/form-body", POST_FORECAST, "doses=5&centre_id=x", .headers = { "Content-Type", "application/x-www-form-urlencoded", NULL }, .status = 400, .code = "malformed_json" },

  /* Wrong types, missing and out-of-range members. */
  { "types/string-for-integer", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":\"5\"}", .status = 422, .code = "wrong_type", .field = "doses" },
  { "types/fraction-for-integer", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":1.5}", .status = 422, .code = "wrong_type", .field = "doses" },
  { "types/boolean-for-integer", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":true}", .status = 422, .code = "wrong_type", .field = "doses" },
  { "types/object-for-integer", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":{}}", .status = 422, .code = "wrong_type", .field = "doses" },
  { "types/array-for-integer", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":[5]}", .status = 422, .code = "wrong_type", .field = "doses" },
  { "types/number-for-id", POST_FORECAST, "{\"centre_id\":5,\"product_id\":\"" PRODUCT "\",\"week_start\":\"2027-03-01T00:00:00Z\",\"doses\":5}", .status = 422, .code = "wrong_type", .field = "centre_id" },
  { "types/number-for-time", POST_FORECAST, "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\",\"week_start\":1800000000,\"doses\":5}", .status = 422, .code = "wrong_type", .field = "week_start" },
  { "types/not-a-time", POST_FORECAST, "{\"centre_id\":\"" CENTRE "\",\"product_id\":\"" PRODUCT "\",\"week_start\":\"notadate\",\"doses\":5}", .status = 422, .code = "wrong_type", .field = "week_start" },
  { "types/number-for-enum", "PATCH", "/api/v1/runs/@run@", "planner", "{\"status\":5}", .status = 422, .code = "wrong_type", .field = "status" },
  { "types/bad-enum", "PATCH", "/api/v1/runs/@run@", "planner", "{\"status\":\"bogus\"}", .status = 422, .code = "bad_enum", .field = "status" },
  { "types/null-required", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":null}", .status = 422, .code = "missing_field", .field = "doses" },
  { "types/missing-required", POST_FORECAST, "{" FORECAST_FIELDS "}", .status = 422, .code = "missing_field", .field = "doses" },
  { "types/null-in-patch", PATCH_FORECAST, "{\"doses\":null}", .status = 422, .code = "missing_field", .field = "doses" },
  { "types/negative", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":-1}", .status = 422, .code = "out_of_range", .field = "doses" },
  { "types/change-id", PATCH_FORECAST, "{\"id\":\"bad-requests-renamed\"}", .status = 422, .code = "invalid", .field = "id" },
  { "types/missing-reference", POST_FORECAST, "{\"centre_id\":\"no-such-centre\",\"product_id\":\"" PRODUCT "\",\"week_start\":\"2027-03-01T00:00:00Z\",\"doses\":5}", .status = 422, .code = "invalid", .field = "centre_id" },
  { "types/missing-reference-patch", PATCH_FORECAST, "{\"centre_id\":\"no-such-centre\"}", .status = 422, .code = "invalid", .field = "centre_id" },
  { "types/sign-in-number", "POST", "/api/v1/session", NULL, "{\"username\":5,\"password\":\"x\"}", .status = 422, .code = "wrong_type", .field = "username" },
  { "types/sign-in-missing", "POST", "/api/v1/session", NULL, "{\"username\":\"planner\"}", .status = 422, .code = "missing_field", .field = "password" },

  /* Members the entity does not have; names where pseudonyms belong. */
  { "unknown/forecast-member", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":5,\"colour\":\"red\"}", .status = 422, .code = "unknown_field", .field = "colour" },
  { "unknown/patient-name", "POST", "/api/v1/orders", "admin", "{" ORDER_FIELDS ",\"patient_name\":\"Jane Doe\"}", .status = 422, .code = "unknown_field", .field = "patient_name" },
  { "unknown/first-name", "POST", "/api/v1/orders", "admin", "{" ORDER_FIELDS ",\"first_name\":\"Jane\"}", .status = 422, .code = "unknown_field", .field = "first_name" },
  { "unknown/name", "POST", "/api/v1/orders", "admin", "{" ORDER_FIELDS ",\"name\":\"Jane Doe\"}", .status = 422, .code = "unknown_field", .field = "name" },
  { "unknown/patch-patient-name", PATCH_ORDER, "{\"patient_name\":\"Jane Doe\"}", .status = 422, .code = "unknown_field", .field = "patient_name" },
  { "unknown/sign-in-member", "POST", "/api/v1/session", NULL, "{\"username\":\"planner\",\"password\":\"" BQ_TEST_PASSWORD "\",\"remember\":true}", .status = 422, .code = "unknown_field", .field = "remember" },
  { "patient-ref/jane-doe", "POST", "/api/v1/orders", "admin", "{" ORDER_FIELDS_BUT_REF ",\"patient_ref\":\"Jane Doe\"}", .status = 422, .code = "invalid", .field = "patient_ref" },
  { "patient-ref/janedoe", "POST", "/api/v1/orders", "admin", "{" ORDER_FIELDS_BUT_REF ",\"patient_ref\":\"JaneDoe\"}", .status = 422, .code = "invalid", .field = "patient_ref" },
  { "patient-ref/patch-jane-doe", PATCH_ORDER, "{\"patient_ref\":\"Jane Doe\"}", .status = 422, .code = "invalid", .field = "patient_ref" },

  /* Too big. */
  { "size/2mib-string", POST_FORECAST, .make_body = body_2mib_string, .status = 413, .code = "payload_too_large" },
  { "size/2mib-object", POST_FORECAST, .make_body = body_2mib_object, .status = 413, .code = "payload_too_large" },
  { "size/2mib-patch", PATCH_FORECAST, .make_body = body_2mib_object, .status = 413, .code = "payload_too_large" },
  { "size/2mib-sign-in", "POST", "/api/v1/session", NULL, .make_body = body_2mib_string, .status = 413, .code = "payload_too_large" },
  { "size/2mib-chunked", POST_FORECAST, .make_body = body_2mib_object, .flags = ROW_CHUNKED, .status = 413, .code = "payload_too_large" },
  { "size/1mib-plus-one", POST_FORECAST, .make_body = body_1mib_plus_one, .status = 413, .code = "payload_too_large" },
  /* The limit itself is fine: what is wrong with it then is the padding. */
  { "size/1mib-exactly", POST_FORECAST, .make_body = body_1mib_exactly, .status = 422, .code = "unknown_field", .field = "padding" },

  /* Deep nesting: refused, not a stack overflow. */
  { "nesting/100k-arrays", POST_FORECAST, .make_body = body_deep_arrays, .status = 400, .code = "malformed_json" },
  { "nesting/100k-arrays-closed", POST_FORECAST, .make_body = body_deep_arrays_closed, .status = 400, .code = "malformed_json" },
  { "nesting/100k-objects", POST_FORECAST, .make_body = body_deep_objects, .status = 400, .code = "malformed_json" },
  { "nesting/100k-in-member", PATCH_FORECAST, .make_body = body_deep_member, .status = 400, .code = "malformed_json" },
  { "nesting/100k-sign-in", "POST", "/api/v1/session", NULL, .make_body = body_deep_arrays, .status = 400, .code = "malformed_json" },

  /* Encoding. */
  { "utf8/invalid-bytes", PATCH_FORECAST, "{\"centre_id\":\"centre-\xff\xfe\"}", .status = 400, .code = "malformed_json" },
  { "utf8/overlong", PATCH_FORECAST, "{\"centre_id\":\"centre-\xc0\xaf\"}", .status = 400, .code = "malformed_json" },
  { "utf8/truncated", PATCH_FORECAST, "{\"centre_id\":\"centre-\xe2\x82\"}", .status = 400, .code = "malformed_json" },
  { "utf8/surrogate-bytes", PATCH_FORECAST, "{\"centre_id\":\"centre-\xed\xa0\x80\"}", .status = 400, .code = "malformed_json" },
  { "utf8/in-member-name", PATCH_FORECAST, "{\"do\xffses\":5}", .status = 400, .code = "malformed_json" },
  { "utf8/raw-nul", PATCH_ORDER, "{\"patient_ref\":\"PT\0-1\"}", .length = 22, .status = 400, .code = "malformed_json" },
  { "utf8/nul-after-object", PATCH_FORECAST, "{\"doses\":5}\0", .length = 12, .status = 400, .code = "malformed_json" },
  { "utf8/nul-escape", PATCH_ORDER, "{\"patient_ref\":\"PT\\u0000-1\"}", .status = 400, .code = "malformed_json" },
  { "utf8/nul-escape-in-name", PATCH_FORECAST, "{\"do\\u0000ses\":5}", .status = 400, .code = "malformed_json" },
  /* Well-formed JSON, but the string is no text: refused as a value. */
  { "utf8/lone-surrogate-escape", PATCH_ORDER, "{\"patient_ref\":\"PT\\ud800-1\"}", .status = 422, .code = "wrong_type", .field = "patient_ref" },
  { "utf8/sign-in", "POST", "/api/v1/session", NULL, "{\"username\":\"\xff\",\"password\":\"x\"}", .status = 400, .code = "malformed_json" },

  /* Numbers. */
  { "numbers/huge-integer", PATCH_FORECAST, "{\"doses\":99999999999999999999999}", .status = 422, .code = "out_of_range", .field = "doses" },
  { "numbers/int64-max-plus-one", PATCH_FORECAST, "{\"doses\":9223372036854775808}", .status = 422, .code = "out_of_range", .field = "doses" },
  { "numbers/int64-min", PATCH_FORECAST, "{\"doses\":-9223372036854775808}", .status = 422, .code = "out_of_range", .field = "doses" },
  { "numbers/1e400-integer", PATCH_FORECAST, "{\"doses\":1e400}", .status = 422, .code = "out_of_range", .field = "doses" },
  { "numbers/1e400-activity", PATCH_ORDER, "{\"prescribed_activity_bq\":1e400}", .status = 422, .code = "out_of_range", .field = "prescribed_activity_bq" },
  { "numbers/minus-1e400-activity", PATCH_ORDER, "{\"prescribed_activity_bq\":-1e400}", .status = 422, .code = "out_of_range", .field = "prescribed_activity_bq" },
  { "numbers/nan", PATCH_FORECAST, "{\"doses\":NaN}", .status = 400, .code = "malformed_json" },
  { "numbers/infinity", PATCH_FORECAST, "{\"doses\":Infinity}", .status = 400, .code = "malformed_json" },
  { "numbers/hex", PATCH_FORECAST, "{\"doses\":0x10}", .status = 400, .code = "malformed_json" },
  { "numbers/plus-sign", PATCH_FORECAST, "{\"doses\":+5}", .status = 400, .code = "malformed_json" },
  /* RFC 8259 numbers have no leading zeros and a digit before the point. */
  { "numbers/leading-zero", PATCH_FORECAST, "{\"doses\":05}", .status = 400, .code = "malformed_json" },
  { "numbers/bare-fraction", PATCH_ORDER, "{\"prescribed_activity_bq\":.5e10}", .status = 400, .code = "malformed_json" },

  /* SQL-looking strings: data, never SQL. */
  { "sql/id-in-path", "GET", "/api/v1/orders/" SQL_OR_ESCAPED, "admin", .status = 404, .code = "not_found" },
  { "sql/drop-in-path", "GET", "/api/v1/runs/" SQL_DROP_ESCAPED, "admin", .status = 404, .code = "not_found" },
  { "sql/patch-path", "PATCH", "/api/v1/runs/" SQL_OR_ESCAPED, "planner", "{\"batch\":\"X-1\"}", .status = 404, .code = "not_found" },
  { "sql/delete-path", "DELETE", "/api/v1/forecasts/" SQL_OR_ESCAPED, "planner", .status = 404, .code = "not_found" },
  { "sql/centre-filter", "GET", "/api/v1/orders?centre=" SQL_OR_ESCAPED, "admin", .status = 200, .flags = ROW_READS | ROW_NO_ITEMS },
  { "sql/site-filter", "GET", "/api/v1/runs?site=" SQL_DROP_ESCAPED, "admin", .status = 200, .flags = ROW_READS | ROW_NO_ITEMS },
  { "sql/line-filter", "GET", "/api/v1/runs?line=%27%20OR%201%3D1%20--", "admin", .status = 200, .flags = ROW_READS | ROW_NO_ITEMS },
  { "sql/region-filter", "GET", "/api/v1/centres?region=" SQL_OR_ESCAPED, "admin", .status = 200, .flags = ROW_READS | ROW_NO_ITEMS },
  { "sql/status-filter", "GET", "/api/v1/runs?status=" SQL_DROP_ESCAPED, "admin", .status = 422, .code = "bad_enum", .field = "status" },
  { "sql/from-filter", "GET", "/api/v1/runs?from=" SQL_DROP_ESCAPED, "admin", .status = 400, .code = "bad_request", .field = "from" },
  { "sql/since", "GET", "/api/v1/changes?since=1%20OR%201%3D1", "admin", .status = 400, .code = "bad_request", .field = "since" },
  { "sql/id-in-body", POST_FORECAST, "{\"id\":\"" SQL_OR "\"," FORECAST_FIELDS ",\"doses\":3}", .status = 201, .stored_member = "id", .stored_json = "\"" SQL_OR "\"", .flags = ROW_WRITES },
  { "sql/batch-in-body", "POST", "/api/v1/runs", "planner", "{" RUN_FIELDS ",\"batch\":\"" SQL_DROP "\"}", .status = 201, .stored_member = "batch", .stored_json = "\"" SQL_DROP "\"", .flags = ROW_WRITES },
  { "sql/reason", "PATCH", "/api/v1/forecasts/@forecast2@", "planner", "{\"doses\":6}", .headers = { "X-Reason", "'); DROP TABLE audit_log; --", NULL }, .status = 200, .stored_member = "doses", .stored_json = "6", .flags = ROW_WRITES },
  { "sql/if-match", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", SQL_DROP, NULL }, .status = 400, .code = "bad_request" },
  { "sql/idempotency-key", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":3}", .headers = { "Idempotency-Key", SQL_OR, NULL }, .status = 400, .code = "bad_request" },
  { "sql/username", "POST", "/api/v1/session", NULL, "{\"username\":\"admin' --\",\"password\":\"x' OR '1'='1\"}", .status = 401, .code = "invalid_credentials" },

  /* Query parameters. */
  { "query/limit-abc", "GET", "/api/v1/runs?limit=abc", "viewer", .status = 400, .code = "bad_request", .field = "limit" },
  { "query/limit-negative", "GET", "/api/v1/runs?limit=-1", "viewer", .status = 400, .code = "bad_request", .field = "limit" },
  { "query/limit-fraction", "GET", "/api/v1/runs?limit=1.5", "viewer", .status = 400, .code = "bad_request", .field = "limit" },
  { "query/limit-empty", "GET", "/api/v1/runs?limit=", "viewer", .status = 400, .code = "bad_request", .field = "limit" },
  { "query/limit-100000", "GET", "/api/v1/runs?limit=100000", "viewer", .status = 422, .code = "out_of_range", .field = "limit" },
  { "query/limit-zero", "GET", "/api/v1/runs?limit=0", "viewer", .status = 422, .code = "out_of_range", .field = "limit" },
  { "query/limit-overflow", "GET", "/api/v1/runs?limit=99999999999999999999999", "viewer", .status = 422, .code = "out_of_range", .field = "limit" },
  { "query/offset-abc", "GET", "/api/v1/runs?offset=abc", "viewer", .status = 400, .code = "bad_request", .field = "offset" },
  { "query/from-notadate", "GET", "/api/v1/runs?from=notadate", "viewer", .status = 400, .code = "bad_request", .field = "from" },
  { "query/to-bad-date", "GET", "/api/v1/runs?to=2026-13-45", "viewer", .status = 400, .code = "bad_request", .field = "to" },
  { "query/to-before-from", "GET", "/api/v1/runs?from=2026-12-01&to=2026-11-01", "viewer", .status = 422, .code = "out_of_range", .field = "to" },
  { "query/since-negative", "GET", "/api/v1/changes?since=-5", "viewer", .status = 400, .code = "bad_request", .field = "since" },
  { "query/since-abc", "GET", "/api/v1/changes?since=abc", "viewer", .status = 400, .code = "bad_request", .field = "since" },
  { "query/changes-limit", "GET", "/api/v1/changes?limit=5001", "viewer", .status = 422, .code = "out_of_range", .field = "limit" },
  { "query/audit-after-negative", "GET", "/api/v1/audit?after=-1", "admin", .status = 400, .code = "bad_request", .field = "after" },
  { "query/unknown-filter", "GET", "/api/v1/runs?colour=red", "viewer", .status = 422, .code = "unknown_field", .field = "colour" },
  { "query/filter-of-another-type", "GET", "/api/v1/sites?centre=" CENTRE, "viewer", .status = 422, .code = "unknown_field", .field = "centre" },
  { "query/time-of-untimed-type", "GET", "/api/v1/sites?from=2026-11-09", "viewer", .status = 422, .code = "unknown_field", .field = "from" },
  { "query/changes-unknown", "GET", "/api/v1/changes?foo=1", "viewer", .status = 422, .code = "unknown_field", .field = "foo" },
  { "query/bad-status", "GET", "/api/v1/runs?status=bogus", "viewer", .status = 422, .code = "bad_enum", .field = "status" },
  { "query/invalid-utf8", "GET", "/api/v1/runs?status=%ff", "viewer", .status = 400, .code = "bad_request" },
  { "query/bad-escape", "GET", "/api/v1/runs?status=%zz", "viewer", .status = 400, .flags = ROW_LIBSOUP },

  /* Paths. */
  { "path/invalid-utf8", "GET", "/api/v1/runs/%ff", "viewer", .status = 400, .code = "bad_request" },
  { "path/nul", "GET", "/api/v1/runs/a%00b", "viewer", .status = 400, .code = "bad_request" },
  { "path/bad-escape", "GET", "/api/v1/runs/a%zzb", "viewer", .status = 400, .flags = ROW_LIBSOUP },
  { "path/unknown", "GET", "/api/v1/nothing-here", "viewer", .status = 404, .code = "not_found" },
  { "path/other-version", "GET", "/api/v2/runs", "viewer", .status = 404, .code = "not_found" },
  { "path/singular", "GET", "/api/v1/run", "viewer", .status = 404, .code = "not_found" },
  { "path/too-deep", "GET", "/api/v1/runs/@run@/extra", "viewer", .status = 404, .code = "not_found" },
  { "path/root", "GET", "/", "viewer", .status = 404, .code = "not_found" },
  { "path/dot-dot-id", "GET", "/api/v1/runs/..%2F..%2Fetc%2Fpasswd", "viewer", .status = 404, .code = "not_found" },
  { "path/long-id", "GET", "/api/v1/runs/@x10000@", "viewer", .status = 404, .code = "not_found" },

  /* Methods. */
  { "method/put-collection", "PUT", "/api/v1/runs", "planner", "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD, POST" },
  { "method/delete-collection", "DELETE", "/api/v1/runs", "planner", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD, POST" },
  { "method/post-item", "POST", "/api/v1/runs/@run@", "planner", "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD, PATCH, DELETE" },
  { "method/put-item", "PUT", "/api/v1/runs/@run@", "planner", "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD, PATCH, DELETE" },
  { "method/options", "OPTIONS", "/api/v1/runs", "planner", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD, POST" },
  { "method/get-session", "GET", "/api/v1/session", "planner", .status = 405, .code = "method_not_allowed", .allow = "POST, DELETE" },
  { "method/post-healthz", "POST", "/healthz", NULL, "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD" },
  { "method/delete-me", "DELETE", "/api/v1/me", "planner", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD" },
  { "method/post-changes", "POST", "/api/v1/changes", "planner", "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD" },
  { "method/patch-audit-verify", "PATCH", "/api/v1/audit/verify", "admin", "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD" },
  { "method/put-openapi", "PUT", "/api/v1/openapi.json", NULL, "{}", .status = 405, .code = "method_not_allowed", .allow = "GET, HEAD" },

  /* If-Match that is no revision. */
  { "if-match/word", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "abc", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/negative", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "\"-1\"", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/unbalanced", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "\"12", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/weak-word", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "W/\"abc\"", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/overflow", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "99999999999999999999999", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/long", PATCH_FORECAST, "{\"doses\":7}", .headers = { "If-Match", "@x10000@", NULL }, .status = 400, .code = "bad_request" },
  { "if-match/delete", "DELETE", "/api/v1/forecasts/@forecast@", "planner", .headers = { "If-Match", "abc", NULL }, .status = 400, .code = "bad_request" },

  /* Authorization that is not a bearer token. */
  { "auth/bearer-alone", GET_ME, .headers = { "Authorization", "Bearer", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/bearer-space", GET_ME, .headers = { "Authorization", "Bearer   ", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/basic", GET_ME, .headers = { "Authorization", "Basic cGxhbm5lcjp0ZXN0LXBhc3N3b3JkLTE=", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/other-scheme", GET_ME, .headers = { "Authorization", "Token @token@", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/token-and-more", GET_ME, .headers = { "Authorization", "Bearer @token@ extra", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/token-without-scheme", GET_ME, .headers = { "Authorization", "@token@", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/basic-on-write", "POST", "/api/v1/forecasts", NULL, "{" FORECAST_FIELDS ",\"doses\":5}", .headers = { "Authorization", "Basic cGxhbm5lcjp0ZXN0LXBhc3N3b3JkLTE=", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/long-token", GET_ME, .headers = { "Authorization", "Bearer @x60000@", NULL }, .status = 401, .code = "unauthorized" },
  { "auth/huge-token", GET_ME, .headers = { "Authorization", "Bearer @x100000@", NULL }, .status = 401, .code = "unauthorized", .flags = ROW_MAY_DROP },
  /* Not bad at all: the scheme is case-insensitive (RFC 9110 §11.1). */
  { "auth/lower-case-scheme", GET_ME, .headers = { "Authorization", "bearer @token@", NULL }, .status = 200, .flags = ROW_READS },

  /* Other headers. */
  { "headers/reason-too-long", PATCH_FORECAST, "{\"doses\":7}", .headers = { "X-Reason", "@x3000@", NULL }, .status = 400, .code = "bad_request" },
  { "headers/reason-60k", PATCH_FORECAST, "{\"doses\":7}", .headers = { "X-Reason", "@x60000@", NULL }, .status = 400, .code = "bad_request" },
  /* libsoup turns bytes that are not UTF-8 in a header into U+FFFD before
   * the server sees them: the reason is kept, so mended. */
  { "headers/reason-invalid-utf8", "PATCH", "/api/v1/forecasts/@forecast2@", "planner", "{\"doses\":9}", .headers = { "X-Reason", "bad \xff\xfe reason", NULL }, .status = 200, .stored_member = "doses", .stored_json = "9", .flags = ROW_WRITES },
  { "headers/idempotency-key-long", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":5}", .headers = { "Idempotency-Key", "@x300@", NULL }, .status = 400, .code = "bad_request" },
  { "headers/idempotency-key-non-ascii", POST_FORECAST, "{" FORECAST_FIELDS ",\"doses\":5}", .headers = { "Idempotency-Key", "cl\xc3\xa9", NULL }, .status = 400, .code = "bad_request" },
  { "headers/huge-other", "GET", "/api/v1/runs?limit=1", "viewer", .headers = { "X-Padding", "@x100000@", NULL }, .status = 400, .flags = ROW_MAY_DROP },
};

/* ------------------------------------------------------------------- world */

typedef struct {
  BqTestServer *ts;
  GHashTable   *tokens;           /* user name → token */
  GHashTable   *placeholders;     /* name → value */
  gint64        first_revision;
  gint64        first_audit;
  gpointer      targets[3];       /* the forecast, run and order refused writes aim at */
  guint         writes;           /* accepted writes so far */
  guint         unexpected;       /* refused writes that changed the store (reported) */
} World;

static World *world;

static gint64
audit_count (BqStore *store)
{
  g_autoptr(GError) error = NULL;
  gint64 n = 0, bad = 0;

  g_assert_true (bq_audit_verify (store, &n, &bad, &error));
  g_assert_no_error (error);
  return n;
}

static gpointer
nth_entity (BqStore            *store,
            const BqEntityType *type,
            guint               nth,
            const char         *status)
{
  g_autoptr(BqQuery) query = bq_query_new (type);
  g_autoptr(GPtrArray) entities = NULL;
  g_autoptr(GError) error = NULL;

  if (status != NULL)
    bq_query_where_equals (query, "status", status);
  entities = bq_store_query (store, query, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entities->len, >, nth);
  return bq_entity_copy (g_ptr_array_index (entities, nth));
}

static World *
get_world (void)
{
  const char * const users[] = { "admin", "planner", "viewer" };
  gpointer forecast2;

  if (world != NULL)
    return world;

  world = g_new0 (World, 1);
  world->ts = bq_test_server_new ();
  world->tokens = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    g_hash_table_insert (world->tokens, (gpointer) users[i],
                         bq_test_server_login (world->ts, users[i]));

  world->targets[0] = nth_entity (world->ts->store, &bq_forecast_type, 0, NULL);
  world->targets[1] = nth_entity (world->ts->store, &bq_run_type, 0, "planned");
  world->targets[2] = nth_entity (world->ts->store, &bq_order_type, 0, "requested");
  forecast2 = nth_entity (world->ts->store, &bq_forecast_type, 1, NULL);

  world->placeholders = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, g_free);
  g_hash_table_insert (world->placeholders, "forecast",
                       g_strdup (bq_entity_get_id (world->targets[0])));
  g_hash_table_insert (world->placeholders, "run", g_strdup (bq_entity_get_id (world->targets[1])));
  g_hash_table_insert (world->placeholders, "order",
                       g_strdup (bq_entity_get_id (world->targets[2])));
  g_hash_table_insert (world->placeholders, "forecast2", g_strdup (bq_entity_get_id (forecast2)));
  g_hash_table_insert (world->placeholders, "token",
                       g_strdup (g_hash_table_lookup (world->tokens, "planner")));
  bq_entity_free (forecast2);

  world->first_revision = bq_store_get_revision (world->ts->store);
  world->first_audit = audit_count (world->ts->store);
  return world;
}

static void
world_free (World *w)
{
  if (w == NULL)
    return;
  for (guint i = 0; i < G_N_ELEMENTS (w->targets); i++)
    bq_entity_free (w->targets[i]);
  g_hash_table_unref (w->placeholders);
  g_hash_table_unref (w->tokens);
  bq_test_server_free (w->ts);
  g_free (w);
}

/* @text with its @name@ placeholders filled in. */
static char *
expand (World      *w,
        const char *text)
{
  GString *out = g_string_new (NULL);
  const char *p = text;

  while (*p != '\0')
    {
      const char *end = *p == '@' ? strchr (p + 1, '@') : NULL;
      g_autofree char *name = NULL;
      const char *value;

      if (end == NULL)
        {
          g_string_append_c (out, *p++);
          continue;
        }
      name = g_strndup (p + 1, end - p - 1);
      value = g_hash_table_lookup (w->placeholders, name);
      if (value != NULL)
        {
          g_string_append (out, value);
        }
      else if (name[0] == 'x' && name[1] != '\0' && strspn (name + 1, "0123456789") == strlen (name + 1))
        {
          guint64 n = g_ascii_strtoull (name + 1, NULL, 10);

          for (guint64 i = 0; i < n; i++)
            g_string_append_c (out, 'x');
        }
      else
        {
          g_error ("no placeholder @%s@", name);
        }
      p = end + 1;
    }
  return g_string_free (out, FALSE);
}

/* ---------------------------------------------------------------- requests */

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Pending;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                     &pending->error);
  pending->done = TRUE;
}

/* Like bq_test_request_full(), but for requests the harness will not
 * make: raw %-escapes, chunked bodies, other content types, and
 * connections the server may drop (NULL with @error then). */
static BqTestResponse *
send_request (World            *w,
              const BadRequest *row,
              GError          **error)
{
  g_autofree char *path = expand (w, row->path);
  g_autofree char *uri_text = g_strconcat (w->ts->base, path, NULL);
  g_autoptr(GUri) uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  g_autoptr(GBytes) body = NULL;
  SoupMessageHeaders *headers;
  const char *content_type = "application/json";
  const char *token = row->caller != NULL ? g_hash_table_lookup (w->tokens, row->caller) : NULL;
  Pending pending = { FALSE, NULL, NULL };
  BqTestResponse *response;

  /* Relaxed, still encoded: %zz and %00 go out as they are. */
  uri = g_uri_parse (uri_text, G_URI_FLAGS_ENCODED | G_URI_FLAGS_PARSE_RELAXED, error);
  if (uri == NULL)
    return NULL;
  msg = soup_message_new_from_uri (row->method, uri);
  headers = soup_message_get_request_headers (msg);

  if (row->caller != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      g_assert_nonnull (token);
      soup_message_headers_replace (headers, "Authorization", authorization);
    }
  for (guint i = 0; row->headers[i] != NULL; i += 2)
    {
      g_autofree char *value = expand (w, row->headers[i + 1]);

      if (g_ascii_strcasecmp (row->headers[i], "Content-Type") == 0)
        content_type = row->headers[i + 1];
      else
        soup_message_headers_replace (headers, row->headers[i], value);
    }

  if (row->make_body != NULL)
    {
      body = row->make_body ();
    }
  else if (row->body != NULL && row->length > 0)
    {
      body = g_bytes_new_static (row->body, row->length);
    }
  else if (row->body != NULL)
    {
      char *text = expand (w, row->body);

      body = g_bytes_new_take (text, strlen (text));
    }

  if (body != NULL && (row->flags & ROW_CHUNKED) != 0)
    {
      g_autoptr(GInputStream) stream = g_memory_input_stream_new_from_bytes (body);

      soup_message_set_request_body (msg, content_type, stream, -1);
    }
  else if (body != NULL)
    {
      soup_message_set_request_body_from_bytes (msg, content_type, body);
    }

  soup_session_send_and_read_async (w->ts->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent,
                                    &pending);
  if (!bq_test_run_until (&pending.done, REQUEST_TIMEOUT_MS))
    g_error ("%s %s: no answer", row->method, row->path);
  if (pending.error != NULL)
    {
      g_propagate_error (error, pending.error);
      return NULL;
    }

  response = g_new0 (BqTestResponse, 1);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = pending.body;
  if (g_strcmp0 (soup_message_headers_get_content_type (response->headers, NULL),
                 "application/json") == 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      gsize size;
      const char *data = g_bytes_get_data (response->body, &size);

      /* NULL when it does not parse: the row fails on that. */
      if (size > 0 && json_parser_load_from_data (parser, data, (gssize) size, NULL))
        response->json = json_node_copy (json_parser_get_root (parser));
    }
  return response;
}

/* ------------------------------------------------------------------ checks */

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

static char *
body_text (BqTestResponse *response)
{
  gsize size;
  const char *data = g_bytes_get_data (response->body, &size);

  return g_utf8_make_valid (data != NULL ? data : "", (gssize) MIN (size, 300));
}

static JsonObject *
object_of (BqTestResponse *response)
{
  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  return json_node_get_object (response->json);
}

/* The envelope: {"error":{"code":…,"message":…,"field":…}}, JSON typed. */
static void
check_error (GString          *failures,
             const BadRequest *row,
             BqTestResponse   *response)
{
  JsonObject *object = object_of (response);
  JsonObject *error = NULL;
  const char *field;

  if (g_strcmp0 (soup_message_headers_get_content_type (response->headers, NULL),
                 "application/json") != 0)
    add_failure (failures, "Content-Type is %s, not application/json",
                 soup_message_headers_get_content_type (response->headers, NULL));
  if (object != NULL && json_object_has_member (object, "error") &&
      JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "error")))
    error = json_object_get_object_member (object, "error");
  if (error == NULL)
    {
      add_failure (failures, "not the JSON error envelope");
      return;
    }
  if (json_object_get_string_member_with_default (error, "message", NULL) == NULL)
    add_failure (failures, "error.message is not a string");
  if (g_strcmp0 (json_object_get_string_member_with_default (error, "code", NULL), row->code) != 0)
    add_failure (failures, "error.code is %s, not %s",
                 json_object_get_string_member_with_default (error, "code", NULL), row->code);
  field = json_object_has_member (error, "field") && !json_object_get_null_member (error, "field")
          ? json_object_get_string_member_with_default (error, "field", "(not a string)") : NULL;
  if (g_strcmp0 (field, row->field) != 0)
    add_failure (failures, "error.field is %s, not %s", field ? field : "null",
                 row->field ? row->field : "null");
}

/* An accepted write stored the hostile-looking value as it was. */
static void
check_stored (GString          *failures,
              World            *w,
              const BadRequest *row,
              BqTestResponse   *response)
{
  g_autoptr(JsonNode) expected = json_from_string (row->stored_json, NULL);
  JsonObject *object = object_of (response);
  JsonNode *got = object != NULL ? json_object_get_member (object, row->stored_member) : NULL;
  const char *location = soup_message_headers_get_one (response->headers, "Location");
  g_autofree char *reason = NULL;

  g_assert_nonnull (expected);
  if (got == NULL || !json_node_equal (got, expected))
    add_failure (failures, "the answer's %s is not %s", row->stored_member, row->stored_json);

  /* Read back, it is still that. */
  if (location != NULL)
    {
      g_autoptr(BqTestResponse) again = bq_test_request (w->ts, "GET", location,
                                                         g_hash_table_lookup (w->tokens, "admin"),
                                                         NULL, NULL);
      JsonObject *stored = again->status == SOUP_STATUS_OK ? object_of (again) : NULL;

      got = stored != NULL ? json_object_get_member (stored, row->stored_member) : NULL;
      if (got == NULL || !json_node_equal (got, expected))
        add_failure (failures, "GET %s: %u, %s is not %s", location, again->status,
                     row->stored_member, row->stored_json);
    }

  /* A reason goes into the audit trail verbatim. */
  for (guint i = 0; row->headers[i] != NULL; i += 2)
    {
      if (strcmp (row->headers[i], "X-Reason") == 0)
        reason = g_utf8_make_valid (row->headers[i + 1], -1);
    }
  if (reason != NULL)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) entries = bq_audit_list (w->ts->store, audit_count (w->ts->store) - 1,
                                                    1, &error);

      g_assert_no_error (error);
      if (entries->len != 1 ||
          g_strcmp0 (((BqAuditEntry *) g_ptr_array_index (entries, 0))->reason, reason) != 0)
        add_failure (failures, "the audit entry's reason is not the X-Reason sent");
    }
}

static void
check_healthz (GString *failures,
               World   *w)
{
  g_autoptr(BqTestResponse) health = bq_test_request (w->ts, "GET", "/healthz", NULL, NULL, NULL);
  JsonObject *object = object_of (health);

  if (health->status != SOUP_STATUS_OK || object == NULL ||
      g_strcmp0 (json_object_get_string_member_with_default (object, "status", NULL), "ok") != 0)
    add_failure (failures, "GET /healthz afterwards: %u", health->status);
  else if (json_object_get_int_member_with_default (object, "revision", -1) !=
           bq_store_get_revision (w->ts->store))
    add_failure (failures, "GET /healthz afterwards: not the store's revision");
}

static void
test_row (gconstpointer data)
{
  const BadRequest *row = data;
  World *w = get_world ();
  g_autoptr(GString) failures = g_string_new (NULL);
  g_autoptr(BqTestResponse) response = NULL;
  g_autoptr(GError) error = NULL;
  gint64 revision = bq_store_get_revision (w->ts->store);
  gint64 audited = audit_count (w->ts->store);

  response = send_request (w, row, &error);
  if (response == NULL)
    {
      /* Only libsoup's header limit may cut a request off. */
      if ((row->flags & ROW_MAY_DROP) == 0)
        add_failure (failures, "no answer: %s", error->message);
      else
        g_test_message ("dropped by libsoup: %s", error->message);
    }
  else if ((row->flags & ROW_MAY_DROP) != 0 && response->status >= 400 && response->status < 500)
    {
      /* Answered rather than dropped: then as JSON, if the server did. */
      if (response->status == row->status)
        check_error (failures, row, response);
    }
  else if (response->status != row->status)
    {
      g_autofree char *text = body_text (response);

      add_failure (failures, "expected %u, got %u: %s", row->status, response->status, text);
    }
  else if ((row->flags & ROW_LIBSOUP) != 0)
    {
      g_test_message ("answered by libsoup, not the server: no JSON body");
    }
  else if (row->status >= 400)
    {
      check_error (failures, row, response);
      if (row->allow != NULL &&
          g_strcmp0 (soup_message_headers_get_one (response->headers, "Allow"), row->allow) != 0)
        add_failure (failures, "Allow is “%s”, not “%s”",
                     soup_message_headers_get_one (response->headers, "Allow"), row->allow);
      if (row->status == SOUP_STATUS_UNAUTHORIZED &&
          soup_message_headers_get_one (response->headers, "WWW-Authenticate") == NULL)
        add_failure (failures, "a 401 without WWW-Authenticate");
    }
  else if ((row->flags & ROW_NO_ITEMS) != 0)
    {
      JsonObject *object = object_of (response);

      if (object == NULL || !json_object_has_member (object, "items") ||
          json_array_get_length (json_object_get_array_member (object, "items")) != 0)
        add_failure (failures, "a list with items");
    }

  /* Refused (or read-only): no trace.  Accepted: exactly one change. */
  if ((row->flags & ROW_WRITES) != 0 && response != NULL && response->status == row->status)
    {
      w->writes++;
      if (bq_store_get_revision (w->ts->store) != revision + 1 ||
          audit_count (w->ts->store) != audited + 1)
        add_failure (failures, "an accepted write that is not exactly one change");
      check_stored (failures, w, row, response);
    }
  else if ((row->flags & ROW_WRITES) == 0)
    {
      if (bq_store_get_revision (w->ts->store) != revision)
        {
          add_failure (failures, "the store moved from revision %" G_GINT64_FORMAT " to %"
                       G_GINT64_FORMAT, revision, bq_store_get_revision (w->ts->store));
          w->unexpected += bq_store_get_revision (w->ts->store) - revision;
        }
      if (audit_count (w->ts->store) != audited)
        add_failure (failures, "the audit trail grew");
    }

  check_healthz (failures, w);

  if (failures->len > 0)
    g_test_fail_printf ("%s %s:%s", row->method, row->path, failures->str);
}

/* ------------------------------------------------------------ connections */

#define N_ABANDONED 50

static guint
count_open_files (void)
{
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  guint n = 0;

  while (dir != NULL && g_dir_read_name (dir) != NULL)
    n++;
  return n;
}

typedef struct {
  gboolean           done;
  GSocketConnection *connection;
  GBytes            *bytes;
  GError            *error;
} Step;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Step *step = user_data;

  step->connection = g_socket_client_connect_to_host_finish (G_SOCKET_CLIENT (source), result,
                                                             &step->error);
  step->done = TRUE;
}

static void
on_read (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Step *step = user_data;

  step->bytes = g_input_stream_read_bytes_finish (G_INPUT_STREAM (source), result, &step->error);
  step->done = TRUE;
}

/* Clients that make one keep-alive request and hang up, as browsers and
 * load balancers do all day: the server must let go of each connection,
 * or it runs out of file descriptors and stops answering. */
static void
test_abandoned_keep_alive (void)
{
  World *w = get_world ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GUri) base = g_uri_parse (w->ts->base, G_URI_FLAGS_NONE, NULL);
  static const char request[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
  g_autoptr(GString) failures = g_string_new (NULL);
  guint before, after = 0;
  gint64 end;

  g_assert_nonnull (base);
  /* Once, so that whatever the first request opens for good is open. */
  check_healthz (failures, w);
  before = count_open_files ();

  for (guint i = 0; i < N_ABANDONED; i++)
    {
      Step connect = { FALSE, NULL, NULL, NULL };
      Step read = { FALSE, NULL, NULL, NULL };
      g_autoptr(GSocketConnection) connection = NULL;
      g_autoptr(GBytes) answer = NULL;
      GIOStream *stream;

      g_socket_client_connect_to_host_async (client, g_uri_get_host (base),
                                             (guint16) g_uri_get_port (base), NULL, on_connected,
                                             &connect);
      if (!bq_test_run_until (&connect.done, REQUEST_TIMEOUT_MS) || connect.error != NULL)
        {
          g_test_fail_printf ("connection %u: %s", i,
                              connect.error != NULL ? connect.error->message : "timed out");
          g_clear_error (&connect.error);
          return;
        }
      connection = connect.connection;
      stream = G_IO_STREAM (connection);
      g_assert_true (g_output_stream_write_all (g_io_stream_get_output_stream (stream), request,
                                                strlen (request), NULL, NULL, NULL));
      g_input_stream_read_bytes_async (g_io_stream_get_input_stream (stream), 4096,
                                       G_PRIORITY_DEFAULT, NULL, on_read, &read);
      if (!bq_test_run_until (&read.done, REQUEST_TIMEOUT_MS) || read.error != NULL ||
          g_bytes_get_size (read.bytes) < 12 ||
          memcmp (g_bytes_get_data (read.bytes, NULL), "HTTP/1.1 200", 12) != 0)
        {
          g_test_fail_printf ("connection %u: no 200: %s", i,
                              read.error != NULL ? read.error->message : "?");
          g_clear_error (&read.error);
          g_clear_pointer (&read.bytes, g_bytes_unref);
          return;
        }
      answer = read.bytes;
      /* And hang up, without "Connection: close". */
      g_io_stream_close (stream, NULL, NULL);
    }

  /* Give the server a moment to notice. */
  end = g_get_monotonic_time () + 3 * G_USEC_PER_SEC;
  while (g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      after = count_open_files ();
      if (after < before + N_ABANDONED / 5)
        break;
      g_usleep (10000);
    }
  g_test_message ("open files: %u before, %u after %u abandoned connections", before, after,
                  N_ABANDONED);
  g_assert_cmpuint (after, <, before + N_ABANDONED / 5);
  g_assert_cmpstr (failures->str, ==, "");
}

static GSocketConnection *
open_connection (World       *w,
                 GSocketClient *client,
                 const char  *request)
{
  g_autoptr(GUri) base = g_uri_parse (w->ts->base, G_URI_FLAGS_NONE, NULL);
  Step connect = { FALSE, NULL, NULL, NULL };

  g_socket_client_connect_to_host_async (client, g_uri_get_host (base),
                                         (guint16) g_uri_get_port (base), NULL, on_connected,
                                         &connect);
  g_assert_true (bq_test_run_until (&connect.done, REQUEST_TIMEOUT_MS));
  g_assert_no_error (connect.error);
  g_assert_true (g_output_stream_write_all (
                   g_io_stream_get_output_stream (G_IO_STREAM (connect.connection)),
                   request, strlen (request), NULL, NULL, NULL));
  return connect.connection;
}

/* Reads until the server closes @connection or @timeout_ms pass; TRUE
 * when it closed. */
static gboolean
wait_for_close (GSocketConnection *connection,
                guint              timeout_ms)
{
  gint64 end = g_get_monotonic_time () + timeout_ms * (gint64) 1000;

  while (g_get_monotonic_time () < end)
    {
      Step read = { FALSE, NULL, NULL, NULL };
      gsize size;

      g_input_stream_read_bytes_async (g_io_stream_get_input_stream (G_IO_STREAM (connection)),
                                       4096, G_PRIORITY_DEFAULT, NULL, on_read, &read);
      if (!bq_test_run_until (&read.done, (guint) MAX ((end - g_get_monotonic_time ()) / 1000, 1)))
        return FALSE;  /* still open; the read is left behind with the stream */
      size = read.bytes != NULL ? g_bytes_get_size (read.bytes) : 0;
      g_clear_pointer (&read.bytes, g_bytes_unref);
      if (read.error != NULL || size == 0)
        {
          g_clear_error (&read.error);
          return TRUE;
        }
    }
  return FALSE;
}

static double
cpu_seconds (void)
{
  return (double) clock () / CLOCKS_PER_SEC;
}

/* Clients that keep a connection open and say nothing more — after a
 * request, or in the middle of one's headers — are let go after the idle
 * timeout, without the server spinning meanwhile; it still answers. */
static void
test_idle_timeout (void)
{
  World *w = get_world ();
  g_autoptr(GSocketClient) client = g_socket_client_new ();
  g_autoptr(GSocketConnection) idle = NULL;
  g_autoptr(GSocketConnection) half = NULL;
  g_autoptr(GString) failures = g_string_new (NULL);
  guint before;
  double cpu;

  g_assert_cmpuint (bq_server_get_idle_timeout (w->ts->server), ==,
                    BQ_SERVER_IDLE_TIMEOUT_DEFAULT);
  check_healthz (failures, w);
  bq_server_set_idle_timeout (w->ts->server, 1);
  before = count_open_files ();

  idle = open_connection (w, client, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
  half = open_connection (w, client, "GET /healthz HTTP/1.1\r\nHost: 12");

  cpu = cpu_seconds ();
  /* The first read gets the answer, the next the end of the stream. */
  g_assert_true (wait_for_close (idle, 5000));
  g_assert_true (wait_for_close (half, 5000));
  cpu = cpu_seconds () - cpu;
  g_test_message ("CPU while waiting: %.2f s", cpu);
  g_assert_cmpfloat (cpu, <, 0.5);

  g_io_stream_close (G_IO_STREAM (idle), NULL, NULL);
  g_io_stream_close (G_IO_STREAM (half), NULL, NULL);
  g_assert_cmpuint (count_open_files (), <=, before);

  bq_server_set_idle_timeout (w->ts->server, BQ_SERVER_IDLE_TIMEOUT_DEFAULT);
  check_healthz (failures, w);
  g_assert_cmpstr (failures->str, ==, "");
}

/* A burst of new connections — the bench's 64 clients starting at once,
 * a load balancer's pool after a restart — must fit the listening
 * socket's queue of connections not yet accepted.  GSocket's default is
 * 10; past it Linux drops the handshake, and clients wait a second for a
 * retransmission or get their connection reset. */
static void
test_listen_backlog (void)
{
#ifdef __linux__
  World *w = get_world ();
  g_autoptr(GUri) base = g_uri_parse (w->ts->base, G_URI_FLAGS_NONE, NULL);
  g_autoptr(GDir) dir = g_dir_open ("/proc/self/fd", 0, NULL);
  const char *name;
  int listener = -1;
  struct tcp_info info;
  socklen_t length = sizeof info;

  g_assert_nonnull (dir);
  while (listener < 0 && (name = g_dir_read_name (dir)) != NULL)
    {
      int fd = atoi (name);
      struct sockaddr_in address;
      socklen_t address_length = sizeof address;
      int accepting = 0;
      socklen_t accepting_length = sizeof accepting;

      if (getsockname (fd, (struct sockaddr *) &address, &address_length) == 0 &&
          address.sin_family == AF_INET && ntohs (address.sin_port) == g_uri_get_port (base) &&
          getsockopt (fd, SOL_SOCKET, SO_ACCEPTCONN, &accepting, &accepting_length) == 0 &&
          accepting)
        listener = fd;
    }
  g_assert_cmpint (listener, >=, 0);

  /* For a listening socket Linux reports its backlog as tcpi_sacked. */
  memset (&info, 0, sizeof info);
  g_assert_cmpint (getsockopt (listener, IPPROTO_TCP, TCP_INFO, &info, &length), ==, 0);
  g_test_message ("listen backlog: %u", info.tcpi_sacked);
  g_assert_cmpuint (info.tcpi_sacked, >=, 64);
#else
  g_test_skip ("reads the backlog the Linux way");
#endif
}

/* After all of it: the trail verifies and has an entry for every change,
 * which are the accepted writes (and the refused ones rows have already
 * reported); what refused writes aimed at is as it was; no idempotency
 * record of a refused write. */
static void
test_intact (void)
{
  World *w = get_world ();
  const char *admin = g_hash_table_lookup (w->tokens, "admin");
  g_autoptr(BqTestResponse) verify = NULL;
  g_autoptr(BqTestResponse) health = NULL;
  sqlite3_stmt *stmt = NULL;
  JsonObject *object;
  gint64 changes = bq_store_get_revision (w->ts->store) - w->first_revision;

  health = bq_test_request (w->ts, "GET", "/healthz", NULL, NULL, NULL);
  g_assert_cmpuint (health->status, ==, SOUP_STATUS_OK);

  verify = bq_test_request (w->ts, "GET", "/api/v1/audit/verify", admin, NULL, NULL);
  g_assert_cmpuint (verify->status, ==, SOUP_STATUS_OK);
  object = bq_test_response_object (verify);
  g_assert_true (json_object_get_boolean_member (object, "ok"));
  g_assert_cmpint (json_object_get_int_member (object, "entries"), ==, w->first_audit + changes);
  g_assert_cmpint (changes, ==, w->writes + w->unexpected);

  if (w->unexpected > 0)
    {
      g_test_message ("%u refused writes changed the store (reported by their rows): "
                      "not comparing their targets", w->unexpected);
    }
  else
    {
      for (guint i = 0; i < G_N_ELEMENTS (w->targets); i++)
        {
          const BqEntity *target = w->targets[i];
          g_autoptr(GError) error = NULL;
          gpointer now = bq_store_get (w->ts->store, target->type, target->id, &error);

          g_assert_no_error (error);
          g_assert_true (bq_entity_equal (now, target));
          bq_entity_free (now);
        }
    }

  g_assert_cmpint (sqlite3_prepare_v2 (bq_store_get_db (w->ts->store),
                                       "SELECT count(*) FROM idempotency_keys", -1, &stmt, NULL),
                   ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  g_assert_cmpint (sqlite3_column_int64 (stmt, 0), ==, 0);
  sqlite3_finalize (stmt);
}

int
main (int    argc,
      char **argv)
{
  int status;

  g_test_init (&argc, &argv, NULL);
  /* Every row is reported, not only the first that fails. */
  g_test_set_nonfatal_assertions ();

  for (guint i = 0; i < G_N_ELEMENTS (rows); i++)
    {
      g_autofree char *path = g_strconcat ("/server-bad-requests/", rows[i].name, NULL);

      g_test_add_data_func (path, &rows[i], test_row);
    }
  g_test_add_func ("/server-bad-requests/connections/abandoned-keep-alive",
                   test_abandoned_keep_alive);
  g_test_add_func ("/server-bad-requests/connections/idle-timeout", test_idle_timeout);
  g_test_add_func ("/server-bad-requests/connections/listen-backlog", test_listen_backlog);
  /* Registered last, in a suite of its own: runs after every row. */
  g_test_add_func ("/server-bad-requests/afterwards/intact", test_intact);

  status = g_test_run ();
  g_clear_pointer (&world, world_free);
  return status;
}
