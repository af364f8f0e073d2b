/* SPDX-License-Identifier: MIT */
/*
 * The writing side of xsr_extract's copy from the input file: buffers the
 * caller filled are written, in the order they were queued, by a thread of
 * their own, so that reading the next buffer and writing this one use both
 * CPUs.  One writer keeps the order of the writes: the last copy of a frame
 * still lands last.  Without a second CPU (or if the thread cannot be
 * started) every buffer is written at once by the caller.
 */
#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdlib.h>
#include <unistd.h>

#include "extract_int.h"

/* Buffers in flight: one being read, one being written, and slack so that
 * neither side waits for the other on every buffer (measured: 2 were slower
 * than 4, 8 no faster). */
#define NSLOT 4u

struct slot {
    uint8_t *buf;
    uint64_t off;
    size_t len;
};

struct xsri_copier {
    int fd;
    bool threaded;        /* the writer thread is running */
    bool want_thread;     /* start it at the first buffer */
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t work;  /* writer: something queued, or stop */
    pthread_cond_t space; /* caller: a buffer was written */
    /* under mu */
    uint64_t queued;      /* buffers queued so far */
    uint64_t written;     /* of those, written (or dropped after an error) */
    bool stop;
    int rc;               /* first write error, sticky */
    struct xsr_error err;
    struct slot slot[NSLOT];
};

int xsri_write_all(int fd, const uint8_t *p, size_t n, uint64_t off, struct xsr_error *err)
{
    while (n) {
        ssize_t w = pwrite(fd, p, n, (off_t)off);
        if (w < 0) {
            if (errno == EINTR)
                continue;
            return xsr_error_sys(err, errno, "writing %zu bytes of guest memory at output offset %#"
                                 PRIx64 " failed", n, off);
        }
        if (w == 0)
            return xsr_error_sys(err, EIO, "writing guest memory at output offset %#" PRIx64
                                 " made no progress", off);
        p += w;
        n -= (size_t)w;
        off += (uint64_t)w;
    }
    return 0;
}

static void *writer_main(void *arg)
{
    struct xsri_copier *c = arg;
    struct xsr_error err;
    bool failed = false;

    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (c->written == c->queued && !c->stop)
            pthread_cond_wait(&c->work, &c->mu);
        if (c->written == c->queued)
            break; /* stopped, and everything queued is written */
        struct slot *sl = &c->slot[c->written % NSLOT];
        pthread_mutex_unlock(&c->mu);

        int rc = 0;
        if (!failed) { /* after an error, later buffers are dropped */
            xsr_error_clear(&err);
            rc = xsri_write_all(c->fd, sl->buf, sl->len, sl->off, &err);
        }

        pthread_mutex_lock(&c->mu);
        if (rc < 0) {
            failed = true;
            c->rc = rc;
            c->err = err;
        }
        c->written++;
        pthread_cond_signal(&c->space);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* A second CPU to write on? */
static bool have_two_cpus(void)
{
    cpu_set_t set;
    if (sched_getaffinity(0, sizeof(set), &set) == 0)
        return CPU_COUNT(&set) > 1;
    return sysconf(_SC_NPROCESSORS_ONLN) > 1;
}

struct xsri_copier *xsri_copier_new(int fd)
{
    struct xsri_copier *c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->fd = fd;
    c->want_thread = have_two_cpus();
    unsigned n = c->want_thread ? NSLOT : 1;
    for (unsigned i = 0; i < n; i++) {
        void *p;
        if (posix_memalign(&p, XSR_PAGE_SIZE, XSRI_COPY_BUF_SIZE) != 0) {
            if (i == 0) {
                free(c);
                return NULL;
            }
            c->want_thread = false; /* one buffer is enough without the thread */
            break;
        }
        c->slot[i].buf = p;
    }
    return c;
}

/* Start the writer; if that fails, go on without it.  It blocks every
 * signal, so that they still reach the caller's threads only. */
static void start_thread(struct xsri_copier *c)
{
    sigset_t all, old;

    c->want_thread = false;
    if (pthread_mutex_init(&c->mu, NULL) != 0)
        return;
    if (pthread_cond_init(&c->work, NULL) != 0)
        goto no_work;
    if (pthread_cond_init(&c->space, NULL) != 0)
        goto no_space;
    sigfillset(&all);
    if (pthread_sigmask(SIG_SETMASK, &all, &old) != 0)
        goto no_thread;
    int rc = pthread_create(&c->thread, NULL, writer_main, c);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0)
        goto no_thread;
    c->threaded = true;
    return;
no_thread:
    pthread_cond_destroy(&c->space);
no_space:
    pthread_cond_destroy(&c->work);
no_work:
    pthread_mutex_destroy(&c->mu);
}

/* The first write error, if any, into err. Called with mu held. */
static int first_error(const struct xsri_copier *c, struct xsr_error *err)
{
    if (c->rc < 0 && err)
        *err = c->err;
    return c->rc;
}

int xsri_copier_get(struct xsri_copier *c, uint8_t **buf, struct xsr_error *err)
{
    if (c->want_thread)
        start_thread(c);
    if (!c->threaded) {
        *buf = c->slot[0].buf;
        return 0;
    }
    pthread_mutex_lock(&c->mu);
    while (c->queued - c->written == NSLOT && c->rc == 0)
        pthread_cond_wait(&c->space, &c->mu);
    int rc = first_error(c, err);
    pthread_mutex_unlock(&c->mu);
    *buf = c->slot[c->queued % NSLOT].buf; /* only the caller moves queued */
    return rc;
}

int xsri_copier_put(struct xsri_copier *c, size_t len, uint64_t off, struct xsr_error *err)
{
    if (!c->threaded)
        return xsri_write_all(c->fd, c->slot[0].buf, len, off, err);
    pthread_mutex_lock(&c->mu);
    struct slot *sl = &c->slot[c->queued % NSLOT];
    sl->len = len;
    sl->off = off;
    c->queued++;
    pthread_cond_signal(&c->work);
    pthread_mutex_unlock(&c->mu);
    return 0;
}

int xsri_copier_drain(struct xsri_copier *c, struct xsr_error *err)
{
    if (!c->threaded)
        return 0;
    pthread_mutex_lock(&c->mu);
    while (c->written != c->queued)
        pthread_cond_wait(&c->space, &c->mu);
    int rc = first_error(c, err);
    pthread_mutex_unlock(&c->mu);
    return rc;
}

void xsri_copier_free(struct xsri_copier *c)
{
    if (!c)
        return;
    if (c->threaded) {
        pthread_mutex_lock(&c->mu);
        c->stop = true;
        pthread_cond_signal(&c->work);
        pthread_mutex_unlock(&c->mu);
        pthread_join(c->thread, NULL);
        pthread_cond_destroy(&c->space);
        pthread_cond_destroy(&c->work);
        pthread_mutex_destroy(&c->mu);
    }
    for (unsigned i = 0; i < NSLOT; i++)
        free(c->slot[i].buf);
    free(c);
}
