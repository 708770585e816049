/* PLACEHOLDER for `mtasts check`: replaced by its owner's implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_check(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts check: not built yet\n");
    return 2;
}
