/* SPDX-License-Identifier: MIT */
/*
 * Wire layer: constants, limits and explicit encode/decode of every header,
 * record body and blob of the save/migration stream.  Pure functions on byte
 * buffers: no I/O, no allocation, no struct is ever cast onto stream bytes.
 *
 * Decoders of fixed-size structures take a buffer of exactly the documented
 * size and cannot fail.  Decoders of variable-size bodies check only what they
 * need to give a safe view (lengths) and return XSR_EFORMAT otherwise; all
 * further rules (reserved fields, ranges, ordering) belong to the checker.
 * Views returned point into the caller's buffer.
 */
#ifndef XSR_WIRE_H
#define XSR_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/error.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---------------------------------------------------------------- bytes */

enum xsr_byte_order { XSR_LITTLE_ENDIAN = 0, XSR_BIG_ENDIAN = 1 };

static inline uint16_t xsr_ld16(const uint8_t *p, enum xsr_byte_order o)
{
    return o == XSR_BIG_ENDIAN ? (uint16_t)(p[0] << 8 | p[1])
                               : (uint16_t)(p[1] << 8 | p[0]);
}
static inline uint32_t xsr_ld32(const uint8_t *p, enum xsr_byte_order o)
{
    return o == XSR_BIG_ENDIAN
               ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]
               : (uint32_t)p[3] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[1] << 8 | p[0];
}
static inline uint64_t xsr_ld64(const uint8_t *p, enum xsr_byte_order o)
{
    return o == XSR_BIG_ENDIAN
               ? (uint64_t)xsr_ld32(p, o) << 32 | xsr_ld32(p + 4, o)
               : (uint64_t)xsr_ld32(p + 4, o) << 32 | xsr_ld32(p, o);
}
static inline void xsr_st16(uint8_t *p, uint16_t v, enum xsr_byte_order o)
{
    if (o == XSR_BIG_ENDIAN) { p[0] = (uint8_t)(v >> 8); p[1] = (uint8_t)v; }
    else { p[0] = (uint8_t)v; p[1] = (uint8_t)(v >> 8); }
}
static inline void xsr_st32(uint8_t *p, uint32_t v, enum xsr_byte_order o)
{
    if (o == XSR_BIG_ENDIAN) {
        p[0] = (uint8_t)(v >> 24); p[1] = (uint8_t)(v >> 16);
        p[2] = (uint8_t)(v >> 8);  p[3] = (uint8_t)v;
    } else {
        p[0] = (uint8_t)v;         p[1] = (uint8_t)(v >> 8);
        p[2] = (uint8_t)(v >> 16); p[3] = (uint8_t)(v >> 24);
    }
}
static inline void xsr_st64(uint8_t *p, uint64_t v, enum xsr_byte_order o)
{
    if (o == XSR_BIG_ENDIAN) { xsr_st32(p, (uint32_t)(v >> 32), o); xsr_st32(p + 4, (uint32_t)v, o); }
    else { xsr_st32(p, (uint32_t)v, o); xsr_st32(p + 4, (uint32_t)(v >> 32), o); }
}
/* true if all n bytes at p are zero */
bool xsr_all_zero(const uint8_t *p, size_t n);

/* --------------------------------------------------------------- limits */

#define XSR_PAGE_SHIFT 12
#define XSR_PAGE_SIZE 4096u
#define XSR_REC_ALIGN 8u
#define XSR_REC_LENGTH_MAX (128u << 20)  /* Xen's REC_LENGTH_MAX */
#define XSR_PAGE_BATCH_MAX 1024u         /* pfns per PAGE_DATA we write */
#define XSR_VCPU_MAX 4096u               /* vcpu_id < this */
#define XSR_PFN_MASK 0x000fffffffffffffULL /* bits 51..0 */
#define XSR_PV_VCPU_CTX_SIZE_64 5168u    /* vcpu_guest_context, 64-bit guest */
#define XSR_PV_VCPU_CTX_SIZE_32 2800u    /* vcpu_guest_context, 32-bit guest */
#define XSR_PV_VCPU_EXT_MAX 128u         /* X86_PV_VCPU_EXTENDED context max */
#define XSR_SHARED_INFO_SIZE 4096u
#define XSR_SHINFO_SIZE_64 3136u         /* sizeof(shared_info), 64-bit guest */
#define XSR_SHINFO_SIZE_32 2344u         /* compat shared_info, 32-bit guest */
#define XSR_DOMCTX_SHINFO_MAX XSR_SHINFO_SIZE_64 /* the larger of the two */

