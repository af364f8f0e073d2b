/* SPDX-License-Identifier: MIT */
/* The vCPU field table (xsr/vcpu.h): offsets, accessors, frame translation. */
#include <stdlib.h>

#include <xsr/vcpu.h>

#include "wire_test.h"

static const enum xsr_vcpu_kind kinds[] = {
    XSR_VCPU_PV64, XSR_VCPU_PV32, XSR_VCPU_HVM, XSR_VCPU_HVM_COMPAT,
};

static void test_sizes(void **state)
{
    (void)state;
    assert_int_equal(xsr_vcpu_ctx_size(XSR_VCPU_PV64), 5168);
    assert_int_equal(xsr_vcpu_ctx_size(XSR_VCPU_PV32), 2800);
    assert_int_equal(xsr_vcpu_ctx_size(XSR_VCPU_HVM), 1032);
    assert_int_equal(xsr_vcpu_ctx_size(XSR_VCPU_HVM_COMPAT), 1016);
    assert_int_equal(xsr_vcpu_ctx_size(XSR_VCPU_KIND_COUNT), 0);
    assert_int_equal(xsr_vcpu_kind_pv(4), XSR_VCPU_PV32);
    assert_int_equal(xsr_vcpu_kind_pv(8), XSR_VCPU_PV64);
    assert_int_equal(xsr_vcpu_kind_hvm(1032), XSR_VCPU_HVM);
    assert_int_equal(xsr_vcpu_kind_hvm(1016), XSR_VCPU_HVM_COMPAT);
}

/* Offsets as the format facts list them (tables 3a and 3b), written out
 * independently of the table under test. */
struct known { enum xsr_vcpu_kind k; enum xsr_vcpu_field f; unsigned i; uint32_t off; unsigned size; };
static const struct known known[] = {
    { XSR_VCPU_PV64, XSR_VCPU_FLAGS, 0, 512, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_R15, 0, 520, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_RDX, 0, 616, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_RIP, 0, 648, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_RSP, 0, 672, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_RFLAGS, 0, 664, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_CS, 0, 656, 2 },
    { XSR_VCPU_PV64, XSR_VCPU_TRAP_CTXT, 255, 720 + 255 * 16, 16 },
    { XSR_VCPU_PV64, XSR_VCPU_LDT_BASE, 0, 4816, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_LDT_ENTS, 0, 4824, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_GDT_FRAMES, 0, 4832, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_GDT_FRAMES, 15, 4952, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_GDT_ENTS, 0, 4960, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_KERNEL_SS, 0, 4968, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_KERNEL_SP, 0, 4976, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_CTRLREG, 0, 4984, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_CR1, 0, 4992, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_CR3, 0, 5008, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_DEBUGREG, 7, 5104, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_EVENT_CALLBACK_EIP, 0, 5112, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_FAILSAFE_CALLBACK_EIP, 0, 5120, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_SYSCALL_CALLBACK_EIP, 0, 5128, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_VM_ASSIST, 0, 5136, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_FS_BASE, 0, 5144, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_GS_BASE_KERNEL, 0, 5152, 8 },
    { XSR_VCPU_PV64, XSR_VCPU_GS_BASE_USER, 0, 5160, 8 },
    { XSR_VCPU_PV32, XSR_VCPU_FLAGS, 0, 512, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_RBX, 0, 516, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_RDX, 0, 524, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_RIP, 0, 548, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_RSP, 0, 560, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_GS, 0, 580, 2 },
    { XSR_VCPU_PV32, XSR_VCPU_TRAP_CTXT, 0, 584, 8 },
    { XSR_VCPU_PV32, XSR_VCPU_LDT_BASE, 0, 2632, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_LDT_ENTS, 0, 2636, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_GDT_FRAMES, 1, 2644, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_GDT_ENTS, 0, 2704, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_KERNEL_SS, 0, 2708, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_KERNEL_SP, 0, 2712, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_CR3, 0, 2728, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_DEBUGREG, 0, 2748, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_EVENT_CALLBACK_EIP, 0, 2784, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_FAILSAFE_CALLBACK_EIP, 0, 2792, 4 },
    { XSR_VCPU_PV32, XSR_VCPU_VM_ASSIST, 0, 2796, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_RAX, 0, 512, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_R15, 0, 632, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_RIP, 0, 640, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_RFLAGS, 0, 648, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_CR0, 0, 656, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_CR4, 0, 680, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_DR7, 0, 728, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_CS, 0, 736, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_SEG_LIMIT, 9, 804, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_SEG_BASE, 0, 808, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_SEG_ARBYTES, 0, 888, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_SYSENTER_CS, 0, 920, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_GS_BASE_USER, 0, 944, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_MSR_LSTAR, 0, 960, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_MSR_EFER, 0, 992, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_MSR_TSC_AUX, 0, 1000, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_TSC, 0, 1008, 8 },
    { XSR_VCPU_HVM, XSR_VCPU_PENDING_EVENT, 0, 1016, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_ERROR_CODE, 0, 1020, 4 },
    { XSR_VCPU_HVM, XSR_VCPU_FLAGS, 0, 1024, 4 },
    { XSR_VCPU_HVM_COMPAT, XSR_VCPU_MSR_EFER, 0, 992, 8 },
    { XSR_VCPU_HVM_COMPAT, XSR_VCPU_TSC, 0, 1000, 8 },
    { XSR_VCPU_HVM_COMPAT, XSR_VCPU_PENDING_EVENT, 0, 1008, 4 },
    { XSR_VCPU_HVM_COMPAT, XSR_VCPU_ERROR_CODE, 0, 1012, 4 },
};

