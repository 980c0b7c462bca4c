/* bq-plan.c — production planning: from forecasts to runs
 *
 * One proposal works on a snapshot: the reference data, the forecasts and
 * runs of the horizon, and the orders booked on its planned runs.  Groups
 * are (week, product, region).  Phase one checks every planned run where
 * it stands, against the runs that may not change (not planned, started,
 * booked) and the runs already kept; phase two sizes each group: it drops
 * the runs the target does not need, moves the runs that cannot stay to
 * the nearest free place, adds runs in the free places farthest from the
 * others (spreading them over the week and the lines) and shares the
 * target among the runs up to what each can make.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-decay.h"
#include "bq-json.h"
#include "bq-nuclide.h"
#include "bq-plan.h"
#include "bq-units.h"

#define MINUTE G_GINT64_CONSTANT (60)
#define HOUR   (60 * MINUTE)
#define DAY    (24 * HOUR)
#define WEEK   (7 * DAY)
/* 1970-01-05, the first Monday of the Unix epoch */
#define FIRST_MONDAY (4 * DAY)
/* EOS activity is rounded up to this: 0.1 MBq */
#define ACTIVITY_STEP_BQ 1e5

G_DEFINE_QUARK (bq-plan-error-quark, bq_plan_error)

static const char * const error_codes[] = {
  [BQ_PLAN_ERROR_LINE_BUSY] = "line_busy",
  [BQ_PLAN_ERROR_CALENDAR_CLOSED] = "calendar_closed",
  [BQ_PLAN_ERROR_MAINTENANCE] = "maintenance",
  [BQ_PLAN_ERROR_NO_SUPPLY] = "no_isotope_supply",
  [BQ_PLAN_ERROR_ORDERS_INFEASIBLE] = "orders_infeasible",
  [BQ_PLAN_ERROR_WRONG_PRODUCT] = "line_not_for_product",
  [BQ_PLAN_ERROR_NOT_MOVABLE] = "run_not_movable",
  [BQ_PLAN_ERROR_NOT_FOUND] = "not_found",
  [BQ_PLAN_ERROR_STALE] = "stale_plan",
};

const char *
bq_plan_error_to_code (const GError *error)
{
  g_return_val_if_fail (error != NULL, NULL);

  if (error->domain != BQ_PLAN_ERROR || error->code < 0 ||
      (guint) error->code >= G_N_ELEMENTS (error_codes))
    return NULL;
  return error_codes[error->code];
}

/* ---------------------------------------------------------------- options */

static gint64
week_start_of (gint64 t)
{
  gint64 offset = (t - FIRST_MONDAY) % WEEK;

  if (offset < 0)
    offset += WEEK;
  return t - offset;
}

void
bq_plan_options_init (BqPlanOptions *options)
{
  g_return_if_fail (options != NULL);

  memset (options, 0, sizeof *options);
  options->from = week_start_of (g_get_real_time () / G_USEC_PER_SEC);
  options->weeks = 4;
  options->now = BQ_TIME_UNSET;
  options->capacity_margin = 0.15;
  options->activity_margin = 0.10;
  options->packing_s = 30 * MINUTE;
  options->lead_time_s = 18 * HOUR;
  options->calibration_local = 12 * 60;
}

/* -------------------------------------------------------- activity budget */

double
bq_plan_product_margin (const BqProduct *product,
                        double           default_margin)
{
  g_return_val_if_fail (product != NULL, default_margin);

  return isnan (product->activity_margin) ? default_margin : product->activity_margin;
}

static const BqNuclide *
product_nuclide (const BqProduct *product)
{
  return bq_nuclide_lookup (product->nuclide, NULL);
}

/* e^{λ dt}: what must be there at t0 for 1 Bq at t0 + dt. */
static double
growth_back (const BqNuclide *nuclide,
             gint64           dt)
{
  return 1.0 / bq_decay_activity_at (nuclide, 1.0, (double) dt);
}

double
bq_plan_activity_budget (const BqProduct  *product,
                         gint64            eos_time,
                         const BqPlanDose *doses,
                         guint             n_doses,
                         double            margin)
{
  const BqNuclide *nuclide;
  double total = 0;

  g_return_val_if_fail (product != NULL, NAN);
  g_return_val_if_fail (doses != NULL || n_doses == 0, NAN);

  nuclide = product_nuclide (product);
  g_return_val_if_fail (nuclide != NULL, NAN);

  for (guint i = 0; i < n_doses; i++)
    {
      double activity = doses[i].activity_bq;

      if (doses[i].admin_time < eos_time)
        return NAN;
      if (isnan (activity) || activity <= 0)
        activity = product->dose_activity_bq;
      total += activity * growth_back (nuclide, doses[i].admin_time - eos_time);
    }
  return total * (1.0 + margin);
}

gint64
bq_plan_doses_for_activity (const BqProduct *product,
                            double           activity_eos_bq,
                            gint64           eos_time,
                            gint64           admin_time,
                            double           margin)
{
  BqPlanDose dose = { admin_time, 0 };
  double per_dose;

  g_return_val_if_fail (product != NULL, 0);

  per_dose = bq_plan_activity_budget (product, eos_time, &dose, 1, margin);
  if (isnan (per_dose) || per_dose <= 0 || isnan (activity_eos_bq))
    return 0;
  /* A hair of tolerance, so a budget computed for N doses covers N. */
  return (gint64) floor (activity_eos_bq / per_dose * (1 + 1e-12));
}

/* ------------------------------------------------------------------ plans */

struct _BqPlan {
  gint64     from;
  gint64     to;
  GPtrArray *changes;    /* BqPlanChange */
  GArray    *capacity;   /* BqPlanCapacity */
};

static void
change_free (gpointer data)
{
  BqPlanChange *change = data;

  g_clear_pointer (&change->before, bq_entity_free);
  g_clear_pointer (&change->after, bq_entity_free);
  g_free (change->reason);
  g_free (change);
}

static void
capacity_clear (gpointer data)
{
  BqPlanCapacity *row = data;

  g_free (row->product_id);
  g_free (row->region);
}

static BqPlan *
plan_new (gint64 from,
          gint64 to)
{
  BqPlan *plan = g_new0 (BqPlan, 1);

  plan->from = from;
  plan->to = to;
  plan->changes = g_ptr_array_new_with_free_func (change_free);
  plan->capacity = g_array_new (FALSE, TRUE, sizeof (BqPlanCapacity));
  g_array_set_clear_func (plan->capacity, capacity_clear);
  return plan;
}

void
bq_plan_free (BqPlan *plan)
{
  if (plan == NULL)
    return;
  g_ptr_array_unref (plan->changes);
  g_array_unref (plan->capacity);
  g_free (plan);
}

gint64
bq_plan_get_from (const BqPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->from;
}

gint64
bq_plan_get_to (const BqPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->to;
}

gboolean
bq_plan_is_empty (const BqPlan *plan)
{
  g_return_val_if_fail (plan != NULL, TRUE);
  return plan->changes->len == 0;
}

guint
bq_plan_get_n_changes (const BqPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->changes->len;
}

const BqPlanChange *
bq_plan_get_change (const BqPlan *plan,
                    guint         index)
{
  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (index < plan->changes->len, NULL);
  return g_ptr_array_index (plan->changes, index);
}

guint
bq_plan_get_n_capacity (const BqPlan *plan)
{
  g_return_val_if_fail (plan != NULL, 0);
  return plan->capacity->len;
}

const BqPlanCapacity *
bq_plan_get_capacity (const BqPlan *plan,
                      guint         index)
{
  g_return_val_if_fail (plan != NULL, NULL);
  g_return_val_if_fail (index < plan->capacity->len, NULL);
  return &g_array_index (plan->capacity, BqPlanCapacity, index);
}

gint64
bq_plan_get_total_gap (const BqPlan *plan)
{
  gint64 gap = 0;

  g_return_val_if_fail (plan != NULL, 0);
  for (guint i = 0; i < plan->capacity->len; i++)
    gap += g_array_index (plan->capacity, BqPlanCapacity, i).gap;
  return gap;
}

const char *
bq_plan_change_kind_to_string (BqPlanChangeKind kind)
{
  switch (kind)
    {
    case BQ_PLAN_CHANGE_ADD:
      return "add";
    case BQ_PLAN_CHANGE_MOVE:
      return "move";
    case BQ_PLAN_CHANGE_RESIZE:
      return "resize";
    case BQ_PLAN_CHANGE_REMOVE:
      return "remove";
    default:
      g_return_val_if_reached (NULL);
    }
}

