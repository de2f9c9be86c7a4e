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
#define DIAG_ATTR_MAX INET_DIAG_ULP_INFO
#define ULP_ATTR_MAX INET_ULP_INFO_MPTCP
#define SUBFLOW_ATTR_MAX MPTCP_NL_SUBFLOW_ATTR_ID_LOC

/* INET_DIAG_INFO is a struct of kernel-dependent length: checked by copy_prefix. */
static const struct mptcp_nl_policy diag_policy[DIAG_ATTR_MAX + 1] = {
    [INET_DIAG_SKV6ONLY] = {MNL_TYPE_U8, 0},
};

static const struct mptcp_nl_policy ulp_policy[ULP_ATTR_MAX + 1] = {
    [INET_ULP_INFO_NAME] = {MNL_TYPE_NUL_STRING, 0},
};

static const struct mptcp_nl_policy subflow_policy[SUBFLOW_ATTR_MAX + 1] = {
    [MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_SUBFLOW_ATTR_FLAGS] = {MNL_TYPE_U32, 0},
    [MPTCP_NL_SUBFLOW_ATTR_ID_REM] = {MNL_TYPE_U8, 0},
    [MPTCP_NL_SUBFLOW_ATTR_ID_LOC] = {MNL_TYPE_U8, 0},
};

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

/* Kernels send shorter or longer structs than ours: copy what both have (nothing when
 * the attribute is missing). */
static uint32_t copy_prefix(void *dst, size_t dst_size, const struct nlattr *attr) {
    if (attr == NULL)
        return 0;
    size_t n = mnl_attr_get_payload_len(attr);
    if (n > dst_size)
        n = dst_size;
    memcpy(dst, mnl_attr_get_payload(attr), n);
    return (uint32_t)n;
}

/* What every sock_diag record has: the record zeroed, its socket header, INET_DIAG_INFO
 * copied into `info` (as much as both have, the length copied into *info_len), and the
 * top-level attribute table. */
static int parse_record(const void *msg, size_t len, void *record, size_t record_size, struct mptcp_nl_sock *sock,
                        void *info, size_t info_size, uint32_t *info_len, const struct nlattr **tb) {
    const struct inet_diag_msg *m =
        mptcp_nl_record_table(record, record_size, msg, len, sizeof *m, tb, DIAG_ATTR_MAX, diag_policy);
    if (m == NULL)
        return -EBADMSG;
    copy_sock(sock, m);
    *info_len = copy_prefix(info, info_size, tb[INET_DIAG_INFO]);
    return 0;
}

int mptcp_nl_parse_connection(const void *msg, size_t len, struct mptcp_nl_connection *out) {
    const struct nlattr *tb[DIAG_ATTR_MAX + 1];
    if (parse_record(msg, len, out, sizeof *out, &out->sock, &out->info, sizeof out->info, &out->info_len, tb) < 0)
        return -EBADMSG;
    out->v6only = tb[INET_DIAG_SKV6ONLY] ? (int8_t)(mnl_attr_get_u8(tb[INET_DIAG_SKV6ONLY]) != 0) : -1;
    return 0;
}

