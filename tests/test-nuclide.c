/* test-nuclide.c — the nuclide table and name lookup
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <math.h>
#include <string.h>

#include "bq-nuclide.h"

static const BqNuclide *
must_lookup (const char *name)
{
  g_autoptr(GError) error = NULL;
  const BqNuclide *nuclide = bq_nuclide_lookup (name, &error);

  g_assert_no_error (error);
  g_assert_nonnull (nuclide);
  return nuclide;
}

/* Every accepted spelling finds the canonical entry. */
static void
test_lookup_spellings (void)
{
  static const struct {
    const char *typed;
    const char *canonical;
  } cases[] = {
    { "Lu-177", "Lu-177" },
    { "Lu177", "Lu-177" },
    { "177Lu", "Lu-177" },
    { "lu-177", "Lu-177" },
    { "LU-177", "Lu-177" },
    { "lU177", "Lu-177" },
    { "177lu", "Lu-177" },
    { "177-Lu", "Lu-177" },
    { "Lu 177", "Lu-177" },
    { "  Lu-177\t\n", "Lu-177" },
    { "Lu-0177", "Lu-177" },
    { "lu-177m", "Lu-177m" },
    { "Lu-177m", "Lu-177m" },
    { "Lu-177M", "Lu-177m" },
    { "Lu177m", "Lu-177m" },
    { "177mLu", "Lu-177m" },
    { "177MLU", "Lu-177m" },
    { "177m-Lu", "Lu-177m" },
    { " 177mLu ", "Lu-177m" },
    { "99mTc", "Tc-99m" },
    { "Tc-99m", "Tc-99m" },
    { "tc99M", "Tc-99m" },
    { "225Ac", "Ac-225" },
    { "ac225", "Ac-225" },
    { "F18", "F-18" },
    { "18F", "F-18" },
    { "f-18", "F-18" },
    { "90Y", "Y-90" },
    { "y90", "Y-90" },
    { "68Ga", "Ga-68" },
    { "Po-213", "Po-213" },
    { "213po", "Po-213" },
  };

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      const BqNuclide *nuclide = must_lookup (cases[i].typed);

      g_assert_cmpstr (nuclide->name, ==, cases[i].canonical);
    }
}

/* Every table entry is found by its name in several spellings built here
 * from the canonical one, and lookup returns the table's own entry. */
static void
test_lookup_every_entry (void)
{
  g_assert_cmpuint (bq_nuclide_count (), >, 0);

  for (guint i = 0; i < bq_nuclide_count (); i++)
    {
      const BqNuclide *entry = bq_nuclide_get (i);
      const char *dash = strchr (entry->name, '-');
      g_autofree char *symbol = NULL;
      g_autofree char *mass = NULL;
      g_autofree char *lower = g_ascii_strdown (entry->name, -1);
      g_autofree char *upper = g_ascii_strup (entry->name, -1);
      g_autofree char *no_dash = NULL;
      g_autofree char *mass_first = NULL;
      const char *spellings[5];

      g_assert_nonnull (dash);
      symbol = g_strndup (entry->name, dash - entry->name);
      mass = g_strdup (dash + 1);
      no_dash = g_strconcat (symbol, mass, NULL);
      mass_first = g_strconcat (mass, symbol, NULL);

      spellings[0] = entry->name;
      spellings[1] = lower;
      spellings[2] = upper;
      spellings[3] = no_dash;
      spellings[4] = mass_first;

      for (guint s = 0; s < G_N_ELEMENTS (spellings); s++)
        {
          const BqNuclide *found = must_lookup (spellings[s]);

          g_assert_true (found == entry);
          g_assert_cmpuint (bq_nuclide_index (found), ==, i);
        }
    }
}

/* Sorted by name, so lookup can search it; names unique. */
static void
test_table_sorted (void)
{
  for (guint i = 1; i < bq_nuclide_count (); i++)
    g_assert_cmpint (strcmp (bq_nuclide_get (i - 1)->name, bq_nuclide_get (i)->name), <, 0);
}

