/* test-audit.c — the hash-chained audit trail
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-audit.h"
#include "bq-json.h"

#define NOW ((gint64) 1800000000)

/* Shows the error rather than just "should be TRUE". */
#define ASSERT_OK(call) \
  G_STMT_START { gboolean ok_ = (call); g_assert_no_error (error); g_assert_true (ok_); } G_STMT_END

typedef struct {
  BqStore *store;
} Fixture;

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;

  f->store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
}

static void
exec_sql (Fixture    *f,
          const char *sql)
{
  char *message = NULL;

  if (sqlite3_exec (bq_store_get_db (f->store), sql, NULL, NULL, &message) != SQLITE_OK)
    g_error ("%s: %s", sql, message);
}

/* What someone with the file in hand can do. */
static void
allow_tampering (Fixture *f)
{
  exec_sql (f, "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete");
}

static BqCentre *
make_centre (const char *id,
             const char *name)
{
  BqCentre *centre = bq_centre_new ();

  bq_entity_set_id (centre, id);
  centre->name = g_strdup (name);
  centre->country = g_strdup ("DE");
  centre->region = g_strdup ("europe");
  centre->timezone = g_strdup ("Europe/Berlin");
  centre->latitude = 52.5;
  centre->longitude = 13.4;
  return centre;
}

/* Creates, updates and deletes centres, auditing each: @n entries. */
static void
append_changes (Fixture *f,
                guint    n)
{
  g_autoptr(BqCentre) centre = NULL;

  for (guint i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BqCentre) before = NULL;
      g_autofree char *name = g_strdup_printf ("Centre \"%u\" \\ naïve", i);

      ASSERT_OK (bq_store_begin (f->store, &error));
      switch (i % 3)
        {
        case 0:
          g_clear_pointer (&centre, bq_entity_free);
          centre = make_centre ("centre-1", name);
          ASSERT_OK (bq_store_put (f->store, centre, &error));
          ASSERT_OK (bq_audit_append (f->store, NOW + i, "user-admin", "create", NULL,
                                      centre, NULL, &error));
          break;
        case 1:
          before = bq_entity_copy (centre);
          g_free (centre->name);
          centre->name = g_steal_pointer (&name);
          ASSERT_OK (bq_store_put (f->store, centre, &error));
          ASSERT_OK (bq_audit_append (f->store, NOW + i, "user-admin", "update", before,
                                      centre, "renamed by the centre", &error));
          break;
        default:
          ASSERT_OK (bq_store_delete (f->store, &bq_centre_type, "centre-1", &error));
          ASSERT_OK (bq_audit_append (f->store, NOW + i, NULL, "delete", centre, NULL,
                                      NULL, &error));
          break;
        }
      g_assert_no_error (error);
      ASSERT_OK (bq_store_commit (f->store, &error));
    }
}

