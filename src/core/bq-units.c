/* bq-units.c — activities, durations and times as people type them
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 *
 * Everything here is locale-independent: numbers are read and written with
 * a decimal point whatever LC_NUMERIC says, so what the CLI prints can be
 * pasted back in and a German desktop reads the same files as a British one.
 */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <string.h>

#include <glib/gi18n-lib.h>

#include "bq-units.h"

G_DEFINE_QUARK (bq-units-error-quark, bq_units_error)

#define BQ_UNITS_ACTIVITY_UNITS_HINT "Bq, kBq, MBq, GBq, TBq, mCi, Ci"

/* ---------------------------------------------------------------- numbers */

static gboolean
is_space (char c)
{
  return g_ascii_isspace (c);
}

static const char *
skip_spaces (const char *p)
{
  while (*p != '\0' && is_space (*p))
    p++;
  return p;
}

/* Trims ASCII white space at both ends; returns a new string. */
static char *
dup_stripped (const char *text)
{
  return g_strstrip (g_strdup (text));
}

static gboolean
starts_with_ci (const char *p,
                const char *word)
{
  return g_ascii_strncasecmp (p, word, strlen (word)) == 0;
}

/* Reads one decimal number at *@pos ("7", "7.4", ".5", "1.5e7").  Only the
 * plain decimal syntax is accepted: g_ascii_strtod on its own would also
 * take "0x10", "nan" and "inf", which nobody means as an activity.
 *
 * On success *@pos is moved past the number.  @input is the whole text, for
 * messages. */
static gboolean
read_number (const char  *input,
             const char **pos,
             double      *value,
             GError     **error)
{
  const char *p = *pos;
  const char *start = p;
  gboolean negative = FALSE;
  gsize n_digits = 0;
  g_autofree char *token = NULL;
  char *end = NULL;
  double v;

  g_assert (input != NULL);
  g_assert (pos != NULL && *pos != NULL);

  if (*p == '+' || *p == '-')
    {
      negative = (*p == '-');
      p++;
    }

  if (starts_with_ci (p, "nan") || starts_with_ci (p, "inf"))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: not a finite number"), input);
      return FALSE;
    }

  while (g_ascii_isdigit (*p))
    {
      p++;
      n_digits++;
    }
  if (*p == '.')
    {
      p++;
      while (g_ascii_isdigit (*p))
        {
          p++;
          n_digits++;
        }
    }

  if (n_digits == 0)
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_NUMBER,
                   _("“%s”: expected a number"), input);
      return FALSE;
    }

  /* A decimal comma is the likeliest mistake from a European keyboard;
   * say so rather than complaining about a unit called ",5GBq". */
  if (*p == ',' && g_ascii_isdigit (p[1]))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_NUMBER,
                   _("“%s”: use a decimal point, not a comma"), input);
      return FALSE;
    }

  /* The exponent only counts if digits follow, so "2e" stays a number
   * followed by a (bad) unit. */
  if ((*p == 'e' || *p == 'E') &&
      (g_ascii_isdigit (p[1]) ||
       ((p[1] == '+' || p[1] == '-') && g_ascii_isdigit (p[2]))))
    {
      p += 2;
      while (g_ascii_isdigit (*p))
        p++;
    }

  token = g_strndup (start, p - start);
  errno = 0;
  v = g_ascii_strtod (token, &end);
  g_assert (end != NULL && *end == '\0');

  if (errno == ERANGE && (isinf (v) || fabs (v) > 1.0))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: number too large"), input);
      return FALSE;
    }
  if (negative && v != 0.0)
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: must not be negative"), input);
      return FALSE;
    }
  if (!isfinite (v))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: not a finite number"), input);
      return FALSE;
    }

  *value = fabs (v);   /* "-0" is zero */
  *pos = p;
  return TRUE;
}

/* Formats @value with @decimals digits after the point, always with a '.'. */
static char *
format_fixed (double value,
              int    decimals)
{
  char fmt[16];
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  decimals = CLAMP (decimals, 0, 15);
  g_snprintf (fmt, sizeof fmt, "%%.%df", decimals);
  return g_strdup (g_ascii_formatd (buf, sizeof buf, fmt, value));
}

/* Three significant digits, no exponent for ordinary magnitudes:
 * 7.4 → "7.40", 10.64 → "10.6", 574.3 → "574", 12345 → "12345". */
