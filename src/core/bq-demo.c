/* bq-demo.c — a deterministic demo network
 *
 * Everything comes from the tables in bq-demo-places.c, the options and one
 * GRand seeded with options->seed: no clock, no global random state and no
 * hash-table iteration order reach the output, so the same options give the
 * same entities, field for field.
 *
 * The story the data tells:
 *
 * - Lu-177 arrives from the reactor on Mondays and Wednesdays, so every
 *   Lu-177 line runs twice on Tuesdays and Thursdays (05:00 and 11:00 site
 *   time), each batch calibrated for noon site time the next day, when
 *   most doses are given.  A batch is sized from the region's forecast,
 *   4–10 doses, with 10 % overage on top of decay: 35–95 GBq at EOS.
 * - Ac-225 (half-life 10 d) is made once a week, on Mondays at 07:00, on a
 *   dedicated alpha isolator, calibrated for Tuesday noon.
 * - The lines work Monday to Friday, one shift (Lu-177 05:00–21:00, Ac-225
 *   06:00–18:00 site time), and are out of service a few days for
 *   maintenance; Lu-177 arrives at 08:00 and may be used for 36 hours.
 * - Doses leave 30 minutes after QC (release runs in parallel with packing:
 *   sterility takes 14 days and is still pending when the dose is given),
 *   by courier when the centre is within a day's drive, otherwise courier
 *   to the airport, a scheduled flight, courier to the centre.
 * - Relative to "now": runs whose QC ended are shipped (calibration
 *   passed) or released; one or two of them failed QC; runs under way are
 *   in synthesis or QC; the rest are planned.  Orders exist for the
 *   calibrations up to ten days ahead, shipments for the runs that reached
 *   QC, and one leg in the air (or about to leave) is running late.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include "bq-decay.h"
#include "bq-demo.h"
#include "bq-demo-private.h"
#include "bq-nuclide.h"
#include "bq-slots.h"

#define MINUTE       G_GINT64_CONSTANT (60)
#define HOUR         (60 * MINUTE)
#define DAY          (24 * HOUR)
#define WEEK         (7 * DAY)
/* 1970-01-05, the first Monday of the Unix epoch */
#define FIRST_MONDAY (4 * DAY)

/* When the options leave "now" unset: Tuesday of the third week, 07:00 UTC.
 * Petten's first Lu-177 batches of the day are then in QC (whatever the
 * season), the Chinese sites' morning doses are in the air and Fishers has
 * not started yet, so every state a planner watches is on screen. */
#define DEFAULT_NOW_OFFSET (15 * DAY + 7 * HOUR)

#define OVERAGE          1.10   /* activity made beyond decay, for losses in dispensing */
#define CAPACITY_MARGIN  1.15   /* doses planned beyond the forecast, for a failed batch */
#define PACKING_S        (30 * MINUTE)
#define RECEIPT_S        (30 * MINUTE)   /* a dose is checked in before it is given */
#define ORDER_HORIZON_S  (10 * DAY)

#define EARTH_RADIUS_KM    6371.0088
#define ROAD_FACTOR        1.3
#define ROAD_SPEED_KMH     75.0
#define COURIER_REACH_KM   800.0   /* by road: a day's drive for a courier */
#define LAST_MILE_KM       250.0   /* great circle, from an airport */
#define GROUND_HANDLING_S  (30 * MINUTE)
#define FLIGHT_SPEED_KMH   800.0
#define FLIGHT_TAXI_S      (45 * MINUTE)
#define FLIGHT_HANDLING_S  (2 * HOUR)
#define MAX_ROUTE_LEGS     3

#define N_REGIONS 3
static const char * const regions[N_REGIONS] = {
  BQ_DEMO_REGION_EUROPE,
  BQ_DEMO_REGION_NORTH_AMERICA,
  BQ_DEMO_REGION_CHINA,
};

/* Indexed by BqDemoLineProduct. */
typedef struct {
  const char *id;
  const char *short_name;          /* in forecast ids */
  const char *name;
  const char *nuclide;
  double      dose_bq;
  double      tolerance;
  double      concentration_bq_per_ml;
  gint64      shelf_life_s;
  gint64      synthesis_s;
  gint64      qc_s;
  guint       n_days;
  guint       days[2];             /* 0 = Monday, in site time */
  guint       n_starts;
  int         start_minutes[2];    /* site time */
  gint64      min_doses;
  gint64      max_doses;
  double      activity_step_bq;    /* EOS activity is rounded up to this */
  /* The recipe and the calendar of the lines that make it */
  guint       supply_weekdays;     /* bit 0 = Monday */
  int         supply_arrival_minutes;  /* site time */
  gint64      supply_window_s;
  double      max_activity_bq;     /* at EOS */
  int         shift_start_minutes; /* site time, Monday to Friday */
  int         shift_end_minutes;
  gint64      changeover_s;
} ProductSpec;

/* The Ac-225 product: 8 MBq is 100 kBq/kg for an 80 kg patient, the
 * activity of the Ac-225-PSMA-617 studies.  Its 10-day half-life loses only
 * ~7 % a day, so decay does not limit its life; radiolysis and the sterility
 * assurance of an aseptic product without preservative do.  120 h, like
 * Lu-177-PSMA, lets one Monday batch serve Tuesday to Friday anywhere a
 * flight reaches.  QC takes longer than for Lu-177 because radio-TLC is read
 * only once the short-lived daughters (Fr-221, Bi-213) are back in
 * equilibrium. */
static const ProductSpec products[] = {
  [BQ_DEMO_MAKES_LU177] = {
    "product-lu177-psma", "lu177", "Lu-177 PSMA, 7.4 GBq", "Lu-177",
    7.4e9, 0.10, 1.0e9, 120 * HOUR, 3 * HOUR, 2 * HOUR,
    2, { 1, 3 }, 2, { 5 * 60, 11 * 60 }, 4, 10, 1e8,
    0x05, 8 * 60, 36 * HOUR, 100e9, 5 * 60, 21 * 60, 1 * HOUR,
  },
  [BQ_DEMO_MAKES_AC225] = {
    "product-ac225-psma", "ac225", "Ac-225 PSMA, 8 MBq", "Ac-225",
    8.0e6, 0.10, 1.0e6, 120 * HOUR, 2 * HOUR, 3 * HOUR,
    1, { 0 }, 1, { 7 * 60 }, 4, 24, 1e5,
    0x01, 6 * 60, 0, 250e6, 6 * 60, 18 * 60, 2 * HOUR,
  },
};
#define N_PRODUCTS G_N_ELEMENTS (products)

typedef struct {
  BqLane    *lane;       /* owned by Builder.lanes */
  GTimeZone *origin_tz;  /* owned by Builder */
} DemoLane;

typedef struct {
  BqRun            *run;      /* owned by Builder.runs */
  const BqDemoLine *line;
  guint             site;
  guint             product;
  guint             week;
  gint64            dispatch; /* when the doses leave the site */
} RunInfo;

typedef struct {
  const DemoLane *lane;
  gint64          departure;
  gint64          arrival;
} RouteLeg;

typedef struct {
  guint    n_legs;
  RouteLeg legs[MAX_ROUTE_LEGS];
} Route;

typedef struct {
  gint64           start;
  gint64           now;
  guint            weeks;
  GRand           *rand;
  const BqNuclide *nuclides[N_PRODUCTS];

  GPtrArray *sites;
  GPtrArray *lines;
  GPtrArray *products;
  GPtrArray *centres;
  GPtrArray *hubs;
  GPtrArray *users;
  GPtrArray *runs;
  GPtrArray *forecasts;
  GPtrArray *qc_results;
  GPtrArray *maintenance;
  GPtrArray *lanes;
  GPtrArray *slas;
  GPtrArray *shipments;
  GPtrArray *legs;
  GPtrArray *orders;
  GPtrArray *slots;

  GPtrArray  *site_tz;      /* GTimeZone, parallel to bq_demo_sites */
  GPtrArray  *centre_tz;
  GPtrArray  *hub_tz;
  GPtrArray  *demo_lanes;   /* DemoLane, owned */
  GHashTable *lanes_from;   /* origin id → GPtrArray of DemoLane (borrowed) */
  GArray     *run_info;     /* RunInfo */
  gint64     *remaining;    /* forecast doses not yet ordered [product][week][centre] */
  gint64     *demand;       /* forecast doses [product][week][region] */
  GHashTable *patient_refs; /* set */
  GHashTable *order_counts; /* "centre-day" → orders so far */
  GHashTable *shipments_by_id;
  GPtrArray  *shipment_legs_of; /* per shipment (parallel to shipments): GPtrArray of legs */
} Builder;

