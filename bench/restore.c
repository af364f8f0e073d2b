/* SPDX-License-Identifier: MIT */
/*
 * Benchmark (not a test): xsr_restore of a stream read from a file in the
 * page cache into a new sim domain, against memcpy of the same bytes into
 * fresh memory, in the same run, alternating.  Goal: restore >= 0.7x.
 *
 * Usage: bench-restore STREAM SIMDIR [RUNS]
 *   STREAM  a save image (e.g. `xsr generate --wrap libxc --size 1G`)
 *   SIMDIR  where the sim file goes (a memory file system: /dev/shm)
 * Prints the best, median and worst times of each, the ratio of the best,
 * and the peak RSS of the process.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <xsr/xsr.h>

static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

int main(int argc, char **argv)
{
    if (argc < 3) {
        fprintf(stderr, "usage: %s STREAM SIMDIR [RUNS]\n", argv[0]);
        return 2;
    }
    int runs = argc > 3 ? atoi(argv[3]) : 5;
    if (runs < 1 || runs > 50)
        runs = 5;
    int fd = open(argv[1], O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        perror(argv[1]);
        return 1;
    }
    size_t len = (size_t)st.st_size;
    const uint8_t *in = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
    if (in == MAP_FAILED) {
        perror("mmap");
        return 1;
    }
    volatile uint8_t sum = 0;
    for (size_t i = 0; i < len; i += 4096)
        sum ^= in[i]; /* in the page cache and mapped for both */
    char sim[512];
    snprintf(sim, sizeof sim, "%s/bench-restore.sim", argv[2]);
    double *tm = calloc((size_t)runs, sizeof(double)), *tr = calloc((size_t)runs, sizeof(double));
    struct xsr_restore_result res = XSR_RESTORE_RESULT_INIT;
    for (int r = 0; r < runs; r++) {
        /* memcpy into memory the process has not touched yet, as the new
         * domain's frames are */
        double t0 = now();
        uint8_t *dst = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (dst == MAP_FAILED) {
            perror("mmap");
            return 1;
        }
        memcpy(dst, in, len);
        sum ^= dst[len / 2];
        munmap(dst, len);
        tm[r] = now() - t0;

        struct xsr_error err;
        struct xsr_domain_factory f;
        t0 = now();
        struct xsr_chan *ch = xsr_chan_open_read(argv[1], 0, &err);
        if (!ch || xsr_sim_factory(sim, &f, &err) < 0 || xsr_restore(ch, &f, NULL, &res, NULL, &err) < 0) {
            fprintf(stderr, "restore: %s\n", err.message);
            return 1;
        }
        tr[r] = now() - t0;
        f.release(&f);
        xsr_chan_close(ch, NULL);
        unlink(sim);
    }
    qsort(tm, (size_t)runs, sizeof(double), cmp);
    qsort(tr, (size_t)runs, sizeof(double), cmp);
    double mib = (double)len / 1048576.0;
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("stream: %zu bytes, %llu pages, %d runs each (best median worst, seconds)\n", len,
           (unsigned long long)res.pages, runs);
    printf("memcpy   %.3f %.3f %.3f  %.0f MiB/s\n", tm[0], tm[runs / 2], tm[runs - 1], mib / tm[0]);
    printf("restore  %.3f %.3f %.3f  %.0f MiB/s\n", tr[0], tr[runs / 2], tr[runs - 1], mib / tr[0]);
    printf("ratio restore/memcpy (best): %.2fx (goal >= 0.70x)\n", tm[0] / tr[0]);
    printf("peak RSS: %ld MiB (the input's mapping and the sim file's pages included)\n",
           ru.ru_maxrss / 1024);
    free(tm);
    free(tr);
    (void)sum;
    return 0;
}
