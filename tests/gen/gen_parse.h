/* SPDX-License-Identifier: MIT */
/*
 * A small independent parser for the generator's tests: splits a whole image
 * (xl / libxl / libxc layers, checkpoints included) into headers and records
 * with the wire layer's decoders only, checking framing and zero padding.
 * It deliberately does not use the stream layer's walker, so that the two
 * check each other.
 */
#ifndef GEN_PARSE_H
#define GEN_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/gen.h>
#include <xsr/wire.h>

enum gp_kind { GP_XL_HDR, GP_LIBXL_HDR, GP_IHDR, GP_DHDR, GP_REC };

struct gp_rec {
    enum gp_kind kind;
    enum xsr_layer layer;
    uint32_t type;        /* GP_REC */
    const uint8_t *body;  /* GP_REC: body; headers: their bytes */
    uint32_t len;
    uint64_t offset;
};

struct gp_image {
    struct gp_rec *recs;
    size_t n;
    enum xsr_layer outer;
    enum xsr_byte_order order;   /* of the libxc stream */
    struct xsr_xl_hdr xl;
    const uint8_t *xl_opt;
    struct xsr_libxl_hdr libxl;
    struct xsr_ihdr ihdr;
    struct xsr_dhdr dhdr;
    char error[256];             /* why parsing failed */
};

/* 0 on success; -1 with img->error set. */
int gp_parse(const uint8_t *buf, size_t len, struct gp_image *img);
void gp_free(struct gp_image *img);

/*
 * The sequence as one string: "xl libxl LIBXC_CONTEXT ihdr dhdr X86_PV_INFO
 * ... PAGE_DATA*3 ... END END", runs of PAGE_DATA collapsed, optional records
 * as "0x80000042".
 */
void gp_sequence(const struct gp_image *img, char *out, size_t n);
size_t gp_count(const struct gp_image *img, enum xsr_layer layer, uint32_t type);
/* The i-th record of a type in a layer (NULL if absent). */
const struct gp_rec *gp_find(const struct gp_image *img, enum xsr_layer layer, uint32_t type,
                             size_t i);

/* Generate into a malloc'd buffer; NULL (with a message on stderr) on failure. */
uint8_t *gp_generate(const struct xsr_gen_opts *o, size_t *len);

#endif
