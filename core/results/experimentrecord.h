#pragma once

#include <QDateTime>
#include <QList>
#include <QString>
#include <QStringList>

#include <optional>

namespace nestscope {

/// One command of a fix, exactly as it runs on the runner: `sudo -n` is part of it when the
/// runner's user is not root and the command needs root, so what the user confirms is
/// byte-for-byte what runs.
struct ExperimentStep {
    QString command;
    QString revert; ///< empty: nothing to undo (a restart)
    QString note;

    friend bool operator==(const ExperimentStep &, const ExperimentStep &) = default;
};

enum class ExperimentState {
    Applying, ///< recorded before the first command: a crash here leaves `applied` steps to revert
    Applied, ///< every step ran; waiting for the user's keep or revert
    Failed, ///< a step failed: nothing after it ran, the steps before it are still applied
    Reverting,
    Reverted,
    Kept,
};
QString toText(ExperimentState state);
std::optional<ExperimentState> experimentStateFromText(const QString &text);

/// A fix tried on a runner, as the run store keeps it: what was changed, how to undo it, and how
/// it turned out. `applied` counts the steps that ran: their reverts, newest first, undo them.
struct Experiment {
    qint64 id = 0;
    QString runner; ///< the transport's description, e.g. "ssh://nslab@nestscope-lab"
    QString findingId;
    QString title;
    QList<ExperimentStep> steps;
    int applied = 0;
    ExperimentState state = ExperimentState::Applying;
    qint64 baselineRun = 0; ///< the run whose finding it fixes (0: none stored)
    qint64 afterRun = 0; ///< the rerun with the fix applied
    qint64 revertRun = 0; ///< the rerun after the revert
    QString outcome; ///< one line, e.g. "29 cells fixed, 0 broke"
    QString error; ///< why a step failed, with what would allow it
    QString log; ///< every command that ran, with its exit code and output, in order
    QDateTime createdAt;
    QDateTime updatedAt;

    /// Whether the runner may still carry this experiment's change without the user's decision.
    bool pending() const
    {
        return state == ExperimentState::Applying || state == ExperimentState::Applied
            || state == ExperimentState::Reverting || (state == ExperimentState::Failed && applied > 0);
    }
    /// The revert commands of the applied steps, in the order they run (newest change first).
    QStringList revertCommands() const;
};

} // namespace nestscope
