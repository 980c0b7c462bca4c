/* bench-slots.c — time to rank the feasible slots for one order among
 * 100,000 slots, next to a plain scan of those slots (the floor)
 *
 * The demo network (its runs, centres, lanes) with 100,000 slots spread
 * over its runs and centres in an on-disk store.  Each query is a real
 * bq_slot_engine_match(): the centre's quotas and its region's pools from
 * the indexes, each judged by the router and decay.  The floor reads
 * every column of every slot row once.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>

#include <glib/gstdio.h>

#include "bq-core.h"

#define N_SLOTS   100000
#define N_QUERIES 200
#define DAY       G_GINT64_CONSTANT (86400)

static int
compare_double (const void *a, const void *b)
{
  double x = *(const double *) a, y = *(const double *) b;
  return x < y ? -1 : x > y;
}

static double
percentile (double *v, guint n, double p)
{
  qsort (v, n, sizeof *v, compare_double);
  return v[MIN (n - 1, (guint) (p * n))];
}

int
main (void)
{
  g_autofree char *dir = g_dir_make_tmp ("bench-slots-XXXXXX", NULL);
  g_autofree char *path = g_build_filename (dir, "bench.db", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqSlotEngine) engine = NULL;
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GPtrArray) slots = g_ptr_array_new_with_free_func (bq_entity_free);
  BqDemoOptions options;
  double *match_ms = g_new0 (double, N_QUERIES);
  double *scan_ms = g_new0 (double, N_QUERIES);
  guint64 checksum = 0, feasible = 0, judged = 0;
  gint64 t0;

  store = bq_store_open (path, &error);
  bq_demo_options_init_default (&options);
  options.start = 1772409600;   /* Monday 2026-03-02 */
  if (store == NULL || !bq_demo_generate (store, &options, &error))
    g_error ("%s", error->message);
  runs = bq_store_list (store, &bq_run_type, &error);
  centres = bq_store_list (store, &bq_centre_type, &error);

  /* Fill up to 100,000 slots: every run offered to every centre of its
   * region and beyond, several times over. */
  {
    gint64 existing = bq_store_count (store, &bq_slot_type, &error);

    for (guint i = 0; i < N_SLOTS - existing; i++)
      {
        const BqRun *run = g_ptr_array_index (runs, i % runs->len);
        const BqCentre *centre = g_ptr_array_index (centres, (i / runs->len) % centres->len);
        BqSlot *slot = bq_slot_new ();

        slot->base.id = g_strdup_printf ("bench-%06u", i);
        slot->run_id = g_strdup (run->base.id);
        slot->centre_id = (i % 5 == 0) ? NULL : g_strdup (centre->base.id);
        slot->region = g_strdup (centre->region);
        slot->delivery_date = run->calibration_time - run->calibration_time % DAY;
        slot->capacity = 1 + i % 4;
        slot->claimed = i % 3 == 0 ? slot->capacity : 0;
        slot->status = slot->claimed > 0 ? BQ_SLOT_CONFIRMED : BQ_SLOT_OPEN;
        g_ptr_array_add (slots, slot);
      }
    if (!bq_store_put_many (store, slots, &error))
      g_error ("%s", error->message);
  }
  g_print ("%" G_GINT64_FORMAT " slots, %u runs, %u centres\n",
           bq_store_count (store, &bq_slot_type, NULL), runs->len, centres->len);

  engine = bq_slot_engine_new (store);
  for (guint q = 0; q < N_QUERIES; q++)
    {
      const BqCentre *centre = g_ptr_array_index (centres, (q * 7) % centres->len);
      g_autoptr(BqSlotMatch) match = NULL;
      BqSlotRequest request;
      gint64 day = options.start + (2 + q % 6) * 7 * DAY + (q % 5) * DAY;

      bq_slot_request_init (&request);
      request.centre_id = centre->base.id;
      request.product_id = "product-lu177-psma";
      request.prescribed_bq = 7.4e9;
      request.admin_start = day + 9 * 3600;
      request.admin_end = day + 13 * 3600;
      request.now = options.start + 14 * DAY;

      t0 = g_get_monotonic_time ();
      match = bq_slot_engine_match (engine, &request, &error);
      match_ms[q] = (g_get_monotonic_time () - t0) / 1000.0;
      if (match == NULL)
        g_error ("%s", error->message);
      feasible += match->feasible->len;
      judged += match->feasible->len + match->infeasible->len;

      /* The floor: every column of every slot row, once. */
      t0 = g_get_monotonic_time ();
      {
        sqlite3 *db = bq_store_get_db (store);
        sqlite3_stmt *stmt = NULL;

        sqlite3_prepare_v2 (db, "SELECT * FROM slots", -1, &stmt, NULL);
        while (sqlite3_step (stmt) == SQLITE_ROW)
          for (int c = 0; c < sqlite3_column_count (stmt); c++)
            checksum += (guint64) sqlite3_column_int64 (stmt, c) + sqlite3_column_bytes (stmt, c);
        sqlite3_finalize (stmt);
      }
      scan_ms[q] = (g_get_monotonic_time () - t0) / 1000.0;
    }

  {
    /* The first query builds the router; report it apart. */
    double first = match_ms[0];
    double med = percentile (match_ms + 1, N_QUERIES - 1, 0.5);
    double p95 = percentile (match_ms + 1, N_QUERIES - 1, 0.95);
    double smed = percentile (scan_ms, N_QUERIES, 0.5);
    double sp95 = percentile (scan_ms, N_QUERIES, 0.95);

    g_print ("rank feasible slots for one order (%u queries, %.1f judged, %.1f feasible on average):\n",
             N_QUERIES - 1, (double) judged / N_QUERIES, (double) feasible / N_QUERIES);
    g_print ("  match      median %8.3f ms   p95 %8.3f ms   (first, building the router: %.1f ms)\n",
             med, p95, first);
    g_print ("  plain scan median %8.3f ms   p95 %8.3f ms   (floor, checksum %" G_GUINT64_FORMAT ")\n",
             smed, sp95, checksum % 1000);
    g_print ("  ratio match/scan: median %.3f, p95 %.3f\n", med / smed, p95 / sp95);
  }

  g_clear_object (&engine);
  g_clear_object (&store);
  {
    g_autofree char *wal = g_strconcat (path, "-wal", NULL);
    g_autofree char *shm = g_strconcat (path, "-shm", NULL);
    g_unlink (path);
    g_unlink (wal);
    g_unlink (shm);
    g_rmdir (dir);
  }
  g_free (match_ms);
  g_free (scan_ms);
  return 0;
}
