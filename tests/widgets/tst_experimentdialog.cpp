// Try the Fix: the dialog shows exactly the commands that will run, runs nothing before Apply, runs
// them on a real LocalTransport (files in a temporary folder stand in for the runner's change),
// records the experiment in a real RunStore, shows a failing step with what is still applied, and
// in the main window reruns the plan, compares and writes the notes. A store that opens with a
// pending experiment offers it at once.
#include "comparisonview.h"
#include "experiment/experiment.h"
#include "experimentdialog.h"
#include "experimentlistdialog.h"
#include "findingspanel.h"
#include "mainwindow.h"
#include "results/runstore.h"
#include "transport/localtransport.h"

#include <QAction>
#include <QFile>
#include <QListView>
#include <QPushButton>
#include <QSignalSpy>
#include <QTemporaryDir>
#include <QTest>
#include <QTreeWidget>

#include <unistd.h>

using namespace nestscope;

namespace {

Finding touchFinding(const QTemporaryDir &dir, const QStringList &names, const QString &failing = {})
{
    Finding f;
    f.id = QStringLiteral("test-touch");
    f.title = QStringLiteral("The marker files are missing");
    f.cause = QStringLiteral("A test stands in for the runner's change.");
    for (const QString &n : names) {
        f.fix << FixStep { QStringLiteral("touch %1").arg(dir.filePath(n)),
            QStringLiteral("rm %1").arg(dir.filePath(n)), QStringLiteral("make %1").arg(n) };
        if (n == failing) {
            f.fix.last().command = QStringLiteral("exit 3");
        }
    }
    return f;
}

bool root()
{
    return ::geteuid() == 0;
}

} // namespace

