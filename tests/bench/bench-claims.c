/* bench-claims.c — slot claims per second through the server, next to
 * GET /healthz, and a check for double bookings
 *
 *   bench-claims [--seconds S] [--connections C] [--slots N] [--server PATH]
 *
 * Starts the real becquerel-server as a subprocess with --demo on a fresh
 * database in a temporary directory (127.0.0.1 port 0), signs in as the
 * planner, finds a requested demo order of a centre on a planned run and
 * adds N (default 4) slots of that run for that centre with room for
 * every claim.  Then, over C (default 64) concurrent keep-alive
 * connections with C requests always in flight, for S seconds each
 * (default 5):
 *
 *   POST /api/v1/slots/{id}/claim   a new order per request (distinct
 *                                   patient reference and Idempotency-Key),
 *                                   round robin over the slots
 *   GET /healthz                    the floor, on the same server
 *
 * and prints requests/s of both and their ratio.  At the end, with the
 * server stopped, it checks every slot of the database: the orders on it
 * (requested, confirmed, shipped, administered) are exactly its claimed
 * count, and that is not over its capacity.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>
#include <sqlite3.h>

#include "bq-core.h"

#define PASSWORD           "bench-password-1"
#define STARTUP_TIMEOUT_MS (120 * 1000)
#define SLOT_CAPACITY      10000000

static GSubprocess *server_process;
static char *temp_dir;

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = g_dir_open (path, 0, NULL);
  const char *name;

  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      g_unlink (child);
    }
  g_rmdir (path);
}

static void G_GNUC_NORETURN
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-claims: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
  if (server_process != NULL)
    {
      g_subprocess_force_exit (server_process);
      g_subprocess_wait (server_process, NULL, NULL);
    }
  if (temp_dir != NULL)
    remove_tree (temp_dir);
  exit (1);
}

static double
now (void)
{
  return g_get_monotonic_time () / 1e6;
}

typedef struct {
  gboolean  done;
  char     *line;
} LineRead;

static void
on_line_read (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  LineRead *read = user_data;

  read->line = g_data_input_stream_read_line_finish_utf8 (G_DATA_INPUT_STREAM (source), result,
                                                          NULL, NULL);
  read->done = TRUE;
}

static gboolean
on_timeout (gpointer user_data)
{
  *(gboolean *) user_data = TRUE;
  return G_SOURCE_REMOVE;
}

static gboolean
run_until (const gboolean *flag,
           guint           timeout_ms)
{
  gboolean timed_out = FALSE;
  guint id = g_timeout_add (timeout_ms, on_timeout, &timed_out);

  while (!*flag && !timed_out)
    g_main_context_iteration (NULL, TRUE);
  if (!timed_out)
    g_source_remove (id);
  return *flag;
}

static char *
start_server (const char *binary,
              const char *db_path)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { binary, "--db", db_path, "--demo", "--listen", "127.0.0.1:0", NULL };

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "BECQUEREL_DEMO_PASSWORD", PASSWORD, TRUE);
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  server_process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (server_process == NULL)
    die (binary, error);

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (server_process));
  for (;;)
    {
      LineRead read = { FALSE, NULL };
      g_autofree char *line = NULL;

      g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
      if (!run_until (&read.done, STARTUP_TIMEOUT_MS))
        die ("the server did not say where it listens", NULL);
      line = read.line;
      if (line == NULL)
        die ("the server ended before it listened", NULL);
      if (g_str_has_prefix (line, "Listening on http://127.0.0.1:") && g_str_has_suffix (line, "/"))
        return g_strndup (line + strlen ("Listening on "),
                          strlen (line) - strlen ("Listening on ") - 1);
    }
}

static void
stop_server (void)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_subprocess_send_signal (server_process, SIGTERM);
  while (g_subprocess_get_identifier (server_process) != NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  if (g_subprocess_get_identifier (server_process) != NULL)
    g_subprocess_force_exit (server_process);
  g_subprocess_wait (server_process, NULL, NULL);
  g_clear_object (&server_process);
}

/* --------------------------------------------------------- plain requests */

typedef struct {
  gboolean  done;
  GBytes   *body;
  GError   *error;
} Pending;

static void
on_sent (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Pending *pending = user_data;

  pending->body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                     &pending->error);
  pending->done = TRUE;
}

static SoupMessage *
new_message (const char *method,
             const char *base,
             const char *path,
             const char *token,
             const char *body)
{
  g_autofree char *uri = g_strconcat (base, path, NULL);
  SoupMessage *msg = soup_message_new (method, uri);

  if (msg == NULL)
    die (uri, NULL);
  if (token != NULL)
    {
      g_autofree char *auth = g_strdup_printf ("Bearer %s", token);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    auth);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  return msg;
}

