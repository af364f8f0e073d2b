/* SPDX-License-Identifier: MIT */
#include "differences.h"

const struct difference differences[D_COUNT] = {
    [D_V4] = {"v4-stream", true, false,
              "stream version 4: the reference knows versions 2 and 3 only"},
    [D_BIG_ENDIAN] = {"big-endian", true, false,
                      "big-endian streams: the reference refuses non-native byte order"},
    [D_OPTIONAL] = {"optional-record", true, false,
                    "optional libxc records (type bit 31): the reference rejects unknown types"},
    [D_CHECKPOINTED] = {"checkpointed-libxl", true, false,
                        "checkpointed libxl streams: the reference reads the libxc stream up to "
                        "an END it never meets"},
    [D_XENSTORE] = {"xenstore-data-python3", true, false,
                    "non-empty EMULATOR_XENSTORE_DATA: under Python 3 the reference always "
                    "finds it unterminated"},
    [D_TRAILING] = {"trailing-bytes", false, true,
                    "bytes after the end of the stream: the reference stops reading at END"},
    [D_PRESENCE] = {"record-presence", false, true,
                    "mandatory records missing: the reference checks no presence"},
    [D_ORDER] = {"record-order", false, true,
                 "records out of order: the reference checks no order"},
    [D_DUPLICATE] = {"record-duplicates", false, true,
                     "records that may appear once, twice: the reference does not count"},
    [D_VALUES] = {"field-values", false, true,
                  "field values and sizes the reference does not check"},
    [D_RESERVED] = {"reserved-fields", false, true,
                    "reserved fields the reference does not check"},
    [D_BLOB] = {"hvm-context-blob", false, true,
                "the HVM context blob: the reference only requires it to be non-empty"},
    [D_XL_HEADER] = {"xl-header", false, true,
                     "the xl header: the reference only checks its magic"},
    [D_LIBXL_CONTEXT] = {"libxl-context", false, true,
                         "libxl records out of place (emulator records of a PV guest, "
                         "CHECKPOINT_END outside a checkpoint)"},
};
