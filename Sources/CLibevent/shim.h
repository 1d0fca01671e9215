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

/* libevent's core only (libevent_core): the event loop, timers, signals and the listener.
 * HTTP is read by http-parser; evhttp, in libevent_extra, is not used. */
#include <event2/event.h>
#include <event2/listener.h>
#include <event2/util.h>

#endif
