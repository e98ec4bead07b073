#include "comparisonview.h"
#include "mainwindow.h"
#include "matrixmodel.h"
#include "resultcharts.h"
#include "results/runstore.h"
#include "runlistmodel.h"
#include "runlistview.h"
#include "topologyview.h"

#include <QAction>
#include <QChart>
#include <QDir>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRegularExpression>
#include <QSignalSpy>
#include <QSysInfo>
#include <QTableView>
#include <QTemporaryDir>
#include <QTest>

using namespace nestscope;

namespace {

bool runPlan(MainWindow &w)
{
    QSignalSpy finished(&w, &MainWindow::runFinished);
    w.runAction()->trigger();
    return finished.count() == 1 || finished.wait(30000);
}

} // namespace

class TestMainWindowStore : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void runsAreStoredListedOpenedAndCompared()
    {
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openStore(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml")).ok());
        w.resize(1280, 820);
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));

        QVERIFY(runPlan(w));
        RunStore *store = w.runStore();
        // Every sample reached the file, and the run is closed as finished.
        QTRY_COMPARE_WITH_TIMEOUT(store->runs().size(), 1, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(store->runs().first().status, RunStatus::Finished, 30000);
        QCOMPARE(store->runs().first().samples, 4);
        QCOMPARE(store->loadRun(store->runs().first().id)->samples.size(), 4);
        QCOMPARE(w.runList()->model()->rowCount(), 1);
        // The topology of this machine was discovered while the run went on, and joined it.
        const qint64 first = store->runs().first().id;
        QTRY_VERIFY_WITH_TIMEOUT(!store->loadHeader(first)->topologyJson.isEmpty(), 30000);
        const QJsonObject topology = QJsonDocument::fromJson(store->loadHeader(first)->topologyJson).object();
        QCOMPARE(topology.value(QStringLiteral("transport")).toString(), QStringLiteral("local"));
        QVERIFY(!w.currentRun().topologyJson.isEmpty());
        // The live charts caught up with the finished run.
        QTRY_COMPARE_WITH_TIMEOUT(w.charts()->chart(ResultCharts::Timeline)->series().size(), 2, 30000);

        QVERIFY(runPlan(w));
        QTRY_COMPARE_WITH_TIMEOUT(store->runs().size(), 2, 30000);
        QTRY_COMPARE_WITH_TIMEOUT(w.runList()->model()->rowCount(), 2, 30000);
        const auto allFinished = [store] {
            const QList<RunInfo> runs = store->runs(); // one list: begin and end of the same one
            return std::all_of(runs.cbegin(), runs.cend(), [](const RunInfo &r) {
                return r.status == RunStatus::Finished;
            });
        };
        QTRY_VERIFY_WITH_TIMEOUT(allFinished(), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(
            w.runList()->model()->index(0, RunListModel::Status).data().toString(), QStringLiteral("finished"), 30000);
        if (qEnvironmentVariableIsSet("NESTSCOPE_UPDATE_SCREENSHOTS")) {
            QVERIFY(w.grab().save(QStringLiteral(NESTSCOPE_SOURCE_DIR "/docs/screenshots/main-window-store.png")));
        }

        // Compare the two from the run list: a comparison window opens, nothing changed between them.
        QList<qint64> ids;
        for (const RunInfo &r : store->runs()) {
            ids << r.id;
        }
        w.runList()->selectRuns(ids);
        w.runList()->compareSelected();
        QCOMPARE(w.resultWindows().size(), 1);
        auto *comparison = qobject_cast<ComparisonView *>(w.resultWindows().last());
        QVERIFY(comparison);
        QCOMPARE(comparison->comparison().count(CellChange::Fixed), 0);
        QCOMPARE(comparison->comparison().count(CellChange::Broke), 0);

        // Open a saved run: its matrix is rebuilt from the store.
        w.openStoredRuns({ ids.last() });
        QCOMPARE(w.resultWindows().size(), 2);
        auto *table = w.resultWindows().last()->findChild<QTableView *>();
        QVERIFY(table);
        const auto cell = table->model()->index(1, 0).data(MatrixModel::CellRole).value<MatrixCell>();
        QCOMPARE(cell.failed, 2);
    }

    void aStaleTopologyIsDiscoveredAgainForTheRun()
    {
        // The page shows this runner as it was an hour ago (before the user fixed something): the
        // run keeps what it meets now, not that.
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openStore(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml")).ok());
        Topology old;
        old.transport = QStringLiteral("local");
        old.hostname = QStringLiteral("an-hour-ago");
        old.discoveredAt = QDateTime::currentDateTimeUtc().addSecs(-3600);
        w.topologyView()->setTopology(old);
        QVERIFY(runPlan(w));
        RunStore *store = w.runStore();
        QTRY_COMPARE_WITH_TIMEOUT(store->runs().size(), 1, 30000);
        const qint64 id = store->runs().first().id;
        const auto hostname = [&] {
            const QJsonObject t = QJsonDocument::fromJson(store->loadHeader(id)->topologyJson).object();
            return t.value(QStringLiteral("runner")).toObject().value(QStringLiteral("hostname")).toString();
        };
        QTRY_COMPARE_WITH_TIMEOUT(hostname(), QSysInfo::machineHostName(), 30000);
    }

    void unwritableStoreWarnsAndTheRunGoesOn()
    {
        MainWindow w;
        QSignalSpy warnings(&w, &MainWindow::storeWarning);
        QVERIFY(!w.openStore(QStringLiteral("/proc/nestscope-test/runs.sqlite")).ok());
        QCOMPARE(warnings.count(), 1);
        QVERIFY(!w.runStore());

        // A store that fills up during the run: one warning, and the run completes in memory.
        QTemporaryDir dir;
        QVERIFY(w.openStore(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        w.runStore()->setMaximumSize(0); // no room beyond what the file has
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/big-output.yaml")).ok());
        QTest::ignoreMessage(QtWarningMsg, QRegularExpression(QStringLiteral("full")));
        QVERIFY(runPlan(w));
        QTRY_COMPARE_WITH_TIMEOUT(warnings.count(), 2, 30000);
        QVERIFY(warnings.last().at(0).toString().contains(QStringLiteral("full")));
        QCOMPARE(w.currentRun().samples.size(), 1);
        QCOMPARE(w.currentRun().samples.first().status, SampleStatus::Pass);
    }
};

QTEST_MAIN(TestMainWindowStore)
#include "tst_mainwindowstore.moc"
