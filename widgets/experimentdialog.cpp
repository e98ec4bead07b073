#include "experimentdialog.h"

#include "experiment/experiment.h"
#include "results/comparison.h"
#include "results/matrix.h"
#include "results/runstore.h"
#include "transport/transport.h"

#include <QCloseEvent>
#include <QFontDatabase>
#include <QGroupBox>
#include <QHBoxLayout>
#include <QLabel>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QRadioButton>
#include <QTimer>
#include <QVBoxLayout>

namespace nestscope {

namespace {

QString runLabel(const QString &what, qint64 id)
{
    return id > 0 ? QStringLiteral("%1 (run %2)").arg(what).arg(id) : what;
}

QString outputOf(const CommandResult &r)
{
    QString text = QString::fromUtf8(QByteArray(r.stdOut + r.stdErr).trimmed().right(4000));
    const QString exit
        = r.outcome == CommandOutcome::Exited ? QStringLiteral("exit %1").arg(r.exitCode) : r.errorString;
    return text.isEmpty() ? QStringLiteral("(%1)").arg(exit) : QStringLiteral("%1\n(%2)").arg(text, exit);
}

} // namespace

ExperimentDialog::ExperimentDialog(const Finding &finding, const Run &baseline, qint64 baselineId, Transport *transport,
    RunStore *store, QWidget *parent)
    : QDialog(parent)
    , m_transport(transport)
    , m_store(store)
    , m_finding(finding)
    , m_baseline(baseline)
    , m_baselineLabel(runLabel(tr("baseline"), baselineId))
{
    m_experiment.runner = transport ? transport->description() : QString();
    m_experiment.findingId = finding.id;
    m_experiment.title = finding.title;
    m_experiment.baselineRun = baselineId;
    build();
    identify();
}

ExperimentDialog::ExperimentDialog(const Experiment &experiment, Transport *transport, RunStore *store, QWidget *parent)
    : QDialog(parent)
    , m_transport(transport)
    , m_store(store)
    , m_fromFinding(false)
    , m_experiment(experiment)
    , m_baselineLabel(runLabel(tr("baseline"), experiment.baselineRun))
{
    if (store && experiment.baselineRun > 0) {
        if (auto run = store->loadRun(experiment.baselineRun)) {
            m_baseline = *run;
        }
    }
    build();
    identify();
}

ExperimentDialog::~ExperimentDialog() = default;

void ExperimentDialog::build()
{
    setWindowTitle(tr("Try the Fix — %1").arg(m_experiment.title));
    m_runner = new ExperimentRunner(m_transport, m_store, this);
    m_title = new QLabel(QStringLiteral("<b>%1</b>").arg(m_experiment.title.toHtmlEscaped()), this);
    m_title->setWordWrap(true);
    m_where = new QLabel(this);
    m_where->setText(tr("Runs on: <b>%1</b>").arg(m_experiment.runner.toHtmlEscaped()));
    m_where->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_whoLabel = new QLabel(tr("As: checking…"), this);
    m_whoLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    m_commands = new QPlainTextEdit(this);
    m_commands->setReadOnly(true);
    m_commands->setFont(mono);
    m_commands->setLineWrapMode(QPlainTextEdit::NoWrap);
    m_commands->setAccessibleName(tr("Commands and their reverts"));
    m_commands->setPlaceholderText(tr("Asking the runner who runs the commands…"));

    auto *rerunBox = new QGroupBox(tr("After the change, rerun"), this);
    m_rerunAll = new QRadioButton(tr("the &whole plan"), rerunBox);
    m_rerunFailed = new QRadioButton(tr("only the &failed probes"), rerunBox);
    m_rerunAll->setChecked(true);
    auto *rerunLayout = new QHBoxLayout(rerunBox);
    rerunLayout->addWidget(m_rerunAll);
    rerunLayout->addWidget(m_rerunFailed);
    rerunLayout->addStretch();

    m_status = new QLabel(this);
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_log = new QPlainTextEdit(this);
    m_log->setReadOnly(true);
    m_log->setFont(mono);
    m_log->setAccessibleName(tr("Commands run and their output"));
    m_log->setPlaceholderText(tr("Nothing has run. Each command and its output show here as it completes."));
    m_error = new QLabel(this);
    m_error->setWordWrap(true);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->setStyleSheet(QStringLiteral("QLabel { color: #b00020; }"));
    m_error->hide();

    m_apply = new QPushButton(tr("&Apply"), this);
    m_revert = new QPushButton(tr("&Revert"), this);
    m_keep = new QPushButton(tr("&Keep"), this);
    m_cancel = new QPushButton(tr("Cancel"), this);
    // Enter must not change a runner: Apply takes a click or Alt+A.
    for (QPushButton *b : { m_apply, m_revert, m_keep }) {
        b->setAutoDefault(false);
        b->setDefault(false);
    }
    m_cancel->setDefault(true);
    m_apply->setToolTip(tr("Runs the commands above on the runner, in order; the first that fails stops it"));
    auto *buttons = new QHBoxLayout;
    buttons->addWidget(m_status, 1);
    buttons->addWidget(m_apply);
    buttons->addWidget(m_revert);
    buttons->addWidget(m_keep);
    buttons->addWidget(m_cancel);

    auto *layout = new QVBoxLayout(this);
    layout->addWidget(m_title);
    layout->addWidget(m_where);
    layout->addWidget(m_whoLabel);
    layout->addWidget(new QLabel(tr("Commands, in order, each with its revert:"), this));
    layout->addWidget(m_commands, 3);
    layout->addWidget(rerunBox);
    layout->addWidget(m_log, 2);
    layout->addWidget(m_error);
    layout->addLayout(buttons);
    resize(820, 680);

    connect(m_apply, &QPushButton::clicked, this, &ExperimentDialog::apply);
    connect(m_revert, &QPushButton::clicked, this, &ExperimentDialog::startRevert);
    connect(m_keep, &QPushButton::clicked, this, &ExperimentDialog::keep);
    connect(m_cancel, &QPushButton::clicked, this, &ExperimentDialog::reject);
    connect(m_runner, &ExperimentRunner::commandStarted, this, [this](const QString &command) {
        appendLog(QStringLiteral("$ ") + command);
    });
    connect(m_runner, &ExperimentRunner::commandFinished, this, [this](const QString &, const CommandResult &result) {
        appendLog(outputOf(result));
    });
    connect(m_runner, &ExperimentRunner::finished, this, &ExperimentDialog::runnerFinished);
    m_settle = new QTimer(this);
    m_settle->setSingleShot(true);
    connect(m_settle, &QTimer::timeout, this, &ExperimentDialog::requestRerun);
    setStage(Stage::Identifying);
}

void ExperimentDialog::identify()
{
    if (!m_transport) {
        m_whoLabel->setText(tr("As: unknown — no runner is connected"));
        m_status->setText(tr("Connect to %1 to run these commands.").arg(m_experiment.runner));
        if (m_fromFinding) {
            m_experiment.steps = experimentSteps(m_finding, false);
        }
        showCommands();
        m_apply->setEnabled(false);
        return;
    }
    CommandRequest request;
    request.command = QStringLiteral("id -u; id -un");
    request.timeout = std::chrono::milliseconds(30000);
    CommandJob *job = m_transport->start(request);
    connect(job, &CommandJob::finished, this, [this](const CommandResult &r) {
        const QStringList lines = QString::fromUtf8(r.stdOut).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
        const bool known = r.outcome == CommandOutcome::Exited && r.exitCode == 0 && lines.size() >= 2;
        const bool root = known && lines.at(0).trimmed() == QLatin1String("0");
        m_who = known ? lines.at(1).trimmed() : QString();
        if (!known) {
            m_whoLabel->setText(tr("As: could not tell (%1) — commands that need root run through sudo -n")
                                    .arg(r.errorString.isEmpty() ? outputOf(r) : r.errorString));
        } else if (root) {
            m_whoLabel->setText(tr("As: <b>%1</b> (uid 0): the commands run as they are").arg(m_who.toHtmlEscaped()));
        } else {
            m_whoLabel->setText(tr("As: <b>%1</b> (uid %2): the LXD client runs as this user, the rest through "
                                   "<tt>sudo -n</tt> (no password prompt)")
                                    .arg(m_who.toHtmlEscaped(), lines.at(0).trimmed().toHtmlEscaped()));
        }
        if (m_fromFinding) {
            m_experiment.steps = experimentSteps(m_finding, root);
        }
        showCommands();
        if (m_fromFinding) {
            const auto n = m_experiment.steps.size();
            m_status->setText(n == 1 ? tr("Nothing has run. Apply runs this command on %1.").arg(m_experiment.runner)
                                     : tr("Nothing has run. Apply runs these %1 commands on %2, stopping at the first "
                                          "that fails.")
                                           .arg(n)
                                           .arg(m_experiment.runner));
        }
        setStage(m_fromFinding ? Stage::Confirm : Stage::Decide);
    });
}

void ExperimentDialog::showCommands()
{
    QString text;
    int n = 0;
    for (const ExperimentStep &s : std::as_const(m_experiment.steps)) {
        if (!s.note.isEmpty()) {
            text += QStringLiteral("   # %1\n").arg(s.note);
        }
        const bool applied = !m_fromFinding && n < m_experiment.applied;
        text += QStringLiteral("%1. %2%3\n").arg(++n).arg(s.command, applied ? tr("   (applied)") : QString());
        text += QStringLiteral("   revert: %1\n").arg(s.revert.isEmpty() ? tr("(nothing to undo)") : s.revert);
    }
    m_commands->setPlainText(text);
    if (!m_fromFinding && m_status->text().isEmpty()) {
        m_status->setText(
            tr("Experiment %1, %2: %3 of %4 steps applied%5.")
                .arg(m_experiment.id)
                .arg(toText(m_experiment.state))
                .arg(m_experiment.applied)
                .arg(m_experiment.steps.size())
                .arg(m_experiment.outcome.isEmpty() ? QString() : QStringLiteral(" — ") + m_experiment.outcome));
    }
}

void ExperimentDialog::setStage(Stage stage)
{
    m_stage = stage;
    const bool busy = stage == Stage::Applying || stage == Stage::Reverting;
    m_apply->setVisible(stage == Stage::Identifying || stage == Stage::Confirm);
    m_apply->setEnabled(stage == Stage::Confirm && !m_experiment.steps.isEmpty() && m_transport);
    m_rerunAll->parentWidget()->setEnabled(stage == Stage::Identifying || stage == Stage::Confirm
        || (stage == Stage::Decide && !m_reverting) || (stage == Stage::Failed && m_experiment.applied > 0));
    const bool canRevert = m_experiment.applied > 0 && m_transport;
    m_revert->setVisible((stage == Stage::Decide || stage == Stage::Failed) && m_experiment.applied > 0);
    m_revert->setEnabled(canRevert);
    m_revert->setText(stage == Stage::Failed ? tr("&Revert What Was Applied") : tr("&Revert"));
    m_keep->setVisible(stage == Stage::Decide);
    m_cancel->setText(busy                                             ? tr("Stop After This Command")
            : (stage == Stage::Identifying || stage == Stage::Confirm) ? tr("Cancel")
                                                                       : tr("Close"));
    m_cancel->setEnabled(true);
    Q_EMIT stageChanged(stage);
}

void ExperimentDialog::appendLog(const QString &text)
{
    m_log->appendPlainText(text);
}

void ExperimentDialog::apply()
{
    if (m_stage != Stage::Confirm || !m_transport) {
        return;
    }
    m_error->hide();
    m_error->clear();
    m_reverting = false;
    const auto started = m_runner->apply(m_experiment);
    if (!started) {
        m_error->setText(started.error().toString());
        m_error->show();
        return;
    }
    m_experiment = m_runner->experiment();
    m_status->setText(tr("Applying (experiment %1)…").arg(m_experiment.id));
    setStage(Stage::Applying);
    Q_EMIT experimentChanged(m_experiment.id);
}

void ExperimentDialog::startRevert()
{
    if ((m_stage != Stage::Decide && m_stage != Stage::Failed) || !m_transport || m_runner->isBusy()) {
        return;
    }
    m_error->hide();
    m_error->clear();
    m_reverting = true;
    m_revertCommands = m_experiment.revertCommands();
    const auto started = m_runner->revert(m_experiment);
    if (!started) {
        m_error->setText(started.error().toString());
        m_error->show();
        return;
    }
    m_status->setText(tr("Reverting…"));
    setStage(Stage::Reverting);
    Q_EMIT experimentChanged(m_experiment.id);
}

void ExperimentDialog::keep()
{
    const auto kept = m_runner->keep(m_experiment);
    if (!kept) {
        m_error->setText(kept.error().toString());
        m_error->show();
        return;
    }
    m_experiment = m_runner->experiment();
    m_status->setText(tr("Kept: the change stays on %1.").arg(m_experiment.runner));
    setStage(Stage::Done);
    Q_EMIT experimentChanged(m_experiment.id);
}

void ExperimentDialog::runnerFinished(bool ok)
{
    m_experiment = m_runner->experiment();
    Q_EMIT experimentChanged(m_experiment.id);
    showCommands();
    if (!ok) {
        QString text = m_experiment.error;
        if (m_experiment.applied > 0) {
            text += tr("\n\nStill applied on %1 (%2 of %3 steps); their reverts, in the order they run:\n  %4")
                        .arg(m_experiment.runner)
                        .arg(m_experiment.applied)
                        .arg(m_experiment.steps.size())
                        .arg(m_experiment.revertCommands().join(QStringLiteral("\n  ")));
        } else {
            text += tr("\n\nNothing is applied.");
        }
        m_error->setText(text);
        m_error->show();
        m_status->setText(m_reverting ? tr("The revert stopped.") : tr("The fix was not applied in full."));
        setStage(Stage::Failed);
        return;
    }
    m_status->setText(m_reverting ? tr("Reverted (experiment %1).").arg(m_experiment.id)
                                  : tr("Applied (experiment %1).").arg(m_experiment.id));
    if (m_baseline.samples.isEmpty()) {
        m_status->setText(m_status->text() + tr(" No baseline run to compare with: nothing is rerun."));
        setStage(m_reverting ? Stage::Done : Stage::Decide);
        return;
    }
    setStage(Stage::Settling);
    if (m_settleSeconds > 0) {
        // A changed bridge restarts its DHCP and DNS server and the instances follow: a rerun at
        // once would measure the restart, not the fix.
        m_status->setText(m_status->text() + tr(" Waiting %n s for the change to settle…", nullptr, m_settleSeconds));
    }
    m_settle->start(std::chrono::seconds(m_settleSeconds));
}

void ExperimentDialog::requestRerun()
{
    const bool onlyFailed = m_rerunFailed->isChecked();
    auto plan = experimentRerunPlan(m_baseline, onlyFailed);
    if (!plan) {
        m_status->setText(tr("Not rerun: %1.").arg(plan.error().message));
        setStage(m_reverting ? Stage::Done : Stage::Decide);
        return;
    }
    m_status->setText(tr("Running the plan again (%1) to compare with the baseline…")
                          .arg(onlyFailed ? tr("the failed probes") : tr("the whole plan")));
    setStage(Stage::Rerunning);
    Q_EMIT rerunRequested(*plan);
}

void ExperimentDialog::rerunRefused(const QString &why)
{
    if (m_stage != Stage::Rerunning) {
        return;
    }
    m_status->setText(tr("The rerun did not start: %1").arg(why));
    setStage(m_reverting ? Stage::Done : Stage::Decide);
}

void ExperimentDialog::rerunFinished(qint64 runId, const Run &run, bool cancelled)
{
    if (m_stage != Stage::Rerunning) {
        return;
    }
    if (cancelled) {
        m_status->setText(tr("The rerun was cancelled: nothing was compared."));
        setStage(m_reverting ? Stage::Done : Stage::Decide);
        return;
    }
    const Comparison cmp = Comparison::compare(Matrix::fromRun(m_baseline), Matrix::fromRun(run));
    QStringList commands;
    if (m_reverting) {
        commands = m_revertCommands;
    } else {
        for (const ExperimentStep &s : std::as_const(m_experiment.steps)) {
            commands << s.command;
        }
    }
    recordExperimentRerun(m_store, m_experiment, commands, cmp, runId, m_reverting);
    Q_EMIT experimentChanged(m_experiment.id);
    m_status->setText(m_reverting
            ? tr("After the revert, compared with the baseline: %1 (%2 cells fail again as before).")
                  .arg(cmp.summary())
                  .arg(cmp.count(CellChange::StillFailing))
            : tr("With the fix, compared with the baseline: %1. Keep the change or revert it.").arg(cmp.summary()));
    Q_EMIT comparisonReady(
        m_baseline, m_baselineLabel, run, runLabel(m_reverting ? tr("after the revert") : tr("with the fix"), runId));
    setStage(m_reverting ? Stage::Done : Stage::Decide);
}

void ExperimentDialog::reject()
{
    if (m_runner->isBusy()) {
        // Closing must not leave a command half-known: stop after the one in flight.
        m_runner->stopAfterCurrent();
        m_status->setText(tr("Stopping after the current command…"));
        m_cancel->setEnabled(false);
        return;
    }
    QDialog::reject();
}

void ExperimentDialog::closeEvent(QCloseEvent *event)
{
    if (m_runner->isBusy()) {
        event->ignore();
        reject();
        return;
    }
    QDialog::closeEvent(event);
}

QString ExperimentDialog::whereText() const
{
    return m_where->text();
}

QString ExperimentDialog::whoText() const
{
    return m_whoLabel->text();
}

QString ExperimentDialog::commandsText() const
{
    return m_commands->toPlainText();
}

QString ExperimentDialog::logText() const
{
    return m_log->toPlainText();
}

QString ExperimentDialog::statusText() const
{
    return m_status->text();
}

QString ExperimentDialog::errorText() const
{
    return m_error->text();
}

} // namespace nestscope
