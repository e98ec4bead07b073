// Topology discovery: golden tests over the recorded lab fixtures of every scenario, the parsers'
// errors, the framing of the discovery script's output, the script itself on this machine, and
// the JSON form.
#include "common/shellquote.h"
#include "topology/discovery.h"
#include "topology/parsers.h"
#include "topology/problems.h"
#include "topology/topologyjson.h"
#include "transport/localtransport.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QSysInfo>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>
#include <QThreadPool>

#include <memory>
#include <optional>
#include <unistd.h>

using namespace nestscope;
using Family = TopoAddress::Family;

namespace {

const QString kLabData = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/lab");
const QString kGoldenDir = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/topology");

const QStringList kScenarios { QStringLiteral("healthy"), QStringLiteral("ipv6-only"), QStringLiteral("forward-drop"),
    QStringLiteral("nat-off"), QStringLiteral("ip-forward-off"), QStringLiteral("dns-down") };

QByteArray readFile(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return {};
    }
    return f.readAll();
}

/// The recorded fixture of a scenario as the sections the discovery script would have printed:
/// each file is one command's stdout, commands.txt has its exit status.
DiscoverySections loadScenario(const QString &scenario, QString *problem)
{
    const QString dir = kLabData + QLatin1Char('/') + scenario;
    QMap<QString, int> exitCodes;
    for (const QByteArray &line : readFile(dir + QStringLiteral("/commands.txt")).split('\n')) {
        if (line.startsWith('#') || line.isEmpty()) {
            continue;
        }
        const QList<QByteArray> cols = line.split('\t');
        if (cols.size() >= 3) {
            exitCodes.insert(QString::fromUtf8(cols.at(0)), cols.at(2).toInt());
        }
    }
    QList<std::pair<QString, QString>> files { { QStringLiteral("runner/hostname.txt"), QStringLiteral("hostname") },
        { QStringLiteral("runner/uname-r.txt"), QStringLiteral("uname-r") },
        { QStringLiteral("runner/resolv.conf"), QStringLiteral("resolv.conf") },
        { QStringLiteral("runner/ip-d-addr.json"), QStringLiteral("ip-addr") },
        { QStringLiteral("runner/ip-route-4.json"), QStringLiteral("ip-route-4") },
        { QStringLiteral("runner/ip-route-6.json"), QStringLiteral("ip-route-6") },
        { QStringLiteral("runner/nft-ruleset.json"), QStringLiteral("nft") },
        { QStringLiteral("runner/iptables-save.txt"), QStringLiteral("iptables-save") },
        { QStringLiteral("runner/ip6tables-save.txt"), QStringLiteral("ip6tables-save") },
        { QStringLiteral("runner/iptables-version.txt"), QStringLiteral("iptables-version") },
        { QStringLiteral("lxd/server.json"), QStringLiteral("lxd-server") },
        { QStringLiteral("lxd/networks.json"), QStringLiteral("lxd-networks") },
        { QStringLiteral("lxd/instances.json"), QStringLiteral("lxd-instances") } };
    for (const char *s : { "net.ipv4.ip_forward", "net.ipv6.conf.all.disable_ipv6", "net.ipv6.conf.all.forwarding",
             "net.bridge.bridge-nf-call-iptables" }) {
        files.append({ QStringLiteral("runner/sysctl-%1.txt").arg(QLatin1String(s)),
            QStringLiteral("sysctl:") + QLatin1String(s) });
    }
    for (const QString &leases :
        QDir(dir + QStringLiteral("/lxd")).entryList({ QStringLiteral("leases-*.json") }, QDir::Files)) {
        files.append({ QStringLiteral("lxd/") + leases, QStringLiteral("lxd-leases:") + leases.mid(7).chopped(5) });
    }
    DiscoverySections sections;
    for (const auto &[file, name] : files) {
        if (!exitCodes.contains(file) || !QFile::exists(dir + QLatin1Char('/') + file)) {
            *problem = QStringLiteral("%1: no %2 (re-record with tests/lab/record)").arg(scenario, file);
            return {};
        }
        DiscoverySection s;
        s.name = name;
        s.exitCode = exitCodes.value(file);
        s.output = readFile(dir + QLatin1Char('/') + file);
        sections.insert(name, s);
    }
    DiscoverySection client; // the recorder ran lxc
    client.name = QStringLiteral("lxd-client");
    client.output = "lxc";
    sections.insert(client.name, client);
    return sections;
}

/// The script's framing, built by hand for the split tests.
QByteArray frame(
    const QByteArray &boundary, const QString &name, int exitCode, const QByteArray &out, const QByteArray &err = {})
{
    return "\n" + boundary + " section " + name.toUtf8() + " exit " + QByteArray::number(exitCode) + " stdout "
        + QByteArray::number(out.size()) + " stderr " + QByteArray::number(err.size()) + "\n" + out + err;
}

/// A transport whose one job ends when the test says so, with the output the test chose: the
/// discovery's parse can then be caught while it runs, whatever the machine's speed.
class CannedJob final : public CommandJob {
public:
    using CommandJob::CommandJob;
    void cancel() override { end(CommandOutcome::Cancelled); }
    void end(CommandOutcome outcome, const QByteArray &stdOut = {})
    {
        if (m_done) {
            return;
        }
        m_done = true;
        CommandResult r;
        r.outcome = outcome;
        r.exitCode = outcome == CommandOutcome::Exited ? 0 : -1;
        r.stdOut = stdOut;
        Q_EMIT finished(r);
        deleteLater();
    }

private:
    bool m_done = false;
};

class CannedTransport final : public Transport {
public:
    CannedTransport()
        : Transport(nullptr)
    {
    }
    QString description() const override { return QStringLiteral("canned"); }
    CommandJob *start(const CommandRequest &) override
    {
        job = new CannedJob(this);
        return job;
    }
    QPointer<CannedJob> job;
};

/// A scenario's sections framed as the script prints them.
QByteArray framedScenario(const DiscoverySections &sections)
{
    const QByteArray b = "nsd-0123456789abcdef";
    QByteArray out = "nestscope-discovery 1 " + b + "\n";
    for (const DiscoverySection &s : sections) {
        out += frame(b, s.name, s.exitCode, s.output, s.errors);
    }
    return out + "\n" + b + " end\n";
}

QStringList globalAddresses(const TopoInstance *inst, Family family)
{
    QStringList out;
    for (const TopoNic &nic : inst->nics) {
        for (const TopoAddress &a : nic.addresses) {
            if (a.family == family && a.isGlobal()) {
                out << a.address;
            }
        }
    }
    return out;
}

/// "id@node" of each problem of the severity, sorted.
QStringList markers(const QList<TopoProblem> &problems, TopoProblem::Severity severity)
{
    QStringList out;
    for (const TopoProblem &p : problems) {
        if (p.severity == severity) {
            out << p.id + QLatin1Char('@') + p.nodeId;
        }
    }
    out.sort();
    return out;
}

/// The first place two JSON values differ, as a path, for a readable golden failure.
QString firstDifference(const QJsonValue &a, const QJsonValue &b, const QString &path)
{
    if (a.type() != b.type()) {
        return path + QStringLiteral(" (type)");
    }
    if (a.isObject()) {
        const QJsonObject oa = a.toObject();
        const QJsonObject ob = b.toObject();
        QStringList keys = oa.keys() + ob.keys();
        keys.removeDuplicates();
        for (const QString &k : keys) {
            const QString d = firstDifference(oa.value(k), ob.value(k), path + QLatin1Char('.') + k);
            if (!d.isEmpty()) {
                return d;
            }
        }
        return {};
    }
    if (a.isArray()) {
        const QJsonArray aa = a.toArray();
        const QJsonArray ab = b.toArray();
        for (qsizetype i = 0; i < std::max(aa.size(), ab.size()); ++i) {
            const QString d = firstDifference(aa.at(i), ab.at(i), QStringLiteral("%1[%2]").arg(path).arg(i));
            if (!d.isEmpty()) {
                return d;
            }
        }
        return {};
    }
    if (a != b) {
        return QStringLiteral("%1: %2 vs %3")
            .arg(path, a.toVariant().toString().left(120), b.toVariant().toString().left(120));
    }
    return {};
}

} // namespace

class TestTopology : public QObject {
    Q_OBJECT

private:
    Topology scenarioTopology(const QString &scenario)
    {
        QString problem;
        const DiscoverySections sections = loadScenario(scenario, &problem);
        [&] {
            QVERIFY2(problem.isEmpty(), qPrintable(problem));
        }();
        return topologyFromSections(sections);
    }

    static void scenarioColumn()
    {
        QTest::addColumn<QString>("scenario");
        for (const QString &s : kScenarios) {
            QTest::newRow(qPrintable(s)) << s;
        }
    }

    /// What finished() carried, and how often it came.
    struct Outcome {
        std::optional<Result<Topology>> result;
        int count = 0;
    };
    static std::shared_ptr<Outcome> watch(TopologyDiscovery &discovery)
    {
        auto outcome = std::make_shared<Outcome>();
        connect(&discovery, &TopologyDiscovery::finished, &discovery, [outcome](const Result<Topology> &r) {
            outcome->result = r;
            ++outcome->count;
        });
        return outcome;
    }

private Q_SLOTS:
    // ---- golden tests over every lab scenario --------------------------------------------

