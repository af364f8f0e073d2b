/* SPDX-License-Identifier: MIT */
/*
 * Migration between hosts: the conversation of `xl migrate` and
 * `xl migrate-receive`, byte for byte, so that either side can be xsr and
 * the other real xl.
 *
 *   receiver                                   sender
 *      banner  ------------------------------>
 *             <------------------------------  xl header, libxl stream to its END
 *      READY   ------------------------------>   (domain built, paused)
 *             <------------------------------  GO      (point of no return)
 *      REPORT, status byte ------------------>   (0: running; destroy your copy)
 *      PERMISSION (only if status != 0) ----->   (resume your copy)
 *
 * The conversation is independent of where the stream comes from and goes
 * to: the caller supplies the save and restore steps as operations, so the
 * state machine that decides, exactly once, which host owns the guest is
 * written (and tested) once.
 */
#ifndef XSR_MIGRATE_H
#define XSR_MIGRATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <xsr/error.h>
#include <xsr/io.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ------------------------------------------------------------- messages */

enum xsr_xlmig_msg {
    XSR_XLMIG_BANNER,     /* receiver, first: ready for the domain data */
    XSR_XLMIG_READY,      /* receiver: domain received and built, paused */
    XSR_XLMIG_GO,         /* sender: the receiver owns the guest now */
    XSR_XLMIG_REPORT,     /* receiver: its unpause result follows, one byte */
    XSR_XLMIG_PERMISSION, /* receiver, after a failed unpause: the sender may
                           * resume its copy (the same bytes as GO) */
};

/* The exact bytes of a message (a NUL, where xl sends one, included). */
const uint8_t *xsr_xlmig_bytes(enum xsr_xlmig_msg m, size_t *len);
/* A short name of the message, for errors and logs. */
const char *xsr_xlmig_name(enum xsr_xlmig_msg m);

int xsr_xlmig_send(struct xsr_chan *out, enum xsr_xlmig_msg m, struct xsr_error *err);
/* Read exactly the message's length and compare; XSR_EFORMAT names what came
 * instead, XSR_ETRUNC if the peer closed first. */
int xsr_xlmig_expect(struct xsr_chan *in, enum xsr_xlmig_msg m, struct xsr_error *err);

/* The status byte after REPORT: 0 success, else minus libxl's error code
 * (xsr sends ERROR_FAIL's). */
#define XSR_XLMIG_STATUS_OK 0u
#define XSR_XLMIG_STATUS_FAIL 3u

/* ------------------------------------------------------------ the sides */

enum xsr_migrate_outcome {
    XSR_MIGRATE_NONE = 0,
    XSR_MIGRATE_DONE,      /* the target runs the guest; the source's copy is gone */
    XSR_MIGRATE_RESUMED,   /* the guest runs on the source; the target has nothing */
    XSR_MIGRATE_UNDEFINED, /* the conversation broke after GO: the source keeps its
                            * copy paused, the target may run the guest; a person
                            * must decide (as xl says: "domain state is now undefined") */
};

/* What the sending host does at each step; ctx is passed to each. */
struct xsr_migrate_source_ops {
    size_t size; /* XSR_MIGRATE_SOURCE_OPS_INIT */
    void *ctx;
    /* Write the xl header and the libxl stream up to its END to out; the
     * guest is paused (its final state sent) when this returns 0. */
    int (*send_stream)(void *ctx, struct xsr_chan *out, struct xsr_error *err);
    /* Give the guest back to the source: unpause it. */
    int (*resume)(void *ctx, struct xsr_error *err);
    /* The target runs the guest: destroy the source's copy. */
    int (*destroy)(void *ctx, struct xsr_error *err);
};
#define XSR_MIGRATE_SOURCE_OPS_INIT { .size = sizeof(struct xsr_migrate_source_ops) }

/* What the receiving host does at each step. */
struct xsr_migrate_target_ops {
    size_t size; /* XSR_MIGRATE_TARGET_OPS_INIT */
    void *ctx;
    /* Read the stream from in up to the outermost END and not one byte
     * further (the conversation goes on on the same channel); build the
     * domain paused. */
    int (*receive_stream)(void *ctx, struct xsr_chan *in, struct xsr_error *err);
    /* After GO: keep the domain and run it (unpause unless told not to). */
    int (*activate)(void *ctx, struct xsr_error *err);
    /* Throw away whatever was built (also a half-built domain). */
    void (*discard)(void *ctx);
};
#define XSR_MIGRATE_TARGET_OPS_INIT { .size = sizeof(struct xsr_migrate_target_ops) }

