// `nestscope experiment`: a finding's fix tried on the runner with consent. It shows the exact
// commands (and their reverts) first, records them in the run store before anything runs, applies
// them one by one, reruns the plan and compares with the baseline; later `--revert` undoes it and
// shows that the failure came back, or `--keep` keeps it. The work is core/experiment's; here is
// how the command line asks and tells.
#include "cli.h"
#include "clisupport.h"
#include "common/signalwatcher.h"
#include "diagnosis/diagnosis.h"
#include "experiment/experiment.h"
#include "plan/plan.h"
#include "report/progress.h"
#include "results/comparison.h"
#include "results/matrix.h"
#include "results/runjson.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "session/runsession.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QTextStream>
#include <QTimer>

namespace nestscope {

using cli::err;
using cli::RunnerOptions;

namespace {

int fail(const QString &message, int code)
{
    err() << "nestscope experiment: " << terminalSafe(message) << "\n";
    err().flush();
    return code;
}

/// Runs `command` on the transport and waits for it (the command line has nothing else to do).
CommandResult runAndWait(Transport *transport, const QString &command)
{
    CommandRequest request;
    request.command = command;
    request.timeout = std::chrono::milliseconds(30000);
    CommandResult result;
    QEventLoop loop;
    CommandJob *job = transport->start(request);
    QObject::connect(job, &CommandJob::finished, &loop, [&](const CommandResult &r) {
        result = r;
        loop.quit();
    });
    loop.exec();
    return result;
}

/// The rerun after an apply or a revert: the baseline's plan (as it ran, with its variables) on
/// the same runner, all of it or only the probes that did not pass everywhere.
struct Rerun {
    qint64 runId = 0;
    std::optional<Run> run;
    QString error;
};

Rerun rerun(const Run &baseline, bool onlyFailed, Transport *transport, RunStore *store, SignalWatcher *interruption)
{
    Rerun out;
    auto planned = experimentRerunPlan(baseline, onlyFailed);
    if (!planned) {
        out.error = planned.error().message;
        return out;
    }
    const Plan &plan = *planned;
    RunSession session;
    session.setStore(store);
    session.setTopologySource(RunSession::TopologySource::Discover);
    QEventLoop loop;
    QObject::connect(&session, &RunSession::error, &loop, [&](const QString &message) {
        out.error = message;
        loop.quit();
    });
    QObject::connect(&session, &RunSession::finished, &loop, [&] {
        loop.quit();
    });
    QObject::connect(interruption, &SignalWatcher::signalled, &session, &RunSession::cancel);
    int shown = -1;
    QObject::connect(&session, &RunSession::progress, &session, [&](int done, int total) {
        if (done * 10 / std::max(total, 1) != shown) {
            shown = done * 10 / std::max(total, 1);
            err() << "  rerun: " << done << "/" << total << "\n";
            err().flush();
        }
    });
    session.start(plan, transport);
    if (session.isActive()) {
        loop.exec();
    }
    if (!out.error.isEmpty()) {
        return out;
    }
    out.run = session.run();
    if (RunRecorder *recorder = session.recorder()) {
        store->flush();
        out.runId = recorder->runId();
    }
    return out;
}

void printSteps(const Experiment &e, const QString &where, const QString &user, bool reverting)
{
    err() << (reverting ? "Revert of experiment " : "Experiment") << (reverting ? QString::number(e.id) : QString())
          << ": " << terminalSafe(e.title) << "\n"
          << "On " << terminalSafe(where) << " as " << terminalSafe(user) << ", these commands run, in this order:\n";
    if (reverting) {
        int n = 0;
        for (const QString &c : e.revertCommands()) {
            err() << "  " << ++n << ". " << terminalSafe(c) << "\n";
        }
        if (n == 0) {
            err() << "  (none: nothing that was applied has a revert)\n";
        }
    } else {
        int n = 0;
        for (const ExperimentStep &s : e.steps) {
            err() << "  " << ++n << ". " << terminalSafe(s.command) << "\n"
                  << "     revert: "
                  << (s.revert.isEmpty() ? QStringLiteral("(nothing to undo)") : terminalSafe(s.revert)) << "\n";
        }
    }
    err().flush();
}

QString runnerArgsHint(const QCommandLineParser &parser)
{
    QStringList words;
    for (const QString &o : { QStringLiteral("host"), QStringLiteral("ssh-config"), QStringLiteral("identity"),
             QStringLiteral("known-hosts") }) {
        if (parser.isSet(o)) {
            words << QStringLiteral("--") + o << parser.value(o);
        }
    }
    if (parser.isSet(QStringLiteral("local"))) {
        words << QStringLiteral("--local");
    }
    if (parser.isSet(QStringLiteral("store"))) {
        words << QStringLiteral("--store") << parser.value(QStringLiteral("store"));
    }
    return words.join(QLatin1Char(' '));
}

} // namespace

QString experimentUsage()
{
    return QStringLiteral(
               "Usage: nestscope experiment RUN.json (--local | --host HOST) [--finding ID] [--dry-run | --yes]\n"
               "         [--rerun all|failed|none] [--store FILE]\n"
               "       nestscope experiment --revert ID (--local | --host HOST) [--dry-run | --yes] [--rerun ...]\n"
               "       nestscope experiment --keep ID | --list [--store FILE]\n"
               "\n"
               "Tries the fix of a run's finding on its runner: prints the exact commands, where and with which\n"
               "privilege they run (sudo -n unless the user is root; the LXD client as the user), and their\n"
               "reverts. Nothing runs without --yes. Before the first command the change and its revert are\n"
               "recorded in the run store, so a crash or a lost connection never leaves a change Nestscope has\n"
               "forgotten (--list shows it). Then the plan runs again and is compared with the baseline run;\n"
               "both runs' notes say what was applied and how it turned out. --revert undoes it and reruns, to\n"
               "show the failure come back; --keep keeps the change.\n"
               "Exit code: 0 done (or --dry-run), 1 a command failed (what is applied is shown, with its revert),\n"
               "2 usage, an unreadable run or no fix to try, 3 cannot connect, 130 interrupted.\n"
               "\n"
               "Options:\n"
               "  --finding ID       the finding whose fix to try (default: the top one)\n"
               "  --dry-run          print the commands only\n"
               "  --yes              run them (the confirmation)\n"
               "  --rerun WHAT       after applying or reverting: all (default), failed (the probes that did\n"
               "                     not pass in the baseline) or none\n"
               "  --store FILE       the run store (default: the workbench's)\n"
               "  --settle SECONDS   wait this long after the change before the rerun (default 5: a changed\n"
               "                     bridge restarts its DHCP and DNS server, and the instances follow)\n"
               "  --list             the experiments in the store, newest first, with their state\n"
               "  --revert ID        undo experiment ID\n"
               "  --keep ID          keep experiment ID's change (it is no longer pending)\n")
        + RunnerOptions::help();
}

int experimentCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const RunnerOptions where;
    const QCommandLineOption findingOpt(QStringLiteral("finding"), QString(), QStringLiteral("ID"));
    const QCommandLineOption dryRunOpt(QStringLiteral("dry-run"));
    const QCommandLineOption yesOpt(QStringLiteral("yes"));
    const QCommandLineOption rerunOpt(QStringLiteral("rerun"), QString(), QStringLiteral("WHAT"));
    const QCommandLineOption storeOpt(QStringLiteral("store"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption settleOpt(QStringLiteral("settle"), QString(), QStringLiteral("SECONDS"));
    const QCommandLineOption listOpt(QStringLiteral("list"));
    const QCommandLineOption revertOpt(QStringLiteral("revert"), QString(), QStringLiteral("ID"));
    const QCommandLineOption keepOpt(QStringLiteral("keep"), QString(), QStringLiteral("ID"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions(where.all());
    parser.addOptions(
        { findingOpt, dryRunOpt, yesOpt, rerunOpt, storeOpt, settleOpt, listOpt, revertOpt, keepOpt, helpOpt });
    if (!parser.parse(arguments)) {
        return fail(parser.errorText() + QStringLiteral("\n\n") + experimentUsage(), 2);
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << experimentUsage();
        return 0;
    }
    const QString rerunWhat = parser.isSet(rerunOpt) ? parser.value(rerunOpt) : QStringLiteral("all");
    if (!QStringList { QStringLiteral("all"), QStringLiteral("failed"), QStringLiteral("none") }.contains(rerunWhat)) {
        return fail(QStringLiteral("--rerun wants all, failed or none, not \"%1\"").arg(rerunWhat), 2);
    }
    bool settleOk = true;
    const int settleS = parser.isSet(settleOpt) ? parser.value(settleOpt).toInt(&settleOk) : 5;
    if (!settleOk || settleS < 0 || settleS > 600) {
        return fail(
            QStringLiteral("--settle wants whole seconds from 0 to 600, not \"%1\"").arg(parser.value(settleOpt)), 2);
    }
    if (parser.isSet(dryRunOpt) && parser.isSet(yesOpt)) {
        return fail(QStringLiteral("--dry-run and --yes exclude each other"), 2);
    }

    RunStore store;
    const QString storePath = parser.isSet(storeOpt) ? parser.value(storeOpt) : RunStore::defaultPath();
    if (const auto opened = store.open(storePath); !opened) {
        return fail(QStringLiteral("cannot open the run store %1: %2 (experiments are recorded there before "
                                   "anything runs; choose one with --store FILE)")
                        .arg(storePath, opened.error().toString()),
            2);
    }

    if (parser.isSet(listOpt)) {
        QTextStream out(stdout);
        const QList<Experiment> list = store.experiments();
        if (list.isEmpty()) {
            out << "No experiments in " << store.path() << "\n";
        }
        for (const Experiment &e : list) {
            out << e.id << "  " << toText(e.state)
                << (e.pending() ? " (pending: the change may still be on the runner)" : "") << "  " << e.runner << "  "
                << e.findingId << "  " << e.createdAt.toString(Qt::ISODate) << "\n"
                << "    " << e.title << "\n";
            if (!e.outcome.isEmpty()) {
                out << "    " << e.outcome << "\n";
            }
            if (e.pending() && e.applied > 0) {
                out << "    applied " << e.applied << " of " << e.steps.size()
                    << " steps; revert: " << e.revertCommands().join(QStringLiteral(" ; ")) << "\n";
            }
        }
        return 0;
    }
    if (parser.isSet(keepOpt)) {
        const auto e = store.experiment(parser.value(keepOpt).toLongLong());
        if (!e) {
            return fail(
                QStringLiteral("no experiment %1 in %2 (--list shows them)").arg(parser.value(keepOpt), store.path()),
                2);
        }
        ExperimentRunner runner(nullptr, &store);
        if (const auto kept = runner.keep(*e); !kept) {
            return fail(kept.error().toString(), 2);
        }
        err() << "Experiment " << e->id << " is kept: its change stays on " << terminalSafe(e->runner) << ".\n";
        return 0;
    }

    // Apply (RUN.json) or revert (--revert ID): both need the runner.
    const bool reverting = parser.isSet(revertOpt);
    Experiment experiment;
    Run baseline;
    std::optional<Experiment> stored;
    if (reverting) {
        stored = store.experiment(parser.value(revertOpt).toLongLong());
        if (!stored) {
            return fail(
                QStringLiteral("no experiment %1 in %2 (--list shows them)").arg(parser.value(revertOpt), store.path()),
                2);
        }
        experiment = *stored;
        if (experiment.state == ExperimentState::Reverted) {
            return fail(QStringLiteral("experiment %1 is already reverted").arg(experiment.id), 2);
        }
        if (experiment.baselineRun > 0) {
            if (auto r = store.loadRun(experiment.baselineRun)) {
                baseline = *r;
            }
        }
    } else {
        if (parser.positionalArguments().size() != 1) {
            return fail(QStringLiteral("say which run's finding to try: nestscope experiment RUN.json --host HOST\n\n")
                    + experimentUsage(),
                2);
        }
        const QString runPath = parser.positionalArguments().constFirst();
        QFile f(runPath);
        if (!f.open(QIODevice::ReadOnly)) {
            return fail(QStringLiteral("cannot read the run %1: %2").arg(runPath, f.errorString()), 2);
        }
        const QByteArray json = f.readAll();
        auto run = runFromJson(json, runPath);
        if (!run) {
            return fail(run.error().toString(), 2);
        }
        baseline = *run;
        const auto diagnosis = diagnoseRun(baseline);
        if (!diagnosis) {
            return fail(QStringLiteral("%1: %2").arg(runPath, diagnosis.error().toString()), 2);
        }
        const QString wanted = parser.value(findingOpt);
        const Finding *finding = nullptr;
        for (const Finding &fd : diagnosis->findings) {
            if ((wanted.isEmpty() && !fd.fix.isEmpty()) || fd.id == wanted) {
                finding = &fd;
                break;
            }
        }
        if (!finding) {
            QStringList ids;
            for (const Finding &fd : diagnosis->findings) {
                ids << fd.id;
            }
            return fail(wanted.isEmpty()
                    ? QStringLiteral("%1 has no finding with a fix to try (%2)")
                          .arg(runPath, ids.isEmpty() ? QStringLiteral("no findings") : ids.join(QStringLiteral(", ")))
                    : QStringLiteral("%1 has no finding %2 (its findings: %3)")
                          .arg(
                              runPath, wanted, ids.isEmpty() ? QStringLiteral("none") : ids.join(QStringLiteral(", "))),
                2);
        }
        if (finding->fix.isEmpty()) {
            return fail(QStringLiteral("finding %1 has no fix to try").arg(finding->id), 2);
        }
        experiment.findingId = finding->id;
        experiment.title = finding->title;
        // the finding's own fix steps; privileges are added once the runner's user is known
        for (const FixStep &s : finding->fix) {
            experiment.steps << ExperimentStep { s.command, s.revert, s.note };
        }
        // The baseline joins the store so that its notes can say what was tried.
        if (auto id = store.importJson(json, runPath)) {
            experiment.baselineRun = *id;
        }
    }
    if (!where.chosen(parser)) {
        return fail(QStringLiteral("say where the runner is: --local or --host HOST"), 2);
    }

    SignalWatcher interruption;
    cli::TerminalInteraction terminal;
    const std::unique_ptr<Transport> transport
        = cli::connectRunner(parser, where, &terminal, QStringLiteral("experiment"), &interruption);
    if (!transport) {
        return SignalWatcher::caught() ? 130 : 3;
    }
    const QStringList ident = QString::fromUtf8(runAndWait(transport.get(), QStringLiteral("id -u; id -un")).stdOut)
                                  .split(QLatin1Char('\n'), Qt::SkipEmptyParts);
    const bool root = ident.value(0) == QLatin1String("0");
    const QString user = ident.value(1, QStringLiteral("?"));
    if (!reverting) {
        Finding f;
        for (const ExperimentStep &s : std::as_const(experiment.steps)) {
            f.fix << FixStep { s.command, s.revert, s.note };
        }
        experiment.steps = experimentSteps(f, root);
        experiment.runner = transport->description();
    }
    printSteps(experiment, transport->description(), user, reverting);
    if (parser.isSet(dryRunOpt)) {
        err() << "Nothing was run (--dry-run).\n";
        return 0;
    }
    if (!parser.isSet(yesOpt)) {
        err() << "Nothing was run: add --yes to run these commands (or --dry-run to only print them).\n";
        return 2;
    }

    ExperimentRunner runner(transport.get(), &store);
    QObject::connect(&runner, &ExperimentRunner::commandStarted, &runner, [](const QString &c) {
        err() << "$ " << terminalSafe(c) << "\n";
        err().flush();
    });
    QObject::connect(&runner, &ExperimentRunner::commandFinished, &runner, [](const QString &, const CommandResult &r) {
        const QByteArray out = QByteArray(r.stdOut + r.stdErr).trimmed();
        if (!out.isEmpty()) {
            err() << terminalSafe(QString::fromUtf8(out.right(2000))) << "\n";
        }
        err().flush();
    });
    bool ok = false;
    {
        QEventLoop loop;
        QObject::connect(&runner, &ExperimentRunner::finished, &loop, [&](bool done) {
            ok = done;
            loop.quit();
        });
        if (reverting) {
            if (const auto started = runner.revert(experiment); !started) {
                return fail(started.error().toString(), 2);
            }
        } else if (const auto started = runner.apply(experiment); !started) {
            return fail(started.error().toString(), 2);
        }
        loop.exec();
    }
    experiment = runner.experiment();
    const QString again = runnerArgsHint(parser);
    if (!ok) {
        err() << "nestscope experiment: " << terminalSafe(experiment.error) << "\n";
        if (experiment.applied > 0) {
            err() << "Applied and still on the runner: " << experiment.applied << " of " << experiment.steps.size()
                  << " steps. Undo them with: nestscope experiment --revert " << experiment.id << " --yes " << again
                  << "\n";
        }
        err().flush();
        return 1;
    }
    err() << (reverting ? "Reverted" : "Applied") << " (experiment " << experiment.id << ").\n";
    err().flush();

    if (rerunWhat != QLatin1String("none") && !baseline.samples.isEmpty()) {
        if (settleS > 0) {
            // A changed bridge restarts its DHCP and DNS server, and the instances' clients take a
            // moment to follow: a rerun at once would measure the restart, not the fix.
            err() << "Waiting " << settleS << " s for the change to settle (--settle)...\n";
            err().flush();
            QEventLoop wait;
            QTimer::singleShot(std::chrono::seconds(settleS), &wait, &QEventLoop::quit);
            QObject::connect(&interruption, &SignalWatcher::signalled, &wait, &QEventLoop::quit);
            wait.exec();
        }
        err() << "Running the plan again to compare with the baseline run...\n";
        err().flush();
        const Rerun after
            = rerun(baseline, rerunWhat == QLatin1String("failed"), transport.get(), &store, &interruption);
        if (!after.run) {
            err() << "nestscope experiment: the rerun did not run: " << terminalSafe(after.error) << "\n";
        } else {
            const Comparison cmp = Comparison::compare(Matrix::fromRun(baseline), Matrix::fromRun(*after.run));
            const QStringList applied = reverting ? stored->revertCommands() : [&] {
                QStringList list;
                for (const ExperimentStep &st : std::as_const(experiment.steps)) {
                    list << st.command;
                }
                return list;
            }();
            recordExperimentRerun(&store, experiment, applied, cmp, after.runId, reverting);
            err() << "Compared with the baseline run: " << terminalSafe(cmp.summary()) << "\n";
            if (after.runId > 0) {
                err() << "Stored as run " << after.runId << " in " << store.path() << "\n";
            }
        }
    }
    if (!reverting) {
        err() << "Keep it:   nestscope experiment --keep " << experiment.id
              << (parser.isSet(storeOpt) ? QStringLiteral(" --store ") + parser.value(storeOpt) : QString()) << "\n"
              << "Revert it: nestscope experiment --revert " << experiment.id << " --yes " << again << "\n";
    }
    err().flush();
    return 0;
}

} // namespace nestscope
