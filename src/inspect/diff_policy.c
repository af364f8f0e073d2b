/* SPDX-License-Identifier: MIT */
/*
 * xsr_diff's sections that compare what a migration cares about entry by
 * entry: the CPUID and MSR policies, the TSC, the HVM params and the xl
 * domain configuration.
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include <xsr/wire.h>

#include "diff_internal.h"

/* ------------------------------------------------------------- CPUID */

static int cmp_leaf(const void *x, const void *y)
{
    const struct xsr_cpuid_leaf *a = x, *b = y;
    if (a->leaf != b->leaf)
        return a->leaf < b->leaf ? -1 : 1;
    return a->subleaf < b->subleaf ? -1 : a->subleaf > b->subleaf;
}

/* The leaves of a policy body, sorted; NULL with *n 0 if none or no memory. */
static struct xsr_cpuid_leaf *leaves(const uint8_t *p, uint32_t len, enum xsr_byte_order o, size_t *n,
                                     bool *oom)
{
    *n = p ? len / XSR_CPUID_LEAF_SIZE : 0;
    if (!*n)
        return NULL;
    struct xsr_cpuid_leaf *v = malloc(*n * sizeof(*v));
    if (!v) {
        *oom = true;
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < *n; i++)
        xsr_cpuid_leaf_decode(p + i * XSR_CPUID_LEAF_SIZE, o, &v[i]);
    qsort(v, *n, sizeof(*v), cmp_leaf);
    return v;
}

static void leaf_label(char *buf, size_t n, const struct xsr_cpuid_leaf *l)
{
    if (l->subleaf == XSR_CPUID_NO_SUBLEAF)
        snprintf(buf, n, "leaf 0x%" PRIx32, l->leaf);
    else
        snprintf(buf, n, "leaf 0x%" PRIx32 " subleaf 0x%" PRIx32, l->leaf, l->subleaf);
}

static struct json_object *leaf_keys(const struct xsr_cpuid_leaf *l, const char *reg)
{
    struct json_object *k = json_object_new_object();
    if (!k)
        return NULL;
    json_object_object_add(k, "leaf", xsri_jhex(l->leaf));
    json_object_object_add(k, "subleaf", l->subleaf == XSR_CPUID_NO_SUBLEAF ? NULL : xsri_jhex(l->subleaf));
    json_object_object_add(k, "register", xsri_jstr(reg));
    return k;
}

static struct json_object *leaf_regs(const struct xsr_cpuid_leaf *l)
{
    struct json_object *o = json_object_new_object();
    if (!o)
        return NULL;
    json_object_object_add(o, "eax", xsri_jhex(l->a));
    json_object_object_add(o, "ebx", xsri_jhex(l->b));
    json_object_object_add(o, "ecx", xsri_jhex(l->c));
    json_object_object_add(o, "edx", xsri_jhex(l->d));
    return o;
}

void xsri_diff_cpuid(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                     uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob)
{
    size_t na, nb, i = 0, j = 0;
    struct xsr_cpuid_leaf *va = leaves(a, la, oa, &na, &d->oom), *vb = leaves(b, lb, ob, &nb, &d->oom);
    char label[64], what[80], note[48];

    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : cmp_leaf(&va[i], &vb[j]);
        if (c != 0) {
            const struct xsr_cpuid_leaf *l = c < 0 ? &va[i++] : &vb[j++];
            leaf_label(label, sizeof(label), l);
            xsri_diff_add(d, XSRI_DS_CPUID, leaf_keys(l, NULL), label, c < 0, leaf_regs(l), c > 0,
                          leaf_regs(l), NULL);
            continue;
        }
        const struct xsr_cpuid_leaf *x = &va[i++], *y = &vb[j++];
        const uint32_t rx[4] = { x->a, x->b, x->c, x->d }, ry[4] = { y->a, y->b, y->c, y->d };
        static const char *const reg[4] = { "eax", "ebx", "ecx", "edx" };
        leaf_label(label, sizeof(label), x);
        for (unsigned r = 0; r < 4; r++) {
            if (rx[r] == ry[r])
                continue;
            snprintf(what, sizeof(what), "%s %s", label, reg[r]);
            snprintf(note, sizeof(note), "bits 0x%" PRIx32 " differ", rx[r] ^ ry[r]);
            xsri_diff_add(d, XSRI_DS_CPUID, leaf_keys(x, reg[r]), what, true, xsri_jhex(rx[r]), true,
                          xsri_jhex(ry[r]), note);
        }
    }
    free(va);
    free(vb);
}

/* ------------------------------------------- MSR policy and HVM params */

/* One (index, value) entry of a sorted table; flags only for MSRs. */
struct kv {
    uint64_t index, value;
    uint32_t flags;
};

