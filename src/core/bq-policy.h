/* bq-policy.h — who may see and change what
 *
 * The rules live in the core so the server enforces them and the app can
 * grey out what a user may not do, from the same table.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-model.h"

G_BEGIN_DECLS

typedef enum {
  BQ_ACTION_READ,
  BQ_ACTION_CREATE,
  BQ_ACTION_UPDATE,
  BQ_ACTION_DELETE,
} BqAction;

/* Whether @user's role allows @action on entities of @type at all
 * (a disabled user may do nothing).  Role table:
 *   admin            everything
 *   planner          read all but users; write sites, lines, products,
 *                    centres, runs, forecasts, slots
 *   account_manager  read reference data (sites, lines, products, centres,
 *                    hubs, lanes, runs, forecasts) and, of their own centres
 *                    only, orders, slots, shipments, shipment_legs; create
 *                    and update orders of their own centres
 *   qa               read all but users; write qc_results; update runs
 *   logistics        read all but users; write hubs, lanes, shipments,
 *                    shipment_legs; update orders (shipment_id, status)
 *   viewer           read all but users
 */
gboolean bq_policy_allows          (const BqUser       *user,
                                    BqAction            action,
                                    const BqEntityType *type);

/* For types scoped to centres (orders, slots, shipments): whether @entity
 * belongs to one of @user's centres.  Always TRUE for roles that are not
 * scoped.  Shipment legs are scoped through their shipment, so the caller
 * passes the shipment's centre as @centre_id_hint (NULL otherwise). */
gboolean bq_policy_can_see         (const BqUser       *user,
                                    gconstpointer       entity,
                                    const char         *centre_id_hint);

/* Whether @type is scoped to the centres an account manager serves. */
gboolean bq_policy_type_is_scoped  (const BqEntityType *type);

/* The name of the field holding the centre for scoped types ("centre_id"),
 * or NULL. */
const char *bq_policy_scope_field  (const BqEntityType *type);

G_END_DECLS
