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
 *                    centres, runs, forecasts, maintenance_blocks, slots
 *   account_manager  read reference data (sites, lines, products, centres,
 *                    hubs, lanes, slas, runs, forecasts, maintenance_blocks)
 *                    and, of their own centres only, orders, slots,
 *                    shipments, shipment_legs; create and update orders of
 *                    their own centres
 *   qa               read all but users; write qc_results; update runs
 *   logistics        read all but users; write hubs, lanes, slas, shipments,
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

/* Whether @type is scoped to the centres an account manager serves:
 * orders, slots, shipments and shipment_legs.  Slots with no centre
 * (regional pools) are visible to every account manager, who may book
 * into them. */
gboolean bq_policy_type_is_scoped  (const BqEntityType *type);

/* The name of the field holding the centre for scoped types ("centre_id"),
 * or NULL — also for shipment_legs, which have no centre of their own:
 * see bq_policy_scope_parent(). */
const char *bq_policy_scope_field  (const BqEntityType *type);

/* For a type scoped through a parent (shipment_legs → shipments): the
 * parent type, with *@parent_field the field holding the parent's id
 * ("shipment_id").  NULL for every other type. */
const BqEntityType *bq_policy_scope_parent (const BqEntityType  *type,
                                            const char         **parent_field);

/* Whether @user may see entities of @centre_id: always TRUE for roles that
 * are not scoped, FALSE for a disabled user and, for an account manager,
 * FALSE for a NULL centre (pools are bq_policy_can_see()'s business). */
gboolean bq_policy_serves_centre   (const BqUser       *user,
                                    const char         *centre_id);

/* Some roles may update a type only in some fields (logistics: an order's
 * shipment_id and status).  FALSE when @user may not make the change from
 * @before to @after, with *@field_name (may be NULL) the first field they
 * may not change, or NULL when they may not update the type at all.
 * Does not check scoping. */
gboolean bq_policy_check_update    (const BqUser       *user,
                                    gconstpointer       before,
                                    gconstpointer       after,
                                    const char        **field_name);

G_END_DECLS
