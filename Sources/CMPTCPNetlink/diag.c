/* sock_diag: MPTCP sockets (connections, listeners) and TCP subflows. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/inet_diag.h>
#include <linux/sock_diag.h>
#include <netinet/in.h>
#include <string.h>

#include "internal.h"

_Static_assert(sizeof(struct mptcp_nl_info) == 96, "struct mptcp_info of Linux 6.18 is 96 bytes");
_Static_assert(offsetof(struct mptcp_nl_tcp_info, total_retrans) == 100, "tcp_info layout");
_Static_assert(offsetof(struct mptcp_nl_tcp_info, bytes_sent) == 200, "tcp_info layout");

#define INET_ULP_NAME_MPTCP "mptcp"

mptcp_nl *mptcp_nl_open_diag(int *err) { return mptcp_nl_open_bus(NETLINK_SOCK_DIAG, err); }

static void copy_sock(struct mptcp_nl_sock *out, const struct inet_diag_msg *m) {
    out->family = m->idiag_family;
    out->state = m->idiag_state;
    out->timer = m->idiag_timer;
    out->retrans = m->idiag_retrans;
    out->sport = ntohs(m->id.idiag_sport);
    out->dport = ntohs(m->id.idiag_dport);
    memcpy(out->src, m->id.idiag_src, sizeof out->src);
    memcpy(out->dst, m->id.idiag_dst, sizeof out->dst);
    out->ifindex = m->id.idiag_if;
    out->uid = m->idiag_uid;
    out->inode = m->idiag_inode;
    out->rqueue = m->idiag_rqueue;
    out->wqueue = m->idiag_wqueue;
}

/* Kernels send shorter or longer structs than ours: copy what both have. */
static uint32_t copy_prefix(void *dst, size_t dst_size, const struct nlattr *attr) {
    size_t n = mnl_attr_get_payload_len(attr);
    if (n > dst_size)
        n = dst_size;
    memcpy(dst, mnl_attr_get_payload(attr), n);
    return (uint32_t)n;
}

static int connection_attr_cb(const struct nlattr *attr, void *data) {
    struct mptcp_nl_connection *c = data;
    if (mnl_attr_get_type(attr) == INET_DIAG_INFO)
        c->info_len = copy_prefix(&c->info, sizeof c->info, attr);
    return MNL_CB_OK;
}

/* The inet_diag_msg of a record, and where its attributes are (0 bytes if none). */
static int parse_diag_header(const void *msg, size_t len, struct mptcp_nl_sock *sock, const void **attrs,
                             size_t *attrs_len) {
    if (!mptcp_nl_message_ok(msg, len, sizeof(struct inet_diag_msg)))
        return -EBADMSG;
    const struct nlmsghdr *nlh = msg;
    copy_sock(sock, mnl_nlmsg_get_payload(nlh));
    size_t offset = MNL_NLMSG_HDRLEN + MNL_ALIGN(sizeof(struct inet_diag_msg));
    *attrs = (const char *)msg + offset;
    *attrs_len = nlh->nlmsg_len > offset ? nlh->nlmsg_len - offset : 0;
    return 0;
}

int mptcp_nl_parse_connection(const void *msg, size_t len, struct mptcp_nl_connection *out) {
    const void *attrs;
    size_t attrs_len;
    memset(out, 0, sizeof *out);
    if (parse_diag_header(msg, len, &out->sock, &attrs, &attrs_len) < 0)
        return -EBADMSG;
    return mptcp_nl_parse_attrs(attrs, attrs_len, connection_attr_cb, out);
}

static int subflow_mptcp_attr_cb(const struct nlattr *attr, void *data) {
    struct mptcp_nl_subflow *s = data;
    uint16_t type = mnl_attr_get_type(attr);
    switch (type) {
    case MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM:
    case MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC:
    case MPTCP_NL_SUBFLOW_ATTR_FLAGS:
        if (mnl_attr_validate(attr, MNL_TYPE_U32) < 0)
            return MNL_CB_ERROR;
        uint32_t v = mnl_attr_get_u32(attr);
        if (type == MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM)
            s->token_rem = v;
        else if (type == MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC)
            s->token_loc = v;
        else
            s->flags = v;
        break;
    case MPTCP_NL_SUBFLOW_ATTR_ID_REM:
    case MPTCP_NL_SUBFLOW_ATTR_ID_LOC:
        if (mnl_attr_validate(attr, MNL_TYPE_U8) < 0)
            return MNL_CB_ERROR;
        if (type == MPTCP_NL_SUBFLOW_ATTR_ID_REM)
            s->id_rem = mnl_attr_get_u8(attr);
        else
            s->id_loc = mnl_attr_get_u8(attr);
        break;
    default:
        return MNL_CB_OK; /* sequence numbers (privileged), padding, newer attributes */
    }
    s->attrs |= 1u << type;
    return MNL_CB_OK;
}

