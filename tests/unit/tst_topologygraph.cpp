// The topology graph (nodes, edges, labels from a hand-built Topology) and its Graphviz layout.

#include "topology/graph.h"
#include "topology/layout.h"
#include "topology/problems.h"

#include <QFutureWatcher>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTest>

#include <algorithm>
#include <cgraph.h>

using namespace nestscope;

namespace {

using Family = TopoAddress::Family;

TopoAddress addr(Family f, const QString &a, int prefix, const QString &scope = QStringLiteral("global"))
{
    TopoAddress out;
    out.family = f;
    out.address = a;
    out.prefixLength = prefix;
    out.scope = scope;
    return out;
}

TopoInterface iface(const QString &name, const QString &kind, QList<TopoAddress> addresses = {},
    const QString &master = {}, const QString &state = QStringLiteral("UP"))
{
    TopoInterface i;
    i.name = name;
    i.kind = kind;
    i.state = state;
    i.mtu = kind == QLatin1String("loopback") ? 65536 : 1500;
    i.master = master;
    i.addresses = std::move(addresses);
    return i;
}

TopoRoute defaultRoute(Family f, const QString &gateway, const QString &device)
{
    TopoRoute r;
    r.family = f;
    r.destination = QStringLiteral("default");
    r.gateway = gateway;
    r.device = device;
    r.table = QStringLiteral("main");
    return r;
}

TopoNetwork network(const QString &name, const QString &type, bool managed, QMap<QString, QString> config = {})
{
    TopoNetwork n;
    n.name = name;
    n.type = type;
    n.managed = managed;
    n.config = std::move(config);
    return n;
}

TopoNic nic(const QString &device, const QString &net, const QString &veth, QList<TopoAddress> addresses)
{
    TopoNic n;
    n.device = device;
    n.network = net;
    n.hostName = veth;
    n.mtu = 1500;
    n.state = QStringLiteral("up");
    n.addresses = std::move(addresses);
    return n;
}

TopoInstance instance(const QString &name, const QString &type, QList<TopoNic> nics)
{
    TopoInstance i;
    i.name = name;
    i.type = type;
    i.status = QStringLiteral("Running");
    i.nics = std::move(nics);
    return i;
}

/// A runner as the lab has it: eth0 with both default routes, lxdbr0 with NAT on for IPv4 and
/// off for IPv6, two instances, docker0 (down), the loopback and the instances' veths.
Topology labLikeTopology()
{
    Topology t;
    t.hostname = QStringLiteral("runner-1");
    t.kernel = QStringLiteral("6.1.0-13-amd64");
    t.sysctls.insert(QStringLiteral("net.ipv4.ip_forward"), QStringLiteral("1"));
    t.lxdClient = QStringLiteral("lxc");
    t.lxdServerVersion = QStringLiteral("5.0.2");
    t.interfaces = {
        iface(QStringLiteral("lo"), QStringLiteral("loopback"),
            { addr(Family::IPv4, QStringLiteral("127.0.0.1"), 8, QStringLiteral("host")) }),
        iface(QStringLiteral("eth0"), QStringLiteral("ether"),
            { addr(Family::IPv4, QStringLiteral("10.0.0.5"), 24), addr(Family::IPv6, QStringLiteral("fd00::5"), 64),
                addr(Family::IPv6, QStringLiteral("fe80::5"), 64, QStringLiteral("link")) }),
        iface(QStringLiteral("lxdbr0"), QStringLiteral("bridge"),
            { addr(Family::IPv4, QStringLiteral("10.77.10.1"), 24) }),
        iface(QStringLiteral("veth1"), QStringLiteral("veth"), {}, QStringLiteral("lxdbr0")),
        iface(QStringLiteral("veth2"), QStringLiteral("ether"), {}, QStringLiteral("lxdbr0")),
        iface(QStringLiteral("docker0"), QStringLiteral("bridge"),
            { addr(Family::IPv4, QStringLiteral("172.17.0.1"), 16) }, QString(), QStringLiteral("DOWN")),
    };
    t.routes = { defaultRoute(Family::IPv4, QStringLiteral("10.0.0.1"), QStringLiteral("eth0")),
        defaultRoute(Family::IPv6, QStringLiteral("fe80::1"), QStringLiteral("eth0")) };
    t.networks = {
        network(QStringLiteral("lxdbr0"), QStringLiteral("bridge"), true,
            { { QStringLiteral("ipv4.address"), QStringLiteral("10.77.10.1/24") },
                { QStringLiteral("ipv4.nat"), QStringLiteral("true") },
                { QStringLiteral("ipv6.address"), QStringLiteral("fd42:77:10::1/64") },
                { QStringLiteral("ipv6.nat"), QStringLiteral("false") },
                { QStringLiteral("bridge.mtu"), QStringLiteral("1500") } }),
        network(QStringLiteral("lo"), QStringLiteral("loopback"), false),
        network(QStringLiteral("eth0"), QStringLiteral("physical"), false),
        network(QStringLiteral("docker0"), QStringLiteral("bridge"), false),
    };
    t.instances = {
        instance(QStringLiteral("vm2"), QStringLiteral("virtual-machine"),
            { nic(QStringLiteral("eth0"), QStringLiteral("lxdbr0"), QStringLiteral("veth2"),
                { addr(Family::IPv4, QStringLiteral("10.77.10.52"), 24) }) }),
        instance(QStringLiteral("vm1"), QStringLiteral("container"),
            { nic(QStringLiteral("eth0"), QStringLiteral("lxdbr0"), QStringLiteral("veth1"),
                { addr(Family::IPv4, QStringLiteral("10.77.10.51"), 24),
                    addr(Family::IPv6, QStringLiteral("fd42:77:10::51"), 64),
                    addr(Family::IPv6, QStringLiteral("fe80::51"), 64, QStringLiteral("link")) }) }),
    };
    return t;
}

/// `instances` instances spread over `bridges` bridges, one NIC each, on a runner like the lab's.
Topology scaledTopology(int instances, int bridges)
{
    Topology t = labLikeTopology();
    t.networks.clear();
    t.instances.clear();
    t.interfaces.erase(std::remove_if(t.interfaces.begin(), t.interfaces.end(),
                           [](const TopoInterface &i) {
                               return i.name.startsWith(QLatin1String("lxdbr")) || !i.master.isEmpty();
                           }),
        t.interfaces.end());
    for (int b = 0; b < bridges; ++b) {
        const QString name = QStringLiteral("br%1").arg(b);
        t.networks << network(name, QStringLiteral("bridge"), true,
            { { QStringLiteral("ipv4.address"), QStringLiteral("10.%1.0.1/24").arg(b) },
                { QStringLiteral("ipv4.nat"), QStringLiteral("true") } });
    }
    for (int i = 0; i < instances; ++i) {
        const int b = i % bridges;
        t.instances << instance(QStringLiteral("c%1").arg(i, 4, 10, QLatin1Char('0')), QStringLiteral("container"),
            { nic(QStringLiteral("eth0"), QStringLiteral("br%1").arg(b), QStringLiteral("veth%1").arg(i),
                { addr(Family::IPv4, QStringLiteral("10.%1.0.%2").arg(b).arg(2 + i / bridges), 24) }) });
    }
    return t;
}

QString kindText(TopoNode::Kind k)
{
    switch (k) {
    case TopoNode::Kind::Uplink:
        return QStringLiteral("uplink");
    case TopoNode::Kind::Runner:
        return QStringLiteral("runner");
    case TopoNode::Kind::Interface:
        return QStringLiteral("interface");
    case TopoNode::Kind::Bridge:
        return QStringLiteral("bridge");
    case TopoNode::Kind::Instance:
        return QStringLiteral("instance");
    case TopoNode::Kind::Nic:
        return QStringLiteral("nic");
    case TopoNode::Kind::Docker:
        return QStringLiteral("docker");
    }
    return {};
}

QString edgeText(const TopoEdge &e)
{
    const QString kind = e.kind == TopoEdge::Kind::Attachment ? QStringLiteral("attach")
        : e.kind == TopoEdge::Kind::Route                     ? QStringLiteral("route")
                                                              : QStringLiteral("nat");
    const QString family = e.family == TopoEdge::Family::Both ? QStringLiteral("both")
        : e.family == TopoEdge::Family::IPv4                  ? QStringLiteral("v4")
                                                              : QStringLiteral("v6");
    QString text = e.from + QStringLiteral(" > ") + e.to + QStringLiteral(" ") + kind + QStringLiteral(" ") + family;
    if (!e.label.isEmpty()) {
        text += QStringLiteral(" [") + QString(e.label).replace(QLatin1Char('\n'), QLatin1Char('|')) + QLatin1Char(']');
    }
    return text;
}

QStringList edgeTexts(const TopologyGraph &g)
{
    QStringList out;
    for (const TopoEdge &e : g.edges) {
        out << edgeText(e);
    }
    return out;
}

const TopoEdge *findEdge(const TopologyGraph &g, const QString &from, const QString &to)
{
    for (const TopoEdge &e : g.edges) {
        if (e.from == from && e.to == to) {
            return &e;
        }
    }
    return nullptr;
}

/// QVERIFY2 evaluates its message even when the check passes: never ask an ok Result for its error.
template <typename T> QByteArray why(const Result<T> &r)
{
    return r ? QByteArray() : r.error().toString().toUtf8();
}

double distanceToRect(const QPointF &p, const QRectF &r)
{
    const double dx = std::max({ r.left() - p.x(), 0.0, p.x() - r.right() });
    const double dy = std::max({ r.top() - p.y(), 0.0, p.y() - r.bottom() });
    return std::hypot(dx, dy);
}

/// What every layout must satisfy; returns an empty string or what is wrong.
QString checkLayout(const TopologyGraph &g, const TopoLayout &l)
{
    for (const TopoNode &n : g.nodes) {
        if (!l.nodes.contains(n.id) || l.nodes.value(n.id).isEmpty()) {
            return QStringLiteral("no rectangle for ") + n.id;
        }
    }
    const QList<QString> ids = l.nodes.keys();
    QList<std::pair<QRectF, QString>> rects;
    for (const QString &id : ids) {
        rects.append({ l.nodes.value(id), id });
    }
    std::sort(rects.begin(), rects.end(), [](const auto &a, const auto &b) {
        return a.first.left() < b.first.left();
    });
    for (qsizetype i = 0; i < rects.size(); ++i) {
        for (qsizetype j = i + 1; j < rects.size() && rects.at(j).first.left() < rects.at(i).first.right(); ++j) {
            // Touching is fine; overlapping by more than a rounding error is not.
            if (rects.at(i).first.adjusted(0.5, 0.5, -0.5, -0.5).intersects(rects.at(j).first)) {
                return QStringLiteral("%1 overlaps %2").arg(rects.at(i).second, rects.at(j).second);
            }
        }
    }
    if (l.edges.size() != g.edges.size() || l.edgeLabels.size() != g.edges.size()) {
        return QStringLiteral("edge count %1 / labels %2, graph has %3")
            .arg(l.edges.size())
            .arg(l.edgeLabels.size())
            .arg(g.edges.size());
    }
    for (qsizetype i = 0; i < g.edges.size(); ++i) {
        const TopoEdge &e = g.edges.at(i);
        const QList<QPointF> &pts = l.edges.at(i);
        if (pts.size() < 2 || (pts.size() - 1) % 3 != 0) {
            return QStringLiteral("edge %1 has %2 points").arg(edgeText(e)).arg(pts.size());
        }
        if (distanceToRect(pts.first(), l.nodes.value(e.from)) > 2.0
            || distanceToRect(pts.last(), l.nodes.value(e.to)) > 2.0) {
            return QStringLiteral("edge %1 does not run from its from-node to its to-node").arg(edgeText(e));
        }
        if (!e.label.isEmpty() && l.edgeLabels.at(i).isNull()) {
            return QStringLiteral("edge %1 has no label position").arg(edgeText(e));
        }
        for (const QPointF &p : pts) {
            if (!l.bounds.adjusted(-1, -1, 1, 1).contains(p)) {
                return QStringLiteral("edge %1 leaves the bounds").arg(edgeText(e));
            }
        }
    }
    for (const QRectF &r : l.nodes) {
        if (!l.bounds.adjusted(-1, -1, 1, 1).contains(r)) {
            return QStringLiteral("a node lies outside the bounds");
        }
    }
    return {};
}

/// Left to right: uplink, runner, bridges, instances (every one of each kind).
QString checkRanks(const TopologyGraph &g, const TopoLayout &l)
{
    const auto rightmost = [&](TopoNode::Kind k) {
        double x = -1e9;
        for (const TopoNode &n : g.nodes) {
            if (n.kind == k) {
                x = std::max(x, l.nodes.value(n.id).center().x());
            }
        }
        return x;
    };
    const auto leftmost = [&](TopoNode::Kind k) {
        double x = 1e9;
        for (const TopoNode &n : g.nodes) {
            if (n.kind == k) {
                x = std::min(x, l.nodes.value(n.id).center().x());
            }
        }
        return x;
    };
    const QList<TopoNode::Kind> order { TopoNode::Kind::Uplink, TopoNode::Kind::Runner, TopoNode::Kind::Bridge,
        TopoNode::Kind::Instance };
    for (qsizetype i = 0; i + 1 < order.size(); ++i) {
        if (!(rightmost(order.at(i)) < leftmost(order.at(i + 1)))) {
            return QStringLiteral("%1 is not left of every %2").arg(kindText(order.at(i)), kindText(order.at(i + 1)));
        }
    }
    return {};
}

} // namespace

