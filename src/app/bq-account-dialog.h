/* bq-account-dialog.h — sign in to a server
 *
 * A modal window with the server address, user name and password, a Sign
 * In button that spins while the server answers, and the reason inline
 * when it refuses.  It closes itself once signed in.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-application.h"

G_BEGIN_DECLS

#define BQ_TYPE_ACCOUNT_DIALOG (bq_account_dialog_get_type ())
G_DECLARE_FINAL_TYPE (BqAccountDialog, bq_account_dialog, BQ, ACCOUNT_DIALOG, AdwWindow)

BqAccountDialog *bq_account_dialog_new            (BqApplication   *application,
                                                   GtkWindow       *parent);
void             bq_account_dialog_set_server_url (BqAccountDialog *self,
                                                   const char      *server_url);
void             bq_account_dialog_set_username   (BqAccountDialog *self,
                                                   const char      *username);
/* Replaces the introduction ("Your session has ended…"). */
void             bq_account_dialog_set_message    (BqAccountDialog *self,
                                                   const char      *message);
/* Shows @error under the fields, as a refused sign-in would. */
void             bq_account_dialog_show_error     (BqAccountDialog *self,
                                                   const GError    *error);

/* "127.0.0.1:8470" → "https://127.0.0.1:8470", no trailing slash; NULL
 * with an error for what is not an http(s) address. */
char            *bq_account_dialog_normalize_url  (const char      *text,
                                                   GError         **error);

G_END_DECLS
