/* main.c — becquerel-server: serve the API, and manage users and the audit
 *
 *   becquerel-server [--db FILE] [--demo] [--listen HOST:PORT]
 *                    [--tls-cert FILE --tls-key FILE] [--idle-timeout S]
 *                    [--verbose]
 *   becquerel-server [--db FILE] user add NAME --role ROLE [--centre ID]…
 *                    [--display-name TEXT] [--password-stdin]
 *   becquerel-server [--db FILE] user passwd NAME [--password-stdin]
 *   becquerel-server [--db FILE] user list
 *   becquerel-server [--db FILE] audit verify
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <errno.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include <glib-unix.h>
#include <glib/gstdio.h>
#include <sodium.h>

#include "bq-audit.h"
#include "bq-auth.h"
#include "bq-core.h"
#include "bq-server.h"

#define DEFAULT_LISTEN "127.0.0.1:8470"
#define DEFAULT_PORT   8470

/* Exit statuses: 0 done, 1 failed (or the audit trail is broken), 2 usage. */
enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

static char *opt_db;
static gboolean opt_demo;
static char *opt_listen;
static char *opt_tls_cert;
static char *opt_tls_key;
static int opt_idle_timeout = BQ_SERVER_IDLE_TIMEOUT_DEFAULT;
static gboolean opt_verbose;
static gboolean opt_version;

static const GOptionEntry server_entries[] = {
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db,
    "The database (default: $XDG_DATA_HOME/becquerel/server.db)", "FILE" },
  { "demo", 0, 0, G_OPTION_ARG_NONE, &opt_demo,
    "Fill an empty database with the demo network and its users", NULL },
  { "listen", 0, 0, G_OPTION_ARG_STRING, &opt_listen,
    "Address and port to listen on (default " DEFAULT_LISTEN "; port 0: any free one)",
    "HOST:PORT" },
  { "tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_cert,
    "Serve HTTPS with this PEM certificate (with --tls-key)", "FILE" },
  { "tls-key", 0, 0, G_OPTION_ARG_FILENAME, &opt_tls_key,
    "The PEM private key of --tls-cert", "FILE" },
  { "idle-timeout", 0, 0, G_OPTION_ARG_INT, &opt_idle_timeout,
    "Close HTTP connections idle this many seconds (default 60; 0: never)", "S" },
  { "verbose", 'v', 0, G_OPTION_ARG_NONE, &opt_verbose,
    "Log every request", NULL },
  { "version", 0, 0, G_OPTION_ARG_NONE, &opt_version,
    "Show the version", NULL },
  { NULL }
};

/* --------------------------------------------------------------- helpers */

static int
fail (const char *format,
      ...) G_GNUC_PRINTF (1, 2);

static int
fail (const char *format,
      ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);
  g_printerr ("becquerel-server: %s\n", message);
  return EXIT_FAILED;
}

static char *
default_db_path (void)
{
  return g_build_filename (g_get_user_data_dir (), "becquerel", "server.db", NULL);
}

static BqStore *
open_store (GError **error)
{
  g_autofree char *path = opt_db != NULL ? g_strdup (opt_db) : default_db_path ();
  g_autofree char *dir = g_path_get_dirname (path);

  if (g_mkdir_with_parents (dir, 0700) != 0)
    {
      int saved_errno = errno;

      g_set_error (error, G_FILE_ERROR, g_file_error_from_errno (saved_errno),
                   "cannot create %s: %s", dir, g_strerror (saved_errno));
      return NULL;
    }
  return bq_store_open (path, error);
}

static gint64
now_utc (void)
{
  return g_get_real_time () / G_USEC_PER_SEC;
}

/* Removes a trailing newline (and carriage return). */
static void
chomp (char *line)
{
  gsize length = strlen (line);

  while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r'))
    line[--length] = '\0';
}

/* One line of stdin, or NULL at end of file.  Wiped and freed with
 * free_password(). */
static char *
read_line (void)
{
  char *line = NULL;
  size_t capacity = 0;
  ssize_t length;

  length = getline (&line, &capacity, stdin);
  if (length < 0)
    {
      free (line);
      return NULL;
    }
  chomp (line);
  return line;
}

static void
free_password (char *password)
{
  if (password == NULL)
    return;
  sodium_memzero (password, strlen (password));
  free (password);
}

