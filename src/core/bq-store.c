/* bq-store.c — the SQLite store
 *
 * Every entity type has a table whose columns are its fields, so rows are
 * bound and read generically through the BqField descriptions.  The
 * statements for each type are prepared on first use and kept until the
 * store is finalized.
 *
 * Revisions.  store_meta holds the last revision handed out.  Every row
 * change (put or delete) takes the next number, so a revision names one
 * change of one row, and the change feed is "rows and tombstones with
 * revision > since".  Numbers are handed out under the write lock (BEGIN
 * IMMEDIATE) and the counter is written back once, just before COMMIT, in
 * the same transaction as the rows: both or neither reach the disk.  After
 * a rollback this process does not hand the abandoned numbers out again,
 * so a revision that a caller may still hold in memory never comes to
 * mean a different change; the feed just has a gap there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <json-glib/json-glib.h>

#include "bq-store-private.h"

G_DEFINE_QUARK (bq-store-error-quark, bq_store_error)

/* The statements every entity type needs, prepared on first use. */
typedef enum {
  TYPE_STMT_INSERT,
  TYPE_STMT_UPDATE,
  TYPE_STMT_SELECT_BY_ID,
  TYPE_STMT_DELETE_BY_ID,
  TYPE_STMT_COUNT,
  TYPE_STMT_SELECT_REVISIONS,   /* revision in (?1, ?2], for the change feed */
  N_TYPE_STMTS
} TypeStmt;

typedef sqlite3_stmt *TypeStmts[N_TYPE_STMTS];

/* Statements that do not belong to one type. */
typedef enum {
  STMT_BEGIN,
  STMT_BEGIN_READ,
  STMT_COMMIT,
  STMT_ROLLBACK,
  STMT_SAVEPOINT,
  STMT_RELEASE,
  STMT_ROLLBACK_TO,
  STMT_READ_REVISION,
  STMT_WRITE_REVISION,
  STMT_ANY_TOMBSTONE,
  STMT_DELETE_TOMBSTONE,
  STMT_PUT_TOMBSTONE,
  STMT_CHANGES,
  N_STMTS
} Stmt;

static const char * const stmt_sql[N_STMTS] = {
  [STMT_BEGIN] = "BEGIN IMMEDIATE",
  [STMT_BEGIN_READ] = "BEGIN",
  [STMT_COMMIT] = "COMMIT",
  [STMT_ROLLBACK] = "ROLLBACK",
  [STMT_SAVEPOINT] = "SAVEPOINT bq_nested",
  [STMT_RELEASE] = "RELEASE bq_nested",
  [STMT_ROLLBACK_TO] = "ROLLBACK TO bq_nested",
  [STMT_READ_REVISION] = "SELECT value FROM store_meta WHERE key = 'revision'",
  [STMT_WRITE_REVISION] = "UPDATE store_meta SET value = ?1 WHERE key = 'revision'",
  [STMT_ANY_TOMBSTONE] = "SELECT EXISTS (SELECT 1 FROM tombstones)",
  [STMT_DELETE_TOMBSTONE] = "DELETE FROM tombstones WHERE kind = ?1 AND id = ?2",
  [STMT_PUT_TOMBSTONE] = "INSERT INTO tombstones (kind, id, revision) VALUES (?1, ?2, ?3) "
                         "ON CONFLICT (kind, id) DO UPDATE SET revision = excluded.revision",
  [STMT_CHANGES] = NULL,  /* built from the type list, see build_changes_sql() */
};

struct _BqStore
{
  GObject       parent_instance;

  char         *path;
  sqlite3      *db;
  int           schema_version;

  /* 0 outside a transaction; 1 inside BEGIN; more inside savepoints. */
  guint         depth;
  /* The last revision handed out.  Only authoritative inside a
   * transaction (it is re-read from store_meta at every BEGIN); never
   * goes down, see the comment at the top. */
  gint64        revision;
  /* store_meta's value as read at the outermost BEGIN: the counter is
   * written back at COMMIT only when it moved. */
  gint64        revision_at_begin;

  guint         n_types;
  TypeStmts    *type_stmts;    /* indexed like bq_entity_types () */
  sqlite3_stmt *stmts[N_STMTS];
  /* bq_store_prepare_cached(): SQL text (owned) → statement */
  GHashTable   *cached;
};

G_DEFINE_FINAL_TYPE (BqStore, bq_store, G_TYPE_OBJECT)

/* ----------------------------------------------------------------- errors */

void
bq_store_set_sqlite_error (sqlite3    *db,
                           int         rc,
                           GError    **error,
                           const char *format,
                           ...)
{
  g_autofree char *context = NULL;
  BqStoreError code;
  va_list args;

  if (error == NULL)
    return;

  va_start (args, format);
  context = g_strdup_vprintf (format, args);
  va_end (args);

  switch (rc & 0xff)
    {
    case SQLITE_CONSTRAINT:
      code = BQ_STORE_ERROR_CONSTRAINT;
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      code = BQ_STORE_ERROR_BUSY;
      break;
    default:
      code = BQ_STORE_ERROR_FAILED;
      break;
    }

  /* sqlite3_errmsg() describes the last call on @db; callers come here
   * straight after the failing one. */
  g_set_error (error, BQ_STORE_ERROR, code, "%s: %s", context,
               db != NULL ? sqlite3_errmsg (db) : sqlite3_errstr (rc));
}

/* ------------------------------------------------------------- statements */

static int
type_index (BqStore            *self,
            const BqEntityType *type)
{
  const BqEntityType * const *types = bq_entity_types (NULL);

  for (guint i = 0; i < self->n_types; i++)
    {
      if (types[i] == type)
        return (int) i;
    }
  return -1;
}

static BqBorrowedStmt *
prepare_cached (BqStore        *self,
                sqlite3_stmt  **slot,
                const char     *sql,
                GError        **error)
{
  int rc;

  if (*slot != NULL)
    return *slot;

  /* PERSISTENT: these live as long as the store. */
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, slot, NULL);
  if (rc != SQLITE_OK)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot prepare “%s”", sql);
      g_clear_pointer (slot, sqlite3_finalize);
      return NULL;
    }
  return *slot;
}

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

int
bq_store_prepare_cached (BqStore       *self,
                         const char    *sql,
                         sqlite3_stmt **stmt)
{
  sqlite3_stmt *cached;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), SQLITE_MISUSE);
  g_return_val_if_fail (sql != NULL && stmt != NULL, SQLITE_MISUSE);

  *stmt = NULL;
  if (self->cached == NULL)
    self->cached = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                          finalize_stmt);
  cached = g_hash_table_lookup (self->cached, sql);
  if (cached != NULL)
    {
      /* Handing it out twice would reset it under its first user. */
      if (sqlite3_stmt_busy (cached))
        {
          g_critical ("cached statement still in use: %s", sql);
          return SQLITE_MISUSE;
        }
      *stmt = cached;
      return SQLITE_OK;
    }
  rc = sqlite3_prepare_v3 (self->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &cached, NULL);
  if (rc != SQLITE_OK)
    {
      sqlite3_finalize (cached);
      return rc;
    }
  g_hash_table_insert (self->cached, g_strdup (sql), cached);
  *stmt = cached;
  return SQLITE_OK;
}

void
bq_store_stmt_release (sqlite3_stmt *stmt)
{
  if (stmt == NULL)
    return;
  sqlite3_reset (stmt);
  sqlite3_clear_bindings (stmt);
}

static void
append_columns (GString            *sql,
                const BqEntityType *type,
                const char         *prefix)
{
  for (guint i = 0; i < type->n_fields; i++)
    g_string_append_printf (sql, "%s%s\"%s\"", i > 0 ? ", " : "",
                            prefix, type->fields[i].name);
}

