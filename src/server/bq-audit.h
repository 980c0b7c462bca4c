/* bq-audit.h — the append-only, hash-chained audit trail
 *
 * Every mutation is recorded (who, when, what, before/after, why) in the
 * same transaction as the change.  Each entry's hash is SHA-256 over the
 * previous entry's hash and this entry's canonical text, so changing,
 * removing or reordering any entry breaks the chain from there on.  The
 * exact format (checkable with a few lines of Python) is at the top of
 * bq-audit.c.  The table also refuses UPDATE and DELETE (triggers).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bq-store.h"

G_BEGIN_DECLS

typedef struct {
  gint64  seq;          /* 1, 2, … */
  gint64  at;           /* UTC seconds */
  char   *user_id;      /* NULL for the system (demo seeding, migrations) */
  char   *action;       /* "create", "update", "delete", "login", … */
  char   *kind;         /* entity type name, or NULL */
  char   *entity_id;    /* or NULL */
  gint64  revision;     /* store revision of the change, 0 if none */
  char   *reason;       /* optional, from the X-Reason header */
  char   *before_json;  /* entity before, or NULL */
  char   *after_json;   /* entity after, or NULL */
  char   *prev_hash;    /* hex */
  char   *hash;         /* hex */
} BqAuditEntry;

void          bq_audit_entry_free   (BqAuditEntry *entry);
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqAuditEntry, bq_audit_entry_free)
JsonNode     *bq_audit_entry_to_json (const BqAuditEntry *entry);

/* Appends an entry; call inside the store transaction of the change so both
 * commit or neither does.  @before/@after are entities or NULL; kind and
 * entity_id come from them, and the revision from @after (for a deletion,
 * the store's current revision: call it right after bq_store_delete()). */
gboolean      bq_audit_append       (BqStore       *store,
                                     gint64         at,
                                     const char    *user_id,
                                     const char    *action,
                                     gconstpointer  before,
                                     gconstpointer  after,
                                     const char    *reason,
                                     GError       **error);

/* The same for something that is not an entity (a re-routing proposal):
 * @kind, @entity_id, @revision and the JSON texts (any may be NULL or 0)
 * as given. */
gboolean      bq_audit_append_record (BqStore      *store,
                                      gint64        at,
                                      const char   *user_id,
                                      const char   *action,
                                      const char   *kind,
                                      const char   *entity_id,
                                      gint64        revision,
                                      const char   *before_json,
                                      const char   *after_json,
                                      const char   *reason,
                                      GError      **error);

/* Entries with seq > @after_seq, oldest first, at most @limit (0: all). */
GPtrArray    *bq_audit_list         (BqStore       *store,
                                     gint64         after_seq,
                                     guint          limit,
                                     GError       **error);

/* Walks the whole chain.  TRUE with *@n_entries when intact; FALSE with
 * *@first_bad_seq (the first entry whose hash or link does not hold) when
 * it was tampered with.  @error only for failures to read. */
gboolean      bq_audit_verify       (BqStore       *store,
                                     gint64        *n_entries,
                                     gint64        *first_bad_seq,
                                     GError       **error);

G_END_DECLS
