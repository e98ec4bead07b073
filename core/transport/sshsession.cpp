#include "sshsession.h"

#include "common/logging.h"
#include "knownhostsmarker.h"
#include "sshconfig.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QFileInfo>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <future>
#include <libssh/callbacks.h>
#include <libssh/libssh.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

namespace nestscope::detail {

void SessionDeleter::operator()(ssh_session_struct *session) const
{
    if (session) {
        ssh_disconnect(session);
        ssh_free(session);
    }
}

ConnectedSession::ConnectedSession() = default;
ConnectedSession::ConnectedSession(ConnectedSession &&) noexcept = default;
ConnectedSession &ConnectedSession::operator=(ConnectedSession &&) noexcept = default;
ConnectedSession::~ConnectedSession()
{
    // The target session goes first, then the hops from the last: each session's disconnect
    // message still travels through the tunnels before it.
    session.reset();
    while (!tunnels.empty()) {
        tunnels.pop_back();
    }
}

// ---------------------------------------------------------------------------------------------

SshAsker::SshAsker(
    QObject *owner, std::function<SshInteraction *()> interaction, std::shared_ptr<std::atomic_bool> abort)
    : m_owner(owner)
    , m_interaction(std::move(interaction))
    , m_abort(std::move(abort))
{
}

template <typename T> T SshAsker::ask(std::function<T(SshInteraction &)> question, T fallback)
{
    if (!m_owner) {
        return fallback;
    }
    auto promise = std::make_shared<std::promise<T>>();
    std::future<T> answer = promise->get_future();
    auto interaction = m_interaction;
    QMetaObject::invokeMethod(
        m_owner.data(),
        [promise, interaction, question, fallback] {
            SshInteraction *i = interaction ? interaction() : nullptr;
            promise->set_value(i ? question(*i) : fallback);
        },
        Qt::QueuedConnection);
    // A person may take minutes; the abort flag lets a disconnect or shutdown end the wait.
    while (answer.wait_for(std::chrono::milliseconds(100)) != std::future_status::ready) {
        if (m_abort && m_abort->load()) {
            return fallback;
        }
    }
    return answer.get();
}

HostKeyDecision SshAsker::unknownHostKey(const HostKeyInfo &info)
{
    return ask<HostKeyDecision>(
        [info](SshInteraction &i) {
            return i.unknownHostKey(info);
        },
        HostKeyDecision::Refuse);
}

std::optional<QString> SshAsker::passphrase(const QString &keyFile)
{
    return ask<std::optional<QString>>(
        [keyFile](SshInteraction &i) {
            return i.passphrase(keyFile);
        },
        std::nullopt);
}

std::optional<QString> SshAsker::password(const QString &userAtHost)
{
    return ask<std::optional<QString>>(
        [userAtHost](SshInteraction &i) {
            return i.password(userAtHost);
        },
        std::nullopt);
}

std::optional<QString> SshAsker::keyboardInteractive(const SshPrompt &prompt)
{
    return ask<std::optional<QString>>(
        [prompt](SshInteraction &i) {
            return i.keyboardInteractive(prompt);
        },
        std::nullopt);
}

QString SshAsker::noPromptReason()
{
    return ask<QString>(
        [](SshInteraction &i) {
            return i.noPromptReason();
        },
        QStringLiteral("on this connection (it has nobody to answer prompts)"));
}

QString SshAsker::noPromptAdvice()
{
    return ask<QString>(
        [](SshInteraction &i) {
            return i.noPromptAdvice();
        },
        QStringLiteral("use ssh-agent or a key the server accepts"));
}

// ---------------------------------------------------------------------------------------------

namespace {

Error failure(const QString &message)
{
    Error e;
    e.message = message;
    return e;
}

QString sshError(ssh_session s)
{
    return QString::fromUtf8(ssh_get_error(s));
}

/// OpenSSH's fingerprint notation for a key blob: "SHA256:" + unpadded base64 of its SHA-256.
QString fingerprintOfBlob(const QByteArray &blob)
{
    const QByteArray hash = QCryptographicHash::hash(blob, QCryptographicHash::Sha256);
    return QStringLiteral("SHA256:") + QString::fromLatin1(hash.toBase64(QByteArray::OmitTrailingEquals));
}

/// Finds the known_hosts line that holds a key of `keyType` for `host` ("host" or "[host]:port").
void findKnownHostsLine(HostKeyInfo &info)
{
    QFile file(info.knownHostsFile);
    if (!file.open(QIODevice::ReadOnly)) {
        return;
    }
    int number = 0;
    while (!file.atEnd()) {
        const QByteArray line = file.readLine();
        ++number;
        const QList<QByteArray> fields = line.simplified().split(' ');
        // Lines with a marker (@revoked, @cert-authority) are not what libssh compared the key with.
        if (fields.size() < 3 || fields.at(0).startsWith('#') || fields.at(0).startsWith('@')) {
            continue;
        }
        if (!KnownHostsMarker::hostFieldMatches(fields.at(0), info.host.toUtf8())) {
            continue;
        }
        const bool sameType = QString::fromLatin1(fields.at(1)) == info.keyType;
        if (info.knownHostsLine == 0 || sameType) {
            info.knownHostsLine = number;
            info.knownHostsEntry = QString::fromUtf8(line.trimmed());
            info.knownFingerprint = fingerprintOfBlob(QByteArray::fromBase64(fields.at(2)));
            if (sameType) {
                return;
            }
        }
    }
}

/// "jump host [h]:p", "jump host [h]:p (hop 2 of 3)" or "host [h]:p", for messages.
QString hostRole(const QString &host, const std::optional<JumpHop> &jump)
{
    if (!jump) {
        return QStringLiteral("host %1").arg(host);
    }
    if (jump->hops <= 1) {
        return QStringLiteral("jump host %1").arg(host);
    }
    return QStringLiteral("jump host %1 (hop %2 of %3)").arg(host).arg(jump->hop).arg(jump->hops);
}

Result<bool> verifyHostKey(ssh_session s, const SshTarget &target, SshAsker &asker, const std::optional<JumpHop> &jump)
{
    const bool viaJump = jump.has_value();
    ssh_key key = nullptr;
    if (ssh_get_server_publickey(s, &key) != SSH_OK) {
        return failure(QStringLiteral("the server sent no host key: %1").arg(sshError(s)));
    }
    HostKeyInfo info;
    info.viaJumpHost = viaJump;
    if (jump) {
        info.jumpHop = jump->hop;
        info.jumpHops = jump->hops;
    }
    info.keyType = QString::fromLatin1(ssh_key_type_to_char(ssh_key_type(key)));
    unsigned char *hash = nullptr;
    size_t hashLen = 0;
    if (ssh_get_publickey_hash(key, SSH_PUBLICKEY_HASH_SHA256, &hash, &hashLen) == 0) {
        char *fp = ssh_get_fingerprint_hash(SSH_PUBLICKEY_HASH_SHA256, hash, hashLen);
        info.fingerprint = QString::fromLatin1(fp);
        ssh_string_free_char(fp);
        ssh_clean_pubkey_hash(&hash);
    }
    // The key's wire form, to compare with the lines libssh does not read (see KnownHostsMarker).
    QByteArray keyBlob;
    char *base64 = nullptr;
    if (ssh_pki_export_pubkey_base64(key, &base64) == SSH_OK && base64) {
        keyBlob = QByteArray::fromBase64(QByteArray(base64));
        ssh_string_free_char(base64);
    }
    ssh_key_free(key);
    if (keyBlob.isEmpty() || info.fingerprint.isEmpty()) {
        return failure(QStringLiteral("cannot read the host key the server sent: %1").arg(sshError(s)));
    }

    char *entry = nullptr;
    if (ssh_session_export_known_hosts_entry(s, &entry) == SSH_OK && entry) {
        info.host = QString::fromUtf8(entry).section(QLatin1Char(' '), 0, 0);
        ssh_string_free_char(entry);
    }
    char *khFile = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_KNOWNHOSTS, &khFile) == SSH_OK && khFile) {
        info.knownHostsFile = QString::fromLocal8Bit(khFile);
        ssh_string_free_char(khFile);
    }
    const QString who = hostRole(info.host, jump);

