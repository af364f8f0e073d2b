/* SPDX-License-Identifier: MIT */
/*
 * Helpers shared by the fuzz targets.  A target is one file fuzz/fuzz_<name>.c
 * that defines LLVMFuzzerTestOneInput(); it is built twice: with libFuzzer
 * (-Dfuzz=true, clang) and into a replay test (tests/fuzz_replay/) that runs
 * it over its seed corpus in every normal test run.
 *
 * Targets check invariants of the library and call fz_fail() when one is
 * broken: that aborts, which both libFuzzer and the replay test report with
 * the input that caused it.
 */
#ifndef XSR_FUZZ_COMMON_H
#define XSR_FUZZ_COMMON_H

#include <stddef.h>
#include <stdbool.h>
#include <stdint.h>

#include <xsr/xsr.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Report a broken invariant and abort. */
_Noreturn void fz_fail(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define FZ_CHECK(cond, ...) do { if (!(cond)) fz_fail(__VA_ARGS__); } while (0)

/* What a verification reported, condensed so that two runs can be compared. */
struct fz_findings {
    unsigned errors, warnings, notes;
    uint64_t suppressed; /* counted but not reported, as check.suppressed notes say */
    uint64_t digest; /* of the sequence of (severity, rule, offset, record index) */
};

/* Finding callback for xsr_check_opts: fills a struct fz_findings (ctx) and
 * checks that every finding is well formed. */
void fz_on_finding(void *ctx, const struct xsr_finding *f);

/* Check a result of xsr_verify/xsr_dump on in-memory input: 0 or 1, or
 * XSR_ENOMEM (the fuzzer's memory limit); anything else is a defect.
 * Returns rc. */
int fz_check_rc(const char *what, int rc, const struct xsr_error *err);

/* Check the result of an analysis (extract, stats, diff, map, convert,
 * restore) of in-memory input: 0 (or 1 where one_ok: diff's "they differ"),
 * or a verdict on the input (XSR_EFORMAT, XSR_ETRUNC, XSR_ELIMIT,
 * XSR_EUNSUP, XSR_ENOMEM) with err holding the same code and a message;
 * anything else is a defect.  Returns rc. */
int fz_check_analysis(const char *what, int rc, bool one_ok, const struct xsr_error *err);

/* What verify --lenient accepts (valid == 0), the analysis accepts: rc is 0
 * unless the fuzzer's memory or the target's limits ran out. */
void fz_check_accepts(const char *what, int valid, int rc, const struct xsr_error *err);

/* xsr_verify of in-memory input, auto-detected: 0, 1 or XSR_ENOMEM. */
int fz_verify(const uint8_t *data, size_t size, bool lenient);

/* Highest pfn + 1 the analysis targets accept (their --pfn-limit): the
 * format's own bound, as per-frame state costs the frames named, not the
 * highest pfn (extract stops at 2^50). */
#define FZ_PFN_LIMIT (XSR_PFN_MASK + 1)

#endif
