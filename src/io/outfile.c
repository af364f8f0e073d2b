/* SPDX-License-Identifier: MIT */
/*
 * An output file that never destroys what it replaces.  A regular file (or a
 * new name) is written as ".<name>.XXXXXX" in the same directory (so the
 * rename cannot cross file systems) and renamed over the name only when
 * complete.  A character device, FIFO or socket is written through: renaming
 * over one would replace the node itself (a root user's /dev/null, a FIFO a
 * reader waits on).  A symlink is followed, and the rule applies to what it
 * names, so the link stays a link.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <xsr/io.h>

#include "chan_internal.h"

#define TEMP_TRIES 100
#define MAX_LINKS 40 /* as the kernel's limit on nested symlinks */

struct xsr_outfile {
    struct xsr_chan *ch;
    int fd;            /* the temporary or the node written through */
    bool direct;       /* no temporary: "-", device, FIFO, socket */
    bool own_fd;       /* not standard output */
    char *path;        /* where the output lands (symlinks resolved) */
    char *tmp;         /* the temporary, NULL when direct */
    bool sync;         /* fsync before the rename */
};

static void free_outfile(struct xsr_outfile *f)
{
    free(f->path);
    free(f->tmp);
    free(f);
}

/*
 * The name a chain of symlinks ends at (the path itself if it is not one),
 * also when the last link dangles: creating that name must not replace the
 * link.  Malloc'd; NULL with errno set.
 */
static char *resolve_links(const char *path)
{
    char *cur = strdup(path);

    for (int n = 0; cur; n++) {
        struct stat st;
        if (lstat(cur, &st) < 0 || !S_ISLNK(st.st_mode))
            return cur;
        if (n == MAX_LINKS) {
            free(cur);
            errno = ELOOP;
            return NULL;
        }
        char target[PATH_MAX];
        ssize_t len = readlink(cur, target, sizeof(target) - 1);
        if (len < 0) {
            free(cur);
            return NULL;
        }
        target[len] = '\0';
        const char *slash = strrchr(cur, '/');
        size_t dirlen = target[0] == '/' || !slash ? 0 : (size_t)(slash + 1 - cur);
        char *next = malloc(dirlen + (size_t)len + 1);
        if (next) {
            memcpy(next, cur, dirlen);
            memcpy(next + dirlen, target, (size_t)len + 1);
        }
        free(cur);
        cur = next;
    }
    errno = ENOMEM;
    return NULL;
}

/*
 * Create f->tmp, whose last six characters are replaced, exclusively and
 * with mode 0666 so that the kernel applies the umask (and a default ACL)
 * as for any new file: mkstemp's 0600 would need a umask() call to undo,
 * which changes it for every thread of the process.  Read-write, so that a
 * writer at random offsets (extract) may read back what it wrote.
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
            r = ((uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec) ^
                ((uint64_t)getpid() << 40) ^ ((uint64_t)t * 0x9e3779b97f4a7c15ULL);
        }
        for (int i = 0; i < 6; i++, r /= sizeof(chars) - 1)
            x[i] = chars[r % (sizeof(chars) - 1)];
        int fd = open(f->tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
        if (fd >= 0 || errno != EEXIST)
            return fd;
    }
    return -1;
}

/* A listening Unix socket is written by connecting to it (open() cannot). */
static int connect_socket(const char *path)
{
    struct sockaddr_un a = { .sun_family = AF_UNIX };
    if (strlen(path) >= sizeof(a.sun_path)) {
        errno = ENAMETOOLONG;
        return -1;
    }
    strcpy(a.sun_path, path);
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd >= 0 && connect(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
        int e = errno;
        close(fd);
        errno = e;
        fd = -1;
    }
    return fd;
}

/* Write through f->path, which is a device, FIFO or socket (mode). */
static int open_direct(struct xsr_outfile *f, mode_t mode, struct xsr_error *err)
{
    int fd;

    if (S_ISSOCK(mode))
        fd = connect_socket(f->path);
    else
        do
            fd = open(f->path, O_WRONLY | O_CLOEXEC); /* never O_TRUNC, never O_CREAT */
        while (fd < 0 && errno == EINTR);
    if (fd < 0)
        return xsr_error_sys(err, errno, "cannot open %s for writing", f->path);
    struct stat st;
    if (fstat(fd, &st) < 0 || S_ISREG(st.st_mode)) {
        /* replaced by a regular file between the checks: take the safe way */
        close(fd);
        return 1;
    }
    f->fd = fd;
    f->direct = true;
    f->own_fd = true;
    return 0;
}

