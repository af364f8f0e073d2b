/* SPDX-License-Identifier: MIT */
/* The xl domain configuration of a save image (xl_config.h). */
#include <string.h>

#include <json-c/json.h>

#include "xl_config.h"

bool xsri_xl_config_get(const struct xsr_xl_hdr *h, const uint8_t *opt, struct xsri_xl_config *c)
{
    memset(c, 0, sizeof(*c));
    if (!opt || h->optional_data_len < 4)
        return false;
    uint32_t len = xsr_ld32(opt, h->order);
    if (len > h->optional_data_len - 4)
        return false;
    c->text = (const char *)opt + 4;
    c->len = len;
    while (c->len && c->text[c->len - 1] == '\0')
        c->len--; /* xl counts the terminating NUL */
    c->json = (h->mandatory_flags & XSR_XL_FLAG_JSON) != 0;
    return true;
}

struct json_object *xsri_xl_config_parse(const struct xsri_xl_config *c)
{
    if (!c->json || c->len == 0 || c->len > XSRI_XL_CONFIG_PARSE_MAX)
        return NULL;
    struct json_tokener *tok = json_tokener_new();
    if (!tok)
        return NULL;
    /* strings are shown and compared as they are: valid UTF-8 only */
    json_tokener_set_flags(tok, JSON_TOKENER_VALIDATE_UTF8);
    struct json_object *root = json_tokener_parse_ex(tok, c->text, (int)c->len);
    /* the whole text must be one value (white space may follow) */
    size_t end = root ? json_tokener_get_parse_end(tok) : 0;
    while (root && end < c->len && strchr(" \t\r\n", c->text[end]) && c->text[end])
        end++;
    if (root && (json_tokener_get_error(tok) != json_tokener_success || end != c->len)) {
        json_object_put(root);
        root = NULL;
    }
    json_tokener_free(tok);
    return root;
}

const char *xsri_json_str_at(struct json_object *root, const char *path)
{
    struct json_object *o = root;
    char key[64];

    while (o && *path) {
        size_t n = strcspn(path, ".");
        if (n >= sizeof(key))
            return NULL;
        memcpy(key, path, n);
        key[n] = '\0';
        if (!json_object_is_type(o, json_type_object) || !json_object_object_get_ex(o, key, &o))
            return NULL;
        path += n + (path[n] == '.');
    }
    return o && json_object_is_type(o, json_type_string) ? json_object_get_string(o) : NULL;
}

const char *xsri_guest_type(uint32_t dom_type, const char *cfg_type)
{
    switch (dom_type) {
    case XSR_DOM_X86_PV:
        return "PV";
    case XSR_DOM_X86_HVM:
        return cfg_type && strcmp(cfg_type, "pvh") == 0 ? "PVH" : "HVM";
    default:
        return NULL;
    }
}
