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
/* In a child (fork: a copy of mosrun) that becomes the user's program:
 * close mosrun's own descriptors but keep1 and keep2, drop the group
 * entirely, and be traceable again (a setgid process's children are not).
 * 0, or -1 when that could not be done (the child must not run then). */
int creds_drop(int keep1, int keep2);

#endif
