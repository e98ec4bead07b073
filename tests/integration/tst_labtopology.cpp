// Topology discovery against the live lab, every scenario: over SSH as the lab user (who may read
// the firewall through `sudo -n`, as a CI user with sudo can), compared with `lxc query` run
// through the same SSH alias, and as root on the runner. Both see the same; each scenario must
// show its problem marker; healthy shows no error. (Without sudo the firewall is missing with a
// warning that says how to get it: tst_topology runs discovery as `nobody` for that.)
#include "common/shellquote.h"
#include "labfixture.h"
#include "topology/discovery.h"
#include "topology/problems.h"
#include "transport/localtransport.h"
#include "transport/sshtransport.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <memory>
#include <optional>
#include <unistd.h>

using namespace nestscope;
using nestscope::test::labCommand;
using Family = TopoAddress::Family;

namespace {

const QString kSshConfig = nestscope::test::kLabSshConfig;
const QString kState = nestscope::test::kLabState;

/// `lxc query PATH` on the runner, through plain OpenSSH and the lab's alias: LXD's own answer.
QJsonDocument lxcQuery(const QString &path)
{
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(QStringLiteral("ssh"),
        { QStringLiteral("-F"), kSshConfig, QStringLiteral("nestscope-lab"),
            QStringLiteral("lxc query ") + shellQuote(path) });
    if (!p.waitForFinished(30000) || p.exitCode() != 0) {
        p.kill();
        p.waitForFinished();
        return {};
    }
    return QJsonDocument::fromJson(p.readAllStandardOutput());
}

/// An instance as LXD reports it, read here without Nestscope's parser.
struct LxdView {
    QString status;
    QStringList v4; ///< global addresses, sorted
    QStringList v6;
};

QMap<QString, LxdView> lxdInstances()
{
    QMap<QString, LxdView> out;
    for (const QJsonValue &v : lxcQuery(QStringLiteral("/1.0/instances?recursion=2")).array()) {
        const QJsonObject o = v.toObject();
        LxdView view;
        view.status = o.value(QStringLiteral("status")).toString();
        const QJsonObject net = o.value(QStringLiteral("state")).toObject().value(QStringLiteral("network")).toObject();
        for (auto it = net.begin(); it != net.end(); ++it) {
            if (it.key() == QLatin1String("lo")) {
                continue;
            }
            for (const QJsonValue &a : it.value().toObject().value(QStringLiteral("addresses")).toArray()) {
                const QJsonObject ao = a.toObject();
                if (ao.value(QStringLiteral("scope")).toString() != QLatin1String("global")) {
                    continue;
                }
                (ao.value(QStringLiteral("family")).toString() == QLatin1String("inet") ? view.v4 : view.v6)
                    << ao.value(QStringLiteral("address")).toString();
            }
        }
        view.v4.sort();
        view.v6.sort();
        out.insert(o.value(QStringLiteral("name")).toString(), view);
    }
    return out;
}

QStringList globalAddresses(const TopoInstance &inst, Family family)
{
    QStringList out;
    for (const TopoNic &nic : inst.nics) {
        for (const TopoAddress &a : nic.addresses) {
            if (a.family == family && a.scope == QLatin1String("global")) {
                out << a.address;
            }
        }
    }
    out.sort();
    return out;
}

/// Where discovery and LXD disagree about instances and the bridge; empty when they agree.
QStringList disagreements(const Topology &t, const QMap<QString, LxdView> &lxd, const QJsonObject &bridgeConfig)
{
    QStringList out;
    QStringList names;
    for (const TopoInstance &i : t.instances) {
        names << i.name;
    }
    if (names != lxd.keys()) {
        out << QStringLiteral("instances: discovered %1, lxc has %2")
                   .arg(names.join(QLatin1Char(',')), lxd.keys().join(QLatin1Char(',')));
    }
    for (const TopoInstance &i : t.instances) {
        const LxdView view = lxd.value(i.name);
        if (i.status != view.status) {
            out << QStringLiteral("%1: status %2 vs %3").arg(i.name, i.status, view.status);
        }
        if (globalAddresses(i, Family::IPv4) != view.v4 || globalAddresses(i, Family::IPv6) != view.v6) {
            out << QStringLiteral("%1: addresses %2 vs lxc's %3")
                       .arg(i.name,
                           (globalAddresses(i, Family::IPv4) + globalAddresses(i, Family::IPv6)).join(QLatin1Char(' ')),
                           (view.v4 + view.v6).join(QLatin1Char(' ')));
        }
    }
    const TopoNetwork *net = t.network(QStringLiteral("lxdbr0"));
    if (!net) {
        out << QStringLiteral("lxdbr0 not discovered");
        return out;
    }
    QMap<QString, QString> config;
    for (auto it = bridgeConfig.begin(); it != bridgeConfig.end(); ++it) {
        config.insert(it.key(), it.value().toString());
    }
    if (net->config != config) {
        out << QStringLiteral("lxdbr0 config differs from lxc's");
    }
    return out;
}

QStringList errorMarkers(const Topology &t)
{
    QStringList out;
    for (const TopoProblem &p : findProblems(t)) {
        if (p.severity == TopoProblem::Severity::Error) {
            out << p.id + QLatin1Char('@') + p.nodeId;
        }
    }
    out.sort();
    return out;
}

/// Runs commands as root on the lab runner, in the namespaces its sshd runs in (as
/// tests/lab/record does): the reference that discovery over SSH must match.
class RunnerRootTransport final : public Transport {
public:
    explicit RunnerRootTransport(QString sshdPid)
        : Transport(nullptr)
        , m_pid(std::move(sshdPid))
    {
    }
    QString description() const override { return QStringLiteral("root on the lab runner"); }
    CommandJob *start(const CommandRequest &request) override
    {
        CommandRequest r = request;
        r.command = QStringLiteral("nsenter -t %1 -n -m -u -- env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin LXD_DIR=%2/lxd "
                                   "LXD_CONF=%2/lxc-client sh -c ")
                        .arg(m_pid, kState)
            + shellQuote(request.command);
        return m_local.start(r);
    }

private:
    QString m_pid;
    LocalTransport m_local;
};

} // namespace

