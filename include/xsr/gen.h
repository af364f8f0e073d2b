/* SPDX-License-Identifier: MIT */
/*
 * Stream generator: writes synthetic but fully valid save images (every record
 * type, PV and HVM, versions 2-4, both byte orders, bare libxc or wrapped in
 * libxl / xl, live passes, checkpoints).  Used for golden test vectors, for
 * the demo, and for benchmarks.  Deterministic for a given option set.
 *
 * Records come in the order Xen's saver and toolstack write them (HVM_CONTEXT
 * before HVM_PARAMS; v4: DOMAIN_CONTEXT after the last PAGE_DATA of each
 * checkpoint, holding exactly what the v3 SHARED_INFO and X86_TSC_INFO
 * records of the same options hold).  Structured guest pages (page tables,
 * p2m frames, start_info) use the stream's byte order; ordinary pages are raw
 * bytes from xsr_gen_page_fill, the same in both orders.
 */
#ifndef XSR_GEN_H
#define XSR_GEN_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xsr_gen_opts {
    size_t size;               /* sizeof(struct xsr_gen_opts), set by xsr_gen_opts_init */
    uint32_t version;          /* 2, 3 or 4 */
    uint32_t dom_type;         /* XSR_DOM_X86_PV or XSR_DOM_X86_HVM */
    enum xsr_byte_order order;
    enum xsr_layer wrap;       /* XSR_LAYER_LIBXC, _LIBXL or _XL */
    unsigned guest_width;      /* PV: 8 (default) or 4 */
    uint64_t nr_pages;         /* guest memory in pages (default 256) */
    unsigned nr_vcpus;         /* default 1 */
    unsigned live_passes;      /* extra passes re-sending dirty pages (0) */
    unsigned checkpoints;      /* > 0: a checkpointed (Remus/COLO) stream */
    bool verify_pass;          /* VERIFY record + all pages again */
    bool all_records;          /* every optional extra: X86_PV_VCPU_MSRS,
                                * BROKEN/XALLOC/XTAB pages (live: also a page
                                * ballooned out and a deferred L1 table), HVM
                                * viridian/CPU_MSR entries and ioreq-server
                                * params, the optional record below.  EXTENDED
                                * and XSAVE are always sent (as Xen 4.17 does),
                                * and so are the HVM emulator records when
                                * wrapped in libxl or xl. */
    bool page_tables;          /* PV: real page tables (top level pinned) that
                                * cr3 points at (default true for PV); false:
                                * all pages NOTAB and cr3 0, which frames and
                                * checks but would not restore */
    uint64_t seed;
    /* HVM: a PVH guest, as Xen saves one: an HVM stream without the device
     * model's records (libxl) and without a VGA hole, whose xl domain
     * configuration says "type": "pvh". */
    bool pvh;
};
/* Type of the optional record written with all_records (body of 12 bytes). */
#define XSR_GEN_OPTIONAL_REC_TYPE 0x80000042u

/* Fill with the defaults above for the given version/type (bare libxc,
 * little-endian, seed 0), size included: every xsr_gen_opts starts here.
 * Functions taking options refuse a size they do not know (XSR_EINVAL). */
void xsr_gen_opts_init(struct xsr_gen_opts *o, uint32_t version, uint32_t dom_type);

/* Write the whole image to ch. */
int xsr_gen_write(const struct xsr_gen_opts *o, struct xsr_chan *ch, struct xsr_error *err);

/*
 * Contents the generator gives page pfn in memory pass `pass` (0 = first):
 * deterministic from (seed, pfn, pass), so tests can compare extracted memory
 * against what was generated.  Page-table pages of PV guests are generated
 * differently; use xsr_gen_final_page for the restorable end state.
 */
void xsr_gen_page_fill(uint64_t seed, uint64_t pfn, unsigned pass, uint8_t out[XSR_PAGE_SIZE]);
/*
 * The page a receiver holds for pfn after the whole stream (last copy sent).
 * Returns 1 and fills out if the page carries data, 0 if it is absent
 * (never sent, XTAB, XALLOC, BROKEN; out is zeroed), XSR_EINVAL if the
 * options are invalid.
 */
int xsr_gen_final_page(const struct xsr_gen_opts *o, uint64_t pfn, uint8_t out[XSR_PAGE_SIZE]);
/*
 * The pfn type (XSR_PFN_*) of the last copy of pfn in the stream,
 * XSR_GEN_NOT_SENT if the stream never sends pfn, XSR_EINVAL if the options
 * are invalid.
 */
#define XSR_GEN_NOT_SENT 0x10
int xsr_gen_final_type(const struct xsr_gen_opts *o, uint64_t pfn);

#ifdef __cplusplus
}
#endif
#endif
