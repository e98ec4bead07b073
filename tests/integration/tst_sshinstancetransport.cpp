// InstanceTransport: quoting and error classification through a real shell, with a stand-in `lxc`
// that behaves as LXD's client does for the cases that are hard to produce on demand (a stopped
// instance, a VM whose agent does not answer); and, when the lab's LXD is up, against it.

#include "labfixture.h"
#include "transport/instancetransport.h"
#include "transport/localtransport.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QPointer>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

CommandResult runOne(Transport &transport, const QString &command)
{
    CommandRequest request;
    request.command = command;
    request.timeout = std::chrono::seconds(30);
    CommandJob *job = transport.start(request);
    QSignalSpy spy(job, &CommandJob::finished);
    if (!spy.wait(40000)) {
        return {};
    }
    return spy.first().first().value<CommandResult>();
}

// What LXD 5.0's client prints in these situations (see lxc/exec.go and the instance API errors).
// (plain literals: moc does not parse raw strings)
const char kFakeLxc[] = "#!/bin/sh\n"
                        "[ -n \"$NS_FAKE_LXC_LOG\" ] && echo \"$*\" >>\"$NS_FAKE_LXC_LOG\"\n"
                        "[ \"$1\" = exec ] || exit 2\n"
                        "name=$2; shift 2; [ \"$1\" = -- ] && shift\n"
                        "case \"$name\" in\n"
                        "  stopped) echo \"Error: Instance is not running\" >&2; exit 1;;\n"
                        "  noagent) echo \"Error: LXD VM agent isn't currently running\" >&2; exit 1;;\n"
                        "  missing) echo \"Error: Instance not found\" >&2; exit 1;;\n"
                        "  lossy) exec \"$@\" 2>/dev/null;;\n"
                        "esac\n"
                        "exec \"$@\"\n";

} // namespace

class TestInstanceTransport : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_bin;
    QByteArray m_path;
    LocalTransport m_local;

