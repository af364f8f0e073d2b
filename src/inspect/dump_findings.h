/* SPDX-License-Identifier: MIT */
/* Findings held back until the record they concern has been printed. */
#ifndef XSR_INSPECT_DUMP_FINDINGS_H
#define XSR_INSPECT_DUMP_FINDINGS_H

#include <stdbool.h>
#include <stddef.h>

#include <xsr/check.h>

struct xsri_findings {
    struct xsr_finding *v; /* rule and message are owned copies */
    size_t n, cap;
    bool oom;              /* a finding could not be stored */
};

/* Checker callback: ctx is a struct xsri_findings. */
void xsri_findings_add(void *ctx, const struct xsr_finding *f);
void xsri_findings_clear(struct xsri_findings *fs);
void xsri_findings_free(struct xsri_findings *fs);

#endif
