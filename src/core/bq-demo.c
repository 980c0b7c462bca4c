/* placeholder until implemented */
#include "bq-demo.h"
