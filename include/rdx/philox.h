/* Philox4x32-10 counter-based random numbers (Salmon et al., "Parallel random
 * numbers: as easy as 1, 2, 3", SC 2011; constants and round function as in
 * Random123), and the bootstrap draw built on it.
 *
 * Header-only, static inline, integer arithmetic only, so that the host code
 * and the CUDA kernels produce bit-identical draws. RDX_HOSTDEV marks the
 * functions __host__ __device__ under nvcc and is empty elsewhere. */
#ifndef RDX_PHILOX_H
#define RDX_PHILOX_H

#include <stdint.h>

#include "rdx/hostdev.h"

#ifdef __cplusplus
extern "C" {
#endif

#define RDX_PHILOX_M0 0xD2511F53u
#define RDX_PHILOX_M1 0xCD9E8D57u
#define RDX_PHILOX_W0 0x9E3779B9u /* golden ratio */
#define RDX_PHILOX_W1 0xBB67AE85u /* sqrt(3) - 1 */

typedef struct {
    uint32_t v[4];
} rdx_philox_ctr;

typedef struct {
    uint32_t v[2];
} rdx_philox_key;

static inline RDX_HOSTDEV void rdx_philox_round(rdx_philox_ctr *c, rdx_philox_key k)
{
    uint64_t p0 = (uint64_t)RDX_PHILOX_M0 * c->v[0];
    uint64_t p1 = (uint64_t)RDX_PHILOX_M1 * c->v[2];
    uint32_t hi0 = (uint32_t)(p0 >> 32), lo0 = (uint32_t)p0;
    uint32_t hi1 = (uint32_t)(p1 >> 32), lo1 = (uint32_t)p1;
    rdx_philox_ctr out = {{hi1 ^ c->v[1] ^ k.v[0], lo1, hi0 ^ c->v[3] ^ k.v[1], lo0}};
    *c = out;
}

/* Philox4x32 with 10 rounds: four independent 32-bit words per counter. */
static inline RDX_HOSTDEV rdx_philox_ctr rdx_philox4x32_10(rdx_philox_ctr c, rdx_philox_key k)
{
    for (int r = 0; r < 10; r++) {
        if (r > 0) {
            k.v[0] += RDX_PHILOX_W0;
            k.v[1] += RDX_PHILOX_W1;
        }
        rdx_philox_round(&c, k);
    }
    return c;
}

/* Bootstrap draw i of stratum s in replicate r: a study index in [0, n_s),
 * exactly uniform (n_s >= 1).
 *
 * Word: key = (seed low 32 bits, seed high 32 bits), counter = (r, s, i/4, 0),
 * word i%4 of the output. Mapping: Lemire's multiply-shift, m = x * n_s (64-bit),
 * result m >> 32, with rejection when (uint32)m < 2^32 mod n_s. A rejected word
 * is replaced by word i%4 of counter (r, s, i/4, a) for a = 1, 2, ... (the
 * fourth counter word is reserved for these retries), so every draw depends on
 * (seed, r, s, i) only: any thread or GPU lane computes it alone. */
static inline RDX_HOSTDEV uint32_t rdx_boot_draw(uint64_t seed, uint32_t r, uint32_t s, uint32_t i,
                                                 uint32_t n_s)
{
    rdx_philox_key k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    uint32_t threshold = (uint32_t)(0u - n_s) % n_s; /* 2^32 mod n_s */
    for (uint32_t a = 0;; a++) {
        rdx_philox_ctr c = {{r, s, i >> 2, a}};
        uint32_t x = rdx_philox4x32_10(c, k).v[i & 3u];
        uint64_t m = (uint64_t)x * n_s;
        if ((uint32_t)m >= threshold)
            return (uint32_t)(m >> 32);
    }
}

/* The four draws 4q .. 4q+3 of stratum s in replicate r, identical to
 * rdx_boot_draw for each (one Philox block instead of four). */
static inline RDX_HOSTDEV void rdx_boot_draw4(uint64_t seed, uint32_t r, uint32_t s, uint32_t q,
                                              uint32_t n_s, uint32_t out[4])
{
    rdx_philox_key k = {{(uint32_t)seed, (uint32_t)(seed >> 32)}};
    uint32_t threshold = (uint32_t)(0u - n_s) % n_s;
    rdx_philox_ctr c = {{r, s, q, 0}};
    rdx_philox_ctr w = rdx_philox4x32_10(c, k);
    for (uint32_t j = 0; j < 4; j++) {
        uint64_t m = (uint64_t)w.v[j] * n_s;
        out[j] = (uint32_t)m >= threshold ? (uint32_t)(m >> 32)
                                          : rdx_boot_draw(seed, r, s, 4 * q + j, n_s);
    }
}

#ifdef __cplusplus
}
#endif
#endif
