/* test-production-gui.c — the Production page against a real server
 *
 * Runs under xvfb-run.  The planner signs in to a becquerel-server
 * subprocess (the demo network); the Production page must show every run
 * the server has.  A planned run is then dragged through the Gantt's API:
 * into the past it is refused with the planner's reason, to a free place
 * it is accepted, the cache has it at once (through the outbox) and the
 * server has it after the sync.  The run's detail pane, the plan proposal
 * and the capacity table are opened on the way.
 *
 * With $BQ_SCREENSHOT_DIR set, PNGs of each step are written there.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <glib/gstdio.h>

#include "bq-app-test.h"
#include "bq-application.h"
#include "bq-production-page.h"
#include "bq-test-server.h"
#include "bq-window.h"

#define SYNC_TIMEOUT_MS (120 * 1000)
#define DAY 86400

/* Every run the server has, by id → start time. */
static GHashTable *
server_runs (BqTestServer *server,
             const char   *token)
{
  GHashTable *runs = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  gint64 offset = 0;

  for (;;)
    {
      g_autofree char *path = g_strdup_printf ("/api/v1/runs?limit=1000&offset=%" G_GINT64_FORMAT, offset);
      g_autoptr(BqTestResponse) response = bq_test_request (server, "GET", path, token, NULL, NULL);
      JsonObject *object;
      JsonArray *items;

      g_assert_cmpuint (response->status, ==, 200);
      object = bq_test_response_object (response);
      items = json_object_get_array_member (object, "items");
      for (guint i = 0; i < json_array_get_length (items); i++)
        {
          JsonObject *run = json_array_get_object_element (items, i);

          g_hash_table_add (runs, g_strdup (json_object_get_string_member (run, "id")));
        }
      if (!json_object_has_member (object, "next_offset") ||
          json_object_get_null_member (object, "next_offset"))
        break;
      offset = json_object_get_int_member (object, "next_offset");
    }
  return runs;
}

typedef struct {
  BqProductionPage *page;
  BqClient         *client;
  guint             expected;
} Shown;

static gboolean
page_shows_runs (gpointer data)
{
  Shown *shown = data;
  BqGanttData *gantt_data = bq_gantt_get_data (bq_production_page_get_gantt (shown->page));

  return bq_client_get_state (shown->client) == BQ_CLIENT_STATE_ONLINE &&
         bq_production_page_get_loaded (shown->page) && gantt_data != NULL &&
         bq_gantt_data_get_n_bars (gantt_data) == shown->expected;
}

typedef struct {
  BqTestServer *server;
  const char   *token;
  const char   *run_id;
  const char   *line_id;
  gint64        start;
  BqClient     *client;
} OnServer;

static gboolean
server_has_move (gpointer data)
{
  OnServer *on = data;
  g_autofree char *path = g_strdup_printf ("/api/v1/runs/%s", on->run_id);
  g_autoptr(BqTestResponse) response = NULL;
  JsonObject *object;
  gint64 start = 0;

  if (bq_client_get_n_pending (on->client) > 0)
    return FALSE;
  response = bq_test_request (on->server, "GET", path, on->token, NULL, NULL);
  g_assert_cmpuint (response->status, ==, 200);
  object = bq_test_response_object (response);
  g_assert_true (bq_units_parse_time (json_object_get_string_member (object, "start_time"),
                                      &start, NULL));
  return start == on->start &&
         g_strcmp0 (json_object_get_string_member (object, "line_id"), on->line_id) == 0;
}

typedef struct {
  BqGantt    *gantt;
  const char *run_id;
  gint64      start;
} InGantt;

static gboolean
gantt_has_move (gpointer data)
{
  InGantt *in = data;
  BqGanttData *gantt_data = bq_gantt_get_data (in->gantt);
  const BqGanttBar *bar = gantt_data ? bq_gantt_data_lookup_bar (gantt_data, in->run_id) : NULL;

  return bar != NULL && bar->start == in->start;
}

static gint64 revision_since;

