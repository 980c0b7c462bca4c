/* test-openapi.c — data/openapi.json against the model and the role table
 *
 * build-aux/gen-openapi.py writes the document from its own copy of the
 * field tables and of the role table.  These checks walk the real BqField
 * descriptors and ask bq_policy_allows(), so a change to the model or the
 * roles that is not carried over to the generator fails here.  Linting the
 * document as OpenAPI is build-aux/lint-openapi's job.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <json-glib/json-glib.h>

#include "bq-model.h"
#include "bq-policy.h"

/* data/openapi.json, read on first use. */
static JsonNode *document;

/* ------------------------------------------------------------ helpers */

static JsonNode *
load_document (void)
{
  g_autofree char *path = g_test_build_filename (G_TEST_DIST, "..", "data",
                                                 "openapi.json", NULL);
  g_autoptr(JsonParser) parser = json_parser_new ();
  g_autoptr(GError) error = NULL;

  if (!json_parser_load_from_file (parser, path, &error))
    g_error ("%s: %s", path, error->message);
  return json_parser_steal_root (parser);
}

static JsonObject *
root (void)
{
  if (document == NULL)
    document = load_document ();
  g_assert_true (JSON_NODE_HOLDS_OBJECT (document));
  return json_node_get_object (document);
}

/* The member @name of @object, which must be an object. */
static JsonObject *
member_object (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_OBJECT (node))
    g_error ("member %s is missing or not an object", name);
  return json_node_get_object (node);
}

static const char *
member_string (JsonObject *object,
               const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_STRING)
    return NULL;
  return json_node_get_string (node);
}

static gint64
member_int (JsonObject *object,
            const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL || !JSON_NODE_HOLDS_VALUE (node) ||
      json_node_get_value_type (node) != G_TYPE_INT64)
    g_error ("member %s is missing or not an integer", name);
  return json_node_get_int (node);
}

static gboolean
member_true (JsonObject *object,
             const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  return node != NULL && JSON_NODE_HOLDS_VALUE (node) &&
         json_node_get_value_type (node) == G_TYPE_BOOLEAN &&
         json_node_get_boolean (node);
}

/* "shipment_leg" → "ShipmentLeg", as the generator names schemas. */
static char *
camel_case (const char *name)
{
  GString *out = g_string_new (NULL);
  gboolean upper = TRUE;

  for (const char *p = name; *p != '\0'; p++)
    {
      if (*p == '_')
        {
          upper = TRUE;
          continue;
        }
      g_string_append_c (out, upper ? g_ascii_toupper (*p) : *p);
      upper = FALSE;
    }
  return g_string_free (out, FALSE);
}

static JsonObject *
schema (const char *prefix,
        const char *type_name,
        const char *suffix)
{
  g_autofree char *camel = camel_case (type_name);
  g_autofree char *name = g_strconcat (prefix, camel, suffix, NULL);
  JsonObject *schemas = member_object (member_object (root (), "components"), "schemas");

  if (!json_object_has_member (schemas, name))
    g_error ("no schema %s", name);
  return member_object (schemas, name);
}

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(char * const *) a, *(char * const *) b);
}

/* The strings of @array (nulls skipped), sorted and joined with spaces. */
static char *
array_to_sorted_text (JsonArray *array)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  for (guint i = 0; array != NULL && i < json_array_get_length (array); i++)
    {
      JsonNode *element = json_array_get_element (array, i);

      if (JSON_NODE_HOLDS_NULL (element))
        continue;
      g_assert_true (JSON_NODE_HOLDS_VALUE (element));
      g_ptr_array_add (items, (gpointer) json_node_get_string (element));
    }
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (" ", (char **) items->pdata);
}

static char *
strv_to_sorted_text (GPtrArray *strings)
{
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  for (guint i = 0; i < strings->len; i++)
    g_ptr_array_add (items, g_ptr_array_index (strings, i));
  g_ptr_array_sort (items, compare_strings);
  g_ptr_array_add (items, NULL);
  return g_strjoinv (" ", (char **) items->pdata);
}

