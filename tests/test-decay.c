/* test-decay.c — single-nuclide decay, chains, inventories
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The chain solver is checked against computations that share none of its
 * code:
 *
 *  - closed forms (one or two members) written here with expm1;
 *  - the matrix exponential e^{tJ} of the linear ODE system, by Taylor
 *    series and repeated squaring in 113-bit floating point (every entry of
 *    e^{tJ} is non-negative, so even the tiniest keeps its relative
 *    accuracy);
 *  - a 3-stage Radau IIA integrator (order 5, L-stable, so the 0.3 µs
 *    Po-212 does not force microsecond steps) on the linear ODE system in
 *    long double;
 *  - the Taylor series of the ODE system's exponential, for times so short
 *    that every λt is small;
 *  - conservation of atoms: what the members hold plus the time integral of
 *    what has left the chain equals what there was.
 */
#include <float.h>
#include <math.h>
#include <string.h>

#include "bq-decay.h"
#include "bq-nuclide.h"
#include "bq-units.h"

#define GBQ 1e9
#define MBQ 1e6
#define MINUTE 60.0
#define HOUR 3600.0
#define DAY 86400.0
#define YEAR (365.25 * DAY)

/* ------------------------------------------------------------- helpers */

static const BqNuclide *
nuc (const char *name)
{
  g_autoptr(GError) error = NULL;
  const BqNuclide *nuclide = bq_nuclide_lookup (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (nuclide);
  return nuclide;
}

static double
lam (const char *name)
{
  /* Written out rather than bq_nuclide_decay_constant: test-nuclide checks
   * that one; here it is an input to independent computations. */
  return log (2.0) / nuc (name)->half_life_s;
}

static BqInventory *
single (const char *name,
        double      activity_bq)
{
  BqInventory *inventory = bq_inventory_new ();

  bq_inventory_add (inventory, nuc (name), activity_bq);
  return inventory;
}

static BqInventory *
parse_ok (const char *text)
{
  g_autoptr(GError) error = NULL;
  BqInventory *inventory = bq_inventory_parse (text, &error);

  g_assert_no_error (error);
  g_assert_nonnull (inventory);
  return inventory;
}

static BqInventory *
decay_ok (const BqInventory *initial,
          double             elapsed_s,
          BqDecayScope       scope)
{
  g_autoptr(GError) error = NULL;
  BqInventory *result = bq_decay_inventory (initial, elapsed_s, scope, &error);

  g_assert_no_error (error);
  g_assert_nonnull (result);
  return result;
}

static double
act (const BqInventory *inventory,
     const char        *name)
{
  return bq_inventory_get (inventory, nuc (name));
}

/* The largest relative difference seen by check_close in the current test,
 * reported at its end so accuracy can be read from the TAP log. */
static double worst_relative;

static void
reset_worst (void)
{
  worst_relative = 0.0;
}

static void
report_worst (const char *against)
{
  g_test_message ("largest relative difference against %s: %.3g", against, worst_relative);
}

/* |got − want| ≤ rel·|want| + abs; records the relative difference. */
static gboolean
check_close (const char *what,
             double      got,
             double      want,
             double      rel,
             double      abs_tol)
{
  double diff = fabs (got - want);

  if (want != 0.0 && isfinite (diff))
    worst_relative = MAX (worst_relative, diff / fabs (want));

  if (!(diff <= rel * fabs (want) + abs_tol))
    {
      g_test_fail_printf ("%s: got %.17g, want %.17g (relative difference %.3g, allowed %.3g)",
                          what, got, want, want != 0.0 ? diff / fabs (want) : diff, rel);
      return FALSE;
    }
  return TRUE;
}

static void
assert_sane_inventory (const BqInventory *inventory)
{
  for (guint i = 0; i < bq_inventory_get_n_items (inventory); i++)
    {
      double a;
      const BqNuclide *nuclide = bq_inventory_nth (inventory, i, &a);

      if (!(isfinite (a) && a >= 0.0))
        g_test_fail_printf ("%s: activity %g is negative or not finite", nuclide->name, a);
    }
}

/* ------------------------------------------------- the ODE, in long double */

#define MAX_MEMBERS 16

/* dA/dt = J A, in activities: dA_d/dt = λ_d (Σ_p b_pd A_p − A_d). */
typedef struct {
  guint       m;
  guint       index[MAX_MEMBERS];
  long double jac[MAX_MEMBERS][MAX_MEMBERS];
  long double y[MAX_MEMBERS];
  double      lambda[MAX_MEMBERS];        /* as the library has it, in double */
  double      fraction[MAX_MEMBERS][MAX_MEMBERS];   /* [daughter][parent] */
} Ode;

static guint
ode_find (const Ode *ode,
          guint      index)
{
  for (guint i = 0; i < ode->m; i++)
    if (ode->index[i] == index)
      return i;
  return G_MAXUINT;
}

static guint
ode_add_chain (Ode   *ode,
               guint  index)
{
  const BqNuclide *nuclide = bq_nuclide_get (index);
  guint me = ode_find (ode, index);
  long double lambda = logl (2.0L) / nuclide->half_life_s;

  if (me != G_MAXUINT)
    return me;

  g_assert_cmpuint (ode->m, <, MAX_MEMBERS);
  me = ode->m++;
  ode->index[me] = index;
  ode->jac[me][me] = -lambda;
  ode->lambda[me] = log (2.0) / nuclide->half_life_s;

  for (guint b = 0; b < nuclide->n_progeny; b++)
    if (nuclide->progeny[b].index >= 0)
      {
        guint d = ode_add_chain (ode, (guint) nuclide->progeny[b].index);
        long double lambda_d = logl (2.0L) / bq_nuclide_get (ode->index[d])->half_life_s;

        ode->jac[d][me] += lambda_d * nuclide->progeny[b].fraction;
        ode->fraction[d][me] += nuclide->progeny[b].fraction;
      }
  return me;
}

static void
ode_init (Ode               *ode,
          const BqInventory *initial)
{
  memset (ode, 0, sizeof *ode);
  for (guint i = 0; i < bq_inventory_get_n_items (initial); i++)
    {
      double a0;
      const BqNuclide *nuclide = bq_inventory_nth (initial, i, &a0);
      guint me = ode_add_chain (ode, bq_nuclide_index (nuclide));

      ode->y[me] += a0;
    }
}

/* Solves a (dense, small) system by Gaussian elimination with partial
 * pivoting; @a is n×n row-major and is destroyed. */
static void
solve_dense (long double *a,
             long double *b,
             guint        n)
{
  for (guint col = 0; col < n; col++)
    {
      guint pivot = col;

      for (guint r = col + 1; r < n; r++)
        if (fabsl (a[r * n + col]) > fabsl (a[pivot * n + col]))
          pivot = r;
      if (pivot != col)
        {
          for (guint c = 0; c < n; c++)
            {
              long double tmp = a[col * n + c];

              a[col * n + c] = a[pivot * n + c];
              a[pivot * n + c] = tmp;
            }
          {
            long double tmp = b[col];

            b[col] = b[pivot];
            b[pivot] = tmp;
          }
        }
      g_assert (a[col * n + col] != 0);
      for (guint r = col + 1; r < n; r++)
        {
          long double f = a[r * n + col] / a[col * n + col];

          if (f == 0)
            continue;
          for (guint c = col; c < n; c++)
            a[r * n + c] -= f * a[col * n + c];
          b[r] -= f * b[col];
        }
    }
  for (guint r = n; r-- > 0;)
    {
      long double s = b[r];

      for (guint c = r + 1; c < n; c++)
        s -= a[r * n + c] * b[c];
      b[r] = s / a[r * n + r];
    }
}

#ifndef RADAU_GROWTH
#define RADAU_GROWTH 1.005L
#endif

/* Integrates to @t_end with 3-stage Radau IIA: Y_i = y + h Σ_j a_ij J Y_j,
 * y' = Y_3.  Steps grow geometrically from well below the shortest
 * half-life, so every time scale is crossed in steps of about 1 %. */
static void
ode_radau (Ode    *ode,
           double  t_end)
{
  const long double s6 = sqrtl (6.0L);
  const long double a[3][3] = {
    { (88 - 7 * s6) / 360, (296 - 169 * s6) / 1800, (-2 + 3 * s6) / 225 },
    { (296 + 169 * s6) / 1800, (88 + 7 * s6) / 360, (-2 - 3 * s6) / 225 },
    { (16 - s6) / 36, (16 + s6) / 36, 1.0L / 9 },
  };
  guint m = ode->m;
  guint n = 3 * m;
  g_autofree long double *matrix = g_new (long double, n * n);
  g_autofree long double *rhs = g_new (long double, n);
  long double shortest = INFINITY;
  long double t = 0;
  long double h;

  for (guint i = 0; i < m; i++)
    shortest = MIN (shortest, bq_nuclide_get (ode->index[i])->half_life_s);
  h = MIN (1e-3L * shortest, 1e-3L * t_end);

  while (t < t_end)
    {
      if (t + h >= t_end)
        h = t_end - t;

      for (guint i = 0; i < 3; i++)
        for (guint r = 0; r < m; r++)
          {
            for (guint j = 0; j < 3; j++)
              for (guint c = 0; c < m; c++)
                matrix[(i * m + r) * n + j * m + c] =
                  (i == j && r == c ? 1.0L : 0.0L) - h * a[i][j] * ode->jac[r][c];
            rhs[i * m + r] = ode->y[r];
          }
      solve_dense (matrix, rhs, n);
      for (guint r = 0; r < m; r++)
        ode->y[r] = rhs[2 * m + r];

      t += h;
      h *= RADAU_GROWTH;
    }
}

/* exp(tJ) y = Σ (tJ)^k y / k!, for t with every λt < 1/2: no cancellation
 * to speak of, and each member's sum runs until its terms are negligible. */
static void
ode_taylor (Ode    *ode,
            double  t)
{
  long double term[MAX_MEMBERS];
  long double next[MAX_MEMBERS];
  long double sum[MAX_MEMBERS];
  guint m = ode->m;

  for (guint i = 0; i < m; i++)
    {
      g_assert_cmpfloat ((double) (-ode->jac[i][i] * t), <, 0.5);
      term[i] = sum[i] = ode->y[i];
    }

  for (guint k = 1; k < 400; k++)
    {
      gboolean done = k > m;

      for (guint r = 0; r < m; r++)
        {
          long double s = 0;

          for (guint c = 0; c < m; c++)
            s += ode->jac[r][c] * term[c];
          next[r] = s * t / k;
        }
      for (guint r = 0; r < m; r++)
        {
          term[r] = next[r];
          sum[r] += term[r];
          if (fabsl (term[r]) > 1e-25L * fabsl (sum[r]))
            done = FALSE;
        }
      if (done)
        break;
    }

  for (guint i = 0; i < m; i++)
    ode->y[i] = sum[i];
}

/* Compares every member of the library's result with the ODE's. */
static void
compare_with_ode (const Ode         *ode,
                  const BqInventory *initial,
                  double             t,
                  double             rel,
                  const char        *method)
{
  g_autoptr(BqInventory) result = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);

  g_assert_cmpuint (bq_inventory_get_n_items (result), ==, ode->m);
  for (guint i = 0; i < ode->m; i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (ode->index[i]);
      g_autofree char *what = g_strdup_printf ("%s at %g s (%s)", nuclide->name, t, method);

      check_close (what, bq_inventory_get (result, nuclide), (double) ode->y[i], rel, 0.0);
    }
}