JsonNode *
bq_plan_to_json (const BqPlan *plan)
{
  g_autoptr(JsonBuilder) builder = json_builder_new ();
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  g_return_val_if_fail (plan != NULL, NULL);

  from = bq_units_format_time (plan->from);
  to = bq_units_format_time (plan->to);

  json_builder_begin_object (builder);
  json_builder_set_member_name (builder, "from");
  json_builder_add_string_value (builder, from);
  json_builder_set_member_name (builder, "to");
  json_builder_add_string_value (builder, to);

  json_builder_set_member_name (builder, "changes");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->changes->len; i++)
    {
      const BqPlanChange *change = g_ptr_array_index (plan->changes, i);
      const BqRun *run = change->after ? change->after : change->before;

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "kind");
      json_builder_add_string_value (builder, bq_plan_change_kind_to_string (change->kind));
      json_builder_set_member_name (builder, "run_id");
      json_builder_add_string_value (builder, run->base.id);
      json_builder_set_member_name (builder, "reason");
      json_builder_add_string_value (builder, change->reason);
      json_builder_set_member_name (builder, "before");
      if (change->before != NULL)
        json_builder_add_value (builder, bq_entity_to_json (change->before));
      else
        json_builder_add_null_value (builder);
      json_builder_set_member_name (builder, "after");
      if (change->after != NULL)
        json_builder_add_value (builder, bq_entity_to_json (change->after));
      else
        json_builder_add_null_value (builder);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);

  json_builder_set_member_name (builder, "capacity");
  json_builder_begin_array (builder);
  for (guint i = 0; i < plan->capacity->len; i++)
    {
      const BqPlanCapacity *row = &g_array_index (plan->capacity, BqPlanCapacity, i);
      g_autofree char *week = bq_units_format_time (row->week_start);

      json_builder_begin_object (builder);
      json_builder_set_member_name (builder, "week_start");
      json_builder_add_string_value (builder, week);
      json_builder_set_member_name (builder, "product_id");
      json_builder_add_string_value (builder, row->product_id);
      json_builder_set_member_name (builder, "region");
      json_builder_add_string_value (builder, row->region);
      json_builder_set_member_name (builder, "demand");
      json_builder_add_int_value (builder, row->demand);
      json_builder_set_member_name (builder, "target");
      json_builder_add_int_value (builder, row->target);
      json_builder_set_member_name (builder, "capacity");
      json_builder_add_int_value (builder, row->capacity);
      json_builder_set_member_name (builder, "max_capacity");
      json_builder_add_int_value (builder, row->max_capacity);
      json_builder_set_member_name (builder, "gap");
      json_builder_add_int_value (builder, row->gap);
      json_builder_end_object (builder);
    }
  json_builder_end_array (builder);
  json_builder_end_object (builder);

  return json_builder_get_root (builder);
}

/* ------------------------------------------------------------- snapshots */

typedef struct {
  const BqSite *site;
  GTimeZone    *tz;
  char        **regions;    /* sorted; NULL = every region */
} SiteInfo;

typedef struct {
  const BqLine *line;
  SiteInfo     *site;
  GPtrArray    *maintenance;  /* BqMaintenanceBlock, borrowed, by start */
  GPtrArray    *busy;         /* BqRun, borrowed: runs that hold the line */
} LineInfo;

typedef struct {
  BqStore       *store;
  BqPlanOptions *options;
  gint64         now;
  GPtrArray     *sites;        /* owned entities */
  GPtrArray     *lines;
  GPtrArray     *products;
  GPtrArray     *centres;
  GPtrArray     *slas;
  GPtrArray     *maintenance;
  GHashTable    *site_info;    /* id → SiteInfo */
  GHashTable    *line_info;    /* id → LineInfo */
  GHashTable    *products_by_id;
  GHashTable    *centres_by_id;
  char         **regions;      /* every region, sorted */
} Snapshot;

static void
site_info_free (gpointer data)
{
  SiteInfo *info = data;

  g_time_zone_unref (info->tz);
  g_strfreev (info->regions);
  g_free (info);
}

static void
line_info_free (gpointer data)
{
  LineInfo *info = data;

  g_ptr_array_unref (info->maintenance);
  g_ptr_array_unref (info->busy);
  g_free (info);
}

static void
snapshot_free (Snapshot *snap)
{
  g_clear_pointer (&snap->site_info, g_hash_table_unref);
  g_clear_pointer (&snap->line_info, g_hash_table_unref);
  g_clear_pointer (&snap->products_by_id, g_hash_table_unref);
  g_clear_pointer (&snap->centres_by_id, g_hash_table_unref);
  g_clear_pointer (&snap->sites, g_ptr_array_unref);
  g_clear_pointer (&snap->lines, g_ptr_array_unref);
  g_clear_pointer (&snap->products, g_ptr_array_unref);
  g_clear_pointer (&snap->centres, g_ptr_array_unref);
  g_clear_pointer (&snap->slas, g_ptr_array_unref);
  g_clear_pointer (&snap->maintenance, g_ptr_array_unref);
  g_clear_pointer (&snap->regions, g_strfreev);
  g_free (snap);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Snapshot, snapshot_free)

static int
compare_strings (gconstpointer a,
                 gconstpointer b)
{
  return strcmp (*(const char * const *) a, *(const char * const *) b);
}

static GHashTable *
index_by_id (GPtrArray *entities)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < entities->len; i++)
    {
      BqEntity *entity = g_ptr_array_index (entities, i);
      g_hash_table_insert (index, entity->id, entity);
    }
  return index;
}

static int
compare_blocks (gconstpointer a,
                gconstpointer b)
{
  const BqMaintenanceBlock *x = *(const BqMaintenanceBlock * const *) a;
  const BqMaintenanceBlock *y = *(const BqMaintenanceBlock * const *) b;

  if (x->start_time != y->start_time)
    return x->start_time < y->start_time ? -1 : 1;
  return strcmp (x->base.id, y->base.id);
}

/* The reference data: places, lines, products, SLAs and maintenance. */
static Snapshot *
snapshot_load (BqStore             *store,
               BqPlanOptions       *options,
               GError             **error)
{
  g_autoptr(Snapshot) snap = g_new0 (Snapshot, 1);
  g_autoptr(GPtrArray) regions = g_ptr_array_new ();
  g_autoptr(GHashTable) seen = g_hash_table_new (g_str_hash, g_str_equal);

  snap->store = store;
  snap->options = options;
  snap->now = options->now != BQ_TIME_UNSET ? options->now
                                             : g_get_real_time () / G_USEC_PER_SEC;

  if (!(snap->sites = bq_store_list (store, &bq_site_type, error)) ||
      !(snap->lines = bq_store_list (store, &bq_line_type, error)) ||
      !(snap->products = bq_store_list (store, &bq_product_type, error)) ||
      !(snap->centres = bq_store_list (store, &bq_centre_type, error)) ||
      !(snap->slas = bq_store_list (store, &bq_sla_type, error)) ||
      !(snap->maintenance = bq_store_list (store, &bq_maintenance_block_type, error)))
    return NULL;

  snap->products_by_id = index_by_id (snap->products);
  snap->centres_by_id = index_by_id (snap->centres);

  for (guint i = 0; i < snap->centres->len; i++)
    {
      const BqCentre *centre = g_ptr_array_index (snap->centres, i);

      if (g_hash_table_add (seen, centre->region))
        g_ptr_array_add (regions, centre->region);
    }
  for (guint i = 0; i < snap->slas->len; i++)
    {
      const BqSla *sla = g_ptr_array_index (snap->slas, i);

      if (g_hash_table_add (seen, sla->region))
        g_ptr_array_add (regions, sla->region);
    }
  g_ptr_array_sort (regions, compare_strings);
  g_ptr_array_add (regions, NULL);
  snap->regions = g_strdupv ((char **) regions->pdata);

  snap->site_info = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, site_info_free);
  for (guint i = 0; i < snap->sites->len; i++)
    {
      const BqSite *site = g_ptr_array_index (snap->sites, i);
      SiteInfo *info = g_new0 (SiteInfo, 1);
      g_autoptr(GPtrArray) served = g_ptr_array_new ();

      info->site = site;
      info->tz = g_time_zone_new_identifier (site->timezone);
      if (info->tz == NULL)
        info->tz = g_time_zone_new_utc ();
      for (guint s = 0; s < snap->slas->len; s++)
        {
          const BqSla *sla = g_ptr_array_index (snap->slas, s);
          gboolean known = FALSE;

          if (strcmp (sla->site_id, site->base.id) != 0)
            continue;
          for (guint r = 0; r < served->len; r++)
            known |= strcmp (g_ptr_array_index (served, r), sla->region) == 0;
          if (!known)
            g_ptr_array_add (served, sla->region);
        }
      if (served->len > 0)
        {
          g_ptr_array_sort (served, compare_strings);
          g_ptr_array_add (served, NULL);
          info->regions = g_strdupv ((char **) served->pdata);
        }
      g_hash_table_insert (snap->site_info, site->base.id, info);
    }

  snap->line_info = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, line_info_free);
  for (guint i = 0; i < snap->lines->len; i++)
    {
      const BqLine *line = g_ptr_array_index (snap->lines, i);
      LineInfo *info = g_new0 (LineInfo, 1);

      info->line = line;
      info->site = g_hash_table_lookup (snap->site_info, line->site_id);
      info->maintenance = g_ptr_array_new ();
      info->busy = g_ptr_array_new ();
      g_hash_table_insert (snap->line_info, line->base.id, info);
    }
  for (guint i = 0; i < snap->maintenance->len; i++)
    {
      BqMaintenanceBlock *block = g_ptr_array_index (snap->maintenance, i);
      LineInfo *info = g_hash_table_lookup (snap->line_info, block->line_id);

      if (info != NULL)
        g_ptr_array_add (info->maintenance, block);
    }
  for (guint i = 0; i < snap->lines->len; i++)
    {
      const BqLine *line = g_ptr_array_index (snap->lines, i);
      LineInfo *info = g_hash_table_lookup (snap->line_info, line->base.id);

      g_ptr_array_sort (info->maintenance, compare_blocks);
    }

  return g_steal_pointer (&snap);
}

