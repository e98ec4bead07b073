#pragma once

#include <QByteArray>
#include <QProcess>
#include <QString>
#include <QTemporaryDir>

#include <memory>
#include <optional>

namespace nestscope::test {

/// A private OpenSSH server for tests: /usr/sbin/sshd on 127.0.0.1 and a free port, with its own
/// host key, authorized key and known_hosts in a temporary directory.
///
/// As root (CI) it logs in as the system user `nestscope-test` (shell /bin/sh), created on first
/// use; as anyone else it can only log in as that same user, so it uses the current user.
/// Nothing here listens anywhere but 127.0.0.1.
class SshServer {
public:
    struct Options {
        int maxSessions = 10;
        QString extraConfig;
        /// Log in as `nestscope-test-bash` (login shell /bin/bash) with this ~/.bashrc instead, to
        /// see what a slow or chatty rc file costs. Needs root; start() fails without it.
        std::optional<QByteArray> bashrc;
        /// Also let the test user log in with password() (`PasswordAuthentication yes`), and/or by
        /// keyboard-interactive (`KbdInteractiveAuthentication yes`), which OpenSSH on Linux only
        /// offers through PAM: either one turns on `UsePAM`, and Debian's /etc/pam.d/sshd then asks
        /// a single "Password: " without echo. Needs root; start() fails without it.
        bool passwordAuthentication = false;
        bool keyboardInteractive = false;
    };

    SshServer();
    ~SshServer();
    SshServer(const SshServer &) = delete;
    SshServer &operator=(const SshServer &) = delete;

    /// Generates keys and starts sshd; false with a reason in `error()` if that is impossible here.
    bool start(const Options &options);
    bool start() { return start(Options {}); }
    QString error() const { return m_error; }

    int port() const { return m_port; }
    QString user() const { return m_user; }
    QString userHome() const { return m_home; }
    QString dir() const { return m_dir.path(); }
    /// The ed25519 key the server accepts (no passphrase) and one it does not know.
    QString clientKey() const { return dir() + QStringLiteral("/client_key"); }
    QString wrongKey() const { return dir() + QStringLiteral("/wrong_key"); }
    /// An encrypted key the server also accepts, and its passphrase.
    QString encryptedKey() const { return dir() + QStringLiteral("/encrypted_key"); }
    static QString passphrase() { return QStringLiteral("correct horse battery"); }
    /// As root: the test user's password (random, one per boot, see ensureUser()); empty otherwise.
    QString password() const { return m_password; }
    /// A known_hosts line for this server's real host key ("[127.0.0.1]:port ssh-ed25519 AAAA...").
    QByteArray knownHostsLine() const;
    /// The same, but with a freshly generated key: what a changed host key looks like.
    QByteArray impostorKnownHostsLine() const;
    /// An empty ssh config, so that tests do not depend on ~/.ssh/config.
    QString emptyConfig() const { return dir() + QStringLiteral("/ssh_config"); }

    /// SIGKILL to sshd and to the per-connection processes it forked: the peer is gone, the
    /// kernel closes the sockets.
    void kill();
    /// SIGSTOP / SIGCONT to the per-connection processes only: the link stays up but the peer
    /// goes silent, as a hung or unreachable host does. New connections still work.
    void freezeConnections(bool frozen);

    /// Runs a program to the end (for ssh-keygen, ssh-add, useradd); false on failure.
    static bool run(const QString &program, const QStringList &args, QString *output = nullptr,
        const QProcessEnvironment &env = QProcessEnvironment::systemEnvironment());

private:
    QList<qint64> connectionPids() const;
    bool ensureUser(const Options &options);

    QTemporaryDir m_dir;
    QProcess m_sshd;
    int m_port = 0;
    QString m_user;
    QString m_home;
    QString m_password;
    QString m_error;
};

/// A private ssh-agent holding the given key, for the duration of a test.
class SshAgent {
public:
    SshAgent() = default;
    ~SshAgent();
    bool start(const QString &socketPath, const QString &key);
    QString socketPath() const { return m_socket; }

private:
    QProcess m_agent;
    QString m_socket;
};

} // namespace nestscope::test
