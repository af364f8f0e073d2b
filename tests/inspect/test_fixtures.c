/* SPDX-License-Identifier: MIT */
/*
 * Extraction of the real Xen 4.17 save images (shared/fixtures/xen-4.17):
 * the guest kernel's banner must be in the extracted memory, which only
 * happens if every page went to its own frame.  Skipped (77) without
 * ../shared.
 */
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "testutil.h"

static const char banner[] = "Linux version 6.1.0-50-amd64 (debian-kernel@lists.debian.org)";
static char dir[] = "/tmp/xsr-fixtures-XXXXXX";

struct fixture {
    const char *name;
    uint32_t dom_type;
    uint64_t present, xtab, max_pfn;
};

/* Counts from the fixture's .summary.txt (independent of xsr). */
static const struct fixture pv = { "pv1-save.xl", XSR_DOM_X86_PV, 32768, 0, 0x7fff };
static const struct fixture pvh = { "pvh1-save.xl", XSR_DOM_X86_HVM, 32784, 1011696, 0xfefff };

static uint8_t *load(const struct fixture *fx, size_t *len)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/fixtures/xen-4.17/%s.zst", tu_shared_dir(), fx->name);
    uint8_t *b = tu_read_zst(path, len);
    if (!b)
        fprintf(stderr, "cannot read %s\n", path);
    return b;
}

/* Where the banner is in the extracted file, or -1. */
static int64_t find_banner(const char *path, size_t *size)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    off_t n = lseek(fd, 0, SEEK_END);
    void *m = mmap(NULL, (size_t)n, PROT_READ, MAP_PRIVATE, fd, 0);
    assert_true(m != MAP_FAILED);
    /* holes read as zeros; memmem walks them quickly enough for 4 GiB */
    const uint8_t *hit = memmem(m, (size_t)n, banner, sizeof(banner) - 1);
    int64_t off = hit ? hit - (const uint8_t *)m : -1;
    munmap(m, (size_t)n);
    close(fd);
    *size = (size_t)n;
    return off;
}

static void extract_fixture(const struct fixture *fx, enum xsr_extract_format fmt)
{
    size_t len, size;
    uint8_t *img = load(fx, &len);
    assert_non_null(img);
    char out[256];
    snprintf(out, sizeof(out), "%s/%s.%s", dir, fx->name, fmt == XSR_EXTRACT_ELF ? "elf" : "raw");
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    struct xsr_error err;
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.format = fmt;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(img, len, &err);
    int rc = xsr_extract(in, fd, &o, &r, &err);
    if (rc < 0)
        fprintf(stderr, "extract: %s\n", err.message);
    assert_int_equal(rc, 0);
    xsr_chan_close(in, NULL);
    close(fd);
    free(img);

    assert_true(r.complete);
    assert_int_equal(r.dom_type, fx->dom_type);
    assert_int_equal(r.max_pfn, fx->max_pfn);
    assert_int_equal(r.frames_present, fx->present);
    assert_int_equal(r.frames_xtab, fx->xtab);
    assert_int_equal(r.copies, fx->present);
    int64_t at = find_banner(out, &size);
    assert_true(at >= 0);
    if (fmt == XSR_EXTRACT_RAW) {
        assert_int_equal(size, (fx->max_pfn + 1) * XSR_PAGE_SIZE);
    } else {
        assert_int_equal(r.vcpus, 1);
        assert_true(r.elf_loads >= 1);
    }
    unlink(out);
}

static void test_pv_raw(void **s) { (void)s; extract_fixture(&pv, XSR_EXTRACT_RAW); }
static void test_pv_elf(void **s) { (void)s; extract_fixture(&pv, XSR_EXTRACT_ELF); }
static void test_pvh_raw(void **s) { (void)s; extract_fixture(&pvh, XSR_EXTRACT_RAW); }
static void test_pvh_elf(void **s) { (void)s; extract_fixture(&pvh, XSR_EXTRACT_ELF); }

/* The PV fixture is one non-live pass: stats see one iteration of 32768. */
static void test_pv_stats(void **s)
{
    (void)s;
    size_t len;
    uint8_t *img = load(&pv, &len);
    assert_non_null(img);
    struct xsr_error err;
    struct xsr_stats *st;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_mem_reader(img, len, &err);
    assert_int_equal(xsr_stats_collect(in, NULL, &st, &err), 0);
    xsr_chan_close(in, NULL);
    assert_int_equal(st->n_iters, 1);
    assert_int_equal(st->page_records, 32);
    assert_int_equal(st->pfn_entries, 32768);
    assert_int_equal(st->frames_resent, 0);
    /* the type counts of pv1-save.xl.summary.txt */
    assert_int_equal(st->by_type[XSR_PFN_NOTAB], 32585);
    assert_int_equal(st->by_type[XSR_PFN_L1TAB], 40);
    assert_int_equal(st->by_type[XSR_PFN_L1TAB_PIN], 47);
    assert_int_equal(st->by_type[XSR_PFN_L2TAB], 14);
    assert_int_equal(st->by_type[XSR_PFN_L3TAB], 74);
    assert_int_equal(st->by_type[XSR_PFN_L3TAB_PIN], 1);
    assert_int_equal(st->by_type[XSR_PFN_L4TAB_PIN], 7);
    assert_int_equal(st->input_bytes, 134493476);
    xsr_stats_free(st);
    free(img);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    if (!tu_shared_dir()) {
        fprintf(stderr, "skipped: the shared fixtures directory is absent (set XSR_SHARED)\n");
        return TEST_SKIP_EXIT;
    }
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pv_raw),
        cmocka_unit_test(test_pv_elf),
        cmocka_unit_test(test_pvh_raw),
        cmocka_unit_test(test_pvh_elf),
        cmocka_unit_test(test_pv_stats),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
