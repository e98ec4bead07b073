// RunSession in-process, on this machine: the real LocalTransport runs the probes, a real SQLite
// store (in a temporary folder) keeps them, the real discovery takes the topology snapshot and the
// real rules read the run. Waits are on signals and files, with generous ceilings, never on time.

#include "diagnosis/diagnosis.h"
#include "plan/planrunner.h"
#include "plan/targetsetup.h"
#include "results/edgeresults.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "session/runsession.h"
#include "topology/topologyjson.h"
#include "transport/localtransport.h"

#include <QDir>
#include <QFile>
#include <QJsonDocument>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

using namespace nestscope;

namespace {

constexpr int kCeilingMs = 120000; // a busy 2-core machine needs a fraction of this

Plan planFrom(const QByteArray &yaml)
{
    auto plan = parsePlan(yaml, QStringLiteral("session-test.yaml"));
    if (!plan) {
        qFatal("test plan does not parse: %s", qPrintable(plan.error().toString()));
    }
    return std::move(plan).value();
}

bool alive(qint64 pid)
{
    return pid > 0 && ::kill(pid_t(pid), 0) == 0;
}

qint64 readPid(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll().trimmed().toLongLong() : 0;
}

/// A shell command that writes its PID to `pidFile` and then sleeps (as `exec`, so the PID is the
/// sleeper's own).
QByteArray sleeper(const QString &pidFile)
{
    return "echo $$ > '" + pidFile.toUtf8() + "'; exec sleep 300";
}

/// Sets an environment variable for the lifetime of this object; the commands LocalTransport
/// starts inherit it.
class ScopedEnv {
public:
    ScopedEnv(const char *name, const QByteArray &value)
        : m_name(name)
        , m_had(qEnvironmentVariableIsSet(name))
        , m_old(qgetenv(name))
    {
        qputenv(name, value);
    }
    ~ScopedEnv()
    {
        if (m_had) {
            qputenv(m_name, m_old);
        } else {
            qunsetenv(m_name);
        }
    }
    Q_DISABLE_COPY_MOVE(ScopedEnv)

private:
    const char *m_name;
    bool m_had;
    QByteArray m_old;
};

QStringList sampleKeys(const QList<Sample> &samples)
{
    QStringList keys;
    for (const Sample &s : samples) {
        keys << s.probeId + QLatin1Char('@') + s.target + QLatin1Char('#') + QString::number(s.repetition)
                + QLatin1Char('=') + toText(s.status);
    }
    keys.sort();
    return keys;
}

} // namespace

