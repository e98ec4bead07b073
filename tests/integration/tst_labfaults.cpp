// Faults on the lab while a run goes on (README.md, "Reliability"): an instance stopped, the
// bridge's link set down, the upstream gone silent. In each the run ends on its own (no hang
// beyond the probe timeouts), every sample it reported is in its JSON, and the samples after
// the fault say what happened. The lab is put back to healthy after each.
#include "labfixture.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using nestscope::test::labCommand;

namespace {

const QString kSshConfig = nestscope::test::kLabSshConfig;

// Short probes on every target, repeated: a fault lands in the middle of the run. `tick` needs no
// network (it shows the instance itself answers), `web` goes out through the bridge and NAT.
const QByteArray kPlan = "name: lab faults\n"
                         "targets: [runner, vm1, vm2]\n"
                         "defaults: {timeout: 6s, repeat: 16, concurrency: 3}\n"
                         "probes:\n"
                         "  - {id: tick, kind: shell, command: \"sleep 0.3; echo ok\"}\n"
                         "  - {id: web, kind: tcp, host: \"10.77.100.80\", port: 80, family: ipv4}\n";
constexpr int kSamples = 2 * 3 * 16;

bool sh(const QString &command, QString *out = nullptr)
{
    QProcess p;
    p.setProcessChannelMode(QProcess::MergedChannels);
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(QStringLiteral("sh"), { QStringLiteral("-c"), command });
    const bool ok = p.waitForFinished(120000) && p.exitStatus() == QProcess::NormalExit && p.exitCode() == 0;
    if (out) {
        *out = QString::fromUtf8(p.readAll());
    }
    return ok;
}

} // namespace

class TestLabFaults : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    struct Outcome {
        int exitCode = -1;
        qint64 msAfterFault = -1;
        QByteArray err;
        QJsonArray samples;
        int reported = 0; ///< progress lines on stderr
        bool faultApplied = false;
        QString faultOutput;
    };

    // Runs the plan; once `before` samples have been reported, applies `fault` (a shell command).
    Outcome runWithFault(const QString &fault, int before = 12)
    {
        Outcome o;
        const QString plan = m_dir.filePath(QStringLiteral("faults.yaml"));
        QFile f(plan);
        if (!f.open(QIODevice::WriteOnly) || f.write(kPlan) != kPlan.size()) {
            return o;
        }
        f.close();
        const QString json = m_dir.filePath(QStringLiteral("run.json"));
        QFile::remove(json);
        QProcess p;
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--host"), QStringLiteral("nestscope-lab"),
                QStringLiteral("--ssh-config"), kSshConfig, QStringLiteral("--plan"), plan,
                QStringLiteral("--no-topology"), QStringLiteral("--json"), json });
        const auto reported = [&] {
            o.err += p.readAllStandardError();
            return int(o.err.count("\n[")) + (o.err.startsWith('[') ? 1 : 0);
        };
        QElapsedTimer clock;
        clock.start();
        while (reported() < before && p.state() != QProcess::NotRunning && clock.elapsed() < 120000) {
            p.waitForReadyRead(1000); // waits on the event (a progress line), with a ceiling
        }
        QElapsedTimer sinceFault;
        sinceFault.start();
        o.faultApplied = sh(fault, &o.faultOutput);
        if (!p.waitForFinished(180000)) {
            p.kill();
            p.waitForFinished();
        }
        o.msAfterFault = sinceFault.elapsed();
        o.err += p.readAllStandardError();
        o.exitCode = p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1;
        o.reported = reported();
        QFile result(json);
        if (result.open(QIODevice::ReadOnly)) {
            o.samples = QJsonDocument::fromJson(result.readAll()).object().value(QStringLiteral("samples")).toArray();
        }
        // The figures in the README's Reliability section come from these lines.
        qInfo("fault %s: exit %d, %lld ms after the fault, %d samples reported, %lld in the JSON", qPrintable(fault),
            o.exitCode, static_cast<long long>(o.msAfterFault), o.reported, static_cast<long long>(o.samples.size()));
        return o;
    }

    static QStringList statuses(const QJsonArray &samples, const QString &probe, const QString &target)
    {
        QStringList s;
        for (const auto &v : samples) {
            const QJsonObject o = v.toObject();
            if (o.value(QStringLiteral("probe")).toString() == probe
                && o.value(QStringLiteral("target")).toString() == target) {
                s << o.value(QStringLiteral("status")).toString() + QLatin1Char(':')
                        + o.value(QStringLiteral("message")).toString();
            }
        }
        return s;
    }

    static void backToHealthy()
    {
        QString out;
        QVERIFY2(labCommand({ QStringLiteral("up") }, &out), qPrintable(out)); // starts a stopped instance
        QVERIFY2(labCommand({ QStringLiteral("scenario"), QStringLiteral("healthy") }, &out, 120000), qPrintable(out));
        // The lab is whole again for the tests after this one: both instances have both default
        // routes (the bridge's link going down took its IPv6 address, and with it their router)
        // and reach the lab's web server over IPv6.
        for (const QString &vm : { QStringLiteral("vm1"), QStringLiteral("vm2") }) {
            // (one word for the remote shell: ssh joins its arguments and the runner's sh splits them again)
            QVERIFY2(
                sh(QStringLiteral("ssh -F %1 nestscope-lab \"lxc exec %2 -- sh -c 'ip -6 route show default | grep "
                                  "-q via && ip -4 route show default | grep -q via && curl -sS -6 -m 10 -o "
                                  "/dev/null http://www.lab.test/'\"")
                        .arg(kSshConfig, vm),
                    &out),
                qPrintable(vm + QStringLiteral(": ") + out));
        }
    }

    static void expectEverySampleKept(const Outcome &o)
    {
        QVERIFY2(o.faultApplied, qPrintable(o.faultOutput));
        QVERIFY2(o.exitCode == 0 || o.exitCode == 1, o.err.right(3000).constData());
        QCOMPARE(o.samples.size(), kSamples);
        QCOMPARE(o.reported, kSamples);
    }

