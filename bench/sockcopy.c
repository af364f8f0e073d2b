/* SPDX-License-Identifier: MIT */
/*
 * The baseline of bench/migrate.sh: BYTES copied over loopback TCP by a
 * plain sender and receiver (another thread), with the socket buffers xsr's
 * transport asks for and 1 MiB writes and reads, no processing either side.
 * Prints the seconds from connect to the receiver's end of file.
 *
 *   xsr-bench-sockcopy BYTES
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (1u << 20)
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
    for (;;) {
        ssize_t r = read(fd, buf, sizeof(buf));
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            break;
        *got += (unsigned long long)r;
    }
    close(fd);
    return got;
}

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char *end;
    unsigned long long n = argc == 2 ? strtoull(argv[1], &end, 10) : 0;
    if (argc != 2 || *end || n == 0) {
        fprintf(stderr, "usage: xsr-bench-sockcopy BYTES\n");
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
    for (unsigned long long left = n; left;) {
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
