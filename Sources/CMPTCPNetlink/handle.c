/* Netlink handle, request/reply loop and kernel error (extack) extraction. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>

#include "internal.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif
#ifndef NETLINK_CAP_ACK
#define NETLINK_CAP_ACK 10
#endif

/* The kernel fills at most ~32 KiB per dump datagram; leave room. */
#define RECV_BUFFER_SIZE 65536

/* Opens and binds the handle's socket. 0 or -errno. */
static int open_socket(mptcp_nl *nl) {
    nl->sock = mnl_socket_open(nl->bus);
    if (nl->sock == NULL)
        return -errno;
    if (mnl_socket_bind(nl->sock, 0, MNL_SOCKET_AUTOPID) < 0) {
        int err = -errno;
        mnl_socket_close(nl->sock);
        nl->sock = NULL;
        return err;
    }
    int on = 1;
    /* Best effort: older kernels lack extack; errors then come without text. */
    mnl_socket_setsockopt(nl->sock, NETLINK_EXT_ACK, &on, sizeof on);
    mnl_socket_setsockopt(nl->sock, NETLINK_CAP_ACK, &on, sizeof on);
    /* A kernel always answers; the timeout only guards against a wedged socket. */
    struct timeval tv = {.tv_sec = 5};
    setsockopt(mnl_socket_get_fd(nl->sock), SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    nl->portid = mnl_socket_get_portid(nl->sock);
    return 0;
}

mptcp_nl *mptcp_nl_open_bus(int bus, int *err) {
    mptcp_nl *nl = calloc(1, sizeof *nl);
    if (nl == NULL) {
        *err = -ENOMEM;
        return NULL;
    }
    nl->bus = bus;
    nl->buf_size = RECV_BUFFER_SIZE;
    nl->buf = malloc(nl->buf_size);
    *err = nl->buf == NULL ? -ENOMEM : open_socket(nl);
    if (*err < 0) {
        mptcp_nl_close(nl);
        return NULL;
    }
    nl->seq = (unsigned int)time(NULL);
    return nl;
}

/* A reply that could not be read to its end would answer later requests with -EBUSY
 * (a dump still running) or stale messages: start over with a fresh socket. */
static void reopen_socket(mptcp_nl *nl) {
    mnl_socket_close(nl->sock);
    nl->sock = NULL;
    open_socket(nl);
}

void mptcp_nl_close(mptcp_nl *nl) {
    if (nl == NULL)
        return;
    if (nl->sock != NULL)
        mnl_socket_close(nl->sock);
    free(nl->buf);
    free(nl);
}

int mptcp_nl_fd(const mptcp_nl *nl) { return nl->sock != NULL ? mnl_socket_get_fd(nl->sock) : -1; }

const char *mptcp_nl_error_message(const mptcp_nl *nl) { return nl->errmsg; }

int mptcp_nl_message_ok(const void *msg, size_t len, size_t header) {
    const struct nlmsghdr *nlh = msg;
    if (msg == NULL || len < sizeof(struct nlmsghdr))
        return 0;
    if (nlh->nlmsg_len < MNL_NLMSG_HDRLEN + header || nlh->nlmsg_len > len)
        return 0;
    return 1;
}

int mptcp_nl_parse_attrs(const void *start, size_t len, mnl_attr_cb_t cb, void *data) {
    const struct nlattr *attr = start;
    int remaining = (int)len;
    while (mnl_attr_ok(attr, remaining)) {
        int ret = cb(attr, data);
        if (ret <= MNL_CB_STOP)
            return ret == MNL_CB_STOP ? 0 : -EBADMSG;
        remaining -= MNL_ALIGN(attr->nla_len);
        attr = mnl_attr_next(attr);
    }
    /* remaining < 0 only when the last attribute was not padded: still whole. */
    return remaining > 0 ? -EBADMSG : 0;
}

struct attr_table {
    const struct nlattr **tb;
    uint16_t max;
};

static int attr_table_cb(const struct nlattr *attr, void *data) {
    struct attr_table *t = data;
    uint16_t type = mnl_attr_get_type(attr);
    if (type <= t->max)
        t->tb[type] = attr;
    return MNL_CB_OK;
}

int mptcp_nl_attr_table(const void *start, size_t len, const struct nlattr **tb, uint16_t max,
                        const struct mptcp_nl_policy *policy) {
    memset(tb, 0, (max + 1) * sizeof *tb);
    struct attr_table t = {tb, max};
    if (mptcp_nl_parse_attrs(start, len, attr_table_cb, &t) < 0)
        return -EBADMSG;
    for (uint16_t type = 0; type <= max; type++) {
        if (tb[type] == NULL || policy == NULL || policy[type].type == MNL_TYPE_UNSPEC)
            continue;
        /* With a length, validate2 checks it exactly; scalar types have their own. */
        int ret = policy[type].len != 0 ? mnl_attr_validate2(tb[type], policy[type].type, policy[type].len)
                                        : mnl_attr_validate(tb[type], policy[type].type);
        if (ret < 0)
            return -EBADMSG;
    }
    return 0;
}

int mptcp_nl_nest_table(const struct nlattr *nest, const struct nlattr **tb, uint16_t max,
                        const struct mptcp_nl_policy *policy) {
    return mptcp_nl_attr_table(mnl_attr_get_payload(nest), mnl_attr_get_payload_len(nest), tb, max, policy);
}

const void *mptcp_nl_message_table(const void *msg, size_t len, size_t header, const struct nlattr **tb, uint16_t max,
                                   const struct mptcp_nl_policy *policy) {
    if (!mptcp_nl_message_ok(msg, len, header))
        return NULL;
    const struct nlmsghdr *nlh = msg;
    size_t offset = MNL_NLMSG_HDRLEN + MNL_ALIGN(header);
    size_t attrs_len = nlh->nlmsg_len > offset ? nlh->nlmsg_len - offset : 0;
    if (mptcp_nl_attr_table((const char *)msg + offset, attrs_len, tb, max, policy) < 0)
        return NULL;
    return mnl_nlmsg_get_payload(nlh);
}

const void *mptcp_nl_record_table(void *out, size_t out_size, const void *msg, size_t len, size_t header,
                                  const struct nlattr **tb, uint16_t max, const struct mptcp_nl_policy *policy) {
    memset(out, 0, out_size);
    return mptcp_nl_message_table(msg, len, header, tb, max, policy);
}

uint32_t mptcp_nl_attr_mask(const struct nlattr *const *tb, uint16_t max, const struct mptcp_nl_policy *policy) {
    uint32_t mask = 0;
    for (uint16_t type = 0; type <= max; type++)
        if (tb[type] && policy[type].type != MNL_TYPE_UNSPEC)
            mask |= 1u << type;
    return mask;
}

struct nlmsghdr *mptcp_nl_request(char *buf, uint16_t type, uint16_t flags, size_t header) {
    struct nlmsghdr *nlh = mnl_nlmsg_put_header(buf);
    nlh->nlmsg_type = type;
    nlh->nlmsg_flags = NLM_F_REQUEST | flags;
    mnl_nlmsg_put_extra_header(nlh, header);
    return nlh;
}

static int extack_cb(const struct nlattr *attr, void *data) {
    mptcp_nl *nl = data;
    if (mnl_attr_get_type(attr) == NLMSGERR_ATTR_MSG &&
        mnl_attr_validate(attr, MNL_TYPE_NUL_STRING) == 0) {
        strncpy(nl->errmsg, mnl_attr_get_str(attr), sizeof nl->errmsg - 1);
        nl->errmsg[sizeof nl->errmsg - 1] = '\0';
    }
    return MNL_CB_OK;
}

/* NLMSG_ERROR: error 0 is the ACK of a "do" request. */
static int handle_error(mptcp_nl *nl, const struct nlmsghdr *nlh) {
    if (!mptcp_nl_message_ok(nlh, nlh->nlmsg_len, sizeof(struct nlmsgerr)))
        return -EBADMSG;
    const struct nlmsgerr *err = mnl_nlmsg_get_payload(nlh);
    if (err->error == 0)
        return 0;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS) {
        size_t offset = sizeof(struct nlmsgerr);
        if (!(nlh->nlmsg_flags & NLM_F_CAPPED))
            offset += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
        if (MNL_NLMSG_HDRLEN + offset <= nlh->nlmsg_len)
            mptcp_nl_parse_attrs((const char *)nlh + MNL_NLMSG_HDRLEN + offset,
                                 nlh->nlmsg_len - MNL_NLMSG_HDRLEN - offset, extack_cb, nl);
    }
    return err->error < 0 ? err->error : -EPROTO;
}