static void
assert_intact (Fixture *f,
               gint64   n)
{
  g_autoptr(GError) error = NULL;
  gint64 n_entries = -1, first_bad = -1;

  g_assert_true (bq_audit_verify (f->store, &n_entries, &first_bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (n_entries, ==, n);
  g_assert_cmpint (first_bad, ==, 0);
}

static void
assert_broken_at (Fixture *f,
                  gint64   seq)
{
  g_autoptr(GError) error = NULL;
  gint64 n_entries = -1, first_bad = -1;

  g_assert_false (bq_audit_verify (f->store, &n_entries, &first_bad, &error));
  g_assert_no_error (error);
  g_assert_cmpint (first_bad, ==, seq);
}

static void
test_empty (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  assert_intact (f, 0);
  entries = bq_audit_list (f->store, 0, 10, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 0);
}

static void
test_chain (Fixture       *f,
            gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  BqAuditEntry *e;

  append_changes (f, 3);
  assert_intact (f, 3);

  entries = bq_audit_list (f->store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 3);

  e = g_ptr_array_index (entries, 0);
  g_assert_cmpint (e->seq, ==, 1);
  g_assert_cmpint (e->at, ==, NOW);
  g_assert_cmpstr (e->user_id, ==, "user-admin");
  g_assert_cmpstr (e->action, ==, "create");
  g_assert_cmpstr (e->kind, ==, "centre");
  g_assert_cmpstr (e->entity_id, ==, "centre-1");
  g_assert_cmpint (e->revision, ==, 1);
  g_assert_null (e->before_json);
  g_assert_nonnull (e->after_json);
  g_assert_cmpstr (e->prev_hash, ==,
                   "0000000000000000000000000000000000000000000000000000000000000000");
  g_assert_cmpuint (strlen (e->hash), ==, 64);

  for (guint i = 1; i < entries->len; i++)
    {
      BqAuditEntry *prev = g_ptr_array_index (entries, i - 1);

      e = g_ptr_array_index (entries, i);
      g_assert_cmpint (e->seq, ==, prev->seq + 1);
      g_assert_cmpstr (e->prev_hash, ==, prev->hash);
    }

  e = g_ptr_array_index (entries, 1);
  g_assert_cmpstr (e->reason, ==, "renamed by the centre");
  g_assert_nonnull (e->before_json);
  g_assert_nonnull (e->after_json);
  g_assert_cmpint (e->revision, ==, 2);

  /* A deletion: the tombstone's revision, before only, by the system. */
  e = g_ptr_array_index (entries, 2);
  g_assert_null (e->user_id);
  g_assert_cmpstr (e->action, ==, "delete");
  g_assert_cmpint (e->revision, ==, 3);
  g_assert_nonnull (e->before_json);
  g_assert_null (e->after_json);
}

/* The documented canonical form, computed here by hand for one entry. */
static void
test_canonical_form (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqCentre) centre = make_centre ("c-1", "Tab\there \"quoted\" \\ \x01 é");
  g_autofree char *after = NULL;
  g_autofree char *expected = NULL;
  GString *text = g_string_new (NULL);
  BqAuditEntry *e;

  ASSERT_OK (bq_audit_append (f->store, 42, "u-1", "create", NULL, centre, "why\nnot",
                              &error));

  after = bq_entity_to_json_string (centre, FALSE);
  g_string_append (text, "0000000000000000000000000000000000000000000000000000000000000000\n"
                         "[1,42,\"u-1\",\"create\",\"centre\",\"c-1\",0,\"why\\nnot\",null,\"");
  for (const char *p = after; *p != '\0'; p++)
    {
      if (*p == '"' || *p == '\\')
        g_string_append_c (text, '\\');
      g_string_append_c (text, *p);
    }
  g_string_append (text, "\"]");
  expected = g_compute_checksum_for_string (G_CHECKSUM_SHA256, text->str, -1);
  g_string_free (text, TRUE);

  entries = bq_audit_list (f->store, 0, 1, &error);
  g_assert_no_error (error);
  e = g_ptr_array_index (entries, 0);
  g_assert_cmpstr (e->after_json, ==, after);
  g_assert_cmpstr (e->hash, ==, expected);
}

static void
test_append_only (Fixture       *f,
                  gconstpointer  data)
{
  sqlite3 *db = bq_store_get_db (f->store);

  append_changes (f, 2);
  g_assert_cmpint (sqlite3_exec (db, "UPDATE audit_log SET reason = 'x'", NULL, NULL, NULL)
                   & 0xff, ==, SQLITE_CONSTRAINT);
  g_assert_cmpint (sqlite3_exec (db, "DELETE FROM audit_log", NULL, NULL, NULL) & 0xff,
                   ==, SQLITE_CONSTRAINT);
  assert_intact (f, 2);
}

static void
test_tampered_field (Fixture       *f,
                     gconstpointer  data)
{
  static const char * const updates[] = {
    "UPDATE audit_log SET reason = 'nothing to see' WHERE seq = 5",
    "UPDATE audit_log SET user_id = 'user-planner' WHERE seq = 5",
    "UPDATE audit_log SET user_id = NULL WHERE seq = 5",
    "UPDATE audit_log SET at = at + 1 WHERE seq = 5",
    "UPDATE audit_log SET revision = 1 WHERE seq = 5",
    "UPDATE audit_log SET after_json = replace (after_json, 'Centre', 'Center') WHERE seq = 5",
    "UPDATE audit_log SET before_json = NULL WHERE seq = 5",
    "UPDATE audit_log SET action = 'read' WHERE seq = 5",
    "UPDATE audit_log SET prev_hash = hash WHERE seq = 5",
  };

  append_changes (f, 9);
  allow_tampering (f);
  for (guint i = 0; i < G_N_ELEMENTS (updates); i++)
    {
      exec_sql (f, "SAVEPOINT tamper");
      exec_sql (f, updates[i]);
      assert_broken_at (f, 5);
      exec_sql (f, "ROLLBACK TO tamper; RELEASE tamper");
      assert_intact (f, 9);
    }

  /* The stored hash itself. */
  exec_sql (f, "UPDATE audit_log SET hash = '0123456789abcdef0123456789abcdef"
               "0123456789abcdef0123456789abcdef' WHERE seq = 5");
  assert_broken_at (f, 5);
}

static void
test_deleted_entry (Fixture       *f,
                    gconstpointer  data)
{
  append_changes (f, 9);
  allow_tampering (f);
  exec_sql (f, "DELETE FROM audit_log WHERE seq = 4");
  assert_broken_at (f, 4);
}

static void
test_deleted_and_renumbered (Fixture       *f,
                             gconstpointer  data)
{
  append_changes (f, 9);
  allow_tampering (f);
  exec_sql (f, "DELETE FROM audit_log WHERE seq = 4; "
               "UPDATE audit_log SET seq = seq - 1 WHERE seq > 4");
  assert_broken_at (f, 4);
}

static void
test_swapped_entries (Fixture       *f,
                      gconstpointer  data)
{
  append_changes (f, 9);
  allow_tampering (f);
  exec_sql (f, "UPDATE audit_log SET seq = -1 WHERE seq = 6; "
               "UPDATE audit_log SET seq = 6 WHERE seq = 7; "
               "UPDATE audit_log SET seq = 7 WHERE seq = -1");
  assert_broken_at (f, 6);
}

static void
test_inserted_entry (Fixture       *f,
                     gconstpointer  data)
{
  append_changes (f, 9);
  allow_tampering (f);
  /* A copy of entry 3 slipped in after it, the rest moved up. */
  exec_sql (f, "UPDATE audit_log SET seq = seq + 100 WHERE seq > 3; "
               "UPDATE audit_log SET seq = seq - 99 WHERE seq > 100; "
               "INSERT INTO audit_log SELECT 4, at, user_id, action, kind, entity_id, revision, "
               "reason, before_json, after_json, prev_hash, hash FROM audit_log WHERE seq = 3");
  assert_broken_at (f, 4);
}

static void
test_rollback_leaves_nothing (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(BqCentre) centre = make_centre ("centre-9", "Gone");
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;

  append_changes (f, 2);

  ASSERT_OK (bq_store_begin (f->store, &error));
  ASSERT_OK (bq_store_put (f->store, centre, &error));
  ASSERT_OK (bq_audit_append (f->store, NOW, "user-admin", "create", NULL, centre, NULL,
                              &error));
  bq_store_rollback (f->store);

  entries = bq_audit_list (f->store, 0, 0, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (entries->len, ==, 2);
  assert_intact (f, 2);

  /* The chain goes on from where it was. */
  append_changes (f, 1);
  assert_intact (f, 3);
}

static void
test_list_pages (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GError) error = NULL;

  append_changes (f, 7);
  page = bq_audit_list (f->store, 2, 3, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 3);
  g_assert_cmpint (((BqAuditEntry *) g_ptr_array_index (page, 0))->seq, ==, 3);
  g_assert_cmpint (((BqAuditEntry *) g_ptr_array_index (page, 2))->seq, ==, 5);
  g_clear_pointer (&page, g_ptr_array_unref);

  page = bq_audit_list (f->store, 5, 100, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
}

static void
test_entry_to_json (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  append_changes (f, 3);
  entries = bq_audit_list (f->store, 1, 1, &error);
  g_assert_no_error (error);

  node = bq_audit_entry_to_json (g_ptr_array_index (entries, 0));
  object = json_node_get_object (node);
  g_assert_cmpint (json_object_get_int_member (object, "seq"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "at"), ==, "2027-01-15T08:00:01Z");
  g_assert_cmpstr (json_object_get_string_member (object, "user_id"), ==, "user-admin");
  g_assert_cmpstr (json_object_get_string_member (object, "action"), ==, "update");
  g_assert_cmpstr (json_object_get_string_member (object, "kind"), ==, "centre");
  g_assert_cmpstr (json_object_get_string_member (object, "entity_id"), ==, "centre-1");
  g_assert_cmpint (json_object_get_int_member (object, "revision"), ==, 2);
  g_assert_cmpstr (json_object_get_string_member (object, "reason"), ==,
                   "renamed by the centre");
  g_assert_cmpstr (json_object_get_string_member (json_object_get_object_member (object, "after"),
                                                  "name"), ==, "Centre \"1\" \\ naïve");
  g_assert_true (JSON_NODE_HOLDS_OBJECT (json_object_get_member (object, "before")));
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "hash")), ==, 64);
  g_assert_cmpuint (strlen (json_object_get_string_member (object, "prev_hash")), ==, 64);

  /* A creation has no "before": null, not absent. */
  g_clear_pointer (&entries, g_ptr_array_unref);
  g_clear_pointer (&node, json_node_unref);
  entries = bq_audit_list (f->store, 0, 1, &error);
  node = bq_audit_entry_to_json (g_ptr_array_index (entries, 0));
  object = json_node_get_object (node);
  g_assert_true (json_object_has_member (object, "before"));
  g_assert_true (JSON_NODE_HOLDS_NULL (json_object_get_member (object, "before")));
}