/* Bytes of padding after a body of len bytes, and the padded size. */
static inline uint32_t xsr_rec_pad(uint32_t len) { return (uint32_t)(-len & (XSR_REC_ALIGN - 1)); }
static inline uint64_t xsr_rec_padded(uint32_t len) { return (uint64_t)len + xsr_rec_pad(len); }

/* --------------------------------------------------------- image header */

#define XSR_IHDR_SIZE 24u
#define XSR_IHDR_MARKER 0xffffffffffffffffULL
#define XSR_IHDR_ID 0x58454E46u /* "XENF" */
#define XSR_IHDR_OPT_BIG_ENDIAN 0x0001u
#define XSR_VERSION_MIN 2u
#define XSR_VERSION_MAX 4u

struct xsr_ihdr {          /* always big-endian on the wire */
    uint64_t marker;
    uint32_t id;
    uint32_t version;
    uint16_t options;
    uint16_t reserved1;
    uint32_t reserved2;
};
void xsr_ihdr_decode(const uint8_t b[XSR_IHDR_SIZE], struct xsr_ihdr *h);
void xsr_ihdr_encode(const struct xsr_ihdr *h, uint8_t b[XSR_IHDR_SIZE]);
/* A well-formed header for version and byte order (reserved fields zero). */
struct xsr_ihdr xsr_ihdr_make(uint32_t version, enum xsr_byte_order order);
static inline enum xsr_byte_order xsr_ihdr_order(const struct xsr_ihdr *h)
{
    return (h->options & XSR_IHDR_OPT_BIG_ENDIAN) ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
}

/* -------------------------------------------------------- domain header */

#define XSR_DHDR_SIZE 16u

enum xsr_dom_type {
    XSR_DOM_X86_PV = 1,
    XSR_DOM_X86_HVM = 2,
    XSR_DOM_X86_PVH = 3, /* named in early drafts only: never restorable */
    XSR_DOM_ARM = 4,     /* likewise */
};
const char *xsr_dom_type_name(uint32_t type); /* "x86 PV", ..., NULL if unknown */

struct xsr_dhdr {
    uint32_t type;
    uint16_t page_shift;
    uint16_t reserved;
    uint32_t xen_major; /* 0: converted from a legacy stream */
    uint32_t xen_minor;
};
void xsr_dhdr_decode(const uint8_t b[XSR_DHDR_SIZE], enum xsr_byte_order o, struct xsr_dhdr *h);
void xsr_dhdr_encode(const struct xsr_dhdr *h, enum xsr_byte_order o, uint8_t b[XSR_DHDR_SIZE]);

/* ------------------------------------------------------- record framing */

#define XSR_RHDR_SIZE 8u
#define XSR_REC_OPTIONAL 0x80000000u

struct xsr_rhdr {
    uint32_t type;
    uint32_t length; /* body bytes, padding excluded */
};
void xsr_rhdr_decode(const uint8_t b[XSR_RHDR_SIZE], enum xsr_byte_order o, struct xsr_rhdr *h);
void xsr_rhdr_encode(const struct xsr_rhdr *h, enum xsr_byte_order o, uint8_t b[XSR_RHDR_SIZE]);

enum xsr_rec_type {
    XSR_REC_END = 0x00,
    XSR_REC_PAGE_DATA = 0x01,
    XSR_REC_X86_PV_INFO = 0x02,
    XSR_REC_X86_PV_P2M_FRAMES = 0x03,
    XSR_REC_X86_PV_VCPU_BASIC = 0x04,
    XSR_REC_X86_PV_VCPU_EXTENDED = 0x05,
    XSR_REC_X86_PV_VCPU_XSAVE = 0x06,
    XSR_REC_SHARED_INFO = 0x07,
    XSR_REC_X86_TSC_INFO = 0x08,
    XSR_REC_HVM_CONTEXT = 0x09,
    XSR_REC_HVM_PARAMS = 0x0A,
    XSR_REC_TOOLSTACK = 0x0B,
    XSR_REC_X86_PV_VCPU_MSRS = 0x0C,
    XSR_REC_VERIFY = 0x0D,
    XSR_REC_CHECKPOINT = 0x0E,
    XSR_REC_CHECKPOINT_DIRTY_PFN_LIST = 0x0F,
    XSR_REC_STATIC_DATA_END = 0x10,
    XSR_REC_X86_CPUID_POLICY = 0x11,
    XSR_REC_X86_MSR_POLICY = 0x12,
    XSR_REC_DOMAIN_CONTEXT = 0x13,
    XSR_REC_TYPE_COUNT = 0x14 /* first reserved mandatory type */
};
/* "PAGE_DATA", ...; NULL for reserved/optional types. */
const char *xsr_rec_type_name(uint32_t type);

