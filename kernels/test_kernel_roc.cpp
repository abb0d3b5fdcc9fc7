/* The ROC kernels (kernels/roc.cu) against the CPU reference, under several
 * SIMT schedules: bootstrap replicate AUCs and operating points, DeLong
 * placements, products of placements (kernels/roc_delong.cu) and covariance,
 * and feature screening must be identical to the
 * CPU's (bit for bit). Independent references: replicate U2 recomputed by
 * brute force over all positive/negative pairs from rdx_boot_draw (one draw at
 * a time, not the group walk), and pROC 1.19's DeLong values for aSAH
 * (datasets/roc/README.md).
 *
 * Built twice: against the emulator (test_kernel_roc) and against the GPU
 * (test_kernel_roc_cuda, which exits 77 = skipped without a device). */
#include "kernels.h"

#include <cmath>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

#include "test_support.h"
#include "rdx/philox.h"
#include "rdx/roc.h"
extern "C" {
#include "table_csv.h" /* a C header without its own linkage block */
}

#ifndef RDX_TEST_NAME
#define RDX_TEST_NAME "test_kernel_roc"
#endif

namespace {

struct study_set {
    std::vector<uint8_t> label;
    std::vector<std::vector<double>> scores; /* one vector per column */
};

bool load_asah(const std::string &root, study_set *s)
{
    rdx_csv t;
    rdx_error err;
    if (rdx_csv_read((root + "/datasets/roc/aSAH.csv").c_str(), &t, &err) != RDX_OK) {
        CHECK(false, "aSAH: %s", err.msg);
        return false;
    }
    size_t c_out, c[3];
    bool ok = rdx_csv_column(&t, "outcome", &c_out, &err) == RDX_OK &&
              rdx_csv_column(&t, "s100b", &c[0], &err) == RDX_OK &&
              rdx_csv_column(&t, "ndka", &c[1], &err) == RDX_OK && rdx_csv_column(&t, "wfns", &c[2], &err) == RDX_OK;
    s->scores.assign(3, std::vector<double>(t.n_rows));
    for (size_t r = 0; ok && r < t.n_rows; r++) {
        s->label.push_back(strcmp(rdx_csv_cell(&t, r, c_out), "Poor") == 0);
        for (int j = 0; ok && j < 3; j++)
            ok = rdx_csv_number(&t, r, c[j], &s->scores[j][r], &err) == RDX_OK;
    }
    rdx_csv_free(&t);
    CHECK(ok, "aSAH columns: %s", err.msg);
    return ok;
}

/* n studies, k columns of scores on `levels` distinct values (many ties);
 * with nan_every > 0, every nan_every-th score of columns 1.. is NaN. */
study_set random_set(size_t n, size_t k, unsigned levels, size_t nan_every, uint64_t seed)
{
    study_set s;
    for (size_t i = 0; i < n; i++)
        s.label.push_back(splitmix64(&seed) % 3 == 0);
    s.label[0] = 1;
    s.label[1] = 0;
    s.scores.assign(k, std::vector<double>(n));
    for (size_t j = 0; j < k; j++)
        for (size_t i = 0; i < n; i++)
            s.scores[j][i] = (j > 0 && nan_every && (i + j) % nan_every == 0)
                                 ? NAN
                                 : (double)(splitmix64(&seed) % levels) * 0.25 + 0.1 * s.label[i] * (double)j;
    return s;
}

struct columns {
    std::vector<rdx_roc_column> c;
    columns(const study_set &s, rdx_roc_direction dir)
    {
        for (const std::vector<double> &x : s.scores) {
            rdx_roc_column col;
            rdx_error err;
            if (rdx_roc_column_init(&col, x.data(), s.label.data(), s.label.size(), dir, RDX_NAN_SKIP, &err)) {
                fprintf(stderr, "column: %s\n", err.msg);
                exit(2);
            }
            c.push_back(col);
        }
    }
    ~columns()
    {
        for (rdx_roc_column &col : c)
            rdx_roc_column_free(&col);
    }
};

bool same_bits(const double *a, const double *b, size_t n, size_t *first)
{
    for (*first = 0; *first < n; ++*first)
        if (memcmp(&a[*first], &b[*first], sizeof(double)) != 0)
            return false;
    return true;
}

/* 2U of replicate r by brute force over pairs, from single draws. */
uint64_t brute_u2(const study_set &s, size_t j, const rdx_boot_design &d, uint32_t r, uint64_t *nn, uint64_t *np)
{
    const size_t n = s.label.size();
    std::vector<uint64_t> w(n, 0);
    const uint32_t *members = d.members;
    for (uint32_t st = 0; st < d.n_strata; st++) {
        for (uint32_t i = 0; i < d.size[st]; i++)
            w[members[rdx_boot_draw(d.seed, r, st, i, d.size[st])]]++;
        members += d.size[st];
    }
    const std::vector<double> &x = s.scores[j];
    uint64_t u2 = 0;
    *nn = *np = 0;
    for (size_t a = 0; a < n; a++) {
        if (std::isnan(x[a]))
            continue;
        (s.label[a] ? *np : *nn) += w[a];
        if (!s.label[a])
            continue;
        for (size_t b = 0; b < n; b++)
            if (!s.label[b] && !std::isnan(x[b]))
                u2 += w[a] * w[b] * (x[a] > x[b] ? 2 : x[a] == x[b] ? 1 : 0);
    }
    return u2;
}

/* Replicate AUCs on the device equal the CPU's, and the integers of a few
 * replicates (from r0 = 5 on) equal the brute-force ones. */
void check_boot_auc(const char *what, const study_set &s, int stratified, size_t n_boot)
{
    columns cols(s, RDX_ROC_HIGHER);
    const size_t k = cols.c.size();
    rdx_boot_design d;
    rdx_error err;
    if (rdx_boot_design_init(&d, s.label.data(), s.label.size(), stratified, 7, &err)) {
        CHECK(false, "%s: design: %s", what, err.msg);
        return;
    }
    std::vector<double> cpu(k * n_boot), dev(k * n_boot);
    CHECK(rdx_boot_auc(cols.c.data(), k, &d, n_boot, cpu.data(), &err) == RDX_OK, "%s: CPU: %s", what, err.msg);
    for (const char *sched : kSchedules) {
        set_schedule(sched);
        rdx_boot_design on = d;
        on.device = RDX_DEVICE_CUDA;
        std::fill(dev.begin(), dev.end(), -1.0);
        CHECK(rdx_boot_auc(cols.c.data(), k, &on, n_boot, dev.data(), &err) == RDX_OK, "%s, %s: %s", what, sched,
              err.msg);
        size_t at;
        CHECK(same_bits(cpu.data(), dev.data(), k * n_boot, &at), "%s, %s: replicate %zu of column %zu: device %.17g, CPU %.17g",
              what, sched, at % n_boot, at / n_boot, at < dev.size() ? dev[at] : 0.0, at < cpu.size() ? cpu[at] : 0.0);
    }
    const uint32_t r0 = 5, nr = 3;
    std::vector<uint64_t> u2(k * nr), nn(k * nr), np(k * nr);
    int code = rdx_cuda_roc_boot_auc(cols.c.data(), k, &d, r0, nr, u2.data(), nn.data(), np.data());
    CHECK(code == 0, "%s: %s", what, rdx_cuda_error_string(code));
    for (size_t j = 0; j < k; j++)
        for (uint32_t r = 0; r < nr; r++) {
            uint64_t bn, bp, b = brute_u2(s, j, d, r0 + r, &bn, &bp);
            size_t e = j * nr + r;
            CHECK(u2[e] == b && nn[e] == bn && np[e] == bp,
                  "%s: column %zu replicate %u: device U2 %llu (%llu neg, %llu pos), pairs %llu (%llu, %llu)", what,
                  j, r0 + r, (unsigned long long)u2[e], (unsigned long long)nn[e], (unsigned long long)np[e],
                  (unsigned long long)b, (unsigned long long)bn, (unsigned long long)bp);
        }
    rdx_boot_design_free(&d);
}

bool same_point(const rdx_operating_point &a, const rdx_operating_point &b)
{
    return a.found == b.found && memcmp(&a.threshold, &b.threshold, sizeof(double)) == 0 && a.table.tp == b.table.tp &&
           a.table.fn == b.table.fn && a.table.fp == b.table.fp && a.table.tn == b.table.tn;
}

void check_boot_points(const char *what, const study_set &s, size_t n_boot, rdx_roc_direction dir)
{
    columns cols(s, dir);
    rdx_boot_design d;
    rdx_error err;
    rdx_boot_design_init(&d, s.label.data(), s.label.size(), 1, 3, &err);
    const rdx_thr_spec specs[] = {{RDX_THR_YOUDEN, 0, 0, 0},
                                  {RDX_THR_MAX_NPV, 0.5, 0, 0},
                                  {RDX_THR_MAX_PPV, 0, 0.3, 0},
                                  {RDX_THR_FIXED, 0, 0, 0.5}};
    const size_t ns = sizeof specs / sizeof specs[0];
    for (size_t j = 0; j < cols.c.size(); j++) {
        std::vector<rdx_operating_point> cpu(ns * n_boot), dev(ns * n_boot);
        CHECK(rdx_boot_operating_points(&cols.c[j], specs, ns, &d, n_boot, cpu.data(), &err) == RDX_OK, "%s: %s",
              what, err.msg);
        for (const char *sched : {"forward", "reverse"}) {
            set_schedule(sched);
            rdx_boot_design on = d;
            on.device = RDX_DEVICE_CUDA;
            memset(dev.data(), 0xff, dev.size() * sizeof dev[0]);
            CHECK(rdx_boot_operating_points(&cols.c[j], specs, ns, &on, n_boot, dev.data(), &err) == RDX_OK,
                  "%s, %s: %s", what, sched, err.msg);
            size_t e = 0;
            while (e < cpu.size() && same_point(cpu[e], dev[e]))
                e++;
            CHECK(e == cpu.size(), "%s, %s, column %zu: rule %zu replicate %zu differs", what, sched, j, e / n_boot,
                  e % n_boot);
        }
    }
    rdx_boot_design_free(&d);
}

void check_delong_asah(const study_set &s)
{
    columns cols(s, RDX_ROC_HIGHER);
    rdx_delong cpu, dev;
    rdx_error err;
    CHECK(rdx_delong_compute_on(cols.c.data(), 3, RDX_DEVICE_CPU, &cpu, &err) == RDX_OK, "CPU: %s", err.msg);
    for (const char *sched : {"forward", "reverse"}) {
        set_schedule(sched);
        CHECK(rdx_delong_compute_on(cols.c.data(), 3, RDX_DEVICE_CUDA, &dev, &err) == RDX_OK, "device: %s", err.msg);
        size_t at;
        CHECK(same_bits(cpu.auc, dev.auc, 3, &at), "aSAH %s: AUC %zu differs", sched, at);
        CHECK(same_bits(cpu.cov, dev.cov, 9, &at), "aSAH %s: covariance %zu: device %.17g, CPU %.17g", sched, at,
              at < 9 ? dev.cov[at] : 0.0, at < 9 ? cpu.cov[at] : 0.0);
        /* pROC 1.19 (datasets/roc/README.md): var ndka, cov ndka,s100b, cov s100b,wfns. */
        CHECK(std::fabs(dev.cov[4] - 0.0031908105493913) <= 1e-12 * 0.0031908105493913, "var ndka %.17g", dev.cov[4]);
        CHECK(std::fabs(dev.cov[3] + 0.000756164938056579) <= 1e-12 * 0.000756164938056579, "cov ndka,s100b %.17g",
              dev.cov[3]);
        CHECK(std::fabs(dev.cov[2] - 0.00119615567376754) <= 1e-12 * 0.00119615567376754, "cov s100b,wfns %.17g",
              dev.cov[2]);
        CHECK(std::fabs(dev.auc[2] - 0.82367886178861793) <= 1e-15, "AUC wfns %.17g", dev.auc[2]);
        rdx_delong_free(&dev);
    }
    rdx_delong_free(&cpu);
}

/* Placements of columns with skipped studies, and a larger DeLong matrix. */
void check_placements(const study_set &s)
{
    columns cols(s, RDX_ROC_LOWER);
    const size_t k = cols.c.size(), n = s.label.size();
    std::vector<uint64_t> cpu(k * n), dev(k * n, 99);
    for (size_t j = 0; j < k; j++)
        rdx_roc_placements(&cols.c[j], cpu.data() + j * n);
    int code = rdx_cuda_roc_placements(cols.c.data(), k, dev.data());
    CHECK(code == 0, "placements: %s", rdx_cuda_error_string(code));
    size_t e = 0;
    while (e < cpu.size() && cpu[e] == dev[e])
        e++;
    CHECK(e == cpu.size(), "placement %zu of column %zu: device %llu, CPU %llu", e % n, e / n,
          e < dev.size() ? (unsigned long long)dev[e] : 0ull, e < cpu.size() ? (unsigned long long)cpu[e] : 0ull);
}

void check_delong_random(const study_set &s)
{
    columns cols(s, RDX_ROC_HIGHER);
    const size_t k = cols.c.size();
    rdx_delong cpu, dev;
    rdx_error err;
    CHECK(rdx_delong_compute_on(cols.c.data(), k, RDX_DEVICE_CPU, &cpu, &err) == RDX_OK, "CPU: %s", err.msg);
    CHECK(rdx_delong_compute_on(cols.c.data(), k, RDX_DEVICE_CUDA, &dev, &err) == RDX_OK, "device: %s", err.msg);
    size_t at;
    CHECK(same_bits(cpu.cov, dev.cov, k * k, &at), "random %zu columns: covariance %zu differs", k, at);
    CHECK(same_bits(cpu.auc, dev.auc, k, &at), "random %zu columns: AUC %zu differs", k, at);
    rdx_delong_free(&cpu);
    rdx_delong_free(&dev);
}

/* rdx_cuda_roc_place_products against sums of products written here, on
 * random placement matrices: below 2^53 (the cuBLAS DGEMM, emulated here),
 * above it (the integer kernel), with an empty class, and a class whose sums
 * could reach 2^64 (refused; the host computes those). Integers: identical. */
void check_place_products()
{
    struct shape {
        size_t k, m, n_pos;
        uint64_t max_p;
    };
    const shape shapes[] = {{3, 200, 90, 220}, {17, 64, 1, 1000}, {5, 40, 40, 80}, {4, 37, 0, 74},
                            {6, 50, 20, (uint64_t)1 << 28}, {2, 9, 3, (uint64_t)1 << 30}};
    uint64_t seed = 77;
    for (const shape &sh : shapes) {
        std::vector<uint64_t> p(sh.k * sh.m), c10(sh.k * sh.k), c01(sh.k * sh.k);
        for (auto &v : p)
            v = splitmix64(&seed) % (sh.max_p + 1);
        for (size_t a = 0; a < sh.k; a++)
            for (size_t b = 0; b < sh.k; b++)
                for (size_t i = 0; i < sh.m; i++)
                    (i < sh.n_pos ? c10 : c01)[a * sh.k + b] += p[a * sh.m + i] * p[b * sh.m + i];
        for (const char *sched : {"forward", "random:3"}) {
            set_schedule(sched);
            std::vector<uint64_t> d10(sh.k * sh.k, 1), d01(sh.k * sh.k, 1);
            int code = rdx_cuda_roc_place_products(p.data(), sh.k, sh.m, sh.n_pos, d10.data(), d01.data());
            CHECK(code == 0 && d10 == c10 && d01 == c01, "%zu x %zu placements up to %llu, %s: %s, %s", sh.k, sh.m,
                  (unsigned long long)sh.max_p, sched, rdx_cuda_error_string(code),
                  d10 == c10 ? "p10 equal, p01 differs" : "p10 differs");
        }
    }
    /* 4 negatives of placement 2^31: sums up to 2^64 (the 4 positives are small). */
    std::vector<uint64_t> big(2 * 8, 3), out(4);
    for (size_t a = 0; a < 2; a++)
        for (size_t i = 4; i < 8; i++)
            big[a * 8 + i] = (uint64_t)1 << 31;
    CHECK(rdx_cuda_roc_place_products(big.data(), 2, 8, 4, out.data(), out.data()) != 0,
          "device: sums of 2^64 accepted");
}

void check_screen(const study_set &s, size_t n_boot)
{
    const size_t n = s.label.size(), nf = s.scores.size();
    std::vector<double> x(n * nf);
    for (size_t i = 0; i < n; i++)
        for (size_t f = 0; f < nf; f++)
            x[i * nf + f] = s.scores[f][i];
    rdx_boot_design d;
    rdx_error err;
    rdx_boot_design_init(&d, s.label.data(), n, 1, 9, &err);
    std::vector<rdx_screen_row> cpu(nf), dev(nf);
    CHECK(rdx_screen_on(x.data(), n, nf, s.label.data(), RDX_ROC_HIGHER, 0.95, &d, n_boot, RDX_DEVICE_CPU, cpu.data(),
                        &err) == RDX_OK,
          "screen CPU: %s", err.msg);
    for (const char *sched : {"forward", "random:5"}) {
        set_schedule(sched);
        memset(dev.data(), 0, dev.size() * sizeof dev[0]);
        CHECK(rdx_screen_on(x.data(), n, nf, s.label.data(), RDX_ROC_HIGHER, 0.95, &d, n_boot, RDX_DEVICE_CUDA,
                            dev.data(), &err) == RDX_OK,
              "screen device: %s", err.msg);
        /* Rows hold no padding-sensitive bytes beyond what memset cleared; compare fields. */
        size_t f = 0;
        for (; f < nf; f++) {
            const rdx_screen_row &a = cpu[f], &b = dev[f];
            const double av[] = {a.auc, a.variance, a.ci[0], a.ci[1], a.z, a.p, a.q, a.boot_ci[0], a.boot_ci[1]};
            const double bv[] = {b.auc, b.variance, b.ci[0], b.ci[1], b.z, b.p, b.q, b.boot_ci[0], b.boot_ci[1]};
            size_t at;
            if (a.feature != b.feature || a.n_pos != b.n_pos || a.n_neg != b.n_neg || !same_bits(av, bv, 9, &at))
                break;
        }
        CHECK(f == nf, "screening, %s: row %zu differs", sched, f);
    }
    rdx_boot_design_free(&d);
}

void check_errors(const study_set &s)
{
    columns cols(s, RDX_ROC_HIGHER);
    rdx_boot_design d;
    rdx_error err;
    rdx_boot_design_init(&d, s.label.data(), s.label.size() - 1, 1, 1, &err); /* one study short */
    uint64_t a[4], b[4], c[4];
    CHECK(rdx_cuda_roc_boot_auc(cols.c.data(), 1, &d, 0, 1, a, b, c) != 0, "column and design sizes differ");
    CHECK(rdx_cuda_roc_boot_auc(cols.c.data(), 1, nullptr, 0, 1, a, b, c) != 0, "null design accepted");
    CHECK(rdx_cuda_roc_placements(cols.c.data(), 1, nullptr) != 0, "null output accepted");
    rdx_boot_design_free(&d);
}

} // namespace

int main()
{
    return run_kernel_test(RDX_TEST_NAME, [] {
        study_set asah;
        if (load_asah(source_dir(), &asah)) {
            check_boot_auc("aSAH stratified", asah, 1, 200);
            check_boot_auc("aSAH plain", asah, 0, 64);
            check_boot_points("aSAH", asah, 64, RDX_ROC_HIGHER);
            check_delong_asah(asah);
        }
        /* Ties and NaN-skipped studies (columns of different sizes). */
        study_set ties = random_set(150, 4, 9, 7, 42);
        check_boot_auc("random ties", ties, 1, 96);
        check_boot_auc("random ties plain", ties, 0, 64);
        check_boot_points("random ties, lower", ties, 48, RDX_ROC_LOWER);
        check_placements(ties);
        check_screen(ties, 64);
        check_delong_random(random_set(120, 12, 40, 0, 4));
        check_place_products();
        /* 2000 studies: counts in global scratch instead of shared memory. */
        check_boot_auc("2000 studies", random_set(2000, 2, 300, 0, 8), 1, 16);
        check_errors(ties);
    });
}
