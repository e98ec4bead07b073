#include "diagnosis/diagnosis.h"
#include "diagnosis/firewall.h"
#include "results/runjson.h"
#include "topology/topologyjson.h"

#include <QFile>
#include <QJsonDocument>
#include <QTest>

#include <functional>

using namespace nestscope;

namespace {

#pragma GCC diagnostic ignored "-Wunused-function" // TEMP

const QString kRuns = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios");

/// A recorded lab run of the built-in plan and the topology snapshot taken with it.
struct Recorded {
    Run run;
    Topology topology;
};

Recorded load(const QString &scenario)
{
    QFile f(kRuns + QLatin1Char('/') + scenario + QStringLiteral(".json"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot open %s", qPrintable(f.fileName()));
    }
    auto run = runFromJson(f.readAll(), f.fileName());
    if (!run) {
        qFatal("%s", qPrintable(run.error().toString()));
    }
    auto topo = readTopologyJson(run->topologyJson);
    if (!topo) {
        qFatal("%s", qPrintable(topo.error().toString()));
    }
    return { run.value(), topo.value() };
}

QString dump(const Diagnosis &d)
{
    return QString::fromUtf8(QJsonDocument(toJson(d)).toJson(QJsonDocument::Indented));
}

bool hasFact(const Finding &f, const QString &text)
{
    return std::any_of(f.evidence.cbegin(), f.evidence.cend(), [&](const Evidence &e) {
        return e.kind == Evidence::Kind::Fact && e.text.contains(text);
    });
}

bool hasSample(const Finding &f, const QString &probe, const QString &target, const QString &status)
{
    return std::any_of(f.evidence.cbegin(), f.evidence.cend(), [&](const Evidence &e) {
        return e.kind == Evidence::Kind::Sample && e.probeId == probe && e.target == target && e.status == status
            && !e.command.isEmpty();
    });
}

bool hasFix(const Finding &f, const QString &command, const QString &revert)
{
    return std::any_of(f.fix.cbegin(), f.fix.cend(), [&](const FixStep &s) {
        return s.command == command && s.revert == revert;
    });
}

/// Gives `target` the recorded samples of `from` for the probes `which` selects (their target
/// renamed), as the same failure on another vantage point would record them.
void copySamples(Run &run, const Run &source, const QString &from, const QString &target,
    const std::function<bool(const QString &)> &which)
{
    run.samples.erase(std::remove_if(run.samples.begin(), run.samples.end(),
                          [&](const Sample &s) {
                              return s.target == target && which(s.probeId);
                          }),
        run.samples.end());
    for (const Sample &s : source.samples) {
        if (s.target == from && which(s.probeId)) {
            Sample copy = s;
            copy.target = target;
            run.samples << copy;
        }
    }
}

bool isIpv4Probe(const QString &id)
{
    return id.endsWith(QLatin1String("-ipv4"));
}

bool isOutwardProbe(const QString &id)
{
    return id.startsWith(QLatin1String("icmp-")) || id.startsWith(QLatin1String("tcp-"))
        || id.startsWith(QLatin1String("http")) || id == QLatin1String("registry") || id == QLatin1String("mtu-ipv4");
}

} // namespace

class TestDiagnosis : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void recordedScenarios_data();
    void recordedScenarios();
    void healthyHasNoFinding();
    void jsonRoundTrip();

    // DERIVED
};

void TestDiagnosis::recordedScenarios_data()
{
    QTest::addColumn<QString>("scenario");
    QTest::addColumn<QString>("id");
    QTest::addColumn<Confidence>("confidence");
    QTest::addColumn<QStringList>("targets");
    QTest::addColumn<QStringList>("families");
    QTest::addColumn<QString>("fact");
    QTest::addColumn<QString>("fix");
    QTest::addColumn<QString>("revert");

    const QStringList vms { QStringLiteral("vm1"), QStringLiteral("vm2") };
    const QStringList both { QStringLiteral("ipv4"), QStringLiteral("ipv6") };
    QTest::newRow("forward-drop") << QStringLiteral("forward-drop") << QStringLiteral("firewall-forward-drop")
                                  << Confidence::High << vms << both << QStringLiteral(":FORWARD DROP")
                                  << QStringLiteral("iptables -I FORWARD -i lxdbr0 -j ACCEPT")
                                  << QStringLiteral("iptables -D FORWARD -i lxdbr0 -j ACCEPT");
    QTest::newRow("nat-off") << QStringLiteral("nat-off") << QStringLiteral("nat-missing-ipv4") << Confidence::High
                             << vms << QStringList { QStringLiteral("ipv4") } << QStringLiteral("ipv4.nat: false")
                             << QStringLiteral("lxc network set lxdbr0 ipv4.nat true")
                             << QStringLiteral("lxc network set lxdbr0 ipv4.nat false");
    QTest::newRow("ip-forward-off") << QStringLiteral("ip-forward-off") << QStringLiteral("ip-forward-off")
                                    << Confidence::High << vms << both << QStringLiteral("net.ipv4.ip_forward = 0")
                                    << QStringLiteral("sysctl -w net.ipv4.ip_forward=1")
                                    << QStringLiteral("sysctl -w net.ipv4.ip_forward=0");
    QTest::newRow("ipv6-only") << QStringLiteral("ipv6-only") << QStringLiteral("ipv6-only-no-uplink")
                               << Confidence::High << vms << both << QStringLiteral("ipv4.address: none")
                               << QStringLiteral("lxc network set lxdbr0 ipv4.address auto")
                               << QStringLiteral("lxc network set lxdbr0 ipv4.address none");
    QTest::newRow("dns-down") << QStringLiteral("dns-down") << QStringLiteral("bridge-dns-down") << Confidence::High
                              << vms << QStringList {}
                              << QStringLiteral(
                                     "table inet nestscope_lab chain input: iifname lxdbr0 udp dport 53 drop")
                              << QStringLiteral("nft delete rule inet nestscope_lab input handle 2")
                              << QStringLiteral(
                                     "nft insert rule inet nestscope_lab input iifname lxdbr0 udp dport 53 drop");
}

