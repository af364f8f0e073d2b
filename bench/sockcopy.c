/* SPDX-License-Identifier: MIT */
/*
 * The baseline of bench/migrate.sh: BYTES copied over loopback TCP by a
 * plain sender and receiver (another thread), with the socket buffers xsr's
 * transport asks for and 1 MiB writes and reads, no processing either side.
 * Prints the seconds from connect to the receiver's end of file.
 *
 *   xsr-bench-sockcopy BYTES
 *   xsr-bench-sockcopy --pages SRC DST [BYTES]
 *
 * With --pages, the bytes are the 4 KiB pages of file SRC, sent from a fresh
 * shared mapping of it in a shuffled order (as a saver reads a guest's
 * frames, whose machine addresses are not in pfn order) and written into a
 * fresh mapping of DST (made as large) in the same order: the cost of
 * touching guest memory on both sides, which no migration can avoid.
 * BYTES: only that many bytes of pages (the size of a stream that leaves
 * zero pages out), the rest of DST untouched.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)
#define PAGE 4096u
#define BATCH 1024u /* pages per writev, as a PAGE_DATA record */

struct pages {
    uint8_t *src, *dst;   /* NULL: the plain copy */
    uint64_t *order;      /* page numbers in sending order */
    size_t n;             /* pages sent: the first n of order */
};
static struct pages pg;
#define SOCK_BUF (4 << 20) /* xsr_net_opts' default */

static void bufs(int fd)
{
    int v = SOCK_BUF;
    (void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, sizeof(v));
    (void)setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, sizeof(v));
}

static void *drain(void *arg)
{
    int lfd = *(int *)arg;
    int fd = accept(lfd, NULL, NULL);
    static char buf[CHUNK];
    unsigned long long *got = calloc(1, sizeof(*got));
    if (fd < 0 || !got)
        return got;
    bufs(fd);
    if (pg.dst) { /* each page into its place in the destination */
        for (size_t i = 0; i < pg.n; i++) {
            uint8_t *d = pg.dst + pg.order[i] * PAGE;
            size_t have = 0;
            while (have < PAGE) {
                ssize_t r = read(fd, d + have, PAGE - have);
                if (r < 0 && errno == EINTR)
                    continue;
                if (r <= 0)
                    goto out;
                have += (size_t)r;
            }
            *got += PAGE;
        }
        goto out;
    }
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        *got += (unsigned long long)r;
    }
out:
    close(fd);
    return got;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

/* --pages: map SRC and a new DST of its size, shuffle the page order.
 * Returns the bytes to send, 0 on failure (said on stderr). */
static unsigned long long map_pages(const char *src, const char *dst)
{
    struct stat st;
    int in = open(src, O_RDONLY), out = open(dst, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (in < 0 || out < 0 || fstat(in, &st) < 0 || st.st_size < (off_t)PAGE ||
        ftruncate(out, st.st_size) < 0) {
        perror("xsr-bench-sockcopy: --pages");
        return 0;
    }
    pg.n = (size_t)st.st_size / PAGE;
    pg.src = mmap(NULL, pg.n * PAGE, PROT_READ, MAP_SHARED, in, 0);
    pg.dst = mmap(NULL, pg.n * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, out, 0);
    pg.order = malloc(pg.n * sizeof(*pg.order));
    if (pg.src == MAP_FAILED || pg.dst == MAP_FAILED || !pg.order) {
        perror("xsr-bench-sockcopy: --pages");
        return 0;
    }
    uint64_t x = 0x9e3779b97f4a7c15ull; /* Fisher-Yates with xorshift64 */
    for (size_t i = 0; i < pg.n; i++)
        pg.order[i] = i;
    for (size_t i = pg.n - 1; i > 0; i--) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        size_t j = (size_t)(x % (i + 1)), t = pg.order[i];
        pg.order[i] = pg.order[j];
        pg.order[j] = t;
    }
    close(in);
    close(out);
    return (unsigned long long)pg.n * PAGE;
}

/* --pages: the pages in their order, BATCH to a writev. */
static int send_pages(int fd)
{
    static struct iovec iov[BATCH];
    for (size_t i = 0; i < pg.n;) {
        int k = 0;
        for (; k < (int)BATCH && i + (size_t)k < pg.n; k++)
            iov[k] = (struct iovec){ pg.src + pg.order[i + (size_t)k] * PAGE, PAGE };
        i += (size_t)k;
        struct iovec *v = iov;
        while (k) {
            ssize_t w = writev(fd, v, k);
            if (w < 0 && errno == EINTR)
                continue;
            if (w <= 0)
                return -1;
            for (; k && (size_t)w >= v->iov_len; v++, k--)
                w -= (ssize_t)v->iov_len;
            if (k) {
                v->iov_base = (uint8_t *)v->iov_base + w;
                v->iov_len -= (size_t)w;
            }
        }
    }
    return 0;
}

int main(int argc, char **argv)
{
    char *end = "";
    unsigned long long n = 0;
    if ((argc == 4 || argc == 5) && strcmp(argv[1], "--pages") == 0) {
        n = map_pages(argv[2], argv[3]);
        if (argc == 5 && n) {
            unsigned long long want = strtoull(argv[4], &end, 10) / PAGE * PAGE;
            if (want && want < n)
                n = want;
            pg.n = (size_t)(n / PAGE);
        }
    }
    else if (argc == 2)
        n = strtoull(argv[1], &end, 10);
    if (*end || n == 0) {
        fprintf(stderr, "usage: xsr-bench-sockcopy BYTES | --pages SRC DST\n");
        return 2;
    }
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t alen = sizeof(a);
    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    if (lfd < 0 || (bufs(lfd), bind(lfd, (struct sockaddr *)&a, sizeof(a))) < 0 ||
        listen(lfd, 1) < 0 || getsockname(lfd, (struct sockaddr *)&a, &alen) < 0) {
        perror("xsr-bench-sockcopy: listen");
        return 1;
    }
    pthread_t th;
    if (pthread_create(&th, NULL, drain, &lfd) != 0) {
        fprintf(stderr, "xsr-bench-sockcopy: no thread\n");
        return 1;
    }
    static char buf[CHUNK];
    memset(buf, 0x5a, sizeof(buf));
    double t0 = now();
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0 || (bufs(fd), connect(fd, (struct sockaddr *)&a, sizeof(a))) < 0) {
        perror("xsr-bench-sockcopy: connect");
        return 1;
    }
    if (pg.src && send_pages(fd) < 0) {
        perror("xsr-bench-sockcopy: writev");
        return 1;
    }
    for (unsigned long long left = pg.src ? 0 : n; left;) {
        ssize_t w = write(fd, buf, left < CHUNK ? (size_t)left : CHUNK);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            perror("xsr-bench-sockcopy: write");
            return 1;
        }
        left -= (unsigned long long)w;
    }
    shutdown(fd, SHUT_WR);
    unsigned long long *got = NULL;
    pthread_join(th, (void **)&got);
    double t = now() - t0;
    close(fd);
    close(lfd);
    if (!got || *got != n) {
        fprintf(stderr, "xsr-bench-sockcopy: %llu of %llu bytes arrived\n", got ? *got : 0, n);
        return 1;
    }
    free(got);
    printf("%.3f\n", t);
    return 0;
}
