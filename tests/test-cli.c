/* test-cli.c — becquerel-cli, run as a separate process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * $BECQUEREL_CLI names the binary under test.  Results are compared with
 * the core library called in-process, so the CLI adds no arithmetic of its
 * own.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-test-cli.h"

/* The whole of stdout is one JSON object on one line. */
static JsonObject *
parse_json_object (const CliResult *result)
{
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;
  JsonNode *root;

  bq_test_cli_assert_success (result);
  g_assert_cmpuint (bq_test_count_lines (result->out), ==, 1);
  if (!json_parser_load_from_data (parser, result->out, -1, &error))
    g_error ("not JSON (%s): %s", error->message, result->out);
  root = json_parser_get_root (parser);
  g_assert_nonnull (root);
  g_assert_cmpint (json_node_get_node_type (root), ==, JSON_NODE_OBJECT);
  return json_object_ref (json_node_get_object (root));
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

/* @object has exactly the members in @expected (NULL-terminated). */
static void
assert_keys (JsonObject          *object,
             const char * const  *expected)
{
  g_autoptr(GList) members = json_object_get_members (object);
  g_autoptr(GPtrArray) have = g_ptr_array_new ();
  g_autoptr(GPtrArray) want = g_ptr_array_new ();
  g_autofree char *have_s = NULL;
  g_autofree char *want_s = NULL;

  for (GList *l = members; l != NULL; l = l->next)
    g_ptr_array_add (have, l->data);
  for (guint i = 0; expected[i] != NULL; i++)
    g_ptr_array_add (want, (gpointer) expected[i]);
  g_ptr_array_sort (have, compare_strings);
  g_ptr_array_sort (want, compare_strings);
  g_ptr_array_add (have, NULL);
  g_ptr_array_add (want, NULL);

  have_s = g_strjoinv (",", (char **) have->pdata);
  want_s = g_strjoinv (",", (char **) want->pdata);
  g_assert_cmpstr (have_s, ==, want_s);
}

static void
assert_close (double expected,
              double actual)
{
  if (fabs (expected - actual) > 1e-9 * fabs (expected) + 1e-300)
    g_error ("expected %.17g, got %.17g", expected, actual);
}

/* activities_bq in the JSON agrees, member for member and in order, with
 * bq_decay_inventory in-process. */
static void
assert_inventory_matches (JsonObject        *activities,
                          const BqInventory *expected)
{
  g_autoptr(GList) members = json_object_get_members (activities);
  guint n = bq_inventory_get_n_items (expected);
  GList *l = members;

  g_assert_cmpuint (g_list_length (members), ==, n);
  for (guint i = 0; i < n; i++, l = l->next)
    {
      double bq = 0.0;
      const BqNuclide *nuclide = bq_inventory_nth (expected, i, &bq);

      g_assert_cmpstr (l->data, ==, nuclide->name);
      assert_close (bq, json_object_get_double_member (activities, nuclide->name));
    }
}

static const BqNuclide *
lookup (const char *name)
{
  g_autoptr(GError) error = NULL;
  const BqNuclide *nuclide = bq_nuclide_lookup (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (nuclide);
  return nuclide;
}

static BqInventory *
single (const char *name,
        double      bq)
{
  BqInventory *inventory = bq_inventory_new ();

  bq_inventory_add (inventory, lookup (name), bq);
  return inventory;
}

/* ------------------------------------------------------------- top level */

static void
test_version (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("--version");

  bq_test_cli_assert_success (r);
  g_assert_nonnull (strstr (r->out, PACKAGE_VERSION));
}

static void
test_help (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("--help");

  bq_test_cli_assert_success (r);
  g_assert_nonnull (strstr (r->out, "decay"));
  g_assert_nonnull (strstr (r->out, "demo"));
  g_assert_nonnull (strstr (r->out, "inspect"));
}

static void
test_command_help (void)
{
  static const char * const cases[][2] = {
    { "decay", "--after" },
    { "demo", "--force" },
    { "inspect", "--json" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CliResult) r = bq_test_run_cli (cases[i][0], "--help");
      g_autoptr(CliResult) h = bq_test_run_cli ("help", cases[i][0]);

      bq_test_cli_assert_success (r);
      g_assert_nonnull (strstr (r->out, cases[i][1]));
      bq_test_cli_assert_success (h);
      g_assert_cmpstr (h->out, ==, r->out);
    }
}

static void
test_usage_errors (void)
{
  g_autoptr(CliResult) none = bq_test_run_cli_argv ((const char * const []) { NULL });
  g_autoptr(CliResult) unknown = bq_test_run_cli ("frobnicate");
  g_autoptr(CliResult) option = bq_test_run_cli ("--frobnicate");

  bq_test_cli_assert_failure (none, 2);
  bq_test_cli_assert_failure (unknown, 2);
  g_assert_nonnull (strstr (unknown->err, "frobnicate"));
  bq_test_cli_assert_failure (option, 2);
}

/* ------------------------------------------------------------------ decay */

static void
test_decay_json_single (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Lu-177", "7.4GBq", "--after", "2d18h", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) initial = single ("Lu-177", 7.4e9);
  g_autoptr(BqInventory) expected = NULL;
  g_autoptr(GError) error = NULL;
  const double elapsed = 2 * 86400.0 + 18 * 3600.0;

  assert_keys (o, (const char * const []) {
    "nuclide", "elapsed_s", "initial_activity_bq", "activities_bq", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "nuclide"), ==, "Lu-177");
  g_assert_cmpfloat (json_object_get_double_member (o, "elapsed_s"), ==, elapsed);
  g_assert_cmpfloat (json_object_get_double_member (o, "initial_activity_bq"), ==, 7.4e9);

  expected = bq_decay_inventory (initial, elapsed, BQ_DECAY_STARTING_ONLY, &error);
  g_assert_no_error (error);
  assert_inventory_matches (json_object_get_object_member (o, "activities_bq"), expected);
  assert_close (bq_decay_activity_at (lookup ("Lu-177"), 7.4e9, elapsed),
                json_object_get_double_member (json_object_get_object_member (o, "activities_bq"),
                                               "Lu-177"));
}

static void
test_decay_json_no_after (void)
{
  /* Other spellings of the nuclide give the canonical name back. */
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "177lu", "200 mCi", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  JsonObject *activities;

  g_assert_cmpstr (json_object_get_string_member (o, "nuclide"), ==, "Lu-177");
  g_assert_cmpfloat (json_object_get_double_member (o, "elapsed_s"), ==, 0.0);
  g_assert_cmpfloat (json_object_get_double_member (o, "initial_activity_bq"), ==, 200 * 3.7e7);
  activities = json_object_get_object_member (o, "activities_bq");
  g_assert_cmpuint (json_object_get_size (activities), ==, 1);
  assert_close (200 * 3.7e7, json_object_get_double_member (activities, "Lu-177"));
}

static void
test_decay_json_chain (void)
{
  static const char * const members[] = {
    "Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209",
  };
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Ac-225", "10MBq", "--chain", "--after", "24h", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) initial = single ("Ac-225", 1e7);
  g_autoptr(BqInventory) expected = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *activities;

  assert_keys (o, (const char * const []) {
    "nuclide", "elapsed_s", "initial_activity_bq", "activities_bq", NULL });
  g_assert_cmpstr (json_object_get_string_member (o, "nuclide"), ==, "Ac-225");
  g_assert_cmpint (json_object_get_int_member (o, "elapsed_s"), ==, 86400);
  g_assert_cmpfloat (json_object_get_double_member (o, "initial_activity_bq"), ==, 1e7);

  activities = json_object_get_object_member (o, "activities_bq");
  for (guint i = 0; i < G_N_ELEMENTS (members); i++)
    {
      if (!json_object_has_member (activities, members[i]))
        g_error ("%s is missing from the chain", members[i]);
      g_assert_cmpfloat (json_object_get_double_member (activities, members[i]), >, 0.0);
    }

  expected = bq_decay_inventory (initial, 86400.0, BQ_DECAY_WHOLE_CHAIN, &error);
  g_assert_no_error (error);
  assert_inventory_matches (activities, expected);
}

static void
test_decay_json_starting_only (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Ac-225", "10MBq", "--after", "24h", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) initial = single ("Ac-225", 1e7);
  g_autoptr(BqInventory) expected = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *activities = json_object_get_object_member (o, "activities_bq");

  g_assert_cmpuint (json_object_get_size (activities), ==, 1);
  g_assert_true (json_object_has_member (activities, "Ac-225"));
  expected = bq_decay_inventory (initial, 86400.0, BQ_DECAY_STARTING_ONLY, &error);
  g_assert_no_error (error);
  assert_inventory_matches (activities, expected);
}

static void
test_decay_json_mixture (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Lu-177=7.4GBq,Lu-177m=1.48MBq", "--after", "3d", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) initial = NULL;
  g_autoptr(BqInventory) expected = NULL;
  g_autoptr(GError) error = NULL;
  JsonObject *initials;

  /* No "nuclide" for a mixture of several. */
  assert_keys (o, (const char * const []) {
    "elapsed_s", "initial_activity_bq", "initial_activities_bq", "activities_bq", NULL });
  g_assert_cmpint (json_object_get_int_member (o, "elapsed_s"), ==, 3 * 86400);
  assert_close (7.4e9 + 1.48e6, json_object_get_double_member (o, "initial_activity_bq"));

  initials = json_object_get_object_member (o, "initial_activities_bq");
  g_assert_cmpuint (json_object_get_size (initials), ==, 2);
  assert_close (7.4e9, json_object_get_double_member (initials, "Lu-177"));
  assert_close (1.48e6, json_object_get_double_member (initials, "Lu-177m"));

  initial = bq_inventory_parse ("Lu-177=7.4GBq,Lu-177m=1.48MBq", &error);
  g_assert_no_error (error);
  expected = bq_decay_inventory (initial, 3 * 86400.0, BQ_DECAY_STARTING_ONLY, &error);
  g_assert_no_error (error);
  assert_inventory_matches (json_object_get_object_member (o, "activities_bq"), expected);
}

static void
test_decay_json_need (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Lu-177", "--need", "7.4GBq", "--after", "2d18h", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) nominal = single ("Lu-177", 1.0);
  g_autoptr(GError) error = NULL;
  const double elapsed = 2 * 86400.0 + 18 * 3600.0;
  double required = 0.0;
  JsonObject *activities;

  assert_keys (o, (const char * const []) {
    "nuclide", "elapsed_s", "initial_activity_bq", "activities_bq",
    "required_initial_activity_bq", NULL });
  g_assert_true (bq_decay_required_initial (nominal, 7.4e9, elapsed, BQ_DECAY_STARTING_ONLY,
                                            &required, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (required, >, 7.4e9);
  assert_close (required, json_object_get_double_member (o, "required_initial_activity_bq"));
  /* Without a starting activity the report is of the required amount. */
  assert_close (required, json_object_get_double_member (o, "initial_activity_bq"));
  activities = json_object_get_object_member (o, "activities_bq");
  assert_close (7.4e9, json_object_get_double_member (activities, "Lu-177"));
}

static void
test_decay_json_until (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "F-18", "10GBq", "--until", "500MBq", "--json");
  g_autoptr(JsonObject) o = parse_json_object (r);
  g_autoptr(BqInventory) initial = single ("F-18", 10e9);
  g_autoptr(GError) error = NULL;
  double t = 0.0;

  assert_keys (o, (const char * const []) {
    "nuclide", "elapsed_s", "initial_activity_bq", "activities_bq", "time_to_reach_s", NULL });
  g_assert_true (bq_decay_time_to_reach (initial, 500e6, BQ_DECAY_STARTING_ONLY, &t, &error));
  g_assert_no_error (error);
  assert_close (t, json_object_get_double_member (o, "time_to_reach_s"));
  /* log2(20) half-lives of about 110 min */
  g_assert_cmpfloat (t, >, 7 * 3600.0);
  g_assert_cmpfloat (t, <, 9 * 3600.0);
}

static void
test_decay_human (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Lu-177", "7.4GBq", "--after", "2d18h");
  g_autoptr(CliResult) mix = bq_test_run_cli ("decay", "Lu-177=7.4GBq,Lu-177m=1.48MBq", "--after", "3d");
  g_autoptr(CliResult) mci = bq_test_run_cli ("decay", "Lu-177", "200mCi", "--unit", "mCi");

  bq_test_cli_assert_success (r);
  g_assert_nonnull (strstr (r->out, "Lu-177"));
  g_assert_nonnull (strstr (r->out, "7.40 GBq"));
  g_assert_nonnull (strstr (r->out, "2 d 18 h"));

  bq_test_cli_assert_success (mix);
  g_assert_nonnull (strstr (mix->out, "Lu-177m"));
  g_assert_nonnull (strstr (mix->out, "1.48 MBq"));

  bq_test_cli_assert_success (mci);
  g_assert_nonnull (strstr (mci->out, "200 mCi"));
}

static void
test_decay_human_need_until (void)
{
  g_autoptr(CliResult) need = bq_test_run_cli ("decay", "Lu-177", "--need", "7.4GBq", "--after", "2d18h");
  g_autoptr(CliResult) until = bq_test_run_cli ("decay", "F-18", "10GBq", "--until", "500MBq");
  g_autoptr(BqInventory) nominal = single ("Lu-177", 1.0);
  g_autofree char *required_s = NULL;
  g_autofree char *expected = NULL;
  double required = 0.0;

  g_assert_true (bq_decay_required_initial (nominal, 7.4e9, 2 * 86400.0 + 18 * 3600.0,
                                            BQ_DECAY_STARTING_ONLY, &required, NULL));
  required_s = bq_units_format_activity (required, BQ_ACTIVITY_UNIT_AUTO);
  expected = g_strdup_printf ("Required now: %s (to have 7.40 GBq after 2 d 18 h)\n", required_s);

  bq_test_cli_assert_success (need);
  g_assert_cmpstr (need->out, ==, expected);

  bq_test_cli_assert_success (until);
  g_assert_nonnull (strstr (until->out, "500 MBq"));
  g_assert_nonnull (strstr (until->out, " h "));
}

static void
test_decay_bad_input (void)
{
  static const struct {
    const char *args[8];
    int         status;
  } cases[] = {
    { { "decay", NULL }, 2 },
    { { "decay", "Lu-177", NULL }, 2 },                      /* missing activity */
    { { "decay", "Lu-178", "7.4GBq", NULL }, 2 },            /* unknown nuclide */
    { { "decay", "Lu-177", "7.4", NULL }, 2 },               /* missing unit */
    { { "decay", "Lu-177", "7.4 GBqx", NULL }, 2 },
    { { "decay", "Lu-177", "7,4GBq", NULL }, 2 },
    { { "decay", "Lu-177", "-1GBq", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "-.5h", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--after", "-1h", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--after=-1h", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--after", "1.5", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--after", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--unit", "mBq", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--need", "1GBq", "--until", "1MBq", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--need", "-1GBq", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--json", "--until", "lots", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "--bogus", NULL }, 2 },
    { { "decay", "Lu-177", "1GBq", "extra", NULL }, 2 },
    { { "decay", "Lu-177=1GBq,Xx-999=1MBq", NULL }, 2 },
    { { "decay", "Lu-177=1GBq", "1GBq", NULL }, 2 },
    { { "decay", "Lu-177=", NULL }, 2 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(CliResult) r = bq_test_run_cli_argv (cases[i].args);
      g_autofree char *joined = g_strjoinv (" ", (char **) cases[i].args);

      g_autofree char *err = g_strchomp (g_strdup (r->err));

      g_test_message ("becquerel-cli %s → %d: %s", joined, r->status, err);
      bq_test_cli_assert_failure (r, cases[i].status);
    }
}

static void
test_decay_bad_input_messages (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("decay", "Lu-178", "7.4GBq", "--json");

  g_autoptr(CliResult) negative = bq_test_run_cli ("decay", "Lu-177", "-1GBq");

  bq_test_cli_assert_failure (r, 2);
  g_assert_nonnull (strstr (r->err, "Lu-178"));
  g_assert_nonnull (strstr (r->err, "did you mean"));

  bq_test_cli_assert_failure (negative, 2);
  g_assert_nonnull (strstr (negative->err, "negative"));
}

/* ------------------------------------------------------------ demo/inspect */

typedef struct {
  char *dir;
  char *db;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->dir = g_dir_make_tmp ("becquerel-cli-XXXXXX", &error);
  g_assert_no_error (error);
  f->db = g_build_filename (f->dir, "demo.db", NULL);
}

static void
remove_tree (const char *path)
{
  if (g_file_test (path, G_FILE_TEST_IS_DIR) && !g_file_test (path, G_FILE_TEST_IS_SYMLINK))
    {
      g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
      const char *name;

      while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
        {
          g_autofree char *child = g_build_filename (path, name, NULL);
          remove_tree (child);
        }
      g_rmdir (path);
    }
  else
    g_unlink (path);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->db);
}

static CliResult *
make_demo (Fixture    *f,
           const char *extra)
{
  return bq_test_run_cli ("demo", "--out", f->db, "--seed", "7", "--start", "2026-01-07",
                          "--weeks", "4", extra);
}

static gint64
sum_members (JsonObject *object)
{
  g_autoptr(GList) members = json_object_get_members (object);
  gint64 sum = 0;

  for (GList *l = members; l != NULL; l = l->next)
    sum += json_object_get_int_member (object, l->data);
  return sum;
}

static void
test_demo_inspect (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(CliResult) demo = make_demo (f, NULL);
  g_autoptr(CliResult) inspect = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autoptr(JsonObject) o = NULL;
  JsonObject *counts;
  JsonObject *runs;
  JsonArray *sites;
  JsonArray *products;
  gint64 centres;
  gboolean lu = FALSE, ac = FALSE;

  bq_test_cli_assert_success (demo);
  g_assert_cmpuint (bq_test_count_lines (demo->out), ==, 1);
  g_assert_true (g_file_test (f->db, G_FILE_TEST_IS_REGULAR));

  inspect = bq_test_run_cli ("inspect", f->db, "--json");
  o = parse_json_object (inspect);

  g_assert_cmpint (json_object_get_int_member (o, "schema_version"), >=, 1);
  g_assert_cmpint (json_object_get_int_member (o, "revision"), >, 0);

  counts = json_object_get_object_member (o, "counts");
  centres = json_object_get_int_member (counts, "centres");
  g_assert_cmpint (centres, >=, 50);
  g_assert_cmpint (centres, <=, 70);
  g_assert_cmpint (json_object_get_int_member (counts, "sites"), ==, 4);
  g_assert_cmpint (json_object_get_int_member (counts, "products"), ==, 2);
  g_assert_cmpint (json_object_get_int_member (counts, "runs"), >, 0);
  g_assert_cmpint (json_object_get_int_member (counts, "users"), >, 0);

  sites = json_object_get_array_member (o, "sites");
  g_assert_cmpuint (json_array_get_length (sites), ==, 4);
  for (guint i = 0; i < 4; i++)
    {
      JsonObject *site = json_array_get_object_element (sites, i);
      g_assert_cmpuint (json_array_get_length (json_object_get_array_member (site, "lines")), >, 0);
    }

  products = json_object_get_array_member (o, "products");
  g_assert_cmpuint (json_array_get_length (products), ==, 2);
  for (guint i = 0; i < 2; i++)
    {
      const char *nuclide = json_object_get_string_member (json_array_get_object_element (products, i),
                                                           "nuclide");
      lu = lu || g_strcmp0 (nuclide, "Lu-177") == 0;
      ac = ac || g_strcmp0 (nuclide, "Ac-225") == 0;
    }
  g_assert_true (lu && ac);

  runs = json_object_get_object_member (o, "runs");
  g_assert_cmpint (json_object_get_int_member (runs, "count"), ==,
                   json_object_get_int_member (counts, "runs"));
  g_assert_cmpint (sum_members (json_object_get_object_member (runs, "by_status")), ==,
                   json_object_get_int_member (counts, "runs"));
  g_assert_true (g_str_has_prefix (json_object_get_string_member (runs, "first_start"), "2026-01-"));
  g_assert_cmpint (sum_members (json_object_get_object_member (o, "centres_by_region")), ==, centres);

  human = bq_test_run_cli ("inspect", f->db);
  bq_test_cli_assert_success (human);
  g_assert_nonnull (strstr (human->out, "Sites:"));
  g_assert_nonnull (strstr (human->out, "Lu-177"));
}

static void
test_demo_refuses_overwrite (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(CliResult) first = make_demo (f, NULL);
  g_autoptr(CliResult) again = NULL;
  g_autoptr(CliResult) forced = NULL;
  g_autoptr(CliResult) a = NULL;
  g_autoptr(CliResult) b = NULL;
  g_autoptr(JsonObject) oa = NULL;
  g_autoptr(JsonObject) ob = NULL;
  GStatBuf before, after;

  bq_test_cli_assert_success (first);
  a = bq_test_run_cli ("inspect", f->db, "--json");
  oa = parse_json_object (a);
  g_assert_cmpint (g_stat (f->db, &before), ==, 0);

  again = make_demo (f, NULL);
  bq_test_cli_assert_failure (again, 1);
  g_assert_nonnull (strstr (again->err, "--force"));
  g_assert_cmpint (g_stat (f->db, &after), ==, 0);
  g_assert_cmpint (before.st_size, ==, after.st_size);

  /* --force replaces it, and the same seed and start give the same network. */
  forced = make_demo (f, "--force");
  bq_test_cli_assert_success (forced);
  g_assert_cmpstr (forced->out, ==, first->out);
  b = bq_test_run_cli ("inspect", f->db, "--json");
  ob = parse_json_object (b);
  g_assert_cmpint (json_object_get_int_member (oa, "revision"), ==,
                   json_object_get_int_member (ob, "revision"));
}

static void
test_demo_bad_input (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CliResult) no_out = bq_test_run_cli ("demo");
  g_autoptr(CliResult) weeks = bq_test_run_cli ("demo", "--out", f->db, "--weeks", "0");
  g_autoptr(CliResult) start = bq_test_run_cli ("demo", "--out", f->db, "--start", "2026-02-30");
  g_autoptr(CliResult) seed = bq_test_run_cli ("demo", "--out", f->db, "--seed", "abc");
  g_autoptr(CliResult) dir = bq_test_run_cli ("demo", "--out", f->dir);

  bq_test_cli_assert_failure (no_out, 2);
  bq_test_cli_assert_failure (weeks, 2);
  bq_test_cli_assert_failure (start, 2);
  bq_test_cli_assert_failure (seed, 2);
  bq_test_cli_assert_failure (dir, 1);
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

static void
test_inspect_missing_file (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("inspect", f->db);
  g_autoptr(CliResult) j = bq_test_run_cli ("inspect", f->db, "--json");
  g_autoptr(CliResult) none = bq_test_run_cli ("inspect");

  bq_test_cli_assert_failure (r, 1);
  bq_test_cli_assert_failure (j, 1);
  bq_test_cli_assert_failure (none, 2);
  /* A typo must not leave an empty database behind. */
  g_assert_false (g_file_test (f->db, G_FILE_TEST_EXISTS));
}

static void
test_inspect_not_a_database (Fixture       *f,
                             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(CliResult) r = NULL;

  g_file_set_contents (f->db, "this is not a database, just some text\n", -1, &error);
  g_assert_no_error (error);
  r = bq_test_run_cli ("inspect", f->db, "--json");
  bq_test_cli_assert_failure (r, 1);
}

/* ------------------------------------------------------------------ plan */

/* plan --json equals the planner called in-process; --apply writes it,
 * and planning again proposes nothing. */
static void
test_plan (Fixture       *f,
           gconstpointer  data)
{
  g_autoptr(CliResult) demo = make_demo (f, NULL);
  g_autoptr(CliResult) dry = NULL;
  g_autoptr(CliResult) applied = NULL;
  g_autoptr(CliResult) again = NULL;
  g_autoptr(CliResult) human = NULL;
  g_autoptr(CliResult) capacity = NULL;
  g_autoptr(JsonObject) dry_json = NULL;
  g_autoptr(JsonObject) applied_json = NULL;
  g_autoptr(JsonObject) again_json = NULL;
  g_autoptr(JsonObject) capacity_json = NULL;
  g_autoptr(GError) error = NULL;
  const char *args[] = { "--db", f->db, "--weeks", "4", "--from", "2026-01-12",
                         "--now", "2026-01-14T07:00:00Z" };
  guint n_changes;

  bq_test_cli_assert_success (demo);

  {
    g_autoptr(BqStore) store = bq_store_open (f->db, &error);
    g_autoptr(BqPlanner) planner = NULL;
    g_autoptr(BqPlan) plan = NULL;
    BqPlanOptions options;

    g_assert_no_error (error);
    bq_plan_options_init (&options);
    g_assert_true (bq_units_parse_time ("2026-01-12", &options.from, NULL));
    g_assert_true (bq_units_parse_time ("2026-01-14T07:00:00Z", &options.now, NULL));
    options.weeks = 4;
    planner = bq_planner_new (store, &options);
    plan = bq_planner_propose (planner, &error);
    g_assert_no_error (error);
    n_changes = bq_plan_get_n_changes (plan);
    g_assert_cmpuint (n_changes, >, 0);
  }

  dry = bq_test_run_cli ("plan", args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                         args[7], "--json");
  dry_json = parse_json_object (dry);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (dry_json, "changes")),
                    ==, n_changes);
  g_assert_false (json_object_get_boolean_member (dry_json, "applied"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (dry_json, "capacity")),
                    >, 0);

  human = bq_test_run_cli ("plan", args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                           args[7]);
  bq_test_cli_assert_success (human);
  g_assert_nonnull (strstr (human->out, "resized"));
  g_assert_nonnull (strstr (human->out, "Gap"));
  g_assert_nonnull (strstr (human->out, "--apply"));

  applied = bq_test_run_cli ("plan", args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                             args[7], "--json", "--apply");
  applied_json = parse_json_object (applied);
  g_assert_true (json_object_get_boolean_member (applied_json, "applied"));
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (applied_json, "changes")),
                    ==, n_changes);

  again = bq_test_run_cli ("plan", args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                           args[7], "--json");
  again_json = parse_json_object (again);
  g_assert_cmpuint (json_array_get_length (json_object_get_array_member (again_json, "changes")),
                    ==, 0);

  capacity = bq_test_run_cli ("capacity", args[0], args[1], args[2], args[3], args[4], args[5], args[6],
                              args[7], "--json");
  capacity_json = parse_json_object (capacity);
  g_assert_false (json_object_has_member (capacity_json, "changes"));
  g_assert_true (json_node_equal (json_object_get_member (capacity_json, "capacity"),
                                  json_object_get_member (again_json, "capacity")));
}

