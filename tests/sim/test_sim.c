/* SPDX-License-Identifier: MIT */
/*
 * The simulated back end through the public contract: what it creates for
 * each guest type is what a saver must deal with (shuffled frames, page
 * tables that map the guest, Xen's slots, MFNs in vCPU state), the dirty log
 * and the workload behave as a live save needs, and sim diff tells real
 * differences from machine-frame renumbering.
 */
#include <xsr/xsr.h>

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

static char dir[64];

static const char *tmp(const char *name)
{
    static char p[4][128];
    static unsigned i;
    char *r = p[i++ % 4];
    snprintf(r, 128, "%s/%s", dir, name);
    return r;
}

static int setup(void **state)
{
    (void)state;
    /* memory-backed when possible: a disk would write the guests back */
    struct stat st;
    strcpy(dir, stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm/xsr-sim-test-XXXXXX"
                                                                  : "/tmp/xsr-sim-test-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static struct xsr_domain *make(const char *name, enum xsr_sim_type t, uint64_t mem, uint32_t vcpus,
                               uint64_t balloon, uint64_t frame_seed)
{
    struct xsr_sim_create_opts o = XSR_SIM_CREATE_OPTS_INIT;
    struct xsr_error err;
    struct xsr_domain *d = NULL;
    o.type = t;
    o.memory = mem;
    o.vcpus = vcpus;
    o.balloon = balloon;
    o.broken = 1;
    o.frame_seed = frame_seed;
    int rc = xsr_sim_create(tmp(name), &o, &err);
    if (rc)
        fail_msg("create %s: %s", name, err.message);
    rc = xsr_sim_open(tmp(name), &d, &err);
    if (rc)
        fail_msg("open %s: %s", name, err.message);
    return d;
}

static void nap_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    nanosleep(&t, NULL);
}

static uint64_t find_type(struct xsr_domain *d, uint64_t max_pfn, unsigned type)
{
    for (uint64_t pfn = 0; pfn <= max_pfn; pfn++) {
        uint32_t t;
        assert_int_equal(d->ops->get_page_types(d, &pfn, 1, &t, NULL), 0);
        if (t == type)
            return pfn;
    }
    fail_msg("no page of type %s", xsr_pfn_type_name(type));
    return 0;
}

static uint8_t *map1(struct xsr_domain *d, uint64_t pfn, int prot)
{
    void *page;
    int e;
    assert_int_equal(d->ops->map_frames(d, prot, &pfn, 1, &page, &e, NULL, NULL), 0);
    assert_int_equal(e, 0);
    return page;
}

