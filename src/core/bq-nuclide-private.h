/* bq-nuclide-private.h — the generated table, shared with bq-nuclide.c
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-nuclide.h"

/* Sorted by name; see gen-nuclide-table.py. */
extern const BqNuclide bq_nuclide_table[];
extern const guint     bq_nuclide_table_length;
