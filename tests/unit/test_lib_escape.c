/* Unit suite for lib/escape.c and lib/sbuf.c: JSON, CSV and HTML escaping of hostile bytes. */
#include <stdio.h>
#include <string.h>

#include "lib/escape.h"
#include "lib/sbuf.h"
#include "tests/unit/tap.h"

static void json_case(const char *in, size_t len, const char *want, const char *name)
{
    struct sbuf b = SBUF_INIT;
    esc_json(&b, in, len);
    TAP_STR_EQ(sbuf_str(&b), want, name);
    sbuf_free(&b);
}

static void csv_case(const char *in, const char *want, const char *name)
{
    struct sbuf b = SBUF_INIT;
    esc_csv(&b, in);
    TAP_STR_EQ(sbuf_str(&b), want, name);
    sbuf_free(&b);
}

static void text_case(const char *in, const char *want, const char *name)
{
    struct sbuf b = SBUF_INIT;
    esc_text(&b, in);
    TAP_STR_EQ(sbuf_str(&b), want, name);
    sbuf_free(&b);
}

static void html_case(const char *in, const char *want, const char *name)
{
    struct sbuf b = SBUF_INIT;
    esc_html(&b, in);
    TAP_STR_EQ(sbuf_str(&b), want, name);
    sbuf_free(&b);
}

int main(void)
{
    TAP_PLAN(45);
    json_case("plain", 5, "\"plain\"", "json: plain text is quoted");
    json_case("a\"b\\c", 5, "\"a\\\"b\\\\c\"", "json: quote and backslash escaped");
    json_case("a\r\nb\t", 5, "\"a\\r\\nb\\t\"", "json: CR LF TAB escaped");
    json_case("a\0b", 3, "\"a\\u0000b\"", "json: NUL byte escaped, not a terminator");
    json_case("\x01\x1f\x7f", 3, "\"\\u0001\\u001f\\u007f\"", "json: control bytes escaped");
    json_case("caf\xc3\xa9", 5, "\"caf\xc3\xa9\"", "json: valid UTF-8 kept");
    json_case("\xff\xfe", 2, "\"\\ufffd\\ufffd\"", "json: invalid bytes become U+FFFD");
    json_case("\xc3", 1, "\"\\ufffd\"", "json: truncated sequence replaced");
    json_case("\xed\xa0\x80", 3, "\"\\ufffd\\ufffd\\ufffd\"", "json: UTF-16 surrogate rejected");
    json_case("\xe0\x80\xaf", 3, "\"\\ufffd\\ufffd\\ufffd\"", "json: overlong form rejected");
    json_case("</script>", 9, "\"</script>\"", "json: markup left for the HTML layer");
    {
        struct sbuf b = SBUF_INIT;
        esc_json_str(&b, NULL);
        TAP_STR_EQ(sbuf_str(&b), "null", "json: NULL is null");
        sbuf_free(&b);
    }

    csv_case("example.test", "example.test", "csv: plain field unquoted");
    csv_case("a,b", "\"a,b\"", "csv: comma quoted");
    csv_case("say \"hi\"", "\"say \"\"hi\"\"\"", "csv: quotes doubled");
    csv_case("line1\nline2", "\"line1\nline2\"", "csv: newline quoted");
    csv_case("=cmd()", "\"'=cmd()\"", "csv: formula neutralised");
    csv_case("@SUM(A1)", "\"'@SUM(A1)\"", "csv: at-sign formula neutralised");
    csv_case("\t=cmd()", "\"'\t=cmd()\"", "csv: leading TAB neutralised (OWASP CSV injection)");
    csv_case("\r=cmd()", "\"'\r=cmd()\"", "csv: leading CR neutralised (OWASP CSV injection)");
    csv_case("", "", "csv: empty field");
    csv_case("text/plain\x1b]0;pwned\x07", "\"text/plain\x1b]0;pwned\x07\"",
             "csv: ESC and BEL kept, the field quoted (DESIGN: control bytes quoted)");
    csv_case("a\xc2\x9b"
             "2Jb\x7f",
             "\"a\xc2\x9b"
             "2Jb\x7f\"",
             "csv: C1 CSI and DEL kept, the field quoted");
    csv_case("\x01", "\"\x01\"", "csv: a lone control byte is a quoted field");
    csv_case("caf\xc3\xa9 \xff", "caf\xc3\xa9 \xEF\xBF\xBD",
             "csv: UTF-8 kept, invalid byte replaced");
    csv_case("a\tb", "a\tb", "csv: TAB inside a field kept");

    html_case("<b>x</b> & \"y\" 'z'", "&lt;b&gt;x&lt;/b&gt; &amp; &quot;y&quot; &#39;z&#39;",
              "html: markup and quotes escaped");
    html_case("a\x01z", "a\xEF\xBF\xBDz", "html: control byte shown as U+FFFD");
    html_case("a\x7fz", "a\xEF\xBF\xBDz", "html: DEL shown as U+FFFD");
    html_case("a\xc2\x9bz\xc2\xa0", "a\xEF\xBF\xBDz\xc2\xa0",
              "html: C1 control shown as U+FFFD, NBSP kept");

    text_case("mx1.example.com", "mx1.example.com", "text: plain text kept");
    text_case("caf\xc3\xa9 \xe2\x9c\x93", "caf\xc3\xa9 \xe2\x9c\x93", "text: valid UTF-8 kept");
    text_case("a\x1b[2Jb\r\n\x7f", "a?[2Jb???", "text: C0 controls and DEL shown as '?'");
    text_case("a\xc2\x9b"
              "2Jb",
              "a?2Jb", "text: C1 control U+009B (CSI) shown as '?'");
    text_case("a\x9b"
              "2J\xff",
              "a?2J?", "text: invalid UTF-8 bytes shown as '?'");
    text_case("\xc2\xa0", "\xc2\xa0", "text: U+00A0 (first code point after C1) kept");

    TAP_CHECK(esc_utf8_valid("caf\xc3\xa9 \xf0\x9f\x94\x92", 10), "utf8: valid text", "no");
    TAP_CHECK(esc_utf8_valid("", 0), "utf8: empty is valid", "no");
    TAP_CHECK(!esc_utf8_valid("\xc3", 1), "utf8: truncated sequence", "accepted");
    TAP_CHECK(!esc_utf8_valid("\xe0\x80\xaf", 3), "utf8: overlong form", "accepted");
    TAP_CHECK(!esc_utf8_valid("\xed\xa0\x80", 3), "utf8: surrogate", "accepted");
    TAP_CHECK(!esc_utf8_valid("\xf4\x90\x80\x80", 4), "utf8: above U+10FFFF", "accepted");
    TAP_CHECK(!esc_utf8_valid("\xff", 1), "utf8: byte 0xFF", "accepted");

    struct sbuf b = SBUF_INIT;
    for (int i = 0; i < 10000; i++)
        sbuf_printf(&b, "%d,", i);
    TAP_CHECK(!b.oom && b.len == strlen(sbuf_str(&b)) && b.len > 40000, "sbuf: grows to 48 KiB",
              "len %zu oom %d", b.len, b.oom);
    sbuf_reset(&b);
    TAP_CHECK(b.len == 0 && sbuf_str(&b)[0] == '\0', "sbuf: reset empties", "len %zu", b.len);
    sbuf_free(&b);
    TAP_DONE();
}