/* What the format says about each record type (src/wire/records.def). */
enum xsr_rec_guest { XSR_REC_GUEST_ANY, XSR_REC_GUEST_PV, XSR_REC_GUEST_HVM };
enum xsr_rec_place {
    XSR_REC_PLACE_ANY,    /* framing and control (END, VERIFY, CHECKPOINT, ...) */
    XSR_REC_PLACE_STATIC, /* static data: before STATIC_DATA_END */
    XSR_REC_PLACE_MEMORY, /* memory: after the static data */
    XSR_REC_PLACE_STATE,  /* domain state that v4 carries in DOMAIN_CONTEXT (and
                           * DOMAIN_CONTEXT itself): after the memory */
    XSR_REC_PLACE_VCPU,   /* vCPU and HVM state: after DOMAIN_CONTEXT in v4 */
};
enum xsr_rec_repeat {
    XSR_REC_REPEAT_MANY,
    XSR_REC_REPEAT_CKPT,  /* at most once per checkpoint */
    XSR_REC_REPEAT_ONCE,  /* at most once per stream */
};
struct xsr_rec_info {
    uint32_t type;
    const char *name;        /* "PAGE_DATA", ... */
    uint32_t since;          /* first stream version that defines it */
    uint32_t deprecated;     /* version from which senders must not use it; 0 never */
    enum xsr_rec_guest guest;
    enum xsr_rec_place place;
    bool per_vcpu;           /* one per vCPU; the body starts with the vCPU header */
    enum xsr_rec_repeat repeat;
    uint32_t min_length;     /* body length rule: min_length..max_length, */
    uint32_t max_length;     /* a multiple of unit (bodies are padded to */
    uint32_t unit;           /* XSR_REC_ALIGN regardless) */
};
/* The entry of a defined type, NULL for reserved/optional types.  Members
 * are only appended: the table belongs to the library. */
const struct xsr_rec_info *xsr_rec_info(uint32_t type);
/* Whether a body of len bytes follows the type's length rule. */
bool xsr_rec_length_ok(const struct xsr_rec_info *ri, uint32_t len);

/* ------------------------------------------------------------ PAGE_DATA */

#define XSR_PAGE_DATA_HDR_SIZE 8u

enum xsr_pfn_type {          /* bits 63..60 of a pfn word */
    XSR_PFN_NOTAB = 0x0,
    XSR_PFN_L1TAB = 0x1,
    XSR_PFN_L2TAB = 0x2,
    XSR_PFN_L3TAB = 0x3,
    XSR_PFN_L4TAB = 0x4,
    /* 0x5..0x8 invalid */
    XSR_PFN_L1TAB_PIN = 0x9,
    XSR_PFN_L2TAB_PIN = 0xA,
    XSR_PFN_L3TAB_PIN = 0xB,
    XSR_PFN_L4TAB_PIN = 0xC,
    XSR_PFN_BROKEN = 0xD,
    XSR_PFN_XALLOC = 0xE,
    XSR_PFN_XTAB = 0xF,
};
static inline unsigned xsr_pfn_word_type(uint64_t w) { return (unsigned)(w >> 60); }
static inline unsigned xsr_pfn_word_reserved(uint64_t w) { return (unsigned)(w >> 52) & 0xffu; }
static inline uint64_t xsr_pfn_word_pfn(uint64_t w) { return w & XSR_PFN_MASK; }
static inline uint64_t xsr_pfn_word_make(unsigned type, uint64_t pfn)
{
    return (uint64_t)(type & 0xfu) << 60 | (pfn & XSR_PFN_MASK);
}
static inline bool xsr_pfn_type_valid(unsigned t) { return t <= 4 || t >= 9; }
static inline bool xsr_pfn_type_has_data(unsigned t) { return t <= 4 || (t >= 9 && t <= 0xC); }
/* page-table level 1..4 of a (pinned) table type, 0 otherwise */
static inline unsigned xsr_pfn_type_level(unsigned t)
{
    return (t >= 1 && t <= 4) ? t : (t >= 9 && t <= 0xC) ? t - 8 : 0;
}
/* "NOTAB", "L1TAB", "L1TAB|PIN", "BROKEN", "XALLOC", "XTAB", "INVALID" */
const char *xsr_pfn_type_name(unsigned t);

