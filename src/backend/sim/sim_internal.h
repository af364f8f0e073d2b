/* SPDX-License-Identifier: MIT */
/*
 * The sim file and the in-process handle.  The file is mapped whole; its
 * header (first page) is a struct in host byte order, validated on open.
 *
 *   page 0           struct sim_hdr
 *   p2m              u64 per pfn: mfn + 1, 0 = no frame
 *   m2p              u64 per mfn: pfn + 1, 0 = free
 *   free             u64 stack of free mfns (shuffled at creation)
 *   pinfo            u8 per pfn: page type (low nibble) | SIM_ROLE_* (high nibble)
 *   p2mlist          u64 per P2M frame: its mfn
 *   state            slots {u32 len, u32 cap, bytes}: per vCPU BASIC, EXTENDED,
 *                    XSAVE, MSRS; then HVM context, CPUID, MSR policy, shared info
 *   frames           nr_frames pages (mfn i at frames + i * 4096)
 *
 * Hypervisor frames (Xen's slots in PV page tables) are numbered from
 * xen_mfn_base = nr_frames up: no guest frame has those numbers.
 */
#ifndef XSR_SIM_INTERNAL_H
#define XSR_SIM_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include <xsr/sim.h>
#include <xsr/vcpu.h>

#define SIM_MAGIC "XSRSIM\r\n"
#define SIM_VERSION 1u
#define SIM_PAGE 4096u
#define SIM_NR_PARAMS 64u
#define SIM_ROLE_DATA 0x00    /* the workload may write it */
#define SIM_ROLE_SPECIAL 0x10 /* P2M, start info, GDT, magic pages: never */
#define SIM_TYPE_MASK 0x0f

/* slot kinds, in order; per-vCPU ones first */
enum sim_slot {
    SIM_SLOT_BASIC, SIM_SLOT_EXT, SIM_SLOT_XSAVE, SIM_SLOT_MSRS, SIM_SLOTS_PER_VCPU,
    SIM_SLOT_HVMCTX = SIM_SLOTS_PER_VCPU, SIM_SLOT_CPUID, SIM_SLOT_MSRPOL, SIM_SLOT_SHINFO,
    SIM_SLOTS_DOMAIN_END
};

/* Xen's own page-table slots */
#define SIM_XEN_L4_FIRST 256u
#define SIM_XEN_L4_LAST 271u
#define SIM_XEN_L2_COMPAT_FIRST 428u /* in the L2 of L3 slot 3, 32-bit guests */

/* paused by a save's suspend: start info names its frames by pfn */
#define SIM_SUSPENDED 2u

struct sim_hdr {
    char magic[8];
    uint32_t version, hdr_size;
    uint32_t sim_type;            /* enum xsr_sim_type */
    uint32_t dom_type, guest_width, pt_levels;
    uint32_t max_vcpus, paused;   /* 0 running, 1 paused, SIM_SUSPENDED */
    uint64_t max_pfn, nr_frames, nr_pages, nr_free;
    uint64_t xen_mfn_base, seed;
    uint64_t off_p2m, off_m2p, off_free, off_pinfo, off_p2mlist, off_state, off_frames;
    uint64_t file_size;
    uint64_t p2mlist_cap, nr_p2m_frames;
    uint32_t slot_cap[SIM_SLOTS_DOMAIN_END]; /* bytes of data per slot kind */
    uint64_t vcpu_stride;         /* bytes of the per-vCPU slots */
    uint64_t start_info_pfn;      /* PV, else UINT64_MAX */
    uint64_t stamp;               /* workload writes so far */
    uint64_t balloon_pages, broken_pages;
    uint32_t tsc_mode, tsc_khz, tsc_incarnation, xen_version; /* major << 16 | minor */
    uint64_t tsc_nsec;
    uint64_t hvm_params[SIM_NR_PARAMS];
};

struct sim_workload;