/* The first region a site serves, for the runs it makes. */
static const char *
site_region (Snapshot       *snap,
             const SiteInfo *site)
{
  if (site->regions != NULL && site->regions[0] != NULL)
    return site->regions[0];
  return snap->regions[0];
}

static gboolean
site_serves (const SiteInfo *site,
             const char     *region)
{
  return site->regions == NULL ||
         g_strv_contains ((const char * const *) site->regions, region);
}

static gboolean
line_makes (const BqLine *line,
            const char   *product_id)
{
  return line->product_ids == NULL ||
         g_strv_contains ((const char * const *) line->product_ids, product_id);
}

static gint64
lead_time (Snapshot   *snap,
           const char *region)
{
  for (guint i = 0; i < snap->options->n_lead_times; i++)
    if (g_strcmp0 (snap->options->lead_times[i].region, region) == 0)
      return snap->options->lead_times[i].lead_time_s;
  return snap->options->lead_time_s;
}

/* ------------------------------------------------------------ local time */

/* The calendar date @t falls on in @tz, as the UTC midnight that starts it. */
static gint64
local_day (GTimeZone *tz,
           gint64     t)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autoptr(GDateTime) midnight = g_date_time_new_utc (g_date_time_get_year (local),
                                                       g_date_time_get_month (local),
                                                       g_date_time_get_day_of_month (local),
                                                       0, 0, 0);

  return g_date_time_to_unix (midnight);
}

/* @minutes after midnight of @day (a UTC midnight) in @tz; 1440 is the
 * next midnight. */
static gint64
local_time (GTimeZone *tz,
            gint64     day,
            gint64     minutes)
{
  g_autoptr(GDateTime) date = NULL;
  g_autoptr(GDateTime) local = NULL;

  day += (minutes / (24 * 60)) * DAY;
  minutes %= 24 * 60;
  date = g_date_time_new_from_unix_utc (day);
  local = g_date_time_new (tz, g_date_time_get_year (date), g_date_time_get_month (date),
                           g_date_time_get_day_of_month (date), (int) (minutes / 60),
                           (int) (minutes % 60), 0);
  return g_date_time_to_unix (local);
}

static guint
day_weekday (gint64 day)
{
  return (guint) (((day / DAY) + 3) % 7);   /* 1970-01-01 was a Thursday; 0 = Monday */
}

static char *
format_local (GTimeZone *tz,
              gint64     t)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);

  return g_date_time_format (local, "%a %Y-%m-%d %H:%M");
}

static char *
format_weekdays (gint64 mask)
{
  static const char * const names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };
  GString *text = g_string_new (NULL);

  for (guint i = 0; i < 7; i++)
    if (mask & (1 << i))
      g_string_append_printf (text, "%s%s", text->len ? ", " : "", names[i]);
  return g_string_free (text, FALSE);
}

static char *
format_activity (double bq)
{
  return bq_units_format_activity (bq, BQ_ACTIVITY_UNIT_AUTO);
}

/* ------------------------------------------------------------- placement */

static gint64
shift_end_minutes (const BqLine *line)
{
  return line->shift_end_local == 0 ? 24 * 60 : line->shift_end_local;
}

static gboolean
has_calendar (const BqLine *line)
{
  return line->working_weekdays != 0 || line->shift_start_local != 0 ||
         line->shift_end_local != 0;
}

static gboolean
check_calendar (const LineInfo *li,
                gint64          start,
                gint64          eos,
                GError        **error)
{
  const BqLine *line = li->line;
  GTimeZone *tz = li->site->tz;
  gint64 day, open, close;

  if (!has_calendar (line))
    return TRUE;

  day = local_day (tz, start);
  if (line->working_weekdays != 0 && !(line->working_weekdays & (1 << day_weekday (day))))
    {
      g_autofree char *when = format_local (tz, start);
      g_autofree char *days = format_weekdays (line->working_weekdays);

      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_CALENDAR_CLOSED,
                   "%s is closed on %s (site time): it works %s", line->name, when, days);
      return FALSE;
    }
  open = local_time (tz, day, line->shift_start_local);
  close = local_time (tz, day, shift_end_minutes (line));
  if (start < open || eos > close)
    {
      g_autofree char *when = format_local (tz, start);
      g_autoptr(GDateTime) eos_utc = g_date_time_new_from_unix_utc (eos);
      g_autoptr(GDateTime) eos_local = g_date_time_to_timezone (eos_utc, tz);

      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_CALENDAR_CLOSED,
                   "a synthesis from %s to %02d:%02d falls outside the shift of %s, "
                   "%02d:%02d–%02d:%02d site time (%s)", when,
                   g_date_time_get_hour (eos_local), g_date_time_get_minute (eos_local),
                   line->name,
                   (int) (line->shift_start_local / 60), (int) (line->shift_start_local % 60),
                   (int) (shift_end_minutes (line) / 60), (int) (shift_end_minutes (line) % 60),
                   li->site->site->timezone);
      return FALSE;
    }
  return TRUE;
}

static gboolean
check_maintenance (const LineInfo *li,
                   gint64          start,
                   gint64          eos,
                   GError        **error)
{
  for (guint i = 0; i < li->maintenance->len; i++)
    {
      const BqMaintenanceBlock *block = g_ptr_array_index (li->maintenance, i);

      if (block->start_time >= eos)
        break;
      if (block->end_time > start)
        {
          g_autofree char *from = format_local (li->site->tz, block->start_time);
          g_autofree char *to = format_local (li->site->tz, block->end_time);

          g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_MAINTENANCE,
                       "%s is out of service from %s to %s (site time)%s%s",
                       li->line->name, from, to, block->reason ? ": " : "",
                       block->reason ? block->reason : "");
          return FALSE;
        }
    }
  return TRUE;
}

/* The last arrival of the isotope at or before @start, or BQ_TIME_UNSET. */
static gint64
last_arrival (const LineInfo  *li,
              const BqProduct *product,
              gint64           start)
{
  GTimeZone *tz = li->site->tz;
  gint64 day = local_day (tz, start);

  for (guint i = 0; i < 8; i++, day -= DAY)
    {
      gint64 arrival;

      if (!(product->supply_weekdays & (1 << day_weekday (day))))
        continue;
      arrival = local_time (tz, day, product->supply_arrival_local);
      if (arrival <= start)
        return arrival;
    }
  return BQ_TIME_UNSET;
}

