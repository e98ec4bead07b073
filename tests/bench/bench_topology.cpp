// The topology at scale (issue 5): a synthetic runner with 2,000 instances on 50 bridges, written
// as the JSON `lxc query` and `ip -j` print (stamped from the lab's recorded fixtures), then
//   parse   topologyFromSections() on those bytes          target < 200 ms
//   graph   buildTopologyGraph()
//   layout  layoutTopology()                               target layout + scene < 1.5 s
//   scene   TopologyScene::setGraph() (when the widgets are built)
// and, as the baseline in the same run, Graphviz's own `dot -Tsvg` on topologyToDot() of the same
// graph (target: layout no slower than dot). It also measures the longest stall of the main
// thread's event loop while a layout runs on the worker thread.
//   bench_topology [--instances N] [--bridges B] [--rounds R] [--keep DIR] [--no-dot] [--in-process-dot]
//                  [--svg FILE (our layout, boxes only)] [--png FILE (the scene as drawn, with the widgets)]

#include "topology/discovery.h"
#include "topology/graph.h"
#include "topology/layout.h"
#include "topology/parsers.h"

#ifdef NESTSCOPE_BENCH_SCENE
#include "topologyscene.h"

#include <QApplication>
#include <QImage>
#include <QPainter>
#else
#include <QCoreApplication>
#endif

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QFutureWatcher>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTimer>

#include <algorithm>
#include <cstdio>
#include <functional>
#include <vector>

using namespace nestscope;

