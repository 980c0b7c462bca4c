/* bq-nuclide.c — the nuclide table (ICRP-107)
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * The table itself is generated at build time (gen-nuclide-table.py) so that
 * every half-life and branching fraction is exactly the ICRP-107 double.
 * This file only finds entries in it: by the names people actually type,
 * and, when a name is not there, with a message that says what was meant.
 */
#include "config.h"

#include <string.h>

#include <glib/gi18n-lib.h>

#include "bq-nuclide-private.h"

G_DEFINE_QUARK (bq-nuclide-error-quark, bq_nuclide_error)

/* Longest element symbol we read ("Lu", or a three-letter placeholder) and
 * the largest mass number; anything longer is not a nuclide name. */
#define MAX_SYMBOL 3
#define MAX_MASS   999

/* At most this many suggestions in an "unknown nuclide" message. */
#define MAX_SUGGESTIONS 4

/* Suggestions must be within this many edits of what was typed. */
#define MAX_DISTANCE 2

/* Canonical names are at most "Xxx-999m" plus NUL. */
#define CANONICAL_SIZE 16

/* ------------------------------------------------------------------ lookup */

static int
compare_name (const void *key,
              const void *member)
{
  const BqNuclide *nuclide = member;

  return strcmp (key, nuclide->name);
}

/* The table is sorted by name (byte order, as Python's sorted() leaves it),
 * so an exact canonical name is a binary search away. */
static const BqNuclide *
find_canonical (const char *canonical)
{
  return bsearch (canonical, bq_nuclide_table, bq_nuclide_table_length,
                  sizeof bq_nuclide_table[0], compare_name);
}

static gsize
span_alpha (const char *p)
{
  gsize n = 0;

  while (g_ascii_isalpha (p[n]))
    n++;
  return n;
}

static gsize
span_digit (const char *p)
{
  gsize n = 0;

  while (g_ascii_isdigit (p[n]))
    n++;
  return n;
}

static gboolean
is_separator (char c)
{
  return c == '-' || c == ' ';
}

/* Writes "Lu-177m" from symbol "lU", mass digits "0177" and the isomer flag.
 * Returns FALSE when the parts cannot form a name. */
static gboolean
format_canonical (const char *symbol,
                  gsize       symbol_len,
                  const char *digits,
                  gsize       digits_len,
                  gboolean    isomer,
                  char        out[CANONICAL_SIZE])
{
  char sym[MAX_SYMBOL + 1];
  guint64 mass;
  g_autofree char *digits_copy = NULL;

  if (symbol_len == 0 || symbol_len > MAX_SYMBOL)
    return FALSE;
  if (digits_len == 0 || digits_len > 4)
    return FALSE;

  digits_copy = g_strndup (digits, digits_len);
  mass = g_ascii_strtoull (digits_copy, NULL, 10);
  if (mass == 0 || mass > MAX_MASS)
    return FALSE;

  for (gsize i = 0; i < symbol_len; i++)
    sym[i] = i == 0 ? g_ascii_toupper (symbol[i]) : g_ascii_tolower (symbol[i]);
  sym[symbol_len] = '\0';

  g_snprintf (out, CANONICAL_SIZE, "%s-%u%s", sym, (guint) mass, isomer ? "m" : "");
  return TRUE;
}

/* Reads a stripped name in any accepted spelling and writes the canonical
 * names it can mean: "Lu-177", "Lu177", "lu 177m", "Lu-177M", "177Lu",
 * "177mLu", "177m-Lu".  Mass-first names are ambiguous when an 'm' follows
 * the digits: "99mTc" is Tc-99m but "99Mo" is Mo-99, so both readings are
 * returned and the table decides.  Returns how many were written (0–2). */
static guint
candidate_names (const char *s,
                 char        out[2][CANONICAL_SIZE])
{
  guint n = 0;
  gsize len = strlen (s);

  if (g_ascii_isalpha (s[0]))
    {
      /* Symbol first. */
      gsize n_sym = span_alpha (s);
      const char *p = s + n_sym;
      const char *digits;
      gsize n_dig;
      gboolean isomer = FALSE;

      if (is_separator (*p))
        p++;
      digits = p;
      n_dig = span_digit (p);
      p += n_dig;
      if (*p == 'm' || *p == 'M')
        {
          isomer = TRUE;
          p++;
        }
      if (*p == '\0' && format_canonical (s, n_sym, digits, n_dig, isomer, out[n]))
        n++;
    }
  else if (g_ascii_isdigit (s[0]))
    {
      /* Mass first. */
      gsize n_dig = span_digit (s);
      const char *p = s + n_dig;
      const char *sym;
      gsize n_sym;

      if ((*p == 'm' || *p == 'M') && len > n_dig + 1)
        {
          /* Reading one: 'm' marks the isomer. */
          const char *q = p + 1;

          if (is_separator (*q))
            q++;
          n_sym = span_alpha (q);
          if (q[n_sym] == '\0' && format_canonical (q, n_sym, s, n_dig, TRUE, out[n]))
            n++;
        }

      /* Reading two (or the only one): the letters are all symbol. */
      if (is_separator (*p))
        p++;
      sym = p;
      n_sym = span_alpha (p);
      if (sym[n_sym] == '\0' && format_canonical (sym, n_sym, s, n_dig, FALSE, out[n]))
        n++;
    }

  return n;
}

