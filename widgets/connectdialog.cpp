#include "connectdialog.h"

#include "transport/localtransport.h"
#include "transport/sshconfig.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDialogButtonBox>
#include <QDir>
#include <QFileDialog>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QMetaMethod>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStyle>
#include <QToolButton>
#include <QUrl>
#include <QVBoxLayout>

namespace nestscope {

namespace {

const QString kRecentKey = QStringLiteral("ssh/recentHosts");

QString specOf(const SshTarget &t)
{
    QString spec = t.host;
    if (spec.contains(QLatin1Char(':'))) {
        spec = QLatin1Char('[') + spec + QLatin1Char(']'); // IPv6 literal
    }
    if (!t.user.isEmpty()) {
        spec = t.user + QLatin1Char('@') + spec;
    }
    if (t.port > 0) {
        spec += QLatin1Char(':') + QString::number(t.port);
    }
    return spec;
}

QString settingsGroupFor(const QString &spec)
{
    // QSettings keys may not hold '/'; percent-encoding keeps them distinct and readable.
    return QStringLiteral("ssh/host/") + QString::fromLatin1(QUrl::toPercentEncoding(spec));
}

} // namespace

ConnectDialog::ConnectDialog(QWidget *parent, const QString &configFile)
    : QDialog(parent)
    , m_configFile(configFile)
    , m_host(new QComboBox(this))
    , m_user(new QLineEdit(this))
    , m_port(new QSpinBox(this))
    , m_identity(new QLineEdit(this))
    , m_jump(new QLineEdit(this))
    , m_shells(new QCheckBox(tr("Keep one shell per channel (much faster when the login shell is slow)"), this))
    , m_resolved(new QLabel(this))
    , m_error(new QLabel(this))
{
    setWindowTitle(tr("Connect to a runner"));
    setObjectName(QStringLiteral("ConnectDialog"));

    const SshConfigFile config
        = SshConfigFile::load(m_configFile.isEmpty() ? SshConfigFile::defaultPath() : m_configFile);
    QStringList choices = recentHosts();
    for (const QString &alias : config.hostAliases()) {
        if (!choices.contains(alias)) {
            choices << alias;
        }
    }
    m_host->setObjectName(QStringLiteral("host"));
    m_host->setEditable(true);
    m_host->addItems(choices);
    m_host->setCurrentText(choices.value(0));
    m_host->lineEdit()->setPlaceholderText(tr("runner-3, ci@10.0.0.5:2222, a Host alias"));
    auto *completer = new QCompleter(choices, m_host);
    completer->setCaseSensitivity(Qt::CaseInsensitive);
    completer->setFilterMode(Qt::MatchContains);
    m_host->setCompleter(completer);

    m_user->setObjectName(QStringLiteral("user"));
    m_user->setPlaceholderText(tr("from the ssh config, else your login name"));
    m_port->setObjectName(QStringLiteral("port"));
    m_port->setRange(0, 65535);
    m_port->setSpecialValueText(tr("from the ssh config, else 22"));
    m_identity->setObjectName(QStringLiteral("identity"));
    m_identity->setPlaceholderText(tr("ssh-agent, then the config's IdentityFile and ~/.ssh/id_*"));
    m_jump->setObjectName(QStringLiteral("jump"));
    m_shells->setObjectName(QStringLiteral("persistentShells"));
    m_shells->setToolTip(tr("Commands are written to long-lived shells instead of starting a new one through the "
                            "login shell each time; .bashrc and friends then run once per channel."));
    m_jump->setPlaceholderText(tr("from the ssh config (ProxyJump); \"none\" to go direct"));

    auto *browse = new QToolButton(this);
    browse->setText(tr("…"));
    browse->setToolTip(tr("Choose a private key file"));
    connect(browse, &QToolButton::clicked, this, [this] {
        const QString file
            = QFileDialog::getOpenFileName(this, tr("Private key"), QDir::homePath() + QStringLiteral("/.ssh"));
        if (!file.isEmpty()) {
            m_identity->setText(file);
        }
    });
    auto *identityRow = new QHBoxLayout;
    identityRow->addWidget(m_identity, 1);
    identityRow->addWidget(browse);

    m_resolved->setObjectName(QStringLiteral("resolved"));
    m_resolved->setWordWrap(true);
    QFont italic = m_resolved->font();
    italic.setItalic(true);
    m_resolved->setFont(italic);

    auto *note = new QLabel(tr("Authentication tries ssh-agent, then key files (asking for a passphrase if "
                               "needed), then a password. Passwords and passphrases are never saved. A host key "
                               "seen for the first time is shown to you before anything runs; a changed one is "
                               "refused."),
        this);
    note->setWordWrap(true);

    auto *form = new QFormLayout;
    form->addRow(tr("&Host:"), m_host);
    form->addRow(tr("&User:"), m_user);
    form->addRow(tr("&Port:"), m_port);
    auto *identityLabel = new QLabel(tr("&Key file:"), this);
    identityLabel->setBuddy(m_identity); // addRow() with a layout sets no buddy itself
    form->addRow(identityLabel, identityRow);
    form->addRow(tr("&Jump host:"), m_jump);
    form->addRow(QString(), m_shells);
    form->addRow(QString(), m_resolved);

    // Why the last connect failed, in the dialog, beside what was typed: the user corrects a field
    // and presses Connect again instead of starting over.
    m_error->setObjectName(QStringLiteral("error"));
    m_error->setWordWrap(true);
    m_error->setTextFormat(Qt::PlainText);
    m_error->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_error->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Cancel, this);
    QPushButton *connectButton = buttons->addButton(tr("&Connect"), QDialogButtonBox::AcceptRole);
    m_connectButton = connectButton;
    connectButton->setDefault(true);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::onConnectPressed);
    connect(buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(note);
    layout->addWidget(m_error);
    layout->addWidget(buttons);
    setMinimumWidth(520);

    connect(m_host, &QComboBox::currentTextChanged, this, [this, connectButton](const QString &text) {
        connectButton->setEnabled(!text.trimmed().isEmpty() && !m_connecting);
        updateResolved();
    });
    connect(m_host, &QComboBox::textActivated, this, &ConnectDialog::fillFromRecent);
    for (QLineEdit *edit : { m_user, m_jump }) {
        connect(edit, &QLineEdit::textChanged, this, &ConnectDialog::updateResolved);
    }
    connect(m_port, &QSpinBox::valueChanged, this, &ConnectDialog::updateResolved);
    fillFromRecent(m_host->currentText());
    connectButton->setEnabled(!m_host->currentText().trimmed().isEmpty());
}

