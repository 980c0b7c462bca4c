/* bq-sync-indicator.c — where the data stands, in the header bar
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gi18n.h>

#include "bq-format.h"
#include "bq-sync-indicator.h"

/* "Offline since 14:05" becomes "Offline since Mon 14:05" after
 * midnight: a look once a minute is enough for that. */
#define REFRESH_INTERVAL_S 60

struct _BqSyncIndicator
{
  GtkWidget       parent_instance;

  /* template */
  GtkMenuButton  *button;
  GtkStack       *icon_stack;
  GtkImage       *icon;
  GtkSpinner     *spinner;
  GtkLabel       *label;
  GtkPopover     *popover;
  GtkLabel       *status_title;
  GtkLabel       *status_detail;
  GtkLabel       *error_label;
  GtkWidget      *conflict_box;
  GtkListBox     *conflict_list;
  GtkWidget      *pending_box;
  GtkListBox     *pending_list;
  GtkButton      *sync_button;
  GtkButton      *sign_in_button;

  BqClient       *client;
  guint           refresh_id;
};

G_DEFINE_FINAL_TYPE (BqSyncIndicator, bq_sync_indicator, GTK_TYPE_WIDGET)

static void refresh_outbox (BqSyncIndicator *self);

/* ------------------------------------------------------------------ text */

static char *
describe_entry (const BqOutboxEntry *entry)
{
  const BqEntityType *type = entry->kind != NULL ? bq_entity_type_lookup (entry->kind) : NULL;
  const char *kind = type != NULL ? type->name : (entry->kind != NULL ? entry->kind : "?");
  const char *id = entry->entity_id != NULL ? entry->entity_id : "";

  if (g_strcmp0 (entry->method, "POST") == 0)
    /* Translators: a queued change: kind of record, its id ("New order ord-12"). */
    return g_strdup_printf (_("New %s %s"), kind, id);
  if (g_strcmp0 (entry->method, "DELETE") == 0)
    return g_strdup_printf (_("Removal of %s %s"), kind, id);
  return g_strdup_printf (_("Change to %s %s"), kind, id);
}

