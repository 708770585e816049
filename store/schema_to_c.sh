#!/bin/sh
# Regenerates store/store_schema_sql.c from store/schema.sql (test_store_schema checks they agree).
set -eu
cd "$(dirname "$0")"
{
    echo '/* GENERATED from store/schema.sql by store/schema_to_c.sh: edit the .sql, then rerun. */'
    echo '#include "store_internal.h"'
    echo
    echo 'const char store_schema_sql[] ='
    sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/' schema.sql
    echo '    ;'
    echo
    echo '/* The TLS-RPT section of schema.sql alone: the migration step that adds it. */'
    echo 'const char store_schema_tlsrpt_sql[] ='
    sed -n '/^-- tlsrpt tables begin/,/^-- tlsrpt tables end/p' schema.sql |
        sed -e 's/\\/\\\\/g' -e 's/"/\\"/g' -e 's/^/    "/' -e 's/$/\\n"/'
    echo '    ;'
} >store_schema_sql.c
! command -v clang-format >/dev/null || clang-format -i store_schema_sql.c
