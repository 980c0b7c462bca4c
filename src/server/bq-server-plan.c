/* bq-server-plan.c — production planning over HTTP: the proposal, applying
 * it, capacity against demand, and checking run moves
 *
 * The planner (bq-plan.h) does the work; this file decides who may ask,
 * reads the parameters and keeps the write rules of every other write:
 * one transaction, an audit entry per run, the idempotency record, then
 * the answer and the event.
 *
 * A proposal is not stored.  GET /plan answers it with the store's
 * revision and a digest of its changes; POST /plan/apply plans again
 * inside the write transaction and applies only when that gives the very
 * changes the planner looked at (same digest), or, without a digest, when
 * the store is still at the revision the proposal was made at.  Anything
 * else is 409 stale_plan: plan again.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-audit.h"
#include "bq-json.h"
#include "bq-model.h"
#include "bq-plan.h"
#include "bq-policy.h"
#include "bq-server-private.h"
#include "bq-units.h"

#define WEEKS_DEFAULT 4
#define WEEKS_MAX     52

/* ------------------------------------------------------------------ helpers */

static gboolean
role_is (const BqUser *user,
         BqRole        a,
         BqRole        b)
{
  return !user->disabled && (user->role == a || user->role == b);
}

static void
reply_forbidden (BqServerRequest *request,
                 const char      *message)
{
  bq_server_reply_error (request->msg, SOUP_STATUS_FORBIDDEN, "forbidden", message, NULL);
}

/* The horizon of ?from=&weeks= (or of a body's members): from the Monday
 * of the week holding "from" (default: this week), 1–52 weeks. */
static gboolean
get_horizon (BqServerRequest *request,
             BqPlanOptions   *options)
{
  const char *from = bq_server_request_get_param (request, "from");
  guint64 weeks;

  bq_plan_options_init (options);
  options->now = bq_server_request_domain_now (request);
  options->from = options->now;
  if (from != NULL && !bq_server_request_parse_time (request, "from", from, &options->from))
    return FALSE;
  if (!bq_server_request_get_uint (request, "weeks", WEEKS_DEFAULT, WEEKS_MAX, &weeks))
    return FALSE;
  if (weeks == 0)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "“weeks” must be at least 1", "weeks");
      return FALSE;
    }
  options->weeks = (guint) weeks;
  return TRUE;
}

/* Hex SHA-256 of the proposal's changes: what apply must find again. */
static char *
plan_digest (JsonNode *plan_json)
{
  JsonNode *changes = json_object_get_member (json_node_get_object (plan_json), "changes");
  g_autofree char *text = json_to_string (changes, FALSE);

  return g_compute_checksum_for_string (G_CHECKSUM_SHA256, text, -1);
}

/* The plan as JSON with the store's revision, the digest and the gap. */
static JsonNode *
plan_reply (const BqPlan *plan,
            gint64        revision,
            guint         weeks,
            gint64        applied)
{
  JsonNode *node = bq_plan_to_json (plan);
  JsonObject *object = json_node_get_object (node);
  g_autofree char *digest = plan_digest (node);

  json_object_set_int_member (object, "weeks", weeks);
  json_object_set_int_member (object, "revision", revision);
  json_object_set_string_member (object, "digest", digest);
  json_object_set_int_member (object, "total_gap", bq_plan_get_total_gap (plan));
  if (applied >= 0)
    json_object_set_int_member (object, "applied", applied);
  return node;
}

/* -------------------------------------------------------------------- plan */

static const char * const horizon_params[] = { "from", "weeks", NULL };

