#pragma once

#include "transport.h"

#include <QPointer>

#include <chrono>
#include <memory>

namespace nestscope {

namespace detail {
class InstanceShells;
} // namespace detail

/// Runs commands inside an LXD or Incus instance through another transport (local or SSH):
/// `lxc exec NAME -- sh -c CMD` or `incus exec ...`, whichever client the runner has. Every word is
/// quoted for the runner's shell, and the instance name is validated before anything runs.
///
/// When the client cannot start the command, the result is FailedToStart with a message that says
/// which: the instance is not running, its VM agent is not answering, it does not exist, or no
/// client is installed. A marker that the wrapper writes to stderr inside the instance before the
/// command starts tells these apart from a command that merely failed; it is removed from stderr.
///
/// Long-lived shells (on by default, see setMaxShells): when the runner's transport can run an
/// interactive command (Transport::startInteractive), commands are written, framed by random
/// tokens, to up to three `lxc exec NAME -- sh` processes that each start once, instead of paying
/// for an `lxc exec` (70-120 ms) per command. A shell that cannot start, or dies, falls back to
/// plain exec (which then names the client's error); a timeout or cancel kills that shell.
class InstanceTransport final : public Transport {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(InstanceTransport)
public:
    enum class Client { Auto, Lxc, Incus };

    /// `runner` is not owned and must outlive this transport.
    InstanceTransport(
        Transport *runner, const QString &instance, Client client = Client::Auto, QObject *parent = nullptr);
    ~InstanceTransport() override;

    QString description() const override;
    CommandJob *start(const CommandRequest &request) override;

    QString instance() const { return m_instance; }
    Client client() const { return m_client; }
    /// LXD's rules: 1-63 letters, digits and dashes, starting with a letter, not ending with a dash.
    static bool isValidInstanceName(const QString &name);
    /// The command line the runner executes for `command` (exposed for tests and the console view).
    QString wrap(const QString &command) const;
    /// The command line that starts a long-lived shell in the instance.
    QString shellCommand() const;

    /// At most this many long-lived shells in the instance (default 3); 0 runs every command
    /// with its own `lxc exec`. Commands beyond what the shells can take run with their own.
    void setMaxShells(int count);
    int maxShells() const;
    /// How long a command waits for a busy shell before it gets an `lxc exec` of its own
    /// (default 200 ms); negative: it always waits. The number of shells never exceeds
    /// maxShells either way; only these overflow execs depend on how fast the machine is.
    void setShellWait(std::chrono::milliseconds wait);
    /// Shells running now (started or starting), for tests.
    int shellCount() const;

private:
    QString clientPick() const;
    CommandJob *startExec(const CommandRequest &request);
    friend class detail::InstanceShells;

    QPointer<Transport> m_runner;
    QString m_instance;
    Client m_client;
    std::unique_ptr<detail::InstanceShells> m_shells;
};

} // namespace nestscope