/* ------------------------------------- the matrix exponential, 113 bits */

#if LDBL_MANT_DIG >= 113
typedef long double quad;
# define HAVE_QUAD 1
#elif defined (__SIZEOF_FLOAT128__)
typedef __float128 quad;
# define HAVE_QUAD 1
#else
# define HAVE_QUAD 0
#endif

#if HAVE_QUAD

/* A(t) = e^{tJ} A(0), with e^{tJ} = (e^{hJ})^{2^s}, h = t/2^s small enough
 * that the Taylor series of e^{hJ} converges fast (‖hJ‖ ≤ 1/4, terms mixed
 * in sign but never cancelling by more than e^{1/2}).  For a decay system
 * e^{hJ} is entrywise non-negative, so the squarings add only non-negative
 * products: every entry, however small (Pb-209 from Ac-225 after 1 µs is
 * 1e-40 of the parent), keeps its relative accuracy, about 2^s ulps of
 * 113-bit arithmetic, 1e-20 even for s = 47 (Po-212 over a year).  Nothing
 * here shares code or method with the library's divided differences.
 *
 * J is built from the library's double decay constants so the two compute
 * the same mathematical quantity. */
static void
quad_expm_apply (const Ode *ode,
                 double     t,
                 double    *out)
{
  guint m = ode->m;
  quad j[MAX_MEMBERS][MAX_MEMBERS] = { { 0 } };
  quad e[MAX_MEMBERS][MAX_MEMBERS] = { { 0 } };
  quad term[MAX_MEMBERS][MAX_MEMBERS] = { { 0 } };
  quad next[MAX_MEMBERS][MAX_MEMBERS];
  quad h = t;
  double norm = 0.0;
  guint squarings = 0;

  for (guint d = 0; d < m; d++)
    {
      j[d][d] = -(quad) ode->lambda[d];
      for (guint p = 0; p < m; p++)
        if (ode->fraction[d][p] > 0.0)
          j[d][p] = (quad) ode->lambda[d] * (quad) ode->fraction[d][p];
      norm = MAX (norm, 2.0 * ode->lambda[d] * t);
    }
  while (norm > 0.25)
    {
      norm /= 2;
      h /= 2;
      squarings++;
    }

  for (guint r = 0; r < m; r++)
    e[r][r] = term[r][r] = 1;
  for (guint k = 1; k <= 30; k++)
    {
      for (guint r = 0; r < m; r++)
        for (guint c = 0; c < m; c++)
          {
            quad s = 0;

            for (guint x = 0; x < m; x++)
              s += j[r][x] * term[x][c];
            next[r][c] = s * h / k;
          }
      for (guint r = 0; r < m; r++)
        for (guint c = 0; c < m; c++)
          {
            term[r][c] = next[r][c];
            e[r][c] += term[r][c];
          }
    }

  for (guint i = 0; i < squarings; i++)
    {
      for (guint r = 0; r < m; r++)
        for (guint c = 0; c < m; c++)
          {
            quad s = 0;

            for (guint x = 0; x < m; x++)
              s += e[r][x] * e[x][c];
            next[r][c] = s;
          }
      memcpy (e, next, sizeof e);
    }

  for (guint r = 0; r < m; r++)
    {
      quad s = 0;

      for (guint c = 0; c < m; c++)
        s += e[r][c] * (quad) ode->y[c];
      out[r] = (double) s;
    }
}

/* The relative error the library cannot avoid for member @d: λt rounded to
 * double moves e^{−λt} by λt·2^{−53}, for the slowest λ on the way from a
 * starting nuclide to @d, which sets its decay late on. */
static double
rounding_allowance (const Ode *ode,
                    guint      d,
                    double     t)
{
  double slowest[MAX_MEMBERS];

  for (guint i = 0; i < ode->m; i++)
    slowest[i] = ode->y[i] > 0 ? ode->lambda[i] : G_MAXDOUBLE;
  /* Relax along every edge; m rounds reach the end of any path. */
  for (guint round = 0; round < ode->m; round++)
    for (guint i = 0; i < ode->m; i++)
      for (guint p = 0; p < ode->m; p++)
        if (ode->fraction[i][p] > 0.0)
          slowest[i] = MIN (slowest[i], MIN (slowest[p], ode->lambda[i]));
  return (ode->m + slowest[d] * t) * 2.3e-16;
}

/* Compares every member of the library's whole-chain result with the
 * reference: relative @rel plus the unavoidable rounding allowance.
 * Returns how many members were compared. */
static guint
compare_with_quad (const BqInventory *initial,
                   double             t,
                   double             rel)
{
  g_autoptr(BqInventory) result = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
  double reference[MAX_MEMBERS];
  guint compared = 0;
  Ode ode;

  ode_init (&ode, initial);
  quad_expm_apply (&ode, t, reference);
  g_assert_cmpuint (bq_inventory_get_n_items (result), ==, ode.m);

  for (guint i = 0; i < ode.m; i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (ode.index[i]);
      double got = bq_inventory_get (result, nuclide);
      g_autofree char *what = g_strdup_printf ("%s at %g s (113-bit matrix exponential)",
                                               nuclide->name, t);

      if (!(got >= 0.0 && isfinite (got)))
        g_test_fail_printf ("%s: %g", what, got);

      /* Below the normal doubles only the order of magnitude is meaningful. */
      if (reference[i] < 1e-290)
        {
          if (got > 1e-280)
            g_test_fail_printf ("%s: %g where the reference is %g", what, got, reference[i]);
          continue;
        }

      check_close (what, got, reference[i], rel + rounding_allowance (&ode, i, t), 0.0);
      compared++;
    }

  return compared;
}

#endif /* HAVE_QUAD */