    void scenarioFacts_data() { scenarioColumn(); }
    void scenarioFacts()
    {
        QFETCH(QString, scenario);
        const Topology t = scenarioTopology(scenario);
        if (QTest::currentTestFailed()) {
            return;
        }
        QVERIFY2(t.warnings.isEmpty(),
            qPrintable(t.warnings.isEmpty()
                    ? QString()
                    : t.warnings.first().source + QStringLiteral(": ") + t.warnings.first().message));
        QCOMPARE(t.hostname, QStringLiteral("lab-runner"));
        QVERIFY(!t.kernel.isEmpty());
        QVERIFY(t.resolvConf.contains(QLatin1String("nameserver")));

        // the runner's interfaces and routes
        const TopoInterface *bridge = t.interface(QStringLiteral("lxdbr0"));
        QVERIFY(bridge);
        QCOMPARE(bridge->kind, QStringLiteral("bridge"));
        QCOMPARE(bridge->mtu, 1500);
        QCOMPARE(bridge->state, QStringLiteral("UP"));
        const TopoInterface *uplink = t.interface(QStringLiteral("uplink0"));
        QVERIFY(uplink);
        QCOMPARE(uplink->kind, QStringLiteral("veth"));
        QVERIFY(uplink->hasGlobal(Family::IPv4));
        QCOMPARE(uplink->addressesOf(Family::IPv4).value(0).cidr(), QStringLiteral("10.77.0.2/24"));
        QVERIFY(t.interface(QStringLiteral("lo")));
        const auto v4default = t.defaultRoute(Family::IPv4);
        QVERIFY(v4default);
        QCOMPARE(v4default->device, QStringLiteral("uplink0"));
        QCOMPARE(v4default->gateway, QStringLiteral("10.77.0.1"));
        const auto v6default = t.defaultRoute(Family::IPv6);
        if (scenario == QLatin1String("ipv6-only")) {
            QVERIFY2(!v6default, "the ipv6-only runner has no IPv6 route out");
        } else {
            QVERIFY(v6default);
            QCOMPARE(v6default->gateway, QStringLiteral("fd42:77::1"));
        }
        QVERIFY(std::any_of(t.routes.cbegin(), t.routes.cend(), [](const TopoRoute &r) {
            return r.table == QLatin1String("local") && r.type == QLatin1String("local");
        }));

        // sysctls
        const bool forwardOff = scenario == QLatin1String("ip-forward-off");
        QCOMPARE(
            t.sysctl(QStringLiteral("net.ipv4.ip_forward")), forwardOff ? QStringLiteral("0") : QStringLiteral("1"));
        QCOMPARE(t.sysctl(QStringLiteral("net.ipv6.conf.all.forwarding")),
            forwardOff ? QStringLiteral("0") : QStringLiteral("1"));
        QCOMPARE(t.sysctl(QStringLiteral("net.ipv6.conf.all.disable_ipv6")), QStringLiteral("0"));
        QCOMPARE(t.sysctl(QStringLiteral("net.bridge.bridge-nf-call-iptables")), QStringLiteral("1"));

        // the firewall
        const bool drop = scenario == QLatin1String("forward-drop");
        QCOMPARE(t.firewall.forwardPolicyV4, drop ? QStringLiteral("DROP") : QStringLiteral("ACCEPT"));
        QCOMPARE(t.firewall.forwardPolicyV6, drop ? QStringLiteral("DROP") : QStringLiteral("ACCEPT"));
        QCOMPARE(t.firewall.backend, drop ? QStringLiteral("iptables-nft") : QStringLiteral("nftables"));
        QCOMPARE(t.firewall.lxdTables, QStringList { QStringLiteral("inet lxd") });
        QVERIFY(!t.firewall.hasDockerUserChain);
        QVERIFY(!t.firewall.rawNftJson.isEmpty());
        const int masquerades
            = scenario == QLatin1String("nat-off") ? 0 : (scenario == QLatin1String("ipv6-only") ? 1 : 2);
        QCOMPARE(t.firewall.masqueradeRules.size(), masquerades);
        if (masquerades == 2) {
            QCOMPARE(t.firewall.masqueradeRules.first(),
                QStringLiteral(
                    "nft inet lxd pstrt.lxdbr0: ip saddr 10.77.10.0/24 ip daddr != 10.77.10.0/24 masquerade"));
        }

        // LXD and its bridge
        QCOMPARE(t.lxdClient, QStringLiteral("lxc"));
        QVERIFY(t.lxdServerVersion.startsWith(QLatin1String("5.0")));
        QCOMPARE(t.lxdFirewallDriver, QStringLiteral("nftables"));
        const TopoNetwork *net = t.network(QStringLiteral("lxdbr0"));
        QVERIFY(net);
        QVERIFY(net->managed);
        QCOMPARE(net->type, QStringLiteral("bridge"));
        QCOMPARE(net->ipv4Address(),
            scenario == QLatin1String("ipv6-only") ? QStringLiteral("none") : QStringLiteral("10.77.10.1/24"));
        QCOMPARE(net->ipv6Address(), QStringLiteral("fd42:77:10::1/64"));
        const bool natOff = scenario == QLatin1String("nat-off");
        QCOMPARE(net->ipv4Nat(), !natOff);
        QCOMPARE(net->ipv6Nat(), !natOff);
        QCOMPARE(net->mtu(), 0);
        QVERIFY(net->usedBy.contains(QStringLiteral("/1.0/instances/vm1")));
        QVERIFY(net->rawJson.contains(QLatin1String("ipv4.address")));
        QVERIFY(t.network(QStringLiteral("uplink0")));
        QVERIFY(!t.network(QStringLiteral("uplink0"))->managed);

        // the instances, their NICs and addresses (as recorded; re-recording changes them)
        QCOMPARE(t.instances.size(), 2);
        const QMap<QString, std::pair<QString, QString>> expected {
            { QStringLiteral("vm1"),
                { QStringLiteral("10.77.10.174"), QStringLiteral("fd42:77:10:0:216:3eff:fe4b:7970") } },
            { QStringLiteral("vm2"),
                { QStringLiteral("10.77.10.155"), QStringLiteral("fd42:77:10:0:216:3eff:fe35:908e") } },
        };
        for (auto it = expected.cbegin(); it != expected.cend(); ++it) {
            const TopoInstance *inst = t.instance(it.key());
            QVERIFY(inst);
            QCOMPARE(inst->type, QStringLiteral("container"));
            QVERIFY(inst->isRunning());
            QCOMPARE(inst->nics.size(), 1);
            const TopoNic &nic = inst->nics.first();
            QCOMPARE(nic.device, QStringLiteral("eth0"));
            QCOMPARE(nic.network, QStringLiteral("lxdbr0"));
            QCOMPARE(nic.mtu, 1500);
            QCOMPARE(nic.state, QStringLiteral("up"));
            QVERIFY(nic.hwaddr.startsWith(QLatin1String("00:16:3e:")));
            const TopoInterface *veth = t.interface(nic.hostName);
            QVERIFY2(veth, qPrintable(nic.hostName));
            QCOMPARE(veth->master, QStringLiteral("lxdbr0"));
            QCOMPARE(veth->kind, QStringLiteral("veth"));
            const QStringList v4 = globalAddresses(inst, Family::IPv4);
            QCOMPARE(v4, scenario == QLatin1String("ipv6-only") ? QStringList() : QStringList { it.value().first });
            QCOMPARE(globalAddresses(inst, Family::IPv6), QStringList { it.value().second });
            QVERIFY(!inst->rawJson.contains(QLatin1String("\"counters\""))); // the state stays out
            QVERIFY(inst->rawJson.contains(QLatin1String("expanded_devices")));
            // the leases agree with the instance's state
            for (const QString &address : v4 + globalAddresses(inst, Family::IPv6)) {
                QVERIFY2(std::any_of(t.leases.cbegin(), t.leases.cend(),
                             [&](const TopoLease &l) {
                                 return l.hostname == inst->name && l.address == address
                                     && l.network == QLatin1String("lxdbr0") && l.hwaddr == nic.hwaddr;
                             }),
                    qPrintable(address));
            }
        }
    }