static gboolean
check_supply (const LineInfo  *li,
              const BqProduct *product,
              gint64           start,
              GError         **error)
{
  gint64 arrival;

  if (product->supply_weekdays == 0)
    return TRUE;

  arrival = last_arrival (li, product, start);
  if (arrival == BQ_TIME_UNSET ||
      (product->supply_window_s > 0 && start - arrival > product->supply_window_s))
    {
      g_autofree char *when = format_local (li->site->tz, start);
      g_autofree char *days = format_weekdays (product->supply_weekdays);
      g_autofree char *duration = bq_units_format_duration ((double) product->supply_window_s);
      g_autofree char *window = product->supply_window_s > 0
        ? g_strdup_printf (" and is used within %s", duration)
        : g_strdup ("");

      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NO_SUPPLY,
                   "no %s to start on %s at %s: it arrives %s at %02d:%02d site time%s",
                   product->nuclide, when, li->site->site->name, days,
                   (int) (product->supply_arrival_local / 60),
                   (int) (product->supply_arrival_local % 60), window);
      return FALSE;
    }
  return TRUE;
}

/* Whether @run (another than @self_id) holds the line over [start, eos)
 * with the changeover on either side. */
static const BqRun *
find_busy (const LineInfo *li,
           const char     *self_id,
           gint64          start,
           gint64          eos)
{
  gint64 changeover = li->line->changeover_s;

  for (guint i = 0; i < li->busy->len; i++)
    {
      const BqRun *other = g_ptr_array_index (li->busy, i);

      if (self_id != NULL && g_strcmp0 (other->base.id, self_id) == 0)
        continue;
      if (other->start_time < eos + changeover && start < other->eos_time + changeover)
        return other;
    }
  return NULL;
}

static gboolean
check_busy (const LineInfo *li,
            const char     *self_id,
            gint64          start,
            gint64          eos,
            GError        **error)
{
  const BqRun *other = find_busy (li, self_id, start, eos);

  if (other != NULL)
    {
      g_autofree char *from = format_local (li->site->tz, other->start_time);
      g_autofree char *to = format_local (li->site->tz, other->eos_time);
      g_autofree char *changeover = bq_units_format_duration ((double) li->line->changeover_s);

      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_LINE_BUSY,
                   "%s is busy with run %s (batch %s) from %s to %s site time, "
                   "plus %s changeover", li->line->name, other->base.id, other->batch,
                   from, to, changeover);
      return FALSE;
    }
  return TRUE;
}

/* Everything but the orders: product, calendar, maintenance, supply, line. */
static gboolean
check_placement (const LineInfo  *li,
                 const BqProduct *product,
                 const char      *self_id,
                 gint64           start,
                 GError         **error)
{
  gint64 eos = start + product->synthesis_duration_s;

  if (!line_makes (li->line, product->base.id))
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_WRONG_PRODUCT,
                   "%s does not make %s", li->line->name, product->name);
      return FALSE;
    }
  return check_calendar (li, start, eos, error) &&
         check_maintenance (li, start, eos, error) &&
         check_supply (li, product, start, error) &&
         check_busy (li, self_id, start, eos, error);
}

/* The calibration of a run starting at @start: the first calibration time
 * of day (site time) after the doses can reach the region's centres. */
static gint64
calibration_for (Snapshot        *snap,
                 const LineInfo  *li,
                 const BqProduct *product,
                 const char      *region,
                 gint64           start)
{
  gint64 eos = start + product->synthesis_duration_s;
  gint64 ready = eos + product->qc_duration_s + snap->options->packing_s + lead_time (snap, region);
  gint64 day = local_day (li->site->tz, ready);

  for (;; day += DAY)
    {
      gint64 t = local_time (li->site->tz, day, snap->options->calibration_local);

      if (t >= ready)
        return t;
    }
}

static double
activity_for (const BqProduct *product,
              gint64           eos,
              gint64           calibration,
              gint64           doses,
              double           margin)
{
  BqPlanDose dose = { calibration, 0 };
  double activity = bq_plan_activity_budget (product, eos, &dose, 1, margin) * doses;

  return ceil (activity / ACTIVITY_STEP_BQ - 1e-9) * ACTIVITY_STEP_BQ;
}

/* Doses one run can make for calibration at @calibration. */
static gint64
run_cap (const BqProduct *product,
         gint64           eos,
         gint64           calibration,
         double           margin,
         gint64           unlimited)
{
  gint64 cap = product->max_doses_per_run > 0 ? product->max_doses_per_run : unlimited;

  if (!isnan (product->max_activity_eos_bq))
    cap = MIN (cap, bq_plan_doses_for_activity (product, product->max_activity_eos_bq, eos,
                                                calibration, margin));
  return MAX (cap, 0);
}

/* ------------------------------------------------------------ the planner */

struct _BqPlanner {
  GObject        parent_instance;
  BqStore       *store;
  BqPlanOptions  options;
  BqPlanLeadTime *lead_times;   /* owned copy, regions owned */
};

G_DEFINE_FINAL_TYPE (BqPlanner, bq_planner, G_TYPE_OBJECT)

static void
bq_planner_finalize (GObject *object)
{
  BqPlanner *self = BQ_PLANNER (object);

  for (guint i = 0; i < self->options.n_lead_times; i++)
    g_free ((char *) self->lead_times[i].region);
  g_free (self->lead_times);
  g_clear_object (&self->store);
  G_OBJECT_CLASS (bq_planner_parent_class)->finalize (object);
}

static void
bq_planner_class_init (BqPlannerClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = bq_planner_finalize;
}

static void
bq_planner_init (BqPlanner *self)
{
}

BqPlanner *
bq_planner_new (BqStore             *store,
                const BqPlanOptions *options)
{
  BqPlanner *self;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);
  g_return_val_if_fail (options == NULL || (options->weeks > 0 && options->weeks <= 520), NULL);

  self = g_object_new (BQ_TYPE_PLANNER, NULL);
  self->store = g_object_ref (store);
  if (options != NULL)
    self->options = *options;
  else
    bq_plan_options_init (&self->options);
  self->options.from = week_start_of (self->options.from);

  self->lead_times = g_new0 (BqPlanLeadTime, MAX (1, self->options.n_lead_times));
  for (guint i = 0; i < self->options.n_lead_times; i++)
    {
      self->lead_times[i].region = g_strdup (options->lead_times[i].region);
      self->lead_times[i].lead_time_s = options->lead_times[i].lead_time_s;
    }
  self->options.lead_times = self->lead_times;
  return self;
}

/* A run of the horizon as the planner sees it. */
typedef struct {
  BqRun          *run;          /* working copy, owned */
  const BqRun    *original;     /* in the store, or NULL for a new one; owned by runs */
  LineInfo       *line;
  const char     *region;
  guint           week;
  gboolean        frozen;
  gboolean        keep;         /* phase 1: valid where it stands */
  char           *why_not;      /* phase 1: why it cannot stay */
} Item;

typedef struct {
  guint           week;
  const BqProduct *product;
  const char     *region;
  gint64          demand;
  GPtrArray      *items;        /* Item, borrowed */
} Group;

typedef struct {
  LineInfo *line;
  gint64    start;
  gint64    calibration;
  gint64    cap;
} Candidate;

static void
item_free (gpointer data)
{
  Item *item = data;

  bq_entity_free (item->run);
  g_free (item->why_not);
  g_free (item);
}

static void
group_free (gpointer data)
{
  Group *group = data;

  g_ptr_array_unref (group->items);
  g_free (group);
}

/* Which week of the horizon a run belongs to: the site-local date of its
 * start; -1 outside. */
static int
week_of (Snapshot       *snap,
         const LineInfo *li,
         gint64          start)
{
  gint64 day = local_day (li->site->tz, start);
  gint64 from = snap->options->from;

  if (day < from || day >= from + (gint64) snap->options->weeks * WEEK)
    return -1;
  return (int) ((day - from) / WEEK);
}

static Group *
find_group (GPtrArray       *groups,
            guint            week,
            const BqProduct *product,
            const char      *region)
{
  for (guint i = 0; i < groups->len; i++)
    {
      Group *group = g_ptr_array_index (groups, i);

      if (group->week == week && group->product == product &&
          strcmp (group->region, region) == 0)
        return group;
    }
  return NULL;
}

static int
compare_items (gconstpointer a,
               gconstpointer b)
{
  const Item *x = *(const Item * const *) a;
  const Item *y = *(const Item * const *) b;

  if (x->run->start_time != y->run->start_time)
    return x->run->start_time < y->run->start_time ? -1 : 1;
  return strcmp (x->run->line_id, y->run->line_id);
}

