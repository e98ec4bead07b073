#include "clisupport.h"

#include "common/savefile.h"
#include "common/signalwatcher.h"
#include "report/progress.h"
#include "topology/discovery.h"
#include "transport/localtransport.h"

#include <QEventLoop>

#include <csignal>
#include <cstdio>
#include <optional>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

namespace nestscope::cli {

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
int usageError(const QString &message, const QString &command)
{
    const QString name = command.isEmpty() ? QStringLiteral("nestscope") : QStringLiteral("nestscope ") + command;
    err() << name << ": " << message << "\n"
          << "Try '" << name << " --help'.\n";
    err().flush();
    return 2;
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

std::optional<QString> TerminalInteraction::passphrase(const QString &keyFile)
{
    return ask(QStringLiteral("Enter passphrase for key '%1': ").arg(keyFile));
}

std::optional<QString> TerminalInteraction::password(const QString &userAtHost)
{
    return ask(QStringLiteral("%1's password: ").arg(userAtHost));
}

QString TerminalInteraction::noPromptReason() const
{
    // A CI job has no controlling terminal: say so, rather than report a cancel nobody made.
    FILE *tty = std::fopen("/dev/tty", "r+");
    if (!tty) {
        return QStringLiteral("without a terminal");
    }
    std::fclose(tty);
    return {};
}

QString TerminalInteraction::noPromptAdvice() const
{
    return QStringLiteral("Use --identity with a key the server accepts (without a passphrase), or ssh-agent");
}

std::optional<QString> TerminalInteraction::ask(const QString &prompt)
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

QString RunnerOptions::help()
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

} // namespace nestscope::cli
