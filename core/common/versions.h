#pragma once

#include <QObject>
#include <QString>

#include <optional>

class QProcess;

namespace nestscope {

/// The versions a bug report (and Help > About) names: this build's and its libraries'.
struct ComponentVersions {
    QString nestscope; ///< the project's version (CMake's PROJECT_VERSION)
    QString qtRuntime; ///< qVersion(): the Qt loaded
    QString qtBuild; ///< QT_VERSION_STR: the Qt built against
    QString libssh; ///< ssh_version(0): the libssh loaded, e.g. "0.10.4/openssl/zlib"
    /// The Graphviz headers built against (PACKAGE_VERSION; Debian's 2.42 says 2.43.0). The loaded
    /// library's own (gvcVersion) needs a Graphviz context, which layouts hold under a lock for
    /// up to seconds: not something to wait for on the GUI thread.
    QString graphviz;
};

ComponentVersions componentVersions();

/// Asks this machine's LXD and Incus clients for their versions (`lxc --version`, `incus
/// --version`) without blocking: finished() once both have answered, failed or timed out.
/// A client that is not on the PATH (nor in /snap/bin, where snaps put lxc) is not started.
class LxdClientVersions final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(LxdClientVersions)
public:
    explicit LxdClientVersions(QObject *parent = nullptr);
    ~LxdClientVersions() override;

    void start();
    bool isFinished() const { return m_pending == 0 && m_started; }
    /// The client's version ("5.0.2"); empty while asking or when it is not installed.
    QString lxc() const { return m_lxc.version; }
    QString incus() const { return m_incus.version; }
    /// For a person: "5.0.2", "not found", "looking…", or what went wrong ("did not answer").
    QString lxcText() const { return text(m_lxc); }
    QString incusText() const { return text(m_incus); }

Q_SIGNALS:
    void finished();

private:
    struct Client {
        QString version;
        QString problem; ///< "not found", "did not answer", …
        QProcess *process = nullptr;
        bool done = false;
    };
    void ask(Client &client, const QString &name);
    QString text(const Client &client) const;

    Client m_lxc;
    Client m_incus;
    int m_pending = 0;
    bool m_started = false;
};

} // namespace nestscope
