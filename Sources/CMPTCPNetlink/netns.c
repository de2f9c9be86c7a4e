/* setns(2) for Swift, which does not see glibc's _GNU_SOURCE declarations. */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>

#include "mptcp_netlink.h"

int mptcp_nl_enter_netns(int fd) {
    return setns(fd, CLONE_NEWNET) == 0 ? 0 : -errno;
}
