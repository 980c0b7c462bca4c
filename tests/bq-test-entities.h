/* bq-test-entities.h — sample entities shared by the core tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-model.h"

/* 2026-12-01T08:00:00Z, a Tuesday. */
#define T0 G_GINT64_CONSTANT (1796112000)
#define HOUR 3600
#define DAY 86400
/* 2026-11-30T00:00:00Z, the Monday of T0's week. */
#define MONDAY G_GINT64_CONSTANT (1795996800)

/* A NULL-terminated list of the arguments. */
char    **bq_test_strv_new    (const char *first,
                               ...) G_GNUC_NULL_TERMINATED;
/* A valid entity of @type with every optional field set (@full) or left
 * unset.  Written out by hand, independently of the field tables. */
gpointer  bq_test_make_entity (const BqEntityType *type,
                               gboolean            full);
