#include "cli.h"

#include "plan/planrunner.h"
#include "results/runjson.h"
#include "transport/localtransport.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QFile>
#include <QSaveFile>
#include <QSocketNotifier>
#include <QTextStream>

#include <csignal>
#include <cstdio>
#include <sys/socket.h>
#include <unistd.h>

namespace nestscope {

namespace {

int g_signalPipe[2] = { -1, -1 };

void onSignal(int)
{
    const char c = 1;
    [[maybe_unused]] auto n = ::write(g_signalPipe[1], &c, 1);
}

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

int usageError(const QString &message)
{
    err() << "nestscope run: " << message << "\n"
          << "Try 'nestscope run --help'.\n";
    err().flush();
    return 2;
}

bool writeOutput(const QString &path, const QByteArray &data, QString *error)
{
    if (path == QLatin1String("-")) {
        QFile out;
        if (!out.open(stdout, QIODevice::WriteOnly) || out.write(data) != data.size()) {
            *error = QStringLiteral("cannot write to standard output");
            return false;
        }
        out.flush();
        return true;
    }
    QSaveFile out(path);
    if (!out.open(QIODevice::WriteOnly) || out.write(data) != data.size() || !out.commit()) {
        *error = QStringLiteral("cannot write %1: %2").arg(path, out.errorString());
        return false;
    }
    return true;
}

} // namespace

QString cliUsage()
{
    return QStringLiteral("Usage: nestscope run --local --plan FILE|builtin:NAME [--json FILE|-] [--quiet]\n"
                          "\n"
                          "Runs a test plan without a window and writes every sample as JSON.\n"
                          "Exit code: 0 every probe passed, 1 some did not, 2 usage or plan error, 130 interrupted.\n"
                          "\n"
                          "Options:\n"
                          "  --local            run on this machine (the runner is the local host)\n"
                          "  --plan SPEC        a plan file (YAML or JSON), or builtin:NAME; built-in plans: %1\n"
                          "  --json FILE|-      write the run as JSON to FILE, or to standard output with -\n"
                          "  --quiet            print only the summary on standard error\n"
                          "  -h, --help         show this help\n")
        .arg(builtinPlanNames().join(QStringLiteral(", ")));
}

int runCommand(const QStringList &arguments)
{
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const QCommandLineOption local(QStringLiteral("local"));
    const QCommandLineOption planOpt(QStringLiteral("plan"), QString(), QStringLiteral("SPEC"));
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions({ local, planOpt, jsonOpt, quietOpt, helpOpt });
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
    if (!parser.isSet(local)) {
        return usageError(QStringLiteral("say where to run: --local (remote hosts come with the SSH transport)"));
    }
    if (!parser.isSet(planOpt)) {
        return usageError(QStringLiteral("--plan FILE is required"));
    }
    auto plan = loadPlan(parser.value(planOpt));
    if (!plan) {
        err() << "nestscope run: " << plan.error().toString() << "\n";
        err().flush();
        return 2;
    }
    const bool quiet = parser.isSet(quietOpt);
    const QString jsonPath = parser.value(jsonOpt);

    LocalTransport transport;
    PlanRunner runner(plan.value(), { { QStringLiteral("runner"), &transport } });

    // Ctrl+C or a CI job's SIGTERM stops the commands and still writes what finished.
    bool interrupted = false;
    std::unique_ptr<QSocketNotifier> notifier;
    if (::socketpair(AF_UNIX, SOCK_STREAM, 0, g_signalPipe) == 0) {
        notifier = std::make_unique<QSocketNotifier>(g_signalPipe[0], QSocketNotifier::Read);
        QObject::connect(notifier.get(), &QSocketNotifier::activated, &runner, [&] {
            char c;
            [[maybe_unused]] auto n = ::read(g_signalPipe[0], &c, 1);
            if (!interrupted) {
                interrupted = true;
                err() << "nestscope run: interrupted, stopping the commands in flight\n";
                err().flush();
                runner.cancel();
            }
        });
        std::signal(SIGINT, onSignal);
        std::signal(SIGTERM, onSignal);
    }

    if (!quiet) {
        err() << "Running " << plan->name << ": " << runner.total() << " samples on " << transport.description()
              << "\n";
        err().flush();
        QObject::connect(&runner, &PlanRunner::sampleFinished, &runner, [&](const Sample &s) {
            err() << QStringLiteral("[%1/%2] %3 %4 on %5 #%6 %7 ms")
                         .arg(runner.done())
                         .arg(runner.total())
                         .arg(toText(s.status).leftJustified(7))
                         .arg(s.probeId, s.target)
                         .arg(s.repetition + 1)
                         .arg(qRound(s.latencyMs));
            if (!s.message.isEmpty()) {
                err() << " — " << s.message;
            }
            err() << "\n";
            err().flush();
        });
    }
    QObject::connect(
        &runner, &PlanRunner::finished, QCoreApplication::instance(),
        [] {
            QCoreApplication::exit(0);
        },
        Qt::QueuedConnection);
    QMetaObject::invokeMethod(&runner, &PlanRunner::start, Qt::QueuedConnection);
    QCoreApplication::exec();
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);

    const Run &run = runner.run();
    err() << QStringLiteral("%1: %2 pass, %3 fail, %4 timeout, %5 error, %6 skipped in %7 ms\n")
                 .arg(run.planName)
                 .arg(run.count(SampleStatus::Pass))
                 .arg(run.count(SampleStatus::Fail))
                 .arg(run.count(SampleStatus::Timeout))
                 .arg(run.count(SampleStatus::Error))
                 .arg(run.count(SampleStatus::Skipped))
                 .arg(runner.elapsedMs());
    err().flush();
    if (!jsonPath.isEmpty()) {
        QString error;
        if (!writeOutput(jsonPath, runToJson(run), &error)) {
            err() << "nestscope run: " << error << "\n";
            err().flush();
            return 2;
        }
    }
    if (interrupted) {
        return 130;
    }
    return run.allPassed() ? 0 : 1;
}

} // namespace nestscope