/* ---------------------------------------------------------------- helpers */

static guint
region_index (const char *region)
{
  for (guint i = 0; i < N_REGIONS; i++)
    {
      if (strcmp (regions[i], region) == 0)
        return i;
    }
  g_assert_not_reached ();
  return 0;
}

/* "site-nl-pet" → "nl-pet" */
static const char *
id_suffix (const char *id)
{
  const char *dash = strchr (id, '-');

  g_assert (dash != NULL);
  return dash + 1;
}

static double
great_circle_km (double lat1,
                 double lon1,
                 double lat2,
                 double lon2)
{
  double p1 = lat1 * G_PI / 180.0;
  double p2 = lat2 * G_PI / 180.0;
  double dp = p2 - p1;
  double dl = (lon2 - lon1) * G_PI / 180.0;
  double h = sin (dp / 2) * sin (dp / 2) + cos (p1) * cos (p2) * sin (dl / 2) * sin (dl / 2);

  return 2 * EARTH_RADIUS_KM * asin (MIN (1.0, sqrt (h)));
}

/* Rounded up to whole five minutes, as a timetable would write it. */
static gint64
round_up_5min (double seconds)
{
  gint64 step = 5 * MINUTE;

  return ((gint64) ceil (seconds / step)) * step;
}

/* Days are held as the UTC midnight that starts the calendar date. */
static guint
day_weekday (gint64 day)
{
  return (guint) (((day / DAY) + 3) % 7);   /* 1970-01-01 was a Thursday; 0 = Monday */
}

/* The calendar date @t falls on in @tz. */
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

/* @minutes after midnight on @day, in @tz. */
static gint64
local_time (GTimeZone *tz,
            gint64     day,
            int        minutes)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (day);
  g_autoptr(GDateTime) local = g_date_time_new (tz,
                                                g_date_time_get_year (date),
                                                g_date_time_get_month (date),
                                                g_date_time_get_day_of_month (date),
                                                minutes / 60, minutes % 60, 0);

  return g_date_time_to_unix (local);
}

/* "20250107" */
static char *
format_day (gint64 day)
{
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (day);

  return g_date_time_format (date, "%Y%m%d");
}

static gint64
rand_minutes (GRand *rand,
              int    from,
              int    to)
{
  return g_rand_int_range (rand, from, to + 1) * MINUTE;
}

static GTimeZone *
timezone_new (const char *identifier)
{
  GTimeZone *tz = g_time_zone_new_identifier (identifier);

  /* The tables hold only identifiers tzdata knows; the tests check them. */
  g_assert (tz != NULL);
  return tz;
}

/* ------------------------------------------------------------ the places */

/* What QA needs before a dose leaves; sterility comes 14 days later. */
static const char * const release_tests[] = {
  "filter_integrity", "ph", "endotoxin", "radiochemical_purity", NULL
};

/* Monday to Friday, one shift, each line for its one product. */
static void
set_line_calendar (BqLine            *line,
                   const ProductSpec *spec)
{
  const char *product_ids[] = { spec->id, NULL };

  line->product_ids = g_strdupv ((char **) product_ids);
  line->working_weekdays = 0x1f;
  line->shift_start_local = spec->shift_start_minutes;
  line->shift_end_local = spec->shift_end_minutes;
  line->changeover_s = spec->changeover_s;
}

static void
build_places (Builder *b)
{
  for (guint i = 0; i < bq_demo_n_sites; i++)
    {
      const BqDemoSite *s = &bq_demo_sites[i];
      BqSite *site = bq_site_new ();

      site->base.id = g_strdup (s->id);
      site->name = g_strdup (s->name);
      site->organisation = g_strdup (s->organisation);
      site->city = g_strdup (s->city);
      site->country = g_strdup (s->country);
      site->timezone = g_strdup (s->timezone);
      site->latitude = s->latitude;
      site->longitude = s->longitude;
      g_ptr_array_add (b->sites, site);
      g_ptr_array_add (b->site_tz, timezone_new (s->timezone));
    }

  for (guint i = 0; i < bq_demo_n_lines; i++)
    {
      BqLine *line = bq_line_new ();

      line->base.id = g_strdup (bq_demo_lines[i].id);
      line->site_id = g_strdup (bq_demo_lines[i].site_id);
      line->name = g_strdup (bq_demo_lines[i].name);
      set_line_calendar (line, &products[bq_demo_lines[i].makes]);
      g_ptr_array_add (b->lines, line);
    }

  for (guint i = 0; i < N_PRODUCTS; i++)
    {
      const ProductSpec *spec = &products[i];
      BqProduct *product = bq_product_new ();

      product->base.id = g_strdup (spec->id);
      product->name = g_strdup (spec->name);
      product->nuclide = g_strdup (spec->nuclide);
      product->dose_activity_bq = spec->dose_bq;
      product->tolerance = spec->tolerance;
      product->concentration_bq_per_ml = spec->concentration_bq_per_ml;
      product->shelf_life_s = spec->shelf_life_s;
      product->synthesis_duration_s = spec->synthesis_s;
      product->qc_duration_s = spec->qc_s;
      product->qc_release_tests = g_strdupv ((char **) release_tests);
      product->activity_margin = OVERAGE - 1.0;
      product->supply_weekdays = spec->supply_weekdays;
      product->supply_arrival_local = spec->supply_arrival_minutes;
      product->supply_window_s = spec->supply_window_s;
      product->max_doses_per_run = spec->max_doses;
      product->max_activity_eos_bq = spec->max_activity_bq;
      /* Ordering (issue 7): Lu-177 doses are booked against centre quotas
       * until production is committed two days before calibration;
       * Ac-225 comes from a regional pool, ordered by Wednesday noon the
       * week before. */
      if (i == BQ_DEMO_MAKES_LU177)
        {
          product->order_cutoff_s = 2 * DAY;
          product->slot_offering = BQ_SLOT_OFFERING_QUOTA;
        }
      else
        {
          product->order_cutoff_s = 7 * DAY;
          product->order_cutoff_weekday = 3;
          product->order_cutoff_local = 12 * 60;
          product->hold_duration_s = 30 * MINUTE;
          product->slot_offering = BQ_SLOT_OFFERING_POOL;
        }
      g_ptr_array_add (b->products, product);
    }

  for (guint i = 0; i < bq_demo_n_centres; i++)
    {
      const BqDemoCentre *c = &bq_demo_centres[i];
      BqCentre *centre = bq_centre_new ();

      centre->base.id = g_strdup (c->id);
      centre->name = g_strdup (c->name);
      centre->city = g_strdup (c->city);
      centre->country = g_strdup (c->country);
      centre->region = g_strdup (c->region);
      centre->timezone = g_strdup (c->timezone);
      centre->latitude = c->latitude;
      centre->longitude = c->longitude;
      g_ptr_array_add (b->centres, centre);
      g_ptr_array_add (b->centre_tz, timezone_new (c->timezone));
    }

  for (guint i = 0; i < bq_demo_n_hubs; i++)
    {
      const BqDemoHub *h = &bq_demo_hubs[i];
      BqHub *hub = bq_hub_new ();
      g_autofree char *code = g_ascii_strdown (h->code, -1);

      hub->base.id = g_strconcat ("hub-", code, NULL);
      hub->code = g_strdup (h->code);
      hub->name = g_strdup (h->name);
      hub->timezone = g_strdup (h->timezone);
      hub->latitude = h->latitude;
      hub->longitude = h->longitude;
      g_ptr_array_add (b->hubs, hub);
      g_ptr_array_add (b->hub_tz, timezone_new (h->timezone));
    }
}

/* -------------------------------------------------------------- the users */

