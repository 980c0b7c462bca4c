/* bq-json.c — JSON codecs for the entities, driven by the field tables
 *
 * Nothing here knows a particular entity: every member is read and
 * written through its BqField, so a field added to a table in bq-model.c
 * is encoded, decoded and checked here without a line changed.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-json.h"
#include "bq-units.h"

/* The largest magnitude a double holds exactly as an integer (2^53). */
#define MAX_EXACT_INTEGER 9007199254740992.0

/* Entities nest two levels (an object holding arrays of strings); the
 * server's request bodies a few more.  json-glib 1.6 recurses once per
 * level and overflows the stack on a request of 100 000 "[". */
#define MAX_DEPTH 64

#define TIME_FORMAT "%Y-%m-%dT%H:%M:%SZ"
#define TIME_EXAMPLE "2026-12-01T08:00:00Z"

/* ------------------------------------------------------------- messages */

/* A short, safe rendering of a value the client sent, for messages:
 * GError messages must be UTF-8 and should not carry kilobytes. */
static char *
quote_text (const char *text)
{
  const glong max_chars = 40;

  if (!g_utf8_validate (text, -1, NULL))
    return g_strdup ("a string that is not valid UTF-8");
  if (g_utf8_strlen (text, -1) > max_chars)
    {
      const char *end = g_utf8_offset_to_pointer (text, max_chars);
      return g_strdup_printf ("“%.*s…”", (int) (end - text), text);
    }
  return g_strdup_printf ("“%s”", text);
}

/* The shortest of %.15g and %.17g that reads back as @value, so 432000.5
 * is not shown as 432000 nor 0.1 as 0.10000000000000001. */
static char *
format_double (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  g_ascii_formatd (buf, sizeof buf, "%.15g", value);
  if (g_ascii_strtod (buf, NULL) != value)
    g_ascii_formatd (buf, sizeof buf, "%.17g", value);
  return g_strdup (buf);
}

static char *
describe_node (JsonNode *node)
{
  switch (json_node_get_node_type (node))
    {
    case JSON_NODE_OBJECT:
      return g_strdup ("an object");
    case JSON_NODE_ARRAY:
      return g_strdup ("an array");
    case JSON_NODE_NULL:
      return g_strdup ("null");
    case JSON_NODE_VALUE:
      break;
    default:
      g_assert_not_reached ();
    }

  switch (json_node_get_value_type (node))
    {
    case G_TYPE_INT64:
      return g_strdup_printf ("the integer %" G_GINT64_FORMAT, json_node_get_int (node));
    case G_TYPE_DOUBLE:
      {
        g_autofree char *number = format_double (json_node_get_double (node));
        return g_strdup_printf ("the number %s", number);
      }
    case G_TYPE_BOOLEAN:
      return g_strdup (json_node_get_boolean (node) ? "true" : "false");
    case G_TYPE_STRING:
      {
        g_autofree char *quoted = quote_text (json_node_get_string (node));
        return g_strdup_printf ("the string %s", quoted);
      }
    default:
      return g_strdup (g_type_name (json_node_get_value_type (node)));
    }
}

static void
set_wrong_type (GError        **error,
                const BqField  *field,
                const char     *expected,
                JsonNode       *node)
{
  g_autofree char *got = describe_node (node);

  bq_model_set_error (error, BQ_MODEL_ERROR_WRONG_TYPE, field->name,
                      "expected %s, got %s", expected, got);
}

static gboolean
node_holds (JsonNode *node,
            GType     value_type)
{
  return JSON_NODE_HOLDS_VALUE (node) && json_node_get_value_type (node) == value_type;
}

/* ----------------------------------------------------------------- time */

static char *
format_time (gint64 value)
{
  g_autoptr(GDateTime) dt = NULL;

  if (value == BQ_TIME_UNSET)
    return NULL;
  /* NULL outside years 1–9999; such a time fails validation anyway. */
  dt = g_date_time_new_from_unix_utc (value);
  if (dt == NULL)
    return NULL;
  return g_date_time_format (dt, TIME_FORMAT);
}

