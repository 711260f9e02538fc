/* balance.h: the balancer service: automatic load balancing, MOSIX-style
 * (BALANCING.md). Every step each node looks at its own processes (those
 * whose home it is, wherever they run) and at every node's load, speed and
 * cores as gossip tells them, and moves a process where it would compute
 * clearly faster: the rate a process gets on a node is the speed of a core
 * times min(1, cores / runnable processes there), and a move is made only
 * when the target's rate beats the current one by a margin (30%, MOSIX's
 * anti-ping-pong rule). Moves made but not yet visible in the gossip are
 * counted in, a process is not moved again within a minimum interval, and
 * each node makes a few moves a round at most. Nodes in stay keep their
 * processes; locked processes and those with threads stay; blocked nodes
 * and nodes without memory for a process get none. */
#ifndef GUESTD_BALANCE_H
#define GUESTD_BALANCE_H

struct hub;

#endif