    // Markers, which libssh 0.10 skips: a revoked key is refused before anything else, as OpenSSH
    // does, even when another line trusts it.
    QList<KnownHostsMarker> markers = KnownHostsMarker::find(info.knownHostsFile, info.host);
    char *globalFile = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_GLOBAL_KNOWNHOSTS, &globalFile) == SSH_OK && globalFile) {
        markers += KnownHostsMarker::find(QString::fromLocal8Bit(globalFile), info.host);
        ssh_string_free_char(globalFile);
    }
    for (const KnownHostsMarker &m : std::as_const(markers)) {
        if (m.kind == KnownHostsMarker::Kind::Revoked && m.keyBlob == keyBlob) {
            return failure(QStringLiteral("REFUSED: REVOKED HOST KEY DETECTED for %1: its %2 key %3 is marked "
                                          "@revoked in %4 line %5 (%6). A revoked key is never accepted, whatever "
                                          "else known_hosts says; ask the host's administrator for the host's "
                                          "current key. No command was run.")
                               .arg(who, info.keyType, info.fingerprint, m.file)
                               .arg(m.line)
                               .arg(m.text));
        }
    }
    const auto certAuthority = std::find_if(markers.cbegin(), markers.cend(), [](const KnownHostsMarker &m) {
        return m.kind == KnownHostsMarker::Kind::CertAuthority;
    });

    switch (ssh_session_is_known_server(s)) {
    case SSH_KNOWN_HOSTS_OK:
        return true;
    case SSH_KNOWN_HOSTS_CHANGED:
    case SSH_KNOWN_HOSTS_OTHER: {
        info.status = HostKeyInfo::Status::Changed;
        findKnownHostsLine(info);
        // Never asked, never overridable from here: a changed key is how a man in the middle looks.
        return failure(
            QStringLiteral("REFUSED: the host key of %1 has changed. It now offers %2 key %3, but %4 line %5 "
                           "records %6 (%7). Someone could be intercepting the connection, or the host "
                           "was reinstalled; check with its administrator, then remove that line "
                           "(ssh-keygen -R '%8' -f %4) to accept the new key. No command was run.")
                .arg(viaJump ? who : info.host, info.keyType, info.fingerprint, info.knownHostsFile)
                .arg(info.knownHostsLine)
                .arg(info.knownFingerprint.isEmpty() ? QStringLiteral("another key") : info.knownFingerprint,
                    info.knownHostsEntry, info.host));
    }
    case SSH_KNOWN_HOSTS_UNKNOWN:
    case SSH_KNOWN_HOSTS_NOT_FOUND: {
        if (certAuthority != markers.cend()) {
            // The host is meant to be trusted through its certificate, which Nestscope cannot
            // check: offering its plain key as "unknown" would ask the person to trust what
            // known_hosts never vouched for.
            return failure(
                QStringLiteral("REFUSED: %1 is to be trusted through a host certificate signed by the "
                               "authority in %2 line %3 (@cert-authority), and Nestscope cannot check "
                               "host certificates. It offers the plain %4 key %5, which is not on "
                               "record. Check that fingerprint with the host's administrator and add "
                               "the host's own key to %6 (e.g. \"%7 %4 KEY\"), or connect with OpenSSH. "
                               "No command was run.")
                    .arg(who, certAuthority->file)
                    .arg(certAuthority->line)
                    .arg(info.keyType, info.fingerprint,
                        info.knownHostsFile.isEmpty() ? QStringLiteral("~/.ssh/known_hosts") : info.knownHostsFile,
                        info.host));
        }
        info.status = HostKeyInfo::Status::Unknown;
        // --accept-new-host-key is OpenSSH's StrictHostKeyChecking=accept-new: record it, ask nobody.
        const HostKeyDecision decision
            = target.acceptNewHostKey ? HostKeyDecision::AcceptAndSave : asker.unknownHostKey(info);
        switch (decision) {
        case HostKeyDecision::Refuse:
            return failure(QStringLiteral("REFUSED: %1 is not in %2 (its %3 key is %4). Accept it in the connect "
                                          "dialog, or with --accept-new-host-key, or add it to known_hosts after "
                                          "checking the fingerprint with the host's administrator.")
                               .arg(who, info.knownHostsFile, info.keyType, info.fingerprint));
        case HostKeyDecision::AcceptAndSave:
            if (!info.knownHostsFile.isEmpty()) {
                QDir().mkpath(QFileInfo(info.knownHostsFile).absolutePath());
            }
            if (ssh_session_update_known_hosts(s) != SSH_OK) {
                qCWarning(lcSsh) << "could not record the host key in" << info.knownHostsFile << sshError(s);
            }
            return true;
        case HostKeyDecision::AcceptOnce:
            return true;
        }
        return true;
    }
    case SSH_KNOWN_HOSTS_ERROR:
        break;
    }
    return failure(
        QStringLiteral("cannot check the host key of %1 against %2: %3").arg(who, info.knownHostsFile, sshError(s)));
}