/* ------------------------------------------------------------ inventory */

static void
test_inventory_basics (void)
{
  g_autoptr(BqInventory) inventory = bq_inventory_new ();
  g_autoptr(BqInventory) copy = NULL;
  BqInventory *boxed;
  double a;

  g_assert_true (G_TYPE_IS_BOXED (BQ_TYPE_INVENTORY));
  g_assert_cmpuint (bq_inventory_get_n_items (inventory), ==, 0);
  g_assert_cmpfloat (bq_inventory_total (inventory), ==, 0.0);

  bq_inventory_add (inventory, nuc ("Lu-177"), 1.0 * GBQ);
  bq_inventory_add (inventory, nuc ("F-18"), 2.0 * GBQ);
  bq_inventory_add (inventory, nuc ("Lu-177"), 3.0 * GBQ);

  /* Added amounts accumulate; first-added order is kept. */
  g_assert_cmpuint (bq_inventory_get_n_items (inventory), ==, 2);
  g_assert_true (bq_inventory_nth (inventory, 0, &a) == nuc ("Lu-177"));
  g_assert_cmpfloat (a, ==, 4.0 * GBQ);
  g_assert_true (bq_inventory_nth (inventory, 1, NULL) == nuc ("F-18"));
  g_assert_cmpfloat (act (inventory, "F-18"), ==, 2.0 * GBQ);
  g_assert_cmpfloat (act (inventory, "Ac-225"), ==, 0.0);
  g_assert_cmpfloat (bq_inventory_total (inventory), ==, 6.0 * GBQ);

  /* A copy is independent. */
  copy = bq_inventory_copy (inventory);
  bq_inventory_add (copy, nuc ("Ac-225"), 1.0);
  g_assert_cmpuint (bq_inventory_get_n_items (copy), ==, 3);
  g_assert_cmpuint (bq_inventory_get_n_items (inventory), ==, 2);

  boxed = g_boxed_copy (BQ_TYPE_INVENTORY, inventory);
  g_assert_true (boxed != inventory);
  g_assert_cmpfloat (act (boxed, "Lu-177"), ==, 4.0 * GBQ);
  g_boxed_free (BQ_TYPE_INVENTORY, boxed);

  bq_inventory_free (NULL);
}

static void
test_inventory_parse (void)
{
  g_autoptr(BqInventory) a = parse_ok ("Lu-177=7.4GBq,Lu-177m=1.48MBq");
  g_autoptr(BqInventory) b = parse_ok ("  177mLu = 200 mCi ,  lu177= 7.4 GBq  ");
  g_autoptr(BqInventory) c = parse_ok ("Ac-225=8MBq");
  double v;

  g_assert_cmpuint (bq_inventory_get_n_items (a), ==, 2);
  g_assert_true (bq_inventory_nth (a, 0, &v) == nuc ("Lu-177"));
  check_close ("Lu-177", v, 7.4e9, 1e-15, 0.0);
  g_assert_true (bq_inventory_nth (a, 1, &v) == nuc ("Lu-177m"));
  check_close ("Lu-177m", v, 1.48e6, 1e-15, 0.0);

  /* Order as typed, names in any spelling, spaces anywhere sensible. */
  g_assert_cmpuint (bq_inventory_get_n_items (b), ==, 2);
  g_assert_true (bq_inventory_nth (b, 0, &v) == nuc ("Lu-177m"));
  check_close ("Lu-177m in mCi", v, 0.2 * 3.7e10, 1e-15, 0.0);
  g_assert_true (bq_inventory_nth (b, 1, &v) == nuc ("Lu-177"));
  check_close ("Lu-177", v, 7.4e9, 1e-15, 0.0);

  g_assert_cmpuint (bq_inventory_get_n_items (c), ==, 1);
  check_close ("Ac-225", act (c, "Ac-225"), 8e6, 1e-15, 0.0);
}

static void
test_inventory_parse_errors (void)
{
  static const struct {
    const char *text;
    gboolean    units_domain;   /* else the code below in the given domain */
    gboolean    nuclide_domain;
    int         code;
    const char *in_message;
  } cases[] = {
    { "", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "No nuclides" },
    { "   ", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "No nuclides" },
    { "Lu-177=7.4GBq,", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "Item 2" },
    { ",Lu-177=7.4GBq", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "Item 1" },
    { "Lu-177=1GBq,,F-18=1GBq", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "Item 2" },
    { "Lu-177", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "nuclide=activity" },
    { "Lu-177 7.4GBq", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "“Lu-177 7.4GBq”" },
    { "Lu-177=", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "no activity" },
    { "Lu-177=1GBq,177Lu=2GBq", FALSE, FALSE, BQ_DECAY_ERROR_INVALID, "twice" },
    { "Lu-177=abc", TRUE, FALSE, 0, "Lu-177" },
    { "Lu-177=7.4", TRUE, FALSE, 0, "Lu-177" },
    { "Lu-177=7.4 XBq", TRUE, FALSE, 0, "Lu-177" },
    { "Lu-177=-1GBq", TRUE, FALSE, 0, "Lu-177" },
    { "Lu-177=1GBq=2GBq", TRUE, FALSE, 0, "Lu-177" },
    { "Lu-178=1GBq", FALSE, TRUE, BQ_NUCLIDE_ERROR_UNKNOWN, "Lu-177" },
    { "=1GBq", FALSE, TRUE, BQ_NUCLIDE_ERROR_UNKNOWN, "No nuclide" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BqInventory) inventory = bq_inventory_parse (cases[i].text, &error);

      g_test_message ("“%s” → %s", cases[i].text, error != NULL ? error->message : "(no error)");
      g_assert_null (inventory);
      g_assert_nonnull (error);
      if (cases[i].units_domain)
        g_assert_true (error->domain == BQ_UNITS_ERROR);
      else if (cases[i].nuclide_domain)
        g_assert_error (error, BQ_NUCLIDE_ERROR, cases[i].code);
      else
        g_assert_error (error, BQ_DECAY_ERROR, cases[i].code);
      g_assert_nonnull (strstr (error->message, cases[i].in_message));
    }
}

/* --------------------------------------------------------------- single */

/* After exactly one half-life, half is left: for every nuclide, through
 * both entry points. */
static void
test_single_one_half_life (void)
{
  for (guint i = 0; i < bq_nuclide_count (); i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (i);
      g_autoptr(BqInventory) initial = single (nuclide->name, 1000.0);
      g_autoptr(BqInventory) later = decay_ok (initial, nuclide->half_life_s, BQ_DECAY_STARTING_ONLY);

      check_close (nuclide->name, bq_decay_activity_at (nuclide, 1000.0, nuclide->half_life_s),
                   500.0, 5e-16, 0.0);
      check_close (nuclide->name, bq_decay_activity_at (nuclide, 1000.0, 3 * nuclide->half_life_s),
                   125.0, 1e-15, 0.0);
      g_assert_cmpuint (bq_inventory_get_n_items (later), ==, 1);
      check_close (nuclide->name, bq_inventory_get (later, nuclide), 500.0, 5e-16, 0.0);
    }

  /* Negative elapsed decays backwards. */
  check_close ("Lu-177 a half-life earlier",
               bq_decay_activity_at (nuc ("Lu-177"), 1000.0, -574300.8), 2000.0, 5e-16, 0.0);
  g_assert_cmpfloat (bq_decay_activity_at (nuc ("F-18"), 1000.0, 0.0), ==, 1000.0);
  g_assert_cmpfloat (bq_decay_activity_at (nuc ("F-18"), 0.0, 1e9), ==, 0.0);
}

/* 7.4 GBq of Lu-177 after 3 days, against A0 · 2^{−t/T½}. */
static void
test_single_lu177_three_days (void)
{
  g_autoptr(BqInventory) initial = single ("Lu-177", 7.4 * GBQ);
  g_autoptr(BqInventory) later = decay_ok (initial, 3 * DAY, BQ_DECAY_WHOLE_CHAIN);
  double expected = 7.4e9 * pow (2.0, -259200.0 / 574300.8);

  check_close ("activity_at", bq_decay_activity_at (nuc ("Lu-177"), 7.4 * GBQ, 3 * DAY),
               expected, 1e-15, 0.0);
  /* Lu-177 decays to stable Hf-177: the whole chain is Lu-177 alone. */
  g_assert_cmpuint (bq_inventory_get_n_items (later), ==, 1);
  check_close ("inventory", act (later, "Lu-177"), expected, 1e-15, 0.0);
  /* The hand value, to 5 digits: 5.4121 GBq. */
  check_close ("hand value", expected, 5.4121e9, 1e-4, 0.0);
}

