/*
 * libFuzzer target for the control socket's protocol (host/ctl_proto.c),
 * which reads whatever a local client writes to plexusd's socket, and for
 * the text the daemon builds from what switches and routers send (tables,
 * reload outcomes) on its way to an operator's terminal.
 *
 * Each input is used four ways:
 *  - whole, as a request line.  libFuzzer's buffer has exactly 'size' bytes
 *    and no NUL, so ASan catches any read past it.  A parsed request must
 *    hold a valid argv; a refused one must say why in printable ASCII.
 *    Either way the reply the daemon would send (a result whose text is the
 *    input itself, or the error) must be one line and parse back, with the
 *    text intact where it was UTF-8;
 *  - whole, as a response line, as plexusctl reads it: on success exactly
 *    one of text and error;
 *  - split at NUL bytes into the fields of a reload outcome and the cells
 *    of a table, printed through the terminal filter: nothing but line
 *    feeds among the control characters, whatever the fields held.
 *
 * Build: make build/fuzz/fuzz_ctlsock
 * Run:   build/fuzz/fuzz_ctlsock -max_total_time=60 \
 *            build/fuzz/work-fuzz_ctlsock tests/fuzz/corpus/ctlsock
 */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl_proto.h"
#include "fuzzcheck.h"
#include "plexus/table.h"

#define MAX_FIELDS 8

/* An encoded line: its only line feed is its last byte, no NUL. */
static void
check_line(const char *line, size_t len)
{
    check(len > 0 && line[len - 1] == '\n');
    check(!memchr(line, '\n', len - 1));
    check(strlen(line) == len);
}

static void
check_printable(const char *why)
{
    for (; *why; why++) {
        check(*why >= 0x20 && *why < 0x7f);
    }
}

static void
fuzz_request(const uint8_t *data, size_t size)
{
    struct px_ctl_request req;
    struct px_ctl_response resp;
    char *copy = copy_input(data, size);
    char why[256] = "", *line;
    size_t len, i;
    int error;

    error = px_ctl_request_parse(copy, size, &req, why, sizeof why);
    check(error == 0 || error == EINVAL || error == ENOMEM);
    if (error) {
        check(why[0] != '\0' && !req.argv);
        check_printable(why);
        check(!px_ctl_encode_error(req.id, why, &line, &len));
        check_line(line, len);
        check(!px_ctl_response_parse(line, len - 1, &resp, why, sizeof why));
        check(resp.error && !resp.text);
        px_ctl_response_clear(&resp);
        free(line);
    } else {
        check(req.id && !json_is_null(req.id));
        check(req.argc >= 1 && req.argc <= PX_CTL_MAX_PARAMS + 1);
        check(req.argv[0] == req.method && !req.argv[req.argc]);
        check(strlen(req.method) >= 1 &&
              strlen(req.method) <= PX_CTL_MAX_METHOD);
        for (i = 0; i < req.argc; i++) {
            check(req.argv[i] != NULL);
        }
        /* The daemon's answer, with the input as its text and data. */
        check(!px_ctl_encode_result(req.id, copy, size, req.id, &line, &len));
        check_line(line, len);
        check(!px_ctl_response_parse(line, len - 1, &resp, why, sizeof why));
        check(resp.text && !resp.error && resp.id);
        check(json_equal(resp.id, req.id));
        /* The input parsed as JSON, so it was UTF-8 and comes back whole
         * unless it held a NUL (never: jansson refused it). */
        check(resp.text_len == size && !memcmp(resp.text, copy, size));
        px_ctl_response_clear(&resp);
        free(line);
    }
    px_ctl_request_clear(&req);
    check(!req.argv && !req.id);

    /* Any bytes as a reply's text: one line, and back as UTF-8. */
    check(!px_ctl_encode_result(NULL, copy, size, NULL, &line, &len));
    check_line(line, len);
    check(!px_ctl_response_parse(line, len - 1, &resp, why, sizeof why));
    check(resp.text && resp.text_len >= size);
    check(!memchr(resp.text, '\0', resp.text_len));
    px_ctl_response_clear(&resp);
    free(line);
    free(copy);
}

