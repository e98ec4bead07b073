#pragma once

#include <QMetaType>
#include <QString>
#include <QStringList>

#include <chrono>
#include <optional>

namespace nestscope {

/// Where and how to connect. Empty fields fall back to the ssh config (~/.ssh/config or `configFile`),
/// then to OpenSSH's defaults, so "runner-3" alone behaves as `ssh runner-3` does.
struct SshTarget {
    QString host; ///< a Host alias from the config, a host name or an address
    QString user;
    int port = 0;
    QString identityFile; ///< tried before the config's IdentityFile entries and the default keys
    /// "[user@]host[:port]", or several separated by commas (a chain, first hop first, as in
    /// `ProxyJump a,b`); empty = the config's ProxyJump; "none" = connect directly.
    QString proxyJump;
    QString configFile; ///< empty = ~/.ssh/config; a file given here replaces it (like `ssh -F`)
    QString knownHostsFile; ///< empty = ~/.ssh/known_hosts
    /// Non-interactive policy for an unknown host key (`--accept-new-host-key`): accept and record it.
    /// A changed key is refused whatever this says.
    bool acceptNewHostKey = false;
    bool useAgent = true;
    std::chrono::seconds connectTimeout { 0 }; ///< 0 = the config's ConnectTimeout, else 15 s
    /// How long a silent peer is tolerated: probes go out at a third of it; a dead link fails every
    /// command in flight with ConnectionLost within this interval.
    std::chrono::milliseconds keepaliveInterval { 15000 };
    /// Exec channels in flight; stays below OpenSSH's default MaxSessions (10) and shrinks further
    /// when the server refuses a channel.
    int maxChannels = 8;
    /// Run commands through long-lived `sh` processes, one per channel slot, instead of one exec
    /// channel each (Ansible pipelining / Mitogen style): the login shell and its rc files start
    /// once per slot, not once per command. Falls back to exec channels if the server refuses.
    /// A timeout or cancel kills the slot's shell and the next command gets a new one.
    bool persistentShells = false;

    /// Parses what a person types: "[user@]host[:port]", "[user@][v6addr]:port", "ssh://user@host:port",
    /// or a Host alias. Everything else keeps its default.
    static SshTarget fromSpec(const QString &spec);

    /// "user@host:port" as far as it is known before the config is read, for messages and the title.
    QString displayName() const
    {
        QString s = host;
        if (!user.isEmpty()) {
            s = user + QLatin1Char('@') + s;
        }
        if (port > 0) {
            s += QLatin1Char(':') + QString::number(port);
        }
        return s;
    }
};

/// A server's host key as shown to the person who decides whether to trust it.
struct HostKeyInfo {
    enum class Status {
        Unknown, ///< no entry for this host in known_hosts
        Changed, ///< an entry exists and holds a different key: refused, always
    };
    Status status = Status::Unknown;
    QString host; ///< as written in known_hosts, e.g. "[127.0.0.1]:2222"
    QString keyType; ///< e.g. "ssh-ed25519"
    QString fingerprint; ///< "SHA256:..." as OpenSSH prints it
    QString knownHostsFile;
    /// For Changed: the recorded key's fingerprint, the line number (0 if not found) and its text.
    QString knownFingerprint;
    int knownHostsLine = 0;
    QString knownHostsEntry;
    bool viaJumpHost = false; ///< the key belongs to a ProxyJump host, not the target
    /// For a jump host: its place in the chain (1 = the first, reached directly) and the chain's length.
    int jumpHop = 0;
    int jumpHops = 0;
};

/// One question of a keyboard-interactive login (RFC 4256), worded by the server; on Debian with
/// PAM it is a single "Password: " without echo.
struct SshPrompt {
    QString userAtHost;
    QString name; ///< the server's title for the exchange, often empty
    QString instruction; ///< text to show with the prompt, often empty
    QString text; ///< e.g. "Password: " or "Verification code: "
    bool echo = false; ///< false: a secret, typed without echo
};

enum class HostKeyDecision { Refuse, AcceptOnce, AcceptAndSave };

/// The questions a connection may need a person to answer. Called in the thread that owns the
/// SshTransport (the GUI thread may open a modal dialog); the connection's worker thread waits.
/// The defaults are the non-interactive answers: refuse, no passphrase, no password.
class SshInteraction {
public:
    SshInteraction() = default;
    virtual ~SshInteraction() = default;
    SshInteraction(const SshInteraction &) = delete;
    SshInteraction &operator=(const SshInteraction &) = delete;

    virtual HostKeyDecision unknownHostKey(const HostKeyInfo &info)
    {
        Q_UNUSED(info)
        return HostKeyDecision::Refuse;
    }
    /// A passphrase for an encrypted key file; nullopt gives up on that key.
    virtual std::optional<QString> passphrase(const QString &keyFile)
    {
        Q_UNUSED(keyFile)
        return std::nullopt;
    }
    /// Why no passphrase, password or prompt can be answered here at all, worded to follow
    /// "no password can be asked" (the CLI without a terminal: "without a terminal"); empty when
    /// someone can answer. Asked before a prompt, so that a login nobody could answer reports what
    /// went wrong with the keys instead of a cancel nobody made.
    virtual QString noPromptReason() const { return {}; }
    /// What to do instead when noPromptReason() is not empty, e.g. "use --identity or ssh-agent".
    virtual QString noPromptAdvice() const { return {}; }
    /// A password for "user@host"; nullopt cancels the login. Asked once per connection: a
    /// rejected password ends the login rather than asking again. Never stored by the transport.
    virtual std::optional<QString> password(const QString &userAtHost)
    {
        Q_UNUSED(userAtHost)
        return std::nullopt;
    }
    /// One keyboard-interactive prompt; nullopt cancels the login. The default hands a password
    /// prompt without echo to password(), so that an interaction that only knows passwords (the
    /// CLI's terminal) still logs in through PAM; other prompts go unanswered.
    virtual std::optional<QString> keyboardInteractive(const SshPrompt &prompt)
    {
        if (!prompt.echo && prompt.text.contains(QLatin1String("password"), Qt::CaseInsensitive)) {
            return password(prompt.userAtHost);
        }
        return std::nullopt;
    }
};

} // namespace nestscope

Q_DECLARE_METATYPE(nestscope::HostKeyInfo)