struct xsr_migrate_result {
    size_t size; /* XSR_MIGRATE_RESULT_INIT */
    enum xsr_migrate_outcome outcome;
    int status;        /* the status byte sent or received, -1 if none */
    uint64_t sent;     /* bytes written to the peer */
    uint64_t received; /* bytes read from the peer */
};
#define XSR_MIGRATE_RESULT_INIT { .size = sizeof(struct xsr_migrate_result), .status = -1 }

/*
 * The sending side, over a channel from the peer (in) and one to it (out).
 * Returns 0 when the target runs the guest (outcome DONE), else an error
 * with outcome saying where the guest is: RESUMED (any failure before GO,
 * or the target refused to unpause and gave permission), UNDEFINED (the
 * conversation broke after GO; the source's copy is kept, paused).
 */
int xsr_migrate_source(struct xsr_chan *in, struct xsr_chan *out,
                       const struct xsr_migrate_source_ops *ops,
                       struct xsr_migrate_result *res, struct xsr_error *err);

/*
 * The receiving side.  Returns 0 when the guest runs here (DONE), else an
 * error: nothing is kept here (discard was called) and outcome is RESUMED,
 * or UNDEFINED when GO arrived but the report could not be delivered.
 */
int xsr_migrate_target(struct xsr_chan *in, struct xsr_chan *out,
                       const struct xsr_migrate_target_ops *ops,
                       struct xsr_migrate_result *res, struct xsr_error *err);


/* ------------------------------------------------------------ transport */

/*
 * A connection to the peer: a channel from it and one to it, over a TCP
 * socket (optionally TLS with mutual authentication), or over two file
 * descriptors (stdin/stdout under ssh, a pipe to a command).  Reads and
 * writes that wait longer than the idle timeout fail (ETIMEDOUT).
 */
struct xsr_net_opts {
    size_t size;              /* XSR_NET_OPTS_INIT */
    const char *tls_cert;     /* PEM: this side's certificate, its key, and the */
    const char *tls_key;      /* CA that signed the peer's; all three or none   */
    const char *tls_ca;
    bool insecure;            /* let a listener take plain TCP off loopback */
    unsigned idle_timeout_ms; /* 0: 60 s */
    unsigned sock_buf;        /* SO_SNDBUF/SO_RCVBUF in bytes; 0: 4 MiB */
    int compress;             /* 0: none; else zstd of everything both ways at this
                               * level (1-19); both peers must ask for it */
};
#define XSR_NET_OPTS_INIT { .size = sizeof(struct xsr_net_opts) }

struct xsr_conn;

/*
 * Listen on "HOST:PORT" ("[V6]:PORT"; port 0 picks one, see
 * xsr_net_listen_port).  A non-loopback address is refused unless TLS is
 * configured or insecure is set: a receiver builds whatever it is sent.
 * Returns the listening descriptor, or a negative XSR_E* code.
 */
int xsr_net_listen(const char *addr, const struct xsr_net_opts *o, struct xsr_error *err);
/* The port a listening descriptor is bound to, or -1. */
int xsr_net_listen_port(int fd);
/* Accept one peer: with TLS, the handshake (and the check of the peer's
 * certificate) completes before this returns, so no stream byte is read
 * from an unauthenticated peer. */
struct xsr_conn *xsr_net_accept(int listen_fd, const struct xsr_net_opts *o, struct xsr_error *err);
/* Connect to "HOST:PORT" (with TLS when configured). */
struct xsr_conn *xsr_net_connect(const char *addr, const struct xsr_net_opts *o,
                                 struct xsr_error *err);
/* A connection over two descriptors the caller owns (stdin/stdout, pipes). */
struct xsr_conn *xsr_conn_fds(int in_fd, int out_fd, const struct xsr_net_opts *o,
                              struct xsr_error *err);

struct xsr_chan *xsr_conn_in(struct xsr_conn *c);
struct xsr_chan *xsr_conn_out(struct xsr_conn *c);
/* Who the peer is, for messages: its address, and with TLS its certificate's DN. */
const char *xsr_conn_peer(const struct xsr_conn *c);
/* Close both channels (a TLS close notify first); NULL allowed. */
int xsr_conn_close(struct xsr_conn *c, struct xsr_error *err);

#ifdef __cplusplus
}
#endif
#endif