namespace {

const QString kFixtures = QStringLiteral(NESTSCOPE_SOURCE_DIR "/tests/data/lab/healthy/");

QByteArray readFixture(const QString &path)
{
    QFile f(kFixtures + path);
    if (!f.open(QIODevice::ReadOnly)) {
        std::fprintf(stderr, "cannot read fixture %s\n", qPrintable(f.fileName()));
        std::exit(2);
    }
    return f.readAll();
}

QJsonArray fixtureArray(const QString &path)
{
    return QJsonDocument::fromJson(readFixture(path)).array();
}

QJsonObject findByKey(const QJsonArray &array, const QString &key, const QString &value)
{
    for (const QJsonValue &v : array) {
        if (v.toObject().value(key).toString() == value) {
            return v.toObject();
        }
    }
    std::fprintf(stderr, "fixture has no entry %s=%s\n", qPrintable(key), qPrintable(value));
    std::exit(2);
}

QString bridgeName(int b)
{
    return QStringLiteral("br%1").arg(b, 2, 10, QLatin1Char('0'));
}

QString instanceName(int i)
{
    return QStringLiteral("c%1").arg(i, 4, 10, QLatin1Char('0'));
}

QString v4Prefix(int b) // "10.64.3" for bridge 3
{
    return QStringLiteral("10.%1.%2").arg(64 + b / 256).arg(b % 256);
}

QString v6Prefix(int b) // "fd42:1:3:" for bridge 3
{
    return QStringLiteral("fd42:1:%1:").arg(b, 0, 16);
}

QString veth(int i)
{
    return QStringLiteral("veth%1").arg(0x5e000000u + unsigned(i), 8, 16, QLatin1Char('0'));
}

QString mac(int i)
{
    return QStringLiteral("00:16:3e:%1:%2:%3")
        .arg((i >> 16) & 0xff, 2, 16, QLatin1Char('0'))
        .arg((i >> 8) & 0xff, 2, 16, QLatin1Char('0'))
        .arg(i & 0xff, 2, 16, QLatin1Char('0'));
}

QJsonObject lxdAddress(const QString &family, const QString &address, int prefix, const QString &scope)
{
    return QJsonObject { { QStringLiteral("family"), family }, { QStringLiteral("address"), address },
        { QStringLiteral("netmask"), QString::number(prefix) }, { QStringLiteral("scope"), scope } };
}

QJsonObject ipAddrInfo(const QString &family, const QString &local, int prefix, const QString &scope)
{
    return QJsonObject { { QStringLiteral("family"), family }, { QStringLiteral("local"), local },
        { QStringLiteral("prefixlen"), prefix }, { QStringLiteral("scope"), scope },
        { QStringLiteral("valid_life_time"), 4294967295.0 }, { QStringLiteral("preferred_life_time"), 4294967295.0 } };
}

/// The files discovery reads, for `instances` instances on `bridges` bridges, each stamped from
/// the lab's recorded JSON so that every field LXD and iproute2 print is there at its real size.
QMap<QString, QByteArray> generateFiles(int instances, int bridges)
{
    QMap<QString, QByteArray> files;

    // LXD networks: the lab's lxdbr0 per bridge; IPv6 NAT on for even bridges only, so half of
    // the bridges get one route edge per family, as a mixed real runner would.
    const QJsonArray networksFixture = fixtureArray(QStringLiteral("lxd/networks.json"));
    const QJsonObject bridgeTemplate = findByKey(networksFixture, QStringLiteral("name"), QStringLiteral("lxdbr0"));
    QJsonArray networks;
    std::vector<QJsonArray> usedBy(static_cast<size_t>(bridges));
    for (int i = 0; i < instances; ++i) {
        usedBy[size_t(i % bridges)].append(QString(QStringLiteral("/1.0/instances/") + instanceName(i)));
    }
    for (int b = 0; b < bridges; ++b) {
        QJsonObject n = bridgeTemplate;
        QJsonObject config = n.value(QStringLiteral("config")).toObject();
        config[QStringLiteral("ipv4.address")] = QString(v4Prefix(b) + QStringLiteral(".1/24"));
        config[QStringLiteral("ipv6.address")] = QString(v6Prefix(b) + QStringLiteral(":1/64"));
        config[QStringLiteral("ipv6.nat")] = b % 2 == 0 ? QStringLiteral("true") : QStringLiteral("false");
        n[QStringLiteral("config")] = config;
        n[QStringLiteral("name")] = bridgeName(b);
        usedBy[size_t(b)].prepend(QStringLiteral("/1.0/profiles/default"));
        n[QStringLiteral("used_by")] = usedBy[size_t(b)];
        networks.append(n);
    }
    for (const QJsonValue &v : networksFixture) {
        if (v.toObject().value(QStringLiteral("name")).toString() != QLatin1String("lxdbr0")) {
            networks.append(v);
        }
    }
    files.insert(QStringLiteral("lxd/networks.json"), QJsonDocument(networks).toJson());

    // LXD instances (recursion=2): the lab's vm1, renamed, re-addressed, on its bridge.
    const QJsonObject instanceTemplate
        = findByKey(fixtureArray(QStringLiteral("lxd/instances.json")), QStringLiteral("name"), QStringLiteral("vm1"));
    QJsonArray instanceArray;
    for (int i = 0; i < instances; ++i) {
        const int b = i % bridges;
        const int host = 2 + (i / bridges) % 250;
        QJsonObject o = instanceTemplate;
        o[QStringLiteral("name")] = instanceName(i);
        for (const QString &key : { QStringLiteral("config"), QStringLiteral("expanded_config") }) {
            QJsonObject c = o.value(key).toObject();
            c[QStringLiteral("volatile.eth0.host_name")] = veth(i);
            c[QStringLiteral("volatile.eth0.hwaddr")] = mac(i);
            o[key] = c;
        }
        QJsonObject devices = o.value(QStringLiteral("expanded_devices")).toObject();
        QJsonObject eth0 = devices.value(QStringLiteral("eth0")).toObject();
        eth0[QStringLiteral("network")] = bridgeName(b);
        devices[QStringLiteral("eth0")] = eth0;
        o[QStringLiteral("expanded_devices")] = devices;
        QJsonObject state = o.value(QStringLiteral("state")).toObject();
        QJsonObject net = state.value(QStringLiteral("network")).toObject();
        QJsonObject nic = net.value(QStringLiteral("eth0")).toObject();
        nic[QStringLiteral("addresses")] = QJsonArray {
            lxdAddress(QStringLiteral("inet"), v4Prefix(b) + QLatin1Char('.') + QString::number(host), 24,
                QStringLiteral("global")),
            lxdAddress(QStringLiteral("inet6"), v6Prefix(b) + QStringLiteral(":") + QString::number(host, 16), 64,
                QStringLiteral("global")),
            lxdAddress(QStringLiteral("inet6"), QStringLiteral("fe80::") + QString::number(i + 1, 16), 64,
                QStringLiteral("link")),
        };
        nic[QStringLiteral("host_name")] = veth(i);
        nic[QStringLiteral("hwaddr")] = mac(i);
        net[QStringLiteral("eth0")] = nic;
        state[QStringLiteral("network")] = net;
        o[QStringLiteral("state")] = state;
        instanceArray.append(o);
    }
    files.insert(QStringLiteral("lxd/instances.json"), QJsonDocument(instanceArray).toJson());

    // ip -j -d addr: the lab runner's lo, mgmt0 and uplink0, then a bridge per LXD network and a
    // veth per instance enslaved to it.
    const QJsonArray ipFixture = fixtureArray(QStringLiteral("runner/ip-d-addr.json"));
    QJsonArray ipAddr;
    for (const QString &name : { QStringLiteral("lo"), QStringLiteral("mgmt0"), QStringLiteral("uplink0") }) {
        ipAddr.append(findByKey(ipFixture, QStringLiteral("ifname"), name));
    }
    const QJsonObject ipBridge = findByKey(ipFixture, QStringLiteral("ifname"), QStringLiteral("lxdbr0"));
    QJsonObject ipVeth;
    for (const QJsonValue &v : ipFixture) {
        if (v.toObject().value(QStringLiteral("master")).toString() == QLatin1String("lxdbr0")) {
            ipVeth = v.toObject();
            break;
        }
    }
    int ifindex = 10;
    for (int b = 0; b < bridges; ++b) {
        QJsonObject o = ipBridge;
        o[QStringLiteral("ifindex")] = ifindex++;
        o[QStringLiteral("ifname")] = bridgeName(b);
        o[QStringLiteral("address")] = mac(0x100000 + b);
        o[QStringLiteral("addr_info")] = QJsonArray {
            ipAddrInfo(QStringLiteral("inet"), v4Prefix(b) + QStringLiteral(".1"), 24, QStringLiteral("global")),
            ipAddrInfo(QStringLiteral("inet6"), v6Prefix(b) + QStringLiteral(":1"), 64, QStringLiteral("global")),
        };
        ipAddr.append(o);
    }
    for (int i = 0; i < instances; ++i) {
        QJsonObject o = ipVeth;
        o[QStringLiteral("ifindex")] = ifindex++;
        o[QStringLiteral("ifname")] = veth(i);
        o[QStringLiteral("master")] = bridgeName(i % bridges);
        o[QStringLiteral("address")] = mac(0x200000 + i);
        ipAddr.append(o);
    }
    files.insert(QStringLiteral("runner/ip-d-addr.json"), QJsonDocument(ipAddr).toJson(QJsonDocument::Compact));

    // Routes: the lab's, plus each bridge's connected subnets.
    for (const int family : { 4, 6 }) {
        const QString path = QStringLiteral("runner/ip-route-%1.json").arg(family);
        QJsonArray routes = fixtureArray(path);
        for (int b = 0; b < bridges; ++b) {
            const QString dst = family == 4 ? QString(v4Prefix(b) + QStringLiteral(".0/24"))
                                            : QString(v6Prefix(b) + QStringLiteral(":/64"));
            routes.append(QJsonObject { { QStringLiteral("dst"), dst }, { QStringLiteral("dev"), bridgeName(b) },
                { QStringLiteral("protocol"), QStringLiteral("kernel") },
                { QStringLiteral("scope"), QStringLiteral("link") }, { QStringLiteral("flags"), QJsonArray() } });
        }
        files.insert(path, QJsonDocument(routes).toJson(QJsonDocument::Compact));
    }
    for (int b = 0; b < bridges; ++b) {
        files.insert(QStringLiteral("lxd/leases-%1.json").arg(bridgeName(b)), QByteArrayLiteral("[]"));
    }
    return files;
}

/// Sections as the discovery script frames them, read from `dir` (the generated files, plus the
/// lab's recorded ones for the parts that do not grow with the number of instances).
DiscoverySections readSections(const QString &dir, int bridges)
{
    DiscoverySections sections;
    const auto add = [&](const QString &name, const QByteArray &output) {
        DiscoverySection s;
        s.name = name;
        s.output = output;
        sections.insert(name, s);
    };
    const auto file = [&](const QString &path) {
        QFile f(dir + QLatin1Char('/') + path);
        if (f.open(QIODevice::ReadOnly)) {
            return f.readAll();
        }
        return readFixture(path);
    };
    add(QStringLiteral("hostname"), file(QStringLiteral("runner/hostname.txt")));
    add(QStringLiteral("uname-r"), file(QStringLiteral("runner/uname-r.txt")));
    add(QStringLiteral("resolv.conf"), file(QStringLiteral("runner/resolv.conf")));
    add(QStringLiteral("ip-addr"), file(QStringLiteral("runner/ip-d-addr.json")));
    add(QStringLiteral("ip-route-4"), file(QStringLiteral("runner/ip-route-4.json")));
    add(QStringLiteral("ip-route-6"), file(QStringLiteral("runner/ip-route-6.json")));
    for (const QString &name :
        { QStringLiteral("net.ipv4.ip_forward"), QStringLiteral("net.ipv6.conf.all.disable_ipv6"),
            QStringLiteral("net.ipv6.conf.all.forwarding"), QStringLiteral("net.bridge.bridge-nf-call-iptables") }) {
        add(QStringLiteral("sysctl:") + name, file(QStringLiteral("runner/sysctl-%1.txt").arg(name)));
    }
    add(QStringLiteral("nft"), file(QStringLiteral("runner/nft-ruleset.json")));
    add(QStringLiteral("iptables-save"), file(QStringLiteral("runner/iptables-save.txt")));
    add(QStringLiteral("ip6tables-save"), file(QStringLiteral("runner/ip6tables-save.txt")));
    add(QStringLiteral("iptables-version"), file(QStringLiteral("runner/iptables-version.txt")));
    add(QStringLiteral("lxd-client"), QByteArrayLiteral("lxc\n"));
    add(QStringLiteral("lxd-server"), file(QStringLiteral("lxd/server.json")));
    add(QStringLiteral("lxd-networks"), file(QStringLiteral("lxd/networks.json")));
    add(QStringLiteral("lxd-instances"), file(QStringLiteral("lxd/instances.json")));
    for (int b = 0; b < bridges; ++b) {
        add(QStringLiteral("lxd-leases:") + bridgeName(b),
            file(QStringLiteral("lxd/leases-%1.json").arg(bridgeName(b))));
    }
    return sections;
}

double median(std::vector<double> v)
{
    std::sort(v.begin(), v.end());
    return v.empty() ? 0 : v[v.size() / 2];
}

double timeMs(const std::function<void()> &f)
{
    QElapsedTimer t;
    t.start();
    f();
    return double(t.nsecsElapsed()) / 1e6;
}

int intArg(const QStringList &args, const QString &name, int fallback)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1).toInt() : fallback;
}

