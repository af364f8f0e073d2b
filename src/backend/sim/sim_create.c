/* SPDX-License-Identifier: MIT */
/*
 * xsr_sim_create and the factory a restore creates its domain with.  Both
 * write a temporary file that only a commit renames to its name.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "sim_internal.h"
#include "util/opts.h"

#define PV32_PFN_LIMIT 0xf5800ull /* below Xen's compat M2P at 0xF5800000 */

int xsr_sim_create(const char *path, const struct xsr_sim_create_opts *opts, struct xsr_error *err)
{
    struct xsr_sim_create_opts oc;
    const struct xsr_sim_create_opts *o = &oc;
    if (!path || !opts)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_create: NULL argument");
    int rc = xsri_opts_load(&oc, sizeof oc, opts, sizeof oc, "xsr_sim_create_opts", err);
    if (rc)
        return rc;
    if (o->memory % SIM_PAGE || o->memory < XSR_SIM_MEMORY_MIN || o->memory > XSR_SIM_MEMORY_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "guest memory must be a multiple of 4 KiB from 1 MiB to 64 GiB");
    if (o->type == XSR_SIM_PV32 && o->memory / SIM_PAGE > PV32_PFN_LIMIT)
        return xsr_error_set(err, XSR_ELIMIT, "a 32-bit PV sim guest has at most %llu MiB",
                             PV32_PFN_LIMIT * SIM_PAGE >> 20);
    if (o->vcpus == 0 || o->vcpus > XSR_VCPU_MAX)
        return xsr_error_set(err, XSR_ELIMIT, "vCPUs must be from 1 to %u", XSR_VCPU_MAX);
    if (o->balloon % SIM_PAGE || o->balloon > o->memory / 2)
        return xsr_error_set(err, XSR_ELIMIT, "the balloon must be a multiple of 4 KiB and at most half the memory");
    if (o->broken > 64)
        return xsr_error_set(err, XSR_ELIMIT, "at most 64 broken frames");

    uint64_t pages = o->memory / SIM_PAGE;
    struct sim_layout_req r = { .sim_type = o->type, .max_vcpus = o->vcpus, .seed = o->seed,
                                .frame_seed = o->frame_seed, .guest_width = 8 };
    switch (o->type) {
    case XSR_SIM_PV:
    case XSR_SIM_PV32:
        r.dom_type = XSR_DOM_X86_PV;
        r.guest_width = o->type == XSR_SIM_PV ? 8 : 4;
        r.pt_levels = o->type == XSR_SIM_PV ? 4 : 3;
        r.max_pfn = pages - 1;
        break;
    case XSR_SIM_HVM:
        r.dom_type = XSR_DOM_X86_HVM;
        r.max_pfn = sim_hvm_max_pfn(pages);
        break;
    default:
        return xsr_error_set(err, XSR_EINVAL, "unknown sim guest type %d", (int)o->type);
    }
    /* more machine frames than pfns, so machine numbers reach past the pfns */
    r.nr_frames = pages + 8 + pages / 8 + 64;
    struct sim_dom *s;
    rc = sim_file_new(path, &r, &s, err);
    if (rc)
        return rc;
    rc = o->type == XSR_SIM_HVM ? sim_build_hvm(s, o, err) : sim_build_pv(s, o, err);
    if (!rc) {
        sim_build_platform(s);
        rc = sim_file_commit(s, err);
    }
    sim_file_close(s);
    return rc;
}

struct factory_priv {
    char *path;
};

static int factory_create(const struct xsr_domain_factory *f, const struct xsr_domain_config *cfg,
                          struct xsr_domain **out, struct xsr_error *err)
{
    const struct factory_priv *fp = f->priv;
    struct xsr_domain_config cc;
    const struct xsr_domain_config *c = &cc;
    if (!cfg || !out)
        return xsr_error_set(err, XSR_EINVAL, "sim factory: NULL argument");
    int rc = xsri_opts_load(&cc, sizeof cc, cfg, sizeof cc, "xsr_domain_config", err);
    if (rc)
        return rc;
    struct sim_layout_req r = { .dom_type = c->type, .guest_width = c->guest_width,
                                .pt_levels = c->pt_levels, .max_vcpus = c->max_vcpus,
                                .max_pfn = c->max_pfn, .seed = c->max_pfn ^ 0xfac7 };
    if (c->type == XSR_DOM_X86_PV && c->guest_width == 8 && c->pt_levels == 4)
        r.sim_type = XSR_SIM_PV;
    else if (c->type == XSR_DOM_X86_PV && c->guest_width == 4 && c->pt_levels == 3)
        r.sim_type = XSR_SIM_PV32;
    else if (c->type == XSR_DOM_X86_HVM)
        r.sim_type = XSR_SIM_HVM, r.guest_width = 8, r.pt_levels = 0;
    else
        return xsr_error_set(err, XSR_EUNSUP,
                             "sim factory: no domain of type %" PRIu32 ", width %" PRIu32 ", %" PRIu32 " levels",
                             c->type, c->guest_width, c->pt_levels);
    if (c->max_pfn >= (1ull << 25))
        return xsr_error_set(err, XSR_ELIMIT, "sim factory: max pfn %#" PRIx64 " is too large", c->max_pfn);
    r.nr_frames = c->max_pfn + 1 + 64;
    struct sim_dom *s;
    rc = sim_file_new(fp->path, &r, &s, err);
    if (rc)
        return rc;
    *out = &s->dom;
    return 0;
}

static void factory_release(struct xsr_domain_factory *f)
{
    struct factory_priv *fp = f->priv;
    if (fp) {
        free(fp->path);
        free(fp);
    }
    f->priv = NULL;
}

int xsr_sim_factory(const char *path, struct xsr_domain_factory *f, struct xsr_error *err)
{
    if (!path || !f)
        return xsr_error_set(err, XSR_EINVAL, "xsr_sim_factory: NULL argument");
    struct factory_priv *fp = calloc(1, sizeof *fp);
    if (!fp || !(fp->path = strdup(path))) {
        free(fp);
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    }
    *f = (struct xsr_domain_factory){ .version = XSR_DOMAIN_FACTORY_VERSION, .size = sizeof *f,
                                      .priv = fp, .create = factory_create,
                                      .release = factory_release };
    return 0;
}