typedef char *PasswordText;
G_DEFINE_AUTO_CLEANUP_FREE_FUNC (PasswordText, free_password, NULL)

/* Asks on the terminal without echo. */
static char *
prompt_password (const char *prompt)
{
  struct termios saved, quiet;
  gboolean restore;
  char *line;

  fputs (prompt, stderr);
  fflush (stderr);

  restore = tcgetattr (STDIN_FILENO, &saved) == 0;
  if (restore)
    {
      quiet = saved;
      quiet.c_lflag &= ~(tcflag_t) ECHO;
      quiet.c_lflag |= ECHONL;
      tcsetattr (STDIN_FILENO, TCSAFLUSH, &quiet);
    }
  line = read_line ();
  if (restore)
    tcsetattr (STDIN_FILENO, TCSAFLUSH, &saved);
  return line;
}

/* The new password: a line of stdin with --password-stdin, otherwise
 * asked twice on the terminal. */
static char *
get_new_password (gboolean from_stdin,
                  GError **error)
{
  g_auto(PasswordText) first = NULL;
  g_auto(PasswordText) second = NULL;

  if (from_stdin)
    {
      char *line = read_line ();

      if (line == NULL)
        g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no password on stdin");
      return line;
    }

  if (!isatty (STDIN_FILENO))
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                   "stdin is not a terminal: use --password-stdin");
      return NULL;
    }
  first = prompt_password ("Password: ");
  second = first != NULL ? prompt_password ("Password again: ") : NULL;
  if (first == NULL || second == NULL)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "no password given");
      return NULL;
    }
  if (strcmp (first, second) != 0)
    {
      g_set_error (error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "the passwords differ");
      return NULL;
    }
  return g_steal_pointer (&first);
}

static BqUser *
find_user (BqStore    *store,
           const char *username,
           GError    **error)
{
  g_autoptr(BqQuery) query = bq_query_new (&bq_user_type);
  g_autoptr(GPtrArray) users = NULL;

  bq_query_where_equals (query, "username", username);
  users = bq_store_query (store, query, error);
  if (users == NULL)
    return NULL;
  if (users->len == 0)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND,
                   "there is no user “%s”", username);
      return NULL;
    }
  return bq_entity_copy (g_ptr_array_index (users, 0));
}

/* ----------------------------------------------------------------- users */

static char *opt_role;
static char **opt_centres;
static char *opt_display_name;
static gboolean opt_password_stdin;

static const GOptionEntry user_entries[] = {
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "The database", "FILE" },
  { "role", 0, 0, G_OPTION_ARG_STRING, &opt_role,
    "admin, planner, account_manager, qa, logistics or viewer", "ROLE" },
  { "centre", 0, 0, G_OPTION_ARG_STRING_ARRAY, &opt_centres,
    "A centre an account manager serves (repeat for more)", "ID" },
  { "display-name", 0, 0, G_OPTION_ARG_STRING, &opt_display_name,
    "The name shown in the app", "TEXT" },
  { "password-stdin", 0, 0, G_OPTION_ARG_NONE, &opt_password_stdin,
    "Read the password from one line of stdin instead of asking", NULL },
  { NULL }
};

