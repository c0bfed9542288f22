/*
 * Text tables for people: columns with titles, rows of cells, laid out with
 * computed widths two spaces apart.  The host's built-in commands and the
 * plugins' own commands (px_command_register) write their tables with it,
 * so that everything "plexusctl" prints lines up the same way.
 *
 * Header-only, in C99 and the C library alone (and plugin.h, for
 * px_reply_table), so that a plugin needs nothing more to use it.  Cells
 * that come from the network (a port name a switch announced) cannot
 * break the layout: control characters become '?', and a cell is cut to
 * PX_TABLE_CELL_MAX characters with "...".
 *
 * Ownership: a table owns copies of its titles and cells until
 * px_table_clear; px_table_render returns a string the caller frees.  Out
 * of memory is sticky: the table stops changing and px_table_render says
 * ENOMEM, so callers check once, at the end.
 */
#ifndef PLEXUS_TABLE_H
#define PLEXUS_TABLE_H 1

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plexus/plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Longest cell, in characters, before it is cut. */
#define PX_TABLE_CELL_MAX 96

enum px_table_align {
    PX_TABLE_LEFT,  /* Text. */
    PX_TABLE_RIGHT, /* Numbers. */
};

/* Zero-initialise (or px_table_init), add columns, then rows. */
struct px_table {
    char **titles;
    unsigned char *align; /* enum px_table_align, per column. */
    size_t n_columns;
    char **cells; /* n_rows * n_columns, row-major; NULL: missing. */
    size_t n_rows;
    size_t cap_rows;
    size_t truncated; /* Cells cut to PX_TABLE_CELL_MAX. */
    int error;        /* Sticky: ENOMEM, or EINVAL for a late column. */
};

static inline void
px_table_init(struct px_table *t)
{
    memset(t, 0, sizeof *t);
}

/* Frees what the table holds; it can be used again.  Accepts NULL. */
static inline void
px_table_clear(struct px_table *t)
{
    size_t i;

    if (!t) {
        return;
    }
    for (i = 0; i < t->n_rows * t->n_columns; i++) {
        free(t->cells[i]);
    }
    for (i = 0; i < t->n_columns; i++) {
        free(t->titles[i]);
    }
    free(t->cells);
    free(t->titles);
    free(t->align);
    px_table_init(t);
}

/* Characters on the screen: UTF-8 continuation bytes take no column. */
static inline size_t
px_table_width(const char *s)
{
    size_t w = 0;

    for (; *s; s++) {
        w += ((unsigned char)*s & 0xc0) != 0x80;
    }
    return w;
}

/* A copy of 's' with control characters replaced, cut to
 * PX_TABLE_CELL_MAX characters (never inside a UTF-8 sequence) with "..."
 * at the end; NULL when out of memory. */
static inline char *
px_table_clean(const char *s, int *cut)
{
    size_t len = strlen(s), i, width = 0, n = 0;
    char *copy = (char *)malloc(len + 4);

    *cut = px_table_width(s) > PX_TABLE_CELL_MAX;
    if (!copy) {
        return NULL;
    }
    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];

        if ((c & 0xc0) != 0x80 && *cut && ++width > PX_TABLE_CELL_MAX - 3) {
            memcpy(copy + n, "...", 3);
            n += 3;
            break;
        }
        copy[n++] = c < 0x20 || c == 0x7f ? '?' : (char)c;
    }
    copy[n] = '\0';
    return copy;
}

/* Adds a column; all columns come before the first row. */
static inline void
px_table_column(struct px_table *t, const char *title,
                enum px_table_align align)
{
    char **titles;
    unsigned char *aligns;
    int cut;

    if (t->error) {
        return;
    }
    if (t->n_rows) {
        t->error = EINVAL;
        return;
    }
    titles = (char **)realloc(t->titles, (t->n_columns + 1) * sizeof *titles);
    if (titles) {
        t->titles = titles;
    }
    aligns = (unsigned char *)realloc(t->align, t->n_columns + 1);
    if (aligns) {
        t->align = aligns;
    }
    if (!titles || !aligns ||
        !(t->titles[t->n_columns] = px_table_clean(title, &cut))) {
        t->error = ENOMEM;
        return;
    }
    t->align[t->n_columns] = (unsigned char)align;
    t->n_columns++;
}

/* Starts a row whose cells are all missing (shown as "-"). */
static inline void
px_table_row(struct px_table *t)
{
    size_t i;

    if (t->error) {
        return;
    }
    if (!t->n_columns) {
        t->error = EINVAL;
        return;
    }
    if (t->n_rows == t->cap_rows) {
        size_t cap = t->cap_rows ? 2 * t->cap_rows : 16;
        char **cells;

        if (cap > SIZE_MAX / sizeof *cells / t->n_columns) {
            t->error = ENOMEM;
            return;
        }
        cells = (char **)realloc(t->cells, cap * t->n_columns * sizeof *cells);
        if (!cells) {
            t->error = ENOMEM;
            return;
        }
        t->cells = cells;
        t->cap_rows = cap;
    }
    for (i = 0; i < t->n_columns; i++) {
        t->cells[t->n_rows * t->n_columns + i] = NULL;
    }
    t->n_rows++;
}

/* Sets a cell of the last row; NULL or "" leaves it missing.  Ignored
 * without a row or beyond the last column. */
