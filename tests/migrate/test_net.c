/* SPDX-License-Identifier: MIT */
/*
 * The migration transport: TCP on loopback, the refusal to listen in the
 * open without TLS, the idle timeout, and TLS with mutual authentication
 * (a peer whose certificate the CA did not sign gets no byte read), with
 * xl's whole conversation run over it.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "testutil.h"

static char certs[256]; /* directory made by mkcerts.sh, "" without openssl */

static const char *cert(const char *name, const char *ext)
{
    static char buf[8][512];
    static int i;
    char *b = buf[i++ % 8];
    snprintf(b, 512, "%s/%s.%s", certs, name, ext);
    return b;
}

static struct xsr_net_opts tls_opts(const char *me, const char *ca)
{
    struct xsr_net_opts o = XSR_NET_OPTS_INIT;
    o.tls_cert = cert(me, "pem");
    o.tls_key = cert(me, "key");
    o.tls_ca = cert(ca, "pem");
    o.idle_timeout_ms = 5000;
    return o;
}

/* ------------------------------------------------------------- a server */

struct server {
    int lfd;
    struct xsr_net_opts o;
    struct xsr_conn *c;
    struct xsr_error err;
    uint8_t got[64];
    int rc;
    uint64_t read_bytes; /* stream bytes read from the peer */
};

/* Accept one peer, read 5 bytes, answer "pong". */
static void *serve(void *arg)
{
    struct server *s = arg;
    s->c = xsr_net_accept(s->lfd, &s->o, &s->err);
    if (!s->c) {
        s->rc = s->err.code;
        return NULL;
    }
    s->rc = xsr_chan_read(xsr_conn_in(s->c), s->got, 5, NULL, &s->err);
    s->read_bytes = xsr_chan_offset(xsr_conn_in(s->c));
    if (s->rc == 0)
        s->rc = xsr_chan_write(xsr_conn_out(s->c), "pong", 4, &s->err);
    xsr_conn_close(s->c, NULL);
    return NULL;
}

static int listen_loopback(const struct xsr_net_opts *o, char *addr, size_t cap)
{
    struct xsr_error err = {0};
    int fd = xsr_net_listen("127.0.0.1:0", o, &err);
    if (fd < 0)
        fail_msg("listen: %s", err.message);
    snprintf(addr, cap, "127.0.0.1:%d", xsr_net_listen_port(fd));
    return fd;
}

/* A client with copts talks to a server with sopts; returns the server's
 * result (0: it read "ping!" and answered). */
static int exchange(const struct xsr_net_opts *sopts, const struct xsr_net_opts *copts,
                    struct server *s, struct xsr_error *cerr, int *crc)
{
    char addr[64];
    *s = (struct server){.o = *sopts};
    s->lfd = listen_loopback(sopts, addr, sizeof(addr));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, serve, s), 0);
    struct xsr_conn *c = xsr_net_connect(addr, copts, cerr);
    *crc = c ? 0 : cerr->code;
    if (c) {
        *crc = xsr_chan_write(xsr_conn_out(c), "ping!", 5, cerr);
        char pong[4];
        if (*crc == 0)
            *crc = xsr_chan_read(xsr_conn_in(c), pong, 4, NULL, cerr);
        if (*crc == 0)
            assert_memory_equal(pong, "pong", 4);
        xsr_conn_close(c, NULL);
    }
    pthread_join(t, NULL);
    close(s->lfd);
    return s->rc;
}

static void test_tcp_loopback(void **state)
{
    (void)state;
    struct xsr_net_opts o = XSR_NET_OPTS_INIT;
    struct server s;
    struct xsr_error cerr = {0};
    int crc;
    assert_int_equal(exchange(&o, &o, &s, &cerr, &crc), 0);
    assert_int_equal(crc, 0);
    assert_memory_equal(s.got, "ping!", 5);
}

static void test_listen_in_the_open_needs_tls(void **state)
{
    (void)state;
    struct xsr_net_opts o = XSR_NET_OPTS_INIT;
    struct xsr_error err = {0};
    assert_int_equal(xsr_net_listen("0.0.0.0:0", &o, &err), XSR_EINVAL);
    assert_non_null(strstr(err.message, "without TLS"));
    o.insecure = true;
    int fd = xsr_net_listen("0.0.0.0:0", &o, &err);
    assert_true(fd >= 0);
    close(fd);
    /* loopback needs neither */
    o.insecure = false;
    fd = xsr_net_listen("[::1]:0", &o, &err);
    if (fd >= 0)
        close(fd);
    else
        printf("no IPv6 loopback here: %s\n", err.message);
    /* half a TLS configuration is an error, not plain TCP */
    o.tls_cert = "x.pem";
    assert_int_equal(xsr_net_listen("127.0.0.1:0", &o, &err), XSR_EINVAL);
    for (const char *bad = "127.0.0.1"; bad; bad = NULL)
        assert_int_equal(xsr_net_listen(bad, NULL, &err), XSR_EINVAL);
    assert_int_equal(xsr_net_listen("127.0.0.1:99999", NULL, &err), XSR_EINVAL);
}