static int
user_add (BqStore    *store,
          const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqAuth) auth = bq_auth_new (store);
  g_autoptr(BqUser) user = bq_user_new ();
  g_autoptr(BqUser) existing = NULL;
  g_auto(PasswordText) password = NULL;
  const BqField *role_field = bq_entity_type_get_field (&bq_user_type, "role");
  int role;

  if (opt_role == NULL)
    {
      g_printerr ("becquerel-server: user add needs --role\n");
      return EXIT_USAGE;
    }
  role = bq_enum_from_nick (role_field, opt_role);
  if (role < 0)
    {
      g_autofree char *roles = g_strjoinv (", ", (char **) role_field->enum_nicks);

      g_printerr ("becquerel-server: “%s” is not a role (%s)\n", opt_role, roles);
      return EXIT_USAGE;
    }

  existing = find_user (store, username, &error);
  if (existing != NULL)
    return fail ("there already is a user “%s”", username);
  if (!g_error_matches (error, BQ_STORE_ERROR, BQ_STORE_ERROR_NOT_FOUND))
    return fail ("%s", error->message);
  g_clear_error (&error);

  for (guint i = 0; opt_centres != NULL && opt_centres[i] != NULL; i++)
    {
      gpointer centre = bq_store_get (store, &bq_centre_type, opt_centres[i], &error);

      if (centre == NULL)
        return fail ("%s", error->message);
      bq_entity_free (centre);
    }

  user->base.id = g_strconcat ("user-", username, NULL);
  user->username = g_strdup (username);
  user->display_name = g_strdup (opt_display_name);
  user->role = role;
  user->centre_ids = opt_centres != NULL ? g_strdupv (opt_centres) : NULL;
  if (!bq_entity_validate (user, &error))
    return fail ("%s", error->message);

  password = get_new_password (opt_password_stdin, &error);
  if (password == NULL)
    return fail ("%s", error->message);

  /* The user, the password and the audit entry: all or nothing. */
  if (!bq_store_begin (store, &error))
    return fail ("%s", error->message);
  if (!bq_store_put (store, user, &error) ||
      !bq_auth_set_password (auth, user->base.id, password, &error) ||
      !bq_audit_append (store, now_utc (), NULL, "create", NULL, user,
                        "becquerel-server user add", &error))
    {
      bq_store_rollback (store);
      return fail ("%s", error->message);
    }
  if (!bq_store_commit (store, &error))
    return fail ("%s", error->message);

  g_print ("created user %s (%s)\n", username, opt_role);
  return EXIT_OK;
}

static int
user_passwd (BqStore    *store,
             const char *username)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqAuth) auth = bq_auth_new (store);
  g_autoptr(BqUser) user = NULL;
  g_auto(PasswordText) password = NULL;

  user = find_user (store, username, &error);
  if (user == NULL)
    return fail ("%s", error->message);
  password = get_new_password (opt_password_stdin, &error);
  if (password == NULL)
    return fail ("%s", error->message);

  if (!bq_store_begin (store, &error))
    return fail ("%s", error->message);
  if (!bq_auth_set_password (auth, user->base.id, password, &error) ||
      !bq_audit_append (store, now_utc (), NULL, "set_password", NULL, user,
                        "becquerel-server user passwd", &error))
    {
      bq_store_rollback (store);
      return fail ("%s", error->message);
    }
  if (!bq_store_commit (store, &error))
    return fail ("%s", error->message);

  g_print ("changed the password of %s\n", username);
  return EXIT_OK;
}

static int
user_list (BqStore *store)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GPtrArray) users = bq_store_list (store, &bq_user_type, &error);
  const BqField *role_field = bq_entity_type_get_field (&bq_user_type, "role");

  if (users == NULL)
    return fail ("%s", error->message);

  g_print ("%-16s %-16s %-9s %s\n", "USERNAME", "ROLE", "CENTRES", "NAME");
  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);

      g_print ("%-16s %-16s %-9u %s%s\n", user->username,
               bq_enum_to_nick (role_field, user->role),
               user->centre_ids != NULL ? g_strv_length (user->centre_ids) : 0,
               user->display_name != NULL ? user->display_name : "",
               user->disabled ? " (disabled)" : "");
    }
  return EXIT_OK;
}

static int
user_command (int    argc,
              char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  const char *verb;

  g_set_prgname ("becquerel-server user");
  context = g_option_context_new ("{add NAME | passwd NAME | list}");
  g_option_context_set_summary (context,
                                "Manage the users who may sign in.\n\n"
                                "  user add NAME --role ROLE [--centre ID]… [--display-name TEXT]\n"
                                "  user passwd NAME\n"
                                "  user list");
  g_option_context_add_main_entries (context, user_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("becquerel-server: %s\n", error->message);
      return EXIT_USAGE;
    }

  verb = argc > 1 ? argv[1] : NULL;
  if (verb == NULL ||
      (strcmp (verb, "list") == 0 && argc != 2) ||
      ((strcmp (verb, "add") == 0 || strcmp (verb, "passwd") == 0) && argc != 3))
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return EXIT_USAGE;
    }

  store = open_store (&error);
  if (store == NULL)
    return fail ("%s", error->message);

  if (strcmp (verb, "add") == 0)
    return user_add (store, argv[2]);
  if (strcmp (verb, "passwd") == 0)
    return user_passwd (store, argv[2]);
  if (strcmp (verb, "list") == 0)
    return user_list (store);

  g_printerr ("becquerel-server: unknown command “user %s”\n", verb);
  return EXIT_USAGE;
}

/* ----------------------------------------------------------------- audit */