static void
build_users (Builder *b)
{
  static const struct {
    const char *username;
    const char *display_name;
    BqRole      role;
    const char *region;     /* account managers: serve centres of it */
    gboolean    handful;    /* only the first few */
  } users[] = {
    { "admin", "Sam Okafor (administrator)", BQ_ROLE_ADMIN, NULL, FALSE },
    { "planner", "Priya Raman (supply planning)", BQ_ROLE_PLANNER, NULL, FALSE },
    { "am-europe", "Lotte de Vries (account manager, Europe)", BQ_ROLE_ACCOUNT_MANAGER,
      BQ_DEMO_REGION_EUROPE, TRUE },
    { "am-na", "Marcus Bell (account manager, North America)", BQ_ROLE_ACCOUNT_MANAGER,
      BQ_DEMO_REGION_NORTH_AMERICA, FALSE },
    { "qa", "Dr Ingrid Halvorsen (qualified person)", BQ_ROLE_QA, NULL, FALSE },
    { "logistics", "Tomás Ferreira (control tower)", BQ_ROLE_LOGISTICS, NULL, FALSE },
    { "viewer", "Read-only visitor", BQ_ROLE_VIEWER, NULL, FALSE },
  };
  const guint handful = 7;

  for (guint i = 0; i < G_N_ELEMENTS (users); i++)
    {
      BqUser *user = bq_user_new ();

      user->base.id = g_strconcat ("user-", users[i].username, NULL);
      user->username = g_strdup (users[i].username);
      user->display_name = g_strdup (users[i].display_name);
      user->role = users[i].role;
      if (users[i].region != NULL)
        {
          g_autoptr(GStrvBuilder) ids = g_strv_builder_new ();
          guint n = 0;

          for (guint c = 0; c < bq_demo_n_centres; c++)
            {
              if (strcmp (bq_demo_centres[c].region, users[i].region) != 0)
                continue;
              if (users[i].handful && n == handful)
                break;
              g_strv_builder_add (ids, bq_demo_centres[c].id);
              n++;
            }
          user->centre_ids = g_strv_builder_end (ids);
        }
      g_ptr_array_add (b->users, user);
    }
}

/* -------------------------------------------------------------- the lanes */

static const char *
courier_for (const char *region)
{
  for (guint i = 0; i < bq_demo_n_couriers; i++)
    {
      if (strcmp (bq_demo_couriers[i].region, region) == 0)
        return bq_demo_couriers[i].carrier;
    }
  g_assert_not_reached ();
  return NULL;
}

static guint
hub_index (const char *code)
{
  for (guint i = 0; i < bq_demo_n_hubs; i++)
    {
      if (strcmp (bq_demo_hubs[i].code, code) == 0)
        return i;
    }
  g_assert_not_reached ();
  return 0;
}

static void
add_lane (Builder    *b,
          BqLane     *lane,
          GTimeZone  *origin_tz)
{
  DemoLane *dl = g_new0 (DemoLane, 1);
  GPtrArray *from;

  dl->lane = lane;
  dl->origin_tz = origin_tz;
  g_ptr_array_add (b->lanes, lane);
  g_ptr_array_add (b->demo_lanes, dl);

  from = g_hash_table_lookup (b->lanes_from, lane->origin_id);
  if (from == NULL)
    {
      from = g_ptr_array_new ();
      g_hash_table_insert (b->lanes_from, g_strdup (lane->origin_id), from);
    }
  g_ptr_array_add (from, dl);
}

/* An on-demand courier: road distance is the great circle times 1.3, at
 * 75 km/h, with half an hour to collect and hand over. */
static void
add_ground_lane (Builder    *b,
                 const char *origin_id,
                 const char *destination_id,
                 GTimeZone  *origin_tz,
                 const char *region,
                 double      km)
{
  BqLane *lane = bq_lane_new ();

  lane->base.id = g_strdup_printf ("lane-road-%s-%s", id_suffix (origin_id),
                                   id_suffix (destination_id));
  lane->mode = BQ_LANE_GROUND;
  lane->origin_id = g_strdup (origin_id);
  lane->destination_id = g_strdup (destination_id);
  lane->carrier = g_strdup (courier_for (region));
  lane->weekdays = 0;
  lane->departure_local = 0;
  lane->duration_s = MAX (10 * MINUTE, round_up_5min (km * ROAD_FACTOR / ROAD_SPEED_KMH * HOUR));
  lane->handling_s = GROUND_HANDLING_S;
  lane->class7_accepted = TRUE;
  add_lane (b, lane, origin_tz);
}

static void
build_lanes (Builder *b)
{
  /* Couriers from each site: to its airport, and to every centre within a
   * day's drive. */
  for (guint s = 0; s < bq_demo_n_sites; s++)
    {
      const BqDemoSite *site = &bq_demo_sites[s];
      guint h = hub_index (site->airport);
      const BqHub *hub = g_ptr_array_index (b->hubs, h);

      add_ground_lane (b, site->id, hub->base.id, g_ptr_array_index (b->site_tz, s),
                       site->region,
                       great_circle_km (site->latitude, site->longitude,
                                        hub->latitude, hub->longitude));

      for (guint c = 0; c < bq_demo_n_centres; c++)
        {
          const BqDemoCentre *centre = &bq_demo_centres[c];
          double km = great_circle_km (site->latitude, site->longitude,
                                       centre->latitude, centre->longitude);

          if (km * ROAD_FACTOR <= COURIER_REACH_KM)
            add_ground_lane (b, site->id, centre->id, g_ptr_array_index (b->site_tz, s),
                             site->region, km);
        }
    }

  /* The last mile, from each airport to the centres near it. */
  for (guint h = 0; h < bq_demo_n_hubs; h++)
    {
      const BqDemoHub *hub = &bq_demo_hubs[h];
      const BqHub *entity = g_ptr_array_index (b->hubs, h);

      for (guint c = 0; c < bq_demo_n_centres; c++)
        {
          const BqDemoCentre *centre = &bq_demo_centres[c];
          double km = great_circle_km (hub->latitude, hub->longitude,
                                       centre->latitude, centre->longitude);

          if (km <= LAST_MILE_KM)
            add_ground_lane (b, entity->base.id, centre->id, g_ptr_array_index (b->hub_tz, h),
                             hub->region, km);
        }
    }

  /* Scheduled flights: cruise at 800 km/h plus 45 minutes of taxi, climb
   * and approach; cargo is at the airport two hours before departure. */
  for (guint f = 0; f < bq_demo_n_flights; f++)
    {
      const BqDemoFlight *flight = &bq_demo_flights[f];
      guint from = hub_index (flight->origin);
      guint to = hub_index (flight->destination);
      const BqDemoHub *a = &bq_demo_hubs[from];
      const BqDemoHub *z = &bq_demo_hubs[to];
      double km = great_circle_km (a->latitude, a->longitude, z->latitude, z->longitude);
      g_autofree char *service = g_ascii_strdown (flight->service, -1);
      BqLane *lane = bq_lane_new ();

      g_strdelimit (service, " ", '-');
      lane->base.id = g_strconcat ("lane-air-", service, NULL);
      lane->mode = BQ_LANE_FLIGHT;
      lane->origin_id = g_strdup (((BqHub *) g_ptr_array_index (b->hubs, from))->base.id);
      lane->destination_id = g_strdup (((BqHub *) g_ptr_array_index (b->hubs, to))->base.id);
      lane->carrier = g_strdup (flight->carrier);
      lane->service = g_strdup (flight->service);
      lane->weekdays = flight->weekdays;
      lane->departure_local = flight->departure_local;
      lane->duration_s = round_up_5min (km / FLIGHT_SPEED_KMH * HOUR + FLIGHT_TAXI_S);
      lane->handling_s = FLIGHT_HANDLING_S;
      lane->class7_accepted = flight->class7_accepted;
      add_lane (b, lane, g_ptr_array_index (b->hub_tz, from));
    }
}

/* Each site's service level for the region it serves: two days
 * door to door (an overnight flight with a courier at both ends), and the
 * dose at the centre in time to be checked in before the window opens. */
#define SLA_DOOR_TO_DOOR_S (48 * HOUR)

static void
build_slas (Builder *b)
{
  for (guint s = 0; s < bq_demo_n_sites; s++)
    {
      const BqDemoSite *site = &bq_demo_sites[s];
      BqSla *sla = bq_sla_new ();

      sla->base.id = g_strdup_printf ("sla-%s-%s", id_suffix (site->id), site->region);
      sla->site_id = g_strdup (site->id);
      sla->region = g_strdup (site->region);
      sla->max_door_to_door_s = SLA_DOOR_TO_DOOR_S;
      sla->min_before_admin_s = RECEIPT_S;
      g_ptr_array_add (b->slas, sla);
    }
}

/* ---------------------------------------------------------------- routing */

/* The first departure of @dl that can take goods ready at @ready. */
static gint64
lane_departure (const DemoLane *dl,
                gint64          ready)
{
  const BqLane *lane = dl->lane;
  gint64 earliest = ready + lane->handling_s;
  gint64 day;

  if (lane->weekdays == 0)
    return earliest;

  day = local_day (dl->origin_tz, earliest);
  for (guint i = 0; i < 8; i++, day += DAY)
    {
      gint64 t;

      if (!(lane->weekdays & (1 << day_weekday (day))))
        continue;
      t = local_time (dl->origin_tz, day, (int) lane->departure_local);
      if (t >= earliest)
        return t;
    }
  g_assert_not_reached ();
  return earliest;
}

