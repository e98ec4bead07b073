// The connect dialog and the host-key prompt, offscreen. With NESTSCOPE_SCREENSHOTS_DIR set, also
// saves the PNGs used in the docs (docs/screenshots/connect-dialog.png, host-key-prompt.png).

#include "connectdialog.h"
#include "hostkeydialog.h"
#include "mainwindow.h"
#include "results/runstore.h"
#include "sshserver.h"

#include <QAction>
#include <QApplication>
#include <QCheckBox>
#include <QComboBox>
#include <QCompleter>
#include <QDir>
#include <QDirIterator>
#include <QFile>
#include <QInputDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSettings>
#include <QSignalSpy>
#include <QSpinBox>
#include <QStringListModel>
#include <QTemporaryDir>
#include <QTest>
#include <QTimer>

#include <unistd.h>

using namespace nestscope;

namespace {

HostKeyInfo sampleKey()
{
    HostKeyInfo info;
    info.host = QStringLiteral("runner-3.ci.example.org");
    info.keyType = QStringLiteral("ssh-ed25519");
    info.fingerprint = QStringLiteral("SHA256:4m1yQvJ0k0cG8Zq3t3rJm0n6m2b8Tq4m9Jb5mX8eYqU");
    info.knownHostsFile = QDir::homePath() + QStringLiteral("/.ssh/known_hosts");
    return info;
}

void saveShot(QWidget &w, const QString &name)
{
    const QString dir = qEnvironmentVariable("NESTSCOPE_SCREENSHOTS_DIR");
    if (dir.isEmpty()) {
        return;
    }
    w.adjustSize();
    w.show();
    QVERIFY(QTest::qWaitForWindowExposed(&w));
    QVERIFY(w.grab().save(dir + QLatin1Char('/') + name));
}

/// Handles the next QInputDialog that opens (modal, in a nested event loop) with `handle`; returns
/// the timer that watches for it, which stops once it has handled one.
QTimer *onNextInputDialog(QObject *parent, std::function<void(QInputDialog *)> handle)
{
    auto *timer = new QTimer(parent);
    timer->setInterval(20);
    QObject::connect(timer, &QTimer::timeout, timer, [timer, handle] {
        if (auto *dialog = qobject_cast<QInputDialog *>(QApplication::activeModalWidget())) {
            timer->stop();
            handle(dialog);
        }
    });
    timer->start();
    return timer;
}

} // namespace

class TestSshDialogs : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

