/* bq-gantt-model.c — rows and bars of the production Gantt, without GTK
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n.h>

#include "bq-gantt-model.h"

struct _BqGanttData
{
  gatomicrefcount  ref_count;
  GPtrArray       *sites;
  GPtrArray       *lines;
  GPtrArray       *products;
  GPtrArray       *runs;
  GPtrArray       *maintenance;
  GPtrArray       *qc_results;
  GPtrArray       *rows;        /* BqGanttRow */
  GPtrArray       *bars;        /* BqGanttBar, by row then start */
  GHashTable      *bars_by_run;
  GHashTable      *rows_by_line;
  GHashTable      *products_by_id;
  int              height;
  gint64           first;
  gint64           last;
};

G_DEFINE_BOXED_TYPE (BqGanttData, bq_gantt_data, bq_gantt_data_ref, bq_gantt_data_unref)

static void
row_free (gpointer data)
{
  BqGanttRow *row = data;

  g_free (row->label);
  g_free (row->sublabel);
  g_clear_pointer (&row->zone, g_time_zone_unref);
  g_clear_pointer (&row->bars, g_ptr_array_unref);
  g_clear_pointer (&row->maintenance, g_ptr_array_unref);
  g_free (row);
}

static void
bar_free (gpointer data)
{
  BqGanttBar *bar = data;

  g_clear_pointer (&bar->qc_results, g_ptr_array_unref);
  g_free (bar);
}

BqGanttData *
bq_gantt_data_ref (BqGanttData *self)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_atomic_ref_count_inc (&self->ref_count);
  return self;
}

void
bq_gantt_data_unref (BqGanttData *self)
{
  g_return_if_fail (self != NULL);

  if (!g_atomic_ref_count_dec (&self->ref_count))
    return;
  g_clear_pointer (&self->bars_by_run, g_hash_table_unref);
  g_clear_pointer (&self->rows_by_line, g_hash_table_unref);
  g_clear_pointer (&self->products_by_id, g_hash_table_unref);
  g_clear_pointer (&self->bars, g_ptr_array_unref);
  g_clear_pointer (&self->rows, g_ptr_array_unref);
  g_clear_pointer (&self->qc_results, g_ptr_array_unref);
  g_clear_pointer (&self->maintenance, g_ptr_array_unref);
  g_clear_pointer (&self->runs, g_ptr_array_unref);
  g_clear_pointer (&self->products, g_ptr_array_unref);
  g_clear_pointer (&self->lines, g_ptr_array_unref);
  g_clear_pointer (&self->sites, g_ptr_array_unref);
  g_free (self);
}

/* ------------------------------------------------------------------ load */

static int
compare_sites (gconstpointer a,
               gconstpointer b)
{
  const BqSite *sa = *(const BqSite * const *) a;
  const BqSite *sb = *(const BqSite * const *) b;
  int cmp = g_strcmp0 (sa->organisation, sb->organisation);

  if (cmp == 0)
    cmp = g_strcmp0 (sa->name, sb->name);
  if (cmp == 0)
    cmp = g_strcmp0 (sa->base.id, sb->base.id);
  return cmp;
}

static int
compare_lines (gconstpointer a,
               gconstpointer b)
{
  const BqLine *la = *(const BqLine * const *) a;
  const BqLine *lb = *(const BqLine * const *) b;
  int cmp = g_strcmp0 (la->name, lb->name);

  return cmp != 0 ? cmp : g_strcmp0 (la->base.id, lb->base.id);
}

static int
compare_bars (gconstpointer a,
              gconstpointer b)
{
  const BqGanttBar *ba = *(const BqGanttBar * const *) a;
  const BqGanttBar *bb = *(const BqGanttBar * const *) b;

  if (ba->start != bb->start)
    return ba->start < bb->start ? -1 : 1;
  return g_strcmp0 (ba->run->base.id, bb->run->base.id);
}

static int
compare_blocks (gconstpointer a,
                gconstpointer b)
{
  const BqMaintenanceBlock *ba = *(const BqMaintenanceBlock * const *) a;
  const BqMaintenanceBlock *bb = *(const BqMaintenanceBlock * const *) b;

  if (ba->start_time != bb->start_time)
    return ba->start_time < bb->start_time ? -1 : 1;
  return 0;
}

static int
compare_qc (gconstpointer a,
            gconstpointer b)
{
  const BqQcResult *qa = *(const BqQcResult * const *) a;
  const BqQcResult *qb = *(const BqQcResult * const *) b;

  return g_strcmp0 (qa->test, qb->test);
}

