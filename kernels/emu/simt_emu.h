/* SIMT emulation of the CUDA subset used by rdx's kernels, so that the .cu
 * files in kernels/ compile a second time with g++ and run on machines without
 * a GPU (design note gpu-kernels.md, issue #5).
 *
 * Build: each x.cu is compiled through a one-line wrapper (#include "x.cu")
 * with -DSIMT_EMU -include simt_emu.h -ffp-contract=off; kernels launch through
 * KLAUNCH (kernels/common.h). Semantics:
 * - Every CUDA thread of a block is a fiber; blocks run one after another on
 *   the calling host thread; a launch returns when the grid has finished.
 * - __syncthreads() is a rendezvous of the whole block and warp intrinsics are
 *   rendezvous of the lanes named in their mask; every participant must be at
 *   the same call site. An inconsistent rendezvous, or a stall (a barrier some
 *   thread never reaches), prints a report naming threads and call sites to
 *   stderr and aborts.
 * - SIMT_SCHEDULE=forward (default) | reverse | random:SEED sets the order in
 *   which ready threads (and blocks) run; kernels whose output depends on it
 *   have a race (a missing barrier). Dynamic shared memory is filled with a
 *   schedule-dependent byte at each block start so that reads of unwritten
 *   shared memory show up the same way.
 * - __shared__ is static thread_local: one copy per host thread, shared by the
 *   block's fibers. Device memory is host memory (cudaMalloc is malloc);
 *   SIMT_DEVICE_MEMORY_MB=N makes cudaMalloc refuse allocations above N MiB
 *   (cudaErrorMemoryAllocation), to test what happens when a device is full;
 *   simt::set_device_memory_cap caps the total held at once (a pool's maximum
 *   size, rdx_cuda_set_memory_budget).
 * C++17 only; code tests SIMT_EMU, never __CUDA_ARCH__. */
#ifndef RDX_SIMT_EMU_H
#define RDX_SIMT_EMU_H

#if defined(__CUDACC__)
#error "simt_emu.h is for the host emulation build; nvcc compiles kernels natively"
#endif
#ifndef SIMT_EMU
#define SIMT_EMU 1
#endif

#include <cuda_runtime.h> /* host mode: dim3, vector types, error enums, empty qualifiers */

#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>

#undef __shared__
#define __shared__ static thread_local
#define __launch_bounds__(...)

inline constexpr int warpSize = 32;

/* Coordinates of the running fiber, switched with it. */
extern thread_local uint3 threadIdx, blockIdx;
extern thread_local dim3 blockDim, gridDim;

namespace simt {

enum class op { sync, sync_count, sync_and, sync_or, syncwarp, ballot, any, all, shfl, shfl_up, shfl_down, shfl_xor };

/* A call site of a synchronising intrinsic; the intrinsics below are its members
 * so that the macros can record __FILE__/__LINE__ and keep CUDA's default arguments. */
struct at {
    const char *file;
    int line;

