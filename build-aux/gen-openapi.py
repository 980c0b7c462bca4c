#!/usr/bin/env python3
"""Write data/openapi.json, the OpenAPI 3.0 document of becquerel-server.

Run it by hand whenever the model (src/core/bq-model.c), the role table
(src/core/bq-policy.c) or the HTTP API changes, and commit the output:

    python3 build-aux/gen-openapi.py            # rewrites data/openapi.json
    python3 build-aux/gen-openapi.py --check    # exit 1 if it is out of date

The field tables of bq-model.c and the role table of bq-policy.c are
copied below as data rather than parsed from C.  tests/test-openapi.c
walks the real BqField descriptors and bq_policy_allows() and fails when
this copy and the C tables disagree, so a model change that is not
brought here breaks the test suite.  build-aux/lint-openapi lints the
result with Redocly CLI.

Python 3 standard library only.
"""
import argparse
import json
import os
import re
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
OUTPUT = os.path.join(TOP, "data", "openapi.json")

# ------------------------------------------------------------- the model

# BqFieldType
STRING, INT, DOUBLE, BOOL, TIME, ENUM, STRV = (
    "STRING", "INT", "DOUBLE", "BOOL", "TIME", "ENUM", "STRV")
# BqFieldFlags
REQ, NONNEG, POS, SERVER, FRACTION = (
    "REQUIRED", "NON_NEGATIVE", "POSITIVE", "SERVER", "FRACTION")

TIME_EXAMPLE = "2026-12-01T08:00:00Z"


def field(name, ftype, flags=(), doc="", nicks=None, ref=None, extra=None):
    """One BqField.  @extra holds constraints that the type's validate()
    function checks (ranges, patterns) rather than the field flags."""
    return {"name": name, "type": ftype, "flags": set(flags), "doc": doc,
            "nicks": nicks, "ref": ref, "extra": extra or {}}


def ref(name, target, flags=(), doc=""):
    return field(name, STRING, flags, doc or "Id of the %s." % target.replace("_", " "),
                 ref=target)


def enum(name, nicks, flags=(), doc=""):
    return field(name, ENUM, flags, doc, nicks=nicks)


LATITUDE = {"minimum": -90, "maximum": 90}
LONGITUDE = {"minimum": -180, "maximum": 180}
TIMEZONE_DOC = "IANA time zone, such as Europe/Berlin (or UTC)."

SLOT_OFFERING = ["quota", "pool"]
RUN_STATUS = ["planned", "synthesis", "qc", "released", "failed", "shipped", "cancelled"]
SLOT_STATUS = ["open", "held", "claimed", "confirmed", "shipped", "released"]
ORDER_STATUS = ["requested", "confirmed", "shipped", "administered", "cancelled"]
LANE_MODE = ["ground", "flight", "charter", "handover"]
SHIPMENT_STATUS = ["planned", "in_transit", "delivered", "late", "cancelled"]
LEG_STATUS = ["planned", "departed", "arrived", "late", "cancelled"]
QC_STATUS = ["pending", "pass", "fail"]
ROLES = ["admin", "planner", "account_manager", "qa", "logistics", "viewer"]

# The entity types in the order of bq_entity_types() (parents first), each
# with the fields that follow "id" and "revision" (every type has those).
ENTITY_TYPES = [
    {"name": "site", "plural": "sites",
     "doc": "A manufacturing site of one CDMO.",
     "fields": [
         field("name", STRING, [REQ], "Display name."),
         field("organisation", STRING, [REQ], "The CDMO that runs the site."),
         field("city", STRING, [], "City."),
         field("country", STRING, [REQ], "ISO 3166-1 alpha-2 country code."),
         field("timezone", STRING, [REQ], TIMEZONE_DOC),
         field("latitude", DOUBLE, [REQ], "Degrees north.", extra=LATITUDE),
         field("longitude", DOUBLE, [REQ], "Degrees east.", extra=LONGITUDE),
     ]},
    {"name": "line", "plural": "lines",
     "doc": "A production line or hot cell at a site.",
     "fields": [
         ref("site_id", "site", [REQ], "The site the line belongs to."),
         field("name", STRING, [REQ], "Display name."),
         field("product_ids", STRV, [],
               "Ids of the products the line may make; absent = any."),
         field("working_weekdays", INT, [NONNEG],
               "Working days: bit 0 = Monday … bit 6 = Sunday; 0 = every day.",
               extra={"maximum": 127}),
         field("shift_start_local", INT, [NONNEG],
               "Start of the shift, in minutes after local midnight at the site.",
               extra={"maximum": 1439}),
         field("shift_end_local", INT, [NONNEG],
               "End of the shift, in minutes after local midnight at the site, "
               "after the start; 0 = midnight at the end of the day.",
               extra={"maximum": 1440}),
         field("changeover_s", INT, [NONNEG],
               "Cleaning time between two runs, in seconds."),
     ]},
    {"name": "product", "plural": "products",
     "doc": "A radiopharmaceutical: nuclide, nominal dose and tolerance, shelf life.",
     "fields": [
         field("name", STRING, [REQ], "Display name."),
         field("nuclide", STRING, [REQ],
               "Canonical nuclide name as the nuclide table spells it, e.g. Lu-177."),
         field("dose_activity_bq", DOUBLE, [REQ, POS],
               "Nominal dose activity at calibration, in becquerel."),
         field("tolerance", DOUBLE, [REQ, FRACTION],
               "Allowed deviation as a fraction, e.g. 0.10 for ±10 %."),
         field("concentration_bq_per_ml", DOUBLE, [REQ, POS],
               "Activity concentration at calibration, in Bq/mL."),
         field("shelf_life_s", INT, [REQ, POS], "Shelf life after calibration, in seconds."),
         field("synthesis_duration_s", INT, [REQ, POS], "Duration of a synthesis, in seconds."),
         field("qc_duration_s", INT, [REQ, NONNEG], "Duration of quality control, in seconds."),
         field("qc_release_tests", STRV, [],
               "QC tests that must pass before doses ship, e.g. radiochemical_purity."),
         field("activity_margin", DOUBLE, [FRACTION],
               "Activity made beyond decay, as a fraction (0.10 = 10 %); "
               "absent = the planner's default."),
         field("supply_weekdays", INT, [NONNEG],
               "Days the isotope arrives: bit 0 = Monday … bit 6 = Sunday; 0 = any day.",
               extra={"maximum": 127}),
         field("supply_arrival_local", INT, [NONNEG],
               "Time the isotope arrives, in minutes after local midnight at the site.",
               extra={"maximum": 1439}),
         field("supply_window_s", INT, [NONNEG],
               "A synthesis starts within this many seconds of an arrival; "
               "0 = any time until the next one."),
         field("max_doses_per_run", INT, [NONNEG], "Most doses one run may fill; 0 = no limit."),
         field("max_activity_eos_bq", DOUBLE, [POS],
               "Most activity one run may make, at end of synthesis, in becquerel; "
               "absent = no limit."),
         field("order_cutoff_s", INT, [NONNEG],
               "Orders close this many seconds before calibration; 0 = no such rule."),
         field("order_cutoff_weekday", INT, [NONNEG],
               "1 = Monday … 7 = Sunday: orders close on the last such day (site time) "
               "at order_cutoff_local before that; 0 = no weekday rule.",
               extra={"maximum": 7}),
         field("order_cutoff_local", INT, [NONNEG],
               "Time of the weekday cut-off, in minutes after local midnight at the site.",
               extra={"maximum": 1439}),
         field("hold_duration_s", INT, [NONNEG],
               "How long a hold on a slot lasts, in seconds; 0 = 15 minutes."),
         enum("slot_offering", SLOT_OFFERING, [],
              "How run capacity is offered: quotas per centre, or regional pools."),
     ]},
    {"name": "centre", "plural": "centres",
     "doc": "A treatment centre that orders doses.",
     "fields": [
         field("name", STRING, [REQ], "Display name."),
         field("city", STRING, [], "City."),
         field("country", STRING, [REQ], "ISO 3166-1 alpha-2 country code."),
         field("region", STRING, [REQ], "Region, such as europe, north_america or china."),
         field("timezone", STRING, [REQ], TIMEZONE_DOC),
         field("latitude", DOUBLE, [REQ], "Degrees north.", extra=LATITUDE),
         field("longitude", DOUBLE, [REQ], "Degrees east.", extra=LONGITUDE),
         field("order_cutoff_s", INT, [NONNEG],
               "Orders close this many seconds before calibration, overriding the "
               "product's rule when > 0."),
     ]},
    {"name": "hub", "plural": "hubs",
     "doc": "An airport or courier hub that legs pass through.",
     "fields": [
         field("code", STRING, [REQ], "IATA code for airports."),
         field("name", STRING, [REQ], "Display name."),
         field("timezone", STRING, [REQ], TIMEZONE_DOC),
         field("latitude", DOUBLE, [REQ], "Degrees north.", extra=LATITUDE),
         field("longitude", DOUBLE, [REQ], "Degrees east.", extra=LONGITUDE),
     ]},
    {"name": "user", "plural": "users",
     "doc": "A user of the server and their role.  Passwords are set with "
            "`becquerel-server user add|passwd`, never through this API.",
     "fields": [
         field("username", STRING, [REQ],
               "Sign-in name: lower-case letters, digits, “.”, “_” and “-”, at most 64.",
               extra={"pattern": "^[a-z0-9._-]{1,64}$"}),
         field("display_name", STRING, [], "Name shown in the app."),
         enum("role", ROLES, [REQ], "What the user may see and do."),
         field("centre_ids", STRV, [], "Account managers: the centres they serve."),
         field("disabled", BOOL, [], "A disabled user cannot sign in."),
     ]},
    {"name": "run", "plural": "runs",
     "doc": "A planned or actual synthesis (batch) on a line.",
     "fields": [
         ref("line_id", "line", [REQ]),
         ref("product_id", "product", [REQ]),
         field("batch", STRING, [REQ], "Human batch number, e.g. LY2-2612-01."),
         field("start_time", TIME, [REQ], "Start of synthesis."),
         field("eos_time", TIME, [REQ], "End of synthesis; after start_time."),
         field("calibration_time", TIME, [REQ],
               "Time the activity is stated for; not before eos_time."),
         field("activity_eos_bq", DOUBLE, [REQ, NONNEG],
               "Activity at the end of synthesis, in becquerel."),
         field("dose_capacity", INT, [REQ, NONNEG], "Doses the run can fill."),
         enum("status", RUN_STATUS, [],
              "planned → synthesis → qc → released / failed → shipped, or cancelled."),
     ]},
    {"name": "forecast", "plural": "forecasts",
     "doc": "Expected doses per treatment centre per week.",
     "fields": [
         ref("centre_id", "centre", [REQ]),
         ref("product_id", "product", [REQ]),
         field("week_start", TIME, [REQ], "Monday 00:00 UTC of the week."),
         field("doses", INT, [REQ, NONNEG], "Expected doses."),
     ]},
    {"name": "maintenance_block", "plural": "maintenance_blocks",
     "doc": "A time a line is out of service (maintenance, requalification).",
     "fields": [
         ref("line_id", "line", [REQ]),
         field("start_time", TIME, [REQ], "Start of the block."),
         field("end_time", TIME, [REQ], "End of the block; after start_time."),
         field("reason", STRING, [], "Why the line is out of service."),
     ]},
    {"name": "qc_result", "plural": "qc_results",
     "doc": "The result of one quality-control test of a run.",
     "fields": [
         ref("run_id", "run", [REQ]),
         field("test", STRING, [REQ], "The test, e.g. radiochemical_purity or sterility."),
         enum("status", QC_STATUS, [], "Outcome of the test."),
         field("value", DOUBLE, [], "Measured value."),
         field("unit", STRING, [], "Unit of the value."),
         field("recorded_at", TIME, [REQ], "When the result was recorded."),
     ]},
    {"name": "slot", "plural": "slots",
     "doc": "Guaranteed capacity: a share of a run's doses for a delivery day, "
            "for one centre or, as a pool, for a region.",
     "fields": [
         ref("run_id", "run", [REQ]),
         ref("centre_id", "centre", [],
             "The centre the slot is for; null for a regional pool."),
         field("region", STRING, [], "For pools: the region served."),
         field("delivery_date", TIME, [REQ], "The delivery day."),
         field("capacity", INT, [REQ, POS], "Doses in the slot."),
         field("claimed", INT, [NONNEG], "Doses taken by orders; at most capacity."),
         enum("status", SLOT_STATUS, [], "open, held, claimed, confirmed, shipped or released."),
         field("hold_expires", TIME, [], "When a hold expires; required while held."),
         ref("held_by", "user", [], "The user holding the slot."),
         field("held", INT, [NONNEG],
               "Doses held by held_by until hold_expires; claimed + held <= capacity."),
         field("order_cutoff", TIME, [], "No claims from this time on."),
     ]},
    {"name": "lane", "plural": "lanes",
     "doc": "A pre-validated, time-tabled transport leg.",
     "fields": [
         enum("mode", LANE_MODE, [REQ], "How the lane travels."),
         field("origin_id", STRING, [REQ], "A site, hub or centre id."),
         field("destination_id", STRING, [REQ],
               "A site, hub or centre id other than the origin."),
         field("carrier", STRING, [REQ], "The carrier."),
         field("service", STRING, [], "Service, e.g. a flight number."),
         field("weekdays", INT, [NONNEG],
               "Days of service: bit 0 = Monday … bit 6 = Sunday; 0 = on demand.",
               extra={"maximum": 127}),
         field("departure_local", INT, [NONNEG],
               "Departure, in minutes after local midnight at the origin.",
               extra={"maximum": 1439}),
         field("duration_s", INT, [REQ, POS], "Travel time, in seconds."),
         field("handling_s", INT, [NONNEG],
               "Handling or connection time before departure, in seconds."),
         field("valid_from", TIME, [], "First time the lane may be used."),
         field("valid_to", TIME, [], "End of validity; after valid_from."),
         field("class7_accepted", BOOL, [],
               "The carrier takes radioactive (Class 7) goods."),
     ]},
    {"name": "sla", "plural": "slas",
     "doc": "The service level of a site's deliveries to one region.",
     "fields": [
         ref("site_id", "site", [REQ]),
         field("region", STRING, [REQ], "The centres' region, as a centre's region."),
         field("max_door_to_door_s", INT, [REQ, POS],
               "Longest time from leaving the site to arriving at the centre, in seconds."),
         field("min_before_admin_s", INT, [NONNEG],
               "How long before the administration window opens a dose must "
               "arrive at the centre, in seconds."),
     ]},
    {"name": "shipment", "plural": "shipments",
     "doc": "Doses from a run on a route to a centre.",
     "fields": [
         ref("run_id", "run", [REQ]),
         ref("centre_id", "centre", [REQ]),
         enum("status", SHIPMENT_STATUS, [], "Where the shipment stands."),
         field("planned_departure", TIME, [REQ], "Planned departure."),
         field("planned_arrival", TIME, [REQ], "Planned arrival; not before departure."),
         field("actual_departure", TIME, [], "Actual departure."),
         field("actual_arrival", TIME, [], "Actual arrival; not before departure."),
     ]},
    {"name": "shipment_leg", "plural": "shipment_legs",
     "doc": "One leg of a shipment's route, on a lane.",
     "fields": [
         ref("shipment_id", "shipment", [REQ]),
         field("seq", INT, [REQ, NONNEG], "Position along the route: 0, 1, …"),
         ref("lane_id", "lane", [REQ]),
         field("planned_departure", TIME, [REQ], "Planned departure."),
         field("planned_arrival", TIME, [REQ], "Planned arrival; not before departure."),
         field("actual_departure", TIME, [], "Actual departure."),
         field("actual_arrival", TIME, [], "Actual arrival; not before departure."),
         enum("status", LEG_STATUS, [], "Where the leg stands."),
     ]},
    {"name": "order", "plural": "orders",
     "doc": "A dose for one pseudonymous patient at one centre.  No patient "
            "names are ever stored: members other than these are refused "
            "(422 unknown_field).",
     "fields": [
         ref("centre_id", "centre", [REQ]),
         ref("product_id", "product", [REQ]),
         field("patient_ref", STRING, [REQ],
               "Pseudonymous patient reference: 3–64 letters, digits, “-”, “_” or “.” "
               "with at least one digit. Never a name.",
               extra={"pattern": "^[A-Za-z0-9._-]{3,64}$"}),
         field("prescribed_activity_bq", DOUBLE, [REQ, POS],
               "Prescribed activity at administration, in becquerel."),
         field("admin_start", TIME, [REQ], "Start of the administration window."),
         field("admin_end", TIME, [REQ], "End of the administration window; after admin_start."),
         ref("slot_id", "slot", [], "The slot the order claims."),
         ref("run_id", "run", [], "The run the dose comes from."),
         ref("shipment_id", "shipment", [], "The shipment carrying the dose."),
         enum("status", ORDER_STATUS, [],
              "requested → confirmed → shipped → administered, or cancelled."),
     ]},
]