static void
route_search (Builder    *b,
              const char *from,
              const char *to,
              gint64      ready,
              Route      *partial,
              Route      *best)
{
  GPtrArray *lanes = g_hash_table_lookup (b->lanes_from, from);

  if (lanes == NULL || partial->n_legs == MAX_ROUTE_LEGS)
    return;

  for (guint i = 0; i < lanes->len; i++)
    {
      const DemoLane *dl = g_ptr_array_index (lanes, i);
      RouteLeg *leg = &partial->legs[partial->n_legs];

      /* Only lanes that take radioactive goods, and no way back through
       * a place already passed. */
      if (!dl->lane->class7_accepted)
        continue;
      if (partial->n_legs > 0 &&
          strcmp (dl->lane->destination_id, partial->legs[0].lane->lane->origin_id) == 0)
        continue;

      leg->lane = dl;
      leg->departure = lane_departure (dl, ready);
      leg->arrival = leg->departure + dl->lane->duration_s;
      partial->n_legs++;

      if (strcmp (dl->lane->destination_id, to) == 0)
        {
          gint64 arrival = leg->arrival;
          gint64 best_arrival = best->n_legs ? best->legs[best->n_legs - 1].arrival : G_MAXINT64;

          if (arrival < best_arrival ||
              (arrival == best_arrival && partial->n_legs < best->n_legs))
            *best = *partial;
        }
      else
        {
          route_search (b, dl->lane->destination_id, to, leg->arrival, partial, best);
        }
      partial->n_legs--;
    }
}

/* The route from @site_id to @centre_id over Class 7 lanes that arrives
 * first, for goods ready at @ready; fewer legs on a tie. */
static gboolean
find_route (Builder    *b,
            const char *site_id,
            const char *centre_id,
            gint64      ready,
            Route      *route)
{
  Route partial = { 0, };

  memset (route, 0, sizeof *route);
  route_search (b, site_id, centre_id, ready, &partial, route);
  return route->n_legs > 0;
}

/* ------------------------------------------------------------- forecasts */

static gsize
remaining_index (Builder *b,
                 guint    product,
                 guint    week,
                 guint    centre)
{
  return ((gsize) product * b->weeks + week) * bq_demo_n_centres + centre;
}

static gsize
demand_index (Builder *b,
              guint    product,
              guint    week,
              guint    region)
{
  return ((gsize) product * b->weeks + week) * N_REGIONS + region;
}

/* Each centre's mean, growing 1 % a week, with ±20 % noise. */
static void
build_forecasts (Builder *b)
{
  for (guint w = 0; w < b->weeks; w++)
    {
      gint64 week_start = b->start + w * WEEK;
      g_autofree char *day = format_day (week_start);

      for (guint c = 0; c < bq_demo_n_centres; c++)
        {
          const BqDemoCentre *centre = &bq_demo_centres[c];

          for (guint p = 0; p < N_PRODUCTS; p++)
            {
              double mean = p == BQ_DEMO_MAKES_LU177 ? centre->lu177_per_week
                                                     : centre->ac225_per_week;
              double noise;
              BqForecast *forecast;
              gint64 doses;

              if (mean <= 0)
                continue;

              noise = g_rand_double_range (b->rand, -0.2, 0.2);
              doses = MAX (0, (gint64) floor (mean * (1 + 0.01 * w) * (1 + noise) + 0.5));

              forecast = bq_forecast_new ();
              forecast->base.id = g_strdup_printf ("forecast-%s-%s-%s", id_suffix (centre->id),
                                                   products[p].short_name, day);
              forecast->centre_id = g_strdup (centre->id);
              forecast->product_id = g_strdup (products[p].id);
              forecast->week_start = week_start;
              forecast->doses = doses;
              g_ptr_array_add (b->forecasts, forecast);

              b->remaining[remaining_index (b, p, w, c)] = doses;
              b->demand[demand_index (b, p, w, region_index (centre->region))] += doses;
            }
        }
    }
}

/* ------------------------------------------------------------ maintenance */

/* A few days a line is out of service, each on a day its runs leave free
 * (Lu-177 lines run Tuesdays and Thursdays, Ac-225 isolators Mondays), so
 * the demo plan stays feasible and the planner has to work around them. */
static guint site_index (const char *site_id);

