/* SPDX-License-Identifier: MIT */
/*
 * Conversion.
 *
 * - Legacy (pre-v2, Xen <= 4.5) streams to a libxc stream of version 3 or 4,
 *   bare or wrapped in a libxl stream, with or without an xl header.  For
 *   every input Xen's own convert-legacy-stream accepts, the version 3 output
 *   is byte-identical to what it writes (doc/xsr-convert-legacy.1 lists where
 *   and why xsr refuses inputs it accepts).
 * - Between libxc stream versions 2, 3 and 4, inside any libxl/xl wrapping
 *   and for checkpointed streams (DOMAIN_CONTEXT folding and splitting).
 * - A generator of legacy streams, for tests, fuzzing seeds and benchmarks.
 *
 * Conversions stream: memory is bounded by one page batch (plus, for the
 * cases that need it, the per-vCPU tail, a device-model record and the Remus
 * delta cache), independent of the size of the guest.
 */
#ifndef XSR_CONVERT_H
#define XSR_CONVERT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/progress.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------ legacy format */

#define XSR_LEGACY_MAX_BATCH 1024u     /* pfns in one page batch */
#define XSR_LEGACY_MAX_VCPU_ID 4095u
#define XSR_LEGACY_PFN_MASK 0x0fffffffu /* bits 27..0 of a batch entry */
#define XSR_LEGACY_TYPE_SHIFT 28
#define XSR_LEGACY_XTAB_FILLER 0xf0000000u /* "XTAB, pfn 0": dropped */
#define XSR_LEGACY_EXT_VCPU_64 0x1430u /* "vcpu" block size: 64-bit guest */
#define XSR_LEGACY_EXT_VCPU_32 0xaf0u  /* "vcpu" block size: 32-bit guest */
#define XSR_LEGACY_EXTV_SIZE 128u      /* extended vCPU context in the tail */
#define XSR_LEGACY_DM_SIG_SIZE 21u
#define XSR_LEGACY_DM_SIG "DeviceModelRecord0002"  /* u32 length + data */
#define XSR_LEGACY_DM_SIG_REMUS "RemusDeviceModelState" /* likewise */
#define XSR_LEGACY_DM_SIG_QEMU "QemuDeviceModelRecord"  /* data up to the end */
#define XSR_LEGACY_CONVERTER_VERSION 1u /* xen_minor of converted streams */

enum xsr_legacy_chunk {
    XSR_LEGACY_CHUNK_END = 0,
    XSR_LEGACY_CHUNK_ENABLE_VERIFY = -1,
    XSR_LEGACY_CHUNK_VCPU_INFO = -2,
    XSR_LEGACY_CHUNK_HVM_IDENT_PT = -3,
    XSR_LEGACY_CHUNK_HVM_VM86_TSS = -4,
    XSR_LEGACY_CHUNK_TMEM = -5,
    XSR_LEGACY_CHUNK_TMEM_EXTRA = -6,
    XSR_LEGACY_CHUNK_TSC_INFO = -7,
    XSR_LEGACY_CHUNK_HVM_CONSOLE_PFN = -8,
    XSR_LEGACY_CHUNK_LAST_CHECKPOINT = -9,
    XSR_LEGACY_CHUNK_HVM_ACPI_IOPORTS = -10,
    XSR_LEGACY_CHUNK_HVM_VIRIDIAN = -11,
    XSR_LEGACY_CHUNK_COMPRESSED_DATA = -12,
    XSR_LEGACY_CHUNK_ENABLE_COMPRESSION = -13,
    XSR_LEGACY_CHUNK_HVM_GENERATION_ID = -14,
    XSR_LEGACY_CHUNK_HVM_PAGING_RING = -15,
    XSR_LEGACY_CHUNK_HVM_MONITOR_RING = -16,
    XSR_LEGACY_CHUNK_HVM_SHARING_RING = -17,
    XSR_LEGACY_CHUNK_TOOLSTACK = -18,
    XSR_LEGACY_CHUNK_HVM_IOREQ_SERVER_PFN = -19,
    XSR_LEGACY_CHUNK_HVM_NR_IOREQ_SERVER_PAGES = -20,
    XSR_LEGACY_CHUNK_MIN = -20,
};
/* "tsc_info", ...; NULL for positive (page batch) or unknown ids. */
const char *xsr_legacy_chunk_name(int32_t chunk);
/* HVM parameter index an HVM parameter chunk sets, 0 if not such a chunk. */
uint32_t xsr_legacy_chunk_hvm_param(int32_t chunk);

