/* test-demo.c — the deterministic demo network
 *
 * The checks here are written against the entities, not against the
 * generator's tables: decay is computed again from ICRP-107 half-lives,
 * regions are derived from countries and zones, routes are walked lane by
 * lane.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-demo.h"

#define MINUTE G_GINT64_CONSTANT (60)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define WEEK   (7 * DAY)

/* 2025-03-17T00:00:00Z, a Monday.  The twelve weeks from it cross the
 * change to summer time in Europe (30 March), so run times in site-local
 * time are tested across a transition. */
#define START G_GINT64_CONSTANT (1742169600)
/* 2025-06-30T00:00:00Z, a Monday in summer time everywhere it applies. */
#define START_SUMMER G_GINT64_CONSTANT (1751241600)
/* What an unset "now" stands for: Tuesday of the third week, 07:00 UTC. */
#define DEFAULT_NOW_OFFSET (15 * DAY + 7 * HOUR)

/* ICRP-107 half-lives, written out here so the test does not trust the
 * library's own table. */
#define LU177_HALF_LIFE_S 574300.8   /* 6.647 d */
#define AC225_HALF_LIFE_S 864000.0   /* 10.0 d */

static void
options_for_test (BqDemoOptions *options,
                  gint64         start)
{
  options->seed = 1;
  options->start = start;
  options->weeks = 12;
  options->now = BQ_TIME_UNSET;
}

/* ----------------------------------------------------- an indexed network */

typedef struct {
  BqDemoOptions options;
  gint64        now;
  GPtrArray    *all;
  GHashTable   *by_type;   /* BqEntityType* → GPtrArray of entities (borrowed) */
  GHashTable   *by_id;     /* "type:id" → entity (borrowed) */
  GHashTable   *position;  /* entity → index in @all + 1 */
} Network;

static void
network_free (Network *net)
{
  g_clear_pointer (&net->by_type, g_hash_table_unref);
  g_clear_pointer (&net->by_id, g_hash_table_unref);
  g_clear_pointer (&net->position, g_hash_table_unref);
  g_clear_pointer (&net->all, g_ptr_array_unref);
  g_free (net);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Network, network_free)

static Network *
network_build (const BqDemoOptions *options)
{
  Network *net = g_new0 (Network, 1);

  net->options = *options;
  net->now = options->now != BQ_TIME_UNSET ? options->now
                                           : options->start + DEFAULT_NOW_OFFSET;
  net->all = bq_demo_build (options);
  g_assert_nonnull (net->all);
  net->by_type = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_ptr_array_unref);
  net->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  net->position = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < net->all->len; i++)
    {
      BqEntity *entity = g_ptr_array_index (net->all, i);
      GPtrArray *of_type = g_hash_table_lookup (net->by_type, entity->type);
      char *key;

      if (of_type == NULL)
        {
          of_type = g_ptr_array_new ();
          g_hash_table_insert (net->by_type, (gpointer) entity->type, of_type);
        }
      g_ptr_array_add (of_type, entity);

      g_assert_nonnull (entity->id);
      key = g_strdup_printf ("%s:%s", entity->type->name, entity->id);
      if (g_hash_table_contains (net->by_id, key))
        g_error ("the %s id “%s” is used twice", entity->type->name, entity->id);
      g_hash_table_insert (net->by_id, key, entity);
      g_hash_table_insert (net->position, entity, GUINT_TO_POINTER (i + 1));
    }
  return net;
}

static GPtrArray *
network_list (Network            *net,
              const BqEntityType *type)
{
  GPtrArray *list = g_hash_table_lookup (net->by_type, type);

  if (list == NULL)
    {
      list = g_ptr_array_new ();
      g_hash_table_insert (net->by_type, (gpointer) type, list);
    }
  return list;
}

static gpointer
network_get (Network            *net,
             const BqEntityType *type,
             const char         *id)
{
  g_autofree char *key = g_strdup_printf ("%s:%s", type->name, id);

  return g_hash_table_lookup (net->by_id, key);
}

static Network *
network_default (void)
{
  BqDemoOptions options;

  options_for_test (&options, START);
  return network_build (&options);
}

/* Region by country, as a planner would read the address. */
static const char *
region_of_country (const char *country)
{
  static const char * const europe[] = {
    "AT", "BE", "CH", "DE", "DK", "ES", "FI", "FR", "GB", "IE", "IT", "NL", "NO",
    "PL", "PT", "SE", NULL,
  };

  if (g_strv_contains (europe, country))
    return "europe";
  if (strcmp (country, "US") == 0 || strcmp (country, "CA") == 0)
    return "north_america";
  if (strcmp (country, "CN") == 0)
    return "china";
  return NULL;
}

static const BqSite *
site_of_run (Network     *net,
             const BqRun *run)
{
  const BqLine *line = network_get (net, &bq_line_type, run->line_id);

  g_assert_nonnull (line);
  return network_get (net, &bq_site_type, line->site_id);
}

static double
half_life_of (const BqProduct *product)
{
  if (strcmp (product->nuclide, "Lu-177") == 0)
    return LU177_HALF_LIFE_S;
  if (strcmp (product->nuclide, "Ac-225") == 0)
    return AC225_HALF_LIFE_S;
  g_assert_not_reached ();
  return 0;
}

static GDateTime *
local_date_time (gint64      t,
                 const char *timezone)
{
  g_autoptr(GTimeZone) tz = g_time_zone_new_identifier (timezone);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);

  g_assert_nonnull (tz);
  return g_date_time_to_timezone (utc, tz);
}

/* ------------------------------------------------------------- the tests */

static void
test_week_start (void)
{
  /* 2025-03-19T12:00:00Z, a Wednesday */
  g_assert_cmpint (bq_demo_week_start (G_GINT64_CONSTANT (1742385600)), ==, START);
  g_assert_cmpint (bq_demo_week_start (START), ==, START);
  /* Sunday 23:59:59 still belongs to that Monday's week */
  g_assert_cmpint (bq_demo_week_start (START + WEEK - 1), ==, START);
  g_assert_cmpint (bq_demo_week_start (START + WEEK), ==, START + WEEK);
  /* before 1970: Monday 1969-12-29 */
  g_assert_cmpint (bq_demo_week_start (-1), ==, -3 * DAY);
  g_assert_cmpint (bq_demo_week_start (0), ==, -3 * DAY);
}

