/* SPDX-License-Identifier: MIT */
/*
 * The HVM parts of a save (Xen's xg_sr_save_x86_hvm.c): no static data of
 * their own, guest memory as it is, and the HVM context and parameters
 * after the memory.
 */
#include <stdlib.h>

#include "engine_internal.h"

static int none(struct xsri_save *s, struct xsr_error *err)
{
    (void)s;
    (void)err;
    return 0;
}

static int hvm_normalise_table(struct xsri_save *s, uint64_t pfn, unsigned type, uint8_t *page,
                               bool *defer, struct xsr_error *err)
{
    (void)s, (void)page, (void)defer;
    return xsr_error_set(err, XSR_EFAULT, "save: the back end types HVM pfn %#llx as a page "
                                          "table (%u)", (unsigned long long)pfn, type);
}

static int hvm_end_of_checkpoint(struct xsri_save *s, struct xsr_error *err)
{
    uint8_t *ctx;
    size_t len;
    int rc = xsri_get_blob(s, s->d->ops->get_hvm_context, "HVM context", &ctx, &len, err);
    if (rc == 0 && len == 0)
        rc = xsr_error_set(err, XSR_EFAULT, "save: the back end gives an empty HVM context");
    if (rc == 0)
        rc = xsr_builder_record(s->b, XSR_REC_HVM_CONTEXT, ctx, (uint32_t)len, err);
    free(ctx);
    if (rc < 0)
        return rc;
    uint8_t body[XSR_HVM_PARAMS_HDR_SIZE + XSR_HVM_PARAMS_SAVED * XSR_HVM_PARAM_ENTRY_SIZE] = {0};
    uint32_t n = 0;
    for (unsigned i = 0; i < XSR_HVM_PARAMS_SAVED; i++) {
        uint64_t v = 0;
        rc = XSR_DOMAIN_CALL(s->d, get_hvm_param, err, xsr_hvm_params_saved[i], &v, err);
        if (rc < 0)
            return rc;
        if (!v)
            continue;
        uint8_t *e = body + XSR_HVM_PARAMS_HDR_SIZE + n++ * XSR_HVM_PARAM_ENTRY_SIZE;
        xsr_st64(e, xsr_hvm_params_saved[i], XSR_LITTLE_ENDIAN);
        xsr_st64(e + 8, v, XSR_LITTLE_ENDIAN);
    }
    if (!n)
        return 0;
    xsr_st32(body, n, XSR_LITTLE_ENDIAN);
    return xsr_builder_record(s->b, XSR_REC_HVM_PARAMS, body,
                              XSR_HVM_PARAMS_HDR_SIZE + n * XSR_HVM_PARAM_ENTRY_SIZE, err);
}

const struct xsri_save_type xsri_save_hvm = {
    .static_data = none,
    .start_of_stream = none,
    .normalise_table = hvm_normalise_table,
    .end_of_checkpoint = hvm_end_of_checkpoint,
};
