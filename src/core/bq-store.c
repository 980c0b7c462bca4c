/* placeholder until implemented */
#include "bq-store.h"
