/* test-store.c — the SQLite store: schema, round trips, revisions, change
 * feed, transactions, queries, bulk load and crash safety
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#include "bq-model.h"
#include "bq-store.h"
#include "bq-store-private.h"

/* 2026-01-05 00:00 UTC, a Monday. */
#define T0 G_GINT64_CONSTANT (1767571200)
#define HOUR 3600
#define DAY (24 * HOUR)

static const char *self_exe;

/* ---------------------------------------------------------------- fixture */

typedef struct {
  char    *dir;
  char    *path;
  BqStore *store;
} Fixture;

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

static void
fixture_set_up (Fixture       *f,
                gconstpointer  data)
{
  GError *error = NULL;

  f->dir = g_dir_make_tmp ("test-store-XXXXXX", &error);
  g_assert_no_error (error);
  f->path = g_build_filename (f->dir, "becquerel.db", NULL);
  f->store = bq_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_nonnull (f->store);
}

static void
fixture_tear_down (Fixture       *f,
                   gconstpointer  data)
{
  g_clear_object (&f->store);
  remove_tree (f->dir);
  g_free (f->dir);
  g_free (f->path);
}

#define FIXTURE_TEST(path, func) \
  g_test_add ((path), Fixture, NULL, fixture_set_up, (func), fixture_tear_down)

/* --------------------------------------------------------------- entities */

/* A valid entity of @type called @id whose references point at the
 * "<type>-1" of each parent type.  @full also sets every optional field,
 * so a round trip covers both the set and the unset column values. */
static gpointer
make_entity (const BqEntityType *type,
             const char         *id,
             gboolean            full)
{
  gpointer entity = bq_entity_new (type);

  bq_entity_set_id (entity, id);

  if (type == &bq_site_type)
    {
      BqSite *site = entity;
      site->name = g_strdup ("Leiden hot lab");
      site->organisation = g_strdup ("Isotopia CDMO");
      site->city = full ? g_strdup ("Leiden") : NULL;
      site->country = g_strdup ("NL");
      site->timezone = g_strdup ("Europe/Amsterdam");
      site->latitude = 52.1601;
      site->longitude = 4.4970;
    }
  else if (type == &bq_line_type)
    {
      BqLine *line = entity;
      line->site_id = g_strdup ("site-1");
      line->name = g_strdup ("Hot cell 2");
      if (full)
        {
          const char *products[] = { "product-1", NULL };
          line->product_ids = g_strdupv ((char **) products);
          line->working_weekdays = 0x1f;
          line->shift_start_local = 6 * 60;
          line->shift_end_local = 22 * 60;
          line->changeover_s = HOUR;
        }
    }
  else if (type == &bq_product_type)
    {
      BqProduct *product = entity;
      product->name = g_strdup ("Lu-177 PSMA");
      product->nuclide = g_strdup ("Lu-177");
      product->dose_activity_bq = 7.4e9;
      product->tolerance = 0.10;
      product->concentration_bq_per_ml = 1e9;
      product->shelf_life_s = 120 * HOUR;
      product->synthesis_duration_s = 3 * HOUR;
      product->qc_duration_s = 2 * HOUR;
      if (full)
        {
          const char *tests[] = { "radiochemical_purity", "endotoxin", NULL };
          product->qc_release_tests = g_strdupv ((char **) tests);
          product->activity_margin = 0.1;
          product->supply_weekdays = 0x5;
          product->supply_arrival_local = 8 * 60;
          product->supply_window_s = 36 * HOUR;
          product->max_doses_per_run = 10;
          product->max_activity_eos_bq = 1e11;
        }
    }
  else if (type == &bq_centre_type)
    {
      BqCentre *centre = entity;
      centre->name = g_strdup ("Universitätsklinikum Essen");
      centre->city = full ? g_strdup ("Essen") : NULL;
      centre->country = g_strdup ("DE");
      centre->region = g_strdup ("europe");
      centre->timezone = g_strdup ("Europe/Berlin");
      centre->latitude = 51.4344;
      centre->longitude = 6.9889;
    }
  else if (type == &bq_hub_type)
    {
      BqHub *hub = entity;
      hub->code = g_strdup ("AMS");
      hub->name = g_strdup ("Amsterdam Schiphol");
      hub->timezone = g_strdup ("Europe/Amsterdam");
      hub->latitude = 52.3105;
      hub->longitude = 4.7683;
    }
  else if (type == &bq_user_type)
    {
      BqUser *user = entity;
      const char *centres[] = { "centre-1", "with \"quotes\" and \\ backslash", "Zürich", NULL };
      user->username = g_strdup_printf ("user.%s", id);
      user->display_name = full ? g_strdup ("Ada Planner") : NULL;
      user->role = full ? BQ_ROLE_ACCOUNT_MANAGER : BQ_ROLE_VIEWER;
      user->centre_ids = full ? g_strdupv ((char **) centres) : NULL;
      user->disabled = full;
    }
  else if (type == &bq_run_type)
    {
      BqRun *run = entity;
      run->line_id = g_strdup ("line-1");
      run->product_id = g_strdup ("product-1");
      run->batch = g_strdup ("LY2-2601-01");
      run->start_time = T0 + 2 * HOUR;
      run->eos_time = run->start_time + 3 * HOUR;
      run->calibration_time = run->eos_time + 12 * HOUR;
      run->activity_eos_bq = 55e9;
      run->dose_capacity = 6;
      run->status = full ? BQ_RUN_RELEASED : BQ_RUN_PLANNED;
    }
  else if (type == &bq_maintenance_block_type)
    {
      BqMaintenanceBlock *block = entity;
      block->line_id = g_strdup ("line-1");
      block->start_time = T0 + DAY;
      block->end_time = T0 + DAY + 10 * HOUR;
      block->reason = full ? g_strdup ("Annual requalification") : NULL;
    }
  else if (type == &bq_forecast_type)
    {
      BqForecast *forecast = entity;
      forecast->centre_id = g_strdup ("centre-1");
      forecast->product_id = g_strdup ("product-1");
      forecast->week_start = T0 + 7 * DAY;
      forecast->doses = 12;
    }
  else if (type == &bq_qc_result_type)
    {
      BqQcResult *qc = entity;
      qc->run_id = g_strdup ("run-1");
      qc->test = g_strdup ("radiochemical_purity");
      qc->status = full ? BQ_QC_PASS : BQ_QC_PENDING;
      qc->value = full ? 98.5 : NAN;
      qc->unit = full ? g_strdup ("%") : NULL;
      qc->recorded_at = T0 + 6 * HOUR;
    }
  else if (type == &bq_slot_type)
    {
      BqSlot *slot = entity;
      slot->run_id = g_strdup ("run-1");
      slot->centre_id = full ? g_strdup ("centre-1") : NULL;
      slot->region = g_strdup ("europe");
      slot->delivery_date = T0 + DAY;
      slot->capacity = 4;
      slot->claimed = full ? 1 : 0;
      slot->status = full ? BQ_SLOT_HELD : BQ_SLOT_OPEN;
      slot->hold_expires = full ? T0 + 2 * HOUR : BQ_TIME_UNSET;
      slot->held_by = full ? g_strdup ("user-1") : NULL;
    }
  else if (type == &bq_lane_type)
    {
      BqLane *lane = entity;
      lane->mode = full ? BQ_LANE_FLIGHT : BQ_LANE_GROUND;
      lane->origin_id = g_strdup ("hub-1");
      lane->destination_id = g_strdup ("centre-1");
      lane->carrier = g_strdup ("KLM Cargo");
      lane->service = full ? g_strdup ("KL1857") : NULL;
      lane->weekdays = full ? 0x1f : 0;
      lane->departure_local = full ? 9 * 60 + 40 : 0;
      lane->duration_s = 75 * 60;
      lane->handling_s = full ? 90 * 60 : 0;
      lane->valid_from = full ? T0 : BQ_TIME_UNSET;
      lane->valid_to = full ? T0 + 180 * DAY : BQ_TIME_UNSET;
      lane->class7_accepted = full;
    }
  else if (type == &bq_sla_type)
    {
      BqSla *sla = entity;
      sla->site_id = g_strdup ("site-1");
      sla->region = g_strdup ("europe");
      sla->max_door_to_door_s = 36 * HOUR;
      sla->min_before_admin_s = full ? HOUR : 0;
    }
  else if (type == &bq_shipment_type)
    {
      BqShipment *shipment = entity;
      shipment->run_id = g_strdup ("run-1");
      shipment->centre_id = g_strdup ("centre-1");
      shipment->status = full ? BQ_SHIPMENT_DELIVERED : BQ_SHIPMENT_PLANNED;
      shipment->planned_departure = T0 + 20 * HOUR;
      shipment->planned_arrival = T0 + 26 * HOUR;
      shipment->actual_departure = full ? T0 + 20 * HOUR + 600 : BQ_TIME_UNSET;
      shipment->actual_arrival = full ? T0 + 27 * HOUR : BQ_TIME_UNSET;
    }
  else if (type == &bq_shipment_leg_type)
    {
      BqShipmentLeg *leg = entity;
      leg->shipment_id = g_strdup ("shipment-1");
      leg->seq = full ? 1 : 0;
      leg->lane_id = g_strdup ("lane-1");
      leg->planned_departure = T0 + 21 * HOUR;
      leg->planned_arrival = T0 + 23 * HOUR;
      leg->actual_departure = full ? T0 + 21 * HOUR : BQ_TIME_UNSET;
      leg->actual_arrival = full ? T0 + 23 * HOUR + 900 : BQ_TIME_UNSET;
      leg->status = full ? BQ_LEG_LATE : BQ_LEG_PLANNED;
    }
  else if (type == &bq_order_type)
    {
      BqOrder *order = entity;
      order->centre_id = g_strdup ("centre-1");
      order->product_id = g_strdup ("product-1");
      order->patient_ref = g_strdup ("PT-000123");
      order->prescribed_activity_bq = 7.4e9;
      order->admin_start = T0 + 2 * DAY;
      order->admin_end = T0 + 2 * DAY + 2 * HOUR;
      order->slot_id = full ? g_strdup ("slot-1") : NULL;
      order->run_id = full ? g_strdup ("run-1") : NULL;
      order->shipment_id = full ? g_strdup ("shipment-1") : NULL;
      order->status = full ? BQ_ORDER_CONFIRMED : BQ_ORDER_REQUESTED;
    }
  else
    {
      g_error ("test-store has no example of a %s; add one", type->name);
    }

  return entity;
}