static char *
build_type_sql (const BqEntityType *type,
                TypeStmt            which)
{
  GString *sql = g_string_new (NULL);

  switch (which)
    {
    /* A put is this insert, and the update when the id exists.  Not
     * INSERT OR REPLACE: REPLACE deletes the old row first, which fires
     * (and fails) the foreign keys of its children.  Not one upsert
     * either (ON CONFLICT DO UPDATE): with foreign keys on, SQLite gives
     * every upsert a statement journal, which made bulk loads four times
     * slower; a plain single-row insert needs none. */
    case TYPE_STMT_INSERT:
      g_string_append_printf (sql, "INSERT INTO \"%s\" (", type->plural);
      append_columns (sql, type, "");
      g_string_append (sql, ") VALUES (");
      for (guint i = 0; i < type->n_fields; i++)
        g_string_append_printf (sql, "%s?%u", i > 0 ? ", " : "", i + 1);
      g_string_append (sql, ") ON CONFLICT (\"id\") DO NOTHING");
      break;

    case TYPE_STMT_UPDATE:
      /* Parameters numbered as in the insert, so one binding serves both. */
      g_string_append_printf (sql, "UPDATE \"%s\" SET ", type->plural);
      for (guint i = 1; i < type->n_fields; i++)
        g_string_append_printf (sql, "%s\"%s\" = ?%u", i > 1 ? ", " : "",
                                type->fields[i].name, i + 1);
      g_string_append (sql, " WHERE \"id\" = ?1");
      break;

    case TYPE_STMT_SELECT_BY_ID:
      g_string_append (sql, "SELECT ");
      append_columns (sql, type, "");
      g_string_append_printf (sql, " FROM \"%s\" WHERE \"id\" = ?1", type->plural);
      break;

    case TYPE_STMT_DELETE_BY_ID:
      g_string_append_printf (sql, "DELETE FROM \"%s\" WHERE \"id\" = ?1", type->plural);
      break;

    case TYPE_STMT_COUNT:
      g_string_append_printf (sql, "SELECT count(*) FROM \"%s\"", type->plural);
      break;

    case TYPE_STMT_SELECT_REVISIONS:
      g_string_append (sql, "SELECT ");
      append_columns (sql, type, "");
      g_string_append_printf (sql, " FROM \"%s\" WHERE \"revision\" > ?1 AND "
                              "\"revision\" <= ?2 ORDER BY \"revision\"", type->plural);
      break;

    case N_TYPE_STMTS:
    default:
      g_assert_not_reached ();
    }

  return g_string_free (sql, FALSE);
}

/* One union over every table and the tombstones.  Entity rows leave the
 * id out so that SQLite can answer from the revision indexes alone; the
 * rows themselves are fetched per type afterwards. */
static char *
build_changes_sql (void)
{
  const BqEntityType * const *types;
  GString *sql = g_string_new (NULL);
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    g_string_append_printf (sql, "SELECT '%s' AS kind, NULL AS id, revision FROM \"%s\" "
                            "WHERE revision > ?1 UNION ALL ",
                            types[i]->name, types[i]->plural);
  g_string_append (sql, "SELECT kind, id, revision FROM tombstones WHERE revision > ?1 "
                        "ORDER BY 3 LIMIT ?2");
  return g_string_free (sql, FALSE);
}

static BqBorrowedStmt *
get_type_stmt (BqStore            *self,
               const BqEntityType *type,
               TypeStmt            which,
               GError            **error)
{
  g_autofree char *sql = NULL;
  int i = type_index (self, type);

  g_assert (i >= 0);

  if (self->type_stmts[i][which] != NULL)
    return self->type_stmts[i][which];

  sql = build_type_sql (type, which);
  return prepare_cached (self, &self->type_stmts[i][which], sql, error);
}

static BqBorrowedStmt *
get_stmt (BqStore  *self,
          Stmt      which,
          GError  **error)
{
  g_autofree char *sql = NULL;

  if (self->stmts[which] != NULL)
    return self->stmts[which];

  if (which == STMT_CHANGES)
    sql = build_changes_sql ();
  else
    sql = g_strdup (stmt_sql[which]);
  return prepare_cached (self, &self->stmts[which], sql, error);
}

/* Runs a cached statement that returns no rows. */
static gboolean
run_stmt (BqStore  *self,
          Stmt      which,
          GError  **error)
{
  g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, which, error);
  int rc;

  if (stmt == NULL)
    return FALSE;

  rc = sqlite3_step (stmt);
  if (rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "“%s”", sqlite3_sql (stmt));
      return FALSE;
    }
  return TRUE;
}

/* --------------------------------------------------------- rows ↔ structs */

/* A list field is stored as a JSON array of strings. */
static char *
strv_to_json (char * const *values)
{
  GString *json = g_string_new ("[");

  for (guint i = 0; values[i] != NULL; i++)
    {
      if (i > 0)
        g_string_append_c (json, ',');
      g_string_append_c (json, '"');
      for (const char *p = values[i]; *p; p++)
        {
          if (*p == '"' || *p == '\\')
            g_string_append_printf (json, "\\%c", *p);
          else if ((guchar) *p < 0x20)
            g_string_append_printf (json, "\\u%04x", (guint) (guchar) *p);
          else
            g_string_append_c (json, *p);
        }
      g_string_append_c (json, '"');
    }
  g_string_append_c (json, ']');
  return g_string_free (json, FALSE);
}

static char **
strv_from_json (const char *text)
{
  g_autoptr(JsonParser) parser = json_parser_new_immutable ();
  g_autoptr(GPtrArray) values = NULL;
  JsonNode *root;
  JsonArray *array;

  if (!json_parser_load_from_data (parser, text, -1, NULL))
    return NULL;
  root = json_parser_get_root (parser);
  if (root == NULL || !JSON_NODE_HOLDS_ARRAY (root))
    return NULL;

  array = json_node_get_array (root);
  values = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (json_node_get_value_type (element) != G_TYPE_STRING)
        return NULL;
      g_ptr_array_add (values, g_strdup (json_node_get_string (element)));
    }
  g_ptr_array_add (values, NULL);
  return (char **) g_ptr_array_free (g_steal_pointer (&values), FALSE);
}

/* Binds every field of @entity, in descriptor order, with @revision in
 * place of the entity's own.  Strings are bound SQLITE_STATIC: the entity
 * outlives the step, and every parameter is bound again before the next. */
static int
bind_entity (sqlite3_stmt  *stmt,
             gconstpointer  entity,
             gint64         revision)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  int rc = SQLITE_OK;

  for (guint i = 0; i < type->n_fields && rc == SQLITE_OK; i++)
    {
      const BqField *field = &type->fields[i];
      gconstpointer p = BQ_FIELD_PTR (entity, field);
      int param = (int) i + 1;

      if (i == 1)
        {
          g_assert (strcmp (field->name, "revision") == 0);
          rc = sqlite3_bind_int64 (stmt, param, revision);
          continue;
        }

      switch (field->type)
        {
        case BQ_FIELD_STRING:
          rc = sqlite3_bind_text (stmt, param, *(char * const *) p, -1, SQLITE_STATIC);
          break;

        case BQ_FIELD_INT:
          rc = sqlite3_bind_int64 (stmt, param, *(const gint64 *) p);
          break;

        case BQ_FIELD_DOUBLE:
          if (isnan (*(const double *) p))
            rc = sqlite3_bind_null (stmt, param);
          else
            rc = sqlite3_bind_double (stmt, param, *(const double *) p);
          break;

        case BQ_FIELD_BOOL:
          rc = sqlite3_bind_int (stmt, param, *(const gboolean *) p ? 1 : 0);
          break;

        case BQ_FIELD_TIME:
          if (*(const gint64 *) p == BQ_TIME_UNSET)
            rc = sqlite3_bind_null (stmt, param);
          else
            rc = sqlite3_bind_int64 (stmt, param, *(const gint64 *) p);
          break;

        case BQ_FIELD_ENUM:
          /* Validated before, so the nick exists; nicks are static. */
          rc = sqlite3_bind_text (stmt, param, bq_enum_to_nick (field, *(const int *) p),
                                  -1, SQLITE_STATIC);
          break;

        case BQ_FIELD_STRV:
          if (*(char ** const *) p == NULL)
            rc = sqlite3_bind_null (stmt, param);
          else
            rc = sqlite3_bind_text (stmt, param, strv_to_json (*(char ** const *) p),
                                    -1, g_free);
          break;

        default:
          g_assert_not_reached ();
        }
    }
  return rc;
}

