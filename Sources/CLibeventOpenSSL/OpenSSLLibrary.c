#include "CLibeventOpenSSL.h"

#include <dlfcn.h>
#include <pthread.h>

/* Debian's libevent-openssl-2.1-7 (the library the Docker image carries); it loads libssl and
 * libcrypto with it, and dlsym on its handle finds their functions too. The development
 * link is a fallback for other systems that name the library differently. */
static const char *const library_names[] = {"libevent_openssl-2.1.so.7", "libevent_openssl.so"};

static struct imds_openssl functions;
static const struct imds_openssl *loaded;
static char failure[512];
static pthread_once_t once = PTHREAD_ONCE_INIT;

static void load(void) {
    void *library = NULL;
    for (size_t i = 0; i < sizeof library_names / sizeof library_names[0] && !library; i++) {
        /* Local: OpenSSL's symbols stay out of the process's global scope. */
        library = dlopen(library_names[i], RTLD_NOW | RTLD_LOCAL);
        if (!library && i == 0) {
            const char *reason = dlerror();
            snprintf(failure, sizeof failure, "HTTPS needs %s (Debian's libevent-openssl-2.1-7), which could not be loaded: %s",
                     library_names[0], reason ? reason : "unknown reason");
        }
    }
    if (!library) return;
#define IMDS_OPENSSL_RESOLVE(name)                                                                \
    functions.name = (__typeof__(functions.name))dlsym(library, #name);                           \
    if (!functions.name) {                                                                        \
        snprintf(failure, sizeof failure, "HTTPS needs %s from libevent_openssl, libssl or libcrypto, " \
                 "which the loaded libraries lack", #name);                                       \
        return;                                                                                   \
    }
    IMDS_OPENSSL_FUNCTIONS(IMDS_OPENSSL_RESOLVE)
#undef IMDS_OPENSSL_RESOLVE
    loaded = &functions;
}

const struct imds_openssl *imds_openssl_load(const char **error) {
    pthread_once(&once, load);
    if (!loaded) *error = failure;
    return loaded;
}
