/* SPDX-License-Identifier: MIT */
/*
 * Hand-made libxc streams with exactly known contents, for the analysis
 * tests (the generator makes realistic streams; these make exact ones).
 */
#ifndef XSR_TESTS_INSPECT_MKSTREAM_H
#define XSR_TESTS_INSPECT_MKSTREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/xsr.h>

struct ms;

/* Image header (version 3, order o) and domain header (dom_type). */
struct ms *ms_begin(uint32_t dom_type, enum xsr_byte_order o);
/* A record with an arbitrary body. */
void ms_record(struct ms *m, uint32_t type, const void *body, uint32_t len);
/* A PAGE_DATA record: n pfn words; fill[i] is the byte every data page i is
 * filled with (only entries whose type carries data consume one). */
void ms_pages(struct ms *m, uint32_t n, const uint64_t *words, const uint8_t *fill);
/* An X86_PV_VCPU_BASIC record for a 64-bit guest with rip and rsp set. */
void ms_pv_vcpu(struct ms *m, uint32_t vcpu, uint64_t rip, uint64_t rsp, uint64_t cr3);
/* END, and the finished stream (malloc'd, caller frees). */
uint8_t *ms_end(struct ms *m, size_t *len);

/* A progress callback that records what it was told (ctx: struct
 * ms_progress, zeroed); backwards is set if done ever decreased. */
struct ms_progress {
    unsigned calls;
    uint64_t last;
    int64_t total;
    bool backwards;
    bool bad; /* a report without its size or of another phase */
};
void ms_progress_cb(void *ctx, const struct xsr_progress *r);

/* Fill a 4096-byte page with byte b (the content ms_pages writes). */
void ms_fill(uint8_t *page, uint8_t b);

#endif
