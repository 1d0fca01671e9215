#ifndef IMDS_CLIBEVENT_SHIM_H
#define IMDS_CLIBEVENT_SHIM_H

/* System headers first: libevent's event-config.h defines _GNU_SOURCE, and if glibc's
 * features.h saw that here but not in Swift's Glibc module, the two would define fd_set
 * differently and clean builds would fail to merge them. */
#include <sys/types.h>
#include <sys/time.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <stdint.h>
#include <stdio.h>
#include <netdb.h>

/* libevent's core only (libevent_core): the event loop, timers, signals and socket events.
 * HTTP is read by http-parser; evhttp, in libevent_extra, is not used. */
#include <event2/event.h>
#include <event2/util.h>

/* accept4(2) is a GNU extension, declared by <sys/socket.h> only under _GNU_SOURCE, which
 * this header must not define (see above); glibc has had it since 2.10. */
extern int accept4(int fd, struct sockaddr *address, socklen_t *length, int flags);

static inline int imds_accept4(int fd, struct sockaddr *address, socklen_t *length, int flags) {
    return accept4(fd, address, length, flags);
}

#endif
