/* SPDX-License-Identifier: MIT */
#include "restore_util.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static char dir[64];

int ru_setup(void **state)
{
    (void)state;
    struct stat st;
    strcpy(dir, stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) ? "/dev/shm/xsr-restore-XXXXXX"
                                                                  : "/tmp/xsr-restore-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

int ru_teardown(void **state)
{
    (void)state;
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd) == 0 ? 0 : -1;
}

const char *ru_path(const char *name)
{
    static char p[4][160];
    static unsigned i;
    char *r = p[i++ % 4];
    snprintf(r, 160, "%s/%s", dir, name);
    return r;
}

int ru_restore_chan(struct xsr_chan *ch, const char *path, const struct xsr_restore_opts *o,
                    struct xsr_restore_result *res, struct xsr_domain **d, struct xsr_error *err)
{
    struct xsr_domain_factory f;
    int rc = xsr_sim_factory(path, &f, err);
    if (rc == 0) {
        rc = xsr_restore(ch, &f, o, res, d, err);
        f.release(&f);
    }
    xsr_chan_close(ch, NULL);
    return rc;
}

int ru_restore(const uint8_t *buf, size_t len, const char *path, const struct xsr_restore_opts *o,
               struct xsr_restore_result *res, struct xsr_domain **d, struct xsr_error *err)
{
    struct xsr_chan *ch = xsr_chan_mem_reader(buf, len, err);
    if (!ch)
        return err->code;
    return ru_restore_chan(ch, path, o, res, d, err);
}

uint64_t ru_check_tables(struct xsr_domain *d)
{
    struct xsr_error err;
    uint64_t unmapped = 1;
    if (xsr_sim_check_tables(d, &unmapped, &err))
        fail_msg("page tables: %s", err.message);
    return unmapped;
}

bool ru_page(struct xsr_domain *d, uint64_t pfn, uint8_t *out)
{
    void *p = NULL, *h = NULL;
    int e = 0;
    struct xsr_error err;
    assert_int_equal(d->ops->map_frames(d, XSR_MAP_READ, &pfn, 1, &p, &e, &h, &err), 0);
    if (p)
        memcpy(out, p, XSR_PAGE_SIZE);
    d->ops->unmap_frames(d, h);
    return p != NULL;
}
