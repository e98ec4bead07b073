#include "graph.h"

#include <QHostAddress>
#include <QSet>

#include <algorithm>

namespace nestscope {

namespace {

using Family = TopoAddress::Family;

const QString kUplink = QStringLiteral("uplink");
const QString kRunner = QStringLiteral("runner");
const QString kMiddleDot = QStringLiteral(" \u00b7 ");

QString familyName(Family f)
{
    return f == Family::IPv4 ? QStringLiteral("IPv4") : QStringLiteral("IPv6");
}

TopoEdge::Family edgeFamily(Family f)
{
    return f == Family::IPv4 ? TopoEdge::Family::IPv4 : TopoEdge::Family::IPv6;
}

/// "10.77.10.1/24" -> "10.77.10.0/24"; LXD's "none"/"" -> empty (the family is off); values that
/// are not an address (e.g. "auto" before LXD resolved it) are shown as they are.
QString subnetOf(const QString &bridgeAddress)
{
    const QString value = bridgeAddress.trimmed();
    if (value.isEmpty() || value == QLatin1String("none")) {
        return {};
    }
    const auto [network, prefix] = QHostAddress::parseSubnet(value);
    if (network.isNull() || prefix < 0) {
        return value;
    }
    return network.toString() + QLatin1Char('/') + QString::number(prefix);
}

/// Addresses worth drawing: global and site ones. Link-local addresses exist on every IPv6 link
/// and say nothing about reachability; the inspector still has them in the raw data.
QStringList addressLines(const QList<TopoAddress> &addresses)
{
    QStringList lines;
    for (const Family f : { Family::IPv4, Family::IPv6 }) {
        for (const TopoAddress &a : addresses) {
            if (a.family != f || a.scope == QLatin1String("link") || a.scope == QLatin1String("host")
                || a.scope == QLatin1String("local")) {
                continue;
            }
            lines << (a.tentative ? a.cidr() + QStringLiteral(" (tentative)") : a.cidr());
        }
    }
    return lines;
}

bool isDockerBridge(const QString &name)
{
    return name == QLatin1String("docker0");
}

/// LXD networks drawn as their own node: every managed network, and unmanaged bridges (a host
/// bridge such as br0 that instances are bridged onto). docker0 is listed by LXD as an unmanaged
/// bridge too, but it is Docker's: it becomes an interface node of kind Docker.
bool isNetworkNode(const TopoNetwork &n)
{
    if (isDockerBridge(n.name)) {
        return false;
    }
    return n.managed || n.type == QLatin1String("bridge");
}

class Builder {
public:
    explicit Builder(const Topology &t)
        : m_t(t)
    {
    }

    TopologyGraph build()
    {
        collectFacts();
        addUplinkAndRunner();
        addInterfaces();
        addNetworks();
        addInstances();
        m_graph.problems = findProblems(m_t);
        m_graph.reindex();
        return std::move(m_graph);
    }

private:
    void collectFacts()
    {
        for (const TopoNetwork &n : m_t.networks) {
            if (isNetworkNode(n)) {
                m_networkNodes.insert(n.name);
            }
        }
        for (const TopoInstance &inst : m_t.instances) {
            for (const TopoNic &nic : inst.nics) {
                if (!nic.hostName.isEmpty()) {
                    m_instanceVeths.insert(nic.hostName);
                }
            }
        }
        for (const Family f : { Family::IPv4, Family::IPv6 }) {
            if (const auto route = m_t.defaultRoute(f)) {
                m_defaultRoutes.insert(f, *route);
            }
        }
    }

    /// The node an interface name is drawn as, or empty when it is not drawn.
    QString interfaceNodeId(const QString &name) const
    {
        if (m_networkNodes.contains(name)) {
            return QStringLiteral("net:") + name;
        }
        const QString id = QStringLiteral("if:") + name;
        return m_ids.contains(id) ? id : QString();
    }

    void addNode(TopoNode node)
    {
        m_ids.insert(node.id);
        m_graph.nodes << std::move(node);
    }

    void addEdge(const QString &from, const QString &to, TopoEdge::Kind kind, const QString &label = {},
        TopoEdge::Family family = TopoEdge::Family::Both)
    {
        TopoEdge e;
        e.from = from;
        e.to = to;
        e.kind = kind;
        e.label = label;
        e.family = family;
        m_graph.edges << e;
    }

