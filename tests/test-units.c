/* test-units.c — parsing and formatting of activities, durations and times
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include <locale.h>
#include <math.h>
#include <string.h>

#include "bq-units.h"

/* Relative comparison; exact for the values that are exact in binary. */
static void
assert_close (double expected,
              double actual,
              const char *input)
{
  double tolerance = fabs (expected) * 1e-12;

  if (fabs (expected - actual) > tolerance)
    g_error ("“%s”: expected %.17g, got %.17g", input, expected, actual);
}

/* --------------------------------------------------------------- activity */

typedef struct {
  const char *text;
  double      bq;
} GoodActivity;

static const GoodActivity good_si[] = {
  { "1Bq", 1.0 },
  { "7.4 Bq", 7.4 },
  { "1 kBq", 1e3 },
  { "370 MBq", 370e6 },
  { "370MBq", 370e6 },
  { "7.4GBq", 7.4e9 },
  { "7.4 GBq", 7.4e9 },
  { "7.4   GBq", 7.4e9 },
  { "  7.4 GBq  ", 7.4e9 },
  { "1.2 TBq", 1.2e12 },
  { "0 GBq", 0.0 },
  { "0.0Bq", 0.0 },
  { ".5 GBq", 0.5e9 },
  { "5. MBq", 5e6 },
  { "+3 kBq", 3e3 },
};

static const GoodActivity good_case[] = {
  { "10 Bq", 10.0 },
  { "10 bq", 10.0 },
  { "10 BQ", 10.0 },
  { "10 MBQ", 10e6 },
  { "10 Mbq", 10e6 },
  { "10 GBQ", 10e9 },
  { "10 kbq", 10e3 },
  { "10 ci", 10 * 3.7e10 },
  { "10 CI", 10 * 3.7e10 },
  { "10 mci", 10 * 3.7e7 },
};

static const GoodActivity good_exponent[] = {
  { "1.5e7Bq", 1.5e7 },
  { "1.5E7 Bq", 1.5e7 },
  { "1e-3 GBq", 1e6 },
  { "2.5e+2MBq", 250e6 },
  { "1e0Ci", 3.7e10 },
};

static const GoodActivity good_curie[] = {
  { "1 Ci", 3.7e10 },
  { "1Ci", 3.7e10 },
  { "200 mCi", 200 * 3.7e7 },
  { "27 mCi", 27 * 3.7e7 },
  { "100 µCi", 100 * 3.7e4 },   /* U+00B5 MICRO SIGN */
  { "100 μCi", 100 * 3.7e4 },   /* U+03BC GREEK SMALL LETTER MU */
  { "100uCi", 100 * 3.7e4 },
};

static void
check_good_activities (const GoodActivity *table,
                       gsize               n)
{
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      double bq = -1.0;

      if (!bq_units_parse_activity (table[i].text, &bq, &error))
        g_error ("“%s”: %s", table[i].text, error->message);
      assert_close (table[i].bq, bq, table[i].text);
    }
}

static void
test_activity_parse_si_prefixes (void)
{
  check_good_activities (good_si, G_N_ELEMENTS (good_si));
}

static void
test_activity_parse_case (void)
{
  check_good_activities (good_case, G_N_ELEMENTS (good_case));
}

static void
test_activity_parse_exponent (void)
{
  check_good_activities (good_exponent, G_N_ELEMENTS (good_exponent));
}

static void
test_activity_parse_curie (void)
{
  double bq = 0.0;

  check_good_activities (good_curie, G_N_ELEMENTS (good_curie));

  /* 1 Ci = 3.7e10 Bq exactly; 1 mCi = 37 MBq exactly. */
  g_assert_true (bq_units_parse_activity ("1 Ci", &bq, NULL));
  g_assert_cmpfloat (bq, ==, 3.7e10);
  g_assert_true (bq_units_parse_activity ("1 mCi", &bq, NULL));
  g_assert_cmpfloat (bq, ==, 37e6);
}

