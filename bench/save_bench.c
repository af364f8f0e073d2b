/* SPDX-License-Identifier: MIT */
/*
 * How fast and how lean is the engine's save?  A benchmark, not a test: it
 * reports figures and ratios to baselines measured in the same run, never
 * pass/fail on time.  See bench/README.md.
 *
 *   xsr-bench-save [--memory SIZE] [--runs N] [--dir DIR] [--keep]
 *   xsr-bench-save --live [--memory SIZE] [--runs N] [--workload SPEC] [--limit RATE]
 *
 * Non-live: a PV sim guest is saved to /dev/null (a plain descriptor
 * channel) with and without zero elision, each save in a child process of
 * its own so that its peak RSS is its own; the baseline is memcpy of the
 * guest's data bytes between two buffers of that size.  Live: the same guest
 * is saved live while the sim workload dirties pages at 0, 10, 50, 100 and
 * 200 % of the bandwidth measured first, under Xen's policy and ours.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <xsr/engine.h>
#include <xsr/io.h>
#include <xsr/sim.h>

#define PAGE 4096u
#define MAX_RUNS 99

struct cfg {
    uint64_t memory;
    unsigned runs;
    const char *dir;
    bool keep, live;
    const char *workload;
    uint64_t limit;
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || end == s)
        return -1;
    unsigned shift = 0;
    switch (*end) {
    case 'K': case 'k': shift = 10; end++; break;
    case 'M': case 'm': shift = 20; end++; break;
    case 'G': case 'g': shift = 30; end++; break;
    default: break;
    }
    if (*end || v > (UINT64_MAX >> shift))
        return -1;
    *out = (uint64_t)v << shift;
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static double median(const double *v, unsigned n)
{
    double s[MAX_RUNS];
    memcpy(s, v, n * sizeof(*v));
    qsort(s, n, sizeof(*s), cmp_double);
    return n % 2 ? s[n / 2] : (s[n / 2 - 1] + s[n / 2]) / 2;
}

/* ------------------------------------------------------------ memory use */

/* The fields of /proc/self/status that tell the guest mapping apart (KiB). */
struct mem {
    uint64_t hwm, rss, anon, file, shmem;
};

static void read_mem(struct mem *m)
{
    memset(m, 0, sizeof(*m));
    FILE *f = fopen("/proc/self/status", "r");
    if (!f)
        return;
    char line[256];
    while (fgets(line, sizeof(line), f)) {
        unsigned long long v;
        if (sscanf(line, "VmHWM: %llu", &v) == 1) m->hwm = v;
        else if (sscanf(line, "VmRSS: %llu", &v) == 1) m->rss = v;
        else if (sscanf(line, "RssAnon: %llu", &v) == 1) m->anon = v;
        else if (sscanf(line, "RssFile: %llu", &v) == 1) m->file = v;
        else if (sscanf(line, "RssShmem: %llu", &v) == 1) m->shmem = v;
    }
    fclose(f);
}

/* ------------------------------------------------------------- non-live */

struct save_run {
    int ok;
    double secs;
    uint64_t bytes, pages, zero_pages;
    struct mem before, after;
};

/* Save the guest at path to /dev/null in a child process; its figures come back over a pipe. */
static int save_child(const char *path, bool no_zero, struct save_run *out)
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        struct save_run r = {0};
        struct xsr_error err = {0};
        struct xsr_domain *d = NULL;
        if (xsr_sim_open(path, &d, &err) < 0) {
            fprintf(stderr, "open %s: %s\n", path, err.message);
            _exit(1);
        }
        int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
        struct xsr_chan *ch = fd < 0 ? NULL : xsr_chan_fd_writer(fd, true, &err);
        if (!ch) {
            fprintf(stderr, "/dev/null: %s\n", fd < 0 ? strerror(errno) : err.message);
            _exit(1);
        }
        struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
        o.no_zero_elision = no_zero;
        struct xsr_save_result res = XSR_SAVE_RESULT_INIT;
        read_mem(&r.before);
        double t0 = now_s();
        int rc = xsr_save(d, ch, &o, &res, &err);
        r.secs = now_s() - t0;
        read_mem(&r.after); /* before closing: the guest pages touched are still mapped */
        if (rc < 0 || xsr_chan_close(ch, &err) < 0) {
            fprintf(stderr, "save: %s\n", err.message);
            _exit(1);
        }
        xsr_domain_close(d);
        r.ok = 1;
        r.bytes = res.bytes;
        r.pages = res.pages;
        r.zero_pages = res.zero_pages;
        ssize_t n = write(p[1], &r, sizeof(r));
        _exit(n == (ssize_t)sizeof(r) ? 0 : 1);
    }
    close(p[1]);
    memset(out, 0, sizeof(*out));
    ssize_t n = read(p[0], out, sizeof(*out));
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return n == (ssize_t)sizeof(*out) && out->ok && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