/* GLib 2.74 wants seconds, which ISO 8601 lets "…T08:00Z" leave out. */
static char *
add_missing_seconds (const char *text)
{
  const char *t = strpbrk (text, "T ");

  if (t == NULL)
    return NULL;
  t++;
  if (g_ascii_isdigit (t[0]) && g_ascii_isdigit (t[1]) && t[2] == ':' &&
      g_ascii_isdigit (t[3]) && g_ascii_isdigit (t[4]) &&
      (t[5] == '\0' || t[5] == 'Z' || t[5] == '+' || t[5] == '-'))
    return g_strdup_printf ("%.*s:00%s", (int) (t + 5 - text), text, t + 5);
  return NULL;
}

/* ISO 8601 with a zone ("Z" or an offset).  A date alone is midnight UTC.
 * A time without a zone is refused rather than guessed: UTC and the
 * site's local time differ by hours, and a dose decays by the hour.
 * Fractions of a second are dropped. */
static gboolean
parse_time (const BqField *field,
            const char    *text,
            gint64        *value,
            GError       **error)
{
  g_autoptr(GDateTime) dt = NULL;
  g_autofree char *quoted = NULL;
  g_autofree char *with_seconds = add_missing_seconds (text);
  const char *iso = with_seconds != NULL ? with_seconds : text;

  if (strpbrk (iso, "Tt ") == NULL)
    {
      g_autofree char *midnight = g_strconcat (iso, "T00:00:00Z", NULL);
      dt = g_date_time_new_from_iso8601 (midnight, NULL);
    }
  else
    {
      dt = g_date_time_new_from_iso8601 (iso, NULL);
    }

  if (dt != NULL)
    {
      *value = g_date_time_to_unix (dt);
      return TRUE;
    }

  quoted = quote_text (text);
  {
    g_autoptr(GTimeZone) utc = g_time_zone_new_utc ();
    g_autoptr(GDateTime) zoneless = g_date_time_new_from_iso8601 (iso, utc);

    if (zoneless != NULL)
      {
        bq_model_set_error (error, BQ_MODEL_ERROR_WRONG_TYPE, field->name,
                            "%s has no time zone; add “Z” for UTC or an offset "
                            "such as “+01:00”", quoted);
        return FALSE;
      }
  }
  bq_model_set_error (error, BQ_MODEL_ERROR_WRONG_TYPE, field->name,
                      "expected an ISO 8601 time such as “" TIME_EXAMPLE "”, got %s",
                      quoted);
  return FALSE;
}

/* --------------------------------------------------------------- encode */

static JsonNode *
field_to_json (gconstpointer  entity,
               const BqField *field)
{
  gconstpointer p = BQ_FIELD_PTR (entity, field);
  JsonNode *node = json_node_alloc ();

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      {
        const char *value = *(char * const *) p;

        if (value != NULL)
          json_node_init_string (node, value);
        else
          json_node_init_null (node);
      }
      break;

    case BQ_FIELD_INT:
      json_node_init_int (node, *(const gint64 *) p);
      break;

    case BQ_FIELD_DOUBLE:
      {
        double value = *(const double *) p;

        /* NAN is an unset optional; JSON has no infinities either. */
        if (isfinite (value))
          json_node_init_double (node, value);
        else
          json_node_init_null (node);
      }
      break;

    case BQ_FIELD_BOOL:
      json_node_init_boolean (node, *(const gboolean *) p != FALSE);
      break;

    case BQ_FIELD_TIME:
      {
        g_autofree char *text = format_time (*(const gint64 *) p);

        if (text != NULL)
          json_node_init_string (node, text);
        else
          json_node_init_null (node);
      }
      break;

    case BQ_FIELD_ENUM:
      {
        const char *nick = bq_enum_to_nick (field, *(const int *) p);

        if (nick != NULL)
          json_node_init_string (node, nick);
        else
          json_node_init_null (node);
      }
      break;

    case BQ_FIELD_STRV:
      {
        char * const *values = *(char ** const *) p;
        JsonArray *array = json_array_new ();

        for (guint i = 0; values != NULL && values[i] != NULL; i++)
          json_array_add_string_element (array, values[i]);
        json_node_init_array (node, array);
        json_array_unref (array);
      }
      break;

    default:
      g_assert_not_reached ();
    }

  return node;
}