static void
test_options_default (void)
{
  BqDemoOptions options;
  gint64 real_now = g_get_real_time () / G_USEC_PER_SEC;

  memset (&options, 0xaa, sizeof options);
  bq_demo_options_init_default (&options);
  g_assert_cmpuint (options.seed, ==, 1);
  g_assert_cmpuint (options.weeks, ==, 12);
  g_assert_cmpint (options.now, ==, BQ_TIME_UNSET);
  g_assert_cmpint (bq_demo_week_start (options.start), ==, options.start);
  /* the Monday of this week, two weeks back (the clock may tick over a
   * Monday between the two readings) */
  g_assert_cmpint (options.start, <=, real_now - 2 * WEEK);
  g_assert_cmpint (options.start, >, real_now - 3 * WEEK - 60);
}

static void
test_deterministic (void)
{
  BqDemoOptions options;
  g_autoptr(GPtrArray) a = NULL;
  g_autoptr(GPtrArray) b = NULL;
  g_autoptr(GPtrArray) c = NULL;
  g_autoptr(GPtrArray) d = NULL;
  gboolean differs = FALSE;

  options_for_test (&options, START);
  a = bq_demo_build (&options);
  b = bq_demo_build (&options);
  g_assert_cmpuint (a->len, ==, b->len);
  for (guint i = 0; i < a->len; i++)
    {
      if (!bq_entity_equal (g_ptr_array_index (a, i), g_ptr_array_index (b, i)))
        g_error ("entity %u (%s) differs between two builds", i,
                 bq_entity_get_id (g_ptr_array_index (a, i)));
    }

  /* An unset "now" is the third week's Tuesday, 07:00 UTC. */
  options.now = START + DEFAULT_NOW_OFFSET;
  d = bq_demo_build (&options);
  g_assert_cmpuint (a->len, ==, d->len);
  for (guint i = 0; i < a->len; i++)
    g_assert_true (bq_entity_equal (g_ptr_array_index (a, i), g_ptr_array_index (d, i)));

  options.now = BQ_TIME_UNSET;
  options.seed = 2;
  c = bq_demo_build (&options);
  if (a->len != c->len)
    differs = TRUE;
  for (guint i = 0; i < MIN (a->len, c->len) && !differs; i++)
    differs = !bq_entity_equal (g_ptr_array_index (a, i), g_ptr_array_index (c, i));
  g_assert_true (differs);
}

static void
test_counts (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *sites = network_list (net, &bq_site_type);
  GPtrArray *lines = network_list (net, &bq_line_type);
  GPtrArray *products = network_list (net, &bq_product_type);
  GPtrArray *centres = network_list (net, &bq_centre_type);
  GPtrArray *forecasts = network_list (net, &bq_forecast_type);
  g_autoptr(GHashTable) organisations = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) weeks = g_hash_table_new (g_int64_hash, g_int64_equal);
  guint europe = 0, us = 0, china = 0;
  guint per_region[3] = { 0, };
  gboolean lu = FALSE, ac = FALSE;

  g_assert_cmpuint (sites->len, ==, 4);
  for (guint i = 0; i < sites->len; i++)
    {
      const BqSite *site = g_ptr_array_index (sites, i);
      const char *region = region_of_country (site->country);
      guint n_lines = 0;

      g_hash_table_add (organisations, site->organisation);
      if (g_strcmp0 (region, "europe") == 0)
        europe++;
      else if (strcmp (site->country, "US") == 0)
        us++;
      else if (strcmp (site->country, "CN") == 0)
        china++;

      for (guint l = 0; l < lines->len; l++)
        if (strcmp (((BqLine *) g_ptr_array_index (lines, l))->site_id, site->base.id) == 0)
          n_lines++;
      g_assert_cmpuint (n_lines, >=, 2);
      g_assert_cmpuint (n_lines, <=, 3);
    }
  g_assert_cmpuint (g_hash_table_size (organisations), ==, 2);
  g_assert_cmpuint (europe, ==, 1);
  g_assert_cmpuint (us, ==, 1);
  g_assert_cmpuint (china, ==, 2);

  g_assert_cmpuint (products->len, ==, 2);
  for (guint i = 0; i < products->len; i++)
    {
      const BqProduct *product = g_ptr_array_index (products, i);

      if (strcmp (product->nuclide, "Lu-177") == 0)
        {
          lu = TRUE;
          g_assert_cmpfloat_with_epsilon (product->dose_activity_bq, 7.4e9, 1);
          g_assert_cmpfloat_with_epsilon (product->tolerance, 0.10, 1e-12);
          g_assert_cmpfloat_with_epsilon (product->concentration_bq_per_ml, 1e9, 1);
          g_assert_cmpint (product->shelf_life_s, ==, 120 * HOUR);
        }
      else if (strcmp (product->nuclide, "Ac-225") == 0)
        {
          ac = TRUE;
        }
    }
  g_assert_true (lu && ac);

  g_assert_cmpuint (centres->len, >=, 55);
  g_assert_cmpuint (centres->len, <=, 65);
  for (guint i = 0; i < centres->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, i);

      if (strcmp (centre->region, "europe") == 0)
        per_region[0]++;
      else if (strcmp (centre->region, "north_america") == 0)
        per_region[1]++;
      else if (strcmp (centre->region, "china") == 0)
        per_region[2]++;
      else
        g_error ("centre %s is in an unknown region %s", centre->base.id, centre->region);
      g_assert_cmpstr (region_of_country (centre->country), ==, centre->region);
    }
  g_assert_cmpuint (per_region[0], >=, 20);
  g_assert_cmpuint (per_region[1], >=, 15);
  g_assert_cmpuint (per_region[2], >=, 10);

  for (guint i = 0; i < forecasts->len; i++)
    {
      BqForecast *forecast = g_ptr_array_index (forecasts, i);

      g_assert_cmpint (forecast->week_start, >=, START);
      g_assert_cmpint (forecast->week_start, <, START + 12 * WEEK);
      g_assert_cmpint (bq_demo_week_start (forecast->week_start), ==, forecast->week_start);
      g_assert_cmpint (forecast->doses, >=, 0);
      g_assert_cmpint (forecast->doses, <=, 20);
      g_hash_table_add (weeks, &forecast->week_start);
    }
  g_assert_cmpuint (g_hash_table_size (weeks), ==, 12);
  /* every centre has a Lu-177 forecast every week, some an Ac-225 one */
  g_assert_cmpuint (forecasts->len, >, 12 * centres->len);
  g_assert_cmpuint (forecasts->len, <, 2 * 12 * centres->len);

  g_assert_cmpuint (network_list (net, &bq_hub_type)->len, >=, 20);
  g_assert_cmpuint (network_list (net, &bq_user_type)->len, ==, 7);
  g_assert_cmpuint (network_list (net, &bq_run_type)->len, >, 0);
  g_assert_cmpuint (network_list (net, &bq_order_type)->len, >, 0);
  g_assert_cmpuint (network_list (net, &bq_shipment_type)->len, >, 0);
  /* Every run offers its capacity as slots. */
  g_assert_cmpuint (network_list (net, &bq_slot_type)->len, >, network_list (net, &bq_run_type)->len);
}