private Q_SLOTS:
    void initTestCase()
    {
        NESTSCOPE_REQUIRE_LAB();
        QString out;
        QVERIFY2(labCommand({ QStringLiteral("scenario"), QStringLiteral("healthy") }, &out, 120000), qPrintable(out));
    }

    void instanceStoppedMidRun()
    {
        const Outcome o = runWithFault(QStringLiteral("ssh -F %1 nestscope-lab lxc stop vm2 --force").arg(kSshConfig));
        backToHealthy();
        expectEverySampleKept(o);
        QCOMPARE(o.exitCode, 1);
        // vm2's later samples say the instance is not running; vm1 and the runner go on.
        const QStringList vm2 = statuses(o.samples, QStringLiteral("tick"), QStringLiteral("vm2"));
        QVERIFY2(vm2.last().startsWith(QStringLiteral("error:")) && vm2.last().contains(QStringLiteral("not running")),
            qPrintable(vm2.join(QLatin1Char('\n'))));
        for (const QString &s : statuses(o.samples, QStringLiteral("tick"), QStringLiteral("vm1"))) {
            QVERIFY2(s.startsWith(QStringLiteral("pass")), qPrintable(s));
        }
    }

    void bridgeLinkDownMidRun()
    {
        const Outcome o = runWithFault(QStringLiteral("ip netns exec nestscope-runner ip link set lxdbr0 down"));
        QVERIFY(sh(QStringLiteral("ip netns exec nestscope-runner ip link set lxdbr0 up")));
        backToHealthy();
        expectEverySampleKept(o);
        QCOMPARE(o.exitCode, 1);
        // The instances still answer (lxc exec needs no network); their traffic out does not.
        const QStringList web = statuses(o.samples, QStringLiteral("web"), QStringLiteral("vm1"));
        QVERIFY2(!web.last().startsWith(QStringLiteral("pass")), qPrintable(web.join(QLatin1Char('\n'))));
        QVERIFY2(statuses(o.samples, QStringLiteral("tick"), QStringLiteral("vm1"))
                     .last()
                     .startsWith(QStringLiteral("pass")),
            o.err.right(2000).constData());
        for (const QString &s : statuses(o.samples, QStringLiteral("web"), QStringLiteral("runner"))) {
            QVERIFY2(s.startsWith(QStringLiteral("pass")), qPrintable(s)); // the runner's own uplink is fine
        }
    }

    void upstreamGoesSilentMidRun()
    {
        // The wan namespace drops every packet that reaches it: the internet stops answering.
        const Outcome o = runWithFault(QStringLiteral(
            "printf 'table inet nestscope_silent {\\n chain input {\\n type filter hook input priority -100; "
            "policy drop;\\n }\\n}\\n' | ip netns exec nestscope-wan nft -f -"));
        QVERIFY(sh(QStringLiteral("ip netns exec nestscope-wan nft delete table inet nestscope_silent")));
        backToHealthy();
        expectEverySampleKept(o);
        QCOMPARE(o.exitCode, 1);
        // Everyone's connections out time out now, the runner's too: no answer, not a refusal.
        const QStringList web = statuses(o.samples, QStringLiteral("web"), QStringLiteral("runner"));
        QVERIFY2(
            web.last().startsWith(QStringLiteral("timeout:")) && web.last().contains(QStringLiteral("no TCP answer")),
            qPrintable(web.join(QLatin1Char('\n'))));
        // No hang: the probes in flight end at their timeout (6 s), the rest run one timeout each
        // at most, three at once; far inside this ceiling on any machine that runs the lab.
        QVERIFY2(o.msAfterFault < 180000, qPrintable(QString::number(o.msAfterFault)));
    }
};

QTEST_GUILESS_MAIN(TestLabFaults)
#include "tst_labfaults.moc"