ConnectDialog::~ConnectDialog()
{
    // ~QDialog hides the window, and the combo box's editor reports "activated" on losing focus:
    // by then this part of the object is gone.
    m_host->disconnect(this);
}

SshTarget ConnectDialog::target() const
{
    SshTarget t = SshTarget::fromSpec(m_host->currentText());
    if (!m_user->text().trimmed().isEmpty()) {
        t.user = m_user->text().trimmed();
    }
    if (m_port->value() > 0) {
        t.port = m_port->value();
    }
    t.identityFile = m_identity->text().trimmed();
    t.proxyJump = m_jump->text().trimmed();
    t.persistentShells = m_shells->isChecked();
    t.configFile = m_configFile;
    return t;
}

void ConnectDialog::setTarget(const SshTarget &target)
{
    m_host->setCurrentText(target.host);
    m_user->setText(target.user);
    m_port->setValue(target.port);
    m_identity->setText(target.identityFile);
    m_jump->setText(target.proxyJump);
    m_shells->setChecked(target.persistentShells);
    updateResolved();
}

void ConnectDialog::onConnectPressed()
{
    if (m_connecting || target().host.isEmpty()) {
        return;
    }
    if (!isSignalConnected(QMetaMethod::fromSignal(&ConnectDialog::connectRequested))) {
        accept();
        return;
    }
    Q_EMIT connectRequested(target());
}