struct xsr_page_data {
    uint32_t count;
    uint32_t reserved;
    const uint8_t *pfns;      /* count words of 8 bytes, stream order */
    const uint8_t *data;      /* data_pages * 4096 bytes */
    uint32_t data_pages;      /* words whose type carries data */
    enum xsr_byte_order order;
};
/*
 * Needs len >= 8 and len >= 8 + 8*count; counts pages with data (invalid types
 * 5..8 carry none) and requires len == 8 + 8*count + 4096*data_pages.
 * count == 0 is decoded (the checker reports it).
 */
int xsr_page_data_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                         struct xsr_page_data *pd, struct xsr_error *err);
static inline uint64_t xsr_page_data_word(const struct xsr_page_data *pd, uint32_t i)
{
    return xsr_ld64(pd->pfns + (size_t)i * 8, pd->order);
}
void xsr_page_data_encode_hdr(uint32_t count, enum xsr_byte_order o, uint8_t b[XSR_PAGE_DATA_HDR_SIZE]);

/* ---------------------------------------------------------- X86_PV_INFO */

#define XSR_PV_INFO_SIZE 8u
struct xsr_pv_info {
    uint8_t guest_width; /* 4 or 8 */
    uint8_t pt_levels;   /* 3 or 4 */
    uint16_t reserved1;
    uint32_t reserved2;
};
void xsr_pv_info_decode(const uint8_t b[XSR_PV_INFO_SIZE], enum xsr_byte_order o, struct xsr_pv_info *v);
void xsr_pv_info_encode(const struct xsr_pv_info *v, enum xsr_byte_order o, uint8_t b[XSR_PV_INFO_SIZE]);

/* ---------------------------------------------------- X86_PV_P2M_FRAMES */

#define XSR_P2M_FRAMES_HDR_SIZE 8u
struct xsr_p2m_frames {
    uint32_t start_pfn;
    uint32_t end_pfn;    /* inclusive */
    uint32_t nr_frames;  /* (len - 8) / 8 */
    const uint8_t *frames; /* nr_frames u64 pfns */
    enum xsr_byte_order order;
};
/* Needs len >= 8 and (len - 8) % 8 == 0. */
int xsr_p2m_frames_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                          struct xsr_p2m_frames *v, struct xsr_error *err);
/* Frames needed to cover start..end for a guest width (4 or 8); 0 if bad args. */
uint64_t xsr_p2m_frames_expected(uint32_t start_pfn, uint32_t end_pfn, unsigned guest_width);

/* ----------------------------------- X86_PV_VCPU_{BASIC,EXTENDED,XSAVE,MSRS} */

#define XSR_VCPU_HDR_SIZE 8u
struct xsr_vcpu_rec {
    uint32_t vcpu_id;
    uint32_t reserved;
    const uint8_t *ctx;
    uint32_t ctx_len;
};
/* Needs len >= 8. */
int xsr_vcpu_rec_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                        struct xsr_vcpu_rec *v, struct xsr_error *err);
void xsr_vcpu_hdr_encode(uint32_t vcpu_id, enum xsr_byte_order o, uint8_t b[XSR_VCPU_HDR_SIZE]);

/*
 * Where a PV vcpu_guest_context keeps its fields, per guest width (offsets of
 * Xen's public headers; cpu_user_regs at 520 / 516).  The frame fields are
 * those a saver translates MFN -> PFN and a restorer back: vCPU 0's rdx (the
 * start-info frame), gdt_frames[0 .. gdt_ents/512 rounded up), ctrlreg[3]
 * (cr3, rotated for 32-bit guests) and, 64-bit only, ctrlreg[1] (the user
 * page table, sent as pfn << 12 | 1).  A view of the field table of
 * xsr/vcpu.h (every field, both byte orders, the frame translation).
 */
