/* bq-gantt.c — production runs on a timeline, one row per line
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <adwaita.h>
#include <glib/gi18n.h>

#include "bq-format.h"
#include "bq-gantt.h"

#define GUTTER_WIDTH 180
#define AXIS_HEIGHT   40
#define SNAP_S       (15 * 60)
#define DRAG_THRESHOLD 4.0
#define LABEL_PAD     5

typedef enum {
  MODE_NONE,
  MODE_PAN,          /* pressed on empty space */
  MODE_PRESS_BAR,    /* pressed on a bar, not moved yet */
  MODE_MOVE,         /* moving a bar */
} Mode;

typedef struct {
  gint64   t;
  gboolean major;
  char    *minor_label;   /* under the tick */
  char    *major_label;   /* for major ticks, or NULL */
} Tick;

typedef struct {
  GskRenderNode *batch;     /* text nodes at (0, 0) */
  GskRenderNode *product;
  int            batch_width;
  int            product_width;
} Label;

struct _BqGantt
{
  GtkWidget          parent_instance;

  BqGanttData       *data;
  BqPlanner         *planner;
  BqGanttView        view;
  gboolean           view_ready;      /* a range has been applied to a width */
  gint64             pending_from;
  gint64             pending_to;
  gint64             now;             /* BQ_TIME_UNSET: the clock */
  guint              now_timer;

  /* The cached static layer, built for [cache_t0, cache_t1) and content
   * rows [cache_y0, cache_y1) at cache_spp. */
  GskRenderNode     *content_node;
  GskRenderNode     *axis_node;
  GskRenderNode     *gutter_node;
  GskRenderNode     *groups_node;     /* site headers, across the plot */
  gint64             cache_t0;
  gint64             cache_t1;
  double             cache_y0;
  double             cache_y1;
  double             cache_spp;
  int                cache_height;
  guint              n_static_builds;
  Label             *labels;          /* per bar, built lazily */
  guint              n_labels;

  char              *selected_id;
  const BqGanttBar  *selected;
  const BqGanttBar  *hover;

  Mode               mode;
  double             press_x;
  double             press_y;
  gint64             press_origin;
  double             press_scroll_y;
  double             pointer_x;
  double             pointer_y;
  double             zoom_begin_spp;

  /* A drag in progress (pointer or API). */
  char              *drag_id;
  const BqGanttRow  *drag_row;
  gint64             drag_start;
  gboolean           drag_valid;
  char              *drag_reason;
  const BqGanttRow  *checked_row;
  gint64             checked_start;
};

G_DEFINE_FINAL_TYPE (BqGantt, bq_gantt, GTK_TYPE_WIDGET)

enum {
  PROP_0,
  PROP_SELECTED_RUN,
  N_PROPS
};

enum {
  SIGNAL_RUN_ACTIVATED,
  SIGNAL_RUN_MOVED,
  SIGNAL_VIEW_CHANGED,
  N_SIGNALS
};

static GParamSpec *properties[N_PROPS];
static guint signals[N_SIGNALS];

/* ---------------------------------------------------------------- colours */

static GdkRGBA
status_color (BqRunStatus status)
{
  /* The GNOME palette: blue, purple, yellow, green, red, dark green, grey. */
  static const char * const colors[] = {
    "#3584e4", "#9141ac", "#e5a50a", "#2ec27e", "#e01b24", "#26a269", "#9a9996",
  };
  GdkRGBA rgba;

  gdk_rgba_parse (&rgba, (guint) status < G_N_ELEMENTS (colors) ? colors[status] : "#9a9996");
  return rgba;
}

static GdkRGBA
with_alpha (GdkRGBA color,
            float   alpha)
{
  color.alpha *= alpha;
  return color;
}

static GdkRGBA
fg_color (BqGantt *self)
{
  GdkRGBA color;

G_GNUC_BEGIN_IGNORE_DEPRECATIONS
  gtk_style_context_get_color (gtk_widget_get_style_context (GTK_WIDGET (self)), &color);
G_GNUC_END_IGNORE_DEPRECATIONS
  return color;
}

static GdkRGBA
named_color (const char *spec)
{
  GdkRGBA rgba;

  gdk_rgba_parse (&rgba, spec);
  return rgba;
}

/* -------------------------------------------------------------- geometry */

static gint64
current_now (BqGantt *self)
{
  return self->now != BQ_TIME_UNSET ? self->now : g_get_real_time () / G_USEC_PER_SEC;
}

static void
clamp_scroll (BqGantt *self)
{
  int content = self->data != NULL ? bq_gantt_data_get_height (self->data) : 0;
  double max = MAX (0, content - self->view.height);

  self->view.scroll_y = CLAMP (self->view.scroll_y, 0, max);
}

static void
view_changed (BqGantt *self)
{
  clamp_scroll (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0);
}

static void
drop_caches (BqGantt *self)
{
  g_clear_pointer (&self->content_node, gsk_render_node_unref);
  g_clear_pointer (&self->axis_node, gsk_render_node_unref);
  g_clear_pointer (&self->gutter_node, gsk_render_node_unref);
  g_clear_pointer (&self->groups_node, gsk_render_node_unref);
}

static void
drop_labels (BqGantt *self)
{
  for (guint i = 0; i < self->n_labels; i++)
    {
      g_clear_pointer (&self->labels[i].batch, gsk_render_node_unref);
      g_clear_pointer (&self->labels[i].product, gsk_render_node_unref);
    }
  g_clear_pointer (&self->labels, g_free);
  self->n_labels = 0;
}

static void
invalidate_all (BqGantt *self)
{
  drop_caches (self);
  drop_labels (self);
  if (self->data != NULL)
    {
      self->n_labels = bq_gantt_data_get_n_bars (self->data);
      self->labels = g_new0 (Label, self->n_labels);
    }
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------ text */

static GskRenderNode *
text_node (BqGantt    *self,
           const char *text,
           gboolean    bold,
           double      scale,
           GdkRGBA     color,
           int        *width)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();
  int w, h;

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  pango_layout_get_pixel_size (layout, &w, &h);
  if (width != NULL)
    *width = w;
  gtk_snapshot_append_layout (snapshot, layout, &color);
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static void
append_text (BqGantt     *self,
             GtkSnapshot *snapshot,
             const char  *text,
             gboolean     bold,
             double       scale,
             GdkRGBA      color,
             double       x,
             double       y,
             int          max_width)
{
  g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
  PangoAttrList *attrs = pango_attr_list_new ();

  if (bold)
    pango_attr_list_insert (attrs, pango_attr_weight_new (PANGO_WEIGHT_BOLD));
  if (scale != 1.0)
    pango_attr_list_insert (attrs, pango_attr_scale_new (scale));
  pango_layout_set_attributes (layout, attrs);
  pango_attr_list_unref (attrs);
  if (max_width > 0)
    {
      pango_layout_set_width (layout, max_width * PANGO_SCALE);
      pango_layout_set_ellipsize (layout, PANGO_ELLIPSIZE_END);
    }
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x, y));
  gtk_snapshot_append_layout (snapshot, layout, &color);
  gtk_snapshot_restore (snapshot);
}

static Label *
bar_label (BqGantt          *self,
           const BqGanttBar *bar,
           GdkRGBA           fg)
{
  Label *label;

  if (bar->index >= self->n_labels)
    return NULL;
  label = &self->labels[bar->index];
  if (label->batch == NULL)
    {
      const char *batch = bar->run->batch ? bar->run->batch : bar->run->base.id;
      const char *product = bar->product ? bar->product->name : bar->run->product_id;

      label->batch = text_node (self, batch, TRUE, 0.85, fg, &label->batch_width);
      label->product = text_node (self, product ? product : "", FALSE, 0.8,
                                  with_alpha (fg, 0.75), &label->product_width);
    }
  return label;
}

/* ----------------------------------------------------------------- ticks */

static void
tick_clear (gpointer data)
{
  Tick *tick = data;

  g_free (tick->minor_label);
  g_free (tick->major_label);
}

/* Ticks in the computer's time zone over [t0, t1), spaced so that their
 * labels fit. */
