/* test-model.c — the entity tables and the generic operations on them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-model.h"

#include "bq-test-entities.h"


/* ------------------------------------------------------------- errors */

static void
test_error_field (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GError) copy = NULL;
  g_autoptr(GError) plain = NULL;
  g_autoptr(GError) other = NULL;

  bq_model_set_error (&error, BQ_MODEL_ERROR_INVALID, "eos_time", "before %s", "start");
  g_assert_error (error, BQ_MODEL_ERROR, BQ_MODEL_ERROR_INVALID);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, "eos_time");
  g_assert_cmpstr (error->message, ==, "eos_time: before start");

  /* The field is private data of an extended domain: it survives a copy. */
  copy = g_error_copy (error);
  g_assert_cmpstr (bq_model_error_get_field (copy), ==, "eos_time");

  bq_model_set_error (&plain, BQ_MODEL_ERROR_MALFORMED, NULL, "not JSON");
  g_assert_null (bq_model_error_get_field (plain));
  g_assert_cmpstr (plain->message, ==, "not JSON");

  other = g_error_new_literal (G_FILE_ERROR, G_FILE_ERROR_NOENT, "x");
  g_assert_null (bq_model_error_get_field (other));

  /* A NULL GError ** is allowed, as everywhere in GLib. */
  bq_model_set_error (NULL, BQ_MODEL_ERROR_INVALID, "x", "ignored");
}

/* ------------------------------------------------------------- types */

static gssize
type_index (const char *name)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    if (strcmp (types[i]->name, name) == 0)
      return i;
  return -1;
}

static void
test_types_order (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  g_assert_cmpuint (n_types, ==, 16);
  for (guint i = 0; i < n_types; i++)
    {
      for (guint f = 0; f < types[i]->n_fields; f++)
        {
          const BqField *field = &types[i]->fields[f];
          gssize j;

          if (field->references == NULL)
            continue;
          j = type_index (field->references);
          g_test_message ("%s.%s → %s", types[i]->name, field->name, field->references);
          g_assert_cmpint (j, >=, 0);
          g_assert_cmpint (j, <, i);
        }
    }
}

static void
test_types_lookup (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    {
      g_assert_true (bq_entity_type_lookup (types[i]->name) == types[i]);
      g_assert_true (bq_entity_type_lookup (types[i]->plural) == types[i]);
      for (guint j = 0; j < i; j++)
        {
          g_assert_cmpstr (types[i]->name, !=, types[j]->name);
          g_assert_cmpstr (types[i]->plural, !=, types[j]->plural);
        }
    }
  g_assert_true (bq_entity_type_lookup ("run") == &bq_run_type);
  g_assert_true (bq_entity_type_lookup ("shipment_legs") == &bq_shipment_leg_type);
  g_assert_null (bq_entity_type_lookup ("Run"));
  g_assert_null (bq_entity_type_lookup ("batch"));
  g_assert_null (bq_entity_type_lookup (""));

  g_assert_true (bq_entity_type_get_field (&bq_run_type, "eos_time") ==
                 &bq_run_type.fields[6]);
  g_assert_null (bq_entity_type_get_field (&bq_run_type, "colour"));
  g_assert_null (bq_entity_type_get_field (&bq_run_type, "EOS_TIME"));
}

static gsize
field_size (BqFieldType type)
{
  switch (type)
    {
    case BQ_FIELD_STRING:
      return sizeof (char *);
    case BQ_FIELD_INT:
    case BQ_FIELD_TIME:
      return sizeof (gint64);
    case BQ_FIELD_DOUBLE:
      return sizeof (double);
    case BQ_FIELD_BOOL:
      return sizeof (gboolean);
    case BQ_FIELD_ENUM:
      return sizeof (int);
    case BQ_FIELD_STRV:
      return sizeof (char **);
    default:
      g_assert_not_reached ();
    }
  return 0;
}