/* Slots hold the orders that claim them: claimed counts them exactly, a
 * run offers no more than it makes, and quotas go to their own centres. */
static void
test_slots (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *slots = network_list (net, &bq_slot_type);
  GPtrArray *orders = network_list (net, &bq_order_type);
  GPtrArray *runs = network_list (net, &bq_run_type);
  g_autoptr(GHashTable) claims = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) offered = g_hash_table_new (g_str_hash, g_str_equal);
  guint quotas = 0, pools = 0, claimed = 0;

  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      if (order->status == BQ_ORDER_CANCELLED)
        continue;
      g_assert_nonnull (order->slot_id);
      g_hash_table_insert (claims, order->slot_id,
                           GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (claims, order->slot_id)) + 1));
    }
  for (guint i = 0; i < slots->len; i++)
    {
      const BqSlot *slot = g_ptr_array_index (slots, i);
      g_autoptr(GError) error = NULL;

      g_assert_true (bq_entity_validate (slot, &error));
      g_assert_cmpint (slot->claimed, ==, GPOINTER_TO_INT (g_hash_table_lookup (claims, slot->base.id)));
      g_assert_cmpint (slot->held, ==, 0);
      g_hash_table_insert (offered, slot->run_id,
                           GINT_TO_POINTER (GPOINTER_TO_INT (g_hash_table_lookup (offered, slot->run_id)) +
                                            (int) slot->capacity));
      if (slot->centre_id != NULL)
        quotas++;
      else
        pools++;
      claimed += slot->claimed;
    }
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      if (order->status == BQ_ORDER_CANCELLED)
        continue;
      for (guint k = 0; k < slots->len; k++)
        {
          const BqSlot *slot = g_ptr_array_index (slots, k);

          if (strcmp (slot->base.id, order->slot_id) != 0)
            continue;
          g_assert_cmpstr (slot->run_id, ==, order->run_id);
          if (slot->centre_id != NULL)
            g_assert_cmpstr (slot->centre_id, ==, order->centre_id);
        }
    }
  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);

      g_assert_cmpint (GPOINTER_TO_INT (g_hash_table_lookup (offered, run->base.id)), ==,
                       run->dose_capacity);
    }
  g_assert_cmpuint (quotas, >, 0);
  g_assert_cmpuint (pools, >, 0);
  g_assert_cmpuint (claimed, >, 100);
}

static void
test_valid (void)
{
  g_autoptr(Network) net = network_default ();

  for (guint i = 0; i < net->all->len; i++)
    {
      gconstpointer entity = g_ptr_array_index (net->all, i);
      g_autoptr(GError) error = NULL;

      if (!bq_entity_validate (entity, &error))
        g_error ("%s %s: %s", BQ_ENTITY (entity)->type->name,
                 bq_entity_get_id (entity), error->message);
      g_assert_cmpint (BQ_ENTITY (entity)->revision, ==, 0);
    }
}

/* Every reference resolves to an entity of the right type that comes
 * earlier in the array, so the array loads in order. */
static void
test_references (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *lanes = network_list (net, &bq_lane_type);
  GPtrArray *users = network_list (net, &bq_user_type);
  guint n_checked = 0;

  for (guint i = 0; i < net->all->len; i++)
    {
      BqEntity *entity = g_ptr_array_index (net->all, i);
      const BqEntityType *type = entity->type;

      for (guint f = 0; f < type->n_fields; f++)
        {
          const BqField *field = &type->fields[f];
          const BqEntityType *target;
          const char *value;
          gpointer referenced;

          if (field->references == NULL)
            continue;
          value = *(char **) BQ_FIELD_PTR (entity, field);
          if (value == NULL)
            continue;
          target = bq_entity_type_lookup (field->references);
          g_assert_nonnull (target);
          referenced = network_get (net, target, value);
          if (referenced == NULL)
            g_error ("%s %s: %s “%s” is not a %s", type->name, entity->id, field->name,
                     value, target->name);
          g_assert_cmpuint (GPOINTER_TO_UINT (g_hash_table_lookup (net->position, referenced)), <,
                            GPOINTER_TO_UINT (g_hash_table_lookup (net->position, entity)));
          n_checked++;
        }
    }
  g_assert_cmpuint (n_checked, >, 1000);

  /* Lanes join sites, hubs and centres. */
  for (guint i = 0; i < lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);
      const char *ends[] = { lane->origin_id, lane->destination_id };

      for (guint e = 0; e < G_N_ELEMENTS (ends); e++)
        g_assert_true (network_get (net, &bq_site_type, ends[e]) ||
                       network_get (net, &bq_hub_type, ends[e]) ||
                       network_get (net, &bq_centre_type, ends[e]));
    }

  /* Account managers serve real centres. */
  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);

      for (guint c = 0; user->centre_ids && user->centre_ids[c]; c++)
        g_assert_nonnull (network_get (net, &bq_centre_type, user->centre_ids[c]));
    }
}

