/* SPDX-License-Identifier: MIT */
/*
 * Remus checkpoint compression of legacy streams: the LRU page cache both
 * ends keep, and the page encoding (see convert_internal.h).
 */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "convert_internal.h"

#define NO_SLOT UINT32_MAX

struct xsri_dcache {
    uint32_t capacity;
    uint32_t used;           /* slots handed out so far (never shrinks) */
    uint32_t head, tail;     /* most / least recently used, NO_SLOT if empty */
    uint64_t *pfn;           /* per slot; UINT64_MAX = free */
    uint32_t *prev, *next;
    uint8_t **pages;         /* per slot, allocated on first use */
    uint32_t free_head;      /* free slots (dropped pages), linked by next */
    /* open-addressing table pfn -> slot */
    uint32_t *table;
    uint32_t mask;
};

static uint32_t hash_pfn(uint64_t pfn, uint32_t mask)
{
    return (uint32_t)xsri_mix64(pfn) & mask;
}

struct xsri_dcache *xsri_dcache_new(uint32_t capacity)
{
    struct xsri_dcache *c;
    uint32_t size = 2;

    if (capacity == 0 || capacity > (1u << 26))
        return NULL;
    while (size < capacity * 2u)
        size <<= 1;
    c = calloc(1, sizeof(*c));
    if (!c)
        return NULL;
    c->capacity = capacity;
    c->head = c->tail = c->free_head = NO_SLOT;
    c->pfn = malloc(sizeof(*c->pfn) * capacity);
    c->prev = malloc(sizeof(*c->prev) * capacity);
    c->next = malloc(sizeof(*c->next) * capacity);
    c->pages = calloc(capacity, sizeof(*c->pages));
    c->table = malloc(sizeof(*c->table) * size);
    if (!c->pfn || !c->prev || !c->next || !c->pages || !c->table) {
        xsri_dcache_free(c);
        return NULL;
    }
    c->mask = size - 1;
    memset(c->table, 0xff, sizeof(*c->table) * size);
    return c;
}

void xsri_dcache_free(struct xsri_dcache *c)
{
    if (!c)
        return;
    if (c->pages)
        for (uint32_t i = 0; i < c->capacity; i++)
            free(c->pages[i]);
    free(c->pages);
    free(c->pfn);
    free(c->prev);
    free(c->next);
    free(c->table);
    free(c);
}

/* Index in table of pfn's entry, or of the empty entry where it would go. */
static uint32_t table_find(const struct xsri_dcache *c, uint64_t pfn)
{
    uint32_t i = hash_pfn(pfn, c->mask);

    while (c->table[i] != NO_SLOT && c->pfn[c->table[i]] != pfn)
        i = (i + 1) & c->mask;
    return i;
}

/* Backward-shift deletion keeps probe sequences intact without tombstones. */
static void table_remove(struct xsri_dcache *c, uint32_t i)
{
    uint32_t j = i;

    for (;;) {
        j = (j + 1) & c->mask;
        if (c->table[j] == NO_SLOT)
            break;
        uint32_t home = hash_pfn(c->pfn[c->table[j]], c->mask);
        /* move j back to i unless its home lies cyclically in (i, j] */
        bool stays = (i <= j) ? (i < home && home <= j) : (i < home || home <= j);
        if (!stays) {
            c->table[i] = c->table[j];
            i = j;
        }
    }
    c->table[i] = NO_SLOT;
}

static void list_unlink(struct xsri_dcache *c, uint32_t s)
{
    if (c->prev[s] != NO_SLOT)
        c->next[c->prev[s]] = c->next[s];
    else
        c->head = c->next[s];
    if (c->next[s] != NO_SLOT)
        c->prev[c->next[s]] = c->prev[s];
    else
        c->tail = c->prev[s];
}

static void list_push_head(struct xsri_dcache *c, uint32_t s)
{
    c->prev[s] = NO_SLOT;
    c->next[s] = c->head;
    if (c->head != NO_SLOT)
        c->prev[c->head] = s;
    c->head = s;
    if (c->tail == NO_SLOT)
        c->tail = s;
}

uint8_t *xsri_dcache_get(struct xsri_dcache *c, uint64_t pfn)
{
    uint32_t i = table_find(c, pfn), s = c->table[i];

    if (s == NO_SLOT)
        return NULL;
    if (c->head != s) {
        list_unlink(c, s);
        list_push_head(c, s);
    }
    return c->pages[s];
}

uint8_t *xsri_dcache_put(struct xsri_dcache *c, uint64_t pfn)
{
    uint32_t i = table_find(c, pfn), s = c->table[i];

    if (s != NO_SLOT) {
        if (c->head != s) {
            list_unlink(c, s);
            list_push_head(c, s);
        }
        return c->pages[s];
    }
    if (c->free_head != NO_SLOT) {
        s = c->free_head;
        c->free_head = c->next[s];
    } else if (c->used < c->capacity) {
        s = c->used;
        c->pages[s] = malloc(XSR_PAGE_SIZE);
        if (!c->pages[s])
            return NULL;
        c->used++;
    } else {
        /* evict the least recently used page */
        s = c->tail;
        list_unlink(c, s);
        table_remove(c, table_find(c, c->pfn[s]));
    }
    c->pfn[s] = pfn;
    c->table[table_find(c, pfn)] = s;
    list_push_head(c, s);
    return c->pages[s];
}

