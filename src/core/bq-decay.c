/* bq-decay.c — radioactive decay of single nuclides and whole chains
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chain solver is the Bateman solution with branching, evaluated path
 * by path over the decay graph.  For one path P = (1 → 2 → … → n) with decay
 * constants λ_1…λ_n and branching fractions b_1…b_{n−1}, in atoms N = A/λ:
 *
 *   N_n(t) = N_1(0) · ∏_{i<n} b_i λ_i · (−1)^{n−1} g[λ_1, …, λ_n],
 *
 * where g[…] is the divided difference of g(x) = e^{−x t}.  The textbook
 * form of that divided difference, Σ_i e^{−λ_i t} / ∏_{j≠i} (λ_j − λ_i),
 * cancels catastrophically whenever several λ_i t are small (Pb-209 from
 * Ac-225 after a millisecond comes out as −4e-7 Bq per GBq instead of
 * +3e-14), so it is not used.
 * Instead the nodes are sorted and shifted, y_i = (λ_i − λ_min) t ≥ 0, so
 *
 *   (−1)^{n−1} g[λ] = t^{n−1} e^{−λ_min t} · Q[y],
 *   Q[y] = (−1)^{n−1} F[y_1, …, y_n],  F(y) = e^{−y},
 *
 * and Q, which is positive, is built over ranges of consecutive nodes:
 * a range whose nodes lie within CLUSTER_SPAN of each other is summed as a
 * Taylor series about its midpoint (no subtraction of nearly equal numbers;
 * equal nodes are fine), a wider range by the usual recurrence, which then
 * divides by a gap of at least CLUSTER_SPAN and so loses little.
 * This is the approach of McCurdy, Ng and Parlett, "Accurate computation of
 * divided differences of the exponential function", Math. Comp. 43 (1984).
 *
 * Paths never cancel each other: every contribution is positive and they
 * are simply added, so a member fed along two branches (Pb-209 via Po-213
 * and via Tl-209) is as accurate as either path.
 */
#include "config.h"

#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "bq-decay.h"
#include "bq-nuclide-private.h"
#include "bq-units.h"

G_DEFINE_QUARK (bq-decay-error-quark, bq_decay_error)

/* No real decay path is longer than a dozen members; this only bounds the
 * arrays on the stack (and catches a cycle in a broken table). */
#define MAX_PATH 32

/* Nodes closer than this (in units of λt) are treated as a cluster and
 * summed by Taylor series; see the comment at the top.  The recurrence loses
 * up to about k/span per level for k + 1 nodes, and the series about e^{span}
 * in all; 8 balances the two: measured against 300-digit arithmetic on
 * thousands of random node sets (n ≤ 12, clustered and spread) the worst
 * relative error is 3e-15, where a span of 1 loses up to 2e-10. */
#define CLUSTER_SPAN 8.0

/* Enough series terms for any cluster: with |z| ≤ 4 the bound 4^p/p! is
 * below 1e-30 by p = 60.  The sum usually stops far earlier. */
#define MAX_TAYLOR_TERMS 80

/* time_to_reach scans forward by this factor per step before bisecting, so
 * that a total that first rises (ingrowth) is not mistaken for one that has
 * already crossed the target. */
#define SCAN_RATIO 1.0905077326652577 /* 2^(1/8) */

/* ------------------------------------------------------------- inventory */

typedef struct {
  const BqNuclide *nuclide;
  double           activity_bq;
} Item;

struct _BqInventory {
  GArray *items;   /* of Item, in the order nuclides were first added */
};

G_DEFINE_BOXED_TYPE (BqInventory, bq_inventory, bq_inventory_copy, bq_inventory_free)

BqInventory *
bq_inventory_new (void)
{
  BqInventory *self = g_new0 (BqInventory, 1);

  self->items = g_array_new (FALSE, FALSE, sizeof (Item));
  return self;
}

BqInventory *
bq_inventory_copy (const BqInventory *self)
{
  BqInventory *copy;

  g_return_val_if_fail (self != NULL, NULL);

  copy = bq_inventory_new ();
  g_array_append_vals (copy->items, self->items->data, self->items->len);
  return copy;
}

void
bq_inventory_free (BqInventory *self)
{
  if (self == NULL)
    return;

  g_array_unref (self->items);
  g_free (self);
}

