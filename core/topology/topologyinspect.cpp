#include "topologyinspect.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>

namespace nestscope {

namespace {

QString familyName(TopoAddress::Family f)
{
    return f == TopoAddress::Family::IPv4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6");
}

/// LXD's JSON as the API returned it, indented for reading; anything else as it is.
QString prettyJson(const QString &raw)
{
    const QJsonDocument doc = QJsonDocument::fromJson(raw.toUtf8());
    if (doc.isNull()) {
        return raw;
    }
    return QString::fromUtf8(doc.toJson(QJsonDocument::Indented));
}

QJsonArray addressesJson(const QList<TopoAddress> &addresses)
{
    QJsonArray out;
    for (const TopoAddress &a : addresses) {
        QJsonObject o { { QStringLiteral("family"),
                            a.family == TopoAddress::Family::IPv4 ? QStringLiteral("inet") : QStringLiteral("inet6") },
            { QStringLiteral("local"), a.address }, { QStringLiteral("prefixlen"), a.prefixLength },
            { QStringLiteral("scope"), a.scope } };
        if (a.tentative) {
            o.insert(QStringLiteral("tentative"), true);
        }
        out.append(o);
    }
    return out;
}

QString addressList(const QList<TopoAddress> &addresses, TopoAddress::Family family)
{
    QStringList out;
    for (const TopoAddress &a : addresses) {
        if (a.family == family) {
            out << a.cidr()
                    + (a.isGlobal() ? QString()
                                    : QStringLiteral(" (%1)").arg(a.tentative ? QStringLiteral("tentative") : a.scope));
        }
    }
    return out.isEmpty() ? QStringLiteral("none") : out.join(QStringLiteral(", "));
}

QString routeLine(const TopoRoute &r)
{
    QString line = r.destination;
    if (!r.type.isEmpty() && r.type != QLatin1String("unicast")) {
        line = r.type + QLatin1Char(' ') + line;
    }
    if (!r.gateway.isEmpty()) {
        line += QStringLiteral(" via ") + r.gateway;
    }
    if (!r.device.isEmpty()) {
        line += QStringLiteral(" dev ") + r.device;
    }
    if (!r.protocol.isEmpty()) {
        line += QStringLiteral(" proto ") + r.protocol;
    }
    if (r.metric > 0) {
        line += QStringLiteral(" metric ") + QString::number(r.metric);
    }
    if (!r.table.isEmpty() && r.table != QLatin1String("main")) {
        line += QStringLiteral(" table ") + r.table;
    }
    return line;
}

void inspectRunner(const Topology &t, NodeInspection &out)
{
    out.kind = QStringLiteral("Runner");
    out.title = t.hostname.isEmpty() ? QStringLiteral("runner") : t.hostname;
    out.facts << qMakePair(QStringLiteral("Connected via"), t.transport)
              << qMakePair(QStringLiteral("Kernel"), t.kernel);
    for (auto it = t.sysctls.cbegin(); it != t.sysctls.cend(); ++it) {
        out.facts << qMakePair(it.key(), it.value());
    }
    const TopoFirewall &fw = t.firewall;
    out.facts << qMakePair(QStringLiteral("Firewall"), fw.backend.isEmpty() ? QStringLiteral("unknown") : fw.backend)
              << qMakePair(QStringLiteral("FORWARD policy (IPv4)"),
                     fw.forwardPolicyV4.isEmpty() ? QStringLiteral("none (accept)") : fw.forwardPolicyV4)
              << qMakePair(QStringLiteral("FORWARD policy (IPv6)"),
                     fw.forwardPolicyV6.isEmpty() ? QStringLiteral("none (accept)") : fw.forwardPolicyV6)
              << qMakePair(QStringLiteral("DOCKER-USER chain"),
                     fw.hasDockerUserChain ? QStringLiteral("yes") : QStringLiteral("no"));
    if (!fw.lxdTables.isEmpty()) {
        out.facts << qMakePair(QStringLiteral("LXD tables"), fw.lxdTables.join(QStringLiteral(", ")));
    }
    for (const QString &m : fw.masqueradeRules) {
        out.facts << qMakePair(QStringLiteral("Masquerade"), m);
    }
    if (!t.lxdClient.isEmpty()) {
        out.facts << qMakePair(QStringLiteral("LXD client"),
            QStringLiteral("%1 (server %2, firewall driver %3)")
                .arg(t.lxdClient, t.lxdServerVersion, t.lxdFirewallDriver));
    }
    // The raw configuration is the firewall itself: what a person would read to judge forwarding.
    QString raw = QStringLiteral("# routes (ip route show table all)\n");
    for (const TopoRoute &r : t.routes) {
        raw += routeLine(r) + QLatin1Char('\n');
    }
    raw += QStringLiteral("\n# sysctl\n");
    for (auto it = t.sysctls.cbegin(); it != t.sysctls.cend(); ++it) {
        raw += it.key() + QStringLiteral(" = ") + it.value() + QLatin1Char('\n');
    }
    if (!fw.rawIptablesSave.trimmed().isEmpty()) {
        raw += QStringLiteral("\n# iptables-save; ip6tables-save\n") + fw.rawIptablesSave;
    }
    if (!fw.rawNftJson.trimmed().isEmpty()) {
        raw += QStringLiteral("\n# nft -j list ruleset\n") + prettyJson(fw.rawNftJson);
    }
    out.raw = raw;
    out.rawLanguage = CodeLanguage::Shell;
}

void inspectUplink(const Topology &t, NodeInspection &out)
{
    out.kind = QStringLiteral("Uplink");
    out.title = QStringLiteral("Uplink");
    QString raw = QStringLiteral("# default routes\n");
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const auto route = t.defaultRoute(family);
        out.facts << qMakePair(QStringLiteral("Default route (%1)").arg(familyName(family)),
            route ? routeLine(*route) : QStringLiteral("none"));
        if (route) {
            raw += routeLine(*route) + QLatin1Char('\n');
        }
    }
    raw += QStringLiteral("\n# /etc/resolv.conf\n") + t.resolvConf;
    out.raw = raw;
    out.rawLanguage = CodeLanguage::Shell;
}

void inspectInterface(const TopoInterface &i, NodeInspection &out)
{
    out.kind
        = i.name.startsWith(QLatin1String("docker")) ? QStringLiteral("Docker bridge") : QStringLiteral("Interface");
    out.title = i.name;
    out.facts << qMakePair(QStringLiteral("Kind"), i.kind) << qMakePair(QStringLiteral("State"), i.state)
              << qMakePair(QStringLiteral("MTU"), QString::number(i.mtu)) << qMakePair(QStringLiteral("MAC"), i.mac);
    if (!i.master.isEmpty()) {
        out.facts << qMakePair(QStringLiteral("Bridge"), i.master);
    }
    out.facts << qMakePair(QStringLiteral("IPv4"), addressList(i.addresses, TopoAddress::Family::IPv4))
              << qMakePair(QStringLiteral("IPv6"), addressList(i.addresses, TopoAddress::Family::IPv6));
    QJsonObject o { { QStringLiteral("ifname"), i.name }, { QStringLiteral("link_type"), i.kind },
        { QStringLiteral("operstate"), i.state }, { QStringLiteral("mtu"), i.mtu },
        { QStringLiteral("address"), i.mac }, { QStringLiteral("addr_info"), addressesJson(i.addresses) } };
    if (!i.master.isEmpty()) {
        o.insert(QStringLiteral("master"), i.master);
    }
    out.raw = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}

void inspectNetwork(const Topology &t, const TopoNetwork &n, NodeInspection &out)
{
    out.kind = QStringLiteral("LXD network (%1%2)").arg(n.type, n.managed ? QStringLiteral(", managed") : QString());
    out.title = n.name;
    for (auto it = n.config.cbegin(); it != n.config.cend(); ++it) {
        out.facts << qMakePair(it.key(), it.value());
    }
    if (!n.status.isEmpty()) {
        out.facts << qMakePair(QStringLiteral("Status"), n.status);
    }
    for (const TopoLease &l : t.leases) {
        if (l.network == n.name) {
            out.facts << qMakePair(
                QStringLiteral("Lease"), QStringLiteral("%1 %2 (%3, %4)").arg(l.hostname, l.address, l.hwaddr, l.type));
        }
    }
    if (const TopoInterface *i = t.interface(n.name)) {
        out.facts << qMakePair(
            QStringLiteral("Host interface"), QStringLiteral("%1, MTU %2").arg(i->state).arg(i->mtu));
    }
    out.raw = prettyJson(n.rawJson);
}

void inspectInstance(const TopoInstance &inst, NodeInspection &out)
{
    out.kind = inst.type == QLatin1String("virtual-machine") ? QStringLiteral("Instance (virtual machine)")
                                                             : QStringLiteral("Instance (%1)").arg(inst.type);
    out.title = inst.name;
    out.facts << qMakePair(QStringLiteral("Status"), inst.status);
    for (const TopoNic &nic : inst.nics) {
        out.facts << qMakePair(nic.device,
            QStringLiteral("on %1, %2").arg(nic.network.isEmpty() ? QStringLiteral("?") : nic.network, nic.hwaddr))
                  << qMakePair(QStringLiteral("%1 IPv4").arg(nic.device),
                         addressList(nic.addresses, TopoAddress::Family::IPv4))
                  << qMakePair(QStringLiteral("%1 IPv6").arg(nic.device),
                         addressList(nic.addresses, TopoAddress::Family::IPv6));
    }
    out.raw = prettyJson(inst.rawJson);
}

void inspectNic(const TopoInstance &inst, const TopoNic &nic, NodeInspection &out)
{
    out.kind = QStringLiteral("NIC of %1").arg(inst.name);
    out.title = inst.name + QLatin1Char('/') + nic.device;
    out.facts << qMakePair(QStringLiteral("Network"), nic.network)
              << qMakePair(QStringLiteral("Type"), nic.nicType.isEmpty() ? QStringLiteral("bridged") : nic.nicType)
              << qMakePair(QStringLiteral("Host side"), nic.hostName) << qMakePair(QStringLiteral("MAC"), nic.hwaddr)
              << qMakePair(QStringLiteral("MTU"), QString::number(nic.mtu))
              << qMakePair(QStringLiteral("State"), nic.state)
              << qMakePair(QStringLiteral("IPv4"), addressList(nic.addresses, TopoAddress::Family::IPv4))
              << qMakePair(QStringLiteral("IPv6"), addressList(nic.addresses, TopoAddress::Family::IPv6));
    const QJsonObject o { { QStringLiteral("device"), nic.device }, { QStringLiteral("network"), nic.network },
        { QStringLiteral("nictype"), nic.nicType }, { QStringLiteral("host_name"), nic.hostName },
        { QStringLiteral("hwaddr"), nic.hwaddr }, { QStringLiteral("mtu"), nic.mtu },
        { QStringLiteral("state"), nic.state }, { QStringLiteral("addresses"), addressesJson(nic.addresses) } };
    out.raw = QString::fromUtf8(QJsonDocument(o).toJson(QJsonDocument::Indented));
}

void addAddressTerms(QStringList &terms, const QList<TopoAddress> &addresses)
{
    for (const TopoAddress &a : addresses) {
        terms << a.address << a.cidr();
    }
}

} // namespace

