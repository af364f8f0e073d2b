/* SPDX-License-Identifier: MIT */
/* Umbrella header for libxsr, the Xen save/restore stream library. */
#ifndef XSR_XSR_H
#define XSR_XSR_H

#include <xsr/error.h>
#include <xsr/progress.h>
#include <xsr/wire.h>
#include <xsr/domctx.h>
#include <xsr/io.h>
#include <xsr/stream.h>
#include <xsr/check.h>
#include <xsr/gen.h>
#include <xsr/inspect.h>
#include <xsr/convert.h>
#include <xsr/analyze.h>
#include <xsr/domain.h>
#include <xsr/sim.h>
#include <xsr/engine.h>
#include <xsr/migrate.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Library version, e.g. "0.1.0". */
const char *xsr_version(void);

#ifdef __cplusplus
}
#endif
#endif