/* The applied plan has come back from the server in a pull. */
static gboolean
revision_moved (gpointer data)
{
  return bq_client_get_revision (data) > revision_since;
}

static gboolean
outbox_empty (gpointer data)
{
  return bq_client_get_n_pending (data) == 0 || bq_client_get_n_conflicts (data) > 0;
}

static gboolean
plan_dialog_open (gpointer data)
{
  return bq_production_page_get_plan_dialog (data) != NULL;
}

/* A planned run with nothing booked on it, a few days ahead, and a place
 * the planner lets it move to. */
static gboolean
find_move (BqGantt     *gantt,
           const char **run_id,
           const char **line_id,
           gint64      *start)
{
  BqGanttData *data = bq_gantt_get_data (gantt);
  gint64 now = g_get_real_time () / G_USEC_PER_SEC;

  for (guint i = 0; i < bq_gantt_data_get_n_bars (data); i++)
    {
      const BqGanttBar *bar = bq_gantt_data_get_bar (data, i);

      if (bar->run->status != BQ_RUN_PLANNED || bar->doses_booked > 0 ||
          bar->start < now + 3 * DAY)
        continue;
      g_assert_true (bq_gantt_begin_drag (gantt, bar->run->base.id));
      for (gint64 hours = 1; hours < 24 * 4; hours++)
        for (int sign = 1; sign >= -1; sign -= 2)
          {
            gint64 candidate = bar->start + sign * hours * 3600;

            if (bq_gantt_update_drag (gantt, bar->row->line->base.id, candidate, NULL))
              {
                *run_id = bar->run->base.id;
                *line_id = bar->row->line->base.id;
                *start = candidate;
                return TRUE;
              }
          }
      bq_gantt_cancel_drag (gantt);
    }
  return FALSE;
}

