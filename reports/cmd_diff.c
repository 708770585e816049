/* PLACEHOLDER for `mtasts diff`: replaced by its owner's implementation. */
#include <stdio.h>

#include "../scanner/commands.h"

int cmd_diff(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts diff: not built yet\n");
    return 2;
}
