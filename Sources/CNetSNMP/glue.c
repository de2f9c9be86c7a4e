#include "cnetsnmp.h"

static void (*log_sink)(int, const char *);

static int log_callback(int major, int minor, void *server_arg, void *client_arg) {
    (void)major;
    (void)minor;
    (void)client_arg;
    const struct snmp_log_message *m = server_arg;
    if (log_sink != NULL && m != NULL && m->msg != NULL)
        log_sink(m->priority, m->msg);
    return 0;
}

void cnetsnmp_log_to(void (*sink)(int priority, const char *message)) {
    log_sink = sink;
    netsnmp_disable_loghandler("stderr");
    snmp_enable_calllog();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, log_callback, NULL);
}

void cnetsnmp_log(int priority, const char *message) { snmp_log(priority, "%s\n", message); }

/* snmpd's internal queries (DISMAN-EVENT monitors, through iquery) arrive on this session
 * and are waited for synchronously on snmpd's thread, so they cannot be delegated. The
 * agent library exports the session but declares it in no header. */
extern netsnmp_session *callback_master_sess;

int cnetsnmp_request_is_internal(const netsnmp_agent_request_info *reqinfo) {
    return reqinfo != NULL && reqinfo->asp != NULL && callback_master_sess != NULL
        && reqinfo->asp->session == callback_master_sess;
}
