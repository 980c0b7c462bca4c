/* test-gantt.c — the Gantt's rows, bars and geometry, without a display
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-demo.h"
#include "bq-gantt-model.h"

#define T0 G_GINT64_CONSTANT (1794182400)   /* Monday 2026-11-09 00:00 UTC */
#define HOUR 3600
#define DAY 86400

static void
put (BqStore  *store,
     gpointer  entity)
{
  g_autoptr(GError) error = NULL;

  g_assert_true (bq_store_put (store, entity, &error));
  g_assert_no_error (error);
  bq_entity_free (entity);
}

static void
add_site (BqStore    *store,
          const char *id,
          const char *name,
          const char *organisation)
{
  BqSite *site = bq_site_new ();

  bq_entity_set_id (site, id);
  site->name = g_strdup (name);
  site->organisation = g_strdup (organisation);
  site->city = g_strdup ("City");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  put (store, site);
}

static void
add_line (BqStore    *store,
          const char *id,
          const char *site_id,
          const char *name)
{
  BqLine *line = bq_line_new ();

  bq_entity_set_id (line, id);
  line->site_id = g_strdup (site_id);
  line->name = g_strdup (name);
  line->working_weekdays = 0x1f;
  line->shift_start_local = 6 * 60;
  line->shift_end_local = 22 * 60;
  put (store, line);
}

static void
add_run (BqStore    *store,
         const char *id,
         const char *line_id,
         gint64      start,
         gint64      synthesis_s)
{
  BqRun *run = bq_run_new ();

  bq_entity_set_id (run, id);
  run->line_id = g_strdup (line_id);
  run->product_id = g_strdup ("lu");
  run->batch = g_strdup (id);
  run->start_time = start;
  run->eos_time = start + synthesis_s;
  run->calibration_time = start + DAY;
  run->activity_eos_bq = 50e9;
  run->dose_capacity = 5;
  run->status = BQ_RUN_PLANNED;
  put (store, run);
}

/* Two organisations, three sites' worth of rows: B-org's site sorts
 * after A-org's although its name comes first. */
static BqStore *
small_store (void)
{
  g_autoptr(GError) error = NULL;
  BqStore *store = bq_store_open (":memory:", &error);
  BqProduct *product = bq_product_new ();

  g_assert_no_error (error);
  add_site (store, "s-z", "Zwolle", "A Pharma");
  add_site (store, "s-a", "Amsterdam", "B Isotopes");
  add_line (store, "l-2", "s-z", "Line 2");
  add_line (store, "l-1", "s-z", "Line 1");
  add_line (store, "l-3", "s-a", "Hot cell");

  bq_entity_set_id (product, "lu");
  product->name = g_strdup ("Lu-177 PSMA");
  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->tolerance = 0.1;
  product->concentration_bq_per_ml = 1e9;
  product->shelf_life_s = 5 * DAY;
  product->synthesis_duration_s = 2 * HOUR;
  product->qc_duration_s = 3 * HOUR;
  put (store, product);

  /* Out of order on purpose; one long run to exercise max_span. */
  add_run (store, "r-c", "l-1", T0 + 3 * DAY, 2 * HOUR);
  add_run (store, "r-a", "l-1", T0 + 1 * DAY, 2 * HOUR);
  add_run (store, "r-long", "l-1", T0 + 2 * DAY, 20 * HOUR);
  add_run (store, "r-b", "l-2", T0 + 1 * DAY + 6 * HOUR, 2 * HOUR);
  add_run (store, "r-d", "l-3", T0 + 4 * DAY, 2 * HOUR);
  return store;
}

static void
test_rows (void)
{
  g_autoptr(BqStore) store = small_store ();
  g_autoptr(GError) error = NULL;
  g_autoptr(BqGanttData) data = bq_gantt_data_load (store, &error);
  const BqGanttRow *row;
  int y = 0;

  g_assert_no_error (error);
  g_assert_cmpuint (bq_gantt_data_get_n_rows (data), ==, 5);

  /* Organisation first, then site, then line name. */
  row = bq_gantt_data_get_row (data, 0);
  g_assert_cmpint (row->kind, ==, BQ_GANTT_ROW_GROUP);
  g_assert_cmpstr (row->label, ==, "A Pharma · Zwolle");
  g_assert_cmpstr (bq_gantt_data_get_row (data, 1)->line->base.id, ==, "l-1");
  g_assert_cmpstr (bq_gantt_data_get_row (data, 2)->line->base.id, ==, "l-2");
  g_assert_cmpint (bq_gantt_data_get_row (data, 3)->kind, ==, BQ_GANTT_ROW_GROUP);
  g_assert_cmpstr (bq_gantt_data_get_row (data, 3)->label, ==, "B Isotopes · Amsterdam");
  g_assert_cmpstr (bq_gantt_data_get_row (data, 4)->line->base.id, ==, "l-3");

  for (guint i = 0; i < bq_gantt_data_get_n_rows (data); i++)
    {
      row = bq_gantt_data_get_row (data, i);
      g_assert_cmpint (row->y, ==, y);
      g_assert_cmpuint (row->index, ==, i);
      y += row->height;
    }
  g_assert_cmpint (bq_gantt_data_get_height (data), ==, y);
  g_assert_true (bq_gantt_data_lookup_line (data, "l-3") == bq_gantt_data_get_row (data, 4));
}

