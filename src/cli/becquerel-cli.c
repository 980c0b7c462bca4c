/* becquerel-cli.c — the core library for scripts and headless use
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Exit status: 0 on success; 2 when the command line is wrong (unknown
 * command or option, missing or extra arguments, options that exclude each
 * other, a value that does not parse: nuclide, activity, duration, unit,
 * date, number); 1 when a well-formed command could not be carried out
 * (missing file, existing database, store or decay errors).  On failure
 * exactly one line goes to stderr and nothing to stdout, so scripts can
 * rely on both.
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-cli-common.h"
#include "bq-cli-route.h"
#include "bq-cli-plan.h"
#include "bq-cli-slots.h"

/* ------------------------------------------------------------------ JSON */

static void
print_json (JsonBuilder *builder)
{
  g_autoptr(JsonNode) root = json_builder_get_root (builder);

  bq_cli_print_json_node (root);
}

static void
add_double (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_double_value (builder, value);
}

/* Whole numbers as JSON integers ("elapsed_s":86400), others as doubles. */
static void
add_number (JsonBuilder *builder,
            const char  *name,
            double       value)
{
  json_builder_set_member_name (builder, name);
  if (value == floor (value) && fabs (value) < 9007199254740992.0)
    json_builder_add_int_value (builder, (gint64) value);
  else
    json_builder_add_double_value (builder, value);
}

static void
add_inventory (JsonBuilder       *builder,
               const char        *name,
               const BqInventory *inventory)
{
  guint n = bq_inventory_get_n_items (inventory);

  json_builder_set_member_name (builder, name);
  json_builder_begin_object (builder);
  for (guint i = 0; i < n; i++)
    {
      double bq = 0.0;
      const BqNuclide *nuclide = bq_inventory_nth (inventory, i, &bq);

      add_double (builder, nuclide->name, bq);
    }
  json_builder_end_object (builder);
}

/* ----------------------------------------------------------------- tables */

/* Rows of UTF-8 cells, printed with columns padded to their widest cell. */
static void
print_table (GPtrArray *rows,
             guint      n_columns)
{
  g_autofree glong *widths = g_new0 (glong, n_columns);

  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      for (guint c = 0; c < n_columns; c++)
        widths[c] = MAX (widths[c], g_utf8_strlen (row[c], -1));
    }

  for (guint r = 0; r < rows->len; r++)
    {
      char **row = g_ptr_array_index (rows, r);
      g_autoptr(GString) line = g_string_new (NULL);

      for (guint c = 0; c < n_columns; c++)
        {
          glong len = g_utf8_strlen (row[c], -1);
          gboolean last = (c + 1 == n_columns);

          /* Numbers read best right-aligned, names left-aligned. */
          if (c == 0)
            {
              g_string_append (line, row[c]);
              if (!last)
                for (glong k = len; k < widths[c]; k++)
                  g_string_append_c (line, ' ');
            }
          else
            {
              for (glong k = len; k < widths[c]; k++)
                g_string_append_c (line, ' ');
              g_string_append (line, row[c]);
            }
          if (!last)
            g_string_append (line, "   ");
        }
      g_print ("%s\n", line->str);
    }
}

static void
add_row (GPtrArray  *rows,
         const char *first,
         ...)
{
  GPtrArray *cells = g_ptr_array_new ();
  const char *cell = first;
  va_list args;

  va_start (args, first);
  while (cell != NULL)
    {
      g_ptr_array_add (cells, g_strdup (cell));
      cell = va_arg (args, const char *);
    }
  va_end (args);
  g_ptr_array_add (cells, NULL);
  g_ptr_array_add (rows, g_ptr_array_free (cells, FALSE));
}

/* ------------------------------------------------------------------ decay */

