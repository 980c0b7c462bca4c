/* bq-audit.c — the append-only, hash-chained audit trail
 *
 * The chain.  Entry n's hash is the lower-case hex SHA-256 of
 *
 *     prev_hash "\n" canonical
 *
 * where prev_hash is entry n-1's hash (64 "0"s for entry 1) and canonical
 * is the entry as a compact JSON array, in this order:
 *
 *     [seq,at,user_id,action,kind,entity_id,revision,reason,before_json,after_json]
 *
 * seq, at and revision are integers in decimal; the others are strings or
 * null.  before_json and after_json are the stored JSON *texts*, as
 * strings (not re-parsed), so the hash never depends on how a JSON library
 * prints numbers.  Strings are written as UTF-8 with only these escapes:
 * \" \\ \b \f \n \r \t, and \u00xx (lower-case hex) for the other control
 * characters below U+0020; no whitespace anywhere.  That is exactly what
 * Python's json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
 * writes, so an auditor can check the chain with a few lines of Python.
 *
 * Verification walks the table in seq order and stops at the first entry
 * that does not hold: a changed field (its hash), a deleted entry (seq
 * not the next number: the missing one is reported), an inserted or
 * reordered entry (its prev_hash or hash).  Deleting the newest entries
 * leaves a shorter chain that still holds: only an anchor kept elsewhere
 * (the last hash, published or printed) can show that.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-audit.h"
#include "bq-json.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

#define GENESIS_HASH "0000000000000000000000000000000000000000000000000000000000000000"

#define SELECT_COLUMNS \
  "seq, at, user_id, action, kind, entity_id, revision, reason, before_json, " \
  "after_json, prev_hash, hash"

static void
set_sqlite_error (sqlite3     *db,
                  int          rc,
                  GError     **error,
                  const char  *context)
{
  int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED
             ? BQ_STORE_ERROR_BUSY : BQ_STORE_ERROR_FAILED;

  g_set_error (error, BQ_STORE_ERROR, code, "%s: %s", context, sqlite3_errmsg (db));
}

static sqlite3_stmt *
prepare (sqlite3     *db,
         const char  *sql,
         GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (db, rc, error, sql);
      sqlite3_finalize (stmt);
      return NULL;
    }
  return stmt;
}

/* As prepare(), from the store's statement cache: give it back with
 * bq_store_stmt_release() (g_autoptr(BqStoreStmt)). */
static sqlite3_stmt *
prepare_cached (BqStore     *store,
                const char  *sql,
                GError     **error)
{
  sqlite3_stmt *stmt = NULL;
  int rc = bq_store_prepare_cached (store, sql, &stmt);

  if (rc != SQLITE_OK)
    {
      set_sqlite_error (bq_store_get_db (store), rc, error, sql);
      return NULL;
    }
  return stmt;
}

void
bq_audit_entry_free (BqAuditEntry *entry)
{
  if (entry == NULL)
    return;
  g_free (entry->user_id);
  g_free (entry->action);
  g_free (entry->kind);
  g_free (entry->entity_id);
  g_free (entry->reason);
  g_free (entry->before_json);
  g_free (entry->after_json);
  g_free (entry->prev_hash);
  g_free (entry->hash);
  g_free (entry);
}

/* ------------------------------------------------------------- canonical */

static void
append_string (GString    *out,
               const char *value)
{
  if (value == NULL)
    {
      g_string_append (out, "null");
      return;
    }

  g_string_append_c (out, '"');
  for (const char *p = value; *p != '\0'; p++)
    {
      guchar c = (guchar) *p;

      switch (c)
        {
        case '"':  g_string_append (out, "\\\""); break;
        case '\\': g_string_append (out, "\\\\"); break;
        case '\b': g_string_append (out, "\\b"); break;
        case '\f': g_string_append (out, "\\f"); break;
        case '\n': g_string_append (out, "\\n"); break;
        case '\r': g_string_append (out, "\\r"); break;
        case '\t': g_string_append (out, "\\t"); break;
        default:
          if (c < 0x20)
            g_string_append_printf (out, "\\u%04x", c);
          else
            g_string_append_c (out, (char) c);
          break;
        }
    }
  g_string_append_c (out, '"');
}

/* Appends the canonical text of @entry (prev_hash and hash excluded). */
static void
append_canonical (GString            *out,
                  const BqAuditEntry *entry)
{
  g_string_append_printf (out, "[%" G_GINT64_FORMAT ",%" G_GINT64_FORMAT ",",
                          entry->seq, entry->at);
  append_string (out, entry->user_id);
  g_string_append_c (out, ',');
  append_string (out, entry->action);
  g_string_append_c (out, ',');
  append_string (out, entry->kind);
  g_string_append_c (out, ',');
  append_string (out, entry->entity_id);
  g_string_append_printf (out, ",%" G_GINT64_FORMAT ",", entry->revision);
  append_string (out, entry->reason);
  g_string_append_c (out, ',');
  append_string (out, entry->before_json);
  g_string_append_c (out, ',');
  append_string (out, entry->after_json);
  g_string_append_c (out, ']');
}