static GArray *
make_ticks (double spp,
            gint64 t0,
            gint64 t1)
{
  static const gint64 steps[] = {
    900, 1800, 3600, 2 * 3600, 3 * 3600, 6 * 3600, 12 * 3600, 86400, 2 * 86400, 7 * 86400,
  };
  GArray *ticks = g_array_new (FALSE, TRUE, sizeof (Tick));
  g_autoptr(GTimeZone) zone = g_time_zone_new_local ();
  g_autoptr(GDateTime) start_utc = g_date_time_new_from_unix_utc (t0);
  g_autoptr(GDateTime) start = NULL;
  g_autoptr(GDateTime) day = NULL;
  gint64 step = 0;

  g_array_set_clear_func (ticks, tick_clear);
  if (start_utc == NULL)
    return ticks;
  start = g_date_time_to_timezone (start_utc, zone);

  for (guint i = 0; i < G_N_ELEMENTS (steps); i++)
    if (steps[i] / spp >= 64)
      {
        step = steps[i];
        break;
      }

  if (step == 0)
    {
      /* Months. */
      g_autoptr(GDateTime) month = g_date_time_new (zone, g_date_time_get_year (start),
                                                    g_date_time_get_month (start), 1, 0, 0, 0);

      while (month != NULL && g_date_time_to_unix (month) < t1)
        {
          Tick tick = { g_date_time_to_unix (month), FALSE, NULL, NULL };
          GDateTime *next;

          tick.major = g_date_time_get_month (month) == 1;
          tick.minor_label = g_date_time_format (month, "%b");
          if (tick.major || ticks->len == 0)
            tick.major_label = g_date_time_format (month, "%Y");
          g_array_append_val (ticks, tick);
          next = g_date_time_add_months (month, 1);
          g_date_time_unref (month);
          month = next;
        }
      return ticks;
    }

  day = g_date_time_new (zone, g_date_time_get_year (start), g_date_time_get_month (start),
                         g_date_time_get_day_of_month (start), 0, 0, 0);
  if (step == 7 * 86400)
    {
      GDateTime *monday = g_date_time_add_days (day, 1 - g_date_time_get_day_of_week (day));

      g_date_time_unref (day);
      day = monday;
    }

  while (day != NULL && g_date_time_to_unix (day) < t1)
    {
      gint64 day_start = g_date_time_to_unix (day);
      guint n_days = step >= 86400 ? step / 86400 : 1;
      GDateTime *next;

      if (step >= 86400)
        {
          Tick tick = { day_start, FALSE, NULL, NULL };
          gboolean first_of_month = g_date_time_get_day_of_month (day) <= (int) n_days &&
                                    (step != 7 * 86400 || g_date_time_get_day_of_month (day) <= 7);

          tick.major = first_of_month;
          /* Translators: a day under the time axis: "Tue 24". */
          tick.minor_label = g_date_time_format (day, step == 7 * 86400 ? _("%-d %b") : _("%a %-d"));
          if (first_of_month || ticks->len == 0)
            tick.major_label = g_date_time_format (day, "%B %Y");
          g_array_append_val (ticks, tick);
        }
      else
        {
          for (gint64 offset = 0; offset < 86400; offset += step)
            {
              Tick tick = { day_start + offset, offset == 0, NULL, NULL };
              g_autoptr(GDateTime) at = g_date_time_add_seconds (day, offset);

              if (tick.t + step < t0)
                continue;
              tick.minor_label = g_date_time_format (at, "%H:%M");
              if (offset == 0 || ticks->len == 0)
                /* Translators: a day above the time axis: "Tue 24 Nov". */
                tick.major_label = g_date_time_format (day, _("%a %-d %b"));
              g_array_append_val (ticks, tick);
            }
        }
      next = g_date_time_add_days (day, n_days);
      g_date_time_unref (day);
      day = next;
    }
  return ticks;
}

/* --------------------------------------------------------- static layer */

static void
flush_closed (GtkSnapshot   *snapshot,
              const GdkRGBA *color,
              double         x0,
              double         x1,
              double         y,
              double         height)
{
  if (x1 > x0)
    gtk_snapshot_append_color (snapshot, color,
                               &GRAPHENE_RECT_INIT (x0, y, x1 - x0, height));
}

/* Shades when the line does not work: outside the shift and on days off,
 * in the site's time. */
static void
append_closed_time (BqGantt          *self,
                    GtkSnapshot      *snapshot,
                    const BqGanttRow *row,
                    const BqGanttView *view,
                    double            y,
                    const GdkRGBA    *color)
{
  const BqLine *line = row->line;
  gint64 t0 = view->origin;
  gint64 t1 = bq_gantt_view_get_end (view);
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (t0);
  g_autoptr(GDateTime) local = NULL;
  g_autoptr(GDateTime) day = NULL;
  gint64 open_start = line->shift_start_local * 60;
  gint64 open_end = (line->shift_end_local > 0 ? line->shift_end_local : 24 * 60) * 60;
  double run_x0 = 0, run_x1 = -1;

  if (line->working_weekdays == 0 && line->shift_start_local == 0 && line->shift_end_local == 0)
    return;
  if (utc == NULL)
    return;
  local = g_date_time_to_timezone (utc, row->zone);
  day = g_date_time_new (row->zone, g_date_time_get_year (local), g_date_time_get_month (local),
                         g_date_time_get_day_of_month (local), 0, 0, 0);

  while (day != NULL && g_date_time_to_unix (day) < t1)
    {
      gint64 ds = g_date_time_to_unix (day);
      GDateTime *next = g_date_time_add_days (day, 1);
      gint64 de = next != NULL ? g_date_time_to_unix (next) : ds + 86400;
      int weekday = g_date_time_get_day_of_week (day);   /* 1 = Monday */
      gboolean working = line->working_weekdays == 0 ||
                         (line->working_weekdays & (G_GINT64_CONSTANT (1) << (weekday - 1))) != 0;
      gint64 closed[2][2];
      guint n = 0;

      if (!working)
        {
          closed[n][0] = ds;
          closed[n++][1] = de;
        }
      else
        {
          if (open_start > 0)
            {
              closed[n][0] = ds;
              closed[n++][1] = ds + open_start;
            }
          if (ds + open_end < de)
            {
              closed[n][0] = ds + open_end;
              closed[n++][1] = de;
            }
        }
      for (guint i = 0; i < n; i++)
        {
          double x0 = bq_gantt_view_time_to_x (view, closed[i][0]);
          double x1 = bq_gantt_view_time_to_x (view, closed[i][1]);

          /* Adjacent closed stretches (a night and a weekend) merge into
           * one rectangle. */
          if (x0 <= run_x1 + 0.5)
            run_x1 = MAX (run_x1, x1);
          else
            {
              flush_closed (snapshot, color, run_x0, run_x1, y, row->height);
              run_x0 = x0;
              run_x1 = x1;
            }
        }
      g_date_time_unref (day);
      day = next;
    }
  flush_closed (snapshot, color, run_x0, run_x1, y, row->height);
}

static void
append_maintenance (BqGantt           *self,
                    GtkSnapshot       *snapshot,
                    const BqGanttRow  *row,
                    const BqGanttView *view,
                    double             y,
                    GdkRGBA            fg)
{
  gint64 t0 = view->origin;
  gint64 t1 = bq_gantt_view_get_end (view);
  GdkRGBA fill = with_alpha (named_color ("#e5a50a"), 0.22);
  GdkRGBA edge = with_alpha (named_color ("#e5a50a"), 0.8);

  for (guint i = 0; i < row->maintenance->len; i++)
    {
      const BqMaintenanceBlock *block = g_ptr_array_index (row->maintenance, i);
      double x0, x1;

      if (block->end_time <= t0 || block->start_time >= t1)
        continue;
      x0 = bq_gantt_view_time_to_x (view, block->start_time);
      x1 = bq_gantt_view_time_to_x (view, block->end_time);
      gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (x0, y + 2, x1 - x0, row->height - 4));
      gtk_snapshot_append_color (snapshot, &edge, &GRAPHENE_RECT_INIT (x0, y + 2, x1 - x0, 2));
      if (x1 - x0 > 90)
        append_text (self, snapshot,
                     block->reason && *block->reason ? block->reason : _("Maintenance"),
                     FALSE, 0.8, with_alpha (fg, 0.7), x0 + 4, y + 6, (int) (x1 - x0 - 8));
    }
}