static int open_temp(struct xsr_outfile *f, const char *name, struct xsr_error *err)
{
    const char *slash = strrchr(f->path, '/');
    const char *base = slash ? slash + 1 : f->path;
    size_t dirlen = (size_t)(base - f->path);

    f->tmp = malloc(dirlen + strlen(base) + 9);
    if (!f->tmp)
        return xsr_error_set(err, XSR_ENOMEM, "out of memory");
    memcpy(f->tmp, f->path, dirlen);
    strcpy(f->tmp + dirlen, ".");
    strcat(f->tmp + dirlen, base);
    strcat(f->tmp + dirlen, ".XXXXXX");
    f->fd = create_temp(f);
    if (f->fd < 0)
        return xsr_error_sys(err, errno, "cannot create a temporary file next to %s", name);
    f->own_fd = true;
    return 0;
}

/* Pick the way path is written: 0, or an error. */
static int open_target(struct xsr_outfile *f, const char *path, struct xsr_error *err)
{
    struct stat st;

    f->path = resolve_links(path);
    if (!f->path)
        return errno == ENOMEM ? xsr_error_set(err, XSR_ENOMEM, "out of memory")
                               : xsr_error_sys(err, errno, "cannot follow the link %s", path);
    if (stat(f->path, &st) < 0) {
        if (errno != ENOENT)
            return xsr_error_sys(err, errno, "cannot examine %s", path);
        return open_temp(f, path, err);
    }
    if (S_ISDIR(st.st_mode))
        return xsr_error_sys(err, EISDIR, "cannot write %s", path);
    if (S_ISBLK(st.st_mode))
        return xsr_error_set(err, XSR_EINVAL, "%s is a block device; refusing to write an image onto it",
                             path);
    if (S_ISCHR(st.st_mode) || S_ISFIFO(st.st_mode) || S_ISSOCK(st.st_mode)) {
        int rc = open_direct(f, st.st_mode, err);
        if (rc <= 0)
            return rc;
    }
    return open_temp(f, path, err);
}

struct xsr_outfile *xsr_outfile_open(const char *path, struct xsr_error *err)
{
    struct xsr_outfile *f;

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
        f->fd = STDOUT_FILENO;
        f->direct = true;
        f->ch = xsri_chan_fd_new(STDOUT_FILENO, false, false, "standard output", err);
        if (!f->ch) {
            free_outfile(f);
            return NULL;
        }
        return f;
    }
    if (open_target(f, path, err) == 0)
        /* messages name the output as the caller gave it, not the temporary */
        f->ch = xsri_chan_fd_new(f->fd, false, false, path, err);
    if (!f->ch) {
        if (f->fd >= 0)
            close(f->fd);
        if (f->tmp && f->fd >= 0)
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

int xsr_outfile_fd(const struct xsr_outfile *f)
{
    return f ? f->fd : -1;
}

bool xsr_outfile_direct(const struct xsr_outfile *f)
{
    return f && f->direct;
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
    if (!f->own_fd) {
        free_outfile(f);
        return rc;
    }
    if (rc == 0 && f->sync && !f->direct && fsync(f->fd) < 0)
        rc = xsr_error_sys(err, errno, "cannot flush %s to disk", f->tmp);
    if (close(f->fd) < 0 && rc == 0)
        rc = xsr_error_sys(err, errno, "cannot close %s", f->direct ? f->path : f->tmp);
    if (!f->direct) {
        if (rc == 0 && rename(f->tmp, f->path) < 0)
            rc = xsr_error_sys(err, errno, "cannot rename %s to %s", f->tmp, f->path);
        if (rc < 0)
            unlink(f->tmp);
    }
    free_outfile(f);
    return rc;
}

void xsr_outfile_abort(struct xsr_outfile *f)
{
    if (!f)
        return;
    xsr_chan_close(f->ch, NULL);
    if (f->own_fd) {
        close(f->fd);
        if (!f->direct)
            unlink(f->tmp);
    }
    free_outfile(f);
}