static const char decay_description[] =
  N_("NUCLIDE is a name such as Lu-177, 177Lu or lu177m; ACTIVITY is a number\n"
     "with a unit (Bq, kBq, MBq, GBq, TBq, mCi, Ci), e.g. 7.4GBq or \"200 mCi\".\n"
     "A mixture is written NUCLIDE=ACTIVITY,… (e.g. Lu-177=7.4GBq,Lu-177m=1.48MBq)\n"
     "in place of NUCLIDE ACTIVITY.  DURATION is e.g. 2d18h, 90min, 3.5h or P2DT6H.\n"
     "\n"
     "Without --chain only the nuclides given are reported (with ingrowth among\n"
     "them); with --chain every radioactive daughter is reported and counted.\n"
     "\n"
     "With --need, ACTIVITY may be left out: the answer is the activity needed\n"
     "now so that ACTIVITY_NEEDED remains after --after.\n"
     "\n"
     "--json prints one object: nuclide (when there is just one), elapsed_s,\n"
     "initial_activity_bq (the total), initial_activities_bq (for a mixture),\n"
     "activities_bq (after elapsed_s), and required_initial_activity_bq (--need)\n"
     "or time_to_reach_s (--until).  With --need and no ACTIVITY, the initial\n"
     "and decayed activities are those of the required amount.\n"
     "\n"
     "Examples:\n"
     "  becquerel-cli decay Lu-177 7.4GBq --after 2d18h\n"
     "  becquerel-cli decay Ac-225 10MBq --after 24h --chain --json\n"
     "  becquerel-cli decay Lu-177 --need 7.4GBq --after 2d18h\n"
     "  becquerel-cli decay F-18 10GBq --until 500MBq\n");

static BqInventory *
scale_inventory (const BqInventory *inventory,
                 double             factor)
{
  BqInventory *scaled = bq_inventory_new ();
  guint n = bq_inventory_get_n_items (inventory);

  for (guint i = 0; i < n; i++)
    {
      double bq = 0.0;
      const BqNuclide *nuclide = bq_inventory_nth (inventory, i, &bq);

      bq_inventory_add (scaled, nuclide, bq * factor);
    }
  return scaled;
}

