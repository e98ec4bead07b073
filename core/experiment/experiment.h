#pragma once

#include "common/result.h"
#include "diagnosis/diagnosis.h"
#include "plan/plan.h"
#include "results/comparison.h"
#include "results/experimentrecord.h"
#include "transport/transport.h"

#include <QDateTime>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QString>
#include <QStringList>

namespace nestscope {

class RunStore;
struct Run;

/// The plan to run again after an apply or a revert: the baseline's plan as it ran (with its
/// variables), all of it or only the probes that did not pass everywhere in the baseline.
Result<Plan> experimentRerunPlan(const Run &baseline, bool onlyFailed);

/// After the rerun of an apply (or a revert): the line both runs' notes get ("applied `CMD`: 29
/// cells fixed, 0 broke"), written to the baseline's and the rerun's notes, and the experiment's
/// afterRun (revertRun) and outcome, saved. `commands` are what ran (the steps, or the reverts).
/// Returns the line.
QString recordExperimentRerun(RunStore *store, Experiment &experiment, const QStringList &commands,
    const Comparison &comparison, qint64 rerunId, bool reverting);

/// The steps of a finding's fix as they will run on the runner. The LXD client (lxc, incus) runs
/// as the user (LXD's group gives it the socket); anything else needs root, and runs through
/// `sudo -n` unless `root`. A command with shell syntax (a pipe, a quote) runs as `sudo -n sh -c '…'`.
QList<ExperimentStep> experimentSteps(const Finding &finding, bool root, const QString &lxdClient = {});

/// When a command failed because sudo wanted a password or refused it: what to tell the user, with
/// the sudoers line that would allow exactly this command (`user`, the absolute path of the
/// program as `command -v` gave it). Empty when the failure was not sudo's.
QString sudoAdvice(
    const QString &command, const CommandResult &result, const QString &user, const QString &programPath);

/// Applies and reverts an experiment over a transport, one command at a time, and keeps the store
/// up to date before and after each command, so that a crash or a lost connection never leaves a
/// change Nestscope has forgotten. The first failing command stops it: nothing after it runs.
class ExperimentRunner : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExperimentRunner)
public:
    /// `store` may be null (nothing is recorded); it must outlive the runner otherwise.
    ExperimentRunner(Transport *transport, RunStore *store, QObject *parent = nullptr);
    ~ExperimentRunner() override;

    /// Records `experiment` (state Applying) and runs its steps. Fails at once when the store
    /// cannot record it: nothing runs then.
    Result<qint64> apply(Experiment experiment);
    /// Runs the reverts of the applied steps, newest first; then state Reverted.
    Result<bool> revert(const Experiment &experiment);
    /// Marks the experiment as kept: the change stays, and is no longer pending.
    Result<bool> keep(const Experiment &experiment);

    /// Stops after the command in flight: nothing after it runs, and the experiment ends Failed with
    /// what is applied (a revert that is stopped keeps the rest applied too).
    void stopAfterCurrent();

    bool isBusy() const { return m_job != nullptr; }
    const Experiment &experiment() const { return m_experiment; }
    /// Every command sent to the transport so far, byte for byte, in order.
    const QStringList &commandsSent() const { return m_sent; }

Q_SIGNALS:
    void commandStarted(const QString &command);
    void commandFinished(const QString &command, const nestscope::CommandResult &result);
    /// The experiment after apply() or revert() ended; ok false with experiment().error set.
    void finished(bool ok);

private:
    void next();
    void finish(bool ok);
    void save();

    Transport *m_transport;
    RunStore *m_store;
    Experiment m_experiment;
    QStringList m_queue; // the commands still to send
    bool m_reverting = false;
    bool m_stop = false;
    QPointer<CommandJob> m_job;
    QStringList m_sent;
    QString m_user; // `id -un` on the runner, asked when sudo refuses
};

} // namespace nestscope
