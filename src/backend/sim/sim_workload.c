/* SPDX-License-Identifier: MIT */
/*
 * The workload: a thread of the process that holds the domain, writing guest
 * pages at a rate and in a pattern while the domain is not paused.  Each
 * write stamps a counter at the start of the page, in its middle, and last
 * at its end (the A-B pattern of QEMU's migration test guest): a copy taken
 * during the write has different stamps at the two ends.  Every write marks
 * the page dirty once it is complete, so a copy taken before the end of a
 * write is always sent again.  PV page tables are rewritten too (an L1
 * entry's accessed bit toggled) so re-sent tables are normalised again.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>

#include "sim_internal.h"
#include "util/opts.h"

struct sim_workload {
    pthread_t thread;
    struct sim_dom *s;
    struct xsr_sim_workload cfg;
    uint64_t *data, ndata, nhot;  /* data pfns; the hot set is the first nhot */
    uint64_t *l1, nl1;            /* L1 table pfns */
    uint64_t rng, sweep, writes;
    int stop;                     /* atomic */
};

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static void nap(long ns)
{
    struct timespec t = { 0, ns };
    while (nanosleep(&t, &t) != 0 && errno == EINTR)
        ;
}

static uint64_t pick(struct sim_workload *w)
{
    switch (w->cfg.pattern) {
    case XSR_SIM_HOT:
        return w->data[sim_rand(&w->rng) % w->nhot];
    case XSR_SIM_SWEEP:
        return w->data[w->sweep++ % w->ndata];
    default:
        return w->data[sim_rand(&w->rng) % w->ndata];
    }
}

static void write_page(struct sim_workload *w)
{
    struct sim_dom *s = w->s;
    uint64_t stamp = ++s->h->stamp;
    uint64_t pfn = pick(w);
    uint64_t *page = (uint64_t *)sim_frame(s, sim_p2m(s, pfn));
    uint64_t v = SIM_STAMP_TAG | (stamp & SIM_STAMP_MASK);
    __atomic_store_n(&page[0], v, __ATOMIC_RELAXED);
    __atomic_store_n(&page[1 + stamp % (SIM_PAGE / 8 - 2)], v, __ATOMIC_RELAXED);
    __atomic_store_n(&page[SIM_PAGE / 8 - 1], v, __ATOMIC_RELEASE);
    sim_mark_dirty(s, pfn);
}

static void write_pte(struct sim_workload *w)
{
    struct sim_dom *s = w->s;
    uint64_t pfn = w->l1[sim_rand(&w->rng) % w->nl1];
    uint64_t *t = (uint64_t *)sim_frame(s, sim_p2m(s, pfn));
    unsigned i = (unsigned)(sim_rand(&w->rng) % 512);
    uint64_t e = __atomic_load_n(&t[i], __ATOMIC_RELAXED);
    if (!(e & SIM_PTE_PRESENT))
        return;
    __atomic_store_n(&t[i], e ^ SIM_PTE_ACCESSED, __ATOMIC_RELEASE);
    sim_mark_dirty(s, pfn);
}

static void *run(void *arg)
{
    struct sim_workload *w = arg;
    struct sim_dom *s = w->s;
    double t0 = now_s();
    uint64_t base = 0; /* writes made before t0 */
    while (!__atomic_load_n(&w->stop, __ATOMIC_ACQUIRE)) {
        uint64_t batch = 64;
        if (w->cfg.rate) {
            double target = (now_s() - t0) * (double)w->cfg.rate;
            if ((double)(w->writes - base) >= target) {
                nap(200000);
                continue;
            }
            uint64_t due = (uint64_t)target - (w->writes - base);
            batch = due < 64 ? (due ? due : 1) : 64;
        }
        pthread_mutex_lock(&s->run_lock);
        if (s->h->paused) {
            pthread_mutex_unlock(&s->run_lock);
            nap(1000000);
            t0 = now_s(); /* no catching up on the time spent paused */
            base = w->writes;
            continue;
        }
        for (uint64_t i = 0; i < batch; i++, w->writes++) {
            if (w->nl1 && w->cfg.pt_every && w->writes % w->cfg.pt_every == w->cfg.pt_every - 1)
                write_pte(w);
            else
                write_page(w);
        }
        pthread_mutex_unlock(&s->run_lock);
    }
    return NULL;
}

static int fail(struct sim_workload *w, int rc)
{
    free(w->data);
    free(w->l1);
    free(w);
    return rc;
}

