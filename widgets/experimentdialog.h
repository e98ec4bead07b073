#pragma once

#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/experimentrecord.h"
#include "results/sample.h"

#include <QDialog>
#include <QPointer>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QRadioButton;
class QTimer;

namespace nestscope {

class ExperimentRunner;
class RunStore;
class Transport;

/// A finding's fix tried on the runner, from consent to verdict, in one non-modal window: it shows
/// where the commands run and as whom (asked on the runner), the exact commands with their exact
/// reverts, and runs nothing before Apply. Then each command with its output as it completes; on
/// success it asks the main window to run the plan again (rerunRequested), and when that run ends
/// (rerunFinished) it compares it with the baseline (comparisonReady), writes the outcome into both
/// runs' notes and the experiment, and offers Keep or Revert. Revert undoes the change, reruns and
/// compares again, to show the failure come back. Built from a stored experiment, it offers the
/// revert and keep of a change made earlier.
class ExperimentDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExperimentDialog)
public:
    /// A new experiment: `finding` of `baseline` (stored as `baselineId`, 0: not stored).
    ExperimentDialog(const Finding &finding, const Run &baseline, qint64 baselineId, Transport *transport,
        RunStore *store, QWidget *parent = nullptr);
    /// An experiment already in the store (applied, or failed with steps applied): revert or keep it.
    ExperimentDialog(const Experiment &experiment, Transport *transport, RunStore *store, QWidget *parent = nullptr);
    ~ExperimentDialog() override;

    enum class Stage { Identifying, Confirm, Applying, Failed, Settling, Rerunning, Decide, Reverting, Done };
    Q_ENUM(Stage)
    Stage stage() const { return m_stage; }

    /// The steps as shown, and as they will run: experimentSteps(finding, root) once the user is known.
    const QList<ExperimentStep> &steps() const { return m_experiment.steps; }
    const Experiment &experiment() const { return m_experiment; }
    QString whereText() const;
    QString whoText() const;
    QString commandsText() const;
    QString logText() const;
    QString statusText() const;
    QString errorText() const;
    QPushButton *applyButton() const { return m_apply; }
    QPushButton *revertButton() const { return m_revert; }
    QPushButton *keepButton() const { return m_keep; }
    QPushButton *cancelButton() const { return m_cancel; }
    QRadioButton *rerunAllButton() const { return m_rerunAll; }
    QRadioButton *rerunFailedButton() const { return m_rerunFailed; }
    /// How long to wait after a change before the rerun (default 5 s, as `nestscope experiment`).
    void setSettleSeconds(int seconds) { m_settleSeconds = seconds; }

public Q_SLOTS:
    /// The rerun asked for ended: `runId` in the store (0: not stored), `run` as it ran.
    void rerunFinished(qint64 runId, const nestscope::Run &run, bool cancelled);
    /// The rerun asked for could not start.
    void rerunRefused(const QString &why);

Q_SIGNALS:
    void rerunRequested(const nestscope::Plan &plan);
    void comparisonReady(const nestscope::Run &before, const QString &beforeLabel, const nestscope::Run &after,
        const QString &afterLabel);
    void stageChanged(nestscope::ExperimentDialog::Stage stage);
    /// The experiment changed in the store (applied, reverted, kept…).
    void experimentChanged(qint64 id);

protected:
    void closeEvent(QCloseEvent *event) override;
    void reject() override;

private:
    void build();
    void identify();
    void showCommands();
    void setStage(Stage stage);
    void apply();
    void startRevert();
    void keep();
    void runnerFinished(bool ok);
    void requestRerun();
    void appendLog(const QString &text);

    QPointer<Transport> m_transport;
    RunStore *m_store;
    ExperimentRunner *m_runner = nullptr;
    Finding m_finding;
    bool m_fromFinding = true;
    Experiment m_experiment;
    Run m_baseline;
    QString m_baselineLabel;
    bool m_reverting = false;
    QStringList m_revertCommands; // what the revert ran, for the notes
    int m_settleSeconds = 5;
    Stage m_stage = Stage::Identifying;
    QString m_who;

    QLabel *m_title;
    QLabel *m_where;
    QLabel *m_whoLabel;
    QPlainTextEdit *m_commands;
    QRadioButton *m_rerunAll;
    QRadioButton *m_rerunFailed;
    QLabel *m_status;
    QPlainTextEdit *m_log;
    QLabel *m_error;
    QPushButton *m_apply;
    QPushButton *m_revert;
    QPushButton *m_keep;
    QPushButton *m_cancel;
    QTimer *m_settle;
};

} // namespace nestscope
