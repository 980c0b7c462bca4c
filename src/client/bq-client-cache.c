/* bq-client-cache.c — the cache's own tables, and how the server's
 * versions and the user's queued changes meet in it
 *
 * The cache is a BqStore: the core schema, migrated by the store as
 * usual, so models read it with the same queries the server uses.  The
 * client keeps two tables of its own beside it, created here with CREATE
 * TABLE IF NOT EXISTS in one transaction when the cache is opened.  They
 * are deliberately not a store migration: the store schema belongs to the
 * core and is the same for server and cache, and these tables mean
 * nothing to a server.
 *
 *   sync_state (key, value)  token, user (JSON), revision (the server
 *                            revision the cache is up to date with),
 *                            base_url
 *   outbox (seq, …)          queued changes, oldest first; see BqOutboxEntry
 *
 * Foreign keys are off in the cache.  It mirrors what the server has
 * already checked, but not all of it: an account manager's orders refer
 * to users and shipments they may not see, and the feed sends a parent
 * that changed after its child behind the child, possibly a page later.
 *
 * The rule for rows with queued changes.  Every row holds a server
 * revision: the one of the server version it was built from (0 for an
 * entity created here and not yet accepted).  What a row shows is the
 * newest server version known with every outbox entry of that entity
 * (pending or refused) applied on top in order: a POST body replaces, a
 * PATCH body (only the fields the user changed) is merged, a DELETE
 * removes.  So a pulled change never hides a local edit, nor does a local
 * edit hide what others changed in other fields; and when the last entry
 * settles, the row is exactly the server's.  A server version older than
 * the row's revision (a replayed answer, say) is ignored.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-json.h"
#include "bq-client-private.h"

/* A cached statement borrowed for one use: reset when it goes out of
 * scope, so no read transaction stays open between calls. */
typedef sqlite3_stmt BqClientStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqClientStmt, sqlite3_reset)

static const char schema_sql[] =
  "CREATE TABLE IF NOT EXISTS sync_state (\n"
  "  key   TEXT PRIMARY KEY NOT NULL,\n"
  "  value TEXT\n"
  ");\n"
  "CREATE TABLE IF NOT EXISTS outbox (\n"
  "  seq             INTEGER PRIMARY KEY AUTOINCREMENT,\n"
  "  idempotency_key TEXT NOT NULL UNIQUE,\n"
  "  method          TEXT NOT NULL CHECK (method IN ('POST', 'PATCH', 'DELETE')),\n"
  "  kind            TEXT NOT NULL,\n"
  "  entity_id       TEXT NOT NULL,\n"
  "  body            TEXT,\n"
  "  base_revision   INTEGER NOT NULL DEFAULT 0,\n"
  "  created_at      INTEGER NOT NULL,\n"
  "  state           TEXT NOT NULL DEFAULT 'pending'\n"
  "                  CHECK (state IN ('pending', 'conflict')),\n"
  "  status          INTEGER NOT NULL DEFAULT 0,\n"
  "  error_code      TEXT,\n"
  "  error_message   TEXT,\n"
  "  server_json     TEXT,\n"
  "  path            TEXT\n"
  ");\n"
  "CREATE INDEX IF NOT EXISTS outbox_entity ON outbox (kind, entity_id);\n";

#define ENTRY_COLUMNS \
  "seq, idempotency_key, method, kind, entity_id, body, base_revision, created_at, " \
  "state, status, error_code, error_message, server_json, path"

/* -------------------------------------------------------------- statements */

static gboolean
set_sqlite_error (BqClient    *self,
                  int          rc,
                  GError     **error,
                  const char  *what)
{
  g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED, "cache: cannot %s: %s", what,
               sqlite3_errmsg (bq_store_get_db (self->store)));
  return FALSE;
}

/* Prepared once per SQL text, kept until the cache closes. */
static BqClientStmt *
get_stmt (BqClient    *self,
          const char  *sql,
          GError     **error)
{
  sqlite3_stmt *stmt = g_hash_table_lookup (self->stmts, sql);
  int rc;

  if (stmt != NULL)
    return stmt;
  rc = sqlite3_prepare_v3 (bq_store_get_db (self->store), sql, -1, SQLITE_PREPARE_PERSISTENT,
                           &stmt, NULL);
  if (rc != SQLITE_OK)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED, "cache: cannot prepare “%s”: %s",
                   sql, sqlite3_errmsg (bq_store_get_db (self->store)));
      sqlite3_finalize (stmt);
      return NULL;
    }
  g_hash_table_insert (self->stmts, g_strdup (sql), stmt);
  return stmt;
}

