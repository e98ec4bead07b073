#pragma once

#include "hostkeydialog.h"
#include "transport/sshoptions.h"
#include "transport/sshtransport.h"

#include <QDialog>
#include <QPointer>

class QAction;
class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;
class QSpinBox;

namespace nestscope {

class LocalTransport;
class Transport;

/// Where to connect: host (completed from the ssh config's Host aliases and recent hosts), user,
/// port, key and jump host. Empty fields mean "as the ssh config says", and a line under the form
/// shows what that resolves to. Recent hosts are kept in QSettings, never with a secret.
class ConnectDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ConnectDialog)
public:
    /// `configFile` empty = ~/.ssh/config.
    explicit ConnectDialog(QWidget *parent = nullptr, const QString &configFile = QString());
    ~ConnectDialog() override;

    SshTarget target() const;
    void setTarget(const SshTarget &target);

    /// "user@host:port" specs, most recent first.
    static QStringList recentHosts();
    /// Records a host that connected, with its non-secret settings (user, port, key path, jump host).
    static void rememberHost(const SshTarget &target);

private:
    void updateResolved();
    void fillFromRecent(const QString &spec);

    QString m_configFile;
    QComboBox *m_host;
    QLineEdit *m_user;
    QSpinBox *m_port;
    QLineEdit *m_identity;
    QLineEdit *m_jump;
    QCheckBox *m_shells;
    QLabel *m_resolved;
};

/// The runner the main window works on: this machine, or an SSH host. Owns the transports, the
/// Connect / Reconnect / Use-this-machine actions and a status-bar label with the connection state.
class RunnerConnection final : public QObject {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(RunnerConnection)
public:
    explicit RunnerConnection(QWidget *window);
    ~RunnerConnection() override;

    Transport *transport() const;
    QAction *connectAction() const { return m_connectAction; }
    QAction *reconnectAction() const { return m_reconnectAction; }
    QAction *localAction() const { return m_localAction; }
    QLabel *statusLabel() const { return m_label; }

    /// While a run uses the transport it must not be swapped: the actions are disabled.
    void setBusy(bool busy);

public Q_SLOTS:
    void openConnectDialog();
    void connectTo(const nestscope::SshTarget &target);
    void useLocalMachine();

Q_SIGNALS:
    /// The runner's transport was replaced; the previous one stays valid until the next switch.
    void transportChanged(nestscope::Transport *transport);

private:
    void onStateChanged(SshTransport::State state, const QString &message);
    void updateActions();

    QWidget *m_window;
    LocalTransport *m_local;
    QPointer<SshTransport> m_ssh;
    QPointer<SshTransport> m_previous; ///< kept alive one switch longer, see transportChanged()
    DialogSshInteraction m_interaction;
    QAction *m_connectAction;
    QAction *m_reconnectAction;
    QAction *m_localAction;
    QLabel *m_label;
    bool m_busy = false;
};

} // namespace nestscope