static char *
member_names_sorted (JsonObject *object)
{
  g_autoptr(GList) names = json_object_get_members (object);
  g_autoptr(GPtrArray) items = g_ptr_array_new ();

  for (GList *l = names; l != NULL; l = l->next)
    g_ptr_array_add (items, l->data);
  return strv_to_sorted_text (items);
}

static JsonArray *
member_array_or_null (JsonObject *object,
                      const char *name)
{
  JsonNode *node = json_object_get_member (object, name);

  if (node == NULL)
    return NULL;
  g_assert_true (JSON_NODE_HOLDS_ARRAY (node));
  return json_node_get_array (node);
}

/* The target of a local "$ref", or NULL. */
static JsonNode *
resolve_ref (const char *ref)
{
  g_auto(GStrv) parts = NULL;
  JsonNode *node = document;

  if (!g_str_has_prefix (ref, "#/"))
    return NULL;
  parts = g_strsplit (ref + 2, "/", -1);
  for (guint i = 0; parts[i] != NULL; i++)
    {
      g_autoptr(GString) key = g_string_new (parts[i]);

      /* JSON pointer escapes. */
      g_string_replace (key, "~1", "/", 0);
      g_string_replace (key, "~0", "~", 0);
      if (!JSON_NODE_HOLDS_OBJECT (node) ||
          !json_object_has_member (json_node_get_object (node), key->str))
        return NULL;
      node = json_object_get_member (json_node_get_object (node), key->str);
    }
  return node;
}

static const char *
ref_of (JsonObject *object)
{
  const char *ref = member_string (object, "$ref");

  g_assert_nonnull (ref);
  return ref;
}

/* ------------------------------------------------------------ document */

static void
test_document_version (void)
{
  const char *version = member_string (root (), "openapi");
  JsonObject *info = member_object (root (), "info");

  g_assert_nonnull (version);
  g_assert_true (g_str_has_prefix (version, "3.0."));
  g_assert_cmpstr (member_string (info, "title"), ==, "Becquerel API");
  g_assert_nonnull (member_string (info, "version"));
  g_assert_cmpstr (member_string (member_object (info, "license"), "name"), ==,
                   "GPL-3.0-or-later");
  g_assert_cmpuint (json_object_get_size (member_object (root (), "paths")), >, 0);
}

static void
check_refs (JsonNode   *node,
            guint      *n_refs)
{
  if (JSON_NODE_HOLDS_OBJECT (node))
    {
      JsonObject *object = json_node_get_object (node);
      g_autoptr(GList) members = json_object_get_members (object);
      const char *ref = member_string (object, "$ref");

      if (ref != NULL)
        {
          if (resolve_ref (ref) == NULL)
            g_error ("$ref %s points nowhere", ref);
          (*n_refs)++;
        }
      for (GList *l = members; l != NULL; l = l->next)
        check_refs (json_object_get_member (object, l->data), n_refs);
    }
  else if (JSON_NODE_HOLDS_ARRAY (node))
    {
      JsonArray *array = json_node_get_array (node);

      for (guint i = 0; i < json_array_get_length (array); i++)
        check_refs (json_array_get_element (array, i), n_refs);
    }
}

static void
test_document_refs (void)
{
  guint n_refs = 0;

  root ();
  check_refs (document, &n_refs);
  g_assert_cmpuint (n_refs, >, 0);
}

/* ------------------------------------------------------------ schemas */

static gboolean
field_is_optional (const BqField *field)
{
  return (field->flags & (BQ_FIELD_REQUIRED | BQ_FIELD_SERVER)) == 0;
}

typedef enum {
  VARIANT_ENTITY,  /* responses */
  VARIANT_NEW,     /* create bodies */
  VARIANT_PATCH,   /* update bodies */
} Variant;