static Item *
find_item (const BqInventory *self,
           const BqNuclide   *nuclide)
{
  for (guint i = 0; i < self->items->len; i++)
    {
      Item *item = &g_array_index (self->items, Item, i);

      if (item->nuclide == nuclide)
        return item;
    }
  return NULL;
}

/* Any double is stored, even a negative or NaN one: the inventory is a plain
 * container, and the decay functions refuse such values with
 * BQ_DECAY_ERROR_INVALID where a caller can report them. */
void
bq_inventory_add (BqInventory     *self,
                  const BqNuclide *nuclide,
                  double           activity_bq)
{
  Item *item;

  g_return_if_fail (self != NULL);
  g_return_if_fail (nuclide != NULL);

  item = find_item (self, nuclide);
  if (item != NULL)
    {
      item->activity_bq += activity_bq;
    }
  else
    {
      Item new_item = { nuclide, activity_bq };

      g_array_append_val (self->items, new_item);
    }
}

double
bq_inventory_get (const BqInventory *self,
                  const BqNuclide   *nuclide)
{
  const Item *item;

  g_return_val_if_fail (self != NULL, 0.0);
  g_return_val_if_fail (nuclide != NULL, 0.0);

  item = find_item (self, nuclide);
  return item != NULL ? item->activity_bq : 0.0;
}

guint
bq_inventory_get_n_items (const BqInventory *self)
{
  g_return_val_if_fail (self != NULL, 0);

  return self->items->len;
}

const BqNuclide *
bq_inventory_nth (const BqInventory *self,
                  guint              position,
                  double            *activity_bq)
{
  const Item *item;

  g_return_val_if_fail (self != NULL, NULL);
  g_return_val_if_fail (position < self->items->len, NULL);

  item = &g_array_index (self->items, Item, position);
  if (activity_bq != NULL)
    *activity_bq = item->activity_bq;
  return item->nuclide;
}

double
bq_inventory_total (const BqInventory *self)
{
  double total = 0.0;

  g_return_val_if_fail (self != NULL, 0.0);

  for (guint i = 0; i < self->items->len; i++)
    total += g_array_index (self->items, Item, i).activity_bq;
  return total;
}

/* Parses "Lu-177=7.4GBq, Lu-177m = 1.48 MBq".
 *
 * A nuclide named twice ("Lu-177=1GBq,177Lu=2GBq") is refused rather than
 * summed: in a typed list a repeated name is far more likely a slip (a
 * pasted line, a wrong isotope) than an intended sum, and silently doubling
 * an activity is the worse failure.  Code that wants sums calls
 * bq_inventory_add, which accumulates. */
BqInventory *
bq_inventory_parse (const char  *text,
                    GError     **error)
{
  g_autoptr(BqInventory) inventory = NULL;
  g_auto(GStrv) items = NULL;
  g_autofree char *stripped = NULL;
  g_autoptr(GPtrArray) typed = NULL;   /* item text per inventory entry, for messages */

  g_return_val_if_fail (text != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  stripped = g_strstrip (g_strdup (text));
  if (stripped[0] == '\0')
    {
      g_set_error_literal (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                           _("No nuclides given (expected e.g. “Lu-177=7.4GBq”)"));
      return NULL;
    }

  inventory = bq_inventory_new ();
  typed = g_ptr_array_new_with_free_func (g_free);
  items = g_strsplit (stripped, ",", -1);

  for (guint i = 0; items[i] != NULL; i++)
    {
      char *item = g_strstrip (items[i]);
      char *equals = strchr (item, '=');
      const char *name;
      const char *amount;
      const BqNuclide *nuclide;
      const Item *existing;
      double activity;
      g_autoptr(GError) local_error = NULL;

      if (item[0] == '\0')
        {
          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                       _("Item %u of “%s” is empty"), i + 1, stripped);
          return NULL;
        }

      if (equals == NULL)
        {
          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                       _("“%s”: expected nuclide=activity, e.g. “Lu-177=7.4GBq”"),
                       item);
          return NULL;
        }

      /* Split in place: the name ends at '=', both halves are trimmed. */
      *equals = '\0';
      name = g_strstrip (item);
      amount = g_strstrip (equals + 1);

      nuclide = bq_nuclide_lookup (name, error);
      if (nuclide == NULL)
        return NULL;

      if (amount[0] == '\0')
        {
          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                       _("%s: no activity after “=” (expected e.g. “7.4GBq”)"),
                       nuclide->name);
          return NULL;
        }

      if (!bq_units_parse_activity (amount, &activity, &local_error))
        {
          g_propagate_prefixed_error (error, g_steal_pointer (&local_error),
                                      "%s: ", nuclide->name);
          return NULL;
        }

      existing = find_item (inventory, nuclide);
      if (existing != NULL)
        {
          guint first = (guint) (existing - (const Item *) (gpointer) inventory->items->data);

          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                       _("%s is given twice (“%s” and “%s=%s”); give each nuclide once"),
                       nuclide->name, (const char *) g_ptr_array_index (typed, first),
                       name, amount);
          return NULL;
        }

      bq_inventory_add (inventory, nuclide, activity);
      g_ptr_array_add (typed, g_strdup_printf ("%s=%s", name, amount));
    }

  return g_steal_pointer (&inventory);
}