/* Values are ICRP-107's doubles exactly (compared with ==, on purpose). */
static void
test_table_icrp107_values (void)
{
  static const struct {
    const char *name;
    double      half_life_s;
  } half_lives[] = {
    { "Lu-177", 574300.8 },
    { "Lu-177m", 13858560.0 },
    { "Ac-225", 864000.0 },
    { "Po-213", 4.2e-06 },
    { "Po-212", 2.99e-07 },
    { "Bi-213", 2735.4 },
    { "At-217", 0.0323 },
    { "Bi-207", 1038222868.032 },
    { "F-18", 6586.2 },
  };
  static const struct {
    const char *parent;
    const char *daughter;
    double      fraction;
  } branches[] = {
    { "Bi-213", "Po-213", 0.9791 },
    { "Bi-213", "Tl-209", 0.0209 },
    { "At-217", "Bi-213", 0.99988 },
    { "Lu-177m", "Lu-177", 0.217 },
    { "Lu-177m", "Hf-177", 0.783 },
    { "Bi-212", "Po-212", 0.6406 },
    { "Bi-212", "Tl-208", 0.3594 },
    { "At-211", "Po-211", 0.582 },
    { "At-211", "Bi-207", 0.418 },
  };

  for (guint i = 0; i < G_N_ELEMENTS (half_lives); i++)
    g_assert_cmpfloat (must_lookup (half_lives[i].name)->half_life_s, ==, half_lives[i].half_life_s);

  for (guint i = 0; i < G_N_ELEMENTS (branches); i++)
    {
      const BqNuclide *parent = must_lookup (branches[i].parent);
      gboolean found = FALSE;

      for (guint b = 0; b < parent->n_progeny; b++)
        if (g_str_equal (parent->progeny[b].daughter, branches[i].daughter))
          {
            g_assert_cmpfloat (parent->progeny[b].fraction, ==, branches[i].fraction);
            found = TRUE;
          }
      g_assert_true (found);
    }

  g_assert_cmpstr (must_lookup ("Lu-177m")->modes, ==, "beta-, IT");
}

/* Each branch's index points at the entry of that name, or is -1 exactly
 * when the daughter is not in the table; fractions are sane; the graph has
 * no cycles (a path is never longer than the table). */
static void
check_no_cycle (guint index,
                guint depth)
{
  const BqNuclide *nuclide = bq_nuclide_get (index);

  g_assert_cmpuint (depth, <, bq_nuclide_count ());
  for (guint b = 0; b < nuclide->n_progeny; b++)
    if (nuclide->progeny[b].index >= 0)
      check_no_cycle ((guint) nuclide->progeny[b].index, depth + 1);
}

static void
test_table_progeny_consistent (void)
{
  for (guint i = 0; i < bq_nuclide_count (); i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (i);
      double sum = 0.0;

      g_assert_true (isfinite (nuclide->half_life_s));
      g_assert_cmpfloat (nuclide->half_life_s, >, 0.0);
      g_assert_nonnull (nuclide->modes);
      g_assert_cmpuint (nuclide->n_progeny, >, 0);

      for (guint b = 0; b < nuclide->n_progeny; b++)
        {
          const BqNuclideBranch *branch = &nuclide->progeny[b];
          g_autoptr(GError) error = NULL;
          const BqNuclide *by_name = bq_nuclide_lookup (branch->daughter, &error);

          g_assert_cmpfloat (branch->fraction, >, 0.0);
          g_assert_cmpfloat (branch->fraction, <=, 1.0);
          sum += branch->fraction;

          if (branch->index >= 0)
            {
              g_assert_no_error (error);
              g_assert_cmpint (branch->index, <, (int) bq_nuclide_count ());
              g_assert_cmpstr (bq_nuclide_get ((guint) branch->index)->name, ==, branch->daughter);
              g_assert_true (by_name == bq_nuclide_get ((guint) branch->index));
            }
          else
            {
              g_assert_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN);
              g_assert_null (by_name);
            }
        }

      /* ICRP-107 may omit minor branches, never invent activity. */
      g_assert_cmpfloat (sum, <=, 1.0 + 1e-9);
      check_no_cycle (i, 0);
    }
}

static void
test_decay_constant (void)
{
  for (guint i = 0; i < bq_nuclide_count (); i++)
    {
      const BqNuclide *nuclide = bq_nuclide_get (i);
      double lambda = bq_nuclide_decay_constant (nuclide);

      g_assert_cmpfloat (lambda, ==, log (2.0) / nuclide->half_life_s);
      g_assert_cmpuint (bq_nuclide_index (nuclide), ==, i);
    }

  g_assert_cmpfloat_with_epsilon (bq_nuclide_decay_constant (must_lookup ("Lu-177")),
                                  1.20694099775e-6, 1e-17);
}

/* Unknown names fail with a message that quotes them and offers close
 * matches. */
