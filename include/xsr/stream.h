/* SPDX-License-Identifier: MIT */
/*
 * Stream layer.
 *
 * - struct xsr_reader: reads fixed-size headers and framed records
 *   ({u32 type, u32 length, body, padding}) from a channel.  Bodies are
 *   zero-copy views when the channel can view, otherwise they live in one
 *   internal buffer sized by the largest record seen (never above the limit,
 *   which is checked before anything is allocated).
 * - struct xsr_walker: walks a whole save image through its layers (xl header
 *   -> libxl stream -> libxc stream -> back to libxl, checkpoints included)
 *   and yields one event per header or record, with offsets and indexes.
 *   It enforces framing only; format rules are the checker's.
 * - struct xsr_writer: writes headers and records with padding, gathering
 *   small pieces and writing them with writev.
 */
#ifndef XSR_STREAM_H
#define XSR_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/uio.h>

#include <xsr/error.h>
#include <xsr/io.h>
#include <xsr/wire.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- reader */

struct xsr_reader;

struct xsr_record {
    uint32_t type;
    uint32_t length;        /* body length, padding excluded */
    const uint8_t *body;    /* length bytes; valid until the next read */
    const uint8_t *padding; /* xsr_rec_pad(length) bytes, as read; NULL if skipped */
    uint64_t offset;        /* of the record header in the channel */
    /* Bytes at the end of the body (and the padding) passed over unread: 0,
     * unless the walker skims page data (xsr_walker_opts.skip_page_data).
     * body holds length - skipped bytes. */
    uint32_t skipped;
};

/* max_record: largest body accepted (0 = XSR_REC_LENGTH_MAX). */
struct xsr_reader *xsr_reader_new(struct xsr_chan *ch, uint32_t max_record, struct xsr_error *err);
void xsr_reader_free(struct xsr_reader *r); /* does not close the channel */
void xsr_reader_set_order(struct xsr_reader *r, enum xsr_byte_order o);
enum xsr_byte_order xsr_reader_order(const struct xsr_reader *r);
struct xsr_chan *xsr_reader_chan(const struct xsr_reader *r);

/* Read n (<= 4096) bytes of a fixed header; view valid until the next read. */
int xsr_reader_fixed(struct xsr_reader *r, size_t n, const uint8_t **view, struct xsr_error *err);
/* Read n bytes of variable data (e.g. xl optional data), bounded by max_record. */
int xsr_reader_blob(struct xsr_reader *r, size_t n, const uint8_t **view, struct xsr_error *err);
/*
 * Read one framed record.  Returns 0 and fills rec; XSR_ETRUNC if the input
 * ends inside it (err says how far it got); XSR_ELIMIT if its length exceeds
 * the limit (nothing allocated).  At a clean end of input before any byte of
 * a record, returns 1 (no record).
 */
int xsr_reader_record(struct xsr_reader *r, struct xsr_record *rec, struct xsr_error *err);
/* Bytes consumed so far (= offset of the next read). */
uint64_t xsr_reader_offset(const struct xsr_reader *r);
/* Returns 1 if the input is at its end, 0 if more bytes follow, <0 on error.
 * May read ahead one byte into an internal buffer. */
int xsr_reader_at_eof(struct xsr_reader *r, struct xsr_error *err);

/* ------------------------------------------------------------- walker */

enum xsr_event_kind {
    XSR_EV_XL_HEADER = 1,   /* .xl; raw = 48 bytes + optional data */
    XSR_EV_LIBXL_HEADER,    /* .libxl_hdr; raw = 16 bytes */
    XSR_EV_LIBXL_RECORD,    /* .rec; raw = the 8-byte record header */
    XSR_EV_IMAGE_HEADER,    /* .ihdr; raw = 24 bytes */
    XSR_EV_DOMAIN_HEADER,   /* .dhdr; raw = 16 bytes */
    XSR_EV_RECORD,          /* .rec (libxc); raw = the 8-byte record header */
    XSR_EV_LEGACY,          /* a legacy stream starts here: the walker stops (raw = NULL);
                               its bytes are left unread in xsr_walker_reader() */
    XSR_EV_TRAILING,        /* bytes after the end of the outermost stream; raw = them */
};

struct xsr_event {
    enum xsr_event_kind kind;
    enum xsr_layer layer;
    uint64_t offset;         /* of the first byte of this header/record */
    int64_t index;           /* record index within its layer, else XSR_NO_INDEX */
    enum xsr_byte_order order; /* byte order of this layer */
    const uint8_t *raw;      /* the exact bytes of headers (see kinds) */
    size_t raw_len;
    union {
        struct {
            struct xsr_xl_hdr hdr;
            const uint8_t *optional_data; /* optional_data_len bytes */
        } xl;
        struct xsr_libxl_hdr libxl_hdr;
        struct xsr_ihdr ihdr;
        struct xsr_dhdr dhdr;
        struct xsr_record rec;
    } u;
};

