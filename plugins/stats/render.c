/*
 * The stats plugin's collection of reports and its two renderers (see
 * render.h).
 *
 * A report is validated completely before anything of it is kept, so a
 * collection only ever holds reports that render correctly: every name is
 * [a-z_][a-z0-9_]*, an entity's keys and field names are distinct (they
 * become members of one JSON object and labels of one sample), fields with
 * the same name are one labelled group, and each Prometheus metric name
 * belongs to one entity kind and one type.  That is what lets the
 * Prometheus renderer group every sample of a name into one family
 * without re-checking anything, whatever order reports arrived in.
 */
#include "render.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "plexus/hash.h"
#include "plexus/hmap.h"
#include "plexus/util.h"

#define NONE UINT32_MAX

/* ---------------------------------------------------------------------- */
/* Names, numbers and escaping.                                           */

int
stats_name_valid(const char *s)
{
    size_t i;

    if (!s || !((s[0] >= 'a' && s[0] <= 'z') || s[0] == '_')) {
        return 0;
    }
    for (i = 1; s[i]; i++) {
        if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '_') ||
            i >= STATS_MAX_NAME) {
            return 0;
        }
    }
    return 1;
}

/* A valid name that may also be a Prometheus label name: names that
 * start with "__" are reserved for Prometheus itself. */
static int
label_name_valid(const char *s)
{
    return stats_name_valid(s) && strncmp(s, "__", 2);
}

static int
ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);

    return n >= m && !strcmp(s + n - m, suffix);
}

/* Without libm, which the plugin does not link. */
static int
integral(double v)
{
    double a = v < 0 ? -v : v;

    /* Every double from 2^53 up is an integer. */
    return a >= 9007199254740992.0 || v == (double)(long long)v;
}

void
stats_format_number(double v, int json, char *buf, size_t size)
{
    int prec;

    if (isnan(v)) {
        snprintf(buf, size, "%s", json ? "null" : "NaN");
    } else if (isinf(v)) {
        snprintf(buf, size, "%s", json ? "null" : v > 0 ? "+Inf" : "-Inf");
    } else if (v == 0) {
        snprintf(buf, size, "0"); /* Also -0. */
    } else if (integral(v) && (v < 0 ? -v : v) < 9223372036854775808.0) {
        /* Most samples are counters: printing them as integers is the
         * same text at a fraction of the cost of %.0f. */
        snprintf(buf, size, "%lld", (long long)v);
    } else if (integral(v) && (v < 0 ? -v : v) < 1e21) {
        snprintf(buf, size, "%.0f", v);
    } else {
        /* The shortest precision that reads back as the same double. */
        for (prec = 15; prec < 17; prec++) {
            snprintf(buf, size, "%.*g", prec, v);
            if (strtod(buf, NULL) == v) {
                return;
            }
        }
        snprintf(buf, size, "%.17g", v);
    }
}

#define REPLACEMENT_CHAR "\xef\xbf\xbd" /* U+FFFD */

static void
put_cstr(struct px_buf *b, const char *s)
{
    px_buf_put(b, s, strlen(s));
}

/* Appends 's' as a Prometheus label value (quote != 0) or HELP text,
 * copying the runs between escapes as they are.  Invalid UTF-8 becomes
 * U+FFFD: Prometheus rejects it. */
static void
prom_escape(struct px_buf *b, const char *s, int quote)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;

    while (*p) {
        const char *rep = NULL;
        size_t n = 1;

        if (*p == '\\') {
            rep = "\\\\";
        } else if (*p == '\n') {
            rep = "\\n";
        } else if (*p == '"' && quote) {
            rep = "\\\"";
        } else if (*p >= 0x80) {
            /* 's' is NUL-terminated, so no bound is needed (see
             * px_utf8_len). */
            n = px_utf8_len(p, (size_t)-1);
            rep = n ? NULL : REPLACEMENT_CHAR;
        }
        if (!rep) {
            p += n;
            continue;
        }
        px_buf_put(b, run, (size_t)(p - run));
        put_cstr(b, rep);
        p++;
        run = p;
    }
    px_buf_put(b, run, (size_t)(p - run));
}

static void
prom_number(struct px_buf *b, double v)
{
    char s[64];

    stats_format_number(v, 0, s, sizeof s);
    put_cstr(b, s);
}

/* ---------------------------------------------------------------------- */
/* Arena and string map.                                                  */

struct arena_chunk {
    struct arena_chunk *next;
    size_t used;
    size_t size;
    max_align_t data[]; /* 'size' bytes. */
};

