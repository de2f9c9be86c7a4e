/* rtnetlink: the addresses of the namespace's interfaces (which interface holds a local
 * address that subflows use or an endpoint names). */
#include <errno.h>
#include <linux/if_addr.h>
#include <linux/rtnetlink.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

static const struct mptcp_nl_policy address_policy[IFA_MAX + 1] = {
    [IFA_ADDRESS] = {MNL_TYPE_BINARY, 0},
    [IFA_LOCAL] = {MNL_TYPE_BINARY, 0},
};

mptcp_nl *mptcp_nl_open_route(int *err) { return mptcp_nl_open_bus(NETLINK_ROUTE, err); }

int mptcp_nl_parse_address(const void *msg, size_t len, struct mptcp_nl_address *out) {
    const struct nlattr *tb[IFA_MAX + 1];
    const struct ifaddrmsg *ifa = mptcp_nl_record_table(out, sizeof *out, msg, len, sizeof *ifa, tb, IFA_MAX, address_policy);
    if (ifa == NULL)
        return -EBADMSG;
    size_t n = ifa->ifa_family == AF_INET ? 4 : ifa->ifa_family == AF_INET6 ? 16 : 0;
    /* IFA_LOCAL is the interface's own address (IFA_ADDRESS is the peer's on a
     * point-to-point link); IPv6 sends IFA_ADDRESS only. */
    const struct nlattr *a = tb[IFA_LOCAL] ? tb[IFA_LOCAL] : tb[IFA_ADDRESS];
    if (n == 0 || a == NULL)
        return 0; /* another family, or no address: not a record */
    if (mnl_attr_get_payload_len(a) != n)
        return -EBADMSG;
    out->family = ifa->ifa_family;
    out->prefixlen = ifa->ifa_prefixlen;
    out->ifindex = ifa->ifa_index;
    memcpy(out->addr, mnl_attr_get_payload(a), n);
    return 1;
}

struct address_dump {
    mptcp_nl_address_cb cb;
    void *context;
};

static int address_record_cb(const struct nlmsghdr *nlh, void *data) {
    const struct address_dump *d = data;
    if (nlh->nlmsg_type != RTM_NEWADDR)
        return 0;
    struct mptcp_nl_address a;
    int ret = mptcp_nl_parse_address(nlh, nlh->nlmsg_len, &a);
    return ret <= 0 ? ret : d->cb(&a, d->context);
}

int mptcp_nl_dump_addresses(mptcp_nl *nl, mptcp_nl_address_cb cb, void *context) {
    char buf[256];
    /* The zeroed ifaddrmsg asks for every family (AF_UNSPEC). */
    struct nlmsghdr *nlh = mptcp_nl_request(buf, RTM_GETADDR, NLM_F_DUMP, sizeof(struct ifaddrmsg));
    struct address_dump d = {cb, context};
    return mptcp_nl_transact(nl, nlh, address_record_cb, &d);
}
