/* bq-test-server.c — a server to test against, and a client to drive it
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include <glib/gstdio.h>

#include "bq-core.h"
#include "bq-test-server.h"

#define STARTUP_TIMEOUT_MS (120 * 1000)
#define REQUEST_TIMEOUT_MS (120 * 1000)

/* --------------------------------------------------------------- helpers */

static gboolean
on_timeout (gpointer user_data)
{
  gboolean *timed_out = user_data;

  *timed_out = TRUE;
  return G_SOURCE_REMOVE;
}

gboolean
bq_test_run_until (const gboolean *flag,
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

static void
remove_tree (const char *path)
{
  g_autoptr(GDir) dir = NULL;
  const char *name;

  if (path == NULL)
    return;
  dir = g_dir_open (path, 0, NULL);
  while (dir != NULL && (name = g_dir_read_name (dir)) != NULL)
    {
      g_autofree char *child = g_build_filename (path, name, NULL);

      if (g_file_test (child, G_FILE_TEST_IS_DIR))
        remove_tree (child);
      else
        g_unlink (child);
    }
  g_rmdir (path);
}

static BqTestServer *
test_server_alloc (void)
{
  BqTestServer *self = g_new0 (BqTestServer, 1);
  g_autoptr(GError) error = NULL;

  self->dir = g_dir_make_tmp ("bq-test-server-XXXXXX", &error);
  g_assert_no_error (error);
  self->db_path = g_build_filename (self->dir, "server.db", NULL);
  self->session = soup_session_new_with_options ("timeout", 120, "idle-timeout", 60, NULL);
  return self;
}

/* "http://127.0.0.1:PORT/" → "http://127.0.0.1:PORT" */
static char *
base_from_uri (const char *uri)
{
  g_assert_nonnull (uri);
  g_assert_true (g_str_has_suffix (uri, "/"));
  return g_strndup (uri, strlen (uri) - 1);
}

/* ----------------------------------------------------------- in-process */

BqTestServer *
bq_test_server_new (void)
{
  BqTestServer *self = test_server_alloc ();
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = NULL;
  g_autofree char *uri = NULL;
  BqDemoOptions options;

  self->store = bq_store_open (self->db_path, &error);
  g_assert_no_error (error);

  bq_demo_options_init_default (&options);
  options.seed = 1;
  options.start = BQ_TEST_DEMO_START;
  bq_demo_generate (self->store, &options, &error);
  g_assert_no_error (error);

  self->auth = bq_auth_new (self->store);
  bq_auth_set_fast_hashing (self->auth, TRUE);
  users = bq_store_list (self->store, &bq_user_type, &error);
  g_assert_no_error (error);
  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);

      bq_auth_set_password (self->auth, user->base.id, BQ_TEST_PASSWORD, &error);
      g_assert_no_error (error);
    }

  self->server = bq_server_new (self->store, self->auth);
  bq_server_listen (self->server, "127.0.0.1", 0, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (bq_server_get_port (self->server), >, 0);

  uri = bq_server_get_uri (self->server);
  self->base = base_from_uri (uri);
  return self;
}

/* ------------------------------------------------------------ subprocess */

