#include "common/shellquote.h"
#include "plan/planrunner.h"
#include "plan/probes.h"
#include "transport/localtransport.h"

#include <QDir>
#include <QFile>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace nestscope;
using namespace std::chrono_literals;

namespace {

/// A tiny HTTP/1.0 server on 127.0.0.1 in the test's own event loop: "/ok" is 200, "/slow"
/// answers after 3 s, anything else is 404. Real curl and wget talk to it through real sockets.
class TinyHttpServer : public QObject {
public:
    TinyHttpServer()
    {
        QObject::connect(&m_server, &QTcpServer::newConnection, this, [this] {
            while (QTcpSocket *sock = m_server.nextPendingConnection()) {
                QObject::connect(sock, &QTcpSocket::readyRead, sock, [sock] {
                    const QByteArray request = sock->readAll();
                    const QByteArray path = request.split(' ').value(1);
                    auto reply = [sock](const QByteArray &status) {
                        if (sock->state() != QAbstractSocket::ConnectedState) {
                            return;
                        }
                        sock->write(
                            "HTTP/1.0 " + status + "\r\nContent-Type: text/plain\r\nContent-Length: 2\r\n\r\nhi");
                        sock->disconnectFromHost();
                    };
                    if (path == "/slow") {
                        QTimer::singleShot(3000, sock, [reply] {
                            reply("200 OK");
                        });
                    } else {
                        reply(path == "/ok" ? QByteArray("200 OK") : QByteArray("404 Not Found"));
                    }
                });
                QObject::connect(sock, &QTcpSocket::disconnected, sock, &QObject::deleteLater);
            }
        });
        m_server.listen(QHostAddress::LocalHost);
    }
    QString url(const QString &path) const
    {
        return QStringLiteral("http://127.0.0.1:%1%2").arg(m_server.serverPort()).arg(path);
    }

private:
    QTcpServer m_server;
};

Probe httpProbe(const QString &url, std::chrono::milliseconds timeout = 5s)
{
    Probe p;
    p.id = QStringLiteral("web");
    p.kind = ProbeKind::Http;
    p.url = QUrl(url);
    p.timeout = timeout;
    return p;
}

} // namespace

class TestProbes : public QObject {
    Q_OBJECT

private:
    Sample runProbe(const Probe &probe)
    {
        Plan plan;
        plan.name = QStringLiteral("t");
        plan.targets = { QStringLiteral("runner") };
        plan.probes = { probe };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        [&] {
            QVERIFY(done.wait(int(probe.timeout.count()) + 10000));
        }();
        return runner.run().samples.value(0);
    }

    LocalTransport m_transport;
    TinyHttpServer m_http;
    QByteArray m_path;

private Q_SLOTS:
    void initTestCase() { m_path = qgetenv("PATH"); }
    void cleanup() { qputenv("PATH", m_path); }

    void httpCompilesWithQuotedUrl()
    {
        Probe p = httpProbe(QStringLiteral("http://x.test/a'b;rm -rf /"));
        const QString cmd = compileProbe(p);
        // The URL reaches curl and wget as one quoted word; the quote inside cannot end it.
        QVERIFY2(cmd.contains(QStringLiteral("-- 'http://x.test/a'\\''b;rm%20-rf%20/'")), qPrintable(cmd));
        QVERIFY(cmd.contains(QStringLiteral("command -v curl")));
        QVERIFY(cmd.contains(QStringLiteral("wget")));
    }

    void quotedWordsReachTheShellIntact_data()
    {
        QTest::addColumn<QString>("word");
        QTest::newRow("plain") << "abc";
        QTest::newRow("empty") << "";
        QTest::newRow("spaces") << "a b  c";
        QTest::newRow("single quote") << "it's";
        QTest::newRow("injection") << "x'; touch /tmp/nestscope-pwned; echo '";
        QTest::newRow("expansions") << "$HOME `id` $(id) \\ \"";
        QTest::newRow("newline") << "a\nb";
        QTest::newRow("glob") << "*?[a]";
        QTest::newRow("unicode") << "Grüße ✓";
    }