class TestTopologyGraph : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void nodesOfTheLabRunner();
    void edgesAndLabels();
    void detailsAndParents();
    void sameNatSharesOneEdge();
    void familyWithoutDefaultRoute();
    void nicOnAHostInterface();
    void nodeAccessor();
    void layoutKeepsTheRules_data();
    void layoutKeepsTheRules();
    void layoutIsDeterministic();
    void layoutUsesGivenSizes();
    void emptyGraph();
    void twoHundredInstances_data();
    void twoHundredInstances();
    void largeGraphUsesTheGrid();
    void asyncLayoutsInParallel();
    void dotTextParses();
    void dotTextGivesTheSameLayoutAsDot();
};

void TestTopologyGraph::nodesOfTheLabRunner()
{
    const TopologyGraph g = buildTopologyGraph(labLikeTopology());
    QStringList nodes;
    for (const TopoNode &n : g.nodes) {
        nodes << n.id + QLatin1Char(' ') + kindText(n.kind);
    }
    // No "if:lo", no veths, no "if:lxdbr0" beside "net:lxdbr0", no "net:" for LXD's unmanaged
    // non-bridge entries, docker0 as Docker and not as an LXD network.
    const QStringList expected { QStringLiteral("uplink uplink"), QStringLiteral("runner runner"),
        QStringLiteral("if:docker0 docker"), QStringLiteral("if:eth0 interface"), QStringLiteral("net:lxdbr0 bridge"),
        QStringLiteral("inst:vm1 instance"), QStringLiteral("nic:vm1/eth0 nic"), QStringLiteral("inst:vm2 instance"),
        QStringLiteral("nic:vm2/eth0 nic") };
    QCOMPARE(nodes, expected);
    QCOMPARE(g.node(QStringLiteral("runner"))->label, QStringLiteral("runner-1"));
}