static GHashTable *
index_by_id (GPtrArray *entities)
{
  GHashTable *index = g_hash_table_new (g_str_hash, g_str_equal);

  for (guint i = 0; i < entities->len; i++)
    {
      gpointer entity = g_ptr_array_index (entities, i);

      g_hash_table_replace (index, (gpointer) bq_entity_get_id (entity), entity);
    }
  return index;
}

static GPtrArray *
borrow (GPtrArray *entities)
{
  GPtrArray *copy = g_ptr_array_sized_new (entities->len);

  for (guint i = 0; i < entities->len; i++)
    g_ptr_array_add (copy, g_ptr_array_index (entities, i));
  return copy;
}

static char *
format_minutes (gint64 minutes)
{
  return g_strdup_printf ("%02d:%02d", (int) (minutes / 60) % 24, (int) (minutes % 60));
}

static char *
line_sublabel (const BqLine *line)
{
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;

  if (line->shift_start_local == 0 && line->shift_end_local == 0)
    return g_strdup (_("Around the clock"));
  from = format_minutes (line->shift_start_local);
  to = format_minutes (line->shift_end_local == 0 ? 24 * 60 : line->shift_end_local);
  if (line->shift_end_local == 0)
    {
      g_free (to);
      to = g_strdup ("24:00");
    }
  /* Translators: a line's shift in site time, "06:00–18:00". */
  return g_strdup_printf (_("Shift %s–%s"), from, to);
}

