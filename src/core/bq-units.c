/* placeholder until implemented */
#include "bq-units.h"
