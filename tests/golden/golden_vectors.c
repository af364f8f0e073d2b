/* SPDX-License-Identifier: MIT */
/*
 * Option sets of the golden vectors.  Together they contain every record
 * type a main stream may carry (TOOLSTACK and CHECKPOINT_DIRTY_PFN_LIST are
 * never valid there, CHECKPOINT_STATE is COLO's back channel), 64-bit PV,
 * 32-bit PV and HVM guests, versions 2 to 4, both byte orders, all three
 * wrappings, a live stream and checkpointed ones.  test_golden checks that
 * coverage too.  Changing an entry changes its vector: regenerate (README).
 */
#include "golden_vectors.h"

#include <stdbool.h>

#define N_VECTORS 14

struct spec {
    const char *name;
    uint32_t version, dom_type;
    unsigned width;
    enum xsr_byte_order order;
    enum xsr_layer wrap;
    unsigned vcpus, live, checkpoints;
    bool verify, all;
};

#define LE XSR_LITTLE_ENDIAN
#define BE XSR_BIG_ENDIAN
#define PV XSR_DOM_X86_PV
#define HVM XSR_DOM_X86_HVM
#define LIBXC XSR_LAYER_LIBXC
#define LIBXL XSR_LAYER_LIBXL
#define XL XSR_LAYER_XL

static const struct spec specs[N_VECTORS] = {
    /* name                     ver type w  order wrap  cpu live ckpt verify all */
    { "pv64-v3-le-xl",            3, PV,  8, LE, XL,    1, 0, 0, false, false },
    { "pv64-v3-be-libxl-all",     3, PV,  8, BE, LIBXL, 2, 0, 0, false, true },
    { "pv32-v3-le-libxl",         3, PV,  4, LE, LIBXL, 1, 0, 0, false, false },
    { "pv32-v2-be-xl",            2, PV,  4, BE, XL,    1, 0, 0, false, false },
    { "pv64-v2-le-libxc",         2, PV,  8, LE, LIBXC, 1, 0, 0, false, false },
    { "pv64-v4-le-libxc",         4, PV,  8, LE, LIBXC, 1, 0, 0, false, false },
    { "pv32-v4-be-xl-all",        4, PV,  4, BE, XL,    1, 0, 0, false, true },
    { "hvm-v3-le-libxl",          3, HVM, 8, LE, LIBXL, 1, 0, 0, false, false },
    { "hvm-v2-be-libxc",          2, HVM, 8, BE, LIBXC, 1, 0, 0, false, false },
    { "hvm-v4-le-xl-all",         4, HVM, 8, LE, XL,    2, 0, 0, false, true },
    { "hvm-v4-be-libxl",          4, HVM, 8, BE, LIBXL, 1, 0, 0, false, false },
    { "pv64-v3-le-libxc-live",    3, PV,  8, LE, LIBXC, 1, 1, 0, true,  true },
    { "hvm-v3-le-libxl-ckpt",     3, HVM, 8, LE, LIBXL, 1, 0, 2, false, false },
    { "pv64-v4-be-xl-ckpt",       4, PV,  8, BE, XL,    1, 0, 2, false, true },
};

const struct golden_vector *golden_vectors(size_t *n)
{
    static struct golden_vector v[N_VECTORS];
    for (size_t i = 0; i < N_VECTORS; i++) {
        const struct spec *s = &specs[i];
        v[i].name = s->name;
        xsr_gen_opts_init(&v[i].opts, s->version, s->dom_type);
        v[i].opts.guest_width = s->width;
        v[i].opts.order = s->order;
        v[i].opts.wrap = s->wrap;
        v[i].opts.nr_pages = 16;
        v[i].opts.nr_vcpus = s->vcpus;
        v[i].opts.live_passes = s->live;
        v[i].opts.checkpoints = s->checkpoints;
        v[i].opts.verify_pass = s->verify;
        v[i].opts.all_records = s->all;
        v[i].opts.seed = 1000 + i;
    }
    *n = N_VECTORS;
    return v;
}
