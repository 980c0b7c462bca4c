/* bq-demo-private.h — the real places behind the demo network
 *
 * Static tables shared by bq-demo.c and bq-demo-places.c.  Coordinates are
 * WGS 84 degrees to about 0.01° (a hospital campus, an airport's runways);
 * time zones are IANA identifiers.  The manufacturers are fictional; the
 * hospitals and airports are real.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* Region names as BqCentre.region holds them. */
#define BQ_DEMO_REGION_EUROPE        "europe"
#define BQ_DEMO_REGION_NORTH_AMERICA "north_america"
#define BQ_DEMO_REGION_CHINA         "china"

typedef struct {
  const char *id;            /* "site-nl-pet" */
  const char *name;
  const char *organisation;  /* the (fictional) CDMO */
  const char *city;
  const char *country;       /* ISO 3166-1 alpha-2 */
  const char *region;        /* the centres it serves */
  const char *timezone;
  double      latitude;
  double      longitude;
  const char *batch_code;    /* first letters of its batch numbers: "NLP" */
  const char *airport;       /* IATA code of the hub its couriers drive to */
} BqDemoSite;

typedef enum {
  BQ_DEMO_MAKES_LU177,
  BQ_DEMO_MAKES_AC225,
} BqDemoLineProduct;

typedef struct {
  const char        *id;       /* "line-nl-pet-1" */
  const char        *site_id;
  guint              number;   /* within the site; part of the batch number */
  const char        *name;
  BqDemoLineProduct  makes;
} BqDemoLine;

typedef struct {
  const char *id;             /* "centre-de-muc-tum" */
  const char *name;
  const char *city;
  const char *country;
  const char *region;
  const char *timezone;
  double      latitude;
  double      longitude;
  double      lu177_per_week; /* mean Lu-177 doses a week */
  double      ac225_per_week; /* mean Ac-225 doses a week; 0 = does not treat with it */
} BqDemoCentre;

typedef struct {
  const char *code;           /* IATA; the hub id is "hub-" + lower-case code */
  const char *name;
  const char *region;
  const char *timezone;
  double      latitude;
  double      longitude;
} BqDemoHub;

/* One scheduled flight, leaving every weekday in @weekdays. */
typedef struct {
  const char *origin;          /* IATA */
  const char *destination;     /* IATA */
  const char *carrier;
  const char *service;         /* flight number, unique in the table */
  guint8      weekdays;        /* bit 0 = Monday … bit 6 = Sunday */
  guint16     departure_local; /* minutes after local midnight at the origin */
  gboolean    class7_accepted;
} BqDemoFlight;

/* The ground courier that works a region. */
typedef struct {
  const char *region;
  const char *carrier;
} BqDemoCourier;

extern const BqDemoSite    bq_demo_sites[];
extern const guint         bq_demo_n_sites;
extern const BqDemoLine    bq_demo_lines[];
extern const guint         bq_demo_n_lines;
extern const BqDemoCentre  bq_demo_centres[];
extern const guint         bq_demo_n_centres;
extern const BqDemoHub     bq_demo_hubs[];
extern const guint         bq_demo_n_hubs;
extern const BqDemoFlight  bq_demo_flights[];
extern const guint         bq_demo_n_flights;
extern const BqDemoCourier bq_demo_couriers[];
extern const guint         bq_demo_n_couriers;

G_END_DECLS
