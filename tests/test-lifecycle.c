/* test-lifecycle.c — status transitions, frozen fields, create statuses
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-lifecycle.h"

/* The allowed changes, written out from the rules (not from
 * bq-lifecycle.c): "from>to to …".  Every pair not listed, other than
 * keeping the status, must be refused. */
typedef struct {
  const BqEntityType *type;
  const char         *allowed;
  const char         *create;   /* statuses a new entity may have */
} Expectation;

static const Expectation expectations[] = {
  { &bq_run_type,
    "planned>synthesis planned>cancelled "
    "synthesis>qc synthesis>failed synthesis>cancelled "
    "qc>released qc>failed "
    "released>shipped released>failed",
    "planned" },
  { &bq_order_type,
    "requested>confirmed requested>cancelled "
    "confirmed>shipped confirmed>cancelled confirmed>requested "
    "shipped>administered",
    "requested confirmed" },
  { &bq_slot_type,
    "open>held open>claimed open>released "
    "held>claimed held>open "
    "claimed>confirmed claimed>open "
    "confirmed>shipped confirmed>open",
    "open" },
  { &bq_shipment_type,
    "planned>in_transit planned>late planned>cancelled "
    "in_transit>delivered in_transit>late "
    "late>in_transit late>delivered late>cancelled",
    "planned" },
  { &bq_shipment_leg_type,
    "planned>departed planned>late planned>cancelled "
    "departed>arrived departed>late "
    "late>departed late>arrived late>cancelled",
    "planned" },
  { &bq_qc_result_type,
    "pending>pass pending>fail",
    "pending pass fail" },
};

static const BqField *
status_field (const BqEntityType *type)
{
  const BqField *field = bq_entity_type_get_field (type, "status");

  g_assert_nonnull (field);
  return field;
}

static gpointer
make_with_status (const BqEntityType *type,
                  int                 status)
{
  gpointer entity = bq_entity_new (type);

  bq_entity_set_id (entity, "e1");
  *(int *) BQ_FIELD_PTR (entity, status_field (type)) = status;
  return entity;
}

static gboolean
is_listed (const char *list,
           const char *item)
{
  g_auto(GStrv) items = g_strsplit (list, " ", -1);

  return g_strv_contains ((const char * const *) items, item);
}

static void
test_transitions (gconstpointer data)
{
  const Expectation *expectation = data;
  const BqField *field = status_field (expectation->type);
  guint n_allowed = 0, n_listed;
  g_auto(GStrv) listed = g_strsplit (expectation->allowed, " ", -1);

  n_listed = g_strv_length (listed);

  for (int from = 0; field->enum_nicks[from] != NULL; from++)
    {
      for (int to = 0; field->enum_nicks[to] != NULL; to++)
        {
          g_autofree char *pair = g_strdup_printf ("%s>%s", field->enum_nicks[from],
                                                   field->enum_nicks[to]);
          gpointer before = make_with_status (expectation->type, from);
          gpointer after = make_with_status (expectation->type, to);
          g_autoptr(GError) error = NULL;
          gboolean expected = from == to || is_listed (expectation->allowed, pair);
          gboolean ok = bq_lifecycle_check_update (before, after, &error);

          if (ok != expected)
            g_error ("%s %s: expected %s", expectation->type->name, pair,
                     expected ? "allowed" : "refused");
          if (ok)
            {
              g_assert_no_error (error);
              n_allowed += from != to;
            }
          else
            {
              g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
              g_assert_cmpstr (bq_model_error_get_field (error), ==, "status");
              /* The message names what was asked for. */
              g_assert_nonnull (strstr (error->message, field->enum_nicks[to]));
            }
          g_assert_cmpuint (bq_lifecycle_next_statuses (expectation->type, from) &
                            (1u << to), ==, (from != to && expected) ? (1u << to) : 0);

          bq_entity_free (before);
          bq_entity_free (after);
        }
    }
  /* Every listed pair exists (no typo in the expectation). */
  g_assert_cmpuint (n_allowed, ==, n_listed);
}

