/* placeholder until implemented */
#include "bq-core.h"
