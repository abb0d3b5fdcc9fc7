/* Neighbour directions of the texture families (IBSI 3.6 ff.): the 13
 * directions of the 26-neighbourhood in 3D, one of each opposite pair, and
 * the 4 of the 8-neighbourhood in an axial slice. The in-plane directions
 * come first, so rdx_dir[0 .. RDX_N_DIR_2D-1] are the 2D set and every 2D
 * direction is also a 3D one. Vectors are (dx, dy, dz) with x fastest in
 * memory; the out-of-plane ones all point to z + 1. */
#ifndef RDX_HOST_DIRECTIONS_H
#define RDX_HOST_DIRECTIONS_H

#include <stdint.h>

#define RDX_N_DIR_3D 13
#define RDX_N_DIR_2D 4

static const int rdx_dir[RDX_N_DIR_3D][3] = {
    {1, 0, 0}, {0, 1, 0},  {1, 1, 0},  {1, -1, 0},                /* in-plane */
    {0, 0, 1}, {1, 0, 1},  {-1, 0, 1}, {0, 1, 1},  {0, -1, 1},    /* edge neighbours in slice z + 1 */
    {1, 1, 1}, {1, -1, 1}, {-1, 1, 1}, {-1, -1, 1}};              /* corner neighbours in slice z + 1 */

/* 1 when (x, y, z) lies inside a box of dimensions dim. */
static inline int rdx_box_contains(const int64_t dim[3], int64_t x, int64_t y, int64_t z)
{
    return x >= 0 && y >= 0 && z >= 0 && x < dim[0] && y < dim[1] && z < dim[2];
}

/* Linear index offset of the step d * u in a box of dimensions dim. */
static inline int64_t rdx_dir_offset(const int64_t dim[3], const int u[3], int d)
{
    return (int64_t)d * (u[0] + dim[0] * (u[1] + dim[1] * (int64_t)u[2]));
}

#endif
