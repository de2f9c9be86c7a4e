# snmptrapd traphandle for Zabbix's SNMP trapper: appends each notification snmptrapd
# receives to the file Zabbix reads (SNMPTrapperFile of zabbix_server.conf / zabbix_proxy.conf),
# as one record
#
#     <yyyyMMdd.hhmmss> ZBXTRAP <sender address>
#     <the notification's varbinds, one "OID value" per line>
#
# Zabbix gives the record to the SNMP interface whose IP is the sender address: to items
# snmptrap["regex"] whose regex matches its text, else to snmptrap.fallback. Debian's
# zabbix-server packages ship no zabbix_trap_receiver.pl (it is in Zabbix's source,
# misc/snmptrap/); this shell handler does the same without snmptrapd's embedded Perl.
#
# snmptrapd.conf (run snmptrapd with -On: numeric OIDs, which the template's regexes expect;
# contrib/zabbix/README.md has the whole set-up):
#
#     traphandle default /bin/sh /usr/local/lib/zabbix-trap-handler.sh /var/lib/zabbix/snmptraps/snmptraps.log
#
# snmptrapd writes to the handler's standard input the sender's host name, its transport
# address ("UDP: [10.0.0.1]:50000->[10.0.0.2]:162", or "UDP/IPv6: [fd00::1]:..."), then the
# varbinds. The file is locked while a record is appended, so that concurrent handlers do
# not interleave.
file=${1:?usage: zabbix-trap-handler.sh SNMPTRAPPERFILE}
read -r host
read -r transport
address=$(printf '%s\n' "$transport" | sed -n 's/^[^[]*\[\([^]]*\)\].*/\1/p')
[ -n "$address" ] || address=$host
varbinds=$(cat)
record=$(printf '%s ZBXTRAP %s\n%s\n' "$(date +%Y%m%d.%H%M%S)" "$address" "$varbinds")
if command -v flock > /dev/null; then
    flock "$file" sh -c 'printf "%s\n" "$1" >> "$2"' sh "$record" "$file"
else
    printf '%s\n' "$record" >> "$file"
fi