static char *
server_binary (void)
{
  const char *env = g_getenv ("BECQUEREL_SERVER");
  const char *builddir = g_getenv ("G_TEST_BUILDDIR");

  if (env != NULL)
    return g_strdup (env);
  if (builddir == NULL)
    builddir = ".";
  return g_build_filename (builddir, "..", "src", "server", "becquerel-server", NULL);
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

static void
spawn_subprocess (BqTestServer       *self,
                  const char * const *extra_args)
{
  g_autoptr(GSubprocessLauncher) launcher = NULL;
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func (g_free);
  g_autoptr(GDataInputStream) out = NULL;
  g_autoptr(GError) error = NULL;

  g_ptr_array_add (argv, server_binary ());
  g_ptr_array_add (argv, g_strdup ("--db"));
  g_ptr_array_add (argv, g_strdup (self->db_path));
  g_ptr_array_add (argv, g_strdup ("--demo"));
  g_ptr_array_add (argv, g_strdup ("--listen"));
  g_ptr_array_add (argv, g_strdup ("127.0.0.1:0"));
  for (guint i = 0; extra_args != NULL && extra_args[i] != NULL; i++)
    g_ptr_array_add (argv, g_strdup (extra_args[i]));
  g_ptr_array_add (argv, NULL);

  launcher = g_subprocess_launcher_new (G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_setenv (launcher, "BECQUEREL_DEMO_PASSWORD", BQ_TEST_PASSWORD, TRUE);
  g_subprocess_launcher_setenv (launcher, "LC_ALL", "C.UTF-8", TRUE);
  self->process = g_subprocess_launcher_spawnv (launcher, (const char * const *) argv->pdata,
                                                &error);
  g_assert_no_error (error);

  /* The first line that says where it listens; anything before it
   * (notes about the demo) is skipped. */
  g_clear_pointer (&self->base, g_free);
  out = g_data_input_stream_new (g_subprocess_get_stdout_pipe (self->process));
  while (self->base == NULL)
    {
      LineRead read = { FALSE, NULL };

      g_data_input_stream_read_line_async (out, G_PRIORITY_DEFAULT, NULL, on_line_read, &read);
      if (!bq_test_run_until (&read.done, STARTUP_TIMEOUT_MS))
        g_error ("%s did not say where it listens", (char *) argv->pdata[0]);
      if (read.line == NULL)
        g_error ("%s ended before it listened", (char *) argv->pdata[0]);
      if (g_str_has_prefix (read.line, "Listening on "))
        self->base = base_from_uri (read.line + strlen ("Listening on "));
      g_free (read.line);
    }
}

BqTestServer *
bq_test_server_new_subprocess (const char * const *extra_args)
{
  BqTestServer *self = test_server_alloc ();

  spawn_subprocess (self, extra_args);
  return self;
}

void
bq_test_server_respawn_subprocess (BqTestServer       *self,
                                   const char * const *extra_args)
{
  g_assert_nonnull (self->process);

  g_subprocess_send_signal (self->process, SIGKILL);
  g_subprocess_wait (self->process, NULL, NULL);
  g_clear_object (&self->process);

  /* Connections to the dead process must not be reused. */
  g_clear_object (&self->session);
  self->session = soup_session_new_with_options ("timeout", 120, "idle-timeout", 60, NULL);

  spawn_subprocess (self, extra_args);
}

static void
on_wait_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  gboolean *done = user_data;

  g_subprocess_wait_finish (G_SUBPROCESS (source), result, NULL);
  *done = TRUE;
}

int
bq_test_server_stop_subprocess (BqTestServer *self)
{
  gboolean done = FALSE;

  g_assert_nonnull (self->process);

  g_subprocess_send_signal (self->process, SIGTERM);
  g_subprocess_wait_async (self->process, NULL, on_wait_done, &done);
  if (!bq_test_run_until (&done, STARTUP_TIMEOUT_MS))
    {
      g_subprocess_force_exit (self->process);
      g_error ("the server did not stop after SIGTERM");
    }
  if (!g_subprocess_get_if_exited (self->process))
    return -1;
  return g_subprocess_get_exit_status (self->process);
}

/* -------------------------------------------------------------- teardown */

void
bq_test_server_free (BqTestServer *self)
{
  if (self == NULL)
    return;

  /* The server first: libsoup 3.2 leaks server connections that the
   * client closes while idle, but not those the server closes. */
  if (self->server != NULL)
    bq_server_stop (self->server);
  g_clear_object (&self->session);
  g_clear_object (&self->trusted_certificate);
  g_clear_object (&self->server);
  g_clear_object (&self->auth);
  g_clear_object (&self->store);
  if (self->process != NULL && g_subprocess_get_identifier (self->process) != NULL)
    {
      g_subprocess_force_exit (self->process);
      g_subprocess_wait (self->process, NULL, NULL);
    }
  g_clear_object (&self->process);

  /* Let closed connections finish what they queued on the context. */
  while (g_main_context_iteration (NULL, FALSE))
    ;

  remove_tree (self->dir);
  g_free (self->dir);
  g_free (self->db_path);
  g_free (self->base);
  g_free (self);
}

/* -------------------------------------------------------------- requests */

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

static gboolean
on_accept_certificate (SoupMessage          *msg,
                       GTlsCertificate      *certificate,
                       GTlsCertificateFlags  errors,
                       gpointer              user_data)
{
  BqTestServer *self = user_data;

  return g_tls_certificate_is_same (certificate, self->trusted_certificate);
}

BqTestResponse *
bq_test_request_full (BqTestServer       *self,
                      const char         *method,
                      const char         *path,
                      const char         *token,
                      GBytes             *body,
                      const char * const *headers)
{
  g_autofree char *uri = g_strconcat (self->base, path, NULL);
  g_autoptr(SoupMessage) msg = NULL;
  BqTestResponse *response;
  Pending pending = { FALSE, NULL, NULL };
  const char *content_type;

  msg = soup_message_new (method, uri);
  if (msg == NULL)
    g_error ("cannot make a request of %s %s", method, uri);

  if (token != NULL)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
    }
  for (guint i = 0; headers != NULL && headers[i] != NULL && headers[i + 1] != NULL; i += 2)
    soup_message_headers_replace (soup_message_get_request_headers (msg), headers[i],
                                  headers[i + 1]);
  if (body != NULL)
    soup_message_set_request_body_from_bytes (msg, "application/json", body);
  if (self->trusted_certificate != NULL)
    g_signal_connect (msg, "accept-certificate", G_CALLBACK (on_accept_certificate), self);

  soup_session_send_and_read_async (self->session, msg, G_PRIORITY_DEFAULT, NULL, on_sent,
                                    &pending);
  if (!bq_test_run_until (&pending.done, REQUEST_TIMEOUT_MS))
    g_error ("%s %s: no answer", method, path);
  if (pending.error != NULL)
    g_error ("%s %s: %s", method, path, pending.error->message);

  response = g_new0 (BqTestResponse, 1);
  response->status = soup_message_get_status (msg);
  response->headers = soup_message_headers_ref (soup_message_get_response_headers (msg));
  response->body = pending.body;

  content_type = soup_message_headers_get_content_type (response->headers, NULL);
  if (g_strcmp0 (content_type, "application/json") == 0 && g_bytes_get_size (response->body) > 0)
    {
      g_autoptr(JsonParser) parser = json_parser_new ();
      g_autoptr(GError) error = NULL;
      gsize size;
      const char *data = g_bytes_get_data (response->body, &size);

      if (!json_parser_load_from_data (parser, data, (gssize) size, &error))
        g_error ("%s %s: the answer is not JSON: %s", method, path, error->message);
      response->json = json_node_copy (json_parser_get_root (parser));
    }
  return response;
}