/* SHA-256 hex of prev_hash "\n" canonical; @buffer is scratch space. */
static char *
compute_hash (const char         *prev_hash,
              const BqAuditEntry *entry,
              GString            *buffer)
{
  g_string_truncate (buffer, 0);
  g_string_append (buffer, prev_hash);
  g_string_append_c (buffer, '\n');
  append_canonical (buffer, entry);
  return g_compute_checksum_for_data (G_CHECKSUM_SHA256, (const guchar *) buffer->str,
                                      buffer->len);
}

static char *
dup_column (sqlite3_stmt *stmt,
            int           column)
{
  return g_strdup ((const char *) sqlite3_column_text (stmt, column));
}

/* A row of SELECT_COLUMNS. */
static BqAuditEntry *
read_entry (sqlite3_stmt *stmt)
{
  BqAuditEntry *entry = g_new0 (BqAuditEntry, 1);

  entry->seq = sqlite3_column_int64 (stmt, 0);
  entry->at = sqlite3_column_int64 (stmt, 1);
  entry->user_id = dup_column (stmt, 2);
  entry->action = dup_column (stmt, 3);
  entry->kind = dup_column (stmt, 4);
  entry->entity_id = dup_column (stmt, 5);
  entry->revision = sqlite3_column_int64 (stmt, 6);
  entry->reason = dup_column (stmt, 7);
  entry->before_json = dup_column (stmt, 8);
  entry->after_json = dup_column (stmt, 9);
  entry->prev_hash = dup_column (stmt, 10);
  entry->hash = dup_column (stmt, 11);
  return entry;
}

/* ---------------------------------------------------------------- append */

static gboolean
append_locked (BqStore       *store,
               BqAuditEntry  *entry,
               GError       **error)
{
  sqlite3 *db = bq_store_get_db (store);
  g_autoptr(BqStoreStmt) last = NULL;
  g_autoptr(BqStoreStmt) insert = NULL;
  g_autoptr(GString) buffer = g_string_sized_new (1024);
  int rc;

  last = prepare_cached (store, "SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1",
                         error);
  if (last == NULL)
    return FALSE;
  rc = sqlite3_step (last);
  if (rc == SQLITE_ROW)
    {
      entry->seq = sqlite3_column_int64 (last, 0) + 1;
      entry->prev_hash = dup_column (last, 1);
    }
  else if (rc == SQLITE_DONE)
    {
      entry->seq = 1;
      entry->prev_hash = g_strdup (GENESIS_HASH);
    }
  else
    {
      set_sqlite_error (db, rc, error, "cannot read the end of the audit trail");
      return FALSE;
    }
  g_clear_pointer (&last, bq_store_stmt_release);

  entry->hash = compute_hash (entry->prev_hash, entry, buffer);

  insert = prepare_cached (store, "INSERT INTO audit_log (" SELECT_COLUMNS ") "
                                  "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
                           error);
  if (insert == NULL)
    return FALSE;
  sqlite3_bind_int64 (insert, 1, entry->seq);
  sqlite3_bind_int64 (insert, 2, entry->at);
  sqlite3_bind_text (insert, 3, entry->user_id, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 4, entry->action, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 5, entry->kind, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 6, entry->entity_id, -1, SQLITE_STATIC);
  sqlite3_bind_int64 (insert, 7, entry->revision);
  sqlite3_bind_text (insert, 8, entry->reason, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 9, entry->before_json, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 10, entry->after_json, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 11, entry->prev_hash, -1, SQLITE_STATIC);
  sqlite3_bind_text (insert, 12, entry->hash, -1, SQLITE_STATIC);
  rc = sqlite3_step (insert);
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, rc, error, "cannot append to the audit trail");
      return FALSE;
    }
  return TRUE;
}

/* Text that is not UTF-8 (a header, say) is kept readable rather than
 * refused: the entry matters more than the exact bytes of a reason. */
static char *
dup_valid_utf8 (const char *text)
{
  if (text == NULL)
    return NULL;
  if (g_utf8_validate (text, -1, NULL))
    return g_strdup (text);
  return g_utf8_make_valid (text, -1);
}