static void
check_unknown (const char  *typed,
               const char **expected,
               const char **not_expected)
{
  g_autoptr(GError) error = NULL;
  const BqNuclide *nuclide = bq_nuclide_lookup (typed, &error);
  const char *comma;
  guint n_listed = 1;

  g_assert_null (nuclide);
  g_assert_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN);
  g_assert_true (g_utf8_validate (error->message, -1, NULL));
  g_test_message ("%s → %s", typed, error->message);

  for (guint i = 0; expected != NULL && expected[i] != NULL; i++)
    g_assert_nonnull (strstr (error->message, expected[i]));
  for (guint i = 0; not_expected != NULL && not_expected[i] != NULL; i++)
    g_assert_null (strstr (error->message, not_expected[i]));

  /* At most four suggestions. */
  for (comma = strchr (error->message, ','); comma != NULL; comma = strchr (comma + 1, ','))
    n_listed++;
  g_assert_cmpuint (n_listed, <=, 4);
}

static void
test_lookup_unknown_suggests (void)
{
  check_unknown ("Lu-178",
                 (const char *[]) { "“Lu-178”", "did you mean Lu-177, Lu-177m?", NULL },
                 NULL);
  check_unknown ("Ac225x",
                 (const char *[]) { "“Ac225x”", "Ac-225", NULL },
                 (const char *[]) { "Lu-177", NULL });
  check_unknown ("Ac-226",
                 (const char *[]) { "did you mean Ac-225?", NULL },
                 NULL);
  /* swapped digits */
  check_unknown ("Lu-717",
                 (const char *[]) { "Lu-177", NULL },
                 NULL);
  check_unknown ("Tc-99",
                 (const char *[]) { "Tc-99m", NULL },
                 NULL);
  check_unknown ("178Lu",
                 (const char *[]) { "Lu-177", NULL },
                 NULL);
  /* same element, far in mass: still offered */
  check_unknown ("Lu-999",
                 (const char *[]) { "Lu-177", "Lu-177m", NULL },
                 NULL);
  /* many close ones: the closest four */
  check_unknown ("Bi-214",
                 (const char *[]) { "did you mean Bi-213, Bi-212, Bi-211, Bi-207?", NULL },
                 NULL);
  check_unknown ("Xx-999",
                 (const char *[]) { "“Xx-999”", "no known nuclide", NULL },
                 (const char *[]) { "did you mean", NULL });
}

/* Malformed names: none is accepted, each gets a readable message. */
static void
test_lookup_bad_inputs (void)
{
  static const char *bad[] = {
    "", "   ", "177", "Lu-", "Lu", "-177", "Xx-999", "Lu--177", "Lu-177mm",
    "Lu-177-", "-Lu-177", "Lu-0", "Lu-99999", "Lu-177m1", "Lu_177", "Lu-1e2",
    "Lu-177 m", "177", "m177Lu", "177mmLu", "Lu-177=1GBq", "\xff\xfe", "Lutetium-177",
    "Hf-177", "Pb-208",
  };

  for (guint i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      const BqNuclide *nuclide = bq_nuclide_lookup (bad[i], &error);

      g_assert_null (nuclide);
      g_assert_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN);
      g_assert_true (g_utf8_validate (error->message, -1, NULL));
      g_assert_cmpuint (strlen (error->message), >, 0);
    }

  {
    g_autoptr(GError) error = NULL;

    g_assert_null (bq_nuclide_lookup ("  ", &error));
    g_assert_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN);
    g_assert_cmpstr (error->message, ==, "No nuclide given");
  }

  /* NULL error is allowed. */
  g_assert_null (bq_nuclide_lookup ("Lu-178", NULL));
}

int
main (int    argc,
      char **argv)
{
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/nuclide/lookup/spellings", test_lookup_spellings);
  g_test_add_func ("/nuclide/lookup/every-entry", test_lookup_every_entry);
  g_test_add_func ("/nuclide/lookup/unknown-suggests", test_lookup_unknown_suggests);
  g_test_add_func ("/nuclide/lookup/bad-inputs", test_lookup_bad_inputs);
  g_test_add_func ("/nuclide/table/sorted", test_table_sorted);
  g_test_add_func ("/nuclide/table/icrp107-values", test_table_icrp107_values);
  g_test_add_func ("/nuclide/table/progeny-consistent", test_table_progeny_consistent);
  g_test_add_func ("/nuclide/table/decay-constant", test_decay_constant);

  return g_test_run ();
}
