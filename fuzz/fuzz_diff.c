/* SPDX-License-Identifier: MIT */
/*
 * xsr_diff on two inputs taken from one buffer: the first two bytes give
 * the length of A (modulo what is there), B is the rest.  Every other run
 * compares an input with itself, as text or JSON with page ranges.
 *
 * Invariants: the result is 0, 1 or a verdict on an input with err set; an
 * input compared with itself is equal (when its walk completes); the JSON
 * report parses to one object; differing frames are counted within the
 * frames compared.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"

static int diff(const uint8_t *a, size_t na, const uint8_t *b, size_t nb, bool json,
                struct xsr_diff_result *res)
{
    char *text = NULL;
    size_t len = 0;
    FILE *out = open_memstream(&text, &len);
    FZ_CHECK(out, "open_memstream failed");
    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_diff_opts o = XSR_DIFF_OPTS_INIT;
    o.a.pfn_limit = FZ_PFN_LIMIT;
    o.pages = true;
    o.json = json;
    o.max_lines = 8;
    o.name_a = "a";
    o.name_b = "b";
    *res = (struct xsr_diff_result)XSR_DIFF_RESULT_INIT;
    struct xsr_chan *ca = xsr_chan_mem_reader(a, na, &err);
    struct xsr_chan *cb = ca ? xsr_chan_mem_reader(b, nb, &err) : NULL;
    int rc = cb ? xsr_diff(ca, cb, &o, out, res, &err) : err.code;
    xsr_chan_close(cb, NULL);
    xsr_chan_close(ca, NULL);
    FZ_CHECK(fclose(out) == 0, "closing the memstream failed");
    fz_check_analysis(json ? "diff --json" : "diff", rc, true, &err);
    if (rc == 0 || rc == 1) {
        FZ_CHECK(res->pages_differ + res->pages_only_a + res->pages_only_b <= res->pages_compared,
                 "%llu+%llu+%llu differing frames of %llu compared",
                 (unsigned long long)res->pages_differ, (unsigned long long)res->pages_only_a,
                 (unsigned long long)res->pages_only_b, (unsigned long long)res->pages_compared);
        FZ_CHECK(memchr(text, '\0', len) == NULL, "the report holds a NUL byte");
    }
    if (json && rc != XSR_ENOMEM && len > 0) {
        struct json_object *doc = json_tokener_parse(text);
        FZ_CHECK(doc && json_object_is_type(doc, json_type_object),
                 "the JSON report does not parse to an object (result %d)", rc);
        json_object_put(doc);
    }
    free(text);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct xsr_diff_result res = XSR_DIFF_RESULT_INIT;
    bool json = size % 2;
    if (size < 2)
        return 0;
    size_t na = ((size_t)data[0] << 8 | data[1]) % (size - 1);
    const uint8_t *a = data + 2, *b = a + na;
    size_t nb = size - 2 - na;
    if (data[0] == 0xff) {
        /* An input against itself: equal, unless the walk failed. */
        int rc = diff(data + 1, size - 1, data + 1, size - 1, json, &res);
        FZ_CHECK(rc != 1, "an input differs from itself (%u headers, %u records, %u vCPUs, "
                 "%llu frames)", res.headers, res.records, res.vcpus,
                 (unsigned long long)(res.pages_differ + res.pages_only_a + res.pages_only_b));
        return 0;
    }
    diff(a, na, b, nb, json, &res);
    return 0;
}