static void
check_property (const BqEntityType *type,
                const BqField      *field,
                JsonObject         *property,
                Variant             variant)
{
  const char *json_type = member_string (property, "type");
  const char *format = member_string (property, "format");
  gboolean nullable;

  g_test_message ("%s.%s (variant %d)", type->name, field->name, variant);

  switch (field->type)
    {
    case BQ_FIELD_STRING:
      g_assert_cmpstr (json_type, ==, "string");
      g_assert_null (format);
      break;
    case BQ_FIELD_INT:
      g_assert_cmpstr (json_type, ==, "integer");
      g_assert_cmpstr (format, ==, "int64");
      break;
    case BQ_FIELD_DOUBLE:
      g_assert_cmpstr (json_type, ==, "number");
      g_assert_cmpstr (format, ==, "double");
      break;
    case BQ_FIELD_BOOL:
      g_assert_cmpstr (json_type, ==, "boolean");
      break;
    case BQ_FIELD_TIME:
      g_assert_cmpstr (json_type, ==, "string");
      g_assert_cmpstr (format, ==, "date-time");
      break;
    case BQ_FIELD_ENUM:
      {
        g_autofree char *sorted = NULL;
        g_autofree char *actual = NULL;
        g_autoptr(GPtrArray) nicks = g_ptr_array_new ();

        for (guint i = 0; field->enum_nicks[i] != NULL; i++)
          g_ptr_array_add (nicks, (gpointer) field->enum_nicks[i]);
        sorted = strv_to_sorted_text (nicks);
        actual = array_to_sorted_text (member_array_or_null (property, "enum"));
        g_assert_cmpstr (json_type, ==, "string");
        g_assert_cmpstr (actual, ==, sorted);
        /* The C value 0 is what a create without the member gets. */
        if (variant == VARIANT_NEW && field_is_optional (field))
          g_assert_cmpstr (member_string (property, "default"), ==, field->enum_nicks[0]);
      }
      break;
    case BQ_FIELD_STRV:
      g_assert_cmpstr (json_type, ==, "array");
      g_assert_cmpstr (member_string (member_object (property, "items"), "type"), ==,
                       "string");
      break;
    default:
      g_assert_not_reached ();
    }

  /* bq_entity_to_json writes null for unset optional strings, doubles and
   * times only; in a body, null unsets any optional member. */
  if (variant == VARIANT_ENTITY)
    nullable = field_is_optional (field) &&
               (field->type == BQ_FIELD_STRING || field->type == BQ_FIELD_DOUBLE ||
                field->type == BQ_FIELD_TIME);
  else
    nullable = field_is_optional (field);
  g_assert_cmpint (member_true (property, "nullable"), ==, nullable);

  /* Ranges the type's validate() checks (latitude, weekdays) may add
   * bounds; the flags' bounds must be there. */
  if (field->flags & (BQ_FIELD_POSITIVE | BQ_FIELD_NON_NEGATIVE | BQ_FIELD_FRACTION))
    g_assert_cmpint (member_int (property, "minimum"), ==, 0);
  g_assert_cmpint (member_true (property, "exclusiveMinimum"), ==,
                   (field->flags & BQ_FIELD_POSITIVE) != 0);
  if (field->flags & BQ_FIELD_FRACTION)
    g_assert_cmpint (member_int (property, "maximum"), ==, 1);
}