/* -------------------------------------------------------- detection */

struct xsr_legacy_probe {
    size_t size;      /* sizeof(struct xsr_legacy_probe): XSR_LEGACY_PROBE_INIT */
    unsigned width;   /* writer's toolstack width in bits (32/64), 0 = unknown */
    uint32_t guest;   /* XSR_DOM_X86_PV or XSR_DOM_X86_HVM, 0 = unknown */
};
#define XSR_LEGACY_PROBE_INIT { .size = sizeof(struct xsr_legacy_probe) }
/*
 * Tell the toolstack width and guest type from the first bytes of a legacy
 * stream (after any xl header), using octets 4-7 (zero: 64-bit writer;
 * all ones: 32-bit PV extended-info marker; else a 32-bit HVM chunk) and the
 * extended-info marker and first block.  Needs 24 bytes to decide every
 * case.  Returns 0 with both fields set, or XSR_EUNSUP with err saying what
 * is ambiguous (fields set where decided), or XSR_EFORMAT if the bytes
 * cannot start a legacy stream of either kind.
 */
int xsr_legacy_probe(const uint8_t *b, size_t n, struct xsr_legacy_probe *p, struct xsr_error *err);

/* ------------------------------------------------- legacy conversion */

enum xsr_legacy_xl { XSR_LEGACY_XL_AUTO = 0, XSR_LEGACY_XL_PRESENT, XSR_LEGACY_XL_ABSENT };

struct xsr_legacy_opts {
    size_t size;             /* sizeof(struct xsr_legacy_opts): XSR_LEGACY_OPTS_INIT */
    unsigned width;          /* toolstack width in bits, 32 or 64; 0 = detect */
    uint32_t guest;          /* XSR_DOM_X86_PV or _HVM; 0 = detect */
    enum xsr_layer format;   /* output XSR_LAYER_LIBXC or _LIBXL; NONE = libxl
                              * when the input has an xl header, else libxc */
    uint32_t version;        /* output stream version 3 or 4; 0 = 3 */
    enum xsr_legacy_xl xl;   /* is an xl header in front of the stream? */
    uint32_t delta_cache;    /* Remus delta cache in pages (0 = 8192, the
                              * sender's size) */
    /* Called now and then with the input bytes consumed; may be NULL. */
    xsr_progress_fn progress;
    void *progress_ctx;
};
#define XSR_LEGACY_OPTS_INIT { .size = sizeof(struct xsr_legacy_opts) }

struct xsr_legacy_info {
    size_t size;             /* sizeof(struct xsr_legacy_info): XSR_LEGACY_INFO_INIT */
    unsigned width;          /* toolstack width used (bits) */
    uint32_t guest;          /* guest type used */
    bool width_detected, guest_detected; /* probed rather than given */
    unsigned guest_width;    /* PV: 4 or 8 */
    unsigned pt_levels;      /* PV: 3 or 4 */
    uint64_t p2m_size;
    bool xl_header;          /* the input had one */
    bool xl_header_dropped;  /* ... and libxc output left it out */
    enum xsr_layer format;   /* output layer */
    uint32_t version;        /* output version */
    uint32_t vcpus;          /* online vCPUs (PV) */
    uint64_t batches;        /* page batches read */
    uint64_t pfn_entries;    /* batch entries written */
    uint64_t data_pages;     /* pages with data written */
    uint64_t xtab_dropped;   /* 0xf0000000 fillers dropped */
    uint64_t empty_batches;  /* batches of fillers only (no record written) */
    uint64_t checkpoints;    /* images in the stream (1 unless Remus) */
    bool last_checkpoint;    /* the stream said it is the last one */
    bool verify_mode;        /* pages after "enable verify" were resent */
    bool compressed;         /* Remus compressed checkpoints were decoded */
    uint64_t compressed_pages;
    uint32_t hvm_params;     /* HVM parameters written */
    bool device_model;       /* HVM device-model record converted */
    uint64_t device_model_bytes;
    uint64_t toolstack_bytes; /* toolstack chunk data read */
    uint32_t physmap_dropped; /* PV physmap entries left out (no emulator) */
    uint64_t trailing_bytes; /* ignored after a stream that declared its end */
    uint64_t in_bytes, out_bytes;
};
#define XSR_LEGACY_INFO_INIT { .size = sizeof(struct xsr_legacy_info) }