struct sim_dom {
    struct xsr_domain dom;      /* first: the public handle */
    char *path;                 /* the name it has (or gets on commit) */
    char *tmp_path;             /* NULL once committed / for an opened file */
    int fd;
    uint8_t *base;              /* the mapping */
    uint64_t size;
    struct sim_hdr *h;
    uint64_t *p2m, *m2p, *freel, *p2mlist;
    uint8_t *pinfo, *state, *frames;
    bool destroyed;
    int prefaulted;             /* atomic: frames mapped for 1 reading, 2 writing */
    /* dirty log (process memory) */
    uint64_t *dirty;            /* words, atomic access */
    uint64_t dirty_words;
    int logging;                /* atomic */
    /* pause/run: the workload writes a page only while holding run_lock */
    pthread_mutex_t run_lock;
    bool lock_ok;
    struct sim_workload *wl;
};

static inline struct sim_dom *sim_of(struct xsr_domain *d) { return (struct sim_dom *)d; }
static inline uint8_t *sim_frame(struct sim_dom *s, uint64_t mfn)
{
    return s->frames + mfn * SIM_PAGE;
}
static inline uint64_t sim_p2m(const struct sim_dom *s, uint64_t pfn)
{
    return pfn <= s->h->max_pfn && s->p2m[pfn] ? s->p2m[pfn] - 1 : XSR_INVALID_FRAME;
}
static inline uint64_t sim_m2p(const struct sim_dom *s, uint64_t mfn)
{
    return mfn < s->h->nr_frames && s->m2p[mfn] ? s->m2p[mfn] - 1 : XSR_INVALID_FRAME;
}

/* At least half of the machine frames hold guest pages: only then are all
 * of them mapped in advance.  A domain made bigger than the guest it
 * receives (a restore that cannot tell the guest's size makes one of 4 GiB)
 * must not get every frame of its file allocated. */
static inline bool sim_mostly_used(const struct sim_dom *s)
{
    return (s->h->nr_frames - s->h->nr_free) * 2 >= s->h->nr_frames;
}
static inline unsigned sim_type(const struct sim_dom *s, uint64_t pfn)
{
    return s->pinfo[pfn] & SIM_TYPE_MASK;
}
static inline void sim_set_type(struct sim_dom *s, uint64_t pfn, unsigned t)
{
    s->pinfo[pfn] = (uint8_t)((s->pinfo[pfn] & ~SIM_TYPE_MASK) | (t & SIM_TYPE_MASK));
}
static inline bool sim_is_pv(const struct sim_dom *s) { return s->h->dom_type == XSR_DOM_X86_PV; }
static inline void sim_mark_dirty(struct sim_dom *s, uint64_t pfn)
{
    if (__atomic_load_n(&s->logging, __ATOMIC_ACQUIRE))
        __atomic_fetch_or(&s->dirty[pfn / 64], 1ull << (pfn % 64), __ATOMIC_RELEASE);
}

/* A state slot: len (0 = none), then cap bytes. */
uint8_t *sim_slot(struct sim_dom *s, unsigned kind, uint32_t vcpu, uint32_t **len);

/* sim_file.c */
struct sim_layout_req {
    uint32_t sim_type, dom_type, guest_width, pt_levels, max_vcpus;
    uint64_t max_pfn, nr_frames, seed, frame_seed;
};
/* Create an empty domain file under a temporary name beside path, mapped. */
int sim_file_new(const char *path, const struct sim_layout_req *r, struct sim_dom **out,
                 struct xsr_error *err);
/* Rename the temporary file over its name (flushing the mapping first). */
int sim_file_commit(struct sim_dom *s, struct xsr_error *err);
/* Take a free frame for pfn (zeroed), or XSR_ELIMIT. */
int sim_populate_one(struct sim_dom *s, uint64_t pfn, struct xsr_error *err);
/* Unmap and close; removes an uncommitted (or destroyed) file. */
void sim_file_close(struct sim_dom *s);

/* sim_ops.c */
extern const struct xsr_domain_ops sim_ops;

