/* bq-cli-slots.h — becquerel-cli slots and book
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

int bq_cli_slots (char **args);
int bq_cli_book  (char **args);
