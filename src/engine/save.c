/* SPDX-License-Identifier: MIT */
/*
 * The generic save (Xen's xg_sr_save.c): headers and static data, the
 * memory in passes of PAGE_DATA records (once, or pre-copy over the dirty
 * log until a policy says stop), the state, END.  Pages go to the stream
 * straight from the back end's mapping; only page tables are copied, to be
 * normalised.  A zero page never sent with data before goes as XALLOC: the
 * receiver populates the frame, and a new frame reads as zeros.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine_internal.h"
#include "util/opts.h"

uint64_t xsri_now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static uint64_t ms_since(uint64_t t0) { return (xsri_now_ns() - t0) / 1000000u; }

int xsri_get_blob(struct xsri_save *s,
                  int (*get)(struct xsr_domain *, uint8_t *, size_t, size_t *, struct xsr_error *),
                  const char *what, uint8_t **buf, size_t *len, struct xsr_error *err)
{
    *buf = NULL;
    *len = 0;
    if (!get)
        return xsr_error_set(err, XSR_EUNSUP, "the %s back end cannot give the %s",
                             s->d->ops->name ? s->d->ops->name : "domain", what);
    size_t n = 0;
    int rc = get(s->d, NULL, 0, &n, err);
    if (rc < 0 || n == 0)
        return rc;
    if (n > XSR_REC_LENGTH_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "the %s of %zu bytes does not fit a record", what, n);
    uint8_t *b = malloc(n);
    if (!b)
        return xsr_error_set(err, XSR_ENOMEM, "no memory for the %s (%zu bytes)", what, n);
    rc = get(s->d, b, n, &n, err);
    if (rc < 0) {
        free(b);
        return rc;
    }
    *buf = b;
    *len = n;
    return 0;
}

/* A record whose body is a blob of the back end (skipped when empty). */
static int blob_record(struct xsri_save *s, uint32_t type,
                       int (*get)(struct xsr_domain *, uint8_t *, size_t, size_t *, struct xsr_error *),
                       const char *what, struct xsr_error *err)
{
    uint8_t *b;
    size_t n;
    int rc = xsri_get_blob(s, get, what, &b, &n, err);
    if (rc == 0 && n)
        rc = xsr_builder_record(s->b, type, b, (uint32_t)n, err);
    free(b);
    return rc;
}

static int policy_record(struct xsri_save *s, unsigned kind, struct xsr_error *err)
{
    size_t n = 0;
    int rc = XSR_DOMAIN_CALL(s->d, get_cpu_policy, err, kind, NULL, 0, &n, err);
    if (rc < 0 || n == 0)
        return rc;
    if (n > XSR_REC_LENGTH_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "a CPU policy of %zu bytes", n);
    uint8_t *b = malloc(n);
    if (!b)
        return xsr_error_set(err, XSR_ENOMEM, "no memory for a CPU policy");
    rc = s->d->ops->get_cpu_policy(s->d, kind, b, n, &n, err);
    if (rc == 0)
        rc = xsr_builder_record(s->b, kind, b, (uint32_t)n, err);
    free(b);
    return rc;
}

/* ------------------------------------------------------------- progress */

static void report(struct xsri_save *s, enum xsr_phase phase, uint64_t dirty, double bw,
                   double rate, int64_t eta_ms, bool force)
{
    static const uint64_t every_ns = 100000000u;
    if (!s->o.progress)
        return;
    uint64_t now = xsri_now_ns();
    if (!force && now - s->last_report_ns < every_ns)
        return;
    s->last_report_ns = now;
    struct xsr_progress p = {
        .size = sizeof(p), .phase = phase, .iteration = s->iteration,
        .bytes = s->b ? xsr_builder_offset(s->b) : s->bytes_done, .pages = s->pages_sent,
        .dirty = dirty,
        .bandwidth = bw, .dirty_rate = rate, .elapsed_ms = (now - s->t0_ns) / 1000000u,
        .eta_ms = eta_ms,
        .downtime_ms = phase == XSR_PHASE_DONE && s->pause_ns
                           ? (int64_t)((now - s->pause_ns) / 1000000u) : -1,
    };
    s->o.progress(s->o.progress_ctx, &p);
}