class TestLabTopology : public QObject {
    Q_OBJECT

private:
    static std::optional<Result<Topology>> discover(Transport *transport)
    {
        TopologyDiscovery discovery(transport);
        std::optional<Result<Topology>> outcome;
        QEventLoop loop;
        connect(&discovery, &TopologyDiscovery::finished, &loop, [&](const Result<Topology> &r) {
            outcome = r;
            loop.quit();
        });
        QTimer::singleShot(120000, &loop, &QEventLoop::quit);
        discovery.start();
        if (!outcome) {
            loop.exec();
        }
        return outcome;
    }

    // After a switch, DHCP and SLAAC take a few seconds: wait (at most 60 s) until LXD reports
    // each instance with the scenario's families, so discovery and lxc see the same settled state.
    static bool waitForAddressing(const QString &scenario)
    {
        const bool wantV4 = scenario != QLatin1String("ipv6-only");
        QElapsedTimer t;
        t.start();
        while (t.elapsed() < 60000) {
            const auto instances = lxdInstances();
            const bool settled
                = !instances.isEmpty() && std::all_of(instances.cbegin(), instances.cend(), [&](const LxdView &v) {
                      return v.status == QLatin1String("Running") && !v.v6.isEmpty() && v.v4.isEmpty() != wantV4;
                  });
            if (settled) {
                return true;
            }
            QThread::msleep(500); // polling an external system, not synchronising with our own code
        }
        return false;
    }

    std::unique_ptr<SshTransport> m_ssh;
    std::unique_ptr<RunnerRootTransport> m_root;

private Q_SLOTS:
    void initTestCase()
    {
        NESTSCOPE_REQUIRE_LAB();
        QFile pid(kState + QStringLiteral("/run/sshd.pid"));
        QVERIFY2(pid.open(QIODevice::ReadOnly), "the lab's sshd pid file is missing");
        m_root = std::make_unique<RunnerRootTransport>(QString::fromUtf8(pid.readAll()).trimmed());
        SshTarget target;
        target.host = QStringLiteral("nestscope-lab");
        target.configFile = kSshConfig;
        m_ssh = std::make_unique<SshTransport>(target);
    }

