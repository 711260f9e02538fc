/* screen.c: mmon's terminal through ncurses. */
#include "screen.h"
#include "keys.h"

#include <curses.h>
#include <stdlib.h>
#include <string.h>
#include <term.h>
#include <unistd.h>

/* Curses attributes of each draw attribute, colour and black-and-white. */
static attr_t attrs[DA__N];

/* Is there a terminal that can place the cursor? */
int screen_usable(void)
{
	const char *t = getenv("TERM");
	int err = 0;
	if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO) || !t || !*t || !strcmp(t, "dumb"))
		return 0;
	if (setupterm(NULL, STDOUT_FILENO, &err) != OK)
		return 0;
	const char *cup = tigetstr("cup");
	int ok = cup && cup != (char *)-1;
	del_curterm(cur_term);
	return ok;
}

/* Colour pairs where there are colours; bold and reverse otherwise. */
static void screen_attrs(int bw)
{
	static const struct {
		int attr, fg;
		attr_t extra, mono;
	} map[] = {
	    {DA_OK, COLOR_GREEN, 0, A_NORMAL},		{DA_CAREFUL, COLOR_BLUE, A_BOLD, A_NORMAL},
	    {DA_WARNING, COLOR_YELLOW, A_BOLD, A_BOLD}, {DA_CRITICAL, COLOR_RED, A_BOLD, A_BOLD},
	    {DA_DEAD, COLOR_RED, A_BOLD, A_BOLD},	{DA_PART2, COLOR_CYAN, 0, A_NORMAL},
	    {DA_PART3, COLOR_MAGENTA, 0, A_NORMAL},
	};
	int colour = !bw && has_colors() && start_color() == OK;
	if (colour)
		use_default_colors();
	memset(attrs, 0, sizeof(attrs));
	attrs[DA_TITLE] = A_BOLD;
	attrs[DA_SELECT] = A_REVERSE;
	attrs[DA_FRAME] = colour ? A_DIM : A_NORMAL;
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++) {
		if (colour) {
			init_pair((short)(i + 1), (short)map[i].fg, -1);
			attrs[map[i].attr] = COLOR_PAIR(i + 1) | map[i].extra;
		} else {
			attrs[map[i].attr] = map[i].mono;
		}
	}
}

/* Take the terminal. */
int screen_open(int bw)
{
	if (!initscr())
		return -1;
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	curs_set(0);
	set_escdelay(25);
	screen_attrs(bw);
	return 0;
}

void screen_close(void)
{
	endwin();
}

void screen_size(int *w, int *h)
{
	getmaxyx(stdscr, *h, *w);
}

/* Show: erase and put every cell; refresh sends only what changed. */
void screen_show(const struct canvas *c)
{
	erase();
	for (int y = 0; y < c->h; y++)
		for (int x = 0; x < c->w; x++) {
			char ch = c->ch[y * c->w + x];
			attr_t a = attrs[c->attr[y * c->w + x]];
			if (ch != ' ' || a & A_REVERSE)
				mvaddch(y, x, (chtype)(unsigned char)ch | a);
		}
	refresh();
}

/* Curses keys as keys.h codes. */
static int screen_map(int k)
{
	static const struct {
		int curses, ours;
	} map[] = {{KEY_LEFT, K_LEFT},	 {KEY_RIGHT, K_RIGHT},
		   {KEY_UP, K_UP},	 {KEY_DOWN, K_DOWN},
		   {KEY_PPAGE, K_PGUP},	 {KEY_NPAGE, K_PGDN},
		   {KEY_HOME, K_HOME},	 {KEY_END, K_END},
		   {KEY_ENTER, K_ENTER}, {'\r', K_ENTER},
		   {'\n', K_ENTER},	 {27, K_ESC},
		   {KEY_F(1), K_F1},	 {KEY_BACKSPACE, K_BACKSPACE},
		   {127, K_BACKSPACE},	 {KEY_RESIZE, SCREEN_RESIZED}};
	for (size_t i = 0; i < sizeof(map) / sizeof(map[0]); i++)
		if (map[i].curses == k)
			return map[i].ours;
	return k;
}

/* A key, or -1 after timeout_ms. */
int screen_key(int timeout_ms)
{
	timeout(timeout_ms < 0 ? 0 : timeout_ms);
	int k = getch();
	return k == ERR ? -1 : screen_map(k);
}
