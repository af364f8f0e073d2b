/* SPDX-License-Identifier: MIT */
/* The record property table: its entries, length rules, and doc/records.md. */
#include <stdlib.h>

#include "wire_test.h"

static void entries(void **state)
{
    (void)state;
    for (uint32_t t = 0; t < XSR_REC_TYPE_COUNT; t++) {
        const struct xsr_rec_info *ri = xsr_rec_info(t);
        assert_non_null(ri);
        assert_int_equal(ri->type, t);
        assert_string_equal(ri->name, xsr_rec_type_name(t));
        assert_true(ri->since >= 2 && ri->since <= 4);
        assert_true(ri->min_length <= ri->max_length);
        assert_true(ri->max_length <= XSR_REC_LENGTH_MAX);
        assert_int_equal(ri->max_length % ri->unit, 0);
        /* a per-vCPU record starts with the vCPU header */
        if (ri->per_vcpu)
            assert_true(ri->min_length >= XSR_VCPU_HDR_SIZE);
    }
    assert_null(xsr_rec_info(XSR_REC_TYPE_COUNT));
    assert_null(xsr_rec_info(XSR_REC_OPTIONAL | XSR_REC_END));
    assert_null(xsr_rec_info(UINT32_MAX));
    /* the facts the checker and the converters rely on */
    assert_int_equal(xsr_rec_info(XSR_REC_X86_CPUID_POLICY)->place, XSR_REC_PLACE_STATIC);
    assert_int_equal(xsr_rec_info(XSR_REC_X86_PV_INFO)->guest, XSR_REC_GUEST_PV);
    assert_int_equal(xsr_rec_info(XSR_REC_HVM_PARAMS)->place, XSR_REC_PLACE_VCPU);
    assert_int_equal(xsr_rec_info(XSR_REC_SHARED_INFO)->deprecated, 4);
    assert_int_equal(xsr_rec_info(XSR_REC_DOMAIN_CONTEXT)->since, 4);
    assert_int_equal(xsr_rec_info(XSR_REC_STATIC_DATA_END)->since, 3);
}

static void lengths(void **state)
{
    (void)state;
    const struct xsr_rec_info *end = xsr_rec_info(XSR_REC_END);
    assert_true(xsr_rec_length_ok(end, 0));
    assert_false(xsr_rec_length_ok(end, 8));
    const struct xsr_rec_info *tsc = xsr_rec_info(XSR_REC_X86_TSC_INFO);
    assert_true(xsr_rec_length_ok(tsc, 24));
    assert_false(xsr_rec_length_ok(tsc, 16));
    assert_false(xsr_rec_length_ok(tsc, 32));
    const struct xsr_rec_info *cpuid = xsr_rec_info(XSR_REC_X86_CPUID_POLICY);
    assert_false(xsr_rec_length_ok(cpuid, 0));
    assert_true(xsr_rec_length_ok(cpuid, 48));
    assert_false(xsr_rec_length_ok(cpuid, 40));
    const struct xsr_rec_info *vcpu = xsr_rec_info(XSR_REC_X86_PV_VCPU_BASIC);
    assert_false(xsr_rec_length_ok(vcpu, 4));
    assert_true(xsr_rec_length_ok(vcpu, 8 + 5168));
    assert_false(xsr_rec_length_ok(vcpu, XSR_REC_LENGTH_MAX + 1));
    assert_true(xsr_rec_length_ok(xsr_rec_info(XSR_REC_TOOLSTACK), 0));
}

/* How doc/records.md spells each entry's properties. */
static void doc_row(const struct xsr_rec_info *ri, char *buf, size_t n)
{
    static const char *const guest[] = { "any", "PV", "HVM" };
    static const char *const place[] = { "any", "static", "memory", "state", "vcpu" };
    static const char *const repeat[] = { "many", "per checkpoint", "once" };
    char dep[16] = "—", len[32];
    if (ri->deprecated)
        snprintf(dep, sizeof(dep), "%u", (unsigned)ri->deprecated);
    if (ri->max_length == 0)
        snprintf(len, sizeof(len), "empty");
    else if (ri->min_length == ri->max_length)
        snprintf(len, sizeof(len), "%u", (unsigned)ri->min_length);
    else if (ri->unit > 1)
        snprintf(len, sizeof(len), "n × %u, n ≥ 1", (unsigned)ri->unit);
    else if (ri->min_length)
        snprintf(len, sizeof(len), "≥ %u", (unsigned)ri->min_length);
    else
        snprintf(len, sizeof(len), "any");
    snprintf(buf, n, "| 0x%02x | %s | %u | %s | %s | %s | %s | %s | %s |", (unsigned)ri->type,
             ri->name, (unsigned)ri->since, dep, guest[ri->guest], place[ri->place],
             ri->per_vcpu ? "yes" : "no", repeat[ri->repeat], len);
}

static void doc_in_step(void **state)
{
    (void)state;
    const char *src = getenv("XSR_SRCDIR");
    char path[4096], line[512];
    snprintf(path, sizeof(path), "%s/doc/records.md", src ? src : ".");
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    uint32_t rows = 0;
    while (fgets(line, sizeof(line), f)) {
        if (strncmp(line, "| 0x", 4) != 0)
            continue;
        line[strcspn(line, "\n")] = 0;
        char want[512];
        assert_true(rows < XSR_REC_TYPE_COUNT);
        doc_row(xsr_rec_info(rows), want, sizeof(want));
        if (strcmp(line, want) != 0)
            print_error("doc/records.md has\n  %s\nthe table (src/wire/records.def) says\n  %s\n",
                        line, want);
        assert_string_equal(line, want);
        rows++;
    }
    fclose(f);
    assert_int_equal(rows, XSR_REC_TYPE_COUNT);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(entries),
        cmocka_unit_test(lengths),
        cmocka_unit_test(doc_in_step),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