/*
 * Convert a legacy stream read from in to out.  On error err gives the byte
 * offset (in the input) of the structure at fault; whatever was written to
 * out must then be discarded (see xsr_outfile in xsr/io.h).
 */
int xsr_convert_legacy(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_legacy_opts *o,
                       struct xsr_legacy_info *info, struct xsr_error *err);

/* ------------------------------------------------- version conversion */

struct xsr_convert_opts {
    size_t size;             /* sizeof(struct xsr_convert_opts): XSR_CONVERT_OPTS_INIT */
    uint32_t version;        /* target libxc stream version: 2, 3 or 4 */
    enum xsr_layer format;   /* input's outermost layer; NONE = detect */
    bool allow_lossy;        /* to v2: drop CPUID/MSR policy records;
                              * to v4: drop shared-info bytes a DOMAIN_CONTEXT
                              * cannot carry (else these are errors) */
    uint32_t max_buffer;     /* bytes of records held while folding (0 = 256 MiB) */
    xsr_progress_fn progress; /* the input bytes read; may be NULL */
    void *progress_ctx;
    bool strict;             /* refuse an input that strict verify rejects (its first
                              * error); else it is converted and info counts them */
};
#define XSR_CONVERT_OPTS_INIT { .size = sizeof(struct xsr_convert_opts) }

struct xsr_convert_info {
    size_t size;             /* sizeof(struct xsr_convert_info): XSR_CONVERT_INFO_INIT */
    enum xsr_layer format;   /* outermost layer of the input */
    uint32_t from_version, to_version;
    uint64_t records_in, records_out; /* libxc records */
    uint64_t checkpoints;
    uint32_t static_data_end_inserted, static_data_end_removed;
    uint32_t policies_dropped;
    uint32_t contexts_folded; /* DOMAIN_CONTEXT records written */
    uint32_t contexts_split;  /* DOMAIN_CONTEXT records split */
    uint32_t records_dropped; /* other records left out (listed in notes) */
    uint64_t in_bytes, out_bytes;
    unsigned input_errors, input_warnings; /* the input's findings, checked strictly */
};
#define XSR_CONVERT_INFO_INIT { .size = sizeof(struct xsr_convert_info) }

/*
 * Rewrite a save image (bare libxc, libxl or xl) to another libxc stream
 * version.  Everything else is copied byte for byte:
 *  - to v3 from v2: STATIC_DATA_END is inserted after the static data
 *    (X86_PV_INFO, policy records), before the first other record;
 *  - to v4: X86_TSC_INFO and SHARED_INFO of each checkpoint become one
 *    DOMAIN_CONTEXT (v9 layout) placed after the checkpoint's memory, before
 *    its vCPU / HVM records;
 *  - from v4: each DOMAIN_CONTEXT becomes X86_TSC_INFO then SHARED_INFO (PV)
 *    in its place;
 *  - to v2: STATIC_DATA_END is removed.
 * v3 -> v4 -> v3 gives back the same bytes for streams Xen writes.  The
 * input is checked as it is read: what strict verify would find is counted
 * in info (the conversion carries it over), or with opts->strict refused.
 */
int xsr_convert_version(struct xsr_chan *in, struct xsr_chan *out, const struct xsr_convert_opts *o,
                        struct xsr_convert_info *info, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