static void test_known_offsets(void **state)
{
    (void)state;
    for (size_t n = 0; n < NELEM(known); n++) {
        const struct known *k = &known[n];
        const struct xsr_vcpu_field_info *fi = xsr_vcpu_field(k->k, k->f);
        assert_non_null(fi);
        assert_int_equal(xsr_vcpu_offset(k->k, k->f, k->i), k->off);
        assert_int_equal(fi->size, k->size);
    }
}

static void test_absent_fields(void **state)
{
    (void)state;
    static const struct { enum xsr_vcpu_kind k; enum xsr_vcpu_field f; } absent[] = {
        { XSR_VCPU_PV32, XSR_VCPU_R8 }, { XSR_VCPU_PV32, XSR_VCPU_FS_BASE },
        { XSR_VCPU_PV32, XSR_VCPU_SYSCALL_CALLBACK_EIP }, { XSR_VCPU_PV64, XSR_VCPU_EVENT_CALLBACK_CS },
        { XSR_VCPU_PV64, XSR_VCPU_TR }, { XSR_VCPU_HVM, XSR_VCPU_CR1 }, { XSR_VCPU_HVM, XSR_VCPU_GDT_FRAMES },
        { XSR_VCPU_HVM_COMPAT, XSR_VCPU_MSR_TSC_AUX }, { XSR_VCPU_HVM_COMPAT, XSR_VCPU_FLAGS },
    };
    uint8_t buf[5168], copy[5168];
    for (size_t i = 0; i < sizeof(buf); i++)
        buf[i] = (uint8_t)(i * 7 + 1);
    memcpy(copy, buf, sizeof(buf));
    for (size_t n = 0; n < NELEM(absent); n++) {
        assert_null(xsr_vcpu_field(absent[n].k, absent[n].f));
        assert_int_equal(xsr_vcpu_offset(absent[n].k, absent[n].f, 0), UINT32_MAX);
        assert_int_equal(xsr_vcpu_get(buf, absent[n].k, absent[n].f, 0, LE), 0);
        xsr_vcpu_put(buf, absent[n].k, absent[n].f, 0, ~0ULL, LE);
    }
    /* out of range elements and unknown kinds/fields */
    assert_int_equal(xsr_vcpu_offset(XSR_VCPU_PV64, XSR_VCPU_GDT_FRAMES, 16), UINT32_MAX);
    xsr_vcpu_put(buf, XSR_VCPU_PV64, XSR_VCPU_GDT_FRAMES, 16, ~0ULL, LE);
    assert_null(xsr_vcpu_field(XSR_VCPU_KIND_COUNT, XSR_VCPU_RAX));
    assert_null(xsr_vcpu_field(XSR_VCPU_PV64, XSR_VCPU_FIELD_COUNT));
    check_bytes(buf, copy, sizeof(buf));
}

/* Every field lies inside its structure, and no two fields overlap unless
 * one names part of another: in PV, CRn/DRn are elements of ctrlreg/debugreg;
 * in HVM, fs_base and gs_base are elements of the segment bases. */
static bool alias(enum xsr_vcpu_kind k, enum xsr_vcpu_field f)
{
    if (k == XSR_VCPU_PV64 || k == XSR_VCPU_PV32)
        return f >= XSR_VCPU_CR0 && f <= XSR_VCPU_DR7;
    return f == XSR_VCPU_FS_BASE || f == XSR_VCPU_GS_BASE_KERNEL;
}

