/* placeholder until implemented */
#include "bq-json.h"