static int cmp_kv(const void *x, const void *y)
{
    const struct kv *a = x, *b = y;
    return a->index < b->index ? -1 : a->index > b->index;
}

static struct kv *msr_table(const uint8_t *p, uint32_t len, enum xsr_byte_order o, size_t *n, bool *oom)
{
    *n = p ? len / XSR_MSR_ENTRY_SIZE : 0;
    struct kv *v = *n ? malloc(*n * sizeof(*v)) : NULL;
    if (*n && !v) {
        *oom = true;
        *n = 0;
    }
    for (size_t i = 0; i < *n; i++) {
        struct xsr_msr_entry m;
        xsr_msr_entry_decode(p + i * XSR_MSR_ENTRY_SIZE, o, &m);
        v[i] = (struct kv){ .index = m.index, .value = m.value, .flags = m.flags };
    }
    if (*n)
        qsort(v, *n, sizeof(*v), cmp_kv);
    return v;
}

static struct kv *param_table(const uint8_t *p, uint32_t len, enum xsr_byte_order o, size_t *n, bool *oom)
{
    struct xsr_hvm_params hp;
    *n = 0;
    if (!p || xsr_hvm_params_decode(p, len, o, &hp, NULL) < 0 || !hp.count)
        return NULL;
    struct kv *v = malloc(hp.count * sizeof(*v));
    if (!v) {
        *oom = true;
        return NULL;
    }
    for (uint32_t i = 0; i < hp.count; i++)
        xsr_hvm_params_entry(&hp, i, &v[i].index, &v[i].value), v[i].flags = 0;
    *n = hp.count;
    qsort(v, *n, sizeof(*v), cmp_kv);
    return v;
}

/* Merge two sorted tables; a later duplicate index is compared as the
 * next entry of that index. */
static void diff_kv(struct xsri_diffout *d, enum xsri_dsec s, const struct kv *va, size_t na,
                    const struct kv *vb, size_t nb, bool msr)
{
    size_t i = 0, j = 0;
    char what[96];

    while (i < na || j < nb) {
        int c = i >= na ? 1 : j >= nb ? -1 : cmp_kv(&va[i], &vb[j]);
        const struct kv *x = c <= 0 ? &va[i++] : NULL, *y = c >= 0 ? &vb[j++] : NULL;
        const struct kv *k = x ? x : y;
        const char *name = msr ? xsr_msr_name((uint32_t)k->index) : xsr_hvm_param_name(k->index);
        if (msr)
            snprintf(what, sizeof(what), "0x%" PRIx64 "%s%s", k->index, name ? " " : "", name ? name : "");
        else if (name)
            snprintf(what, sizeof(what), "%s (%" PRIu64 ")", name, k->index);
        else
            snprintf(what, sizeof(what), "param %" PRIu64, k->index);
        struct json_object *keys = json_object_new_object();
        if (keys) {
            json_object_object_add(keys, "index", msr ? xsri_jhex(k->index) : xsri_jnum(k->index));
            json_object_object_add(keys, "name", xsri_jstr(name));
        }
        if (x && y && x->value == y->value && x->flags == y->flags) {
            json_object_put(keys);
            continue;
        }
        if (x && y && x->value == y->value) {
            if (keys)
                json_object_object_add(keys, "field", json_object_new_string("flags"));
            strncat(what, " flags", sizeof(what) - strlen(what) - 1);
            xsri_diff_add(d, s, keys, what, true, xsri_jhex(x->flags), true, xsri_jhex(y->flags), NULL);
            continue;
        }
        xsri_diff_add(d, s, keys, what, x != NULL, x ? xsri_jhex(x->value) : NULL, y != NULL,
                      y ? xsri_jhex(y->value) : NULL, NULL);
    }
}

void xsri_diff_msr_policy(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                          uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob)
{
    size_t na, nb;
    struct kv *va = msr_table(a, la, oa, &na, &d->oom), *vb = msr_table(b, lb, ob, &nb, &d->oom);
    diff_kv(d, XSRI_DS_MSR, va, na, vb, nb, true);
    free(va);
    free(vb);
}

void xsri_diff_hvm_params(struct xsri_diffout *d, const uint8_t *a, uint32_t la, const uint8_t *b,
                          uint32_t lb, enum xsr_byte_order oa, enum xsr_byte_order ob)
{
    size_t na, nb;
    struct kv *va = param_table(a, la, oa, &na, &d->oom), *vb = param_table(b, lb, ob, &nb, &d->oom);
    diff_kv(d, XSRI_DS_HVM_PARAMS, va, na, vb, nb, false);
    free(va);
    free(vb);
}

/* --------------------------------------------------------------- TSC */