#define ARENA_CHUNK (64u << 10)

/* Returns 'n' bytes, aligned for any type, that live as long as 'head'. */
static void *
arena_alloc(struct arena_chunk **head, size_t n)
{
    struct arena_chunk *c = *head;
    size_t align = sizeof(max_align_t);
    void *p;

    n = (n + align - 1) / align * align;
    if (!c || c->size - c->used < n) {
        size_t size = n > ARENA_CHUNK ? n : ARENA_CHUNK;

        c = malloc(sizeof *c + size);
        if (!c) {
            return NULL;
        }
        c->next = *head;
        c->used = 0;
        c->size = size;
        *head = c;
    }
    p = (char *)c->data + c->used;
    c->used += n;
    return p;
}

static const char *
arena_strdup(struct arena_chunk **head, const char *s)
{
    size_t n = strlen(s) + 1;
    char *copy = arena_alloc(head, n);

    if (copy) {
        memcpy(copy, s, n);
    }
    return copy;
}

/* Maps byte strings (borrowed: they must outlive the map) to indexes.  The
 * map is a px_hmap of entries taken from the collection's arena, so an
 * entry costs no allocation of its own and is freed with the arena; the
 * map itself owns only its buckets. */
struct smap_entry {
    struct px_hmap_node node;
    const char *key;
    size_t len;
    uint32_t value;
};

/* Bytes an entry costs at most, which report_cost counts: the entry as the
 * arena rounds it, and two bucket pointers, since a px_hmap never has more
 * than twice as many buckets as nodes. */
#define SMAP_ENTRY_COST                                                       \
    ((sizeof(struct smap_entry) + sizeof(max_align_t) - 1) /                  \
         sizeof(max_align_t) * sizeof(max_align_t) +                          \
     2 * sizeof(void *))

static uint32_t
smap_find(const struct px_hmap *m, const char *key, size_t len)
{
    const struct smap_entry *e;

    PX_HMAP_FOR_EACH_WITH_HASH (e, node, px_hash_bytes(key, len, 0), m) {
        if (e->len == len && !memcmp(e->key, key, len)) {
            return e->value;
        }
    }
    return NONE;
}

/* Inserts a key that is not in 'm' yet, its entry taken from 'arena'. */
static int
smap_insert(struct px_hmap *m, struct arena_chunk **arena, const char *key,
            size_t len, uint32_t value)
{
    struct smap_entry *e = arena_alloc(arena, sizeof *e);

    if (!e) {
        return ENOMEM;
    }
    e->key = key;
    e->len = len;
    e->value = value;
    px_hmap_insert(m, &e->node, px_hash_bytes(key, len, 0));
    return 0;
}

/* Grows '*array' of '*cap' elements of 'size' bytes to hold 'n'. */
static int
grow(void **array, size_t *cap, size_t n, size_t size)
{
    size_t new_cap;
    void *p;

    if (n <= *cap) {
        return 0;
    }
    new_cap = *cap ? *cap * 2 : 64;
    while (new_cap < n) {
        new_cap *= 2;
    }
    p = realloc(*array, new_cap * size);
    if (!p) {
        return ENOMEM;
    }
    *array = p;
    *cap = new_cap;
    return 0;
}

/* ---------------------------------------------------------------------- */
/* The collection.                                                        */

struct entity {
    uint32_t kind;
    uint32_t next; /* Next entity of the same kind, or NONE. */
    size_t n_keys;
    const struct px_stats_label *keys;
    /* In report order, except that the fields of a labelled group follow
     * one another, at the place of the group's first field. */
    size_t n_fields;
    const struct px_stats_field *fields;
};

struct kind {
    const char *name;
    uint32_t first, last; /* Entities of this kind, in report order. */
};

enum family_type { FAM_COUNTER, FAM_GAUGE, FAM_INFO };

struct family {
    const char *name; /* The metric name. */
    uint32_t kind;
    enum family_type type;
    const char *help;     /* NULL until a report gives one. */
    uint32_t first, last; /* Samples, in report order. */
};

/* One sample: an entity's field, or (field NONE) its info sample. */
struct sample {
    uint32_t entity;
    uint32_t field;
    uint32_t next;
};

struct stats_collection {
    size_t max_entities;
    size_t max_bytes;
    size_t bytes;
    struct arena_chunk *arena;

    struct entity *entities;
    size_t n_entities, cap_entities;
    struct kind *kinds;
    size_t n_kinds, cap_kinds;
    struct family *families;
    size_t n_families, cap_families;
    struct sample *samples;
    size_t n_samples, cap_samples;

