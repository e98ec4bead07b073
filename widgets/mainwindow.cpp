#include "mainwindow.h"

#include "common/savefile.h"
#include "comparisonview.h"
#include "connectdialog.h"
#include "consoleview.h"
#include "diagnosis/diagnosis.h"
#include "experimentdialog.h"
#include "experimentlistdialog.h"
#include "findingspanel.h"
#include "helpdialogs.h"
#include "matrixfiltermodel.h"
#include "matrixmodel.h"
#include "matrixpanel.h"
#include "plan/planrunner.h"
#include "plan/targetsetup.h"
#include "planeditor.h"
#include "reportdialog.h"
#include "resultcharts.h"
#include "results/experimentrecord.h"
#include "results/runjson.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "runlistview.h"
#include "runview.h"
#include "sampledetails.h"
#include "session/runsession.h"
#include "settingsdialog.h"
#include "topology/lxderror.h"
#include "topology/topologyjson.h"
#include "topologyscene.h"
#include "topologyview.h"
#include "transport/localtransport.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QDateTime>
#include <QDesktopServices>
#include <QDialog>
#include <QDialogButtonBox>
#include <QDockWidget>
#include <QDragEnterEvent>
#include <QDropEvent>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QHeaderView>
#include <QJsonDocument>
#include <QKeySequence>
#include <QLabel>
#include <QLocale>
#include <QMenuBar>
#include <QMessageBox>
#include <QMimeData>
#include <QPlainTextEdit>
#include <QProgressBar>
#include <QSettings>
#include <QSignalBlocker>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTabWidget>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QUrl>
#include <QVBoxLayout>

#include <algorithm>
#include <memory>

namespace nestscope {

namespace {

QString formatDuration(qint64 ms)
{
    const qint64 s = ms / 1000;
    return s >= 60 ? QStringLiteral("%1:%2").arg(s / 60).arg(s % 60, 2, 10, QLatin1Char('0'))
                   : QStringLiteral("%1 s").arg(s);
}

} // namespace

MainWindow::MainWindow(QWidget *parent)
    : QMainWindow(parent)
    , m_transport(new LocalTransport(this))
    , m_matrixPanel(new MatrixPanel(this))
    , m_model(m_matrixPanel->model())
    , m_view(m_matrixPanel->view())
    , m_details(new SampleDetails(this))
    , m_planLabel(m_matrixPanel->title())
    , m_summaryLabel(new QLabel(this))
    , m_timeLabel(new QLabel(this))
    , m_progress(new QProgressBar(this))
    , m_clockTimer(new QTimer(this))
{
    setWindowTitle(tr("Nestscope"));
    setObjectName(QStringLiteral("MainWindow"));

    // Right-click a cell to run it, or its whole probe, again after changing something.
    m_view->setContextMenuPolicy(Qt::ActionsContextMenu);
    auto *rerunCell = new QAction(tr("Rerun This Cell"), m_view);
    auto *rerunProbe = new QAction(tr("Rerun This Probe on Every Target"), m_view);
    connect(rerunCell, &QAction::triggered, this, [this] {
        const QModelIndex i = m_view->currentIndex();
        if (m_runner && i.isValid() && !m_runner->isRunning()) {
            m_clockTimer->start();
            m_runner->rerunCell(
                i.data(MatrixModel::ProbeIdRole).toString(), i.data(MatrixModel::TargetRole).toString());
            updateActions();
        }
    });
    connect(rerunProbe, &QAction::triggered, this, [this] {
        const QModelIndex i = m_view->currentIndex();
        if (m_runner && i.isValid() && !m_runner->isRunning()) {
            m_clockTimer->start();
            m_runner->rerunProbe(i.data(MatrixModel::ProbeIdRole).toString());
            updateActions();
        }
    });
    m_view->addActions({ rerunCell, rerunProbe });
    connect(m_view->selectionModel(), &QItemSelectionModel::currentChanged, this, [this](const QModelIndex &current) {
        showCellSamples(current);
    });
    connect(m_model, &QAbstractItemModel::dataChanged, this, [this](const QModelIndex &tl) {
        const QModelIndex current = m_view->currentIndex();
        if (current.isValid() && m_matrixPanel->filterModel()->mapToSource(current) == tl) {
            showCellSamples(current);
        }
    });

    // The plan heading sits above the matrix (in the panel's row of controls), where status
    // messages cannot cover it.
    auto *split = new QSplitter(Qt::Vertical, this);
    split->addWidget(m_matrixPanel);
    split->addWidget(m_details);
    split->setStretchFactor(0, 3);
    split->setStretchFactor(1, 2);
    // The matrix and the topology are the two pages of the workbench; docks stay around both.
    m_topologyView = new TopologyView(this);
    m_pages = new QTabWidget(this);
    m_pages->setDocumentMode(true);
    // The verdict: a dock beside the matrix it is read from (see createPlanDocks()).
    m_findings = new FindingsPanel(this);
    m_findings->setObjectName(QStringLiteral("FindingsPanel"));
    connect(m_findings, &FindingsPanel::evidenceChanged, this,
        [this](const QSet<std::pair<QString, QString>> &cells, const QStringList &nodes) {
            m_model->setEvidence(cells);
            m_topologyView->scene()->highlightNodes(nodes);
        });
    m_pages->addTab(split, tr("&Matrix"));
    m_pages->addTab(m_topologyView, tr("&Topology"));
    setCentralWidget(m_pages);

    m_progress->setMaximumWidth(240);
    m_progress->setTextVisible(true);
    m_progress->setFormat(tr("%v / %m"));
    m_progress->setValue(0);
    statusBar()->addPermanentWidget(m_summaryLabel);
    statusBar()->addPermanentWidget(m_timeLabel);
    statusBar()->addPermanentWidget(m_progress);

    m_clockTimer->setInterval(500);
    connect(m_clockTimer, &QTimer::timeout, this, &MainWindow::updateStatus);

    createActions();
    createResultDocks();
    createPlanDocks();
    // Plans and runs dropped on the window open as File > Open… opens them.
    setAcceptDrops(true);
    m_planEditor->textEdit()->viewport()->installEventFilter(this);

    // The runner is this machine until the user connects to an SSH host (Runner > Connect).
    m_connection = new RunnerConnection(this);
    m_transport = m_connection->transport();
    connect(m_connection, &RunnerConnection::transportChanged, this, [this](Transport *transport) {
        m_transport = transport;
        // Instances belong to the runner: until the next run looks them up, the console has the runner only.
        // (The connection cannot change during a run, so no runner uses the old setup's transports.)
        delete m_session;
        // Everything on screen came from the last runner's run: it goes together, so no pane keeps
        // samples the matrix no longer shows (the run itself stays in the Runs dock).
        QStringList ids;
        for (const Probe &p : std::as_const(m_plan.probes)) {
            ids << p.id;
        }
        m_model->reset(ids, knownTargets(m_plan));
        m_details->clear();
        m_charts->clear();
        m_findings->clear(tr("Run the plan (F5) on %1 for a verdict.").arg(transport->description()));
        m_progress->setValue(0);
        m_console->setTargets({ { QStringLiteral("runner"), transport } }, { QStringLiteral("runner") });
        const bool hadTopology = m_topologyView->hasTopology();
        m_topologyView->setTransport(transport); // (forgets the last runner's graph)
        // The last run's verdicts were about the old runner's targets; its "runner" and instance
        // names would colour the new runner's edges.
        m_topologyView->setEdgeResults({});
        if (m_pages->currentWidget() == m_topologyView || hadTopology) {
            // the page shows the runner it is connected to, not the last one (also when not in view)
            m_topologyView->discover();
        }
        if (m_experimentList) {
            m_experimentList->setCurrentRunner(transport->description());
        }
        updateStatus();
    });
    m_console->setTargets({ { QStringLiteral("runner"), m_transport } }, { QStringLiteral("runner") });
    m_topologyView->setTransport(m_transport);
    // One Esc for the window: Cancel stops the run, or else the page's discovery. (Two enabled
    // actions on one key would be ambiguous, and Qt would fire neither.)
    m_topologyView->cancelAction()->setShortcut(QKeySequence());
    connect(m_topologyView, &TopologyView::discoveryStarted, this, &MainWindow::updateActions);
    connect(m_topologyView, &TopologyView::discoveryFinished, this, &MainWindow::updateActions);
    // The first look at the Topology page discovers the runner; later, Discover (Ctrl+D) refreshes it.
    connect(m_pages, &QTabWidget::currentChanged, this, [this] {
        if (m_pages->currentWidget() == m_topologyView && !m_topologyView->hasTopology()
            && !m_topologyView->isDiscovering()) {
            m_topologyView->discover();
        }
    });
    QMenu *runnerMenu = menuBar()->addMenu(tr("R&unner"));
    runnerMenu->addActions(
        { m_connection->connectAction(), m_connection->reconnectAction(), m_connection->localAction() });
    runnerMenu->addSeparator();
    auto *discover = runnerMenu->addAction(tr("&Discover Topology"));
    discover->setStatusTip(m_topologyView->discoverAction()->statusTip());
    connect(discover, &QAction::triggered, this, [this] {
        const bool wasShown = m_pages->currentWidget() == m_topologyView;
        m_pages->setCurrentWidget(m_topologyView);
        if (wasShown || m_topologyView->hasTopology()) {
            m_topologyView->discover(); // (a first visit discovers by itself)
        }
    });
    runnerMenu->addSeparator();
    m_experimentsAction = runnerMenu->addAction(tr("E&xperiments…"), this, &MainWindow::showExperiments);
    m_experimentsAction->setStatusTip(tr("The fixes tried from this store: their state and outcome; keep or revert "
                                         "the ones still pending"));
    connect(m_findings, &FindingsPanel::tryFixRequested, this, &MainWindow::tryFix);
    if (auto *bar = findChild<QToolBar *>(QStringLiteral("MainToolBar"))) {
        bar->addAction(m_connection->connectAction());
    }
    statusBar()->addWidget(m_connection->statusLabel());
    createHelpMenu(); // last: it lists the other menus' shortcuts
    resize(1280, 860);
    // The matrix is what a run is read from: it keeps most of the height, the charts under it get
    // what a box plot needs (the dock would otherwise split the window in half).
    if (m_chartsDock) {
        resizeDocks({ m_chartsDock }, { 300 }, Qt::Vertical);
    }
    updateActions();
    updateStatus();
}

MainWindow::~MainWindow()
{
    // The children go after this class's part of the window: what they report on their way out
    // (a discovery ended because its transport went away) must not reach it.
    m_topologyView->disconnect(this);
    m_connection->disconnect(this);
    delete m_pendingSession;
    delete m_session; // stops its commands before the transport goes
}

namespace {
// Bump when docks are added or renamed: an older saved layout is then ignored, not half-applied.
constexpr int kLayoutVersion = 2; // 2: the Findings dock
const QString kGeometryKey = QStringLiteral("mainWindow/geometry");
const QString kStateKey = QStringLiteral("mainWindow/state");
} // namespace

void MainWindow::rememberLayout()
{
    m_remembersLayout = true;
    const QSettings settings;
    restoreGeometry(settings.value(kGeometryKey).toByteArray());
    restoreState(settings.value(kStateKey).toByteArray(), kLayoutVersion);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    if (m_remembersLayout) {
        QSettings settings;
        settings.setValue(kGeometryKey, saveGeometry());
        settings.setValue(kStateKey, saveState(kLayoutVersion));
    }
    QMainWindow::closeEvent(event);
}

void MainWindow::createActions()
{
    QMenu *file = menuBar()->addMenu(tr("&File"));
    QMenu *runMenu = menuBar()->addMenu(tr("&Run"));
    QToolBar *bar = addToolBar(tr("Main"));
    bar->setObjectName(QStringLiteral("MainToolBar"));
    bar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);

