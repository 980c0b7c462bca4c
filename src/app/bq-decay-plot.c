/* bq-decay-plot.c — activity against time for a run or a dose
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>

#include <glib/gi18n.h>
#include <pango/pangocairo.h>

#include "bq-decay-plot.h"
#include "bq-decay.h"
#include "bq-nuclide.h"

#define N_SAMPLES     240
#define MARGIN_LEFT    74
#define MARGIN_RIGHT   14
#define MARGIN_TOP     34
#define MARGIN_BOTTOM  30

typedef struct {
  gint64  time;
  char   *label;
} Marker;

typedef struct {
  const BqNuclide *nuclide;
  double           values[N_SAMPLES];
} Series;

struct _BqDecayPlot
{
  GtkWidget        parent_instance;

  const BqNuclide *nuclide;
  double           activity;      /* at @at */
  gint64           at;
  gint64           from;
  gint64           to;
  GArray          *markers;
  gint64           admin_start;
  gint64           admin_end;
  double           prescribed;
  double           tolerance;
  gint64           expiry;
  BqActivityUnit   unit;
  GTimeZone       *zone;
  gboolean         log_scale;
  gboolean         show_daughters;

  GArray          *daughters;     /* Series, sampled over [from, to) */
  double           hover_x;       /* in widget coordinates, or < 0 */
};

G_DEFINE_FINAL_TYPE (BqDecayPlot, bq_decay_plot, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_LOG_SCALE,
  PROP_SHOW_DAUGHTERS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
marker_clear (gpointer data)
{
  g_free (((Marker *) data)->label);
}

/* ----------------------------------------------------------------- maths */

double
bq_decay_plot_activity_at (BqDecayPlot *self,
                           gint64       time)
{
  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), NAN);

  if (self->nuclide == NULL)
    return NAN;
  return self->activity * exp (-bq_nuclide_decay_constant (self->nuclide) * (double) (time - self->at));
}

static gint64
sample_time (BqDecayPlot *self,
             guint        i)
{
  return self->from + (gint64) ((double) (self->to - self->from) * i / (N_SAMPLES - 1));
}

/* Daughters grow from a pure parent at the start of the plot (a fresh
 * separation at end of synthesis). */
static void
sample_daughters (BqDecayPlot *self)
{
  g_autoptr(BqInventory) initial = bq_inventory_new ();
  double a0;

  g_array_set_size (self->daughters, 0);
  if (self->nuclide == NULL)
    return;
  a0 = bq_decay_plot_activity_at (self, self->from);
  bq_inventory_add (initial, self->nuclide, a0);

  for (guint i = 0; i < N_SAMPLES; i++)
    {
      double elapsed = (double) (sample_time (self, i) - self->from);
      g_autoptr(BqInventory) later = bq_decay_inventory (initial, MAX (elapsed, 0),
                                                         BQ_DECAY_WHOLE_CHAIN, NULL);
      guint n = later != NULL ? bq_inventory_get_n_items (later) : 0;

      for (guint k = 0; k < n; k++)
        {
          double value;
          const BqNuclide *member = bq_inventory_nth (later, k, &value);
          Series *series = NULL;

          if (member == self->nuclide)
            continue;
          for (guint s = 0; s < self->daughters->len; s++)
            if (g_array_index (self->daughters, Series, s).nuclide == member)
              series = &g_array_index (self->daughters, Series, s);
          if (series == NULL)
            {
              Series empty = { member, { 0 } };

              g_array_append_val (self->daughters, empty);
              series = &g_array_index (self->daughters, Series, self->daughters->len - 1);
            }
          series->values[i] = value;
        }
    }
}

/* ---------------------------------------------------------------- format */

static char *
format_time (BqDecayPlot *self,
             gint64       time,
             const char  *format)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (time);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("—");
  local = g_date_time_to_timezone (utc, self->zone);
  return g_date_time_format (local, format);
}

