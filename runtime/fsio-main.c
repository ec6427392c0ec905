/* fsio-main.c - main() of berth-fsio, the file system helper berthd
 * spawns for export and archive copies: `berth-fsio --fs-tar|--fs-untar
 * ...` (runtime/fsio.c).  A binary of its own so that berth-shim, which
 * runs beside every container, does not load libarchive and its
 * dependencies. */
#include "runtime/runtime.h"

int main(int argc, char **argv)
{
	return rt_fs_helper_main(argc, argv);
}