    void addUplinkAndRunner()
    {
        TopoNode uplink;
        uplink.id = kUplink;
        uplink.kind = TopoNode::Kind::Uplink;
        uplink.label = QStringLiteral("internet / uplink");
        for (const Family f : { Family::IPv4, Family::IPv6 }) {
            const auto it = m_defaultRoutes.constFind(f);
            if (it == m_defaultRoutes.cend()) {
                uplink.details << familyName(f) + QStringLiteral(": no default route");
            } else if (!it->gateway.isEmpty()) {
                uplink.details << familyName(f) + QStringLiteral(" gateway ") + it->gateway;
            } else {
                uplink.details << familyName(f) + QStringLiteral(" default via ") + it->device;
            }
        }
        addNode(uplink);

        TopoNode runner;
        runner.id = kRunner;
        runner.kind = TopoNode::Kind::Runner;
        runner.label = m_t.hostname.isEmpty() ? QStringLiteral("runner") : m_t.hostname;
        if (!m_t.kernel.isEmpty()) {
            runner.details << QStringLiteral("Linux ") + m_t.kernel;
        }
        const QString forward = m_t.sysctl(QStringLiteral("net.ipv4.ip_forward"));
        if (!forward.isEmpty()) {
            runner.details << QStringLiteral("ip_forward ") + forward;
        }
        const TopoFirewall &fw = m_t.firewall;
        if (!fw.forwardPolicyV4.isEmpty() || !fw.forwardPolicyV6.isEmpty()) {
            const QString v4 = fw.forwardPolicyV4.isEmpty() ? QStringLiteral("ACCEPT") : fw.forwardPolicyV4;
            const QString v6 = fw.forwardPolicyV6.isEmpty() ? QStringLiteral("ACCEPT") : fw.forwardPolicyV6;
            runner.details << (v4 == v6 ? QStringLiteral("FORWARD ") + v4
                                        : QStringLiteral("FORWARD v4 %1, v6 %2").arg(v4, v6));
        }
        if (!fw.backend.isEmpty()) {
            runner.details << QStringLiteral("firewall ") + fw.backend;
        }
        if (!m_t.lxdClient.isEmpty()) {
            const QString server
                = m_t.lxdClient == QLatin1String("incus") ? QStringLiteral("Incus") : QStringLiteral("LXD");
            runner.details << (m_t.lxdServerVersion.isEmpty() ? server
                                                              : server + QLatin1Char(' ') + m_t.lxdServerVersion);
        }
        addNode(runner);
    }

    bool carriesDefaultRoute(const QString &name) const
    {
        return std::any_of(m_defaultRoutes.cbegin(), m_defaultRoutes.cend(), [&name](const TopoRoute &r) {
            return r.device == name;
        });
    }

    /// Which runner interfaces get a node: the ones that say something about the path out. The
    /// loopback never does; bridges LXD manages are drawn as their network; veths and other
    /// enslaved ports are drawn through what they belong to (an instance NIC, a bridge). An
    /// interface carrying a default route is always drawn, whatever its kind (the lab's uplink
    /// is itself a veth into another namespace).
    bool interfaceMatters(const TopoInterface &i) const
    {
        if (i.name == QLatin1String("lo") || i.kind == QLatin1String("loopback")) {
            return false;
        }
        if (m_networkNodes.contains(i.name)) {
            return false;
        }
        if (isDockerBridge(i.name) || carriesDefaultRoute(i.name)) {
            return true;
        }
        return i.master.isEmpty() && !m_instanceVeths.contains(i.name) && i.kind != QLatin1String("veth");
    }