BASE_FIELDS = [
    field("id", STRING, [SERVER],
          "Stable id, unique within the type.  Chosen by the server when a "
          "create leaves it out."),
    field("revision", INT, [SERVER, NONNEG],
          "Global revision of the entity's last change.  Set by the server: "
          "a value sent in a body is ignored (use If-Match)."),
]

# src/core/bq-policy.c's role table: type -> {action: [roles]}, actions
# read/create/update/delete.
_ALL = list(ROLES)
_NOT_ACCOUNT_MANAGERS = ["admin", "planner", "qa", "logistics", "viewer"]


def _rw(readers, writers, updaters=None, creators=None):
    updaters = writers + (updaters or [])
    creators = writers + (creators or [])
    return {"read": readers, "create": creators, "update": updaters, "delete": writers}


POLICY = {
    "site": _rw(_ALL, ["admin", "planner"]),
    "line": _rw(_ALL, ["admin", "planner"]),
    "product": _rw(_ALL, ["admin", "planner"]),
    "centre": _rw(_ALL, ["admin", "planner"]),
    "hub": _rw(_ALL, ["admin", "logistics"]),
    "user": _rw(["admin"], ["admin"]),
    "run": _rw(_ALL, ["admin", "planner"], updaters=["qa"]),
    "forecast": _rw(_ALL, ["admin", "planner"]),
    "maintenance_block": _rw(_ALL, ["admin", "planner"]),
    "qc_result": _rw(_NOT_ACCOUNT_MANAGERS, ["admin", "qa"]),
    "slot": _rw(_ALL, ["admin", "planner"]),
    "lane": _rw(_ALL, ["admin", "logistics"]),
    "sla": _rw(_ALL, ["admin", "logistics"]),
    "shipment": _rw(_ALL, ["admin", "logistics"]),
    "shipment_leg": _rw(_ALL, ["admin", "logistics"]),
    "order": _rw(_ALL, ["admin"], updaters=["account_manager", "logistics"],
                 creators=["account_manager"]),
}

# Types an account manager sees only for the centres they serve.
SCOPED = {"order", "slot", "shipment", "shipment_leg"}

# List filters.  A filter applies to a type that has the field it names
# (site -> site_id, …, status, region); runs are also filtered by site,
# through their line.  from/to apply to the types with a time field to
# filter on, as the spec lists them.
TIME_FILTER = {
    "run": ("start_time", "calibration_time"),
    "order": ("admin_start", None),
    "forecast": ("week_start", None),
    "slot": ("delivery_date", None),
    "shipment": ("planned_departure", None),
    "shipment_leg": ("planned_departure", None),
    "qc_result": ("recorded_at", None),
}
ID_FILTERS = ["site", "line", "centre", "product", "run", "shipment"]


def camel(name):
    return "".join(part.capitalize() for part in name.split("_"))


def all_fields(etype):
    return BASE_FIELDS + etype["fields"]


def filters_of(etype):
    names = {f["name"] for f in all_fields(etype)}
    out = []
    if etype["name"] in TIME_FILTER:
        out += ["from", "to"]
    for f in ID_FILTERS:
        if f + "_id" in names or (f == "site" and etype["name"] == "run"):
            out.append(f)
    if "status" in names:
        out.append("status")
    if "region" in names:
        out.append("region")
    return out


# ------------------------------------------------------------- schemas

def nick_default(f):
    return f["nicks"][0]


def field_schema(f, variant):
    """variant: "entity" (responses), "new" (create bodies), "patch"."""
    t = f["type"]
    flags = f["flags"]
    s = {}
    if t == STRING:
        s["type"] = "string"
    elif t == INT:
        s["type"] = "integer"
        s["format"] = "int64"
    elif t == DOUBLE:
        s["type"] = "number"
        s["format"] = "double"
    elif t == BOOL:
        s["type"] = "boolean"
    elif t == TIME:
        s["type"] = "string"
        s["format"] = "date-time"
    elif t == ENUM:
        s["type"] = "string"
    elif t == STRV:
        s["type"] = "array"
        s["items"] = {"type": "string", "minLength": 1}
    else:
        raise ValueError(t)

    doc = f["doc"]
    if t == TIME:
        doc += " UTC, written as ISO 8601 such as %s." % TIME_EXAMPLE
        if variant != "entity":
            doc += " Requests may use any offset (+01:00) or a date alone (midnight UTC)."
    if f["ref"] and variant != "entity":
        doc += " Must name an existing %s." % f["ref"].replace("_", " ")
    s["description"] = doc

    if REQ in flags and t == STRING and variant != "entity" and not f["ref"]:
        s["minLength"] = 1
    if f["ref"] and variant != "entity":
        s["minLength"] = 1
    if POS in flags:
        s["minimum"] = 0
        s["exclusiveMinimum"] = True
    elif NONNEG in flags:
        s["minimum"] = 0
    if FRACTION in flags:
        s["minimum"] = 0
        s["maximum"] = 1
    for key, value in f["extra"].items():
        if key in s and key == "minimum":
            value = max(value, s[key])
        s[key] = value

    optional = REQ not in flags and SERVER not in flags
    if variant == "entity":
        # bq_entity_to_json writes every member; unset optional strings,
        # doubles and times are null, the other types always have a value.
        nullable = optional and t in (STRING, DOUBLE, TIME)
    else:
        # In a body, null unsets an optional member (its default).
        nullable = optional
    if nullable:
        s["nullable"] = True

    if t == ENUM:
        s["enum"] = list(f["nicks"]) + ([None] if nullable else [])
    if variant == "new" and optional:
        if t == ENUM:
            s["default"] = nick_default(f)
        elif t == INT:
            s["default"] = 0
        elif t == BOOL:
            s["default"] = False
        elif t == STRV:
            s["default"] = []
    if t == TIME:
        s["example"] = TIME_EXAMPLE
    return s