static void
test_types_fields (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    {
      const BqEntityType *type = types[i];

      g_assert_cmpuint (type->n_fields, >=, 3);
      g_assert_cmpstr (type->fields[0].name, ==, "id");
      g_assert_cmpint (type->fields[0].type, ==, BQ_FIELD_STRING);
      g_assert_cmpuint (type->fields[0].offset, ==, G_STRUCT_OFFSET (BqEntity, id));
      g_assert_true (type->fields[0].flags & BQ_FIELD_SERVER);
      g_assert_cmpstr (type->fields[1].name, ==, "revision");
      g_assert_cmpint (type->fields[1].type, ==, BQ_FIELD_INT);
      g_assert_cmpuint (type->fields[1].offset, ==, G_STRUCT_OFFSET (BqEntity, revision));
      g_assert_true (type->fields[1].flags & BQ_FIELD_SERVER);

      for (guint f = 0; f < type->n_fields; f++)
        {
          const BqField *field = &type->fields[f];

          /* Server fields are never required of a client. */
          g_assert_false ((field->flags & BQ_FIELD_SERVER) &&
                          (field->flags & BQ_FIELD_REQUIRED));
          g_assert_cmpuint (field->offset + field_size (field->type), <=, type->size);
          g_assert_cmpuint (field->offset, >=, sizeof (BqEntity) * (f >= 2));
          g_assert_true ((field->type == BQ_FIELD_ENUM) == (field->enum_nicks != NULL));
          if (field->references != NULL)
            g_assert_cmpint (field->type, ==, BQ_FIELD_STRING);
          for (guint g = 0; g < f; g++)
            {
              g_assert_cmpstr (field->name, !=, type->fields[g].name);
              g_assert_cmpuint (field->offset, !=, type->fields[g].offset);
            }
        }
    }
}

static void
test_enum_nicks (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);
  const BqField *status = bq_entity_type_get_field (&bq_run_type, "status");

  for (guint i = 0; i < n_types; i++)
    for (guint f = 0; f < types[i]->n_fields; f++)
      {
        const BqField *field = &types[i]->fields[f];
        int n = 0;

        if (field->type != BQ_FIELD_ENUM)
          continue;
        for (; field->enum_nicks[n] != NULL; n++)
          {
            g_assert_cmpstr (bq_enum_to_nick (field, n), ==, field->enum_nicks[n]);
            g_assert_cmpint (bq_enum_from_nick (field, field->enum_nicks[n]), ==, n);
          }
        g_assert_cmpint (n, >, 1);
        g_assert_null (bq_enum_to_nick (field, n));
        g_assert_null (bq_enum_to_nick (field, -1));
      }

  g_assert_cmpint (bq_enum_from_nick (status, "released"), ==, BQ_RUN_RELEASED);
  g_assert_cmpint (bq_enum_from_nick (status, "Released"), ==, -1);
  g_assert_cmpint (bq_enum_from_nick (status, ""), ==, -1);
  g_assert_cmpint (bq_enum_from_nick (status, NULL), ==, -1);
}

/* -------------------------------------------------------- operations */

static void
test_new_defaults (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    {
      const BqEntityType *type = types[i];
      gpointer entity = bq_entity_new (type);

      g_assert_true (BQ_ENTITY (entity)->type == type);
      g_assert_null (bq_entity_get_id (entity));
      g_assert_cmpint (BQ_ENTITY (entity)->revision, ==, 0);

      for (guint f = 0; f < type->n_fields; f++)
        {
          const BqField *field = &type->fields[f];
          gconstpointer p = BQ_FIELD_PTR (entity, field);
          gboolean required = (field->flags & BQ_FIELD_REQUIRED) != 0;

          switch (field->type)
            {
            case BQ_FIELD_STRING:
              g_assert_null (*(char * const *) p);
              break;
            case BQ_FIELD_STRV:
              g_assert_null (*(char ** const *) p);
              break;
            case BQ_FIELD_INT:
              g_assert_cmpint (*(const gint64 *) p, ==, 0);
              break;
            case BQ_FIELD_TIME:
              g_assert_cmpint (*(const gint64 *) p, ==, required ? 0 : BQ_TIME_UNSET);
              break;
            case BQ_FIELD_DOUBLE:
              if (required)
                g_assert_cmpfloat (*(const double *) p, ==, 0.0);
              else
                g_assert_true (isnan (*(const double *) p));
              break;
            case BQ_FIELD_BOOL:
              g_assert_false (*(const gboolean *) p);
              break;
            case BQ_FIELD_ENUM:
              g_assert_cmpint (*(const int *) p, ==, 0);
              break;
            default:
              g_assert_not_reached ();
            }
        }
      bq_entity_free (entity);
    }

  {
    g_autoptr(BqQcResult) qc = bq_qc_result_new ();
    g_autoptr(BqSlot) slot = bq_slot_new ();

    g_assert_true (isnan (qc->value));
    g_assert_cmpint (slot->hold_expires, ==, BQ_TIME_UNSET);
  }
}

