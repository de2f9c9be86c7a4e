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
