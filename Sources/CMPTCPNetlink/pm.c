/* Generic netlink family "mptcp_pm": endpoints, limits and the event group. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/genetlink.h>
#include <string.h>
#include <sys/socket.h>

#include "internal.h"

#define PM_EVENTS_GROUP "mptcp_pm_events"
#define PM_VERSION 1

enum {
    PM_CMD_ADD_ADDR = 1,
    PM_CMD_DEL_ADDR = 2,
    PM_CMD_GET_ADDR = 3,
    PM_CMD_SET_LIMITS = 5,
    PM_CMD_GET_LIMITS = 6,
    PM_CMD_SET_FLAGS = 7,
};

enum {
    PM_ATTR_ADDR = 1,
    PM_ATTR_RCV_ADD_ADDRS = 2,
    PM_ATTR_SUBFLOWS = 3,
};

/* ---- Family resolution ---- */

#define CTRL_MAX CTRL_ATTR_MCAST_GROUPS
#define GROUP_MAX CTRL_ATTR_MCAST_GRP_ID

static const struct mptcp_nl_policy ctrl_policy[CTRL_MAX + 1] = {
    [CTRL_ATTR_FAMILY_ID] = {MNL_TYPE_U16, 0},
    [CTRL_ATTR_MCAST_GROUPS] = {MNL_TYPE_NESTED, 0},
};

static const struct mptcp_nl_policy group_policy[GROUP_MAX + 1] = {
    [CTRL_ATTR_MCAST_GRP_NAME] = {MNL_TYPE_NUL_STRING, 0},
    [CTRL_ATTR_MCAST_GRP_ID] = {MNL_TYPE_U32, 0},
};

struct family_state {
    int id;
    int group;
};

/* Each entry of CTRL_ATTR_MCAST_GROUPS is a nest (its type is its position). */
static int group_cb(const struct nlattr *attr, void *data) {
    struct family_state *st = data;
    const struct nlattr *tb[GROUP_MAX + 1];
    if (mptcp_nl_nest_table(attr, tb, GROUP_MAX, group_policy) < 0)
        return MNL_CB_ERROR;
    if (tb[CTRL_ATTR_MCAST_GRP_NAME] && tb[CTRL_ATTR_MCAST_GRP_ID] &&
        strcmp(mnl_attr_get_str(tb[CTRL_ATTR_MCAST_GRP_NAME]), PM_EVENTS_GROUP) == 0)
        st->group = (int)mnl_attr_get_u32(tb[CTRL_ATTR_MCAST_GRP_ID]);
    return MNL_CB_OK;
}

static int family_record_cb(const struct nlmsghdr *nlh, void *data) {
    struct family_state *st = data;
    const struct nlattr *tb[CTRL_MAX + 1];
    if (mptcp_nl_message_table(nlh, nlh->nlmsg_len, sizeof(struct genlmsghdr), tb, CTRL_MAX, ctrl_policy) == NULL)
        return -EBADMSG;
    if (tb[CTRL_ATTR_FAMILY_ID])
        st->id = mnl_attr_get_u16(tb[CTRL_ATTR_FAMILY_ID]);
    if (tb[CTRL_ATTR_MCAST_GROUPS] &&
        mptcp_nl_parse_attrs(mnl_attr_get_payload(tb[CTRL_ATTR_MCAST_GROUPS]),
                             mnl_attr_get_payload_len(tb[CTRL_ATTR_MCAST_GROUPS]), group_cb, st) < 0)
        return -EBADMSG;
    return 0;
}

static struct nlmsghdr *genl_request(char *buf, uint16_t type, uint8_t cmd, uint16_t flags) {
    struct nlmsghdr *nlh = mptcp_nl_request(buf, type, flags, sizeof(struct genlmsghdr));
    struct genlmsghdr *genl = mnl_nlmsg_get_payload(nlh);
    genl->cmd = cmd;
    genl->version = PM_VERSION;
    return nlh;
}

