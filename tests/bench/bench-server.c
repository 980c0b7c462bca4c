/* bench-server.c — requests/s and latency of the HTTP API
 *
 *   bench-server [--seconds S | --requests N] [--connections C] [--threads T]
 *                [--server PATH]
 *
 * Starts the real becquerel-server as a subprocess (so server and client
 * do not share a main loop) with --demo on a fresh database in a
 * temporary directory, listening on 127.0.0.1 port 0; signs in as the
 * planner; then runs three workloads, one after the other, each over C
 * (default 64) concurrent keep-alive connections with C requests always
 * in flight (each completion sends the next):
 *
 *   GET /healthz                                  the floor: routing + JSON
 *   GET /api/v1/runs?from=…&to=…&limit=1000       one week of the demo, authenticated
 *   PATCH /api/v1/forecasts/{id} {"doses":N}      a small write: one transaction,
 *                                                 audit entry, fsync; no If-Match
 *
 * Each workload runs for S seconds (default 5) or N requests, after a
 * short warm-up that opens the connections, and is bounded either way (at
 * most 2,000,000 requests and 120 s).  The table gives requests/s, p50
 * and p99 latency as the client sees it, errors (transport failures and
 * unexpected statuses), each figure's ratio to /healthz's, and how busy
 * the server and this client were.  The server is stopped with SIGTERM
 * at the end and the directory removed.
 *
 * One SoupSession on one thread drives all C connections by default.
 * libsoup's client costs more CPU per request than the server does for
 * /healthz, so that row can be client-bound (see the CPU columns);
 * --threads T splits the connections over T sessions, each on a thread
 * and main context of its own, to take the client out of the figure.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <glib/gstdio.h>
#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bq-core.h"

#define PASSWORD        "bench-password-1"
#define STARTUP_TIMEOUT_MS (120 * 1000)
#define MAX_REQUESTS    2000000
#define MAX_SECONDS     120.0
#define WARM_UP         512
#define MAX_CONNECTIONS 256

typedef enum {
  WORKLOAD_HEALTHZ,
  WORKLOAD_RUNS_WEEK,
  WORKLOAD_WRITE,
  N_WORKLOADS
} WorkloadKind;

typedef struct {
  SoupSession *session;     /* for the set-up, on the main thread */
  char        *base;        /* "http://127.0.0.1:PORT" */
  char        *token;
  char        *week_query;  /* "?from=…&to=…&limit=1000" */
  GPtrArray   *forecasts;   /* ids the writes go to */
  guint        connections;
  guint        threads;
  const char  *server_pid;
} Bench;

typedef struct {
  const char *label;
  guint       n_requests;   /* measured */
  guint       errors;
  double      seconds;
  double      p50_ms;
  double      p99_ms;
  double      server_cpu;   /* share of one core, while measuring */
  double      client_cpu;
} Result;

/* Lets the workers start measuring together, once all are warm. */
typedef struct {
  GMutex   lock;
  GCond    cond;
  guint    ready;
  gboolean go;
  double   deadline;
} StartLine;

/* One thread: its own main context, session and share of the
 * connections, for one workload. */
typedef struct {
  Bench        *bench;
  StartLine    *start;
  WorkloadKind  kind;
  guint         index;
  guint         n_workers;
  guint         connections;
  guint         target;       /* requests to measure; 0: until the deadline */
  SoupSession  *session;
  guint64       counter;      /* makes every write of this worker a change */
  /* The phase under way (warm-up, then measuring). */
  gboolean      measuring;
  guint         phase_target;
  double        deadline;     /* monotonic seconds; 0: none */
  double        hard_deadline;
  guint         issued;
  guint         in_flight;
  guint         errors;
  GArray       *latencies;    /* double, ms, measured requests only */
  char         *first_error;
  guint         warm_errors;
  char         *warm_first_error;
} Worker;

typedef struct {
  Worker      *worker;
  SoupMessage *msg;
  double       sent;
} InFlight;

/* What die() must not leave behind. */
static GSubprocess *server_process;
static char *temp_dir;

static void remove_tree (const char *path);

