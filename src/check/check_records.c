/* SPDX-License-Identifier: MIT */
/*
 * libxc records: framing rules, the per-type dispatch, and the stream-level
 * state machine (version rules, STATIC_DATA_END, guest type, PV order,
 * checkpoints, DOMAIN_CONTEXT per checkpoint, END and what must precede it).
 */
#include <inttypes.h>

#include "check_internal.h"

bool xsri_is_pv(const struct xsri_checker *c)
{
    return c->x.dom_type == XSR_DOM_X86_PV;
}

bool xsri_is_hvm(const struct xsri_checker *c)
{
    return c->x.dom_type == XSR_DOM_X86_HVM;
}

void xsri_vcpu_seen(struct xsri_checker *c, uint32_t id)
{
    if (id < XSR_VCPU_MAX)
        c->vcpu_bitmap[id / 64] |= 1ULL << (id % 64);
}

static void want_pv(struct xsri_checker *c)
{
    if (xsri_is_hvm(c))
        xsri_report(c, XSRI_R_GUEST_PV_IN_HVM,
                    "this record is for PV guests only, but the domain header says x86 HVM");
}

static void want_hvm(struct xsri_checker *c)
{
    if (xsri_is_pv(c))
        xsri_report(c, XSRI_R_GUEST_HVM_IN_PV,
                    "this record is for HVM guests only, but the domain header says x86 PV");
}

static void must_be_empty(struct xsri_checker *c, const struct xsr_record *rec)
{
    if (rec->length)
        xsri_report(c, XSRI_R_REC_NOT_EMPTY, "has a body of %" PRIu32 " bytes, expected none",
                    rec->length);
}

/* SHARED_INFO and X86_TSC_INFO, whose content v4 carries in DOMAIN_CONTEXT. */
static void deprecated_in_v4(struct xsri_checker *c, const struct xsr_rec_info *ri)
{
    if (ri->deprecated && c->x.version >= ri->deprecated)
        xsri_report(c, XSRI_R_V4_DEPRECATED,
                    "%s is deprecated in version %" PRIu32 " streams: its content travels in "
                    "DOMAIN_CONTEXT",
                    ri->name, c->x.version);
}

/* A record a later stream version introduced (policies, DOMAIN_CONTEXT). */
static void version_record(struct xsri_checker *c, const struct xsr_rec_info *ri)
{
    if (c->x.version && c->x.version < ri->since)
        xsri_report(c, XSRI_R_VERSION_RECORD,
                    "%s is defined %s stream version %" PRIu32 "%s; this stream is "
                    "version %" PRIu32,
                    ri->name, ri->since == XSR_VERSION_MAX ? "in" : "from", ri->since,
                    ri->since == XSR_VERSION_MAX ? " only" : " on", c->x.version);
}

/* The first PAGE_DATA / X86_PV_P2M_FRAMES: static data must be complete. */
static void memory_starts(struct xsri_checker *c, const char *name)
{
    if (c->x.sde_seen)
        return;
    if (c->x.version == 2) {
        /* Xen infers STATIC_DATA_END here for v2 streams. */
        c->x.sde_seen = true;
        c->x.sde_inferred = true;
    } else if (c->x.version >= 3 && !c->x.sde_missing_reported) {
        c->x.sde_missing_reported = true;
        xsri_report(c, XSRI_R_SDE_MISSING,
                    "the first %s comes before STATIC_DATA_END, which a version %" PRIu32
                    " stream must send first",
                    name, c->x.version);
    }
}

static void static_record(struct xsri_checker *c, const char *name)
{
    if (c->x.sde_seen)
        xsri_report(c, XSRI_R_STATIC_AFTER_END,
                    "%s is static data and must come before STATIC_DATA_END%s", name,
                    c->x.sde_inferred ? " (inferred at the first PAGE_DATA / X86_PV_P2M_FRAMES "
                                        "of this version 2 stream)"
                                      : "");
}

/*
 * Domain state other than memory (TSC, shared info, HVM records) follows the
 * static data in v3+.  Xen's restore code only refuses memory before
 * STATIC_DATA_END, hence a warning in lenient mode.  Once the memory came
 * without it, static-data-end.missing has said so: no finding per record.
 */
static void state_record(struct xsri_checker *c)
{
    if (c->x.version >= 3 && !c->x.sde_seen && !c->x.sde_missing_reported)
        xsri_report(c, XSRI_R_ORDER_STATIC_DATA,
                    "comes before STATIC_DATA_END; a version %" PRIu32 " stream sends memory "
                    "and vCPU state after the static data",
                    c->x.version);
}

static void policy_record(struct xsri_checker *c, const struct xsr_rec_info *ri)
{
    if (c->x.version && c->x.version < ri->since)
        version_record(c, ri);
    else
        static_record(c, ri->name);
}

