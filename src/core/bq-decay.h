/* bq-decay.h — radioactive decay of single nuclides and whole chains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib-object.h>

#include "bq-nuclide.h"

G_BEGIN_DECLS

#define BQ_DECAY_ERROR (bq_decay_error_quark ())

typedef enum {
  BQ_DECAY_ERROR_INVALID,       /* negative/NaN time or activity, empty inventory */
  BQ_DECAY_ERROR_UNREACHABLE,   /* the activity never falls (or rises) to that level */
} BqDecayError;

GQuark bq_decay_error_quark (void);

/* Which members count when an inventory is summed or reported. */
typedef enum {
  BQ_DECAY_STARTING_ONLY,   /* the nuclides present at t = 0 (ingrowth among them still counts) */
  BQ_DECAY_WHOLE_CHAIN,     /* every radioactive member present */
} BqDecayScope;

/* An amount of activity per nuclide.  Order of insertion is kept, so what
 * a user typed comes back in the same order; daughters follow in chain order. */
typedef struct _BqInventory BqInventory;

#define BQ_TYPE_INVENTORY (bq_inventory_get_type ())
GType        bq_inventory_get_type      (void) G_GNUC_CONST;

BqInventory *bq_inventory_new           (void);
BqInventory *bq_inventory_copy          (const BqInventory *self);
void         bq_inventory_free          (BqInventory       *self);
/* Adds to what is there already. */
void         bq_inventory_add           (BqInventory       *self,
                                         const BqNuclide   *nuclide,
                                         double             activity_bq);
double       bq_inventory_get           (const BqInventory *self,
                                         const BqNuclide   *nuclide);
guint        bq_inventory_get_n_items   (const BqInventory *self);
const BqNuclide *bq_inventory_nth       (const BqInventory *self,
                                         guint              position,
                                         double            *activity_bq);
double       bq_inventory_total         (const BqInventory *self);
/* "Lu-177=7.4GBq,Lu-177m=1.48MBq" (names as bq_nuclide_lookup, activities as
 * bq_units_parse_activity). */
BqInventory *bq_inventory_parse         (const char        *text,
                                         GError           **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (BqInventory, bq_inventory_free)

/* A(t) = A0 e^{-λt} for one nuclide, no ingrowth. */
double       bq_decay_activity_at       (const BqNuclide   *nuclide,
                                         double             initial_bq,
                                         double             elapsed_s);

/* The inventory after @elapsed_s, with ingrowth of every daughter along all
 * branches (Bateman, with branching), computed so that it stays accurate
 * when half-lives differ by many orders of magnitude.  @scope decides which
 * members the result holds: the starting nuclides, or every radioactive
 * member of the chains. */
BqInventory *bq_decay_inventory         (const BqInventory *initial,
                                         double             elapsed_s,
                                         BqDecayScope       scope,
                                         GError           **error);

/* Total activity of @scope at @elapsed_s. */
double       bq_decay_total_at          (const BqInventory *initial,
                                         double             elapsed_s,
                                         BqDecayScope       scope);

/* The total activity needed now (the mixture scaled as it is) so that the
 * total of @scope after @elapsed_s equals @target_bq. */
gboolean     bq_decay_required_initial  (const BqInventory *initial,
                                         double             target_bq,
                                         double             elapsed_s,
                                         BqDecayScope       scope,
                                         double            *required_bq,
                                         GError           **error);

/* The first time at which the total of @scope has fallen to @target_bq
 * (0 if it is already there). */
gboolean     bq_decay_time_to_reach     (const BqInventory *initial,
                                         double             target_bq,
                                         BqDecayScope       scope,
                                         double            *elapsed_s,
                                         GError           **error);

G_END_DECLS