static void
line_release (LineInfo    *li,
              const BqRun *run)
{
  g_ptr_array_remove (li->busy, (gpointer) run);
}

typedef struct {
  Snapshot  *snap;
  GPtrArray *runs;      /* BqRun from the store, owned */
  GPtrArray *items;     /* Item, owned */
  GPtrArray *groups;    /* Group, owned */
  GHashTable *ids;      /* run ids in use: store and new */
  GHashTable *booked;   /* run id → number of orders */
  BqPlan    *plan;
} Work;

static void
work_clear (Work *work)
{
  g_clear_pointer (&work->groups, g_ptr_array_unref);
  g_clear_pointer (&work->items, g_ptr_array_unref);
  g_clear_pointer (&work->runs, g_ptr_array_unref);
  g_clear_pointer (&work->ids, g_hash_table_unref);
  g_clear_pointer (&work->booked, g_hash_table_unref);
  g_clear_pointer (&work->plan, bq_plan_free);
  g_clear_pointer (&work->snap, snapshot_free);
}

static gboolean
work_load (BqPlanner *self,
           Work      *work,
           GError   **error)
{
  Snapshot *snap;
  gint64 from = self->options.from;
  gint64 to = from + (gint64) self->options.weeks * WEEK;
  g_autoptr(BqQuery) runs_query = bq_query_new (&bq_run_type);
  g_autoptr(BqQuery) forecasts_query = bq_query_new (&bq_forecast_type);
  g_autoptr(GPtrArray) forecasts = NULL;
  g_autoptr(GPtrArray) planned_ids = g_ptr_array_new ();

  work->snap = snap = snapshot_load (self->store, &self->options, error);
  if (snap == NULL)
    return FALSE;
  work->plan = plan_new (from, to);
  work->items = g_ptr_array_new_with_free_func (item_free);
  work->groups = g_ptr_array_new_with_free_func (group_free);
  work->ids = g_hash_table_new (g_str_hash, g_str_equal);
  work->booked = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  /* Runs a day either side, for the lines' occupation at the edges (site
   * dates differ from UTC ones by up to a day). */
  bq_query_where_overlaps (runs_query, "start_time", "eos_time", from - 2 * DAY, to + 2 * DAY);
  bq_query_order_by (runs_query, "start_time", FALSE);
  work->runs = bq_store_query (self->store, runs_query, error);
  if (work->runs == NULL)
    return FALSE;

  bq_query_where_range (forecasts_query, "week_start", from, to);
  forecasts = bq_store_query (self->store, forecasts_query, error);
  if (forecasts == NULL)
    return FALSE;

  /* Groups with demand. */
  for (guint i = 0; i < forecasts->len; i++)
    {
      const BqForecast *forecast = g_ptr_array_index (forecasts, i);
      const BqCentre *centre = g_hash_table_lookup (snap->centres_by_id, forecast->centre_id);
      const BqProduct *product = g_hash_table_lookup (snap->products_by_id, forecast->product_id);
      guint week = (guint) ((forecast->week_start - from) / WEEK);
      Group *group;

      if (centre == NULL || product == NULL || forecast->doses == 0)
        continue;
      group = find_group (work->groups, week, product, centre->region);
      if (group == NULL)
        {
          group = g_new0 (Group, 1);
          group->week = week;
          group->product = product;
          group->region = centre->region;
          group->items = g_ptr_array_new ();
          g_ptr_array_add (work->groups, group);
        }
      group->demand += forecast->doses;
    }

  for (guint i = 0; i < work->runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (work->runs, i);

      g_hash_table_add (work->ids, run->base.id);
      if (run->status == BQ_RUN_PLANNED)
        g_ptr_array_add (planned_ids, run->base.id);
    }

  /* Booked orders pin their runs. */
  if (planned_ids->len > 0)
    {
      g_autoptr(BqQuery) orders_query = bq_query_new (&bq_order_type);
      g_autoptr(GPtrArray) orders = NULL;

      g_ptr_array_add (planned_ids, NULL);
      bq_query_where_in (orders_query, "run_id", (const char * const *) planned_ids->pdata);
      orders = bq_store_query (self->store, orders_query, error);
      if (orders == NULL)
        return FALSE;
      for (guint i = 0; i < orders->len; i++)
        {
          const BqOrder *order = g_ptr_array_index (orders, i);
          gpointer n;

          if (order->status == BQ_ORDER_CANCELLED || order->run_id == NULL)
            continue;
          n = g_hash_table_lookup (work->booked, order->run_id);
          g_hash_table_insert (work->booked, g_strdup (order->run_id),
                               GUINT_TO_POINTER (GPOINTER_TO_UINT (n) + 1));
        }
    }

  /* Every run holds its line, except cancelled ones; the runs of the
   * horizon become items. */
  for (guint i = 0; i < work->runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (work->runs, i);
      LineInfo *li = g_hash_table_lookup (snap->line_info, run->line_id);
      const BqProduct *product = g_hash_table_lookup (snap->products_by_id, run->product_id);
      Item *item;
      Group *group;
      int week;

      if (run->status == BQ_RUN_CANCELLED || li == NULL || li->site == NULL || product == NULL)
        continue;

      week = week_of (snap, li, run->start_time);
      item = g_new0 (Item, 1);
      item->run = bq_entity_copy (run);
      item->original = run;
      item->line = li;
      item->region = site_region (snap, li->site);
      item->frozen = run->status != BQ_RUN_PLANNED || run->start_time < snap->now ||
                     g_hash_table_contains (work->booked, run->base.id) || week < 0;
      g_ptr_array_add (work->items, item);

      if (item->frozen)
        g_ptr_array_add (li->busy, item->run);
      if (week < 0)
        continue;

      item->week = (guint) week;
      group = find_group (work->groups, item->week, product, item->region);
      if (group == NULL)
        {
          group = g_new0 (Group, 1);
          group->week = item->week;
          group->product = product;
          group->region = item->region;
          group->items = g_ptr_array_new ();
          g_ptr_array_add (work->groups, group);
        }
      g_ptr_array_add (group->items, item);
    }

  /* Deterministic order: week, product, region. */
  for (guint i = 0; i < work->groups->len; i++)
    for (guint j = i + 1; j < work->groups->len; j++)
      {
        Group *a = g_ptr_array_index (work->groups, i);
        Group *b = g_ptr_array_index (work->groups, j);
        int c = a->week != b->week ? (a->week < b->week ? -1 : 1)
              : strcmp (a->product->base.id, b->product->base.id) != 0
                ? strcmp (a->product->base.id, b->product->base.id)
                : strcmp (a->region, b->region);

        if (c > 0)
          {
            work->groups->pdata[i] = b;
            work->groups->pdata[j] = a;
          }
      }
  for (guint i = 0; i < work->groups->len; i++)
    g_ptr_array_sort (((Group *) g_ptr_array_index (work->groups, i))->items, compare_items);

  return TRUE;
}

/* Phase one: the planned runs that may stay where they are. */
static void
work_check_in_place (Work *work)
{
  for (guint g = 0; g < work->groups->len; g++)
    {
      Group *group = g_ptr_array_index (work->groups, g);

      for (guint i = 0; i < group->items->len; i++)
        {
          Item *item = g_ptr_array_index (group->items, i);
          g_autoptr(GError) error = NULL;

          if (item->frozen)
            continue;
          if (!site_serves (item->line->site, group->region))
            {
              item->why_not = g_strdup_printf ("%s does not serve %s",
                                               item->line->site->site->name, group->region);
              continue;
            }
          if (check_placement (item->line, group->product, item->run->base.id,
                               item->run->start_time, &error))
            {
              item->keep = TRUE;
              g_ptr_array_add (item->line->busy, item->run);
            }
          else
            item->why_not = g_strdup (error->message);
        }
    }
}