static void
append_bar (BqGantt           *self,
            GtkSnapshot       *snapshot,
            const BqGanttBar  *bar,
            const BqGanttView *view,
            GdkRGBA            fg)
{
  double x0 = bq_gantt_view_time_to_x (view, bar->start);
  double xe = bq_gantt_view_time_to_x (view, bar->eos);
  double xq = bq_gantt_view_time_to_x (view, bar->qc_end);
  double xd = bq_gantt_view_time_to_x (view, bar->dispatch);
  double y = bar->row->y - view->scroll_y + BQ_GANTT_BAR_INSET;
  double h = bar->row->height - 2 * BQ_GANTT_BAR_INSET;
  double width = xd - x0;
  gboolean dim = bar->run->status == BQ_RUN_CANCELLED;
  GdkRGBA color = with_alpha (status_color (bar->run->status), dim ? 0.45f : 1.0f);
  GdkRGBA c;

  if (width < 3)
    {
      /* Too small for phases: one mark. */
      gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x0, y, MAX (width, 1.5), h));
      return;
    }

  c = with_alpha (color, 0.9f);
  gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (x0, y, MAX (xe - x0, 1), h));
  c = with_alpha (color, 0.5f);
  gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (xe, y, MAX (xq - xe, 0), h));
  c = with_alpha (color, 0.28f);
  gtk_snapshot_append_color (snapshot, &c, &GRAPHENE_RECT_INIT (xq, y, MAX (xd - xq, 0), h));
  /* Dispatch: a tick at the end. */
  gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (xd - 2, y, 2, h));

  /* Labels only where they fit: the batch, then the product under it,
   * over the bar and the free row after it, up to the next bar. */
  if (width >= 24)
    {
      double room = G_MAXDOUBLE;
      Label *label;

      if (bar->index_in_row + 1 < bar->row->bars->len)
        {
          const BqGanttBar *next = g_ptr_array_index (bar->row->bars, bar->index_in_row + 1);

          room = bq_gantt_view_time_to_x (view, next->start) - x0;
        }
      room = MAX (room, width);
      if (room < 40)
        return;
      label = bar_label (self, bar, fg);
      if (label != NULL && label->batch_width + 2 * LABEL_PAD <= room)
        {
          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x0 + LABEL_PAD, y + 2));
          gtk_snapshot_append_node (snapshot, label->batch);
          if (label->product_width + 2 * LABEL_PAD <= room)
            {
              gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, h / 2));
              gtk_snapshot_append_node (snapshot, label->product);
            }
          gtk_snapshot_restore (snapshot);
        }
    }
}

/* Rows, shading, grid and bars over the cache range, in its coordinates. */
static GskRenderNode *
build_content (BqGantt     *self,
               BqGanttView *cache_view,
               GArray      *ticks)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  GdkRGBA fg = fg_color (self);
  GdkRGBA band = with_alpha (fg, 0.045f);
  /* Closed time is darker than open time, in both styles. */
  GdkRGBA closed = adw_style_manager_get_dark (adw_style_manager_get_default ())
                   ? (GdkRGBA) { 0, 0, 0, 0.3f } : with_alpha (fg, 0.06f);
  GdkRGBA separator = with_alpha (fg, 0.08f);
  GdkRGBA minor = with_alpha (fg, 0.05f);
  GdkRGBA major = with_alpha (fg, 0.14f);
  gint64 t0 = cache_view->origin;
  gint64 t1 = bq_gantt_view_get_end (cache_view);
  guint first, end;

  bq_gantt_data_rows_in (self->data, cache_view->scroll_y,
                         cache_view->scroll_y + cache_view->height, &first, &end);

  for (guint r = first; r < end; r++)
    {
      const BqGanttRow *row = bq_gantt_data_get_row (self->data, r);
      double y = row->y - cache_view->scroll_y;

      if (row->kind == BQ_GANTT_ROW_GROUP)
        {
          gtk_snapshot_append_color (snapshot, &band,
                                     &GRAPHENE_RECT_INIT (0, y, cache_view->width, row->height));
          continue;
        }
      append_closed_time (self, snapshot, row, cache_view, y, &closed);
      append_maintenance (self, snapshot, row, cache_view, y, fg);
      gtk_snapshot_append_color (snapshot, &separator,
                                 &GRAPHENE_RECT_INIT (0, y + row->height - 1, cache_view->width, 1));
    }

  for (guint i = 0; i < ticks->len; i++)
    {
      const Tick *tick = &g_array_index (ticks, Tick, i);
      double x = bq_gantt_view_time_to_x (cache_view, tick->t);

      gtk_snapshot_append_color (snapshot, tick->major ? &major : &minor,
                                 &GRAPHENE_RECT_INIT (floor (x), 0, 1, cache_view->height));
    }

  for (guint r = first; r < end; r++)
    {
      const BqGanttRow *row = bq_gantt_data_get_row (self->data, r);
      guint b0, b1;

      if (row->kind != BQ_GANTT_ROW_LINE)
        continue;
      bq_gantt_row_bars_in (row, t0, t1, &b0, &b1);
      for (guint b = b0; b < b1; b++)
        {
          const BqGanttBar *bar = g_ptr_array_index (row->bars, b);

          if (bar->dispatch < t0)
            continue;
          append_bar (self, snapshot, bar, cache_view, fg);
        }
    }
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static GskRenderNode *
build_axis (BqGantt     *self,
            BqGanttView *cache_view,
            GArray      *ticks)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  GdkRGBA fg = fg_color (self);
  GdkRGBA dim = with_alpha (fg, 0.6f);
  GdkRGBA line = with_alpha (fg, 0.15f);
  double last_major_end = -G_MAXDOUBLE;
  double last_minor_end = -G_MAXDOUBLE;

  for (guint i = 0; i < ticks->len; i++)
    {
      const Tick *tick = &g_array_index (ticks, Tick, i);
      double x = floor (bq_gantt_view_time_to_x (cache_view, tick->t));

      gtk_snapshot_append_color (snapshot, &line,
                                 &GRAPHENE_RECT_INIT (x, tick->major ? 0 : AXIS_HEIGHT - 14,
                                                      1, tick->major ? AXIS_HEIGHT : 14));
      if (tick->major_label != NULL && x >= last_major_end)
        {
          int width;
          g_autoptr(GskRenderNode) node = text_node (self, tick->major_label, TRUE, 0.85, fg, &width);

          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x + 4, 3));
          gtk_snapshot_append_node (snapshot, node);
          gtk_snapshot_restore (snapshot);
          last_major_end = x + width + 12;
        }
      if (tick->minor_label != NULL && x >= last_minor_end)
        {
          int width;
          g_autoptr(GskRenderNode) node = text_node (self, tick->minor_label, FALSE, 0.8, dim, &width);

          gtk_snapshot_save (snapshot);
          gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (x + 3, AXIS_HEIGHT - 18));
          gtk_snapshot_append_node (snapshot, node);
          gtk_snapshot_restore (snapshot);
          last_minor_end = x + width + 8;
        }
    }
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static GskRenderNode *
build_gutter (BqGantt *self)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  GdkRGBA fg = fg_color (self);
  GdkRGBA band = with_alpha (fg, 0.045f);
  GdkRGBA separator = with_alpha (fg, 0.08f);
  guint n = bq_gantt_data_get_n_rows (self->data);

  for (guint r = 0; r < n; r++)
    {
      const BqGanttRow *row = bq_gantt_data_get_row (self->data, r);

      if (row->kind == BQ_GANTT_ROW_GROUP)
        {
          /* Its label is in the groups node, across the plot. */
          gtk_snapshot_append_color (snapshot, &band,
                                     &GRAPHENE_RECT_INIT (0, row->y, GUTTER_WIDTH, row->height));
        }
      else
        {
          append_text (self, snapshot, row->label, FALSE, 0.95, fg, 16, row->y + 5,
                       GUTTER_WIDTH - 20);
          append_text (self, snapshot, row->sublabel, FALSE, 0.75, with_alpha (fg, 0.6f), 16,
                       row->y + 25, GUTTER_WIDTH - 20);
          gtk_snapshot_append_color (snapshot, &separator,
                                     &GRAPHENE_RECT_INIT (0, row->y + row->height - 1,
                                                          GUTTER_WIDTH, 1));
        }
    }
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

/* Site headers: "Organisation · Site  City, Zone", from the left edge
 * over the gutter and the plot, so they are never cut to the gutter. */
static GskRenderNode *
build_groups (BqGantt *self)
{
  g_autoptr(GtkSnapshot) snapshot = gtk_snapshot_new ();
  GdkRGBA fg = fg_color (self);
  guint n = bq_gantt_data_get_n_rows (self->data);

  for (guint r = 0; r < n; r++)
    {
      const BqGanttRow *row = bq_gantt_data_get_row (self->data, r);
      int width;
      g_autoptr(GskRenderNode) label = NULL;
      g_autoptr(GskRenderNode) sublabel = NULL;

      if (row->kind != BQ_GANTT_ROW_GROUP)
        continue;
      label = text_node (self, row->label, TRUE, 0.85, fg, &width);
      sublabel = text_node (self, row->sublabel, FALSE, 0.8, with_alpha (fg, 0.6f), NULL);
      gtk_snapshot_save (snapshot);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (8, row->y + 6));
      gtk_snapshot_append_node (snapshot, label);
      gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (width + 12, 1));
      gtk_snapshot_append_node (snapshot, sublabel);
      gtk_snapshot_restore (snapshot);
    }
  return gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
}