static char *
format_3sig (double value)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  int magnitude;

  g_assert (value >= 0.0 && isfinite (value));

  if (value == 0.0)
    return g_strdup ("0");
  if (value < 1e-3)
    return g_strdup (g_ascii_formatd (buf, sizeof buf, "%.2e", value));

  magnitude = (int) floor (log10 (value));
  /* 9.996 rounds to 10.0, not 10.00 */
  if (value * pow (10.0, 2 - magnitude) >= 999.5)
    magnitude++;
  return format_fixed (value, MAX (0, 2 - magnitude));
}

/* ------------------------------------------------------------- activities */

typedef struct {
  const char     *name;
  double          bq;
  BqActivityUnit  unit;
} ActivityUnitInfo;

/* The order matters for bq_units_format_activity's AUTO choice. */
static const ActivityUnitInfo activity_units[] = {
  { "Bq",  1.0,                   BQ_ACTIVITY_UNIT_BQ },
  { "kBq", 1e3,                   BQ_ACTIVITY_UNIT_KBQ },
  { "MBq", 1e6,                   BQ_ACTIVITY_UNIT_MBQ },
  { "GBq", 1e9,                   BQ_ACTIVITY_UNIT_GBQ },
  { "TBq", 1e12,                  BQ_ACTIVITY_UNIT_TBQ },
  { "mCi", BQ_BQ_PER_CI * 1e-3,   BQ_ACTIVITY_UNIT_MCI },
  { "Ci",  BQ_BQ_PER_CI,          BQ_ACTIVITY_UNIT_CI },
};

static const ActivityUnitInfo micro_curie = {
  "µCi", BQ_BQ_PER_CI * 1e-6, BQ_ACTIVITY_UNIT_AUTO,
};

static const ActivityUnitInfo *
activity_unit_info (BqActivityUnit unit)
{
  for (guint i = 0; i < G_N_ELEMENTS (activity_units); i++)
    if (activity_units[i].unit == unit)
      return &activity_units[i];
  return NULL;
}

/* Matches a unit name.  The base ("Bq", "Ci") is case-insensitive, the SI
 * prefix is not: "MBq" is megabecquerel; "mBq" (millibecquerel) is refused
 * outright because in this trade it is always a typo for MBq, and a factor
 * of 10⁹ is not a mistake to make quietly.  Likewise "MCi" (megacurie).
 *
 * @input is the whole text, for messages; @micro_ok allows µCi/uCi, which
 * the unit enum has no member for. */
static const ActivityUnitInfo *
match_activity_unit (const char  *name,
                     const char  *input,
                     gboolean     micro_ok,
                     GError     **error)
{
  gsize len = strlen (name);
  const char *base;
  g_autofree char *prefix = NULL;
  gboolean curie;

  if (len == 0)
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                   _("“%s”: missing unit (%s)"), input, BQ_UNITS_ACTIVITY_UNITS_HINT);
      return NULL;
    }

  if (len >= 2)
    {
      base = name + len - 2;
      prefix = g_strndup (name, len - 2);
      if (g_ascii_strcasecmp (base, "bq") == 0)
        curie = FALSE;
      else if (g_ascii_strcasecmp (base, "ci") == 0)
        curie = TRUE;
      else
        goto unknown;
    }
  else
    goto unknown;

  if (!curie)
    {
      if (g_str_equal (prefix, ""))
        return &activity_units[0];
      if (g_str_equal (prefix, "k"))
        return &activity_units[1];
      if (g_str_equal (prefix, "M"))
        return &activity_units[2];
      if (g_str_equal (prefix, "G"))
        return &activity_units[3];
      if (g_str_equal (prefix, "T"))
        return &activity_units[4];
      if (g_str_equal (prefix, "m"))
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: “m” would mean millibecquerel; write MBq for megabecquerel"),
                       input);
          return NULL;
        }
    }
  else
    {
      if (g_str_equal (prefix, ""))
        return &activity_units[6];
      if (g_str_equal (prefix, "m"))
        return &activity_units[5];
      if (micro_ok &&
          (g_str_equal (prefix, "u") || g_str_equal (prefix, "µ") /* U+00B5 */ ||
           g_str_equal (prefix, "μ") /* U+03BC */))
        return &micro_curie;
      if (g_str_equal (prefix, "M"))
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: “MCi” would mean megacurie; write mCi for millicurie"),
                       input);
          return NULL;
        }
    }