static void
test_bars (void)
{
  g_autoptr(BqStore) store = small_store ();
  g_autoptr(BqGanttData) data = bq_gantt_data_load (store, NULL);
  const BqGanttRow *row = bq_gantt_data_lookup_line (data, "l-1");
  const BqGanttBar *bar;
  gint64 first, last;

  g_assert_cmpuint (bq_gantt_data_get_n_bars (data), ==, 5);
  g_assert_cmpuint (row->bars->len, ==, 3);
  /* Sorted by start, whatever order they were stored in. */
  g_assert_cmpstr (((BqGanttBar *) g_ptr_array_index (row->bars, 0))->run->base.id, ==, "r-a");
  g_assert_cmpstr (((BqGanttBar *) g_ptr_array_index (row->bars, 1))->run->base.id, ==, "r-long");
  g_assert_cmpstr (((BqGanttBar *) g_ptr_array_index (row->bars, 2))->run->base.id, ==, "r-c");
  for (guint i = 0; i < row->bars->len; i++)
    g_assert_cmpuint (((BqGanttBar *) g_ptr_array_index (row->bars, i))->index_in_row, ==, i);

  /* Phases: synthesis, QC (3 h), packing, dispatch. */
  bar = bq_gantt_data_lookup_bar (data, "r-a");
  g_assert_cmpint (bar->start, ==, T0 + DAY);
  g_assert_cmpint (bar->eos, ==, T0 + DAY + 2 * HOUR);
  g_assert_cmpint (bar->qc_end, ==, bar->eos + 3 * HOUR);
  g_assert_cmpint (bar->dispatch, ==, bar->qc_end + BQ_GANTT_PACKING_S);
  g_assert_true (bar->row == row);
  g_assert_nonnull (bar->product);
  g_assert_cmpint (row->max_span, ==, 20 * HOUR + 3 * HOUR + BQ_GANTT_PACKING_S);

  bq_gantt_data_get_span (data, &first, &last);
  g_assert_cmpint (first, ==, T0 + DAY);
  g_assert_cmpint (last, ==, T0 + 4 * DAY + 5 * HOUR + BQ_GANTT_PACKING_S);
}

/* The binary searches agree with a scan of everything, on the demo. */
static void
test_visible_range (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = bq_store_open (":memory:", &error);
  g_autoptr(BqGanttData) data = NULL;
  BqDemoOptions options;
  g_autoptr(GRand) rand = g_rand_new_with_seed (7);
  gint64 first, last;

  bq_demo_options_init_default (&options);
  options.start = T0;
  g_assert_true (bq_demo_generate (store, &options, &error));
  g_assert_no_error (error);
  data = bq_gantt_data_load (store, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bq_gantt_data_get_n_bars (data), ==, bq_store_count (store, &bq_run_type, NULL));
  g_assert_cmpuint (bq_gantt_data_get_n_rows (data), >, 2);
  bq_gantt_data_get_span (data, &first, &last);

  for (guint round = 0; round < 500; round++)
    {
      gint64 t0 = g_rand_int_range (rand, 0, (gint32) (last - first)) + first - DAY;
      gint64 t1 = t0 + g_rand_int_range (rand, HOUR, 14 * DAY);
      double y0 = g_rand_double_range (rand, -50, bq_gantt_data_get_height (data));
      double y1 = y0 + g_rand_double_range (rand, 1, 400);
      guint r0, r1;

      bq_gantt_data_rows_in (data, y0, y1, &r0, &r1);
      for (guint r = 0; r < bq_gantt_data_get_n_rows (data); r++)
        {
          const BqGanttRow *row = bq_gantt_data_get_row (data, r);
          gboolean visible = row->y < y1 && row->y + row->height > y0;
          guint b0, b1;

          g_assert_cmpint (visible, ==, r >= r0 && r < r1);

          bq_gantt_row_bars_in (row, t0, t1, &b0, &b1);
          for (guint b = 0; b < row->bars->len; b++)
            {
              const BqGanttBar *bar = g_ptr_array_index (row->bars, b);
              gboolean overlaps = bar->start < t1 && bar->dispatch > t0;

              if (overlaps)
                g_assert_true (b >= b0 && b < b1);
              if (b >= b0 && b < b1)
                g_assert_cmpint (bar->start, <, t1);
            }
        }
    }
}