/* The current row of @stmt, whose columns are @type's fields in order. */
static gpointer
read_entity (sqlite3_stmt        *stmt,
             const BqEntityType  *type,
             GError             **error)
{
  gpointer entity = bq_entity_new (type);

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];
      gpointer p = BQ_FIELD_PTR (entity, field);
      gboolean is_null = sqlite3_column_type (stmt, (int) i) == SQLITE_NULL;

      switch (field->type)
        {
        case BQ_FIELD_STRING:
          *(char **) p = is_null ? NULL
                                 : g_strdup ((const char *) sqlite3_column_text (stmt, (int) i));
          break;

        case BQ_FIELD_INT:
          *(gint64 *) p = sqlite3_column_int64 (stmt, (int) i);
          break;

        case BQ_FIELD_DOUBLE:
          *(double *) p = is_null ? NAN : sqlite3_column_double (stmt, (int) i);
          break;

        case BQ_FIELD_BOOL:
          *(gboolean *) p = sqlite3_column_int (stmt, (int) i) != 0;
          break;

        case BQ_FIELD_TIME:
          *(gint64 *) p = is_null ? BQ_TIME_UNSET : sqlite3_column_int64 (stmt, (int) i);
          break;

        case BQ_FIELD_ENUM:
          {
            const char *nick = (const char *) sqlite3_column_text (stmt, (int) i);
            int value = bq_enum_from_nick (field, nick);

            /* The CHECK constraint keeps other values out; this is a
             * file edited behind our back. */
            if (value < 0)
              {
                g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                             "%s “%s”: “%s” is not a known %s",
                             type->name, BQ_ENTITY (entity)->id, nick ? nick : "NULL",
                             field->name);
                bq_entity_free (entity);
                return NULL;
              }
            *(int *) p = value;
          }
          break;

        case BQ_FIELD_STRV:
          if (!is_null)
            {
              const char *json = (const char *) sqlite3_column_text (stmt, (int) i);

              *(char ***) p = strv_from_json (json);
              if (*(char ***) p == NULL)
                {
                  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                               "%s “%s”: %s is not a JSON list of strings",
                               type->name, BQ_ENTITY (entity)->id, field->name);
                  bq_entity_free (entity);
                  return NULL;
                }
            }
          break;

        default:
          g_assert_not_reached ();
        }
    }
  return entity;
}

/* ------------------------------------------------------------------ store */

static void
bq_store_finalize (GObject *object)
{
  BqStore *self = BQ_STORE (object);

  if (self->depth > 0)
    g_warning ("BqStore for %s finalized inside a transaction; it is rolled back",
               self->path);

  for (guint i = 0; i < self->n_types; i++)
    for (guint j = 0; j < N_TYPE_STMTS; j++)
      g_clear_pointer (&self->type_stmts[i][j], sqlite3_finalize);
  g_free (self->type_stmts);
  for (guint j = 0; j < N_STMTS; j++)
    g_clear_pointer (&self->stmts[j], sqlite3_finalize);
  g_clear_pointer (&self->cached, g_hash_table_unref);

  /* Closing rolls back an open transaction; every statement is finalized,
   * so the connection really closes and the WAL is checkpointed. */
  if (self->db != NULL && sqlite3_close (self->db) != SQLITE_OK)
    {
      g_warning ("cannot close %s: %s", self->path, sqlite3_errmsg (self->db));
      sqlite3_close_v2 (self->db);
    }
  self->db = NULL;
  g_free (self->path);

  G_OBJECT_CLASS (bq_store_parent_class)->finalize (object);
}

static void
bq_store_class_init (BqStoreClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bq_store_finalize;
}

static void
bq_store_init (BqStore *self)
{
  bq_entity_types (&self->n_types);
  self->type_stmts = g_new0 (TypeStmts, self->n_types);
}

/* A PRAGMA that answers one value; the value is returned as text. */
static char *
pragma (BqStore     *self,
        const char  *sql,
        GError     **error)
{
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  rc = sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "“%s”", sql);
      return NULL;
    }
  return g_strdup (rc == SQLITE_ROW ? (const char *) sqlite3_column_text (stmt, 0) : "");
}

static gboolean
pragma_set (BqStore     *self,
            const char  *sql,
            GError     **error)
{
  g_autofree char *answer = pragma (self, sql, error);

  return answer != NULL;
}

BqStore *
bq_store_open (const char  *path,
               GError     **error)
{
  g_autoptr(BqStore) self = NULL;
  g_autofree char *foreign_keys = NULL;
  int rc;

  g_return_val_if_fail (path != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  self = g_object_new (BQ_TYPE_STORE, NULL);
  self->path = g_strdup (path);

  /* NOMUTEX: a store is used by one thread at a time, as the header says;
   * SQLite's own locking would only cost time. */
  rc = sqlite3_open_v2 (path, &self->db,
                        SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
                        NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN, "cannot open %s: %s", path,
                   self->db != NULL ? sqlite3_errmsg (self->db) : sqlite3_errstr (rc));
      return NULL;
    }
  sqlite3_extended_result_codes (self->db, 1);
  /* Another process (the CLI beside the server) may hold the write lock
   * for a moment; wait rather than fail at once. */
  sqlite3_busy_timeout (self->db, 5000);

  /* Migrations run before foreign keys are switched on: a later migration
   * that rebuilds a table (SQLite's way to alter one) needs them off. */
  if (!bq_store_schema_migrate (self->db, &self->schema_version, error))
    {
      g_prefix_error (error, "%s: ", path);
      return NULL;
    }

  if (strcmp (path, ":memory:") != 0)
    {
      g_autofree char *mode = pragma (self, "PRAGMA journal_mode = WAL", error);

      if (mode == NULL)
        return NULL;
      if (g_ascii_strcasecmp (mode, "wal") != 0)
        {
          g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN,
                       "%s: cannot use a write-ahead log (journal mode stays “%s”)",
                       path, mode);
          return NULL;
        }
    }

  /* FULL: a commit is on disk before we say it happened, so a crash or a
   * power cut loses no acknowledged write. */
  if (!pragma_set (self, "PRAGMA synchronous = FULL", error) ||
      !pragma_set (self, "PRAGMA foreign_keys = ON", error))
    return NULL;
  /* The foreign_keys pragma is silently ignored by a SQLite built
   * without them: check that it took. */
  foreign_keys = pragma (self, "PRAGMA foreign_keys", error);
  if (foreign_keys == NULL)
    return NULL;
  if (strcmp (foreign_keys, "1") != 0)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_OPEN,
                   "%s: this SQLite does not enforce foreign keys", path);
      return NULL;
    }

  /* An UPDATE checked by foreign keys keeps a statement journal (the
   * pages it touched, to undo it alone); in memory that is a copy rather
   * than a write to a temporary file for every page.  16 MiB of page
   * cache instead of 2: a big transaction's indexes stay in memory rather
   * than spilling to the log and being read back (a third off a
   * 100,000-run load); only pages actually used are allocated. */
  if (!pragma_set (self, "PRAGMA temp_store = MEMORY", error) ||
      !pragma_set (self, "PRAGMA cache_size = -16384", error))
    return NULL;

  return g_steal_pointer (&self);
}

const char *
bq_store_get_path (BqStore *self)
{
  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  return self->path;
}

int
bq_store_get_schema_version (BqStore *self)
{
  g_return_val_if_fail (BQ_IS_STORE (self), 0);
  return self->schema_version;
}

sqlite3 *
bq_store_get_db (BqStore *self)
{
  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  return self->db;
}

/* The committed counter, as this connection sees it now. */
static gboolean
read_revision (BqStore  *self,
               gint64   *revision,
               GError  **error)
{
  g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_READ_REVISION, error);
  int rc;

  if (stmt == NULL)
    return FALSE;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot read the revision");
      return FALSE;
    }
  *revision = sqlite3_column_int64 (stmt, 0);
  return TRUE;
}

