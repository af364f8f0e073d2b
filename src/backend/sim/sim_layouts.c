/* SPDX-License-Identifier: MIT */
/*
 * Where start_info keeps the MFNs the sim fills and compares (per guest
 * width, offsets of Xen's public headers).  vcpu_guest_context offsets come
 * from the wire layer (xsr/vcpu.h).
 */
#include <string.h>

#include "sim_internal.h"

static const struct sim_start_info_layout si64 = {
    .nr_pages = 32, .shared_info = 40, .flags = 48, .store_mfn = 56, .store_evtchn = 64,
    .console_mfn = 72, .console_evtchn = 80, .word = 8,
};
static const struct sim_start_info_layout si32 = {
    .nr_pages = 32, .shared_info = 36, .flags = 40, .store_mfn = 44, .store_evtchn = 48,
    .console_mfn = 52, .console_evtchn = 56, .word = 4,
};

const struct sim_start_info_layout *sim_start_info_layout(unsigned guest_width)
{
    return guest_width == 4 ? &si32 : &si64;
}

uint64_t sim_ld_word(const uint8_t *p, unsigned word)
{
    if (word == 4) {
        uint32_t v;
        memcpy(&v, p, 4);
        return v;
    }
    uint64_t v;
    memcpy(&v, p, 8);
    return v;
}

void sim_st_word(uint8_t *p, unsigned word, uint64_t v)
{
    if (word == 4) {
        uint32_t w = (uint32_t)v;
        memcpy(p, &w, 4);
    } else {
        memcpy(p, &v, 8);
    }
}