    void syncthreads() const;
    int syncthreads_count(int pred) const;
    int syncthreads_and(int pred) const;
    int syncthreads_or(int pred) const;
    void syncwarp(unsigned mask = 0xffffffffu) const;
    unsigned ballot_sync(unsigned mask, int pred) const;
    int any_sync(unsigned mask, int pred) const;
    int all_sync(unsigned mask, int pred) const;
    template <class T> T shfl_sync(unsigned mask, T var, int src_lane, int width = warpSize) const;
    template <class T> T shfl_up_sync(unsigned mask, T var, unsigned delta, int width = warpSize) const;
    template <class T> T shfl_down_sync(unsigned mask, T var, unsigned delta, int width = warpSize) const;
    template <class T> T shfl_xor_sync(unsigned mask, T var, int lane_mask, int width = warpSize) const;
};

/* Warp rendezvous: every lane of mask deposits value and, for shuffles, the lane
 * it reads (-1: its own value); returns this lane's result. */
uint64_t warp_sync(const at &site, op o, unsigned mask, uint64_t value, int src);
int lane_id();
int segment_base(const at &site, int lane, int width); /* first lane of lane's width-group */
void yield();                                        /* let the other threads run (failed atomicCAS) */
void *dynamic_shared();                              /* this launch's dynamic shared memory */
/* Total device memory all host threads may hold at once (SIZE_MAX: no cap), as
 * a memory pool's maximum size does on a GPU: cudaMalloc beyond it fails. */
void set_device_memory_cap(size_t bytes);
/* extern "C" unsigned long long simt_grids_run(void): kernel launches (grids)
 * run so far by every host thread; tests count launches with it (a C test
 * declares it weak, as it is absent from the builds without the emulator). */

template <class T> T shuffle(const at &site, op o, unsigned mask, T var, int src)
{
    static_assert(std::is_arithmetic<T>::value && sizeof(T) <= 8, "shuffles take 32/64-bit arithmetic types");
    uint64_t in = 0;
    std::memcpy(&in, &var, sizeof var);
    uint64_t out = warp_sync(site, o, mask, in, src);
    T r;
    std::memcpy(&r, &out, sizeof r);
    return r;
}

template <class T> T at::shfl_sync(unsigned mask, T var, int src_lane, int width) const
{
    int base = segment_base(*this, lane_id(), width);
    return shuffle(*this, op::shfl, mask, var, base + (src_lane & (width - 1)));
}

/* Sources outside the caller's width-group give the caller's own value (CUDA). */
template <class T> T at::shfl_up_sync(unsigned mask, T var, unsigned delta, int width) const
{
    int lane = lane_id(), base = segment_base(*this, lane, width);
    return shuffle(*this, op::shfl_up, mask, var, delta <= (unsigned)(lane - base) ? lane - (int)delta : -1);
}

template <class T> T at::shfl_down_sync(unsigned mask, T var, unsigned delta, int width) const
{
    int lane = lane_id(), base = segment_base(*this, lane, width);
    return shuffle(*this, op::shfl_down, mask, var,
                   delta < (unsigned)(base + width - lane) ? lane + (int)delta : -1);
}

template <class T> T at::shfl_xor_sync(unsigned mask, T var, int lane_mask, int width) const
{
    int lane = lane_id(), base = segment_base(*this, lane, width), src = lane ^ lane_mask;
    return shuffle(*this, op::shfl_xor, mask, var, (unsigned)src < (unsigned)(base + width) ? src : -1);
}

/* Runs body(arg) as every thread of every block of the grid; launch errors go
 * to cudaGetLastError. */
void run(dim3 grid, dim3 block, size_t smem, void (*body)(void *), void *arg);

/* kernel<<<grid, block, smem, stream>>>(args...) as launch(...)(args...):
 * arguments are converted to the kernel's parameter types once, then copied
 * into every thread's call as a by-value kernel call would. */
template <class... P> struct launcher {
    dim3 grid, block;
    size_t smem;
    void (*kernel)(P...);

    template <class... A> void operator()(A &&...a) const
    {
        struct closure {
            void (*kernel)(P...);
            std::tuple<P...> args;
        } c{kernel, std::tuple<P...>(std::forward<A>(a)...)};
        run(grid, block, smem,
            [](void *p) {
                closure *c = static_cast<closure *>(p);
                std::apply(c->kernel, c->args);
            },
            &c);
    }
};

/* Launches are synchronous, so streams are accepted and ignored. */
template <class... P>
launcher<P...> launch(dim3 grid, dim3 block, size_t smem, cudaStream_t, void (*kernel)(P...))
{
    return {grid, block, smem, kernel};
}

/* *a = f(*a) atomically; returns the old value. */
template <class T, class F> T atomic_update(T *a, F f)
{
    T old, nw;
    __atomic_load(a, &old, __ATOMIC_RELAXED);
    do
        nw = f(old);
    while (!__atomic_compare_exchange(a, &old, &nw, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED));
    return old;
}

template <class T> T atomic_cas(T *a, T compare, T val)
{
    T old = compare;
    if (!__atomic_compare_exchange_n(a, &old, val, false, __ATOMIC_RELAXED, __ATOMIC_RELAXED))
        yield(); /* a spinning thread waits for another one: let it run */
    return old;
}

} // namespace simt