unknown:
  g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
               _("“%s”: unknown unit “%s” (use %s)"),
               input, name, BQ_UNITS_ACTIVITY_UNITS_HINT);
  return NULL;
}

gboolean
bq_units_parse_activity (const char  *text,
                         double      *activity_bq,
                         GError     **error)
{
  g_autofree char *input = NULL;
  const ActivityUnitInfo *info;
  const char *p;
  double value;
  double result;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  input = dup_stripped (text);
  if (input[0] == '\0')
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_EMPTY,
                   _("No activity given"));
      return FALSE;
    }

  p = input;
  if (!read_number (input, &p, &value, error))
    return FALSE;
  p = skip_spaces (p);

  info = match_activity_unit (p, input, TRUE, error);
  if (info == NULL)
    return FALSE;

  result = value * info->bq;
  if (!isfinite (result))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: number too large"), input);
      return FALSE;
    }

  if (activity_bq != NULL)
    *activity_bq = result;
  return TRUE;
}

gboolean
bq_units_parse_activity_unit (const char      *text,
                              BqActivityUnit  *unit,
                              GError         **error)
{
  g_autofree char *input = NULL;
  const ActivityUnitInfo *info;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  input = dup_stripped (text);
  if (input[0] == '\0')
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_EMPTY,
                   _("No unit given"));
      return FALSE;
    }

  if (g_ascii_strcasecmp (input, "auto") == 0)
    {
      if (unit != NULL)
        *unit = BQ_ACTIVITY_UNIT_AUTO;
      return TRUE;
    }

  info = match_activity_unit (input, input, FALSE, error);
  if (info == NULL)
    return FALSE;

  if (unit != NULL)
    *unit = info->unit;
  return TRUE;
}

char *
bq_units_format_activity (double         activity_bq,
                          BqActivityUnit unit)
{
  const ActivityUnitInfo *info = NULL;
  g_autofree char *number = NULL;
  double magnitude;

  if (isnan (activity_bq))
    return g_strdup ("NaN Bq");
  if (activity_bq < 0.0)
    {
      g_autofree char *positive = bq_units_format_activity (-activity_bq, unit);
      return g_strconcat ("-", positive, NULL);
    }
  if (isinf (activity_bq))
    return g_strdup ("∞ Bq");

  if (unit == BQ_ACTIVITY_UNIT_AUTO)
    {
      /* Round to what will be shown before choosing the prefix, so that
       * 999.7 MBq reads "1.00 GBq" and not "1000 MBq". */
      info = &activity_units[0];
      for (guint i = 1; i < 5; i++)
        {
          double scaled = activity_bq / activity_units[i].bq;
          if (scaled >= 1.0 ||
              (scaled >= 0.9995 && activity_bq / activity_units[i - 1].bq >= 999.5))
            info = &activity_units[i];
        }
    }
  else
    {
      info = activity_unit_info (unit);
      g_return_val_if_fail (info != NULL, NULL);
    }

  magnitude = activity_bq / info->bq;
  number = format_3sig (magnitude);
  return g_strdup_printf ("%s %s", number, info->name);
}

/* -------------------------------------------------------------- durations */

typedef enum {
  DUR_WEEK,
  DUR_DAY,
  DUR_HOUR,
  DUR_MINUTE,
  DUR_SECOND,
  N_DUR,
} DurationUnit;

static const double dur_seconds[N_DUR] = { 604800.0, 86400.0, 3600.0, 60.0, 1.0 };

static gboolean
match_duration_unit (const char   *name,
                     DurationUnit *unit)
{
  static const struct {
    const char   *name;
    DurationUnit  unit;
  } names[] = {
    { "w", DUR_WEEK }, { "wk", DUR_WEEK }, { "week", DUR_WEEK }, { "weeks", DUR_WEEK },
    { "d", DUR_DAY }, { "day", DUR_DAY }, { "days", DUR_DAY },
    { "h", DUR_HOUR }, { "hr", DUR_HOUR }, { "hrs", DUR_HOUR },
    { "hour", DUR_HOUR }, { "hours", DUR_HOUR },
    { "m", DUR_MINUTE }, { "min", DUR_MINUTE }, { "mins", DUR_MINUTE },
    { "minute", DUR_MINUTE }, { "minutes", DUR_MINUTE },
    { "s", DUR_SECOND }, { "sec", DUR_SECOND }, { "secs", DUR_SECOND },
    { "second", DUR_SECOND }, { "seconds", DUR_SECOND },
  };

  for (guint i = 0; i < G_N_ELEMENTS (names); i++)
    if (g_ascii_strcasecmp (name, names[i].name) == 0)
      {
        *unit = names[i].unit;
        return TRUE;
      }
  return FALSE;
}