JsonNode *
bq_entity_to_json (gconstpointer entity)
{
  const BqEntityType *type;
  JsonObject *object;
  JsonNode *node;

  g_return_val_if_fail (entity != NULL, NULL);

  type = BQ_ENTITY (entity)->type;
  object = json_object_new ();
  for (guint i = 0; i < type->n_fields; i++)
    json_object_set_member (object, type->fields[i].name,
                            field_to_json (entity, &type->fields[i]));

  node = json_node_init_object (json_node_alloc (), object);
  json_object_unref (object);
  return node;
}

char *
bq_entity_to_json_string (gconstpointer entity,
                          gboolean      pretty)
{
  g_autoptr(JsonGenerator) generator = NULL;
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (entity != NULL, NULL);

  root = bq_entity_to_json (entity);
  generator = json_generator_new ();
  json_generator_set_pretty (generator, pretty);
  json_generator_set_root (generator, root);
  return json_generator_to_data (generator, NULL);
}

JsonNode *
bq_entity_list_to_json (GPtrArray *entities)
{
  JsonArray *array;
  JsonNode *node;

  g_return_val_if_fail (entities != NULL, NULL);

  array = json_array_sized_new (entities->len);
  for (guint i = 0; i < entities->len; i++)
    json_array_add_element (array, bq_entity_to_json (g_ptr_array_index (entities, i)));

  node = json_node_init_array (json_node_alloc (), array);
  json_array_unref (array);
  return node;
}

/* --------------------------------------------------------------- decode */

static gboolean
decode_int (const BqField *field,
            JsonNode      *node,
            gint64        *value,
            GError       **error)
{
  if (node_holds (node, G_TYPE_INT64))
    {
      *value = json_node_get_int (node);
      return TRUE;
    }

  /* 3.0 or 1e3 (as some languages write every number) is the integer it
   * names; a fraction is a mistake, and so is a magnitude a double cannot
   * hold exactly. */
  if (node_holds (node, G_TYPE_DOUBLE))
    {
      double d = json_node_get_double (node);

      if (isfinite (d) && d == floor (d))
        {
          if (fabs (d) > MAX_EXACT_INTEGER)
            {
              g_autofree char *number = format_double (d);
              bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                                  "%s is too large for an integer", number);
              return FALSE;
            }
          *value = (gint64) d;
          return TRUE;
        }
      if (isinf (d))
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_OUT_OF_RANGE, field->name,
                              "the number is too large for an integer");
          return FALSE;
        }
    }

  set_wrong_type (error, field, "an integer", node);
  return FALSE;
}

static gboolean
decode_double (const BqField *field,
               JsonNode      *node,
               double        *value,
               GError       **error)
{
  if (node_holds (node, G_TYPE_DOUBLE))
    {
      *value = json_node_get_double (node);
      return TRUE;
    }
  if (node_holds (node, G_TYPE_INT64))
    {
      *value = (double) json_node_get_int (node);
      return TRUE;
    }
  set_wrong_type (error, field, "a number", node);
  return FALSE;
}

static gboolean
decode_enum (const BqField *field,
             JsonNode      *node,
             int           *value,
             GError       **error)
{
  g_autofree char *accepted = NULL;
  g_autofree char *quoted = NULL;
  int v = -1;

  if (node_holds (node, G_TYPE_STRING))
    v = bq_enum_from_nick (field, json_node_get_string (node));
  if (v >= 0)
    {
      *value = v;
      return TRUE;
    }

  accepted = g_strjoinv (", ", (char **) field->enum_nicks);
  if (!node_holds (node, G_TYPE_STRING))
    {
      g_autofree char *expected = g_strdup_printf ("one of the strings %s", accepted);
      set_wrong_type (error, field, expected, node);
      return FALSE;
    }
  else
    {
      quoted = quote_text (json_node_get_string (node));
      bq_model_set_error (error, BQ_MODEL_ERROR_BAD_ENUM, field->name,
                          "%s is not one of %s", quoted, accepted);
      return FALSE;
    }
}

