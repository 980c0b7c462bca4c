/* placeholder until implemented */
#include "bq-decay.h"
