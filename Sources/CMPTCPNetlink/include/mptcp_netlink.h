/*
 * Thin C shim over libmnl for the Linux MPTCP netlink interfaces:
 *   - sock_diag dumps of MPTCP sockets (connections, listeners) and TCP subflows,
 *   - the "mptcp_pm" generic-netlink family (endpoints, limits) and its event group.
 *
 * Plain structs out, no policy: the Swift layer decides what the records mean.
 * Every parse function validates lengths and rejects truncated or malformed input.
 * Functions return 0 (or a count) on success and -errno on failure; for kernel
 * refusals the extack text is available from mptcp_nl_error_message().
 *
 * Installed UAPI headers are often older than the running kernel, so the layouts and
 * constants below are our own (values from the kernel ABI, which only ever appends).
 */
#ifndef MPTCP_NETLINK_H
#define MPTCP_NETLINK_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- Constants of the kernel ABI ---------------------------------------------------- */

enum {
    MPTCP_NL_IPPROTO_MPTCP = 262,

    /* MPTCP_SUBFLOW_ATTR_* inside INET_ULP_INFO_MPTCP */
    MPTCP_NL_SUBFLOW_ATTR_TOKEN_REM = 1,
    MPTCP_NL_SUBFLOW_ATTR_TOKEN_LOC = 2,
    MPTCP_NL_SUBFLOW_ATTR_FLAGS = 8,
    MPTCP_NL_SUBFLOW_ATTR_ID_REM = 9,
    MPTCP_NL_SUBFLOW_ATTR_ID_LOC = 10,
};

/* ---- Records ------------------------------------------------------------------------ */

/* struct mptcp_info as of Linux 6.18 (96 bytes). Kernels send 40..96 bytes; fields
 * beyond mptcp_nl_connection.info_len were not sent and must be treated as unknown. */
struct mptcp_nl_info {
    uint8_t subflows;              /* 0: extra subflows (initial one excluded) */
    uint8_t add_addr_signal;       /* 1 */
    uint8_t add_addr_accepted;     /* 2 */
    uint8_t subflows_max;          /* 3: limit "subflows" */
    uint8_t add_addr_signal_max;   /* 4: number of signal endpoints */
    uint8_t add_addr_accepted_max; /* 5: limit "add_addr_accepted" */
    uint8_t hole1[2];
    uint32_t flags;                /* 8: bit0 fallback, bit1 remote key received */
    uint32_t token;                /* 12 */
    uint64_t write_seq;            /* 16 */
    uint64_t snd_una;              /* 24 */
    uint64_t rcv_nxt;              /* 32 (end of the 5.9 layout: 40 bytes) */
    uint8_t local_addr_used;       /* 40 */
    uint8_t local_addr_max;        /* 41 */
    uint8_t csum_enabled;          /* 42 (5.14) */
    uint8_t hole2;
    uint32_t retransmits;          /* 44 (6.5) */
    uint64_t bytes_retrans;        /* 48 */
    uint64_t bytes_sent;           /* 56 */
    uint64_t bytes_received;       /* 64 */
    uint64_t bytes_acked;          /* 72 (end of the 6.5 layout: 80 bytes) */
    uint8_t subflows_total;        /* 80 (6.7) */
    uint8_t endp_laminar_max;      /* 81 (6.18) */
    uint8_t endp_fullmesh_max;     /* 82 */
    uint8_t reserved;
    uint32_t last_data_sent;       /* 84 (6.10) */
    uint32_t last_data_recv;       /* 88 */
    uint32_t last_ack_recv;        /* 92 */
};

/* struct tcp_info up to tcpi_bytes_retrans (the fields we use; 4.19+ layout). */
struct mptcp_nl_tcp_info {
    uint8_t state, ca_state, retransmits, probes, backoff, options, wscale, app_limited;
    uint32_t rto, ato, snd_mss, rcv_mss;
    uint32_t unacked, sacked, lost, retrans, fackets;
    uint32_t last_data_sent, last_ack_sent, last_data_recv, last_ack_recv;
    uint32_t pmtu, rcv_ssthresh, rtt, rttvar, snd_ssthresh, snd_cwnd, advmss, reordering;
    uint32_t rcv_rtt, rcv_space, total_retrans;
    uint64_t pacing_rate, max_pacing_rate, bytes_acked, bytes_received;
    uint32_t segs_out, segs_in, notsent_bytes, min_rtt, data_segs_in, data_segs_out;
    uint64_t delivery_rate, busy_time, rwnd_limited, sndbuf_limited;
    uint32_t delivered, delivered_ce;
    uint64_t bytes_sent, bytes_retrans;
};

/* The inet_diag_msg header of a socket record; ports in host order, addresses as sent
 * (network order, 4 or 16 bytes used according to family). */
