#include "mainwindow.h"
#include "reportdialog.h"
#include "results/runjson.h"
#include "topologyscene.h"

#include <QAction>
#include <QClipboard>
#include <QFile>
#include <QGuiApplication>
#include <QMenuBar>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

Result<Run> recorded(const QString &scenario)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/") + scenario + QStringLiteral(".json"));
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { f.errorString(), f.fileName() };
    }
    return runFromJson(f.readAll(), f.fileName());
}

QList<ReportDialog::Source> lab()
{
    return {
        { QStringLiteral("ipv6-only"),
            [] {
                return recorded(QStringLiteral("ipv6-only"));
            } },
        { QStringLiteral("healthy"),
            [] {
                return recorded(QStringLiteral("healthy"));
            } },
        { QStringLiteral("missing"),
            [] {
                return recorded(QStringLiteral("no-such-scenario"));
            } },
    };
}

} // namespace

class TestReportDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void previewShowsTheReportBeforeSaving()
    {
        ReportDialog dialog(lab());
        QSignalSpy ready(&dialog, &ReportDialog::reportReady);
        dialog.select(0, 1);
        QVERIFY(!dialog.report()); // built on a worker thread
        QVERIFY(dialog.previewText().startsWith(QStringLiteral("Preparing the report")));
        QVERIFY(ready.wait(30000));
        QVERIFY(dialog.report());
        const Report &report = *dialog.report();
        QVERIFY(report.verification && report.verification->fixed > 0);
        const QString preview = dialog.previewText();
        QVERIFY2(preview.contains(report.diagnosis->findings.constFirst().title), qPrintable(preview.left(500)));
        QVERIFY(preview.contains(QStringLiteral("Verification")));
        QVERIFY(preview.contains(QStringLiteral("Partly verified.")));

        dialog.setFormat(ReportDialog::Format::Markdown);
        QVERIFY(dialog.previewText().startsWith(QStringLiteral("# ")));
        QVERIFY(dialog.previewText().contains(QStringLiteral("## Verification")));
    }

    void savesEachFormat()
    {
        ReportDialog dialog(lab());
        QSignalSpy ready(&dialog, &ReportDialog::reportReady);
        dialog.select(0, 1);
        QVERIFY(ready.wait(30000));
        QTemporaryDir dir;
        const QList<std::pair<ReportDialog::Format, QByteArray>> formats { { ReportDialog::Format::Markdown, "# " },
            { ReportDialog::Format::Html, "<!DOCTYPE html>" }, { ReportDialog::Format::Pdf, "%PDF-" } };
        for (const auto &[format, start] : formats) {
            dialog.setFormat(format);
            const QString path = dir.filePath(QStringLiteral("report-%1").arg(int(format)));
            QCOMPARE(dialog.saveTo(path), QString());
            QFile f(path);
            QVERIFY(f.open(QIODevice::ReadOnly));
            QVERIFY2(f.readAll().startsWith(start), start.constData());
        }
        // A folder that does not exist is said before anything is rendered.
        QVERIFY(!dialog.saveTo(dir.filePath(QStringLiteral("no/such/folder/report.pdf"))).isEmpty());
    }

    void aRunThatCannotBeReadIsSaid()
    {
        ReportDialog dialog(lab());
        QSignalSpy ready(&dialog, &ReportDialog::reportReady);
        dialog.select(2);
        QVERIFY(!dialog.report());
        QVERIFY(dialog.previewText().isEmpty());
        QTemporaryDir dir;
        QVERIFY(!dialog.saveTo(dir.filePath(QStringLiteral("never-written.md"))).isEmpty());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("never-written.md"))));
        // A newer choice wins over one still being built: only its report arrives.
        dialog.select(0);
        dialog.select(1);
        QVERIFY(ready.wait(30000));
        QVERIFY(dialog.report());
        QCOMPARE(dialog.report()->run.startedAt, recorded(QStringLiteral("healthy"))->startedAt);
        ReportDialog none({});
        QVERIFY(!none.report());
    }

    void reportFigureColoursEdgesAsTheTopologyViewDoes()
    {
        // The report's figure (core) and the Topology page (widgets) read a run's verdicts per edge
        // alike: same graph, same run, same colour on every edge.
        for (const QString &scenario :
            { QStringLiteral("ipv6-only"), QStringLiteral("forward-drop"), QStringLiteral("healthy") }) {
            auto run = recorded(scenario);
            QVERIFY(run);
            ReportInput input;
            input.run = &*run;
            const Report report = buildReport(input);
            QVERIFY(report.hasFigure());
            TopologyScene scene;
            scene.setGraph(report.graph, report.layout);
            scene.setEdgeResults(edgeResultsFromRun(*run));
            QCOMPARE(scene.edgeCount(), int(report.edges.size()));
            int coloured = 0;
            for (int i = 0; i < scene.edgeCount(); ++i) {
                QColor expected = TopologyScene::unknownColor();
                switch (report.edges.at(i).look) {
                case EdgeVerdict::Look::Pass:
                    expected = TopologyScene::passColor();
                    break;
                case EdgeVerdict::Look::Fail:
                    expected = TopologyScene::failColor();
                    break;
                case EdgeVerdict::Look::Mixed:
                    expected = TopologyScene::warningColor();
                    break;
                case EdgeVerdict::Look::Plain:
                    expected = TopologyScene::plainEdgeColor();
                    break;
                case EdgeVerdict::Look::Unknown:
                    break;
                }
                coloured += expected != TopologyScene::unknownColor();
                QVERIFY2(scene.edgeColor(i) == expected,
                    qPrintable(QStringLiteral("%1: edge %2 (%3 -> %4)")
                                   .arg(scenario)
                                   .arg(i)
                                   .arg(report.graph.edges.at(i).from, report.graph.edges.at(i).to)));
            }
            QVERIFY2(coloured > 0, qPrintable(scenario));
        }
    }

    void fileMenuOpensIt()
    {
        MainWindow window;
        QAction *action = window.findChild<QAction *>(QStringLiteral("exportReportAction"));
        QVERIFY(action);
        QVERIFY(action->text().startsWith(QStringLiteral("Export &Report")));
        const QMenu *file = window.menuBar()->findChildren<QMenu *>().value(0);
        QVERIFY(file && file->actions().contains(action));
        // The current run: none yet, so the dialog offers only the store's (none here).
        QVERIFY(ReportDialog::sourcesFor(window.currentRun(), window.runStore()).isEmpty());
        auto run = recorded(QStringLiteral("ipv6-only"));
        QVERIFY(run);
        QCOMPARE(ReportDialog::sourcesFor(*run, nullptr).size(), 1);
    }
};

QTEST_MAIN(TestReportDialog)
#include "tst_reportdialog.moc"