void ConnectDialog::setConnecting(bool connecting)
{
    m_connecting = connecting;
    for (QWidget *w : std::initializer_list<QWidget *> { m_host, m_user, m_port, m_identity, m_jump, m_shells }) {
        w->setEnabled(!connecting);
    }
    m_connectButton->setEnabled(!connecting && !m_host->currentText().trimmed().isEmpty());
    if (connecting) {
        m_errorMessage.clear();
        m_error->setStyleSheet(QString());
        m_error->setText(
            tr("Connecting to %1… (Cancel stops trying; the runner stays as it is)").arg(effectiveName(target())));
        m_error->show();
    }
}

void ConnectDialog::showError(const QString &message)
{
    setConnecting(false);
    // Red on the window's own background reads on light and dark themes alike.
    m_error->setStyleSheet(QStringLiteral("QLabel { color: #c01c28; font-weight: bold; }"));
    m_errorMessage = message;
    m_error->setText(message);
    m_error->show();
    m_host->setFocus();
}

QString ConnectDialog::errorText() const
{
    return m_errorMessage;
}

QString ConnectDialog::effectiveName(const SshTarget &t)
{
    const SshHostConfig c
        = SshConfigFile::load(t.configFile.isEmpty() ? SshConfigFile::defaultPath() : t.configFile).lookup(t.host);
    const QString host = c.hostName.isEmpty() ? t.host : c.hostName;
    const QString user = !t.user.isEmpty() ? t.user : (!c.user.isEmpty() ? c.user : localUser());
    const int port = t.port > 0 ? t.port : (c.port > 0 ? c.port : 22);
    const QString shownHost = host.contains(QLatin1Char(':')) ? QLatin1Char('[') + host + QLatin1Char(']') : host;
    return QStringLiteral("%1@%2:%3").arg(user, shownHost).arg(port);
}

void ConnectDialog::fillFromRecent(const QString &spec)
{
    QSettings settings;
    settings.beginGroup(settingsGroupFor(spec));
    if (settings.contains(QStringLiteral("identity")) || settings.contains(QStringLiteral("jump"))) {
        m_identity->setText(settings.value(QStringLiteral("identity")).toString());
        m_jump->setText(settings.value(QStringLiteral("jump")).toString());
        m_shells->setChecked(settings.value(QStringLiteral("persistentShells")).toBool());
    }
    updateResolved();
}

void ConnectDialog::updateResolved()
{
    const SshTarget t = target();
    if (t.host.isEmpty()) {
        m_resolved->clear();
        return;
    }
    const SshHostConfig c
        = SshConfigFile::load(m_configFile.isEmpty() ? SshConfigFile::defaultPath() : m_configFile).lookup(t.host);
    const QString host = c.hostName.isEmpty() ? t.host : c.hostName;
    const QString user = !t.user.isEmpty() ? t.user : (!c.user.isEmpty() ? c.user : localUser());
    const int port = t.port > 0 ? t.port : (c.port > 0 ? c.port : 22);
    const QString jump = t.proxyJump.isEmpty() ? c.proxyJump : t.proxyJump;
    QString text = tr("Connects to %1@%2 port %3").arg(user, host).arg(port);
    if (!jump.isEmpty() && jump.compare(QLatin1String("none"), Qt::CaseInsensitive) != 0) {
        const QStringList hops = jump.split(QLatin1Char(','), Qt::SkipEmptyParts);
        text += hops.size() > 1 ? tr(", through the jump hosts %1, in that order").arg(hops.join(QStringLiteral(" → ")))
                                : tr(", through the jump host %1").arg(jump);
    }
    m_resolved->setText(text);
}

QStringList ConnectDialog::recentHosts()
{
    return QSettings().value(kRecentKey).toStringList();
}

void ConnectDialog::rememberHost(const SshTarget &target)
{
    const QString spec = specOf(target);
    QSettings settings;
    QStringList recent = settings.value(kRecentKey).toStringList();
    recent.removeAll(spec);
    recent.prepend(spec);
    while (recent.size() > 12) {
        recent.removeLast();
    }
    settings.setValue(kRecentKey, recent);
    settings.beginGroup(settingsGroupFor(spec));
    settings.setValue(QStringLiteral("identity"), target.identityFile);
    settings.setValue(QStringLiteral("jump"), target.proxyJump);
    settings.setValue(QStringLiteral("persistentShells"), target.persistentShells);
}

