/* SPDX-License-Identifier: MIT */
/*
 * The back-end contract: what the save/restore engine needs from a
 * hypervisor, as a table of operations on an opaque domain handle.
 *
 * The operations are shaped as libxenctrl / libxenforeignmemory offer them
 * (xc_domain_getinfo, xenforeignmemory_map, xc_domain_populate_physmap_exact,
 * xc_get_pfn_type_batch, the P2M/M2P tables, MMUEXT_PIN_Lx_TABLE,
 * xc_shadow_control(LOGDIRTY), xc_domain_{pause,unpause,destroy},
 * xc_vcpu_{get,set}context and friends, xc_domain_hvm_{get,set}context,
 * xc_hvm_param_{get,set}, xc_{get,set}_cpu_policy, xc_domain_{get,set}_tsc_info,
 * the shared-info page, the domain-context domctl), so that a real Xen back end
 * implements the same table without any change to the engine.  The simulated
 * back end (xsr/sim.h) implements it over a memory-mapped file.
 *
 * Conventions for every operation:
 * - The first argument is the domain handle; the last one a struct xsr_error
 *   (may be NULL) filled on failure.  Operations return 0 or a negative
 *   XSR_E* code: XSR_EUNSUP when it does not apply to the domain's type (a PV
 *   operation on an HVM domain), XSR_EINVAL for bad arguments, XSR_ELIMIT when
 *   a pfn, vCPU or size is outside the domain, XSR_EFAULT when the hypervisor
 *   refused.
 * - PFNs are guest frame numbers; MFNs machine frame numbers.  For an HVM
 *   domain only PFNs exist (PV-only operations return XSR_EUNSUP).
 * - Blobs (vCPU contexts, HVM context, policies, shared info, domain context)
 *   have exactly the layout of the corresponding stream record body (without
 *   the record's own headers), little-endian as x86 keeps them.  PV blobs
 *   hold MFNs, as the hypervisor gives them: normalising MFN->PFN for the
 *   stream and back on restore is the engine's job, as it is a toolstack's.
 * - A blob getter with buf == NULL stores the size in *len and succeeds;
 *   otherwise XSR_ELIMIT if cap is too small.  *len == 0: nothing to send.
 * - Batch operations accept at least XSR_PAGE_BATCH_MAX (1024) frames.
 * - A handle is used by one thread at a time.
 */
#ifndef XSR_DOMAIN_H
#define XSR_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

struct xsr_domain;

/* ------------------------------------------------------------- domain info */

#define XSR_INVALID_FRAME UINT64_MAX /* "no frame" in pfn<->mfn translations */

/* Filled by get_info.  Like every structure a caller allocates, it starts with
 * its size (set by XSR_DOMAIN_INFO_INIT); members are only ever appended, and a
 * back end fills no more than the caller's size. */
struct xsr_domain_info {
    size_t size;              /* sizeof(struct xsr_domain_info): XSR_DOMAIN_INFO_INIT */
    uint32_t type;            /* XSR_DOM_X86_PV or XSR_DOM_X86_HVM (PVH is HVM) */
    uint32_t guest_width;     /* bytes of a guest word: 8, or 4 for a 32-bit PV guest */
    uint32_t pt_levels;       /* PV: 4 (64-bit) or 3 (32-bit PAE); HVM: 0 */
    uint64_t max_pfn;         /* highest pfn the guest may have (p2m size - 1) */
    uint64_t nr_pages;        /* frames currently populated */
    uint64_t max_mfn;         /* PV: highest machine frame (M2P size - 1); HVM: 0 */
    uint32_t max_vcpu_id;     /* vCPUs 0..max_vcpu_id exist */
    uint32_t nr_online_vcpus; /* bits set in vcpu_online */
    uint64_t vcpu_online[XSR_VCPU_MAX / 64]; /* bit v of word v/64: vCPU v online */
    uint32_t xen_major, xen_minor; /* hypervisor version, for the domain header */
    bool paused;
    bool dying;               /* destroyed or being destroyed */
    uint64_t compat_m2p_mfn0; /* 32-bit PV: first frame of the compat M2P, which an L2's
                               * slot 428 maps when slots 428..511 are Xen's; else
                               * XSR_INVALID_FRAME */
};
#define XSR_DOMAIN_INFO_INIT { .size = sizeof(struct xsr_domain_info) }

static inline bool xsr_domain_vcpu_online(const struct xsr_domain_info *i, uint32_t v)
{
    return v < XSR_VCPU_MAX && ((i->vcpu_online[v / 64] >> (v % 64)) & 1u);
}

/* ---------------------------------------------------------- the operations */