    /* Entries in 'arena' (see struct smap_entry). */
    struct px_hmap kind_map;     /* Kind name -> kinds[]. */
    struct px_hmap family_map;   /* Metric name -> families[]. */
    struct px_hmap identity_map; /* Kind and keys -> entities[]. */
};

struct stats_collection *
stats_collection_create(size_t max_entities, size_t max_bytes)
{
    struct stats_collection *c = calloc(1, sizeof *c);

    if (c) {
        c->max_entities = max_entities;
        c->max_bytes = max_bytes;
        px_hmap_init(&c->kind_map);
        px_hmap_init(&c->family_map);
        px_hmap_init(&c->identity_map);
    }
    return c;
}

void
stats_collection_destroy(struct stats_collection *c)
{
    if (!c) {
        return;
    }
    while (c->arena) {
        struct arena_chunk *next = c->arena->next;

        free(c->arena);
        c->arena = next;
    }
    free(c->entities);
    free(c->kinds);
    free(c->families);
    free(c->samples);
    px_hmap_destroy(&c->kind_map);
    px_hmap_destroy(&c->family_map);
    px_hmap_destroy(&c->identity_map);
    free(c);
}

size_t
stats_collection_count(const struct stats_collection *c)
{
    return c->n_entities;
}

/* A key or field of a report being checked, for sorting by name. */
struct member {
    const char *name;
    const char *label_value; /* NULL for keys and plain fields. */
    uint32_t index;          /* Field index, or NONE for a key. */
};

static int
member_cmp(const void *a_, const void *b_)
{
    const struct member *a = a_, *b = b_;
    int cmp = strcmp(a->name, b->name);

    if (cmp) {
        return cmp;
    }
    if (!a->label_value != !b->label_value) {
        return a->label_value ? 1 : -1;
    }
    if (a->label_value && (cmp = strcmp(a->label_value, b->label_value))) {
        return cmp;
    }
    return a->index < b->index ? -1 : a->index > b->index;
}

static int
member_index_cmp(const void *a_, const void *b_)
{
    const struct member *a = a_, *b = b_;

    return a->index < b->index ? -1 : a->index > b->index;
}

/* Checks each key and field of 'r' on its own. */
static int
check_names(const struct px_stats_report *r, const char **why)
{
    size_t i, j;

    if (!stats_name_valid(r->entity)) {
        *why = "invalid entity name";
        return EINVAL;
    }
    if (r->n_keys > STATS_MAX_KEYS || r->n_fields > STATS_MAX_FIELDS ||
        (r->n_keys && !r->keys) || (r->n_fields && !r->fields)) {
        *why = "too many keys or fields";
        return EINVAL;
    }
    for (i = 0; i < r->n_keys; i++) {
        if (!label_name_valid(r->keys[i].name) || !r->keys[i].value) {
            *why = "invalid key name";
            return EINVAL;
        }
    }
    for (i = 0; i < r->n_fields; i++) {
        const struct px_stats_field *f = &r->fields[i];

        if (!stats_name_valid(f->name) || ends_with(f->name, "_total")) {
            *why = "invalid field name";
            return EINVAL;
        }
        if (f->type < PX_STATS_COUNTER || f->type > PX_STATS_TEXT) {
            *why = "invalid field type";
            return EINVAL;
        }
        if (f->type == PX_STATS_TEXT) {
            if (f->label || f->label_value || !label_name_valid(f->name)) {
                *why = "invalid text field";
                return EINVAL;
            }
        } else if (!strcmp(f->name, "info")) {
            *why = "field name 'info' is reserved for text fields";
            return EINVAL;
        }
        if (!f->label != !f->label_value ||
            (f->label && !label_name_valid(f->label))) {
            *why = "invalid field label";
            return EINVAL;
        }
        for (j = 0; f->label && j < r->n_keys; j++) {
            if (!strcmp(f->label, r->keys[j].name)) {
                *why = "field label repeats a key";
                return EINVAL;
            }
        }
    }
    return 0;
}

/* Checks that keys and fields of 'r' have distinct names, except the
 * fields of one labelled group, and writes into 'order' the field indexes
 * in the order they are kept (see struct entity). */