static void
test_activity_parse_locale_independent (void)
{
  double bq = 0.0;
  const char *old = setlocale (LC_NUMERIC, NULL);
  g_autofree char *saved = g_strdup (old);

  /* If a comma locale is installed, it must make no difference. */
  if (setlocale (LC_NUMERIC, "de_DE.UTF-8") == NULL &&
      setlocale (LC_NUMERIC, "fr_FR.UTF-8") == NULL)
    g_test_message ("no decimal-comma locale installed; checking in %s only", saved);

  g_assert_true (bq_units_parse_activity ("7.4 GBq", &bq, NULL));
  g_assert_cmpfloat (bq, ==, 7.4e9);
  g_assert_false (bq_units_parse_activity ("7,4 GBq", &bq, NULL));

  {
    g_autofree char *s = bq_units_format_activity (7.4e9, BQ_ACTIVITY_UNIT_AUTO);
    g_assert_cmpstr (s, ==, "7.40 GBq");
  }

  setlocale (LC_NUMERIC, saved);
}

typedef struct {
  const char  *text;
  BqUnitsError code;
} BadInput;

static const BadInput bad_activities[] = {
  { "", BQ_UNITS_ERROR_EMPTY },
  { "   ", BQ_UNITS_ERROR_EMPTY },
  { "GBq", BQ_UNITS_ERROR_NUMBER },
  { ".GBq", BQ_UNITS_ERROR_NUMBER },
  { "e7Bq", BQ_UNITS_ERROR_NUMBER },
  { "0x10 Bq", BQ_UNITS_ERROR_UNIT },
  { "7.4", BQ_UNITS_ERROR_UNIT },
  { "7.4  ", BQ_UNITS_ERROR_UNIT },
  { "7.4 GBqx", BQ_UNITS_ERROR_UNIT },
  { "7.4 GBq 3", BQ_UNITS_ERROR_UNIT },
  { "7.4 G Bq", BQ_UNITS_ERROR_UNIT },
  { "7.4 mBq", BQ_UNITS_ERROR_UNIT },     /* millibecquerel: refused, never MBq */
  { "7.4 MCi", BQ_UNITS_ERROR_UNIT },     /* megacurie: refused, never mCi */
  { "7.4 KBq", BQ_UNITS_ERROR_UNIT },
  { "7.4 gBq", BQ_UNITS_ERROR_UNIT },
  { "7.4 PBq", BQ_UNITS_ERROR_UNIT },
  { "7.4 Gy", BQ_UNITS_ERROR_UNIT },
  { "7.4 q", BQ_UNITS_ERROR_UNIT },
  { "-1GBq", BQ_UNITS_ERROR_RANGE },
  { "-0.5 MBq", BQ_UNITS_ERROR_RANGE },
  { "1e400Bq", BQ_UNITS_ERROR_RANGE },
  { "1e300 TBq", BQ_UNITS_ERROR_RANGE },
  { "nanBq", BQ_UNITS_ERROR_RANGE },
  { "NaN GBq", BQ_UNITS_ERROR_RANGE },
  { "inf Bq", BQ_UNITS_ERROR_RANGE },
  { "-infinity Bq", BQ_UNITS_ERROR_RANGE },
  { "7,4GBq", BQ_UNITS_ERROR_NUMBER },
  { "1,5 GBq", BQ_UNITS_ERROR_NUMBER },
};

static void
test_activity_parse_bad (void)
{
  for (gsize i = 0; i < G_N_ELEMENTS (bad_activities); i++)
    {
      g_autoptr(GError) error = NULL;
      double bq = 42.0;
      gboolean ok;

      ok = bq_units_parse_activity (bad_activities[i].text, &bq, &error);
      if (ok)
        g_error ("“%s” was accepted as %g Bq", bad_activities[i].text, bq);
      if (!g_error_matches (error, BQ_UNITS_ERROR, bad_activities[i].code))
        g_error ("“%s”: expected code %d, got %d (%s)", bad_activities[i].text,
                 bad_activities[i].code, error->code, error->message);
      g_assert_cmpfloat (bq, ==, 42.0);   /* untouched on error */
    }
}

