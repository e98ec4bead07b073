#include "common/shellquote.h"
#include "plan/plan.h"
#include "plan/planrunner.h"
#include "plan/probes.h"
#include "results/runstats.h"
#include "transport/localtransport.h"

#include <QDir>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

using namespace nestscope;
using namespace std::chrono_literals;

namespace {

/// A tiny HTTP/1.0 server on 127.0.0.1 in the test's own event loop: "/ok" is 200, "/slow"
/// answers after 3 s, "/bytes/N" is a body of N bytes, "/stall/N" promises N bytes, sends 1000
/// and then nothing more (a path-MTU black hole seen from the client), anything else is 404.
/// Real curl and wget talk to it through real sockets.
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
                    if (path.startsWith("/bytes/") || path.startsWith("/stall/")) {
                        const qint64 n = path.mid(7).toLongLong();
                        const bool stall = path.startsWith("/stall/");
                        sock->write("HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: "
                            + QByteArray::number(n) + "\r\n\r\n"
                            + QByteArray(stall ? std::min<qint64>(n, 1000) : n, 'x'));
                        if (!stall) {
                            sock->disconnectFromHost();
                        }
                    } else if (path == "/slow") {
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

// A folder of stand-in programs, for the cases this machine cannot produce for real
// (an apt mirror failing, a path MTU of 1400). Everything else runs the real tools.
class FakeTools {
public:
    void add(const QString &name, const QByteArray &script)
    {
        QFile f(m_dir.filePath(name));
        f.open(QIODevice::WriteOnly);
        f.write("#!/bin/sh\n" + script);
        f.close();
        f.setPermissions(QFileDevice::ReadOwner | QFileDevice::WriteOwner | QFileDevice::ExeOwner);
    }
    QString path() const { return m_dir.path(); }

private:
    QTemporaryDir m_dir;
};

Probe probeOf(ProbeKind kind, const QString &host = {}, std::chrono::milliseconds timeout = 5s)
{
    Probe p;
    p.id = QStringLiteral("p");
    p.kind = kind;
    p.host = host;
    p.timeout = timeout;
    return p;
}

/// The local machine seen as another target: every command runs with TARGET set to its name, so
/// one plan can behave differently per target (as an instance behind a broken bridge does).
class NamedLocalTransport : public Transport {
public:
    NamedLocalTransport(LocalTransport &local, QString name)
        : m_local(local)
        , m_name(std::move(name))
    {
    }
    QString description() const override { return m_name; }
    CommandJob *start(const CommandRequest &request) override
    {
        CommandRequest r = request;
        r.command = QStringLiteral("TARGET=%1; %2").arg(m_name, request.command);
        return m_local.start(r);
    }

private:
    LocalTransport &m_local;
    QString m_name;
};

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
    QTemporaryDir m_marker;

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
        QTest::newRow("injection")
            << QStringLiteral("x'; touch %1; echo '").arg(m_marker.filePath(QStringLiteral("pwned")));
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
        QVERIFY(done.wait(30000));
        const auto r = done.first().at(0).value<CommandResult>();
        QCOMPARE(QString::fromUtf8(r.stdOut), word);
        QVERIFY(!QFile::exists(m_marker.filePath(QStringLiteral("pwned"))));
    }

    void variablesReachTheShellAsTheirValue_data()
    {
        // The command as written in a plan's literal block; ${v} and ${n} are plan variables, set
        // to the value and the number below (--var), so a value cannot be anywhere in the plan text.
        QTest::addColumn<QByteArray>("command");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("expected"); // stdout; MARK stands for the marker file's path

        const QString marker = m_marker.filePath(QStringLiteral("pwned"));
        const QString nasty
            = QStringLiteral("$(touch %1) `touch %1` \"dq\" 'sq' \\ ; | & $HOME *\nEOF\n${n}").arg(marker);
        QTest::newRow("plain word") << QByteArray("printf '[%s]' ${v}") << nasty << QStringLiteral("[%1]").arg(nasty);
        QTest::newRow("in double quotes")
            << QByteArray("printf '%s' \"<${v}>\"") << nasty << QStringLiteral("<%1>").arg(nasty);
        QTest::newRow("here-document") << QByteArray("cat <<EOF\nvalue: ${v}\nEOF") << QStringLiteral("hello")
                                       << QStringLiteral("value: hello\n");
        QTest::newRow("here-document, nasty value")
            << QByteArray("cat <<EOF\n${v}\nEOF") << nasty << nasty + QLatin1Char('\n');
        QTest::newRow("here-document with <<-") << QByteArray("cat <<-END\n\t${v} \"quoted\" 'too'\n\tEND")
                                                << QStringLiteral("a b") << QStringLiteral("a b \"quoted\" 'too'\n");
        QTest::newRow("two here-documents, then a word")
            << QByteArray("cat <<A; cat <<\"B\"; printf '%s' ${v}\n1 ${v}\nA\n2 $HOME\nB") << QStringLiteral("x y")
            << QStringLiteral("1 x y\n2 $HOME\nx y");
        QTest::newRow("arithmetic") << QByteArray("echo $(( ${n} + 1 )) $((${n}*2))") << QStringLiteral("x")
                                    << QStringLiteral("42 82\n");
        QTest::newRow("arithmetic in a here-document")
            << QByteArray("cat <<EOF\n$(( ${n} - 1 )) ${v}\nEOF") << QStringLiteral("v") << QStringLiteral("40 v\n");
        QTest::newRow("a shift is not a here-document")
            << QByteArray("echo $(( 1 << ${n} / 8 )) ${v}") << QStringLiteral("a  b") << QStringLiteral("32 a  b\n");
        QTest::newRow("substitution in double quotes")
            << QByteArray("printf '[%s]' \"$(printf '%s' \"${v}\")\"") << nasty << QStringLiteral("[%1]").arg(nasty);
        QTest::newRow("here-document in a substitution")
            << QByteArray("printf '[%s]' \"$(cat <<EOF\n${v}\nEOF\n)\"") << nasty << QStringLiteral("[%1]").arg(nasty);
        QTest::newRow("backquotes in double quotes")
            << QByteArray("printf '[%s]' \"`printf '%s' ${v}`\"") << QStringLiteral("a  b") << QStringLiteral("[a  b]");
        QTest::newRow("case in a substitution")
            << QByteArray("printf '[%s]' \"$(case a in a) printf '%s' ${v};; esac)\" $(case b in (b) echo ${v};; esac)")
            << QStringLiteral("a  b") << QStringLiteral("[a  b][a][b]");
        QTest::newRow("apostrophe in a comment")
            << QByteArray("# don't split ${v}\nprintf '[%s]' ${v}") << QStringLiteral("a b") << QStringLiteral("[a b]");
        QTest::newRow("default of a shell variable") << QByteArray("printf '[%s]' ${nestscope_unset:-${v}}")
                                                     << QStringLiteral("a  b") << QStringLiteral("[a  b]");
    }