struct xsr_pv_vcpu_layout {
    uint32_t size;  /* of the context */
    unsigned word;  /* bytes of an unsigned long: 8 or 4 */
    uint32_t flags, user_regs, rip, rsp, rflags, rdx;
    uint32_t ldt_base, ldt_ents, gdt_frames, gdt_ents, kernel_ss, kernel_sp;
    uint32_t ctrlreg;                              /* ctrlreg[0]; [n] at + n * word */
    uint32_t fs_base, gs_base_kernel, gs_base_user; /* 0: absent (32-bit) */
};
#define XSR_PV_GDT_FRAMES 16u          /* gdt_frames[] */
#define XSR_PV_GDT_ENTS_PER_FRAME 512u /* 8-byte descriptors per frame */
#define XSR_PV_VGCF_ONLINE 0x20u       /* flags: the vCPU is up (VGCF_online) */
/* The layout for guest width 8 or 4, else NULL. */
const struct xsr_pv_vcpu_layout *xsr_pv_vcpu_layout(unsigned guest_width);
/* cr3 <-> frame number: 32-bit guests rotate it so that frames above 4 GiB
 * fit (Xen's xen_cr3_to_pfn / xen_pfn_to_cr3 for compat guests). */
uint64_t xsr_pv_cr3_to_frame(uint64_t cr3, unsigned guest_width);
uint64_t xsr_pv_frame_to_cr3(uint64_t frame, unsigned guest_width);

/* A few named fields of a PV vcpu_guest_context (for dumps); width 4 or 8.
 * Every field, and writing them: xsr/vcpu.h. */
struct xsr_pv_vcpu_regs {
    uint64_t flags, rip, rsp, rflags, rdx, cr3, kernel_ss, kernel_sp, gdt_ents, ldt_base;
    uint64_t fs_base, gs_base_kernel, gs_base_user; /* 0 for 32-bit guests */
};
int xsr_pv_vcpu_regs_decode(const uint8_t *ctx, uint32_t len, unsigned guest_width,
                            enum xsr_byte_order o, struct xsr_pv_vcpu_regs *r,
                            struct xsr_error *err);

/* ---------------------------------------------------------- X86_TSC_INFO */

#define XSR_TSC_INFO_SIZE 24u
struct xsr_tsc_info {
    uint32_t mode;
    uint32_t khz;
    uint64_t nsec;
    uint32_t incarnation;
    uint32_t reserved;
};
void xsr_tsc_info_decode(const uint8_t b[XSR_TSC_INFO_SIZE], enum xsr_byte_order o, struct xsr_tsc_info *v);
void xsr_tsc_info_encode(const struct xsr_tsc_info *v, enum xsr_byte_order o, uint8_t b[XSR_TSC_INFO_SIZE]);
const char *xsr_tsc_mode_name(uint32_t mode); /* "default", "always_emulate", ...; NULL if unknown */

/* ----------------------------------------------------------- HVM_PARAMS */

#define XSR_HVM_PARAMS_HDR_SIZE 8u
#define XSR_HVM_PARAM_ENTRY_SIZE 16u
struct xsr_hvm_params {
    uint32_t count;
    uint32_t reserved;
    const uint8_t *entries; /* count * 16 bytes */
    enum xsr_byte_order order;
};
/* Needs len >= 8 and len == 8 + 16*count. */
/* The HVM parameters a saver queries, in Xen's order (write_hvm_params());
 * it sends those that are non-zero. */
#define XSR_HVM_PARAMS_SAVED 16u
extern const uint32_t xsr_hvm_params_saved[XSR_HVM_PARAMS_SAVED];
int xsr_hvm_params_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                          struct xsr_hvm_params *v, struct xsr_error *err);
void xsr_hvm_params_entry(const struct xsr_hvm_params *v, uint32_t i, uint64_t *index, uint64_t *value);
const char *xsr_hvm_param_name(uint64_t index); /* "STORE_PFN", ...; NULL if unknown */

/* --------------------------------------- X86_CPUID_POLICY, X86_MSR_POLICY */

#define XSR_CPUID_LEAF_SIZE 24u
#define XSR_CPUID_NO_SUBLEAF 0xffffffffu
struct xsr_cpuid_leaf { uint32_t leaf, subleaf, a, b, c, d; };
void xsr_cpuid_leaf_decode(const uint8_t b[XSR_CPUID_LEAF_SIZE], enum xsr_byte_order o, struct xsr_cpuid_leaf *v);
void xsr_cpuid_leaf_encode(const struct xsr_cpuid_leaf *v, enum xsr_byte_order o, uint8_t b[XSR_CPUID_LEAF_SIZE]);

