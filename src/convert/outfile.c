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
#include <sys/stat.h>
#include <unistd.h>

#include <xsr/convert.h>

struct xsr_outfile {
    struct xsr_chan *ch;
    int fd;            /* the temporary file, -1 for stdout */
    char *path;
    char *tmp;
};

static void free_outfile(struct xsr_outfile *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

struct xsr_outfile *xsr_outfile_open(const char *path, struct xsr_error *err)
{
    struct xsr_outfile *f;
    const char *slash, *base;
    size_t dirlen;
    mode_t mask;

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
    f->fd = mkostemp(f->tmp, O_CLOEXEC);
    if (f->fd < 0) {
        xsr_error_sys(err, errno, "cannot create a temporary file next to '%s'", path);
        free_outfile(f);
        return NULL;
    }
    /* mkstemp makes it 0600: give it the mode a new file would get. */
    mask = umask(0);
    umask(mask);
    if (fchmod(f->fd, 0666 & ~mask) < 0) {
        xsr_error_sys(err, errno, "cannot set the mode of '%s'", f->tmp);
        goto fail;
    }
    f->ch = xsr_chan_fd_writer(f->fd, false, err);
    if (!f->ch)
        goto fail;
    return f;
fail:
    close(f->fd);
    unlink(f->tmp);
    free_outfile(f);
    return NULL;
}

struct xsr_chan *xsr_outfile_chan(struct xsr_outfile *f)
{
    return f ? f->ch : NULL;
}

const char *xsr_outfile_temp_path(const struct xsr_outfile *f)
{
    return f ? f->tmp : NULL;
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
    if (rc == 0 && fsync(f->fd) < 0)
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
