/* SPDX-License-Identifier: MIT */
#include "dump_findings.h"

#include <stdlib.h>
#include <string.h>

void xsri_findings_add(void *ctx, const struct xsr_finding *f)
{
    struct xsri_findings *fs = ctx;
    struct xsr_finding *slot;
    char *rule, *msg;

    if (fs->n == fs->cap) {
        size_t cap = fs->cap ? fs->cap * 2 : 8;
        struct xsr_finding *v = realloc(fs->v, cap * sizeof(*v));

        if (!v) {
            fs->oom = true;
            return;
        }
        fs->v = v;
        fs->cap = cap;
    }
    rule = strdup(f->rule ? f->rule : "");
    msg = strdup(f->message ? f->message : "");
    if (!rule || !msg) {
        free(rule);
        free(msg);
        fs->oom = true;
        return;
    }
    slot = &fs->v[fs->n++];
    *slot = *f;
    slot->rule = rule;
    slot->message = msg;
}

void xsri_findings_clear(struct xsri_findings *fs)
{
    for (size_t i = 0; i < fs->n; i++) {
        free((char *)fs->v[i].rule);
        free((char *)fs->v[i].message);
    }
    fs->n = 0;
}

void xsri_findings_free(struct xsri_findings *fs)
{
    xsri_findings_clear(fs);
    free(fs->v);
    fs->v = NULL;
    fs->cap = 0;
}