void
bq_server_handle_plan_get (BqServerRequest *request)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  BqPlanOptions options;
  gint64 revision;

  if (!role_is (request->user, BQ_ROLE_ADMIN, BQ_ROLE_PLANNER))
    {
      reply_forbidden (request, "only planners and administrators may plan production");
      return;
    }
  if (!bq_server_request_check_params (request, horizon_params) || !get_horizon (request, &options))
    return;

  revision = bq_store_get_revision (request->server->store);
  planner = bq_planner_new (request->server->store, &options);
  plan = bq_planner_propose (planner, &error);
  if (plan == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  node = plan_reply (plan, revision, options.weeks, -1);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* A member of the apply body: an integer, a string, or absent. */
static gboolean
body_member (BqServerRequest  *request,
             JsonObject       *object,
             const char       *name,
             GType             type,
             JsonNode        **member)
{
  g_autofree char *message = NULL;

  *member = json_object_get_member (object, name);
  if (*member == NULL || JSON_NODE_HOLDS_NULL (*member))
    {
      *member = NULL;
      return TRUE;
    }
  if (JSON_NODE_HOLDS_VALUE (*member) && json_node_get_value_type (*member) == type)
    return TRUE;
  message = g_strdup_printf ("%s: must be %s", name,
                             type == G_TYPE_STRING ? "a string" : "an integer");
  bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "wrong_type",
                         message, name);
  return FALSE;
}

void
bq_server_handle_plan_apply (BqServerRequest *request)
{
  static const char * const members[] = { "from", "weeks", "basis_revision", "digest", NULL };
  BqStore *store = request->server->store;
  g_autoptr(JsonNode) body = NULL;
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) reply = NULL;
  g_autoptr(GList) names = NULL;
  g_autofree char *digest = NULL;
  JsonNode *from_node, *weeks_node, *basis_node, *digest_node;
  const BqRun *first_after = NULL;
  JsonObject *object;
  BqPlanOptions options;
  const char *reason;
  gint64 basis, revision, weeks = WEEKS_DEFAULT;

  if (!role_is (request->user, BQ_ROLE_ADMIN, BQ_ROLE_PLANNER))
    {
      reply_forbidden (request, "only planners and administrators may apply a plan");
      return;
    }
  if (!bq_server_request_check_params (request, (const char * const []) { NULL }) ||
      bq_server_idempotency_check (request) || !bq_server_request_get_reason (request, &reason))
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
                                 "applying a plan takes “from”, “weeks”, “basis_revision” "
                                 "and “digest”", l->data);
          return;
        }
    }
  if (!body_member (request, object, "from", G_TYPE_STRING, &from_node) ||
      !body_member (request, object, "weeks", G_TYPE_INT64, &weeks_node) ||
      !body_member (request, object, "basis_revision", G_TYPE_INT64, &basis_node) ||
      !body_member (request, object, "digest", G_TYPE_STRING, &digest_node))
    return;
  if (basis_node == NULL)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "missing_field",
                             "basis_revision: is required (the revision of the proposal)",
                             "basis_revision");
      return;
    }
  basis = json_node_get_int (basis_node);
  if (weeks_node != NULL)
    weeks = json_node_get_int (weeks_node);
  if (weeks < 1 || weeks > WEEKS_MAX)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "weeks: between 1 and 52", "weeks");
      return;
    }

  bq_plan_options_init (&options);
  options.now = bq_server_request_domain_now (request);
  options.from = options.now;
  options.weeks = (guint) weeks;
  if (from_node != NULL)
    {
      g_autoptr(GError) parse_error = NULL;

      if (!bq_units_parse_time (json_node_get_string (from_node), &options.from, &parse_error))
        {
          g_autofree char *message = g_strdup_printf ("from: %s", parse_error->message);

          bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                                 message, "from");
          return;
        }
    }

  if (!bq_store_begin (store, &error))
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  /* Plan again under the write lock: what is applied is what the store
   * says now, and it must be what the planner saw. */
  revision = bq_store_get_revision (store);
  planner = bq_planner_new (store, &options);
  plan = bq_planner_propose (planner, &error);
  if (plan == NULL)
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  {
    g_autoptr(JsonNode) fresh = bq_plan_to_json (plan);

    digest = plan_digest (fresh);
  }
  if (digest_node != NULL ? g_strcmp0 (json_node_get_string (digest_node), digest) != 0
                          : basis != revision)
    {
      g_autofree char *message = NULL;

      message = g_strdup_printf ("the plan changed since it was proposed (at revision %"
                                 G_GINT64_FORMAT ", now %" G_GINT64_FORMAT "); plan again",
                                 basis, revision);
      bq_store_rollback (store);
      bq_server_reply_error (request->msg, SOUP_STATUS_CONFLICT, "stale_plan", message,
                             digest_node != NULL ? "digest" : "basis_revision");
      return;
    }

  if (!bq_planner_apply (planner, plan, &error))
    {
      bq_store_rollback (store);
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  /* One audit entry per run, with the run as it was written. */
  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    {
      const BqPlanChange *change = bq_plan_get_change (plan, i);
      g_autoptr(BqRun) written = bq_store_get (store, &bq_run_type,
                                               bq_entity_get_id (change->after), &error);

      if (written == NULL ||
          !bq_audit_append (store, request->now, bq_entity_get_id (request->user),
                            change->kind == BQ_PLAN_CHANGE_ADD ? "create" : "update",
                            change->before, written,
                            reason != NULL ? reason : change->reason, &error))
        {
          bq_store_rollback (store);
          bq_server_reply_gerror (request->msg, error);
          return;
        }
      if (first_after == NULL)
        first_after = change->after;
    }

  reply = plan_reply (plan, bq_store_get_revision (store), options.weeks,
                      bq_plan_get_n_changes (plan));
  /* Runs are seen by every role: one event for the lot. */
  bq_server_finish_custom_write (request, SOUP_STATUS_OK, bq_server_json_to_string (reply),
                                 NULL, first_after);
}

