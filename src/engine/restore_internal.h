/* SPDX-License-Identifier: MIT */
/*
 * The restore's inside: the context shared by the generic restore
 * (restore.c, restore_mem.c, restore_state.c) and its per-guest-type parts
 * (restore_pv.c, restore_hvm.c), chosen through an ops table as Xen's
 * xg_sr_restore*.c do.
 */
#ifndef XSR_ENGINE_RESTORE_INTERNAL_H
#define XSR_ENGINE_RESTORE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/check.h>
#include <xsr/engine.h>

#include "receive/receive.h"

struct xsri_restore;

/* A record kept until the stream is complete (last one wins), with where it
 * was, so that a failure to apply it names it. */
struct xsri_stash {
    uint8_t *body;
    uint32_t len;
    bool set;
    uint64_t offset;
    int64_t index;
    uint32_t type;
};

/* What differs between PV and HVM guests. */
struct xsri_restore_type {
    /* A libxc record of this guest type (stash or note it); 0 if handled,
     * 1 if not this type's. */
    int (*record)(struct xsri_restore *r, const struct xsr_event *ev, struct xsr_error *err);
    /* A page just written to (or, for verify, copied into) page: make it fit
     * the new domain (PV page tables: pfn -> new mfn). */
    int (*localise_page)(struct xsri_restore *r, unsigned type, uint8_t *page,
                         struct xsr_error *err);
    /* Once the stream is complete: what only the whole stream allows (PV: the
     * P2M, pinning, vCPU frames) and the state of this type. */
    int (*complete)(struct xsri_restore *r, struct xsr_error *err);
    void (*free)(struct xsri_restore *r);
};

extern const struct xsri_restore_type xsri_restore_pv, xsri_restore_hvm;

struct xsri_restore {
    struct xsr_restore_opts o;
    struct xsr_restore_result res;
    const struct xsr_domain_factory *f;
    struct xsr_domain *d;           /* NULL until the first page needs it */
    const struct xsri_restore_type *t;
    struct xsri_scan *scan;
    struct xsr_chan *in;
    /* learnt from the stream */
    uint32_t dom_type, version;
    unsigned guest_width, pt_levels;
    bool pv_info;
    uint64_t max_pfn;               /* of the domain to create */
    uint32_t max_vcpus;
    /* the checker's first error, refused before its event is applied */
    bool check_failed;
    struct xsr_error check_err;
    /* the current batch */
    uint64_t pfns[XSR_PAGE_BATCH_MAX];
    void *pages[XSR_PAGE_BATCH_MAX];
    int errs[XSR_PAGE_BATCH_MAX];
    void *map_handle;
    bool mapped;
    uint32_t cursor;                /* next data page of the batch */
    uint8_t scratch[XSR_PAGE_SIZE]; /* a verify copy being localised */
    /* state applied at the end (last wins) */
    struct xsri_stash shared_info, tsc_info, domain_context, cpuid, msr;
    void *type_priv;
    uint64_t t0_ns, next_progress;
};

/* Monotonic time in ns. */
uint64_t xsri_restore_now_ns(void);

/* Keep a copy of a record's body in st (replacing what it held). */
int xsri_stash_set(struct xsri_stash *st, const struct xsr_event *ev, struct xsr_error *err);
void xsri_stash_free(struct xsri_stash *st);
/* Locate err at the stashed record. */
void xsri_stash_locate(const struct xsri_stash *st, struct xsr_error *err);

/* Create the domain if it is not yet (at the first page or at the end). */
int xsri_restore_domain(struct xsri_restore *r, struct xsr_error *err);

/* The sink's page callbacks (restore_mem.c). */
int xsri_restore_batch(void *ctx, struct xsri_scan *s, const struct xsri_batch *b,
                       struct xsr_error *err);
int xsri_restore_page(void *ctx, struct xsri_scan *s, const struct xsri_page *pg,
                      struct xsr_error *err);
int xsri_restore_record_end(void *ctx, struct xsri_scan *s, struct xsr_error *err);
void xsri_restore_unmap(struct xsri_restore *r);

/* The state both guest types share (restore_state.c): CPU policies, TSC,
 * shared info, the domain context. */
int xsri_restore_common_record(struct xsri_restore *r, const struct xsr_event *ev,
                               struct xsr_error *err);
int xsri_restore_common_state(struct xsri_restore *r, struct xsr_error *err);

/* Look ahead through a mapped input for the domain's size (restore_size.c). */
void xsri_restore_size(struct xsri_restore *r);

#endif
