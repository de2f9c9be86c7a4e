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

struct family_state {
    int id;
    int group;
};

struct mcast_group {
    const char *name;
    uint32_t id;
};

static int group_attr_cb(const struct nlattr *attr, void *data) {
    struct mcast_group *g = data;
    switch (mnl_attr_get_type(attr)) {
    case CTRL_ATTR_MCAST_GRP_NAME:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
            return MNL_CB_ERROR;
        g->name = mnl_attr_get_str(attr);
        break;
    case CTRL_ATTR_MCAST_GRP_ID:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
            return MNL_CB_ERROR;
        g->id = mnl_attr_get_u32(attr);
        break;
    }
    return MNL_CB_OK;
}

static int groups_cb(const struct nlattr *attr, void *data) {
    struct family_state *st = data;
    struct mcast_group g = {NULL, 0};
    if (mptcp_nl_parse_attrs(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), group_attr_cb, &g) < 0)
        return MNL_CB_ERROR;
    if (g.name != NULL && strcmp(g.name, PM_EVENTS_GROUP) == 0)
        st->group = (int)g.id;
    return MNL_CB_OK;
}

static int family_attr_cb(const struct nlattr *attr, void *data) {
    struct family_state *st = data;
    switch (mnl_attr_get_type(attr)) {
    case CTRL_ATTR_FAMILY_ID:
        if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
            return MNL_CB_ERROR;
        st->id = mnl_attr_get_u16(attr);
        break;
    case CTRL_ATTR_MCAST_GROUPS:
        if (mptcp_nl_parse_attrs(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), groups_cb, st) < 0)
            return MNL_CB_ERROR;
        break;
    }
    return MNL_CB_OK;
}

static int family_record_cb(const struct nlmsghdr *nlh, void *data) {
    if (!mptcp_nl_message_ok(nlh, nlh->nlmsg_len, sizeof(struct genlmsghdr)))
        return -EBADMSG;
    return mptcp_nl_parse_attrs(mnl_nlmsg_get_payload_offset(nlh, sizeof(struct genlmsghdr)),
                                nlh->nlmsg_len - MNL_NLMSG_HDRLEN - MNL_ALIGN(sizeof(struct genlmsghdr)),
                                family_attr_cb, data);
}

static struct nlmsghdr *genl_request(char *buf, uint16_t type, uint8_t cmd, uint16_t flags) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    struct genlmsghdr *genl = mnl_nlmsg_put_extra_header(nlh, sizeof *genl);
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

static int address_attr_cb(const struct nlattr *attr, void *data) {
    struct mptcp_nl_endpoint *ep = data;
    uint16_t type = mnl_attr_get_type(attr);
    switch (type) {
    case MPTCP_NL_ADDR_ATTR_FAMILY:
    case MPTCP_NL_ADDR_ATTR_PORT:
        if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
            return MNL_CB_ERROR;
        if (type == MPTCP_NL_ADDR_ATTR_FAMILY)
            ep->family = mnl_attr_get_u16(attr);
        else
            ep->port = mnl_attr_get_u16(attr); /* host order in the PM nest */
        break;
    case MPTCP_NL_ADDR_ATTR_ID:
        if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
            return MNL_CB_ERROR;
        ep->id = mnl_attr_get_u8(attr);
        break;
    case MPTCP_NL_ADDR_ATTR_ADDR4:
    case MPTCP_NL_ADDR_ATTR_ADDR6: {
        size_t n = type == MPTCP_NL_ADDR_ATTR_ADDR4 ? 4 : 16;
        if (mnl_attr_get_payload_len(attr) != n)
            return MNL_CB_ERROR;
        memcpy(ep->addr, mnl_attr_get_payload(attr), n);
        break;
    }
    case MPTCP_NL_ADDR_ATTR_FLAGS:
    case MPTCP_NL_ADDR_ATTR_IF_IDX:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
            return MNL_CB_ERROR;
        if (type == MPTCP_NL_ADDR_ATTR_FLAGS)
            ep->flags = mnl_attr_get_u32(attr);
        else
            ep->ifindex = (int32_t)mnl_attr_get_u32(attr);
        break;
    default:
        return MNL_CB_OK;
    }
    ep->attrs |= 1u << type;
    return MNL_CB_OK;
}

