/* bq-order-item.c — one order in a list model, with what the views show
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-format.h"
#include "bq-order-item.h"

struct _BqOrderItem
{
  GObject    parent_instance;

  BqOrder   *order;
  char      *centre_name;
  char      *centre_place;
  char      *centre_timezone;
  GTimeZone *zone;
  char      *product_name;
  char      *product_nuclide;
  /* What a search looks in, casefolded once. */
  char      *haystack;
};

G_DEFINE_FINAL_TYPE (BqOrderItem, bq_order_item, G_TYPE_OBJECT)

enum {
  PROP_0,
  PROP_ID,
  PROP_PATIENT_REF,
  PROP_CENTRE_NAME,
  PROP_PRODUCT_NAME,
  PROP_PRESCRIBED_ACTIVITY,
  PROP_ADMIN_START,
  PROP_STATUS,
  PROP_REVISION,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

static void
bq_order_item_finalize (GObject *object)
{
  BqOrderItem *self = BQ_ORDER_ITEM (object);

  g_clear_pointer (&self->order, bq_entity_free);
  g_clear_pointer (&self->centre_name, g_free);
  g_clear_pointer (&self->centre_place, g_free);
  g_clear_pointer (&self->centre_timezone, g_free);
  g_clear_pointer (&self->zone, g_time_zone_unref);
  g_clear_pointer (&self->product_name, g_free);
  g_clear_pointer (&self->product_nuclide, g_free);
  g_clear_pointer (&self->haystack, g_free);

  G_OBJECT_CLASS (bq_order_item_parent_class)->finalize (object);
}

static void
bq_order_item_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  BqOrderItem *self = BQ_ORDER_ITEM (object);

