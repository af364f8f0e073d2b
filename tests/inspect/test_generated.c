/* SPDX-License-Identifier: MIT */
/*
 * Extraction of generated streams (PV 64/32-bit and HVM, plain, live with
 * re-sent pages, checkpointed, with a VERIFY pass, every record type, both
 * byte orders, every wrapping) compared byte for byte with the generator's
 * own idea of the final memory (xsr_gen_final_page).  The ELF cores are
 * read back with libelf (elfutils), readelf and gdb, and their segments
 * must hold exactly the raw extraction.
 */
#include <fcntl.h>
#include <gelf.h>
#include <libelf.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "testutil.h"

struct gcase {
    const char *name;
    uint32_t version, dom_type;
    unsigned width;
    enum xsr_layer wrap;
    enum xsr_byte_order order;
    uint64_t pages;
    unsigned vcpus, live, checkpoints;
    bool verify, all;
    unsigned open_flags; /* XSR_OPEN_NO_MMAP: the copying read path */
};

static const struct gcase cases[] = {
    { "pv64-plain", 4, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 300, 1, 0, 0, false, false, 0 },
    { "pv64-live-all", 4, XSR_DOM_X86_PV, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 700, 2, 3, 0, false, true, 0 },
    { "pv32-live-v3", 3, XSR_DOM_X86_PV, 4, XSR_LAYER_LIBXL, XSR_LITTLE_ENDIAN, 256, 1, 1, 0, false, true, 0 },
    { "pv64-verify", 3, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXC, XSR_LITTLE_ENDIAN, 256, 1, 1, 0, true, false, 0 },
    { "pv64-checkpoints", 4, XSR_DOM_X86_PV, 8, XSR_LAYER_LIBXL, XSR_LITTLE_ENDIAN, 256, 1, 0, 3, false, true, 0 },
    { "hvm-plain-v2-be", 2, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXC, XSR_BIG_ENDIAN, 256, 1, 0, 0, false, false, 0 },
    { "hvm-live-all", 4, XSR_DOM_X86_HVM, 8, XSR_LAYER_XL, XSR_LITTLE_ENDIAN, 1100, 3, 2, 0, false, true, 0 },
    { "hvm-checkpoints-fd", 3, XSR_DOM_X86_HVM, 8, XSR_LAYER_LIBXL, XSR_LITTLE_ENDIAN, 256, 2, 1, 2, false, true,
      XSR_OPEN_NO_MMAP },
};

static char dir[] = "/tmp/xsr-gen-XXXXXX";

static void opts_of(const struct gcase *c, struct xsr_gen_opts *o)
{
    xsr_gen_opts_init(o, c->version, c->dom_type);
    o->order = c->order;
    o->wrap = c->wrap;
    if (c->dom_type == XSR_DOM_X86_PV)
        o->guest_width = c->width;
    o->nr_pages = c->pages;
    o->nr_vcpus = c->vcpus;
    o->live_passes = c->live;
    o->checkpoints = c->checkpoints;
    o->verify_pass = c->verify;
    o->all_records = c->all;
    o->seed = 0x5eed0000u + c->pages;
}

static void path_of(char *buf, size_t n, const struct gcase *c, const char *ext)
{
    snprintf(buf, n, "%s/%s.%s", dir, c->name, ext);
}

static const uint8_t *map_file(const char *path, size_t *len)
{
    int fd = open(path, O_RDONLY);
    assert_true(fd >= 0);
    struct stat st;
    assert_int_equal(fstat(fd, &st), 0);
    *len = (size_t)st.st_size;
    void *m = *len ? mmap(NULL, *len, PROT_READ, MAP_PRIVATE, fd, 0) : NULL;
    assert_true(m != MAP_FAILED);
    close(fd);
    return m;
}