/* MSR policy entries and X86_PV_VCPU_MSRS entries share this 16-byte layout. */
#define XSR_MSR_ENTRY_SIZE 16u
struct xsr_msr_entry { uint32_t index; uint32_t flags; uint64_t value; };
void xsr_msr_entry_decode(const uint8_t b[XSR_MSR_ENTRY_SIZE], enum xsr_byte_order o, struct xsr_msr_entry *v);
void xsr_msr_entry_encode(const struct xsr_msr_entry *v, enum xsr_byte_order o, uint8_t b[XSR_MSR_ENTRY_SIZE]);
const char *xsr_msr_name(uint32_t index); /* "ARCH_CAPABILITIES", ...; NULL if not one Xen sends */

/* ---------------------------------------- DOMAIN_CONTEXT blob (v9 layout) */
/*
 * Entries: 8-byte descriptor {u16 typecode, u16 instance, u32 length}, then
 * length bytes (body + zero padding to 8).  The blob uses the stream's byte
 * order.
 */
#define XSR_DOMCTX_DESC_SIZE 8u
#define XSR_DOMCTX_ALIGN 8u
#define XSR_DOMCTX_MAGIC 0x53415645u
#define XSR_DOMCTX_VERSION 1u
#define XSR_DOMCTX_HEADER_SIZE 16u     /* 12 bytes + 4 padding */
#define XSR_DOMCTX_SHINFO_HDR_SIZE 8u
#define XSR_DOMCTX_SHINFO_32BIT 0x1u
#define XSR_DOMCTX_TSC_SIZE 24u

enum xsr_domctx_type {
    XSR_DOMCTX_END = 0,
    XSR_DOMCTX_HEADER = 1,
    XSR_DOMCTX_SHARED_INFO = 2,
    XSR_DOMCTX_TSC_INFO = 3,
};
const char *xsr_domctx_type_name(uint16_t type); /* NULL if unknown */

struct xsr_domctx_desc { uint16_t typecode; uint16_t instance; uint32_t length; };
struct xsr_domctx_header { uint32_t magic; uint16_t xen_major, xen_minor; uint32_t version; uint32_t pad; };
struct xsr_domctx_shinfo { uint32_t flags; uint32_t buffer_size; const uint8_t *buffer; };
struct xsr_domctx_tsc { uint32_t mode, incarnation; uint64_t elapsed_nsec; uint32_t khz; uint32_t tail; };

struct xsr_domctx_entry {
    struct xsr_domctx_desc desc;
    const uint8_t *body;  /* desc.length bytes */
    size_t offset;        /* of the descriptor within the blob */
};
struct xsr_domctx_iter {
    const uint8_t *blob;
    size_t len;
    size_t off;
    enum xsr_byte_order order;
};
void xsr_domctx_iter_init(struct xsr_domctx_iter *it, const uint8_t *blob, size_t len,
                          enum xsr_byte_order o);
/* 1 and *e filled; 0 at the end of the buffer; XSR_EFORMAT if a descriptor
 * or its body runs past the end (err says where). */
int xsr_domctx_next(struct xsr_domctx_iter *it, struct xsr_domctx_entry *e, struct xsr_error *err);

void xsr_domctx_header_decode(const uint8_t b[XSR_DOMCTX_HEADER_SIZE], enum xsr_byte_order o, struct xsr_domctx_header *h);
/* Needs len >= 8 and len >= 8 + buffer_size. */
int xsr_domctx_shinfo_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                             struct xsr_domctx_shinfo *v, struct xsr_error *err);
void xsr_domctx_tsc_decode(const uint8_t b[XSR_DOMCTX_TSC_SIZE], enum xsr_byte_order o, struct xsr_domctx_tsc *v);

/*
 * Append one entry (descriptor, body, zero padding) at dst+*off if it fits in
 * cap; always advances *off by the entry's size, so a first pass with
 * dst == NULL computes the size.  Returns 0, or XSR_ELIMIT if it did not fit
 * (or *off would overflow).  body == NULL writes body_len zero bytes for the
 * caller to fill in place.  XSR_EINVAL if the padded length exceeds a u32.
 */
int xsr_domctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                   const uint8_t *body, uint32_t body_len, enum xsr_byte_order o);
void xsr_domctx_header_encode(const struct xsr_domctx_header *h, enum xsr_byte_order o, uint8_t b[XSR_DOMCTX_HEADER_SIZE]);
void xsr_domctx_tsc_encode(const struct xsr_domctx_tsc *v, enum xsr_byte_order o, uint8_t b[XSR_DOMCTX_TSC_SIZE]);
/* shared-info entry body = 8-byte header + buffer; writes the header only */
void xsr_domctx_shinfo_encode_hdr(uint32_t flags, uint32_t buffer_size, enum xsr_byte_order o,
                                  uint8_t b[XSR_DOMCTX_SHINFO_HDR_SIZE]);

