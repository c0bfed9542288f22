/*
 * natskv: a tiny NATS JetStream key-value client for the tests, which read
 * and write the buckets that Plexus keeps in a NATS cluster
 * (tests/natscluster.py runs the cluster).  Debian ships no `nats` CLI and
 * the servers' monitoring endpoints show stream state but not messages, so
 * the tests need this to assert what a bucket holds.
 *
 * Usage: natskv URLS COMMAND ARGS...
 *   URLS is a comma-separated list, e.g. nats://127.0.0.1:4222,nats://...
 *   create-bucket BUCKET REPLICAS [TTL_MS]  file storage, history 1
 *   put BUCKET KEY VALUE   prints "rev N"
 *   get BUCKET KEY         prints "rev N" then the value on the next line,
 *                          or "absent" (deleted, purged, expired, never set)
 *   del BUCKET KEY         puts a delete marker
 *   keys BUCKET            prints one key a line (none for an empty bucket)
 *   watch BUCKET           prints "REV OP KEY VALUE" for every entry (the
 *                          current ones first, then a line "caught-up", then
 *                          each change) until it is killed; OP is PUT, DEL
 *                          or PURGE; VALUE is empty for DEL and PURGE.
 *
 * Values are printed with every byte outside printable ASCII, and the
 * backslash, as \xHH, so that one entry is always one line.
 *
 * The JetStream request timeout is 5 s, or NATSKV_TIMEOUT_MS.  Exit status:
 * 0 done, 1 bad usage, 2 a NATS error (with a message on stderr).
 */
#include <errno.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <nats/nats.h>

#define MAX_SERVERS 16

static const char *progname = "natskv";

static void
usage(void)
{
    fprintf(stderr,
            "usage: %s URLS create-bucket BUCKET REPLICAS [TTL_MS]\n"
            "       %s URLS put BUCKET KEY VALUE\n"
            "       %s URLS get BUCKET KEY\n"
            "       %s URLS del BUCKET KEY\n"
            "       %s URLS keys BUCKET\n"
            "       %s URLS watch BUCKET\n",
            progname, progname, progname, progname, progname, progname);
    exit(1);
}

/* Reports a failed NATS call, with the library's own explanation when it
 * has one, and exits: a test that sees status 2 knows NATS said no. */
static void
die_nats(const char *what, const char *bucket, natsStatus s)
{
    const char *detail = nats_GetLastError(NULL);

    fprintf(stderr, "%s: %s%s%s: %s%s%s\n", progname, what, bucket ? " " : "",
            bucket ? bucket : "", natsStatus_GetText(s),
            detail && *detail ? ": " : "", detail ? detail : "");
    exit(2);
}

static long long
parse_num(const char *s, const char *what, long long min, long long max)
{
    char *end;
    long long v;

    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max) {
        fprintf(stderr, "%s: bad %s '%s'\n", progname, what, s);
        exit(1);
    }
    return v;
}

static void
print_value(const void *data, int len)
{
    const unsigned char *p = data;

    for (int i = 0; i < len; i++) {
        if (p[i] >= 0x20 && p[i] < 0x7f && p[i] != '\\')
            putchar(p[i]);
        else
            printf("\\x%02x", p[i]);
    }
}

/* natsOptions_SetURL takes one URL; a list must be split for SetServers. */
static natsStatus
set_servers(natsOptions *opts, const char *urls)
{
    const char *servers[MAX_SERVERS];
    char *copy = strdup(urls), *save = NULL, *tok;
    int n = 0;
    natsStatus s;

    if (!copy) {
        fprintf(stderr, "%s: out of memory\n", progname);
        exit(2);
    }
    for (tok = strtok_r(copy, ",", &save); tok;
         tok = strtok_r(NULL, ",", &save)) {
        if (n == MAX_SERVERS) {
            fprintf(stderr, "%s: more than %d URLs\n", progname, MAX_SERVERS);
            exit(1);
        }
        servers[n++] = tok;
    }
    if (n == 0)
        usage();
    s = natsOptions_SetServers(opts, servers, n);
    free(copy);
    return s;
}

static const char *
op_name(kvOperation op)
{
    switch (op) {
    case kvOp_Put:
        return "PUT";
    case kvOp_Delete:
        return "DEL";
    case kvOp_Purge:
        return "PURGE";
    default:
        return "UNKNOWN";
    }
}

/* The watch loop never returns: it runs until the test kills it. */
static void
watch(kvStore *kv)
{
    kvWatcher *w = NULL;
    natsStatus s = kvStore_WatchAll(&w, kv, NULL);

    if (s != NATS_OK)
        die_nats("watch", kvStore_Bucket(kv), s);
    for (;;) {
        kvEntry *e = NULL;

        /* A timeout only means nothing changed for a second; the library
         * keeps reconnecting underneath, so keep waiting. */
        s = kvWatcher_Next(&e, w, 1000);
        if (s == NATS_TIMEOUT)
            continue;
        if (s != NATS_OK)
            die_nats("watch", kvStore_Bucket(kv), s);
        if (e == NULL) {
            printf("caught-up\n");
        } else {
            printf("%" PRIu64 " %s %s ", kvEntry_Revision(e),
                   op_name(kvEntry_Operation(e)), kvEntry_Key(e));
            print_value(kvEntry_Value(e), kvEntry_ValueLen(e));
            putchar('\n');
            kvEntry_Destroy(e);
        }
        fflush(stdout);
    }
}