/* Shape, frames, holes, page tables, Xen's slots, P2M frames, vCPU MFNs. */
static void check_pv(enum xsr_sim_type type)
{
    struct xsr_domain *d = make(type == XSR_SIM_PV ? "pv.sim" : "pv32.sim", type, 32u << 20, 2, 2u << 20, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;
    unsigned w = type == XSR_SIM_PV ? 8 : 4, levels = type == XSR_SIM_PV ? 4 : 3;
    assert_int_equal(xsr_domain_get_info(d, &i, &err), 0);
    assert_int_equal(i.type, XSR_DOM_X86_PV);
    assert_int_equal(i.guest_width, w);
    assert_int_equal(i.pt_levels, levels);
    assert_int_equal(i.max_pfn, (32u << 20) / 4096 - 1);
    assert_int_equal(i.nr_pages, (30u << 20) / 4096);
    assert_int_equal(i.nr_online_vcpus, 2);
    assert_true(i.paused);

    /* machine numbers are shuffled; holes and the broken frame are not mappable */
    uint64_t moved = 0, holes = 0, broken = 0;
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++) {
        uint64_t mfn, back;
        uint32_t t;
        void *page;
        int e;
        assert_int_equal(d->ops->pfn_to_mfn(d, &pfn, 1, &mfn, &err), 0);
        assert_int_equal(d->ops->get_page_types(d, &pfn, 1, &t, &err), 0);
        assert_int_equal(d->ops->map_frames(d, XSR_MAP_READ, &pfn, 1, &page, &e, NULL, &err), 0);
        if (mfn == XSR_INVALID_FRAME) {
            holes++;
            assert_int_equal(t, XSR_PFN_XTAB);
            assert_null(page);
            assert_true(e < 0);
            continue;
        }
        assert_true(mfn <= i.max_mfn);
        assert_int_equal(d->ops->mfn_to_pfn(d, &mfn, 1, &back, &err), 0);
        assert_int_equal(back, pfn);
        moved += mfn != pfn;
        if (t == XSR_PFN_BROKEN) {
            broken++;
            assert_null(page);
        } else {
            assert_non_null(page);
        }
    }
    assert_int_equal(holes, 512);
    assert_int_equal(broken, 1);
    assert_true(moved > i.nr_pages * 9 / 10);

    /* the page tables map every populated pfn, and Xen's slots are filled */
    uint64_t unmapped = 1;
    if (xsr_sim_check_tables(d, &unmapped, &err))
        fail_msg("%s", err.message);
    assert_int_equal(unmapped, 0);
    uint64_t top = find_type(d, i.max_pfn, levels + 8);
    const uint64_t *t = (const uint64_t *)map1(d, top, XSR_MAP_READ);
    uint64_t xen[16], pfns[16];
    unsigned nxen = 0;
    if (levels == 4) {
        for (unsigned s = 256; s <= 271; s++)
            xen[nxen++] = (t[s] & 0x000ffffffffff000ull) >> 12;
    } else {
        uint64_t l2mfn = (t[3] & 0x000ffffffffff000ull) >> 12, l2pfn;
        assert_int_equal(d->ops->mfn_to_pfn(d, &l2mfn, 1, &l2pfn, &err), 0);
        const uint64_t *l2 = (const uint64_t *)map1(d, l2pfn, XSR_MAP_READ);
        assert_int_equal((l2[428] & 0x000ffffffffff000ull) >> 12, i.compat_m2p_mfn0);
        for (unsigned s = 428; s < 444; s++)
            xen[nxen++] = (l2[s] & 0x000ffffffffff000ull) >> 12;
    }
    assert_int_equal(d->ops->mfn_to_pfn(d, xen, nxen, pfns, &err), 0);
    for (unsigned k = 0; k < nxen; k++) {
        assert_true(xen[k] > i.max_mfn);
        assert_int_equal(pfns[k], XSR_INVALID_FRAME);
    }

    /* the walk notices a pfn no entry maps, and an entry that maps a foreign frame */
    uint64_t l1 = find_type(d, i.max_pfn, XSR_PFN_L1TAB);
    uint64_t *l1t = (uint64_t *)map1(d, l1, XSR_MAP_WRITE), keep = l1t[77];
    assert_true(keep & 1);
    l1t[77] = 0;
    assert_int_equal(xsr_sim_check_tables(d, &unmapped, &err), 0);
    assert_int_equal(unmapped, 1);
    l1t[77] = (keep & ~0x000ffffffffff000ull) | (i.max_mfn + 1) << 12;
    assert_int_equal(xsr_sim_check_tables(d, &unmapped, &err), XSR_EFORMAT);
    assert_non_null(strstr(err.message, "not a frame of the guest"));
    l1t[77] = keep;
    /* pinning a table that maps a foreign frame is refused, as Xen refuses it */
    uint64_t l1b = find_type(d, i.max_pfn, XSR_PFN_L1TAB) + 1, keepb;
    uint64_t *l1bt = (uint64_t *)map1(d, l1b, XSR_MAP_WRITE);
    keepb = l1bt[3];
    l1bt[3] = (keepb & ~0x000ffffffffff000ull) | (i.max_mfn + 5) << 12 | 1;
    uint32_t pin1 = XSR_PFN_L1TAB_PIN;
    assert_int_equal(d->ops->pin_tables(d, &l1b, &pin1, 1, &err), XSR_EFAULT);
    l1bt[3] = keepb;

    /* the P2M frames hold pfn -> mfn in guest-width entries */
    size_t n;
    assert_int_equal(d->ops->get_p2m_frames(d, NULL, 0, &n, &err), 0);
    assert_int_equal(n, (i.max_pfn + 1 + 4096 / w - 1) / (4096 / w));
    uint64_t *mfns = calloc(n, 8);
    assert_int_equal(d->ops->get_p2m_frames(d, mfns, n, &n, &err), 0);
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn += 97) {
        uint64_t fpfn, mfn, want;
        assert_int_equal(d->ops->mfn_to_pfn(d, &mfns[pfn / (4096 / w)], 1, &fpfn, &err), 0);
        const uint8_t *f = map1(d, fpfn, XSR_MAP_READ);
        uint64_t v = 0;
        memcpy(&v, f + (pfn % (4096 / w)) * w, w);
        assert_int_equal(d->ops->pfn_to_mfn(d, &pfn, 1, &want, &err), 0);
        mfn = (w == 4 && v == UINT32_MAX) ? XSR_INVALID_FRAME : v;
        assert_int_equal(mfn, want);
    }
    free(mfns);

    /* vCPU 0: cr3 names the pinned top table, rdx the start-info frame */
    uint8_t ctx[5168];
    size_t len;
    assert_int_equal(d->ops->get_vcpu_context(d, 0, XSR_VCPU_BASIC, ctx, sizeof ctx, &len, &err), 0);
    assert_int_equal(len, w == 8 ? XSR_PV_VCPU_CTX_SIZE_64 : XSR_PV_VCPU_CTX_SIZE_32);
    struct xsr_pv_vcpu_regs r;
    assert_int_equal(xsr_pv_vcpu_regs_decode(ctx, (uint32_t)len, w, XSR_LITTLE_ENDIAN, &r, &err), 0);
    uint64_t cr3mfn = w == 8 ? r.cr3 >> 12 : (uint32_t)((r.cr3 >> 12) | (r.cr3 << 20)), cr3pfn;
    assert_int_equal(d->ops->mfn_to_pfn(d, &cr3mfn, 1, &cr3pfn, &err), 0);
    assert_int_equal(cr3pfn, top);
    uint64_t sipfn;
    assert_int_equal(d->ops->mfn_to_pfn(d, &r.rdx, 1, &sipfn, &err), 0);
    assert_int_not_equal(sipfn, XSR_INVALID_FRAME);
    assert_memory_equal(map1(d, sipfn, XSR_MAP_READ), w == 8 ? "xen-3.0-x86_64" : "xen-3.0-x86_32p", 14);

    /* the shared info and the v4 domain context carry the same state */
    uint8_t dc[8192];
    assert_int_equal(d->ops->get_domain_context(d, dc, sizeof dc, &len, &err), 0);
    struct xsr_domctx_parts parts;
    assert_int_equal(xsr_domctx_split(dc, len, XSR_LITTLE_ENDIAN, &parts, &err), 0);
    assert_true(parts.has_shinfo && parts.has_tsc);
    uint8_t sh[4096];
    assert_int_equal(d->ops->get_shared_info(d, sh, sizeof sh, &len, &err), 0);
    assert_memory_equal(parts.shinfo, sh, parts.shinfo_size);
    assert_int_equal(d->ops->get_hvm_context(d, NULL, 0, &len, &err), XSR_EUNSUP);
    xsr_domain_close(d);
}