static gboolean
cache_covers (BqGantt *self)
{
  gint64 t0 = self->view.origin;
  gint64 t1 = bq_gantt_view_get_end (&self->view);

  return self->content_node != NULL && self->axis_node != NULL &&
         self->cache_spp == self->view.seconds_per_px &&
         self->cache_height == self->view.height &&
         self->cache_t0 <= t0 && t1 <= self->cache_t1 &&
         self->cache_y0 <= self->view.scroll_y &&
         self->view.scroll_y + self->view.height <= self->cache_y1;
}

/* The static layer with a margin around the view, so that panning within
 * it only translates it. */
static void
build_static (BqGantt *self)
{
  BqGanttView cache_view = self->view;
  gint64 span = (gint64) (self->view.width * self->view.seconds_per_px);
  g_autoptr(GArray) ticks = NULL;

  /* Half a view of margin each way: four times the visible area, which
   * every frame's render walks (the cairo renderer does not cull), against
   * a rebuild every half view of panning. */
  drop_caches (self);
  cache_view.origin = self->view.origin - span / 2;
  cache_view.width = self->view.width * 2;
  cache_view.scroll_y = MAX (0, self->view.scroll_y - self->view.height / 2);
  cache_view.height = self->view.height * 2;

  ticks = make_ticks (cache_view.seconds_per_px, cache_view.origin,
                      bq_gantt_view_get_end (&cache_view));
  self->content_node = build_content (self, &cache_view, ticks);
  self->axis_node = build_axis (self, &cache_view, ticks);
  if (self->gutter_node == NULL)
    self->gutter_node = build_gutter (self);
  if (self->groups_node == NULL)
    self->groups_node = build_groups (self);

  self->cache_t0 = cache_view.origin;
  self->cache_t1 = bq_gantt_view_get_end (&cache_view);
  self->cache_y0 = cache_view.scroll_y;
  self->cache_y1 = cache_view.scroll_y + cache_view.height;
  self->cache_spp = cache_view.seconds_per_px;
  self->cache_height = self->view.height;
  self->n_static_builds++;
}

/* -------------------------------------------------------------- overlay */

static void
append_outline (GtkSnapshot   *snapshot,
                double         x,
                double         y,
                double         width,
                double         height,
                float          border,
                const GdkRGBA *color)
{
  GskRoundedRect rect;
  const float widths[4] = { border, border, border, border };
  const GdkRGBA colors[4] = { *color, *color, *color, *color };

  gsk_rounded_rect_init_from_rect (&rect, &GRAPHENE_RECT_INIT (x - border, y - border,
                                                               width + 2 * border,
                                                               height + 2 * border), 2);
  gtk_snapshot_append_border (snapshot, &rect, widths, colors);
}

static void
snapshot_overlay (BqGantt     *self,
                  GtkSnapshot *snapshot)
{
  GdkRGBA fg = fg_color (self);
  GdkRGBA accent = named_color ("#3584e4");
  double now_x = bq_gantt_view_time_to_x (&self->view, current_now (self));

  if (now_x >= 0 && now_x <= self->view.width)
    {
      GdkRGBA red = named_color ("#e01b24");

      gtk_snapshot_append_color (snapshot, &red,
                                 &GRAPHENE_RECT_INIT (now_x - 1, 0, 2, self->view.height));
    }

  if (self->hover != NULL && self->hover != self->selected && self->mode != MODE_MOVE)
    {
      double x, y, w, h;
      GdkRGBA color = with_alpha (fg, 0.5f);

      bq_gantt_view_bar_rect (&self->view, self->hover, &x, &y, &w, &h);
      append_outline (snapshot, x, y, w, h, 1, &color);
    }
  if (self->selected != NULL)
    {
      double x, y, w, h;

      bq_gantt_view_bar_rect (&self->view, self->selected, &x, &y, &w, &h);
      append_outline (snapshot, x, y, w, h, 2, &accent);
    }

  if (self->drag_id != NULL && self->drag_row != NULL && self->data != NULL)
    {
      const BqGanttBar *bar = bq_gantt_data_lookup_bar (self->data, self->drag_id);

      if (bar != NULL)
        {
          gint64 duration = bar->dispatch - bar->start;
          double x0 = bq_gantt_view_time_to_x (&self->view, self->drag_start);
          double x1 = bq_gantt_view_time_to_x (&self->view, self->drag_start + duration);
          double y = self->drag_row->y - self->view.scroll_y + BQ_GANTT_BAR_INSET;
          double h = self->drag_row->height - 2 * BQ_GANTT_BAR_INSET;
          GdkRGBA tint = named_color (self->drag_valid ? "#2ec27e" : "#e01b24");
          GdkRGBA fill = with_alpha (tint, 0.35f);
          g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (self->drag_start);
          g_autoptr(GDateTime) local = g_date_time_to_timezone (utc, self->drag_row->zone);
          g_autofree char *when = g_date_time_format (local, "%a %-d %b %H:%M %Z");
          g_autofree char *text = NULL;

          gtk_snapshot_append_color (snapshot, &fill, &GRAPHENE_RECT_INIT (x0, y, MAX (x1 - x0, 2), h));
          append_outline (snapshot, x0, y, MAX (x1 - x0, 2), h, 2, &tint);
          if (self->drag_valid)
            text = g_strdup_printf ("%s — %s", when, _("can move here"));
          else
            text = g_strdup_printf ("%s — %s", when,
                                    self->drag_reason ? self->drag_reason : _("cannot move here"));
          {
            double ty = y + h + 4;
            GdkRGBA bg = named_color (self->drag_valid ? "#26a269" : "#c01c28");
            g_autoptr(PangoLayout) layout = gtk_widget_create_pango_layout (GTK_WIDGET (self), text);
            GdkRGBA white = named_color ("#ffffff");
            int tw, th;

            double tx;

            pango_layout_set_width (layout, MIN (460, self->view.width - 24) * PANGO_SCALE);
            pango_layout_set_wrap (layout, PANGO_WRAP_WORD_CHAR);
            pango_layout_get_pixel_size (layout, &tw, &th);
            if (ty + th + 6 > self->view.height)
              ty = y - th - 10;
            /* Kept inside the plot, near the ghost. */
            tx = CLAMP (x0, 4, MAX (4, self->view.width - tw - 16));
            gtk_snapshot_append_color (snapshot, &bg,
                                       &GRAPHENE_RECT_INIT (tx, ty, tw + 12, th + 6));
            gtk_snapshot_save (snapshot);
            gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (tx + 6, ty + 3));
            gtk_snapshot_append_layout (snapshot, layout, &white);
            gtk_snapshot_restore (snapshot);
          }
        }
    }
}

static void
bq_gantt_snapshot (GtkWidget   *widget,
                   GtkSnapshot *snapshot)
{
  BqGantt *self = BQ_GANTT (widget);
  int width = gtk_widget_get_width (widget);
  int height = gtk_widget_get_height (widget);
  GdkRGBA fg = fg_color (self);
  GdkRGBA edge = with_alpha (fg, 0.15f);

  if (self->data == NULL || self->view.width <= 0 || self->view.height <= 0)
    return;

  if (!cache_covers (self))
    build_static (self);

  /* The plot: the content node slides under a clip. */
  gtk_snapshot_save (snapshot);
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (GUTTER_WIDTH, AXIS_HEIGHT,
                                                         self->view.width, self->view.height));
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (GUTTER_WIDTH, AXIS_HEIGHT));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot,
                          &GRAPHENE_POINT_INIT (bq_gantt_view_time_to_x (&self->view, self->cache_t0),
                                                self->cache_y0 - self->view.scroll_y));
  gtk_snapshot_append_node (snapshot, self->content_node);
  gtk_snapshot_restore (snapshot);
  snapshot_overlay (self, snapshot);
  gtk_snapshot_pop (snapshot);
  gtk_snapshot_restore (snapshot);

  /* The axis slides sideways only. */
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (GUTTER_WIDTH, 0, self->view.width, AXIS_HEIGHT));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot,
                          &GRAPHENE_POINT_INIT (GUTTER_WIDTH + bq_gantt_view_time_to_x (&self->view, self->cache_t0), 0));
  gtk_snapshot_append_node (snapshot, self->axis_node);
  gtk_snapshot_restore (snapshot);
  {
    double now_x = bq_gantt_view_time_to_x (&self->view, current_now (self));
    GdkRGBA red = named_color ("#e01b24");

    if (now_x >= 0 && now_x <= self->view.width)
      gtk_snapshot_append_color (snapshot, &red,
                                 &GRAPHENE_RECT_INIT (GUTTER_WIDTH + now_x - 1, AXIS_HEIGHT - 8, 2, 8));
  }
  gtk_snapshot_pop (snapshot);

  /* The row labels slide up and down only. */
  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, AXIS_HEIGHT, GUTTER_WIDTH, self->view.height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, AXIS_HEIGHT - self->view.scroll_y));
  gtk_snapshot_append_node (snapshot, self->gutter_node);
  gtk_snapshot_restore (snapshot);
  gtk_snapshot_pop (snapshot);

  gtk_snapshot_push_clip (snapshot, &GRAPHENE_RECT_INIT (0, AXIS_HEIGHT, width, self->view.height));
  gtk_snapshot_save (snapshot);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (0, AXIS_HEIGHT - self->view.scroll_y));
  gtk_snapshot_append_node (snapshot, self->groups_node);
  gtk_snapshot_restore (snapshot);
  gtk_snapshot_pop (snapshot);

  /* The corner names the zone of the axis. */
  {
    g_autoptr(GDateTime) here = g_date_time_new_now_local ();
    g_autofree char *zone = g_strdup_printf (_("Times in %s"),
                                             g_date_time_get_timezone_abbreviation (here));

    append_text (self, snapshot, zone, FALSE, 0.75, with_alpha (fg, 0.6f), 8, AXIS_HEIGHT - 18,
                 GUTTER_WIDTH - 12);
  }
  gtk_snapshot_append_color (snapshot, &edge, &GRAPHENE_RECT_INIT (0, AXIS_HEIGHT - 1, width, 1));
  gtk_snapshot_append_color (snapshot, &edge, &GRAPHENE_RECT_INIT (GUTTER_WIDTH - 1, 0, 1, height));
}