/* ---------------------------------------------------------------- chains */

/* e^{−λ1 t} − e^{−λ2 t} for λ2 > λ1, without cancellation. */
static double
exp_difference (double lambda1,
                double lambda2,
                double t)
{
  return -exp (-lambda1 * t) * expm1 (-(lambda2 - lambda1) * t);
}

/* Pb-212 → Bi-212: A_Bi = A0 λ_Bi/(λ_Bi − λ_Pb) (e^{−λ_Pb t} − e^{−λ_Bi t}). */
static void
test_chain_pb212_bi212 (void)
{
  const double times[] = { 1e-9, 1e-6, 1e-3, 1.0, 60.0, HOUR, 10 * HOUR, DAY, 10 * DAY };
  g_autoptr(BqInventory) initial = single ("Pb-212", 1.0 * GBQ);
  double l1 = lam ("Pb-212");
  double l2 = lam ("Bi-212");

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      double t = times[i];
      g_autoptr(BqInventory) later = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
      double bi = GBQ * l2 / (l2 - l1) * exp_difference (l1, l2, t);
      g_autofree char *what = g_strdup_printf ("Bi-212 at %g s", t);

      check_close ("Pb-212", act (later, "Pb-212"), GBQ * exp (-l1 * t), 1e-15, 0.0);
      check_close (what, act (later, "Bi-212"), bi, 2e-15, 0.0);
    }
  report_worst ("closed form");
}

/* Lu-177m → Lu-177 (0.217): with both present, Lu-177's activity is its
 * own decay plus ingrowth, and STARTING_ONLY counts that ingrowth. */
static void
test_chain_lu177m_feeds_lu177 (void)
{
  const double times[] = { 1.0, HOUR, DAY, 7 * DAY, 30 * DAY, 160 * DAY, YEAR };
  g_autoptr(BqInventory) initial = parse_ok ("Lu-177m=10MBq,Lu-177=7.4GBq");
  double lm = lam ("Lu-177m");
  double l = lam ("Lu-177");

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      double t = times[i];
      g_autoptr(BqInventory) starting = decay_ok (initial, t, BQ_DECAY_STARTING_ONLY);
      g_autoptr(BqInventory) whole = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
      double ingrowth = 10 * MBQ * 0.217 * l / (l - lm) * exp_difference (lm, l, t);
      double lu177 = 7.4 * GBQ * exp (-l * t) + ingrowth;
      g_autofree char *what = g_strdup_printf ("Lu-177 at %g s", t);

      g_assert_cmpuint (bq_inventory_get_n_items (starting), ==, 2);
      g_assert_cmpuint (bq_inventory_get_n_items (whole), ==, 2);
      check_close ("Lu-177m", act (starting, "Lu-177m"), 10 * MBQ * exp (-lm * t), 1e-15, 0.0);
      check_close (what, act (starting, "Lu-177"), lu177, 2e-15, 0.0);
      g_assert_cmpfloat (act (whole, "Lu-177"), ==, act (starting, "Lu-177"));
    }

  /* Lu-177m alone: the ingrowth by itself, and STARTING_ONLY leaves it out. */
  {
    g_autoptr(BqInventory) alone = single ("Lu-177m", 10 * MBQ);
    g_autoptr(BqInventory) whole = decay_ok (alone, 30 * DAY, BQ_DECAY_WHOLE_CHAIN);
    g_autoptr(BqInventory) starting = decay_ok (alone, 30 * DAY, BQ_DECAY_STARTING_ONLY);

    check_close ("Lu-177 from Lu-177m", act (whole, "Lu-177"),
                 10 * MBQ * 0.217 * l / (l - lm) * exp_difference (lm, l, 30 * DAY), 2e-15, 0.0);
    g_assert_cmpuint (bq_inventory_get_n_items (starting), ==, 1);
  }
  report_worst ("closed form");
}

/* Pb-209 from Ac-225 after 1 ms, 1 s and 60 s: five decays deep, with
 * Po-213 (4.2 µs) in the path.  The textbook Bateman sum in double comes
 * out negative or wildly wrong here (its terms are 1e23 times the result at
 * 1 ms); the library must be positive and agree with the 113-bit matrix
 * exponential and with Radau. */
static void
test_chain_pb209_small_times (void)
{
  const double times[] = { 1e-3, 1.0, 60.0 };
  g_autoptr(BqInventory) initial = single ("Ac-225", 1.0 * GBQ);
  guint pb209 = bq_nuclide_index (nuc ("Pb-209"));

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (times); i++)
    {
      double t = times[i];
      g_autoptr(BqInventory) later = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
      double got = act (later, "Pb-209");
      g_autofree char *what = g_strdup_printf ("Pb-209 at %g s", t);
      Ode ode;

      g_assert_cmpfloat (got, >, 0.0);
      ode_init (&ode, initial);

#if HAVE_QUAD
      {
        double reference[MAX_MEMBERS];

        quad_expm_apply (&ode, t, reference);
        g_test_message ("Pb-209 at %g s: %.17g Bq (matrix exponential %.17g)",
                        t, got, reference[ode_find (&ode, pb209)]);
        check_close (what, got, reference[ode_find (&ode, pb209)], 1e-13, 0.0);
      }
#endif

      ode_radau (&ode, t);
      check_close (what, got, (double) ode.y[ode_find (&ode, pb209)], 1e-6, 0.0);
    }
  report_worst ("113-bit matrix exponential and Radau IIA");
}

/* Times so short every λt is below 1/2 (Po-212's 0.3 µs sets the limit):
 * every member against the Taylor series of the ODE. */
static void
test_chain_tiny_times_taylor (void)
{
  static const struct {
    const char *inventory;
    double      times[3];
  } cases[] = {
    { "Ac-225=1GBq", { 1e-9, 1e-7, 1e-6 } },
    { "Th-227=1GBq", { 1e-9, 1e-6, 1e-4 } },
    { "Pb-212=1GBq", { 1e-10, 1e-8, 1e-7 } },
    { "At-211=1GBq", { 1e-6, 1e-3, 1e-2 } },
    { "Lu-177m=1GBq,Lu-177=1GBq", { 1e-3, 1.0, 1e3 } },
  };

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BqInventory) initial = parse_ok (cases[i].inventory);

      for (guint k = 0; k < G_N_ELEMENTS (cases[i].times); k++)
        {
          Ode ode;

          ode_init (&ode, initial);
          ode_taylor (&ode, cases[i].times[k]);
          compare_with_ode (&ode, initial, cases[i].times[k], 1e-14, "Taylor");
        }
    }
  report_worst ("long-double Taylor series");
}

/* After a day Ac-225's daughters are in transient equilibrium with it; each
 * ratio follows from the decay constants alone (the other terms are down
 * by e^{−(λ_Bi − λ_Ac) t} ≈ 3e-10). */
