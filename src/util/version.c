/* SPDX-License-Identifier: MIT */
#include <xsr/xsr.h>

#include "xsr_config.h"

const char *xsr_version(void)
{
    return XSR_VERSION_STRING;
}
