#pragma once

#include "plan/plan.h"
#include "results/sample.h"

#include <QMainWindow>
#include <QPointer>

class QAction;
class QLabel;
class QProgressBar;
class QTableView;
class QTimer;

namespace nestscope {

class MatrixModel;
class PlanRunner;
class SampleDetails;
class Transport;

/// The workbench: a plan, the Run/Cancel controls with progress, and the matrix filling in live.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Loads a plan file or "builtin:NAME". On failure the current plan stays and the error is returned.
    Result<bool> openPlan(const QString &spec);
    const Plan &plan() const { return m_plan; }
    bool isRunning() const;
    /// The last (or current) run; empty before the first.
    Run currentRun() const;

    MatrixModel *matrixModel() const { return m_model; }
    QTableView *matrixView() const { return m_view; }
    QAction *runAction() const { return m_runAction; }
    QAction *cancelAction() const { return m_cancelAction; }

public Q_SLOTS:
    void startRun();
    void cancelRun();

Q_SIGNALS:
    void runFinished(bool cancelled);

private:
    void createActions();
    void choosePlan();
    void saveResults();
    void updateActions();
    void updateStatus();
    void showCellSamples(const QModelIndex &index);

    Plan m_plan;
    Transport *m_transport;
    QPointer<PlanRunner> m_runner;
    MatrixModel *m_model;
    QTableView *m_view;
    SampleDetails *m_details;
    QLabel *m_planLabel;
    QLabel *m_summaryLabel;
    QLabel *m_timeLabel;
    QProgressBar *m_progress;
    QTimer *m_clockTimer;
    QAction *m_openAction = nullptr;
    QAction *m_runAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_saveAction = nullptr;
};

} // namespace nestscope
