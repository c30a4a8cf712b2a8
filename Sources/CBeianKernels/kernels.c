// The kernels are static inline functions in the header; this file gives the target a
// translation unit of its own.
#include "CBeianKernels.h"
