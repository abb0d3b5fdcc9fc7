/* SIMT emulator engine (interface and semantics: simt_emu.h).
 *
 * Each CUDA thread is a ucontext fiber with an mmap'd stack and a guard page;
 * fibers are kept per host thread and reused across blocks and launches (a
 * fiber loops: run the kernel body, mark itself done, switch away). A fiber
 * runs until it blocks in a rendezvous, finishes or yields, then switches
 * directly to the next ready fiber picked by the schedule; when none is ready
 * control returns to the launching context, which either starts the next block
 * or reports a deadlock. */
#include "simt_emu.h"

#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <atomic>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <deque>
#include <memory>
#include <string>
#include <vector>

#if defined(__SANITIZE_ADDRESS__)
#include <sanitizer/common_interface_defs.h>
#define SIMT_ASAN 1 /* ASan must be told which stack is in use */
#endif

thread_local uint3 threadIdx, blockIdx;
thread_local dim3 blockDim, gridDim;

namespace simt {
namespace {

constexpr unsigned kMaxThreads = 1024;
constexpr size_t kStackBytes = 128 * 1024;
constexpr size_t kMaxDynamicShared = 48 * 1024; /* CUDA's limit without an opt-in attribute */

enum class state { ready, barrier, warp, done };
enum class policy { forward, reverse, random };

const char *op_name(op o)
{
    static const char *const names[] = {"__syncthreads", "__syncthreads_count", "__syncthreads_and",
                                        "__syncthreads_or", "__syncwarp", "__ballot_sync", "__any_sync",
                                        "__all_sync", "__shfl_sync", "__shfl_up_sync", "__shfl_down_sync",
                                        "__shfl_xor_sync"};
    return names[(int)o];
}

bool same_site(const at &a, const at &b) { return a.line == b.line && std::strcmp(a.file, b.file) == 0; }

struct fiber {
    ucontext_t ctx;
    char *map = nullptr; /* stack mapping, guard page first */
    size_t map_bytes = 0;
    char *stack() const { return map + (map_bytes - kStackBytes); }
    int id = 0; /* linear thread id in the block */
    uint3 tid{};
    state st = state::done;
    op wait_op = op::sync; /* what it waits in (barrier / warp states) */
    at site{"", 0};
    unsigned mask = 0;
    uint64_t in = 0, out = 0; /* warp rendezvous value and result */
    int src = -1;