void TestTopologyGraph::edgesAndLabels()
{
    const TopologyGraph g = buildTopologyGraph(labLikeTopology());
    const QString dot = QStringLiteral(" \u00b7 ");
    QStringList expected { QStringLiteral("if:docker0 > runner attach both"),
        QStringLiteral("if:eth0 > runner attach both"),
        QStringLiteral("if:eth0 > uplink route both [IPv4 default via 10.0.0.1|IPv6 default via fe80::1]"),
        QStringLiteral("net:lxdbr0 > runner attach both"),
        QStringLiteral("net:lxdbr0 > if:eth0 nat v4 [IPv4 10.77.10.0/24") + dot + QStringLiteral("NAT on]"),
        QStringLiteral("net:lxdbr0 > if:eth0 route v6 [IPv6 fd42:77:10::/64") + dot + QStringLiteral("NAT off]"),
        QStringLiteral("inst:vm1 > nic:vm1/eth0 attach both"), QStringLiteral("nic:vm1/eth0 > net:lxdbr0 attach both"),
        QStringLiteral("inst:vm2 > nic:vm2/eth0 attach both"),
        QStringLiteral("nic:vm2/eth0 > net:lxdbr0 attach both") };
    QCOMPARE(edgeTexts(g), expected);
}

void TestTopologyGraph::detailsAndParents()
{
    const Topology t = labLikeTopology();
    const TopologyGraph g = buildTopologyGraph(t);
    const QString dot = QStringLiteral(" \u00b7 ");
    QCOMPARE(g.node(QStringLiteral("net:lxdbr0"))->details,
        QStringList({ QStringLiteral("IPv4 10.77.10.0/24") + dot + QStringLiteral("NAT on"),
            QStringLiteral("IPv6 fd42:77:10::/64") + dot + QStringLiteral("NAT off"), QStringLiteral("MTU 1500") }));
    // Global addresses per family (v4 first), no link-local, then MTU and the host-side veth.
    QCOMPARE(g.node(QStringLiteral("nic:vm1/eth0"))->details,
        QStringList({ QStringLiteral("10.77.10.51/24"), QStringLiteral("fd42:77:10::51/64"),
            QStringLiteral("MTU 1500") + dot + QStringLiteral("host veth1") }));
    QCOMPARE(g.node(QStringLiteral("nic:vm1/eth0"))->parentId, QStringLiteral("inst:vm1"));
    QCOMPARE(g.node(QStringLiteral("if:eth0"))->parentId, QStringLiteral("runner"));
    QCOMPARE(g.node(QStringLiteral("if:eth0"))->details,
        QStringList({ QStringLiteral("10.0.0.5/24"), QStringLiteral("fd00::5/64"), QStringLiteral("MTU 1500") }));
    QCOMPARE(g.node(QStringLiteral("if:docker0"))->details,
        QStringList({ QStringLiteral("172.17.0.1/16"), QStringLiteral("MTU 1500") + dot + QStringLiteral("DOWN") }));
    QCOMPARE(g.node(QStringLiteral("inst:vm2"))->details,
        QStringList({ QStringLiteral("VM") + dot + QStringLiteral("Running") }));
    QVERIFY(g.node(QStringLiteral("runner"))->details.contains(QStringLiteral("ip_forward 1")));
    QVERIFY(g.node(QStringLiteral("runner"))->details.contains(QStringLiteral("LXD 5.0.2")));

    // The problems are findProblems()'s, in its order.
    const QList<TopoProblem> problems = findProblems(t);
    QCOMPARE(g.problems.size(), problems.size());
    for (qsizetype i = 0; i < problems.size(); ++i) {
        QCOMPARE(g.problems.at(i).id, problems.at(i).id);
        QCOMPARE(g.problems.at(i).nodeId, problems.at(i).nodeId);
    }
}

