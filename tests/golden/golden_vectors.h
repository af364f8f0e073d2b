/* SPDX-License-Identifier: MIT */
/* The golden vectors: small generated images committed under vectors/. */
#ifndef GOLDEN_VECTORS_H
#define GOLDEN_VECTORS_H

#include <stddef.h>

#include <xsr/gen.h>

struct golden_vector {
    const char *name;          /* file vectors/<name>.img */
    struct xsr_gen_opts opts;
};

/* The table, filled in on first use; *n gets its length. */
const struct golden_vector *golden_vectors(size_t *n);

#endif