gint64
bq_store_get_revision (BqStore *self)
{
  g_autoptr(GError) error = NULL;
  gint64 revision;

  g_return_val_if_fail (BQ_IS_STORE (self), 0);

  /* Inside a transaction the counter in store_meta is only written at
   * COMMIT; outside, another process may have moved it. */
  if (self->depth > 0)
    return self->revision;
  if (!read_revision (self, &revision, &error))
    {
      g_warning ("%s: %s", self->path, error->message);
      return self->revision;
    }
  return revision;
}

/* ----------------------------------------------------------- transactions */

/* SQLite ends the whole transaction by itself after some errors (a full
 * disk, a lost lock); from then on statements would silently autocommit,
 * so writes refuse to run. */
static gboolean
check_transaction (BqStore  *self,
                   GError  **error)
{
  if (self->depth > 0 && sqlite3_get_autocommit (self->db))
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "the transaction was already rolled back after an earlier error");
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_store_begin (BqStore  *self,
                GError  **error)
{
  gint64 revision;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (self->depth > 0)
    {
      if (!check_transaction (self, error) || !run_stmt (self, STMT_SAVEPOINT, error))
        return FALSE;
      self->depth++;
      return TRUE;
    }

  /* IMMEDIATE takes the write lock now, so the counter read below cannot
   * change under us and revisions commit in the order they are given. */
  if (!run_stmt (self, STMT_BEGIN, error))
    return FALSE;
  if (!read_revision (self, &revision, error))
    {
      run_stmt (self, STMT_ROLLBACK, NULL);
      return FALSE;
    }
  self->revision_at_begin = revision;
  self->revision = MAX (self->revision, revision);
  self->depth = 1;
  return TRUE;
}

void
bq_store_rollback (BqStore *self)
{
  g_autoptr(GError) error = NULL;

  g_return_if_fail (BQ_IS_STORE (self));
  g_return_if_fail (self->depth > 0);

  self->depth--;

  /* Nothing left to undo when SQLite already rolled everything back. */
  if (sqlite3_get_autocommit (self->db))
    return;

  if (self->depth > 0)
    {
      /* ROLLBACK TO keeps the savepoint open; RELEASE ends it. */
      if (!run_stmt (self, STMT_ROLLBACK_TO, &error) ||
          !run_stmt (self, STMT_RELEASE, &error))
        g_warning ("%s: %s", self->path, error->message);
    }
  else if (!run_stmt (self, STMT_ROLLBACK, &error))
    {
      g_warning ("%s: %s", self->path, error->message);
    }
}

/* A failed commit rolls back what it was to commit (this level only, for
 * a nested one), so the caller only has to report the error. */
gboolean
bq_store_commit (BqStore  *self,
                 GError  **error)
{
  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (self->depth > 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_transaction (self, error))
    {
      self->depth--;
      return FALSE;
    }

  if (self->depth > 1)
    {
      if (!run_stmt (self, STMT_RELEASE, error))
        {
          bq_store_rollback (self);
          return FALSE;
        }
      self->depth--;
      return TRUE;
    }

  if (self->revision != self->revision_at_begin)
    {
      g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_WRITE_REVISION, error);
      int rc;

      if (stmt == NULL)
        {
          bq_store_rollback (self);
          return FALSE;
        }
      sqlite3_bind_int64 (stmt, 1, self->revision);
      rc = sqlite3_step (stmt);
      if (rc != SQLITE_DONE)
        {
          bq_store_set_sqlite_error (self->db, rc, error, "cannot write the revision");
          bq_store_rollback (self);
          return FALSE;
        }
    }

  if (!run_stmt (self, STMT_COMMIT, error))
    {
      bq_store_rollback (self);
      return FALSE;
    }
  self->depth = 0;
  return TRUE;
}

/* ------------------------------------------------------------------ writes */

static gboolean
row_exists (BqStore            *self,
            const BqEntityType *type,
            const char         *id)
{
  g_autoptr(BqBorrowedStmt) stmt = get_type_stmt (self, type, TYPE_STMT_SELECT_BY_ID, NULL);

  if (stmt == NULL)
    return TRUE;  /* cannot tell; do not blame this reference */
  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  return sqlite3_step (stmt) != SQLITE_DONE;
}

/* SQLite says only "FOREIGN KEY constraint failed" or names a column; say
 * which reference points at nothing, which value is taken. */
static void
set_put_error (BqStore       *self,
               gconstpointer  entity,
               int            rc,
               GError       **error)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  const char *id = BQ_ENTITY (entity)->id;
  g_autofree char *message = g_strdup (sqlite3_errmsg (self->db));

  if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
    {
      for (guint i = 0; i < type->n_fields; i++)
        {
          const BqField *field = &type->fields[i];
          const char *value = *(char * const *) BQ_FIELD_PTR (entity, field);
          const BqEntityType *parent;

          if (field->references == NULL || value == NULL)
            continue;
          parent = bq_entity_type_lookup (field->references);
          if (parent != NULL && !row_exists (self, parent, value))
            {
              g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT,
                           "%s “%s”: %s: there is no %s “%s”",
                           type->name, id, field->name, parent->name, value);
              return;
            }
        }
    }
  else if (rc == SQLITE_CONSTRAINT_UNIQUE && strrchr (message, '.') != NULL)
    {
      /* "UNIQUE constraint failed: users.username" */
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT,
                   "%s “%s”: another %s already has this %s",
                   type->name, id, type->name, strrchr (message, '.') + 1);
      return;
    }

  g_set_error (error, BQ_STORE_ERROR,
               (rc & 0xff) == SQLITE_CONSTRAINT ? BQ_STORE_ERROR_CONSTRAINT :
               (rc & 0xff) == SQLITE_BUSY ? BQ_STORE_ERROR_BUSY : BQ_STORE_ERROR_FAILED,
               "cannot store %s “%s”: %s", type->name, id, message);
}

/* Gives @entity a random id when it has none; TRUE if it did, so that a
 * failed write can take it back. */
static gboolean
ensure_id (gpointer entity)
{
  BqEntity *header = BQ_ENTITY (entity);

  if (header->id != NULL && header->id[0] != '\0')
    return FALSE;
  g_free (header->id);
  header->id = g_uuid_string_random ();
  return TRUE;
}

/* One row, at @revision.  @clear_tombstone: a put of an id that was
 * deleted brings it back, so its tombstone must go. */
