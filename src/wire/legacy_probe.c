/* SPDX-License-Identifier: MIT */
/*
 * Legacy stream facts: chunk names, the HVM parameter each parameter chunk
 * carries, and telling the writer's width and the guest type from the first
 * bytes of a stream.  Pure facts about bytes, so detection (detect.c) can
 * tell a legacy stream from something that is not a save image.
 */
#include <inttypes.h>
#include <string.h>

#include <xsr/convert.h>

#include "util/opts.h"

struct chunk_info {
    const char *name;
    uint32_t hvm_param; /* HVM_PARAM_* index set by the chunk, 0 if none */
};

/* Indexed by -chunk. */
static const struct chunk_info chunks[] = {
    [0] = { "end", 0 },
    [1] = { "enable_verify_mode", 0 },
    [2] = { "vcpu_info", 0 },
    [3] = { "hvm_ident_pt", 12 },          /* HVM_PARAM_IDENT_PT */
    [4] = { "hvm_vm86_tss", 15 },          /* HVM_PARAM_VM86_TSS */
    [5] = { "tmem", 0 },
    [6] = { "tmem_extra", 0 },
    [7] = { "tsc_info", 0 },
    [8] = { "hvm_console_pfn", 17 },       /* HVM_PARAM_CONSOLE_PFN */
    [9] = { "last_checkpoint", 0 },
    [10] = { "hvm_acpi_ioports_location", 19 }, /* HVM_PARAM_ACPI_IOPORTS_LOCATION */
    [11] = { "hvm_viridian", 9 },          /* HVM_PARAM_VIRIDIAN */
    [12] = { "compressed_data", 0 },
    [13] = { "enable_compression", 0 },
    [14] = { "hvm_generation_id_addr", 34 }, /* HVM_PARAM_VM_GENERATION_ID_ADDR */
    [15] = { "hvm_paging_ring_pfn", 27 },  /* HVM_PARAM_PAGING_RING_PFN */
    [16] = { "hvm_monitor_ring_pfn", 28 }, /* HVM_PARAM_MONITOR_RING_PFN */
    [17] = { "hvm_sharing_ring_pfn", 29 }, /* HVM_PARAM_SHARING_RING_PFN */
    [18] = { "toolstack", 0 },
    [19] = { "hvm_ioreq_server_pfn", 32 }, /* HVM_PARAM_IOREQ_SERVER_PFN */
    [20] = { "hvm_nr_ioreq_server_pages", 33 }, /* HVM_PARAM_NR_IOREQ_SERVER_PAGES */
};

const char *xsr_legacy_chunk_name(int32_t chunk)
{
    if (chunk > 0 || chunk < XSR_LEGACY_CHUNK_MIN)
        return NULL;
    return chunks[-chunk].name;
}

uint32_t xsr_legacy_chunk_hvm_param(int32_t chunk)
{
    if (chunk > 0 || chunk < XSR_LEGACY_CHUNK_MIN)
        return 0;
    return chunks[-chunk].hvm_param;
}

static bool known_block(const uint8_t *id)
{
    return memcmp(id, "vcpu", 4) == 0 || memcmp(id, "extv", 4) == 0 ||
           memcmp(id, "xcnt", 4) == 0;
}

/* A plausible first chunk of a body: a page batch, a known chunk, or end. */
static bool plausible_chunk(int32_t c)
{
    return (c > 0 && (uint32_t)c <= XSR_LEGACY_MAX_BATCH) ||
           (c <= 0 && c >= XSR_LEGACY_CHUNK_MIN);
}

static int probe(const uint8_t *b, size_t n, struct xsr_legacy_probe *p, struct xsr_error *err)
{
    if (n < 8)
        return xsr_error_set(err, XSR_EUNSUP,
                             "only %zu bytes of legacy stream: too short to tell the writer's "
                             "width", n);

    uint32_t w1 = xsr_ld32(b + 4, XSR_LITTLE_ENDIAN);
    if (w1 == 0) {
        /* 64-bit writer: p2m_size < 2^32 leaves octets 4-7 zero.  Then the
         * extended-info marker (PV) or the first chunk (HVM) follows. */
        p->width = 64;
        if (n < 16)
            return xsr_error_set(err, XSR_EUNSUP,
                                 "only %zu bytes of a 64-bit legacy stream: too short to tell "
                                 "a PV from an HVM guest", n);
        if (xsr_ld64(b + 8, XSR_LITTLE_ENDIAN) != UINT64_MAX) {
            int32_t c = (int32_t)xsr_ld32(b + 8, XSR_LITTLE_ENDIAN);
            if (!plausible_chunk(c))
                return xsr_error_set(err, XSR_EFORMAT,
                                     "not a legacy stream: a 64-bit writer's stream has the "
                                     "PV extended-info marker or an HVM chunk at offset 8, "
                                     "found %" PRId32, c);
            p->guest = XSR_DOM_X86_HVM;
            return 0;
        }
        /* All ones: the PV marker, or (in theory) two HVM "enable verify"
         * chunks.  The first extended-info block decides. */
        if (n < 24)
            return xsr_error_set(err, XSR_EUNSUP,
                                 "only %zu bytes of a 64-bit legacy stream: too short to "
                                 "check the extended-info block", n);
        if (!known_block(b + 20))
            return xsr_error_set(err, XSR_EUNSUP,
                                 "ambiguous legacy stream: octets 8-15 are all ones (a PV "
                                 "extended-info marker?) but no known extended-info block "
                                 "follows; give the guest type");
        p->guest = XSR_DOM_X86_PV;
        return 0;
    }
    p->width = 32;
    if (w1 == UINT32_MAX) {
        /* The 32-bit PV marker, or an HVM stream starting with "enable
         * verify" (-1), which a saver never sends first. */
        if (n < 16)
            return xsr_error_set(err, XSR_EUNSUP,
                                 "only %zu bytes of a 32-bit legacy stream: too short to "
                                 "check the extended-info block", n);
        if (known_block(b + 12)) {
            p->guest = XSR_DOM_X86_PV;
            return 0;
        }
        return xsr_error_set(err, XSR_EUNSUP,
                             "ambiguous legacy stream: octets 4-7 are all ones (a 32-bit PV "
                             "extended-info marker?) but no known extended-info block "
                             "follows; give the guest type");
    }
    if (!plausible_chunk((int32_t)w1))
        return xsr_error_set(err, XSR_EFORMAT,
                             "not a legacy stream: octets 4-7 (%" PRId32 ") are neither zero "
                             "(64-bit writer), the PV extended-info marker, nor an HVM chunk "
                             "of a 32-bit writer", (int32_t)w1);
    p->guest = XSR_DOM_X86_HVM;
    return 0;
}

int xsr_legacy_probe(const uint8_t *b, size_t n, struct xsr_legacy_probe *p, struct xsr_error *err)
{
    struct xsr_legacy_probe full = XSR_LEGACY_PROBE_INIT;

    if (xsri_opts_check(p->size, sizeof(full), sizeof(full), "xsr_legacy_probe", err) < 0)
        return XSR_EINVAL;
    int rc = probe(b, n, &full, err);
    memcpy(p, &full, p->size); /* the caller's layout */
    return rc;
}