static int endpoint_top_cb(const struct nlattr *attr, void *data) {
    if (mnl_attr_get_type(attr) != PM_ATTR_ADDR)
        return MNL_CB_OK;
    if (mptcp_nl_parse_attrs(mnl_attr_get_payload(attr), mnl_attr_get_payload_len(attr), address_attr_cb, data) < 0)
        return MNL_CB_ERROR;
    return MNL_CB_OK;
}

static int genl_payload(const void *msg, size_t len, const void **attrs, size_t *attrs_len) {
    if (!mptcp_nl_message_ok(msg, len, sizeof(struct genlmsghdr)))
        return -EBADMSG;
    const struct nlmsghdr *nlh = msg;
    size_t offset = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct genlmsghdr));
    *attrs = (const char *)msg + offset;
    *attrs_len = nlh->nlmsg_len > offset ? nlh->nlmsg_len - offset : 0;
    return 0;
}

int mptcp_nl_parse_endpoint(const void *msg, size_t len, struct mptcp_nl_endpoint *out) {
    const void *attrs;
    size_t attrs_len;
    if (genl_payload(msg, len, &attrs, &attrs_len) < 0)
        return -EBADMSG;
    memset(out, 0, sizeof *out);
    int ret = mptcp_nl_parse_attrs(attrs, attrs_len, endpoint_top_cb, out);
    if (ret < 0)
        return ret;
    /* An endpoint without id or family is not an endpoint. */
    if (!(out->attrs & (1u << MPTCP_NL_ADDR_ATTR_ID)) || !(out->attrs & (1u << MPTCP_NL_ADDR_ATTR_FAMILY)))
        return -EBADMSG;
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

struct limits {
    uint32_t subflows, add_addr_accepted;
    int seen;
};

static int limits_attr_cb(const struct nlattr *attr, void *data) {
    struct limits *l = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type != PM_ATTR_RCV_ADD_ADDRS && type != PM_ATTR_SUBFLOWS)
        return MNL_CB_OK;
    if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
        return MNL_CB_ERROR;
    if (type == PM_ATTR_SUBFLOWS)
        l->subflows = mnl_attr_get_u32(attr);
    else
        l->add_addr_accepted = mnl_attr_get_u32(attr);
    l->seen |= 1 << type;
    return MNL_CB_OK;
}

