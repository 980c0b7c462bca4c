/* bq-json.h — JSON codecs for the entities (json-glib)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bq-model.h"

G_BEGIN_DECLS

typedef enum {
  BQ_JSON_DEFAULT        = 0,
  /* Members the entity does not have are skipped instead of refused. */
  BQ_JSON_ALLOW_UNKNOWN  = 1 << 0,
  /* Decode onto a copy of an existing entity (a PATCH): nothing is
   * required, only the members present change. See bq_entity_update_from_json. */
} BqJsonFlags;

/* An object with every field (optional ones unset are null), in field order. */
JsonNode *bq_entity_to_json          (gconstpointer        entity);
char     *bq_entity_to_json_string   (gconstpointer        entity,
                                      gboolean             pretty);
/* Decodes and validates (bq_entity_validate); errors are BQ_MODEL_ERROR
 * naming the field (bq_model_error_get_field). */
gpointer  bq_entity_from_json        (const BqEntityType  *type,
                                      JsonNode            *node,
                                      BqJsonFlags          flags,
                                      GError             **error);
gpointer  bq_entity_from_json_string (const BqEntityType  *type,
                                      const char          *text,
                                      gssize               length,
                                      BqJsonFlags          flags,
                                      GError             **error);
/* Applies the members present in @node to @entity (a PATCH), then validates.
 * On error @entity is left unchanged. */
gboolean  bq_entity_update_from_json (gpointer             entity,
                                      JsonNode            *node,
                                      BqJsonFlags          flags,
                                      GError             **error);
/* A JSON array of entities. */
JsonNode *bq_entity_list_to_json     (GPtrArray           *entities);

/* Parses untrusted JSON text of any shape (length -1: NUL-terminated).
 * Unlike a bare JsonParser it refuses deep nesting (json-glib 1.6 would
 * overflow the stack), invalid UTF-8 and U+0000 in strings, and reads
 * integers beyond gint64 as doubles instead of wrapping them.  Errors are
 * BQ_MODEL_ERROR_MALFORMED; empty text is one. */
JsonNode *bq_json_parse              (const char          *text,
                                      gssize               length,
                                      GError             **error);

/* Builder helpers: set member @name to a value, or to null when the value
 * is unset (BQ_TIME_UNSET, NaN, NULL).  Times are written as
 * bq_units_format_time() does. */
void      bq_json_add_time_member    (JsonBuilder         *builder,
                                      const char          *name,
                                      gint64               t);
void      bq_json_add_double_member  (JsonBuilder         *builder,
                                      const char          *name,
                                      double               value);
void      bq_json_add_string_member  (JsonBuilder         *builder,
                                      const char          *name,
                                      const char          *value);
void      bq_json_add_int_member     (JsonBuilder         *builder,
                                      const char          *name,
                                      gint64               value);

G_END_DECLS
