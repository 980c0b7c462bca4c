/* bq-lifecycle.c — which status changes are allowed
 *
 * Each type with a status has a table: for every status, the set of
 * statuses it may become (a bit per enum value), the statuses it may be
 * created in, and the fields frozen once it has left its first states.
 * Keeping an unchanged status is always allowed; types without a status
 * field have no lifecycle.
 *
 * Decisions worth knowing:
 *  - orders may be created requested or confirmed (a sponsor's system may
 *    import an order it has already confirmed with the centre); never
 *    shipped, administered or cancelled.
 *  - shipments and legs may go late before departing (a delayed pick-up).
 *  - a qc result, once pass or fail, is final in every field: a retest is
 *    a new result.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-lifecycle.h"

#define S(x) (1u << (x))

typedef struct {
  const BqEntityType *type;
  guint               next[8];       /* indexed by status: allowed next statuses */
  guint               create;        /* statuses an entity may be created in */
  guint               frozen_from;   /* statuses in which the fields below are frozen */
  const char * const *frozen;        /* NULL-terminated field names */
} Lifecycle;

static const char * const run_frozen[] = { "line_id", "product_id", "start_time", NULL };
static const char * const order_frozen[] = { "patient_ref", NULL };
static const char * const qc_frozen[] = { "run_id", "test", "value", "unit", "recorded_at", NULL };

static const Lifecycle lifecycles[] = {
  {
    &bq_run_type,
    {
      [BQ_RUN_PLANNED] = S (BQ_RUN_SYNTHESIS) | S (BQ_RUN_CANCELLED),
      [BQ_RUN_SYNTHESIS] = S (BQ_RUN_QC) | S (BQ_RUN_FAILED) | S (BQ_RUN_CANCELLED),
      [BQ_RUN_QC] = S (BQ_RUN_RELEASED) | S (BQ_RUN_FAILED),
      [BQ_RUN_RELEASED] = S (BQ_RUN_SHIPPED) | S (BQ_RUN_FAILED),
      [BQ_RUN_FAILED] = 0,
      [BQ_RUN_SHIPPED] = 0,
      [BQ_RUN_CANCELLED] = 0,
    },
    S (BQ_RUN_PLANNED),
    /* Once synthesis has started the run is physically on its line. */
    ~S (BQ_RUN_PLANNED),
    run_frozen,
  },
  {
    &bq_order_type,
    {
      [BQ_ORDER_REQUESTED] = S (BQ_ORDER_CONFIRMED) | S (BQ_ORDER_CANCELLED),
      /* Back to requested: a reschedule. */
      [BQ_ORDER_CONFIRMED] = S (BQ_ORDER_SHIPPED) | S (BQ_ORDER_CANCELLED) |
                             S (BQ_ORDER_REQUESTED),
      [BQ_ORDER_SHIPPED] = S (BQ_ORDER_ADMINISTERED),
      [BQ_ORDER_ADMINISTERED] = 0,
      [BQ_ORDER_CANCELLED] = 0,
    },
    S (BQ_ORDER_REQUESTED) | S (BQ_ORDER_CONFIRMED),
    /* The patient a dose is for never changes: a new order instead. */
    ~0u,
    order_frozen,
  },
  {
    &bq_slot_type,
    {
      [BQ_SLOT_OPEN] = S (BQ_SLOT_HELD) | S (BQ_SLOT_CLAIMED) | S (BQ_SLOT_RELEASED),
      [BQ_SLOT_HELD] = S (BQ_SLOT_CLAIMED) | S (BQ_SLOT_OPEN),
      [BQ_SLOT_CLAIMED] = S (BQ_SLOT_CONFIRMED) | S (BQ_SLOT_OPEN),
      [BQ_SLOT_CONFIRMED] = S (BQ_SLOT_SHIPPED) | S (BQ_SLOT_OPEN),
      [BQ_SLOT_SHIPPED] = 0,
      [BQ_SLOT_RELEASED] = 0,
    },
    S (BQ_SLOT_OPEN),
    0,
    NULL,
  },
  {
    &bq_shipment_type,
    {
      [BQ_SHIPMENT_PLANNED] = S (BQ_SHIPMENT_IN_TRANSIT) | S (BQ_SHIPMENT_LATE) |
                              S (BQ_SHIPMENT_CANCELLED),
      [BQ_SHIPMENT_IN_TRANSIT] = S (BQ_SHIPMENT_DELIVERED) | S (BQ_SHIPMENT_LATE),
      [BQ_SHIPMENT_LATE] = S (BQ_SHIPMENT_IN_TRANSIT) | S (BQ_SHIPMENT_DELIVERED) |
                           S (BQ_SHIPMENT_CANCELLED),
      [BQ_SHIPMENT_DELIVERED] = 0,
      [BQ_SHIPMENT_CANCELLED] = 0,
    },
    S (BQ_SHIPMENT_PLANNED),
    0,
    NULL,
  },
  {
    &bq_shipment_leg_type,
    {
      [BQ_LEG_PLANNED] = S (BQ_LEG_DEPARTED) | S (BQ_LEG_LATE) | S (BQ_LEG_CANCELLED),
      [BQ_LEG_DEPARTED] = S (BQ_LEG_ARRIVED) | S (BQ_LEG_LATE),
      [BQ_LEG_LATE] = S (BQ_LEG_DEPARTED) | S (BQ_LEG_ARRIVED) | S (BQ_LEG_CANCELLED),
      [BQ_LEG_ARRIVED] = 0,
      [BQ_LEG_CANCELLED] = 0,
    },
    S (BQ_LEG_PLANNED),
    0,
    NULL,
  },
  {
    &bq_qc_result_type,
    {
      [BQ_QC_PENDING] = S (BQ_QC_PASS) | S (BQ_QC_FAIL),
      [BQ_QC_PASS] = 0,
      [BQ_QC_FAIL] = 0,
    },
    /* A result may be recorded at once with its outcome. */
    S (BQ_QC_PENDING) | S (BQ_QC_PASS) | S (BQ_QC_FAIL),
    S (BQ_QC_PASS) | S (BQ_QC_FAIL),
    qc_frozen,
  },
};

