#ifndef IMDS_CEXPAT_SHIM_H
#define IMDS_CEXPAT_SHIM_H

/* expat (Debian's libexpat1-dev) reads the STS XML: a small, well-kept parser whose runtime
 * library is a few hundred kilobytes, where Foundation's XMLParser brings libxml2 and with it
 * ICU's 30 MB of data into every container image. */
#include <expat.h>

#endif