    void scenarioProblems_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("errors");
        QTest::newRow("healthy") << QStringLiteral("healthy") << QStringList();
        QTest::newRow("dns-down") << QStringLiteral("dns-down") << QStringList();
        QTest::newRow("forward-drop") << QStringLiteral("forward-drop")
                                      << QStringList { QStringLiteral("forward-drop@runner"),
                                             QStringLiteral("forward-drop@runner") };
        QTest::newRow("ipv6-only") << QStringLiteral("ipv6-only")
                                   << QStringList { QStringLiteral("no-ipv4@inst:vm1"),
                                          QStringLiteral("no-ipv4@inst:vm2"),
                                          QStringLiteral("ipv6-uplink-missing@net:lxdbr0"),
                                          QStringLiteral("no-ipv4@net:lxdbr0") };
        QTest::newRow("nat-off") << QStringLiteral(
            "nat-off") << QStringList { QStringLiteral("nat-off@net:lxdbr0"), QStringLiteral("nat-off@net:lxdbr0") };
        QTest::newRow("ip-forward-off") << QStringLiteral("ip-forward-off")
                                        << QStringList { QStringLiteral("ip-forward-off@runner"),
                                               QStringLiteral("ip-forward-off@runner") };
    }
    void scenarioProblems()
    {
        QFETCH(QString, scenario);
        QFETCH(QStringList, errors);
        const QList<TopoProblem> problems = findProblems(scenarioTopology(scenario));
        errors.sort();
        QCOMPARE(markers(problems, TopoProblem::Severity::Error), errors);
        QCOMPARE(markers(problems, TopoProblem::Severity::Warning), QStringList());
        for (const TopoProblem &p : problems) {
            QVERIFY(!p.title.isEmpty());
            QVERIFY2(p.why.contains(QLatin1String("Fix")), qPrintable(p.why));
        }
        if (scenario == QLatin1String("forward-drop")) {
            QVERIFY(problems.first().title.contains(QLatin1String("IPv4")));
            QVERIFY(problems.last().title.contains(QLatin1String("IPv6")));
            QVERIFY(problems.first().why.contains(QLatin1String(":FORWARD DROP")));
            QVERIFY(problems.first().why.contains(QLatin1String("iptables -I DOCKER-USER -i lxdbr0 -j ACCEPT")));
            QVERIFY(problems.last().why.contains(QLatin1String("ip6tables")));
        } else if (scenario == QLatin1String("nat-off")) {
            QVERIFY(problems.first().why.contains(QLatin1String("lxc network set lxdbr0 ipv4.nat true")));
            QVERIFY(problems.last().why.contains(QLatin1String("lxc network set lxdbr0 ipv6.nat true")));
        } else if (scenario == QLatin1String("ip-forward-off")) {
            QVERIFY(problems.first().why.contains(QLatin1String("sysctl -w net.ipv4.ip_forward=1")));
        } else if (scenario == QLatin1String("ipv6-only")) {
            QVERIFY(problems.last().why.contains(QLatin1String("ipv4.address auto")));
        }
    }

    void goldenJson_data() { scenarioColumn(); }
    void goldenJson()
    {
        QFETCH(QString, scenario);
        const Topology t = scenarioTopology(scenario);
        const QByteArray actual = writeTopologyJson(t);
        const QString path = kGoldenDir + QLatin1Char('/') + scenario + QStringLiteral(".json");
        if (qEnvironmentVariable("NESTSCOPE_UPDATE_GOLDEN") == QLatin1String("1")) {
            QDir().mkpath(kGoldenDir);
            QFile f(path);
            QVERIFY(f.open(QIODevice::WriteOnly | QIODevice::Truncate));
            f.write(actual);
            qInfo("wrote %s", qPrintable(path));
        }
        const QByteArray golden = readFile(path);
        QVERIFY2(
            !golden.isEmpty(), qPrintable(path + QStringLiteral(" is missing; NESTSCOPE_UPDATE_GOLDEN=1 writes it")));
        const QString diff = firstDifference(
            QJsonDocument::fromJson(golden).object(), QJsonDocument::fromJson(actual).object(), QStringLiteral("$"));
        QVERIFY2(diff.isEmpty(),
            qPrintable(QStringLiteral("%1 differs at %2 (NESTSCOPE_UPDATE_GOLDEN=1 rewrites it)").arg(path, diff)));
        // the golden file reads back into the same topology
        const auto back = readTopologyJson(golden);
        QVERIFY2(back.ok(), back.ok() ? "" : qPrintable(back.error().toString()));
        QCOMPARE(writeTopologyJson(back.value()), actual);
    }

    // ---- JSON ----------------------------------------------------------------------------

    void jsonRoundTrip()
    {
        Topology t = scenarioTopology(QStringLiteral("ipv6-only"));
        t.discoveredAt = QDateTime(QDate(2026, 11, 28), QTime(21, 58, 21, 123), Qt::UTC);
        t.transport = QStringLiteral("ssh://nestscope-lab");
        t.warnings << TopoWarning { QStringLiteral("nft"), QStringLiteral("`nft -j list ruleset` needs root") };
        t.interfaces.first().addresses.first().tentative = true;
        t.firewall.forwardAcceptedV4 << QStringLiteral("lxdbr0");
        t.firewall.hasDockerUserChain = true;
        TopoRule rule;
        rule.family = Family::IPv6;
        rule.priority = 100;
        rule.from = QStringLiteral("fd42:77:10::/64");
        rule.iif = QStringLiteral("lxdbr0");
        rule.fwmark = QStringLiteral("0x1/0xff");
        rule.invert = true;
        rule.action = QStringLiteral("prohibit");
        t.rules << rule;
        t.proxiesKnown = true;
        t.proxies << TopoProxy { QStringLiteral("environment"), QStringLiteral("https_proxy"),
            QStringLiteral("http://***@proxy:3128") };
        t.instances.first().environment.insert(QStringLiteral("http_proxy"), QStringLiteral("http://proxy:3128"));
        const QByteArray json = writeTopologyJson(t);
        const auto back = readTopologyJson(json);
        QVERIFY2(back.ok(), back.ok() ? "" : qPrintable(back.error().toString()));
        QCOMPARE(back->discoveredAt, t.discoveredAt);
        QCOMPARE(back->transport, t.transport);
        QCOMPARE(back->warnings.size(), 1);
        QVERIFY(back->interfaces.first().addresses.first().tentative);
        QCOMPARE(back->firewall.forwardAcceptedV4, QStringList { QStringLiteral("lxdbr0") });
        QCOMPARE(back->rules.size(), 1);
        QCOMPARE(back->rules.first().line(), rule.line());
        QCOMPARE(back->rules.first().family, Family::IPv6);
        QVERIFY(back->proxiesKnown);
        QCOMPARE(back->proxies.size(), 1);
        QCOMPARE(back->proxies.first().line(), QStringLiteral("https_proxy=http://***@proxy:3128 (environment)"));
        QCOMPARE(back->instances.first().environment, t.instances.first().environment);
        QCOMPARE(back->instance(QStringLiteral("vm1"))->nics.first().addresses.size(),
            t.instance(QStringLiteral("vm1"))->nics.first().addresses.size());
        QCOMPARE(writeTopologyJson(back.value()), json);
        // an empty topology round-trips too
        QCOMPARE(writeTopologyJson(readTopologyJson(writeTopologyJson(Topology {})).value()),
            writeTopologyJson(Topology {}));
        const QJsonArray problems = problemsToJson(findProblems(t));
        QVERIFY(!problems.isEmpty());
        QCOMPARE(problems.first().toObject().value(QStringLiteral("severity")).toString(), QStringLiteral("error"));
    }

    void jsonErrors_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<QString>("message");
        QTest::newRow("garbage") << QByteArray("\x01\x02not json") << QStringLiteral("not valid JSON");
        QTest::newRow("array") << QByteArray("[]") << QStringLiteral("expected a topology object");
        QTest::newRow("other document") << QByteArray("{\"format\": \"nestscope-run\"}")
                                        << QStringLiteral("not a Nestscope topology");
        QTest::newRow("future version") << QByteArray("{\"format\": \"nestscope-topology\", \"version\": 2}")
                                        << QStringLiteral("unsupported topology JSON version");
        QTest::newRow("wrong type") << QByteArray("{\"format\": \"nestscope-topology\", \"version\": 1, \"runner\": "
                                                  "{\"interfaces\": [{\"name\": \"eth0\", \"mtu\": \"big\"}]}}")
                                    << QStringLiteral("$.runner.interfaces[0].mtu: expected an integer");
        // far outside qint64: rejected by range, never converted (that would be undefined behaviour)
        QTest::newRow("huge number") << QByteArray("{\"format\": \"nestscope-topology\", \"version\": 1, \"runner\": "
                                                   "{\"interfaces\": [{\"name\": \"eth0\", \"mtu\": 1e300}]}}")
                                     << QStringLiteral("$.runner.interfaces[0].mtu: expected an integer");
        QTest::newRow("wrong family") << QByteArray("{\"format\": \"nestscope-topology\", \"version\": 1, \"runner\": "
                                                    "{\"routes\": [{\"family\": \"ipx\"}]}}")
                                      << QStringLiteral("$.runner.routes[0].family");
        QTest::newRow("bad date") << QByteArray(
            "{\"format\": \"nestscope-topology\", \"version\": 1, \"discoveredAt\": "
            "\"yesterday\"}") << QStringLiteral("$.discoveredAt");
    }
    void jsonErrors()
    {
        QFETCH(QByteArray, json);
        QFETCH(QString, message);
        const auto r = readTopologyJson(json);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().toString().contains(message), qPrintable(r.error().toString()));
    }

    // ---- parsers -------------------------------------------------------------------------

    void parserErrors_data()
    {
        QTest::addColumn<QString>("parser");
        QTest::addColumn<QByteArray>("input");
        QTest::addColumn<QString>("message");
        const QByteArray instances = readFile(kLabData + QStringLiteral("/healthy/lxd/instances.json"));
        QTest::newRow("instances garbage")
            << "instances" << QByteArray("lxc: command not found") << QStringLiteral("not valid JSON");
        QTest::newRow("instances truncated")
            << "instances" << instances.left(instances.size() / 2) << QStringLiteral("not valid JSON");
        QTest::newRow("instances object") << "instances" << QByteArray("{\"error\": \"not found\"}")
                                          << QStringLiteral("expected an array at the top, got an object");
        QTest::newRow("instances urls") << "instances" << QByteArray("[\"/1.0/instances/vm1\"]")
                                        << QStringLiteral("got a URL");
        QTest::newRow("instance name type") << "instances" << QByteArray("[{\"name\": 5}]")
                                            << QStringLiteral("at [0].name: expected a string, got a number");
        QTest::newRow("instance without name") << "instances" << QByteArray("[{\"status\": \"Running\"}]")
                                               << QStringLiteral("at [0]: expected an instance with a name");
        QTest::newRow("instance state type")
            << "instances" << QByteArray("[{\"name\": \"vm1\", \"state\": {\"network\": []}}]")
            << QStringLiteral("at [0].state.network: expected an object");
        QTest::newRow("instance addresses type")
            << "instances"
            << QByteArray("[{\"name\": \"vm1\", \"expanded_devices\": {\"eth0\": {\"type\": \"nic\", \"network\": "
                          "\"lxdbr0\"}}, \"state\": {\"network\": {\"eth0\": {\"addresses\": 7}}}}]")
            << QStringLiteral("at [0].state.network.eth0.addresses: expected an array, got a number");
        QTest::newRow("networks config type") << "networks" << QByteArray("[{\"name\": \"lxdbr0\", \"config\": [1]}]")
                                              << QStringLiteral("at [0].config: expected an object, got an array");
        QTest::newRow("networks managed type")
            << "networks" << QByteArray("[{\"name\": \"lxdbr0\", \"managed\": \"yes\"}]")
            << QStringLiteral("at [0].managed: expected true or false");
        QTest::newRow("networks scalar") << "networks" << QByteArray("42") << QStringLiteral("expected an array");
        QTest::newRow("server array") << "server" << QByteArray("[]") << QStringLiteral("expected an object");
        QTest::newRow("server other object")
            << "server" << QByteArray("{\"foo\": 1}") << QStringLiteral("expected the server object");
        QTest::newRow("server env type") << "server" << QByteArray("{\"api_version\": \"1.0\", \"environment\": \"x\"}")
                                         << QStringLiteral("at .environment: expected an object");
        QTest::newRow("leases without address") << "leases" << QByteArray("[{\"hostname\": \"vm1\"}]")
                                                << QStringLiteral("expected a lease with an address");
        QTest::newRow("ip addr garbage") << "ip-addr" << QByteArray("1: lo: <LOOPBACK,UP> mtu 65536")
                                         << QStringLiteral("not valid JSON");
        QTest::newRow("ip addr mtu type") << "ip-addr" << QByteArray("[{\"ifname\": \"eth0\", \"mtu\": \"big\"}]")
                                          << QStringLiteral("at [0].mtu: expected a number, got a string");
        QTest::newRow("ip addr addr_info type")
            << "ip-addr" << QByteArray("[{\"ifname\": \"eth0\", \"addr_info\": {}}]")
            << QStringLiteral("at [0].addr_info: expected an array");
        QTest::newRow("ip addr no name") << "ip-addr" << QByteArray("[{\"mtu\": 1500}]")
                                         << QStringLiteral("expected an interface with an ifname");
        QTest::newRow("ip route no dst") << "ip-route" << QByteArray("[{\"dev\": \"eth0\"}]")
                                         << QStringLiteral("expected a route with a dst");
        QTest::newRow("ip route entry type") << "ip-route" << QByteArray("[\"default via 10.0.0.1\"]")
                                             << QStringLiteral("at [0]: expected an object, got a string");
        QTest::newRow("nft not object") << "nft" << QByteArray("[]") << QStringLiteral("expected an object");
        QTest::newRow("nft items type") << "nft" << QByteArray("{\"nftables\": 3}")
                                        << QStringLiteral("at nftables: expected an array, got a number");
        QTest::newRow("nft chain type") << "nft" << QByteArray("{\"nftables\": [{\"chain\": {\"hook\": 1}}]}")
                                        << QStringLiteral("at nftables[0].chain.hook: expected a string");
        QTest::newRow("nft truncated") << "nft" << QByteArray("{\"nftables\": [{\"table\": {\"family\": \"in")
                                       << QStringLiteral("not valid JSON");
        QTest::newRow("iptables garbage")
            << "iptables" << QByteArray("hello world\n") << QStringLiteral("iptables-save:1:1: expected a table");
        QTest::newRow("iptables bad chain") << "iptables" << QByteArray("*filter\n:FORWARD\nCOMMIT\n")
                                            << QStringLiteral("iptables-save:2:1: expected a chain line");
        QTest::newRow("iptables binary") << "iptables" << QByteArray("*filter\n\0\x01\x02\n", 12)
                                         << QStringLiteral("iptables-save:2: binary data");
        QTest::newRow("iptables stray line") << "iptables" << QByteArray("*nat\nfoo bar\nCOMMIT\n")
                                             << QStringLiteral("iptables-save:2:1: expected a chain");
        QTest::newRow("iptables version") << "iptables-version" << QByteArray("sh: iptables: not found")
                                          << QStringLiteral("expected iptables' version line");
    }
    void parserErrors()
    {
        QFETCH(QString, parser);
        QFETCH(QByteArray, input);
        QFETCH(QString, message);
        std::optional<Error> error;
        auto check = [&](const auto &result) {
            if (!result.ok()) {
                error = result.error();
            }
        };
        if (parser == QLatin1String("instances")) {
            check(topoparse::parseLxdInstances(input));
        } else if (parser == QLatin1String("networks")) {
            check(topoparse::parseLxdNetworks(input));
        } else if (parser == QLatin1String("server")) {
            check(topoparse::parseLxdServer(input));
        } else if (parser == QLatin1String("leases")) {
            check(topoparse::parseLxdLeases(input, QStringLiteral("lxdbr0")));
        } else if (parser == QLatin1String("ip-addr")) {
            check(topoparse::parseIpAddr(input));
        } else if (parser == QLatin1String("ip-route")) {
            check(topoparse::parseIpRoutes(input, Family::IPv4));
        } else if (parser == QLatin1String("nft")) {
            check(topoparse::parseNftRuleset(input));
        } else if (parser == QLatin1String("iptables")) {
            check(topoparse::parseIptablesSave(input, Family::IPv4));
        } else if (parser == QLatin1String("iptables-version")) {
            check(topoparse::parseIptablesVariant(input));
        } else {
            QFAIL("unknown parser");
        }
        QVERIFY2(error, "the parser accepted it");
        QVERIFY2(error->toString().contains(message), qPrintable(error->toString()));
    }

    void jsonSyntaxErrorsHaveLineAndColumn()
    {
        const auto r = topoparse::parseLxdNetworks("[\n  {\"name\": \"lxdbr0\",\n   \"managed\": tru }\n]");
        QVERIFY(!r.ok());
        QCOMPARE(r.error().line, 3);
        QVERIFY(r.error().column > 1);
        QCOMPARE(r.error().file, QStringLiteral("lxc query /1.0/networks?recursion=1"));
    }

    // Versions differ: Incus names, a VM whose guest renamed its NIC, fields LXD added later, state
    // left out (recursion=1), numbers sent as strings. None of that is an error.
    void parsersTolerateVersions()
    {
        const QJsonObject vm { { QStringLiteral("name"), QStringLiteral("vm3") },
            { QStringLiteral("type"), QStringLiteral("virtual-machine") },
            { QStringLiteral("status"), QStringLiteral("Running") },
            { QStringLiteral("project"), QStringLiteral("default") },
            { QStringLiteral("some_future_field"), QJsonArray { 1, 2 } },
            { QStringLiteral("expanded_config"),
                QJsonObject { { QStringLiteral("volatile.eth0.hwaddr"), QStringLiteral("00:16:3e:aa:bb:cc") },
                    { QStringLiteral("volatile.eth0.host_name"), QStringLiteral("tap1234") } } },
            { QStringLiteral("expanded_devices"),
                QJsonObject { { QStringLiteral("eth0"),
                                  QJsonObject { { QStringLiteral("type"), QStringLiteral("nic") },
                                      { QStringLiteral("nictype"), QStringLiteral("bridged") },
                                      { QStringLiteral("parent"), QStringLiteral("incusbr0") } } },
                    { QStringLiteral("root"), QJsonObject { { QStringLiteral("type"), QStringLiteral("disk") } } } } },
            { QStringLiteral("state"),
                QJsonObject { { QStringLiteral("network"),
                    QJsonObject { { QStringLiteral("enp5s0"),
                        QJsonObject { { QStringLiteral("hwaddr"), QStringLiteral("00:16:3E:AA:BB:CC") },
                            { QStringLiteral("mtu"), 1450 }, { QStringLiteral("state"), QStringLiteral("up") },
                            { QStringLiteral("addresses"),
                                QJsonArray { QJsonObject { { QStringLiteral("family"), QStringLiteral("inet") },
                                    { QStringLiteral("address"), QStringLiteral("10.1.2.3") },
                                    { QStringLiteral("netmask"), QStringLiteral("24") },
                                    { QStringLiteral("scope"), QStringLiteral("global") } } } } } } } } } } };
        const QJsonObject stopped { { QStringLiteral("name"), QStringLiteral("c1") },
            { QStringLiteral("status"), QStringLiteral("Stopped") }, { QStringLiteral("state"), QJsonValue() } };
        const auto parsed = topoparse::parseLxdInstances(QJsonDocument(QJsonArray { vm, stopped }).toJson());
        QVERIFY2(parsed.ok(), parsed.ok() ? "" : qPrintable(parsed.error().toString()));
        QCOMPARE(parsed->size(), 2);
        const TopoNic &nic = parsed->first().nics.value(0);
        QCOMPARE(parsed->first().nics.size(), 1);
        QCOMPARE(nic.network, QStringLiteral("incusbr0"));
        QCOMPARE(nic.nicType, QStringLiteral("bridged"));
        QCOMPARE(nic.hostName, QStringLiteral("tap1234"));
        QCOMPARE(nic.mtu, 1450);
        QCOMPARE(nic.addresses.value(0).cidr(), QStringLiteral("10.1.2.3/24"));
        QVERIFY(nic.hasGlobal(Family::IPv4));
        QVERIFY(parsed->last().nics.isEmpty());

        const auto server = topoparse::parseLxdServer(
            QJsonDocument(QJsonObject { { QStringLiteral("api_version"), QStringLiteral("1.0") },
                              { QStringLiteral("environment"),
                                  QJsonObject { { QStringLiteral("server"), QStringLiteral("incus") },
                                      { QStringLiteral("server_version"), QStringLiteral("6.0.1") },
                                      { QStringLiteral("firewall"), QStringLiteral("nftables") } } } })
                .toJson());
        QVERIFY(server.ok());
        QCOMPARE(server->server, QStringLiteral("incus"));
        QCOMPARE(server->version, QStringLiteral("6.0.1"));

        // `ip` prints numeric tables and protocols, multipath routes without dev, and {} for a vanished link
        const auto routes = topoparse::parseIpRoutes(
            "[{\"dst\": \"default\", \"table\": 100, \"protocol\": 186, \"nexthops\": [{\"gateway\": \"10.0.0.1\", "
            "\"dev\": \"eth0\"}]}, {\"dst\": \"10.0.0.7\", \"dev\": \"eth0\"}]",
            Family::IPv4);
        QVERIFY(routes.ok());
        QCOMPARE(routes->first().table, QStringLiteral("100"));
        QCOMPARE(routes->first().protocol, QStringLiteral("186"));
        QCOMPARE(routes->first().device, QStringLiteral("eth0"));
        QCOMPARE(routes->first().gateway, QStringLiteral("10.0.0.1"));
        QCOMPARE(routes->last().destination, QStringLiteral("10.0.0.7/32"));
        QCOMPARE(routes->last().table, QStringLiteral("main"));
        // `ip -j rule`: prefixes apart from addresses, actions instead of tables, `not`, marks; sorted
        const auto rules = topoparse::parseIpRules(
            "[{\"priority\":32766,\"src\":\"all\",\"table\":\"main\"},{\"priority\":0,\"src\":\"all\","
            "\"table\":\"local\"},{\"priority\":100,\"src\":\"10.77.10.0\",\"srclen\":24,\"table\":\"100\"},"
            "{\"priority\":101,\"src\":\"all\",\"dst\":\"10.9.0.0\",\"dstlen\":16,\"action\":\"blackhole\"},"
            "{\"priority\":102,\"src\":\"all\",\"fwmark\":\"0x1\",\"iif\":\"lo\",\"action\":\"unreachable\"},"
            "{\"priority\":103,\"not\":null,\"src\":\"all\",\"table\":\"200\"},"
            "{\"priority\":104,\"src\":\"10.1.2.3\",\"iif\":\"lxdbr0\",\"table\":7}]",
            Family::IPv4);
        QVERIFY2(rules.ok(), rules.ok() ? "" : qPrintable(rules.error().toString()));
        QCOMPARE(rules->size(), 7);
        QCOMPARE(rules->first().table, QStringLiteral("local"));
        QCOMPARE(rules->last().table, QStringLiteral("main"));
        const TopoRule &bySource = rules->at(1);
        QCOMPARE(bySource.line(), QStringLiteral("100: from 10.77.10.0/24 lookup 100"));
        QVERIFY(bySource.selects(QStringLiteral("10.77.10.51"), QStringLiteral("10.77.100.80"), QString()));
        QVERIFY(!bySource.selects(QStringLiteral("10.77.0.2"), QStringLiteral("10.77.100.80"), QString()));
        QCOMPARE(rules->at(2).line(), QStringLiteral("101: from all to 10.9.0.0/16 blackhole"));
        QVERIFY(rules->at(2).selects(QStringLiteral("10.77.10.51"), QStringLiteral("10.9.3.4"), QString()));
        QVERIFY(!rules->at(2).selects(QStringLiteral("10.77.10.51"), QStringLiteral("10.8.3.4"), QString()));
        QCOMPARE(rules->at(3).line(), QStringLiteral("102: from all fwmark 0x1 iif lo unreachable"));
        QVERIFY(!rules->at(3).selects(QStringLiteral("10.0.0.1"), QStringLiteral("10.0.0.2"), QStringLiteral("lo")));
        QVERIFY(rules->at(4).invert);
        QCOMPARE(rules->at(4).line(), QStringLiteral("103: not from all lookup 200"));
        QCOMPARE(rules->at(5).line(), QStringLiteral("104: from 10.1.2.3/32 iif lxdbr0 lookup 7"));
        QVERIFY(rules->at(5).selects(QStringLiteral("10.1.2.3"), QStringLiteral("8.8.8.8"), QStringLiteral("lxdbr0")));
        QVERIFY(!rules->at(5).selects(QStringLiteral("10.1.2.3"), QStringLiteral("8.8.8.8"), QStringLiteral("eth0")));
        QVERIFY(!topoparse::parseIpRules("[{\"priority\": 5, \"src\": \"all\"}]", Family::IPv4).ok());
        QVERIFY(!topoparse::parseIpRules("{}", Family::IPv4).ok());
        // The proxy settings: the session's, /etc/environment's (quoted), apt's; passwords masked.
        const auto proxies = topoparse::parseProxySettings(
            "environment https_proxy=http://u:secret@proxy.corp:3128\nenvironment no_proxy=localhost,.corp\n"
            "/etc/environment HTTP_PROXY=\"http://proxy.corp:3128/\"\nenvironment http_proxy=\n"
            "apt Acquire::http::Proxy \"http://apt.corp:3142\";\n");
        QVERIFY2(proxies.ok(), proxies.ok() ? "" : qPrintable(proxies.error().toString()));
        QCOMPARE(proxies->size(), 4);
        QCOMPARE(proxies->at(0).value, QStringLiteral("http://***@proxy.corp:3128"));
        QVERIFY(proxies->at(0).isClientVariable());
        QVERIFY(!proxies->at(1).isClientVariable()); // no_proxy
        QCOMPARE(proxies->at(2).line(), QStringLiteral("HTTP_PROXY=http://proxy.corp:3128/ (/etc/environment)"));
        QVERIFY(proxies->at(2).isClientVariable());
        QCOMPARE(proxies->at(3).name, QStringLiteral("Acquire::http::Proxy"));
        QCOMPARE(proxies->at(3).value, QStringLiteral("http://apt.corp:3142"));
        QVERIFY(!proxies->at(3).isClientVariable()); // apt's own: curl in the probes does not read it
        QVERIFY(!topoparse::parseProxySettings("garbage here\n").ok());
        QCOMPARE(maskProxyCredentials(QStringLiteral("socks5://a@b:1080")), QStringLiteral("socks5://***@b:1080"));
        QCOMPARE(maskProxyCredentials(QStringLiteral("http://proxy/a@b")), QStringLiteral("http://proxy/a@b"));
        const auto links = topoparse::parseIpAddr(
            "[{}, {\"ifname\": \"eth0\", \"mtu\": 1500, \"link_type\": \"ether\", \"addr_info\": [{\"family\": "
            "\"inet6\", \"local\": \"2001:db8::5\", \"prefixlen\": 64, \"scope\": \"global\", \"tentative\": true}, "
            "{\"family\": \"packet\"}]}]");
        QVERIFY(links.ok());
        QCOMPARE(links->size(), 1);
        QCOMPARE(links->first().kind, QStringLiteral("ether"));
        QCOMPARE(links->first().addresses.size(), 1);
        QVERIFY(!links->first().hasGlobal(Family::IPv6)); // tentative: not usable yet

        // Docker's rules: DOCKER-USER, FORWARD DROP, a MASQUERADE, an accept for lxdbr0; legacy backend
        const auto docker = topoparse::parseIptablesSave(
            "# Generated by iptables-save v1.8.7 (legacy) on Mon\n*nat\n:POSTROUTING ACCEPT [0:0]\n"
            "-A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE\nCOMMIT\n*filter\n:FORWARD DROP [0:0]\n"
            ":DOCKER-USER - [0:0]\n-A FORWARD -j DOCKER-USER\n-A DOCKER-USER -i lxdbr0 -j ACCEPT\n"
            "-A DOCKER-USER -j RETURN\nCOMMIT\n",
            Family::IPv4);
        QVERIFY2(docker.ok(), docker.ok() ? "" : qPrintable(docker.error().toString()));
        QCOMPARE(docker->variant, QStringLiteral("legacy"));
        QCOMPARE(docker->forwardPolicy, QStringLiteral("DROP"));
        QVERIFY(docker->hasDockerUserChain);
        QCOMPARE(docker->forwardAcceptedInterfaces, QStringList { QStringLiteral("lxdbr0") });
        QCOMPARE(docker->masqueradeRules,
            QStringList {
                QStringLiteral("iptables -t nat -A POSTROUTING -s 172.17.0.0/16 ! -o docker0 -j MASQUERADE") });
        QCOMPARE(topoparse::parseIptablesVariant("iptables v1.8.9 (nf_tables)\n").value(), QStringLiteral("nf_tables"));
        QCOMPARE(topoparse::parseIptablesVariant("iptables v1.6.1\n").value(), QStringLiteral("legacy"));
    }

    // ---- sections: framing, warnings ------------------------------------------------------

    void splitFramedOutput()
    {
        const QByteArray b = "nsd-0123456789abcdef";
        const QByteArray binary("\x00\xff\n\x01 section fake exit 0 stdout 1 stderr 1\n", 44);
        const QByteArray out = "motd line from a login shell\nnestscope-discovery 1 " + b + "\n"
            + frame(b, QStringLiteral("hostname"), 0, "runner-3") // no trailing newline
            + frame(b, QStringLiteral("blob"), 0, binary, "warn\n")
            + frame(b, QStringLiteral("nft"), 1, {}, "Operation not permitted (you must be root)\n")
            + frame(b, QStringLiteral("empty"), 0, {}) + "\n" + b + " end\n";
        const auto sections = splitDiscoveryOutput(out);
        QVERIFY2(sections.ok(), sections.ok() ? "" : qPrintable(sections.error().toString()));
        QCOMPARE(sections->size(), 4);
        QCOMPARE(sections->value(QStringLiteral("hostname")).output, QByteArray("runner-3"));
        QCOMPARE(sections->value(QStringLiteral("blob")).output, binary);
        QCOMPARE(sections->value(QStringLiteral("blob")).errors, QByteArray("warn\n"));
        QCOMPARE(sections->value(QStringLiteral("nft")).exitCode, 1);
        QVERIFY(sections->value(QStringLiteral("empty")).output.isEmpty());
        QVERIFY(!sections->value(QStringLiteral("blob")).truncated);
    }

    void splitRejectsGarbage_data()
    {
        QTest::addColumn<QByteArray>("output");
        QTest::addColumn<QString>("message");
        const QByteArray b = "nsd-0123456789abcdef";
        const QByteArray head = "nestscope-discovery 1 " + b + "\n";
        QTest::newRow("empty") << QByteArray() << QStringLiteral("expected a header line");
        QTest::newRow("garbage") << QByteArray("\x7f"
                                               "ELF\x02\x01\x01 binary")
                                 << QStringLiteral("expected a header line");
        QTest::newRow("wrong version") << QByteArray("nestscope-discovery 2 " + b + "\n")
                                       << QStringLiteral("version 1");
        QTest::newRow("short boundary") << QByteArray("nestscope-discovery 1 ab\n") << QStringLiteral("boundary");
        QTest::newRow("header only") << head << QStringLiteral("ended right after its header");
        QTest::newRow("bad section header") << QByteArray(head + "\n" + b + " section x exit zero stdout 0 stderr 0\n")
                                            << QStringLiteral("expected a section header");
        QTest::newRow("foreign boundary")
            << QByteArray(head + "\nnsd-ffffffffffff section x exit 0 stdout 0 stderr 0\n")
            << QStringLiteral("expected a section header");
        QTest::newRow("length lies") << QByteArray(head + frame(b, QStringLiteral("a"), 0, "12345") + "XX\n" + b
            + " end\n") << QStringLiteral("expected a newline before the next section header");
    }
    void splitRejectsGarbage()
    {
        QFETCH(QByteArray, output);
        QFETCH(QString, message);
        const auto r = splitDiscoveryOutput(output);
        QVERIFY(!r.ok());
        QVERIFY2(r.error().toString().contains(message), qPrintable(r.error().toString()));
    }

    void truncatedOutputGivesAPartialTopology()
    {
        const QByteArray b = "nsd-0123456789abcdef";
        QString problem;
        const DiscoverySections recorded = loadScenario(QStringLiteral("healthy"), &problem);
        QVERIFY(problem.isEmpty());
        // cut inside lxd-instances, as a transport's output cap would
        const QByteArray instances = recorded.value(QStringLiteral("lxd-instances")).output;
        QByteArray out = "nestscope-discovery 1 " + b + "\n";
        for (const char *name : { "hostname", "ip-addr", "lxd-client", "lxd-networks" }) {
            const DiscoverySection &s = recorded.value(QLatin1String(name));
            out += frame(b, s.name, s.exitCode, s.output);
        }
        out += frame(b, QStringLiteral("lxd-instances"), 0, instances);
        const QByteArray cut = out.left(out.size() - instances.size() / 2);
        const auto sections = splitDiscoveryOutput(cut);
        QVERIFY2(sections.ok(), sections.ok() ? "" : qPrintable(sections.error().toString()));
        QVERIFY(sections->value(QStringLiteral("lxd-instances")).truncated);
        const Topology t = topologyFromSections(sections.value());
        QCOMPARE(t.hostname, QStringLiteral("lab-runner"));
        QVERIFY(t.network(QStringLiteral("lxdbr0")));
        QVERIFY(t.instances.isEmpty());
        auto warned = [&](const QString &source, const QString &text) {
            return std::any_of(t.warnings.cbegin(), t.warnings.cend(), [&](const TopoWarning &w) {
                return w.source == source && w.message.contains(text);
            });
        };
        QVERIFY(warned(QStringLiteral("lxd-instances"), QStringLiteral("cut short")));
        QVERIFY(warned(QStringLiteral("nft"), QStringLiteral("missing from the discovery output")));
    }

    void failedSectionsBecomeWarnings()
    {
        QString problem;
        DiscoverySections s = loadScenario(QStringLiteral("healthy"), &problem);
        QVERIFY(problem.isEmpty());
        auto fail = [&](const QString &name, int code, const QByteArray &err) {
            s[name].exitCode = code;
            s[name].output.clear();
            s[name].errors = err;
        };
        fail(QStringLiteral("nft"), 1,
            "Operation not permitted (you must be root)\nnetlink: Error: cache initialization failed");
        fail(QStringLiteral("iptables-save"), 4,
            "iptables-save v1.8.9 (nf_tables): Could not fetch rule set generation id: Permission denied (you must be "
            "root)");
        fail(QStringLiteral("ip6tables-save"), 127, "ip6tables-save: command not found");
        fail(QStringLiteral("sysctl:net.bridge.bridge-nf-call-iptables"), 1, "cat: No such file or directory");
        fail(QStringLiteral("lxd-instances"), 1,
            "Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/lxd/unix.socket: connect: permission denied");
        s[QStringLiteral("ip-route-6")].output = "[{\"dst\": 6}]";
        const Topology t = topologyFromSections(s);
        QMap<QString, QString> bySource;
        for (const TopoWarning &w : t.warnings) {
            bySource.insert(w.source, w.message);
        }
        QVERIFY(bySource.value(QStringLiteral("nft")).contains(QLatin1String("give the SSH user passwordless sudo")));
        QVERIFY(bySource.value(QStringLiteral("nft")).contains(QLatin1String("nftables rules")));
        QVERIFY(bySource.value(QStringLiteral("iptables-save")).contains(QLatin1String("Run as root")));
        QVERIFY(bySource.value(QStringLiteral("ip6tables-save")).contains(QLatin1String("apt install iptables")));
        QVERIFY(bySource.value(QStringLiteral("sysctl:net.bridge.bridge-nf-call-iptables"))
                    .contains(QLatin1String("br_netfilter")));
        QVERIFY2(
            bySource.value(QStringLiteral("lxd-instances")).contains(QLatin1String("`sudo usermod -aG lxd $USER`")),
            qPrintable(bySource.value(QStringLiteral("lxd-instances"))));
        QVERIFY(bySource.value(QStringLiteral("ip-route-6")).contains(QLatin1String("at [0].dst: expected a string")));
        QCOMPARE(bySource.size(), 6);
        // the rest is still there
        QVERIFY(t.network(QStringLiteral("lxdbr0")));
        QVERIFY(t.interface(QStringLiteral("lxdbr0")));
        QVERIFY(t.defaultRoute(Family::IPv4));
        QVERIFY(t.instances.isEmpty());
        QVERIFY(!t.sysctls.contains(QStringLiteral("net.bridge.bridge-nf-call-iptables")));
        QCOMPARE(t.firewall.backend, QStringLiteral("nftables")); // from LXD's firewall driver
        QVERIFY(t.firewall.forwardPolicyV4.isEmpty());

        DiscoverySections noClient = s;
        noClient[QStringLiteral("lxd-client")].exitCode = 127;
        noClient[QStringLiteral("lxd-client")].output.clear();
        const Topology without = topologyFromSections(noClient);
        QVERIFY(without.lxdClient.isEmpty());
        QVERIFY(without.networks.isEmpty());
        QVERIFY(std::any_of(without.warnings.cbegin(), without.warnings.cend(), [](const TopoWarning &w) {
            return w.source == QLatin1String("lxd-client") && w.message.contains(QLatin1String("lxd-client"))
                && w.message.contains(QLatin1String("incus-client"));
        }));
    }

    void lxdDownIsSaidOnce()
    {
        // Each LXD query fails with the same words when the daemon is down (lxc dials /1.0 first):
        // one warning says what is wrong and what to do, the client's words behind it.
        QString problem;
        DiscoverySections s = loadScenario(QStringLiteral("healthy"), &problem);
        QVERIFY(problem.isEmpty());
        QFile recorded(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/lxd-errors/daemon-not-running.txt"));
        QVERIFY(recorded.open(QIODevice::ReadOnly));
        const QByteArray said = recorded.readAll();
        QStringList failing;
        for (auto it = s.begin(); it != s.end(); ++it) {
            if (it.key().startsWith(QLatin1String("lxd-")) && it.key() != QLatin1String("lxd-client")) {
                it->exitCode = 1;
                it->output.clear();
                it->errors = said;
                failing << it.key();
            }
        }
        QVERIFY(failing.size() >= 4); // server, networks, instances and the bridge's leases
        const Topology t = topologyFromSections(s);
        QList<TopoWarning> lxd;
        for (const TopoWarning &w : t.warnings) {
            if (w.source.startsWith(QLatin1String("lxd"))) {
                lxd << w;
            }
        }
        QCOMPARE(lxd.size(), 1);
        const TopoWarning &w = lxd.first();
        QCOMPARE(w.source, QStringLiteral("lxd-server, lxd-networks, lxd-instances, lxd-leases:lxdbr0"));
        QVERIFY2(w.message.startsWith(QLatin1String("The LXD daemon is not running (there is no "
                                                    "/var/lib/lxd/unix.socket), so the server version and firewall "
                                                    "driver, the bridges, the instances and their addresses and the "
                                                    "DHCP leases on lxdbr0 are unknown. Start it: `sudo systemctl "
                                                    "start lxd`")),
            qPrintable(w.message));
        QVERIFY2(!w.message.contains(QLatin1String("dial unix")), qPrintable(w.message)); // the raw words: details
        QCOMPARE(w.details.count(QStringLiteral("dial unix /var/lib/lxd/unix.socket")), 4);
        QVERIFY2(w.details.startsWith(QLatin1String("$ lxc query /1.0   (exit code 1)\n")), qPrintable(w.details));
        // Through the JSON a run keeps, the details stay.
        const auto back = readTopologyJson(writeTopologyJson(t));
        QVERIFY(back.ok());
        QCOMPARE(back->warnings.constLast().details, w.details);

        // Two ways of failing are two warnings: permission for the instances only.
        QFile denied(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/lxd-errors/permission-denied.txt"));
        QVERIFY(denied.open(QIODevice::ReadOnly));
        s[QStringLiteral("lxd-instances")].errors = denied.readAll();
        QStringList sources;
        for (const TopoWarning &x : topologyFromSections(s).warnings) {
            if (x.source.startsWith(QLatin1String("lxd"))) {
                sources << x.source;
            }
        }
        QCOMPARE(sources,
            (QStringList {
                QStringLiteral("lxd-server, lxd-networks, lxd-leases:lxdbr0"), QStringLiteral("lxd-instances") }));

        // Incus installed beside a stopped LXD: the advice names the Settings' instance client.
        s[QStringLiteral("lxd-instances")].errors = said;
        DiscoverySection clients;
        clients.name = QStringLiteral("lxd-clients");
        clients.output = "lxc\nincus\n";
        s.insert(clients.name, clients);
        const Topology withIncus = topologyFromSections(s);
        const auto incus
            = std::find_if(withIncus.warnings.cbegin(), withIncus.warnings.cend(), [](const TopoWarning &x) {
                  return x.source.startsWith(QLatin1String("lxd-server"));
              });
        QVERIFY(incus != withIncus.warnings.cend());
        QVERIFY2(incus->message.contains(QLatin1String("but Incus is installed on the runner"))
                && incus->message.contains(QLatin1String("choose Incus as the instance client")),
            qPrintable(incus->message));
    }

    // ---- problem rules beyond the lab's scenarios -----------------------------------------

    void problemRules()
    {
        Topology t = scenarioTopology(QStringLiteral("healthy"));
        QVERIFY(markers(findProblems(t), TopoProblem::Severity::Error).isEmpty());

        // MTU: an instance NIC above its bridge, a bridge above the uplink
        Topology mtu = t;
        mtu.instances[0].nics[0].mtu = 9000;
        for (TopoInterface &i : mtu.interfaces) {
            if (i.name == QLatin1String("uplink0")) {
                i.mtu = 1400;
            }
        }
        QStringList warnings = markers(findProblems(mtu), TopoProblem::Severity::Warning);
        QCOMPARE(warnings,
            (QStringList { QStringLiteral("mtu-mismatch@net:lxdbr0"), QStringLiteral("mtu-mismatch@nic:vm1/eth0") }));

        // a running instance without IPv4 on a bridge that hands it out: no DHCP lease
        Topology noLease = t;
        noLease.instances[1].nics[0].addresses.removeIf([](const TopoAddress &a) {
            return a.family == Family::IPv4;
        });
        const QList<TopoProblem> p = findProblems(noLease);
        QCOMPARE(markers(p, TopoProblem::Severity::Error), QStringList { QStringLiteral("no-ipv4@inst:vm2") });
        QVERIFY(p.first().why.contains(QLatin1String("DHCP")));

        // DROP with LXD's own ACCEPT rules for the bridge (xtables driver) is only a warning
        Topology accepted = scenarioTopology(QStringLiteral("forward-drop"));
        accepted.firewall.forwardAcceptedV4 << QStringLiteral("lxdbr0");
        QCOMPARE(markers(findProblems(accepted), TopoProblem::Severity::Error),
            QStringList { QStringLiteral("forward-drop@runner") });
        QCOMPARE(markers(findProblems(accepted), TopoProblem::Severity::Warning),
            QStringList { QStringLiteral("forward-drop@runner") });

        // a public IPv4 subnet needs no NAT; an IPv6 ULA without it does; IPv6 forwarding off
        Topology routed = t;
        routed.networks[0].config[QStringLiteral("ipv4.address")] = QStringLiteral("198.51.100.1/24");
        routed.networks[0].config[QStringLiteral("ipv4.nat")] = QStringLiteral("false");
        routed.sysctls[QStringLiteral("net.ipv6.conf.all.forwarding")] = QStringLiteral("0");
        QCOMPARE(markers(findProblems(routed), TopoProblem::Severity::Error),
            QStringList { QStringLiteral("ip-forward-off@runner") });
        QVERIFY(findProblems(routed).first().title.contains(QLatin1String("IPv6")));

        // an order that does not depend on the input's
        Topology many = scenarioTopology(QStringLiteral("ipv6-only"));
        std::reverse(many.instances.begin(), many.instances.end());
        QStringList ids;
        for (const TopoProblem &x : findProblems(many)) {
            ids << x.nodeId;
        }
        QCOMPARE(ids,
            (QStringList { QStringLiteral("inst:vm1"), QStringLiteral("inst:vm2"), QStringLiteral("net:lxdbr0"),
                QStringLiteral("net:lxdbr0") }));
    }

    // ---- the script itself, on this machine -----------------------------------------------

    void scriptIsPosixSh()
    {
        const QString dash = QStandardPaths::findExecutable(QStringLiteral("dash"));
        if (dash.isEmpty()) {
            QSKIP("dash is not installed");
        }
        LocalTransport transport;
        CommandRequest req;
        req.command = QStringLiteral("dash -n -c ") + shellQuote(discoveryScript());
        CommandJob *job = transport.start(req);
        QSignalSpy spy(job, &CommandJob::finished);
        QVERIFY(spy.wait(30000));
        const auto r = spy.first().at(0).value<CommandResult>();
        QVERIFY2(r.exitCode == 0, r.stdErr.constData());
    }

    void scriptDiscoversThisMachine()
    {
        // A proxy with a password in the environment the runner's commands get: read, masked.
        const QByteArray oldProxy = qgetenv("https_proxy");
        qputenv("https_proxy", "http://ci:hunter2@10.0.0.9:3128");
        const auto restore = qScopeGuard([&] {
            if (oldProxy.isNull()) {
                qunsetenv("https_proxy");
            } else {
                qputenv("https_proxy", oldProxy);
            }
        });
        LocalTransport transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        discovery.start();
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 90000);
        QCOMPARE(outcome->count, 1);
        const Result<Topology> &result = *outcome->result;
        QVERIFY2(result.ok(), result.ok() ? "" : qPrintable(result.error().toString()));
        const Topology &t = result.value();
        QCOMPARE(t.transport, transport.description());
        QVERIFY(t.discoveredAt.isValid());
        QCOMPARE(t.hostname, QSysInfo::machineHostName());
        QCOMPARE(t.kernel, QSysInfo::kernelVersion());
        QVERIFY(t.interface(QStringLiteral("lo")));
        QCOMPARE(t.interface(QStringLiteral("lo"))->kind, QStringLiteral("loopback"));
        QVERIFY(std::any_of(t.routes.cbegin(), t.routes.cend(), [](const TopoRoute &r) {
            return r.table == QLatin1String("local") && r.device == QLatin1String("lo");
        }));
        // every kernel has the rule that asks the main table
        QVERIFY(std::any_of(t.rules.cbegin(), t.rules.cend(), [](const TopoRule &r) {
            return r.family == Family::IPv4 && r.table == QLatin1String("main") && r.priority == 32766;
        }));
        QVERIFY(t.sysctls.contains(QStringLiteral("net.ipv4.ip_forward")));
        QVERIFY(t.proxiesKnown);
        QVERIFY2(std::any_of(t.proxies.cbegin(), t.proxies.cend(),
                     [](const TopoProxy &p) {
                         return p.line() == QLatin1String("https_proxy=http://***@10.0.0.9:3128 (environment)");
                     }),
            writeTopologyJson(t).constData());
        QVERIFY(!writeTopologyJson(t).contains("hunter2"));
        // There is no LXD daemon outside the lab's namespace here: a partial topology that says so.
        if (t.lxdServerVersion.isEmpty()) {
            QVERIFY(t.networks.isEmpty());
            QVERIFY(std::any_of(t.warnings.cbegin(), t.warnings.cend(), [](const TopoWarning &w) {
                return w.source.startsWith(QLatin1String("lxd-"));
            }));
        }
        if (::geteuid() == 0) {
            QVERIFY(!t.firewall.rawNftJson.isEmpty()
                || std::any_of(t.warnings.cbegin(), t.warnings.cend(), [](const TopoWarning &w) {
                       return w.source == QLatin1String("nft");
                   }));
        }
    }

    void scriptSaysOnceThatLxdIsNotRunning()
    {
        // The real script and the real client against a daemon that is not there (an empty LXD_DIR).
        if (QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty()) {
            QSKIP("lxc is not installed here; lxdDownIsSaidOnce covers the recorded words");
        }
        QTemporaryDir lxdDir;
        const QByteArray oldDir = qgetenv("LXD_DIR");
        qputenv("LXD_DIR", lxdDir.path().toUtf8());
        const auto restore = qScopeGuard([&] {
            oldDir.isNull() ? qunsetenv("LXD_DIR") : qputenv("LXD_DIR", oldDir);
        });
        LocalTransport transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        discovery.start();
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 90000);
        const Result<Topology> &result = *outcome->result;
        QVERIFY2(result.ok(), result.ok() ? "" : qPrintable(result.error().toString()));
        QList<TopoWarning> lxd;
        for (const TopoWarning &w : result->warnings) {
            if (w.source.startsWith(QLatin1String("lxd"))) {
                lxd << w;
            }
        }
        QCOMPARE(lxd.size(), 1);
        QCOMPARE(lxd.first().source, QStringLiteral("lxd-server, lxd-networks, lxd-instances"));
        QVERIFY2(lxd.first().message.startsWith(
                     QStringLiteral("The LXD daemon is not running (there is no %1/unix.socket)").arg(lxdDir.path())),
            qPrintable(lxd.first().message));
        QCOMPARE(lxd.first().details.count(QStringLiteral("dial unix %1/unix.socket").arg(lxdDir.path())), 3);

        // Incus chosen in the settings, only lxc installed: say so, and how to switch back.
        if (!QStandardPaths::findExecutable(QStringLiteral("incus")).isEmpty()) {
            return;
        }
        TopologyDiscovery incus(&transport);
        incus.setClient(InstanceTransport::Client::Incus);
        const auto incusOutcome = watch(incus);
        incus.start();
        QTRY_VERIFY_WITH_TIMEOUT(incusOutcome->count > 0, 90000);
        QVERIFY(incusOutcome->result->ok());
        const Topology &t = incusOutcome->result->value();
        QVERIFY(t.lxdClient.isEmpty());
        const auto w = std::find_if(t.warnings.cbegin(), t.warnings.cend(), [](const TopoWarning &x) {
            return x.source == QLatin1String("lxd-client");
        });
        QVERIFY(w != t.warnings.cend());
        QVERIFY2(w->message.startsWith(QStringLiteral("The Incus client (`incus`) is not installed on the runner, "
                                                      "but LXD (`lxc`) is, so the bridges and instances are unknown. "
                                                      "Choose LXD, or “Whichever the runner has”")),
            qPrintable(w->message));
    }

    void scriptWarnsWithoutRoot()
    {
        if (::geteuid() != 0 || QStandardPaths::findExecutable(QStringLiteral("su")).isEmpty()) {
            QSKIP("needs root to run the script as nobody");
        }
        // A transport whose commands run as an unprivileged user, as an SSH login would.
        class AsNobody final : public Transport {
        public:
            AsNobody()
                : Transport(nullptr)
            {
            }
            QString description() const override { return QStringLiteral("local as nobody"); }
            CommandJob *start(const CommandRequest &request) override
            {
                CommandRequest r = request;
                r.command = QStringLiteral("cd / && su nobody -s /bin/sh -c ") + shellQuote(request.command);
                return m_local.start(r);
            }
            LocalTransport m_local;
        } transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        discovery.start();
        QVERIFY(discovery.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 90000);
        QVERIFY(!discovery.isRunning());
        const Result<Topology> &result = *outcome->result;
        QVERIFY2(result.ok(), result.ok() ? "" : qPrintable(result.error().toString()));
        const Topology &t = result.value();
        QVERIFY(t.interface(QStringLiteral("lo")));
        QVERIFY(t.firewall.rawNftJson.isEmpty());
        QStringList rootWarnings;
        for (const TopoWarning &w : t.warnings) {
            if (w.message.contains(QLatin1String("Run as root or give the SSH user passwordless sudo"))) {
                rootWarnings << w.source;
            }
        }
        rootWarnings.sort();
        QCOMPARE(rootWarnings,
            (QStringList { QStringLiteral("ip6tables-save"), QStringLiteral("iptables-save"), QStringLiteral("nft") }));
    }

    void cancelEndsOnce()
    {
        LocalTransport transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        discovery.start();
        discovery.start(); // a second start while running is ignored
        discovery.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 30000);
        QCOMPARE(outcome->count, 1);
        const Result<Topology> &result = *outcome->result;
        // a very fast machine may finish before the cancel lands
        if (!result.ok()) {
            QVERIFY2(result.error().message.contains(QLatin1String("cancelled")), qPrintable(result.error().message));
        }
        QVERIFY(!discovery.isRunning());
    }

    // ---- simdjson under the big sections: the same answers as QJsonDocument, or it steps aside ----

    void simdjsonMatchesQJsonOnFixtures_data() { scenarioColumn(); }
    void simdjsonMatchesQJsonOnFixtures()
    {
        QFETCH(QString, scenario);
        const QString dir = kLabData + QLatin1Char('/') + scenario;
        const QByteArray instancesJson = readFile(dir + QStringLiteral("/lxd/instances.json"));
        const QByteArray ipJson = readFile(dir + QStringLiteral("/runner/ip-d-addr.json"));
        // What LXD and ip print is read through simdjson (else no speed-up).
        for (const QByteArray *json : { &instancesJson, &ipJson }) {
            QVERIFY(topoparse::readsThroughSimdjson(*json));
        }
        const auto fast = topoparse::parseLxdInstances(instancesJson);
        const auto slow = topoparse::parseLxdInstancesWithQJson(instancesJson);
        QVERIFY(fast.ok() && slow.ok());
        Topology a;
        Topology b;
        a.instances = fast.value();
        b.instances = slow.value();
        const auto ipFast = topoparse::parseIpAddr(ipJson);
        const auto ipSlow = topoparse::parseIpAddrWithQJson(ipJson);
        QVERIFY(ipFast.ok() && ipSlow.ok());
        a.interfaces = ipFast.value();
        b.interfaces = ipSlow.value();
        QVERIFY(!a.instances.isEmpty() && !a.interfaces.isEmpty());
        QCOMPARE(writeTopologyJson(a), writeTopologyJson(b));
    }

    void simdjsonReadsAndWritesAsQt_data()
    {
        QTest::addColumn<QByteArray>("json");
        QTest::addColumn<bool>("taken"); // read through simdjson
        QTest::newRow("sorting, empties, escapes")
            << QByteArray("{\"b\": 1, \"a\": [{}, [], [[]]], \"s\": \"x\\/y\\u001F\\u0008\\t\\\"\\\\ \\u0041\", "
                          "\"z\": {\"k\": null, \"j\": [true, false]}}")
            << true;
        QTest::newRow("numbers") << QByteArray("[-0, 0, 17, -42, 2.00, 220.31, 1e21, 1.5E-7, 1e18, 4294967295.0, "
                                               "123456789012345678, 1234567890123456789, 9223372036854775807, "
                                               "9223372036854775808, 18446744073709551615, 0.30000000000000004]")
                                 << true;
        QTest::newRow("utf-8") << QByteArray("{\"d\": \"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x90\xa7\"}") << true;
        QTest::newRow("control escapes") << QByteArray("[\"\\u0000\\u001f\\r\\n\\f\\b\\u007f\"]") << true;
        // Qt keeps the last of a repeated key, and orders keys by UTF-16 code units.
        QTest::newRow("duplicate key") << QByteArray("{\"a\": 1, \"b\": [], \"a\": \"two\"}") << true;
        QTest::newRow("escape beyond ASCII") << QByteArray("[\"\\u00e9 \\ud83d\\udc27\"]") << true;
        QTest::newRow("escaped key") << QByteArray("{\"\\u0061\": 1, \"\\u00e9\": 2}") << true;
        QTest::newRow("keys beyond ASCII")
            << QByteArray("{\"\xc3\xa9\": 1, \"\xef\xbd\x81\": 2, \"\xf0\x9f\x90\xa7\": 3, \"z\": 4}") << true;
        QTest::newRow("deep") << QByteArray(QByteArray(100, '[') + QByteArray(100, ']')) << true;
        // simdjson reads "0.0" (to Qt the integer 0) and an underflow ("1e-400", which Qt
        // refuses) as the same zero: with a zero, a text that has a number with a negative
        // exponent (or a long run of zeros) goes to Qt.
        QTest::newRow("zero with a fraction") << QByteArray("[0.00, -0.0, 0e5]") << true;
        QTest::newRow("zero and a negative exponent") << QByteArray("[0.0, 1.5e-7]") << false;
        QTest::newRow("zero and a long fraction") << QByteArray("[0.0, 0." + QByteArray(400, '0') + "1]") << false;
        QTest::newRow("underflow") << QByteArray("[1e-400]") << false;
        QTest::newRow("raw control character") << QByteArray("[\"a\x01\"]") << false;
        QTest::newRow("byte-order mark") << QByteArray("\xef\xbb\xbf[1]") << false;
        QTest::newRow("bad UTF-8") << QByteArray("[\"\xc3\x28\"]") << false;
        QTest::newRow("surrogate in UTF-8") << QByteArray("[\"\xed\xa0\x80\"]") << false;
        QTest::newRow("lone surrogate escape") << QByteArray("[\"\\ud800\"]") << false;
        QTest::newRow("beyond uint64") << QByteArray("[18446744073709551616]") << false;
        QTest::newRow("Qt's 1.") << QByteArray("[1.]") << false;
        QTest::newRow("leading zero") << QByteArray("[01]") << false;
        QTest::newRow("overflow") << QByteArray("[1e400]") << false;
        QTest::newRow("trailing garbage") << QByteArray("[1] x") << false;
        QTest::newRow("cut") << QByteArray("[{\"a\": \"b") << false;
        QTest::newRow("empty") << QByteArray() << false;
        QTest::newRow("too deep") << QByteArray(QByteArray(1025, '[') + QByteArray(1025, ']')) << false;
        // QJsonDocument holds only objects and arrays.
        QTest::newRow("lone string") << QByteArray("\": \"") << false;
        QTest::newRow("lone number") << QByteArray("1") << false;
        QTest::newRow("lone null") << QByteArray("null") << false;
    }
    void simdjsonReadsAndWritesAsQt()
    {
        QFETCH(QByteArray, json);
        QFETCH(bool, taken);
        QCOMPARE(topoparse::readsThroughSimdjson(json), taken);
        // The parsers answer as QJsonDocument alone does, on the text and on an instance that
        // holds it (whose inspector text is written as QJsonDocument::toJson writes it).
        const QByteArray instance = "[{\"name\": \"vm1\", \"v\": " + json + ", \"w\": [" + json + "]}]";
        if (taken) {
            QVERIFY(topoparse::readsThroughSimdjson(instance));
        }
        for (const QByteArray &input : { json, instance }) {
            const auto fast = topoparse::parseLxdInstances(input);
            const auto slow = topoparse::parseLxdInstancesWithQJson(input);
            QCOMPARE(fast.ok(), slow.ok());
            if (fast.ok()) {
                QCOMPARE(fast->size(), slow->size());
                for (qsizetype i = 0; i < fast->size(); ++i) {
                    QCOMPARE(fast->at(i).rawJson, slow->at(i).rawJson);
                }
            } else {
                QCOMPARE(fast.error().toString(), slow.error().toString());
            }
        }
        if (taken && json.startsWith('{')) {
            const QByteArray config = "[{\"name\": \"vm1\", \"expanded_config\": " + json + "}]";
            Topology a;
            Topology b;
            const auto fast = topoparse::parseLxdInstances(config);
            const auto slow = topoparse::parseLxdInstancesWithQJson(config);
            QCOMPARE(fast.ok(), slow.ok());
            if (fast.ok()) {
                a.instances = fast.value();
                b.instances = slow.value();
                QCOMPARE(writeTopologyJson(a), writeTopologyJson(b));
            } else {
                QCOMPARE(fast.error().toString(), slow.error().toString());
            }
        }
    }

    void instancesWhereSimdjsonStepsAside()
    {
        // One instance with a zero simdjson cannot tell from an underflow (it steps aside), one
        // with an escape beyond ASCII (read by simdjson), one with a shape error (the error is
        // QJsonDocument's path's, word for word).
        const QByteArray json = readFile(kLabData + QStringLiteral("/healthy/lxd/instances.json"));
        const auto compareWithQt = [](const QByteArray &input) {
            const auto fast = topoparse::parseLxdInstances(input);
            QVERIFY2(fast.ok(), fast.ok() ? "" : qPrintable(fast.error().toString()));
            Topology a;
            Topology b;
            a.instances = fast.value();
            b.instances = topoparse::parseLxdInstancesWithQJson(input).value();
            QCOMPARE(writeTopologyJson(a), writeTopologyJson(b));
        };
        QByteArray zero = json;
        zero.replace("\"description\": \"\"", "\"description\": \"\", \"load\": [0.0, 2.5E-7]");
        QVERIFY(zero != json);
        QVERIFY(!topoparse::readsThroughSimdjson(zero));
        compareWithQt(zero);

        QByteArray odd = json;
        odd.replace("\"description\": \"\"", "\"description\": \"caf\\u00e9\"");
        QVERIFY(odd != json);
        QVERIFY(topoparse::readsThroughSimdjson(odd));
        compareWithQt(odd);
        QVERIFY(topoparse::parseLxdInstances(odd)->first().rawJson.contains(QStringLiteral("caf\u00e9")));

        QByteArray wrong = json;
        wrong.replace("\"status\": \"Running\"", "\"status\": 7");
        QVERIFY(wrong != json);
        QVERIFY(topoparse::readsThroughSimdjson(wrong));
        const auto refused = topoparse::parseLxdInstances(wrong);
        QVERIFY(!refused.ok());
        QCOMPARE(refused.error().toString(), topoparse::parseLxdInstancesWithQJson(wrong).error().toString());
        QVERIFY2(refused.error().toString().contains(QLatin1String("expected a string, got a number")),
            qPrintable(refused.error().toString()));
    }

    // ---- the parse runs on the pool, and finished() still comes once, on the owner's thread ----

    void parseRunsOffTheCallingThread()
    {
        QString problem;
        const QByteArray out = framedScenario(loadScenario(QStringLiteral("healthy"), &problem));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        CannedTransport transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        QThread *signalledOn = nullptr;
        connect(&discovery, &TopologyDiscovery::finished, &discovery, [&signalledOn] {
            signalledOn = QThread::currentThread();
        });
        discovery.start();
        QVERIFY(transport.job);
        transport.job->end(CommandOutcome::Exited, out);
        QCOMPARE(outcome->count, 0); // not from inside the job's signal: the parse is on the pool
        QVERIFY(discovery.isRunning());
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 30000);
        QCOMPARE(outcome->count, 1);
        QCOMPARE(signalledOn, discovery.thread());
        QVERIFY(!discovery.isRunning());
        const Result<Topology> &result = *outcome->result;
        QVERIFY2(result.ok(), result.ok() ? "" : qPrintable(result.error().toString()));
        QCOMPARE(result->transport, QStringLiteral("canned"));
        QVERIFY(result->discoveredAt.isValid());
        QCOMPARE(result->hostname, QStringLiteral("lab-runner"));
        QVERIFY(!result->instances.isEmpty());
        QTest::qWait(50);
        QCOMPARE(outcome->count, 1);
    }

    void cancelDuringParseEndsOnce()
    {
        QString problem;
        const QByteArray out = framedScenario(loadScenario(QStringLiteral("healthy"), &problem));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        CannedTransport transport;
        TopologyDiscovery discovery(&transport);
        const auto outcome = watch(discovery);
        discovery.start();
        transport.job->end(CommandOutcome::Exited, out);
        QVERIFY(discovery.isRunning()); // parsing
        discovery.cancel();
        QCOMPARE(outcome->count, 0); // never from inside cancel()
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 30000);
        QThreadPool::globalInstance()->waitForDone(30000); // the dropped parse ends
        QTest::qWait(50);
        QCOMPARE(outcome->count, 1);
        QVERIFY(!outcome->result->ok());
        QVERIFY2(outcome->result->error().message.contains(QLatin1String("cancelled")),
            qPrintable(outcome->result->error().message));
        QVERIFY(!discovery.isRunning());
        // and it can run again
        discovery.start();
        QVERIFY(transport.job);
        transport.job->end(CommandOutcome::Exited, out);
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 1, 30000);
        QCOMPARE(outcome->count, 2);
        QVERIFY(outcome->result->ok());
    }

    void deleteDuringParseIsSafe()
    {
        QString problem;
        const QByteArray out = framedScenario(loadScenario(QStringLiteral("healthy"), &problem));
        QVERIFY2(problem.isEmpty(), qPrintable(problem));
        CannedTransport transport;
        auto *discovery = new TopologyDiscovery(&transport);
        int count = 0;
        connect(discovery, &TopologyDiscovery::finished, &transport, [&count] {
            ++count;
        });
        discovery->start();
        transport.job->end(CommandOutcome::Exited, out);
        delete discovery; // the parse is still queued or running on the pool
        QThreadPool::globalInstance()->waitForDone(30000);
        QTest::qWait(50);
        QCOMPARE(count, 0);
    }

    void noTransportIsAnError()
    {
        TopologyDiscovery discovery(nullptr);
        const auto outcome = watch(discovery);
        discovery.start();
        QCOMPARE(outcome->count, 0); // never synchronously from start()
        QTRY_VERIFY_WITH_TIMEOUT(outcome->count > 0, 30000);
        QCOMPARE(outcome->count, 1);
        QVERIFY(!outcome->result->ok());
    }
};

QTEST_MAIN(TestTopology)
#include "tst_topology.moc"