static void
test_users (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *users = network_list (net, &bq_user_type);
  gboolean roles[BQ_ROLE_VIEWER + 1] = { FALSE, };
  const BqUser *am_europe = NULL, *am_na = NULL;

  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);

      roles[user->role] = TRUE;
      g_assert_false (user->disabled);
      if (strcmp (user->username, "am-europe") == 0)
        am_europe = user;
      else if (strcmp (user->username, "am-na") == 0)
        am_na = user;
      else
        g_assert_null (user->centre_ids);
    }
  for (guint r = 0; r < G_N_ELEMENTS (roles); r++)
    g_assert_true (roles[r]);

  g_assert_nonnull (am_europe);
  g_assert_nonnull (am_na);
  g_assert_cmpint (am_europe->role, ==, BQ_ROLE_ACCOUNT_MANAGER);
  g_assert_cmpint (am_na->role, ==, BQ_ROLE_ACCOUNT_MANAGER);
  g_assert_cmpuint (g_strv_length (am_europe->centre_ids), >=, 3);
  g_assert_cmpuint (g_strv_length (am_na->centre_ids), >=, 3);
  for (guint c = 0; am_europe->centre_ids[c]; c++)
    g_assert_cmpstr (((BqCentre *) network_get (net, &bq_centre_type,
                                                am_europe->centre_ids[c]))->region, ==, "europe");
  for (guint c = 0; am_na->centre_ids[c]; c++)
    g_assert_cmpstr (((BqCentre *) network_get (net, &bq_centre_type,
                                                am_na->centre_ids[c]))->region, ==, "north_america");
}

static void
test_timezones (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *centres = network_list (net, &bq_centre_type);
  GPtrArray *sites = network_list (net, &bq_site_type);
  GPtrArray *hubs = network_list (net, &bq_hub_type);

  for (guint i = 0; i < centres->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, i);
      const char *family = NULL;

      if (strcmp (centre->region, "europe") == 0)
        {
          family = "Europe/";
          g_assert_cmpfloat (centre->latitude, >, 35);
          g_assert_cmpfloat (centre->longitude, >, -11);
          g_assert_cmpfloat (centre->longitude, <, 30);
        }
      else if (strcmp (centre->region, "north_america") == 0)
        {
          family = "America/";
          g_assert_cmpfloat (centre->latitude, >, 24);
          g_assert_cmpfloat (centre->longitude, <, -60);
        }
      else if (strcmp (centre->region, "china") == 0)
        {
          family = "Asia/";
          g_assert_cmpfloat (centre->latitude, >, 18);
          g_assert_cmpfloat (centre->longitude, >, 97);
        }
      if (!g_str_has_prefix (centre->timezone, family))
        g_error ("%s is in %s but keeps time in %s", centre->base.id, centre->region,
                 centre->timezone);
    }

  /* Solar time and zone agree to within a couple of hours: catches a
   * zone from the wrong side of a continent (longitude 15° = 1 hour). */
  for (guint kind = 0; kind < 3; kind++)
    {
      GPtrArray *list = kind == 0 ? centres : kind == 1 ? sites : hubs;

      for (guint i = 0; i < list->len; i++)
        {
          gpointer place = g_ptr_array_index (list, i);
          const char *timezone;
          double longitude;
          g_autoptr(GDateTime) winter = NULL;
          double offset_h, solar_h;

          if (kind == 0)
            timezone = ((BqCentre *) place)->timezone, longitude = ((BqCentre *) place)->longitude;
          else if (kind == 1)
            timezone = ((BqSite *) place)->timezone, longitude = ((BqSite *) place)->longitude;
          else
            timezone = ((BqHub *) place)->timezone, longitude = ((BqHub *) place)->longitude;

          winter = local_date_time (START - 60 * DAY, timezone);
          offset_h = g_date_time_get_utc_offset (winter) / (double) G_TIME_SPAN_HOUR;
          solar_h = longitude / 15.0;
          /* China keeps one zone over five solar hours */
          if (fabs (offset_h - solar_h) > (g_str_has_prefix (timezone, "Asia/") ? 2.2 : 1.6))
            g_error ("%s: %s (UTC%+.0f) far from solar time at %.2f°",
                     BQ_ENTITY (place)->id, timezone, offset_h, longitude);
        }
    }
}

/* Lu-177 arrives on Mondays and Wednesdays: syntheses are on Tuesdays and
 * Thursdays, early in the site's working day, whatever the season. */
static void
check_run_days (gint64 start)
{
  BqDemoOptions options;
  g_autoptr(Network) net = NULL;
  GPtrArray *runs;
  g_autoptr(GHashTable) ac_weeks = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  guint n_lu = 0, n_ac = 0;

  options_for_test (&options, start);
  net = network_build (&options);
  runs = network_list (net, &bq_run_type);

  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      const BqSite *site = site_of_run (net, run);
      const BqProduct *product = network_get (net, &bq_product_type, run->product_id);
      g_autoptr(GDateTime) local = local_date_time (run->start_time, site->timezone);
      int weekday = g_date_time_get_day_of_week (local);
      int hour = g_date_time_get_hour (local);

      g_assert_cmpint (hour, >=, 5);
      g_assert_cmpint (hour, <=, 12);
      g_assert_cmpint (run->eos_time - run->start_time, ==, product->synthesis_duration_s);
      g_assert_cmpint (run->calibration_time, >=, run->eos_time + product->qc_duration_s);
      g_assert_cmpint (run->calibration_time, <=, run->eos_time + 48 * HOUR);
      g_assert_cmpint (run->start_time, >=, start - DAY);
      g_assert_cmpint (run->start_time, <, start + 12 * WEEK);

      if (strcmp (product->nuclide, "Lu-177") == 0)
        {
          if (weekday != 2 && weekday != 4)
            g_error ("Lu-177 run %s starts on weekday %d in %s", run->base.id, weekday,
                     site->timezone);
          n_lu++;
        }
      else
        {
          g_autofree char *key = g_strdup_printf ("%s-%" G_GINT64_FORMAT, run->line_id,
                                                  (run->start_time - start + DAY) / WEEK);

          g_assert_false (g_hash_table_contains (ac_weeks, key));
          g_hash_table_add (ac_weeks, g_steal_pointer (&key));
          n_ac++;
        }
    }
  g_assert_cmpuint (n_lu, >, 0);
  g_assert_cmpuint (n_ac, >, 0);
  g_assert_cmpuint (n_ac % 12, ==, 0);
}

static void
test_run_days (void)
{
  check_run_days (START);
  check_run_days (START_SUMMER);
}

/* What is made covers what is promised: at calibration, every run still
 * holds dose_capacity doses.  Decay is computed here from the half-life. */