static gboolean
decode_strv (const BqField *field,
             JsonNode      *node,
             char        ***value,
             GError       **error)
{
  g_autoptr(GStrvBuilder) builder = NULL;
  JsonArray *array;
  guint length;

  if (!JSON_NODE_HOLDS_ARRAY (node))
    {
      set_wrong_type (error, field, "an array of strings", node);
      return FALSE;
    }

  array = json_node_get_array (node);
  length = json_array_get_length (array);
  builder = g_strv_builder_new ();
  for (guint i = 0; i < length; i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (!node_holds (element, G_TYPE_STRING))
        {
          g_autofree char *got = describe_node (element);
          bq_model_set_error (error, BQ_MODEL_ERROR_WRONG_TYPE, field->name,
                              "element %u: expected a string, got %s", i, got);
          return FALSE;
        }
      g_strv_builder_add (builder, json_node_get_string (element));
    }

  /* One representation for "none": NULL, as bq_entity_new leaves it. */
  *value = length > 0 ? g_strv_builder_end (builder) : NULL;
  return TRUE;
}

/* Sets one field from @node.  Null unsets an optional field: NULL for
 * strings and lists, NAN for doubles, BQ_TIME_UNSET for times, and the
 * zero value (0, FALSE, the first enum value) otherwise — what
 * bq_entity_new gives. */
static gboolean
decode_field (gpointer       entity,
              const BqField *field,
              JsonNode      *node,
              GError       **error)
{
  gpointer p = BQ_FIELD_PTR (entity, field);

  if (JSON_NODE_HOLDS_NULL (node))
    {
      if (field->flags & BQ_FIELD_REQUIRED)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, field->name,
                              "is required and cannot be null");
          return FALSE;
        }

      bq_field_reset (entity, field);
      return TRUE;
    }

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      if (!node_holds (node, G_TYPE_STRING))
        {
          set_wrong_type (error, field, "a string", node);
          return FALSE;
        }
      g_free (*(char **) p);
      *(char **) p = g_strdup (json_node_get_string (node));
      return TRUE;

    case BQ_FIELD_INT:
      return decode_int (field, node, p, error);

    case BQ_FIELD_DOUBLE:
      return decode_double (field, node, p, error);

    case BQ_FIELD_BOOL:
      if (!node_holds (node, G_TYPE_BOOLEAN))
        {
          set_wrong_type (error, field, "true or false", node);
          return FALSE;
        }
      *(gboolean *) p = json_node_get_boolean (node);
      return TRUE;

    case BQ_FIELD_TIME:
      if (!node_holds (node, G_TYPE_STRING))
        {
          set_wrong_type (error, field,
                          "an ISO 8601 time string such as “" TIME_EXAMPLE "”", node);
          return FALSE;
        }
      return parse_time (field, json_node_get_string (node), p, error);

    case BQ_FIELD_ENUM:
      return decode_enum (field, node, p, error);

    case BQ_FIELD_STRV:
      {
        char **values = NULL;

        if (!decode_strv (field, node, &values, error))
          return FALSE;
        g_strfreev (*(char ***) p);
        *(char ***) p = values;
        return TRUE;
      }

    default:
      g_assert_not_reached ();
    }
  return FALSE;
}

/* Applies every member of @object to @entity.  With @original (a PATCH)
 * nothing is required, the id may only repeat the original's, and the
 * revision is checked for type but left as it was: the server compares
 * revisions (If-Match), a body cannot move one. */