static void
die (const char   *what,
     const GError *error)
{
  g_printerr ("bench-server: %s%s%s\n", what, error ? ": " : "", error ? error->message : "");
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

/* ----------------------------------------------------------------- server */

static char *
server_binary (const char *option)
{
  const char *env = g_getenv ("BECQUEREL_SERVER");

  if (option != NULL)
    return g_strdup (option);
  if (env != NULL)
    return g_strdup (env);
  return g_strdup (BQ_SERVER_BINARY);
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
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

/* Runs the main context until *@flag or @timeout_ms; FALSE on timeout. */
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

/* Starts the server; its base URI, which must be on 127.0.0.1. */
static char *
start_server (const char    *binary,
              const char    *db_path,
              GSubprocess  **process)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;
  const char *argv[] = { binary, "--db", db_path, "--demo", "--listen", "127.0.0.1:0", NULL };

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "BECQUEREL_DEMO_PASSWORD", PASSWORD, TRUE);
  /* A debug line per request would measure the terminal, not the server. */
  g_subprocess_launcher_unsetenv (launcher, "G_MESSAGES_DEBUG");
  *process = g_subprocess_launcher_spawnv (launcher, argv, &error);
  if (*process == NULL)
    die (binary, error);
  server_process = *process;

  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (*process));
  for (;;)
    {
      LineRead read = { FALSE, NULL };
      g_autofree char *line = NULL;
      const char *prefix = "Listening on http://127.0.0.1:";

      g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
      if (!run_until (&read.done, STARTUP_TIMEOUT_MS))
        die ("the server did not say where it listens", NULL);
      line = read.line;
      if (line == NULL)
        die ("the server ended before it listened", NULL);
      if (g_str_has_prefix (line, "Listening on "))
        {
          if (!g_str_has_prefix (line, prefix) || !g_str_has_suffix (line, "/"))
            die ("the server listens somewhere else than 127.0.0.1", NULL);
          return g_strndup (line + strlen ("Listening on "),
                            strlen (line) - strlen ("Listening on ") - 1);
        }
    }
}

static void
stop_server (GSubprocess *process)
{
  gint64 end = g_get_monotonic_time () + 30 * G_USEC_PER_SEC;

  g_subprocess_send_signal (process, SIGTERM);
  while (g_subprocess_get_identifier (process) != NULL && g_get_monotonic_time () < end)
    {
      g_main_context_iteration (NULL, FALSE);
      g_usleep (10000);
    }
  if (g_subprocess_get_identifier (process) != NULL)
    {
      g_printerr ("bench-server: the server did not stop after SIGTERM; killing it\n");
      g_subprocess_force_exit (process);
    }
  g_subprocess_wait (process, NULL, NULL);
}

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

/* One blocking request for the set-up; its JSON answer. */
static JsonNode *
request_json (Bench      *bench,
              const char *method,
              const char *path,
              const char *body,
              guint       expected)
{
  g_autofree char *uri = g_strconcat (bench->base, path, NULL);
  g_autoptr(SoupMessage) msg = soup_message_new (method, uri);
  g_autoptr(GBytes) answer = NULL;
  g_autoptr(GError) error = NULL;
  Pending pending = { FALSE, NULL, NULL };
  JsonNode *node;
  const char *data;
  gsize size;

  if (bench->token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", bench->token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
    }
  if (body != NULL)
    {
      g_autoptr(GBytes) bytes = g_bytes_new (body, strlen (body));

      soup_message_set_request_body_from_bytes (msg, "application/json", bytes);
    }
  soup_session_send_and_read_async (bench->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent,
                                    &pending);
  if (!run_until (&pending.done, 60 * 1000))
    die (path, NULL);
  if (pending.error != NULL)
    die (path, pending.error);
  answer = pending.body;
  if (soup_message_get_status (msg) != expected)
    {
      g_autofree char *what = g_strdup_printf ("%s %s: HTTP %u", method, path,
                                               soup_message_get_status (msg));
      die (what, NULL);
    }
  data = g_bytes_get_data (answer, &size);
  node = json_from_string (size > 0 ? data : "null", &error);
  if (node == NULL)
    die (path, error);
  return node;
}

/* ------------------------------------------------------------------- CPU */