void xsri_dcache_drop(struct xsri_dcache *c, uint64_t pfn)
{
    uint32_t i = table_find(c, pfn), s = c->table[i];

    if (s == NO_SLOT)
        return;
    table_remove(c, i);
    list_unlink(c, s);
    c->pfn[s] = UINT64_MAX;
    c->next[s] = c->free_head;
    c->free_head = s;
}

/* ------------------------------------------------------------ encoding */

static uint32_t word_at(const uint8_t *p, unsigned i)
{
    uint32_t w;
    memcpy(&w, p + 4 * (size_t)i, 4);
    return w;
}

size_t xsri_delta_encode(const uint8_t *page, const uint8_t *base, uint8_t *out)
{
    const unsigned words = XSR_PAGE_SIZE / 4;
    size_t n = 0;
    unsigned i = 0;
    bool any_change = false;

    if (!base) {
        out[0] = XSRI_DELTA_FULL;
        memcpy(out + 1, page, XSR_PAGE_SIZE);
        return XSR_PAGE_SIZE + 1;
    }
    while (i < words) {
        bool changed = word_at(page, i) != word_at(base, i);
        unsigned run = 1;

        while (i + run < words && run < XSRI_DELTA_LEN_MASK &&
               (word_at(page, i + run) != word_at(base, i + run)) == changed)
            run++;
        out[n++] = (uint8_t)(run | (changed ? 0 : XSRI_DELTA_SKIP));
        if (changed) {
            memcpy(out + n, page + 4 * (size_t)i, 4 * (size_t)run);
            n += 4 * (size_t)run;
            any_change = true;
        }
        i += run;
    }
    if (!any_change) {
        out[0] = XSRI_DELTA_EMPTY;
        return 1;
    }
    return n;
}

static long too_long(struct xsr_error *err)
{
    return xsr_error_set(err, XSR_EFORMAT,
                         "a compressed page's encoding is longer than the %u bytes a sender "
                         "writes at most", XSRI_DELTA_MAX);
}

long xsri_delta_decode(const uint8_t *in, size_t len, const uint8_t *base, uint8_t *out,
                       bool *needs_base, struct xsr_error *err)
{
    size_t pos = 0, pagepos = 0;
    bool skips = false;

    *needs_base = false;
    if (len == 0)
        return 0;
    if (in[0] == XSRI_DELTA_EMPTY) {
        *needs_base = true;
        if (!base)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "an unchanged page refers to a previous copy of the page that "
                                 "was never sent in compressed form");
        memcpy(out, base, XSR_PAGE_SIZE);
        return 1;
    }
    if (in[0] == XSRI_DELTA_FULL) {
        if (len < XSR_PAGE_SIZE + 1)
            return 0;
        memcpy(out, in + 1, XSR_PAGE_SIZE);
        return XSR_PAGE_SIZE + 1;
    }
    /* First pass: check the runs are complete and well-formed.  No sender
     * makes an encoding longer than XSRI_DELTA_MAX (eight full runs and a
     * short one), and the receiver keeps no more of one split across
     * compressed chunks: anything longer is refused, so "more input needed"
     * always means fewer than XSRI_DELTA_MAX bytes. */
    while (pagepos < XSR_PAGE_SIZE) {
        if (pos >= XSRI_DELTA_MAX)
            return too_long(err);
        if (pos >= len)
            return 0;
        size_t run = (size_t)(in[pos] & XSRI_DELTA_LEN_MASK) * 4;
        bool skip = (in[pos] & XSRI_DELTA_SKIP) != 0;
        if (run == 0)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "a compressed page has a zero-length run at byte %zu of its "
                                 "encoding", pos);
        if (pagepos + run > XSR_PAGE_SIZE)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "the runs of a compressed page cover %zu bytes, more than a "
                                 "page", pagepos + run);
        pos++;
        if (!skip) {
            if (run > XSRI_DELTA_MAX - pos)
                return too_long(err);
            if (len - pos < run)
                return 0;
            pos += run;
        } else {
            skips = true;
        }
        pagepos += run;
    }
    if (skips) {
        *needs_base = true;
        if (!base)
            return xsr_error_set(err, XSR_EFORMAT,
                                 "a compressed page keeps parts of a previous copy of the page "
                                 "that was never sent in compressed form");
        memcpy(out, base, XSR_PAGE_SIZE);
    }
    /* Second pass: apply. */
    pos = pagepos = 0;
    while (pagepos < XSR_PAGE_SIZE) {
        size_t run = (size_t)(in[pos] & XSRI_DELTA_LEN_MASK) * 4;
        bool skip = (in[pos] & XSRI_DELTA_SKIP) != 0;
        pos++;
        if (!skip) {
            memcpy(out + pagepos, in + pos, run);
            pos += run;
        }
        pagepos += run;
    }
    return (long)pos;
}
