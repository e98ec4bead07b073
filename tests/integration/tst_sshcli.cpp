// `nestscope run --host ...` end to end: the real binary against a private sshd.

#include "sshserver.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTest>

#include <unistd.h>

using nestscope::test::SshServer;

class TestSshCli : public QObject {
    Q_OBJECT

private:
    SshServer m_server;

    struct Outcome {
        int exitCode = -1;
        QString out;
        QString err;
    };

    Outcome run(const QStringList &args)
    {
        QProcess p;
        // A session of its own, without a controlling terminal: /dev/tty cannot be opened, as in a
        // CI job, whatever terminal the test itself was started from.
        p.setChildProcessModifier([] {
            ::setsid();
        });
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("SSH_AUTH_SOCK"));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(NESTSCOPE_BINARY), QStringList { QStringLiteral("run") } + args);
        QSignalSpy finished(&p, &QProcess::finished);
        if (!finished.wait(60000)) {
            p.kill();
            p.waitForFinished();
            return {};
        }
        return { p.exitCode(), QString::fromUtf8(p.readAllStandardOutput()),
            QString::fromUtf8(p.readAllStandardError()) };
    }

    QStringList hostArgs(const QString &knownHosts) const
    {
        return { QStringLiteral("--host"), QStringLiteral("%1@127.0.0.1:%2").arg(m_server.user()).arg(m_server.port()),
            QStringLiteral("--identity"), m_server.clientKey(), QStringLiteral("--ssh-config"), m_server.emptyConfig(),
            QStringLiteral("--known-hosts"), knownHosts, QStringLiteral("--plan"),
            QStringLiteral("builtin:local-basics"), QStringLiteral("--quiet") };
    }

