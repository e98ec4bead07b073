#pragma once

#include "results/experimentrecord.h"

#include <QDialog>

class QLabel;
class QPlainTextEdit;
class QPushButton;
class QTreeWidget;

namespace nestscope {

class RunStore;

/// The experiments of a run store: each with its runner, finding, state and outcome, and for the
/// selected one its steps, what is applied and the revert commands. A pending one (its change may
/// still be on the runner) can be kept here, or reverted (revertRequested: the main window opens
/// the experiment's dialog, which shows the reverts before they run) when the window is connected
/// to its runner; otherwise it says which runner to connect to first, and keeps it listed.
/// With `pendingOnly` it is the reminder shown when a store opens with pending experiments.
class ExperimentListDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ExperimentListDialog)
public:
    ExperimentListDialog(RunStore *store, bool pendingOnly, QWidget *parent = nullptr);

    /// The description of the transport the window is connected to now (e.g. "local").
    void setCurrentRunner(const QString &description);
    /// Reads the store again (after an experiment changed).
    void refresh();

    QTreeWidget *list() const { return m_list; }
    QPushButton *revertButton() const { return m_revert; }
    QPushButton *keepButton() const { return m_keep; }
    QPushButton *laterButton() const { return m_later; }
    QString detailsText() const;
    QString messageText() const;
    /// The experiment of the current row, if any.
    std::optional<Experiment> current() const;
    void selectExperiment(qint64 id);

Q_SIGNALS:
    void revertRequested(const nestscope::Experiment &experiment);
    void experimentChanged(qint64 id);

private:
    void showCurrent();

    RunStore *m_store;
    bool m_pendingOnly;
    QString m_runner;
    QList<Experiment> m_experiments;
    QLabel *m_intro;
    QTreeWidget *m_list;
    QPlainTextEdit *m_details;
    QLabel *m_message;
    QPushButton *m_revert;
    QPushButton *m_keep;
    QPushButton *m_later;
};

} // namespace nestscope