struct ulp_state {
    struct mptcp_nl_subflow *subflow;
    int is_mptcp;
    const struct nlattr *mptcp_nest;
};

static int ulp_attr_cb(const struct nlattr *attr, void *data) {
    struct ulp_state *u = data;
    switch (mnl_attr_get_type(attr)) {
    case INET_ULP_INFO_NAME:
        if (mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) < 0)
            return MNL_CB_ERROR;
        u->is_mptcp = strcmp(mnl_attr_get_str(attr), INET_ULP_NAME_MPTCP) == 0;
        break;
    case INET_ULP_INFO_MPTCP:
        u->mptcp_nest = attr;
        break;
    }
    return MNL_CB_OK;
}

struct subflow_state {
    struct mptcp_nl_subflow *subflow;
    const struct nlattr *ulp;
};

static int subflow_attr_cb(const struct nlattr *attr, void *data) {
    struct subflow_state *st = data;
    switch (mnl_attr_get_type(attr)) {
    case INET_DIAG_INFO:
        st->subflow->tcp_info_len = copy_prefix(&st->subflow->tcp, sizeof st->subflow->tcp, attr);
        break;
    case INET_DIAG_ULP_INFO:
        st->ulp = attr;
        break;
    }
    return MNL_CB_OK;
}

int mptcp_nl_parse_subflow(const void *msg, size_t len, struct mptcp_nl_subflow *out) {
    const void *attrs;
    size_t attrs_len;
    memset(out, 0, sizeof *out);
    if (parse_diag_header(msg, len, &out->sock, &attrs, &attrs_len) < 0)
        return -EBADMSG;
    struct subflow_state st = {.subflow = out};
    int ret = mptcp_nl_parse_attrs(attrs, attrs_len, subflow_attr_cb, &st);
    if (ret < 0)
        return ret;
    if (st.ulp == NULL)
        return 0;
    /* Nests are parsed by type whatever NLA_F_NESTED says: the kernel does not set it here. */
    struct ulp_state u = {.subflow = out};
    ret = mptcp_nl_parse_attrs(mnl_attr_get_payload(st.ulp), mnl_attr_get_payload_len(st.ulp), ulp_attr_cb, &u);
    if (ret < 0)
        return ret;
    if (!u.is_mptcp)
        return 0;
    if (u.mptcp_nest != NULL) {
        ret = mptcp_nl_parse_attrs(mnl_attr_get_payload(u.mptcp_nest), mnl_attr_get_payload_len(u.mptcp_nest),
                                   subflow_mptcp_attr_cb, out);
        if (ret < 0)
            return ret;
    }
    return 1;
}

struct dump_state {
    int subflows;
    void *cb;
    void *context;
};

static int dump_record_cb(const struct nlmsghdr *nlh, void *data) {
    struct dump_state *st = data;
    if (st->subflows) {
        struct mptcp_nl_subflow sf;
        int ret = mptcp_nl_parse_subflow(nlh, nlh->nlmsg_len, &sf);
        if (ret <= 0)
            return ret;
        return ((mptcp_nl_subflow_cb)st->cb)(&sf, st->context);
    }
    struct mptcp_nl_connection c;
    int ret = mptcp_nl_parse_connection(nlh, nlh->nlmsg_len, &c);
    if (ret < 0)
        return ret;
    return ((mptcp_nl_connection_cb)st->cb)(&c, st->context);
}

static int dump(mptcp_nl *nl, uint8_t family, uint32_t states, int mptcp, void *cb, void *context) {
    char buf[256];
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = SOCK_DIAG_BY_FAMILY;
    nlh->nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
    struct inet_diag_req_v2 *req = mnl_nlmsg_put_extra_header(nlh, sizeof *req);
    req->sdiag_family = family;
    /* The u8 protocol field cannot hold 262: MPTCP goes in INET_DIAG_REQ_PROTOCOL. */
    req->sdiag_protocol = IPPROTO_TCP;
    /* The INFO bit also makes the kernel emit INET_DIAG_ULP_INFO for subflows. */
    req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
    req->idiag_states = states;
    if (mptcp)
        mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, MPTCP_NL_IPPROTO_MPTCP);

    struct dump_state st = {.subflows = !mptcp, .cb = cb, .context = context};
    return mptcp_nl_transact(nl, nlh, dump_record_cb, &st);
}

int mptcp_nl_dump_connections(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_connection_cb cb,
                              void *context) {
    return dump(nl, family, states, 1, (void *)cb, context);
}

int mptcp_nl_dump_subflows(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_subflow_cb cb, void *context) {
    return dump(nl, family, states, 0, (void *)cb, context);
}
