/* SPDX-License-Identifier: MIT */
#include "refrun.h"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

const char *ref_tools_dir(char *why, size_t why_len)
{
    static char path[4096];
    const char *dir = getenv("XSR_XEN_TOOLS");
    if (!dir || !*dir) {
        snprintf(why, why_len, "XSR_XEN_TOOLS is not set (scripts/test sets it up with "
                               "../shared/tools/xen-reference-tools)");
        return NULL;
    }
    snprintf(path, sizeof(path), "%s/verify-stream-v2", dir);
    if (access(path, X_OK) != 0) {
        snprintf(why, why_len, "%s is not an executable", path);
        return NULL;
    }
    return dir;
}

static pid_t start(const char *tools, struct ref_job *j)
{
    char prog[4096];
    snprintf(prog, sizeof(prog), "%s/verify-stream-v2", tools);
    char *argv[] = {prog, "-f", (char *)j->format, "-i", (char *)j->path, NULL};
    posix_spawn_file_actions_t fa;
    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, j->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    pid_t pid;
    int rc = posix_spawn(&pid, prog, &fa, NULL, argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    return rc == 0 ? pid : -1;
}

int ref_run_all(const char *tools, struct ref_job *jobs, size_t n, unsigned parallel)
{
    pid_t *pids = calloc(parallel, sizeof(*pids));
    size_t *which = calloc(parallel, sizeof(*which));
    size_t next = 0, running = 0;
    int rc = 0;

    if (!pids || !which) {
        free(pids);
        free(which);
        return -1;
    }
    while (next < n || running > 0) {
        for (unsigned s = 0; s < parallel && next < n && rc == 0; s++) {
            if (pids[s])
                continue;
            pids[s] = start(tools, &jobs[next]);
            if (pids[s] < 0) {
                pids[s] = 0;
                rc = -1;
                break;
            }
            which[s] = next++;
            running++;
        }
        if (running == 0)
            break;
        int status;
        pid_t done = waitpid(-1, &status, 0);
        if (done < 0)
            break;
        for (unsigned s = 0; s < parallel; s++) {
            if (pids[s] == done) {
                jobs[which[s]].status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
                pids[s] = 0;
                running--;
            }
        }
    }
    free(pids);
    free(which);
    return rc;
}
