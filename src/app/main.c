/* main.c — becquerel, the desktop app
 *
 *   becquerel [--server URL --username NAME --password-env VAR] [--cache PATH]
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <locale.h>

#include <glib/gi18n.h>

#include "bq-application.h"

int
main (int   argc,
      char *argv[])
{
  g_autoptr(BqApplication) app = NULL;

  /* Before the options are parsed, so --help is translated too. */
  setlocale (LC_ALL, "");
  bindtextdomain (GETTEXT_PACKAGE, LOCALEDIR);
  bind_textdomain_codeset (GETTEXT_PACKAGE, "UTF-8");
  textdomain (GETTEXT_PACKAGE);

  app = bq_application_new ();
  return g_application_run (G_APPLICATION (app), argc, argv);
}