static void
put_ok (BqStore  *store,
        gpointer  entity)
{
  GError *error = NULL;

  g_assert_true (bq_store_put (store, entity, &error));
  g_assert_no_error (error);
}

/* Stores "<type>-1" of every type, fully filled in, parents first. */
static void
put_one_of_each (BqStore *store)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-1", types[i]->name);
      gpointer entity = make_entity (types[i], id, TRUE);

      put_ok (store, entity);
      bq_entity_free (entity);
    }
}

static BqRun *
make_run (const char *id,
          const char *line_id,
          gint64      start,
          BqRunStatus status)
{
  BqRun *run = make_entity (&bq_run_type, id, FALSE);

  g_free (run->line_id);
  run->line_id = g_strdup (line_id);
  run->start_time = start;
  run->eos_time = start + 3 * HOUR;
  run->calibration_time = run->eos_time + 12 * HOUR;
  run->status = status;
  return run;
}

static gint64
count (BqStore            *store,
       const BqEntityType *type)
{
  GError *error = NULL;
  gint64 n = bq_store_count (store, type, &error);

  g_assert_no_error (error);
  return n;
}

/* ------------------------------------------------------------------- open */

static void
test_open_new_file (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  g_autoptr(BqStore) again = NULL;
  gint64 revision;

  g_assert_cmpstr (bq_store_get_path (f->store), ==, f->path);
  g_assert_cmpint (bq_store_get_schema_version (f->store), ==, bq_store_schema_latest_version ());
  g_assert_cmpint (bq_store_get_schema_version (f->store), >=, 1);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, 0);

  put_ok (f->store, site);
  revision = bq_store_get_revision (f->store);
  g_assert_cmpint (revision, ==, 1);
  g_clear_object (&f->store);

  /* Reopening runs no migration and keeps the revision. */
  again = bq_store_open (f->path, &error);
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_get_schema_version (again), ==, bq_store_schema_latest_version ());
  g_assert_cmpint (bq_store_get_revision (again), ==, revision);
  g_assert_cmpint (count (again, &bq_site_type), ==, 1);
}

static void
test_open_memory (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (":memory:", &error);
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);

  g_assert_no_error (error);
  put_ok (store, site);
  g_assert_cmpint (count (store, &bq_site_type), ==, 1);
}

static char *
pragma_text (sqlite3    *db,
             const char *sql)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_ROW);
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

static void
test_open_wal (Fixture       *f,
               gconstpointer  data)
{
  sqlite3 *db = bq_store_get_db (f->store);
  g_autofree char *journal = pragma_text (db, "PRAGMA journal_mode");
  g_autofree char *synchronous = pragma_text (db, "PRAGMA synchronous");
  g_autofree char *foreign_keys = pragma_text (db, "PRAGMA foreign_keys");

  g_assert_cmpstr (journal, ==, "wal");
  g_assert_cmpstr (synchronous, ==, "2");  /* FULL */
  g_assert_cmpstr (foreign_keys, ==, "1");
}

static void
exec_raw (const char *path,
          const char *sql)
{
  sqlite3 *db = NULL;

  g_assert_cmpint (sqlite3_open (path, &db), ==, SQLITE_OK);
  g_assert_cmpint (sqlite3_exec (db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close (db);
}

static void
test_open_newer_refused (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autofree char *sql = NULL;

  g_clear_object (&f->store);
  sql = g_strdup_printf ("PRAGMA user_version = %d", bq_store_schema_latest_version () + 1);
  exec_raw (f->path, sql);

  store = bq_store_open (f->path, &error);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_SCHEMA);
  g_assert_nonnull (strstr (error->message, "newer Becquerel"));
  g_assert_null (store);
}

static void
test_open_not_a_database (Fixture       *f,
                          gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autofree char *path = g_build_filename (f->dir, "notes.txt", NULL);
  g_autoptr(GString) text = g_string_new (NULL);
  g_autofree char *after = NULL;

  for (guint i = 0; i < 200; i++)
    g_string_append (text, "Lu-177 is not a database. ");
  g_assert_true (g_file_set_contents (path, text->str, -1, NULL));

  store = bq_store_open (path, &error);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN);
  g_assert_null (store);

  /* Refusing it must not have written to it. */
  g_assert_true (g_file_get_contents (path, &after, NULL, NULL));
  g_assert_cmpstr (after, ==, text->str);
}

static void
test_open_foreign_database (Fixture       *f,
                            gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autofree char *path = g_build_filename (f->dir, "other.db", NULL);

  exec_raw (path, "CREATE TABLE recipes (id INTEGER PRIMARY KEY, name TEXT)");

  store = bq_store_open (path, &error);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN);
  g_assert_null (store);
}

/* ----------------------------------------------------------------- schema */

static const char *
expected_sql_type (const BqField *field)
{
  switch (field->type)
    {
    case BQ_FIELD_STRING:
    case BQ_FIELD_ENUM:
    case BQ_FIELD_STRV:
      return "TEXT";
    case BQ_FIELD_INT:
    case BQ_FIELD_BOOL:
    case BQ_FIELD_TIME:
      return "INTEGER";
    case BQ_FIELD_DOUBLE:
      return "REAL";
    default:
      g_assert_not_reached ();
    }
  return NULL;
}

/* NULL is allowed exactly where the C value can be "unset": optional
 * strings and lists (NULL), doubles (NAN) and times (BQ_TIME_UNSET). */
static gboolean
expected_not_null (const BqField *field)
{
  if (field->flags & (BQ_FIELD_REQUIRED | BQ_FIELD_SERVER))
    return TRUE;
  return field->type == BQ_FIELD_INT || field->type == BQ_FIELD_BOOL ||
         field->type == BQ_FIELD_ENUM;
}