/* ------------------------------------------------------------- suggestions */

/* Lower-case letters and digits only: "Lu-177m" → "lu177m". */
static char *
loose_key (const char *s)
{
  GString *key = g_string_new (NULL);

  for (; *s != '\0'; s++)
    if (g_ascii_isalnum (*s))
      g_string_append_c (key, g_ascii_tolower (*s));

  return g_string_free (key, FALSE);
}

/* Restricted Damerau–Levenshtein distance (insertions, deletions,
 * substitutions and swaps of neighbours), capped: anything above @cap is
 * reported as @cap + 1.  Swaps matter because "Lu-717" is a typing slip. */
static guint
edit_distance (const char *a,
               const char *b,
               guint       cap)
{
  gsize la = strlen (a);
  gsize lb = strlen (b);
  g_autofree guint *d = NULL;
  guint result;

  if ((la > lb ? la - lb : lb - la) > cap)
    return cap + 1;

#define D(i, j) d[(i) * (lb + 1) + (j)]
  d = g_new (guint, (la + 1) * (lb + 1));
  for (gsize i = 0; i <= la; i++)
    D (i, 0) = i;
  for (gsize j = 0; j <= lb; j++)
    D (0, j) = j;

  for (gsize i = 1; i <= la; i++)
    for (gsize j = 1; j <= lb; j++)
      {
        guint cost = a[i - 1] == b[j - 1] ? 0 : 1;
        guint best = MIN (D (i - 1, j) + 1, D (i, j - 1) + 1);

        best = MIN (best, D (i - 1, j - 1) + cost);
        if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
          best = MIN (best, D (i - 2, j - 2) + 1);
        D (i, j) = best;
      }

  result = D (la, lb);
#undef D

  return MIN (result, cap + 1);
}

/* The loose keys what was typed may stand for: as typed, and with a leading
 * mass moved behind the symbol ("177mlu" → "lu177m" and "mlu177"). */
static GPtrArray *
loose_variants (const char *typed)
{
  GPtrArray *variants = g_ptr_array_new_with_free_func (g_free);
  g_autofree char *key = loose_key (typed);
  gsize n_dig = span_digit (key);

  if (n_dig > 0 && key[n_dig] != '\0')
    {
      const char *rest = key + n_dig;
      g_autofree char *digits = g_strndup (key, n_dig);

      g_ptr_array_add (variants, g_strconcat (rest, digits, NULL));
      if (rest[0] == 'm' && rest[1] != '\0')
        g_ptr_array_add (variants, g_strconcat (rest + 1, digits, "m", NULL));
    }
  g_ptr_array_add (variants, g_steal_pointer (&key));

  return variants;
}

typedef struct {
  guint index;
  guint distance;
  guint mass_gap;   /* |typed mass − entry mass|, to order equally close ones */
} Suggestion;

static int
compare_suggestion (gconstpointer a,
                    gconstpointer b)
{
  const Suggestion *sa = a;
  const Suggestion *sb = b;

  if (sa->distance != sb->distance)
    return sa->distance < sb->distance ? -1 : 1;
  if (sa->mass_gap != sb->mass_gap)
    return sa->mass_gap < sb->mass_gap ? -1 : 1;
  return sa->index < sb->index ? -1 : (sa->index > sb->index);
}

/* The first run of digits in @s as a number, or -1. */
static int
first_number (const char *s)
{
  while (*s != '\0' && !g_ascii_isdigit (*s))
    s++;
  if (*s == '\0' || span_digit (s) > 4)
    return -1;
  return (int) g_ascii_strtoull (s, NULL, 10);
}

/* Whether @variant starts with exactly the element symbol of @name
 * ("lu178" and "Lu-177m"). */
static gboolean
same_element (const char *variant,
              const char *name)
{
  gsize n_sym = span_alpha (name);
  gsize n_var = span_alpha (variant);

  return n_sym == n_var && g_ascii_strncasecmp (variant, name, n_sym) == 0;
}