/* ------------------------------------------------------- divided differences */

/* Q[y_0..y_k] = (−1)^k F[y_0..y_k] for F(y) = e^{−y}, for a cluster (all
 * nodes within CLUSTER_SPAN), by the Taylor series about the midpoint c:
 *
 *   F[y_0..y_k] = Σ_{m≥k} F^{(m)}(c)/m! · h_{m−k}(z_0..z_k),  z_i = y_i − c,
 *
 * with h_p the complete homogeneous symmetric polynomials.  As F^{(m)}(c) =
 * (−1)^m e^{−c}, Q = e^{−c} Σ_{p≥0} (−1)^p h_p(z) / (p + k)!.  No two nearly
 * equal numbers are subtracted, and equal nodes need no special case. */
static double
cluster_divided_difference (const double *y,
                            guint         n)
{
  double h[MAX_PATH];       /* h[r] = h_p(z_0..z_r) for the current p */
  double z[MAX_PATH];
  double c = 0.5 * (y[0] + y[n - 1]);
  double z_max = 0.5 * (y[n - 1] - y[0]);
  double coefficient = 1.0; /* 1/(p + k)! */
  double bound;             /* z_max^p / (p! k!) ≥ |h_p(z)| / (p + k)! */
  double negligible;
  double sum;
  guint k = n - 1;

  g_assert (n >= 1 && n <= MAX_PATH);

  for (guint r = 0; r < n; r++)
    {
      z[r] = y[r] - c;
      h[r] = 1.0;           /* h_0 */
    }
  for (guint m = 2; m <= k; m++)
    coefficient /= m;
  bound = coefficient;
  sum = coefficient;
  /* The sum ends at least at e^{−z_max}/k! (the value with every node at
   * the far end), so terms below this are lost in rounding.  Partial sums
   * can be far larger, which is why they are not the yardstick. */
  negligible = 1e-18 * exp (-z_max) * coefficient;

  /* h_p(z_0..z_r) = h_p(z_0..z_{r−1}) + z_r h_{p−1}(z_0..z_r): for each p,
   * one pass over r turns h_{p−1} into h_p in place. */
  for (guint p = 1; p <= MAX_TAYLOR_TERMS; p++)
    {
      double below = 0.0;   /* h_p of no variables */

      for (guint r = 0; r < n; r++)
        {
          h[r] = below + z[r] * h[r];
          below = h[r];
        }

      coefficient /= (double) (k + p);
      bound *= z_max / p;
      sum += (p % 2 == 0 ? h[n - 1] : -h[n - 1]) * coefficient;

      if (bound < negligible && p > z_max)
        break;
    }

  return exp (-c) * sum;
}

/* Q over the nodes y[i..j], memoised in @memo (NAN = not yet known). */
static double
range_divided_difference (const double *y,
                          guint         i,
                          guint         j,
                          double        memo[MAX_PATH][MAX_PATH])
{
  double span = y[j] - y[i];
  double q;

  if (!isnan (memo[i][j]))
    return memo[i][j];

  if (i == j)
    q = exp (-y[i]);
  else if (span < CLUSTER_SPAN)
    q = cluster_divided_difference (y + i, j - i + 1);
  else
    q = (range_divided_difference (y, i, j - 1, memo) -
         range_divided_difference (y, i + 1, j, memo)) / span;

  memo[i][j] = q;
  return q;
}