NodeInspection inspectNode(const Topology &topology, const TopologyGraph &graph, const QString &id)
{
    NodeInspection out;
    out.title = id;
    if (const TopoNode *node = graph.node(id)) {
        out.title = node->label;
    }
    for (const TopoProblem &p : graph.problems) {
        if (p.nodeId == id) {
            out.problems << p;
        }
    }
    if (id == QLatin1String("runner")) {
        inspectRunner(topology, out);
    } else if (id == QLatin1String("uplink")) {
        inspectUplink(topology, out);
    } else if (id.startsWith(QLatin1String("if:"))) {
        if (const TopoInterface *i = topology.interface(id.mid(3))) {
            inspectInterface(*i, out);
        }
    } else if (id.startsWith(QLatin1String("net:"))) {
        if (const TopoNetwork *n = topology.network(id.mid(4))) {
            inspectNetwork(topology, *n, out);
        }
    } else if (id.startsWith(QLatin1String("inst:"))) {
        if (const TopoInstance *inst = topology.instance(id.mid(5))) {
            inspectInstance(*inst, out);
        }
    } else if (id.startsWith(QLatin1String("nic:"))) {
        const QString rest = id.mid(4);
        if (const TopoInstance *inst = topology.instance(rest.section(QLatin1Char('/'), 0, 0))) {
            const QString device = rest.section(QLatin1Char('/'), 1);
            for (const TopoNic &nic : inst->nics) {
                if (nic.device == device) {
                    inspectNic(*inst, nic, out);
                }
            }
        }
    }
    return out;
}