static void
test_chain_ac225_secular_equilibrium (void)
{
  g_autoptr(BqInventory) initial = single ("Ac-225", 1.0 * GBQ);
  g_autoptr(BqInventory) day = decay_ok (initial, DAY, BQ_DECAY_WHOLE_CHAIN);
  g_autoptr(BqInventory) ten_days = decay_ok (initial, 10 * DAY, BQ_DECAY_WHOLE_CHAIN);
  double l_ac = lam ("Ac-225");
  double l_fr = lam ("Fr-221");
  double l_at = lam ("At-217");
  double l_bi = lam ("Bi-213");
  double l_po = lam ("Po-213");
  double l_tl = lam ("Tl-209");
  double l_pb = lam ("Pb-209");
  double fr = l_fr / (l_fr - l_ac);
  double at = fr * l_at / (l_at - l_ac);
  double bi = at * 0.99988 * l_bi / (l_bi - l_ac);
  double po = bi * 0.9791 * l_po / (l_po - l_ac);
  double tl = bi * 0.0209 * l_tl / (l_tl - l_ac);
  double pb = (po + tl) * l_pb / (l_pb - l_ac);

  reset_worst ();
  for (guint k = 0; k < 2; k++)
    {
      const BqInventory *r = k == 0 ? day : ten_days;
      double a_ac = act (r, "Ac-225");

      check_close ("Ac-225", a_ac, GBQ * exp (-l_ac * (k == 0 ? DAY : 10 * DAY)), 1e-15, 0.0);
      check_close ("Fr-221/Ac-225", act (r, "Fr-221") / a_ac, fr, 1e-9, 0.0);
      check_close ("At-217/Ac-225", act (r, "At-217") / a_ac, at, 1e-9, 0.0);
      check_close ("Bi-213/Ac-225", act (r, "Bi-213") / a_ac, bi, 1e-9, 0.0);
      check_close ("Po-213/Ac-225", act (r, "Po-213") / a_ac, po, 1e-9, 0.0);
      check_close ("Tl-209/Ac-225", act (r, "Tl-209") / a_ac, tl, 1e-9, 0.0);
      /* Po-213 follows Bi-213 at its branch, Tl-209 at its branch times
       * the transient-equilibrium factor against the chain's parent. */
      check_close ("Po-213/Bi-213", act (r, "Po-213") / act (r, "Bi-213"),
                   0.9791 * l_po / (l_po - l_ac), 1e-9, 0.0);
      check_close ("Tl-209/Bi-213", act (r, "Tl-209") / act (r, "Bi-213"),
                   0.0209 * l_tl / (l_tl - l_ac), 1e-9, 0.0);
    }
  /* Pb-209 (3.25 h) needs longer: e^{−(λ_Pb − λ_Ac) t} is 6e-3 after a
   * day and 1e-22 after ten. */
  check_close ("Pb-209/Ac-225 after 10 d", act (ten_days, "Pb-209") / act (ten_days, "Ac-225"),
               pb, 1e-12, 0.0);
  g_test_message ("Bi-213/Ac-225 in equilibrium: %.9f", bi);

  /* Bi-213 on its own (a generator eluate): now Bi-213 is the slowest, and
   * its constant sets the factors; after 2 h the rest is down by e^{−36}. */
  {
    g_autoptr(BqInventory) eluate = single ("Bi-213", GBQ);
    g_autoptr(BqInventory) r = decay_ok (eluate, 2 * HOUR, BQ_DECAY_WHOLE_CHAIN);

    check_close ("Po-213/Bi-213 (eluate)", act (r, "Po-213") / act (r, "Bi-213"),
                 0.9791 * l_po / (l_po - l_bi), 1e-12, 0.0);
    check_close ("Tl-209/Bi-213 (eluate)", act (r, "Tl-209") / act (r, "Bi-213"),
                 0.0209 * l_tl / (l_tl - l_bi), 1e-12, 0.0);
  }
  report_worst ("equilibrium ratios");
}

/* Pb-212 (10.6 h) → Bi-212 (1 h) → Po-212 / Tl-208: after 3 days the
 * ratios are those of transient equilibrium (rest down by e^{−45}). */
static void
test_chain_pb212_transient_equilibrium (void)
{
  g_autoptr(BqInventory) initial = single ("Pb-212", 1.0 * GBQ);
  g_autoptr(BqInventory) r = decay_ok (initial, 3 * DAY, BQ_DECAY_WHOLE_CHAIN);
  double l_pb = lam ("Pb-212");
  double l_bi = lam ("Bi-212");
  double l_po = lam ("Po-212");
  double l_tl = lam ("Tl-208");
  double bi = l_bi / (l_bi - l_pb);

  reset_worst ();
  check_close ("Bi-212/Pb-212", act (r, "Bi-212") / act (r, "Pb-212"), bi, 1e-12, 0.0);
  check_close ("Po-212/Pb-212", act (r, "Po-212") / act (r, "Pb-212"),
               bi * 0.6406 * l_po / (l_po - l_pb), 1e-12, 0.0);
  check_close ("Tl-208/Pb-212", act (r, "Tl-208") / act (r, "Pb-212"),
               bi * 0.3594 * l_tl / (l_tl - l_pb), 1e-12, 0.0);
  report_worst ("equilibrium ratios");
}

/* Every nuclide in the table, from 1 ns to a year: nothing negative or
 * NaN, the starting member decays exactly exponentially, and every member
 * matches the 113-bit sum wherever that sum is trustworthy. */
static void
test_chain_every_nuclide (void)
{
  const double times[] = {
    0.0, 1e-9, 1e-6, 1e-3, 1.0, 10.0, MINUTE, 10 * MINUTE, HOUR, DAY, 7 * DAY, 30 * DAY, YEAR,
  };
  guint compared = 0;

  reset_worst ();
  for (guint i = 0; i < bq_nuclide_count (); i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (i);
      g_autoptr(BqInventory) initial = single (nuclide->name, 1.0 * GBQ);

      for (guint k = 0; k < G_N_ELEMENTS (times); k++)
        {
          double t = times[k];
          g_autoptr(BqInventory) whole = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
          g_autoptr(BqInventory) starting = decay_ok (initial, t, BQ_DECAY_STARTING_ONLY);
          double whole_total = bq_decay_total_at (initial, t, BQ_DECAY_WHOLE_CHAIN);
          double starting_total = bq_decay_total_at (initial, t, BQ_DECAY_STARTING_ONLY);

          assert_sane_inventory (whole);
          assert_sane_inventory (starting);
          g_assert_true (isfinite (whole_total) && isfinite (starting_total));
          g_assert_cmpfloat (whole_total, >=, starting_total);
          g_assert_cmpfloat (starting_total, ==, bq_inventory_get (starting, nuclide));
          check_close (nuclide->name, bq_inventory_get (starting, nuclide),
                       bq_decay_activity_at (nuclide, GBQ, t), 1e-15, 0.0);
          check_close ("whole-chain total", whole_total, bq_inventory_total (whole), 1e-15, 0.0);
#if HAVE_QUAD
          compared += compare_with_quad (initial, t, 1e-13);
#endif
        }
    }

  g_test_message ("%u member activities compared with the matrix exponential", compared);
#if HAVE_QUAD
  g_assert_cmpuint (compared, >, 300);
#endif
  report_worst ("113-bit matrix exponential");
}

/* Gauss–Legendre, 8 points on [−1, 1]. */
static const double gl_nodes[4] = {
  0.1834346424956498, 0.5255324099163290, 0.7966664774136267, 0.9602898564975363,
};
static const double gl_weights[4] = {
  0.3626837833783620, 0.3137066458778873, 0.2223810344533745, 0.1012285362903763,
};

/* Σ over members of the activity that leaves the table (to a stable or
 * out-of-scope daughter, or not accounted for by ICRP-107's branches). */
static double
leaving_rate (const BqInventory *initial,
              double             t)
{
  g_autoptr(BqInventory) r = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
  double rate = 0.0;

  for (guint i = 0; i < bq_inventory_get_n_items (r); i++)
    {
      double a;
      const BqNuclide *nuclide = bq_inventory_nth (r, i, &a);
      double staying = 0.0;

      for (guint b = 0; b < nuclide->n_progeny; b++)
        if (nuclide->progeny[b].index >= 0)
          staying += nuclide->progeny[b].fraction;
      rate += a * (1.0 - staying);
    }
  return rate;
}

static double
integrate_panel (const BqInventory *initial,
                 double             a,
                 double             b)
{
  double mid = 0.5 * (a + b);
  double half = 0.5 * (b - a);
  double sum = 0.0;

  for (guint i = 0; i < 4; i++)
    sum += gl_weights[i] * (leaving_rate (initial, mid - half * gl_nodes[i]) +
                            leaving_rate (initial, mid + half * gl_nodes[i]));
  return half * sum;
}

/* Atoms are conserved: Σ N_i(t) plus the atoms that have left the chain,
 * ∫_0^t Σ_i (1 − Σ_b b_i) A_i(s) ds, equals N(0).  The integral runs over
 * panels growing by 10^{1/16} from well below the shortest half-life, so the
 * check ties the solver's values at thousands of times together. */
static void
test_chain_atom_conservation (void)
{
  static const char *inventories[] = {
    "Pb-212=1GBq", "Ac-225=1GBq", "Th-227=1GBq", "At-211=1GBq", "Lu-177m=1GBq", "Bi-213=1GBq",
  };
  const double times[] = { 1.0, HOUR, DAY, 30 * DAY };

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (inventories); i++)
    {
      g_autoptr(BqInventory) initial = parse_ok (inventories[i]);
      g_autoptr(BqInventory) members = decay_ok (initial, 0.0, BQ_DECAY_WHOLE_CHAIN);
      double shortest = G_MAXDOUBLE;
      double n0 = 0.0;

      for (guint k = 0; k < bq_inventory_get_n_items (members); k++)
        shortest = MIN (shortest, bq_inventory_nth (members, k, NULL)->half_life_s);
      for (guint k = 0; k < bq_inventory_get_n_items (initial); k++)
        {
          double a0;
          const BqNuclide *nuclide = bq_inventory_nth (initial, k, &a0);

          n0 += a0 / lam (nuclide->name);
        }

      for (guint k = 0; k < G_N_ELEMENTS (times); k++)
        {
          double t = times[k];
          g_autoptr(BqInventory) r = decay_ok (initial, t, BQ_DECAY_WHOLE_CHAIN);
          double held = 0.0;
          double left = 0.0;
          double a = MIN (1e-4 * shortest, 1e-4 * t);
          g_autofree char *what = g_strdup_printf ("atoms of %s after %g s", inventories[i], t);

          for (guint m = 0; m < bq_inventory_get_n_items (r); m++)
            {
              double am;
              const BqNuclide *nuclide = bq_inventory_nth (r, m, &am);

              held += am / lam (nuclide->name);
            }

          left = integrate_panel (initial, 0.0, a);
          while (a < t)
            {
              double b = MIN (a * 1.1547819846894581 /* 10^(1/16) */, t);

              left += integrate_panel (initial, a, b);
              a = b;
            }

          check_close (what, held + left, n0, 1e-12, 0.0);
        }
    }
  report_worst ("conservation of atoms");
}

