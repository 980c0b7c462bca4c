/* bq-store-schema.c — the versioned SQLite schema
 *
 * The schema is a list of hand-written migrations.  A migration is never
 * edited once it has shipped: databases in the field were built by it, so
 * a change to the schema is a new script appended to the list.  The
 * version a database has reached is its PRAGMA user_version.
 *
 * The tables mirror the entity descriptions in bq-model.c (one table per
 * type named by its plural, one column per field); test-store checks that
 * the two never drift apart.  Columns are NOT NULL unless the field is
 * optional *and* its C type can say "unset" (a NULL string or list, NAN,
 * BQ_TIME_UNSET): an optional integer, boolean or enum always has a value,
 * so a NULL there could only be a bug.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-store-private.h"

/* Migration 1: everything.  The indexes serve the change feed (revision),
 * the screens' filters, and every foreign key's child column, without
 * which deleting a parent would scan the whole child table.  The
 * "duration" indexes answer max(end - start) at once, which turns "runs
 * overlapping this week" into a two-sided range on start_time (see
 * bq_store_schema_has_duration_index()). */
static const char migration_1[] =
  "PRAGMA application_id = 1114718833;\n" /* BQ_STORE_APPLICATION_ID */
  "\n"
  "CREATE TABLE store_meta (\n"
  "  key   TEXT PRIMARY KEY NOT NULL,\n"
  "  value\n"
  ");\n"
  "INSERT INTO store_meta (key, value) VALUES ('revision', 0);\n"
  "\n"
  "CREATE TABLE tombstones (\n"
  "  kind     TEXT NOT NULL,\n"
  "  id       TEXT NOT NULL,\n"
  "  revision INTEGER NOT NULL,\n"
  "  PRIMARY KEY (kind, id)\n"
  ");\n"
  "CREATE INDEX tombstones_revision ON tombstones (revision);\n"
  "\n"
  "CREATE TABLE sites (\n"
  "  id           TEXT PRIMARY KEY NOT NULL,\n"
  "  revision     INTEGER NOT NULL,\n"
  "  name         TEXT NOT NULL,\n"
  "  organisation TEXT NOT NULL,\n"
  "  city         TEXT,\n"
  "  country      TEXT NOT NULL,\n"
  "  timezone     TEXT NOT NULL,\n"
  "  latitude     REAL NOT NULL,\n"
  "  longitude    REAL NOT NULL\n"
  ");\n"
  "CREATE INDEX sites_revision ON sites (revision);\n"
  "\n"
  "CREATE TABLE lines (\n"
  "  id       TEXT PRIMARY KEY NOT NULL,\n"
  "  revision INTEGER NOT NULL,\n"
  "  site_id  TEXT NOT NULL REFERENCES sites (id),\n"
  "  name     TEXT NOT NULL\n"
  ");\n"
  "CREATE INDEX lines_revision ON lines (revision);\n"
  "CREATE INDEX lines_site_id ON lines (site_id);\n"
  "\n"
  "CREATE TABLE products (\n"
  "  id                      TEXT PRIMARY KEY NOT NULL,\n"
  "  revision                INTEGER NOT NULL,\n"
  "  name                    TEXT NOT NULL,\n"
  "  nuclide                 TEXT NOT NULL,\n"
  "  dose_activity_bq        REAL NOT NULL,\n"
  "  tolerance               REAL NOT NULL,\n"
  "  concentration_bq_per_ml REAL NOT NULL,\n"
  "  shelf_life_s            INTEGER NOT NULL,\n"
  "  synthesis_duration_s    INTEGER NOT NULL,\n"
  "  qc_duration_s           INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX products_revision ON products (revision);\n"
  "\n"
  "CREATE TABLE centres (\n"
  "  id        TEXT PRIMARY KEY NOT NULL,\n"
  "  revision  INTEGER NOT NULL,\n"
  "  name      TEXT NOT NULL,\n"
  "  city      TEXT,\n"
  "  country   TEXT NOT NULL,\n"
  "  region    TEXT NOT NULL,\n"
  "  timezone  TEXT NOT NULL,\n"
  "  latitude  REAL NOT NULL,\n"
  "  longitude REAL NOT NULL\n"
  ");\n"
  "CREATE INDEX centres_revision ON centres (revision);\n"
  "\n"
  "CREATE TABLE hubs (\n"
  "  id        TEXT PRIMARY KEY NOT NULL,\n"
  "  revision  INTEGER NOT NULL,\n"
  "  code      TEXT NOT NULL,\n"
  "  name      TEXT NOT NULL,\n"
  "  timezone  TEXT NOT NULL,\n"
  "  latitude  REAL NOT NULL,\n"
  "  longitude REAL NOT NULL\n"
  ");\n"
  "CREATE INDEX hubs_revision ON hubs (revision);\n"
  "\n"
  "CREATE TABLE users (\n"
  "  id           TEXT PRIMARY KEY NOT NULL,\n"
  "  revision     INTEGER NOT NULL,\n"
  "  username     TEXT NOT NULL,\n"
  "  display_name TEXT,\n"
  "  role         TEXT NOT NULL\n"
  "               CHECK (role IN ('admin', 'planner', 'account_manager', 'qa',\n"
  "                               'logistics', 'viewer')),\n"
  "  centre_ids   TEXT,\n" /* a JSON array of strings */
  "  disabled     INTEGER NOT NULL CHECK (disabled IN (0, 1))\n"
  ");\n"
  "CREATE INDEX users_revision ON users (revision);\n"
  "CREATE UNIQUE INDEX users_username ON users (username);\n"
  "\n"
  "CREATE TABLE runs (\n"
  "  id               TEXT PRIMARY KEY NOT NULL,\n"
  "  revision         INTEGER NOT NULL,\n"
  "  line_id          TEXT NOT NULL REFERENCES lines (id),\n"
  "  product_id       TEXT NOT NULL REFERENCES products (id),\n"
  "  batch            TEXT NOT NULL,\n"
  "  start_time       INTEGER NOT NULL,\n"
  "  eos_time         INTEGER NOT NULL,\n"
  "  calibration_time INTEGER NOT NULL,\n"
  "  activity_eos_bq  REAL NOT NULL,\n"
  "  dose_capacity    INTEGER NOT NULL,\n"
  "  status           TEXT NOT NULL\n"
  "                   CHECK (status IN ('planned', 'synthesis', 'qc', 'released',\n"
  "                                     'failed', 'shipped', 'cancelled'))\n"
  ");\n"
  "CREATE INDEX runs_revision ON runs (revision);\n"
  "CREATE INDEX runs_line_id_start_time ON runs (line_id, start_time);\n"
  "CREATE INDEX runs_start_time ON runs (start_time);\n"
  "CREATE INDEX runs_product_id ON runs (product_id);\n"
  "CREATE INDEX runs_duration ON runs ((eos_time - start_time));\n"
  "\n"
  "CREATE TABLE forecasts (\n"
  "  id         TEXT PRIMARY KEY NOT NULL,\n"
  "  revision   INTEGER NOT NULL,\n"
  "  centre_id  TEXT NOT NULL REFERENCES centres (id),\n"
  "  product_id TEXT NOT NULL REFERENCES products (id),\n"
  "  week_start INTEGER NOT NULL,\n"
  "  doses      INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX forecasts_revision ON forecasts (revision);\n"
  "CREATE INDEX forecasts_centre_id_week_start ON forecasts (centre_id, week_start);\n"
  "CREATE INDEX forecasts_product_id ON forecasts (product_id);\n"
  "\n"
  "CREATE TABLE qc_results (\n"
  "  id          TEXT PRIMARY KEY NOT NULL,\n"
  "  revision    INTEGER NOT NULL,\n"
  "  run_id      TEXT NOT NULL REFERENCES runs (id),\n"
  "  test        TEXT NOT NULL,\n"
  "  status      TEXT NOT NULL CHECK (status IN ('pending', 'pass', 'fail')),\n"
  "  value       REAL,\n"
  "  unit        TEXT,\n"
  "  recorded_at INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX qc_results_revision ON qc_results (revision);\n"
  "CREATE INDEX qc_results_run_id ON qc_results (run_id);\n"
  "\n"
  "CREATE TABLE slots (\n"
  "  id            TEXT PRIMARY KEY NOT NULL,\n"
  "  revision      INTEGER NOT NULL,\n"
  "  run_id        TEXT NOT NULL REFERENCES runs (id),\n"
  "  centre_id     TEXT REFERENCES centres (id),\n"
  "  region        TEXT,\n"
  "  delivery_date INTEGER NOT NULL,\n"
  "  capacity      INTEGER NOT NULL,\n"
  "  claimed       INTEGER NOT NULL,\n"
  "  status        TEXT NOT NULL\n"
  "                CHECK (status IN ('open', 'held', 'claimed', 'confirmed', 'shipped',\n"
  "                                  'released')),\n"
  "  hold_expires  INTEGER,\n"
  "  held_by       TEXT REFERENCES users (id)\n"
  ");\n"
  "CREATE INDEX slots_revision ON slots (revision);\n"
  "CREATE INDEX slots_run_id ON slots (run_id);\n"
  "CREATE INDEX slots_centre_id_delivery_date ON slots (centre_id, delivery_date);\n"
  "CREATE INDEX slots_held_by ON slots (held_by);\n"
  "\n"
  "CREATE TABLE lanes (\n"
  "  id              TEXT PRIMARY KEY NOT NULL,\n"
  "  revision        INTEGER NOT NULL,\n"
  "  mode            TEXT NOT NULL\n"
  "                  CHECK (mode IN ('ground', 'flight', 'charter', 'handover')),\n"
  "  origin_id       TEXT NOT NULL,\n" /* a site, hub or centre: no single parent */
  "  destination_id  TEXT NOT NULL,\n"
  "  carrier         TEXT NOT NULL,\n"
  "  service         TEXT,\n"
  "  weekdays        INTEGER NOT NULL,\n"
  "  departure_local INTEGER NOT NULL,\n"
  "  duration_s      INTEGER NOT NULL,\n"
  "  handling_s      INTEGER NOT NULL,\n"
  "  valid_from      INTEGER,\n"
  "  valid_to        INTEGER,\n"
  "  class7_accepted INTEGER NOT NULL CHECK (class7_accepted IN (0, 1))\n"
  ");\n"
  "CREATE INDEX lanes_revision ON lanes (revision);\n"
  "\n"
  "CREATE TABLE shipments (\n"
  "  id                TEXT PRIMARY KEY NOT NULL,\n"
  "  revision          INTEGER NOT NULL,\n"
  "  run_id            TEXT NOT NULL REFERENCES runs (id),\n"
  "  centre_id         TEXT NOT NULL REFERENCES centres (id),\n"
  "  status            TEXT NOT NULL\n"
  "                    CHECK (status IN ('planned', 'in_transit', 'delivered', 'late',\n"
  "                                      'cancelled')),\n"
  "  planned_departure INTEGER NOT NULL,\n"
  "  planned_arrival   INTEGER NOT NULL,\n"
  "  actual_departure  INTEGER,\n"
  "  actual_arrival    INTEGER\n"
  ");\n"
  "CREATE INDEX shipments_revision ON shipments (revision);\n"
  "CREATE INDEX shipments_centre_id ON shipments (centre_id);\n"
  "CREATE INDEX shipments_run_id ON shipments (run_id);\n"
  "\n"
  "CREATE TABLE shipment_legs (\n"
  "  id                TEXT PRIMARY KEY NOT NULL,\n"
  "  revision          INTEGER NOT NULL,\n"
  "  shipment_id       TEXT NOT NULL REFERENCES shipments (id),\n"
  "  seq               INTEGER NOT NULL,\n"
  "  lane_id           TEXT NOT NULL REFERENCES lanes (id),\n"
  "  planned_departure INTEGER NOT NULL,\n"
  "  planned_arrival   INTEGER NOT NULL,\n"
  "  actual_departure  INTEGER,\n"
  "  actual_arrival    INTEGER,\n"
  "  status            TEXT NOT NULL\n"
  "                    CHECK (status IN ('planned', 'departed', 'arrived', 'late',\n"
  "                                      'cancelled'))\n"
  ");\n"
  "CREATE INDEX shipment_legs_revision ON shipment_legs (revision);\n"
  "CREATE INDEX shipment_legs_shipment_id ON shipment_legs (shipment_id);\n"
  "CREATE INDEX shipment_legs_lane_id ON shipment_legs (lane_id);\n"
  "\n"
  "CREATE TABLE orders (\n"
  "  id                     TEXT PRIMARY KEY NOT NULL,\n"
  "  revision               INTEGER NOT NULL,\n"
  "  centre_id              TEXT NOT NULL REFERENCES centres (id),\n"
  "  product_id             TEXT NOT NULL REFERENCES products (id),\n"
  "  patient_ref            TEXT NOT NULL,\n"
  "  prescribed_activity_bq REAL NOT NULL,\n"
  "  admin_start            INTEGER NOT NULL,\n"
  "  admin_end              INTEGER NOT NULL,\n"
  "  slot_id                TEXT REFERENCES slots (id),\n"
  "  run_id                 TEXT REFERENCES runs (id),\n"
  "  shipment_id            TEXT REFERENCES shipments (id),\n"
  "  status                 TEXT NOT NULL\n"
  "                         CHECK (status IN ('requested', 'confirmed', 'shipped',\n"
  "                                           'administered', 'cancelled'))\n"
  ");\n"
  "CREATE INDEX orders_revision ON orders (revision);\n"
  "CREATE INDEX orders_centre_id ON orders (centre_id);\n"
  "CREATE INDEX orders_admin_start ON orders (admin_start);\n"
  "CREATE INDEX orders_duration ON orders ((admin_end - admin_start));\n"
  "CREATE INDEX orders_product_id ON orders (product_id);\n"
  "CREATE INDEX orders_slot_id ON orders (slot_id);\n"
  "CREATE INDEX orders_run_id ON orders (run_id);\n"
  "CREATE INDEX orders_shipment_id ON orders (shipment_id);\n";