private Q_SLOTS:
    void initTestCase() { QVERIFY2(m_server.start(), qPrintable(m_server.error())); }

    void unknownHostIsRefusedWithExitCode3()
    {
        const QString knownHosts = m_server.dir() + QStringLiteral("/cli_unknown_known_hosts");
        const Outcome o = run(hostArgs(knownHosts));
        QCOMPARE(o.exitCode, 3);
        QVERIFY2(
            o.err.contains(QStringLiteral("REFUSED")) && o.err.contains(QStringLiteral("SHA256:")), qPrintable(o.err));
        QVERIFY(!QFile::exists(knownHosts) || QFile(knownHosts).size() == 0);
    }

    void acceptNewHostKeyRunsThePlanAndRecordsTheKey()
    {
        const QString knownHosts = m_server.dir() + QStringLiteral("/cli_new_known_hosts");
        Outcome o = run(hostArgs(knownHosts)
            + QStringList { QStringLiteral("--accept-new-host-key"), QStringLiteral("--json"), QStringLiteral("-") });
        QVERIFY2(o.exitCode == 0 || o.exitCode == 1, qPrintable(o.err));
        QVERIFY2(o.out.contains(QStringLiteral("\"samples\"")), qPrintable(o.out.left(500)));
        QVERIFY(QFile::exists(knownHosts));
        // Known now: no flag needed.
        o = run(hostArgs(knownHosts));
        QVERIFY2(o.exitCode == 0 || o.exitCode == 1, qPrintable(o.err));
        // The same plan through persistent shells gives the same verdicts.
        const Outcome exec = run(hostArgs(knownHosts) + QStringList { QStringLiteral("--json"), QStringLiteral("-") });
        const Outcome shells = run(hostArgs(knownHosts)
            + QStringList { QStringLiteral("--persistent-shells"), QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(shells.exitCode, exec.exitCode);
        QVERIFY(exec.out.count(QStringLiteral("\"pass\"")) > 0);
        QCOMPARE(shells.out.count(QStringLiteral("\"pass\"")), exec.out.count(QStringLiteral("\"pass\"")));
    }

    void changedHostKeyIsRefusedEvenWithAcceptNew()
    {
        const QString knownHosts = m_server.dir() + QStringLiteral("/cli_changed_known_hosts");
        QFile f(knownHosts);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(m_server.impostorKnownHostsLine());
        f.close();
        const Outcome o = run(hostArgs(knownHosts) + QStringList { QStringLiteral("--accept-new-host-key") });
        QCOMPARE(o.exitCode, 3);
        QVERIFY2(o.err.contains(QStringLiteral("has changed")), qPrintable(o.err));
    }

    void revokedHostKeyIsRefusedEvenWithAcceptNew()
    {
        const QString knownHosts = m_server.dir() + QStringLiteral("/cli_revoked_known_hosts");
        const QList<QByteArray> fields = m_server.knownHostsLine().trimmed().split(' ');
        const QByteArray contents = "@revoked * " + fields.value(1) + ' ' + fields.value(2) + '\n';
        QFile f(knownHosts);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(contents);
        f.close();
        const Outcome o = run(hostArgs(knownHosts)
            + QStringList { QStringLiteral("--accept-new-host-key"), QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(o.exitCode, 3);
        QVERIFY2(o.err.contains(QStringLiteral("REVOKED")), qPrintable(o.err));
        QVERIFY2(!o.out.contains(QStringLiteral("\"samples\"")), qPrintable(o.out.left(500)));
        QVERIFY(f.open(QIODevice::ReadOnly));
        QCOMPARE(f.readAll(), contents); // not appended as trusted
    }

    void failedKeyWithoutTerminalSaysWhatHappened_data()
    {
        QTest::addColumn<QString>("identity"); // in the server's directory
        QTest::addColumn<bool>("keyboardInteractive"); // besides the password method
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("rejected") << QStringLiteral("wrong_key") << true
                                  << QStringList { QStringLiteral("the server rejected the key") };
        QTest::newRow("rejected, password only")
            << QStringLiteral("wrong_key") << false << QStringList { QStringLiteral("the server rejected the key") };
        QTest::newRow("missing") << QStringLiteral("no-such-key") << true
                                 << QStringList { QStringLiteral("does not exist") };
        QTest::newRow("unreadable") << QStringLiteral(".") << true // a directory: unreadable even for root
                                    << QStringList { QStringLiteral("cannot be read") };
        QTest::newRow("encrypted") << QStringLiteral("encrypted_key") << true
                                   << QStringList { QStringLiteral("passphrase"), QStringLiteral("terminal") };
    }

    void failedKeyWithoutTerminalSaysWhatHappened()
    {
        // A server that would also take a password, as most do: without a terminal nobody can type
        // one, and the message must say what went wrong with the key, not "cancelled".
        if (::geteuid() != 0) {
            if (qgetenv("CI") == "true") {
                QFAIL("a password server needs root, and CI=true requires it to run");
            }
            QSKIP("a password server needs root (a test user with a password)");
        }
        QFETCH(QString, identity);
        QFETCH(bool, keyboardInteractive);
        QFETCH(QStringList, expected);
        SshServer server;
        SshServer::Options options;
        options.passwordAuthentication = true;
        options.keyboardInteractive = keyboardInteractive;
        QVERIFY2(server.start(options), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        QFile f(knownHosts);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write(server.knownHostsLine());
        f.close();
        const QString key = QDir::cleanPath(server.dir() + QLatin1Char('/') + identity);
        const Outcome o = run({ QStringLiteral("--host"),
            QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()), QStringLiteral("--identity"), key,
            QStringLiteral("--ssh-config"), server.emptyConfig(), QStringLiteral("--known-hosts"), knownHosts,
            QStringLiteral("--plan"), QStringLiteral("builtin:local-basics"), QStringLiteral("--quiet") });
        QCOMPARE(o.exitCode, 3);
        QVERIFY2(!o.err.contains(QStringLiteral("cancelled")), qPrintable(o.err));
        QVERIFY2(o.err.contains(key), qPrintable(o.err));
        for (const QString &e : expected) {
            QVERIFY2(o.err.contains(e), qPrintable(QStringLiteral("no \"%1\" in: %2").arg(e, o.err)));
        }
        QVERIFY2(o.err.contains(QStringLiteral("no password can be asked without a terminal")), qPrintable(o.err));
    }

    void silentServerTimesOutWithExitCode3()
    {
        // Accepts TCP, never speaks SSH: `nestscope run` ends after the config's ConnectTimeout
        // (+ at most 5 s) with a message and exit code 3, and runs nothing.
        QTcpServer silent;
        QVERIFY(silent.listen(QHostAddress::LocalHost, 0));
        const QString config = m_server.dir() + QStringLiteral("/cli_timeout_config");
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Host *\n    ConnectTimeout 3\n");
        f.close();
        QElapsedTimer clock;
        clock.start();
        const Outcome o = run(
            { QStringLiteral("--host"), QStringLiteral("%1@127.0.0.1:%2").arg(m_server.user()).arg(silent.serverPort()),
                QStringLiteral("--identity"), m_server.clientKey(), QStringLiteral("--ssh-config"), config,
                QStringLiteral("--known-hosts"), m_server.dir() + QStringLiteral("/cli_timeout_known_hosts"),
                QStringLiteral("--plan"), QStringLiteral("builtin:local-basics"), QStringLiteral("--json"),
                QStringLiteral("-"), QStringLiteral("--quiet") });
        const qint64 elapsed = clock.elapsed();
        QCOMPARE(o.exitCode, 3);
        QVERIFY2(o.err.contains(QStringLiteral("no SSH answer within the ConnectTimeout of 3 s")), qPrintable(o.err));
        QVERIFY2(!o.out.contains(QStringLiteral("\"samples\"")), qPrintable(o.out.left(500)));
        QVERIFY2(elapsed < 3000 + 5000, qPrintable(QString::number(elapsed)));
    }

    void localAndHostAreExclusive()
    {
        const Outcome o = run({ QStringLiteral("--local"), QStringLiteral("--host"), QStringLiteral("x"),
            QStringLiteral("--plan"), QStringLiteral("builtin:local-basics") });
        QCOMPARE(o.exitCode, 2);
    }
};

QTEST_GUILESS_MAIN(TestSshCli)
#include "tst_sshcli.moc"
