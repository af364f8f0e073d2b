/* SPDX-License-Identifier: MIT */
/*
 * Generator internals: the guest model behind xsr_gen_write.
 *
 * Everything the generator writes is a pure function of the options, so the
 * final memory of the guest (xsr_gen_final_page) can be computed without
 * generating the stream.  struct xsri_gen holds the options and the guest's
 * page layout derived from them.
 *
 * PV layout (pfn):  0 ordinary page
 *                   1..  p2m frames, start_info, xenstore ring, console ring,
 *                        page tables (64-bit: kernel L4, user L4, L3, L2s, L1s;
 *                        32-bit PAE: L3, L2s, L1s), one GDT frame per vCPU
 *                   pv_end..n-1 ordinary pages
 * HVM layout:       0..hvm_special-1 ordinary pages (pfns 0xa0..0xbf are the
 *                        VGA hole when the guest has at least 256 pages)
 *                   [ioreq server pages], then 8 special pages at the top
 *                        (paging, monitor, sharing rings, bufioreq, xenstore,
 *                        ioreq, identity page table, console)
 * With all_records, a few ordinary pages at the end of the ordinary range are
 * sent as BROKEN, XALLOC and XTAB; in a live stream one more disappears (XTAB
 * in the last live pass) and, for PV, one L1 table is deferred (XTAB in the
 * first pass, data in the last live pass), as Xen's saver does with page
 * tables it could not normalise while the guest ran.
 */
#ifndef XSR_GEN_INTERNAL_H
#define XSR_GEN_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/gen.h>
#include <xsr/stream.h>
#include <xsr/wire.h>

#define XSRI_GEN_NO_PFN UINT64_MAX
#define XSRI_GEN_PAGES_MIN 16u
#define XSRI_GEN_PAGES_MAX (1ULL << 27)      /* 512 GiB of guest memory */
#define XSRI_GEN_LIVE_PASSES_MAX 1000u
#define XSRI_GEN_CHECKPOINTS_MAX 100000u
#define XSRI_GEN_PTES 512u                   /* 8-byte entries per table page */
#define XSRI_GEN_PAE_L2_USED 428u            /* 32-bit: L2 slots below Xen's area */
#define XSRI_GEN_HVM_SPECIALS 8u
#define XSRI_GEN_HVM_IOREQ_SERVER_PAGES 2u
#define XSRI_GEN_VGA_FIRST 0xa0u
#define XSRI_GEN_VGA_END 0xc0u
#define XSRI_GEN_MFN_BASE 0x180000u          /* fake machine frames in the guest p2m */
#define XSRI_GEN_XEN_MAJOR 4u
#define XSRI_GEN_XCR0 7u                     /* x87 | SSE | AVX */
#define XSRI_GEN_XSAVE_SIZE 832u             /* uncompressed XSAVE area for XCR0 7 */

/* HVM special pages, counted down from the top pfn (as Xen's special_pfn()). */
enum xsri_gen_hvm_special {
    XSRI_HVM_CONSOLE = 0, XSRI_HVM_IDENT_PT = 1, XSRI_HVM_IOREQ = 2, XSRI_HVM_STORE = 3,
    XSRI_HVM_BUFIOREQ = 4, XSRI_HVM_SHARING = 5, XSRI_HVM_MONITOR = 6, XSRI_HVM_PAGING = 7,
};

struct xsri_gen {
    struct xsr_gen_opts o;
    bool pv;
    unsigned width;            /* guest word: 8 or 4 (HVM: 8) */
    unsigned levels;           /* PV page-table levels: 4 or 3 */
    uint64_t n;                /* pages */
    unsigned live;             /* live passes after the first */
    unsigned passes;           /* memory passes in total (checkpoints included) */
    uint32_t xen_minor;        /* of the saving Xen 4.x */

    /* PV layout */
    uint64_t fpp;              /* p2m entries per frame */
    uint64_t p2m_first, p2m_count;
    uint64_t start_info, xenstore, console;
    bool pt;                   /* page tables generated */
    uint64_t l4k, l4u;         /* 64-bit kernel / user top-level tables */
    uint64_t l3_first, l3_count;
    uint64_t l2_first, l2_count;
    uint64_t l1_first, l1_count;
    uint64_t mapped;           /* pfns below this are mapped by the L1 tables */
    uint64_t gdt_first;        /* one GDT frame per vCPU */
    uint64_t pv_end;

    /* HVM layout */
    uint64_t hvm_special;      /* first of the XSRI_GEN_HVM_SPECIALS top pages */
    uint64_t ioreq_server;     /* first ioreq server page, or XSRI_GEN_NO_PFN */
    bool vga_hole;

    /* pages without data (all_records) */
    uint64_t broken, xalloc, xtab, late_xtab, deferred;
};