static gboolean
write_entity (BqStore        *self,
              gconstpointer   entity,
              gint64          revision,
              gboolean        clear_tombstone,
              GError        **error)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  g_autoptr(BqBorrowedStmt) stmt = NULL;
  int rc;

  stmt = get_type_stmt (self, type, TYPE_STMT_INSERT, error);
  if (stmt == NULL)
    return FALSE;

  rc = bind_entity (stmt, entity, revision);
  if (rc == SQLITE_OK)
    rc = sqlite3_step (stmt);
  if (rc == SQLITE_DONE && sqlite3_changes (self->db) == 0)
    {
      /* DO NOTHING happened: the id is taken, so this is an update. */
      g_autoptr(BqBorrowedStmt) update = get_type_stmt (self, type, TYPE_STMT_UPDATE, error);

      if (update == NULL)
        return FALSE;
      rc = bind_entity (update, entity, revision);
      if (rc == SQLITE_OK)
        rc = sqlite3_step (update);
      if (rc != SQLITE_DONE)
        {
          set_put_error (self, entity, rc, error);
          return FALSE;
        }
    }
  else if (rc != SQLITE_DONE)
    {
      set_put_error (self, entity, rc, error);
      return FALSE;
    }

  if (clear_tombstone)
    {
      g_autoptr(BqBorrowedStmt) tomb = get_stmt (self, STMT_DELETE_TOMBSTONE, error);

      if (tomb == NULL)
        return FALSE;
      sqlite3_bind_text (tomb, 1, type->name, -1, SQLITE_STATIC);
      sqlite3_bind_text (tomb, 2, BQ_ENTITY (entity)->id, -1, SQLITE_STATIC);
      rc = sqlite3_step (tomb);
      if (rc != SQLITE_DONE)
        {
          bq_store_set_sqlite_error (self->db, rc, error, "cannot clear the tombstone of "
                                     "%s “%s”", type->name, BQ_ENTITY (entity)->id);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
bq_store_put (BqStore   *self,
              gpointer   entity,
              GError   **error)
{
  gboolean own_transaction;
  gboolean gave_id;
  gint64 revision;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (type_index (self, BQ_ENTITY (entity)->type) >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The model's error goes out as it is: it names the field. */
  if (!bq_entity_validate (entity, error))
    return FALSE;
  if (!check_transaction (self, error))
    return FALSE;

  own_transaction = self->depth == 0;
  if (own_transaction && !bq_store_begin (self, error))
    return FALSE;

  gave_id = ensure_id (entity);
  revision = self->revision + 1;

  /* The number is used up even if the write fails: should part of it
   * have landed in the caller's transaction (the row, but not the removal
   * of its tombstone) it must not be given to another row. */
  self->revision = revision;

  /* Inside the caller's transaction a failure is theirs to roll back: a
   * failed statement has already undone itself. */
  if (!write_entity (self, entity, revision, TRUE, error))
    {
      if (own_transaction)
        bq_store_rollback (self);
      if (gave_id)
        bq_entity_set_id (entity, NULL);
      return FALSE;
    }

  if (own_transaction && !bq_store_commit (self, error))
    {
      if (gave_id)
        bq_entity_set_id (entity, NULL);
      return FALSE;
    }

  BQ_ENTITY (entity)->revision = revision;
  return TRUE;
}

gboolean
bq_store_put_many (BqStore    *self,
                   GPtrArray  *entities,
                   GError    **error)
{
  g_autoptr(GArray) given_ids = NULL;
  gboolean tombstones_exist;
  gint64 first;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (entities != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* Everything is validated before anything is written, so bad input
   * costs no transaction and no lock. */
  for (guint i = 0; i < entities->len; i++)
    {
      gpointer entity = g_ptr_array_index (entities, i);

      g_return_val_if_fail (entity != NULL, FALSE);
      g_return_val_if_fail (type_index (self, BQ_ENTITY (entity)->type) >= 0, FALSE);
      if (!bq_entity_validate (entity, error))
        return FALSE;
    }
  if (entities->len == 0)
    return TRUE;

  /* A savepoint inside the caller's transaction, so that a failure undoes
   * all of this call and nothing of theirs. */
  if (!bq_store_begin (self, error))
    return FALSE;

  /* Only puts happen in here, so if there is no tombstone now there will
   * be none to clear: spare the bulk load a statement per row. */
  {
    g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_ANY_TOMBSTONE, error);

    if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
      {
        if (stmt != NULL)
          bq_store_set_sqlite_error (self->db, sqlite3_errcode (self->db), error,
                                     "cannot look for tombstones");
        bq_store_rollback (self);
        return FALSE;
      }
    tombstones_exist = sqlite3_column_int (stmt, 0) != 0;
  }

  given_ids = g_array_new (FALSE, FALSE, sizeof (guint));
  first = self->revision;

  for (guint i = 0; i < entities->len; i++)
    {
      gpointer entity = g_ptr_array_index (entities, i);

      if (ensure_id (entity))
        g_array_append_val (given_ids, i);
      self->revision = first + i + 1;  /* used up even if it fails, as in put */
      if (!write_entity (self, entity, first + i + 1, tombstones_exist, error))
        {
          /* Which one, for ids the store made up and will take back. */
          g_prefix_error (error, "item %u: ", i);
          bq_store_rollback (self);
          goto failed;
        }
    }

  if (!bq_store_commit (self, error))
    goto failed;

  /* Written back only now, so a failure leaves every entity as it was. */
  for (guint i = 0; i < entities->len; i++)
    BQ_ENTITY (g_ptr_array_index (entities, i))->revision = first + i + 1;
  return TRUE;

failed:
  for (guint i = 0; i < given_ids->len; i++)
    bq_entity_set_id (g_ptr_array_index (entities, g_array_index (given_ids, guint, i)), NULL);
  return FALSE;
}

gpointer
bq_store_get (BqStore             *self,
              const BqEntityType  *type,
              const char          *id,
              GError             **error)
{
  g_autoptr(BqBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  g_return_val_if_fail (type != NULL && type_index (self, type) >= 0, NULL);
  g_return_val_if_fail (id != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stmt = get_type_stmt (self, type, TYPE_STMT_SELECT_BY_ID, error);
  if (stmt == NULL)
    return NULL;

  sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_entity (stmt, type, error);
  if (rc == SQLITE_DONE)
    g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND,
                 "there is no %s “%s”", type->name, id);
  else
    bq_store_set_sqlite_error (self->db, rc, error, "cannot read %s “%s”", type->name, id);
  return NULL;
}

/* A delete refused by a foreign key: name a row that still refers. */
static void
set_delete_error (BqStore            *self,
                  const BqEntityType *type,
                  const char         *id,
                  GError            **error)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint t = 0; t < n_types; t++)
    {
      for (guint i = 0; i < types[t]->n_fields; i++)
        {
          const BqField *field = &types[t]->fields[i];
          g_autoptr(sqlite3_stmt) stmt = NULL;
          g_autofree char *sql = NULL;

          if (g_strcmp0 (field->references, type->name) != 0)
            continue;

          sql = g_strdup_printf ("SELECT id FROM \"%s\" WHERE \"%s\" = ?1 LIMIT 1",
                                 types[t]->plural, field->name);
          if (sqlite3_prepare_v2 (self->db, sql, -1, &stmt, NULL) != SQLITE_OK)
            continue;
          sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
          if (sqlite3_step (stmt) == SQLITE_ROW)
            {
              g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT,
                           "cannot delete %s “%s”: %s “%s” still refers to it (%s)",
                           type->name, id, types[t]->name,
                           (const char *) sqlite3_column_text (stmt, 0), field->name);
              return;
            }
        }
    }
  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT,
               "cannot delete %s “%s”: other records still refer to it", type->name, id);
}

gboolean
bq_store_delete (BqStore             *self,
                 const BqEntityType  *type,
                 const char          *id,
                 GError             **error)
{
  gboolean own_transaction;
  gint64 revision;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (type != NULL && type_index (self, type) >= 0, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;
  own_transaction = self->depth == 0;
  if (own_transaction && !bq_store_begin (self, error))
    return FALSE;

  revision = self->revision + 1;
  self->revision = revision;  /* used up even if it fails, as in put */

  {
    g_autoptr(BqBorrowedStmt) stmt = get_type_stmt (self, type, TYPE_STMT_DELETE_BY_ID, error);

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      {
        set_delete_error (self, type, id, error);
        goto failed;
      }
    if (rc != SQLITE_DONE)
      {
        bq_store_set_sqlite_error (self->db, rc, error, "cannot delete %s “%s”",
                                   type->name, id);
        goto failed;
      }
    if (sqlite3_changes (self->db) == 0)
      {
        g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND,
                     "there is no %s “%s”", type->name, id);
        goto failed;
      }
  }

  {
    g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_PUT_TOMBSTONE, error);

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, revision);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
      {
        bq_store_set_sqlite_error (self->db, rc, error, "cannot leave a tombstone for "
                                   "%s “%s”", type->name, id);
        goto failed;
      }
  }

  return own_transaction ? bq_store_commit (self, error) : TRUE;

failed:
  if (own_transaction)
    bq_store_rollback (self);
  return FALSE;
}

/* ---------------------------------------------------------------- mirrors */

/* The counter only ever goes up, so whatever this store hands out later
 * (nothing, in a mirror) stays above every revision it mirrored. */
static void
mirror_revision (BqStore *self,
                 gint64   revision)
{
  self->revision = MAX (self->revision, revision);
}

gboolean
bq_store_put_as (BqStore   *self,
                 gpointer   entity,
                 gint64     revision,
                 GError   **error)
{
  gboolean own_transaction;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (type_index (self, BQ_ENTITY (entity)->type) >= 0, FALSE);
  g_return_val_if_fail (BQ_ENTITY (entity)->id != NULL && BQ_ENTITY (entity)->id[0] != '\0',
                        FALSE);
  g_return_val_if_fail (revision >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!bq_entity_validate (entity, error))
    return FALSE;
  if (!check_transaction (self, error))
    return FALSE;

  own_transaction = self->depth == 0;
  if (own_transaction && !bq_store_begin (self, error))
    return FALSE;

  if (!write_entity (self, entity, revision, TRUE, error))
    {
      if (own_transaction)
        bq_store_rollback (self);
      return FALSE;
    }
  mirror_revision (self, revision);

  if (own_transaction && !bq_store_commit (self, error))
    return FALSE;

  BQ_ENTITY (entity)->revision = revision;
  return TRUE;
}