static gboolean
step_done (BqClient      *self,
           sqlite3_stmt  *stmt,
           const char    *what,
           GError       **error)
{
  int rc = sqlite3_step (stmt);

  if (rc != SQLITE_DONE)
    return set_sqlite_error (self, rc, error, what);
  return TRUE;
}

static gboolean
exec_sql (BqClient    *self,
          const char  *sql,
          GError     **error)
{
  int rc = sqlite3_exec (bq_store_get_db (self->store), sql, NULL, NULL, NULL);

  if (rc != SQLITE_OK)
    return set_sqlite_error (self, rc, error, sql);
  return TRUE;
}

/* ------------------------------------------------------------------- setup */

static void
finalize_stmt (gpointer stmt)
{
  sqlite3_finalize (stmt);
}

/* Caches made before actions existed have no outbox.path. */
static gboolean
add_path_column (BqClient  *self,
                 GError   **error)
{
  sqlite3_stmt *stmt = NULL;
  gboolean found = FALSE;
  int rc;

  rc = sqlite3_prepare_v2 (bq_store_get_db (self->store), "PRAGMA table_info (outbox)", -1,
                           &stmt, NULL);
  if (rc != SQLITE_OK)
    return set_sqlite_error (self, rc, error, "read the outbox's columns");
  while (sqlite3_step (stmt) == SQLITE_ROW)
    if (g_strcmp0 ((const char *) sqlite3_column_text (stmt, 1), "path") == 0)
      found = TRUE;
  sqlite3_finalize (stmt);
  return found || exec_sql (self, "ALTER TABLE outbox ADD COLUMN path TEXT", error);
}

gboolean
bq_client_cache_init (BqClient  *self,
                      GError   **error)
{
  g_autofree char *revision = NULL;
  g_autofree char *user_json = NULL;

  g_assert (self->store != NULL);

  self->stmts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, finalize_stmt);

  /* Outside any transaction, or SQLite ignores it; see the top. */
  if (!exec_sql (self, "PRAGMA foreign_keys = OFF", error))
    return FALSE;

  if (!bq_store_begin (self->store, error))
    return FALSE;
  if (!exec_sql (self, schema_sql, error) ||
      !add_path_column (self, error) ||
      !bq_client_cache_set_state (self, "base_url", self->base_url, error))
    {
      bq_store_rollback (self->store);
      return FALSE;
    }
  if (!bq_store_commit (self->store, error))
    return FALSE;

  self->token = bq_client_cache_get_state (self, "token");
  revision = bq_client_cache_get_state (self, "revision");
  if (revision != NULL)
    self->revision = g_ascii_strtoll (revision, NULL, 10);
  user_json = bq_client_cache_get_state (self, "user");
  if (user_json != NULL)
    {
      g_autoptr(GError) local_error = NULL;

      self->user = bq_entity_from_json_string (&bq_user_type, user_json, -1,
                                               BQ_JSON_ALLOW_UNKNOWN, &local_error);
      if (self->user == NULL)
        g_warning ("cache %s: the signed-in user cannot be read: %s",
                   bq_store_get_path (self->store), local_error->message);
    }
  /* A user without a token: the server refused it last time. */
  self->needs_sign_in = self->user != NULL && self->token == NULL;

  return bq_client_cache_count_outbox (self, &self->n_pending, &self->n_conflicts);
}

void
bq_client_cache_close (BqClient *self)
{
  /* Before the store: a connection with statements left cannot close. */
  g_clear_pointer (&self->stmts, g_hash_table_unref);
}

/* -------------------------------------------------------------- sync state */

char *
bq_client_cache_get_state (BqClient   *self,
                           const char *key)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autoptr(GError) error = NULL;

  stmt = get_stmt (self, "SELECT value FROM sync_state WHERE key = ?1", &error);
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return NULL;
    }
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (sqlite3_step (stmt) != SQLITE_ROW || sqlite3_column_type (stmt, 0) == SQLITE_NULL)
    return NULL;
  return g_strdup ((const char *) sqlite3_column_text (stmt, 0));
}