/* A blocking request; its JSON (NULL when none); dies on other statuses. */
static JsonNode *
request_json (SoupSession *session,
              const char  *method,
              const char  *base,
              const char  *path,
              const char  *token,
              const char  *body,
              guint        expected)
{
  g_autoptr(SoupMessage) msg = new_message (method, base, path, token, body);
  g_autoptr(JsonParser) parser = json_parser_new ();
  Pending pending = { FALSE, NULL, NULL };

  soup_session_send_and_read_async (session, msg, G_PRIORITY_DEFAULT, NULL, on_sent, &pending);
  run_until (&pending.done, 120000);
  if (pending.body == NULL)
    die (path, pending.error);
  if (soup_message_get_status (msg) != expected)
    {
      g_autofree char *text = g_strndup (g_bytes_get_data (pending.body, NULL),
                                         g_bytes_get_size (pending.body));
      g_autofree char *what = g_strdup_printf ("%s %s: %u %s", method, path,
                                               soup_message_get_status (msg), text);

      die (what, NULL);
    }
  if (!json_parser_load_from_data (parser, g_bytes_get_data (pending.body, NULL),
                                   g_bytes_get_size (pending.body), NULL))
    {
      g_bytes_unref (pending.body);
      return NULL;
    }
  g_bytes_unref (pending.body);
  return json_parser_steal_root (parser);
}

/* --------------------------------------------------------------- workload */

typedef struct {
  SoupSession *session;
  const char  *base;
  const char  *token;
  GPtrArray   *slots;
  char        *order_fields;  /* the members of a claim but patient_ref */
  gboolean     claims;
  double       deadline;
  guint        in_flight;
  guint        issued;
  guint        ok;
  guint        errors;
  guint        conflicts;
  guint64      serial;
  char        *first_error;
} Load;

static void issue (Load *load);

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  Load *load = user_data;
  SoupMessage *msg = soup_session_get_async_result_message (SOUP_SESSION (source), result);
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) body = soup_session_send_and_read_finish (SOUP_SESSION (source), result,
                                                               &error);
  guint status = body != NULL ? soup_message_get_status (msg) : 0;
  guint expected = load->claims ? SOUP_STATUS_CREATED : SOUP_STATUS_OK;

  load->in_flight--;
  if (status == expected)
    load->ok++;
  else
    {
      if (status == SOUP_STATUS_CONFLICT)
        load->conflicts++;
      load->errors++;
      if (load->first_error == NULL)
        load->first_error = body != NULL
                            ? g_strdup_printf ("%u %.*s", status, (int) g_bytes_get_size (body),
                                               (const char *) g_bytes_get_data (body, NULL))
                            : g_strdup (error->message);
    }
  g_object_unref (msg);
  if (now () < load->deadline)
    issue (load);
}

static void
issue (Load *load)
{
  SoupMessage *msg;

  if (load->claims)
    {
      guint64 n = load->serial++;
      const char *slot = g_ptr_array_index (load->slots, n % load->slots->len);
      g_autofree char *path = g_strdup_printf ("/api/v1/slots/%s/claim", slot);
      g_autofree char *body = g_strdup_printf ("{\"patient_ref\":\"BENCH-%08" G_GUINT64_FORMAT
                                               "\",%s}", n, load->order_fields);
      g_autofree char *key = g_strdup_printf ("bench-claim-%" G_GUINT64_FORMAT, n);

      msg = new_message ("POST", load->base, path, load->token, body);
      soup_message_headers_replace (soup_message_get_request_headers (msg), "Idempotency-Key",
                                    key);
      /* With its Idempotency-Key a claim is safe to repeat.  Without this
       * flag libsoup sends every POST on a new connection, and the bench
       * would measure TCP connects instead of keep-alive requests. */
      soup_message_add_flags (msg, SOUP_MESSAGE_IDEMPOTENT);
    }
  else
    msg = new_message ("GET", load->base, "/healthz", NULL, NULL);
  load->in_flight++;
  load->issued++;
  soup_session_send_and_read_async (load->session, msg, G_PRIORITY_DEFAULT, NULL, on_done, load);
}

/* Requests per second over @seconds with @connections in flight. */
static double
run_load (Load    *load,
          guint    connections,
          double   seconds)
{
  double start;

  load->ok = load->errors = load->conflicts = load->issued = 0;
  start = now ();
  load->deadline = start + seconds;
  for (guint i = 0; i < connections; i++)
    issue (load);
  while (load->in_flight > 0)
    g_main_context_iteration (NULL, TRUE);
  return load->ok / (now () - start);
}

/* ------------------------------------------------------------------ check */

