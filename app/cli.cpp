#include "cli.h"

#include "common/savefile.h"
#include "common/signalwatcher.h"
#include "diagnosis/diagnosis.h"
#include "plan/planrunner.h"
#include "plan/probes.h"
#include "plan/targetsetup.h"
#include "report/progress.h"
#include "report/reports.h"
#include "reportcommand.h"
#include "results/runjson.h"
#include "results/runrecorder.h"
#include "results/runstore.h"
#include "topology/discovery.h"
#include "topology/graph.h"
#include "topology/layout.h"
#include "topology/topologyjson.h"
#include "topologyinspect.h"
#include "topologyscene.h"
#include "transport/localtransport.h"
#include "transport/sshtransport.h"

#include <QBuffer>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QEventLoop>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QRandomGenerator>
#include <QTextStream>
#include <QTimer>

#include <csignal>
#include <cstdio>
#include <optional>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace nestscope {

namespace {

/// What a run keeps in memory of each sample's stdout and of its stderr once the sample is written
/// (JSON, store): the reports show at most 2000 characters of it, and 16 KiB holds that in any
/// UTF-8. The transport caps each stream at 1 MiB, so a run holds at most 32 KiB of output per
/// finished sample plus 2 MiB per command in flight (and what the store's writer has not
/// committed yet).
constexpr qsizetype kKeptOutputBytes = 16 * 1024;

QTextStream &err()
{
    static QTextStream s(stderr);
    return s;
}

/// The width of the terminal standard error is, or 0 when it is not a terminal (a log, a pipe)
/// or TERM says it cannot redraw a line.
int terminalColumns()
{
    if (::isatty(STDERR_FILENO) == 0 || qgetenv("TERM") == "dumb") {
        return 0;
    }
    winsize size {};
    if (::ioctl(STDERR_FILENO, TIOCGWINSZ, &size) == 0 && size.ws_col > 0) {
        return size.ws_col;
    }
    const int fromEnv = qEnvironmentVariableIntValue("COLUMNS");
    return fromEnv > 0 ? fromEnv : 80;
}

/// A usage error of `nestscope COMMAND` (empty: the workbench): what is wrong, where to read
/// more; exit code 2.
int usageError(const QString &message, const QString &command = QStringLiteral("run"))
{
    const QString name = command.isEmpty() ? QStringLiteral("nestscope") : QStringLiteral("nestscope ") + command;
    err() << name << ": " << message << "\n"
          << "Try '" << name << " --help'.\n";
    err().flush();
    return 2;
}

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

/// Writes one output; "-" is standard output. A write that fails (a full disk, `>/dev/full`, a
/// closed descriptor) is an error with its reason, never a silent success; a regular file is
/// replaced only by a complete one (writeWholeFile()).
bool writeOutput(const QString &path, const QByteArray &data, QString *error)
{
    const bool toStdout = path == QLatin1String("-");
    if (const QString why = writeWholeFile(toStdout ? QStringLiteral("/dev/stdout") : path, data); !why.isEmpty()) {
        *error = toStdout ? QStringLiteral("cannot write to standard output: %1").arg(why)
                          : QStringLiteral("cannot write %1: %2").arg(path, why);
        return false;
    }
    return true;
}

/// Checks, before anything runs, that each (option, path) can be written; says why not for
/// every one that cannot, as "nestscope COMMAND: cannot write --json PATH: why".
bool outputsWritable(const QList<std::pair<QString, QString>> &outputs, const QString &command)
{
    bool ok = true;
    for (const auto &[option, path] : outputs) {
        if (path.isEmpty()) {
            continue;
        }
        const bool toStdout = path == QLatin1String("-");
        if (const QString why = cannotWrite(toStdout ? QStringLiteral("/dev/stdout") : path); !why.isEmpty()) {
            err() << "nestscope " << command << ": cannot write " << option << ' '
                  << (toStdout ? QStringLiteral("to standard output") : path) << ": " << why << "\n";
            ok = false;
        }
    }
    err().flush();
    return ok;
}

QString signalName(int signal)
{
    switch (signal) {
    case SIGINT:
        return QStringLiteral("SIGINT");
    case SIGTERM:
        return QStringLiteral("SIGTERM");
    case SIGHUP:
        return QStringLiteral("SIGHUP");
    default:
        return QStringLiteral("signal %1").arg(signal);
    }
}

/// Asks on the controlling terminal, as ssh does; with no terminal (a CI job) the answer is "no".
/// Unknown host keys are never asked about here: --accept-new-host-key decides.
class TerminalInteraction final : public SshInteraction {
public:
    std::optional<QString> passphrase(const QString &keyFile) override
    {
        return ask(QStringLiteral("Enter passphrase for key '%1': ").arg(keyFile));
    }
    std::optional<QString> password(const QString &userAtHost) override
    {
        return ask(QStringLiteral("%1's password: ").arg(userAtHost));
    }
    QString noPromptReason() const override
    {
        // A CI job has no controlling terminal: say so, rather than report a cancel nobody made.
        FILE *tty = std::fopen("/dev/tty", "r+");
        if (!tty) {
            return QStringLiteral("without a terminal");
        }
        std::fclose(tty);
        return {};
    }
    QString noPromptAdvice() const override
    {
        return QStringLiteral("Use --identity with a key the server accepts (without a passphrase), or ssh-agent");
    }

private:
    static std::optional<QString> ask(const QString &prompt)
    {
        FILE *tty = std::fopen("/dev/tty", "r+");
        if (!tty) {
            return std::nullopt;
        }
        std::fputs(prompt.toLocal8Bit().constData(), tty);
        std::fflush(tty);
        termios saved {};
        const bool isTerminal = ::tcgetattr(::fileno(tty), &saved) == 0;
        if (isTerminal) {
            termios quiet = saved;
            quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
            ::tcsetattr(::fileno(tty), TCSAFLUSH, &quiet);
        }
        char line[1024] = {};
        const bool got = std::fgets(line, sizeof line, tty) != nullptr;
        if (isTerminal) {
            ::tcsetattr(::fileno(tty), TCSAFLUSH, &saved);
        }
        std::fputs("\n", tty);
        std::fclose(tty);
        QString answer = QString::fromLocal8Bit(line);
        std::fill(std::begin(line), std::end(line), '\0');
        if (!got) {
            return std::nullopt;
        }
        if (answer.endsWith(QLatin1Char('\n'))) {
            answer.chop(1);
        }
        return answer;
    }
};

/// Where the runner is: this machine, or an SSH host and how to reach it. `run` and `topology`
/// take the same options and connect the same way.
struct RunnerOptions {
    QCommandLineOption local { QStringLiteral("local") };
    QCommandLineOption host { QStringLiteral("host"), QString(), QStringLiteral("HOST") };
    QCommandLineOption sshConfig { QStringLiteral("ssh-config"), QString(), QStringLiteral("FILE") };
    QCommandLineOption identity { QStringLiteral("identity"), QString(), QStringLiteral("FILE") };
    QCommandLineOption knownHosts { QStringLiteral("known-hosts"), QString(), QStringLiteral("FILE") };
    QCommandLineOption acceptNew { QStringLiteral("accept-new-host-key") };
    QCommandLineOption shells { QStringLiteral("persistent-shells") };