/* Free places on the lines of @group's product and region in its week. */
static GArray *
group_candidates (Work  *work,
                  Group *group,
                  gint64 unlimited)
{
  Snapshot *snap = work->snap;
  GArray *candidates = g_array_new (FALSE, FALSE, sizeof (Candidate));
  const BqProduct *product = group->product;
  gint64 week_day0 = snap->options->from + (gint64) group->week * WEEK;
  double margin = bq_plan_product_margin (product, snap->options->activity_margin);

  for (guint l = 0; l < snap->lines->len; l++)
    {
      const BqLine *line = g_ptr_array_index (snap->lines, l);
      LineInfo *li = g_hash_table_lookup (snap->line_info, line->base.id);
      gint64 step = product->synthesis_duration_s + line->changeover_s;

      if (li->site == NULL || !line_makes (line, product->base.id) ||
          !site_serves (li->site, group->region) ||
          strcmp (site_region (snap, li->site), group->region) != 0)
        continue;

      for (guint d = 0; d < 7; d++)
        {
          gint64 day = week_day0 + d * DAY;
          gint64 open, close;

          if (line->working_weekdays != 0 && !(line->working_weekdays & (1 << day_weekday (day))))
            continue;
          open = local_time (li->site->tz, day, line->shift_start_local);
          close = local_time (li->site->tz, day, shift_end_minutes (line));
          for (gint64 start = open; start + product->synthesis_duration_s <= close; start += step)
            {
              Candidate c;

              if (start < snap->now)
                continue;
              if (!check_placement (li, product, NULL, start, NULL))
                continue;
              c.line = li;
              c.start = start;
              c.calibration = calibration_for (snap, li, product, group->region, start);
              c.cap = run_cap (product, start + product->synthesis_duration_s, c.calibration,
                               margin, unlimited);
              if (c.cap > 0)
                g_array_append_val (candidates, c);
            }
        }
    }
  return candidates;
}

/* Distance from @t to the nearest of the chosen runs and the anchors
 * (the week's Monday and Saturday midnights), so the first pick lands mid
 * week and later ones between. */
static gint64
spread_distance (GPtrArray   *chosen,
                 const Item  *self,
                 gint64       t,
                 gint64       week_day0)
{
  gint64 best = MIN (ABS (t - week_day0), ABS (t - (week_day0 + 5 * DAY)));

  for (guint i = 0; i < chosen->len; i++)
    {
      const Item *other = g_ptr_array_index (chosen, i);

      if (other != self)
        best = MIN (best, ABS (t - other->run->start_time));
    }
  return best;
}

static char *
new_run_id (Work           *work,
            const LineInfo *li,
            gint64          start)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (start);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, li->site->tz);
  g_autofree char *stamp = g_date_time_format (local, "%Y%m%d-%H%M");
  const char *suffix = g_str_has_prefix (li->line->base.id, "line-")
                       ? li->line->base.id + 5 : li->line->base.id;
  char *id = g_strdup_printf ("run-%s-%s", suffix, stamp);

  for (char c = 'b'; g_hash_table_contains (work->ids, id) && c <= 'z'; c++)
    {
      g_free (id);
      id = g_strdup_printf ("run-%s-%s%c", suffix, stamp, c);
    }
  return id;
}

static char *
new_batch (const LineInfo *li,
           gint64          start)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (start);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, li->site->tz);
  g_autofree char *stamp = g_date_time_format (local, "%g%V-%u%H%M");
  const char *suffix = g_str_has_prefix (li->line->base.id, "line-")
                       ? li->line->base.id + 5 : li->line->base.id;
  g_autofree char *upper = g_ascii_strup (suffix, -1);

  return g_strdup_printf ("%s-%s", upper, stamp);
}

static void
add_change (Work             *work,
            BqPlanChangeKind  kind,
            const BqRun      *before,
            const BqRun      *after,
            char             *reason)
{
  BqPlanChange *change = g_new0 (BqPlanChange, 1);

  change->kind = kind;
  change->before = before ? bq_entity_copy (before) : NULL;
  change->after = after ? bq_entity_copy (after) : NULL;
  change->reason = reason;
  g_ptr_array_add (work->plan->changes, change);
}

static gint64
item_cap (Work       *work,
          Group      *group,
          const Item *item,
          gint64      unlimited)
{
  double margin = bq_plan_product_margin (group->product, work->snap->options->activity_margin);

  return run_cap (group->product, item->run->eos_time, item->run->calibration_time, margin,
                  unlimited);
}

static char *
week_label (Work  *work,
            guint  week)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (work->snap->options->from +
                                                           (gint64) week * WEEK);

  return g_date_time_format (dt, "%G-W%V");
}