def entity_schemas(etype):
    name = camel(etype["name"])
    fields = all_fields(etype)
    schemas = {}

    schemas[name] = {
        "type": "object",
        "description": etype["doc"] + "  Responses carry every member; unset "
                       "optional members are null.",
        "required": [f["name"] for f in fields],
        "properties": {f["name"]: field_schema(f, "entity") for f in fields},
    }
    schemas["New" + name] = {
        "type": "object",
        "description": "A %s to create.  The id may be chosen by the client; the "
                       "server picks one when it is left out.  Members the type "
                       "does not have are refused (422 unknown_field)." % etype["name"]
                       .replace("_", " "),
        "required": [f["name"] for f in fields
                     if REQ in f["flags"] and SERVER not in f["flags"]],
        "properties": {f["name"]: field_schema(f, "new") for f in fields},
        "additionalProperties": False,
    }
    schemas[name + "Patch"] = {
        "type": "object",
        "description": "The members of a %s to change; the others keep their "
                       "values.  id, if present, must be the entity's own; null "
                       "unsets an optional member." % etype["name"].replace("_", " "),
        "properties": {f["name"]: field_schema(f, "patch") for f in fields},
        "additionalProperties": False,
    }
    schemas[name + "List"] = {
        "type": "object",
        "description": "A page of %s." % etype["plural"].replace("_", " "),
        "required": ["items", "revision", "next_offset"],
        "properties": {
            "items": {"type": "array", "items": {"$ref": "#/components/schemas/" + name}},
            "revision": {"type": "integer", "format": "int64", "minimum": 0,
                         "description": "The store revision the page was read at."},
            "next_offset": {"type": "integer", "format": "int64", "minimum": 0,
                            "nullable": True,
                            "description": "The offset of the next page, or null "
                                           "after the last one."},
        },
    }
    schemas[name + "Conflict"] = {
        "description": "An error about a %s; with stale_revision, `current` is the "
                       "entity as it is now." % etype["name"].replace("_", " "),
        "allOf": [
            {"$ref": "#/components/schemas/Error"},
            {"type": "object",
             "properties": {"current": {"$ref": "#/components/schemas/" + name}}},
        ],
    }
    return schemas


ERROR_CODES = [
    "malformed_json", "bad_request",
    "unauthorized", "invalid_credentials",
    "forbidden",
    "not_found",
    "method_not_allowed",
    "stale_revision", "duplicate_id", "in_use", "conflict",
    "payload_too_large",
    "unsupported_media_type",
    "missing_field", "wrong_type", "unknown_field", "bad_enum", "out_of_range",
    "invalid", "idempotency_key_reused",
    "too_many_attempts",
    "internal",
    "busy",
    # planning and the network
    "stale_plan", "line_busy", "calendar_closed", "maintenance", "no_isotope_supply",
    "orders_infeasible", "line_not_for_product", "run_not_movable",
    "unknown_place", "proposal_closed", "stale_proposal",
]


def common_schemas():
    int64 = {"type": "integer", "format": "int64"}
    return {
        "Error": {
            "type": "object",
            "description": "Every error response.",
            "required": ["error"],
            "properties": {
                "error": {
                    "type": "object",
                    "required": ["code", "message"],
                    "properties": {
                        "code": {"type": "string", "enum": ERROR_CODES,
                                 "description": "Stable, machine-readable code."},
                        "message": {"type": "string",
                                    "description": "A human explanation."},
                        "field": {"type": "string", "nullable": True,
                                  "description": "The member, query parameter or "
                                                 "header the error is about; null or "
                                                 "absent when it is not about one."},
                    },
                },
            },
        },
        "Health": {
            "type": "object",
            "required": ["status", "revision"],
            "properties": {
                "status": {"type": "string", "enum": ["ok"]},
                "revision": dict(int64, minimum=0,
                                 description="The store's current revision."),
            },
        },
        "SessionRequest": {
            "type": "object",
            "required": ["username", "password"],
            "properties": {
                "username": {"type": "string", "minLength": 1},
                "password": {"type": "string", "format": "password", "minLength": 1},
            },
            "additionalProperties": False,
        },
        "Session": {
            "type": "object",
            "required": ["token", "expires_at", "user"],
            "properties": {
                "token": {"type": "string",
                          "description": "Bearer token for the Authorization header. "
                                         "Returned only here; the server keeps only a hash."},
                "expires_at": {"type": "string", "format": "date-time",
                               "example": TIME_EXAMPLE,
                               "description": "When the session ends."},
                "user": {"$ref": "#/components/schemas/User"},
            },
        },
        "Change": {
            "type": "object",
            "description": "One entity that changed.  A deletion is a tombstone "
                           "without `entity`.",
            "required": ["kind", "id", "revision", "deleted"],
            "properties": {
                "kind": {"type": "string",
                         "enum": [t["name"] for t in ENTITY_TYPES],
                         "description": "The entity type."},
                "id": {"type": "string"},
                "revision": dict(int64, minimum=0,
                                 description="The revision of this change."),
                "deleted": {"type": "boolean"},
                "entity": {
                    "description": "The entity as it is now, of the type `kind` "
                                   "names; absent for a deletion.",
                    "anyOf": [{"$ref": "#/components/schemas/" + camel(t["name"])}
                              for t in ENTITY_TYPES],
                },
            },
        },
        "ChangesPage": {
            "type": "object",
            "required": ["changes", "revision", "more"],
            "properties": {
                "changes": {"type": "array",
                            "items": {"$ref": "#/components/schemas/Change"},
                            "description": "Oldest first."},
                "revision": dict(int64, minimum=0,
                                 description="Pass as `since` to continue."),
                "more": {"type": "boolean",
                         "description": "Whether more changes wait after this page."},
            },
        },
        "RevisionEvent": {
            "type": "object",
            "description": "The message the event stream sends.",
            "required": ["revision"],
            "properties": {"revision": dict(int64, minimum=0)},
        },
        "AuditEntry": {
            "type": "object",
            "description": "One entry of the hash-chained audit trail.",
            "required": ["seq", "at", "user_id", "action", "kind", "entity_id",
                         "revision", "reason", "before", "after", "prev_hash", "hash"],
            "properties": {
                "seq": dict(int64, minimum=1, description="1, 2, …"),
                "at": {"type": "string", "format": "date-time", "example": TIME_EXAMPLE},
                "user_id": {"type": "string", "nullable": True,
                            "description": "Who; null for the system (demo seeding, "
                                           "migrations)."},
                "action": {"type": "string",
                           "description": "create, update, delete, login, …"},
                "kind": {"type": "string", "nullable": True,
                         "description": "The entity type, if any."},
                "entity_id": {"type": "string", "nullable": True},
                "revision": dict(int64, minimum=0,
                                 description="Store revision of the change; 0 if none."),
                "reason": {"type": "string", "nullable": True,
                           "description": "From the X-Reason header."},
                "before": {"type": "object", "nullable": True,
                           "description": "The entity before the change."},
                "after": {"type": "object", "nullable": True,
                          "description": "The entity after the change."},
                "prev_hash": {"type": "string",
                              "description": "Hex SHA-256 of the previous entry."},
                "hash": {"type": "string",
                         "description": "Hex SHA-256 over prev_hash and this entry."},
            },
        },
        "AuditPage": {
            "type": "object",
            "required": ["entries", "next_after"],
            "properties": {
                "entries": {"type": "array",
                            "items": {"$ref": "#/components/schemas/AuditEntry"}},
                "next_after": dict(int64, minimum=0,
                                   description="Pass as `after` to continue."),
            },
        },
        "AuditVerification": {
            "type": "object",
            "required": ["ok"],
            "properties": {
                "ok": {"type": "boolean"},
                "entries": dict(int64, minimum=0,
                                description="When intact: the number of entries."),
                "first_bad_seq": dict(int64, minimum=1,
                                      description="When broken: the first entry whose "
                                                  "hash or link does not hold."),
            },
        },
    }


# ------------------------------------------------------------- parameters

def parameters():
    int64 = {"type": "integer", "format": "int64"}
    p = {
        "IfMatch": {
            "name": "If-Match", "in": "header", "required": False,
            "description": "The revision the change is based on, as the ETag "
                           "`\"REV\"` or a bare REV.  A stale one gets 409 "
                           "stale_revision with the current entity.",
            "schema": {"type": "string"}, "example": "\"42\"",
        },
        "IdempotencyKey": {
            "name": "Idempotency-Key", "in": "header", "required": False,
            "description": "A key unique per intended change, remembered for 24 h. "
                           "Replaying the same request returns the first answer "
                           "(with `Idempotent-Replay: true`) and changes nothing; "
                           "the same key with a different request gets 422 "
                           "idempotency_key_reused.",
            "schema": {"type": "string", "minLength": 1},
        },
        "XReason": {
            "name": "X-Reason", "in": "header", "required": False,
            "description": "Why the change is made; recorded in the audit trail.",
            "schema": {"type": "string"},
        },
        "Limit": {
            "name": "limit", "in": "query", "required": False,
            "description": "Items per page; above 1000 is 422 out_of_range.",
            "schema": dict(int64, minimum=1, maximum=1000, default=100),
        },
        "Offset": {
            "name": "offset", "in": "query", "required": False,
            "description": "Items to skip; use next_offset of the previous page.",
            "schema": dict(int64, minimum=0, default=0),
        },
        "From": {
            "name": "from", "in": "query", "required": False,
            "description": "Start of the time range (inclusive): an ISO 8601 date "
                           "(midnight UTC) or date-time.",
            "schema": {"type": "string"}, "example": "2026-12-01",
        },
        "To": {
            "name": "to", "in": "query", "required": False,
            "description": "End of the time range (exclusive): an ISO 8601 date "
                           "(midnight UTC) or date-time.",
            "schema": {"type": "string"}, "example": "2026-12-08",
        },
        "Region": {
            "name": "region", "in": "query", "required": False,
            "description": "Only entities of this region.",
            "schema": {"type": "string"},
        },
        "Since": {
            "name": "since", "in": "query", "required": False,
            "description": "The revision the caller has; changes after it are returned.",
            "schema": dict(int64, minimum=0, default=0),
        },
        "ChangesLimit": {
            "name": "limit", "in": "query", "required": False,
            "description": "Changes per page; above 5000 is 422 out_of_range.",
            "schema": dict(int64, minimum=1, maximum=5000, default=500),
        },
        "AuditAfter": {
            "name": "after", "in": "query", "required": False,
            "description": "Entries with a greater seq are returned.",
            "schema": dict(int64, minimum=0, default=0),
        },
        "AuditLimit": {
            "name": "limit", "in": "query", "required": False,
            "description": "Entries per page at most.",
            "schema": dict(int64, minimum=1),
        },
    }
    for f in ID_FILTERS:
        desc = "Only entities of this %s (by id)." % f
        if f == "site":
            desc += "  For runs: the runs on the site's lines."
        p[camel(f)] = {"name": f, "in": "query", "required": False,
                       "description": desc, "schema": {"type": "string"}}
    for etype in ENTITY_TYPES:
        for f in etype["fields"]:
            if f["name"] == "status":
                p[camel(etype["name"]) + "Status"] = {
                    "name": "status", "in": "query", "required": False,
                    "description": "Only %s in this status." %
                                   etype["plural"].replace("_", " "),
                    "schema": {"type": "string", "enum": list(f["nicks"])},
                }
    return p


