/*
 * The cluster's bucket values as JSON (see cl_value.h).
 */
#include "cl_value.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#define CL_VALUE_VERSION 1

int
cl_id_valid(const char *id)
{
    size_t n = 0;

    for (const char *c = id; *c; c++, n++) {
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') ||
              (*c >= '0' && *c <= '9') || *c == '_' || *c == '-')) {
            return 0;
        }
    }
    return n > 0 && n < CL_ID_MAX;
}

static const char *const state_names[] = {
    [CL_MEMBER_ALIVE] = "alive",
    [CL_MEMBER_LEFT] = "left",
    [CL_MEMBER_DEAD] = "dead",
};

const char *
cl_member_state_name(enum cl_member_state s)
{
    return s >= CL_MEMBER_ALIVE && s <= CL_MEMBER_DEAD ? state_names[s]
                                                       : "unknown";
}

/* Writes 'j' (consumed) into 'out'. */
static int
dump(json_t *j, char *out, size_t size, size_t *len)
{
    size_t n;

    if (!j) {
        return ENOMEM;
    }
    n = json_dumpb(j, out, size ? size - 1 : 0, JSON_COMPACT);
    json_decref(j);
    if (n == 0 || n >= size) {
        return ENOSPC;
    }
    out[n] = '\0';
    *len = n;
    return 0;
}

/* 64-bit numbers go out as strings of hex digits: JSON readers in other
 * languages lose precision above 2^53. */
static void
u64_text(uint64_t v, char buf[17])
{
    snprintf(buf, 17, "%016" PRIx64, v);
}

static int
u64_field(json_t *o, const char *name, uint64_t *out)
{
    json_t *f = json_object_get(o, name);
    const char *s;
    char *end;

    if (!json_is_string(f)) {
        return EINVAL;
    }
    s = json_string_value(f);
    if (strlen(s) != 16) {
        return EINVAL;
    }
    errno = 0;
    *out = strtoull(s, &end, 16);
    return errno || *end || s[0] == '-' || s[0] == '+' || s[0] == ' ' ? EINVAL
                                                                      : 0;
}

/* Copies an optional string field; EINVAL if present and not a string or
 * too long. */
static int
str_field(json_t *o, const char *name, char *out, size_t size)
{
    json_t *f = json_object_get(o, name);
    size_t n;

    out[0] = '\0';
    if (!f) {
        return 0;
    }
    if (!json_is_string(f)) {
        return EINVAL;
    }
    n = json_string_length(f);
    if (n >= size || memchr(json_string_value(f), '\0', n)) {
        return EINVAL;
    }
    memcpy(out, json_string_value(f), n + 1);
    return 0;
}

/* Parses 'data' as a JSON object of our version. */
static int
load(const void *data, size_t len, json_t **out)
{
    json_t *o = json_loadb(data, len, JSON_REJECT_DUPLICATES, NULL);
    json_t *v;

    if (!json_is_object(o)) {
        json_decref(o);
        return EINVAL;
    }
    v = json_object_get(o, "v");
    if (!json_is_integer(v) || json_integer_value(v) < 1) {
        json_decref(o);
        return EINVAL;
    }
    if (json_integer_value(v) > CL_VALUE_VERSION) {
        json_decref(o);
        return EPROTO;
    }
    *out = o;
    return 0;
}

int
cl_member_encode(const struct cl_member_value *v, char *out, size_t size,
                 size_t *len)
{
    json_t *prefer = json_array();
    char inc[17];

    if (!prefer || v->n_prefer > CL_PREFER_MAX) {
        json_decref(prefer);
        return prefer ? EINVAL : ENOMEM;
    }
    for (size_t i = 0; i < v->n_prefer; i++) {
        char dpid[17];

        u64_text(v->prefer[i], dpid);
        json_array_append_new(prefer, json_string(dpid));
    }
    u64_text(v->inc, inc);
    return dump(json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:o}", "v",
                          CL_VALUE_VERSION, "state",
                          cl_member_state_name(v->state), "inc", inc, "by",
                          v->by, "endpoint", v->endpoint, "pid",
                          (json_int_t)v->pid, "prefer", prefer),
                out, size, len);
}