struct mptcp_nl_sock {
    uint8_t family, state, timer, retrans;
    uint16_t sport, dport;
    uint8_t src[16], dst[16];
    uint32_t ifindex, uid, inode, rqueue, wqueue;
};

/* One MPTCP socket (connection or listener). */
struct mptcp_nl_connection {
    struct mptcp_nl_sock sock;
    uint32_t info_len;             /* bytes of mptcp_info received, 0 = none */
    struct mptcp_nl_info info;
    int8_t v6only;                 /* AF_INET6 sockets: IPV6_V6ONLY (0/1); -1 not reported */
};

/* One TCP socket whose ULP is "mptcp". */
struct mptcp_nl_subflow {
    struct mptcp_nl_sock sock;
    uint32_t tcp_info_len;         /* bytes of tcp_info received, 0 = none */
    struct mptcp_nl_tcp_info tcp;
    uint32_t attrs;                /* bit n set: MPTCP_SUBFLOW_ATTR n was present */
    uint32_t token_loc, token_rem, flags;
    uint8_t id_loc, id_rem;
};

/* Presence bits of mptcp_nl_endpoint.attrs (MPTCP_PM_ADDR_ATTR_* numbers). */
enum {
    MPTCP_NL_ADDR_ATTR_FAMILY = 1,
    MPTCP_NL_ADDR_ATTR_ID = 2,
    MPTCP_NL_ADDR_ATTR_ADDR4 = 3,
    MPTCP_NL_ADDR_ATTR_ADDR6 = 4,
    MPTCP_NL_ADDR_ATTR_PORT = 5,
    MPTCP_NL_ADDR_ATTR_FLAGS = 6,
    MPTCP_NL_ADDR_ATTR_IF_IDX = 7,
};

/* One in-kernel path-manager endpoint. Port in host order (as the PM sends it). */
struct mptcp_nl_endpoint {
    uint32_t attrs;                /* bit n set: MPTCP_PM_ADDR_ATTR n present/requested */
    uint16_t family;
    uint8_t id;
    uint8_t addr[16];
    uint16_t port;
    uint32_t flags;
    int32_t ifindex;
};

/* Presence bits of mptcp_nl_event.attrs (MPTCP_ATTR_* numbers). */
enum {
    MPTCP_NL_EV_ATTR_TOKEN = 1,
    MPTCP_NL_EV_ATTR_FAMILY = 2,
    MPTCP_NL_EV_ATTR_LOC_ID = 3,
    MPTCP_NL_EV_ATTR_REM_ID = 4,
    MPTCP_NL_EV_ATTR_SADDR4 = 5,
    MPTCP_NL_EV_ATTR_SADDR6 = 6,
    MPTCP_NL_EV_ATTR_DADDR4 = 7,
    MPTCP_NL_EV_ATTR_DADDR6 = 8,
    MPTCP_NL_EV_ATTR_SPORT = 9,
    MPTCP_NL_EV_ATTR_DPORT = 10,
    MPTCP_NL_EV_ATTR_BACKUP = 11,
    MPTCP_NL_EV_ATTR_ERROR = 12,
    MPTCP_NL_EV_ATTR_FLAGS = 13,
    MPTCP_NL_EV_ATTR_TIMEOUT = 14,
    MPTCP_NL_EV_ATTR_IF_IDX = 15,
    MPTCP_NL_EV_ATTR_RESET_REASON = 16,
    MPTCP_NL_EV_ATTR_RESET_FLAGS = 17,
    MPTCP_NL_EV_ATTR_SERVER_SIDE = 18,
};

/* One mptcp_pm event. Ports converted to host order. */
struct mptcp_nl_event {
    uint8_t type;                  /* MPTCP_EVENT_*: the genl command of the message */
    uint32_t attrs;                /* bit n set: MPTCP_ATTR n present */
    uint32_t token;
    uint16_t family;
    uint8_t loc_id, rem_id, backup, error, server_side;
    uint8_t saddr[16], daddr[16];
    uint16_t sport, dport, flags;
    int32_t ifindex;
    uint32_t timeout, reset_reason, reset_flags;
};

/* One address of a network interface (rtnetlink RTM_NEWADDR). Address in network order,
 * 4 or 16 bytes used according to family. */
struct mptcp_nl_address {
    uint8_t family;
    uint8_t prefixlen;
    uint32_t ifindex;
    uint8_t addr[16];
};

/* ---- Record callbacks: each record is handed over as it is parsed -------------------
 * A callback returns 0 to continue or a negative errno to fail the call (the rest of the
 * reply is still drained). Records are only valid during the callback. */

typedef int (*mptcp_nl_connection_cb)(const struct mptcp_nl_connection *record, void *context);
typedef int (*mptcp_nl_subflow_cb)(const struct mptcp_nl_subflow *record, void *context);
typedef int (*mptcp_nl_endpoint_cb)(const struct mptcp_nl_endpoint *record, void *context);
typedef int (*mptcp_nl_event_cb)(const struct mptcp_nl_event *record, void *context);
typedef int (*mptcp_nl_address_cb)(const struct mptcp_nl_address *record, void *context);