    void variablesReachTheShellAsTheirValue()
    {
        QFETCH(QByteArray, command);
        QFETCH(QString, value);
        QFETCH(QString, expected);
        QByteArray yaml = "variables: {v: x, n: 0}\nprobes:\n  - id: p\n    kind: shell\n    command: |\n";
        for (const QByteArray &line : command.split('\n')) {
            yaml += "      " + line + '\n';
        }
        const auto plan = parsePlan(yaml, QStringLiteral("p.yaml"),
            { { QStringLiteral("v"), value }, { QStringLiteral("n"), QStringLiteral("41") } });
        QVERIFY2(plan.ok(), qPrintable(plan.ok() ? QString() : plan.error().toString()));
        CommandRequest req;
        req.command = plan->probes.at(0).command;
        CommandJob *job = m_transport.start(req); // /bin/sh -c: dash on Debian
        QSignalSpy done(job, &CommandJob::finished);
        QVERIFY(done.wait(10000));
        const auto r = done.first().at(0).value<CommandResult>();
        QVERIFY2(r.stdErr.isEmpty(), r.stdErr.constData());
        QCOMPARE(QString::fromUtf8(r.stdOut), expected);
        QCOMPARE(r.exitCode, 0);
        QVERIFY(!QFile::exists(m_marker.filePath(QStringLiteral("pwned"))));
        // Where sh is bash (Fedora, Arch) the same command must give the same.
        if (QFile::exists(QStringLiteral("/bin/bash"))) {
            QProcess bash;
            bash.start(QStringLiteral("/bin/bash"), { QStringLiteral("-c"), req.command });
            QVERIFY(bash.waitForFinished(10000));
            QCOMPARE(bash.readAllStandardError(), QByteArray());
            QCOMPARE(QString::fromUtf8(bash.readAllStandardOutput()), expected);
            QVERIFY(!QFile::exists(m_marker.filePath(QStringLiteral("pwned"))));
        }
    }

    void variablesThatCannotBeFilledInSafelyAreRefused_data()
    {
        QTest::addColumn<QByteArray>("command");
        QTest::addColumn<QString>("value");
        QTest::addColumn<QString>("message");
        QTest::addColumn<int>("column");
        const QString marker = m_marker.filePath(QStringLiteral("pwned"));
        QTest::newRow("arithmetic, not a number")
            << QByteArray("echo $(( ${v} + 1 ))") << QStringLiteral("x[$(touch %1)]").arg(marker)
            << QStringLiteral("uses ${v} inside $(( )), where only a whole number") << 14;
        QTest::newRow("arithmetic, empty")
            << QByteArray("echo $(( ${v} + 1 ))") << QString() << QStringLiteral("only a whole number") << 14;
        QTest::newRow("arithmetic, octal")
            << QByteArray("echo $(( ${v} + 1 ))") << QStringLiteral("010") << QStringLiteral("no leading zeros") << 14;
        QTest::newRow("quoted here-document")
            << QByteArray("cat <<'EOF'\n${v}\nEOF") << QStringLiteral("x")
            << QStringLiteral("uses ${v} in a here-document with a quoted delimiter") << 14;
        QTest::newRow("single quotes") << QByteArray("echo '${v}'") << QStringLiteral("x")
                                       << QStringLiteral("inside single quotes") << 14;
    }

