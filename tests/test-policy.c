/* test-policy.c — the role table and account manager scoping
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-policy.h"

/* The expectation, written out from the role description and not from
 * bq-policy.c's table: "r" read, "c" create, "u" update, "d" delete. */
typedef struct {
  const char *plural;
  const char *by_role[6];  /* admin, planner, account_manager, qa, logistics, viewer */
} Expectation;

static const Expectation expectations[] = {
  { "sites",         { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "lines",         { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "products",      { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "centres",       { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "hubs",          { "rcud", "r",    "r",   "r",    "rcud", "r" } },
  { "users",         { "rcud", "",     "",    "",     "",     "" } },
  { "runs",          { "rcud", "rcud", "r",   "ru",   "r",    "r" } },
  { "forecasts",     { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "maintenance_blocks", { "rcud", "rcud", "r", "r",  "r",    "r" } },
  { "qc_results",    { "rcud", "r",    "",    "rcud", "r",    "r" } },
  { "slots",         { "rcud", "rcud", "r",   "r",    "r",    "r" } },
  { "lanes",         { "rcud", "r",    "r",   "r",    "rcud", "r" } },
  { "slas",          { "rcud", "r",    "r",   "r",    "rcud", "r" } },
  { "shipments",     { "rcud", "r",    "r",   "r",    "rcud", "r" } },
  { "shipment_legs", { "rcud", "r",    "r",   "r",    "rcud", "r" } },
  { "orders",        { "rcud", "r",    "rcu", "r",    "ru",   "r" } },
};

static const char action_letters[] = { 'r', 'c', 'u', 'd' };

static BqUser *
make_user (BqRole              role,
           const char * const *centres)
{
  BqUser *user = bq_user_new ();

  bq_entity_set_id (user, "u1");
  user->username = g_strdup ("someone");
  user->role = role;
  user->centre_ids = g_strdupv ((char **) centres);
  return user;
}

static const Expectation *
find_expectation (const BqEntityType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (expectations); i++)
    {
      if (strcmp (expectations[i].plural, type->plural) == 0)
        return &expectations[i];
    }
  return NULL;
}

static void
test_role_table (void)
{
  const BqEntityType * const *types;
  guint n_types, n_checked = 0;

  types = bq_entity_types (&n_types);
  g_assert_cmpuint (n_types, ==, G_N_ELEMENTS (expectations));

  for (BqRole role = BQ_ROLE_ADMIN; role <= BQ_ROLE_VIEWER; role++)
    {
      g_autoptr(BqUser) user = make_user (role, NULL);

      for (guint t = 0; t < n_types; t++)
        {
          const Expectation *expectation = find_expectation (types[t]);

          if (expectation == NULL)
            g_error ("no expectation for %s", types[t]->plural);

          for (BqAction action = BQ_ACTION_READ; action <= BQ_ACTION_DELETE; action++)
            {
              gboolean expected = strchr (expectation->by_role[role],
                                          action_letters[action]) != NULL;
              gboolean allowed = bq_policy_allows (user, action, types[t]);

              if (expected != allowed)
                g_error ("role %d, %s, action %c: expected %s", role, types[t]->plural,
                         action_letters[action], expected ? "allowed" : "refused");
              n_checked++;
            }
        }
    }
  g_assert_cmpuint (n_checked, ==, 6 * 16 * 4);
}

static void
test_disabled_user (void)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (BqRole role = BQ_ROLE_ADMIN; role <= BQ_ROLE_VIEWER; role++)
    {
      g_autoptr(BqUser) user = make_user (role, (const char *[]) { "c1", NULL });
      g_autoptr(BqOrder) order = bq_order_new ();
      g_autoptr(BqRun) run = bq_run_new ();

      user->disabled = TRUE;
      order->centre_id = g_strdup ("c1");
      for (guint t = 0; t < n_types; t++)
        {
          for (BqAction action = BQ_ACTION_READ; action <= BQ_ACTION_DELETE; action++)
            g_assert_false (bq_policy_allows (user, action, types[t]));
        }
      g_assert_false (bq_policy_can_see (user, order, NULL));
      g_assert_false (bq_policy_can_see (user, run, NULL));
      g_assert_false (bq_policy_serves_centre (user, "c1"));
    }
}

static void
test_scoped_types (void)
{
  const BqEntityType * const *types;
  guint n_types;

  types = bq_entity_types (&n_types);
  for (guint t = 0; t < n_types; t++)
    {
      const BqEntityType *type = types[t];
      gboolean scoped = type == &bq_order_type || type == &bq_slot_type ||
                        type == &bq_shipment_type || type == &bq_shipment_leg_type;
      const char *parent_field = "unset";

      g_assert_cmpint (bq_policy_type_is_scoped (type), ==, scoped);
      if (scoped && type != &bq_shipment_leg_type)
        {
          g_assert_cmpstr (bq_policy_scope_field (type), ==, "centre_id");
          g_assert_nonnull (bq_entity_type_get_field (type, "centre_id"));
        }
      else
        {
          g_assert_null (bq_policy_scope_field (type));
        }

      if (type == &bq_shipment_leg_type)
        {
          g_assert_true (bq_policy_scope_parent (type, &parent_field) == &bq_shipment_type);
          g_assert_cmpstr (parent_field, ==, "shipment_id");
          g_assert_nonnull (bq_entity_type_get_field (type, parent_field));
        }
      else
        {
          g_assert_null (bq_policy_scope_parent (type, &parent_field));
          g_assert_null (parent_field);
        }
    }
}

static void
test_account_manager_scope (void)
{
  g_autoptr(BqUser) manager = make_user (BQ_ROLE_ACCOUNT_MANAGER,
                                         (const char *[]) { "c1", "c2", NULL });
  g_autoptr(BqOrder) own_order = bq_order_new ();
  g_autoptr(BqOrder) other_order = bq_order_new ();
  g_autoptr(BqSlot) own_slot = bq_slot_new ();
  g_autoptr(BqSlot) other_slot = bq_slot_new ();
  g_autoptr(BqSlot) pool_slot = bq_slot_new ();
  g_autoptr(BqShipment) own_shipment = bq_shipment_new ();
  g_autoptr(BqShipment) other_shipment = bq_shipment_new ();
  g_autoptr(BqShipmentLeg) leg = bq_shipment_leg_new ();
  g_autoptr(BqRun) run = bq_run_new ();
  g_autoptr(BqForecast) forecast = bq_forecast_new ();

  own_order->centre_id = g_strdup ("c2");
  other_order->centre_id = g_strdup ("c3");
  own_slot->centre_id = g_strdup ("c1");
  other_slot->centre_id = g_strdup ("c3");
  pool_slot->region = g_strdup ("europe");
  own_shipment->centre_id = g_strdup ("c1");
  other_shipment->centre_id = g_strdup ("c3");
  leg->shipment_id = g_strdup ("s1");
  forecast->centre_id = g_strdup ("c3");

  g_assert_true (bq_policy_can_see (manager, own_order, NULL));
  g_assert_false (bq_policy_can_see (manager, other_order, NULL));
  /* A hint is only for legs: an order's own centre decides. */
  g_assert_false (bq_policy_can_see (manager, other_order, "c1"));

  g_assert_true (bq_policy_can_see (manager, own_slot, NULL));
  g_assert_false (bq_policy_can_see (manager, other_slot, NULL));
  g_assert_true (bq_policy_can_see (manager, pool_slot, NULL));

  g_assert_true (bq_policy_can_see (manager, own_shipment, NULL));
  g_assert_false (bq_policy_can_see (manager, other_shipment, NULL));

  g_assert_true (bq_policy_can_see (manager, leg, "c2"));
  g_assert_false (bq_policy_can_see (manager, leg, "c3"));
  g_assert_false (bq_policy_can_see (manager, leg, NULL));

  /* Reference and planning data is not scoped. */
  g_assert_true (bq_policy_can_see (manager, run, NULL));
  g_assert_true (bq_policy_can_see (manager, forecast, NULL));

  g_assert_true (bq_policy_serves_centre (manager, "c1"));
  g_assert_false (bq_policy_serves_centre (manager, "c3"));
  g_assert_false (bq_policy_serves_centre (manager, NULL));
}

static void
test_account_manager_without_centres (void)
{
  g_autoptr(BqUser) manager = make_user (BQ_ROLE_ACCOUNT_MANAGER, NULL);
  g_autoptr(BqOrder) order = bq_order_new ();
  g_autoptr(BqSlot) pool_slot = bq_slot_new ();
  g_autoptr(BqShipmentLeg) leg = bq_shipment_leg_new ();

  order->centre_id = g_strdup ("c1");
  g_assert_false (bq_policy_can_see (manager, order, NULL));
  g_assert_false (bq_policy_can_see (manager, leg, "c1"));
  g_assert_true (bq_policy_can_see (manager, pool_slot, NULL));
}

static void
test_other_roles_see_everything (void)
{
  g_autoptr(BqOrder) order = bq_order_new ();
  g_autoptr(BqShipmentLeg) leg = bq_shipment_leg_new ();

  order->centre_id = g_strdup ("c9");
  for (BqRole role = BQ_ROLE_ADMIN; role <= BQ_ROLE_VIEWER; role++)
    {
      /* Centres on a user of another role mean nothing. */
      g_autoptr(BqUser) user = make_user (role, (const char *[]) { "c1", NULL });

      if (role == BQ_ROLE_ACCOUNT_MANAGER)
        continue;
      g_assert_true (bq_policy_can_see (user, order, NULL));
      g_assert_true (bq_policy_can_see (user, leg, NULL));
      g_assert_true (bq_policy_serves_centre (user, "c9"));
    }
}

static BqOrder *
make_order (void)
{
  BqOrder *order = bq_order_new ();

  bq_entity_set_id (order, "o1");
  order->centre_id = g_strdup ("c1");
  order->product_id = g_strdup ("p1");
  order->patient_ref = g_strdup ("PT-0001");
  order->prescribed_activity_bq = 7.4e9;
  order->admin_start = 1000;
  order->admin_end = 2000;
  return order;
}

static void
test_logistics_updates_orders_in_two_fields (void)
{
  g_autoptr(BqUser) logistics = make_user (BQ_ROLE_LOGISTICS, NULL);
  g_autoptr(BqUser) manager = make_user (BQ_ROLE_ACCOUNT_MANAGER,
                                         (const char *[]) { "c1", NULL });
  g_autoptr(BqUser) planner = make_user (BQ_ROLE_PLANNER, NULL);
  g_autoptr(BqOrder) before = make_order ();
  g_autoptr(BqOrder) after = bq_entity_copy (before);
  const char *field = "unset";

  after->status = BQ_ORDER_SHIPPED;
  after->shipment_id = g_strdup ("s1");
  after->base.revision = 42;  /* the store's, never the caller's business */
  g_assert_true (bq_policy_check_update (logistics, before, after, &field));
  g_assert_null (field);

  after->admin_start = 1500;
  g_assert_false (bq_policy_check_update (logistics, before, after, &field));
  g_assert_cmpstr (field, ==, "admin_start");
  g_assert_false (bq_policy_check_update (logistics, before, after, NULL));

  /* Roles with the whole type may change any field. */
  g_assert_true (bq_policy_check_update (manager, before, after, &field));
  g_assert_null (field);

  /* A role that may not update the type at all: no field to blame. */
  field = "unset";
  g_assert_false (bq_policy_check_update (planner, before, after, &field));
  g_assert_null (field);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/policy/roles/table-matches-expectation", test_role_table);
  g_test_add_func ("/policy/roles/disabled-user-may-do-nothing", test_disabled_user);
  g_test_add_func ("/policy/scope/scoped-types", test_scoped_types);
  g_test_add_func ("/policy/scope/account-manager-sees-own-centres",
                   test_account_manager_scope);
  g_test_add_func ("/policy/scope/account-manager-without-centres-sees-pools-only",
                   test_account_manager_without_centres);
  g_test_add_func ("/policy/scope/other-roles-see-everything", test_other_roles_see_everything);
  g_test_add_func ("/policy/update/logistics-may-change-order-shipment-and-status",
                   test_logistics_updates_orders_in_two_fields);

  return g_test_run ();
}