/* Phase two for one group.  @apply_changes FALSE only measures capacity. */
static void
work_plan_group (Work    *work,
                 Group   *group,
                 gboolean apply_changes,
                 BqPlanCapacity *row)
{
  Snapshot *snap = work->snap;
  const BqProduct *product = group->product;
  double margin = bq_plan_product_margin (product, snap->options->activity_margin);
  gint64 week_day0 = snap->options->from + (gint64) group->week * WEEK;
  gint64 target = group->demand > 0
                  ? (gint64) ceil (group->demand * (1 + snap->options->capacity_margin) - 1e-9)
                  : 0;
  gint64 unlimited = MAX (target, 1);
  gint64 frozen_capacity = 0, need, have = 0, assigned;
  g_autoptr(GPtrArray) chosen = g_ptr_array_new ();    /* Item, borrowed */
  g_autoptr(GPtrArray) displaced = g_ptr_array_new (); /* Item: cannot stay */
  g_autoptr(GArray) candidates = NULL;
  g_autoptr(GArray) sizes = NULL;
  g_autofree char *week = week_label (work, group->week);
  g_autoptr(GHashTable) moved_reason = g_hash_table_new_full (NULL, NULL, NULL, g_free);
  g_autoptr(GHashTable) is_new = g_hash_table_new (NULL, NULL);

  for (guint i = 0; i < group->items->len; i++)
    {
      Item *item = g_ptr_array_index (group->items, i);

      if (item->frozen)
        {
          if (item->run->status != BQ_RUN_FAILED)
            frozen_capacity += item->run->dose_capacity;
        }
      else if (item->keep)
        g_ptr_array_add (chosen, item);
      else
        g_ptr_array_add (displaced, item);
    }
  need = MAX (0, target - frozen_capacity);

  row->week_start = week_day0;
  row->product_id = g_strdup (product->base.id);
  row->region = g_strdup (group->region);
  row->demand = group->demand;
  row->target = target;

  if (!apply_changes)
    {
      gint64 capacity = frozen_capacity;

      for (guint i = 0; i < group->items->len; i++)
        {
          Item *item = g_ptr_array_index (group->items, i);
          if (!item->frozen)
            capacity += item->run->dose_capacity;
        }
      candidates = group_candidates (work, group, unlimited);
      row->capacity = capacity;
      row->max_capacity = frozen_capacity;
      for (guint i = 0; i < chosen->len; i++)
        row->max_capacity += item_cap (work, group, g_ptr_array_index (chosen, i), unlimited);
      for (guint i = 0; i < candidates->len; i++)
        row->max_capacity += g_array_index (candidates, Candidate, i).cap;
      row->gap = MAX (0, row->demand - row->capacity);
      return;
    }

  for (guint i = 0; i < chosen->len; i++)
    have += item_cap (work, group, g_ptr_array_index (chosen, i), unlimited);

  /* Drop the runs the target does not need, the most crowded first. */
  for (;;)
    {
      Item *victim = NULL;
      gint64 victim_distance = G_MAXINT64;

      for (guint i = 0; i < chosen->len; i++)
        {
          Item *item = g_ptr_array_index (chosen, i);
          gint64 cap = item_cap (work, group, item, unlimited);
          gint64 distance;

          if (have - cap < need)
            continue;
          distance = spread_distance (chosen, item, item->run->start_time, week_day0);
          if (victim == NULL || distance < victim_distance ||
              (distance == victim_distance && item->run->start_time >= victim->run->start_time))
            {
              victim = item;
              victim_distance = distance;
            }
        }
      if (victim == NULL)
        break;
      have -= item_cap (work, group, victim, unlimited);
      g_ptr_array_remove (chosen, victim);
      line_release (victim->line, victim->run);
      {
        g_autoptr(BqRun) after = bq_entity_copy (victim->original);

        after->status = BQ_RUN_CANCELLED;
        add_change (work, BQ_PLAN_CHANGE_REMOVE, victim->original, after,
                    g_strdup_printf ("not needed: %s %s in %s needs %" G_GINT64_FORMAT
                                     " doses (forecast %" G_GINT64_FORMAT
                                     " + margin) and the other runs make them",
                                     product->name, group->region, week, target,
                                     group->demand));
      }
    }

  candidates = group_candidates (work, group, unlimited);

  /* Runs that cannot stay go to the nearest free place, if needed. */
  for (guint i = 0; i < displaced->len; i++)
    {
      Item *item = g_ptr_array_index (displaced, i);
      gint guint_best = -1;
      gint64 best_distance = G_MAXINT64;

      if (have < need)
        for (guint c = 0; c < candidates->len; c++)
          {
            const Candidate *cand = &g_array_index (candidates, Candidate, c);
            gint64 distance = ABS (cand->start - item->run->start_time);

            if (find_busy (cand->line, NULL, cand->start,
                           cand->start + product->synthesis_duration_s) != NULL)
              continue;
            if (distance < best_distance)
              {
                guint_best = (gint) c;
                best_distance = distance;
              }
          }
      if (guint_best < 0)
        {
          g_autoptr(BqRun) after = bq_entity_copy (item->original);

          after->status = BQ_RUN_CANCELLED;
          add_change (work, BQ_PLAN_CHANGE_REMOVE, item->original, after,
                      g_strdup_printf ("cannot stay (%s) and %s", item->why_not,
                                       have >= need ? "the other runs cover the target"
                                                    : "no free place is left that week"));
          continue;
        }
      {
        const Candidate *cand = &g_array_index (candidates, Candidate, guint_best);
        BqRun *run = item->run;

        g_free (run->line_id);
        run->line_id = g_strdup (cand->line->line->base.id);
        run->start_time = cand->start;
        run->eos_time = cand->start + product->synthesis_duration_s;
        run->calibration_time = cand->calibration;
        item->line = cand->line;
        g_ptr_array_add (cand->line->busy, run);
        g_ptr_array_add (chosen, item);
        have += cand->cap;
        g_hash_table_insert (moved_reason, item, g_strdup (item->why_not));
      }
    }

  /* New runs in the free places farthest from the others. */
  while (have < need)
    {
      const Candidate *best = NULL;
      gint64 best_distance = -1;
      Item *item;
      BqRun *run;

      for (guint c = 0; c < candidates->len; c++)
        {
          const Candidate *cand = &g_array_index (candidates, Candidate, c);
          gint64 distance;

          if (find_busy (cand->line, NULL, cand->start,
                         cand->start + product->synthesis_duration_s) != NULL)
            continue;
          distance = spread_distance (chosen, NULL, cand->start, week_day0);
          if (distance > best_distance)
            {
              best = cand;
              best_distance = distance;
            }
        }
      if (best == NULL)
        break;

      run = bq_run_new ();
      run->base.id = new_run_id (work, best->line, best->start);
      g_hash_table_add (work->ids, run->base.id);
      run->line_id = g_strdup (best->line->line->base.id);
      run->product_id = g_strdup (product->base.id);
      run->batch = new_batch (best->line, best->start);
      run->start_time = best->start;
      run->eos_time = best->start + product->synthesis_duration_s;
      run->calibration_time = best->calibration;
      run->status = BQ_RUN_PLANNED;

      item = g_new0 (Item, 1);
      item->run = run;
      item->line = best->line;
      item->region = group->region;
      item->week = group->week;
      g_ptr_array_add (work->items, item);
      g_ptr_array_add (chosen, item);
      g_ptr_array_add (best->line->busy, run);
      g_hash_table_add (is_new, item);
      have += best->cap;
    }

  /* Adding may have made an earlier, smaller run unnecessary: drop it, so
   * planning again finds nothing to do. */
  for (;;)
    {
      Item *victim = NULL;

      for (guint i = 0; i < chosen->len; i++)
        {
          Item *item = g_ptr_array_index (chosen, i);
          gint64 cap = item_cap (work, group, item, unlimited);

          if (have - cap >= need && (victim == NULL ||
                                     cap < item_cap (work, group, victim, unlimited)))
            victim = item;
        }
      if (victim == NULL)
        break;
      have -= item_cap (work, group, victim, unlimited);
      g_ptr_array_remove (chosen, victim);
      line_release (victim->line, victim->run);
      if (g_hash_table_contains (is_new, victim))
        g_hash_table_remove (is_new, victim);
      else
        {
          g_autoptr(BqRun) after = bq_entity_copy (victim->original);

          after->status = BQ_RUN_CANCELLED;
          add_change (work, BQ_PLAN_CHANGE_REMOVE, victim->original, after,
                      g_strdup_printf ("not needed: %s %s in %s needs %" G_GINT64_FORMAT
                                       " doses and larger runs make them",
                                       product->name, group->region, week, target));
        }
    }

  /* Share the target: evenly, earliest first for the remainder, up to
   * each run's cap. */
  g_ptr_array_sort (chosen, compare_items);
  sizes = g_array_sized_new (FALSE, TRUE, sizeof (gint64), chosen->len);
  g_array_set_size (sizes, chosen->len);
  assigned = 0;
  {
    gint64 left = need;
    guint open = chosen->len;
    g_autofree gboolean *full = g_new0 (gboolean, MAX (1, chosen->len));

    while (left > 0 && open > 0)
      {
        gint64 share = left / open, extra = left % open;
        gboolean clamped = FALSE;

        for (guint i = 0; i < chosen->len; i++)
          {
            gint64 cap = item_cap (work, group, g_ptr_array_index (chosen, i), unlimited);
            gint64 *size = &g_array_index (sizes, gint64, i);

            if (!full[i] && *size + share >= cap)
              {
                left -= cap - *size;
                *size = cap;
                full[i] = TRUE;
                open--;
                clamped = TRUE;
              }
          }
        if (clamped)
          continue;
        for (guint i = 0; i < chosen->len; i++)
          {
            gint64 *size = &g_array_index (sizes, gint64, i);

            if (full[i])
              continue;
            *size += share + (extra > 0 ? 1 : 0);
            left -= share + (extra > 0 ? 1 : 0);
            if (extra > 0)
              extra--;
          }
      }
  }

  for (guint i = 0; i < chosen->len; i++)
    {
      Item *item = g_ptr_array_index (chosen, i);
      BqRun *run = item->run;
      gint64 size = g_array_index (sizes, gint64, i);
      const char *moved = g_hash_table_lookup (moved_reason, item);

      assigned += size;
      if (run->calibration_time < run->eos_time)
        run->calibration_time = calibration_for (snap, item->line, product, group->region,
                                                 run->start_time);

      if (g_hash_table_contains (is_new, item))
        {
          g_autofree char *when = format_local (item->line->site->tz, run->start_time);

          run->dose_capacity = size;
          run->activity_eos_bq = activity_for (product, run->eos_time, run->calibration_time,
                                               size, margin);
          add_change (work, BQ_PLAN_CHANGE_ADD, NULL, run,
                      g_strdup_printf ("%s %s in %s needs %" G_GINT64_FORMAT " doses (forecast %"
                                       G_GINT64_FORMAT " + margin); this run on %s, %s "
                                       "site time, makes %" G_GINT64_FORMAT,
                                       product->name, group->region, week, target,
                                       group->demand, item->line->line->name, when, size));
        }
      else if (moved != NULL)
        {
          g_autofree char *when = format_local (item->line->site->tz, run->start_time);

          run->dose_capacity = size;
          run->activity_eos_bq = activity_for (product, run->eos_time, run->calibration_time,
                                               size, margin);
          add_change (work, BQ_PLAN_CHANGE_MOVE, item->original, run,
                      g_strdup_printf ("cannot stay: %s; moved to %s, %s site time",
                                       moved, item->line->line->name, when));
        }
      else if (run->dose_capacity != size)
        {
          g_autofree char *before = format_activity (run->activity_eos_bq);
          g_autofree char *after = NULL;
          gint64 old_size = run->dose_capacity;

          run->dose_capacity = size;
          run->activity_eos_bq = activity_for (product, run->eos_time, run->calibration_time,
                                               size, margin);
          after = format_activity (run->activity_eos_bq);
          add_change (work, BQ_PLAN_CHANGE_RESIZE, item->original, run,
                      g_strdup_printf ("%s %s in %s needs %" G_GINT64_FORMAT " doses over %u "
                                       "runs: %" G_GINT64_FORMAT " → %" G_GINT64_FORMAT
                                       " doses, %s → %s at EOS",
                                       product->name, group->region, week, target,
                                       chosen->len, old_size, size, before, after));
        }
    }

  row->capacity = frozen_capacity + assigned;
  row->max_capacity = frozen_capacity;
  for (guint i = 0; i < chosen->len; i++)
    row->max_capacity += item_cap (work, group, g_ptr_array_index (chosen, i), unlimited);
  for (guint c = 0; c < candidates->len; c++)
    {
      const Candidate *cand = &g_array_index (candidates, Candidate, c);

      if (find_busy (cand->line, NULL, cand->start,
                     cand->start + product->synthesis_duration_s) == NULL)
        row->max_capacity += cand->cap;
    }
  row->gap = MAX (0, row->demand - row->capacity);
}