    void variablesThatCannotBeFilledInSafelyAreRefused()
    {
        QFETCH(QByteArray, command);
        QFETCH(QString, value);
        QFETCH(QString, message);
        QFETCH(int, column);
        QByteArray yaml = "variables: {v: x}\nprobes:\n  - id: p\n    kind: shell\n    command: |\n";
        for (const QByteArray &line : command.split('\n')) {
            yaml += "      " + line + '\n';
        }
        const auto plan = parsePlan(yaml, QStringLiteral("p.yaml"), { { QStringLiteral("v"), value } });
        QVERIFY(!plan.ok());
        QVERIFY2(plan.error().message.contains(message), qPrintable(plan.error().message));
        QCOMPARE(plan.error().line, 5);
        QCOMPARE(plan.error().column, column);
        QVERIFY(!QFile::exists(m_marker.filePath(QStringLiteral("pwned"))));
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

    void factsOnThisMachine()
    {
        Probe p = probeOf(ProbeKind::Fact);
        p.fact = FactKind::Resolver;
        QCOMPARE(runProbe(p).status, SampleStatus::Pass);
        p.fact = FactKind::Ipv4Address;
        const Sample v4 = runProbe(p);
        QCOMPARE(v4.status, SampleStatus::Pass); // this machine has a global IPv4 address (eth0)
        QVERIFY(v4.stdOut.contains(" inet "));
        p.fact = FactKind::Ipv6Enabled;
        QCOMPARE(runProbe(p).status, SampleStatus::Pass);
    }

    void factsThatDoNotHold()
    {
        FakeTools tools;
        tools.add(QStringLiteral("ip"), "exit 0\n"); // a runner without addresses or routes
        qputenv("PATH", tools.path().toUtf8() + ":/usr/bin:/bin");
        Probe p = probeOf(ProbeKind::Fact);
        p.fact = FactKind::Ipv4Address;
        Sample s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("no global IPv4 address"));
        p.fact = FactKind::Ipv6DefaultRoute;
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("no IPv6 default route"));