static gboolean
check_total (const char  *input,
             double       total,
             GError     **error)
{
  if (!isfinite (total))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: duration too long"), input);
      return FALSE;
    }
  return TRUE;
}

/* "2d 18h 30min", "3.5h", "90m" */
static gboolean
parse_compact_duration (const char  *input,
                        double      *seconds,
                        GError     **error)
{
  gboolean seen[N_DUR] = { FALSE, };
  const char *p = input;
  double total = 0.0;

  while (*p != '\0')
    {
      const char *unit_start;
      g_autofree char *unit_name = NULL;
      DurationUnit unit;
      double value;

      /* After a complete component, anything but another number is junk
       * at the end ("3h!"), not a missing number. */
      if (p != input && !g_ascii_isdigit (*p) && *p != '.' && *p != '+' && *p != '-' &&
          !starts_with_ci (p, "nan") && !starts_with_ci (p, "inf"))
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: unexpected “%s” (use s, min, h, d, w)"), input, p);
          return FALSE;
        }

      if (!read_number (input, &p, &value, error))
        return FALSE;
      p = skip_spaces (p);

      unit_start = p;
      while (g_ascii_isalpha (*p))
        p++;
      if (p == unit_start)
        {
          if (*p == '\0')
            g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                         _("“%s”: missing unit (s, min, h, d, w)"), input);
          else
            g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                         _("“%s”: unexpected “%s” (use s, min, h, d, w)"), input, p);
          return FALSE;
        }

      unit_name = g_strndup (unit_start, p - unit_start);
      if (!match_duration_unit (unit_name, &unit))
        {
          if (g_ascii_strcasecmp (unit_name, "y") == 0 ||
              g_ascii_strcasecmp (unit_name, "mo") == 0 ||
              g_ascii_strncasecmp (unit_name, "year", 4) == 0 ||
              g_ascii_strncasecmp (unit_name, "month", 5) == 0)
            g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                         _("“%s”: years and months have no fixed length; use days or weeks"),
                         input);
          else
            g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                         _("“%s”: unknown unit “%s” (use s, min, h, d, w)"),
                         input, unit_name);
          return FALSE;
        }
      if (seen[unit])
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: “%s” given twice"), input, unit_name);
          return FALSE;
        }
      seen[unit] = TRUE;
      total += value * dur_seconds[unit];

      p = skip_spaces (p);
    }

  if (!check_total (input, total, error))
    return FALSE;
  *seconds = total;
  return TRUE;
}

/* ISO 8601: "P2DT6H", "PT90M", "P1W", "PT0.5S", "P1DT12H30M5.5S".  Years and
 * months are refused.  Weeks may be combined with days, which ISO 8601
 * strictly does not allow but which cannot be misread. */
static gboolean
parse_iso_duration (const char  *input,
                    double      *seconds,
                    GError     **error)
{
  const char *p = input + 1;   /* past 'P' */
  gboolean in_time = FALSE;
  gboolean any = FALSE;
  gboolean any_in_time = FALSE;
  int last_rank = -1;
  double total = 0.0;

  g_assert (input[0] == 'P');

  while (*p != '\0')
    {
      double value;
      DurationUnit unit;
      int rank;
      char designator;

      if (*p == 'T')
        {
          if (in_time)
            {
              g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                           _("“%s”: “T” given twice"), input);
              return FALSE;
            }
          in_time = TRUE;
          p++;
          continue;
        }

      /* read_number reports a sign as a range error */
      if (!read_number (input, &p, &value, error))
        return FALSE;

      designator = *p;
      if (designator == '\0')
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: number without a designator (W, D, H, M, S)"), input);
          return FALSE;
        }

      if (!in_time && (designator == 'Y' || designator == 'M'))
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: years and months have no fixed length; use days or weeks"),
                       input);
          return FALSE;
        }

      if (!in_time && designator == 'W')
        unit = DUR_WEEK;
      else if (!in_time && designator == 'D')
        unit = DUR_DAY;
      else if (in_time && designator == 'H')
        unit = DUR_HOUR;
      else if (in_time && designator == 'M')
        unit = DUR_MINUTE;
      else if (in_time && designator == 'S')
        unit = DUR_SECOND;
      else
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       _("“%s”: unexpected “%c” in an ISO 8601 duration"),
                       input, designator);
          return FALSE;
        }

      rank = (int) unit;
      if (rank <= last_rank)
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_UNIT,
                       rank == last_rank
                       ? _("“%s”: a designator is given twice")
                       : _("“%s”: designators out of order"),
                       input);
          return FALSE;
        }
      last_rank = rank;
      total += value * dur_seconds[unit];
      any = TRUE;
      if (in_time)
        any_in_time = TRUE;
      p++;
    }

  if (!any || (in_time && !any_in_time))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_NUMBER,
                   _("“%s”: incomplete ISO 8601 duration"), input);
      return FALSE;
    }

  if (!check_total (input, total, error))
    return FALSE;
  *seconds = total;
  return TRUE;
}