static int
check_members(const struct px_stats_report *r, struct member *m,
              uint32_t *order, const char **why)
{
    size_t n = r->n_keys + r->n_fields;
    size_t i, start, n_order = 0;
    uint32_t *group; /* Field index -> start of its run in 'm'. */

    for (i = 0; i < r->n_keys; i++) {
        m[i] = (struct member){r->keys[i].name, NULL, NONE};
    }
    for (i = 0; i < r->n_fields; i++) {
        m[r->n_keys + i] = (struct member){
            r->fields[i].name, r->fields[i].label_value, (uint32_t)i};
    }
    qsort(m, n, sizeof *m, member_cmp);

    group = order + r->n_fields; /* The caller gave room for both. */
    for (start = 0; start < n; start = i) {
        for (i = start + 1; i < n && !strcmp(m[i].name, m[start].name); i++) {
            const struct px_stats_field *a, *b;

            if (m[start].index == NONE || m[i].index == NONE) {
                *why = "duplicate key or field name";
                return EINVAL;
            }
            a = &r->fields[m[start].index];
            b = &r->fields[m[i].index];
            if (!a->label || !b->label || a->type != b->type ||
                strcmp(a->label, b->label)) {
                *why = "duplicate key or field name";
                return EINVAL;
            }
            if (!strcmp(m[i].label_value, m[i - 1].label_value)) {
                *why = "duplicate label value";
                return EINVAL;
            }
        }
        qsort(m + start, i - start, sizeof *m, member_index_cmp);
        for (size_t k = start; k < i; k++) {
            if (m[k].index != NONE) {
                group[m[k].index] = (uint32_t)start;
            }
        }
    }
    /* A group goes where its first field was; its run in 'm' is sorted
     * by index now, so m[group].index is that first field. */
    for (i = 0; i < r->n_fields; i++) {
        size_t g = group[i], k;

        if (m[g].index != i) {
            continue;
        }
        for (k = g;
             k < n && m[k].index != NONE && !strcmp(m[k].name, m[g].name);
             k++) {
            order[n_order++] = m[k].index;
        }
    }
    return 0;
}

/* Writes the metric name of field 'f' of entity kind 'kind' (f NULL: the
 * info metric) into 'b', replacing what it held.  Every scrape names
 * every field twice, so the pieces are copied rather than formatted. */
static void
metric_name(struct px_buf *b, const char *kind, const struct px_stats_field *f)
{
    px_buf_clear(b);
    put_cstr(b, "plexus_");
    put_cstr(b, kind);
    put_cstr(b, "_");
    put_cstr(b, f ? f->name : "info");
    if (f && f->type == PX_STATS_COUNTER) {
        put_cstr(b, "_total");
    }
}

static enum family_type
family_type(const struct px_stats_field *f)
{
    return !f                            ? FAM_INFO
           : f->type == PX_STATS_COUNTER ? FAM_COUNTER
                                         : FAM_GAUGE;
}

/* Checks that each metric name 'r' would use is free or already used by
 * the same kind with the same type. */
static int
check_families(const struct stats_collection *c,
               const struct px_stats_report *r, uint32_t kind,
               const char **why)
{
    struct px_buf name = PX_BUF_INITIALIZER(STATS_MAX_NAME * 2 + 32);
    int has_text = 0, error = 0;
    size_t i;

    for (i = 0; i <= r->n_fields && !error; i++) {
        const struct px_stats_field *f =
            i < r->n_fields ? &r->fields[i] : NULL;
        uint32_t fam;

        if (f && f->type == PX_STATS_TEXT) {
            has_text = 1;
            continue;
        }
        if (!f && !has_text) {
            break;
        }
        metric_name(&name, r->entity, f);
        if (name.error) {
            error = name.error;
            break;
        }
        fam = smap_find(&c->family_map, px_buf_cstr(&name), name.len);
        if (fam != NONE && (c->families[fam].kind != kind ||
                            c->families[fam].type != family_type(f))) {
            *why = "metric name already used by another kind or type";
            error = EINVAL;
        }
    }
    px_buf_destroy(&name);
    return error;
}

/* The identity of an entity: its kind and keys, unambiguously. */
static int
identity(const struct px_stats_report *r, struct px_buf *b)
{
    size_t i;

    put_cstr(b, r->entity);
    for (i = 0; i < r->n_keys; i++) {
        px_buf_printf(b, "%c%s%c%zu:", 1, r->keys[i].name, 2,
                      strlen(r->keys[i].value));
        put_cstr(b, r->keys[i].value);
    }
    return px_buf_error(b);
}

static size_t
strsize(const char *s)
{
    return s ? strlen(s) + 1 : 0;
}

