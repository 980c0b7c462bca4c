/* bench-gantt.c — how fast the production Gantt draws
 *
 *   xvfb-run -a -s '-screen 0 1600x1200x24' bench-gantt [N_RUNS…] [--frames F]
 *
 * For each N_RUNS (default 1,000, 10,000 and 100,000): a store with 4
 * sites, 40 lines and N_RUNS runs spread over them (a run every 12 hours
 * per line, statuses mixed, maintenance blocks), read into a BqGanttData;
 * a 1600×900 window shows the Gantt on a week in the middle.  Then:
 *
 *   - load: bq_gantt_data_load() from the store;
 *   - static layer: the cached layers dropped and drawn again (rows,
 *     shading, grid, bars with labels, axis) — snapshot only;
 *   - pan: F frames of 40 px each (the cache slides; now and then it is
 *     rebuilt as the view leaves it) — snapshot and render;
 *   - zoom: F frames alternating ×1.1 and ÷1.1 (every frame rebuilds);
 *   - plain: the same visible bars as one rectangle each, no labels, no
 *     shading, no grid, built into a node and rendered, for comparison;
 *
 * with median and p90 in milliseconds, and the ratio of (pan snapshot +
 * render) and (zoom snapshot + render) to (plain snapshot + render).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <adwaita.h>

#include "bq-gantt.h"

#define T0 G_GINT64_CONSTANT (1794182400)   /* Monday 2026-11-09 00:00 UTC */
#define N_SITES 4
#define LINES_PER_SITE 10
#define N_LINES (N_SITES * LINES_PER_SITE)
#define PERIOD (12 * 3600)

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-gantt: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static double
now_ms (void)
{
  return g_get_monotonic_time () / 1e3;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return x < y ? -1 : x > y;
}

static double
percentile (GArray *samples,
            double  p)
{
  guint i;

  g_array_sort (samples, compare_doubles);
  i = (guint) (p * (samples->len - 1) + 0.5);
  return g_array_index (samples, double, MIN (i, samples->len - 1));
}

/* ------------------------------------------------------------------ data */

static BqStore *
make_store (guint n_runs)
{
  g_autoptr(GError) error = NULL;
  BqStore *store = bq_store_open (":memory:", &error);
  g_autoptr(GPtrArray) entities = g_ptr_array_new_with_free_func (bq_entity_free);
  static const char * const zones[N_SITES] = {
    "Europe/Amsterdam", "America/Indiana/Indianapolis", "Europe/Rome", "Asia/Shanghai",
  };
  BqProduct *product = bq_product_new ();

  if (store == NULL)
    die ("store", error);

  bq_entity_set_id (product, "lu-psma");
  product->name = g_strdup ("Lu-177 PSMA");
  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->tolerance = 0.1;
  product->concentration_bq_per_ml = 1e9;
  product->shelf_life_s = 5 * 86400;
  product->synthesis_duration_s = 2 * 3600;
  product->qc_duration_s = 3 * 3600;
  g_ptr_array_add (entities, product);

  for (guint s = 0; s < N_SITES; s++)
    {
      BqSite *site = bq_site_new ();

      site->base.id = g_strdup_printf ("site-%u", s);
      site->name = g_strdup_printf ("Site %u", s);
      site->organisation = g_strdup (s < 2 ? "CDMO One" : "CDMO Two");
      site->city = g_strdup ("City");
      site->country = g_strdup ("NL");
      site->timezone = g_strdup (zones[s]);
      g_ptr_array_add (entities, site);
      for (guint l = 0; l < LINES_PER_SITE; l++)
        {
          BqLine *line = bq_line_new ();
          BqMaintenanceBlock *block = bq_maintenance_block_new ();

          line->base.id = g_strdup_printf ("line-%u-%u", s, l);
          line->site_id = g_strdup (site->base.id);
          line->name = g_strdup_printf ("Line %u", l + 1);
          line->working_weekdays = 0x1f;
          line->shift_start_local = 6 * 60;
          line->shift_end_local = 22 * 60;
          g_ptr_array_add (entities, line);

          block->base.id = g_strdup_printf ("maintenance-%u-%u", s, l);
          block->line_id = g_strdup (line->base.id);
          block->start_time = T0 + (l + 3) * 86400;
          block->end_time = block->start_time + 86400;
          block->reason = g_strdup ("Requalification");
          g_ptr_array_add (entities, block);
        }
    }

  for (guint i = 0; i < n_runs; i++)
    {
      BqRun *run = bq_run_new ();
      guint line = i % N_LINES;
      gint64 slot = i / N_LINES;

      run->base.id = g_strdup_printf ("run-%06u", i);
      run->line_id = g_strdup_printf ("line-%u-%u", line / LINES_PER_SITE, line % LINES_PER_SITE);
      run->product_id = g_strdup ("lu-psma");
      run->batch = g_strdup_printf ("B%02u-%05u", line, (guint) slot);
      /* Spread so the middle of the span is "now". */
      run->start_time = T0 - (gint64) (n_runs / N_LINES / 2) * PERIOD + slot * PERIOD + 6 * 3600;
      run->eos_time = run->start_time + 2 * 3600;
      run->calibration_time = run->start_time + 86400;
      run->activity_eos_bq = 60e9;
      run->dose_capacity = 6;
      run->status = (BqRunStatus) (i % 7);
      g_ptr_array_add (entities, run);
    }
  if (!bq_store_put_many (store, entities, &error))
    die ("put", error);
  return store;
}

