/* bq-cli-plan.c — "becquerel-cli plan" and "becquerel-cli capacity"
 *
 * The planner of the core (bq-plan.h) on a database file: the proposal as
 * a diff and capacity against demand, applied with --apply.  Exit status
 * and error lines follow becquerel-cli.c: 2 for a wrong command line, 1
 * when the work could not be done, one line on stderr on failure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-cli-common.h"
#include "bq-cli-plan.h"

typedef struct {
  char    *db;
  int      weeks;
  char    *from;
  char    *now;
  gboolean apply;
  gboolean json;
} PlanArgs;

static void
plan_args_clear (PlanArgs *a)
{
  g_free (a->db);
  g_free (a->from);
  g_free (a->now);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC (PlanArgs, plan_args_clear)

/* Parses the options of @command into @a and fills @options. */
static gboolean
parse (const char     *command,
       const char     *summary,
       gboolean        with_apply,
       char         ***args,
       PlanArgs       *a,
       BqPlanOptions  *options,
       int            *status)
{
  GOptionEntry entries[] = {
    { "db", 'd', 0, G_OPTION_ARG_FILENAME, &a->db, N_("The database"), N_("FILE") },
    { "weeks", 'w', 0, G_OPTION_ARG_INT, &a->weeks, N_("Weeks to plan (default 4)"), N_("N") },
    { "from", 'f', 0, G_OPTION_ARG_STRING, &a->from,
      N_("A day in the first week (default: this week)"), N_("DATE") },
    { "now", 0, 0, G_OPTION_ARG_STRING, &a->now,
      N_("Runs starting before it are left alone (default: the clock)"), N_("TIME") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &a->json, N_("Print one JSON object"), NULL },
    { "apply", 'a', 0, G_OPTION_ARG_NONE, &a->apply, N_("Write the proposal to the database"),
      NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;

  if (!with_apply)
    entries[G_N_ELEMENTS (entries) - 2] = (GOptionEntry) { NULL };

  a->weeks = 4;
  if (!bq_cli_parse_options_only (command, summary, entries, args, status))
    return FALSE;
  if (a->db == NULL)
    {
      *status = bq_cli_fail_usage (command, _("Missing --db FILE"));
      return FALSE;
    }
  if (a->weeks < 1 || a->weeks > 520)
    {
      *status = bq_cli_fail_usage (command, _("--weeks must be between 1 and 520"));
      return FALSE;
    }

  bq_plan_options_init (options);
  options->weeks = (guint) a->weeks;
  if (a->from != NULL && !bq_units_parse_time (a->from, &options->from, &error))
    {
      g_autofree char *message = g_strdup_printf (_("--from: %s"), error->message);
      *status = bq_cli_fail_usage (command, message);
      return FALSE;
    }
  if (a->now != NULL && !bq_units_parse_time (a->now, &options->now, &error))
    {
      g_autofree char *message = g_strdup_printf (_("--now: %s"), error->message);
      *status = bq_cli_fail_usage (command, message);
      return FALSE;
    }
  if (!g_file_test (a->db, G_FILE_TEST_IS_REGULAR))
    {
      *status = bq_cli_fail (EXIT_FAILED, _("“%s”: no such file"), a->db);
      return FALSE;
    }
  return TRUE;
}

static char *
format_day (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%Y-%m-%d");
}

static char *
format_week (gint64 t)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (t);

  return g_date_time_format (dt, "%G-W%V");
}

static void
print_capacity (const BqPlan *plan)
{
  g_print ("%-9s %-22s %-14s %7s %7s %8s %8s %5s\n", _("Week"), _("Product"), _("Region"),
           _("Demand"), _("Target"), _("Planned"), _("Maximum"), _("Gap"));
  for (guint i = 0; i < bq_plan_get_n_capacity (plan); i++)
    {
      const BqPlanCapacity *row = bq_plan_get_capacity (plan, i);
      g_autofree char *week = format_week (row->week_start);

      g_print ("%-9s %-22s %-14s %7" G_GINT64_FORMAT " %7" G_GINT64_FORMAT " %8" G_GINT64_FORMAT
               " %8" G_GINT64_FORMAT " %5" G_GINT64_FORMAT "%s\n",
               week, row->product_id, row->region, row->demand, row->target, row->capacity,
               row->max_capacity, row->gap, row->gap > 0 ? _("  short") : "");
    }
  g_print (_("Doses short of the forecast: %" G_GINT64_FORMAT "\n"), bq_plan_get_total_gap (plan));
}

static void
print_changes (const BqPlan *plan)
{
  guint counts[4] = { 0, };
  g_autofree char *from = format_day (bq_plan_get_from (plan));
  g_autofree char *to = format_day (bq_plan_get_to (plan));

  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    counts[bq_plan_get_change (plan, i)->kind]++;

  g_print (_("Plan %s to %s: %u added, %u moved, %u resized, %u removed\n"), from, to,
           counts[BQ_PLAN_CHANGE_ADD], counts[BQ_PLAN_CHANGE_MOVE],
           counts[BQ_PLAN_CHANGE_RESIZE], counts[BQ_PLAN_CHANGE_REMOVE]);
  for (guint i = 0; i < bq_plan_get_n_changes (plan); i++)
    {
      static const char marks[] = { '+', '>', '~', '-' };
      const BqPlanChange *change = bq_plan_get_change (plan, i);
      const BqRun *run = change->after;
      g_autofree char *start = bq_units_format_time (run->start_time);
      g_autofree char *activity = bq_units_format_activity (run->activity_eos_bq,
                                                            BQ_ACTIVITY_UNIT_AUTO);

      g_print ("%c %-6s %s  %s  %s  %" G_GINT64_FORMAT " doses  %s\n    %s\n",
               marks[change->kind], bq_plan_change_kind_to_string (change->kind),
               run->base.id, run->line_id, start, run->dose_capacity, activity,
               change->reason);
    }
  g_print ("\n");
}

int
bq_cli_plan (char **args)
{
  g_auto(PlanArgs) a = { 0, };
  BqPlanOptions options;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  int status = EXIT_OK;

  if (!parse ("plan", _("Propose production runs for the forecasts of the next weeks, as "
                        "changes to the current plan, with capacity against demand.  "
                        "Nothing is written without --apply."),
              TRUE, &args, &a, &options, &status))
    return status;

  store = bq_store_open (a.db, &error);
  if (store == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  planner = bq_planner_new (store, &options);
  plan = bq_planner_propose (planner, &error);
  if (plan == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  if (a.apply && !bq_planner_apply (planner, plan, &error))
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (a.json)
    {
      g_autoptr(JsonNode) node = bq_plan_to_json (plan);

      json_object_set_boolean_member (json_node_get_object (node), "applied", a.apply);
      bq_cli_print_json_node (node);
      return EXIT_OK;
    }

  print_changes (plan);
  print_capacity (plan);
  if (a.apply)
    g_print (_("Applied %u changes.\n"), bq_plan_get_n_changes (plan));
  else if (!bq_plan_is_empty (plan))
    g_print (_("Nothing written; run again with --apply to accept.\n"));
  return EXIT_OK;
}

int
bq_cli_capacity (char **args)
{
  g_auto(PlanArgs) a = { 0, };
  BqPlanOptions options;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqPlanner) planner = NULL;
  g_autoptr(BqPlan) plan = NULL;
  int status = EXIT_OK;

  if (!parse ("capacity", _("Capacity of the current plan against the forecasts, per ISO "
                            "week, product and region."),
              FALSE, &args, &a, &options, &status))
    return status;

  store = bq_store_open (a.db, &error);
  if (store == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  planner = bq_planner_new (store, &options);
  plan = bq_planner_capacity (planner, &error);
  if (plan == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (a.json)
    {
      g_autoptr(JsonNode) node = bq_plan_to_json (plan);
      JsonObject *object = json_node_get_object (node);

      json_object_remove_member (object, "changes");
      bq_cli_print_json_node (node);
      return EXIT_OK;
    }
  print_capacity (plan);
  return EXIT_OK;
}