/* ---------------------------------------------------------------- layout */

static void
apply_range (BqGantt *self,
             gint64   from,
             gint64   to)
{
  if (to <= from)
    to = from + 7 * 86400;
  self->view.seconds_per_px = CLAMP ((double) (to - from) / MAX (self->view.width, 1),
                                     BQ_GANTT_MIN_SECONDS_PER_PX, BQ_GANTT_MAX_SECONDS_PER_PX);
  self->view.origin = from;
  self->view_ready = TRUE;
}

static void
bq_gantt_size_allocate (GtkWidget *widget,
                        int        width,
                        int        height,
                        int        baseline)
{
  BqGantt *self = BQ_GANTT (widget);

  self->view.width = MAX (width - GUTTER_WIDTH, 1);
  self->view.height = MAX (height - AXIS_HEIGHT, 1);
  if (!self->view_ready)
    {
      apply_range (self, self->pending_from, self->pending_to);
      g_signal_emit (self, signals[SIGNAL_VIEW_CHANGED], 0);
    }
  clamp_scroll (self);
}

static void
bq_gantt_measure (GtkWidget      *widget,
                  GtkOrientation  orientation,
                  int             for_size,
                  int            *minimum,
                  int            *natural,
                  int            *minimum_baseline,
                  int            *natural_baseline)
{
  BqGantt *self = BQ_GANTT (widget);

  if (orientation == GTK_ORIENTATION_HORIZONTAL)
    {
      *minimum = GUTTER_WIDTH + 120;
      *natural = GUTTER_WIDTH + 900;
    }
  else
    {
      /* The rows scroll: ask for a screenful at most. */
      int content = self->data ? bq_gantt_data_get_height (self->data) : 0;

      *minimum = AXIS_HEIGHT + BQ_GANTT_LINE_HEIGHT * 2;
      *natural = MAX (*minimum, AXIS_HEIGHT + MIN (content, 600));
    }
}

/* ------------------------------------------------------------- selection */

static void
announce_selection (BqGantt *self)
{
  g_autofree char *name = NULL;

  if (self->selected_id != NULL)
    name = bq_gantt_dup_run_accessible_name (self, self->selected_id);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  name != NULL ? name : _("No run selected"),
                                  -1);
}

static void
ensure_visible (BqGantt          *self,
                const BqGanttBar *bar)
{
  double x, y, w, h;
  double margin = 24;

  bq_gantt_view_bar_rect (&self->view, bar, &x, &y, &w, &h);
  if (x < margin || x + MIN (w, self->view.width / 2.0) > self->view.width - margin)
    self->view.origin = bar->start - (gint64) (self->view.width * self->view.seconds_per_px / 4);
  if (y < 0)
    self->view.scroll_y += y - BQ_GANTT_BAR_INSET - BQ_GANTT_GROUP_HEIGHT;
  else if (y + h > self->view.height)
    self->view.scroll_y += y + h - self->view.height + BQ_GANTT_BAR_INSET;
  view_changed (self);
}

static void
set_selected (BqGantt          *self,
              const BqGanttBar *bar,
              gboolean          scroll)
{
  const char *id = bar != NULL ? bar->run->base.id : NULL;

  self->selected = bar;
  if (g_strcmp0 (id, self->selected_id) != 0)
    {
      g_free (self->selected_id);
      self->selected_id = g_strdup (id);
      announce_selection (self);
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_SELECTED_RUN]);
    }
  if (bar != NULL && scroll && self->view.width > 1)
    ensure_visible (self, bar);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

/* ------------------------------------------------------------------ drag */

static void
clear_drag (BqGantt *self)
{
  g_clear_pointer (&self->drag_id, g_free);
  g_clear_pointer (&self->drag_reason, g_free);
  self->drag_row = NULL;
  self->checked_row = NULL;
  self->drag_valid = FALSE;
}

/* Asks the planner, once per place. */
static gboolean
check_target (BqGantt          *self,
              const BqGanttBar *bar,
              const BqGanttRow *row,
              gint64            start,
              GError          **error)
{
  g_autoptr(GError) local_error = NULL;
  gboolean ok;

  if (row == self->checked_row && start == self->checked_start)
    {
      if (!self->drag_valid && error != NULL)
        g_set_error_literal (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_MOVABLE,
                             self->drag_reason ? self->drag_reason : "");
      return self->drag_valid;
    }

  if (row == NULL || row->kind != BQ_GANTT_ROW_LINE)
    {
      ok = FALSE;
      g_set_error_literal (&local_error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_FOUND,
                           _("Not a production line"));
    }
  else if (bar->run->status != BQ_RUN_PLANNED)
    {
      ok = FALSE;
      g_set_error (&local_error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_MOVABLE,
                   _("Only planned runs can move; this one is %s"),
                   bq_gantt_run_status_label (bar->run->status));
    }
  else if (self->planner != NULL)
    ok = bq_planner_check_move (self->planner, bar->run, row->line->base.id, start, &local_error);
  else
    ok = TRUE;

  self->checked_row = row;
  self->checked_start = start;
  self->drag_valid = ok;
  g_clear_pointer (&self->drag_reason, g_free);
  if (!ok)
    {
      self->drag_reason = g_strdup (local_error->message);
      if (error != NULL)
        *error = g_steal_pointer (&local_error);
    }
  return ok;
}

static gboolean
move_drag_to (BqGantt          *self,
              const BqGanttRow *row,
              gint64            start,
              GError          **error)
{
  const BqGanttBar *bar = bq_gantt_data_lookup_bar (self->data, self->drag_id);
  gboolean ok;

  if (bar == NULL)
    {
      g_set_error_literal (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_FOUND, _("The run is gone"));
      return FALSE;
    }
  self->drag_row = row;
  self->drag_start = start;
  ok = check_target (self, bar, row, start, error);
  gtk_accessible_update_property (GTK_ACCESSIBLE (self), GTK_ACCESSIBLE_PROPERTY_DESCRIPTION,
                                  ok ? _("Can move here") : self->drag_reason, -1);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  return ok;
}

gboolean
bq_gantt_begin_drag (BqGantt    *self,
                     const char *run_id)
{
  const BqGanttBar *bar;

  g_return_val_if_fail (BQ_IS_GANTT (self), FALSE);
  g_return_val_if_fail (run_id != NULL, FALSE);

  if (self->data == NULL || (bar = bq_gantt_data_lookup_bar (self->data, run_id)) == NULL)
    return FALSE;
  clear_drag (self);
  self->drag_id = g_strdup (run_id);
  self->drag_row = bar->row;
  self->drag_start = bar->start;
  self->drag_valid = FALSE;
  set_selected (self, bar, FALSE);
  return TRUE;
}

gboolean
bq_gantt_update_drag (BqGantt     *self,
                      const char  *line_id,
                      gint64       start,
                      GError     **error)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), FALSE);
  g_return_val_if_fail (self->drag_id != NULL, FALSE);

  return move_drag_to (self, bq_gantt_data_lookup_line (self->data, line_id), start, error);
}