/* ----------------------------------------------------------------- frames */

/* The widget's own snapshot, called directly: a GtkWidgetPaintable
 * only takes a new picture at the next frame. */
static GskRenderNode *
snapshot_widget (GtkWidget *widget)
{
  GtkSnapshot *snapshot = gtk_snapshot_new ();

  GTK_WIDGET_GET_CLASS (widget)->snapshot (widget, snapshot);
  return gtk_snapshot_free_to_node (snapshot);
}

static void
render (GskRenderer   *renderer,
        GskRenderNode *node,
        int            width,
        int            height)
{
  g_autoptr(GdkTexture) texture = NULL;

  if (node == NULL)
    return;
  texture = gsk_renderer_render_texture (renderer, node, &GRAPHENE_RECT_INIT (0, 0, width, height));
}

/* One rectangle per visible bar, as a view with no labels would draw. */
static GskRenderNode *
plain_node (BqGantt *gantt,
            guint   *n_bars)
{
  BqGanttData *data = bq_gantt_get_data (gantt);
  const BqGanttView *view = bq_gantt_get_view (gantt);
  GtkSnapshot *snapshot = gtk_snapshot_new ();
  GdkRGBA color = { 0.2, 0.5, 0.9, 1 };
  gint64 t0 = view->origin, t1 = bq_gantt_view_get_end (view);
  guint first, end;
  int ox, oy;

  *n_bars = 0;
  bq_gantt_get_plot_origin (gantt, &ox, &oy);
  bq_gantt_data_rows_in (data, view->scroll_y, view->scroll_y + view->height, &first, &end);
  gtk_snapshot_translate (snapshot, &GRAPHENE_POINT_INIT (ox, oy));
  for (guint r = first; r < end; r++)
    {
      const BqGanttRow *row = bq_gantt_data_get_row (data, r);
      guint b0, b1;

      bq_gantt_row_bars_in (row, t0, t1, &b0, &b1);
      for (guint b = b0; b < b1; b++)
        {
          const BqGanttBar *bar = g_ptr_array_index (row->bars, b);
          double x, y, w, h;

          if (bar->dispatch < t0)
            continue;
          bq_gantt_view_bar_rect (view, bar, &x, &y, &w, &h);
          gtk_snapshot_append_color (snapshot, &color, &GRAPHENE_RECT_INIT (x, y, w, h));
          (*n_bars)++;
        }
    }
  return gtk_snapshot_free_to_node (snapshot);
}

static void
on_after_paint (GdkFrameClock *clock,
                gboolean      *painted)
{
  *painted = TRUE;
}