/* Q[y_0..y_{n−1}] for sorted y ≥ 0; see the comment at the top.  Only the
 * ranges the recurrence actually reaches are computed: a cluster's sub-
 * ranges are never needed. */
static double
scaled_divided_difference (const double *y,
                           guint         n)
{
  double memo[MAX_PATH][MAX_PATH];

  g_assert (n >= 1 && n <= MAX_PATH);

  for (guint i = 0; i < n; i++)
    for (guint j = i; j < n; j++)
      memo[i][j] = NAN;

  return range_divided_difference (y, 0, n - 1, memo);
}

static int
compare_double (const void *a,
                const void *b)
{
  double x = *(const double *) a;
  double y = *(const double *) b;

  return (x > y) - (x < y);
}

/* Activity at @t of the last member of one decay path, for @a0 Bq of the
 * first member at 0:
 *
 *   A_n(t) = A_1(0) · ∏ b_i · ∏_{i=2..n} (λ_i t) · e^{−λ_min t} · Q[y],
 *
 * (λ_n N_n with N_1(0) = A_1(0)/λ_1), so every factor is dimensionless. */
static double
path_activity (double        a0,
               const double *lambda,
               const double *fraction,
               guint         n,
               double        t)
{
  double nodes[MAX_PATH];
  double y[MAX_PATH];
  double lambda_min;
  double q;
  double r;

  g_assert (n >= 1 && n <= MAX_PATH);
  g_assert (t >= 0.0);

  if (n == 1)
    return a0 * exp (-lambda[0] * t);
  if (a0 == 0.0 || t == 0.0)
    return 0.0;

  memcpy (nodes, lambda, n * sizeof nodes[0]);
  qsort (nodes, n, sizeof nodes[0], compare_double);
  lambda_min = nodes[0];

  /* λ_max t overflows only for t beyond 1e300 s; the slowest member has then
   * decayed through e^{−λ_min t} with λ_min t beyond 1e240 for any half-life
   * shorter than 1e50 s, so nothing is left. */
  if (!isfinite (nodes[n - 1] * t))
    return 0.0;

  for (guint i = 0; i < n; i++)
    y[i] = (nodes[i] - lambda_min) * t;

  q = scaled_divided_difference (y, n);
  if (!(q > 0.0))
    return 0.0;

  /* The plain product is the most accurate; Q is small exactly when the
   * λ_i t are large, so multiplying those in first keeps it in range. */
  r = q;
  for (guint i = 1; i < n; i++)
    r *= lambda[i] * t;
  for (guint i = 0; i + 1 < n; i++)
    r *= fraction[i];
  r *= exp (-lambda_min * t);
  r *= a0;

  if (r == 0.0 || !isfinite (r))
    {
      /* An intermediate underflowed or overflowed: redo it in logarithms,
       * which is less accurate but only matters at the edges of range. */
      double log_r = log (q) + log (a0) - lambda_min * t;

      for (guint i = 1; i < n; i++)
        log_r += log (lambda[i]) + log (t);
      for (guint i = 0; i + 1 < n; i++)
        log_r += log (fraction[i]);
      r = exp (log_r);
    }

  return isfinite (r) && r > 0.0 ? r : 0.0;
}

/* ------------------------------------------------------------------ chains */

/* Depth-first over every path from one starting nuclide, adding each path's
 * contribution to the activity of the member it ends at. */
typedef struct {
  double  t;
  double  a0;
  double  lambda[MAX_PATH];
  double  fraction[MAX_PATH];   /* fraction[i]: from member i to i + 1 */
  double *activity;             /* per table index */
} PathWalk;

static void
walk_paths (PathWalk *walk,
            guint     index,
            guint     depth)
{
  const BqNuclide *nuclide = bq_nuclide_get (index);

  g_assert (depth < MAX_PATH);

  walk->lambda[depth] = bq_nuclide_decay_constant (nuclide);
  walk->activity[index] += path_activity (walk->a0, walk->lambda, walk->fraction,
                                          depth + 1, walk->t);

  for (guint b = 0; b < nuclide->n_progeny; b++)
    {
      const BqNuclideBranch *branch = &nuclide->progeny[b];

      /* index -1: stable, or out of scope of the table */
      if (branch->index < 0 || !(branch->fraction > 0.0))
        continue;

      walk->fraction[depth] = branch->fraction;
      walk_paths (walk, (guint) branch->index, depth + 1);
    }
}

