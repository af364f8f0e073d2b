/* SPDX-License-Identifier: MIT */
/* The connection behind xsr_conn_* and its TLS layer (tls.c). */
#ifndef XSR_MIGRATE_NET_INTERNAL_H
#define XSR_MIGRATE_NET_INTERNAL_H

#include <sys/types.h>
#include <sys/uio.h>

#include <xsr/migrate.h>

struct xsri_tls;
struct xsri_zconn;

struct xsr_conn {
    int in_fd, out_fd;     /* the same socket for TCP */
    bool own;              /* close the descriptors */
    bool socket;           /* TCP: written with MSG_NOSIGNAL */
    unsigned timeout_ms;
    struct xsri_tls *tls;  /* NULL: plain */
    struct xsri_zconn *z;  /* NULL: not compressed */
    struct xsr_chan *in, *out;
    char peer[320];
};

/* Wait until fd is ready for events within the connection's idle timeout;
 * 0, or -1 with errno (ETIMEDOUT). */
int xsri_conn_wait(const struct xsr_conn *c, int fd, short events);

/* TLS over c's socket (server: the peer must present a certificate the CA
 * signed).  Appends the peer's DN to c->peer. */
int xsri_tls_start(struct xsr_conn *c, bool server, const struct xsr_net_opts *o,
                   struct xsr_error *err);
ssize_t xsri_tls_read(struct xsri_tls *t, void *buf, size_t n);
ssize_t xsri_tls_writev(struct xsri_tls *t, const struct iovec *iov, int iovcnt);
void xsri_tls_close(struct xsri_tls *t); /* close notify, then free */

#endif