    fiber() = default;
    fiber(const fiber &) = delete;
    fiber &operator=(const fiber &) = delete;
    ~fiber()
    {
        if (map)
            munmap(map, map_bytes);
    }
};

struct group { /* a pending warp rendezvous */
    unsigned mask, arrived;
    op o;
    at site;
};

struct engine {
    std::vector<std::unique_ptr<fiber>> fibers; /* pool, grows to the largest block seen */
    ucontext_t launcher;                        /* the context that runs blocks */
    const void *launcher_stack = nullptr;       /* its stack, for ASan */
    size_t launcher_stack_size = 0;
    bool from_launcher = false; /* the next fiber to start learns the launcher's stack */
    fiber *cur = nullptr;
    std::deque<int> ready;
    policy pol = policy::forward;
    std::string schedule; /* as given, for reports */
    uint64_t rng = 0;
    int n = 0, done = 0; /* threads in the block, threads finished */
    std::vector<int> all; /* 0 .. n-1 */
    int bar_arrived = 0, bar_count = 0;
    at bar_site{"", 0};
    op bar_op = op::sync;
    std::vector<group> groups[kMaxThreads / 32]; /* per warp */
    void (*body)(void *) = nullptr;
    void *arg = nullptr;
    std::vector<max_align_t> smem;
    cudaError_t last_error = cudaSuccess;
};

thread_local engine eng; /* one emulated device per host thread */

[[noreturn]] void fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

void fail(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "simt: block (%u,%u,%u) thread (%u,%u,%u), SIMT_SCHEDULE=%s: ", blockIdx.x, blockIdx.y,
                 blockIdx.z, threadIdx.x, threadIdx.y, threadIdx.z, eng.schedule.c_str());
    std::vfprintf(stderr, fmt, ap);
    std::fputc('\n', stderr);
    va_end(ap);
    std::abort();
}

fiber &current(const char *what)
{
    if (!eng.cur)
        fail("%s called outside a kernel", what);
    return *eng.cur;
}

uint64_t next_random(engine &e) /* splitmix64: the same sequence on every platform */
{
    uint64_t z = (e.rng += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

void parse_schedule(engine &e)
{
    const char *s = std::getenv("SIMT_SCHEDULE");
    e.schedule = s && *s ? s : "forward";
    char *end = nullptr;
    if (e.schedule == "forward") {
        e.pol = policy::forward;
    } else if (e.schedule == "reverse") {
        e.pol = policy::reverse;
    } else if (e.schedule.compare(0, 7, "random:") == 0 && e.schedule.size() > 7 &&
               (e.rng = std::strtoull(e.schedule.c_str() + 7, &end, 10), *end == '\0')) {
        e.pol = policy::random;
    } else {
        std::fprintf(stderr, "simt: SIMT_SCHEDULE=%s: expected forward, reverse or random:SEED\n", s);
        std::abort();
    }
}

/* Queue ids[0..n) (ascending) as ready, in the order the schedule runs them. */
void make_ready(engine &e, const int *ids, int n)
{
    for (int i = 0; i < n; i++) {
        int id = ids[e.pol == policy::reverse ? n - 1 - i : i];
        e.fibers[id]->st = state::ready;
        e.ready.push_back(id);
    }
}

fiber *pick(engine &e)
{
    if (e.ready.empty())
        return nullptr;
    if (e.pol == policy::random)
        std::swap(e.ready.front(), e.ready[next_random(e) % e.ready.size()]);
    fiber *f = e.fibers[e.ready.front()].get();
    e.ready.pop_front();
    return f;
}

/* After a switch: tell ASan it is complete (fake: the saved fake stack). */
void landed(engine &e, void *fake)
{
#ifdef SIMT_ASAN
    const void *bottom;
    size_t size;
    __sanitizer_finish_switch_fiber(fake, &bottom, &size);
    if (e.from_launcher) {
        e.launcher_stack = bottom;
        e.launcher_stack_size = size;
        e.from_launcher = false;
    }
#else
    (void)e;
    (void)fake;
#endif
}

/* Save the running context in from and run fiber to, or the launcher when to is null. */
void swap(engine &e, ucontext_t *from, fiber *to)
{
    void *fake = nullptr;
#ifdef SIMT_ASAN
    __sanitizer_start_switch_fiber(&fake, to ? to->stack() : e.launcher_stack,
                                   to ? kStackBytes : e.launcher_stack_size);
#endif
    swapcontext(from, to ? &to->ctx : &e.launcher);
    landed(e, fake);
}

/* Leave the running fiber (already queued or blocked) for the next ready one,
 * or for the launcher when none is ready. Returns when the fiber is resumed. */
void switch_away(engine &e)
{
    fiber *me = e.cur, *next = pick(e);
    if (next == me)
        return;
    e.cur = next;
    if (next)
        threadIdx = next->tid;
    swap(e, &me->ctx, next);
}

void fiber_main()
{
    engine &e = eng; /* a fiber never leaves its host thread */
    landed(e, nullptr);
    for (;;) {
        e.body(e.arg);
        e.cur->st = state::done;
        e.done++;
        switch_away(e);
    }
}

bool grow_pool(engine &e, int n)
{
    const size_t page = (size_t)sysconf(_SC_PAGESIZE);
    while ((int)e.fibers.size() < n) {
        auto f = std::make_unique<fiber>();
        f->map_bytes = kStackBytes + page;
        void *m = mmap(nullptr, f->map_bytes, PROT_READ | PROT_WRITE,
                       MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE | MAP_STACK, -1, 0);
        if (m == MAP_FAILED)
            return false;
        f->map = static_cast<char *>(m);
        if (mprotect(f->map, page, PROT_NONE) != 0 || getcontext(&f->ctx) != 0)
            return false;
        f->ctx.uc_stack.ss_sp = f->stack();
        f->ctx.uc_stack.ss_size = kStackBytes;
        f->ctx.uc_link = nullptr; /* fiber_main never returns */
        makecontext(&f->ctx, fiber_main, 0);
        f->id = (int)e.fibers.size();
        e.fibers.push_back(std::move(f));
    }
    return true;
}

/* "0-9,12,14-15" */
std::string ranges(const std::vector<int> &ids)
{
    std::string s;
    for (size_t i = 0; i < ids.size();) {
        size_t j = i;
        while (j + 1 < ids.size() && ids[j + 1] == ids[j] + 1)
            j++;
        s += (s.empty() ? "" : ",") + std::to_string(ids[i]);
        if (j > i)
            s += "-" + std::to_string(ids[j]);
        i = j + 1;
    }
    return s;
}

/* Nothing is ready but the block has not finished: list who waits where. */
[[noreturn]] void report_deadlock(engine &e)
{
    std::fprintf(stderr, "simt: deadlock in block (%u,%u,%u), SIMT_SCHEDULE=%s: %d of %d threads finished\n",
                 blockIdx.x, blockIdx.y, blockIdx.z, e.schedule.c_str(), e.done, e.n);
    std::vector<bool> listed(e.n, false);
    for (int i = 0; i < e.n; i++) {
        if (listed[i])
            continue;
        const fiber &a = *e.fibers[i];
        std::vector<int> ids;
        for (int j = i; j < e.n; j++) {
            const fiber &b = *e.fibers[j];
            bool same = b.st == a.st && (a.st == state::done || (b.wait_op == a.wait_op && same_site(b.site, a.site) &&
                                                                 (a.st != state::warp || (b.id / 32 == a.id / 32 &&
                                                                                          b.mask == a.mask))));
            if (same) {
                listed[j] = true;
                ids.push_back(j);
            }
        }
        if (a.st == state::done)
            std::fprintf(stderr, "  threads %s have exited\n", ranges(ids).c_str());
        else if (a.st == state::warp)
            std::fprintf(stderr, "  threads %s wait in %s at %s:%d (warp %d, mask 0x%08x)\n", ranges(ids).c_str(),
                         op_name(a.wait_op), a.site.file, a.site.line, a.id / 32, a.mask);
        else
            std::fprintf(stderr, "  threads %s wait in %s at %s:%d\n", ranges(ids).c_str(), op_name(a.wait_op),
                         a.site.file, a.site.line);
    }
    std::abort();
}

void run_block(engine &e, unsigned linear)
{
    blockIdx = uint3{linear % gridDim.x, linear / gridDim.x % gridDim.y, linear / gridDim.x / gridDim.y};
    if (!e.smem.empty()) /* unwritten shared memory reads differ between schedules */
        std::memset(e.smem.data(), e.pol == policy::forward   ? 0xA5
                                   : e.pol == policy::reverse ? 0x5A
                                                              : (int)(next_random(e) & 0xFF),
                    e.smem.size() * sizeof(max_align_t));
    for (unsigned t = 0; t < (unsigned)e.n; t++)
        e.fibers[t]->tid = uint3{t % blockDim.x, t / blockDim.x % blockDim.y, t / blockDim.x / blockDim.y};
    e.done = 0;
    e.bar_arrived = 0;
    for (auto &g : e.groups)
        g.clear();
    make_ready(e, e.all.data(), e.n);
    fiber *f = pick(e);
    e.cur = f;
    threadIdx = f->tid;
    e.from_launcher = true;
    swap(e, &e.launcher, f);
    e.cur = nullptr;
    if (e.done != e.n)
        report_deadlock(e);
}

/* Block-wide rendezvous; returns how many threads passed a non-zero pred. */
int barrier(const at &site, op o, int pred)
{
    engine &e = eng;
    fiber &me = current(op_name(o));
    if (e.bar_arrived == 0) {
        e.bar_site = site;
        e.bar_op = o;
        e.bar_count = 0;
    } else if (e.bar_op != o || !same_site(e.bar_site, site)) {
        fail("%s at %s:%d while other threads wait in %s at %s:%d (divergent barrier)", op_name(o), site.file,
             site.line, op_name(e.bar_op), e.bar_site.file, e.bar_site.line);
    }
    me.st = state::barrier;
    me.wait_op = o;
    me.site = site;
    e.bar_count += pred != 0;
    if (++e.bar_arrived == e.n) {
        for (int t = 0; t < e.n; t++)
            e.fibers[t]->out = (uint64_t)e.bar_count;
        e.bar_arrived = 0;
        make_ready(e, e.all.data(), e.n);
    }
    switch_away(e);
    return (int)me.out;
}

/* Results of a complete warp rendezvous, then wake its lanes. */
void complete(engine &e, int warp, const group &g)
{
    fiber *lanes[32];
    unsigned ballot = 0;
    int ids[32], n = 0;
    for (int l = 0; l < 32; l++)
        if (g.mask >> l & 1u) {
            lanes[l] = e.fibers[warp * 32 + l].get();
            ballot |= (unsigned)(lanes[l]->in != 0) << l;
            ids[n++] = warp * 32 + l;
        }
    for (int l = 0; l < 32; l++) {
        if (!(g.mask >> l & 1u))
            continue;
        fiber &f = *lanes[l];
        switch (g.o) {
        case op::ballot: f.out = ballot; break;
        case op::any: f.out = ballot != 0; break;
        case op::all: f.out = ballot == g.mask; break;
        case op::syncwarp: f.out = 0; break;
        default: /* shuffles: a source outside the group or the mask reads the caller's own value */
            f.out = (f.src >= 0 && f.src < 32 && (g.mask >> f.src & 1u)) ? lanes[f.src]->in : f.in;
        }
    }
    make_ready(e, ids, n);
}

} // namespace

uint64_t warp_sync(const at &site, op o, unsigned mask, uint64_t value, int src)
{
    engine &e = eng;
    fiber &me = current(op_name(o));
    int warp = me.id / 32, lane = me.id % 32, lanes = e.n - warp * 32 < 32 ? e.n - warp * 32 : 32;
    unsigned exists = lanes == 32 ? 0xffffffffu : (1u << lanes) - 1u;
    if (!(mask >> lane & 1u))
        fail("%s at %s:%d with mask 0x%08x, which does not name the calling lane %d", op_name(o), site.file,
             site.line, mask, lane);
    if (mask & ~exists)
        fail("%s at %s:%d with mask 0x%08x names lanes that do not exist (warp %d has lanes 0x%08x)", op_name(o),
             site.file, site.line, mask, warp, exists);
    std::vector<group> &gs = e.groups[warp];
    size_t gi = 0;
    while (gi < gs.size() && gs[gi].mask != mask) {
        if (gs[gi].mask & mask)
            fail("%s at %s:%d with mask 0x%08x while lanes 0x%08x wait in %s at %s:%d with mask 0x%08x",
                 op_name(o), site.file, site.line, mask, gs[gi].arrived, op_name(gs[gi].o), gs[gi].site.file,
                 gs[gi].site.line, gs[gi].mask);
        gi++;
    }
    if (gi == gs.size())
        gs.push_back(group{mask, 0, o, site});
    else if (gs[gi].o != o || !same_site(gs[gi].site, site))
        fail("%s at %s:%d while lanes 0x%08x of the same mask wait in %s at %s:%d", op_name(o), site.file,
             site.line, gs[gi].arrived, op_name(gs[gi].o), gs[gi].site.file, gs[gi].site.line);
    me.st = state::warp;
    me.wait_op = o;
    me.site = site;
    me.mask = mask;
    me.in = value;
    me.src = src;
    if ((gs[gi].arrived |= 1u << lane) == mask) {
        group g = gs[gi];
        gs.erase(gs.begin() + (long)gi);
        complete(e, warp, g);
    }
    switch_away(e);
    return me.out;
}

int lane_id() { return current("a warp intrinsic").id % 32; }

int segment_base(const at &site, int lane, int width)
{
    if (width < 1 || width > 32 || (width & (width - 1)))
        fail("shuffle at %s:%d with width %d (must be a power of two <= 32)", site.file, site.line, width);
    return lane & ~(width - 1);
}

void yield()
{
    engine &e = eng;
    if (!e.cur)
        return;
    make_ready(e, &e.cur->id, 1);
    switch_away(e);
}

void *dynamic_shared() { return eng.smem.data(); }

void at::syncthreads() const { barrier(*this, op::sync, 0); }
int at::syncthreads_count(int pred) const { return barrier(*this, op::sync_count, pred); }
int at::syncthreads_and(int pred) const { return barrier(*this, op::sync_and, pred) == eng.n; }
int at::syncthreads_or(int pred) const { return barrier(*this, op::sync_or, pred) != 0; }
void at::syncwarp(unsigned mask) const { warp_sync(*this, op::syncwarp, mask, 0, -1); }
unsigned at::ballot_sync(unsigned mask, int pred) const { return (unsigned)warp_sync(*this, op::ballot, mask, pred != 0, -1); }
int at::any_sync(unsigned mask, int pred) const { return (int)warp_sync(*this, op::any, mask, pred != 0, -1); }
int at::all_sync(unsigned mask, int pred) const { return (int)warp_sync(*this, op::all, mask, pred != 0, -1); }

namespace {
std::atomic<unsigned long long> grids_run{0}; /* what the tests read through simt_grids_run */
} // namespace

void run(dim3 grid, dim3 block, size_t smem, void (*body)(void *), void *arg)
{
    engine &e = eng;
    grids_run.fetch_add(1);
    if (e.cur)
        fail("kernel launch from device code is not supported");
    unsigned long long threads = (unsigned long long)block.x * block.y * block.z;
    unsigned long long blocks = (unsigned long long)grid.x * grid.y * grid.z;
    if (threads == 0 || threads > kMaxThreads || block.z > 64 || blocks == 0 || grid.y > 65535 || grid.z > 65535) {
        e.last_error = cudaErrorInvalidConfiguration;
        return;
    }
    if (smem > kMaxDynamicShared) {
        e.last_error = cudaErrorInvalidValue;
        return;
    }
    if (!grow_pool(e, (int)threads)) {
        e.last_error = cudaErrorMemoryAllocation;
        return;
    }
    parse_schedule(e);
    e.n = (int)threads;
    e.all.resize(threads);
    for (int t = 0; t < e.n; t++)
        e.all[t] = t;
    e.body = body;
    e.arg = arg;
    e.smem.assign((smem + sizeof(max_align_t) - 1) / sizeof(max_align_t), max_align_t{});
    gridDim = grid;
    blockDim = block;
    std::vector<unsigned> order(blocks);
    for (unsigned long long b = 0; b < blocks; b++)
        order[b] = (unsigned)(e.pol == policy::reverse ? blocks - 1 - b : b);
    if (e.pol == policy::random) /* Fisher-Yates */
        for (unsigned long long b = blocks - 1; b > 0; b--)
            std::swap(order[b], order[next_random(e) % (b + 1)]);
    for (unsigned b : order)
        run_block(e, b);
}

} // namespace simt

/* CUDA runtime shims: device memory is host memory; errors are recorded per
 * host thread as the runtime does. */
namespace {
cudaError_t record(cudaError_t err)
{
    if (err != cudaSuccess)
        simt::eng.last_error = err;
    return err;
}
} // namespace

/* Bytes held by every host thread's allocations, against the cap. Each block
 * carries its size in a 256-byte header (device pointers stay 256-aligned). */
namespace {
std::atomic<size_t> memory_held{0}, memory_cap{SIZE_MAX};
constexpr size_t kHeader = 256;
} // namespace

void simt::set_device_memory_cap(size_t bytes) { memory_cap = bytes; }

extern "C" unsigned long long simt_grids_run(void) { return simt::grids_run.load(); }

extern "C" {

/* SIMT_DEVICE_MEMORY_MB, when set, is the largest allocation the emulated
 * device grants: tests use it to exercise the out-of-device-memory paths. */
static size_t device_memory_limit(void)
{
    const char *s = std::getenv("SIMT_DEVICE_MEMORY_MB");
    return s && *s ? (size_t)std::strtoull(s, nullptr, 10) << 20 : SIZE_MAX;
}

cudaError_t cudaMalloc(void **p, size_t size)
{
    if (!p)
        return record(cudaErrorInvalidValue);
    *p = nullptr;
    if (size > device_memory_limit())
        return record(cudaErrorMemoryAllocation);
    const size_t rounded = (size + 255) / 256 * 256;
    if (memory_held.fetch_add(rounded) + rounded > memory_cap.load()) {
        memory_held.fetch_sub(rounded);
        return record(cudaErrorMemoryAllocation);
    }
    char *block = static_cast<char *>(std::aligned_alloc(256, kHeader + rounded));
    if (!block) {
        memory_held.fetch_sub(rounded);
        return record(cudaErrorMemoryAllocation);
    }
    std::memcpy(block, &rounded, sizeof rounded);
    *p = block + kHeader;
    return record(cudaSuccess);
}

cudaError_t cudaFree(void *p)
{
    if (!p)
        return cudaSuccess;
    char *block = static_cast<char *>(p) - kHeader;
    size_t rounded;
    std::memcpy(&rounded, block, sizeof rounded);
    memory_held.fetch_sub(rounded);
    std::free(block);
    return cudaSuccess;
}

/* Stream-ordered allocation: every launch has finished when it returns, so
 * the same as cudaMalloc / cudaFree. */
cudaError_t cudaMallocAsync(void **p, size_t size, cudaStream_t) { return cudaMalloc(p, size); }

cudaError_t cudaFreeAsync(void *p, cudaStream_t) { return cudaFree(p); }

cudaError_t cudaMemcpy(void *dst, const void *src, size_t count, enum cudaMemcpyKind)
{
    if (count)
        std::memmove(dst, src, count);
    return cudaSuccess;
}

cudaError_t cudaMemcpyAsync(void *dst, const void *src, size_t count, enum cudaMemcpyKind kind, cudaStream_t)
{
    return cudaMemcpy(dst, src, count, kind);
}

cudaError_t cudaMemset(void *p, int value, size_t count)
{
    if (count)
        std::memset(p, value, count);
    return cudaSuccess;
}

cudaError_t cudaMemsetAsync(void *p, int value, size_t count, cudaStream_t) { return cudaMemset(p, value, count); }

cudaError_t cudaDeviceSynchronize(void) { return cudaSuccess; }

cudaError_t cudaGetLastError(void)
{
    cudaError_t err = simt::eng.last_error;
    simt::eng.last_error = cudaSuccess;
    return err;
}

cudaError_t cudaPeekAtLastError(void) { return simt::eng.last_error; }

cudaError_t cudaGetDeviceCount(int *count)
{
    *count = 1; /* the emulator */
    return cudaSuccess;
}

const char *cudaGetErrorString(cudaError_t err)
{
    switch (err) {
    case cudaSuccess: return "no error";
    case cudaErrorInvalidValue: return "invalid argument";
    case cudaErrorMemoryAllocation: return "out of memory";
    case cudaErrorInvalidConfiguration: return "invalid configuration argument";
    default: return "unrecognized error code";
    }
}

} // extern "C"