/* Fills @activity (one slot per table entry) with every member's activity
 * at @t.  The inventory must have been checked. */
static void
solve_chains (const BqInventory *initial,
              double             t,
              double            *activity)
{
  memset (activity, 0, bq_nuclide_count () * sizeof activity[0]);

  for (guint i = 0; i < initial->items->len; i++)
    {
      const Item *item = &g_array_index (initial->items, Item, i);
      guint index = bq_nuclide_index (item->nuclide);
      PathWalk walk = { .t = t, .a0 = item->activity_bq, .activity = activity };

      if (t == 0.0)
        {
          /* Exactly the input; no daughters yet. */
          activity[index] += item->activity_bq;
          continue;
        }
      if (item->activity_bq == 0.0)
        continue;

      walk_paths (&walk, index, 0);
    }
}

static void
visit_postorder (guint     index,
                 gboolean *seen,
                 GArray   *postorder)
{
  const BqNuclide *nuclide = bq_nuclide_get (index);

  seen[index] = TRUE;
  /* Branches in reverse, so that in the reversed postorder the major branch
   * comes first: Bi-213, Po-213, Tl-209, Pb-209. */
  for (guint b = nuclide->n_progeny; b-- > 0;)
    {
      const BqNuclideBranch *branch = &nuclide->progeny[b];

      if (branch->index < 0 || !(branch->fraction > 0.0) || seen[branch->index])
        continue;
      visit_postorder ((guint) branch->index, seen, postorder);
    }
  g_array_append_val (postorder, index);
}

/* The table indices a result holds, in order: the starting nuclides as they
 * were added, then (whole chain) every other radioactive member reachable
 * from them, parents before daughters.  Reversed depth-first postorder is a
 * topological order of the decay graph; starting from the last root makes
 * the first root's chain come first. */
static GArray *
result_members (const BqInventory *initial,
                BqDecayScope       scope)
{
  GArray *members = g_array_new (FALSE, FALSE, sizeof (guint));
  g_autofree gboolean *seen = g_new0 (gboolean, bq_nuclide_count ());
  g_autofree gboolean *starting = g_new0 (gboolean, bq_nuclide_count ());
  g_autoptr(GArray) postorder = NULL;

  for (guint i = 0; i < initial->items->len; i++)
    {
      guint index = bq_nuclide_index (g_array_index (initial->items, Item, i).nuclide);

      g_array_append_val (members, index);
      starting[index] = TRUE;
    }

  if (scope == BQ_DECAY_STARTING_ONLY)
    return members;

  postorder = g_array_new (FALSE, FALSE, sizeof (guint));
  for (guint i = initial->items->len; i-- > 0;)
    {
      guint index = g_array_index (members, guint, i);

      if (!seen[index])
        visit_postorder (index, seen, postorder);
    }

  for (guint i = postorder->len; i-- > 0;)
    {
      guint index = g_array_index (postorder, guint, i);

      if (!starting[index])
        g_array_append_val (members, index);
    }

  return members;
}

/* -------------------------------------------------------------- validation */

static gboolean
check_activities (const BqInventory  *initial,
                  GError            **error)
{
  for (guint i = 0; i < initial->items->len; i++)
    {
      const Item *item = &g_array_index (initial->items, Item, i);

      if (!(item->activity_bq >= 0.0) || !isfinite (item->activity_bq))
        {
          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                       _("%s: activity %g Bq is not a finite, non-negative number"),
                       item->nuclide->name, item->activity_bq);
          return FALSE;
        }
    }
  return TRUE;
}

static gboolean
check_inventory (const BqInventory  *initial,
                 GError            **error)
{
  if (initial->items->len == 0)
    {
      g_set_error_literal (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                           _("The inventory is empty"));
      return FALSE;
    }
  return check_activities (initial, error);
}

static gboolean
check_elapsed (double   elapsed_s,
               GError **error)
{
  if (!(elapsed_s >= 0.0) || !isfinite (elapsed_s))
    {
      g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                   _("Elapsed time %g s is not a finite, non-negative number"),
                   elapsed_s);
      return FALSE;
    }
  return TRUE;
}