/* Reads the optional array of datapath ids "prefer". */
static int
prefer_field(json_t *o, struct cl_member_value *v)
{
    json_t *a = json_object_get(o, "prefer"), *e;
    size_t i;

    if (!a) {
        return 0;
    }
    if (!json_is_array(a) || json_array_size(a) > CL_PREFER_MAX) {
        return EINVAL;
    }
    json_array_foreach(a, i, e)
    {
        const char *s = json_string_value(e);

        if (!s || strlen(s) != 16 || strspn(s, "0123456789abcdef") != 16) {
            return EINVAL;
        }
        v->prefer[v->n_prefer++] = strtoull(s, NULL, 16);
    }
    return 0;
}

int
cl_member_decode(const void *data, size_t len, struct cl_member_value *v)
{
    json_t *o, *f;
    const char *s;
    int error;

    memset(v, 0, sizeof *v);
    error = load(data, len, &o);
    if (error) {
        return error;
    }
    error = EINVAL;
    f = json_object_get(o, "state");
    if (!json_is_string(f)) {
        goto out;
    }
    s = json_string_value(f);
    for (int i = CL_MEMBER_ALIVE; i <= CL_MEMBER_DEAD; i++) {
        if (!strcmp(s, state_names[i])) {
            v->state = (enum cl_member_state)i;
        }
    }
    if (!v->state || u64_field(o, "inc", &v->inc) ||
        str_field(o, "by", v->by, sizeof v->by) ||
        (v->by[0] && !cl_id_valid(v->by)) ||
        str_field(o, "endpoint", v->endpoint, sizeof v->endpoint) ||
        prefer_field(o, v)) {
        goto out;
    }
    f = json_object_get(o, "pid");
    if (f && !json_is_integer(f)) {
        goto out;
    }
    v->pid = f ? json_integer_value(f) : 0;
    error = 0;
out:
    json_decref(o);
    return error;
}

int
cl_switch_encode(const struct cl_switch_value *v, char *out, size_t size,
                 size_t *len)
{
    char inc[17];

    u64_text(v->inc, inc);
    return dump(json_pack("{s:i, s:s, s:s}", "v", CL_VALUE_VERSION, "holder",
                          v->holder, "inc", inc),
                out, size, len);
}

int
cl_switch_decode(const void *data, size_t len, struct cl_switch_value *v)
{
    json_t *o;
    int error;

    memset(v, 0, sizeof *v);
    error = load(data, len, &o);
    if (error) {
        return error;
    }
    error = str_field(o, "holder", v->holder, sizeof v->holder) ||
                    !json_is_string(json_object_get(o, "holder")) ||
                    (v->holder[0] && !cl_id_valid(v->holder)) ||
                    u64_field(o, "inc", &v->inc)
                ? EINVAL
                : 0;
    json_decref(o);
    return error;
}

void
cl_key_member(const char *id, char *out, size_t size)
{
    snprintf(out, size, "member.%s", id);
}

void
cl_key_switch(uint64_t dpid, char *out, size_t size)
{
    snprintf(out, size, "sw.%016" PRIx64, dpid);
}

int
cl_key_parse(const char *key, char id[CL_ID_MAX], uint64_t *dpid)
{
    if (!strncmp(key, "member.", 7) && cl_id_valid(key + 7)) {
        strcpy(id, key + 7);
        return 'M';
    }
    if (!strncmp(key, "sw.", 3) && strlen(key + 3) == 16 &&
        strspn(key + 3, "0123456789abcdef") == 16) {
        *dpid = strtoull(key + 3, NULL, 16);
        return 'S';
    }
    return 0;
}