/* map_frames protection */
#define XSR_MAP_READ 0x1
#define XSR_MAP_WRITE 0x2

/* vCPU context kinds: the PV vCPU record types, whose bodies they are */
enum xsr_vcpu_ctx_kind {
    XSR_VCPU_BASIC = XSR_REC_X86_PV_VCPU_BASIC,       /* vcpu_guest_context */
    XSR_VCPU_EXTENDED = XSR_REC_X86_PV_VCPU_EXTENDED, /* xen_domctl_ext_vcpucontext */
    XSR_VCPU_XSAVE = XSR_REC_X86_PV_VCPU_XSAVE,       /* xcr0, xcr0_accum, XSAVE image */
    XSR_VCPU_MSRS = XSR_REC_X86_PV_VCPU_MSRS,         /* 16-byte MSR entries */
};

/* CPU policy kinds: the records whose bodies they are */
enum xsr_policy_kind {
    XSR_POLICY_CPUID = XSR_REC_X86_CPUID_POLICY, /* 24-byte xen_cpuid_leaf_t entries */
    XSR_POLICY_MSR = XSR_REC_X86_MSR_POLICY,     /* 16-byte xen_msr_entry_t entries */
};

/* dirty_log flags */
#define XSR_DIRTY_PEEK 0x1  /* report without clearing (Xen's LOGDIRTY PEEK) */
#define XSR_DIRTY_FINAL 0x2 /* the last read while paused (LOGDIRTY_FINAL) */

#define XSR_DOMAIN_OPS_VERSION 1u

struct xsr_domain_ops {
    uint32_t version; /* XSR_DOMAIN_OPS_VERSION */
    uint32_t size;    /* sizeof(struct xsr_domain_ops) the back end was built with */
    const char *name; /* "sim", "xen", ... (for messages) */

    /* --- the domain as a whole */

    /* Fill *info (whose size the caller set) with the domain's shape and state. */
    int (*get_info)(struct xsr_domain *d, struct xsr_domain_info *info, struct xsr_error *err);
    /* Stop the guest's vCPUs; the memory and every state stay as they are until unpause. */
    int (*pause)(struct xsr_domain *d, struct xsr_error *err);
    /* Let the guest run again. */
    int (*unpause)(struct xsr_domain *d, struct xsr_error *err);
    /* Destroy the domain and everything it holds; the handle must still be closed. */
    int (*destroy)(struct xsr_domain *d, struct xsr_error *err);
    /* A domain made by a factory is complete (restore succeeded): keep it.  Until
     * then closing the handle destroys it.  A no-op for an existing domain. */
    int (*commit)(struct xsr_domain *d, struct xsr_error *err);
    /* Release the handle (and the back end's resources for it); d is freed.  NULL allowed. */
    void (*close)(struct xsr_domain *d);

    /* --- guest memory */

    /* Map n frames given by pfn with prot XSR_MAP_READ and/or XSR_MAP_WRITE:
     * pages[i] points to the 4096 bytes of pfns[i], or is NULL with errs[i] < 0
     * when that frame cannot be mapped (a hole or a broken frame: the engine
     * sends XTAB).  *handle is passed to unmap_frames.  Returns < 0 only when the
     * whole call failed (then nothing is mapped). */
    int (*map_frames)(struct xsr_domain *d, int prot, const uint64_t *pfns, uint32_t n,
                      void **pages, int *errs, void **handle, struct xsr_error *err);
    /* Undo one map_frames; the pointers it gave are invalid afterwards.  NULL handle allowed. */
    void (*unmap_frames)(struct xsr_domain *d, void *handle);
    /* Give each pfn a frame (populate_physmap_exact); a pfn that already has one keeps it
     * and its contents.  A new frame reads as zeros. */
    int (*populate)(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, struct xsr_error *err);
    /* Mark pfns broken (their frame is lost; they read as BROKEN in get_page_types). */
    int (*mark_broken)(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, struct xsr_error *err);
    /* Page type of each pfn as the stream's pfn-word type (enum xsr_pfn_type): NOTAB,
     * L1..L4TAB (|PIN), BROKEN, or XTAB for a pfn without a frame. */
    int (*get_page_types)(struct xsr_domain *d, const uint64_t *pfns, uint32_t n,
                          uint32_t *types, struct xsr_error *err);

    /* --- PV machine frames */