void TestDiagnosis::recordedScenarios()
{
    QFETCH(QString, scenario);
    QFETCH(QString, id);
    QFETCH(Confidence, confidence);
    QFETCH(QStringList, targets);
    QFETCH(QStringList, families);
    QFETCH(QString, fact);
    QFETCH(QString, fix);
    QFETCH(QString, revert);

    const Recorded r = load(scenario);
    const Diagnosis d = diagnose(r.topology, r.run);
    if (qEnvironmentVariableIsSet("NESTSCOPE_DIAG_DUMP")) {
        qInfo().noquote() << dump(d);
    }
    QVERIFY2(!d.findings.isEmpty(), qPrintable(dump(d)));
    const Finding &top = d.findings.first();
    QCOMPARE(d.verdict, Diagnosis::Verdict::Explained);
    QCOMPARE(top.id, id);
    QCOMPARE(top.confidence, confidence);
    QVERIFY(!top.confidenceReason.isEmpty());
    QCOMPARE(top.targets, targets);
    QCOMPARE(top.families, families);
    QVERIFY2(hasFact(top, fact), qPrintable(dump(d)));
    QVERIFY2(hasFix(top, fix, revert), qPrintable(dump(d)));
    // Both vantage points: the runner passing and an instance failing are in the evidence.
    const bool runnerPasses = std::any_of(top.evidence.cbegin(), top.evidence.cend(), [](const Evidence &e) {
        return e.kind == Evidence::Kind::Sample && e.target == QLatin1String("runner")
            && e.status == QLatin1String("pass");
    });
    const bool instanceFails = std::any_of(top.evidence.cbegin(), top.evidence.cend(), [](const Evidence &e) {
        return e.kind == Evidence::Kind::Sample && e.target.startsWith(QLatin1String("vm"))
            && (e.status == QLatin1String("fail") || e.status == QLatin1String("timeout"));
    });
    QVERIFY2(runnerPasses && instanceFails, qPrintable(dump(d)));
    QVERIFY(!d.find(QStringLiteral("unexplained")));
}

void TestDiagnosis::healthyHasNoFinding()
{
    const Recorded r = load(QStringLiteral("healthy"));
    const Diagnosis d = diagnose(r.topology, r.run);
    QVERIFY2(d.findings.isEmpty(), qPrintable(dump(d)));
    QCOMPARE(d.verdict, Diagnosis::Verdict::Healthy);
    QVERIFY(d.isHealthy());
}

void TestDiagnosis::jsonRoundTrip()
{
    const Recorded r = load(QStringLiteral("forward-drop"));
    const Diagnosis d = diagnose(r.topology, r.run);
    QVERIFY(!d.findings.isEmpty());
    const QJsonObject json = toJson(d);
    QCOMPARE(json.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-diagnosis"));
    const auto back = diagnosisFromJson(json);
    QVERIFY2(back.ok(), qPrintable(back.ok() ? QString() : back.error().toString()));
    QCOMPARE(back.value(), d);
    // The run's own snapshot gives the same answer as the topology passed in.
    const auto again = diagnoseRun(r.run);
    QVERIFY(again.ok());
    QCOMPARE(again.value(), d);
    QJsonObject bad = json;
    bad.insert(QStringLiteral("verdict"), QStringLiteral("maybe"));
    QVERIFY(!diagnosisFromJson(bad).ok());
}

QTEST_GUILESS_MAIN(TestDiagnosis)
#include "tst_diagnosis.moc"