void TestTopologyGraph::sameNatSharesOneEdge()
{
    Topology t = labLikeTopology();
    t.networks[0].config[QStringLiteral("ipv6.nat")] = QStringLiteral("true");
    const TopologyGraph g = buildTopologyGraph(t);
    const TopoEdge *e = findEdge(g, QStringLiteral("net:lxdbr0"), QStringLiteral("if:eth0"));
    QVERIFY(e);
    QCOMPARE(e->kind, TopoEdge::Kind::Nat);
    QCOMPARE(e->family, TopoEdge::Family::Both);
    QCOMPARE(e->label.split(QLatin1Char('\n')).size(), 2);
    QCOMPARE(std::count_if(g.edges.cbegin(), g.edges.cend(),
                 [](const TopoEdge &x) {
                     return x.from == QLatin1String("net:lxdbr0") && x.kind != TopoEdge::Kind::Attachment;
                 }),
        1);
}

void TestTopologyGraph::familyWithoutDefaultRoute()
{
    // The ipv6-only scenario: the bridge has only IPv6, the runner only an IPv4 default route.
    Topology t = labLikeTopology();
    t.routes.removeLast();
    t.networks[0].config[QStringLiteral("ipv4.address")] = QStringLiteral("none");
    t.networks[0].config[QStringLiteral("ipv6.nat")] = QStringLiteral("true");
    const TopologyGraph g = buildTopologyGraph(t);
    const TopoEdge *e = findEdge(g, QStringLiteral("net:lxdbr0"), QStringLiteral("uplink"));
    QVERIFY(e);
    QCOMPARE(e->family, TopoEdge::Family::IPv6);
    QVERIFY2(e->label.endsWith(QStringLiteral("no default route")), qPrintable(e->label));
    QVERIFY(!findEdge(g, QStringLiteral("net:lxdbr0"), QStringLiteral("if:eth0")));
    QCOMPARE(findEdge(g, QStringLiteral("if:eth0"), QStringLiteral("uplink"))->family, TopoEdge::Family::IPv4);
    QVERIFY(g.node(QStringLiteral("uplink"))->details.contains(QStringLiteral("IPv6: no default route")));
}

