/* bq-cli-common.c — what the becquerel-cli commands share
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <glib/gi18n.h>
#include <glib/gstdio.h>

#include "bq-cli-common.h"

int
bq_cli_fail (int         status,
             const char *format,
             ...)
{
  g_autofree char *message = NULL;
  va_list args;

  va_start (args, format);
  message = g_strdup_vprintf (format, args);
  va_end (args);

  g_strdelimit (message, "\r\n", ' ');
  g_printerr ("%s: %s\n", PROGRAM_NAME, g_strstrip (message));
  return status;
}

int
bq_cli_fail_usage (const char *command,
                   const char *message)
{
  if (command != NULL)
    return bq_cli_fail (EXIT_USAGE, _("%s (see “%s %s --help”)"), message, PROGRAM_NAME, command);
  return bq_cli_fail (EXIT_USAGE, _("%s (see “%s --help”)"), message, PROGRAM_NAME);
}

static gboolean
parse_options (const char          *command,
               const char          *parameter_string,
               const char          *summary,
               const char          *description,
               const GOptionEntry  *entries,
               gboolean             negative_hint,
               char              ***args,
               int                 *status)
{
  g_autoptr(GOptionContext) context = NULL;
  g_autoptr(GError) error = NULL;
  g_autofree char *prgname = g_strdup_printf ("%s %s", PROGRAM_NAME, command);

  /* The help's "Usage:" line shows the program name. */
  g_set_prgname (prgname);

  context = g_option_context_new (parameter_string);
  g_option_context_set_translation_domain (context, GETTEXT_PACKAGE);
  g_option_context_set_summary (context, summary);
  if (description != NULL)
    g_option_context_set_description (context, description);
  g_option_context_add_main_entries (context, entries, GETTEXT_PACKAGE);

  if (!g_option_context_parse_strv (context, args, &error))
    {
      g_set_prgname (PROGRAM_NAME);

      /* GOption takes "-1GBq" for an option; say what is really wrong. */
      if (negative_hint && g_error_matches (error, G_OPTION_ERROR, G_OPTION_ERROR_UNKNOWN_OPTION))
        for (guint i = 1; (*args)[i] != NULL; i++)
          {
            const char *arg = (*args)[i];

            if (arg[0] == '-' && (g_ascii_isdigit (arg[1]) || arg[1] == '.') &&
                strstr (error->message, arg) != NULL)
              {
                *status = bq_cli_fail (EXIT_USAGE, _("“%s”: must not be negative"), arg);
                return FALSE;
              }
          }

      *status = bq_cli_fail_usage (command, error->message);
      return FALSE;
    }

  g_set_prgname (PROGRAM_NAME);
  return TRUE;
}

gboolean
bq_cli_parse_options (const char          *command,
                      const char          *parameter_string,
                      const char          *summary,
                      const char          *description,
                      const GOptionEntry  *entries,
                      char              ***args,
                      int                 *status)
{
  return parse_options (command, parameter_string, summary, description, entries, TRUE,
                        args, status);
}

gboolean
bq_cli_parse_options_only (const char          *command,
                           const char          *summary,
                           const GOptionEntry  *entries,
                           char              ***args,
                           int                 *status)
{
  if (!parse_options (command, NULL, summary, NULL, entries, FALSE, args, status))
    return FALSE;
  if (g_strv_length (*args) > 1)
    {
      *status = bq_cli_fail_usage (command, _("Too many arguments"));
      return FALSE;
    }
  return TRUE;
}

BqStore *
bq_cli_open_existing (const char *path,
                      int        *status)
{
  g_autoptr(GError) error = NULL;
  GStatBuf st;
  BqStore *store;

  if (!g_file_test (path, G_FILE_TEST_EXISTS))
    {
      *status = bq_cli_fail (EXIT_FAILED, _("“%s”: no such file"), path);
      return NULL;
    }
  if (!g_file_test (path, G_FILE_TEST_IS_REGULAR) || (g_stat (path, &st) == 0 && st.st_size == 0))
    {
      *status = bq_cli_fail (EXIT_FAILED, _("“%s” is not a Becquerel database"), path);
      return NULL;
    }
  store = bq_store_open (path, &error);
  if (store == NULL)
    *status = bq_cli_fail (EXIT_FAILED, "%s", error->message);
  return store;
}

void
bq_cli_print_json_node (JsonNode *node)
{
  g_autofree char *text = json_to_string (node, FALSE);

  /* Not g_print: JSON is UTF-8 whatever the locale's charset, and g_print
   * would turn "Zürich" into "Z?rich" under LANG=C. */
  fputs (text, stdout);
  fputc ('\n', stdout);
  fflush (stdout);
}
