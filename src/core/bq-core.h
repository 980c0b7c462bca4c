/* bq-core.h — everything in the core library
 *
 * SPDX-License-Identifier: GPL-3.0-or-later
 */
#pragma once

#include "bq-nuclide.h"
#include "bq-decay.h"
#include "bq-units.h"
#include "bq-model.h"
#include "bq-json.h"
#include "bq-store.h"
#include "bq-demo.h"
#include "bq-plan.h"
#include "bq-route.h"
#include "bq-slots.h"
#include "bq-geojson.h"
