// The prefetch hint is a static inline function in the header; this file gives the target a
// translation unit of its own.
#include "CBeianPrefetch.h"
