/* bq-order-list.c — the orders in the cache, as a GListModel
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#include "config.h"

#include <string.h>

#include "bq-order-list.h"

struct _BqOrderList
{
  GObject     parent_instance;

  BqClient   *client;
  BqStore    *store;
  /* The worker's own connection to the cache file; only the one running
   * load touches it, so it never crosses threads at the same time. */
  BqStore    *reader;

  GPtrArray  *items;         /* BqOrderItem, by id */
  GHashTable *by_id;         /* id (own copy) → BqOrderItem (borrowed from items) */

  GCancellable *cancellable;
  guint       loading : 1;
  guint       loaded : 1;
  guint       reload_pending : 1;
};

static void list_model_iface_init (GListModelInterface *iface);

G_DEFINE_FINAL_TYPE_WITH_CODE (BqOrderList, bq_order_list, G_TYPE_OBJECT,
                               G_IMPLEMENT_INTERFACE (G_TYPE_LIST_MODEL, list_model_iface_init))

enum {
  PROP_0,
  PROP_LOADED,
  PROP_LOADING,
  PROP_N_ITEMS,
  N_PROPS
};

static GParamSpec *properties[N_PROPS];

/* ------------------------------------------------------------- GListModel */

static GType
bq_order_list_get_item_type (GListModel *model)
{
  return BQ_TYPE_ORDER_ITEM;
}

static guint
bq_order_list_get_n_items (GListModel *model)
{
  return BQ_ORDER_LIST (model)->items->len;
}

static gpointer
bq_order_list_get_item (GListModel *model,
                        guint       position)
{
  BqOrderList *self = BQ_ORDER_LIST (model);

  if (position >= self->items->len)
    return NULL;
  return g_object_ref (g_ptr_array_index (self->items, position));
}

static void
list_model_iface_init (GListModelInterface *iface)
{
  iface->get_item_type = bq_order_list_get_item_type;
  iface->get_n_items = bq_order_list_get_n_items;
  iface->get_item = bq_order_list_get_item;
}

/* ------------------------------------------------------------------ load */

/* What one order of the cache becomes, worked out on the worker thread
 * so the UI thread only splices: a new item (built there), an item that
 * already shows it, or an item to update with a newer order. */
typedef struct {
  BqOrderItem *item;      /* new: owned; otherwise borrowed from the list */
  BqOrder     *order;     /* an update: owned; otherwise NULL */
  gboolean     is_new;
} Row;

typedef struct {
  char       *path;       /* the cache file, or NULL to read @store here */
  BqStore    *reader;     /* lent by the list for the time of the load */
  GHashTable *centres;    /* id → BqCentre */
  GHashTable *products;   /* id → BqProduct */
  GArray     *rows;       /* Row, by order id */
} Load;

static void
row_clear (gpointer data)
{
  Row *row = data;

  if (row->is_new)
    g_clear_object (&row->item);
  g_clear_pointer (&row->order, bq_entity_free);
}

static void
load_free (Load *load)
{
  g_free (load->path);
  g_clear_object (&load->reader);
  g_clear_pointer (&load->rows, g_array_unref);
  g_clear_pointer (&load->centres, g_hash_table_unref);
  g_clear_pointer (&load->products, g_hash_table_unref);
  g_free (load);
}

static GHashTable *
index_by_id (GPtrArray *entities)
{
  GHashTable *index = g_hash_table_new_full (g_str_hash, g_str_equal, NULL, bq_entity_free);

  /* The table takes the entities: the array gives them up. */
  g_ptr_array_set_free_func (entities, NULL);
  for (guint i = 0; i < entities->len; i++)
    {
      gpointer entity = g_ptr_array_index (entities, i);

      g_hash_table_replace (index, (gpointer) bq_entity_get_id (entity), entity);
    }
  g_ptr_array_unref (entities);
  return index;
}

/* Off the UI thread: @by_id and the items in it are only changed by
 * apply_load(), on the UI thread, and never while a load runs (one runs
 * at a time and applies when it is done), so reading them here is safe. */
static void
prepare_rows (Load       *load,
              GPtrArray  *orders,
              GHashTable *by_id)
{
  load->rows = g_array_sized_new (FALSE, TRUE, sizeof (Row), orders->len);
  g_array_set_clear_func (load->rows, row_clear);

  /* The rows take the orders. */
  g_ptr_array_set_free_func (orders, NULL);
  for (guint i = 0; i < orders->len; i++)
    {
      BqOrder *order = g_ptr_array_index (orders, i);
      const BqCentre *centre = g_hash_table_lookup (load->centres, order->centre_id);
      const BqProduct *product = g_hash_table_lookup (load->products, order->product_id);
      BqOrderItem *item = g_hash_table_lookup (by_id, order->base.id);
      Row row = { NULL, NULL, FALSE };

      if (item == NULL)
        {
          row.item = bq_order_item_new (order, centre, product);
          row.is_new = TRUE;
        }
      else if (bq_order_item_shows (item, order, centre, product))
        {
          row.item = item;
          bq_entity_free (order);
        }
      else
        {
          row.item = item;
          row.order = order;
        }
      g_array_append_val (load->rows, row);
    }
}

