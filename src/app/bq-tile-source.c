/* bq-tile-source.c — map tiles from a URL template, kept on disk
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include <libsoup/soup.h>

#include "bq-tile-source.h"

/* A cached tile is asked for again after a week (the OSM policy's
 * minimum); until then, and whenever the network fails, the copy on disk
 * is used. */
#define TILE_FRESH_S (7 * 24 * 3600)
#define CACHE_SIZE_LIMIT (200u * 1000u * 1000u)
/* OpenStreetMap's tile servers: at most two connections per client. */
#define MAX_CONNECTIONS 2

struct _BqTileSource
{
  ShumateDataSource  parent_instance;

  char              *url_template;   /* NULL: no tiles */
  char              *cache_dir;
  ShumateFileCache  *cache;          /* NULL without a template */
  SoupSession       *session;        /* made on the first download */
  guint              n_loaded;
  guint              n_cached;
  guint              n_failed;
};

G_DEFINE_FINAL_TYPE (BqTileSource, bq_tile_source, SHUMATE_TYPE_DATA_SOURCE)

typedef struct {
  BqTileSource *self;
  int           x;
  int           y;
  int           z;
  GBytes       *cached;    /* from the disk cache, or NULL */
  char         *etag;
  SoupMessage  *message;
} Fetch;

static void
fetch_free (Fetch *fetch)
{
  g_clear_object (&fetch->self);
  g_clear_pointer (&fetch->cached, g_bytes_unref);
  g_free (fetch->etag);
  g_clear_object (&fetch->message);
  g_free (fetch);
}

static char *
expand_template (const char *template,
                 int         x,
                 int         y,
                 int         z)
{
  GString *uri = g_string_new (template);
  char number[16];

  g_snprintf (number, sizeof number, "%d", z);
  g_string_replace (uri, "{z}", number, 0);
  g_snprintf (number, sizeof number, "%d", x);
  g_string_replace (uri, "{x}", number, 0);
  g_snprintf (number, sizeof number, "%d", y);
  g_string_replace (uri, "{y}", number, 0);
  return g_string_free (uri, FALSE);
}

static void
return_tile (GTask  *task,
             GBytes *bytes,
             gboolean from_cache)
{
  Fetch *fetch = g_task_get_task_data (task);

  if (from_cache)
    fetch->self->n_cached++;
  else
    fetch->self->n_loaded++;
  g_signal_emit_by_name (fetch->self, "received-data", fetch->x, fetch->y, fetch->z, bytes);
  g_task_return_pointer (task, g_bytes_ref (bytes), (GDestroyNotify) g_bytes_unref);
}

/* The network failed: the copy on disk, however old, or the error. */
static void
return_failure (GTask  *task,
                GError *error)
{
  Fetch *fetch = g_task_get_task_data (task);

  if (fetch->cached != NULL && !g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
    {
      g_debug ("tile %d/%d/%d from the cache: %s", fetch->z, fetch->x, fetch->y, error->message);
      g_error_free (error);
      return_tile (task, fetch->cached, TRUE);
      return;
    }
  fetch->self->n_failed++;
  g_task_return_error (task, error);
}

static void
on_tile_stored (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GError) error = NULL;

  /* A tile that could not be kept is only a tile to fetch again. */
  if (!shumate_file_cache_store_tile_finish (SHUMATE_FILE_CACHE (source), result, &error))
    g_debug ("could not keep a tile: %s", error->message);
}

static void
keep_tile (Fetch  *fetch,
           GBytes *bytes,
           const char *etag)
{
  shumate_file_cache_store_tile_async (fetch->self->cache, fetch->x, fetch->y, fetch->z, bytes,
                                       etag, NULL, on_tile_stored, NULL);
}

static void
on_file_loaded (GObject      *source,
                GAsyncResult *result,
                gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  GError *error = NULL;
  g_autoptr(GBytes) bytes = g_file_load_bytes_finish (G_FILE (source), result, NULL, &error);

  if (bytes == NULL)
    {
      return_failure (task, error);
      return;
    }
  return_tile (task, bytes, FALSE);
}

