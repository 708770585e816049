/* PLACEHOLDER for `mtasts merge`: replaced by its owner's implementation. */
#include <stdio.h>

#include "../scanner/commands.h"

int cmd_merge(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts merge: not built yet\n");
    return 2;
}
