/* bq-slots-page.h — the slot calendar and booking
 *
 * A week of slots per centre (the account manager's own centres only),
 * each with its remaining doses, the ordering cut-off counting down and a
 * feasibility colour, read from the client's cache by the slot engine.
 * The booking pane takes a centre, a pseudonymous patient reference, the
 * prescribed activity and the administration window and ranks the
 * feasible slots with their one-line explanations: from the server
 * (POST /slots/match) when online, from the slot engine over the cache
 * when not ("offline estimate").  Hold (online), Book (a claim queued
 * through the client's outbox, so it works offline: the order is "not
 * yet guaranteed" until the server accepts it, and a refusal shows as a
 * conflict with the server's alternatives) and Confirm.
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include <adwaita.h>

#include "bq-client.h"

G_BEGIN_DECLS

#define BQ_TYPE_SLOTS_PAGE (bq_slots_page_get_type ())
G_DECLARE_FINAL_TYPE (BqSlotsPage, bq_slots_page, BQ, SLOTS_PAGE, GtkWidget)

GtkWidget   *bq_slots_page_new                (void);
void         bq_slots_page_set_client         (BqSlotsPage  *self,
                                               BqClient     *client);
/* The clock the page judges cut-offs by (tests, demo data); BQ_TIME_UNSET
 * (the default): the real time. */
void         bq_slots_page_set_now            (BqSlotsPage  *self,
                                               gint64        now);
/* Shows the week starting on the day of @from (UTC midnight). */
void         bq_slots_page_set_week           (BqSlotsPage  *self,
                                               gint64        from);
/* Week (FALSE) or month view: the month of the week shown.  A day of
 * the month view, clicked, shows its week. */
void         bq_slots_page_set_month_view     (BqSlotsPage  *self,
                                               gboolean      month_view);
gboolean     bq_slots_page_get_month_view     (BqSlotsPage  *self);
gint64       bq_slots_page_get_week           (BqSlotsPage  *self);
/* The remaining doses of the open, feasible slots of @day (00:00 UTC) as
 * the view shows them; -1: the view shows no slot that day. */
gint64       bq_slots_page_get_day_remaining  (BqSlotsPage  *self,
                                               gint64        day);
/* The month view's button for @day, or NULL. */
GtkWidget   *bq_slots_page_get_day_cell       (BqSlotsPage  *self,
                                               gint64        day);
gboolean     bq_slots_page_set_centre         (BqSlotsPage  *self,
                                               const char   *centre_id);
const char  *bq_slots_page_get_centre         (BqSlotsPage  *self);
/* Slots shown in the calendar. */
guint        bq_slots_page_get_n_slots        (BqSlotsPage  *self);

/* The booking pane: a new booking (Ctrl+N) clears it and focuses the
 * patient reference. */
void         bq_slots_page_new_booking        (BqSlotsPage  *self);
/* Fills in the request: @activity like "7.4 GBq" (NULL: the product's
 * dose), @window_s the length of the administration window. */
void         bq_slots_page_set_request        (BqSlotsPage  *self,
                                               const char   *patient_ref,
                                               const char   *activity,
                                               gint64        admin_start,
                                               gint64        window_s);
/* Ranks the feasible slots (asynchronously: see is-busy); FALSE with a
 * message shown (and in @error) when the request is not valid. */
gboolean     bq_slots_page_find               (BqSlotsPage  *self,
                                               GError      **error);
gboolean     bq_slots_page_is_busy            (BqSlotsPage  *self);
guint        bq_slots_page_get_n_options      (BqSlotsPage  *self);
/* The option's slot id and its one-line explanation. */
const char  *bq_slots_page_get_option_slot    (BqSlotsPage  *self,
                                               guint         index);
const char  *bq_slots_page_get_option_summary (BqSlotsPage  *self,
                                               guint         index);
/* Whether the options are the slot engine's over the cache. */
gboolean     bq_slots_page_is_offline_estimate (BqSlotsPage *self);
void         bq_slots_page_select_option      (BqSlotsPage  *self,
                                               guint         index);
/* Queues the claim of the selected option; the order's id (provisional
 * until the server accepts it) is then bq_slots_page_get_order_id(). */
gboolean     bq_slots_page_book               (BqSlotsPage  *self,
                                               GError      **error);
const char  *bq_slots_page_get_order_id       (BqSlotsPage  *self);
gboolean     bq_slots_page_confirm            (BqSlotsPage  *self,
                                               GError      **error);
/* Reschedule mode: the booking pane filled in from order @order_id (its
 * centre, patient, activity and window) and ranked; Book then queues
 * POST /orders/ID/reschedule {slot_id} instead of a claim.  A new
 * booking leaves the mode.  FALSE if the cache has no such order. */
gboolean     bq_slots_page_reschedule_order   (BqSlotsPage  *self,
                                               const char   *order_id);
const char  *bq_slots_page_get_reschedule_id  (BqSlotsPage  *self);
/* The status line of the booking ("Not yet guaranteed — …", …). */
const char  *bq_slots_page_get_status_text    (BqSlotsPage  *self);

G_END_DECLS
