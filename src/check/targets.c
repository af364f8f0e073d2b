/* SPDX-License-Identifier: MIT */
/*
 * What each deployed Xen release's restorer accepts (facts.md 3f: libxenguest
 * xg_sr_restore*.c), as data, and the check of a stream summary against it.
 */
#include <inttypes.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check_internal.h"
#include "util/opts.h"

#define BIT(t) (1u << (t))
/* Handled by every migration v2 restorer (Xen 4.6 on).  TOOLSTACK is left
 * out (current restorers reject it) and so is CHECKPOINT_DIRTY_PFN_LIST
 * (COLO's back channel only). */
#define V2_RECORDS                                                                                  \
    (BIT(XSR_REC_END) | BIT(XSR_REC_PAGE_DATA) | BIT(XSR_REC_X86_PV_INFO) |                         \
     BIT(XSR_REC_X86_PV_P2M_FRAMES) | BIT(XSR_REC_X86_PV_VCPU_BASIC) |                              \
     BIT(XSR_REC_X86_PV_VCPU_EXTENDED) | BIT(XSR_REC_X86_PV_VCPU_XSAVE) | BIT(XSR_REC_SHARED_INFO) | \
     BIT(XSR_REC_X86_TSC_INFO) | BIT(XSR_REC_HVM_CONTEXT) | BIT(XSR_REC_HVM_PARAMS) |              \
     BIT(XSR_REC_X86_PV_VCPU_MSRS) | BIT(XSR_REC_VERIFY) | BIT(XSR_REC_CHECKPOINT))
/* Stream version 3 (Xen 4.14) added STATIC_DATA_END and the CPU policies. */
#define V3_RECORDS \
    (V2_RECORDS | BIT(XSR_REC_STATIC_DATA_END) | BIT(XSR_REC_X86_CPUID_POLICY) | BIT(XSR_REC_X86_MSR_POLICY))

static const struct xsr_xen_target targets[] = {
    { "xen-4.6", "Xen 4.6-4.13", 6, 13, 2, 2, V2_RECORDS },
    { "xen-4.14", "Xen 4.14 and later", 14, UINT_MAX, 2, 3, V3_RECORDS },
};
#define N_TARGETS (sizeof(targets) / sizeof(targets[0]))

const struct xsr_xen_target *xsr_xen_targets(unsigned *count)
{
    if (count)
        *count = N_TARGETS;
    return targets;
}

const struct xsr_xen_target *xsr_xen_target_find(const char *name)
{
    unsigned long major, minor;
    char *end;

    if (!name)
        return NULL;
    if (strncmp(name, "xen-", 4) == 0)
        name += 4;
    if (*name < '0' || *name > '9')
        return NULL;
    major = strtoul(name, &end, 10);
    if (*end != '.' || end[1] < '0' || end[1] > '9')
        return NULL;
    minor = strtoul(end + 1, &end, 10);
    /* a point release ("4.17.2") restores as its minor release does */
    if (*end == '.') {
        end++;
        if (*end < '0' || *end > '9')
            return NULL;
        while (*end >= '0' && *end <= '9')
            end++;
    }
    if (*end || major != 4)
        return NULL;
    for (unsigned i = 0; i < N_TARGETS; i++)
        if (minor >= targets[i].first_minor && minor <= targets[i].last_minor)
            return &targets[i];
    return NULL;
}

static void because(struct xsr_restore_verdict *v, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void because(struct xsr_restore_verdict *v, const char *fmt, ...)
{
    va_list ap;

    v->restorable = false;
    if (v->n_reasons >= XSR_RESTORE_MAX_REASONS)
        return;
    va_start(ap, fmt);
    vsnprintf(v->reasons[v->n_reasons++], sizeof(v->reasons[0]), fmt, ap);
    va_end(ap);
}

static void judge(const struct xsr_xen_target *t, const struct xsr_check_summary *s,
                  struct xsr_restore_verdict *v)
{
    memset(v, 0, sizeof(*v));
    v->size = sizeof(*v);
    v->restorable = true;
    if (s->errors)
        because(v, "the image is invalid (%u error%s)", s->errors, s->errors == 1 ? "" : "s");
    else if (!s->complete)
        because(v, "the image ends before its END record");
    if (s->version == 0)
        return s->errors ? (void)0 : because(v, "no migration v2 stream was found");
    if (s->version < t->min_version || s->version > t->max_version) {
        if (t->min_version == t->max_version)
            because(v, "stream version %" PRIu32 ": the restorer of %s reads version %" PRIu32 " only%s", s->version,
                    t->releases, t->max_version, s->version > 3 ? " (no released Xen restores v4)" : "");
        else
            because(v, "stream version %" PRIu32 ": the restorer of %s reads versions %" PRIu32 "-%" PRIu32 "%s", s->version,
                    t->releases, t->min_version, t->max_version,
                    s->version > 3 ? " (no released Xen restores v4)" : "");
    }
    if (s->order == XSR_BIG_ENDIAN)
        because(v, "big-endian stream: Xen's restorer reads little-endian streams only");
    if (s->dom_type && s->dom_type != XSR_DOM_X86_PV && s->dom_type != XSR_DOM_X86_HVM)
        because(v, "guest type %" PRIu32 ": Xen's restorer handles x86 PV and HVM guests only", s->dom_type);
    if (s->checkpoints)
        because(v, "checkpointed (Remus/COLO) stream: a plain restore refuses its %" PRIu64 " CHECKPOINT record%s",
                s->checkpoints, s->checkpoints == 1 ? "" : "s");
    for (uint32_t type = 0; type < XSR_REC_TYPE_COUNT; type++) {
        if (!s->bytes_by_type[type] || (t->known_records & BIT(type)) || type == XSR_REC_CHECKPOINT)
            continue;
        because(v, "%s records: the restorer of %s does not know them (\"Mandatory record not handled\")",
                xsr_rec_type_name(type), t->releases);
    }
}

int xsr_xen_target_check(const struct xsr_xen_target *t, const struct xsr_check_summary *s,
                         struct xsr_restore_verdict *v, struct xsr_error *err)
{
    if (xsri_opts_check(v->size, sizeof(*v), sizeof(*v), "xsr_restore_verdict", err) < 0)
        return XSR_EINVAL;
    judge(t, s, v);
    return 0;
}