static void
test_activity_parse_messages (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_units_parse_activity ("7.4", NULL, &error));
  g_assert_cmpstr (error->message, ==, "“7.4”: missing unit (Bq, kBq, MBq, GBq, TBq, mCi, Ci)");
  g_clear_error (&error);

  /* The input is quoted so that a user can find it in a long command. */
  g_assert_false (bq_units_parse_activity ("7.4 GBqx", NULL, &error));
  g_assert_nonnull (strstr (error->message, "“7.4 GBqx”"));
  g_clear_error (&error);

  g_assert_false (bq_units_parse_activity ("7,4GBq", NULL, &error));
  g_assert_nonnull (strstr (error->message, "decimal point"));
  g_clear_error (&error);

  g_assert_false (bq_units_parse_activity ("7.4 mBq", NULL, &error));
  g_assert_nonnull (strstr (error->message, "MBq"));
}

typedef struct {
  const char     *text;
  BqActivityUnit  unit;
} GoodUnit;

static void
test_activity_unit_parse (void)
{
  static const GoodUnit good[] = {
    { "auto", BQ_ACTIVITY_UNIT_AUTO },
    { "AUTO", BQ_ACTIVITY_UNIT_AUTO },
    { "Bq", BQ_ACTIVITY_UNIT_BQ },
    { "bq", BQ_ACTIVITY_UNIT_BQ },
    { "kBq", BQ_ACTIVITY_UNIT_KBQ },
    { "MBq", BQ_ACTIVITY_UNIT_MBQ },
    { "GBq", BQ_ACTIVITY_UNIT_GBQ },
    { " GBq ", BQ_ACTIVITY_UNIT_GBQ },
    { "TBq", BQ_ACTIVITY_UNIT_TBQ },
    { "mCi", BQ_ACTIVITY_UNIT_MCI },
    { "Ci", BQ_ACTIVITY_UNIT_CI },
  };
  static const BadInput bad[] = {
    { "", BQ_UNITS_ERROR_EMPTY },
    { "mBq", BQ_UNITS_ERROR_UNIT },
    { "MCi", BQ_UNITS_ERROR_UNIT },
    { "µCi", BQ_UNITS_ERROR_UNIT },   /* no enum member for it */
    { "1 GBq", BQ_UNITS_ERROR_UNIT },
    { "G", BQ_UNITS_ERROR_UNIT },
    { "gray", BQ_UNITS_ERROR_UNIT },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      BqActivityUnit unit = -1;

      if (!bq_units_parse_activity_unit (good[i].text, &unit, &error))
        g_error ("“%s”: %s", good[i].text, error->message);
      g_assert_cmpint (unit, ==, good[i].unit);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      BqActivityUnit unit = BQ_ACTIVITY_UNIT_GBQ;

      if (bq_units_parse_activity_unit (bad[i].text, &unit, &error))
        g_error ("“%s” was accepted", bad[i].text);
      g_assert_error (error, BQ_UNITS_ERROR, (int) bad[i].code);
      g_assert_cmpint (unit, ==, BQ_ACTIVITY_UNIT_GBQ);
    }
}

typedef struct {
  double          bq;
  BqActivityUnit  unit;
  const char     *expected;
} FormatActivity;