        QTemporaryDir empty;
        qputenv("PATH", empty.path().toUtf8());
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Error);
        QCOMPARE(s.message, QStringLiteral("nestscope: ip (iproute2) is not installed on this target"));
    }

    void dnsWithGetent()
    {
        Probe p = probeOf(ProbeKind::Dns, QStringLiteral("localhost"));
        p.family = Family::IPv4;
        const Sample a = runProbe(p);
        QCOMPARE(a.status, SampleStatus::Pass);
        QVERIFY(a.stdOut.contains("127.0.0.1"));
        QVERIFY2(a.stdErr.contains("nestscope-dns-us="), a.stdErr.constData()); // timed inside the target
        QVERIFY(a.latencyMs < 1000);

        // getent ahostsv6 also lists IPv4-mapped addresses; they are not AAAA records.
        FakeTools tools;
        tools.add(QStringLiteral("getent"), "echo '::ffff:10.1.2.3 STREAM www.lab.test'; exit 0\n");
        qputenv("PATH", tools.path().toUtf8() + ":/bin");
        p.host = QStringLiteral("www.lab.test");
        p.family = Family::IPv6;
        Sample aaaa = runProbe(p);
        QCOMPARE(aaaa.status, SampleStatus::Fail);
        QCOMPARE(aaaa.message, QStringLiteral("no AAAA record for www.lab.test (or the resolver did not answer)"));
        tools.add(QStringLiteral("getent"), "echo 'fd42:77::10 STREAM www.lab.test'; echo '::ffff:10.1.2.3 STREAM'\n");
        aaaa = runProbe(p);
        QCOMPARE(aaaa.status, SampleStatus::Pass);
    }

    void dnsWithDig()
    {
        // dig's layout: the question line starts with ';', answers are "name TTL IN TYPE address".
        FakeTools tools;
        tools.add(QStringLiteral("dig"),
            "echo '; <<>> DiG 9.18.28 <<>> +time=2 +tries=2 www.lab.test AAAA'\n"
            "echo ';; ->>HEADER<<- opcode: QUERY, status: NXDOMAIN, id: 4242'\n"
            "echo ';; QUESTION SECTION:'\necho ';www.lab.test.\t\t\tIN\tAAAA'\necho\n"
            "echo ';; Query time: 3 msec'\n");
        qputenv("PATH", tools.path().toUtf8() + ":/bin");
        Probe p = probeOf(ProbeKind::Dns, QStringLiteral("www.lab.test"));
        p.family = Family::IPv6;
        Sample s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("www.lab.test AAAA: NXDOMAIN"));
        QCOMPARE(s.latencyMs, 3.0);

        tools.add(QStringLiteral("dig"),
            "echo '; <<>> DiG 9.18.28 <<>> +time=2 +tries=2 www.lab.test AAAA'\n"
            "echo ';; ->>HEADER<<- opcode: QUERY, status: NOERROR, id: 4243'\n"
            "echo ';; QUESTION SECTION:'\necho ';www.lab.test.\t\t\tIN\tAAAA'\necho\n"
            "echo ';; ANSWER SECTION:'\necho 'www.lab.test.\t\t300\tIN\tAAAA\tfd42:77:100::80'\necho\n"
            "echo ';; Query time: 2 msec'\n");
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Pass);
        // An A answer does not make an AAAA probe pass.
        p.family = Family::IPv4;
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
    }

    // A bulk transfer keeps its bytes and throughput (not as durations), and fails when less
    // than min_bytes arrives; one that stalls after the first bytes is a timeout that says so.
    void bulkTransfer()
    {
        Probe p = httpProbe(m_http.url(QStringLiteral("/bytes/200000")), 30s);
        p.minBytes = 200000;
        const Sample ok = runProbe(p);
        QVERIFY2(ok.status == SampleStatus::Pass, qPrintable(ok.message));
        QCOMPARE(ok.phasesMs.value(QStringLiteral("download_bytes")), 200000.0);
        QVERIFY(ok.phasesMs.value(QStringLiteral("throughput_bytes_per_s")) > 0);
        QVERIFY(!runstats::phaseOrder(ok.phasesMs.keys()).contains(QStringLiteral("download_bytes")));
        QCOMPARE(runstats::formatMeasure(QStringLiteral("download_bytes"), 1048576), QStringLiteral("1.0 MiB"));

        p.url = QUrl(m_http.url(QStringLiteral("/bytes/10")));
        p.minBytes = 100;
        const Sample small = runProbe(p);
        QCOMPARE(small.status, SampleStatus::Fail);
        QCOMPARE(small.message, QStringLiteral("HTTP 200, but only 10 of 100 bytes arrived"));

        p.url = QUrl(m_http.url(QStringLiteral("/stall/500000")));
        p.minBytes = 500000;
        p.timeout = 2s;
        const Sample stalled = runProbe(p);
        QCOMPARE(stalled.status, SampleStatus::Timeout);
        QVERIFY2(
            stalled.message.startsWith(QStringLiteral("HTTP 200, then the transfer stalled: 1000 of 500000 bytes")),
            qPrintable(stalled.message));
    }

    void bulkTransferWithWget()
    {
        // Without curl, wget saves the body to a temporary file that the probe counts.
        QTemporaryDir bin;
        for (const char *tool : { "wget", "mktemp", "wc", "rm" }) {
            const QString path = QStandardPaths::findExecutable(QLatin1String(tool));
            QVERIFY2(!path.isEmpty(), tool);
            QVERIFY(QFile::link(path, bin.filePath(QLatin1String(tool))));
        }
        Probe p = httpProbe(m_http.url(QStringLiteral("/bytes/50000")), 30s);
        p.minBytes = 50000;
        qputenv("PATH", bin.path().toUtf8());
        const Sample ok = runProbe(p);
        p.minBytes = 60000;
        const Sample small = runProbe(p);
        qputenv("PATH", m_path);
        QVERIFY2(ok.status == SampleStatus::Pass, qPrintable(ok.message + QString::fromUtf8(ok.stdErr)));
        QVERIFY(ok.command.contains(QStringLiteral("wget")));
        QCOMPARE(ok.phasesMs.value(QStringLiteral("download_bytes")), 50000.0);
        QCOMPARE(small.status, SampleStatus::Fail);
        QCOMPARE(small.message, QStringLiteral("HTTP 200, but only 50000 of 60000 bytes arrived"));
    }

    void tcpConnect()
    {
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        Probe p = probeOf(ProbeKind::Tcp, QStringLiteral("127.0.0.1"));
        p.port = server.serverPort();
        p.family = Family::IPv4;
        const Sample ok = runProbe(p);
        QCOMPARE(ok.status, SampleStatus::Pass);
        QVERIFY(ok.phasesMs.contains(QStringLiteral("connect")));
        // A name with a family is resolved for that family first.
        p.host = QStringLiteral("localhost");
        QCOMPARE(runProbe(p).status, SampleStatus::Pass);
        // Without bash or nc, curl's telnet:// connects; it cannot leave on its own, so the
        // connect time decides once --max-time ends it.
        QTemporaryDir bin;
        QVERIFY(QFile::link(QStringLiteral("/usr/bin/curl"), bin.filePath(QStringLiteral("curl"))));
        qputenv("PATH", bin.path().toUtf8());
        p.host = QStringLiteral("127.0.0.1");
        p.family = Family::Any;
        p.timeout = 1500ms;
        const Sample viaCurl = runProbe(p);
        QCOMPARE(viaCurl.status, SampleStatus::Pass);
        QVERIFY(viaCurl.command.contains(QStringLiteral("telnet://127.0.0.1:")));
        QVERIFY(viaCurl.phasesMs.value(QStringLiteral("connect")) > 0);
        qputenv("PATH", m_path);
        p.timeout = 5s;
        server.close();
        const Sample refused = runProbe(p);
        QCOMPARE(refused.status, SampleStatus::Fail);
        QVERIFY2(refused.message.startsWith(QStringLiteral("cannot connect to %1 port %2").arg(p.host).arg(p.port)),
            qPrintable(refused.message));
    }

    // Each tool a target may have, alone on PATH (with what the probe's shell needs besides):
    // the probe must leave as soon as the connection is made or refused. Its timeout is long, so
    // a probe that waited for it would end as a timeout instead of a pass (the bug seen in the
    // lab: curl's telnet:// in busybox instances passed only after ~9 s of a 10 s budget).
    void tcpConnectLeavesAtOnceWithEachTool_data()
    {
        QTest::addColumn<QStringList>("tools"); // name=path links
        QTest::addColumn<QString>("connectCommand");
        const QString busybox = QFile::exists(QStringLiteral("/usr/bin/busybox")) ? QStringLiteral("/usr/bin/busybox")
                                                                                  : QStringLiteral("/bin/busybox");
        QTest::newRow("bash") << QStringList { QStringLiteral("bash=/bin/bash"),
            QStringLiteral("timeout=/usr/bin/timeout") }
                              << QStringLiteral("/dev/tcp/");
        QTest::newRow("openbsd nc") << QStringList { QStringLiteral("nc=/bin/nc.openbsd") }
                                    << QStringLiteral("nc -v -z -w");
        QTest::newRow("busybox nc") << QStringList { QStringLiteral("nc=") + busybox, QStringLiteral("true=/bin/true") }
                                    << QStringLiteral(" -e true");
    }

    void tcpConnectLeavesAtOnceWithEachTool()
    {
        QFETCH(QStringList, tools);
        QFETCH(QString, connectCommand);
        QTemporaryDir bin;
        for (const QString &t : tools + QStringList { QStringLiteral("date=/bin/date") }) {
            const QString target = t.section(QLatin1Char('='), 1);
            QVERIFY2(QFile::exists(target), qPrintable(target + QStringLiteral(" is missing (install-deps.sh)")));
            QVERIFY(QFile::link(target, bin.filePath(t.section(QLatin1Char('='), 0, 0))));
        }
        QTcpServer server; // accepts and then says nothing, like most services before a request
        QVERIFY(server.listen(QHostAddress::LocalHost));
        Probe p = probeOf(ProbeKind::Tcp, QStringLiteral("127.0.0.1"), 60s);
        p.port = server.serverPort();
        qputenv("PATH", bin.path().toUtf8());
        const Sample ok = runProbe(p);
        server.close();
        const Sample refused = runProbe(p);
        qputenv("PATH", m_path);
        QVERIFY2(
            ok.status == SampleStatus::Pass, qPrintable(ok.message + QLatin1Char('\n') + QString::fromUtf8(ok.stdErr)));
        QCOMPARE(ok.exitCode, 0);
        QVERIFY2(ok.command.contains(connectCommand), qPrintable(ok.command));
        QVERIFY(ok.phasesMs.contains(QStringLiteral("connect")));
        QCOMPARE(refused.status, SampleStatus::Fail);
        QVERIFY2(refused.message.contains(QStringLiteral("refused")), qPrintable(refused.message));
    }

    // What each nc prints when a connect times out (seen from a namespace that drops SYNs):
    // a timeout, not a failure to connect.
    void tcpTimeoutWordsOfEachTool_data()
    {
        QTest::addColumn<int>("exitCode");
        QTest::addColumn<QByteArray>("stdErr");
        QTest::newRow("openbsd nc") << 1
                                    << QByteArray("nc: connect to 10.77.100.80 port 80 (tcp) timed out: "
                                                  "Operation now in progress\n");
        QTest::newRow("busybox nc") << 1 << QByteArray("nc: timed out\n");
        QTest::newRow("bash") << 124 << QByteArray();
        QTest::newRow("curl") << 28 << QByteArray("curl: (28) Connection timed out after 9001 milliseconds\n");
    }

    void tcpTimeoutWordsOfEachTool()
    {
        QFETCH(int, exitCode);
        QFETCH(QByteArray, stdErr);
        const Probe p = probeOf(ProbeKind::Tcp, QStringLiteral("10.77.100.80"), 10s);
        CommandResult r;
        r.outcome = CommandOutcome::Exited;
        r.exitCode = exitCode;
        r.stdErr = stdErr;
        const Sample s = evaluateProbe(p, compileProbe(p), r);
        QCOMPARE(s.status, SampleStatus::Timeout);
        QVERIFY2(s.message.startsWith(QStringLiteral("no TCP answer from 10.77.100.80 port")), qPrintable(s.message));
    }

    void icmpLoopback_data()
    {
        QTest::addColumn<QString>("host");
        QTest::addColumn<int>("family");
        QTest::newRow("ipv4") << "127.0.0.1" << int(Family::IPv4);
        QTest::newRow("ipv6") << "::1" << int(Family::IPv6);
    }

    void icmpLoopback()
    {
        QFETCH(QString, host);
        QFETCH(int, family);
        Probe p = probeOf(ProbeKind::Icmp, host);
        p.family = Family(family);
        p.count = 2;
        const Sample s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Pass);
        QCOMPARE(s.phasesMs.value(QStringLiteral("loss_percent")), 0.0);
        QVERIFY(s.phasesMs.contains(QStringLiteral("rtt_avg")));
        QVERIFY(s.latencyMs >= 0 && s.latencyMs < 100);
    }

    void mtuSearch()
    {
        // Loopback carries 1500-byte packets for real...
        Probe p = probeOf(ProbeKind::Mtu, QStringLiteral("127.0.0.1"), 20s);
        p.family = Family::IPv4;
        QCOMPARE(runProbe(p).status, SampleStatus::Pass);
        // ... and the binary search finds a 1400-byte path (payload 1372 + 28) with a ping that refuses more.
        FakeTools tools;
        tools.add(QStringLiteral("ping"),
            "while [ $# -gt 0 ]; do [ \"$1\" = -s ] && size=$2; shift; done; [ \"$size\" -le 1372 ]\n");
        qputenv("PATH", tools.path().toUtf8() + ":/bin");
        const Sample s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("path MTU to 127.0.0.1 is 1400 bytes, expected 1500"));
        QCOMPARE(s.phasesMs.value(QStringLiteral("path_mtu")), 1400.0);
    }

    void packageManagerErrorsAreFailures()
    {
        FakeTools tools;
        tools.add(QStringLiteral("apt-get"),
            "echo 'Hit:1 http://mirror.lab.test bookworm InRelease'; "
            "echo 'Err:2 http://security.lab.test bookworm-security InRelease'; "
            "echo '  Could not connect to security.lab.test:80'; exit 0\n");
        qputenv("PATH", tools.path().toUtf8() + ":/bin");
        Sample s = runProbe(probeOf(ProbeKind::Package));
        QCOMPARE(s.status, SampleStatus::Fail);
        QCOMPARE(s.message, QStringLiteral("Err:2 http://security.lab.test bookworm-security InRelease"));
        tools.add(QStringLiteral("apt-get"),
            "echo 'Hit:1 http://mirror.lab.test bookworm InRelease'; echo 'Reading package lists...'\n");
        s = runProbe(probeOf(ProbeKind::Package));
        QCOMPARE(s.status, SampleStatus::Pass);
        QVERIFY(s.command.contains(QStringLiteral("apt-get -q update")));
    }

    void dockerIsSkippedWhereItIsMissing()
    {
        QTemporaryDir empty;
        qputenv("PATH", empty.path().toUtf8());
        Probe p = probeOf(ProbeKind::Docker);
        p.image = QStringLiteral("library/alpine:3.19");
        Sample s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Skipped);
        QCOMPARE(s.message, QStringLiteral("docker is not installed"));

        // A CLI without a daemon (a remote context, a stopped service) is "no Docker here" too.
        FakeTools tools;
        tools.add(QStringLiteral("docker"), "echo 'Cannot connect to the Docker daemon' >&2; exit 1\n");
        qputenv("PATH", tools.path().toUtf8());
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Skipped);
        QCOMPARE(s.message, QStringLiteral("no Docker daemon answers here"));

        tools.add(QStringLiteral("docker"),
            "[ \"$1\" = info ] && exit 0; "
            "echo 'Error response from daemon: Get https://registry.lab.test/v2/: net/http: request canceled' >&2; "
            "exit 1\n");
        s = runProbe(p);
        QCOMPARE(s.status, SampleStatus::Fail);
        QVERIFY2(
            s.message.startsWith(QStringLiteral("docker pull library/alpine:3.19 failed: Error response from daemon")),
            qPrintable(s.message));
    }

    void packageManagerNeedsRootOrSudo()
    {
        FakeTools tools;
        tools.add(QStringLiteral("id"), "echo 1000\n"); // an ordinary user ...
        tools.add(QStringLiteral("apt-get"), "echo 'E: Could not open lock file' >&2; exit 100\n");
        qputenv("PATH", tools.path().toUtf8()); // ... without sudo
        const Sample s = runProbe(probeOf(ProbeKind::Package));
        QCOMPARE(s.status, SampleStatus::Error);
        QCOMPARE(s.message,
            QStringLiteral("nestscope: refreshing package indexes needs root; this user is not root and has no "
                           "passwordless sudo"));
    }

    void guards()
    {
        Plan plan;
        plan.name = QStringLiteral("g");
        plan.targets = { QStringLiteral("runner") };
        Probe failing;
        failing.id = QStringLiteral("dns");
        failing.command = QStringLiteral("exit 1");
        failing.timeout = 5s;
        Probe dependent = failing;
        dependent.id = QStringLiteral("http");
        dependent.command = QStringLiteral("true");
        dependent.when.probePassed = QStringLiteral("dns");
        Probe tool = dependent;
        tool.id = QStringLiteral("tool");
        tool.when = Guard { QStringLiteral("no-such-tool-here"), QString() };
        plan.probes = { failing, dependent, tool };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.setShuffle(true, 7); // the dependent may come first; it must still wait for dns
        runner.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(runner.run().samples.size(), 3);
        for (const Sample &s : runner.run().samples) {
            if (s.probeId == QLatin1String("http")) {
                QCOMPARE(s.status, SampleStatus::Skipped);
                QCOMPARE(s.message, QStringLiteral("guard: dns did not pass on runner (fail)"));
            } else if (s.probeId == QLatin1String("tool")) {
                QCOMPARE(s.status, SampleStatus::Skipped);
                QCOMPARE(s.message, QStringLiteral("no-such-tool-here is not installed"));
            }
        }
    }

    void perTargetLimitPauseAndRerun()
    {
        QTemporaryDir dir;
        Plan plan;
        plan.name = QStringLiteral("t");
        // Two targets on the same machine; the per-target limit of 1 must serialise each.
        plan.targets = { QStringLiteral("runner"), QStringLiteral("vm1") };
        plan.concurrency = 4;
        plan.targetConcurrency = 1;
        Probe p;
        p.id = QStringLiteral("count");
        p.timeout = 10s;
        p.repeat = 3;
        p.command = QStringLiteral("d=%1; f=$d/$$; touch $f; ls $d | grep -v max | wc -l >> $d/max; sleep 0.2; rm $f")
                        .arg(dir.path());
        plan.probes = { p };
        PlanRunner runner(
            plan, { { QStringLiteral("runner"), &m_transport }, { QStringLiteral("vm1"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        QSignalSpy paused(&runner, &PlanRunner::pausedChanged);
        runner.start();
        runner.pause();
        QCOMPARE(paused.count(), 1);
        const int before = runner.done();
        QTRY_COMPARE_WITH_TIMEOUT(runner.done(), before + 2, 30000); // paused: the two in flight finish ...
        QVERIFY(!done.wait(500)); // ... and nothing new starts
        QCOMPARE(runner.done(), before + 2);
        runner.resume();
        QVERIFY(done.wait(30000));
        QCOMPARE(runner.run().samples.size(), 6);
        QFile f(dir.filePath(QStringLiteral("max")));
        QVERIFY(f.open(QIODevice::ReadOnly));
        int peak = 0;
        for (const QByteArray &line : f.readAll().split('\n')) {
            peak = std::max(peak, line.trimmed().toInt());
        }
        QCOMPARE(peak, 2); // one per target, two targets

        done.clear();
        runner.rerunCell(QStringLiteral("count"), QStringLiteral("vm1"));
        QVERIFY(done.wait(30000));
        QCOMPARE(runner.run().samples.size(), 9);
        QCOMPARE(runner.run().samples.last().target, QStringLiteral("vm1"));
        QCOMPARE(runner.run().samples.last().repetition, 5); // reruns continue the numbering
    }

    void rerunFailedRunsOnlyFailedCells()
    {
        QTemporaryDir dir;
        Plan plan;
        plan.name = QStringLiteral("r");
        plan.targets = { QStringLiteral("runner") };
        Probe ok;
        ok.id = QStringLiteral("ok");
        ok.command = QStringLiteral("true");
        ok.timeout = 5s;
        // Fails the first time, passes once its marker exists: a flaky probe that a rerun fixes.
        Probe flaky = ok;
        flaky.id = QStringLiteral("flaky");
        flaky.command = QStringLiteral("m=%1/m; if [ -e $m ]; then exit 0; fi; touch $m; exit 1").arg(dir.path());
        // Guarded by the flaky one: skipped at first, it must run once the rerun fixes its guard.
        Probe guarded = ok;
        guarded.id = QStringLiteral("guarded");
        guarded.when.probePassed = QStringLiteral("flaky");
        plan.probes = { ok, flaky, guarded };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(runner.run().count(SampleStatus::Fail), 1);
        QCOMPARE(runner.run().count(SampleStatus::Skipped), 1);
        QVERIFY(runner.hasFailedCells());
        runner.rerunFailed();
        QVERIFY(done.wait(30000));
        QCOMPARE(runner.run().samples.size(), 5);
        for (const Sample &s : runner.run().samples.mid(3)) {
            QVERIFY2(s.status == SampleStatus::Pass, qPrintable(s.probeId + QStringLiteral(": ") + s.message));
        }
        // Every cell's newest sample passed: nothing is left to rerun.
        QVERIFY(!runner.hasFailedCells());
        runner.rerunFailed();
        QVERIFY(!runner.isRunning());
        QCOMPARE(runner.run().samples.size(), 5);
    }

    void expectations()
    {
        Plan plan;
        plan.expectations = { Expectation { QStringLiteral("http*"), QStringLiteral("vm*"), false } };
        Sample s;
        s.probeId = QStringLiteral("http-v4");
        s.target = QStringLiteral("vm1");
        s.status = SampleStatus::Timeout;
        QVERIFY(expectationHolds(plan, s)); // expected to fail, and it did
        s.status = SampleStatus::Pass;
        QVERIFY(!expectationHolds(plan, s));
        s.target = QStringLiteral("runner");
        QVERIFY(expectationHolds(plan, s));
        s.status = SampleStatus::Error;
        QVERIFY(!expectationHolds(plan, s));
        s.status = SampleStatus::Skipped;
        QVERIFY(expectationHolds(plan, s));
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
        QVERIFY(done.wait(30000));
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

    void firstRepetitionRunsTheDiscriminatingProbesFirst()
    {
        // Written slowest layer first; the first repetition runs DNS and TCP connect, then ICMP,
        // then HTTP, then the bulk transfer; the second keeps the plan's own order.
        QTcpServer server;
        QVERIFY(server.listen(QHostAddress::LocalHost));
        Plan plan;
        plan.name = QStringLiteral("order");
        plan.targets = { QStringLiteral("runner") };
        plan.concurrency = 1;
        Probe bulk = httpProbe(m_http.url(QStringLiteral("/bytes/100")));
        bulk.id = QStringLiteral("bulk");
        bulk.minBytes = 100;
        Probe web = httpProbe(m_http.url(QStringLiteral("/ok")));
        Probe ping = probeOf(ProbeKind::Icmp, QStringLiteral("127.0.0.1"));
        ping.id = QStringLiteral("ping");
        Probe tcp = probeOf(ProbeKind::Tcp, QStringLiteral("127.0.0.1"));
        tcp.id = QStringLiteral("tcp");
        tcp.port = server.serverPort();
        Probe dns = probeOf(ProbeKind::Dns, QStringLiteral("localhost"));
        dns.id = QStringLiteral("dns");
        for (Probe *q : { &ping, &tcp, &dns }) {
            q->family = Family::IPv4;
        }
        plan.probes = { bulk, web, ping, tcp, dns };
        for (Probe &p : plan.probes) {
            p.repeat = 2;
        }
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QStringList order;
        connect(&runner, &PlanRunner::sampleFinished, this, [&](const Sample &s) {
            order << QStringLiteral("%1#%2").arg(s.probeId).arg(s.repetition);
        });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        QVERIFY(done.wait(60000));
        QCOMPARE(order.join(QLatin1Char(' ')),
            QStringLiteral("tcp#0 dns#0 ping#0 web#0 bulk#0 bulk#1 web#1 ping#1 tcp#1 dns#1"));
        QVERIFY(PlanRunner::verdictTier(tcp) < PlanRunner::verdictTier(ping));
        QVERIFY(PlanRunner::verdictTier(web) < PlanRunner::verdictTier(bulk));
    }

    void targetsWhoseProbesHangCannotStarveTheRunner()
    {
        // Two instances whose probes all hang until cancelled, a runner where two of six hang, and as
        // many slots as the instances could fill (4 each, 8 in all): the runner keeps its share of
        // the slots and finishes its other probes while everything else still hangs. (Before, the instances took
        // all 8 and the runner waited for their timeouts: the verdict, which needs the runner's
        // passes, came only after them.)
        Plan plan;
        plan.name = QStringLiteral("starve");
        plan.targets = { QStringLiteral("runner"), QStringLiteral("vm1"), QStringLiteral("vm2") };
        plan.concurrency = 8;
        plan.targetConcurrency = 4;
        for (int i = 0; i < 6; ++i) {
            Probe p;
            p.id = QStringLiteral("p%1").arg(i);
            p.kind = ProbeKind::Shell;
            p.timeout = 120s;
            // the first two hang on the runner too (its direct connects where only a proxy gets out)
            p.command = i < 2 ? QStringLiteral("sleep 100") : QStringLiteral("[ \"$TARGET\" = runner ] || sleep 100");
            plan.probes << p;
        }
        NamedLocalTransport runnerT(m_transport, QStringLiteral("runner"));
        NamedLocalTransport vm1(m_transport, QStringLiteral("vm1"));
        NamedLocalTransport vm2(m_transport, QStringLiteral("vm2"));
        PlanRunner runner(plan,
            { { QStringLiteral("runner"), &runnerT }, { QStringLiteral("vm1"), &vm1 },
                { QStringLiteral("vm2"), &vm2 } });
        int runnerDone = 0;
        connect(&runner, &PlanRunner::sampleFinished, this, [&](const Sample &s) {
            if (s.target == QLatin1String("runner") && s.status == SampleStatus::Pass) {
                ++runnerDone;
            }
        });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.start();
        QTRY_COMPARE_WITH_TIMEOUT(runnerDone, 4, 60000);
        const QList<PlanRunner::Running> flying = runner.running();
        // once the runner has nothing left to start, the instances take every slot, and no more
        QCOMPARE(flying.size(), plan.concurrency);
        QCOMPARE(std::count_if(flying.cbegin(), flying.cend(),
                     [](const PlanRunner::Running &r) {
                         return r.target == QLatin1String("runner");
                     }),
            2);
        QCOMPARE(runner.run().samples.size(), 4);
        runner.cancel();
        QVERIFY(done.wait(30000));
    }

    void runningReportsTheCommandsInFlight()
    {
        Plan plan;
        plan.name = QStringLiteral("r");
        plan.targets = { QStringLiteral("runner") };
        Probe p;
        p.id = QStringLiteral("wait");
        p.kind = ProbeKind::Shell;
        p.timeout = 30s;
        p.command = QStringLiteral("sleep 20");
        plan.probes = { p };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        QVERIFY(runner.running().isEmpty());
        runner.start();
        QTRY_COMPARE_WITH_TIMEOUT(runner.running().size(), 1, 30000);
        QCOMPARE(runner.running().first().probeId, QStringLiteral("wait"));
        QCOMPARE(runner.running().first().target, QStringLiteral("runner"));
        QTRY_VERIFY_WITH_TIMEOUT(runner.running().first().elapsedMs >= 200, 30000);
        runner.cancel();
        QVERIFY(done.wait(30000));
        QVERIFY(runner.running().isEmpty());
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
        QTRY_VERIFY_WITH_TIMEOUT(runner.isRunning(), 30000);
        QElapsedTimer t;
        QTimer::singleShot(300, &runner, [&] {
            t.start();
            runner.cancel();
        });
        QVERIFY(done.wait(30000));
        QVERIFY2(t.elapsed() < 30000, qPrintable(QString::number(t.elapsed()))); // not the sleep's 60 s
        QCOMPARE(done.first().at(0).toBool(), true);
        QVERIFY(runner.run().cancelled);
        // The two in flight are kept as skipped; the three never started are not invented.
        QCOMPARE(runner.run().samples.size(), 2);
        QCOMPARE(runner.run().count(SampleStatus::Skipped), 2);
    }

    void cancelBeforeStartEndsTheRunAtOnce()
    {
        Plan plan;
        plan.name = QStringLiteral("c");
        plan.targets = { QStringLiteral("runner") };
        Probe p;
        p.id = QStringLiteral("marks");
        p.kind = ProbeKind::Shell;
        p.timeout = 30s;
        p.command = QStringLiteral("touch %1").arg(m_marker.filePath(QStringLiteral("cancelled-before-start")));
        plan.probes = { p };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        QSignalSpy done(&runner, &PlanRunner::finished);
        runner.cancel();
        QCOMPARE(done.size(), 1);
        QCOMPARE(done.first().at(0).toBool(), true);
        QVERIFY(runner.run().cancelled);
        QVERIFY(runner.run().samples.isEmpty());
        runner.start(); // nothing more runs
        QVERIFY(!runner.isRunning());
        QCOMPARE(done.size(), 1);
        QVERIFY(!QFile::exists(m_marker.filePath(QStringLiteral("cancelled-before-start"))));
    }

    void keptOutputIsBoundedButSamplesCarryAll()
    {
        Plan plan;
        plan.name = QStringLiteral("k");
        plan.targets = { QStringLiteral("runner") };
        Probe p;
        p.id = QStringLiteral("loud");
        p.kind = ProbeKind::Shell;
        p.timeout = 30s;
        p.command = QStringLiteral("head -c 100000 /dev/zero | tr '\\000' a; printf short >&2");
        plan.probes = { p };
        PlanRunner runner(plan, { { QStringLiteral("runner"), &m_transport } });
        runner.setKeptOutput(1000);
        QSignalSpy done(&runner, &PlanRunner::finished);
        QList<Sample> emitted;
        connect(&runner, &PlanRunner::sampleFinished, this, [&](const Sample &s) {
            emitted << s;
        });
        runner.start();
        QVERIFY(done.wait(30000));
        QCOMPARE(emitted.size(), 1);
        QCOMPARE(emitted.first().stdOut.size(), 100000);
        const Sample &kept = runner.run().samples.first();
        QCOMPARE(kept.stdOut, QByteArray(1000, 'a'));
        QVERIFY(kept.stdOutTruncated);
        QCOMPARE(kept.stdErr, QByteArray("short"));
        QVERIFY(!kept.stdErrTruncated);
        QCOMPARE(kept.status, SampleStatus::Pass);
    }
};

QTEST_GUILESS_MAIN(TestProbes)
#include "tst_probes.moc"