/* NLMSG_DONE of a dump carries an int: a negative value is the dump's error. */
static int handle_done(mptcp_nl *nl, const struct nlmsghdr *nlh) {
    if (mnl_nlmsg_get_payload_len(nlh) < sizeof(int))
        return 0;
    int error;
    memcpy(&error, mnl_nlmsg_get_payload(nlh), sizeof error);
    if (error >= 0)
        return 0;
    if (nlh->nlmsg_flags & NLM_F_ACK_TLVS)
        mptcp_nl_parse_attrs((const char *)nlh + MNL_NLMSG_HDRLEN + sizeof(int),
                             nlh->nlmsg_len - MNL_NLMSG_HDRLEN - sizeof(int), extack_cb, nl);
    return error;
}

int mptcp_nl_transact(mptcp_nl *nl, struct nlmsghdr *req, mptcp_nl_record_cb cb, void *data) {
    nl->errmsg[0] = '\0';
    if (nl->sock == NULL && open_socket(nl) < 0)
        return -ENOTCONN;
    req->nlmsg_seq = ++nl->seq;
    if (mnl_socket_sendto(nl->sock, req, req->nlmsg_len) < 0)
        return -errno;

    int record_error = 0;
    int interrupted = 0;
    for (;;) {
        ssize_t n = mnl_socket_recvfrom(nl->sock, nl->buf, nl->buf_size);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            int err = errno == EAGAIN ? -ETIMEDOUT : -errno;
            reopen_socket(nl);
            return err;
        }
        int len = (int)n;
        for (const struct nlmsghdr *nlh = (const struct nlmsghdr *)nl->buf; mnl_nlmsg_ok(nlh, len);
             nlh = mnl_nlmsg_next(nlh, &len)) {
            /* Leftovers of an earlier request that timed out belong to nobody. */
            if (nlh->nlmsg_seq != req->nlmsg_seq || (nlh->nlmsg_pid != 0 && nlh->nlmsg_pid != nl->portid))
                continue;
            if (nlh->nlmsg_flags & NLM_F_DUMP_INTR)
                interrupted = 1;
            switch (nlh->nlmsg_type) {
            case NLMSG_NOOP:
            case NLMSG_OVERRUN:
                break;
            case NLMSG_ERROR: {
                int err = handle_error(nl, nlh);
                return err ? err : record_error;
            }
            case NLMSG_DONE: {
                int err = handle_done(nl, nlh);
                if (err)
                    return err;
                if (record_error)
                    return record_error;
                return interrupted ? -EINTR : 0;
            }
            default:
                if (cb != NULL && record_error == 0)
                    record_error = cb(nlh, data);
                /* A "do" request without a dump ends with its single reply + ACK. */
                break;
            }
        }
    }
}