mptcp_nl *mptcp_nl_open_pm(const char *family, int *err) {
    mptcp_nl *nl = mptcp_nl_open_bus(NETLINK_GENERIC, err);
    if (nl == NULL)
        return NULL;
    char buf[256];
    struct nlmsghdr *nlh = genl_request(buf, GENL_ID_CTRL, CTRL_CMD_GETFAMILY, NLM_F_ACK);
    mnl_attr_put_strz(nlh, CTRL_ATTR_FAMILY_NAME, family);
    struct family_state st = {.id = -1, .group = -1};
    int ret = mptcp_nl_transact(nl, nlh, family_record_cb, &st);
    if (ret == 0 && st.id < 0)
        ret = -ENOENT;
    if (ret < 0) {
        *err = ret;
        mptcp_nl_close(nl);
        return NULL;
    }
    nl->family_id = st.id;
    nl->events_group = st.group;
    return nl;
}


/* ---- Endpoints ---- */

#define PM_ATTR_MAX PM_ATTR_SUBFLOWS
#define ADDR_ATTR_MAX MPTCP_NL_ADDR_ATTR_IF_IDX

static const struct mptcp_nl_policy pm_policy[PM_ATTR_MAX + 1] = {
    [PM_ATTR_ADDR] = {MNL_TYPE_NESTED, 0},
    [PM_ATTR_RCV_ADD_ADDRS] = {MNL_TYPE_U32, 0},
    [PM_ATTR_SUBFLOWS] = {MNL_TYPE_U32, 0},
};

static const struct mptcp_nl_policy address_policy[ADDR_ATTR_MAX + 1] = {
    [MPTCP_NL_ADDR_ATTR_FAMILY] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_ADDR_ATTR_ID] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_ADDR_ATTR_ADDR4] = {MNL_TYPE_BINARY, 4},
    [MPTCP_NL_ADDR_ATTR_ADDR6] = {MNL_TYPE_BINARY, 16},
    [MPTCP_NL_ADDR_ATTR_PORT] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_ADDR_ATTR_FLAGS] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_ADDR_ATTR_IF_IDX] = {MNL_TYPE_U32, 0},
};

/* The top-level attribute table of an mptcp_pm message. */
static int pm_table(const void *msg, size_t len, const struct nlattr **tb) {
    const struct genlmsghdr *genl = mptcp_nl_message_table(msg, len, sizeof *genl, tb, PM_ATTR_MAX, pm_policy);
    return genl == NULL ? -EBADMSG : genl->cmd;
}

int mptcp_nl_parse_endpoint(const void *msg, size_t len, struct mptcp_nl_endpoint *out) {
    const struct nlattr *tb[PM_ATTR_MAX + 1], *a[ADDR_ATTR_MAX + 1];
    memset(out, 0, sizeof *out);
    if (pm_table(msg, len, tb) < 0 || tb[PM_ATTR_ADDR] == NULL ||
        mptcp_nl_nest_table(tb[PM_ATTR_ADDR], a, ADDR_ATTR_MAX, address_policy) < 0)
        return -EBADMSG;
    /* An endpoint without id or family is not an endpoint. */
    if (a[MPTCP_NL_ADDR_ATTR_ID] == NULL || a[MPTCP_NL_ADDR_ATTR_FAMILY] == NULL)
        return -EBADMSG;
    mptcp_nl_get_u16(a[MPTCP_NL_ADDR_ATTR_FAMILY], &out->family);
    mptcp_nl_get_u8(a[MPTCP_NL_ADDR_ATTR_ID], &out->id);
    mptcp_nl_get_bytes(a[MPTCP_NL_ADDR_ATTR_ADDR4], out->addr, 4);
    mptcp_nl_get_bytes(a[MPTCP_NL_ADDR_ATTR_ADDR6], out->addr, 16);
    mptcp_nl_get_u16(a[MPTCP_NL_ADDR_ATTR_PORT], &out->port); /* host order in the PM nest */
    mptcp_nl_get_u32(a[MPTCP_NL_ADDR_ATTR_FLAGS], &out->flags);
    mptcp_nl_get_u32(a[MPTCP_NL_ADDR_ATTR_IF_IDX], (uint32_t *)&out->ifindex);
    out->attrs = mptcp_nl_attr_mask(a, ADDR_ATTR_MAX, address_policy);
    return 0;
}

