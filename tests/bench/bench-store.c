/* bench-store.c — how fast the store loads, queries and feeds changes
 *
 *   bench-store [N_RUNS] [REPEATS]
 *
 * Loads N_RUNS runs (default 100,000) with put_many into a fresh file
 * store, and the same rows with plain sqlite3 prepared statements in one
 * transaction into a second fresh store (so the table, its indexes, its
 * foreign keys and the PRAGMAs are identical); the best of REPEATS
 * (default 3) is shown for each, with their ratio.  Then the same runs
 * put again (all updates), the time to query one week of runs by
 * overlap, and to page through every change in pages of 1000.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bq-model.h"
#include "bq-store.h"

/* 2026-01-05 00:00 UTC */
#define T0 G_GINT64_CONSTANT (1767571200)
#define HOUR 3600
#define DAY (24 * HOUR)
#define N_LINES 16
#define PAGE 1000

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-store: %s: %s\n", what, error ? error->message : "failed");
  exit (1);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

static GPtrArray *
make_parents (void)
{
  GPtrArray *parents = g_ptr_array_new_with_free_func (bq_entity_free);
  BqSite *site = bq_site_new ();
  BqProduct *product = bq_product_new ();

  bq_entity_set_id (site, "site-1");
  site->name = g_strdup ("Leiden hot lab");
  site->organisation = g_strdup ("Isotopia CDMO");
  site->country = g_strdup ("NL");
  site->timezone = g_strdup ("Europe/Amsterdam");
  site->latitude = 52.16;
  site->longitude = 4.50;
  g_ptr_array_add (parents, site);

  bq_entity_set_id (product, "product-1");
  product->name = g_strdup ("Lu-177 PSMA");
  product->nuclide = g_strdup ("Lu-177");
  product->dose_activity_bq = 7.4e9;
  product->tolerance = 0.1;
  product->concentration_bq_per_ml = 1e9;
  product->shelf_life_s = 120 * HOUR;
  product->synthesis_duration_s = 3 * HOUR;
  product->qc_duration_s = 2 * HOUR;
  g_ptr_array_add (parents, product);

  for (guint l = 0; l < N_LINES; l++)
    {
      BqLine *line = bq_line_new ();

      line->base.id = g_strdup_printf ("line-%02u", l);
      line->site_id = g_strdup ("site-1");
      line->name = g_strdup_printf ("Hot cell %u", l + 1);
      g_ptr_array_add (parents, line);
    }
  return parents;
}

/* One run every 20 minutes across the lines, each three hours long.  Ids
 * are made here so neither side pays for them in the timing. */
static GPtrArray *
make_runs (guint n_runs)
{
  GPtrArray *runs = g_ptr_array_new_full (n_runs, bq_entity_free);

  for (guint i = 0; i < n_runs; i++)
    {
      BqRun *run = bq_run_new ();

      run->base.id = g_uuid_string_random ();
      run->line_id = g_strdup_printf ("line-%02u", i % N_LINES);
      run->product_id = g_strdup ("product-1");
      run->batch = g_strdup_printf ("LY%02u-%06u", i % N_LINES, i);
      run->start_time = T0 + (gint64) i * 1200;
      run->eos_time = run->start_time + 3 * HOUR;
      run->calibration_time = run->eos_time + 12 * HOUR;
      run->activity_eos_bq = 50e9 + (i % 1000) * 1e7;
      run->dose_capacity = 6;
      run->status = BQ_RUN_PLANNED;
      g_ptr_array_add (runs, run);
    }
  return runs;
}

static BqStore *
fresh_store (const char *dir,
             const char *name,
             GPtrArray  *parents)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename (dir, name, NULL);
  g_autofree char *wal = g_strconcat (path, "-wal", NULL);
  g_autofree char *shm = g_strconcat (path, "-shm", NULL);
  BqStore *store;

  g_unlink (path);
  g_unlink (wal);
  g_unlink (shm);
  store = bq_store_open (path, &error);
  if (store == NULL)
    die ("open", error);
  if (!bq_store_put_many (store, parents, &error))
    die ("parents", error);
  return store;
}

static void
check (sqlite3    *db,
       int         rc,
       int         expected,
       const char *what)
{
  if (rc != expected)
    {
      g_printerr ("bench-store: %s: %s\n", what, sqlite3_errmsg (db));
      exit (1);
    }
}

/* The same rows, straight into SQLite: one transaction, one prepared
 * INSERT, nothing else — the floor put_many is measured against. */
static double
raw_insert (BqStore   *store,
            GPtrArray *runs)
{
  sqlite3 *db = bq_store_get_db (store);
  sqlite3_stmt *stmt = NULL;
  gint64 revision = bq_store_get_revision (store);
  double started;

  started = now ();
  check (db, sqlite3_exec (db, "BEGIN IMMEDIATE", NULL, NULL, NULL), SQLITE_OK, "begin");
  check (db, sqlite3_prepare_v2 (db,
                                 "INSERT INTO runs (id, revision, line_id, product_id, batch, "
                                 "start_time, eos_time, calibration_time, activity_eos_bq, "
                                 "dose_capacity, status) "
                                 "VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
                                 -1, &stmt, NULL), SQLITE_OK, "prepare");
  for (guint i = 0; i < runs->len; i++)
    {
      const BqRun *run = g_ptr_array_index (runs, i);

      sqlite3_bind_text (stmt, 1, run->base.id, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 2, ++revision);
      sqlite3_bind_text (stmt, 3, run->line_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 4, run->product_id, -1, SQLITE_STATIC);
      sqlite3_bind_text (stmt, 5, run->batch, -1, SQLITE_STATIC);
      sqlite3_bind_int64 (stmt, 6, run->start_time);
      sqlite3_bind_int64 (stmt, 7, run->eos_time);
      sqlite3_bind_int64 (stmt, 8, run->calibration_time);
      sqlite3_bind_double (stmt, 9, run->activity_eos_bq);
      sqlite3_bind_int64 (stmt, 10, run->dose_capacity);
      sqlite3_bind_text (stmt, 11, "planned", -1, SQLITE_STATIC);
      check (db, sqlite3_step (stmt), SQLITE_DONE, "insert");
      sqlite3_reset (stmt);
    }
  sqlite3_finalize (stmt);
  check (db, sqlite3_exec (db, "COMMIT", NULL, NULL, NULL), SQLITE_OK, "commit");
  return now () - started;
}