// ---------------------------------------------------------------------------------------------

RunnerConnection::RunnerConnection(QWidget *window)
    : QObject(window)
    , m_window(window)
    , m_local(new LocalTransport(this))
    , m_interaction(window)
    , m_connectAction(new QAction(tr("&Connect to Runner…"), this))
    , m_reconnectAction(new QAction(tr("&Reconnect"), this))
    , m_localAction(new QAction(tr("Use &This Machine"), this))
    , m_label(new QLabel(window))
{
    m_connectAction->setObjectName(QStringLiteral("connectAction"));
    m_connectAction->setShortcut(QKeySequence(tr("Ctrl+K")));
    m_connectAction->setIcon(window->style()->standardIcon(QStyle::SP_DriveNetIcon));
    m_connectAction->setToolTip(tr("Run the plan on an SSH host instead of this machine"));
    m_reconnectAction->setObjectName(QStringLiteral("reconnectAction"));
    m_reconnectAction->setIcon(window->style()->standardIcon(QStyle::SP_BrowserReload));
    m_localAction->setObjectName(QStringLiteral("localAction"));
    connect(m_connectAction, &QAction::triggered, this, &RunnerConnection::openConnectDialog);
    connect(m_reconnectAction, &QAction::triggered, this, [this] {
        if (m_ssh) {
            m_ssh->connectToHost();
        }
    });
    connect(m_localAction, &QAction::triggered, this, &RunnerConnection::useLocalMachine);
    m_label->setObjectName(QStringLiteral("connectionLabel"));
    m_label->setText(tr("Runner: this machine"));
    updateActions();
}

RunnerConnection::~RunnerConnection() = default;

Transport *RunnerConnection::transport() const
{
    return m_ssh ? static_cast<Transport *>(m_ssh.data()) : m_local;
}

void RunnerConnection::setBusy(bool busy)
{
    m_busy = busy;
    updateActions();
}

void RunnerConnection::openConnectDialog()
{
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
        return;
    }
    auto *dialog = new ConnectDialog(m_window);
    m_dialog = dialog;
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setWindowModality(Qt::WindowModal);
    if (m_ssh) {
        dialog->setTarget(m_ssh->target());
    }
    // Host-key and password questions appear over the dialog that asked to connect.
    m_interaction.setParentWidget(dialog);
    connect(dialog, &ConnectDialog::connectRequested, this, &RunnerConnection::connectTo);
    connect(dialog, &QDialog::rejected, this, &RunnerConnection::abandonCandidate);
    connect(dialog, &QObject::destroyed, this, [this] {
        m_interaction.setParentWidget(m_window);
    });
    dialog->open();
}

void RunnerConnection::connectTo(const SshTarget &target)
{
    if (m_busy) {
        return;
    }
    abandonCandidate();
    // The runner stays what it is until this one has connected: a host that cannot be reached
    // must not become the runner that the matrix, the console and the next run use.
    m_candidate = new SshTransport(target, this);
    m_candidate->setInteraction(&m_interaction);
    connect(m_candidate, &SshTransport::stateChanged, this, &RunnerConnection::onCandidateState);
    m_candidate->connectToHost();
    if (m_dialog) {
        m_dialog->setConnecting(true);
    }
    m_label->setText(tr("Runner: %1 · connecting to %2…").arg(currentName(), ConnectDialog::effectiveName(target)));
    updateActions();
}

void RunnerConnection::abandonCandidate()
{
    if (m_candidate) {
        m_candidate->disconnect(this);
        m_candidate->deleteLater(); // (it may be the sender of the signal being handled)
        m_candidate = nullptr;
        m_label->setText(tr("Runner: %1").arg(currentName()));
        updateActions();
    }
}

QString RunnerConnection::currentName() const
{
    return m_ssh ? m_ssh->description() : tr("this machine");
}