/* CPU seconds the server has used (Linux /proc), or -1. */
static double
server_cpu_seconds (Bench *bench)
{
  g_autofree char *path = g_strdup_printf ("/proc/%s/stat", bench->server_pid);
  g_autofree char *text = NULL;
  g_auto(GStrv) fields = NULL;
  const char *after_name;

  if (bench->server_pid == NULL || !g_file_get_contents (path, &text, NULL, NULL))
    return -1;
  /* "pid (comm) state …": count from after the name, which may hold spaces. */
  after_name = strrchr (text, ')');
  if (after_name == NULL)
    return -1;
  fields = g_strsplit (after_name + 2, " ", 0);
  if (g_strv_length (fields) < 13)
    return -1;
  /* utime and stime are fields 14 and 15 of stat, 12 and 13 from state. */
  return (g_ascii_strtod (fields[11], NULL) + g_ascii_strtod (fields[12], NULL)) /
         sysconf (_SC_CLK_TCK);
}

static double
client_cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_utime.tv_usec / 1e6 +
         usage.ru_stime.tv_sec + usage.ru_stime.tv_usec / 1e6;
}

/* ------------------------------------------------------------- workloads */

static const char *
workload_label (WorkloadKind kind)
{
  switch (kind)
    {
    case WORKLOAD_HEALTHZ:
      return "GET /healthz";
    case WORKLOAD_RUNS_WEEK:
      return "GET /api/v1/runs (1 week)";
    case WORKLOAD_WRITE:
      return "PATCH /api/v1/forecasts/{id}";
    case N_WORKLOADS:
    default:
      g_assert_not_reached ();
    }
}

static gboolean
phase_continues (Worker *worker)
{
  double t = now ();

  if (t >= worker->hard_deadline || worker->issued >= MAX_REQUESTS)
    return FALSE;
  if (worker->phase_target > 0)
    return worker->issued < worker->phase_target;
  return t < worker->deadline;
}

static void issue (Worker *worker);

static void
on_done (GObject      *source,
         GAsyncResult *result,
         gpointer      user_data)
{
  InFlight *flight = user_data;
  Worker *worker = flight->worker;
  g_autoptr(GBytes) body = NULL;
  g_autoptr(GError) error = NULL;
  double latency = (now () - flight->sent) * 1000.0;
  guint status;

  body = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  status = soup_message_get_status (flight->msg);
  if (body == NULL || status != SOUP_STATUS_OK)
    {
      worker->errors++;
      if (worker->first_error == NULL)
        worker->first_error = body == NULL ? g_strdup (error->message)
                                           : g_strdup_printf ("HTTP %u", status);
    }
  if (worker->measuring)
    g_array_append_val (worker->latencies, latency);

  g_object_unref (flight->msg);
  g_free (flight);
  worker->in_flight--;

  if (phase_continues (worker))
    issue (worker);
}

static void
issue (Worker *worker)
{
  Bench *bench = worker->bench;
  InFlight *flight = g_new0 (InFlight, 1);
  g_autofree char *uri = NULL;
  g_autofree char *authorization = NULL;

  if (worker->kind == WORKLOAD_HEALTHZ)
    {
      uri = g_strconcat (bench->base, "/healthz", NULL);
      flight->msg = soup_message_new ("GET", uri);
    }
  else if (worker->kind == WORKLOAD_RUNS_WEEK)
    {
      uri = g_strconcat (bench->base, "/api/v1/runs", bench->week_query, NULL);
      flight->msg = soup_message_new ("GET", uri);
    }
  else
    {
      /* Worker i writes the forecasts i, i + T, i + 2T, …: its counter
       * only grows, so every PATCH really changes one. */
      guint n_mine = (bench->forecasts->len - worker->index + worker->n_workers - 1) /
                     worker->n_workers;
      guint slot = worker->index + (guint) (worker->counter % n_mine) * worker->n_workers;
      const char *id = g_ptr_array_index (bench->forecasts, slot);
      g_autofree char *escaped = g_uri_escape_string (id, NULL, FALSE);
      char *text = g_strdup_printf ("{\"doses\":%" G_GUINT64_FORMAT "}", ++worker->counter);
      g_autoptr(GBytes) body = g_bytes_new_take (text, strlen (text));

      uri = g_strconcat (bench->base, "/api/v1/forecasts/", escaped, NULL);
      flight->msg = soup_message_new ("PATCH", uri);
      soup_message_set_request_body_from_bytes (flight->msg, "application/json", body);
      /* Setting doses to N is idempotent.  Without this libsoup sends
       * every PATCH on a new connection, and the bench would measure TCP
       * connects instead of keep-alive requests. */
      soup_message_add_flags (flight->msg, SOUP_MESSAGE_IDEMPOTENT);
    }

  if (worker->kind != WORKLOAD_HEALTHZ)
    {
      authorization = g_strconcat ("Bearer ", bench->token, NULL);
      soup_message_headers_replace (soup_message_get_request_headers (flight->msg),
                                    "Authorization", authorization);
    }

  flight->worker = worker;
  flight->sent = now ();
  worker->issued++;
  worker->in_flight++;
  soup_session_send_and_read_async (worker->session, flight->msg, G_PRIORITY_DEFAULT, NULL,
                                    on_done, flight);
}

