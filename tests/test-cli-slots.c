/* test-cli-slots.c — becquerel-cli slots and book, run as a process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"

typedef struct {
  int   status;
  char *out;
  char *err;
} CliResult;

static void
cli_result_free (CliResult *r)
{
  g_free (r->out);
  g_free (r->err);
  g_free (r);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

static CliResult *
run_cli_argv (const char * const *args)
{
  const char *cli = g_getenv ("BECQUEREL_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  CliResult *result = g_new0 (CliResult, 1);
  int wait_status = 0;

  if (cli == NULL)
    g_error ("BECQUEREL_CLI is not set");
  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT, NULL, NULL,
                     &result->out, &result->err, &wait_status, &error))
    g_error ("Cannot run %s: %s", cli, error->message);
  if (g_spawn_check_wait_status (wait_status, &error))
    result->status = 0;
  else if (error->domain == G_SPAWN_EXIT_ERROR)
    result->status = error->code;
  else
    g_error ("%s did not exit normally: %s", cli, error->message);
  return result;
}

#define run_cli(...) run_cli_argv ((const char * const []) { __VA_ARGS__, NULL })

static void
assert_success (const CliResult *r)
{
  if (r->status != 0 || r->err[0] != '\0')
    g_error ("expected success: exit %d, stdout «%s», stderr «%s»", r->status, r->out, r->err);
}

static void
assert_failure (const CliResult *r,
                int              status)
{
  const char *nl = strchr (r->err, '\n');

  if (r->status != status || r->out[0] != '\0' || nl == NULL || nl[1] != '\0' ||
      !g_str_has_prefix (r->err, "becquerel-cli: "))
    g_error ("expected failure %d with one line: exit %d, stdout «%s», stderr «%s»",
             status, r->status, r->out, r->err);
}

static char *db_path;

static void
make_db (void)
{
  g_autoptr(CliResult) r = run_cli ("demo", "-o", db_path, "--start", "2026-03-02");
  assert_success (r);
}

#define CENTRE "centre-cn-sha-fuscc"
#define NOW    "2026-03-17T07:00Z"

static void
test_slots_json (void)
{
  g_autoptr(CliResult) r = run_cli ("slots", "--db", db_path, "--centre", CENTRE,
                                    "--from", "2026-03-23", "--days", "7", "--now", NOW, "--json");
  g_autoptr(JsonNode) node = NULL;
  JsonArray *slots;

  assert_success (r);
  node = json_from_string (r->out, NULL);
  g_assert_nonnull (node);
  slots = json_object_get_array_member (json_node_get_object (node), "slots");
  g_assert_cmpuint (json_array_get_length (slots), >, 0);
  for (guint i = 0; i < json_array_get_length (slots); i++)
    {
      JsonObject *o = json_array_get_object_element (slots, i);

      g_assert_true (json_object_has_member (o, "remaining"));
      g_assert_true (json_object_has_member (o, "cutoff"));
    }
}

static void
test_book (void)
{
  g_autoptr(CliResult) dry = run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                      "--patient", "PT-9X1", "--activity", "7.4GBq",
                                      "--admin", "2026-03-26T09:00+01:00", "--window", "4h",
                                      "--now", NOW, "--dry-run");
  g_autoptr(CliResult) json = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *root, *order, *best;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqSlot) slot = NULL;
  g_autoptr(GError) error = NULL;
  const char *slot_id;
  gint64 claimed_before;

  assert_success (dry);
  g_assert_nonnull (strstr (dry->out, "needs ≥ 6.66"));
  g_assert_nonnull (strstr (dry->out, "Dry run"));

  json = run_cli ("book", "--db", db_path, "--centre", CENTRE, "--patient", "PT-9X2",
                  "--activity", "7.4GBq", "--admin", "2026-03-26T09:00+01:00", "--window", "4h",
                  "--now", NOW, "--json");
  assert_success (json);
  node = json_from_string (json->out, NULL);
  root = json_node_get_object (node);
  order = json_object_get_object_member (root, "order");
  best = json_array_get_object_element (
    json_object_get_array_member (json_object_get_object_member (root, "match"), "feasible"), 0);
  slot_id = json_object_get_string_member (order, "slot_id");
  g_assert_cmpstr (slot_id, ==, json_object_get_string_member (best, "slot_id"));
  claimed_before = json_object_get_int_member (best, "claimed");

  store = bq_store_open (db_path, &error);
  g_assert_no_error (error);
  slot = bq_store_get (store, &bq_slot_type, slot_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (slot->claimed, ==, claimed_before + 1);
}

static void
test_book_failures (void)
{
  g_autoptr(CliResult) name = run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                       "--patient", "Jane Doe", "--activity", "7.4GBq",
                                       "--admin", "2026-03-26T09:00+01:00", "--now", NOW);
  /* Far beyond the demo's runs: nothing is offered then. */
  g_autoptr(CliResult) none = run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                       "--patient", "PT-9X3", "--activity", "7.4GBq",
                                       "--admin", "2027-03-26T09:00+01:00", "--now", NOW);
  /* After the cut-off of every slot of that day. */
  g_autoptr(CliResult) late = run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                       "--patient", "PT-9X4", "--activity", "7.4GBq",
                                       "--admin", "2026-03-26T09:00+01:00",
                                       "--now", "2026-03-26T00:00Z");
  g_autoptr(CliResult) usage = run_cli ("book", "--db", db_path);

  assert_failure (name, 2);
  assert_failure (none, 1);
  g_assert_nonnull (strstr (none->err, "No slot can serve this order"));
  assert_failure (late, 1);
  g_assert_nonnull (strstr (late->err, "after_cutoff"));
  assert_failure (usage, 2);
}

int
main (int argc, char *argv[])
{
  g_autofree char *dir = NULL;
  int status;

  g_test_init (&argc, &argv, NULL);
  dir = g_dir_make_tmp ("bq-cli-slots-XXXXXX", NULL);
  db_path = g_build_filename (dir, "demo.db", NULL);
  make_db ();
  g_test_add_func ("/cli/slots/json", test_slots_json);
  g_test_add_func ("/cli/book/ranked-and-booked", test_book);
  g_test_add_func ("/cli/book/failures", test_book_failures);
  status = g_test_run ();
  {
    g_autofree char *wal = g_strconcat (db_path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (db_path, "-shm", NULL);
    g_unlink (db_path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }
  g_free (db_path);
  return status;
}
