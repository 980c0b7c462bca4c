/* bq-orders-page.h — the orders the user may see, with a detail pane
 *
 * A GtkColumnView over a BqOrderList (filtered by a search, sorted by the
 * column the user clicked) and a pane with the selected order's fields.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"
#include "bq-order-list.h"
#include "bq-units.h"

G_BEGIN_DECLS

#define BQ_TYPE_ORDERS_PAGE (bq_orders_page_get_type ())
G_DECLARE_FINAL_TYPE (BqOrdersPage, bq_orders_page, BQ, ORDERS_PAGE, GtkWidget)

GtkWidget   *bq_orders_page_new               (void);
/* Shows the orders of @client's cache; NULL shows nothing. */
void         bq_orders_page_set_client        (BqOrdersPage   *self,
                                               BqClient       *client);
void         bq_orders_page_set_activity_unit (BqOrdersPage   *self,
                                               BqActivityUnit  unit);
/* Every order in the cache, or NULL without a client. */
BqOrderList *bq_orders_page_get_orders        (BqOrdersPage   *self);
/* The rows the table shows (searched and sorted), as a GtkSelectionModel. */
GListModel  *bq_orders_page_get_rows          (BqOrdersPage   *self);
/* Selects the row of order @id (searching may hide it) and shows its
 * details; FALSE if it is not shown. */
gboolean     bq_orders_page_select_order      (BqOrdersPage   *self,
                                               const char     *id);
void         bq_orders_page_focus_search      (BqOrdersPage   *self);
/* Queues POST /orders/@id/cancel through the client's outbox (what the
 * detail pane's Cancel Order… does once the user confirms). */
gboolean     bq_orders_page_cancel_order      (BqOrdersPage   *self,
                                               const char     *id,
                                               GError        **error);
/* What the shown order's queued or refused actions wait for ("" if none). */
/* The detail pane's route: one line per leg of the order's shipment, in
 * order (empty when the order has none).  Free with g_strfreev(). */
char       **bq_orders_page_dup_route         (BqOrdersPage   *self);
const char  *bq_orders_page_get_action_text   (BqOrdersPage   *self);
/* A narrow window: the table keeps patient, centre and status; the rest
 * is in the detail pane. */
void         bq_orders_page_set_compact       (BqOrdersPage   *self,
                                               gboolean        compact);

G_END_DECLS
