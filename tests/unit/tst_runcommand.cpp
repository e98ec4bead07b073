// `nestscope run` in-process: the command-line front-end (app/cli.cpp, library nestscope_cli,
// which links core and no widgets) called as main() calls it, on this machine, writing real
// files and a real SQLite store. tests/integration/tst_cli covers the binary from outside.

#include "cli.h"
#include "results/runjson.h"
#include "results/runstore.h"

#include <QCoreApplication>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <csignal>

using namespace nestscope;

namespace {

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QStringList statuses(const QList<Sample> &samples)
{
    QStringList out;
    for (const Sample &s : samples) {
        out << s.probeId + QLatin1Char('#') + QString::number(s.repetition) + QLatin1Char('=') + toText(s.status);
    }
    out.sort();
    return out;
}

} // namespace

class TestRunCommand : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void everyOutputAndTheStoreGetTheSameRun()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString junit = dir.filePath(QStringLiteral("run.xml"));
        const QString markdown = dir.filePath(QStringLiteral("run.md"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        const int code = runCommand({ QStringLiteral("nestscope"), QStringLiteral("--local"), QStringLiteral("--plan"),
            QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml"), QStringLiteral("--no-topology"),
            QStringLiteral("--quiet"), QStringLiteral("--json"), json, QStringLiteral("--junit"), junit,
            QStringLiteral("--markdown"), markdown, QStringLiteral("--store"), store });
        QCOMPARE(code, 1); // shell-false fails on purpose

        const auto run = runFromJson(readAll(json));
        QVERIFY2(run, run ? "" : qPrintable(run.error().toString()));
        const QStringList expected { QStringLiteral("shell-false#0=fail"), QStringLiteral("shell-false#1=fail"),
            QStringLiteral("shell-true#0=pass"), QStringLiteral("shell-true#1=pass") };
        QCOMPARE(statuses(run->samples), expected);
        QCOMPARE(run->targets, QStringList { QStringLiteral("runner") });
        QVERIFY(!run->cancelled);

        RunStore stored;
        QVERIFY(stored.open(store));
        const QList<RunInfo> runs = stored.runs();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.first().status, RunStatus::Finished);
        const auto fromStore = stored.loadRun(runs.first().id);
        QVERIFY(fromStore);
        QCOMPARE(statuses(fromStore->samples), expected);

        const QByteArray xml = readAll(junit);
        QVERIFY2(xml.contains("shell-false"), xml.constData());
        QVERIFY2(xml.contains("<failure"), xml.constData());
        const QByteArray md = readAll(markdown);
        QVERIFY2(md.contains("shell-false"), md.constData());
        QVERIFY2(md.contains("this one fails on purpose"), md.constData());
    }

    void aPlanErrorStopsBeforeAnythingRuns()
    {
        QTemporaryDir dir;
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const int code = runCommand({ QStringLiteral("nestscope"), QStringLiteral("--local"), QStringLiteral("--plan"),
            QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/bad-kind.yaml"), QStringLiteral("--json"), json });
        QCOMPARE(code, 2);
        QVERIFY(!QFile::exists(json));
    }

    // Last: the process remembers the first signal it caught (SignalWatcher::caught()).
    void aSignalStopsTheRunAndKeepsWhatFinished()
    {
        QTemporaryDir dir;
        const QString pidFile = dir.filePath(QStringLiteral("sleeper.pid"));
        const QString marker = dir.filePath(QStringLiteral("never"));
        const QString plan = dir.filePath(QStringLiteral("plan.yaml"));
        QFile f(plan);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("name: Held up\ndefaults: {concurrency: 1, timeout: 600s}\nprobes:\n"
                "  - {id: quick, kind: shell, command: \"true\"}\n"
                "  - {id: sleeper, kind: shell, command: \"echo $$ > '"
            + pidFile.toUtf8() + "'; exec sleep 300\"}\n  - {id: never, kind: shell, command: \"touch '"
            + marker.toUtf8() + "'\"}\n");
        f.close();
        const QString json = dir.filePath(QStringLiteral("run.json"));
        const QString store = dir.filePath(QStringLiteral("runs.sqlite"));
        // The signal comes once the sleeper has said its PID, from inside the command's event loop.
        QTimer poll;
        poll.setInterval(20);
        QObject::connect(&poll, &QTimer::timeout, &poll, [&] {
            if (!readAll(pidFile).trimmed().isEmpty()) {
                poll.stop();
                ::raise(SIGTERM);
            }
        });
        poll.start();
        const int code = runCommand({ QStringLiteral("nestscope"), QStringLiteral("--local"), QStringLiteral("--plan"),
            plan, QStringLiteral("--no-topology"), QStringLiteral("--quiet"), QStringLiteral("--json"), json,
            QStringLiteral("--store"), store });
        QCOMPARE(code, 130);
        QVERIFY(!QFile::exists(marker));
        const QJsonObject o = QJsonDocument::fromJson(readAll(json)).object();
        QCOMPARE(o.value(QStringLiteral("status")).toString(), QStringLiteral("cancelled"));
        const QJsonArray samples = o.value(QStringLiteral("samples")).toArray();
        QCOMPARE(samples.size(), 2);
        QCOMPARE(samples.at(0).toObject().value(QStringLiteral("status")).toString(), QStringLiteral("pass"));
        RunStore stored;
        QVERIFY(stored.open(store));
        QCOMPARE(stored.runs().size(), 1);
        QCOMPARE(stored.runs().first().status, RunStatus::Cancelled);
        QCOMPARE(stored.runs().first().samples, 2);
    }
};

QTEST_GUILESS_MAIN(TestRunCommand)
#include "tst_runcommand.moc"