/* ---------------------------------------------------------------- pages */

static bool all_zero(const uint8_t *p)
{
    /* a page is zero if its first word is and every byte equals the one
     * 8 bytes before it */
    uint64_t w;
    memcpy(&w, p, 8);
    return w == 0 && memcmp(p, p + 8, XSR_PAGE_SIZE - 8) == 0;
}

/* Keep the bandwidth limit: sleep until the bytes of this pass are due. */
static void throttle(struct xsri_save *s, uint64_t pass_t0, uint64_t pass_bytes0)
{
    if (!s->o.bandwidth_limit)
        return;
    uint64_t sent = xsr_builder_offset(s->b) - pass_bytes0;
    uint64_t due_ns = (uint64_t)((double)sent / (double)s->o.bandwidth_limit * 1e9);
    uint64_t el = xsri_now_ns() - pass_t0;
    if (due_ns > el) {
        uint64_t d = due_ns - el;
        struct timespec ts = {.tv_sec = (time_t)(d / 1000000000u), .tv_nsec = (long)(d % 1000000000u)};
        nanosleep(&ts, NULL);
    }
}

/*
 * Send the n pfns in s->pfns as one PAGE_DATA record.  verify: every page
 * with data (a VERIFY pass).  While running, a page table that names a frame
 * in flux is sent as XTAB and deferred to the paused pass, as Xen does.
 */
static int send_batch(struct xsri_save *s, uint32_t n, bool verify, struct xsr_error *err)
{
    int rc = XSR_DOMAIN_CALL(s->d, get_page_types, err, s->pfns, n, s->types, err);
    if (rc < 0)
        return rc;
    /* map the frames that have one */
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) {
        unsigned t = s->types[i];
        if (t != XSR_PFN_XTAB && t != XSR_PFN_BROKEN && t != XSR_PFN_XALLOC)
            s->mpfns[m++] = s->pfns[i];
    }
    void *handle = NULL;
    if (m && (rc = XSR_DOMAIN_CALL(s->d, map_frames, err, XSR_MAP_READ, s->mpfns, m, s->pages,
                                   s->errs, &handle, err)) < 0)
        return rc;
    uint32_t k = 0, tabs = 0;
    int niov = 0;
    for (uint32_t i = 0; i < n && rc == 0; i++) {
        uint64_t pfn = s->pfns[i];
        unsigned t = s->types[i];
        if (t == XSR_PFN_XTAB || t == XSR_PFN_BROKEN || t == XSR_PFN_XALLOC) {
            s->words[i] = xsr_pfn_word_make(t == XSR_PFN_XALLOC ? XSR_PFN_XTAB : t, pfn);
            s->xtab += t != XSR_PFN_BROKEN;
            continue;
        }
        uint8_t *page = s->pages[k];
        int perr = s->errs[k++];
        if (!page || perr < 0) { /* the frame went away: nothing to send */
            s->words[i] = xsr_pfn_word_make(XSR_PFN_XTAB, pfn);
            s->xtab++;
            continue;
        }
        unsigned lt = t & 0x7u;
        if (lt >= XSR_PFN_L1TAB && lt <= XSR_PFN_L4TAB) {
            uint8_t *copy = s->tables + (size_t)tabs * XSR_PAGE_SIZE;
            memcpy(copy, page, XSR_PAGE_SIZE);
            bool defer = false;
            rc = s->t->normalise_table(s, pfn, t, copy, &defer, err);
            if (rc < 0)
                break;
            if (defer) {
                xsri_set(s->deferred, pfn);
                s->words[i] = xsr_pfn_word_make(XSR_PFN_XTAB, pfn);
                continue;
            }
            tabs++;
            page = copy;
        } else if (!verify && !s->o.no_zero_elision && !xsri_test(s->sent_data, pfn) &&
                   all_zero(page)) {
            s->words[i] = xsr_pfn_word_make(XSR_PFN_XALLOC, pfn);
            s->zero_pages++;
            continue;
        }
        s->words[i] = xsr_pfn_word_make(t, pfn);
        s->iov[niov++] = (struct iovec){.iov_base = page, .iov_len = XSR_PAGE_SIZE};
        if (!verify)
            xsri_set(s->sent_data, pfn);
    }
    if (rc == 0)
        rc = xsr_builder_page_data(s->b, s->words, n, s->iov, niov, err);
    if (handle)
        s->d->ops->unmap_frames(s->d, handle);
    if (rc == 0)
        s->pages_sent += (uint64_t)niov;
    return rc;
}