/* Migration 2: the server's tables beside the entities.
 *
 * credentials and sessions go with their user (ON DELETE CASCADE), so
 * deleting a user also ends their sessions.  The audit log refers to
 * nobody: it must outlive what it records.  Its triggers make it
 * append-only for every ordinary connection; they do not stop someone
 * who can rewrite the file (dropping a trigger), which is what the hash
 * chain is for.  login_failures is keyed by the name typed, which need
 * not be a user's.  tombstone_scope remembers the centre of a deleted
 * scoped entity so the change feed can still filter its tombstone. */
static const char migration_2[] =
  "CREATE TABLE credentials (\n"
  "  user_id    TEXT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
  "  hash       TEXT NOT NULL,\n"
  "  updated_at INTEGER NOT NULL\n"
  ");\n"
  "\n"
  "CREATE TABLE sessions (\n"
  "  token_hash TEXT PRIMARY KEY NOT NULL,\n"
  "  user_id    TEXT NOT NULL REFERENCES users (id) ON DELETE CASCADE,\n"
  "  created_at INTEGER NOT NULL,\n"
  "  expires_at INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX sessions_user_id ON sessions (user_id);\n"
  "CREATE INDEX sessions_expires_at ON sessions (expires_at);\n"
  "\n"
  "CREATE TABLE login_failures (\n"
  "  username TEXT NOT NULL,\n"
  "  at       INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX login_failures_username_at ON login_failures (username, at);\n"
  "CREATE INDEX login_failures_at ON login_failures (at);\n"
  "\n"
  "CREATE TABLE audit_log (\n"
  "  seq         INTEGER PRIMARY KEY NOT NULL,\n"
  "  at          INTEGER NOT NULL,\n"
  "  user_id     TEXT,\n"
  "  action      TEXT NOT NULL,\n"
  "  kind        TEXT,\n"
  "  entity_id   TEXT,\n"
  "  revision    INTEGER NOT NULL,\n"
  "  reason      TEXT,\n"
  "  before_json TEXT,\n"
  "  after_json  TEXT,\n"
  "  prev_hash   TEXT NOT NULL,\n"
  "  hash        TEXT NOT NULL\n"
  ");\n"
  "CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log\n"
  "BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;\n"
  "CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log\n"
  "BEGIN SELECT RAISE (ABORT, 'the audit log is append-only'); END;\n"
  "\n"
  "CREATE TABLE idempotency_keys (\n"
  "  user_id     TEXT NOT NULL,\n"
  "  key         TEXT NOT NULL,\n"
  "  method      TEXT NOT NULL,\n"
  "  path        TEXT NOT NULL,\n"
  "  body_sha256 TEXT NOT NULL,\n"
  "  status      INTEGER NOT NULL,\n"
  "  response    TEXT,\n"
  "  created_at  INTEGER NOT NULL,\n"
  "  PRIMARY KEY (user_id, key)\n"
  ");\n"
  "CREATE INDEX idempotency_keys_created_at ON idempotency_keys (created_at);\n"
  "\n"
  "CREATE TABLE tombstone_scope (\n"
  "  kind      TEXT NOT NULL,\n"
  "  id        TEXT NOT NULL,\n"
  "  centre_id TEXT,\n"
  "  PRIMARY KEY (kind, id)\n"
  ");\n";