def filter_param_ref(etype, name):
    if name == "status":
        key = camel(etype["name"]) + "Status"
    else:
        key = camel(name)
    return {"$ref": "#/components/parameters/" + key}


# ------------------------------------------------------------- responses

def error_response(description, code, message, field_=None, headers=None):
    example = {"error": {"code": code, "message": message}}
    if field_ is not None:
        example["error"]["field"] = field_
    r = {"description": description,
         "content": {"application/json": {
             "schema": {"$ref": "#/components/schemas/Error"},
             "example": example}}}
    if headers:
        r["headers"] = headers
    return r


def responses():
    return {
        "BadRequest": error_response(
            "The request is malformed: the body is not a JSON object or not valid "
            "UTF-8 (malformed_json), or a header or query parameter has bad syntax "
            "(bad_request).",
            "malformed_json", "expected a JSON object"),
        "Unauthorized": error_response(
            "No valid bearer token: missing, unknown or expired (unauthorized).",
            "unauthorized", "sign in first",
            headers={"WWW-Authenticate": {
                "description": "The scheme to authenticate with: Bearer.",
                "schema": {"type": "string"}}}),
        "Forbidden": error_response(
            "The caller's role may not do this (forbidden).",
            "forbidden", "your role may not change sites"),
        "NotFound": error_response(
            "No such entity, or one the caller may not see (not_found).",
            "not_found", "no such entity"),
        "Conflict": error_response(
            "The change conflicts with the stored data: the id exists "
            "(duplicate_id), or the store refused it as inconsistent with "
            "other stored data (conflict).  A reference to an entity that "
            "does not exist is not a conflict but 422 invalid.",
            "duplicate_id", "id: a run with this id exists", "id"),
        "PayloadTooLarge": error_response(
            "The body is larger than 1 MiB (payload_too_large).",
            "payload_too_large", "the body is larger than 1 MiB"),
        "UnprocessableEntity": error_response(
            "The request is well-formed but invalid: missing_field, wrong_type, "
            "unknown_field, bad_enum, out_of_range, invalid (with the field; "
            "also a reference to an entity that does not exist or that the "
            "caller may not see, such as an unknown centre_id), or "
            "idempotency_key_reused.",
            "missing_field", "batch: is required", "batch"),
        "TooManyAttempts": error_response(
            "Too many failed sign-ins for this user name; try again after "
            "Retry-After seconds (too_many_attempts).",
            "too_many_attempts", "too many failed attempts; try again later",
            headers={"Retry-After": {
                "description": "Seconds until another attempt is accepted.",
                "schema": {"type": "integer"}}}),
        "InternalError": error_response(
            "An unexpected failure; it is logged (internal).",
            "internal", "internal error"),
    }


def rref(name):
    return {"$ref": "#/components/responses/" + name}


def pref(name):
    return {"$ref": "#/components/parameters/" + name}


def json_body(schema_name, description):
    return {"description": description,
            "content": {"application/json": {
                "schema": {"$ref": "#/components/schemas/" + schema_name}}}}


REPLAY_HEADER = {
    "Idempotent-Replay": {
        "description": "`true` when this is the stored answer to an earlier "
                       "request with the same Idempotency-Key.",
        "schema": {"type": "string", "enum": ["true"]}},
}


def roles_text(roles):
    if not roles:
        return "No role."
    return "Roles: " + ", ".join(roles) + "."


# ------------------------------------------------------------- paths

def collection_paths(etype):
    name = etype["name"]
    plural = etype["plural"]
    words = plural.replace("_", " ")
    word = name.replace("_", " ")
    cname = camel(name)
    tag = camel(plural)
    policy = POLICY[name]
    scoped = name in SCOPED
    scope_text = ("  Account managers see only the %s of the centres they serve; "
                  "others are omitted from lists and are 404 by id." % words
                  if scoped else "")
    filters = filters_of(etype)

    time_field = TIME_FILTER.get(name)
    if time_field:
        start, end = time_field
        order_text = "ordered by %s, then id" % start
        if end:
            range_text = ("  from/to select the %s whose [%s, %s] overlaps the "
                          "range." % (words, start, end))
        else:
            range_text = "  from/to select by %s." % start
    else:
        order_text = "ordered by id"
        range_text = ""
    filter_text = ("  Filters: " + ", ".join(filters) + "." if filters else
                   "  No filters apply.")
    filter_text += ("  A filter the type does not have is 422 with that field.")

    list_op = {
        "tags": [tag],
        "operationId": "list" + camel(plural),
        "summary": "List %s" % words,
        "description": "A page of %s, %s.%s%s%s  %s" % (
            words, order_text, range_text, filter_text, scope_text,
            roles_text(policy["read"])),
        "x-roles": policy["read"],
        "parameters": [filter_param_ref(etype, f) for f in filters]
                      + [pref("Limit"), pref("Offset")],
        "responses": {
            "200": json_body(cname + "List", "A page of %s." % words),
            "400": rref("BadRequest"),
            "401": rref("Unauthorized"),
            "403": rref("Forbidden"),
            "422": rref("UnprocessableEntity"),
            "500": rref("InternalError"),
        },
    }
    create_extra = ""
    if name == "order":
        create_extra = ("  An account manager may create orders only for the "
                        "centres they serve (403 otherwise).")
    create_op = {
        "tags": [tag],
        "operationId": "create" + cname,
        "summary": "Create a %s" % word,
        "description": "Stores a new %s, with the id the body gives or one the "
                       "server picks, and records it in the audit trail.%s  %s" % (
                           word, create_extra, roles_text(policy["create"])),
        "x-roles": policy["create"],
        "parameters": [pref("IdempotencyKey"), pref("XReason")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/New" + cname}}}},
        "responses": {
            "201": {
                "description": "The stored %s." % word,
                "headers": dict({"Location": {
                    "description": "The URL of the new %s." % word,
                    "schema": {"type": "string"}}}, **REPLAY_HEADER),
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/" + cname}}},
            },
            "400": rref("BadRequest"),
            "401": rref("Unauthorized"),
            "403": rref("Forbidden"),
            "409": rref("Conflict"),
            "413": rref("PayloadTooLarge"),
            "422": rref("UnprocessableEntity"),
            "500": rref("InternalError"),
        },
    }
    id_param = {"name": "id", "in": "path", "required": True,
                "description": "The %s's id." % word, "schema": {"type": "string"}}
    conflict = {"description": "The revision in If-Match is stale "
                               "(stale_revision, with `current`)%s." %
                               (", or the %s is still referenced (in_use)" % word),
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/%sConflict" % cname}}}}
    get_op = {
        "tags": [tag],
        "operationId": "get" + cname,
        "summary": "Get a %s" % word,
        "description": "The %s with this id; its revision is also in the ETag "
                       "header.%s  %s" % (word, scope_text, roles_text(policy["read"])),
        "x-roles": policy["read"],
        "responses": {
            "200": {
                "description": "The %s." % word,
                "headers": {"ETag": {"description": "The revision, as `\"REV\"`.",
                                     "schema": {"type": "string"}}},
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/" + cname}}},
            },
            "401": rref("Unauthorized"),
            "403": rref("Forbidden"),
            "404": rref("NotFound"),
            "500": rref("InternalError"),
        },
    }
    update_extra = ""
    if "status" in {f["name"] for f in etype["fields"]}:
        update_extra = ("  Status changes the lifecycle does not allow are 422 "
                        "invalid with field status.")
    if name == "order":
        update_extra += "  Logistics may change only shipment_id and status."
    if name == "run":
        update_extra += ("  A move (another line_id or start_time; eos_time and "
                         "calibration_time follow the start unless given) is checked by "
                         "the planner and refused with 422 and its code: line_busy, "
                         "calendar_closed, maintenance, no_isotope_supply, "
                         "orders_infeasible, line_not_for_product, run_not_movable.")
    patch_op = {
        "tags": [tag],
        "operationId": "update" + cname,
        "summary": "Update a %s" % word,
        "description": "Changes the members the body gives, checked like a "
                       "create; with If-Match only if the %s is still at that "
                       "revision.%s%s  %s" % (word, update_extra, scope_text,
                                              roles_text(policy["update"])),
        "x-roles": policy["update"],
        "parameters": [pref("IfMatch"), pref("IdempotencyKey"), pref("XReason")],
        "requestBody": {"required": True, "content": {"application/json": {
            "schema": {"$ref": "#/components/schemas/%sPatch" % cname}}}},
        "responses": {
            "200": {
                "description": "The updated %s." % word,
                "headers": dict(REPLAY_HEADER),
                "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/" + cname}}},
            },
            "400": rref("BadRequest"),
            "401": rref("Unauthorized"),
            "403": rref("Forbidden"),
            "404": rref("NotFound"),
            "409": dict(conflict, description="The revision in If-Match is stale "
                                               "(stale_revision, with `current`)."),
            "413": rref("PayloadTooLarge"),
            "422": rref("UnprocessableEntity"),
            "500": rref("InternalError"),
        },
    }
    delete_op = {
        "tags": [tag],
        "operationId": "delete" + cname,
        "summary": "Delete a %s" % word,
        "description": "Deletes the %s (with If-Match only if still at that "
                       "revision), leaving a tombstone in the change feed.  A %s "
                       "other entities refer to is 409 in_use.%s  %s" % (
                           word, word, scope_text, roles_text(policy["delete"])),
        "x-roles": policy["delete"],
        "parameters": [pref("IfMatch"), pref("IdempotencyKey"), pref("XReason")],
        "responses": {
            "204": {"description": "Deleted.", "headers": dict(REPLAY_HEADER)},
            "400": rref("BadRequest"),
            "401": rref("Unauthorized"),
            "403": rref("Forbidden"),
            "404": rref("NotFound"),
            "409": conflict,
            "422": rref("UnprocessableEntity"),
            "500": rref("InternalError"),
        },
    }
    return {
        "/api/v1/" + plural: {"get": list_op, "post": create_op},
        "/api/v1/%s/{id}" % plural: {"parameters": [id_param], "get": get_op,
                                     "patch": patch_op, "delete": delete_op},
    }