static int
cmd_decay (char **args)
{
  g_autofree char *after_text = NULL;
  g_autofree char *need_text = NULL;
  g_autofree char *until_text = NULL;
  g_autofree char *unit_text = NULL;
  gboolean chain = FALSE;
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "after", 'a', 0, G_OPTION_ARG_STRING, &after_text,
      N_("Time elapsed (default: none)"), N_("DURATION") },
    { "chain", 'c', 0, G_OPTION_ARG_NONE, &chain,
      N_("Report and count every radioactive daughter"), NULL },
    { "need", 'n', 0, G_OPTION_ARG_STRING, &need_text,
      N_("Print the activity needed now to have this much after --after"), N_("ACTIVITY_NEEDED") },
    { "until", 't', 0, G_OPTION_ARG_STRING, &until_text,
      N_("Print the time until the activity has fallen to this"), N_("ACTIVITY") },
    { "unit", 'u', 0, G_OPTION_ARG_STRING, &unit_text,
      N_("Show activities in this unit (Bq, kBq, MBq, GBq, TBq, mCi, Ci; default auto)"), N_("UNIT") },
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json,
      N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqInventory) initial = NULL;
  g_autoptr(BqInventory) result = NULL;
  BqActivityUnit unit = BQ_ACTIVITY_UNIT_AUTO;
  BqDecayScope scope;
  gboolean mixture;
  gboolean nominal = FALSE;
  double elapsed = 0.0;
  double need = 0.0;
  double until = 0.0;
  double required = 0.0;
  double time_to_reach = 0.0;
  guint n_positional;
  int status = EXIT_OK;

  if (!bq_cli_parse_options ("decay", _("NUCLIDE [ACTIVITY] | NUCLIDE=ACTIVITY,…"),
                             _("Decay of a nuclide or a mixture: the activity after a time, "
                               "the activity needed now, or the time until a level is reached."),
                             _(decay_description), entries, &args, &status))
    return status;

  n_positional = g_strv_length (args) - 1;
  if (n_positional == 0)
    return bq_cli_fail_usage ("decay", _("Missing NUCLIDE"));
  if (n_positional > 2)
    return bq_cli_fail_usage ("decay", _("Too many arguments"));
  if (need_text != NULL && until_text != NULL)
    return bq_cli_fail_usage ("decay", _("--need and --until cannot be used together"));

  scope = chain ? BQ_DECAY_WHOLE_CHAIN : BQ_DECAY_STARTING_ONLY;

  if (unit_text != NULL && !bq_units_parse_activity_unit (unit_text, &unit, &error))
    return bq_cli_fail (EXIT_USAGE, _("--unit: %s"), error->message);
  if (after_text != NULL && !bq_units_parse_duration (after_text, &elapsed, &error))
    return bq_cli_fail (EXIT_USAGE, _("--after: %s"), error->message);
  if (need_text != NULL && !bq_units_parse_activity (need_text, &need, &error))
    return bq_cli_fail (EXIT_USAGE, _("--need: %s"), error->message);
  if (until_text != NULL && !bq_units_parse_activity (until_text, &until, &error))
    return bq_cli_fail (EXIT_USAGE, _("--until: %s"), error->message);

  mixture = (strchr (args[1], '=') != NULL);
  if (mixture)
    {
      if (n_positional > 1)
        return bq_cli_fail_usage ("decay", _("A mixture (NUCLIDE=ACTIVITY,…) takes no separate ACTIVITY"));
      initial = bq_inventory_parse (args[1], &error);
      if (initial == NULL)
        return bq_cli_fail (EXIT_USAGE, "%s", error->message);
    }
  else
    {
      const BqNuclide *nuclide = bq_nuclide_lookup (args[1], &error);
      double activity = 1.0;

      if (nuclide == NULL)
        return bq_cli_fail (EXIT_USAGE, "%s", error->message);

      if (n_positional == 2)
        {
          if (!bq_units_parse_activity (args[2], &activity, &error))
            return bq_cli_fail (EXIT_USAGE, "%s", error->message);
        }
      else if (need_text != NULL)
        nominal = TRUE;   /* only the ratio matters */
      else
        return bq_cli_fail_usage ("decay", _("Missing ACTIVITY"));

      initial = bq_inventory_new ();
      bq_inventory_add (initial, nuclide, activity);
    }

  if (need_text != NULL)
    {
      if (!bq_decay_required_initial (initial, need, elapsed, scope, &required, &error))
        return bq_cli_fail (EXIT_FAILED, "%s", error->message);

      /* Without a starting activity, report the required amount itself. */
      if (nominal)
        {
          double total = bq_inventory_total (initial);
          BqInventory *scaled = scale_inventory (initial, total > 0.0 ? required / total : 0.0);

          bq_inventory_free (initial);
          initial = scaled;
        }
    }

  if (until_text != NULL &&
      !bq_decay_time_to_reach (initial, until, scope, &time_to_reach, &error))
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  result = bq_decay_inventory (initial, elapsed, scope, &error);
  if (result == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      /* "nuclide" only when there is exactly one: naming the first of a
       * mixture would let a script mistake the mixture for a pure nuclide. */
      if (bq_inventory_get_n_items (initial) == 1)
        bq_json_add_string_member (builder, "nuclide", bq_inventory_nth (initial, 0, NULL)->name);
      add_number (builder, "elapsed_s", elapsed);
      add_double (builder, "initial_activity_bq", bq_inventory_total (initial));
      if (mixture)
        add_inventory (builder, "initial_activities_bq", initial);
      add_inventory (builder, "activities_bq", result);
      if (need_text != NULL)
        add_double (builder, "required_initial_activity_bq", required);
      if (until_text != NULL)
        add_number (builder, "time_to_reach_s", time_to_reach);
      json_builder_end_object (builder);
      print_json (builder);
      return EXIT_OK;
    }

  if (need_text != NULL)
    {
      g_autofree char *required_s = bq_units_format_activity (required, unit);
      g_autofree char *need_s = bq_units_format_activity (need, unit);
      g_autofree char *elapsed_s = bq_units_format_duration (elapsed);

      if (elapsed > 0.0)
        /* TRANSLATORS: "Required now: 10.6 GBq (to have 7.40 GBq after 2 d 18 h)" */
        g_print (_("Required now: %s (to have %s after %s)\n"), required_s, need_s, elapsed_s);
      else
        g_print (_("Required now: %s\n"), required_s);
      return EXIT_OK;
    }

  if (until_text != NULL)
    {
      g_autofree char *until_s = bq_units_format_activity (until, unit);
      g_autofree char *from_s = bq_units_format_activity (bq_inventory_total (initial), unit);
      g_autofree char *time_s = bq_units_format_duration (time_to_reach);

      /* TRANSLATORS: "Time to fall from 10.0 GBq to 500 MBq: 7 h 55 min" */
      g_print (_("Time to fall from %s to %s: %s\n"), from_s, until_s, time_s);
      return EXIT_OK;
    }

  {
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);
    g_autofree char *elapsed_s = bq_units_format_duration (elapsed);
    g_autofree char *after_header = g_strdup_printf (_("After %s"), elapsed_s);
    guint n = bq_inventory_get_n_items (result);
    gboolean show_initial = (elapsed > 0.0);

    if (show_initial)
      add_row (rows, _("Nuclide"), _("Initial"), after_header, NULL);
    else
      add_row (rows, _("Nuclide"), _("Activity"), NULL);

    for (guint i = 0; i < n; i++)
      {
        double bq = 0.0;
        const BqNuclide *nuclide = bq_inventory_nth (result, i, &bq);
        double initial_bq = bq_inventory_get (initial, nuclide);
        g_autofree char *now_s = bq_units_format_activity (bq, unit);
        g_autofree char *initial_s = initial_bq > 0.0
                                     ? bq_units_format_activity (initial_bq, unit)
                                     : g_strdup ("—");

        if (show_initial)
          add_row (rows, nuclide->name, initial_s, now_s, NULL);
        else
          add_row (rows, nuclide->name, now_s, NULL);
      }

    if (n > 1)
      {
        g_autofree char *total_initial = bq_units_format_activity (bq_inventory_total (initial), unit);
        g_autofree char *total_now = bq_units_format_activity (bq_inventory_total (result), unit);

        if (show_initial)
          add_row (rows, _("Total"), total_initial, total_now, NULL);
        else
          add_row (rows, _("Total"), total_now, NULL);
      }

    print_table (rows, show_initial ? 3 : 2);
  }

  return EXIT_OK;
}

