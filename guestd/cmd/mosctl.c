/* mosctl: look at and steer this node's part of the cluster. For now:
 * status, what this node knows of every node (gossiped load vectors). */
#include "localapi.h"
#include "nodes.h"

#include <stdio.h>
#include <string.h>

static const char usage[] =
    "usage: mosctl status [--json]\n"
    "  status   every node this node knows of: up (heard of in the last 5 s) or down,\n"
    "           age of the information, load, cpus, free and total memory\n";

/* Print the node table. */
static int status(int json)
{
	static char buf[LAPI_MSG_MAX];
	struct err e = {0, ""};
	int self = 0, nnodes = 0, first = 1, up = 0;
	if (lapi_nodes(buf, sizeof(buf), &self, &nnodes, &e)) {
		fprintf(stderr, "mosctl: %s\n", e.msg);
		return 1;
	}
	if (json)
		printf("{\"self\": %d, \"nodes_in_map\": %d, \"nodes\": [", self, nnodes);
	else
		printf("%-6s %-5s %8s %7s %5s %14s\n", "NODE", "STATE", "AGE(s)", "LOAD", "CPUS",
		       "FREE/TOTAL MB");
	char *save = NULL;
	for (char *l = strtok_r(buf, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		int node;
		unsigned long long age, total, freekb;
		unsigned ncpus, load, procs;
		if (sscanf(l, "%d %llu %u %u %u %llu %llu", &node, &age, &ncpus, &load, &procs,
			   &total, &freekb) != 7)
			continue;
		int isup = age < NODES_UP_MS;
		up += isup;
		if (json) {
			printf("%s\n  {\"node\": %d, \"up\": %s, \"age_ms\": %llu, \"load\": %.2f, "
			       "\"cpus\": %u, \"mem_free_kb\": %llu, \"mem_total_kb\": %llu}",
			       first ? "" : ",", node, isup ? "true" : "false", age, load / 1000.0,
			       ncpus, freekb, total);
			first = 0;
		} else {
			printf("%-6d %-5s %8.1f %7.2f %5u %6llu/%-7llu%s\n", node,
			       isup ? "up" : "down", (double)age / 1000.0, load / 1000.0, ncpus,
			       freekb / 1024, total / 1024, node == self ? " (this node)" : "");
		}
	}
	if (json)
		printf("\n], \"up\": %d}\n", up);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "status") &&
	    (argc == 2 || (argc == 3 && !strcmp(argv[2], "--json"))))
		return status(argc == 3);
	int help = argc == 2 && !strcmp(argv[1], "--help");
	fputs(usage, help ? stdout : stderr);
	return help ? 0 : 2;
}
