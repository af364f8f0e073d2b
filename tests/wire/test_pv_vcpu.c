/* SPDX-License-Identifier: MIT */
/* Named fields of PV vcpu_guest_context, at the offsets of Xen's public headers. */
#include <stdlib.h>

#include "wire_test.h"

struct field { uint32_t off; uint64_t val; };

/* 64-bit guest: unsigned long = 8 bytes. */
static const struct field ctx64[] = {
    { 512, 0x1111111111111101ULL },  /* flags */
    { 520 + 128, 0xffffffff81000000ULL }, /* user_regs.rip */
    { 520 + 152, 0xffffffff82000000ULL }, /* user_regs.rsp */
    { 520 + 144, 0x0000000000000246ULL }, /* user_regs.rflags */
    { 520 + 96, 0x0000000000012345ULL },  /* user_regs.rdx */
    { 4984 + 24, 0x0000000000abc000ULL }, /* ctrlreg[3] */
    { 4968, 0xe02b },                    /* kernel_ss */
    { 4976, 0xffff888000001000ULL },     /* kernel_sp */
    { 4960, 0x0000000000000200ULL },     /* gdt_ents */
    { 4816, 0xffff800000000000ULL },     /* ldt_base */
    { 5144, 0x00007f0000000000ULL },     /* fs_base */
    { 5152, 0xffff888100000000ULL },     /* gs_base_kernel */
    { 5160, 0x00007f0000001000ULL },     /* gs_base_user */
};

/* 32-bit guest: unsigned long = 4 bytes. */
static const struct field ctx32[] = {
    { 512, 0x11111101 },         /* flags */
    { 516 + 32, 0xc1000000 },    /* user_regs.eip */
    { 516 + 44, 0xc2000000 },    /* user_regs.esp */
    { 516 + 40, 0x00000246 },    /* user_regs.eflags */
    { 516 + 8, 0x00012345 },     /* user_regs.edx */
    { 2716 + 12, 0x00abc000 },   /* ctrlreg[3] */
    { 2708, 0xe021 },            /* kernel_ss */
    { 2712, 0xc3001000 },        /* kernel_sp */
    { 2704, 0x00000100 },        /* gdt_ents */
    { 2632, 0xc4000000 },        /* ldt_base */
};

static uint8_t *build(const struct field *f, size_t n, uint32_t size, unsigned word,
                      enum xsr_byte_order o)
{
    uint8_t *b = malloc(size);
    assert_non_null(b);
    /* Background bytes that would show through a wrong offset. */
    for (uint32_t i = 0; i < size; i++)
        b[i] = (uint8_t)(0x5a ^ i);
    for (size_t i = 0; i < n; i++) {
        if (word == 8)
            xsr_st64(b + f[i].off, f[i].val, o);
        else
            xsr_st32(b + f[i].off, (uint32_t)f[i].val, o);
    }
    return b;
}

static void check_regs(const struct xsr_pv_vcpu_regs *r, const struct field *f, bool wide)
{
    assert_int_equal(r->flags, f[0].val);
    assert_int_equal(r->rip, f[1].val);
    assert_int_equal(r->rsp, f[2].val);
    assert_int_equal(r->rflags, f[3].val);
    assert_int_equal(r->rdx, f[4].val);
    assert_int_equal(r->cr3, f[5].val);
    assert_int_equal(r->kernel_ss, f[6].val);
    assert_int_equal(r->kernel_sp, f[7].val);
    assert_int_equal(r->gdt_ents, f[8].val);
    assert_int_equal(r->ldt_base, f[9].val);
    assert_int_equal(r->fs_base, wide ? f[10].val : 0);
    assert_int_equal(r->gs_base_kernel, wide ? f[11].val : 0);
    assert_int_equal(r->gs_base_user, wide ? f[12].val : 0);
}

static void regs64(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        uint8_t *b = build(ctx64, NELEM(ctx64), XSR_PV_VCPU_CTX_SIZE_64, 8, o);
        struct xsr_pv_vcpu_regs r;
        struct xsr_error err;
        xsr_error_clear(&err);
        assert_int_equal(xsr_pv_vcpu_regs_decode(b, XSR_PV_VCPU_CTX_SIZE_64, 8, o, &r, &err), 0);
        check_regs(&r, ctx64, true);
        check_error(xsr_pv_vcpu_regs_decode(b, XSR_PV_VCPU_CTX_SIZE_64 - 1, 8, o, &r, &err),
                    &err, XSR_EFORMAT,
                    "vCPU context of 5167 bytes is shorter than the 5168 bytes of a 64-bit");
        /* a 32-bit-sized context is too short for a 64-bit guest */
        check_error(xsr_pv_vcpu_regs_decode(b, XSR_PV_VCPU_CTX_SIZE_32, 8, o, &r, &err),
                    &err, XSR_EFORMAT, "2800 bytes");
        free(b);
    }
}

static void regs32(void **state)
{
    (void)state;
    for (int k = 0; k < 2; k++) {
        enum xsr_byte_order o = k ? BE : LE;
        uint8_t *b = build(ctx32, NELEM(ctx32), XSR_PV_VCPU_CTX_SIZE_32, 4, o);
        struct xsr_pv_vcpu_regs r;
        struct xsr_error err;
        xsr_error_clear(&err);
        assert_int_equal(xsr_pv_vcpu_regs_decode(b, XSR_PV_VCPU_CTX_SIZE_32, 4, o, &r, &err), 0);
        check_regs(&r, ctx32, false);
        check_error(xsr_pv_vcpu_regs_decode(b, XSR_PV_VCPU_CTX_SIZE_32 - 1, 4, o, &r, &err),
                    &err, XSR_EFORMAT,
                    "vCPU context of 2799 bytes is shorter than the 2800 bytes of a 32-bit");
        free(b);
    }
}

static void bad_width(void **state)
{
    (void)state;
    static uint8_t b[XSR_PV_VCPU_CTX_SIZE_64];
    struct xsr_pv_vcpu_regs r;
    struct xsr_error err;
    check_error(xsr_pv_vcpu_regs_decode(b, sizeof(b), 6, LE, &r, &err), &err, XSR_EINVAL,
                "guest width 6");
    check_error(xsr_pv_vcpu_regs_decode(b, sizeof(b), 0, LE, &r, &err), &err, XSR_EINVAL,
                "guest width 0");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(regs64),
        cmocka_unit_test(regs32),
        cmocka_unit_test(bad_width),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