private Q_SLOTS:
    void initTestCase()
    {
        QCoreApplication::setOrganizationName(QStringLiteral("nestscope-tests"));
        QCoreApplication::setApplicationName(QStringLiteral("tst_sshdialogs"));
        QSettings::setDefaultFormat(QSettings::IniFormat);
        QSettings::setPath(QSettings::IniFormat, QSettings::UserScope, m_dir.path());
        QSettings().clear();
    }

    void hostKeyDialogShowsKeyAndRefusesByDefault()
    {
        HostKeyDialog dialog(sampleKey());
        const auto labels = dialog.findChildren<QLabel *>();
        auto *fingerprint = dialog.findChild<QLabel *>(QStringLiteral("fingerprint"));
        QVERIFY(fingerprint);
        QCOMPARE(fingerprint->text(), sampleKey().fingerprint);
        auto *refuse = dialog.findChild<QPushButton *>(QStringLiteral("refuse"));
        QVERIFY(refuse && refuse->isDefault());
        QCOMPARE(dialog.decision(), HostKeyDecision::Refuse);
        saveShot(dialog, QStringLiteral("host-key-prompt.png"));
    }

    void hostKeyDialogButtons_data()
    {
        QTest::addColumn<QString>("button");
        QTest::addColumn<HostKeyDecision>("decision");
        QTest::newRow("refuse") << QStringLiteral("refuse") << HostKeyDecision::Refuse;
        QTest::newRow("once") << QStringLiteral("acceptOnce") << HostKeyDecision::AcceptOnce;
        QTest::newRow("save") << QStringLiteral("acceptAndSave") << HostKeyDecision::AcceptAndSave;
    }

    void hostKeyDialogButtons()
    {
        QFETCH(QString, button);
        QFETCH(HostKeyDecision, decision);
        HostKeyDialog dialog(sampleKey());
        dialog.findChild<QPushButton *>(button)->click();
        QCOMPARE(dialog.decision(), decision);
        QCOMPARE(dialog.result(), decision == HostKeyDecision::Refuse ? QDialog::Rejected : QDialog::Accepted);
    }

    void connectDialogCompletesAliasesAndBuildsTarget()
    {
        const QString config = m_dir.path() + QStringLiteral("/ssh_config");
        QFile f(config);
        QVERIFY(f.open(QIODevice::WriteOnly));
        f.write("Host bastion\n  HostName 198.51.100.7\n  User ops\n"
                "Host runner-3 runner-4\n  HostName 10.20.0.3\n  User ci\n  Port 2222\n  ProxyJump bastion\n"
                "Host *.internal\n  User ci\n");
        f.close();
        ConnectDialog::rememberHost(SshTarget::fromSpec(QStringLiteral("ci@build-7:2200")));

        ConnectDialog dialog(nullptr, config);
        auto *host = dialog.findChild<QComboBox *>(QStringLiteral("host"));
        QVERIFY(host);
        QStringList items;
        for (int i = 0; i < host->count(); ++i) {
            items << host->itemText(i);
        }
        QCOMPARE(items,
            (QStringList { QStringLiteral("ci@build-7:2200"), QStringLiteral("bastion"), QStringLiteral("runner-3"),
                QStringLiteral("runner-4") }));

        host->setCurrentText(QStringLiteral("runner-3"));
        auto *resolved = dialog.findChild<QLabel *>(QStringLiteral("resolved"));
        QCOMPARE(resolved->text(), QStringLiteral("Connects to ci@10.20.0.3 port 2222, through the jump host bastion"));
        dialog.findChild<QLineEdit *>(QStringLiteral("identity"))->setText(QStringLiteral("~/.ssh/ci_ed25519"));
        const SshTarget t = dialog.target();
        QCOMPARE(t.host, QStringLiteral("runner-3"));
        QCOMPARE(t.port, 0); // left to the config
        QCOMPARE(t.identityFile, QStringLiteral("~/.ssh/ci_ed25519"));
        QCOMPARE(t.configFile, config);
        saveShot(dialog, QStringLiteral("connect-dialog.png"));

        QVERIFY(!t.persistentShells);
        dialog.findChild<QCheckBox *>(QStringLiteral("persistentShells"))->setChecked(true);
        QVERIFY(dialog.target().persistentShells);
        dialog.findChild<QSpinBox *>(QStringLiteral("port"))->setValue(22);
        dialog.findChild<QLineEdit *>(QStringLiteral("user"))->setText(QStringLiteral("root"));
        QCOMPARE(dialog.target().port, 22);
        QCOMPARE(dialog.target().user, QStringLiteral("root"));
    }

    void recentHostsKeepNoSecrets()
    {
        SshTarget t = SshTarget::fromSpec(QStringLiteral("ops@[2001:db8::5]:2022"));
        t.identityFile = QStringLiteral("/home/ops/.ssh/id_ed25519");
        ConnectDialog::rememberHost(t);
        QCOMPARE(ConnectDialog::recentHosts().value(0), QStringLiteral("ops@[2001:db8::5]:2022"));
        QSettings().sync();
        QFile ini(QSettings().fileName());
        QVERIFY(ini.open(QIODevice::ReadOnly));
        const QByteArray text = ini.readAll().toLower();
        QVERIFY(!text.contains("password"));
        QVERIFY(!text.contains("passphrase"));
    }

    void runnerConnectionShowsStateAndReconnects()
    {
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write(server.knownHostsLine());
        kh.close();
        qunsetenv("SSH_AUTH_SOCK");

        QWidget window;
        RunnerConnection connection(&window);
        QVERIFY(!connection.localAction()->isEnabled());
        QVERIFY(connection.statusLabel()->text().contains(QStringLiteral("this machine")));
        QSignalSpy changed(&connection, &RunnerConnection::transportChanged);

        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = server.port();
        t.user = server.user();
        t.identityFile = server.clientKey();
        t.configFile = server.emptyConfig();
        t.knownHostsFile = knownHosts;
        connection.connectTo(t);
        // The runner switches once the host has answered, not before (issue 14).
        QCOMPARE(changed.size(), 0);
        QVERIFY(connection.pendingTransport());
        QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 30000);
        QVERIFY(!connection.pendingTransport());
        QTRY_VERIFY_WITH_TIMEOUT(connection.statusLabel()->text().contains(QStringLiteral("ssh://")), 30000);
        QVERIFY(connection.localAction()->isEnabled());
        QVERIFY(!connection.reconnectAction()->isEnabled());
        QCOMPARE(ConnectDialog::recentHosts().value(0),
            QStringLiteral("%1@127.0.0.1:%2").arg(server.user()).arg(server.port()));

        // The link goes away: the label says so and Reconnect becomes available.
        auto *ssh = qobject_cast<SshTransport *>(connection.transport());
        QVERIFY(ssh);
        ssh->disconnectFromHost();
        QTRY_VERIFY_WITH_TIMEOUT(connection.statusLabel()->text().contains(QStringLiteral("disconnected")), 30000);
        QVERIFY(connection.reconnectAction()->isEnabled());
        connection.reconnectAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(connection.statusLabel()->text().contains(QStringLiteral("ssh://")), 30000);

        connection.setBusy(true);
        QVERIFY(!connection.connectAction()->isEnabled());
        connection.setBusy(false);
        connection.localAction()->trigger();
        QCOMPARE(changed.size(), 2);
        QVERIFY(connection.statusLabel()->text().contains(QStringLiteral("this machine")));
    }

    void runnerConnectionAsksThePasswordPrompt()
    {
        // The GUI's own prompt for a keyboard-interactive login (PAM's "Password: "): answered, then
        // cancelled. Needs a test user with a password, which only root can set up.
        if (::geteuid() != 0) {
            if (qgetenv("CI") == "true") {
                QFAIL("a password login needs root, and CI=true requires it to run");
            }
            QSKIP("a password login needs root (a test user with a password)");
        }
        nestscope::test::SshServer server;
        nestscope::test::SshServer::Options options;
        options.keyboardInteractive = true;
        QVERIFY2(server.start(options), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write(server.knownHostsLine());
        kh.close();
        qunsetenv("SSH_AUTH_SOCK");

        QWidget window;
        RunnerConnection connection(&window);
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = server.port();
        t.user = server.user();
        t.identityFile = server.dir() + QStringLiteral("/no-such-key");
        t.configFile = server.emptyConfig();
        t.knownHostsFile = knownHosts;

        QString label;
        QLineEdit::EchoMode echo = QLineEdit::Normal;
        onNextInputDialog(this, [&](QInputDialog *dialog) {
            label = dialog->labelText();
            echo = dialog->textEchoMode();
            dialog->setTextValue(server.password());
            dialog->accept();
        });
        connection.connectTo(t);
        QTRY_VERIFY_WITH_TIMEOUT(connection.statusLabel()->text().contains(QStringLiteral("ssh://")), 30000);
        QVERIFY2(label.contains(QStringLiteral("Password")), qPrintable(label));
        QVERIFY2(label.contains(QStringLiteral("%1@127.0.0.1").arg(server.user())), qPrintable(label));
        QCOMPARE(echo, QLineEdit::Password);

        // Cancel: the login stops, the error box says why, and nothing asks again.
        int asked = 0;
        onNextInputDialog(this, [&](QInputDialog *dialog) {
            ++asked;
            dialog->reject();
        });
        QString error;
        auto *errorBox = new QTimer(this);
        errorBox->setInterval(20);
        connect(errorBox, &QTimer::timeout, errorBox, [&, errorBox] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                errorBox->stop();
                error = box->text();
                box->close();
            }
        });
        errorBox->start();
        connection.connectTo(t);
        QTRY_VERIFY_WITH_TIMEOUT(!error.isEmpty(), 30000);
        QVERIFY2(error.contains(QStringLiteral("cancelled")), qPrintable(error));
        // The failed attempt did not replace the runner that works.
        QVERIFY(connection.statusLabel()->text().contains(QStringLiteral("ssh://")));
        auto *ssh = qobject_cast<SshTransport *>(connection.transport());
        QVERIFY(ssh);
        QCOMPARE(ssh->state(), SshTransport::State::Connected);
        QTest::qWait(200);
        QCOMPARE(asked, 1);

        // The settings (recent hosts, the dialog's last values) never hold the password.
        QSettings().sync();
        QDirIterator files(m_dir.path(), QDir::Files | QDir::Hidden, QDirIterator::Subdirectories);
        int searched = 0;
        while (files.hasNext()) {
            QFile f(files.next());
            QVERIFY2(f.open(QIODevice::ReadOnly), qPrintable(f.fileName()));
            const QByteArray data = f.readAll();
            QVERIFY2(!data.contains(server.password().toUtf8()), qPrintable(f.fileName()));
            ++searched;
        }
        QVERIFY(searched > 0); // the recent hosts were written there
    }

    void runnerConnectionRefusesARevokedKey()
    {
        // A key marked @revoked: no host-key dialog offers to accept it; the error box says why.
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        const QList<QByteArray> fields = server.knownHostsLine().trimmed().split(' ');
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write("@revoked " + fields.value(0) + ' ' + fields.value(1) + ' ' + fields.value(2) + '\n');
        kh.close();
        qunsetenv("SSH_AUTH_SOCK");

        QWidget window;
        RunnerConnection connection(&window);
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = server.port();
        t.user = server.user();
        t.identityFile = server.clientKey();
        t.configFile = server.emptyConfig();
        t.knownHostsFile = knownHosts;

        QString error;
        QStringList otherDialogs;
        auto *watch = new QTimer(this);
        watch->setInterval(20);
        connect(watch, &QTimer::timeout, watch, [&, watch] {
            QWidget *modal = QApplication::activeModalWidget();
            if (auto *box = qobject_cast<QMessageBox *>(modal)) {
                watch->stop();
                error = box->text();
                box->close();
            } else if (modal) {
                otherDialogs << modal->objectName();
                modal->close(); // a host-key dialog closed this way refuses
            }
        });
        watch->start();
        connection.connectTo(t);
        QTRY_VERIFY_WITH_TIMEOUT(!error.isEmpty(), 30000);
        QVERIFY2(otherDialogs.isEmpty(), qPrintable(otherDialogs.join(QLatin1Char(','))));
        QVERIFY2(error.contains(QStringLiteral("REVOKED")), qPrintable(error));
        // Refused: the runner is still this machine, and the label's tooltip keeps why.
        QVERIFY(connection.statusLabel()->text().contains(QStringLiteral("this machine")));
        QVERIFY(connection.statusLabel()->toolTip().contains(QStringLiteral("REVOKED")));
        QVERIFY(qobject_cast<SshTransport *>(connection.transport()) == nullptr);
    }

    void connectDialogStaysOpenUntilConnectedThenSwitches()
    {
        // The dialog the user sees (Runner > Connect): Connect locks it while connecting, the
        // host-key question appears over it, and only a connect that succeeded closes it and
        // switches the runner.
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        qunsetenv("SSH_AUTH_SOCK");
        QWidget window;
        window.resize(800, 600);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        RunnerConnection connection(&window);
        QSignalSpy changed(&connection, &RunnerConnection::transportChanged);
        connection.openConnectDialog();
        QPointer<ConnectDialog> dialog = connection.dialog();
        QVERIFY(dialog);
        QTRY_VERIFY_WITH_TIMEOUT(dialog->isVisible(), 30000);
        dialog->findChild<QComboBox *>(QStringLiteral("host"))->setCurrentText(QStringLiteral("127.0.0.1"));
        dialog->findChild<QSpinBox *>(QStringLiteral("port"))->setValue(server.port());
        dialog->findChild<QLineEdit *>(QStringLiteral("user"))->setText(server.user());
        dialog->findChild<QLineEdit *>(QStringLiteral("identity"))->setText(server.clientKey());

        // The host key is new to this known_hosts: trusted once (nothing written), asked over the dialog.
        bool asked = false;
        bool askedOverTheDialog = false;
        bool lockedWhileAsked = false;
        auto *watch = new QTimer(this);
        watch->setInterval(20);
        connect(watch, &QTimer::timeout, watch, [&, watch] {
            if (auto *question = qobject_cast<HostKeyDialog *>(QApplication::activeModalWidget())) {
                watch->stop();
                asked = true;
                askedOverTheDialog = question->parentWidget() == dialog.data();
                lockedWhileAsked = dialog && dialog->isConnecting();
                question->findChild<QPushButton *>(QStringLiteral("acceptOnce"))->click();
            }
        });
        watch->start();
        QPushButton *connectButton = nullptr;
        for (QPushButton *b : dialog->findChildren<QPushButton *>()) {
            if (b->text() == QStringLiteral("&Connect")) {
                connectButton = b;
            }
        }
        QVERIFY(connectButton);
        connectButton->click();
        QVERIFY(dialog->isConnecting());
        QVERIFY(!dialog->findChild<QComboBox *>(QStringLiteral("host"))->isEnabled());
        QCOMPARE(changed.size(), 0);
        QTRY_COMPARE_WITH_TIMEOUT(changed.size(), 1, 30000);
        QTRY_VERIFY_WITH_TIMEOUT(!dialog, 30000); // closed (and deleted) once connected
        QVERIFY(asked); // (a fresh server key on a fresh port: unknown to known_hosts)
        QVERIFY(askedOverTheDialog);
        QVERIFY(lockedWhileAsked);
        auto *ssh = qobject_cast<SshTransport *>(connection.transport());
        QVERIFY(ssh);
        QCOMPARE(ssh->state(), SshTransport::State::Connected);
        QVERIFY(connection.statusLabel()->text().contains(QStringLiteral("ssh://%1@127.0.0.1").arg(server.user())));
    }

    void runOnADroppedRunnerRunsNothing()
    {
        // A runner that was connected and dropped: a run would only record "could not reach it"
        // errors that read like results (issue 14), so it is refused, and the store gets nothing.
        nestscope::test::SshServer server;
        QVERIFY2(server.start(), qPrintable(server.error()));
        const QString knownHosts = server.dir() + QStringLiteral("/known_hosts");
        QFile kh(knownHosts);
        QVERIFY(kh.open(QIODevice::WriteOnly));
        kh.write(server.knownHostsLine());
        kh.close();
        qunsetenv("SSH_AUTH_SOCK");

        MainWindow w;
        QVERIFY(w.openPlan(QStringLiteral(NESTSCOPE_TEST_DATA_DIR "/plans/two-probes.yaml")).ok());
        QVERIFY(w.openStore(m_dir.path() + QStringLiteral("/dropped-runs.db")).ok());
        SshTarget t;
        t.host = QStringLiteral("127.0.0.1");
        t.port = server.port();
        t.user = server.user();
        t.identityFile = server.clientKey();
        t.configFile = server.emptyConfig();
        t.knownHostsFile = knownHosts;
        w.connection()->connectTo(t);
        QTRY_VERIFY_WITH_TIMEOUT(qobject_cast<SshTransport *>(w.connection()->transport()), 30000);
        auto *ssh = qobject_cast<SshTransport *>(w.connection()->transport());
        QCOMPARE(ssh->state(), SshTransport::State::Connected);
        QVERIFY(w.connection()->notReadyReason().isEmpty());
        ssh->disconnectFromHost();
        QTRY_COMPARE_WITH_TIMEOUT(ssh->state(), SshTransport::State::Disconnected, 30000);
        QVERIFY(!w.connection()->notReadyReason().isEmpty());

        QString refused;
        auto *watch = new QTimer(this);
        watch->setInterval(20);
        connect(watch, &QTimer::timeout, watch, [&, watch] {
            if (auto *box = qobject_cast<QMessageBox *>(QApplication::activeModalWidget())) {
                watch->stop();
                refused = box->text();
                box->close();
            }
        });
        watch->start();
        w.runAction()->trigger();
        QTRY_VERIFY_WITH_TIMEOUT(!refused.isEmpty(), 30000);
        QVERIFY2(
            refused.contains(QStringLiteral("%1@127.0.0.1:%2 is not connected").arg(server.user()).arg(server.port())),
            qPrintable(refused));
        QVERIFY2(refused.contains(QStringLiteral("Nothing was run")), qPrintable(refused));
        QVERIFY(!w.isRunning());
        QVERIFY(w.currentRun().samples.isEmpty());
        QVERIFY(w.runStore()->runs().isEmpty());
        QVERIFY(w.runAction()->isEnabled());
    }
};

QTEST_MAIN(TestSshDialogs)
#include "tst_sshdialogs.moc"