char *
bq_decay_plot_dup_readout (BqDecayPlot *self,
                           gint64       time)
{
  g_autofree char *activity = NULL;
  g_autofree char *when = NULL;

  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), NULL);

  if (self->nuclide == NULL)
    return NULL;
  activity = bq_units_format_activity (bq_decay_plot_activity_at (self, time), self->unit);
  /* Translators: the time of a hover read-out: "Tue 24 Nov 14:00 CET". */
  when = format_time (self, time, _("%a %-d %b %H:%M %Z"));
  return g_strdup_printf ("%s · %s", activity, when);
}

/* --------------------------------------------------------------- drawing */

typedef struct {
  double x0, y0, width, height;   /* plot area */
  double lo, hi;                  /* activity range (log10 when log) */
  gboolean log;
} Frame;

static double
frame_x (BqDecayPlot *self,
         const Frame *frame,
         gint64       t)
{
  return frame->x0 + frame->width * (double) (t - self->from) / (double) (self->to - self->from);
}

static double
frame_y (const Frame *frame,
         double       activity)
{
  double v;

  if (frame->log)
    v = log10 (MAX (activity, pow (10, frame->lo)));
  else
    v = activity;
  return frame->y0 + frame->height * (1.0 - (v - frame->lo) / (frame->hi - frame->lo));
}

static void
set_source (cairo_t       *cr,
            const GdkRGBA *color,
            double         alpha)
{
  cairo_set_source_rgba (cr, color->red, color->green, color->blue, color->alpha * alpha);
}

static PangoLayout *
make_layout (BqDecayPlot *self,
             cairo_t     *cr,
             const char  *text,
             double       scale)
{
  PangoLayout *layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_cairo_update_layout (cr, layout);
  return layout;
}

static void
draw_text (BqDecayPlot *self,
           cairo_t     *cr,
           const char  *text,
           double       x,
           double       y,
           double       xalign,
           double       scale)
{
  g_autoptr(PangoLayout) layout = make_layout (self, cr, text, scale);
  int w, h;

  pango_layout_get_pixel_size (layout, &w, &h);
  cairo_move_to (cr, x - w * xalign, y);
  pango_cairo_show_layout (cr, layout);
}

static void
compute_range (BqDecayPlot *self,
               Frame       *frame)
{
  double a_from = bq_decay_plot_activity_at (self, self->from);
  double a_to = bq_decay_plot_activity_at (self, self->to);
  double max = MAX (a_from, a_to);
  double min = MIN (a_from, a_to);

  if (!isnan (self->prescribed))
    {
      max = MAX (max, self->prescribed * (1 + self->tolerance));
      min = MIN (min, self->prescribed * (1 - self->tolerance));
    }
  if (self->show_daughters)
    for (guint s = 0; s < self->daughters->len; s++)
      for (guint i = 0; i < N_SAMPLES; i++)
        max = MAX (max, g_array_index (self->daughters, Series, s).values[i]);

  frame->log = self->log_scale;
  if (frame->log)
    {
      double top = ceil (log10 (MAX (max, 1)) + 0.1);
      double bottom = floor (log10 (MAX (min, 1)));

      /* Daughters start from nothing: show three decades below the parent. */
      if (self->show_daughters && self->daughters->len > 0)
        bottom = MIN (bottom, top - 4);
      frame->lo = MIN (bottom, top - 1);
      frame->hi = top;
    }
  else
    {
      frame->lo = 0;
      frame->hi = MAX (max * 1.08, 1);
    }
}

static void
draw_curve (BqDecayPlot   *self,
            cairo_t       *cr,
            const Frame   *frame,
            const double  *values,
            const GdkRGBA *color,
            double         width)
{
  for (guint i = 0; i < N_SAMPLES; i++)
    {
      gint64 t = sample_time (self, i);
      double v = values != NULL ? values[i] : bq_decay_plot_activity_at (self, t);
      double x = frame_x (self, frame, t);
      double y = frame_y (frame, v);

      if (i == 0)
        cairo_move_to (cr, x, y);
      else
        cairo_line_to (cr, x, y);
    }
  set_source (cr, color, 1.0);
  cairo_set_line_width (cr, width);
  cairo_stroke (cr);
}