struct PassphraseContext {
    SshAsker *asker;
    QString keyFile;
    bool canAsk = true; ///< false: nobody could answer (SshAsker::noPromptReason())
    bool asked = false; ///< libssh wanted a passphrase: the key is encrypted
    bool answered = false; ///< and someone typed one
};

int passphraseCallback(const char *prompt, char *buf, size_t len, int echo, int verify, void *userdata)
{
    Q_UNUSED(prompt)
    Q_UNUSED(echo)
    Q_UNUSED(verify)
    auto *ctx = static_cast<PassphraseContext *>(userdata);
    ctx->asked = true;
    if (!ctx->canAsk) {
        return -1;
    }
    std::optional<QString> answer = ctx->asker->passphrase(ctx->keyFile);
    if (!answer) {
        return -1;
    }
    ctx->answered = true;
    QByteArray bytes = answer->toUtf8();
    answer->fill(QLatin1Char('\0'));
    if (static_cast<size_t>(bytes.size()) >= len) {
        bytes.fill('\0');
        return -1;
    }
    std::memcpy(buf, bytes.constData(), bytes.size());
    buf[bytes.size()] = '\0';
    bytes.fill('\0');
    return 0;
}

/// One keyboard-interactive exchange (RFC 4256): every prompt of every round the server sends is
/// put to the person. Returns false when the server denies the answers, an error when the person
/// cancels (no further method is tried then) or the exchange breaks. `answered`: someone was asked.
Result<bool> keyboardInteractive(ssh_session s, const QString &userAtHost, SshAsker &asker, bool *answered)
{
    // A server that keeps asking must not keep the person answering for ever.
    constexpr int kMaxRounds = 8;
    int rc = ssh_userauth_kbdint(s, nullptr, nullptr);
    for (int round = 0; rc == SSH_AUTH_INFO; ++round) {
        if (round == kMaxRounds) {
            return failure(QStringLiteral("login to %1 stopped: the server asked more than %2 rounds of questions")
                               .arg(userAtHost)
                               .arg(kMaxRounds));
        }
        const int prompts = ssh_userauth_kbdint_getnprompts(s);
        if (prompts < 0) {
            return failure(QStringLiteral("authentication as %1 failed: cannot read the server's questions: %2")
                               .arg(userAtHost, sshError(s)));
        }
        for (int i = 0; i < prompts; ++i) {
            char echo = 0;
            const char *text = ssh_userauth_kbdint_getprompt(s, static_cast<unsigned>(i), &echo);
            if (!text) {
                return failure(QStringLiteral("authentication as %1 failed: cannot read the server's question %2: %3")
                                   .arg(userAtHost)
                                   .arg(i + 1)
                                   .arg(sshError(s)));
            }
            SshPrompt prompt;
            prompt.userAtHost = userAtHost;
            prompt.name = QString::fromUtf8(ssh_userauth_kbdint_getname(s));
            prompt.instruction = QString::fromUtf8(ssh_userauth_kbdint_getinstruction(s));
            prompt.text = QString::fromUtf8(text);
            prompt.echo = echo != 0;
            *answered = true;
            std::optional<QString> answer = asker.keyboardInteractive(prompt);
            if (!answer) {
                return failure(QStringLiteral("login to %1 cancelled: no answer to the server's prompt \"%2\"")
                                   .arg(userAtHost, prompt.text.trimmed()));
            }
            QByteArray bytes = answer->toUtf8();
            answer->fill(QLatin1Char('\0'));
            const int set = ssh_userauth_kbdint_setanswer(s, static_cast<unsigned>(i), bytes.constData());
            bytes.fill('\0');
            if (set < 0) {
                return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
            }
        }
        // A round without prompts (OpenSSH sends one after PAM is satisfied) is answered as is.
        rc = ssh_userauth_kbdint(s, nullptr, nullptr);
    }
    if (rc == SSH_AUTH_SUCCESS) {
        return true;
    }
    if (rc == SSH_AUTH_ERROR) {
        return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
    }
    return false; // denied (or partial: more methods needed, which Nestscope does not chain)
}

