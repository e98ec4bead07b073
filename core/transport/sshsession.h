#pragma once

// Internal to the SSH transport: establishing one authenticated libssh session. Everything here
// runs in the thread that owns the session (the transport's worker, or a jump tunnel's thread).

#include "common/result.h"
#include "sshoptions.h"

#include <QPointer>

#include <atomic>
#include <functional>
#include <memory>
#include <thread>
#include <vector>

struct ssh_session_struct;
struct ssh_channel_struct;

namespace nestscope::detail {

struct SessionDeleter {
    void operator()(ssh_session_struct *session) const;
};
using SessionPtr = std::unique_ptr<ssh_session_struct, SessionDeleter>;

/// Puts a question to the SshInteraction in the owner's thread and waits for the answer in the
/// calling (worker) thread. Gives the non-interactive answer if the owner goes away or aborts.
class SshAsker {
public:
    SshAsker(QObject *owner, std::function<SshInteraction *()> interaction, std::shared_ptr<std::atomic_bool> abort);

    HostKeyDecision unknownHostKey(const HostKeyInfo &info);
    std::optional<QString> passphrase(const QString &keyFile);
    std::optional<QString> password(const QString &userAtHost);
    std::optional<QString> keyboardInteractive(const SshPrompt &prompt);
    /// SshInteraction::noPromptReason(); without an interaction (or its owner), a reason of its own.
    QString noPromptReason();
    QString noPromptAdvice();

private:
    template <typename T> T ask(std::function<T(SshInteraction &)> question, T fallback);

    QPointer<QObject> m_owner;
    std::function<SshInteraction *()> m_interaction;
    std::shared_ptr<std::atomic_bool> m_abort;
};

class JumpTunnel;

/// An authenticated session and, for ProxyJump, the tunnels its socket runs through (first hop
/// first; each tunnel's jump session runs over the previous tunnel's socket).
struct ConnectedSession {
    SessionPtr session;
    std::vector<std::unique_ptr<JumpTunnel>> tunnels;
    QString description; ///< "user@host:port" (via "jump")
    ConnectedSession();
    ConnectedSession(ConnectedSession &&) noexcept;
    ConnectedSession &operator=(ConnectedSession &&) noexcept;
    ~ConnectedSession();
};

/// Connects as `ssh target.host` would: config, ProxyJump (natively, one hop after the other, every
/// host key checked by our policy), host key verification, then agent, key files,
/// keyboard-interactive and password. Blocks the calling thread.
Result<ConnectedSession> openSession(const SshTarget &target, SshAsker &asker);

/// Where a jump host sits in a ProxyJump chain: hop 1 of `hops` is reached directly.
struct JumpHop {
    int hop = 1;
    int hops = 1;
};

/// Carries the next session's bytes (the target's, or the next jump host's) through a
/// direct-tcpip channel of a jump host's session. The jump session lives and dies on the tunnel's
/// own thread; the next session gets a socket.
class JumpTunnel {
public:
    JumpTunnel() = default;
    ~JumpTunnel();
    JumpTunnel(const JumpTunnel &) = delete;
    JumpTunnel &operator=(const JumpTunnel &) = delete;

    /// Blocks until the jump host is connected (directly, or over `fd` from the previous hop's
    /// tunnel, which the jump session then owns) and the channel to destHost:destPort is open.
    /// Returns the socket for the next session (libssh closes it when that session ends).
    Result<int> start(
        const SshTarget &jump, int fd, JumpHop hop, const QString &destHost, int destPort, SshAsker asker);

private:
    std::thread m_thread;
    std::atomic_bool m_stop { false };
};

} // namespace nestscope::detail