/* ------------------------------------------------------------------- demo */

static gboolean
remove_database (const char  *path,
                 GError     **error)
{
  static const char * const suffixes[] = { "", "-wal", "-shm", "-journal" };

  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      if (g_unlink (file) != 0 && errno != ENOENT)
        {
          int saved_errno = errno;
          g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                       _("Cannot remove “%s”: %s"), file, g_strerror (saved_errno));
          return FALSE;
        }
    }
  return TRUE;
}

static int
cmd_demo (char **args)
{
  g_autofree char *out = NULL;
  g_autofree char *seed_text = NULL;
  g_autofree char *start_text = NULL;
  g_autofree char *weeks_text = NULL;
  gboolean force = FALSE;
  const GOptionEntry entries[] = {
    { "out", 'o', 0, G_OPTION_ARG_FILENAME, &out,
      N_("The database to write (required)"), N_("FILE") },
    { "seed", 's', 0, G_OPTION_ARG_STRING, &seed_text,
      N_("Random seed (default 1); the same seed and start give the same network"), N_("N") },
    { "start", 0, 0, G_OPTION_ARG_STRING, &start_text,
      N_("First week planned, rounded down to its Monday (default: two weeks ago)"), N_("YYYY-MM-DD") },
    { "weeks", 'w', 0, G_OPTION_ARG_STRING, &weeks_text,
      N_("Weeks of forecasts and runs (default 12)"), N_("N") },
    { "force", 'f', 0, G_OPTION_ARG_NONE, &force,
      N_("Replace an existing database"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(GString) summary = NULL;
  const BqEntityType * const *types;
  BqDemoOptions options;
  GStatBuf st;
  guint n_types = 0;
  int status = EXIT_OK;

  if (!bq_cli_parse_options ("demo", NULL,
                             _("Write a deterministic demo network (sites, lines, products, "
                               "centres, lanes, forecasts, runs, users) into a new database."),
                             _("With --start the network depends only on --seed, --start and "
                               "--weeks; without it, runs before today are done."),
                             entries, &args, &status))
    return status;

  if (g_strv_length (args) > 1)
    {
      g_autofree char *message =
        g_strdup_printf (_("Unexpected argument “%s”; the database is given with --out FILE"), args[1]);
      return bq_cli_fail_usage ("demo", message);
    }
  if (out == NULL || out[0] == '\0')
    return bq_cli_fail_usage ("demo", _("Missing --out FILE"));

  bq_demo_options_init_default (&options);

  if (seed_text != NULL)
    {
      guint64 seed = 0;
      if (!g_ascii_string_to_unsigned (seed_text, 10, 0, G_MAXUINT32, &seed, &error))
        return bq_cli_fail (EXIT_USAGE, _("--seed: %s"), error->message);
      options.seed = (guint32) seed;
    }
  if (weeks_text != NULL)
    {
      guint64 weeks = 0;
      if (!g_ascii_string_to_unsigned (weeks_text, 10, 1, 520, &weeks, &error))
        return bq_cli_fail (EXIT_USAGE, _("--weeks: %s"), error->message);
      options.weeks = (guint) weeks;
    }
  if (start_text != NULL)
    {
      gint64 start = 0;
      if (!bq_units_parse_time (start_text, &start, &error))
        return bq_cli_fail (EXIT_USAGE, _("--start: %s"), error->message);
      options.start = bq_demo_week_start (start);
      /* Deterministic: "now" follows the start, not the wall clock. */
      options.now = BQ_TIME_UNSET;
    }

  if (g_stat (out, &st) == 0)
    {
      if (S_ISDIR (st.st_mode))
        return bq_cli_fail (EXIT_FAILED, _("“%s” is a directory"), out);
      if (st.st_size > 0 && !force)
        return bq_cli_fail (EXIT_FAILED, _("“%s” already exists; use --force to replace it"), out);
    }
  if ((force || g_file_test (out, G_FILE_TEST_EXISTS)) && !remove_database (out, &error))
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  store = bq_store_open (out, &error);
  if (store == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  if (!bq_demo_generate (store, &options, &error))
    {
      g_autoptr(GError) remove_error = NULL;

      /* Leave no half-filled database that would need --force next time. */
      g_clear_object (&store);
      remove_database (out, &remove_error);
      return bq_cli_fail (EXIT_FAILED, "%s", error->message);
    }

  summary = g_string_new (NULL);
  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      gint64 count = bq_store_count (store, types[i], &error);

      if (count < 0 || error != NULL)
        return bq_cli_fail (EXIT_FAILED, "%s", error != NULL ? error->message : types[i]->plural);
      g_string_append_printf (summary, "%s%" G_GINT64_FORMAT " %s",
                              i > 0 ? ", " : "", count, types[i]->plural);
    }

  /* TRANSLATORS: "Wrote demo.db: 4 sites, 9 lines, … (revision 1234)" */
  g_print (_("Wrote %s: %s (revision %" G_GINT64_FORMAT ")\n"),
           out, summary->str, bq_store_get_revision (store));
  return EXIT_OK;
}

/* ---------------------------------------------------------------- inspect */

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return g_strcmp0 (*(const char * const *) a, *(const char * const *) b);
}

static char *
format_date (gint64 unix_utc)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_utc);

  if (dt == NULL)
    return g_strdup ("?");
  return g_date_time_format (dt, "%Y-%m-%d");
}