struct xsr_walker_opts {
    size_t size;            /* sizeof(struct xsr_walker_opts): XSR_WALKER_OPTS_INIT */
    enum xsr_layer format;  /* XSR_LAYER_NONE = auto-detect */
    uint32_t max_record;    /* 0 = XSR_REC_LENGTH_MAX */
    /* Trailing bytes larger than this are reported in pieces (0 = 64 KiB). */
    size_t trailing_chunk;
    /*
     * Stop at the outermost END: xsr_walker_next returns 0 right after it
     * without reading further (no end-of-input test, no XSR_EV_TRAILING).
     * For a socket whose peer keeps the connection open after the stream
     * (xl's migration handshake, COLO's back channel): what follows the
     * END is left unread in the channel.
     */
    bool stop_at_end;
    /*
     * Pass over the 4 KiB pages of PAGE_DATA records unread (their record
     * header, count and pfn words are read), and the whole body of an
     * optional record of a type no table knows: for a consumer that needs no
     * page contents, such as a checker.  On a channel without views the
     * pages are skipped in the channel (a pipe: spliced to /dev/null, a file:
     * seeked), not copied; the event's rec.skipped says how many bytes of the
     * body were.  Such events cannot be re-emitted by xsr_writer_event.
     */
    bool skip_page_data;
};
#define XSR_WALKER_OPTS_INIT { .size = sizeof(struct xsr_walker_opts) }

struct xsr_walker;
/* opts NULL = the defaults. */
struct xsr_walker *xsr_walker_new(struct xsr_chan *ch, const struct xsr_walker_opts *opts,
                                  struct xsr_error *err);
void xsr_walker_free(struct xsr_walker *w); /* does not close the channel */
/*
 * Next event: returns 1 and fills ev; 0 when the stream is complete (the
 * outermost END was read and the input ended, after any XSR_EV_TRAILING;
 * with stop_at_end, as soon as the outermost END was read);
 * <0 on a framing error (truncation, over-long record, bad magic of a layer
 * that must follow), with err located.  Event memory stays valid until the
 * next call.
 */
int xsr_walker_next(struct xsr_walker *w, struct xsr_event *ev, struct xsr_error *err);
enum xsr_layer xsr_walker_format(const struct xsr_walker *w); /* detected outer layer */
struct xsr_reader *xsr_walker_reader(struct xsr_walker *w);

/* ------------------------------------------------------------- writer */

struct xsr_writer;

/* batch: bytes gathered before a writev (0 = a sensible default). */
struct xsr_writer *xsr_writer_new(struct xsr_chan *ch, size_t batch, struct xsr_error *err);
/* Flushes, then frees; does not close the channel.  NULL allowed. */
int xsr_writer_free(struct xsr_writer *w, struct xsr_error *err);
void xsr_writer_set_order(struct xsr_writer *w, enum xsr_byte_order o);
enum xsr_byte_order xsr_writer_order(const struct xsr_writer *w);

/* Raw bytes (headers already encoded, legacy chunks...). Copied or queued. */
int xsr_writer_raw(struct xsr_writer *w, const void *buf, size_t n, struct xsr_error *err);
int xsr_writer_ihdr(struct xsr_writer *w, const struct xsr_ihdr *h, struct xsr_error *err); /* also sets the order */
int xsr_writer_dhdr(struct xsr_writer *w, const struct xsr_dhdr *h, struct xsr_error *err);
int xsr_writer_libxl_hdr(struct xsr_writer *w, const struct xsr_libxl_hdr *h, struct xsr_error *err); /* sets order */
int xsr_writer_xl_hdr(struct xsr_writer *w, const struct xsr_xl_hdr *h, const uint8_t *optional_data,
                      struct xsr_error *err);
/* A record: header, body, zero padding.  Refuses length > XSR_REC_LENGTH_MAX. */
int xsr_writer_record(struct xsr_writer *w, uint32_t type, const void *body, uint32_t len,
                      struct xsr_error *err);
/* A record whose body is the concatenation of iov (no copy of large parts). */
int xsr_writer_record_iov(struct xsr_writer *w, uint32_t type, const struct iovec *iov, int iovcnt,
                          struct xsr_error *err);
/* Re-emit a walker event byte for byte (raw headers, record with its padding). */
int xsr_writer_event(struct xsr_writer *w, const struct xsr_event *ev, struct xsr_error *err);
int xsr_writer_flush(struct xsr_writer *w, struct xsr_error *err);
uint64_t xsr_writer_offset(const struct xsr_writer *w); /* bytes emitted, queued included */

/* ------------------------------------------------------------- builder */

/*
 * struct xsr_builder: the writer's counterpart of the walker.  It writes the
 * framing of a whole save image — xl header and its optional data, libxl
 * header, LIBXC_CONTEXT, libxc image and domain headers, then, as the
 * producer appends records, CHECKPOINT_END after the libxl records of a
 * checkpoint, and the END records of every layer — so that a producer only
 * appends libxc and libxl records:
 *
 *   xsr_builder_new            headers of every layer (queued)
 *   xsr_builder_record*        libxc records (PAGE_DATA: xsr_builder_page_data)
 *   xsr_builder_checkpoint     libxc CHECKPOINT; in a libxl stream the libxl
 *                              records of the checkpoint follow
 *                              (xsr_builder_libxl_record*), and the next
 *                              libxc record, checkpoint or end writes the
 *                              libxl CHECKPOINT_END first
 *   xsr_builder_libxc_end      libxc END; libxl records follow (emulator...)
 *   xsr_builder_end            every END still missing, then a flush
 *   [xsr_builder_trailing]     bytes after the stream, if a producer must
 *
 * Bytes go through a struct xsr_writer: small pieces are batched, page data
 * given as iovecs is written with writev and never copied.
 */