/* ------------------------------------------------ HVM_CONTEXT blob entries */
/* {u16 typecode, u16 instance, u32 length} + body; no padding between entries */
#define XSR_HVMCTX_DESC_SIZE 8u
#define XSR_HVMCTX_MAGIC 0x54381286u
#define XSR_HVMCTX_VERSION 1u
#define XSR_HVMCTX_HEADER_SIZE 24u
#define XSR_HVMCTX_CODE_MAX 20u

enum xsr_hvmctx_type {
    XSR_HVMCTX_END = 0, XSR_HVMCTX_HEADER = 1, XSR_HVMCTX_CPU = 2, XSR_HVMCTX_PIC = 3,
    XSR_HVMCTX_IOAPIC = 4, XSR_HVMCTX_LAPIC = 5, XSR_HVMCTX_LAPIC_REGS = 6,
    XSR_HVMCTX_PCI_IRQ = 7, XSR_HVMCTX_ISA_IRQ = 8, XSR_HVMCTX_PCI_LINK = 9,
    XSR_HVMCTX_PIT = 10, XSR_HVMCTX_RTC = 11, XSR_HVMCTX_HPET = 12, XSR_HVMCTX_PMTIMER = 13,
    XSR_HVMCTX_MTRR = 14, XSR_HVMCTX_VIRIDIAN_DOMAIN = 15, XSR_HVMCTX_CPU_XSAVE = 16,
    XSR_HVMCTX_VIRIDIAN_VCPU = 17, XSR_HVMCTX_VMCE_VCPU = 18, XSR_HVMCTX_TSC_ADJUST = 19,
    XSR_HVMCTX_CPU_MSR = 20,
};
const char *xsr_hvmctx_type_name(uint16_t type); /* NULL if unknown */
/* Fixed body size of a type, 0 if variable or unknown. */
uint32_t xsr_hvmctx_type_size(uint16_t type);
/* true for the types Xen's loader accepts shorter than their size (an older
 * layout), zero-filling the rest: CPU, LAPIC, RTC, VIRIDIAN_DOMAIN,
 * VIRIDIAN_VCPU, VMCE_VCPU; the others must have exactly their size. */
bool xsr_hvmctx_type_zero_extends(uint16_t type);
#define XSR_HVMCTX_XSAVE_MIN 600u        /* xcr0, xcr0_accum + FXSAVE + XSAVE header */
#define XSR_HVMCTX_MSR_HDR_SIZE 8u       /* CPU_MSR: u32 count, u32 pad */
#define XSR_HVMCTX_MSR_ENTRY_SIZE 16u
/* true for per-vCPU types (instance = vCPU id) */
bool xsr_hvmctx_type_per_vcpu(uint16_t type);

struct xsr_hvmctx_desc { uint16_t typecode; uint16_t instance; uint32_t length; };
struct xsr_hvmctx_entry {
    struct xsr_hvmctx_desc desc;
    const uint8_t *body;
    size_t offset;
};
struct xsr_hvmctx_header { uint32_t magic, version; uint64_t changeset; uint32_t cpuid, gtsc_khz; };
struct xsr_hvmctx_iter {
    const uint8_t *blob;
    size_t len;
    size_t off;
    enum xsr_byte_order order;
};
void xsr_hvmctx_iter_init(struct xsr_hvmctx_iter *it, const uint8_t *blob, size_t len,
                          enum xsr_byte_order o);
/* as xsr_domctx_next */
int xsr_hvmctx_next(struct xsr_hvmctx_iter *it, struct xsr_hvmctx_entry *e, struct xsr_error *err);
void xsr_hvmctx_header_decode(const uint8_t b[XSR_HVMCTX_HEADER_SIZE], enum xsr_byte_order o, struct xsr_hvmctx_header *h);
void xsr_hvmctx_header_encode(const struct xsr_hvmctx_header *h, enum xsr_byte_order o, uint8_t b[XSR_HVMCTX_HEADER_SIZE]);
/* like xsr_domctx_put, without padding (so never XSR_EINVAL) */
int xsr_hvmctx_put(uint8_t *dst, size_t cap, size_t *off, uint16_t type, uint16_t instance,
                   const uint8_t *body, uint32_t body_len, enum xsr_byte_order o);

/* -------------------------------------------------------- libxl stream */

