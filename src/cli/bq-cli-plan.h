/* bq-cli-plan.h — the planning commands of becquerel-cli
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

/* @args is argv from the command name on; returns the exit status. */
int bq_cli_plan     (char **args);
int bq_cli_capacity (char **args);