static void
update_label (BqSyncIndicator *self)
{
  g_autofree char *text = NULL;
  g_autofree char *title = NULL;
  const char *detail = "";
  const char *icon_name = "emblem-ok-symbolic";
  BqClientState state = self->client != NULL ? bq_client_get_state (self->client)
                                             : BQ_CLIENT_STATE_SIGNED_OUT;
  guint n_pending = self->client != NULL ? bq_client_get_n_pending (self->client) : 0;
  guint n_conflicts = self->client != NULL ? bq_client_get_n_conflicts (self->client) : 0;
  /* n-pending counts the refused changes too. */
  guint n_waiting = n_pending >= n_conflicts ? n_pending - n_conflicts : 0;
  gboolean syncing = FALSE;

  gtk_widget_remove_css_class (GTK_WIDGET (self), "offline");
  gtk_widget_remove_css_class (GTK_WIDGET (self), "conflict");

  switch (state)
    {
    case BQ_CLIENT_STATE_SIGNED_OUT:
      if (self->client != NULL && bq_client_get_needs_sign_in (self->client))
        {
          text = g_strdup (_("Session ended"));
          detail = _("The server ended your session. Sign in again to carry on syncing; what you changed meanwhile waits on this computer.");
          gtk_widget_add_css_class (GTK_WIDGET (self), "offline");
        }
      else
        {
          text = g_strdup (_("Signed out"));
          detail = _("Sign in to copy the data you may see to this computer and keep it in sync.");
        }
      icon_name = "network-offline-symbolic";
      break;

    case BQ_CLIENT_STATE_OFFLINE:
      {
        gint64 since = bq_client_get_offline_since (self->client);

        if (since > 0)
          {
            g_autofree char *when = bq_format_clock_time (since, g_get_real_time () / G_USEC_PER_SEC);

            /* Translators: %s is a time, "14:05" or "Mon 14:05". */
            text = g_strdup_printf (_("Offline since %s"), when);
          }
        else
          {
            text = g_strdup (_("Offline"));
          }
        detail = _("The server cannot be reached; Becquerel keeps trying. What you see is the copy on this computer, and your changes are kept until they can be sent.");
        icon_name = "network-offline-symbolic";
        gtk_widget_add_css_class (GTK_WIDGET (self), "offline");
      }
      break;

    case BQ_CLIENT_STATE_SYNCING:
      text = g_strdup (_("Syncing…"));
      detail = _("Sending your changes and fetching what changed on the server.");
      syncing = TRUE;
      break;

    case BQ_CLIENT_STATE_ONLINE:
    default:
      text = g_strdup (_("Online"));
      detail = _("Up to date. Changes by others appear as they are made.");
      break;
    }

  title = g_strdup (text);
  if (n_conflicts > 0)
    {
      g_free (text);
      /* Translators: changes the server refused, for the user to decide on. */
      text = g_strdup_printf (ngettext ("%u conflict", "%u conflicts", n_conflicts),
                              n_conflicts);
      icon_name = "dialog-warning-symbolic";
      gtk_widget_add_css_class (GTK_WIDGET (self), "conflict");
    }
  else if (n_waiting > 0 && !syncing)
    {
      g_autofree char *waiting = g_strdup_printf (ngettext ("%u change waiting",
                                                            "%u changes waiting", n_waiting),
                                                  n_waiting);

      if (state == BQ_CLIENT_STATE_OFFLINE)
        {
          /* Translators: the state, then how many changes wait:
           * "Offline since 14:05 · 3 changes waiting". */
          g_autofree char *both = g_strdup_printf (_("%s · %s"), text, waiting);

          g_free (text);
          text = g_steal_pointer (&both);
        }
      else
        {
          g_free (text);
          text = g_steal_pointer (&waiting);
        }
    }

  gtk_label_set_label (self->label, text);
  /* An ellipsizing label asks for next to nothing, and the header bar
   * gives the view switcher the rest: ask for room for the state and the
   * time at least ("Offline since Mon 14:05"); the tooltip has it all. */
  gtk_label_set_width_chars (self->label, (int) MIN (g_utf8_strlen (text, -1) + 1, 25));
  gtk_widget_set_tooltip_text (GTK_WIDGET (self->button), text);
  gtk_image_set_from_icon_name (self->icon, icon_name);
  gtk_spinner_set_spinning (self->spinner, syncing);
  gtk_stack_set_visible_child_name (self->icon_stack, syncing ? "spinner" : "icon");
  gtk_label_set_label (self->status_title, title);
  gtk_label_set_label (self->status_detail, detail);
  gtk_widget_set_sensitive (GTK_WIDGET (self->button), self->client != NULL);
  gtk_widget_set_visible (GTK_WIDGET (self->sign_in_button), state == BQ_CLIENT_STATE_SIGNED_OUT);
  gtk_widget_set_visible (GTK_WIDGET (self->sync_button), state != BQ_CLIENT_STATE_SIGNED_OUT);
}

/* ---------------------------------------------------------------- outbox */

static void
on_resolve_clicked (GtkButton *button,
                    gpointer   user_data)
{
  BqSyncIndicator *self = g_object_get_data (G_OBJECT (button), "bq-indicator");
  gint64 seq = *(gint64 *) g_object_get_data (G_OBJECT (button), "bq-seq");
  BqResolution resolution = GPOINTER_TO_INT (user_data);
  g_autoptr(GError) error = NULL;

  g_return_if_fail (BQ_IS_SYNC_INDICATOR (self) && self->client != NULL);

  if (!bq_client_resolve_conflict (self->client, seq, resolution, &error))
    {
      gtk_label_set_label (self->error_label, error->message);
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), TRUE);
    }
  else
    {
      gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
    }
  refresh_outbox (self);
}

static GtkWidget *
resolve_button_new (BqSyncIndicator *self,
                    const char      *label,
                    gint64           seq,
                    BqResolution     resolution)
{
  GtkWidget *button = gtk_button_new_with_mnemonic (label);
  gint64 *seq_copy = g_new (gint64, 1);

  *seq_copy = seq;
  g_object_set_data_full (G_OBJECT (button), "bq-seq", seq_copy, g_free);
  g_object_set_data (G_OBJECT (button), "bq-indicator", self);
  g_signal_connect (button, "clicked", G_CALLBACK (on_resolve_clicked),
                    GINT_TO_POINTER (resolution));
  return button;
}