int mptcp_nl_parse_subflow(const void *msg, size_t len, struct mptcp_nl_subflow *out) {
    const struct nlattr *tb[DIAG_ATTR_MAX + 1];
    if (parse_record(msg, len, out, sizeof *out, &out->sock, &out->tcp, sizeof out->tcp, &out->tcp_info_len, tb) < 0)
        return -EBADMSG;
    if (tb[INET_DIAG_ULP_INFO] == NULL)
        return 0;
    /* Nests are parsed by type whatever NLA_F_NESTED says: the kernel does not set it here. */
    const struct nlattr *ulp[ULP_ATTR_MAX + 1];
    if (mptcp_nl_nest_table(tb[INET_DIAG_ULP_INFO], ulp, ULP_ATTR_MAX, ulp_policy) < 0)
        return -EBADMSG;
    if (ulp[INET_ULP_INFO_NAME] == NULL || strcmp(mnl_attr_get_str(ulp[INET_ULP_INFO_NAME]), INET_ULP_NAME_MPTCP) != 0)
        return 0;
    if (ulp[INET_ULP_INFO_MPTCP] == NULL)
        return 1; /* a listening subflow: the name only */
    const struct nlattr *sf[SUBFLOW_ATTR_MAX + 1];
    if (mptcp_nl_nest_table(ulp[INET_ULP_INFO_MPTCP], sf, SUBFLOW_ATTR_MAX, subflow_policy) < 0)
        return -EBADMSG;
    /* Sequence numbers (privileged), padding and newer attributes are not read. */
    mptcp_nl_get_u32(sf[MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM], &out->token_rem);
    mptcp_nl_get_u32(sf[MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC], &out->token_loc);
    mptcp_nl_get_u32(sf[MPTCP_NL_SUBFLOW_ATTR_FLAGS], &out->flags);
    mptcp_nl_get_u8(sf[MPTCP_NL_SUBFLOW_ATTR_ID_REM], &out->id_rem);
    mptcp_nl_get_u8(sf[MPTCP_NL_SUBFLOW_ATTR_ID_LOC], &out->id_loc);
    out->attrs = mptcp_nl_attr_mask(sf, SUBFLOW_ATTR_MAX, subflow_policy);
    return 1;
}

/* One dump's record parser and the caller's callback for its records. */
struct dump_state {
    mptcp_nl_connection_cb on_connection; /* MPTCP socket dumps */
    mptcp_nl_subflow_cb on_subflow;       /* TCP socket dumps */
    void *context;
};

static int dump_record_cb(const struct nlmsghdr *nlh, void *data) {
    struct dump_state *st = data;
    if (st->on_subflow != NULL) {
        struct mptcp_nl_subflow sf;
        int ret = mptcp_nl_parse_subflow(nlh, nlh->nlmsg_len, &sf);
        if (ret <= 0)
            return ret; /* malformed, or a TCP socket that is not a subflow */
        return st->on_subflow(&sf, st->context);
    }
    struct mptcp_nl_connection c;
    int ret = mptcp_nl_parse_connection(nlh, nlh->nlmsg_len, &c);
    if (ret < 0)
        return ret;
    return st->on_connection(&c, st->context);
}

static int dump(mptcp_nl *nl, uint8_t family, uint32_t states, const struct dump_state *st) {
    char buf[256];
    struct nlmsghdr *nlh = mptcp_nl_request(buf, SOCK_DIAG_BY_FAMILY, NLM_F_DUMP, sizeof(struct inet_diag_req_v2));
    struct inet_diag_req_v2 *req = mnl_nlmsg_get_payload(nlh);
    req->sdiag_family = family;
    /* The u8 protocol field cannot hold 262: MPTCP goes in INET_DIAG_REQ_PROTOCOL. */
    req->sdiag_protocol = IPPROTO_TCP;
    /* The INFO bit also makes the kernel emit INET_DIAG_ULP_INFO for subflows. */
    req->idiag_ext = 1 << (INET_DIAG_INFO - 1);
    req->idiag_states = states;
    if (st->on_connection != NULL)
        mnl_attr_put_u32(nlh, INET_DIAG_REQ_PROTOCOL, MPTCP_NL_IPPROTO_MPTCP);
    return mptcp_nl_transact(nl, nlh, dump_record_cb, (void *)st);
}

int mptcp_nl_dump_connections(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_connection_cb cb,
                              void *context) {
    struct dump_state st = {.on_connection = cb, .context = context};
    return dump(nl, family, states, &st);
}

int mptcp_nl_dump_subflows(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_subflow_cb cb, void *context) {
    struct dump_state st = {.on_subflow = cb, .context = context};
    return dump(nl, family, states, &st);
}
