/* bq-test-server.h — a server to test against, and a client to drive it
 *
 * bq_test_server_new() starts a BqServer in this process on 127.0.0.1,
 * port 0, over a fresh store in a temporary directory, seeded with the
 * demo network (seed 1, starting Monday 2026-11-09) whose seven users all
 * have the password BQ_TEST_PASSWORD (cheap hashing).
 * bq_test_server_new_subprocess() runs the real becquerel-server binary
 * instead ($BECQUEREL_SERVER, or src/server/becquerel-server next to the
 * tests' build directory), with --demo.
 *
 * Requests block: they run the thread-default main context (where the
 * in-process server also runs) until the answer is in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>
#include <libsoup/soup.h>

#include "bq-auth.h"
#include "bq-server.h"
#include "bq-store.h"

G_BEGIN_DECLS

#define BQ_TEST_PASSWORD "test-password-1"
/* Monday 2026-11-09T00:00:00Z: the first week of the test demo. */
#define BQ_TEST_DEMO_START G_GINT64_CONSTANT (1794182400)

typedef struct {
  char        *dir;       /* temporary; removed by bq_test_server_free() */
  char        *db_path;
  BqStore     *store;     /* in-process only */
  BqAuth      *auth;      /* in-process only */
  BqServer    *server;    /* in-process only */
  GSubprocess *process;   /* subprocess only */
  char        *base;      /* "http://127.0.0.1:PORT", no trailing slash */
  SoupSession *session;
  /* When set, an https server is trusted only if it shows exactly this
   * certificate (a self-signed one the test made). */
  GTlsCertificate *trusted_certificate;
} BqTestServer;

typedef struct {
  guint               status;
  SoupMessageHeaders *headers;
  GBytes             *body;
  JsonNode           *json;   /* NULL unless the body is JSON */
} BqTestResponse;

BqTestServer   *bq_test_server_new            (void);
BqTestServer   *bq_test_server_new_subprocess (const char * const *extra_args);
/* Kills the subprocess with SIGKILL — no chance to clean up — and starts
 * the binary again on the same database. */
void            bq_test_server_respawn_subprocess (BqTestServer       *self,
                                                   const char * const *extra_args);
/* SIGTERM to a subprocess; its exit status (-1 if killed by a signal). */
int             bq_test_server_stop_subprocess (BqTestServer *self);
void            bq_test_server_free           (BqTestServer *self);

/* A request.  @token (may be NULL) goes as a bearer token; @body (may be
 * NULL) as application/json; then NULL-terminated header name/value
 * pairs. */
BqTestResponse *bq_test_request               (BqTestServer *self,
                                               const char   *method,
                                               const char   *path,
                                               const char   *token,
                                               const char   *body,
                                               ...) G_GNUC_NULL_TERMINATED;
/* The same with a body of any bytes and a NULL-terminated array of
 * header name/value pairs. */
BqTestResponse *bq_test_request_full          (BqTestServer       *self,
                                               const char         *method,
                                               const char         *path,
                                               const char         *token,
                                               GBytes             *body,
                                               const char * const *headers);
void            bq_test_response_free         (BqTestResponse *response);
/* The JSON object of the body; fails the test if there is none. */
JsonObject     *bq_test_response_object       (BqTestResponse *response);
/* error.code of a JSON error, or NULL. */
const char     *bq_test_response_error_code   (BqTestResponse *response);
/* error.field of a JSON error, or NULL. */
const char     *bq_test_response_error_field  (BqTestResponse *response);

/* Signs in as @username with BQ_TEST_PASSWORD and returns the token;
 * fails the test if that does not work. */
char           *bq_test_server_login          (BqTestServer *self,
                                               const char   *username);

/* Opens /api/v1/events with @token (NULL: none) as a bearer token, or
 * with @token_in_query as ?access_token=; NULL with @error when refused,
 * with the HTTP status in *@status (may be NULL). */
SoupWebsocketConnection *bq_test_server_connect_events (BqTestServer  *self,
                                                        const char    *token,
                                                        gboolean       token_in_query,
                                                        guint         *status,
                                                        GError       **error);
/* The next text message of a connection opened above, waiting at most
 * @timeout_ms; NULL on timeout or close. */
char           *bq_test_events_next           (SoupWebsocketConnection *connection,
                                               guint                    timeout_ms);

/* Runs the main context until *@flag or @timeout_ms; FALSE on timeout. */
gboolean        bq_test_run_until             (const gboolean *flag,
                                               guint           timeout_ms);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqTestServer, bq_test_server_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqTestResponse, bq_test_response_free)

G_END_DECLS
