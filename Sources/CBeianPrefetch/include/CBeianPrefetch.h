#ifndef C_BEIAN_PREFETCH_H
#define C_BEIAN_PREFETCH_H

/// Asks the processor to bring the cache line holding `address` closer, for reading soon.
/// Batched table lookups issue these for a group of keys before touching any of them, so
/// that their memory reads overlap.
static inline void beian_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

#endif