/* ---------------------------------------------------------------- capacity */

void
bq_server_handle_capacity (BqServerRequest *request)
{
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;
  BqPlanOptions options;

  /* Capacity spans every centre's demand: not for account managers. */
  if (request->user->disabled || request->user->role == BQ_ROLE_ACCOUNT_MANAGER)
    {
      reply_forbidden (request, "account managers may not read capacity against demand");
      return;
    }
  if (!bq_server_request_check_params (request, horizon_params) || !get_horizon (request, &options))
    return;

  planner = bq_planner_new (request->server->store, &options);
  plan = bq_planner_capacity (planner, &error);
  if (plan == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }
  node = bq_plan_to_json (plan);
  object = json_node_get_object (node);
  json_object_remove_member (object, "changes");
  json_object_set_int_member (object, "weeks", options.weeks);
  json_object_set_int_member (object, "total_gap", bq_plan_get_total_gap (plan));
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}

/* ------------------------------------------------------------------- moves */

/* The field a refused move is about. */
static const char *
move_error_field (const GError *error)
{
  switch (error->code)
    {
    case BQ_PLAN_ERROR_WRONG_PRODUCT:
    case BQ_PLAN_ERROR_NOT_FOUND:
      return "line_id";
    case BQ_PLAN_ERROR_NOT_MOVABLE:
      return NULL;
    default:
      return "start_time";
    }
}

static gboolean
check_move (BqServerRequest  *request,
            const BqRun      *run,
            const char       *line_id,
            gint64            start_time,
            GError          **error)
{
  g_autoptr(BqPlanner) planner = NULL;
  BqPlanOptions options;

  bq_plan_options_init (&options);
  options.now = bq_server_request_domain_now (request);
  planner = bq_planner_new (request->server->store, &options);
  return bq_planner_check_move (planner, run, line_id, start_time, error);
}

void
bq_server_prepare_run_move (const BqRun *before,
                            JsonObject  *body)
{
  JsonNode *member = json_object_get_member (body, "start_time");
  gint64 start, delta;

  if (member == NULL || !JSON_NODE_HOLDS_VALUE (member) ||
      json_node_get_value_type (member) != G_TYPE_STRING ||
      !bq_units_parse_time (json_node_get_string (member), &start, NULL) ||
      before->start_time == BQ_TIME_UNSET)
    return;  /* the codec says what is wrong with it */

  /* The start alone moves the run: the end and the calibration follow. */
  delta = start - before->start_time;
  if (delta == 0)
    return;
  if (!json_object_has_member (body, "eos_time") && before->eos_time != BQ_TIME_UNSET)
    {
      g_autofree char *eos = bq_units_format_time (before->eos_time + delta);
      json_object_set_string_member (body, "eos_time", eos);
    }
  if (!json_object_has_member (body, "calibration_time") &&
      before->calibration_time != BQ_TIME_UNSET)
    {
      g_autofree char *calibration = bq_units_format_time (before->calibration_time + delta);
      json_object_set_string_member (body, "calibration_time", calibration);
    }
}