struct xsr_builder_opts {
    size_t size;                /* sizeof(struct xsr_builder_opts): XSR_BUILDER_OPTS_INIT */
    enum xsr_layer format;      /* outermost layer: XSR_LAYER_XL, _LIBXL or _LIBXC */
    uint32_t version;           /* libxc stream version: 2, 3 or 4 */
    enum xsr_byte_order order;  /* of every layer */
    struct xsr_dhdr domain;     /* libxc domain header (page_shift 0 = XSR_PAGE_SHIFT) */
    /* xl layer: XSR_XL_FLAG_STREAMV2 is always set; the optional data (the
     * domain configuration) is written as given. */
    uint32_t xl_mandatory_flags;
    uint32_t xl_optional_flags;
    const void *xl_config;
    uint32_t xl_config_len;
    /* libxl layer: option bits besides the byte order (e.g. XSR_LIBXL_OPT_LEGACY) */
    uint32_t libxl_options;
    size_t batch;               /* bytes gathered per write (0 = the writer's default) */
    /* The xl header in xl_order rather than order (a converter keeping the
     * byte order of its input's xl header). */
    bool xl_own_order;
    enum xsr_byte_order xl_order;
};
#define XSR_BUILDER_OPTS_INIT \
    { .size = sizeof(struct xsr_builder_opts), .format = XSR_LAYER_LIBXC, .version = 3, \
      .order = XSR_LITTLE_ENDIAN }

struct xsr_builder;

/* Validates the options and queues the headers of every layer. */
struct xsr_builder *xsr_builder_new(struct xsr_chan *ch, const struct xsr_builder_opts *opts,
                                    struct xsr_error *err);
/* Flushes what is queued (without adding any END), then frees; does not
 * close the channel.  NULL allowed. */
int xsr_builder_free(struct xsr_builder *b, struct xsr_error *err);

/* A libxc record.  END and CHECKPOINT are refused here: they are framing
 * (xsr_builder_checkpoint, xsr_builder_libxc_end, xsr_builder_end). */
int xsr_builder_record(struct xsr_builder *b, uint32_t type, const void *body, uint32_t len,
                       struct xsr_error *err);
int xsr_builder_record_iov(struct xsr_builder *b, uint32_t type, const struct iovec *iov,
                           int iovcnt, struct xsr_error *err);
/*
 * A PAGE_DATA record of count pfn words (host values, xsr_pfn_word_make),
 * encoded in the stream's byte order, followed by the pages of the words
 * whose type carries data, gathered from pages[] without a copy.  The pages
 * must add up to exactly XSR_PAGE_SIZE per such word.
 */
int xsr_builder_page_data(struct xsr_builder *b, const uint64_t *words, uint32_t count,
                          const struct iovec *pages, int npages, struct xsr_error *err);
/* libxc CHECKPOINT (a checkpointed stream: Remus, COLO). */
int xsr_builder_checkpoint(struct xsr_builder *b, struct xsr_error *err);
/* A libxl record (libxl and xl formats): between a checkpoint and the next
 * libxc record, or after xsr_builder_libxc_end.  LIBXC_CONTEXT, END and
 * CHECKPOINT_END are framing and refused. */
int xsr_builder_libxl_record(struct xsr_builder *b, uint32_t type, const void *body, uint32_t len,
                             struct xsr_error *err);
int xsr_builder_libxl_record_iov(struct xsr_builder *b, uint32_t type, const struct iovec *iov,
                                 int iovcnt, struct xsr_error *err);
/* The libxc END (once; a CHECKPOINT_END still due is written first). */
int xsr_builder_libxc_end(struct xsr_builder *b, struct xsr_error *err);
/* Every END still missing (libxc, then libxl), then flush.  Nothing can be
 * appended afterwards. */
int xsr_builder_end(struct xsr_builder *b, struct xsr_error *err);
/* Bytes after the end of the stream, written as given (what the walker
 * reports as XSR_EV_TRAILING, e.g. a legacy device model behind a bare libxc
 * stream converted from a legacy one).  Only once the stream has ended. */
int xsr_builder_trailing(struct xsr_builder *b, const void *buf, size_t n, struct xsr_error *err);
int xsr_builder_flush(struct xsr_builder *b, struct xsr_error *err);
uint64_t xsr_builder_offset(const struct xsr_builder *b); /* bytes emitted, queued included */
uint64_t xsr_builder_records(const struct xsr_builder *b); /* libxc records, ENDs included */

#ifdef __cplusplus
}
#endif
#endif