/*
 * The baselines, in a child process (so that no save child inherits the
 * buffers): memcpy of n bytes between two buffers already faulted in (warm),
 * and memcpy of the guest file's last n bytes (its frames) from a fresh
 * mapping into a warm buffer (cold: every source page is touched for the
 * first time in this process, as the save touches the guest's).
 */
static int memcpy_child(const char *path, size_t n, double out[2])
{
    int p[2];
    if (pipe(p) < 0)
        return -1;
    fflush(NULL);
    pid_t pid = fork();
    if (pid < 0)
        return -1;
    if (pid == 0) {
        close(p[0]);
        double t[2];
        uint8_t *src = malloc(n), *dst = malloc(n);
        int fd = open(path, O_RDONLY | O_CLOEXEC);
        off_t size = fd < 0 ? -1 : lseek(fd, 0, SEEK_END);
        if (!src || !dst || size < (off_t)n)
            _exit(1);
        for (size_t i = 0; i + 8 <= n; i += 8)
            *(uint64_t *)(src + i) = i * 0x9e3779b97f4a7c15ull;
        memset(dst, 1, n);
        double t0 = now_s();
        memcpy(dst, src, n);
        __asm__ __volatile__("" : : "r"(dst) : "memory"); /* the copy is used */
        t[0] = now_s() - t0;
        uint8_t *map = mmap(NULL, (size_t)size, PROT_READ, MAP_SHARED, fd, 0);
        if (map == MAP_FAILED)
            _exit(1);
        t0 = now_s();
        memcpy(dst, map + (size_t)size - n, n);
        __asm__ __volatile__("" : : "r"(dst) : "memory");
        t[1] = now_s() - t0;
        ssize_t w = write(p[1], t, sizeof(t));
        _exit(w == (ssize_t)sizeof(t) ? 0 : 1);
    }
    close(p[1]);
    ssize_t got = read(p[0], out, 2 * sizeof(double));
    close(p[0]);
    int st;
    while (waitpid(pid, &st, 0) < 0 && errno == EINTR)
        ;
    return got == 2 * (ssize_t)sizeof(double) && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

static int bench_save(const struct cfg *c, const char *path, uint64_t data_bytes)
{
    double tm[MAX_RUNS], tc[MAX_RUNS], te[MAX_RUNS], tn[MAX_RUNS], pe[MAX_RUNS], pn[MAX_RUNS];
    struct save_run re = {0}, rn = {0};
    for (unsigned i = 0; i < c->runs; i++) {
        /* interleaved, so that a busy moment hits all alike */
        double mc[2];
        if (memcpy_child(path, data_bytes, mc) < 0) {
            fprintf(stderr, "the memcpy baseline failed (memory for two %" PRIu64 "-byte buffers?)\n",
                    data_bytes);
            return 1;
        }
        tm[i] = mc[0];
        tc[i] = mc[1];
        if (save_child(path, false, &re) < 0 || save_child(path, true, &rn) < 0) {
            fprintf(stderr, "a save failed\n");
            return 1;
        }
        te[i] = re.secs;
        tn[i] = rn.secs;
        pe[i] = (double)(re.after.hwm - re.after.file - re.after.shmem);
        pn[i] = (double)(rn.after.hwm - rn.after.file - rn.after.shmem);
        fprintf(stderr, "run %u: memcpy %.3f s, from a fresh mapping %.3f s, save %.3f s, "
                "save --no-zero-elision %.3f s\n", i + 1, tm[i], tc[i], te[i], tn[i]);
    }
    double m = median(tm, c->runs), e = median(te, c->runs), n = median(tn, c->runs);
    double gib = (double)data_bytes / (1u << 30);
    printf("\nSave of a %.2f GiB PV sim guest to /dev/null (median of %u runs; %" PRIu64
           " data bytes = the guest's populated pages)\n\n",
           (double)c->memory / (1u << 30), c->runs, data_bytes);
    printf("| what | time s | GiB/s of guest data | ratio to memcpy | stream bytes | peak RSS besides the guest |\n");
    printf("|---|---|---|---|---|---|\n");
    double mc = median(tc, c->runs);
    printf("| memcpy of the same bytes (baseline) | %.3f | %.2f | 1.00x | - | - |\n", m, gib / m);
    printf("| memcpy from a fresh mapping of the guest file | %.3f | %.2f | %.2fx | - | - |\n", mc,
           gib / mc, m / mc);
    printf("| save (zero elision, default) | %.3f | %.2f | %.2fx | %" PRIu64 " | %.1f MiB |\n", e,
           gib / e, m / e, re.bytes, median(pe, c->runs) / 1024);
    printf("| save --no-zero-elision | %.3f | %.2f | %.2fx | %" PRIu64 " | %.1f MiB |\n", n, gib / n,
           m / n, rn.bytes, median(pn, c->runs) / 1024);
    printf("\nzero elision: %" PRIu64 " pages with data, %" PRIu64
           " zero pages as XALLOC; without: %" PRIu64 " pages with data\n",
           re.pages, re.zero_pages, rn.pages);
    printf("peak RSS besides the guest = VmHWM - RssFile - RssShmem, read in the saving process "
           "right after the save (the guest file's pages it touched are still mapped); "
           "at that point RssAnon was %" PRIu64 " KiB (zero elision) / %" PRIu64 " KiB\n",
           re.after.anon, rn.after.anon);
    printf("save / memcpy from a fresh mapping: %.2fx (zero elision), %.2fx (--no-zero-elision)\n",
           mc / e, mc / n);
    printf("goal: save >= 0.7x memcpy: %s (zero elision), %s (--no-zero-elision)\n",
           m / e >= 0.7 ? "met" : "MISSED", m / n >= 0.7 ? "met" : "MISSED");
    return 0;
}

/* ----------------------------------------------------------------- live */

struct live_run {
    struct xsr_save_result r;
    double achieved; /* page writes/s the workload made */
};

static int live_once(struct xsr_domain *d, const struct cfg *c, enum xsr_live_policy pol,
                     uint64_t rate, struct live_run *out)
{
    struct xsr_error err = {0};
    struct xsr_sim_workload w = XSR_SIM_WORKLOAD_INIT;
    if (c->workload && xsr_sim_workload_parse(c->workload, &w, &err) < 0) {
        fprintf(stderr, "--workload: %s\n", err.message);
        return -1;
    }
    w.rate = rate;
    if (xsr_domain_unpause(d, &err) < 0 || (rate && xsr_sim_workload_start(d, &w, &err) < 0)) {
        fprintf(stderr, "start: %s\n", err.message);
        return -1;
    }
    int fd = open("/dev/null", O_WRONLY | O_CLOEXEC);
    struct xsr_chan *ch = fd < 0 ? NULL : xsr_chan_fd_writer(fd, true, &err);
    if (!ch) {
        fprintf(stderr, "/dev/null: %s\n", fd < 0 ? strerror(errno) : err.message);
        return -1;
    }
    struct xsr_save_opts o = XSR_SAVE_OPTS_INIT;
    o.live = true;
    o.policy = pol;
    o.bandwidth_limit = c->limit;
    /* every page with its data: the workload turns zero pages into data
     * pages run after run, so with elision each run would send more than
     * the one before whatever its policy did */
    o.no_zero_elision = true;
    out->r = (struct xsr_save_result)XSR_SAVE_RESULT_INIT;
    double t0 = now_s();
    int rc = xsr_save(d, ch, &o, &out->r, &err);
    double secs = now_s() - t0;
    uint64_t writes = 0;
    struct xsr_error werr = {0};
    if (rate)
        (void)xsr_sim_workload_stop(d, &writes, &werr);
    out->achieved = secs > 0 ? (double)writes / secs : 0;
    if (rc < 0 || xsr_chan_close(ch, &err) < 0) {
        fprintf(stderr, "live save: %s\n", err.message);
        return -1;
    }
    return 0; /* the guest stays paused until the next run */
}

/* by downtime, then by bytes: the median run of equal downtimes is the
 * median in bytes too, not whichever the sort left in the middle */
static int cmp_run(const void *a, const void *b)
{
    const struct live_run *x = a, *y = b;
    if (x->r.downtime_ms != y->r.downtime_ms)
        return x->r.downtime_ms > y->r.downtime_ms ? 1 : -1;
    return (x->r.bytes > y->r.bytes) - (x->r.bytes < y->r.bytes);
}

static int bench_live(const struct cfg *c, const char *path)
{
    struct xsr_error err = {0};
    struct xsr_domain *d = NULL;
    if (xsr_sim_open(path, &d, &err) < 0) {
        fprintf(stderr, "open %s: %s\n", path, err.message);
        return 1;
    }
    /* the bandwidth: live saves of the idle guest, one pass each, after one
     * that maps every page of the guest into this process (a first touch of a
     * page costs far more than reading it) */
    struct live_run runs[MAX_RUNS];
    double bw[MAX_RUNS];
    if (live_once(d, c, XSR_POLICY_XEN, 0, &runs[0]) < 0)
        goto fail;
    for (unsigned i = 0; i < c->runs; i++) {
        if (live_once(d, c, XSR_POLICY_XEN, 0, &runs[i]) < 0)
            goto fail;
        bw[i] = (double)runs[i].r.bytes * 1000.0 / (double)(runs[i].r.total_ms ? runs[i].r.total_ms : 1);
    }
    double bandwidth = median(bw, c->runs);
    fprintf(stderr, "save bandwidth (idle guest, live, to /dev/null%s): %.1f MiB/s = %.0f pages/s\n",
            c->limit ? ", limited" : "", bandwidth / 1048576, bandwidth / PAGE);

    static const unsigned pct[] = {0, 10, 50, 100, 200};
    static const enum xsr_live_policy pols[] = {XSR_POLICY_XEN, XSR_POLICY_DOWNTIME};
    printf("\nLive save of a %.2f GiB PV sim guest to /dev/null%s; bandwidth measured first: "
           "%.1f MiB/s (%.0f pages/s); workload %s; each row the run of median downtime of %u\n\n",
           (double)c->memory / (1u << 30), c->limit ? " with --bandwidth-limit" : "",
           bandwidth / 1048576, bandwidth / PAGE, c->workload ? c->workload : "uniform", c->runs);
    printf("| dirty rate | pages/s asked | pages/s made | policy | total MiB | iterations | downtime ms | total ms | converged |\n");
    printf("|---|---|---|---|---|---|---|---|---|\n");
    for (size_t k = 0; k < sizeof(pct) / sizeof(pct[0]); k++) {
        uint64_t rate = (uint64_t)((double)pct[k] / 100.0 * bandwidth / PAGE);
        if (pct[k] && !rate)
            rate = 1;
        for (size_t p = 0; p < 2; p++) {
            for (unsigned i = 0; i < c->runs; i++) {
                if (live_once(d, c, pols[p], rate, &runs[i]) < 0)
                    goto fail;
                fprintf(stderr, "%u%% %s run %u: %" PRIu64 " bytes, %" PRIu32 " iterations, downtime %" PRIu64
                        " ms, %.0f writes/s\n", pct[k], p ? "downtime" : "xen", i + 1, runs[i].r.bytes,
                        runs[i].r.iterations, runs[i].r.downtime_ms, runs[i].achieved);
            }
            qsort(runs, c->runs, sizeof(runs[0]), cmp_run);
            const struct live_run *m = &runs[(c->runs - 1) / 2];
            printf("| %u %% | %" PRIu64 " | %.0f | %s | %.1f | %" PRIu32 " | %" PRIu64 " | %" PRIu64
                   " | %s |\n", pct[k], rate, m->achieved, p ? "downtime" : "xen",
                   (double)m->r.bytes / 1048576, m->r.iterations, m->r.downtime_ms, m->r.total_ms,
                   m->r.converged ? "yes" : "no");
            fflush(stdout);
        }
    }
    xsr_domain_close(d);
    return 0;
fail:
    xsr_domain_close(d);
    return 1;
}

/* ----------------------------------------------------------------- main */

static void usage(FILE *f)
{
    fputs("usage: xsr-bench-save [--live] [--memory SIZE] [--runs N] [--dir DIR] [--keep]\n"
          "                      [--workload SPEC] [--limit RATE]\n"
          "  --live           the live table instead of the non-live save\n"
          "  --memory SIZE    guest memory (default 1G)\n"
          "  --runs N         runs per figure, the median counts (default 3)\n"
          "  --dir DIR        where the sim guest is made (default /dev/shm)\n"
          "  --keep           keep the guest file\n"
          "  --workload SPEC  live: the workload's pattern (xsr save --workload; the rate is set)\n"
          "  --limit RATE     live: --bandwidth-limit of every save (bytes/s, K/M/G)\n", f);
}

int main(int argc, char **argv)
{
    struct cfg c = {.memory = 1ull << 30, .runs = 3, .dir = "/dev/shm"};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        uint64_t n;
        if (!strcmp(a, "--live")) c.live = true;
        else if (!strcmp(a, "--keep")) c.keep = true;
        else if (!strcmp(a, "--memory") && v && !parse_size(v, &n)) c.memory = n, i++;
        else if (!strcmp(a, "--limit") && v && !parse_size(v, &n)) c.limit = n, i++;
        else if (!strcmp(a, "--runs") && v && !parse_size(v, &n) && n >= 1 && n <= MAX_RUNS)
            c.runs = (unsigned)n, i++;
        else if (!strcmp(a, "--dir") && v) c.dir = v, i++;
        else if (!strcmp(a, "--workload") && v) c.workload = v, i++;
        else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 0;
        } else {
            usage(stderr);
            return 2;
        }
    }
    char dir[4096];
    if (snprintf(dir, sizeof(dir), "%s/xsr-bench.XXXXXX", c.dir) >= (int)sizeof(dir) || !mkdtemp(dir)) {
        fprintf(stderr, "%s: cannot make a directory there\n", c.dir);
        return 1;
    }
    char path[4200];
    snprintf(path, sizeof(path), "%s/guest.sim", dir);
    struct xsr_sim_create_opts co = XSR_SIM_CREATE_OPTS_INIT;
    co.type = XSR_SIM_PV;
    co.memory = c.memory;
    struct xsr_error err = {0};
    int rc = 1;
    double t0 = now_s();
    if (xsr_sim_create(path, &co, &err) < 0) {
        fprintf(stderr, "sim create: %s\n", err.message);
        goto out;
    }
    fprintf(stderr, "created %s in %.1f s\n", path, now_s() - t0);
    if (c.live) {
        rc = bench_live(&c, path);
    } else {
        struct xsr_domain *d = NULL;
        struct xsr_sim_summary s = XSR_SIM_SUMMARY_INIT;
        if (xsr_sim_open(path, &d, &err) < 0 || xsr_sim_summary(d, &s, &err) < 0) {
            fprintf(stderr, "%s: %s\n", path, err.message);
            xsr_domain_close(d);
            goto out;
        }
        xsr_domain_close(d);
        rc = bench_save(&c, path, s.nr_pages * PAGE);
    }
out:
    if (c.keep) {
        fprintf(stderr, "kept %s\n", path);
    } else {
        unlink(path);
        rmdir(dir);
    }
    return rc;
}