void RunnerConnection::onCandidateState(SshTransport::State state, const QString &message)
{
    auto *candidate = qobject_cast<SshTransport *>(sender());
    if (!candidate || candidate != m_candidate) {
        return;
    }
    if (state == SshTransport::State::Connecting) {
        return;
    }
    if (state != SshTransport::State::Connected) {
        const QString name = ConnectDialog::effectiveName(candidate->target());
        const QString why = message.isEmpty() ? tr("the connection closed before it was ready") : message;
        abandonCandidate();
        m_label->setToolTip(tr("The last connect, to %1, failed: %2").arg(name, why));
        // The transport's own message names the host and user already ("cannot connect to u@h:22: …").
        QString first = why.contains(name) ? why : tr("cannot connect to %1: %2").arg(name, why);
        first[0] = first.at(0).toUpper();
        const QString text = tr("%1\n\nThe runner is still %2.").arg(first, currentName());
        if (m_dialog) {
            m_dialog->showError(text);
        } else {
            QMessageBox::critical(m_window, tr("Cannot connect to %1").arg(name), text);
        }
        Q_EMIT connectFailed(text);
        return;
    }
    // Connected: now it becomes the runner.
    m_candidate->disconnect(this);
    delete m_previous;
    m_previous = m_ssh;
    if (m_previous) {
        m_previous->disconnect(this);
        m_previous->disconnectFromHost();
    }
    m_ssh = m_candidate;
    m_candidate = nullptr;
    connect(m_ssh, &SshTransport::stateChanged, this, &RunnerConnection::onStateChanged);
    onStateChanged(SshTransport::State::Connected, QString());
    if (m_dialog) {
        m_dialog->setConnecting(false);
        m_dialog->accept();
    }
    Q_EMIT transportChanged(m_ssh);
}

QString RunnerConnection::notReadyReason() const
{
    if (!m_ssh || m_ssh->state() == SshTransport::State::Connected) {
        return {};
    }
    const QString name = currentName();
    if (m_ssh->state() == SshTransport::State::Connecting) {
        return tr("The runner %1 is still connecting; run again once it is connected.").arg(name);
    }
    const QString why = m_ssh->lastError().isEmpty() ? QString() : QStringLiteral(" (%1)").arg(m_ssh->lastError());
    return tr("The runner %1 is not connected%2. Reconnect (Runner ▸ Reconnect) or choose another runner; a run "
              "now would only record that it could not reach it.")
        .arg(name, why);
}

void RunnerConnection::useLocalMachine()
{
    abandonCandidate();
    if (m_busy || !m_ssh) {
        return;
    }
    delete m_previous;
    m_previous = m_ssh;
    m_previous->disconnectFromHost();
    m_ssh = nullptr;
    m_label->setText(tr("Runner: this machine"));
    m_label->setToolTip(QString());
    updateActions();
    Q_EMIT transportChanged(m_local);
}

void RunnerConnection::onStateChanged(SshTransport::State state, const QString &message)
{
    auto *ssh = qobject_cast<SshTransport *>(sender());
    if (ssh && ssh != m_ssh) {
        return; // a transport we have switched away from
    }
    const QString name = m_ssh ? ConnectDialog::effectiveName(m_ssh->target()) : QString();
    switch (state) {
    case SshTransport::State::Connecting:
        m_label->setText(tr("Runner: connecting to %1…").arg(name));
        break;
    case SshTransport::State::Connected:
        m_label->setText(tr("Runner: %1").arg(m_ssh->description()));
        ConnectDialog::rememberHost(m_ssh->target());
        break;
    case SshTransport::State::Disconnected:
        m_label->setText(tr("Runner: %1 disconnected").arg(name));
        break;
    case SshTransport::State::Failed:
        m_label->setText(tr("Runner: %1 — not connected").arg(name));
        QMessageBox::critical(m_window, tr("Cannot connect to %1").arg(name), message);
        break;
    }
    m_label->setToolTip(message);
    updateActions();
}

void RunnerConnection::updateActions()
{
    const bool down = m_ssh
        && (m_ssh->state() == SshTransport::State::Disconnected || m_ssh->state() == SshTransport::State::Failed);
    m_connectAction->setEnabled(!m_busy);
    m_reconnectAction->setEnabled(!m_busy && down);
    m_localAction->setEnabled(!m_busy && m_ssh);
}

} // namespace nestscope
