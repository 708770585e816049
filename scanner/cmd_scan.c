/* PLACEHOLDER for `mtasts scan`: replaced by its owner's implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_scan(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts scan: not built yet\n");
    return 2;
}