QString stringArg(const QStringList &args, const QString &name)
{
    const qsizetype i = args.indexOf(name);
    return i >= 0 && i + 1 < args.size() ? args.at(i + 1) : QString();
}

std::string loadAverage()
{
    QFile f(QStringLiteral("/proc/loadavg"));
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toStdString() : std::string("?");
}

/// Our layout as a plain SVG (boxes, ids, edges), to look at what the benchmark laid out.
void writeSvg(const QString &path, const TopologyGraph &g, const TopoLayout &l)
{
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
        std::fprintf(stderr, "cannot write %s\n", qPrintable(path));
        return;
    }
    QString out = QStringLiteral("<svg xmlns='http://www.w3.org/2000/svg' viewBox='%1 %2 %3 %4' font-size='8' "
                                 "font-family='sans-serif'>\n")
                      .arg(l.bounds.left() - 10)
                      .arg(l.bounds.top() - 10)
                      .arg(l.bounds.width() + 20)
                      .arg(l.bounds.height() + 20);
    for (const QRectF &r : l.groups) {
        out += QStringLiteral("<rect x='%1' y='%2' width='%3' height='%4' fill='#f4f4f8' stroke='#ccd'/>\n")
                   .arg(r.x())
                   .arg(r.y())
                   .arg(r.width())
                   .arg(r.height());
    }
    for (qsizetype i = 0; i < l.edges.size(); ++i) {
        const QList<QPointF> &p = l.edges.at(i);
        if (p.size() < 4) {
            continue;
        }
        QString d = QStringLiteral("M%1,%2").arg(p.first().x()).arg(p.first().y());
        for (qsizetype j = 1; j + 2 < p.size(); j += 3) {
            d += QStringLiteral(" C%1,%2 %3,%4 %5,%6")
                     .arg(p[j].x())
                     .arg(p[j].y())
                     .arg(p[j + 1].x())
                     .arg(p[j + 1].y())
                     .arg(p[j + 2].x())
                     .arg(p[j + 2].y());
        }
        const bool attach = g.edges.at(i).kind == TopoEdge::Kind::Attachment;
        out += QStringLiteral("<path d='%1' fill='none' stroke='%2'/>\n")
                   .arg(d, attach ? QStringLiteral("#999") : QStringLiteral("#c60"));
        if (!l.edgeLabels.at(i).isNull()) {
            out += QStringLiteral("<text x='%1' y='%2' text-anchor='middle' fill='#c60'>%3</text>\n")
                       .arg(l.edgeLabels.at(i).x())
                       .arg(l.edgeLabels.at(i).y())
                       .arg(g.edges.at(i).label.section(QLatin1Char('\n'), 0, 0).toHtmlEscaped());
        }
    }
    for (const TopoNode &n : g.nodes) {
        const QRectF r = l.nodes.value(n.id);
        out += QStringLiteral("<rect x='%1' y='%2' width='%3' height='%4' fill='white' stroke='#333'/>"
                              "<text x='%5' y='%6'>%7</text>\n")
                   .arg(r.x())
                   .arg(r.y())
                   .arg(r.width())
                   .arg(r.height())
                   .arg(r.x() + 4)
                   .arg(r.y() + 11)
                   .arg(n.label.toHtmlEscaped());
    }
    out += QStringLiteral("</svg>\n");
    f.write(out.toUtf8());
}

} // namespace