  switch (prop_id)
    {
    case PROP_ID:
      g_value_set_string (value, bq_order_item_get_id (self));
      break;
    case PROP_PATIENT_REF:
      g_value_set_string (value, bq_order_item_get_patient_ref (self));
      break;
    case PROP_CENTRE_NAME:
      g_value_set_string (value, bq_order_item_get_centre_name (self));
      break;
    case PROP_PRODUCT_NAME:
      g_value_set_string (value, bq_order_item_get_product_name (self));
      break;
    case PROP_PRESCRIBED_ACTIVITY:
      g_value_set_double (value, bq_order_item_get_prescribed_activity (self));
      break;
    case PROP_ADMIN_START:
      g_value_set_int64 (value, bq_order_item_get_admin_start (self));
      break;
    case PROP_STATUS:
      g_value_set_int (value, bq_order_item_get_status (self));
      break;
    case PROP_REVISION:
      g_value_set_int64 (value, self->order->base.revision);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_order_item_class_init (BqOrderItemClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->finalize = bq_order_item_finalize;
  object_class->get_property = bq_order_item_get_property;

  properties[PROP_ID] =
    g_param_spec_string ("id", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
  properties[PROP_PATIENT_REF] =
    g_param_spec_string ("patient-ref", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_CENTRE_NAME] =
    g_param_spec_string ("centre-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRODUCT_NAME] =
    g_param_spec_string ("product-name", NULL, NULL, NULL,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_PRESCRIBED_ACTIVITY] =
    g_param_spec_double ("prescribed-activity", NULL, NULL, 0, G_MAXDOUBLE, 0,
                         G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_ADMIN_START] =
    g_param_spec_int64 ("admin-start", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  /* The lifecycle order (requested → … → cancelled), so sorting by it
   * reads as progress rather than the alphabet. */
  properties[PROP_STATUS] =
    g_param_spec_int ("status", NULL, NULL, 0, G_MAXINT, 0,
                      G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  /* Notified on every update, whatever changed: what a row widget
   * watches to redraw itself. */
  properties[PROP_REVISION] =
    g_param_spec_int64 ("revision", NULL, NULL, G_MININT64, G_MAXINT64, 0,
                        G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bq_order_item_init (BqOrderItem *self)
{
}

static char *
place_of (const BqCentre *centre)
{
  if (centre == NULL || centre->city == NULL)
    return NULL;
  if (centre->country == NULL)
    return g_strdup (centre->city);
  return g_strdup_printf ("%s, %s", centre->city, centre->country);
}

static void
rebuild_haystack (BqOrderItem *self)
{
  g_autofree char *joined = g_strjoin ("\n",
                                       self->order->patient_ref ? self->order->patient_ref : "",
                                       bq_order_item_get_centre_name (self),
                                       self->centre_place ? self->centre_place : "",
                                       bq_order_item_get_product_name (self),
                                       bq_format_order_status (self->order->status),
                                       self->order->base.id ? self->order->base.id : "",
                                       NULL);

  gboolean ascii = TRUE;

  for (const char *c = joined; *c != '\0' && ascii; c++)
    ascii = (guchar) *c < 0x80;

  /* Casefolding ASCII is lowering it; g_utf8_casefold() takes several
   * times longer, which 100,000 orders feel. */
  g_free (self->haystack);
  if (ascii)
    self->haystack = g_ascii_strdown (joined, -1);
  else
    self->haystack = g_utf8_casefold (joined, -1);
}

/* Everything but the order: only what differs is replaced, so an update
 * that only touched the order keeps the strings (and notifies less). */
static gboolean
set_relations (BqOrderItem     *self,
               const BqCentre  *centre,
               const BqProduct *product,
               GParamSpec     **notify_centre,
               GParamSpec     **notify_product)
{
  g_autofree char *place = place_of (centre);
  const char *centre_name = centre ? centre->name : NULL;
  const char *timezone = centre ? centre->timezone : NULL;
  const char *product_name = product ? product->name : NULL;
  const char *nuclide = product ? product->nuclide : NULL;
  gboolean changed = FALSE;

  if (g_strcmp0 (self->centre_name, centre_name) != 0)
    {
      g_free (self->centre_name);
      self->centre_name = g_strdup (centre_name);
      *notify_centre = properties[PROP_CENTRE_NAME];
      changed = TRUE;
    }
  if (g_strcmp0 (self->centre_place, place) != 0)
    {
      g_free (self->centre_place);
      self->centre_place = g_steal_pointer (&place);
      changed = TRUE;
    }
  if (self->zone == NULL || g_strcmp0 (self->centre_timezone, timezone) != 0)
    {
      g_free (self->centre_timezone);
      self->centre_timezone = g_strdup (timezone);
      g_clear_pointer (&self->zone, g_time_zone_unref);
      self->zone = bq_format_time_zone (timezone);
      changed = TRUE;
    }
  if (g_strcmp0 (self->product_name, product_name) != 0)
    {
      g_free (self->product_name);
      self->product_name = g_strdup (product_name);
      *notify_product = properties[PROP_PRODUCT_NAME];
      changed = TRUE;
    }
  if (g_strcmp0 (self->product_nuclide, nuclide) != 0)
    {
      g_free (self->product_nuclide);
      self->product_nuclide = g_strdup (nuclide);
      changed = TRUE;
    }
  return changed;
}

BqOrderItem *
bq_order_item_new (BqOrder         *order,
                   const BqCentre  *centre,
                   const BqProduct *product)
{
  BqOrderItem *self;
  GParamSpec *unused_centre = NULL;
  GParamSpec *unused_product = NULL;

  g_return_val_if_fail (order != NULL, NULL);

  self = g_object_new (BQ_TYPE_ORDER_ITEM, NULL);
  self->order = order;
  set_relations (self, centre, product, &unused_centre, &unused_product);
  rebuild_haystack (self);
  return self;
}

gboolean
bq_order_item_shows (BqOrderItem     *self,
                     const BqOrder   *order,
                     const BqCentre  *centre,
                     const BqProduct *product)
{
  g_autofree char *place = NULL;

  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), FALSE);
  g_return_val_if_fail (order != NULL, FALSE);

  /* Not the revision alone: a queued local change shows on top of the
   * server's revision it was made on, and dropping it (Take Theirs)
   * brings back that revision with other values.  This runs on the
   * loading thread, so comparing every field costs the UI nothing. */
  if (order->base.revision != self->order->base.revision ||
      !bq_entity_equal (order, self->order))
    return FALSE;

  place = place_of (centre);
  return g_strcmp0 (self->centre_name, centre ? centre->name : NULL) == 0 &&
         g_strcmp0 (self->centre_place, place) == 0 &&
         g_strcmp0 (self->centre_timezone, centre ? centre->timezone : NULL) == 0 &&
         g_strcmp0 (self->product_name, product ? product->name : NULL) == 0 &&
         g_strcmp0 (self->product_nuclide, product ? product->nuclide : NULL) == 0;
}

gboolean
bq_order_item_update (BqOrderItem     *self,
                      BqOrder         *order,
                      const BqCentre  *centre,
                      const BqProduct *product)
{
  g_autoptr(BqOrder) old = NULL;
  GParamSpec *notify_centre = NULL;
  GParamSpec *notify_product = NULL;
  gboolean changed;

  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), FALSE);
  g_return_val_if_fail (order != NULL, FALSE);

  old = self->order;
  self->order = order;
  changed = set_relations (self, centre, product, &notify_centre, &notify_product);
  changed |= !bq_entity_equal (old, order);
  if (!changed)
    return FALSE;

  rebuild_haystack (self);

  g_object_freeze_notify (G_OBJECT (self));
  if (g_strcmp0 (old->patient_ref, order->patient_ref) != 0)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PATIENT_REF]);
  if (old->prescribed_activity_bq != order->prescribed_activity_bq)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_PRESCRIBED_ACTIVITY]);
  if (old->admin_start != order->admin_start)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_ADMIN_START]);
  if (old->status != order->status)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_STATUS]);
  if (notify_centre != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), notify_centre);
  if (notify_product != NULL)
    g_object_notify_by_pspec (G_OBJECT (self), notify_product);
  g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_REVISION]);
  g_object_thaw_notify (G_OBJECT (self));
  return TRUE;
}