/* Whether some index of @table starts with @column (and is unique, if
 * @unique). */
static gboolean
has_index_on (sqlite3    *db,
              const char *table,
              const char *column,
              gboolean    unique)
{
  g_autoptr(sqlite3_stmt) list = NULL;
  g_autofree char *sql = g_strdup_printf ("PRAGMA index_list(\"%s\")", table);

  g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &list, NULL), ==, SQLITE_OK);
  while (sqlite3_step (list) == SQLITE_ROW)
    {
      const char *index = (const char *) sqlite3_column_text (list, 1);
      g_autoptr(sqlite3_stmt) info = NULL;
      g_autofree char *info_sql = g_strdup_printf ("PRAGMA index_info(\"%s\")", index);

      if (unique && sqlite3_column_int (list, 2) == 0)
        continue;
      g_assert_cmpint (sqlite3_prepare_v2 (db, info_sql, -1, &info, NULL), ==, SQLITE_OK);
      /* The first row is the leading column. */
      if (sqlite3_step (info) == SQLITE_ROW &&
          g_strcmp0 ((const char *) sqlite3_column_text (info, 2), column) == 0)
        return TRUE;
    }
  return FALSE;
}

static void
test_schema_matches_descriptors (Fixture       *f,
                                 gconstpointer  data)
{
  sqlite3 *db = bq_store_get_db (f->store);
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint t = 0; t < n_types; t++)
    {
      const BqEntityType *type = types[t];
      g_autoptr(sqlite3_stmt) columns = NULL;
      g_autoptr(sqlite3_stmt) keys = NULL;
      g_autofree char *columns_sql = g_strdup_printf ("PRAGMA table_info(\"%s\")", type->plural);
      g_autofree char *keys_sql = g_strdup_printf ("PRAGMA foreign_key_list(\"%s\")",
                                                   type->plural);
      guint n_columns = 0, n_keys = 0, n_references = 0;

      g_test_message ("table %s", type->plural);

      g_assert_cmpint (sqlite3_prepare_v2 (db, columns_sql, -1, &columns, NULL), ==, SQLITE_OK);
      while (sqlite3_step (columns) == SQLITE_ROW)
        {
          int cid = sqlite3_column_int (columns, 0);
          const BqField *field;

          g_assert_cmpuint (cid, <, type->n_fields);
          field = &type->fields[cid];
          g_assert_cmpstr ((const char *) sqlite3_column_text (columns, 1), ==, field->name);
          g_assert_cmpstr ((const char *) sqlite3_column_text (columns, 2), ==,
                           expected_sql_type (field));
          if (sqlite3_column_int (columns, 3) != expected_not_null (field))
            g_error ("%s.%s: NOT NULL is %d, the descriptor says %d", type->plural,
                     field->name, sqlite3_column_int (columns, 3), expected_not_null (field));
          g_assert_cmpint (sqlite3_column_int (columns, 5), ==, cid == 0 ? 1 : 0);
          n_columns++;
        }
      g_assert_cmpuint (n_columns, ==, type->n_fields);

      /* Every reference is a foreign key to the parent's id, and nothing else is. */
      g_assert_cmpint (sqlite3_prepare_v2 (db, keys_sql, -1, &keys, NULL), ==, SQLITE_OK);
      while (sqlite3_step (keys) == SQLITE_ROW)
        {
          const char *parent = (const char *) sqlite3_column_text (keys, 2);
          const char *from = (const char *) sqlite3_column_text (keys, 3);
          const char *to = (const char *) sqlite3_column_text (keys, 4);
          const BqField *field = bq_entity_type_get_field (type, from);

          g_assert_nonnull (field);
          g_assert_nonnull (field->references);
          g_assert_cmpstr (parent, ==, bq_entity_type_lookup (field->references)->plural);
          g_assert_cmpstr (to, ==, "id");
          n_keys++;
        }
      for (guint i = 0; i < type->n_fields; i++)
        {
          if (type->fields[i].references == NULL)
            continue;
          n_references++;
          /* Deleting a parent must not scan the child table. */
          if (!has_index_on (db, type->plural, type->fields[i].name, FALSE))
            g_error ("%s.%s refers to %s but has no index", type->plural,
                     type->fields[i].name, type->fields[i].references);
        }
      g_assert_cmpuint (n_keys, ==, n_references);

      g_assert_true (has_index_on (db, type->plural, "revision", FALSE));
    }

  /* Nothing else but the two tables of the store itself and the server's
   * tables of migration 2. */
  {
    static const char * const server_tables[] = {
      "credentials", "sessions", "login_failures", "audit_log", "idempotency_keys",
      "tombstone_scope", "reroute_proposals", NULL
    };
    g_autoptr(sqlite3_stmt) tables = NULL;

    g_assert_cmpint (sqlite3_prepare_v2 (db, "SELECT name FROM sqlite_schema WHERE type = 'table'",
                                         -1, &tables, NULL), ==, SQLITE_OK);
    while (sqlite3_step (tables) == SQLITE_ROW)
      {
        const char *name = (const char *) sqlite3_column_text (tables, 0);
        const BqEntityType *type = bq_entity_type_lookup (name);

        if (strcmp (name, "tombstones") != 0 && strcmp (name, "store_meta") != 0 &&
            !g_strv_contains (server_tables, name) &&
            (type == NULL || strcmp (type->plural, name) != 0))
          g_error ("table %s belongs to no entity type", name);
      }
  }

  g_assert_true (has_index_on (db, "users", "username", TRUE));
  g_assert_true (has_index_on (db, "runs", "start_time", FALSE));
  g_assert_true (has_index_on (db, "orders", "admin_start", FALSE));
  g_assert_true (has_index_on (db, "tombstones", "revision", FALSE));
}

/* Each enum column accepts exactly the descriptor's nicks. */
static void
test_schema_enum_checks (Fixture       *f,
                         gconstpointer  data)
{
  sqlite3 *db = bq_store_get_db (f->store);
  const BqEntityType * const *types;
  guint n_types;

  put_one_of_each (f->store);

  types = bq_entity_types (&n_types);
  for (guint t = 0; t < n_types; t++)
    {
      for (guint i = 0; i < types[t]->n_fields; i++)
        {
          const BqField *field = &types[t]->fields[i];
          g_autoptr(sqlite3_stmt) stmt = NULL;
          g_autofree char *sql = NULL;
          g_autofree char *id = g_strdup_printf ("%s-1", types[t]->name);

          if (field->type != BQ_FIELD_ENUM)
            continue;
          sql = g_strdup_printf ("UPDATE \"%s\" SET \"%s\" = ?1 WHERE id = ?2",
                                 types[t]->plural, field->name);
          g_assert_cmpint (sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL), ==, SQLITE_OK);
          sqlite3_bind_text (stmt, 2, id, -1, SQLITE_TRANSIENT);
          for (guint n = 0; field->enum_nicks[n] != NULL; n++)
            {
              sqlite3_bind_text (stmt, 1, field->enum_nicks[n], -1, SQLITE_STATIC);
              g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_DONE);
              g_assert_cmpint (sqlite3_changes (db), ==, 1);
              sqlite3_reset (stmt);
            }
          sqlite3_bind_text (stmt, 1, "bogus", -1, SQLITE_STATIC);
          g_assert_cmpint (sqlite3_step (stmt), ==, SQLITE_CONSTRAINT_CHECK);
        }
    }
}

/* ---------------------------------------------------------------- writes */