/* Send every pfn set in bm (or all pfns when bm is NULL), in batches. */
static int send_pass(struct xsri_save *s, const uint64_t *bm, bool verify, enum xsr_phase ph,
                     struct xsr_error *err)
{
    uint64_t t0 = xsri_now_ns(), b0 = xsr_builder_offset(s->b);
    uint32_t n = 0;
    for (uint64_t w = 0; w < (s->nbits + 63) / 64; w++) {
        uint64_t bits = bm ? bm[w] : ~0ull;
        while (bits) {
            unsigned b = (unsigned)__builtin_ctzll(bits);
            bits &= bits - 1;
            uint64_t pfn = w * 64 + b;
            if (pfn >= s->nbits)
                break;
            s->pfns[n++] = pfn;
            if (n == XSR_PAGE_BATCH_MAX) {
                int rc = send_batch(s, n, verify, err);
                if (rc < 0)
                    return rc;
                n = 0;
                throttle(s, t0, b0);
                report(s, ph, 0, 0, 0, -1, false);
            }
        }
    }
    return n ? send_batch(s, n, verify, err) : 0;
}

static uint64_t count_bits(const uint64_t *bm, uint64_t nbits)
{
    uint64_t c = 0;
    for (uint64_t w = 0; w < (nbits + 63) / 64; w++)
        c += (uint64_t)__builtin_popcountll(bm[w]);
    return c;
}

/* ---------------------------------------------------------------- live */

static enum xsr_live_decision decide(struct xsri_save *s, const struct xsr_live_state *ls)
{
    if (s->o.policy_fn)
        return s->o.policy_fn(s->o.policy_ctx, ls);
    return s->o.policy == XSR_POLICY_XEN ? xsr_policy_xen(&s->o, ls)
                                         : xsr_policy_downtime(&s->o, ls);
}

static int pause_guest(struct xsri_save *s, struct xsr_error *err)
{
    if (s->paused)
        return 0;
    /* a PV guest suspends itself for the last pass (its start info then
     * names frames by pfn); a back end that cannot is paused */
    int rc = XSR_DOMAIN_OPS_HAS(s->d->ops, suspend) ? s->d->ops->suspend(s->d, err)
                                                    : xsr_domain_pause(s->d, err);
    if (rc == 0) {
        s->paused = true;
        if (!s->info.paused)
            s->pause_ns = xsri_now_ns();
    }
    return rc;
}

