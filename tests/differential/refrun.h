/* SPDX-License-Identifier: MIT */
/* Runs Xen's reference verifier (verify-stream-v2) over many files, two at a
 * time (it is a Python script: each run costs a process start). */
#ifndef XSR_TEST_REFRUN_H
#define XSR_TEST_REFRUN_H

#include <stddef.h>

struct ref_job {
    const char *path;   /* stream file */
    const char *format; /* "libxc", "libxl" or "xl" */
    const char *log;    /* stdout+stderr go here */
    int status;         /* filled: exit status, or -1 if it died */
};

/* The reference tools' directory from $XSR_XEN_TOOLS, or NULL (with a reason
 * in why) if unset or without an executable verify-stream-v2. */
const char *ref_tools_dir(char *why, size_t why_len);

/* Run every job, at most `parallel` at once.  Returns 0, or -1 if a process
 * could not be started. */
int ref_run_all(const char *tools, struct ref_job *jobs, size_t n, unsigned parallel);

#endif
