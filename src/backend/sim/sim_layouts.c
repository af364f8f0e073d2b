/* SPDX-License-Identifier: MIT */
/*
 * Where the PV structures the sim fills and compares keep their MFNs:
 * vcpu_guest_context (per guest width, offsets of Xen's public headers, see
 * the table in the format facts) and start_info.  The one place of these
 * offsets in the sim.
 */
#include <string.h>

#include "sim_internal.h"

static const struct sim_vcpu_layout vcpu64 = {
    .size = XSR_PV_VCPU_CTX_SIZE_64, .word = 8, .flags = 512,
    .rip = 520 + 128, .rsp = 520 + 152, .rflags = 520 + 144, .rdx = 520 + 96,
    .kernel_ss = 4968, .kernel_sp = 4976, .gdt_frames = 4832, .gdt_ents = 4960, .ctrlreg = 4984,
};
static const struct sim_vcpu_layout vcpu32 = {
    .size = XSR_PV_VCPU_CTX_SIZE_32, .word = 4, .flags = 512,
    .rip = 516 + 32, .rsp = 516 + 44, .rflags = 516 + 40, .rdx = 516 + 8,
    .kernel_ss = 2708, .kernel_sp = 2712, .gdt_frames = 2640, .gdt_ents = 2704, .ctrlreg = 2716,
};

const struct sim_vcpu_layout *sim_vcpu_layout(unsigned guest_width)
{
    return guest_width == 4 ? &vcpu32 : &vcpu64;
}

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

/* 32-bit guests keep cr3 rotated so that frames above 4 GiB fit (Xen's
 * xen_pfn_to_cr3 / xen_cr3_to_pfn for compat guests). */
uint64_t sim_cr3_to_mfn(uint64_t cr3, unsigned guest_width)
{
    if (guest_width == 4)
        return (uint32_t)((cr3 >> 12) | (cr3 << 20));
    return cr3 >> 12;
}

uint64_t sim_mfn_to_cr3(uint64_t mfn, unsigned guest_width)
{
    if (guest_width == 4)
        return (uint32_t)((mfn << 12) | (mfn >> 20));
    return mfn << 12;
}