static void
test_activity (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *runs = network_list (net, &bq_run_type);
  g_autoptr(GHashTable) batches = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      const BqProduct *product = network_get (net, &bq_product_type, run->product_id);
      double elapsed = (double) (run->calibration_time - run->eos_time);
      double at_calibration = run->activity_eos_bq * exp2 (-elapsed / half_life_of (product));
      double needed = run->dose_capacity * product->dose_activity_bq;

      g_assert_cmpint (run->dose_capacity, >=, 1);
      if (at_calibration < needed)
        g_error ("%s: %.4g Bq at calibration for %" G_GINT64_FORMAT " doses of %.4g Bq",
                 run->base.id, at_calibration, run->dose_capacity, product->dose_activity_bq);
      /* about 10 % overage, not a reactor's worth */
      g_assert_cmpfloat (at_calibration, <=, needed * 1.15);

      if (strcmp (product->nuclide, "Lu-177") == 0)
        {
          g_assert_cmpfloat (run->activity_eos_bq, >=, 20e9);
          g_assert_cmpfloat (run->activity_eos_bq, <=, 100e9);
          g_assert_cmpint (run->dose_capacity, >=, 4);
          g_assert_cmpint (run->dose_capacity, <=, 12);
        }

      g_assert_false (g_hash_table_contains (batches, run->batch));
      g_hash_table_add (batches, run->batch);
    }
}

/* The runs planned for a week cover that week's forecast, region by
 * region and product by product. */
static void
test_capacity (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *runs = network_list (net, &bq_run_type);
  GPtrArray *forecasts = network_list (net, &bq_forecast_type);
  g_autoptr(GHashTable) demand = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) capacity = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  GHashTableIter iter;
  gpointer key, value;

  for (guint i = 0; i < forecasts->len; i++)
    {
      const BqForecast *forecast = g_ptr_array_index (forecasts, i);
      const BqCentre *centre = network_get (net, &bq_centre_type, forecast->centre_id);
      char *k = g_strdup_printf ("%s/%s/%" G_GINT64_FORMAT, centre->region, forecast->product_id,
                                 (forecast->week_start - START) / WEEK);
      gint64 *sum = g_hash_table_lookup (demand, k);

      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (demand, k, sum);
        }
      else
        g_free (k);
      *sum += forecast->doses;
    }

  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      const BqSite *site = site_of_run (net, run);
      /* Chinese Tuesday mornings are still Monday in UTC */
      gint64 week = (run->start_time - START + DAY) / WEEK;
      char *k = g_strdup_printf ("%s/%s/%" G_GINT64_FORMAT, region_of_country (site->country),
                                 run->product_id, week);
      gint64 *sum = g_hash_table_lookup (capacity, k);

      if (sum == NULL)
        {
          sum = g_new0 (gint64, 1);
          g_hash_table_insert (capacity, k, sum);
        }
      else
        g_free (k);
      *sum += run->dose_capacity;
    }

  g_assert_cmpuint (g_hash_table_size (demand), ==, 2 * 12 * 3 - 12);  /* no Ac-225 in China */
  g_hash_table_iter_init (&iter, demand);
  while (g_hash_table_iter_next (&iter, &key, &value))
    {
      gint64 *made = g_hash_table_lookup (capacity, key);

      if (made == NULL || *made < *(gint64 *) value)
        g_error ("%s: %" G_GINT64_FORMAT " doses forecast, %" G_GINT64_FORMAT " planned",
                 (char *) key, *(gint64 *) value, made ? *made : 0);
    }
}

static void
test_statuses (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *runs = network_list (net, &bq_run_type);
  GPtrArray *results = network_list (net, &bq_qc_result_type);
  g_autoptr(GHashTable) fails = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) tested = g_hash_table_new (g_str_hash, g_str_equal);
  guint n_failed = 0, n_under_way = 0, n_shipped = 0, n_released = 0, n_planned = 0;
  guint n_pending_sterility = 0, n_passed_sterility = 0;

  for (guint i = 0; i < results->len; i++)
    {
      const BqQcResult *result = g_ptr_array_index (results, i);
      const BqRun *run = network_get (net, &bq_run_type, result->run_id);

      g_hash_table_add (tested, result->run_id);
      if (result->status == BQ_QC_FAIL)
        g_hash_table_add (fails, result->run_id);
      if (result->status == BQ_QC_PENDING)
        g_assert_true (isnan (result->value));
      else
        {
          g_assert_cmpint (result->recorded_at, <=, net->now);
          g_assert_cmpint (result->recorded_at, >=, run->eos_time);
        }
      if (strcmp (result->test, "radiochemical_purity") == 0 && result->status != BQ_QC_PENDING)
        {
          g_assert_cmpstr (result->unit, ==, "%");
          g_assert_true ((result->status == BQ_QC_PASS) == (result->value >= 95.0));
        }
      if (strcmp (result->test, "sterility") == 0)
        {
          /* 14 days' incubation: pending for the doses of the last two weeks */
          if (result->status == BQ_QC_PENDING)
            {
              g_assert_cmpint (run->eos_time + 14 * DAY, >, net->now);
              n_pending_sterility++;
            }
          else
            {
              g_assert_cmpint (result->status, ==, BQ_QC_PASS);
              n_passed_sterility++;
            }
        }
    }
  g_assert_cmpuint (n_pending_sterility, >, 0);
  g_assert_cmpuint (n_passed_sterility, >, 0);

  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);
      const BqProduct *product = network_get (net, &bq_product_type, run->product_id);
      gint64 qc_end = run->eos_time + product->qc_duration_s;
      gboolean has_results = g_hash_table_contains (tested, run->base.id);

      g_assert_cmpint (run->status, !=, BQ_RUN_CANCELLED);
      if (net->now < run->start_time)
        {
          g_assert_cmpint (run->status, ==, BQ_RUN_PLANNED);
          n_planned++;
        }
      else if (net->now < run->eos_time)
        {
          g_assert_cmpint (run->status, ==, BQ_RUN_SYNTHESIS);
          n_under_way++;
        }
      else if (net->now < qc_end)
        {
          g_assert_cmpint (run->status, ==, BQ_RUN_QC);
          n_under_way++;
        }
      else if (run->status == BQ_RUN_FAILED)
        {
          g_assert_true (g_hash_table_contains (fails, run->base.id));
          n_failed++;
        }
      else if (run->calibration_time <= net->now)
        {
          g_assert_cmpint (run->status, ==, BQ_RUN_SHIPPED);
          n_shipped++;
        }
      else
        {
          g_assert_cmpint (run->status, ==, BQ_RUN_RELEASED);
          n_released++;
        }

      /* Results for every run that reached QC, and only for those. */
      g_assert_true (has_results == (net->now >= run->eos_time));
      if (run->status != BQ_RUN_FAILED)
        g_assert_false (g_hash_table_contains (fails, run->base.id));
    }
  g_assert_cmpuint (n_failed, >=, 1);
  g_assert_cmpuint (n_failed, <=, 2);
  g_assert_cmpuint (n_under_way, >=, 1);
  g_assert_cmpuint (n_shipped, >, 0);
  g_assert_cmpuint (n_released, >, 0);
  g_assert_cmpuint (n_planned, >, 0);
}

