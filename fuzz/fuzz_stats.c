/* SPDX-License-Identifier: MIT */
/*
 * xsr_stats_collect on arbitrary bytes, printed as text and as JSON.
 *
 * Invariants: the result is 0 or a verdict on the input with err set; the
 * counts add up (data pages within the pfn entries, zero pages within the
 * data pages, the iterations' records summing to the total); the JSON
 * printout parses; a stream that lenient verify accepts has statistics.
 */
#include <stdio.h>
#include <stdlib.h>

#include <json-c/json.h>

#include "fuzz_common.h"

static void check_sums(const struct xsr_stats *s)
{
    FZ_CHECK(s->data_pages <= s->pfn_entries, "%llu data pages of %llu entries",
             (unsigned long long)s->data_pages, (unsigned long long)s->pfn_entries);
    FZ_CHECK(s->zero_pages <= s->data_pages, "%llu zero pages of %llu data pages",
             (unsigned long long)s->zero_pages, (unsigned long long)s->data_pages);
    FZ_CHECK(s->frames <= s->pfn_entries, "%llu frames from %llu entries",
             (unsigned long long)s->frames, (unsigned long long)s->pfn_entries);
    FZ_CHECK(!s->any_pfn || s->max_pfn < FZ_PFN_LIMIT, "pfn %#llx beyond the limit",
             (unsigned long long)s->max_pfn);
    uint64_t recs = 0, pfns = 0, hist = 0;
    for (uint64_t i = 0; i < s->n_iters; i++) {
        recs += s->iters[i].records;
        pfns += s->iters[i].pfns;
    }
    for (unsigned i = 0; i < XSR_STATS_SENT_BUCKETS; i++)
        hist += s->sent_hist[i];
    FZ_CHECK(recs == s->page_records, "iterations hold %llu records of %llu",
             (unsigned long long)recs, (unsigned long long)s->page_records);
    FZ_CHECK(pfns == s->pfn_entries, "iterations hold %llu pfn entries of %llu",
             (unsigned long long)pfns, (unsigned long long)s->pfn_entries);
    FZ_CHECK(hist == s->frames, "the histogram holds %llu frames of %llu",
             (unsigned long long)hist, (unsigned long long)s->frames);
}

static void check_print(const struct xsr_stats *s, bool json)
{
    char *text = NULL;
    size_t len = 0;
    struct xsr_error err;
    xsr_error_clear(&err);
    FILE *out = open_memstream(&text, &len);
    FZ_CHECK(out, "open_memstream failed");
    int rc = xsr_stats_print(s, json, out, &err);
    FZ_CHECK(fclose(out) == 0, "closing the memstream failed");
    FZ_CHECK(rc == 0 || rc == XSR_ENOMEM, "printing the statistics returned %d", rc);
    if (rc == 0 && json) {
        struct json_object *doc = json_tokener_parse(text);
        FZ_CHECK(doc && json_object_is_type(doc, json_type_object),
                 "the JSON statistics do not parse to an object");
        json_object_put(doc);
    }
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int valid = fz_verify(data, size, true);
    if (valid == XSR_ENOMEM)
        return 0;

    struct xsr_error err;
    xsr_error_clear(&err);
    struct xsr_analyze_opts o = XSR_ANALYZE_OPTS_INIT;
    o.pfn_limit = FZ_PFN_LIMIT;
    struct xsr_stats *s = NULL;
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    int rc = ch ? xsr_stats_collect(ch, &o, &s, &err) : err.code;
    xsr_chan_close(ch, NULL);
    fz_check_analysis("stats", rc, false, &err);
    if (rc == 0) {
        FZ_CHECK(s, "stats succeeded without statistics");
        FZ_CHECK(s->input_bytes <= size, "walked %llu bytes of %zu",
                 (unsigned long long)s->input_bytes, size);
        check_sums(s);
        check_print(s, false);
        check_print(s, true);
    }
    fz_check_accepts("stats", valid, rc, &err);
    xsr_stats_free(s);
    return 0;
}