/* Moderate times: every member of several chains against Radau IIA. */
static void
test_chain_radau_cross_check (void)
{
  static const char *inventories[] = {
    "Ac-225=1GBq", "Th-227=1GBq", "Ra-223=1GBq", "Pb-212=1GBq", "At-211=1GBq",
    "Lu-177m=10MBq,Lu-177=7.4GBq", "Bi-213=1GBq,Ac-225=1MBq",
  };
  const double times[] = { 10 * MINUTE, HOUR, DAY, 10 * DAY };

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (inventories); i++)
    {
      g_autoptr(BqInventory) initial = parse_ok (inventories[i]);

      for (guint k = 0; k < G_N_ELEMENTS (times); k++)
        {
          Ode ode;

          ode_init (&ode, initial);
          ode_radau (&ode, times[k]);
          compare_with_ode (&ode, initial, times[k], 1e-7, "Radau IIA");
        }
    }
  report_worst ("Radau IIA");
}

/* ----------------------------------------------------------------- scope */

static void
test_scope_starting_only (void)
{
  g_autoptr(BqInventory) initial = parse_ok ("Ac-225=1GBq,Lu-177=2GBq");
  g_autoptr(BqInventory) r = decay_ok (initial, DAY, BQ_DECAY_STARTING_ONLY);
  double a;

  g_assert_cmpuint (bq_inventory_get_n_items (r), ==, 2);
  g_assert_true (bq_inventory_nth (r, 0, &a) == nuc ("Ac-225"));
  check_close ("Ac-225", a, GBQ * exp (-lam ("Ac-225") * DAY), 1e-15, 0.0);
  g_assert_true (bq_inventory_nth (r, 1, &a) == nuc ("Lu-177"));
  check_close ("Lu-177", a, 2 * GBQ * exp (-lam ("Lu-177") * DAY), 1e-15, 0.0);
  check_close ("total", bq_decay_total_at (initial, DAY, BQ_DECAY_STARTING_ONLY),
               bq_inventory_total (r), 1e-15, 0.0);
}

static gboolean
result_is_topological (const BqInventory *initial,
                       const BqInventory *result)
{
  guint n_start = bq_inventory_get_n_items (initial);

  for (guint i = n_start; i < bq_inventory_get_n_items (result); i++)
    {
      const BqNuclide *member = bq_inventory_nth (result, i, NULL);

      /* Every parent of a non-starting member that is in the result comes
       * before it. */
      for (guint j = i + 1; j < bq_inventory_get_n_items (result); j++)
        {
          const BqNuclide *later = bq_inventory_nth (result, j, NULL);

          for (guint b = 0; b < later->n_progeny; b++)
            if (later->progeny[b].index == (int) bq_nuclide_index (member))
              return FALSE;
        }
    }
  return TRUE;
}

static void
check_names (const BqInventory  *inventory,
             const char        **names)
{
  guint n = g_strv_length ((char **) names);

  g_assert_cmpuint (bq_inventory_get_n_items (inventory), ==, n);
  for (guint i = 0; i < n; i++)
    g_assert_cmpstr (bq_inventory_nth (inventory, i, NULL)->name, ==, names[i]);
}

static void
test_scope_whole_chain_order (void)
{
  g_autoptr(BqInventory) ac = single ("Ac-225", GBQ);
  g_autoptr(BqInventory) at0 = decay_ok (ac, 0.0, BQ_DECAY_WHOLE_CHAIN);
  g_autoptr(BqInventory) mixed = parse_ok ("Bi-213=1GBq,Ac-225=1GBq");
  g_autoptr(BqInventory) mixed_r = decay_ok (mixed, HOUR, BQ_DECAY_WHOLE_CHAIN);
  g_autoptr(BqInventory) th = single ("Th-227", GBQ);
  g_autoptr(BqInventory) th_r = decay_ok (th, DAY, BQ_DECAY_WHOLE_CHAIN);
  g_autoptr(BqInventory) f18 = single ("F-18", GBQ);
  g_autoptr(BqInventory) f18_r = decay_ok (f18, DAY, BQ_DECAY_WHOLE_CHAIN);

  check_names (at0, (const char *[]) {
    "Ac-225", "Fr-221", "At-217", "Bi-213", "Po-213", "Tl-209", "Pb-209", NULL });
  /* Members are listed even at 0. */
  g_assert_cmpfloat (act (at0, "Ac-225"), ==, GBQ);
  g_assert_cmpfloat (act (at0, "Pb-209"), ==, 0.0);
  g_assert_cmpfloat (bq_inventory_total (at0), ==, GBQ);

  check_names (mixed_r, (const char *[]) {
    "Bi-213", "Ac-225", "Fr-221", "At-217", "Po-213", "Tl-209", "Pb-209", NULL });
  g_assert_true (result_is_topological (mixed, mixed_r));

  check_names (th_r, (const char *[]) {
    "Th-227", "Ra-223", "Rn-219", "Po-215", "Pb-211", "Bi-211", "Tl-207", "Po-211", NULL });
  g_assert_true (result_is_topological (th, th_r));

  /* Stable daughters are not members. */
  check_names (f18_r, (const char *[]) { "F-18", NULL });
}

/* Elapsed 0 gives the input back exactly, daughters at 0. */
static void
test_elapsed_zero (void)
{
  g_autoptr(BqInventory) initial = parse_ok ("Lu-177=7.4GBq,Lu-177m=1.48MBq,Pb-212=3MBq");

  for (guint scope = BQ_DECAY_STARTING_ONLY; scope <= BQ_DECAY_WHOLE_CHAIN; scope++)
    {
      g_autoptr(BqInventory) r = decay_ok (initial, 0.0, scope);

      for (guint i = 0; i < bq_inventory_get_n_items (initial); i++)
        {
          double a0, a;
          const BqNuclide *n0 = bq_inventory_nth (initial, i, &a0);
          const BqNuclide *n = bq_inventory_nth (r, i, &a);

          g_assert_true (n == n0);
          g_assert_cmpfloat (a, ==, a0);
        }
      for (guint i = bq_inventory_get_n_items (initial); i < bq_inventory_get_n_items (r); i++)
        {
          double a;

          bq_inventory_nth (r, i, &a);
          g_assert_cmpfloat (a, ==, 0.0);
        }
      g_assert_cmpfloat (bq_decay_total_at (initial, 0.0, scope), ==, bq_inventory_total (initial));
    }
}

/* ------------------------------------------------------ required_initial */

static double
required_ok (const BqInventory *initial,
             double             target,
             double             t,
             BqDecayScope       scope)
{
  g_autoptr(GError) error = NULL;
  double required = -1.0;

  g_assert_true (bq_decay_required_initial (initial, target, t, scope, &required, &error));
  g_assert_no_error (error);
  return required;
}

/* A copy of @initial scaled to @total. */
static BqInventory *
scaled (const BqInventory *initial,
        double             total)
{
  BqInventory *result = bq_inventory_new ();
  double factor = total / bq_inventory_total (initial);

  for (guint i = 0; i < bq_inventory_get_n_items (initial); i++)
    {
      double a;
      const BqNuclide *nuclide = bq_inventory_nth (initial, i, &a);

      bq_inventory_add (result, nuclide, a * factor);
    }
  return result;
}

