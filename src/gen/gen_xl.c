/* SPDX-License-Identifier: MIT */
/*
 * The xl save file's optional data: u32 config length (in the header's byte
 * order), then the domain configuration as libxl JSON with its NUL.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "gen_internal.h"

size_t xsri_gen_xl_config(const struct xsri_gen *g, uint8_t *out, size_t cap)
{
    char json[1024];
    uint64_t u1 = xsri_gen_hash(g->o.seed, 0x75756964, 1);
    uint64_t u2 = xsri_gen_hash(g->o.seed, 0x75756964, 2);
    const char *type = g->pv ? "pv" : g->o.pvh ? "pvh" : "hvm";
    const char *kind = g->pv ? (g->width == 8 ? "pv64" : "pv32") : type;
    int n = snprintf(json, sizeof(json),
                     "{\n"
                     "    \"c_info\": {\n"
                     "        \"type\": \"%s\",\n"
                     "        \"name\": \"xsr-gen-%s\",\n"
                     "        \"uuid\": \"%08" PRIx32 "-%04" PRIx32 "-4%03" PRIx32 "-%04" PRIx32
                     "-%012" PRIx64 "\",\n"
                     "        \"run_hotplug_scripts\": \"True\"\n"
                     "    },\n"
                     "    \"b_info\": {\n"
                     "        \"max_vcpus\": %u,\n"
                     "        \"max_memkb\": %" PRIu64 ",\n"
                     "        \"target_memkb\": %" PRIu64 ",\n"
                     "        \"type.%s\": {\n"
                     "        }\n"
                     "    },\n"
                     "    \"on_reboot\": \"restart\",\n"
                     "    \"on_crash\": \"destroy\"\n"
                     "}\n",
                     type, kind, (uint32_t)(u1 >> 32), (uint32_t)(u1 >> 16) & 0xffff,
                     (uint32_t)u1 & 0xfff, ((uint32_t)(u2 >> 48) & 0x3fff) | 0x8000,
                     (uint64_t)(u2 & 0xffffffffffffULL), g->o.nr_vcpus, g->n * 4, g->n * 4, type);
    if (n < 0 || (size_t)n >= sizeof(json))
        return 0;
    size_t len = 4 + (size_t)n + 1;
    if (!out || cap < len)
        return len;
    xsr_st32(out, (uint32_t)n + 1, g->o.order);
    memcpy(out + 4, json, (size_t)n + 1);
    return len;
}
