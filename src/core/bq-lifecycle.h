/* bq-lifecycle.h — which status changes are allowed
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-model.h"

G_BEGIN_DECLS

/* Checks the change from @before to @after of the same entity: status
 * transitions (a released run cannot go back to planned; a shipped order
 * cannot be cancelled, …) and fields that are frozen once a status is
 * reached (a run's line and times once synthesis has started).  Fails with
 * BQ_MODEL_ERROR_INVALID naming the field and the allowed next states. */
gboolean bq_lifecycle_check_update (gconstpointer before,
                                    gconstpointer after,
                                    GError      **error);

/* The status a new entity may be created in (planned runs, requested
 * orders, …): creating a run directly as "shipped" is refused. */
gboolean bq_lifecycle_check_create (gconstpointer entity,
                                    GError      **error);

/* The statuses an entity of @type in @status may become, as a bitmask by
 * enum value (1 << BQ_RUN_SHIPPED, …); 0 for final statuses and for types
 * without a status.  For screens that offer only the allowed changes. */
guint    bq_lifecycle_next_statuses (const BqEntityType *type,
                                     int                 status);

G_END_DECLS