    // Open… takes whatever Nestscope reads and opens it as what it is (a run saved as .yaml is a run).
    m_openAction = new QAction(style()->standardIcon(QStyle::SP_DialogOpenButton), tr("&Open…"), this);
    m_openAction->setShortcut(QKeySequence::Open);
    m_openAction->setStatusTip(tr("Open a plan, a saved run or a topology; the file's content says which"));
    connect(m_openAction, &QAction::triggered, this, &MainWindow::chooseFiles);
    m_openPlanAction = new QAction(tr("Open &Plan…"), this);
    m_openPlanAction->setStatusTip(tr("Open a plan file (YAML)"));
    connect(m_openPlanAction, &QAction::triggered, this, &MainWindow::choosePlan);

    m_saveAction = new QAction(style()->standardIcon(QStyle::SP_DialogSaveButton), tr("&Save Results…"), this);
    m_saveAction->setShortcut(QKeySequence::Save);
    m_saveAction->setStatusTip(tr("Save the samples of the last run as JSON"));
    connect(m_saveAction, &QAction::triggered, this, &MainWindow::saveResults);

    m_runAction = new QAction(style()->standardIcon(QStyle::SP_MediaPlay), tr("&Run"), this);
    m_runAction->setShortcuts({ QKeySequence(Qt::CTRL | Qt::Key_R), QKeySequence(Qt::Key_F5) });
    m_runAction->setStatusTip(tr("Run the plan on this machine"));
    connect(m_runAction, &QAction::triggered, this, &MainWindow::startRun);

    m_cancelAction = new QAction(style()->standardIcon(QStyle::SP_MediaStop), tr("&Cancel"), this);
    m_cancelAction->setShortcut(QKeySequence(Qt::Key_Escape));
    m_cancelAction->setStatusTip(tr("Stop the run; commands in flight are killed"));
    connect(m_cancelAction, &QAction::triggered, this, &MainWindow::cancelRun);