/* A "now" before the first run leaves everything planned, without orders
 * that would have been given or shipped. */
static void
test_statuses_before_start (void)
{
  BqDemoOptions options;
  g_autoptr(Network) net = NULL;
  GPtrArray *runs, *orders;

  options_for_test (&options, START);
  options.now = START - WEEK;
  net = network_build (&options);
  runs = network_list (net, &bq_run_type);
  orders = network_list (net, &bq_order_type);

  for (guint i = 0; i < runs->len; i++)
    g_assert_cmpint (((BqRun *) g_ptr_array_index (runs, i))->status, ==, BQ_RUN_PLANNED);
  g_assert_cmpuint (network_list (net, &bq_qc_result_type)->len, ==, 0);
  g_assert_cmpuint (network_list (net, &bq_shipment_type)->len, ==, 0);
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);

      g_assert_true (order->status == BQ_ORDER_CONFIRMED || order->status == BQ_ORDER_REQUESTED);
      g_assert_null (order->shipment_id);
    }
}

static gboolean
is_pseudonym (const char *ref)
{
  gboolean digit = FALSE;

  if (!g_str_has_prefix (ref, "PT-") || strlen (ref) != 8)
    return FALSE;
  for (const char *p = ref + 3; *p; p++)
    {
      if (!g_ascii_isdigit (*p) && !g_ascii_isupper (*p))
        return FALSE;
      digit |= g_ascii_isdigit (*p);
    }
  return digit;
}

static void
test_orders (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *orders = network_list (net, &bq_order_type);
  g_autoptr(GHashTable) refs = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) per_run = g_hash_table_new (g_str_hash, g_str_equal);
  guint counts[BQ_ORDER_CANCELLED + 1] = { 0, };

  g_assert_cmpuint (orders->len, >, 100);
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);
      const BqCentre *centre = network_get (net, &bq_centre_type, order->centre_id);
      const BqProduct *product = network_get (net, &bq_product_type, order->product_id);
      const BqRun *run;
      const BqSite *site;
      g_autoptr(GDateTime) local_start = local_date_time (order->admin_start, centre->timezone);
      g_autoptr(GDateTime) local_end = local_date_time (order->admin_end, centre->timezone);
      guint n;

      counts[order->status]++;
      g_assert_true (is_pseudonym (order->patient_ref));
      g_assert_false (g_hash_table_contains (refs, order->patient_ref));
      g_hash_table_add (refs, order->patient_ref);
      g_assert_cmpfloat (order->prescribed_activity_bq, ==, product->dose_activity_bq);

      /* The centre's working hours on a working day */
      g_assert_cmpint (g_date_time_get_day_of_week (local_start), <=, 5);
      g_assert_cmpint (g_date_time_get_hour (local_start), >=, 8);
      g_assert_cmpint (g_date_time_get_hour (local_end) * 60 + g_date_time_get_minute (local_end),
                       <=, 18 * 60);
      g_assert_cmpint (g_date_time_get_day_of_month (local_start), ==,
                       g_date_time_get_day_of_month (local_end));

      /* The run can serve the order: same product, from the centre's
       * region, calibrated before the window closes, in date when given. */
      g_assert_nonnull (order->run_id);
      run = network_get (net, &bq_run_type, order->run_id);
      site = site_of_run (net, run);
      g_assert_cmpstr (run->product_id, ==, order->product_id);
      g_assert_cmpstr (region_of_country (site->country), ==, centre->region);
      g_assert_cmpint (run->status, !=, BQ_RUN_FAILED);
      g_assert_cmpint (run->calibration_time, <=, order->admin_end);
      g_assert_cmpint (order->admin_start, <=, run->calibration_time + product->shelf_life_s);
      g_assert_cmpint (order->admin_start, >, run->eos_time + product->qc_duration_s);

      n = GPOINTER_TO_UINT (g_hash_table_lookup (per_run, run->base.id)) + 1;
      g_hash_table_insert (per_run, run->base.id, GUINT_TO_POINTER (n));
      g_assert_cmpint (n, <=, run->dose_capacity);

      if (order->shipment_id != NULL)
        {
          const BqShipment *shipment = network_get (net, &bq_shipment_type, order->shipment_id);

          g_assert_cmpstr (shipment->run_id, ==, order->run_id);
          g_assert_cmpstr (shipment->centre_id, ==, order->centre_id);
          g_assert_cmpint (shipment->planned_arrival, <=, order->admin_start);
        }

      switch (order->status)
        {
        case BQ_ORDER_ADMINISTERED:
          g_assert_cmpint (order->admin_end, <=, net->now);
          g_assert_cmpint (((BqShipment *) network_get (net, &bq_shipment_type,
                                                         order->shipment_id))->status,
                           ==, BQ_SHIPMENT_DELIVERED);
          break;
        case BQ_ORDER_SHIPPED:
          g_assert_nonnull (order->shipment_id);
          g_assert_cmpint (((BqShipment *) network_get (net, &bq_shipment_type,
                                                         order->shipment_id))->actual_departure,
                           <=, net->now);
          break;
        case BQ_ORDER_REQUESTED:
        case BQ_ORDER_CONFIRMED:
          g_assert_cmpint (order->admin_start, >, net->now);
          break;
        case BQ_ORDER_CANCELLED:
        default:
          g_assert_not_reached ();
        }
    }
  /* Past and next ~10 days. */
  g_assert_cmpuint (counts[BQ_ORDER_ADMINISTERED], >, 0);
  g_assert_cmpuint (counts[BQ_ORDER_SHIPPED], >, 0);
  g_assert_cmpuint (counts[BQ_ORDER_CONFIRMED], >, 0);
  g_assert_cmpuint (counts[BQ_ORDER_REQUESTED], >, 0);
}