/* One phase with all the worker's connections busy until it ends. */
static void
run_phase (Worker  *worker,
           GMainContext *context)
{
  worker->issued = 0;
  worker->errors = 0;
  for (guint i = 0; i < worker->connections && phase_continues (worker); i++)
    issue (worker);
  while (worker->in_flight > 0)
    g_main_context_iteration (context, TRUE);
}

static gpointer
worker_thread (gpointer data)
{
  Worker *worker = data;
  StartLine *start = worker->start;
  GMainContext *context = g_main_context_new ();

  g_main_context_push_thread_default (context);
  worker->session = soup_session_new_with_options ("max-conns", worker->connections,
                                                   "max-conns-per-host", worker->connections,
                                                   "timeout", 60,
                                                   NULL);

  /* Opens the connections and warms the server's caches. */
  worker->phase_target = WARM_UP / worker->n_workers;
  worker->hard_deadline = now () + MAX_SECONDS;
  run_phase (worker, context);
  worker->warm_errors = worker->errors;
  worker->warm_first_error = g_steal_pointer (&worker->first_error);

  g_mutex_lock (&start->lock);
  start->ready++;
  g_cond_broadcast (&start->cond);
  while (!start->go)
    g_cond_wait (&start->cond, &start->lock);
  worker->deadline = start->deadline;
  g_mutex_unlock (&start->lock);

  worker->measuring = TRUE;
  worker->phase_target = worker->target;
  worker->hard_deadline = now () + MAX_SECONDS;
  run_phase (worker, context);

  g_clear_object (&worker->session);
  /* Let the closed connections finish on this context. */
  while (g_main_context_iteration (context, FALSE))
    ;
  g_main_context_pop_thread_default (context);
  g_main_context_unref (context);
  return NULL;
}

static int
compare_doubles (gconstpointer a,
                 gconstpointer b)
{
  double x = *(const double *) a, y = *(const double *) b;

  return (x > y) - (x < y);
}

static double
percentile (GArray *sorted,
            double  fraction)
{
  guint index;

  if (sorted->len == 0)
    return 0;
  index = (guint) (fraction * (sorted->len - 1) + 0.5);
  return g_array_index (sorted, double, MIN (index, sorted->len - 1));
}