static void
wait_for_frame (GtkWidget *widget)
{
  gboolean painted = FALSE;
  GdkFrameClock *clock = gtk_widget_get_frame_clock (widget);
  gulong id = g_signal_connect (clock, "after-paint", G_CALLBACK (on_after_paint), &painted);
  gint64 deadline = g_get_monotonic_time () + 10 * G_USEC_PER_SEC;

  gtk_widget_queue_draw (widget);
  while (!painted && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_signal_handler_disconnect (clock, id);
}

typedef struct {
  GArray *snapshot;
  GArray *render;
} Timings;

static void
timings_init (Timings *t)
{
  t->snapshot = g_array_new (FALSE, FALSE, sizeof (double));
  t->render = g_array_new (FALSE, FALSE, sizeof (double));
}

static void
timings_clear (Timings *t)
{
  g_array_unref (t->snapshot);
  g_array_unref (t->render);
}

static void
frame (GtkWidget   *widget,
       GskRenderer *renderer,
       Timings     *t)
{
  double a = now_ms (), b, c;
  g_autoptr(GskRenderNode) node = snapshot_widget (widget);

  b = now_ms ();
  render (renderer, node, gtk_widget_get_width (widget), gtk_widget_get_height (widget));
  c = now_ms ();
  g_array_append_val (t->snapshot, (double) { b - a });
  g_array_append_val (t->render, (double) { c - b });
}

static void
print_row (const char *what,
           Timings    *t)
{
  g_print ("  %-26s snapshot %7.2f / %7.2f   render %7.2f / %7.2f   (median / p90 ms)\n", what,
           percentile (t->snapshot, 0.5), percentile (t->snapshot, 0.9),
           percentile (t->render, 0.5), percentile (t->render, 0.9));
}

static void
bench (guint n_runs,
       guint n_frames)
{
  g_autoptr(BqStore) store = make_store (n_runs);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqGanttData) data = NULL;
  GtkWidget *window = gtk_window_new ();
  GtkWidget *gantt = bq_gantt_new ();
  GskRenderer *renderer;
  Timings build, pan, zoom, plain;
  double t, load_ms;
  guint builds, visible = 0;

  t = now_ms ();
  data = bq_gantt_data_load (store, &error);
  load_ms = now_ms () - t;
  if (data == NULL)
    die ("load", error);

  gtk_window_set_default_size (GTK_WINDOW (window), 1600, 900);
  gtk_window_set_child (GTK_WINDOW (window), gantt);
  bq_gantt_set_now (BQ_GANTT (gantt), T0 + 3 * 86400 + 10 * 3600);
  bq_gantt_set_data (BQ_GANTT (gantt), data);
  bq_gantt_set_time_range (BQ_GANTT (gantt), T0, T0 + 7 * 86400);
  gtk_window_present (GTK_WINDOW (window));
  wait_for_frame (gantt);
  wait_for_frame (gantt);
  renderer = gtk_native_get_renderer (GTK_NATIVE (window));

  timings_init (&build);
  timings_init (&pan);
  timings_init (&zoom);
  timings_init (&plain);

  for (guint i = 0; i < MAX (n_frames / 4, 5); i++)
    {
      bq_gantt_invalidate (BQ_GANTT (gantt));
      frame (gantt, renderer, &build);
    }

  builds = bq_gantt_get_n_static_builds (BQ_GANTT (gantt));
  bq_gantt_set_time_range (BQ_GANTT (gantt), T0, T0 + 7 * 86400);
  for (guint i = 0; i < n_frames; i++)
    {
      bq_gantt_pan (BQ_GANTT (gantt), 40, i % 20 < 10 ? 12 : -12);
      frame (gantt, renderer, &pan);
    }
  builds = bq_gantt_get_n_static_builds (BQ_GANTT (gantt)) - builds;

  bq_gantt_set_time_range (BQ_GANTT (gantt), T0, T0 + 7 * 86400);
  for (guint i = 0; i < n_frames; i++)
    {
      bq_gantt_zoom (BQ_GANTT (gantt), i % 2 ? 1 / 1.1 : 1.1);
      frame (gantt, renderer, &zoom);
    }

  bq_gantt_set_time_range (BQ_GANTT (gantt), T0, T0 + 7 * 86400);
  for (guint i = 0; i < n_frames; i++)
    {
      double a, b, c;
      g_autoptr(GskRenderNode) node = NULL;

      a = now_ms ();
      node = plain_node (BQ_GANTT (gantt), &visible);
      b = now_ms ();
      render (renderer, node, gtk_widget_get_width (gantt), gtk_widget_get_height (gantt));
      c = now_ms ();
      g_array_append_val (plain.snapshot, (double) { b - a });
      g_array_append_val (plain.render, (double) { c - b });
    }

  g_print ("%u runs (%u visible bars, %s)\n", n_runs, visible, G_OBJECT_TYPE_NAME (renderer));
  g_print ("  %-26s %7.2f ms\n", "load from store", load_ms);
  print_row ("static layer (rebuild)", &build);
  {
    g_autofree char *label = g_strdup_printf ("pan 40 px (%u rebuilds)", builds);

    print_row (label, &pan);
  }
  print_row ("zoom ×1.1 (all rebuild)", &zoom);
  print_row ("plain rectangles", &plain);
  g_print ("  ratio to plain (snapshot + render, median): pan %.2f, zoom %.2f\n",
           (percentile (pan.snapshot, 0.5) + percentile (pan.render, 0.5)) /
           (percentile (plain.snapshot, 0.5) + percentile (plain.render, 0.5)),
           (percentile (zoom.snapshot, 0.5) + percentile (zoom.render, 0.5)) /
           (percentile (plain.snapshot, 0.5) + percentile (plain.render, 0.5)));

  timings_clear (&build);
  timings_clear (&pan);
  timings_clear (&zoom);
  timings_clear (&plain);
  gtk_window_destroy (GTK_WINDOW (window));
}

int
main (int   argc,
      char *argv[])
{
  g_autoptr(GArray) sizes = g_array_new (FALSE, FALSE, sizeof (guint));
  guint frames = 60;

  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_setenv ("GSETTINGS_BACKEND", "memory", TRUE);
  for (int i = 1; i < argc; i++)
    {
      if (strcmp (argv[i], "--frames") == 0 && i + 1 < argc)
        {
          int value = atoi (argv[++i]);

          frames = (guint) MAX (value, 4);
        }
      else
        {
          guint n = (guint) atoi (argv[i]);

          if (n > 0)
            g_array_append_val (sizes, n);
        }
    }
  if (sizes->len == 0)
    {
      guint defaults[] = { 1000, 10000, 100000 };

      g_array_append_vals (sizes, defaults, G_N_ELEMENTS (defaults));
    }

  adw_init ();
  for (guint i = 0; i < sizes->len; i++)
    bench (g_array_index (sizes, guint, i), frames);
  return 0;
}
