#ifndef IMDS_CHTTPPARSER_SHIM_H
#define IMDS_CHTTPPARSER_SHIM_H

/* nodejs/http-parser 2.9 from Debian's libhttp-parser-dev: the request parser of the IMDS
 * listeners and the response parser of the STS client. */
#include <stddef.h>
#include <stdint.h>
#include <http_parser.h>

/* HTTP_PARSER_ERRNO is a macro over a bit field, which Swift cannot import. */
static inline enum http_errno imds_http_errno(const http_parser *parser) {
    return (enum http_errno) parser->http_errno;
}

#endif