    m_pauseAction = new QAction(style()->standardIcon(QStyle::SP_MediaPause), tr("&Pause"), this);
    m_pauseAction->setCheckable(true);
    m_pauseAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_P));
    m_pauseAction->setStatusTip(tr("Start nothing new until resumed; commands in flight finish"));
    connect(m_pauseAction, &QAction::toggled, this, [this](bool paused) {
        if (!m_runner) {
            return;
        }
        paused ? m_runner->pause() : m_runner->resume();
    });

    m_rerunFailedAction = new QAction(style()->standardIcon(QStyle::SP_BrowserReload), tr("Rerun &Failed"), this);
    m_rerunFailedAction->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_R));
    m_rerunFailedAction->setStatusTip(tr("Run every cell that did not pass again"));
    connect(m_rerunFailedAction, &QAction::triggered, this, [this] {
        if (m_runner && !m_runner->isRunning()) {
            m_clockTimer->start();
            m_runner->rerunFailed();
            updateActions();
        }
    });

    m_variablesAction = new QAction(tr("Plan &Variables…"), this);
    m_variablesAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_E));
    m_variablesAction->setStatusTip(tr("Set the plan's variables (endpoints, names) for the next run"));
    connect(m_variablesAction, &QAction::triggered, this, &MainWindow::editVariables);

    m_savePlanAction = new QAction(tr("Save Plan &As…"), this);
    m_savePlanAction->setShortcut(QKeySequence::SaveAs);
    m_savePlanAction->setStatusTip(tr("Save the plan text to a file (built-in plans are edited as copies)"));
    connect(m_savePlanAction, &QAction::triggered, this, &MainWindow::savePlanAs);

    m_settingsAction = new QAction(tr("Se&ttings…"), this);
    m_settingsAction->setShortcut(QKeySequence(Qt::CTRL | Qt::Key_Comma));
    m_settingsAction->setMenuRole(QAction::PreferencesRole);
    m_settingsAction->setStatusTip(tr("Default plan, concurrency, timeouts, LXD or Incus, output caps, theme"));
    connect(m_settingsAction, &QAction::triggered, this, &MainWindow::editSettings);

    auto *quit = new QAction(tr("&Quit"), this);
    quit->setShortcut(QKeySequence::Quit);
    connect(quit, &QAction::triggered, this, &QWidget::close);

    file->addAction(m_openAction);
    file->addAction(m_openPlanAction);
    file->addAction(m_savePlanAction);
    file->addAction(m_saveAction);
    // The root-cause report of the current or a stored run, optionally verified by a later one.
    auto *exportReport = file->addAction(tr("Export &Report…"), this, [this] {
        ReportDialog dialog(ReportDialog::sourcesFor(currentRun(), m_store), this);
        dialog.exec();
    });
    exportReport->setObjectName(QStringLiteral("exportReportAction"));
    exportReport->setStatusTip(tr("Write the findings, evidence, fix and verification as Markdown, HTML or PDF"));
    file->addSeparator();
    QMenu *exportTopology = file->addMenu(tr("Export &Topology"));
    exportTopology->addAction(tr("As &PNG…"), this, [this] {
        m_topologyView->exportPng();
    });
    exportTopology->addAction(tr("As &SVG…"), this, [this] {
        m_topologyView->exportSvg();
    });
    connect(exportTopology, &QMenu::aboutToShow, this, [this, exportTopology] {
        for (QAction *a : exportTopology->actions()) {
            a->setEnabled(m_topologyView->exportPngAction()->isEnabled());
        }
    });
    file->addSeparator();
    file->addAction(m_settingsAction);
    file->addSeparator();
    file->addAction(quit);
    runMenu->addAction(m_runAction);
    runMenu->addAction(m_cancelAction);
    runMenu->addAction(m_pauseAction);
    runMenu->addAction(m_variablesAction);
    runMenu->addAction(m_rerunFailedAction);
    bar->addAction(m_openAction);
    bar->addAction(m_runAction);
    bar->addAction(m_cancelAction);
    bar->addAction(m_pauseAction);
    bar->addAction(m_rerunFailedAction);
    bar->addSeparator();
    bar->addAction(m_saveAction);
}

Result<bool> MainWindow::openPlan(const QString &spec, const QMap<QString, QString> &overrides)
{
    if (isRunning()) {
        return Error { tr("a run is in progress; cancel it before opening another plan"), QString() };
    }
    auto plan = loadPlan(spec, overrides);
    if (!plan) {
        return plan.error();
    }
    m_plan = std::move(plan).value();
    m_overrides = overrides;
    if (m_planEditor) {
        const QSignalBlocker block(m_planEditor);
        m_planEditor->setPlanText(m_plan.sourceText, m_plan.sourceFile);
    }
    QStringList ids;
    for (const Probe &p : std::as_const(m_plan.probes)) {
        ids << p.id;
    }
    delete m_session;
    m_matrixPanel->setProbeFamilies(probeFamilies(m_plan));
    m_model->reset(ids, knownTargets(m_plan)); // not `all`: its instances are known once a run looks
    m_details->clear();
    Plan known = m_plan; // the samples the matrix can show now: `all` and globs count once resolved
    known.targets = knownTargets(m_plan);
    m_progress->setRange(0, known.sampleCount());
    m_progress->setValue(0);
    setWindowFilePath(m_plan.sourceFile);
    setWindowTitle(tr("%1 — Nestscope").arg(m_plan.name));
    updateActions();
    updateStatus();
    return true;
}

bool MainWindow::isRunning() const
{
    return m_runner && m_runner->isRunning();
}

Run MainWindow::currentRun() const
{
    return m_runner ? m_runner->run() : Run {};
}

void MainWindow::showDiagnosis()
{
    if (!m_session) {
        return;
    }
    if (const auto &diagnosis = m_session->diagnosis()) {
        m_findings->setDiagnosis(*diagnosis);
    } else if (m_session->run().topologyJson.isEmpty()) {
        m_findings->clear(tr("Waiting for the runner's topology: the verdict reads the run with it."));
    } else {
        m_findings->clear(tr("No verdict: %1").arg(m_session->diagnosisError()));
    }
}

void MainWindow::choosePlan()
{
    const QString path = QFileDialog::getOpenFileName(
        this, tr("Open Plan"), QString(), tr("Plans (*.yaml *.yml *.json);;All files (*)"));
    if (!path.isEmpty()) {
        openFiles({ path }); // a run picked here is opened as the run it is, not read as a broken plan
    }
}

void MainWindow::chooseFiles()
{
    const QStringList paths = QFileDialog::getOpenFileNames(this, tr("Open"), QString(),
        tr("Nestscope files (*.yaml *.yml *.json);;Plans (*.yaml *.yml);;Runs and topologies (*.json);;All files (*)"));
    openFiles(paths);
}