int main(int argc, char *argv[])
{
#ifdef NESTSCOPE_BENCH_SCENE
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM")) {
        qputenv("QT_QPA_PLATFORM", "offscreen");
    }
    QApplication app(argc, argv);
#else
    QCoreApplication app(argc, argv);
#endif
    const QStringList args = QCoreApplication::arguments();
    const int instanceCount = intArg(args, QStringLiteral("--instances"), 2000);
    const int bridgeCount = std::max(1, intArg(args, QStringLiteral("--bridges"), 50));
    const int rounds = std::max(1, intArg(args, QStringLiteral("--rounds"), 5));

    QTemporaryDir tmp;
    QString dir = stringArg(args, QStringLiteral("--keep"));
    if (dir.isEmpty()) {
        dir = tmp.path();
    }

    // 0. Generate and write the JSON (not timed against a target).
    QMap<QString, QByteArray> files;
    const double generateMs = timeMs([&] {
        files = generateFiles(instanceCount, bridgeCount);
    });
    qint64 bytes = 0;
    for (auto it = files.cbegin(); it != files.cend(); ++it) {
        QDir().mkpath(QFileInfo(dir + QLatin1Char('/') + it.key()).path());
        QFile f(dir + QLatin1Char('/') + it.key());
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate) || f.write(it.value()) != it.value().size()) {
            std::fprintf(stderr, "cannot write %s\n", qPrintable(f.fileName()));
            return 1;
        }
        bytes += it.value().size();
    }
    const DiscoverySections sections = readSections(dir, bridgeCount);
    std::printf(
        "Topology benchmark: %d instances on %d bridges, %.1f MB of LXD and ip JSON in %s (generated in %.0f ms)\n",
        instanceCount, bridgeCount, double(bytes) / 1e6, qPrintable(dir), generateMs);
    std::printf("  load average: %s; medians of %d rounds unless said otherwise\n\n", loadAverage().c_str(), rounds);

    // 1. Parse.
    Topology topology;
    std::vector<double> parseRounds;
    for (int r = 0; r < rounds; ++r) {
        parseRounds.push_back(timeMs([&] {
            topology = topologyFromSections(sections);
        }));
    }
    if (topology.instances.size() != instanceCount || topology.networks.size() < bridgeCount) {
        std::fprintf(stderr, "parse found %d instances and %d networks; warnings:\n", int(topology.instances.size()),
            int(topology.networks.size()));
        for (const TopoWarning &w : topology.warnings) {
            std::fprintf(stderr, "  %s: %s\n", qPrintable(w.source), qPrintable(w.message));
        }
        return 1;
    }
    const double parseMs = median(parseRounds);
    // Where parse time goes: the two big sections through their parsers, and the JSON decoding
    // alone (the floor for any parser built on QJsonDocument).
    std::vector<double> instancesRounds, ipRounds, jsonRounds;
    for (int r = 0; r < rounds; ++r) {
        instancesRounds.push_back(timeMs([&] {
            (void)topoparse::parseLxdInstances(sections.value(QStringLiteral("lxd-instances")).output);
        }));
        ipRounds.push_back(timeMs([&] {
            (void)topoparse::parseIpAddr(sections.value(QStringLiteral("ip-addr")).output);
        }));
        jsonRounds.push_back(timeMs([&] {
            (void)QJsonDocument::fromJson(sections.value(QStringLiteral("lxd-instances")).output);
            (void)QJsonDocument::fromJson(sections.value(QStringLiteral("ip-addr")).output);
        }));
    }

    // 2. Graph.
    TopologyGraph graph;
    std::vector<double> graphRounds;
    for (int r = 0; r < rounds; ++r) {
        graphRounds.push_back(timeMs([&] {
            graph = buildTopologyGraph(topology);
        }));
    }
    const double graphMs = median(graphRounds);

    // 3. Node sizes: the scene's real font metrics when the widgets are here.
    QMap<QString, QSizeF> sizes;
    double sizesMs = 0;
