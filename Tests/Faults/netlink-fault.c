/*
 * LD_PRELOAD library for the tests, on receives from NETLINK_SOCK_DIAG sockets:
 * - while the file named by $NETLINK_FAULT_FLAG exists, each fails with EIO, as a kernel
 *   dump that fails would (snmpd with the MPTCP-MIB module must keep serving);
 * - while the file named by $NETLINK_HOLD_FLAG exists, each made by a thread other than
 *   the process's first waits until it is removed, having created FLAG.held: a kernel dump
 *   as slow as the test wants, in the module's refresher and never on snmpd's own thread.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <linux/netlink.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>

static int sock_diag(int fd) {
    int protocol = -1;
    socklen_t len = sizeof protocol;
    struct sockaddr_storage addr;
    socklen_t alen = sizeof addr;
    return getsockname(fd, (struct sockaddr *)&addr, &alen) == 0 && addr.ss_family == AF_NETLINK
        && getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &protocol, &len) == 0 && protocol == NETLINK_SOCK_DIAG;
}

static int failing(int fd) {
    const char *flag = getenv("NETLINK_FAULT_FLAG");
    if (flag == NULL || access(flag, F_OK) != 0) return 0;
    return sock_diag(fd);
}

static void hold(int fd) {
    const char *flag = getenv("NETLINK_HOLD_FLAG");
    if (flag == NULL || access(flag, F_OK) != 0 || gettid() == getpid() || !sock_diag(fd)) return;
    char held[4096];
    snprintf(held, sizeof held, "%s.held", flag);
    close(open(held, O_CREAT | O_WRONLY, 0644));
    while (access(flag, F_OK) == 0) usleep(10000);
}

ssize_t recvmsg(int fd, struct msghdr *msg, int flags) {
    static ssize_t (*real)(int, struct msghdr *, int);
    if (real == NULL) real = (ssize_t (*)(int, struct msghdr *, int))dlsym(RTLD_NEXT, "recvmsg");
    hold(fd);
    if (failing(fd)) { errno = EIO; return -1; }
    return real(fd, msg, flags);
}

ssize_t recvfrom(int fd, void *buf, size_t len, int flags, struct sockaddr *from, socklen_t *fromlen) {
    static ssize_t (*real)(int, void *, size_t, int, struct sockaddr *, socklen_t *);
    if (real == NULL) real = (ssize_t (*)(int, void *, size_t, int, struct sockaddr *, socklen_t *))dlsym(RTLD_NEXT, "recvfrom");
    hold(fd);
    if (failing(fd)) { errno = EIO; return -1; }
    return real(fd, buf, len, flags, from, fromlen);
}