static int
cmd_inspect (char **args)
{
  gboolean json = FALSE;
  const GOptionEntry entries[] = {
    { "json", 'j', 0, G_OPTION_ARG_NONE, &json, N_("Print one JSON object"), NULL },
    { NULL }
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(GPtrArray) sites = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GHashTable) regions = NULL;
  g_autofree gint64 *counts = NULL;
  g_autofree gint64 *runs_by_status = NULL;
  g_autofree const char **region_names = NULL;
  const BqEntityType * const *types;
  const BqField *status_field;
  const char *path;
  guint n_statuses = 0;
  guint n_types = 0;
  guint n_regions = 0;
  gint64 first_run = G_MAXINT64;
  gint64 last_run = G_MININT64;
  GStatBuf st;
  int status = EXIT_OK;

  if (!bq_cli_parse_options ("inspect", _("FILE"),
                             _("Summarise a database: schema, revision, counts, sites and "
                               "lines, products, runs and centres."),
                             NULL, entries, &args, &status))
    return status;

  if (g_strv_length (args) < 2)
    return bq_cli_fail_usage ("inspect", _("Missing FILE"));
  if (g_strv_length (args) > 2)
    return bq_cli_fail_usage ("inspect", _("Too many arguments"));
  path = args[1];

  /* Opening would create an empty database for a mistyped name. */
  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    return bq_cli_fail (EXIT_FAILED, _("“%s”: no such file"), path);
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR))
    return bq_cli_fail (EXIT_FAILED, _("“%s” is not a regular file"), path);
  if (g_stat (path, &st) == 0 && st.st_size == 0)
    return bq_cli_fail (EXIT_FAILED, _("“%s” is empty, not a Becquerel database"), path);

  store = bq_store_open (path, &error);
  if (store == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error->message);

  types = bq_entity_types (&n_types);
  counts = g_new0 (gint64, n_types);
  for (guint i = 0; i < n_types; i++)
    {
      counts[i] = bq_store_count (store, types[i], &error);
      if (error != NULL)
        return bq_cli_fail (EXIT_FAILED, "%s", error->message);
    }

  sites = bq_store_list (store, &bq_site_type, &error);
  if (sites != NULL)
    lines = bq_store_list (store, &bq_line_type, &error);
  if (lines != NULL)
    products = bq_store_list (store, &bq_product_type, &error);
  if (products != NULL)
    runs = bq_store_list (store, &bq_run_type, &error);
  if (runs != NULL)
    centres = bq_store_list (store, &bq_centre_type, &error);
  if (centres == NULL)
    return bq_cli_fail (EXIT_FAILED, "%s", error != NULL ? error->message : _("Cannot read the database"));

  status_field = bq_entity_type_get_field (&bq_run_type, "status");
  g_assert (status_field != NULL && status_field->enum_nicks != NULL);
  n_statuses = g_strv_length ((char **) status_field->enum_nicks);
  runs_by_status = g_new0 (gint64, n_statuses);
  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);

      if (run->status >= 0 && (guint) run->status < n_statuses)
        runs_by_status[run->status]++;
      first_run = MIN (first_run, run->start_time);
      last_run = MAX (last_run, run->start_time);
    }

  regions = g_hash_table_new (g_str_hash, g_str_equal);
  for (guint i = 0; i < centres->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, i);
      const char *region = centre->region != NULL ? centre->region : "unknown";
      gpointer count = g_hash_table_lookup (regions, region);

      g_hash_table_insert (regions, (gpointer) region, GUINT_TO_POINTER (GPOINTER_TO_UINT (count) + 1));
    }
  region_names = (const char **) g_hash_table_get_keys_as_array (regions, &n_regions);
  qsort (region_names, n_regions, sizeof (char *), compare_strings);

  if (json)
    {
      g_autoptr(JsonBuilder) builder = json_builder_new ();

      json_builder_begin_object (builder);
      bq_json_add_string_member (builder, "path", path);
      bq_json_add_int_member (builder, "schema_version", bq_store_get_schema_version (store));
      bq_json_add_int_member (builder, "revision", bq_store_get_revision (store));

      json_builder_set_member_name (builder, "counts");
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_types; i++)
        bq_json_add_int_member (builder, types[i]->plural, counts[i]);
      json_builder_end_object (builder);

      json_builder_set_member_name (builder, "sites");
      json_builder_begin_array (builder);
      for (guint i = 0; i < sites->len; i++)
        {
          const BqSite *site = g_ptr_array_index (sites, i);

          json_builder_begin_object (builder);
          bq_json_add_string_member (builder, "id", site->base.id);
          bq_json_add_string_member (builder, "name", site->name);
          bq_json_add_string_member (builder, "organisation", site->organisation);
          bq_json_add_string_member (builder, "city", site->city);
          bq_json_add_string_member (builder, "country", site->country);
          json_builder_set_member_name (builder, "lines");
          json_builder_begin_array (builder);
          for (guint j = 0; j < lines->len; j++)
            {
              const BqLine *line = g_ptr_array_index (lines, j);

              if (g_strcmp0 (line->site_id, site->base.id) != 0)
                continue;
              json_builder_begin_object (builder);
              bq_json_add_string_member (builder, "id", line->base.id);
              bq_json_add_string_member (builder, "name", line->name);
              json_builder_end_object (builder);
            }
          json_builder_end_array (builder);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "products");
      json_builder_begin_array (builder);
      for (guint i = 0; i < products->len; i++)
        {
          const BqProduct *product = g_ptr_array_index (products, i);

          json_builder_begin_object (builder);
          bq_json_add_string_member (builder, "id", product->base.id);
          bq_json_add_string_member (builder, "name", product->name);
          bq_json_add_string_member (builder, "nuclide", product->nuclide);
          add_double (builder, "dose_activity_bq", product->dose_activity_bq);
          json_builder_end_object (builder);
        }
      json_builder_end_array (builder);

      json_builder_set_member_name (builder, "runs");
      json_builder_begin_object (builder);
      bq_json_add_int_member (builder, "count", runs->len);
      if (runs->len > 0)
        {
          g_autofree char *first_s = bq_units_format_time (first_run);
          g_autofree char *last_s = bq_units_format_time (last_run);

          bq_json_add_string_member (builder, "first_start", first_s);
          bq_json_add_string_member (builder, "last_start", last_s);
        }
      else
        {
          bq_json_add_string_member (builder, "first_start", NULL);
          bq_json_add_string_member (builder, "last_start", NULL);
        }
      json_builder_set_member_name (builder, "by_status");
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_statuses; i++)
        bq_json_add_int_member (builder, status_field->enum_nicks[i], runs_by_status[i]);
      json_builder_end_object (builder);
      json_builder_end_object (builder);

      json_builder_set_member_name (builder, "centres_by_region");
      json_builder_begin_object (builder);
      for (guint i = 0; i < n_regions; i++)
        bq_json_add_int_member (builder, region_names[i],
                                GPOINTER_TO_UINT (g_hash_table_lookup (regions, region_names[i])));
      json_builder_end_object (builder);

      json_builder_end_object (builder);
      print_json (builder);
      return EXIT_OK;
    }

  {
    g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func ((GDestroyNotify) g_strfreev);

    g_print (_("Database:  %s\n"), path);
    g_print (_("Schema:    version %d\n"), bq_store_get_schema_version (store));
    g_print (_("Revision:  %" G_GINT64_FORMAT "\n"), bq_store_get_revision (store));

    g_print ("\n%s\n", _("Entities:"));
    for (guint i = 0; i < n_types; i++)
      {
        g_autofree char *count_s = g_strdup_printf ("%" G_GINT64_FORMAT, counts[i]);
        g_autofree char *indented = g_strconcat ("  ", types[i]->plural, NULL);

        add_row (rows, indented, count_s, NULL);
      }
    print_table (rows, 2);

    g_print ("\n%s\n", _("Sites:"));
    for (guint i = 0; i < sites->len; i++)
      {
        const BqSite *site = g_ptr_array_index (sites, i);
        g_autoptr(GString) names = g_string_new (NULL);

        for (guint j = 0; j < lines->len; j++)
          {
            const BqLine *line = g_ptr_array_index (lines, j);

            if (g_strcmp0 (line->site_id, site->base.id) != 0)
              continue;
            g_string_append_printf (names, "%s%s", names->len > 0 ? ", " : "", line->name);
          }
        g_print ("  %s (%s, %s, %s)\n", site->name,
                 site->organisation != NULL ? site->organisation : "?",
                 site->city != NULL ? site->city : "?",
                 site->country != NULL ? site->country : "?");
        g_print (_("    lines: %s\n"), names->len > 0 ? names->str : _("none"));
      }

    g_print ("\n%s\n", _("Products:"));
    for (guint i = 0; i < products->len; i++)
      {
        const BqProduct *product = g_ptr_array_index (products, i);
        g_autofree char *dose = bq_units_format_activity (product->dose_activity_bq,
                                                          BQ_ACTIVITY_UNIT_AUTO);

        g_print ("  %s (%s, %s)\n", product->name, product->nuclide, dose);
      }

    g_print ("\n");
    if (runs->len > 0)
      {
        g_autofree char *first_s = format_date (first_run);
        g_autofree char *last_s = format_date (last_run);

        g_print (_("Runs:      %u, starting %s to %s\n"), runs->len, first_s, last_s);
      }
    else
      g_print ("%s\n", _("Runs:      none"));

    g_ptr_array_set_size (rows, 0);
    for (guint i = 0; i < n_statuses; i++)
      {
        g_autofree char *count_s = NULL;
        g_autofree char *indented = NULL;

        if (runs_by_status[i] == 0)
          continue;
        count_s = g_strdup_printf ("%" G_GINT64_FORMAT, runs_by_status[i]);
        indented = g_strconcat ("  ", status_field->enum_nicks[i], NULL);
        add_row (rows, indented, count_s, NULL);
      }
    print_table (rows, 2);

    g_print ("\n%s\n", _("Centres by region:"));
    g_ptr_array_set_size (rows, 0);
    for (guint i = 0; i < n_regions; i++)
      {
        g_autofree char *count_s =
          g_strdup_printf ("%u", GPOINTER_TO_UINT (g_hash_table_lookup (regions, region_names[i])));
        g_autofree char *indented = g_strconcat ("  ", region_names[i], NULL);

        add_row (rows, indented, count_s, NULL);
      }
    print_table (rows, 2);
  }

  return EXIT_OK;
}