static void
draw_plot (BqDecayPlot *self,
           cairo_t     *cr,
           int          width,
           int          height)
{
  GdkRGBA fg, accent, green, red, yellow;
  Frame frame;
  gint64 span = self->to - self->from;
  static const gint64 steps[] = { 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400,
                                  2 * 86400, 7 * 86400 };
  gint64 step = steps[G_N_ELEMENTS (steps) - 1];
  static const char * const daughter_colors[] = { "#9141ac", "#e66100", "#c64600", "#1c71d8",
                                                  "#865e3c", "#26a269" };

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &fg);
G_GNUC_END_IGNORE_DEPRECATIONS
  gdk_rgba_parse (&accent, "#3584e4");
  gdk_rgba_parse (&green, "#2ec27e");
  gdk_rgba_parse (&red, "#e01b24");
  gdk_rgba_parse (&yellow, "#e5a50a");

  frame.x0 = MARGIN_LEFT;
  frame.y0 = MARGIN_TOP;
  frame.width = MAX (width - MARGIN_LEFT - MARGIN_RIGHT, 10);
  frame.height = MAX (height - MARGIN_TOP - MARGIN_BOTTOM, 10);
  compute_range (self, &frame);

  /* Administration window and the prescribed band. */
  if (self->admin_end > self->admin_start)
    {
      double x0 = CLAMP (frame_x (self, &frame, self->admin_start), frame.x0, frame.x0 + frame.width);
      double x1 = CLAMP (frame_x (self, &frame, self->admin_end), frame.x0, frame.x0 + frame.width);

      set_source (cr, &green, 0.12);
      cairo_rectangle (cr, x0, frame.y0, MAX (x1 - x0, 2), frame.height);
      cairo_fill (cr);
    }
  if (!isnan (self->prescribed))
    {
      double y_hi = frame_y (&frame, self->prescribed * (1 + self->tolerance));
      double y_lo = frame_y (&frame, self->prescribed * (1 - self->tolerance));
      double y = frame_y (&frame, self->prescribed);
      g_autofree char *text = bq_units_format_activity (self->prescribed, self->unit);
      g_autofree char *label = g_strdup_printf (_("Prescribed %s ±%.0f %%"), text, self->tolerance * 100);

      set_source (cr, &green, 0.18);
      cairo_rectangle (cr, frame.x0, y_hi, frame.width, y_lo - y_hi);
      cairo_fill (cr);
      set_source (cr, &green, 0.9);
      cairo_set_line_width (cr, 1);
      cairo_set_dash (cr, (double[]) { 4, 3 }, 2, 0);
      cairo_move_to (cr, frame.x0, y);
      cairo_line_to (cr, frame.x0 + frame.width, y);
      cairo_stroke (cr);
      cairo_set_dash (cr, NULL, 0, 0);
      /* Under the band, or over it when there is no room below. */
      set_source (cr, &fg, 0.75);
      draw_text (self, cr, label, frame.x0 + frame.width - 6,
                 y_lo + 16 < frame.y0 + frame.height ? y_lo + 1 : MAX (y_hi - 15, frame.y0 + 2),
                 1.0, 0.75);
    }

  /* Past shelf life. */
  if (self->expiry != G_MININT64 && self->expiry < self->to)
    {
      double x = MAX (frame_x (self, &frame, self->expiry), frame.x0);

      set_source (cr, &red, 0.1);
      cairo_rectangle (cr, x, frame.y0, frame.x0 + frame.width - x, frame.height);
      cairo_fill (cr);
      set_source (cr, &red, 0.9);
      cairo_set_line_width (cr, 1.5);
      cairo_move_to (cr, x + 0.5, frame.y0);
      cairo_line_to (cr, x + 0.5, frame.y0 + frame.height);
      cairo_stroke (cr);
    }

  /* Activity grid and labels. */
  cairo_set_line_width (cr, 1);
  if (frame.log)
    {
      for (double d = frame.lo; d <= frame.hi + 1e-9; d += 1)
        {
          double y = frame_y (&frame, pow (10, d));
          g_autofree char *text = bq_units_format_activity (pow (10, d), self->unit);

          set_source (cr, &fg, 0.1);
          cairo_move_to (cr, frame.x0, floor (y) + 0.5);
          cairo_line_to (cr, frame.x0 + frame.width, floor (y) + 0.5);
          cairo_stroke (cr);
          set_source (cr, &fg, 0.6);
          draw_text (self, cr, text, frame.x0 - 6, y - 7, 1.0, 0.75);
        }
    }
  else
    {
      double raw = frame.hi / 4;
      double magnitude = pow (10, floor (log10 (raw)));
      double nice = raw / magnitude < 2 ? 2 : raw / magnitude < 5 ? 5 : 10;
      double tick = nice * magnitude / (nice == 10 ? 2 : 1);

      for (double v = 0; v <= frame.hi; v += tick)
        {
          double y = frame_y (&frame, v);
          g_autofree char *text = bq_units_format_activity (v, self->unit);

          set_source (cr, &fg, 0.1);
          cairo_move_to (cr, frame.x0, floor (y) + 0.5);
          cairo_line_to (cr, frame.x0 + frame.width, floor (y) + 0.5);
          cairo_stroke (cr);
          set_source (cr, &fg, 0.6);
          draw_text (self, cr, text, frame.x0 - 6, y - 7, 1.0, 0.75);
        }
    }

  /* Time grid: ticks at whole hours or days in the zone. */
  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (frame.width * steps[i] / (double) span >= 70)
      {
        step = steps[i];
        break;
      }
  {
    g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (self->from);
    g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, self->zone);
    g_autoptr(GDateTime) day = g_date_time_new (self->zone, g_date_time_get_year (local),
                                                g_date_time_get_month (local),
                                                g_date_time_get_day_of_month (local), 0, 0, 0);
    gint64 t = g_date_time_to_unix (day);

    for (; t <= self->to; t += step)
      {
        double x;
        g_autofree char *text = NULL;

        if (t < self->from)
          continue;
        x = floor (frame_x (self, &frame, t)) + 0.5;
        set_source (cr, &fg, 0.08);
        cairo_move_to (cr, x, frame.y0);
        cairo_line_to (cr, x, frame.y0 + frame.height);
        cairo_stroke (cr);
        text = format_time (self, t, step >= 86400 ? _("%a %-d %b") : _("%a %H:%M"));
        set_source (cr, &fg, 0.6);
        draw_text (self, cr, text, x, frame.y0 + frame.height + 6, 0.5, 0.75);
      }
  }

  /* Markers: dashed lines; labels of moments closer than a label's
   * width are joined ("EOS · QC · Dispatch") and then staggered over
   * two rows above the plot so none overlaps another. */
  {
    g_autoptr(GArray) order = g_array_new (FALSE, FALSE, sizeof (Marker));
    double row_end[2] = { -G_MAXDOUBLE, -G_MAXDOUBLE };
    guint i = 0;

    for (guint m = 0; m < self->markers->len; m++)
      {
        const Marker *marker = &g_array_index (self->markers, Marker, m);
        guint at = 0;

        if (marker->time < self->from || marker->time > self->to)
          continue;
        while (at < order->len && g_array_index (order, Marker, at).time <= marker->time)
          at++;
        g_array_insert_val (order, at, *marker);
      }

    while (i < order->len)
      {
        const Marker *first = &g_array_index (order, Marker, i);
        double x0 = floor (frame_x (self, &frame, first->time)) + 0.5;
        g_autoptr(GString) label = g_string_new (first->label);
        g_autoptr(PangoLayout) layout = NULL;
        guint j = i + 1;
        int w, h;
        int row;
        double lx;

        while (j < order->len &&
               frame_x (self, &frame, g_array_index (order, Marker, j).time) - x0 < 36)
          {
            g_string_append (label, " · ");
            g_string_append (label, g_array_index (order, Marker, j).label);
            j++;
          }
        for (guint k = i; k < j; k++)
          {
            double x = floor (frame_x (self, &frame, g_array_index (order, Marker, k).time)) + 0.5;

            set_source (cr, &fg, 0.45);
            cairo_set_dash (cr, (double[]) { 2, 3 }, 2, 0);
            cairo_move_to (cr, x, frame.y0);
            cairo_line_to (cr, x, frame.y0 + frame.height);
            cairo_stroke (cr);
            cairo_set_dash (cr, NULL, 0, 0);
          }

        layout = make_layout (self, cr, label->str, 0.72);
        pango_layout_get_pixel_size (layout, &w, &h);
        lx = CLAMP (x0 - w / 2.0, frame.x0, frame.x0 + frame.width - w);
        row = lx > row_end[1] + 4 ? 1 : lx > row_end[0] + 4 ? 0 : -1;
        if (row >= 0)
          {
            double ly = row == 1 ? frame.y0 - h - 1 : frame.y0 - 2 * h - 2;

            set_source (cr, &fg, 0.45);
            cairo_move_to (cr, x0, ly + h);
            cairo_line_to (cr, x0, frame.y0);
            cairo_stroke (cr);
            set_source (cr, &fg, 0.8);
            cairo_move_to (cr, lx, ly);
            pango_cairo_show_layout (cr, layout);
            row_end[row] = lx + w;
          }
        i = j;
      }
  }

  /* Daughters, then the parent on top. */
  cairo_save (cr);
  cairo_rectangle (cr, frame.x0, frame.y0, frame.width, frame.height);
  cairo_clip (cr);
  if (self->show_daughters)
    for (guint s = 0; s < self->daughters->len; s++)
      {
        const Series *series = &g_array_index (self->daughters, Series, s);
        GdkRGBA color;

        gdk_rgba_parse (&color, daughter_colors[s % G_N_ELEMENTS (daughter_colors)]);
        draw_curve (self, cr, &frame, series->values, &color, 1.5);
      }
  draw_curve (self, cr, &frame, NULL, &accent, 2.5);
  cairo_restore (cr);

  /* The legend of the daughters, top left inside the plot. */
  if (self->show_daughters && self->daughters->len > 0)
    {
      double y = frame.y0 + 4;

      for (guint s = 0; s < self->daughters->len; s++)
        {
          const Series *series = &g_array_index (self->daughters, Series, s);
          GdkRGBA color;

          gdk_rgba_parse (&color, daughter_colors[s % G_N_ELEMENTS (daughter_colors)]);
          set_source (cr, &color, 1);
          /* Clear of the steep ingrowth at the start. */
          cairo_rectangle (cr, frame.x0 + 40, y + 5, 10, 3);
          cairo_fill (cr);
          set_source (cr, &fg, 0.8);
          draw_text (self, cr, series->nuclide->name, frame.x0 + 54, y - 1, 0, 0.72);
          y += 14;
        }
    }

  /* Frame. */
  set_source (cr, &fg, 0.25);
  cairo_rectangle (cr, frame.x0 + 0.5, frame.y0 + 0.5, frame.width - 1, frame.height - 1);
  cairo_stroke (cr);

  /* Hover read-out. */
  if (self->hover_x >= frame.x0 && self->hover_x <= frame.x0 + frame.width)
    {
      gint64 t = self->from + (gint64) ((self->hover_x - frame.x0) / frame.width * span);
      double a = bq_decay_plot_activity_at (self, t);
      double y = frame_y (&frame, a);
      g_autofree char *text = bq_decay_plot_dup_readout (self, t);
      g_autoptr(PangoLayout) layout = make_layout (self, cr, text, 0.8);
      int w, h;
      double bx;

      set_source (cr, &fg, 0.5);
      cairo_move_to (cr, floor (self->hover_x) + 0.5, frame.y0);
      cairo_line_to (cr, floor (self->hover_x) + 0.5, frame.y0 + frame.height);
      cairo_stroke (cr);
      set_source (cr, &accent, 1);
      cairo_arc (cr, self->hover_x, y, 4, 0, 2 * G_PI);
      cairo_fill (cr);

      pango_layout_get_pixel_size (layout, &w, &h);
      bx = self->hover_x + 8;
      if (bx + w + 8 > frame.x0 + frame.width)
        bx = self->hover_x - w - 16;
      cairo_set_source_rgba (cr, 0.1, 0.1, 0.1, 0.85);
      cairo_rectangle (cr, bx, MAX (y - h - 12, frame.y0 + 2), w + 8, h + 4);
      cairo_fill (cr);
      cairo_set_source_rgb (cr, 1, 1, 1);
      cairo_move_to (cr, bx + 4, MAX (y - h - 12, frame.y0 + 2) + 2);
      pango_cairo_show_layout (cr, layout);
    }
  (void) yellow;
}