static gboolean
decode_members (gpointer       entity,
                gconstpointer  original,
                JsonObject    *object,
                BqJsonFlags    flags,
                GError       **error)
{
  const BqEntityType *type = BQ_ENTITY (entity)->type;
  g_autoptr(GList) members = json_object_get_members (object);

  /* In document order, so the first mistake a client made is the one
   * it hears about. */
  for (GList *l = members; l != NULL; l = l->next)
    {
      const char *name = l->data;
      const BqField *field = bq_entity_type_get_field (type, name);

      if (field == NULL)
        {
          g_autofree char *safe_name = NULL;
          const char *guess = NULL;

          if (flags & BQ_JSON_ALLOW_UNKNOWN)
            continue;
          safe_name = g_utf8_make_valid (name, -1);
          for (guint i = 0; i < type->n_fields && guess == NULL; i++)
            if (g_ascii_strcasecmp (type->fields[i].name, name) == 0)
              guess = type->fields[i].name;
          if (guess != NULL)
            bq_model_set_error (error, BQ_MODEL_ERROR_UNKNOWN_FIELD, safe_name,
                                "%s have no such field; did you mean “%s”?",
                                type->plural, guess);
          else
            bq_model_set_error (error, BQ_MODEL_ERROR_UNKNOWN_FIELD, safe_name,
                                "%s have no such field", type->plural);
          return FALSE;
        }

      if (!decode_field (entity, field, json_object_get_member (object, name), error))
        return FALSE;

      if (original != NULL && field->offset == G_STRUCT_OFFSET (BqEntity, id) &&
          g_strcmp0 (BQ_ENTITY (entity)->id, BQ_ENTITY (original)->id) != 0)
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_INVALID, field->name,
                              "an update cannot change the id");
          return FALSE;
        }
    }

  if (original != NULL)
    {
      BQ_ENTITY (entity)->revision = BQ_ENTITY (original)->revision;
      return TRUE;
    }

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];

      if ((field->flags & BQ_FIELD_REQUIRED) &&
          !(field->flags & BQ_FIELD_SERVER) &&
          !json_object_has_member (object, field->name))
        {
          bq_model_set_error (error, BQ_MODEL_ERROR_MISSING_FIELD, field->name,
                              "is required");
          return FALSE;
        }
    }
  return TRUE;
}

static JsonObject *
get_object (const BqEntityType *type,
            JsonNode           *node,
            GError            **error)
{
  if (!JSON_NODE_HOLDS_OBJECT (node))
    {
      g_autofree char *got = describe_node (node);
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "expected a JSON object (one of the %s), got %s",
                          type->plural, got);
      return NULL;
    }
  return json_node_get_object (node);
}

gpointer
bq_entity_from_json (const BqEntityType  *type,
                     JsonNode            *node,
                     BqJsonFlags          flags,
                     GError             **error)
{
  JsonObject *object;
  gpointer entity;

  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (node != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  object = get_object (type, node, error);
  if (object == NULL)
    return NULL;

  entity = bq_entity_new (type);
  if (!decode_members (entity, NULL, object, flags, error) ||
      !bq_entity_validate (entity, error))
    {
      bq_entity_free (entity);
      return NULL;
    }
  return entity;
}

gboolean
bq_entity_update_from_json (gpointer      entity,
                            JsonNode     *node,
                            BqJsonFlags   flags,
                            GError      **error)
{
  const BqEntityType *type;
  JsonObject *object;
  gpointer copy;
  g_autofree guint8 *old = NULL;

  g_return_val_if_fail (entity != NULL, FALSE);
  g_return_val_if_fail (node != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  type = BQ_ENTITY (entity)->type;
  object = get_object (type, node, error);
  if (object == NULL)
    return FALSE;

  copy = bq_entity_copy (entity);
  if (!decode_members (copy, entity, object, flags, error) ||
      !bq_entity_validate (copy, error))
    {
      bq_entity_free (copy);
      return FALSE;
    }

  /* Swap contents so @entity keeps its address; the copy leaves with the
   * old values. */
  old = g_memdup2 (entity, type->size);
  memcpy (entity, copy, type->size);
  memcpy (copy, old, type->size);
  bq_entity_free (copy);
  return TRUE;
}

/* ---------------------------------------------------------------- parse */

/* Whether an integer literal ("-123") fits gint64.  Shorter than 19
 * digits always does; only longer ones are worth a copy. */
static gboolean
integer_literal_fits (const char *literal,
                      gsize       length)
{
  g_autofree char *copy = NULL;
  gsize digits = length - (literal[0] == '-' ? 1 : 0);

  if (digits < 19)
    return TRUE;
  copy = g_strndup (literal, length);
  return g_ascii_string_to_signed (copy, 10, G_MININT64, G_MAXINT64, NULL, NULL);
}

static gboolean
syntax_error (GError     **error,
              const char  *text,
              gsize        length,
              gsize        at,
              const char  *what)
{
  if (at >= length)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "the JSON text ends too early: %s", what);
    }
  else if ((guchar) text[at] >= 0x20 && (guchar) text[at] < 0x7f)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "not JSON at byte %" G_GSIZE_FORMAT " (“%c”): %s", at, text[at], what);
    }
  else
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "not JSON at byte %" G_GSIZE_FORMAT ": %s", at, what);
    }
  return FALSE;
}

