#include "cnetsnmp.h"