gboolean
bq_client_cache_set_state (BqClient    *self,
                           const char  *key,
                           const char  *value,
                           GError     **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;

  if (value == NULL)
    stmt = get_stmt (self, "DELETE FROM sync_state WHERE key = ?1", error);
  else
    stmt = get_stmt (self, "INSERT INTO sync_state (key, value) VALUES (?1, ?2) "
                           "ON CONFLICT (key) DO UPDATE SET value = excluded.value", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  if (value != NULL)
    sqlite3_bind_text (stmt, 2, value, -1, SQLITE_STATIC);
  return step_done (self, stmt, "write the sync state", error);
}

gboolean
bq_client_cache_set_revision (BqClient  *self,
                              gint64     revision,
                              GError   **error)
{
  g_autofree char *text = g_strdup_printf ("%" G_GINT64_FORMAT, revision);

  return bq_client_cache_set_state (self, "revision", text, error);
}

gboolean
bq_client_cache_clear (BqClient  *self,
                       GError   **error)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  if (!bq_store_begin (self->store, error))
    return FALSE;
  for (guint i = 0; i < n_types; i++)
    {
      g_autofree char *sql = g_strdup_printf ("DELETE FROM \"%s\"", types[i]->plural);

      if (!exec_sql (self, sql, error))
        goto failed;
    }
  if (!exec_sql (self, "DELETE FROM tombstones", error) ||
      !exec_sql (self, "DELETE FROM outbox", error) ||
      !bq_client_cache_set_state (self, "revision", NULL, error))
    goto failed;
  return bq_store_commit (self->store, error);

failed:
  bq_store_rollback (self->store);
  return FALSE;
}

/* ------------------------------------------------------------------ outbox */

static BqOutboxEntry *
read_entry (sqlite3_stmt *stmt)
{
  BqOutboxEntry *entry = g_new0 (BqOutboxEntry, 1);

#define TEXT(i) (sqlite3_column_type (stmt, (i)) == SQLITE_NULL ? NULL \
                 : g_strdup ((const char *) sqlite3_column_text (stmt, (i))))
  entry->seq = sqlite3_column_int64 (stmt, 0);
  entry->idempotency_key = TEXT (1);
  entry->method = TEXT (2);
  entry->kind = TEXT (3);
  entry->entity_id = TEXT (4);
  entry->body = TEXT (5);
  entry->base_revision = sqlite3_column_int64 (stmt, 6);
  entry->created_at = sqlite3_column_int64 (stmt, 7);
  entry->state = g_strcmp0 ((const char *) sqlite3_column_text (stmt, 8), "conflict") == 0
                 ? BQ_OUTBOX_CONFLICT : BQ_OUTBOX_PENDING;
  entry->status = (guint) sqlite3_column_int (stmt, 9);
  entry->error_code = TEXT (10);
  entry->error_message = TEXT (11);
  entry->server_json = TEXT (12);
  entry->path = TEXT (13);
#undef TEXT
  return entry;
}

gboolean
bq_client_cache_count_outbox (BqClient *self,
                              guint    *n_pending,
                              guint    *n_conflicts)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autoptr(GError) error = NULL;

  *n_pending = 0;
  *n_conflicts = 0;
  stmt = get_stmt (self, "SELECT count(*), coalesce(sum(state = 'conflict'), 0) FROM outbox",
                   &error);
  if (stmt == NULL || sqlite3_step (stmt) != SQLITE_ROW)
    {
      g_warning ("cache: cannot count the outbox: %s",
                 error != NULL ? error->message : sqlite3_errmsg (bq_store_get_db (self->store)));
      return FALSE;
    }
  *n_pending = (guint) sqlite3_column_int64 (stmt, 0);
  *n_conflicts = (guint) sqlite3_column_int64 (stmt, 1);
  return TRUE;
}

GPtrArray *
bq_client_cache_list_outbox (BqClient   *self,
                             const char *kind,
                             const char *entity_id)
{
  g_autoptr(GPtrArray) entries = g_ptr_array_new_with_free_func ((GDestroyNotify)
                                                                 bq_outbox_entry_free);
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autoptr(GError) error = NULL;
  int rc;

  if (kind != NULL)
    {
      stmt = get_stmt (self, "SELECT " ENTRY_COLUMNS " FROM outbox "
                             "WHERE kind = ?1 AND entity_id = ?2 ORDER BY seq", &error);
      if (stmt != NULL)
        {
          sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
          sqlite3_bind_text (stmt, 2, entity_id, -1, SQLITE_STATIC);
        }
    }
  else
    {
      stmt = get_stmt (self, "SELECT " ENTRY_COLUMNS " FROM outbox ORDER BY seq", &error);
    }
  if (stmt == NULL)
    {
      g_warning ("%s", error->message);
      return g_steal_pointer (&entries);
    }
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, read_entry (stmt));
  if (rc != SQLITE_DONE)
    g_warning ("cache: cannot read the outbox: %s",
               sqlite3_errmsg (bq_store_get_db (self->store)));
  return g_steal_pointer (&entries);
}