    void addInterfaces()
    {
        QList<const TopoInterface *> shown;
        for (const TopoInterface &i : m_t.interfaces) {
            if (interfaceMatters(i)) {
                shown << &i;
            }
        }
        std::sort(shown.begin(), shown.end(), [](const TopoInterface *a, const TopoInterface *b) {
            return a->name < b->name;
        });
        for (const TopoInterface *i : shown) {
            TopoNode n;
            n.id = QStringLiteral("if:") + i->name;
            n.kind = isDockerBridge(i->name) ? TopoNode::Kind::Docker : TopoNode::Kind::Interface;
            n.label = i->name;
            n.parentId = kRunner;
            n.details = addressLines(i->addresses);
            QStringList facts;
            if (i->mtu > 0) {
                facts << QStringLiteral("MTU ") + QString::number(i->mtu);
            }
            if (!i->state.isEmpty() && i->state.compare(QLatin1String("UP"), Qt::CaseInsensitive) != 0
                && i->state.compare(QLatin1String("UNKNOWN"), Qt::CaseInsensitive) != 0) {
                facts << i->state;
            }
            if (!facts.isEmpty()) {
                n.details << facts.join(kMiddleDot);
            }
            addNode(n);
            addEdge(n.id, kRunner, TopoEdge::Kind::Attachment);
        }

        // The way out: each interface with a default route to the uplink, one edge per
        // interface (both families on one edge when they share it).
        QMap<QString, QList<Family>> familiesByDevice;
        for (auto it = m_defaultRoutes.cbegin(); it != m_defaultRoutes.cend(); ++it) {
            familiesByDevice[it->device] << it.key();
        }
        for (auto it = familiesByDevice.cbegin(); it != familiesByDevice.cend(); ++it) {
            const QString id = interfaceNodeId(it.key());
            if (id.isEmpty()) {
                continue;
            }
            QStringList lines;
            for (const Family f : it.value()) {
                const TopoRoute &r = m_defaultRoutes[f];
                lines << familyName(f) + QStringLiteral(" default")
                        + (r.gateway.isEmpty() ? QString() : QStringLiteral(" via ") + r.gateway);
            }
            addEdge(id, kUplink, TopoEdge::Kind::Route, lines.join(QLatin1Char('\n')),
                it.value().size() == 1 ? edgeFamily(it.value().first()) : TopoEdge::Family::Both);
        }
    }

    void addNetworks()
    {
        QList<const TopoNetwork *> shown;
        for (const TopoNetwork &n : m_t.networks) {
            if (isNetworkNode(n)) {
                shown << &n;
            }
        }
        std::sort(shown.begin(), shown.end(), [](const TopoNetwork *a, const TopoNetwork *b) {
            return a->name < b->name;
        });
        for (const TopoNetwork *net : shown) {
            TopoNode n;
            n.id = QStringLiteral("net:") + net->name;
            n.kind = TopoNode::Kind::Bridge;
            n.label = net->name;
            struct PerFamily {
                Family family;
                QString subnet;
                bool nat;
            };
            QList<PerFamily> families;
            for (const Family f : { Family::IPv4, Family::IPv6 }) {
                const QString subnet = subnetOf(f == Family::IPv4 ? net->ipv4Address() : net->ipv6Address());
                if (!subnet.isEmpty()) {
                    families << PerFamily { f, subnet, f == Family::IPv4 ? net->ipv4Nat() : net->ipv6Nat() };
                }
            }
            for (const PerFamily &pf : families) {
                n.details << familyName(pf.family) + QLatin1Char(' ') + pf.subnet + kMiddleDot
                        + (pf.nat ? QStringLiteral("NAT on") : QStringLiteral("NAT off"));
            }
            if (families.isEmpty() && net->type == QLatin1String("bridge")) {
                n.details << QStringLiteral("no subnet");
            }
            QStringList facts;
            if (net->type != QLatin1String("bridge") && !net->type.isEmpty()) {
                facts << net->type;
            }
            if (!net->managed) {
                facts << QStringLiteral("unmanaged");
            }
            int mtu = net->mtu();
            if (mtu == 0) {
                if (const TopoInterface *i = m_t.interface(net->name)) {
                    mtu = i->mtu;
                }
            }
            if (mtu > 0) {
                facts << QStringLiteral("MTU ") + QString::number(mtu);
            }
            if (!facts.isEmpty()) {
                n.details << facts.join(kMiddleDot);
            }
            addNode(n);
            addEdge(n.id, kRunner, TopoEdge::Kind::Attachment);
            addRouteEdges(n.id, families);
        }
    }

    /// Routing (and NAT) from a bridge to the interface its traffic leaves through, per family.
    /// Families that share the way out and the NAT state share one edge; otherwise each family
    /// gets its own, so that results can colour them apart. A family without a default route
    /// still gets an edge, to the uplink itself, saying so: that missing route is the finding.
    template <typename PerFamilyList> void addRouteEdges(const QString &bridgeId, const PerFamilyList &families)
    {
        struct Out {
            QString target;
            bool nat;
            QStringList lines;
            QList<Family> families;
        };
        QList<Out> outs;
        for (const auto &pf : families) {
            QString target = kUplink;
            QString line = familyName(pf.family) + QLatin1Char(' ') + pf.subnet + kMiddleDot
                + (pf.nat ? QStringLiteral("NAT on") : QStringLiteral("NAT off"));
            const auto route = m_defaultRoutes.constFind(pf.family);
            if (route == m_defaultRoutes.cend()) {
                line += kMiddleDot + QStringLiteral("no default route");
            } else {
                const QString id = interfaceNodeId(route->device);
                if (!id.isEmpty() && id != bridgeId) {
                    target = id;
                }
            }
            auto same = std::find_if(outs.begin(), outs.end(), [&](const Out &o) {
                return o.target == target && o.nat == pf.nat;
            });
            if (same == outs.end()) {
                outs << Out { target, pf.nat, { line }, { pf.family } };
            } else {
                same->lines << line;
                same->families << pf.family;
            }
        }
        for (const Out &o : outs) {
            addEdge(bridgeId, o.target, o.nat ? TopoEdge::Kind::Nat : TopoEdge::Kind::Route,
                o.lines.join(QLatin1Char('\n')),
                o.families.size() == 1 ? edgeFamily(o.families.first()) : TopoEdge::Family::Both);
        }
    }