/* ------------------------------------------------------------------- main */

typedef struct {
  const char *name;
  int       (*run) (char **args);
  const char *summary;
} Command;

static const Command commands[] = {
  { "decay", cmd_decay,
    N_("Activity after a time, activity needed now, or time to reach a level") },
  { "demo", cmd_demo,
    N_("Write a demo network into a new database") },
  { "inspect", cmd_inspect,
    N_("Summarise a database") },
  { "route", bq_cli_route, N_("Good routes from a site to a centre, with activity") },
  { "network", bq_cli_network, N_("The distribution network, as text or GeoJSON") },
  { "plan", bq_cli_plan, N_("Propose runs for the forecasts; --apply to accept") },
  { "capacity", bq_cli_capacity, N_("Capacity of the plan against demand per week") },
  { "slots", bq_cli_slots, N_("A centre's slot calendar: doses left and cut-offs") },
  { "book", bq_cli_book, N_("Rank the feasible slots for a patient order and book the best") },
};

static void
print_usage (void)
{
  g_print ("%s\n  %s %s\n\n%s\n", _("Usage:"), PROGRAM_NAME, _("COMMAND [OPTION…]"), _("Commands:"));
  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    g_print ("  %-10s%s\n", commands[i].name, _(commands[i].summary));
  g_print ("\n%s\n", _("Options:"));
  g_print ("  %-16s%s\n", "-h, --help", _("Show this help"));
  g_print ("  %-16s%s\n", "--version", _("Show the version"));
  g_print ("\n");
  g_print (_("Run “%s COMMAND --help” for the options of a command.\n"), PROGRAM_NAME);
}