BqOutboxEntry *
bq_client_cache_get_entry (BqClient *self,
                           gint64    seq)
{
  g_autoptr(BqClientStmt) stmt = NULL;

  stmt = get_stmt (self, "SELECT " ENTRY_COLUMNS " FROM outbox WHERE seq = ?1", NULL);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, seq);
  if (sqlite3_step (stmt) != SQLITE_ROW)
    return NULL;
  return read_entry (stmt);
}

BqOutboxEntry *
bq_client_cache_next_to_push (BqClient  *self,
                              GError   **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  int rc;

  /* Later changes of an entity whose earlier change was refused were
   * made on top of it: they wait for the user's decision.  Others go on. */
  stmt = get_stmt (self, "SELECT " ENTRY_COLUMNS " FROM outbox AS o "
                         "WHERE o.state = 'pending' AND NOT EXISTS ("
                         "  SELECT 1 FROM outbox AS c WHERE c.kind = o.kind AND "
                         "  c.entity_id = o.entity_id AND c.state = 'conflict' AND c.seq < o.seq) "
                         "ORDER BY o.seq LIMIT 1", error);
  if (stmt == NULL)
    return NULL;
  rc = sqlite3_step (stmt);
  if (rc == SQLITE_ROW)
    return read_entry (stmt);
  if (rc != SQLITE_DONE)
    set_sqlite_error (self, rc, error, "read the outbox");
  return NULL;
}

