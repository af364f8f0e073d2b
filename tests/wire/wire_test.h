/* SPDX-License-Identifier: MIT */
/* Helpers for the wire layer's unit tests. */
#ifndef XSR_WIRE_TEST_H
#define XSR_WIRE_TEST_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include <xsr/wire.h>

#define NELEM(a) (sizeof(a) / sizeof((a)[0]))
#define LE XSR_LITTLE_ENDIAN
#define BE XSR_BIG_ENDIAN

/* Compare n bytes, naming the first differing offset on failure. */
static inline void check_bytes_at(const uint8_t *got, const uint8_t *want, size_t n,
                                  const char *file, int line)
{
    for (size_t i = 0; i < n; i++) {
        if (got[i] != want[i]) {
            print_error("%s:%d: byte %zu is %02x, expected %02x\n", file, line, i, got[i],
                        want[i]);
            _fail(file, line);
        }
    }
}
#define check_bytes(got, want, n) check_bytes_at((got), (want), (n), __FILE__, __LINE__)

/* Assert a call failed with code and a message containing each substring. */
static inline void check_error_at(int rc, const struct xsr_error *e, int code, const char *sub,
                                  const char *file, int line)
{
    if (rc != code || e->code != code) {
        print_error("%s:%d: rc %d, err.code %d, expected %d (%s)\n", file, line, rc, e->code,
                    code, e->message);
        _fail(file, line);
    }
    if (sub && !strstr(e->message, sub)) {
        print_error("%s:%d: message \"%s\" lacks \"%s\"\n", file, line, e->message, sub);
        _fail(file, line);
    }
}
#define check_error(rc, e, code, sub) check_error_at((rc), (e), (code), (sub), __FILE__, __LINE__)

#endif