static void
run_workload (Bench        *bench,
              WorkloadKind  kind,
              guint         n_requests,
              double        seconds,
              Result       *result)
{
  StartLine start = { 0, };
  g_autofree Worker *workers = g_new0 (Worker, bench->threads);
  g_autofree GThread **threads = g_new0 (GThread *, bench->threads);
  g_autoptr(GArray) latencies = g_array_new (FALSE, FALSE, sizeof (double));
  double server_cpu, client_cpu, started;

  g_mutex_init (&start.lock);
  g_cond_init (&start.cond);
  for (guint t = 0; t < bench->threads; t++)
    {
      Worker *worker = &workers[t];

      worker->bench = bench;
      worker->start = &start;
      worker->kind = kind;
      worker->index = t;
      worker->n_workers = bench->threads;
      /* The connections and requests shared out as evenly as they go. */
      worker->connections = bench->connections / bench->threads +
                            (t < bench->connections % bench->threads);
      worker->target = n_requests / bench->threads + (t < n_requests % bench->threads);
      worker->latencies = g_array_new (FALSE, FALSE, sizeof (double));
      threads[t] = g_thread_new ("bench-worker", worker_thread, worker);
    }

  g_mutex_lock (&start.lock);
  while (start.ready < bench->threads)
    g_cond_wait (&start.cond, &start.lock);
  server_cpu = server_cpu_seconds (bench);
  client_cpu = client_cpu_seconds ();
  started = now ();
  start.deadline = started + seconds;
  start.go = TRUE;
  g_cond_broadcast (&start.cond);
  g_mutex_unlock (&start.lock);

  for (guint t = 0; t < bench->threads; t++)
    g_thread_join (threads[t]);
  result->seconds = now () - started;
  result->server_cpu = server_cpu < 0 ? -1
                       : (server_cpu_seconds (bench) - server_cpu) / result->seconds;
  result->client_cpu = (client_cpu_seconds () - client_cpu) / result->seconds;

  result->label = workload_label (kind);
  result->errors = 0;
  for (guint t = 0; t < bench->threads; t++)
    {
      Worker *worker = &workers[t];

      g_array_append_vals (latencies, worker->latencies->data, worker->latencies->len);
      result->errors += worker->errors;
      if (worker->first_error != NULL)
        g_printerr ("bench-server: %s: %u errors, the first: %s\n", result->label,
                    worker->errors, worker->first_error);
      if (worker->warm_errors > 0)
        g_printerr ("bench-server: %s: %u errors while warming up, the first: %s\n",
                    result->label, worker->warm_errors, worker->warm_first_error);
      g_array_unref (worker->latencies);
      g_free (worker->first_error);
      g_free (worker->warm_first_error);
    }
  g_array_sort (latencies, compare_doubles);
  result->n_requests = latencies->len;
  result->p50_ms = percentile (latencies, 0.50);
  result->p99_ms = percentile (latencies, 0.99);
  g_mutex_clear (&start.lock);
  g_cond_clear (&start.cond);
}

/* ------------------------------------------------------------------- main */

static void
sign_in (Bench *bench)
{
  g_autoptr(JsonNode) node = NULL;

  node = request_json (bench, "POST", "/api/v1/session",
                       "{\"username\":\"planner\",\"password\":\"" PASSWORD "\"}",
                       SOUP_STATUS_CREATED);
  bench->token = g_strdup (json_object_get_string_member (json_node_get_object (node), "token"));
}

/* The second week of the demo (the server's, made with the default
 * options today), and how many runs it has. */
static guint
choose_week (Bench *bench)
{
  BqDemoOptions options;
  g_autofree char *from = NULL;
  g_autofree char *to = NULL;
  g_autofree char *path = NULL;
  g_autoptr(JsonNode) node = NULL;
  JsonObject *object;

  bq_demo_options_init_default (&options);
  from = bq_units_format_time (options.start + 7 * 86400);
  to = bq_units_format_time (options.start + 14 * 86400);
  bench->week_query = g_strdup_printf ("?from=%s&to=%s&limit=1000", from, to);
  path = g_strconcat ("/api/v1/runs", bench->week_query, NULL);
  node = request_json (bench, "GET", path, NULL, SOUP_STATUS_OK);
  object = json_node_get_object (node);
  if (!json_object_get_null_member (object, "next_offset"))
    die ("a week of runs does not fit one page", NULL);
  return json_array_get_length (json_object_get_array_member (object, "items"));
}