static void test_layout_consistent(void **state)
{
    (void)state;
    for (size_t n = 0; n < NELEM(kinds); n++) {
        enum xsr_vcpu_kind k = kinds[n];
        uint32_t size = xsr_vcpu_ctx_size(k);
        uint8_t *owner = calloc(size, 1);
        assert_non_null(owner);
        unsigned present = 0;
        for (unsigned f = 0; f < XSR_VCPU_FIELD_COUNT; f++) {
            const struct xsr_vcpu_field_info *fi = xsr_vcpu_field(k, f);
            if (!fi)
                continue;
            present++;
            assert_true(fi->size == 1 || fi->size == 2 || fi->size == 4 || fi->size == 8 ||
                        fi->size == 512 || fi->size == 16);
            assert_true(fi->count >= 1);
            assert_true((uint64_t)fi->offset + (uint64_t)fi->size * fi->count <= size);
            if (fi->size <= 8)
                assert_int_equal(fi->offset % fi->size, 0);
            if (alias(k, f))
                continue;
            for (uint32_t b = 0; b < (uint32_t)fi->size * fi->count; b++) {
                if (owner[fi->offset + b])
                    fail_msg("kind %d: field %s overlaps field %u at %u", k, fi->name,
                             owner[fi->offset + b] - 1u, fi->offset + b);
                owner[fi->offset + b] = (uint8_t)(f + 1);
            }
        }
        assert_true(present > 30);
        free(owner);
    }
}

/* wire.h's PV layout view agrees with the table. */
static void test_layout_view(void **state)
{
    (void)state;
    for (unsigned w = 4; w <= 8; w += 4) {
        const struct xsr_pv_vcpu_layout *l = xsr_pv_vcpu_layout(w);
        enum xsr_vcpu_kind k = xsr_vcpu_kind_pv(w);
        assert_non_null(l);
        assert_int_equal(l->size, xsr_vcpu_ctx_size(k));
        assert_int_equal(l->word, w);
        assert_int_equal(l->flags, xsr_vcpu_offset(k, XSR_VCPU_FLAGS, 0));
        assert_int_equal(l->user_regs, xsr_vcpu_offset(k, w == 8 ? XSR_VCPU_R15 : XSR_VCPU_RBX, 0));
        assert_int_equal(l->rip, xsr_vcpu_offset(k, XSR_VCPU_RIP, 0));
        assert_int_equal(l->rsp, xsr_vcpu_offset(k, XSR_VCPU_RSP, 0));
        assert_int_equal(l->rflags, xsr_vcpu_offset(k, XSR_VCPU_RFLAGS, 0));
        assert_int_equal(l->rdx, xsr_vcpu_offset(k, XSR_VCPU_RDX, 0));
        assert_int_equal(l->ldt_base, xsr_vcpu_offset(k, XSR_VCPU_LDT_BASE, 0));
        assert_int_equal(l->ldt_ents, xsr_vcpu_offset(k, XSR_VCPU_LDT_ENTS, 0));
        assert_int_equal(l->gdt_frames, xsr_vcpu_offset(k, XSR_VCPU_GDT_FRAMES, 0));
        assert_int_equal(l->gdt_ents, xsr_vcpu_offset(k, XSR_VCPU_GDT_ENTS, 0));
        assert_int_equal(l->kernel_ss, xsr_vcpu_offset(k, XSR_VCPU_KERNEL_SS, 0));
        assert_int_equal(l->kernel_sp, xsr_vcpu_offset(k, XSR_VCPU_KERNEL_SP, 0));
        assert_int_equal(l->ctrlreg, xsr_vcpu_offset(k, XSR_VCPU_CTRLREG, 0));
        assert_int_equal(l->fs_base, w == 8 ? xsr_vcpu_offset(k, XSR_VCPU_FS_BASE, 0) : 0);
        assert_int_equal(l->gs_base_kernel, w == 8 ? xsr_vcpu_offset(k, XSR_VCPU_GS_BASE_KERNEL, 0) : 0);
        assert_int_equal(l->gs_base_user, w == 8 ? xsr_vcpu_offset(k, XSR_VCPU_GS_BASE_USER, 0) : 0);
    }
    assert_null(xsr_pv_vcpu_layout(2));
}

