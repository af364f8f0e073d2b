/* SPDX-License-Identifier: MIT */
/*
 * xsr_gen_write: the record sequence of a save image, in the order Xen's
 * saver (libxc) and toolstack (libxl, xl) write it:
 *
 *   [xl header + JSON config] [libxl header, LIBXC_CONTEXT]
 *   image header, domain header,
 *   static data: [PV: X86_PV_INFO] [v3+: X86_CPUID_POLICY, X86_MSR_POLICY,
 *                 STATIC_DATA_END] [PV: X86_PV_P2M_FRAMES]
 *   per checkpoint (once in a plain stream):
 *       memory passes (PAGE_DATA), [VERIFY + all pages again]
 *       v4: DOMAIN_CONTEXT | v2/v3: X86_TSC_INFO [PV: SHARED_INFO]
 *       PV: per vCPU BASIC, EXTENDED, XSAVE [MSRS] | HVM: HVM_CONTEXT, HVM_PARAMS
 *       [first checkpoint: optional record]
 *       [checkpointed: CHECKPOINT [libxl: HVM emulator records, CHECKPOINT_END]]
 *   END
 *   [libxl: plain HVM: EMULATOR_XENSTORE_DATA, EMULATOR_CONTEXT; END]
 *
 * The stream builder writes the framing (headers of every layer,
 * LIBXC_CONTEXT, CHECKPOINT_END, the ENDs); this file appends the records.
 * Bodies are built in one scratch arena (sized once for the largest group of
 * records) that is reused after each checkpoint.
 */
#include <stdlib.h>
#include <string.h>

#include "gen_internal.h"

static const uint8_t optional_body[12] = { 0, 0, 0, 1, 'x', 's', 'r', '-', 'g', 'e', 'n', 0 };

struct gen_out {
    const struct xsri_gen *g;
    struct xsr_builder *b;
    struct xsri_gen_mem *mem;
    uint8_t *arena;
    size_t arena_cap, arena_used;
    struct xsr_error *err;
};

static uint8_t *reserve(struct gen_out *s, size_t n)
{
    n = (n + 7) & ~(size_t)7;
    if (n > s->arena_cap - s->arena_used)
        return NULL;
    uint8_t *p = s->arena + s->arena_used;
    s->arena_used += n;
    return p;
}

static int flush(struct gen_out *s)
{
    s->arena_used = 0;
    return xsr_builder_flush(s->b, s->err);
}

static int record(struct gen_out *s, uint32_t type, const uint8_t *body, size_t len)
{
    return xsr_builder_record(s->b, type, body, (uint32_t)len, s->err);
}

static int no_room(struct gen_out *s, const char *what)
{
    return xsr_error_set(s->err, XSR_ELIMIT, "generator scratch space too small for %s", what);
}

static size_t pv_vcpu_bytes(void)
{
    return XSRI_GEN_VCPU_BODY_MAX + (XSR_VCPU_HDR_SIZE + 64) +
           (XSR_VCPU_HDR_SIZE + 16 + XSRI_GEN_XSAVE_SIZE) +
           (XSR_VCPU_HDR_SIZE + 2 * XSR_MSR_ENTRY_SIZE) + 4 * 8;
}

/* An upper bound of what is built between two flushes. */
static size_t arena_size(const struct xsri_gen *g)
{
    size_t stat = xsri_gen_xl_config(g, NULL, 0) + XSR_PV_INFO_SIZE + xsri_gen_cpuid_policy(g, NULL, 0) +
                  xsri_gen_msr_policy(g, NULL, 0) + XSR_P2M_FRAMES_HDR_SIZE +
                  (size_t)g->p2m_count * 8 + 64;
    size_t eoc = xsri_gen_domain_context(g, 0, NULL, 0) + XSR_TSC_INFO_SIZE + XSR_SHARED_INFO_SIZE +
                 xsri_gen_emu_xenstore(g, NULL, 0) + xsri_gen_emu_context(g, 0, NULL, 0) + 64;
    if (g->pv)
        eoc += (size_t)g->o.nr_vcpus * pv_vcpu_bytes();
    else
        eoc += xsri_gen_hvm_context(g, 0, NULL, 0) + xsri_gen_hvm_params(g, NULL, 0) + 16;
    return stat > eoc ? stat : eoc;
}