struct endpoint_dump {
    mptcp_nl_endpoint_cb cb;
    void *context;
};

static int endpoint_record_cb(const struct nlmsghdr *nlh, void *data) {
    struct endpoint_dump *d = data;
    struct mptcp_nl_endpoint ep;
    int ret = mptcp_nl_parse_endpoint(nlh, nlh->nlmsg_len, &ep);
    return ret < 0 ? ret : d->cb(&ep, d->context);
}

int mptcp_nl_dump_endpoints(mptcp_nl *nl, mptcp_nl_endpoint_cb cb, void *context) {
    char buf[256];
    struct nlmsghdr *nlh = genl_request(buf, (uint16_t)nl->family_id, PM_CMD_GET_ADDR, NLM_F_DUMP);
    struct endpoint_dump d = {cb, context};
    return mptcp_nl_transact(nl, nlh, endpoint_record_cb, &d);
}

static void put_address(struct nlmsghdr *nlh, const struct mptcp_nl_endpoint *ep) {
    struct nlattr *nest = mnl_attr_nest_start(nlh, PM_ATTR_ADDR);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_FAMILY))
        mnl_attr_put_u16(nlh, MPTCP_NL_ADDR_ATTR_FAMILY, ep->family);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_ID))
        mnl_attr_put_u8(nlh, MPTCP_NL_ADDR_ATTR_ID, ep->id);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_ADDR4))
        mnl_attr_put(nlh, MPTCP_NL_ADDR_ATTR_ADDR4, 4, ep->addr);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_ADDR6))
        mnl_attr_put(nlh, MPTCP_NL_ADDR_ATTR_ADDR6, 16, ep->addr);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_PORT))
        mnl_attr_put_u16(nlh, MPTCP_NL_ADDR_ATTR_PORT, ep->port);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_FLAGS))
        mnl_attr_put_u32(nlh, MPTCP_NL_ADDR_ATTR_FLAGS, ep->flags);
    if (ep->attrs & (1u << MPTCP_NL_ADDR_ATTR_IF_IDX))
        mnl_attr_put_u32(nlh, MPTCP_NL_ADDR_ATTR_IF_IDX, (uint32_t)ep->ifindex);
    mnl_attr_nest_end(nlh, nest);
}

static int endpoint_command(mptcp_nl *nl, uint8_t cmd, const struct mptcp_nl_endpoint *ep) {
    char buf[512];
    struct nlmsghdr *nlh = genl_request(buf, (uint16_t)nl->family_id, cmd, NLM_F_ACK);
    put_address(nlh, ep);
    return mptcp_nl_transact(nl, nlh, NULL, NULL);
}

int mptcp_nl_add_endpoint(mptcp_nl *nl, const struct mptcp_nl_endpoint *ep) {
    return endpoint_command(nl, PM_CMD_ADD_ADDR, ep);
}

int mptcp_nl_delete_endpoint(mptcp_nl *nl, uint8_t id) {
    struct mptcp_nl_endpoint ep = {.attrs = 1u << MPTCP_NL_ADDR_ATTR_ID, .id = id};
    return endpoint_command(nl, PM_CMD_DEL_ADDR, &ep);
}

int mptcp_nl_set_endpoint_flags(mptcp_nl *nl, uint8_t id, uint32_t flags) {
    struct mptcp_nl_endpoint ep = {
        .attrs = (1u << MPTCP_NL_ADDR_ATTR_ID) | (1u << MPTCP_NL_ADDR_ATTR_FLAGS), .id = id, .flags = flags};
    return endpoint_command(nl, PM_CMD_SET_FLAGS, &ep);
}

/* ---- Limits ---- */

int mptcp_nl_parse_limits(const void *msg, size_t len, uint32_t *subflows, uint32_t *add_addr_accepted) {
    const struct nlattr *tb[PM_ATTR_MAX + 1];
    if (pm_table(msg, len, tb) < 0 || tb[PM_ATTR_SUBFLOWS] == NULL || tb[PM_ATTR_RCV_ADD_ADDRS] == NULL)
        return -EBADMSG;
    *subflows = mnl_attr_get_u32(tb[PM_ATTR_SUBFLOWS]);
    *add_addr_accepted = mnl_attr_get_u32(tb[PM_ATTR_RCV_ADD_ADDRS]);
    return 0;
}

