// What a file is, from its content (File > Open… and drops on the window): issue 14, item 6.
#include "plan/plan.h"
#include "report/reports.h"
#include "results/runjson.h"
#include "results/runstore.h"
#include "session/filekind.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

Q_DECLARE_METATYPE(nestscope::FileKind)

namespace {

QByteArray readHead(const QString &path)
{
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(path));
    }
    return f.read(kSniffBytes);
}

QStringList filesIn(const QString &dir, const QString &pattern)
{
    QStringList out;
    for (const QString &f : QDir(dir).entryList({ pattern }, QDir::Files, QDir::Name)) {
        out << dir + QLatin1Char('/') + f;
    }
    return out;
}

} // namespace

class TestFileKind : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void recordedFiles_data()
    {
        QTest::addColumn<QString>("path");
        QTest::addColumn<FileKind>("kind");
        const QString data = QStringLiteral(NESTSCOPE_TEST_DATA_DIR);
        // Every plan the project has (bad-kind.yaml has an error: still a plan, for its error to show).
        for (const QString &p : filesIn(data + QStringLiteral("/plans"), QStringLiteral("*.yaml"))
                + filesIn(QStringLiteral(NESTSCOPE_SOURCE_DIR "/resources/plans"), QStringLiteral("*.yaml"))) {
            QTest::newRow(qPrintable(QDir(QStringLiteral(NESTSCOPE_SOURCE_DIR)).relativeFilePath(p)))
                << p << FileKind::Plan;
        }
        // Every recorded run: sorted keys (the older writer) and streamed (format first).
        for (const QString &p : filesIn(data + QStringLiteral("/runs"), QStringLiteral("*.json"))
                + filesIn(data + QStringLiteral("/runs/scenarios"), QStringLiteral("*.json"))) {
            QTest::newRow(qPrintable(QDir(QStringLiteral(NESTSCOPE_SOURCE_DIR)).relativeFilePath(p)))
                << p << FileKind::Run;
        }
        for (const QString &p : filesIn(data + QStringLiteral("/topology"), QStringLiteral("*.json"))) {
            QTest::newRow(qPrintable(QDir(QStringLiteral(NESTSCOPE_SOURCE_DIR)).relativeFilePath(p)))
                << p << FileKind::Topology;
        }
        QTest::newRow("a Markdown report")
            << data + QStringLiteral("/reports/ipv6-only-to-healthy.md") << FileKind::Unknown;
        QTest::newRow("a lab fixture (ip -j addr)")
            << data + QStringLiteral("/lab/healthy/runner/ip-addr.json") << FileKind::Unknown;
        QTest::newRow("lxc's error") << data + QStringLiteral("/lxd-errors/daemon-not-running.txt")
                                     << FileKind::Unknown;
        QTest::newRow("a program") << QStringLiteral("/bin/sh") << FileKind::Unknown;
    }

    void recordedFiles()
    {
        QFETCH(QString, path);
        QFETCH(FileKind, kind);
        const FileSniff sniff = sniffFile(readHead(path));
        QCOMPARE(sniff.kind, kind);
        QVERIFY(!sniff.what.isEmpty());
    }

    void contentNotName()
    {
        // Issue 14: a run file named .yaml was read as a plan ("unknown key finished_at … Fix the
        // plan"). The name plays no part; the run's first bytes say what it is.
        const QByteArray run = readHead(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/before.json"));
        QCOMPARE(sniffFile(run).kind, FileKind::Run);
        // A run cut short is still a run (its reader then says where it ends).
        QCOMPARE(sniffFile(run.left(300)).kind, FileKind::Run);
        // The streamed writer's run, with a topology inside: the run's own format comes first.
        Run r;
        r.planName = QStringLiteral("p");
        r.topologyJson = readHead(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/topology/healthy.json"));
        QCOMPARE(sniffFile(runJsonHead(r)).kind, FileKind::Run);
        QCOMPARE(sniffFile(runToJson(r)).kind, FileKind::Run);
        // With a byte-order mark.
        QCOMPARE(sniffFile(QByteArray("\xEF\xBB\xBF") + run).kind, FileKind::Run);
    }

    void whatItIsInstead()
    {
        QCOMPARE(sniffFile({}).what, QStringLiteral("an empty file"));
        QCOMPARE(sniffFile(readHead(QStringLiteral("/bin/sh"))).what, QStringLiteral("a binary file"));
        // The run store itself, made by the real store.
        QTemporaryDir dir;
        {
            RunStore store;
            QVERIFY(store.open(dir.filePath(QStringLiteral("runs.db"))).ok());
        }
        const FileSniff db = sniffFile(readHead(dir.filePath(QStringLiteral("runs.db"))));
        QCOMPARE(db.kind, FileKind::Unknown);
        QVERIFY2(db.what.startsWith(QLatin1String("an SQLite database")), qPrintable(db.what));
        // What the CLI writes besides runs: reports, not inputs.
        QFile runFile(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/before.json"));
        QVERIFY(runFile.open(QIODevice::ReadOnly));
        const auto run = runFromJson(runFile.readAll());
        QVERIFY(run.ok());
        const auto plan = loadPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/before-after.yaml"));
        QVERIFY(plan.ok());
        const FileSniff junit = sniffFile(runToJUnit(*plan, *run));
        QCOMPARE(junit.kind, FileKind::Unknown);
        QVERIFY2(junit.what.startsWith(QLatin1String("a JUnit report")), qPrintable(junit.what));
        const FileSniff markdown = sniffFile(runToMarkdown(*plan, *run));
        QCOMPARE(markdown.kind, FileKind::Unknown);
        QVERIFY2(markdown.what.startsWith(QLatin1String("text without the keys of a plan")), qPrintable(markdown.what));
        // JSON that is not ours.
        QCOMPARE(sniffFile("{\"format\": \"something-else\"}").what,
            QStringLiteral("JSON of the format \"something-else\""));
        QCOMPARE(sniffFile("[1, 2, 3]").what, QStringLiteral("JSON, but not a Nestscope run, topology or plan"));
        // A plan in JSON is a plan (YAML reads JSON).
        QCOMPARE(sniffFile("{\"name\": \"x\", \"probes\": []}").kind, FileKind::Plan);
    }
};

QTEST_GUILESS_MAIN(TestFileKind)
#include "tst_filekind.moc"