class TestRunSession : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsStoresDiscoversAndDiagnoses()
    {
        // A listening port on loopback for the TCP probe, so that the run has an IPv4 verdict.
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))));
        const Plan plan = planFrom("name: Session on loopback\n"
                                   "defaults: {timeout: 20s}\n"
                                   "probes:\n"
                                   "  - {id: addr, kind: fact, fact: ipv4-address}\n"
                                   "  - {id: echo, kind: shell, command: \"echo ok\", expect_stdout: \"^ok$\"}\n"
                                   "  - {id: fails, kind: shell, command: \"echo nope >&2; exit 3\"}\n"
                                   "  - {id: dns-localhost, kind: dns, name: localhost, record: A}\n"
                                   "  - {id: tcp-ipv4, kind: tcp, host: 127.0.0.1, port: "
            + QByteArray::number(server.serverPort()) + ", family: ipv4, repeat: 2}\n");
        LocalTransport local;
        RunSession session;
        session.setStore(&store);
        session.setTopologySource(RunSession::TopologySource::Discover);
        QSignalSpy discovering(&session, &RunSession::topologyDiscoveryStarted);
        QSignalSpy ready(&session, &RunSession::runnerReady);
        QSignalSpy samples(&session, &RunSession::sampleFinished);
        QSignalSpy finished(&session, &RunSession::finished);
        QSignalSpy errors(&session, &RunSession::error);
        bool snapshotBeforeStart = false;
        connect(&session, &RunSession::runnerReady, this, [&] {
            // The CLI writes the JSON head here: the snapshot must already be in the run.
            snapshotBeforeStart = !session.run().topologyJson.isEmpty() && !session.runner()->isRunning();
        });
        session.start(plan, &local);
        QVERIFY(session.isActive());
        QVERIFY(finished.wait(kCeilingMs));
        QVERIFY2(errors.isEmpty(), errors.isEmpty() ? "" : qPrintable(errors.first().first().toString()));
        QCOMPARE(discovering.size(), 1);
        QCOMPARE(ready.size(), 1);
        QVERIFY(snapshotBeforeStart);
        QCOMPARE(finished.size(), 1);
        QCOMPARE(finished.first().first().toBool(), false);
        QVERIFY(!session.isActive());
        QCOMPARE(session.phase(), RunSession::Phase::Finished);

        const Run &run = session.run();
        QCOMPARE(run.targets, QStringList { QStringLiteral("runner") });
        QCOMPARE(samples.size(), 6);
        QCOMPARE(run.samples.size(), 6);
        QCOMPARE(run.host, local.description());
        QCOMPARE(sampleKeys(run.samples),
            (QStringList { QStringLiteral("addr@runner#0=pass"), QStringLiteral("dns-localhost@runner#0=pass"),
                QStringLiteral("echo@runner#0=pass"), QStringLiteral("fails@runner#0=fail"),
                QStringLiteral("tcp-ipv4@runner#0=pass"), QStringLiteral("tcp-ipv4@runner#1=pass") }));

        // Every sample is in the store, with the run's end and its topology snapshot.
        RunRecorder *recorder = session.recorder();
        QVERIFY(recorder);
        store.flush();
        QVERIFY2(recorder->isRecording(), qPrintable(recorder->error()));
        const auto info = store.runInfo(recorder->runId());
        QVERIFY(info);
        QCOMPARE(info->status, RunStatus::Finished);
        QCOMPARE(info->samples, 6);
        QCOMPARE(info->passed, 5);
        QCOMPARE(info->failed, 1);
        const auto stored = store.loadRun(recorder->runId());
        QVERIFY(stored);
        QCOMPARE(sampleKeys(stored->samples), sampleKeys(run.samples));
        QCOMPARE(stored->topologyJson, run.topologyJson);

        // The snapshot is this machine's topology, read back whole.
        const auto topology = readTopologyJson(run.topologyJson);
        QVERIFY2(topology, topology ? "" : qPrintable(topology.error().toString()));
        QCOMPARE(topology->transport, local.description());
        QVERIFY(!topology->interfaces.isEmpty());

        // The verdict is the one the offline path (`nestscope diagnose`) gives on the stored run.
        QVERIFY2(session.diagnosis(), qPrintable(session.diagnosisError()));
        const auto offline = diagnoseRun(*stored);
        QVERIFY(offline);
        QCOMPARE(toJson(*session.diagnosis()), toJson(*offline));

        // The TCP probe of IPv4 passed on the runner: its edge is green; IPv6 is unknown.
        const EdgeResults edges = session.edgeResults();
        QCOMPARE(edges.value(QStringLiteral("runner")).value(TopoEdge::Family::IPv4, false), true);
        QVERIFY(!edges.value(QStringLiteral("runner")).contains(TopoEdge::Family::IPv6));
    }

    void liveDiagnosisFollowsTheRun()
    {
        // The workbench's way: the snapshot is provided while the run goes, and the verdict follows.
        QTemporaryDir dir;
        const QString gate = dir.filePath(QStringLiteral("gate"));
        const Plan plan = planFrom("name: Live\n"
                                   "defaults: {concurrency: 1, timeout: 120s}\n"
                                   "probes:\n"
                                   "  - {id: first, kind: shell, command: \"true\"}\n"
                                   "  - {id: waits, kind: shell, command: \"while [ ! -e '"
            + gate.toUtf8() + "' ]; do sleep 0.05; done\"}\n");
        LocalTransport local;
        RunSession session;
        session.setTopologySource(RunSession::TopologySource::Provided);
        session.setLiveDiagnosis(50);
        QSignalSpy changed(&session, &RunSession::diagnosisChanged);
        QSignalSpy finished(&session, &RunSession::finished);
        session.start(plan, &local);
        // Without a snapshot the live verdict says what it waits for.
        QTRY_VERIFY_WITH_TIMEOUT(!changed.isEmpty(), kCeilingMs);
        QVERIFY(!session.diagnosis());
        QCOMPARE(session.diagnosisError(), QStringLiteral("the run has no topology snapshot"));
        QVERIFY(session.isActive());
        // A recorded lab topology arrives mid-run: the verdict reads it at once.
        QFile fixture(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/topology/healthy.json"));
        QVERIFY(fixture.open(QIODevice::ReadOnly));
        const auto topology = readTopologyJson(fixture.readAll());
        QVERIFY(topology);
        const QByteArray json = QJsonDocument(topologyToJson(*topology)).toJson(QJsonDocument::Compact);
        changed.clear();
        session.setTopologySnapshot(json);
        QVERIFY(!changed.isEmpty());
        QVERIFY2(session.diagnosis(), qPrintable(session.diagnosisError()));
        QCOMPARE(session.run().topologyJson, json);
        QVERIFY(session.isActive()); // still running: the verdict came before the end
        QFile open(gate);
        QVERIFY(open.open(QIODevice::WriteOnly));
        open.close();
        QVERIFY(finished.wait(kCeilingMs));
        QVERIFY(session.diagnosis());
        QCOMPARE(toJson(*session.diagnosis()), toJson(diagnose(*topology, session.run())));
    }

    void cancelMidRunStopsTheCommandInFlight()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))));
        const QString pidFile = dir.filePath(QStringLiteral("sleeper.pid"));
        const QString marker = dir.filePath(QStringLiteral("never"));
        const Plan plan = planFrom("name: Cancelled\n"
                                   "defaults: {concurrency: 1, timeout: 600s}\n"
                                   "probes:\n"
                                   "  - {id: quick, kind: shell, command: \"true\"}\n"
                                   "  - {id: sleeper, kind: shell, command: \""
            + sleeper(pidFile) + "\"}\n  - {id: never, kind: shell, command: \"touch '" + marker.toUtf8() + "'\"}\n");
        LocalTransport local;
        RunSession session;
        session.setStore(&store);
        session.setTopologySource(RunSession::TopologySource::None);
        QSignalSpy finished(&session, &RunSession::finished);
        session.start(plan, &local);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(pidFile) && readPid(pidFile) > 0, kCeilingMs);
        const qint64 pid = readPid(pidFile);
        QVERIFY(alive(pid));
        QVERIFY(session.isActive());
        session.cancel();
        QVERIFY(finished.wait(kCeilingMs));
        QCOMPARE(finished.first().first().toBool(), true);
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), kCeilingMs); // the command in flight was killed
        QVERIFY(!QFile::exists(marker)); // and nothing ran after the cancel
        const Run &run = session.run();
        QVERIFY(run.cancelled);
        QCOMPARE(run.samples.size(), 2);
        QCOMPARE(run.samples.at(0).probeId, QStringLiteral("quick"));
        QCOMPARE(run.samples.at(0).status, SampleStatus::Pass);
        QCOMPARE(run.samples.at(1).probeId, QStringLiteral("sleeper"));
        store.flush();
        const auto info = store.runInfo(session.recorder()->runId());
        QVERIFY(info);
        QCOMPARE(info->status, RunStatus::Cancelled);
        QCOMPARE(info->samples, 2);
        // --no-topology: no snapshot, so no verdict, and it says why.
        QVERIFY(!session.diagnosis());
        QCOMPARE(session.diagnosisError(), QStringLiteral("the run has no topology snapshot"));
    }

    void cancelWhileLookingUpInstances()
    {
        // A client that hangs (an LXD daemon that does not answer): the lookup's command is killed
        // and the run ends as the plan was written, with no samples, still stored.
        QTemporaryDir dir;
        const QString bin = dir.filePath(QStringLiteral("bin"));
        QVERIFY(QDir().mkpath(bin));
        const QString pidFile = dir.filePath(QStringLiteral("lxc.pid"));
        QFile lxc(bin + QStringLiteral("/lxc"));
        QVERIFY(lxc.open(QIODevice::WriteOnly));
        lxc.write("#!/bin/sh\n" + sleeper(pidFile) + "\n");
        lxc.close();
        QVERIFY(lxc.setPermissions(lxc.permissions() | QFileDevice::ExeOwner));
        const ScopedEnv path("PATH", bin.toUtf8() + ':' + qgetenv("PATH"));
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))));
        const Plan plan = planFrom("name: Held up\ntargets: [runner, vm1]\n"
                                   "probes:\n  - {id: a, kind: shell, command: \"true\"}\n");
        LocalTransport local;
        RunSession session;
        session.setStore(&store);
        QSignalSpy ready(&session, &RunSession::runnerReady);
        QSignalSpy finished(&session, &RunSession::finished);
        session.start(plan, &local);
        QTRY_VERIFY_WITH_TIMEOUT(readPid(pidFile) > 0, kCeilingMs);
        const qint64 pid = readPid(pidFile);
        QCOMPARE(session.phase(), RunSession::Phase::Targets);
        QVERIFY(ready.isEmpty());
        session.cancel();
        QTRY_VERIFY_WITH_TIMEOUT(!finished.isEmpty(), kCeilingMs);
        QCOMPARE(finished.first().first().toBool(), true);
        QCOMPARE(ready.size(), 1); // the outputs get a run to write, as in every phase
        QTRY_VERIFY_WITH_TIMEOUT(!alive(pid), kCeilingMs);
        QVERIFY(session.run().cancelled);
        QVERIFY(session.run().samples.isEmpty());
        QCOMPARE(session.plan().targets, (QStringList { QStringLiteral("runner"), QStringLiteral("vm1") }));
        store.flush();
        const auto info = store.runInfo(session.recorder()->runId());
        QVERIFY(info);
        QCOMPARE(info->status, RunStatus::Cancelled);
    }

    void cancelBeforeStartEndsAtOnce()
    {
        // A signal while the CLI still connects: there is no runner yet, and the run still ends.
        const Plan plan = planFrom("name: Never\nprobes:\n  - {id: a, kind: shell, command: \"true\"}\n");
        RunSession session;
        QSignalSpy finished(&session, &RunSession::finished);
        session.cancel();
        session.start(plan, nullptr);
        QTRY_COMPARE_WITH_TIMEOUT(finished.size(), 1, kCeilingMs);
        QCOMPARE(finished.first().first().toBool(), true);
        QVERIFY(session.run().cancelled);
        QVERIFY(session.run().samples.isEmpty());
        QCOMPARE(session.run().planName, QStringLiteral("Never"));
    }

    void unreachableLxdRunsTheRunner()
    {
        // The real client against a daemon that is not there (an empty LXD_DIR): the runner's
        // probes run, the instance targets are not run, and the reason is said once, readably.
        if (QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty()) {
            QSKIP("lxc is not installed here; instanceListFailureReadsLxcsError covers the message");
        }
        QTemporaryDir lxdDir;
        const ScopedEnv env("LXD_DIR", lxdDir.path().toUtf8());
        const Plan plan = planFrom("name: Runner and instances\ntargets: [runner, all]\n"
                                   "probes:\n"
                                   "  - {id: a, kind: shell, command: \"true\"}\n"
                                   "  - {id: b, kind: shell, command: \"echo ok\"}\n");
        LocalTransport local;
        RunSession session;
        session.setTopologySource(RunSession::TopologySource::None);
        QSignalSpy notes(&session, &RunSession::note);
        QSignalSpy finished(&session, &RunSession::finished);
        QSignalSpy errors(&session, &RunSession::error);
        session.start(plan, &local);
        QVERIFY(finished.wait(kCeilingMs));
        QVERIFY(errors.isEmpty());
        QCOMPARE(session.run().targets, QStringList { QStringLiteral("runner") });
        QCOMPARE(sampleKeys(session.run().samples),
            (QStringList { QStringLiteral("a@runner#0=pass"), QStringLiteral("b@runner#0=pass") }));
        QCOMPARE(session.notRun(), QStringList { QStringLiteral("all") });
        QCOMPARE(notes.size(), 1);
        const QString note = notes.first().first().toString();
        QVERIFY2(
            note.startsWith(QStringLiteral("the instance targets (all) are not run: LXD is not reachable (Error:")),
            qPrintable(note));
        QVERIFY2(note.contains(lxdDir.path() + QStringLiteral("/unix.socket")), qPrintable(note));
        QVERIFY2(note.contains(QStringLiteral("start it")), qPrintable(note));
        QVERIFY2(!note.contains(QStringLiteral("first time")), qPrintable(note)); // not lxc's first-start blurb
        QVERIFY2(note.endsWith(QStringLiteral("The runner's own probes run.")), qPrintable(note));
        QCOMPARE(session.notRunReason(),
            note.mid(note.indexOf(QStringLiteral("LXD is not reachable")))
                .chopped(int(qstrlen(". The runner's own probes run."))));

        // A plan that runs only on instances has nothing left: an error, and nothing runs.
        RunSession onlyInstances;
        QSignalSpy failed(&onlyInstances, &RunSession::error);
        QSignalSpy ended(&onlyInstances, &RunSession::finished);
        onlyInstances.start(planFrom("name: Instances\ntargets: [all]\nprobes:\n  - {id: a, kind: shell, command: "
                                     "\"true\"}\n"),
            &local);
        QVERIFY(failed.wait(kCeilingMs));
        QVERIFY2(failed.first().first().toString().contains(QStringLiteral("the plan runs only on them: LXD is "
                                                                           "not reachable")),
            qPrintable(failed.first().first().toString()));
        QVERIFY(ended.isEmpty());
        QVERIFY(!onlyInstances.runner());
    }

    void instanceListFailureReadsLxcsError_data()
    {
        QTest::addColumn<QString>("stderrText");
        QTest::addColumn<QString>("error");
        QTest::addColumn<QString>("advice");
        // What lxc 5.0 prints on this machine when the daemon is not running (recorded).
        QTest::newRow("daemon not running")
            << QStringLiteral("If this is your first time running LXD on this machine, you should also run: lxd init\n"
                              "To start your first container, try: lxc launch ubuntu:22.04\n"
                              "Or for a virtual machine: lxc launch ubuntu:22.04 --vm\n\n"
                              "Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/lxd/unix.socket: connect: no "
                              "such file or directory")
            << QStringLiteral("Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/lxd/unix.socket: connect: no "
                              "such file or directory")
            << QStringLiteral("sudo systemctl start lxd");
        QTest::newRow("not in the group")
            << QStringLiteral("Error: Get \"http://unix.socket/1.0\": dial unix /var/snap/lxd/common/lxd/unix.socket: "
                              "connect: permission denied")
            << QStringLiteral("Error: Get \"http://unix.socket/1.0\": dial unix /var/snap/lxd/common/lxd/unix.socket: "
                              "connect: permission denied")
            << QStringLiteral("sudo usermod -aG lxd $USER");
        QTest::newRow("silent") << QString() << QStringLiteral("the client failed and said nothing")
                                << QStringLiteral("is the LXD/Incus daemon running");
        QTest::newRow("incus not running")
            << QStringLiteral(
                   "Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/incus/unix.socket: connect: no "
                   "such file or directory")
            << QStringLiteral(
                   "Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/incus/unix.socket: connect: no "
                   "such file or directory")
            << QStringLiteral("sudo systemctl start incus");
    }

    void instanceListFailureReadsLxcsError()
    {
        QFETCH(QString, stderrText);
        QFETCH(QString, error);
        QFETCH(QString, advice);
        const QString message = instanceListFailure(stderrText);
        const QString daemon
            = error.contains(QStringLiteral("incus")) ? QStringLiteral("Incus") : QStringLiteral("LXD");
        QVERIFY2(message.startsWith(daemon + QStringLiteral(" is not reachable (") + error + QStringLiteral("); ")),
            qPrintable(message));
        QVERIFY2(message.contains(advice), qPrintable(message));
        QVERIFY(!message.contains(QStringLiteral("first time")));
    }

    void knownTargetsLeaveOutPatterns()
    {
        // What the matrix shows before a run: no `all` column, no glob column.
        Plan plan;
        plan.targets = { QStringLiteral("runner"), QStringLiteral("all"), QStringLiteral("vm1"), QStringLiteral("ci-*"),
            QStringLiteral("vm1") };
        QCOMPARE(knownTargets(plan), (QStringList { QStringLiteral("runner"), QStringLiteral("vm1") }));
    }
};

QTEST_GUILESS_MAIN(TestRunSession)
#include "tst_runsession.moc"