static int limits_record_cb(const struct nlmsghdr *nlh, void *data) {
    uint32_t *out = data;
    return mptcp_nl_parse_limits(nlh, nlh->nlmsg_len, &out[0], &out[1]);
}

int mptcp_nl_get_limits(mptcp_nl *nl, uint32_t *subflows, uint32_t *add_addr_accepted) {
    char buf[256];
    struct nlmsghdr *nlh = genl_request(buf, (uint16_t)nl->family_id, PM_CMD_GET_LIMITS, NLM_F_ACK);
    uint32_t out[2] = {UINT32_MAX, UINT32_MAX};
    int ret = mptcp_nl_transact(nl, nlh, limits_record_cb, out);
    if (ret == 0 && out[0] == UINT32_MAX)
        ret = -EBADMSG; /* ACK without the reply */
    if (ret < 0)
        return ret;
    *subflows = out[0];
    *add_addr_accepted = out[1];
    return 0;
}

int mptcp_nl_set_limits(mptcp_nl *nl, int64_t subflows, int64_t add_addr_accepted) {
    char buf[256];
    struct nlmsghdr *nlh = genl_request(buf, (uint16_t)nl->family_id, PM_CMD_SET_LIMITS, NLM_F_ACK);
    if (subflows >= 0)
        mnl_attr_put_u32(nlh, PM_ATTR_SUBFLOWS, (uint32_t)subflows);
    if (add_addr_accepted >= 0)
        mnl_attr_put_u32(nlh, PM_ATTR_RCV_ADD_ADDRS, (uint32_t)add_addr_accepted);
    return mptcp_nl_transact(nl, nlh, NULL, NULL);
}

/* ---- Events ---- */

int mptcp_nl_subscribe_events(mptcp_nl *nl) {
    if (nl->events_group < 0)
        return -ENOENT;
    int group = nl->events_group;
    if (mnl_socket_setsockopt(nl->sock, NETLINK_ADD_MEMBERSHIP, &group, sizeof group) < 0)
        return -errno;
    int fd = mnl_socket_get_fd(nl->sock);
    int fl = fcntl(fd, F_GETFL);
    if (fl < 0 || fcntl(fd, F_SETFL, fl | O_NONBLOCK) < 0)
        return -errno;
    /* Bursts of connection churn produce many events; give the kernel room. SO_RCVBUF is
     * capped by net.core.rmem_max; SO_RCVBUFFORCE (CAP_NET_ADMIN, which joining the group
     * needed anyway) is not. */
    int size = 4 << 20;
    if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &size, sizeof size) < 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &size, sizeof size);
    return 0;
}

#define EV_ATTR_MAX MPTCP_NL_EV_ATTR_SERVER_SIDE

static const struct mptcp_nl_policy event_policy[EV_ATTR_MAX + 1] = {
    [MPTCP_NL_EV_ATTR_TOKEN] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_EV_ATTR_FAMILY] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_EV_ATTR_LOC_ID] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_EV_ATTR_REM_ID] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_EV_ATTR_SADDR4] = {MNL_TYPE_BINARY, 4},
    [MPTCP_NL_EV_ATTR_SADDR6] = {MNL_TYPE_BINARY, 16},
    [MPTCP_NL_EV_ATTR_DADDR4] = {MNL_TYPE_BINARY, 4},
    [MPTCP_NL_EV_ATTR_DADDR6] = {MNL_TYPE_BINARY, 16},
    [MPTCP_NL_EV_ATTR_SPORT] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_EV_ATTR_DPORT] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_EV_ATTR_BACKUP] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_EV_ATTR_ERROR] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_EV_ATTR_FLAGS] = {MNL_TYPE_U16, 0},
    [MPTCP_NL_EV_ATTR_TIMEOUT] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_EV_ATTR_IF_IDX] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_EV_ATTR_RESET_REASON] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_EV_ATTR_RESET_FLAGS] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_EV_ATTR_SERVER_SIDE] = {MNL_TYPE_U8, 0},
};

