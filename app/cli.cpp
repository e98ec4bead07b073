#include "cli.h"

#include "clisupport.h"
#include "common/savefile.h"
#include "common/signalwatcher.h"
#include "diagnosis/diagnosis.h"
#include "plan/planrunner.h"
#include "plan/probes.h"
#include "report/progress.h"
#include "report/reports.h"
#include "reportcommand.h"
#include "results/runjson.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "session/runsession.h"
#include "transport/sshtransport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFileInfo>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <optional>

namespace nestscope {

using namespace cli;

namespace {

/// What a run keeps in memory of each sample's stdout and of its stderr once the sample is written
/// (JSON, store): the reports show at most 2000 characters of it, and 16 KiB holds that in any
/// UTF-8. The transport caps each stream at 1 MiB, so a run holds at most 32 KiB of output per
/// finished sample plus 2 MiB per command in flight (and what the store's writer has not
/// committed yet).
constexpr qsizetype kKeptOutputBytes = 16 * 1024;

/// The plan variables of repeated `--var NAME=VALUE`; false (and *bad is the offender) when one
/// has no name.
bool parseVars(const QStringList &values, QMap<QString, QString> *vars, QString *bad)
{
    for (const QString &kv : values) {
        const qsizetype eq = kv.indexOf(QLatin1Char('='));
        if (eq <= 0) {
            *bad = kv;
            return false;
        }
        vars->insert(kv.left(eq), kv.mid(eq + 1));
    }
    return true;
}

QString varUsage(const QString &bad)
{
    return QStringLiteral("--var wants NAME=VALUE, not \"%1\"").arg(bad);
}

} // namespace

QString workbenchUsage()
{
    return QStringLiteral("Usage: nestscope [--plan FILE|builtin:NAME | FILE] [--var K=V]...   opens the workbench\n"
                          "       nestscope run ...                      runs a plan without a window\n"
                          "       nestscope topology ...                 discovers and draws a runner's network\n"
                          "       nestscope diagnose RUN.json ...        the findings of a run, offline\n"
                          "       nestscope report RUN.json ...          the root-cause report (Markdown, HTML, PDF)\n"
                          "       nestscope experiment RUN.json ...      tries a finding's fix, reruns, compares\n"
                          "\n"
                          "Options of the workbench:\n"
                          "  --plan SPEC        the plan to open: a file (YAML or JSON) or builtin:NAME (default: the\n"
                          "                     one in File > Settings, builtin:local-basics unless changed);\n"
                          "                     built-in plans: %1\n"
                          "  FILE               the same as --plan FILE (as a file manager opens a plan)\n"
                          "  --var K=V          set the plan variable K (repeatable)\n"
                          "  --version          print the version\n"
                          "  -h, --help         show this help, and that of run and topology\n")
        .arg(builtinPlanNames().join(QStringLiteral(", ")));
}

int parseWorkbenchArguments(const QStringList &arguments, WorkbenchOptions *options)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption planOpt(QStringLiteral("plan"), QString(), QStringLiteral("SPEC"));
    const QCommandLineOption varOpt(QStringLiteral("var"), QString(), QStringLiteral("K=V"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    const QCommandLineOption versionOpt(QStringLiteral("version"));
    parser.addOptions({ planOpt, varOpt, helpOpt, versionOpt });
    // QApplication's own options (-platform offscreen, -style fusion, ...) are read by Qt when the
    // application starts, after this: accepted here, not ours to act on.
    const QCommandLineOption platformOpt(QStringLiteral("platform"), QString(), QStringLiteral("NAME"));
    const QCommandLineOption displayOpt(QStringLiteral("display"), QString(), QStringLiteral("DISPLAY"));
    parser.addOptions({ platformOpt, displayOpt });
    for (const char *name :
        { "platformpluginpath", "platformtheme", "plugin", "qmljsdebugger", "qwindowgeometry", "qwindowicon",
            "qwindowtitle", "session", "style", "stylesheet", "geometry", "title", "icon", "name", "visual" }) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(name), QString(), QStringLiteral("VALUE")));
    }
    for (const char *name : { "reverse", "widgetcount", "nograb", "dograb", "sync" }) {
        parser.addOption(QCommandLineOption(QString::fromLatin1(name)));
    }
    const auto unexpected = [](const QString &word) {
        return usageError(
            QStringLiteral(
                "unexpected argument \"%1\" (the commands are run, topology, diagnose, report and experiment; "
                "open a plan with --plan FILE)")
                .arg(word),
            QString());
    };
    // A plan file may come as the only word: the desktop file's `nestscope %f`, from a file manager.
    const auto isPlanFile = [](const QString &word) {
        return QFileInfo(word).isFile();
    };
    // A mistyped command ("nestscope rnu --local") is about the word, not about its options.
    if (arguments.size() > 1 && !arguments.at(1).startsWith(QLatin1Char('-')) && !isPlanFile(arguments.at(1))) {
        return unexpected(arguments.at(1));
    }
    if (!parser.parse(arguments)) {
        return usageError(parser.errorText(), QString());
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << workbenchUsage() << "\n" << cliUsage() << "\n" << topologyUsage();
        return 0;
    }
    if (parser.isSet(versionOpt)) {
        QTextStream(stdout) << "nestscope " << NESTSCOPE_VERSION << "\n";
        return 0;
    }
    const QStringList words = parser.positionalArguments();
    if (words.size() > 1 || (words.size() == 1 && (parser.isSet(planOpt) || !isPlanFile(words.first())))) {
        return unexpected(words.size() > 1 && isPlanFile(words.first()) ? words.at(1) : words.first());
    }
    options->platformChosen = parser.isSet(platformOpt) || parser.isSet(displayOpt);
    if (parser.isSet(planOpt)) {
        options->plan = parser.value(planOpt);
    } else if (words.size() == 1) {
        options->plan = words.first();
    }
    if (QString bad; !parseVars(parser.values(varOpt), &options->vars, &bad)) {
        return usageError(varUsage(bad), QString());
    }
    return -1;
}

