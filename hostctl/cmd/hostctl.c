/* hostctl: the host controller of the mosix virtual-cluster appliance. */
#include "cmds.h"

int main(int argc, char **argv)
{
	return cmds_main(argc, argv);
}
