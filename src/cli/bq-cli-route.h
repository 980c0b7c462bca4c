/* bq-cli-route.h — becquerel-cli route and network
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int bq_cli_route   (char **args);
int bq_cli_network (char **args);
