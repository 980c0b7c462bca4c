/* test-cli-slots.c — becquerel-cli slots and book, run as a process
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>

#include "bq-core.h"
#include "bq-test-cli.h"

static char *db_path;

static void
make_db (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("demo", "-o", db_path, "--start", "2026-03-02");
  bq_test_cli_assert_success (r);
}

#define CENTRE "centre-cn-sha-fuscc"
#define NOW    "2026-03-17T07:00Z"

static void
test_slots_json (void)
{
  g_autoptr(CliResult) r = bq_test_run_cli ("slots", "--db", db_path, "--centre", CENTRE,
                                            "--from", "2026-03-23", "--days", "7", "--now", NOW, "--json");
  g_autoptr(JsonNode) node = NULL;
  JsonArray *slots;

  bq_test_cli_assert_success (r);
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
  g_autoptr(CliResult) dry = bq_test_run_cli ("book", "--db", db_path, "--centre", CENTRE,
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

  bq_test_cli_assert_success (dry);
  g_assert_nonnull (strstr (dry->out, "needs ≥ 6.66"));
  g_assert_nonnull (strstr (dry->out, "Dry run"));

  json = bq_test_run_cli ("book", "--db", db_path, "--centre", CENTRE, "--patient", "PT-9X2",
                          "--activity", "7.4GBq", "--admin", "2026-03-26T09:00+01:00", "--window", "4h",
                          "--now", NOW, "--json");
  bq_test_cli_assert_success (json);
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
  g_autoptr(CliResult) name = bq_test_run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                               "--patient", "Jane Doe", "--activity", "7.4GBq",
                                               "--admin", "2026-03-26T09:00+01:00", "--now", NOW);
  /* Far beyond the demo's runs: nothing is offered then. */
  g_autoptr(CliResult) none = bq_test_run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                               "--patient", "PT-9X3", "--activity", "7.4GBq",
                                               "--admin", "2027-03-26T09:00+01:00", "--now", NOW);
  /* After the cut-off of every slot of that day. */
  g_autoptr(CliResult) late = bq_test_run_cli ("book", "--db", db_path, "--centre", CENTRE,
                                               "--patient", "PT-9X4", "--activity", "7.4GBq",
                                               "--admin", "2026-03-26T09:00+01:00",
                                               "--now", "2026-03-26T00:00Z");
  g_autoptr(CliResult) usage = bq_test_run_cli ("book", "--db", db_path);

  bq_test_cli_assert_failure (name, 2);
  bq_test_cli_assert_failure (none, 1);
  g_assert_nonnull (strstr (none->err, "No slot can serve this order"));
  bq_test_cli_assert_failure (late, 1);
  g_assert_nonnull (strstr (late->err, "after_cutoff"));
  bq_test_cli_assert_failure (usage, 2);
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
