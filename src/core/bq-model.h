/* bq-model.h — the domain entities of DESIGN.md
 *
 * Every entity is a plain struct whose first member is a BqEntity header
 * pointing at its BqEntityType.  The type describes each field once (name,
 * C type, offset, constraints); JSON codecs, validation and the SQLite
 * store are all driven by that one description, so a field added here is
 * added everywhere.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* ------------------------------------------------------------------ errors */

#define BQ_MODEL_ERROR (bq_model_error_quark ())

typedef enum {
  BQ_MODEL_ERROR_MALFORMED,      /* not JSON, or not an object */
  BQ_MODEL_ERROR_MISSING_FIELD,  /* a required field is absent or null */
  BQ_MODEL_ERROR_WRONG_TYPE,     /* e.g. a string where a number belongs */
  BQ_MODEL_ERROR_UNKNOWN_FIELD,  /* a field the entity does not have */
  BQ_MODEL_ERROR_BAD_ENUM,       /* a value outside the field's enumeration */
  BQ_MODEL_ERROR_OUT_OF_RANGE,   /* negative activity, zero capacity, … */
  BQ_MODEL_ERROR_INVALID,        /* a rule across fields: end before start, … */
} BqModelError;

GQuark      bq_model_error_quark     (void);
/* The field a BQ_MODEL_ERROR is about, or NULL when it is not about one. */
const char *bq_model_error_get_field (const GError *error);
/* Sets a BQ_MODEL_ERROR about @field; the message is prefixed with it. */
void        bq_model_set_error       (GError    **error,
                                      BqModelError code,
                                      const char *field,
                                      const char *format,
                                      ...) G_GNUC_PRINTF (4, 5);

/* ------------------------------------------------------------------ fields */

/* Optional time fields hold this when unset (null in JSON, NULL in SQL). */
#define BQ_TIME_UNSET G_MININT64

typedef enum {
  BQ_FIELD_STRING,   /* char *; JSON string */
  BQ_FIELD_INT,      /* gint64; JSON integer */
  BQ_FIELD_DOUBLE,   /* double; JSON number; optional ones hold NAN when unset */
  BQ_FIELD_BOOL,     /* gboolean; JSON boolean */
  BQ_FIELD_TIME,     /* gint64 UTC seconds; JSON ISO 8601 string "…Z"; SQL INTEGER */
  BQ_FIELD_ENUM,     /* int; JSON string, one of enum_nicks; SQL TEXT */
  BQ_FIELD_STRV,     /* char ** NULL-terminated; JSON array of strings; SQL JSON text */
} BqFieldType;

typedef enum {
  BQ_FIELD_REQUIRED     = 1 << 0,  /* must be present and not null in JSON */
  BQ_FIELD_NON_NEGATIVE = 1 << 1,  /* numbers: >= 0 */
  BQ_FIELD_POSITIVE     = 1 << 2,  /* numbers: > 0 */
  BQ_FIELD_SERVER       = 1 << 3,  /* set by the store/server (id when empty, revision);
                                      accepted in JSON but never required */
  BQ_FIELD_FRACTION     = 1 << 4,  /* doubles: within [0, 1] */
} BqFieldFlags;

typedef struct {
  const char         *name;        /* JSON member and SQL column */
  BqFieldType         type;
  BqFieldFlags        flags;
  gsize               offset;      /* in the entity struct */
  const char * const *enum_nicks;  /* ENUM: NULL-terminated, index = C value */
  const char         *references;  /* name of the entity type this id refers to, or NULL */
} BqField;

typedef struct _BqEntityType BqEntityType;

struct _BqEntityType {
  const char    *name;       /* "run": the kind in the change feed */
  const char    *plural;     /* "runs": the SQL table and API collection */
  gsize          size;       /* sizeof the struct */
  const BqField *fields;     /* "id" first and "revision" second in every type */
  guint          n_fields;
  /* Rules across fields (end after start, …); field rules are checked
   * before.  May be NULL. */
  gboolean     (*validate) (gconstpointer entity, GError **error);
};

/* The header of every entity struct. */
typedef struct {
  const BqEntityType *type;
  char               *id;        /* stable, unique within the type */
  gint64              revision;  /* global revision of the last change; 0 = never stored */
} BqEntity;

#define BQ_ENTITY(p) ((BqEntity *) (p))

/* Every entity type, parents before children (the order to load them in). */
const BqEntityType * const *bq_entity_types        (guint *n_types);
/* By name ("run") or plural ("runs"); NULL if unknown. */
const BqEntityType         *bq_entity_type_lookup  (const char *name);
const BqField              *bq_entity_type_get_field (const BqEntityType *type,
                                                      const char         *name);

