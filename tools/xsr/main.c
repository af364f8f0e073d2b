/* SPDX-License-Identifier: MIT */
#include <stdio.h>
#include <xsr/xsr.h>

int main(void)
{
    printf("xsr %s\n", xsr_version());
    return 0;
}
