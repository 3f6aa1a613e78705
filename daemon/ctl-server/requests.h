/* The request handlers: one per request type, each decodes its arguments, asks the core, and
 * answers with codes (never with sentences: droverctl words them). */
#ifndef DROVER_CTL_REQUESTS_H
#define DROVER_CTL_REQUESTS_H

#include "ctl-server/reply.h"
#include "proto.h"

/* Handle one validated request whose route is open; takes the route. */
void requests_handle(const struct proto_request *req, struct route *rt);

#endif
