/* bq-server-openapi.c — GET /api/v1/openapi.json
 *
 * The document is data/openapi.json, compiled into the server as a
 * GResource (src/server/meson.build) and served byte for byte.  A build
 * without the file serves a minimal valid document instead.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-server-private.h"

#ifdef BQ_HAVE_OPENAPI_RESOURCE
#include "bq-server-gresource.h"

#define OPENAPI_PATH "/org/becquerel/server/openapi.json"
#else
static const char fallback_document[] =
  "{\"openapi\":\"3.0.3\","
  "\"info\":{\"title\":\"Becquerel API\",\"version\":\"" PACKAGE_VERSION "\"},"
  "\"paths\":{\"/healthz\":{\"get\":{\"responses\":{\"200\":{\"description\":\"ok\"}}}}}}";
#endif

GBytes *
bq_server_get_openapi (void)
{
#ifdef BQ_HAVE_OPENAPI_RESOURCE
  g_autoptr(GError) error = NULL;
  GBytes *bytes;

  /* Looked up in our own resource, so a static link cannot drop it. */
  bytes = g_resource_lookup_data (bq_server_get_resource (), OPENAPI_PATH,
                                  G_RESOURCE_LOOKUP_FLAGS_NONE, &error);
  if (bytes == NULL)
    g_error ("the OpenAPI document is missing from the build: %s", error->message);
  return bytes;
#else
  return g_bytes_new_static (fallback_document, sizeof fallback_document - 1);
#endif
}

void
bq_server_handle_openapi (BqServerRequest *request)
{
  g_autoptr(GBytes) bytes = bq_server_get_openapi ();
  SoupMessageHeaders *headers = soup_server_message_get_response_headers (request->msg);

  soup_message_headers_set_content_type (headers, "application/json", NULL);
  soup_server_message_set_status (request->msg, SOUP_STATUS_OK, NULL);
  soup_message_body_append_bytes (soup_server_message_get_response_body (request->msg), bytes);
}