static gboolean
read_cache (BqStore     *store,
            gboolean     snapshot,
            Load        *load,
            GHashTable  *by_id,
            GError     **error)
{
  g_autoptr(GPtrArray) orders = NULL;
  g_autoptr(GPtrArray) centres = NULL;
  g_autoptr(GPtrArray) products = NULL;
  sqlite3 *db = bq_store_get_db (store);

  /* One read transaction, so orders and the centres they name agree.  A
   * deferred one: it takes no write lock, so the client's sync goes on
   * while we read (bq_store_begin() would take the write lock). */
  if (snapshot && sqlite3_exec (db, "BEGIN DEFERRED", NULL, NULL, NULL) != SQLITE_OK)
    {
      g_set_error (error, BQ_STORE_ERROR, BQ_STORE_ERROR_FAILED,
                   "cannot read the cache: %s", sqlite3_errmsg (db));
      return FALSE;
    }
  orders = bq_store_list (store, &bq_order_type, error);
  if (orders != NULL)
    centres = bq_store_list (store, &bq_centre_type, error);
  if (centres != NULL)
    products = bq_store_list (store, &bq_product_type, error);
  if (snapshot)
    sqlite3_exec (db, "COMMIT", NULL, NULL, NULL);
  if (products == NULL)
    return FALSE;

  load->centres = index_by_id (g_steal_pointer (&centres));
  load->products = index_by_id (g_steal_pointer (&products));
  prepare_rows (load, orders, by_id);
  return TRUE;
}

static void
load_in_thread (GTask        *task,
                gpointer      source_object,
                gpointer      task_data,
                GCancellable *cancellable)
{
  BqOrderList *self = source_object;
  Load *load = task_data;
  GError *error = NULL;

  if (load->reader == NULL)
    {
      load->reader = bq_store_open (load->path, &error);
      if (load->reader == NULL)
        {
          g_task_return_error (task, error);
          return;
        }
    }
  if (!read_cache (load->reader, TRUE, load, self->by_id, &error))
    g_task_return_error (task, error);
  else
    g_task_return_boolean (task, TRUE);
}

static gpointer
ref_item (gconstpointer item,
          gpointer      user_data)
{
  return g_object_ref ((gpointer) item);
}

/* Splices @self->items at @position: removes @n_removed, inserts @added,
 * and says so. */
static void
splice (BqOrderList *self,
        guint        position,
        guint        n_removed,
        GPtrArray   *added)
{
  for (guint i = 0; i < n_removed; i++)
    {
      BqOrderItem *item = g_ptr_array_index (self->items, position + i);

      /* An item updated in place is among @added too and comes back
       * below; the keys are copies, so its new id string is no concern. */
      if (g_hash_table_lookup (self->by_id, bq_order_item_get_id (item)) == item)
        g_hash_table_remove (self->by_id, bq_order_item_get_id (item));
    }
  g_ptr_array_remove_range (self->items, position, n_removed);
  if (position == self->items->len)
    {
      /* Appending (the first load): one grow, not one per item. */
      g_ptr_array_extend (self->items, added, ref_item, NULL);
    }
  else
    {
      for (guint i = 0; i < added->len; i++)
        g_ptr_array_insert (self->items, position + i, g_object_ref (g_ptr_array_index (added, i)));
    }
  for (guint i = 0; i < added->len; i++)
    {
      BqOrderItem *item = g_ptr_array_index (added, i);

      g_hash_table_replace (self->by_id, g_strdup (bq_order_item_get_id (item)), item);
    }
  g_list_model_items_changed (G_LIST_MODEL (self), position, n_removed, added->len);
}

/* Merges the prepared rows into the items, both sorted by id.  Views see
 * one items-changed per run of differences, left to right, each position
 * counted in the list as it is at that moment: unchanged items are never
 * announced, an updated one is a one-item change of the same object. */