static void test_pv64(void **state) { (void)state; check_pv(XSR_SIM_PV); }
static void test_pv32(void **state) { (void)state; check_pv(XSR_SIM_PV32); }

static void test_hvm(void **state)
{
    (void)state;
    struct xsr_domain *d = make("hvm.sim", XSR_SIM_HVM, 16u << 20, 3, 1u << 20, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;
    assert_int_equal(xsr_domain_get_info(d, &i, &err), 0);
    assert_int_equal(i.type, XSR_DOM_X86_HVM);
    assert_int_equal(i.nr_online_vcpus, 3);
    assert_int_equal(i.nr_pages, 4096 - 256 + 8);
    struct xsr_domain_info newer = XSR_DOMAIN_INFO_INIT;
    newer.size += 8; /* a layout from a newer header */
    assert_int_equal(xsr_domain_get_info(d, &newer, &err), XSR_EINVAL);
    /* the VGA hole and the balloon are holes; the magic pages exist */
    uint64_t vga = 0xa0, store;
    uint32_t t;
    assert_int_equal(d->ops->get_page_types(d, &vga, 1, &t, &err), 0);
    assert_int_equal(t, XSR_PFN_XTAB);
    assert_int_equal(d->ops->get_hvm_param(d, 1, &store, &err), 0);
    assert_int_equal(store, 0xfeffc);
    assert_memory_equal(map1(d, store, XSR_MAP_READ), "xenstore ring", 13);
    uint64_t console;
    assert_int_equal(d->ops->get_hvm_param(d, 17, &console, &err), 0);
    assert_int_equal(console, 0xfefff);
    /* the HVM context: HEADER, then per-vCPU CPU entries and the platform devices */
    uint8_t ctx[32768];
    size_t len;
    assert_int_equal(d->ops->get_hvm_context(d, ctx, sizeof ctx, &len, &err), 0);
    struct xsr_hvmctx_iter it;
    struct xsr_hvmctx_entry e;
    unsigned count[XSR_HVMCTX_CODE_MAX + 1] = { 0 };
    xsr_hvmctx_iter_init(&it, ctx, len, XSR_LITTLE_ENDIAN);
    while (xsr_hvmctx_next(&it, &e, &err) == 1) {
        assert_true(e.desc.typecode <= XSR_HVMCTX_CODE_MAX);
        uint32_t fixed = xsr_hvmctx_type_size(e.desc.typecode);
        if (fixed)
            assert_int_equal(e.desc.length, fixed);
        count[e.desc.typecode]++;
    }
    assert_int_equal(count[XSR_HVMCTX_HEADER], 1);
    assert_int_equal(count[XSR_HVMCTX_CPU], 3);
    assert_int_equal(count[XSR_HVMCTX_LAPIC], 3);
    assert_int_equal(count[XSR_HVMCTX_LAPIC_REGS], 3);
    assert_int_equal(count[XSR_HVMCTX_MTRR], 3);
    assert_int_equal(count[XSR_HVMCTX_CPU_XSAVE], 3);
    assert_int_equal(count[XSR_HVMCTX_PIC], 2);
    assert_int_equal(count[XSR_HVMCTX_IOAPIC] + count[XSR_HVMCTX_PIT] + count[XSR_HVMCTX_RTC] +
                         count[XSR_HVMCTX_HPET] + count[XSR_HVMCTX_PMTIMER], 5);
    assert_int_equal(count[XSR_HVMCTX_END], 1);
    uint8_t pol[4096];
    assert_int_equal(d->ops->get_cpu_policy(d, XSR_POLICY_CPUID, pol, sizeof pol, &len, &err), 0);
    assert_true(len > 0 && len % XSR_CPUID_LEAF_SIZE == 0);
    assert_int_equal(d->ops->pfn_to_mfn(d, &store, 1, &store, &err), XSR_EUNSUP);
    assert_int_equal(xsr_sim_check_tables(d, NULL, &err), XSR_EUNSUP);
    xsr_domain_close(d);
}

static uint64_t *bitmap_for(const struct xsr_domain_info *i)
{
    return calloc((i->max_pfn + 64) / 64, 8);
}

static void test_dirty_log(void **state)
{
    (void)state;
    struct xsr_domain *d = make("dirty.sim", XSR_SIM_PV, 16u << 20, 1, 0, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;
    assert_int_equal(xsr_domain_get_info(d, &i, &err), 0);
    uint64_t nbits = i.max_pfn + 1, *bm = bitmap_for(&i), count = 0;
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), XSR_ESTATE);
    assert_int_equal(d->ops->dirty_log_enable(d, &err), 0);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits - 1, &count, &err), XSR_EINVAL);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), 0);
    assert_int_equal(count, 0);

    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    assert_int_equal(xsr_sim_workload_parse("sweep,rate=20K,pt=0", &w, &err), 0);
    assert_int_equal(xsr_domain_unpause(d, &err), 0);
    assert_int_equal(xsr_sim_workload_start(d, &w, &err), 0);
    nap_ms(30);
    assert_int_equal(xsr_domain_pause(d, &err), 0);
    uint64_t peek = 0;
    assert_int_equal(d->ops->dirty_log_read(d, XSR_DIRTY_PEEK, bm, nbits, &peek, &err), 0);
    assert_true(peek > 0);
    memset(bm, 0, (nbits + 63) / 64 * 8);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), 0);
    assert_int_equal(count, peek); /* the peek did not clear */
    uint64_t set = 0;
    for (uint64_t k = 0; k < (nbits + 63) / 64; k++)
        set += (uint64_t)__builtin_popcountll(bm[k]);
    assert_int_equal(set, count);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), 0);
    assert_int_equal(count, 0); /* the read cleared */
    assert_int_equal(d->ops->dirty_log_disable(d, &err), 0);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), XSR_ESTATE);
    free(bm);
    xsr_domain_close(d);
}

