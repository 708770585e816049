/* PLACEHOLDER for `mtasts report`: replaced by its owner's implementation. */
#include <stdio.h>

#include "../scanner/commands.h"

int cmd_report(int argc, char **argv)
{
    (void)argc;
    (void)argv;
    fprintf(stderr, "mtasts report: not built yet\n");
    return 2;
}