static void
build_maintenance (Builder *b)
{
  static const struct {
    const char *line_id;
    guint       week;
    guint       weekday;      /* 0 = Monday */
    int         from_minutes; /* site time */
    int         to_minutes;   /* site time, may pass midnight */
    const char *reason;
  } blocks[] = {
    { "line-nl-pet-2", 4, 2, 6 * 60, 20 * 60, "Annual hot cell requalification" },
    { "line-us-fis-1", 6, 4, 5 * 60, 36 * 60, "HEPA filter change and smoke study" },
    { "line-cn-sha-2", 3, 0, 0, 24 * 60, "Dose calibrator recalibration" },
    { "line-nl-pet-3", 5, 2, 6 * 60, 18 * 60, "Isolator glove integrity test" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (blocks); i++)
    {
      const BqDemoLine *line = NULL;
      BqMaintenanceBlock *block;
      GTimeZone *tz;
      gint64 day;

      if (blocks[i].week >= b->weeks)
        continue;
      for (guint l = 0; l < bq_demo_n_lines; l++)
        if (strcmp (bq_demo_lines[l].id, blocks[i].line_id) == 0)
          line = &bq_demo_lines[l];
      g_assert (line != NULL);

      tz = g_ptr_array_index (b->site_tz, site_index (line->site_id));
      day = b->start + blocks[i].week * WEEK + blocks[i].weekday * DAY;
      block = bq_maintenance_block_new ();
      block->base.id = g_strdup_printf ("maintenance-%s-w%u", id_suffix (line->id),
                                        blocks[i].week + 1);
      block->line_id = g_strdup (line->id);
      block->start_time = local_time (tz, day, blocks[i].from_minutes);
      block->end_time = local_time (tz, day + (blocks[i].to_minutes / (24 * 60)) * DAY,
                                    blocks[i].to_minutes % (24 * 60));
      block->reason = g_strdup (blocks[i].reason);
      g_ptr_array_add (b->maintenance, block);
    }
}

/* ------------------------------------------------------------------ runs */

static guint
site_index (const char *site_id)
{
  for (guint i = 0; i < bq_demo_n_sites; i++)
    {
      if (strcmp (bq_demo_sites[i].id, site_id) == 0)
        return i;
    }
  g_assert_not_reached ();
  return 0;
}

/* Lines of @product in @region, times runs a week on each. */
static guint
runs_per_week (guint product,
               guint region)
{
  guint n = 0;

  for (guint l = 0; l < bq_demo_n_lines; l++)
    {
      const BqDemoLine *line = &bq_demo_lines[l];
      guint s = site_index (line->site_id);

      if ((guint) line->makes == product && region_index (bq_demo_sites[s].region) == region)
        n += products[product].n_days * products[product].n_starts;
    }
  return n;
}

static BqRunStatus
run_status_at (const BqRun       *run,
               const ProductSpec *spec,
               gint64             now)
{
  if (now < run->start_time)
    return BQ_RUN_PLANNED;
  if (now < run->eos_time)
    return BQ_RUN_SYNTHESIS;
  if (now < run->eos_time + spec->qc_s)
    return BQ_RUN_QC;
  if (run->calibration_time <= now)
    return BQ_RUN_SHIPPED;
  return BQ_RUN_RELEASED;
}

static void
add_run (Builder          *b,
         const BqDemoLine *line,
         guint             site,
         guint             product,
         guint             week,
         gint64            day,
         guint             n,
         guint             seq)
{
  const ProductSpec *spec = &products[product];
  GTimeZone *tz = g_ptr_array_index (b->site_tz, site);
  guint region = region_index (bq_demo_sites[site].region);
  g_autofree char *yyyymmdd = format_day (day);
  g_autoptr(GDateTime) date = g_date_time_new_from_unix_utc (day);
  double per_run, decayed, activity;
  gint64 doses;
  RunInfo info = { 0, };
  BqRun *run = bq_run_new ();

  run->base.id = g_strdup_printf ("run-%s-%s-%u", id_suffix (line->id), yyyymmdd, n + 1);
  run->line_id = g_strdup (line->id);
  run->product_id = g_strdup (spec->id);
  run->batch = g_strdup_printf ("%s%u-%02d%02d-%02u", bq_demo_sites[site].batch_code,
                                line->number,
                                g_date_time_get_week_numbering_year (date) % 100,
                                g_date_time_get_week_of_year (date), seq);
  run->start_time = local_time (tz, day, spec->start_minutes[n]);
  run->eos_time = run->start_time + spec->synthesis_s;
  /* Noon the next day, site time: when most of the doses are given. */
  run->calibration_time = local_time (tz, day + DAY, 12 * 60);

  per_run = (double) b->demand[demand_index (b, product, week, region)] * CAPACITY_MARGIN /
            runs_per_week (product, region);
  doses = CLAMP ((gint64) ceil (per_run), spec->min_doses, spec->max_doses);
  run->dose_capacity = doses;

  /* A_eos = doses × dose × e^{λ(cal − eos)} × overage */
  decayed = bq_decay_activity_at (b->nuclides[product], 1.0,
                                  (double) (run->calibration_time - run->eos_time));
  activity = doses * spec->dose_bq * OVERAGE / decayed;
  run->activity_eos_bq = ceil (activity / spec->activity_step_bq) * spec->activity_step_bq;
  run->status = run_status_at (run, spec, b->now);

  g_ptr_array_add (b->runs, run);

  info.run = run;
  info.line = line;
  info.site = site;
  info.product = product;
  info.week = week;
  info.dispatch = run->eos_time + spec->qc_s + PACKING_S;
  g_array_append_val (b->run_info, info);
}

static void
build_runs (Builder *b)
{
  for (guint w = 0; w < b->weeks; w++)
    {
      gint64 monday = b->start + w * WEEK;

      for (guint l = 0; l < bq_demo_n_lines; l++)
        {
          const BqDemoLine *line = &bq_demo_lines[l];
          const ProductSpec *spec = &products[line->makes];
          guint site = site_index (line->site_id);
          guint seq = 1;

          for (guint d = 0; d < spec->n_days; d++)
            for (guint n = 0; n < spec->n_starts; n++)
              add_run (b, line, site, line->makes, w, monday + spec->days[d] * DAY, n, seq++);
        }
    }
}

/* One or two of the batches that finished QC failed it. */
static void
fail_some_runs (Builder *b,
                guint   *failed,
                guint   *n_failed)
{
  g_autoptr(GArray) done = g_array_new (FALSE, FALSE, sizeof (guint));

  *n_failed = 0;
  for (guint i = 0; i < b->run_info->len; i++)
    {
      const RunInfo *info = &g_array_index (b->run_info, RunInfo, i);

      if (info->product == BQ_DEMO_MAKES_LU177 &&
          (info->run->status == BQ_RUN_SHIPPED || info->run->status == BQ_RUN_RELEASED))
        g_array_append_val (done, i);
    }
  if (done->len == 0)
    return;

  failed[(*n_failed)++] = g_array_index (done, guint, g_rand_int_range (b->rand, 0, done->len));
  if (done->len >= 6)
    {
      guint second;

      do
        second = g_array_index (done, guint, g_rand_int_range (b->rand, 0, done->len));
      while (second == failed[0]);
      failed[(*n_failed)++] = second;
    }

  for (guint i = 0; i < *n_failed; i++)
    g_array_index (b->run_info, RunInfo, failed[i]).run->status = BQ_RUN_FAILED;
}

/* ------------------------------------------------------------ QC results */

typedef enum {
  FAIL_NONE,
  FAIL_PURITY,
  FAIL_FILTER,
} FailKind;

typedef struct {
  const char *test;
  const char *suffix;
  double      at;          /* fraction of the QC time after EOS; < 0: sterility */
  const char *unit;
  double      low;         /* a passing value is drawn from [low, high] */
  double      high;
  FailKind    fails_as;
  double      fail_low;
  double      fail_high;
} QcSpec;

/* Radiochemical purity ≥ 95 %; pH 4.5–7; endotoxin below 17.5 EU/mL;
 * filter bubble point ≥ 3.4 bar; sterility after 14 days' incubation,
 * so a dose is always given before its sterility is known. */
static const QcSpec qc_specs[] = {
  { "filter_integrity", "fit", 0.15, "bar", 3.6, 4.4, FAIL_FILTER, 2.0, 2.9 },
  { "ph", "ph", 0.20, NULL, 4.9, 6.1, FAIL_NONE, 0, 0 },
  { "endotoxin", "bet", 0.40, "EU/mL", 0.5, 2.5, FAIL_NONE, 0, 0 },
  { "radiochemical_purity", "rcp", 0.90, "%", 96.5, 99.6, FAIL_PURITY, 88.0, 93.5 },
  { "sterility", "ster", -1, NULL, 0, 0, FAIL_NONE, 0, 0 },
};

static double
round_to (double value,
          double step)
{
  return floor (value / step + 0.5) * step;
}

static void
build_qc_results (Builder        *b,
                  const guint    *failed,
                  guint           n_failed)
{
  for (guint i = 0; i < b->run_info->len; i++)
    {
      const RunInfo *info = &g_array_index (b->run_info, RunInfo, i);
      const ProductSpec *spec = &products[info->product];
      const BqRun *run = info->run;
      FailKind fail = FAIL_NONE;

      if (run->status == BQ_RUN_PLANNED || run->status == BQ_RUN_SYNTHESIS ||
          run->status == BQ_RUN_CANCELLED)
        continue;

      for (guint f = 0; f < n_failed; f++)
        if (failed[f] == i)
          fail = f == 0 ? FAIL_PURITY : FAIL_FILTER;

      for (guint t = 0; t < G_N_ELEMENTS (qc_specs); t++)
        {
          const QcSpec *qc = &qc_specs[t];
          BqQcResult *result = bq_qc_result_new ();
          gint64 at;

          result->base.id = g_strdup_printf ("qc-%s-%s", id_suffix (run->base.id), qc->suffix);
          result->run_id = g_strdup (run->base.id);
          result->test = g_strdup (qc->test);
          result->unit = g_strdup (qc->unit);

          if (qc->at < 0)
            at = run->eos_time + 14 * DAY;
          else
            at = run->eos_time + (gint64) (qc->at * spec->qc_s);

          if (at > b->now)
            {
              /* Registered when the sample was drawn; no value yet. */
              result->status = BQ_QC_PENDING;
              result->recorded_at = run->eos_time;
            }
          else if (qc->at < 0)
            {
              result->status = BQ_QC_PASS;
              result->recorded_at = at;
            }
          else if (fail != FAIL_NONE && fail == qc->fails_as)
            {
              result->status = BQ_QC_FAIL;
              result->value = round_to (g_rand_double_range (b->rand, qc->fail_low, qc->fail_high), 0.1);
              result->recorded_at = at;
            }
          else
            {
              result->status = BQ_QC_PASS;
              result->value = round_to (g_rand_double_range (b->rand, qc->low, qc->high), 0.1);
              result->recorded_at = at;
            }
          g_ptr_array_add (b->qc_results, result);
        }
    }
}

/* ------------------------------------------------- orders and shipments */

static char *
new_patient_ref (Builder *b)
{
  static const char alphabet[] = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ";

  for (;;)
    {
      char ref[9] = "PT-";
      gboolean has_digit = FALSE;

      for (guint i = 0; i < 5; i++)
        {
          char c = alphabet[g_rand_int_range (b->rand, 0, sizeof alphabet - 1)];

          has_digit |= g_ascii_isdigit (c);
          ref[3 + i] = c;
        }
      ref[8] = '\0';
      if (has_digit && !g_hash_table_contains (b->patient_refs, ref))
        {
          g_hash_table_add (b->patient_refs, g_strdup (ref));
          return g_strdup (ref);
        }
    }
}

/* The first working-day window (09:00–13:00 or 13:00–17:00, centre time)
 * that starts after the dose is checked in, ends after calibration and
 * starts within the shelf life. */
static gboolean
choose_admin_window (GTimeZone *tz,
                     gint64     arrival,
                     gint64     calibration,
                     gint64     shelf_life_s,
                     gboolean   afternoon_first,
                     gint64    *start,
                     gint64    *end)
{
  gint64 day = local_day (tz, arrival);

  for (guint i = 0; i < 7; i++, day += DAY)
    {
      if (day_weekday (day) >= 5)
        continue;
      for (guint k = 0; k < 2; k++)
        {
          gboolean afternoon = (k == 0) == afternoon_first;
          gint64 s = local_time (tz, day, afternoon ? 13 * 60 : 9 * 60);
          gint64 e = s + 4 * HOUR;

          if (s < arrival + RECEIPT_S || e < calibration)
            continue;
          if (s > calibration + shelf_life_s)
            return FALSE;
          *start = s;
          *end = e;
          return TRUE;
        }
    }
  return FALSE;
}

static BqShipment *
add_shipment (Builder       *b,
              const RunInfo *info,
              const BqCentre *centre,
              const Route   *route)
{
  BqShipment *shipment = bq_shipment_new ();
  GPtrArray *legs = g_ptr_array_new ();

  shipment->base.id = g_strdup_printf ("ship-%s-%s", id_suffix (info->run->base.id),
                                       id_suffix (centre->base.id));
  shipment->run_id = g_strdup (info->run->base.id);
  shipment->centre_id = g_strdup (centre->base.id);
  shipment->planned_departure = route->legs[0].departure;
  shipment->planned_arrival = route->legs[route->n_legs - 1].arrival;
  shipment->status = BQ_SHIPMENT_PLANNED;

  for (guint i = 0; i < route->n_legs; i++)
    {
      const RouteLeg *r = &route->legs[i];
      BqShipmentLeg *leg = bq_shipment_leg_new ();
      gint64 departed = r->departure + rand_minutes (b->rand, 0, 10);
      gint64 arrived = r->arrival + rand_minutes (b->rand, -10, 15);

      leg->base.id = g_strdup_printf ("leg-%s-%s-%u", id_suffix (info->run->base.id),
                                      id_suffix (centre->base.id), i);
      leg->shipment_id = g_strdup (shipment->base.id);
      leg->seq = i;
      leg->lane_id = g_strdup (r->lane->lane->base.id);
      leg->planned_departure = r->departure;
      leg->planned_arrival = r->arrival;
      /* A leg that left late does not make up more than a few minutes. */
      arrived = MAX (arrived, departed + r->lane->lane->duration_s - 5 * MINUTE);
      if (arrived <= b->now)
        {
          leg->actual_departure = departed;
          leg->actual_arrival = arrived;
          leg->status = BQ_LEG_ARRIVED;
        }
      else if (departed <= b->now)
        {
          leg->actual_departure = departed;
          leg->status = BQ_LEG_DEPARTED;
        }
      else
        {
          leg->status = BQ_LEG_PLANNED;
        }
      g_ptr_array_add (b->legs, leg);
      g_ptr_array_add (legs, leg);
    }

  g_ptr_array_add (b->shipments, shipment);
  g_ptr_array_add (b->shipment_legs_of, legs);
  g_hash_table_insert (b->shipments_by_id, shipment->base.id, shipment);
  return shipment;
}

static void
add_order (Builder          *b,
           const RunInfo    *info,
           guint             c,
           const BqShipment *shipment,
           gint64            admin_start,
           gint64            admin_end)
{
  const ProductSpec *spec = &products[info->product];
  const BqCentre *centre = g_ptr_array_index (b->centres, c);
  g_autofree char *day = format_day (local_day (g_ptr_array_index (b->centre_tz, c), admin_start));
  g_autofree char *key = g_strdup_printf ("%s-%s", id_suffix (centre->base.id), day);
  guint n = GPOINTER_TO_UINT (g_hash_table_lookup (b->order_counts, key)) + 1;
  BqOrder *order = bq_order_new ();

  order->base.id = g_strdup_printf ("order-%s-%u", key, n);
  g_hash_table_insert (b->order_counts, g_steal_pointer (&key), GUINT_TO_POINTER (n));
  order->centre_id = g_strdup (centre->base.id);
  order->product_id = g_strdup (spec->id);
  order->patient_ref = new_patient_ref (b);
  order->prescribed_activity_bq = spec->dose_bq;
  order->admin_start = admin_start;
  order->admin_end = admin_end;
  order->run_id = g_strdup (info->run->base.id);
  order->shipment_id = shipment ? g_strdup (shipment->base.id) : NULL;
  /* Orders come in about two weeks ahead and are confirmed within a day:
   * a few of the later ones are still waiting. */
  order->status = BQ_ORDER_CONFIRMED;
  if (g_rand_double (b->rand) < 0.3 && info->run->calibration_time > b->now + 5 * DAY)
    order->status = BQ_ORDER_REQUESTED;
  g_ptr_array_add (b->orders, order);
}

static void
build_orders_for_run (Builder       *b,
                      const RunInfo *info)
{
  const BqRun *run = info->run;
  const ProductSpec *spec = &products[info->product];
  const BqDemoSite *site = &bq_demo_sites[info->site];
  g_autofree guint *counts = g_new0 (guint, bq_demo_n_centres);
  gboolean ships = run->status == BQ_RUN_QC || run->status == BQ_RUN_RELEASED ||
                   run->status == BQ_RUN_SHIPPED;
  double fill;
  gint64 wanted;

  if (run->status == BQ_RUN_FAILED || run->status == BQ_RUN_CANCELLED)
    return;

  fill = run->calibration_time <= b->now ? g_rand_double_range (b->rand, 0.65, 0.95)
                                         : g_rand_double_range (b->rand, 0.45, 0.85);
  wanted = (gint64) floor (run->dose_capacity * fill + 0.5);

  /* Patients for this batch, drawn from the centres of its region in
   * proportion to what they still have forecast that week. */
  for (gint64 i = 0; i < wanted; i++)
    {
      gint64 total = 0;
      gint64 pick;

      for (guint c = 0; c < bq_demo_n_centres; c++)
        if (strcmp (bq_demo_centres[c].region, site->region) == 0)
          total += b->remaining[remaining_index (b, info->product, info->week, c)];
      if (total == 0)
        break;

      pick = g_rand_int_range (b->rand, 0, (gint32) total);
      for (guint c = 0; c < bq_demo_n_centres; c++)
        {
          gint64 *left = &b->remaining[remaining_index (b, info->product, info->week, c)];

          if (strcmp (bq_demo_centres[c].region, site->region) != 0)
            continue;
          if (pick < *left)
            {
              (*left)--;
              counts[c]++;
              break;
            }
          pick -= *left;
        }
    }

  for (guint c = 0; c < bq_demo_n_centres; c++)
    {
      const BqCentre *centre = g_ptr_array_index (b->centres, c);
      GTimeZone *tz = g_ptr_array_index (b->centre_tz, c);
      BqShipment *shipment = NULL;
      Route route;
      gint64 arrival;

      if (counts[c] == 0)
        continue;

      if (!find_route (b, site->id, centre->base.id, info->dispatch, &route))
        {
          b->remaining[remaining_index (b, info->product, info->week, c)] += counts[c];
          continue;
        }
      arrival = route.legs[route.n_legs - 1].arrival;
      if (ships)
        shipment = add_shipment (b, info, centre, &route);

      for (guint k = 0; k < counts[c]; k++)
        {
          gint64 admin_start, admin_end;

          if (!choose_admin_window (tz, arrival, run->calibration_time, spec->shelf_life_s,
                                    g_rand_boolean (b->rand), &admin_start, &admin_end))
            continue;
          add_order (b, info, c, shipment, admin_start, admin_end);
        }
    }
}

/* One leg running late: a flight in the air if there is one, else any leg
 * under way, else one due to leave within the day. */
static void
make_one_leg_late (Builder *b)
{
  BqShipmentLeg *late = NULL;
  guint late_shipment = 0;

  for (guint pass = 0; pass < 3 && late == NULL; pass++)
    {
      for (guint s = 0; s < b->shipments->len && late == NULL; s++)
        {
          GPtrArray *legs = g_ptr_array_index (b->shipment_legs_of, s);

          for (guint i = 0; i < legs->len; i++)
            {
              BqShipmentLeg *leg = g_ptr_array_index (legs, i);
              gboolean flight = g_str_has_prefix (leg->lane_id, "lane-air-");
              gboolean match;

              if (pass == 0)
                match = leg->status == BQ_LEG_DEPARTED && flight;
              else if (pass == 1)
                match = leg->status == BQ_LEG_DEPARTED;
              else
                match = leg->status == BQ_LEG_PLANNED && leg->planned_departure >= b->now &&
                        leg->planned_departure < b->now + DAY &&
                        (i == 0 || ((BqShipmentLeg *) g_ptr_array_index (legs, i - 1))->status
                                   == BQ_LEG_ARRIVED);
              if (match)
                {
                  late = leg;
                  late_shipment = s;
                  break;
                }
            }
        }
    }
  if (late == NULL)
    return;

  /* Held for 95 minutes: it left late, or has not left yet. */
  late->status = BQ_LEG_LATE;
  late->actual_arrival = BQ_TIME_UNSET;
  late->actual_departure = late->planned_departure + 95 * MINUTE <= b->now
                           ? late->planned_departure + 95 * MINUTE : BQ_TIME_UNSET;
  ((BqShipment *) g_ptr_array_index (b->shipments, late_shipment))->status = BQ_SHIPMENT_LATE;
}

static void
finish_shipments (Builder *b)
{
  for (guint s = 0; s < b->shipments->len; s++)
    {
      BqShipment *shipment = g_ptr_array_index (b->shipments, s);
      GPtrArray *legs = g_ptr_array_index (b->shipment_legs_of, s);
      const BqShipmentLeg *first = g_ptr_array_index (legs, 0);
      const BqShipmentLeg *last = g_ptr_array_index (legs, legs->len - 1);

      shipment->actual_departure = first->actual_departure;
      if (shipment->status == BQ_SHIPMENT_LATE)
        continue;
      if (last->status == BQ_LEG_ARRIVED)
        {
          shipment->status = BQ_SHIPMENT_DELIVERED;
          shipment->actual_arrival = last->actual_arrival;
        }
      else if (first->actual_departure != BQ_TIME_UNSET)
        {
          shipment->status = BQ_SHIPMENT_IN_TRANSIT;
        }
    }

  for (guint i = 0; i < b->orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (b->orders, i);
      const BqShipment *shipment = order->shipment_id
        ? g_hash_table_lookup (b->shipments_by_id, order->shipment_id) : NULL;

      if (shipment == NULL)
        continue;
      if (shipment->status == BQ_SHIPMENT_DELIVERED && order->admin_end <= b->now)
        order->status = BQ_ORDER_ADMINISTERED;
      else if (shipment->actual_departure != BQ_TIME_UNSET)
        order->status = BQ_ORDER_SHIPPED;
    }
}

static void
build_orders (Builder *b)
{
  for (guint i = 0; i < b->run_info->len; i++)
    {
      const RunInfo *info = &g_array_index (b->run_info, RunInfo, i);

      if (info->run->calibration_time < b->now + ORDER_HORIZON_S)
        build_orders_for_run (b, info);
    }
  make_one_leg_late (b);
  finish_shipments (b);
}

/* ------------------------------------------------------------------ slots */

/* 00:00 UTC of the local calendar date of @t. */
static gint64
date_of (GTimeZone *tz,
         gint64     t)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t);
  g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, tz);
  g_autoptr(GDateTime) date = g_date_time_new_utc (g_date_time_get_year (local),
                                                   g_date_time_get_month (local),
                                                   g_date_time_get_day_of_month (local),
                                                   0, 0, 0);
  return g_date_time_to_unix (date);
}