static void
test_verify_many (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  gint64 start, n_entries = 0, first_bad = 0;
  guint n = g_getenv ("BQ_UNDER_VALGRIND") != NULL ? 500 : 10000;
  double append_s, verify_s;

  start = g_get_monotonic_time ();
  ASSERT_OK (bq_store_begin (f->store, &error));
  append_changes (f, n);
  ASSERT_OK (bq_store_commit (f->store, &error));
  append_s = (g_get_monotonic_time () - start) / 1e6;

  start = g_get_monotonic_time ();
  g_assert_true (bq_audit_verify (f->store, &n_entries, &first_bad, &error));
  verify_s = (g_get_monotonic_time () - start) / 1e6;
  g_assert_no_error (error);
  g_assert_cmpint (n_entries, ==, n);

  g_test_message ("%u entries: appended in %.3f s, verified in %.3f s (%.0f entries/s)",
                  n, append_s, verify_s, n / MAX (verify_s, 1e-6));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

#define ADD(path, func) \
  g_test_add (path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)

  ADD ("/audit/verify/empty-trail-is-intact", test_empty);
  ADD ("/audit/append/entries-chain", test_chain);
  ADD ("/audit/append/canonical-form-as-documented", test_canonical_form);
  ADD ("/audit/append/table-refuses-update-and-delete", test_append_only);
  ADD ("/audit/append/caller-rollback-leaves-no-entry", test_rollback_leaves_nothing);
  ADD ("/audit/verify/changed-field-is-found", test_tampered_field);
  ADD ("/audit/verify/deleted-entry-is-found", test_deleted_entry);
  ADD ("/audit/verify/deleted-and-renumbered-is-found", test_deleted_and_renumbered);
  ADD ("/audit/verify/swapped-entries-are-found", test_swapped_entries);
  ADD ("/audit/verify/inserted-entry-is-found", test_inserted_entry);
  ADD ("/audit/verify/ten-thousand-entries", test_verify_many);
  ADD ("/audit/list/pages-by-seq", test_list_pages);
  ADD ("/audit/json/entry", test_entry_to_json);

#undef ADD

  return g_test_run ();
}