QString methodNames(int methods)
{
    QStringList names;
    if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
        names << QStringLiteral("publickey");
    }
    if (methods & SSH_AUTH_METHOD_PASSWORD) {
        names << QStringLiteral("password");
    }
    if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
        names << QStringLiteral("keyboard-interactive");
    }
    if (methods & SSH_AUTH_METHOD_GSSAPI_MIC) {
        names << QStringLiteral("gssapi-with-mic");
    }
    return names.isEmpty() ? QStringLiteral("none") : names.join(QStringLiteral(", "));
}

/// The key files to offer, and whether they were named (explicitly, or by the config's
/// IdentityFile) rather than OpenSSH's defaults: only a named key that is missing is worth a word.
struct Identities {
    QStringList files;
    bool named = false;
};

/// The first letter in lower case, for an error text in the middle of a sentence.
QString lowerFirst(QString text)
{
    if (!text.isEmpty()) {
        text[0] = text.at(0).toLower();
    }
    return text;
}

/// Why a key file cannot be used before libssh even tries it, or empty when it can be read.
QString unreadableKey(const QString &file)
{
    const QFileInfo info(file);
    if (info.isDir()) {
        return QStringLiteral("the key %1 cannot be read: it is a directory").arg(file);
    }
    QFile f(file);
    if (!f.open(QIODevice::ReadOnly)) {
        return QStringLiteral("the key %1 cannot be read: %2").arg(file, lowerFirst(f.errorString()));
    }
    return {};
}