void TestTopologyGraph::nicOnAHostInterface()
{
    // A macvlan NIC names its parent, a host interface: it hangs off that interface's node.
    Topology t = labLikeTopology();
    t.instances[0].nics << nic(QStringLiteral("eth1"), QStringLiteral("eth0"), QString(), {});
    const TopologyGraph g = buildTopologyGraph(t);
    QVERIFY(g.node(QStringLiteral("nic:vm2/eth1")));
    QVERIFY(findEdge(g, QStringLiteral("nic:vm2/eth1"), QStringLiteral("if:eth0")));
}

void TestTopologyGraph::nodeAccessor()
{
    TopologyGraph g = buildTopologyGraph(labLikeTopology());
    QCOMPARE(g.node(QStringLiteral("nic:vm2/eth0"))->kind, TopoNode::Kind::Nic);
    QVERIFY(!g.node(QStringLiteral("if:lo")));
    QVERIFY(!g.node(QString()));
    // Edited by hand without reindex(): still right, only slower.
    g.nodes.removeFirst();
    QVERIFY(!g.node(QStringLiteral("uplink")));
    QCOMPARE(g.node(QStringLiteral("runner"))->id, QStringLiteral("runner"));
    g.reindex();
    QCOMPARE(g.node(QStringLiteral("inst:vm1"))->id, QStringLiteral("inst:vm1"));
}