static void check_cpuid(struct xsri_checker *c, const struct xsr_rec_info *ri,
                        const struct xsr_record *rec)
{
    policy_record(c, ri);
    if (!xsr_rec_length_ok(ri, rec->length))
        xsri_report(c, XSRI_R_CPUID_LENGTH,
                    "length %" PRIu32 " is not a non-zero multiple of %" PRIu32
                    " (one CPUID leaf)",
                    rec->length, ri->unit);
}

static void check_msr_policy(struct xsri_checker *c, const struct xsr_rec_info *ri,
                             const struct xsr_record *rec, enum xsr_byte_order o)
{
    policy_record(c, ri);
    if (!xsr_rec_length_ok(ri, rec->length)) {
        xsri_report(c, XSRI_R_MSRP_LENGTH,
                    "length %" PRIu32 " is not a non-zero multiple of %" PRIu32
                    " (one MSR entry)",
                    rec->length, ri->unit);
        return;
    }
    uint32_t n = rec->length / XSR_MSR_ENTRY_SIZE, bad = 0;
    for (uint32_t i = 0; i < n; i++) {
        const uint8_t *e = rec->body + (size_t)i * XSR_MSR_ENTRY_SIZE;
        uint32_t flags = xsr_ld32(e + 4, o);
        if (flags && bad++ < XSRI_MAX_ITEMS)
            xsri_report(c, XSRI_R_MSRP_FLAGS,
                        "entry %" PRIu32 " (MSR 0x%08" PRIx32 ") has flags 0x%08" PRIx32
                        ", which must be zero",
                        i, xsr_ld32(e, o), flags);
    }
    if (bad > XSRI_MAX_ITEMS)
        xsri_report(c, XSRI_R_MSRP_FLAGS, "%" PRIu32 " more entries have non-zero flags",
                    bad - XSRI_MAX_ITEMS);
}

static void check_tsc_info(struct xsri_checker *c, const struct xsr_rec_info *ri,
                           const struct xsr_record *rec, enum xsr_byte_order o)
{
    deprecated_in_v4(c, ri);
    if (!xsr_rec_length_ok(ri, rec->length)) {
        xsri_report(c, XSRI_R_TSC_LENGTH, "length %" PRIu32 " is not %" PRIu32, rec->length,
                    ri->min_length);
        return;
    }
    struct xsr_tsc_info t;
    xsr_tsc_info_decode(rec->body, o, &t);
    if (t.mode > 2)
        xsri_report(c, XSRI_R_TSC_MODE,
                    "TSC mode %" PRIu32 " is not 0 (default), 1 (always emulate) or "
                    "2 (never emulate)",
                    t.mode);
    if (t.reserved)
        xsri_report(c, XSRI_R_TSC_RESERVED, "reserved field is 0x%08" PRIx32 ", expected 0",
                    t.reserved);
}

static void check_static_data_end(struct xsri_checker *c)
{
    if (c->x.version == 2) {
        if (c->x.sde_inferred)
            xsri_report(c, XSRI_R_SDE_DUPLICATE,
                        "comes after the STATIC_DATA_END inferred at the first PAGE_DATA / "
                        "X86_PV_P2M_FRAMES of this version 2 stream");
        else if (c->x.sde_seen)
            xsri_report(c, XSRI_R_SDE_DUPLICATE, "a second STATIC_DATA_END");
        else
            xsri_report(c, XSRI_R_SDE_V2,
                        "STATIC_DATA_END is defined from stream version 3 on; a version 2 "
                        "stream has it inferred at its first PAGE_DATA / X86_PV_P2M_FRAMES");
    } else if (c->x.sde_seen) {
        xsri_report(c, XSRI_R_SDE_DUPLICATE, "a second STATIC_DATA_END; it is sent exactly once");
    }
    c->x.sde_seen = true;
}

static void check_domain_context_rec(struct xsri_checker *c, const struct xsr_rec_info *ri,
                                     const struct xsr_record *rec, enum xsr_byte_order o)
{
    version_record(c, ri);
    if (c->x.version >= 3 && !c->x.sde_seen)
        xsri_report(c, XSRI_R_ORDER_DOMCTX, "comes before STATIC_DATA_END");
    if (++c->x.domctx_cp == 2)
        xsri_report(c, XSRI_R_V4_DOMCTX_DUPLICATE,
                    "a second DOMAIN_CONTEXT in %s; one is sent per checkpoint",
                    c->sum.checkpoints ? "this checkpoint" : "the stream");
    xsri_check_domain_context(c, rec, o);
}