gboolean
bq_gantt_end_drag (BqGantt  *self,
                   GError  **error)
{
  g_autofree char *id = NULL;
  g_autofree char *line_id = NULL;
  gint64 start;
  const BqGanttBar *bar;

  g_return_val_if_fail (BQ_IS_GANTT (self), FALSE);
  g_return_val_if_fail (self->drag_id != NULL, FALSE);

  bar = bq_gantt_data_lookup_bar (self->data, self->drag_id);
  if (bar == NULL || self->drag_row == NULL || self->drag_row->line == NULL)
    {
      g_set_error_literal (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_FOUND, _("Not a production line"));
      clear_drag (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return FALSE;
    }
  if (self->drag_row == bar->row && self->drag_start == bar->start)
    {
      /* Put back where it was: nothing to do. */
      clear_drag (self);
      announce_selection (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return TRUE;
    }
  if (!check_target (self, bar, self->drag_row, self->drag_start, error))
    {
      clear_drag (self);
      announce_selection (self);
      gtk_widget_queue_draw (GTK_WIDGET (self));
      return FALSE;
    }

  id = g_strdup (self->drag_id);
  line_id = g_strdup (self->drag_row->line->base.id);
  start = self->drag_start;
  clear_drag (self);
  announce_selection (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
  g_signal_emit (self, signals[SIGNAL_RUN_MOVED], 0, id, line_id, start);
  return TRUE;
}

void
bq_gantt_cancel_drag (BqGantt *self)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  clear_drag (self);
  if (self->mode == MODE_MOVE || self->mode == MODE_PRESS_BAR)
    self->mode = MODE_NONE;
  announce_selection (self);
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gboolean
bq_gantt_is_dragging (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), FALSE);
  return self->drag_id != NULL;
}

/* ----------------------------------------------------------------- input */

static const BqGanttBar *
bar_at (BqGantt *self,
        double   x,
        double   y)
{
  if (self->data == NULL)
    return NULL;
  return bq_gantt_view_hit_test (&self->view, self->data, x - GUTTER_WIDTH, y - AXIS_HEIGHT);
}

static void
on_drag_begin (GtkGestureDrag *gesture,
               double          x,
               double          y,
               BqGantt        *self)
{
  const BqGanttBar *bar = bar_at (self, x, y);

  gtk_widget_grab_focus (GTK_WIDGET (self));
  self->press_x = x;
  self->press_y = y;
  self->press_origin = self->view.origin;
  self->press_scroll_y = self->view.scroll_y;
  if (bar != NULL)
    {
      self->mode = MODE_PRESS_BAR;
      set_selected (self, bar, FALSE);
    }
  else if (x >= GUTTER_WIDTH && y >= AXIS_HEIGHT)
    self->mode = MODE_PAN;
  else
    self->mode = MODE_NONE;
}

static void
on_drag_update (GtkGestureDrag *gesture,
                double          dx,
                double          dy,
                BqGantt        *self)
{
  switch (self->mode)
    {
    case MODE_PAN:
      self->view.origin = self->press_origin - (gint64) (dx * self->view.seconds_per_px);
      self->view.scroll_y = self->press_scroll_y - dy;
      view_changed (self);
      break;

    case MODE_PRESS_BAR:
      if (hypot (dx, dy) < DRAG_THRESHOLD || self->selected == NULL)
        break;
      if (!bq_gantt_begin_drag (self, self->selected->run->base.id))
        break;
      self->mode = MODE_MOVE;
      G_GNUC_FALLTHROUGH;

    case MODE_MOVE:
      {
        const BqGanttBar *bar = bq_gantt_data_lookup_bar (self->data, self->drag_id);
        const BqGanttRow *row;
        gint64 start;

        if (bar == NULL)
          break;
        row = bq_gantt_data_row_at (self->data, self->press_y + dy - AXIS_HEIGHT + self->view.scroll_y);
        start = bar->start + (gint64) (dx * self->view.seconds_per_px);
        start = (gint64) floor ((double) start / SNAP_S + 0.5) * SNAP_S;
        move_drag_to (self, row, start, NULL);
      }
      break;

    case MODE_NONE:
    default:
      break;
    }
}

static void
on_drag_end (GtkGestureDrag *gesture,
             double          dx,
             double          dy,
             BqGantt        *self)
{
  if (self->mode == MODE_MOVE && self->drag_id != NULL)
    bq_gantt_end_drag (self, NULL);
  else if (self->mode == MODE_PAN && hypot (dx, dy) < DRAG_THRESHOLD)
    set_selected (self, NULL, FALSE);   /* a click on empty space */
  self->mode = MODE_NONE;
}

static void
on_click_pressed (GtkGestureClick *gesture,
                  int              n_press,
                  double           x,
                  double           y,
                  BqGantt         *self)
{
  const BqGanttBar *bar;

  if (n_press != 2)
    return;
  bar = bar_at (self, x, y);
  if (bar != NULL)
    g_signal_emit (self, signals[SIGNAL_RUN_ACTIVATED], 0, bar->run->base.id);
}

static void
on_motion (GtkEventControllerMotion *controller,
           double                    x,
           double                    y,
           BqGantt                  *self)
{
  const BqGanttBar *bar = bar_at (self, x, y);

  self->pointer_x = x;
  self->pointer_y = y;
  if (bar != self->hover)
    {
      self->hover = bar;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static void
on_leave (GtkEventControllerMotion *controller,
          BqGantt                  *self)
{
  if (self->hover != NULL)
    {
      self->hover = NULL;
      gtk_widget_queue_draw (GTK_WIDGET (self));
    }
}

static gboolean
on_scroll (GtkEventControllerScroll *controller,
           double                    dx,
           double                    dy,
           BqGantt                  *self)
{
  GdkModifierType state = gtk_event_controller_get_current_event_state (GTK_EVENT_CONTROLLER (controller));
  gboolean wheel = gtk_event_controller_scroll_get_unit (controller) == GDK_SCROLL_UNIT_WHEEL;
  double step = wheel ? 48 : 1;
  int content = self->data != NULL ? bq_gantt_data_get_height (self->data) : 0;

  if (state & GDK_CONTROL_MASK)
    {
      double factor = pow (wheel ? 1.25 : 1.01, -dy);

      bq_gantt_view_zoom (&self->view, factor, CLAMP (self->pointer_x - GUTTER_WIDTH, 0,
                                                      self->view.width));
      view_changed (self);
      return TRUE;
    }
  if (state & GDK_SHIFT_MASK)
    {
      dx += dy;
      dy = 0;
    }
  /* Rows that fit leave the vertical wheel to time. */
  if (content <= self->view.height && dx == 0)
    {
      dx = dy;
      dy = 0;
    }
  self->view.origin += (gint64) (dx * step * self->view.seconds_per_px);
  self->view.scroll_y += dy * step;
  view_changed (self);
  return TRUE;
}

static void
on_zoom_begin (GtkGesture       *gesture,
               GdkEventSequence *sequence,
               BqGantt          *self)
{
  self->zoom_begin_spp = self->view.seconds_per_px;
  self->mode = MODE_NONE;
}

static void
on_zoom_scale_changed (GtkGestureZoom *gesture,
                       double          scale,
                       BqGantt        *self)
{
  double cx = self->view.width / 2.0, cy;

  if (scale <= 0)
    return;
  gtk_gesture_get_bounding_box_center (GTK_GESTURE (gesture), &cx, &cy);
  cx -= GUTTER_WIDTH;
  bq_gantt_view_zoom (&self->view, self->view.seconds_per_px / (self->zoom_begin_spp / scale),
                      CLAMP (cx, 0, self->view.width));
  view_changed (self);
}

/* The bar in @row nearest to @t, or NULL. */
static const BqGanttBar *
nearest_in_row (const BqGanttRow *row,
                gint64            t)
{
  const BqGanttBar *best = NULL;
  gint64 best_distance = G_MAXINT64;
  guint first, end;

  if (row->bars->len == 0)
    return NULL;
  bq_gantt_row_bars_in (row, t, t + 1, &first, &end);
  /* Around the insertion point: one either side is enough. */
  for (guint i = first > 0 ? first - 1 : 0; i < MIN (end + 1, row->bars->len); i++)
    {
      const BqGanttBar *bar = g_ptr_array_index (row->bars, i);
      gint64 distance = ABS (bar->start - t);

      if (distance < best_distance)
        {
          best = bar;
          best_distance = distance;
        }
    }
  return best;
}

static void
move_selection (BqGantt *self,
                int      drow,
                int      dbar)
{
  const BqGanttBar *bar = self->selected;
  const BqGanttRow *row;
  guint n_rows;

  if (self->data == NULL || (n_rows = bq_gantt_data_get_n_rows (self->data)) == 0)
    return;

  if (bar == NULL)
    {
      /* Start at the first line that has a run near the middle of the view. */
      gint64 middle = bq_gantt_view_x_to_time (&self->view, self->view.width / 2.0);

      for (guint r = 0; r < n_rows; r++)
        {
          const BqGanttBar *found = nearest_in_row (bq_gantt_data_get_row (self->data, r), middle);

          if (found != NULL)
            {
              set_selected (self, found, TRUE);
              return;
            }
        }
      return;
    }

  row = bar->row;
  if (dbar != 0)
    {
      int index = (int) bar->index_in_row + dbar;

      if (index >= 0 && index < (int) row->bars->len)
        set_selected (self, g_ptr_array_index (row->bars, index), TRUE);
      return;
    }
  for (int r = (int) row->index + drow; r >= 0 && r < (int) n_rows; r += drow)
    {
      const BqGanttBar *found = nearest_in_row (bq_gantt_data_get_row (self->data, r), bar->start);

      if (found != NULL)
        {
          set_selected (self, found, TRUE);
          return;
        }
    }
}

static gboolean
on_key_pressed (GtkEventControllerKey *controller,
                guint                  keyval,
                guint                  keycode,
                GdkModifierType        state,
                BqGantt               *self)
{
  if (state & (GDK_CONTROL_MASK | GDK_ALT_MASK))
    {
      if ((state & GDK_CONTROL_MASK) && (keyval == GDK_KEY_plus || keyval == GDK_KEY_equal ||
                                         keyval == GDK_KEY_KP_Add))
        bq_gantt_zoom (self, 1.5);
      else if ((state & GDK_CONTROL_MASK) && (keyval == GDK_KEY_minus || keyval == GDK_KEY_KP_Subtract))
        bq_gantt_zoom (self, 1 / 1.5);
      else
        return FALSE;
      return TRUE;
    }

  switch (keyval)
    {
    case GDK_KEY_Left:
    case GDK_KEY_KP_Left:
      move_selection (self, 0, -1);
      return TRUE;
    case GDK_KEY_Right:
    case GDK_KEY_KP_Right:
      move_selection (self, 0, 1);
      return TRUE;
    case GDK_KEY_Up:
    case GDK_KEY_KP_Up:
      move_selection (self, -1, 0);
      return TRUE;
    case GDK_KEY_Down:
    case GDK_KEY_KP_Down:
      move_selection (self, 1, 0);
      return TRUE;
    case GDK_KEY_plus:
    case GDK_KEY_equal:
    case GDK_KEY_KP_Add:
      bq_gantt_zoom (self, 1.5);
      return TRUE;
    case GDK_KEY_minus:
    case GDK_KEY_KP_Subtract:
      bq_gantt_zoom (self, 1 / 1.5);
      return TRUE;
    case GDK_KEY_Home:
    case GDK_KEY_t:
      bq_gantt_go_to_today (self);
      return TRUE;
    case GDK_KEY_Return:
    case GDK_KEY_KP_Enter:
    case GDK_KEY_ISO_Enter:
    case GDK_KEY_space:
      if (self->selected_id != NULL)
        g_signal_emit (self, signals[SIGNAL_RUN_ACTIVATED], 0, self->selected_id);
      return self->selected_id != NULL;
    case GDK_KEY_Escape:
      if (self->drag_id != NULL)
        {
          bq_gantt_cancel_drag (self);
          return TRUE;
        }
      return FALSE;
    default:
      return FALSE;
    }
}

static gboolean
bq_gantt_query_tooltip (GtkWidget  *widget,
                        int         x,
                        int         y,
                        gboolean    keyboard,
                        GtkTooltip *tooltip)
{
  BqGantt *self = BQ_GANTT (widget);
  const BqGanttBar *bar = keyboard ? self->selected : bar_at (self, x, y);
  g_autofree char *activity = NULL;
  g_autofree char *window = NULL;
  g_autofree char *markup = NULL;
  g_autofree char *batch = NULL;
  g_autofree char *product = NULL;
  double bx, by, bw, bh;

  if (bar == NULL || self->mode == MODE_MOVE)
    return FALSE;

  activity = bq_units_format_activity (bar->run->activity_eos_bq, BQ_ACTIVITY_UNIT_AUTO);
  window = bq_format_window (bar->start, bar->eos, bar->row->zone);
  batch = g_markup_escape_text (bar->run->batch ? bar->run->batch : bar->run->base.id, -1);
  product = g_markup_escape_text (bar->product ? bar->product->name : bar->run->product_id, -1);
  markup = g_strdup_printf ("<b>%s</b> · %s\n%s\n%s: %s\n%s: %" G_GINT64_FORMAT " / %" G_GINT64_FORMAT "\n%s: %s",
                            batch, product, window,
                            _("Activity at EOS"), activity,
                            _("Doses booked"), bar->doses_booked, bar->run->dose_capacity,
                            _("Status"), bq_gantt_run_status_label (bar->run->status));
  gtk_tooltip_set_markup (tooltip, markup);
  bq_gantt_view_bar_rect (&self->view, bar, &bx, &by, &bw, &bh);
  gtk_tooltip_set_tip_area (tooltip, &(GdkRectangle) { (int) (bx + GUTTER_WIDTH), (int) (by + AXIS_HEIGHT),
                                                       MAX ((int) bw, 1), (int) bh });
  return TRUE;
}

static gboolean
on_now_tick (gpointer user_data)
{
  gtk_widget_queue_draw (GTK_WIDGET (user_data));
  return G_SOURCE_CONTINUE;
}

static void
on_dark_changed (BqGantt *self)
{
  invalidate_all (self);
}

static void
bq_gantt_system_setting_changed (GtkWidget         *widget,
                                 GtkSystemSetting   setting)
{
  GTK_WIDGET_CLASS (bq_gantt_parent_class)->system_setting_changed (widget, setting);
  invalidate_all (BQ_GANTT (widget));
}

/* ---------------------------------------------------------------- object */

static void
bq_gantt_get_property (GObject    *object,
                       guint       prop_id,
                       GValue     *value,
                       GParamSpec *pspec)
{
  BqGantt *self = BQ_GANTT (object);

  switch (prop_id)
    {
    case PROP_SELECTED_RUN:
      g_value_set_string (value, self->selected_id);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_gantt_dispose (GObject *object)
{
  BqGantt *self = BQ_GANTT (object);

  g_clear_handle_id (&self->now_timer, g_source_remove);
  drop_caches (self);
  drop_labels (self);
  clear_drag (self);
  self->selected = NULL;
  self->hover = NULL;
  g_clear_pointer (&self->data, bq_gantt_data_unref);
  g_clear_object (&self->planner);

  G_OBJECT_CLASS (bq_gantt_parent_class)->dispose (object);
}

static void
bq_gantt_finalize (GObject *object)
{
  BqGantt *self = BQ_GANTT (object);

  g_free (self->selected_id);

  G_OBJECT_CLASS (bq_gantt_parent_class)->finalize (object);
}

static void
bq_gantt_class_init (BqGanttClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->get_property = bq_gantt_get_property;
  object_class->dispose = bq_gantt_dispose;
  object_class->finalize = bq_gantt_finalize;
  widget_class->snapshot = bq_gantt_snapshot;
  widget_class->measure = bq_gantt_measure;
  widget_class->size_allocate = bq_gantt_size_allocate;
  widget_class->query_tooltip = bq_gantt_query_tooltip;
  widget_class->system_setting_changed = bq_gantt_system_setting_changed;

  properties[PROP_SELECTED_RUN] =
    g_param_spec_string ("selected-run", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  g_object_class_install_properties (object_class, N_PROPS, properties);

  signals[SIGNAL_RUN_ACTIVATED] =
    g_signal_new ("run-activated", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
  signals[SIGNAL_RUN_MOVED] =
    g_signal_new ("run-moved", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, G_TYPE_INT64);
  signals[SIGNAL_VIEW_CHANGED] =
    g_signal_new ("view-changed", G_TYPE_FROM_CLASS (klass), G_SIGNAL_RUN_LAST, 0,
                  NULL, NULL, NULL, G_TYPE_NONE, 0);

  gtk_widget_class_set_css_name (widget_class, "gantt");
}

static void
bq_gantt_init (BqGantt *self)
{
  GtkGesture *drag = gtk_gesture_drag_new ();
  GtkGesture *click = gtk_gesture_click_new ();
  GtkGesture *zoom = gtk_gesture_zoom_new ();
  GtkEventController *motion = gtk_event_controller_motion_new ();
  GtkEventController *scroll = gtk_event_controller_scroll_new (GTK_EVENT_CONTROLLER_SCROLL_BOTH_AXES);
  GtkEventController *key = gtk_event_controller_key_new ();
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  self->now = BQ_TIME_UNSET;
  self->view.seconds_per_px = 600;
  self->view.width = 1;
  self->view.height = 1;
  self->pending_from = now - 86400;
  self->pending_to = now + 6 * 86400;

  gtk_widget_set_focusable (GTK_WIDGET (self), TRUE);
  gtk_widget_set_has_tooltip (GTK_WIDGET (self), TRUE);
  gtk_widget_set_overflow (GTK_WIDGET (self), GTK_OVERFLOW_HIDDEN);

  gtk_gesture_single_set_button (GTK_GESTURE_SINGLE (drag), GDK_BUTTON_PRIMARY);
  g_signal_connect (drag, "drag-begin", G_CALLBACK (on_drag_begin), self);
  g_signal_connect (drag, "drag-update", G_CALLBACK (on_drag_update), self);
  g_signal_connect (drag, "drag-end", G_CALLBACK (on_drag_end), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (drag));

  g_signal_connect (click, "pressed", G_CALLBACK (on_click_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (click));

  g_signal_connect (zoom, "begin", G_CALLBACK (on_zoom_begin), self);
  g_signal_connect (zoom, "scale-changed", G_CALLBACK (on_zoom_scale_changed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), GTK_EVENT_CONTROLLER (zoom));
  /* A pinch is not also a drag. */
  gtk_gesture_group (zoom, drag);

  g_signal_connect (motion, "motion", G_CALLBACK (on_motion), self);
  g_signal_connect (motion, "leave", G_CALLBACK (on_leave), self);
  gtk_widget_add_controller (GTK_WIDGET (self), motion);

  g_signal_connect (scroll, "scroll", G_CALLBACK (on_scroll), self);
  gtk_widget_add_controller (GTK_WIDGET (self), scroll);

  g_signal_connect (key, "key-pressed", G_CALLBACK (on_key_pressed), self);
  gtk_widget_add_controller (GTK_WIDGET (self), key);

  g_signal_connect_object (adw_style_manager_get_default (), "notify::dark",
                           G_CALLBACK (on_dark_changed), self, G_CONNECT_SWAPPED);

  /* The "now" line moves a pixel every few minutes at most. */
  self->now_timer = g_timeout_add_seconds (30, on_now_tick, self);

  gtk_accessible_update_property (GTK_ACCESSIBLE (self),
                                  GTK_ACCESSIBLE_PROPERTY_LABEL, _("Production timeline"),
                                  GTK_ACCESSIBLE_PROPERTY_DESCRIPTION, _("No run selected"),
                                  -1);
}

GtkWidget *
bq_gantt_new (void)
{
  return g_object_new (BQ_TYPE_GANTT, NULL);
}

/* ------------------------------------------------------------------- API */

void
bq_gantt_set_data (BqGantt     *self,
                   BqGanttData *data)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  if (self->data == data)
    return;
  if (data != NULL)
    bq_gantt_data_ref (data);
  self->hover = NULL;
  self->selected = NULL;
  self->drag_row = NULL;
  self->checked_row = NULL;
  g_clear_pointer (&self->data, bq_gantt_data_unref);
  self->data = data;
  if (data != NULL && self->drag_id != NULL)
    {
      const BqGanttBar *bar = bq_gantt_data_lookup_bar (data, self->drag_id);

      if (bar == NULL)
        clear_drag (self);
      else
        self->drag_row = bar->row;
    }
  else if (data == NULL)
    clear_drag (self);
  invalidate_all (self);
  if (data != NULL && self->selected_id != NULL)
    {
      const BqGanttBar *bar = bq_gantt_data_lookup_bar (data, self->selected_id);

      if (bar != NULL)
        {
          self->selected = bar;
          announce_selection (self);   /* it may have changed */
        }
      else
        set_selected (self, NULL, FALSE);
    }
  clamp_scroll (self);
  gtk_widget_queue_resize (GTK_WIDGET (self));
}

BqGanttData *
bq_gantt_get_data (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), NULL);
  return self->data;
}

void
bq_gantt_set_planner (BqGantt   *self,
                      BqPlanner *planner)
{
  g_return_if_fail (BQ_IS_GANTT (self));
  g_return_if_fail (planner == NULL || BQ_IS_PLANNER (planner));

  g_set_object (&self->planner, planner);
  self->checked_row = NULL;
}

void
bq_gantt_set_now (BqGantt *self,
                  gint64   now)
{
  g_return_if_fail (BQ_IS_GANTT (self));
  self->now = now;
  gtk_widget_queue_draw (GTK_WIDGET (self));
}

gint64
bq_gantt_get_now (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), 0);
  return current_now (self);
}

void
bq_gantt_set_time_range (BqGantt *self,
                         gint64   from,
                         gint64   to)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  self->pending_from = from;
  self->pending_to = to;
  if (self->view.width > 1)
    apply_range (self, from, to);
  else
    self->view_ready = FALSE;
  view_changed (self);
}

void
bq_gantt_get_time_range (BqGantt *self,
                         gint64  *from,
                         gint64  *to)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  if (!self->view_ready)
    {
      *from = self->pending_from;
      *to = self->pending_to;
      return;
    }
  *from = self->view.origin;
  *to = bq_gantt_view_get_end (&self->view);
}

double
bq_gantt_get_seconds_per_pixel (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), 0);
  return self->view.seconds_per_px;
}

