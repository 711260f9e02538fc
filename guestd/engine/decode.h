/* decode.h: print a process image in words (mosrun -I) or JSON. */
#ifndef GUESTD_DECODE_H
#define GUESTD_DECODE_H

#include "appliance/err.h"

#include <stdio.h>

/* Read the image on fd and describe it on out. 0 or a negative code (the
 * image is invalid: what was read before the fault is still printed). */
int decode_image(int fd, FILE *out, int json, struct err *e);

#endif