Result<bool> authenticate(
    ssh_session s, const QString &userAtHost, const Identities &identities, bool useAgent, SshAsker &asker)
{
    int rc = ssh_userauth_none(s, nullptr);
    if (rc == SSH_AUTH_SUCCESS) {
        return true;
    }
    if (rc == SSH_AUTH_ERROR) {
        return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
    }
    const int methods = ssh_userauth_list(s, nullptr);
    // Nobody to ask (the CLI without a terminal): then no passphrase, password or prompt is tried,
    // and the message says so instead of reporting a cancel nobody made.
    const QString noPrompt = asker.noPromptReason();
    // What happened, in order, for the message: each key's fate, then the other methods.
    QStringList tried;
    const auto notTried = [&tried] {
        return tried.isEmpty() ? QString() : QStringLiteral(" (before that: %1)").arg(tried.join(QStringLiteral("; ")));
    };
    if (methods & SSH_AUTH_METHOD_PUBLICKEY) {
        if (useAgent && !qEnvironmentVariableIsEmpty("SSH_AUTH_SOCK")) {
            rc = ssh_userauth_agent(s, nullptr);
            if (rc == SSH_AUTH_SUCCESS) {
                return true;
            }
            if (rc == SSH_AUTH_ERROR) {
                qCInfo(lcSsh) << "ssh-agent:" << sshError(s);
                tried << QStringLiteral("ssh-agent failed: %1").arg(sshError(s));
            } else {
                tried << QStringLiteral("the server accepted none of the keys in ssh-agent");
            }
        }
        for (const QString &file : identities.files) {
            if (!QFileInfo::exists(file)) {
                if (identities.named) {
                    tried << QStringLiteral("the key %1 does not exist").arg(file);
                }
                continue;
            }
            if (const QString why = unreadableKey(file); !why.isEmpty()) {
                tried << why;
                continue;
            }
            // Offer the public half first, so that only a key the server accepts costs a passphrase prompt.
            ssh_key pub = nullptr;
            if (ssh_pki_import_pubkey_file(QFile::encodeName(file + QStringLiteral(".pub")).constData(), &pub)
                == SSH_OK) {
                rc = ssh_userauth_try_publickey(s, nullptr, pub);
                ssh_key_free(pub);
                if (rc == SSH_AUTH_ERROR) {
                    return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
                }
                if (rc != SSH_AUTH_SUCCESS) {
                    tried << QStringLiteral("the server rejected the key %1").arg(file);
                    continue;
                }
            }
            PassphraseContext ctx { &asker, file, noPrompt.isEmpty() };
            ssh_key priv = nullptr;
            rc = ssh_pki_import_privkey_file(
                QFile::encodeName(file).constData(), nullptr, passphraseCallback, &ctx, &priv);
            if (rc != SSH_OK) {
                if (!ctx.asked) {
                    tried << QStringLiteral("%1 is not a private key libssh can read").arg(file);
                } else if (!ctx.canAsk) {
                    tried << QStringLiteral("the key %1 needs a passphrase, which cannot be asked %2")
                                 .arg(file, noPrompt);
                } else if (ctx.answered) {
                    tried << QStringLiteral("the passphrase for the key %1 was wrong").arg(file);
                } else {
                    tried << QStringLiteral("no passphrase was given for the key %1").arg(file);
                }
                continue;
            }
            rc = ssh_userauth_publickey(s, nullptr, priv);
            ssh_key_free(priv);
            if (rc == SSH_AUTH_SUCCESS) {
                return true;
            }
            if (rc == SSH_AUTH_ERROR) {
                return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
            }
            tried << QStringLiteral("the server rejected the key %1").arg(file);
        }
    }
    if ((methods & (SSH_AUTH_METHOD_INTERACTIVE | SSH_AUTH_METHOD_PASSWORD)) && !noPrompt.isEmpty()) {
        tried << QStringLiteral("no password can be asked %1").arg(noPrompt);
        const QString advice = asker.noPromptAdvice();
        return failure(QStringLiteral("permission denied for %1: %2; the server accepts %3%4")
                           .arg(userAtHost, tried.join(QStringLiteral("; ")), methodNames(methods),
                               advice.isEmpty() ? QString() : QStringLiteral(". ") + advice));
    }
    // Keyboard-interactive before password, as OpenSSH does: it is how PAM asks, and the server may
    // ask more than a password. Whatever the person answered is tried once: a rejected answer ends
    // the login instead of asking again through the other method.
    bool answered = false;
    if (methods & SSH_AUTH_METHOD_INTERACTIVE) {
        auto ok = keyboardInteractive(s, userAtHost, asker, &answered);
        if (!ok) {
            return failure(ok.error().message + notTried());
        }
        if (*ok) {
            return true;
        }
        tried << (answered ? QStringLiteral("tried keyboard-interactive (the answers were rejected)")
                           : QStringLiteral("tried keyboard-interactive"));
    }
    if ((methods & SSH_AUTH_METHOD_PASSWORD) && !answered) {
        std::optional<QString> pw = asker.password(userAtHost);
        if (!pw) {
            return failure(QStringLiteral("login to %1 cancelled: no password was given").arg(userAtHost) + notTried());
        }
        QByteArray bytes = pw->toUtf8();
        pw->fill(QLatin1Char('\0'));
        rc = ssh_userauth_password(s, nullptr, bytes.constData());
        bytes.fill('\0');
        if (rc == SSH_AUTH_SUCCESS) {
            return true;
        }
        if (rc == SSH_AUTH_ERROR) {
            return failure(QStringLiteral("authentication as %1 failed: %2").arg(userAtHost, sshError(s)));
        }
        tried << QStringLiteral("tried a password (rejected)");
    }
    return failure(
        QStringLiteral("permission denied for %1: %2; the server accepts %3")
            .arg(userAtHost,
                tried.isEmpty() ? QStringLiteral("nothing could be tried") : tried.join(QStringLiteral("; ")),
                methodNames(methods)));
}