static const Lifecycle *
find_lifecycle (const BqEntityType *type)
{
  for (guint i = 0; i < G_N_ELEMENTS (lifecycles); i++)
    {
      if (lifecycles[i].type == type)
        return &lifecycles[i];
    }
  return NULL;
}

static const BqField *
status_field (const BqEntityType *type)
{
  const BqField *field = bq_entity_type_get_field (type, "status");

  g_assert (field != NULL && field->type == BQ_FIELD_ENUM);
  return field;
}

static int
get_status (const BqField *field,
            gconstpointer  entity)
{
  return *(const int *) BQ_FIELD_PTR (entity, field);
}

/* "run", "shipment leg", "qc result" */
static char *
type_noun (const BqEntityType *type)
{
  char *noun = g_strdup (type->name);

  g_strdelimit (noun, "_", ' ');
  return noun;
}

static const char *
article (const char *word)
{
  return strchr ("aeiou", word[0]) != NULL ? "an" : "a";
}

/* "shipped or failed", "shipped, failed or cancelled" */
static char *
join_statuses (const BqField *field,
               guint          set)
{
  GString *text = g_string_new (NULL);
  guint n = 0, total = 0;

  for (int i = 0; field->enum_nicks[i] != NULL; i++)
    total += (set & S (i)) != 0;

  for (int i = 0; field->enum_nicks[i] != NULL; i++)
    {
      if ((set & S (i)) == 0)
        continue;
      if (n > 0)
        g_string_append (text, n == total - 1 ? " or " : ", ");
      g_string_append (text, field->enum_nicks[i]);
      n++;
    }
  return g_string_free (text, FALSE);
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
bq_lifecycle_check_update (gconstpointer   before,
                           gconstpointer   after,
                           GError        **error)
{
  const BqEntityType *type;
  const Lifecycle *lifecycle;
  const BqField *field;
  int from, to;

  g_return_val_if_fail (before != NULL, FALSE);
  g_return_val_if_fail (after != NULL, FALSE);
  g_return_val_if_fail (BQ_ENTITY (before)->type == BQ_ENTITY (after)->type, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (before)->type;
  lifecycle = find_lifecycle (type);
  if (lifecycle == NULL)
    return TRUE;

  field = status_field (type);
  from = get_status (field, before);
  to = get_status (field, after);
  g_return_val_if_fail (from >= 0 && from < (int) G_N_ELEMENTS (lifecycle->next), FALSE);
  g_return_val_if_fail (to >= 0 && to < (int) G_N_ELEMENTS (lifecycle->next), FALSE);

  /* Frozen fields first: they depend on where the entity was. */
  if (lifecycle->frozen != NULL && (lifecycle->frozen_from & S (from)) != 0)
    {
      for (guint i = 0; lifecycle->frozen[i] != NULL; i++)
        {
          const BqField *frozen = bq_entity_type_get_field (type, lifecycle->frozen[i]);
          g_autofree char *noun = NULL;

          g_assert (frozen != NULL);
          if (field_equal (frozen, before, after))
            continue;
          noun = type_noun (type);
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, frozen->name,
                              "cannot change the %s of %s %s %s",
                              frozen->name, article (field->enum_nicks[from]),
                              field->enum_nicks[from], noun);
          return FALSE;
        }
    }

  if (from != to && (lifecycle->next[from] & S (to)) == 0)
    {
      g_autofree char *noun = type_noun (type);

      if (lifecycle->next[from] == 0)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "status",
                              "%s %s %s is final and cannot become %s",
                              article (field->enum_nicks[from]), field->enum_nicks[from],
                              noun, field->enum_nicks[to]);
        }
      else
        {
          g_autofree char *allowed = join_statuses (field, lifecycle->next[from]);

          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "status",
                              "%s %s %s can become %s, not %s",
                              article (field->enum_nicks[from]), field->enum_nicks[from],
                              noun, allowed, field->enum_nicks[to]);
        }
      return FALSE;
    }

  return TRUE;
}

gboolean
bq_lifecycle_check_create (gconstpointer   entity,
                           GError        **error)
{
  const BqEntityType *type;
  const Lifecycle *lifecycle;
  const BqField *field;
  int status;

  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (entity)->type;
  lifecycle = find_lifecycle (type);
  if (lifecycle == NULL)
    return TRUE;

  field = status_field (type);
  status = get_status (field, entity);
  g_return_val_if_fail (status >= 0 && status < (int) G_N_ELEMENTS (lifecycle->next), FALSE);

  if ((lifecycle->create & S (status)) == 0)
    {
      g_autofree char *noun = type_noun (type);
      g_autofree char *allowed = join_statuses (field, lifecycle->create);

      bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, "status",
                          "a new %s must be %s, not %s",
                          noun, allowed, field->enum_nicks[status]);
      return FALSE;
    }
  return TRUE;
}

/* The statuses an entity of @type in @status may become (bitmask by enum
 * value), for screens that offer only the allowed ones. */
guint
bq_lifecycle_next_statuses (const BqEntityType *type,
                            int                 status)
{
  const Lifecycle *lifecycle;

  g_return_val_if_fail (type != NULL, 0);

  lifecycle = find_lifecycle (type);
  if (lifecycle == NULL || status < 0 || status >= (int) G_N_ELEMENTS (lifecycle->next))
    return 0;
  return lifecycle->next[status];
}