static inline gboolean
is_hex (char c)
{
  return g_ascii_isxdigit (c);
}

static guint
hex4 (const char *p)
{
  guint value = 0;

  for (guint k = 0; k < 4; k++)
    value = value * 16 + (guint) g_ascii_xdigit_value (p[k]);
  return value;
}

/* Scans the string starting at the quote text[*i]; leaves *i after the
 * closing quote. */
static gboolean
scan_string (const char  *text,
             gsize        length,
             gsize       *i,
             GError     **error)
{
  gsize p = *i + 1;

  while (p < length)
    {
      guchar c = (guchar) text[p];

      if (c == '"')
        {
          *i = p + 1;
          return TRUE;
        }
      if (c < 0x20)
        return syntax_error (error, text, length, p,
                             "control characters in strings must be escaped");
      if (c != '\\')
        {
          p++;
          continue;
        }
      if (p + 1 >= length)
        break;
      switch (text[p + 1])
        {
        case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
          p += 2;
          break;

        case 'u':
          {
            guint unit;

            if (length - p < 6 || !is_hex (text[p + 2]) || !is_hex (text[p + 3]) ||
                !is_hex (text[p + 4]) || !is_hex (text[p + 5]))
              return syntax_error (error, text, length, p, "“\\u” needs four hex digits");
            unit = hex4 (text + p + 2);
            if (unit == 0)
              {
                bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                                    "a string contains U+0000 (at byte %" G_GSIZE_FORMAT ")", p);
                return FALSE;
              }
            /* A lone surrogate is valid JSON text (RFC 8259 §8.2); the
             * decoder refuses the string it makes. */
            p += 6;
          }
          break;

        default:
          return syntax_error (error, text, length, p + 1, "not an escape sequence");
        }
    }
  return syntax_error (error, text, length, length, "a string is not closed");
}

/* Scans the number at text[*i] (a '-' or a digit), RFC 8259 §6: no
 * leading zeros, no bare fractions, no hex, no '+'.  *@integer says
 * whether it has neither fraction nor exponent. */
static gboolean
scan_number (const char  *text,
             gsize        length,
             gsize       *i,
             gboolean    *integer,
             GError     **error)
{
  gsize p = *i;

  *integer = TRUE;
  if (text[p] == '-')
    p++;
  if (p >= length || !g_ascii_isdigit (text[p]))
    return syntax_error (error, text, length, p, "a digit must follow “-”");
  if (text[p] == '0')
    {
      p++;
      if (p < length && g_ascii_isdigit (text[p]))
        return syntax_error (error, text, length, p, "numbers have no leading zeros");
    }
  else
    {
      while (p < length && g_ascii_isdigit (text[p]))
        p++;
    }
  if (p < length && text[p] == '.')
    {
      *integer = FALSE;
      p++;
      if (p >= length || !g_ascii_isdigit (text[p]))
        return syntax_error (error, text, length, p, "a digit must follow “.”");
      while (p < length && g_ascii_isdigit (text[p]))
        p++;
    }
  if (p < length && (text[p] == 'e' || text[p] == 'E'))
    {
      *integer = FALSE;
      p++;
      if (p < length && (text[p] == '+' || text[p] == '-'))
        p++;
      if (p >= length || !g_ascii_isdigit (text[p]))
        return syntax_error (error, text, length, p, "an exponent needs digits");
      while (p < length && g_ascii_isdigit (text[p]))
        p++;
    }
  if (p < length && (g_ascii_isalnum (text[p]) || text[p] == '.' || text[p] == '_'))
    return syntax_error (error, text, length, p, "not a number");
  *i = p;
  return TRUE;
}

typedef enum {
  EXPECT_VALUE,             /* at the top, after ':' or after ',' in an array */
  EXPECT_VALUE_OR_CLOSE,    /* after '[' */
  EXPECT_NAME,              /* after ',' in an object */
  EXPECT_NAME_OR_CLOSE,     /* after '{' */
  EXPECT_COLON,
  EXPECT_COMMA_OR_CLOSE,    /* after a value in an array or object */
  EXPECT_END,               /* after the top-level value */
} Expect;

