// `nestscope experiment` on the real lab, over SSH as the lab's CI user: a finding's fix applied
// (the commands confirmed are byte for byte those the transport ran), the rerun healthy, the
// revert bringing the failure back; sudo refusing a fix with the sudoers line that allows it; and a
// process killed between apply and rerun, whose change the next start lists and reverts.
// The lab ends as it began (healthy).
#include "labfixture.h"
#include "results/runstore.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace nestscope;
using nestscope::test::kLabSshConfig;
using nestscope::test::labCommand;
using nestscope::test::waitForInstanceNetwork;

namespace {

// The layers that tell the IPv4 causes apart, with short timeouts: the lab's failures wait them out.
const QByteArray kPlan = R"(name: Experiment check
variables:
  web_host: www.lab.test
  http_url: http://www.lab.test/
defaults: {timeout: 4s, repeat: 1, concurrency: 8, target_concurrency: 4}
targets: [runner, all]
probes:
  - {id: ipv4-address, kind: fact, fact: ipv4-address}
  - {id: ipv4-default-route, kind: fact, fact: ipv4-default-route}
  - {id: resolver, kind: fact, fact: resolver}
  - {id: dns-a, kind: dns, name: "${web_host}", record: A}
  - {id: icmp-ipv4, kind: icmp, host: "${web_host}", family: ipv4}
  - {id: tcp-ipv4, kind: tcp, host: "${web_host}", port: 80, family: ipv4}
  - {id: http-ipv4, kind: http, url: "${http_url}", family: ipv4}
)";

struct Cli {
    int code = -1;
    QString out;
    QString err;
};

QString sshOutput(const QString &command)
{
    QProcess p;
    p.setStandardInputFile(QProcess::nullDevice());
    p.start(QStringLiteral("ssh"), { QStringLiteral("-F"), kLabSshConfig, QStringLiteral("nestscope-lab"), command });
    p.waitForFinished(60000);
    return QString::fromUtf8(p.readAllStandardOutput()).trimmed();
}

} // namespace

class TestLabExperiment : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;
    QString m_plan;
    QString m_store;

    QStringList runner() const
    {
        return { QStringLiteral("--host"), QStringLiteral("nestscope-lab"), QStringLiteral("--ssh-config"),
            kLabSshConfig, QStringLiteral("--store"), m_store };
    }

    static Cli nestscope(const QStringList &args, int timeoutMs = 240000)
    {
        QProcess p;
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("nestscope.ssh.debug=true"));
        p.setProcessEnvironment(env);
        p.setStandardInputFile(QProcess::nullDevice());
        p.start(QStringLiteral(NESTSCOPE_BINARY), args);
        if (!p.waitForFinished(timeoutMs)) {
            p.kill();
            p.waitForFinished();
        }
        return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1,
            QString::fromUtf8(p.readAllStandardOutput()), QString::fromUtf8(p.readAllStandardError()) };
    }

    /// The baseline: the plan on the lab in `scenario`, as a run file.
    QString baseline(const QString &scenario)
    {
        QString out;
        [&] {
            QVERIFY2(labCommand({ QStringLiteral("scenario"), scenario }, &out, 60000), qPrintable(out));
        }();
        waitForInstanceNetwork(scenario);
        const QString file = m_dir.filePath(scenario + QStringLiteral(".json"));
        const Cli r = nestscope(QStringList { QStringLiteral("run"), QStringLiteral("--plan"), m_plan,
                                    QStringLiteral("--quiet"), QStringLiteral("--json"), file }
            + runner().mid(0, 4));
        [&] {
            QVERIFY2(r.code == 1, qPrintable(r.err)); // the scenario fails something
        }();
        return file;
    }

    /// The instance's verdict on http-ipv4 in stored run `id`.
    QStringList httpOnInstances(qint64 id)
    {
        RunStore store;
        QStringList verdicts;
        if (!store.open(m_store).ok()) {
            return { QStringLiteral("store cannot be opened") };
        }
        const auto run = store.loadRun(id);
        if (!run) {
            return { run.error().message };
        }
        for (const Sample &s : run->samples) {
            if (s.probeId == QLatin1String("http-ipv4") && s.target != QLatin1String("runner")) {
                verdicts << s.target + QLatin1Char('=') + toText(s.status);
            }
        }
        verdicts.sort();
        return verdicts;
    }

    static qint64 experimentId(const QString &err)
    {
        static const QRegularExpression re(QStringLiteral("\\(experiment (\\d+)\\)"));
        return re.match(err).captured(1).toLongLong();
    }

    /// The commands the confirmation listed ("  1. CMD"), in order.
    static QStringList confirmed(const QString &err)
    {
        static const QRegularExpression re(QStringLiteral("^  \\d+\\. (.*)$"), QRegularExpression::MultilineOption);
        QStringList list;
        for (auto it = re.globalMatch(err); it.hasNext();) {
            list << it.next().captured(1);
        }
        return list;
    }

    /// What the SSH transport was asked to run (its debug log), in order.
    static QStringList transportLog(const QString &err)
    {
        static const QRegularExpression re(QStringLiteral("exec \\d+ (.*)$"), QRegularExpression::MultilineOption);
        QStringList list;
        for (auto it = re.globalMatch(err); it.hasNext();) {
            list << it.next().captured(1);
        }
        return list;
    }