/* Every written page carries consistent stamps and is dirty; pause stops the writes. */
static void test_workload(void **state)
{
    (void)state;
    struct xsr_domain *d = make("wl.sim", XSR_SIM_PV, 16u << 20, 1, 0, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;
    assert_int_equal(xsr_domain_get_info(d, &i, &err), 0);
    uint64_t nbits = i.max_pfn + 1, *bm = bitmap_for(&i), count;
    assert_int_equal(d->ops->dirty_log_enable(d, &err), 0);
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    assert_int_equal(xsr_sim_workload_parse("hot:5,rate=max,pt=16", &w, &err), 0);
    assert_int_equal(w.pattern, XSR_SIM_HOT);
    assert_int_equal(w.hot_pct, 5);
    assert_int_equal(w.rate, 0);
    assert_int_equal(xsr_sim_workload_parse("warm", &w, &err), XSR_EINVAL);

    /* paused: the workload waits */
    assert_int_equal(xsr_sim_workload_start(d, &w, &err), 0);
    nap_ms(20);
    struct xsr_sim_summary s0 = XSR_SIM_SUMMARY_INIT, s1 = XSR_SIM_SUMMARY_INIT, s2 = XSR_SIM_SUMMARY_INIT;
    assert_int_equal(xsr_sim_summary(d, &s0, &err), 0);
    assert_int_equal(s0.stamp, 0);

    assert_int_equal(xsr_domain_unpause(d, &err), 0);
    nap_ms(40);
    assert_int_equal(xsr_domain_pause(d, &err), 0);
    assert_int_equal(xsr_sim_summary(d, &s1, &err), 0);
    assert_true(s1.stamp > 100);
    nap_ms(30);
    assert_int_equal(xsr_sim_summary(d, &s2, &err), 0);
    assert_int_equal(s2.stamp, s1.stamp); /* pause stopped it */

    uint64_t torn = 1, first;
    assert_int_equal(xsr_sim_check_stamps(d, &torn, &first, &err), 0);
    assert_int_equal(torn, 0);
    assert_int_equal(first, UINT64_MAX);
    assert_int_equal(d->ops->dirty_log_read(d, 0, bm, nbits, &count, &err), 0);
    assert_true(count > 0);
    /* each stamped page is dirty; some L1 tables were rewritten and are dirty */
    uint64_t stamped = 0, dirty_l1 = 0;
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++) {
        uint32_t t;
        void *page;
        int e;
        assert_int_equal(d->ops->get_page_types(d, &pfn, 1, &t, &err), 0);
        bool dirty = (bm[pfn / 64] >> (pfn % 64)) & 1;
        if (xsr_pfn_type_level(t) == 1 && dirty)
            dirty_l1++;
        if (t != XSR_PFN_NOTAB)
            continue;
        assert_int_equal(d->ops->map_frames(d, XSR_MAP_READ, &pfn, 1, &page, &e, NULL, &err), 0);
        uint64_t a;
        memcpy(&a, page, 8);
        if ((a >> 48) == 0xab5a) {
            stamped++;
            assert_true(dirty);
        }
    }
    assert_true(stamped > 10);
    assert_true(dirty_l1 > 0);
    /* the rewritten tables still map the guest */
    uint64_t unmapped = 1;
    assert_int_equal(xsr_sim_check_tables(d, &unmapped, &err), 0);
    assert_int_equal(unmapped, 0);

    /* a torn page is found */
    uint64_t pfn = find_type(d, i.max_pfn, XSR_PFN_NOTAB) + 40;
    uint8_t *p = map1(d, pfn, XSR_MAP_WRITE);
    uint64_t v = 0xab5a000000000001ull;
    memcpy(p, &v, 8);
    assert_int_equal(xsr_sim_check_stamps(d, &torn, &first, &err), 0);
    assert_int_equal(torn, 1);
    assert_int_equal(first, pfn);
    uint64_t writes = 0;
    assert_int_equal(xsr_sim_workload_stop(d, &writes, &err), 0);
    assert_true(writes >= s1.stamp);
    free(bm);
    xsr_domain_close(d);
}

