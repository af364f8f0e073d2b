/* SPDX-License-Identifier: MIT */
/* Byte-level helpers that are not worth inlining. */
#include <xsr/wire.h>

bool xsr_all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}