const BqOrder *
bq_order_item_get_order (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->order;
}

const char *
bq_order_item_get_id (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->order->base.id;
}

const char *
bq_order_item_get_patient_ref (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->order->patient_ref ? self->order->patient_ref : "";
}

const char *
bq_order_item_get_centre_name (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  if (self->centre_name != NULL)
    return self->centre_name;
  return self->order->centre_id ? self->order->centre_id : "";
}

const char *
bq_order_item_get_centre_place (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->centre_place;
}

const char *
bq_order_item_get_product_name (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  if (self->product_name != NULL)
    return self->product_name;
  return self->order->product_id ? self->order->product_id : "";
}

const char *
bq_order_item_get_product_nuclide (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->product_nuclide;
}

GTimeZone *
bq_order_item_get_time_zone (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), NULL);
  return self->zone;
}

double
bq_order_item_get_prescribed_activity (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), 0);
  return self->order->prescribed_activity_bq;
}

gint64
bq_order_item_get_admin_start (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), 0);
  return self->order->admin_start;
}

gint64
bq_order_item_get_admin_end (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), 0);
  return self->order->admin_end;
}

BqOrderStatus
bq_order_item_get_status (BqOrderItem *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), BQ_ORDER_REQUESTED);
  return self->order->status;
}

gboolean
bq_order_item_matches (BqOrderItem        *self,
                       const char * const *casefolded_words)
{
  g_return_val_if_fail (BQ_IS_ORDER_ITEM (self), FALSE);

  for (guint i = 0; casefolded_words != NULL && casefolded_words[i] != NULL; i++)
    if (strstr (self->haystack, casefolded_words[i]) == NULL)
      return FALSE;
  return TRUE;
}
