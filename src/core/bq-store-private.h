/* bq-store-private.h — what bq-store.c and bq-store-schema.c share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <sqlite3.h>

#include "bq-store.h"

G_BEGIN_DECLS

/* PRAGMA application_id of every Becquerel database ("BqBq"), so a SQLite
 * file that belongs to some other program is refused instead of migrated. */
#define BQ_STORE_APPLICATION_ID 0x42714271

/* A statement we own: finalized when it goes out of scope. */
G_DEFINE_AUTOPTR_CLEANUP_FUNC (sqlite3_stmt, sqlite3_finalize)

/* A cached statement borrowed for one use: reset when it goes out of scope,
 * so it never keeps a read transaction open between calls. */
typedef sqlite3_stmt BqBorrowedStmt;
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqBorrowedStmt, sqlite3_reset)

/* The number of migrations this build knows, i.e. the schema version a
 * migrated database has. */
int      bq_store_schema_latest_version (void);

/* Whether the schema has an index on (@end - @start) for @type's table,
 * so that max(end - start) costs one index lookup. */
gboolean bq_store_schema_has_duration_index (const BqEntityType *type,
                                             const char         *start,
                                             const char         *end);

/* Checks that @db is a Becquerel database (or an empty file), refuses one
 * written by a newer version, and applies the missing migrations, each in
 * its own transaction.  Sets *@version to the resulting schema version. */
gboolean bq_store_schema_migrate        (sqlite3  *db,
                                         int      *version,
                                         GError  **error);

/* Turns the last SQLite failure on @db (result code @rc) into a
 * BQ_STORE_ERROR; the message starts with the formatted context. */
void     bq_store_set_sqlite_error      (sqlite3     *db,
                                         int          rc,
                                         GError     **error,
                                         const char  *format,
                                         ...) G_GNUC_PRINTF (4, 5);

G_END_DECLS
