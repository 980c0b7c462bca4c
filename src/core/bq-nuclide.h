/* bq-nuclide.h — the nuclide table (ICRP-107)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

#define BQ_NUCLIDE_ERROR (bq_nuclide_error_quark ())

typedef enum {
  BQ_NUCLIDE_ERROR_UNKNOWN,   /* no such nuclide; the message lists close matches */
} BqNuclideError;

GQuark bq_nuclide_error_quark (void);

typedef struct {
  const char *daughter;   /* canonical name, e.g. "Bi-213" */
  int         index;      /* index in the table, or -1: stable or out of scope */
  double      fraction;   /* branching fraction, as ICRP-107 gives it */
} BqNuclideBranch;

typedef struct {
  const char            *name;         /* canonical, e.g. "Lu-177m" */
  double                 half_life_s;
  const char            *modes;        /* e.g. "beta-" or "IT, beta-" */
  guint                  n_progeny;
  const BqNuclideBranch *progeny;
} BqNuclide;

/* Accepts "Lu-177", "Lu177", "177Lu", "lu-177m", "177mLu", case-insensitive.
 * Unknown names fail with BQ_NUCLIDE_ERROR_UNKNOWN listing close matches. */
const BqNuclide *bq_nuclide_lookup         (const char      *name,
                                            GError         **error);
guint            bq_nuclide_count          (void);
const BqNuclide *bq_nuclide_get            (guint            index);
guint            bq_nuclide_index          (const BqNuclide *nuclide);
/* ln 2 / half-life, in 1/s */
double           bq_nuclide_decay_constant (const BqNuclide *nuclide);

G_END_DECLS