static void
test_create (gconstpointer data)
{
  const Expectation *expectation = data;
  const BqField *field = status_field (expectation->type);

  for (int status = 0; field->enum_nicks[status] != NULL; status++)
    {
      gpointer entity = make_with_status (expectation->type, status);
      g_autoptr(GError) error = NULL;
      gboolean expected = is_listed (expectation->create, field->enum_nicks[status]);

      if (bq_lifecycle_check_create (entity, &error) != expected)
        g_error ("new %s as %s: expected %s", expectation->type->name,
                 field->enum_nicks[status], expected ? "allowed" : "refused");
      if (!expected)
        {
          g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
          g_assert_cmpstr (bq_model_error_get_field (error), ==, "status");
        }
      bq_entity_free (entity);
    }
}

static void
test_messages (void)
{
  g_autoptr(BqRun) released = make_with_status (&bq_run_type, BQ_RUN_RELEASED);
  g_autoptr(BqRun) planned = make_with_status (&bq_run_type, BQ_RUN_PLANNED);
  g_autoptr(BqRun) shipped = make_with_status (&bq_run_type, BQ_RUN_SHIPPED);
  g_autoptr(BqShipment) in_transit = make_with_status (&bq_shipment_type,
                                                       BQ_SHIPMENT_IN_TRANSIT);
  g_autoptr(BqShipment) shipment_planned = make_with_status (&bq_shipment_type,
                                                             BQ_SHIPMENT_PLANNED);
  g_autoptr(BqShipmentLeg) leg_arrived = make_with_status (&bq_shipment_leg_type,
                                                           BQ_LEG_ARRIVED);
  g_autoptr(BqShipmentLeg) leg_planned = make_with_status (&bq_shipment_leg_type,
                                                           BQ_LEG_PLANNED);
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_lifecycle_check_update (released, planned, &error));
  g_assert_cmpstr (error->message, ==,
                   "status: a released run can become failed or shipped, not planned");
  g_clear_error (&error);

  g_assert_false (bq_lifecycle_check_update (shipped, planned, &error));
  g_assert_cmpstr (error->message, ==,
                   "status: a shipped run is final and cannot become planned");
  g_clear_error (&error);

  g_assert_false (bq_lifecycle_check_update (in_transit, shipment_planned, &error));
  g_assert_cmpstr (error->message, ==,
                   "status: an in_transit shipment can become delivered or late, not planned");
  g_clear_error (&error);

  g_assert_false (bq_lifecycle_check_update (leg_arrived, leg_planned, &error));
  g_assert_cmpstr (error->message, ==,
                   "status: an arrived shipment leg is final and cannot become planned");
  g_clear_error (&error);

  g_assert_false (bq_lifecycle_check_create (shipped, &error));
  g_assert_cmpstr (error->message, ==, "status: a new run must be planned, not shipped");
}

/* g_set_str() is GLib 2.76. */
static void
set_str (char       **field,
         const char  *value)
{
  g_free (*field);
  *field = g_strdup (value);
}

static BqRun *
make_run (BqRunStatus status)
{
  BqRun *run = make_with_status (&bq_run_type, status);

  run->line_id = g_strdup ("line-1");
  run->product_id = g_strdup ("product-1");
  run->batch = g_strdup ("B-1");
  run->start_time = 1000;
  run->eos_time = 2000;
  run->calibration_time = 3000;
  return run;
}

static void
test_run_frozen_fields (void)
{
  static const char * const frozen[] = { "line_id", "product_id", "start_time" };

  /* Planned: everything may move, also on the way into synthesis. */
  {
    g_autoptr(BqRun) before = make_run (BQ_RUN_PLANNED);
    g_autoptr(BqRun) after = make_run (BQ_RUN_SYNTHESIS);

    set_str (&after->line_id, "line-2");
    set_str (&after->product_id, "product-2");
    after->start_time = 1100;
    g_assert_true (bq_lifecycle_check_update (before, after, NULL));
  }

  for (BqRunStatus status = BQ_RUN_SYNTHESIS; status <= BQ_RUN_CANCELLED; status++)
    {
      for (guint i = 0; i < G_N_ELEMENTS (frozen); i++)
        {
          g_autoptr(BqRun) before = make_run (status);
          g_autoptr(BqRun) after = make_run (status);
          g_autoptr(GError) error = NULL;

          if (strcmp (frozen[i], "line_id") == 0)
            set_str (&after->line_id, "line-2");
          else if (strcmp (frozen[i], "product_id") == 0)
            set_str (&after->product_id, "product-2");
          else
            after->start_time = 1100;

          g_assert_false (bq_lifecycle_check_update (before, after, &error));
          g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
          g_assert_cmpstr (bq_model_error_get_field (error), ==, frozen[i]);
        }

      /* Other fields still may change (times as measured, the batch). */
      {
        g_autoptr(BqRun) before = make_run (status);
        g_autoptr(BqRun) after = make_run (status);

        after->eos_time = 2100;
        set_str (&after->batch, "B-2");
        g_assert_true (bq_lifecycle_check_update (before, after, NULL));
      }
    }
}

