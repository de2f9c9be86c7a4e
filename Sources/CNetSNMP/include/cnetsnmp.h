/*
 * Thin glue between Swift and net-snmp (agent and client roles): the macros Swift
 * cannot import re-exported as constants, and wrappers for variadic functions.
 * No policy here.
 */
#ifndef CNETSNMP_H
#define CNETSNMP_H

/* A glibc header first: net-snmp-config.h defines _GNU_SOURCE, and without an earlier
 * glibc include Swift sees two incompatible fd_set layouts. */
#include <features.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
/* Agent headers the umbrella header leaves out: sysORTable registration, */
#include <net-snmp/agent/agent_sysORTable.h>
/* The AgentX session opening and closing (SNMPD_CALLBACK_INDEX_START/STOP). */
#include <net-snmp/agent/agent_callbacks.h>
/* epoll, which Swift's Glibc module leaves out: net-snmp's main loop watches at most 32
 * external descriptors, so an agent's many event sockets share one epoll descriptor. */
#include <sys/epoll.h>

/* Handler modes (MODE_GET etc. are expressions over SNMP_MSG_*). */
static const int CNETSNMP_MODE_GET = MODE_GET;
static const int CNETSNMP_MODE_GETNEXT = MODE_GETNEXT;
static const int CNETSNMP_MODE_GETBULK = MODE_GETBULK;

/* PDU types. */
static const int CNETSNMP_MSG_GET = SNMP_MSG_GET;
static const int CNETSNMP_MSG_GETNEXT = SNMP_MSG_GETNEXT;
static const int CNETSNMP_MSG_GETBULK = SNMP_MSG_GETBULK;
static const int CNETSNMP_MSG_SET = SNMP_MSG_SET;

/* Varbind exception types. */
static const u_char CNETSNMP_NOSUCHOBJECT = SNMP_NOSUCHOBJECT;
static const u_char CNETSNMP_NOSUCHINSTANCE = SNMP_NOSUCHINSTANCE;
static const u_char CNETSNMP_ENDOFMIBVIEW = SNMP_ENDOFMIBVIEW;

/* ASN.1 application types (ASN_APPLICATION | n). */
static const u_char CNETSNMP_ASN_COUNTER = ASN_COUNTER;
static const u_char CNETSNMP_ASN_GAUGE = ASN_GAUGE;
static const u_char CNETSNMP_ASN_TIMETICKS = ASN_TIMETICKS;
static const u_char CNETSNMP_ASN_COUNTER64 = ASN_COUNTER64;
static const u_char CNETSNMP_ASN_IPADDRESS = ASN_IPADDRESS;

/* Logs one line through net-snmp (snmp_log is variadic): snmpd's own log, inside snmpd. */
void cnetsnmp_log(int priority, const char *message);

/* Sends every net-snmp log message to `sink` (priority as in syslog(3)) instead of
 * net-snmp's own outputs. */
void cnetsnmp_log_to(void (*sink)(int priority, const char *message));

/* Whether a request is one of snmpd's own internal queries (a DISMAN-EVENT monitor),
 * which waits for its answer on snmpd's thread and so cannot be answered later. */
int cnetsnmp_request_is_internal(const netsnmp_agent_request_info *reqinfo);

#endif
