/* cmds.h: hostctl's commands, as a table. */
#ifndef HOSTCTL_CMDS_H
#define HOSTCTL_CMDS_H

struct cmds_entry {
	const char *name;
	const char *usage; /* arguments, after "hostctl NAME" */
	const char *summary;
	int (*handler)(int argc, char **argv); /* argv[0] is the command name; returns exit code */
};

/* Find a command by name (NULL if unknown). */
const struct cmds_entry *cmds_find(const char *name);
/* Print the overall usage to f. */
void cmds_usage(void *f);
/* Run hostctl with its full argv; returns the process exit code. */
int cmds_main(int argc, char **argv);

#endif
