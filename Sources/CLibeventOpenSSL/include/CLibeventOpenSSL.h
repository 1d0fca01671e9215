#ifndef IMDS_CLIBEVENT_OPENSSL_H
#define IMDS_CLIBEVENT_OPENSSL_H

/* HTTPS to STS: libevent's bufferevents over OpenSSL, with OpenSSL's own certificate and
 * host-name checks. Only assume-role with an https endpoint needs them, so libevent_openssl,
 * libssl and libcrypto are not linked but loaded on first use (imds_openssl_load): every
 * other emulator never maps them, nor pays for loading them at start (5.0 million of the
 * 40.9 million instructions from exec to the first credentials served) or for their pages
 * (1.5–2 MiB resident).
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

/* For the types and constants only: a call through these declarations would not link. */
#include <openssl/ssl.h>
#include <openssl/err.h>
#include <openssl/x509_vfy.h>

/* Every function of libevent_openssl, libssl and libcrypto the emulator calls, each typed by
 * its declaration in the headers above. */
#define IMDS_OPENSSL_FUNCTIONS(X) \
    X(bufferevent_openssl_socket_new) \
    X(bufferevent_openssl_set_allow_dirty_shutdown) \
    X(bufferevent_get_openssl_error) \
    X(TLS_client_method) \
    X(SSL_CTX_new) \
    X(SSL_CTX_free) \
    X(SSL_CTX_set_default_verify_paths) \
    X(SSL_CTX_load_verify_locations) \
    X(SSL_CTX_set_verify) \
    X(SSL_CTX_ctrl) \
    X(SSL_new) \
    X(SSL_free) \
    X(SSL_ctrl) \
    X(SSL_set1_host) \
    X(SSL_get_verify_result) \
    X(ERR_get_error) \
    X(ERR_clear_error) \
    X(ERR_reason_error_string) \
    X(X509_verify_cert_error_string)

struct imds_openssl {
#define IMDS_OPENSSL_FIELD(name) __typeof__(&name) _Nonnull name;
    IMDS_OPENSSL_FUNCTIONS(IMDS_OPENSSL_FIELD)
#undef IMDS_OPENSSL_FIELD
};

/* Loads the libraries once, on the first call from any thread. Returns every function, or
 * NULL with `error` set to why they could not be loaded (the text stays valid). */
const struct imds_openssl *_Nullable imds_openssl_load(const char *_Nullable *_Nonnull error);

/* Both are macros over SSL_ctrl / SSL_CTX_ctrl, which Swift cannot import. */

static inline int imds_ssl_set_server_name(struct imds_openssl openssl, SSL *_Nonnull ssl, const char *_Nonnull name) {
    return (int)openssl.SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name, (void *)name);
}

static inline int imds_ssl_ctx_require_tls12(struct imds_openssl openssl, SSL_CTX *_Nonnull context) {
    return (int)openssl.SSL_CTX_ctrl(context, SSL_CTRL_SET_MIN_PROTO_VERSION, TLS1_2_VERSION, NULL);
}

#endif