static void
bq_decay_plot_snapshot (GtkWidget   *widget,
                        GtkSnapshot *snapshot)
{
  BqDecayPlot *self = BQ_DECAY_PLOT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  cairo_t *cr;

  if (self->nuclide == NULL || self->to <= self->from || width <= 0 || height <= 0)
    return;
  cr = gtk_snapshot_append_cairo (snapshot, &GRAPHENE_RECT_INIT (0, 0, width, height));
  draw_plot (self, cr, width, height);
  cairo_destroy (cr);
}

static void
bq_decay_plot_measure (GtkWidget      *widget,
                       GtkOrientation  orientation,
                       int             for_size,
                       int            *minimum,
                       int            *natural,
                       int            *minimum_baseline,
                       int            *natural_baseline)
{
  *minimum = orientation == GTK_ORIENTATION_HORIZONTAL ? 240 : 180;
  *natural = orientation == GTK_ORIENTATION_HORIZONTAL ? 360 : 220;
}

/* ----------------------------------------------------------------- hover */

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           BqDecayPlot              *self)
{
  int width = gtk_widget_get_width (GTK_WIDGET (self));
  double plot_width = MAX (width - MARGIN_LEFT - MARGIN_RIGHT, 10);

  self->hover_x = x;
  if (self->nuclide != NULL && x >= MARGIN_LEFT && x <= MARGIN_LEFT + plot_width)
    {
      gint64 t = self->from + (gint64) ((x - MARGIN_LEFT) / plot_width * (self->to - self->from));
      g_autofree char *text = bq_decay_plot_dup_readout (self, t);

      gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                      text, -1);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

static void
on_leave (GtkEventControllerMotion *controller,
          BqDecayPlot              *self)
{
  self->hover_x = -1;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ---------------------------------------------------------------- object */

static void
bq_decay_plot_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  BqDecayPlot *self = BQ_DECAY_PLOT (object);

  switch (prop_id)
    {
    case PROP_LOG_SCALE:
      g_value_set_boolean (value, self->log_scale);
      break;
    case PROP_SHOW_DAUGHTERS:
      g_value_set_boolean (value, self->show_daughters);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_decay_plot_set_property (GObject      *object,
                            guint         prop_id,
                            const GValue *value,
                            GParamSpec   *pspec)
{
  BqDecayPlot *self = BQ_DECAY_PLOT (object);

  switch (prop_id)
    {
    case PROP_LOG_SCALE:
      bq_decay_plot_set_log_scale (self, g_value_get_boolean (value));
      break;
    case PROP_SHOW_DAUGHTERS:
      bq_decay_plot_set_show_daughters (self, g_value_get_boolean (value));
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_decay_plot_finalize (GObject *object)
{
  BqDecayPlot *self = BQ_DECAY_PLOT (object);

  g_array_unref (self->markers);
  g_array_unref (self->daughters);
  g_time_zone_unref (self->zone);

  G_OBJECT_CLASS (bq_decay_plot_parent_class)->finalize (object);
}

static void
bq_decay_plot_class_init (BqDecayPlotClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = bq_decay_plot_get_property;
  object_class->set_property = bq_decay_plot_set_property;
  object_class->finalize = bq_decay_plot_finalize;
  widget_class->snapshot = bq_decay_plot_snapshot;
  widget_class->measure = bq_decay_plot_measure;

  properties[PROP_LOG_SCALE] =
    g_param_spec_boolean ("log-scale", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_SHOW_DAUGHTERS] =
    g_param_spec_boolean ("show-daughters", NULL, NULL, FALSE,
                          G_PARAM_READWRITE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  gtk_widget_class_set_css_name (widget_class, "decayplot");
  gtk_widget_class_set_accessible_role (widget_class, GTK_ACCESSIBLE_ROLE_IMG);
}

static void
bq_decay_plot_init (BqDecayPlot *self)
{
  GtkEventController *motion = gtk_event_controller_motion_new ();

  self->markers = g_array_new (FALSE, TRUE, sizeof (Marker));
  g_array_set_clear_func (self->markers, marker_clear);
  self->daughters = g_array_new (FALSE, TRUE, sizeof (Series));
  self->zone = g_time_zone_new_utc ();
  self->prescribed = NAN;
  self->expiry = G_MININT64;
  self->hover_x = -1;
  self->unit = BQ_ACTIVITY_UNIT_AUTO;

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_LABEL,
                                  _("Activity against time"), -1);
}

GtkWidget *
bq_decay_plot_new (void)
{
  return g_object_new (BQ_TYPE_DECAY_PLOT, NULL);
}

void
bq_decay_plot_clear (BqDecayPlot *self)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  self->nuclide = NULL;
  g_array_set_size (self->markers, 0);
  g_array_set_size (self->daughters, 0);
  self->admin_start = self->admin_end = 0;
  self->prescribed = NAN;
  self->expiry = G_MININT64;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
bq_decay_plot_set_curve (BqDecayPlot *self,
                         const char  *nuclide,
                         double       activity_bq,
                         gint64       at,
                         gint64       from,
                         gint64       to)
{
  const BqNuclide *found;

  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), FALSE);

  bq_decay_plot_clear (self);
  found = nuclide != NULL ? bq_nuclide_lookup (nuclide, NULL) : NULL;
  if (found == NULL || to <= from || !isfinite (activity_bq) || activity_bq < 0)
    return FALSE;

  self->nuclide = found;
  self->activity = activity_bq;
  self->at = at;
  self->from = from;
  self->to = to;
  sample_daughters (self);
  {
    g_autofree char *start = bq_decay_plot_dup_readout (self, from);

    gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                    start, -1);
  }
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return TRUE;
}

void
bq_decay_plot_add_marker (BqDecayPlot *self,
                          gint64       time,
                          const char  *label)
{
  Marker marker = { time, g_strdup (label) };

  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  g_array_append_val (self->markers, marker);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_admin_window (BqDecayPlot *self,
                                gint64       start,
                                gint64       end)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  self->admin_start = start;
  self->admin_end = end;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_prescribed (BqDecayPlot *self,
                              double       activity_bq,
                              double       tolerance)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  self->prescribed = activity_bq > 0 ? activity_bq : NAN;
  self->tolerance = isfinite (tolerance) && tolerance >= 0 ? tolerance : 0;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_expiry (BqDecayPlot *self,
                          gint64       expiry)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  self->expiry = expiry;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_unit (BqDecayPlot    *self,
                        BqActivityUnit  unit)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  self->unit = unit;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_time_zone (BqDecayPlot *self,
                             GTimeZone   *zone)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  g_time_zone_unref (self->zone);
  self->zone = zone != NULL ? g_time_zone_ref (zone) : g_time_zone_new_utc ();
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

void
bq_decay_plot_set_log_scale (BqDecayPlot *self,
                             gboolean     log_scale)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  log_scale = !!log_scale;
  if (self->log_scale == log_scale)
    return;
  self->log_scale = log_scale;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOG_SCALE]);
}

gboolean
bq_decay_plot_get_log_scale (BqDecayPlot *self)
{
  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), FALSE);
  return self->log_scale;
}

void
bq_decay_plot_set_show_daughters (BqDecayPlot *self,
                                  gboolean     show)
{
  g_return_if_fail (BQ_IS_DECAY_PLOT (self));

  show = !!show;
  if (self->show_daughters == show)
    return;
  self->show_daughters = show;
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SHOW_DAUGHTERS]);
}

gboolean
bq_decay_plot_get_show_daughters (BqDecayPlot *self)
{
  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), FALSE);
  return self->show_daughters;
}

gboolean
bq_decay_plot_has_daughters (BqDecayPlot *self)
{
  g_return_val_if_fail (BQ_IS_DECAY_PLOT (self), FALSE);
  return self->daughters->len > 0;
}