static void
on_downloaded (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  GError *error = NULL;
  g_autoptr(GBytes) bytes = soup_session_send_and_read_finish (SOUP_SESSION (source), result, &error);
  guint status;

  if (bytes == NULL)
    {
      return_failure (task, error);
      return;
    }

  status = soup_message_get_status (fetch->message);
  if (status == SOUP_STATUS_NOT_MODIFIED && fetch->cached != NULL)
    {
      shumate_file_cache_mark_up_to_date (fetch->self->cache, fetch->x, fetch->y, fetch->z);
      return_tile (task, fetch->cached, TRUE);
      return;
    }
  if (!SOUP_STATUS_IS_SUCCESSFUL (status))
    {
      return_failure (task, g_error_new (G_IO_ERROR, G_IO_ERROR_FAILED,
                                         "tile %d/%d/%d: HTTP %u %s", fetch->z, fetch->x,
                                         fetch->y, status,
                                         soup_message_get_reason_phrase (fetch->message)));
      return;
    }

  keep_tile (fetch, bytes,
             soup_message_headers_get_one (soup_message_get_response_headers (fetch->message),
                                           "ETag"));
  return_tile (task, bytes, FALSE);
}

static SoupSession *
ensure_session (BqTileSource *self)
{
  if (self->session == NULL)
    {
      /* The tile policy asks for a User-Agent that names the application. */
      g_autofree char *user_agent = g_strdup_printf ("Becquerel/%s (+https://becquerel.org/)",
                                                     PACKAGE_VERSION);

      self->session = soup_session_new_with_options ("user-agent", user_agent,
                                                     "max-conns", MAX_CONNECTIONS,
                                                     "max-conns-per-host", MAX_CONNECTIONS,
                                                     "timeout", 30,
                                                     NULL);
    }
  return self->session;
}

static void
fetch_tile (GTask *task)
{
  Fetch *fetch = g_task_get_task_data (task);
  BqTileSource *self = fetch->self;
  g_autofree char *uri = expand_template (self->url_template, fetch->x, fetch->y, fetch->z);

  if (g_str_has_prefix (uri, "file:"))
    {
      g_autoptr(GFile) file = g_file_new_for_uri (uri);

      g_file_load_bytes_async (file, g_task_get_cancellable (task), on_file_loaded,
                               g_object_ref (task));
      return;
    }

  fetch->message = soup_message_new (SOUP_METHOD_GET, uri);
  if (fetch->message == NULL)
    {
      return_failure (task, g_error_new (G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                                         "not a tile URL: %s", uri));
      return;
    }
  if (fetch->etag != NULL)
    soup_message_headers_append (soup_message_get_request_headers (fetch->message),
                                 "If-None-Match", fetch->etag);
  soup_session_send_and_read_async (ensure_session (self), fetch->message, G_PRIORITY_LOW,
                                    g_task_get_cancellable (task), on_downloaded,
                                    g_object_ref (task));
}

static void
on_cache_read (GObject      *source,
               GAsyncResult *result,
               gpointer      user_data)
{
  g_autoptr(GTask) task = user_data;
  Fetch *fetch = g_task_get_task_data (task);
  g_autoptr(GDateTime) modified = NULL;

  fetch->cached = shumate_file_cache_get_tile_finish (SHUMATE_FILE_CACHE (source), &fetch->etag,
                                                      &modified, result, NULL);
  if (fetch->cached != NULL && modified != NULL)
    {
      g_autoptr(GDateTime) now = g_date_time_new_now_utc ();

      if (g_date_time_difference (now, modified) < TILE_FRESH_S * G_TIME_SPAN_SECOND)
        {
          return_tile (task, fetch->cached, TRUE);
          return;
        }
    }
  fetch_tile (task);
}