    void quotedWordsReachTheShellIntact()
    {
        QFETCH(QString, word);
        CommandRequest req;
        req.command = QStringLiteral("printf %s ") + shellQuote(word);
        CommandJob *job = m_transport.start(req);
        QSignalSpy done(job, &CommandJob::finished);
        QVERIFY(done.wait(5000));
        const auto r = done.first().at(0).value<CommandResult>();
        QCOMPARE(QString::fromUtf8(r.stdOut), word);
        QVERIFY(!QFile::exists(QStringLiteral("/tmp/nestscope-pwned")));
    }

    void httpPassWithCurlTimings()
    {
        const Sample s = runProbe(httpProbe(m_http.url(QStringLiteral("/ok"))));
        QCOMPARE(s.status, SampleStatus::Pass);
        QVERIFY2(s.message.isEmpty(), qPrintable(s.message));
        for (const char *phase : { "dns", "connect", "tls", "first_byte", "total" }) {
            QVERIFY2(s.phasesMs.contains(QLatin1String(phase)), phase);
        }
        QVERIFY(s.latencyMs > 0);
        QCOMPARE(s.latencyMs, s.phasesMs.value(QStringLiteral("total")));
        QVERIFY(s.command.startsWith(QStringLiteral("if command -v curl")));
    }

