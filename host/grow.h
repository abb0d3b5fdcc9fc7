/* Growing arrays, for the builders that do not know their output size in
 * advance (mesh.c, convex_hull.c). */
#ifndef RDX_HOST_GROW_H
#define RDX_HOST_GROW_H

#include <stdint.h>
#include <stdlib.h>

/* Makes the array *p of items of size elem (capacity *cap items) hold at
 * least need items, doubling the capacity from 64; 0 when out of memory, the
 * array then left as it was. */
static inline int rdx_grow(void **p, int64_t *cap, int64_t need, size_t elem)
{
    if (need <= *cap)
        return 1;
    int64_t c = *cap ? *cap : 64;
    while (c < need)
        c *= 2;
    void *q = realloc(*p, (size_t)c * elem);
    if (!q)
        return 0;
    *p = q;
    *cap = c;
    return 1;
}

#endif