static void
test_put_round_trip (Fixture       *f,
                     gconstpointer  data)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);

  /* Every type twice: all fields set ("-1", which the "-2" refer to), and
   * every optional one unset. */
  for (guint variant = 0; variant < 2; variant++)
    {
      for (guint i = 0; i < n_types; i++)
        {
          g_autoptr(GError) error = NULL;
          g_autofree char *id = g_strdup_printf ("%s-%u", types[i]->name, variant + 1);
          gpointer entity = make_entity (types[i], id, variant == 0);
          gpointer stored;
          gint64 before = bq_store_get_revision (f->store);

          put_ok (f->store, entity);
          g_assert_cmpint (BQ_ENTITY (entity)->revision, ==, before + 1);
          g_assert_cmpint (bq_store_get_revision (f->store), ==, before + 1);

          stored = bq_store_get (f->store, types[i], id, &error);
          g_assert_no_error (error);
          g_assert_nonnull (stored);
          if (!bq_entity_equal (entity, stored))
            g_error ("%s “%s” came back different", types[i]->name, id);

          bq_entity_free (stored);
          bq_entity_free (entity);
        }
    }

  for (guint i = 0; i < n_types; i++)
    g_assert_cmpint (count (f->store, types[i]), ==, 2);
}

static void
test_put_update (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqLine) line = NULL;
  g_autoptr(BqLine) stored = NULL;

  put_one_of_each (f->store);

  /* An update of a parent that has children: an upsert, not a
   * delete-and-insert that would trip the runs' foreign key. */
  line = bq_store_get (f->store, &bq_line_type, "line-1", &error);
  g_assert_no_error (error);
  g_free (line->name);
  line->name = g_strdup ("Hot cell 3");
  put_ok (f->store, line);
  g_assert_cmpint (line->base.revision, ==, bq_store_get_revision (f->store));

  stored = bq_store_get (f->store, &bq_line_type, "line-1", &error);
  g_assert_no_error (error);
  g_assert_true (bq_entity_equal (line, stored));
  g_assert_cmpint (count (f->store, &bq_line_type), ==, 1);
  g_assert_cmpint (count (f->store, &bq_run_type), ==, 1);
}

static void
test_put_assigns_id (Fixture       *f,
                     gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) a = make_entity (&bq_site_type, NULL, TRUE);
  g_autoptr(BqSite) b = make_entity (&bq_site_type, "", TRUE);
  g_autoptr(BqSite) stored = NULL;

  put_ok (f->store, a);
  put_ok (f->store, b);
  g_assert_true (g_uuid_string_is_valid (a->base.id));
  g_assert_true (g_uuid_string_is_valid (b->base.id));
  g_assert_cmpstr (a->base.id, !=, b->base.id);
  g_assert_cmpint (b->base.revision, ==, a->base.revision + 1);

  stored = bq_store_get (f->store, &bq_site_type, b->base.id, &error);
  g_assert_no_error (error);
  g_assert_true (bq_entity_equal (b, stored));
}

static void
test_put_invalid (Fixture       *f,
                  gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) site = make_entity (&bq_site_type, NULL, TRUE);

  g_clear_pointer (&site->name, g_free);
  g_assert_false (bq_store_put (f->store, site, &error));
  /* The model's error, untouched: the server maps it to a 422 on a field. */
  g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_MISSING_FIELD);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, "name");
  g_assert_null (site->base.id);
  g_assert_cmpint (site->base.revision, ==, 0);
  g_assert_cmpint (count (f->store, &bq_site_type), ==, 0);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, 0);
}

static void
test_put_foreign_key (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  g_autoptr(BqLine) line = make_entity (&bq_line_type, NULL, TRUE);
  gint64 revision;

  put_ok (f->store, site);
  revision = bq_store_get_revision (f->store);

  g_free (line->site_id);
  line->site_id = g_strdup ("no-such-site");
  g_assert_false (bq_store_put (f->store, line, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "site_id"));
  g_assert_nonnull (strstr (error->message, "no-such-site"));

  /* Nothing written, nothing handed out, the entity as it was. */
  g_assert_cmpint (count (f->store, &bq_line_type), ==, 0);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision);
  g_assert_null (line->base.id);
  g_assert_cmpint (line->base.revision, ==, 0);
}

static void
test_put_unique (Fixture       *f,
                 gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqUser) a = make_entity (&bq_user_type, "user-a", FALSE);
  g_autoptr(BqUser) b = make_entity (&bq_user_type, "user-b", FALSE);

  put_ok (f->store, a);
  g_free (b->username);
  b->username = g_strdup (a->username);
  g_assert_false (bq_store_put (f->store, b, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "username"));
  g_assert_cmpint (count (f->store, &bq_user_type), ==, 1);
}

static void
test_put_many_atomic (Fixture       *f,
                      gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func (bq_entity_free);
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  gint64 revision, first;

  put_ok (f->store, site);
  revision = bq_store_get_revision (f->store);

  for (guint i = 0; i < 21; i++)
    {
      /* Every other one without an id, so the store has to give one. */
      g_autofree char *id = i % 2 ? g_strdup_printf ("line-%u", i) : NULL;
      BqLine *line = make_entity (&bq_line_type, id, TRUE);

      if (i == 10)
        {
          g_free (line->site_id);
          line->site_id = g_strdup ("no-such-site");
        }
      line->base.revision = 1000 + i;  /* what the caller had, to be kept */
      g_ptr_array_add (lines, line);
    }

  g_assert_false (bq_store_put_many (f->store, lines, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_clear_error (&error);

  g_assert_cmpint (count (f->store, &bq_line_type), ==, 0);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision);
  for (guint i = 0; i < lines->len; i++)
    {
      BqLine *line = g_ptr_array_index (lines, i);
      g_autofree char *id = i % 2 ? g_strdup_printf ("line-%u", i) : NULL;

      g_assert_cmpint (line->base.revision, ==, 1000 + i);
      /* Ids the store gave are taken back; the caller's stay. */
      g_assert_cmpstr (line->base.id, ==, id);
    }

  /* Fixed, the same batch goes in whole, one revision per row in order. */
  g_free (((BqLine *) g_ptr_array_index (lines, 10))->site_id);
  ((BqLine *) g_ptr_array_index (lines, 10))->site_id = g_strdup ("site-1");
  g_assert_true (bq_store_put_many (f->store, lines, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f->store, &bq_line_type), ==, 21);
  /* The numbers the failed attempt used are not given out again. */
  first = BQ_ENTITY (g_ptr_array_index (lines, 0))->revision;
  g_assert_cmpint (first, >, revision);
  for (guint i = 0; i < lines->len; i++)
    g_assert_cmpint (BQ_ENTITY (g_ptr_array_index (lines, i))->revision, ==, first + i);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, first + 20);
}

static void
test_put_many_invalid (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) sites = g_ptr_array_new_with_free_func (bq_entity_free);

  g_ptr_array_add (sites, make_entity (&bq_site_type, "site-1", TRUE));
  g_ptr_array_add (sites, make_entity (&bq_site_type, "site-2", TRUE));
  ((BqSite *) g_ptr_array_index (sites, 1))->latitude = 91;

  g_assert_false (bq_store_put_many (f->store, sites, &error));
  g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_OUT_OF_RANGE);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, "latitude");
  g_assert_cmpint (count (f->store, &bq_site_type), ==, 0);
}

static void
test_delete (Fixture       *f,
             gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqLine) line = make_entity (&bq_line_type, "line-2", TRUE);
  gpointer gone;
  gint64 revision;

  put_one_of_each (f->store);
  put_ok (f->store, line);
  revision = bq_store_get_revision (f->store);

  g_assert_true (bq_store_delete (f->store, &bq_line_type, "line-2", &error));
  g_assert_no_error (error);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision + 1);

  gone = bq_store_get (f->store, &bq_line_type, "line-2", &error);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND);
  g_assert_null (gone);
  g_clear_error (&error);

  /* Twice is not found, and costs no revision. */
  g_assert_false (bq_store_delete (f->store, &bq_line_type, "line-2", &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND);
  g_clear_error (&error);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision + 1);

  /* A site with lines stays, and says why. */
  g_assert_false (bq_store_delete (f->store, &bq_site_type, "site-1", &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_test_message ("%s", error->message);
  g_assert_nonnull (strstr (error->message, "line-1"));
  g_clear_error (&error);
  g_assert_cmpint (count (f->store, &bq_site_type), ==, 1);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision + 1);
}

/* ---------------------------------------------------------------- changes */

typedef struct {
  const BqEntityType *type;
  const char         *id;
  gboolean            deleted;
} Expected;