static int extract_opt(const struct gcase *c, enum xsr_extract_format fmt, const char *in_path,
                       const char *out_path, bool copy, struct xsr_extract_result *r)
{
    struct xsr_error err;
    struct xsr_extract_opts o = XSR_EXTRACT_OPTS_INIT;
    o.format = fmt;
    o.in_path = copy ? in_path : NULL;
    xsr_error_clear(&err);
    struct xsr_chan *in = xsr_chan_open_read(in_path, c->open_flags, &err);
    assert_non_null(in);
    int fd = open(out_path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    int rc = xsr_extract(in, fd, &o, r, &err);
    if (rc < 0)
        fprintf(stderr, "%s: %s\n", c->name, err.message);
    close(fd);
    xsr_chan_close(in, NULL);
    return rc;
}

static int extract(const struct gcase *c, enum xsr_extract_format fmt, const char *in_path,
                   const char *out_path, struct xsr_extract_result *r)
{
    return extract_opt(c, fmt, in_path, out_path, false, r);
}

/* The raw extraction equals the generator's final memory, frame by frame. */
static void check_raw(const struct gcase *c, const struct xsr_gen_opts *go, const char *raw,
                      const struct xsr_extract_result *r)
{
    size_t len;
    const uint8_t *mem = map_file(raw, &len);
    uint8_t want[XSR_PAGE_SIZE];
    static const uint8_t zero[XSR_PAGE_SIZE];
    uint64_t frames = len / XSR_PAGE_SIZE, present = 0, bad = 0;

    assert_int_equal(len, (r->max_pfn + 1) * XSR_PAGE_SIZE);
    assert_true(frames >= c->pages);
    for (uint64_t pfn = 0; pfn < frames; pfn++) {
        int has = xsr_gen_final_page(go, pfn, want);
        const uint8_t *got = mem + pfn * XSR_PAGE_SIZE;
        present += has == 1;
        if (memcmp(got, has == 1 ? want : zero, XSR_PAGE_SIZE) != 0 && bad++ < 5)
            fprintf(stderr, "%s: frame %#llx differs from the generator's (%s)\n", c->name,
                    (unsigned long long)pfn, has == 1 ? "data" : "absent");
    }
    assert_int_equal(bad, 0);
    assert_int_equal(r->frames_present, present);
    munmap((void *)mem, len);
}

/* The ELF core: libelf reads it, its PT_LOADs hold exactly the raw extraction,
 * and its notes hold one register set per vCPU matching the stream. */
static void check_elf(const struct gcase *c, const char *elf_path, const char *raw_path,
                      const struct xsr_extract_result *r)
{
    size_t rlen, elen;
    const uint8_t *raw = map_file(raw_path, &rlen);
    const uint8_t *core = map_file(elf_path, &elen);
    assert_int_equal(elen, r->out_size);

    assert_true(elf_version(EV_CURRENT) != EV_NONE);
    int fd = open(elf_path, O_RDONLY);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    assert_non_null(e);
    assert_int_equal(elf_kind(e), ELF_K_ELF);
    assert_int_equal(gelf_getclass(e), ELFCLASS64);
    GElf_Ehdr eh;
    assert_non_null(gelf_getehdr(e, &eh));
    assert_int_equal(eh.e_type, ET_CORE);
    assert_int_equal(eh.e_machine, EM_X86_64);
    size_t phnum;
    assert_int_equal(elf_getphdrnum(e, &phnum), 0);
    assert_int_equal(phnum, 1 + r->elf_loads);

    uint64_t loaded = 0, prev_end = 0, notes = 0;
    unsigned prstatus = 0;
    for (size_t i = 0; i < phnum; i++) {
        GElf_Phdr ph;
        assert_non_null(gelf_getphdr(e, (int)i, &ph));
        if (ph.p_type == PT_LOAD) {
            assert_int_equal(ph.p_paddr % XSR_PAGE_SIZE, 0);
            assert_int_equal(ph.p_vaddr, ph.p_paddr);
            assert_int_equal(ph.p_filesz, ph.p_memsz);
            assert_true(ph.p_paddr >= prev_end); /* sorted, disjoint */
            assert_true(ph.p_paddr + ph.p_filesz <= rlen);
            assert_true(ph.p_offset + ph.p_filesz <= elen);
            assert_memory_equal(core + ph.p_offset, raw + ph.p_paddr, ph.p_filesz);
            prev_end = ph.p_paddr + ph.p_filesz;
            loaded += ph.p_filesz;
        } else if (ph.p_type == PT_NOTE) {
            notes++;
            Elf_Data *d = elf_getdata_rawchunk(e, (int64_t)ph.p_offset, ph.p_filesz, ELF_T_NHDR);
            assert_non_null(d);
            size_t off = 0, name_off, desc_off;
            GElf_Nhdr nh;
            const uint8_t *last_pr = NULL;
            while ((off = gelf_getnote(d, off, &nh, &name_off, &desc_off)) > 0) {
                const char *name = (const char *)d->d_buf + name_off;
                const uint8_t *desc = (const uint8_t *)d->d_buf + desc_off;
                if (nh.n_type == NT_PRSTATUS && strcmp(name, "CORE") == 0) {
                    assert_int_equal(nh.n_descsz, 336);
                    prstatus++;
                    last_pr = desc;
                } else if (nh.n_type == 0x58535202u && strcmp(name, "XSR") == 0) {
                    /* the vCPU's raw context, decoded here independently */
                    assert_non_null(last_pr);
                    uint32_t src = xsr_ld32(desc + 4, XSR_LITTLE_ENDIAN);
                    enum xsr_byte_order o = xsr_ld32(desc + 8, XSR_LITTLE_ENDIAN) ? XSR_BIG_ENDIAN
                                                                                  : XSR_LITTLE_ENDIAN;
                    uint32_t clen = xsr_ld32(desc + 12, XSR_LITTLE_ENDIAN);
                    const uint8_t *ctx = desc + 56;
                    uint64_t rip, rsp;
                    if (src == 1) {
                        struct xsr_pv_vcpu_regs pr;
                        assert_int_equal(xsr_pv_vcpu_regs_decode(ctx, clen, c->width, o, &pr, NULL), 0);
                        rip = pr.rip;
                        rsp = pr.rsp;
                        assert_int_equal(xsr_ld64(last_pr + 112 + 12 * 8, XSR_LITTLE_ENDIAN), pr.rdx);
                        assert_int_equal(xsr_ld64(desc + 32, XSR_LITTLE_ENDIAN), pr.cr3);
                    } else {
                        assert_int_equal(src, 2);
                        rip = xsr_ld64(ctx + 640, o); /* hvm_hw_cpu.rip */
                        rsp = xsr_ld64(ctx + 512 + 7 * 8, o);
                    }
                    assert_int_equal(xsr_ld64(last_pr + 112 + 16 * 8, XSR_LITTLE_ENDIAN), rip);
                    assert_int_equal(xsr_ld64(last_pr + 112 + 19 * 8, XSR_LITTLE_ENDIAN), rsp);
                    assert_int_equal(xsr_ld32(last_pr + 32, XSR_LITTLE_ENDIAN),
                                     xsr_ld32(desc, XSR_LITTLE_ENDIAN) + 1);
                }
            }
        }
    }
    assert_int_equal(notes, 1);
    assert_int_equal(prstatus, c->vcpus);
    assert_int_equal(r->vcpus, c->vcpus);
    assert_int_equal(loaded, r->frames_present * XSR_PAGE_SIZE);
    elf_end(e);
    close(fd);
    munmap((void *)raw, rlen);
    munmap((void *)core, elen);
}

/* readelf (binutils) agrees on the type, the segments and the notes. */
static void check_readelf(const char *elf_path, const struct xsr_extract_result *r)
{
    char cmd[512], line[512];
    snprintf(cmd, sizeof(cmd), "readelf -W -h -l -n '%s' 2>&1", elf_path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned loads = 0, prstatus = 0, core = 0, warnings = 0;
    while (fgets(line, sizeof(line), p)) {
        core += strstr(line, "CORE (Core file)") != NULL;
        loads += strncmp(line, "  LOAD ", 7) == 0;
        prstatus += strstr(line, "NT_PRSTATUS") != NULL && strstr(line, "CORE") != NULL;
        warnings += strstr(line, "readelf: Warning") != NULL || strstr(line, "readelf: Error") != NULL;
    }
    int st = pclose(p);
    assert_int_equal(st, 0);
    assert_int_equal(core, 1);
    assert_int_equal(loads, r->elf_loads);
    assert_int_equal(prstatus, r->vcpus);
    assert_int_equal(warnings, 0);
}

static void run_case(const struct gcase *c, bool with_elf)
{
    struct xsr_gen_opts go;
    char in[256], raw[256], elf[256];
    size_t len;

    opts_of(c, &go);
    uint8_t *img = tu_generate(&go, &len);
    assert_non_null(img);
    path_of(in, sizeof(in), c, "img");
    path_of(raw, sizeof(raw), c, "raw");
    path_of(elf, sizeof(elf), c, "elf");
    assert_int_equal(tu_write_file(in, img, len), 0);
    free(img);

    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT, re = XSR_EXTRACT_RESULT_INIT;
    assert_int_equal(extract(c, XSR_EXTRACT_RAW, in, raw, &r), 0);
    assert_true(r.complete);
    assert_int_equal(r.dom_type, c->dom_type);
    if (c->live)
        assert_true(r.resent > 0);
    if (c->checkpoints)
        assert_int_equal(r.checkpoints, c->checkpoints);
    assert_int_equal(r.uncommitted, 0);
    if (c->verify) {
        assert_true(r.verify_pages >= r.frames_present);
        assert_int_equal(r.verify_mismatches, 0);
    } else {
        assert_int_equal(r.verify_pages, 0);
    }
    check_raw(c, &go, raw, &r);

    /* the same with runs of pages copied from the input file (in_path) */
    char raw2[256];
    struct xsr_extract_result r2 = XSR_EXTRACT_RESULT_INIT;
    path_of(raw2, sizeof(raw2), c, "raw2");
    assert_int_equal(extract_opt(c, XSR_EXTRACT_RAW, in, raw2, true, &r2), 0);
    assert_int_equal(r2.frames_present, r.frames_present);
    assert_int_equal(r2.verify_mismatches, 0);
    check_raw(c, &go, raw2, &r2);
    unlink(raw2);

    if (with_elf) {
        assert_int_equal(extract(c, XSR_EXTRACT_ELF, in, elf, &re), 0);
        assert_int_equal(re.frames_present, r.frames_present);
        check_elf(c, elf, raw, &re);
        check_readelf(elf, &re);
        unlink(elf);
    }
    unlink(in);
    unlink(raw);
}

static void test_all_cases(void **state)
{
    (void)state;
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i], true);
}