/* Slots whose active orders differ from claimed, or claimed over capacity. */
static void
check_bookings (const char *db_path,
                gint64     *n_slots,
                gint64     *n_bad,
                gint64     *n_claimed)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *stmt = NULL;
  const char *sql =
    "SELECT COUNT(*), "
    "  SUM(s.claimed != (SELECT COUNT(*) FROM orders o WHERE o.slot_id = s.id AND o.status IN "
    "                    ('requested', 'confirmed', 'shipped', 'administered')) "
    "      OR s.claimed > s.capacity), "
    "  SUM(s.claimed) FROM slots s";

  if (sqlite3_open_v2 (db_path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK ||
      sqlite3_prepare_v2 (db, sql, -1, &stmt, NULL) != SQLITE_OK ||
      sqlite3_step (stmt) != SQLITE_ROW)
    die (db != NULL ? sqlite3_errmsg (db) : "cannot open the database", NULL);
  *n_slots = sqlite3_column_int64 (stmt, 0);
  *n_bad = sqlite3_column_int64 (stmt, 1);
  *n_claimed = sqlite3_column_int64 (stmt, 2);
  sqlite3_finalize (stmt);
  sqlite3_close (db);
}

int
main (int    argc,
      char **argv)
{
  static double opt_seconds = 5.0;
  static int opt_connections = 64;
  static int opt_slots = 4;
  static char *opt_server = NULL;
  const GOptionEntry entries[] = {
    { "seconds", 0, 0, G_OPTION_ARG_DOUBLE, &opt_seconds, "Seconds per workload (5)", "S" },
    { "connections", 0, 0, G_OPTION_ARG_INT, &opt_connections, "Concurrent connections (64)", "C" },
    { "slots", 0, 0, G_OPTION_ARG_INT, &opt_slots, "Slots the claims go to (4)", "N" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &opt_server, "The server binary", "PATH" },
    { NULL }
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("— claims/s against /healthz");
  g_autoptr(GError) error = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *base = NULL;
  g_autofree char *token = NULL;
  g_autofree char *binary = NULL;
  g_autoptr(SoupSession) session = NULL;
  g_autoptr(JsonNode) login = NULL;
  g_autoptr(JsonNode) orders = NULL;
  g_autoptr(GPtrArray) slots = g_ptr_array_new_with_free_func (g_free);
  JsonObject *template = NULL;
  JsonArray *items;
  Load load = { 0, };
  double claims_per_s, healthz_per_s;
  gint64 n_slots, n_bad, n_claimed;
  guint claims_ok, claims_errors, claims_conflicts;
  g_autofree char *claims_first_error = NULL;

  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("bad options", error);
  if (opt_connections < 1 || opt_connections > 256 || opt_slots < 1 || opt_seconds <= 0)
    die ("--connections 1–256, --slots ≥ 1, --seconds > 0", NULL);

  binary = g_strdup (opt_server != NULL ? opt_server
                     : g_getenv ("BECQUEREL_SERVER") != NULL ? g_getenv ("BECQUEREL_SERVER")
                     : BQ_SERVER_BINARY);
  temp_dir = g_dir_make_tmp ("bench-claims-XXXXXX", &error);
  if (temp_dir == NULL)
    die ("temporary directory", error);
  db_path = g_build_filename (temp_dir, "server.db", NULL);
  base = start_server (binary, db_path);

  session = soup_session_new_with_options ("max-conns", opt_connections + 8,
                                           "max-conns-per-host", opt_connections + 8,
                                           "timeout", 120, NULL);
  login = request_json (session, "POST", base, "/api/v1/session", NULL,
                        "{\"username\":\"planner\",\"password\":\"" PASSWORD "\"}",
                        SOUP_STATUS_CREATED);
  token = g_strdup (json_object_get_string_member (json_node_get_object (login), "token"));

  /* A requested order on a planned run, still before its cut-off: its
   * centre, product, window and run are what the claims book. */
  orders = request_json (session, "GET", base, "/api/v1/orders?status=requested&limit=1000",
                         token, NULL, SOUP_STATUS_OK);
  items = json_object_get_array_member (json_node_get_object (orders), "items");
  for (guint i = 0; i < json_array_get_length (items) && template == NULL; i++)
    {
      JsonObject *order = json_array_get_object_element (items, i);
      g_autofree char *path = NULL;
      g_autoptr(JsonNode) slot = NULL;
      g_autoptr(GDateTime) cutoff = NULL;
      const char *slot_id = json_object_get_string_member_with_default (order, "slot_id", NULL);
      const char *text;

      if (slot_id == NULL)
        continue;
      path = g_strdup_printf ("/api/v1/slots/%s", slot_id);
      slot = request_json (session, "GET", base, path, token, NULL, SOUP_STATUS_OK);
      text = json_object_get_string_member_with_default (json_node_get_object (slot),
                                                         "order_cutoff", NULL);
      cutoff = text != NULL ? g_date_time_new_from_iso8601 (text, NULL) : NULL;
      if (cutoff == NULL || g_date_time_to_unix (cutoff) < g_get_real_time () / G_USEC_PER_SEC
          + 3600 || json_object_get_member (json_node_get_object (slot), "centre_id") == NULL ||
          json_node_is_null (json_object_get_member (json_node_get_object (slot), "centre_id")))
        continue;
      template = json_object_ref (order);
      for (int s = 0; s < opt_slots; s++)
        {
          JsonObject *new_slot = json_object_new ();
          g_autoptr(JsonNode) node = json_node_new (JSON_NODE_OBJECT);
          g_autofree char *body = NULL;
          g_autofree char *id = g_strdup_printf ("slot-bench-%d", s);
          g_autoptr(JsonNode) created = NULL;

          json_object_set_string_member (new_slot, "id", id);
          json_object_set_string_member (new_slot, "run_id",
                                         json_object_get_string_member (order, "run_id"));
          json_object_set_string_member (new_slot, "centre_id",
                                         json_object_get_string_member (order, "centre_id"));
          json_object_set_string_member (new_slot, "region",
                                         json_object_get_string_member (json_node_get_object (slot),
                                                                        "region"));
          json_object_set_string_member (new_slot, "delivery_date",
                                         json_object_get_string_member (json_node_get_object (slot),
                                                                        "delivery_date"));
          json_object_set_string_member (new_slot, "order_cutoff", text);
          json_object_set_int_member (new_slot, "capacity", SLOT_CAPACITY);
          json_node_take_object (node, new_slot);
          body = json_to_string (node, FALSE);
          created = request_json (session, "POST", base, "/api/v1/slots", token, body,
                                  SOUP_STATUS_CREATED);
          g_ptr_array_add (slots, g_steal_pointer (&id));
        }
    }
  if (template == NULL)
    die ("no requested order on a slot before its cut-off in the demo", NULL);
  load.order_fields = g_strdup_printf (
    "\"centre_id\":\"%s\",\"product_id\":\"%s\",\"prescribed_activity_bq\":%.17g,"
    "\"admin_start\":\"%s\",\"admin_end\":\"%s\"",
    json_object_get_string_member (template, "centre_id"),
    json_object_get_string_member (template, "product_id"),
    json_object_get_double_member (template, "prescribed_activity_bq"),
    json_object_get_string_member (template, "admin_start"),
    json_object_get_string_member (template, "admin_end"));
  json_object_unref (template);

  load.session = session;
  load.base = base;
  load.token = token;
  load.slots = slots;

  /* Warm-up: open the connections, check a claim goes through. */
  load.claims = TRUE;
  run_load (&load, opt_connections, 0.5);
  if (load.ok == 0)
    die (load.first_error != NULL ? load.first_error : "no claim succeeded", NULL);
  g_clear_pointer (&load.first_error, g_free);

  claims_per_s = run_load (&load, opt_connections, opt_seconds);
  claims_ok = load.ok;
  claims_errors = load.errors;
  claims_conflicts = load.conflicts;
  claims_first_error = g_steal_pointer (&load.first_error);

  load.claims = FALSE;
  run_load (&load, opt_connections, 0.5);
  healthz_per_s = run_load (&load, opt_connections, opt_seconds);

  g_print ("bench-claims: %d connections, %.1f s per workload, %u slots of one run\n",
           opt_connections, opt_seconds, slots->len);
  g_print ("  %-36s %10s %8s %8s\n", "workload", "req/s", "ok", "errors");
  g_print ("  %-36s %10.0f %8u %8u\n", "POST /api/v1/slots/{id}/claim (201)", claims_per_s,
           claims_ok, claims_errors);
  g_print ("  %-36s %10.0f %8u %8u\n", "GET /healthz", healthz_per_s, load.ok, load.errors);
  g_print ("  claims/s / healthz/s = %.3f (1 : %.1f)\n", claims_per_s / healthz_per_s,
           healthz_per_s / claims_per_s);
  if (claims_errors > 0)
    g_print ("  claim errors: %u (409: %u); first: %s\n", claims_errors, claims_conflicts,
             claims_first_error);

  g_clear_object (&session);
  stop_server ();
  check_bookings (db_path, &n_slots, &n_bad, &n_claimed);
  g_print ("  double bookings: %" G_GINT64_FORMAT " of %" G_GINT64_FORMAT " slots "
           "(orders on each slot == claimed <= capacity; %" G_GINT64_FORMAT " doses claimed)\n",
           n_bad, n_slots, n_claimed);

  g_free (load.order_fields);
  g_free (load.first_error);
  remove_tree (temp_dir);
  g_clear_pointer (&temp_dir, g_free);
  return n_bad == 0 ? 0 : 1;
}