/* Table entries close to @typed: within MAX_DISTANCE edits of one of its
 * loose spellings, or of the same element (so "Lu-999" still offers Lu-177
 * and Lu-177m).  Closest first, at most MAX_SUGGESTIONS. */
static GArray *
find_suggestions (const char *typed)
{
  g_autoptr(GPtrArray) variants = loose_variants (typed);
  GArray *found = g_array_new (FALSE, FALSE, sizeof (Suggestion));
  int typed_mass = first_number (typed);

  for (guint i = 0; i < bq_nuclide_table_length; i++)
    {
      g_autofree char *name_key = loose_key (bq_nuclide_table[i].name);
      guint best = G_MAXUINT;
      gboolean element = FALSE;

      for (guint v = 0; v < variants->len; v++)
        {
          const char *variant = g_ptr_array_index (variants, v);
          gsize len = strlen (variant);
          guint d;

          if (len == 0)
            continue;

          d = edit_distance (variant, name_key, MAX_DISTANCE);
          /* A one-letter input is within two edits of every short name;
           * that is noise, not a suggestion. */
          if (d <= MAX_DISTANCE && d < len)
            best = MIN (best, d);
          if (same_element (variant, bq_nuclide_table[i].name))
            element = TRUE;
        }

      if (best != G_MAXUINT || element)
        {
          int mass = first_number (bq_nuclide_table[i].name);
          Suggestion s = {
            i,
            best != G_MAXUINT ? best : MAX_DISTANCE + 1,
            typed_mass >= 0 ? (guint) ABS (mass - typed_mass) : 0,
          };

          g_array_append_val (found, s);
        }
    }

  g_array_sort (found, compare_suggestion);
  if (found->len > MAX_SUGGESTIONS)
    g_array_set_size (found, MAX_SUGGESTIONS);

  return found;
}

static void
set_unknown_error (GError     **error,
                   const char  *typed)
{
  g_autofree char *shown = NULL;
  g_autoptr(GArray) suggestions = NULL;
  g_autoptr(GString) list = NULL;

  if (typed[0] == '\0')
    {
      g_set_error_literal (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN,
                           _("No nuclide given"));
      return;
    }

  /* The name goes into a UTF-8 message whatever bytes it came with. */
  shown = g_utf8_make_valid (typed, -1);
  suggestions = find_suggestions (typed);

  if (suggestions->len == 0)
    {
      g_set_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN,
                   _("Unknown nuclide “%s”; no known nuclide has a similar name"),
                   shown);
      return;
    }

  list = g_string_new (NULL);
  for (guint i = 0; i < suggestions->len; i++)
    {
      const Suggestion *s = &g_array_index (suggestions, Suggestion, i);

      if (i > 0)
        g_string_append (list, ", ");
      g_string_append (list, bq_nuclide_table[s->index].name);
    }

  g_set_error (error, BQ_NUCLIDE_ERROR, BQ_NUCLIDE_ERROR_UNKNOWN,
               _("Unknown nuclide “%s”; did you mean %s?"), shown, list->str);
}

/* ------------------------------------------------------------------ public */

const BqNuclide *
bq_nuclide_lookup (const char  *name,
                   GError     **error)
{
  g_autofree char *typed = NULL;
  char candidates[2][CANONICAL_SIZE];
  guint n_candidates;

  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail (error == NULL || *error == NULL, NULL);

  typed = g_strstrip (g_strdup (name));
  n_candidates = candidate_names (typed, candidates);

  for (guint i = 0; i < n_candidates; i++)
    {
      const BqNuclide *found = find_canonical (candidates[i]);

      if (found != NULL)
        return found;
    }

  set_unknown_error (error, typed);
  return NULL;
}

guint
bq_nuclide_count (void)
{
  return bq_nuclide_table_length;
}

const BqNuclide *
bq_nuclide_get (guint index)
{
  g_return_val_if_fail (index < bq_nuclide_table_length, NULL);

  return &bq_nuclide_table[index];
}

guint
bq_nuclide_index (const BqNuclide *nuclide)
{
  g_return_val_if_fail (nuclide != NULL, 0);
  g_return_val_if_fail (nuclide >= bq_nuclide_table &&
                        nuclide < bq_nuclide_table + bq_nuclide_table_length, 0);

  return (guint) (nuclide - bq_nuclide_table);
}

double
bq_nuclide_decay_constant (const BqNuclide *nuclide)
{
  g_return_val_if_fail (nuclide != NULL, 0.0);

  return G_LN2 / nuclide->half_life_s;
}