/* Bytes a report costs once copied, roughly but never less. */
static size_t
report_cost(const struct px_stats_report *r, size_t identity_len)
{
    size_t bytes = sizeof(struct entity) + strsize(r->entity) + identity_len +
                   1 + r->n_keys * sizeof *r->keys +
                   r->n_fields * sizeof *r->fields + 4 * sizeof(max_align_t);
    size_t i;

    for (i = 0; i < r->n_keys; i++) {
        bytes += strsize(r->keys[i].name) + strsize(r->keys[i].value);
    }
    for (i = 0; i < r->n_fields; i++) {
        const struct px_stats_field *f = &r->fields[i];

        bytes += strsize(f->name) + strsize(f->help) + strsize(f->text) +
                 strsize(f->label) + strsize(f->label_value) +
                 sizeof(struct sample) + sizeof(struct family) +
                 2 * SMAP_ENTRY_COST + strsize(r->entity) + strsize(f->name) +
                 16;
    }
    return bytes;
}

static const char *
copy_str(struct stats_collection *c, const char *s, int *error)
{
    const char *copy;

    if (!s) {
        return NULL;
    }
    copy = arena_strdup(&c->arena, s);
    if (!copy) {
        *error = ENOMEM;
    }
    return copy;
}

/* Appends a sample of entity 'e' to the family of field 'f' (NULL: the
 * info family), creating the family if needed. */
static int
add_sample(struct stats_collection *c, uint32_t e, uint32_t field,
           struct px_buf *name)
{
    const struct entity *ent = &c->entities[e];
    const struct px_stats_field *f =
        field == NONE ? NULL : &ent->fields[field];
    const char *kind = c->kinds[ent->kind].name;
    struct family *fam;
    struct sample *s;
    uint32_t i;
    int error = 0;

    metric_name(name, kind, f);
    if (name->error) {
        return name->error;
    }
    i = smap_find(&c->family_map, px_buf_cstr(name), name->len);
    if (i == NONE) {
        const char *copy;

        if ((error = grow((void **)&c->families, &c->cap_families,
                          c->n_families + 1, sizeof *c->families))) {
            return error;
        }
        copy = copy_str(c, px_buf_cstr(name), &error);
        if (error ||
            (error = smap_insert(&c->family_map, &c->arena, copy, name->len,
                                 (uint32_t)c->n_families))) {
            return error;
        }
        i = (uint32_t)c->n_families++;
        c->families[i] =
            (struct family){copy, ent->kind, family_type(f), NULL, NONE, NONE};
    }
    fam = &c->families[i];
    if (!fam->help && f && f->help && f->help[0]) {
        fam->help = f->help; /* Already a copy. */
    }
    if ((error = grow((void **)&c->samples, &c->cap_samples, c->n_samples + 1,
                      sizeof *c->samples))) {
        return error;
    }
    s = &c->samples[c->n_samples];
    *s = (struct sample){e, field, NONE};
    if (fam->last == NONE) {
        fam->first = (uint32_t)c->n_samples;
    } else {
        c->samples[fam->last].next = (uint32_t)c->n_samples;
    }
    fam->last = (uint32_t)c->n_samples++;
    return 0;
}

/* Copies a checked report in.  On ENOMEM the collection may keep part of
 * it; that only happens when memory is exhausted anyway. */