static int live_passes(struct xsri_save *s, struct xsr_save_result *r, struct xsr_error *err)
{
    int rc = XSR_DOMAIN_CALL(s->d, dirty_log_enable, err, err);
    if (rc < 0)
        return rc;
    uint64_t last_sent = 0; /* pages the last pass sent (0: the first pass sends all) */
    for (;;) {
        uint64_t t0 = xsri_now_ns(), b0 = xsr_builder_offset(s->b);
        s->iteration++;
        rc = send_pass(s, s->iteration == 1 ? NULL : s->dirty, false, XSR_PHASE_LIVE, err);
        if (rc < 0)
            break;
        memset(s->dirty, 0, (s->nbits + 63) / 64 * 8);
        rc = s->d->ops->dirty_log_read(s->d, 0, s->dirty, s->nbits, NULL, err);
        if (rc < 0)
            break;
        uint64_t dirty = count_bits(s->dirty, s->nbits);
        double secs = (double)(xsri_now_ns() - t0) / 1e9;
        if (secs <= 0)
            secs = 1e-9;
        struct xsr_live_state ls = {
            .size = sizeof(ls), .iteration = s->iteration, .pages_sent = s->pages_sent,
            .bytes_sent = xsr_builder_offset(s->b), .dirty = dirty, .prev_dirty = last_sent,
            .bandwidth = (double)(xsr_builder_offset(s->b) - b0) / secs,
            .dirty_rate = (double)dirty / secs, .elapsed_ms = ms_since(s->t0_ns),
        };
        last_sent = dirty;
        int64_t eta = ls.bandwidth > 0 ? (int64_t)((double)dirty * XSR_PAGE_SIZE / ls.bandwidth * 1000) : -1;
        report(s, XSR_PHASE_LIVE, dirty, ls.bandwidth, ls.dirty_rate, eta, true);
        enum xsr_live_decision dec = decide(s, &ls);
        if (dec == XSR_LIVE_ABORT) {
            rc = xsr_error_set(err, XSR_EFAULT,
                               "live save did not converge: %" PRIu64 " pages still dirty after "
                               "%" PRIu32 " passes (%.0f pages/s dirtied, %.1f MiB/s sent); the "
                               "guest keeps running",
                               dirty, s->iteration, ls.dirty_rate, ls.bandwidth / 1048576.0);
            break;
        }
        if (dec == XSR_LIVE_STOP_AND_COPY) {
            r->converged = xsri_policy_converged(&s->o, &ls);
            break;
        }
    }
    if (rc == 0)
        rc = pause_guest(s, err);
    if (rc == 0)
        rc = s->d->ops->dirty_log_read(s->d, XSR_DIRTY_FINAL, s->dirty, s->nbits, NULL, err);
    struct xsr_error derr = {0};
    (void)s->d->ops->dirty_log_disable(s->d, &derr);
    return rc;
}

/* ------------------------------------------------------------- the save */

static int check_opts(struct xsri_save *s, struct xsr_error *err)
{
    if (s->o.format != XSR_LAYER_XL && s->o.format != XSR_LAYER_LIBXL && s->o.format != XSR_LAYER_LIBXC)
        return xsr_error_set(err, XSR_EINVAL, "save: the format must be xl, libxl or libxc");
    if (s->o.version < 2 || s->o.version > 4)
        return xsr_error_set(err, XSR_EINVAL, "save: stream version %" PRIu32 " (2, 3 or 4)",
                             s->o.version);
    if (s->o.xl_config_len && !s->o.xl_config)
        return xsr_error_set(err, XSR_EINVAL, "save: an xl configuration length without one");
    return 0;
}

/* The xl layer wants the domain configuration; without one from the caller,
 * the shape of the domain as libxl JSON. */
static int default_config(struct xsri_save *s, char *buf, size_t cap)
{
    bool pv = s->info.type == XSR_DOM_X86_PV;
    uint64_t kb = s->info.nr_pages * 4;
    int n = snprintf(buf, cap,
                     "{\n    \"c_info\": {\n        \"type\": \"%s\",\n        \"name\": \"xsr-%s\"\n"
                     "    },\n    \"b_info\": {\n        \"max_vcpus\": %" PRIu32 ",\n"
                     "        \"max_memkb\": %" PRIu64 ",\n        \"target_memkb\": %" PRIu64 "\n"
                     "    }\n}\n",
                     pv ? "pv" : "hvm", s->d->ops->name ? s->d->ops->name : "domain",
                     s->info.max_vcpu_id + 1, kb, kb);
    return n < 0 || (size_t)n >= cap ? -1 : n + 1; /* with the NUL, as xl writes it */
}

