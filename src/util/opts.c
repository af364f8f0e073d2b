/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "util/opts.h"

int xsri_opts_check(size_t size, size_t cur, size_t min, const char *name, struct xsr_error *err)
{
    if (size && size >= min && size <= cur)
        return 0;
    xsr_error_clear(err);
    if (size == 0)
        return xsr_error_set(err, XSR_EINVAL,
                             "the %s structure has size 0: initialise it with its _INIT macro",
                             name);
    if (size < min)
        return xsr_error_set(err, XSR_EINVAL,
                             "the %s structure is %zu bytes, smaller than any layout this "
                             "library knows (%zu bytes at least): initialise it with its _INIT macro",
                             name, size, min);
    return xsr_error_set(err, XSR_EINVAL,
                         "the %s structure is %zu bytes, larger than the %zu bytes this "
                         "library knows: the caller was built against a newer xsr",
                         name, size, cur);
}

int xsri_opts_load(void *out, size_t cur, const void *in, size_t min, const char *name,
                   struct xsr_error *err)
{
    size_t size;

    memset(out, 0, cur);
    if (!in) {
        memcpy(out, &cur, sizeof(cur));
        return 0;
    }
    memcpy(&size, in, sizeof(size));
    int rc = xsri_opts_check(size, cur, min, name, err);
    if (rc < 0)
        return rc;
    memcpy(out, in, size);
    memcpy(out, &cur, sizeof(cur));
    return 0;
}