static void check_checkpoint(struct xsri_checker *c)
{
    if (c->x.verify_seen)
        xsri_report(c, XSRI_R_CHECKPOINT_UNEXPECTED,
                    "comes after VERIFY, which only plain (non-checkpointed) streams send");
    if (!c->x.sde_seen)
        xsri_report(c, XSRI_R_CHECKPOINT_UNEXPECTED,
                    "comes before the static data is complete (no STATIC_DATA_END and no "
                    "memory yet), so the checkpoint holds no consistent state");
    if (!c->x.checkpoint_noted) {
        c->x.checkpoint_noted = true;
        xsri_report(c, XSRI_R_CHECKPOINT_STREAM,
                    "the stream is checkpointed (Remus/COLO); a plain restore (xl restore) "
                    "refuses it");
    }
    if (c->x.version >= 4 && c->x.domctx_cp == 0)
        xsri_report(c, XSRI_R_V4_DOMCTX_MISSING,
                    "checkpoint %" PRIu64 " has no DOMAIN_CONTEXT; version 4 sends one per "
                    "checkpoint",
                    c->sum.checkpoints + 1);

    c->sum.checkpoints++;
    c->x.domctx_cp = 0;
    c->x.hvm_params_seen_cp = false;
    c->x.hvm_context_seen_cp = false;
    c->x.vcpu_seen_cp = false;
    c->x.records_since_cp = 0;
    if (c->libxl_seen)
        c->libxl_in_checkpoint = true;
}

/* END: everything a restorable stream must have sent by now. */
static void check_end(struct xsri_checker *c)
{
    c->x.end_seen = true;

    if (c->x.version >= 3 && !c->x.sde_seen && !c->x.sde_missing_reported)
        xsri_report(c, XSRI_R_SDE_MISSING,
                    "the stream ends without STATIC_DATA_END, which a version %" PRIu32
                    " stream must send exactly once",
                    c->x.version);
    if (xsri_is_pv(c)) {
        if (!c->x.pv_info_seen)
            xsri_report(c, XSRI_R_PVI_MISSING, "the PV stream ends without X86_PV_INFO");
        if (!c->x.p2m_seen)
            xsri_report(c, XSRI_R_P2M_MISSING, "the PV stream ends without X86_PV_P2M_FRAMES");
        if (!c->x.vcpu0_basic_seen)
            xsri_report(c, XSRI_R_VCPU_BASIC_MISSING,
                        "the PV stream ends without X86_PV_VCPU_BASIC for vCPU 0");
    }
    if (xsri_is_hvm(c) && !c->x.hvm_context_seen)
        xsri_report(c, XSRI_R_HVMCTX_MISSING, "the HVM stream ends without HVM_CONTEXT");
    /* After the last CHECKPOINT a checkpointed stream may end at once. */
    bool cp_empty = c->sum.checkpoints && c->x.records_since_cp <= 1;
    if (c->x.version >= 4 && c->x.domctx_cp == 0 && !cp_empty)
        xsri_report(c, XSRI_R_V4_DOMCTX_MISSING,
                    "the version 4 stream ends without DOMAIN_CONTEXT%s",
                    c->sum.checkpoints ? " in its last checkpoint" : "");
}

static void check_page_data_order(struct xsri_checker *c)
{
    memory_starts(c, "PAGE_DATA");
    if (xsri_is_pv(c) && !c->x.order_pv_page_noted) {
        if (!c->x.p2m_seen) {
            c->x.order_pv_page_noted = true;
            xsri_report(c, XSRI_R_ORDER_PV, "PAGE_DATA before any X86_PV_P2M_FRAMES");
        } else if (c->x.vcpu_seen_cp) {
            c->x.order_pv_page_noted = true;
            xsri_report(c, XSRI_R_ORDER_PV,
                        "PAGE_DATA after vCPU records of the same checkpoint");
        }
    }
    c->x.page_data_seen = true;
}

