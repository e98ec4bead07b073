// The Findings panel and its model, on the diagnoses of runs recorded from the lab, and the main
// window's part: evidence marked in the matrix, findings that follow a run.
#include "diagnosis/diagnosis.h"
#include "findingsmodel.h"
#include "findingspanel.h"
#include "mainwindow.h"
#include "matrixmodel.h"
#include "results/runjson.h"

#include <QAbstractItemModelTester>
#include <QClipboard>
#include <QDockWidget>
#include <QFile>
#include <QGuiApplication>
#include <QListView>
#include <QSignalSpy>
#include <QTest>

using namespace nestscope;

namespace {

Diagnosis diagnosisOf(const char *scenario)
{
    QFile f(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/runs/scenarios/%1.json").arg(QLatin1String(scenario)));
    if (!f.open(QIODevice::ReadOnly)) {
        qFatal("cannot read %s", qPrintable(f.fileName()));
    }
    const auto run = runFromJson(f.readAll(), f.fileName());
    if (!run) {
        qFatal("%s", qPrintable(run.error().toString()));
    }
    const auto d = diagnoseRun(*run);
    if (!d) {
        qFatal("%s", qPrintable(d.error().toString()));
    }
    return *d;
}

} // namespace

class TestFindings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void modelFollowsTheDiagnosis()
    {
        FindingsModel model;
        QAbstractItemModelTester tester(&model, QAbstractItemModelTester::FailureReportingMode::QtTest);
        const Diagnosis natOff = diagnosisOf("nat-off");
        model.setDiagnosis(natOff);
        QCOMPARE(model.rowCount(), natOff.findings.size());
        QCOMPARE(model.index(0).data(FindingsModel::IdRole).toString(), QStringLiteral("nat-missing-ipv4"));
        QCOMPARE(model.index(0).data(FindingsModel::RankRole).toInt(), 1);
        QCOMPARE(model.index(0).data().toString(), natOff.findings.first().title);
        QCOMPARE(model.rowOf(QStringLiteral("nat-missing-ipv6")), 1);
        // The same findings again (a live update): rows stay, no reset.
        QSignalSpy reset(&model, &QAbstractItemModel::modelReset);
        model.setDiagnosis(natOff);
        QCOMPARE(reset.count(), 0);
        model.setDiagnosis(diagnosisOf("healthy"));
        QCOMPARE(reset.count(), 1);
        QCOMPARE(model.rowCount(), 0);
    }

    void panelShowsTheCauseItsEvidenceAndTheFix()
    {
        FindingsPanel panel;
        QSignalSpy evidence(&panel, &FindingsPanel::evidenceChanged);
        panel.setDiagnosis(diagnosisOf("forward-drop"));
        // The most likely cause is selected at once, and the window is told what it cites.
        QCOMPARE(panel.currentId(), QStringLiteral("firewall-forward-drop"));
        QVERIFY2(panel.headline().contains(QStringLiteral("Likely cause")), qPrintable(panel.headline()));
        const QString details = panel.detailsText();
        QVERIFY2(details.contains(QStringLiteral(":FORWARD DROP")), qPrintable(details));
        QVERIFY(details.contains(QStringLiteral("iptables -I FORWARD -i lxdbr0 -j ACCEPT")));
        QVERIFY(details.contains(QStringLiteral("iptables -D FORWARD -i lxdbr0 -j ACCEPT")));
        QVERIFY(evidence.count() >= 1);
        using Cells = QSet<std::pair<QString, QString>>;
        const auto cells = evidence.last().at(0).value<Cells>();
        QVERIFY(cells.contains({ QStringLiteral("tcp-ipv4"), QStringLiteral("vm1") }));
        QVERIFY(cells.contains({ QStringLiteral("tcp-ipv4"), QStringLiteral("runner") }));
        const QStringList nodes = evidence.last().at(1).toStringList();
        QVERIFY2(nodes.contains(QStringLiteral("inst:vm1")) && nodes.contains(QStringLiteral("runner")),
            qPrintable(nodes.join(QLatin1Char(' '))));
        // Copy Fix Commands gives a script: each command, its revert as a comment.
        const QString script = FindingsPanel::fixScript(panel.diagnosis().findings.first());
        QVERIFY(script.contains(QStringLiteral("\niptables -I FORWARD -i lxdbr0 -j ACCEPT\n")));
        QVERIFY(script.contains(QStringLiteral("#   revert: iptables -D FORWARD -i lxdbr0 -j ACCEPT\n")));

        panel.setDiagnosis(diagnosisOf("healthy"));
        QVERIFY2(panel.headline().contains(QStringLiteral("Healthy")), qPrintable(panel.headline()));
        QVERIFY(panel.currentId().isEmpty());
        using Cells = QSet<std::pair<QString, QString>>;
        QVERIFY(evidence.last().at(0).value<Cells>().isEmpty());
    }

    void selectionSurvivesALiveUpdate()
    {
        FindingsPanel panel;
        const Diagnosis natOff = diagnosisOf("nat-off");
        panel.setDiagnosis(natOff);
        panel.selectFinding(QStringLiteral("nat-missing-ipv6"));
        panel.setDiagnosis(natOff);
        QCOMPARE(panel.currentId(), QStringLiteral("nat-missing-ipv6"));
    }

    void windowMarksTheEvidenceInTheMatrix()
    {
        MainWindow w;
        const Diagnosis d = diagnosisOf("instance-no-dhcp");
        w.findings()->setDiagnosis(d);
        const auto &marked = w.matrixModel()->evidence();
        QVERIFY(!marked.isEmpty());
        for (const auto &[probe, target] : marked) {
            QCOMPARE(target, QStringLiteral("vm2")); // only the instance the finding is about
        }
        auto *dock = w.findChild<QDockWidget *>(QStringLiteral("FindingsDock"));
        QVERIFY(dock);
        QCOMPARE(dock->widget(), static_cast<QWidget *>(w.findings()));
    }

    void findingsFollowARun()
    {
        MainWindow w;
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml")).ok());
        QSignalSpy finished(&w, &MainWindow::runFinished);
        w.startRun();
        QVERIFY(finished.wait(60000));
        // The run discovered this machine beside it; once the snapshot joins the run, the verdict
        // reads both (a local run has no instances: nothing to compare, never a guess).
        const auto judged = [&w] {
            const QString h = w.findings()->headline();
            return h.startsWith(QStringLiteral("<b>Healthy</b>")) || h.startsWith(QStringLiteral("<b>Likely cause</b>"))
                || h.startsWith(QStringLiteral("<b>No known cause fits</b>"));
        };
        QTRY_VERIFY2_WITH_TIMEOUT(judged(), qPrintable(w.findings()->headline()), 60000);
    }
};

QTEST_MAIN(TestFindings)
#include "tst_findings.moc"