static void
bq_tile_source_get_tile_data_async (ShumateDataSource   *source,
                                    int                  x,
                                    int                  y,
                                    int                  zoom_level,
                                    GCancellable        *cancellable,
                                    GAsyncReadyCallback  callback,
                                    gpointer             user_data)
{
  BqTileSource *self = BQ_TILE_SOURCE (source);
  g_autoptr(GTask) task = g_task_new (self, cancellable, callback, user_data);
  Fetch *fetch;

  g_task_set_source_tag (task, bq_tile_source_get_tile_data_async);
  if (self->url_template == NULL)
    {
      self->n_failed++;
      g_task_return_new_error (task, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                               "map tiles are turned off");
      return;
    }

  fetch = g_new0 (Fetch, 1);
  fetch->self = g_object_ref (self);
  fetch->x = x;
  fetch->y = y;
  fetch->z = zoom_level;
  g_task_set_task_data (task, fetch, (GDestroyNotify) fetch_free);
  shumate_file_cache_get_tile_async (self->cache, x, y, zoom_level, cancellable, on_cache_read,
                                     g_object_ref (task));
}

static GBytes *
bq_tile_source_get_tile_data_finish (ShumateDataSource  *source,
                                     GAsyncResult       *result,
                                     GError            **error)
{
  g_return_val_if_fail (g_task_is_valid (result, source), NULL);
  return g_task_propagate_pointer (G_TASK (result), error);
}

static void
bq_tile_source_finalize (GObject *object)
{
  BqTileSource *self = BQ_TILE_SOURCE (object);

  g_free (self->url_template);
  g_free (self->cache_dir);
  g_clear_object (&self->cache);
  g_clear_object (&self->session);

  G_OBJECT_CLASS (bq_tile_source_parent_class)->finalize (object);
}

static void
bq_tile_source_class_init (BqTileSourceClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  ShumateDataSourceClass *source_class = SHUMATE_DATA_SOURCE_CLASS (klass);

  object_class->finalize = bq_tile_source_finalize;
  source_class->get_tile_data_async = bq_tile_source_get_tile_data_async;
  source_class->get_tile_data_finish = bq_tile_source_get_tile_data_finish;
}

static void
bq_tile_source_init (BqTileSource *self)
{
}

BqTileSource *
bq_tile_source_new (const char *url_template,
                    const char *cache_dir)
{
  BqTileSource *self = g_object_new (BQ_TYPE_TILE_SOURCE, NULL);

  if (url_template != NULL && *url_template != '\0' && strcmp (url_template, "none") != 0)
    {
      /* One cache directory per template: tiles of two styles never mix. */
      g_autofree char *key = g_strcanon (g_strdup (url_template),
                                         "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
                                         "0123456789", '_');

      self->url_template = g_strdup (url_template);
      if (cache_dir != NULL)
        self->cache_dir = g_strdup (cache_dir);
      else
        self->cache_dir = g_build_filename (g_get_user_cache_dir (), "becquerel", "tiles", NULL);
      self->cache = shumate_file_cache_new_full (CACHE_SIZE_LIMIT, key, self->cache_dir);
    }
  return self;
}

const char *
bq_tile_source_get_url_template (BqTileSource *self)
{
  g_return_val_if_fail (BQ_IS_TILE_SOURCE (self), NULL);
  return self->url_template;
}

guint
bq_tile_source_get_n_loaded (BqTileSource *self)
{
  g_return_val_if_fail (BQ_IS_TILE_SOURCE (self), 0);
  return self->n_loaded;
}

guint
bq_tile_source_get_n_cached (BqTileSource *self)
{
  g_return_val_if_fail (BQ_IS_TILE_SOURCE (self), 0);
  return self->n_cached;
}

guint
bq_tile_source_get_n_failed (BqTileSource *self)
{
  g_return_val_if_fail (BQ_IS_TILE_SOURCE (self), 0);
  return self->n_failed;
}

const char *
bq_tile_source_default_url (void)
{
  const char *url = g_getenv ("BECQUEREL_TILE_URL");

  if (url == NULL)
    return BQ_TILE_SOURCE_OSM_URL;
  if (*url == '\0' || strcmp (url, "none") == 0)
    return NULL;
  return url;
}
