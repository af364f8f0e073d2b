/* SPDX-License-Identifier: MIT */
/*
 * The fixed messages of xl's migration conversation (xl.h), byte for byte:
 * the sender compares each one exactly, so a different byte ends a real
 * xl's migration.
 */
#include <string.h>

#include <xsr/migrate.h>

static const struct {
    const char *name;
    const char *bytes;
    size_t len; /* with the NUL where xl sends one */
} msgs[] = {
    [XSR_XLMIG_BANNER] = {"receiver banner",
                          "xl migration receiver ready, send binary domain data.\n", 54},
    [XSR_XLMIG_READY] = {"\"ready to unpause\"", "domain received, ready to unpause", 34},
    [XSR_XLMIG_GO] = {"\"cleared to unpause\"", "domain is yours, you are cleared to unpause", 44},
    [XSR_XLMIG_REPORT] = {"unpause report", "my copy unpause results are as follows", 39},
    [XSR_XLMIG_PERMISSION] = {"permission to resume", "domain is yours, you are cleared to unpause",
                              44},
};

static bool known(enum xsr_xlmig_msg m)
{
    return (unsigned)m < sizeof(msgs) / sizeof(msgs[0]);
}

const uint8_t *xsr_xlmig_bytes(enum xsr_xlmig_msg m, size_t *len)
{
    if (!known(m)) {
        *len = 0;
        return NULL;
    }
    *len = msgs[m].len;
    return (const uint8_t *)msgs[m].bytes;
}

const char *xsr_xlmig_name(enum xsr_xlmig_msg m)
{
    return known(m) ? msgs[m].name : "unknown message";
}

int xsr_xlmig_send(struct xsr_chan *out, enum xsr_xlmig_msg m, struct xsr_error *err)
{
    if (!known(m))
        return xsr_error_set(err, XSR_EINVAL, "no such migration message (%d)", (int)m);
    int rc = xsr_chan_write(out, msgs[m].bytes, msgs[m].len, err);
    if (rc < 0)
        return rc;
    return 0;
}

/* What came instead, printable: at most 48 characters, the rest escaped. */
static void quote(const uint8_t *b, size_t n, char *out, size_t cap)
{
    static const char hex[] = "0123456789abcdef";
    size_t o = 0;
    for (size_t i = 0; i < n && i < 48 && o + 5 < cap; i++) {
        if (b[i] >= 0x20 && b[i] < 0x7f && b[i] != '\\') {
            out[o++] = (char)b[i];
        } else {
            out[o++] = '\\';
            out[o++] = 'x';
            out[o++] = hex[b[i] >> 4];
            out[o++] = hex[b[i] & 15];
        }
    }
    out[o] = '\0';
}

int xsr_xlmig_expect(struct xsr_chan *in, enum xsr_xlmig_msg m, struct xsr_error *err)
{
    if (!known(m))
        return xsr_error_set(err, XSR_EINVAL, "no such migration message (%d)", (int)m);
    uint8_t buf[64];
    size_t got = 0;
    uint64_t at = xsr_chan_offset(in);
    int rc = xsr_chan_read(in, buf, msgs[m].len, &got, err);
    if (rc == XSR_ETRUNC) {
        rc = xsr_error_set(err, XSR_ETRUNC,
                           "the peer closed the connection where its %s was due (%zu of %zu bytes came)",
                           msgs[m].name, got, msgs[m].len);
    } else if (rc >= 0 && memcmp(buf, msgs[m].bytes, msgs[m].len) != 0) {
        char q[256];
        quote(buf, msgs[m].len, q, sizeof(q));
        rc = xsr_error_set(err, XSR_EFORMAT, "expected the peer's %s, got \"%s\"", msgs[m].name, q);
    }
    if (rc < 0)
        xsr_error_locate(err, at, XSR_LAYER_NONE, XSR_NO_INDEX, 0);
    return rc < 0 ? rc : 0;
}