/* Service levels of a site's deliveries to a region (issue 6). */
static const char migration_sla[] =
  "CREATE TABLE slas (\n"
  "  id                 TEXT PRIMARY KEY NOT NULL,\n"
  "  revision           INTEGER NOT NULL,\n"
  "  site_id            TEXT NOT NULL REFERENCES sites (id),\n"
  "  region             TEXT NOT NULL,\n"
  "  max_door_to_door_s INTEGER NOT NULL,\n"
  "  min_before_admin_s INTEGER NOT NULL\n"
  ");\n"
  "CREATE INDEX slas_revision ON slas (revision);\n"
  "CREATE INDEX slas_site_id ON slas (site_id);\n";

/* Line calendars, product recipes and maintenance blocks (issue 5).  The
 * new columns default to "no constraint", so lines and products written
 * before it plan as they did. */
static const char migration_plan[] =
  "ALTER TABLE lines ADD COLUMN product_ids TEXT;\n" /* a JSON array of strings */
  "ALTER TABLE lines ADD COLUMN working_weekdays INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE lines ADD COLUMN shift_start_local INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE lines ADD COLUMN shift_end_local INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE lines ADD COLUMN changeover_s INTEGER NOT NULL DEFAULT 0;\n"
  "\n"
  "ALTER TABLE products ADD COLUMN qc_release_tests TEXT;\n"
  "ALTER TABLE products ADD COLUMN activity_margin REAL;\n"
  "ALTER TABLE products ADD COLUMN supply_weekdays INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN supply_arrival_local INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN supply_window_s INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN max_doses_per_run INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN max_activity_eos_bq REAL;\n"
  "\n"
  "CREATE TABLE maintenance_blocks (\n"
  "  id         TEXT PRIMARY KEY NOT NULL,\n"
  "  revision   INTEGER NOT NULL,\n"
  "  line_id    TEXT NOT NULL REFERENCES lines (id),\n"
  "  start_time INTEGER NOT NULL,\n"
  "  end_time   INTEGER NOT NULL,\n"
  "  reason     TEXT\n"
  ");\n"
  "CREATE INDEX maintenance_blocks_revision ON maintenance_blocks (revision);\n"
  "CREATE INDEX maintenance_blocks_line_id_start_time\n"
  "  ON maintenance_blocks (line_id, start_time);\n";

