/* bq-app-test.c — helpers shared by the desktop app's GUI tests
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <glib/gstdio.h>

#include "bq-application.h"
#include "bq-app-test.h"

static gboolean
on_tick (gpointer user_data)
{
  return G_SOURCE_CONTINUE;
}

gboolean
bq_app_test_run_until (BqAppTestPredicate predicate,
                       gpointer           data,
                       guint              timeout_ms,
                       guint              tick_ms)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) timeout_ms * 1000;
  guint tick = g_timeout_add (tick_ms, on_tick, NULL);
  gboolean ok;

  while (!(ok = predicate (data)) && g_get_monotonic_time () < deadline)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
  return ok;
}

void
bq_app_test_settle (guint ms)
{
  gint64 until = g_get_monotonic_time () + (gint64) ms * 1000;
  guint tick = g_timeout_add (20, on_tick, NULL);

  /* Transitions (popovers, revealers, the flap) run for a few hundred ms. */
  while (g_get_monotonic_time () < until)
    g_main_context_iteration (NULL, TRUE);
  g_source_remove (tick);
}

GtkWidget *
bq_app_test_find_descendant (GtkWidget *widget,
                             GType      type)
{
  if (G_TYPE_CHECK_INSTANCE_TYPE (widget, type))
    return widget;
  for (GtkWidget *child = gtk_widget_get_first_child (widget); child != NULL;
       child = gtk_widget_get_next_sibling (child))
    {
      GtkWidget *found = bq_app_test_find_descendant (child, type);

      if (found != NULL)
        return found;
    }
  return NULL;
}

void
bq_app_test_save_screenshot (GtkWidget  *widget,
                             const char *name,
                             guint       settle_ms)
{
  const char *dir = g_getenv ("BQ_SCREENSHOT_DIR");
  g_autoptr(GdkPaintable) paintable = NULL;
  g_autoptr(GtkSnapshot) snapshot = NULL;
  g_autoptr(GskRenderNode) node = NULL;
  g_autoptr(GdkTexture) texture = NULL;
  g_autofree char *path = NULL;
  int width = 0, height = 0;

  if (dir == NULL)
    return;
  for (guint attempt = 0; node == NULL && attempt < 50; attempt++)
    {
      bq_app_test_settle (settle_ms);
      width = gtk_widget_get_width (widget);
      height = gtk_widget_get_height (widget);
      g_clear_object (&paintable);
      paintable = gtk_widget_paintable_new (widget);
      snapshot = gtk_snapshot_new ();
      gdk_paintable_snapshot (paintable, GDK_SNAPSHOT (snapshot), width, height);
      node = gtk_snapshot_free_to_node (g_steal_pointer (&snapshot));
    }
  g_assert_nonnull (node);
  texture = gsk_renderer_render_texture (gtk_native_get_renderer (gtk_widget_get_native (widget)),
                                         node, &GRAPHENE_RECT_INIT (0, 0, width, height));
  g_mkdir_with_parents (dir, 0755);
  path = g_strdup_printf ("%s/%s.png", dir, name);
  g_assert_true (gdk_texture_save_to_png (texture, path));
  g_test_message ("screenshot: %s", path);
}

void
bq_app_test_on_signed_in (GObject      *source,
                          GAsyncResult *result,
                          gpointer      user_data)
{
  gboolean *done = user_data;
  g_autoptr(GError) error = NULL;

  g_assert_true (bq_application_sign_in_finish (BQ_APPLICATION (source), result, &error));
  g_assert_no_error (error);
  *done = TRUE;
}

gboolean
bq_app_test_page_idle (gpointer data)
{
  return !bq_slots_page_is_busy (data);
}

gboolean
bq_app_test_outbox_empty (gpointer data)
{
  return bq_client_get_n_pending (data) == 0;
}

gboolean
bq_app_test_cache_has_slots (gpointer data)
{
  return bq_store_count (bq_client_get_store (data), &bq_slot_type, NULL) > 0 &&
         bq_client_get_state (data) == BQ_CLIENT_STATE_ONLINE;
}

gboolean
bq_app_test_server_has_order (gpointer data)
{
  BqAppTestOnServer *on = data;
  g_autoptr(GPtrArray) orders = bq_store_list (on->store, &bq_order_type, NULL);

  for (guint i = 0; orders != NULL && i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);

      if (g_strcmp0 (order->patient_ref, on->patient_ref) == 0 && order->status == on->status &&
          order->slot_id != NULL)
        return TRUE;
    }
  return FALSE;
}
