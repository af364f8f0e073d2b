/* SPDX-License-Identifier: MIT */
/*
 * The transport of a migration: TCP (large buffers, whole batches per
 * writev, an idle timeout on every wait), TLS on top when configured, or two
 * plain descriptors (stdin/stdout under ssh, a pipe to a command).
 */
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include "compress.h"
#include "net_internal.h"
#include "util/opts.h"

#define DEFAULT_TIMEOUT_MS 60000u
#define DEFAULT_SOCK_BUF (4u << 20)

static int load_opts(struct xsr_net_opts *o, const struct xsr_net_opts *in, struct xsr_error *err)
{
    int rc = xsri_opts_load(o, sizeof(*o), in, sizeof(*o), "xsr_net_opts", err);
    if (rc < 0)
        return rc;
    if (!o->idle_timeout_ms)
        o->idle_timeout_ms = DEFAULT_TIMEOUT_MS;
    if (!o->sock_buf)
        o->sock_buf = DEFAULT_SOCK_BUF;
    int tls = !!o->tls_cert + !!o->tls_key + !!o->tls_ca;
    if (o->compress < 0 || o->compress > 19)
        return xsr_error_set(err, XSR_EINVAL, "zstd compression level %d is not 1-19", o->compress);
    if (tls != 0 && tls != 3)
        return xsr_error_set(err, XSR_EINVAL,
                             "TLS needs a certificate, its key and the peer's CA (all three)");
    return 0;
}

static bool want_tls(const struct xsr_net_opts *o) { return o->tls_cert != NULL; }

int xsri_conn_wait(const struct xsr_conn *c, int fd, short events)
{
    struct pollfd p = {.fd = fd, .events = events};
    for (;;) {
        int r = poll(&p, 1, c->timeout_ms > INT_MAX ? -1 : (int)c->timeout_ms);
        if (r > 0)
            return 0;
        if (r == 0) {
            errno = ETIMEDOUT;
            return -1;
        }
        if (errno != EINTR)
            return -1;
    }
}

static ssize_t raw_read(void *ctx, void *buf, size_t n)
{
    struct xsr_conn *c = ctx;
    if (c->tls)
        return xsri_tls_read(c->tls, buf, n);
    /* wait first: the descriptors stay blocking (stdin may be shared) */
    for (;;) {
        if (xsri_conn_wait(c, c->in_fd, POLLIN) < 0)
            return -1;
        ssize_t r = read(c->in_fd, buf, n);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return r;
    }
}

static ssize_t raw_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct xsr_conn *c = ctx;
    if (c->tls)
        return xsri_tls_writev(c->tls, iov, iovcnt);
    if (iovcnt > IOV_MAX)
        iovcnt = IOV_MAX;
    for (;;) {
        if (xsri_conn_wait(c, c->out_fd, POLLOUT) < 0)
            return -1;
        /* a socket's peer that hung up is an EPIPE, not a SIGPIPE for the
         * caller's process */
        struct msghdr mh = {.msg_iov = (struct iovec *)(uintptr_t)iov, .msg_iovlen = (size_t)iovcnt};
        ssize_t r = c->socket ? sendmsg(c->out_fd, &mh, MSG_NOSIGNAL) : writev(c->out_fd, iov, iovcnt);
        if (r >= 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            return r;
    }
}

static ssize_t conn_read(void *ctx, void *buf, size_t n)
{
    struct xsr_conn *c = ctx;
    return c->z ? xsri_zconn_read(c->z, buf, n) : raw_read(c, buf, n);
}

static ssize_t conn_writev(void *ctx, const struct iovec *iov, int iovcnt)
{
    struct xsr_conn *c = ctx;
    return c->z ? xsri_zconn_writev(c->z, iov, iovcnt) : raw_writev(c, iov, iovcnt);
}

/* Both channels read and write through the connection; closing them does
 * nothing, xsr_conn_close does it all. */
static struct xsr_conn *conn_new(int in_fd, int out_fd, bool own, const struct xsr_net_opts *o,
                                 struct xsr_error *err)
{
    struct xsr_conn *c = calloc(1, sizeof(*c));
    if (!c) {
        xsr_error_set(err, XSR_ENOMEM, "out of memory for a connection");
        return NULL;
    }
    *c = (struct xsr_conn){.in_fd = in_fd, .out_fd = out_fd, .own = own,
                           .timeout_ms = o->idle_timeout_ms};
    return c;
}

static int conn_channels(struct xsr_conn *c, const struct xsr_net_opts *o, struct xsr_error *err)
{
    if (o->compress && !(c->z = xsri_zconn_new(o->compress, raw_read, raw_writev, c, err)))
        return XSR_ENOMEM;
    static const struct xsr_chan_ops ops = {
        .version = XSR_CHAN_OPS_VERSION, .read = conn_read, .writev = conn_writev};
    c->in = xsr_chan_custom(&ops, c, true, err);
    c->out = c->in ? xsr_chan_custom(&ops, c, false, err) : NULL;
    return c->out ? 0 : XSR_ENOMEM;
}