Result<FileKind> MainWindow::openFile(const QString &path)
{
    const QString name = QFileInfo(path).fileName();
    QFile f(path);
    if (!f.open(QIODevice::ReadOnly)) {
        return Error { tr("cannot read it: %1").arg(f.errorString()), path };
    }
    const FileSniff sniff = sniffFile(f.read(kSniffBytes));
    switch (sniff.kind) {
    case FileKind::Plan: {
        f.close();
        const auto ok = openPlan(path);
        if (!ok) {
            return Error { tr("%1\n\nFix the plan and open it again; nothing was run.").arg(ok.error().toString()),
                QString() };
        }
        statusBar()->showMessage(tr("Opened the plan %1").arg(name), 5000);
        return FileKind::Plan;
    }
    case FileKind::Run: {
        f.close();
        if (m_store) {
            // Into the store, as the Runs dock's Import… puts it, and shown.
            bool already = false;
            const auto id = m_runList->importFile(path, &already);
            if (!id) {
                return Error { tr("%1 is a run, but it cannot be read: %2").arg(name, id.error().toString()),
                    QString() };
            }
            m_runsDock->raise();
            openStoredRuns({ *id });
            statusBar()->showMessage(already ? tr("The run %1 is already in the Runs list: opened it").arg(name)
                                             : tr("Imported the run %1 into the Runs list").arg(name),
                5000);
            return FileKind::Run;
        }
        // No store (it could not be opened): the run is shown, and kept only as the file it is.
        QFile whole(path);
        if (!whole.open(QIODevice::ReadOnly)) {
            return Error { tr("cannot read it: %1").arg(whole.errorString()), path };
        }
        const auto run = runFromJson(whole.readAll(), path);
        if (!run) {
            return Error { tr("%1 is a run, but it cannot be read: %2").arg(name, run.error().toString()), QString() };
        }
        showRunWindow(*run, name, tr("not stored"));
        return FileKind::Run;
    }
    case FileKind::Topology: {
        f.seek(0);
        const auto topology = readTopologyJson(f.readAll());
        if (!topology) {
            return Error { tr("%1 is a topology, but it cannot be read: %2").arg(name, topology.error().toString()),
                QString() };
        }
        m_topologyView->setEdgeResults({}); // the last run's verdicts are about this runner, maybe not that one
        m_topologyView->setTopology(*topology);
        m_pages->setCurrentWidget(m_topologyView);
        statusBar()->showMessage(
            tr("Showing the topology in %1 (%2, discovered %3); Discover shows this runner's again")
                .arg(name, topology->transport,
                    QLocale().toString(topology->discoveredAt.toLocalTime(), QLocale::ShortFormat)),
            15000);
        return FileKind::Topology;
    }
    case FileKind::Unknown:
        break;
    }
    return Error { tr("%1 is not a plan, a run or a topology: it is %2.").arg(name, sniff.what), QString() };
}

void MainWindow::openFiles(const QStringList &paths)
{
    QStringList failures;
    for (const QString &path : paths) {
        if (const auto ok = openFile(path); !ok) {
            failures << ok.error().toString();
        }
    }
    if (failures.isEmpty()) {
        return;
    }
    delete m_openFileError;
    const QString still
        = m_plan.probes.isEmpty() ? QString() : tr(" The plan \u201c%1\u201d is still open.").arg(m_plan.name);
    auto *box = new QMessageBox(QMessageBox::Warning,
        paths.size() == 1 ? tr("Cannot open %1").arg(QFileInfo(paths.first()).fileName())
                          : tr("Cannot open every file"),
        failures.join(QStringLiteral("\n\n")), QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("OpenFileError"));
    box->setInformativeText(tr("Nestscope opens %1. Nothing else was changed.%2").arg(openableKinds(), still));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setWindowModality(Qt::WindowModal);
    m_openFileError = box;
    box->show();
}

namespace {

/// The local files a drag carries; empty when it carries none (text, a web link).
QStringList localFiles(const QMimeData *mime)
{
    QStringList files;
    if (mime && mime->hasUrls()) {
        for (const QUrl &url : mime->urls()) {
            if (url.isLocalFile()) {
                files << url.toLocalFile();
            }
        }
    }
    return files;
}

} // namespace