static GtkWidget *
row_label_new (const char *text,
               const char *style_class)
{
  GtkWidget *label = gtk_label_new (text);

  gtk_label_set_xalign (GTK_LABEL (label), 0.0f);
  gtk_label_set_wrap (GTK_LABEL (label), TRUE);
  gtk_label_set_wrap_mode (GTK_LABEL (label), PANGO_WRAP_WORD_CHAR);
  if (style_class != NULL)
    gtk_widget_add_css_class (label, style_class);
  return label;
}

static GtkWidget *
outbox_row_new (BqSyncIndicator     *self,
                const BqOutboxEntry *entry)
{
  g_autofree char *title = describe_entry (entry);
  g_autofree char *subtitle = NULL;
  GtkWidget *row = gtk_list_box_row_new ();
  GtkWidget *box = gtk_box_new (GTK_ORIENTATION_VERTICAL, 3);
  GtkWidget *subtitle_label;

  if (entry->state == BQ_OUTBOX_CONFLICT)
    {
      subtitle = g_strdup (entry->error_message != NULL ? entry->error_message
                                                        : _("The server refused this change."));
    }
  else
    {
      g_autofree char *when = bq_format_clock_time (entry->created_at,
                                                    g_get_real_time () / G_USEC_PER_SEC);

      /* Translators: when a change was made: "Made at 14:05". */
      subtitle = g_strdup_printf (_("Made at %s"), when);
    }

  gtk_widget_set_margin_top (box, 9);
  gtk_widget_set_margin_bottom (box, 9);
  gtk_widget_set_margin_start (box, 12);
  gtk_widget_set_margin_end (box, 12);
  gtk_box_append (GTK_BOX (box), row_label_new (title, NULL));
  subtitle_label = row_label_new (subtitle, "caption");
  gtk_widget_add_css_class (subtitle_label, "dim-label");
  gtk_box_append (GTK_BOX (box), subtitle_label);

  if (entry->state == BQ_OUTBOX_CONFLICT)
    {
      /* Below the reason rather than beside it: the popover is narrow
       * and the reason is what to read before choosing. */
      GtkWidget *buttons = gtk_box_new (GTK_ORIENTATION_HORIZONTAL, 6);

      gtk_widget_set_halign (buttons, GTK_ALIGN_END);
      gtk_widget_set_margin_top (buttons, 6);
      gtk_box_append (GTK_BOX (buttons), resolve_button_new (self, _("_Take Theirs"), entry->seq,
                                                             BQ_RESOLVE_TAKE_THEIRS));
      gtk_box_append (GTK_BOX (buttons), resolve_button_new (self, _("_Keep Mine"), entry->seq,
                                                             BQ_RESOLVE_KEEP_MINE));
      gtk_box_append (GTK_BOX (box), buttons);
    }

  gtk_list_box_row_set_child (GTK_LIST_BOX_ROW (row), box);
  gtk_list_box_row_set_activatable (GTK_LIST_BOX_ROW (row), FALSE);
  return row;
}

static void
clear_list (GtkListBox *list)
{
  GtkWidget *child;

  while ((child = gtk_widget_get_first_child (GTK_WIDGET (list))) != NULL)
    gtk_list_box_remove (list, child);
}

static void
refresh_outbox (BqSyncIndicator *self)
{
  g_autoptr(GPtrArray) entries = NULL;
  guint n_conflicts = 0;
  guint n_pending = 0;

  clear_list (self->conflict_list);
  clear_list (self->pending_list);

  if (self->client != NULL)
    entries = bq_client_list_outbox (self->client);

  for (guint i = 0; entries != NULL && i < entries->len; i++)
    {
      const BqOutboxEntry *entry = g_ptr_array_index (entries, i);

      if (entry->state == BQ_OUTBOX_CONFLICT)
        {
          gtk_list_box_append (self->conflict_list, outbox_row_new (self, entry));
          n_conflicts++;
        }
      else
        {
          gtk_list_box_append (self->pending_list, outbox_row_new (self, entry));
          n_pending++;
        }
    }

  gtk_widget_set_visible (self->conflict_box, n_conflicts > 0);
  gtk_widget_set_visible (self->pending_box, n_pending > 0);
  update_label (self);
}

/* ---------------------------------------------------------------- client */

static void
on_client_notify (BqSyncIndicator *self,
                  GParamSpec      *pspec,
                  BqClient        *client)
{
  /* The outbox changes with these; the state alone does not touch it. */
  if (g_strcmp0 (pspec->name, "n-pending") == 0 || g_strcmp0 (pspec->name, "n-conflicts") == 0)
    refresh_outbox (self);
  else
    update_label (self);
}

