/* generate --mx-from-dns: the *.parent suggestions (three or more hosts under one parent). */
#include <stdlib.h>
#include <string.h>

#include "scanner/commands/generate_mx.h"
#include "tests/unit/tap.h"

int main(void)
{
    printf("1..3\n");
    struct generate_mx m = {0};
    const char *hosts[] = {"mx1.mail.example.com", "mx2.mail.example.com", "mx3.mail.example.com",
                           "backup.other.net", "mx.other.net"};
    for (size_t i = 0; i < 5; i++)
        m.hosts[m.n++] = strdup(hosts[i]);
    char buf[512];
    const char *got = buf;
    generate_mx_wildcards(&m, buf, sizeof buf);
    TAP_STR_EQ(got, "*.mail.example.com covers 3 hosts\n",
               "three hosts under one parent: one suggestion; two are not enough");
    generate_mx_free(&m);
    const char *tld[] = {"a.com", "b.com", "c.com"};
    for (size_t i = 0; i < 3; i++)
        m.hosts[m.n++] = strdup(tld[i]);
    generate_mx_wildcards(&m, buf, sizeof buf);
    TAP_STR_EQ(got, "", "no *.com suggestion");
    generate_mx_free(&m);
    TAP_CHECK(m.n == 0, "free empties the list", "n %zu", m.n);
    TAP_DONE();
}