int
main (int   argc,
      char *argv[])
{
  g_auto(GStrv) args = NULL;
  const char *name;

  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);
  g_set_prgname (PROGRAM_NAME);

  if (argc < 2)
    return bq_cli_fail_usage (NULL, _("Missing command"));

  name = argv[1];
  if (g_str_equal (name, "--help") || g_str_equal (name, "-h") || g_str_equal (name, "-?"))
    {
      print_usage ();
      return EXIT_OK;
    }
  if (g_str_equal (name, "--version") || g_str_equal (name, "-V"))
    {
      g_print ("%s %s\n", PROGRAM_NAME, PACKAGE_VERSION);
      return EXIT_OK;
    }

  /* "becquerel-cli help decay" is "becquerel-cli decay --help". */
  if (g_str_equal (name, "help"))
    {
      if (argc == 2)
        {
          print_usage ();
          return EXIT_OK;
        }
      name = argv[2];
      for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
        if (g_str_equal (name, commands[i].name))
          {
            char *help_args[] = { (char *) name, (char *) "--help", NULL };
            args = g_strdupv (help_args);
            return commands[i].run (args);
          }
      return bq_cli_fail_usage (NULL, _("Unknown command"));
    }

  for (guint i = 0; i < G_N_ELEMENTS (commands); i++)
    if (g_str_equal (name, commands[i].name))
      {
        int status;

        args = g_strdupv (argv + 1);
        status = commands[i].run (args);
        return status;
      }

  if (name[0] == '-')
    {
      g_autofree char *message = g_strdup_printf (_("Unknown option “%s”"), name);
      return bq_cli_fail_usage (NULL, message);
    }
  else
    {
      g_autofree char *message = g_strdup_printf (_("Unknown command “%s”"), name);
      return bq_cli_fail_usage (NULL, message);
    }
}