BqTestResponse *
bq_test_request (BqTestServer *self,
                 const char   *method,
                 const char   *path,
                 const char   *token,
                 const char   *body,
                 ...)
{
  g_autoptr(GPtrArray) headers = g_ptr_array_new ();
  g_autoptr(GBytes) bytes = NULL;
  const char *header;
  va_list args;

  va_start (args, body);
  while ((header = va_arg (args, const char *)) != NULL)
    g_ptr_array_add (headers, (gpointer) header);
  va_end (args);
  g_ptr_array_add (headers, NULL);

  if (body != NULL)
    bytes = g_bytes_new (body, strlen (body));
  return bq_test_request_full (self, method, path, token, bytes,
                               (const char * const *) headers->pdata);
}

void
bq_test_response_free (BqTestResponse *response)
{
  if (response == NULL)
    return;
  g_clear_pointer (&response->headers, soup_message_headers_unref);
  g_clear_pointer (&response->body, g_bytes_unref);
  g_clear_pointer (&response->json, json_node_unref);
  g_free (response);
}

JsonObject *
bq_test_response_object (BqTestResponse *response)
{
  g_assert_nonnull (response->json);
  g_assert_true (JSON_NODE_HOLDS_OBJECT (response->json));
  return json_node_get_object (response->json);
}

static JsonObject *
error_object (BqTestResponse *response)
{
  JsonObject *object;
  JsonNode *error;

  if (response->json == NULL || !JSON_NODE_HOLDS_OBJECT (response->json))
    return NULL;
  object = json_node_get_object (response->json);
  error = json_object_get_member (object, "error");
  if (error == NULL || !JSON_NODE_HOLDS_OBJECT (error))
    return NULL;
  return json_node_get_object (error);
}

const char *
bq_test_response_error_code (BqTestResponse *response)
{
  JsonObject *error = error_object (response);

  return error != NULL ? json_object_get_string_member_with_default (error, "code", NULL) : NULL;
}

const char *
bq_test_response_error_field (BqTestResponse *response)
{
  JsonObject *error = error_object (response);

  return error != NULL ? json_object_get_string_member_with_default (error, "field", NULL) : NULL;
}