/* ---- Netlink handle ----------------------------------------------------------------- */

typedef struct mptcp_nl mptcp_nl;

/* Opens a sock_diag handle. NULL with *err = -errno on failure. */
mptcp_nl *mptcp_nl_open_diag(int *err);
/* Opens a generic-netlink handle and resolves `family` (normally "mptcp_pm") and its
 * "mptcp_pm_events" group. -ENOENT: the kernel has no such family. */
mptcp_nl *mptcp_nl_open_pm(const char *family, int *err);
/* Opens an rtnetlink handle (interface addresses). */
mptcp_nl *mptcp_nl_open_route(int *err);
void mptcp_nl_close(mptcp_nl *nl);
int mptcp_nl_fd(const mptcp_nl *nl);
/* Extack text of the last kernel refusal on this handle ("" if none). */
const char *mptcp_nl_error_message(const mptcp_nl *nl);

/* ---- sock_diag dumps (one request per family) --------------------------------------- */

/* MPTCP sockets of `family` (AF_INET/AF_INET6) whose TCP state bit is in `states`.
 * -EINTR: the kernel flagged the dump as interrupted; records already delivered may be
 * inconsistent and the caller should dump again. */
int mptcp_nl_dump_connections(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_connection_cb cb,
                              void *context);
/* TCP sockets of `family` in `states` whose ULP is "mptcp". */
int mptcp_nl_dump_subflows(mptcp_nl *nl, uint8_t family, uint32_t states, mptcp_nl_subflow_cb cb,
                           void *context);

/* ---- rtnetlink ---------------------------------------------------------------------- */

/* Every IPv4 and IPv6 address of the namespace's interfaces. */
int mptcp_nl_dump_addresses(mptcp_nl *nl, mptcp_nl_address_cb cb, void *context);

/* ---- mptcp_pm commands -------------------------------------------------------------- */

int mptcp_nl_dump_endpoints(mptcp_nl *nl, mptcp_nl_endpoint_cb cb, void *context);
int mptcp_nl_get_limits(mptcp_nl *nl, uint32_t *subflows, uint32_t *add_addr_accepted);
/* Negative value: leave that limit unchanged. */
int mptcp_nl_set_limits(mptcp_nl *nl, int64_t subflows, int64_t add_addr_accepted);
/* Sends the attributes whose bit is set in ep->attrs. */
int mptcp_nl_add_endpoint(mptcp_nl *nl, const struct mptcp_nl_endpoint *ep);
int mptcp_nl_delete_endpoint(mptcp_nl *nl, uint8_t id);
int mptcp_nl_set_endpoint_flags(mptcp_nl *nl, uint8_t id, uint32_t flags);

/* ---- Events ------------------------------------------------------------------------- */

/* Joins the mptcp_pm_events group and makes the socket non-blocking (-EPERM without
 * CAP_NET_ADMIN). Poll mptcp_nl_fd() for readability, then drain with read_events. */
int mptcp_nl_subscribe_events(mptcp_nl *nl);
/* Reads pending datagrams, at most `max` of them (0: all), and hands each decoded event
 * to `cb` (malformed events are skipped). Returns the number of events, -ENOBUFS if the
 * kernel dropped some, or the negative value a callback returned (the datagrams not yet
 * read stay queued). */
int mptcp_nl_read_events(mptcp_nl *nl, unsigned max, mptcp_nl_event_cb cb, void *context);

/* ---- Parsers (exposed for tests: one netlink message in, one record out) ------------ */

/* 0 on success, -EBADMSG if truncated or malformed. */
int mptcp_nl_parse_connection(const void *msg, size_t len, struct mptcp_nl_connection *out);
/* 1 if it is an MPTCP subflow, 0 if a TCP socket of another kind, -EBADMSG if malformed. */
int mptcp_nl_parse_subflow(const void *msg, size_t len, struct mptcp_nl_subflow *out);
int mptcp_nl_parse_endpoint(const void *msg, size_t len, struct mptcp_nl_endpoint *out);
int mptcp_nl_parse_limits(const void *msg, size_t len, uint32_t *subflows, uint32_t *add_addr_accepted);
int mptcp_nl_parse_event(const void *msg, size_t len, struct mptcp_nl_event *out);
int mptcp_nl_parse_address(const void *msg, size_t len, struct mptcp_nl_address *out);

#ifdef __cplusplus
}
#endif

/* Moves the calling thread into the network namespace of `fd` (setns(2) with
 * CLONE_NEWNET), which glibc declares only under _GNU_SOURCE. 0, or -errno. */
int mptcp_nl_enter_netns(int fd);

#endif