/* The slot engine (issue 7): ordering cut-offs, hold durations and how a
 * product's capacity is offered; doses held in a slot and its cut-off.
 * Defaults keep what was written before as it was: no cut-off, 15 min
 * holds, centre quotas. */
static const char migration_slots[] =
  "ALTER TABLE products ADD COLUMN order_cutoff_s INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN order_cutoff_weekday INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN order_cutoff_local INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN hold_duration_s INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE products ADD COLUMN slot_offering TEXT NOT NULL DEFAULT 'quota'\n"
  "  CHECK (slot_offering IN ('quota', 'pool'));\n"
  "ALTER TABLE centres ADD COLUMN order_cutoff_s INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE slots ADD COLUMN held INTEGER NOT NULL DEFAULT 0;\n"
  "ALTER TABLE slots ADD COLUMN order_cutoff INTEGER;\n"
  "CREATE INDEX slots_region_delivery_date ON slots (region, delivery_date);\n"
  "CREATE INDEX slots_delivery_date ON slots (delivery_date);\n";

/* Re-routing proposals the server stores when a leg of a shipment is late
 * or cancelled (issue 6): the new legs as JSON, accepted or rejected by
 * logistics.  Not an entity: clients read them through the shipment's
 * /reroutes, and accepting one changes the legs, which are. */
