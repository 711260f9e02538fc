/* keys.h: ssh key material for a cluster. */
#ifndef HOSTCTL_KEYS_H
#define HOSTCTL_KEYS_H

#include "appliance/err.h"

/* Generate an ed25519 key pair at path (and path.pub). */
int keys_ssh_pair(const char *path, const char *comment, struct err *e);
/* Read path.pub (one line, newline-terminated). */
char *keys_read_pub(const char *path, struct err *e);

#endif