QString cliUsage()
{
    return QStringLiteral(
        "Usage: nestscope run --local|--host HOST --plan FILE|builtin:NAME [--var K=V]... [--repeat N]\n"
        "         [--concurrency N] [--json FILE|-] [--junit FILE] [--markdown FILE] [--html FILE] [--pdf FILE]\n"
        "         [--store FILE] [--quiet]\n"
        "\n"
        "Runs a test plan without a window and writes every sample as JSON.\n"
        "Exit code: 0 every expectation held (by default: every probe passed), 1 some did not, or\n"
        "instance targets could not be run (the runner's LXD/Incus did not answer; the rest ran),\n"
        "2 usage, plan or target error or an output that cannot be written (checked before anything\n"
        "runs; a write that fails later, as on a full disk, too), 3 cannot connect, or the connection was\n"
        "lost and could not be made again (the run stops, what finished is written), 130 interrupted\n"
        "(SIGINT, SIGTERM, SIGHUP: what finished is written).\n"
        "\n"
        "Options:\n"
        "%2"
        "  --plan SPEC        a plan file (YAML or JSON), or builtin:NAME; built-in plans: %1\n"
        "  --var K=V          set the plan variable K (repeatable)\n"
        "  --repeat N         run every probe N times (overrides the plan)\n"
        "  --concurrency N    at most N commands at once (overrides the plan)\n"
        "  --shuffle          run the samples in a random order (guards still hold)\n"
        "  --seed N           the shuffle's seed, to repeat an order (printed by --shuffle)\n"
        "  --json FILE|-      write the run as JSON to FILE, or to standard output with -\n"
        "  --junit FILE       write JUnit XML (a test suite per target) for CI\n"
        "  --markdown FILE    write a Markdown summary with the matrix and what went wrong\n"
        "  --html FILE        write the root-cause report as one self-contained HTML file (as `nestscope\n"
        "                     report`: findings, evidence, fix, the topology coloured by the run, charts)\n"
        "  --pdf FILE         write the same report as a PDF\n"
        "  --store FILE       also keep the run in this run store (SQLite) as it goes, as the GUI does;\n"
        "                     one that cannot be opened stops the run before it starts (exit code 2);\n"
        "                     if it cannot be written later (a full disk) the run goes on, says so and\n"
        "                     how many samples the store holds, and exits with 2\n"
        "  --no-topology      do not discover the runner's topology before the run (by default the\n"
        "                     run keeps a snapshot of it: one more round trip)\n"
        "  --no-instance-shells  run every command in an instance with its own lxc/incus exec, instead\n"
        "                     of through up to 3 long-lived shells per instance (the default)\n"
        "  --quiet            print only the summary on standard error\n"
        "  -h, --help         show this help\n")
        .arg(builtinPlanNames().join(QStringLiteral(", ")), RunnerOptions::help());
}

