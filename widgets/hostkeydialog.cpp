#include "hostkeydialog.h"

#include <QDialogButtonBox>
#include <QFontDatabase>
#include <QFormLayout>
#include <QInputDialog>
#include <QLabel>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

namespace nestscope {

HostKeyDialog::HostKeyDialog(const HostKeyInfo &info, QWidget *parent)
    : QDialog(parent)
{
    setWindowTitle(tr("Unknown host key"));
    setObjectName(QStringLiteral("HostKeyDialog"));

    auto *icon = new QLabel(this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(48, 48));
    icon->setAlignment(Qt::AlignTop);

    QString who = info.viaJumpHost ? tr("the jump host <b>%1</b>").arg(info.host.toHtmlEscaped())
                                   : tr("<b>%1</b>").arg(info.host.toHtmlEscaped());
    if (info.viaJumpHost && info.jumpHops > 1) {
        who += tr(" (hop %1 of %2 on the way to the runner)").arg(info.jumpHop).arg(info.jumpHops);
    }
    auto *headline = new QLabel(tr("<p>Nestscope has never connected to %1 before, so it cannot tell whether this "
                                   "is really that host.</p>"
                                   "<p>Before you trust it, compare the fingerprint below with the one its "
                                   "administrator sees on the host with<br>"
                                   "<tt>&nbsp;&nbsp;ssh-keygen -lf /etc/ssh/ssh_host_%2_key.pub</tt></p>")
                                    .arg(who, info.keyType.section(QLatin1Char('-'), 1).toHtmlEscaped()),
        this);
    headline->setWordWrap(true);
    headline->setTextFormat(Qt::RichText);

    const QFont mono = QFontDatabase::systemFont(QFontDatabase::FixedFont);
    auto *fingerprint = new QLabel(info.fingerprint, this);
    fingerprint->setObjectName(QStringLiteral("fingerprint"));
    fingerprint->setFont(mono);
    fingerprint->setTextInteractionFlags(Qt::TextSelectableByMouse | Qt::TextSelectableByKeyboard);
    auto *keyType = new QLabel(info.keyType, this);
    keyType->setFont(mono);
    auto *file = new QLabel(info.knownHostsFile, this);
    file->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *form = new QFormLayout;
    form->addRow(tr("Host:"), new QLabel(info.host, this));
    form->addRow(tr("Key type:"), keyType);
    form->addRow(tr("Fingerprint:"), fingerprint);
    form->addRow(tr("Saved to:"), file);

    auto *buttons = new QDialogButtonBox(this);
    QPushButton *refuse = buttons->addButton(tr("&Refuse"), QDialogButtonBox::RejectRole);
    QPushButton *once = buttons->addButton(tr("Accept &once"), QDialogButtonBox::AcceptRole);
    QPushButton *save = buttons->addButton(tr("Accept and &save"), QDialogButtonBox::AcceptRole);
    refuse->setObjectName(QStringLiteral("refuse"));
    once->setObjectName(QStringLiteral("acceptOnce"));
    save->setObjectName(QStringLiteral("acceptAndSave"));
    once->setToolTip(tr("Connect this time; ask again next time"));
    save->setToolTip(tr("Connect and record the key in %1").arg(info.knownHostsFile));
    refuse->setDefault(true);
    refuse->setFocus();
    connect(refuse, &QPushButton::clicked, this, [this] {
        m_decision = HostKeyDecision::Refuse;
        reject();
    });
    connect(once, &QPushButton::clicked, this, [this] {
        m_decision = HostKeyDecision::AcceptOnce;
        accept();
    });
    connect(save, &QPushButton::clicked, this, [this] {
        m_decision = HostKeyDecision::AcceptAndSave;
        accept();
    });

    auto *text = new QVBoxLayout;
    text->addWidget(headline);
    text->addLayout(form);
    auto *top = new QHBoxLayout;
    top->addWidget(icon);
    top->addLayout(text, 1);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top);
    layout->addWidget(buttons);
    setMinimumWidth(560);
}

HostKeyDecision HostKeyDialog::ask(const HostKeyInfo &info, QWidget *parent)
{
    HostKeyDialog dialog(info, parent);
    dialog.exec();
    return dialog.decision();
}

HostKeyDecision DialogSshInteraction::unknownHostKey(const HostKeyInfo &info)
{
    return HostKeyDialog::ask(info, m_parent);
}

std::optional<QString> DialogSshInteraction::passphrase(const QString &keyFile)
{
    bool ok = false;
    const QString text = QInputDialog::getText(m_parent, QObject::tr("Key passphrase"),
        QObject::tr("Passphrase for %1:").arg(keyFile), QLineEdit::Password, QString(), &ok);
    return ok ? std::optional<QString>(text) : std::nullopt;
}

std::optional<QString> DialogSshInteraction::password(const QString &userAtHost)
{
    bool ok = false;
    const QString text = QInputDialog::getText(m_parent, QObject::tr("Password"),
        QObject::tr("Password for %1 (not saved):").arg(userAtHost), QLineEdit::Password, QString(), &ok);
    return ok ? std::optional<QString>(text) : std::nullopt;
}

std::optional<QString> DialogSshInteraction::keyboardInteractive(const SshPrompt &prompt)
{
    QString label = prompt.instruction.trimmed();
    if (!label.isEmpty()) {
        label += QStringLiteral("\n\n");
    }
    label += QObject::tr("%1 asks: %2").arg(prompt.userAtHost, prompt.text.trimmed());
    if (!prompt.echo) {
        label += QLatin1Char(' ') + QObject::tr("(not saved)");
    }
    bool ok = false;
    const QString text = QInputDialog::getText(m_parent,
        prompt.name.trimmed().isEmpty() ? QObject::tr("Login") : prompt.name.trimmed(), label,
        prompt.echo ? QLineEdit::Normal : QLineEdit::Password, QString(), &ok);
    return ok ? std::optional<QString>(text) : std::nullopt;
}

} // namespace nestscope
