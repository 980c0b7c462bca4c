/* bq-cli-slots.c — becquerel-cli slots and book
 *
 * Same conventions as becquerel-cli.c: exit 0 on success, 2 for a wrong
 * command line, 1 when the command cannot be carried out; on failure one
 * line on stderr and nothing on stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-cli-common.h"
#include "bq-cli-slots.h"

#define DAY          G_GINT64_CONSTANT (86400)

static char *
local_text (const char *timezone,
            gint64      t,
            const char *format)
{
  g_autoptr(GTimeZone) tz = bq_units_timezone_or_utc (timezone);

  return bq_units_format_local (tz, t, format);
}

/* "--now" for tests and what-ifs; the clock otherwise. */
static gboolean
parse_now (const char  *text,
           gint64      *now,
           int         *status)
{
  g_autoptr(GError) error = NULL;

  if (text == NULL)
    {
      *now = g_get_real_time () / G_USEC_PER_SEC;
      return TRUE;
    }
  if (!bq_units_parse_time (text, now, &error))
    {
      *status = bq_cli_fail (EXIT_USAGE, "--now: %s", error->message);
      return FALSE;
    }
  return TRUE;
}

int
bq_cli_slots (char **args)
{
  g_autofree char *db = NULL;
  g_autofree char *centre_id = NULL;
  g_autofree char *from_text = NULL;
  g_autofree char *now_text = NULL;
  int days = 14;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The database"), N_("FILE") },
    { "centre", 0, 0, G_OPTION_ARG_STRING, &centre_id, N_("Centre id"), N_("ID") },
    { "from", 0, 0, G_OPTION_ARG_STRING, &from_text,
      N_("First delivery day (default: today)"), N_("DATE") },
    { "days", 0, 0, G_OPTION_ARG_INT, &days, N_("Days to show (default 14)"), N_("N") },
    { "now", 0, 0, G_OPTION_ARG_STRING, &now_text,
      N_("Judge cut-offs and holds at this time (default: now)"), N_("TIME") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqSlotEngine) engine = NULL;
  g_autoptr(GPtrArray) slots = NULL;
  g_autoptr(BqCentre) centre = NULL;
  gint64 from, now;
  int status = EXIT_OK;

  if (!bq_cli_parse_options_only ("slots",
                                  _("The slot calendar of a centre: its quotas and its region's pools, "
                                    "with the doses left and the ordering cut-off."),
                                  entries, &args, &status))
    return status;
  if (db == NULL || centre_id == NULL)
    return bq_cli_fail_usage ("slots", _("--db and --centre are required"));
  if (days < 1 || days > 366)
    return bq_cli_fail (EXIT_USAGE, _("--days: between 1 and 366"));
  if (!parse_now (now_text, &now, &status))
    return status;
  if (from_text != NULL)
    {
      if (!bq_units_parse_time (from_text, &from, &error))
        return bq_cli_fail (EXIT_USAGE, "--from: %s", error->message);
    }
  else
    {
      from = now - now % DAY;
    }

  store = bq_cli_open_existing (db, &status);
  if (store == NULL)
    return status;
  centre = bq_store_get (store, &bq_centre_type, centre_id, &error);
  if (centre == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  engine = bq_slot_engine_new (store);
  slots = bq_slot_engine_calendar (engine, centre_id, from, from + days * DAY, now, &error);
  if (slots == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;
      g_autofree char *from_iso = bq_units_format_time (from);
      g_autofree char *to_iso = bq_units_format_time (from + days * DAY);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "centre_id");
      json_builder_add_string_value (builder, centre_id);
      json_builder_set_member_name (builder, "from");
      json_builder_add_string_value (builder, from_iso);
      json_builder_set_member_name (builder, "to");
      json_builder_add_string_value (builder, to_iso);
      json_builder_set_member_name (builder, "slots");
      json_builder_begin_array (builder);
      for (guint i = 0; i < slots->len; i++)
        json_builder_add_value (builder, bq_slot_option_to_json (g_ptr_array_index (slots, i)));
      json_builder_end_array (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      bq_cli_print_json_node (root);
      return EXIT_OK;
    }

  g_print (_("%u slots for %s (%s) from %s, %d days:\n"), slots->len, centre->name,
           centre->region, from_text != NULL ? from_text : _("today"), days);
  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlotOption *o = g_ptr_array_index (slots, i);
      g_autofree char *day = NULL;
      g_autofree char *cutoff = NULL;
      g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (o->slot->delivery_date);

      day = g_date_time_format (date, "%a %d %b");
      cutoff = o->cutoff != BQ_TIME_UNSET ? local_text (centre->timezone, o->cutoff,
                                                        "%a %d %b %H:%M %Z")
                                          : g_strdup (_("none"));
      g_print ("  %s  %-5s %2" G_GINT64_FORMAT "/%-2" G_GINT64_FORMAT " free  run %-14s "
               "cut-off %-22s %s%s%s\n",
               day, o->pool ? _("pool") : _("quota"), o->remaining, o->slot->capacity,
               o->batch, cutoff, bq_slot_reason_to_nick (o->reason),
               o->reason == BQ_SLOT_OK ? "" : " — ",
               o->reason == BQ_SLOT_OK ? "" : o->summary);
    }
  return EXIT_OK;
}