Identities identitiesFor(const SshTarget &target, const SshHostConfig &hc)
{
    Identities ids;
    if (!target.identityFile.isEmpty()) {
        ids.files << QDir::cleanPath(target.identityFile.startsWith(QLatin1Char('~'))
                ? QDir::homePath() + target.identityFile.mid(1)
                : target.identityFile);
    }
    ids.files << hc.identityFiles;
    ids.named = !ids.files.isEmpty();
    if (!ids.named) {
        // OpenSSH's defaults apply only when nothing was named.
        for (const char *name : { "id_ed25519", "id_ecdsa", "id_rsa" }) {
            ids.files << QDir::homePath() + QStringLiteral("/.ssh/") + QLatin1String(name);
        }
    }
    ids.files.removeDuplicates();
    return ids;
}

/// One hop: a libssh session to `target`, over `fd` when a tunnel carries it.
Result<SessionPtr> connectOne(const SshTarget &target, const SshHostConfig &hc, int fd, SshAsker &asker,
    const std::optional<JumpHop> &jump, QString *description)
{
    SessionPtr session(ssh_new());
    ssh_session s = session.get();
    if (!s) {
        if (fd >= 0) {
            ::close(fd);
        }
        return failure(QStringLiteral("out of memory creating an SSH session"));
    }
    // Once ssh_connect() has taken the tunnel's socket, libssh closes it when the session is freed;
    // before that, it is closed here on the way out.
    const auto giveUp = [fd](const QString &message) {
        if (fd >= 0) {
            ::close(fd);
        }
        return failure(message);
    };
    // Every option matters (a host name libssh refuses must not leave the session to fail later
    // for another reason, a refused timeout must not leave libssh's default): say which one.
    const auto refused = [&](const QString &what) {
        return giveUp(QStringLiteral("libssh refused %1 for %2: %3").arg(what, target.host, sshError(s)));
    };
    if (fd >= 0 && ssh_options_set(s, SSH_OPTIONS_FD, &fd) != SSH_OK) {
        return refused(QStringLiteral("the jump tunnel's socket"));
    }
    const QByteArray host = target.host.toUtf8();
    if (ssh_options_set(s, SSH_OPTIONS_HOST, host.constData()) != SSH_OK) {
        return refused(QStringLiteral("the host name \"%1\"").arg(target.host));
    }
    // The config the connect dialog and the jump logic read (SshConfigFile::defaultPath(), under
    // $HOME) is the one libssh reads too: left to itself, libssh looks in the passwd entry's home,
    // and the dialog would show one destination while the connection went to another. Without a
    // file of its own, the system-wide config follows, as in ssh.
    QStringList configs { target.configFile };
    if (target.configFile.isEmpty()) {
        configs = { SshConfigFile::defaultPath(), QStringLiteral("/etc/ssh/ssh_config") };
    }
    for (const QString &config : std::as_const(configs)) {
        if (!target.configFile.isEmpty() || QFile::exists(config)) {
            if (ssh_options_parse_config(s, QFile::encodeName(config).constData()) != SSH_OK) {
                return giveUp(QStringLiteral("cannot read the ssh config %1: %2").arg(config, sshError(s)));
            }
        }
    }
    // What was asked for explicitly wins over the config, as on ssh's command line.
    if (!target.user.isEmpty() && ssh_options_set(s, SSH_OPTIONS_USER, target.user.toUtf8().constData()) != SSH_OK) {
        return refused(QStringLiteral("the user name \"%1\"").arg(target.user));
    }
    // Neither the target nor the config names a user: libssh 0.10 leaves the option empty until it
    // connects, and every message would read "@host". Set the one ssh would use, the local login name.
    char *configured = nullptr;
    const bool hasUser = ssh_options_get(s, SSH_OPTIONS_USER, &configured) == SSH_OK && configured && *configured;
    ssh_string_free_char(configured); // (null-safe)
    if (const QString login = localUser();
        !hasUser && !login.isEmpty() && ssh_options_set(s, SSH_OPTIONS_USER, login.toUtf8().constData()) != SSH_OK) {
        return refused(QStringLiteral("the user name \"%1\"").arg(login));
    }
    if (target.port > 0) {
        const unsigned int port = static_cast<unsigned int>(target.port);
        if (ssh_options_set(s, SSH_OPTIONS_PORT, &port) != SSH_OK) {
            return refused(QStringLiteral("the port %1").arg(target.port));
        }
    }
    if (!target.knownHostsFile.isEmpty()
        && ssh_options_set(s, SSH_OPTIONS_KNOWNHOSTS, QFile::encodeName(target.knownHostsFile).constData()) != SSH_OK) {
        return refused(QStringLiteral("the known_hosts file %1").arg(target.knownHostsFile));
    }
    long timeout = target.connectTimeout.count() > 0 ? static_cast<long>(target.connectTimeout.count())
                                                     : (hc.connectTimeout > 0 ? hc.connectTimeout : 15);
    if (ssh_options_set(s, SSH_OPTIONS_TIMEOUT, &timeout) != SSH_OK) {
        return refused(QStringLiteral("the ConnectTimeout of %1 s").arg(timeout));
    }
    // libssh 0.10 turns ProxyJump into `ssh -W`, whose host-key checks we could not see: jumps are
    // done natively (fd != -1) or not at all.
    if (ssh_options_set(s, SSH_OPTIONS_PROXYCOMMAND, "none") != SSH_OK) {
        return refused(QStringLiteral("turning off ProxyCommand (needed so that every host key is checked here)"));
    }
    int nodelay = 1;
    if (ssh_options_set(s, SSH_OPTIONS_NODELAY, &nodelay) != SSH_OK) {
        return refused(QStringLiteral("TCP_NODELAY"));
    }

    // For messages only; libssh has a value for each once the config is read.
    char *user = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_USER, &user) != SSH_OK) {
        qCInfo(lcSsh) << "libssh has no user name for" << target.host << sshError(s);
    }
    char *hostName = nullptr;
    if (ssh_options_get(s, SSH_OPTIONS_HOST, &hostName) != SSH_OK) {
        qCInfo(lcSsh) << "libssh has no host name for" << target.host << sshError(s);
    }
    unsigned int port = 22;
    if (ssh_options_get_port(s, &port) != SSH_OK) {
        qCInfo(lcSsh) << "libssh has no port for" << target.host << sshError(s);
    }
    const QString userAtHost = QStringLiteral("%1@%2").arg(
        QString::fromUtf8(user ? user : ""), QString::fromUtf8(hostName ? hostName : host.constData()));
    ssh_string_free_char(user);
    ssh_string_free_char(hostName);
    *description = port == 22 ? userAtHost : userAtHost + QLatin1Char(':') + QString::number(port);

    qCDebug(lcSsh) << "connecting to" << *description << (fd >= 0 ? "through a jump tunnel" : "");
    if (ssh_connect(s) != SSH_OK) {
        QString why = sshError(s);
        if (why.contains(QLatin1String("timeout"), Qt::CaseInsensitive)) {
            // Unreachable, or a peer that accepts TCP but never speaks SSH: name the limit the
            // person set (ConnectTimeout), which libssh's "Timeout connecting" does not.
            why = QStringLiteral("no SSH answer within the ConnectTimeout of %1 s (%2)").arg(timeout).arg(why);
        }
        return failure(
            QStringLiteral("cannot connect to %1: %2").arg(jump ? hostRole(*description, jump) : *description, why));
    }
    if (auto ok = verifyHostKey(s, target, asker, jump); !ok) {
        return ok.error();
    }
    if (auto ok = authenticate(s, userAtHost, identitiesFor(target, hc), target.useAgent, asker); !ok) {
        return ok.error();
    }
    return session;
}

} // namespace

