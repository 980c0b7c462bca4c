/* test-order-list.c — the orders model tells views exactly what changed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "bq-order-list.h"

/* 2026-12-01T08:00:00Z */
#define T0 G_GINT64_CONSTANT (1796112000)

typedef struct {
  guint position;
  guint removed;
  guint added;
} Change;

typedef struct {
  char        *dir;
  BqStore     *store;
  BqOrderList *list;
  GArray      *changes;   /* Change */
  GPtrArray   *shadow;    /* what a view that applied every change holds */
} Fixture;

static void
on_items_changed (GListModel *model,
                  guint       position,
                  guint       removed,
                  guint       added,
                  Fixture    *fixture)
{
  Change change = { position, removed, added };

  g_array_append_val (fixture->changes, change);
  g_assert_cmpuint (position + removed, <=, fixture->shadow->len);
  g_ptr_array_remove_range (fixture->shadow, position, removed);
  for (guint i = 0; i < added; i++)
    g_ptr_array_insert (fixture->shadow, position + i, g_list_model_get_item (model, position + i));
}

static BqOrder *
order_new (const char *id,
           double      activity)
{
  BqOrder *order = bq_order_new ();

  bq_entity_set_id (order, id);
  order->centre_id = g_strdup ("centre-1");
  order->product_id = g_strdup ("product-1");
  order->patient_ref = g_strdup_printf ("PT-%s", id);
  order->prescribed_activity_bq = activity;
  order->admin_start = T0;
  order->admin_end = T0 + 7200;
  order->status = BQ_ORDER_REQUESTED;
  return order;
}

static void
put (Fixture  *fixture,
     gpointer  entity)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bq_store_put (fixture->store, entity, &error));
  g_assert_no_error (error);
}

static void
fixture_set_up (Fixture       *fixture,
                gconstpointer  data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  g_autoptr(BqCentre) centre = bq_centre_new ();
  g_autoptr(BqProduct) product = bq_product_new ();

  fixture->dir = g_dir_make_tmp ("bq-order-list-XXXXXX", &error);
  g_assert_no_error (error);
  /* A file, so the list reads it on a worker thread as the app does. */
  path = g_build_filename (fixture->dir, "cache.db", NULL);
  fixture->store = bq_store_open (path, &error);
  g_assert_no_error (error);

  bq_entity_set_id (centre, "centre-1");
  centre->name = g_strdup ("Leiden University Medical Centre");
  centre->city = g_strdup ("Leiden");
  centre->country = g_strdup ("NL");
  centre->region = g_strdup ("europe");
  centre->timezone = g_strdup ("Europe/Amsterdam");
  centre->latitude = 52.17;
  centre->longitude = 4.48;
  put (fixture, centre);

  bq_entity_set_id (product, "product-1");
  product->name = g_strdup ("Lu-177 PSMA");
  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->tolerance = 0.1;
  product->concentration_bq_per_ml = 1e9;
  product->shelf_life_s = 120 * 3600;
  product->synthesis_duration_s = 3 * 3600;
  product->qc_duration_s = 2 * 3600;
  put (fixture, product);

  for (guint i = 1; i <= 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("o-%02u", i);
      g_autoptr(BqOrder) order = order_new (id, 7.4e9);

      put (fixture, order);
    }

  fixture->changes = g_array_new (FALSE, FALSE, sizeof (Change));
  fixture->shadow = g_ptr_array_new_with_free_func (g_object_unref);
  fixture->list = bq_order_list_new_for_store (fixture->store);
  g_signal_connect (fixture->list, "items-changed", G_CALLBACK (on_items_changed), fixture);
}

static void
fixture_tear_down (Fixture       *fixture,
                   gconstpointer  data)
{
  g_autofree char *path = g_strdup (bq_store_get_path (fixture->store));
  const char *suffixes[] = { "", "-wal", "-shm" };

  g_clear_object (&fixture->list);
  g_clear_object (&fixture->store);
  g_array_unref (fixture->changes);
  g_ptr_array_unref (fixture->shadow);
  for (guint i = 0; i < G_N_ELEMENTS (suffixes); i++)
    {
      g_autofree char *file = g_strconcat (path, suffixes[i], NULL);

      g_unlink (file);
    }
  g_rmdir (fixture->dir);
  g_free (fixture->dir);
}

