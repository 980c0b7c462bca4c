/* placeholder until implemented */
#include "bq-lifecycle.h"
