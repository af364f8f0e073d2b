/* SPDX-License-Identifier: MIT */
/* The rule catalogue (rules.def) and severities per mode. */
#include "check_internal.h"

#define ERR XSR_SEV_ERROR
#define WARN XSR_SEV_WARNING
#define NOTE XSR_SEV_NOTE
#define OFF XSR_SEV_NONE

static const struct xsr_rule_info catalogue[XSRI_RULE_COUNT] = {
#define RULE(name, id, strict, lenient, summary) [XSRI_R_##name] = { id, strict, summary, lenient },
#include "rules.def"
#undef RULE
};

const struct xsr_rule_info *xsr_rules(unsigned *count)
{
    if (count)
        *count = XSRI_RULE_COUNT;
    return catalogue;
}

const char *xsr_severity_name(enum xsr_severity s)
{
    switch (s) {
    case XSR_SEV_NOTE: return "note";
    case XSR_SEV_WARNING: return "warning";
    case XSR_SEV_ERROR: return "error";
    }
    return "unknown";
}

int xsri_rule_severity(enum xsri_rule r, bool lenient)
{
    return lenient ? catalogue[r].lenient_severity : (int)catalogue[r].severity;
}

const char *xsri_rule_id(enum xsri_rule r)
{
    return catalogue[r].id;
}
