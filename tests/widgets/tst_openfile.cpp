// File > Open… and drops: a file opens as what its content says it is (issue 14, item 6).
#include "mainwindow.h"
#include "matrixmodel.h"
#include "planeditor.h"
#include "results/runstore.h"
#include "runlistview.h"
#include "runview.h"
#include "topologyview.h"

#include <QAction>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QTabWidget>
#include <QTemporaryDir>
#include <QTest>
#include <QUrl>

using namespace nestscope;

namespace {

const QString kPlan = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml");
const QString kOtherPlan = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/all-pass.yaml");
const QString kRun = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/before.json");
const QString kTopology = QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/topology/healthy.json");

QByteArray readAll(const QString &path)
{
    QFile f(path);
    return f.open(QIODevice::ReadOnly) ? f.readAll() : QByteArray();
}

QString writeFile(const QTemporaryDir &dir, const QString &name, const QByteArray &content)
{
    const QString path = dir.filePath(name);
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly) || f.write(content) != content.size()) {
        qFatal("cannot write %s", qPrintable(path));
    }
    return path;
}

/// A window with a plan open and its own run store, as the app starts.
struct Workbench {
    QTemporaryDir dir;
    MainWindow w;
    Workbench()
    {
        if (!w.openStore(dir.filePath(QStringLiteral("runs.sqlite"))).ok() || !w.openPlan(kPlan).ok()) {
            qFatal("cannot set the window up");
        }
        w.resize(1280, 820);
        w.show();
    }
};

int runViews(const MainWindow &w)
{
    int n = 0;
    for (QWidget *window : w.resultWindows()) {
        n += qobject_cast<RunView *>(window) ? 1 : 0;
    }
    return n;
}

} // namespace

class TestOpenFile : public QObject {
    Q_OBJECT
private Q_SLOTS:
    void opensAPlan()
    {
        Workbench b;
        const auto kind = b.w.openFile(kOtherPlan);
        QVERIFY2(kind.ok(), kind.ok() ? "" : qPrintable(kind.error().toString()));
        QCOMPARE(*kind, FileKind::Plan);
        QCOMPARE(b.w.plan().sourceFile, kOtherPlan);
        QCOMPARE(b.w.runStore()->runs().size(), 0);
        QCOMPARE(b.w.openAction()->shortcut(), QKeySequence(QKeySequence::Open));
    }

    void opensARunIntoTheStore()
    {
        Workbench b;
        const auto kind = b.w.openFile(kRun);
        QVERIFY2(kind.ok(), kind.ok() ? "" : qPrintable(kind.error().toString()));
        QCOMPARE(*kind, FileKind::Run);
        // Imported as the Runs dock's Import… does it, selected there, and shown.
        const QList<RunInfo> runs = b.w.runStore()->runs();
        QCOMPARE(runs.size(), 1);
        QCOMPARE(runs.first().planName, QStringLiteral("Before and after"));
        QCOMPARE(b.w.runList()->selectedRunIds(), QList<qint64> { runs.first().id });
        QCOMPARE(runViews(b.w), 1);
        // The plan the window had is still the plan.
        QCOMPARE(b.w.plan().sourceFile, kPlan);
        // Named after its file, not only "plan · date".
        QVERIFY2(runs.first().displayName().startsWith(QStringLiteral("before.json · Before and after")),
            qPrintable(runs.first().displayName()));
        // Opening it again opens the run the store has: no silent duplicate.
        QVERIFY(b.w.openFile(kRun).ok());
        QCOMPARE(b.w.runStore()->runs().size(), 1);
        QCOMPARE(b.w.runList()->selectedRunIds(), QList<qint64> { runs.first().id });
    }

    void aRunNamedYamlIsARun()
    {
        // Issue 14: Open Plan on a run file said "unknown key finished_at … Fix the plan".
        Workbench b;
        const QString path = writeFile(b.dir, QStringLiteral("ci-run.yaml"), readAll(kRun));
        b.w.openFiles({ path });
        QVERIFY(!b.w.openFileError());
        QCOMPARE(b.w.runStore()->runs().size(), 1);
        QCOMPARE(b.w.plan().sourceFile, kPlan);
        QCOMPARE(runViews(b.w), 1);
    }

    void aTopologyOpensOnItsPage()
    {
        Workbench b;
        const auto kind = b.w.openFile(kTopology);
        QVERIFY2(kind.ok(), kind.ok() ? "" : qPrintable(kind.error().toString()));
        QCOMPARE(*kind, FileKind::Topology);
        QCOMPARE(b.w.pages()->currentWidget(), b.w.topologyView());
        QCOMPARE(b.w.topologyView()->topology().hostname, QStringLiteral("lab-runner"));
        QVERIFY(!b.w.topologyView()->isDiscovering()); // the file is shown, not replaced by this machine's
        QCOMPARE(b.w.runStore()->runs().size(), 0);
    }

