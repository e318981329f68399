// Declarations only (include/CFuzzerDriver.h); SwiftPM needs a source file.
#include "CFuzzerDriver.h"