void
bq_gantt_zoom (BqGantt *self,
               double   factor)
{
  g_return_if_fail (BQ_IS_GANTT (self));
  g_return_if_fail (factor > 0);

  bq_gantt_view_zoom (&self->view, factor, self->view.width / 2.0);
  view_changed (self);
}

void
bq_gantt_pan (BqGantt *self,
              double   dx,
              double   dy)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  self->view.origin += (gint64) (dx * self->view.seconds_per_px);
  self->view.scroll_y += dy;
  view_changed (self);
}

void
bq_gantt_go_to_today (BqGantt *self)
{
  g_return_if_fail (BQ_IS_GANTT (self));

  if (!self->view_ready)
    {
      gint64 span = self->pending_to - self->pending_from;

      self->pending_from = current_now (self) - span / 5;
      self->pending_to = self->pending_from + span;
      return;
    }
  self->view.origin = current_now (self) - (gint64) (self->view.width * self->view.seconds_per_px / 5);
  view_changed (self);
}

const BqGanttView *
bq_gantt_get_view (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), NULL);
  return &self->view;
}

void
bq_gantt_get_plot_origin (BqGantt *self,
                          int     *x,
                          int     *y)
{
  g_return_if_fail (BQ_IS_GANTT (self));
  *x = GUTTER_WIDTH;
  *y = AXIS_HEIGHT;
}

