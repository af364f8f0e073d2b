/* SPDX-License-Identifier: MIT */
/*
 * The images real Xen 4.17 saved ($XSR_SHARED/fixtures/xen-4.17: a 64-bit PV
 * and a PVH guest) restore into sim domains, and the memory is what
 * `xsr extract --raw` gives: byte for byte, except what a restore localises
 * (PV page tables, which must map the same pfns through the new frames;
 * the P2M frames and the start info page, which name the new frames).
 */
#include "restore_util.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define FRAME 0x000ffffffffff000ull

static uint8_t *load(const char *name, size_t *len)
{
    const char *shared = tu_shared_dir();
    if (!shared)
        return NULL;
    char path[512];
    snprintf(path, sizeof path, "%s/fixtures/xen-4.17/%s", shared, name);
    if (access(path, R_OK) != 0)
        return NULL;
    uint8_t *b = tu_read_zst(path, len);
    if (!b)
        fail_msg("cannot read %s", path);
    return b;
}

/* The extracted memory as a mapping of a flat file. */
static const uint8_t *extract(const uint8_t *buf, size_t len, size_t *size, uint64_t *present)
{
    struct xsr_error err;
    int fd = open(ru_path("raw"), O_RDWR | O_CREAT | O_TRUNC, 0600);
    assert_true(fd >= 0);
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, &err);
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.format = XSR_EXTRACT_RAW;
    struct xsr_extract_result res = XSR_EXTRACT_RESULT_INIT;
    if (xsr_extract(ch, fd, &o, &res, &err))
        fail_msg("extract: %s", err.message);
    xsr_chan_close(ch, NULL);
    *size = (size_t)res.out_size;
    *present = res.frames_present;
    const uint8_t *m = mmap(NULL, *size, PROT_READ, MAP_PRIVATE, fd, 0);
    assert_true(m != MAP_FAILED);
    close(fd);
    unlink(ru_path("raw"));
    return m;
}

static void restore_fixture(const char *name, bool pv)
{
    size_t len;
    uint8_t *buf = load(name, &len);
    if (!buf) {
        print_message("skipped: %s/fixtures/xen-4.17/%s is absent (set XSR_SHARED)\n",
                      tu_shared_dir() ? tu_shared_dir() : "$XSR_SHARED", name);
        skip();
    }
    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    struct xsr_error err;
    struct xsr_domain *d = NULL;
    if (ru_restore(buf, len, ru_path("fx.sim"), NULL, &res, &d, &err)) {
        char line[600];
        xsr_error_format(&err, line, sizeof line);
        fail_msg("%s: %s", name, line);
    }
    assert_int_equal(res.dom_type, pv ? XSR_DOM_X86_PV : XSR_DOM_X86_HVM);
    assert_int_equal(res.vcpus, pv ? 1 : 0);

    size_t size;
    uint64_t present;
    const uint8_t *raw = extract(buf, len, &size, &present);
    uint64_t localised = 0, same = 0, tables = 0;
    uint8_t page[XSR_PAGE_SIZE];
    for (uint64_t pfn = 0; pfn < size / XSR_PAGE_SIZE; pfn++) {
        const uint8_t *want = raw + pfn * XSR_PAGE_SIZE;
        uint32_t type = XSR_PFN_XTAB;
        struct xsr_error e2;
        assert_int_equal(d->ops->get_page_types(d, &pfn, 1, &type, &e2), 0);
        bool frame = type != XSR_PFN_XTAB && ru_page(d, pfn, page);
        if (!frame)
            continue; /* extract has a hole there too (a frame was needed for data) */
        if (memcmp(want, page, XSR_PAGE_SIZE) == 0) {
            same++;
            continue;
        }
        if (pv && xsr_pfn_type_level(type)) {
            tables++;
            for (unsigned k = 0; k < 512; k++) {
                uint64_t w, h, back;
                memcpy(&w, want + k * 8, 8);
                memcpy(&h, page + k * 8, 8);
                uint64_t mfn = (h & FRAME) >> 12;
                assert_int_equal(d->ops->mfn_to_pfn(d, &mfn, 1, &back, &e2), 0);
                if (!(w & 1)) {
                    if (w != h && !(w == 0 && back == XSR_INVALID_FRAME))
                        fail_msg("pfn %#llx slot %u", (unsigned long long)pfn, k);
                } else if (back != (w & FRAME) >> 12 || (w & ~FRAME) != (h & ~FRAME)) {
                    fail_msg("pfn %#llx slot %u: %#llx restored as %#llx", (unsigned long long)pfn, k,
                             (unsigned long long)w, (unsigned long long)h);
                }
            }
            continue;
        }
        localised++;
    }
    print_message("%s: %llu pages equal, %llu tables localised, %llu other pages localised\n", name,
                  (unsigned long long)same, (unsigned long long)tables, (unsigned long long)localised);
    /* PV: the P2M frames (128 MiB: 64 of them) and the start info page */
    assert_true(localised <= (pv ? 66 : 0));
    assert_true(same > 30000);
    /* every frame extract has data for has a frame here */
    assert_true(same + tables + localised >= present);
    if (pv) {
        assert_true(tables > 0 && res.pinned > 0);
        assert_int_equal(ru_check_tables(d), 0);
    }
    munmap((void *)raw, size);
    xsr_domain_close(d);
    assert_int_equal(unlink(ru_path("fx.sim")), 0);
    free(buf);
}

static void test_pv(void **state) { (void)state; restore_fixture("pv1-save.xl.zst", true); }
/* A PVH guest's pfns reach 0xfefff: its sim file maps 4 GiB, slow on a busy
 * machine, so only on request. */
static void test_pvh(void **state)
{
    (void)state;
    if (!getenv("XSR_SLOW_TESTS")) {
        print_message("skipped: set XSR_SLOW_TESTS=1 to restore the PVH fixture\n");
        skip();
    }
    restore_fixture("pvh1-save.xl.zst", false);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv),
        cmocka_unit_test(test_pvh),
    };
    return cmocka_run_group_tests(tests, ru_setup, ru_teardown);
}