/* gdb, a Debian-packaged reader of cores, opens it: registers and memory. */
static void test_gdb(void **state)
{
    (void)state;
    if (access("/usr/bin/gdb", X_OK) != 0) {
        fprintf(stderr, "gdb is not installed: this check is skipped (scripts/install-deps adds it)\n");
        return;
    }
    const struct gcase *c = &cases[1];
    struct xsr_gen_opts go;
    char in[256], raw[256], elf[256], cmd[1024], line[512];
    size_t len;
    opts_of(c, &go);
    uint8_t *img = tu_generate(&go, &len);
    path_of(in, sizeof(in), c, "img");
    path_of(raw, sizeof(raw), c, "raw");
    path_of(elf, sizeof(elf), c, "elf");
    assert_int_equal(tu_write_file(in, img, len), 0);
    free(img);
    struct xsr_extract_result r = XSR_EXTRACT_RESULT_INIT;
    assert_int_equal(extract(c, XSR_EXTRACT_RAW, in, raw, &r), 0);
    assert_int_equal(extract(c, XSR_EXTRACT_ELF, in, elf, &r), 0);

    /* the first 8 bytes of the highest present frame, read through the core */
    size_t rlen;
    const uint8_t *mem = map_file(raw, &rlen);
    uint64_t pfn = r.max_pfn + 1, want = 0;
    while (pfn-- > 0 && xsr_all_zero(mem + pfn * XSR_PAGE_SIZE, XSR_PAGE_SIZE))
        ;
    want = xsr_ld64(mem + pfn * XSR_PAGE_SIZE, XSR_LITTLE_ENDIAN);
    munmap((void *)mem, rlen);

    snprintf(cmd, sizeof(cmd),
             "gdb -batch -nx -c '%s' -ex 'info threads' -ex 'printf \"RIP=%%lx\\n\", $rip' "
             "-ex 'printf \"MEM=%%lx\\n\", *(unsigned long *)0x%llx' 2>&1", elf,
             (unsigned long long)(pfn * XSR_PAGE_SIZE));
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    unsigned long long rip = 0, got = 0;
    unsigned threads = 0;
    bool have_rip = false, have_mem = false;
    while (fgets(line, sizeof(line), p)) {
        if (sscanf(line, "RIP=%llx", &rip) == 1)
            have_rip = true;
        if (sscanf(line, "MEM=%llx", &got) == 1)
            have_mem = true;
        threads += strstr(line, "Thread ") != NULL || strstr(line, "LWP ") != NULL;
    }
    pclose(p);
    assert_true(have_rip);
    assert_true(have_mem);
    assert_true(threads >= c->vcpus);
    assert_int_equal(got, want);

    /* rip of vCPU 0 as the stream has it */
    const uint8_t *core = map_file(elf, &rlen);
    GElf_Ehdr eh;
    int fd = open(elf, O_RDONLY);
    Elf *e = elf_begin(fd, ELF_C_READ, NULL);
    assert_non_null(gelf_getehdr(e, &eh));
    GElf_Phdr ph;
    assert_non_null(gelf_getphdr(e, 0, &ph));
    assert_int_equal(ph.p_type, PT_NOTE);
    const uint8_t *pr = core + ph.p_offset + 20; /* the first note: vCPU 0's NT_PRSTATUS */
    assert_int_equal(rip, xsr_ld64(pr + 112 + 16 * 8, XSR_LITTLE_ENDIAN));
    elf_end(e);
    close(fd);
    munmap((void *)core, rlen);
    unlink(in);
    unlink(raw);
    unlink(elf);
}

static int setup(void **state)
{
    (void)state;
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    return rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_all_cases),
        cmocka_unit_test(test_gdb),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