gboolean
bq_units_parse_duration (const char  *text,
                         double      *seconds,
                         GError     **error)
{
  g_autofree char *input = NULL;
  double value = 0.0;
  gboolean ok;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  input = dup_stripped (text);
  if (input[0] == '\0')
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_EMPTY,
                   _("No duration given"));
      return FALSE;
    }

  if (input[0] == 'P')
    ok = parse_iso_duration (input, &value, error);
  else
    ok = parse_compact_duration (input, &value, error);

  if (ok && seconds != NULL)
    *seconds = value;
  return ok;
}

/* ------------------------------------------------------------------ times */

static gboolean
read_digits (const char **p,
             guint        n,
             int         *value)
{
  int v = 0;

  for (guint i = 0; i < n; i++)
    {
      if (!g_ascii_isdigit ((*p)[i]))
        return FALSE;
      v = v * 10 + ((*p)[i] - '0');
    }
  *p += n;
  *value = v;
  return TRUE;
}

gboolean
bq_units_parse_time (const char  *text,
                     gint64      *unix_utc,
                     GError     **error)
{
  g_autofree char *input = NULL;
  g_autoptr(GTimeZone) utc = NULL;
  g_autoptr(GDateTime) dt = NULL;
  g_autoptr(GString) iso = NULL;
  const char *p;
  int year, month, day, hour, minute;

  g_return_val_if_fail (text != NULL, FALSE);
  g_return_val_if_fail (error == NULL || *error == NULL, FALSE);

  input = dup_stripped (text);
  if (input[0] == '\0')
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_EMPTY,
                   _("No time given"));
      return FALSE;
    }

  /* The date is checked here so that 2026-02-30 gets a message saying so;
   * GDateTime would only say "invalid". */
  p = input;
  if (!read_digits (&p, 4, &year) || *p++ != '-' ||
      !read_digits (&p, 2, &month) || *p++ != '-' ||
      !read_digits (&p, 2, &day))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_NUMBER,
                   _("“%s”: expected a date and time like 2026-12-01T08:00Z"), input);
      return FALSE;
    }
  if (year < 1 || !g_date_valid_dmy (day, month, year))
    {
      g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                   _("“%s”: no such date"), input);
      return FALSE;
    }

  iso = g_string_new_len (input, p - input);
  if (*p == '\0')
    {
      /* A date alone is midnight UTC. */
      g_string_append (iso, "T00:00:00Z");
    }
  else
    {
      const char *time_start;

      if (*p != 'T' && *p != 't' && *p != ' ')
        goto malformed;
      p++;
      time_start = p;
      if (!read_digits (&p, 2, &hour) || *p++ != ':' || !read_digits (&p, 2, &minute))
        goto malformed;
      if (hour > 23 || minute > 59)
        {
          g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_RANGE,
                       _("“%s”: no such time of day"), input);
          return FALSE;
        }
      g_string_append_c (iso, 'T');
      g_string_append_len (iso, time_start, p - time_start);
      /* GDateTime wants seconds; "08:00" means "08:00:00". */
      if (*p != ':')
        g_string_append (iso, ":00");
      g_string_append (iso, p);
    }

  utc = g_time_zone_new_utc ();
  dt = g_date_time_new_from_iso8601 (iso->str, utc);
  if (dt == NULL)
    goto malformed;

  if (unix_utc != NULL)
    *unix_utc = g_date_time_to_unix (dt);
  return TRUE;