static GPtrArray *
all_changes (BqStore *store,
             gint64   since,
             guint    limit,
             guint   *n_pages)
{
  GPtrArray *all = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_change_free);

  *n_pages = 0;
  for (;;)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(GPtrArray) page = NULL;
      gint64 next = -1;

      page = bq_store_changes_since (store, since, limit, &next, &error);
      g_assert_no_error (error);
      g_assert_cmpuint (page->len, <=, limit);
      g_assert_cmpint (next, >=, since);
      (*n_pages)++;
      if (page->len > 0)
        g_assert_cmpint (next, >=,
                         ((BqChange *) g_ptr_array_index (page, page->len - 1))->revision);
      for (guint i = 0; i < page->len; i++)
        g_ptr_array_add (all, g_steal_pointer (&page->pdata[i]));
      g_ptr_array_set_free_func (page, NULL);

      /* A short page: up to date, and next_since says so. */
      if (page->len < limit)
        {
          g_assert_cmpint (next, ==, MAX (since, bq_store_get_revision (store)));
          since = next;
          break;
        }
      since = next;
    }

  /* Asking again from there gives nothing. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) rest = NULL;
    gint64 again = -1;

    rest = bq_store_changes_since (store, since, limit, &again, &error);
    g_assert_no_error (error);
    g_assert_cmpuint (rest->len, ==, 0);
    g_assert_cmpint (again, ==, since);
  }
  return all;
}

static void
test_changes_since (Fixture       *f,
                    gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) page = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  const Expected expected[] = {
    { &bq_site_type, "site-1", FALSE },
    { &bq_line_type, "line-1", FALSE },
    { &bq_product_type, "product-1", FALSE },
    { &bq_line_type, "line-2", TRUE },
    { &bq_run_type, "run-0", FALSE },
    { &bq_run_type, "run-1", TRUE },
    { &bq_run_type, "run-2", FALSE },
    { &bq_run_type, "run-3", FALSE },
    { &bq_run_type, "run-4", TRUE },
  };
  const BqEntityType *parents[] = { &bq_site_type, &bq_line_type, &bq_product_type };
  gint64 previous = 0, next = -1;
  guint n_pages;

  for (guint i = 0; i < G_N_ELEMENTS (parents); i++)
    {
      g_autofree char *id = g_strdup_printf ("%s-1", parents[i]->name);
      gpointer entity = make_entity (parents[i], id, TRUE);

      put_ok (f->store, entity);
      bq_entity_free (entity);
    }
  {
    g_autoptr(BqLine) line = make_entity (&bq_line_type, "line-2", TRUE);
    put_ok (f->store, line);
  }
  for (guint i = 0; i < 5; i++)
    {
      g_autofree char *id = g_strdup_printf ("run-%u", i);
      g_autoptr(BqRun) run = make_run (id, "line-1", T0 + i * HOUR, BQ_RUN_PLANNED);

      put_ok (f->store, run);
    }
  /* Overwrites move a row to a new revision; deletes leave tombstones. */
  {
    g_autoptr(BqRun) run = bq_store_get (f->store, &bq_run_type, "run-0", &error);
    g_assert_no_error (error);
    run->status = BQ_RUN_SYNTHESIS;
    put_ok (f->store, run);
  }
  g_assert_true (bq_store_delete (f->store, &bq_run_type, "run-1", &error));
  g_assert_true (bq_store_delete (f->store, &bq_run_type, "run-4", &error));
  g_assert_true (bq_store_delete (f->store, &bq_line_type, "line-2", &error));
  g_assert_no_error (error);

  /* Every page size visits every change exactly once, oldest first. */
  for (guint limit = 1; limit <= 12; limit++)
    {
      changes = all_changes (f->store, 0, limit, &n_pages);
      g_assert_cmpuint (changes->len, ==, G_N_ELEMENTS (expected));
      g_assert_cmpuint (n_pages, ==, changes->len / limit + 1);
      g_hash_table_remove_all (seen);
      previous = 0;

      for (guint i = 0; i < changes->len; i++)
        {
          BqChange *change = g_ptr_array_index (changes, i);
          gboolean found = FALSE;

          g_assert_cmpint (change->revision, >, previous);
          previous = change->revision;
          g_assert_true (g_hash_table_add (seen, g_strdup_printf ("%s/%s", change->type->name,
                                                                  change->id)));
          for (guint e = 0; e < G_N_ELEMENTS (expected); e++)
            {
              if (expected[e].type != change->type || strcmp (expected[e].id, change->id) != 0)
                continue;
              found = TRUE;
              g_assert_cmpint (change->entity == NULL, ==, expected[e].deleted);
            }
          g_assert_true (found);
          if (change->entity != NULL)
            {
              g_assert_true (BQ_ENTITY (change->entity)->type == change->type);
              g_assert_cmpstr (BQ_ENTITY (change->entity)->id, ==, change->id);
              g_assert_cmpint (BQ_ENTITY (change->entity)->revision, ==, change->revision);
            }
        }
      g_assert_cmpint (previous, ==, bq_store_get_revision (f->store));
      g_clear_pointer (&changes, g_ptr_array_unref);
    }

  /* From the middle: only what came after. */
  page = bq_store_changes_since (f->store, bq_store_get_revision (f->store) - 2, 0, &next,
                                 &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 2);
  g_assert_cmpint (next, ==, bq_store_get_revision (f->store));
  g_clear_pointer (&page, g_ptr_array_unref);

  /* Up to date: nothing, and next_since stays where it is. */
  page = bq_store_changes_since (f->store, bq_store_get_revision (f->store), 100, &next, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);
  g_assert_cmpint (next, ==, bq_store_get_revision (f->store));
}

static void
test_changes_tombstone_cleared (Fixture       *f,
                                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (bq_entity_free);
  BqChange *change;
  guint n_pages;

  put_ok (f->store, site);
  g_assert_true (bq_store_delete (f->store, &bq_site_type, "site-1", &error));
  g_assert_no_error (error);

  changes = all_changes (f->store, 0, 10, &n_pages);
  g_assert_cmpuint (changes->len, ==, 1);
  change = g_ptr_array_index (changes, 0);
  g_assert_true (change->type == &bq_site_type);
  g_assert_cmpstr (change->id, ==, "site-1");
  g_assert_null (change->entity);
  g_clear_pointer (&changes, g_ptr_array_unref);

  /* Putting it back, through put_many this time, removes the tombstone:
   * the feed has the site once, alive. */
  g_ptr_array_add (batch, make_entity (&bq_site_type, "site-1", FALSE));
  g_assert_true (bq_store_put_many (f->store, batch, &error));
  g_assert_no_error (error);
  changes = all_changes (f->store, 0, 10, &n_pages);
  g_assert_cmpuint (changes->len, ==, 1);
  change = g_ptr_array_index (changes, 0);
  g_assert_nonnull (change->entity);
  g_assert_cmpint (change->revision, ==, 3);
}

/* ----------------------------------------------------------- transactions */

static void
test_transaction_nested (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) a = make_entity (&bq_site_type, "site-a", TRUE);
  g_autoptr(BqSite) b = make_entity (&bq_site_type, "site-b", TRUE);
  g_autoptr(BqSite) c = make_entity (&bq_site_type, "site-c", TRUE);
  g_autoptr(GPtrArray) sites = NULL;
  gpointer missing;

  g_assert_true (bq_store_begin (f->store, &error));
  put_ok (f->store, a);
  g_assert_true (bq_store_begin (f->store, &error));
  put_ok (f->store, b);
  bq_store_rollback (f->store);                  /* b goes */
  g_assert_true (bq_store_begin (f->store, &error));
  put_ok (f->store, c);
  g_assert_true (bq_store_commit (f->store, &error));  /* c stays, for now */
  g_assert_true (bq_store_commit (f->store, &error));
  g_assert_no_error (error);

  sites = bq_store_list (f->store, &bq_site_type, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (sites->len, ==, 2);
  g_assert_cmpstr (BQ_ENTITY (sites->pdata[0])->id, ==, "site-a");
  g_assert_cmpstr (BQ_ENTITY (sites->pdata[1])->id, ==, "site-c");
  missing = bq_store_get (f->store, &bq_site_type, "site-b", &error);
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND);
  g_assert_null (missing);

  /* Revisions only go up, even past the one b had and lost. */
  g_assert_cmpint (b->base.revision, >, a->base.revision);
  g_assert_cmpint (c->base.revision, >, b->base.revision);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, c->base.revision);
}

