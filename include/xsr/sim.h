/* SPDX-License-Identifier: MIT */
/*
 * The simulated back end: a domain kept in a file that is mapped into memory
 * (a header, metadata, the machine frames), opened as a struct xsr_domain.
 * A 1 GiB guest opens at once, and a sender and a receiver process each hold
 * one.  PV guests (64-bit 4-level, 32-bit PAE 3-level) have shuffled machine
 * frames, a P2M array in guest frames, page tables that really map the guest
 * (with Xen's own slots filled), vCPU contexts holding MFNs and ballooned
 * holes; HVM guests have memory with holes, an HVM context and params with
 * the magic pages.  A workload thread writes guest memory while the domain
 * runs, stamping each page so that a torn copy can be told from a
 * consistent one, and feeds the dirty log.
 *
 * A sim file is a host-local object (host byte order, this machine only),
 * not an interchange format; opening one validates every field of it.
 */
#ifndef XSR_SIM_H
#define XSR_SIM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xsr/domain.h>
#include <xsr/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Guest kinds of xsr_sim_create */
enum xsr_sim_type {
    XSR_SIM_PV = 1,   /* 64-bit PV, 4-level page tables */
    XSR_SIM_PV32 = 2, /* 32-bit PV, 3-level PAE page tables */
    XSR_SIM_HVM = 3,  /* HVM (PVH travels as HVM) */
};

#define XSR_SIM_MEMORY_MIN (1u << 20)           /* 1 MiB */
#define XSR_SIM_MEMORY_MAX (64ull << 30)        /* 64 GiB (pv32: 3.8 GiB) */

struct xsr_sim_create_opts {
    size_t size;          /* sizeof(struct xsr_sim_create_opts): XSR_SIM_CREATE_OPTS_INIT */
    enum xsr_sim_type type;
    uint64_t memory;      /* bytes of guest memory (multiple of 4096) */
    uint32_t vcpus;       /* 1..XSR_VCPU_MAX (default 1) */
    uint64_t balloon;     /* bytes ballooned out: pfns without a frame */
    uint32_t broken;      /* frames marked broken */
    uint64_t seed;        /* contents, holes, and the frame shuffle unless frame_seed */
    uint64_t frame_seed;  /* machine-frame shuffle alone; 0: from seed */
};
#define XSR_SIM_CREATE_OPTS_INIT                                                        \
    { .size = sizeof(struct xsr_sim_create_opts), .type = XSR_SIM_PV, .memory = 64u << 20, \
      .vcpus = 1, .seed = 1 }

/* Create a sim domain in path (written under a temporary name, renamed on success). */
int xsr_sim_create(const char *path, const struct xsr_sim_create_opts *o, struct xsr_error *err);

/* Open a sim file as a domain (paused or running as it was left). */
int xsr_sim_open(const char *path, struct xsr_domain **out, struct xsr_error *err);

/*
 * A factory whose domains are sim files at path: each create writes a
 * temporary file beside it, renamed over path by commit; closing an
 * uncommitted domain (or destroying it) removes it.  release frees f's state.
 */
int xsr_sim_factory(const char *path, struct xsr_domain_factory *f, struct xsr_error *err);

/* true if d is a sim domain */
bool xsr_sim_is(const struct xsr_domain *d);

/* ---------------------------------------------------------------- workload */

enum xsr_sim_pattern {
    XSR_SIM_UNIFORM = 0, /* any data page */
    XSR_SIM_HOT = 1,     /* a hot set of hot_pct % of the data pages */
    XSR_SIM_SWEEP = 2,   /* data pages in order, wrapping around */
};

struct xsr_sim_workload {
    size_t size;            /* sizeof(struct xsr_sim_workload): XSR_SIM_WORKLOAD_INIT */
    uint64_t rate;          /* page writes per second; 0: as fast as it can */
    enum xsr_sim_pattern pattern;
    uint32_t hot_pct;       /* 1..100, for XSR_SIM_HOT */
    uint32_t pt_every;      /* PV: every n-th write rewrites a page-table entry; 0 never */
};
#define XSR_SIM_WORKLOAD_INIT                                                           \
    { .size = sizeof(struct xsr_sim_workload), .rate = 10000, .pattern = XSR_SIM_UNIFORM, \
      .hot_pct = 10, .pt_every = 64 }

/*
 * Parse a workload spec: comma-separated items, "uniform", "hot[:PCT]",
 * "sweep", "rate=N[K|M]" (pages/s, or "max"), "pt=N" (0: no page-table
 * writes).  E.g. "hot:5,rate=20K".  Unset items keep w's values.
 */
int xsr_sim_workload_parse(const char *spec, struct xsr_sim_workload *w, struct xsr_error *err);

/* Start the workload thread on d (it runs while d is not paused). */
int xsr_sim_workload_start(struct xsr_domain *d, const struct xsr_sim_workload *w,
                           struct xsr_error *err);
/* Stop it (also done by close); *writes gets the page writes it made (may be NULL). */
int xsr_sim_workload_stop(struct xsr_domain *d, uint64_t *writes, struct xsr_error *err);

/* ------------------------------------------------------- inspection, checks */

struct xsr_sim_summary {
    size_t size;               /* sizeof(struct xsr_sim_summary): XSR_SIM_SUMMARY_INIT */
    enum xsr_sim_type type;
    uint64_t max_pfn, nr_pages, nr_frames, balloon_pages, broken_pages;
    uint64_t pt_pages[5];      /* [1..4] page tables per level */
    uint64_t p2m_frames;
    uint32_t max_vcpus, online_vcpus;
    uint64_t stamp;            /* writes the workloads made so far */
    uint64_t seed;
    bool paused;
};
#define XSR_SIM_SUMMARY_INIT { .size = sizeof(struct xsr_sim_summary) }
int xsr_sim_summary(struct xsr_domain *d, struct xsr_sim_summary *s, struct xsr_error *err);
/* Print the summary and the state blobs' sizes as `xsr sim show` does. */
int xsr_sim_show(struct xsr_domain *d, FILE *out, struct xsr_error *err);

/*
 * Walk the PV page tables from every pinned top-level table through the
 * M2P: every populated pfn must be mapped by a present L1 entry, every
 * present entry must point to a guest frame (or be a Xen-owned slot), the
 * Xen slots must hold hypervisor frames.  *unmapped gets the populated pfns
 * no entry maps.  XSR_EFORMAT (with the first problem) otherwise.
 */
int xsr_sim_check_tables(struct xsr_domain *d, uint64_t *unmapped, struct xsr_error *err);

/* Count data pages whose A-B stamps disagree (a torn copy); *first_torn gets the
 * first such pfn (UINT64_MAX if none). */
int xsr_sim_check_stamps(struct xsr_domain *d, uint64_t *torn, uint64_t *first_torn,
                         struct xsr_error *err);

/*
 * Compare two sim domains: memory byte-exact by pfn, page types, the P2M (by
 * pfn, modulo MFN numbering), vCPU, HVM and platform state, page tables and
 * MFN-holding fields modulo MFN translation.  Describes up to max_report
 * differences on out (NULL: none); *ndiff gets how many there are.
 * Returns 0 (even when they differ) or <0 on failure.
 */
int xsr_sim_diff(struct xsr_domain *a, struct xsr_domain *b, FILE *out, unsigned max_report,
                 uint64_t *ndiff, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
