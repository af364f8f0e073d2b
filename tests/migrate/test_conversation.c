/* SPDX-License-Identifier: MIT */
/*
 * xl's migration conversation: the bytes against what a real xl sent and
 * received (pv1-migrate.* fixtures), and the rule that a guest is never
 * lost nor run twice, with the conversation cut or corrupted at every byte.
 */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "testutil.h"

#define STREAM_LEN 1000u

/* ---------------------------------------------------------- fake hosts */

/* The source host: a guest that is running, paused, or gone. */
struct src {
    int resumed, destroyed, sent;
    bool fail_resume;
};

static int src_send(void *ctx, struct xsr_chan *out, struct xsr_error *err)
{
    struct src *s = ctx;
    uint8_t buf[STREAM_LEN];
    for (unsigned i = 0; i < STREAM_LEN; i++)
        buf[i] = (uint8_t)(i * 7u + 1u);
    s->sent++;
    return xsr_chan_write(out, buf, sizeof(buf), err);
}

static int src_resume(void *ctx, struct xsr_error *err)
{
    struct src *s = ctx;
    if (s->fail_resume)
        return xsr_error_set(err, XSR_EFAULT, "resume refused");
    s->resumed++;
    return 0;
}

static int src_destroy(void *ctx, struct xsr_error *err)
{
    (void)err;
    ((struct src *)ctx)->destroyed++;
    return 0;
}

/* The target host: a domain built (paused), running, or thrown away. */
struct dst {
    int built, activated, discarded;
    bool fail_activate;
};

static int dst_receive(void *ctx, struct xsr_chan *in, struct xsr_error *err)
{
    struct dst *d = ctx;
    uint8_t buf[STREAM_LEN];
    int rc = xsr_chan_read(in, buf, sizeof(buf), NULL, err);
    if (rc < 0)
        return rc;
    for (unsigned i = 0; i < STREAM_LEN; i++)
        if (buf[i] != (uint8_t)(i * 7u + 1u))
            return xsr_error_set(err, XSR_EFORMAT, "bad stream byte %u", i);
    d->built++;
    return 0;
}

static int dst_activate(void *ctx, struct xsr_error *err)
{
    struct dst *d = ctx;
    if (d->fail_activate)
        return xsr_error_set(err, XSR_EFAULT, "unpause refused");
    d->activated++;
    return 0;
}

static void dst_discard(void *ctx) { ((struct dst *)ctx)->discarded++; }

static struct xsr_migrate_source_ops src_ops(struct src *s)
{
    struct xsr_migrate_source_ops o = XSR_MIGRATE_SOURCE_OPS_INIT;
    o.ctx = s;
    o.send_stream = src_send;
    o.resume = src_resume;
    o.destroy = src_destroy;
    return o;
}

static struct xsr_migrate_target_ops dst_ops(struct dst *d)
{
    struct xsr_migrate_target_ops o = XSR_MIGRATE_TARGET_OPS_INIT;
    o.ctx = d;
    o.receive_stream = dst_receive;
    o.activate = dst_activate;
    o.discard = dst_discard;
    return o;
}

/* What a receiver says in a migration that succeeds. */
static size_t reply_ok(uint8_t *b)
{
    size_t n = 0, len;
    const uint8_t *m;
    m = xsr_xlmig_bytes(XSR_XLMIG_BANNER, &len), memcpy(b + n, m, len), n += len;
    m = xsr_xlmig_bytes(XSR_XLMIG_READY, &len), memcpy(b + n, m, len), n += len;
    m = xsr_xlmig_bytes(XSR_XLMIG_REPORT, &len), memcpy(b + n, m, len), n += len;
    b[n++] = XSR_XLMIG_STATUS_OK;
    return n;
}

/* What a sender says: the stream, then GO. */
static size_t sender_says(uint8_t *b)
{
    for (unsigned i = 0; i < STREAM_LEN; i++)
        b[i] = (uint8_t)(i * 7u + 1u);
    size_t len;
    const uint8_t *m = xsr_xlmig_bytes(XSR_XLMIG_GO, &len);
    memcpy(b + STREAM_LEN, m, len);
    return STREAM_LEN + len;
}

/* ------------------------------------------------ the bytes of real xl */

static uint8_t *fixture(const char *name, size_t *len)
{
    const char *sh = tu_shared_dir();
    if (!sh)
        return NULL;
    char path[1024];
    snprintf(path, sizeof(path), "%s/fixtures/xen-4.17/%s", sh, name);
    return tu_read_file(path, len);
}