/* The product whose nominal dose is nearest (by ratio) the prescribed one. */
static char *
guess_product (BqStore  *store,
               double    activity,
               GError  **error)
{
  g_autoptr(GPtrArray) products = bq_store_list (store, &bq_product_type, error);
  const BqProduct *best = NULL;
  double best_distance = INFINITY;

  if (products == NULL)
    return NULL;
  for (guint i = 0; i < products->len; i++)
    {
      const BqProduct *p = g_ptr_array_index (products, i);
      double d = fabs (log (activity / p->dose_activity_bq));

      if (d < best_distance)
        best = p, best_distance = d;
    }
  if (best == NULL)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND, _("The database has no products"));
      return NULL;
    }
  return g_strdup (best->base.id);
}

static char *
why_none (const BqSlotMatch *match)
{
  guint counts[BQ_SLOT_TOO_LITTLE_ACTIVITY + 1] = { 0, };
  GString *s = g_string_new (NULL);

  if (match->infeasible->len == 0)
    {
      g_string_append (s, _("no slot of this product is offered to the centre around that time"));
      return g_string_free (s, FALSE);
    }
  for (guint i = 0; i < match->infeasible->len; i++)
    counts[((BqSlotOption *) g_ptr_array_index (match->infeasible, i))->reason]++;
  for (guint r = 0; r < G_N_ELEMENTS (counts); r++)
    if (counts[r] > 0)
      g_string_append_printf (s, "%s%u %s", s->len ? ", " : "", counts[r],
                              bq_slot_reason_to_nick (r));
  g_string_append_printf (s, _("; first: %s"),
                          ((BqSlotOption *) g_ptr_array_index (match->infeasible, 0))->summary);
  return g_string_free (s, FALSE);
}

