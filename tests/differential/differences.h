/* SPDX-License-Identifier: MIT */
/*
 * The deliberate differences between xsr verify (strict) and Xen's reference
 * verifier verify-stream-v2.  The same list, with reasons, is in
 * doc/differences.md; the differential test checks that both name the same
 * ids and that each difference really shows on a stream made for it.
 */
#ifndef XSR_TEST_DIFFERENCES_H
#define XSR_TEST_DIFFERENCES_H

#include <stdbool.h>

enum diff_id {
    D_NONE = 0,
    D_V4,           /* version 4 streams */
    D_BIG_ENDIAN,   /* big-endian streams */
    D_OPTIONAL,     /* optional libxc records */
    D_CHECKPOINTED, /* checkpointed libxl streams */
    D_XENSTORE,     /* EMULATOR_XENSTORE_DATA under Python 3 */
    D_TRAILING,     /* bytes after the end */
    D_PRESENCE,     /* mandatory records missing */
    D_ORDER,        /* records out of order */
    D_DUPLICATE,    /* records that may appear once */
    D_VALUES,       /* field values and sizes the reference does not check */
    D_RESERVED,     /* reserved fields the reference does not check */
    D_BLOB,         /* contents of the HVM context blob */
    D_XL_HEADER,    /* the xl save-file header */
    D_LIBXL_CONTEXT, /* libxl records that do not fit the guest or stream */
    D_COUNT
};

struct difference {
    const char *id;     /* as in doc/differences.md */
    bool xsr_valid;     /* xsr's verdict on streams showing it */
    bool ref_valid;     /* the reference's verdict */
    const char *what;
};

extern const struct difference differences[D_COUNT];

#endif
