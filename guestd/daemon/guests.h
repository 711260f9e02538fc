/* guests.h: the guests service: MOSIX's guests are processes whose home is
 * another node and whose body runs here, each under a supervisor that
 * guestd forked and that registers it (registry.h). This service decides
 * whether guests may arrive (block, expel) and sends them home (expel, and
 * when guestd stops). */
#ifndef GUESTD_GUESTS_H
#define GUESTD_GUESTS_H

#include <stddef.h>
#include <stdint.h>

struct hub;

/* May a guest arrive now? */
int guests_accepting(struct hub *h);
/* Is an expel under way (guests are being sent home)? */
int guests_expelling(struct hub *h);
/* A guest's supervisor ended with status (0: its body went home or ended
 * there; else it failed, which counts while an expel is under way). */
void guests_ended(struct hub *h, int status);
/* Stopping (guestd's loop runs on meanwhile, until they are gone): block
 * arrivals and send every guest home. How many were asked. */
size_t guests_expel_on_stop(struct hub *h);
/* Guests that could not go home since the last expel. */
unsigned guests_failed(struct hub *h);
/* NODE_ST_BLOCK and NODE_ST_EXPELLING as they are now. */
uint32_t guests_status(struct hub *h);

#endif