Result<ConnectedSession> openSession(const SshTarget &target, SshAsker &asker)
{
    const SshConfigFile config
        = SshConfigFile::load(target.configFile.isEmpty() ? SshConfigFile::defaultPath() : target.configFile);
    const SshHostConfig hc = config.lookup(target.host);
    QString jumpSpec = target.proxyJump.isEmpty() ? hc.proxyJump : target.proxyJump;
    if (jumpSpec.compare(QLatin1String("none"), Qt::CaseInsensitive) == 0) {
        jumpSpec.clear();
    }

    // `ProxyJump a,b` as OpenSSH reads it: connect to a, from a to b, from b to the target. Each
    // hop is a session of its own whose socket is a channel of the hop before it.
    QList<SshTarget> hops;
    for (const QString &spec : jumpSpec.split(QLatin1Char(','), Qt::SkipEmptyParts)) {
        const SshTarget e = SshTarget::fromSpec(spec);
        if (e.host.isEmpty()) {
            return failure(QStringLiteral("ProxyJump %1: \"%2\" names no host").arg(jumpSpec, spec));
        }
        SshTarget jump = target;
        jump.host = e.host;
        jump.user = e.user;
        jump.port = e.port;
        // The key named for the target (connect dialog, --identity) is offered to the jump hosts
        // too, after their own IdentityFile entries: one key for all is the common case.
        // A jump host's own ProxyJump is not followed: the chain given here is the whole path.
        jump.proxyJump = QStringLiteral("none");
        hops << jump;
    }
    // Where the hop before must open its channel to: the next host's HostName and Port as this
    // side's config resolves them (as OpenSSH does for `ssh -J`).
    const auto endpoint = [&config](const SshTarget &t) {
        const SshHostConfig c = config.lookup(t.host);
        return std::pair { c.hostName.isEmpty() ? t.host : c.hostName,
            t.port > 0 ? t.port : (c.port > 0 ? c.port : 22) };
    };

    ConnectedSession result;
    int fd = -1;
    for (qsizetype i = 0; i < hops.size(); ++i) {
        const auto [destHost, destPort] = endpoint(i + 1 < hops.size() ? hops.at(i + 1) : target);
        auto tunnel = std::make_unique<JumpTunnel>();
        const JumpHop hop { static_cast<int>(i) + 1, static_cast<int>(hops.size()) };
        auto tunnelFd = tunnel->start(hops.at(i), fd, hop, destHost, destPort, asker);
        result.tunnels.push_back(std::move(tunnel));
        if (!tunnelFd) {
            return tunnelFd.error();
        }
        fd = *tunnelFd;
    }
    auto session = connectOne(target, hc, fd, asker, std::nullopt, &result.description);
    if (!session) {
        return session.error();
    }
    result.session = std::move(session).value();
    if (!hops.isEmpty()) {
        result.description += QStringLiteral(" via ") + jumpSpec;
    }
    return result;
}

