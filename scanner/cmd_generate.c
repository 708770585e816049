/* PLACEHOLDER for `mtasts generate`: replaced by its owner's implementation. */
#include <stdio.h>

#include "commands.h"

int cmd_generate(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts generate: not built yet\n");
    return 2;
}
