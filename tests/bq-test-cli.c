/* bq-test-cli.c — running becquerel-cli as a process, for the CLI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include "bq-test-cli.h"

void
cli_result_free (CliResult *result)
{
  g_free (result->out);
  g_free (result->err);
  g_free (result);
}

CliResult *
bq_test_run_cli_argv (const char * const *args)
{
  const char *cli = g_getenv ("BECQUEREL_CLI");
  g_autoptr(GPtrArray) argv = g_ptr_array_new ();
  g_auto(GStrv) envp = g_get_environ ();
  g_autoptr(GError) error = NULL;
  CliResult *result = g_new0 (CliResult, 1);
  int wait_status = 0;

  if (cli == NULL)
    g_error ("BECQUEREL_CLI is not set");

  g_ptr_array_add (argv, (gpointer) cli);
  for (guint i = 0; args[i] != NULL; i++)
    g_ptr_array_add (argv, (gpointer) args[i]);
  g_ptr_array_add (argv, NULL);

  /* A fixed UTF-8 locale, so messages and quotes are predictable. */
  envp = g_environ_setenv (envp, "LC_ALL", "C.UTF-8", TRUE);
  envp = g_environ_unsetenv (envp, "LANGUAGE");

  if (!g_spawn_sync (NULL, (char **) argv->pdata, envp, G_SPAWN_DEFAULT,
                     NULL, NULL, &result->out, &result->err, &wait_status, &error))
    g_error ("Cannot run %s: %s", cli, error->message);

  if (g_spawn_check_wait_status (wait_status, &error))
    result->status = 0;
  else if (error->domain == G_SPAWN_EXIT_ERROR)
    result->status = error->code;
  else
    g_error ("%s did not exit normally: %s", cli, error->message);

  return result;
}

char *
bq_test_cli_describe (const CliResult *result)
{
  return g_strdup_printf ("exit %d, stdout «%s», stderr «%s»",
                          result->status, result->out, result->err);
}

void
bq_test_cli_assert_success (const CliResult *result)
{
  if (result->status != 0 || result->err[0] != '\0')
    {
      g_autofree char *d = bq_test_cli_describe (result);
      g_error ("expected success: %s", d);
    }
}

guint
bq_test_count_lines (const char *text)
{
  guint n = 0;

  for (const char *p = text; *p != '\0'; p++)
    if (*p == '\n')
      n++;
  return n;
}

void
bq_test_cli_assert_failure (const CliResult *result,
                            int              status)
{
  if (result->status != status || result->out[0] != '\0' ||
      bq_test_count_lines (result->err) != 1 || !g_str_has_suffix (result->err, "\n") ||
      !g_str_has_prefix (result->err, "becquerel-cli: "))
    {
      g_autofree char *d = bq_test_cli_describe (result);
      g_error ("expected failure with status %d and one line on stderr: %s", status, d);
    }
}