    /* Translate pfns to mfns (the guest's P2M); XSR_INVALID_FRAME for a pfn without a frame. */
    int (*pfn_to_mfn)(struct xsr_domain *d, const uint64_t *pfns, uint32_t n, uint64_t *mfns,
                      struct xsr_error *err);
    /* Translate mfns to pfns (the M2P); XSR_INVALID_FRAME for an mfn that is not the
     * guest's (e.g. a hypervisor frame in a Xen-owned slot). */
    int (*mfn_to_pfn)(struct xsr_domain *d, const uint64_t *mfns, uint32_t n, uint64_t *pfns,
                      struct xsr_error *err);
    /* Pin page tables: types[i] is XSR_PFN_L1TAB_PIN..L4TAB_PIN for pfns[i].  The back end
     * validates each table and the tables below it (they take their L1..L3 types). */
    int (*pin_tables)(struct xsr_domain *d, const uint64_t *pfns, const uint32_t *types,
                      uint32_t n, struct xsr_error *err);
    /* The MFNs of the guest frames that hold the guest's P2M array (guest-width entries,
     * pfn -> mfn), as the guest publishes them; *n gets the count (frames == NULL: count only). */
    int (*get_p2m_frames)(struct xsr_domain *d, uint64_t *mfns, size_t cap, size_t *n,
                          struct xsr_error *err);
    /* Tell the domain where its P2M array lives (restore, after writing it there). */
    int (*set_p2m_frames)(struct xsr_domain *d, const uint64_t *mfns, size_t n,
                          struct xsr_error *err);

    /* --- dirty log */

    /* Start logging writes to guest memory (every pfn starts clean). */
    int (*dirty_log_enable)(struct xsr_domain *d, struct xsr_error *err);
    /* OR the pfns written since the last read into bitmap (bit p of word p/64 for pfn p,
     * nbits bits, at least max_pfn + 1) and clear the log unless XSR_DIRTY_PEEK; *count
     * gets the number of dirty pfns (may be NULL). */
    int (*dirty_log_read)(struct xsr_domain *d, unsigned flags, uint64_t *bitmap, uint64_t nbits,
                          uint64_t *count, struct xsr_error *err);
    /* Stop logging. */
    int (*dirty_log_disable)(struct xsr_domain *d, struct xsr_error *err);

    /* --- vCPU state */

    /* Get one vCPU context blob of the given kind (enum xsr_vcpu_ctx_kind), in the layout
     * of that record's context for the guest's width; *len 0 if the vCPU has none. */
    int (*get_vcpu_context)(struct xsr_domain *d, uint32_t vcpu, unsigned kind, uint8_t *buf,
                            size_t cap, size_t *len, struct xsr_error *err);
    /* Set one vCPU context blob; a BASIC context brings the vCPU online. */
    int (*set_vcpu_context)(struct xsr_domain *d, uint32_t vcpu, unsigned kind,
                            const uint8_t *buf, size_t len, struct xsr_error *err);

    /* --- HVM state */

    /* The HVM save image (HVM_CONTEXT body: HEADER, entries, END). */
    int (*get_hvm_context)(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                           struct xsr_error *err);
    /* Load an HVM save image (the hypervisor checks it). */
    int (*set_hvm_context)(struct xsr_domain *d, const uint8_t *buf, size_t len,
                           struct xsr_error *err);
    /* One HVM parameter (HVM_PARAM_* index); 0 when it was never set. */
    int (*get_hvm_param)(struct xsr_domain *d, uint32_t index, uint64_t *value,
                         struct xsr_error *err);
    /* Set one HVM parameter. */
    int (*set_hvm_param)(struct xsr_domain *d, uint32_t index, uint64_t value,
                         struct xsr_error *err);

    /* --- platform state (both types) */

    /* The CPUID or MSR policy (enum xsr_policy_kind) as the record's array of entries. */
    int (*get_cpu_policy)(struct xsr_domain *d, unsigned kind, uint8_t *buf, size_t cap,
                          size_t *len, struct xsr_error *err);
    /* Set the CPUID or MSR policy. */
    int (*set_cpu_policy)(struct xsr_domain *d, unsigned kind, const uint8_t *buf, size_t len,
                          struct xsr_error *err);
    /* The TSC mode, frequency, elapsed time and incarnation (X86_TSC_INFO). */
    int (*get_tsc_info)(struct xsr_domain *d, struct xsr_tsc_info *tsc, struct xsr_error *err);
    /* Set the TSC info. */
    int (*set_tsc_info)(struct xsr_domain *d, const struct xsr_tsc_info *tsc,
                        struct xsr_error *err);
    /* PV: the 4096-byte shared-info page (SHARED_INFO body). */
    int (*get_shared_info)(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                           struct xsr_error *err);
    /* PV: set the shared-info page (the hypervisor keeps only what a guest may set). */
    int (*set_shared_info)(struct xsr_domain *d, const uint8_t *buf, size_t len,
                           struct xsr_error *err);
    /* The v4 domain-context blob (DOMAIN_CONTEXT body, v9 layout): the same state as
     * shared info and TSC info, in one blob. */
    int (*get_domain_context)(struct xsr_domain *d, uint8_t *buf, size_t cap, size_t *len,
                              struct xsr_error *err);
    /* Load a domain-context blob. */
    int (*set_domain_context)(struct xsr_domain *d, const uint8_t *buf, size_t len,
                              struct xsr_error *err);