static BqGanttData *
build (GPtrArray *sites,
       GPtrArray *lines,
       GPtrArray *products,
       GPtrArray *runs,
       GPtrArray *maintenance,
       GPtrArray *orders,
       GPtrArray *qc_results)
{
  BqGanttData *self = g_new0 (BqGanttData, 1);
  g_autoptr(GHashTable) sites_by_id = NULL;
  g_autoptr(GHashTable) booked = g_hash_table_new (g_str_hash, g_str_equal);
  g_autoptr(GHashTable) qc_by_run = g_hash_table_new_full (g_str_hash, g_str_equal, NULL,
                                                           (GDestroyNotify) g_ptr_array_unref);
  g_autoptr(GPtrArray) sorted_sites = NULL;
  g_autoptr(GPtrArray) sorted_lines = NULL;
  int y = 0;

  g_atomic_ref_count_init (&self->ref_count);
  self->sites = sites;
  self->lines = lines;
  self->products = products;
  self->runs = runs;
  self->maintenance = maintenance;
  self->qc_results = qc_results;
  self->rows = g_ptr_array_new_with_free_func (row_free);
  self->bars = g_ptr_array_new_with_free_func (bar_free);
  self->bars_by_run = g_hash_table_new (g_str_hash, g_str_equal);
  self->rows_by_line = g_hash_table_new (g_str_hash, g_str_equal);
  self->products_by_id = index_by_id (products);
  sites_by_id = index_by_id (sites);

  /* Doses booked per run: orders only (their ids are owned by @orders,
   * which goes away, so the count is what stays). */
  for (guint i = 0; i < orders->len; i++)
    {
      const BqOrder *order = g_ptr_array_index (orders, i);
      int n;

      if (order->run_id == NULL || order->status == BQ_ORDER_CANCELLED)
        continue;
      n = GPOINTER_TO_INT (g_hash_table_lookup (booked, order->run_id));
      g_hash_table_insert (booked, order->run_id, GINT_TO_POINTER (n + 1));
    }
  for (guint i = 0; i < qc_results->len; i++)
    {
      BqQcResult *qc = g_ptr_array_index (qc_results, i);
      GPtrArray *list = g_hash_table_lookup (qc_by_run, qc->run_id);

      if (list == NULL)
        {
          list = g_ptr_array_new ();
          g_hash_table_insert (qc_by_run, qc->run_id, list);
        }
      g_ptr_array_add (list, qc);
    }

  /* Not g_ptr_array_copy(): the copy would free the entities too. */
  sorted_sites = borrow (sites);
  g_ptr_array_sort (sorted_sites, compare_sites);
  sorted_lines = borrow (lines);
  g_ptr_array_sort (sorted_lines, compare_lines);

  for (guint s = 0; s < sorted_sites->len; s++)
    {
      const BqSite *site = g_ptr_array_index (sorted_sites, s);
      BqGanttRow *group = NULL;

      for (guint l = 0; l < sorted_lines->len; l++)
        {
          const BqLine *line = g_ptr_array_index (sorted_lines, l);
          BqGanttRow *row;

          if (g_strcmp0 (line->site_id, site->base.id) != 0)
            continue;
          if (group == NULL)
            {
              group = g_new0 (BqGanttRow, 1);
              group->kind = BQ_GANTT_ROW_GROUP;
              group->index = self->rows->len;
              group->site = site;
              group->zone = g_time_zone_new_identifier (site->timezone ? site->timezone : "UTC");
              if (group->zone == NULL)
                group->zone = g_time_zone_new_utc ();
              if (site->organisation != NULL && *site->organisation != '\0')
                group->label = g_strdup_printf ("%s · %s", site->organisation, site->name);
              else
                group->label = g_strdup (site->name);
              group->sublabel = g_strdup_printf ("%s%s%s", site->city ? site->city : "",
                                                 site->city ? ", " : "",
                                                 g_time_zone_get_identifier (group->zone));
              group->y = y;
              group->height = BQ_GANTT_GROUP_HEIGHT;
              group->bars = g_ptr_array_new ();
              group->maintenance = g_ptr_array_new ();
              y += group->height;
              g_ptr_array_add (self->rows, group);
            }
          row = g_new0 (BqGanttRow, 1);
          row->kind = BQ_GANTT_ROW_LINE;
          row->index = self->rows->len;
          row->site = site;
          row->line = line;
          row->zone = g_time_zone_ref (group->zone);
          row->label = g_strdup (line->name);
          row->sublabel = line_sublabel (line);
          row->y = y;
          row->height = BQ_GANTT_LINE_HEIGHT;
          row->bars = g_ptr_array_new ();
          row->maintenance = g_ptr_array_new ();
          y += row->height;
          g_ptr_array_add (self->rows, row);
          g_hash_table_insert (self->rows_by_line, line->base.id, row);
        }
    }
  self->height = y;

  for (guint i = 0; i < maintenance->len; i++)
    {
      BqMaintenanceBlock *block = g_ptr_array_index (maintenance, i);
      BqGanttRow *row = g_hash_table_lookup (self->rows_by_line, block->line_id);

      if (row != NULL)
        g_ptr_array_add (row->maintenance, block);
    }

  {
    for (guint i = 0; i < runs->len; i++)
      {
        const BqRun *run = g_ptr_array_index (runs, i);
        BqGanttRow *row = g_hash_table_lookup (self->rows_by_line, run->line_id);
        BqGanttBar *bar;
        gint64 qc_s;
        GPtrArray *qc;

        if (row == NULL)
          continue;
        bar = g_new0 (BqGanttBar, 1);
        bar->run = run;
        bar->row = row;
        bar->product = g_hash_table_lookup (self->products_by_id, run->product_id);
        bar->start = run->start_time;
        bar->eos = MAX (run->eos_time, run->start_time);
        qc_s = bar->product != NULL ? bar->product->qc_duration_s : 0;
        bar->qc_end = bar->eos + MAX (qc_s, 0);
        bar->dispatch = bar->qc_end + BQ_GANTT_PACKING_S;
        bar->doses_booked = GPOINTER_TO_INT (g_hash_table_lookup (booked, run->base.id));
        qc = g_hash_table_lookup (qc_by_run, run->base.id);
        bar->qc_results = qc != NULL ? g_ptr_array_ref (qc) : g_ptr_array_new ();
        g_ptr_array_sort (bar->qc_results, compare_qc);
        g_ptr_array_add (row->bars, bar);
      }

    self->first = G_MAXINT64;
    self->last = G_MININT64;
    for (guint r = 0; r < self->rows->len; r++)
      {
        BqGanttRow *row = g_ptr_array_index (self->rows, r);

        g_ptr_array_sort (row->bars, compare_bars);
        g_ptr_array_sort (row->maintenance, compare_blocks);
        for (guint b = 0; b < row->bars->len; b++)
          {
            BqGanttBar *bar = g_ptr_array_index (row->bars, b);

            bar->index_in_row = b;
            bar->index = self->bars->len;
            g_ptr_array_add (self->bars, bar);
            g_hash_table_insert (self->bars_by_run, bar->run->base.id, bar);
            row->max_span = MAX (row->max_span, bar->dispatch - bar->start);
            self->first = MIN (self->first, bar->start);
            self->last = MAX (self->last, bar->dispatch);
          }
      }
    if (self->bars->len == 0)
      self->first = self->last = 0;
  }

  g_ptr_array_unref (orders);
  return self;
}