/* A peer that connects and then says nothing: the reader gives up after
 * the idle timeout with ETIMEDOUT instead of waiting forever. */
static void test_idle_timeout(void **state)
{
    (void)state;
    struct xsr_net_opts o = XSR_NET_OPTS_INIT;
    o.idle_timeout_ms = 200;
    char addr[64];
    int lfd = listen_loopback(&o, addr, sizeof(addr));
    struct xsr_error err = {0};
    struct xsr_conn *c = xsr_net_connect(addr, &o, &err);
    assert_non_null(c);
    struct xsr_conn *a = xsr_net_accept(lfd, &o, &err);
    assert_non_null(a);
    uint8_t b[4];
    assert_int_equal(xsr_chan_read(xsr_conn_in(a), b, 4, NULL, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, ETIMEDOUT);
    xsr_conn_close(a, NULL);
    xsr_conn_close(c, NULL);
    close(lfd);
}

static bool have_certs(void)
{
    if (!certs[0])
        printf("skipping TLS: openssl could not make test certificates\n");
    return certs[0] != '\0';
}

static void test_tls_mutual(void **state)
{
    (void)state;
    if (!have_certs())
        return;
    struct xsr_net_opts so = tls_opts("receiver", "migration-ca");
    struct xsr_net_opts co = tls_opts("sender", "migration-ca");
    struct server s;
    struct xsr_error cerr = {0};
    int crc;
    assert_int_equal(exchange(&so, &co, &s, &cerr, &crc), 0);
    assert_int_equal(crc, 0);
    assert_memory_equal(s.got, "ping!", 5);
}

/* A client whose certificate another CA signed, or a plain TCP client: the
 * server refuses it in the handshake and reads not one stream byte. */
static void test_tls_refuses_strangers(void **state)
{
    (void)state;
    if (!have_certs())
        return;
    struct xsr_net_opts so = tls_opts("receiver", "migration-ca");
    struct xsr_net_opts intruder = tls_opts("intruder", "migration-ca");
    struct server s;
    struct xsr_error cerr = {0};
    int crc;
    assert_true(exchange(&so, &intruder, &s, &cerr, &crc) < 0);
    assert_null(s.c);
    assert_int_equal(s.read_bytes, 0);
    assert_non_null(strstr(s.err.message, "certificate"));
    assert_true(crc < 0);

    struct xsr_net_opts plain = XSR_NET_OPTS_INIT;
    plain.idle_timeout_ms = 2000;
    assert_true(exchange(&so, &plain, &s, &cerr, &crc) < 0);
    assert_null(s.c);
    assert_true(crc < 0);

    /* and the client refuses a server the CA did not sign */
    struct xsr_net_opts rogue_server = tls_opts("intruder", "rogue-ca");
    struct xsr_net_opts co = tls_opts("sender", "migration-ca");
    assert_true(exchange(&rogue_server, &co, &s, &cerr, &crc) < 0);
    assert_true(crc < 0);
    assert_non_null(strstr(cerr.message, "certificate"));
}

/* -------------------------------------- xl's conversation over TLS and TCP */

struct host {
    int built, activated, discarded, resumed, destroyed;
};

static int h_send(void *ctx, struct xsr_chan *out, struct xsr_error *err)
{
    static uint8_t big[1 << 20];
    for (size_t i = 0; i < sizeof(big); i++)
        big[i] = (uint8_t)(i * 31u);
    (void)ctx;
    return xsr_chan_write(out, big, sizeof(big), err);
}
static int h_recv(void *ctx, struct xsr_chan *in, struct xsr_error *err)
{
    static uint8_t big[1 << 20];
    int rc = xsr_chan_read(in, big, sizeof(big), NULL, err);
    for (size_t i = 0; rc == 0 && i < sizeof(big); i++)
        if (big[i] != (uint8_t)(i * 31u))
            return xsr_error_set(err, XSR_EFORMAT, "byte %zu differs", i);
    ((struct host *)ctx)->built += rc == 0;
    return rc;
}
static int h_resume(void *ctx, struct xsr_error *e) { (void)e; ((struct host *)ctx)->resumed++; return 0; }
static int h_destroy(void *ctx, struct xsr_error *e) { (void)e; ((struct host *)ctx)->destroyed++; return 0; }
static int h_activate(void *ctx, struct xsr_error *e) { (void)e; ((struct host *)ctx)->activated++; return 0; }
static void h_discard(void *ctx) { ((struct host *)ctx)->discarded++; }

struct receiver {
    int lfd;
    struct xsr_net_opts o;
    struct host h;
    int rc;
};

static void *receive(void *arg)
{
    struct receiver *r = arg;
    struct xsr_error err = {0};
    struct xsr_conn *c = xsr_net_accept(r->lfd, &r->o, &err);
    if (!c) {
        r->rc = err.code;
        return NULL;
    }
    struct xsr_migrate_target_ops ops = XSR_MIGRATE_TARGET_OPS_INIT;
    ops.ctx = &r->h;
    ops.receive_stream = h_recv;
    ops.activate = h_activate;
    ops.discard = h_discard;
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    r->rc = xsr_migrate_target(xsr_conn_in(c), xsr_conn_out(c), &ops, &res, &err);
    xsr_conn_close(c, NULL);
    return NULL;
}

static void migrate_over(const struct xsr_net_opts *so, const struct xsr_net_opts *co)
{
    char addr[64];
    struct receiver r = {.o = *so};
    r.lfd = listen_loopback(so, addr, sizeof(addr));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, receive, &r), 0);
    struct xsr_error err = {0};
    struct xsr_conn *c = xsr_net_connect(addr, co, &err);
    assert_non_null(c);
    struct host src = {0};
    struct xsr_migrate_source_ops ops = XSR_MIGRATE_SOURCE_OPS_INIT;
    ops.ctx = &src;
    ops.send_stream = h_send;
    ops.resume = h_resume;
    ops.destroy = h_destroy;
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    int rc = xsr_migrate_source(xsr_conn_in(c), xsr_conn_out(c), &ops, &res, &err);
    if (rc < 0)
        fail_msg("source: %s", err.message);
    xsr_conn_close(c, NULL);
    pthread_join(t, NULL);
    close(r.lfd);
    assert_int_equal(r.rc, 0);
    assert_int_equal(res.outcome, XSR_MIGRATE_DONE);
    assert_int_equal(src.destroyed, 1);
    assert_int_equal(src.resumed, 0);
    assert_int_equal(r.h.activated, 1);
    assert_int_equal(r.h.discarded, 0);
    assert_int_equal(res.sent, (1u << 20) + 44);
}