static int write_stream(struct xsri_save *s, struct xsr_chan *out, struct xsr_save_result *r,
                        struct xsr_error *err)
{
    struct xsr_builder_opts bo = XSR_BUILDER_OPTS_INIT;
    bo.format = s->o.format;
    bo.version = s->o.version;
    bo.domain.type = s->info.type;
    bo.domain.page_shift = XSR_PAGE_SHIFT;
    bo.domain.xen_major = s->info.xen_major;
    bo.domain.xen_minor = s->info.xen_minor;
    uint8_t *optional = NULL;
    if (s->o.format == XSR_LAYER_XL) {
        /* the optional data: u32 length, then the configuration */
        char config[1024];
        const void *c = s->o.xl_config;
        uint32_t n = s->o.xl_config_len;
        if (!c) {
            int k = default_config(s, config, sizeof(config));
            if (k < 0)
                return xsr_error_set(err, XSR_ELIMIT, "save: the domain configuration is too long");
            c = config;
            n = (uint32_t)k;
        }
        if (n > XSR_REC_LENGTH_MAX || !(optional = malloc(4 + (size_t)n)))
            return xsr_error_set(err, XSR_ENOMEM, "save: no room for a configuration of %" PRIu32
                                                  " bytes", n);
        xsr_st32(optional, n, XSR_LITTLE_ENDIAN);
        memcpy(optional + 4, c, n);
        bo.xl_mandatory_flags = XSR_XL_FLAG_JSON;
        bo.xl_config = optional;
        bo.xl_config_len = 4 + n;
    }
    s->b = xsr_builder_new(out, &bo, err);
    free(optional);
    if (!s->b)
        return err ? err->code : XSR_EINVAL;

    int rc = s->t->static_data(s, err);
    if (rc == 0 && s->o.version >= 3)
        rc = policy_record(s, XSR_POLICY_CPUID, err);
    if (rc == 0 && s->o.version >= 3)
        rc = policy_record(s, XSR_POLICY_MSR, err);
    if (rc == 0 && s->o.version >= 3)
        rc = xsr_builder_record(s->b, XSR_REC_STATIC_DATA_END, NULL, 0, err);
    if (rc == 0)
        rc = s->t->start_of_stream(s, err);
    if (rc < 0)
        return rc;

    if (s->o.live && !s->info.paused) {
        rc = live_passes(s, r, err);
        if (rc == 0) {
            s->iteration++;
            for (uint64_t w = 0; w < (s->nbits + 63) / 64; w++)
                s->dirty[w] |= s->deferred[w];
            uint64_t before = s->pages_sent;
            rc = send_pass(s, s->dirty, false, XSR_PHASE_FINAL, err);
            r->final_pages = s->pages_sent - before;
        }
    } else {
        rc = pause_guest(s, err);
        s->iteration = 1;
        uint64_t before = s->pages_sent;
        if (rc == 0)
            rc = send_pass(s, NULL, false, XSR_PHASE_FINAL, err);
        r->final_pages = s->pages_sent - before;
    }
    if (rc == 0 && s->o.debug) {
        rc = xsr_builder_record(s->b, XSR_REC_VERIFY, NULL, 0, err);
        if (rc == 0)
            rc = send_pass(s, NULL, true, XSR_PHASE_FINAL, err);
    }
    if (rc < 0)
        return rc;

    /* the state: v4 folds shared info and TSC info into DOMAIN_CONTEXT */
    if (s->o.version >= 4) {
        rc = blob_record(s, XSR_REC_DOMAIN_CONTEXT, s->d->ops->get_domain_context,
                         "domain context", err);
    } else {
        struct xsr_tsc_info tsc = {0};
        uint8_t b[XSR_TSC_INFO_SIZE];
        rc = XSR_DOMAIN_CALL(s->d, get_tsc_info, err, &tsc, err);
        xsr_tsc_info_encode(&tsc, XSR_LITTLE_ENDIAN, b);
        if (rc == 0)
            rc = xsr_builder_record(s->b, XSR_REC_X86_TSC_INFO, b, sizeof(b), err);
        if (rc == 0 && s->info.type == XSR_DOM_X86_PV)
            rc = blob_record(s, XSR_REC_SHARED_INFO, s->d->ops->get_shared_info, "shared info",
                             err);
    }
    if (rc == 0)
        rc = s->t->end_of_checkpoint(s, err);
    if (rc == 0)
        rc = xsr_builder_end(s->b, err);
    return rc;
}