void TestTopologyGraph::layoutKeepsTheRules_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("dot") << int(TopoLayoutOptions::Mode::Dot);
    QTest::newRow("grid") << int(TopoLayoutOptions::Mode::Grid);
}

void TestTopologyGraph::layoutKeepsTheRules()
{
    QFETCH(int, mode);
    TopoLayoutOptions options;
    options.mode = TopoLayoutOptions::Mode(mode);
    const TopologyGraph g = buildTopologyGraph(labLikeTopology());
    const auto layout = layoutTopology(g, {}, options);
    QVERIFY2(layout, why(layout).constData());
    QCOMPARE(
        layout->method, mode == int(TopoLayoutOptions::Mode::Dot) ? QStringLiteral("dot") : QStringLiteral("dot+grid"));
    const QString wrong = checkLayout(g, *layout);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    const QString unranked = checkRanks(g, *layout);
    QVERIFY2(unranked.isEmpty(), qPrintable(unranked));
}

void TestTopologyGraph::layoutIsDeterministic()
{
    const TopologyGraph g = buildTopologyGraph(labLikeTopology());
    const auto a = layoutTopology(g);
    const auto b = layoutTopology(g);
    QVERIFY(a && b);
    QCOMPARE(a->nodes, b->nodes);
    QCOMPARE(a->edges, b->edges);
    QCOMPARE(a->edgeLabels, b->edgeLabels);
    // Discovery's order is the API's: the same nodes listed the other way round land in the same places.
    TopologyGraph shuffled = g;
    std::reverse(shuffled.nodes.begin(), shuffled.nodes.end());
    shuffled.reindex();
    const auto c = layoutTopology(shuffled);
    QVERIFY(c);
    QCOMPARE(c->nodes, a->nodes);
}