static void
fuzz_response(const uint8_t *data, size_t size)
{
    struct px_ctl_response resp;
    char *copy = copy_input(data, size);
    char why[256] = "";
    int error;

    error = px_ctl_response_parse(copy, size, &resp, why, sizeof why);
    check(error == 0 || error == EINVAL);
    if (error) {
        check(why[0] != '\0' && !resp.text && !resp.error && !resp.data &&
              !resp.id);
        check_printable(why);
    } else {
        check(!resp.text != !resp.error);
        check(!resp.text || strlen(resp.text) <= resp.text_len);
        check(!resp.data || resp.text);
    }
    px_ctl_response_clear(&resp);
    free(copy);
}

/* Nothing but line feeds among the control characters. */
static void
check_clean(const char *text, size_t len)
{
    size_t i;

    for (i = 0; i < len; i++) {
        unsigned char c = (unsigned char)text[i];

        check(c == '\n' || (c >= 0x20 && c != 0x7f));
    }
}

static void
fuzz_output(const uint8_t *data, size_t size)
{
    char *fields[MAX_FIELDS] = {NULL};
    struct px_ctl_reload_text r;
    struct px_table t;
    struct px_buf s = PX_BUF_INITIALIZER(SIZE_MAX);
    size_t n = 0, start = 0, i, out_len = 0;
    char *out = NULL, *table;
    FILE *f;

    /* NUL-separated fields, each its own exact allocation. */
    while (n < MAX_FIELDS && start <= size) {
        const uint8_t *nul =
            start < size ? memchr(data + start, '\0', size - start) : NULL;
        size_t end = nul ? (size_t)(nul - data) : size;

        fields[n] = malloc(end - start + 1);
        check(fields[n] != NULL);
        memcpy(fields[n], data + start, end - start);
        fields[n][end - start] = '\0';
        n++;
        start = end + 1;
        if (!nul) {
            break;
        }
    }

    memset(&r, 0, sizeof r);
    r.id = (unsigned int)size;
    r.outcome = (int)(size % 5) - 1;
    r.added = n > 0 ? fields[0] : NULL;
    r.removed = n > 1 ? fields[1] : NULL;
    r.reloaded = n > 2 ? fields[2] : NULL;
    r.reconfigured = n > 3 ? fields[3] : NULL;
    r.refused = n > 4 ? fields[4] : NULL;
    r.error = n > 5 ? fields[5] : NULL;
    px_ctl_format_reload(&s, &r);
    check(!px_buf_error(&s) && s.len && s.data[s.len - 1] == '\n');

    px_table_init(&t);
    px_table_column(&t, n > 6 ? fields[6] : "A", PX_TABLE_LEFT);
    px_table_column(&t, "B", PX_TABLE_RIGHT);
    px_table_column(&t, "C", PX_TABLE_LEFT);
    for (i = 0; i < n; i++) {
        if (i % 3 == 0) {
            px_table_row(&t);
        }
        px_table_set(&t, i % 3, fields[i]);
    }
    check(px_table_render(&t, "  ", &table) == 0);
    /* The table cleans its cells itself: only its line ends remain. */
    check_clean(table, strlen(table));
    px_table_clear(&t);

    f = open_memstream(&out, &out_len);
    check(f != NULL);
    px_ctl_put_text(f, px_buf_cstr(&s), s.len);
    px_ctl_put_text(f, table, strlen(table));
    fclose(f);
    check(out_len == s.len + strlen(table));
    check_clean(out, out_len);
    free(out);
    free(table);
    px_buf_destroy(&s);

    for (i = 0; i < n; i++) {
        free(fields[i]);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    fuzz_request(data, size);
    fuzz_response(data, size);
    fuzz_output(data, size);
    return 0;
}
