/* bq-test-cli.h — running becquerel-cli as a process, for the CLI tests
 *
 * $BECQUEREL_CLI names the binary under test.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <glib.h>

typedef struct {
  int   status;   /* exit status */
  char *out;
  char *err;
} CliResult;

void       cli_result_free            (CliResult          *result);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (CliResult, cli_result_free)

/* Runs the CLI with the NULL-terminated @args (without the program), in a
 * fixed UTF-8 locale. */
CliResult *bq_test_run_cli_argv       (const char * const *args);
#define bq_test_run_cli(...) bq_test_run_cli_argv ((const char * const []) { __VA_ARGS__, NULL })

/* "exit N, stdout «…», stderr «…»" */
char      *bq_test_cli_describe       (const CliResult    *result);
/* Exit 0 and nothing on stderr. */
void       bq_test_cli_assert_success (const CliResult    *result);
/* Fails with @status, nothing on stdout, exactly one line on stderr. */
void       bq_test_cli_assert_failure (const CliResult    *result,
                                       int                 status);
/* How many lines @text has (its newlines). */
guint      bq_test_count_lines        (const char         *text);