    void httpWrongStatusFails()
    {
        const Sample s = runProbe(httpProbe(m_http.url(QStringLiteral("/missing"))));
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("HTTP 404, expected 2xx or 3xx"));
        Probe expect404 = httpProbe(m_http.url(QStringLiteral("/missing")));
        expect404.expectStatus = { 404 };
        QCOMPARE(runProbe(expect404).status, SampleStatus::Pass);
    }

    void httpConnectionRefusedFails()
    {
        // A port that was just free: nothing listens, curl reports exit 7.
        QTcpServer s;
        QVERIFY(s.listen(QHostAddress::LocalHost));
        const quint16 port = s.serverPort();
        s.close();
        const Sample sample = runProbe(httpProbe(QStringLiteral("http://127.0.0.1:%1/").arg(port)));
        QCOMPARE(sample.status, SampleStatus::Fail);
        QVERIFY2(
            sample.message.startsWith(QStringLiteral("no HTTP response (curl exit 7)")), qPrintable(sample.message));
    }

    void httpSlowServerTimesOut()
    {
        const Sample s = runProbe(httpProbe(m_http.url(QStringLiteral("/slow")), 1500ms));
        QCOMPARE(s.status, SampleStatus::Timeout);
        QVERIFY(s.latencyMs < 3000);
    }

    void httpFallsBackToWget()
    {
        // A PATH where wget exists and curl does not, as on many minimal images.
        QTemporaryDir bin;
        QVERIFY(QFile::link(QStringLiteral("/usr/bin/wget"), bin.filePath(QStringLiteral("wget"))));
        qputenv("PATH", bin.path().toUtf8()); // /bin is /usr/bin on Debian 12 and has curl
        const Sample ok = runProbe(httpProbe(m_http.url(QStringLiteral("/ok"))));
        QCOMPARE(ok.status, SampleStatus::Pass);
        QVERIFY2(ok.stdErr.contains("HTTP/1.0 200"), ok.stdErr.constData());
        QVERIFY(!ok.phasesMs.contains(QStringLiteral("dns"))); // wget has no phase timings
        const Sample missing = runProbe(httpProbe(m_http.url(QStringLiteral("/missing"))));
        QCOMPARE(missing.status, SampleStatus::Fail);
        QCOMPARE(missing.message, QStringLiteral("HTTP 404, expected 2xx or 3xx"));
    }

    void httpWithoutAnyClientIsAnError()
    {
        QTemporaryDir empty;
        qputenv("PATH", empty.path().toUtf8());
        const Sample s = runProbe(httpProbe(m_http.url(QStringLiteral("/ok"))));
        QCOMPARE(s.status, SampleStatus::Error);
        QCOMPARE(s.message, QStringLiteral("nestscope: neither curl nor wget is installed on this target"));
    }

    void shellVerdicts_data()
    {
        QTest::addColumn<QString>("command");
        QTest::addColumn<int>("expectExit");
        QTest::addColumn<QString>("expectStdout");
        QTest::addColumn<int>("status");
        QTest::addColumn<QString>("message");
        QTest::newRow("pass") << "true" << 0 << QString() << int(SampleStatus::Pass) << QString();
        QTest::newRow("fail") << "echo boom >&2; exit 2" << 0 << QString() << int(SampleStatus::Fail)
                              << "exit code 2, expected 0: boom";
        QTest::newRow("expected non-zero") << "exit 3" << 3 << QString() << int(SampleStatus::Pass) << QString();
        QTest::newRow("regex match") << "echo 6.1.0-amd64" << 0 << "^\\d+\\.\\d+" << int(SampleStatus::Pass)
                                     << QString();
        QTest::newRow("regex miss") << "echo none" << 0 << "^default " << int(SampleStatus::Fail)
                                    << "output does not match /^default /";
        QTest::newRow("timeout") << "sleep 30" << 0 << QString() << int(SampleStatus::Timeout)
                                 << "no answer within 500 ms; the command was killed";
        QTest::newRow("signal") << "kill -KILL $$" << 0 << QString() << int(SampleStatus::Error)
                                << "killed by signal 9";
    }

    void shellVerdicts()
    {
        QFETCH(QString, command);
        QFETCH(int, expectExit);
        QFETCH(QString, expectStdout);
        QFETCH(int, status);
        QFETCH(QString, message);
        Probe p;
        p.id = QStringLiteral("sh");
        p.kind = ProbeKind::Shell;
        p.command = command;
        p.expectExit = expectExit;
        p.expectStdout = expectStdout;
        p.timeout = 500ms;
        const Sample s = runProbe(p);
        QCOMPARE(int(s.status), status);
        QCOMPARE(s.message, message);
        QCOMPARE(s.command, command);
    }

    void runnerRespectsConcurrencyAndOrder()
    {
        QTemporaryDir dir;
        Plan plan;
        plan.name = QStringLiteral("c");
        plan.targets = { QStringLiteral("runner") };
        plan.concurrency = 3;
        // Each command records how many run at once by counting files in a shared folder.
        Probe p;
        p.id = QStringLiteral("count");
        p.kind = ProbeKind::Shell;
        p.timeout = 10s;
        p.repeat = 12;
        p.command = QStringLiteral("d=%1; f=$d/$$; touch $f; ls $d | grep -v max | wc -l >> $d/max; sleep 0.2; rm $f")
                        .arg(dir.path());
        plan.probes = { p };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy progress(&runner, &PlanRunner::progress);
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        QVERIFY(done.wait(20000));
        QCOMPARE(done.first().at(0).toBool(), false);
        QCOMPARE(runner.run().samples.size(), 12);
        QCOMPARE(runner.run().count(SampleStatus::Pass), 12);
        QCOMPARE(progress.last().at(0).toInt(), 12);
        QFile f(dir.filePath(QStringLiteral("max")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        int peak = 0;
        for (const QByteArray &line : f.readAll().split('\n')) {
            peak = std::max(peak, line.trimmed().toInt());
        }
        QVERIFY2(peak >= 2 && peak <= 3, qPrintable(QString::number(peak)));
    }

    void cancelStopsInFlightCommandsWithinASecond()
    {
        Plan plan;
        plan.name = QStringLiteral("c");
        plan.targets = { QStringLiteral("runner") };
        plan.concurrency = 2;
        Probe p;
        p.id = QStringLiteral("sleep");
        p.kind = ProbeKind::Shell;
        p.command = QStringLiteral("sleep 60");
        p.timeout = 120s;
        p.repeat = 5;
        plan.probes = { p };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        QTRY_VERIFY(runner.isRunning());
        QElapsedTimer t;
        QTimer::singleShot(300, &runner, [&] {
            t.start();
            runner.cancel();
        });
        QVERIFY(done.wait(5000));
        QVERIFY2(t.elapsed() < 1000, qPrintable(QString::number(t.elapsed())));
        QCOMPARE(done.first().at(0).toBool(), true);
        QVERIFY(runner.run().cancelled);
        // The two in flight are kept as skipped; the three never started are not invented.
        QCOMPARE(runner.run().samples.size(), 2);
        QCOMPARE(runner.run().count(SampleStatus::Skipped), 2);
    }
};

QTEST_GUILESS_MAIN(TestProbes)
#include "tst_probes.moc"
