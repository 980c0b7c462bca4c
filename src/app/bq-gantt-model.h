/* bq-gantt-model.h — rows and bars of the production Gantt, without GTK
 *
 * A BqGanttData is an immutable picture of the cache for the Gantt: one
 * row per line, grouped under a header row per site (sites ordered by
 * organisation, then name), each line's bars sorted by start, its
 * maintenance blocks, and per run the doses booked and QC results.  It is
 * built on a worker thread and then shared (reference counted) by the
 * widget, the page and the run detail.
 *
 * A BqGanttView is the pure geometry of what the widget shows (time at
 * the left edge, seconds per pixel, vertical scroll, size), so layout and
 * hit-testing are testable without a display.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "bq-store.h"

G_BEGIN_DECLS

/* Layout constants, in pixels. */
#define BQ_GANTT_GROUP_HEIGHT 30
#define BQ_GANTT_LINE_HEIGHT  46
#define BQ_GANTT_BAR_INSET     6   /* above and below a bar inside its row */

typedef enum {
  BQ_GANTT_ROW_GROUP,   /* a site: "Organisation · Site, City" */
  BQ_GANTT_ROW_LINE,
} BqGanttRowKind;

typedef struct _BqGanttBar BqGanttBar;

typedef struct {
  BqGanttRowKind   kind;
  guint            index;        /* in the data's rows */
  char            *label;
  char            *sublabel;     /* zone for groups, shift for lines */
  const BqSite    *site;
  const BqLine    *line;         /* NULL for groups */
  GTimeZone       *zone;         /* the site's */
  int              y;            /* top, in content coordinates */
  int              height;
  GPtrArray       *bars;         /* BqGanttBar, sorted by start then id */
  gint64           max_span;     /* the longest bar, for range searches */
  GPtrArray       *maintenance;  /* BqMaintenanceBlock, sorted by start */
} BqGanttRow;

struct _BqGanttBar {
  const BqRun     *run;
  const BqProduct *product;      /* NULL if unknown */
  const BqGanttRow *row;
  guint            index;        /* in the data's bars */
  guint            index_in_row;
  /* Phases: synthesis [start, eos], QC [eos, qc_end], release and
   * packing [qc_end, dispatch]; the bar ends at dispatch. */
  gint64           start;
  gint64           eos;
  gint64           qc_end;
  gint64           dispatch;
  gint64           doses_booked;  /* orders on the run, not cancelled */
  GPtrArray       *qc_results;    /* BqQcResult, by test; may be empty */
};

/* From the end of QC to dispatch when nothing else says (the planner's
 * default packing time). */
#define BQ_GANTT_PACKING_S (30 * 60)

typedef struct _BqGanttData BqGanttData;

#define BQ_TYPE_GANTT_DATA (bq_gantt_data_get_type ())
GType              bq_gantt_data_get_type     (void) G_GNUC_CONST;

/* Reads sites, lines, products, runs, maintenance blocks, orders and QC
 * results from @store (call it on a worker thread with a reader). */
BqGanttData       *bq_gantt_data_load         (BqStore            *store,
                                               GError            **error);
BqGanttData       *bq_gantt_data_ref          (BqGanttData        *self);
void               bq_gantt_data_unref        (BqGanttData        *self);

guint              bq_gantt_data_get_n_rows   (const BqGanttData  *self);
const BqGanttRow  *bq_gantt_data_get_row      (const BqGanttData  *self,
                                               guint               index);
guint              bq_gantt_data_get_n_bars   (const BqGanttData  *self);
const BqGanttBar  *bq_gantt_data_get_bar      (const BqGanttData  *self,
                                               guint               index);
const BqGanttBar  *bq_gantt_data_lookup_bar   (const BqGanttData  *self,
                                               const char         *run_id);
const BqGanttRow  *bq_gantt_data_lookup_line  (const BqGanttData  *self,
                                               const char         *line_id);
const BqProduct   *bq_gantt_data_lookup_product (const BqGanttData *self,
                                                 const char        *product_id);
/* The height of all rows together. */
int                bq_gantt_data_get_height   (const BqGanttData  *self);
/* The first and last start and dispatch of all bars (0, 0 when empty). */
void               bq_gantt_data_get_span     (const BqGanttData  *self,
                                               gint64             *first,
                                               gint64             *last);

/* Rows that intersect [y0, y1) in content coordinates: [*first, *end). */
void               bq_gantt_data_rows_in      (const BqGanttData  *self,
                                               double              y0,
                                               double              y1,
                                               guint              *first,
                                               guint              *end);
/* The row at content @y, or NULL. */
const BqGanttRow  *bq_gantt_data_row_at       (const BqGanttData  *self,
                                               double              y);
/* Bars of @row whose start lies in [t0 − max_span, t1), by binary search:
 * [*first, *end) of row->bars.  Every bar that overlaps [t0, t1) is in
 * it; the caller skips the few that end before t0. */
void               bq_gantt_row_bars_in       (const BqGanttRow   *row,
                                               gint64              t0,
                                               gint64              t1,
                                               guint              *first,
                                               guint              *end);

/* "Planned", "In synthesis", … */
const char        *bq_gantt_run_status_label  (BqRunStatus         status);
/* The CSS-ish name of a status: "planned", "synthesis", … */
const char        *bq_gantt_run_status_nick   (BqRunStatus         status);

/* ------------------------------------------------------------------- view */

typedef struct {
  gint64 origin;           /* the time at x = 0 */
  double seconds_per_px;
  double scroll_y;         /* content y at y = 0 */
  int    width;            /* of the plot area */
  int    height;
} BqGanttView;

#define BQ_GANTT_MIN_SECONDS_PER_PX    5.0     /* an hour is 720 px */
#define BQ_GANTT_MAX_SECONDS_PER_PX 20000.0    /* a month is 130 px */

double             bq_gantt_view_time_to_x    (const BqGanttView  *view,
                                               gint64              t);
gint64             bq_gantt_view_x_to_time    (const BqGanttView  *view,
                                               double              x);
gint64             bq_gantt_view_get_end      (const BqGanttView  *view);
/* Zooms by @factor (> 1 zooms in) keeping the time under @anchor_x
 * where it is; clamped to the limits above. */
void               bq_gantt_view_zoom         (BqGanttView        *view,
                                               double              factor,
                                               double              anchor_x);
/* The bar rectangle of @bar in view coordinates (x may be off-view). */
void               bq_gantt_view_bar_rect     (const BqGanttView  *view,
                                               const BqGanttBar   *bar,
                                               double             *x,
                                               double             *y,
                                               double             *width,
                                               double             *height);
/* The bar under (@x, @y) in view coordinates, or NULL.  Bars narrower
 * than 3 px are hit within 3 px, so every bar can be picked. */
const BqGanttBar  *bq_gantt_view_hit_test     (const BqGanttView  *view,
                                               const BqGanttData  *data,
                                               double              x,
                                               double              y);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqGanttData, bq_gantt_data_unref)

G_END_DECLS
