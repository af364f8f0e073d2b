/* SPDX-License-Identifier: MIT */
/*
 * The domain configuration that xl keeps in the optional data of its save
 * header (u32 length, then the configuration, its NUL counted): JSON (libxl's
 * domain config) when the JSON flag is set, xl's config-file text before.
 * Dump shows it, diff compares it, and both name the guest type from it.
 */
#ifndef XSR_INSPECT_XL_CONFIG_H
#define XSR_INSPECT_XL_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include <xsr/wire.h>

struct json_object;

/* Larger configurations are not parsed (the walker bounds them anyway). */
#define XSRI_XL_CONFIG_PARSE_MAX (1u << 20)

struct xsri_xl_config {
    const char *text; /* into the optional data; not NUL-terminated */
    uint32_t len;     /* without a terminating NUL */
    bool json;
};

/* The configuration of an xl header's optional data; false if there is none
 * or its length runs past the optional data. */
bool xsri_xl_config_get(const struct xsr_xl_hdr *h, const uint8_t *opt, struct xsri_xl_config *c);
/* The parsed JSON configuration (caller puts it), or NULL if it is not JSON,
 * too large, or does not parse. */
struct json_object *xsri_xl_config_parse(const struct xsri_xl_config *c);
/* A string member of an object by dotted path ("c_info.type"), or NULL. */
const char *xsri_json_str_at(struct json_object *root, const char *path);

/*
 * The guest type a person knows: "PV", "PVH" or "HVM".  A PVH guest travels
 * as an x86 HVM stream; only the configuration's c_info.type ("pvh") tells
 * it apart (cfg_type may be NULL).  NULL for other domain types.
 */
const char *xsri_guest_type(uint32_t dom_type, const char *cfg_type);

#endif