static void
test_required_initial_round_trip (void)
{
  static const struct {
    const char  *inventory;
    double       target;
    double       t;
    BqDecayScope scope;
  } cases[] = {
    { "Lu-177=1GBq", 7.4e9, 3 * DAY, BQ_DECAY_STARTING_ONLY },
    { "Ac-225=1GBq", 8e6, 2 * DAY, BQ_DECAY_WHOLE_CHAIN },
    { "Ac-225=1GBq", 8e6, 2 * DAY, BQ_DECAY_STARTING_ONLY },
    { "Lu-177=7.4GBq,Lu-177m=1.48MBq", 7.4e9, 5 * DAY, BQ_DECAY_STARTING_ONLY },
    { "Pb-212=1GBq", 1e8, 1e-3, BQ_DECAY_WHOLE_CHAIN },
    { "Th-227=1GBq", 6e6, 40 * DAY, BQ_DECAY_WHOLE_CHAIN },
  };

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BqInventory) initial = parse_ok (cases[i].inventory);
      double required = required_ok (initial, cases[i].target, cases[i].t, cases[i].scope);
      g_autoptr(BqInventory) start = scaled (initial, required);

      check_close (cases[i].inventory,
                   bq_decay_total_at (start, cases[i].t, cases[i].scope), cases[i].target, 1e-14, 0.0);
    }

  /* Lu-177 by hand: 7.4 GBq three days later needs 7.4 GBq · 2^{t/T½}. */
  {
    g_autoptr(BqInventory) lu = single ("Lu-177", 1.0);

    check_close ("Lu-177 by hand", required_ok (lu, 7.4e9, 3 * DAY, BQ_DECAY_WHOLE_CHAIN),
                 7.4e9 * pow (2.0, 259200.0 / 574300.8), 1e-15, 0.0);
    g_assert_cmpfloat (required_ok (lu, 0.0, 3 * DAY, BQ_DECAY_WHOLE_CHAIN), ==, 0.0);
    check_close ("Lu-177 now", required_ok (lu, 7.4e9, 0.0, BQ_DECAY_WHOLE_CHAIN), 7.4e9, 1e-15, 0.0);
  }
  report_worst ("targets");
}

static void
test_required_initial_errors (void)
{
  g_autoptr(BqInventory) f18 = single ("F-18", GBQ);
  g_autoptr(BqInventory) zero = single ("Lu-177", 0.0);
  g_autoptr(BqInventory) empty = bq_inventory_new ();
  g_autoptr(BqInventory) negative = single ("Lu-177", -1.0);
  struct {
    const BqInventory *inventory;
    double             target;
    double             t;
    int                code;
  } cases[] = {
    /* F-18 after a year: e^{−3300}, nothing a double can hold */
    { f18, GBQ, YEAR, BQ_DECAY_ERROR_UNREACHABLE },
    { zero, GBQ, DAY, BQ_DECAY_ERROR_UNREACHABLE },
    { empty, GBQ, DAY, BQ_DECAY_ERROR_INVALID },
    { negative, GBQ, DAY, BQ_DECAY_ERROR_INVALID },
    { f18, -1.0, DAY, BQ_DECAY_ERROR_INVALID },
    { f18, NAN, DAY, BQ_DECAY_ERROR_INVALID },
    { f18, INFINITY, DAY, BQ_DECAY_ERROR_INVALID },
    { f18, GBQ, -1.0, BQ_DECAY_ERROR_INVALID },
    { f18, GBQ, NAN, BQ_DECAY_ERROR_INVALID },
    { f18, GBQ, INFINITY, BQ_DECAY_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      double required = 123.0;

      g_assert_false (bq_decay_required_initial (cases[i].inventory, cases[i].target, cases[i].t,
                                                 BQ_DECAY_WHOLE_CHAIN, &required, &error));
      g_assert_error (error, BQ_DECAY_ERROR, cases[i].code);
      g_assert_cmpfloat (required, ==, 123.0);
      g_test_message ("%s", error->message);
    }
}

/* ---------------------------------------------------------- time_to_reach */

static double
time_ok (const BqInventory *initial,
         double             target,
         BqDecayScope       scope)
{
  g_autoptr(GError) error = NULL;
  double t = -1.0;

  g_assert_true (bq_decay_time_to_reach (initial, target, scope, &t, &error));
  g_assert_no_error (error);
  g_assert_cmpfloat (t, >=, 0.0);
  return t;
}

/* F-18, 10 GBq to 500 MBq: ln 20 / ln 2 half-lives. */
static void
test_time_to_reach_f18 (void)
{
  g_autoptr(BqInventory) f18 = single ("F-18", 10 * GBQ);
  double expected = log (20.0) / log (2.0) * 6586.2;

  check_close ("F-18 starting", time_ok (f18, 500 * MBQ, BQ_DECAY_STARTING_ONLY), expected, 1e-14, 0.0);
  check_close ("F-18 whole", time_ok (f18, 500 * MBQ, BQ_DECAY_WHOLE_CHAIN), expected, 1e-14, 0.0);
  /* About 7 h 54 min 25 s. */
  check_close ("hand value", expected, 7 * HOUR + 54 * MINUTE + 25, 1e-4, 0.0);
}

/* Decay for t, then ask when that total is reached: t again. */
static void
test_time_to_reach_round_trip (void)
{
  static const struct {
    const char  *inventory;
    double       t;
    BqDecayScope scope;
  } cases[] = {
    { "Lu-177=7.4GBq", 3 * DAY, BQ_DECAY_STARTING_ONLY },
    { "Lu-177=7.4GBq", 1.0, BQ_DECAY_WHOLE_CHAIN },
    { "Ac-225=1GBq", 30 * DAY, BQ_DECAY_WHOLE_CHAIN },
    { "Ac-225=1GBq", 60 * DAY, BQ_DECAY_WHOLE_CHAIN },
    { "Ac-225=1GBq", 2 * DAY, BQ_DECAY_STARTING_ONLY },
    { "Lu-177m=10MBq,Lu-177=7.4GBq", DAY, BQ_DECAY_STARTING_ONLY },
    { "Lu-177m=10MBq,Lu-177=7.4GBq", 100 * DAY, BQ_DECAY_WHOLE_CHAIN },
    { "Th-227=1GBq", 200 * DAY, BQ_DECAY_WHOLE_CHAIN },
    { "At-211=1GBq", DAY, BQ_DECAY_WHOLE_CHAIN },
    { "Bi-213=1GBq", HOUR, BQ_DECAY_WHOLE_CHAIN },
    { "Pb-212=1GBq,F-18=2GBq", 2 * DAY, BQ_DECAY_WHOLE_CHAIN },
  };

  reset_worst ();
  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(BqInventory) initial = parse_ok (cases[i].inventory);
      double total = bq_decay_total_at (initial, cases[i].t, cases[i].scope);
      g_autofree char *what = g_strdup_printf ("%s, %g s", cases[i].inventory, cases[i].t);

      g_assert_cmpfloat (total, <, bq_inventory_total (initial));
      check_close (what, time_ok (initial, total, cases[i].scope), cases[i].t, 1e-9, 0.0);
    }
  report_worst ("round trips");
}

/* The whole Ac-225 chain first grows (four daughters come into equilibrium
 * within hours) and only then decays: a target below the initial total is
 * reached long after the rise, not at the start. */
static void
test_time_to_reach_ac225_after_rise (void)
{
  g_autoptr(BqInventory) ac = single ("Ac-225", GBQ);
  double target = 0.9 * GBQ;
  double t = time_ok (ac, target, BQ_DECAY_WHOLE_CHAIN);
  double peak = 0.0;

  g_test_message ("Ac-225 chain falls to 0.9 of its initial total after %.6g d", t / DAY);
  g_assert_cmpfloat (t, >, 10 * DAY);
  check_close ("total at t", bq_decay_total_at (ac, t, BQ_DECAY_WHOLE_CHAIN), target, 1e-9, 0.0);

  /* Nowhere before t is the total at or below the target. */
  for (double s = 1e-9; s < t; s *= 1.05)
    {
      double total = bq_decay_total_at (ac, s, BQ_DECAY_WHOLE_CHAIN);

      peak = MAX (peak, total);
      if (total <= target)
        g_test_fail_printf ("total %g ≤ target at %g s, before %g s", total, s, t);
    }
  for (guint k = 1; k < 1000; k++)
    g_assert_cmpfloat (bq_decay_total_at (ac, t * k / 1000.0, BQ_DECAY_WHOLE_CHAIN), >, target);

  /* Six members in near equilibrium, Tl-209 small: the peak is far above. */
  g_assert_cmpfloat (peak, >, 5 * GBQ);

  /* Ac-225 alone has no rise: the closed form. */
  check_close ("Ac-225 alone", time_ok (ac, target, BQ_DECAY_STARTING_ONLY),
               log (1.0 / 0.9) / lam ("Ac-225"), 1e-14, 0.0);
}

