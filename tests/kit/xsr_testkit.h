/* SPDX-License-Identifier: MIT */
/*
 * The test kit: what only the tests use, built from the tree as a static
 * library (tests/kit), not installed and not part of libxsr.  Link it before
 * libxsr's static library: it uses the converter's internal Remus codec.
 *
 * The legacy stream generator writes pre-v2 ("legacy") save streams as Xen's
 * old savers did, with hooks for negative tests (extra chunks, marks where
 * each structure starts so tests can cut and corrupt streams there).
 */
#ifndef XSR_TESTKIT_H
#define XSR_TESTKIT_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/convert.h>
#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/wire.h>

struct xsr_legacy_gen_opts {
    unsigned width;          /* toolstack width in bits: 64 (default) or 32 */
    uint32_t guest;          /* XSR_DOM_X86_PV (default) or XSR_DOM_X86_HVM */
    unsigned guest_width;    /* PV guest width in bytes: 8 (default) or 4 */
    uint64_t nr_pages;       /* p2m_size (default 256) */
    unsigned nr_vcpus;       /* online vCPUs (default 1) */
    unsigned max_vcpu_id;    /* >= nr_vcpus - 1 (default nr_vcpus - 1) */
    unsigned batch;          /* entries per batch, 1..1024 (default 1024) */
    bool extv;               /* PV: extended vCPU contexts ("extv") */
    uint32_t xsave_size;     /* PV: xsave bytes per vCPU ("xcnt" - 16); 0 none */
    bool xl_header;          /* an xl header (JSON config) in front */
    bool device_model;       /* HVM: a DeviceModelRecord0002 after the tail */
    uint32_t dm_size;        /* its size (default 4096) */
    bool toolstack;          /* a libxl toolstack chunk (-18): QEMU physmap
                              * entries for HVM, none for PV (as libxl wrote) */
    bool toolstack_pv_entries; /* PV: physmap entries all the same (bogus) */
    bool all_chunks;         /* every chunk type meaningful for the guest type,
                              * twice where allowed */
    bool xtab;               /* XTAB/XALLOC/BROKEN entries, 0xf0000000 fillers */
    bool filler_batch;       /* a batch of 0xf0000000 fillers only (Xen's
                              * converter writes an invalid empty record) */
    bool page_tables;        /* PV: L1..L4 page-table pages, pinned tops */
    bool verify;             /* "enable verify" and every page again */
    unsigned checkpoints;    /* > 1: a Remus stream of that many images */
    bool last_checkpoint;    /* write the "last checkpoint" chunk (plain) */
    bool compress;           /* Remus: enable compression, then compressed
                              * checkpoints (needs checkpoints > 1) */
    bool no_vcpu_info;       /* leave out the vcpu_info chunk (old streams) */
    int32_t extra_chunk;     /* a chunk id to add in the body, 0 none (for
                              * negative tests: tmem, unknown ids...) */
    uint64_t seed;
    /* Called with the name and offset of each structure written (negative
     * tests cut and corrupt streams there); may be NULL. */
    void (*mark)(void *ctx, const char *what, uint64_t offset);
    void *mark_ctx;
};
/* Defaults for width (32/64) and guest type. */
void xsr_legacy_gen_opts_init(struct xsr_legacy_gen_opts *o, unsigned width, uint32_t guest);
int xsr_legacy_gen_write(const struct xsr_legacy_gen_opts *o, struct xsr_chan *out,
                         struct xsr_error *err);
/* The page the generator sends for pfn in image (checkpoint) `image`. */
void xsr_legacy_gen_page(uint64_t seed, uint64_t pfn, unsigned image, uint8_t out[XSR_PAGE_SIZE]);

#endif
