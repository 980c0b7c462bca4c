/* bq-preferences-window.h — activity unit and server
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-application.h"

G_BEGIN_DECLS

#define BQ_TYPE_PREFERENCES_WINDOW (bq_preferences_window_get_type ())
G_DECLARE_FINAL_TYPE (BqPreferencesWindow, bq_preferences_window, BQ, PREFERENCES_WINDOW,
                      AdwPreferencesWindow)

GtkWindow *bq_preferences_window_new (BqApplication *application,
                                      GtkWindow     *parent);

G_END_DECLS
