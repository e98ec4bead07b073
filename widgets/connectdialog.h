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
class QPushButton;
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

    /// "user@host:port" as the connection will use them: the fields, else the ssh config, else
    /// the local login name and port 22 (what the line under the form says).
    static QString effectiveName(const SshTarget &target);

    /// While a connect is under way: the fields are locked and the dialog says where it connects.
    void setConnecting(bool connecting);
    bool isConnecting() const { return m_connecting; }
    /// A connect failed: the dialog stays open with what was typed and says why, in the dialog.
    void showError(const QString &message);
    /// Why the last connect failed, as shown; empty while connecting or before any failure.
    QString errorText() const;

    /// "user@host:port" specs, most recent first.
    static QStringList recentHosts();
    /// Records a host that connected, with its non-secret settings (user, port, key path, jump host).
    static void rememberHost(const SshTarget &target);

Q_SIGNALS:
    /// Connect was pressed. With a receiver the dialog stays open until it is told how that went
    /// (accept() on success, showError() on failure); without one it simply accepts.
    void connectRequested(const nestscope::SshTarget &target);

private:
    void onConnectPressed();
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
    QLabel *m_error; ///< "Connecting to …" while connecting, else why the last connect failed
    QString m_errorMessage;
    QPushButton *m_connectButton = nullptr;
    bool m_connecting = false;
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
    /// The Connect dialog while it is open (it stays open until the connect succeeds or is cancelled).
    ConnectDialog *dialog() const { return m_dialog; }
    /// A connect under way; the runner switches to it only once it has connected.
    SshTransport *pendingTransport() const { return m_candidate; }
    /// Why a run cannot use the runner now ("ci@runner-3:22 is not connected: …"); empty when it can.
    QString notReadyReason() const;

    /// While a run uses the transport it must not be swapped: the actions are disabled.
    void setBusy(bool busy);

public Q_SLOTS:
    void openConnectDialog();
    void connectTo(const nestscope::SshTarget &target);
    void useLocalMachine();

Q_SIGNALS:
    /// The runner's transport was replaced (only by one that has connected); the previous one stays
    /// valid until the next switch.
    void transportChanged(nestscope::Transport *transport);
    /// A connect ended without switching the runner: the message says why, with the effective user.
    void connectFailed(const QString &message);

private:
    void onStateChanged(SshTransport::State state, const QString &message);
    void onCandidateState(SshTransport::State state, const QString &message);
    void abandonCandidate();
    QString currentName() const;
    void updateActions();

    QWidget *m_window;
    LocalTransport *m_local;
    QPointer<SshTransport> m_ssh;
    QPointer<SshTransport> m_previous; ///< kept alive one switch longer, see transportChanged()
    QPointer<SshTransport> m_candidate; ///< connecting; becomes m_ssh once connected
    QPointer<ConnectDialog> m_dialog;
    DialogSshInteraction m_interaction;
    QAction *m_connectAction;
    QAction *m_reconnectAction;
    QAction *m_localAction;
    QLabel *m_label;
    bool m_busy = false;
};

} // namespace nestscope