static void
test_transaction_rollback (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) a = make_entity (&bq_site_type, "site-a", TRUE);
  g_autoptr(BqSite) b = make_entity (&bq_site_type, "site-b", TRUE);
  g_autoptr(BqSite) c = make_entity (&bq_site_type, "site-c", TRUE);

  put_ok (f->store, a);

  g_assert_true (bq_store_begin (f->store, &error));
  put_ok (f->store, b);
  g_assert_true (bq_store_begin (f->store, &error));
  g_assert_true (bq_store_delete (f->store, &bq_site_type, "site-a", &error));
  g_assert_true (bq_store_commit (f->store, &error));  /* inner */
  g_assert_no_error (error);
  g_assert_cmpint (count (f->store, &bq_site_type), ==, 1);
  bq_store_rollback (f->store);                      /* outer: all of it */

  g_assert_cmpint (count (f->store, &bq_site_type), ==, 1);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, a->base.revision);
  {
    g_autoptr(BqSite) stored = bq_store_get (f->store, &bq_site_type, "site-a", &error);
    g_assert_no_error (error);
    g_assert_true (bq_entity_equal (a, stored));
  }

  /* The next write never reuses a revision handed out in the rollback. */
  put_ok (f->store, c);
  g_assert_cmpint (c->base.revision, >, b->base.revision);
}

static void
test_transaction_failing_put (Fixture       *f,
                              gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  g_autoptr(BqLine) good = make_entity (&bq_line_type, "line-good", TRUE);
  g_autoptr(BqLine) bad = make_entity (&bq_line_type, "line-bad", TRUE);
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (bq_entity_free);

  put_ok (f->store, site);
  g_free (bad->site_id);
  bad->site_id = g_strdup ("no-such-site");

  g_assert_true (bq_store_begin (f->store, &error));
  put_ok (f->store, good);

  /* A failing put leaves the caller's transaction usable: deciding is theirs. */
  g_assert_false (bq_store_put (f->store, bad, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  /* A failing put_many undoes itself and nothing of the caller's. */
  g_ptr_array_add (batch, make_entity (&bq_line_type, "line-batch", TRUE));
  g_ptr_array_add (batch, bq_entity_copy (bad));
  g_assert_false (bq_store_put_many (f->store, batch, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_clear_error (&error);

  g_assert_true (bq_store_commit (f->store, &error));
  g_assert_no_error (error);

  g_assert_cmpint (count (f->store, &bq_line_type), ==, 1);
  {
    g_autoptr(BqLine) stored = bq_store_get (f->store, &bq_line_type, "line-good", &error);
    g_assert_no_error (error);
    g_assert_true (bq_entity_equal (good, stored));
  }
}

static void
test_transaction_busy (Fixture       *f,
                       gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) other = bq_store_open (f->path, &error);
  g_autoptr(BqSite) site = make_entity (&bq_site_type, "site-1", TRUE);
  g_autoptr(GPtrArray) page = NULL;

  g_assert_no_error (error);
  /* Not five seconds in a test. */
  sqlite3_busy_timeout (bq_store_get_db (other), 50);

  g_assert_true (bq_store_begin (f->store, &error));
  g_assert_false (bq_store_put (other, site, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_BUSY);
  g_clear_error (&error);

  /* Readers are not blocked by the writer (WAL). */
  page = bq_store_changes_since (other, 0, 10, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (page->len, ==, 0);

  bq_store_rollback (f->store);
  put_ok (other, site);
}

/* ---------------------------------------------------------------- queries */

#define N_QUERY_RUNS 40

/* 40 runs on two lines, six hours apart; runs 20–23 start at the same
 * time so ties are broken by id; run 7's batch is an SQL injection. */
static void
put_query_runs (BqStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func (bq_entity_free);
  BqLine *line2;

  put_one_of_each (store);
  line2 = make_entity (&bq_line_type, "line-2", TRUE);
  g_ptr_array_add (batch, line2);

  for (guint i = 0; i < N_QUERY_RUNS; i++)
    {
      g_autofree char *id = g_strdup_printf ("q%02u", (i * 7) % N_QUERY_RUNS);
      gint64 start = T0 + (i >= 20 && i < 24 ? 20 : i) * 6 * HOUR;
      BqRun *run = make_run (id, i % 2 ? "line-2" : "line-1", start,
                             i % 3 == 0 ? BQ_RUN_RELEASED : BQ_RUN_PLANNED);

      if (i == 7)
        {
          g_free (run->batch);
          run->batch = g_strdup ("x' OR '1'='1");
        }
      g_ptr_array_add (batch, run);
    }
  g_assert_true (bq_store_put_many (store, batch, &error));
  g_assert_no_error (error);
}

static GPtrArray *
query_ok (BqStore *store,
          BqQuery *query)
{
  g_autoptr(GError) error = NULL;
  GPtrArray *result = bq_store_query (store, query, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static guint
query_count (BqStore *store,
             BqQuery *query)
{
  g_autoptr(GPtrArray) result = query_ok (store, query);

  return result->len;
}

static void
test_query_equals_in (Fixture       *f,
                      gconstpointer  data)
{
  const char *lines[] = { "line-1", "line-2", "nowhere", NULL };
  const char *none[] = { NULL };
  const char *quoted[] = { "x' OR '1'='1", "') OR 1=1 --", NULL };
  g_autoptr(BqQuery) by_line = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) by_status = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) by_both = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) in_lines = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) in_none = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) injected_id = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) injected_in = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) injected_batch = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) pools = bq_query_new (&bq_slot_type);
  g_autoptr(BqQuery) serves = bq_query_new (&bq_user_type);
  g_autoptr(BqQuery) disabled = bq_query_new (&bq_user_type);
  g_autoptr(GPtrArray) batch = NULL;

  put_query_runs (f->store);
  {
    g_autoptr(BqSlot) pool = make_entity (&bq_slot_type, "slot-pool", FALSE);
    g_autoptr(BqUser) user = make_entity (&bq_user_type, "user-2", FALSE);
    put_ok (f->store, pool);
    put_ok (f->store, user);
  }

  bq_query_where_equals (by_line, "line_id", "line-2");
  g_assert_cmpuint (query_count (f->store, by_line), ==, N_QUERY_RUNS / 2);

  /* Enums compare by nick.  run-1 is released too. */
  bq_query_where_equals (by_status, "status", "released");
  g_assert_cmpuint (query_count (f->store, by_status), ==, 14 + 1);

  bq_query_where_equals (by_both, "status", "released");
  bq_query_where_equals (by_both, "line_id", "line-1");
  g_assert_cmpuint (query_count (f->store, by_both), ==, 7 + 1);

  bq_query_where_in (in_lines, "line_id", lines);
  g_assert_cmpuint (query_count (f->store, in_lines), ==, N_QUERY_RUNS + 1);
  bq_query_where_in (in_none, "line_id", none);
  g_assert_cmpuint (query_count (f->store, in_none), ==, 0);

  /* Values are bound, never spliced: SQL in them is just text. */
  bq_query_where_equals (injected_id, "id", "x' OR '1'='1");
  g_assert_cmpuint (query_count (f->store, injected_id), ==, 0);
  bq_query_where_in (injected_in, "line_id", quoted);
  g_assert_cmpuint (query_count (f->store, injected_in), ==, 0);
  bq_query_where_equals (injected_batch, "batch", "x' OR '1'='1");
  batch = query_ok (f->store, injected_batch);
  g_assert_cmpuint (batch->len, ==, 1);
  g_assert_cmpstr (((BqRun *) batch->pdata[0])->batch, ==, "x' OR '1'='1");
  g_assert_cmpint (count (f->store, &bq_run_type), ==, N_QUERY_RUNS + 1);

  /* NULL matches an unset field: the regional pools. */
  bq_query_where_equals (pools, "centre_id", NULL);
  g_assert_cmpuint (query_count (f->store, pools), ==, 1);

  /* A list field matches when it contains the value. */
  bq_query_where_equals (serves, "centre_ids", "Zürich");
  g_assert_cmpuint (query_count (f->store, serves), ==, 1);
  bq_query_where_equals (disabled, "disabled", "false");
  g_assert_cmpuint (query_count (f->store, disabled), ==, 1);
}