private Q_SLOTS:
    void initTestCase()
    {
        QFile lxc(m_bin.path() + QStringLiteral("/lxc"));
        QVERIFY(lxc.open(QIODevice::WriteOnly));
        lxc.write(kFakeLxc);
        lxc.close();
        lxc.setPermissions(QFile::ReadOwner | QFile::WriteOwner | QFile::ExeOwner);
        m_path = qgetenv("PATH");
    }

    void init() { qputenv("PATH", QFile::encodeName(m_bin.path()) + ':' + m_path); }
    void cleanup() { qputenv("PATH", m_path); }

    void argumentsArriveIntact()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        const CommandResult r
            = runOne(t, QStringLiteral("printf '%s|' \"a b\" 'c'\"'\"'d' '$HOME' \"$((1+1))\"; exit 7"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 7);
        QCOMPARE(r.stdOut, QByteArray("a b|c'd|$HOME|2|"));
        QCOMPARE(r.stdErr, QByteArray()); // the start marker is removed
    }

    void failingCommandIsNotAClientError()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        const CommandResult r = runOne(t, QStringLiteral("echo 'Error: Instance is not running' >&2; exit 1"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.stdErr, QByteArray("Error: Instance is not running\n"));
    }

    void lostStderrWithOutputIsStillTheCommandsExit()
    {
        // The client lost the stderr stream (marker included), but stdout shows the command ran:
        // its exit code is the command's, not a failure to start (as ping's "unreachable" exit 1).
        InstanceTransport t(&m_local, QStringLiteral("lossy"));
        const CommandResult r = runOne(t, QStringLiteral("echo 'Destination unreachable'; exit 1"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 1);
        QCOMPARE(r.stdOut, QByteArray("Destination unreachable\n"));
    }

    void clientErrors_data()
    {
        QTest::addColumn<QString>("instance");
        QTest::addColumn<QString>("message");
        QTest::newRow("stopped") << QStringLiteral("stopped") << QStringLiteral("instance stopped is not running");
        QTest::newRow("no agent") << QStringLiteral("noagent") << QStringLiteral("its VM agent is not answering");
        QTest::newRow("missing") << QStringLiteral("missing") << QStringLiteral("instance missing does not exist");
        QTest::newRow("bad name") << QStringLiteral("vm1;reboot") << QStringLiteral("not a valid instance name");
    }

    void clientErrors()
    {
        QFETCH(QString, instance);
        QFETCH(QString, message);
        InstanceTransport t(&m_local, instance);
        const CommandResult r = runOne(t, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(message), qPrintable(r.errorString));
    }

    void missingClient()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"), InstanceTransport::Client::Incus);
        qputenv("PATH", QFile::encodeName(m_bin.path())); // has lxc only
        const CommandResult r = runOne(t, QStringLiteral("true"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("cannot run the LXD/Incus client")), qPrintable(r.errorString));
    }

    // Long-lived shells (the default with a runner transport that has interactive commands).

    int lxcCalls() const
    {
        QFile log(m_bin.path() + QStringLiteral("/calls"));
        return log.open(QIODevice::ReadOnly) ? int(log.readAll().count('\n')) : 0;
    }

    void shellsRunCommandsWithFewExecs()
    {
        QFile::remove(m_bin.path() + QStringLiteral("/calls"));
        qputenv("NS_FAKE_LXC_LOG", QFile::encodeName(m_bin.path() + QStringLiteral("/calls")));
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        QCOMPARE(t.maxShells(), 3);
        for (int i = 0; i < 20; ++i) {
            const CommandResult r
                = runOne(t, QStringLiteral("printf 'out %s' %1; printf 'err' >&2; exit %2").arg(i).arg(i % 4));
            QCOMPARE(r.outcome, CommandOutcome::Exited);
            QCOMPARE(r.exitCode, i % 4);
            QCOMPARE(r.stdOut, QByteArray("out ") + QByteArray::number(i));
            QCOMPARE(r.stdErr, QByteArray("err"));
        }
        // One at a time: one shell, started once.
        QCOMPARE(t.shellCount(), 1);
        QCOMPARE(lxcCalls(), 1);
        qunsetenv("NS_FAKE_LXC_LOG");
    }

    void shellsKeepQuotingAndBinaryOutput()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        const CommandResult r
            = runOne(t, QStringLiteral("printf '%s|' \"a b\" 'c'\"'\"'d' '$HOME' \"$((1+1))\"; exit 7"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 7);
        QCOMPARE(r.stdOut, QByteArray("a b|c'd|$HOME|2|"));
        QCOMPARE(r.stdErr, QByteArray());
        const CommandResult bin = runOne(t, QStringLiteral("printf 'a\\000b\\nc'; printf '\\n\\n' >&2"));
        QCOMPARE(bin.stdOut, QByteArray("a\0b\nc", 5));
        QCOMPARE(bin.stdErr, QByteArray("\n\n"));
        // A command that reads stdin gets end of file, not the next command.
        const CommandResult in = runOne(t, QStringLiteral("cat; echo after"));
        QCOMPARE(in.stdOut, QByteArray("after\n"));
        CommandRequest capped;
        capped.command = QStringLiteral("head -c 100000 /dev/zero; echo done >&2");
        capped.outputCap = 1000;
        QSignalSpy done(t.start(capped), &CommandJob::finished);
        QVERIFY(done.wait(30000));
        const CommandResult c = done.first().first().value<CommandResult>();
        QCOMPARE(c.stdOut.size(), 1000);
        QVERIFY(c.stdOutTruncated);
        QCOMPARE(c.stdErr, QByteArray("done\n"));
        QCOMPARE(t.shellCount(), 1);
    }

    void shellTimeoutKillsItsShellOnly()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        QCOMPARE(runOne(t, QStringLiteral("true")).outcome, CommandOutcome::Exited);
        CommandRequest slow;
        slow.command = QStringLiteral("sleep 30");
        slow.timeout = std::chrono::milliseconds(500);
        QElapsedTimer clock;
        clock.start();
        QSignalSpy done(t.start(slow), &CommandJob::finished);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().first().value<CommandResult>().outcome, CommandOutcome::Timeout);
        QVERIFY(clock.elapsed() < 25000); // the shell was killed: it did not wait out the sleep
        QCOMPARE(t.shellCount(), 0);
        const CommandResult next = runOne(t, QStringLiteral("echo next"));
        QCOMPARE(next.outcome, CommandOutcome::Exited);
        QCOMPARE(next.stdOut, QByteArray("next\n"));
        QCOMPARE(t.shellCount(), 1);
    }

    void shellThatDiesEndsItsCommandAndIsReplaced()
    {
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        QCOMPARE(runOne(t, QStringLiteral("true")).outcome, CommandOutcome::Exited);
        // The command kills the shell that runs it (its parent).
        const CommandResult r = runOne(t, QStringLiteral("kill -9 $PPID; sleep 5"));
        QCOMPARE(r.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(r.errorString.contains(QStringLiteral("ended while the command ran")), qPrintable(r.errorString));
        const CommandResult next = runOne(t, QStringLiteral("echo again"));
        QCOMPARE(next.stdOut, QByteArray("again\n"));
    }

    void concurrentCommandsShareAFewShells()
    {
        QFile::remove(m_bin.path() + QStringLiteral("/calls"));
        qputenv("NS_FAKE_LXC_LOG", QFile::encodeName(m_bin.path() + QStringLiteral("/calls")));
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        // Commands wait for a shell however long it takes (no overflow exec), so the count of
        // `lxc` calls is the count of shells by design, whatever the machine's load.
        t.setShellWait(std::chrono::milliseconds(-1));
        int ok = 0;
        int finished = 0;
        int mostShells = 0;
        for (int i = 0; i < 40; ++i) {
            CommandRequest request;
            request.command = QStringLiteral("echo %1; exit %2").arg(i).arg(i % 3);
            request.timeout = std::chrono::seconds(120);
            connect(t.start(request), &CommandJob::finished, this, [&, i](const CommandResult &r) {
                // Queued commands take a shell the moment the one before them ends: each keeps
                // its own exit code.
                ok += r.outcome == CommandOutcome::Exited && r.exitCode == i % 3
                        && r.stdOut == QByteArray::number(i) + '\n'
                    ? 1
                    : 0;
                ++finished;
                mostShells = std::max(mostShells, t.shellCount());
            });
            mostShells = std::max(mostShells, t.shellCount());
        }
        QTRY_COMPARE_WITH_TIMEOUT(finished, 40, 120000);
        QCOMPARE(ok, 40);
        QVERIFY2(mostShells <= 3, qPrintable(QString::number(mostShells)));
        QVERIFY2(lxcCalls() <= 3, qPrintable(QString::number(lxcCalls())));
        qunsetenv("NS_FAKE_LXC_LOG");
    }

    // While every shell is held by a long command, a short one does not wait behind them: it
    // gets an `lxc exec` of its own and finishes while they still run.
    void commandBehindBusyShellsGetsItsOwnExec()
    {
        QFile::remove(m_bin.path() + QStringLiteral("/calls"));
        qputenv("NS_FAKE_LXC_LOG", QFile::encodeName(m_bin.path() + QStringLiteral("/calls")));
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        std::vector<QPointer<CommandJob>> long_;
        int longFinished = 0;
        for (int i = 0; i < 3; ++i) {
            CommandRequest hold;
            hold.command = QStringLiteral("sleep 600");
            hold.timeout = std::chrono::seconds(900);
            CommandJob *job = t.start(hold);
            connect(job, &CommandJob::finished, this, [&] {
                ++longFinished;
            });
            long_.emplace_back(job);
        }
        QTRY_COMPARE_WITH_TIMEOUT(t.shellCount(), 3, 30000);
        const CommandResult quick = runOne(t, QStringLiteral("echo quick"));
        QCOMPARE(quick.outcome, CommandOutcome::Exited);
        QCOMPARE(quick.stdOut, QByteArray("quick\n"));
        QCOMPARE(longFinished, 0);
        QCOMPARE(t.shellCount(), 3);
        QCOMPARE(lxcCalls(), 4);
        for (const auto &job : long_) {
            if (job) {
                job->cancel();
            }
        }
        QTRY_COMPARE_WITH_TIMEOUT(longFinished, 3, 30000);
        qunsetenv("NS_FAKE_LXC_LOG");
    }

    void shellsOffExecEachCommand()
    {
        QFile::remove(m_bin.path() + QStringLiteral("/calls"));
        qputenv("NS_FAKE_LXC_LOG", QFile::encodeName(m_bin.path() + QStringLiteral("/calls")));
        InstanceTransport t(&m_local, QStringLiteral("vm1"));
        t.setMaxShells(0);
        for (int i = 0; i < 3; ++i) {
            QCOMPARE(runOne(t, QStringLiteral("true")).outcome, CommandOutcome::Exited);
        }
        QCOMPARE(t.shellCount(), 0);
        QCOMPARE(lxcCalls(), 3);
        qunsetenv("NS_FAKE_LXC_LOG");
    }

    void realLabInstance()
    {
        // The lab (tests/lab) runs its own LXD with its socket under /var/lib/nestscope-lab/lxd.
        const QString labDir = nestscope::test::kLabState + QStringLiteral("/lxd");
        // Registered twice: as tst_labinstancetransport (label lab) it brings the lab up; in the
        // integration run it only uses a lab that is already up.
        const bool labRun = qEnvironmentVariableIsSet("NESTSCOPE_LAB_TEST");
        qputenv("PATH", m_path); // the real lxc, for the lab script too
        if (labRun) {
            NESTSCOPE_REQUIRE_LAB();
        } else if (!QFile::exists(labDir + QStringLiteral("/unix.socket"))) {
            QSKIP("the lab's LXD is not running; ctest -L lab runs this case as tst_labinstancetransport");
        }
        qputenv("LXD_DIR", QFile::encodeName(labDir));
        const CommandResult list
            = runOne(m_local, QStringLiteral("lxc list --format csv -c ns | grep ,RUNNING | head -1"));
        const QString running = QString::fromUtf8(list.stdOut).section(QLatin1Char(','), 0, 0).trimmed();
        if (running.isEmpty()) {
            qunsetenv("LXD_DIR");
            if (labRun) {
                QFAIL(qPrintable(
                    QStringLiteral("the lab is up but runs no instance: %1").arg(QString::fromUtf8(list.stdErr))));
            }
            QSKIP("no running instance in the lab");
        }
        InstanceTransport t(&m_local, running, InstanceTransport::Client::Lxc);
        const CommandResult r = runOne(t, QStringLiteral("printf '%s|' \"a b\" 'c'\"'\"'d'; echo e >&2; exit 3"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.stdOut, QByteArray("a b|c'd|"));
        QCOMPARE(r.stdErr, QByteArray("e\n"));
        QCOMPARE(t.shellCount(), 1); // it ran in a long-lived shell
        for (int i = 0; i < 10; ++i) {
            const CommandResult again = runOne(t, QStringLiteral("echo %1; cat /etc/hostname >/dev/null").arg(i));
            QCOMPARE(again.outcome, CommandOutcome::Exited);
            QCOMPARE(again.stdOut, QByteArray::number(i) + '\n');
        }
        QCOMPARE(t.shellCount(), 1);
        InstanceTransport exec(&m_local, running, InstanceTransport::Client::Lxc);
        exec.setMaxShells(0);
        const CommandResult e = runOne(exec, QStringLiteral("echo plain"));
        QCOMPARE(e.stdOut, QByteArray("plain\n"));
        InstanceTransport missing(&m_local, QStringLiteral("no-such-instance"), InstanceTransport::Client::Lxc);
        const CommandResult m = runOne(missing, QStringLiteral("true"));
        QCOMPARE(m.outcome, CommandOutcome::FailedToStart);
        QVERIFY2(m.errorString.contains(QStringLiteral("does not exist")), qPrintable(m.errorString));
        qunsetenv("LXD_DIR");
    }
};

QTEST_GUILESS_MAIN(TestInstanceTransport)
#include "tst_sshinstancetransport.moc"