    /* --- appended: check with XSR_DOMAIN_OPS_HAS */

    /* Stop the guest for the last pass of a save as a PV guest suspends itself
     * (Linux's xen_pre_suspend): besides pausing, its start info then names the
     * xenstore and console frames by pfn, which is what a restorer translates
     * back.  unpause undoes it.  A back end without it is paused instead. */
    int (*suspend)(struct xsr_domain *d, struct xsr_error *err);
};

/* true if ops (of this header's version) provides member: the back end was built
 * with a table that has the field and filled it in. */
#define XSR_DOMAIN_OPS_HAS(ops, member)                                                  \
    ((ops)->version == XSR_DOMAIN_OPS_VERSION &&                                         \
     (ops)->size >= offsetof(struct xsr_domain_ops, member) + sizeof((ops)->member) &&   \
     (ops)->member != NULL)

/* A domain handle.  The back end allocates it (with whatever it needs after it)
 * and frees it in ops->close. */
struct xsr_domain {
    const struct xsr_domain_ops *ops;
    void *priv; /* the back end's */
};

/* ---------------------------------------------------- creating a domain */

/* What a restore knows when it creates the domain it restores into (an options
 * structure: its size first, members only appended). */
struct xsr_domain_config {
    size_t size;          /* sizeof(struct xsr_domain_config): XSR_DOMAIN_CONFIG_INIT */
    uint32_t type;        /* XSR_DOM_X86_PV or XSR_DOM_X86_HVM */
    uint32_t guest_width; /* PV: 8 or 4 (from X86_PV_INFO); HVM: 8 */
    uint32_t pt_levels;   /* PV: 4 or 3; HVM: 0 */
    uint64_t max_pfn;     /* room for pfns 0..max_pfn; populate beyond it: XSR_ELIMIT */
    uint32_t max_vcpus;   /* room for vCPUs 0..max_vcpus-1 (1..XSR_VCPU_MAX) */
};
#define XSR_DOMAIN_CONFIG_INIT { .size = sizeof(struct xsr_domain_config), .guest_width = 8 }

#define XSR_DOMAIN_FACTORY_VERSION 1u

/*
 * Makes new, empty, paused domains (no frames, no vCPU online).  A created
 * domain is kept only once ops->commit succeeds; closing it before destroys it.
 */
struct xsr_domain_factory {
    uint32_t version; /* XSR_DOMAIN_FACTORY_VERSION */
    uint32_t size;    /* sizeof(struct xsr_domain_factory) */
    void *priv;       /* the back end's */
    /* Create a domain of cfg's shape; *out gets its handle. */
    int (*create)(const struct xsr_domain_factory *f, const struct xsr_domain_config *cfg,
                  struct xsr_domain **out, struct xsr_error *err);
    /* Release the factory's resources (not the domains it made).  NULL allowed. */
    void (*release)(struct xsr_domain_factory *f);
};

/* ------------------------------------------------------ inline helpers */

/* XSR_EUNSUP unless d provides the op; keeps call sites short and safe. */
#define XSR_DOMAIN_CALL(d, op, err, ...)                                                 \
    (XSR_DOMAIN_OPS_HAS((d)->ops, op)                                                    \
         ? (d)->ops->op((d), __VA_ARGS__)                                                \
         : xsr_error_set((err), XSR_EUNSUP, "the %s back end has no %s operation",       \
                         (d)->ops->name ? (d)->ops->name : "domain", #op))

static inline int xsr_domain_get_info(struct xsr_domain *d, struct xsr_domain_info *info,
                                      struct xsr_error *err)
{
    return XSR_DOMAIN_CALL(d, get_info, err, info, err);
}
static inline int xsr_domain_pause(struct xsr_domain *d, struct xsr_error *err)
{
    return XSR_DOMAIN_CALL(d, pause, err, err);
}
static inline int xsr_domain_unpause(struct xsr_domain *d, struct xsr_error *err)
{
    return XSR_DOMAIN_CALL(d, unpause, err, err);
}
/* Close a handle; NULL allowed. */
static inline void xsr_domain_close(struct xsr_domain *d)
{
    if (d && d->ops && d->ops->close)
        d->ops->close(d);
}

#ifdef __cplusplus
}
#endif
#endif
