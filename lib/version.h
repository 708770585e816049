/* The mtasts version, stored with every scan and sent in the User-Agent. */
#ifndef MTASTS_VERSION_H
#define MTASTS_VERSION_H

#define MTASTS_VERSION "0.1.0"

#endif
