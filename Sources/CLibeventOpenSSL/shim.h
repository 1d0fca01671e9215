#ifndef IMDS_CLIBEVENT_OPENSSL_SHIM_H
#define IMDS_CLIBEVENT_OPENSSL_SHIM_H

/* libevent's bufferevents over OpenSSL (Debian's libevent-dev ships libevent_openssl, which
 * links only libssl and libcrypto): HTTPS to STS on an event base, with OpenSSL's own
 * certificate and host-name checks.
 *
 * System headers first, as in CLibevent: libevent's event-config.h defines _GNU_SOURCE, and
 * glibc must not see it here but not in Swift's Glibc module. */
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <netdb.h>

#include <event2/event.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/util.h>

#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

/* Both are macros over SSL_ctrl / SSL_CTX_ctrl, which Swift cannot import. */

static inline int imds_ssl_set_server_name(SSL *ssl, const char *name) {
    return (int)SSL_set_tlsext_host_name(ssl, name);
}

static inline int imds_ssl_ctx_require_tls12(SSL_CTX *context) {
    return (int)SSL_CTX_set_min_proto_version(context, TLS1_2_VERSION);
}

#endif
