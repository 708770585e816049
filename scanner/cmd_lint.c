/* PLACEHOLDER for `mtasts lint`: replaced by its owner's implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_lint(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts lint: not built yet\n");
    return 2;
}