QMap<QString, QStringList> topologySearchTerms(const Topology &topology)
{
    QMap<QString, QStringList> terms;
    QStringList &runner = terms[QStringLiteral("runner")];
    runner << topology.hostname;
    for (const TopoInterface &i : topology.interfaces) {
        QStringList &t = terms[QStringLiteral("if:") + i.name];
        t << i.name << i.mac;
        addAddressTerms(t, i.addresses);
        if (topology.network(i.name)) {
            // A managed bridge is drawn as its LXD network: its addresses and MAC find that node.
            QStringList &n = terms[QStringLiteral("net:") + i.name];
            n << i.mac;
            addAddressTerms(n, i.addresses);
        }
    }
    for (const TopoNetwork &n : topology.networks) {
        terms[QStringLiteral("net:") + n.name] << n.name << n.ipv4Address() << n.ipv6Address();
    }
    for (const TopoInstance &inst : topology.instances) {
        QStringList &t = terms[QStringLiteral("inst:") + inst.name];
        t << inst.name;
        for (const TopoNic &nic : inst.nics) {
            t << nic.hwaddr << nic.hostName;
            addAddressTerms(t, nic.addresses);
            QStringList &n = terms[QStringLiteral("nic:%1/%2").arg(inst.name, nic.device)];
            n << nic.device << nic.hwaddr << nic.hostName << nic.network;
            addAddressTerms(n, nic.addresses);
        }
    }
    for (auto it = terms.begin(); it != terms.end(); ++it) {
        it.value().removeAll(QString());
        it.value().removeDuplicates();
    }
    return terms;
}