def other_paths():
    return {
        "/healthz": {"get": {
            "tags": ["Meta"],
            "operationId": "getHealth",
            "summary": "Health check",
            "description": "Answers while the server runs and can read its store; "
                           "for monitoring.  No authentication.",
            "security": [],
            "responses": {
                "200": json_body("Health", "The server is up."),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/openapi.json": {"get": {
            "tags": ["Meta"],
            "operationId": "getOpenApi",
            "summary": "This document",
            "description": "The OpenAPI 3.0 document of the API, as kept in the "
                           "source tree (data/openapi.json).  No authentication.",
            "security": [],
            "responses": {
                "200": {"description": "The OpenAPI document.",
                        "content": {"application/json": {
                            "schema": {"type": "object"}}}},
            },
        }},
        "/api/v1/session": {
            "post": {
                "tags": ["Session"],
                "operationId": "createSession",
                "summary": "Sign in",
                "description": "Checks the user name and password and starts a "
                               "session.  After repeated failures for one user name "
                               "the name is locked for a while (429).  No "
                               "authentication.",
                "security": [],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": {"$ref": "#/components/schemas/SessionRequest"}}}},
                "responses": {
                    "201": json_body("Session", "Signed in."),
                    "400": rref("BadRequest"),
                    "401": error_response(
                        "Wrong user name or password (invalid_credentials); "
                        "which one is not said.",
                        "invalid_credentials", "wrong user name or password"),
                    "403": error_response(
                        "The user is disabled (forbidden).",
                        "forbidden", "this user is disabled"),
                    "413": rref("PayloadTooLarge"),
                    "422": rref("UnprocessableEntity"),
                    "429": rref("TooManyAttempts"),
                    "500": rref("InternalError"),
                },
            },
            "delete": {
                "tags": ["Session"],
                "operationId": "deleteSession",
                "summary": "Sign out",
                "description": "Ends the session of the bearer token.",
                "responses": {
                    "204": {"description": "Signed out."},
                    "401": rref("Unauthorized"),
                    "500": rref("InternalError"),
                },
            },
        },
        "/api/v1/me": {"get": {
            "tags": ["Session"],
            "operationId": "getMe",
            "summary": "The signed-in user",
            "description": "The user the bearer token belongs to.",
            "responses": {
                "200": json_body("User", "The user."),
                "401": rref("Unauthorized"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/changes": {"get": {
            "tags": ["Sync"],
            "operationId": "listChanges",
            "summary": "Changes since a revision",
            "description": "Everything the caller may see that changed after "
                           "revision `since`, oldest first, with tombstones for "
                           "deletions; then continue from `revision` while `more` "
                           "is true.  Account managers get only their centres' "
                           "orders, slots, shipments and shipment legs; users are "
                           "listed only for admins.",
            "parameters": [pref("Since"), pref("ChangesLimit")],
            "responses": {
                "200": json_body("ChangesPage", "A page of changes."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/events": {"get": {
            "tags": ["Sync"],
            "operationId": "openEvents",
            "summary": "Event stream (WebSocket)",
            "description": "A WebSocket (send `Connection: Upgrade` and `Upgrade: "
                           "websocket`).  On open the server sends a text message "
                           "`{\"revision\":N}` (RevisionEvent), and again after each "
                           "committed change the caller may see, so clients pull "
                           "/api/v1/changes at once instead of polling.  The token "
                           "may be given as `?access_token=TOKEN` where a WebSocket "
                           "client cannot set headers.",
            "security": [{"bearerAuth": []}, {"accessToken": []}],
            "responses": {
                "101": {"description": "Switching to the WebSocket protocol; "
                                       "messages are RevisionEvent objects.",
                        "content": {"application/json": {
                            "schema": {"$ref": "#/components/schemas/RevisionEvent"}}}},
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
            },
        }},
        "/api/v1/audit": {"get": {
            "tags": ["Audit"],
            "operationId": "listAudit",
            "summary": "Read the audit trail",
            "description": "Audit entries with seq greater than `after`, oldest "
                           "first.  Roles: admin, qa.",
            "x-roles": ["admin", "qa"],
            "parameters": [pref("AuditAfter"), pref("AuditLimit")],
            "responses": {
                "200": json_body("AuditPage", "A page of entries."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/audit/verify": {"get": {
            "tags": ["Audit"],
            "operationId": "verifyAudit",
            "summary": "Verify the audit trail",
            "description": "Walks the whole hash chain: `ok` with the number of "
                           "entries when intact, or the first entry that does not "
                           "hold.  Roles: admin, qa.",
            "x-roles": ["admin", "qa"],
            "responses": {
                "200": json_body("AuditVerification", "The result of the walk."),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "500": rref("InternalError"),
            },
        }},
    }


# ------------------------------------------- planning and the network

PLAN_ERROR_CODES = [
    "stale_plan", "line_busy", "calendar_closed", "maintenance", "no_isotope_supply",
    "orders_infeasible", "line_not_for_product", "run_not_movable",
]
ROUTE_REASONS = ["ok", "leg_cancelled", "too_late", "over_sla", "below_activity", "no_route"]
REROUTE_OUTCOMES = ["on_plan", "proposal", "cannot_be_saved"]
PROPOSAL_STATUS = ["proposed", "accepted", "rejected", "superseded"]
EVENT_KINDS = ["departed", "arrived", "late", "cancelled"]


def _time(description, nullable=False):
    s = {"type": "string", "format": "date-time", "example": TIME_EXAMPLE,
         "description": description}
    if nullable:
        s["nullable"] = True
    return s


def _num(description, nullable=True):
    s = {"type": "number", "format": "double", "description": description}
    if nullable:
        s["nullable"] = True
    return s


def _ref(name):
    return {"$ref": "#/components/schemas/" + name}


def planning_network_schemas():
    int64 = {"type": "integer", "format": "int64"}
    capacity_row = {
        "type": "object",
        "description": "Capacity against demand for one ISO week, product and region.",
        "required": ["week_start", "product_id", "region", "demand", "target", "capacity",
                     "max_capacity", "gap"],
        "properties": {
            "week_start": _time("Monday 00:00 UTC of the week."),
            "product_id": {"type": "string"},
            "region": {"type": "string"},
            "demand": dict(int64, description="Forecast doses."),
            "target": dict(int64, description="Demand with the capacity margin."),
            "capacity": dict(int64, description="Doses of the runs (as proposed, or as "
                                                "they are)."),
            "max_capacity": dict(int64, description="If every free place on the lines ran "
                                                    "at full size."),
            "gap": dict(int64, minimum=0, description="Doses short of the forecast."),
        },
    }
    return {
        "PlanChange": {
            "type": "object",
            "description": "One run the plan adds, moves, resizes or removes (cancels).",
            "required": ["kind", "run_id", "reason", "before", "after"],
            "properties": {
                "kind": {"type": "string", "enum": ["add", "move", "resize", "remove"]},
                "run_id": {"type": "string"},
                "reason": {"type": "string", "description": "One human sentence."},
                "before": {"type": "object", "allOf": [_ref("Run")], "nullable": True,
                           "description": "The run as stored; null for add."},
                "after": _ref("Run"),
            },
        },
        "CapacityRow": capacity_row,
        "Plan": {
            "type": "object",
            "description": "A proposal: the diff against the stored runs and capacity "
                           "against demand.  Apply it with its revision and digest.",
            "required": ["from", "to", "weeks", "changes", "capacity", "revision", "digest",
                         "total_gap"],
            "properties": {
                "from": _time("Monday 00:00 UTC of the first week."),
                "to": _time("End of the horizon (exclusive)."),
                "weeks": dict(int64, minimum=1, maximum=52),
                "changes": {"type": "array", "items": _ref("PlanChange")},
                "capacity": {"type": "array", "items": _ref("CapacityRow")},
                "revision": dict(int64, minimum=0,
                                 description="The store's revision the proposal was made at."),
                "digest": {"type": "string",
                           "description": "Hex SHA-256 of `changes`, for POST "
                                          "/api/v1/plan/apply."},
                "total_gap": dict(int64, minimum=0),
                "applied": dict(int64, minimum=0,
                                description="After apply: the runs written."),
            },
        },
        "PlanApplyRequest": {
            "type": "object",
            "required": ["basis_revision"],
            "properties": {
                "from": {"type": "string", "description": "As for GET /api/v1/plan.",
                         "example": "2026-11-30"},
                "weeks": dict(int64, minimum=1, maximum=52, default=4),
                "basis_revision": dict(int64, minimum=0,
                                       description="`revision` of the proposal."),
                "digest": {"type": "string",
                           "description": "`digest` of the proposal.  With it, the plan "
                                          "applies while planning again gives the same "
                                          "changes; without it, only while the store is "
                                          "still at basis_revision."},
            },
            "additionalProperties": False,
        },
        "Capacity": {
            "type": "object",
            "required": ["from", "to", "weeks", "capacity", "total_gap"],
            "properties": {
                "from": _time("Monday 00:00 UTC of the first week."),
                "to": _time("End of the horizon (exclusive)."),
                "weeks": dict(int64, minimum=1, maximum=52),
                "capacity": {"type": "array", "items": _ref("CapacityRow")},
                "total_gap": dict(int64, minimum=0),
            },
        },
        "MoveCheck": {
            "type": "object",
            "description": "Whether the run may go there; when not, the code and "
                           "message a PATCH would get.",
            "required": ["ok", "run_id", "line_id", "start_time", "eos_time", "code",
                         "message", "field"],
            "properties": {
                "ok": {"type": "boolean"},
                "run_id": {"type": "string"},
                "line_id": {"type": "string"},
                "start_time": _time("The start asked about."),
                "eos_time": _time("The end of synthesis it would have."),
                "code": {"type": "string", "nullable": True,
                         "enum": PLAN_ERROR_CODES[1:] + ["not_found", None]},
                "message": {"type": "string", "nullable": True},
                "field": {"type": "string", "nullable": True},
            },
        },
        "RouteLeg": {
            "type": "object",
            "required": ["lane_id", "mode", "on_demand", "origin_id", "destination_id",
                         "departure", "arrival"],
            "properties": {
                "lane_id": {"type": "string"},
                "mode": {"type": "string", "enum": LANE_MODE},
                "on_demand": {"type": "boolean"},
                "origin_id": {"type": "string"},
                "destination_id": {"type": "string"},
                "carrier": {"type": "string", "nullable": True},
                "service": {"type": "string", "nullable": True},
                "ready_by": _time("Goods at the origin by then."),
                "departure": _time("Departure."),
                "arrival": _time("Arrival."),
                "departure_local": {"type": "string", "nullable": True,
                                    "description": "Local time with the zone, at the origin."},
                "arrival_local": {"type": "string", "nullable": True},
                "cancelled": {"type": "boolean"},
            },
        },
        "Route": {
            "type": "object",
            "description": "A chain of legs and what it means for the dose.",
            "required": ["from", "to", "departure", "arrival", "n_legs", "feasible",
                         "reason", "legs"],
            "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"},
                "ready": _time("The dose must be ready at the origin by then.", True),
                "departure": _time("Departure of the first leg."),
                "arrival": _time("Arrival of the last leg."),
                "n_legs": dict(int64, minimum=0),
                "door_to_door_s": int64,
                "activity_departure_bq": _num("Activity at departure; null if unknown."),
                "activity_arrival_bq": _num("Activity at arrival."),
                "administration": _time("When the dose can be given.", True),
                "activity_administration_bq": _num("Activity at administration."),
                "margin": _num("Activity at administration / prescribed − 1."),
                "feasible": {"type": "boolean"},
                "reason": {"type": "string", "enum": ROUTE_REASONS},
                "message": {"type": "string", "nullable": True},
                "legs": {"type": "array", "items": _ref("RouteLeg")},
            },
        },
        "RouteList": {
            "type": "object",
            "required": ["from", "to", "depart_after", "routes"],
            "properties": {
                "from": {"type": "string"},
                "to": {"type": "string"},
                "depart_after": _time("The dose is ready at `from` then."),
                "product_id": {"type": "string", "nullable": True},
                "routes": {"type": "array", "items": _ref("Route"),
                           "description": "Best first: feasible by activity margin, "
                                          "then the others by arrival."},
            },
        },
        "FeatureCollection": {
            "type": "object",
            "description": "A GeoJSON (RFC 7946) FeatureCollection; coordinates are "
                           "[longitude, latitude].",
            "required": ["type", "features"],
            "properties": {
                "type": {"type": "string", "enum": ["FeatureCollection"]},
                "features": {"type": "array", "items": {"type": "object"}},
            },
        },
        "Reroute": {
            "type": "object",
            "required": ["outcome", "location_id", "location_time", "reason", "message", "route"],
            "properties": {
                "outcome": {"type": "string", "enum": REROUTE_OUTCOMES},
                "location_id": {"type": "string", "nullable": True,
                                "description": "Where the dose is, or will be."},
                "location_time": _time("From when.", True),
                "reason": {"type": "string", "enum": ROUTE_REASONS},
                "message": {"type": "string", "nullable": True},
                "route": {"type": "object", "allOf": [_ref("Route")], "nullable": True},
            },
        },
        "RerouteProposal": {
            "type": "object",
            "description": "A new way for a shipment's dose, for logistics to accept.",
            "required": ["id", "shipment_id", "leg_id", "from_seq", "created_at", "status",
                         "outcome", "reason", "reroute"],
            "properties": {
                "id": {"type": "string"},
                "shipment_id": {"type": "string"},
                "leg_id": {"type": "string", "description": "The leg that was reported."},
                "from_seq": dict(int64, minimum=0,
                                 description="Accepting replaces the legs from this seq on."),
                "created_at": _time("When it was made."),
                "created_by": {"type": "string", "nullable": True},
                "revision": dict(int64, minimum=0),
                "outcome": {"type": "string", "enum": REROUTE_OUTCOMES},
                "reason": {"type": "string", "enum": ROUTE_REASONS},
                "message": {"type": "string", "nullable": True},
                "status": {"type": "string", "enum": PROPOSAL_STATUS},
                "decided_at": _time("When it was accepted, rejected or superseded.", True),
                "decided_by": {"type": "string", "nullable": True},
                "reroute": _ref("Reroute"),
            },
        },
        "RerouteProposalList": {
            "type": "object",
            "required": ["items"],
            "properties": {"items": {"type": "array", "items": _ref("RerouteProposal"),
                                     "description": "Newest first."}},
        },
        "ShipmentEvent": {
            "type": "object",
            "required": ["leg_id", "kind"],
            "properties": {
                "leg_id": {"type": "string"},
                "kind": {"type": "string", "enum": EVENT_KINDS},
                "eta": {"type": "string", "format": "date-time", "example": TIME_EXAMPLE,
                        "description": "For late: the leg's expected arrival."},
                "at": {"type": "string", "format": "date-time", "example": TIME_EXAMPLE,
                       "description": "For departed and arrived: when (default now)."},
            },
            "additionalProperties": False,
        },
        "ShipmentEventResult": {
            "type": "object",
            "required": ["shipment", "leg", "outcome", "reason", "message", "reroute",
                         "proposal"],
            "properties": {
                "shipment": _ref("Shipment"),
                "leg": _ref("ShipmentLeg"),
                "outcome": {"type": "string", "nullable": True,
                            "enum": REROUTE_OUTCOMES + [None],
                            "description": "For late and cancelled legs."},
                "reason": {"type": "string", "nullable": True, "enum": ROUTE_REASONS + [None]},
                "message": {"type": "string", "nullable": True},
                "reroute": {"type": "object", "allOf": [_ref("Reroute")], "nullable": True},
                "proposal": {"type": "object", "allOf": [_ref("RerouteProposal")],
                             "nullable": True},
            },
        },
        "RerouteDecision": {
            "type": "object",
            "required": ["proposal", "shipment", "legs"],
            "properties": {
                "proposal": _ref("RerouteProposal"),
                "shipment": _ref("Shipment"),
                "legs": {"type": "array", "items": _ref("ShipmentLeg"),
                         "description": "The shipment's legs now, by seq."},
            },
        },
    }


def _q(name, description, schema=None, required=False, example=None):
    p = {"name": name, "in": "query", "required": required, "description": description,
         "schema": schema or {"type": "string"}}
    if example is not None:
        p["example"] = example
    return p


def _path_id(description):
    return {"name": "id", "in": "path", "required": True, "description": description,
            "schema": {"type": "string"}}


def _err(status, description, code, message, field_=None):
    return error_response(description, code, message, field_)


def planning_network_paths():
    int64 = {"type": "integer", "format": "int64"}
    horizon = [
        _q("from", "Any day of the first week (its Monday is used): an ISO 8601 date or "
                   "date-time; default this week.", example="2026-11-30"),
        _q("weeks", "Weeks of the horizon.", dict(int64, minimum=1, maximum=52, default=4)),
    ]
    not_reporting = ["admin", "logistics"]
    shipment_id = _path_id("The shipment's id.")
    proposal_id = {"name": "proposal_id", "in": "path", "required": True,
                   "description": "The proposal's id.", "schema": {"type": "string"}}
    decision_errors = {
        "400": rref("BadRequest"),
        "401": rref("Unauthorized"),
        "403": rref("Forbidden"),
        "404": rref("NotFound"),
        "409": _err(409, "The proposal is decided already (proposal_closed), or the "
                         "shipment changed or the first new leg has left since it was made "
                         "(stale_proposal).", "stale_proposal",
                    "the first new leg has left"),
        "422": rref("UnprocessableEntity"),
        "500": rref("InternalError"),
    }

    def decision(verb, summary, description):
        return {"post": {
            "tags": ["Network"],
            "operationId": verb + "Reroute",
            "summary": summary,
            "description": description + "  " + roles_text(not_reporting),
            "x-roles": not_reporting,
            "parameters": [pref("IdempotencyKey"), pref("XReason")],
            "responses": dict({"200": dict(json_body("RerouteDecision", "Decided."),
                                           headers=dict(REPLAY_HEADER))}, **decision_errors),
        }, "parameters": [shipment_id, proposal_id]}

    return {
        "/api/v1/plan": {"get": {
            "tags": ["Planning"],
            "operationId": "getPlan",
            "summary": "Propose runs for the forecasts",
            "description": "The planner's proposal for the horizon: runs added, moved, "
                           "resized or removed against the stored plan, each with a reason, "
                           "and capacity against demand per week, product and region.  "
                           "Nothing is written.  Roles: admin, planner.",
            "x-roles": ["admin", "planner"],
            "parameters": horizon,
            "responses": {
                "200": json_body("Plan", "The proposal."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/plan/apply": {"post": {
            "tags": ["Planning"],
            "operationId": "applyPlan",
            "summary": "Apply a proposal",
            "description": "Plans again and writes the changes in one transaction, with an "
                           "audit entry per run; they reach the change feed and the event "
                           "stream.  Refused with 409 stale_plan when the store has moved "
                           "on: with `digest`, when planning again gives other changes; "
                           "without, when the store is no longer at basis_revision.  "
                           "Roles: admin, planner.",
            "x-roles": ["admin", "planner"],
            "parameters": [pref("IdempotencyKey"), pref("XReason")],
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("PlanApplyRequest")}}},
            "responses": {
                "200": dict(json_body("Plan", "Applied; `applied` runs were written."),
                            headers=dict(REPLAY_HEADER)),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "409": _err(409, "The plan is stale: plan again (stale_plan).", "stale_plan",
                            "the plan changed since it was proposed; plan again",
                            "digest"),
                "413": rref("PayloadTooLarge"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/capacity": {"get": {
            "tags": ["Planning"],
            "operationId": "getCapacity",
            "summary": "Capacity against demand",
            "description": "Doses the runs as they are can make against the forecasts, per "
                           "ISO week, product and region, with the gap.  Roles: admin, "
                           "planner, qa, logistics, viewer.",
            "x-roles": ["admin", "planner", "qa", "logistics", "viewer"],
            "parameters": horizon,
            "responses": {
                "200": json_body("Capacity", "Capacity rows."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/runs/{id}/check-move": {"get": {
            "tags": ["Planning"],
            "operationId": "checkRunMove",
            "summary": "Could the run move there?",
            "description": "Asks the planner whether the run may move to the line at the "
                           "start (keeping its synthesis duration), as PATCH "
                           "/api/v1/runs/{id} would: line free, calendar open, no "
                           "maintenance, isotope supply, booked orders still feasible.  "
                           "Always 200 with `ok`; for live feedback while dragging.  "
                           "Roles: admin, planner, qa.",
            "x-roles": ["admin", "planner", "qa"],
            "parameters": [
                _path_id("The run's id."),
                _q("line", "The line (default: the run's)."),
                _q("start", "The new start, ISO 8601 (default: the run's).",
                   example=TIME_EXAMPLE),
            ],
            "responses": {
                "200": json_body("MoveCheck", "The verdict."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "404": rref("NotFound"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/routes": {"get": {
            "tags": ["Network"],
            "operationId": "findRoutes",
            "summary": "Good routes from a site to a centre",
            "description": "The Pareto-good routes (earliest arrival, latest departure, "
                           "fewest legs) for a dose ready at `from` after `depart_after`, "
                           "each with its legs, local times and the activity left, best "
                           "first; with format=geojson every route's legs and stops as one "
                           "FeatureCollection (application/geo+json), each feature's "
                           "properties giving the index of its `route`.  Account managers "
                           "may ask only for their own centres.  Roles: admin, planner, "
                           "account_manager, qa, logistics, viewer.",
            "x-roles": list(ROLES),
            "parameters": [
                _q("from", "Site (or hub) id.", required=True),
                _q("to", "Centre (or hub) id.", required=True),
                _q("depart_after", "When the dose is ready, ISO 8601.", required=True,
                   example=TIME_EXAMPLE),
                _q("product", "Product id; without it activities are not computed."),
                _q("activity", "Activity at departure, e.g. 7.4GBq (default: the "
                               "product's dose)."),
                _q("admin_start", "Start of the administration window, ISO 8601."),
                _q("admin_end", "End of the administration window, ISO 8601."),
                _q("max_legs", "At most this many legs (default 6).",
                   dict(int64, minimum=0, maximum=16)),
                _q("window_s", "Doses ready up to this long after depart_after (default "
                               "24 h).", dict(int64, minimum=0, maximum=604800)),
                _q("format", "json (default) or geojson.",
                   {"type": "string", "enum": ["json", "geojson"]}),
            ],
            "responses": {
                "200": {"description": "The routes.",
                        "content": {
                            "application/json": {"schema": _ref("RouteList")},
                            "application/geo+json": {"schema": _ref("FeatureCollection")},
                        }},
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/network.geojson": {"get": {
            "tags": ["Network"],
            "operationId": "getNetwork",
            "summary": "The network as GeoJSON",
            "description": "Sites, hubs and centres as Points and lanes as LineStrings "
                           "(RFC 7946).  Roles: admin, planner, account_manager, qa, "
                           "logistics, viewer.",
            "x-roles": list(ROLES),
            "responses": {
                "200": {"description": "The network.",
                        "content": {"application/geo+json": {
                            "schema": _ref("FeatureCollection")}}},
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/shipments/{id}/events": {
            "parameters": [shipment_id],
            "post": {
                "tags": ["Network"],
                "operationId": "reportShipmentEvent",
                "summary": "Report a leg departed, arrived, late or cancelled",
                "description": "Updates the leg (and the shipment) and, for a late or "
                               "cancelled leg, re-plans from where the dose is: still on "
                               "plan, a proposal (stored; accept it to change the legs), or "
                               "cannot be saved (the shipment is marked late), with the "
                               "reason.  One transaction with audit entries; the changes "
                               "reach the change feed and event stream.  Roles: admin, "
                               "logistics.",
                "x-roles": not_reporting,
                "parameters": [pref("IdempotencyKey"), pref("XReason")],
                "requestBody": {"required": True, "content": {"application/json": {
                    "schema": _ref("ShipmentEvent")}}},
                "responses": {
                    "200": dict(json_body("ShipmentEventResult", "Recorded."),
                                headers=dict(REPLAY_HEADER)),
                    "400": rref("BadRequest"),
                    "401": rref("Unauthorized"),
                    "403": rref("Forbidden"),
                    "404": rref("NotFound"),
                    "413": rref("PayloadTooLarge"),
                    "422": rref("UnprocessableEntity"),
                    "500": rref("InternalError"),
                },
            },
        },
        "/api/v1/shipments/{id}/reroute": {
            "parameters": [shipment_id],
            "get": {
                "tags": ["Network"],
                "operationId": "listReroutes",
                "summary": "Re-routing proposals of a shipment",
                "description": "Every proposal made for the shipment, newest first.  "
                               "Account managers only for their centres' shipments.  Roles: "
                               "admin, planner, account_manager, qa, logistics, viewer.",
                "x-roles": list(ROLES),
                "responses": {
                    "200": json_body("RerouteProposalList", "The proposals."),
                    "401": rref("Unauthorized"),
                    "403": rref("Forbidden"),
                    "404": rref("NotFound"),
                    "422": rref("UnprocessableEntity"),
                    "500": rref("InternalError"),
                },
            },
        },
        "/api/v1/shipments/{id}/reroute/{proposal_id}/accept": decision(
            "accept", "Accept a re-routing proposal",
            "Replaces the shipment's legs from the proposal's from_seq on with its legs, "
            "in one transaction with audit entries; older open proposals are superseded."),
        "/api/v1/shipments/{id}/reroute/{proposal_id}/reject": decision(
            "reject", "Reject a re-routing proposal", "Marks the proposal rejected."),
    }


# ------------------------------------------------------------- booking

# The slot engine's codes (bq_slot_error_to_code) and the generic
# write's refusal to touch a slot's bookings.
ERROR_CODES += [c for c in ["sold_out", "held_by_other", "after_cutoff", "infeasible",
                            "slot_closed", "wrong_state", "read_only"]
                if c not in ERROR_CODES]

BOOKERS = ["admin", "planner", "account_manager"]
ORDER_HANDLERS = ["admin", "planner", "account_manager", "logistics"]
REALLOCATORS = ["admin", "planner", "logistics"]
SLOT_REASONS = ["ok", "closed", "after_cutoff", "sold_out", "held_by_other", "too_far",
                "too_late", "too_little_activity"]


def booking_schemas():
    int64 = {"type": "integer", "format": "int64"}
    window = {
        "centre_id": {"type": "string", "description": "The treatment centre."},
        "product_id": {"type": "string"},
        "prescribed_activity_bq": {"type": "number", "format": "double", "exclusiveMinimum": True,
                                   "minimum": 0,
                                   "description": "Activity at administration, Bq."},
        "admin_start": _time("The administration window opens."),
        "admin_end": _time("The administration window closes."),
    }
    return {
        "SlotOption": {
            "type": "object",
            "description": "One slot judged for one order (or, in a calendar, only for "
                           "booking: status, cut-off and doses left).",
            "required": ["slot_id", "run_id", "feasible", "reason", "summary", "remaining"],
            "properties": {
                "slot_id": {"type": "string"},
                "run_id": {"type": "string"},
                "batch": {"type": "string", "nullable": True},
                "site_id": {"type": "string", "nullable": True},
                "product_id": {"type": "string", "nullable": True},
                "centre_id": {"type": "string", "nullable": True,
                              "description": "Null for a regional pool."},
                "region": {"type": "string", "nullable": True},
                "pool": {"type": "boolean"},
                "delivery_date": _time("00:00 UTC of the local delivery day."),
                "capacity": int64,
                "claimed": int64,
                "held": int64,
                "remaining": dict(int64, description="Doses free to the caller."),
                "status": {"type": "string"},
                "cutoff": _time("Ordering closes.", nullable=True),
                "calibration": _time("The run's calibration time.", nullable=True),
                "feasible": {"type": "boolean"},
                "reason": {"type": "string", "enum": SLOT_REASONS},
                "summary": {"type": "string",
                            "description": "One line: why it serves, or why not."},
                "arrival": _time("At the centre.", nullable=True),
                "administration": _time("First possible moment in the window.",
                                        nullable=True),
                "activity_bq": _num("Most activity a dose has at administration."),
                "needed_bq": _num("Prescribed less the product's tolerance."),
                "route": {"type": "object", "nullable": True,
                          "description": "The route judged."},
            },
        },
        "SlotCalendar": {
            "type": "object",
            "required": ["from", "to", "slots", "revision"],
            "properties": {
                "centre_id": {"type": "string", "nullable": True},
                "region": {"type": "string", "nullable": True},
                "from": _time("First delivery day."),
                "to": _time("End (exclusive)."),
                "revision": dict(int64, description="The store's revision."),
                "slots": {"type": "array", "items": _ref("SlotOption"),
                          "description": "By delivery day, then id."},
            },
        },
        "SlotMatchRequest": {
            "type": "object",
            "required": ["centre_id", "product_id", "admin_start", "admin_end"],
            "properties": dict(window, max_options=dict(
                int64, minimum=0, maximum=1000,
                description="Feasible options to keep; 0 or absent: all.")),
        },
        "SlotMatch": {
            "type": "object",
            "required": ["centre_id", "product_id", "feasible", "infeasible"],
            "properties": {
                "centre_id": {"type": "string"},
                "product_id": {"type": "string"},
                "prescribed_bq": _num("As asked, or the product's dose."),
                "needed_bq": _num("Prescribed less the tolerance."),
                "admin_start": _time("The window."),
                "admin_end": _time("The window."),
                "feasible": {"type": "array", "items": _ref("SlotOption"),
                             "description": "Best first."},
                "infeasible": {"type": "array", "items": _ref("SlotOption"),
                               "description": "With the reason each is not."},
            },
        },
        "SlotClaimRequest": {
            "type": "object",
            "description": "The order the dose is for.  Other members are refused.",
            "required": ["centre_id", "product_id", "patient_ref", "prescribed_activity_bq",
                         "admin_start", "admin_end"],
            "properties": dict(window, patient_ref={
                "type": "string", "pattern": "^[A-Za-z0-9._-]{3,64}$",
                "description": "A pseudonymous reference with at least one digit; "
                               "never a name."}),
        },
        "RescheduleRequest": {
            "type": "object",
            "required": ["slot_id"],
            "properties": {
                "slot_id": {"type": "string", "description": "The slot to move to."},
                "admin_start": _time("A new window (absent: the old one)."),
                "admin_end": _time("A new window (absent: the old one)."),
            },
        },
        "BookingConflict": {
            "type": "object",
            "description": "A refused booking with the next best slots for the same order.",
            "required": ["error"],
            "properties": {
                "error": {"type": "object", "required": ["code", "message"],
                 "properties": {
                     "code": {"type": "string",
                              "enum": ["sold_out", "held_by_other", "after_cutoff",
                                       "slot_closed", "wrong_state"]},
                     "message": {"type": "string"},
                     "field": {"type": "string", "nullable": True}}},
                "alternatives": {"type": "array", "items": _ref("SlotOption"),
                                 "description": "Feasible, best first (at most five)."},
            },
        },
        "AffectedOrder": {
            "type": "object",
            "required": ["order_id", "alternatives"],
            "properties": {
                "order_id": {"type": "string"},
                "centre_id": {"type": "string"},
                "patient_ref": {"type": "string"},
                "admin_start": _time("The window opens."),
                "old_slot_id": {"type": "string", "nullable": True},
                "new_slot_id": {"type": "string", "nullable": True},
                "message": {"type": "string"},
                "alternatives": {"type": "array", "items": _ref("SlotOption")},
            },
        },
        "Reallocation": {
            "type": "object",
            "required": ["run_id", "applied", "moved", "unplaced", "orders"],
            "properties": {
                "run_id": {"type": "string"},
                "applied": {"type": "boolean",
                            "description": "Written, or only proposed."},
                "moved": int64,
                "unplaced": int64,
                "orders": {"type": "array", "items": _ref("AffectedOrder")},
            },
        },
    }


def booking_paths():
    id_slot = _path_id("The slot's id.")
    id_order = _path_id("The order's id.")
    id_run = _path_id("The run's id.")
    conflict = {"description": "Refused: sold out, held by another user, after the "
                               "cut-off or closed, with alternatives for the same order.",
                "content": {"application/json": {"schema": _ref("BookingConflict")}}}
    write_errors = {
        "400": rref("BadRequest"),
        "401": rref("Unauthorized"),
        "403": rref("Forbidden"),
        "404": rref("NotFound"),
        "413": rref("PayloadTooLarge"),
        "422": rref("UnprocessableEntity"),
        "500": rref("InternalError"),
    }
    scoped = ("  An account manager only for the centres they serve: another "
              "centre's slot or order is 404, an order for another centre 403.")

    def write(tag, op, summary, description, roles, ok, body=None, params=(),
              status="200", conflict_response=None):
        r = {
            "tags": [tag],
            "operationId": op,
            "summary": summary,
            "description": description + "  " + roles_text(roles),
            "x-roles": roles,
            "parameters": [pref("IdempotencyKey"), pref("XReason")] + list(params),
            "responses": dict({status: dict(ok, headers=dict(REPLAY_HEADER))},
                              **write_errors),
        }
        r["responses"]["409"] = conflict_response or _err(
            409, "Refused by the slot's or order's state.", "wrong_state",
            "Order “o-1” has no claimed slot to confirm")
        if body is not None:
            r["requestBody"] = {"required": True, "content": {"application/json": {
                "schema": _ref(body)}}}
        return r

    return {
        "/api/v1/slots/calendar": {"get": {
            "tags": ["Booking"],
            "operationId": "getSlotCalendar",
            "summary": "The slot calendar of a centre or region",
            "description": "Slots delivered in [from, from + days) to the centre (its "
                           "quotas and its region's pools) or to every centre of the "
                           "region, with doses left, cut-off and whether each can still be "
                           "booked.  Expired holds are cleared first." + scoped + "  "
                           + roles_text(ROLES),
            "x-roles": ROLES,
            "parameters": [
                _q("centre", "A centre id (or region)."),
                _q("region", "A region (or centre)."),
                _q("from", "First delivery day, ISO 8601; default today.",
                   example="2026-12-01"),
                _q("days", "Days shown.", {"type": "integer", "minimum": 1, "maximum": 92,
                                           "default": 14}),
            ],
            "responses": {
                "200": json_body("SlotCalendar", "The calendar."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/slots/match": {"post": {
            "tags": ["Booking"],
            "operationId": "matchSlots",
            "summary": "Rank the feasible slots for an order",
            "description": "Every slot that might serve the order, judged by route, "
                           "decay, cut-off and doses left: the feasible ones best first "
                           "with a one-line explanation, and the others with their "
                           "reason.  Nothing is written." + scoped + "  "
                           + roles_text(ROLES),
            "x-roles": ROLES,
            "requestBody": {"required": True, "content": {"application/json": {
                "schema": _ref("SlotMatchRequest")}}},
            "responses": {
                "200": json_body("SlotMatch", "The ranking."),
                "400": rref("BadRequest"),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "413": rref("PayloadTooLarge"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/slots/{id}/hold": {
            "post": write("Booking", "holdSlot", "Hold a dose",
                          "Holds one dose of the slot for the caller until the product's "
                          "hold duration has passed (the slot's hold_expires), while the "
                          "order is filled in; holding again extends it.  A hold that "
                          "expires is cleared by the server and audited." + scoped,
                          BOOKERS, json_body("Slot", "The slot, held.")),
            "delete": write("Booking", "releaseSlotHold", "Give a hold back",
                            "Gives the caller's hold back before it expires; 409 "
                            "wrong_state when the caller holds nothing there." + scoped,
                            BOOKERS, json_body("Slot", "The slot.")),
            "parameters": [id_slot],
        },
        "/api/v1/slots/{id}/claim": {"post": write(
            "Booking", "claimSlot", "Book a dose for an order",
            "Creates the order and claims one dose of the slot for it, atomically: "
            "under concurrent claims for the last dose exactly one wins.  The caller's "
            "own hold is converted.  Sold out, held by another user, after the cut-off "
            "or closed is 409 with the next best slots for the same order; a slot that "
            "cannot serve the order (route, activity, centre, product) is 422 "
            "infeasible.  Patient names are refused as by POST /api/v1/orders.  The "
            "audit trail has a claim entry for the slot and a create entry for the "
            "order." + scoped,
            BOOKERS, json_body("Order", "The new order, requested, on the slot."),
            body="SlotClaimRequest", status="201", conflict_response=conflict),
            "parameters": [id_slot]},
        "/api/v1/orders/{id}/confirm": {"post": write(
            "Booking", "confirmOrder", "Confirm an order",
            "requested → confirmed; the slot becomes confirmed once all its claims are."
            + scoped, ORDER_HANDLERS, json_body("Order", "The order.")),
            "parameters": [id_order]},
        "/api/v1/orders/{id}/cancel": {"post": write(
            "Booking", "cancelOrder", "Cancel an order",
            "Cancels the order and gives its dose back to the slot." + scoped,
            ORDER_HANDLERS, json_body("Order", "The order, cancelled.")),
            "parameters": [id_order]},
        "/api/v1/orders/{id}/reschedule": {"post": write(
            "Booking", "rescheduleOrder", "Move an order to another slot",
            "Claims a dose of the new slot (optionally with a new window) and gives the "
            "old one back, in one transaction; refusals as for a claim." + scoped,
            ORDER_HANDLERS, json_body("Order", "The order on its new slot."),
            body="RescheduleRequest", conflict_response=conflict),
            "parameters": [id_order]},
        "/api/v1/runs/{id}/affected-orders": {"get": {
            "tags": ["Booking"],
            "operationId": "getAffectedOrders",
            "summary": "Orders a failed or cancelled run affects",
            "description": "The active orders on the run's slots, each with its ranked "
                           "alternatives on other runs, sites and routes.  Nothing is "
                           "written.  " + roles_text(REALLOCATORS),
            "x-roles": REALLOCATORS,
            "parameters": [id_run],
            "responses": {
                "200": json_body("Reallocation", "The proposal (applied false)."),
                "401": rref("Unauthorized"),
                "403": rref("Forbidden"),
                "404": rref("NotFound"),
                "422": rref("UnprocessableEntity"),
                "500": rref("InternalError"),
            },
        }},
        "/api/v1/runs/{id}/reallocate": {"post": write(
            "Booking", "reallocateRun", "Move a run's orders elsewhere",
            "Releases the run's slots and moves every affected order to its best "
            "alternative, earliest administration first, in one change with an audit "
            "entry per order and slot; orders with nowhere to go keep their slot and "
            "are reported.  (A PATCH of a run to failed or cancelled, or moving it, "
            "already reconciles its slots in the same transaction.)",
            REALLOCATORS, json_body("Reallocation", "What was moved.")),
            "parameters": [id_run]},
    }


DESCRIPTION = """\
The public API of becquerel-server, the single source of truth for \
radiopharmaceutical supply planning: sites, lines, products, runs, \
forecasts, slots, orders, lanes and shipments.  The desktop app uses \
exactly this API, and so can a sponsor's own systems.

**Authentication.** `POST /api/v1/session` returns a token; send it as \
`Authorization: Bearer TOKEN`.  Only the session sign-in, `/healthz` and \
this document are public.

**Roles.** admin, planner, account_manager (scoped to the treatment centres \
they serve), qa, logistics, viewer.  Each operation lists the roles that may \
call it (also as `x-roles`); others get 403.  An account manager sees only \
the orders, slots, shipments and shipment legs of their centres: the others \
are 404 by id and left out of lists, the change feed and the event stream.

**Writes.** Every write is one transaction: checks, change, audit entry, \
idempotency record.  Send `Idempotency-Key` to make a retry safe and \
`If-Match` to refuse a change based on a stale revision (409 with the \
current entity).  `X-Reason` goes into the audit trail.

**Errors** are always `{"error":{"code","message","field"}}` with a \
stable code: malformed JSON 400, authentication 401, role 403, missing 404, \
wrong method 405 (with an Allow header), conflicts 409, a body over 1 MiB \
413, validation 422, too many sign-in attempts 429, failures 500, a store \
too busy to answer 503.

**Times** are UTC and written as ISO 8601 `2026-12-01T08:00:00Z`; \
activities are in becquerel; durations in seconds.
"""


def document():
    paths = {}
    paths.update(other_paths())
    paths.update(planning_network_paths())
    paths.update(booking_paths())
    for etype in ENTITY_TYPES:
        paths.update(collection_paths(etype))

    schemas = common_schemas()
    schemas.update(planning_network_schemas())
    schemas.update(booking_schemas())
    for etype in ENTITY_TYPES:
        schemas.update(entity_schemas(etype))

    tags = [
        {"name": "Session", "description": "Signing in and out."},
        {"name": "Sync", "description": "The change feed and the event stream "
                                        "that clients keep their copy current with."},
        {"name": "Audit", "description": "The append-only, hash-chained audit trail."},
        {"name": "Meta", "description": "Health and this document."},
        {"name": "Planning", "description": "Proposals for production runs, capacity "
                                            "against demand, and run moves."},
        {"name": "Network", "description": "Routes, the network as GeoJSON, shipment "
                                           "events and re-routing."},
        {"name": "Booking", "description": "The slot calendar, matching an order to "
                                           "slots, holds, claims, order actions and "
                                           "re-allocation after a failed run."},
    ]
    for etype in ENTITY_TYPES:
        tags.append({"name": camel(etype["plural"]), "description": etype["doc"]})

    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Becquerel API",
            "version": "1.0.0",
            "description": DESCRIPTION,
            "license": {"name": "GPL-3.0-or-later",
                        "url": "https://www.gnu.org/licenses/gpl-3.0.html"},
        },
        "servers": [{"url": "http://127.0.0.1:8470",
                     "description": "becquerel-server on its default address"}],
        "security": [{"bearerAuth": []}],
        "tags": tags,
        "paths": paths,
        "components": {
            "securitySchemes": {
                "bearerAuth": {"type": "http", "scheme": "bearer",
                               "description": "A token from POST /api/v1/session."},
                "accessToken": {"type": "apiKey", "in": "query", "name": "access_token",
                                "description": "The same token as a query parameter; "
                                               "accepted by the event stream only."},
            },
            "parameters": parameters(),
            "responses": responses(),
            "schemas": schemas,
        },
    }


def one_space(node):
    """Sentences in descriptions are separated by one space."""
    if isinstance(node, dict):
        return {k: (re.sub(r"([.:)])  +", r"\1 ", v) if k == "description"
                    and isinstance(v, str) else one_space(v))
                for k, v in node.items()}
    if isinstance(node, list):
        return [one_space(v) for v in node]
    return node


def render():
    return json.dumps(one_space(document()), indent=2, ensure_ascii=False) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="only compare with data/openapi.json")
    parser.add_argument("--output", default=OUTPUT)
    args = parser.parse_args()

    text = render()
    if args.check:
        try:
            with open(args.output, encoding="utf-8") as f:
                current = f.read()
        except OSError:
            current = None
        if current != text:
            print("%s is out of date: run build-aux/gen-openapi.py" % args.output,
                  file=sys.stderr)
            return 1
        return 0
    with open(args.output, "w", encoding="utf-8") as f:
        f.write(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
