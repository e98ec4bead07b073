#include "transport/localtransport.h"

#include <QFile>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>
#include <memory>
#include <sys/stat.h>

using namespace nestscope;
using namespace std::chrono_literals;

class TestLocalTransport : public QObject {
    Q_OBJECT

private:
    // Runs one command and waits for its result (the event loop keeps turning while it waits).
    CommandResult run(const QString &command, std::chrono::milliseconds timeout = 10s, qsizetype cap = 1024 * 1024)
    {
        CommandRequest req;
        req.command = command;
        req.timeout = timeout;
        req.outputCap = cap;
        CommandJob *job = m_transport.start(req);
        QSignalSpy spy(job, &CommandJob::finished);
        const bool finished = spy.wait(int(timeout.count()) + 10000);
        [&] {
            QVERIFY2(finished, qPrintable(QStringLiteral("no result for: ") + command));
        }();
        return finished ? spy.takeFirst().at(0).value<CommandResult>() : CommandResult {};
    }

    static bool processExists(qint64 pid) { return ::kill(pid_t(pid), 0) == 0; }

    LocalTransport m_transport;

private Q_SLOTS:
    void exitCodeAndStreams()
    {
        const auto r = run(QStringLiteral("echo out; echo err >&2; exit 3"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 3);
        QCOMPARE(r.stdOut, QByteArray("out\n"));
        QCOMPARE(r.stdErr, QByteArray("err\n"));
        QVERIFY(!r.stdOutTruncated);
        QVERIFY(r.wallTimeMs >= 0);
    }

    void interactiveCommandReadsWhatIsWritten()
    {
        LocalTransport transport;
        CommandRequest request;
        request.command = QStringLiteral("while read -r l; do echo \"<$l>\"; echo \"e$l\" >&2; done; exit 5");
        request.timeout = std::chrono::milliseconds(0); // none
        InteractiveJob *job = transport.startInteractive(request);
        QVERIFY(job);
        QByteArray out;
        QByteArray err;
        connect(job, &CommandJob::stdOutChunk, this, [&](const QByteArray &d) {
            out += d;
        });
        connect(job, &CommandJob::stdErrChunk, this, [&](const QByteArray &d) {
            err += d;
        });
        QSignalSpy done(job, &CommandJob::finished);
        job->write("a\n"); // before the process has started: kept until then
        QTRY_COMPARE_WITH_TIMEOUT(out, QByteArray("<a>\n"), 30000);
        job->write("b\n");
        QTRY_COMPARE_WITH_TIMEOUT(out, QByteArray("<a>\n<b>\n"), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(err, QByteArray("ea\neb\n"), 30000);
        job->closeStdin();
        QVERIFY(done.wait(30000));
        const CommandResult r = done.first().first().value<CommandResult>();
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 5);
        QVERIFY(r.stdOut.isEmpty()); // streamed only
    }

    void wallTimeIsMeasured()
    {
        const auto r = run(QStringLiteral("sleep 0.3"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QVERIFY2(r.wallTimeMs >= 280 && r.wallTimeMs < 60000, qPrintable(QString::number(r.wallTimeMs)));
    }

    void outputStreamsAsItArrives()
    {
        // The command cannot end before the test writes to the FIFO, which it does only once the
        // first line has arrived: that line came while the command was still running.
        QTemporaryDir dir;
        const QString fifo = dir.filePath(QStringLiteral("go"));
        QCOMPARE(::mkfifo(QFile::encodeName(fifo).constData(), 0600), 0);
        CommandRequest req;
        req.command = QStringLiteral("echo first; read x < %1; echo second").arg(fifo);
        CommandJob *job = m_transport.start(req);
        QSignalSpy chunks(job, &CommandJob::stdOutChunk);
        QSignalSpy done(job, &CommandJob::finished);
        QVERIFY(chunks.wait(30000));
        QCOMPARE(chunks.first().at(0).toByteArray(), QByteArray("first\n"));
        QCOMPARE(done.count(), 0);
        QFile go(fifo);
        QVERIFY(go.open(QIODevice::WriteOnly));
        go.write("x\n");
        go.close();
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).value<CommandResult>().outcome, CommandOutcome::Exited);
    }

    void timeoutKillsTheWholeProcessTree()
    {
        QTemporaryDir dir;
        QVERIFY(dir.isValid());
        const QString pidFile = dir.filePath(QStringLiteral("pids"));
        // A child in the background and a grandchild under another shell; both must die with the command.
        const QString cmd
            = QStringLiteral("sleep 100 & echo $! > %1; sh -c 'sleep 101 & echo $! >> %1; wait' & wait").arg(pidFile);
        const auto r = run(cmd, 700ms);
        QCOMPARE(r.outcome, CommandOutcome::Timeout);
        QCOMPARE(r.exitCode, -1);
        QVERIFY(r.wallTimeMs >= 650);
        QVERIFY2(r.wallTimeMs < 5000, "the timeout must not wait for the children");
        QFile f(pidFile);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QList<QByteArray> pids = f.readAll().trimmed().split('\n');
        QCOMPARE(pids.size(), 2);
        for (const QByteArray &pid : pids) {
            // SIGKILL is immediate, but reaping by init can lag a moment.
            QTRY_VERIFY_WITH_TIMEOUT(!processExists(pid.toLongLong()), 30000);
        }
    }

    void sessionStaysUsableAfterTimeout()
    {
        QCOMPARE(run(QStringLiteral("sleep 100"), 300ms).outcome, CommandOutcome::Timeout);
        const auto r = run(QStringLiteral("echo still here"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.stdOut, QByteArray("still here\n"));
    }

    void cancelStopsQuickly()
    {
        CommandRequest req;
        req.command = QStringLiteral("sleep 100");
        CommandJob *job = m_transport.start(req);
        QSignalSpy done(job, &CommandJob::finished);
        QTimer::singleShot(200, job, &CommandJob::cancel);
        QVERIFY(done.wait(30000));
        QCOMPARE(done.first().at(0).value<CommandResult>().outcome, CommandOutcome::Cancelled);
    }

    void cancelBeforeStartRunsNothing()
    {
        QTemporaryDir dir;
        const QString marker = dir.filePath(QStringLiteral("ran"));
        CommandRequest req;
        req.command = QStringLiteral("touch %1").arg(marker);
        CommandJob *job = m_transport.start(req);
        QSignalSpy done(job, &CommandJob::finished);
        job->cancel();
        QVERIFY(done.count() == 1 || done.wait(30000));
        QCOMPARE(done.first().at(0).value<CommandResult>().outcome, CommandOutcome::Cancelled);
        QTest::qWait(300); // give a wrongly started process the time to leave its mark
        QVERIFY(!QFile::exists(marker));
    }

    void largeOutputIsCappedAndDrained()
    {
        // 5 MiB on stdout and 3 MiB on stderr with a 1 MiB cap: the command must still finish
        // (the pipe is drained) and the result says it was cut.
        const auto r = run(QStringLiteral("head -c 5242880 /dev/zero; head -c 3145728 /dev/zero >&2; echo done >&2"));
        QCOMPARE(r.outcome, CommandOutcome::Exited);
        QCOMPARE(r.exitCode, 0);
        QCOMPARE(r.stdOut.size(), 1024 * 1024);
        QCOMPARE(r.stdErr.size(), 1024 * 1024);
        QVERIFY(r.stdOutTruncated);
        QVERIFY(r.stdErrTruncated);
    }

    void outputAtTheCapIsNotTruncated()
    {
        const auto r = run(QStringLiteral("head -c 4096 /dev/zero"), 10s, 4096);
        QCOMPARE(r.stdOut.size(), 4096);
        QVERIFY(!r.stdOutTruncated);
    }

    void binaryOutputIsKeptExactly()
    {
        const auto r = run(QStringLiteral("printf '\\377\\376\\000\\001abc\\200\\n'"));
        QCOMPARE(r.stdOut,
            QByteArray("\xff\xfe\x00\x01"
                       "abc\x80\n",
                9));
    }

    void signalIsReported()
    {
        const auto r = run(QStringLiteral("kill -TERM $$"));
        QCOMPARE(r.outcome, CommandOutcome::Signalled);
        QCOMPARE(r.signal, int(SIGTERM));
        QCOMPARE(r.exitCode, -1);
    }

    void quotingReachesTheShellIntact()
    {
        const auto r = run(QStringLiteral("printf '%s' \"it's \\$HOME\""));
        QCOMPARE(r.stdOut, QByteArray("it's $HOME"));
    }
};

QTEST_GUILESS_MAIN(TestLocalTransport)
#include "tst_localtransport.moc"