/* Opens the builder: the headers of every layer, the xl configuration. */
static int open_stream(struct gen_out *s, struct xsr_chan *ch)
{
    const struct xsri_gen *g = s->g;
    struct xsr_builder_opts bo = XSR_BUILDER_OPTS_INIT;
    bo.format = g->o.wrap;
    bo.version = g->o.version;
    bo.order = g->o.order;
    bo.domain = (struct xsr_dhdr){
        .type = g->o.dom_type, .page_shift = XSR_PAGE_SHIFT,
        .xen_major = XSRI_GEN_XEN_MAJOR, .xen_minor = g->xen_minor,
    };
    if (g->o.wrap == XSR_LAYER_XL) {
        size_t len = xsri_gen_xl_config(g, NULL, 0);
        uint8_t *opt = reserve(s, len);
        if (!opt || xsri_gen_xl_config(g, opt, len) != len)
            return no_room(s, "the xl configuration");
        bo.xl_mandatory_flags = XSR_XL_FLAG_JSON;
        bo.xl_config = opt;
        bo.xl_config_len = (uint32_t)len;
    }
    s->b = xsr_builder_new(ch, &bo, s->err);
    if (!s->b)
        return s->err && s->err->code ? s->err->code : XSR_ENOMEM;
    return 0;
}

static int write_static_data(struct gen_out *s)
{
    const struct xsri_gen *g = s->g;
    const enum xsr_byte_order o = g->o.order;
    int rc;

    if (g->pv) {
        struct xsr_pv_info pi = { .guest_width = (uint8_t)g->width, .pt_levels = (uint8_t)g->levels };
        uint8_t *b = reserve(s, XSR_PV_INFO_SIZE);
        if (!b)
            return no_room(s, "X86_PV_INFO");
        xsr_pv_info_encode(&pi, o, b);
        if ((rc = record(s, XSR_REC_X86_PV_INFO, b, XSR_PV_INFO_SIZE)) < 0)
            return rc;
    }
    if (g->o.version >= 3) {
        size_t n = xsri_gen_cpuid_policy(g, NULL, 0);
        uint8_t *b = reserve(s, n);
        if (!b)
            return no_room(s, "X86_CPUID_POLICY");
        xsri_gen_cpuid_policy(g, b, n);
        if ((rc = record(s, XSR_REC_X86_CPUID_POLICY, b, n)) < 0)
            return rc;
        n = xsri_gen_msr_policy(g, NULL, 0);
        if (!(b = reserve(s, n)))
            return no_room(s, "X86_MSR_POLICY");
        xsri_gen_msr_policy(g, b, n);
        if ((rc = record(s, XSR_REC_X86_MSR_POLICY, b, n)) < 0 ||
            (rc = record(s, XSR_REC_STATIC_DATA_END, NULL, 0)) < 0)
            return rc;
    }
    if (g->pv) {
        size_t n = XSR_P2M_FRAMES_HDR_SIZE + (size_t)g->p2m_count * 8;
        uint8_t *b = reserve(s, n);
        if (!b)
            return no_room(s, "X86_PV_P2M_FRAMES");
        xsr_st32(b, 0, o);                          /* p2m_start_pfn */
        xsr_st32(b + 4, (uint32_t)(g->n - 1), o);   /* p2m_end_pfn (inclusive) */
        for (uint64_t i = 0; i < g->p2m_count; i++)
            xsr_st64(b + XSR_P2M_FRAMES_HDR_SIZE + i * 8, g->p2m_first + i, o);
        if ((rc = record(s, XSR_REC_X86_PV_P2M_FRAMES, b, n)) < 0)
            return rc;
    }
    return flush(s);
}

