#ifndef IMDS_CLIBEVENT_SHIM_H
#define IMDS_CLIBEVENT_SHIM_H

#include <event2/event.h>
#include <event2/http.h>
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