#ifdef NESTSCOPE_BENCH_SCENE
    {
        TopologyScene probe;
        sizesMs = timeMs([&] {
            sizes = probe.nodeSizes(graph);
        });
    }
#endif

    // 4. Layout, as the view runs it (Auto: dot for the host level, our grid for the instances).
    TopoLayoutOptions options;
    const QString mode = stringArg(args, QStringLiteral("--mode"));
    options.mode = mode == QLatin1String("dot") ? TopoLayoutOptions::Mode::Dot
        : mode == QLatin1String("grid")         ? TopoLayoutOptions::Mode::Grid
                                                : TopoLayoutOptions::Mode::Auto;
    Result<TopoLayout> layout = Error { QStringLiteral("not run"), QString() };
    std::vector<double> layoutRounds;
    for (int r = 0; r < std::max(3, rounds / 2); ++r) {
        layoutRounds.push_back(timeMs([&] {
            layout = layoutTopology(graph, sizes, options);
        }));
        if (!layout) {
            std::fprintf(stderr, "layout failed: %s\n", qPrintable(layout.error().toString()));
            return 1;
        }
    }
    const double layoutMs = median(layoutRounds);

    // 5. Scene: the first build, then a refresh with the same ids (items updated in place).
    double sceneMs = -1, sceneRefreshMs = -1, sceneSettleMs = 0, refreshSettleMs = 0;