/* F-18 with Th-227: the total falls for hours as F-18 goes, bottoms out
 * near 1.23 GBq after about 14 h, then rises for two weeks as the Ra-223
 * chain grows in.  1.5 GBq is first reached within the first day, not on the
 * way down a month later. */
static void
test_time_to_reach_first_crossing (void)
{
  g_autoptr(BqInventory) mix = parse_ok ("F-18=10GBq,Th-227=1GBq");
  double target = 1.5 * GBQ;
  double t = time_ok (mix, target, BQ_DECAY_WHOLE_CHAIN);
  double low = time_ok (mix, 1.0 * GBQ, BQ_DECAY_WHOLE_CHAIN);

  g_test_message ("1.5 GBq after %.6g h, 1 GBq after %.6g d", t / HOUR, low / DAY);
  g_assert_cmpfloat (t, <, DAY);
  check_close ("total at t", bq_decay_total_at (mix, t, BQ_DECAY_WHOLE_CHAIN), target, 1e-9, 0.0);
  for (guint k = 1; k < 1000; k++)
    g_assert_cmpfloat (bq_decay_total_at (mix, t * k / 1000.0, BQ_DECAY_WHOLE_CHAIN), >, target);
  /* It does come back above the target. */
  g_assert_cmpfloat (bq_decay_total_at (mix, 10 * DAY, BQ_DECAY_WHOLE_CHAIN), >, target);

  /* Below the bottom of the dip: only on the way down, two months on. */
  g_assert_cmpfloat (low, >, 60 * DAY);
  check_close ("total at low", bq_decay_total_at (mix, low, BQ_DECAY_WHOLE_CHAIN), 1.0 * GBQ, 1e-9, 0.0);
}

static void
test_time_to_reach_already_there (void)
{
  g_autoptr(BqInventory) ac = single ("Ac-225", GBQ);
  g_autoptr(BqInventory) lu = parse_ok ("Lu-177=7.4GBq,Lu-177m=1MBq");

  g_assert_cmpfloat (time_ok (ac, GBQ, BQ_DECAY_WHOLE_CHAIN), ==, 0.0);
  g_assert_cmpfloat (time_ok (ac, 2 * GBQ, BQ_DECAY_WHOLE_CHAIN), ==, 0.0);
  g_assert_cmpfloat (time_ok (ac, INFINITY, BQ_DECAY_STARTING_ONLY), ==, 0.0);
  g_assert_cmpfloat (time_ok (lu, 7.401e9, BQ_DECAY_STARTING_ONLY), ==, 0.0);
}

static void
test_time_to_reach_errors (void)
{
  g_autoptr(BqInventory) ac = single ("Ac-225", GBQ);
  g_autoptr(BqInventory) empty = bq_inventory_new ();
  g_autoptr(BqInventory) nan_activity = single ("Ac-225", NAN);
  struct {
    const BqInventory *inventory;
    double             target;
    int                code;
  } cases[] = {
    { ac, 0.0, BQ_DECAY_ERROR_UNREACHABLE },
    { ac, -1.0, BQ_DECAY_ERROR_UNREACHABLE },
    { ac, NAN, BQ_DECAY_ERROR_INVALID },
    { empty, 1.0, BQ_DECAY_ERROR_INVALID },
    { nan_activity, 1.0, BQ_DECAY_ERROR_INVALID },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      double t = 123.0;

      g_assert_false (bq_decay_time_to_reach (cases[i].inventory, cases[i].target,
                                              BQ_DECAY_WHOLE_CHAIN, &t, &error));
      g_assert_error (error, BQ_DECAY_ERROR, cases[i].code);
      g_assert_cmpfloat (t, ==, 123.0);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_false (bq_decay_time_to_reach (ac, 0.0, BQ_DECAY_WHOLE_CHAIN, NULL, &error));
    g_assert_nonnull (strstr (error->message, "never reaches zero"));
  }
}

/* ---------------------------------------------------------------- errors */

static void
test_errors_invalid_input (void)
{
  g_autoptr(BqInventory) ok = single ("Lu-177", GBQ);
  g_autoptr(BqInventory) empty = bq_inventory_new ();
  g_autoptr(BqInventory) negative = single ("Lu-177", -1.0);
  g_autoptr(BqInventory) nan_activity = single ("Lu-177", NAN);
  g_autoptr(BqInventory) inf_activity = single ("Lu-177", INFINITY);
  struct {
    const BqInventory *inventory;
    double             t;
  } cases[] = {
    { ok, -1.0 }, { ok, -1e-300 }, { ok, NAN }, { ok, INFINITY }, { ok, -INFINITY },
    { empty, 1.0 }, { negative, 1.0 }, { nan_activity, 1.0 }, { inf_activity, 1.0 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GError) error = NULL;
      g_autoptr(BqInventory) r = bq_decay_inventory (cases[i].inventory, cases[i].t,
                                                     BQ_DECAY_WHOLE_CHAIN, &error);

      g_assert_null (r);
      g_assert_error (error, BQ_DECAY_ERROR, BQ_DECAY_ERROR_INVALID);
      g_test_message ("%s", error->message);
    }

  /* An empty inventory sums to nothing. */
  g_assert_cmpfloat (bq_decay_total_at (empty, DAY, BQ_DECAY_WHOLE_CHAIN), ==, 0.0);
}

/* A negative time passed to bq_decay_total_at, which has no GError, is a
 * programming error: a critical, and 0.  (Checked in-process: a trap
 * subprocess would leave GLib's child-watch thread for valgrind to report.)
 * The core library sets no G_LOG_DOMAIN, hence NULL. */
static void
test_errors_total_at_precondition (void)
{
  g_autoptr(BqInventory) ok = single ("Lu-177", GBQ);
  double total;

  g_test_expect_message (NULL, G_LOG_LEVEL_CRITICAL, "*bq_decay_total_at*elapsed_s*");
  total = bq_decay_total_at (ok, -1.0, BQ_DECAY_WHOLE_CHAIN);
  g_test_assert_expected_messages ();
  g_assert_cmpfloat (total, ==, 0.0);
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/decay/inventory/basics", test_inventory_basics);
  g_test_add_func ("/decay/inventory/parse", test_inventory_parse);
  g_test_add_func ("/decay/inventory/parse-errors", test_inventory_parse_errors);
  g_test_add_func ("/decay/single/one-half-life", test_single_one_half_life);
  g_test_add_func ("/decay/single/lu177-three-days", test_single_lu177_three_days);
  g_test_add_func ("/decay/chain/pb212-bi212-closed-form", test_chain_pb212_bi212);
  g_test_add_func ("/decay/chain/lu177m-feeds-lu177", test_chain_lu177m_feeds_lu177);
  g_test_add_func ("/decay/chain/pb209-small-times", test_chain_pb209_small_times);
  g_test_add_func ("/decay/chain/tiny-times-taylor", test_chain_tiny_times_taylor);
  g_test_add_func ("/decay/chain/ac225-secular-equilibrium", test_chain_ac225_secular_equilibrium);
  g_test_add_func ("/decay/chain/pb212-transient-equilibrium", test_chain_pb212_transient_equilibrium);
  g_test_add_func ("/decay/chain/every-nuclide", test_chain_every_nuclide);
  g_test_add_func ("/decay/chain/atom-conservation", test_chain_atom_conservation);
  g_test_add_func ("/decay/chain/radau-cross-check", test_chain_radau_cross_check);
  g_test_add_func ("/decay/scope/starting-only", test_scope_starting_only);
  g_test_add_func ("/decay/scope/whole-chain-order", test_scope_whole_chain_order);
  g_test_add_func ("/decay/scope/elapsed-zero", test_elapsed_zero);
  g_test_add_func ("/decay/required-initial/round-trip", test_required_initial_round_trip);
  g_test_add_func ("/decay/required-initial/errors", test_required_initial_errors);
  g_test_add_func ("/decay/time-to-reach/f18", test_time_to_reach_f18);
  g_test_add_func ("/decay/time-to-reach/round-trip", test_time_to_reach_round_trip);
  g_test_add_func ("/decay/time-to-reach/ac225-after-the-rise", test_time_to_reach_ac225_after_rise);
  g_test_add_func ("/decay/time-to-reach/first-crossing", test_time_to_reach_first_crossing);
  g_test_add_func ("/decay/time-to-reach/already-there", test_time_to_reach_already_there);
  g_test_add_func ("/decay/time-to-reach/errors", test_time_to_reach_errors);
  g_test_add_func ("/decay/errors/invalid-input", test_errors_invalid_input);
  g_test_add_func ("/decay/errors/total-at-precondition", test_errors_total_at_precondition);

  return g_test_run ();
}