static void
remove_tree (const char *dir)
{
  g_autoptr(GDir) d = g_dir_open (dir, 0, NULL);
  const char *name;

  while (d != NULL && (name = g_dir_read_name (d)) != NULL)
    {
      g_autofree char *path = g_build_filename (dir, name, NULL);
      g_unlink (path);
    }
  g_rmdir (dir);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) parents = make_parents ();
  g_autoptr(GPtrArray) runs = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autofree char *dir = NULL;
  guint n_runs = argc > 1 ? (guint) g_ascii_strtoull (argv[1], NULL, 10) : 100000;
  guint repeats = argc > 2 ? (guint) g_ascii_strtoull (argv[2], NULL, 10) : 3;
  double best_store = G_MAXDOUBLE, best_raw = G_MAXDOUBLE, update_time;
  double query_time = 0, changes_time, started;
  guint query_rows = 0, n_queries = 20, n_changes = 0, n_pages = 0;
  gint64 since = 0;

  if (n_runs == 0 || repeats == 0)
    {
      g_printerr ("usage: bench-store [N_RUNS] [REPEATS]\n");
      return 2;
    }

  dir = g_dir_make_tmp ("bench-store-XXXXXX", &error);
  if (dir == NULL)
    die ("temporary directory", error);
  runs = make_runs (n_runs);

  for (guint r = 0; r < repeats; r++)
    {
      g_autoptr(BqStore) raw = fresh_store (dir, "raw.db", parents);
      double took = raw_insert (raw, runs);

      best_raw = MIN (best_raw, took);

      g_clear_object (&store);
      store = fresh_store (dir, "store.db", parents);
      started = now ();
      if (!bq_store_put_many (store, runs, &error))
        die ("put_many", error);
      took = now () - started;
      best_store = MIN (best_store, took);
    }

  /* The same rows again, changed: every put is now an update. */
  for (guint i = 0; i < runs->len; i++)
    ((BqRun *) g_ptr_array_index (runs, i))->status = BQ_RUN_RELEASED;
  started = now ();
  if (!bq_store_put_many (store, runs, &error))
    die ("put_many (updates)", error);
  update_time = now () - started;

  /* Weeks spread over the loaded span; each query is one Gantt screen. */
  for (guint q = 0; q < n_queries; q++)
    {
      g_autoptr(BqQuery) query = bq_query_new (&bq_run_type);
      g_autoptr(GPtrArray) week = NULL;
      gint64 span = (gint64) n_runs * 1200;
      gint64 from = T0 + span * (q + 1) / (n_queries + 1);

      bq_query_where_overlaps (query, "start_time", "eos_time", from, from + 7 * DAY);
      started = now ();
      week = bq_store_query (store, query, &error);
      query_time += now () - started;
      if (week == NULL)
        die ("query", error);
      query_rows += week->len;
    }

  started = now ();
  for (;;)
    {
      g_autoptr(GPtrArray) page = bq_store_changes_since (store, since, PAGE, &since, &error);

      if (page == NULL)
        die ("changes_since", error);
      n_pages++;
      n_changes += page->len;
      if (page->len < PAGE)
        break;
    }
  changes_time = now () - started;

  g_print ("bench-store: %u runs (+%u parents), best of %u, SQLite %s\n\n",
           n_runs, parents->len, repeats, sqlite3_libversion ());
  g_print ("%-38s %9s %10s %12s\n", "", "rows", "time", "rows/s");
  g_print ("%-38s %9u %8.3f s %12.0f\n", "put_many into a fresh file store",
           n_runs, best_store, n_runs / best_store);
  g_print ("%-38s %9u %8.3f s %12.0f\n", "raw sqlite3 INSERT, same table",
           n_runs, best_raw, n_runs / best_raw);
  g_print ("%-38s %9s %8.2f x\n", "put_many / raw", "", best_store / best_raw);
  g_print ("%-38s %9u %8.3f s %12.0f\n", "put_many again, all updates",
           n_runs, update_time, n_runs / update_time);
  g_print ("%-38s %9u %7.2f ms %12.0f\n", "one week by overlap (mean of 20)",
           query_rows / n_queries, query_time / n_queries * 1e3,
           query_rows / query_time);
  g_print ("%-38s %9u %8.3f s %12.0f\n", "changes_since, pages of 1000",
           n_changes, changes_time, n_changes / changes_time);
  g_print ("%-38s %9u\n", "  pages", n_pages);

  g_clear_object (&store);
  remove_tree (dir);
  return 0;
}