gboolean
bq_gantt_select_run (BqGantt    *self,
                     const char *run_id)
{
  const BqGanttBar *bar;

  g_return_val_if_fail (BQ_IS_GANTT (self), FALSE);

  if (run_id == NULL)
    {
      set_selected (self, NULL, FALSE);
      return TRUE;
    }
  if (self->data == NULL || (bar = bq_gantt_data_lookup_bar (self->data, run_id)) == NULL)
    return FALSE;
  set_selected (self, bar, TRUE);
  return TRUE;
}

const char *
bq_gantt_get_selected_run (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), NULL);
  return self->selected_id;
}

const BqGanttBar *
bq_gantt_get_selected_bar (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), NULL);
  return self->selected;
}

char *
bq_gantt_dup_run_accessible_name (BqGantt    *self,
                                  const char *run_id)
{
  const BqGanttBar *bar;
  g_autofree char *window = NULL;

  g_return_val_if_fail (BQ_IS_GANTT (self), NULL);

  if (self->data == NULL || (bar = bq_gantt_data_lookup_bar (self->data, run_id)) == NULL)
    return NULL;
  window = bq_format_window (bar->start, bar->eos, bar->row->zone);
  /* Translators: the accessible name of a run in the timeline: batch,
   * product, line, site, status, synthesis window, doses booked of the
   * capacity. */
  return g_strdup_printf (_("Run %s, %s on %s (%s), %s, synthesis %s, %" G_GINT64_FORMAT
                            " of %" G_GINT64_FORMAT " doses booked"),
                          bar->run->batch ? bar->run->batch : bar->run->base.id,
                          bar->product ? bar->product->name : bar->run->product_id,
                          bar->row->label, bar->row->site->name,
                          bq_gantt_run_status_label (bar->run->status), window,
                          bar->doses_booked, bar->run->dose_capacity);
}

guint
bq_gantt_get_n_static_builds (BqGantt *self)
{
  g_return_val_if_fail (BQ_IS_GANTT (self), 0);
  return self->n_static_builds;
}

void
bq_gantt_invalidate (BqGantt *self)
{
  g_return_if_fail (BQ_IS_GANTT (self));
  invalidate_all (self);
}
