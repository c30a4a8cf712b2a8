#ifndef C_BEIAN_KERNELS_H
#define C_BEIAN_KERNELS_H

// The few lines of C the Swift code needs: prefetches, branch-free searches, and the C
// allocator's tuning (not reachable from Swift's Glibc module).

#if defined(__linux__) && defined(__GLIBC__)
#include <malloc.h> 
/// Keeps memory freed by one stage of a large build for the next, instead of returning it to
/// the kernel and faulting it in again, zeroed, page by page.
static inline void beian_tune_allocator_for_large_builds(void) {
#if defined(__linux__) && defined(__GLIBC__)
    // The largest threshold glibc accepts (blocks above it are mapped, and zeroed, afresh).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    mallopt(M_TOP_PAD, 256 << 20);
#endif
}

#endif

/// Asks the processor to bring the cache line holding `address` closer, for reading soon.
/// Batched table lookups issue these for a group of keys before touching any of them, so
/// that their memory reads overlap.
static inline void beian_prefetch(const void *address) {
    __builtin_prefetch(address, 0, 3);
}

/// The binary search of an IPv4 bucket: the index of the last of the `count` (≥ 1) entries
/// from `low` whose interval start (bits 32–47 of the entry) is ≤ `key`. Written here because
/// the comparison must compile to a conditional move: its outcome is a coin toss that no
/// branch predictor learns, and Swift's optimiser turns every branch-free formulation back into
/// a branch.
static inline long beian_search_starts16(const unsigned long long *entries, long low, long count, unsigned key) {
    while (count > 1) {
        long half = count >> 1;
        unsigned start = (unsigned)((entries[low + half] >> 32) & 0xFFFF);
        low = __builtin_unpredictable(start <= key) ? low + half : low;
        count -= half;
    }
    return low;
}

/// The index of the last of the `count` values from `low` that is < `key`, or `low - 1` when
/// none is (the IPv6 sample search; branch-free like the one above).
static inline long beian_search_below64(const unsigned long long *values, long low, long count, unsigned long long key) {
    if (count <= 0 || values[low] >= key) return low - 1;
    while (count > 1) {
        long half = count >> 1;
        low = __builtin_unpredictable(values[low + half] < key) ? low + half : low;
        count -= half;
    }
    return low;
}

/// Keeps memory freed by one stage of a large build for the next, instead of returning it to
/// the kernel and faulting it in again, zeroed, page by page.
static inline void beian_tune_allocator_for_large_builds(void) {
#if defined(__linux__) && defined(__GLIBC__)
    // The largest threshold glibc accepts (blocks above it are mapped, and zeroed, afresh).
    mallopt(M_MMAP_THRESHOLD, 32 << 20);
    mallopt(M_TRIM_THRESHOLD, 0x7fffffff);
    mallopt(M_TOP_PAD, 256 << 20);
#endif
}

#endif