static void
test_free_null (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);
  g_autoptr(BqRun) run = NULL;

  bq_entity_free (NULL);
  /* Every string and list NULL: nothing to free but the struct. */
  for (guint i = 0; i < n_types; i++)
    bq_entity_free (bq_entity_new (types[i]));

  run = bq_run_new ();
  bq_entity_set_id (run, "run-1");
  bq_entity_set_id (run, run->base.id);   /* to itself: no use after free */
  g_assert_cmpstr (bq_entity_get_id (run), ==, "run-1");
  bq_entity_set_id (run, NULL);
  g_assert_null (bq_entity_get_id (run));
}

static void
test_copy_deep (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    for (int full = 0; full <= 1; full++)
      {
        const BqEntityType *type = types[i];
        gpointer entity = bq_test_make_entity (type, full);
        gpointer copy = bq_entity_copy (entity);

        g_assert_true (copy != entity);
        g_assert_true (bq_entity_equal (entity, copy));
        g_assert_true (bq_entity_equal (copy, entity));

        for (guint f = 0; f < type->n_fields; f++)
          {
            const BqField *field = &type->fields[f];

            if (field->type == BQ_FIELD_STRING)
              {
                char *a = *(char **) BQ_FIELD_PTR (entity, field);
                char *b = *(char **) BQ_FIELD_PTR (copy, field);

                g_assert_true (a == NULL || a != b);
              }
            else if (field->type == BQ_FIELD_STRV)
              {
                char **a = *(char ***) BQ_FIELD_PTR (entity, field);
                char **b = *(char ***) BQ_FIELD_PTR (copy, field);

                g_assert_true (a == NULL || a != b);
                for (guint k = 0; a != NULL && a[k] != NULL; k++)
                  g_assert_true (a[k] != b[k]);
              }
          }

        /* Freeing the original leaves the copy whole (valgrind watches). */
        bq_entity_free (entity);
        g_assert_true (bq_entity_validate (copy, NULL));
        bq_entity_free (copy);
      }
}

/* Every way a field can differ: a changed value, and set against unset. */
static guint
n_mutations (const BqField *field)
{
  switch (field->type)
    {
    case BQ_FIELD_STRING:
    case BQ_FIELD_DOUBLE:
    case BQ_FIELD_TIME:
      return 2;
    case BQ_FIELD_STRV:
      return 3;
    case BQ_FIELD_INT:
    case BQ_FIELD_BOOL:
    case BQ_FIELD_ENUM:
      return 1;
    default:
      g_assert_not_reached ();
    }
  return 0;
}

/* Applies mutation @m to @field of @entity; FALSE if it does not apply
 * (unsetting what is already unset). */
