/* bq-gantt.h — production runs on a timeline, one row per line
 *
 * Rows are the lines of a BqGanttData grouped by site; bars are runs with
 * their phases (synthesis, QC, release and packing, dispatch) coloured by
 * status.  Non-working time and maintenance are shaded, a "now" line runs
 * across.  Ctrl+scroll or a pinch zooms (an hour to months), scrolling or
 * dragging empty space pans, a click selects, Enter or a double click
 * activates, and a planned run can be dragged along its row or to another
 * line: while it moves, the planner (if one is set) says whether it may
 * go there and why not; a valid drop emits "run-moved" (the page queues
 * the change through the client's outbox).
 *
 * Drawing: the static layer (rows, shading, grid, bars, labels; the time
 * axis; the row labels) is kept as render nodes built for a margin around
 * what is visible, so panning only translates them; they are built again
 * when the data, the size, the zoom or the style change, or the view
 * leaves the margin.  Hover, selection, "now" and the drag are drawn on
 * top each frame.
 *
 * Accessibility: GTK 4.8 has no API for virtual children, so the widget
 * itself is focusable and keyboard driven, its label is the timeline's,
 * and its description is kept to the accessible name of the selected run
 * (bq_gantt_dup_run_accessible_name()).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "bq-gantt-model.h"
#include "bq-plan.h"

G_BEGIN_DECLS

#define BQ_TYPE_GANTT (bq_gantt_get_type ())
G_DECLARE_FINAL_TYPE (BqGantt, bq_gantt, BQ, GANTT, GtkWidget)

GtkWidget         *bq_gantt_new                  (void);

/* Keeps the selection (by run id) and the view. */
void               bq_gantt_set_data             (BqGantt      *self,
                                                  BqGanttData  *data);
BqGanttData       *bq_gantt_get_data             (BqGantt      *self);
/* Checks drags live with bq_planner_check_move(); NULL accepts any move
 * of a planned run. */
void               bq_gantt_set_planner          (BqGantt      *self,
                                                  BqPlanner    *planner);
/* The time of the "now" line; BQ_TIME_UNSET follows the clock. */
void               bq_gantt_set_now              (BqGantt      *self,
                                                  gint64        now);
gint64             bq_gantt_get_now              (BqGantt      *self);

/* ------------------------------------------------------------------ view */

/* Shows [@from, @to) across the plot's width (applied once allocated). */
void               bq_gantt_set_time_range       (BqGantt      *self,
                                                  gint64        from,
                                                  gint64        to);
void               bq_gantt_get_time_range       (BqGantt      *self,
                                                  gint64       *from,
                                                  gint64       *to);
double             bq_gantt_get_seconds_per_pixel (BqGantt     *self);
/* > 1 zooms in, around the middle of the plot. */
void               bq_gantt_zoom                 (BqGantt      *self,
                                                  double        factor);
/* Pans by @dx pixels of time and @dy pixels of rows. */
void               bq_gantt_pan                  (BqGantt      *self,
                                                  double        dx,
                                                  double        dy);
/* Puts "now" a fifth of the way in. */
void               bq_gantt_go_to_today          (BqGantt      *self);
/* The current geometry of the plot area (for tests and benchmarks). */
const BqGanttView *bq_gantt_get_view             (BqGantt      *self);
/* The plot area within the widget. */
void               bq_gantt_get_plot_origin      (BqGantt      *self,
                                                  int          *x,
                                                  int          *y);

/* ------------------------------------------------------------- selection */

/* Selects and scrolls to the run; FALSE if it is not shown.  NULL
 * unselects. */
gboolean           bq_gantt_select_run           (BqGantt      *self,
                                                  const char   *run_id);
const char        *bq_gantt_get_selected_run     (BqGantt      *self);
const BqGanttBar  *bq_gantt_get_selected_bar     (BqGantt      *self);
/* "Run LY2-2612-01, Lu-177 PSMA on Line 2 (Leiden), planned, synthesis
 * Tue 24 Nov 06:00–08:00 CET, 3 of 8 doses booked". */
char              *bq_gantt_dup_run_accessible_name (BqGantt   *self,
                                                     const char *run_id);

/* ------------------------------------------------------------------ drag */

/* Programmatic drags, as a pointer drag does them.  begin fails (FALSE)
 * for an unknown run.  update moves the ghost to (@line_id, @start) and
 * says whether it may go there (the reason in @error when not).  end
 * drops: on a valid place it emits "run-moved" and returns TRUE; else
 * FALSE with the reason.  cancel forgets the drag. */
gboolean           bq_gantt_begin_drag           (BqGantt      *self,
                                                  const char   *run_id);
gboolean           bq_gantt_update_drag          (BqGantt      *self,
                                                  const char   *line_id,
                                                  gint64        start,
                                                  GError      **error);
gboolean           bq_gantt_end_drag             (BqGantt      *self,
                                                  GError      **error);
void               bq_gantt_cancel_drag          (BqGantt      *self);
gboolean           bq_gantt_is_dragging          (BqGantt      *self);

/* ----------------------------------------------------------- diagnostics */

/* How many times the static layer has been built. */
guint              bq_gantt_get_n_static_builds  (BqGantt      *self);
/* Drops the cached layers, so the next frame builds them (benchmarks). */
void               bq_gantt_invalidate           (BqGantt      *self);

/* Signals:
 *   "run-activated" (const char *run_id): Enter or a double click.
 *   "run-moved" (const char *run_id, const char *line_id, gint64 start):
 *     a drag ended on a place the planner accepts.
 *   "view-changed": the time range, zoom or vertical scroll changed.
 * Properties: "selected-run" (string, read-only; notify). */

G_END_DECLS