static void test_get_put(void **state)
{
    (void)state;
    static const enum xsr_byte_order orders[] = { LE, BE };
    for (size_t n = 0; n < NELEM(kinds); n++)
        for (size_t oi = 0; oi < 2; oi++) {
            enum xsr_vcpu_kind k = kinds[n];
            enum xsr_byte_order o = orders[oi];
            uint32_t size = xsr_vcpu_ctx_size(k);
            uint8_t *b = calloc(size, 1);
            assert_non_null(b);
            for (unsigned f = XSR_VCPU_RAX; f < XSR_VCPU_FIELD_COUNT; f++) {
                const struct xsr_vcpu_field_info *fi = xsr_vcpu_field(k, f);
                if (!fi || fi->size > 8)
                    continue;
                unsigned last = fi->count - 1u;
                uint64_t v = 0x0102030405060708ULL ^ f;
                uint64_t mask = fi->size == 8 ? ~0ULL : (1ULL << (8 * fi->size)) - 1;
                xsr_vcpu_put(b, k, f, last, v, o);
                assert_int_equal(xsr_vcpu_get(b, k, f, last, o), v & mask);
                /* the bytes are where the offset says, in the stream's order */
                const uint8_t *p = b + xsr_vcpu_offset(k, f, last);
                uint8_t lsb = o == LE ? p[0] : p[fi->size - 1];
                assert_int_equal(lsb, (uint8_t)v);
                xsr_vcpu_put(b, k, f, last, 0, o);
            }
            /* all zero again: no put reached outside its field */
            assert_true(xsr_all_zero(b, size));
            free(b);
        }
}

/* ------------------------------------------------------ frame translation */

struct map { uint64_t delta; unsigned calls; enum xsr_vcpu_field seen[32]; unsigned fail_at; };

static int add_delta(void *arg, enum xsr_vcpu_field f, unsigned index, uint64_t in, uint64_t *out,
                     struct xsr_error *err)
{
    struct map *m = arg;
    (void)index;
    if (m->calls < 32)
        m->seen[m->calls] = f;
    if (++m->calls == m->fail_at)
        return xsr_error_set(err, XSR_EFAULT, "frame %#llx has no pfn", (unsigned long long)in);
    *out = in + m->delta;
    return 0;
}

static void test_frames_64(void **state)
{
    (void)state;
    const enum xsr_vcpu_kind k = XSR_VCPU_PV64;
    uint8_t *c = calloc(XSR_PV_VCPU_CTX_SIZE_64, 1);
    assert_non_null(c);
    struct xsr_error err = {0};
    for (size_t oi = 0; oi < 2; oi++) {
        enum xsr_byte_order o = oi ? BE : LE;
        memset(c, 0, XSR_PV_VCPU_CTX_SIZE_64);
        xsr_vcpu_put(c, k, XSR_VCPU_RDX, 0, 0x5000, o);
        xsr_vcpu_put(c, k, XSR_VCPU_GDT_ENTS, 0, 513, o); /* two frames */
        xsr_vcpu_put(c, k, XSR_VCPU_GDT_FRAMES, 0, 0x100, o);
        xsr_vcpu_put(c, k, XSR_VCPU_GDT_FRAMES, 1, 0x101, o);
        xsr_vcpu_put(c, k, XSR_VCPU_GDT_FRAMES, 2, 0x102, o); /* unused: kept */
        xsr_vcpu_put(c, k, XSR_VCPU_CR3, 0, 0x200ULL << 12, o);
        xsr_vcpu_put(c, k, XSR_VCPU_CR1, 0, 0x300ULL << 12, o);

        struct map m = { .delta = 0x10000 };
        assert_int_equal(xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 0, o,
                                            XSR_PV_FRAMES_SAVE, add_delta, &m, &err), 0);
        assert_int_equal(m.calls, 5);
        assert_int_equal(m.seen[0], XSR_VCPU_RDX);
        assert_int_equal(m.seen[1], XSR_VCPU_GDT_FRAMES);
        assert_int_equal(m.seen[3], XSR_VCPU_CR3);
        assert_int_equal(m.seen[4], XSR_VCPU_CR1);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_RDX, 0, o), 0x15000);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_GDT_FRAMES, 1, o), 0x10101);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_GDT_FRAMES, 2, o), 0x102);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_CR3, 0, o), 0x10200ULL << 12);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_CR1, 0, o), 0x10300ULL << 12 | 1);

        /* and back: the stream's present bit is dropped */
        m = (struct map){ .delta = (uint64_t)-0x10000 };
        assert_int_equal(xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 0, o,
                                            XSR_PV_FRAMES_RESTORE, add_delta, &m, &err), 0);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_RDX, 0, o), 0x5000);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_CR3, 0, o), 0x200ULL << 12);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_CR1, 0, o), 0x300ULL << 12);

        /* vCPUs other than 0 keep rdx; a zero cr1 is not a frame */
        xsr_vcpu_put(c, k, XSR_VCPU_CR1, 0, 0, o);
        m = (struct map){ .delta = 1 };
        assert_int_equal(xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 3, o,
                                            XSR_PV_FRAMES_SAVE, add_delta, &m, &err), 0);
        assert_int_equal(m.calls, 3);
        assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_RDX, 0, o), 0x5000);
    }
    free(c);
}