static const GOptionEntry audit_entries[] = {
  { "db", 0, 0, G_OPTION_ARG_FILENAME, &opt_db, "The database", "FILE" },
  { NULL }
};

static int
audit_command (int    argc,
               char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  gint64 n_entries = 0, first_bad_seq = 0;

  g_set_prgname ("becquerel-server audit");
  context = g_option_context_new ("verify");
  g_option_context_set_summary (context, "Check that the audit trail's hash chain holds.");
  g_option_context_add_main_entries (context, audit_entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("becquerel-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (argc != 2 || strcmp (argv[1], "verify") != 0)
    {
      g_autofree char *help = g_option_context_get_help (context, TRUE, NULL);

      g_printerr ("%s", help);
      return EXIT_USAGE;
    }

  store = open_store (&error);
  if (store == NULL)
    return fail ("%s", error->message);

  if (bq_audit_verify (store, &n_entries, &first_bad_seq, &error))
    {
      g_print ("audit trail intact: %" G_GINT64_FORMAT " entries\n", n_entries);
      return EXIT_OK;
    }
  if (error != NULL)
    return fail ("cannot read the audit trail: %s", error->message);
  g_print ("audit trail broken at entry %" G_GINT64_FORMAT "\n", first_bad_seq);
  return EXIT_FAILED;
}

/* ------------------------------------------------------------------ serve */

/* A password a person can type: 4 groups of 4 from an alphabet without
 * look-alikes (no 0/o, 1/l). */
static char *
random_password (void)
{
  static const char alphabet[] = "abcdefghijkmnpqrstuvwxyz23456789";
  GString *password = g_string_new (NULL);

  for (guint i = 0; i < 16; i++)
    {
      if (i > 0 && i % 4 == 0)
        g_string_append_c (password, '-');
      g_string_append_c (password, alphabet[randombytes_uniform (sizeof alphabet - 1)]);
    }
  return g_string_free (password, FALSE);
}

/* --demo on an empty database: the demo network, and passwords for its
 * users (printed once, or $BECQUEREL_DEMO_PASSWORD for all of them). */
static gboolean
seed_demo (BqStore *store,
           BqAuth  *auth,
           GError **error)
{
  const char *shared = g_getenv ("BECQUEREL_DEMO_PASSWORD");
  g_autoptr(GPtrArray) users = NULL;
  BqDemoOptions options;

  if (bq_store_get_revision (store) != 0)
    {
      g_printerr ("becquerel-server: --demo: the database is not empty; leaving it as it is\n");
      return TRUE;
    }

  bq_demo_options_init_default (&options);
  if (!bq_demo_generate (store, &options, error))
    return FALSE;

  users = bq_store_list (store, &bq_user_type, error);
  if (users == NULL)
    return FALSE;

  if (!bq_store_begin (store, error))
    return FALSE;
  for (guint i = 0; i < users->len; i++)
    {
      const BqUser *user = g_ptr_array_index (users, i);
      g_autofree char *password = shared != NULL ? g_strdup (shared) : random_password ();

      if (!bq_auth_set_password (auth, user->base.id, password, error))
        {
          bq_store_rollback (store);
          return FALSE;
        }
      if (shared == NULL)
        g_print ("demo user %s: password %s\n", user->username, password);
      sodium_memzero (password, strlen (password));
    }
  if (!bq_audit_append (store, now_utc (), NULL, "demo", NULL, NULL,
                        "becquerel-server --demo: the demo network and its users", error))
    {
      bq_store_rollback (store);
      return FALSE;
    }
  return bq_store_commit (store, error);
}

/* "127.0.0.1:8470", "[::1]:8470", "localhost:0". */
static gboolean
parse_listen (const char  *text,
              char       **host,
              guint       *port,
              GError     **error)
{
  g_autoptr(GSocketConnectable) address = NULL;

  address = g_network_address_parse (text, DEFAULT_PORT, error);
  if (address == NULL)
    return FALSE;
  *host = g_strdup (g_network_address_get_hostname (G_NETWORK_ADDRESS (address)));
  *port = g_network_address_get_port (G_NETWORK_ADDRESS (address));
  return TRUE;
}

static gboolean
on_signal (gpointer user_data)
{
  GMainLoop *loop = user_data;

  g_message ("stopping");
  g_main_loop_quit (loop);
  return G_SOURCE_CONTINUE;
}

static int
serve (void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(BqStore) store = NULL;
  g_autoptr(BqAuth) auth = NULL;
  g_autoptr(BqServer) server = NULL;
  g_autoptr(GTlsCertificate) certificate = NULL;
  g_autoptr(GMainLoop) loop = NULL;
  g_autofree char *host = NULL;
  g_autofree char *uri = NULL;
  guint port = 0;
  guint sigint_id, sigterm_id;

  if (!parse_listen (opt_listen != NULL ? opt_listen : DEFAULT_LISTEN, &host, &port, &error))
    {
      g_printerr ("becquerel-server: --listen: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (opt_idle_timeout < 0)
    {
      g_printerr ("becquerel-server: --idle-timeout must not be negative\n");
      return EXIT_USAGE;
    }
  if ((opt_tls_cert == NULL) != (opt_tls_key == NULL))
    {
      g_printerr ("becquerel-server: --tls-cert and --tls-key go together\n");
      return EXIT_USAGE;
    }
  if (opt_tls_cert != NULL)
    {
      certificate = g_tls_certificate_new_from_files (opt_tls_cert, opt_tls_key, &error);
      if (certificate == NULL)
        return fail ("cannot load the TLS certificate: %s", error->message);
    }

  store = open_store (&error);
  if (store == NULL)
    return fail ("%s", error->message);
  auth = bq_auth_new (store);
  if (opt_demo && !seed_demo (store, auth, &error))
    return fail ("cannot create the demo: %s", error->message);

  server = bq_server_new (store, auth);
  bq_server_set_idle_timeout (server, (guint) opt_idle_timeout);
  if (!bq_server_listen (server, host, port, certificate, &error))
    return fail ("cannot listen on %s: %s", opt_listen != NULL ? opt_listen : DEFAULT_LISTEN,
                 error->message);

  uri = bq_server_get_uri (server);
  g_print ("Listening on %s\n", uri);
  fflush (stdout);

  loop = g_main_loop_new (NULL, FALSE);
  sigint_id = g_unix_signal_add (SIGINT, on_signal, loop);
  sigterm_id = g_unix_signal_add (SIGTERM, on_signal, loop);
  g_main_loop_run (loop);
  g_source_remove (sigint_id);
  g_source_remove (sigterm_id);

  /* Stop taking requests; what is committed is on disk (synchronous=FULL),
   * and dropping the last reference closes the database. */
  bq_server_stop (server);
  g_clear_object (&server);
  g_clear_object (&auth);
  g_clear_object (&store);
  return EXIT_OK;
}

int
main (int    argc,
      char **argv)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;

  setlocale (LC_ALL, "");
  /* stdout is for what scripts read (the Listening line, demo passwords);
   * every log line goes to stderr. */
  g_log_writer_default_set_use_stderr (TRUE);

  context = g_option_context_new ("[COMMAND …]");
  g_option_context_set_summary (context,
                                "The Becquerel server: the REST API at /api/v1.\n\n"
                                "Commands (after the options):\n"
                                "  user add NAME --role ROLE [--centre ID]… [--display-name TEXT]"
                                " [--password-stdin]\n"
                                "  user passwd NAME [--password-stdin]\n"
                                "  user list\n"
                                "  audit verify\n\n"
                                "Without a command it serves.");
  g_option_context_add_main_entries (context, server_entries, NULL);
  /* Options stop at the command, whose own options follow it. */
  g_option_context_set_strict_posix (context, TRUE);
  if (!g_option_context_parse (context, &argc, &argv, &error))
    {
      g_printerr ("becquerel-server: %s\n", error->message);
      return EXIT_USAGE;
    }
  if (opt_version)
    {
      g_print ("becquerel-server %s\n", PACKAGE_VERSION);
      return EXIT_OK;
    }
  if (opt_verbose)
    g_log_set_debug_enabled (TRUE);

  if (sodium_init () < 0)
    return fail ("cannot initialise libsodium");

  if (argc > 1)
    {
      if (strcmp (argv[1], "user") == 0)
        return user_command (argc - 1, argv + 1);
      if (strcmp (argv[1], "audit") == 0)
        return audit_command (argc - 1, argv + 1);
      g_printerr ("becquerel-server: unknown command “%s” (see --help)\n", argv[1]);
      return EXIT_USAGE;
    }

  return serve ();
}