/* sim_build_pv.c, sim_build_hvm.c: fill a fresh domain */
int sim_build_pv(struct sim_dom *s, const struct xsr_sim_create_opts *o, struct xsr_error *err);
int sim_build_hvm(struct sim_dom *s, const struct xsr_sim_create_opts *o, struct xsr_error *err);
/* shared: CPUID/MSR policies, TSC info (both types) */
void sim_build_platform(struct sim_dom *s);
/* sim_data.c: give every data page seeded contents (a quarter stay zero) */
int sim_fill_data(struct sim_dom *s, struct xsr_error *err);
/* the max pfn of an HVM guest of that many pages of RAM */
uint64_t sim_hvm_max_pfn(uint64_t pages);

/* sim_pt.c: page tables */
#define SIM_PTE_PRESENT 0x1ull
#define SIM_PTE_RW 0x2ull
#define SIM_PTE_USER 0x4ull
#define SIM_PTE_ACCESSED 0x20ull
#define SIM_PTE_DIRTY 0x40ull
#define SIM_PTE_PSE 0x80ull
#define SIM_PTE_GLOBAL 0x100ull
#define SIM_PTE_NX (1ull << 63)
#define SIM_PTE_FRAME 0x000ffffffffff000ull
/* true if slot idx of a table at level lvl is Xen's (the hypervisor fills it) */
bool sim_pt_xen_slot(const struct sim_dom *s, unsigned lvl, unsigned l3slot, unsigned idx);
/* Fill Xen's slots of a pinned top-level table (and, 32-bit, the L2 under L3 slot 3). */
void sim_pt_fill_xen(struct sim_dom *s, uint64_t top_pfn);
/* Type every table reachable from top (level lvl); XSR_EFORMAT on a bad entry. */
int sim_pt_validate(struct sim_dom *s, uint64_t top_pfn, unsigned lvl, struct xsr_error *err);
/* The hypervisor frame of Xen slot i (L4 256+i; compat M2P 428+i) */
static inline uint64_t sim_xen_mfn(const struct sim_dom *s, unsigned i)
{
    return s->h->xen_mfn_base + i;
}

/* A field of a PV vcpu_guest_context as the sim keeps it (little-endian). */
static inline uint64_t sim_vcpu_get(const uint8_t *c, unsigned guest_width, enum xsr_vcpu_field f,
                                    unsigned i)
{
    return xsr_vcpu_get(c, xsr_vcpu_kind_pv(guest_width), f, i, XSR_LITTLE_ENDIAN);
}
static inline void sim_vcpu_put(uint8_t *c, unsigned guest_width, enum xsr_vcpu_field f,
                                unsigned i, uint64_t v)
{
    xsr_vcpu_put(c, xsr_vcpu_kind_pv(guest_width), f, i, v, XSR_LITTLE_ENDIAN);
}
uint64_t sim_ld_word(const uint8_t *p, unsigned word);
void sim_st_word(uint8_t *p, unsigned word, uint64_t v);

/* start info fields (64-bit / 32-bit offsets) that hold MFNs or that a restorer rewrites */
struct sim_start_info_layout { uint32_t nr_pages, shared_info, flags, store_mfn, store_evtchn,
                               console_mfn, console_evtchn, word; };
const struct sim_start_info_layout *sim_start_info_layout(unsigned guest_width);

/* small deterministic PRNG (splitmix64) */
static inline uint64_t sim_rand(uint64_t *st)
{
    uint64_t z = (*st += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

/* sim_workload.c: stop the workload if one runs; the writes it made */
uint64_t sim_workload_stop_all(struct sim_dom *s);
/* A-B stamp of a written page: the same tagged counter in its first and its
 * last word (pages the workload never wrote carry no tag) */
#define SIM_STAMP_END (SIM_PAGE - 8u)
#define SIM_STAMP_TAG 0xab5a000000000000ull
#define SIM_STAMP_MASK 0x0000ffffffffffffull
static inline bool sim_is_stamp(uint64_t w) { return (w & ~SIM_STAMP_MASK) == SIM_STAMP_TAG; }

#endif