static void
test_plan_bad_input (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(CliResult) no_db = bq_test_run_cli ("plan", "--weeks", "4");
  g_autoptr(CliResult) weeks = bq_test_run_cli ("plan", "--db", f->db, "--weeks", "0");
  g_autoptr(CliResult) from = bq_test_run_cli ("plan", "--db", f->db, "--from", "next tuesday");
  g_autoptr(CliResult) missing = bq_test_run_cli ("plan", "--db", f->db);
  g_autoptr(CliResult) extra = bq_test_run_cli ("capacity", "--db", f->db, "surplus");

  bq_test_cli_assert_failure (no_db, 2);
  bq_test_cli_assert_failure (weeks, 2);
  bq_test_cli_assert_failure (from, 2);
  bq_test_cli_assert_failure (missing, 1);
  bq_test_cli_assert_failure (extra, 2);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/cli/version", test_version);
  g_test_add_func ("/cli/help", test_help);
  g_test_add_func ("/cli/help/commands", test_command_help);
  g_test_add_func ("/cli/usage-errors", test_usage_errors);
  g_test_add_func ("/cli/decay/json/single", test_decay_json_single);
  g_test_add_func ("/cli/decay/json/no-after", test_decay_json_no_after);
  g_test_add_func ("/cli/decay/json/chain", test_decay_json_chain);
  g_test_add_func ("/cli/decay/json/starting-only", test_decay_json_starting_only);
  g_test_add_func ("/cli/decay/json/mixture", test_decay_json_mixture);
  g_test_add_func ("/cli/decay/json/need", test_decay_json_need);
  g_test_add_func ("/cli/decay/json/until", test_decay_json_until);
  g_test_add_func ("/cli/decay/human", test_decay_human);
  g_test_add_func ("/cli/decay/human/need-until", test_decay_human_need_until);
  g_test_add_func ("/cli/decay/bad-input", test_decay_bad_input);
  g_test_add_func ("/cli/decay/bad-input/messages", test_decay_bad_input_messages);
  g_test_add ("/cli/demo/inspect", Fixture, NULL,
              fixture_set_up, test_demo_inspect, fixture_tear_down);
  g_test_add ("/cli/demo/refuses-overwrite", Fixture, NULL,
              fixture_set_up, test_demo_refuses_overwrite, fixture_tear_down);
  g_test_add ("/cli/demo/bad-input", Fixture, NULL,
              fixture_set_up, test_demo_bad_input, fixture_tear_down);
  g_test_add ("/cli/plan/json-apply-again", Fixture, NULL,
              fixture_set_up, test_plan, fixture_tear_down);
  g_test_add ("/cli/plan/bad-input", Fixture, NULL,
              fixture_set_up, test_plan_bad_input, fixture_tear_down);
  g_test_add ("/cli/inspect/missing-file", Fixture, NULL,
              fixture_set_up, test_inspect_missing_file, fixture_tear_down);
  g_test_add ("/cli/inspect/not-a-database", Fixture, NULL,
              fixture_set_up, test_inspect_not_a_database, fixture_tear_down);

  return g_test_run ();
}
