#include "experiment/experiment.h"

#include "common/shellquote.h"
#include "results/matrix.h"
#include "results/runstore.h"

#include <QRegularExpression>

namespace nestscope {

namespace {

constexpr std::chrono::milliseconds kStepTimeout { 120000 }; // an `lxc restart` may take a while

QString program(const QString &command)
{
    return command.trimmed().section(QLatin1Char(' '), 0, 0, QString::SectionSkipEmpty);
}

bool hasShellSyntax(const QString &command)
{
    static const QRegularExpression syntax(QStringLiteral("[|;&<>$`'\"(){}*?\\\\\\n]"));
    return syntax.match(command).hasMatch();
}

/// `command` as it runs on the runner: as the user for the LXD client, else as root.
QString privileged(const QString &command, bool root, const QString &lxdClient)
{
    if (command.isEmpty() || root) {
        return command;
    }
    const QString prog = program(command);
    if (prog == lxdClient || prog == QLatin1String("lxc") || prog == QLatin1String("incus")) {
        return command;
    }
    return hasShellSyntax(command) ? QStringLiteral("sudo -n sh -c ") + shellQuote(command)
                                   : QStringLiteral("sudo -n ") + command;
}

/// A sudoers word: the characters sudoers gives a meaning to are escaped.
QString sudoersEscaped(const QString &text)
{
    QString out;
    for (const QChar c : text) {
        if (QStringLiteral(",:=\\").contains(c)) {
            out += QLatin1Char('\\');
        }
        out += c;
    }
    return out;
}

bool succeeded(const CommandResult &r)
{
    return r.outcome == CommandOutcome::Exited && r.exitCode == 0;
}

QString lastLines(const QByteArray &text, int n)
{
    QStringList lines = QString::fromUtf8(text).trimmed().split(QLatin1Char('\n'));
    if (lines.size() > n) {
        lines = lines.mid(lines.size() - n);
    }
    return lines.join(QLatin1Char('\n'));
}

} // namespace

QList<ExperimentStep> experimentSteps(const Finding &finding, bool root, const QString &lxdClient)
{
    QList<ExperimentStep> steps;
    for (const FixStep &f : finding.fix) {
        if (f.command.trimmed().isEmpty()) {
            continue;
        }
        steps << ExperimentStep { privileged(f.command, root, lxdClient), privileged(f.revert, root, lxdClient),
            f.note };
    }
    return steps;
}

QString sudoAdvice(const QString &command, const CommandResult &result, const QString &user, const QString &programPath)
{
    const QString err = QString::fromUtf8(result.stdErr);
    static const QRegularExpression refused(QStringLiteral("sudo: (a password is required|a terminal is required|"
                                                           "sorry, you must have a tty)|is not in the sudoers file|"
                                                           "is not allowed to execute|may not run sudo"),
        QRegularExpression::CaseInsensitiveOption);
    if (!command.startsWith(QLatin1String("sudo -n ")) || !refused.match(err).hasMatch()) {
        return {};
    }
    const QString inner = command.mid(8); // after "sudo -n "
    const QString rest = inner.section(QLatin1Char(' '), 1);
    QString args = rest;
    if (program(inner) == QLatin1String("sh") && rest.startsWith(QLatin1String("-c "))) {
        // sudo matches the arguments as sh receives them: the script unquoted
        QString script = rest.mid(3);
        if (script.startsWith(QLatin1Char('\'')) && script.endsWith(QLatin1Char('\''))) {
            script = script.mid(1, script.size() - 2).replace(QStringLiteral("'\\''"), QStringLiteral("'"));
        }
        args = QStringLiteral("-c ") + script;
    }
    const QString who = user.isEmpty() ? QStringLiteral("USER") : user;
    const QString path = programPath.isEmpty() ? program(inner) : programPath;
    return QStringLiteral("sudo refused to run it without a password. To allow exactly this command, add this line "
                          "with `sudo visudo -f /etc/sudoers.d/nestscope` on the runner, or run it yourself:\n"
                          "  %1 ALL=(root) NOPASSWD: %2 %3")
        .arg(who, path, sudoersEscaped(args));
}

Result<Plan> experimentRerunPlan(const Run &baseline, bool onlyFailed)
{
    auto parsed = parsePlan(baseline.planText, baseline.planFile, baseline.variables);
    if (!parsed) {
        return Error {
            QStringLiteral("the baseline run's plan cannot be read again: %1").arg(parsed.error().toString()),
            baseline.planFile
        };
    }
    Plan plan = *parsed;
    if (onlyFailed) {
        const Matrix m = Matrix::fromRun(baseline);
        QSet<QString> failed;
        for (int r = 0; r < m.rowCount(); ++r) {
            for (int c = 0; c < m.columnCount(); ++c) {
                const MatrixCell &cell = m.cell(r, c);
                if (cell.total > 0 && cell.passed < cell.total) {
                    failed.insert(m.probeIds().at(r));
                }
            }
        }
        plan.probes.removeIf([&](const Probe &p) {
            return !failed.contains(p.id);
        });
        if (plan.probes.isEmpty()) {
            return Error { QStringLiteral("the baseline run has no failed cell to rerun"), QString() };
        }
    }
    return plan;
}

namespace {

void appendNote(RunStore *store, qint64 runId, const QString &line)
{
    if (!store || !store->isOpen() || runId <= 0) {
        return;
    }
    const auto info = store->runInfo(runId);
    const QString notes = info ? info->notes : QString();
    store->setNotes(runId, notes.isEmpty() ? line : notes + QLatin1Char('\n') + line);
}

} // namespace

QString recordExperimentRerun(RunStore *store, Experiment &experiment, const QStringList &commands,
    const Comparison &comparison, qint64 rerunId, bool reverting)
{
    const QString line = QStringLiteral("%1 `%2`: %3")
                             .arg(reverting ? QStringLiteral("reverted") : QStringLiteral("applied"),
                                 commands.join(QStringLiteral("`, `")), comparison.summary());
    if (reverting) {
        experiment.revertRun = rerunId;
        const int back = comparison.count(CellChange::StillFailing);
        experiment.outcome += (experiment.outcome.isEmpty() ? QString() : QStringLiteral("; "))
            + QStringLiteral("reverted: %1 cells fail again as in the baseline").arg(back);
    } else {
        experiment.afterRun = rerunId;
        experiment.outcome = comparison.summary();
    }
    experiment.updatedAt = QDateTime::currentDateTimeUtc();
    if (store && store->isOpen() && experiment.id > 0) {
        store->updateExperiment(experiment);
    }
    appendNote(store, experiment.baselineRun, line);
    appendNote(store, rerunId, line);
    return line;
}

ExperimentRunner::ExperimentRunner(Transport *transport, RunStore *store, QObject *parent)
    : QObject(parent)
    , m_transport(transport)
    , m_store(store)
{
}

ExperimentRunner::~ExperimentRunner()
{
    if (m_job) {
        m_job->disconnect(this);
        m_job->cancel();
    }
}

Result<qint64> ExperimentRunner::apply(Experiment experiment)
{
    if (isBusy()) {
        return Error { QStringLiteral("an experiment is still running"), QString() };
    }
    experiment.applied = 0;
    experiment.state = ExperimentState::Applying;
    experiment.error.clear();
    experiment.createdAt = experiment.updatedAt = QDateTime::currentDateTimeUtc();
    if (m_store && m_store->isOpen()) {
        // Recorded before anything runs: what is about to change and how to undo it.
        auto id = m_store->addExperiment(experiment);
        if (!id) {
            return Error { QStringLiteral("the run store cannot record the experiment, so nothing was changed: %1")
                               .arg(id.error().message),
                id.error().file };
        }
        experiment.id = *id;
    }
    m_experiment = experiment;
    m_reverting = false;
    m_stop = false;
    m_queue.clear();
    for (const ExperimentStep &s : std::as_const(m_experiment.steps)) {
        m_queue << s.command;
    }
    next();
    return m_experiment.id;
}

Result<bool> ExperimentRunner::revert(const Experiment &experiment)
{
    if (isBusy()) {
        return Error { QStringLiteral("an experiment is still running"), QString() };
    }
    m_experiment = experiment;
    m_experiment.state = ExperimentState::Reverting;
    m_experiment.error.clear();
    m_reverting = true;
    m_stop = false;
    m_queue.clear();
    save(); // a crash from here on still shows the change as pending
    next();
    return true;
}

Result<bool> ExperimentRunner::keep(const Experiment &experiment)
{
    m_experiment = experiment;
    m_experiment.state = ExperimentState::Kept;
    m_experiment.updatedAt = QDateTime::currentDateTimeUtc();
    if (m_store && m_store->isOpen()) {
        return m_store->updateExperiment(m_experiment);
    }
    return true;
}

void ExperimentRunner::stopAfterCurrent()
{
    m_stop = true;
}

void ExperimentRunner::next()
{
    QString command;
    int revertIndex = -1;
    const bool more = m_reverting ? m_experiment.applied > 0 : !m_queue.isEmpty();
    if (m_stop && more) {
        m_experiment.error = m_reverting
            ? QStringLiteral("Stopped by the user during the revert; %1 of %2 steps are still applied.")
                  .arg(m_experiment.applied)
                  .arg(m_experiment.steps.size())
            : QStringLiteral("Stopped by the user; nothing after the last command ran. %1 of %2 steps are applied%3.")
                  .arg(m_experiment.applied)
                  .arg(m_experiment.steps.size())
                  .arg(m_experiment.applied > 0 ? QStringLiteral(": revert them to go back") : QString());
        finish(false);
        return;
    }
    if (m_reverting) {
        // the applied steps, newest first; a step with nothing to undo counts as undone
        while (m_experiment.applied > 0 && m_experiment.steps.at(m_experiment.applied - 1).revert.isEmpty()) {
            --m_experiment.applied;
        }
        if (m_experiment.applied == 0) {
            finish(true);
            return;
        }
        revertIndex = m_experiment.applied - 1;
        command = m_experiment.steps.at(revertIndex).revert;
    } else {
        if (m_queue.isEmpty()) {
            finish(true);
            return;
        }
        command = m_queue.takeFirst();
    }
    CommandRequest request;
    request.command = command;
    request.timeout = kStepTimeout;
    m_sent << command;
    Q_EMIT commandStarted(command);
    m_job = m_transport->start(request);
    connect(m_job, &CommandJob::finished, this, [this, command](const CommandResult &result) {
        m_job = nullptr;
        m_experiment.log
            += QStringLiteral("$ %1\n(exit %2)%3%4\n")
                   .arg(command)
                   .arg(
                       result.outcome == CommandOutcome::Exited ? QString::number(result.exitCode) : result.errorString)
                   .arg(result.stdOut.isEmpty() ? QString() : QLatin1Char('\n') + lastLines(result.stdOut, 20))
                   .arg(result.stdErr.isEmpty() ? QString() : QLatin1Char('\n') + lastLines(result.stdErr, 20));
        Q_EMIT commandFinished(command, result);
        if (succeeded(result)) {
            m_reverting ? --m_experiment.applied : ++m_experiment.applied;
            save();
            next();
            return;
        }
        const QString what = m_reverting
            ? QStringLiteral("The revert `%1` failed; the reverts after it did not run.").arg(command)
            : QStringLiteral("`%1` failed; nothing after it ran. %2 of %3 steps are applied%4.")
                  .arg(command)
                  .arg(m_experiment.applied)
                  .arg(m_experiment.steps.size())
                  .arg(m_experiment.applied > 0 ? QStringLiteral(": revert them to go back") : QString());
        const QString output = lastLines(result.stdErr.isEmpty() ? result.stdOut : result.stdErr, 3);
        m_experiment.error = QStringLiteral("%1\n%2").arg(
            what, result.outcome == CommandOutcome::Exited ? output : result.errorString);
        if (!command.startsWith(QLatin1String("sudo -n ")) || sudoAdvice(command, result, {}, {}).isEmpty()) {
            finish(false);
            return;
        }
        // Which user, and where the program is: the sudoers line must name both exactly.
        const QString inner = command.mid(8);
        const QString prog = program(inner);
        CommandRequest ask;
        // sudo's secure_path has the sbin folders a user's PATH often lacks
        ask.command = QStringLiteral("id -un; PATH=\"$PATH:/usr/local/sbin:/usr/sbin:/sbin\" command -v %1")
                          .arg(shellQuote(prog));
        ask.timeout = std::chrono::milliseconds(30000);
        m_job = m_transport->start(ask);
        connect(m_job, &CommandJob::finished, this, [this, command, result](const CommandResult &who) {
            m_job = nullptr;
            const QStringList lines = QString::fromUtf8(who.stdOut).split(QLatin1Char('\n'), Qt::SkipEmptyParts);
            m_experiment.error += QLatin1Char('\n') + sudoAdvice(command, result, lines.value(0), lines.value(1));
            finish(false);
        });
    });
}

void ExperimentRunner::finish(bool ok)
{
    if (m_reverting) {
        m_experiment.state = ok ? ExperimentState::Reverted : ExperimentState::Failed;
    } else {
        m_experiment.state = ok ? ExperimentState::Applied : ExperimentState::Failed;
    }
    save();
    Q_EMIT finished(ok);
}

void ExperimentRunner::save()
{
    m_experiment.updatedAt = QDateTime::currentDateTimeUtc();
    if (m_store && m_store->isOpen() && m_experiment.id > 0) {
        m_store->updateExperiment(m_experiment);
    }
}

} // namespace nestscope