void TestTopologyGraph::layoutUsesGivenSizes()
{
    const TopologyGraph g = buildTopologyGraph(labLikeTopology());
    const QMap<QString, QSizeF> sizes { { QStringLiteral("runner"), QSizeF(300, 90) },
        { QStringLiteral("inst:vm1"), QSizeF(40, 20) } };
    const auto l = layoutTopology(g, sizes);
    QVERIFY(l);
    QCOMPARE(l->nodes.value(QStringLiteral("runner")).size(), QSizeF(300, 90));
    QCOMPARE(l->nodes.value(QStringLiteral("inst:vm1")).size(), QSizeF(40, 20));
    QCOMPARE(l->nodes.value(QStringLiteral("inst:vm2")).size(), estimatedNodeSize(*g.node(QStringLiteral("inst:vm2"))));
    QVERIFY(checkLayout(g, *l).isEmpty());
}

void TestTopologyGraph::emptyGraph()
{
    const auto l = layoutTopology(TopologyGraph());
    QVERIFY(l);
    QVERIFY(l->nodes.isEmpty());
    QVERIFY(l->edges.isEmpty());
    // A topology with nothing discovered still has the uplink and the runner.
    const TopologyGraph g = buildTopologyGraph(Topology());
    QCOMPARE(g.nodes.size(), 2);
    const auto l2 = layoutTopology(g);
    QVERIFY(l2);
    QVERIFY(checkLayout(g, *l2).isEmpty());
}

void TestTopologyGraph::twoHundredInstances_data()
{
    QTest::addColumn<int>("mode");
    QTest::newRow("dot") << int(TopoLayoutOptions::Mode::Dot);
    QTest::newRow("auto") << int(TopoLayoutOptions::Mode::Auto);
}

void TestTopologyGraph::twoHundredInstances()
{
    QFETCH(int, mode);
    const TopologyGraph g = buildTopologyGraph(scaledTopology(200, 5));
    QCOMPARE(g.nodes.size(), 2 + 1 + 1 + 5 + 400); // uplink, runner, eth0, docker0, bridges, instances + NICs
    TopoLayoutOptions options;
    options.mode = TopoLayoutOptions::Mode(mode);
    const auto l = layoutTopology(g, {}, options);
    QVERIFY2(l, why(l).constData());
    // Auto hands a graph this size to the grid (over 400 nodes).
    QCOMPARE(
        l->method, options.mode == TopoLayoutOptions::Mode::Dot ? QStringLiteral("dot") : QStringLiteral("dot+grid"));
    const QString wrong = checkLayout(g, *l);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    const QString unranked = checkRanks(g, *l);
    QVERIFY2(unranked.isEmpty(), qPrintable(unranked));
}

void TestTopologyGraph::largeGraphUsesTheGrid()
{
    const TopologyGraph g = buildTopologyGraph(scaledTopology(1000, 20));
    const auto l = layoutTopology(g);
    QVERIFY2(l, why(l).constData());
    QCOMPARE(l->method, QStringLiteral("dot+grid"));
    QCOMPARE(l->groups.size(), 20);
    const QString wrong = checkLayout(g, *l);
    QVERIFY2(wrong.isEmpty(), qPrintable(wrong));
    const QString unranked = checkRanks(g, *l);
    QVERIFY2(unranked.isEmpty(), qPrintable(unranked));
    // Every instance's tile is inside its bridge's frame.
    const QRectF frame = l->groups.value(QStringLiteral("net:br3"));
    QVERIFY(frame.contains(l->nodes.value(QStringLiteral("inst:c0003"))));
    QVERIFY(frame.contains(l->nodes.value(QStringLiteral("nic:c0003/eth0"))));
    const auto again = layoutTopology(g);
    QCOMPARE(again->nodes, l->nodes);
}