BqGanttData *
bq_gantt_data_load (BqStore  *store,
                    GError  **error)
{
  g_autoptr(GPtrArray) sites = NULL;
  g_autoptr(GPtrArray) lines = NULL;
  g_autoptr(GPtrArray) products = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) maintenance = NULL;
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GPtrArray) qc = NULL;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);

  if (!(sites = bq_store_list (store, &bq_site_type, error)) ||
      !(lines = bq_store_list (store, &bq_line_type, error)) ||
      !(products = bq_store_list (store, &bq_product_type, error)) ||
      !(runs = bq_store_list (store, &bq_run_type, error)) ||
      !(maintenance = bq_store_list (store, &bq_maintenance_block_type, error)) ||
      !(orders = bq_store_list (store, &bq_order_type, error)) ||
      !(qc = bq_store_list (store, &bq_qc_result_type, error)))
    return NULL;

  return build (g_steal_pointer (&sites), g_steal_pointer (&lines),
                g_steal_pointer (&products), g_steal_pointer (&runs),
                g_steal_pointer (&maintenance), g_steal_pointer (&orders),
                g_steal_pointer (&qc));
}

/* ------------------------------------------------------------- accessors */

guint
bq_gantt_data_get_n_rows (const BqGanttData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->rows->len;
}

const BqGanttRow *
bq_gantt_data_get_row (const BqGanttData *self,
                       guint              index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->rows->len, NULL);
  return g_ptr_array_index (self->rows, index);
}

guint
bq_gantt_data_get_n_bars (const BqGanttData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->bars->len;
}

const BqGanttBar *
bq_gantt_data_get_bar (const BqGanttData *self,
                       guint              index)
{
  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (index < self->bars->len, NULL);
  return g_ptr_array_index (self->bars, index);
}

const BqGanttBar *
bq_gantt_data_lookup_bar (const BqGanttData *self,
                          const char        *run_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return run_id != NULL ? g_hash_table_lookup (self->bars_by_run, run_id) : NULL;
}

const BqGanttRow *
bq_gantt_data_lookup_line (const BqGanttData *self,
                           const char        *line_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return line_id != NULL ? g_hash_table_lookup (self->rows_by_line, line_id) : NULL;
}

const BqProduct *
bq_gantt_data_lookup_product (const BqGanttData *self,
                              const char        *product_id)
{
  g_return_val_if_fail (self != NULL, NULL);
  return product_id != NULL ? g_hash_table_lookup (self->products_by_id, product_id) : NULL;
}

int
bq_gantt_data_get_height (const BqGanttData *self)
{
  g_return_val_if_fail (self != NULL, 0);
  return self->height;
}

void
bq_gantt_data_get_span (const BqGanttData *self,
                        gint64            *first,
                        gint64            *last)
{
  g_return_if_fail (self != NULL);
  if (first != NULL)
    *first = self->first;
  if (last != NULL)
    *last = self->last;
}

/* --------------------------------------------------------------- search */

void
bq_gantt_data_rows_in (const BqGanttData *self,
                       double             y0,
                       double             y1,
                       guint             *first,
                       guint             *end)
{
  guint lo = 0, hi;

  g_return_if_fail (self != NULL);

  /* First row whose bottom is below y0. */
  hi = self->rows->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const BqGanttRow *row = g_ptr_array_index (self->rows, mid);

      if (row->y + row->height <= y0)
        lo = mid + 1;
      else
        hi = mid;
    }
  *first = lo;
  /* First row whose top is at or below y1. */
  hi = self->rows->len;
  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const BqGanttRow *row = g_ptr_array_index (self->rows, mid);

      if (row->y < y1)
        lo = mid + 1;
      else
        hi = mid;
    }
  *end = lo;
}

const BqGanttRow *
bq_gantt_data_row_at (const BqGanttData *self,
                      double             y)
{
  guint first, end;

  g_return_val_if_fail (self != NULL, NULL);

  if (y < 0)
    return NULL;
  bq_gantt_data_rows_in (self, y, y + 0.5, &first, &end);
  return first < end ? g_ptr_array_index (self->rows, first) : NULL;
}

static guint
lower_bound (GPtrArray *bars,
             gint64     t)
{
  guint lo = 0, hi = bars->len;

  while (lo < hi)
    {
      guint mid = lo + (hi - lo) / 2;
      const BqGanttBar *bar = g_ptr_array_index (bars, mid);

      if (bar->start < t)
        lo = mid + 1;
      else
        hi = mid;
    }
  return lo;
}

void
bq_gantt_row_bars_in (const BqGanttRow *row,
                      gint64            t0,
                      gint64            t1,
                      guint            *first,
                      guint            *end)
{
  g_return_if_fail (row != NULL);

  *first = lower_bound (row->bars, t0 - row->max_span);
  *end = MAX (*first, lower_bound (row->bars, t1));
}