struct xsr_chan *xsr_conn_in(struct xsr_conn *c) { return c ? c->in : NULL; }
struct xsr_chan *xsr_conn_out(struct xsr_conn *c) { return c ? c->out : NULL; }
const char *xsr_conn_peer(const struct xsr_conn *c) { return c ? c->peer : ""; }

int xsr_conn_close(struct xsr_conn *c, struct xsr_error *err)
{
    if (!c)
        return 0;
    xsri_zconn_free(c->z);
    if (c->tls)
        xsri_tls_close(c->tls);
    xsr_chan_close(c->in, NULL);
    xsr_chan_close(c->out, NULL);
    int rc = 0;
    if (c->own) {
        if (close(c->in_fd) < 0)
            rc = xsr_error_sys(err, errno, "closing the connection to %s", c->peer);
        if (c->out_fd != c->in_fd)
            close(c->out_fd);
    }
    free(c);
    return rc;
}

struct xsr_conn *xsr_conn_fds(int in_fd, int out_fd, const struct xsr_net_opts *opts,
                              struct xsr_error *err)
{
    struct xsr_net_opts o;
    if (load_opts(&o, opts, err) < 0)
        return NULL;
    if (want_tls(&o)) {
        xsr_error_set(err, XSR_EINVAL, "TLS is for TCP connections (a pipe or ssh secures itself)");
        return NULL;
    }
    struct xsr_conn *c = conn_new(in_fd, out_fd, false, &o, err);
    if (!c)
        return NULL;
    snprintf(c->peer, sizeof(c->peer), "the peer on descriptors %d/%d", in_fd, out_fd);
    if (conn_channels(c, &o, err) < 0) {
        xsr_conn_close(c, NULL);
        return NULL;
    }
    return c;
}

/* ------------------------------------------------------------- addresses */

/* "HOST:PORT" or "[V6]:PORT" into host and port strings. */
static int split_addr(const char *addr, char *host, size_t hcap, char *port, size_t pcap,
                      struct xsr_error *err)
{
    const char *colon, *h = addr;
    size_t hl;
    if (!addr || !*addr)
        return xsr_error_set(err, XSR_EINVAL, "no address given (HOST:PORT)");
    if (addr[0] == '[') {
        const char *end = strchr(addr, ']');
        if (!end || end[1] != ':')
            return xsr_error_set(err, XSR_EINVAL, "bad address '%s' (expected [V6ADDR]:PORT)", addr);
        h = addr + 1;
        hl = (size_t)(end - h);
        colon = end + 1;
    } else {
        colon = strrchr(addr, ':');
        if (!colon)
            return xsr_error_set(err, XSR_EINVAL, "bad address '%s' (expected HOST:PORT)", addr);
        hl = (size_t)(colon - addr);
    }
    if (hl == 0 || hl >= hcap || strlen(colon + 1) == 0 || strlen(colon + 1) >= pcap ||
        strspn(colon + 1, "0123456789") != strlen(colon + 1) || atoi(colon + 1) > 65535)
        return xsr_error_set(err, XSR_EINVAL, "bad address '%s' (expected HOST:PORT)", addr);
    memcpy(host, h, hl);
    host[hl] = '\0';
    snprintf(port, pcap, "%s", colon + 1);
    return 0;
}

static int resolve(const char *addr, bool passive, struct addrinfo **res, struct xsr_error *err)
{
    char host[256], port[16];
    int rc = split_addr(addr, host, sizeof(host), port, sizeof(port), err);
    if (rc < 0)
        return rc;
    struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM,
                             .ai_flags = passive ? AI_PASSIVE : 0};
    int g = getaddrinfo(host, port, &hints, res);
    if (g != 0)
        return xsr_error_set(err, XSR_EIO, "cannot resolve '%s': %s", addr, gai_strerror(g));
    return 0;
}

static bool loopback(const struct sockaddr *sa)
{
    if (sa->sa_family == AF_INET)
        return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
    if (sa->sa_family == AF_INET6) {
        const struct in6_addr *a = &((const struct sockaddr_in6 *)sa)->sin6_addr;
        if (IN6_IS_ADDR_LOOPBACK(a))
            return true;
        if (IN6_IS_ADDR_V4MAPPED(a))
            return a->s6_addr[12] == 127;
    }
    return false;
}