static void test_frames_32(void **state)
{
    (void)state;
    const enum xsr_vcpu_kind k = XSR_VCPU_PV32;
    uint8_t c[XSR_PV_VCPU_CTX_SIZE_32] = {0};
    struct xsr_error err = {0};
    /* a frame above 4 GiB: the extended cr3 keeps its high bits in the low 12 */
    const uint64_t top = 0x123456;
    xsr_vcpu_put(c, k, XSR_VCPU_CR3, 0, (uint32_t)(top << 12 | top >> 20), LE);
    xsr_vcpu_put(c, k, XSR_VCPU_CR1, 0, 0xabc000, LE); /* ignored for 32-bit guests */
    assert_int_equal(xsr_pv_cr3_to_frame(xsr_vcpu_get(c, k, XSR_VCPU_CR3, 0, LE), 4), top);
    struct map m = { .delta = 0x100000 };
    assert_int_equal(xsr_pv_vcpu_frames(c, sizeof(c), 4, 1, LE, XSR_PV_FRAMES_SAVE, add_delta,
                                        &m, &err), 0);
    assert_int_equal(m.calls, 1); /* gdt_ents 0: no GDT frames; not vCPU 0 */
    assert_int_equal(xsr_pv_cr3_to_frame(xsr_vcpu_get(c, k, XSR_VCPU_CR3, 0, LE), 4),
                     top + 0x100000);
    assert_int_equal(xsr_vcpu_get(c, k, XSR_VCPU_CR1, 0, LE), 0xabc000);
}

static void test_frames_errors(void **state)
{
    (void)state;
    uint8_t *c = calloc(XSR_PV_VCPU_CTX_SIZE_64, 1);
    assert_non_null(c);
    struct xsr_error err = {0};
    struct map m = { .delta = 1 };
    int rc;

    rc = xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_32, 8, 0, LE, XSR_PV_FRAMES_SAVE, add_delta, &m, &err);
    check_error(rc, &err, XSR_EFORMAT, "5168");
    rc = xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 6, 0, LE, XSR_PV_FRAMES_SAVE, add_delta, &m, &err);
    check_error(rc, &err, XSR_EINVAL, "width 6");

    xsr_vcpu_put(c, XSR_VCPU_PV64, XSR_VCPU_GDT_ENTS, 0, XSR_PV_GDT_ENTS_MAX + 1, LE);
    rc = xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 0, LE, XSR_PV_FRAMES_SAVE, add_delta, &m, &err);
    check_error(rc, &err, XSR_EFORMAT, "gdt_ents 7169");
    assert_int_equal(m.calls, 0);
    xsr_vcpu_put(c, XSR_VCPU_PV64, XSR_VCPU_GDT_ENTS, 0, XSR_PV_GDT_ENTS_MAX, LE);

    xsr_vcpu_put(c, XSR_VCPU_PV64, XSR_VCPU_CR1, 0, 0x5000, LE);
    rc = xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 0, LE, XSR_PV_FRAMES_RESTORE, add_delta, &m, &err);
    check_error(rc, &err, XSR_EFORMAT, "present bit");

    /* the callback's error stops the walk: 14 GDT frames, fail at the 3rd call */
    m = (struct map){ .delta = 1, .fail_at = 3 };
    rc = xsr_pv_vcpu_frames(c, XSR_PV_VCPU_CTX_SIZE_64, 8, 0, LE, XSR_PV_FRAMES_SAVE, add_delta, &m, &err);
    check_error(rc, &err, XSR_EFAULT, "no pfn");
    assert_int_equal(m.calls, 3);
    assert_int_equal(xsr_vcpu_get(c, XSR_VCPU_PV64, XSR_VCPU_GDT_FRAMES, 1, LE), 0);
    free(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sizes),
        cmocka_unit_test(test_known_offsets),
        cmocka_unit_test(test_absent_fields),
        cmocka_unit_test(test_layout_consistent),
        cmocka_unit_test(test_layout_view),
        cmocka_unit_test(test_get_put),
        cmocka_unit_test(test_frames_64),
        cmocka_unit_test(test_frames_32),
        cmocka_unit_test(test_frames_errors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
