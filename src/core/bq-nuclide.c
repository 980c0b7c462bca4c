/* placeholder until implemented */
#include "bq-nuclide.h"
