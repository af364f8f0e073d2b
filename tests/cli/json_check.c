/* SPDX-License-Identifier: MIT */
/*
 * Test helper: parse a JSON document with json-c (strictly) and look up paths.
 *
 *   json_check FILE PATH...      exit 0 if every PATH exists, else 1 (says which)
 *   json_check -p FILE PATH      print the value at PATH (strings unquoted)
 *   json_check -n FILE PATH      print the number of members/elements at PATH
 *
 * PATH is dot-separated; a numeric component indexes an array; "" (an empty
 * path) is the root.  FILE "-" is standard input.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

static char *slurp(const char *path, size_t *len)
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    char *buf = NULL;
    size_t cap = 0, n = 0, got;

    if (!f) {
        fprintf(stderr, "json_check: %s: %s\n", path, strerror(errno));
        return NULL;
    }
    do {
        if (cap - n < 65536) {
            char *nb = realloc(buf, cap + 65536 + 1);

            if (!nb) {
                free(buf);
                return NULL;
            }
            buf = nb;
            cap += 65536;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
    } while (got > 0);
    if (f != stdin)
        fclose(f);
    buf[n] = '\0';
    *len = n;
    return buf;
}

static struct json_object *lookup(struct json_object *root, const char *path)
{
    char *copy = strdup(path), *save = NULL, *part;
    struct json_object *cur = root;

    for (part = strtok_r(copy, ".", &save); cur && part; part = strtok_r(NULL, ".", &save)) {
        char *end;
        long idx = strtol(part, &end, 10);

        if (*end == '\0' && json_object_is_type(cur, json_type_array)) {
            cur = idx >= 0 && (size_t)idx < json_object_array_length(cur)
                      ? json_object_array_get_idx(cur, (size_t)idx) : NULL;
        } else if (json_object_is_type(cur, json_type_object)) {
            struct json_object *next;

            cur = json_object_object_get_ex(cur, part, &next) ? next : NULL;
        } else {
            cur = NULL;
        }
    }
    free(copy);
    return cur;
}

int main(int argc, char **argv)
{
    struct json_tokener *tok;
    struct json_object *root, *v;
    char mode = 0;
    size_t len;
    char *text;
    int first = 1, rc = 0;

    if (argc >= 2 && (strcmp(argv[1], "-p") == 0 || strcmp(argv[1], "-n") == 0)) {
        mode = argv[1][1];
        first = 2;
    }
    if (argc - first < 2 || (mode && argc - first != 2)) {
        fprintf(stderr, "usage: json_check [-p|-n] FILE PATH...\n");
        return 2;
    }
    text = slurp(argv[first], &len);
    if (!text)
        return 2;
    tok = json_tokener_new();
    json_tokener_set_flags(tok, JSON_TOKENER_STRICT);
    root = json_tokener_parse_ex(tok, text, (int)len);
    if (!root || json_tokener_get_error(tok) != json_tokener_success) {
        fprintf(stderr, "json_check: %s is not one valid JSON document: %s\n", argv[first],
                json_tokener_error_desc(json_tokener_get_error(tok)));
        return 1;
    }
    /* nothing but whitespace may follow the document */
    for (size_t i = json_tokener_get_parse_end(tok); i < len; i++) {
        if (!strchr(" \t\r\n", text[i])) {
            fprintf(stderr, "json_check: data after the JSON document at byte %zu\n", i);
            return 1;
        }
    }
    for (int i = first + 1; i < argc; i++) {
        v = argv[i][0] ? lookup(root, argv[i]) : root;
        if (!v) {
            /* a path to a JSON null also yields NULL: tell them apart */
            char *parent = strdup(argv[i]), *dot = strrchr(parent, '.');
            struct json_object *p = dot ? (*dot = '\0', lookup(root, parent)) : root;
            const char *last = dot ? dot + 1 : argv[i];
            struct json_object *dummy;
            int is_null = p && json_object_is_type(p, json_type_object) &&
                          json_object_object_get_ex(p, last, &dummy);

            free(parent);
            if (!is_null) {
                fprintf(stderr, "json_check: missing %s\n", argv[i]);
                rc = 1;
                continue;
            }
        }
        if (mode == 'p') {
            if (json_object_is_type(v, json_type_string))
                printf("%s\n", json_object_get_string(v));
            else
                printf("%s\n", v ? json_object_to_json_string_ext(v, JSON_C_TO_STRING_PLAIN) : "null");
        } else if (mode == 'n') {
            if (json_object_is_type(v, json_type_array))
                printf("%zu\n", json_object_array_length(v));
            else if (json_object_is_type(v, json_type_object))
                printf("%d\n", json_object_object_length(v));
            else {
                fprintf(stderr, "json_check: %s is neither an array nor an object\n", argv[i]);
                rc = 1;
            }
        }
    }
    json_object_put(root);
    json_tokener_free(tok);
    free(text);
    return rc;
}