// ---------------------------------------------------------------------------------------------

JumpTunnel::~JumpTunnel()
{
    m_stop = true;
    if (m_thread.joinable()) {
        m_thread.join();
    }
}

namespace {

bool writeAll(int fd, const char *data, qsizetype size)
{
    while (size > 0) {
        const ssize_t n = ::send(fd, data, static_cast<size_t>(size), MSG_NOSIGNAL);
        if (n < 0) {
            if (errno == EINTR) {
                continue;
            }
            if (errno == EAGAIN) {
                pollfd p { fd, POLLOUT, 0 };
                ::poll(&p, 1, 1000);
                continue;
            }
            return false;
        }
        data += n;
        size -= n;
    }
    return true;
}

} // namespace

Result<int> JumpTunnel::start(
    const SshTarget &jump, int fd, JumpHop hop, const QString &destHost, int destPort, SshAsker asker)
{
    int fds[2];
    if (::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0) {
        if (fd >= 0) {
            ::close(fd);
        }
        return failure(QStringLiteral("cannot create a socket pair for the jump tunnel: %1")
                           .arg(QString::fromLocal8Bit(std::strerror(errno))));
    }
    auto ready = std::make_shared<std::promise<Result<bool>>>();
    std::future<Result<bool>> readyFuture = ready->get_future();
    const int local = fds[1];
    m_thread = std::thread([this, jump, fd, hop, destHost, destPort, asker, ready, local]() mutable {
        const SshConfigFile config
            = SshConfigFile::load(jump.configFile.isEmpty() ? SshConfigFile::defaultPath() : jump.configFile);
        QString description;
        auto session = connectOne(jump, config.lookup(jump.host), fd, asker, hop, &description);
        if (!session) {
            ready->set_value(session.error());
            ::close(local);
            return;
        }
        ssh_session s = session->get();
        ssh_channel channel = ssh_channel_new(s);
        if (!channel
            || ssh_channel_open_forward(channel, destHost.toUtf8().constData(), destPort, "127.0.0.1", 0) != SSH_OK) {
            ready->set_value(failure(QStringLiteral("%1 could not open a connection to %2:%3: %4")
                                         .arg(hostRole(description, hop), destHost)
                                         .arg(destPort)
                                         .arg(sshError(s))));
            if (channel) {
                ssh_channel_free(channel);
            }
            ::close(local);
            return;
        }
        ready->set_value(true);
        qCDebug(lcSsh) << "jump tunnel through" << description << "to" << destHost << destPort << "is open";

        QByteArray buffer(64 * 1024, Qt::Uninitialized);
        while (!m_stop) {
            pollfd p[2] = { { ssh_get_fd(s), POLLIN, 0 }, { local, POLLIN, 0 } };
            ::poll(p, 2, 100);
            int n = 0;
            while ((n = ssh_channel_read_nonblocking(channel, buffer.data(), static_cast<uint32_t>(buffer.size()), 0))
                > 0) {
                if (!writeAll(local, buffer.constData(), n)) {
                    n = SSH_ERROR;
                    break;
                }
            }
            if (n == SSH_ERROR || ssh_channel_is_eof(channel) || !ssh_is_connected(s)) {
                break;
            }
            if (p[0].revents & (POLLIN | POLLHUP | POLLERR)) {
                // The jump host's socket at end of file: libssh may not have noticed (see SshWorker).
                char byte;
                const ssize_t peeked = ::recv(p[0].fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
                if (peeked == 0 || (peeked < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
                    break;
                }
            }
            if (p[1].revents & (POLLIN | POLLHUP | POLLERR)) {
                const ssize_t got = ::read(local, buffer.data(), static_cast<size_t>(buffer.size()));
                if (got <= 0 || ssh_channel_write(channel, buffer.constData(), static_cast<uint32_t>(got)) < 0) {
                    break;
                }
            }
        }
        // Closing our end makes the target session see the link go away: ConnectionLost, not a hang.
        ::shutdown(local, SHUT_RDWR);
        ::close(local);
        ssh_channel_free(channel);
    });
    auto result = readyFuture.get();
    if (!result) {
        ::close(fds[0]);
        return result.error();
    }
    return fds[0];
}

} // namespace nestscope::detail
