/* SPDX-License-Identifier: MIT */
/*
 * Analysis of save images: guest memory extraction (a flat raw file or an
 * ELF64 core), the differences between two images, statistics of the passes
 * of a live stream, and a picture of guest physical memory (SVG).
 *
 * Everything streams: the input is walked once, pages are written with
 * pwrite as they arrive, and the only per-frame state is a few bytes for
 * each frame the stream names (doc/analyze.md says how much; pfns are
 * bounded by pfn_limit).  Guest memory itself is never held in RAM.
 *
 * Page semantics are those of a receiver (doc/analyze.md): the last copy of
 * a frame wins; pages after a VERIFY record are compared, not applied; a
 * frame sent later as XTAB, XALLOC or BROKEN no longer has data.
 */
#ifndef XSR_ANALYZE_H
#define XSR_ANALYZE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/progress.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Highest pfn + 1 accepted by default: 2^28 frames = 1 TiB of guest memory.
 * XSR_PFN_MASK + 1 is the format's own bound; pfn_limit may be raised up
 * to it (extract stops at 2^50, the frames a file's offsets can hold). */
#define XSR_ANALYZE_PFN_LIMIT_DEFAULT (1ULL << 28)

/* Options shared by every analysis. */
struct xsr_analyze_opts {
    size_t size;               /* XSR_ANALYZE_OPTS_INIT */
    enum xsr_layer format;     /* XSR_LAYER_NONE = auto-detect */
    uint64_t pfn_limit;        /* pfns must be < this; 0 = the default above */
    xsr_progress_fn progress;  /* may be NULL; called every few MiB and at the end */
    void *progress_ctx;
    /* Read nothing after the outermost END (the walker's stop_at_end): what
     * follows on a connection is the peer's next message, not trailing data. */
    bool stop_at_end;
};
#define XSR_ANALYZE_OPTS_INIT { .size = sizeof(struct xsr_analyze_opts) }

/* ------------------------------------------------------------ extract */

enum xsr_extract_format {
    XSR_EXTRACT_RAW = 0, /* flat file: frame pfn at offset pfn * 4096, holes sparse */
    XSR_EXTRACT_ELF = 1, /* ELF64 core (doc/elf-core.md) */
};

struct xsr_extract_opts {
    size_t size;                /* XSR_EXTRACT_OPTS_INIT */
    struct xsr_analyze_opts a;
    enum xsr_extract_format format;
    /* If non-NULL, receives the pfn map: a TSV table with one line per frame
     * named in the stream (doc/analyze.md).  Costs 8 more bytes per frame. */
    FILE *pfn_map;
    /* Optional: the path of the regular file `in` reads, from its first
     * byte.  Runs of pages are then read from it in large aligned blocks
     * (with a writer thread when a second CPU is free) instead of page by
     * page from the stream; all-zero pages are then copied too instead of
     * being left as holes.  Ignored when `in` decompresses the file. */
    const char *in_path;
};
#define XSR_EXTRACT_OPTS_INIT { .size = sizeof(struct xsr_extract_opts), .a = XSR_ANALYZE_OPTS_INIT }

struct xsr_extract_result {
    size_t size;                /* XSR_EXTRACT_RESULT_INIT */
    uint32_t dom_type;          /* XSR_DOM_*, 0 if no domain header was seen */
    uint32_t version;           /* libxc stream version */
    unsigned guest_width;       /* PV: 4 or 8; HVM: 8 */
    bool any_pfn;               /* some PAGE_DATA named a frame */
    uint64_t max_pfn;           /* highest pfn named (valid if any_pfn) */
    uint64_t frames_present;    /* frames holding data at the end */
    uint64_t frames_xtab, frames_xalloc, frames_broken; /* last type seen */
    uint64_t invalidated;       /* frames that had data, then XTAB/XALLOC/BROKEN */
    uint64_t copies;            /* data pages applied, re-sent copies included */
    uint64_t resent;            /* copies of a frame that already had data */
    uint64_t verify_pages;      /* pages after VERIFY (compared, not applied) */
    uint64_t verify_mismatches; /* of those, different from the extracted frame */
    uint64_t checkpoints;       /* CHECKPOINT records */
    uint64_t uncommitted;       /* pages after the last CHECKPOINT of a
                                 * checkpointed stream that ended before END
                                 * (a receiver would discard them) */
    bool complete;              /* the outermost END was reached */
    uint32_t vcpus;             /* ELF: register sets written as notes */
    uint64_t elf_loads;         /* ELF: PT_LOAD segments */
    uint64_t out_size;          /* size of the output file */
};
#define XSR_EXTRACT_RESULT_INIT { .size = sizeof(struct xsr_extract_result) }

/*
 * Extract guest memory from in into out_fd (a regular file opened for
 * writing; it is truncated to the final size).  Returns 0, or <0 with err
 * located; if the stream ends early or is malformed part-way, the output
 * still holds everything up to that point and res is filled.
 */
int xsr_extract(struct xsr_chan *in, int out_fd, const struct xsr_extract_opts *o,
                struct xsr_extract_result *res, struct xsr_error *err);

/* ------------------------------------------------------------- stats */

#define XSR_STATS_SENT_BUCKETS 8 /* frames sent 1, 2, ..., 7, 8+ times */
#define XSR_STATS_ITERS_MAX 65536u /* iterations kept one by one (16 MiB) */

/* One iteration: a run of PAGE_DATA records between other records, split
 * again where a pfn of the run repeats (a new pass of a live save). */
struct xsr_stats_iter {
    uint64_t offset;        /* of its first PAGE_DATA record */
    uint64_t checkpoint;    /* CHECKPOINT records before it */
    bool verify;            /* after a VERIFY record */
    uint64_t records;       /* PAGE_DATA records */
    uint64_t bytes;         /* their size, framing and padding included */
    uint64_t pfns;          /* pfn entries */
    uint64_t data_pages;    /* entries carrying 4096 bytes */
    uint64_t zero_pages;    /* data pages that are all zero */
    uint64_t resent;        /* entries for a frame sent in an earlier iteration */
    uint64_t unchanged;     /* re-sent data pages identical to the previous copy */
    uint64_t by_type[16];   /* entries by pfn type */
};

struct xsr_stats {
    uint32_t dom_type, version;
    bool complete;
    uint64_t input_bytes;       /* bytes walked */
    uint64_t records;           /* libxc records */
    uint64_t page_records, page_bytes, pfn_entries, data_pages, zero_pages;
    uint64_t checkpoints;
    bool any_pfn;
    uint64_t max_pfn;
    uint64_t frames;            /* distinct frames named */
    uint64_t frames_resent;     /* frames named in more than one iteration */
    uint64_t resent;            /* entries re-sending a frame */
    uint64_t unchanged;         /* re-sent data pages identical to the previous copy */
    uint64_t sent_hist[XSR_STATS_SENT_BUCKETS]; /* frames by times named */
    uint64_t by_type[16];       /* entries by pfn type */
    uint64_t final_by_type[16]; /* frames by the last type they were sent with */
    uint64_t n_iters;
    struct xsr_stats_iter *iters;
    /* iterations after the first XSR_STATS_ITERS_MAX, counted into the last
     * one kept, so that a stream of tiny iterations costs bounded memory */
    uint64_t iters_merged;
};

/* Walk in and compute the statistics into a new *out (free with
 * xsr_stats_free).  On a walk error *out is still set (partial) and the
 * error returned. */
int xsr_stats_collect(struct xsr_chan *in, const struct xsr_analyze_opts *o,
                      struct xsr_stats **out, struct xsr_error *err);
void xsr_stats_free(struct xsr_stats *s);
/* Print as text or as one JSON document (doc/analyze.md). */
int xsr_stats_print(const struct xsr_stats *s, bool json, FILE *out, struct xsr_error *err);

/* -------------------------------------------------------------- diff */

struct xsr_diff_opts {
    size_t size;                /* XSR_DIFF_OPTS_INIT */
    struct xsr_analyze_opts a;  /* for both inputs; progress covers A then B */
    bool pages;                 /* list the ranges of differing frames */
    unsigned max_lines;         /* per section, 0 = 100; further ones are counted */
    bool json;                  /* one JSON document (doc/json.md "diff") instead of text */
    const char *name_a, *name_b; /* the inputs as the user named them; may be NULL */
};
#define XSR_DIFF_OPTS_INIT { .size = sizeof(struct xsr_diff_opts), .a = XSR_ANALYZE_OPTS_INIT }

struct xsr_diff_result {
    size_t size;                /* XSR_DIFF_RESULT_INIT */
    unsigned headers;           /* differing header fields */
    unsigned records;           /* differing non-page records (or counts) */
    unsigned vcpus;             /* vCPUs whose state differs */
    uint64_t pages_compared;    /* frames present in A or B */
    uint64_t pages_differ;      /* present in both, contents differ */
    uint64_t pages_only_a, pages_only_b;
};
#define XSR_DIFF_RESULT_INIT { .size = sizeof(struct xsr_diff_result) }

/*
 * Compare two images and print the differences to out (text or JSON): what
 * a migration between their hosts cares about (guest type, xl domain
 * configuration, CPUID and MSR policies, TSC, HVM params, vCPU registers)
 * by name, other records by contents, and memory by frame.  Returns 0 if
 * they are equal, 1 if they differ, <0 on failure (err says which input).
 * An image that the walk cannot read to its end (cut short, malformed
 * framing) is still compared as far as it was read, the output says where
 * it stopped, and the result is that error (XSR_ETRUNC, XSR_EFORMAT...).
 */
int xsr_diff(struct xsr_chan *a, struct xsr_chan *b, const struct xsr_diff_opts *o, FILE *out,
             struct xsr_diff_result *res, struct xsr_error *err);

/* --------------------------------------------------------------- map */

/* What a cell of the map shows. */
enum xsr_map_class {
    XSR_MAP_ABSENT = 0, /* never sent */
    XSR_MAP_NORMAL,     /* NOTAB */
    XSR_MAP_L1, XSR_MAP_L2, XSR_MAP_L3, XSR_MAP_L4, /* page tables */
    XSR_MAP_PINNED,     /* pinned page table, any level */
    XSR_MAP_XTAB, XSR_MAP_XALLOC, XSR_MAP_BROKEN,
    XSR_MAP_CLASS_COUNT
};
#define XSR_MAP_CLASS_SLOTS 16
const char *xsr_map_class_name(enum xsr_map_class c); /* "absent", "normal", ... */

#define XSR_MAP_CELLS_DEFAULT 16384u
#define XSR_MAP_COLUMNS_DEFAULT 128u

struct xsr_map_opts {
    size_t size;          /* XSR_MAP_OPTS_INIT */
    struct xsr_analyze_opts a;
    unsigned max_cells;   /* 0 = XSR_MAP_CELLS_DEFAULT; frames per cell is the
                           * smallest power of two that fits */
    unsigned columns;     /* 0 = XSR_MAP_COLUMNS_DEFAULT */
    const char *title;    /* may be NULL */
};
#define XSR_MAP_OPTS_INIT { .size = sizeof(struct xsr_map_opts), .a = XSR_ANALYZE_OPTS_INIT }

struct xsr_map_result {
    size_t size;                     /* XSR_MAP_RESULT_INIT */
    uint64_t frames;                 /* max_pfn + 1 (0 if no frame) */
    uint64_t frames_per_cell;
    uint64_t cells;
    /* by enum xsr_map_class; XSR_MAP_CLASS_SLOTS leaves room for classes
     * to come without changing the layout */
    uint64_t by_class[XSR_MAP_CLASS_SLOTS]; /* frames per class */
    uint64_t cells_by_class[XSR_MAP_CLASS_SLOTS];
};
#define XSR_MAP_RESULT_INIT { .size = sizeof(struct xsr_map_result) }

/* Walk in and write an SVG picture of its guest memory to out. */
int xsr_map_svg(struct xsr_chan *in, const struct xsr_map_opts *o, FILE *out,
                struct xsr_map_result *res, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