static const char migration_reroute[] =
  "CREATE TABLE reroute_proposals (\n"
  "  id            TEXT PRIMARY KEY NOT NULL,\n"
  "  shipment_id   TEXT NOT NULL REFERENCES shipments (id) ON DELETE CASCADE,\n"
  "  leg_id        TEXT NOT NULL,\n"
  "  from_seq      INTEGER NOT NULL,\n"    /* the first leg the proposal replaces */
  "  created_at    INTEGER NOT NULL,\n"
  "  created_by    TEXT,\n"
  "  revision      INTEGER NOT NULL,\n"    /* the store's, when it was made */
  "  outcome       TEXT NOT NULL,\n"       /* on_plan, proposal, cannot_be_saved */
  "  reason        TEXT NOT NULL,\n"
  "  message       TEXT,\n"
  "  reroute       TEXT NOT NULL,\n"       /* bq_reroute_to_json() */
  "  status        TEXT NOT NULL DEFAULT 'proposed',\n"
  "  decided_at    INTEGER,\n"
  "  decided_by    TEXT\n"
  ");\n"
  "CREATE INDEX reroute_proposals_shipment_id ON reroute_proposals (shipment_id, created_at);\n";

/* Index i takes a database from version i to version i + 1.  Append only. */
static const char * const migrations[] = {
  migration_1,
  migration_2,
  migration_sla,
  migration_plan,
  migration_slots,
  migration_reroute,
};