static BqPlan *
planner_run (BqPlanner *self,
             gboolean   apply_changes,
             GError   **error)
{
  Work work = { 0, };
  BqPlan *plan;

  if (!work_load (self, &work, error))
    {
      work_clear (&work);
      return NULL;
    }
  work_check_in_place (&work);
  for (guint g = 0; g < work.groups->len; g++)
    {
      Group *group = g_ptr_array_index (work.groups, g);
      BqPlanCapacity row = { 0, };

      work_plan_group (&work, group, apply_changes, &row);
      if (row.demand > 0 || row.capacity > 0)
        g_array_append_val (work.plan->capacity, row);
      else
        capacity_clear (&row);
    }
  plan = g_steal_pointer (&work.plan);
  work_clear (&work);
  return plan;
}

BqPlan *
bq_planner_propose (BqPlanner  *self,
                    GError    **error)
{
  g_return_val_if_fail (BQ_IS_PLANNER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return planner_run (self, TRUE, error);
}

BqPlan *
bq_planner_capacity (BqPlanner  *self,
                     GError    **error)
{
  g_return_val_if_fail (BQ_IS_PLANNER (self), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  return planner_run (self, FALSE, error);
}

gboolean
bq_planner_apply (BqPlanner     *self,
                  const BqPlan  *plan,
                  GError       **error)
{
  g_return_val_if_fail (BQ_IS_PLANNER (self), FALSE);
  g_return_val_if_fail (plan != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (plan->changes->len == 0)
    return TRUE;
  if (!bq_store_begin (self->store, error))
    return FALSE;

  for (guint i = 0; i < plan->changes->len; i++)
    {
      const BqPlanChange *change = g_ptr_array_index (plan->changes, i);
      const BqRun *after = change->after;
      g_autoptr(GError) local_error = NULL;
      g_autoptr(BqRun) current = bq_store_get (self->store, &bq_run_type, after->base.id,
                                               &local_error);
      g_autoptr(BqRun) copy = NULL;

      if (current == NULL && !g_error_matches (local_error, BQ_STORE_ERROR,
                                               BQ_STORE_ERROR_NOT_FOUND))
        {
          bq_store_rollback (self->store);
          g_propagate_error (error, g_steal_pointer (&local_error));
          return FALSE;
        }
      if ((change->before == NULL && current != NULL && current->status != BQ_RUN_CANCELLED) ||
          (change->before != NULL &&
           (current == NULL || current->base.revision != change->before->base.revision)))
        {
          bq_store_rollback (self->store);
          g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_STALE,
                       "run %s changed since the plan was made; plan again", after->base.id);
          return FALSE;
        }

      copy = bq_entity_copy (after);
      if (!bq_store_put (self->store, copy, error))
        {
          bq_store_rollback (self->store);
          return FALSE;
        }
    }
  return bq_store_commit (self->store, error);
}

/* ------------------------------------------------------------------ moves */

static gboolean
check_orders (BqPlanner       *self,
              Snapshot        *snap,
              const BqRun     *run,
              const BqProduct *product,
              gint64           eos,
              GError         **error)
{
  g_autoptr(BqQuery) query = bq_query_new (&bq_order_type);
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GArray) doses = g_array_new (FALSE, FALSE, sizeof (BqPlanDose));
  g_autoptr(GError) local_error = NULL;
  gint64 dispatch = eos + product->qc_duration_s + snap->options->packing_s;
  double needed;

  bq_query_where_equals (query, "run_id", run->base.id);
  orders = bq_store_query (self->store, query, &local_error);
  if (orders == NULL)
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_FOUND, "%s", local_error->message);
      return FALSE;
    }

  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);
      const BqCentre *centre;
      BqPlanDose dose;
      gint64 arrival;

      if (order->status == BQ_ORDER_CANCELLED)
        continue;
      centre = g_hash_table_lookup (snap->centres_by_id, order->centre_id);
      arrival = dispatch + lead_time (snap, centre ? centre->region : NULL);
      if (arrival > order->admin_end)
        {
          g_autofree char *at = bq_units_format_time (arrival);
          g_autofree char *end = bq_units_format_time (order->admin_end);

          g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_ORDERS_INFEASIBLE,
                       "order %s (%s) would arrive at %s, after its administration window "
                       "closes at %s", order->base.id, order->patient_ref, at, end);
          return FALSE;
        }
      if (order->admin_start < eos)
        {
          g_autofree char *start = bq_units_format_time (order->admin_start);

          g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_ORDERS_INFEASIBLE,
                       "order %s (%s) is to be given at %s, before the synthesis would end",
                       order->base.id, order->patient_ref, start);
          return FALSE;
        }
      dose.admin_time = order->admin_start;
      dose.activity_bq = order->prescribed_activity_bq;
      g_array_append_val (doses, dose);
    }
  if (doses->len == 0)
    return TRUE;

  /* No margin here: the question is whether the activity made reaches the
   * doses already promised, not whether the plan is comfortable. */
  needed = bq_plan_activity_budget (product, eos, (BqPlanDose *) doses->data, doses->len, 0);
  if (needed > run->activity_eos_bq)
    {
      g_autofree char *have = format_activity (run->activity_eos_bq);
      g_autofree char *need = format_activity (needed);

      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_ORDERS_INFEASIBLE,
                   "the %u orders booked on run %s would get less than prescribed: they "
                   "need %s at EOS after decay, the run makes %s",
                   doses->len, run->base.id, need, have);
      return FALSE;
    }
  return TRUE;
}

gboolean
bq_planner_check_move (BqPlanner    *self,
                       const BqRun  *run,
                       const char   *line_id,
                       gint64        start_time,
                       GError      **error)
{
  g_autoptr(Snapshot) snap = NULL;
  g_autoptr(BqQuery) query = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  const BqProduct *product;
  LineInfo *li;
  gint64 eos;

  g_return_val_if_fail (BQ_IS_PLANNER (self), FALSE);
  g_return_val_if_fail (run != NULL, FALSE);
  g_return_val_if_fail (line_id != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  snap = snapshot_load (self->store, &self->options, error);
  if (snap == NULL)
    return FALSE;

  if (run->status != BQ_RUN_PLANNED || run->start_time < snap->now)
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_MOVABLE,
                   "run %s is %s: only planned runs that have not started move",
                   run->base.id, run->start_time < snap->now && run->status == BQ_RUN_PLANNED
                                 ? "due to have started"
                                 : bq_enum_to_nick (bq_entity_type_get_field (&bq_run_type, "status"),
                                                    run->status));
      return FALSE;
    }
  if (start_time < snap->now)
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_MOVABLE,
                   "a run cannot move into the past");
      return FALSE;
    }

  product = g_hash_table_lookup (snap->products_by_id, run->product_id);
  li = g_hash_table_lookup (snap->line_info, line_id);
  if (product == NULL || li == NULL || li->site == NULL)
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_FOUND,
                   "no %s “%s”", product == NULL ? "product" : "line",
                   product == NULL ? run->product_id : line_id);
      return FALSE;
    }
  eos = start_time + (run->eos_time - run->start_time);

  /* The line's runs around the new place. */
  query = bq_query_new (&bq_run_type);
  bq_query_where_equals (query, "line_id", line_id);
  bq_query_where_overlaps (query, "start_time", "eos_time",
                           start_time - li->line->changeover_s - DAY,
                           eos + li->line->changeover_s + DAY);
  runs = bq_store_query (self->store, query, error);
  if (runs == NULL)
    return FALSE;
  for (guint i = 0; i < runs->len; i++)
    {
      BqRun *other = g_ptr_array_index (runs, i);

      if (other->status != BQ_RUN_CANCELLED)
        g_ptr_array_add (li->busy, other);
    }

  if (!line_makes (li->line, product->base.id))
    {
      g_set_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_WRONG_PRODUCT,
                   "%s does not make %s", li->line->name, product->name);
      return FALSE;
    }
  if (!check_calendar (li, start_time, eos, error) ||
      !check_maintenance (li, start_time, eos, error) ||
      !check_supply (li, product, start_time, error) ||
      !check_busy (li, run->base.id, start_time, eos, error))
    return FALSE;
  return check_orders (self, snap, run, product, eos, error);
}
