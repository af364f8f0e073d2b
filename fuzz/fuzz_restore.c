/* SPDX-License-Identifier: MIT */
/*
 * xsr_restore of arbitrary bytes into a new sim domain (a file in a private
 * temporary directory), strict or lenient, with the domain's size from the
 * stream or given (from the input's length).
 *
 * Invariants: the result is 0 or a verdict on the input with err set; a
 * failed restore leaves no domain (no sim file); a restored domain opens,
 * is paused, and has no more vCPUs and frames than it was given; strict
 * restore accepts only what strict verify accepts (of the bytes it read: it
 * stops at the outermost END).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <xsr/engine.h>
#include <xsr/sim.h>

#include "fuzz_common.h"

static const char *sim_path(void)
{
    static char path[256];
    if (!path[0]) {
        char dir[] = "/tmp/xsr-fuzz-restore-XXXXXX";
        FZ_CHECK(mkdtemp(dir), "mkdtemp failed");
        snprintf(path, sizeof(path), "%s/dom.sim", dir);
    }
    return path;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *path = sim_path();
    bool lenient = size % 3 == 1;
    int valid = fz_verify(data, size, false);
    if (valid == XSR_ENOMEM)
        return 0;

    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_domain_factory f;
    FZ_CHECK(xsr_sim_factory(path, &f, &err) == 0, "the sim factory failed: %d", err.code);
    struct xsr_restore_opts o = XSR_RESTORE_OPTS_INIT;
    o.lenient = lenient;
    if (size % 4 != 0) { /* else from the stream */
        o.max_pfn = 4095;
        o.max_vcpus = 4;
    }
    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    struct xsr_domain *d = NULL;
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    int rc = ch ? xsr_restore(ch, &f, &o, &res, &d, &err) : err.code;
    xsr_chan_close(ch, NULL);
    f.release(&f);
    if (rc != XSR_EFAULT) /* the sim back end refusing a frame or a state */
        fz_check_analysis(lenient ? "restore --lenient" : "restore", rc, false, &err);
    else
        FZ_CHECK(err.message[0], "restore returned XSR_EFAULT without a message");

    if (rc != 0) {
        FZ_CHECK(d == NULL, "a failed restore handed out a domain");
        FZ_CHECK(access(path, F_OK) != 0, "a failed restore (%d) left the domain %s", rc, path);
        return 0;
    }
    FZ_CHECK(d, "restore succeeded without a domain");
    /* Restore reads up to the outermost END, not what follows (the next
     * message on a connection): strict verify must accept what it read. */
    FZ_CHECK(res.bytes <= size, "restore read %llu bytes of %zu", (unsigned long long)res.bytes,
             size);
    if (!lenient && valid != 0)
        FZ_CHECK(fz_verify(data, (size_t)res.bytes, false) == 0,
                 "strict restore accepts a stream strict verify rejects");
    struct xsr_sim_summary s = XSR_SIM_SUMMARY_INIT;
    FZ_CHECK(xsr_sim_summary(d, &s, &err) == 0, "the restored domain has no summary: %d",
             err.code);
    FZ_CHECK(s.paused, "the restored domain runs");
    if (o.max_pfn)
        FZ_CHECK(s.max_pfn <= o.max_pfn && s.max_vcpus <= o.max_vcpus,
                 "the domain has max_pfn %#llx and %u vCPUs, more than given",
                 (unsigned long long)s.max_pfn, s.max_vcpus);
    FZ_CHECK(XSR_DOMAIN_CALL(d, destroy, &err, &err) == 0, "destroying the domain failed");
    xsr_domain_close(d);
    unlink(path);
    return 0;
}