static gboolean
mutate_field (gpointer       entity,
              const BqField *field,
              guint          m)
{
  gpointer p = BQ_FIELD_PTR (entity, field);

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      {
        char **s = p;

        if (m == 1 && *s == NULL)
          return FALSE;
        if (m == 1)
          g_clear_pointer (s, g_free);
        else
          {
            char *old = *s;
            *s = g_strconcat (old ? old : "", "x", NULL);
            g_free (old);
          }
      }
      return TRUE;

    case BQ_FIELD_INT:
      *(gint64 *) p += 1;
      return TRUE;

    case BQ_FIELD_DOUBLE:
      {
        double *d = p;

        if (m == 1 && isnan (*d))
          return FALSE;
        if (m == 1)
          *d = NAN;
        else
          *d = isnan (*d) ? 1.0 : *d * 1.000001 + 0.5;
      }
      return TRUE;

    case BQ_FIELD_BOOL:
      *(gboolean *) p = !*(gboolean *) p;
      return TRUE;

    case BQ_FIELD_TIME:
      {
        gint64 *t = p;

        if (m == 1 && *t == BQ_TIME_UNSET)
          return FALSE;
        if (m == 1)
          *t = BQ_TIME_UNSET;
        else
          *t = *t == BQ_TIME_UNSET ? T0 : *t + 1;
      }
      return TRUE;

    case BQ_FIELD_ENUM:
      {
        int *e = p;
        int n = (int) g_strv_length ((char **) field->enum_nicks);

        *e = (*e + 1) % n;
      }
      return TRUE;

    case BQ_FIELD_STRV:
      {
        char ***v = p;
        guint len = *v ? g_strv_length (*v) : 0;

        if (m == 0)
          {
            /* one more entry */
            *v = g_renew (char *, *v, len + 2);
            (*v)[len] = g_strdup ("x");
            (*v)[len + 1] = NULL;
          }
        else if (m == 1)
          {
            /* the last entry changed */
            if (len == 0)
              return FALSE;
            g_free ((*v)[len - 1]);
            (*v)[len - 1] = g_strdup ("changed");
          }
        else
          {
            if (len == 0)
              return FALSE;
            g_clear_pointer (v, g_strfreev);
          }
      }
      return TRUE;

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

static void
test_equal_each_field (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);
  guint n_checked = 0;

  for (guint i = 0; i < n_types; i++)
    for (int full = 0; full <= 1; full++)
      {
        const BqEntityType *type = types[i];
        gpointer entity = bq_test_make_entity (type, full);

        for (guint f = 0; f < type->n_fields; f++)
          for (guint m = 0; m < n_mutations (&type->fields[f]); m++)
            {
              gpointer copy = bq_entity_copy (entity);

              if (mutate_field (copy, &type->fields[f], m))
                {
                  g_test_message ("%s.%s mutation %u", type->name, type->fields[f].name, m);
                  g_assert_false (bq_entity_equal (entity, copy));
                  g_assert_false (bq_entity_equal (copy, entity));
                  n_checked++;
                }
              bq_entity_free (copy);
            }
        bq_entity_free (entity);
      }
  g_assert_cmpuint (n_checked, >, 200);

  /* Different types never compare equal, even when both are empty. */
  {
    g_autoptr(BqHub) hub = bq_hub_new ();
    g_autoptr(BqLine) line = bq_line_new ();
    g_autoptr(BqUser) a = bq_test_make_entity (&bq_user_type, FALSE);
    g_autoptr(BqUser) b = bq_test_make_entity (&bq_user_type, FALSE);

    g_assert_false (bq_entity_equal (hub, line));
    /* An empty list and no list are the same value. */
    b->centre_ids = g_new0 (char *, 1);
    g_assert_true (bq_entity_equal (a, b));
    /* Booleans compare by truth, not by bit pattern. */
    a->disabled = TRUE;
    b->disabled = 2;
    g_assert_true (bq_entity_equal (a, b));
  }
}

/* ---------------------------------------------------------- validation */

static void
test_validate_samples (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);

  for (guint i = 0; i < n_types; i++)
    for (int full = 0; full <= 1; full++)
      {
        gpointer entity = bq_test_make_entity (types[i], full);
        g_autoptr(GError) error = NULL;

        g_test_message ("%s %s", types[i]->name, full ? "full" : "sparse");
        bq_entity_validate (entity, &error);
        g_assert_no_error (error);
        bq_entity_free (entity);
      }
}

#define OK (-1)
#define NONE "\x01"   /* as a value: NULL */

typedef struct {
  const char *path;
  const char *type;
  const char *field;   /* set on a valid sample… */
  const char *value;   /* …to this, read as the field's type */
  int         code;    /* OK: valid */
  const char *error_field;
  const char *message_part;
  const char *field2;  /* optionally a second field… */
  const char *value2;  /* …and its value */
} ValidateCase;