static inline void
px_table_set(struct px_table *t, size_t column, const char *text)
{
    char **cell;
    char *copy = NULL;
    int cut = 0;

    if (t->error || !t->n_rows || column >= t->n_columns) {
        return;
    }
    if (text && text[0]) {
        copy = px_table_clean(text, &cut);
        if (!copy) {
            t->error = ENOMEM;
            return;
        }
        t->truncated += (size_t)cut;
    }
    cell = &t->cells[(t->n_rows - 1) * t->n_columns + column];
    free(*cell);
    *cell = copy;
}

__attribute__((format(printf, 3, 4))) static inline void
px_table_setf(struct px_table *t, size_t column, const char *fmt, ...)
{
    char small[64], *text = small;
    va_list args;
    int n;

    va_start(args, fmt);
    n = vsnprintf(small, sizeof small, fmt, args);
    va_end(args);
    if (n < 0) {
        return;
    }
    if ((size_t)n >= sizeof small) {
        text = (char *)malloc((size_t)n + 1);
        if (!text) {
            t->error = ENOMEM;
            return;
        }
        va_start(args, fmt);
        vsnprintf(text, (size_t)n + 1, fmt, args);
        va_end(args);
    }
    px_table_set(t, column, text);
    if (text != small) {
        free(text);
    }
}

/* Lays the table out: the titles, then one line per row, each line
 * prefixed with 'indent' (may be NULL), columns two spaces apart, numbers
 * right-aligned, no blanks at the ends of lines.  Stores a NUL-terminated
 * string the caller frees in '*out'.  Returns 0, or the sticky error
 * (ENOMEM; EINVAL for a column added after a row). */
static inline int
px_table_render(const struct px_table *t, const char *indent, char **out)
{
    size_t *widths, r, c, total = 0, n = 0, ind = indent ? strlen(indent) : 0;
    char *s;

    *out = NULL;
    if (t->error) {
        return t->error;
    }
    widths = (size_t *)calloc(t->n_columns ? t->n_columns : 1, sizeof *widths);
    if (!widths) {
        return ENOMEM;
    }
    for (c = 0; c < t->n_columns; c++) {
        widths[c] = px_table_width(t->titles[c]);
        for (r = 0; r < t->n_rows; r++) {
            const char *cell = t->cells[r * t->n_columns + c];
            size_t w = cell ? px_table_width(cell) : 1;

            widths[c] = w > widths[c] ? w : widths[c];
        }
    }
    /* Bytes, not characters: a cell's bytes plus its padding is at most
     * its length plus the column's width. */
    for (r = 0; r <= t->n_rows; r++) {
        total += ind + 1;
        for (c = 0; c < t->n_columns; c++) {
            const char *cell =
                !r ? t->titles[c] : t->cells[(r - 1) * t->n_columns + c];

            total += 2 + widths[c] + (cell ? strlen(cell) : 1);
        }
    }
    s = (char *)malloc(total + 1);
    if (!s) {
        free(widths);
        return ENOMEM;
    }
    for (r = 0; r <= t->n_rows; r++) {
        memcpy(s + n, indent ? indent : "", ind);
        n += ind;
        for (c = 0; c < t->n_columns; c++) {
            const char *cell =
                !r ? t->titles[c] : t->cells[(r - 1) * t->n_columns + c];
            const char *text = cell ? cell : "-";
            size_t w = px_table_width(text), len = strlen(text);
            size_t pad = widths[c] > w ? widths[c] - w : 0;

            if (c) {
                memcpy(s + n, "  ", 2);
                n += 2;
            }
            if (t->align[c] == PX_TABLE_RIGHT) {
                memset(s + n, ' ', pad);
                n += pad;
            }
            memcpy(s + n, text, len);
            n += len;
            if (t->align[c] != PX_TABLE_RIGHT && c + 1 < t->n_columns) {
                memset(s + n, ' ', pad);
                n += pad;
            }
        }
        s[n++] = '\n';
    }
    s[n] = '\0';
    free(widths);
    *out = s;
    return 0;
}

/* Formats a duration as a cell: "12s", "4m07s", "2h05m" or "3d04h"; "-"
 * for a negative or non-finite one.  Returns 'buf'. */
static inline const char *
px_table_age(double seconds, char *buf, size_t size)
{
    unsigned long long s;

    if (!(seconds >= 0) || seconds > 1e15) {
        snprintf(buf, size, "-");
        return buf;
    }
    s = (unsigned long long)seconds;
    if (s < 60) {
        snprintf(buf, size, "%llus", s);
    } else if (s < 3600) {
        snprintf(buf, size, "%llum%02llus", s / 60, s % 60);
    } else if (s < 86400) {
        snprintf(buf, size, "%lluh%02llum", s / 3600, s % 3600 / 60);
    } else {
        snprintf(buf, size, "%llud%02lluh", s / 86400, s % 86400 / 3600);
    }
    return buf;
}

/* Appends the rendered table to a command's reply and clears the table.
 * A table without rows is the line 'empty' instead, unless 'empty' is
 * NULL or the table failed (then it may have lost its rows).  A table
 * that cannot be rendered is a line saying why, so that the rest of the
 * reply still reaches the operator; the error is returned as well, for a
 * command that would rather fail. */
static inline int
px_reply_table(struct px_reply *r, struct px_table *t, const char *empty)
{
    char *text;
    int error = 0;

    if (!t->n_rows && empty && !t->error) {
        px_reply_printf(r, "%s\n", empty);
    } else if ((error = px_table_render(t, NULL, &text))) {
        px_reply_printf(r, "(table not shown: %s)\n", strerror(error));
    } else {
        px_reply_printf(r, "%s", text);
        free(text);
    }
    px_table_clear(t);
    return error;
}

#ifdef __cplusplus
}
#endif

#endif /* PLEXUS_TABLE_H */