static gboolean
scope_is_valid (BqDecayScope scope)
{
  switch (scope)
    {
    case BQ_DECAY_STARTING_ONLY:
    case BQ_DECAY_WHOLE_CHAIN:
      return TRUE;
    default:
      return FALSE;
    }
}

/* ------------------------------------------------------------------ public */

double
bq_decay_activity_at (const BqNuclide *nuclide,
                      double           initial_bq,
                      double           elapsed_s)
{
  g_return_val_if_fail (nuclide != NULL, 0.0);
  g_return_val_if_fail (initial_bq >= 0.0 && isfinite (initial_bq), 0.0);
  g_return_val_if_fail (!isnan (elapsed_s), 0.0);

  /* A negative @elapsed_s decays backwards (activity at an earlier time). */
  return initial_bq * exp (-bq_nuclide_decay_constant (nuclide) * elapsed_s);
}

/* Sum of @scope's activities at @t; the inventory must have been checked. */
static double
total_of (const BqInventory *initial,
          double             t,
          BqDecayScope       scope)
{
  g_autofree double *activity = g_new (double, bq_nuclide_count ());
  double total = 0.0;

  solve_chains (initial, t, activity);

  if (scope == BQ_DECAY_STARTING_ONLY)
    {
      for (guint i = 0; i < initial->items->len; i++)
        total += activity[bq_nuclide_index (g_array_index (initial->items, Item, i).nuclide)];
    }
  else
    {
      /* Members not reachable from the inventory are exactly 0. */
      for (guint i = 0; i < bq_nuclide_count (); i++)
        total += activity[i];
    }

  return total;
}

BqInventory *
bq_decay_inventory (const BqInventory  *initial,
                    double              elapsed_s,
                    BqDecayScope        scope,
                    GError            **error)
{
  g_autofree double *activity = NULL;
  g_autoptr(GArray) members = NULL;
  BqInventory *result;

  g_return_val_if_fail (initial != NULL, NULL);
  g_return_val_if_fail (scope_is_valid (scope), NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  if (!check_inventory (initial, error) || !check_elapsed (elapsed_s, error))
    return NULL;

  activity = g_new (double, bq_nuclide_count ());
  solve_chains (initial, elapsed_s, activity);

  members = result_members (initial, scope);
  result = bq_inventory_new ();
  for (guint i = 0; i < members->len; i++)
    {
      guint index = g_array_index (members, guint, i);

      bq_inventory_add (result, bq_nuclide_get (index), activity[index]);
    }

  return result;
}

/* An empty inventory has a total of 0; negative or NaN activities are a
 * programming error here (bq_decay_inventory reports them as errors). */
double
bq_decay_total_at (const BqInventory *initial,
                   double             elapsed_s,
                   BqDecayScope       scope)
{
  g_return_val_if_fail (initial != NULL, 0.0);
  g_return_val_if_fail (scope_is_valid (scope), 0.0);
  g_return_val_if_fail (elapsed_s >= 0.0 && isfinite (elapsed_s), 0.0);
  g_return_val_if_fail (check_activities (initial, NULL), 0.0);

  return total_of (initial, elapsed_s, scope);
}

/* Decay is linear in the initial amounts, so the mixture scales by
 * target / total(t). */
gboolean
bq_decay_required_initial (const BqInventory  *initial,
                           double              target_bq,
                           double              elapsed_s,
                           BqDecayScope        scope,
                           double             *required_bq,
                           GError            **error)
{
  double now;
  double later;
  double required;

  g_return_val_if_fail (initial != NULL, FALSE);
  g_return_val_if_fail (scope_is_valid (scope), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_inventory (initial, error) || !check_elapsed (elapsed_s, error))
    return FALSE;
  if (!(target_bq >= 0.0) || !isfinite (target_bq))
    {
      g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                   _("Target activity %g Bq is not a finite, non-negative number"),
                   target_bq);
      return FALSE;
    }

  now = bq_inventory_total (initial);
  if (now == 0.0)
    {
      g_set_error_literal (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_UNREACHABLE,
                           _("The inventory holds no activity, so no amount of it reaches the target"));
      return FALSE;
    }

  later = total_of (initial, elapsed_s, scope);
  required = target_bq == 0.0 ? 0.0 : target_bq * (now / later);
  if (!isfinite (required))
    {
      g_autofree char *when = bq_units_format_duration (elapsed_s);

      g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_UNREACHABLE,
                   _("After %s practically nothing is left; no finite activity now reaches the target"),
                   when);
      return FALSE;
    }

  if (required_bq != NULL)
    *required_bq = required;
  return TRUE;
}