#ifdef NESTSCOPE_BENCH_SCENE
    TopologyScene scene;
    // QGraphicsScene defers part of its work (indexing, change notifications) to the event loop:
    // that is GUI-thread time of the build too, so it is counted here.
    const auto settle = [] {
        for (int i = 0; i < 3; ++i) {
            QCoreApplication::processEvents(QEventLoop::AllEvents);
        }
    };
    sceneMs = timeMs([&] {
        scene.setGraph(graph, *layout);
    });
    sceneSettleMs = timeMs(settle);
    sceneRefreshMs = timeMs([&] {
        scene.setGraph(graph, *layout);
    });
    refreshSettleMs = timeMs(settle);
    sceneMs += sceneSettleMs;
    sceneRefreshMs += refreshSettleMs;
    if (const QString png = stringArg(args, QStringLiteral("--png")); !png.isEmpty()) {
        // The scene as drawn, at most 4000 px on its longer side, to look at.
        const QRectF area = scene.itemsBoundingRect();
        const double scale = std::min(2.0, 4000.0 / std::max(area.width(), area.height()));
        QImage image((area.size() * scale).toSize(), QImage::Format_ARGB32);
        image.fill(Qt::white);
        QPainter painter(&image);
        painter.setRenderHint(QPainter::Antialiasing);
        scene.render(&painter, QRectF(), area);
        painter.end();
        if (image.isNull() || !image.save(png)) {
            std::fprintf(stderr, "could not write %s (%d x %d)\n", qPrintable(png), image.width(), image.height());
        }
    }