static void
test_hit_test (void)
{
  g_autoptr(BqStore) store = small_store ();
  g_autoptr(BqGanttData) data = bq_gantt_data_load (store, NULL);
  BqGanttView view = { T0, 600, 0, 1200, 400 };
  const BqGanttBar *bar = bq_gantt_data_lookup_bar (data, "r-a");
  const BqGanttRow *group = bq_gantt_data_get_row (data, 0);
  double x, y, w, h;

  /* Middle of a bar, its edges, and just beside it. */
  bq_gantt_view_bar_rect (&view, bar, &x, &y, &w, &h);
  g_assert_cmpfloat (w, >, 10);
  g_assert_true (bq_gantt_view_hit_test (&view, data, x + w / 2, y + h / 2) == bar);
  g_assert_true (bq_gantt_view_hit_test (&view, data, x + 0.5, y + 1) == bar);
  g_assert_true (bq_gantt_view_hit_test (&view, data, x - 2, y + 1) == bar);   /* slop */
  g_assert_null (bq_gantt_view_hit_test (&view, data, x - 20, y + h / 2));
  /* Between bars vertically (the inset) and on a group row. */
  g_assert_null (bq_gantt_view_hit_test (&view, data, x + w / 2, y - 2));
  g_assert_null (bq_gantt_view_hit_test (&view, data, x + w / 2, group->y + 5));
  /* Outside the plot. */
  g_assert_null (bq_gantt_view_hit_test (&view, data, -1, y + 1));
  g_assert_null (bq_gantt_view_hit_test (&view, data, 5000, y + 1));

  /* Scrolled: the same bar, lower in content. */
  view.scroll_y = 20;
  bq_gantt_view_bar_rect (&view, bar, &x, &y, &w, &h);
  g_assert_true (bq_gantt_view_hit_test (&view, data, x + 1, y + 1) == bar);

  /* Zoomed far out, a bar narrower than a pixel can still be picked. */
  view.seconds_per_px = BQ_GANTT_MAX_SECONDS_PER_PX;
  view.scroll_y = 0;
  bar = bq_gantt_data_lookup_bar (data, "r-d");
  bq_gantt_view_bar_rect (&view, bar, &x, &y, &w, &h);
  g_assert_true (bq_gantt_view_hit_test (&view, data, x + 1, y + 1) == bar);
}

static void
test_view_zoom (void)
{
  BqGanttView view = { T0, 600, 0, 1000, 400 };
  gint64 anchor = bq_gantt_view_x_to_time (&view, 250);

  g_assert_cmpint (bq_gantt_view_x_to_time (&view, 0), ==, T0);
  g_assert_cmpfloat_with_epsilon (bq_gantt_view_time_to_x (&view, T0 + 6000), 10, 1e-9);
  g_assert_cmpint (bq_gantt_view_get_end (&view), ==, T0 + 600000);

  /* The time under the pointer stays under it. */
  bq_gantt_view_zoom (&view, 2, 250);
  g_assert_cmpfloat (view.seconds_per_px, ==, 300);
  g_assert_cmpint (ABS (bq_gantt_view_x_to_time (&view, 250) - anchor), <=, 1);

  bq_gantt_view_zoom (&view, 1e6, 250);
  g_assert_cmpfloat (view.seconds_per_px, ==, BQ_GANTT_MIN_SECONDS_PER_PX);
  bq_gantt_view_zoom (&view, 1e-9, 250);
  g_assert_cmpfloat (view.seconds_per_px, ==, BQ_GANTT_MAX_SECONDS_PER_PX);
  g_assert_cmpint (ABS (bq_gantt_view_x_to_time (&view, 250) - anchor), <=, 1);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/gantt/model/rows-grouped-by-site", test_rows);
  g_test_add_func ("/gantt/model/bars-sorted-with-phases", test_bars);
  g_test_add_func ("/gantt/model/visible-range-matches-scan", test_visible_range);
  g_test_add_func ("/gantt/view/hit-test", test_hit_test);
  g_test_add_func ("/gantt/view/zoom-keeps-anchor", test_view_zoom);

  return g_test_run ();
}
