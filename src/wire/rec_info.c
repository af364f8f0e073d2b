/* SPDX-License-Identifier: MIT */
/* The record property table (records.def) and its accessors. */
#include <xsr/wire.h>

#define GUEST_ANY XSR_REC_GUEST_ANY
#define GUEST_PV XSR_REC_GUEST_PV
#define GUEST_HVM XSR_REC_GUEST_HVM
#define PLACE_ANY XSR_REC_PLACE_ANY
#define PLACE_STATIC XSR_REC_PLACE_STATIC
#define PLACE_MEMORY XSR_REC_PLACE_MEMORY
#define PLACE_STATE XSR_REC_PLACE_STATE
#define PLACE_VCPU XSR_REC_PLACE_VCPU
#define REPEAT_MANY XSR_REC_REPEAT_MANY
#define REPEAT_CKPT XSR_REC_REPEAT_CKPT
#define REPEAT_ONCE XSR_REC_REPEAT_ONCE
/* length rules as min, max, unit */
#define EMPTY 0, 0, 1
#define FIXED(n) (n), (n), 1
#define AT_LEAST(n) (n), XSR_REC_LENGTH_MAX, 1
#define UNITS(n) (n), XSR_REC_LENGTH_MAX - XSR_REC_LENGTH_MAX % (n), (n)
#define ANY 0, XSR_REC_LENGTH_MAX, 1
#define ROW(type, name, since, dep, guest, place, per_vcpu, repeat, ...) \
    [type] = { type, name, since, dep, guest, place, per_vcpu, repeat, __VA_ARGS__ },

static const struct xsr_rec_info table[XSR_REC_TYPE_COUNT] = {
#define REC(name, since, dep, guest, place, per_vcpu, repeat, length)                          \
    ROW(XSR_REC_##name, #name, since, dep, GUEST_##guest, PLACE_##place, per_vcpu,             \
        REPEAT_##repeat, length)
#include "records.def"
#undef REC
};

const struct xsr_rec_info *xsr_rec_info(uint32_t type)
{
    return type < XSR_REC_TYPE_COUNT && table[type].name ? &table[type] : NULL;
}

bool xsr_rec_length_ok(const struct xsr_rec_info *ri, uint32_t len)
{
    return len >= ri->min_length && len <= ri->max_length && len % ri->unit == 0;
}

const char *xsr_rec_type_name(uint32_t type)
{
    const struct xsr_rec_info *ri = xsr_rec_info(type);
    return ri ? ri->name : NULL;
}
