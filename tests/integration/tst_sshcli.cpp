// `nestscope run --host ...` end to end: the real binary against a private sshd.

#include "sshserver.h"

#include <QDir>
#include <QDirIterator>
#include <QElapsedTimer>
#include <QFile>
#include <QProcess>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <termios.h>
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

    /// `asPlainRoot`: as root, without the capabilities that let root read any file
    /// (CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH), so that a file without read permission is
    /// unreadable for the binary as it is for a person's own account.
    Outcome run(const QStringList &args, bool asPlainRoot = false)
    {
        QProcess p;
        // A session of its own, without a controlling terminal: /dev/tty cannot be opened, as in a
        // CI job, whatever terminal the test itself was started from.
        p.setChildProcessModifier([asPlainRoot] {
            ::setsid();
            if (asPlainRoot) {
                // Dropped from the bounding set, they do not come back when root runs exec().
                ::prctl(PR_CAPBSET_DROP, CAP_DAC_OVERRIDE, 0, 0, 0);
                ::prctl(PR_CAPBSET_DROP, CAP_DAC_READ_SEARCH, 0, 0, 0);
            }
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

    /// Runs `nestscope run ARGS` with a pseudo-terminal as its controlling terminal, as a person at
    /// a terminal would, and types `answer` at every password or passphrase prompt once the
    /// prompt has turned echo off. `transcript` gets what the terminal showed.
    Outcome runOnTerminal(const QStringList &args, const QProcessEnvironment &env, const QByteArray &answer,
        QByteArray *transcript, int *prompts)
    {
        *prompts = 0;
        const int master = ::posix_openpt(O_RDWR | O_NOCTTY);
        if (master < 0 || ::grantpt(master) != 0 || ::unlockpt(master) != 0) {
            qWarning("no pseudo-terminal: %s", std::strerror(errno));
            return {};
        }
        ::fcntl(master, F_SETFD, FD_CLOEXEC);
        ::fcntl(master, F_SETFL, ::fcntl(master, F_GETFL) | O_NONBLOCK);
        const QByteArray slave = ::ptsname(master);
        QProcess p;
        p.setChildProcessModifier([slave] {
            // A new session whose controlling terminal is the pty's slave (kept open across exec).
            ::setsid();
            const int fd = ::open(slave.constData(), O_RDWR);
            if (fd >= 0) {
                ::ioctl(fd, TIOCSCTTY, 0);
            }
        });
        p.setProcessEnvironment(env);
        QByteArray pending; // terminal output not yet matched against a prompt
        const auto drain = [&] {
            char buffer[4096];
            ssize_t n = 0;
            while ((n = ::read(master, buffer, sizeof buffer)) > 0) {
                transcript->append(buffer, n);
                pending.append(buffer, n);
            }
        };
        QTimer tick; // the pty has no notifier-friendly end of file: look at it as the run goes
        tick.setInterval(20);
        QObject::connect(&tick, &QTimer::timeout, &tick, [&] {
            drain();
            const bool asked = pending.contains("password: ") || pending.contains("Enter passphrase");
            termios mode {};
            // TerminalInteraction turns echo off (TCSAFLUSH, which drops earlier input) after the
            // prompt: type only then, or the answer is flushed away.
            if (asked && ::tcgetattr(master, &mode) == 0 && !(mode.c_lflag & ECHO)) {
                pending.clear();
                ++*prompts;
                const QByteArray line = answer + '\n';
                if (::write(master, line.constData(), static_cast<size_t>(line.size())) != line.size()) {
                    qWarning("cannot type on the pseudo-terminal");
                }
            }
        });
        tick.start();
        p.start(QStringLiteral(NESTSCOPE_BINARY), QStringList { QStringLiteral("run") } + args);
        QSignalSpy finished(&p, &QProcess::finished);
        const bool ended = finished.wait(120000);
        tick.stop();
        if (!ended) {
            p.kill();
            p.waitForFinished();
        }
        drain();
        ::close(master);
        if (!ended) {
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
                                    << QStringList { QStringLiteral("cannot be read: it is a directory") };
        // Mode 000, and the binary runs without root's right to read any file.
        QTest::newRow("permission denied") << QStringLiteral("unreadable_key") << true
                                           << QStringList { QStringLiteral("cannot be read: permission denied") };
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
        if (identity == QLatin1String("unreadable_key")) {
            QVERIFY(QFile::copy(server.clientKey(), key));
            QVERIFY(QFile::copy(server.clientKey() + QStringLiteral(".pub"), key + QStringLiteral(".pub")));
            QVERIFY(QFile::setPermissions(key, {}));
        }
        const Outcome o
            = run({ QStringLiteral("--host"), QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()),
                      QStringLiteral("--identity"), key, QStringLiteral("--ssh-config"), server.emptyConfig(),
                      QStringLiteral("--known-hosts"), knownHosts, QStringLiteral("--plan"),
                      QStringLiteral("builtin:local-basics"), QStringLiteral("--quiet") },
                true);
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

    void wrongPasswordOnTheTerminalIsRefused()
    {
        // Typed on the terminal and rejected: asked once, exit code 3, a clear message, nothing run.
        if (::geteuid() != 0) {
            if (qgetenv("CI") == "true") {
                QFAIL("a password login needs root, and CI=true requires it to run");
            }
            QSKIP("a password login needs root (a test user with a password)");
        }
        SshServer server;
        SshServer::Options options;
        options.passwordAuthentication = true;
        QVERIFY2(server.start(options), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write(server.knownHostsLine());
        kh.close();
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("SSH_AUTH_SOCK"));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        QByteArray terminal;
        int prompts = 0;
        const Outcome o = runOnTerminal(
            { QStringLiteral("--host"), QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()),
                QStringLiteral("--identity"), server.dir() + QStringLiteral("/no-such-key"),
                QStringLiteral("--ssh-config"), server.emptyConfig(), QStringLiteral("--known-hosts"), knownHosts,
                QStringLiteral("--plan"), QStringLiteral("builtin:local-basics"), QStringLiteral("--json"),
                QStringLiteral("-") },
            env, "not-" + server.password().toUtf8(), &terminal, &prompts);
        QCOMPARE(o.exitCode, 3);
        QCOMPARE(prompts, 1);
        QVERIFY2(
            o.err.contains(QStringLiteral("permission denied for %1@127.0.0.1").arg(server.user())), qPrintable(o.err));
        QVERIFY2(o.err.contains(QStringLiteral("tried a password (rejected)")), qPrintable(o.err));
        QVERIFY2(!o.out.contains(QStringLiteral("\"samples\"")), qPrintable(o.out.left(500)));
    }

    void secretsAreNeverWritten()
    {
        // A password login and a passphrase-protected key login, typed on a real (pseudo-)terminal,
        // with every logging category of Nestscope on and a HOME of its own: neither secret may
        // appear in the run store, the outputs, any file under that HOME, the logs on stderr, or
        // on the terminal (echo is off while it is typed).
        if (::geteuid() != 0) {
            if (qgetenv("CI") == "true") {
                QFAIL("a password login needs root, and CI=true requires it to run");
            }
            QSKIP("a password login needs root (a test user with a password)");
        }
        QTemporaryDir home;
        QVERIFY(home.isValid());
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("SSH_AUTH_SOCK"));
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.insert(QStringLiteral("HOME"), home.path());
        env.insert(QStringLiteral("XDG_CONFIG_HOME"), home.filePath(QStringLiteral("config")));
        env.insert(QStringLiteral("XDG_DATA_HOME"), home.filePath(QStringLiteral("data")));
        env.insert(QStringLiteral("XDG_CACHE_HOME"), home.filePath(QStringLiteral("cache")));
        env.insert(QStringLiteral("XDG_STATE_HOME"), home.filePath(QStringLiteral("state")));
        env.insert(QStringLiteral("TMPDIR"), home.filePath(QStringLiteral("tmp")));
        QDir(home.path()).mkpath(QStringLiteral("tmp"));
        env.insert(QStringLiteral("QT_LOGGING_RULES"), QStringLiteral("nestscope.*=true"));

        SshServer passwordServer;
        SshServer::Options options;
        options.passwordAuthentication = true;
        QVERIFY2(passwordServer.start(options), qPrintable(passwordServer.error()));
        const QByteArray password = passwordServer.password().toUtf8();
        const QByteArray passphrase = SshServer::passphrase().toUtf8();
        QVERIFY(!password.isEmpty());

        struct Login {
            const char *name;
            SshServer *server;
            QString identity;
            QByteArray secret;
        };
        const Login logins[] = {
            { "password", &passwordServer, passwordServer.dir() + QStringLiteral("/no-such-key"), password },
            { "passphrase", &m_server, m_server.encryptedKey(), passphrase },
        };
        QByteArray everything; // stdout, stderr and the terminal of both runs
        for (const Login &login : logins) {
            const QString knownHosts = home.filePath(QStringLiteral("known_hosts_%1").arg(QLatin1String(login.name)));
            QFile kh(knownHosts);
            QVERIFY(kh.open(QIODevice::WriteOnly));
            kh.write(login.server->knownHostsLine());
            kh.close();
            const QString out = home.filePath(QStringLiteral("out_%1").arg(QLatin1String(login.name)));
            QByteArray terminal;
            int prompts = 0;
            const Outcome o = runOnTerminal(
                { QStringLiteral("--host"),
                    QStringLiteral("%1@127.0.0.1:%2").arg(login.server->user()).arg(login.server->port()),
                    QStringLiteral("--identity"), login.identity, QStringLiteral("--ssh-config"),
                    login.server->emptyConfig(), QStringLiteral("--known-hosts"), knownHosts, QStringLiteral("--plan"),
                    QStringLiteral("builtin:local-basics"), QStringLiteral("--store"),
                    home.filePath(QStringLiteral("data/runs.sqlite")), QStringLiteral("--json"),
                    out + QStringLiteral(".json"), QStringLiteral("--markdown"), out + QStringLiteral(".md"),
                    QStringLiteral("--junit"), out + QStringLiteral(".xml") },
                env, login.secret, &terminal, &prompts);
            // It really logged in, with the secret typed once.
            QVERIFY2(o.exitCode == 0 || o.exitCode == 1,
                qPrintable(QStringLiteral("%1: exit %2: %3 / terminal: %4")
                               .arg(QLatin1String(login.name))
                               .arg(o.exitCode)
                               .arg(o.err, QString::fromUtf8(terminal))));
            QCOMPARE(prompts, 1);
            QVERIFY(QFile::exists(out + QStringLiteral(".json")));
            everything += o.out.toUtf8() + o.err.toUtf8() + terminal;
        }
        QVERIFY(everything.contains("nestscope.ssh")); // the logs were on
        // Each secret as typed, in base64 and in UTF-16 (as QSettings or a careless dump would hold it).
        QList<QByteArray> forms;
        for (const QByteArray &secret : { password, passphrase }) {
            const QString text = QString::fromUtf8(secret);
            forms << secret << secret.toBase64()
                  << QByteArray(reinterpret_cast<const char *>(text.utf16()), text.size() * 2);
        }
        for (const QByteArray &form : std::as_const(forms)) {
            QVERIFY2(!everything.contains(form), "a secret reached stdout, stderr or the terminal");
        }
        QStringList files;
        QDirIterator it(home.path(), QDir::Files | QDir::Hidden | QDir::System, QDirIterator::Subdirectories);
        while (it.hasNext()) {
            const QString path = it.next();
            files << path;
            QFile f(path);
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(path));
            const QByteArray data = f.readAll();
            for (const QByteArray &form : std::as_const(forms)) {
                QVERIFY2(!data.contains(form), qPrintable(QStringLiteral("a secret is in %1").arg(path)));
            }
        }
        // The run store was written, so it was searched.
        QVERIFY2(files.contains(home.filePath(QStringLiteral("data/runs.sqlite"))),
            qPrintable(files.join(QLatin1Char(' '))));
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
