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

#include <event2/event.h>
#include <event2/http.h>
#include <event2/listener.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <event2/util.h>

/* The header list is a BSD TAILQ, whose macros Swift cannot import. */
static inline struct evkeyval *imds_headers_first(struct evkeyvalq *headers) {
    return headers->tqh_first;
}

static inline struct evkeyval *imds_headers_next(struct evkeyval *header) {
    return header->next.tqe_next;
}

#endif