/* gen_opts.c: validate the options and lay the guest out. */
int xsri_gen_setup(struct xsri_gen *g, const struct xsr_gen_opts *o, struct xsr_error *err);
/* First memory pass of checkpoint k (k = 0 for a plain stream) and the passes it has. */
unsigned xsri_gen_ckpt_first_pass(const struct xsri_gen *g, unsigned k);
unsigned xsri_gen_ckpt_passes(const struct xsri_gen *g, unsigned k);

/* gen_plan.c: which pfns a pass sends, with which type and content. */
/* The pfn type sent for pfn in pass, or -1 if the pass does not send it. */
int xsri_gen_sent_type(const struct xsri_gen *g, uint64_t pfn, unsigned pass);
/* The type the verify pass sends (that of the last copy), -1 if never sent. */
int xsri_gen_final_type(const struct xsri_gen *g, uint64_t pfn, unsigned *last_pass);
/* Contents of pfn as sent in pass (only for types that carry data). */
void xsri_gen_content(const struct xsri_gen *g, uint64_t pfn, unsigned pass, uint8_t *out);
/* 64-bit mixing of a few words (splitmix64 finaliser over a running state). */
uint64_t xsri_gen_hash(uint64_t a, uint64_t b, uint64_t c);
/* Fill n bytes (multiple of 8) with a splitmix64 sequence started from state. */
void xsri_gen_random(uint8_t *out, size_t n, uint64_t state);

/* gen_pvmem.c: contents of PV special pages and HVM special pages. */
void xsri_gen_pv_special(const struct xsri_gen *g, uint64_t pfn, uint8_t *out);
bool xsri_gen_is_pv_special(const struct xsri_gen *g, uint64_t pfn);
/* Direct-map virtual address of pfn in the PV guest's kernel. */
uint64_t xsri_gen_pv_va(const struct xsri_gen *g, uint64_t pfn);
uint64_t xsri_gen_pt_pages(const struct xsri_gen *g);
void xsri_gen_hvm_special(const struct xsri_gen *g, uint64_t pfn, uint8_t *out);

/* gen_cpu.c: static data, vCPU and domain state (ckpt = checkpoint index). */
size_t xsri_gen_cpuid_policy(const struct xsri_gen *g, uint8_t *out, size_t cap);
size_t xsri_gen_msr_policy(const struct xsri_gen *g, uint8_t *out, size_t cap);
void xsri_gen_tsc(const struct xsri_gen *g, unsigned ckpt, struct xsr_tsc_info *t);
/* The 4096-byte shared info page (bytes past the struct are zero). */
void xsri_gen_shared_info(const struct xsri_gen *g, unsigned ckpt, uint8_t out[XSR_SHARED_INFO_SIZE]);
/* PV vCPU records: full body (8-byte header + context); returns the body length. */
#define XSRI_GEN_VCPU_BODY_MAX (XSR_VCPU_HDR_SIZE + XSR_PV_VCPU_CTX_SIZE_64)
uint32_t xsri_gen_pv_basic(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out);
uint32_t xsri_gen_pv_extended(const struct xsri_gen *g, unsigned vcpu, uint8_t *out);
uint32_t xsri_gen_pv_xsave(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out);
uint32_t xsri_gen_pv_msrs(const struct xsri_gen *g, unsigned vcpu, uint8_t *out);
/* XSAVE area (XSRI_GEN_XSAVE_SIZE bytes) shared by PV and HVM records. */
void xsri_gen_xsave_area(const struct xsri_gen *g, unsigned vcpu, unsigned ckpt, uint8_t *out);
/* DOMAIN_CONTEXT blob; with out NULL, returns the size only. */
size_t xsri_gen_domain_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap);

/* gen_hvm.c */
/* HVM_CONTEXT blob; with out NULL, returns the size only. */
size_t xsri_gen_hvm_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap);
size_t xsri_gen_hvm_params(const struct xsri_gen *g, uint8_t *out, size_t cap);
#define XSRI_GEN_HVM_PARAMS_MAX 16u
size_t xsri_gen_emu_xenstore(const struct xsri_gen *g, uint8_t *out, size_t cap);
size_t xsri_gen_emu_context(const struct xsri_gen *g, unsigned ckpt, uint8_t *out, size_t cap);

/* gen_memory.c: the PAGE_DATA records of memory passes. */
struct xsri_gen_mem;
struct xsri_gen_mem *xsri_gen_mem_new(const struct xsri_gen *g, struct xsr_error *err);
void xsri_gen_mem_free(struct xsri_gen_mem *m);
/* One memory pass; verify = the pass after a VERIFY record (final contents). */
int xsri_gen_mem_pass(struct xsri_gen_mem *m, struct xsr_builder *b, unsigned pass, bool verify,
                      struct xsr_error *err);

/* gen_xl.c: the xl header's optional data (config length + JSON config). */
size_t xsri_gen_xl_config(const struct xsri_gen *g, uint8_t *out, size_t cap);

#endif
