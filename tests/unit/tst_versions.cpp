#include "common/versions.h"

#include <QRegularExpression>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

class TestVersions : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void components()
    {
        const ComponentVersions v = componentVersions();
        QCOMPARE(v.nestscope, QStringLiteral(NESTSCOPE_VERSION));
        QCOMPARE(v.qtRuntime, QString::fromLatin1(qVersion()));
        QCOMPARE(v.qtBuild, QStringLiteral(QT_VERSION_STR));
        const QRegularExpression version(QStringLiteral("^\\d+\\.\\d+"));
        QVERIFY2(version.match(v.libssh).hasMatch(), qPrintable(v.libssh)); // e.g. 0.10.4/openssl/zlib
        QVERIFY2(version.match(v.graphviz).hasMatch(), qPrintable(v.graphviz));
    }

    void lxdClientsOfThisMachine()
    {
        LxdClientVersions clients;
        QSignalSpy finished(&clients, &LxdClientVersions::finished);
        clients.start();
        QVERIFY(finished.count() == 1 || finished.wait(30000));
        QCOMPARE(finished.count(), 1);
        QVERIFY(clients.isFinished());
        const QRegularExpression version(QStringLiteral("^\\d+\\.\\d+"));
        if (QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty()) {
            QCOMPARE(clients.lxcText(), QStringLiteral("not found"));
        } else {
            QVERIFY2(version.match(clients.lxc()).hasMatch(), qPrintable(clients.lxcText()));
            QCOMPARE(clients.lxcText(), clients.lxc());
        }
        if (QStandardPaths::findExecutable(QStringLiteral("incus")).isEmpty()) {
            QCOMPARE(clients.incusText(), QStringLiteral("not found"));
        }
    }

    void noClientIsNotFound()
    {
        // A PATH without either client: nothing is started, and it still ends asynchronously.
        if (!QStandardPaths::findExecutable(QStringLiteral("lxc"), { QStringLiteral("/snap/bin") }).isEmpty()) {
            QSKIP("lxc is a snap here: /snap/bin is always looked in");
        }
        QTemporaryDir empty;
        const QByteArray path = qgetenv("PATH");
        qputenv("PATH", empty.path().toUtf8());
        const auto restore = qScopeGuard([&] {
            qputenv("PATH", path);
        });
        LxdClientVersions clients;
        QSignalSpy finished(&clients, &LxdClientVersions::finished);
        clients.start();
        QCOMPARE(finished.count(), 0);
        QVERIFY(finished.wait(30000));
        QCOMPARE(clients.lxcText(), QStringLiteral("not found"));
        QCOMPARE(clients.incusText(), QStringLiteral("not found"));
        QVERIFY(clients.lxc().isEmpty());
    }
};

QTEST_GUILESS_MAIN(TestVersions)
#include "tst_versions.moc"