static const ValidateCase validate_cases[] = {
  { "run/negative-activity", "run", "activity_eos_bq", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "activity_eos_bq", NULL },
  { "run/zero-activity", "run", "activity_eos_bq", "0", OK, NULL, NULL },
  { "run/zero-dose-capacity", "run", "dose_capacity", "0", OK, NULL, NULL },
  { "run/negative-dose-capacity", "run", "dose_capacity", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "dose_capacity", NULL },
  { "run/infinite-activity", "run", "activity_eos_bq", "inf", BQ_MODEL_ERROR_OUT_OF_RANGE, "activity_eos_bq", NULL },
  { "run/eos-before-start", "run", "eos_time", "2026-12-01T07:00:00Z", BQ_MODEL_ERROR_INVALID, "eos_time", NULL },
  { "run/eos-at-start", "run", "eos_time", "2026-12-01T08:00:00Z", BQ_MODEL_ERROR_INVALID, "eos_time", NULL },
  { "run/calibration-before-eos", "run", "calibration_time", "2026-12-01T11:59:59Z", BQ_MODEL_ERROR_INVALID, "calibration_time", NULL },
  { "run/calibration-at-eos", "run", "calibration_time", "2026-12-01T12:00:00Z", OK, NULL, NULL },
  { "run/start-before-1970", "run", "start_time", "1969-12-31T23:00:00Z", BQ_MODEL_ERROR_OUT_OF_RANGE, "start_time", NULL },
  { "run/empty-batch", "run", "batch", "", BQ_MODEL_ERROR_MISSING_FIELD, "batch", NULL },
  { "run/no-batch", "run", "batch", NONE, BQ_MODEL_ERROR_MISSING_FIELD, "batch", NULL },
  { "run/control-character", "run", "batch", "LY2\n01", BQ_MODEL_ERROR_INVALID, "batch", NULL },
  { "run/invalid-utf8", "run", "batch", "LY2\xff", BQ_MODEL_ERROR_WRONG_TYPE, "batch", NULL },
  { "run/bad-status", "run", "status", "7", BQ_MODEL_ERROR_BAD_ENUM, "status", NULL },
  { "run/negative-revision", "run", "revision", "-1", BQ_MODEL_ERROR_OUT_OF_RANGE, "revision", NULL },
  { "order/admin-end-before-start", "order", "admin_end", "2026-12-02T13:00:00Z", BQ_MODEL_ERROR_INVALID, "admin_end", NULL },
  { "order/patient-name", "order", "patient_ref", "Jane Doe", BQ_MODEL_ERROR_INVALID, "patient_ref", NULL },
  { "order/patient-name-no-space", "order", "patient_ref", "JaneDoe", BQ_MODEL_ERROR_INVALID, "patient_ref", NULL },
  { "order/patient-pseudonym", "order", "patient_ref", "PT-00042", OK, NULL, NULL },
  { "order/zero-activity", "order", "prescribed_activity_bq", "0", BQ_MODEL_ERROR_OUT_OF_RANGE, "prescribed_activity_bq", NULL },
  { "order/empty-reference", "order", "slot_id", "", BQ_MODEL_ERROR_INVALID, "slot_id", NULL },
  { "site/bad-timezone", "site", "timezone", "Mars/Olympus", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "site/timezone-path", "site", "timezone", "/usr/share/zoneinfo/Europe/Berlin", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "site/timezone-dotdot", "site", "timezone", "Europe/../Europe/Berlin", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "site/timezone-posix-rule", "site", "timezone", "CET-1CEST,M3.5.0,M10.5.0/3", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "site/timezone-abbreviation", "site", "timezone", "CET", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "site/timezone-utc", "site", "timezone", "UTC", OK, NULL, NULL },
  { "site/timezone-deep", "site", "timezone", "America/Argentina/Buenos_Aires", OK, NULL, NULL },
  { "site/latitude-91", "site", "latitude", "91", BQ_MODEL_ERROR_OUT_OF_RANGE, "latitude", NULL },
  { "site/latitude-90", "site", "latitude", "-90", OK, NULL, NULL },
  { "centre/longitude-181", "centre", "longitude", "-181", BQ_MODEL_ERROR_OUT_OF_RANGE, "longitude", NULL },
  { "hub/bad-timezone", "hub", "timezone", "Mars/Olympus", BQ_MODEL_ERROR_INVALID, "timezone", NULL },
  { "product/tolerance-1.5", "product", "tolerance", "1.5", BQ_MODEL_ERROR_OUT_OF_RANGE, "tolerance", NULL },
  { "product/tolerance-negative", "product", "tolerance", "-0.1", BQ_MODEL_ERROR_OUT_OF_RANGE, "tolerance", NULL },
  { "product/zero-shelf-life", "product", "shelf_life_s", "0", BQ_MODEL_ERROR_OUT_OF_RANGE, "shelf_life_s", NULL },
  { "product/nuclide-not-canonical", "product", "nuclide", "Lu177", BQ_MODEL_ERROR_INVALID, "nuclide", "Lu-177" },
  { "product/nuclide-unknown", "product", "nuclide", "Xx-1", BQ_MODEL_ERROR_INVALID, "nuclide", NULL },
  { "product/nuclide-metastable", "product", "nuclide", "Lu-177m", OK, NULL, NULL },
  { "forecast/not-monday", "forecast", "week_start", "2026-12-01T00:00:00Z", BQ_MODEL_ERROR_INVALID, "week_start", NULL },
  { "forecast/monday-not-midnight", "forecast", "week_start", "2026-11-30T08:00:00Z", BQ_MODEL_ERROR_INVALID, "week_start", NULL },
  { "forecast/negative-doses", "forecast", "doses", "-3", BQ_MODEL_ERROR_OUT_OF_RANGE, "doses", NULL },
  { "slot/claimed-over-capacity", "slot", "claimed", "5", BQ_MODEL_ERROR_INVALID, "claimed", NULL },
  { "slot/claimed-at-capacity", "slot", "claimed", "4", OK, NULL, NULL },
  { "slot/zero-capacity", "slot", "capacity", "0", BQ_MODEL_ERROR_OUT_OF_RANGE, "capacity", NULL },
  { "slot/no-centre-no-region", "slot", "region", NONE, BQ_MODEL_ERROR_MISSING_FIELD, "centre_id", NULL, "centre_id", NONE },
  { "slot/pool", "slot", "centre_id", NONE, OK, NULL, NULL },
  { "slot/held-without-expiry", "slot", "hold_expires", NONE, BQ_MODEL_ERROR_MISSING_FIELD, "hold_expires", NULL },
  { "lane/origin-is-destination", "lane", "destination_id", "hub-ams", BQ_MODEL_ERROR_INVALID, "destination_id", NULL },
  { "lane/weekdays-200", "lane", "weekdays", "200", BQ_MODEL_ERROR_OUT_OF_RANGE, "weekdays", NULL },
  { "lane/weekdays-127", "lane", "weekdays", "127", OK, NULL, NULL },
  { "lane/departure-1440", "lane", "departure_local", "1440", BQ_MODEL_ERROR_OUT_OF_RANGE, "departure_local", NULL },
  { "lane/valid-to-before-from", "lane", "valid_to", "2026-11-29T00:00:00Z", BQ_MODEL_ERROR_INVALID, "valid_to", NULL },
  { "shipment/arrives-before-departure", "shipment", "planned_arrival", "2026-12-01T13:00:00Z", BQ_MODEL_ERROR_INVALID, "planned_arrival", NULL },
  { "shipment-leg/actual-arrives-before-departure", "shipment_leg", "actual_arrival", "2026-12-01T14:00:00Z", BQ_MODEL_ERROR_INVALID, "actual_arrival", NULL },
  { "user/upper-case", "user", "username", "A.Smith", BQ_MODEL_ERROR_INVALID, "username", NULL },
  { "user/space", "user", "username", "a smith", BQ_MODEL_ERROR_INVALID, "username", NULL },
  { "user/empty-centre-id", "user", "centre_ids", "centre-1,", BQ_MODEL_ERROR_INVALID, "centre_ids", NULL },
  { "qc-result/no-recorded-at", "qc_result", "recorded_at", NONE, BQ_MODEL_ERROR_MISSING_FIELD, "recorded_at", NULL },
};