static void
test_shipments (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *shipments = network_list (net, &bq_shipment_type);
  GPtrArray *legs = network_list (net, &bq_shipment_leg_type);
  g_autoptr(GHashTable) legs_of = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                         (GDestroyNotify) g_ptr_array_unref);
  guint n_late = 0, n_arrived = 0, n_flights = 0;

  for (guint i = 0; i < legs->len; i++)
    {
      BqShipmentLeg *leg = g_ptr_array_index (legs, i);
      GPtrArray *list = g_hash_table_lookup (legs_of, leg->shipment_id);

      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (legs_of, leg->shipment_id, list);
        }
      g_ptr_array_add (list, leg);
      if (leg->status == BQ_LEG_LATE)
        n_late++;
      if (leg->status == BQ_LEG_ARRIVED)
        {
          g_assert_cmpint (leg->actual_arrival, <=, net->now);
          g_assert_cmpint (leg->actual_departure, !=, BQ_TIME_UNSET);
          n_arrived++;
        }
      if (leg->actual_departure != BQ_TIME_UNSET)
        g_assert_cmpint (leg->actual_departure, <=, net->now);
    }
  g_assert_cmpuint (n_late, ==, 1);
  g_assert_cmpuint (n_arrived, >, 0);

  for (guint i = 0; i < shipments->len; i++)
    {
      const BqShipment *shipment = g_ptr_array_index (shipments, i);
      const BqRun *run = network_get (net, &bq_run_type, shipment->run_id);
      const BqProduct *product = network_get (net, &bq_product_type, run->product_id);
      const BqSite *site = site_of_run (net, run);
      GPtrArray *list = g_hash_table_lookup (legs_of, shipment->base.id);
      const char *at = site->base.id;
      gint64 ready = run->eos_time + product->qc_duration_s;

      g_assert_nonnull (list);
      g_assert_cmpint (run->status, !=, BQ_RUN_FAILED);
      g_assert_cmpint (run->status, !=, BQ_RUN_PLANNED);
      g_assert_cmpint (run->status, !=, BQ_RUN_SYNTHESIS);

      /* A chain of Class 7 lanes from the site to the centre, in order. */
      for (guint l = 0; l < list->len; l++)
        {
          const BqShipmentLeg *leg = g_ptr_array_index (list, l);
          const BqLane *lane = network_get (net, &bq_lane_type, leg->lane_id);

          g_assert_cmpint (leg->seq, ==, l);
          g_assert_cmpstr (lane->origin_id, ==, at);
          g_assert_true (lane->class7_accepted);
          g_assert_cmpint (leg->planned_departure, >=, ready + lane->handling_s);
          g_assert_cmpint (leg->planned_arrival - leg->planned_departure, ==, lane->duration_s);
          if (lane->mode == BQ_LANE_FLIGHT)
            {
              const BqHub *origin = network_get (net, &bq_hub_type, lane->origin_id);
              g_autoptr(GDateTime) local = local_date_time (leg->planned_departure,
                                                            origin->timezone);

              g_assert_true (lane->weekdays & (1 << (g_date_time_get_day_of_week (local) - 1)));
              g_assert_cmpint (g_date_time_get_hour (local) * 60 + g_date_time_get_minute (local),
                               ==, lane->departure_local);
              n_flights++;
            }
          at = lane->destination_id;
          ready = leg->planned_arrival;
        }
      g_assert_cmpstr (at, ==, shipment->centre_id);
      g_assert_cmpint (shipment->planned_departure, ==,
                       ((BqShipmentLeg *) g_ptr_array_index (list, 0))->planned_departure);
      g_assert_cmpint (shipment->planned_arrival, ==,
                       ((BqShipmentLeg *) g_ptr_array_index (list, list->len - 1))->planned_arrival);
      if (shipment->status == BQ_SHIPMENT_DELIVERED)
        g_assert_cmpint (shipment->actual_arrival, <=, net->now);
    }
  g_assert_cmpuint (n_flights, >, 0);
}

static void
test_lanes (void)
{
  g_autoptr(Network) net = network_default ();
  GPtrArray *lanes = network_list (net, &bq_lane_type);
  GPtrArray *centres = network_list (net, &bq_centre_type);
  GPtrArray *sites = network_list (net, &bq_site_type);
  guint n_refusing = 0, n_atlantic = 0;

  for (guint i = 0; i < lanes->len; i++)
    {
      const BqLane *lane = g_ptr_array_index (lanes, i);

      if (lane->mode == BQ_LANE_FLIGHT)
        {
          const BqHub *from = network_get (net, &bq_hub_type, lane->origin_id);
          const BqHub *to = network_get (net, &bq_hub_type, lane->destination_id);

          g_assert_nonnull (from);
          g_assert_nonnull (to);
          g_assert_nonnull (lane->service);
          g_assert_cmpint (lane->weekdays, >, 0);
          g_assert_cmpint (lane->handling_s, ==, 2 * HOUR);
          if (!lane->class7_accepted)
            n_refusing++;
          if (g_str_has_prefix (from->timezone, "Europe/") != g_str_has_prefix (to->timezone, "Europe/"))
            n_atlantic++;
        }
      else
        {
          g_assert_cmpint (lane->mode, ==, BQ_LANE_GROUND);
          g_assert_cmpint (lane->weekdays, ==, 0);
          g_assert_true (lane->class7_accepted);
          /* a day's drive at most */
          g_assert_cmpint (lane->duration_s, <=, 11 * HOUR);
        }
    }
  g_assert_cmpuint (n_refusing, >, 0);
  g_assert_cmpuint (n_atlantic, >, 0);

  /* Every centre can be reached from a site of its region over lanes that
   * take Class 7 goods. */
  for (guint c = 0; c < centres->len; c++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, c);
      gboolean reached = FALSE;

      for (guint s = 0; s < sites->len && !reached; s++)
        {
          const BqSite *site = g_ptr_array_index (sites, s);
          g_autoptr(GHashTable) seen = NULL;
          g_autoptr(GPtrArray) frontier = NULL;

          if (g_strcmp0 (region_of_country (site->country), centre->region) != 0)
            continue;
          seen = g_hash_table_new (g_str_hash, g_str_equal);
          frontier = g_ptr_array_new ();
          g_ptr_array_add (frontier, site->base.id);
          g_hash_table_add (seen, site->base.id);
          while (frontier->len > 0 && !reached)
            {
              const char *at = g_ptr_array_steal_index (frontier, frontier->len - 1);

              for (guint i = 0; i < lanes->len; i++)
                {
                  const BqLane *lane = g_ptr_array_index (lanes, i);

                  if (!lane->class7_accepted || strcmp (lane->origin_id, at) != 0 ||
                      g_hash_table_contains (seen, lane->destination_id))
                    continue;
                  if (strcmp (lane->destination_id, centre->base.id) == 0)
                    reached = TRUE;
                  g_hash_table_add (seen, lane->destination_id);
                  g_ptr_array_add (frontier, lane->destination_id);
                }
            }
        }
      if (!reached)
        g_error ("no Class 7 route reaches %s", centre->base.id);
    }
}