static gboolean
has_radioactive_progeny (const BqNuclide *nuclide)
{
  for (guint b = 0; b < nuclide->n_progeny; b++)
    if (nuclide->progeny[b].index >= 0 && nuclide->progeny[b].fraction > 0.0)
      return TRUE;
  return FALSE;
}

/* The shortest half-life among the members: the time scale on which the
 * total can change first, and so where the forward scan begins. */
static double
shortest_half_life (const BqInventory *initial)
{
  g_autoptr(GArray) members = result_members (initial, BQ_DECAY_WHOLE_CHAIN);
  double shortest = G_MAXDOUBLE;

  for (guint i = 0; i < members->len; i++)
    shortest = MIN (shortest, bq_nuclide_get (g_array_index (members, guint, i))->half_life_s);
  return shortest;
}

gboolean
bq_decay_time_to_reach (const BqInventory  *initial,
                        double              target_bq,
                        BqDecayScope        scope,
                        double             *elapsed_s,
                        GError            **error)
{
  double now;
  double lo;
  double hi;

  g_return_val_if_fail (initial != NULL, FALSE);
  g_return_val_if_fail (scope_is_valid (scope), FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  if (!check_inventory (initial, error))
    return FALSE;
  if (isnan (target_bq))
    {
      g_set_error_literal (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID,
                           _("Target activity is not a number"));
      return FALSE;
    }
  if (target_bq <= 0.0)
    {
      g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_UNREACHABLE,
                   _("The activity never falls to %g Bq: decay never reaches zero"),
                   target_bq);
      return FALSE;
    }

  /* At 0 both scopes hold exactly the inventory. */
  now = bq_inventory_total (initial);
  if (target_bq >= now)
    {
      if (elapsed_s != NULL)
        *elapsed_s = 0.0;
      return TRUE;
    }

  if (initial->items->len == 1)
    {
      const BqNuclide *nuclide = g_array_index (initial->items, Item, 0).nuclide;

      if (scope == BQ_DECAY_STARTING_ONLY || !has_radioactive_progeny (nuclide))
        {
          /* One nuclide, no ingrowth counted: A0 e^{−λt} = A, in closed form.
           * Near the start the ratio is close to 1, and log1p of the exactly
           * computed difference keeps the digits that log(A0) − log(A)
           * would cancel; further on the logs are taken apart so a tiny
           * target cannot overflow the ratio. */
          double log_ratio = target_bq > 0.5 * now
                             ? -log1p ((target_bq - now) / now)
                             : log (now) - log (target_bq);

          if (elapsed_s != NULL)
            *elapsed_s = log_ratio / bq_nuclide_decay_constant (nuclide);
          return TRUE;
        }
    }

  /* Ingrowth can make the total rise before it falls, so the first crossing
   * is bracketed by stepping forward geometrically from the shortest time
   * scale in the chains, then bisected.  Sub-step dips below the target
   * and back would be missed, but no mixture of real chains has one. */
  lo = 0.0;
  hi = shortest_half_life (initial) * 1e-3;
  while (total_of (initial, hi, scope) > target_bq)
    {
      lo = hi;
      hi *= SCAN_RATIO;
      if (!isfinite (hi) || hi > G_MAXDOUBLE / 2)
        {
          g_set_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_UNREACHABLE,
                       _("The activity never falls to %g Bq"), target_bq);
          return FALSE;
        }
    }

  /* Down to about 1e-13 relative; enough that round trips agree to 1e-9. */
  for (guint i = 0; i < 200 && hi - lo > 1e-13 * hi; i++)
    {
      double mid = lo + 0.5 * (hi - lo);

      if (total_of (initial, mid, scope) <= target_bq)
        hi = mid;
      else
        lo = mid;
    }

  if (elapsed_s != NULL)
    *elapsed_s = hi;
  return TRUE;
}