#define XSR_LIBXL_HDR_SIZE 16u
#define XSR_LIBXL_IDENT 0x4c6962786c466d74ULL /* "LibxlFmt" */
#define XSR_LIBXL_VERSION 2u
#define XSR_LIBXL_OPT_BIG_ENDIAN 0x1u
#define XSR_LIBXL_OPT_LEGACY 0x2u

struct xsr_libxl_hdr { uint64_t ident; uint32_t version; uint32_t options; }; /* big-endian */
void xsr_libxl_hdr_decode(const uint8_t b[XSR_LIBXL_HDR_SIZE], struct xsr_libxl_hdr *h);
void xsr_libxl_hdr_encode(const struct xsr_libxl_hdr *h, uint8_t b[XSR_LIBXL_HDR_SIZE]);
static inline enum xsr_byte_order xsr_libxl_hdr_order(const struct xsr_libxl_hdr *h)
{
    return (h->options & XSR_LIBXL_OPT_BIG_ENDIAN) ? XSR_BIG_ENDIAN : XSR_LITTLE_ENDIAN;
}

enum xsr_libxl_rec_type {
    XSR_LIBXL_REC_END = 0,
    XSR_LIBXL_REC_LIBXC_CONTEXT = 1,
    XSR_LIBXL_REC_EMULATOR_XENSTORE_DATA = 2,
    XSR_LIBXL_REC_EMULATOR_CONTEXT = 3,
    XSR_LIBXL_REC_CHECKPOINT_END = 4,
    XSR_LIBXL_REC_CHECKPOINT_STATE = 5,
    XSR_LIBXL_REC_TYPE_COUNT = 6,
};
const char *xsr_libxl_rec_type_name(uint32_t type); /* NULL if unknown */

#define XSR_EMULATOR_HDR_SIZE 8u
enum xsr_emulator_id { XSR_EMU_UNKNOWN = 0, XSR_EMU_QEMU_TRADITIONAL = 1, XSR_EMU_QEMU_UPSTREAM = 2 };
const char *xsr_emulator_name(uint32_t id); /* NULL if unknown */
struct xsr_emulator_rec { uint32_t id; uint32_t index; const uint8_t *data; uint32_t data_len; };
/* Needs len >= 8. */
int xsr_emulator_rec_decode(const uint8_t *body, uint32_t len, enum xsr_byte_order o,
                            struct xsr_emulator_rec *v, struct xsr_error *err);
void xsr_emulator_hdr_encode(uint32_t id, uint32_t index, enum xsr_byte_order o, uint8_t b[XSR_EMULATOR_HDR_SIZE]);

enum xsr_checkpoint_state {
    XSR_CHECKPOINT_NEW = 0, XSR_CHECKPOINT_SVM_SUSPENDED = 1,
    XSR_CHECKPOINT_SVM_READY = 2, XSR_CHECKPOINT_SVM_RESUMED = 3,
};

/* ---------------------------------------------------- xl save-file header */

#define XSR_XL_MAGIC_SIZE 32u
#define XSR_XL_HDR_SIZE 48u
extern const uint8_t xsr_xl_magic[XSR_XL_MAGIC_SIZE]; /* "Xen saved domain, xl format\n \0 \r" */
#define XSR_XL_BYTEORDER 0x01020304u
#define XSR_XL_FLAG_JSON 0x1u
#define XSR_XL_FLAG_STREAMV2 0x2u
#define XSR_XL_FLAGS_KNOWN (XSR_XL_FLAG_JSON | XSR_XL_FLAG_STREAMV2)

struct xsr_xl_hdr {
    enum xsr_byte_order order; /* from the byteorder field */
    uint32_t mandatory_flags;
    uint32_t optional_flags;
    uint32_t optional_data_len;
};
/* Checks the magic and that byteorder reads as 0x01020304 in one order. */
int xsr_xl_hdr_decode(const uint8_t b[XSR_XL_HDR_SIZE], struct xsr_xl_hdr *h, struct xsr_error *err);
void xsr_xl_hdr_encode(const struct xsr_xl_hdr *h, uint8_t b[XSR_XL_HDR_SIZE]);

/* -------------------------------------------------------- format sniffing */

/* Which layer a file starts with.  Needs up to 32 bytes; fewer give NONE
 * unless they already decide.  Anything not starting with a known header is
 * reported as LEGACY only if its first 8 bytes contain a zero bit. */
enum xsr_layer xsr_detect(const uint8_t *b, size_t n);

#ifdef __cplusplus
}
#endif
#endif
