#pragma once

#include "transport/sshoptions.h"

#include <QDialog>

class QWidget;

namespace nestscope {

/// Asks whether to trust a host key seen for the first time: key type and SHA256 fingerprint,
/// and three answers. Refuse is the default button, so Enter or Escape never trusts a key.
class HostKeyDialog final : public QDialog {
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(HostKeyDialog)
public:
    explicit HostKeyDialog(const HostKeyInfo &info, QWidget *parent = nullptr);

    HostKeyDecision decision() const { return m_decision; }

    /// Shows the dialog modally and returns the answer.
    static HostKeyDecision ask(const HostKeyInfo &info, QWidget *parent);

private:
    HostKeyDecision m_decision = HostKeyDecision::Refuse;
};

/// The GUI's answers for SshTransport: the host-key dialog, and password-style input dialogs for
/// passphrases, passwords and keyboard-interactive prompts (answers are handed to libssh and not kept).
class DialogSshInteraction final : public SshInteraction {
public:
    explicit DialogSshInteraction(QWidget *parent)
        : m_parent(parent)
    {
    }
    /// Where the questions appear (e.g. over the connect dialog while it waits for the answer).
    void setParentWidget(QWidget *parent) { m_parent = parent; }
    QWidget *parentWidget() const { return m_parent; }
    HostKeyDecision unknownHostKey(const HostKeyInfo &info) override;
    std::optional<QString> passphrase(const QString &keyFile) override;
    std::optional<QString> password(const QString &userAtHost) override;
    /// The server's own prompt ("Password: ", "Verification code: ") with its instruction, typed
    /// hidden unless the server allows echo.
    std::optional<QString> keyboardInteractive(const SshPrompt &prompt) override;

private:
    QWidget *m_parent;
};

} // namespace nestscope