gboolean
bq_server_check_run_move (BqServerRequest *request,
                          const BqRun     *before,
                          BqRun           *after,
                          JsonObject      *body)
{
  g_autoptr(GError) error = NULL;

  g_return_val_if_fail (request != NULL, FALSE);

  /* A move is another line or another start; the end alone is a resize
   * (or the actual end, recorded by QA), not checked here. */
  if (g_strcmp0 (before->line_id, after->line_id) == 0 && before->start_time == after->start_time)
    return TRUE;

  if (after->eos_time - after->start_time != before->eos_time - before->start_time)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                             "eos_time: a run keeps its synthesis duration when it moves",
                             "eos_time");
      return FALSE;
    }

  if (!check_move (request, before, after->line_id, after->start_time, &error))
    {
      if (error->domain == BQ_PLAN_ERROR)
        bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                               bq_plan_error_to_code (error), error->message,
                               move_error_field (error));
      else
        bq_server_reply_gerror (request->msg, error);
      return FALSE;
    }
  return TRUE;
}

void
bq_server_handle_check_move (BqServerRequest *request)
{
  static const char * const params[] = { "line", "start", NULL };
  BqStore *store = request->server->store;
  g_autoptr(BqRun) run = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  g_autofree char *start_text = NULL;
  g_autofree char *eos_text = NULL;
  const char *line_id, *start_param;
  gint64 start;
  gboolean ok;

  if (!bq_policy_allows (request->user, BQ_ACTION_UPDATE, &bq_run_type))
    {
      reply_forbidden (request, "your role may not move runs");
      return;
    }
  if (!bq_server_request_check_params (request, params))
    return;

  run = bq_store_get (store, &bq_run_type, request->id, &error);
  if (run == NULL)
    {
      if (g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
        {
          g_autofree char *message = g_strdup_printf ("there is no run “%s”", request->id);

          bq_server_reply_error (request->msg, SOUP_STATUS_NOT_FOUND, "not_found", message, NULL);
        }
      else
        bq_server_reply_gerror (request->msg, error);
      return;
    }

  line_id = bq_server_request_get_param (request, "line");
  if (line_id == NULL)
    line_id = run->line_id;
  start_param = bq_server_request_get_param (request, "start");
  start = run->start_time;
  if (start_param != NULL && !bq_server_request_parse_time (request, "start", start_param, &start))
    return;

  {
    g_autoptr(BqLine) line = bq_store_get (store, &bq_line_type, line_id, &error);

    if (line == NULL)
      {
        g_autofree char *message = g_strdup_printf ("there is no line “%s”", line_id);

        if (!g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
          {
            bq_server_reply_gerror (request->msg, error);
            return;
          }
        bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "invalid",
                               message, "line");
        return;
      }
  }

  g_clear_error (&error);
  ok = check_move (request, run, line_id, start, &error);
  if (!ok && error->domain != BQ_PLAN_ERROR)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  start_text = bq_units_format_time (start);
  eos_text = bq_units_format_time (start + (run->eos_time - run->start_time));
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "ok");
  json_builder_add_boolean_value (builder, ok);
  json_builder_set_member_name (builder, "run_id");
  json_builder_add_string_value (builder, request->id);
  json_builder_set_member_name (builder, "line_id");
  json_builder_add_string_value (builder, line_id);
  json_builder_set_member_name (builder, "start_time");
  json_builder_add_string_value (builder, start_text);
  json_builder_set_member_name (builder, "eos_time");
  json_builder_add_string_value (builder, eos_text);
  json_builder_set_member_name (builder, "code");
  if (ok)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, bq_plan_error_to_code (error));
  json_builder_set_member_name (builder, "message");
  if (ok)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, error->message);
  json_builder_set_member_name (builder, "field");
  if (ok || move_error_field (error) == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, move_error_field (error));
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}
