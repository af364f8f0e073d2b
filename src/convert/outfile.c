/* SPDX-License-Identifier: MIT */
/*
 * An output file that appears under its name only when complete: written as
 * ".<name>.XXXXXX" in the same directory (so the rename cannot cross file
 * systems), flushed to disk, then renamed over the name.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xsr/convert.h>

#include "convert_internal.h"

#define TEMP_TRIES 100

struct xsr_outfile {
    struct xsr_chan *ch;
    int fd;            /* the temporary file, -1 for stdout */
    char *path;
    char *tmp;
    bool sync;         /* fsync before the rename */
};

static void free_outfile(struct xsr_outfile *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

/*
 * Create f->tmp, whose last six characters are replaced, exclusively and
 * with mode 0666 so that the kernel applies the umask (and a default ACL)
 * as for any new file: mkstemp's 0600 would need a umask() call to undo,
 * which changes it for every thread of the process.
 */
static int create_temp(struct xsr_outfile *f)
{
    static const char chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    char *x = f->tmp + strlen(f->tmp) - 6;

    for (unsigned t = 0; t < TEMP_TRIES; t++) {
        uint64_t r;
        if (getrandom(&r, sizeof(r), GRND_NONBLOCK) != (ssize_t)sizeof(r)) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            r = xsri_mix64((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec +
                           ((uint64_t)getpid() << 40) + t);
        }
        for (int i = 0; i < 6; i++, r /= sizeof(chars) - 1)
            x[i] = chars[r % (sizeof(chars) - 1)];
        int fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

struct xsr_outfile *xsr_outfile_open(const char *path, struct xsr_error *err)
{
    struct xsr_outfile *f;
    const char *slash, *base;
    size_t dirlen;

    if (!path || !*path) {
        xsr_error_set(err, XSR_EINVAL, "no output file name given");
        return NULL;
    }
    f = calloc(1, sizeof(*f));
    if (!f) {
        xsr_error_set(err, XSR_ENOMEM, "out of memory");
        return NULL;
    }
    f->fd = -1;
    if (strcmp(path, "-") == 0) {
        f->ch = xsr_chan_fd_writer(STDOUT_FILENO, false, err);
        if (!f->ch) {
            free_outfile(f);
            return NULL;
        }
        return f;
    }
    slash = strrchr(path, '/');
    base = slash ? slash + 1 : path;
    dirlen = (size_t)(base - path);
    f->path = strdup(path);
    f->tmp = malloc(dirlen + strlen(base) + 9);
    if (!f->path || !f->tmp) {
        free_outfile(f);
        xsr_error_set(err, XSR_ENOMEM, "out of memory");
        return NULL;
    }
    memcpy(f->tmp, path, dirlen);
    strcpy(f->tmp + dirlen, ".");
    strcat(f->tmp + dirlen, base);
    strcat(f->tmp + dirlen, ".XXXXXX");
    f->fd = create_temp(f);
    if (f->fd < 0) {
        xsr_error_sys(err, errno, "cannot create a temporary file next to '%s'", path);
        free_outfile(f);
        return NULL;
    }
    f->ch = xsr_chan_fd_writer(f->fd, false, err);
    if (!f->ch) {
        close(f->fd);
        unlink(f->tmp);
        free_outfile(f);
        return NULL;
    }
    return f;
}

struct xsr_chan *xsr_outfile_chan(struct xsr_outfile *f)
{
    return f ? f->ch : NULL;
}

const char *xsr_outfile_temp_path(const struct xsr_outfile *f)
{
    return f ? f->tmp : NULL;
}

void xsr_outfile_set_sync(struct xsr_outfile *f, bool sync)
{
    if (f)
        f->sync = sync;
}

int xsr_outfile_commit(struct xsr_outfile *f, struct xsr_error *err)
{
    int rc;

    if (!f)
        return xsr_error_set(err, XSR_EINVAL, "no output file");
    rc = xsr_chan_close(f->ch, err);
    f->ch = NULL;
    if (f->fd < 0) {
        free_outfile(f);
        return rc;
    }
    if (rc == 0 && f->sync && fsync(f->fd) < 0)
        rc = xsr_error_sys(err, errno, "cannot flush '%s' to disk", f->tmp);
    if (close(f->fd) < 0 && rc == 0)
        rc = xsr_error_sys(err, errno, "cannot close '%s'", f->tmp);
    if (rc == 0 && rename(f->tmp, f->path) < 0)
        rc = xsr_error_sys(err, errno, "cannot rename '%s' to '%s'", f->tmp, f->path);
    if (rc < 0)
        unlink(f->tmp);
    free_outfile(f);
    return rc;
}

void xsr_outfile_abort(struct xsr_outfile *f)
{
    if (!f)
        return;
    xsr_chan_close(f->ch, NULL);
    if (f->fd >= 0) {
        close(f->fd);
        unlink(f->tmp);
    }
    free_outfile(f);
}
