/* SPDX-License-Identifier: MIT */
/* xsr demo's steps over a simulated guest (demo_live.c). */
#ifndef XSR_DEMO_H
#define XSR_DEMO_H

/* Create a guest in dir, save it live, restore it and compare, printing
 * steps numbered from step; 0 or -1 (reported). */
int demo_live(const char *prog, const char *dir, unsigned step);

#endif