void MainWindow::dragEnterEvent(QDragEnterEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dragMoveEvent(QDragMoveEvent *event)
{
    if (!localFiles(event->mimeData()).isEmpty()) {
        event->acceptProposedAction();
    }
}

void MainWindow::dropEvent(QDropEvent *event)
{
    const QStringList files = localFiles(event->mimeData());
    if (files.isEmpty()) {
        return;
    }
    event->acceptProposedAction();
    // Opened after the drop has ended: the source (a file manager) is not kept waiting on a dialog.
    QMetaObject::invokeMethod(
        this,
        [this, files] {
            openFiles(files);
        },
        Qt::QueuedConnection);
}

bool MainWindow::eventFilter(QObject *watched, QEvent *event)
{
    // The plan editor would paste a dropped file's path as text: files dropped there are opened,
    // as anywhere else on the window.
    const QEvent::Type t = event->type();
    if (t == QEvent::DragEnter || t == QEvent::DragMove || t == QEvent::Drop) {
        auto *drop = static_cast<QDropEvent *>(event);
        if (!localFiles(drop->mimeData()).isEmpty()) {
            if (t == QEvent::Drop) {
                dropEvent(drop);
            } else {
                drop->acceptProposedAction();
            }
            return true;
        }
    }
    return QMainWindow::eventFilter(watched, event);
}

void MainWindow::startRun()
{
    if (isRunning() || m_pendingSession || m_plan.probes.isEmpty()) {
        return;
    }
    // A runner that is not connected would only give a run of "could not reach it" errors that
    // read like results (and are stored as such): say so instead, and run nothing.
    if (const QString why = m_connection->notReadyReason(); !why.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot start the run"), tr("%1\n\nNothing was run.").arg(why));
        return;
    }
    if (m_planEditor && m_planEditor->isModified()) {
        // Run what the editor shows, with the variables the user set, or say why not.
        auto edited = parsePlan(m_planEditor->planText(), m_planEditor->source(), m_overrides);
        if (!edited) {
            statusBar()->showMessage(
                tr("The plan has an error (%1); fix it before running").arg(edited.error().toString()), 8000);
            return;
        }
        m_plan = std::move(edited).value();
    }
    beginRun(m_plan);
}

RunSession *MainWindow::beginRun(const Plan &planToRun)
{
    // One session from the plan to the verdict, as `nestscope run` has: instances named by the plan
    // are looked up on the runner first; the run starts when they are.
    auto *session = new RunSession(this);
    m_pendingSession = session;
    session->setStore(m_store);
    session->setClient(m_appSettings.client);
    session->setOutputCap(m_appSettings.outputCapBytes);
    session->setLiveDiagnosis(300); // findings follow the run as it fills in, a few times a second
    session->setEarlyVerdict(m_earlyVerdict);
    session->setTopologySource(RunSession::TopologySource::Provided);
    // The topology the run meets is kept with it: the Topology page's when it shows this runner and
    // was discovered moments ago; otherwise (e.g. the user changed the firewall since) the page
    // discovers when the run starts, beside it, and the snapshot joins the run when it arrives.
    constexpr qint64 kFreshSecs = 30;
    const Topology &shown = m_topologyView->topology();
    const bool fresh = m_topologyView->hasTopology() && shown.transport == m_transport->description()
        && shown.discoveredAt.isValid() && shown.discoveredAt.secsTo(QDateTime::currentDateTimeUtc()) < kFreshSecs;
    if (fresh) {
        session->setTopologySnapshot(QJsonDocument(topologyToJson(shown)).toJson(QJsonDocument::Compact));
    }
    connect(session, &RunSession::runnerReady, this, &MainWindow::runResolved);
    connect(session, &RunSession::started, this, [this] {
        updateActions();
        if (m_view->model()->rowCount() > 0 && m_view->model()->columnCount() > 0
            && !m_view->currentIndex().isValid()) {
            m_view->setCurrentIndex(m_view->model()->index(0, 0));
        }
    });
    connect(session, &RunSession::error, this, [this, session](const QString &message) {
        session->deleteLater();
        m_pendingSession = nullptr;
        statusBar()->clearMessage();
        updateActions();
        QMessageBox::warning(this, tr("Cannot start the run"), tr("%1\n\nNothing was run.").arg(message));
    });
    connect(session, &RunSession::storeFailed, this, &MainWindow::showStoreWarning);
    // The settings apply here, to each run, so a plan opened or edited later gets them too.
    Plan plan = planToRun;
    m_appSettings.applyTo(plan);
    statusBar()->showMessage(tr("Looking up the runner's instances…"));
    session->start(plan, m_transport);
    updateActions();
    return session;
}

void MainWindow::createHelpMenu()
{
    QMenu *help = menuBar()->addMenu(tr("&Help"));
    m_shortcutsAction = help->addAction(tr("&Keyboard Shortcuts"), this, &MainWindow::showShortcuts);
    m_shortcutsAction->setShortcut(QKeySequence::HelpContents);
    m_shortcutsAction->setStatusTip(tr("Every action that has a shortcut, by menu"));
    m_documentationAction = help->addAction(tr("&Documentation"), this, &MainWindow::openDocumentation);
    m_documentationAction->setStatusTip(tr("Open the README: plans, probes, the topology, the CLI"));
    help->addSeparator();
    m_aboutAction = help->addAction(tr("&About Nestscope"), this, &MainWindow::showAbout);
    m_aboutAction->setMenuRole(QAction::AboutRole);
    m_aboutAction->setStatusTip(tr("The version of Nestscope and of its libraries, and the LXD client found"));
}

void MainWindow::showShortcuts()
{
    // One list at a time, brought back to the front when asked again; the window stays usable.
    if (!m_shortcutsDialog) {
        m_shortcutsDialog = new ShortcutsDialog(windowShortcuts(this), this);
        m_shortcutsDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_shortcutsDialog->show();
    m_shortcutsDialog->raise();
    m_shortcutsDialog->activateWindow();
}

void MainWindow::showAbout()
{
    if (!m_aboutDialog) {
        // What the Topology page found on the runner, beside what this machine has.
        QString runner;
        const Topology &t = m_topologyView->topology();
        if (m_topologyView->hasTopology() && !t.lxdClient.isEmpty()) {
            runner = t.lxdServerVersion.isEmpty()
                ? tr("%1, its daemon did not answer (%2)").arg(t.lxdClient, t.transport)
                : tr("%1, %2 %3 (%4)").arg(t.lxdClient, lxdDaemonName(t.lxdClient), t.lxdServerVersion, t.transport);
        }
        m_aboutDialog = new AboutDialog(runner, this);
        m_aboutDialog->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_aboutDialog->show();
    m_aboutDialog->raise();
    m_aboutDialog->activateWindow();
}

void MainWindow::openDocumentation()
{
    const QString path = documentationPath();
    if (!path.isEmpty() && QDesktopServices::openUrl(QUrl::fromLocalFile(path))) {
        statusBar()->showMessage(tr("Opened %1").arg(path), 5000);
        return;
    }
    // No file, or nothing on this desktop opens one: say where it is, as text (nothing is fetched).
    auto *box = new QMessageBox(QMessageBox::Information, tr("Documentation"),
        path.isEmpty() ? tr("The documentation is not installed on this machine.")
                       : tr("Nothing on this desktop opens Markdown files."),
        QMessageBox::Close, this);
    box->setObjectName(QStringLiteral("DocumentationMessage"));
    box->setInformativeText(path.isEmpty()
            ? tr("It is the README.md and the docs/ folder of the Nestscope sources, online at %1")
                  .arg(documentationOnline())
            : tr("Read it with any text editor or Markdown viewer: %1").arg(path));
    box->setTextInteractionFlags(Qt::TextSelectableByMouse);
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->open();
}

void MainWindow::setAppSettings(const AppSettings &settings)
{
    m_appSettings = settings;
    // The Topology page asks the client the run lists its instances with.
    m_topologyView->setClient(settings.client);
}

void MainWindow::editSettings()
{
    auto *dialog = new SettingsDialog(m_appSettings, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        setAppSettings(dialog->settings());
        QSettings settings;
        m_appSettings.save(settings);
        applyTheme(m_appSettings.theme);
        statusBar()->showMessage(tr("Settings saved; the next run uses them"), 5000);
    });
    dialog->open();
}

void MainWindow::runResolved()
{
    statusBar()->clearMessage();
    // The old run (its runner uses the old session's instance transports) goes with its session.
    delete m_session;
    m_session = m_pendingSession;
    m_pendingSession = nullptr;
    m_runner = m_session->runner();
    const Plan &resolved = m_session->plan();
    for (const QString &note : m_session->notes()) {
        statusBar()->showMessage(note, 15000);
    }
    m_console->setTargets(m_session->transports(), resolved.targets);
    QStringList ids;
    for (const Probe &p : std::as_const(resolved.probes)) {
        ids << p.id;
    }
    m_matrixPanel->setProbeFamilies(probeFamilies(resolved));
    m_model->reset(ids, resolved.targets);
    m_details->clear();
    connect(m_runner, &PlanRunner::sampleFinished, m_model, &MatrixModel::addSample);
    connect(m_runner, &PlanRunner::sampleFinished, m_charts, [this] {
        m_charts->setLiveRun(m_runner->run());
    });
    connect(m_runner, &PlanRunner::finished, m_charts, [this] {
        m_charts->setRun(m_runner->run()); // the final state at once, not after the live throttle
    });
    m_findings->clear(tr("Diagnosing as the samples come in…"));
    m_findingsDock->raise(); // what a run is for: the verdict, in view while it forms
    connect(m_session, &RunSession::diagnosisChanged, this, &MainWindow::showDiagnosis);
    if (m_session->run().topologyJson.isEmpty()) {
        RunSession *session = m_session;
        const QString where = m_transport->description();
        auto once = std::make_shared<QMetaObject::Connection>();
        // In the session's context: the lambda runs only while the session lives, and a discovery
        // dropped by a runner switch (it never reports) does not leave connections behind.
        *once = connect(m_topologyView, &TopologyView::discoveryFinished, session, [=, this](bool ok) {
            disconnect(*once);
            if (!ok || m_topologyView->topology().transport != where) {
                return;
            }
            session->setTopologySnapshot(
                QJsonDocument(topologyToJson(m_topologyView->topology())).toJson(QJsonDocument::Compact));
        });
        m_topologyView->discover(); // (already discovering: the running one reports)
    }
    connect(m_runner, &PlanRunner::progress, this, [this](int done, int total) {
        m_progress->setRange(0, total);
        m_progress->setValue(done);
        updateStatus();
    });
    connect(m_runner, &PlanRunner::pausedChanged, this, [this](bool paused) {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(paused);
        statusBar()->showMessage(paused ? tr("Paused — commands in flight finish, nothing new starts") : QString());
    });
    connect(m_session, &RunSession::finished, this, [this](bool cancelled) {
        m_clockTimer->stop();
        updateActions();
        updateStatus();
        statusBar()->showMessage(cancelled ? tr("Run cancelled") : tr("Run finished"), 5000);
        // The graph's edges show, per address family, whether this run got out from each target.
        m_topologyView->setEdgeResults(m_session->edgeResults());
        Q_EMIT runFinished(cancelled);
    });
    {
        const QSignalBlocker block(m_pauseAction);
        m_pauseAction->setChecked(false);
    }
    m_clockTimer->start();
    updateStatus(); // the session starts the runner once this returns (see started())
}

void MainWindow::createPlanDocks()
{
    m_planEditor = new PlanEditor(this);
    auto *planDock = new QDockWidget(tr("Plan"), this);
    planDock->setObjectName(QStringLiteral("PlanDock"));
    planDock->setWidget(m_planEditor);
    // The matrix keeps the centre; the plan shares the right side with the run list.
    addDockWidget(Qt::RightDockWidgetArea, planDock);
    if (m_runsDock) {
        tabifyDockWidget(m_runsDock, planDock);
        planDock->raise();
    }
    // An edited plan that parses becomes the plan the next run uses.
    connect(m_planEditor, &PlanEditor::validated, this, [this](bool valid) {
        if (!valid || isRunning() || !m_planEditor->isModified()) {
            updateActions();
            return;
        }
        auto plan = parsePlan(m_planEditor->planText(), m_planEditor->source(), m_overrides);
        if (plan) {
            m_plan = std::move(plan).value();
            QStringList ids;
            for (const Probe &p : std::as_const(m_plan.probes)) {
                ids << p.id;
            }
            m_matrixPanel->setProbeFamilies(probeFamilies(m_plan));
            m_model->reset(ids, knownTargets(m_plan));
            updateStatus();
        }
        updateActions();
    });

    m_console = new ConsoleView(this);
    auto *consoleDock = new QDockWidget(tr("Console"), this);
    consoleDock->setObjectName(QStringLiteral("ConsoleDock"));
    consoleDock->setWidget(m_console);
    addDockWidget(Qt::BottomDockWidgetArea, consoleDock);
    if (m_chartsDock) {
        tabifyDockWidget(m_chartsDock, consoleDock);
        m_chartsDock->raise();
    }
    QMenu *view = menuBar()->addMenu(tr("&View"));
    // Findings share the right-hand area with the plan and the run list, as a tab of its own.
    m_findingsDock = new QDockWidget(tr("Findings"), this);
    m_findingsDock->setObjectName(QStringLiteral("FindingsDock"));
    m_findingsDock->setWidget(m_findings);
    addDockWidget(Qt::RightDockWidgetArea, m_findingsDock);
    tabifyDockWidget(planDock, m_findingsDock);
    planDock->raise();
    m_findingsDock->toggleViewAction()->setShortcut(QKeySequence(Qt::CTRL | Qt::SHIFT | Qt::Key_F));
    view->addAction(m_findingsDock->toggleViewAction());
    view->addAction(planDock->toggleViewAction());
    view->addAction(consoleDock->toggleViewAction());
    if (m_runsDock) {
        view->addAction(m_runsDock->toggleViewAction());
    }
    if (m_chartsDock) {
        view->addAction(m_chartsDock->toggleViewAction());
    }
}

void MainWindow::editVariables()
{
    if (m_plan.variables.isEmpty()) {
        QMessageBox::information(this, tr("Plan variables"), tr("This plan declares no variables."));
        return;
    }
    QDialog dialog(this);
    dialog.setWindowTitle(tr("Plan Variables"));
    auto *table = new QTableWidget(int(m_plan.variables.size()), 2, &dialog);
    table->setHorizontalHeaderLabels({ tr("Variable"), tr("Value") });
    table->horizontalHeader()->setStretchLastSection(true);
    table->verticalHeader()->hide();
    int row = 0;
    for (auto it = m_plan.variables.cbegin(); it != m_plan.variables.cend(); ++it, ++row) {
        auto *name = new QTableWidgetItem(it.key());
        name->setFlags(name->flags() & ~Qt::ItemIsEditable);
        table->setItem(row, 0, name);
        table->setItem(row, 1, new QTableWidgetItem(it.value()));
    }
    table->resizeColumnToContents(0);
    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, &dialog);
    connect(buttons, &QDialogButtonBox::accepted, &dialog, &QDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, &dialog, &QDialog::reject);
    auto *layout = new QVBoxLayout(&dialog);
    layout->addWidget(
        new QLabel(tr("Values replace ${name} in the plan for the next run, like --var name=value."), &dialog));
    layout->addWidget(table);
    layout->addWidget(buttons);
    dialog.resize(560, 320);
    if (dialog.exec() != QDialog::Accepted) {
        return;
    }
    QMap<QString, QString> overrides;
    for (int r = 0; r < table->rowCount(); ++r) {
        overrides.insert(table->item(r, 0)->text(), table->item(r, 1)->text());
    }
    // Re-read the plan's text with the new values: validation applies to them as to the file.
    auto plan = parsePlan(m_plan.sourceText, m_plan.sourceFile, overrides);
    if (!plan) {
        QMessageBox::warning(
            this, tr("Invalid value"), tr("%1\n\nThe variables were not changed.").arg(plan.error().toString()));
        return;
    }
    m_plan = std::move(plan).value();
    m_overrides = overrides;
    statusBar()->showMessage(tr("Variables set for the next run"), 5000);
    updateStatus();
}

void MainWindow::savePlanAs()
{
    QString suggestion = m_planEditor->source();
    if (suggestion.startsWith(QLatin1String("builtin:"))) {
        suggestion = suggestion.mid(8) + QStringLiteral(".yaml");
    }
    const QString path = QFileDialog::getSaveFileName(this, tr("Save Plan As"), suggestion, tr("Plans (*.yaml *.yml)"));
    if (path.isEmpty()) {
        return;
    }
    if (const auto saved = m_planEditor->saveTo(path); !saved) {
        QMessageBox::warning(this, tr("Cannot save the plan"), saved.error().toString());
        return;
    }
    m_plan.sourceFile = path;
    setWindowFilePath(path);
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::cancelRun()
{
    if (m_pendingSession) {
        // Still looking up the instances: nothing has run yet, so just stop looking (and the
        // lookup's command with it).
        delete m_pendingSession;
        statusBar()->showMessage(tr("Run cancelled before it started"), 5000);
        updateActions();
        return;
    }
    if (isRunning()) {
        m_runner->cancel();
    } else if (m_topologyView && m_topologyView->isDiscovering()) {
        m_topologyView->cancelDiscovery();
    }
}

void MainWindow::saveResults()
{
    if (!m_runner) {
        return;
    }
    const QString path = QFileDialog::getSaveFileName(
        this, tr("Save Results"), QStringLiteral("nestscope-run.json"), tr("Nestscope run (*.json)"));
    if (path.isEmpty()) {
        return;
    }
    if (const QString why = writeWholeFile(path, runToJson(m_runner->run())); !why.isEmpty()) {
        QMessageBox::warning(this, tr("Cannot save the results"),
            tr("%1: %2\n\nChoose another folder; the run is still here.").arg(path, why));
        return;
    }
    statusBar()->showMessage(tr("Saved %1").arg(path), 5000);
}

void MainWindow::updateActions()
{
    const bool running = isRunning() || m_pendingSession;
    m_runAction->setEnabled(
        !running && !m_plan.probes.isEmpty() && (!m_planEditor || m_planEditor->errorText().isEmpty()));
    m_pauseAction->setEnabled(isRunning());
    m_rerunFailedAction->setEnabled(m_runner && !running && m_runner->hasFailedCells());
    m_cancelAction->setEnabled(running || (m_topologyView && m_topologyView->isDiscovering()));
    m_openAction->setEnabled(!running);
    m_saveAction->setEnabled(m_runner && !running && !m_runner->run().samples.isEmpty());
    if (m_connection) {
        // the transport must not change under a run, nor under an experiment that may be changing it
        const bool experimenting = m_experimentDialog
            && (m_experimentDialog->stage() == ExperimentDialog::Stage::Applying
                || m_experimentDialog->stage() == ExperimentDialog::Stage::Reverting);
        m_connection->setBusy(running || experimenting);
    }
}

void MainWindow::updateStatus()
{
    if (m_plan.probes.isEmpty()) {
        m_planLabel->setText(tr("No plan — open one with Ctrl+O"));
    } else {
        // The targets by name while they are few: "2 target(s)" for [runner, all] counted `all` as one.
        const QString targets = m_plan.targets.size() <= 3 ? m_plan.targets.join(QStringLiteral(", "))
                                                           : tr("%1 targets").arg(m_plan.targets.size());
        m_planLabel->setText(tr("%1 · %2 probes × %3 on %4")
                                 .arg(m_plan.name)
                                 .arg(m_plan.probes.size())
                                 .arg(targets, m_transport->description()));
    }
    // Targets the last run could not reach are said once, here, where the run's columns are read.
    const bool notRun = m_session && !m_session->notRun().isEmpty();
    if (notRun) {
        m_planLabel->setText(m_planLabel->text()
            + tr(" · not run on %1 (the instances could not be listed)")
                  .arg(m_session->notRun().join(QStringLiteral(", "))));
    }
    m_planLabel->setToolTip(notRun ? m_session->notRunReason() : QString());
    if (!m_runner) {
        m_summaryLabel->clear();
        m_timeLabel->clear();
        return;
    }
    const Run &run = m_runner->run();
    m_summaryLabel->setText(tr("%1 pass · %2 fail · %3 timeout · %4 error")
                                .arg(run.count(SampleStatus::Pass))
                                .arg(run.count(SampleStatus::Fail))
                                .arg(run.count(SampleStatus::Timeout))
                                .arg(run.count(SampleStatus::Error)));
    const qint64 elapsed = m_runner->elapsedMs();
    const int done = m_runner->done();
    const int total = m_runner->total();
    m_timeLabel->setText(runTimeText(elapsed, done, total, m_runner->isRunning()));
    // After a cancel the skipped samples are not progress: the bar shows what ran, and says why it stopped.
    if (!m_runner->isRunning() && run.cancelled) {
        m_progress->setFormat(tr("%v / %m · cancelled"));
        // (the runner drops what had not started from its total; the plan still says what was asked)
        m_progress->setRange(0, std::max(int(run.samples.size()), m_session ? m_session->plan().sampleCount() : 0));
        m_progress->setValue(int(run.samples.size()) - run.count(SampleStatus::Skipped));
    } else {
        m_progress->setFormat(tr("%v / %m"));
    }
}

QString MainWindow::runTimeText(qint64 elapsedMs, int done, int total, bool running)
{
    QString time = tr("elapsed %1").arg(formatDuration(elapsedMs));
    if (running && done > 0 && done < total) {
        // Under a second by the average is no promise while a probe with a 10 s timeout is still out.
        const qint64 eta = elapsedMs * (total - done) / done;
        time += eta < 1000 ? tr(" · finishing the last %n", nullptr, total - done)
                           : tr(" · ETA %1").arg(formatDuration(eta));
    }
    return time;
}

void MainWindow::showCellSamples(const QModelIndex &index)
{
    if (!index.isValid() || !m_runner) {
        m_details->clear();
        return;
    }
    const QString probe = index.data(MatrixModel::ProbeIdRole).toString();
    const QString target = index.data(MatrixModel::TargetRole).toString();
    QList<Sample> samples;
    for (const Sample &s : m_runner->run().samples) {
        if (s.probeId == probe && s.target == target) {
            samples << s;
        }
    }
    std::sort(samples.begin(), samples.end(), [](const Sample &a, const Sample &b) {
        return a.repetition < b.repetition;
    });
    m_details->showSamples(probe, target, samples);
}

void MainWindow::createResultDocks()
{
    m_runList = new RunListView(this);
    m_runsDock = new QDockWidget(tr("Runs"), this);
    m_runsDock->setObjectName(QStringLiteral("RunsDock"));
    m_runsDock->setWidget(m_runList);
    addDockWidget(Qt::RightDockWidgetArea, m_runsDock);
    connect(m_runList, &RunListView::openRequested, this, &MainWindow::openStoredRuns);
    connect(m_runList, &RunListView::compareRequested, this, &MainWindow::compareStoredRuns);
    connect(m_runList, &RunListView::message, this, [this](const QString &text) {
        statusBar()->showMessage(text, 8000);
    });

    m_charts = new ResultCharts(this);
    m_chartsDock = new QDockWidget(tr("Charts"), this);
    m_chartsDock->setObjectName(QStringLiteral("ChartsDock"));
    m_chartsDock->setWidget(m_charts);
    addDockWidget(Qt::BottomDockWidgetArea, m_chartsDock);
}

Result<bool> MainWindow::openStore(const QString &path)
{
    if (m_experimentDialog) {
        // it records into the store that is open now
        return Error { tr("an experiment is open: close it before opening another run store"), path };
    }
    delete m_experimentList;
    auto *store = new RunStore(this);
    const auto ok = store->open(path);
    if (!ok) {
        delete store;
        showStoreWarning(ok.error().toString());
        return ok.error();
    }
    delete m_store;
    m_store = store;
    // Write failures reach the user through the RunRecorder of the run they hit.
    m_runList->setStore(m_store);
    // A change an experiment left on a runner (a crash, a closed window) is offered once, after
    // the window is up: revert it, keep it, or decide later.
    QMetaObject::invokeMethod(this, &MainWindow::showPendingExperiments, Qt::QueuedConnection);
    return true;
}

void MainWindow::showStoreWarning(const QString &message)
{
    statusBar()->showMessage(tr("Runs are not being saved: %1. This run goes on in memory; use Save Results to "
                                "keep it as JSON.")
                                 .arg(message));
    Q_EMIT storeWarning(message);
}

QList<QWidget *> MainWindow::resultWindows() const
{
    QList<QWidget *> windows;
    for (const auto &w : m_resultWindows) {
        if (w) {
            windows << w;
        }
    }
    return windows;
}

void MainWindow::openStoredRuns(const QList<qint64> &runIds)
{
    if (!m_store) {
        return;
    }
    for (qint64 id : runIds) {
        const auto run = m_store->loadRun(id);
        const auto info = m_store->runInfo(id);
        if (!run || !info) {
            statusBar()->showMessage(run ? tr("Run %1 is gone").arg(id) : run.error().toString(), 8000);
            continue;
        }
        showRunWindow(*run, info->displayName(), toText(info->status), id);
    }
}

QWidget *MainWindow::showRunWindow(const Run &run, const QString &name, const QString &status, qint64 runId)
{
    auto *window = new RunView(this);
    // A saved run's finding can be tried too, on the runner it was measured on.
    connect(window->findings(), &FindingsPanel::tryFixRequested, this, [this, run, runId](const Finding &finding) {
        tryFixOn(finding, run, runId);
    });
    window->setWindowFlag(Qt::Window);
    window->setAttribute(Qt::WA_DeleteOnClose);
    window->setWindowTitle(tr("%1 — %2 — Nestscope").arg(name, status));
    window->setRun(run, name);
    window->resize(980, 720);
    window->show();
    m_resultWindows << window;
    return window;
}

void MainWindow::compareStoredRuns(qint64 beforeId, qint64 afterId)
{
    if (!m_store) {
        return;
    }
    const auto before = m_store->loadRun(beforeId);
    const auto after = m_store->loadRun(afterId);
    const auto beforeInfo = m_store->runInfo(beforeId);
    const auto afterInfo = m_store->runInfo(afterId);
    if (!before || !after || !beforeInfo || !afterInfo) {
        statusBar()->showMessage(tr("Cannot compare: one of the runs could not be read"), 8000);
        return;
    }
    showComparison(*before, beforeInfo->displayName(), *after, afterInfo->displayName());
}

void MainWindow::showComparison(
    const Run &before, const QString &beforeLabel, const Run &after, const QString &afterLabel)
{
    auto *view = new ComparisonView(this);
    view->setWindowFlag(Qt::Window);
    view->setAttribute(Qt::WA_DeleteOnClose);
    view->setWindowTitle(tr("%1 → %2 — Nestscope").arg(beforeLabel, afterLabel));
    view->setRuns(before, beforeLabel, after, afterLabel);
    view->resize(1100, 820);
    view->show();
    m_resultWindows << view;
}

ExperimentDialog *MainWindow::experimentDialog() const
{
    return m_experimentDialog;
}

ExperimentListDialog *MainWindow::experimentList() const
{
    return m_experimentList;
}

void MainWindow::tryFix(const Finding &finding)
{
    if (isRunning() || m_pendingSession) {
        statusBar()->showMessage(tr("Wait for the run to finish: the experiment compares with it"), 8000);
        return;
    }
    const qint64 baselineId = m_session && m_session->recorder() ? m_session->recorder()->runId() : 0;
    if (m_store && baselineId > 0) {
        m_store->flush(); // the baseline's notes get the outcome
    }
    tryFixOn(finding, currentRun(), baselineId);
}

void MainWindow::tryFixOn(const Finding &finding, const Run &baseline, qint64 baselineId)
{
    if (m_experimentDialog) {
        m_experimentDialog->show();
        m_experimentDialog->raise();
        statusBar()->showMessage(tr("Finish or close the experiment that is open first"), 8000);
        return;
    }
    if (!baseline.host.isEmpty() && baseline.host != m_transport->description()) {
        // its fix is for that runner, and the comparison would set two runners side by side
        auto *box = new QMessageBox(QMessageBox::Information, tr("Try the Fix"),
            tr("This run was measured on %1, and the window is connected to %2. Connect to %1 first (Runner > "
               "Connect…) to try its fix there.")
                .arg(baseline.host, m_transport->description()),
            QMessageBox::Ok, this);
        box->setAttribute(Qt::WA_DeleteOnClose);
        box->setWindowModality(Qt::WindowModal);
        box->open();
        return;
    }
    auto *dialog = new ExperimentDialog(finding, baseline, baselineId, m_transport, m_store, this);
    wireExperimentDialog(dialog);
}

void MainWindow::openExperiment(const Experiment &experiment)
{
    if (m_experimentDialog) {
        m_experimentDialog->show();
        m_experimentDialog->raise();
        statusBar()->showMessage(tr("Finish or close the experiment that is open first"), 8000);
        return;
    }
    wireExperimentDialog(new ExperimentDialog(experiment, m_transport, m_store, this));
}

void MainWindow::wireExperimentDialog(ExperimentDialog *dialog)
{
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    m_experimentDialog = dialog;
    connect(dialog, &ExperimentDialog::rerunRequested, this, [this, dialog](const Plan &plan) {
        rerunForExperiment(dialog, plan);
    });
    connect(dialog, &ExperimentDialog::comparisonReady, this, &MainWindow::showComparison);
    connect(dialog, &ExperimentDialog::experimentChanged, this, [this] {
        if (m_experimentList) {
            m_experimentList->refresh();
        }
    });
    // the runner must not change under an experiment's command
    connect(dialog, &ExperimentDialog::stageChanged, this, &MainWindow::updateActions);
    connect(dialog, &QDialog::finished, this, &MainWindow::updateActions);
    dialog->show();
}

void MainWindow::rerunForExperiment(ExperimentDialog *dialog, const Plan &plan)
{
    if (isRunning() || m_pendingSession) {
        dialog->rerunRefused(tr("a run is in progress; run the plan again when it ends"));
        return;
    }
    if (const QString why = m_connection->notReadyReason(); !why.isEmpty()) {
        dialog->rerunRefused(why);
        return;
    }
    RunSession *session = beginRun(plan);
    if (!session->isActive() && m_pendingSession != session) {
        dialog->rerunRefused(tr("the run did not start"));
        return;
    }
    connect(session, &RunSession::error, dialog, &ExperimentDialog::rerunRefused);
    connect(session, &RunSession::finished, dialog, [this, session, dialog](bool cancelled) {
        qint64 id = 0;
        if (RunRecorder *recorder = session->recorder()) {
            if (m_store) {
                m_store->flush();
            }
            id = recorder->runId();
        }
        dialog->rerunFinished(id, session->run(), cancelled);
    });
}

void MainWindow::showPendingExperiments()
{
    if (!m_store || !m_store->isOpen() || m_experimentList) {
        return;
    }
    const QList<Experiment> all = m_store->experiments();
    if (std::none_of(all.cbegin(), all.cend(), [](const Experiment &e) {
            return e.pending();
        })) {
        return;
    }
    showExperimentList(true);
}

void MainWindow::showExperiments()
{
    if (!m_store || !m_store->isOpen()) {
        QMessageBox::information(this, tr("Experiments"),
            tr("No run store is open: experiments are recorded in the store before anything runs."));
        return;
    }
    if (m_experimentList) {
        m_experimentList->close(); // the pending reminder gives way to the full list
    }
    showExperimentList(false);
}

void MainWindow::showExperimentList(bool pendingOnly)
{
    auto *list = new ExperimentListDialog(m_store, pendingOnly, this);
    list->setAttribute(Qt::WA_DeleteOnClose);
    list->setCurrentRunner(m_transport->description());
    connect(list, &ExperimentListDialog::revertRequested, this, &MainWindow::openExperiment);
    m_experimentList = list;
    list->show();
}

} // namespace nestscope