int xsri_check_record(struct xsri_checker *c, const struct xsr_event *ev)
{
    const struct xsr_record *rec = &ev->u.rec;
    enum xsr_byte_order o = ev->order;
    uint32_t type = rec->type;
    uint32_t pad = xsr_rec_pad(rec->length);

    c->sum.records++;
    if (type < XSR_REC_TYPE_COUNT)
        c->sum.bytes_by_type[type] += XSR_RHDR_SIZE + xsr_rec_padded(rec->length);
    c->x.records_since_cp++;

    if (pad && rec->padding && !xsr_all_zero(rec->padding, pad))
        xsri_report(c, XSRI_R_REC_PADDING,
                    "the %" PRIu32 " padding bytes after the %" PRIu32 "-byte body are not zero",
                    pad, rec->length);
    if (c->x.end_seen) {
        if (!c->x.end_last_reported) {
            c->x.end_last_reported = true;
            xsri_report(c, XSRI_R_ORDER_END_LAST, "follows the END record of the libxc stream");
        }
        return 0;
    }
    if (type & XSR_REC_OPTIONAL) {
        xsri_report(c, XSRI_R_REC_OPTIONAL_SKIPPED,
                    "optional record type 0x%08" PRIx32 " (%" PRIu32 " bytes) is not known "
                    "and is skipped",
                    type, rec->length);
        return 0;
    }

    /* What the record table says for every type; the rest below. */
    const struct xsr_rec_info *ri = xsr_rec_info(type);
    if (ri) {
        if (ri->guest == XSR_REC_GUEST_PV)
            want_pv(c);
        else if (ri->guest == XSR_REC_GUEST_HVM)
            want_hvm(c);
        if (ri->max_length == 0)
            must_be_empty(c, rec);
    }

    switch (type) {
    case XSR_REC_END:
        check_end(c);
        break;
    case XSR_REC_PAGE_DATA:
        check_page_data_order(c);
        return xsri_check_page_data(c, rec, o);
    case XSR_REC_X86_PV_INFO:
        if (!c->x.pv_info_seen)
            static_record(c, ri->name);
        xsri_check_pv_info(c, rec, o);
        break;
    case XSR_REC_X86_PV_P2M_FRAMES:
        memory_starts(c, ri->name);
        if (!c->x.pv_info_seen)
            xsri_report(c, XSRI_R_P2M_BEFORE_PV_INFO,
                        "comes before X86_PV_INFO, which gives the guest width it depends on");
        if (c->x.vcpu_seen_cp && !c->x.order_pv_p2m_noted) {
            c->x.order_pv_p2m_noted = true;
            xsri_report(c, XSRI_R_ORDER_PV,
                        "X86_PV_P2M_FRAMES after vCPU records of the same checkpoint");
        }
        xsri_check_p2m_frames(c, rec, o);
        break;
    case XSR_REC_X86_PV_VCPU_BASIC:
    case XSR_REC_X86_PV_VCPU_EXTENDED:
    case XSR_REC_X86_PV_VCPU_XSAVE:
    case XSR_REC_X86_PV_VCPU_MSRS:
        if (xsri_is_pv(c) && !c->x.page_data_seen && !c->x.order_pv_vcpu_noted) {
            c->x.order_pv_vcpu_noted = true;
            xsri_report(c, XSRI_R_ORDER_PV, "vCPU record before any PAGE_DATA");
        }
        xsri_check_vcpu(c, rec, o);
        break;
    case XSR_REC_SHARED_INFO:
        deprecated_in_v4(c, ri);
        state_record(c);
        xsri_check_shared_info(c, rec);
        break;
    case XSR_REC_X86_TSC_INFO:
        state_record(c);
        check_tsc_info(c, ri, rec, o);
        break;
    case XSR_REC_HVM_CONTEXT:
        state_record(c);
        xsri_check_hvm_context(c, rec, o);
        break;
    case XSR_REC_HVM_PARAMS:
        state_record(c);
        xsri_check_hvm_params(c, rec, o);
        break;
    case XSR_REC_TOOLSTACK:
        xsri_report(c, XSRI_R_TOOLSTACK,
                    "TOOLSTACK is deprecated (Xen 4.6 only); its %" PRIu32
                    " bytes are not restored",
                    rec->length);
        break;
    case XSR_REC_VERIFY:
        c->x.verify_seen = true;
        break;
    case XSR_REC_CHECKPOINT:
        check_checkpoint(c);
        break;
    case XSR_REC_CHECKPOINT_DIRTY_PFN_LIST:
        xsri_report(c, XSRI_R_DIRTY_PFN_LIST,
                    "CHECKPOINT_DIRTY_PFN_LIST is only sent on the COLO back channel, "
                    "never in the main stream");
        break;
    case XSR_REC_STATIC_DATA_END:
        check_static_data_end(c);
        break;
    case XSR_REC_X86_CPUID_POLICY:
        check_cpuid(c, ri, rec);
        break;
    case XSR_REC_X86_MSR_POLICY:
        check_msr_policy(c, ri, rec, o);
        break;
    case XSR_REC_DOMAIN_CONTEXT:
        check_domain_context_rec(c, ri, rec, o);
        break;
    default:
        xsri_report(c, XSRI_R_REC_UNKNOWN_MANDATORY,
                    "mandatory record type 0x%08" PRIx32 " is not defined; a receiver must "
                    "refuse the stream",
                    type);
        break;
    }
    return 0;
}

void xsri_libxc_finish(struct xsri_checker *c, bool clean)
{
    /* A bare libxc stream that the walker saw end cleanly without END. */
    if (clean && c->x.ihdr_seen && !c->x.end_seen && !c->libxl_seen)
        xsri_report(c, XSRI_R_END_MISSING, "the libxc stream has no END record");
}