static BqSlot *
add_slot (Builder       *b,
          const RunInfo *info,
          const BqCentre *centre,
          gint64         delivery_date,
          gint64         capacity,
          GPtrArray     *orders)    /* the orders it holds, or NULL */
{
  const BqProduct *product = g_ptr_array_index (b->products, info->product);
  const BqDemoSite *site = &bq_demo_sites[info->site];
  const BqRun *run = info->run;
  BqSlot *slot = bq_slot_new ();
  gboolean requested = FALSE;

  /* The ids bq_slot_engine_reconcile_run() gives, so it adopts these. */
  slot->base.id = centre != NULL
                  ? g_strdup_printf ("slot-%s-%s", run->base.id, centre->base.id)
                  : g_strdup_printf ("slot-%s-pool-%s", run->base.id, site->region);
  slot->run_id = g_strdup (run->base.id);
  slot->centre_id = centre != NULL ? g_strdup (centre->base.id) : NULL;
  slot->region = g_strdup (centre != NULL ? centre->region : site->region);
  slot->delivery_date = delivery_date;
  slot->capacity = capacity;
  slot->order_cutoff = bq_slot_cutoff (product, centre, site->timezone, run->calibration_time);
  for (guint i = 0; orders != NULL && i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);

      g_free (order->slot_id);
      order->slot_id = g_strdup (slot->base.id);
      requested |= order->status == BQ_ORDER_REQUESTED;
      slot->claimed++;
    }
  if (run->status == BQ_RUN_FAILED || run->status == BQ_RUN_CANCELLED)
    slot->status = BQ_SLOT_RELEASED;
  else if (run->status == BQ_RUN_SHIPPED)
    slot->status = BQ_SLOT_SHIPPED;
  else if (slot->claimed == 0)
    slot->status = BQ_SLOT_OPEN;
  else
    slot->status = requested ? BQ_SLOT_CLAIMED : BQ_SLOT_CONFIRMED;
  g_ptr_array_add (b->slots, slot);
  return slot;
}