/* Sets @field from @value written as text: numbers in C syntax, times in
 * ISO 8601, enums by nick (or number), lists comma-separated. */
static void
set_field (gpointer       entity,
           const BqField *field,
           const char    *value)
{
  gpointer p = BQ_FIELD_PTR (entity, field);
  gboolean none = strcmp (value, NONE) == 0;

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      g_free (*(char **) p);
      *(char **) p = none ? NULL : g_strdup (value);
      break;
    case BQ_FIELD_INT:
      *(gint64 *) p = g_ascii_strtoll (value, NULL, 10);
      break;
    case BQ_FIELD_DOUBLE:
      *(double *) p = none ? NAN : g_ascii_strtod (value, NULL);
      break;
    case BQ_FIELD_BOOL:
      *(gboolean *) p = strcmp (value, "true") == 0;
      break;
    case BQ_FIELD_TIME:
      if (none)
        *(gint64 *) p = BQ_TIME_UNSET;
      else
        {
          g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601 (value, NULL);
          g_assert_nonnull (dt);
          *(gint64 *) p = g_date_time_to_unix (dt);
        }
      break;
    case BQ_FIELD_ENUM:
      {
        int v = bq_enum_from_nick (field, value);
        *(int *) p = v >= 0 ? v : (int) g_ascii_strtoll (value, NULL, 10);
      }
      break;
    case BQ_FIELD_STRV:
      g_strfreev (*(char ***) p);
      *(char ***) p = none ? NULL : g_strsplit (value, ",", -1);
      break;
    default:
      g_assert_not_reached ();
    }
}

