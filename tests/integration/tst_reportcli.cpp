#include "clirun.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using nestscope::test::headlessEnvironment;
using nestscope::test::runNestscope;

namespace {

const QString kRuns = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/");

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

} // namespace

class TestReportCli : public QObject {
    Q_OBJECT

private Q_SLOTS:
    // The three formats from a recorded comparison, with no display: the Markdown is the golden
    // file tst_reports checks the report model against, so the CLI adds nothing and drops nothing.
    void reportWritesEveryFormatWithoutADisplay()
    {
        QTemporaryDir dir;
        const QString md = dir.filePath(QStringLiteral("r.md"));
        const QString html = dir.filePath(QStringLiteral("r.html"));
        const QString pdf = dir.filePath(QStringLiteral("r.pdf"));
        const auto r = runNestscope(
            { QStringLiteral("report"), kRuns + QStringLiteral("ipv6-only.json"), QStringLiteral("--compare"),
                kRuns + QStringLiteral("healthy.json"), QStringLiteral("--markdown"), md, QStringLiteral("--html"),
                html, QStringLiteral("--pdf"), pdf },
            headlessEnvironment());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        QCOMPARE(readAll(md), readAll(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/reports/ipv6-only-to-healthy.md")));
        QVERIFY(readAll(html).startsWith("<!DOCTYPE html>"));
        QVERIFY(readAll(html).contains("<svg xmlns=\"http://www.w3.org/2000/svg\""));
        QVERIFY(readAll(pdf).startsWith("%PDF-"));
        // Markdown to standard output, for a pipe.
        const auto piped = runNestscope({ QStringLiteral("report"), kRuns + QStringLiteral("forward-drop.json"),
                                            QStringLiteral("--markdown"), QStringLiteral("-") },
            headlessEnvironment());
        QCOMPARE(piped.exitCode, 0);
        QVERIFY2(piped.out.contains("## Findings"), piped.out.left(500).constData());
    }

    // Every output is checked before the run is read: the message names the option and the path.
    void outputsAreCheckedBeforeAnythingIsRead()
    {
        QTemporaryDir dir;
        const auto r = runNestscope({ QStringLiteral("report"), dir.filePath(QStringLiteral("missing.json")),
                                        QStringLiteral("--html"), dir.filePath(QStringLiteral("no/such/r.html")) },
            headlessEnvironment());
        QCOMPARE(r.exitCode, 2);
        const QByteArray expected
            = QByteArray("cannot write --html ") + dir.filePath(QStringLiteral("no/such/r.html")).toUtf8();
        QVERIFY2(r.err.contains(expected), r.err.constData());
        QVERIFY2(!r.err.contains("missing.json"), r.err.constData()); // it stopped before reading the run

        const auto unreadable = runNestscope({ QStringLiteral("report"), dir.filePath(QStringLiteral("missing.json")),
                                                 QStringLiteral("--markdown"), dir.filePath(QStringLiteral("r.md")) },
            headlessEnvironment());
        QCOMPARE(unreadable.exitCode, 2);
        QVERIFY2(unreadable.err.contains("missing.json: cannot read the run"), unreadable.err.constData());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("r.md"))));
    }

    // A run made with --no-topology gets its environment, figure and diagnosis from --topology.
    void aTopologyFileStandsInForTheSnapshot()
    {
        QTemporaryDir dir;
        const QString md = dir.filePath(QStringLiteral("r.md"));
        const QString run = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/before.json");
        const auto without
            = runNestscope({ QStringLiteral("report"), run, QStringLiteral("--markdown"), md }, headlessEnvironment());
        QCOMPARE(without.exitCode, 0);
        QVERIFY(readAll(md).contains("Not known: the run has no topology snapshot"));
        const auto with = runNestscope(
            { QStringLiteral("report"), run, QStringLiteral("--topology"),
                QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/topology/healthy.json"), QStringLiteral("--markdown"), md },
            headlessEnvironment());
        QVERIFY2(with.exitCode == 0, with.err.constData());
        QVERIFY2(readAll(md).contains("| Runner | lab-runner |"), readAll(md).left(1500).constData());
        const auto bad = runNestscope(
            { QStringLiteral("report"), run, QStringLiteral("--topology"), run, QStringLiteral("--markdown"), md },
            headlessEnvironment());
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("nestscope topology --json"), bad.err.constData());
    }

    void usageErrorsSayWhatIsMissing()
    {
        const auto none
            = runNestscope({ QStringLiteral("report"), kRuns + QStringLiteral("healthy.json") }, headlessEnvironment());
        QCOMPARE(none.exitCode, 2);
        QVERIFY(none.err.contains("say what to write: --markdown FILE, --html FILE or --pdf FILE"));
        const auto pdfToTerminal = runNestscope({ QStringLiteral("report"), kRuns + QStringLiteral("healthy.json"),
                                                    QStringLiteral("--pdf"), QStringLiteral("-") },
            headlessEnvironment());
        QCOMPARE(pdfToTerminal.exitCode, 2);
        QVERIFY(pdfToTerminal.err.contains("--pdf wants a file"));
        const auto noRun = runNestscope(
            { QStringLiteral("report"), QStringLiteral("--html"), QStringLiteral("x") }, headlessEnvironment());
        QCOMPARE(noRun.exitCode, 2);
        QVERIFY(noRun.err.contains("say which run to report on"));
    }

    // `run --html --pdf` writes the report of the run it just made, headless.
    void runWritesTheReportToo()
    {
        QTemporaryDir dir;
        const QString html = dir.filePath(QStringLiteral("run.html"));
        const QString pdf = dir.filePath(QStringLiteral("run.pdf"));
        const auto r = runNestscope(
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/all-pass.yaml"), QStringLiteral("--no-topology"),
                QStringLiteral("--quiet"), QStringLiteral("--html"), html, QStringLiteral("--pdf"), pdf },
            headlessEnvironment());
        QVERIFY2(r.exitCode == 0, r.err.constData());
        const QByteArray page = readAll(html);
        QVERIFY(page.contains("Every expectation held on runner (3 samples)."));
        QVERIFY(page.contains("No diagnosis: the run has no topology snapshot"));
        QVERIFY(readAll(pdf).startsWith("%PDF-"));
        // An unwritable --pdf stops the run before it starts.
        const auto bad = runNestscope(
            { QStringLiteral("run"), QStringLiteral("--local"), QStringLiteral("--plan"),
                QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/all-pass.yaml"), QStringLiteral("--no-topology"),
                QStringLiteral("--pdf"), dir.filePath(QStringLiteral("no/such/run.pdf")) },
            headlessEnvironment());
        QCOMPARE(bad.exitCode, 2);
        QVERIFY2(bad.err.contains("cannot write --pdf"), bad.err.constData());
        QVERIFY(!bad.err.contains("pass,")); // nothing ran
    }
};

QTEST_GUILESS_MAIN(TestReportCli)
#include "tst_reportcli.moc"