/* json-glib 1.6 is not a strict parser, and has faults with hostile
 * text.  It accepts what RFC 8259 does not ('single quotes', comments,
 * 0x10, 05, .5, two documents in a row — leaking the first), it recurses
 * once per nesting level until the stack overflows, it wraps integer
 * literals beyond gint64 without a word (99999999999999999999 reads as
 * -1), and it ends a string at "\u0000" (so "PT-1\u0000Jane Doe" reads as
 * "PT-1").
 *
 * This pass is a complete RFC 8259 syntax check in one go over the
 * bytes, without recursion and (for ordinary text) without allocating:
 * only text it accepts reaches json-glib.  It also refuses nesting
 * deeper than MAX_DEPTH and U+0000 in strings, and
 * rewrites an integer beyond gint64 as a double ("….0") so the decoder
 * sees its real magnitude.  @text is valid UTF-8 without NUL bytes. */
static gboolean
prepare_text (const char  *text,
              gsize        length,
              GString    **rewritten,
              GError     **error)
{
  g_autoptr(GString) out = NULL;
  gboolean in_object[MAX_DEPTH + 1];  /* per level: object, or array */
  Expect expect = EXPECT_VALUE;
  gsize copied = 0;
  guint depth = 0;
  gsize i = 0;

  *rewritten = NULL;
  in_object[0] = FALSE;

  for (;;)
    {
      char c;

      while (i < length && (text[i] == ' ' || text[i] == '\t' || text[i] == '\n' ||
                            text[i] == '\r'))
        i++;
      if (i >= length)
        break;
      c = text[i];

      switch (expect)
        {
        case EXPECT_VALUE_OR_CLOSE:
          if (c == ']')
            {
              i++;
              depth--;
              expect = depth > 0 ? EXPECT_COMMA_OR_CLOSE : EXPECT_END;
              break;
            }
          G_GNUC_FALLTHROUGH;
        case EXPECT_VALUE:
          if (c == '{' || c == '[')
            {
              if (depth >= MAX_DEPTH)
                {
                  bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                                      "nested more than %d levels deep", MAX_DEPTH);
                  return FALSE;
                }
              in_object[++depth] = c == '{';
              i++;
              expect = c == '{' ? EXPECT_NAME_OR_CLOSE : EXPECT_VALUE_OR_CLOSE;
              break;
            }
          if (c == '"')
            {
              if (!scan_string (text, length, &i, error))
                return FALSE;
            }
          else if (c == '-' || g_ascii_isdigit (c))
            {
              gsize start = i;
              gboolean integer;

              if (!scan_number (text, length, &i, &integer, error))
                return FALSE;
              if (integer && !integer_literal_fits (text + start, i - start))
                {
                  if (out == NULL)
                    out = g_string_sized_new (length + 16);
                  g_string_append_len (out, text + copied, i - copied);
                  g_string_append (out, ".0");
                  copied = i;
                }
            }
          else if (length - i >= 4 && memcmp (text + i, "true", 4) == 0)
            i += 4;
          else if (length - i >= 5 && memcmp (text + i, "false", 5) == 0)
            i += 5;
          else if (length - i >= 4 && memcmp (text + i, "null", 4) == 0)
            i += 4;
          else
            return syntax_error (error, text, length, i,
                                 c == '\'' ? "strings take double quotes" :
                                 c == '/' ? "JSON has no comments" :
                                 "expected a value");
          /* "truex", "null1": a literal runs into something. */
          if (i < length && (g_ascii_isalnum (text[i]) || text[i] == '_'))
            return syntax_error (error, text, length, i, "expected a separator");
          expect = depth > 0 ? EXPECT_COMMA_OR_CLOSE : EXPECT_END;
          break;

        case EXPECT_NAME_OR_CLOSE:
          if (c == '}')
            {
              i++;
              depth--;
              expect = depth > 0 ? EXPECT_COMMA_OR_CLOSE : EXPECT_END;
              break;
            }
          G_GNUC_FALLTHROUGH;
        case EXPECT_NAME:
          if (c != '"')
            return syntax_error (error, text, length, i,
                                 "expected a member name in double quotes");
          if (!scan_string (text, length, &i, error))
            return FALSE;
          expect = EXPECT_COLON;
          break;

        case EXPECT_COLON:
          if (c != ':')
            return syntax_error (error, text, length, i, "expected “:”");
          i++;
          expect = EXPECT_VALUE;
          break;

        case EXPECT_COMMA_OR_CLOSE:
          if (c == ',')
            {
              i++;
              expect = in_object[depth] ? EXPECT_NAME : EXPECT_VALUE;
            }
          else if (c == (in_object[depth] ? '}' : ']'))
            {
              i++;
              depth--;
              expect = depth > 0 ? EXPECT_COMMA_OR_CLOSE : EXPECT_END;
            }
          else
            {
              return syntax_error (error, text, length, i,
                                   in_object[depth] ? "expected “,” or “}”" :
                                   "expected “,” or “]”");
            }
          break;

        case EXPECT_END:
        default:
          return syntax_error (error, text, length, i,
                               "more text after the JSON value");
        }
    }

  if (expect != EXPECT_END)
    {
      if (expect == EXPECT_VALUE && depth == 0)
        bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                            "the text is empty; expected JSON");
      else
        syntax_error (error, text, length, length,
                      depth > 0 && in_object[depth] ? "an object is not closed" :
                      depth > 0 ? "an array is not closed" : "expected a value");
      return FALSE;
    }

  if (out != NULL)
    g_string_append_len (out, text + copied, length - copied);
  *rewritten = g_steal_pointer (&out);
  return TRUE;
}