static gboolean
on_timeout (gpointer user_data)
{
  g_error ("the list did not finish loading");
  return G_SOURCE_REMOVE;
}

/* Reloads and waits for it, with the recorded changes cleared first. */
static void
reload (Fixture *fixture)
{
  guint timeout = g_timeout_add_seconds (30, on_timeout, NULL);

  g_array_set_size (fixture->changes, 0);
  bq_order_list_reload (fixture->list);
  g_assert_true (bq_order_list_get_loading (fixture->list));
  while (bq_order_list_get_loading (fixture->list))
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (timeout);
  g_assert_true (bq_order_list_get_loaded (fixture->list));
}

static void
assert_changes (Fixture      *fixture,
                const Change *expected,
                guint         n_expected)
{
  GListModel *model = G_LIST_MODEL (fixture->list);

  g_assert_cmpuint (fixture->changes->len, ==, n_expected);
  for (guint i = 0; i < n_expected; i++)
    {
      Change *change = &g_array_index (fixture->changes, Change, i);

      g_assert_cmpuint (change->position, ==, expected[i].position);
      g_assert_cmpuint (change->removed, ==, expected[i].removed);
      g_assert_cmpuint (change->added, ==, expected[i].added);
    }

  /* A view that applied the changes holds what the model holds. */
  g_assert_cmpuint (fixture->shadow->len, ==, g_list_model_get_n_items (model));
  for (guint i = 0; i < fixture->shadow->len; i++)
    {
      g_autoptr(BqOrderItem) item = g_list_model_get_item (model, i);

      g_assert_true (item == g_ptr_array_index (fixture->shadow, i));
    }
}

static void
test_first_load (Fixture       *fixture,
                 gconstpointer  data)
{
  static const Change expected[] = { { 0, 0, 10 } };
  g_autoptr(BqOrderItem) first = NULL;

  g_assert_false (bq_order_list_get_loaded (fixture->list));
  reload (fixture);
  assert_changes (fixture, expected, G_N_ELEMENTS (expected));

  first = g_list_model_get_item (G_LIST_MODEL (fixture->list), 0);
  g_assert_cmpstr (bq_order_item_get_id (first), ==, "o-01");
  g_assert_cmpstr (bq_order_item_get_centre_name (first), ==, "Leiden University Medical Centre");
  g_assert_cmpstr (bq_order_item_get_centre_place (first), ==, "Leiden, NL");
  g_assert_cmpstr (bq_order_item_get_product_name (first), ==, "Lu-177 PSMA");
  g_assert_cmpstr (g_time_zone_get_identifier (bq_order_item_get_time_zone (first)), ==,
                   "Europe/Amsterdam");
  g_assert_true (bq_order_list_lookup (fixture->list, "o-01") == first);
}

static void
test_nothing_changed (Fixture       *fixture,
                      gconstpointer  data)
{
  reload (fixture);
  reload (fixture);
  assert_changes (fixture, NULL, 0);
}

static void
on_revision_notify (GObject    *object,
                    GParamSpec *pspec,
                    guint      *count)
{
  (*count)++;
}

