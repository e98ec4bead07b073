#include "topology/lxderror.h"

#include <QFile>
#include <QTest>

using namespace nestscope;

Q_DECLARE_METATYPE(nestscope::LxdFailure)

namespace {

/// What lxc printed, recorded by tests/data/lxd-errors/record.sh.
QString recorded(const char *name)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/lxd-errors/") + QLatin1String(name) + QStringLiteral(".txt"));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("missing fixture %s (run tests/data/lxd-errors/record.sh)", name);
    }
    return QString::fromUtf8(f.readAll());
}

} // namespace

class TestLxdError : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void classifiesWhatLxcPrints_data()
    {
        QTest::addColumn<QString>("output");
        QTest::addColumn<QString>("client");
        QTest::addColumn<QStringList>("found");
        QTest::addColumn<LxdFailure>("kind");
        QTest::addColumn<QString>("problem"); // a part of the problem clause
        QTest::addColumn<QString>("advice"); // a part of the advice

        const QString lxc = QStringLiteral("lxc");
        const QStringList unknown;
        const QStringList onlyLxc { lxc };
        const QStringList both { lxc, QStringLiteral("incus") };
        const QStringList onlyIncus { QStringLiteral("incus") };

        QTest::newRow("no socket") << recorded("daemon-not-running") << lxc << unknown << LxdFailure::DaemonNotRunning
                                   << QStringLiteral("the LXD daemon is not running (there is no "
                                                     "/var/lib/lxd/unix.socket)")
                                   << QStringLiteral("`sudo systemctl start lxd`");
        QTest::newRow("no socket, lxc only on the PATH")
            << recorded("daemon-not-running") << lxc << onlyLxc << LxdFailure::DaemonNotRunning
            << QStringLiteral("is not running") << QStringLiteral("`sudo lxd init --auto`");
        QTest::newRow("nothing listens") << recorded("connection-refused") << lxc << unknown
                                         << LxdFailure::DaemonNotRunning << QStringLiteral("refuses connections")
                                         << QStringLiteral("start it");
        QTest::newRow("not in the group")
            << recorded("permission-denied") << lxc << unknown << LxdFailure::PermissionDenied
            << QStringLiteral("the user may not use the LXD daemon (permission denied on "
                              "/tmp/nestscope-lxd-errors/denied/unix.socket)")
            << QStringLiteral("`sudo usermod -aG lxd $USER`, then log in again");
        // The daemon runs (it is the socket's permission): Incus beside it changes nothing.
        QTest::newRow("not in the group, incus installed too")
            << recorded("permission-denied") << lxc << both << LxdFailure::PermissionDenied
            << QStringLiteral("may not use") << QStringLiteral("`lxd` group");
        QTest::newRow("dash: not found") << recorded("client-not-found-sh") << lxc << unknown
                                         << LxdFailure::ClientMissing
                                         << QStringLiteral("the LXD client (`lxc`) is not installed")
                                         << QStringLiteral("`apt install lxd-client`");
        QTest::newRow("bash: command not found")
            << recorded("client-not-found-bash") << lxc << unknown << LxdFailure::ClientMissing
            << QStringLiteral("is not installed") << QStringLiteral("`apt install incus-client`");
        QTest::newRow("client unknown, read from the text")
            << recorded("client-not-found-sh") << QString() << unknown << LxdFailure::ClientMissing
            << QStringLiteral("(`lxc`)") << QStringLiteral("snap install lxd");
        // Incus instead of LXD: the settings chose lxc, the runner has only incus.
        QTest::newRow("lxc missing, incus installed")
            << recorded("client-not-found-sh") << lxc << onlyIncus << LxdFailure::OtherClient
            << QStringLiteral("the LXD client (`lxc`) is not installed on the runner, but Incus (`incus`) is")
            << QStringLiteral("choose Incus, or “Whichever the runner has”, as the instance client (File > Settings");
        // Both clients, LXD's daemon down: the instances are probably Incus's.
        QTest::newRow("LXD down, incus installed")
            << recorded("daemon-not-running") << lxc << both << LxdFailure::OtherClient
            << QStringLiteral("the LXD daemon is not running (there is no /var/lib/lxd/unix.socket), but Incus is "
                              "installed")
            << QStringLiteral("if the instances are Incus's, choose Incus as the instance client");
        QTest::newRow("LXD refuses, incus installed")
            << recorded("connection-refused") << lxc << both << LxdFailure::OtherClient << QStringLiteral("but Incus")
            << QStringLiteral("`sudo systemctl start lxd`");
        // A "permission denied" that is not the socket's: no group advice for it.
        QTest::newRow("configuration unreadable")
            << recorded("config-unreadable") << lxc << unknown << LxdFailure::Unknown
            << QStringLiteral("the LXD client could not talk to its daemon")
            << QStringLiteral("is the LXD/Incus daemon running");
        QTest::newRow("silent") << QString() << lxc << unknown << LxdFailure::Unknown << QStringLiteral("LXD client")
                                << QStringLiteral("is the user in its group");
    }

    void classifiesWhatLxcPrints()
    {
        QFETCH(QString, output);
        QFETCH(QString, client);
        QFETCH(QStringList, found);
        QFETCH(LxdFailure, kind);
        QFETCH(QString, problem);
        QFETCH(QString, advice);
        const LxdError e = classifyLxdError(output, client, found);
        QCOMPARE(e.kind, kind);
        QCOMPARE(e.daemon, QStringLiteral("LXD"));
        QVERIFY2(e.problem.contains(problem), qPrintable(e.problem));
        QVERIFY2(e.advice.contains(advice), qPrintable(e.advice));
        QVERIFY2(!e.problem.contains(QLatin1String("first time")), qPrintable(e.problem));
        // The error line is the client's last word, never its first-start blurb.
        QVERIFY2(!e.errorLine.contains(QLatin1String("first time")), qPrintable(e.errorLine));
        if (!output.isEmpty()) {
            QVERIFY(output.contains(e.errorLine));
        }
    }

    void errorLineAndSocket()
    {
        const LxdError e = classifyLxdError(recorded("daemon-not-running"), QStringLiteral("lxc"));
        QCOMPARE(e.errorLine,
            QStringLiteral("Error: Get \"http://unix.socket/1.0\": dial unix /var/lib/lxd/unix.socket: connect: no "
                           "such file or directory"));
        QCOMPARE(e.socket, QStringLiteral("/var/lib/lxd/unix.socket"));
        QCOMPARE(classifyLxdError(recorded("client-not-found-bash"), QStringLiteral("lxc")).errorLine,
            QStringLiteral("/bin/bash: line 1: lxc: command not found"));
    }

    void sectionsSayTheSameThing()
    {
        // lxc dials /1.0 before any query, so each LXD section of a discovery fails with the same
        // words (what lets discovery say it once).
        const LxdError server = classifyLxdError(recorded("daemon-not-running"), QStringLiteral("lxc"));
        const LxdError networks = classifyLxdError(recorded("networks-daemon-not-running"), QStringLiteral("lxc"));
        QCOMPARE(networks.kind, server.kind);
        QVERIFY(networks.errorLine.startsWith(QLatin1String("Error: Get \"http://unix.socket/1.0\": dial unix")));
    }

    void incusWords()
    {
        // With the client named, the daemon and its group follow it.
        const LxdError e = classifyLxdError(recorded("permission-denied"), QStringLiteral("incus"));
        QCOMPARE(e.daemon, QStringLiteral("Incus"));
        QCOMPARE(e.kind, LxdFailure::PermissionDenied);
        QVERIFY2(e.advice.contains(QLatin1String("`sudo usermod -aG incus-admin $USER`")), qPrintable(e.advice));
        const LxdError down = classifyLxdError(recorded("daemon-not-running"), QStringLiteral("incus"),
            { QStringLiteral("incus"), QStringLiteral("lxc") });
        QCOMPARE(down.kind, LxdFailure::OtherClient);
        QVERIFY2(down.advice.contains(QLatin1String("choose LXD as the instance client")), qPrintable(down.advice));
        QVERIFY2(down.advice.contains(QLatin1String("`sudo systemctl start incus`")), qPrintable(down.advice));
    }
};

QTEST_GUILESS_MAIN(TestLxdError)
#include "tst_lxderror.moc"
