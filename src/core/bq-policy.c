/* placeholder until implemented */
#include "bq-policy.h"