static void
test_exact_ranges (Fixture       *fixture,
                   gconstpointer  data)
{
  /* o-00 before everything; o-03 updated; o-05 gone and o-050 in its
   * place; o-11 at the end. */
  static const Change expected[] = {
    { 0, 0, 1 },
    { 3, 1, 1 },
    { 5, 1, 1 },
    { 11, 0, 1 },
  };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqOrderItem) third = NULL;
  g_autoptr(BqOrderItem) seventh = NULL;
  g_autoptr(BqOrder) updated = NULL;
  g_autoptr(BqOrder) first = order_new ("o-00", 7.4e9);
  g_autoptr(BqOrder) between = order_new ("o-050", 7.4e9);
  g_autoptr(BqOrder) last = order_new ("o-11", 7.4e9);
  guint notified = 0;

  reload (fixture);
  third = g_object_ref (bq_order_list_lookup (fixture->list, "o-03"));
  seventh = g_object_ref (bq_order_list_lookup (fixture->list, "o-07"));
  g_signal_connect (third, "notify::revision", G_CALLBACK (on_revision_notify), &notified);

  updated = bq_store_get (fixture->store, &bq_order_type, "o-03", &error);
  g_assert_no_error (error);
  updated->prescribed_activity_bq = 5.55e9;
  put (fixture, updated);
  g_assert_true (bq_store_delete (fixture->store, &bq_order_type, "o-05", &error));
  g_assert_no_error (error);
  put (fixture, first);
  put (fixture, between);
  put (fixture, last);

  reload (fixture);
  assert_changes (fixture, expected, G_N_ELEMENTS (expected));

  /* Updated in place (and said so), untouched ones left alone. */
  g_assert_true (bq_order_list_lookup (fixture->list, "o-03") == third);
  g_assert_cmpfloat (bq_order_item_get_prescribed_activity (third), ==, 5.55e9);
  g_assert_cmpuint (notified, ==, 1);
  g_assert_true (bq_order_list_lookup (fixture->list, "o-07") == seventh);
  g_assert_null (bq_order_list_lookup (fixture->list, "o-05"));
  g_assert_nonnull (bq_order_list_lookup (fixture->list, "o-050"));
}

static void
test_centre_renamed (Fixture       *fixture,
                     gconstpointer  data)
{
  static const Change expected[] = { { 0, 10, 10 } };
  g_autoptr(GError) error = NULL;
  g_autoptr(BqCentre) centre = NULL;
  g_autoptr(BqOrderItem) item = NULL;

  reload (fixture);
  centre = bq_store_get (fixture->store, &bq_centre_type, "centre-1", &error);
  g_assert_no_error (error);
  g_free (centre->name);
  centre->name = g_strdup ("LUMC");
  put (fixture, centre);

  reload (fixture);
  assert_changes (fixture, expected, G_N_ELEMENTS (expected));
  item = g_list_model_get_item (G_LIST_MODEL (fixture->list), 4);
  g_assert_cmpstr (bq_order_item_get_centre_name (item), ==, "LUMC");
}

static void
test_emptied (Fixture       *fixture,
              gconstpointer  data)
{
  static const Change expected[] = { { 0, 10, 0 } };
  g_autoptr(GError) error = NULL;

  reload (fixture);
  for (guint i = 1; i <= 10; i++)
    {
      g_autofree char *id = g_strdup_printf ("o-%02u", i);

      g_assert_true (bq_store_delete (fixture->store, &bq_order_type, id, &error));
      g_assert_no_error (error);
    }
  reload (fixture);
  assert_changes (fixture, expected, G_N_ELEMENTS (expected));
}

static void
test_search_words (void)
{
  g_autoptr(BqOrderItem) item = bq_order_item_new (order_new ("o-1", 7.4e9), NULL, NULL);
  const char *match[] = { "pt-o", "requested", NULL };
  const char *no_match[] = { "pt-o", "shipped", NULL };

  g_assert_true (bq_order_item_matches (item, match));
  g_assert_false (bq_order_item_matches (item, no_match));
  g_assert_true (bq_order_item_matches (item, NULL));
  /* Without the centre in the cache, its id stands in for the name. */
  g_assert_cmpstr (bq_order_item_get_centre_name (item), ==, "centre-1");
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add ("/app/order-list/first-load", Fixture, NULL,
              fixture_set_up, test_first_load, fixture_tear_down);
  g_test_add ("/app/order-list/nothing-changed", Fixture, NULL,
              fixture_set_up, test_nothing_changed, fixture_tear_down);
  g_test_add ("/app/order-list/exact-ranges", Fixture, NULL,
              fixture_set_up, test_exact_ranges, fixture_tear_down);
  g_test_add ("/app/order-list/centre-renamed", Fixture, NULL,
              fixture_set_up, test_centre_renamed, fixture_tear_down);
  g_test_add ("/app/order-list/emptied", Fixture, NULL,
              fixture_set_up, test_emptied, fixture_tear_down);
  g_test_add_func ("/app/order-list/search-words", test_search_words);

  return g_test_run ();
}
