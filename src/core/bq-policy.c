/* bq-policy.c — who may see and change what
 *
 * The role table of bq-policy.h as data: one row per role, one bit per
 * action and entity type.  Scoping (an account manager only sees the
 * orders, slots, shipments and shipment legs of the centres they serve) is
 * a second, per-entity question answered by bq_policy_can_see().
 *
 * Regional pool slots (centre_id NULL) are visible to every account
 * manager: pools exist so that any centre of the region may book into
 * them, and an account manager cannot book into a slot they cannot see.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-policy.h"

#define R (1u << BQ_ACTION_READ)
#define C (1u << BQ_ACTION_CREATE)
#define U (1u << BQ_ACTION_UPDATE)
#define D (1u << BQ_ACTION_DELETE)
#define W (C | U | D)

typedef struct {
  const BqEntityType *type;
  guint               actions[6];  /* indexed by BqRole */
} PolicyRow;

/*                                 admin    planner  acct.mgr qa      logistics viewer */
static const PolicyRow policy_table[] = {
  { &bq_site_type,         { R | W, R | W, R,     R,     R,     R } },
  { &bq_line_type,         { R | W, R | W, R,     R,     R,     R } },
  { &bq_product_type,      { R | W, R | W, R,     R,     R,     R } },
  { &bq_centre_type,       { R | W, R | W, R,     R,     R,     R } },
  { &bq_hub_type,          { R | W, R,     R,     R,     R | W, R } },
  { &bq_user_type,         { R | W, 0,     0,     0,     0,     0 } },
  { &bq_run_type,          { R | W, R | W, R,     R | U, R,     R } },
  { &bq_forecast_type,     { R | W, R | W, R,     R,     R,     R } },
  { &bq_maintenance_block_type, { R | W, R | W, R, R,   R,     R } },
  { &bq_qc_result_type,    { R | W, R,     0,     R | W, R,     R } },
  { &bq_slot_type,         { R | W, R | W, R,     R,     R,     R } },
  { &bq_lane_type,         { R | W, R,     R,     R,     R | W, R } },
  { &bq_sla_type,          { R | W, R,     R,     R,     R | W, R } },
  { &bq_shipment_type,     { R | W, R,     R,     R,     R | W, R } },
  { &bq_shipment_leg_type, { R | W, R,     R,     R,     R | W, R } },
  { &bq_order_type,        { R | W, R,     R | C | U, R, R | U, R } },
};

/* Roles that may update a type only in some fields: everything else of
 * the entity must stay as it was. */
static const char * const logistics_order_fields[] = { "shipment_id", "status", NULL };

static const PolicyRow *
find_row (const BqEntityType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (policy_table); i++)
    {
      if (policy_table[i].type == type)
        return &policy_table[i];
    }
  return NULL;
}

gboolean
bq_policy_allows (const BqUser       *user,
                  BqAction            action,
                  const BqEntityType *type)
{
  const PolicyRow *row;

  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (type != NULL, FALSE);
  g_return_val_if_fail (action <= BQ_ACTION_DELETE, FALSE);

  if (user->disabled)
    return FALSE;
  if ((guint) user->role >= G_N_ELEMENTS (policy_table[0].actions))
    return FALSE;

  row = find_row (type);
  if (row == NULL)
    return FALSE;  /* a type this table does not know: nobody */
  return (row->actions[user->role] & (1u << action)) != 0;
}

gboolean
bq_policy_type_is_scoped (const BqEntityType *type)
{
  g_return_val_if_fail (type != NULL, FALSE);

  return type == &bq_order_type || type == &bq_slot_type ||
         type == &bq_shipment_type || type == &bq_shipment_leg_type;
}

const char *
bq_policy_scope_field (const BqEntityType *type)
{
  g_return_val_if_fail (type != NULL, NULL);

  if (type == &bq_order_type || type == &bq_slot_type || type == &bq_shipment_type)
    return "centre_id";
  return NULL;
}

const BqEntityType *
bq_policy_scope_parent (const BqEntityType  *type,
                        const char         **parent_field)
{
  g_return_val_if_fail (type != NULL, NULL);

  if (type == &bq_shipment_leg_type)
    {
      if (parent_field != NULL)
        *parent_field = "shipment_id";
      return &bq_shipment_type;
    }
  if (parent_field != NULL)
    *parent_field = NULL;
  return NULL;
}