class TestExperimentDialog : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void appliesExactlyTheShownCommandsAndReverts()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        LocalTransport transport;
        const Finding f = touchFinding(dir, { QStringLiteral("fixed"), QStringLiteral("second") });
        ExperimentDialog d(f, Run {}, 0, &transport, &store);
        d.show();
        QVERIFY(QTest::qWaitForWindowExposed(&d));
        QVERIFY(d.whoText().contains(QStringLiteral("checking")) || d.stage() == ExperimentDialog::Stage::Confirm);
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Confirm, 30000);
        // what is shown is what experimentSteps() makes of the finding for this user, byte for byte
        const QList<ExperimentStep> expected = experimentSteps(f, root());
        QCOMPARE(d.steps(), expected);
        for (const ExperimentStep &s : expected) {
            QVERIFY2(d.commandsText().contains(s.command + QLatin1Char('\n')), qPrintable(d.commandsText()));
            QVERIFY(d.commandsText().contains(QStringLiteral("revert: ") + s.revert));
        }
        QVERIFY(d.whereText().contains(transport.description()));
        QVERIFY(!d.whoText().contains(QStringLiteral("checking")));
        // nothing has run, and Enter would not run it
        QVERIFY(!d.applyButton()->isDefault());
        QVERIFY(!d.applyButton()->autoDefault());
        QVERIFY(d.applyButton()->isEnabled());
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("fixed"))));
        QVERIFY(store.experiments().isEmpty());

        QTest::mouseClick(d.applyButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir.filePath(QStringLiteral("second"))), 30000);
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("fixed"))));
        // no baseline to compare with: straight to keep or revert
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Decide, 30000);
        QCOMPARE(store.experiments().size(), 1);
        const Experiment applied = store.experiments().constFirst();
        QCOMPARE(applied.state, ExperimentState::Applied);
        QCOMPARE(applied.applied, 2);
        QCOMPARE(applied.steps, expected);
        QCOMPARE(applied.runner, transport.description());
        QVERIFY(d.logText().contains(QStringLiteral("$ ") + expected.at(0).command));
        QVERIFY(d.logText().contains(QStringLiteral("$ ") + expected.at(1).command));
        QVERIFY(d.keepButton()->isVisible());
        QVERIFY(d.revertButton()->isVisible());

        QTest::mouseClick(d.revertButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Done, 30000);
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("fixed"))));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("second"))));
        QCOMPARE(store.experiment(applied.id)->state, ExperimentState::Reverted);
        QCOMPARE(store.experiment(applied.id)->applied, 0);
    }

    void aFailingStepShowsTheErrorAndWhatIsApplied()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        LocalTransport transport;
        const Finding f = touchFinding(dir,
            { QStringLiteral("first"), QStringLiteral("broken"), QStringLiteral("never") }, QStringLiteral("broken"));
        ExperimentDialog d(f, Run {}, 0, &transport, &store);
        d.show();
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Confirm, 30000);
        QVERIFY(!d.revertButton()->isVisible());
        QTest::mouseClick(d.applyButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Failed, 30000);
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("first"))));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("never")))); // nothing after the failure ran
        QVERIFY2(d.errorText().contains(QStringLiteral("failed; nothing after it ran")), qPrintable(d.errorText()));
        QVERIFY(d.errorText().contains(QStringLiteral("1 of 3 steps")));
        QVERIFY(d.errorText().contains(experimentSteps(f, root()).at(0).revert)); // what undoes it
        QVERIFY(d.revertButton()->isVisible());
        QCOMPARE(d.revertButton()->text(), QStringLiteral("&Revert What Was Applied"));
        const Experiment failed = store.experiments().constFirst();
        QCOMPARE(failed.state, ExperimentState::Failed);
        QCOMPARE(failed.applied, 1);
        QVERIFY(failed.pending());

        QTest::mouseClick(d.revertButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(!QFile::exists(dir.filePath(QStringLiteral("first"))), 30000);
        QTRY_COMPARE_WITH_TIMEOUT(store.experiment(failed.id)->state, ExperimentState::Reverted, 30000);
    }

    void stopEndsAfterTheCommandInFlight()
    {
        QTemporaryDir dir;
        RunStore store;
        QVERIFY(store.open(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        LocalTransport transport;
        Finding f = touchFinding(dir, { QStringLiteral("first"), QStringLiteral("second") });
        // the first step waits for the test's word, so Stop is pressed while it is in flight
        f.fix[0].command = QStringLiteral("until [ -e %1 ]; do sleep 0.05; done; touch %2")
                               .arg(dir.filePath(QStringLiteral("go")), dir.filePath(QStringLiteral("first")));
        ExperimentDialog d(f, Run {}, 0, &transport, &store);
        d.show();
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Confirm, 30000);
        QTest::mouseClick(d.applyButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(d.logText().contains(QStringLiteral("$ until")), 30000);
        QCOMPARE(d.stage(), ExperimentDialog::Stage::Applying);
        QCOMPARE(d.cancelButton()->text(), QStringLiteral("Stop After This Command"));
        QTest::mouseClick(d.cancelButton(), Qt::LeftButton);
        QVERIFY(d.isVisible()); // it waits for the command in flight
        QFile go(dir.filePath(QStringLiteral("go")));
        QVERIFY(go.open(QIODevice::WriteOnly));
        go.close();
        QTRY_COMPARE_WITH_TIMEOUT(d.stage(), ExperimentDialog::Stage::Failed, 30000);
        QVERIFY(QFile::exists(dir.filePath(QStringLiteral("first"))));
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("second"))));
        QVERIFY2(d.errorText().contains(QStringLiteral("Stopped by the user")), qPrintable(d.errorText()));
        const Experiment e = store.experiments().constFirst();
        QCOMPARE(e.state, ExperimentState::Failed);
        QCOMPARE(e.applied, 1);
        QVERIFY(d.revertButton()->isVisible());
    }

    void pendingExperimentsAreOfferedWhenTheStoreOpens()
    {
        QTemporaryDir dir;
        const QString path = dir.filePath(QStringLiteral("runs.sqlite"));
        qint64 here = 0;
        qint64 there = 0;
        {
            RunStore store;
            QVERIFY(store.open(path).ok());
            Experiment e;
            e.runner = LocalTransport().description();
            e.findingId = QStringLiteral("test-touch");
            e.title = QStringLiteral("The marker file is missing");
            e.steps = { ExperimentStep { QStringLiteral("touch %1").arg(dir.filePath(QStringLiteral("m"))),
                QStringLiteral("rm %1").arg(dir.filePath(QStringLiteral("m"))), QString() } };
            e.applied = 1;
            e.state = ExperimentState::Applied;
            e.createdAt = e.updatedAt = QDateTime::currentDateTimeUtc();
            here = *store.addExperiment(e);
            e.runner = QStringLiteral("ssh://elsewhere");
            there = *store.addExperiment(e);
            e.state = ExperimentState::Kept; // not pending: not offered
            store.addExperiment(e);
        }
        MainWindow w;
        QVERIFY(w.openStore(path).ok());
        w.show();
        QTRY_VERIFY_WITH_TIMEOUT(w.experimentList() != nullptr, 30000);
        ExperimentListDialog *list = w.experimentList();
        QCOMPARE(list->list()->topLevelItemCount(), 2);

        // the other runner's change can only be reverted there
        list->selectExperiment(there);
        QVERIFY(list->detailsText().contains(QStringLiteral("rm %1").arg(dir.filePath(QStringLiteral("m")))));
        QTest::mouseClick(list->revertButton(), Qt::LeftButton);
        QVERIFY2(list->messageText().contains(QStringLiteral("Connect to ssh://elsewhere first")),
            qPrintable(list->messageText()));
        QCOMPARE(list->list()->topLevelItemCount(), 2);
        QVERIFY(w.experimentDialog() == nullptr);

        list->selectExperiment(here);
        QTest::mouseClick(list->keepButton(), Qt::LeftButton);
        QCOMPARE(w.runStore()->experiment(here)->state, ExperimentState::Kept);
        QCOMPARE(list->list()->topLevelItemCount(), 1);
        QTest::mouseClick(list->laterButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(w.experimentList() == nullptr, 30000);
        QVERIFY(w.runStore()->experiment(there)->pending());

        // Runner > Experiments… lists them all, with their state
        w.experimentsAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(w.experimentList() != nullptr, 30000);
        QCOMPARE(w.experimentList()->list()->topLevelItemCount(), 3);
    }

    void tryTheFixFromTheWindowRerunsComparesAndNotes_data()
    {
        QTest::addColumn<bool>("keep");
        QTest::newRow("keep") << true;
        QTest::newRow("revert") << false;
    }

    void tryTheFixFromTheWindowRerunsComparesAndNotes()
    {
        QFETCH(bool, keep);
        QTemporaryDir dir;
        MainWindow w;
        QVERIFY(w.openStore(dir.filePath(QStringLiteral("runs.sqlite"))).ok());
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml")).ok());
        w.show();
        QVERIFY(QTest::qWaitForWindowExposed(&w));
        QSignalSpy finished(&w, &MainWindow::runFinished);
        w.runAction()->trigger();
        QVERIFY(finished.wait(30000));
        RunStore *store = w.runStore();
        QTRY_COMPARE_WITH_TIMEOUT(store->runs().size(), 1, 30000);
        const qint64 baseline = store->runs().constFirst().id;

        // the Findings panel's button, on a finding with fix steps
        Diagnosis d;
        d.verdict = Diagnosis::Verdict::Explained;
        d.summary = QStringLiteral("markers missing");
        d.findings << touchFinding(dir, { QStringLiteral("fixed") });
        w.findings()->setDiagnosis(d);
        w.findings()->selectFinding(QStringLiteral("test-touch"));
        QVERIFY(w.findings()->tryFixButton()->isEnabled());
        w.findings()->tryFixButton()->click();
        QVERIFY(w.experimentDialog() != nullptr);
        ExperimentDialog *dialog = w.experimentDialog();
        dialog->setSettleSeconds(0);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), ExperimentDialog::Stage::Confirm, 30000);
        QTest::mouseClick(dialog->applyButton(), Qt::LeftButton);
        QTRY_VERIFY_WITH_TIMEOUT(QFile::exists(dir.filePath(QStringLiteral("fixed"))), 30000);
        // the window reran the plan, and the dialog compared it with the baseline
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), ExperimentDialog::Stage::Decide, 30000);
        QCOMPARE(store->runs().size(), 2);
        const QList<QWidget *> windows = w.resultWindows(); // one list: begin and end of the same one
        const bool compared = std::any_of(windows.cbegin(), windows.cend(), [](QWidget *win) {
            return qobject_cast<ComparisonView *>(win) != nullptr;
        });
        QVERIFY(compared);
        const Experiment e = *store->experiment(dialog->experiment().id);
        QCOMPARE(e.state, ExperimentState::Applied);
        QCOMPARE(e.baselineRun, baseline);
        QVERIFY(e.afterRun > baseline);
        QVERIFY(!e.outcome.isEmpty());
        const QString line = QStringLiteral("applied `%1`: ").arg(e.steps.at(0).command);
        QVERIFY2(store->runInfo(baseline)->notes.contains(line), qPrintable(store->runInfo(baseline)->notes));
        QVERIFY(store->runInfo(e.afterRun)->notes.contains(line));

        if (keep && qEnvironmentVariableIsSet("NESTSCOPE_UPDATE_SCREENSHOTS")) {
            QVERIFY(
                dialog->grab().save(QStringLiteral(NESTSCOPE_SOURCE_DIR "/docs/screenshots/experiment-compared.png")));
        }

        const auto comparisons = [&w] {
            const QList<QWidget *> windows = w.resultWindows();
            return std::count_if(windows.cbegin(), windows.cend(), [](QWidget *win) {
                return qobject_cast<ComparisonView *>(win) != nullptr;
            });
        };
        if (keep) {
            QTest::mouseClick(dialog->keepButton(), Qt::LeftButton);
            QCOMPARE(store->experiment(e.id)->state, ExperimentState::Kept);
            QVERIFY(QFile::exists(dir.filePath(QStringLiteral("fixed"))));
            return;
        }
        // Revert undoes it, reruns, and compares again with the baseline
        QTest::mouseClick(dialog->revertButton(), Qt::LeftButton);
        QTRY_COMPARE_WITH_TIMEOUT(dialog->stage(), ExperimentDialog::Stage::Done, 30000);
        QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("fixed"))));
        const Experiment reverted = *store->experiment(e.id);
        QCOMPARE(reverted.state, ExperimentState::Reverted);
        QVERIFY(reverted.revertRun > reverted.afterRun);
        QVERIFY2(reverted.outcome.contains(QStringLiteral("reverted: ")), qPrintable(reverted.outcome));
        const QString back = QStringLiteral("reverted `%1`: ").arg(e.steps.at(0).revert);
        QVERIFY2(store->runInfo(baseline)->notes.contains(back), qPrintable(store->runInfo(baseline)->notes));
        QVERIFY(store->runInfo(reverted.revertRun)->notes.contains(back));
        QCOMPARE(comparisons(), 2);
    }
};

QTEST_MAIN(TestExperimentDialog)
#include "tst_experimentdialog.moc"