#define SIMT_AT (::simt::at{__FILE__, __LINE__})
#define __syncthreads SIMT_AT.syncthreads
#define __syncthreads_count SIMT_AT.syncthreads_count
#define __syncthreads_and SIMT_AT.syncthreads_and
#define __syncthreads_or SIMT_AT.syncthreads_or
#define __syncwarp SIMT_AT.syncwarp
#define __ballot_sync SIMT_AT.ballot_sync
#define __any_sync SIMT_AT.any_sync
#define __all_sync SIMT_AT.all_sync
#define __shfl_sync SIMT_AT.shfl_sync
#define __shfl_up_sync SIMT_AT.shfl_up_sync
#define __shfl_down_sync SIMT_AT.shfl_down_sync
#define __shfl_xor_sync SIMT_AT.shfl_xor_sync

/* Atomics: CUDA's overload set (no more, so that code accepted here also
 * compiles with nvcc); relaxed ordering as on the device. */
#define SIMT_ATOMIC_BUILTIN(name, builtin, T) \
    inline T name(T *a, T v) { return builtin(a, v, __ATOMIC_RELAXED); }
#define SIMT_ATOMIC_UPDATE(name, T, expr) \
    inline T name(T *a, T v) { return ::simt::atomic_update(a, [v](T o) { return (T)(expr); }); }

SIMT_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, int)
SIMT_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, unsigned)
SIMT_ATOMIC_BUILTIN(atomicAdd, __atomic_fetch_add, unsigned long long)
SIMT_ATOMIC_UPDATE(atomicAdd, float, o + v)
SIMT_ATOMIC_UPDATE(atomicAdd, double, o + v)
SIMT_ATOMIC_BUILTIN(atomicSub, __atomic_fetch_sub, int)
SIMT_ATOMIC_BUILTIN(atomicSub, __atomic_fetch_sub, unsigned)
SIMT_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, int)
SIMT_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, unsigned)
SIMT_ATOMIC_BUILTIN(atomicExch, __atomic_exchange_n, unsigned long long)
SIMT_ATOMIC_UPDATE(atomicMin, int, o < v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMin, unsigned, o < v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMin, long long, o < v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMin, unsigned long long, o < v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMax, int, o > v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMax, unsigned, o > v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMax, long long, o > v ? o : v)
SIMT_ATOMIC_UPDATE(atomicMax, unsigned long long, o > v ? o : v)
SIMT_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, int)
SIMT_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, unsigned)
SIMT_ATOMIC_BUILTIN(atomicAnd, __atomic_fetch_and, unsigned long long)
SIMT_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, int)
SIMT_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, unsigned)
SIMT_ATOMIC_BUILTIN(atomicOr, __atomic_fetch_or, unsigned long long)
SIMT_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, int)
SIMT_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, unsigned)
SIMT_ATOMIC_BUILTIN(atomicXor, __atomic_fetch_xor, unsigned long long)
SIMT_ATOMIC_UPDATE(atomicInc, unsigned, o >= v ? 0u : o + 1u)
SIMT_ATOMIC_UPDATE(atomicDec, unsigned, (o == 0u || o > v) ? v : o - 1u)
#undef SIMT_ATOMIC_BUILTIN
#undef SIMT_ATOMIC_UPDATE

inline float atomicExch(float *a, float v)
{
    float old;
    __atomic_exchange(a, &v, &old, __ATOMIC_RELAXED);
    return old;
}
inline int atomicCAS(int *a, int compare, int val) { return ::simt::atomic_cas(a, compare, val); }
inline unsigned atomicCAS(unsigned *a, unsigned compare, unsigned val) { return ::simt::atomic_cas(a, compare, val); }
inline unsigned long long atomicCAS(unsigned long long *a, unsigned long long compare, unsigned long long val)
{
    return ::simt::atomic_cas(a, compare, val);
}

/* Bit intrinsics used with ballots; __clz(0) is 32 as on the device. */
inline int __popc(unsigned x) { return __builtin_popcount(x); }
inline int __popcll(unsigned long long x) { return __builtin_popcountll(x); }
inline int __clz(int x) { return x ? __builtin_clz((unsigned)x) : 32; }
inline int __clzll(long long x) { return x ? __builtin_clzll((unsigned long long)x) : 64; }
inline int __ffs(int x) { return __builtin_ffs(x); }
inline int __ffsll(long long x) { return __builtin_ffsll(x); }
/* Fibers of one host thread never run at the same time: fences only order memory. */
inline void __threadfence() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }
inline void __threadfence_block() { __atomic_thread_fence(__ATOMIC_SEQ_CST); }

#endif