    void garbageSaysWhatItIsAndLosesNothing_data()
    {
        QTest::addColumn<QByteArray>("content");
        QTest::addColumn<QString>("name");
        QTest::addColumn<QString>("says");
        QTest::newRow("binary") << readAll(QStringLiteral("/bin/sh")).left(4096) << QStringLiteral("notes.yaml")
                                << QStringLiteral(
                                       "notes.yaml is not a plan, a run or a topology: it is a binary file.");
        QTest::newRow("empty") << QByteArray() << QStringLiteral("empty.json")
                               << QStringLiteral("empty.json is not a plan, a run or a topology: it is an empty file.");
        QTest::newRow("text") << readAll(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/reports/ipv6-only-to-healthy.md"))
                              << QStringLiteral("report.md")
                              << QStringLiteral("report.md is not a plan, a run or a topology: it is text without the "
                                                "keys of a plan");
        // A run cut short is a run that cannot be read: its reader says where.
        QTest::newRow("run cut short") << readAll(kRun).left(700) << QStringLiteral("cut.json")
                                       << QStringLiteral("cut.json is a run, but it cannot be read:");
    }

    void garbageSaysWhatItIsAndLosesNothing()
    {
        QFETCH(QByteArray, content);
        QFETCH(QString, name);
        QFETCH(QString, says);
        Workbench b;
        QVERIFY(QTest::qWaitForWindowExposed(&b.w));
        const int rows = b.w.matrixModel()->rowCount();
        const QString path = writeFile(b.dir, name, content);
        b.w.openFiles({ path });
        QMessageBox *box = b.w.openFileError();
        QVERIFY(box);
        QTRY_VERIFY_WITH_TIMEOUT(box->isVisible(), 30000);
        QVERIFY2(box->text().startsWith(says), qPrintable(box->text()));
        QVERIFY2(box->informativeText().contains(QStringLiteral("runs (JSON, from File > Save Results or `nestscope "
                                                                "run --json`)")),
            qPrintable(box->informativeText()));
        QVERIFY2(box->informativeText().contains(QStringLiteral("The plan \u201cTwo probes\u201d is still open.")),
            qPrintable(box->informativeText()));
        // Nothing lost: the plan, its matrix and the store are as they were.
        QCOMPARE(b.w.plan().sourceFile, kPlan);
        QCOMPARE(b.w.matrixModel()->rowCount(), rows);
        QCOMPARE(b.w.runStore()->runs().size(), 0);
        QCOMPARE(runViews(b.w), 0);
        box->close();
        QTRY_VERIFY_WITH_TIMEOUT(!b.w.openFileError(), 30000); // deleted on close
    }

    void droppedFilesOpen()
    {
        Workbench b;
        QVERIFY(QTest::qWaitForWindowExposed(&b.w));
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(kOtherPlan), QUrl::fromLocalFile(kRun) });
        QDragEnterEvent enter(QPoint(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&b.w, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(200, 200), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(&b.w, &drop);
        QVERIFY(drop.isAccepted());
        QTRY_COMPARE_WITH_TIMEOUT(b.w.plan().sourceFile, kOtherPlan, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(b.w.runStore()->runs().size(), 1, 30000);
        QCOMPARE(runViews(b.w), 1);
        QVERIFY(!b.w.openFileError());

        // Not files (a bit of text, a web link): not taken.
        QMimeData text;
        text.setText(QStringLiteral("probes:"));
        text.setUrls({ QUrl(QStringLiteral("https://example.invalid/plan.yaml")) });
        QDragEnterEvent notFiles(QPoint(200, 200), Qt::CopyAction, &text, Qt::LeftButton, Qt::NoModifier);
        notFiles.setAccepted(false);
        QApplication::sendEvent(&b.w, &notFiles);
        QVERIFY(!notFiles.isAccepted());
    }

    void aFileDroppedOnThePlanEditorOpensToo()
    {
        // The editor would paste the file's path into the plan; the window opens it instead.
        Workbench b;
        QVERIFY(QTest::qWaitForWindowExposed(&b.w));
        QWidget *editor = b.w.planEditor()->textEdit()->viewport();
        const QString before = b.w.planEditor()->textEdit()->toPlainText();
        QMimeData mime;
        mime.setUrls({ QUrl::fromLocalFile(kOtherPlan) });
        mime.setText(kOtherPlan);
        QDragEnterEvent enter(QPoint(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(editor, &enter);
        QVERIFY(enter.isAccepted());
        QDropEvent drop(QPointF(10, 10), Qt::CopyAction, &mime, Qt::LeftButton, Qt::NoModifier);
        QApplication::sendEvent(editor, &drop);
        QTRY_COMPARE_WITH_TIMEOUT(b.w.plan().sourceFile, kOtherPlan, 30000);
        QVERIFY(!b.w.planEditor()->textEdit()->toPlainText().contains(kOtherPlan));
        QVERIFY(b.w.planEditor()->textEdit()->toPlainText() != before); // it shows the dropped plan
    }
};

QTEST_MAIN(TestOpenFile)
#include "tst_openfile.moc"
