/* bq-sync-indicator.h — where the data stands, in the header bar
 *
 * "Online", "Syncing…", "Offline since 14:05", "3 changes waiting": a
 * button whose popover lists the changes waiting to be sent and those the
 * server refused, with Keep Mine / Take Theirs for each refusal.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"

G_BEGIN_DECLS

#define BQ_TYPE_SYNC_INDICATOR (bq_sync_indicator_get_type ())
G_DECLARE_FINAL_TYPE (BqSyncIndicator, bq_sync_indicator, BQ, SYNC_INDICATOR, GtkWidget)

GtkWidget  *bq_sync_indicator_new        (void);
void        bq_sync_indicator_set_client (BqSyncIndicator *self,
                                          BqClient        *client);
/* What the button says now. */
const char *bq_sync_indicator_get_text   (BqSyncIndicator *self);
/* Icon only (a narrow window); the text stays in the tooltip. */
void        bq_sync_indicator_set_compact (BqSyncIndicator *self,
                                           gboolean         compact);
/* Opens the popover (the conflict toast's "Review" button). */
void        bq_sync_indicator_popup      (BqSyncIndicator *self);

G_END_DECLS
