/* creds.h: mosrun's identity. mosrun is installed setgid to the cluster's
 * group (LAPI_GROUP): guestd hands connections to other nodes, which carry
 * session keys, only to root and that group, and a setgid process cannot be
 * traced or read by the user who started it, so the keys stay out of the
 * user's reach. mosrun itself works with the user's rights (files are
 * opened and made as the user); the programs it starts or recovers get
 * none of the group. */
#ifndef GUESTD_CREDS_H
#define GUESTD_CREDS_H

/* At start: file access as the user (setfsgid to the real group). */
void creds_init(void);
/* In a child that becomes the user's program: drop the group entirely and
 * be traceable again (a setgid process's children are not dumpable). */
void creds_drop(void);

#endif
