#pragma once

// Internal to the SSH transport: the known_hosts lines that libssh 0.10 skips without a word.

#include <QByteArray>
#include <QList>
#include <QString>

namespace nestscope::detail {

/// A known_hosts line with a marker (sshd(8), "SSH_KNOWN_HOSTS FILE FORMAT"). libssh 0.10's
/// ssh_session_is_known_server() skips every line that starts with '@', so a revoked key would
/// look merely unknown and a host vouched for by a CA would look like one never seen: both
/// would then be offered for acceptance. Nestscope reads these lines itself.
struct KnownHostsMarker {
    enum class Kind {
        Revoked, ///< `@revoked`: this key must never be accepted for the hosts named
        CertAuthority, ///< `@cert-authority`: host certificates signed by this key are trusted
    };
    Kind kind = Kind::Revoked;
    QString file;
    int line = 0;
    QString text; ///< the whole line, trimmed
    QString keyType; ///< e.g. "ssh-ed25519"
    QByteArray keyBlob; ///< the key's wire form (the base64 field, decoded)

    /// The marker lines of `file` whose host field names `host` ("name" or "[name]:port", as
    /// known_hosts writes it). A missing or unreadable file has none. Unknown markers are skipped,
    /// as OpenSSH skips them.
    static QList<KnownHostsMarker> find(const QString &file, const QString &host);

    /// Whether a known_hosts host field names `host`, as OpenSSH's match_hostname() decides: a
    /// hashed name (`|1|salt|hmac`), or a comma-separated list of patterns with `*` and `?`,
    /// where a matching negated pattern (`!pattern`) rules the line out. Case-insensitive.
    static bool hostFieldMatches(const QByteArray &field, const QByteArray &host);
};

} // namespace nestscope::detail
