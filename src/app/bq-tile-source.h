/* bq-tile-source.h — map tiles from a URL template, kept on disk
 *
 * A ShumateDataSource for raster tiles.  libshumate 1.0's own
 * ShumateTileDownloader sends "libshumate/1.0.x" as its User-Agent (it
 * cannot be changed with libsoup 3), which the OpenStreetMap tile usage
 * policy does not allow; this one identifies Becquerel, keeps at most two
 * connections, and keeps every tile it got in a ShumateFileCache under
 * the user's cache directory.  Offline, cached tiles are used however old
 * they are, so the map the user has seen stays at hand; a tile never
 * seen fails at once and the map shows its plain background there.
 *
 * Templates use {z}, {x} and {y}.  http(s) URLs are downloaded and kept;
 * file URLs (a tile package on disk) are read as they are; NULL or ""
 * means no tiles at all (every request fails at once).
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <shumate/shumate.h>

G_BEGIN_DECLS

#define BQ_TILE_SOURCE_OSM_URL "https://tile.openstreetmap.org/{z}/{x}/{y}.png"

#define BQ_TYPE_TILE_SOURCE (bq_tile_source_get_type ())
G_DECLARE_FINAL_TYPE (BqTileSource, bq_tile_source, BQ, TILE_SOURCE, ShumateDataSource)

/* @cache_dir NULL: g_get_user_cache_dir()/becquerel/tiles. */
BqTileSource *bq_tile_source_new            (const char   *url_template,
                                             const char   *cache_dir);
const char   *bq_tile_source_get_url_template (BqTileSource *self);
/* Tiles served so far, from the network or a file, and from the cache. */
guint         bq_tile_source_get_n_loaded   (BqTileSource *self);
guint         bq_tile_source_get_n_cached   (BqTileSource *self);
guint         bq_tile_source_get_n_failed   (BqTileSource *self);

/* The template from $BECQUEREL_TILE_URL when set ("" or "none": no
 * tiles), else OpenStreetMap's. */
const char   *bq_tile_source_default_url    (void);

G_END_DECLS