static uint64_t diff_count(struct xsr_domain *a, struct xsr_domain *b)
{
    uint64_t n = 0;
    struct xsr_error err;
    assert_int_equal(xsr_sim_diff(a, b, NULL, 0, &n, &err), 0);
    return n;
}

static void test_diff(void **state)
{
    (void)state;
    struct xsr_domain *a = make("a.sim", XSR_SIM_PV, 16u << 20, 2, 1u << 20, 0);
    struct xsr_domain *b = make("b.sim", XSR_SIM_PV, 16u << 20, 2, 1u << 20, 1234);
    struct xsr_error err;
    /* different machine numbering, same guest */
    uint64_t pfn = 100, ma, mb;
    assert_int_equal(a->ops->pfn_to_mfn(a, &pfn, 1, &ma, &err), 0);
    assert_int_equal(b->ops->pfn_to_mfn(b, &pfn, 1, &mb, &err), 0);
    assert_int_not_equal(ma, mb);
    assert_int_equal(diff_count(a, b), 0);

    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    assert_int_equal(xsr_domain_get_info(b, &i, &err), 0);
    /* one byte of memory */
    uint64_t data = find_type(b, i.max_pfn, XSR_PFN_NOTAB) + 200;
    uint8_t *p = map1(b, data, XSR_MAP_WRITE);
    p[1234] ^= 1;
    assert_int_equal(diff_count(a, b), 1);
    p[1234] ^= 1;
    assert_int_equal(diff_count(a, b), 0);

    /* a page type: pinning an L1 table */
    uint64_t l1 = find_type(b, i.max_pfn, XSR_PFN_L1TAB);
    uint32_t pin = XSR_PFN_L1TAB_PIN;
    assert_int_equal(b->ops->pin_tables(b, &l1, &pin, 1, &err), 0);
    assert_int_equal(diff_count(a, b), 1);
    char *buf = NULL;
    size_t blen = 0;
    FILE *out = open_memstream(&buf, &blen);
    uint64_t n;
    assert_int_equal(xsr_sim_diff(a, b, out, 5, &n, &err), 0);
    fclose(out);
    assert_non_null(strstr(buf, "page type L1TAB in A, L1TAB|PIN in B"));
    free(buf);
    xsr_domain_close(b);
    b = make("b2.sim", XSR_SIM_PV, 16u << 20, 2, 1u << 20, 1234);
    assert_int_equal(diff_count(a, b), 0);

    /* a vCPU register */
    uint8_t ctx[XSR_PV_VCPU_CTX_SIZE_64];
    size_t len;
    assert_int_equal(b->ops->get_vcpu_context(b, 1, XSR_VCPU_BASIC, ctx, sizeof ctx, &len, &err), 0);
    ctx[520 + 128] ^= 0x10; /* rip */
    assert_int_equal(b->ops->set_vcpu_context(b, 1, XSR_VCPU_BASIC, ctx, len, &err), 0);
    out = open_memstream(&buf, &blen);
    assert_int_equal(xsr_sim_diff(a, b, out, 5, &n, &err), 0);
    fclose(out);
    assert_int_equal(n, 1);
    assert_non_null(strstr(buf, "vCPU 1 BASIC context: differs at offset 0x288"));
    free(buf);

    /* a page-table entry that maps another pfn */
    xsr_domain_close(b);
    b = make("b3.sim", XSR_SIM_PV, 16u << 20, 2, 1u << 20, 1234);
    uint64_t *t = (uint64_t *)map1(b, l1, XSR_MAP_WRITE);
    uint64_t other = 7, omfn;
    assert_int_equal(b->ops->pfn_to_mfn(b, &other, 1, &omfn, &err), 0);
    t[5] = (t[5] & ~0x000ffffffffff000ull) | omfn << 12;
    assert_int_equal(diff_count(a, b), 1);

    /* another guest type */
    struct xsr_domain *h = make("h.sim", XSR_SIM_HVM, 16u << 20, 1, 0, 0);
    assert_int_equal(diff_count(a, h), 1);
    xsr_domain_close(h);
    xsr_domain_close(a);
    xsr_domain_close(b);
}

