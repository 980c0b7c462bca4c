/* bq-store.h — the SQLite store
 *
 * One database file holds every entity, each row stamped with the global
 * revision of its last change; deletions leave tombstones, so a client can
 * ask for everything that changed since a revision.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>
#include <sqlite3.h>

#include "bq-model.h"

G_BEGIN_DECLS

#define BQ_STORE_ERROR (bq_store_error_quark ())

typedef enum {
  BQ_STORE_ERROR_OPEN,         /* cannot open or not a Becquerel database */
  BQ_STORE_ERROR_SCHEMA,       /* written by a newer version, or a migration failed */
  BQ_STORE_ERROR_NOT_FOUND,
  BQ_STORE_ERROR_CONSTRAINT,   /* foreign key, uniqueness, check */
  BQ_STORE_ERROR_BUSY,         /* locked by another process for too long */
  BQ_STORE_ERROR_QUERY,        /* a bad filter (unknown field) */
  BQ_STORE_ERROR_FAILED,       /* anything else SQLite reports */
} BqStoreError;

GQuark bq_store_error_quark (void);

#define BQ_TYPE_STORE (bq_store_get_type ())
G_DECLARE_FINAL_TYPE (BqStore, bq_store, BQ, STORE, GObject)

/* Opens (creating if needed) and migrates to the current schema.  WAL
 * journal, foreign keys on, synchronous=FULL so an acknowledged commit
 * survives a crash.  ":memory:" gives a private in-memory store. */
BqStore  *bq_store_open              (const char         *path,
                                      GError            **error);
const char *bq_store_get_path        (BqStore            *self);
int       bq_store_get_schema_version (BqStore           *self);
/* The highest revision handed out so far (0 for a new store). */
gint64    bq_store_get_revision      (BqStore            *self);
/* For tables the server keeps beside the entities (credentials, sessions,
 * audit).  Use it from the thread that owns the store. */
sqlite3  *bq_store_get_db            (BqStore            *self);
/* A statement for @sql on the store's connection, prepared once
 * (SQLITE_PREPARE_PERSISTENT) and kept until the store is finalized, so
 * hot paths do not parse the same SQL on every call.  @sql is the cache
 * key: pass fixed text, never text built per call.  The statement is
 * borrowed: give it back with bq_store_stmt_release() (or hold it in a
 * g_autoptr(BqStoreStmt)), which resets it and clears its bindings.
 * Returns the SQLite result code like sqlite3_prepare_v2(); SQLITE_MISUSE
 * when the same text is still in use (a borrowed statement not given
 * back).  Use it from the thread that owns the store. */
int       bq_store_prepare_cached    (BqStore            *self,
                                      const char         *sql,
                                      sqlite3_stmt      **stmt);
void      bq_store_stmt_release      (sqlite3_stmt       *stmt);

/* Transactions nest (savepoints inside).  Everything between begin and
 * commit is applied atomically; rollback undoes it all. */
gboolean  bq_store_begin             (BqStore            *self,
                                      GError            **error);
gboolean  bq_store_commit            (BqStore            *self,
                                      GError            **error);
void      bq_store_rollback          (BqStore            *self);

/* Insert or replace by id.  Validates first.  Stamps the entity with a new
 * revision (written back into @entity).  An entity with no id is given a
 * random UUID. */
gboolean  bq_store_put               (BqStore            *self,
                                      gpointer            entity,
                                      GError            **error);
/* Many entities of any types, in one transaction with one prepared
 * statement per type.  Each row gets its own revision, in array order. */
gboolean  bq_store_put_many          (BqStore            *self,
                                      GPtrArray          *entities,
                                      GError            **error);
/* NULL with BQ_STORE_ERROR_NOT_FOUND when there is none. */
gpointer  bq_store_get               (BqStore            *self,
                                      const BqEntityType *type,
                                      const char         *id,
                                      GError            **error);
/* Removes and leaves a tombstone at a new revision. */
gboolean  bq_store_delete            (BqStore            *self,
                                      const BqEntityType *type,
                                      const char         *id,
                                      GError            **error);
/* For a mirror of another store (the app's cache of the server): writes
 * @entity at @revision, the one the source gave it, instead of a new one,
 * and writes @revision back into @entity.  Validates first; the entity
 * must have an id.  The store's counter moves up to @revision when it is
 * behind, never down.  Like put, it clears a tombstone of the id. */
gboolean  bq_store_put_as            (BqStore            *self,
                                      gpointer            entity,
                                      gint64              revision,
                                      GError            **error);
/* The mirror's delete: removes the row if there is one (a mirror need not
 * have had it) and leaves a tombstone at @revision. */
gboolean  bq_store_delete_as         (BqStore            *self,
                                      const BqEntityType *type,
                                      const char         *id,
                                      gint64              revision,
                                      GError            **error);
gint64    bq_store_count             (BqStore            *self,
                                      const BqEntityType *type,
                                      GError            **error);

/* ----------------------------------------------------------------- queries */

typedef struct _BqQuery BqQuery;

BqQuery  *bq_query_new               (const BqEntityType *type);
void      bq_query_free              (BqQuery            *query);
/* field = value (string, enum nick or id fields) */
void      bq_query_where_equals      (BqQuery            *query,
                                      const char         *field,
                                      const char         *value);
/* field IN (values) — e.g. the centres an account manager serves */
void      bq_query_where_in          (BqQuery            *query,
                                      const char         *field,
                                      const char * const *values);
/* from <= field < to, for a TIME or INT field; G_MININT64/G_MAXINT64 for open ends */
void      bq_query_where_range       (BqQuery            *query,
                                      const char         *field,
                                      gint64              from,
                                      gint64              to);
/* Rows whose [start_field, end_field] interval overlaps [from, to). */
void      bq_query_where_overlaps    (BqQuery            *query,
                                      const char         *start_field,
                                      const char         *end_field,
                                      gint64              from,
                                      gint64              to);
/* Default order is by id; ties are always broken by id, so paging is stable. */
void      bq_query_order_by          (BqQuery            *query,
                                      const char         *field,
                                      gboolean            descending);
void      bq_query_set_limit         (BqQuery            *query,
                                      guint               limit,
                                      guint               offset);
/* Entities (free with bq_entity_free: the array owns them). An unknown field
 * name fails with BQ_STORE_ERROR_QUERY. */
GPtrArray *bq_store_query            (BqStore            *self,
                                      BqQuery            *query,
                                      GError            **error);
/* All entities of a type, ordered by id. */
GPtrArray *bq_store_list             (BqStore            *self,
                                      const BqEntityType *type,
                                      GError            **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqQuery, bq_query_free)

/* A statement from bq_store_prepare_cached(): released, not finalized,
 * when it goes out of scope. */
typedef sqlite3_stmt BqStoreStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqStoreStmt, bq_store_stmt_release)

/* ----------------------------------------------------------------- changes */

typedef struct {
  const BqEntityType *type;
  char               *id;
  gint64              revision;
  gpointer            entity;    /* NULL for a tombstone (deleted) */
} BqChange;

void      bq_change_free             (BqChange           *change);

/* Changes with revision > @since, oldest first, at most @limit (0: no limit).
 * *@next_since is the revision to ask from next time: after a full page,
 * the last one returned (more may follow); after a short page, the store's
 * current revision (never below @since), so a caller that is up to date
 * holds exactly bq_store_get_revision(). */
GPtrArray *bq_store_changes_since    (BqStore            *self,
                                      gint64              since,
                                      guint               limit,
                                      gint64             *next_since,
                                      GError            **error);

G_END_DECLS