static void
apply_load (BqOrderList *self,
            Load        *load)
{
  g_autoptr(GPtrArray) added = g_ptr_array_new_with_free_func (g_object_unref);
  GArray *rows = load->rows;
  guint n_before = self->items->len;
  guint position = 0;  /* items before it are already in their new state */
  guint next = 0;      /* the next of @rows to merge */

  while (position < self->items->len || next < rows->len)
    {
      guint n_removed = 0;
      gboolean same = FALSE;

      g_ptr_array_set_size (added, 0);
      while (position + n_removed < self->items->len || next < rows->len)
        {
          BqOrderItem *item = position + n_removed < self->items->len
                            ? g_ptr_array_index (self->items, position + n_removed) : NULL;
          Row *row = next < rows->len ? &g_array_index (rows, Row, next) : NULL;
          int cmp = item == NULL ? 1
                  : row == NULL ? -1
                  : row->is_new ? strcmp (bq_order_item_get_id (item),
                                          bq_order_item_get_id (row->item))
                  : item == row->item ? 0
                  : -1;  /* @row's item is further on: this one is gone */

          if (cmp < 0)
            {
              n_removed++;            /* gone from the cache */
            }
          else if (cmp > 0)
            {
              g_ptr_array_add (added, g_steal_pointer (&row->item));
              row->is_new = FALSE;
              next++;
            }
          else if (row->order == NULL)
            {
              next++;
              same = TRUE;
              break;
            }
          else
            {
              BqOrder *order = g_steal_pointer (&row->order);

              bq_order_item_update (item, order,
                                    g_hash_table_lookup (load->centres, order->centre_id),
                                    g_hash_table_lookup (load->products, order->product_id));
              g_ptr_array_add (added, g_object_ref (item));
              n_removed++;
              next++;
            }
        }

      if (n_removed > 0 || added->len > 0)
        {
          guint n_added = added->len;

          splice (self, position, n_removed, added);
          position += n_added;
        }
      if (same)
        position++;
    }

  if (n_before != self->items->len)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_N_ITEMS]);
}

static void load_start (BqOrderList *self);

static void
on_load_done (GObject      *source,
              GAsyncResult *result,
              gpointer      user_data)
{
  BqOrderList *self = BQ_ORDER_LIST (source);
  Load *load = g_task_get_task_data (G_TASK (result));
  g_autoptr(GError) error = NULL;

  /* The reader comes back whatever happened. */
  if (load->reader != NULL && self->reader == NULL && load->path != NULL)
    self->reader = g_steal_pointer (&load->reader);

  self->loading = FALSE;
  if (!g_task_propagate_boolean (G_TASK (result), &error))
    {
      if (!g_error_matches (error, G_IO_ERROR, G_IO_ERROR_CANCELLED))
        g_warning ("Cannot read the orders from the cache: %s", error->message);
      g_clear_object (&self->reader);
    }
  else
    {
      apply_load (self, load);
      if (!self->loaded)
        {
          self->loaded = TRUE;
          g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADED]);
        }
    }

  if (self->reload_pending)
    {
      self->reload_pending = FALSE;
      load_start (self);
    }
  else
    {
      g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
    }
}

static BqStore *
current_store (BqOrderList *self)
{
  if (self->client != NULL)
    return bq_client_get_store (self->client);
  return self->store;
}

static void
load_start (BqOrderList *self)
{
  g_autoptr(GTask) task = NULL;
  BqStore *store = current_store (self);
  const char *path;
  Load *load;

  g_assert (!self->loading);

  if (store == NULL)
    return;

  self->loading = TRUE;
  load = g_new0 (Load, 1);
  task = g_task_new (self, self->cancellable, on_load_done, NULL);
  g_task_set_source_tag (task, load_start);
  g_task_set_task_data (task, load, (GDestroyNotify) load_free);

  path = bq_store_get_path (store);
  if (path == NULL || *path == '\0' || strcmp (path, ":memory:") == 0)
    {
      /* A private in-memory store has no file to open twice: tests and
       * benchmarks only, small enough to read here. */
      GError *error = NULL;

      if (!read_cache (store, FALSE, load, self->by_id, &error))
        g_task_return_error (task, error);
      else
        g_task_return_boolean (task, TRUE);
      return;
    }

  load->path = g_strdup (path);
  load->reader = g_steal_pointer (&self->reader);
  g_task_run_in_thread (task, load_in_thread);
}

void
bq_order_list_reload (BqOrderList *self)
{
  g_return_if_fail (BQ_IS_ORDER_LIST (self));

  if (self->loading)
    {
      self->reload_pending = TRUE;
      return;
    }
  load_start (self);
  if (self->loading)
    g_object_notify_by_pspec (G_OBJECT (self), properties[PROP_LOADING]);
}

/* ---------------------------------------------------------------- client */