static void describe(const struct sockaddr *sa, char *out, size_t cap)
{
    char h[INET6_ADDRSTRLEN] = "?";
    unsigned port = 0;
    if (sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        inet_ntop(AF_INET, &s4->sin_addr, h, sizeof(h));
        port = ntohs(s4->sin_port);
        snprintf(out, cap, "%s:%u", h, port);
    } else if (sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        inet_ntop(AF_INET6, &s6->sin6_addr, h, sizeof(h));
        port = ntohs(s6->sin6_port);
        snprintf(out, cap, "[%s]:%u", h, port);
    } else {
        snprintf(out, cap, "an unknown address");
    }
}

static void tune(int fd, const struct xsr_net_opts *o)
{
    int one = 1, buf = o->sock_buf > INT_MAX ? INT_MAX : (int)o->sock_buf;
    /* best effort: the kernel caps buffers at its own limits */
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
    /* the conversation's small messages must not wait for Nagle */
    (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

/* ------------------------------------------------------------ listen/accept */

int xsr_net_listen(const char *addr, const struct xsr_net_opts *opts, struct xsr_error *err)
{
    struct xsr_net_opts o;
    int rc = load_opts(&o, opts, err);
    if (rc < 0)
        return rc;
    struct addrinfo *ai;
    if ((rc = resolve(addr, true, &ai, err)) < 0)
        return rc;
    for (struct addrinfo *a = ai; a; a = a->ai_next)
        if (!loopback(a->ai_addr) && !want_tls(&o) && !o.insecure) {
            freeaddrinfo(ai);
            return xsr_error_set(err, XSR_EINVAL,
                                 "refusing to listen on %s without TLS: a receiver builds "
                                 "whatever it is sent (give --tls-cert/--tls-key/--tls-ca, or "
                                 "--insecure on a trusted network)", addr);
        }
    int fd = -1, sys = 0;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            sys = errno;
            continue;
        }
        int one = 1;
        (void)setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        tune(fd, &o); /* inherited by accepted sockets, before the window is set */
        if (bind(fd, a->ai_addr, a->ai_addrlen) < 0 || listen(fd, 1) < 0) {
            sys = errno;
            close(fd);
            fd = -1;
        }
    }
    freeaddrinfo(ai);
    if (fd < 0)
        return xsr_error_sys(err, sys, "cannot listen on %s", addr);
    return fd;
}

int xsr_net_listen_port(int fd)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &len) < 0)
        return -1;
    if (ss.ss_family == AF_INET)
        return ntohs(((struct sockaddr_in *)&ss)->sin_port);
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return -1;
}

static struct xsr_conn *finish(int fd, bool server, const struct sockaddr *peer,
                               const struct xsr_net_opts *o, struct xsr_error *err)
{
    tune(fd, o);
    struct xsr_conn *c = conn_new(fd, fd, true, o, err);
    if (!c) {
        close(fd);
        return NULL;
    }
    c->socket = true;
    describe(peer, c->peer, sizeof(c->peer));
    if ((want_tls(o) && xsri_tls_start(c, server, o, err) < 0) || conn_channels(c, o, err) < 0) {
        xsr_conn_close(c, NULL);
        return NULL;
    }
    return c;
}

struct xsr_conn *xsr_net_accept(int lfd, const struct xsr_net_opts *opts, struct xsr_error *err)
{
    struct xsr_net_opts o;
    if (load_opts(&o, opts, err) < 0)
        return NULL;
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);
    int fd;
    do
        fd = accept4(lfd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
    while (fd < 0 && errno == EINTR);
    if (fd < 0) {
        xsr_error_sys(err, errno, "accepting a connection");
        return NULL;
    }
    return finish(fd, true, (struct sockaddr *)&ss, &o, err);
}

struct xsr_conn *xsr_net_connect(const char *addr, const struct xsr_net_opts *opts,
                                 struct xsr_error *err)
{
    struct xsr_net_opts o;
    if (load_opts(&o, opts, err) < 0)
        return NULL;
    struct addrinfo *ai;
    if (resolve(addr, false, &ai, err) < 0)
        return NULL;
    int fd = -1, sys = 0;
    struct sockaddr_storage peer;
    for (struct addrinfo *a = ai; a && fd < 0; a = a->ai_next) {
        fd = socket(a->ai_family, a->ai_socktype | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0) {
            sys = errno;
            continue;
        }
        tune(fd, &o);
        int r;
        do
            r = connect(fd, a->ai_addr, a->ai_addrlen);
        while (r < 0 && errno == EINTR);
        if (r < 0) {
            sys = errno;
            close(fd);
            fd = -1;
            continue;
        }
        memcpy(&peer, a->ai_addr, a->ai_addrlen);
    }
    freeaddrinfo(ai);
    if (fd < 0) {
        xsr_error_sys(err, sys, "cannot connect to %s", addr);
        return NULL;
    }
    return finish(fd, false, (struct sockaddr *)&peer, &o, err);
}