/* Zeroed, with optional times BQ_TIME_UNSET and optional doubles NAN. */
gpointer    bq_entity_new       (const BqEntityType *type);
gpointer    bq_entity_copy      (gconstpointer       entity);
void        bq_entity_free      (gpointer            entity);
gboolean    bq_entity_equal     (gconstpointer       a,
                                 gconstpointer       b);
/* Field constraints, then the type's own rules. */
gboolean    bq_entity_validate  (gconstpointer       entity,
                                 GError            **error);
const char *bq_entity_get_id    (gconstpointer       entity);
void        bq_entity_set_id    (gpointer            entity,
                                 const char         *id);

/* Sets @field to its unset value: NULL for strings and lists, NAN for
 * doubles, BQ_TIME_UNSET for times, zero otherwise (0, FALSE, the first
 * enum value), freeing what it held. */
void        bq_field_reset      (gpointer            entity,
                                 const BqField      *field);

/* Field access by descriptor, for generic code (codecs, store). */
#define BQ_FIELD_PTR(entity, field) ((gpointer) ((guint8 *) (entity) + (field)->offset))

const char *bq_enum_to_nick   (const BqField *field, int value);
/* -1 if @nick is not one of the field's values. */
int         bq_enum_from_nick (const BqField *field, const char *nick);

/* --------------------------------------------------------------- entities */

typedef enum {
  BQ_RUN_PLANNED,
  BQ_RUN_SYNTHESIS,
  BQ_RUN_QC,
  BQ_RUN_RELEASED,
  BQ_RUN_FAILED,
  BQ_RUN_SHIPPED,
  BQ_RUN_CANCELLED,
} BqRunStatus;

typedef enum {
  BQ_SLOT_OPEN,
  BQ_SLOT_HELD,
  BQ_SLOT_CLAIMED,
  BQ_SLOT_CONFIRMED,
  BQ_SLOT_SHIPPED,
  BQ_SLOT_RELEASED,
} BqSlotStatus;

typedef enum {
  BQ_ORDER_REQUESTED,
  BQ_ORDER_CONFIRMED,
  BQ_ORDER_SHIPPED,
  BQ_ORDER_ADMINISTERED,
  BQ_ORDER_CANCELLED,
} BqOrderStatus;

/* How a product's run capacity is offered (issue 7). */
typedef enum {
  BQ_SLOT_OFFERING_QUOTA,  /* quotas per centre, the rest in a regional pool */
  BQ_SLOT_OFFERING_POOL,   /* one pool per region, first come first served */
} BqSlotOffering;

typedef enum {
  BQ_LANE_GROUND,     /* courier by road, on demand or scheduled */
  BQ_LANE_FLIGHT,     /* scheduled flight */
  BQ_LANE_CHARTER,
  BQ_LANE_HANDOVER,   /* hand-over at a hub */
} BqLaneMode;

typedef enum {
  BQ_SHIPMENT_PLANNED,
  BQ_SHIPMENT_IN_TRANSIT,
  BQ_SHIPMENT_DELIVERED,
  BQ_SHIPMENT_LATE,
  BQ_SHIPMENT_CANCELLED,
} BqShipmentStatus;

typedef enum {
  BQ_LEG_PLANNED,
  BQ_LEG_DEPARTED,
  BQ_LEG_ARRIVED,
  BQ_LEG_LATE,
  BQ_LEG_CANCELLED,
} BqLegStatus;

typedef enum {
  BQ_QC_PENDING,
  BQ_QC_PASS,
  BQ_QC_FAIL,
} BqQcStatus;

typedef enum {
  BQ_ROLE_ADMIN,
  BQ_ROLE_PLANNER,
  BQ_ROLE_ACCOUNT_MANAGER,
  BQ_ROLE_QA,
  BQ_ROLE_LOGISTICS,
  BQ_ROLE_VIEWER,
} BqRole;

/* A manufacturing site of one CDMO. */
typedef struct {
  BqEntity base;
  char    *name;
  char    *organisation;   /* the CDMO */
  char    *city;
  char    *country;        /* ISO 3166-1 alpha-2 */
  char    *timezone;       /* IANA */
  double   latitude;
  double   longitude;
} BqSite;

/* A production line or hot cell at a site. */
typedef struct {
  BqEntity base;
  char    *site_id;
  char    *name;
  /* The calendar (issue 5).  Unset (0, NULL) means no constraint. */
  char   **product_ids;        /* the products it may make; NULL = any */
  gint64   working_weekdays;   /* bit 0 = Monday … bit 6 = Sunday; 0 = every day */
  gint64   shift_start_local;  /* minutes after local midnight at the site */
  gint64   shift_end_local;    /* minutes after local midnight, after the start; 0 = 24:00 */
  gint64   changeover_s;       /* cleaning between two runs */
} BqLine;