static void
test_order_patient_ref_frozen (void)
{
  for (BqOrderStatus status = BQ_ORDER_REQUESTED; status <= BQ_ORDER_CANCELLED; status++)
    {
      g_autoptr(BqOrder) before = make_with_status (&bq_order_type, status);
      g_autoptr(BqOrder) after = make_with_status (&bq_order_type, status);
      g_autoptr(GError) error = NULL;

      before->patient_ref = g_strdup ("PT-1");
      after->patient_ref = g_strdup ("PT-2");
      g_assert_false (bq_lifecycle_check_update (before, after, &error));
      g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
      g_assert_cmpstr (bq_model_error_get_field (error), ==, "patient_ref");

      set_str (&after->patient_ref, "PT-1");
      after->admin_start = 500;
      g_assert_true (bq_lifecycle_check_update (before, after, NULL));
    }
}

static void
test_qc_result_is_final (void)
{
  g_autoptr(BqQcResult) pending = make_with_status (&bq_qc_result_type, BQ_QC_PENDING);
  g_autoptr(BqQcResult) pending_measured = make_with_status (&bq_qc_result_type, BQ_QC_PENDING);
  g_autoptr(BqQcResult) pass = make_with_status (&bq_qc_result_type, BQ_QC_PASS);
  g_autoptr(BqQcResult) pass_rewritten = make_with_status (&bq_qc_result_type, BQ_QC_PASS);
  g_autoptr(GError) error = NULL;

  /* Pending: the measurement may still be filled in. */
  pending_measured->value = 0.97;
  g_assert_true (bq_lifecycle_check_update (pending, pending_measured, NULL));

  pass->value = 0.97;
  pass_rewritten->value = 0.99;
  g_assert_false (bq_lifecycle_check_update (pass, pass_rewritten, &error));
  g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, "value");
}

static void
test_types_without_status (void)
{
  g_autoptr(BqSite) before = bq_site_new ();
  g_autoptr(BqSite) after = bq_site_new ();

  after->name = g_strdup ("Elsewhere");
  g_assert_true (bq_lifecycle_check_update (before, after, NULL));
  g_assert_true (bq_lifecycle_check_create (after, NULL));
  g_assert_cmpuint (bq_lifecycle_next_statuses (&bq_site_type, 0), ==, 0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  for (guint i = 0; i < G_N_ELEMENTS (expectations); i++)
    {
      g_autofree char *transitions = g_strdup_printf ("/lifecycle/%s/transitions",
                                                      expectations[i].type->name);
      g_autofree char *create = g_strdup_printf ("/lifecycle/%s/create-status",
                                                 expectations[i].type->name);

      g_test_add_data_func (transitions, &expectations[i], test_transitions);
      g_test_add_data_func (create, &expectations[i], test_create);
    }
  g_test_add_func ("/lifecycle/errors/name-the-allowed-statuses", test_messages);
  g_test_add_func ("/lifecycle/run/line-product-and-start-frozen-after-planned",
                   test_run_frozen_fields);
  g_test_add_func ("/lifecycle/order/patient-ref-never-changes", test_order_patient_ref_frozen);
  g_test_add_func ("/lifecycle/qc_result/recorded-result-is-not-rewritten",
                   test_qc_result_is_final);
  g_test_add_func ("/lifecycle/site/no-status-no-rules", test_types_without_status);

  return g_test_run ();
}