static int write_pv_vcpus(struct gen_out *s, unsigned ckpt)
{
    const struct xsri_gen *g = s->g;
    int rc;
    for (unsigned v = 0; v < g->o.nr_vcpus; v++) {
        uint8_t *b = reserve(s, pv_vcpu_bytes());
        if (!b)
            return no_room(s, "the vCPU records");
        uint32_t n = xsri_gen_pv_basic(g, v, ckpt, b);
        if ((rc = record(s, XSR_REC_X86_PV_VCPU_BASIC, b, n)) < 0)
            return rc;
        b += (n + 7) & ~7u;
        n = xsri_gen_pv_extended(g, v, b);
        if ((rc = record(s, XSR_REC_X86_PV_VCPU_EXTENDED, b, n)) < 0)
            return rc;
        b += (n + 7) & ~7u;
        n = xsri_gen_pv_xsave(g, v, ckpt, b);
        if ((rc = record(s, XSR_REC_X86_PV_VCPU_XSAVE, b, n)) < 0)
            return rc;
        b += (n + 7) & ~7u;
        if (g->o.all_records) {
            n = xsri_gen_pv_msrs(g, v, b);
            if ((rc = record(s, XSR_REC_X86_PV_VCPU_MSRS, b, n)) < 0)
                return rc;
        }
    }
    return 0;
}

static int write_hvm_state(struct gen_out *s, unsigned ckpt)
{
    const struct xsri_gen *g = s->g;
    size_t n = xsri_gen_hvm_context(g, ckpt, NULL, 0);
    uint8_t *b = reserve(s, n);
    if (!b || xsri_gen_hvm_context(g, ckpt, b, n) != n)
        return no_room(s, "HVM_CONTEXT");
    int rc = record(s, XSR_REC_HVM_CONTEXT, b, n);
    if (rc < 0)
        return rc;
    n = xsri_gen_hvm_params(g, NULL, 0);
    if (!(b = reserve(s, n)))
        return no_room(s, "HVM_PARAMS");
    xsri_gen_hvm_params(g, b, n);
    return record(s, XSR_REC_HVM_PARAMS, b, n);
}

/* The arch end-of-checkpoint records (and v4's DOMAIN_CONTEXT before them). */
static int write_end_of_checkpoint(struct gen_out *s, unsigned ckpt)
{
    const struct xsri_gen *g = s->g;
    int rc;
    if (g->o.version >= 4) {
        size_t n = xsri_gen_domain_context(g, ckpt, NULL, 0);
        uint8_t *b = reserve(s, n);
        if (!b || xsri_gen_domain_context(g, ckpt, b, n) != n)
            return no_room(s, "DOMAIN_CONTEXT");
        if ((rc = record(s, XSR_REC_DOMAIN_CONTEXT, b, n)) < 0)
            return rc;
    } else {
        struct xsr_tsc_info t;
        uint8_t *b = reserve(s, XSR_TSC_INFO_SIZE);
        if (!b)
            return no_room(s, "X86_TSC_INFO");
        xsri_gen_tsc(g, ckpt, &t);
        xsr_tsc_info_encode(&t, g->o.order, b);
        if ((rc = record(s, XSR_REC_X86_TSC_INFO, b, XSR_TSC_INFO_SIZE)) < 0)
            return rc;
        if (g->pv) {
            if (!(b = reserve(s, XSR_SHARED_INFO_SIZE)))
                return no_room(s, "SHARED_INFO");
            xsri_gen_shared_info(g, ckpt, b);
            if ((rc = record(s, XSR_REC_SHARED_INFO, b, XSR_SHARED_INFO_SIZE)) < 0)
                return rc;
        }
    }
    return g->pv ? write_pv_vcpus(s, ckpt) : write_hvm_state(s, ckpt);
}

