/* Unit tests of tlsrpt_imap_fetch_body: the message of a UID FETCH response by its literal. */
#include <string.h>

#include "tests/unit/tap.h"
#include "tlsrpt/imap_fetch.h"

static int fetch(const char *resp, int64_t uid, size_t max, const char **body, size_t *len,
                 const char **why)
{
    *body = NULL;
    *len = 0;
    *why = "";
    return tlsrpt_imap_fetch_body(resp, strlen(resp), uid, max, body, len, why);
}

int main(void)
{
    TAP_PLAN(7);
    const char *body, *why;
    size_t len;
    int rc =
        fetch("* 2 FETCH (UID 34 BODY[] {12}\r\nab\r\nA004 OK x)\r\n", 34, 100, &body, &len, &why);
    TAP_CHECK(rc == 0 && len == 12 && !memcmp(body, "ab\r\nA004 OK x", 12),
              "the literal by its length, whatever its lines say", "rc %d, %zu bytes", rc, len);
    rc = fetch("* 2 FETCH (BODY[] {3}\r\nabc UID 7)\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc == 0 && len == 3 && !memcmp(body, "abc", 3), "UID after the literal", "rc %d", rc);
    rc = fetch("* 1 FETCH (UID 8 BODY[] {3}\r\nabc)\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc < 0 && strstr(why, "another message"), "another UID is refused", "rc %d: %s", rc,
              why);
    rc = fetch("* 1 FETCH (UID 7 BODY[] {30}\r\nabc\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc < 0 && strstr(why, "cut short"), "a literal cut short is refused", "rc %d: %s", rc,
              why);
    rc = fetch("* 1 FETCH (UID 7 BODY[] {300}\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc < 0 && strstr(why, "larger"), "a literal over the cap is refused", "rc %d: %s", rc,
              why);
    rc = fetch("* 1 EXISTS\r\n* 1 FETCH (UID 71 BODY[] {1}\r\nx)\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc < 0, "UID 71 is not UID 7", "rc %d", rc);
    rc = fetch("* OK still here {3}\r\nabc\r\n", 7, 100, &body, &len, &why);
    TAP_CHECK(rc < 0 && strstr(why, "no FETCH"), "no FETCH line: refused", "rc %d: %s", rc, why);
    TAP_DONE();
}