/* ---------------------------------------------------------------- status */

const char *
bq_gantt_run_status_label (BqRunStatus status)
{
  switch (status)
    {
    case BQ_RUN_PLANNED:
      return C_("run status", "Planned");
    case BQ_RUN_SYNTHESIS:
      return C_("run status", "In synthesis");
    case BQ_RUN_QC:
      return C_("run status", "In QC");
    case BQ_RUN_RELEASED:
      return C_("run status", "Released");
    case BQ_RUN_FAILED:
      return C_("run status", "Failed");
    case BQ_RUN_SHIPPED:
      return C_("run status", "Shipped");
    case BQ_RUN_CANCELLED:
      return C_("run status", "Cancelled");
    default:
      return C_("run status", "Unknown");
    }
}

const char *
bq_gantt_run_status_nick (BqRunStatus status)
{
  static const char * const nicks[] = {
    "planned", "synthesis", "qc", "released", "failed", "shipped", "cancelled",
  };

  return (guint) status < G_N_ELEMENTS (nicks) ? nicks[status] : "unknown";
}

/* ------------------------------------------------------------------ view */

double
bq_gantt_view_time_to_x (const BqGanttView *view,
                         gint64             t)
{
  return (double) (t - view->origin) / view->seconds_per_px;
}

gint64
bq_gantt_view_x_to_time (const BqGanttView *view,
                         double             x)
{
  return view->origin + (gint64) floor (x * view->seconds_per_px + 0.5);
}

gint64
bq_gantt_view_get_end (const BqGanttView *view)
{
  return bq_gantt_view_x_to_time (view, view->width);
}

void
bq_gantt_view_zoom (BqGanttView *view,
                    double       factor,
                    double       anchor_x)
{
  gint64 anchor;
  double spp;

  g_return_if_fail (factor > 0);

  anchor = bq_gantt_view_x_to_time (view, anchor_x);
  spp = CLAMP (view->seconds_per_px / factor, BQ_GANTT_MIN_SECONDS_PER_PX,
               BQ_GANTT_MAX_SECONDS_PER_PX);
  view->seconds_per_px = spp;
  view->origin = anchor - (gint64) floor (anchor_x * spp + 0.5);
}

void
bq_gantt_view_bar_rect (const BqGanttView *view,
                        const BqGanttBar  *bar,
                        double            *x,
                        double            *y,
                        double            *width,
                        double            *height)
{
  double x0 = bq_gantt_view_time_to_x (view, bar->start);
  double x1 = bq_gantt_view_time_to_x (view, bar->dispatch);

  *x = x0;
  *width = MAX (x1 - x0, 1.0);
  *y = bar->row->y - view->scroll_y + BQ_GANTT_BAR_INSET;
  *height = bar->row->height - 2 * BQ_GANTT_BAR_INSET;
}

const BqGanttBar *
bq_gantt_view_hit_test (const BqGanttView *view,
                        const BqGanttData *data,
                        double             x,
                        double             y)
{
  const BqGanttRow *row;
  const BqGanttBar *best = NULL;
  double best_distance = G_MAXDOUBLE;
  const double slop = 3.0;
  gint64 t0, t1;
  guint first, end;

  g_return_val_if_fail (view != NULL && data != NULL, NULL);

  if (x < 0 || y < 0 || x >= view->width || y >= view->height)
    return NULL;
  row = bq_gantt_data_row_at (data, y + view->scroll_y);
  if (row == NULL || row->kind != BQ_GANTT_ROW_LINE)
    return NULL;

  t0 = bq_gantt_view_x_to_time (view, x - slop);
  t1 = bq_gantt_view_x_to_time (view, x + slop) + 1;
  bq_gantt_row_bars_in (row, t0, t1, &first, &end);
  for (guint i = first; i < end; i++)
    {
      const BqGanttBar *bar = g_ptr_array_index (row->bars, i);
      double bx, by, bw, bh, distance;

      bq_gantt_view_bar_rect (view, bar, &bx, &by, &bw, &bh);
      if (y < by || y >= by + bh)
        continue;
      if (x >= bx && x < bx + bw)
        distance = 0;
      else
        distance = x < bx ? bx - x : x - (bx + bw);
      if (distance > slop)
        continue;
      /* Overlapping bars (a cancelled run under its replacement): the
       * one drawn last, i.e. the later one, wins on a tie. */
      if (distance <= best_distance)
        {
          best = bar;
          best_distance = distance;
        }
    }
  return best;
}