gboolean
bq_client_cache_add_entry (BqClient            *self,
                           const char          *method,
                           const BqEntityType  *type,
                           const char          *entity_id,
                           const char          *body,
                           gint64               base_revision,
                           gint64              *seq,
                           GError             **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autofree char *key = g_uuid_string_random ();

  stmt = get_stmt (self, "INSERT INTO outbox (idempotency_key, method, kind, entity_id, body, "
                         "base_revision, created_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, key, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, method, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, type->name, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, entity_id, -1, SQLITE_STATIC);
  if (body != NULL)
    sqlite3_bind_text (stmt, 5, body, -1, SQLITE_STATIC);
  else
    sqlite3_bind_null (stmt, 5);
  sqlite3_bind_int64 (stmt, 6, base_revision);
  sqlite3_bind_int64 (stmt, 7, g_get_real_time () / G_USEC_PER_SEC);
  if (!step_done (self, stmt, "add to the outbox", error))
    return FALSE;
  if (seq != NULL)
    *seq = sqlite3_last_insert_rowid (bq_store_get_db (self->store));
  return TRUE;
}

gboolean
bq_client_cache_add_action (BqClient            *self,
                            const char          *method,
                            const char          *path,
                            const BqEntityType  *type,
                            const char          *entity_id,
                            const char          *body,
                            gint64              *seq,
                            GError             **error)
{
  gint64 added;
  g_autoptr(BqClientStmt) stmt = NULL;

  if (!bq_client_cache_add_entry (self, method, type, entity_id, body, 0, &added, error))
    return FALSE;
  stmt = get_stmt (self, "UPDATE outbox SET path = ?2 WHERE seq = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, added);
  sqlite3_bind_text (stmt, 2, path, -1, SQLITE_STATIC);
  if (!step_done (self, stmt, "add an action to the outbox", error))
    return FALSE;
  if (seq != NULL)
    *seq = added;
  return TRUE;
}

gboolean
bq_client_cache_rename_entity (BqClient    *self,
                               const char  *kind,
                               const char  *old_id,
                               const char  *new_id,
                               GError     **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autofree char *old_escaped = g_uri_escape_string (old_id, NULL, FALSE);
  g_autofree char *new_escaped = g_uri_escape_string (new_id, NULL, FALSE);
  g_autofree char *old_part = g_strconcat ("/", old_escaped, "/", NULL);
  g_autofree char *new_part = g_strconcat ("/", new_escaped, "/", NULL);

  stmt = get_stmt (self, "UPDATE outbox SET entity_id = ?3, "
                         "path = replace (path, ?4, ?5) WHERE kind = ?1 AND entity_id = ?2",
                   error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_text (stmt, 1, kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 2, old_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, new_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, old_part, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, new_part, -1, SQLITE_STATIC);
  return step_done (self, stmt, "rename queued changes", error);
}

gboolean
bq_client_cache_delete_entry (BqClient  *self,
                              gint64     seq,
                              GError   **error)
{
  g_autoptr(BqClientStmt) stmt = get_stmt (self, "DELETE FROM outbox WHERE seq = ?1", error);

  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  return step_done (self, stmt, "remove from the outbox", error);
}

gboolean
bq_client_cache_mark_conflict (BqClient    *self,
                               gint64       seq,
                               guint        status,
                               const char  *code,
                               const char  *message,
                               const char  *server_json,
                               GError     **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;

  stmt = get_stmt (self, "UPDATE outbox SET state = 'conflict', status = ?2, error_code = ?3, "
                         "error_message = ?4, server_json = ?5 WHERE seq = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_int (stmt, 2, (int) status);
  sqlite3_bind_text (stmt, 3, code, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 4, message, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 5, server_json, -1, SQLITE_STATIC);
  return step_done (self, stmt, "mark a conflict", error);
}

gboolean
bq_client_cache_requeue_entry (BqClient  *self,
                               gint64     seq,
                               gint64     base_revision,
                               GError   **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;
  g_autofree char *key = g_uuid_string_random ();

  /* A new key: this is a new request (another If-Match), and the refused
   * one left no record on the server anyway. */
  stmt = get_stmt (self, "UPDATE outbox SET state = 'pending', status = 0, error_code = NULL, "
                         "error_message = NULL, server_json = NULL, base_revision = ?2, "
                         "idempotency_key = ?3 WHERE seq = ?1", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, seq);
  sqlite3_bind_int64 (stmt, 2, base_revision);
  sqlite3_bind_text (stmt, 3, key, -1, SQLITE_STATIC);
  return step_done (self, stmt, "queue a change again", error);
}

gboolean
bq_client_cache_rebase_after (BqClient             *self,
                              const BqOutboxEntry  *entry,
                              gint64                revision,
                              GError              **error)
{
  g_autoptr(BqClientStmt) stmt = NULL;

  stmt = get_stmt (self, "UPDATE outbox SET base_revision = ?1 WHERE kind = ?2 AND "
                         "entity_id = ?3 AND seq > ?4 AND state = 'pending'", error);
  if (stmt == NULL)
    return FALSE;
  sqlite3_bind_int64 (stmt, 1, revision);
  sqlite3_bind_text (stmt, 2, entry->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (stmt, 3, entry->entity_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (stmt, 4, entry->seq);
  return step_done (self, stmt, "rebase queued changes", error);
}

static char *
outbox_id (const char *kind,
           const char *id)
{
  return g_strconcat (kind, "\n", id, NULL);
}

GHashTable *
bq_client_cache_outbox_ids (BqClient  *self,
                            GError   **error)
{
  g_autoptr(GHashTable) ids = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  g_autoptr(BqClientStmt) stmt = NULL;
  int rc;

  stmt = get_stmt (self, "SELECT DISTINCT kind, entity_id FROM outbox", error);
  if (stmt == NULL)
    return NULL;
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_hash_table_add (ids, outbox_id ((const char *) sqlite3_column_text (stmt, 0),
                                      (const char *) sqlite3_column_text (stmt, 1)));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (self, rc, error, "read the outbox");
      return NULL;
    }
  return g_steal_pointer (&ids);
}

/* ---------------------------------------------------------- rows and edits */

gint64
bq_client_cache_known_revision (BqClient           *self,
                                const BqEntityType *type,
                                const char         *id)
{
  g_autofree char *sql = g_strdup_printf ("SELECT revision FROM \"%s\" WHERE id = ?1",
                                          type->plural);

  {
    g_autoptr(BqClientStmt) stmt = get_stmt (self, sql, NULL);

    if (stmt == NULL)
      return -1;
    sqlite3_bind_text (stmt, 1, id, -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) == SQLITE_ROW)
      return sqlite3_column_int64 (stmt, 0);
  }
  {
    g_autoptr(BqClientStmt) stmt = NULL;

    stmt = get_stmt (self, "SELECT revision FROM tombstones WHERE kind = ?1 AND id = ?2", NULL);
    if (stmt == NULL)
      return -1;
    sqlite3_bind_text (stmt, 1, type->name, -1, SQLITE_STATIC);
    sqlite3_bind_text (stmt, 2, id, -1, SQLITE_STATIC);
    if (sqlite3_step (stmt) == SQLITE_ROW)
      return sqlite3_column_int64 (stmt, 0);
  }
  return -1;
}

gpointer
bq_client_cache_apply_entry (const BqOutboxEntry *entry,
                             const BqEntityType  *type,
                             gpointer             entity)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(JsonNode) node = NULL;

  if (g_strcmp0 (entry->method, "DELETE") == 0)
    {
      bq_entity_free (entity);
      return NULL;
    }
  if (entry->body == NULL)
    return entity;

  /* An action changes nothing before the server accepts it, except that
   * one creating an entity (a claim: its body is the order) shows it. */
  if (entry->path != NULL)
    {
      gpointer created;

      if (entity != NULL)
        return entity;
      node = bq_json_parse (entry->body, -1, NULL);
      created = node != NULL ? bq_entity_from_json (type, node, BQ_JSON_ALLOW_UNKNOWN, NULL)
                             : NULL;
      if (created != NULL)
        bq_entity_set_id (created, entry->entity_id);
      return created;
    }

  node = bq_json_parse (entry->body, -1, &error);
  if (node != NULL && g_strcmp0 (entry->method, "POST") == 0)
    {
      gpointer created = bq_entity_from_json (type, node, BQ_JSON_ALLOW_UNKNOWN, &error);

      if (created != NULL)
        {
          bq_entity_set_id (created, entry->entity_id);
          bq_entity_free (entity);
          return created;
        }
    }
  else if (node != NULL && entity != NULL)
    {
      /* A change of an entity that is gone changes nothing. */
      bq_entity_update_from_json (entity, node, BQ_JSON_ALLOW_UNKNOWN, &error);
    }
  if (error != NULL)
    g_warning ("outbox entry %" G_GINT64_FORMAT " (%s %s “%s”) does not apply: %s",
               entry->seq, entry->method, entry->kind, entry->entity_id, error->message);
  return entity;
}

gboolean
bq_client_cache_apply_server (BqClient            *self,
                              const BqEntityType  *type,
                              const char          *id,
                              gint64               revision,
                              gconstpointer        server_entity,
                              gboolean             force,
                              GHashTable          *outbox_ids,
                              GError             **error)
{
  g_autoptr(GPtrArray) entries = NULL;
  g_autofree char *server_json = NULL;
  gboolean has_entries;
  gpointer state;

  if (!force && bq_client_cache_known_revision (self, type, id) > revision)
    return TRUE;

  if (outbox_ids != NULL)
    {
      g_autofree char *key = outbox_id (type->name, id);

      has_entries = g_hash_table_contains (outbox_ids, key);
    }
  else
    {
      entries = bq_client_cache_list_outbox (self, type->name, id);
      has_entries = entries->len > 0;
    }

  state = server_entity != NULL ? bq_entity_copy (server_entity) : NULL;
  if (has_entries)
    {
      if (entries == NULL)
        entries = bq_client_cache_list_outbox (self, type->name, id);
      if (server_entity != NULL)
        server_json = bq_entity_to_json_string (server_entity, FALSE);

      for (guint i = 0; i < entries->len; i++)
        {
          const BqOutboxEntry *entry = g_ptr_array_index (entries, i);

          state = bq_client_cache_apply_entry (entry, type, state);
          /* A refused change shows the newest server version beside it. */
          if (entry->state == BQ_OUTBOX_CONFLICT && entry->path == NULL &&
              !bq_client_cache_mark_conflict (self, entry->seq, entry->status, entry->error_code,
                                              entry->error_message, server_json, error))
            {
              bq_entity_free (state);
              return FALSE;
            }
        }
    }

  if (state != NULL)
    {
      gboolean ok;

      bq_entity_set_id (state, id);
      ok = bq_store_put_as (self->store, state, revision, error);
      bq_entity_free (state);
      return ok;
    }
  return bq_store_delete_as (self->store, type, id, revision, error);
}