char *
bq_test_server_login (BqTestServer *self,
                      const char   *username)
{
  g_autoptr(BqTestResponse) response = NULL;
  g_autofree char *body = NULL;
  JsonObject *object;

  body = g_strdup_printf ("{\"username\":\"%s\",\"password\":\"%s\"}", username, BQ_TEST_PASSWORD);
  response = bq_test_request (self, "POST", "/api/v1/session", NULL, body, NULL);
  if (response->status != SOUP_STATUS_CREATED)
    g_error ("cannot sign in as %s: %u %s", username, response->status,
             bq_test_response_error_code (response));
  object = bq_test_response_object (response);
  return g_strdup (json_object_get_string_member (object, "token"));
}

/* ---------------------------------------------------------------- events */

#define QUEUE_KEY "bq-test-messages"
#define CLOSED_KEY "bq-test-closed"

typedef struct {
  gboolean                 done;
  SoupWebsocketConnection *connection;
  GError                  *error;
} Connecting;

static void
on_connected (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  Connecting *connecting = user_data;

  connecting->connection = soup_session_websocket_connect_finish (SOUP_SESSION (source), result,
                                                                  &connecting->error);
  connecting->done = TRUE;
}

static void
on_message (SoupWebsocketConnection *connection,
            gint                     type,
            GBytes                  *message,
            gpointer                 user_data)
{
  GQueue *queue = g_object_get_data (G_OBJECT (connection), QUEUE_KEY);
  gsize size;
  const char *data = g_bytes_get_data (message, &size);

  if (type == SOUP_WEBSOCKET_DATA_TEXT)
    g_queue_push_tail (queue, g_strndup (data, size));
}

static void
on_closed (SoupWebsocketConnection *connection,
           gpointer                 user_data)
{
  g_object_set_data (G_OBJECT (connection), CLOSED_KEY, GINT_TO_POINTER (TRUE));
}

static void
free_queue (gpointer data)
{
  g_queue_free_full (data, g_free);
}

SoupWebsocketConnection *
bq_test_server_connect_events (BqTestServer  *self,
                               const char    *token,
                               gboolean       token_in_query,
                               guint         *status,
                               GError       **error)
{
  g_autofree char *escaped = token != NULL ? g_uri_escape_string (token, NULL, FALSE) : NULL;
  g_autofree char *uri = NULL;
  g_autoptr(SoupMessage) msg = NULL;
  Connecting connecting = { FALSE, NULL, NULL };

  if (token != NULL && token_in_query)
    uri = g_strconcat (self->base, "/api/v1/events?access_token=", escaped, NULL);
  else
    uri = g_strconcat (self->base, "/api/v1/events", NULL);
  msg = soup_message_new ("GET", uri);

  if (token != NULL && !token_in_query)
    {
      g_autofree char *authorization = g_strconcat ("Bearer ", token, NULL);

      soup_message_headers_replace (soup_message_get_request_headers (msg), "Authorization",
                                    authorization);
    }
  soup_session_websocket_connect_async (self->session, msg, NULL, NULL, G_PRIORITY_DEFAULT,
                                        NULL, on_connected, &connecting);
  if (!bq_test_run_until (&connecting.done, REQUEST_TIMEOUT_MS))
    g_error ("the WebSocket handshake got no answer");
  if (status != NULL)
    *status = soup_message_get_status (msg);
  if (connecting.connection == NULL)
    {
      g_propagate_error (error, connecting.error);
      return NULL;
    }

  g_object_set_data_full (G_OBJECT (connecting.connection), QUEUE_KEY, g_queue_new (), free_queue);
  g_signal_connect (connecting.connection, "message", G_CALLBACK (on_message), NULL);
  g_signal_connect (connecting.connection, "closed", G_CALLBACK (on_closed), NULL);
  return connecting.connection;
}

static gboolean
on_poll (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

char *
bq_test_events_next (SoupWebsocketConnection *connection,
                     guint                    timeout_ms)
{
  GQueue *queue = g_object_get_data (G_OBJECT (connection), QUEUE_KEY);
  gboolean timed_out = FALSE;
  guint timeout_id, poll_id;

  g_assert_nonnull (queue);

  timeout_id = g_timeout_add (timeout_ms, on_timeout, &timed_out);
  /* Wakes the loop now and then to look at the queue and the state. */
  poll_id = g_timeout_add (10, on_poll, NULL);
  while (g_queue_is_empty (queue) && !timed_out &&
         g_object_get_data (G_OBJECT (connection), CLOSED_KEY) == NULL)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (poll_id);
  if (!timed_out)
    g_source_remove (timeout_id);

  return g_queue_pop_head (queue);
}