gboolean
bq_store_delete_as (BqStore             *self,
                    const BqEntityType  *type,
                    const char          *id,
                    gint64               revision,
                    GError             **error)
{
  gboolean own_transaction;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), FALSE);
  g_return_val_if_fail (type != NULL && type_index (self, type) >= 0, FALSE);
  g_return_val_if_fail (id != NULL, FALSE);
  g_return_val_if_fail (revision >= 0, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_transaction (self, error))
    return FALSE;
  own_transaction = self->depth == 0;
  if (own_transaction && !bq_store_begin (self, error))
    return FALSE;

  {
    g_autoptr(BqBorrowedStmt) stmt = get_type_stmt (self, type, TYPE_STMT_DELETE_BY_ID, error);

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    rc = sqlite3_step (stmt);
    if (rc == SQLITE_CONSTRAINT_FOREIGNKEY)
      {
        set_delete_error (self, type, id, error);
        goto failed;
      }
    if (rc != SQLITE_DONE)
      {
        bq_store_set_sqlite_error (self->db, rc, error, "cannot delete %s “%s”",
                                   type->name, id);
        goto failed;
      }
  }

  {
    g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_PUT_TOMBSTONE, error);

    if (stmt == NULL)
      goto failed;
    sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    sqlite3_bind_int64 (stmt, 3, revision);
    rc = sqlite3_step (stmt);
    if (rc != SQLITE_DONE)
      {
        bq_store_set_sqlite_error (self->db, rc, error, "cannot leave a tombstone for "
                                   "%s “%s”", type->name, id);
        goto failed;
      }
  }
  mirror_revision (self, revision);

  return own_transaction ? bq_store_commit (self, error) : TRUE;

failed:
  if (own_transaction)
    bq_store_rollback (self);
  return FALSE;
}

gint64
bq_store_count (BqStore             *self,
                const BqEntityType  *type,
                GError             **error)
{
  g_autoptr(BqBorrowedStmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), -1);
  g_return_val_if_fail (type != NULL && type_index (self, type) >= 0, -1);
  g_return_val_if_fail (error == NULL || *error == NULL, -1);

  stmt = get_type_stmt (self, type, TYPE_STMT_COUNT, error);
  if (stmt == NULL)
    return -1;
  rc = sqlite3_step (stmt);
  if (rc != SQLITE_ROW)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot count %s", type->plural);
      return -1;
    }
  return sqlite3_column_int64 (stmt, 0);
}

/* ----------------------------------------------------------------- queries */

typedef enum {
  CLAUSE_EQUALS,
  CLAUSE_IN,
  CLAUSE_RANGE,
  CLAUSE_OVERLAPS,
} ClauseKind;

typedef struct {
  ClauseKind     kind;
  const BqField *field;
  const BqField *end_field;  /* OVERLAPS */
  char         **values;     /* EQUALS: one value, or none for IS NULL; IN: the list */
  gint64         from;
  gint64         to;
} Clause;

struct _BqQuery {
  const BqEntityType *type;
  GArray             *clauses;
  const BqField      *order_field;   /* NULL: by id */
  gboolean            descending;
  guint               limit;         /* 0: no limit */
  guint               offset;
  /* The builder cannot fail, so its first mistake waits here for
   * bq_store_query() to report. */
  GError             *error;
};

static void
clause_clear (gpointer data)
{
  Clause *clause = data;

  g_strfreev (clause->values);
}

BqQuery *
bq_query_new (const BqEntityType *type)
{
  BqQuery *query;

  g_return_val_if_fail (type != NULL, NULL);

  query = g_new0 (BqQuery, 1);
  query->type = type;
  query->clauses = g_array_new (FALSE, TRUE, sizeof (Clause));
  g_array_set_clear_func (query->clauses, clause_clear);
  return query;
}

void
bq_query_free (BqQuery *query)
{
  if (query == NULL)
    return;
  g_array_unref (query->clauses);
  g_clear_error (&query->error);
  g_free (query);
}

#define NUMERIC_FIELDS ((1 << BQ_FIELD_INT) | (1 << BQ_FIELD_TIME))
#define ANY_FIELD      0xff

/* The field called @name, if the type has it and it is one of @types
 * (a mask of 1 << BqFieldType); otherwise remembers the mistake. */
static const BqField *
query_field (BqQuery    *query,
             const char *name,
             guint       types,
             const char *what)
{
  const BqField *field = bq_entity_type_get_field (query->type, name);

  if (query->error != NULL)
    return NULL;
  if (field == NULL)
    g_set_error (&query->error, BQ_STORE_ERROR, BQ_STORE_ERROR_QUERY,
                 "%s have no field “%s”", query->type->plural, name);
  else if (!(types & (1u << field->type)))
    g_set_error (&query->error, BQ_STORE_ERROR, BQ_STORE_ERROR_QUERY,
                 "cannot %s by “%s”", what, name);
  else
    return field;
  return NULL;
}

static void
add_clause (BqQuery *query,
            Clause  *clause)
{
  g_array_append_vals (query->clauses, clause, 1);
}

void
bq_query_where_equals (BqQuery    *query,
                       const char *field,
                       const char *value)
{
  Clause clause = { CLAUSE_EQUALS, };
  const char *values[] = { value, NULL };

  g_return_if_fail (query != NULL);
  g_return_if_fail (field != NULL);

  clause.field = query_field (query, field, ANY_FIELD, "filter");
  if (clause.field == NULL)
    return;
  clause.values = g_strdupv ((char **) values);
  add_clause (query, &clause);
}

void
bq_query_where_in (BqQuery            *query,
                   const char         *field,
                   const char * const *values)
{
  Clause clause = { CLAUSE_IN, };

  g_return_if_fail (query != NULL);
  g_return_if_fail (field != NULL);
  g_return_if_fail (values != NULL);

  clause.field = query_field (query, field, ANY_FIELD, "filter");
  if (clause.field == NULL)
    return;
  clause.values = g_strdupv ((char **) values);
  add_clause (query, &clause);
}

void
bq_query_where_range (BqQuery    *query,
                      const char *field,
                      gint64      from,
                      gint64      to)
{
  Clause clause = { CLAUSE_RANGE, };

  g_return_if_fail (query != NULL);
  g_return_if_fail (field != NULL);

  clause.field = query_field (query, field, NUMERIC_FIELDS, "select a range");
  if (clause.field == NULL)
    return;
  clause.from = from;
  clause.to = to;
  add_clause (query, &clause);
}

void
bq_query_where_overlaps (BqQuery    *query,
                         const char *start_field,
                         const char *end_field,
                         gint64      from,
                         gint64      to)
{
  Clause clause = { CLAUSE_OVERLAPS, };

  g_return_if_fail (query != NULL);
  g_return_if_fail (start_field != NULL && end_field != NULL);

  clause.field = query_field (query, start_field, NUMERIC_FIELDS, "select an interval");
  clause.end_field = query_field (query, end_field, NUMERIC_FIELDS, "select an interval");
  if (clause.field == NULL || clause.end_field == NULL)
    return;
  clause.from = from;
  clause.to = to;
  add_clause (query, &clause);
}

void
bq_query_order_by (BqQuery    *query,
                   const char *field,
                   gboolean    descending)
{
  g_return_if_fail (query != NULL);
  g_return_if_fail (field != NULL);

  query->order_field = query_field (query, field,
                                    ANY_FIELD & ~(1u << BQ_FIELD_STRV), "order");
  query->descending = descending;
}

void
bq_query_set_limit (BqQuery *query,
                    guint    limit,
                    guint    offset)
{
  g_return_if_fail (query != NULL);

  query->limit = limit;
  query->offset = offset;
}

