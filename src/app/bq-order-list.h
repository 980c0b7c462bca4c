/* bq-order-list.h — the orders in the cache, as a GListModel
 *
 * Items are BqOrderItem, ordered by order id.  A reload reads the cache
 * on a worker thread (through a second, read-only use of the cache file,
 * so the UI thread never waits for SQLite) and then tells views exactly
 * which ranges changed: an order that is the same keeps its item, an
 * updated one keeps its item too (updated in place, announced as a
 * one-item change), so selections survive live updates.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gio/gio.h>

#include "bq-client.h"
#include "bq-order-item.h"

G_BEGIN_DECLS

#define BQ_TYPE_ORDER_LIST (bq_order_list_get_type ())
G_DECLARE_FINAL_TYPE (BqOrderList, bq_order_list, BQ, ORDER_LIST, GObject)

/* Follows the client: reloads when it says orders, centres or products
 * changed, or the signed-in user did. */
BqOrderList *bq_order_list_new           (BqClient    *client);
/* Reads @store; reloads only when asked. */
BqOrderList *bq_order_list_new_for_store (BqStore     *store);

/* Reads the cache again; a reload asked for while one runs is done
 * after it, once. */
void         bq_order_list_reload        (BqOrderList *self);
/* TRUE once the first reload has finished (property "loaded"). */
gboolean     bq_order_list_get_loaded    (BqOrderList *self);
/* Property "loading". */
gboolean     bq_order_list_get_loading   (BqOrderList *self);
/* The item for the order @id, or NULL. */
BqOrderItem *bq_order_list_lookup        (BqOrderList *self,
                                          const char  *id);

G_END_DECLS