typedef struct {
  BqEntity base;
  char    *name;
  char    *nuclide;                 /* canonical nuclide name */
  double   dose_activity_bq;        /* nominal activity at calibration */
  double   tolerance;               /* fraction, e.g. 0.10 for ±10 % */
  double   concentration_bq_per_ml; /* at calibration */
  gint64   shelf_life_s;            /* after calibration */
  gint64   synthesis_duration_s;
  gint64   qc_duration_s;
  /* The recipe (issue 5).  Unset (0, NULL, NAN) means no constraint. */
  char   **qc_release_tests;        /* tests that must pass before shipping */
  double   activity_margin;         /* fraction made beyond decay; NAN = the planner's default */
  gint64   supply_weekdays;         /* isotope arrives: bit 0 = Monday …; 0 = any day */
  gint64   supply_arrival_local;    /* minutes after local midnight at the site */
  gint64   supply_window_s;         /* a synthesis starts within this of an arrival;
                                       0 = until the next one */
  gint64   max_doses_per_run;       /* 0 = no limit */
  double   max_activity_eos_bq;     /* NAN = no limit */
  /* Ordering (issue 7).  0 means no constraint / the default. */
  gint64   order_cutoff_s;          /* orders close this long before calibration */
  gint64   order_cutoff_weekday;    /* 1 = Monday … 7 = Sunday: and on the last such
                                       day (site time) before that; 0 = no weekday rule */
  gint64   order_cutoff_local;      /* at this time, minutes after local midnight */
  gint64   hold_duration_s;         /* a hold lasts this long; 0 = 15 min */
  BqSlotOffering slot_offering;     /* quotas per centre (default) or regional pools */
} BqProduct;

/* A treatment centre that orders doses. */
typedef struct {
  BqEntity base;
  char    *name;
  char    *city;
  char    *country;
  char    *region;     /* "europe", "north_america", "china", … */
  char    *timezone;
  double   latitude;
  double   longitude;
  gint64   order_cutoff_s;  /* overrides the product's when > 0 (issue 7) */
} BqCentre;

/* An airport or courier hub that legs pass through. */
typedef struct {
  BqEntity base;
  char    *code;       /* IATA code for airports */
  char    *name;
  char    *timezone;
  double   latitude;
  double   longitude;
} BqHub;

/* A planned or actual synthesis on a line. */
typedef struct {
  BqEntity    base;
  char       *line_id;
  char       *product_id;
  char       *batch;              /* human batch number, e.g. "LY2-2612-01" */
  gint64      start_time;
  gint64      eos_time;           /* end of synthesis */
  gint64      calibration_time;
  double      activity_eos_bq;
  gint64      dose_capacity;
  BqRunStatus status;
} BqRun;

/* Expected doses per centre per week. */
typedef struct {
  BqEntity base;
  char    *centre_id;
  char    *product_id;
  gint64   week_start;   /* Monday 00:00 UTC */
  gint64   doses;
} BqForecast;

/* Guaranteed capacity: a share of a run's doses for a delivery day. */
typedef struct {
  BqEntity     base;
  char        *run_id;
  char        *centre_id;      /* NULL: a regional pool */
  char        *region;         /* for pools */
  gint64       delivery_date;
  gint64       capacity;       /* doses */
  gint64       claimed;        /* doses taken by orders */
  BqSlotStatus status;
  gint64       hold_expires;   /* optional */
  char        *held_by;        /* optional: user id */
  gint64       held;           /* doses held by held_by until hold_expires (issue 7);
                                  claimed + held <= capacity */
  gint64       order_cutoff;   /* optional: no claims from then on */
} BqSlot;

/* A dose for one pseudonymous patient at one centre. */
typedef struct {
  BqEntity      base;
  char         *centre_id;
  char         *product_id;
  char         *patient_ref;             /* pseudonymous, never a name */
  double        prescribed_activity_bq;  /* at administration */
  gint64        admin_start;
  gint64        admin_end;
  char         *slot_id;                 /* optional */
  char         *run_id;                  /* optional */
  char         *shipment_id;             /* optional */
  BqOrderStatus status;
} BqOrder;

