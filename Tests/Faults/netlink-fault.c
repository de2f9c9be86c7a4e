/*
 * LD_PRELOAD library for the tests: while the file named by $NETLINK_FAULT_FLAG exists,
 * every receive on a NETLINK_SOCK_DIAG socket fails with EIO, as a kernel dump that
 * fails would. Lets a test check that snmpd with the MPTCP-MIB module keeps serving.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int failing(int fd) {
    const char *flag = getenv("NETLINK_FAULT_FLAG");
    if (flag == NULL || access(flag, F_OK) != 0) return 0;
    int protocol = -1;
    socklen_t len = sizeof protocol;
    struct sockaddr_storage addr;
    socklen_t alen = sizeof addr;
    return getsockname(fd, (struct sockaddr *)&addr, &alen) == 0 && addr.ss_family == AF_NETLINK
        && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == NETLINK_SOCK_DIAG;
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    static ssize_t (*real)(int, struct msghdr *, int);
    if (real == NULL) real = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
    if (failing(fd)) { errno = EIO; return -1; }
    return real(fd, msg, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen) {
    static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    if (real == NULL) real = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
    if (failing(fd)) { errno = EIO; return -1; }
    return real(fd, buf, len, flags, from, fromlen);
}