gboolean
bq_audit_append (BqStore       *store,
                 gint64         at,
                 const char    *user_id,
                 const char    *action,
                 gconstpointer  before,
                 gconstpointer  after,
                 const char    *reason,
                 GError       **error)
{
  g_autoptr(BqAuditEntry) entry = NULL;
  gconstpointer subject = after != NULL ? after : before;

  g_return_val_if_fail (BQ_IS_STORE (store), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (before == NULL || after == NULL ||
                        BQ_ENTITY (before)->type == BQ_ENTITY (after)->type, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  entry = g_new0 (BqAuditEntry, 1);
  entry->at = at;
  entry->user_id = dup_valid_utf8 (user_id);
  entry->action = dup_valid_utf8 (action);
  entry->reason = dup_valid_utf8 (reason);
  if (subject != NULL)
    {
      entry->kind = g_strdup (BQ_ENTITY (subject)->type->name);
      entry->entity_id = dup_valid_utf8 (bq_entity_get_id (subject));
    }
  /* The revision the change was stamped with; a deletion's is the
   * tombstone's, the last one the store handed out. */
  if (after != NULL)
    entry->revision = BQ_ENTITY (after)->revision;
  else if (before != NULL)
    entry->revision = bq_store_get_revision (store);
  if (before != NULL)
    entry->before_json = bq_entity_to_json_string (before, FALSE);
  if (after != NULL)
    entry->after_json = bq_entity_to_json_string (after, FALSE);

  /* Nests as a savepoint in the caller's transaction; on its own it takes
   * the write lock, so reading the last entry and appending cannot race
   * with another writer. */
  if (!bq_store_begin (store, error))
    return FALSE;
  if (!append_locked (store, entry, error))
    {
      bq_store_rollback (store);
      return FALSE;
    }
  return bq_store_commit (store, error);
}

gboolean
bq_audit_append_record (BqStore     *store,
                        gint64       at,
                        const char  *user_id,
                        const char  *action,
                        const char  *kind,
                        const char  *entity_id,
                        gint64       revision,
                        const char  *before_json,
                        const char  *after_json,
                        const char  *reason,
                        GError     **error)
{
  g_autoptr(BqAuditEntry) entry = NULL;

  g_return_val_if_fail (BQ_IS_STORE (store), FALSE);
  g_return_val_if_fail (action != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  entry = g_new0 (BqAuditEntry, 1);
  entry->at = at;
  entry->user_id = dup_valid_utf8 (user_id);
  entry->action = dup_valid_utf8 (action);
  entry->reason = dup_valid_utf8 (reason);
  entry->kind = dup_valid_utf8 (kind);
  entry->entity_id = dup_valid_utf8 (entity_id);
  entry->revision = revision;
  entry->before_json = dup_valid_utf8 (before_json);
  entry->after_json = dup_valid_utf8 (after_json);

  if (!bq_store_begin (store, error))
    return FALSE;
  if (!append_locked (store, entry, error))
    {
      bq_store_rollback (store);
      return FALSE;
    }
  return bq_store_commit (store, error);
}

/* ------------------------------------------------------------------ read */

GPtrArray *
bq_audit_list (BqStore  *store,
               gint64    after_seq,
               guint     limit,
               GError  **error)
{
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GPtrArray) entries = NULL;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  db = bq_store_get_db (store);
  stmt = prepare (db, "SELECT " SELECT_COLUMNS " FROM audit_log WHERE seq > ?1 "
                      "ORDER BY seq LIMIT ?2", error);
  if (stmt == NULL)
    return NULL;
  sqlite3_bind_int64 (stmt, 1, after_seq);
  sqlite3_bind_int64 (stmt, 2, limit > 0 ? (gint64) limit : -1);

  entries = g_ptr_array_new_with_free_func ((GDestroyNotify) bq_audit_entry_free);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    g_ptr_array_add (entries, read_entry (stmt));
  if (rc != SQLITE_DONE)
    {
      set_sqlite_error (db, rc, error, "cannot read the audit trail");
      return NULL;
    }
  return g_steal_pointer (&entries);
}

gboolean
bq_audit_verify (BqStore  *store,
                 gint64   *n_entries,
                 gint64   *first_bad_seq,
                 GError  **error)
{
  sqlite3 *db;
  g_autoptr(sqlite3_stmt) stmt = NULL;
  g_autoptr(GString) buffer = g_string_sized_new (4096);
  char prev_hash[65];
  gint64 expected = 1;
  gboolean read_transaction = FALSE;
  gboolean intact = TRUE;
  int rc;

  g_return_val_if_fail (BQ_IS_STORE (store), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (n_entries != NULL)
    *n_entries = 0;
  if (first_bad_seq != NULL)
    *first_bad_seq = 0;

  db = bq_store_get_db (store);
  /* One snapshot for the whole walk, so a concurrent append (another
   * process) cannot look like a broken link. */
  if (sqlite3_get_autocommit (db))
    {
      rc = sqlite3_exec (db, "BEGIN", NULL, NULL, NULL);
      if (rc != SQLITE_OK)
        {
          set_sqlite_error (db, rc, error, "cannot start reading the audit trail");
          return FALSE;
        }
      read_transaction = TRUE;
    }

  stmt = prepare (db, "SELECT " SELECT_COLUMNS " FROM audit_log ORDER BY seq", error);
  if (stmt == NULL)
    goto failed;

  memcpy (prev_hash, GENESIS_HASH, sizeof prev_hash);
  while ((rc = sqlite3_step (stmt)) == SQLITE_ROW)
    {
      /* Borrowed column pointers: no copies on the hot path. */
      BqAuditEntry entry = {
        .seq = sqlite3_column_int64 (stmt, 0),
        .at = sqlite3_column_int64 (stmt, 1),
        .user_id = (char *) sqlite3_column_text (stmt, 2),
        .action = (char *) sqlite3_column_text (stmt, 3),
        .kind = (char *) sqlite3_column_text (stmt, 4),
        .entity_id = (char *) sqlite3_column_text (stmt, 5),
        .revision = sqlite3_column_int64 (stmt, 6),
        .reason = (char *) sqlite3_column_text (stmt, 7),
        .before_json = (char *) sqlite3_column_text (stmt, 8),
        .after_json = (char *) sqlite3_column_text (stmt, 9),
      };
      const char *stored_prev = (const char *) sqlite3_column_text (stmt, 10);
      const char *stored_hash = (const char *) sqlite3_column_text (stmt, 11);
      g_autofree char *hash = NULL;

      if (entry.seq != expected)
        {
          /* A gap: entry @expected was removed (or renumbered). */
          intact = FALSE;
          break;
        }
      hash = compute_hash (prev_hash, &entry, buffer);
      if (g_strcmp0 (stored_prev, prev_hash) != 0 || g_strcmp0 (stored_hash, hash) != 0)
        {
          intact = FALSE;
          break;
        }
      memcpy (prev_hash, hash, sizeof prev_hash);
      expected++;
    }
  if (intact && rc != SQLITE_DONE)
    {
      set_sqlite_error (db, rc, error, "cannot read the audit trail");
      goto failed;
    }

  g_clear_pointer (&stmt, sqlite3_finalize);
  if (read_transaction)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);

  if (!intact)
    {
      if (first_bad_seq != NULL)
        *first_bad_seq = expected;
      return FALSE;
    }
  if (n_entries != NULL)
    *n_entries = expected - 1;
  return TRUE;

failed:
  g_clear_pointer (&stmt, sqlite3_finalize);
  if (read_transaction)
    sqlite3_exec (db, "ROLLBACK", NULL, NULL, NULL);
  return FALSE;
}

/* ------------------------------------------------------------------ JSON */

static void
set_json_text (JsonBuilder *builder,
               const char  *member,
               const char  *text)
{
  g_autoptr(JsonNode) node = NULL;

  json_builder_set_member_name (builder, member);
  if (text != NULL)
    node = bq_json_parse (text, -1, NULL);
  if (node != NULL)
    json_builder_add_value (builder, g_steal_pointer (&node));
  else if (text != NULL)
    json_builder_add_string_value (builder, text);  /* not JSON: tampered, show as is */
  else
    json_builder_add_null_value (builder);
}

static void
set_string (JsonBuilder *builder,
            const char  *member,
            const char  *value)
{
  json_builder_set_member_name (builder, member);
  if (value != NULL)
    json_builder_add_string_value (builder, value);
  else
    json_builder_add_null_value (builder);
}

/* {"seq","at" (ISO 8601 UTC),"user_id","action","kind","entity_id",
 *  "revision","reason","before","after" (the entities as objects, or
 *  null),"prev_hash","hash"} */
JsonNode *
bq_audit_entry_to_json (const BqAuditEntry *entry)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autoptr(GDateTime) at = NULL;
  g_autofree char *at_text = NULL;

  g_return_val_if_fail (entry != NULL, NULL);

  at = g_date_time_new_from_unix_utc (entry->at);
  if (at != NULL)
    at_text = g_date_time_format (at, "%Y-%m-%dT%H:%M:%SZ");

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "seq");
  json_builder_add_int_value (builder, entry->seq);
  set_string (builder, "at", at_text);
  set_string (builder, "user_id", entry->user_id);
  set_string (builder, "action", entry->action);
  set_string (builder, "kind", entry->kind);
  set_string (builder, "entity_id", entry->entity_id);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, entry->revision);
  set_string (builder, "reason", entry->reason);
  set_json_text (builder, "before", entry->before_json);
  set_json_text (builder, "after", entry->after_json);
  set_string (builder, "prev_hash", entry->prev_hash);
  set_string (builder, "hash", entry->hash);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}