static gint64
run_start (gconstpointer run)
{
  return ((const BqRun *) run)->start_time;
}

static void
test_query_range_overlaps (Fixture       *f,
                           gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) all = NULL;
  gint64 from = T0 + 30 * HOUR + 1;   /* inside run 5 (30 h … 33 h) */
  gint64 to = T0 + 60 * HOUR;         /* run 10 starts exactly here: excluded */

  put_query_runs (f->store);
  {
    /* Ten days long, begun long before the window: the overlap still
     * finds it however it narrows the search. */
    g_autoptr(BqRun) long_run = make_run ("q-long", "line-2", T0 - 8 * DAY, BQ_RUN_PLANNED);

    long_run->eos_time = T0 + 40 * HOUR;
    long_run->calibration_time = long_run->eos_time;
    put_ok (f->store, long_run);
  }
  all = bq_store_list (f->store, &bq_run_type, &error);
  g_assert_no_error (error);

  {
    g_autoptr(BqQuery) range = bq_query_new (&bq_run_type);
    g_autoptr(GPtrArray) result = NULL;
    guint expected = 0;

    bq_query_where_range (range, "start_time", from, to);
    result = query_ok (f->store, range);
    for (guint i = 0; i < all->len; i++)
      expected += run_start (all->pdata[i]) >= from && run_start (all->pdata[i]) < to;
    g_assert_cmpuint (result->len, ==, expected);
    g_assert_cmpuint (expected, ==, 4);  /* runs 6–9 */
  }
  {
    g_autoptr(BqQuery) overlaps = bq_query_new (&bq_run_type);
    g_autoptr(GPtrArray) result = NULL;
    guint expected = 0;

    bq_query_where_overlaps (overlaps, "start_time", "eos_time", from, to);
    result = query_ok (f->store, overlaps);
    for (guint i = 0; i < all->len; i++)
      {
        const BqRun *run = all->pdata[i];
        expected += run->start_time < to && run->eos_time >= from;
      }
    g_assert_cmpuint (result->len, ==, expected);
    g_assert_cmpuint (expected, ==, 6);  /* runs 5–9 and the long one */
  }
  {
    /* Open ends. */
    g_autoptr(BqQuery) before = bq_query_new (&bq_run_type);
    g_autoptr(BqQuery) everything = bq_query_new (&bq_run_type);

    bq_query_where_range (before, "start_time", G_MININT64, T0 + 6 * HOUR);
    g_assert_cmpuint (query_count (f->store, before), ==, 3);  /* the first, run-1, the long one */
    bq_query_where_overlaps (everything, "start_time", "eos_time", G_MININT64, G_MAXINT64);
    g_assert_cmpuint (query_count (f->store, everything), ==, all->len);
  }
  {
    /* A lane with no end of validity is valid for ever. */
    g_autoptr(BqLane) open_lane = make_entity (&bq_lane_type, "lane-2", FALSE);
    g_autoptr(BqQuery) valid = bq_query_new (&bq_lane_type);

    put_ok (f->store, open_lane);
    bq_query_where_overlaps (valid, "valid_from", "valid_to", T0 + 365 * DAY, T0 + 366 * DAY);
    g_assert_cmpuint (query_count (f->store, valid), ==, 1);
  }
}

static void
test_query_order_paging (Fixture       *f,
                         gconstpointer  data)
{
  g_autoptr(BqQuery) ordered = bq_query_new (&bq_run_type);
  g_autoptr(GPtrArray) all = NULL;
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  put_query_runs (f->store);

  bq_query_order_by (ordered, "start_time", TRUE);
  all = query_ok (f->store, ordered);
  g_assert_cmpuint (all->len, ==, N_QUERY_RUNS + 1);
  for (guint i = 1; i < all->len; i++)
    {
      const BqRun *a = all->pdata[i - 1];
      const BqRun *b = all->pdata[i];

      g_assert_cmpint (a->start_time, >=, b->start_time);
      if (a->start_time == b->start_time)
        g_assert_cmpstr (a->base.id, <, b->base.id);
    }

  /* Pages of 3 put back together are the whole, in the same order. */
  for (guint offset = 0; offset < all->len; offset += 3)
    {
      g_autoptr(BqQuery) paged = bq_query_new (&bq_run_type);
      g_autoptr(GPtrArray) page = NULL;

      bq_query_order_by (paged, "start_time", TRUE);
      bq_query_set_limit (paged, 3, offset);
      page = query_ok (f->store, paged);
      g_assert_cmpuint (page->len, ==, MIN (3, all->len - offset));
      for (guint i = 0; i < page->len; i++)
        {
          g_assert_cmpstr (BQ_ENTITY (page->pdata[i])->id, ==,
                           BQ_ENTITY (all->pdata[offset + i])->id);
          g_assert_true (g_hash_table_add (seen, BQ_ENTITY (all->pdata[offset + i])->id));
        }
    }
  g_assert_cmpuint (g_hash_table_size (seen), ==, all->len);

  /* The default is by id. */
  {
    g_autoptr(GError) error = NULL;
    g_autoptr(GPtrArray) listed = bq_store_list (f->store, &bq_run_type, &error);

    g_assert_no_error (error);
    for (guint i = 1; i < listed->len; i++)
      g_assert_cmpstr (BQ_ENTITY (listed->pdata[i - 1])->id, <, BQ_ENTITY (listed->pdata[i])->id);
  }
}

static void
assert_query_error (BqStore *store,
                    BqQuery *query)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) result = bq_store_query (store, query, &error);

  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_QUERY);
  g_test_message ("%s", error->message);
  g_assert_null (result);
}

static void
test_query_errors (Fixture       *f,
                   gconstpointer  data)
{
  const char *values[] = { "a", NULL };
  g_autoptr(BqQuery) unknown_equals = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) unknown_in = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) unknown_order = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) injected_field = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) range_on_text = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) bad_nick = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) bad_number = bq_query_new (&bq_run_type);

  put_query_runs (f->store);

  bq_query_where_equals (unknown_equals, "colour", "red");
  assert_query_error (f->store, unknown_equals);
  bq_query_where_in (unknown_in, "colour", values);
  assert_query_error (f->store, unknown_in);
  bq_query_order_by (unknown_order, "colour", FALSE);
  assert_query_error (f->store, unknown_order);
  bq_query_where_equals (injected_field, "id = id OR 1", "x");
  assert_query_error (f->store, injected_field);
  bq_query_where_range (range_on_text, "batch", 0, 10);
  assert_query_error (f->store, range_on_text);
  bq_query_where_equals (bad_nick, "status", "exploded");
  assert_query_error (f->store, bad_nick);
  bq_query_where_equals (bad_number, "dose_capacity", "six");
  assert_query_error (f->store, bad_number);
}

/* ------------------------------------------------------------------- bulk */

#define N_BULK_RUNS 100000