/* A factory domain is a file only once committed; an HVM guest copied through
 * the contract is equal to its source. */
static void test_factory(void **state)
{
    (void)state;
    struct xsr_domain_factory f;
    struct xsr_error err;
    struct stat st;
    const char *path = tmp("restored.sim");
    assert_int_equal(xsr_sim_factory(path, &f, &err), 0);
    struct xsr_domain_config cfg = XSR_DOMAIN_CONFIG_INIT;
    cfg.type = XSR_DOM_X86_HVM;
    cfg.max_pfn = 0xfffff;
    cfg.max_vcpus = 2;
    struct xsr_domain *d;
    assert_int_equal(f.create(&f, &cfg, &d, &err), 0);
    xsr_domain_close(d);
    assert_int_equal(stat(path, &st), -1); /* never committed: nothing left */

    struct xsr_domain *src = make("src.sim", XSR_SIM_HVM, 8u << 20, 2, 0, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    assert_int_equal(xsr_domain_get_info(src, &i, &err), 0);
    assert_int_equal(f.create(&f, &cfg, &d, &err), 0);
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++) {
        uint32_t t;
        assert_int_equal(src->ops->get_page_types(src, &pfn, 1, &t, &err), 0);
        if (t == XSR_PFN_XTAB)
            continue;
        if (t == XSR_PFN_BROKEN) {
            assert_int_equal(d->ops->mark_broken(d, &pfn, 1, &err), 0);
            continue;
        }
        assert_int_equal(d->ops->populate(d, &pfn, 1, &err), 0);
        memcpy(map1(d, pfn, XSR_MAP_WRITE), map1(src, pfn, XSR_MAP_READ), 4096);
    }
    uint8_t buf[65536];
    size_t len;
    assert_int_equal(src->ops->get_hvm_context(src, buf, sizeof buf, &len, &err), 0);
    assert_int_equal(d->ops->set_hvm_context(d, buf, len - 8, &err), XSR_EFAULT); /* no END */
    assert_int_equal(d->ops->set_hvm_context(d, buf, len, &err), 0);
    for (uint32_t k = 0; k < 64; k++) {
        uint64_t v;
        assert_int_equal(src->ops->get_hvm_param(src, k, &v, &err), 0);
        assert_int_equal(d->ops->set_hvm_param(d, k, v, &err), 0);
    }
    for (unsigned kind = XSR_POLICY_CPUID; kind <= XSR_POLICY_MSR; kind++) {
        assert_int_equal(src->ops->get_cpu_policy(src, kind, buf, sizeof buf, &len, &err), 0);
        assert_int_equal(d->ops->set_cpu_policy(d, kind, buf, len, &err), 0);
    }
    assert_int_equal(src->ops->get_domain_context(src, buf, sizeof buf, &len, &err), 0);
    assert_int_equal(d->ops->set_domain_context(d, buf, len, &err), 0);
    /* the factory's domain has room for more pfns; only what exists counts */
    assert_int_equal(diff_count(src, d), 0);
    assert_int_equal(d->ops->commit(d, &err), 0);
    xsr_domain_close(d);
    assert_int_equal(stat(path, &st), 0);

    /* destroy removes it */
    assert_int_equal(xsr_sim_open(path, &d, &err), 0);
    assert_int_equal(diff_count(src, d), 0);
    assert_int_equal(d->ops->destroy(d, &err), 0);
    xsr_domain_close(d);
    assert_int_equal(stat(path, &st), -1);
    xsr_domain_close(src);
    f.release(&f);
}

/* ------------------------------------------- a PV restore through the contract */

#define FRAME 0x000ffffffffff000ull

static uint64_t one(struct xsr_domain *d, int (*op)(struct xsr_domain *, const uint64_t *, uint32_t,
                                                   uint64_t *, struct xsr_error *), uint64_t v)
{
    uint64_t r;
    assert_int_equal(op(d, &v, 1, &r, NULL), 0);
    return r;
}

/* What a saver and a restorer do to a page table: frame numbers through the
 * pfn, Xen's slots cleared (the new hypervisor fills its own on pinning). */
static void move_table(struct xsr_domain *src, struct xsr_domain *dst, uint64_t *t, unsigned lvl,
                       const struct xsr_domain_info *i)
{
    /* 32-bit: an L2 whose slot 428 maps the compat M2P has Xen's slots from there */
    bool compat = i->pt_levels == 3 && lvl == 2 && (t[428] & 1) &&
                  (t[428] & FRAME) >> 12 == i->compat_m2p_mfn0;
    for (unsigned k = 0; k < 512; k++) {
        bool xen = i->pt_levels == 4 ? lvl == 4 && k >= 256 && k <= 271
                                     : (lvl == 3 && k >= 4) || (compat && k >= 428);
        if (xen) {
            t[k] = 0;
            continue;
        }
        if (!(t[k] & 1))
            continue;
        uint64_t pfn = one(src, src->ops->mfn_to_pfn, (t[k] & FRAME) >> 12);
        assert_int_not_equal(pfn, XSR_INVALID_FRAME);
        t[k] = (t[k] & ~FRAME) | one(dst, dst->ops->pfn_to_mfn, pfn) << 12;
    }
}

