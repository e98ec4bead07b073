#pragma once

#include <QList>
#include <QString>
#include <QStringList>

namespace nestscope {

/// The login name of the user running Nestscope (the passwd entry, else $USER): the SSH user when
/// neither the target nor the config names one, as for ssh.
QString localUser();

/// What an OpenSSH client config says about one host (first value wins, as in ssh_config(5)).
struct SshHostConfig {
    QString hostName;
    QString user;
    int port = 0;
    QStringList identityFiles; ///< accumulated in order, `~` expanded
    QString proxyJump;
    int connectTimeout = 0; ///< seconds, 0 = not set
};

/// A small reader for the parts of ssh_config(5) that Nestscope itself needs: the Host aliases (for
/// completion in the connect dialog), and ProxyJump and IdentityFile, which the transport handles
/// itself rather than through libssh (native jump with our host-key policy, passphrase prompts).
/// Everything else (HostName, User, Port, ciphers, ...) is applied by libssh's own parser too.
/// `Match` blocks are skipped; `Include` is followed (globs, relative to ~/.ssh).
class SshConfigFile {
public:
    /// ~/.ssh/config
    static QString defaultPath();
    /// Reads `path`; a missing or unreadable file gives an empty config, as for OpenSSH.
    static SshConfigFile load(const QString &path);

    /// Host patterns without wildcards or negation, in file order, without duplicates.
    QStringList hostAliases() const;
    SshHostConfig lookup(const QString &host) const;

private:
    struct Option {
        QString key; ///< lower case
        QString value;
    };
    struct Block {
        QStringList patterns; ///< empty for the options before the first Host line
        bool isMatch = false;
        QList<Option> options;
    };
    void parseFile(const QString &path, int depth);
    static bool matches(const QStringList &patterns, const QString &host);

    QList<Block> m_blocks;
};

} // namespace nestscope
