/* SPDX-License-Identifier: MIT */
/*
 * Replays a fuzz target without libFuzzer: calls its LLVMFuzzerTestOneInput
 * with the empty input and with every file of the directories (or files)
 * named on the command line, in name order.  Built once per target of
 * fuzz/targets.txt, so every test run (the ASan/UBSan one included) replays
 * the checked-in corpus.  A target aborts on a broken invariant, which fails
 * the test; the last "replay" line names the input.
 *
 * Exit status: 0 all replayed, 1 a file could not be read or no input was
 * found (a target without corpus is a mistake).
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz_common.h"
#include "testutil.h"

static int replay_file(const char *path, unsigned *count)
{
    size_t len;
    uint8_t *buf = tu_read_file(path, &len);
    if (!buf) {
        fprintf(stderr, "cannot read %s\n", path);
        return -1;
    }
    /* Exactly sized copy: reading past the input is then caught by ASan. */
    uint8_t *exact = malloc(len ? len : 1);
    if (!exact) {
        free(buf);
        return -1;
    }
    memcpy(exact, buf, len);
    free(buf);
    printf("replay %s (%zu bytes)\n", path, len);
    fflush(stdout);
    LLVMFuzzerTestOneInput(exact, len);
    free(exact);
    (*count)++;
    return 0;
}

static int replay_dir(const char *dir, unsigned *count)
{
    struct dirent **names;
    int n = scandir(dir, &names, NULL, alphasort);
    if (n < 0) {
        perror(dir);
        return -1;
    }
    int rc = 0;
    for (int i = 0; i < n; i++) {
        char path[4096];
        struct stat st;
        snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name);
        if (names[i]->d_name[0] != '.' && rc == 0 && stat(path, &st) == 0 && S_ISREG(st.st_mode))
            rc = replay_file(path, count);
        free(names[i]);
    }
    free(names);
    return rc;
}

int main(int argc, char **argv)
{
    unsigned count = 0;
    if (argc < 2) {
        fprintf(stderr, "usage: %s CORPUS-DIR|FILE...\n", argv[0]);
        return 1;
    }
    static const uint8_t none[1];
    LLVMFuzzerTestOneInput(none, 0);
    for (int i = 1; i < argc; i++) {
        struct stat st;
        if (stat(argv[i], &st) != 0) {
            perror(argv[i]);
            return 1;
        }
        if ((S_ISDIR(st.st_mode) ? replay_dir(argv[i], &count) : replay_file(argv[i], &count)) < 0)
            return 1;
    }
    if (count == 0) {
        fprintf(stderr, "no corpus files in the arguments: every target needs seeds\n");
        return 1;
    }
    printf("%u inputs replayed\n", count);
    return 0;
}