static void
test_production_page (void)
{
  g_autoptr(BqTestServer) server = bq_test_server_new_subprocess (NULL);
  g_autofree char *dir = g_dir_make_tmp ("bq-production-gui-XXXXXX", NULL);
  g_autofree char *cache = g_build_filename (dir, "cache.db", NULL);
  g_autofree char *token = bq_test_server_login (server, "planner");
  g_autoptr(GHashTable) runs = server_runs (server, token);
  g_autoptr(GError) error = NULL;
  g_autofree char *run_id = NULL;
  g_autofree char *line_id = NULL;
  g_autofree char *name = NULL;
  g_autoptr(BqRun) cached = NULL;
  BqApplication *app;
  BqWindow *window;
  BqProductionPage *page;
  BqGantt *gantt;
  BqClient *client;
  gboolean signed_in = FALSE;
  const char *found_run = NULL, *found_line = NULL;
  gint64 start = 0;
  Shown shown;
  OnServer on;
  InGantt in;

  g_assert_cmpuint (g_hash_table_size (runs), >, 0);

  app = bq_application_new ();
  g_application_set_flags (G_APPLICATION (app), G_APPLICATION_NON_UNIQUE);
  bq_application_set_cache_path (app, cache);
  g_assert_true (g_application_register (G_APPLICATION (app), NULL, &error));
  g_assert_no_error (error);
  bq_application_sign_in_async (app, server->base, "planner", BQ_TEST_PASSWORD, FALSE, NULL,
                                bq_app_test_on_signed_in, &signed_in);
  g_assert_true (bq_test_run_until (&signed_in, SYNC_TIMEOUT_MS));
  client = bq_application_get_client (app);
  window = BQ_WINDOW (bq_application_open_window (app));
  bq_window_set_page (window, "production");
  page = BQ_PRODUCTION_PAGE (bq_app_test_find_descendant (GTK_WIDGET (window), BQ_TYPE_PRODUCTION_PAGE));
  g_assert_nonnull (page);
  gantt = bq_production_page_get_gantt (page);

  /* Every run of the server, each a bar. */
  shown = (Shown) { page, client, g_hash_table_size (runs) };
  g_assert_true (bq_app_test_run_until (page_shows_runs, &shown, SYNC_TIMEOUT_MS, 50));
  {
    GHashTableIter iter;
    gpointer key;

    g_hash_table_iter_init (&iter, runs);
    while (g_hash_table_iter_next (&iter, &key, NULL))
      g_assert_nonnull (bq_gantt_data_lookup_bar (bq_gantt_get_data (gantt), key));
  }
  bq_app_test_save_screenshot (GTK_WIDGET (window), "production-01-gantt", 700);

  /* Into the past: refused, with the reason. */
  g_assert_true (find_move (gantt, &found_run, &found_line, &start));
  run_id = g_strdup (found_run);
  line_id = g_strdup (found_line);
  g_assert_false (bq_gantt_update_drag (gantt, line_id, bq_gantt_get_now (gantt) - DAY, &error));
  g_assert_error (error, BQ_PLAN_ERROR, BQ_PLAN_ERROR_NOT_MOVABLE);
  g_test_message ("refused: %s", error->message);
  g_clear_error (&error);
  /* A place the line's calendar or another run rules out. */
  bq_gantt_set_time_range (gantt, start - 2 * DAY, start + 4 * DAY);
  for (gint64 hours = 1; hours < 72; hours++)
    if (!bq_gantt_update_drag (gantt, line_id, start + hours * 3600, &error))
      {
        g_test_message ("refused: %s", error->message);
        g_assert_error (error, BQ_PLAN_ERROR, error->code);
        g_clear_error (&error);
        break;
      }
  bq_app_test_save_screenshot (GTK_WIDGET (window), "production-02-drag-refused", 700);

  /* To the free place: accepted, queued, in the cache at once. */
  g_assert_true (bq_gantt_update_drag (gantt, line_id, start, &error));
  g_assert_no_error (error);
  bq_app_test_save_screenshot (GTK_WIDGET (window), "production-03-drag-accepted", 700);
  g_assert_true (bq_gantt_end_drag (gantt, &error));
  g_assert_no_error (error);
  g_assert_false (bq_gantt_is_dragging (gantt));
  cached = bq_store_get (bq_client_get_store (client), &bq_run_type, run_id, &error);
  g_assert_no_error (error);
  g_assert_cmpint (cached->start_time, ==, start);
  g_assert_cmpstr (cached->line_id, ==, line_id);

  /* The server has it once the outbox is empty. */
  on = (OnServer) { server, token, run_id, line_id, start, client };
  g_assert_true (bq_app_test_run_until (server_has_move, &on, SYNC_TIMEOUT_MS, 50));
  g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);

  /* And the Gantt shows it there, selected, with its details. */
  in = (InGantt) { gantt, run_id, start };
  g_assert_true (bq_app_test_run_until (gantt_has_move, &in, SYNC_TIMEOUT_MS, 50));
  g_assert_cmpstr (bq_gantt_get_selected_run (gantt), ==, run_id);
  g_assert_cmpstr (bq_run_detail_get_run_id (bq_production_page_get_run_detail (page)), ==, run_id);
  name = bq_gantt_dup_run_accessible_name (gantt, run_id);
  g_assert_nonnull (strstr (name, "Planned"));
  g_test_message ("accessible name: %s", name);
  bq_app_test_save_screenshot (GTK_WIDGET (window), "production-04-detail", 700);

  /* Log scale in the decay plot. */
  {
    BqDecayPlot *plot = bq_run_detail_get_decay_plot (bq_production_page_get_run_detail (page));

    g_assert_true (bq_decay_plot_activity_at (plot, cached->eos_time) > 0);
    bq_decay_plot_set_log_scale (plot, TRUE);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "production-05-detail-log", 700);
    bq_decay_plot_set_log_scale (plot, FALSE);
  }

  /* An Ac-225 run: its daughters grow in, on a log scale; a day's zoom
   * leaves room for the labels on the bars. */
  {
    BqGanttData *gantt_data = bq_gantt_get_data (gantt);
    BqDecayPlot *plot = bq_run_detail_get_decay_plot (bq_production_page_get_run_detail (page));

    for (guint i = 0; i < bq_gantt_data_get_n_bars (gantt_data); i++)
      {
        const BqGanttBar *bar = bq_gantt_data_get_bar (gantt_data, i);

        if (bar->product != NULL && g_strcmp0 (bar->product->nuclide, "Ac-225") == 0 &&
            bar->run->status == BQ_RUN_RELEASED)
          {
            g_assert_true (bq_gantt_select_run (gantt, bar->run->base.id));
            break;
          }
      }
    g_assert_true (bq_decay_plot_has_daughters (plot));
    bq_decay_plot_set_show_daughters (plot, TRUE);
    bq_decay_plot_set_log_scale (plot, TRUE);
    bq_gantt_set_time_range (gantt, bq_gantt_get_selected_bar (gantt)->start - 6 * 3600,
                             bq_gantt_get_selected_bar (gantt)->start + 30 * 3600);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "production-06-ac225-daughters", 700);
    bq_decay_plot_set_show_daughters (plot, FALSE);
    bq_decay_plot_set_log_scale (plot, FALSE);
  }

  /* Capacity and the plan proposal. */
  {
    GtkWidget *revealer = bq_app_test_find_descendant (GTK_WIDGET (page), GTK_TYPE_REVEALER);

    gtk_revealer_set_reveal_child (GTK_REVEALER (revealer), TRUE);
    bq_gantt_select_run (gantt, NULL);
    bq_gantt_set_time_range (gantt, start - 7 * DAY, start + 21 * DAY);
    bq_app_test_save_screenshot (GTK_WIDGET (window), "production-07-capacity-month", 700);
  }
  if (g_getenv ("BQ_SCREENSHOT_DIR") != NULL)
    {
      AdwStyleManager *style = adw_style_manager_get_default ();

      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_FORCE_DARK);
      bq_app_test_save_screenshot (GTK_WIDGET (window), "production-07-dark", 700);
      adw_style_manager_set_color_scheme (style, ADW_COLOR_SCHEME_DEFAULT);
    }
  g_assert_true (gtk_widget_activate_action (GTK_WIDGET (page), "production.plan", NULL));
  g_assert_true (bq_app_test_run_until (plan_dialog_open, page, SYNC_TIMEOUT_MS, 50));
  bq_app_test_save_screenshot (GTK_WIDGET (bq_production_page_get_plan_dialog (page)), "production-08-plan", 700);

  /* Accepting queues every change; the server takes them all. */
  {
    gint64 before = bq_client_get_revision (client);

    adw_message_dialog_response (ADW_MESSAGE_DIALOG (bq_production_page_get_plan_dialog (page)),
                                 "apply");
    g_assert_cmpuint (bq_client_get_n_pending (client), >, 0);
    g_assert_true (bq_app_test_run_until (outbox_empty, client, SYNC_TIMEOUT_MS, 50));
    g_assert_cmpuint (bq_client_get_n_conflicts (client), ==, 0);
    revision_since = before;
    g_assert_true (bq_app_test_run_until (revision_moved, client, SYNC_TIMEOUT_MS, 50));
  }

  {
    GList *windows = g_list_copy (gtk_application_get_windows (GTK_APPLICATION (app)));

    for (GList *l = windows; l != NULL; l = l->next)
      gtk_window_destroy (l->data);
    g_list_free (windows);
  }
  g_application_quit (G_APPLICATION (app));
  while (g_main_context_iteration (NULL, FALSE))
    ;
  g_object_unref (app);

  g_unlink (cache);
  {
    g_autofree char *wal = g_strconcat (cache, "-wal", NULL);
    g_autofree char *shm = g_strconcat (cache, "-shm", NULL);

    g_unlink (wal);
    g_unlink (shm);
  }
  g_rmdir (dir);
}

int
main (int   argc,
      char *argv[])
{
  g_setenv ("LC_ALL", "C.UTF-8", TRUE);
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/app/production/gantt-drag-reaches-server", test_production_page);

  return g_test_run ();
}