static void
on_client_conflict (BqSyncIndicator *self,
                    gint64           seq,
                    BqClient        *client)
{
  refresh_outbox (self);
}

static gboolean
on_refresh_timeout (gpointer user_data)
{
  update_label (BQ_SYNC_INDICATOR (user_data));
  return G_SOURCE_CONTINUE;
}

static void
on_popover_show (BqSyncIndicator *self,
                 GtkPopover      *popover)
{
  gtk_widget_set_visible (GTK_WIDGET (self->error_label), FALSE);
  refresh_outbox (self);
}

void
bq_sync_indicator_set_client (BqSyncIndicator *self,
                              BqClient        *client)
{
  g_return_if_fail (BQ_IS_SYNC_INDICATOR (self));
  g_return_if_fail (client == NULL || BQ_IS_CLIENT (client));

  if (self->client == client)
    return;

  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_set_object (&self->client, client);
  if (client != NULL)
    {
      g_signal_connect_object (client, "notify::state", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::offline-since", G_CALLBACK (on_client_notify),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::n-pending", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::n-conflicts", G_CALLBACK (on_client_notify), self,
                               G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "notify::needs-sign-in", G_CALLBACK (on_client_notify),
                               self, G_CONNECT_SWAPPED);
      g_signal_connect_object (client, "conflict", G_CALLBACK (on_client_conflict), self,
                               G_CONNECT_SWAPPED);
    }
  refresh_outbox (self);
}

/* ---------------------------------------------------------------- object */

static void
bq_sync_indicator_dispose (GObject *object)
{
  BqSyncIndicator *self = BQ_SYNC_INDICATOR (object);

  g_clear_handle_id (&self->refresh_id, g_source_remove);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);
  gtk_widget_dispose_template (GTK_WIDGET (self), BQ_TYPE_SYNC_INDICATOR);

  G_OBJECT_CLASS (bq_sync_indicator_parent_class)->dispose (object);
}

static void
bq_sync_indicator_class_init (BqSyncIndicatorClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);
  GtkWidgetClass *widget_class = GTK_WIDGET_CLASS (klass);

  object_class->dispose = bq_sync_indicator_dispose;

  gtk_widget_class_set_template_from_resource (widget_class,
                                               "/org/becquerel/Becquerel/bq-sync-indicator.ui");
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, button);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, icon_stack);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, icon);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, spinner);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, label);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, popover);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, status_title);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, status_detail);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, error_label);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, conflict_box);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, conflict_list);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, pending_box);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, pending_list);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, sync_button);
  gtk_widget_class_bind_template_child (widget_class, BqSyncIndicator, sign_in_button);
  gtk_widget_class_bind_template_callback (widget_class, on_popover_show);

  gtk_widget_class_set_layout_manager_type (widget_class, GTK_TYPE_BIN_LAYOUT);
  gtk_widget_class_set_css_name (widget_class, "syncindicator");
}

static void
bq_sync_indicator_init (BqSyncIndicator *self)
{
  gtk_widget_init_template (GTK_WIDGET (self));
  gtk_widget_add_css_class (GTK_WIDGET (self), "sync-indicator");
  self->refresh_id = g_timeout_add_seconds (REFRESH_INTERVAL_S, on_refresh_timeout, self);
  update_label (self);
}

GtkWidget *
bq_sync_indicator_new (void)
{
  return g_object_new (BQ_TYPE_SYNC_INDICATOR, NULL);
}

const char *
bq_sync_indicator_get_text (BqSyncIndicator *self)
{
  g_return_val_if_fail (BQ_IS_SYNC_INDICATOR (self), NULL);
  return gtk_label_get_label (self->label);
}

void
bq_sync_indicator_popup (BqSyncIndicator *self)
{
  g_return_if_fail (BQ_IS_SYNC_INDICATOR (self));
  gtk_menu_button_popup (self->button);
}

void
bq_sync_indicator_set_compact (BqSyncIndicator *self,
                               gboolean         compact)
{
  g_return_if_fail (BQ_IS_SYNC_INDICATOR (self));
  gtk_widget_set_visible (GTK_WIDGET (self->label), !compact);
}