malformed:
  g_set_error (error, BQ_UNITS_ERROR, BQ_UNITS_ERROR_NUMBER,
               _("“%s”: expected a date and time like 2026-12-01T08:00Z"), input);
  return FALSE;
}

char *
bq_units_format_time (gint64 unix_utc)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc (unix_utc);

  if (dt == NULL)
    return g_strdup_printf ("@%" G_GINT64_FORMAT, unix_utc);
  return g_date_time_format (dt, "%Y-%m-%dT%H:%M:%SZ");
}

/* ---------------------------------------------------- duration formatting */

/* Two significant digits for sub-second values, trailing ".0" dropped. */
static char *
format_2sig (double value)
{
  if (value >= 9.95)
    return format_fixed (value, 0);
  else
    {
      char *s = format_fixed (value, 1);
      if (g_str_has_suffix (s, ".0"))
        s[strlen (s) - 2] = '\0';
      return s;
    }
}

static char *
format_pair (gint64      big,
             const char *big_unit,
             gint64      small,
             const char *small_unit)
{
  if (small == 0)
    return g_strdup_printf ("%" G_GINT64_FORMAT " %s", big, big_unit);
  return g_strdup_printf ("%" G_GINT64_FORMAT " %s %" G_GINT64_FORMAT " %s",
                          big, big_unit, small, small_unit);
}

char *
bq_units_format_duration (double seconds)
{
  double r;

  if (isnan (seconds))
    return g_strdup ("NaN");
  if (seconds < 0.0)
    {
      g_autofree char *positive = bq_units_format_duration (-seconds);
      return g_strconcat ("-", positive, NULL);
    }
  if (isinf (seconds))
    return g_strdup ("∞");
  if (seconds == 0.0)
    return g_strdup ("0 s");

  if (seconds < 0.9995)
    {
      static const struct { double scale; const char *name; } sub[] = {
        { 1e-3, "ms" }, { 1e-6, "µs" }, { 1e-9, "ns" },
      };
      for (guint i = 0; i < G_N_ELEMENTS (sub); i++)
        {
          double v = seconds / sub[i].scale;
          if (v >= 0.9995 || i == G_N_ELEMENTS (sub) - 1)
            {
              g_autofree char *number = NULL;
              /* 999.6 µs reads as "1 ms" */
              if (v >= 999.5 && i > 0)
                {
                  v /= 1000.0;
                  i--;
                }
              number = v < 0.0995 ? format_3sig (v) : format_2sig (v);
              return g_strdup_printf ("%s %s", number, sub[i].name);
            }
        }
    }

  if (seconds < 9.95)
    {
      g_autofree char *number = format_2sig (seconds);
      return g_strdup_printf ("%s s", number);
    }

  r = round (seconds);
  if (r < 60.0)
    return g_strdup_printf ("%.0f s", r);
  if (r < 3600.0)
    return format_pair ((gint64) (r / 60.0), "min", (gint64) fmod (r, 60.0), "s");

  r = round (seconds / 60.0) * 60.0;
  if (r < 86400.0)
    return format_pair ((gint64) (r / 3600.0), "h",
                        (gint64) (fmod (r, 3600.0) / 60.0), "min");

  r = round (seconds / 3600.0) * 3600.0;
  if (r < 1000.0 * 86400.0)
    return format_pair ((gint64) (r / 86400.0), "d",
                        (gint64) (fmod (r, 86400.0) / 3600.0), "h");

  /* Very long half-lives: hours no longer matter. */
  {
    g_autofree char *number = format_fixed (round (seconds / 86400.0), 0);
    return g_strdup_printf ("%s d", number);
  }
}

GTimeZone *
bq_units_timezone_or_utc (const char *identifier)
{
  GTimeZone *tz = NULL;

  if (identifier != NULL)
    tz = g_time_zone_new_identifier (identifier);
  return tz != NULL ? tz : g_time_zone_new_utc ();
}

char *
bq_units_format_local (GTimeZone  *tz,
                       gint64      unix_utc,
                       const char *format)
{
  g_autoptr(GDateTime) utc = g_date_time_new_from_unix_utc (unix_utc);
  g_autoptr(GDateTime) local = NULL;

  if (utc == NULL)
    return g_strdup ("?");
  local = g_date_time_to_timezone (utc, tz);
  return g_date_time_format (local, format);
}