/* A value to bind; strings point into the query or at static nicks. */
typedef struct {
  int         type;   /* SQLITE_TEXT, SQLITE_INTEGER, SQLITE_FLOAT */
  const char *text;
  gint64      integer;
  double      real;
} BindValue;

/* Turns a filter value (always text, as it comes from a URL) into what the
 * column holds. */
static gboolean
convert_value (const BqField  *field,
               const char     *text,
               BindValue      *value,
               GError        **error)
{
  switch (field->type)
    {
    case BQ_FIELD_STRING:
    case BQ_FIELD_STRV:
      value->type = SQLITE_TEXT;
      value->text = text;
      return TRUE;

    case BQ_FIELD_ENUM:
      {
        int i = bq_enum_from_nick (field, text);

        if (i < 0)
          break;
        value->type = SQLITE_TEXT;
        value->text = bq_enum_to_nick (field, i);
        return TRUE;
      }

    case BQ_FIELD_INT:
    case BQ_FIELD_TIME:
      value->type = SQLITE_INTEGER;
      if (g_ascii_string_to_signed (text, 10, G_MININT64, G_MAXINT64, &value->integer, NULL))
        return TRUE;
      if (field->type == BQ_FIELD_TIME)
        {
          g_autoptr(GDateTime) when = g_date_time_new_from_iso8601 (text, NULL);

          if (when != NULL)
            {
              value->integer = g_date_time_to_unix (when);
              return TRUE;
            }
        }
      break;

    case BQ_FIELD_DOUBLE:
      {
        char *end = NULL;

        value->type = SQLITE_FLOAT;
        value->real = g_ascii_strtod (text, &end);
        if (*text != '\0' && end != NULL && *end == '\0' && isfinite (value->real))
          return TRUE;
      }
      break;

    case BQ_FIELD_BOOL:
      value->type = SQLITE_INTEGER;
      if (strcmp (text, "true") == 0 || strcmp (text, "1") == 0)
        value->integer = 1;
      else if (strcmp (text, "false") == 0 || strcmp (text, "0") == 0)
        value->integer = 0;
      else
        break;
      return TRUE;

    default:
      g_assert_not_reached ();
    }

  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_QUERY,
               "“%s” is not a possible %s", text, field->name);
  return FALSE;
}

static void
add_integer (GArray *values,
             gint64  integer)
{
  BindValue value = { SQLITE_INTEGER, NULL, integer, 0 };

  g_array_append_val (values, value);
}

/* Appends the SQL of @clause and the values it binds.  Field names come
 * from the descriptors and values are always bound, never spliced. */