int xsr_save(struct xsr_domain *d, struct xsr_chan *out, const struct xsr_save_opts *opts,
             struct xsr_save_result *result, struct xsr_error *err)
{
    struct xsr_save_result r = XSR_SAVE_RESULT_INIT;
    if (!d || !d->ops || !out)
        return xsr_error_set(err, XSR_EINVAL, "save: no domain or output");
    if (result && xsri_opts_check(result->size, sizeof(r), sizeof(r), "xsr_save_result", err) < 0)
        return XSR_EINVAL;
    struct xsri_save *s = calloc(1, sizeof(*s));
    if (!s)
        return xsr_error_set(err, XSR_ENOMEM, "no memory for a save");
    int rc = xsri_opts_load(&s->o, sizeof(s->o), opts, sizeof(s->o), "xsr_save_opts", err);
    if (rc == 0 && !opts) {
        s->o.format = XSR_LAYER_XL;
        s->o.version = 3;
    }
    if (rc == 0)
        rc = check_opts(s, err);
    s->d = d;
    s->t0_ns = xsri_now_ns();
    s->info.size = sizeof(s->info);
    if (rc == 0)
        rc = xsr_domain_get_info(d, &s->info, err);
    bool was_running = rc == 0 && !s->info.paused;
    if (rc == 0) {
        if (s->info.type == XSR_DOM_X86_PV)
            s->t = &xsri_save_pv;
        else if (s->info.type == XSR_DOM_X86_HVM)
            s->t = &xsri_save_hvm;
        else
            rc = xsr_error_set(err, XSR_EUNSUP, "save: domain type %" PRIu32, s->info.type);
    }
    if (rc == 0 && s->info.max_pfn >= (1ull << 40))
        rc = xsr_error_set(err, XSR_ELIMIT, "save: max pfn %#" PRIx64 " is beyond what xsr saves",
                           s->info.max_pfn);
    if (rc == 0) {
        s->nbits = s->info.max_pfn + 1;
        size_t words = (size_t)((s->nbits + 63) / 64);
        s->sent_data = calloc(words, 8);
        s->dirty = calloc(words, 8);
        s->deferred = calloc(words, 8);
        s->tables = malloc((size_t)XSR_PAGE_BATCH_MAX * XSR_PAGE_SIZE);
        if (!s->sent_data || !s->dirty || !s->deferred || !s->tables)
            rc = xsr_error_set(err, XSR_ENOMEM, "save: no memory for the state of %" PRIu64 " frames",
                               s->nbits);
    }
    if (rc == 0)
        rc = write_stream(s, out, &r, err);
    if (s->b) {
        struct xsr_error ferr = {0};
        int frc = xsr_builder_free(s->b, rc == 0 ? err : &ferr);
        s->b = NULL;
        if (rc == 0)
            rc = frc;
    }
    s->bytes_done = xsr_chan_offset(out);
    r.bytes = xsr_chan_offset(out);
    r.pages = s->pages_sent;
    r.zero_pages = s->zero_pages;
    r.xtab = s->xtab;
    r.iterations = s->iteration;
    r.total_ms = ms_since(s->t0_ns);
    r.downtime_ms = s->pause_ns ? (xsri_now_ns() - s->pause_ns) / 1000000u : 0;
    if (rc == 0)
        report(s, XSR_PHASE_DONE, 0, 0, 0, 0, true);
    /* the guest runs again after a failure, or when asked to */
    if (s->paused && was_running && (rc < 0 || s->o.resume)) {
        struct xsr_error uerr = {0};
        int urc = xsr_domain_unpause(d, rc < 0 ? &uerr : err);
        if (rc == 0)
            rc = urc;
    }
    free(s->sent_data);
    free(s->dirty);
    free(s->deferred);
    free(s->tables);
    free(s);
    if (result) {
        size_t sz = result->size;
        memcpy(result, &r, sz < sizeof(r) ? sz : sizeof(r));
        result->size = sz;
    }
    return rc;
}