static void
on_client_changed (BqOrderList *self,
                   const char  *kind,
                   BqClient    *client)
{
  if (kind == NULL ||
      strcmp (kind, bq_order_type.name) == 0 ||
      strcmp (kind, bq_centre_type.name) == 0 ||
      strcmp (kind, bq_product_type.name) == 0)
    bq_order_list_reload (self);
}

static void
on_client_user_changed (BqOrderList *self,
                        GParamSpec  *pspec,
                        BqClient    *client)
{
  bq_order_list_reload (self);
}

/* ---------------------------------------------------------------- object */

static void
bq_order_list_dispose (GObject *object)
{
  BqOrderList *self = BQ_ORDER_LIST (object);

  g_cancellable_cancel (self->cancellable);
  if (self->client != NULL)
    g_signal_handlers_disconnect_by_data (self->client, self);
  g_clear_object (&self->client);

  G_OBJECT_CLASS (bq_order_list_parent_class)->dispose (object);
}

static void
bq_order_list_finalize (GObject *object)
{
  BqOrderList *self = BQ_ORDER_LIST (object);

  g_clear_object (&self->store);
  g_clear_object (&self->reader);
  g_clear_object (&self->cancellable);
  g_clear_pointer (&self->by_id, g_hash_table_unref);
  g_clear_pointer (&self->items, g_ptr_array_unref);

  G_OBJECT_CLASS (bq_order_list_parent_class)->finalize (object);
}

static void
bq_order_list_get_property (GObject    *object,
                            guint       prop_id,
                            GValue     *value,
                            GParamSpec *pspec)
{
  BqOrderList *self = BQ_ORDER_LIST (object);

  switch (prop_id)
    {
    case PROP_LOADED:
      g_value_set_boolean (value, self->loaded);
      break;
    case PROP_LOADING:
      g_value_set_boolean (value, self->loading);
      break;
    case PROP_N_ITEMS:
      g_value_set_uint (value, self->items->len);
      break;
    default:
      G_OBJECT_WARN_INVALID_PROPERTY_ID (object, prop_id, pspec);
    }
}

static void
bq_order_list_class_init (BqOrderListClass *klass)
{
  GObjectClass *object_class = G_OBJECT_CLASS (klass);

  object_class->dispose = bq_order_list_dispose;
  object_class->finalize = bq_order_list_finalize;
  object_class->get_property = bq_order_list_get_property;

  properties[PROP_LOADED] =
    g_param_spec_boolean ("loaded", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_LOADING] =
    g_param_spec_boolean ("loading", NULL, NULL, FALSE,
                          G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);
  properties[PROP_N_ITEMS] =
    g_param_spec_uint ("n-items", NULL, NULL, 0, G_MAXUINT, 0,
                       G_PARAM_READABLE | G_PARAM_EXPLICIT_NOTIFY | G_PARAM_STATIC_STRINGS);

  g_object_class_install_properties (object_class, N_PROPS, properties);
}

static void
bq_order_list_init (BqOrderList *self)
{
  self->items = g_ptr_array_new_with_free_func (g_object_unref);
  self->by_id = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  self->cancellable = g_cancellable_new ();
}

BqOrderList *
bq_order_list_new (BqClient *client)
{
  BqOrderList *self;

  g_return_val_if_fail (BQ_IS_CLIENT (client), NULL);

  self = g_object_new (BQ_TYPE_ORDER_LIST, NULL);
  self->client = g_object_ref (client);
  g_signal_connect_object (client, "changed", G_CALLBACK (on_client_changed), self,
                           G_CONNECT_SWAPPED);
  g_signal_connect_object (client, "notify::user", G_CALLBACK (on_client_user_changed), self,
                           G_CONNECT_SWAPPED);
  return self;
}

BqOrderList *
bq_order_list_new_for_store (BqStore *store)
{
  BqOrderList *self;

  g_return_val_if_fail (BQ_IS_STORE (store), NULL);

  self = g_object_new (BQ_TYPE_ORDER_LIST, NULL);
  self->store = g_object_ref (store);
  return self;
}

gboolean
bq_order_list_get_loaded (BqOrderList *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_LIST (self), FALSE);
  return self->loaded;
}

gboolean
bq_order_list_get_loading (BqOrderList *self)
{
  g_return_val_if_fail (BQ_IS_ORDER_LIST (self), FALSE);
  return self->loading;
}

BqOrderItem *
bq_order_list_lookup (BqOrderList *self,
                      const char  *id)
{
  g_return_val_if_fail (BQ_IS_ORDER_LIST (self), NULL);
  g_return_val_if_fail (id != NULL, NULL);

  return g_hash_table_lookup (self->by_id, id);
}
