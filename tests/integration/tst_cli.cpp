#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QProcess>
#include <QProcessEnvironment>
#include <QTemporaryDir>
#include <QTest>

// The command-line mode as a CI job uses it: the real binary, real plans, exit codes and JSON.
class TestCli : public QObject {
    Q_OBJECT

private:
    struct Outcome {
        int exitCode = -1;
        QByteArray out;
        QByteArray err;
    };

    static Outcome nestscope(
        const QStringList &args, const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment())
    {
        QProcess p;
        p.setProcessEnvironment(env);
        p.start(QStringLiteral(NESTSCOPE_BINARY), args);
        if (!p.waitForFinished(60000)) {
            p.kill();
            p.waitForFinished();
        }
        return { p.exitStatus() == QProcess::NormalExit ? p.exitCode() : -1, p.readAllStandardOutput(),
            p.readAllStandardError() };
    }

    static QString data(const QString &name) { return QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/") + name; }

private Q_SLOTS:
    void someProbesFailExitsOneWithJson()
    {
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
            data(QStringLiteral("two-probes.yaml")), QStringLiteral("--json"), QStringLiteral("-") });
        QCOMPARE(r.exitCode, 1);
        QJsonParseError perr;
        const QJsonObject o = QJsonDocument::fromJson(r.out, &perr).object();
        QVERIFY2(perr.error == QJsonParseError::NoError, qPrintable(perr.errorString()));
        QCOMPARE(o.value(QStringLiteral("format")).toString(), QStringLiteral("nestscope-run"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QCOMPARE(samples.size(), 4);
        int pass = 0;
        int fail = 0;
        for (const auto &v : samples) {
            const QJsonObject s = v.toObject();
            const QString status = s.value(QStringLiteral("status")).toString();
            if (s.value(QStringLiteral("probe")).toString() == QLatin1String("shell-true")) {
                QCOMPARE(status, QStringLiteral("pass"));
                ++pass;
            } else {
                QCOMPARE(status, QStringLiteral("fail"));
                QCOMPARE(s.value(QStringLiteral("exit_code")).toInt(), 1);
                QCOMPARE(s.value(QStringLiteral("stderr")).toString(), QStringLiteral("this one fails on purpose\n"));
                QCOMPARE(s.value(QStringLiteral("command")).toString(),
                    QStringLiteral("echo 'this one fails on purpose' >&2; exit 1"));
                ++fail;
            }
            QCOMPARE(s.value(QStringLiteral("target")).toString(), QStringLiteral("runner"));
        }
        QCOMPARE(pass, 2);
        QCOMPARE(fail, 2);
        QVERIFY(r.err.contains("Two probes: 2 pass, 2 fail"));
    }

    void allPassExitsZeroAndWritesAFile()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("run.json"));
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--quiet"),
            QStringLiteral("--plan"), data(QStringLiteral("all-pass.yaml")), QStringLiteral("--json"), out });
        QCOMPARE(r.exitCode, 0);
        QVERIFY(r.out.isEmpty());
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("summary")).toObject().value(QStringLiteral("pass")).toInt(), 3);
    }

    void planErrorsExitTwoWithPosition()
    {
        const QString bad = data(QStringLiteral("bad-kind.yaml"));
        const auto r = nestscope({ QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"), bad });
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(
            r.err.contains((bad + QStringLiteral(":7:11: unknown probe kind \"htpp\"")).toUtf8()), r.err.constData());
        QVERIFY(r.out.isEmpty());
    }

    void usageErrorsExitTwo_data()
    {
        QTest::addColumn<QStringList>("args");
        QTest::addColumn<QString>("message");
        QTest::newRow("no plan") << QStringList { QStringLiteral("run"), QStringLiteral("--local") }
                                 << "--plan FILE is required";
        QTest::newRow("no target") << QStringList { QStringLiteral("run"), QStringLiteral("--plan"),
            QStringLiteral("x") } << "--local";
        QTest::newRow("unknown option") << QStringList { QStringLiteral("run"), QStringLiteral("--frobnicate") }
                                        << "Unknown option 'frobnicate'";
        QTest::newRow("missing file") << QStringList { QStringLiteral("run"), QStringLiteral("--local"),
            QStringLiteral("--plan"), QStringLiteral("/nope.yaml") }
                                      << "/nope.yaml: cannot read the plan";
    }

    void usageErrorsExitTwo()
    {
        QFETCH(QStringList, args);
        QFETCH(QString, message);
        const auto r = nestscope(args);
        QCOMPARE(r.exitCode, 2);
        QVERIFY2(r.err.contains(message.toUtf8()), r.err.constData());
    }

    void sigtermKeepsFinishedSamples()
    {
        QTemporaryDir dir;
        const QString out = dir.filePath(QStringLiteral("run.json"));
        QProcess p;
        p.start(QStringLiteral(NESTSCOPE_BINARY),
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                data(QStringLiteral("quick-then-slow.yaml")), QStringLiteral("--json"), out });
        QVERIFY(p.waitForStarted());
        // Wait until the quick probe is reported, then stop the run as a CI job's timeout would.
        QByteArray err;
        QTRY_VERIFY_WITH_TIMEOUT((err += p.readAllStandardError()).contains("pass    quick"), 10000);
        p.terminate();
        QVERIFY(p.waitForFinished(5000));
        QCOMPARE(p.exitCode(), 130);
        QFile f(out);
        QVERIFY(f.open(QIODevice::ReadOnly));
        const QJsonObject o = QJsonDocument::fromJson(f.readAll()).object();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QVERIFY(!samples.isEmpty());
        QCOMPARE(samples.at(0).toObject().value(QStringLiteral("probe")).toString(), QStringLiteral("quick"));
        QCOMPARE(samples.at(0).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("pass"));
    }

    void noDisplaySaysSoAndShowsTheHeadlessWay()
    {
        QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
        env.remove(QStringLiteral("DISPLAY"));
        env.remove(QStringLiteral("WAYLAND_DISPLAY"));
        env.remove(QStringLiteral("QT_QPA_PLATFORM"));
        const auto r = nestscope({}, env);
        QCOMPARE(r.exitCode, 1);
        QVERIFY2(r.err.contains("there is no display"), r.err.constData());
        QVERIFY(r.err.contains("nestscope run --local --plan"));
    }
};

QTEST_GUILESS_MAIN(TestCli)
#include "tst_cli.moc"