/* libxl: the device model's records (HVM guests only; PVH has none). */
static int write_emulator(struct gen_out *s, unsigned ckpt)
{
    const struct xsri_gen *g = s->g;
    if (g->pv || g->o.pvh)
        return 0;
    size_t n = xsri_gen_emu_xenstore(g, NULL, 0);
    uint8_t *b = reserve(s, n);
    if (!b)
        return no_room(s, "EMULATOR_XENSTORE_DATA");
    xsri_gen_emu_xenstore(g, b, n);
    int rc = xsr_builder_libxl_record(s->b, XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA, b, (uint32_t)n,
                                      s->err);
    if (rc < 0)
        return rc;
    n = xsri_gen_emu_context(g, ckpt, NULL, 0);
    if (!(b = reserve(s, n)))
        return no_room(s, "EMULATOR_CONTEXT");
    xsri_gen_emu_context(g, ckpt, b, n);
    return xsr_builder_libxl_record(s->b, XSR_LIBXL_REC_EMULATOR_CONTEXT, b, (uint32_t)n, s->err);
}

static int write_checkpoint(struct gen_out *s, unsigned k)
{
    const struct xsri_gen *g = s->g;
    const bool libxl = g->o.wrap != XSR_LAYER_LIBXC;
    unsigned first = xsri_gen_ckpt_first_pass(g, k), np = xsri_gen_ckpt_passes(g, k);
    int rc;

    for (unsigned p = first; p < first + np; p++)
        if ((rc = xsri_gen_mem_pass(s->mem, s->b, p, false, s->err)) < 0)
            return rc;
    if (g->o.verify_pass) {
        if ((rc = record(s, XSR_REC_VERIFY, NULL, 0)) < 0 ||
            (rc = xsri_gen_mem_pass(s->mem, s->b, 0, true, s->err)) < 0)
            return rc;
    }
    if ((rc = write_end_of_checkpoint(s, k)) < 0)
        return rc;
    /* the optional record closes the first checkpoint (in a plain stream: before END) */
    if (k == 0 && g->o.all_records &&
        (rc = record(s, XSR_GEN_OPTIONAL_REC_TYPE, optional_body, sizeof(optional_body))) < 0)
        return rc;
    /* libxl: the emulator's state goes with each checkpoint (CHECKPOINT_END
     * follows them, written by the builder) */
    if (g->o.checkpoints) {
        if ((rc = xsr_builder_checkpoint(s->b, s->err)) < 0)
            return rc;
        if (libxl && (rc = write_emulator(s, k)) < 0)
            return rc;
    }
    return flush(s);
}

static int write_image(struct gen_out *s, struct xsr_chan *ch)
{
    const struct xsri_gen *g = s->g;
    unsigned nck = g->o.checkpoints ? g->o.checkpoints : 1;
    int rc;

    if ((rc = open_stream(s, ch)) < 0 || (rc = write_static_data(s)) < 0)
        return rc;
    for (unsigned k = 0; k < nck; k++)
        if ((rc = write_checkpoint(s, k)) < 0)
            return rc;
    /* a plain libxl stream: the emulator's records after the libxc END */
    if (g->o.wrap != XSR_LAYER_LIBXC && !g->o.checkpoints &&
        ((rc = xsr_builder_libxc_end(s->b, s->err)) < 0 || (rc = write_emulator(s, 0)) < 0))
        return rc;
    return xsr_builder_end(s->b, s->err);
}

int xsr_gen_write(const struct xsr_gen_opts *o, struct xsr_chan *ch, struct xsr_error *err)
{
    struct xsri_gen g;
    struct gen_out s = { .g = &g, .err = err };
    int rc;

    if (!o || !ch)
        return xsr_error_set(err, XSR_EINVAL, "xsr_gen_write needs options and a channel");
    if ((rc = xsri_gen_setup(&g, o, err)) < 0)
        return rc;
    s.arena_cap = arena_size(&g);
    s.arena = malloc(s.arena_cap);
    s.mem = xsri_gen_mem_new(&g, err);
    if (!s.arena || !s.mem) {
        rc = s.mem ? xsr_error_set(err, XSR_ENOMEM, "cannot allocate %zu bytes for the generator",
                                   s.arena_cap)
                   : XSR_ENOMEM;
        goto out;
    }
    rc = write_image(&s, ch);
    /* a failed write already set err: free without overwriting it */
    int frc = xsr_builder_free(s.b, rc < 0 ? NULL : err);
    if (rc == 0)
        rc = frc;
out:
    xsri_gen_mem_free(s.mem);
    free(s.arena);
    return rc;
}
