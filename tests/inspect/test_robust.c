/* SPDX-License-Identifier: MIT */
/*
 * The analyses on hostile or failing input: a write that fails part-way,
 * vCPU records that cannot be decoded, many contexts, odd strings.  Each
 * test names the behaviour it holds the code to.
 */
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "mkstream.h"
#include "testutil.h"

#define W(t, pfn) xsr_pfn_word_make(XSR_PFN_##t, (pfn))
#define LE XSR_LITTLE_ENDIAN

static char tmpdir[] = "/tmp/xsr-robust-XXXXXX";

static char *tmp_path(const char *name)
{
    static char buf[4][256];
    static unsigned k;
    char *p = buf[k++ % 4];
    snprintf(p, 256, "%s/%s", tmpdir, name);
    return p;
}

static bool all_zero(const uint8_t *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return false;
    return true;
}

/*
 * A write that fails (here: beyond RLIMIT_FSIZE) stops the extraction, and
 * nothing is written after it: in particular not a page of the same record
 * that was pending when the walk stopped, whose bytes lived in the reader's
 * buffer (freed by then).
 */
static void test_extract_write_error_stops(void **state)
{
    (void)state;
    struct ms *m = ms_begin(XSR_DOM_X86_PV, LE);
    const uint64_t p[] = { W(NOTAB, 10), W(NOTAB, 2) };
    const uint8_t f[] = { 0xaa, 0xbb };
    size_t len, got;
    ms_pages(m, 2, p, f);
    uint8_t *s = ms_end(m, &len);
    const char *in_path = tmp_path("wfail.img"), *out = tmp_path("wfail.raw");
    assert_int_equal(tu_write_file(in_path, s, len), 0);

    struct xsr_error err;
    struct xsr_extract_result r;
    xsr_error_clear(&err);
    /* read, not mapped: page data lives in the reader's own buffer */
    struct xsr_chan *in = xsr_chan_open_read(in_path, XSR_OPEN_NO_MMAP, &err);
    assert_non_null(in);
    int fd = open(out, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);

    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 3 * XSR_PAGE_SIZE; /* frame 2 fits, frame 10 does not */
    void (*oldsig)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    int rc = xsr_extract(in, fd, NULL, &r, &err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, oldsig);
    xsr_chan_close(in, NULL);
    close(fd);

    assert_int_equal(rc, XSR_EIO);
    assert_non_null(strstr(err.message, "at output offset 0xa000 failed"));
    uint8_t *mem = tu_read_file(out, &got);
    assert_true(got == 0 || mem != NULL);
    if (got >= 3 * XSR_PAGE_SIZE)
        assert_true(all_zero(mem + 2 * XSR_PAGE_SIZE, XSR_PAGE_SIZE));
    free(mem);
    free(s);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_extract_write_error_stops),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