static void
choose_forecasts (Bench *bench)
{
  g_autoptr(JsonNode) node = request_json (bench, "GET", "/api/v1/forecasts?limit=64", NULL,
                                           SOUP_STATUS_OK);
  JsonArray *items = json_object_get_array_member (json_node_get_object (node), "items");

  bench->forecasts = g_ptr_array_new_with_free_func (g_free);
  for (guint i = 0; i < json_array_get_length (items); i++)
    g_ptr_array_add (bench->forecasts,
                     g_strdup (json_object_get_string_member (json_array_get_object_element (items, i),
                                                              "id")));
  if (bench->forecasts->len == 0)
    die ("the demo has no forecasts", NULL);
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) process = NULL;
  g_autofree char *dir = NULL;
  g_autofree char *db_path = NULL;
  g_autofree char *binary = NULL;
  g_autofree char *server_option = NULL;
  g_autofree char *amount = NULL;
  gint n_requests = 0;
  gdouble seconds = 5.0;
  gint connections = 64;
  gint threads = 1;
  Result results[N_WORKLOADS];
  Bench bench = { 0, };
  guint week_runs;
  const GOptionEntry entries[] = {
    { "requests", 'n', 0, G_OPTION_ARG_INT, &n_requests,
      "Requests per workload (instead of a duration)", "N" },
    { "seconds", 's', 0, G_OPTION_ARG_DOUBLE, &seconds,
      "Seconds per workload (default 5)", "S" },
    { "connections", 'c', 0, G_OPTION_ARG_INT, &connections,
      "Concurrent keep-alive connections (default 64)", "C" },
    { "threads", 't', 0, G_OPTION_ARG_INT, &threads,
      "Client threads, each with a session of its own (default 1)", "T" },
    { "server", 0, 0, G_OPTION_ARG_FILENAME, &server_option,
      "The becquerel-server binary", "PATH" },
    { NULL }
  };

  context = g_option_context_new ("— requests/s and latency of becquerel-server");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    die ("options", error);
  if (n_requests < 0 || n_requests > MAX_REQUESTS || seconds <= 0 || seconds > MAX_SECONDS ||
      connections < 1 || connections > MAX_CONNECTIONS || threads < 1 || threads > connections)
    {
      g_printerr ("bench-server: --requests 0-%d, --seconds up to %g, --connections 1-%d, "
                  "--threads 1-C\n", MAX_REQUESTS, MAX_SECONDS, MAX_CONNECTIONS);
      return 2;
    }

  dir = g_dir_make_tmp ("bench-server-XXXXXX", &error);
  if (dir == NULL)
    die ("temporary directory", error);
  temp_dir = dir;
  db_path = g_build_filename (dir, "server.db", NULL);
  binary = server_binary (server_option);

  g_print ("Starting %s --demo ...\n", binary);
  bench.base = start_server (binary, db_path, &process);
  bench.server_pid = g_subprocess_get_identifier (process);
  bench.connections = (guint) connections;
  bench.threads = (guint) threads;
  bench.session = soup_session_new_with_options ("max-conns", connections,
                                                 "max-conns-per-host", connections,
                                                 "timeout", 60,
                                                 NULL);
  sign_in (&bench);
  week_runs = choose_week (&bench);
  choose_forecasts (&bench);

  amount = n_requests > 0 ? g_strdup_printf ("%d requests", n_requests)
                         : g_strdup_printf ("%.1f s", seconds);
  g_print ("Server %s; %d keep-alive connections over %d client thread%s; %s per workload;\n"
           "one week = %u runs; writes to %u forecasts\n\n", bench.base, connections, threads,
           threads == 1 ? "" : "s", amount, week_runs, bench.forecasts->len);

  for (guint k = 0; k < N_WORKLOADS; k++)
    run_workload (&bench, k, (guint) n_requests, seconds, &results[k]);

  g_print ("%-30s %8s %6s %8s %7s %7s %8s %7s %7s %7s %7s\n", "workload", "requests", "errors",
           "req/s", "p50 ms", "p99 ms", "req/s/hz", "p50/hz", "p99/hz", "srv CPU", "cli CPU");
  for (guint k = 0; k < N_WORKLOADS; k++)
    {
      const Result *r = &results[k];
      const Result *h = &results[WORKLOAD_HEALTHZ];
      double rate = r->n_requests / r->seconds;
      double h_rate = h->n_requests / h->seconds;

      g_print ("%-30s %8u %6u %8.0f %7.2f %7.2f %8.3f %7.2f %7.2f %6.0f%% %6.0f%%\n", r->label,
               r->n_requests, r->errors, rate, r->p50_ms, r->p99_ms, rate / h_rate,
               h->p50_ms > 0 ? r->p50_ms / h->p50_ms : 0, h->p99_ms > 0 ? r->p99_ms / h->p99_ms : 0,
               r->server_cpu * 100, r->client_cpu * 100);
    }
  g_print ("\n/hz: the ratio to GET /healthz.  Latency as the client sees it with %d in flight;\n"
           "CPU: of one core, server (from /proc) and this client, while measuring.\n",
           connections);

  g_clear_object (&bench.session);
  stop_server (process);
  server_process = NULL;
  remove_tree (dir);
  temp_dir = NULL;

  g_free (bench.base);
  g_free (bench.token);
  g_free (bench.week_query);
  g_ptr_array_unref (bench.forecasts);
  return 0;
}