    QList<QCommandLineOption> all() const
    {
        return { local, host, sshConfig, identity, knownHosts, acceptNew, shells };
    }
    bool chosen(const QCommandLineParser &parser) const { return parser.isSet(local) != parser.isSet(host); }

    static QString help()
    {
        return QStringLiteral(
            "  --local            the runner is this machine\n"
            "  --host HOST        the runner is HOST, over SSH: [user@]host[:port] or a Host alias from the ssh "
            "config\n"
            "  --ssh-config FILE  read FILE instead of ~/.ssh/config (like ssh -F)\n"
            "  --identity FILE    try this private key first (like ssh -i)\n"
            "  --known-hosts FILE check host keys against FILE instead of ~/.ssh/known_hosts\n"
            "  --accept-new-host-key  trust and record a host key seen for the first time (a changed\n"
            "                     key is always refused)\n"
            "  --persistent-shells  run commands through one long-lived shell per channel instead of a\n"
            "                     new exec channel each (much faster when the login shell is slow)\n");
    }
};

/// The transport to the runner the options name. An SSH host is connected here, before anything
/// runs, so that a refused host key is one clear message rather than one per command. On failure
/// the reason goes to standard error as "nestscope <command>: ..." and the result is null.
std::unique_ptr<Transport> connectRunner(const QCommandLineParser &parser, const RunnerOptions &options,
    SshInteraction *interaction, const QString &command, SignalWatcher *interruption)
{
    if (!parser.isSet(options.host)) {
        return std::make_unique<LocalTransport>();
    }
    SshTarget target = SshTarget::fromSpec(parser.value(options.host));
    target.configFile = parser.value(options.sshConfig);
    target.identityFile = parser.value(options.identity);
    target.knownHostsFile = parser.value(options.knownHosts);
    target.acceptNewHostKey = parser.isSet(options.acceptNew);
    target.persistentShells = parser.isSet(options.shells);
    auto ssh = std::make_unique<SshTransport>(target);
    ssh->setInteraction(interaction);
    QEventLoop wait;
    QObject::connect(ssh.get(), &SshTransport::stateChanged, &wait, [&wait](SshTransport::State state) {
        if (state == SshTransport::State::Connected || state == SshTransport::State::Failed
            || state == SshTransport::State::Disconnected) {
            wait.quit();
        }
    });
    QObject::connect(interruption, &SignalWatcher::signalled, &wait, &QEventLoop::quit);
    ssh->connectToHost();
    if (SignalWatcher::caught() == 0) {
        wait.exec();
    }
    if (SignalWatcher::caught() != 0) {
        return nullptr; // interrupted while connecting: the caller says so
    }
    if (ssh->state() != SshTransport::State::Connected) {
        err() << "nestscope " << command << ": " << terminalSafe(ssh->lastError()) << "\n";
        err().flush();
        return nullptr;
    }
    return ssh;
}

/// Discovers the runner's topology over `transport`, waiting for it (the CLI has nothing else to
/// do) or for a signal, which cancels it (its commands are killed) and gives an error.
Result<Topology> discoverTopology(Transport *transport, SignalWatcher *interruption)
{
    TopologyDiscovery discovery(transport);
    std::optional<Result<Topology>> found;
    QEventLoop wait;
    QObject::connect(&discovery, &TopologyDiscovery::finished, &wait, [&](const Result<Topology> &result) {
        found = result;
        wait.quit();
    });
    QObject::connect(interruption, &SignalWatcher::signalled, &wait, &QEventLoop::quit);
    discovery.start();
    if (!found && SignalWatcher::caught() == 0) {
        wait.exec();
    }
    if (!found) {
        discovery.cancel();
        return Error { QStringLiteral("discovery on %1 was interrupted").arg(transport->description()), QString() };
    }
    return *found;
}

} // namespace

