/* bq-server-changes.c — GET /api/v1/changes, the feed clients sync from
 *
 * A page of the store's changes after a revision, less what the caller
 * may not see: users for everyone but administrators, and for account
 * managers the scoped entities (and tombstones) of other centres.  A row
 * that has moved from one of their centres to another comes to them as a
 * tombstone (bq_server_remember_moved_scope()).  The
 * paging follows the store's, not the filtered page: "more" says the
 * store had a full page, and "revision" is where to ask from next, so a
 * client never misses nor repeats a change even when a page it gets is
 * short or empty.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-json.h"
#include "bq-server-private.h"

#define CHANGES_LIMIT_DEFAULT 500
#define CHANGES_LIMIT_MAX     5000

void
bq_server_handle_changes (BqServerRequest *request)
{
  g_autoptr(GPtrArray) changes = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GHashTable) cache = NULL;
  g_autoptr(JsonBuilder) builder = NULL;
  g_autoptr(JsonNode) node = NULL;
  guint64 since, limit;
  gint64 next = 0;

  if (!bq_server_request_get_uint (request, "since", 0, G_MAXINT64, &since) ||
      !bq_server_request_get_uint (request, "limit", CHANGES_LIMIT_DEFAULT, CHANGES_LIMIT_MAX,
                                   &limit))
    return;
  if (limit == 0)
    {
      bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY, "out_of_range",
                             "“limit” must be at least 1", "limit");
      return;
    }
  if (request->query != NULL)
    {
      GHashTableIter iter;
      gpointer key;

      g_hash_table_iter_init (&iter, request->query);
      while (g_hash_table_iter_next (&iter, &key, NULL))
        {
          if (g_strcmp0 (key, "since") != 0 && g_strcmp0 (key, "limit") != 0)
            {
              bq_server_reply_error (request->msg, SOUP_STATUS_UNPROCESSABLE_ENTITY,
                                     "unknown_field", "the change feed takes only "
                                     "“since” and “limit”", key);
              return;
            }
        }
    }

  changes = bq_store_changes_since (request->server->store, (gint64) since, (guint) limit,
                                    &next, &error);
  if (changes == NULL)
    {
      bq_server_reply_gerror (request->msg, error);
      return;
    }

  cache = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  builder = json_builder_new ();
  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "changes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < changes->len; i++)
    {
      const BqChange *change = g_ptr_array_index (changes, i);
      gboolean deleted = change->entity == NULL;
      gboolean visible;

      if (!deleted)
        visible = bq_server_can_see_entity (request->server, request->user, change->entity, cache);
      else
        visible = FALSE;
      /* Gone, or gone from the caller's centres (moved to another): a
       * tombstone for those who saw it where it was. */
      if (!visible)
        {
          visible = bq_server_can_see_tombstone (request->server, request->user, change->type,
                                                 change->id);
          deleted = TRUE;
        }
      if (!visible)
        continue;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, change->type->name);
      json_builder_set_member_name (builder, "id");
      json_builder_add_string_value (builder, change->id);
      json_builder_set_member_name (builder, "revision");
      json_builder_add_int_value (builder, change->revision);
      json_builder_set_member_name (builder, "deleted");
      json_builder_add_boolean_value (builder, deleted);
      if (!deleted)
        {
          json_builder_set_member_name (builder, "entity");
          json_builder_add_value (builder, bq_entity_to_json (change->entity));
        }
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_set_member_name (builder, "revision");
  json_builder_add_int_value (builder, next);
  json_builder_set_member_name (builder, "more");
  json_builder_add_boolean_value (builder, changes->len == limit);
  json_builder_end_object (builder);
  node = json_builder_get_root (builder);
  bq_server_reply_json (request->msg, SOUP_STATUS_OK, node);
}