gboolean
bq_policy_serves_centre (const BqUser *user,
                         const char   *centre_id)
{
  g_return_val_if_fail (user != NULL, FALSE);

  if (user->disabled)
    return FALSE;
  if (user->role != BQ_ROLE_ACCOUNT_MANAGER)
    return TRUE;
  if (centre_id == NULL || user->centre_ids == NULL)
    return FALSE;
  return g_strv_contains ((const char * const *) user->centre_ids, centre_id);
}

gboolean
bq_policy_can_see (const BqUser  *user,
                   gconstpointer  entity,
                   const char    *centre_id_hint)
{
  const BqEntityType *type;

  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (entity != NULL, FALSE);

  type = BQ_ENTITY (entity)->type;

  if (user->disabled)
    return FALSE;
  if (user->role != BQ_ROLE_ACCOUNT_MANAGER || !bq_policy_type_is_scoped (type))
    return TRUE;

  if (type == &bq_order_type)
    return bq_policy_serves_centre (user, ((const BqOrder *) entity)->centre_id);
  if (type == &bq_shipment_type)
    return bq_policy_serves_centre (user, ((const BqShipment *) entity)->centre_id);
  if (type == &bq_slot_type)
    {
      const BqSlot *slot = entity;

      /* A regional pool is open to every centre (see the top). */
      if (slot->centre_id == NULL)
        return TRUE;
      return bq_policy_serves_centre (user, slot->centre_id);
    }
  if (type == &bq_shipment_leg_type)
    return bq_policy_serves_centre (user, centre_id_hint);

  g_assert_not_reached ();
}

static gboolean
field_equal (const BqField *field,
             gconstpointer  a,
             gconstpointer  b)
{
  gconstpointer pa = BQ_FIELD_PTR (a, field);
  gconstpointer pb = BQ_FIELD_PTR (b, field);

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      return g_strcmp0 (*(char * const *) pa, *(char * const *) pb) == 0;
    case BQ_FIELD_INT:
    case BQ_FIELD_TIME:
      return *(const gint64 *) pa == *(const gint64 *) pb;
    case BQ_FIELD_DOUBLE:
      {
        double x = *(const double *) pa, y = *(const double *) pb;
        return x == y || (isnan (x) && isnan (y));
      }
    case BQ_FIELD_BOOL:
      return !*(const gboolean *) pa == !*(const gboolean *) pb;
    case BQ_FIELD_ENUM:
      return *(const int *) pa == *(const int *) pb;
    case BQ_FIELD_STRV:
      {
        char * const *x = *(char * const * const *) pa;
        char * const *y = *(char * const * const *) pb;

        if (x == NULL || y == NULL)
          return x == y;
        return g_strv_equal ((const char * const *) x, (const char * const *) y);
      }
    default:
      g_assert_not_reached ();
    }
}

gboolean
bq_policy_check_update (const BqUser  *user,
                        gconstpointer  before,
                        gconstpointer  after,
                        const char   **field_name)
{
  const BqEntityType *type;
  const char * const *allowed = NULL;

  g_return_val_if_fail (user != NULL, FALSE);
  g_return_val_if_fail (before != NULL && after != NULL, FALSE);
  g_return_val_if_fail (BQ_ENTITY (before)->type == BQ_ENTITY (after)->type, FALSE);

  type = BQ_ENTITY (before)->type;
  if (field_name != NULL)
    *field_name = NULL;

  if (!bq_policy_allows (user, BQ_ACTION_UPDATE, type))
    return FALSE;

  if (user->role == BQ_ROLE_LOGISTICS && type == &bq_order_type)
    allowed = logistics_order_fields;
  if (allowed == NULL)
    return TRUE;

  /* Fields 0 and 1 are id and revision, which the store owns. */
  for (guint i = 2; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];

      if (g_strv_contains (allowed, field->name) || field_equal (field, before, after))
        continue;
      if (field_name != NULL)
        *field_name = field->name;
      return FALSE;
    }
  return TRUE;
}