void TestTopologyGraph::asyncLayoutsInParallel()
{
    // Graphviz is not thread-safe: four layouts at once must still each give the serial result.
    const TopologyGraph g = buildTopologyGraph(scaledTopology(40, 3));
    const auto serial = layoutTopology(g);
    QVERIFY(serial);
    QList<QFutureWatcher<Result<TopoLayout>> *> watchers;
    QList<QSignalSpy *> spies;
    for (int i = 0; i < 4; ++i) {
        auto *w = new QFutureWatcher<Result<TopoLayout>>(this);
        spies << new QSignalSpy(w, &QFutureWatcher<Result<TopoLayout>>::finished);
        w->setFuture(layoutTopologyAsync(g));
        watchers << w;
    }
    for (int i = 0; i < 4; ++i) {
        QVERIFY(spies.at(i)->count() == 1 || spies.at(i)->wait(30000));
        const Result<TopoLayout> r = watchers.at(i)->result();
        QVERIFY(r);
        QCOMPARE(r->nodes, serial->nodes);
        QCOMPARE(r->edges, serial->edges);
    }
    qDeleteAll(spies);
    qDeleteAll(watchers);
}

void TestTopologyGraph::dotTextParses()
{
    TopologyGraph g = buildTopologyGraph(labLikeTopology());
    // Names and labels that need quoting survive.
    g.nodes[1].label = QStringLiteral("run\"ner\\x");
    const QString dot = topologyToDot(g);
    QVERIFY(dot.startsWith(QStringLiteral("digraph")));
    Agraph_t *parsed = agmemread(dot.toUtf8().constData());
    QVERIFY(parsed);
    const int nodes = agnnodes(parsed);
    const int edges = agnedges(parsed);
    char labelAttr[] = "label";
    char runner[] = "runner";
    const QString runnerLabel = QString::fromUtf8(agget(agnode(parsed, runner, 0), labelAttr));
    agclose(parsed);
    QCOMPARE(nodes, int(g.nodes.size()));
    QCOMPARE(edges, int(g.edges.size())); // every node is ranked by an edge here: no invisible ones
    // The quote arrives unescaped; the backslash stays doubled, which Graphviz draws as one.
    QCOMPARE(runnerLabel, QStringLiteral("run\"ner\\\\x"));
}

void TestTopologyGraph::dotTextGivesTheSameLayoutAsDot()
{
    // `dot -Tplain` on topologyToDot()'s text places the nodes where layoutTopology() does:
    // the text is the graph the layout runs, so the benchmark compares like with like.
    const QString dotExe = QStandardPaths::findExecutable(QStringLiteral("dot"));
    if (dotExe.isEmpty()) {
        QSKIP("Graphviz's dot is not installed (packaging/install-deps.sh installs it)");
    }
    const TopologyGraph g = buildTopologyGraph(scaledTopology(12, 2));
    const auto l = layoutTopology(g, {}, TopoLayoutOptions { TopoLayoutOptions::Mode::Dot, 400 });
    QVERIFY(l);
    QProcess p;
    p.start(dotExe, { QStringLiteral("-Tplain") });
    QVERIFY(p.waitForStarted());
    p.write(topologyToDot(g).toUtf8());
    p.closeWriteChannel();
    QVERIFY(p.waitForFinished(30000));
    QCOMPARE(p.exitCode(), 0);
    // plain: "graph scale width height", "node name x y w h label ...", in inches, y up.
    const QList<QByteArray> lines = p.readAllStandardOutput().split('\n');
    double height = 0;
    int compared = 0;
    for (const QByteArray &line : lines) {
        const QString text = QString::fromUtf8(line);
        const QStringList f = QProcess::splitCommand(text);
        if (f.value(0) == QLatin1String("graph")) {
            height = f.value(3).toDouble() * 72;
        } else if (f.value(0) == QLatin1String("node")) {
            const QPointF c(f.value(2).toDouble() * 72, height - f.value(3).toDouble() * 72);
            const QPointF ours = l->nodes.value(f.value(1)).center();
            QVERIFY2((c - ours).manhattanLength() < 2.0,
                qPrintable(QStringLiteral("%1: dot %2,%3 ours %4,%5")
                               .arg(f.value(1))
                               .arg(c.x())
                               .arg(c.y())
                               .arg(ours.x())
                               .arg(ours.y())));
            ++compared;
        }
    }
    QCOMPARE(compared, int(g.nodes.size()));
}

QTEST_GUILESS_MAIN(TestTopologyGraph)
#include "tst_topologygraph.moc"
