/* policy.h: the policy service: what the node's owner allows (MOSIX's
 * mosctl stay/nostay, lstay/nolstay). Blocking guests is the guests
 * service's. */
#ifndef GUESTD_POLICY_H
#define GUESTD_POLICY_H

#include <stdint.h>

struct hub;

/* NODE_ST_STAY and NODE_ST_LSTAY as they are now. */
uint32_t policy_status(struct hub *h);

#endif