static void
test_bulk_load (Fixture       *f,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) batch = g_ptr_array_new_full (N_BULK_RUNS + 8, bq_entity_free);
  g_autoptr(BqQuery) week = bq_query_new (&bq_run_type);
  g_autoptr(GPtrArray) in_week = NULL;
  gint64 revision, started, elapsed;
  guint n_lines = 8;

  g_ptr_array_add (batch, make_entity (&bq_site_type, "site-1", TRUE));
  g_ptr_array_add (batch, make_entity (&bq_product_type, "product-1", TRUE));
  for (guint l = 0; l < n_lines; l++)
    {
      g_autofree char *id = g_strdup_printf ("line-%u", l);
      g_ptr_array_add (batch, make_entity (&bq_line_type, id, TRUE));
    }
  for (guint i = 0; i < N_BULK_RUNS; i++)
    {
      g_autofree char *line = g_strdup_printf ("line-%u", i % n_lines);
      /* One run every 20 minutes across the lines: about 2.3 years. */
      g_ptr_array_add (batch, make_run (NULL, line, T0 + (gint64) i * 1200, BQ_RUN_PLANNED));
    }
  revision = bq_store_get_revision (f->store);

  started = g_get_monotonic_time ();
  g_assert_true (bq_store_put_many (f->store, batch, &error));
  elapsed = g_get_monotonic_time () - started;
  g_assert_no_error (error);
  g_test_message ("put_many of %u rows: %.3f s (%.0f rows/s)", batch->len, elapsed / 1e6,
                  batch->len / (elapsed / 1e6));

  g_assert_cmpint (count (f->store, &bq_run_type), ==, N_BULK_RUNS);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision + batch->len);
  g_assert_cmpint (BQ_ENTITY (batch->pdata[batch->len - 1])->revision, ==,
                   revision + batch->len);

  started = g_get_monotonic_time ();
  bq_query_where_overlaps (week, "start_time", "eos_time", T0 + 300 * DAY, T0 + 307 * DAY);
  in_week = query_ok (f->store, week);
  elapsed = g_get_monotonic_time () - started;
  g_test_message ("one week by overlap: %u runs in %.1f ms", in_week->len, elapsed / 1e3);
  g_assert_cmpuint (in_week->len, ==, 7 * 72 + 9);  /* 72 starts a day, 9 begun before */

  /* Again, a thousand of them changed: updates in place, each a new revision. */
  revision = bq_store_get_revision (f->store);
  g_ptr_array_set_size (in_week, 0);
  for (guint i = 0; i < 1000; i++)
    {
      BqRun *run = bq_entity_copy (batch->pdata[batch->len - 1 - i]);

      run->status = BQ_RUN_RELEASED;
      g_ptr_array_add (in_week, run);
    }
  g_assert_true (bq_store_put_many (f->store, in_week, &error));
  g_assert_no_error (error);
  g_assert_cmpint (count (f->store, &bq_run_type), ==, N_BULK_RUNS);
  g_assert_cmpint (bq_store_get_revision (f->store), ==, revision + 1000);
  {
    g_autoptr(BqQuery) released = bq_query_new (&bq_run_type);

    bq_query_where_equals (released, "status", "released");
    g_assert_cmpuint (query_count (f->store, released), ==, 1000);
  }
}

/* ------------------------------------------------------------ crash safety */

/* The child: commit one write, then die without closing anything — no
 * finalize, no checkpoint, no atexit — as a killed server would. */
static int
crash_writer (const char *path)
{
  g_autoptr(GError) error = NULL;
  BqStore *store = bq_store_open (path, &error);
  BqSite *site = make_entity (&bq_site_type, "survivor", TRUE);

  if (store == NULL || !bq_store_put (store, site, &error))
    {
      g_printerr ("crash writer: %s\n", error->message);
      return 1;
    }
  g_print ("committed %" G_GINT64_FORMAT "\n", site->base.revision);
  fflush (stdout);
  _exit (0);
}

static void
test_crash_safety (Fixture       *f,
                   gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *out = NULL;
  g_autofree char *err = NULL;
  g_autofree char *wal = g_strconcat (f->path, "-wal", NULL);
  g_autoptr(BqSite) site = NULL;
  const char *argv[] = { self_exe, "--crash-writer", f->path, NULL };
  int status;

  g_clear_object (&f->store);  /* the child has the file to itself */

  g_assert_true (g_spawn_sync (NULL, (char **) argv, NULL, G_SPAWN_DEFAULT, NULL, NULL,
                               &out, &err, &status, &error));
  g_assert_no_error (error);
  g_test_message ("child said: %s%s", out, err);
  g_assert_true (g_spawn_check_wait_status (status, &error));
  g_assert_no_error (error);
  g_assert_true (g_str_has_prefix (out, "committed "));

  /* The write is only in the log the child left behind. */
  g_assert_true (g_file_test (wal, G_FILE_TEST_EXISTS));

  f->store = bq_store_open (f->path, &error);
  g_assert_no_error (error);
  site = bq_store_get (f->store, &bq_site_type, "survivor", &error);
  g_assert_no_error (error);
  g_assert_nonnull (site);
  g_assert_cmpint (site->base.revision, ==, g_ascii_strtoll (out + strlen ("committed "), NULL, 10));
  g_assert_cmpint (bq_store_get_revision (f->store), ==, site->base.revision);
}

int
main (int    argc,
      char **argv)
{
  g_autofree char *exe = NULL;

  if (argc == 3 && strcmp (argv[1], "--crash-writer") == 0)
    return crash_writer (argv[2]);

  exe = g_file_read_link ("/proc/self/exe", NULL);
  self_exe = exe != NULL ? exe : argv[0];

  /* No G_TEST_OPTION_ISOLATE_DIRS: every test works in its own
   * g_dir_make_tmp() directory and the store reads no XDG directory, and
   * GLib 2.74 leaks the redirected paths once per test, which would hide
   * real leaks from valgrind. */
  g_test_init (&argc, &argv, NULL);

  FIXTURE_TEST ("/store/open/new-file-and-reopen", test_open_new_file);
  g_test_add_func ("/store/open/memory", test_open_memory);
  FIXTURE_TEST ("/store/open/wal-and-full-sync", test_open_wal);
  FIXTURE_TEST ("/store/open/newer-schema-is-refused", test_open_newer_refused);
  FIXTURE_TEST ("/store/open/not-a-database-is-refused", test_open_not_a_database);
  FIXTURE_TEST ("/store/open/foreign-database-is-refused", test_open_foreign_database);
  FIXTURE_TEST ("/store/schema/matches-descriptors", test_schema_matches_descriptors);
  FIXTURE_TEST ("/store/schema/enum-checks-match-nicks", test_schema_enum_checks);
  FIXTURE_TEST ("/store/put/round-trip-every-type", test_put_round_trip);
  FIXTURE_TEST ("/store/put/update-keeps-children", test_put_update);
  FIXTURE_TEST ("/store/put/assigns-id", test_put_assigns_id);
  FIXTURE_TEST ("/store/put/invalid-is-a-model-error", test_put_invalid);
  FIXTURE_TEST ("/store/put/dangling-reference-is-refused", test_put_foreign_key);
  FIXTURE_TEST ("/store/put/duplicate-username-is-refused", test_put_unique);
  FIXTURE_TEST ("/store/put-many/one-bad-row-stores-nothing", test_put_many_atomic);
  FIXTURE_TEST ("/store/put-many/invalid-stores-nothing", test_put_many_invalid);
  FIXTURE_TEST ("/store/delete/tombstone-not-found-and-referenced", test_delete);
  FIXTURE_TEST ("/store/changes/order-paging-and-tombstones", test_changes_since);
  FIXTURE_TEST ("/store/changes/put-again-clears-tombstone", test_changes_tombstone_cleared);
  FIXTURE_TEST ("/store/transaction/nested", test_transaction_nested);
  FIXTURE_TEST ("/store/transaction/rollback", test_transaction_rollback);
  FIXTURE_TEST ("/store/transaction/failing-put-inside", test_transaction_failing_put);
  FIXTURE_TEST ("/store/transaction/busy", test_transaction_busy);
  FIXTURE_TEST ("/store/query/equals-and-in", test_query_equals_in);
  FIXTURE_TEST ("/store/query/range-and-overlaps", test_query_range_overlaps);
  FIXTURE_TEST ("/store/query/order-and-paging", test_query_order_paging);
  FIXTURE_TEST ("/store/query/errors", test_query_errors);
  FIXTURE_TEST ("/store/bulk/100k-runs", test_bulk_load);
  FIXTURE_TEST ("/store/crash/committed-write-survives-exit", test_crash_safety);

  return g_test_run ();
}