int xsr_sim_workload_start(struct xsr_domain *d, const struct xsr_sim_workload *wl,
                           struct xsr_error *err)
{
    struct xsr_sim_workload wc;
    const struct xsr_sim_workload *cfg = &wc;
    if (!xsr_sim_is(d) || !wl)
        return xsr_error_set(err, XSR_EINVAL, "workload: not a sim domain, or no workload");
    int rc = xsri_opts_load(&wc, sizeof wc, wl, sizeof wc, "xsr_sim_workload", err);
    if (rc)
        return rc;
    if (cfg->pattern > XSR_SIM_SWEEP || (cfg->pattern == XSR_SIM_HOT && (cfg->hot_pct < 1 || cfg->hot_pct > 100)))
        return xsr_error_set(err, XSR_EINVAL, "workload: bad pattern or hot-set size");
    struct sim_dom *s = sim_of(d);
    if (s->wl)
        return xsr_error_set(err, XSR_ESTATE, "a workload already runs on this domain");
    struct sim_workload *w = calloc(1, sizeof *w);
    if (!w)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    w->s = s;
    w->cfg = *cfg;
    w->rng = s->h->seed ^ s->h->stamp ^ 0x3017;
    uint64_t np = s->h->max_pfn + 1;
    w->data = malloc(np * sizeof(uint64_t));
    w->l1 = malloc(np * sizeof(uint64_t));
    if (!w->data || !w->l1)
        return fail(w, xsr_error_set(err, XSR_ENOMEM, "out of memory"));
    pthread_mutex_lock(&s->run_lock);
    for (uint64_t pfn = 0; pfn < np; pfn++) {
        if (sim_p2m(s, pfn) == XSR_INVALID_FRAME)
            continue;
        if (s->pinfo[pfn] == (SIM_ROLE_DATA | XSR_PFN_NOTAB))
            w->data[w->ndata++] = pfn;
        else if (xsr_pfn_type_level(sim_type(s, pfn)) == 1)
            w->l1[w->nl1++] = pfn;
    }
    pthread_mutex_unlock(&s->run_lock);
    if (!w->ndata)
        return fail(w, xsr_error_set(err, XSR_EINVAL, "workload: the domain has no data pages"));
#ifdef MADV_POPULATE_WRITE
    /* Map the frames writable now, in one call: a fault per page on the first
     * writes would hold the rate down far below what was asked for a while.
     * Best effort (older kernels do not know it). */
    if (sim_mostly_used(s))
        (void)madvise(s->frames, s->h->nr_frames * SIM_PAGE, MADV_POPULATE_WRITE);
#endif
    w->nhot = w->ndata * cfg->hot_pct / 100;
    if (!w->nhot)
        w->nhot = 1;
    if (pthread_create(&w->thread, NULL, run, w) != 0)
        return fail(w, xsr_error_set(err, XSR_ENOMEM, "cannot start the workload thread"));
    s->wl = w;
    return 0;
}

int xsr_sim_workload_stop(struct xsr_domain *d, uint64_t *writes, struct xsr_error *err)
{
    if (!xsr_sim_is(d))
        return xsr_error_set(err, XSR_EINVAL, "workload: not a sim domain");
    uint64_t n = sim_workload_stop_all(sim_of(d));
    if (writes)
        *writes = n;
    return 0;
}

uint64_t sim_workload_stop_all(struct sim_dom *s)
{
    struct sim_workload *w = s->wl;
    if (!w)
        return 0;
    __atomic_store_n(&w->stop, 1, __ATOMIC_RELEASE);
    pthread_join(w->thread, NULL);
    uint64_t n = w->writes;
    s->wl = NULL;
    fail(w, 0);
    return n;
}

static bool parse_count(const char *v, uint64_t *out)
{
    char *end;
    errno = 0;
    unsigned long long n = strtoull(v, &end, 10);
    uint64_t mul = 1;
    if (*end == 'K' || *end == 'k')
        mul = 1000, end++;
    else if (*end == 'M' || *end == 'm')
        mul = 1000000, end++;
    if (errno || end == v || *end || n > UINT64_MAX / mul)
        return false;
    *out = n * mul;
    return true;
}

int xsr_sim_workload_parse(const char *spec, struct xsr_sim_workload *w, struct xsr_error *err)
{
    if (!spec || !w)
        return xsr_error_set(err, XSR_EINVAL, "workload: NULL argument");
    char buf[256];
    if (strlen(spec) >= sizeof buf)
        return xsr_error_set(err, XSR_EINVAL, "workload spec too long");
    strcpy(buf, spec);
    char *save = NULL;
    for (char *it = strtok_r(buf, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        uint64_t n;
        if (strcmp(it, "uniform") == 0)
            w->pattern = XSR_SIM_UNIFORM;
        else if (strcmp(it, "sweep") == 0 || strcmp(it, "seq") == 0)
            w->pattern = XSR_SIM_SWEEP;
        else if (strcmp(it, "hot") == 0)
            w->pattern = XSR_SIM_HOT;
        else if (strncmp(it, "hot:", 4) == 0 && parse_count(it + 4, &n) && n >= 1 && n <= 100)
            w->pattern = XSR_SIM_HOT, w->hot_pct = (uint32_t)n;
        else if (strcmp(it, "rate=max") == 0)
            w->rate = 0;
        else if (strncmp(it, "rate=", 5) == 0 && parse_count(it + 5, &n) && n > 0)
            w->rate = n;
        else if (strncmp(it, "pt=", 3) == 0 && parse_count(it + 3, &n) && n <= UINT32_MAX)
            w->pt_every = (uint32_t)n;
        else
            return xsr_error_set(err, XSR_EINVAL,
                                 "workload item '%s' is not uniform, hot[:PCT], sweep, rate=N[K|M]|max or pt=N", it);
    }
    return 0;
}