int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const RunnerOptions where;
    const QCommandLineOption planOpt(QStringLiteral("plan"), QString(), QStringLiteral("SPEC"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    const QCommandLineOption varOpt(QStringLiteral("var"), QString(), QStringLiteral("K=V"));
    const QCommandLineOption repeatOpt(QStringLiteral("repeat"), QString(), QStringLiteral("N"));
    const QCommandLineOption concurrencyOpt(QStringLiteral("concurrency"), QString(), QStringLiteral("N"));
    const QCommandLineOption junitOpt(QStringLiteral("junit"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption markdownOpt(QStringLiteral("markdown"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption shuffleOpt(QStringLiteral("shuffle"));
    const QCommandLineOption seedOpt(QStringLiteral("seed"), QString(), QStringLiteral("N"));
    parser.addOptions({ varOpt, repeatOpt, concurrencyOpt, junitOpt, markdownOpt, shuffleOpt, seedOpt });
    const QCommandLineOption htmlOpt(QStringLiteral("html"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption pdfOpt(QStringLiteral("pdf"), QString(), QStringLiteral("FILE"));
    parser.addOptions({ htmlOpt, pdfOpt });
    const QCommandLineOption storeOpt(QStringLiteral("store"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption noTopologyOpt(QStringLiteral("no-topology"));
    const QCommandLineOption noInstanceShellsOpt(QStringLiteral("no-instance-shells"));
    parser.addOptions({ planOpt, jsonOpt, quietOpt, helpOpt, storeOpt, noTopologyOpt, noInstanceShellsOpt });
    parser.addOptions(where.all());
    if (!parser.parse(arguments)) {
        return usageError(parser.errorText());
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << cliUsage();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().constFirst()));
    }
    if (!where.chosen(parser)) {
        return usageError(QStringLiteral("say where to run: --local or --host HOST (one of them)"));
    }
    if (!parser.isSet(planOpt)) {
        return usageError(QStringLiteral("--plan FILE is required"));
    }
    QMap<QString, QString> vars;
    if (QString bad; !parseVars(parser.values(varOpt), &vars, &bad)) {
        return usageError(varUsage(bad));
    }
    auto number = [&](const QCommandLineOption &opt, int max, int *out) {
        bool ok = true;
        if (parser.isSet(opt)) {
            *out = parser.value(opt).toInt(&ok);
            ok = ok && *out >= 1 && *out <= max;
        }
        return ok;
    };
    int repeat = 0;
    int concurrency = 0;
    if (!number(repeatOpt, 10000, &repeat) || !number(concurrencyOpt, 64, &concurrency)) {
        return usageError(
            QStringLiteral("--repeat and --concurrency want a whole number from 1 (at most 10000 and 64)"));
    }
    auto plan = loadPlan(parser.value(planOpt), vars);
    if (!plan) {
        err() << "nestscope run: " << terminalSafe(plan.error().toString()) << "\n";
        err().flush();
        return 2;
    }
    if (repeat > 0) {
        for (Probe &p : plan.value().probes) {
            p.repeat = repeat;
        }
    }
    if (concurrency > 0) {
        plan.value().concurrency = concurrency;
    }
    const bool quiet = parser.isSet(quietOpt);
    const QString jsonPath = parser.value(jsonOpt);
    std::optional<quint32> seed;
    if (parser.isSet(shuffleOpt) || parser.isSet(seedOpt)) {
        bool ok = true;
        seed = parser.isSet(seedOpt) ? parser.value(seedOpt).toUInt(&ok) : QRandomGenerator::global()->generate();
        if (!ok) {
            return usageError(QStringLiteral("--seed wants a whole number, not \"%1\"").arg(parser.value(seedOpt)));
        }
    }

    // From here on Ctrl+C, a CI job's SIGTERM or a closed terminal's SIGHUP, whatever is going on
    // (connecting, looking up instances, discovering, running), stops it and still writes what
    // finished, with exit code 130.
    SignalWatcher interruption;
    // A reader that goes away (`--json - | head`) is a write error to report, exit code 2, with the
    // other outputs still written: not a SIGPIPE that ends the run half-way. The commands the run
    // starts get the default back (see LocalTransport).
    struct sigaction ignorePipe { };
    ignorePipe.sa_handler = SIG_IGN;
    ::sigaction(SIGPIPE, &ignorePipe, nullptr);

    // Every output is checked before anything runs: a mistyped folder costs a message, not a run.
    if (!outputsWritable(
            { { QStringLiteral("--json"), jsonPath }, { QStringLiteral("--junit"), parser.value(junitOpt) },
                { QStringLiteral("--markdown"), parser.value(markdownOpt) },
                { QStringLiteral("--html"), parser.value(htmlOpt) },
                { QStringLiteral("--pdf"), parser.value(pdfOpt) } },
            QStringLiteral("run"))) {
        return 2;
    }
    // --store is opened before anything runs too: one that cannot be opened stops here. Once the run
    // goes, a store that cannot be written any more (a full disk) costs a warning, not the run.
    RunStore store;
    if (parser.isSet(storeOpt)) {
        if (const auto opened = store.open(parser.value(storeOpt)); !opened) {
            err() << "nestscope run: cannot use --store " << parser.value(storeOpt) << ": "
                  << terminalSafe(opened.error().toString()) << "\n";
            err().flush();
            return 2;
        }
    }

    TerminalInteraction terminal; // declared first: the SSH transport below keeps a pointer to it
    const std::unique_ptr<Transport> transportPtr
        = connectRunner(parser, where, &terminal, QStringLiteral("run"), &interruption);
    if (!transportPtr && SignalWatcher::caught() == 0) {
        return 3;
    }

    // The run itself (targets, topology snapshot, scheduler, store, diagnosis) is the session's,
    // the same as the workbench's; what is here is how the command line shows it and writes it.
    RunSession session;
    session.setStore(store.isOpen() ? &store : nullptr);
    if (parser.isSet(noInstanceShellsOpt)) {
        session.setInstanceShells(0);
    }
    session.setTopologySource(
        parser.isSet(noTopologyOpt) ? RunSession::TopologySource::None : RunSession::TopologySource::Discover);
    session.setShuffle(seed);
    // --json is written sample by sample as they complete, and the run keeps in memory only the
    // start of each output, which is all the summary, JUnit and Markdown use: a run's memory does
    // not grow with what its commands print. A regular file is still replaced only when complete.
    session.setKeptOutput(kKeptOutputBytes);

    // On a terminal a bar that redraws in place, with the problems printed above it as they come;
    // in a log (not a terminal) one line per sample.
    const int columns = terminalColumns();
    const bool bar = !quiet && columns > 0;

    // The commands in flight are stopped (with everything they started) and what finished is written.
    bool interrupted = false;
    const auto interrupt = [&] {
        if (interrupted) {
            return;
        }
        interrupted = true;
        const bool running = session.runner() && session.runner()->isRunning();
        err() << (bar ? "\r\x1b[K" : "") << "nestscope run: interrupted by " << signalName(SignalWatcher::caught())
              << (running ? ", stopping the commands in flight\n" : ", nothing more will run\n");
        err().flush();
        session.cancel();
    };
    QObject::connect(&interruption, &SignalWatcher::signalled, &session, interrupt);
    if (SignalWatcher::caught() != 0) {
        interrupt(); // while connecting: the run ends at once, with no samples
    }

    QString failure;
    QObject::connect(&session, &RunSession::error, &session, [&](const QString &message) {
        failure = message;
    });
    // Queued, like finished() below: exit() only ends an event loop that is already running.
    QObject::connect(
        &session, &RunSession::error, QCoreApplication::instance(),
        [] {
            QCoreApplication::exit(0);
        },
        Qt::QueuedConnection);
    QObject::connect(&session, &RunSession::note, &session, [](const QString &message) {
        err() << "nestscope run: note: " << terminalSafe(message) << "\n";
        err().flush();
    });
    QObject::connect(&session, &RunSession::topologyDiscoveryStarted, &session, [&] {
        if (!quiet) {
            err() << "Discovering the topology of " << transportPtr->description() << " (--no-topology skips it)\n";
            err().flush();
        }
    });
    QObject::connect(&session, &RunSession::storeFailed, &session, [&] {
        err() << "nestscope run: cannot write --store " << store.path()
              << " any more: " << terminalSafe(session.recorder()->cause())
              << "; the run goes on, and its other outputs get every sample\n";
        err().flush();
    });

    std::unique_ptr<WholeFileWriter> json;
    qsizetype jsonSamples = 0;
    const QString jsonWhere = jsonPath == QLatin1String("-") ? QStringLiteral("to standard output") : jsonPath;
    QString jsonOpenError;
    ProgressState progress;
    QString current;
    QTimer clock; // the elapsed time moves on while a slow probe runs
    const auto drawBar = [&] {
        progress.elapsedMs = session.runner()->elapsedMs();
        err() << "\r\x1b[K" << progressBarLine(progress, current, columns);
        err().flush();
    };
    // A runner that goes away mid-run (its sshd killed, the link cut): the next command tries to
    // connect again, so a short drop costs only the samples in flight. When that fails too nothing
    // more can run there: the run stops, keeps what finished, says so at the end, exit code 3.
    QString lostWhy;
    QString reconnectWhy;
    if (auto *ssh = qobject_cast<SshTransport *>(transportPtr.get())) {
        QObject::connect(
            ssh, &SshTransport::stateChanged, &session, [&, ssh](SshTransport::State state, const QString &message) {
                if (!session.runner() || !session.runner()->isRunning() || !reconnectWhy.isEmpty()) {
                    return;
                }
                if (state == SshTransport::State::Disconnected && lostWhy.isEmpty()) {
                    lostWhy = message.isEmpty() ? QStringLiteral("closed") : message;
                } else if (state == SshTransport::State::Connected && !lostWhy.isEmpty()) {
                    err() << (bar ? "\r\x1b[K" : "") << "nestscope run: note: the connection to " << ssh->description()
                          << " was lost (" << terminalSafe(lostWhy)
                          << ") and is back; the samples that were running then are errors\n";
                    err().flush();
                    lostWhy.clear();
                } else if (state == SshTransport::State::Failed && !lostWhy.isEmpty()) {
                    reconnectWhy = message.isEmpty() ? QStringLiteral("refused") : message;
                    session.cancel();
                }
            });
    }

    QObject::connect(&session, &RunSession::runnerReady, &session, [&] {
        PlanRunner *runner = session.runner();
        if (seed && !session.isCancelled()) {
            err() << "Shuffled with seed " << *seed << " (--seed " << *seed << " repeats the order)\n";
        }
        if (!jsonPath.isEmpty()) {
            json = std::make_unique<WholeFileWriter>(
                jsonPath == QLatin1String("-") ? QStringLiteral("/dev/stdout") : jsonPath);
            if (const QString why = json->open(); !why.isEmpty()) {
                jsonOpenError = why;
                json.reset();
                session.cancel();
                return;
            }
            json->write(runJsonHead(runner->run()));
            QObject::connect(runner, &PlanRunner::sampleFinished, runner, [&](const Sample &s) {
                json->write(runJsonSample(s, jsonSamples++));
            });
        }
        progress.total = runner->total();
        if (quiet || session.isCancelled()) {
            return;
        }
        err() << "Running " << terminalSafe(plan->name) << ": " << runner->total() << " samples on "
              << (transportPtr ? transportPtr->description() : runner->run().host) << "\n";
        err().flush();
        QObject::connect(runner, &PlanRunner::sampleFinished, runner, [&, runner](const Sample &s) {
            progress.done = runner->done();
            progress.elapsedMs = runner->elapsedMs();
            const bool problem = s.status == SampleStatus::Fail || s.status == SampleStatus::Timeout
                || s.status == SampleStatus::Error;
            progress.problems += problem ? 1 : 0;
            if (!bar) {
                err() << progressSampleLine(progress, s) << "\n";
                err().flush();
                return;
            }
            if (problem) {
                err() << "\r\x1b[K" << progressSampleLine(progress, s) << "\n";
            }
            current = s.probeId + QStringLiteral(" on ") + s.target;
            drawBar();
        });
        if (bar) {
            clock.setInterval(500);
            QObject::connect(&clock, &QTimer::timeout, runner, drawBar);
            clock.start();
            drawBar();
        }
    });
    QObject::connect(
        &session, &RunSession::finished, QCoreApplication::instance(),
        [] {
            QCoreApplication::exit(0);
        },
        Qt::QueuedConnection);
    session.start(plan.value(), transportPtr.get());
    QCoreApplication::exec();
    clock.stop();
    if (bar) {
        err() << "\r\x1b[K"; // the summary replaces the bar
    }
    if (!failure.isEmpty()) {
        err() << "nestscope run: " << terminalSafe(failure) << "\n";
        err().flush();
        return 2;
    }
    if (!jsonOpenError.isEmpty()) {
        err() << "nestscope run: cannot write " << jsonWhere << ": " << jsonOpenError << "\n";
        err().flush();
        return 2;
    }

    const Run &run = session.run();
    const Plan &runPlan = session.plan();
    RunRecorder *recorder = session.recorder();
    const bool runnerGone = !reconnectWhy.isEmpty();
    if (runnerGone) {
        err() << "nestscope run: the connection to " << transportPtr->description() << " was lost ("
              << terminalSafe(lostWhy) << ") and connecting again failed (" << terminalSafe(reconnectWhy)
              << "): the run stopped after " << run.samples.size() << " of " << progress.total
              << " samples, every one kept (those running when it was lost are errors); "
              << progress.total - run.samples.size() << " did not run\n";
    }
    err() << terminalSafe(QStringLiteral("%1: %2 pass, %3 fail, %4 timeout, %5 error, %6 skipped in %7 ms\n")
                              .arg(run.planName)
                              .arg(run.count(SampleStatus::Pass))
                              .arg(run.count(SampleStatus::Fail))
                              .arg(run.count(SampleStatus::Timeout))
                              .arg(run.count(SampleStatus::Error))
                              .arg(run.count(SampleStatus::Skipped))
                              .arg(session.runner()->elapsedMs()));
    if (recorder) {
        store.flush();
        QCoreApplication::processEvents(); // deliver a late writeFailed() before saying it was stored
        if (recorder->isRecording()) {
            err() << "Stored as run " << recorder->runId() << " in " << store.path()
                  << (run.cancelled ? " (cancelled)\n" : "\n");
        }
    }
    err().flush();
    // The verdict, from both vantage points, with the topology the run met.
    const std::optional<Diagnosis> &diagnosis = session.diagnosis();
    if (run.topologyJson.isEmpty()) {
        err() << "nestscope run: no diagnosis: the run has no topology snapshot"
              << (parser.isSet(noTopologyOpt) ? " (--no-topology)\n" : "\n");
    } else if (!diagnosis) {
        err() << "nestscope run: no diagnosis: " << terminalSafe(session.diagnosisError()) << "\n";
    } else if (!quiet) {
        err() << terminalSafe(diagnosisSummaryText(*diagnosis));
    }
    err().flush();
    bool written = true; // try every output: one unwritable file must not cost the others
    if (recorder && !recorder->isRecording()) {
        // A store that failed half-way (a full disk) is an output that could not be written.
        err() << "nestscope run: cannot write --store " << store.path() << ": " << terminalSafe(recorder->cause())
              << "; it holds " << recorder->committed() << " of the " << run.samples.size() << " samples";
        if (recorder->runId() > 0) {
            err() << " (run " << recorder->runId() << ", which shows as interrupted when the store is next opened)";
        }
        err() << "\n";
        written = false;
    }
    err().flush();
    if (json) {
        QJsonObject extra;
        if (diagnosis) {
            extra.insert(QStringLiteral("diagnosis"), toJson(*diagnosis));
        }
        json->write(runJsonTail(run, extra));
        if (const QString why = json->commit(); !why.isEmpty()) {
            err() << "nestscope run: cannot write " << jsonWhere << ": " << why << "\n";
            err().flush();
            written = false;
        }
    }
    const QList<std::pair<QString, QByteArray>> outputs {
        { parser.value(junitOpt), parser.isSet(junitOpt) ? runToJUnit(runPlan, run) : QByteArray() },
        { parser.value(markdownOpt),
            parser.isSet(markdownOpt) ? runToMarkdown(runPlan, run, diagnosis ? &*diagnosis : nullptr) : QByteArray() },
        { parser.value(htmlOpt),
            parser.isSet(htmlOpt) ? runReport(runPlan, run, diagnosis ? &*diagnosis : nullptr, RunReport::Html)
                                  : QByteArray() },
        { parser.value(pdfOpt),
            parser.isSet(pdfOpt) ? runReport(runPlan, run, diagnosis ? &*diagnosis : nullptr, RunReport::Pdf)
                                 : QByteArray() },
    };
    for (const auto &[path, data] : outputs) {
        QString error;
        if (!path.isEmpty() && !writeOutput(path, data, &error)) {
            err() << "nestscope run: " << error << "\n";
            err().flush();
            written = false;
        }
    }
    if (!written) {
        return 2;
    }
    if (interrupted) {
        return 130;
    }
    if (runnerGone) {
        return 3;
    }
    const int broken = int(std::count_if(run.samples.cbegin(), run.samples.cend(), [&](const Sample &s) {
        return !expectationHolds(runPlan, s);
    }));
    if (broken > 0) {
        err() << QStringLiteral("%1 samples broke an expectation\n").arg(broken);
        err().flush();
    }
    // A CI job that asked for its instances must not pass on the runner's results alone.
    const QStringList notRun = session.notRun();
    if (!notRun.isEmpty()) {
        err() << "Exit code 1: " << terminalSafe(notRun.join(QStringLiteral(", ")))
              << (notRun.size() == 1 ? " was" : " were") << " not run (see the note above)\n";
        err().flush();
    }
    return broken == 0 && notRun.isEmpty() && !run.samples.isEmpty() ? 0 : 1;
}

QString topologyUsage()
{
    return QStringLiteral(
        "Usage: nestscope topology --local|--host HOST [--json FILE|-] [--svg FILE] [--png FILE] [--quiet]\n"
        "\n"
        "Discovers the runner's network and LXD/Incus configuration (interfaces, routes, sysctls, firewall,\n"
        "bridges, instances) in one round trip, prints a summary with the problems it sees on standard\n"
        "error, and writes the topology as JSON and the graph as SVG or PNG. Tools or permissions that are\n"
        "missing give a partial topology with a note on what to do, not a failure.\n"
        "Exit code: 0 discovered (possibly partially), 1 nothing could be discovered, 2 usage or an output\n"
        "that cannot be written, 3 cannot connect, 130 interrupted (SIGINT, SIGTERM, SIGHUP).\n"
        "\n"
        "Options:\n"
        "%1"
        "  --json FILE|-      write the topology as JSON to FILE, or to standard output with -\n"
        "  --svg FILE         draw the graph as SVG\n"
        "  --png FILE         draw the graph as PNG (twice the size in points, for sharp text)\n"
        "  --quiet            print no summary, only errors\n"
        "  -h, --help         show this help\n")
        .arg(RunnerOptions::help());
}

} // namespace nestscope