int mptcp_nl_parse_event(const void *msg, size_t len, struct mptcp_nl_event *out) {
    const struct nlattr *tb[EV_ATTR_MAX + 1];
    const struct genlmsghdr *genl =
        mptcp_nl_record_table(out, sizeof *out, msg, len, sizeof *genl, tb, EV_ATTR_MAX, event_policy);
    if (genl == NULL)
        return -EBADMSG;
    out->type = genl->cmd;
    mptcp_nl_get_u32(tb[MPTCP_NL_EV_ATTR_TOKEN], &out->token);
    mptcp_nl_get_u16(tb[MPTCP_NL_EV_ATTR_FAMILY], &out->family);
    mptcp_nl_get_u8(tb[MPTCP_NL_EV_ATTR_LOC_ID], &out->loc_id);
    mptcp_nl_get_u8(tb[MPTCP_NL_EV_ATTR_REM_ID], &out->rem_id);
    mptcp_nl_get_bytes(tb[MPTCP_NL_EV_ATTR_SADDR4], out->saddr, 4);
    mptcp_nl_get_bytes(tb[MPTCP_NL_EV_ATTR_SADDR6], out->saddr, 16);
    mptcp_nl_get_bytes(tb[MPTCP_NL_EV_ATTR_DADDR4], out->daddr, 4);
    mptcp_nl_get_bytes(tb[MPTCP_NL_EV_ATTR_DADDR6], out->daddr, 16);
    mptcp_nl_get_u16(tb[MPTCP_NL_EV_ATTR_SPORT], &out->sport);
    mptcp_nl_get_u16(tb[MPTCP_NL_EV_ATTR_DPORT], &out->dport);
    /* Event ports are in network order (unlike the PM address nest). */
    out->sport = ntohs(out->sport);
    out->dport = ntohs(out->dport);
    mptcp_nl_get_u8(tb[MPTCP_NL_EV_ATTR_BACKUP], &out->backup);
    mptcp_nl_get_u8(tb[MPTCP_NL_EV_ATTR_ERROR], &out->error);
    mptcp_nl_get_u16(tb[MPTCP_NL_EV_ATTR_FLAGS], &out->flags);
    mptcp_nl_get_u32(tb[MPTCP_NL_EV_ATTR_TIMEOUT], &out->timeout);
    mptcp_nl_get_u32(tb[MPTCP_NL_EV_ATTR_IF_IDX], (uint32_t *)&out->ifindex);
    mptcp_nl_get_u32(tb[MPTCP_NL_EV_ATTR_RESET_REASON], &out->reset_reason);
    mptcp_nl_get_u32(tb[MPTCP_NL_EV_ATTR_RESET_FLAGS], &out->reset_flags);
    mptcp_nl_get_u8(tb[MPTCP_NL_EV_ATTR_SERVER_SIDE], &out->server_side);
    out->attrs = mptcp_nl_attr_mask(tb, EV_ATTR_MAX, event_policy);
    return 0;
}

int mptcp_nl_read_events(mptcp_nl *nl, unsigned max, mptcp_nl_event_cb cb, void *context) {
    int delivered = 0, overrun = 0;
    for (unsigned datagrams = 0; max == 0 || datagrams < max; datagrams++) {
        ssize_t n = recv(mnl_socket_get_fd(nl->sock), nl->buf, nl->buf_size, 0);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            if (errno == ENOBUFS) {
                overrun = 1;
                continue;
            }
            if (errno == EAGAIN || errno == EWOULDBLOCK)
                break;
            return -errno;
        }
        int len = (int)n;
        for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, len);
             nlh = mnl_nlmsg_next(nlh, &len)) {
            if (nlh->nlmsg_type != nl->family_id)
                continue;
            struct mptcp_nl_event ev;
            if (mptcp_nl_parse_event(nlh, nlh->nlmsg_len, &ev) < 0)
                continue; /* malformed event: skip it, keep the rest */
            int ret = cb(&ev, context);
            if (ret < 0)
                return ret; /* the events after it stay queued for the next call */
            delivered++;
        }
    }
    return overrun ? -ENOBUFS : delivered;
}