/* The (start, end) pairs with an index on (end - start). */
static const struct {
  const char *table;
  const char *start;
  const char *end;
} duration_indexes[] = {
  { "runs", "start_time", "eos_time" },
  { "orders", "admin_start", "admin_end" },
};

gboolean
bq_store_schema_has_duration_index (const BqEntityType *type,
                                    const char         *start,
                                    const char         *end)
{
  for (guint i = 0; i < G_N_ELEMENTS (duration_indexes); i++)
    {
      if (strcmp (duration_indexes[i].table, type->plural) == 0 &&
          strcmp (duration_indexes[i].start, start) == 0 &&
          strcmp (duration_indexes[i].end, end) == 0)
        return TRUE;
    }
  return FALSE;
}

int
bq_store_schema_latest_version (void)
{
  return G_N_ELEMENTS (migrations);
}

static gboolean
query_int (sqlite3     *db,
           const char  *sql,
           gint64      *value,
           GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      bq_store_set_sqlite_error (db, rc, error, "“%s”", sql);
      return FALSE;
    }
  *value = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

static gboolean
exec (sqlite3     *db,
      const char  *sql,
      GError     **error)
{
  int rc = sqlite3_exec (db, sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    {
      bq_store_set_sqlite_error (db, rc, error, "“%s”", sql);
      return FALSE;
    }
  return TRUE;
}

/* Whether the file is ours (or empty, to become ours) and not too new. */
static gboolean
check_database (sqlite3  *db,
                gint64   *version,
                GError  **error)
{
  g_autoptr(GError) local_error = NULL;
  gint64 n_objects, application_id;

  /* The first read is where SQLite finds out that a file is not a
   * database at all (SQLITE_NOTADB). */
  if (!query_int (db, "SELECT count(*) FROM sqlite_schema", &n_objects, &local_error) ||
      !query_int (db, "PRAGMA application_id", &application_id, &local_error) ||
      !query_int (db, "PRAGMA user_version", version, &local_error))
    {
      if (g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_BUSY))
        {
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN,
                   "not a readable SQLite database: %s", sqlite3_errmsg (db));
      return FALSE;
    }

  if (application_id == 0 && *version == 0 && n_objects == 0)
    return TRUE;  /* a new, empty file */
  if (application_id != BQ_STORE_APPLICATION_ID)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN,
                   "a SQLite database, but not a Becquerel one");
      return FALSE;
    }
  if (*version > bq_store_schema_latest_version ())
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_SCHEMA,
                   "written by a newer Becquerel (schema version %" G_GINT64_FORMAT
                   "; this version knows up to %d)",
                   *version, bq_store_schema_latest_version ());
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_store_schema_migrate (sqlite3  *db,
                         int      *version,
                         GError  **error)
{
  gint64 current;

  g_assert (db != NULL);
  g_assert (sqlite3_get_autocommit (db));

  if (!check_database (db, &current, error))
    return FALSE;

  while (current < bq_store_schema_latest_version ())
    {
      g_autofree char *set_version = NULL;
      g_autoptr(GError) local_error = NULL;

      if (!exec (db, "BEGIN IMMEDIATE", error))
        return FALSE;

      /* Another process may have migrated while we waited for the write
       * lock, so look again now that nobody else can. */
      if (!check_database (db, &current, error))
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          return FALSE;
        }
      if (current >= bq_store_schema_latest_version ())
        {
          sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          break;
        }

      /* user_version is in the file header, written in the same
       * transaction as the migration: both or neither. */
      set_version = g_strdup_printf ("PRAGMA user_version = %d", (int) current + 1);
      if (!exec (db, migrations[current], &local_error) ||
          !exec (db, set_version, &local_error) ||
          !exec (db, "COMMIT", &local_error))
        {
          if (!sqlite3_get_autocommit (db))
            sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
          if (g_error_matches (local_error, BQ_STORE_ERROR, BQ_STORE_ERROR_BUSY))
            g_propagate_error (error, g_steal_pointer (&local_error));
          else
            g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_SCHEMA,
                         "migration to schema version %d failed: %s",
                         (int) current + 1, local_error->message);
          return FALSE;
        }
      current++;
    }

  *version = (int) current;
  return TRUE;
}