/* A pre-validated, time-tabled transport leg. */
typedef struct {
  BqEntity   base;
  BqLaneMode mode;
  char      *origin_id;         /* a site, hub or centre id */
  char      *destination_id;
  char      *carrier;
  char      *service;           /* optional: flight number */
  gint64     weekdays;          /* bit 0 = Monday … bit 6 = Sunday; 0 = on demand */
  gint64     departure_local;   /* minutes after local midnight at the origin */
  gint64     duration_s;
  gint64     handling_s;        /* handling/connection time before departure */
  gint64     valid_from;        /* optional */
  gint64     valid_to;          /* optional */
  gboolean   class7_accepted;   /* carrier takes radioactive (Class 7) goods */
} BqLane;

/* The service level of a site's deliveries to one region: door to door
 * within max_door_to_door_s, and at the centre min_before_admin_s before
 * the administration window opens (check-in, assay). */
typedef struct {
  BqEntity base;
  char    *site_id;
  char    *region;              /* as BqCentre.region */
  gint64   max_door_to_door_s;
  gint64   min_before_admin_s;
} BqSla;

/* A line out of service: maintenance, requalification (issue 5). */
typedef struct {
  BqEntity base;
  char    *line_id;
  gint64   start_time;
  gint64   end_time;    /* after start_time */
  char    *reason;      /* optional */
} BqMaintenanceBlock;

/* Doses from a run on a route to a centre. */
typedef struct {
  BqEntity         base;
  char            *run_id;
  char            *centre_id;
  BqShipmentStatus status;
  gint64           planned_departure;
  gint64           planned_arrival;
  gint64           actual_departure;   /* optional */
  gint64           actual_arrival;     /* optional */
} BqShipment;

typedef struct {
  BqEntity    base;
  char       *shipment_id;
  gint64      seq;                /* 0, 1, … along the route */
  char       *lane_id;
  gint64      planned_departure;
  gint64      planned_arrival;
  gint64      actual_departure;   /* optional */
  gint64      actual_arrival;     /* optional */
  BqLegStatus status;
} BqShipmentLeg;

typedef struct {
  BqEntity   base;
  char      *run_id;
  char      *test;          /* "radiochemical_purity", "sterility", … */
  BqQcStatus status;
  double     value;         /* optional */
  char      *unit;          /* optional */
  gint64     recorded_at;
} BqQcResult;

typedef struct {
  BqEntity base;
  char    *username;
  char    *display_name;
  BqRole   role;
  char   **centre_ids;     /* account managers: the centres they serve */
  gboolean disabled;       /* a disabled user cannot sign in */
} BqUser;

extern const BqEntityType bq_site_type;
extern const BqEntityType bq_line_type;
extern const BqEntityType bq_product_type;
extern const BqEntityType bq_centre_type;
extern const BqEntityType bq_hub_type;
extern const BqEntityType bq_run_type;
extern const BqEntityType bq_forecast_type;
extern const BqEntityType bq_slot_type;
extern const BqEntityType bq_order_type;
extern const BqEntityType bq_lane_type;
extern const BqEntityType bq_sla_type;
extern const BqEntityType bq_shipment_type;
extern const BqEntityType bq_shipment_leg_type;
extern const BqEntityType bq_qc_result_type;
extern const BqEntityType bq_user_type;
extern const BqEntityType bq_maintenance_block_type;

/* Typed constructors and g_autoptr support. */
#define BQ_DECLARE_ENTITY(TypeName, func)                                  \
  static inline TypeName *bq_##func##_new (void)                          \
  { return (TypeName *) bq_entity_new (&bq_##func##_type); }              \
  static inline void bq_##func##_free (TypeName *e)                       \
  { bq_entity_free (e); }                                                  \
  G_DEFINE_AUTOPTR_CLEANUP_FUNC (TypeName, bq_##func##_free)

BQ_DECLARE_ENTITY (BqSite, site)
BQ_DECLARE_ENTITY (BqLine, line)
BQ_DECLARE_ENTITY (BqProduct, product)
BQ_DECLARE_ENTITY (BqCentre, centre)
BQ_DECLARE_ENTITY (BqHub, hub)
BQ_DECLARE_ENTITY (BqRun, run)
BQ_DECLARE_ENTITY (BqForecast, forecast)
BQ_DECLARE_ENTITY (BqSlot, slot)
BQ_DECLARE_ENTITY (BqOrder, order)
BQ_DECLARE_ENTITY (BqLane, lane)
BQ_DECLARE_ENTITY (BqSla, sla)
BQ_DECLARE_ENTITY (BqShipment, shipment)
BQ_DECLARE_ENTITY (BqShipmentLeg, shipment_leg)
BQ_DECLARE_ENTITY (BqQcResult, qc_result)
BQ_DECLARE_ENTITY (BqUser, user)
BQ_DECLARE_ENTITY (BqMaintenanceBlock, maintenance_block)

G_END_DECLS
