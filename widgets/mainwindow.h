#pragma once

#include "common/appsettings.h"
#include "plan/plan.h"
#include "results/sample.h"
#include "session/filekind.h"
#include "topology/topology.h"

#include <QDialog>
#include <QMainWindow>
#include <QMap>
#include <QMessageBox>
#include <QPointer>

#include <optional>

class QAction;
class QDockWidget;
class QDragEnterEvent;
class QDragMoveEvent;
class QDropEvent;
class QLabel;
class QProgressBar;
class QTabWidget;
class QTableView;
class QTimer;

namespace nestscope {

class FindingsPanel;
class MatrixModel;
class MatrixPanel;
class PlanRunner;
class RunnerConnection;
class ResultCharts;
class RunListView;
class RunStore;
class ConsoleView;
class ExperimentDialog;
class ExperimentListDialog;
struct Experiment;
struct Finding;
class PlanEditor;
class SampleDetails;
class RunSession;
class TopologyView;
class Transport;

/// The workbench: a plan, the Run/Cancel controls with progress, and the matrix filling in live.
class MainWindow final : public QMainWindow {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(MainWindow)
public:
    explicit MainWindow(QWidget *parent = nullptr);
    ~MainWindow() override;

    /// Loads a plan file or "builtin:NAME". On failure the current plan stays and the error is returned.
    /// `overrides` set declared plan variables, as `--var` does; Plan > Variables… edits them later.
    Result<bool> openPlan(const QString &spec, const QMap<QString, QString> &overrides = {});
    /// Opens a file as what its content says it is (sniffFile): a plan as openPlan() does, a run
    /// (Save Results, `nestscope run --json`) imported into the store like the Runs dock's Import…
    /// and shown, a topology (`nestscope topology --json`) on the Topology page. Anything else is an
    /// Error that says what it is instead; nothing on screen changes then.
    Result<FileKind> openFile(const QString &path);
    /// openFile() for each, then one message for the ones that could not be opened (window-modal,
    /// not blocking: see openFileError()). File > Open… and drops on the window come here.
    void openFiles(const QStringList &paths);
    /// The message the last openFiles() showed, while it is open.
    QMessageBox *openFileError() const { return m_openFileError; }
    QAction *openAction() const { return m_openAction; }
    RunnerConnection *connection() const { return m_connection; }
    const Plan &plan() const { return m_plan; }
    bool isRunning() const;
    /// The last (or current) run; empty before the first.
    Run currentRun() const;

    MatrixModel *matrixModel() const { return m_model; }
    QTableView *matrixView() const { return m_view; }
    /// The matrix with its Show filter, family split and Markdown copy; matrixView() shows it filtered.
    MatrixPanel *matrixPanel() const { return m_matrixPanel; }
    QAction *runAction() const { return m_runAction; }
    QAction *cancelAction() const { return m_cancelAction; }
    QAction *pauseAction() const { return m_pauseAction; }
    QAction *rerunFailedAction() const { return m_rerunFailedAction; }
    PlanEditor *planEditor() const { return m_planEditor; }
    ConsoleView *console() const { return m_console; }
    /// The Topology page beside the matrix: the runner's network as a graph, coloured by the last run.
    TopologyView *topologyView() const { return m_topologyView; }
    QTabWidget *pages() const { return m_pages; }

    /// Keeps every run in this store from now on (samples written as they complete) and lists
    /// its runs in the Runs dock. On error nothing changes and runs stay in memory only.
    Result<bool> openStore(const QString &path);
    RunStore *runStore() const { return m_store; }
    RunListView *runList() const { return m_runList; }
    ResultCharts *charts() const { return m_charts; }
    FindingsPanel *findings() const { return m_findings; }
    /// On (the default): a run's first repetition in verdict order and the live verdict counting
    /// instance probes still unanswered long after the runner's passed (withStalledProbes()). Off:
    /// the plan's order and finished samples only, what bench_verdict measures against.
    void setEarlyVerdict(bool on) { m_earlyVerdict = on; }
    /// Runner > Experiments…: every experiment of the store, with keep and revert for pending ones.
    QAction *experimentsAction() const { return m_experimentsAction; }
    /// The Try the Fix dialog open now (from the Findings panel or a pending experiment), or null.
    ExperimentDialog *experimentDialog() const;
    /// The list of experiments open now: the pending reminder shown when a store opens with
    /// changes still on a runner, or Runner > Experiments…; null when none is open.
    ExperimentListDialog *experimentList() const;
    /// Opens the Try the Fix dialog for a finding of the current run (what the Findings panel's
    /// button does); nothing runs before the user applies.
    void tryFix(const Finding &finding);
    /// Opens the dialog of a stored experiment: its reverts, to run on confirmation, or keep it.
    void openExperiment(const Experiment &experiment);
    /// Runner > Experiments….
    void showExperiments();
    /// Windows opened from the run list: saved runs and comparisons, newest last.
    QList<QWidget *> resultWindows() const;

    /// Brings back the size, place and dock layout the window had when it was last closed (in
    /// QSettings), and saves them again on close. The app calls it; without it (tests, a second
    /// window) the window starts from the default layout and leaves the saved one alone.
    void rememberLayout();

