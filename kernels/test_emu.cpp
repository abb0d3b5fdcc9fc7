/* Tests of the SIMT emulator (kernels/emu): thread indexing, barriers,
 * warp intrinsics, atomics, launch errors, race and deadlock detection.
 * Expected values are hand sums written next to each check. */
#include "emu/simt_emu.h"

#include "common.h"

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "check.h"

namespace {

const char *const kSchedules[] = {"forward", "reverse", "random:1", "random:12345"};

void use_schedule(const char *s) { setenv("SIMT_SCHEDULE", s, 1); }

/* ---- indexing: every (block, thread) of a 3D launch runs once ---- */

__global__ void index_kernel(int *out)
{
    int t = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
    int b = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
    int nt = blockDim.x * blockDim.y * blockDim.z;
    atomicAdd(&out[b * nt + t], 1000 * b + t + 1);
}

void test_indexing()
{
    const int nt = 8 * 4 * 2, nb = 3 * 2 * 2;
    for (const char *s : kSchedules) {
        use_schedule(s);
        std::vector<int> out(nt * nb, 0);
        KLAUNCH(dim3(3, 2, 2), dim3(8, 4, 2), 0, 0, index_kernel)(out.data());
        int bad = 0;
        for (int k = 0; k < nt * nb; k++) /* written once, by thread k % nt of block k / nt */
            bad += out[k] != 1000 * (k / nt) + k % nt + 1;
        CHECK(bad == 0 && cudaGetLastError() == cudaSuccess, "%s: %d slots wrong", s, bad);
    }
}

/* ---- barriers: tree reduction in dynamic shared memory ---- */

__global__ void block_sum_kernel(const int *in, long long *out)
{
    RDX_DYN_SHARED(long long, sh);
    int t = threadIdx.x;
    sh[t] = in[blockIdx.x * blockDim.x + t];
    __syncthreads();
    for (int s = blockDim.x / 2; s > 0; s /= 2) {
        if (t < s)
            sh[t] += sh[t + s];
        __syncthreads();
    }
    if (t == 0)
        out[blockIdx.x] = sh[0];
}

void test_block_reduction()
{
    const int nt = 256, nb = 6;
    std::vector<int> in(nt * nb);
    for (int i = 0; i < nt * nb; i++)
        in[i] = i + 1;
    for (const char *s : kSchedules) {
        use_schedule(s);
        std::vector<long long> out(nb, -1);
        KLAUNCH(nb, nt, nt * sizeof(long long), 0, block_sum_kernel)(in.data(), out.data());
        for (int b = 0; b < nb; b++) /* sum of 256b+1 .. 256b+256 = 128 * (512b + 257) */
            CHECK(out[b] == 128LL * (512 * b + 257), "%s: block %d sum %lld", s, b, out[b]);
    }
}

__global__ void count_kernel(int *out)
{
    int t = threadIdx.x;
    int c = __syncthreads_count(t % 4 == 0);
    int a = __syncthreads_and(t < 1000);
    int o = __syncthreads_or(t == 255);
    int z = __syncthreads_or(0);
    if (t == 0) {
        out[0] = c;
        out[1] = a;
        out[2] = o;
        out[3] = z;
    }
}

void test_barrier_predicates()
{
    use_schedule("reverse");
    int out[4] = {-1, -1, -1, -1};
    KLAUNCH(1, 256, 0, 0, count_kernel)(out);
    CHECK(out[0] == 64, "__syncthreads_count: %d (256 / 4 = 64)", out[0]);
    CHECK(out[1] == 1 && out[2] == 1 && out[3] == 0, "and/or: %d %d %d", out[1], out[2], out[3]);
}

/* ---- warp intrinsics ---- */

__global__ void shuffle_kernel(int *out)
{
    int lane = threadIdx.x % 32, w = threadIdx.x / 32;
    int v = lane + 1 + 100 * w;
    int down = v;
    for (int off = 16; off > 0; off /= 2)
        down += __shfl_down_sync(0xffffffffu, down, off);
    int bfly = v;
    for (int off = 1; off < 32; off *= 2)
        bfly += __shfl_xor_sync(0xffffffffu, bfly, off);
    double bcast = __shfl_sync(0xffffffffu, (double)v, 5);
    int up = __shfl_up_sync(0xffffffffu, v, 1);
    int down8 = __shfl_down_sync(0xffffffffu, v, 4, 8);
    int *o = out + 6 * threadIdx.x;
    o[0] = down;
    o[1] = bfly;
    o[2] = (int)bcast;
    o[3] = up;
    o[4] = down8;
    o[5] = __shfl_sync(0xffffffffu, v, lane + 33); /* srcLane wraps modulo the width */
}

void test_shuffles()
{
    const int nt = 64;
    for (const char *s : kSchedules) {
        use_schedule(s);
        std::vector<int> out(6 * nt, -1);
        KLAUNCH(1, nt, 0, 0, shuffle_kernel)(out.data());
        int bad = 0;
        for (int t = 0; t < nt; t++) {
            int lane = t % 32, base = 100 * (t / 32), v = lane + 1 + base;
            const int *o = &out[6 * t];
            int sum = 528 + 32 * base; /* 1 + 2 + ... + 32 = 528, plus 32 offsets */
            bad += lane == 0 && o[0] != sum;
            bad += o[1] != sum;
            bad += o[2] != 6 + base;                   /* lane 5 holds 6 */
            bad += o[3] != (lane == 0 ? v : v - 1);    /* lane 0 keeps its own */
            bad += o[4] != (lane % 8 < 4 ? v + 4 : v); /* upper half of each 8-group keeps its own */
            bad += o[5] != (lane + 1) % 32 + 1 + base;
        }
        CHECK(bad == 0, "%s: %d shuffle results wrong", s, bad);
    }
}

__global__ void vote_kernel(unsigned *out)
{
    int lane = threadIdx.x % 32;
    unsigned *o = out + 5 * (threadIdx.x / 32);
    unsigned b3 = __ballot_sync(0xffffffffu, lane % 3 == 0);
    int any17 = __any_sync(0xffffffffu, lane == 17);
    int any0 = __any_sync(0xffffffffu, 0);
    int all = __all_sync(0xffffffffu, lane < 32);
    int all5 = __all_sync(0xffffffffu, lane != 5);
    __syncwarp();
    if (lane == 0) {
        o[0] = b3;
        o[1] = (unsigned)any17;
        o[2] = (unsigned)any0;
        o[3] = (unsigned)all;
        o[4] = (unsigned)all5;
    }
}

/* Block of 48 threads: warp 1 has 16 lanes and names only them. */
__global__ void partial_warp_kernel(unsigned *out)
{
    int lane = threadIdx.x % 32;
    unsigned mask = threadIdx.x < 32 ? 0xffffffffu : 0xffffu;
    unsigned b = __ballot_sync(mask, lane % 2 == 0);
    if (lane == 0)
        out[threadIdx.x / 32] = b;
}

void test_votes()
{
    for (const char *s : kSchedules) {
        use_schedule(s);
        unsigned out[10] = {0};
        KLAUNCH(1, 64, 0, 0, vote_kernel)(out);
        for (int w = 0; w < 2; w++) {
            /* bits 0, 3, ..., 30: sum of 8^k, k = 0..10 = (8^11 - 1) / 7 = 0x49249249 */
            CHECK(out[5 * w] == 0x49249249u, "%s: ballot 0x%08x", s, out[5 * w]);
            CHECK(out[5 * w + 1] == 1 && out[5 * w + 2] == 0 && out[5 * w + 3] == 1 && out[5 * w + 4] == 0,
                  "%s: any/all %u %u %u %u", s, out[5 * w + 1], out[5 * w + 2], out[5 * w + 3], out[5 * w + 4]);
        }
        unsigned part[2] = {0, 0};
        KLAUNCH(1, 48, 0, 0, partial_warp_kernel)(part);
        CHECK(part[0] == 0x55555555u && part[1] == 0x5555u, "%s: partial warp ballots 0x%08x 0x%08x", s, part[0],
              part[1]);
    }
}

/* ---- atomics ---- */

struct atomic_results {
    int count;
    int tickets[1024];
    float fsum;
    double dsum;
    unsigned long long usum;
    int imax, imin;
    unsigned umin;
    long long llmax;
    int cas;
    unsigned inc;
    int exch_seen, exch_first;
};

__global__ void atomic_kernel(atomic_results *r)
{
    int g = blockIdx.x * blockDim.x + threadIdx.x;
    r->tickets[atomicAdd(&r->count, 1)] += 1;
    atomicAdd(&r->fsum, 0.5f);
    atomicAdd(&r->dsum, 0.25);
    atomicAdd(&r->usum, 1ull << 33);
    atomicMax(&r->imax, g - 300);
    atomicMin(&r->imin, g - 300);
    atomicMin(&r->umin, 5000u - (unsigned)g);
    atomicMax(&r->llmax, (long long)g << 32);
    int old = r->cas, assumed;
    do {
        assumed = old;
        old = atomicCAS(&r->cas, assumed, assumed + 2);
    } while (old != assumed);
    atomicInc(&r->inc, 9u);
    if (atomicExch(&r->exch_seen, 1) == 0)
        atomicAdd(&r->exch_first, 1);
}

void test_atomics()
{
    for (const char *s : kSchedules) {
        use_schedule(s);
        atomic_results r;
        std::memset(&r, 0, sizeof r);
        r.imax = -1000;
        r.imin = 1000000;
        r.umin = 100000u;
        KLAUNCH(4, 256, 0, 0, atomic_kernel)(&r);
        int bad_tickets = 0;
        for (int i = 0; i < 1024; i++) /* each old value 0..1023 handed out once */
            bad_tickets += r.tickets[i] != 1;
        CHECK(bad_tickets == 0, "%s: %d tickets not handed out exactly once", s, bad_tickets);
        CHECK(r.count == 1024 && r.exch_first == 1, "%s: count %d, first exchanges %d", s, r.count, r.exch_first);
        CHECK(r.fsum == 512.0f && r.dsum == 256.0, "%s: float %g double %g (1024 * 0.5, 1024 * 0.25)", s,
              (double)r.fsum, r.dsum);
        CHECK(r.usum == 1024ull << 33, "%s: ull sum %llu", s, r.usum);
        CHECK(r.imax == 723 && r.imin == -300, "%s: max %d min %d (1023 - 300, 0 - 300)", s, r.imax, r.imin);
        CHECK(r.umin == 5000u - 1023u && r.llmax == 1023LL << 32, "%s: umin %u llmax %lld", s, r.umin, r.llmax);
        CHECK(r.cas == 2048, "%s: CAS loop %d (1024 * 2)", s, r.cas);
        CHECK(r.inc == 4, "%s: atomicInc wrap %u (1024 mod 10)", s, r.inc);
    }
    CHECK(__clz(0) == 32 && __clz(1) == 31 && __popc(0xF0F0u) == 8 && __ffs(8) == 4, "bit intrinsics");
}

/* ---- launch errors and memory shims ---- */

__global__ void noop_kernel() {}

void test_launch_errors()
{
    KLAUNCH(1, 2048, 0, 0, noop_kernel)();
    CHECK(cudaGetLastError() == cudaErrorInvalidConfiguration, "block of 2048 threads accepted");
    CHECK(cudaGetLastError() == cudaSuccess, "last error not reset");
    KLAUNCH(1, 32, 64 * 1024, 0, noop_kernel)();
    CHECK(cudaGetLastError() == cudaErrorInvalidValue, "64 KiB of dynamic shared memory accepted");
    int *d = nullptr, h[4] = {1, 2, 3, 4}, back[4] = {0};
    CHECK(cudaMalloc(&d, sizeof h) == cudaSuccess && d != nullptr, "cudaMalloc");
    CHECK(cudaMemcpy(d, h, sizeof h, cudaMemcpyHostToDevice) == cudaSuccess &&
              cudaMemcpy(back, d, sizeof h, cudaMemcpyDeviceToHost) == cudaSuccess && back[3] == 4,
          "cudaMemcpy round trip");
    CHECK(cudaMemset(d, 0, sizeof h) == cudaSuccess && cudaMemcpy(back, d, sizeof h, cudaMemcpyDefault) == 0 &&
              back[0] == 0 && back[3] == 0,
          "cudaMemset");
    CHECK(cudaFree(d) == cudaSuccess && cudaDeviceSynchronize() == cudaSuccess, "cudaFree");
}

/* ---- races: a missing barrier makes the result depend on the schedule ---- */

__global__ void rotate_kernel(int *out, int with_barrier, int salt)
{
    __shared__ int sh[128];
    int t = threadIdx.x;
    sh[t] = 10 * t + salt;
    if (with_barrier)
        __syncthreads();
    out[t] = sh[(t + 1) % blockDim.x];
}

__global__ void unwritten_shared_kernel(int *out)
{
    RDX_DYN_SHARED(int, sh);
    out[threadIdx.x] = sh[threadIdx.x]; /* never written: undefined */
}

/* Static shared memory keeps its values from launch to launch: a new salt
 * each run keeps stale values from looking right. Returns out - salt. */
std::vector<int> run_rotate(const char *s, int with_barrier)
{
    static int salt = 0;
    salt++;
    use_schedule(s);
    std::vector<int> out(128, -1);
    KLAUNCH(1, 128, 0, 0, rotate_kernel)(out.data(), with_barrier, salt);
    for (int &v : out)
        v -= salt;
    return out;
}

void test_races()
{
    for (const char *s : kSchedules) {
        std::vector<int> out = run_rotate(s, 1);
        int bad = 0;
        for (int t = 0; t < 128; t++)
            bad += out[t] != 10 * ((t + 1) % 128);
        CHECK(bad == 0, "%s: %d wrong values with the barrier", s, bad);
    }
    std::vector<int> fwd = run_rotate("forward", 0), rev = run_rotate("reverse", 0);
    CHECK(fwd != rev, "missing barrier not visible as a forward/reverse difference");
    std::vector<int> a(32), b(32);
    use_schedule("forward");
    KLAUNCH(1, 32, 32 * sizeof(int), 0, unwritten_shared_kernel)(a.data());
    use_schedule("reverse");
    KLAUNCH(1, 32, 32 * sizeof(int), 0, unwritten_shared_kernel)(b.data());
    CHECK(a != b, "read of unwritten dynamic shared memory not visible as a schedule difference");
}

/* ---- stalls and misuse are reported, not hung on: run in a child ---- */

__global__ void partial_barrier_kernel()
{
    if (threadIdx.x < 10)
        __syncthreads();
}

__global__ void divergent_barrier_kernel()
{
    if (threadIdx.x % 2)
        __syncthreads();
    else
        __syncthreads();
}

__global__ void warp_stall_kernel(int *out)
{
    int v = threadIdx.x;
    if (threadIdx.x % 32 != 31)
        v = __shfl_down_sync(0xffffffffu, v, 1);
    out[threadIdx.x] = v;
}

/* Runs f in a child with stderr captured; true when the child aborted and its
 * report contains every one of want. */
bool child_reports(void (*f)(), const std::vector<const char *> &want, std::string *report)
{
    int fds[2];
    if (pipe(fds) != 0)
        return false;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        close(fds[0]);
        alarm(20); /* a hang ends as SIGALRM, which fails the check */
        f();
        _exit(0);
    }
    close(fds[1]);
    char buf[4096];
    ssize_t k;
    while ((k = read(fds[0], buf, sizeof buf)) > 0)
        report->append(buf, (size_t)k);
    close(fds[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    bool ok = WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
    for (const char *w : want)
        ok = ok && report->find(w) != std::string::npos;
    return ok;
}

void test_reports()
{
    struct {
        void (*f)();
        std::vector<const char *> want;
    } cases[] = {
        {[] { KLAUNCH(1, 256, 0, 0, partial_barrier_kernel)(); },
         {"deadlock", "threads 0-9 wait in __syncthreads at", "threads 10-255 have exited"}},
        {[] { KLAUNCH(1, 64, 0, 0, divergent_barrier_kernel)(); }, {"divergent barrier", "__syncthreads"}},
        {[] {
             int out[64];
             KLAUNCH(1, 64, 0, 0, warp_stall_kernel)(out);
         },
         {"deadlock", "threads 0-30 wait in __shfl_down_sync", "warp 0, mask 0xffffffff", "have exited"}},
        {[] {
             use_schedule("sideways");
             KLAUNCH(1, 32, 0, 0, noop_kernel)();
         },
         {"SIMT_SCHEDULE=sideways"}},
    };
    for (auto &c : cases) {
        std::string report;
        CHECK(child_reports(c.f, c.want, &report), "report missing or incomplete:\n%s", report.c_str());
    }
}

/* ---- cost of a barrier: printed, not checked ---- */

__global__ void barrier_loop_kernel(int reps)
{
    for (int i = 0; i < reps; i++)
        __syncthreads();
}

void report_barrier_cost()
{
    use_schedule("forward");
    const int reps = 1000;
    auto t0 = std::chrono::steady_clock::now();
    KLAUNCH(1, 256, 0, 0, barrier_loop_kernel)(reps);
    double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    printf("barrier cost: %.1f us per __syncthreads of a 256-thread block (%.0f ns per thread)\n", 1e6 * s / reps,
           1e9 * s / reps / 256);
}

} // namespace

int main()
{
    test_indexing();
    test_block_reduction();
    test_barrier_predicates();
    test_shuffles();
    test_votes();
    test_atomics();
    test_launch_errors();
    test_races();
    test_reports();
    report_barrier_cost();
    return check_summary("test_emu");
}
