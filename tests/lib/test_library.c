/* SPDX-License-Identifier: MIT */
/*
 * libxsr.so as a program linking it sees it: public symbols carry the version
 * node XSR_1.0, internal ones (xsri_) and the test kit's are not there, and
 * xsr.pc lists only the libraries libxsr really uses.
 */
#include <dlfcn.h>
#include <stdbool.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

static void *open_lib(void)
{
    const char *path = getenv("XSR_LIBXSR_SO");
    if (!path)
        fail_msg("XSR_LIBXSR_SO is not set (run through meson test)");
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!h)
        fail_msg("dlopen %s: %s", path, dlerror());
    return h;
}

static void test_version_node(void **state)
{
    (void)state;
    void *h = open_lib();
    static const char *const names[] = { "xsr_version", "xsr_error_format", "xsr_walker_new",
                                         "xsr_builder_new", "xsr_gen_write" };
    for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
        if (!dlvsym(h, names[i], "XSR_1.0"))
            fail_msg("%s is not exported as %s@XSR_1.0", names[i], names[i]);
    }
    assert_null(dlvsym(h, "xsr_version", "XSR_0.0"));
    dlclose(h);
}

static void test_internal_symbols_hidden(void **state)
{
    (void)state;
    void *h = open_lib();
    assert_null(dlsym(h, "xsri_opts_load"));
    assert_null(dlsym(h, "xsri_stream_fail"));
    /* the test kit is not part of the library */
    assert_null(dlsym(h, "xsr_legacy_gen_write"));
    assert_null(dlsym(h, "xsr_legacy_gen_opts_init"));
    dlclose(h);
}

static char *read_pc(void)
{
    const char *path = getenv("XSR_PC");
    if (!path)
        fail_msg("XSR_PC is not set (run through meson test)");
    FILE *f = fopen(path, "r");
    if (!f)
        fail_msg("cannot open %s", path);
    static char buf[8192];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = 0;
    fclose(f);
    return buf;
}

/* xsr.pc lists a library exactly when libxsr.so needs it (a program
 * linking libxsr statically needs the same ones, and no more). */
static void test_pc_lists_what_libxsr_links(void **state)
{
    (void)state;
    const char *pc = read_pc();
    assert_non_null(strstr(pc, "Name: xsr"));
    char cmd[1024], needed[4096] = "";
    snprintf(cmd, sizeof(cmd), "readelf -d '%s'", getenv("XSR_LIBXSR_SO"));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    size_t n = fread(needed, 1, sizeof(needed) - 1, p);
    needed[n] = 0;
    assert_int_equal(pclose(p), 0);
    static const struct { const char *pc, *so; } libs[] = {
        {"json-c", "libjson-c.so"}, {"libxxhash", "libxxhash.so"},
        {"gnutls", "libgnutls.so"}, {"libzstd", "libzstd.so"},
        {"zlib", "libz.so"}, {"liblzma", "liblzma.so"},
    };
    for (size_t i = 0; i < sizeof(libs) / sizeof(libs[0]); i++) {
        bool in_pc = strstr(pc, libs[i].pc) != NULL, linked = strstr(needed, libs[i].so) != NULL;
        if (in_pc != linked)
            fail_msg("%s: xsr.pc %s it but libxsr.so %s it\n%s", libs[i].pc,
                     in_pc ? "lists" : "omits", linked ? "needs" : "does not need", pc);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_version_node),
        cmocka_unit_test(test_internal_symbols_hidden),
        cmocka_unit_test(test_pc_lists_what_libxsr_links),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