static int
commit(struct stats_collection *c, const struct px_stats_report *r,
       const uint32_t *order, const struct px_buf *id)
{
    struct px_stats_label *keys = NULL;
    struct px_stats_field *fields = NULL;
    struct px_buf name = PX_BUF_INITIALIZER(STATS_MAX_NAME * 2 + 32);
    struct entity *ent;
    const char *id_copy;
    uint32_t kind, e;
    int error = 0, has_text = 0;
    size_t i;

    if ((error = grow((void **)&c->entities, &c->cap_entities,
                      c->n_entities + 1, sizeof *c->entities))) {
        return error;
    }
    kind = smap_find(&c->kind_map, r->entity, strlen(r->entity));
    if (kind == NONE) {
        const char *copy;

        if ((error = grow((void **)&c->kinds, &c->cap_kinds, c->n_kinds + 1,
                          sizeof *c->kinds))) {
            return error;
        }
        copy = copy_str(c, r->entity, &error);
        if (error ||
            (error = smap_insert(&c->kind_map, &c->arena, copy, strlen(copy),
                                 (uint32_t)c->n_kinds))) {
            return error;
        }
        kind = (uint32_t)c->n_kinds++;
        c->kinds[kind] = (struct kind){copy, NONE, NONE};
    }

    if (r->n_keys) {
        keys = arena_alloc(&c->arena, r->n_keys * sizeof *keys);
        if (!keys) {
            return ENOMEM;
        }
    }
    for (i = 0; i < r->n_keys; i++) {
        keys[i].name = copy_str(c, r->keys[i].name, &error);
        keys[i].value = copy_str(c, r->keys[i].value, &error);
    }
    if (r->n_fields) {
        fields = arena_alloc(&c->arena, r->n_fields * sizeof *fields);
        if (!fields) {
            return ENOMEM;
        }
    }
    for (i = 0; i < r->n_fields; i++) {
        const struct px_stats_field *f = &r->fields[order[i]];

        fields[i] = *f;
        fields[i].name = copy_str(c, f->name, &error);
        fields[i].help = copy_str(c, f->help, &error);
        fields[i].text = copy_str(
            c, f->type == PX_STATS_TEXT && !f->text ? "" : f->text, &error);
        fields[i].label = copy_str(c, f->label, &error);
        fields[i].label_value = copy_str(c, f->label_value, &error);
    }
    id_copy = arena_alloc(&c->arena, id->len + 1);
    if (error || !id_copy) {
        return ENOMEM;
    }
    memcpy((char *)id_copy, px_buf_cstr(id), id->len + 1);
    e = (uint32_t)c->n_entities;
    if ((error =
             smap_insert(&c->identity_map, &c->arena, id_copy, id->len, e))) {
        return error;
    }
    ent = &c->entities[e];
    *ent = (struct entity){kind, NONE, r->n_keys, keys, r->n_fields, fields};
    c->n_entities++;
    if (c->kinds[kind].last == NONE) {
        c->kinds[kind].first = e;
    } else {
        c->entities[c->kinds[kind].last].next = e;
    }
    c->kinds[kind].last = e;

    for (i = 0; i < r->n_fields && !error; i++) {
        if (fields[i].type == PX_STATS_TEXT) {
            if (!has_text) {
                has_text = 1;
                error = add_sample(c, e, NONE, &name);
            }
        } else {
            error = add_sample(c, e, (uint32_t)i, &name);
        }
    }
    px_buf_destroy(&name);
    return error;
}

int
stats_collection_add(struct stats_collection *c,
                     const struct px_stats_report *r, const char **why)
{
    struct member *members = NULL;
    uint32_t *order = NULL;
    struct px_buf id;
    uint32_t kind;
    size_t cost;
    int error;

    *why = "";
    if ((error = check_names(r, why))) {
        return error;
    }
    if (c->n_entities >= c->max_entities) {
        *why = "too many entities";
        return ENOSPC;
    }
    members = malloc((r->n_keys + r->n_fields + 1) * sizeof *members);
    order = malloc((2 * r->n_fields + 1) * sizeof *order);
    px_buf_init(&id, STATS_MAX_KEYS * (STATS_MAX_NAME + 32) + 1024 +
                         STATS_MAX_KEYS * (size_t)65536);
    if (!members || !order) {
        error = ENOMEM;
        goto out;
    }
    if ((error = check_members(r, members, order, why))) {
        goto out;
    }
    kind = smap_find(&c->kind_map, r->entity, strlen(r->entity));
    if ((error = check_families(c, r, kind, why))) {
        goto out;
    }
    if ((error = identity(r, &id))) {
        *why = "keys too long";
        error = error == ENOBUFS ? EINVAL : error;
        goto out;
    }
    if (smap_find(&c->identity_map, px_buf_cstr(&id), id.len) != NONE) {
        *why = "a second report for the same entity";
        error = EEXIST;
        goto out;
    }
    cost = report_cost(r, id.len);
    if (cost > c->max_bytes || c->bytes > c->max_bytes - cost) {
        *why = "collection too large";
        error = ENOSPC;
        goto out;
    }
    c->bytes += cost;
    error = commit(c, r, order, &id);
out:
    px_buf_destroy(&id);
    free(members);
    free(order);
    return error;
}

/* ---------------------------------------------------------------------- */
/* Renderers.                                                             */

static void
prom_label(struct px_buf *b, int *first, const char *name, const char *value)
{
    put_cstr(b, *first ? "{" : ",");
    *first = 0;
    put_cstr(b, name);
    put_cstr(b, "=\"");
    prom_escape(b, value, 1);
    put_cstr(b, "\"");
}

