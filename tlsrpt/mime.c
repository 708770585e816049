/* Mail messages and mboxes (GMime 3): the TLS-RPT parts of each message, decoded. */
#include <gmime/gmime.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "tlsrpt/extract.h"

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
    g_mime_init();
}

/* Whether a part holds a report: application/tlsrpt+gzip and application/tlsrpt+json (RFC
 * 8460 5.3); and, tolerated with a note, the generic types some reporters send with a
 * report-looking file name (application/gzip, application/json, application/zip,
 * application/octet-stream, application/x-gzip with .json, .gz or .zip). */
static int report_part(GMimePart *part, const char **quirk)
{
    GMimeContentType *ct = g_mime_object_get_content_type(GMIME_OBJECT(part));
    const char *type = ct ? g_mime_content_type_get_media_type(ct) : NULL;
    const char *sub = ct ? g_mime_content_type_get_media_subtype(ct) : NULL;
    *quirk = NULL;
    if (!type || !sub || strcasecmp(type, "application"))
        return 0;
    if (!strcasecmp(sub, "tlsrpt+gzip") || !strcasecmp(sub, "tlsrpt+json"))
        return 1;
    static const char *const generic[] = {"gzip", "x-gzip",           "json",
                                          "zip",  "x-zip-compressed", "octet-stream"};
    bool is_generic = false;
    for (size_t i = 0; i < sizeof generic / sizeof generic[0]; i++)
        is_generic |= !strcasecmp(sub, generic[i]);
    const char *fn = g_mime_part_get_filename(part);
    if (!is_generic || !fn)
        return 0;
    size_t n = strlen(fn);
    bool looks = (n > 5 && !strcasecmp(fn + n - 5, ".json")) ||
                 (n > 3 && !strcasecmp(fn + n - 3, ".gz")) ||
                 (n > 4 && !strcasecmp(fn + n - 4, ".zip"));
    if (!looks)
        return 0;
    *quirk = "a report attached with a generic media type (RFC 8460 5.3 says "
             "application/tlsrpt+gzip or +json)";
    return 1;
}

struct walk {
    const struct tlsrpt_sink *sink;
    const char *name;
    int found, parts;
};

static void walk_part(struct walk *w, GMimeObject *obj, int depth)
{
    if (!obj || ++w->parts > TLSRPT_MAX_MIME_PARTS)
        return;
    if (depth > TLSRPT_MAX_MIME_DEPTH) {
        w->sink->reject(w->sink->arg, w->name, "MIME structure nested too deep");
        return;
    }
    if (GMIME_IS_MULTIPART(obj)) {
        GMimeMultipart *mp = GMIME_MULTIPART(obj);
        int n = g_mime_multipart_get_count(mp);
        for (int i = 0; i < n; i++)
            walk_part(w, g_mime_multipart_get_part(mp, i), depth + 1);
        return;
    }
    if (GMIME_IS_MESSAGE_PART(obj)) {
        GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
        if (m)
            walk_part(w, g_mime_message_get_mime_part(m), depth + 1);
        return;
    }
    if (!GMIME_IS_PART(obj))
        return;
    GMimePart *part = GMIME_PART(obj);
    const char *quirk = NULL;
    if (!report_part(part, &quirk))
        return;
    w->found++;
    const char *fn = g_mime_part_get_filename(part);
    char pname[512];
    snprintf(pname, sizeof pname, "%s: part %d%s%.200s%s", w->name, w->found, fn ? " (" : "",
             fn ? fn : "", fn ? ")" : "");
    if (quirk && w->sink->note)
        w->sink->note(w->sink->arg, pname, quirk);
    GMimeDataWrapper *content = g_mime_part_get_content(part);
    if (!content) {
        w->sink->reject(w->sink->arg, pname, "the report part is empty");
        return;
    }
    GMimeStream *mem = g_mime_stream_mem_new();
    /* Decodes base64 / quoted-printable. Decoded bytes are at most the encoded ones, and
     * the message itself is capped (TLSRPT_MAX_INPUT_BYTES). */
    if (g_mime_data_wrapper_write_to_stream(content, mem) < 0) {
        w->sink->reject(w->sink->arg, pname, "cannot decode the report part");
    } else {
        GByteArray *a = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(mem));
        if (!a || a->len == 0)
            w->sink->reject(w->sink->arg, pname, "the report part is empty");
        else
            tlsrpt_extract_payload(w->sink, pname, (const char *)a->data, a->len);
    }
    g_object_unref(mem);
}

static int extract_gmessage(const struct tlsrpt_sink *sink, const char *name, GMimeMessage *msg)
{
    struct walk w = {sink, name, 0, 0};
    walk_part(&w, g_mime_message_get_mime_part(msg), 0);
    return w.found;
}

int tlsrpt_extract_message(const struct tlsrpt_sink *sink, const char *name, const char *data,
                           size_t len)
{
    pthread_once(&gmime_once, gmime_start);
    if (len > TLSRPT_MAX_INPUT_BYTES) {
        sink->reject(sink->arg, name, "message larger than the input cap");
        return 0;
    }
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
    int found = 0;
    if (msg) {
        found = extract_gmessage(sink, name, msg);
        g_object_unref(msg);
    }
    g_object_unref(p);
    g_object_unref(s);
    return found;
}

/* The messages of an mbox stream, one at a time (GMime keeps one message in memory). */
static void extract_mbox_stream(const struct tlsrpt_sink *sink, const char *name, GMimeStream *s,
                                size_t *n_messages, size_t *n_without)
{
    GMimeParser *p = g_mime_parser_new_with_stream(s);
    g_mime_parser_set_format(p, GMIME_FORMAT_MBOX);
    *n_messages = *n_without = 0;
    while (!g_mime_parser_eos(p)) {
        GMimeMessage *msg = g_mime_parser_construct_message(p, NULL);
        if (!msg)
            break;
        (*n_messages)++;
        char mname[512];
        snprintf(mname, sizeof mname, "%s: message %zu", name, *n_messages);
        if (extract_gmessage(sink, mname, msg) == 0)
            (*n_without)++;
        g_object_unref(msg);
    }
    g_object_unref(p);
}

void tlsrpt_extract_mbox(const struct tlsrpt_sink *sink, const char *name, const char *data,
                         size_t len, size_t *n_messages, size_t *n_without)
{
    pthread_once(&gmime_once, gmime_start);
    GMimeStream *s = g_mime_stream_mem_new_with_buffer(data, len);
    extract_mbox_stream(sink, name, s, n_messages, n_without);
    g_object_unref(s);
}

void tlsrpt_extract_mbox_fd(const struct tlsrpt_sink *sink, const char *name, int fd,
                            size_t *n_messages, size_t *n_without)
{
    pthread_once(&gmime_once, gmime_start);
    GMimeStream *s = g_mime_stream_fs_new(fd); /* owns fd: closes it */
    extract_mbox_stream(sink, name, s, n_messages, n_without);
    g_object_unref(s);
}
