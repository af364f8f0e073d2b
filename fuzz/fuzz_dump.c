/* SPDX-License-Identifier: MIT */
/*
 * xsr_dump on arbitrary bytes, as text (with and without every pfn) and as
 * JSON, into an open_memstream FILE.
 *
 * Invariants: the result is 0/1 and agrees with xsr_verify in the same mode;
 * the JSON document parses; the text is safe for a terminal (no NUL, no
 * escape character, whatever bytes the stream holds).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "fuzz_common.h"

static int dump(const uint8_t *data, size_t size, const struct xsr_dump_opts *o, char **text,
                size_t *len)
{
    struct xsr_error err;
    xsr_error_clear(&err);
    *text = NULL;
    *len = 0;
    FILE *out = open_memstream(text, len);
    FZ_CHECK(out, "open_memstream failed");
    struct xsr_chan *ch = xsr_chan_mem_reader(data, size, &err);
    int rc = ch ? xsr_dump(ch, o, out, &err) : err.code;
    xsr_chan_close(ch, NULL);
    FZ_CHECK(fclose(out) == 0, "closing the memstream failed");
    return fz_check_rc(o->json ? "JSON dump" : "text dump", rc, &err);
}

static void check_text(const char *text, size_t len, const char *what)
{
    FZ_CHECK(len > 0, "%s dump printed nothing", what);
    FZ_CHECK(memchr(text, '\0', len) == NULL, "%s dump holds a NUL byte", what);
    FZ_CHECK(memchr(text, 0x1b, len) == NULL, "%s dump holds an escape character", what);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* The mode comes from the input so that each input is replayed alike. */
    bool lenient = size % 3 == 1;
    int want = fz_verify(data, size, lenient);
    if (want == XSR_ENOMEM)
        return 0;

    struct xsr_dump_opts o = { .size = sizeof(struct xsr_dump_opts), .format = XSR_LAYER_NONE, .lenient = lenient};
    char *text;
    size_t len;
    for (int pages = 0; pages <= 1; pages++) {
        o.pages = pages;
        int rc = dump(data, size, &o, &text, &len);
        if (rc != XSR_ENOMEM) {
            FZ_CHECK(rc == want, "text dump returns %d, verify %d", rc, want);
            check_text(text, len, "text");
        }
        free(text);
    }

    o.pages = size % 2 == 0;
    o.json = true;
    int rc = dump(data, size, &o, &text, &len);
    if (rc != XSR_ENOMEM) {
        FZ_CHECK(rc == want, "JSON dump returns %d, verify %d", rc, want);
        check_text(text, len, "JSON");
        struct json_tokener *tok = json_tokener_new_ex(JSON_TOKENER_DEFAULT_DEPTH);
        FZ_CHECK(tok, "json_tokener_new failed");
        json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
        struct json_object *doc = json_tokener_parse_ex(tok, text, (int)len);
        enum json_tokener_error jerr = json_tokener_get_error(tok);
        FZ_CHECK(doc && jerr == json_tokener_success, "the JSON dump does not parse: %s",
                 json_tokener_error_desc(jerr));
        for (size_t i = json_tokener_get_parse_end(tok); i < len; i++)
            FZ_CHECK(text[i] == '\n' || text[i] == ' ',
                     "the JSON dump has 0x%02x after the document at %zu of %zu",
                     (unsigned char)text[i], i, len);
        FZ_CHECK(json_object_is_type(doc, json_type_object), "the JSON dump is not an object");
        json_object_put(doc);
        json_tokener_free(tok);
    }
    free(text);
    return 0;
}