int mptcp_nl_parse_limits(const void *msg, size_t len, uint32_t *subflows, uint32_t *add_addr_accepted) {
    const void *attrs;
    size_t attrs_len;
    if (genl_payload(msg, len, &attrs, &attrs_len) < 0)
        return -EBADMSG;
    struct limits l = {0};
    int ret = mptcp_nl_parse_attrs(attrs, attrs_len, limits_attr_cb, &l);
    if (ret < 0)
        return ret;
    if (l.seen != ((1 << PM_ATTR_SUBFLOWS) | (1 << PM_ATTR_RCV_ADD_ADDRS)))
        return -EBADMSG;
    *subflows = l.subflows;
    *add_addr_accepted = l.add_addr_accepted;
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

static int copy_address(const struct nlattr *attr, uint8_t *dst, size_t n) {
    if (mnl_attr_get_payload_len(attr) != n)
        return -1;
    memcpy(dst, mnl_attr_get_payload(attr), n);
    return 0;
}

static int event_attr_cb(const struct nlattr *attr, void *data) {
    struct mptcp_nl_event *ev = data;
    uint16_t type = mnl_attr_get_type(attr);
    int bad = 0;
    switch (type) {
    case MPTCP_NL_EV_ATTR_TOKEN:
    case MPTCP_NL_EV_ATTR_TIMEOUT:
    case MPTCP_NL_EV_ATTR_IF_IDX:
    case MPTCP_NL_EV_ATTR_RESET_REASON:
    case MPTCP_NL_EV_ATTR_RESET_FLAGS: {
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
            return MNL_CB_ERROR;
        uint32_t v = mnl_attr_get_u32(attr);
        if (type == MPTCP_NL_EV_ATTR_TOKEN)
            ev->token = v;
        else if (type == MPTCP_NL_EV_ATTR_TIMEOUT)
            ev->timeout = v;
        else if (type == MPTCP_NL_EV_ATTR_IF_IDX)
            ev->ifindex = (int32_t)v;
        else if (type == MPTCP_NL_EV_ATTR_RESET_REASON)
            ev->reset_reason = v;
        else
            ev->reset_flags = v;
        break;
    }
    case MPTCP_NL_EV_ATTR_FAMILY:
    case MPTCP_NL_EV_ATTR_SPORT:
    case MPTCP_NL_EV_ATTR_DPORT:
    case MPTCP_NL_EV_ATTR_FLAGS: {
        if (mnl_attr_validate(attr, MNL_TYPE_U16) < 0)
            return MNL_CB_ERROR;
        uint16_t v = mnl_attr_get_u16(attr);
        if (type == MPTCP_NL_EV_ATTR_FAMILY)
            ev->family = v;
        else if (type == MPTCP_NL_EV_ATTR_SPORT)
            ev->sport = ntohs(v); /* event ports are in network order */
        else if (type == MPTCP_NL_EV_ATTR_DPORT)
            ev->dport = ntohs(v);
        else
            ev->flags = v;
        break;
    }
    case MPTCP_NL_EV_ATTR_LOC_ID:
    case MPTCP_NL_EV_ATTR_REM_ID:
    case MPTCP_NL_EV_ATTR_BACKUP:
    case MPTCP_NL_EV_ATTR_ERROR:
    case MPTCP_NL_EV_ATTR_SERVER_SIDE: {
        if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
            return MNL_CB_ERROR;
        uint8_t v = mnl_attr_get_u8(attr);
        if (type == MPTCP_NL_EV_ATTR_LOC_ID)
            ev->loc_id = v;
        else if (type == MPTCP_NL_EV_ATTR_REM_ID)
            ev->rem_id = v;
        else if (type == MPTCP_NL_EV_ATTR_BACKUP)
            ev->backup = v;
        else if (type == MPTCP_NL_EV_ATTR_ERROR)
            ev->error = v;
        else
            ev->server_side = v;
        break;
    }
    case MPTCP_NL_EV_ATTR_SADDR4:
        bad = copy_address(attr, ev->saddr, 4);
        break;
    case MPTCP_NL_EV_ATTR_DADDR4:
        bad = copy_address(attr, ev->daddr, 4);
        break;
    case MPTCP_NL_EV_ATTR_SADDR6:
        bad = copy_address(attr, ev->saddr, 16);
        break;
    case MPTCP_NL_EV_ATTR_DADDR6:
        bad = copy_address(attr, ev->daddr, 16);
        break;
    default:
        return MNL_CB_OK;
    }
    if (bad)
        return MNL_CB_ERROR;
    ev->attrs |= 1u << type;
    return MNL_CB_OK;
}

int mptcp_nl_parse_event(const void *msg, size_t len, struct mptcp_nl_event *out) {
    const void *attrs;
    size_t attrs_len;
    if (genl_payload(msg, len, &attrs, &attrs_len) < 0)
        return -EBADMSG;
    memset(out, 0, sizeof *out);
    const struct genlmsghdr *genl = mnl_nlmsg_get_payload(msg);
    out->type = genl->cmd;
    return mptcp_nl_parse_attrs(attrs, attrs_len, event_attr_cb, out);
}

int mptcp_nl_read_events(mptcp_nl *nl, mptcp_nl_event_cb cb, void *context) {
    int appended = 0, overrun = 0;
    for (;;) {
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
            cb(&ev, context);
            appended++;
        }
    }
    return overrun ? -ENOBUFS : appended;
}
