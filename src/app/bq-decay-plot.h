/* bq-decay-plot.h — activity against time for a run or a dose
 *
 * One curve, the activity of a nuclide known at one time, from the start
 * of the plot to its end (end of synthesis through calibration, dispatch,
 * arrival and the administration window to expiry), with markers for
 * those moments, the prescribed activity and its tolerance band over the
 * administration window, and the shelf-life limit.  For a nuclide with
 * radioactive daughters (Ac-225) their ingrowth can be shown too, each
 * its own curve.  Linear or log scale; hovering reads out the exact
 * activity and the local time in the plot's zone; activities in the
 * user's unit.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <gtk/gtk.h>

#include "bq-units.h"

G_BEGIN_DECLS

#define BQ_TYPE_DECAY_PLOT (bq_decay_plot_get_type ())
G_DECLARE_FINAL_TYPE (BqDecayPlot, bq_decay_plot, BQ, DECAY_PLOT, GtkWidget)

GtkWidget *bq_decay_plot_new               (void);

/* @activity_bq of @nuclide at @at, shown over [@from, @to).  FALSE (and
 * an empty plot) for an unknown nuclide or an empty range.  Clears the
 * markers, window, prescription and expiry. */
gboolean   bq_decay_plot_set_curve         (BqDecayPlot    *self,
                                            const char     *nuclide,
                                            double          activity_bq,
                                            gint64          at,
                                            gint64          from,
                                            gint64          to);
void       bq_decay_plot_clear             (BqDecayPlot    *self);
/* A labelled moment: "EOS", "Calibration", "Dispatch", "Arrival". */
void       bq_decay_plot_add_marker        (BqDecayPlot    *self,
                                            gint64          time,
                                            const char     *label);
void       bq_decay_plot_set_admin_window  (BqDecayPlot    *self,
                                            gint64          start,
                                            gint64          end);
/* The prescribed activity (at administration) and its tolerance as a
 * fraction; NAN hides it. */
void       bq_decay_plot_set_prescribed    (BqDecayPlot    *self,
                                            double          activity_bq,
                                            double          tolerance);
/* The end of shelf life; BQ_TIME_UNSET (G_MININT64) hides it. */
void       bq_decay_plot_set_expiry        (BqDecayPlot    *self,
                                            gint64          expiry);
void       bq_decay_plot_set_unit          (BqDecayPlot    *self,
                                            BqActivityUnit  unit);
/* Times are written in @zone (NULL: UTC). */
void       bq_decay_plot_set_time_zone     (BqDecayPlot    *self,
                                            GTimeZone      *zone);
void       bq_decay_plot_set_log_scale     (BqDecayPlot    *self,
                                            gboolean        log_scale);
gboolean   bq_decay_plot_get_log_scale     (BqDecayPlot    *self);
void       bq_decay_plot_set_show_daughters (BqDecayPlot   *self,
                                             gboolean       show);
gboolean   bq_decay_plot_get_show_daughters (BqDecayPlot   *self);
/* Whether the nuclide has radioactive daughters to show. */
gboolean   bq_decay_plot_has_daughters     (BqDecayPlot    *self);

/* The activity of the curve's nuclide at @time (NAN without a curve). */
double     bq_decay_plot_activity_at       (BqDecayPlot    *self,
                                            gint64          time);
/* "5.21 GBq · Tue 24 Nov 14:00 CET", as the hover shows it. */
char      *bq_decay_plot_dup_readout       (BqDecayPlot    *self,
                                            gint64          time);

/* Properties: "log-scale", "show-daughters" (boolean, read-write). */

G_END_DECLS