static void
check_entity_schema (const BqEntityType *type,
                     JsonObject         *object,
                     Variant             variant)
{
  JsonObject *properties = member_object (object, "properties");
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autoptr(GPtrArray) required = g_ptr_array_new ();
  g_autofree char *expected_names = NULL;
  g_autofree char *actual_names = NULL;
  g_autofree char *expected_required = NULL;
  g_autofree char *actual_required = NULL;

  for (guint i = 0; i < type->n_fields; i++)
    {
      const BqField *field = &type->fields[i];

      g_ptr_array_add (names, (gpointer) field->name);
      /* Responses carry every member; a create needs the required ones
       * the server does not fill in; an update needs none. */
      if (variant == VARIANT_ENTITY ||
          (variant == VARIANT_NEW && (field->flags & BQ_FIELD_REQUIRED) &&
           !(field->flags & BQ_FIELD_SERVER)))
        g_ptr_array_add (required, (gpointer) field->name);
    }

  expected_names = strv_to_sorted_text (names);
  actual_names = member_names_sorted (properties);
  g_assert_cmpstr (actual_names, ==, expected_names);

  expected_required = strv_to_sorted_text (required);
  actual_required = array_to_sorted_text (member_array_or_null (object, "required"));
  g_assert_cmpstr (actual_required, ==, expected_required);

  /* Bodies with members the type does not have are refused. */
  if (variant != VARIANT_ENTITY)
    {
      g_assert_true (json_object_has_member (object, "additionalProperties"));
      g_assert_false (json_object_get_boolean_member (object, "additionalProperties"));
    }

  for (guint i = 0; i < type->n_fields; i++)
    check_property (type, &type->fields[i],
                    member_object (properties, type->fields[i].name), variant);
}

static void
test_entity_schemas (gconstpointer data)
{
  const BqEntityType *type = data;
  g_autofree char *camel = camel_case (type->name);
  g_autofree char *entity_ref = g_strconcat ("#/components/schemas/", camel, NULL);
  JsonObject *list;

  check_entity_schema (type, schema ("", type->name, ""), VARIANT_ENTITY);
  check_entity_schema (type, schema ("New", type->name, ""), VARIANT_NEW);
  check_entity_schema (type, schema ("", type->name, "Patch"), VARIANT_PATCH);

  list = member_object (schema ("", type->name, "List"), "properties");
  g_assert_cmpstr (ref_of (member_object (member_object (list, "items"), "items")), ==,
                   entity_ref);
}

static void
test_change_kinds (void)
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);
  g_autoptr(GPtrArray) names = g_ptr_array_new ();
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;
  JsonObject *kind = member_object (member_object (schema ("", "change", ""), "properties"),
                                    "kind");

  for (guint i = 0; i < n_types; i++)
    g_ptr_array_add (names, (gpointer) types[i]->name);
  expected = strv_to_sorted_text (names);
  actual = array_to_sorted_text (member_array_or_null (kind, "enum"));
  g_assert_cmpstr (actual, ==, expected);
}

/* ------------------------------------------------------------ paths */

static const char * const http_methods[] = {
  "get", "put", "post", "delete", "options", "head", "patch", "trace", NULL
};

static char *
methods_of (JsonObject *path_item)
{
  g_autoptr(GPtrArray) methods = g_ptr_array_new ();

  for (guint i = 0; http_methods[i] != NULL; i++)
    if (json_object_has_member (path_item, http_methods[i]))
      g_ptr_array_add (methods, (gpointer) http_methods[i]);
  return strv_to_sorted_text (methods);
}

static JsonObject *
path_item (const char *path)
{
  JsonObject *paths = member_object (root (), "paths");

  if (!json_object_has_member (paths, path))
    g_error ("no path %s", path);
  return member_object (paths, path);
}

/* The schema $ref of a JSON request body or response. */
static const char *
content_ref (JsonObject *with_content)
{
  JsonObject *media = member_object (member_object (with_content, "content"),
                                     "application/json");
  return ref_of (member_object (media, "schema"));
}

static const char *
response_ref (JsonObject *operation,
              const char *status)
{
  return content_ref (member_object (member_object (operation, "responses"), status));
}