static void
test_validate_case (gconstpointer data)
{
  const ValidateCase *c = data;
  const BqEntityType *type = bq_entity_type_lookup (c->type);
  const BqField *field;
  gpointer entity;
  g_autoptr(GError) error = NULL;
  gboolean ok;

  g_assert_nonnull (type);
  field = bq_entity_type_get_field (type, c->field);
  g_assert_nonnull (field);

  entity = bq_test_make_entity (type, TRUE);
  set_field (entity, field, c->value);
  if (c->field2 != NULL)
    set_field (entity, bq_entity_type_get_field (type, c->field2), c->value2);
  ok = bq_entity_validate (entity, &error);
  bq_entity_free (entity);

  if (c->code == OK)
    {
      g_assert_no_error (error);
      g_assert_true (ok);
      return;
    }

  g_assert_false (ok);
  g_assert_error (error, BQ_MODEL_ERROR, c->code);
  g_assert_cmpstr (bq_model_error_get_field (error), ==, c->error_field);
  g_test_message ("%s", error->message);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_assert_true (g_str_has_prefix (error->message, c->error_field));
  if (c->message_part != NULL)
    g_assert_nonnull (strstr (error->message, c->message_part));
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/model/error/field", test_error_field);
  g_test_add_func ("/model/types/order", test_types_order);
  g_test_add_func ("/model/types/lookup", test_types_lookup);
  g_test_add_func ("/model/types/fields", test_types_fields);
  g_test_add_func ("/model/enum/nicks", test_enum_nicks);
  g_test_add_func ("/model/new/defaults", test_new_defaults);
  g_test_add_func ("/model/free/null", test_free_null);
  g_test_add_func ("/model/copy/deep", test_copy_deep);
  g_test_add_func ("/model/equal/each-field", test_equal_each_field);
  g_test_add_func ("/model/validate/samples", test_validate_samples);

  for (guint i = 0; i < G_N_ELEMENTS (validate_cases); i++)
    {
      g_autofree char *path = g_strconcat ("/model/validate/", validate_cases[i].path, NULL);
      g_test_add_data_func (path, &validate_cases[i], test_validate_case);
    }

  return g_test_run ();
}
