/* PLACEHOLDER for `mtasts export`: replaced by its owner's implementation. */
#include <stdio.h>

#include "../scanner/commands.h"

int cmd_export(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts export: not built yet\n");
    return 2;
}
