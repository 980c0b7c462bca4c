/* bq-cli-common.h — what the becquerel-cli commands share
 *
 * Exit 0 on success, 2 for a wrong command line, 1 when the command cannot
 * be carried out; on failure one line on stderr and nothing on stdout.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <json-glib/json-glib.h>

#include "bq-core.h"

G_BEGIN_DECLS

#define PROGRAM_NAME "becquerel-cli"

enum {
  EXIT_OK = 0,
  EXIT_FAILED = 1,
  EXIT_USAGE = 2,
};

/* One line on stderr, whatever the message holds; returns @status. */
int       bq_cli_fail          (int                  status,
                                const char          *format,
                                ...) G_GNUC_PRINTF (2, 3);
/* A usage error pointing at "becquerel-cli COMMAND --help" (at
 * "becquerel-cli --help" when @command is NULL); returns EXIT_USAGE. */
int       bq_cli_fail_usage    (const char          *command,
                                const char          *message);
/* Parses a subcommand's options.  @args is argv from the command name on;
 * on return it holds the command name followed by the positional arguments.
 * --help prints the help and exits 0 (GOption does that itself). */
gboolean  bq_cli_parse_options (const char          *command,
                                const char          *parameter_string,
                                const char          *summary,
                                const char          *description,
                                const GOptionEntry  *entries,
                                char              ***args,
                                int                 *status);
/* The same for a command that takes options only: positional arguments
 * are a usage error, and so is any option GOption does not know. */
gboolean  bq_cli_parse_options_only (const char          *command,
                                     const char          *summary,
                                     const GOptionEntry  *entries,
                                     char              ***args,
                                     int                 *status);
/* Opens a database that must already exist (opening would create an
 * empty one for a mistyped name); on failure says why and sets @status. */
BqStore  *bq_cli_open_existing (const char          *path,
                                int                 *status);
/* @node on one line of stdout, as UTF-8 whatever the locale. */
void      bq_cli_print_json_node (JsonNode          *node);

G_END_DECLS