static void
test_activity_format (void)
{
  static const FormatActivity cases[] = {
    { 7.4e9, BQ_ACTIVITY_UNIT_AUTO, "7.40 GBq" },
    { 574.3e6, BQ_ACTIVITY_UNIT_AUTO, "574 MBq" },
    { 10.64e9, BQ_ACTIVITY_UNIT_AUTO, "10.6 GBq" },
    { 0.0, BQ_ACTIVITY_UNIT_AUTO, "0 Bq" },
    { 1.0, BQ_ACTIVITY_UNIT_AUTO, "1.00 Bq" },
    { 999.0, BQ_ACTIVITY_UNIT_AUTO, "999 Bq" },
    { 1000.0, BQ_ACTIVITY_UNIT_AUTO, "1.00 kBq" },
    { 999.7e6, BQ_ACTIVITY_UNIT_AUTO, "1.00 GBq" },   /* not "1000 MBq" */
    { 9.996e6, BQ_ACTIVITY_UNIT_AUTO, "10.0 MBq" },   /* not "10.00 MBq" */
    { 1.48e6, BQ_ACTIVITY_UNIT_AUTO, "1.48 MBq" },
    { 2.5e15, BQ_ACTIVITY_UNIT_AUTO, "2500 TBq" },
    { 0.5, BQ_ACTIVITY_UNIT_AUTO, "0.500 Bq" },
    { -7.4e9, BQ_ACTIVITY_UNIT_AUTO, "-7.40 GBq" },
    { 200 * 3.7e7, BQ_ACTIVITY_UNIT_MCI, "200 mCi" },
    { 7.4e9, BQ_ACTIVITY_UNIT_GBQ, "7.40 GBq" },
    { 7.4e9, BQ_ACTIVITY_UNIT_MBQ, "7400 MBq" },
    { 7.4e9, BQ_ACTIVITY_UNIT_CI, "0.200 Ci" },
    { 3.7e10, BQ_ACTIVITY_UNIT_CI, "1.00 Ci" },
    { 1.5e3, BQ_ACTIVITY_UNIT_KBQ, "1.50 kBq" },
    { 1.5e12, BQ_ACTIVITY_UNIT_TBQ, "1.50 TBq" },
    { 12.0, BQ_ACTIVITY_UNIT_BQ, "12.0 Bq" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = bq_units_format_activity (cases[i].bq, cases[i].unit);
      g_assert_cmpstr (s, ==, cases[i].expected);
    }
}

static void
test_activity_round_trip (void)
{
  static const double values[] = {
    1.0, 7.4e9, 574.3e6, 12345.0, 3.7e10, 0.5e9, 1.48e6, 2.2e12,
  };
  static const BqActivityUnit units[] = {
    BQ_ACTIVITY_UNIT_AUTO, BQ_ACTIVITY_UNIT_BQ, BQ_ACTIVITY_UNIT_KBQ,
    BQ_ACTIVITY_UNIT_MBQ, BQ_ACTIVITY_UNIT_GBQ, BQ_ACTIVITY_UNIT_TBQ,
    BQ_ACTIVITY_UNIT_MCI, BQ_ACTIVITY_UNIT_CI,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    for (gsize j = 0; j < G_N_ELEMENTS (units); j++)
      {
        g_autofree char *s = bq_units_format_activity (values[i], units[j]);
        g_autoptr(GError) error = NULL;
        double back = 0.0;

        if (!bq_units_parse_activity (s, &back, &error))
          g_error ("“%s” does not parse back: %s", s, error->message);
        /* three significant digits; tiny values in big units may show as
         * an exponent but still round-trip to within the shown precision */
        if (fabs (back - values[i]) > 0.005 * values[i])
          g_error ("%g Bq → “%s” → %g Bq", values[i], s, back);
      }
}

/* --------------------------------------------------------------- duration */

typedef struct {
  const char *text;
  double      seconds;
} GoodDuration;

static void
check_good_durations (const GoodDuration *table,
                      gsize               n)
{
  for (gsize i = 0; i < n; i++)
    {
      g_autoptr(GError) error = NULL;
      double s = -1.0;

      if (!bq_units_parse_duration (table[i].text, &s, &error))
        g_error ("“%s”: %s", table[i].text, error->message);
      assert_close (table[i].seconds, s, table[i].text);
    }
}

static void
test_duration_parse_compact (void)
{
  static const GoodDuration good[] = {
    { "86400s", 86400.0 },
    { "45 s", 45.0 },
    { "45sec", 45.0 },
    { "90min", 5400.0 },
    { "90m", 5400.0 },
    { "90 M", 5400.0 },
    { "3.5h", 12600.0 },
    { "3.5 H", 12600.0 },
    { "2d", 172800.0 },
    { "1w", 604800.0 },
    { "1W", 604800.0 },
    { "2d18h", 2 * 86400.0 + 18 * 3600.0 },
    { "2d 18h", 2 * 86400.0 + 18 * 3600.0 },
    { "2d 18h 30min", 2 * 86400.0 + 18 * 3600.0 + 1800.0 },
    { "2 d 18 h 30 min", 2 * 86400.0 + 18 * 3600.0 + 1800.0 },
    { "1h 30m 15s", 5415.0 },
    { "18h 2d", 2 * 86400.0 + 18 * 3600.0 },   /* any order */
    { "1w 1d", 8 * 86400.0 },
    { "574300.8s", 574300.8 },
    { "1.5e3s", 1500.0 },
    { ".5h", 1800.0 },
    { "0s", 0.0 },
    { "  24h  ", 86400.0 },
    { "2 days", 172800.0 },
    { "3 hours", 10800.0 },
  };

  check_good_durations (good, G_N_ELEMENTS (good));
}

static void
test_duration_parse_iso8601 (void)
{
  static const GoodDuration good[] = {
    { "P2DT6H", 2 * 86400.0 + 6 * 3600.0 },
    { "PT90M", 5400.0 },
    { "P1W", 604800.0 },
    { "PT0.5S", 0.5 },
    { "P1DT12H30M5.5S", 86400.0 + 12 * 3600.0 + 1800.0 + 5.5 },
    { "P2D", 172800.0 },
    { "PT1H", 3600.0 },
    { "PT36H", 36 * 3600.0 },
    { "P0D", 0.0 },
    { "P1.5D", 1.5 * 86400.0 },
  };

  check_good_durations (good, G_N_ELEMENTS (good));
}

static void
test_duration_parse_bad (void)
{
  static const BadInput bad[] = {
    { "", BQ_UNITS_ERROR_EMPTY },
    { " ", BQ_UNITS_ERROR_EMPTY },
    { "1.5", BQ_UNITS_ERROR_UNIT },
    { "90", BQ_UNITS_ERROR_UNIT },
    { "2d 5", BQ_UNITS_ERROR_UNIT },
    { "h", BQ_UNITS_ERROR_NUMBER },
    { "d2", BQ_UNITS_ERROR_NUMBER },
    { "2d2d", BQ_UNITS_ERROR_UNIT },
    { "1h 60min 1h", BQ_UNITS_ERROR_UNIT },
    { "90m 1min", BQ_UNITS_ERROR_UNIT },   /* m and min are one unit */
    { "2x", BQ_UNITS_ERROR_UNIT },
    { "5ms", BQ_UNITS_ERROR_UNIT },
    { "1y", BQ_UNITS_ERROR_UNIT },
    { "2 months", BQ_UNITS_ERROR_UNIT },
    { "3h!", BQ_UNITS_ERROR_UNIT },
    { "-1h", BQ_UNITS_ERROR_RANGE },
    { "2d -3h", BQ_UNITS_ERROR_RANGE },
    { "1e400s", BQ_UNITS_ERROR_RANGE },
    { "1e308w", BQ_UNITS_ERROR_RANGE },
    { "nan h", BQ_UNITS_ERROR_RANGE },
    { "inf s", BQ_UNITS_ERROR_RANGE },
    { "1,5h", BQ_UNITS_ERROR_NUMBER },
    { "P", BQ_UNITS_ERROR_NUMBER },
    { "PT", BQ_UNITS_ERROR_NUMBER },
    { "P1DT", BQ_UNITS_ERROR_NUMBER },
    { "P1Y", BQ_UNITS_ERROR_UNIT },
    { "P1M", BQ_UNITS_ERROR_UNIT },
    { "P1Y2M3D", BQ_UNITS_ERROR_UNIT },
    { "P1D1D", BQ_UNITS_ERROR_UNIT },
    { "PT1H1H", BQ_UNITS_ERROR_UNIT },
    { "PT1M1H", BQ_UNITS_ERROR_UNIT },   /* out of order */
    { "P1H", BQ_UNITS_ERROR_UNIT },      /* hours need the T */
    { "PT1D", BQ_UNITS_ERROR_UNIT },
    { "P1DTT1H", BQ_UNITS_ERROR_UNIT },
    { "P2", BQ_UNITS_ERROR_UNIT },
    { "PT-1H", BQ_UNITS_ERROR_RANGE },
    { "PTH", BQ_UNITS_ERROR_NUMBER },
    { "PT0,5S", BQ_UNITS_ERROR_NUMBER },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      double s = 42.0;

      if (bq_units_parse_duration (bad[i].text, &s, &error))
        g_error ("“%s” was accepted as %g s", bad[i].text, s);
      if (!g_error_matches (error, BQ_UNITS_ERROR, bad[i].code))
        g_error ("“%s”: expected code %d, got %d (%s)", bad[i].text,
                 bad[i].code, error->code, error->message);
      g_assert_cmpfloat (s, ==, 42.0);
    }
}

static void
test_duration_parse_messages (void)
{
  g_autoptr(GError) error = NULL;

  g_assert_false (bq_units_parse_duration ("1.5", NULL, &error));
  g_assert_nonnull (strstr (error->message, "“1.5”"));
  g_assert_nonnull (strstr (error->message, "unit"));
  g_clear_error (&error);

  g_assert_false (bq_units_parse_duration ("P1M", NULL, &error));
  g_assert_nonnull (strstr (error->message, "fixed length"));
}

typedef struct {
  double      seconds;
  const char *expected;
} FormatDuration;

static void
test_duration_format (void)
{
  static const FormatDuration cases[] = {
    { 0.0, "0 s" },
    { 45.0, "45 s" },
    { 45.4, "45 s" },
    { 2.5, "2.5 s" },
    { 1.0, "1 s" },
    { 4.2e-6, "4.2 µs" },
    { 0.5, "500 ms" },
    { 0.0123, "12 ms" },
    { 3e-9, "3 ns" },
    { 59.6, "1 min" },
    { 90.0, "1 min 30 s" },
    { 600.0, "10 min" },
    { 5400.0, "1 h 30 min" },
    { 3600.0, "1 h" },
    { 3599.9, "1 h" },
    { 2 * 86400.0 + 18 * 3600.0, "2 d 18 h" },
    { 2 * 86400.0 + 18 * 3600.0 + 1700.0, "2 d 18 h" },
    { 86400.0, "1 d" },
    { 574300.8, "6 d 16 h" },   /* Lu-177 half-life 6.647 d */
    { 14 * 86400.0, "14 d" },
    { -3600.0, "-1 h" },
  };

  for (gsize i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autofree char *s = bq_units_format_duration (cases[i].seconds);
      g_assert_cmpstr (s, ==, cases[i].expected);
    }
}

static void
test_duration_round_trip (void)
{
  static const double values[] = {
    1.0, 45.0, 90.0, 3600.0, 5400.0, 86400.0, 2 * 86400.0 + 18 * 3600.0,
    574300.8, 12.5 * 86400.0, 1000.0 * 86400.0 + 3.0,
  };

  for (gsize i = 0; i < G_N_ELEMENTS (values); i++)
    {
      g_autofree char *s = bq_units_format_duration (values[i]);
      g_autoptr(GError) error = NULL;
      double back = -1.0;

      if (!bq_units_parse_duration (s, &back, &error))
        g_error ("“%s” does not parse back: %s", s, error->message);
      /* At most two components: within half the smaller one. */
      if (fabs (back - values[i]) > MAX (0.5, values[i] * 0.01))
        g_error ("%g s → “%s” → %g s", values[i], s, back);
    }
}

/* ------------------------------------------------------------------- time */

typedef struct {
  const char *text;
  gint64      unix_utc;
} GoodTime;

static void
test_time_parse (void)
{
  /* 2026-12-01T00:00:00Z */
  const gint64 day = 1796083200;
  const GoodTime good[] = {
    { "2026-12-01", day },
    { "2026-12-01T08:00Z", day + 8 * 3600 },
    { "2026-12-01T08:00:00Z", day + 8 * 3600 },
    { "2026-12-01T08:00:30Z", day + 8 * 3600 + 30 },
    { "2026-12-01T09:00:00+01:00", day + 8 * 3600 },
    { "2026-12-01T03:00-05:00", day + 8 * 3600 },
    { "2026-12-01 08:00", day + 8 * 3600 },
    { "2026-12-01T08:00", day + 8 * 3600 },
    { " 2026-12-01 ", day },
    { "2024-02-29", 1709164800 },
    { "1970-01-01T00:00:00Z", 0 },
  };
  static const BadInput bad[] = {
    { "", BQ_UNITS_ERROR_EMPTY },
    { "tomorrow", BQ_UNITS_ERROR_NUMBER },
    { "2026-12", BQ_UNITS_ERROR_NUMBER },
    { "2026/12/01", BQ_UNITS_ERROR_NUMBER },
    { "2026-12-01x", BQ_UNITS_ERROR_NUMBER },
    { "2026-12-01T8:00Z", BQ_UNITS_ERROR_NUMBER },
    { "2026-12-01T08:00Zjunk", BQ_UNITS_ERROR_NUMBER },
    { "2026-02-30", BQ_UNITS_ERROR_RANGE },
    { "2025-02-29", BQ_UNITS_ERROR_RANGE },
    { "2026-13-01", BQ_UNITS_ERROR_RANGE },
    { "2026-00-10", BQ_UNITS_ERROR_RANGE },
    { "2026-12-01T24:00Z", BQ_UNITS_ERROR_RANGE },
    { "2026-12-01T08:60Z", BQ_UNITS_ERROR_RANGE },
  };

  g_assert_cmpint (day, ==, 1796083200);   /* date -u -d 2026-12-01 +%s */

  for (gsize i = 0; i < G_N_ELEMENTS (good); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t = -1;

      if (!bq_units_parse_time (good[i].text, &t, &error))
        g_error ("“%s”: %s", good[i].text, error->message);
      if (t != good[i].unix_utc)
        g_error ("“%s”: expected %" G_GINT64_FORMAT ", got %" G_GINT64_FORMAT,
                 good[i].text, good[i].unix_utc, t);
    }

  for (gsize i = 0; i < G_N_ELEMENTS (bad); i++)
    {
      g_autoptr(GError) error = NULL;
      gint64 t = 42;

      if (bq_units_parse_time (bad[i].text, &t, &error))
        g_error ("“%s” was accepted as %" G_GINT64_FORMAT, bad[i].text, t);
      if (!g_error_matches (error, BQ_UNITS_ERROR, bad[i].code))
        g_error ("“%s”: expected code %d, got %d (%s)", bad[i].text,
                 bad[i].code, error->code, error->message);
      g_assert_cmpint (t, ==, 42);
    }
}

static void
test_time_format (void)
{
  g_autofree char *a = bq_units_format_time (1796083200 + 8 * 3600);
  g_autofree char *b = bq_units_format_time (0);
  gint64 back = 0;

  g_assert_cmpstr (a, ==, "2026-12-01T08:00:00Z");
  g_assert_cmpstr (b, ==, "1970-01-01T00:00:00Z");

  g_assert_true (bq_units_parse_time (a, &back, NULL));
  g_assert_cmpint (back, ==, 1796083200 + 8 * 3600);
}

int
main (int argc,
      char *argv[])
{
  setlocale (LC_ALL, "");
  g_test_init (&argc, &argv, NULL);

  g_test_add_func ("/units/activity/parse/si-prefixes", test_activity_parse_si_prefixes);
  g_test_add_func ("/units/activity/parse/case", test_activity_parse_case);
  g_test_add_func ("/units/activity/parse/exponent", test_activity_parse_exponent);
  g_test_add_func ("/units/activity/parse/curie-exact", test_activity_parse_curie);
  g_test_add_func ("/units/activity/parse/locale-independent", test_activity_parse_locale_independent);
  g_test_add_func ("/units/activity/parse/bad-is-refused", test_activity_parse_bad);
  g_test_add_func ("/units/activity/parse/messages", test_activity_parse_messages);
  g_test_add_func ("/units/activity/unit/parse", test_activity_unit_parse);
  g_test_add_func ("/units/activity/format", test_activity_format);
  g_test_add_func ("/units/activity/round-trip", test_activity_round_trip);
  g_test_add_func ("/units/duration/parse/compact", test_duration_parse_compact);
  g_test_add_func ("/units/duration/parse/iso8601", test_duration_parse_iso8601);
  g_test_add_func ("/units/duration/parse/bad-is-refused", test_duration_parse_bad);
  g_test_add_func ("/units/duration/parse/messages", test_duration_parse_messages);
  g_test_add_func ("/units/duration/format", test_duration_format);
  g_test_add_func ("/units/duration/round-trip", test_duration_round_trip);
  g_test_add_func ("/units/time/parse", test_time_parse);
  g_test_add_func ("/units/time/format", test_time_format);

  return g_test_run ();
}
