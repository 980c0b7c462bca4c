/* bq-order-item.h — one order in a list model, with what the views show
 *
 * A GObject around a BqOrder from the cache, with the names of its centre
 * and product and the centre's time zone, so rows can be sorted and
 * filtered by what the user reads rather than by ids.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "bq-model.h"

G_BEGIN_DECLS

#define BQ_TYPE_ORDER_ITEM (bq_order_item_get_type ())
G_DECLARE_FINAL_TYPE (BqOrderItem, bq_order_item, BQ, ORDER_ITEM, GObject)

/* Takes @order; @centre and @product (may be NULL) are copied from. */
BqOrderItem   *bq_order_item_new                     (BqOrder         *order,
                                                      const BqCentre  *centre,
                                                      const BqProduct *product);
/* Replaces what the item holds (taking @order) and notifies the
 * properties that changed; FALSE when nothing did. */
gboolean       bq_order_item_update                  (BqOrderItem     *self,
                                                      BqOrder         *order,
                                                      const BqCentre  *centre,
                                                      const BqProduct *product);
/* Whether @order with that centre and product would show the same. */
gboolean       bq_order_item_shows                   (BqOrderItem     *self,
                                                      const BqOrder   *order,
                                                      const BqCentre  *centre,
                                                      const BqProduct *product);

const BqOrder *bq_order_item_get_order               (BqOrderItem     *self);
const char    *bq_order_item_get_id                  (BqOrderItem     *self);
const char    *bq_order_item_get_patient_ref         (BqOrderItem     *self);
/* The centre's name, or its id when the cache does not have it. */
const char    *bq_order_item_get_centre_name         (BqOrderItem     *self);
/* "Leiden, NL", or NULL. */
const char    *bq_order_item_get_centre_place        (BqOrderItem     *self);
const char    *bq_order_item_get_product_name        (BqOrderItem     *self);
/* The nuclide of the product, or NULL. */
const char    *bq_order_item_get_product_nuclide     (BqOrderItem     *self);
GTimeZone     *bq_order_item_get_time_zone           (BqOrderItem     *self);
double         bq_order_item_get_prescribed_activity (BqOrderItem     *self);
gint64         bq_order_item_get_admin_start         (BqOrderItem     *self);
gint64         bq_order_item_get_admin_end           (BqOrderItem     *self);
BqOrderStatus  bq_order_item_get_status              (BqOrderItem     *self);
/* Whether every word of @casefolded_words appears in what the row shows. */
gboolean       bq_order_item_matches                 (BqOrderItem        *self,
                                                      const char * const *casefolded_words);

G_END_DECLS