static void test_messages_are_xls(void **state)
{
    (void)state;
    uint8_t mine[256];
    size_t n = reply_ok(mine);
    assert_int_equal(n, 128); /* 54 + 34 + 39 + 1 */
    size_t len;
    uint8_t *real = fixture("pv1-migrate.reply.bin", &len);
    if (!real) {
        printf("skipping the comparison with real xl: no ../shared/fixtures\n");
        return;
    }
    assert_int_equal(len, n);
    assert_memory_equal(real, mine, n);
    free(real);

    /* The sender's last bytes: the libxl END record, then GO. */
    uint8_t *tail = fixture("pv1-migrate.send.tail.bin", &len);
    assert_non_null(tail);
    size_t glen;
    const uint8_t *go = xsr_xlmig_bytes(XSR_XLMIG_GO, &glen);
    assert_true(len > glen);
    assert_memory_equal(tail + len - glen, go, glen);
    free(tail);
}

/* xsr's receiver, given what real xl's sender sends, answers exactly what
 * real xl's receiver answered. */
static void test_target_answers_as_xl(void **state)
{
    (void)state;
    uint8_t in_bytes[STREAM_LEN + 64], want[256];
    size_t in_len = sender_says(in_bytes), want_len = reply_ok(want);
    struct xsr_error err = {0};
    struct xsr_chan *in = xsr_chan_mem_reader(in_bytes, in_len, &err);
    struct xsr_chan *out = xsr_chan_mem_writer(&err);
    struct dst d = {0};
    struct xsr_migrate_target_ops ops = dst_ops(&d);
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    assert_int_equal(xsr_migrate_target(in, out, &ops, &res, &err), 0);
    assert_int_equal(res.outcome, XSR_MIGRATE_DONE);
    assert_int_equal(res.status, 0);
    assert_int_equal(res.received, in_len);
    size_t got;
    const uint8_t *o = xsr_chan_mem_data(out, &got);
    assert_int_equal(got, want_len);
    assert_memory_equal(o, want, want_len);
    assert_int_equal(d.built, 1);
    assert_int_equal(d.activated, 1);
    assert_int_equal(d.discarded, 0);
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

static void test_source_talks_as_xl(void **state)
{
    (void)state;
    uint8_t reply[256], want[STREAM_LEN + 64];
    size_t rlen = reply_ok(reply), want_len = sender_says(want);
    struct xsr_error err = {0};
    struct xsr_chan *in = xsr_chan_mem_reader(reply, rlen, &err);
    struct xsr_chan *out = xsr_chan_mem_writer(&err);
    struct src s = {0};
    struct xsr_migrate_source_ops ops = src_ops(&s);
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    assert_int_equal(xsr_migrate_source(in, out, &ops, &res, &err), 0);
    assert_int_equal(res.outcome, XSR_MIGRATE_DONE);
    size_t got;
    const uint8_t *o = xsr_chan_mem_data(out, &got);
    assert_int_equal(got, want_len);
    assert_memory_equal(o, want, want_len);
    assert_int_equal(s.destroyed, 1);
    assert_int_equal(s.resumed, 0);
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

/* The receiver's reply cut at every byte, or one byte of it changed: the
 * source resumes exactly when GO was not sent, destroys only after the
 * status byte 0, and otherwise keeps its copy paused (undefined). */
static void source_against(const uint8_t *reply, size_t len, size_t go_at, bool ok_at_full,
                           size_t full)
{
    struct xsr_error err = {0};
    struct xsr_chan *in = xsr_chan_mem_reader(reply, len, &err);
    struct xsr_chan *out = xsr_chan_mem_writer(&err);
    struct src s = {0};
    struct xsr_migrate_source_ops ops = src_ops(&s);
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    int rc = xsr_migrate_source(in, out, &ops, &res, &err);
    size_t sent;
    (void)xsr_chan_mem_data(out, &sent);
    bool go_sent = sent == STREAM_LEN + 44;
    if (len < go_at) {
        assert_true(rc < 0);
        assert_false(go_sent);
        assert_int_equal(res.outcome, XSR_MIGRATE_RESUMED);
        assert_int_equal(s.resumed, 1);
        assert_int_equal(s.destroyed, 0);
        assert_true(err.message[0] != '\0');
    } else if (len < full || !ok_at_full) {
        assert_true(rc < 0);
        assert_true(go_sent);
        assert_int_equal(s.destroyed, 0);
        assert_true(res.outcome == XSR_MIGRATE_UNDEFINED ||
                    (res.outcome == XSR_MIGRATE_RESUMED && s.resumed == 1));
        if (res.outcome == XSR_MIGRATE_UNDEFINED)
            assert_int_equal(s.resumed, 0);
    } else {
        assert_int_equal(rc, 0);
        assert_int_equal(res.outcome, XSR_MIGRATE_DONE);
        assert_int_equal(s.destroyed, 1);
        assert_int_equal(s.resumed, 0);
    }
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

static void test_source_cut_or_corrupted(void **state)
{
    (void)state;
    uint8_t reply[256];
    size_t full = reply_ok(reply);
    size_t go_at = 54 + 34; /* GO goes once the banner and READY arrived */
    unsigned cases = 0;
    for (size_t cut = 0; cut <= full; cut++, cases++)
        source_against(reply, cut, go_at, true, full);
    for (size_t at = 0; at < full; at++, cases++) {
        uint8_t bad[256];
        memcpy(bad, reply, full);
        bad[at] ^= 0x20;
        /* a corrupted byte before GO is a wrong message: as if cut there */
        source_against(bad, full, at < go_at ? full + 1 : go_at, false, full);
    }
    printf("%u cut or corrupted replies\n", cases);
}

/* A refused unpause: the status byte, then the permission, then the source
 * runs again; without the permission, the source keeps its copy paused. */
static void test_source_refused_unpause(void **state)
{
    (void)state;
    uint8_t reply[256];
    size_t n = reply_ok(reply), plen;
    reply[n - 1] = XSR_XLMIG_STATUS_FAIL;
    const uint8_t *perm = xsr_xlmig_bytes(XSR_XLMIG_PERMISSION, &plen);
    memcpy(reply + n, perm, plen);
    for (int with_perm = 0; with_perm < 2; with_perm++) {
        struct xsr_error err = {0};
        struct xsr_chan *in = xsr_chan_mem_reader(reply, n + (with_perm ? plen : 0), &err);
        struct xsr_chan *out = xsr_chan_mem_writer(&err);
        struct src s = {0};
        struct xsr_migrate_source_ops ops = src_ops(&s);
        struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
        assert_true(xsr_migrate_source(in, out, &ops, &res, &err) < 0);
        assert_int_equal(res.status, XSR_XLMIG_STATUS_FAIL);
        assert_int_equal(s.destroyed, 0);
        assert_int_equal(s.resumed, with_perm ? 1 : 0);
        assert_int_equal(res.outcome, with_perm ? XSR_MIGRATE_RESUMED : XSR_MIGRATE_UNDEFINED);
        assert_non_null(strstr(err.message, "unpause"));
        xsr_chan_close(in, NULL);
        xsr_chan_close(out, NULL);
    }
}

/* The sender's bytes cut at every byte or corrupted: the receiver keeps the
 * domain only when GO arrived whole, and discards it otherwise. */
static void test_target_cut_or_corrupted(void **state)
{
    (void)state;
    uint8_t in_bytes[STREAM_LEN + 64];
    size_t full = sender_says(in_bytes);
    unsigned cases = 0;
    for (int corrupt = 0; corrupt < 2; corrupt++) {
        for (size_t k = 0; k <= full; k++, cases++) {
            if (corrupt && k == full)
                break;
            uint8_t buf[STREAM_LEN + 64];
            memcpy(buf, in_bytes, full);
            size_t len = corrupt ? full : k;
            if (corrupt)
                buf[k] ^= 0x01;
            struct xsr_error err = {0};
            struct xsr_chan *in = xsr_chan_mem_reader(buf, len, &err);
            struct xsr_chan *out = xsr_chan_mem_writer(&err);
            struct dst d = {0};
            struct xsr_migrate_target_ops ops = dst_ops(&d);
            struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
            int rc = xsr_migrate_target(in, out, &ops, &res, &err);
            bool whole = !corrupt && k == full;
            if (whole) {
                assert_int_equal(rc, 0);
                assert_int_equal(d.activated, 1);
                assert_int_equal(d.discarded, 0);
            } else {
                assert_true(rc < 0);
                assert_int_equal(d.activated, 0);
                assert_int_equal(d.discarded, 1);
                assert_int_equal(res.outcome, XSR_MIGRATE_RESUMED);
                assert_true(err.message[0] != '\0');
            }
            xsr_chan_close(in, NULL);
            xsr_chan_close(out, NULL);
        }
    }
    printf("%u cut or corrupted sender streams\n", cases);
}

/* The target cannot run the domain: it reports so, discards it, and gives
 * the sender permission to resume — the bytes xl expects. */
static void test_target_refused_unpause(void **state)
{
    (void)state;
    uint8_t in_bytes[STREAM_LEN + 64];
    size_t in_len = sender_says(in_bytes);
    struct xsr_error err = {0};
    struct xsr_chan *in = xsr_chan_mem_reader(in_bytes, in_len, &err);
    struct xsr_chan *out = xsr_chan_mem_writer(&err);
    struct dst d = {.fail_activate = true};
    struct xsr_migrate_target_ops ops = dst_ops(&d);
    struct xsr_migrate_result res = XSR_MIGRATE_RESULT_INIT;
    assert_true(xsr_migrate_target(in, out, &ops, &res, &err) < 0);
    assert_non_null(strstr(err.message, "unpause refused"));
    assert_int_equal(res.outcome, XSR_MIGRATE_RESUMED);
    assert_int_equal(d.discarded, 1);
    uint8_t want[256];
    size_t n = reply_ok(want), plen;
    want[n - 1] = XSR_XLMIG_STATUS_FAIL;
    const uint8_t *perm = xsr_xlmig_bytes(XSR_XLMIG_PERMISSION, &plen);
    memcpy(want + n, perm, plen);
    size_t got;
    const uint8_t *o = xsr_chan_mem_data(out, &got);
    assert_int_equal(got, n + plen);
    assert_memory_equal(o, want, n + plen);
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
}

/* ------------------------------------ both sides, a connection cut anywhere */

struct peer {
    int fd;
    uint64_t cut; /* the side's writes fail after this many bytes */
    struct src s;
    struct dst d;
    struct xsr_migrate_result res;
    int rc;
    bool is_source;
};

static void *run_peer(void *arg)
{
    struct peer *p = arg;
    struct xsr_error err = {0};
    struct xsr_chan *in = xsr_chan_fd_reader(p->fd, false, &err);
    struct xsr_chan *out = xsr_chan_fd_writer(p->fd, false, &err);
    struct xsr_fault_spec f = { .size = sizeof(struct xsr_fault_spec), .fail_after = p->cut, .fail_errno = EPIPE};
    out = xsr_chan_fault(out, &f, &err);
    p->res = (struct xsr_migrate_result)XSR_MIGRATE_RESULT_INIT;
    if (p->is_source) {
        struct xsr_migrate_source_ops o = src_ops(&p->s);
        p->rc = xsr_migrate_source(in, out, &o, &p->res, &err);
    } else {
        struct xsr_migrate_target_ops o = dst_ops(&p->d);
        p->rc = xsr_migrate_target(in, out, &o, &p->res, &err);
    }
    /* a failed side hangs up, as a process that exits would */
    shutdown(p->fd, SHUT_RDWR);
    xsr_chan_close(in, NULL);
    xsr_chan_close(out, NULL);
    return NULL;
}

static void pair(uint64_t src_cut, uint64_t dst_cut, bool *done)
{
    int sv[2];
    assert_int_equal(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
    struct peer a = {.fd = sv[0], .cut = src_cut, .is_source = true};
    struct peer b = {.fd = sv[1], .cut = dst_cut};
    pthread_t ta, tb;
    assert_int_equal(pthread_create(&ta, NULL, run_peer, &a), 0);
    assert_int_equal(pthread_create(&tb, NULL, run_peer, &b), 0);
    pthread_join(ta, NULL);
    pthread_join(tb, NULL);
    close(sv[0]);
    close(sv[1]);

    /* Where is the guest?  The source's copy exists unless destroyed, and
     * runs if it was never paused for good or resumed; the target's exists
     * if activated and not discarded. */
    bool src_exists = a.s.destroyed == 0;
    bool src_runs = src_exists && a.res.outcome == XSR_MIGRATE_RESUMED;
    bool dst_runs = b.d.activated == 1 && b.d.discarded == 0;
    assert_true(src_exists || dst_runs);  /* never zero times */
    assert_false(src_runs && dst_runs);   /* never twice */
    assert_true(a.s.destroyed <= 1 && a.s.resumed <= 1);
    if (a.res.outcome == XSR_MIGRATE_DONE) {
        assert_true(dst_runs);
        assert_int_equal(a.rc, 0);
    }
    if (!dst_runs)
        assert_true(a.res.outcome == XSR_MIGRATE_RESUMED ||
                    a.res.outcome == XSR_MIGRATE_UNDEFINED);
    *done = a.res.outcome == XSR_MIGRATE_DONE;
}

static void test_pair_cut_anywhere(void **state)
{
    (void)state;
    bool done;
    pair(UINT64_MAX, UINT64_MAX, &done);
    assert_true(done);
    unsigned cases = 0, completed = 0;
    for (uint64_t cut = 0; cut <= STREAM_LEN + 44; cut += cut < 40 || cut > STREAM_LEN - 8 ? 1 : 97) {
        pair(cut, UINT64_MAX, &done);
        completed += done;
        cases++;
    }
    for (uint64_t cut = 0; cut <= 128; cut++) {
        pair(UINT64_MAX, cut, &done);
        completed += done;
        cases++;
    }
    printf("%u cut connections, %u completed anyway\n", cases, completed);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_messages_are_xls),
        cmocka_unit_test(test_target_answers_as_xl),
        cmocka_unit_test(test_source_talks_as_xl),
        cmocka_unit_test(test_source_cut_or_corrupted),
        cmocka_unit_test(test_source_refused_unpause),
        cmocka_unit_test(test_target_cut_or_corrupted),
        cmocka_unit_test(test_target_refused_unpause),
        cmocka_unit_test(test_pair_cut_anywhere),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
