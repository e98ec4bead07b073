#pragma once

// What the command-line front-ends (`run`, `topology`, and those to come) share: standard error,
// usage errors, writing outputs, the terminal's questions and connecting to the runner. Not a
// public API: app/ only.

#include "common/result.h"
#include "topology/topology.h"
#include "transport/sshtransport.h"

#include <QCommandLineOption>
#include <QCommandLineParser>
#include <QList>
#include <QString>
#include <QTextStream>

#include <memory>
#include <optional>
#include <utility>

namespace nestscope {

class SignalWatcher;
class Transport;

namespace cli {

/// Standard error, as the commands write it (flush after each message).
QTextStream &err();

/// The width of the terminal standard error is, or 0 when it is not a terminal (a log, a pipe)
/// or TERM says it cannot redraw a line.
int terminalColumns();

/// A usage error of `nestscope COMMAND` (empty: the workbench): what is wrong, where to read
/// more; exit code 2.
int usageError(const QString &message, const QString &command = QStringLiteral("run"));

/// Writes one output; "-" is standard output. A write that fails (a full disk, `>/dev/full`, a
/// closed descriptor) is an error with its reason, never a silent success; a regular file is
/// replaced only by a complete one (writeWholeFile()).
bool writeOutput(const QString &path, const QByteArray &data, QString *error);

/// Checks, before anything runs, that each (option, path) can be written; says why not for
/// every one that cannot, as "nestscope COMMAND: cannot write --json PATH: why".
bool outputsWritable(const QList<std::pair<QString, QString>> &outputs, const QString &command);

/// "SIGINT", "SIGTERM", "SIGHUP" or "signal N".
QString signalName(int signal);

/// Asks on the controlling terminal, as ssh does; with no terminal (a CI job) the answer is "no".
/// Unknown host keys are never asked about here: --accept-new-host-key decides.
class TerminalInteraction final : public SshInteraction {
public:
    std::optional<QString> passphrase(const QString &keyFile) override;
    std::optional<QString> password(const QString &userAtHost) override;
    QString noPromptReason() const override;
    QString noPromptAdvice() const override;

private:
    static std::optional<QString> ask(const QString &prompt);
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

    /// The options' help lines, shared by `run` and `topology`.
    static QString help();
};

/// The transport to the runner the options name. An SSH host is connected here, before anything
/// runs, so that a refused host key is one clear message rather than one per command. On failure
/// the reason goes to standard error as "nestscope <command>: ..." and the result is null.
std::unique_ptr<Transport> connectRunner(const QCommandLineParser &parser, const RunnerOptions &options,
    SshInteraction *interaction, const QString &command, SignalWatcher *interruption);

/// Discovers the runner's topology over `transport`, waiting for it (the CLI has nothing else to
/// do) or for a signal, which cancels it (its commands are killed) and gives an error.
Result<Topology> discoverTopology(Transport *transport, SignalWatcher *interruption);

} // namespace cli

} // namespace nestscope