/* Every run's capacity as slots: Lu-177 as quotas for the centres that
 * ordered or forecast it (three quarters of the run by forecast, never
 * fewer than ordered) and the rest in the site region's pool; Ac-225 as
 * the pool only.  Orders claim a dose of their centre's quota, or of the
 * pool, so slot.claimed counts them exactly. */
static void
build_slots (Builder *b)
{
  g_autoptr(GHashTable) by_run = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                        (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GHashTable) forecast = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  for (guint i = 0; i < b->orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (b->orders, i);
      GPtrArray *list;

      if (order->run_id == NULL || order->status == BQ_ORDER_CANCELLED)
        continue;
      list = g_hash_table_lookup (by_run, order->run_id);
      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (by_run, order->run_id, list);
        }
      g_ptr_array_add (list, order);
    }
  for (guint i = 0; i < b->forecasts->len; i++)
    {
      const BqForecast *f = g_ptr_array_index (b->forecasts, i);

      g_hash_table_insert (forecast,
                           g_strdup_printf ("%s|%s|%" G_GINT64_FORMAT, f->centre_id,
                                            f->product_id, f->week_start),
                           GINT_TO_POINTER ((int) f->doses));
    }

  for (guint r = 0; r < b->run_info->len; r++)
    {
      const RunInfo *info = &g_array_index (b->run_info, RunInfo, r);
      const BqRun *run = info->run;
      const BqProduct *product = g_ptr_array_index (b->products, info->product);
      const BqDemoSite *site = &bq_demo_sites[info->site];
      GTimeZone *site_tz = g_ptr_array_index (b->site_tz, info->site);
      GPtrArray *orders = g_hash_table_lookup (by_run, run->base.id);
      gint64 pool_date = date_of (site_tz, run->calibration_time);
      gint64 week = b->start + info->week * WEEK;
      gint64 given = 0, weight_total = 0;
      g_autofree gint64 *weights = g_new0 (gint64, b->centres->len);
      g_autofree gint64 *quota = g_new0 (gint64, b->centres->len);
      g_autofree gint64 *ordered = g_new0 (gint64, b->centres->len);
      g_autofree gint64 *first_admin = g_new0 (gint64, b->centres->len);
      g_autoptr(GPtrArray) pool_orders = g_ptr_array_new ();

      if (product->slot_offering == BQ_SLOT_OFFERING_POOL ||
          run->status == BQ_RUN_FAILED || run->status == BQ_RUN_CANCELLED)
        {
          add_slot (b, info, NULL, pool_date, MAX (run->dose_capacity, orders ? orders->len : 0),
                    orders);
          continue;
        }

      for (guint c = 0; c < b->centres->len; c++)
        {
          const BqCentre *centre = g_ptr_array_index (b->centres, c);
          g_autofree char *key = NULL;

          if (strcmp (centre->region, site->region) != 0)
            continue;
          key = g_strdup_printf ("%s|%s|%" G_GINT64_FORMAT, centre->base.id, product->base.id,
                                 week);
          weights[c] = GPOINTER_TO_INT (g_hash_table_lookup (forecast, key));
          weight_total += weights[c];
        }
      for (guint i = 0; orders != NULL && i < orders->len; i++)
        {
          const BqOrder *order = g_ptr_array_index (orders, i);

          for (guint c = 0; c < b->centres->len; c++)
            if (strcmp (((BqCentre *) g_ptr_array_index (b->centres, c))->base.id,
                        order->centre_id) == 0)
              {
                if (ordered[c]++ == 0 || order->admin_start < first_admin[c])
                  first_admin[c] = order->admin_start;
                break;
              }
        }
      for (guint c = 0; c < b->centres->len; c++)
        {
          if (weight_total > 0)
            quota[c] = (gint64) floor (0.75 * run->dose_capacity * weights[c] / weight_total);
          quota[c] = MAX (quota[c], ordered[c]);
          given += quota[c];
        }
      /* Orders come first; trim the forecast shares that do not fit. */
      for (guint c = 0; given > run->dose_capacity && c < b->centres->len; c++)
        {
          gint64 spare = MIN (quota[c] - ordered[c], given - run->dose_capacity);

          quota[c] -= spare;
          given -= spare;
        }
      for (guint c = 0; c < b->centres->len; c++)
        {
          const BqCentre *centre = g_ptr_array_index (b->centres, c);
          g_autoptr(GPtrArray) mine = g_ptr_array_new ();

          if (quota[c] == 0)
            continue;
          for (guint i = 0; orders != NULL && i < orders->len; i++)
            if (strcmp (((BqOrder *) g_ptr_array_index (orders, i))->centre_id,
                        centre->base.id) == 0)
              g_ptr_array_add (mine, g_ptr_array_index (orders, i));
          add_slot (b, info, centre,
                    ordered[c] > 0 ? date_of (g_ptr_array_index (b->centre_tz, c), first_admin[c])
                                   : pool_date,
                    quota[c], mine);
        }
      if (run->dose_capacity > given)
        add_slot (b, info, NULL, pool_date, run->dose_capacity - given, pool_orders);
    }
}