int
main(int argc, char **argv)
{
    natsOptions *opts = NULL;
    natsConnection *nc = NULL;
    jsCtx *js = NULL;
    jsOptions jso;
    kvStore *kv = NULL;
    const char *urls, *cmd, *bucket, *env;
    natsStatus s;

    if (argc < 4)
        usage();
    urls = argv[1];
    cmd = argv[2];
    bucket = argv[3];

    s = natsOptions_Create(&opts);
    if (s == NATS_OK)
        s = set_servers(opts, urls);
    if (s == NATS_OK)
        s = natsOptions_SetTimeout(opts, 2000);
    /* A watcher outlives the loss of the server it is connected to. */
    if (s == NATS_OK)
        s = natsOptions_SetMaxReconnect(opts, -1);
    if (s == NATS_OK)
        s = natsOptions_SetReconnectWait(opts, 100);
    if (s != NATS_OK)
        die_nats("options", NULL, s);
    s = natsConnection_Connect(&nc, opts);
    if (s != NATS_OK)
        die_nats("connect", NULL, s);

    jsOptions_Init(&jso);
    env = getenv("NATSKV_TIMEOUT_MS");
    if (env && *env)
        jso.Wait = parse_num(env, "NATSKV_TIMEOUT_MS", 1, 3600000);
    s = natsConnection_JetStream(&js, nc, &jso);
    if (s != NATS_OK)
        die_nats("jetstream", NULL, s);

    if (!strcmp(cmd, "create-bucket")) {
        kvConfig cfg;

        if (argc != 5 && argc != 6)
            usage();
        kvConfig_Init(&cfg);
        cfg.Bucket = bucket;
        cfg.History = 1;
        cfg.StorageType = js_FileStorage;
        cfg.Replicas = (int)parse_num(argv[4], "REPLICAS", 1, 5);
        /* kvConfig.TTL is in nanoseconds. */
        if (argc == 6)
            cfg.TTL = parse_num(argv[5], "TTL_MS", 100, INT64_MAX / 1000000) *
                      1000000;
        s = js_CreateKeyValue(&kv, js, &cfg);
        if (s != NATS_OK)
            die_nats("create-bucket", bucket, s);
    } else {
        s = js_KeyValue(&kv, js, bucket);
        if (s != NATS_OK)
            die_nats("bucket", bucket, s);
    }

    if (!strcmp(cmd, "create-bucket")) {
        /* Done above. */
    } else if (!strcmp(cmd, "put")) {
        uint64_t rev = 0;

        if (argc != 6)
            usage();
        s = kvStore_PutString(&rev, kv, argv[4], argv[5]);
        if (s != NATS_OK)
            die_nats("put", bucket, s);
        printf("rev %" PRIu64 "\n", rev);
    } else if (!strcmp(cmd, "get")) {
        kvEntry *e = NULL;

        if (argc != 5)
            usage();
        s = kvStore_Get(&e, kv, argv[4]);
        if (s == NATS_NOT_FOUND) {
            printf("absent\n");
        } else if (s != NATS_OK) {
            die_nats("get", bucket, s);
        } else {
            printf("rev %" PRIu64 "\n", kvEntry_Revision(e));
            print_value(kvEntry_Value(e), kvEntry_ValueLen(e));
            putchar('\n');
            kvEntry_Destroy(e);
        }
    } else if (!strcmp(cmd, "del")) {
        if (argc != 5)
            usage();
        s = kvStore_Delete(kv, argv[4]);
        if (s != NATS_OK)
            die_nats("del", bucket, s);
    } else if (!strcmp(cmd, "keys")) {
        kvKeysList keys = {0};

        if (argc != 4)
            usage();
        s = kvStore_Keys(&keys, kv, NULL);
        /* An empty bucket is not an error for the tests. */
        if (s != NATS_OK && s != NATS_NOT_FOUND)
            die_nats("keys", bucket, s);
        for (int i = 0; i < keys.Count; i++)
            printf("%s\n", keys.Keys[i]);
        kvKeysList_Destroy(&keys);
    } else if (!strcmp(cmd, "watch")) {
        if (argc != 4)
            usage();
        watch(kv);
    } else {
        usage();
    }

    fflush(stdout);
    kvStore_Destroy(kv);
    jsCtx_Destroy(js);
    natsConnection_Destroy(nc);
    natsOptions_Destroy(opts);
    nats_CloseAndWait(2000);
    return ferror(stdout) ? 2 : 0;
}