    void everyScenario_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QStringList>("errors"); // as root, with the firewall
        QTest::newRow("healthy") << QStringLiteral("healthy") << QStringList();
        QTest::newRow("ipv6-only") << QStringLiteral("ipv6-only")
                                   << QStringList { QStringLiteral("ipv6-uplink-missing@net:lxdbr0"),
                                          QStringLiteral("no-ipv4@inst:vm1"), QStringLiteral("no-ipv4@inst:vm2"),
                                          QStringLiteral("no-ipv4@net:lxdbr0") };
        QTest::newRow("forward-drop") << QStringLiteral("forward-drop")
                                      << QStringList { QStringLiteral("forward-drop@runner"),
                                             QStringLiteral("forward-drop@runner") };
        QTest::newRow("nat-off") << QStringLiteral(
            "nat-off") << QStringList { QStringLiteral("nat-off@net:lxdbr0"), QStringLiteral("nat-off@net:lxdbr0") };
        QTest::newRow("ip-forward-off") << QStringLiteral("ip-forward-off")
                                        << QStringList { QStringLiteral("ip-forward-off@runner"),
                                               QStringLiteral("ip-forward-off@runner") };
        QTest::newRow("dns-down") << QStringLiteral("dns-down") << QStringList();
    }

    void everyScenario()
    {
        QFETCH(QString, scenario);
        QFETCH(QStringList, errors);
        errors.sort();
        QString out;
        QVERIFY2(labCommand({ QStringLiteral("scenario"), scenario }, &out, 120000), qPrintable(out));
        QVERIFY2(waitForAddressing(scenario), "the instances did not get the scenario's addresses within 60 s");

        for (Transport *transport : { static_cast<Transport *>(m_ssh.get()), static_cast<Transport *>(m_root.get()) }) {
            const bool asRoot = transport == m_root.get();
            std::optional<Result<Topology>> result;
            QStringList differ;
            // Addresses can still move right after a switch (a late lease): one more look if so.
            for (int attempt = 0; attempt < 2; ++attempt) {
                result = discover(transport);
                QVERIFY2(result.has_value(), "discovery did not finish within 120 s");
                QVERIFY2(result->ok(), result->ok() ? "" : qPrintable(result->error().toString()));
                differ = disagreements(result->value(), lxdInstances(),
                    lxcQuery(QStringLiteral("/1.0/networks/lxdbr0"))
                        .object()
                        .value(QStringLiteral("config"))
                        .toObject());
                if (differ.isEmpty()) {
                    break;
                }
                qWarning("%s: discovery and lxc disagree, looking again: %s", qPrintable(scenario),
                    qPrintable(differ.join(QStringLiteral("; "))));
                QThread::msleep(2000);
            }
            QVERIFY2(differ.isEmpty(), qPrintable(differ.join(QStringLiteral("; "))));
            const Topology &t = result->value();
            QCOMPARE(t.hostname, QStringLiteral("lab-runner"));
            QCOMPARE(t.lxdClient, QStringLiteral("lxc"));
            QCOMPARE(t.instances.size(), 2);
            QVERIFY(t.interface(QStringLiteral("lxdbr0")));
            QVERIFY(t.defaultRoute(Family::IPv4));
            QCOMPARE(t.sysctl(QStringLiteral("net.ipv4.ip_forward")),
                scenario == QLatin1String("ip-forward-off") ? QStringLiteral("0") : QStringLiteral("1"));
            const TopoNetwork *net = t.network(QStringLiteral("lxdbr0"));
            QCOMPARE(net->ipv4Nat(), scenario != QLatin1String("nat-off"));
            QCOMPARE(net->ipv4Address() == QLatin1String("none"), scenario == QLatin1String("ipv6-only"));
            QVERIFY(std::any_of(t.leases.cbegin(), t.leases.cend(), [](const TopoLease &l) {
                return l.hostname == QLatin1String("vm1");
            }));

            QStringList warnedSources;
            for (const TopoWarning &w : t.warnings) {
                warnedSources << w.source;
            }
            // The lab user reads the firewall through `sudo -n` (the lab allows exactly that), so over
            // SSH the runner looks as it does to root, firewall included.
            QVERIFY2(t.warnings.isEmpty(),
                qPrintable((asRoot ? QStringLiteral("as root: ") : QStringLiteral("over SSH: "))
                    + warnedSources.join(QLatin1Char(' '))));
            QCOMPARE(t.firewall.forwardPolicyV4,
                scenario == QLatin1String("forward-drop") ? QStringLiteral("DROP") : QStringLiteral("ACCEPT"));
            QCOMPARE(t.firewall.lxdTables, QStringList { QStringLiteral("inet lxd") });
            QCOMPARE(errorMarkers(t), errors);
        }
    }

    void cleanupTestCase()
    {
        m_ssh.reset();
        if (::geteuid() == 0) {
            QString out;
            labCommand({ QStringLiteral("scenario"), QStringLiteral("healthy") }, &out, 120000);
        }
    }
};

QTEST_MAIN(TestLabTopology)
#include "tst_labtopology.moc"