/* ----------------------------------------------------------------- public */

gint64
bq_demo_week_start (gint64 unix_utc)
{
  gint64 offset = (unix_utc - FIRST_MONDAY) % WEEK;

  if (offset < 0)
    offset += WEEK;
  return unix_utc - offset;
}

void
bq_demo_options_init_default (BqDemoOptions *options)
{
  g_return_if_fail (options != NULL);

  options->seed = 1;
  options->start = bq_demo_week_start (g_get_real_time () / G_USEC_PER_SEC) - 2 * WEEK;
  options->weeks = 12;
  options->now = BQ_TIME_UNSET;
}

static void
builder_init (Builder             *b,
              const BqDemoOptions *options)
{
  memset (b, 0, sizeof *b);

  /* A start inside a week means that week. */
  b->start = bq_demo_week_start (options->start);
  b->weeks = options->weeks;
  b->now = options->now != BQ_TIME_UNSET ? options->now : b->start + DEFAULT_NOW_OFFSET;
  b->rand = g_rand_new_with_seed (options->seed);

  for (guint p = 0; p < N_PRODUCTS; p++)
    {
      b->nuclides[p] = bq_nuclide_lookup (products[p].nuclide, NULL);
      g_assert (b->nuclides[p] != NULL);
    }

  b->sites = g_ptr_array_new_with_free_func (bq_entity_free);
  b->lines = g_ptr_array_new_with_free_func (bq_entity_free);
  b->products = g_ptr_array_new_with_free_func (bq_entity_free);
  b->centres = g_ptr_array_new_with_free_func (bq_entity_free);
  b->hubs = g_ptr_array_new_with_free_func (bq_entity_free);
  b->users = g_ptr_array_new_with_free_func (bq_entity_free);
  b->runs = g_ptr_array_new_with_free_func (bq_entity_free);
  b->forecasts = g_ptr_array_new_with_free_func (bq_entity_free);
  b->qc_results = g_ptr_array_new_with_free_func (bq_entity_free);
  b->maintenance = g_ptr_array_new_with_free_func (bq_entity_free);
  b->lanes = g_ptr_array_new_with_free_func (bq_entity_free);
  b->slas = g_ptr_array_new_with_free_func (bq_entity_free);
  b->shipments = g_ptr_array_new_with_free_func (bq_entity_free);
  b->legs = g_ptr_array_new_with_free_func (bq_entity_free);
  b->orders = g_ptr_array_new_with_free_func (bq_entity_free);
  b->slots = g_ptr_array_new_with_free_func (bq_entity_free);

  b->site_tz = g_ptr_array_new_with_free_func ((GDestroyNotify) g_time_zone_unref);
  b->centre_tz = g_ptr_array_new_with_free_func ((GDestroyNotify) g_time_zone_unref);
  b->hub_tz = g_ptr_array_new_with_free_func ((GDestroyNotify) g_time_zone_unref);
  b->demo_lanes = g_ptr_array_new_with_free_func (g_free);
  b->lanes_from = g_hash_table_new_full (g_str_hash, g_str_equal, g_free,
                                         (GDestroyNotify) g_ptr_array_unref);
  b->run_info = g_array_new (FALSE, TRUE, sizeof (RunInfo));
  b->remaining = g_new0 (gint64, N_PRODUCTS * b->weeks * bq_demo_n_centres);
  b->demand = g_new0 (gint64, N_PRODUCTS * b->weeks * N_REGIONS);
  b->patient_refs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->order_counts = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  b->shipments_by_id = g_hash_table_new (g_str_hash, g_str_equal);
  b->shipment_legs_of = g_ptr_array_new_with_free_func ((GDestroyNotify) g_ptr_array_unref);
}

/* Moves the entities into one array, in load order, and frees the rest. */
static GPtrArray *
builder_finish (Builder *b)
{
  GPtrArray *all = g_ptr_array_new_with_free_func (bq_entity_free);
  GPtrArray **parts[] = {
    &b->sites, &b->lines, &b->products, &b->centres, &b->hubs, &b->users,
    &b->runs, &b->forecasts, &b->maintenance, &b->qc_results, &b->slots, &b->lanes, &b->slas,
    &b->shipments, &b->legs, &b->orders,
  };

  /* The helpers point into the entities: free them first. */
  g_clear_pointer (&b->shipments_by_id, g_hash_table_unref);
  g_clear_pointer (&b->shipment_legs_of, g_ptr_array_unref);
  g_clear_pointer (&b->lanes_from, g_hash_table_unref);
  g_clear_pointer (&b->demo_lanes, g_ptr_array_unref);
  g_clear_pointer (&b->run_info, g_array_unref);

  for (guint i = 0; i < G_N_ELEMENTS (parts); i++)
    {
      g_ptr_array_extend_and_steal (all, *parts[i]);
      *parts[i] = NULL;
    }

  g_clear_pointer (&b->site_tz, g_ptr_array_unref);
  g_clear_pointer (&b->centre_tz, g_ptr_array_unref);
  g_clear_pointer (&b->hub_tz, g_ptr_array_unref);
  g_clear_pointer (&b->remaining, g_free);
  g_clear_pointer (&b->demand, g_free);
  g_clear_pointer (&b->patient_refs, g_hash_table_unref);
  g_clear_pointer (&b->order_counts, g_hash_table_unref);
  g_clear_pointer (&b->rand, g_rand_free);
  return all;
}

GPtrArray *
bq_demo_build (const BqDemoOptions *options)
{
  Builder b;
  guint failed[2];
  guint n_failed;

  g_return_val_if_fail (options != NULL, NULL);
  g_return_val_if_fail (options->weeks > 0 && options->weeks <= 520, NULL);
  g_return_val_if_fail (options->start >= 0, NULL);

  builder_init (&b, options);
  build_places (&b);
  build_users (&b);
  build_lanes (&b);
  build_slas (&b);
  build_forecasts (&b);
  build_maintenance (&b);
  build_runs (&b);
  fail_some_runs (&b, failed, &n_failed);
  build_qc_results (&b, failed, n_failed);
  build_orders (&b);
  build_slots (&b);
  return builder_finish (&b);
}

gboolean
bq_demo_generate (BqStore             *store,
                  const BqDemoOptions *options,
                  GError             **error)
{
  g_autoptr(GPtrArray) entities = NULL;
  const BqEntityType * const *types;
  guint n_types;

  g_return_val_if_fail (BQ_IS_STORE (store), FALSE);
  g_return_val_if_fail (options != NULL, FALSE);
  g_return_val_if_fail (options->weeks > 0 && options->weeks <= 520, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  /* The demo's ids would collide with, or quietly overwrite, what a store
   * already holds. */
  types = bq_entity_types (&n_types);
  for (guint i = 0; i < n_types; i++)
    {
      GError *local_error = NULL;
      gint64 n = bq_store_count (store, types[i], &local_error);

      if (local_error != NULL)
        {
          g_propagate_error (error, local_error);
          return FALSE;
        }
      if (n > 0)
        {
          g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_CONSTRAINT,
                       "The store already holds %" G_GINT64_FORMAT " %s; "
                       "the demo network goes only into an empty store",
                       n, types[i]->plural);
          return FALSE;
        }
    }

  entities = bq_demo_build (options);
  return bq_store_put_many (store, entities, error);
}