static gboolean
append_clause (GString             *sql,
               GArray              *values,
               const BqEntityType  *type,
               const Clause        *clause,
               GError             **error)
{
  const char *name = clause->field->name;

  switch (clause->kind)
    {
    case CLAUSE_EQUALS:
    case CLAUSE_IN:
      if (clause->kind == CLAUSE_EQUALS && clause->values[0] == NULL)
        {
          g_string_append_printf (sql, "\"%s\" IS NULL", name);
          return TRUE;
        }
      if (clause->values[0] == NULL)
        {
          g_string_append (sql, "0");  /* IN () */
          return TRUE;
        }
      /* A list field matches when it contains the value. */
      if (clause->field->type == BQ_FIELD_STRV)
        g_string_append_printf (sql, "EXISTS (SELECT 1 FROM json_each(\"%s\") WHERE value IN (",
                                name);
      else
        g_string_append_printf (sql, "\"%s\" IN (", name);
      for (guint i = 0; clause->values[i] != NULL; i++)
        {
          BindValue value = { 0, };

          if (!convert_value (clause->field, clause->values[i], &value, error))
            return FALSE;
          g_array_append_val (values, value);
          g_string_append_printf (sql, "%s?%u", i > 0 ? ", " : "", values->len);
        }
      g_string_append (sql, clause->field->type == BQ_FIELD_STRV ? "))" : ")");
      return TRUE;

    case CLAUSE_RANGE:
      if (clause->from == G_MININT64 && clause->to == G_MAXINT64)
        {
          g_string_append_printf (sql, "\"%s\" IS NOT NULL", name);
          return TRUE;
        }
      if (clause->from != G_MININT64)
        {
          add_integer (values, clause->from);
          g_string_append_printf (sql, "\"%s\" >= ?%u", name, values->len);
        }
      if (clause->to != G_MAXINT64)
        {
          add_integer (values, clause->to);
          g_string_append_printf (sql, "%s\"%s\" < ?%u",
                                  clause->from != G_MININT64 ? " AND " : "",
                                  name, values->len);
        }
      return TRUE;

    case CLAUSE_OVERLAPS:
      {
        /* An optional bound left unset is open: a lane with no valid_to is
         * valid for ever.  Required fields skip the IS NULL test, which
         * would keep SQLite from using their index. */
        gboolean start_optional = !(clause->field->flags & BQ_FIELD_REQUIRED);
        gboolean end_optional = !(clause->end_field->flags & BQ_FIELD_REQUIRED);
        gboolean any = FALSE;

        if (clause->to != G_MAXINT64)
          {
            add_integer (values, clause->to);
            if (start_optional)
              g_string_append_printf (sql, "(\"%s\" IS NULL OR \"%s\" < ?%u)",
                                      name, name, values->len);
            else
              g_string_append_printf (sql, "\"%s\" < ?%u", name, values->len);
            any = TRUE;
          }
        if (clause->from != G_MININT64)
          {
            const char *end = clause->end_field->name;

            add_integer (values, clause->from);
            if (any)
              g_string_append (sql, " AND ");
            if (end_optional)
              g_string_append_printf (sql, "(\"%s\" IS NULL OR \"%s\" >= ?%u)",
                                      end, end, values->len);
            else
              g_string_append_printf (sql, "\"%s\" >= ?%u", end, values->len);
            any = TRUE;
          }
        /* start >= from - (the longest interval in the table) changes
         * nothing in the result, but makes the range on start two-sided,
         * so SQLite reads one window of the start index instead of
         * everything that began before @to. */
        if (clause->to != G_MAXINT64 && clause->from != G_MININT64 &&
            !start_optional && !end_optional &&
            bq_store_schema_has_duration_index (type, name, clause->end_field->name))
          {
            add_integer (values, clause->from);
            g_string_append_printf (sql, " AND \"%s\" >= ?%u - (SELECT coalesce(max(\"%s\" - "
                                    "\"%s\"), 0) FROM \"%s\")", name, values->len,
                                    clause->end_field->name, name, type->plural);
          }
        if (!any)
          g_string_append (sql, "1");
        return TRUE;
      }

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

static gboolean
bind_values (sqlite3_stmt *stmt,
             GArray       *values)
{
  for (guint i = 0; i < values->len; i++)
    {
      const BindValue *value = &g_array_index (values, BindValue, i);
      int rc;

      if (value->type == SQLITE_TEXT)
        rc = sqlite3_bind_text (stmt, (int) i + 1, value->text, -1, SQLITE_STATIC);
      else if (value->type == SQLITE_FLOAT)
        rc = sqlite3_bind_double (stmt, (int) i + 1, value->real);
      else
        rc = sqlite3_bind_int64 (stmt, (int) i + 1, value->integer);
      if (rc != SQLITE_OK)
        return FALSE;
    }
  return TRUE;
}

/* Steps through @stmt, whose rows are @type's columns, into entities. */
static GPtrArray *
read_entities (BqStore             *self,
               sqlite3_stmt        *stmt,
               const BqEntityType  *type,
               GError             **error)
{
  g_autoptr(GPtrArray) entities = g_ptr_array_new_with_free_func (bq_entity_free);
  int rc;

  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gpointer entity = read_entity (stmt, type, error);

      if (entity == NULL)
        return NULL;
      g_ptr_array_add (entities, entity);
    }
  if (rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot read %s", type->plural);
      return NULL;
    }
  return g_steal_pointer (&entities);
}

GPtrArray *
bq_store_query (BqStore  *self,
                BqQuery  *query,
                GError  **error)
{
  g_autoptr(GString) sql = NULL;
  g_autoptr(GArray) values = NULL;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  g_return_val_if_fail (query != NULL, NULL);
  g_return_val_if_fail (type_index (self, query->type) >= 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (query->error != NULL)
    {
      g_propagate_error (error, g_error_copy (query->error));
      return NULL;
    }

  sql = g_string_new ("SELECT ");
  values = g_array_new (FALSE, TRUE, sizeof (BindValue));

  append_columns (sql, query->type, "");
  g_string_append_printf (sql, " FROM \"%s\"", query->type->plural);
  for (guint i = 0; i < query->clauses->len; i++)
    {
      g_string_append (sql, i == 0 ? " WHERE " : " AND ");
      if (!append_clause (sql, values, query->type,
                          &g_array_index (query->clauses, Clause, i), error))
        return NULL;
    }

  /* The id breaks ties, so the same query pages the same way every time. */
  if (query->order_field != NULL && strcmp (query->order_field->name, "id") != 0)
    g_string_append_printf (sql, " ORDER BY \"%s\"%s, \"id\"", query->order_field->name,
                            query->descending ? " DESC" : "");
  else
    g_string_append_printf (sql, " ORDER BY \"id\"%s",
                            query->order_field != NULL && query->descending ? " DESC" : "");

  if (query->limit > 0 || query->offset > 0)
    {
      add_integer (values, query->limit > 0 ? (gint64) query->limit : -1);
      g_string_append_printf (sql, " LIMIT ?%u", values->len);
      add_integer (values, query->offset);
      g_string_append_printf (sql, " OFFSET ?%u", values->len);
    }

  rc = sqlite3_prepare_v2 (self->db, sql->str, (int) sql->len, &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot query %s", query->type->plural);
      return NULL;
    }
  if (!bind_values (stmt, values))
    {
      bq_store_set_sqlite_error (self->db, sqlite3_errcode (self->db), error,
                                 "cannot query %s", query->type->plural);
      return NULL;
    }

  return read_entities (self, stmt, query->type, error);
}

GPtrArray *
bq_store_list (BqStore             *self,
               const BqEntityType  *type,
               GError             **error)
{
  g_autoptr(BqQuery) query = NULL;

  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  g_return_val_if_fail (type != NULL, NULL);

  query = bq_query_new (type);
  return bq_store_query (self, query, error);
}

/* ----------------------------------------------------------------- changes */

void
bq_change_free (BqChange *change)
{
  if (change == NULL)
    return;
  g_free (change->id);
  bq_entity_free (change->entity);
  g_free (change);
}

static int
compare_change_revision (gconstpointer key,
                         gconstpointer element)
{
  gint64 revision = *(const gint64 *) key;
  const BqChange *change = *(BqChange * const *) element;

  return revision < change->revision ? -1 : revision > change->revision;
}

/* Fills in the entities of the changes of @type in @changes, which all
 * lie in (since, last] and which are sorted by revision. */
static gboolean
fill_entities (BqStore             *self,
               const BqEntityType  *type,
               GPtrArray           *changes,
               gint64               since,
               gint64               last,
               GError             **error)
{
  g_autoptr(BqBorrowedStmt) stmt = NULL;
  int rc;

  stmt = get_type_stmt (self, type, TYPE_STMT_SELECT_REVISIONS, error);
  if (stmt == NULL)
    return FALSE;

  sqlite3_bind_int64 (stmt, 1, since);
  sqlite3_bind_int64 (stmt, 2, last);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      gint64 revision = sqlite3_column_int64 (stmt, 1);
      BqChange **found;
      gpointer entity;

      found = bsearch (&revision, changes->pdata, changes->len, sizeof (gpointer),
                       compare_change_revision);
      if (found == NULL || (*found)->type != type || (*found)->entity != NULL)
        continue;  /* cannot happen within one snapshot; never mis-assign */

      entity = read_entity (stmt, type, error);
      if (entity == NULL)
        return FALSE;
      (*found)->id = g_strdup (BQ_ENTITY (entity)->id);
      (*found)->entity = entity;
    }
  if (rc != SQLITE_DONE)
    {
      bq_store_set_sqlite_error (self->db, rc, error, "cannot read %s", type->plural);
      return FALSE;
    }
  return TRUE;
}

static GPtrArray *
read_changes (BqStore  *self,
              gint64    since,
              guint     limit,
              gint64   *next_since,
              GError  **error)
{
  g_autoptr(GPtrArray) changes = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_change_free);
  const BqEntityType * const *types;
  guint64 types_seen = 0;
  gint64 last, current;
  guint n_types;

  types = bq_entity_types (&n_types);
  g_assert (n_types < 64);

  {
    g_autoptr(BqBorrowedStmt) stmt = get_stmt (self, STMT_CHANGES, error);
    int rc;

    if (stmt == NULL)
      return NULL;
    sqlite3_bind_int64 (stmt, 1, since);
    sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);
    while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
      {
        const char *kind = (const char *) sqlite3_column_text (stmt, 0);
        BqChange *change = g_new0 (BqChange, 1);

        change->type = bq_entity_type_lookup (kind);
        change->revision = sqlite3_column_int64 (stmt, 2);
        g_ptr_array_add (changes, change);
        if (change->type == NULL)
          {
            g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                         "a tombstone of an unknown kind “%s”", kind);
            return NULL;
          }
        if (sqlite3_column_type (stmt, 1) != SQLITE_NULL)
          change->id = g_strdup ((const char *) sqlite3_column_text (stmt, 1));  /* tombstone */
        else
          types_seen |= G_GUINT64_CONSTANT (1) << type_index (self, change->type);
      }
    if (rc != SQLITE_DONE)
      {
        bq_store_set_sqlite_error (self->db, rc, error, "cannot read the changes");
        return NULL;
      }
  }

  last = changes->len > 0 ? ((BqChange *) g_ptr_array_index (changes, changes->len - 1))->revision
                          : since;
  for (guint i = 0; i < n_types; i++)
    {
      if ((types_seen & (G_GUINT64_CONSTANT (1) << i)) &&
          !fill_entities (self, types[i], changes, since, last, error))
        return NULL;
    }
  for (guint i = 0; i < changes->len; i++)
    {
      BqChange *change = g_ptr_array_index (changes, i);

      if (change->id == NULL)
        {
          g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                       "two changes share revision %" G_GINT64_FORMAT, change->revision);
          return NULL;
        }
    }

  /* A short page means the caller has seen everything up to now, so move
   * them past any revisions that no row carries any more (overwritten,
   * or abandoned by a rollback).  A full page may have more behind it. */
  if (limit > 0 && changes->len == limit)
    {
      *next_since = last;
    }
  else
    {
      if (self->depth > 0)
        current = self->revision;
      else if (!read_revision (self, &current, error))
        return NULL;
      *next_since = MAX (last, current);
    }

  return g_steal_pointer (&changes);
}

/* *@next_since: the revision of the last change returned when the page is
 * full (there may be more); otherwise, the caller being up to date, the
 * store's current revision (never less than @since), which skips the
 * revisions no row carries any more.  Asking again from *@next_since never
 * misses a change nor repeats one. */
GPtrArray *
bq_store_changes_since (BqStore  *self,
                        gint64    since,
                        guint     limit,
                        gint64   *next_since,
                        GError  **error)
{
  GPtrArray *changes;
  gint64 next = since;

  g_return_val_if_fail (BQ_IS_STORE (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  /* The union, the rows and the counter must come from one snapshot, or a
   * commit in between could be skipped.  Inside a write transaction we
   * already have one. */
  if (self->depth > 0)
    {
      if (!check_transaction (self, error))
        return NULL;
      changes = read_changes (self, since, limit, &next, error);
    }
  else
    {
      if (!run_stmt (self, STMT_BEGIN_READ, error))
        return NULL;
      changes = read_changes (self, since, limit, &next, error);
      /* Nothing was written; ROLLBACK just ends the snapshot. */
      if (!run_stmt (self, STMT_ROLLBACK, changes != NULL ? error : NULL))
        g_clear_pointer (&changes, g_ptr_array_unref);
    }

  if (changes != NULL && next_since != NULL)
    *next_since = next;
  return changes;
}