static void word_move(struct xsr_domain *src, struct xsr_domain *dst, uint8_t *p, unsigned w)
{
    uint64_t v = 0, invalid = w == 4 ? UINT32_MAX : UINT64_MAX;
    memcpy(&v, p, w);
    if (v == invalid)
        return;
    uint64_t pfn = one(src, src->ops->mfn_to_pfn, v);
    v = pfn == XSR_INVALID_FRAME ? invalid : one(dst, dst->ops->pfn_to_mfn, pfn);
    memcpy(p, &v, w);
}

static void restore_pv(enum xsr_sim_type type, const char *name)
{
    struct xsr_domain *src = make(name, type, 8u << 20, 2, 1u << 20, 0);
    struct xsr_domain_info i = XSR_DOMAIN_INFO_INIT;
    struct xsr_error err;
    assert_int_equal(xsr_domain_get_info(src, &i, &err), 0);
    unsigned w = i.guest_width, levels = i.pt_levels;
    struct xsr_domain_factory f;
    char out[64];
    snprintf(out, sizeof out, "restored-%s", name);
    assert_int_equal(xsr_sim_factory(tmp(out), &f, &err), 0);
    struct xsr_domain_config cfg = XSR_DOMAIN_CONFIG_INIT;
    cfg.type = XSR_DOM_X86_PV;
    cfg.guest_width = w;
    cfg.pt_levels = levels;
    cfg.max_pfn = i.max_pfn;
    cfg.max_vcpus = i.max_vcpu_id + 1;
    struct xsr_domain *dst;
    assert_int_equal(f.create(&f, &cfg, &dst, &err), 0);

    uint32_t *types = calloc(i.max_pfn + 1, 4);
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++) {
        assert_int_equal(src->ops->get_page_types(src, &pfn, 1, &types[pfn], &err), 0);
        if (types[pfn] == XSR_PFN_BROKEN)
            assert_int_equal(dst->ops->mark_broken(dst, &pfn, 1, &err), 0);
        else if (types[pfn] != XSR_PFN_XTAB)
            assert_int_equal(dst->ops->populate(dst, &pfn, 1, &err), 0);
    }
    size_t np2m;
    assert_int_equal(src->ops->get_p2m_frames(src, NULL, 0, &np2m, &err), 0);
    uint64_t *p2m = calloc(np2m, 8);
    assert_int_equal(src->ops->get_p2m_frames(src, p2m, np2m, &np2m, &err), 0);
    uint8_t ctx[XSR_PV_VCPU_CTX_SIZE_64];
    size_t len;
    assert_int_equal(src->ops->get_vcpu_context(src, 0, XSR_VCPU_BASIC, ctx, sizeof ctx, &len, &err), 0);
    struct xsr_pv_vcpu_regs r;
    assert_int_equal(xsr_pv_vcpu_regs_decode(ctx, (uint32_t)len, w, XSR_LITTLE_ENDIAN, &r, &err), 0);
    uint64_t start_info = one(src, src->ops->mfn_to_pfn, r.rdx);

    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++) {
        if (types[pfn] == XSR_PFN_XTAB || types[pfn] == XSR_PFN_BROKEN)
            continue;
        uint8_t *to = map1(dst, pfn, XSR_MAP_WRITE);
        memcpy(to, map1(src, pfn, XSR_MAP_READ), 4096);
        unsigned lvl = xsr_pfn_type_level(types[pfn]);
        uint64_t mfn = one(src, src->ops->pfn_to_mfn, pfn);
        bool is_p2m = false;
        for (size_t k = 0; k < np2m; k++)
            is_p2m |= p2m[k] == mfn;
        if (lvl)
            move_table(src, dst, (uint64_t *)to, lvl, &i);
        else if (is_p2m)
            for (unsigned k = 0; k < 4096 / w; k++)
                word_move(src, dst, to + k * w, w);
        else if (pfn == start_info)
            for (unsigned k = 0; k < 2; k++)
                word_move(src, dst, to + (w == 8 ? (k ? 72 : 56) : (k ? 52 : 44)), w);
    }
    for (size_t k = 0; k < np2m; k++)
        p2m[k] = one(dst, dst->ops->pfn_to_mfn, one(src, src->ops->mfn_to_pfn, p2m[k]));
    assert_int_equal(dst->ops->set_p2m_frames(dst, p2m, np2m, &err), 0);
    for (uint64_t pfn = 0; pfn <= i.max_pfn; pfn++)
        if (types[pfn] >= XSR_PFN_L1TAB_PIN && types[pfn] <= XSR_PFN_L4TAB_PIN)
            if (dst->ops->pin_tables(dst, &pfn, &types[pfn], 1, &err))
                fail_msg("pin %#llx: %s", (unsigned long long)pfn, err.message);

    const unsigned kinds[] = { XSR_VCPU_BASIC, XSR_VCPU_EXTENDED, XSR_VCPU_XSAVE, XSR_VCPU_MSRS };
    for (uint32_t v = 0; v <= i.max_vcpu_id; v++)
        for (unsigned k = 0; k < 4; k++) {
            assert_int_equal(src->ops->get_vcpu_context(src, v, kinds[k], ctx, sizeof ctx, &len, &err), 0);
            if (kinds[k] == XSR_VCPU_BASIC) {
                const size_t rdx = w == 8 ? 520 + 96 : 516 + 8, gdt = w == 8 ? 4832 : 2640,
                             cr3 = w == 8 ? 4984 + 24 : 2716 + 12;
                if (v == 0)
                    word_move(src, dst, ctx + rdx, w);
                word_move(src, dst, ctx + gdt, w);
                uint64_t c = 0;
                memcpy(&c, ctx + cr3, w);
                uint64_t m = w == 8 ? c >> 12 : (uint32_t)((c >> 12) | (c << 20));
                m = one(dst, dst->ops->pfn_to_mfn, one(src, src->ops->mfn_to_pfn, m));
                c = w == 8 ? m << 12 : (uint32_t)((m << 12) | (m >> 20));
                memcpy(ctx + cr3, &c, w);
            }
            assert_int_equal(dst->ops->set_vcpu_context(dst, v, kinds[k], ctx, len, &err), 0);
        }
    uint8_t buf[8192];
    for (unsigned kind = XSR_POLICY_CPUID; kind <= XSR_POLICY_MSR; kind++) {
        assert_int_equal(src->ops->get_cpu_policy(src, kind, buf, sizeof buf, &len, &err), 0);
        assert_int_equal(dst->ops->set_cpu_policy(dst, kind, buf, len, &err), 0);
    }
    assert_int_equal(src->ops->get_shared_info(src, buf, sizeof buf, &len, &err), 0);
    assert_int_equal(dst->ops->set_shared_info(dst, buf, len, &err), 0);
    struct xsr_tsc_info tsc;
    assert_int_equal(src->ops->get_tsc_info(src, &tsc, &err), 0);
    assert_int_equal(dst->ops->set_tsc_info(dst, &tsc, &err), 0);

    char *text = NULL;
    size_t tlen = 0;
    FILE *o = open_memstream(&text, &tlen);
    uint64_t n = 0;
    assert_int_equal(xsr_sim_diff(src, dst, o, 10, &n, &err), 0);
    fclose(o);
    if (n)
        fail_msg("%s", text);
    free(text);
    uint64_t unmapped = 1;
    if (xsr_sim_check_tables(dst, &unmapped, &err))
        fail_msg("%s", err.message);
    assert_int_equal(unmapped, 0);
    assert_int_equal(dst->ops->commit(dst, &err), 0);
    xsr_domain_close(dst);
    xsr_domain_close(src);
    f.release(&f);
    free(types);
    free(p2m);
}