QString topologySummary(const Topology &t, const QList<TopoProblem> &problems)
{
    QString s;
    s += QStringLiteral("Runner %1 (%2)").arg(t.hostname.isEmpty() ? QStringLiteral("?") : t.hostname, t.transport);
    if (!t.kernel.isEmpty()) {
        s += QStringLiteral(", kernel ") + t.kernel;
    }
    s += QLatin1Char('\n');
    for (const auto family : { TopoAddress::Family::IPv4, TopoAddress::Family::IPv6 }) {
        const auto route = t.defaultRoute(family);
        s += QStringLiteral("  default %1: %2\n")
                 .arg(familyName(family), route ? routeLine(*route) : QStringLiteral("none"));
    }
    if (!t.firewall.backend.isEmpty() || !t.firewall.forwardPolicyV4.isEmpty()) {
        s += QStringLiteral("  firewall: %1, FORWARD policy IPv4 %2, IPv6 %3\n")
                 .arg(t.firewall.backend.isEmpty() ? QStringLiteral("unknown") : t.firewall.backend,
                     t.firewall.forwardPolicyV4.isEmpty() ? QStringLiteral("ACCEPT") : t.firewall.forwardPolicyV4,
                     t.firewall.forwardPolicyV6.isEmpty() ? QStringLiteral("ACCEPT") : t.firewall.forwardPolicyV6);
    }
    if (t.lxdClient.isEmpty()) {
        s += QStringLiteral("No LXD or Incus found\n");
    } else {
        s += QStringLiteral("%1 %2 (client `%3`)\n")
                 .arg(t.lxdClient == QLatin1String("incus") ? QStringLiteral("Incus") : QStringLiteral("LXD"),
                     t.lxdServerVersion.isEmpty() ? QStringLiteral("server not reachable") : t.lxdServerVersion,
                     t.lxdClient);
    }
    for (const TopoNetwork &n : t.networks) {
        if (!n.managed && n.type != QLatin1String("bridge")) {
            continue;
        }
        s += QStringLiteral("  bridge %1: IPv4 %2 (NAT %3), IPv6 %4 (NAT %5)\n")
                 .arg(n.name, n.ipv4Address().isEmpty() ? QStringLiteral("none") : n.ipv4Address(),
                     n.ipv4Nat() ? QStringLiteral("on") : QStringLiteral("off"),
                     n.ipv6Address().isEmpty() ? QStringLiteral("none") : n.ipv6Address(),
                     n.ipv6Nat() ? QStringLiteral("on") : QStringLiteral("off"));
    }
    for (const TopoInstance &inst : t.instances) {
        QStringList addresses;
        for (const TopoNic &nic : inst.nics) {
            for (const TopoAddress &a : nic.addresses) {
                if (a.isGlobal()) {
                    addresses << a.address;
                }
            }
        }
        s += QStringLiteral("  %1 %2 (%3): %4\n")
                 .arg(
                     inst.type == QLatin1String("virtual-machine") ? QStringLiteral("vm") : QStringLiteral("container"),
                     inst.name, inst.status,
                     addresses.isEmpty() ? QStringLiteral("no global address") : addresses.join(QStringLiteral(", ")));
    }
    if (problems.isEmpty()) {
        s += QStringLiteral("No problems found in the topology\n");
    }
    for (const TopoProblem &p : problems) {
        s += QStringLiteral("%1: %2 [%3]\n")
                 .arg(
                     p.severity == TopoProblem::Severity::Error ? QStringLiteral("PROBLEM") : QStringLiteral("warning"),
                     p.title, p.nodeId);
    }
    for (const TopoWarning &w : t.warnings) {
        s += QStringLiteral("note (%1): %2\n").arg(w.source, w.message);
    }
    return s;
}

} // namespace nestscope