static void
test_collection_paths (gconstpointer data)
{
  const BqEntityType *type = data;
  g_autofree char *camel = camel_case (type->name);
  g_autofree char *collection = g_strconcat ("/api/v1/", type->plural, NULL);
  g_autofree char *item = g_strconcat (collection, "/{id}", NULL);
  g_autofree char *entity_ref = g_strconcat ("#/components/schemas/", camel, NULL);
  g_autofree char *list_ref = g_strconcat (entity_ref, "List", NULL);
  g_autofree char *new_ref = g_strconcat ("#/components/schemas/New", camel, NULL);
  g_autofree char *patch_ref = g_strconcat (entity_ref, "Patch", NULL);
  g_autofree char *collection_methods = methods_of (path_item (collection));
  g_autofree char *item_methods = methods_of (path_item (item));
  JsonObject *list = member_object (path_item (collection), "get");
  JsonObject *create = member_object (path_item (collection), "post");
  JsonObject *get = member_object (path_item (item), "get");
  JsonObject *update = member_object (path_item (item), "patch");
  JsonObject *delete = member_object (path_item (item), "delete");

  g_assert_cmpstr (collection_methods, ==, "get post");
  g_assert_cmpstr (item_methods, ==, "delete get patch");

  g_assert_cmpstr (response_ref (list, "200"), ==, list_ref);
  g_assert_cmpstr (content_ref (member_object (create, "requestBody")), ==, new_ref);
  g_assert_cmpstr (response_ref (create, "201"), ==, entity_ref);
  g_assert_cmpstr (response_ref (get, "200"), ==, entity_ref);
  g_assert_cmpstr (content_ref (member_object (update, "requestBody")), ==, patch_ref);
  g_assert_cmpstr (response_ref (update, "200"), ==, entity_ref);
  g_assert_true (json_object_has_member (member_object (delete, "responses"), "204"));
}

/* Every /api/v1 path is a collection of the model or one of the fixed
 * endpoints: a type removed from the model leaves no path behind. */
static void
test_no_unknown_paths (void)
{
  static const char * const fixed[] = {
    "session", "me", "changes", "events", "audit", "openapi.json",
    "plan", "capacity", "routes", "network.geojson", NULL
  };
  JsonObject *paths = member_object (root (), "paths");
  g_autoptr(GList) names = json_object_get_members (paths);

  for (GList *l = names; l != NULL; l = l->next)
    {
      const char *path = l->data;
      g_auto(GStrv) segments = NULL;
      const BqEntityType *type;

      if (strcmp (path, "/healthz") == 0)
        continue;
      g_assert_true (g_str_has_prefix (path, "/api/v1/"));
      segments = g_strsplit (path + strlen ("/api/v1/"), "/", -1);
      if (g_strv_contains (fixed, segments[0]))
        continue;
      type = bq_entity_type_lookup (segments[0]);
      if (type == NULL || strcmp (type->plural, segments[0]) != 0)
        g_error ("%s is neither an entity collection nor a known endpoint", path);
    }
}

/* ------------------------------------------------------------ roles */

/* The roles an operation's x-roles names against bq_policy_allows(). */
static void
check_roles (const BqEntityType *type,
             JsonObject         *operation,
             BqAction            action)
{
  const BqField *role_field = bq_entity_type_get_field (&bq_user_type, "role");
  g_autoptr(GPtrArray) allowed = g_ptr_array_new ();
  g_autofree char *expected = NULL;
  g_autofree char *actual = NULL;

  for (int role = 0; role_field->enum_nicks[role] != NULL; role++)
    {
      g_autoptr(BqUser) user = bq_user_new ();

      user->role = role;
      if (bq_policy_allows (user, action, type))
        g_ptr_array_add (allowed, (gpointer) role_field->enum_nicks[role]);
    }
  expected = strv_to_sorted_text (allowed);
  actual = array_to_sorted_text (member_array_or_null (operation, "x-roles"));
  g_test_message ("%s %s", type->plural, member_string (operation, "operationId"));
  g_assert_cmpstr (actual, ==, expected);
}