    void addInstances()
    {
        QList<const TopoInstance *> shown;
        for (const TopoInstance &i : m_t.instances) {
            shown << &i;
        }
        std::sort(shown.begin(), shown.end(), [](const TopoInstance *a, const TopoInstance *b) {
            return a->name < b->name;
        });
        for (const TopoInstance *inst : shown) {
            TopoNode n;
            n.id = QStringLiteral("inst:") + inst->name;
            n.kind = TopoNode::Kind::Instance;
            n.label = inst->name;
            QStringList facts;
            if (!inst->type.isEmpty()) {
                facts << (inst->type == QLatin1String("virtual-machine") ? QStringLiteral("VM") : inst->type);
            }
            if (!inst->status.isEmpty()) {
                facts << inst->status;
            }
            if (!facts.isEmpty()) {
                n.details << facts.join(kMiddleDot);
            }
            addNode(n);

            QList<const TopoNic *> nics;
            for (const TopoNic &nic : inst->nics) {
                nics << &nic;
            }
            std::sort(nics.begin(), nics.end(), [](const TopoNic *a, const TopoNic *b) {
                return a->device < b->device;
            });
            for (const TopoNic *nic : nics) {
                TopoNode nn;
                nn.id = QStringLiteral("nic:") + inst->name + QLatin1Char('/') + nic->device;
                nn.kind = TopoNode::Kind::Nic;
                nn.label = nic->device;
                nn.parentId = n.id;
                nn.details = addressLines(nic->addresses);
                if (!inst->isRunning() && nic->addresses.isEmpty()) {
                    nn.details << QStringLiteral("(not running)");
                }
                QStringList nicFacts;
                if (nic->mtu > 0) {
                    nicFacts << QStringLiteral("MTU ") + QString::number(nic->mtu);
                }
                if (!nic->hostName.isEmpty()) {
                    nicFacts << QStringLiteral("host ") + nic->hostName;
                }
                if (!nicFacts.isEmpty()) {
                    nn.details << nicFacts.join(kMiddleDot);
                }
                addNode(nn);
                addEdge(n.id, nn.id, TopoEdge::Kind::Attachment);
                // A NIC is attached to an LXD network, or (macvlan, physical, unmanaged bridge
                // by "parent") to a host interface; one we do not draw stays unattached.
                const QString target = interfaceNodeId(nic->network);
                if (!target.isEmpty()) {
                    addEdge(nn.id, target, TopoEdge::Kind::Attachment);
                }
            }
        }
    }

    const Topology &m_t;
    TopologyGraph m_graph;
    QSet<QString> m_ids;
    QSet<QString> m_networkNodes;
    QSet<QString> m_instanceVeths;
    QMap<Family, TopoRoute> m_defaultRoutes;
};

} // namespace

const TopoNode *TopologyGraph::node(const QString &id) const
{
    // The index is a hint: after nodes were edited by hand it may be stale, so check what it finds.
    const auto it = nodeIndex.constFind(id);
    if (it != nodeIndex.cend() && *it >= 0 && *it < nodes.size() && nodes.at(*it).id == id) {
        return &nodes.at(*it);
    }
    const auto found = std::find_if(nodes.cbegin(), nodes.cend(), [&id](const TopoNode &n) {
        return n.id == id;
    });
    return found == nodes.cend() ? nullptr : &*found;
}

void TopologyGraph::reindex()
{
    nodeIndex.clear();
    nodeIndex.reserve(nodes.size());
    for (qsizetype i = 0; i < nodes.size(); ++i) {
        nodeIndex.insert(nodes.at(i).id, i);
    }
}

TopologyGraph buildTopologyGraph(const Topology &topology)
{
    return Builder(topology).build();
}

} // namespace nestscope
