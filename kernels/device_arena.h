/* Device buffers of one kernels.h call, freed together when the call
 * returns, and typed copies back to the host. Shared by the .cu files of
 * both builds (nvcc and the SIMT emulator). */
#ifndef RDX_KERNELS_DEVICE_ARENA_H
#define RDX_KERNELS_DEVICE_ARENA_H

#include "common.h"

#include <vector>

namespace rdx_dev {

class device_arena {
  public:
    device_arena() = default;
    device_arena(const device_arena &) = delete;
    device_arena &operator=(const device_arena &) = delete;
    ~device_arena()
    {
        for (void *p : ptrs_)
            rdx_dev_free(p);
    }

    template <class T> cudaError_t alloc(T **p, size_t count)
    {
        void *raw = nullptr;
        cudaError_t err = rdx_dev_malloc(&raw, (count ? count : 1) * sizeof(T));
        if (err == cudaSuccess)
            ptrs_.push_back(raw);
        *p = static_cast<T *>(raw);
        return err;
    }

    template <class T> cudaError_t upload(const T **p, const T *src, size_t count)
    {
        T *d = nullptr;
        cudaError_t err = alloc(&d, count);
        if (err == cudaSuccess && count)
            err = cudaMemcpy(d, src, count * sizeof(T), cudaMemcpyHostToDevice);
        *p = d;
        return err;
    }

  private:
    std::vector<void *> ptrs_;
};

template <class T> cudaError_t download(T *dst, const T *src, size_t count)
{
    return count ? cudaMemcpy(dst, src, count * sizeof(T), cudaMemcpyDeviceToHost) : cudaSuccess;
}

} // namespace rdx_dev

#endif
