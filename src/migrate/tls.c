/* SPDX-License-Identifier: MIT */
/*
 * TLS for a migration connection, with GnuTLS: both sides present a
 * certificate and each accepts only one that the configured CA signed, so
 * a receiver never reads a stream byte from a peer it has not authenticated.
 * The CA is the trust: any certificate it signed is a valid peer (a private
 * migration CA, as libvirt's and QEMU's TLS migration use).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "net_internal.h"

struct xsri_tls {
    gnutls_session_t s;
    gnutls_certificate_credentials_t cred;
};

static int tls_fail(struct xsr_error *err, int g, const char *what, const char *peer)
{
    return xsr_error_set(err, XSR_EIO, "TLS with %s: %s: %s", peer, what, gnutls_strerror(g));
}

static void free_tls(struct xsri_tls *t)
{
    if (!t)
        return;
    if (t->s)
        gnutls_deinit(t->s);
    if (t->cred)
        gnutls_certificate_free_credentials(t->cred);
    free(t);
}

/* Who the peer's certificate says it is, appended to c->peer. */
static void name_peer(struct xsr_conn *c, gnutls_session_t s)
{
    unsigned n = 0;
    const gnutls_datum_t *certs = gnutls_certificate_get_peers(s, &n);
    gnutls_x509_crt_t crt;
    if (!certs || n == 0 || gnutls_x509_crt_init(&crt) < 0)
        return;
    gnutls_datum_t dn = {0};
    if (gnutls_x509_crt_import(crt, &certs[0], GNUTLS_X509_FMT_DER) >= 0 &&
        gnutls_x509_crt_get_dn3(crt, &dn, 0) >= 0) {
        size_t used = strlen(c->peer);
        snprintf(c->peer + used, sizeof(c->peer) - used, " (%.*s)", (int)dn.size, dn.data);
        gnutls_free(dn.data);
    }
    gnutls_x509_crt_deinit(crt);
}

int xsri_tls_start(struct xsr_conn *c, bool server, const struct xsr_net_opts *o,
                   struct xsr_error *err)
{
    struct xsri_tls *t = calloc(1, sizeof(*t));
    if (!t)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory for TLS");
    int g = gnutls_certificate_allocate_credentials(&t->cred);
    if (g < 0)
        goto fail_what;
    g = gnutls_certificate_set_x509_trust_file(t->cred, o->tls_ca, GNUTLS_X509_FMT_PEM);
    if (g <= 0) {
        xsr_error_set(err, XSR_EINVAL, "no CA certificate could be read from %s%s%s", o->tls_ca,
                      g < 0 ? ": " : "", g < 0 ? gnutls_strerror(g) : "");
        free_tls(t);
        return XSR_EINVAL;
    }
    g = gnutls_certificate_set_x509_key_file(t->cred, o->tls_cert, o->tls_key,
                                             GNUTLS_X509_FMT_PEM);
    if (g < 0) {
        xsr_error_set(err, XSR_EINVAL, "cannot use certificate %s with key %s: %s", o->tls_cert,
                      o->tls_key, gnutls_strerror(g));
        free_tls(t);
        return XSR_EINVAL;
    }
    if ((g = gnutls_init(&t->s, (server ? GNUTLS_SERVER : GNUTLS_CLIENT) | GNUTLS_NO_SIGNAL)) < 0 ||
        (g = gnutls_set_default_priority(t->s)) < 0 ||
        (g = gnutls_credentials_set(t->s, GNUTLS_CRD_CERTIFICATE, t->cred)) < 0)
        goto fail_what;
    if (server)
        gnutls_certificate_server_set_request(t->s, GNUTLS_CERT_REQUIRE);
    /* verified during the handshake against the CA, no host name: the CA
     * decides who may migrate */
    gnutls_session_set_verify_cert(t->s, NULL, 0);
    gnutls_transport_set_int(t->s, c->in_fd);
    gnutls_handshake_set_timeout(t->s, c->timeout_ms);
    gnutls_record_set_timeout(t->s, c->timeout_ms);
    do
        g = gnutls_handshake(t->s);
    while (g < 0 && !gnutls_error_is_fatal(g));
    if (g < 0) {
        int rc = tls_fail(err, g, g == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR ||
                                          g == GNUTLS_E_CERTIFICATE_REQUIRED ||
                                          g == GNUTLS_E_NO_CERTIFICATE_FOUND
                                      ? "the peer's certificate is not accepted"
                                      : "handshake failed",
                          c->peer);
        free_tls(t);
        return rc;
    }
    name_peer(c, t->s);
    c->tls = t;
    return 0;

fail_what:
    tls_fail(err, g, "setting up", c->peer);
    free_tls(t);
    return XSR_EIO;
}

static ssize_t map_err(ssize_t r)
{
    if (r >= 0)
        return r;
    if (r == GNUTLS_E_PREMATURE_TERMINATION)
        return 0; /* the peer hung up: an end of input, which the caller judges */
    errno = r == GNUTLS_E_TIMEDOUT ? ETIMEDOUT : EPROTO;
    return -1;
}

ssize_t xsri_tls_read(struct xsri_tls *t, void *buf, size_t n)
{
    ssize_t r;
    do
        r = gnutls_record_recv(t->s, buf, n);
    while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
    return map_err(r);
}

ssize_t xsri_tls_writev(struct xsri_tls *t, const struct iovec *iov, int iovcnt)
{
    /* records of up to 16 KiB are cut from the iovecs; a short count is
     * fine, the channel writes the rest */
    ssize_t total = 0;
    for (int i = 0; i < iovcnt; i++) {
        const uint8_t *p = iov[i].iov_base;
        size_t left = iov[i].iov_len;
        while (left) {
            ssize_t r;
            do
                r = gnutls_record_send(t->s, p, left);
            while (r == GNUTLS_E_AGAIN || r == GNUTLS_E_INTERRUPTED);
            if (r < 0)
                return total ? total : map_err(r);
            p += r;
            left -= (size_t)r;
            total += r;
        }
    }
    return total;
}

void xsri_tls_close(struct xsri_tls *t)
{
    if (!t)
        return;
    (void)gnutls_bye(t->s, GNUTLS_SHUT_WR);
    free_tls(t);
}
