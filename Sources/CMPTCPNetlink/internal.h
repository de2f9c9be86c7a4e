/* Shared between the shim's translation units; not part of the public header. */
#ifndef MPTCP_NETLINK_INTERNAL_H
#define MPTCP_NETLINK_INTERNAL_H

#include <libmnl/libmnl.h>
#include <string.h>
#include <linux/netlink.h>
#include "mptcp_netlink.h"

struct mptcp_nl {
    int bus;            /* NETLINK_SOCK_DIAG or NETLINK_GENERIC */
    struct mnl_socket *sock;
    unsigned int portid;
    unsigned int seq;
    int family_id;      /* generic netlink: resolved "mptcp_pm" id */
    int events_group;   /* generic netlink: "mptcp_pm_events" group id */
    char *buf;
    size_t buf_size;
    char errmsg[256];
};

/* Called for each data message of a reply; returns 0 or -errno. */
typedef int (*mptcp_nl_record_cb)(const struct nlmsghdr *nlh, void *data);

/* Sends `req` and reads the whole reply (to NLMSG_DONE or the ACK), passing each data
 * message to `cb`. A dump is always drained, even after a failing record, so the socket
 * never holds leftovers. Returns 0 or -errno (extack text in nl->errmsg). */
int mptcp_nl_transact(mptcp_nl *nl, struct nlmsghdr *req, mptcp_nl_record_cb cb, void *data);

mptcp_nl *mptcp_nl_open_bus(int bus, int *err);

/* Walks the attributes in [start, start+len) like mnl_attr_parse, but a trailing
 * partial attribute is an error (-EBADMSG) rather than a silent end. */
int mptcp_nl_parse_attrs(const void *start, size_t len, mnl_attr_cb_t cb, void *data);

/* What an attribute of a given type must look like: a libmnl data type, and for
 * MNL_TYPE_BINARY an exact length (0: any). MNL_TYPE_UNSPEC: not checked. */
struct mptcp_nl_policy {
    enum mnl_attr_data_type type;
    size_t len;
};

/* libmnl's mnl_attr_parse into tb[] (as iproute2 does): tb[type] = the attribute of that
 * type in [start, start+len), for types 0..max (others are ignored, NLA_F_NESTED is
 * masked). Each one found is checked once against policy[type]. -EBADMSG for a truncated
 * attribute or one that fails its policy. */
int mptcp_nl_attr_table(const void *start, size_t len, const struct nlattr **tb, uint16_t max,
                        const struct mptcp_nl_policy *policy);

/* The same over a nest's payload. */
int mptcp_nl_nest_table(const struct nlattr *nest, const struct nlattr **tb, uint16_t max,
                        const struct mptcp_nl_policy *policy);

/* True if `msg` holds one whole netlink message of `len` bytes with at least `header`
 * bytes of payload. */
int mptcp_nl_message_ok(const void *msg, size_t len, size_t header);

/* The fixed header (inet_diag_msg, genlmsghdr, ...) of a message of `len` bytes, with the
 * attributes after it in tb[] (mptcp_nl_attr_table); NULL if the message is not whole, is
 * too short for the header, or has a malformed attribute. */
const void *mptcp_nl_message_table(const void *msg, size_t len, size_t header, const struct nlattr **tb, uint16_t max,
                                   const struct mptcp_nl_policy *policy);

/* The start of every record parser: the record at `out` (`out_size` bytes) zeroed, so that
 * what the message does not carry reads as 0, then mptcp_nl_message_table. */
const void *mptcp_nl_record_table(void *out, size_t out_size, const void *msg, size_t len, size_t header,
                                  const struct nlattr **tb, uint16_t max, const struct mptcp_nl_policy *policy);

/* Bit n set for each attribute n in tb[] that policy names: what a record carries. */
uint32_t mptcp_nl_attr_mask(const struct nlattr *const *tb, uint16_t max, const struct mptcp_nl_policy *policy);

/* A request of `type` written at buf (the caller's, large enough for the whole request),
 * followed by a zeroed fixed header of `header` bytes (mnl_nlmsg_get_payload gives it). */
struct nlmsghdr *mptcp_nl_request(char *buf, uint16_t type, uint16_t flags, size_t header);

/* An attribute's value into *out when the message carries it: tb[] entries have passed
 * their policy, so the payload has the size read. */
static inline void mptcp_nl_get_u8(const struct nlattr *a, uint8_t *out) {
    if (a)
        *out = mnl_attr_get_u8(a);
}
static inline void mptcp_nl_get_u16(const struct nlattr *a, uint16_t *out) {
    if (a)
        *out = mnl_attr_get_u16(a);
}
static inline void mptcp_nl_get_u32(const struct nlattr *a, uint32_t *out) {
    if (a)
        *out = mnl_attr_get_u32(a);
}
static inline void mptcp_nl_get_bytes(const struct nlattr *a, void *out, size_t n) {
    if (a)
        memcpy(out, mnl_attr_get_payload(a), n);
}

#endif