JsonNode *
bq_json_parse (const char  *text,
               gssize       length,
               GError     **error)
{
  g_autoptr(JsonParser) parser = NULL;
  g_autoptr(GString) rewritten = NULL;
  g_autoptr(GError) local_error = NULL;
  const char *end = NULL;
  JsonNode *root;

  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (text == NULL)
    text = "";
  if (length < 0)
    length = strlen (text);

  /* Also refuses NUL bytes within @length. */
  if (!g_utf8_validate_len (text, length, &end))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "not valid UTF-8 (at byte %" G_GSIZE_FORMAT ")",
                          (gsize) (end - text));
      return NULL;
    }

  if (!prepare_text (text, length, &rewritten, error))
    return NULL;
  if (rewritten != NULL)
    {
      text = rewritten->str;
      length = rewritten->len;
    }

  parser = json_parser_new ();
  if (!json_parser_load_from_data (parser, text, length, &local_error))
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "%s", local_error->message);
      return NULL;
    }

  root = json_parser_steal_root (parser);
  if (root == NULL)
    {
      bq_model_set_error (error, BQ_MODEL_ERROR_MALFORMED, NULL,
                          "the text is empty; expected JSON");
      return NULL;
    }
  return root;
}

gpointer
bq_entity_from_json_string (const BqEntityType  *type,
                            const char          *text,
                            gssize               length,
                            BqJsonFlags          flags,
                            GError             **error)
{
  g_autoptr(JsonNode) root = NULL;

  g_return_val_if_fail (type != NULL, NULL);
  g_return_val_if_fail (text != NULL || length == 0, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  root = bq_json_parse (text, length, error);
  if (root == NULL)
    return NULL;
  return bq_entity_from_json (type, root, flags, error);
}

/* ------------------------------------------------------- builder helpers */

void
bq_json_add_time_member (JsonBuilder *builder,
                         const char  *name,
                         gint64       t)
{
  json_builder_set_member_name (builder, name);
  if (t == BQ_TIME_UNSET)
    json_builder_add_null_value (builder);
  else
    {
      g_autofree char *text = bq_units_format_time (t);
      json_builder_add_string_value (builder, text);
    }
}

void
bq_json_add_double_member (JsonBuilder *builder,
                           const char  *name,
                           double       value)
{
  json_builder_set_member_name (builder, name);
  if (isnan (value))
    json_builder_add_null_value (builder);
  else
    json_builder_add_double_value (builder, value);
}

void
bq_json_add_string_member (JsonBuilder *builder,
                           const char  *name,
                           const char  *value)
{
  json_builder_set_member_name (builder, name);
  if (value == NULL)
    json_builder_add_null_value (builder);
  else
    json_builder_add_string_value (builder, value);
}

void
bq_json_add_int_member (JsonBuilder *builder,
                        const char  *name,
                        gint64       value)
{
  json_builder_set_member_name (builder, name);
  json_builder_add_int_value (builder, value);
}