/* Any seed, any "now", any length: still valid and complete. */
static void
test_sweep (void)
{
  static const struct {
    guint32 seed;
    gint64  now_offset;
    guint   weeks;
  } cases[] = {
    { 3, -DAY, 12 },
    { 4, 0, 12 },
    { 5, 1 * DAY + 6 * HOUR, 2 },
    { 6, 3 * DAY + 15 * HOUR, 12 },
    { 7, 9 * DAY + 2 * HOUR, 1 },
    { 8, 30 * DAY, 12 },
    { 9, 200 * DAY, 26 },
    { G_MAXUINT32, 15 * DAY + 7 * HOUR, 52 },
  };

  for (guint c = 0; c < G_N_ELEMENTS (cases); c++)
    {
      BqDemoOptions options;
      g_autoptr(Network) net = NULL;
      guint n_late = 0;

      options_for_test (&options, START_SUMMER);
      options.seed = cases[c].seed;
      options.now = START_SUMMER + cases[c].now_offset;
      options.weeks = cases[c].weeks;
      net = network_build (&options);

      g_assert_cmpuint (network_list (net, &bq_forecast_type)->len, >, 0);
      g_assert_cmpuint (network_list (net, &bq_run_type)->len, >, 0);
      for (guint i = 0; i < net->all->len; i++)
        {
          BqEntity *entity = g_ptr_array_index (net->all, i);
          g_autoptr(GError) error = NULL;

          if (!bq_entity_validate (entity, &error))
            g_error ("case %u: %s %s: %s", c, entity->type->name, entity->id, error->message);
          for (guint f = 0; f < entity->type->n_fields; f++)
            {
              const BqField *field = &entity->type->fields[f];
              const char *value;

              if (field->references == NULL)
                continue;
              value = *(char **) BQ_FIELD_PTR (entity, field);
              if (value != NULL)
                g_assert_nonnull (network_get (net, bq_entity_type_lookup (field->references),
                                               value));
            }
          if (entity->type == &bq_shipment_leg_type &&
              ((BqShipmentLeg *) entity)->status == BQ_LEG_LATE)
            n_late++;
        }
      g_assert_cmpuint (n_late, <=, 1);
    }
}

static void
test_generate (void)
{
  BqDemoOptions options;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(Network) net = NULL;
  const BqEntityType * const *types;
  guint n_types;
  gint64 revision;

  options_for_test (&options, START);
  net = network_build (&options);

  store = bq_store_open (":memory:", &error);
  g_assert_no_error (error);
  g_assert_true (bq_demo_generate (store, &options, &error));
  g_assert_no_error (error);

  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      gint64 n = bq_store_count (store, types[i], &error);

      g_assert_no_error (error);
      g_assert_cmpint (n, ==, network_list (net, types[i])->len);
    }
  revision = bq_store_get_revision (store);
  g_assert_cmpint (revision, ==, net->all->len);

  /* What comes back is what was built. */
  {
    g_autoptr(BqRun) run = NULL;
    const BqRun *built = g_ptr_array_index (network_list (net, &bq_run_type), 0);

    run = bq_store_get (store, &bq_run_type, built->base.id, &error);
    g_assert_no_error (error);
    run->base.revision = 0;
    g_assert_true (bq_entity_equal (run, built));
  }

  /* A second time is refused and changes nothing. */
  g_assert_false (bq_demo_generate (store, &options, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_assert_cmpint (bq_store_get_revision (store), ==, revision);
  g_clear_error (&error);

  /* So is another seed: the ids would collide. */
  options.seed = 7;
  g_assert_false (bq_demo_generate (store, &options, &error));
  g_assert_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT);
  g_assert_cmpint (bq_store_get_revision (store), ==, revision);
}

int
main (int   argc,
      char *argv[])
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/demo/week-start", test_week_start);
  g_test_add_func ("/demo/options/default", test_options_default);
  g_test_add_func ("/demo/build/deterministic", test_deterministic);
  g_test_add_func ("/demo/build/counts", test_counts);
  g_test_add_func ("/demo/build/valid", test_valid);
  g_test_add_func ("/demo/build/references", test_references);
  g_test_add_func ("/demo/build/users", test_users);
  g_test_add_func ("/demo/build/timezones", test_timezones);
  g_test_add_func ("/demo/runs/days", test_run_days);
  g_test_add_func ("/demo/runs/activity", test_activity);
  g_test_add_func ("/demo/runs/capacity", test_capacity);
  g_test_add_func ("/demo/runs/statuses", test_statuses);
  g_test_add_func ("/demo/runs/statuses-before-start", test_statuses_before_start);
  g_test_add_func ("/demo/orders/served", test_orders);
  g_test_add_func ("/demo/slots/claims", test_slots);
  g_test_add_func ("/demo/shipments/routes", test_shipments);
  g_test_add_func ("/demo/lanes", test_lanes);
  g_test_add_func ("/demo/build/sweep", test_sweep);
  g_test_add_func ("/demo/generate/twice-is-refused", test_generate);

  return g_test_run ();
}