QString workbenchUsage()
{
    return QStringLiteral("Usage: nestscope [--plan FILE|builtin:NAME | FILE] [--var K=V]...   opens the workbench\n"
                          "       nestscope run ...                      runs a plan without a window\n"
                          "       nestscope topology ...                 discovers and draws a runner's network\n"
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
        return usageError(QStringLiteral("unexpected argument \"%1\" (the commands are run, topology and diagnose; "
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
        "Exit code: 0 every expectation held (by default: every probe passed), 1 some did not,\n"
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

    // Instances named by the plan (names, globs, all) are looked up on the runner first.
    TargetSetup targets;
    if (parser.isSet(noInstanceShellsOpt)) {
        targets.setInstanceShells(0);
    }
    bool resolved = false;
    if (transportPtr && SignalWatcher::caught() == 0) {
        QEventLoop wait;
        QString failure;
        QObject::connect(&targets, &TargetSetup::ready, &wait, &QEventLoop::quit);
        QObject::connect(&targets, &TargetSetup::failed, &wait, [&](const QString &message) {
            failure = message;
            wait.quit();
        });
        QObject::connect(&interruption, &SignalWatcher::signalled, &wait, &QEventLoop::quit);
        targets.start(plan.value(), transportPtr.get());
        wait.exec();
        if (SignalWatcher::caught() == 0) {
            if (!failure.isEmpty()) {
                err() << "nestscope run: " << terminalSafe(failure) << "\n";
                err().flush();
                return 2;
            }
            resolved = true;
            for (const QString &warning : targets.warnings()) {
                err() << "nestscope run: note: " << terminalSafe(warning) << "\n";
            }
        }
    }
    // Interrupted before the targets were known, the run is the plan as written, with no samples.
    QHash<QString, Transport *> transports;
    if (resolved) {
        transports = targets.transports();
    } else if (transportPtr) {
        transports.insert(QStringLiteral("runner"), transportPtr.get());
    }
    const Plan &runPlan = resolved ? targets.plan() : plan.value();
    PlanRunner runner(runPlan, transports);
    // The topology the run met, kept with it: what the bridge, firewall and instances looked like.
    // A discovery that fails costs a note, never the run.
    if (!parser.isSet(noTopologyOpt) && SignalWatcher::caught() == 0) {
        if (!quiet) {
            err() << "Discovering the topology of " << transportPtr->description() << " (--no-topology skips it)\n";
            err().flush();
        }
        const Result<Topology> topology = discoverTopology(transportPtr.get(), &interruption);
        if (topology) {
            runner.setTopologySnapshot(QJsonDocument(topologyToJson(*topology)).toJson(QJsonDocument::Compact));
        } else if (SignalWatcher::caught() == 0) {
            err() << "nestscope run: note: no topology snapshot: " << terminalSafe(topology.error().toString()) << "\n";
        }
    }
    if (seed) {
        runner.setShuffle(true, *seed);
        err() << "Shuffled with seed " << *seed << " (--seed " << *seed << " repeats the order)\n";
    }

    // --json is written sample by sample as they complete, and the run keeps in memory only the
    // start of each output, which is all the summary, JUnit and Markdown use: a run's memory does
    // not grow with what its commands print. A regular file is still replaced only when complete.
    runner.setKeptOutput(kKeptOutputBytes);
    std::unique_ptr<WholeFileWriter> json;
    qsizetype jsonSamples = 0;
    const QString jsonWhere = jsonPath == QLatin1String("-") ? QStringLiteral("to standard output") : jsonPath;
    if (!jsonPath.isEmpty()) {
        json = std::make_unique<WholeFileWriter>(
            jsonPath == QLatin1String("-") ? QStringLiteral("/dev/stdout") : jsonPath);
        if (const QString why = json->open(); !why.isEmpty()) {
            err() << "nestscope run: cannot write " << jsonWhere << ": " << why << "\n";
            err().flush();
            return 2;
        }
        json->write(runJsonHead(runner.run()));
        QObject::connect(&runner, &PlanRunner::sampleFinished, &runner, [&](const Sample &s) {
            json->write(runJsonSample(s, jsonSamples++));
        });
    }

    // Every sample goes to the store as it completes.
    std::unique_ptr<RunRecorder> recorder;
    if (store.isOpen()) {
        recorder = std::make_unique<RunRecorder>(&store, &runner);
        QObject::connect(recorder.get(), &RunRecorder::failed, &runner, [&] {
            err() << "nestscope run: cannot write --store " << store.path()
                  << " any more: " << terminalSafe(recorder->cause())
                  << "; the run goes on, and its other outputs get every sample\n";
            err().flush();
        });
    }

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
        err() << (bar ? "\r\x1b[K" : "") << "nestscope run: interrupted by " << signalName(SignalWatcher::caught())
              << (runner.isRunning() ? ", stopping the commands in flight\n" : ", nothing more will run\n");
        err().flush();
        runner.cancel();
    };
    QObject::connect(&interruption, &SignalWatcher::signalled, &runner, interrupt);

    // A runner that goes away mid-run (its sshd killed, the link cut): the next command tries to
    // connect again, so a short drop costs only the samples in flight. When that fails too nothing
    // more can run there: the run stops, keeps what finished, says so at the end, exit code 3.
    QString lostWhy;
    QString reconnectWhy;
    if (auto *ssh = qobject_cast<SshTransport *>(transportPtr.get())) {
        QObject::connect(
            ssh, &SshTransport::stateChanged, &runner, [&, ssh](SshTransport::State state, const QString &message) {
                if (!runner.isRunning() || !reconnectWhy.isEmpty()) {
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
                    runner.cancel();
                }
            });
    }

    ProgressState progress;
    progress.total = runner.total();
    QString current;
    QTimer clock; // the elapsed time moves on while a slow probe runs
    const auto drawBar = [&] {
        progress.elapsedMs = runner.elapsedMs();
        err() << "\r\x1b[K" << progressBarLine(progress, current, columns);
        err().flush();
    };
    if (SignalWatcher::caught() != 0) {
        interrupt(); // before the run began: it ends at once, with no samples
    } else {
        if (!quiet) {
            err() << "Running " << terminalSafe(plan->name) << ": " << runner.total() << " samples on "
                  << transportPtr->description() << "\n";
            err().flush();
            QObject::connect(&runner, &PlanRunner::sampleFinished, &runner, [&](const Sample &s) {
                progress.done = runner.done();
                progress.elapsedMs = runner.elapsedMs();
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
                QObject::connect(&clock, &QTimer::timeout, &runner, drawBar);
                clock.start();
                drawBar();
            }
        }
        QObject::connect(
            &runner, &PlanRunner::finished, QCoreApplication::instance(),
            [] {
                QCoreApplication::exit(0);
            },
            Qt::QueuedConnection);
        QMetaObject::invokeMethod(&runner, &PlanRunner::start, Qt::QueuedConnection);
        QCoreApplication::exec();
        clock.stop();
        if (bar) {
            err() << "\r\x1b[K"; // the summary replaces the bar
        }
    }

    const Run &run = runner.run();
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
                              .arg(runner.elapsedMs()));
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
    std::optional<Diagnosis> diagnosis;
    if (run.topologyJson.isEmpty()) {
        err() << "nestscope run: no diagnosis: the run has no topology snapshot"
              << (parser.isSet(noTopologyOpt) ? " (--no-topology)\n" : "\n");
    } else if (auto d = diagnoseRun(run); !d) {
        err() << "nestscope run: no diagnosis: " << terminalSafe(d.error().toString()) << "\n";
    } else {
        diagnosis = std::move(d).value();
        if (!quiet) {
            err() << terminalSafe(diagnosisSummaryText(*diagnosis));
        }
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
    return broken == 0 && !run.samples.isEmpty() ? 0 : 1;
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

int topologyCommand(const QStringList &arguments)
{
    const auto usageError = [](const QString &message) {
        return nestscope::usageError(message, QStringLiteral("topology"));
    };
    QCommandLineParser parser;
    parser.setSingleDashWordOptionMode(QCommandLineParser::ParseAsLongOptions);
    const RunnerOptions where;
    const QCommandLineOption jsonOpt(QStringLiteral("json"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption svgOpt(QStringLiteral("svg"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption pngOpt(QStringLiteral("png"), QString(), QStringLiteral("FILE"));
    const QCommandLineOption quietOpt(QStringLiteral("quiet"));
    const QCommandLineOption helpOpt(QStringList { QStringLiteral("h"), QStringLiteral("help") });
    parser.addOptions(where.all());
    parser.addOptions({ jsonOpt, svgOpt, pngOpt, quietOpt, helpOpt });
    if (!parser.parse(arguments)) {
        return usageError(parser.errorText());
    }
    if (parser.isSet(helpOpt)) {
        QTextStream(stdout) << topologyUsage();
        return 0;
    }
    if (!parser.positionalArguments().isEmpty()) {
        return usageError(QStringLiteral("unexpected argument \"%1\"").arg(parser.positionalArguments().constFirst()));
    }
    if (!where.chosen(parser)) {
        return usageError(QStringLiteral("say which runner to discover: --local or --host HOST (one of them)"));
    }
    if (parser.value(svgOpt) == QLatin1String("-") || parser.value(pngOpt) == QLatin1String("-")) {
        return usageError(QStringLiteral("--svg and --png want a file name; only --json can write to standard output"));
    }

    // A signal while connecting or discovering stops it: nothing has finished, nothing is written.
    SignalWatcher interruption;
    const auto interrupted = [] {
        err() << "nestscope topology: interrupted by " << signalName(SignalWatcher::caught()) << "\n";
        err().flush();
        return 130;
    };
    // Every output is checked before discovery: a mistyped folder costs a message, not a discovery.
    if (!outputsWritable(
            { { QStringLiteral("--json"), parser.value(jsonOpt) }, { QStringLiteral("--svg"), parser.value(svgOpt) },
                { QStringLiteral("--png"), parser.value(pngOpt) } },
            QStringLiteral("topology"))) {
        return 2;
    }

    TerminalInteraction terminal; // declared first: the SSH transport keeps a pointer to it
    const std::unique_ptr<Transport> transport
        = connectRunner(parser, where, &terminal, QStringLiteral("topology"), &interruption);
    if (SignalWatcher::caught() != 0) {
        return interrupted();
    }
    if (!transport) {
        return 3;
    }
    const bool quiet = parser.isSet(quietOpt);
    if (!quiet) {
        err() << "Discovering the topology of " << transport->description() << "\n";
        err().flush();
    }
    const Result<Topology> found = discoverTopology(transport.get(), &interruption);
    if (SignalWatcher::caught() != 0) {
        return interrupted();
    }
    if (!found.ok()) {
        err() << "nestscope topology: discovery on " << transport->description()
              << " failed: " << terminalSafe(found.error().toString()) << "\n";
        err().flush();
        return 1;
    }
    const Topology &topology = found.value();
    const TopologyGraph graph = buildTopologyGraph(topology);
    if (!quiet) {
        err() << terminalSafe(topologySummary(topology, graph.problems));
        err().flush();
    } else {
        for (const TopoWarning &w : topology.warnings) {
            err() << "nestscope topology: note (" << w.source << "): " << terminalSafe(w.message) << "\n";
        }
        err().flush();
    }

    QList<std::pair<QString, QByteArray>> outputs;
    if (parser.isSet(jsonOpt)) {
        // The problems the summary prints are in the JSON too, for scripts.
        QJsonObject json = topologyToJson(topology);
        QJsonArray problems;
        for (const TopoProblem &p : graph.problems) {
            problems.append(QJsonObject { { QStringLiteral("id"), p.id },
                { QStringLiteral("severity"),
                    p.severity == TopoProblem::Severity::Error ? QStringLiteral("error") : QStringLiteral("warning") },
                { QStringLiteral("node"), p.nodeId }, { QStringLiteral("title"), p.title },
                { QStringLiteral("why"), p.why } });
        }
        json.insert(QStringLiteral("problems"), problems);
        outputs.append({ parser.value(jsonOpt), QJsonDocument(json).toJson(QJsonDocument::Indented) });
    }
    if (parser.isSet(svgOpt) || parser.isSet(pngOpt)) {
        // Drawn the way the GUI draws it: the same scene, laid out by Graphviz, rendered offscreen.
        TopologyScene scene;
        const auto layout = layoutTopology(graph, scene.nodeSizes(graph));
        if (!layout) {
            err() << "nestscope topology: cannot lay the graph out: " << layout.error().toString() << "\n";
            err().flush();
            return 2;
        }
        scene.setGraph(graph, *layout);
        if (parser.isSet(svgOpt)) {
            const QString title = QStringLiteral("Topology of %1")
                                      .arg(topology.hostname.isEmpty() ? transport->description() : topology.hostname);
            outputs.append({ parser.value(svgOpt), scene.toSvg(title) });
        }
        if (parser.isSet(pngOpt)) {
            QByteArray png;
            QBuffer buffer(&png);
            buffer.open(QIODevice::WriteOnly);
            scene.toImage(2.0).save(&buffer, "PNG");
            outputs.append({ parser.value(pngOpt), png });
        }
    }
    bool written = true; // try every output: one unwritable file must not cost the others
    for (const auto &[path, data] : std::as_const(outputs)) {
        QString error;
        if (data.isEmpty()) {
            err() << "nestscope topology: nothing to write to " << path << "\n";
            written = false;
        } else if (!writeOutput(path, data, &error)) {
            err() << "nestscope topology: " << error << "\n";
            written = false;
        }
    }
    err().flush();
    return written ? 0 : 2;
}

} // namespace nestscope
