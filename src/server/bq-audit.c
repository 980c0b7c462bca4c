/* placeholder until implemented */
#include <glib.h>