static void
test_collection_roles (gconstpointer data)
{
  const BqEntityType *type = data;
  g_autofree char *collection = g_strconcat ("/api/v1/", type->plural, NULL);
  g_autofree char *item = g_strconcat (collection, "/{id}", NULL);

  check_roles (type, member_object (path_item (collection), "get"), BQ_ACTION_READ);
  check_roles (type, member_object (path_item (collection), "post"), BQ_ACTION_CREATE);
  check_roles (type, member_object (path_item (item), "get"), BQ_ACTION_READ);
  check_roles (type, member_object (path_item (item), "patch"), BQ_ACTION_UPDATE);
  check_roles (type, member_object (path_item (item), "delete"), BQ_ACTION_DELETE);
}

/* ------------------------------------------------------------ security */

static void
test_security (void)
{
  static const struct {
    const char *path;
    const char *method;
  } public_operations[] = {
    { "/api/v1/session", "post" },
    { "/healthz", "get" },
    { "/api/v1/openapi.json", "get" },
  };
  JsonArray *global = member_array_or_null (root (), "security");
  JsonObject *schemes = member_object (member_object (root (), "components"),
                                       "securitySchemes");
  JsonObject *bearer = member_object (schemes, "bearerAuth");
  JsonObject *paths = member_object (root (), "paths");
  g_autoptr(GList) names = json_object_get_members (paths);

  g_assert_cmpstr (member_string (bearer, "type"), ==, "http");
  g_assert_cmpstr (member_string (bearer, "scheme"), ==, "bearer");
  g_assert_nonnull (global);
  g_assert_cmpuint (json_array_get_length (global), ==, 1);
  g_assert_true (json_object_has_member (json_array_get_object_element (global, 0),
                                         "bearerAuth"));

  /* Exactly these operations are public: security []. */
  for (GList *l = names; l != NULL; l = l->next)
    {
      JsonObject *item = member_object (paths, l->data);

      for (guint i = 0; http_methods[i] != NULL; i++)
        {
          JsonObject *operation;
          JsonArray *security;
          gboolean expected_public = FALSE;

          if (!json_object_has_member (item, http_methods[i]))
            continue;
          operation = member_object (item, http_methods[i]);
          security = member_array_or_null (operation, "security");
          for (guint j = 0; j < G_N_ELEMENTS (public_operations); j++)
            if (strcmp (public_operations[j].path, l->data) == 0 &&
                strcmp (public_operations[j].method, http_methods[i]) == 0)
              expected_public = TRUE;

          g_test_message ("%s %s", http_methods[i], (const char *) l->data);
          g_assert_cmpint (security != NULL && json_array_get_length (security) == 0, ==,
                           expected_public);
        }
    }
}

/* ------------------------------------------------------------ main */

static void
test_document_parses (void)
{
  g_assert_nonnull (root ());
}

int
main (int   argc,
      char *argv[])
{
  guint n_types;
  const BqEntityType * const *types = bq_entity_types (&n_types);
  int status;

  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/openapi/document/parses", test_document_parses);
  g_test_add_func ("/openapi/document/version", test_document_version);
  g_test_add_func ("/openapi/document/refs-resolve", test_document_refs);
  g_test_add_func ("/openapi/document/security", test_security);
  g_test_add_func ("/openapi/document/no-unknown-paths", test_no_unknown_paths);
  g_test_add_func ("/openapi/schema/change-kinds", test_change_kinds);

  for (guint i = 0; i < n_types; i++)
    {
      g_autofree char *schema_path = g_strconcat ("/openapi/schema/", types[i]->name, NULL);
      g_autofree char *paths_path = g_strconcat ("/openapi/paths/", types[i]->plural, NULL);
      g_autofree char *roles_path = g_strconcat ("/openapi/roles/", types[i]->plural, NULL);

      g_test_add_data_func (schema_path, types[i], test_entity_schemas);
      g_test_add_data_func (paths_path, types[i], test_collection_paths);
      g_test_add_data_func (roles_path, types[i], test_collection_roles);
    }

  status = g_test_run ();
  g_clear_pointer (&document, json_node_unref);
  return status;
}