static void test_conversation_over_tcp_and_tls(void **state)
{
    (void)state;
    struct xsr_net_opts plain = XSR_NET_OPTS_INIT;
    migrate_over(&plain, &plain);
    if (!have_certs())
        return;
    struct xsr_net_opts so = tls_opts("receiver", "migration-ca");
    struct xsr_net_opts co = tls_opts("sender", "migration-ca");
    migrate_over(&so, &co);
    /* compressed, on TLS */
    so.compress = co.compress = 3;
    migrate_over(&so, &co);
}

/* Compression on both sides: the conversation completes with what was
 * sent arriving unchanged; bytes from a peer that does not compress are
 * refused as what they are. */
static void test_compressed(void **state)
{
    (void)state;
    struct xsr_net_opts o = XSR_NET_OPTS_INIT;
    o.compress = 3;
    migrate_over(&o, &o);
    /* a peer that does not compress: the receiver's bytes are no zstd */
    struct xsr_net_opts plain = XSR_NET_OPTS_INIT;
    char addr[64];
    int lfd = listen_loopback(&o, addr, sizeof(addr));
    struct xsr_error err = {0};
    struct xsr_conn *c = xsr_net_connect(addr, &plain, &err);
    assert_non_null(c);
    struct xsr_conn *a = xsr_net_accept(lfd, &o, &err);
    assert_non_null(a);
    assert_int_equal(xsr_chan_write(xsr_conn_out(c), "not zstd at all", 15, &err), 0);
    uint8_t b[4];
    assert_int_equal(xsr_chan_read(xsr_conn_in(a), b, 4, NULL, &err), XSR_EIO);
    assert_int_equal(err.sys_errno, EPROTO);
    xsr_conn_close(a, NULL);
    xsr_conn_close(c, NULL);
    close(lfd);
    o.compress = 20;
    assert_int_equal(xsr_net_listen("127.0.0.1:0", &o, &err), XSR_EINVAL);
}

static int make_certs(void **state)
{
    (void)state;
    snprintf(certs, sizeof(certs), "%s/xsr-certs.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
    if (!mkdtemp(certs)) {
        certs[0] = '\0';
        return 0;
    }
    char cmd[1024];
    snprintf(cmd, sizeof(cmd), "sh '%s/tests/migrate/mkcerts.sh' '%s' >/dev/null 2>&1", tu_src_dir(),
             certs);
    if (system(cmd) != 0) {
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
        (void)system(cmd);
        certs[0] = '\0';
    }
    return 0;
}

static int remove_certs(void **state)
{
    (void)state;
    if (certs[0]) {
        char cmd[512];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", certs);
        (void)system(cmd);
    }
    return 0;
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_tcp_loopback),
        cmocka_unit_test(test_listen_in_the_open_needs_tls),
        cmocka_unit_test(test_idle_timeout),
        cmocka_unit_test(test_tls_mutual),
        cmocka_unit_test(test_tls_refuses_strangers),
        cmocka_unit_test(test_conversation_over_tcp_and_tls),
        cmocka_unit_test(test_compressed),
    };
    return cmocka_run_group_tests(tests, make_certs, remove_certs);
}
