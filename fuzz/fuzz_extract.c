/* SPDX-License-Identifier: MIT */
/*
 * xsr_extract on arbitrary bytes: as a raw file and as an ELF core (the
 * format from the input's length), with a pfn map, into memory files.
 *
 * Invariants: the result is 0 or a verdict on the input with err set; the
 * output file's size is what the result says; every frame the result counts
 * lies below the pfn limit; a stream that lenient verify accepts extracts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "fuzz_common.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int valid = fz_verify(data, size, true);
    if (valid == XSR_ENOMEM)
        return 0;

    int fd = memfd_create("fuzz-extract", 0);
    FZ_CHECK(fd >= 0, "memfd_create failed");
    char *map = NULL;
    size_t maplen = 0;
    FILE *pm = open_memstream(&map, &maplen);
    FZ_CHECK(pm, "open_memstream failed");

    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.a.pfn_limit = FZ_PFN_LIMIT;
    o.format = size % 2 ? XSR_EXTRACT_ELF : XSR_EXTRACT_RAW;
    o.pfn_map = pm;
    struct xsr_extract_result res = XSR_EXTRACT_RESULT_INIT;
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    int rc = ch ? xsr_extract(ch, fd, &o, &res, &err) : err.code;
    xsr_chan_close(ch, NULL);
    FZ_CHECK(fclose(pm) == 0, "closing the memstream failed");
    fz_check_analysis(o.format ? "extract --elf" : "extract --raw", rc, false, &err);

    struct stat st;
    FZ_CHECK(fstat(fd, &st) == 0, "fstat failed");
    if (rc == 0) {
        FZ_CHECK((uint64_t)st.st_size == res.out_size, "the output has %lld bytes, the result says %llu",
                 (long long)st.st_size, (unsigned long long)res.out_size);
        FZ_CHECK(!res.any_pfn || res.max_pfn < FZ_PFN_LIMIT, "pfn %#llx beyond the limit",
                 (unsigned long long)res.max_pfn);
        FZ_CHECK(res.frames_present <= res.copies, "%llu frames present from %llu copies",
                 (unsigned long long)res.frames_present, (unsigned long long)res.copies);
        FZ_CHECK(maplen == 0 || map[maplen - 1] == '\n', "the pfn map does not end a line");
    }
    fz_check_accepts("extract", valid, rc, &err);
    free(map);
    close(fd);
    return 0;
}