static struct json_object *mode_value(uint32_t mode)
{
    const char *n = xsr_tsc_mode_name(mode);
    return n ? json_object_new_string(n) : xsri_jnum(mode);
}

void xsri_diff_tsc(struct xsri_diffout *d, const struct xsri_diff_tsc *a, const struct xsri_diff_tsc *b)
{
    if (!a->present && !b->present)
        return;
    if (a->present != b->present) {
        const struct xsri_diff_tsc *t = a->present ? a : b;
        struct json_object *v = json_object_new_object();
        if (v) {
            json_object_object_add(v, "mode", mode_value(t->mode));
            json_object_object_add(v, "khz", xsri_jnum(t->khz));
        }
        xsri_diff_add(d, XSRI_DS_TSC, NULL, "TSC info", a->present, a->present ? v : NULL, b->present,
                      b->present ? v : NULL, NULL);
        return;
    }
    if (a->mode != b->mode)
        xsri_diff_add(d, XSRI_DS_TSC, NULL, "mode", true, mode_value(a->mode), true, mode_value(b->mode), NULL);
    if (a->khz != b->khz)
        xsri_diff_add(d, XSRI_DS_TSC, NULL, "khz", true, xsri_jnum(a->khz), true, xsri_jnum(b->khz), NULL);
    if (a->incarnation != b->incarnation)
        xsri_diff_add(d, XSRI_DS_TSC, NULL, "incarnation", true, xsri_jnum(a->incarnation), true,
                      xsri_jnum(b->incarnation), NULL);
    if (a->nsec != b->nsec)
        xsri_diff_add(d, XSRI_DS_TSC, NULL, "nsec", true, xsri_jhex(a->nsec), true, xsri_jhex(b->nsec),
                      "the guest's elapsed time");
}

/* -------------------------------------------------- xl configuration */

/* Paths are bounded so that a deeply nested hostile configuration cannot
 * grow them (or the recursion) without limit. */
#define CONFIG_DEPTH_MAX 64

static void config_add(struct xsri_diffout *d, const char *path, struct json_object *a, bool has_a,
                       struct json_object *b, bool has_b)
{
    struct json_object *keys = json_object_new_object();
    if (keys)
        json_object_object_add(keys, "path", xsri_jstr(path));
    xsri_diff_add(d, XSRI_DS_CONFIG, keys, path, has_a, json_object_get(a), has_b, json_object_get(b), NULL);
}

static void config_walk(struct xsri_diffout *d, char *path, size_t plen, size_t cap, unsigned depth,
                        struct json_object *a, struct json_object *b)
{
    enum json_type ta = json_object_get_type(a), tb = json_object_get_type(b);

    if (ta != tb || depth >= CONFIG_DEPTH_MAX || (ta != json_type_object && ta != json_type_array)) {
        if (!json_object_equal(a, b))
            config_add(d, path, a, true, b, true);
        return;
    }
    if (ta == json_type_array) {
        size_t na = json_object_array_length(a), nb = json_object_array_length(b);
        for (size_t i = 0; i < na || i < nb; i++) {
            snprintf(path + plen, cap - plen, "[%zu]", i);
            size_t l = strlen(path);
            if (i < na && i < nb)
                config_walk(d, path, l, cap, depth + 1, json_object_array_get_idx(a, i),
                            json_object_array_get_idx(b, i));
            else
                config_add(d, path, i < na ? json_object_array_get_idx(a, i) : NULL, i < na,
                           i < nb ? json_object_array_get_idx(b, i) : NULL, i < nb);
            path[plen] = '\0';
        }
        return;
    }
    /* objects: A's keys in A's order, then the keys only B has */
    json_object_object_foreach(a, ka, va) {
        struct json_object *vb;
        snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", ka);
        size_t l = strlen(path);
        if (json_object_object_get_ex(b, ka, &vb))
            config_walk(d, path, l, cap, depth + 1, va, vb);
        else
            config_add(d, path, va, true, NULL, false);
        path[plen] = '\0';
    }
    json_object_object_foreach(b, kb, vb2) {
        if (json_object_object_get_ex(a, kb, NULL))
            continue;
        snprintf(path + plen, cap - plen, "%s%s", plen ? "." : "", kb);
        config_add(d, path, NULL, false, vb2, true);
        path[plen] = '\0';
    }
}

void xsri_diff_config(struct xsri_diffout *d, struct json_object *a, struct json_object *b)
{
    char path[1024] = "";
    if (!a && !b)
        return;
    if (!a || !b) {
        config_add(d, "(whole configuration)", a, a != NULL, b, b != NULL);
        return;
    }
    config_walk(d, path, 0, sizeof(path), 0, a, b);
}