static void test_restore_pv64(void **state) { (void)state; restore_pv(XSR_SIM_PV, "rs64.sim"); }
static void test_restore_pv32(void **state) { (void)state; restore_pv(XSR_SIM_PV32, "rs32.sim"); }

static void test_bad_files(void **state)
{
    (void)state;
    struct xsr_error err;
    struct xsr_domain *d = make("bad.sim", XSR_SIM_PV32, 4u << 20, 1, 0, 0);
    xsr_domain_close(d);
    FILE *f = fopen(tmp("bad.sim"), "r+b");
    assert_non_null(f);
    fseek(f, 40, SEEK_SET); /* max_pfn */
    fputc(0x7f, f);
    fclose(f);
    assert_int_equal(xsr_sim_open(tmp("bad.sim"), &d, &err), XSR_EFORMAT);
    assert_int_equal(truncate(tmp("bad.sim"), 100), 0);
    assert_int_equal(xsr_sim_open(tmp("bad.sim"), &d, &err), XSR_EFORMAT);
    assert_int_equal(xsr_sim_open(tmp("absent.sim"), &d, &err), XSR_EIO);
    struct xsr_sim_create_opts o = XSR_SIM_CREATE_OPTS_INIT;
    o.type = XSR_SIM_PV32;
    o.memory = 8ull << 30;
    assert_int_equal(xsr_sim_create(tmp("big.sim"), &o, &err), XSR_ELIMIT);
    struct stat st;
    assert_int_equal(stat(tmp("big.sim"), &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv64),      cmocka_unit_test(test_pv32),
        cmocka_unit_test(test_hvm),       cmocka_unit_test(test_dirty_log),
        cmocka_unit_test(test_workload),  cmocka_unit_test(test_diff),
        cmocka_unit_test(test_factory),   cmocka_unit_test(test_bad_files),
        cmocka_unit_test(test_restore_pv64), cmocka_unit_test(test_restore_pv32),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