static void
prom_sample(struct px_buf *b, const struct stats_collection *c,
            const struct family *fam, const struct sample *s)
{
    const struct entity *e = &c->entities[s->entity];
    int first = 1;
    size_t i;

    put_cstr(b, fam->name);
    for (i = 0; i < e->n_keys; i++) {
        prom_label(b, &first, e->keys[i].name, e->keys[i].value);
    }
    if (s->field == NONE) {
        for (i = 0; i < e->n_fields; i++) {
            if (e->fields[i].type == PX_STATS_TEXT) {
                prom_label(b, &first, e->fields[i].name, e->fields[i].text);
            }
        }
    } else if (e->fields[s->field].label) {
        prom_label(b, &first, e->fields[s->field].label,
                   e->fields[s->field].label_value);
    }
    put_cstr(b, first ? " " : "} ");
    if (s->field == NONE) {
        put_cstr(b, "1");
    } else {
        prom_number(b, e->fields[s->field].value);
    }
    put_cstr(b, "\n");
}

int
stats_render_prometheus(const struct stats_collection *c, struct px_buf *out)
{
    static const char *const types[] = {"counter", "gauge", "gauge"};
    size_t i;

    for (i = 0; i < c->n_families && !out->error; i++) {
        const struct family *fam = &c->families[i];
        const char *kind = c->kinds[fam->kind].name;
        uint32_t s;

        put_cstr(out, "# HELP ");
        put_cstr(out, fam->name);
        put_cstr(out, " ");
        if (fam->type == FAM_INFO) {
            px_buf_printf(out, "Text attributes of each %s.", kind);
        } else if (fam->help) {
            prom_escape(out, fam->help, 0);
        } else {
            /* promtool wants a HELP line for every family. */
            px_buf_printf(out, "%s %s.", kind,
                          c->entities[c->samples[fam->first].entity]
                              .fields[c->samples[fam->first].field]
                              .name);
        }
        put_cstr(out, "\n# TYPE ");
        put_cstr(out, fam->name);
        put_cstr(out, " ");
        put_cstr(out, types[fam->type]);
        put_cstr(out, "\n");
        for (s = fam->first; s != NONE && !out->error;
             s = c->samples[s].next) {
            prom_sample(out, c, fam, &c->samples[s]);
        }
    }
    return out->error;
}

/* The JSON document is a jansson tree, dumped at the end.  Building it
 * allocates: any failure on the way is ENOMEM. */

/* 's' if it is valid UTF-8, else a copy in 'scratch' with each byte that
 * does not start a valid sequence replaced by U+FFFD: jansson takes only
 * UTF-8, and a reporter's text is whatever it sent.  NULL if out of
 * memory. */
static const char *
utf8(const char *s, struct px_buf *scratch)
{
    const unsigned char *p = (const unsigned char *)s;
    const unsigned char *run = p;
    int copying = 0;

    while (*p) {
        size_t n = *p < 0x80 ? 1 : px_utf8_len(p, (size_t)-1);

        if (n) {
            p += n;
            continue;
        }
        if (!copying) {
            copying = 1;
            px_buf_clear(scratch);
        }
        px_buf_put(scratch, run, (size_t)(p - run));
        put_cstr(scratch, REPLACEMENT_CHAR);
        p++;
        run = p;
    }
    if (!copying) {
        return s;
    }
    px_buf_put(scratch, run, (size_t)(p - run));
    return px_buf_error(scratch) ? NULL : px_buf_cstr(scratch);
}

static json_t *
doc_text(const char *s, struct px_buf *scratch)
{
    const char *clean = utf8(s, scratch);

    return clean ? json_string(clean) : NULL;
}

/* A sample value: integral values as JSON integers (as stats_format_number
 * writes them, without fraction), others as reals, non-finite ones as
 * null. */
static json_t *
doc_number(double v)
{
    if (isnan(v) || isinf(v)) {
        return json_null();
    }
    if (integral(v) && v >= -9223372036854775808.0 &&
        v < 9223372036854775808.0) {
        return json_integer((json_int_t)v);
    }
    return json_real(v);
}

/* Sets member 'key' of 'obj' to 'value', taking the reference (also when
 * 'value' is NULL, a failed allocation).  Returns 0 or ENOMEM. */
static int
doc_set(json_t *obj, const char *key, json_t *value, struct px_buf *scratch)
{
    const char *clean = utf8(key, scratch);

    if (!value || !clean || json_object_set_new(obj, clean, value)) {
        json_decref(value);
        return ENOMEM;
    }
    return 0;
}