private Q_SLOTS:
    void initTestCase()
    {
        NESTSCOPE_REQUIRE_LAB();
        QVERIFY(m_dir.isValid());
        m_plan = m_dir.filePath(QStringLiteral("plan.yaml"));
        QFile f(m_plan);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(kPlan);
        f.close();
        m_store = m_dir.filePath(QStringLiteral("store.sqlite"));
    }

    void applyFixesAndRevertBringsTheFailureBack_data()
    {
        QTest::addColumn<QString>("scenario");
        QTest::addColumn<QString>("fix"); // the first command of the fix
        QTest::addColumn<QString>("revert"); // the last command of the revert
        QTest::addColumn<QString>("check"); // what shows on the runner whether the fix is on
        QTest::addColumn<QString>("on");
        QTest::addColumn<QString>("off");
        QTest::newRow("nat-off") << QStringLiteral("nat-off") << QStringLiteral("lxc network set lxdbr0 ipv4.nat true")
                                 << QStringLiteral("lxc network set lxdbr0 ipv4.nat false")
                                 << QStringLiteral("lxc network get lxdbr0 ipv4.nat") << QStringLiteral("true")
                                 << QStringLiteral("false");
        // the lab's sudoers grants the CI user exactly this fix's iptables commands (tests/lab/lab)
        QTest::newRow("forward-drop") << QStringLiteral("forward-drop")
                                      << QStringLiteral("sudo -n iptables -I FORWARD -i lxdbr0 -j ACCEPT")
                                      << QStringLiteral("sudo -n iptables -D FORWARD -i lxdbr0 -j ACCEPT")
                                      << QStringLiteral(
                                             "sudo -n iptables-save | grep -c -- '-A FORWARD -i lxdbr0 -j ACCEPT'")
                                      << QStringLiteral("1") << QStringLiteral("0");
        QTest::newRow("proxy-only") << QStringLiteral(
            "proxy-only") << QStringLiteral("lxc config set vm1 environment.http_proxy http://proxy.lab.test:3128/")
                                    << QStringLiteral("lxc config unset vm1 environment.http_proxy")
                                    << QStringLiteral("lxc config get vm2 environment.http_proxy")
                                    << QStringLiteral("http://proxy.lab.test:3128/") << QString();
    }

    void applyFixesAndRevertBringsTheFailureBack()
    {
        QFETCH(QString, scenario);
        QFETCH(QString, fix);
        QFETCH(QString, revert);
        QFETCH(QString, check);
        QFETCH(QString, on);
        QFETCH(QString, off);
        const QString base = baseline(scenario);
        QVERIFY(!QTest::currentTestFailed());
        // --dry-run prints and changes nothing
        Cli r = nestscope(QStringList { QStringLiteral("experiment"), base, QStringLiteral("--dry-run") } + runner());
        QCOMPARE(r.code, 0);
        QCOMPARE(confirmed(r.err).value(0), fix);
        QCOMPARE(sshOutput(check), off);
        // without --yes nothing runs either
        r = nestscope(QStringList { QStringLiteral("experiment"), base } + runner());
        QCOMPARE(r.code, 2);
        QVERIFY2(r.err.contains(QStringLiteral("Nothing was run")), qPrintable(r.err));
        QCOMPARE(sshOutput(check), off);

        r = nestscope(QStringList { QStringLiteral("experiment"), base, QStringLiteral("--yes") } + runner());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        const QStringList shown = confirmed(r.err);
        QCOMPARE(shown.value(0), fix);
        // byte for byte what the transport ran, in that order (after its own `id -u; id -un`, before
        // the rerun's commands)
        const QStringList log = transportLog(r.err);
        const qsizetype first = log.indexOf(shown.first());
        QVERIFY2(first > 0, qPrintable(log.join(QLatin1Char('\n'))));
        QCOMPARE(log.mid(first, shown.size()), shown);
        QCOMPARE(log.count(shown.first()), 1);
        QCOMPARE(sshOutput(check), on);
        const qint64 id = experimentId(r.err);
        QVERIFY2(id > 0, qPrintable(r.err));
        RunStore store;
        QVERIFY(store.open(m_store).ok());
        auto e = store.experiment(id);
        QVERIFY(e);
        QCOMPARE(e->state, ExperimentState::Applied);
        QVERIFY2(e->outcome.contains(QStringLiteral("fixed")), qPrintable(e->outcome));
        QVERIFY(e->afterRun > 0 && e->baselineRun > 0);
        QCOMPARE(
            httpOnInstances(e->afterRun), (QStringList { QStringLiteral("vm1=pass"), QStringLiteral("vm2=pass") }));
        const QStringList before = httpOnInstances(e->baselineRun);
        QVERIFY2(!before.contains(QStringLiteral("vm1=pass")) && !before.contains(QStringLiteral("vm2=pass")),
            qPrintable(before.join(QLatin1Char(' '))));
        QVERIFY2(store.runInfo(e->baselineRun)->notes.contains(QStringLiteral("applied `%1`").arg(fix)),
            qPrintable(store.runInfo(e->baselineRun)->notes));
        store.close();

        // the revert brings the failure back: the experiment also confirms the cause
        r = nestscope(QStringList { QStringLiteral("experiment"), QStringLiteral("--revert"), QString::number(id),
                          QStringLiteral("--yes") }
            + runner());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(confirmed(r.err).value(confirmed(r.err).size() - 1), revert); // newest change first
        QCOMPARE(sshOutput(check), off);
        QVERIFY(store.open(m_store).ok());
        e = store.experiment(id);
        QCOMPARE(e->state, ExperimentState::Reverted);
        QVERIFY(!e->pending());
        QCOMPARE(httpOnInstances(e->revertRun), before);
        QVERIFY2(e->outcome.contains(QStringLiteral("fail again")), qPrintable(e->outcome));
    }

    void sudoRefusalSaysWhichLineAllowsIt()
    {
        const QString base = baseline(QStringLiteral("ip-forward-off"));
        QVERIFY(!QTest::currentTestFailed());
        const Cli r = nestscope(QStringList { QStringLiteral("experiment"), base, QStringLiteral("--yes"),
                                    QStringLiteral("--rerun"), QStringLiteral("none") }
            + runner());
        QCOMPARE(r.code, 1);
        QVERIFY2(r.err.contains(QStringLiteral("1. sudo -n sysctl -w net.ipv4.ip_forward=1")), qPrintable(r.err));
        QVERIFY2(r.err.contains(QStringLiteral("nslab ALL=(root) NOPASSWD: "))
                && r.err.contains(QStringLiteral("sysctl -w net.ipv4.ip_forward\\=1")),
            qPrintable(r.err));
        // nothing after the refused step ran, and nothing is left to revert
        QVERIFY(!transportLog(r.err).contains(QStringLiteral("sudo -n sysctl -w net.ipv6.conf.all.forwarding=1")));
        QCOMPARE(sshOutput(QStringLiteral("cat /proc/sys/net/ipv4/ip_forward")), QStringLiteral("0"));
        const Cli list
            = nestscope({ QStringLiteral("experiment"), QStringLiteral("--list"), QStringLiteral("--store"), m_store });
        QVERIFY2(list.out.contains(QStringLiteral("failed"))
                && !list.out.section(QStringLiteral("failed"), 1, 1).startsWith(QStringLiteral(" (pending")),
            qPrintable(list.out));
    }

    void killedBetweenApplyAndRerunIsListedAndReverted()
    {
        const QString base = baseline(QStringLiteral("nat-off"));
        QVERIFY(!QTest::currentTestFailed());
        QProcess p;
        p.setProcessChannelMode(QProcess::SeparateChannels);
        p.setStandardInputFile(QProcess::nullDevice());
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            QStringList { QStringLiteral("experiment"), base, QStringLiteral("--yes") } + runner());
        QByteArray err;
        // killed as soon as the change is applied: during the settle wait, before the rerun
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("Applied (experiment"), 120000);
        ::kill(pid_t(p.processId()), SIGKILL);
        QVERIFY(p.waitForFinished(30000));
        QCOMPARE(sshOutput(QStringLiteral("lxc network get lxdbr0 ipv4.nat")), QStringLiteral("true"));
        const qint64 id = experimentId(QString::fromUtf8(err));
        QVERIFY(id > 0);
        // the next start knows the change
        const Cli list
            = nestscope({ QStringLiteral("experiment"), QStringLiteral("--list"), QStringLiteral("--store"), m_store });
        QCOMPARE(list.code, 0);
        QVERIFY2(list.out.contains(QStringLiteral("%1  applied (pending").arg(id)), qPrintable(list.out));
        QVERIFY2(
            list.out.contains(QStringLiteral("revert: lxc network set lxdbr0 ipv4.nat false")), qPrintable(list.out));
        const Cli r
            = nestscope(QStringList { QStringLiteral("experiment"), QStringLiteral("--revert"), QString::number(id),
                            QStringLiteral("--yes"), QStringLiteral("--rerun"), QStringLiteral("none") }
                + runner());
        QVERIFY2(r.code == 0, qPrintable(r.err));
        QCOMPARE(sshOutput(QStringLiteral("lxc network get lxdbr0 ipv4.nat")), QStringLiteral("false"));
    }

    void cleanupTestCase()
    {
        QString out;
        labCommand({ QStringLiteral("scenario"), QStringLiteral("healthy") }, &out, 60000);
    }
};

QTEST_GUILESS_MAIN(TestLabExperiment)
#include "tst_labexperiment.moc"
