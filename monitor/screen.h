/* screen.h: the terminal, through ncurses: a canvas shown with only what
 * changed redrawn (erase and refresh, never clear: no flicker), keys as
 * keys.h codes, colours where the terminal has them. */
#ifndef MONITOR_SCREEN_H
#define MONITOR_SCREEN_H

#include "draw.h"

#define SCREEN_RESIZED (-2) /* screen_key: the terminal changed size */

/* Can this terminal be driven (a terminal, with cursor addressing)? */
int screen_usable(void);
/* Take the terminal; bw: no colours even where it has them. 0 or -1. */
int screen_open(int bw);
/* Give it back as it was. */
void screen_close(void);
/* Its size now. */
void screen_size(int *w, int *h);
/* Show the canvas (same size as the screen). */
void screen_show(const struct canvas *c);
/* A key within timeout_ms: a keys.h code or a character; -1 when none
 * came; SCREEN_RESIZED. */
int screen_key(int timeout_ms);

#endif