#endif

    // 6. The main thread while a layout runs on the worker: ticks every 5 ms, longest gap. The
    //    same ticker with nothing running, for as long, is the baseline: on a loaded machine the
    //    main thread waits for a core now and then whatever the layout does.
    double longestStallMs = 0, backgroundLayoutMs = 0, idleStallMs = 0;
    int ticks = 0;
    const auto measureIdle = [&](double forMs) {
        QElapsedTimer sinceTick;
        QTimer ticker;
        ticker.setTimerType(Qt::PreciseTimer);
        ticker.setInterval(5);
        QObject::connect(&ticker, &QTimer::timeout, [&] {
            idleStallMs = std::max(idleStallMs, double(sinceTick.nsecsElapsed()) / 1e6);
            sinceTick.restart();
        });
        QTimer::singleShot(int(forMs), &app, &QCoreApplication::quit);
        sinceTick.start();
        ticker.start();
        app.exec();
    };
    {
        QElapsedTimer sinceTick, total;
        QTimer ticker;
        ticker.setTimerType(Qt::PreciseTimer);
        ticker.setInterval(5);
        QObject::connect(&ticker, &QTimer::timeout, [&] {
            longestStallMs = std::max(longestStallMs, double(sinceTick.nsecsElapsed()) / 1e6);
            sinceTick.restart();
            ++ticks;
        });
        QFutureWatcher<Result<TopoLayout>> watcher;
        QObject::connect(&watcher, &QFutureWatcher<Result<TopoLayout>>::finished, &app, &QCoreApplication::quit);
        total.start();
        sinceTick.start();
        ticker.start();
        watcher.setFuture(layoutTopologyAsync(graph, sizes, options));
        app.exec();
        backgroundLayoutMs = double(total.nsecsElapsed()) / 1e6;
        ticker.stop();
    }
    measureIdle(backgroundLayoutMs);

    // 7. Baseline: Graphviz's dot on the same graph as DOT text, in the same run.
    const QString dotText = topologyToDot(graph, sizes);
    const QString dotFile = dir + QStringLiteral("/topology.dot");
    {
        QFile f(dotFile);
        if (!f.open(QIODevice::WriteOnly | QIODevice::Truncate)) {
            return 1;
        }
        f.write(dotText.toUtf8());
    }
    double dotMs = -1;
    const QString dotExe = QStandardPaths::findExecutable(QStringLiteral("dot"));
    if (args.contains(QStringLiteral("--no-dot"))) {
        std::printf("(dot -Tsvg skipped: --no-dot)\n");
    } else if (dotExe.isEmpty()) {
        std::printf("(dot -Tsvg skipped: Graphviz's dot is not installed; packaging/install-deps.sh installs it)\n");
    } else {
        QProcess dot;
        dotMs = timeMs([&] {
            dot.start(
                dotExe, { QStringLiteral("-Tsvg"), dotFile, QStringLiteral("-o"), dir + QStringLiteral("/dot.svg") });
            dot.waitForFinished(600'000);
        });
        if (dot.exitStatus() != QProcess::NormalExit || dot.exitCode() != 0) {
            std::printf("dot failed: %s\n", dot.readAllStandardError().constData());
            dotMs = -1;
        }
    }
    double inProcessDotMs = -1;
    if (args.contains(QStringLiteral("--in-process-dot"))) {
        inProcessDotMs = timeMs([&] {
            TopoLayoutOptions full;
            full.mode = TopoLayoutOptions::Mode::Dot;
            (void)layoutTopology(graph, sizes, full);
        });
    }
    if (const QString svg = stringArg(args, QStringLiteral("--svg")); !svg.isEmpty()) {
        writeSvg(svg, graph, *layout);
    }

    const auto verdict = [](bool met) {
        return met ? "met" : "MISSED";
    };
    std::printf(
        "parse    topologyFromSections  %8.1f ms   (%d instances, %d networks, %d interfaces)   target < 200 ms: %s\n",
        parseMs, int(topology.instances.size()), int(topology.networks.size()), int(topology.interfaces.size()),
        verdict(parseMs < 200));
    std::printf("           of which parseLxdInstances %.1f ms, parseIpAddr %.1f ms; QJsonDocument::fromJson alone on "
                "those two sections %.1f ms\n",
        median(instancesRounds), median(ipRounds), median(jsonRounds));
    std::printf("graph    buildTopologyGraph    %8.1f ms   (%d nodes, %d edges, %d problems)\n", graphMs,
        int(graph.nodes.size()), int(graph.edges.size()), int(graph.problems.size()));
    std::printf("layout   layoutTopology        %8.1f ms   (method %s, median of %d; bounds %.0f x %.0f pt)\n",
        layoutMs, qPrintable(layout->method), int(layoutRounds.size()), layout->bounds.width(),
        layout->bounds.height());
#ifdef NESTSCOPE_BENCH_SCENE
    std::printf("sizes    scene.nodeSizes       %8.1f ms   (font metrics for the layout)\n", sizesMs);
    std::printf("scene    scene.setGraph        %8.1f ms   first build, of which %.1f ms in the event loop after it; "
                "%.1f ms (%.1f) for a refresh with the same ids\n",
        sceneMs, sceneSettleMs, sceneRefreshMs, refreshSettleMs);
    const double total = layoutMs + sceneMs;
    std::printf("         layout + scene        %8.1f ms   target < 1500 ms: %s\n", total, verdict(total < 1500));
#else
    (void)sizesMs;
    (void)sceneMs;
    (void)sceneRefreshMs;
    (void)sceneSettleMs;
    (void)refreshSettleMs;
    std::printf("scene    not measured: the widgets (TopologyScene) are not in this build\n");
#endif
    std::printf("worker   layout on the pool    %8.1f ms   main thread's longest stall %.1f ms (%d ticks of 5 ms); "
                "idle, as long: %.1f ms\n",
        backgroundLayoutMs, longestStallMs, ticks, idleStallMs);
    if (dotMs > 0) {
        std::printf("baseline dot -Tsvg (same graph) %7.1f ms   (process, parse, layout, SVG; %s)\n", dotMs,
            qPrintable(dotFile));
        std::printf(
            "         ratio layout / dot    %8.3f     target <= 1: %s\n", layoutMs / dotMs, verdict(layoutMs <= dotMs));
#ifdef NESTSCOPE_BENCH_SCENE
        std::printf("         ratio (layout + scene) / dot %5.3f\n", (layoutMs + sceneMs) / dotMs);
#endif
    }
    if (inProcessDotMs > 0) {
        std::printf("         dot in process (Mode::Dot, every node) %.1f ms; ratio layout / that %.3f\n",
            inProcessDotMs, layoutMs / inProcessDotMs);
    }
    return 0;
}