static json_t *
doc_entity(const struct entity *e, struct px_buf *scratch)
{
    json_t *obj = json_object();
    int error = obj ? 0 : ENOMEM;
    size_t i, j;

    for (i = 0; i < e->n_keys && !error; i++) {
        error = doc_set(obj, e->keys[i].name,
                        doc_text(e->keys[i].value, scratch), scratch);
    }
    for (i = 0; i < e->n_fields && !error; i = j) {
        const struct px_stats_field *f = &e->fields[i];
        json_t *value;

        j = i + 1;
        if (f->type == PX_STATS_TEXT) {
            value = doc_text(f->text, scratch);
        } else if (!f->label) {
            value = doc_number(f->value);
        } else {
            /* A labelled group: its fields follow one another.  Label
             * values are distinct, but two that are not UTF-8 may become
             * the same key; the last one then wins. */
            value = json_object();
            for (j = i; value && !error && j < e->n_fields &&
                        !strcmp(e->fields[j].name, f->name);
                 j++) {
                error = doc_set(value, e->fields[j].label_value,
                                doc_number(e->fields[j].value), scratch);
            }
        }
        if (error) {
            json_decref(value);
        } else {
            error = doc_set(obj, f->name, value, scratch);
        }
    }
    if (error) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *
doc_reload(const struct stats_reload *r, struct px_buf *scratch)
{
    static const char *const outcomes[] = {"ok", "partial", "refused"};
    const struct {
        const char *key;
        json_t *value;
    } members[] = {
        {"id", json_integer(r->id)},
        {"time", doc_number(r->time)},
        {"outcome",
         json_string(r->outcome < 3 ? outcomes[r->outcome] : "unknown")},
        {"added", doc_text(r->added, scratch)},
        {"removed", doc_text(r->removed, scratch)},
        {"reloaded", doc_text(r->reloaded, scratch)},
        {"reconfigured", doc_text(r->reconfigured, scratch)},
        {"refused", doc_text(r->refused, scratch)},
        {"error", doc_text(r->error, scratch)},
    };
    json_t *obj = json_object();
    int error = obj ? 0 : ENOMEM;
    size_t i;

    for (i = 0; i < sizeof members / sizeof *members; i++) {
        if (error) {
            json_decref(members[i].value);
        } else {
            error = doc_set(obj, members[i].key, members[i].value, scratch);
        }
    }
    if (error) {
        json_decref(obj);
        return NULL;
    }
    return obj;
}

static json_t *
doc_build(const struct stats_collection *c, double collected_at,
          const struct stats_reload *reloads, size_t n_reloads,
          struct px_buf *scratch)
{
    json_t *doc = json_object();
    json_t *entities = json_object();
    json_t *history = json_array();
    int error = doc && entities && history ? 0 : ENOMEM;
    size_t i;

    for (i = 0; i < c->n_kinds && !error; i++) {
        json_t *list = json_array();
        uint32_t e;

        for (e = c->kinds[i].first; list && e != NONE;
             e = c->entities[e].next) {
            if (json_array_append_new(list,
                                      doc_entity(&c->entities[e], scratch))) {
                json_decref(list);
                list = NULL;
            }
        }
        error = doc_set(entities, c->kinds[i].name, list, scratch);
    }
    for (i = 0; i < n_reloads && !error; i++) {
        if (json_array_append_new(history, doc_reload(&reloads[i], scratch))) {
            error = ENOMEM;
        }
    }
    if (!error) {
        error =
            doc_set(doc, "collected_at", doc_number(collected_at), scratch);
    }
    if (!error) {
        error = doc_set(doc, "entities", json_incref(entities), scratch);
    }
    if (!error) {
        error = doc_set(doc, "reloads", json_incref(history), scratch);
    }
    json_decref(entities);
    json_decref(history);
    if (error) {
        json_decref(doc);
        return NULL;
    }
    return doc;
}

static int
dump_to_buf(const char *buffer, size_t size, void *b)
{
    return px_buf_put(b, buffer, size) ? -1 : 0;
}

int
stats_render_json(const struct stats_collection *c, double collected_at,
                  const struct stats_reload *reloads, size_t n_reloads,
                  struct px_buf *out)
{
    struct px_buf scratch = PX_BUF_INITIALIZER(SIZE_MAX);
    json_t *doc;

    if (out->error) {
        return out->error;
    }
    doc = doc_build(c, collected_at, reloads, n_reloads, &scratch);
    px_buf_destroy(&scratch);
    if (!doc) {
        return ENOMEM;
    }
    /* Compact, one line: the tools that read it parse it anyway. */
    if (json_dump_callback(doc, dump_to_buf, out,
                           JSON_COMPACT | JSON_PRESERVE_ORDER)) {
        out->error = out->error ? out->error : ENOMEM;
    }
    json_decref(doc);
    px_buf_put(out, "\n", 1);
    return out->error;
}
