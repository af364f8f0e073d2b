/* SPDX-License-Identifier: MIT */
/*
 * The second half of xsr demo: the main job for real.  A simulated guest is
 * created, saved live while a workload writes its memory, restored into a
 * new domain and compared with the source at its final pause.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include <xsr/xsr.h>

#include "cli.h"
#include "demo.h"

#define DEMO_GUEST "guest.sim"
#define DEMO_STREAM "guest-live.xl"
#define DEMO_RESTORED "restored.sim"
#define DEMO_MEMORY (32u << 20)
#define DEMO_RATE 20000u /* page writes per second */

static int failed(const char *prog, const char *what, const struct xsr_error *err)
{
    cli_print_error(prog, what, err);
    return -1;
}

static int save_live(const char *prog, struct xsr_domain *d, const char *path,
                     struct xsr_save_result *r)
{
    struct xsr_error err = {0};
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    w.rate = DEMO_RATE;
    if (xsr_domain_unpause(d, &err) < 0 || xsr_sim_workload_start(d, &w, &err) < 0)
        return failed(prog, DEMO_GUEST, &err);
    struct xsr_outfile *of = cli_open_outfile(prog, path);
    int rc = -1;
    if (of) {
        struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
        o.live = true;
        rc = xsr_save(d, xsr_outfile_chan(of), &o, r, &err);
        if (rc < 0)
            cli_print_error(prog, "save", &err);
        rc = cli_finish_outfile(prog, path, of, rc);
    }
    struct xsr_error werr = {0};
    uint64_t writes = 0;
    if (xsr_sim_workload_stop(d, &writes, &werr) < 0 && rc == 0)
        return failed(prog, DEMO_GUEST, &werr);
    if (rc == 0)
        printf("   the workload wrote %" PRIu64 " pages meanwhile\n", writes);
    return rc;
}

static int restore(const char *prog, const char *in_path, const char *sim_path,
                   struct xsr_restore_result *r, struct xsr_domain **out)
{
    struct xsr_error err = {0};
    struct xsr_chan *in = cli_open_input(prog, in_path);
    if (!in)
        return -1;
    struct xsr_domain_factory f;
    int rc = xsr_sim_factory(sim_path, &f, &err);
    if (rc == 0) {
        struct xsr_restore_opts o = XSR_RESTORE_OPTS_INIT;
        rc = xsr_restore(in, &f, &o, r, out, &err);
        f.release(&f);
    }
    xsr_chan_close(in, NULL);
    return rc < 0 ? failed(prog, in_path, &err) : 0;
}

/* The restored guest equals the source, its page tables map it through the
 * new frames, and no page was copied half-written. */
static int compare(const char *prog, struct xsr_domain *src, struct xsr_domain *dst)
{
    struct xsr_error err = {0};
    uint64_t ndiff = 1, unmapped = 1, torn = 1, first;
    if (xsr_sim_diff(src, dst, stdout, 5, &ndiff, &err) < 0 ||
        xsr_sim_check_tables(dst, &unmapped, &err) < 0 ||
        xsr_sim_check_stamps(dst, &torn, &first, &err) < 0)
        return failed(prog, DEMO_RESTORED, &err);
    printf("   %" PRIu64 " differences in memory, page types, P2M, vCPU and platform state;\n"
           "   %" PRIu64 " pages its page tables do not map; %" PRIu64 " torn pages\n",
           ndiff, unmapped, torn);
    if (ndiff || unmapped || torn) {
        fprintf(stderr, "%s: the restored guest is not the guest that was saved\n", prog);
        return -1;
    }
    return 0;
}

int demo_live(const char *prog, const char *dir, unsigned step)
{
    char guest[PATH_MAX], stream[PATH_MAX], restored[PATH_MAX];
    if ((size_t)snprintf(guest, sizeof guest, "%s/%s", dir, DEMO_GUEST) >= sizeof guest ||
        (size_t)snprintf(stream, sizeof stream, "%s/%s", dir, DEMO_STREAM) >= sizeof stream ||
        (size_t)snprintf(restored, sizeof restored, "%s/%s", dir, DEMO_RESTORED) >= sizeof restored) {
        fprintf(stderr, "%s: directory name too long: %s\n", prog, dir);
        return -1;
    }
    struct xsr_error err = {0};
    struct xsr_sim_create_opts co = XSR_SIM_CREATE_OPTS_INIT;
    co.memory = DEMO_MEMORY;
    co.vcpus = 2;
    printf("\n%u. Creating a simulated 64-bit PV guest (xsr sim create --type pv --memory %uM\n"
           "   --vcpus 2): shuffled machine frames, real page tables, a P2M:\n   %s\n",
           step, DEMO_MEMORY >> 20, guest);
    fflush(stdout);
    if (xsr_sim_create(guest, &co, &err) < 0)
        return failed(prog, guest, &err);
    struct xsr_domain *src = NULL, *dst = NULL;
    if (xsr_sim_open(guest, &src, &err) < 0)
        return failed(prog, guest, &err);

    printf("\n%u. Saving it live while it runs and writes %u pages/s (xsr save --live\n"
           "   --workload rate=%u): passes over the dirty log, then a pause:\n   %s\n",
           step + 1, DEMO_RATE, DEMO_RATE, stream);
    fflush(stdout);
    struct xsr_save_result sr = XSR_SAVE_RESULT_INIT;
    int rc = save_live(prog, src, stream, &sr);
    if (rc == 0)
        printf("   %.1f MiB, %" PRIu32 " pass%s, %" PRIu64 " zero pages as XALLOC, downtime %" PRIu64
               " ms\n", (double)sr.bytes / 1048576.0, sr.iterations, sr.iterations == 1 ? "" : "es",
               sr.zero_pages, sr.downtime_ms);

    struct xsr_restore_result rr = XSR_RESTORE_RESULT_INIT;
    if (rc == 0) {
        printf("\n%u. Restoring it into a new domain (xsr restore):\n   %s\n", step + 2, restored);
        fflush(stdout);
        (void)unlink(restored); /* a DIR used before */
        rc = restore(prog, stream, restored, &rr, &dst);
    }
    if (rc == 0) {
        printf("   %" PRIu64 " pages written, %" PRIu64 " page table%s pinned, %" PRIu32 " vCPU%s\n",
               rr.pages, rr.pinned, rr.pinned == 1 ? "" : "s", rr.vcpus, rr.vcpus == 1 ? "" : "s");
        printf("\n%u. Comparing it with the guest at its final pause (xsr sim diff):\n", step + 3);
        fflush(stdout);
        rc = compare(prog, src, dst);
    }
    xsr_domain_close(dst);
    xsr_domain_close(src);
    return rc;
}