int
bq_cli_book (char **args)
{
  g_autofree char *db = NULL;
  g_autofree char *centre_id = NULL;
  g_autofree char *patient = NULL;
  g_autofree char *activity_text = NULL;
  g_autofree char *admin_text = NULL;
  g_autofree char *window_text = NULL;
  g_autofree char *product_id = NULL;
  g_autofree char *now_text = NULL;
  g_autofree char *user_id = NULL;
  gboolean dry_run = FALSE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "db", 0, 0, G_OPTION_ARG_FILENAME, &db, N_("The database"), N_("FILE") },
    { "centre", 0, 0, G_OPTION_ARG_STRING, &centre_id, N_("Centre id"), N_("ID") },
    { "patient", 0, 0, G_OPTION_ARG_STRING, &patient,
      N_("Pseudonymous patient reference, never a name"), N_("REF") },
    { "activity", 0, 0, G_OPTION_ARG_STRING, &activity_text,
      N_("Prescribed activity at administration, e.g. 7.4GBq"), N_("ACTIVITY") },
    { "admin", 0, 0, G_OPTION_ARG_STRING, &admin_text,
      N_("Administration time, e.g. 2026-03-26T09:00+01:00"), N_("TIME") },
    { "window", 0, 0, G_OPTION_ARG_STRING, &window_text,
      N_("Length of the administration window (default 2h)"), N_("DURATION") },
    { "product", 0, 0, G_OPTION_ARG_STRING, &product_id,
      N_("Product id (default: the one whose dose is nearest the activity)"), N_("ID") },
    { "user", 0, 0, G_OPTION_ARG_STRING, &user_id,
      N_("Book as this user (their holds count as free)"), N_("ID") },
    { "now", 0, 0, G_OPTION_ARG_STRING, &now_text,
      N_("Judge cut-offs and holds at this time (default: now)"), N_("TIME") },
    { "dry-run", 'n', 0, G_OPTION_ARG_NONE, &dry_run, N_("Rank the options, book nothing"), NULL },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqSlotEngine) engine = NULL;
  g_autoptr(BqSlotMatch) match = NULL;
  g_autoptr(BqOrder) order = NULL;
  const BqSlotOption *booked = NULL;
  BqSlotRequest request;
  double activity, window = 2 * 3600;
  gint64 admin, now;
  int status = EXIT_OK;

  if (!bq_cli_parse_options_only ("book",
                                  _("Match a patient order to the feasible slots, best first, and book "
                                    "the best; or say why none can serve it."),
                                  entries, &args, &status))
    return status;
  if (db == NULL || centre_id == NULL || patient == NULL || activity_text == NULL ||
      admin_text == NULL)
    return bq_cli_fail_usage ("book", _("--db, --centre, --patient, --activity and --admin are required"));
  if (!bq_units_parse_activity (activity_text, &activity, &error))
    return bq_cli_fail (EXIT_USAGE, "--activity: %s", error->message);
  if (!(activity > 0))
    return bq_cli_fail (EXIT_USAGE, _("--activity: must be more than 0"));
  if (!bq_units_parse_time (admin_text, &admin, &error))
    return bq_cli_fail (EXIT_USAGE, "--admin: %s", error->message);
  if (window_text != NULL && !bq_units_parse_duration (window_text, &window, &error))
    return bq_cli_fail (EXIT_USAGE, "--window: %s", error->message);
  if (!(window >= 60))
    return bq_cli_fail (EXIT_USAGE, _("--window: at least a minute"));
  if (!parse_now (now_text, &now, &status))
    return status;

  store = bq_cli_open_existing (db, &status);
  if (store == NULL)
    return status;
  if (product_id == NULL)
    {
      product_id = guess_product (store, activity, &error);
      if (product_id == NULL)
        return bq_cli_fail (EXIT_FAILED, "%s", error->message);
    }

  /* The order is checked before any slot is judged: a name is refused. */
  order = bq_order_new ();
  order->centre_id = g_strdup (centre_id);
  order->product_id = g_strdup (product_id);
  order->patient_ref = g_strdup (patient);
  order->prescribed_activity_bq = activity;
  order->admin_start = admin;
  order->admin_end = admin + (gint64) window;
  order->status = BQ_ORDER_REQUESTED;
  if (!bq_entity_validate (order, &error))
    return bq_cli_fail (EXIT_USAGE, "%s", error->message);

  engine = bq_slot_engine_new (store);
  bq_slot_request_init (&request);
  request.centre_id = centre_id;
  request.product_id = product_id;
  request.prescribed_bq = activity;
  request.admin_start = order->admin_start;
  request.admin_end = order->admin_end;
  request.now = now;
  request.user_id = user_id;
  match = bq_slot_engine_match (engine, &request, &error);
  if (match == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);
  if (match->feasible->len == 0)
    {
      g_autofree char *why = why_none (match);
      return bq_cli_fail (EXIT_FAILED, _("No slot can serve this order: %s"), why);
    }

  /* Best first; another booking may take a dose under us: try the next. */
  for (guint i = 0; !dry_run && i < match->feasible->len && booked == NULL; i++)
    {
      const BqSlotOption *o = g_ptr_array_index (match->feasible, i);

      g_clear_error (&error);
      if (bq_slot_engine_claim (engine, o->slot->base.id, order, user_id, now, &error))
        booked = o;
      else if (error->domain != BQ_SLOT_ERROR)
        return bq_cli_fail (EXIT_FAILED, "%s", error->message);
    }
  if (!dry_run && booked == NULL)
    return bq_cli_fail (EXIT_FAILED, _("Every feasible slot went while booking: %s"), error->message);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();
      g_autoptr(JsonNode) root = NULL;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "dry_run");
      json_builder_add_boolean_value (builder, dry_run);
      json_builder_set_member_name (builder, "match");
      json_builder_add_value (builder, bq_slot_match_to_json (match));
      json_builder_set_member_name (builder, "order");
      if (booked != NULL)
        json_builder_add_value (builder, bq_entity_to_json (order));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
      root = json_builder_get_root (builder);
      bq_cli_print_json_node (root);
      return EXIT_OK;
    }

  g_print (_("%u feasible slots for %s, best first:\n"), match->feasible->len, patient);
  for (guint i = 0; i < match->feasible->len; i++)
    {
      const BqSlotOption *o = g_ptr_array_index (match->feasible, i);
      g_print ("  %u. %s — %s\n", i + 1, o->slot->base.id, o->summary);
    }
  if (match->infeasible->len > 0)
    {
      g_print (_("Not feasible:\n"));
      for (guint i = 0; i < match->infeasible->len; i++)
        {
          const BqSlotOption *o = g_ptr_array_index (match->infeasible, i);
          g_print ("  - %s — %s: %s\n", o->slot->base.id, bq_slot_reason_to_nick (o->reason),
                   o->summary);
        }
    }
  if (booked != NULL)
    g_print (_("Booked order %s on slot %s.\n"), order->base.id, booked->slot->base.id);
  else
    g_print (_("Dry run: nothing booked.\n"));
  return EXIT_OK;
}
