/* SPDX-License-Identifier: MIT */
/* Internal: the ELF64 core writer behind xsr_extract (doc/elf-core.md). */
#ifndef XSR_INSPECT_ELFCORE_H
#define XSR_INSPECT_ELFCORE_H

#include <stdint.h>

#include <xsr/analyze.h>

#include "analyze_scan.h"

/* Frame pfn's data lives at XSRI_ELF_DATA_BASE + pfn * 4096 in the core
 * file; the headers and notes go before it when they fit, else after. */
#define XSRI_ELF_DATA_BASE (1ull << 20)

struct xsri_elf;

struct xsri_elf *xsri_elf_new(struct xsr_error *err);
void xsri_elf_free(struct xsri_elf *e);
/* Keep what the notes need (vCPU contexts, HVM context) from an event. */
int xsri_elf_event(struct xsri_elf *e, const struct xsri_scan *s, const struct xsr_event *ev,
                   struct xsr_error *err);
/* After the walk: write the ELF header, program headers and notes to fd
 * (the page data is already in place).  Sets res->vcpus, elf_loads and
 * out_size. */
int xsri_elf_finish(struct xsri_elf *e, int fd, const struct xsri_scan *s,
                    struct xsr_extract_result *res, struct xsr_error *err);

#endif