    /// What File > Settings… holds; the next run uses its concurrency, timeout, client and output
    /// cap. Setting it neither saves it nor applies the theme (the app and the dialog do).
    const AppSettings &appSettings() const { return m_appSettings; }
    void setAppSettings(const AppSettings &settings);
    QAction *settingsAction() const { return m_settingsAction; }
    /// Help: Keyboard Shortcuts (F1), Documentation, About Nestscope.
    QAction *shortcutsAction() const { return m_shortcutsAction; }
    QAction *documentationAction() const { return m_documentationAction; }
    QAction *aboutAction() const { return m_aboutAction; }

    /// The status bar's time line of a run in progress: "elapsed 0:42 · ETA 1:03", or "… · finishing
    /// the last 2" when the average promises under a second (a 10 s probe may still be out).
    static QString runTimeText(qint64 elapsedMs, int done, int total, bool running);

public Q_SLOTS:
    void startRun();
    /// Opens File > Settings… (window-modal); OK saves to QSettings and applies.
    void editSettings();
    void cancelRun();
    void openStoredRuns(const QList<qint64> &runIds);
    void compareStoredRuns(qint64 beforeId, qint64 afterId);

Q_SIGNALS:
    void runFinished(bool cancelled);
    /// The store could not take a run (read-only, full disk); the run goes on in memory.
    void storeWarning(const QString &message);

protected:
    void closeEvent(QCloseEvent *event) override;
    void dragEnterEvent(QDragEnterEvent *event) override;
    void dragMoveEvent(QDragMoveEvent *event) override;
    void dropEvent(QDropEvent *event) override;
    bool eventFilter(QObject *watched, QEvent *event) override;

private:
    void createActions();
    void choosePlan();
    void chooseFiles();
    QWidget *showRunWindow(const Run &run, const QString &name, const QString &status, qint64 runId = 0);
    void tryFixOn(const Finding &finding, const Run &baseline, qint64 baselineId);
    void saveResults();
    void updateActions();
    void updateStatus();
    void showCellSamples(const QModelIndex &index);
    void showDiagnosis();
    void createResultDocks();
    void createPlanDocks();
    void runResolved();
    /// The one way a run starts (Run, and an experiment's rerun): a session for `plan` on the
    /// runner, as `nestscope run` has.
    RunSession *beginRun(const Plan &plan);
    void rerunForExperiment(ExperimentDialog *dialog, const Plan &plan);
    void showComparison(const Run &before, const QString &beforeLabel, const Run &after, const QString &afterLabel);
    void showPendingExperiments();
    void wireExperimentDialog(ExperimentDialog *dialog);
    void showExperimentList(bool pendingOnly);
    void savePlanAs();
    void editVariables();
    void showStoreWarning(const QString &message);
    void createHelpMenu();
    void showShortcuts();
    void showAbout();
    void openDocumentation();

    Plan m_plan;
    Transport *m_transport;
    RunnerConnection *m_connection = nullptr;
    QPointer<RunSession> m_session; // the current run: its targets, runner, store and verdict
    QPointer<RunSession> m_pendingSession; // looking up the instances for the next run
    QPointer<PlanRunner> m_runner; // m_session's runner
    PlanEditor *m_planEditor = nullptr;
    ConsoleView *m_console = nullptr;
    QAction *m_pauseAction = nullptr;
    QAction *m_rerunFailedAction = nullptr;
    QAction *m_savePlanAction = nullptr;
    QAction *m_variablesAction = nullptr;
    QAction *m_settingsAction = nullptr;
    QAction *m_shortcutsAction = nullptr;
    QAction *m_documentationAction = nullptr;
    QAction *m_aboutAction = nullptr;
    QPointer<QDialog> m_shortcutsDialog;
    QPointer<QDialog> m_aboutDialog;
    AppSettings m_appSettings;
    QMap<QString, QString> m_overrides;
    MatrixPanel *m_matrixPanel;
    MatrixModel *m_model;
    QTableView *m_view;
    SampleDetails *m_details;
    QLabel *m_planLabel;
    QLabel *m_summaryLabel;
    QLabel *m_timeLabel;
    QProgressBar *m_progress;
    QTimer *m_clockTimer;
    FindingsPanel *m_findings;
    bool m_earlyVerdict = true;
    QAction *m_openAction = nullptr;
    QAction *m_openPlanAction = nullptr;
    QPointer<QMessageBox> m_openFileError;
    QAction *m_runAction = nullptr;
    QAction *m_cancelAction = nullptr;
    QAction *m_saveAction = nullptr;
    RunStore *m_store = nullptr;
    RunListView *m_runList = nullptr;
    ResultCharts *m_charts = nullptr;
    QDockWidget *m_runsDock = nullptr;
    QDockWidget *m_findingsDock = nullptr;
    QDockWidget *m_chartsDock = nullptr;
    QList<QPointer<QWidget>> m_resultWindows;
    QTabWidget *m_pages = nullptr;
    TopologyView *m_topologyView = nullptr;
    bool m_remembersLayout = false;
    QAction *m_experimentsAction = nullptr;
    QPointer<ExperimentDialog> m_experimentDialog;
    QPointer<ExperimentListDialog> m_experimentList;
};

} // namespace nestscope
