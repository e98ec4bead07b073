#include "clirun.h"

#include <QFile>
#include <QImage>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>
#include <QXmlStreamReader>

// `nestscope topology` as a person or a CI job runs it: the real binary on this machine.
// Outside the lab there is no LXD here, so the topology is partial and says so, and that is
// still a success: the runner's own network is there, in JSON and drawn.
class TestTopologyCli : public QObject {
    Q_OBJECT

private:
    using Outcome = nestscope::test::CliOutcome;

    /// The command renders offscreen by itself: it must not need a display.
    static Outcome nestscope(const QStringList &args)
    {
        return nestscope::test::runNestscope(args, nestscope::test::headlessEnvironment(), 90000);
    }

private Q_SLOTS:
    void localTopologyAsJsonSvgAndPng()
    {
        QTemporaryDir dir;
        const QString svgPath = dir.filePath(QStringLiteral("topology.svg"));
        const QString pngPath = dir.filePath(QStringLiteral("topology.png"));
        const auto r = nestscope({ QStringLiteral("topology"), QStringLiteral("--local"), QStringLiteral("--json"),
            QStringLiteral("-"), QStringLiteral("--svg"), svgPath, QStringLiteral("--png"), pngPath });
        QVERIFY2(r.exitCode == 0, r.err.constData());
        // As root without XDG_RUNTIME_DIR (a CI job), Qt's note about it is not ours to print.
        if (qEnvironmentVariableIsEmpty("XDG_RUNTIME_DIR")) {
            QVERIFY2(!r.err.contains("XDG_RUNTIME_DIR"), r.err.constData());
        }

        QJsonParseError perr;
        const QJsonDocument doc = QJsonDocument::fromJson(r.out, &perr);
        QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
        QVERIFY(doc.isObject());
        QVERIFY(!doc.object().isEmpty());
        QVERIFY(r.out.contains("\"interfaces\""));
        // the problems the summary prints are in the JSON too
        QVERIFY(doc.object().value(QStringLiteral("problems")).isArray());

        // The summary names the runner; without LXD a note says what is missing and what to do.
        QVERIFY2(r.err.contains("Runner "), r.err.constData());
        const bool haveLxd = !QStandardPaths::findExecutable(QStringLiteral("lxc")).isEmpty()
            || !QStandardPaths::findExecutable(QStringLiteral("incus")).isEmpty();
        if (!haveLxd) {
            QVERIFY2(r.err.contains("note (lxd-client)"), r.err.constData());
            QVERIFY(r.out.contains("warnings"));
        }

        QFile svg(svgPath);
        QVERIFY(svg.open(QIODevice::ReadOnly));
        const QByteArray svgData = svg.readAll();
        QXmlStreamReader xml(svgData);
        while (!xml.atEnd()) {
            xml.readNext();
        }
        QVERIFY2(!xml.hasError(), qPrintable(xml.errorString()));
        QVERIFY(svgData.contains("<svg"));
        QVERIFY(svgData.contains("RUNNER"));

        const QImage png(pngPath);
        QVERIFY(!png.isNull());
        QVERIFY(png.width() > 100 && png.height() > 50);
    }

    void usageErrorsExitTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QByteArray>("says");
        QTest::newRow("no runner") << QStringList { QStringLiteral("topology") } << QByteArray("--local or --host");
        QTest::newRow("both") << QStringList { QStringLiteral("topology"), QStringLiteral("--local"),
            QStringLiteral("--host"), QStringLiteral("x") }
                              << QByteArray("--local or --host");
        QTest::newRow("svg to stdout") << QStringList { QStringLiteral("topology"), QStringLiteral("--local"),
            QStringLiteral("--svg"), QStringLiteral("-") }
                                       << QByteArray("only --json");
        QTest::newRow("unknown option") << QStringList { QStringLiteral("topology"), QStringLiteral("--frobnicate") }
                                        << QByteArray("frobnicate");
    }
    void usageErrorsExitTwo()
    {
        QFETCH(QStringList, args);
        QFETCH(QByteArray, says);
        const auto r = nestscope(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(says), r.err.constData());
        QVERIFY(r.err.contains("nestscope topology --help"));
    }

    void unwritableOutputExitsTwoButWritesTheOthers()
    {
        // An output that cannot be written at all is found before the discovery: nothing is written.
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("t.json"));
        const QString svg = dir.filePath(QStringLiteral("no/such/dir/t.svg"));
        auto r = nestscope({ QStringLiteral("topology"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--svg"), svg, QStringLiteral("--json"), json });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(QStringLiteral("cannot write --svg %1").arg(svg).toUtf8()), r.err.constData());
        QVERIFY(!QFile::exists(json));
        // One whose write fails at the end (a full device) does not cost the others.
        r = nestscope({ QStringLiteral("topology"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--svg"), QStringLiteral("/dev/full"), QStringLiteral("--json"), json });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains("cannot write /dev/full: No space left on device"), r.err.constData());
        QVERIFY(QFile::exists(json));
    }

    void unreachableHostExitsThree()
    {
        QTemporaryDir dir;
        const QString config = dir.filePath(QStringLiteral("ssh_config"));
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Host nowhere\n  HostName 127.0.0.1\n  Port 1\n");
        f.close();
        const auto r = nestscope({ QStringLiteral("topology"), QStringLiteral("--host"), QStringLiteral("nowhere"),
            QStringLiteral("--ssh-config"), config, QStringLiteral("--known-hosts"),
            dir.filePath(QStringLiteral("known_hosts")) });
        QCOMPARE(r.exitCode, 3);
        QVERIFY2(r.err.contains("nestscope topology: cannot connect"), r.err.constData());
    }

    void helpListsTheCommand()
    {
        const auto r = nestscope({ QStringLiteral("topology"), QStringLiteral("--help") });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.contains("nestscope topology --local|--host HOST"));
        const auto top = nestscope({ QStringLiteral("--help") });
        QCOMPARE(top.exitCode, 0);
        QVERIFY(top.out.contains("nestscope topology"));
        QVERIFY(top.out.contains("--png FILE"));
    }
};

QTEST_GUILESS_MAIN(TestTopologyCli)
#include "tst_topologycli.moc"
